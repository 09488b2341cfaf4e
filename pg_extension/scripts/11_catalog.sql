/*
 * microcred install script, 11_catalog.sql: the tables of the catalog.
 *
 * Awarding bodies (issuers), learners (the only place with PII, so it can be
 * erased), micro-credential types with every EU standard element, issued
 * credentials and the JSON-LD context documents.  Every table that holds issuer
 * data carries issuer_id, so it can be protected by row-level security per
 * issuer and distributed by issuer (Citus) without cross-issuer joins.  Each
 * table is complete here, every column in its CREATE TABLE in the order an
 * updated database has them (a new column goes at the end, and into an upgrade
 * part as ALTER TABLE ... ADD COLUMN).
 */

-- awarding bodies ---------------------------------------------------------

CREATE TABLE microcred.issuer (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    handle          text NOT NULL UNIQUE
                    CONSTRAINT issuer_handle_format CHECK (handle ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    legal_name      text NOT NULL CONSTRAINT issuer_legal_name_not_blank CHECK (btrim(legal_name) <> ''),
    country         microcred.country_code NOT NULL REFERENCES microcred.country (code),
    region          text,
    url             text CONSTRAINT issuer_url_http CHECK (url ~ '^https?://'),
    email           text CONSTRAINT issuer_email_format CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    phone           text,
    public_id       text NOT NULL UNIQUE
                    CONSTRAINT issuer_public_id_is_uri CHECK (public_id ~ '^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$'),
    base_url        text CONSTRAINT issuer_base_url_https CHECK (base_url ~ '^(https://[A-Za-z0-9.-]+|http://(127\.0\.0\.1|localhost))(:[0-9]{1,5})?(/[A-Za-z0-9._~%!$&*+,;=:@-]+)*$'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    proof_format    text NOT NULL DEFAULT 'eddsa-rdfc-2022'
                    CONSTRAINT issuer_proof_format_known CHECK (proof_format IN ('eddsa-jcs-2022', 'eddsa-rdfc-2022')),
    image           bytea,
    image_type      text CONSTRAINT issuer_image_type CHECK (image_type IN ('image/png', 'image/svg+xml')),
    CONSTRAINT issuer_image_typed CHECK ((image IS NULL) = (image_type IS NULL))
);
COMMENT ON TABLE microcred.issuer IS 'awarding bodies (EU elements "awarding body" and "country/region of the issuer")';
COMMENT ON COLUMN microcred.issuer.handle IS 'short lower-case name used in URLs and by the bridge';
COMMENT ON COLUMN microcred.issuer.public_id IS 'the issuer id (URI) written into credentials as issuer.id';
COMMENT ON COLUMN microcred.issuer.base_url IS 'public base URL (no trailing slash) under which credentials, keys and status lists are served';
COMMENT ON COLUMN microcred.issuer.proof_format IS
    'the Data Integrity cryptosuite microcred.issue() uses for this issuer''s credentials (eddsa-rdfc-2022: what 1EdTech certifies and wallets verify)';

CREATE TABLE microcred.issuer_identifier (
    issuer_id   uuid NOT NULL REFERENCES microcred.issuer (id) ON DELETE CASCADE,
    scheme      microcred.identifier_scheme NOT NULL,
    value       text NOT NULL CONSTRAINT issuer_identifier_not_blank CHECK (btrim(value) <> ''),
    PRIMARY KEY (issuer_id, scheme, value)
);
COMMENT ON TABLE microcred.issuer_identifier IS
    'legal identifiers of an awarding body (register number, VAT, EUID, DEQAR id, ...), written to issuer.otherIdentifier';

-- learners (all PII lives here and nowhere else) ---------------------------

CREATE TABLE microcred.learner (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    issuer_id       uuid NOT NULL REFERENCES microcred.issuer (id),
    given_name      text,
    family_name     text,
    email           text CONSTRAINT learner_email_format CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    student_id      text CONSTRAINT learner_student_id_not_blank CHECK (btrim(student_id) <> ''),
    date_of_birth   date CONSTRAINT learner_date_of_birth_plausible CHECK (date_of_birth > '1900-01-01' AND date_of_birth < '2100-01-01'),
    holder_did      text CONSTRAINT learner_holder_did_format CHECK (holder_did ~ '^did:[a-z0-9]+:\S+$'),
    name_in_credential boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    erased_at       timestamptz,
    UNIQUE (issuer_id, id),
    CONSTRAINT learner_identified
        CHECK (erased_at IS NOT NULL OR email IS NOT NULL OR student_id IS NOT NULL OR holder_did IS NOT NULL)
);
CREATE UNIQUE INDEX learner_email_per_issuer ON microcred.learner (issuer_id, lower(email)) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX learner_student_id_per_issuer ON microcred.learner (issuer_id, student_id) WHERE student_id IS NOT NULL;
COMMENT ON TABLE microcred.learner IS
    'learners (EU element "identification of the learner"); the only table with personal data, so erasure is one row';
COMMENT ON COLUMN microcred.learner.name_in_credential IS
    'whether the learner''s name may be written into credentials (credentialSubject.name); otherwise only salted hashes are';

CREATE TABLE microcred.learner_identifier (
    issuer_id   uuid NOT NULL,
    learner_id  uuid NOT NULL,
    kind        text NOT NULL CONSTRAINT learner_identifier_kind CHECK (kind IN ('lms', 'national_id', 'other')),
    platform    text NOT NULL DEFAULT '',
    value       text NOT NULL CONSTRAINT learner_identifier_not_blank CHECK (btrim(value) <> ''),
    PRIMARY KEY (issuer_id, kind, platform, value),
    FOREIGN KEY (issuer_id, learner_id) REFERENCES microcred.learner (issuer_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE microcred.learner_identifier IS
    'further learner identifiers, e.g. the user id on an LMS platform (kind lms, platform = LMS issuer URL)';

-- micro-credential types ------------------------------------------------------

CREATE TABLE microcred.credential_type (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    issuer_id           uuid NOT NULL REFERENCES microcred.issuer (id),
    code                text NOT NULL CONSTRAINT credential_type_code_format CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    title               text NOT NULL,
    description         text NOT NULL,
    ects                microcred.ects_credits,
    workload_hours      numeric CONSTRAINT credential_type_hours_positive CHECK (workload_hours > 0 AND workload_hours = round(workload_hours, 2)),
    eqf_level           microcred.eqf_level,
    qf_ehea_cycle       microcred.qf_ehea_cycle,
    assessment          microcred.assessment_type[] NOT NULL,
    participation       microcred.participation_form NOT NULL,
    synchronous         boolean,
    quality_assurance   microcred.quality_assurance NOT NULL,
    quality_assurance_body text,
    quality_assurance_url  text CONSTRAINT credential_type_qa_url_http CHECK (quality_assurance_url ~ '^https?://'),
    prerequisites       text,
    supervision         microcred.supervision,
    integration         microcred.integration NOT NULL DEFAULT 'stand_alone',
    stackable_towards   text,
    languages           text[] CONSTRAINT credential_type_languages_bcp47
                        CHECK (array_position(languages, NULL) IS NULL
                               AND pg_catalog.array_to_string(languages, ' ') ~ '^([a-z]{2,3}(-[A-Za-z0-9]{2,8})*( |$))+$'),
    validity_period     interval CONSTRAINT credential_type_validity_positive CHECK (validity_period > interval '0'),
    grading_scheme      text,
    further_information text,
    info_url            text CONSTRAINT credential_type_info_url_http CHECK (info_url ~ '^https?://'),
    human_code          text,
    achievement_type    text NOT NULL DEFAULT 'MicroCredential',
    allow_repeats       boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    retired_at          timestamptz,
    proof_format        text
                        CONSTRAINT credential_type_proof_format_known CHECK (proof_format IN ('eddsa-jcs-2022', 'eddsa-rdfc-2022')),
    suspendable         boolean NOT NULL DEFAULT false,
    image               bytea,
    image_type          text CONSTRAINT credential_type_image_type CHECK (image_type IN ('image/png', 'image/svg+xml')),
    UNIQUE (issuer_id, code),
    UNIQUE (issuer_id, id),
    CONSTRAINT credential_type_image_typed CHECK ((image IS NULL) = (image_type IS NULL))
);
COMMENT ON TABLE microcred.credential_type IS
    'micro-credential types: one row per credential an issuer awards, with every EU standard element (see README, "EU standard elements")';
COMMENT ON COLUMN microcred.credential_type.ects IS 'EU element "notional workload" in ECTS credits (NULL when ECTS does not apply; then workload_hours)';
COMMENT ON COLUMN microcred.credential_type.eqf_level IS 'EU element "level": EQF level (this or qf_ehea_cycle is required)';
COMMENT ON COLUMN microcred.credential_type.assessment IS 'EU element "type of assessment" (one or more)';
COMMENT ON COLUMN microcred.credential_type.participation IS 'EU element "form of participation"; synchronous tells synchronous/asynchronous when known';
COMMENT ON COLUMN microcred.credential_type.quality_assurance IS 'EU element "type of quality assurance"; the body and its URL in the next columns';
COMMENT ON COLUMN microcred.credential_type.prerequisites IS 'EU optional element "prerequisites needed to enrol"';
COMMENT ON COLUMN microcred.credential_type.supervision IS 'EU optional element "supervision and identity verification during assessment"';
COMMENT ON COLUMN microcred.credential_type.integration IS 'EU optional element "integration / stackability options"';
COMMENT ON COLUMN microcred.credential_type.validity_period IS 'credentials of this type expire this long after issue (validUntil); NULL = no expiry';
COMMENT ON COLUMN microcred.credential_type.further_information IS 'EU optional element "further information"';
COMMENT ON COLUMN microcred.credential_type.achievement_type IS 'Open Badges 3.0 achievementType, MicroCredential by default';
COMMENT ON COLUMN microcred.credential_type.proof_format IS
    'cryptosuite for credentials of this type; NULL = the issuer''s proof_format';
COMMENT ON COLUMN microcred.credential_type.suspendable IS
    'credentials of this type issued from now on can be suspended: they carry a second credentialStatus entry (suspension), which leaves Open Badges 3.0''s credentialStatus 0..1; by default only revocation';

CREATE TABLE microcred.learning_outcome (
    issuer_id           uuid NOT NULL,
    credential_type_id  uuid NOT NULL,
    position            integer NOT NULL CHECK (position > 0),
    description         text NOT NULL CONSTRAINT learning_outcome_not_blank CHECK (btrim(description) <> ''),
    esco_uri            text CONSTRAINT learning_outcome_esco_uri CHECK (esco_uri ~ '^http://data\.europa\.eu/esco/(skill|occupation|isco)/\S+$'),
    PRIMARY KEY (credential_type_id, position),
    FOREIGN KEY (issuer_id, credential_type_id) REFERENCES microcred.credential_type (issuer_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE microcred.learning_outcome IS
    'EU element "learning outcomes": one row per outcome, optionally aligned to an ESCO skill URI';

-- issued credentials ------------------------------------------------------------

CREATE TABLE microcred.issued_credential (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    issuer_id           uuid NOT NULL,
    credential_type_id  uuid NOT NULL,
    learner_id          uuid NOT NULL,
    issued_at           timestamptz NOT NULL DEFAULT now(),
    awarded_date        timestamptz NOT NULL DEFAULT now(),
    valid_from          timestamptz NOT NULL DEFAULT now(),
    valid_until         timestamptz,
    grade               text CONSTRAINT issued_credential_grade_not_blank CHECK (btrim(grade) <> ''),
    evidence            jsonb CONSTRAINT issued_credential_evidence_array CHECK (jsonb_typeof(evidence) = 'array'),
    status              microcred.credential_status NOT NULL DEFAULT 'active',
    status_reason       text,
    status_changed_at   timestamptz,
    idempotency_key     text CONSTRAINT issued_credential_idempotency_key_not_blank CHECK (btrim(idempotency_key) <> ''),
    supersedes          uuid REFERENCES microcred.issued_credential (id),
    superseded_by       uuid REFERENCES microcred.issued_credential (id),
    proof_format        text,
    document            jsonb,
    credits_earned      microcred.ects_credits,
    CONSTRAINT issued_credential_validity_order CHECK (valid_until IS NULL OR valid_until > valid_from),
    CONSTRAINT issued_credential_idempotency_key_unique UNIQUE (issuer_id, idempotency_key),
    FOREIGN KEY (issuer_id, credential_type_id) REFERENCES microcred.credential_type (issuer_id, id),
    FOREIGN KEY (issuer_id, learner_id) REFERENCES microcred.learner (issuer_id, id)
) WITH (fillfactor = 50);
-- a signed document (about 5 KB, 2-3 KB compressed) is stored compressed in
-- the TOAST table (the default for jsonb), so a row is about 200 bytes: a
-- status change writes a new version of those 200 bytes and not of the
-- document (kept in the row, STORAGE MAIN, a revocation rewrote 4 KB per
-- credential and bulk revocation was 4 times slower), and scans and index
-- lookups of credentials read small pages.  Issuing pays one TOAST insert
-- (docs/ARCHITECTURE.md, "Set-based lifecycle": the measured trade).
-- Half of each page stays free and no index names a status column, so a
-- status change is a HOT update (no new entry in the four indexes).
ALTER TABLE microcred.issued_credential ALTER COLUMN document SET COMPRESSION lz4;  -- pglz costs more than signing
COMMENT ON COLUMN microcred.issued_credential.credits_earned IS
    'ECTS credits earned when they differ from the type''s (a stacked credential earns the sum of its components)';
-- Both carry all three columns: issue's one-per-learner-and-type check and
-- the LTI learner page look up (issuer, learner, type), and whichever index
-- the planner picks (on stale statistics it took (issuer, type) and filtered
-- every credential of a popular type) must then find the rows directly.
-- The prefixes serve per-learner and per-type queries.
CREATE INDEX issued_credential_learner ON microcred.issued_credential (issuer_id, learner_id, credential_type_id);
CREATE INDEX issued_credential_type ON microcred.issued_credential (issuer_id, credential_type_id, learner_id);
COMMENT ON TABLE microcred.issued_credential IS
    'issued micro-credentials; the signed document never changes after issue (corrections supersede)';
COMMENT ON COLUMN microcred.issued_credential.idempotency_key IS
    'caller-supplied key (e.g. an LMS event id); unique per issuer, so a retried issue returns the same credential';
COMMENT ON COLUMN microcred.issued_credential.document IS 'the signed credential document, stored once at issue';

-- JSON-LD context documents (the bundled ones are inserted by 65_contexts.sql, generated)
CREATE TABLE microcred.jsonld_context (
    url         text PRIMARY KEY CONSTRAINT jsonld_context_url_absolute CHECK (url ~ '^https?://\S+$'),
    document    text NOT NULL CONSTRAINT jsonld_context_is_json CHECK (document::jsonb ? '@context'),
    bundled     boolean NOT NULL DEFAULT false,
    added_by    name NOT NULL DEFAULT current_user,
    added_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE microcred.jsonld_context IS
    'JSON-LD context documents by exact URL: the bundled ones and those an admin registered; no other context resolves';
