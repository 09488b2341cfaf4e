-- rdfc: JSON-LD to RDF over the bundled contexts, RDF Dataset Canonicalization
-- (RDFC-1.0) and the eddsa-rdfc-2022 proof, in the database.
-- (runs after catalog.sql, roles.sql and issue.sql in the same database)
\set suite rdfc
\i sql/fixtures/standalone.sql
\set SHOW_CONTEXT never
CREATE FUNCTION pg_temp.failed(v microcred.verification) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(c->>'check' || ': ' ||
        regexp_replace(c->>'reason', 'z[1-9A-HJ-NP-Za-km-z]{40,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]+Z',
                       '<x>', 'g'), '; '), 'nothing')
      FROM jsonb_array_elements(v.checks) c WHERE c->>'result' = 'fail' $$;
CREATE FUNCTION pg_temp.results(v microcred.verification) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(c->>'check' || '=' || (c->>'result'), ' ') FROM jsonb_array_elements(v.checks) c $$;

-- the bundled context documents, by exact URL
SELECT url, bundled FROM microcred.jsonld_context ORDER BY url;

-- the W3C vc-di-eddsa eddsa-rdfc-2022 vectors reproduce byte for byte
\set signed `cat tests/data/vc-di-eddsa/eddsa-rdfc-2022/signedDataInt.json`
\set canon `cat tests/data/vc-di-eddsa/eddsa-rdfc-2022/canonDocDataInt.txt`
\set pconfig `cat tests/data/vc-di-eddsa/eddsa-rdfc-2022/proofConfigDataInt.json`
\set pcanon `cat tests/data/vc-di-eddsa/eddsa-rdfc-2022/proofCanonDataInt.txt`
SELECT rtrim(microcred.canonicalize(:'signed'::jsonb - 'proof', 'rdfc-1.0'), E'\n') = rtrim(:'canon', E'\n') AS document_canon,
       rtrim(microcred.canonicalize(:'pconfig'::jsonb, 'rdfc-1.0'), E'\n') = rtrim(:'pcanon', E'\n') AS proof_canon;
SELECT valid, cryptosuite, pg_temp.results(v) FROM microcred.verify(:'signed'::jsonb) v;
\set employ `cat tests/data/vc-di-eddsa/eddsa-rdfc-2022/employ/signedDataInt.json`
\set ecanon `cat tests/data/vc-di-eddsa/eddsa-rdfc-2022/employ/canonDocDataInt.txt`
SELECT rtrim(microcred.canonicalize(:'employ'::jsonb - 'proof', 'rdfc-1.0'), E'\n') = rtrim(:'ecanon', E'\n') AS employ_canon;
SELECT valid, pg_temp.results(v) FROM microcred.verify(:'employ'::jsonb) v;

-- the 1EdTech Open Badges 3.0 vector: canonical document, canonical proof options, signature
\set ob `cat tests/data/ob-v3p0/signed-credential.json`
\set obcanon `cat tests/data/ob-v3p0/document-canon.txt`
\set obpcanon `cat tests/data/ob-v3p0/proof-canon.txt`
SELECT rtrim(microcred.canonicalize(:'ob'::jsonb - 'proof', 'rdfc-1.0'), E'\n') = rtrim(:'obcanon', E'\n') AS ob_document_canon,
       rtrim(microcred.canonicalize((:'ob'::jsonb -> 'proof') - 'proofValue'
                                    || jsonb_build_object('@context', :'ob'::jsonb -> '@context'), 'rdfc-1.0'), E'\n')
           = rtrim(:'obpcanon', E'\n') AS ob_proof_canon,
       encode(sha256(convert_to(microcred.canonicalize(:'ob'::jsonb - 'proof', 'rdfc-1.0'), 'UTF8')), 'hex')
           = '87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773' AS ob_document_hash;
SELECT valid, issuer, pg_temp.results(v) FROM microcred.verify(:'ob'::jsonb) v;
SELECT valid, pg_temp.failed(v) FROM microcred.verify(jsonb_set(:'ob'::jsonb, '{name}', '"Teamwork Badge!"')) v;

