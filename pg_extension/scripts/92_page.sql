/*
 * microcred install script, 92_page.sql: what the bridge's human-readable pages show
 * (the verification page of a credential, the public catalogue of an
 * issuer and of an achievement, and the "verify anything" form), each one
 * call returning JSON the bridge renders.  Nothing here is secret: it is
 * what the public documents already say, with the verdict of verify().
 *
 *   microcred_bridge    may call public_page(), public_verify() and public_image()
 *   microcred_admin     sets badge images: define_credential(..., image =>),
 *                       set_issuer_image()
 */

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'microcred_bridge') THEN
        CREATE ROLE microcred_bridge NOLOGIN;
    END IF;
END
$$;

-- badge images of awarding bodies and credential types (the columns end
-- their tables in 11_catalog.sql, as an upgraded 0.2 database has them)
COMMENT ON COLUMN microcred.credential_type.image IS
    'the badge image (PNG or SVG, at most 256 kB, checked by _check_image), served at /achievements/{id}/image; NULL: a generated badge';
COMMENT ON COLUMN microcred.issuer.image IS
    'the awarding body''s image (PNG or SVG, at most 256 kB, checked by _check_image), served at /issuers/{handle}/image; NULL: a generated one';

-- as define_credential(): runs as the caller, whose rights on microcred.issuer decide
CREATE FUNCTION microcred.set_issuer_image(issuer text, image bytea)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    issuer_uuid uuid := microcred._resolve_issuer(issuer);
    media   text := microcred._check_image(image, 'image of the awarding body');
BEGIN
    UPDATE microcred.issuer SET image = set_issuer_image.image, image_type = media WHERE id = issuer_uuid;
END
$$;
COMMENT ON FUNCTION microcred.set_issuer_image(text, bytea) IS
    'set (or with NULL remove) the image of an awarding body: PNG or SVG bytes, at most 256 kB, SVG without script, event handlers, foreignObject or external references';

/*
 * A badge image for the bridge: kind 'achievement' (the credential type's
 * uuid) or 'issuer' (its handle).  {"status": 404} when not there; else the
 * stored image ("type", "data" in base64) or, when none, what a generated
 * badge shows ("title", "subtitle", "issuer").
 */
CREATE FUNCTION microcred.public_image(kind text, id text)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t       microcred.credential_type;
    i       microcred.issuer;
BEGIN
    IF kind = 'achievement' AND public_image.id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        SELECT * INTO t FROM microcred.credential_type ct WHERE ct.id = public_image.id::uuid;
        IF t.id IS NOT NULL THEN
            SELECT * INTO i FROM microcred.issuer iss WHERE iss.id = t.issuer_id;
            RETURN jsonb_strip_nulls(jsonb_build_object('status', 200, 'type', t.image_type,
                'data', encode(t.image, 'base64'), 'title', t.title,
                'subtitle', concat_ws(' · ', 'EQF ' || t.eqf_level, t.ects || ' ECTS'),
                'issuer', i.legal_name));
        END IF;
    ELSIF kind = 'issuer' THEN
        SELECT * INTO i FROM microcred.issuer iss WHERE iss.handle = public_image.id;
        IF i.id IS NOT NULL THEN
            RETURN jsonb_strip_nulls(jsonb_build_object('status', 200, 'type', i.image_type,
                'data', encode(i.image, 'base64'), 'title', i.legal_name,
                'subtitle', (SELECT c.name FROM microcred.country c WHERE c.code = i.country)));
        END IF;
    END IF;
    RETURN '{"status": 404}';
END
$$;
COMMENT ON FUNCTION microcred.public_image(text, text) IS
    'the badge image of a credential type or an awarding body for the bridge: the stored PNG/SVG (base64) or what a generated badge shows';

/*
 * The EU standard elements an Achievement states, as [{"k": key, "v": value}]
 * in the order of the Recommendation, from the document as issued (its
 * criteria narrative and its fields; the words stay as issued): keys
 * description, learning_outcomes (an array), assessment, participation,
 * workload, ects, level, quality_assurance, supervision, prerequisites,
 * integration, languages, grading, further_information.
 */
