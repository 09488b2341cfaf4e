/*
 * 0.1 -> 0.2, part 20: verification you can rely on (issue 13).
 *
 *   - microcred.verification loses "trusted": valid now means a key bound to
 *     the issuer signed it (and it still stands), so trusted said nothing more.
 *     The type is dropped and made again (ALTER TYPE ... DROP ATTRIBUTE would
 *     leave a dropped attribute a fresh install does not have), and with it
 *     every function that takes or returns it;
 *   - the verify functions take controller_documents jsonb[] and are VOLATILE
 *     (they see status rows written earlier in the same statement);
 *   - status lists passed in count only if they verify for the credential's
 *     issuer; recognise() no longer reads "trusted";
 *   - trust_controller_document() registers an issuer's assertionMethod keys;
 *   - the OB 3.0.0/3.0.1/3.0.2, extensions and Ed25519Signature2020 contexts.
 */

DROP FUNCTION microcred.verify(jsonb, jsonb[]);
DROP FUNCTION microcred.verify(text, jsonb[]);
DROP FUNCTION microcred.verify_jwt(text, jsonb[]);
DROP FUNCTION microcred._with_status(microcred.verification, jsonb[]);
DROP FUNCTION microcred._verify_document(jsonb);
DROP FUNCTION microcred._verify_text(text);
DROP FUNCTION microcred._verify_token(text);
DROP TYPE microcred.verification;
CREATE TYPE microcred.verification AS (
    valid           boolean,
    format          text,
    cryptosuite     text,
    issuer          text,
    credential_id   text,
    checks          jsonb,
    credential_status jsonb
);
COMMENT ON TYPE microcred.verification IS
    'result of verifying a credential: valid (no check failed: a key bound to the issuer signed it, it is in its validity period and not revoked or suspended), each check with pass/fail/warn/skip and a reason, and the credential''s credentialStatus entries';


CREATE FUNCTION microcred._verify_document(credential jsonb, controller_documents jsonb[])
RETURNS microcred.verification
LANGUAGE C STRICT STABLE
AS 'MODULE_PATHNAME', 'microcred_verify_jsonb';
COMMENT ON FUNCTION microcred._verify_document(jsonb, jsonb[]) IS
    'internal: verify the proofs of a credential secured with Data Integrity, keys bound to the issuer by registration, by the controller documents given, or as its did:key (status: see microcred.verify)';

CREATE FUNCTION microcred._verify_text(credential text, controller_documents jsonb[])
RETURNS microcred.verification
LANGUAGE C STRICT STABLE
AS 'MODULE_PATHNAME', 'microcred_verify_text';
COMMENT ON FUNCTION microcred._verify_text(text, jsonb[]) IS
    'internal: verify a credential given as strict I-JSON text or as a compact JWT (status: see microcred.verify)';

CREATE FUNCTION microcred._verify_token(token text, controller_documents jsonb[])
RETURNS microcred.verification
LANGUAGE C STRICT STABLE
AS 'MODULE_PATHNAME', 'microcred_verify_jwt';
COMMENT ON FUNCTION microcred._verify_token(text, jsonb[]) IS
    'internal: verify a JWT credential (status: see microcred.verify_jwt)';

-- add the status checks of a credential's credentialStatus entries to a verification.
-- VOLATILE: it must see status rows written earlier in the same statement
-- (verify(document(issue(...))) in one SELECT); a STABLE function reads the
-- statement's snapshot and would not find them.
CREATE FUNCTION microcred._with_status(v microcred.verification, status_lists jsonb[], controller_documents jsonb[])
RETURNS microcred.verification
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    entry   jsonb;
    list_url     text;
    entry_idx     integer;
    purpose text;
    own     record;
    list    jsonb;
    lv      microcred.verification;
    chk     record;
    checks  jsonb := '[]';
    failed  boolean := false;
