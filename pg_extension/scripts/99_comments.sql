/*
 * microcred install script, 99_comments.sql: what each column of the reporting views
 * means (BI tools show these comments).  tests/t/hygiene.sh checks that every
 * column of every view of the schema has one.
 */

COMMENT ON COLUMN microcred.issuers_report.id IS 'id of the awarding body';
COMMENT ON COLUMN microcred.issuers_report.handle IS 'short name of the awarding body, used in URLs and as issuer argument';
COMMENT ON COLUMN microcred.issuers_report.legal_name IS 'EU element "awarding body": its legal name';
COMMENT ON COLUMN microcred.issuers_report.country IS 'EU element "country/region of the issuer": ISO 3166-1 alpha-2 code';
COMMENT ON COLUMN microcred.issuers_report.country_name IS 'English name of the country';
COMMENT ON COLUMN microcred.issuers_report.region IS 'region of the awarding body, where given';
COMMENT ON COLUMN microcred.issuers_report.url IS 'web site of the awarding body';
COMMENT ON COLUMN microcred.issuers_report.public_id IS 'the issuer id (URI) written into its credentials';
COMMENT ON COLUMN microcred.issuers_report.legal_identifiers IS 'legal identifiers by scheme (register number, VAT, EUID, DEQAR id, ...) as a JSON object';
COMMENT ON COLUMN microcred.issuers_report.created_at IS 'when the awarding body was added';

COMMENT ON COLUMN microcred.credential_types_report.id IS 'id of the credential type';
COMMENT ON COLUMN microcred.credential_types_report.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.credential_types_report.awarding_body IS 'EU element "awarding body": legal name';
COMMENT ON COLUMN microcred.credential_types_report.country IS 'EU element "country/region of the issuer": country code';
COMMENT ON COLUMN microcred.credential_types_report.region IS 'region of the awarding body';
COMMENT ON COLUMN microcred.credential_types_report.code IS 'the type''s code, unique per awarding body (issuer/CODE names it)';
COMMENT ON COLUMN microcred.credential_types_report.title IS 'EU element "title of the micro-credential"';
COMMENT ON COLUMN microcred.credential_types_report.description IS 'what the learner did and can now do';
COMMENT ON COLUMN microcred.credential_types_report.learning_outcomes IS 'EU element "learning outcomes", in order';
COMMENT ON COLUMN microcred.credential_types_report.esco_skills IS 'ESCO skill URIs the outcomes are aligned to';
COMMENT ON COLUMN microcred.credential_types_report.ects IS 'EU element "notional workload" in ECTS credits';
COMMENT ON COLUMN microcred.credential_types_report.workload_hours IS 'notional workload in hours, where ECTS does not apply';
COMMENT ON COLUMN microcred.credential_types_report.eqf_level IS 'EU element "level": EQF level 1 to 8';
COMMENT ON COLUMN microcred.credential_types_report.qf_ehea_cycle IS 'QF-EHEA cycle (short, first, second, third) for higher education';
COMMENT ON COLUMN microcred.credential_types_report.assessment IS 'EU element "type of assessment"';
COMMENT ON COLUMN microcred.credential_types_report.participation IS 'EU element "form of participation" (online, onsite, blended)';
COMMENT ON COLUMN microcred.credential_types_report.synchronous IS 'synchronous (true) or asynchronous (false) participation, where known';
COMMENT ON COLUMN microcred.credential_types_report.quality_assurance IS 'EU element "type of quality assurance"';
COMMENT ON COLUMN microcred.credential_types_report.quality_assurance_body IS 'body responsible for quality assurance';
COMMENT ON COLUMN microcred.credential_types_report.prerequisites IS 'EU optional element "prerequisites needed to enrol"';
COMMENT ON COLUMN microcred.credential_types_report.supervision IS 'EU optional element "supervision and identity verification during assessment"';
COMMENT ON COLUMN microcred.credential_types_report.integration IS 'EU optional element "integration / stackability options"';
COMMENT ON COLUMN microcred.credential_types_report.stackable_towards IS 'what the micro-credential stacks towards';
COMMENT ON COLUMN microcred.credential_types_report.languages IS 'languages of instruction and assessment (BCP 47)';
COMMENT ON COLUMN microcred.credential_types_report.validity_period IS 'credentials expire this long after issue; NULL: no expiry';
COMMENT ON COLUMN microcred.credential_types_report.grading_scheme IS 'grading scheme of the grades credentials carry';
COMMENT ON COLUMN microcred.credential_types_report.further_information IS 'EU optional element "further information"';
COMMENT ON COLUMN microcred.credential_types_report.info_url IS 'web page about the micro-credential';
COMMENT ON COLUMN microcred.credential_types_report.achievement_type IS 'Open Badges 3.0 achievementType';
COMMENT ON COLUMN microcred.credential_types_report.created_at IS 'when the type was defined';
COMMENT ON COLUMN microcred.credential_types_report.retired_at IS 'when the type was retired (no longer issued); NULL: current';