CREATE FUNCTION microcred._page_elements(achievement jsonb)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    narrative text := coalesce(achievement -> 'criteria' ->> 'narrative', '');
    lines   text[] := string_to_array(narrative, E'\n');
    out     jsonb := '[]';
    outcomes jsonb := '[]';
    line    text;
    in_outcomes boolean := false;
    prefixes constant text[][] := ARRAY[
        ['Type of assessment: ', 'assessment'], ['Form of participation: ', 'participation'],
        ['Notional workload: ', 'workload'], ['Level: ', 'level'],
        ['Quality assurance: ', 'quality_assurance'],
        ['Supervision and identity verification: ', 'supervision'],
        ['Prerequisites: ', 'prerequisites'], ['Integration: ', 'integration'],
        ['Language: ', 'languages'], ['Further information: ', 'further_information']];
    found   jsonb := '{}';
BEGIN
    IF jsonb_typeof(achievement) IS DISTINCT FROM 'object' THEN
        RETURN '[]';
    END IF;
    FOREACH line IN ARRAY coalesce(lines, '{}') LOOP
        IF line = 'Learning outcomes:' THEN
            in_outcomes := true;
            CONTINUE;
        END IF;
        IF in_outcomes AND left(line, 2) = '- ' THEN
            outcomes := outcomes || to_jsonb(substr(line, 3));
            CONTINUE;
        END IF;
        in_outcomes := false;
        FOR p IN 1 .. array_length(prefixes, 1) LOOP
            IF left(line, length(prefixes[p][1])) = prefixes[p][1] THEN
                found := found || jsonb_build_object(prefixes[p][2], substr(line, length(prefixes[p][1]) + 1));
            END IF;
        END LOOP;
    END LOOP;
    IF jsonb_typeof(achievement -> 'description') = 'string' THEN
        out := out || jsonb_build_object('k', 'description', 'v', achievement ->> 'description');
    END IF;
    IF jsonb_array_length(outcomes) > 0 THEN
        out := out || jsonb_build_object('k', 'learning_outcomes', 'v', outcomes);
    END IF;
    IF found ? 'workload' THEN
        out := out || jsonb_build_object('k', 'workload', 'v', found -> 'workload');
    ELSIF jsonb_typeof(achievement -> 'creditsAvailable') = 'number' THEN
        out := out || jsonb_build_object('k', 'ects', 'v', (achievement ->> 'creditsAvailable'));
    END IF;
    IF found ? 'level' THEN
        out := out || jsonb_build_object('k', 'level', 'v', found -> 'level');
    END IF;
    FOREACH line IN ARRAY ARRAY['assessment', 'participation', 'quality_assurance', 'supervision',
                                'prerequisites', 'integration', 'languages', 'further_information'] LOOP
        IF found ? line THEN
            out := out || jsonb_build_object('k', line, 'v', found -> line);
        END IF;
    END LOOP;
    IF jsonb_typeof(achievement -> 'resultDescription' -> 0 -> 'name') = 'string' THEN
        out := out || jsonb_build_object('k', 'grading', 'v', achievement -> 'resultDescription' -> 0 ->> 'name');
    END IF;
    RETURN out;
END
$$;
COMMENT ON FUNCTION microcred._page_elements(jsonb) IS
    'internal: the EU standard elements an Achievement states, in order, as key/value pairs for the bridge''s pages';

/*
 * What a credential's page shows, from its document as issued: title,
 * issuer, learner name (only where the document itself shows one), grade,
 * dates, the elements, proof, and the verdict of verify() with its checks.
 */
CREATE FUNCTION microcred._page_credential(document jsonb, v microcred.verification)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', document ->> 'id',
        'name', coalesce(document -> 'credentialSubject' -> 'achievement' ->> 'name', document ->> 'name'),
        'issuer', CASE jsonb_typeof(document -> 'issuer') WHEN 'object' THEN document -> 'issuer'
                      WHEN 'string' THEN jsonb_build_object('id', document ->> 'issuer') END,
        'learner', (SELECT e ->> 'identityHash'
                      FROM jsonb_array_elements(CASE jsonb_typeof(document -> 'credentialSubject' -> 'identifier')
                                                WHEN 'array' THEN document -> 'credentialSubject' -> 'identifier'
                                                ELSE '[]' END) e
                     WHERE e ->> 'identityType' = 'name' AND e ->> 'hashed' = 'false' LIMIT 1),
        'grade', document -> 'credentialSubject' -> 'result' -> 0 ->> 'value',
        'credits_earned', document -> 'credentialSubject' ->> 'creditsEarned',
        'awarded', coalesce(document ->> 'awardedDate', document ->> 'validFrom'),
        'valid_from', document ->> 'validFrom',
        'valid_until', document ->> 'validUntil',
        'achievement_id', document -> 'credentialSubject' -> 'achievement' ->> 'id',
        'status_list', document -> 'credentialStatus' ->> 'statusListCredential',
        'elements', microcred._page_elements(document -> 'credentialSubject' -> 'achievement'),
        'proof', CASE jsonb_typeof(document -> 'proof') WHEN 'object' THEN jsonb_build_object(
                      'type', document -> 'proof' ->> 'type', 'cryptosuite', document -> 'proof' ->> 'cryptosuite',
                      'method', document -> 'proof' ->> 'verificationMethod',
                      'created', document -> 'proof' ->> 'created') END,
        'format', v.format, 'cryptosuite', v.cryptosuite, 'valid', v.valid, 'checks', v.checks))
