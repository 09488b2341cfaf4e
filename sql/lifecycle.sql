-- lifecycle: Bitstring Status Lists, revoke / suspend / reinstate / supersede,
-- status in verification (ours and foreign), audit chain, erasure, expiry.
-- (runs after catalog, roles, issue and rdfc in the same database)
\set suite lifecycle
\i sql/fixtures/standalone.sql
\set SHOW_CONTEXT never
CREATE FUNCTION pg_temp.failed(v microcred.verification) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(c->>'check' || ': ' ||
        regexp_replace(c->>'reason', 'z[1-9A-HJ-NP-Za-km-z]{40,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]+Z|bit [0-9]+',
                       '<x>', 'g'), '; '), 'nothing')
      FROM jsonb_array_elements(v.checks) c WHERE c->>'result' = 'fail' $$;
CREATE FUNCTION pg_temp.status(v microcred.verification) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(c->>'result', ',') FROM jsonb_array_elements(v.checks) c WHERE c->>'check' = 'status' $$;

-- every credential issued since status lists exist has one credentialStatus object
-- (revocation), in one open list; suspension lists come with suspendable types
SELECT purpose, count(*) AS lists, min(size) AS size FROM microcred.status_list GROUP BY purpose ORDER BY purpose;
SELECT count(*) FILTER (WHERE jsonb_typeof(document -> 'credentialStatus') = 'object') AS with_one_entry,
       count(DISTINCT (e.list_id, e.idx)) = count(*) AS indexes_unique
  FROM microcred.issued_credential c JOIN microcred.status_entry e ON e.credential_id = c.id AND e.purpose = 'revocation';

-- a fresh credential to work on
SELECT microcred.issue('th-beispiel/DPN-101', microcred.add_learner(issuer => 'th-beispiel',
    email => 'lise.meitner@example.org', student_id => 'S-1878'), grade => '1.7') AS cred \gset
SELECT document AS doc FROM microcred.issued_credential WHERE id = :'cred' \gset
SELECT e ->> 'type' AS type, e ->> 'statusPurpose' AS purpose, (e ->> 'statusListIndex')::int < 131072 AS index_in_range,
       e ->> 'statusListCredential' LIKE 'https://credentials.th-beispiel.de/status/%' AS url_under_base
  FROM jsonb_path_query(:'doc'::jsonb, '$.credentialStatus') e ORDER BY 2;
SELECT valid, pg_temp.status(v) FROM microcred.verify(:'doc'::jsonb) v;

-- the status list credential: signed, cached until a bit changes
SELECT l.id AS rlist FROM microcred.status_list l JOIN microcred.status_entry e ON e.list_id = l.id
 WHERE e.credential_id = :'cred' AND e.purpose = 'revocation' \gset
SELECT microcred.status_list_credential(:'rlist') AS slc \gset
SELECT :'slc'::jsonb -> 'type' AS type, :'slc'::jsonb -> 'credentialSubject' ->> 'statusPurpose' AS purpose,
       left(:'slc'::jsonb -> 'credentialSubject' ->> 'encodedList', 1) AS multibase_prefix,
       (microcred.verify(:'slc'::jsonb)).valid AS list_verifies;
SELECT microcred.status_list_credential(:'rlist') = :'slc'::jsonb AS cached;

-- revoke: final, reflected in the list and in verification
SELECT microcred.revoke(:'cred', 'academic misconduct');
SELECT status, status_reason FROM microcred.issued_credential WHERE id = :'cred';
SELECT valid, pg_temp.failed(v) FROM microcred.verify(:'doc'::jsonb) v;
SELECT microcred.status_list_credential(:'rlist') <> :'slc'::jsonb AS resigned;
SELECT (microcred._status_check(e, microcred.status_list_credential(:'rlist'))).is_set AS bit_in_published_list
  FROM jsonb_path_query(:'doc'::jsonb, '$.credentialStatus') e WHERE e ->> 'statusPurpose' = 'revocation';

-- suspend, reinstate (suspension is a per-type opt-in: a second credentialStatus entry)
UPDATE microcred.credential_type SET suspendable = true
 WHERE code = 'DPN-101' AND issuer_id = (SELECT id FROM microcred.issuer WHERE handle = 'th-beispiel');
SELECT microcred.issue('th-beispiel/DPN-101', microcred.add_learner(issuer => 'th-beispiel', email => 'chien-shiung.wu@example.org')) AS cred2 \gset
UPDATE microcred.credential_type SET suspendable = false
 WHERE code = 'DPN-101' AND issuer_id = (SELECT id FROM microcred.issuer WHERE handle = 'th-beispiel');