BEGIN
    IF v.credential_status IS NULL THEN
        v.checks := v.checks || jsonb_build_object('check', 'status', 'result', 'skip',
                                                   'reason', 'the credential has no credentialStatus');
        RETURN v;
    END IF;
    IF NOT v.valid THEN
        -- what a credential that failed says about its own status is not worth reading
        v.checks := v.checks || jsonb_build_object('check', 'status', 'result', 'skip',
            'reason', format('%s credentialStatus %s not checked: the credential already failed verification',
                             CASE jsonb_typeof(v.credential_status) WHEN 'array' THEN jsonb_array_length(v.credential_status) ELSE 1 END,
                             CASE WHEN jsonb_typeof(v.credential_status) = 'array' AND jsonb_array_length(v.credential_status) <> 1
                                  THEN 'entries were' ELSE 'entry was' END));
        RETURN v;
    END IF;
    FOR entry IN SELECT e FROM jsonb_array_elements(CASE jsonb_typeof(v.credential_status)
                               WHEN 'array' THEN v.credential_status ELSE jsonb_build_array(v.credential_status) END) e
    LOOP
        IF entry ->> 'type' IS DISTINCT FROM 'BitstringStatusListEntry' THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'warn',
                'reason', format('status method %s is not supported', coalesce(entry ->> 'type', '(none)')));
            CONTINUE;
        END IF;
        list_url := entry ->> 'statusListCredential';
        purpose := entry ->> 'statusPurpose';
        SELECT sl.id, sl.purpose, sl.size, i.public_id INTO own
          FROM microcred.status_list sl JOIN microcred.issuer i ON i.id = sl.issuer_id WHERE sl.url = list_url;
        IF own.id IS NOT NULL THEN
            IF own.public_id IS DISTINCT FROM v.issuer THEN
                checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                    'reason', format('the status list %s belongs to %s, not to the credential''s issuer', list_url, own.public_id));
                failed := true;
                CONTINUE;
            END IF;
            IF coalesce(entry ->> 'statusListIndex', '') !~ '^[0-9]{1,9}$' OR (entry ->> 'statusListIndex')::integer >= own.size THEN
                checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                    'reason', format('status list index %s is out of range for %s (%s entries)', entry ->> 'statusListIndex', list_url, own.size));
                failed := true;
                CONTINUE;
            END IF;
            entry_idx := (entry ->> 'statusListIndex')::integer;
            SELECT e.set, e.purpose INTO chk FROM microcred.status_entry e WHERE e.list_id = own.id AND e.idx = entry_idx;
            IF chk IS NULL OR chk.purpose IS DISTINCT FROM purpose OR own.purpose IS DISTINCT FROM purpose THEN
                checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                    'reason', format('%s entry %s of %s was not issued by this list', purpose, entry_idx, list_url));
                failed := true;
            ELSIF chk.set THEN
                checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                    'reason', format('%s: bit %s of %s is set', CASE purpose WHEN 'revocation' THEN 'revoked' ELSE 'suspended' END, entry_idx, list_url));
                failed := true;
            ELSE
                checks := checks || jsonb_build_object('check', 'status', 'result', 'pass',
                    'reason', format('not %s (bit %s of %s)', CASE purpose WHEN 'revocation' THEN 'revoked' ELSE 'suspended' END, entry_idx, list_url));
            END IF;
            CONTINUE;
        END IF;
        -- a foreign list: only from what the caller passed, and only if it
        -- verifies under the same rule as the credential, for the credential's
        -- issuer (a key bound to that issuer signed it)
        SELECT s INTO list FROM unnest(coalesce(status_lists, '{}')) s WHERE s ->> 'id' = list_url LIMIT 1;
        IF list IS NULL THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'warn',
                'reason', format('%s status list %s was not given; pass it in status_lists to check it', purpose, list_url));
            CONTINUE;
        END IF;
        lv := microcred._verify_document(list, coalesce(controller_documents, '{}'));
        IF lv.issuer IS DISTINCT FROM v.issuer THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                'reason', format('the status list %s was issued by %s, not by the credential''s issuer', list_url, coalesce(lv.issuer, '(no issuer)')));
            failed := true;
            CONTINUE;
        END IF;
        IF NOT lv.valid THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                'reason', format('the status list credential %s is not the issuer''s: %s', list_url,
                                 (SELECT string_agg((c ->> 'check') || ': ' || (c ->> 'reason'), '; ')
                                    FROM jsonb_array_elements(lv.checks) c WHERE c ->> 'result' = 'fail')));
            failed := true;
            CONTINUE;
        END IF;
        SELECT * INTO chk FROM microcred._status_check(entry, list);
        IF chk.problem IS NOT NULL THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'fail', 'reason', chk.problem);
            failed := true;
        ELSIF chk.is_set THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                'reason', format('%s: bit %s of %s is set', CASE purpose WHEN 'revocation' THEN 'revoked' ELSE 'suspended' END,
                                 entry ->> 'statusListIndex', list_url));
            failed := true;
        ELSE
            checks := checks || jsonb_build_object('check', 'status', 'result', 'pass',
                'reason', format('not %s (bit %s of %s)', CASE purpose WHEN 'revocation' THEN 'revoked' ELSE 'suspended' END,
                                 entry ->> 'statusListIndex', list_url));
        END IF;
    END LOOP;
    v.checks := v.checks || checks;
    IF failed THEN
        v.valid := false;
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION microcred._with_status(microcred.verification, jsonb[], jsonb[]) IS
    'internal: check the credentialStatus entries of a verified credential against our lists or the given ones (which must verify for the credential''s issuer)';

