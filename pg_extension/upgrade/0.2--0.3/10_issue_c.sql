
-- 10_issue_c: signing keys are passed by id; C reads the sealed private key
-- through one prepared plan (pg_extension/keycache_sql.c), so no SQL function
-- takes or returns sealed bytes any more.  The changed signatures are
-- dropped here and created again without the sealed parameter (and without
-- EXECUTE for PUBLIC, as the install script leaves them); the replay that
-- ends this script gives them their 0.3 bodies and comments.
DROP FUNCTION microcred._sign_di(jsonb, text, uuid, uuid, bytea, text, timestamptz);
DROP FUNCTION microcred._sign_jwt(jsonb, text, uuid, uuid, bytea, text, text);
DROP FUNCTION microcred._credential_document(microcred.issued_credential, microcred.credential_type,
    microcred.issuer, microcred.learner, text, jsonb, jsonb, uuid, bytea, text, text, jsonb);
DROP FUNCTION microcred._lti_tool_key();

CREATE FUNCTION microcred._sign_di(document jsonb, cryptosuite text, key_id uuid, issuer_id uuid,
                                   verification_method text, created timestamptz)
RETURNS jsonb
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'microcred_sign_di';
CREATE FUNCTION microcred._sign_jwt(document jsonb, form text, key_id uuid, issuer_id uuid,
                                    alg text, kid text)
RETURNS text
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'microcred_sign_jwt';
CREATE FUNCTION microcred._credential_document(c microcred.issued_credential, t microcred.credential_type,
                                               i microcred.issuer, l microcred.learner, salt text,
                                               achievement jsonb, profile jsonb,
                                               key_id uuid DEFAULT NULL,
                                               verification_method text DEFAULT NULL,
                                               cryptosuite text DEFAULT NULL,
                                               credential_status jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'microcred_credential_document';
CREATE FUNCTION microcred._lti_tool_key(OUT id uuid, OUT kid text)
LANGUAGE sql
AS $$ SELECT NULL::uuid, NULL::text $$;
REVOKE ALL ON FUNCTION
    microcred._sign_di(jsonb, text, uuid, uuid, text, timestamptz),
    microcred._sign_jwt(jsonb, text, uuid, uuid, text, text),
    microcred._credential_document(microcred.issued_credential, microcred.credential_type,
        microcred.issuer, microcred.learner, text, jsonb, jsonb, uuid, text, text, jsonb),
    microcred._lti_tool_key()
    FROM PUBLIC;

-- the Achievement and Profile are built in C (ob3.c); the SQL alignment
-- helper of the PL/pgSQL builder is gone
DROP FUNCTION microcred._alignment(text, text, text, text, text);

-- issued documents stay in their row, compressed (install part 72_issue_c.sql);
-- rows written before keep their storage until rewritten
ALTER TABLE microcred.issued_credential ALTER COLUMN document SET STORAGE MAIN;