$$;
COMMENT ON FUNCTION microcred._page_credential(jsonb, microcred.verification) IS
    'internal: what a credential''s verification page shows, from its document and verify()''s result';

/*
 * One public page's content as JSON for the bridge to render: kind
 * 'credential' (id: its uuid), 'issuer' (its handle) or 'achievement' (the
 * credential type's uuid).  {"status": 404} for anything not there, {"status":
 * 410} for an erased credential; else {"status": 200, ...}.  A credential's
 * verdict is computed now by verify(): valid, revoked, suspended, expired,
 * superseded (with "superseded_by", the new credential's URL) or invalid.
 */
CREATE FUNCTION microcred.public_page(kind text, id text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uuid_re constant text := '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
    c       microcred.issued_credential;
    i       microcred.issuer;
    t       microcred.credential_type;
    v       microcred.verification;
    verdict text;
    newer   text;
BEGIN
    IF kind = 'credential' THEN
        IF public_page.id !~ uuid_re THEN
            RETURN '{"status": 404}';
        END IF;
        SELECT * INTO c FROM microcred.issued_credential ic WHERE ic.id = public_page.id::uuid;
        IF c.id IS NULL THEN
            RETURN '{"status": 404}';
        END IF;
        IF c.document IS NULL THEN
            RETURN jsonb_build_object('status', 410, 'verdict', 'erased');
        END IF;
        v := microcred.verify(c.document);
        IF c.superseded_by IS NOT NULL THEN
            verdict := 'superseded';
            SELECT n.document ->> 'id' INTO newer FROM microcred.issued_credential n WHERE n.id = c.superseded_by;
        ELSIF c.status = 'revoked' THEN
            verdict := 'revoked';
        ELSIF c.status = 'suspended' THEN
            verdict := 'suspended';
        ELSIF v.valid THEN
            verdict := 'valid';
        ELSIF EXISTS (SELECT FROM jsonb_array_elements(v.checks) x
                       WHERE x ->> 'check' = 'valid_until' AND x ->> 'result' = 'fail') THEN
            verdict := 'expired';
        ELSE
            verdict := 'invalid';
        END IF;
        RETURN microcred._page_credential(c.document, v)
            || jsonb_strip_nulls(jsonb_build_object('status', 200, 'verdict', verdict, 'superseded_by', newer,
                                                    'status_reason', c.status_reason,
                                                    'status_changed', microcred._datetime(c.status_changed_at),
                                                    'issued', microcred._datetime(c.issued_at)));
    ELSIF kind = 'issuer' THEN
        SELECT * INTO i FROM microcred.issuer WHERE handle = public_page.id;
        IF i.id IS NULL THEN
            RETURN '{"status": 404}';
        END IF;
        RETURN jsonb_build_object('status', 200, 'profile', microcred._issuer_profile(i), 'handle', i.handle,
            'achievements', coalesce((
                SELECT jsonb_agg(jsonb_build_object('id', a ->> 'id', 'uuid', ct.id, 'name', a ->> 'name',
                                                    'code', a ->> 'humanCode',
                                                    'elements', microcred._page_elements(a))
                                 ORDER BY ct.title, ct.code)
                  FROM microcred.credential_type ct,
                       LATERAL microcred._achievement(ct, i) a
                 WHERE ct.issuer_id = i.id AND ct.retired_at IS NULL), '[]'));
    ELSIF kind = 'achievement' THEN
        IF public_page.id !~ uuid_re THEN
            RETURN '{"status": 404}';
        END IF;
        SELECT * INTO t FROM microcred.credential_type ct WHERE ct.id = public_page.id::uuid;
        IF t.id IS NULL THEN
            RETURN '{"status": 404}';
        END IF;
        SELECT * INTO i FROM microcred.issuer iss WHERE iss.id = t.issuer_id;
        RETURN (SELECT jsonb_build_object('status', 200, 'id', a ->> 'id', 'uuid', t.id, 'name', a ->> 'name',
                                          'code', a ->> 'humanCode', 'issuer', microcred._issuer_profile(i),
                                          'handle', i.handle, 'retired', t.retired_at IS NOT NULL,
                                          'eqf', t.eqf_level, 'ects', t.ects,
                                          'elements', microcred._page_elements(a))
                  FROM microcred._achievement(t, i) a);
    END IF;
    RETURN '{"status": 404}';
END
$$;
COMMENT ON FUNCTION microcred.public_page(text, text) IS
    'what the bridge''s public HTML page of a credential (with the verdict of verify() now), an issuer or an achievement shows, as JSON; {"status": 404} when not there, 410 for an erased credential';

/*
 * Verify a credential anyone pastes or uploads (JSON with a Data Integrity
 * proof, or a compact JWT) with verify(): our keys and status lists are
 * known, another issuer's are not fetched (the checks say so).  Malformed
 * input is a result ({"status": 422, "error": ...}), never an error.
 */
CREATE FUNCTION microcred.public_verify(credential text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v       microcred.verification;
    doc     jsonb;
    verdict text;
    s       text := btrim(coalesce(credential, ''), E' \t\r\n');
    payload text;
BEGIN
    IF s = '' THEN
        RETURN jsonb_build_object('status', 422, 'error', 'nothing was given to verify');
    END IF;
    BEGIN
        v := microcred.verify(s);
        IF left(s, 1) = '{' THEN
            doc := s::jsonb;
        ELSIF s ~ '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$' THEN
            payload := translate(split_part(s, '.', 2), '-_', '+/');
            payload := payload || repeat('=', (4 - length(payload) % 4) % 4);
            doc := convert_from(decode(payload, 'base64'), 'UTF8')::jsonb;
            IF jsonb_typeof(doc -> 'vc') = 'object' THEN
                doc := doc -> 'vc';
            END IF;
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RETURN jsonb_build_object('status', 422, 'error', left(SQLERRM, 300));
    END;
    IF jsonb_typeof(doc) IS DISTINCT FROM 'object' THEN
        doc := '{}';
    END IF;
    IF v.valid THEN
        verdict := 'valid';
    ELSIF EXISTS (SELECT FROM jsonb_array_elements(v.checks) x
                   WHERE x ->> 'check' = 'status' AND x ->> 'result' = 'fail' AND x ->> 'reason' ~ 'suspend') THEN
        verdict := 'suspended';
    ELSIF EXISTS (SELECT FROM jsonb_array_elements(v.checks) x
                   WHERE x ->> 'check' = 'status' AND x ->> 'result' = 'fail') THEN
        verdict := 'revoked';
    ELSIF EXISTS (SELECT FROM jsonb_array_elements(v.checks) x
                   WHERE x ->> 'check' = 'valid_until' AND x ->> 'result' = 'fail') THEN
        verdict := 'expired';
    ELSE
        verdict := 'invalid';
    END IF;
    RETURN microcred._page_credential(doc, v) || jsonb_build_object('status', 200, 'verdict', verdict);
END
$$;
COMMENT ON FUNCTION microcred.public_verify(text) IS
    'verify a pasted or uploaded credential (JSON or compact JWT) for the bridge''s verification form: verify()''s verdict and checks and what the credential shows; malformed input gives {"status": 422, "error": ...}';

REVOKE ALL ON FUNCTION microcred._page_elements(jsonb), microcred._page_credential(jsonb, microcred.verification),
    microcred.public_page(text, text), microcred.public_verify(text), microcred.public_image(text, text),
    microcred._check_image(bytea, text), microcred.set_issuer_image(text, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION microcred.public_page(text, text), microcred.public_verify(text),
    microcred.public_image(text, text)
    TO microcred_bridge, microcred_admin, microcred_verifier;
GRANT EXECUTE ON FUNCTION microcred.set_issuer_image(text, bytea), microcred._check_image(bytea, text) TO microcred_admin;