-- (the wrappers have no SET clause, so they are inlined; their bodies are schema-qualified)
CREATE FUNCTION microcred.verify(credential jsonb, status_lists jsonb[] DEFAULT NULL,
                                 controller_documents jsonb[] DEFAULT NULL)
RETURNS microcred.verification
LANGUAGE sql VOLATILE
AS $$ SELECT microcred._with_status(microcred._verify_document(credential, coalesce(controller_documents, '{}')),
                                    status_lists, controller_documents) $$;
COMMENT ON FUNCTION microcred.verify(jsonb, jsonb[], jsonb[]) IS
    'verify a credential secured with Data Integrity (eddsa-rdfc-2022, eddsa-jcs-2022, Ed25519Signature2020; proof sets and chains), ours or another issuer''s: valid only if a key bound to its issuer signed it (registered, or in a controller document given), including its status: our own lists directly, another issuer''s from the status list credentials given';

CREATE FUNCTION microcred.verify(credential text, status_lists jsonb[] DEFAULT NULL,
                                 controller_documents jsonb[] DEFAULT NULL)
RETURNS microcred.verification
LANGUAGE sql VOLATILE
AS $$ SELECT microcred._with_status(microcred._verify_text(credential, coalesce(controller_documents, '{}')),
                                    status_lists, controller_documents) $$;
COMMENT ON FUNCTION microcred.verify(text, jsonb[], jsonb[]) IS
    'verify a credential given as text: strict I-JSON (duplicate members refused) with a Data Integrity proof, or a compact JWT; keys and status as for verify(jsonb)';

CREATE FUNCTION microcred.verify_jwt(token text, status_lists jsonb[] DEFAULT NULL,
                                     controller_documents jsonb[] DEFAULT NULL)
RETURNS microcred.verification
LANGUAGE sql VOLATILE
AS $$ SELECT microcred._with_status(microcred._verify_token(token, coalesce(controller_documents, '{}')),
                                    status_lists, controller_documents) $$;
COMMENT ON FUNCTION microcred.verify_jwt(text, jsonb[], jsonb[]) IS
    'verify a credential secured as a JWT: Open Badges 3.0 VC-JWT (typ JWT) or W3C VC-JOSE (typ vc+jwt); keys and status as for verify(jsonb)';

REVOKE ALL ON FUNCTION
    microcred._verify_document(jsonb, jsonb[]), microcred._verify_text(text, jsonb[]), microcred._verify_token(text, jsonb[]),
    microcred._with_status(microcred.verification, jsonb[], jsonb[]),
    microcred.verify(jsonb, jsonb[], jsonb[]), microcred.verify(text, jsonb[], jsonb[]), microcred.verify_jwt(text, jsonb[], jsonb[])
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    microcred._verify_document(jsonb, jsonb[]), microcred._verify_text(text, jsonb[]), microcred._verify_token(text, jsonb[])
    TO microcred_admin, microcred_issuer, microcred_verifier;
GRANT EXECUTE ON FUNCTION
    microcred.verify(jsonb, jsonb[], jsonb[]), microcred.verify(text, jsonb[], jsonb[]),
    microcred.verify_jwt(text, jsonb[], jsonb[]),
    microcred._with_status(microcred.verification, jsonb[], jsonb[])
    TO microcred_admin, microcred_issuer, microcred_verifier;