COMMENT ON COLUMN microcred.issued_credentials_report.id IS 'id of the issued credential (its URL ends with it)';
COMMENT ON COLUMN microcred.issued_credentials_report.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.issued_credentials_report.credential_code IS 'code of the credential type';
COMMENT ON COLUMN microcred.issued_credentials_report.title IS 'title of the micro-credential';
COMMENT ON COLUMN microcred.issued_credentials_report.learner_id IS 'the learner, by opaque id only (no personal data here)';
COMMENT ON COLUMN microcred.issued_credentials_report.issued_at IS 'when the credential was issued (validFrom)';
COMMENT ON COLUMN microcred.issued_credentials_report.awarded_date IS 'EU element "date of issuing": when it was awarded';
COMMENT ON COLUMN microcred.issued_credentials_report.valid_from IS 'start of validity';
COMMENT ON COLUMN microcred.issued_credentials_report.valid_until IS 'end of validity (validUntil); NULL: no expiry';
COMMENT ON COLUMN microcred.issued_credentials_report.expired IS 'valid_until has passed';
COMMENT ON COLUMN microcred.issued_credentials_report.status IS 'active, suspended or revoked (as the status lists publish it)';
COMMENT ON COLUMN microcred.issued_credentials_report.status_changed_at IS 'when the status last changed';
COMMENT ON COLUMN microcred.issued_credentials_report.proof_format IS 'the Data Integrity cryptosuite of its proof';
COMMENT ON COLUMN microcred.issued_credentials_report.ects IS 'ECTS credits of the type';
COMMENT ON COLUMN microcred.issued_credentials_report.eqf_level IS 'EQF level of the type';
COMMENT ON COLUMN microcred.issued_credentials_report.supersedes IS 'the credential this one corrects, if any';
COMMENT ON COLUMN microcred.issued_credentials_report.superseded_by IS 'the credential that corrects this one, if any (this one is then revoked)';
COMMENT ON COLUMN microcred.issued_credentials_report.signing_key_state IS 'state of the key its proof names: active or standby (verifies), retired (no longer verifies: supersede it), NULL when the stored document was dropped at erasure';

COMMENT ON COLUMN microcred.expiring_credentials.id IS 'id of the issued credential';
COMMENT ON COLUMN microcred.expiring_credentials.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.expiring_credentials.credential_code IS 'code of the credential type';
COMMENT ON COLUMN microcred.expiring_credentials.title IS 'title of the micro-credential';
COMMENT ON COLUMN microcred.expiring_credentials.learner_id IS 'the learner, by opaque id only';
COMMENT ON COLUMN microcred.expiring_credentials.valid_until IS 'end of validity (validUntil)';
COMMENT ON COLUMN microcred.expiring_credentials.days_left IS 'days until valid_until';
COMMENT ON COLUMN microcred.expiring_credentials.signing_key_state IS 'state of the key its proof names: retired means it no longer verifies already';

COMMENT ON COLUMN microcred.issuer_keys.id IS 'id of the key';
COMMENT ON COLUMN microcred.issuer_keys.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.issuer_keys.algorithm IS 'Ed25519, P-256 or RSA';
COMMENT ON COLUMN microcred.issuer_keys.state IS 'active (signs), standby (verifies, no longer signs) or retired (neither)';
COMMENT ON COLUMN microcred.issuer_keys.verification_method IS 'the verificationMethod proofs name';
COMMENT ON COLUMN microcred.issuer_keys.public_key_multibase IS 'public key as Multikey publicKeyMultibase';
COMMENT ON COLUMN microcred.issuer_keys.public_jwk IS 'public key as a JWK';
COMMENT ON COLUMN microcred.issuer_keys.did_key IS 'the key as a did:key';
COMMENT ON COLUMN microcred.issuer_keys.created_at IS 'when the key was generated';
COMMENT ON COLUMN microcred.issuer_keys.retired_at IS 'when the key was retired';

COMMENT ON COLUMN microcred.pathway_progress.pathway_id IS 'id of the pathway';
COMMENT ON COLUMN microcred.pathway_progress.pathway IS 'issuer/CODE of the pathway';
COMMENT ON COLUMN microcred.pathway_progress.learner_id IS 'the learner, by opaque id only';
COMMENT ON COLUMN microcred.pathway_progress.satisfied IS 'the learner meets the pathway''s rule (its target can be issued)';
COMMENT ON COLUMN microcred.pathway_progress.percent IS 'share of the rule''s components met, 0 to 100';
COMMENT ON COLUMN microcred.pathway_progress.missing IS 'the components not yet met';
COMMENT ON COLUMN microcred.pathway_progress.ects_total IS 'ECTS credits counted towards the pathway';

COMMENT ON COLUMN microcred.lti_tool_keys.kid IS 'key id in the tool''s JWKS';
COMMENT ON COLUMN microcred.lti_tool_keys.state IS 'active (signs), standby (published) or retired';
COMMENT ON COLUMN microcred.lti_tool_keys.public_jwk IS 'public key as a JWK';
COMMENT ON COLUMN microcred.lti_tool_keys.created_at IS 'when the key was generated';
COMMENT ON COLUMN microcred.lti_tool_keys.retired_at IS 'when the key was retired';

COMMENT ON COLUMN microcred.event_report.source IS 'name of the event source';
COMMENT ON COLUMN microcred.event_report.kind IS 'xapi, canvas or moodle';
COMMENT ON COLUMN microcred.event_report.state IS 'state of the events: issued, pending, ignored, failed, received';
COMMENT ON COLUMN microcred.event_report.events IS 'how many events of this source are in this state';
COMMENT ON COLUMN microcred.event_report.oldest IS 'when the oldest of them arrived';
COMMENT ON COLUMN microcred.event_report.newest IS 'when the newest of them arrived';

COMMENT ON COLUMN microcred.event_polls.source IS 'name of the event source polled';
COMMENT ON COLUMN microcred.event_polls.api IS 'the LMS API polled';
COMMENT ON COLUMN microcred.event_polls.api_base_url IS 'base URL of the LMS API';
COMMENT ON COLUMN microcred.event_polls.every IS 'polling interval';
COMMENT ON COLUMN microcred.event_polls.last_polled_at IS 'when it was last polled';
COMMENT ON COLUMN microcred.event_polls.last_ok_at IS 'when a poll last succeeded';
COMMENT ON COLUMN microcred.event_polls.last_error IS 'the last poll''s error, if it failed';
COMMENT ON COLUMN microcred.event_polls.completions_found IS 'completions the polls found that no event had reported';