-- N-Quads of a JSON-LD document (not canonical: blank nodes in document order)
SELECT microcred.to_nquads('{"@context": "https://www.w3.org/ns/credentials/v2", "id": "urn:x:1",
    "type": "VerifiableCredential", "issuer": "https://issuer.example", "validFrom": "2026-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:learner"}}');

-- issuing: eddsa-rdfc-2022 is the default
UPDATE microcred.issuer SET proof_format = DEFAULT WHERE handle = 'th-beispiel';
SELECT microcred.issue('th-beispiel/DPN-101', microcred.add_learner(issuer => 'th-beispiel',
    email => 'emmy.noether@example.org', given_name => 'Emmy', family_name => 'Noether', name_in_credential => true),
    grade => '1.0') AS cred \gset
SELECT proof_format, document -> 'proof' ->> 'cryptosuite' AS suite FROM microcred.issued_credential WHERE id = :'cred';
SELECT valid, format, cryptosuite, pg_temp.results(v)
  FROM microcred.issued_credential c, microcred.verify(c.document) v WHERE c.id = :'cred';
SELECT document AS doc FROM microcred.issued_credential WHERE id = :'cred' \gset
SELECT array_length(string_to_array(rtrim(microcred.canonicalize(:'doc'::jsonb - 'proof', 'rdfc-1.0'), E'\n'), E'\n'), 1) > 40 AS many_quads,
       microcred.canonicalize(:'doc'::jsonb - 'proof', 'rdfc-1.0') LIKE '%<https://purl.imsglobal.org/spec/vc/ob/vocab.html#creditsEarned> "2.5E0"^^<https://www.w3.org/2001/XMLSchema#float>%' AS ects_canonical_double_form;
-- (the OB 3.0.3 context coerces credits to https://www.w3.org/2001/XMLSchema#float, with https:
-- the canonical form keeps what the context says, and 2.5 takes the xsd:double lexical form)
-- the per-type setting overrides the issuer's
UPDATE microcred.credential_type SET proof_format = 'eddsa-jcs-2022' WHERE code = 'DPN-101';
SELECT microcred.issue('th-beispiel/DPN-101', microcred.add_learner(issuer => 'th-beispiel', email => 'per-type@example.org')) AS per_type \gset
SELECT (microcred.verify(document)).cryptosuite FROM microcred.issued_credential WHERE id = :'per_type';
UPDATE microcred.credential_type SET proof_format = NULL WHERE code = 'DPN-101';

-- tampering: a claim; a proof made over the other canonical form; what RDF does not see
SELECT 'claim' AS tamper, valid, pg_temp.failed(v) FROM microcred.verify(jsonb_set(:'doc', '{name}', '"Data Protection for Nurses!"')) v
UNION ALL
SELECT 'relabelled as jcs', valid, pg_temp.failed(v) FROM microcred.verify(jsonb_set(:'doc', '{proof,cryptosuite}', '"eddsa-jcs-2022"')) v
UNION ALL
SELECT 'number as string', valid, pg_temp.failed(v)
  FROM microcred.verify(jsonb_set(:'doc', '{credentialSubject,creditsEarned}', '"2.5"')) v
UNION ALL
SELECT 'type order (same RDF)', valid, pg_temp.failed(v)
  FROM microcred.verify(jsonb_set(:'doc', '{type}', '["OpenBadgeCredential", "VerifiableCredential"]')) v