CREATE OR REPLACE FUNCTION microcred._recognise(learner uuid, credential jsonb, status_lists jsonb[], actor name)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l       microcred.learner;
    v       microcred.verification;
    subj    jsonb := CASE jsonb_typeof(credential -> 'credentialSubject')
                     WHEN 'array' THEN credential -> 'credentialSubject' -> 0 ELSE credential -> 'credentialSubject' END;
    ach     jsonb := subj -> 'achievement';
    ident   jsonb;
    mine    boolean := false;
    new_id  uuid;
    eqf     integer;
BEGIN
    SELECT * INTO l FROM microcred.learner lr WHERE lr.id = learner;
    IF l.id IS NULL OR l.erased_at IS NOT NULL THEN
        PERFORM microcred._fail('42704', format('learner %s does not exist', learner), NULL, NULL);
    END IF;
    PERFORM microcred._check_actor(l.issuer_id, actor);
    -- valid: a key bound to the issuer signed it (ours, or registered by an
    -- admin; recognise takes no caller-supplied controller documents), and
    -- the status lists given verify for that issuer
    v := microcred.verify(credential, status_lists);
    IF NOT v.valid THEN
        PERFORM microcred._fail('22023', 'the credential does not verify and cannot be recognised',
            (SELECT string_agg(c ->> 'check' || ': ' || (c ->> 'reason'), '; ') FROM jsonb_array_elements(v.checks) c
              WHERE c ->> 'result' = 'fail'), NULL);
    END IF;
    IF NOT EXISTS (SELECT FROM microcred.trusted_key k
                    WHERE k.issuer = v.issuer AND (k.trusted_by IS NULL OR k.trusted_by = l.issuer_id))
       AND NOT EXISTS (SELECT FROM microcred.issuer i WHERE i.public_id = v.issuer) THEN
        PERFORM microcred._fail('42501', format('issuer %s is not trusted by this issuer', v.issuer),
            'Only credentials of issuers whose keys an admin registered are recognised.',
            'Register the issuer''s key with microcred.trust_key(issuer, verification_method, key, trusted_by => ...).');
    END IF;
    -- the credential must be about this learner: a matching salted hash or DID
    FOR ident IN SELECT x FROM jsonb_array_elements(coalesce(subj -> 'identifier', '[]')) x LOOP
        IF (ident ->> 'hashed')::boolean AND ident ->> 'identityHash' IN (
               'sha256$' || encode(sha256(convert_to(coalesce(l.email, '') || coalesce(ident ->> 'salt', ''), 'UTF8')), 'hex'),
               'sha256$' || encode(sha256(convert_to(coalesce(l.student_id, '') || coalesce(ident ->> 'salt', ''), 'UTF8')), 'hex')) THEN
            mine := true;
        END IF;
    END LOOP;
    IF l.holder_did IS NOT NULL AND subj ->> 'id' = l.holder_did THEN
        mine := true;
    END IF;
    IF NOT mine THEN
        PERFORM microcred._fail('22023', 'the credential is not about this learner',
            'No identity hash or DID in its credentialSubject matches the learner''s e-mail, student id or DID.', NULL);
    END IF;
    SELECT (regexp_match(a ->> 'targetUrl', '^http://data\.europa\.eu/snb/eqf/([1-8])$'))[1]::integer INTO eqf
      FROM jsonb_array_elements(coalesce(ach -> 'alignment', '[]')) a
     WHERE a ->> 'targetUrl' ~ '^http://data\.europa\.eu/snb/eqf/[1-8]$' LIMIT 1;
    INSERT INTO microcred.recognition (issuer_id, learner_id, kind, title, foreign_issuer, credential_id, credential,
                                       achievement_id, alignments, ects, eqf_level, grade, earned_at, valid_until,
                                       recognised_by)
    VALUES (l.issuer_id, l.id, 'credential', coalesce(ach ->> 'name', credential ->> 'name', '(untitled)'), v.issuer,
            coalesce(credential ->> 'id', encode(sha256(convert_to(credential::text, 'UTF8')), 'hex')), credential,
            ach ->> 'id',
            ARRAY(SELECT a ->> 'targetUrl' FROM jsonb_array_elements(coalesce(ach -> 'alignment', '[]')) a WHERE a ? 'targetUrl'),
            CASE WHEN jsonb_typeof(subj -> 'creditsEarned') = 'number' THEN (subj ->> 'creditsEarned')::numeric
                 WHEN jsonb_typeof(ach -> 'creditsAvailable') = 'number' THEN (ach ->> 'creditsAvailable')::numeric END,
            eqf, subj -> 'result' -> 0 ->> 'value',
            coalesce((credential ->> 'awardedDate')::timestamptz, (credential ->> 'validFrom')::timestamptz,
                     (credential ->> 'issuanceDate')::timestamptz, now()),
            (credential ->> 'validUntil')::timestamptz, actor)
    ON CONFLICT (issuer_id, learner_id, credential_id) WHERE credential_id IS NOT NULL DO NOTHING
    RETURNING id INTO new_id;
    IF new_id IS NULL THEN
        SELECT r.id INTO new_id FROM microcred.recognition r
         WHERE r.issuer_id = l.issuer_id AND r.learner_id = l.id AND r.credential_id = _recognise.credential ->> 'id';
    END IF;
    RETURN new_id;
