-- issue: keys, canonical JSON, Open Badges 3.0 documents, eddsa-jcs-2022 and
-- JWT proofs, verification of ours and other issuers' credentials.
-- (runs after catalog.sql and roles.sql in the same database)
\set suite issue
\i sql/fixtures/standalone.sql
\set SHOW_CONTEXT never
\pset null '(null)'
-- what failed, with random ids, keys and times masked
CREATE FUNCTION pg_temp.failed(v microcred.verification) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(c->>'check' || ': ' ||
        regexp_replace(c->>'reason', 'z[1-9A-HJ-NP-Za-km-z]{40,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]+Z',
                       '<x>', 'g'), '; '), 'nothing')
      FROM jsonb_array_elements(v.checks) c WHERE c->>'result' = 'fail' $$;
CREATE FUNCTION pg_temp.results(v microcred.verification) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(c->>'check' || '=' || (c->>'result'), ' ') FROM jsonb_array_elements(v.checks) c $$;

-- JCS (RFC 8785) through SQL: key order by UTF-16 code units, ES numbers, minimal escapes
SELECT microcred.canonicalize('{"b": 2, "a": [1e21, 0.000001, 1e-7, 4.50, -0, "\u20ac\n\u0007"], "\u00e9": true, "\ud83d\ude00": null, "\uffff": 1}'::jsonb, 'jcs');
\set vec `cat tests/data/jcs/input/values.json`
\set out `cat tests/data/jcs/output/values.json`
SELECT microcred.canonicalize(:'vec', 'jcs') = :'out' AS jcs_vector_values;
\set vec `cat tests/data/jcs/input/weird.json`
\set out `cat tests/data/jcs/output/weird.json`
SELECT microcred.canonicalize(:'vec', 'jcs') = :'out' AS jcs_vector_weird;
-- text input is strict I-JSON; jsonb input has already dropped duplicates
SELECT microcred.canonicalize('{"a": 1, "a": 2}', 'jcs');
SELECT microcred.canonicalize('["\ud800"]', 'jcs');
SELECT microcred.canonicalize('[NaN]', 'jcs');
SELECT microcred.canonicalize('[1e400]', 'jcs');
SELECT microcred.canonicalize('{}'::jsonb, 'c14n');

-- this suite covers eddsa-jcs-2022 (the default, eddsa-rdfc-2022, has sql/rdfc.sql)
UPDATE microcred.issuer SET proof_format = 'eddsa-jcs-2022' WHERE handle = 'th-beispiel';

-- without a key-encryption key no key can be made: a clear error that says how to make one
SELECT microcred.version() IS NOT NULL AS loaded;
ALTER SYSTEM SET microcred.kek_file = '';
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);
SELECT microcred.generate_key('th-beispiel');
-- a KEK file with the wrong content is refused too
COPY (SELECT repeat('ab', 16)) TO '/tmp/microcred_regress_bad.kek';
ALTER SYSTEM SET microcred.kek_file = '/tmp/microcred_regress_bad.kek';
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);
SELECT microcred.generate_key('th-beispiel');
ALTER SYSTEM RESET microcred.kek_file;
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);

-- keys: none yet, then Ed25519 (default), P-256 and RSA
SELECT microcred.add_learner(issuer => 'th-beispiel', email => 'Grace.Hopper@example.org', given_name => 'Grace',
    family_name => 'Hopper', student_id => 'S-1906', name_in_credential => true) AS grace \gset
SELECT microcred.issue('th-beispiel/DPN-101', :'grace');
SELECT microcred.generate_key('th-beispiel') IS NOT NULL AS ed25519,
       microcred.generate_key('th-beispiel', 'P-256') IS NOT NULL AS p256,
       microcred.generate_key('th-beispiel', 'RSA') IS NOT NULL AS rsa;
SELECT microcred.generate_key('th-beispiel', 'secp256k1');
SELECT algorithm, state, verification_method LIKE 'https://credentials.th-beispiel.de/issuers/th-beispiel#%' AS vm_under_issuer,
       left(public_key_multibase, 4) AS multibase, public_jwk ->> 'kty' AS kty, left(did_key, 12) AS did_key
  FROM microcred.issuer_keys ORDER BY algorithm;
