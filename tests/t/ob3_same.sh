#!/bin/bash
# The Open Badges 3.0 parts built in C (ob3.c through microcred._achievement
# and microcred._issuer_profile) are the documents the PL/pgSQL builders of
# 0.2 made (tests/data/ob3/sql_builders_0.2.sql), for the demo catalog and
# for variants that switch every optional element on or off: the same JCS
# canonical form of each part, and the same credential document built from
# either.  Runs against the cluster of tests/run_tests.sh.
set -eu
cd "$(dirname "$0")/../.."
db=mc_ob3_same
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS '$db'" 2>/dev/null' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null
n=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3 (got '$1', want '$2')"; fi; }
# compare after the variant's changes (rolled back): parts compared, parts
# that differ, documents that differ (with a second argument "parts": the
# parts only, for a catalog whose documents issue refuses as not OB 3.0)
compare() {
    docs=true
    [ "${2:-}" = parts ] && docs=false
    psql -X -q -At -v ON_ERROR_STOP=1 -d $db <<SQL
\i tests/data/ob3/sql_builders_0.2.sql
BEGIN;
$1
SELECT count(*) || ':' || count(*) FILTER (WHERE NOT same_parts) || ':' || count(*) FILTER (WHERE NOT same_doc)
  FROM (SELECT microcred.canonicalize(microcred._achievement(t, i)) = microcred.canonicalize(pg_temp.old_achievement(t, i))
               AND microcred.canonicalize(microcred._issuer_profile(i)) = microcred.canonicalize(pg_temp.old_issuer_profile(i)) AS same_parts,
               NOT $docs OR microcred._credential_document(c, t, i, l, 'salt', microcred._achievement(t, i), microcred._issuer_profile(i))::text
               = microcred._credential_document(c, t, i, l, 'salt', pg_temp.old_achievement(t, i), pg_temp.old_issuer_profile(i))::text AS same_doc
          FROM microcred.credential_type t
          JOIN microcred.issuer i ON i.id = t.issuer_id
          CROSS JOIN LATERAL (SELECT * FROM microcred.learner l WHERE l.issuer_id = i.id LIMIT 1) l
          CROSS JOIN LATERAL (SELECT c.* FROM microcred.issued_credential c WHERE c.issuer_id = i.id LIMIT 1) c) x;
ROLLBACK;
SQL
}
ok "$(compare "")" "2:0:0" "the demo catalog: both types, every EU element"
ok "$(compare "UPDATE microcred.credential_type SET synchronous = true, info_url = 'https://demo-uas.example/info',
    human_code = 'HC-1', quality_assurance_url = 'https://qa.example/report', languages = ARRAY['ga'],
    further_information = 'More at the faculty office', ects = 2.50, workload_hours = 12.25;")" "2:0:0" \
   "synchronous, information URL, human code, QA URL, one language, further information, 2.50 ECTS"
ok "$(compare "UPDATE microcred.credential_type SET languages = NULL, supervision = NULL, qf_ehea_cycle = NULL,
    grading_scheme = NULL, prerequisites = NULL, stackable_towards = NULL, workload_hours = 40, ects = NULL;")" "2:0:0" \
   "no language, supervision, QF-EHEA cycle, grading scheme, prerequisites or ECTS"
ok "$(compare "DELETE FROM microcred.learning_outcome; UPDATE microcred.credential_type SET info_url = 'https://demo-uas.example/c';")" "2:0:0" \
   "no learning outcome (no narrative, criteria by URL)"
ok "$(compare "DELETE FROM microcred.learning_outcome;" parts)" "2:0:0" "no learning outcome and no criteria URL (parts only: issue refuses it)"
ok "$(compare "UPDATE microcred.issuer SET url = NULL, email = NULL, region = NULL, phone = '+353 1 555 0100', base_url = NULL;
    INSERT INTO microcred.issuer_identifier (issuer_id, scheme, value)
    SELECT id, s::microcred.identifier_scheme, 'ID-' || s FROM microcred.issuer,
           unnest(enum_range(NULL::microcred.identifier_scheme)::text[]) s ON CONFLICT DO NOTHING;")" "2:0:0" \
   "an issuer without URL, email, region or base URL, with an identifier of every scheme"
ok "$(compare "UPDATE microcred.vocabulary SET concept_uri = NULL WHERE vocabulary = 'assessment_type';
    UPDATE microcred.vocabulary SET concept_uri = NULL, scheme_uri = NULL WHERE vocabulary = 'participation_form';" parts)" "2:0:0" \
   "terms without a concept (the scheme instead) or without any URI (parts only: issue refuses it)"
ok "$(compare "DELETE FROM microcred.vocabulary WHERE vocabulary IN ('integration', 'supervision');" parts)" "2:0:0" \
   "terms without a vocabulary row (parts only: issue refuses it)"
echo "1..$n"