END
$$;

COMMENT ON TABLE microcred.trusted_key IS
    'public keys of other issuers, registered by an admin (trust_key, trust_controller_document): keys bound to that issuer, so its credentials verify without network access';
COMMENT ON FUNCTION microcred.trust_key(text, text, text, text, text) IS
    'register another issuer''s public key (Multikey, did:key or JWK) as bound to that issuer, so credentials it signs for that issuer verify';

-- every key listed under assertionMethod of an issuer's controller document
-- (DID document or controlled identifier document), as trusted keys of the
-- document's id: what an admin fetched and checked once, instead of a fetch
-- at every verification
CREATE FUNCTION microcred.trust_controller_document(document jsonb, trusted_by text DEFAULT NULL,
                                                    note text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    doc_id  text := document ->> 'id';
    entry   jsonb;
    vm_id   text;
    vm      jsonb;
    key     bytea;
    prev    bytea;
    n       integer := 0;
BEGIN
    IF jsonb_typeof(document) IS DISTINCT FROM 'object' OR doc_id IS NULL
       OR doc_id !~ '^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$' THEN
        PERFORM microcred._fail('22023', 'the controller document has no id that is a URI', NULL,
            'Give the issuer''s DID document or controller document; its id must be the issuer id its credentials state.');
    END IF;
    FOR entry IN SELECT e FROM jsonb_array_elements(CASE coalesce(jsonb_typeof(document -> 'assertionMethod'), 'null')
                               WHEN 'array' THEN document -> 'assertionMethod'
                               WHEN 'null' THEN '[]' ELSE jsonb_build_array(document -> 'assertionMethod') END) e
    LOOP
        vm_id := CASE jsonb_typeof(entry) WHEN 'string' THEN entry #>> '{}' ELSE entry ->> 'id' END;
        IF vm_id IS NULL THEN
            PERFORM microcred._fail('22023', 'an assertionMethod entry of the controller document has no id', NULL, NULL);
        END IF;
        IF vm_id LIKE '#%' THEN
            vm_id := doc_id || vm_id;
        END IF;
        vm := CASE WHEN jsonb_typeof(entry) = 'object' THEN entry END;
        IF vm IS NULL THEN
            SELECT v INTO vm FROM jsonb_array_elements(CASE jsonb_typeof(document -> 'verificationMethod')
                                  WHEN 'array' THEN document -> 'verificationMethod' ELSE '[]' END) v
             WHERE v ->> 'id' = vm_id OR doc_id || (v ->> 'id') = vm_id
             LIMIT 1;
        END IF;
        IF vm IS NOT NULL AND vm ->> 'controller' IS DISTINCT FROM doc_id AND vm ? 'controller' THEN
            PERFORM microcred._fail('22023', format('verification method %s is controlled by %s, not by %s', vm_id, vm ->> 'controller', doc_id),
                NULL, 'Only keys the issuer itself controls are registered for it.');
        END IF;
        key := CASE
            WHEN vm ? 'publicKeyMultibase' THEN microcred.public_key(vm ->> 'publicKeyMultibase')
            WHEN vm ? 'publicKeyJwk' THEN microcred.public_key((vm -> 'publicKeyJwk')::text)
            WHEN vm IS NULL AND vm_id LIKE 'did:key:%' THEN microcred.public_key(split_part(vm_id, '#', 1))
        END;
        IF key IS NULL THEN
            PERFORM microcred._fail('22023', format('the controller document gives no key for %s', vm_id), NULL,
                'Each assertionMethod must be, or name, a verification method with publicKeyMultibase or publicKeyJwk.');
        END IF;
        SELECT t.public_key INTO prev FROM microcred.trusted_key t WHERE t.issuer = doc_id AND t.verification_method = vm_id;
        IF prev IS NULL THEN
            INSERT INTO microcred.trusted_key (trusted_by, issuer, verification_method, public_key, note)
            VALUES (CASE WHEN trusted_by IS NULL THEN NULL ELSE microcred._resolve_issuer(trusted_by) END,
                    doc_id, vm_id, key, note);
            n := n + 1;
        ELSIF prev <> key THEN
            PERFORM microcred._fail('23505', format('%s is already registered with another key', vm_id), NULL,
                'Delete the old row from microcred.trusted_key first if the issuer replaced the key.');
        END IF;
    END LOOP;
    IF n = 0 AND NOT EXISTS (SELECT FROM microcred.trusted_key t WHERE t.issuer = doc_id) THEN
        PERFORM microcred._fail('22023', 'the controller document lists no key under assertionMethod', NULL,
            'Only keys listed under assertionMethod may sign credentials for the issuer.');
    END IF;
    RETURN n;
END
$$;
COMMENT ON FUNCTION microcred.trust_controller_document(jsonb, text, text) IS
    'register every key under assertionMethod of an issuer''s controller document (DID document) as bound to the document''s id; returns how many keys were new';
REVOKE ALL ON FUNCTION microcred.trust_controller_document(jsonb, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION microcred.trust_controller_document(jsonb, text, text) TO microcred_admin;

CREATE OR REPLACE FUNCTION microcred.controller_document(issuer text)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        '@context', jsonb_build_array('https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1',
                                      'https://w3id.org/security/jwk/v1'),
        'id', i.public_id,
        'verificationMethod', coalesce(jsonb_agg(vm.method ORDER BY k.created_at, k.algorithm, k.id, vm.n)
                                       FILTER (WHERE vm.method IS NOT NULL), '[]'::jsonb),
        'assertionMethod', coalesce(jsonb_agg(vm.method -> 'id' ORDER BY k.created_at, k.algorithm, k.id, vm.n)
                                    FILTER (WHERE vm.method IS NOT NULL), '[]'::jsonb))
      FROM microcred.issuer i
      LEFT JOIN microcred.signing_key k ON k.issuer_id = i.id AND k.state <> 'retired'
      LEFT JOIN LATERAL (VALUES
            (1, CASE WHEN k.algorithm = 'Ed25519' THEN
                     jsonb_build_object('id', i.public_id || '#' || k.fragment, 'type', 'Multikey',
                                        'controller', i.public_id, 'publicKeyMultibase', k.public_key_multibase)
                     WHEN k.id IS NOT NULL THEN
                     jsonb_build_object('id', i.public_id || '#' || k.fragment, 'type', 'JsonWebKey',
                                        'controller', i.public_id, 'publicKeyJwk', k.public_jwk) END),
            (2, CASE WHEN k.algorithm = 'Ed25519' THEN
                     jsonb_build_object('id', i.public_id || '#' || (k.public_jwk ->> 'kid'), 'type', 'JsonWebKey',
                                        'controller', i.public_id, 'publicKeyJwk', k.public_jwk) END)) AS vm(n, method) ON true
     WHERE i.id = microcred._resolve_issuer(issuer)
     GROUP BY i.public_id
$$;
COMMENT ON FUNCTION microcred.controller_document(text) IS
    'the controller document (DID-core JSON) listing an issuer''s valid public keys, as served at its public id';

CREATE OR REPLACE FUNCTION microcred._lookup_key(issuer text, verification_method text,
    OUT public_key bytea, OUT retired boolean, OUT source text)
RETURNS SETOF record
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT k.public_key, k.state = 'retired', 'a key of this issuer'
      FROM microcred.issuer i JOIN microcred.signing_key k ON k.issuer_id = i.id
     WHERE i.public_id = issuer
       AND (verification_method = i.public_id || '#' || k.fragment
            -- an Ed25519 key's JsonWebKey form (the kid of EdDSA JWTs)
            OR (k.algorithm = 'Ed25519' AND verification_method = i.public_id || '#' || (k.public_jwk ->> 'kid')))
    UNION ALL
    SELECT t.public_key, false, 'a trusted key of this issuer'
      FROM microcred.trusted_key t
     WHERE t.issuer = _lookup_key.issuer AND t.verification_method = _lookup_key.verification_method
     LIMIT 1
$$;
COMMENT ON FUNCTION microcred._lookup_key(text, text) IS
    'internal: the registered public key of a verification method (own issuer keys, by Multikey or JWK id, then trusted keys)';

CREATE OR REPLACE FUNCTION microcred._document(credential uuid, format text, algorithm text, actor name)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c       microcred.issued_credential;
    i       microcred.issuer;
    k       microcred.signing_key;
    keyalg  text;
    tok     text;
BEGIN
    SELECT * INTO c FROM microcred.issued_credential WHERE id = credential;
    IF c.id IS NULL THEN
        PERFORM microcred._fail('42704', format('credential %s does not exist', credential), NULL, NULL);
    END IF;
    PERFORM microcred._check_actor(c.issuer_id, actor);
    IF c.document IS NULL THEN
        PERFORM microcred._fail('55000', 'the stored document of this credential was erased',
            format('Credential %s: its learner''s personal data were erased; the learner''s own copy still verifies.', credential), NULL);
    END IF;
    IF format IS NULL OR format = c.proof_format OR format = 'data-integrity' THEN
        RETURN c.document::text;
    END IF;
    IF format NOT IN ('ob-jwt', 'vc-jwt') THEN
        PERFORM microcred._fail('22023', format('credential format "%s" is not supported', format),
            format('This credential is stored as %s.', c.proof_format),
            'Use ''data-integrity'' (the stored document), ''ob-jwt'' (Open Badges 3.0 VC-JWT) or ''vc-jwt'' (W3C VC-JOSE).');
    END IF;
    algorithm := coalesce(algorithm, CASE format WHEN 'ob-jwt' THEN 'RS256' ELSE 'EdDSA' END);
    IF (format = 'ob-jwt' AND algorithm NOT IN ('RS256', 'ES256'))
       OR (format = 'vc-jwt' AND algorithm NOT IN ('EdDSA', 'ES256')) THEN
        PERFORM microcred._fail('22023', format('algorithm %s is not used with %s', algorithm, format), NULL,
            'Open Badges 3.0 JWTs use RS256 or ES256; VC-JOSE JWTs use EdDSA or ES256.');
    END IF;
    SELECT e.token INTO tok FROM microcred.credential_envelope e
     WHERE e.credential_id = c.id AND e.format = _document.format AND e.algorithm = _document.algorithm;
    IF tok IS NOT NULL THEN
        RETURN tok;
    END IF;
    keyalg := CASE algorithm WHEN 'RS256' THEN 'RSA' WHEN 'ES256' THEN 'P-256' ELSE 'Ed25519' END;
    SELECT * INTO i FROM microcred.issuer WHERE id = c.issuer_id;
    SELECT * INTO k FROM microcred.signing_key sk
     WHERE sk.issuer_id = c.issuer_id AND sk.algorithm = keyalg AND sk.state = 'active';
    IF k.id IS NULL THEN
        PERFORM microcred._fail('55000', format('issuer "%s" has no active %s signing key', i.handle, keyalg), NULL,
            format('Create one with: SELECT microcred.generate_key(%L, %L);', i.handle, keyalg));
    END IF;
    -- kid: the key's JsonWebKey verification method in the controller document
    -- (an Ed25519 key's is #<JWK thumbprint>; its #<multibase> is the Multikey)
    tok := microcred._sign_jwt(c.document - 'proof', format, k.id, k.issuer_id, k.sealed_private, algorithm,
                               i.public_id || '#' || CASE k.algorithm WHEN 'Ed25519' THEN k.public_jwk ->> 'kid' ELSE k.fragment END);
    INSERT INTO microcred.credential_envelope (issuer_id, credential_id, format, algorithm, token)
    VALUES (c.issuer_id, c.id, format, algorithm, tok)
    ON CONFLICT DO NOTHING;
    SELECT e.token INTO tok FROM microcred.credential_envelope e
     WHERE e.credential_id = c.id AND e.format = _document.format AND e.algorithm = _document.algorithm;
    RETURN tok;
END
$$;

-- the new bundled contexts: every upgrade script carries the bundled contexts
-- of its new version (the Makefile appends pg_extension/contexts/to_sql.sh
-- data), replacing an admin's registration of the same URL
