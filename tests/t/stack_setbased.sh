#!/bin/bash
# The set-based pathway evaluation (stack_eligible, the pathway_progress view:
# microcred._stack_set) gives exactly the answers of stack_check /
# pathway_progress_of asked learner by learner, over a generated population:
# two issuers, seven rule shapes each (one component, all_of with a minimum of
# ECTS, any_of with an external achievement, n_of with EQF, grade, skill and
# a time window, the same type twice, a type and a skill the type teaches,
# nested rules), and revoked, suspended, expired, superseded credentials,
# recognised prior learning and targets already held.  Runs against the
# cluster of tests/run_tests.sh (PGHOST, PGPORT, PGUSER).
set -eu
cd "$(dirname "$0")/../.."
db=mc_stack_setbased
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS '$db'" 2>/dev/null' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
SELECT microcred.add_issuer(legal_name => 'Second Test College', handle => 'flow-two', country => 'DE',
                            base_url => 'https://two.example');
SELECT microcred.generate_key('demo-uas'), microcred.generate_key('flow-two');
CREATE FUNCTION pg_temp.def(iss text, code text, ects numeric, eqf integer, skills text[] DEFAULT NULL,
                            validity interval DEFAULT NULL, susp boolean DEFAULT false) RETURNS void
LANGUAGE sql AS $$
    SELECT microcred.define_credential(issuer => iss, code => code, title => 'Course ' || code,
        description => 'Course ' || code, learning_outcomes => ARRAY['Applies ' || code],
        esco_skills => skills, assessment => ARRAY['project_work'], participation => 'online',
        quality_assurance => 'internal', ects => ects, workload_hours => CASE WHEN ects IS NULL THEN 40 END,
        eqf_level => eqf, qf_ehea_cycle => CASE WHEN eqf IS NULL THEN 'short' END, validity_period => validity,
        allow_repeats => true, suspendable => susp) IS NOT NULL $$;
SELECT pg_temp.def(i, 'CA', 5, 5, NULL, NULL, true), pg_temp.def(i, 'CB', 3, 6, ARRAY['http://data.europa.eu/esco/skill/x']),
       pg_temp.def(i, 'CC', 2, 4, NULL, interval '1 year'), pg_temp.def(i, 'CD', NULL, NULL),
       pg_temp.def(i, 'TGT', 10, 6)
  FROM unnest(ARRAY['demo-uas', 'flow-two']) i;
CREATE FUNCTION pg_temp.path(iss text, code text, rule text, min_ects numeric DEFAULT NULL,
                             within integer DEFAULT NULL, within_issue integer DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$
    SELECT microcred.define_pathway(iss, code, 'Pathway ' || code, 'TGT', rule::jsonb, min_ects => min_ects,
                                    within_months => within, within_months_of_issue => within_issue) IS NOT NULL $$;
SELECT pg_temp.path(i, 'P1', '{"credential_type": "CA"}'),
       pg_temp.path(i, 'P2', '{"all_of": [{"credential_type": "CA"}, {"credential_type": "CB"}]}', 8),
       pg_temp.path(i, 'P3', '{"any_of": [{"credential_type": "CC"}, {"achievement": "urn:test:ach:1"}]}'),
       pg_temp.path(i, 'P4', '{"n_of": 2, "of": [{"credential_type": "CA"}, {"credential_type": "CB", "min_eqf": 6},
                               {"alignment": "http://data.europa.eu/esco/skill/y"},
                               {"credential_type": "CD", "grades": ["1.0", "2.0"]}]}', NULL, 24),
       pg_temp.path(i, 'P5', '{"all_of": [{"credential_type": "CA"}, {"credential_type": "CA", "label": "CA again"}]}'),
       pg_temp.path(i, 'P6', '{"all_of": [{"credential_type": "CB"}, {"alignment": "http://data.europa.eu/esco/skill/x"}]}',
                    NULL, NULL, 18),
       pg_temp.path(i, 'P7', '{"any_of": [{"all_of": [{"credential_type": "CA"}, {"credential_type": "CC"}]},
                               {"n_of": 1, "of": [{"achievement": "urn:test:ach:2", "min_eqf": 5}, {"credential_type": "CD"}]}]}', 4)
  FROM unnest(ARRAY['demo-uas', 'flow-two']) i;

-- the population: deterministic
SELECT setseed(0.19);
CREATE TABLE pop AS
SELECT i AS issuer, g, microcred.add_learner(issuer => i, email => i || '-' || g || '@flow.example') AS learner
  FROM unnest(ARRAY['demo-uas', 'flow-two']) i, generate_series(1, 120) g;