UNION ALL
SELECT 'name not NFC', valid, pg_temp.failed(v)
  FROM microcred.verify(jsonb_set(:'doc', '{issuer,name}',
        to_jsonb(normalize(:'doc'::jsonb #>> '{issuer,name}', NFD) || normalize('é', NFD)))) v;
-- and the other way round: a JCS proof relabelled as rdfc
SELECT valid, pg_temp.failed(v)
  FROM microcred.issued_credential c, microcred.verify(jsonb_set(c.document, '{proof,cryptosuite}', '"eddsa-rdfc-2022"')) v
 WHERE c.proof_format = 'eddsa-jcs-2022' AND (microcred.verify(c.document)).valid LIMIT 1;

-- JSON-LD bad input: in canonicalize an error, in verify a failed check
SELECT microcred.canonicalize('{"@context": ["https://www.w3.org/ns/credentials/v2", "https://example.org/unknown-context"], "id": "urn:x:1"}'::jsonb, 'rdfc-1.0');
-- (a context appended after the ones the proof covers is allowed by Data Integrity, unsigned: a warning)
SELECT valid, (SELECT c ->> 'reason' FROM jsonb_array_elements(v.checks) c WHERE c ->> 'check' = 'context') AS context_check
  FROM microcred.verify(jsonb_set(:'doc', '{@context}',
    '["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json", "https://evil.example/context.json"]')) v;
-- an undefined term (VC 1.1 context, no @vocab) would be dropped: an error, not silent loss
SELECT microcred.canonicalize('{"@context": "https://www.w3.org/2018/credentials/v1", "id": "urn:x:1", "type": "VerifiableCredential",
    "issuer": "https://issuer.example", "issuanceDate": "2020-01-01T00:00:00Z", "credentialSubject": {"favouriteColour": "blue"}}'::jsonb, 'rdfc-1.0');
-- redefining a protected term
SELECT microcred.canonicalize('{"@context": ["https://www.w3.org/ns/credentials/v2", {"name": "https://evil.example/name"}],
    "id": "urn:x:1", "name": "x"}'::jsonb, 'rdfc-1.0');
-- a relative IRI as id
SELECT microcred.canonicalize('{"@context": "https://www.w3.org/ns/credentials/v2", "id": "credentials/1", "type": "VerifiableCredential"}'::jsonb, 'rdfc-1.0');
-- 10,000 levels of nesting
SELECT microcred.canonicalize((repeat('{"a":', 10000) || '1' || repeat('}', 10000))::jsonb, 'rdfc-1.0');
SELECT valid, pg_temp.failed(v) FROM microcred.verify(repeat('[', 10000) || repeat(']', 10000)) v;
-- a graph built to blow up N-degree hashing: refused by the work bound, in bounded time
SELECT microcred.canonicalize(jsonb_build_object('@graph', (
    SELECT jsonb_agg(jsonb_build_object('@id', '_:n' || i, 'http://example.org/p',
             (SELECT jsonb_agg(jsonb_build_object('@id', '_:n' || j)) FROM generate_series(0, 15) j WHERE j <> i)))
      FROM generate_series(0, 15) i)), 'rdfc-1.0');
-- text that is not NFC cannot enter a credential
SELECT microcred.define_credential(issuer => 'th-beispiel', code => 'NFD-1', title => normalize('Café culture', NFD),
    description => 'd', learning_outcomes => ARRAY['o'], assessment => ARRAY['oral_exam'], participation => 'online',
    quality_assurance => 'internal', ects => 1, eqf_level => 5);

-- an additional context, registered by an admin, resolves; bundled ones cannot be replaced
SELECT microcred.register_context('https://credentials.th-beispiel.de/contexts/ext-v1.json',
    '{"@context": {"@protected": true, "campus": "https://credentials.th-beispiel.de/vocab#campus"}}');
SELECT microcred.to_nquads('{"@context": ["https://www.w3.org/ns/credentials/v2", "https://credentials.th-beispiel.de/contexts/ext-v1.json"],
    "id": "urn:x:2", "campus": "Nord"}');
SELECT microcred.register_context('https://www.w3.org/ns/credentials/v2', '{"@context": {}}');
SELECT microcred.register_context('ftp://x.example/c', '{"@context": {}}');
SELECT microcred.register_context('https://x.example/c', '{"no": "context"}');
SET ROLE regress_mc_issuer;
SELECT microcred.register_context('https://x.example/c', '{"@context": {}}');
RESET ROLE;