-- the private key is nowhere to be read
SELECT count(*) AS columns_with_private FROM information_schema.columns
 WHERE table_schema = 'microcred' AND table_name IN ('issuer_keys', 'issuer_keys_report') AND column_name LIKE '%private%';
SET ROLE regress_mc_admin;
SELECT sealed_private FROM microcred.signing_key;
RESET ROLE;
-- public keys between formats: Multikey, did:key and JWK give the same SPKI
SELECT algorithm, public_key_multibase, did_key, public_jwk ->> 'x' AS jwk_x, fragment = public_key_multibase AS fragment_is_multikey
  FROM microcred.public_key_info(microcred.public_key('z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi'));
SELECT microcred.public_key('did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi')
       = microcred.public_key('z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi') AS did_key_same,
       microcred.public_key((microcred.public_key_info(microcred.public_key('z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi'))).public_jwk::text)
       = microcred.public_key('z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi') AS jwk_same;
SELECT microcred.public_key('z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwX');
SELECT microcred.public_key('{"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}');

-- the controller document lists every valid key
SELECT jsonb_array_length(d -> 'verificationMethod') AS methods,
       d -> 'verificationMethod' -> 0 ->> 'type' AS first_type,
       d ->> 'id' = (SELECT public_id FROM microcred.issuer WHERE handle = 'th-beispiel') AS id_ok
  FROM microcred.controller_document('th-beispiel') d;

-- issue: one document with every EU element, signed, stored once
SELECT microcred.issue('th-beispiel/DPN-101', :'grace', grade => '1.3',
        evidence => '[{"id": "https://moodle.th-beispiel.de/mod/assign/view.php?id=7", "name": "Final project"}]',
        idempotency_key => 'moodle:8:1906') AS cred \gset
SELECT microcred.issue('th-beispiel/DPN-101', :'grace', idempotency_key => 'moodle:8:1906') = :'cred' AS same_key_same_credential;
SELECT count(*) AS credentials FROM microcred.issued_credential WHERE idempotency_key = 'moodle:8:1906';
SELECT document -> '@context' AS context, document -> 'type' AS type, document ->> 'name' AS name,
       document -> 'issuer' -> 'address' AS address,
       document -> 'issuer' -> 'otherIdentifier' AS legal_ids,
       document ->> 'validFrom' = document ->> 'awardedDate' AS awarded_on_issue,
       (document ->> 'validUntil')::timestamptz - (document ->> 'validFrom')::timestamptz AS validity
  FROM microcred.issued_credential WHERE id = :'cred';
SELECT a ->> 'achievementType' AS achievement_type, a ->> 'name' AS title, a ->> 'creditsAvailable' AS ects,
       a ->> 'humanCode' AS code, a ->> 'inLanguage' AS lang,
       jsonb_path_query_array(a, '$.alignment[*].targetType') AS alignment_types,
       jsonb_path_query_array(a, '$.alignment[*].targetUrl') AS alignment_urls
  FROM (SELECT document -> 'credentialSubject' -> 'achievement' AS a FROM microcred.issued_credential WHERE id = :'cred') x;
SELECT document -> 'credentialSubject' -> 'achievement' -> 'criteria' ->> 'narrative' AS narrative
  FROM microcred.issued_credential WHERE id = :'cred';
SELECT s -> 'type' AS subject_type, s ->> 'creditsEarned' AS credits_earned, s -> 'result' -> 0 ->> 'value' AS grade,
       jsonb_path_query_array(s, '$.identifier[*].identityType') AS identity_types,
       (s -> 'identifier' -> 0 ->> 'identityHash') =
           'sha256$' || encode(sha256(convert_to('grace.hopper@example.org' || (s -> 'identifier' -> 0 ->> 'salt'), 'UTF8')), 'hex') AS email_hash_ok,
       s::text LIKE '%grace.hopper%' AS email_in_clear
  FROM (SELECT document -> 'credentialSubject' AS s FROM microcred.issued_credential WHERE id = :'cred') x;