CREATE TABLE plan AS
SELECT p.issuer, p.learner, t.code, floor(random() * 3)::integer AS copies
  FROM pop p, unnest(ARRAY['CA', 'CB', 'CC', 'CD']) t(code);
CREATE TABLE held AS
SELECT microcred.issue(pl.issuer || '/' || pl.code, pl.learner,
                       grade => (ARRAY['1.0', '2.0', '3.0'])[1 + floor(random() * 3)::integer],
                       issued_at => now() - make_interval(days => floor(random() * 1100)::integer)) AS id
  FROM plan pl, generate_series(1, 2) c WHERE c <= pl.copies;
-- lifecycle: revoked, suspended, superseded; CC issued over a year ago has expired
SELECT microcred.revoke_all(array_agg(id), 'test') FROM (SELECT id FROM held ORDER BY id LIMIT 60) x;
SELECT microcred.suspend_all(array_agg(h.id), 'test')
  FROM (SELECT h.id FROM held h JOIN microcred.issued_credential c ON c.id = h.id
          JOIN microcred.credential_type t ON t.id = c.credential_type_id
         WHERE t.code = 'CA' AND c.status = 'active' ORDER BY h.id DESC LIMIT 30) h;
SELECT count(microcred.supersede(h.id, grade => '1.0'))
  FROM (SELECT h.id FROM held h JOIN microcred.issued_credential c ON c.id = h.id
         WHERE c.status = 'active' ORDER BY md5(h.id::text) LIMIT 25) h;
-- recognised prior learning: achievements, skills, ECTS, EQF, grades
SELECT count(microcred.recognise_prior_learning(p.learner, 'Prior ' || p.g, 'RPL-' || p.g,
           achievement_id => (ARRAY['urn:test:ach:1', 'urn:test:ach:2', NULL])[1 + p.g % 3],
           alignments => CASE p.g % 3 WHEN 0 THEN ARRAY['http://data.europa.eu/esco/skill/x']
                                      WHEN 1 THEN ARRAY['http://data.europa.eu/esco/skill/y'] ELSE '{}' END,
           ects => (ARRAY[1, 4, NULL])[1 + p.g % 3], eqf_level => (ARRAY[4, 6, NULL])[1 + p.g % 3],
           grade => (ARRAY['1.0', '3.0', NULL])[1 + p.g % 3],
           earned_at => now() - make_interval(days => 10 + (p.g * 37) % 900)))
  FROM pop p WHERE p.g % 4 = 0;
-- some learners hold the target already (one of them revoked)
SELECT count(microcred.issue(p.issuer || '/TGT', p.learner)) FROM pop p WHERE p.g % 17 = 0;
SELECT microcred.revoke(c.id, 'test') FROM microcred.issued_credential c
  JOIN microcred.credential_type t ON t.id = c.credential_type_id WHERE t.code = 'TGT' ORDER BY c.id LIMIT 1;

-- what learner-by-learner checking answers (the behaviour before issue 19)
CREATE VIEW cand AS
SELECT DISTINCT p.id AS pathway, i.handle || '/' || p.code AS name, x.learner
  FROM microcred.pathway p JOIN microcred.issuer i ON i.id = p.issuer_id,
  LATERAL (SELECT ic.learner_id AS learner FROM microcred.issued_credential ic
            WHERE ic.issuer_id = p.issuer_id AND ic.status = 'active'
              AND ic.credential_type_id IN (SELECT n.credential_type_id FROM microcred.pathway_node n
                                             WHERE n.pathway_id = p.id AND n.credential_type_id IS NOT NULL)
           UNION
           SELECT rc.learner_id FROM microcred.recognition rc WHERE rc.issuer_id = p.issuer_id) x;
CREATE VIEW want_eligible AS
SELECT c.name, c.learner, r.ects_total
  FROM cand c JOIN microcred.pathway p ON p.id = c.pathway
  CROSS JOIN LATERAL microcred.stack_check(c.learner, c.name) r
 WHERE r.satisfied
   AND NOT EXISTS (SELECT FROM microcred.issued_credential t
                    WHERE t.issuer_id = p.issuer_id AND t.learner_id = c.learner
                      AND t.credential_type_id = p.target_type_id AND t.status <> 'revoked');
CREATE VIEW got_eligible AS
SELECT p.name, e.learner, e.ects_total
  FROM (SELECT DISTINCT pathway, name FROM cand) p CROSS JOIN LATERAL microcred.stack_eligible(p.name) e;