SELECT document AS doc2 FROM microcred.issued_credential WHERE id = :'cred2' \gset
SELECT microcred.suspend(:'cred2', 'identity check pending');
SELECT valid, pg_temp.failed(v) FROM microcred.verify(:'doc2'::jsonb) v;
SELECT microcred.reinstate(:'cred2', 'identity confirmed');
SELECT valid, pg_temp.status(v) FROM microcred.verify(:'doc2'::jsonb) v;

-- bad input (terse: the details name random ids)
\set VERBOSITY terse
SELECT microcred.revoke('00000000-0000-0000-0000-000000000000', 'typo');
SELECT microcred.reinstate(:'cred', 'changed my mind');
SELECT microcred.suspend(:'cred2', 'once');
SELECT microcred.suspend(:'cred2', 'twice');
SELECT microcred.revoke(:'cred2', '   ');
SELECT microcred.reinstate(:'cred2', 'back');
\set VERBOSITY default

-- bulk: many credentials in one statement
SELECT microcred.revoke_all(array_agg(c.id), 'course withdrawn') AS revoked
  FROM microcred.issued_credential c JOIN microcred.learner l ON l.id = c.learner_id
 WHERE l.email LIKE 'bulk1_@example.org' AND c.status = 'active';
SELECT count(*) FILTER (WHERE NOT (microcred.verify(c.document)).valid) AS now_invalid, count(*) AS total
  FROM microcred.issued_credential c JOIN microcred.learner l ON l.id = c.learner_id
 WHERE l.email LIKE 'bulk1_@example.org';

-- supersede: a corrected credential, same awardedDate, both linked, the old one revoked
SELECT microcred.supersede(:'cred2', grade => '1.0', reason => 'grade corrected by the exam board') AS cred3 \gset
SELECT o.status AS old_status, o.status_reason AS old_reason, o.superseded_by = n.id AS old_links_new,
       n.supersedes = o.id AS new_links_old, n.document ->> 'awardedDate' = o.document ->> 'awardedDate' AS same_awarded_date,
       n.document -> 'credentialSubject' -> 'result' -> 0 ->> 'value' AS new_grade
  FROM microcred.issued_credential o, microcred.issued_credential n WHERE o.id = :'cred2' AND n.id = :'cred3';
SELECT valid, pg_temp.status(v) FROM microcred.issued_credential c, microcred.verify(c.document) v WHERE c.id = :'cred3';
SELECT valid, pg_temp.failed(v) FROM microcred.verify(:'doc2'::jsonb) v;
\set VERBOSITY terse
SELECT microcred.supersede(:'cred2');
\set VERBOSITY default

-- another issuer's credential: status from the status list credentials the caller passes
-- (a suspendable type: two credentialStatus entries, revocation and suspension)
SELECT microcred.generate_key('u-exemple') IS NOT NULL AS key;
SELECT microcred.define_credential(issuer => 'u-exemple', code => 'FR-1', title => 'Analyse de données',
    description => 'Analyse de données tabulaires.', learning_outcomes => ARRAY['Nettoie des données'],
    assessment => ARRAY['project_work'], participation => 'online', quality_assurance => 'internal',
    ects => 3, eqf_level => 6, suspendable => true) IS NOT NULL AS defined;
SELECT microcred.issue('u-exemple/FR-1', (SELECT id FROM microcred.learner WHERE email = 'marie@example.fr')) AS fcred \gset
SELECT document AS fdoc FROM microcred.issued_credential WHERE id = :'fcred' \gset
SELECT microcred.status_list_credential(l.id) AS frlist FROM microcred.status_list l JOIN microcred.status_entry e ON e.list_id = l.id
 WHERE e.credential_id = :'fcred' AND e.purpose = 'revocation' \gset
SELECT microcred.status_list_credential(l.id) AS fslist FROM microcred.status_list l JOIN microcred.status_entry e ON e.list_id = l.id
 WHERE e.credential_id = :'fcred' AND e.purpose = 'suspension' \gset
-- (as far as verification can tell, u-exemple's lists are now someone else's)
UPDATE microcred.status_list SET url = url || '#moved-away' WHERE issuer_id = (SELECT id FROM microcred.issuer WHERE handle = 'u-exemple');
SELECT valid, pg_temp.status(v) FROM microcred.verify(:'fdoc'::jsonb) v;
SELECT valid, pg_temp.status(v) FROM microcred.verify(:'fdoc'::jsonb, ARRAY[:'frlist', :'fslist']::jsonb[]) v;
-- a list with a bad proof, a list of another issuer, a list that is not GZIP, too short, out of range, wrong purpose
SELECT valid, pg_temp.failed(v) FROM microcred.verify(:'fdoc'::jsonb, ARRAY[
    jsonb_set(:'frlist'::jsonb, '{credentialSubject,encodedList}', to_jsonb(microcred._status_encode(131072, '{1,2,3}'))),
    :'fslist'::jsonb]) v;
