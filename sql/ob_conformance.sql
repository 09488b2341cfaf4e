-- ob_conformance: the Open Badges 3.0 structure check (verify's ob3_structure
-- check, microcred.ob3_check) on foreign credentials signed with an
-- independent key and on ours; what microcred issues conforms (one
-- credentialStatus object, identityType name, every format); suspension as a
-- per-type opt-in, suspend's error without it; credentials with two entries
-- keep verifying and suspending.
-- (runs after events in the same database)
\set suite ob_conformance
\i sql/fixtures/standalone.sql
\set SHOW_CONTEXT never
CREATE FUNCTION pg_temp.chk(v microcred.verification, name text) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(c->>'result' || coalesce(': ' || nullif(c->>'reason', ''), ''), ' | ')
      FROM jsonb_array_elements(v.checks) c WHERE c->>'check' = name $$;
CREATE FUNCTION pg_temp.res(v microcred.verification, name text) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(c->>'result', ',') FROM jsonb_array_elements(v.checks) c WHERE c->>'check' = name $$;
-- an error as sqlstate, message, hint (ids replaced)
CREATE FUNCTION pg_temp.error_of(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; hint text;
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    RETURN st || ': ' || regexp_replace(msg || ' HINT: ' || hint,
        '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g');
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.chk(microcred.verification, text), pg_temp.res(microcred.verification, text),
    pg_temp.error_of(text) TO PUBLIC;

-- 1. foreign credentials: a did:key issuer of our own making (Python, not
-- microcred), eddsa-jcs-2022; each variant breaks or bends one OB 3.0 rule
\set foreign `python3 tests/lib/ob_foreign.py`
SET ROLE regress_mc_verifier;
SELECT f->>'case' AS case, v.valid, pg_temp.res(v, 'signature') AS signature,
       pg_temp.res(v, 'status') AS status, pg_temp.chk(v, 'ob3_structure') AS ob3_structure
  FROM jsonb_array_elements(:'foreign'::jsonb) WITH ORDINALITY AS x(f, n), microcred.verify(f->'doc') v
 ORDER BY n;
-- every finding, not only those that fit the check's reason
SELECT f->>'case' AS case, microcred.ob3_check(f->'doc') - 'findings' AS summary,
       (SELECT string_agg(g->>'pointer', ', ') FROM jsonb_array_elements(microcred.ob3_check(f->'doc')->'findings') g) AS pointers
  FROM jsonb_array_elements(:'foreign'::jsonb) WITH ORDINALITY AS x(f, n)
 WHERE f->>'case' IN ('conforming', 'no criteria', 'two credentialStatus entries') ORDER BY n;
-- the same credential given as text: the check runs there too
SELECT (microcred.verify((f->'doc')::text)).valid AS text_valid,
       pg_temp.res(microcred.verify((f->'doc')::text), 'ob3_structure') AS text_ob3
  FROM jsonb_array_elements(:'foreign'::jsonb) f WHERE f->>'case' = 'no achievement';
-- not an Open Badges credential: skipped
SELECT microcred.ob3_check('{"type": ["VerifiableCredential"], "credentialSubject": {}}') AS plain_vc;
RESET ROLE;

-- 2. what we issue: every optional element, as an issuer role would
SET ROLE regress_mc_admin;
SELECT microcred.add_learner(issuer => 'th-beispiel', email => 'emmy.noether@example.org', given_name => 'Emmy',
    family_name => 'Noether', student_id => 'S-1882', holder_did => 'did:example:emmy',
    name_in_credential => true) AS emmy \gset
RESET ROLE;
SET ROLE regress_mc_issuer;
SELECT microcred.issue('th-beispiel/DPN-101', :'emmy', grade => '1.0',
    evidence => '[{"id": "https://lms.example/submissions/9", "name": "Ward audit", "narrative": "An audit of a ward."}]') AS full_cred \gset
SELECT microcred.document(:'full_cred')::jsonb AS full_doc \gset
SELECT jsonb_typeof(:'full_doc'::jsonb -> 'credentialStatus') AS credential_status,
       :'full_doc'::jsonb -> 'credentialStatus' ->> 'statusPurpose' AS purpose,
       (SELECT string_agg(i ->> 'identityType' || '/' || (i ->> 'hashed'), ', ')
          FROM jsonb_array_elements(:'full_doc'::jsonb -> 'credentialSubject' -> 'identifier') i) AS identity_types,
       microcred.ob3_check(:'full_doc'::jsonb) - 'findings' AS ob3;
SELECT v.valid, pg_temp.chk(v, 'ob3_structure') AS ob3_structure, pg_temp.res(v, 'status') AS status
  FROM microcred.verify(:'full_doc'::jsonb) v;
-- its JWT forms: the payload is the credential, the check runs on it
SELECT f AS format, v.valid, v.format AS verified_as, pg_temp.chk(v, 'ob3_structure') AS ob3_structure
  FROM (VALUES ('ob-jwt'), ('vc-jwt')) AS x(f), microcred.verify_jwt(microcred.document(:'full_cred', x.f)) v;
RESET ROLE;
-- both Data Integrity suites over the same document
SELECT s.suite, v.valid, pg_temp.res(v, 'ob3_structure') AS ob3_structure
  FROM (VALUES ('eddsa-jcs-2022'), ('eddsa-rdfc-2022')) AS s(suite),
       microcred.signing_key k JOIN microcred.issuer i ON i.id = k.issuer_id,
       LATERAL microcred.verify(microcred._sign_di(:'full_doc'::jsonb - 'proof', s.suite, k.id, k.issuer_id,
                                                   i.public_id || '#' || k.fragment, now())) v
 WHERE i.handle = 'th-beispiel' AND k.algorithm = 'Ed25519' AND k.state = 'active' ORDER BY 1;
-- every document the suites issued so far: no error; only suspendable ones (two entries) warn
SELECT count(*) AS documents,
       sum((microcred.ob3_check(document) ->> 'errors')::int) AS errors,
       count(*) FILTER (WHERE (microcred.ob3_check(document) ->> 'warnings')::int > 0) AS with_warning,
       count(*) FILTER (WHERE jsonb_typeof(document -> 'credentialStatus') = 'array') AS with_two_entries
  FROM microcred.issued_credential WHERE document IS NOT NULL;

-- 3. a document that would not conform is never issued (nothing stored)
SELECT count(*) AS credentials_before FROM microcred.issued_credential \gset
SET ROLE regress_mc_issuer;
SELECT microcred.issue('th-beispiel/DPN-101', microcred.add_learner(issuer => 'th-beispiel', email => 'bad.evidence@example.org'),
    evidence => '[{"type": "Document", "id": "https://lms.example/submissions/10"}]');
SELECT microcred.issue('th-beispiel/DPN-101', microcred.add_learner(issuer => 'th-beispiel', email => 'bad.evidence2@example.org'),
    evidence => '[{"id": "submission 10"}]');
RESET ROLE;
SELECT count(*) = :credentials_before AS nothing_stored FROM microcred.issued_credential;

-- 4. suspension is a per-type opt-in
SET ROLE regress_mc_issuer;
SELECT pg_temp.error_of(format('SELECT microcred.suspend(%L, %L)', :'full_cred', 'identity check pending')) AS suspend_without_entry;
SELECT status FROM microcred.issued_credential WHERE id = :'full_cred';
RESET ROLE;
SET ROLE regress_mc_admin;
SELECT microcred.define_credential(issuer => 'th-beispiel', code => 'DPN-201', title => 'Data Protection in Research',
    description => 'Applying the GDPR to research data.', learning_outcomes => ARRAY['Pseudonymises research data'],
    assessment => ARRAY['written_exam'], participation => 'online', quality_assurance => 'internal',
    ects => 1, eqf_level => 6, suspendable => true) IS NOT NULL AS suspendable_type;
SELECT code, suspendable FROM microcred.credential_type WHERE code IN ('DPN-101', 'DPN-201') ORDER BY code;
-- achievementType: a term of the OB 3.0 vocabulary or an ext: term, checked when defined
SELECT microcred.define_credential(issuer => 'th-beispiel', code => 'ND-1', title => 'Nanodegree', description => 'd',
    learning_outcomes => ARRAY['o'], assessment => ARRAY['oral_exam'], participation => 'online',
    quality_assurance => 'internal', ects => 1, eqf_level => 5, achievement_type => 'Nanodegree');
SELECT microcred.define_credential(issuer => 'th-beispiel', code => 'ND-1', title => 'Nanodegree', description => 'd',
    learning_outcomes => ARRAY['o'], assessment => ARRAY['oral_exam'], participation => 'online',
    quality_assurance => 'internal', ects => 1, eqf_level => 5, achievement_type => 'ext:Nanodegree') IS NOT NULL AS ext_term;
UPDATE microcred.credential_type SET achievement_type = 'Course' WHERE code = 'ND-1';
UPDATE microcred.credential_type SET achievement_type = 'course' WHERE code = 'ND-1';
RESET ROLE;
SET ROLE regress_mc_issuer;
SELECT microcred.issue('th-beispiel/DPN-201', :'emmy') AS susp_cred \gset
SELECT document AS susp_doc FROM microcred.issued_credential WHERE id = :'susp_cred' \gset
SELECT jsonb_typeof(:'susp_doc'::jsonb -> 'credentialStatus') AS credential_status,
       (SELECT string_agg(e ->> 'statusPurpose', ',' ORDER BY e ->> 'statusPurpose')
          FROM jsonb_array_elements(:'susp_doc'::jsonb -> 'credentialStatus') e) AS purposes;
SELECT v.valid, pg_temp.chk(v, 'ob3_structure') AS ob3_structure, pg_temp.res(v, 'status') AS status
  FROM microcred.verify(:'susp_doc'::jsonb) v;
SELECT microcred.suspend(:'susp_cred', 'identity check pending');
SELECT v.valid, pg_temp.res(v, 'status') AS status FROM microcred.verify(:'susp_doc'::jsonb) v;
SELECT microcred.reinstate(:'susp_cred', 'identity confirmed');
SELECT v.valid, pg_temp.res(v, 'status') AS status FROM microcred.verify(:'susp_doc'::jsonb) v;
-- suspend_all refuses the whole batch when one credential cannot be suspended
SELECT pg_temp.error_of(format('SELECT microcred.suspend_all(ARRAY[%L, %L]::uuid[], %L)', :'susp_cred', :'full_cred', 'batch')) AS batch;
SELECT status FROM microcred.issued_credential WHERE id = :'susp_cred';
RESET ROLE;

-- 5. credentials issued with two entries keep them when the type opts out again:
-- they still verify, suspend and reinstate; new ones get one entry
SET ROLE regress_mc_admin;
UPDATE microcred.credential_type SET suspendable = false WHERE code = 'DPN-201';
SELECT microcred.add_learner(issuer => 'th-beispiel', email => 'lisa.randall@example.org') AS lisa \gset
RESET ROLE;
SET ROLE regress_mc_issuer;
SELECT microcred.suspend(:'susp_cred', 'second check');
SELECT v.valid, pg_temp.res(v, 'status') AS status, pg_temp.res(v, 'ob3_structure') AS ob3 FROM microcred.verify(:'susp_doc'::jsonb) v;
SELECT microcred.reinstate(:'susp_cred', 'confirmed again');
SELECT v.valid, pg_temp.res(v, 'status') AS status FROM microcred.verify(:'susp_doc'::jsonb) v;
SELECT microcred.issue('th-beispiel/DPN-201', :'lisa') AS lisa_cred \gset
SELECT jsonb_typeof(document -> 'credentialStatus') AS new_credential_status
  FROM microcred.issued_credential WHERE id = :'lisa_cred';
RESET ROLE;

-- 6. grants: verifiers may check structure, PUBLIC may not
SET ROLE regress_mc_nobody;
SELECT microcred.ob3_check('{}');
RESET ROLE;