CREATE VIEW want_progress AS
SELECT c.pathway, c.learner, r.satisfied, r.percent, r.missing, r.ects_total
  FROM cand c CROSS JOIN LATERAL microcred.pathway_progress_of(c.pathway, c.learner) r;
CREATE VIEW got_progress AS
SELECT pathway_id AS pathway, learner_id AS learner, satisfied, percent, missing, ects_total
  FROM microcred.pathway_progress;
SQL
n=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3 (got '$1', want '$2')"; fi; }
q() { psql -X -At -v ON_ERROR_STOP=1 -d $db -c "$1" 2>&1; }
ok "$(q "SELECT count(*) FROM microcred.pathway")" 14 "14 pathways over two issuers"
ok "$(q "SELECT count(*) > 200 FROM (SELECT DISTINCT learner FROM cand) x")" t "over 200 candidate learners"
ok "$(q "SELECT bool_and(x) FROM (SELECT count(*) FILTER (WHERE status = 'revoked') > 0 AND count(*) FILTER (WHERE status = 'suspended') > 0
         AND count(*) FILTER (WHERE superseded_by IS NOT NULL) > 0 AND count(*) FILTER (WHERE valid_until < now()) > 0 AS x
         FROM microcred.issued_credential GROUP BY issuer_id) y")" t "both issuers have revoked, suspended, superseded and expired credentials"
ok "$(q "SELECT count(DISTINCT name) FROM want_eligible")" 14 "every pathway has eligible learners learner by learner"
ok "$(q "SELECT count(*) FROM cand c WHERE NOT EXISTS (SELECT FROM want_eligible w WHERE w.name = c.name AND w.learner = c.learner)
         HAVING count(DISTINCT c.name) = 14")" "$(q "SELECT count(*) FROM cand c WHERE NOT EXISTS (SELECT FROM want_eligible w WHERE w.name = c.name AND w.learner = c.learner)")" \
    "every pathway has candidates that are not eligible"
ok "$(q "SELECT count(*) FROM want_eligible")" "$(q "SELECT count(*) FROM got_eligible")" "stack_eligible: as many learners as learner-by-learner checking"
ok "$(q "SELECT count(*) FROM ((TABLE want_eligible EXCEPT TABLE got_eligible) UNION ALL (TABLE got_eligible EXCEPT TABLE want_eligible)) d")" 0 \
    "stack_eligible: the same learners with the same ECTS as stack_check per learner, every rule shape"
ok "$(q "SELECT count(*) FROM want_progress")" "$(q "SELECT count(*) FROM got_progress")" "pathway_progress: one row per candidate and pathway"
ok "$(q "SELECT count(*) FROM ((TABLE want_progress EXCEPT TABLE got_progress) UNION ALL (TABLE got_progress EXCEPT TABLE want_progress)) d")" 0 \
    "pathway_progress: satisfied, percent, missing components and ECTS as pathway_progress_of per learner"
ok "$(q "SELECT count(*) FILTER (WHERE satisfied) > 0 AND count(*) FILTER (WHERE NOT satisfied AND percent > 0) > 0 FROM got_progress")" t \
    "progress has satisfied and partly met learners"
# a learner with an item that could meet two components is checked by
# stack_check itself (P5, P6): those pathways have such learners
ok "$(q "SELECT count(DISTINCT w.name) FROM want_eligible w WHERE w.name LIKE '%/P5' OR w.name LIKE '%/P6'")" 4 \
    "the pathways whose components compete for one item have eligible learners on both issuers"
# the same after more lifecycle changes: every CB credential of one issuer revoked
q "SELECT microcred.revoke_all(array_agg(c.id), 'test') FROM microcred.issued_credential c
    JOIN microcred.credential_type t ON t.id = c.credential_type_id JOIN microcred.issuer i ON i.id = c.issuer_id
   WHERE t.code = 'CB' AND i.handle = 'flow-two' AND c.status <> 'revoked'" >/dev/null
ok "$(q "SELECT count(*) FROM ((TABLE want_eligible EXCEPT TABLE got_eligible) UNION ALL (TABLE got_eligible EXCEPT TABLE want_eligible)) d")" 0 \
    "after revoking a component type of one issuer: stack_eligible agrees with stack_check"
ok "$(q "SELECT count(*) FROM ((TABLE want_progress EXCEPT TABLE got_progress) UNION ALL (TABLE got_progress EXCEPT TABLE want_progress)) d")" 0 \
    "after revoking a component type of one issuer: pathway_progress agrees with pathway_progress_of"
echo "1..$n"