SELECT document -> 'evidence' AS evidence FROM microcred.issued_credential WHERE id = :'cred';
SELECT p ->> 'type' AS type, p ->> 'cryptosuite' AS suite, p ->> 'proofPurpose' AS purpose,
       p ->> 'proofValue' ~ '^z[1-9A-HJ-NP-Za-km-z]{80,90}$' AS proof_value_ok
  FROM (SELECT document -> 'proof' AS p FROM microcred.issued_credential WHERE id = :'cred') x;

-- the document builder on its own (unsigned): the same document without proof and with another salt
SELECT microcred._credential_document(c, t, i, l, 'another-salt', p.achievement, p.profile) - 'credentialSubject'
       = (c.document - 'proof' - 'credentialSubject' - 'credentialStatus') AS same_but_subject,
       microcred._credential_document(c, t, i, l, 'another-salt', p.achievement, p.profile) ? 'proof' AS has_proof
  FROM microcred.issued_credential c JOIN microcred.credential_type t ON t.id = c.credential_type_id
  JOIN microcred.issuer i ON i.id = c.issuer_id JOIN microcred.learner l ON l.id = c.learner_id
  JOIN microcred.document_part p ON p.credential_type_id = t.id
 WHERE c.id = :'cred';
-- the signing functions on their own: any credential of the issuer, its active keys
SELECT jsonb_build_object('@context', jsonb_build_array('https://www.w3.org/ns/credentials/v2'),
           'type', jsonb_build_array('VerifiableCredential'), 'issuer', i.public_id,
           'validFrom', '2026-01-01T00:00:00Z', 'credentialSubject', jsonb_build_object('id', 'did:example:x')) AS plain
  FROM microcred.issuer i WHERE i.handle = 'th-beispiel' \gset
SELECT s.suite, v.valid, v.cryptosuite
  FROM (VALUES ('eddsa-jcs-2022'), ('eddsa-rdfc-2022')) AS s(suite),
       microcred.signing_key k JOIN microcred.issuer i ON i.id = k.issuer_id,
       LATERAL microcred.verify(microcred._sign_di(:'plain'::jsonb, s.suite, k.id, k.issuer_id,
                                                   i.public_id || '#' || k.fragment, now())) v
 WHERE i.handle = 'th-beispiel' AND k.algorithm = 'Ed25519' AND k.state = 'active' ORDER BY 1;
SELECT v.valid, v.format, v.cryptosuite
  FROM microcred.signing_key k JOIN microcred.issuer i ON i.id = k.issuer_id,
       LATERAL microcred.verify(microcred._sign_jwt(:'plain'::jsonb, 'vc-jwt', k.id, k.issuer_id, 'ES256',
                                                    i.public_id || '#' || k.fragment)) v
 WHERE i.handle = 'th-beispiel' AND k.algorithm = 'P-256' AND k.state = 'active';