-- a genuine list, but signed by another issuer (th-beispiel signs a list under u-exemple's list URL)
BEGIN;
SELECT url AS rlist_url FROM microcred.status_list WHERE id = :'rlist' \gset
UPDATE microcred.status_list SET url = :'frlist'::jsonb ->> 'id', published = NULL WHERE id = :'rlist';
SELECT microcred.status_list_credential(:'rlist') AS imposter \gset
UPDATE microcred.status_list SET url = :'rlist_url' WHERE id = :'rlist';
SELECT (microcred.verify(:'imposter'::jsonb)).valid AS imposter_list_itself_verifies;
SELECT valid, regexp_replace(pg_temp.failed(v), 'https://\S+', '<issuer>', 'g') AS failed FROM microcred.verify(:'fdoc'::jsonb, ARRAY[
    :'imposter'::jsonb, :'fslist'::jsonb]) v;
ROLLBACK;
SELECT problem FROM microcred._status_check(:'fdoc'::jsonb -> 'credentialStatus' -> 0,
    jsonb_set(:'frlist'::jsonb, '{credentialSubject,encodedList}', '"uH4sIAAAAAAAAA-tonty"'));
SELECT problem FROM microcred._status_check(:'fdoc'::jsonb -> 'credentialStatus' -> 0,
    jsonb_set(:'frlist'::jsonb, '{credentialSubject,encodedList}', '"uAAAA"'));
SELECT problem FROM microcred._status_check(jsonb_set(:'fdoc'::jsonb -> 'credentialStatus' -> 0, '{statusListIndex}', '"200000"'), :'frlist'::jsonb);
SELECT problem FROM microcred._status_check(:'fdoc'::jsonb -> 'credentialStatus' -> 1, :'frlist'::jsonb);
SELECT problem FROM microcred._status_check(jsonb_set(:'fdoc'::jsonb -> 'credentialStatus' -> 0, '{statusListIndex}', '"-1"'), :'frlist'::jsonb);
-- (u-exemple's lists are its own again)
UPDATE microcred.status_list SET url = replace(url, '#moved-away', '') WHERE url LIKE '%#moved-away';

-- the audit chain: every event, chained; nobody edits it; tampering is detected
SELECT action, count(*) FROM microcred.audit_log GROUP BY action ORDER BY action;
SELECT ok, links > 0 AS has_links, first_bad_seq, problem FROM microcred.audit_verify('th-beispiel');
UPDATE microcred.audit_log SET reason = 'nothing happened' WHERE seq = 3;
DELETE FROM microcred.audit_log WHERE seq = 3;
TRUNCATE microcred.audit_log;
SET ROLE regress_mc_admin;
DELETE FROM microcred.audit_log;
RESET ROLE;
BEGIN;
ALTER TABLE microcred.audit_log DISABLE TRIGGER audit_log_append_only;
UPDATE microcred.audit_log SET reason = 'nothing happened'
 WHERE issuer_id = (SELECT id FROM microcred.issuer WHERE handle = 'th-beispiel') AND seq = 5;
SELECT ok, first_bad_seq, problem FROM microcred.audit_verify('th-beispiel');
ROLLBACK;
BEGIN;
ALTER TABLE microcred.audit_log DISABLE TRIGGER audit_log_append_only;
DELETE FROM microcred.audit_log WHERE issuer_id = (SELECT id FROM microcred.issuer WHERE handle = 'th-beispiel') AND seq = 7;
SELECT ok, first_bad_seq, problem FROM microcred.audit_verify('th-beispiel');
ROLLBACK;
BEGIN;
ALTER TABLE microcred.audit_log DISABLE TRIGGER audit_log_append_only;
UPDATE microcred.audit_log SET seq = -seq WHERE issuer_id = (SELECT id FROM microcred.issuer WHERE handle = 'th-beispiel') AND seq >= 9;
UPDATE microcred.audit_log SET seq = -seq + 1 WHERE issuer_id = (SELECT id FROM microcred.issuer WHERE handle = 'th-beispiel') AND seq < 0;
INSERT INTO microcred.audit_log (issuer_id, seq, at, actor, action, subject, reason, details, prev_hash, hash)
SELECT issuer_id, 9, at, actor, 'revoke', subject, 'forged', details, hash, hash
  FROM microcred.audit_log WHERE issuer_id = (SELECT id FROM microcred.issuer WHERE handle = 'th-beispiel') AND seq = 8;
SELECT ok, first_bad_seq, problem FROM microcred.audit_verify('th-beispiel');
ROLLBACK;
-- removing links from the end is seen against an anchor kept outside the database
SELECT seq AS anchor_seq, hash AS anchor_hash FROM microcred.audit_anchor('th-beispiel') \gset
SELECT ok FROM microcred.audit_verify('th-beispiel', :anchor_seq, :'anchor_hash');
BEGIN;
ALTER TABLE microcred.audit_log DISABLE TRIGGER audit_log_append_only;
DELETE FROM microcred.audit_log WHERE issuer_id = (SELECT id FROM microcred.issuer WHERE handle = 'th-beispiel')
   AND seq >= :anchor_seq - 1;
SELECT ok, problem LIKE 'the chain ends at link %, before the anchor''s link %' AS tail_removed
  FROM microcred.audit_verify('th-beispiel', :anchor_seq, :'anchor_hash');
ROLLBACK;
SELECT ok, problem FROM microcred.audit_verify('th-beispiel', :anchor_seq, 'deadbeef');
SELECT ok FROM microcred.audit_verify('th-beispiel');

-- erasure: no personal data left anywhere; credentials and their status stay valid
SELECT id AS emmy FROM microcred.learner WHERE email = 'emmy.noether@example.org' \gset
SELECT id AS lise FROM microcred.learner WHERE email = 'chien-shiung.wu@example.org' \gset
SELECT document AS lise_doc FROM microcred.issued_credential WHERE learner_id = :'lise' AND status = 'active' \gset
SELECT microcred.erase_learner(:'emmy');
SELECT microcred.erase_learner(:'lise', 'learner request, ticket 4711');
\set VERBOSITY terse
SELECT microcred.erase_learner(:'lise');
\set VERBOSITY default
SELECT email, given_name, family_name, student_id, erased_at IS NOT NULL AS tombstone FROM microcred.learner WHERE id IN (:'emmy', :'lise');
-- search every table of the schema for the e-mail addresses, names and student id
SELECT c.relname AS table_with_pii
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'microcred'
 WHERE c.relkind = 'r'
   AND (xpath('/row/c/text()', query_to_xml(format(
         'SELECT count(*) AS c FROM microcred.%I t WHERE t::text ~* %L', c.relname,
         'emmy\.noether|chien-shiung\.wu|Noether|Emmy'), false, true, '')))[1]::text::int > 0;
-- the stored document that showed the name is gone; the one with hashes only stays and still verifies
SELECT count(*) FILTER (WHERE document IS NULL) AS dropped, count(*) FILTER (WHERE document IS NOT NULL) AS kept
  FROM microcred.issued_credential WHERE learner_id IN (:'emmy', :'lise') AND status = 'active';
SELECT valid, pg_temp.status(v) FROM microcred.verify(:'lise_doc'::jsonb) v;
\set VERBOSITY terse
SELECT microcred.document(id) FROM microcred.issued_credential WHERE learner_id = :'emmy';
\set VERBOSITY default
SELECT ok FROM microcred.audit_verify('th-beispiel');

-- expiry: credentials with a validUntil ahead, for reminders
SELECT count(*) > 0 AS some_expiring, bool_and(days_left BETWEEN 1 AND 1100) AS days_plausible
  FROM microcred.expiring_credentials;
SELECT count(*) AS expired_not_listed FROM microcred.expiring_credentials WHERE valid_until < now();

-- the keyed permutation behind status list indexes: a bijection on [0, size) that depends on the key
SELECT count(DISTINCT p) AS distinct_indexes, min(p) AS lo, max(p) AS hi,
       count(*) FILTER (WHERE p = n) < 100 AS not_identity
  FROM (SELECT n, microcred._status_permute('\x01'::bytea, 131072, n) AS p FROM generate_series(0, 131071) n) s;
SELECT count(*) FILTER (WHERE microcred._status_permute('\x01'::bytea, 131072, n)
                            = microcred._status_permute('\x02'::bytea, 131072, n)) < 100 AS key_matters
  FROM generate_series(0, 9999) n;
-- a size that is not a power of 4: cycle walking keeps every index in range, still distinct
SELECT count(DISTINCT p) AS distinct_indexes, max(p) < 1000 AS in_range
  FROM (SELECT microcred._status_permute('\x01'::bytea, 1000, n) AS p FROM generate_series(0, 999) n) s;
SELECT microcred._status_permute('\x01'::bytea, 131072, 131072);
SELECT microcred._status_permute('\x01'::bytea, 131072, -1);
