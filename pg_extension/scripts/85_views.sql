/*
 * microcred install script, 85_views.sql: reporting views for BI tools (after the
 * keys and the lifecycle, whose tables they read).
 *
 * No personal data: learners appear only by their opaque id.  The views run
 * with their owner's rights, so microcred_reader needs (and has) no access to
 * the tables themselves; each view keeps only the rows of the awarding bodies
 * the querying role acts for (microcred.acts_for, evaluated once per issuer):
 * an admin sees all, an issuer or reader role those it is mapped to with
 * microcred.grant_issuer; members of microcred_reader_all see every issuer
 * (an admin's explicit choice: GRANT microcred_reader_all TO bi_role).
 */

CREATE VIEW microcred.issuers_report AS
SELECT i.id, i.handle, i.legal_name, i.country, c.name AS country_name, i.region, i.url, i.public_id,
       (SELECT jsonb_object_agg(ii.scheme, ii.value) FROM microcred.issuer_identifier ii
         WHERE ii.issuer_id = i.id) AS legal_identifiers,
       i.created_at
  FROM microcred.issuer i
  JOIN microcred.country c ON c.code = i.country
 WHERE microcred.acts_for(i.id, current_user) OR pg_has_role('microcred_reader_all', 'MEMBER');
COMMENT ON VIEW microcred.issuers_report IS 'awarding bodies with country and legal identifiers';

CREATE VIEW microcred.credential_types_report AS
SELECT t.id, i.handle AS issuer, i.legal_name AS awarding_body, i.country, i.region,
       t.code, t.title, t.description,
       (SELECT array_agg(o.description ORDER BY o.position) FROM microcred.learning_outcome o
         WHERE o.credential_type_id = t.id) AS learning_outcomes,
       (SELECT array_agg(o.esco_uri ORDER BY o.position) FILTER (WHERE o.esco_uri IS NOT NULL)
          FROM microcred.learning_outcome o WHERE o.credential_type_id = t.id) AS esco_skills,
       t.ects, t.workload_hours, t.eqf_level, t.qf_ehea_cycle, t.assessment, t.participation,
       t.synchronous, t.quality_assurance, t.quality_assurance_body, t.prerequisites, t.supervision,
       t.integration, t.stackable_towards, t.languages, t.validity_period, t.grading_scheme,
       t.further_information, t.info_url, t.achievement_type, t.created_at, t.retired_at
  FROM microcred.credential_type t
  JOIN microcred.issuer i ON i.id = t.issuer_id
 WHERE microcred.acts_for(i.id, current_user) OR pg_has_role('microcred_reader_all', 'MEMBER');
COMMENT ON VIEW microcred.credential_types_report IS
    'micro-credential types with every EU standard element, one row per type';

CREATE VIEW microcred.issued_credentials_report AS
SELECT c.id, i.handle AS issuer, t.code AS credential_code, t.title, c.learner_id,
       c.issued_at, c.awarded_date, c.valid_from, c.valid_until,
       (c.valid_until IS NOT NULL AND c.valid_until <= now()) AS expired,
       c.status, c.status_changed_at, c.proof_format, t.ects, t.eqf_level,
       c.supersedes, c.superseded_by,
       (SELECT k.state FROM microcred.signing_key k
         WHERE k.issuer_id = c.issuer_id
           AND i.public_id || '#' || k.fragment = coalesce(c.document -> 'proof' ->> 'verificationMethod',
                                                           c.document -> 'proof' -> 0 ->> 'verificationMethod')) AS signing_key_state
  FROM microcred.issued_credential c
  JOIN microcred.credential_type t ON t.id = c.credential_type_id
  JOIN microcred.issuer i ON i.id = c.issuer_id
 WHERE microcred.acts_for(i.id, current_user) OR pg_has_role('microcred_reader_all', 'MEMBER');
COMMENT ON VIEW microcred.issued_credentials_report IS
    'issued credentials without personal data (learner by opaque id only, no grade)';

GRANT SELECT ON microcred.issuers_report, microcred.credential_types_report,
    microcred.issued_credentials_report TO microcred_reader, microcred_admin;