-- it verifies (the key is the issuer's own, so it is bound to the issuer)
SELECT valid, format, cryptosuite, pg_temp.results(v)
  FROM microcred.issued_credential c, microcred.verify(c.document) v WHERE c.id = :'cred';
-- as text, too
SELECT (microcred.verify(document::text)).valid FROM microcred.issued_credential WHERE id = :'cred';

-- every tamper fails
SELECT document AS doc FROM microcred.issued_credential WHERE id = :'cred' \gset
SELECT 'claim' AS tamper, valid, pg_temp.failed(v) FROM microcred.verify(jsonb_set(:'doc', '{name}', '"Data Protection for Nurset"')) v
UNION ALL
SELECT 'grade', valid, pg_temp.failed(v) FROM microcred.verify(jsonb_set(:'doc', '{credentialSubject,result,0,value}', '"1.0"')) v
UNION ALL
SELECT 'ects', valid, pg_temp.failed(v) FROM microcred.verify(jsonb_set(:'doc', '{credentialSubject,creditsEarned}', '20')) v
UNION ALL
SELECT 'proof value', valid, pg_temp.failed(v)
  FROM microcred.verify(jsonb_set(:'doc', '{proof,proofValue}',
        to_jsonb(overlay(:'doc'::jsonb #>> '{proof,proofValue}' placing
                 CASE WHEN substr(:'doc'::jsonb #>> '{proof,proofValue}', 10, 1) = 'A' THEN 'B' ELSE 'A' END from 10 for 1)))) v
UNION ALL
SELECT 'proof created', valid, pg_temp.failed(v) FROM microcred.verify(jsonb_set(:'doc', '{proof,created}', '"2020-01-01T00:00:00Z"')) v
UNION ALL
SELECT 'unknown cryptosuite', valid, pg_temp.failed(v) FROM microcred.verify(jsonb_set(:'doc', '{proof,cryptosuite}', '"ecdsa-rdfc-2019"')) v
UNION ALL
SELECT 'proof missing', valid, pg_temp.failed(v) FROM microcred.verify(:'doc'::jsonb - 'proof') v
UNION ALL
SELECT 'proof purpose', valid, pg_temp.failed(v) FROM microcred.verify(jsonb_set(:'doc', '{proof,proofPurpose}', '"authentication"')) v
UNION ALL
SELECT 'not a VC', valid, pg_temp.failed(v) FROM microcred.verify(jsonb_set(:'doc', '{type}', '["OpenBadgeCredential"]')) v;

-- wrong key: the proof claims another key of the same issuer (P-256 key id) or a foreign did:key
SELECT 'wrong key' AS tamper, valid, pg_temp.failed(v)
  FROM microcred.verify(jsonb_set(:'doc', '{proof,verificationMethod}',
        to_jsonb((SELECT verification_method FROM microcred.issuer_keys WHERE algorithm = 'P-256')))) v
UNION ALL
SELECT 'did:key of another', valid, pg_temp.failed(v)
  FROM microcred.verify(jsonb_set(:'doc', '{proof,verificationMethod}',
        '"did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"')) v
UNION ALL
SELECT 'unresolvable', valid, pg_temp.failed(v)
  FROM microcred.verify(jsonb_set(:'doc', '{proof,verificationMethod}', '"https://elsewhere.example/keys/1"')) v;

-- bad input of every kind is a result, not an error
SELECT 'malformed JSON' AS input, valid, pg_temp.failed(v) FROM microcred.verify('{"@context": [') v
UNION ALL
SELECT 'duplicate keys', valid, pg_temp.failed(v) FROM microcred.verify('{"id": "a", "id": "b"}') v
UNION ALL
SELECT 'lone surrogate', valid, pg_temp.failed(v) FROM microcred.verify('{"name": "\udc00"}') v
UNION ALL
SELECT 'NaN', valid, pg_temp.failed(v) FROM microcred.verify('{"n": NaN}') v
UNION ALL
SELECT '10 MB', valid, pg_temp.failed(v) FROM microcred.verify('{"a": "' || repeat('x', 10 * 1024 * 1024) || '"}') v
UNION ALL
SELECT 'not an object', valid, pg_temp.failed(v) FROM microcred.verify('[1, 2]'::jsonb) v;

-- dates: expired and not yet valid
SELECT microcred.add_learner(issuer => 'th-beispiel', email => 'old@example.org') AS old_learner \gset
SELECT microcred.add_learner(issuer => 'th-beispiel', email => 'future@example.org') AS future_learner \gset
SELECT microcred.issue('th-beispiel/DPN-101', :'old_learner', issued_at => now() - interval '4 years') AS old_cred \gset
SELECT microcred.issue('th-beispiel/DPN-101', :'future_learner', issued_at => now() + interval '2 days') AS future_cred \gset
SELECT 'expired' AS case, valid, pg_temp.failed(v)
  FROM microcred.issued_credential c, microcred.verify(c.document) v WHERE c.id = :'old_cred'
UNION ALL
SELECT 'not yet valid', valid, pg_temp.failed(v)
  FROM microcred.issued_credential c, microcred.verify(c.document) v WHERE c.id = :'future_cred';

-- JWT envelopes: Open Badges 3.0 VC-JWT (RS256, ES256) and W3C VC-JOSE (EdDSA, ES256)
CREATE FUNCTION pg_temp.b64url(t text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT convert_from(decode(translate(t, '-_', '+/') || repeat('=', (4 - length(t) % 4) % 4), 'base64'), 'UTF8')::jsonb $$;
SELECT f AS format, a AS alg, pg_temp.b64url(split_part(t, '.', 1)) - 'kid' AS header,
       (v).valid, (v).format AS verified_format, (v).cryptosuite, pg_temp.results(v)
  FROM (VALUES ('ob-jwt', 'RS256'), ('ob-jwt', 'ES256'), ('vc-jwt', 'EdDSA'), ('vc-jwt', 'ES256')) AS x(f, a),
       LATERAL microcred.document(:'cred', f, a) t,
       LATERAL microcred.verify_jwt(t) v;
-- the OB form carries the registered claims
SELECT pg_temp.b64url(split_part(microcred.document(:'cred', 'ob-jwt'), '.', 2)) AS p \gset
SELECT :'p'::jsonb ->> 'iss' = (:'doc'::jsonb -> 'issuer' ->> 'id') AS iss_ok,
       :'p'::jsonb ->> 'jti' = (:'doc'::jsonb ->> 'id') AS jti_ok,
       to_timestamp((:'p'::jsonb ->> 'nbf')::numeric) = (:'doc'::jsonb ->> 'validFrom')::timestamptz AS nbf_ok,
       to_timestamp((:'p'::jsonb ->> 'exp')::numeric) = (:'doc'::jsonb ->> 'validUntil')::timestamptz AS exp_ok,
       :'p'::jsonb ? 'proof' AS has_di_proof;
-- a JWT is made once and then served unchanged
SELECT microcred.document(:'cred', 'ob-jwt', 'ES256') = microcred.document(:'cred', 'ob-jwt', 'ES256') AS stable;
SELECT microcred.document(:'cred', 'ob-jwt', 'EdDSA');
SELECT microcred.document(:'cred', 'sd-jwt');
-- JWT bad input: alg none, HS256 with the public key as secret, 2 parts, tampered payload, wrong typ
SELECT microcred.document(:'cred', 'vc-jwt', 'EdDSA') AS jwt \gset
SELECT 'alg none' AS input, valid, pg_temp.failed(v)
  FROM microcred.verify_jwt('eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.' || split_part(:'jwt', '.', 2) || '.c2lnbmF0dXJl') v
UNION ALL
SELECT 'HS256', valid, pg_temp.failed(v)
  FROM microcred.verify_jwt('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.' || split_part(:'jwt', '.', 2) || '.c2lnbmF0dXJl') v
UNION ALL
SELECT '2 parts', valid, pg_temp.failed(v) FROM microcred.verify_jwt(split_part(:'jwt', '.', 1) || '.' || split_part(:'jwt', '.', 2)) v
UNION ALL
SELECT 'tampered payload', valid, pg_temp.failed(v)
  FROM microcred.verify_jwt(split_part(:'jwt', '.', 1) || '.' || rtrim(translate(encode(convert_to(
        replace(convert_from(decode(translate(split_part(:'jwt', '.', 2), '-_', '+/') || repeat('=', (4 - length(split_part(:'jwt', '.', 2)) % 4) % 4), 'base64'), 'UTF8'),
                'Data Protection', 'Data Protektion'), 'UTF8'), 'base64'), E'+/\n', '-_'), '=') || '.' || split_part(:'jwt', '.', 3)) v
UNION ALL
SELECT 'not base64url', valid, pg_temp.failed(v) FROM microcred.verify_jwt('a.b!.c') v;

-- credentials from other issuers: the W3C eddsa-jcs-2022 vector is signed by a did:key nothing binds to its issuer: its signature is intact, issuer_key fails, not valid
\set w3c `cat tests/data/vc-di-eddsa/eddsa-jcs-2022/signedJCS.json`
SELECT valid, cryptosuite, issuer, pg_temp.results(v) FROM microcred.verify(:'w3c'::jsonb) v;
SELECT valid, pg_temp.failed(v) FROM microcred.verify(jsonb_set(:'w3c'::jsonb, '{credentialSubject,alumniOf}', '"The School of Samples"')) v;
-- once an admin registers the issuer's key it is bound to the issuer, and the credential is valid
SELECT microcred.trust_key('https://vc.example/issuers/5678',
    'did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2',
    'z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2', note => 'W3C test vector') IS NOT NULL AS registered;
SELECT valid, pg_temp.results(v) FROM microcred.verify(:'w3c'::jsonb) v;
SELECT microcred.trust_key('https://x.example', 'https://x.example#k', 'not-a-key');

-- set-based issuance
DO $$
BEGIN
    FOR i IN 1 .. 20 LOOP
        PERFORM microcred.add_learner(issuer => 'th-beispiel', email => 'bulk' || i || '@example.org');
    END LOOP;
END $$;
SELECT count(DISTINCT microcred.issue('th-beispiel/DPN-101', id)) AS issued
  FROM microcred.learner WHERE email LIKE 'bulk%';
SELECT count(*) FILTER (WHERE (microcred.verify(document)).valid) AS verified
  FROM microcred.issued_credential c JOIN microcred.learner l ON l.id = c.learner_id WHERE l.email LIKE 'bulk%';
-- issuing twice to the same learner returns the credential they hold
SELECT count(DISTINCT microcred.issue('th-beispiel/DPN-101', id)) AS again, (SELECT count(*) FROM microcred.issued_credential) AS total
  FROM microcred.learner WHERE email LIKE 'bulk%';

-- key rotation: old credentials still verify; a retired key neither signs nor verifies
SELECT microcred.generate_key('th-beispiel') IS NOT NULL AS rotated;
SELECT algorithm, state FROM microcred.issuer_keys WHERE algorithm = 'Ed25519' ORDER BY state;
SELECT (microcred.verify(document)).valid AS old_still_valid FROM microcred.issued_credential WHERE id = :'cred';
SELECT microcred.retire_key(id) FROM microcred.issuer_keys WHERE algorithm = 'Ed25519' AND state = 'standby';
SELECT valid, pg_temp.failed(v) FROM microcred.issued_credential c, microcred.verify(c.document) v WHERE c.id = :'cred';
SELECT microcred.retire_key(id) FROM microcred.issuer_keys WHERE algorithm = 'Ed25519' AND state = 'active';
SELECT microcred.issue('th-beispiel/DPN-101', microcred.add_learner(issuer => 'th-beispiel', email => 'late@example.org'));
\set VERBOSITY terse
SELECT microcred.retire_key(id) FROM microcred.issuer_keys WHERE algorithm = 'Ed25519' AND state = 'retired' LIMIT 1;
\set VERBOSITY default

-- a learner without identification cannot receive a credential
SELECT microcred.generate_key('th-beispiel') IS NOT NULL AS new_key;
SELECT microcred.add_learner(issuer => 'th-beispiel', email => 'gone@example.org') IS NOT NULL AS added;
UPDATE microcred.learner SET email = NULL, student_id = NULL, erased_at = now() WHERE email = 'gone@example.org'
RETURNING id AS erased \gset
SELECT microcred.issue('th-beispiel/DPN-101', :'erased');
SELECT microcred.issue('th-beispiel/NOPE', :'erased');

-- roles: an issuer issues for its own issuer only; a verifier verifies; nobody reads keys
SET ROLE regress_mc_issuer;
SELECT microcred.issue('th-beispiel/DPN-101', microcred.add_learner(issuer => 'th-beispiel', email => 'byrole@example.org')) IS NOT NULL AS issued_by_issuer_role;
SELECT microcred.generate_key('th-beispiel');
SELECT count(*) FROM microcred.signing_key;
RESET ROLE;
SET ROLE regress_mc_other_issuer;
SELECT microcred.issue('th-beispiel/DPN-101', (SELECT id FROM microcred.learner WHERE email = 'late@example.org'));
RESET ROLE;
CREATE ROLE regress_mc_verifier LOGIN IN ROLE microcred_verifier;
SET ROLE regress_mc_verifier;
SELECT valid FROM microcred.verify(:'w3c'::jsonb);
SELECT count(*) AS issued_rows_visible FROM microcred.issued_credential;
SELECT microcred.issue('th-beispiel/DPN-101', :'erased');
RESET ROLE;
