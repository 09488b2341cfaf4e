/*
 * microcred install script, 80_lifecycle.sql: the credential lifecycle.
 *
 *   status lists     the signed status list credentials, re-signed when a
 *                    bit changed (the lists themselves: 68_status_list.sql)
 *   operations       revoke, suspend, reinstate, supersede (one and many),
 *                    each in the issuer's audit chain (50_audit.sql)
 */

-- the signed status list credential of a list, re-signed only when a bit changed
CREATE FUNCTION microcred.status_list_credential(list uuid)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l       microcred.status_list;
    i       microcred.issuer;
    k       microcred.signing_key;
    bits    bytea;
    version bigint;
    url     text;
    doc     jsonb;
BEGIN
    SELECT * INTO l FROM microcred.status_list WHERE id = list;
    IF l.id IS NULL THEN
        PERFORM microcred._fail('42704', format('status list %s does not exist', list), NULL,
            'List them with: SELECT id, purpose FROM microcred.status_list;');
    END IF;
    -- current: nothing changed since it was signed (one row read, however many bits are set)
    IF l.published IS NOT NULL AND l.published_version = l.bits_version THEN
        RETURN l.published;
    END IF;
    -- the bits and their version from one row version: a change committed
    -- later bumps the version again (the bits are written with the version,
    -- once per list and status change, so no entry is read here)
    SELECT sl.bits_version, sl.bits INTO version, bits FROM microcred.status_list sl WHERE sl.id = l.id;
    SELECT * INTO i FROM microcred.issuer WHERE id = l.issuer_id;
    SELECT * INTO k FROM microcred.signing_key sk
     WHERE sk.issuer_id = l.issuer_id AND sk.algorithm = 'Ed25519' AND sk.state = 'active';
    IF k.id IS NULL THEN
        PERFORM microcred._fail('55000', format('issuer "%s" has no active Ed25519 signing key to sign its status list', i.handle), NULL,
            format('Create one with: SELECT microcred.generate_key(%L);', i.handle));
    END IF;
    url := l.url;
    doc := jsonb_build_object(
        '@context', jsonb_build_array('https://www.w3.org/ns/credentials/v2'),
        'id', url,
        'type', jsonb_build_array('VerifiableCredential', 'BitstringStatusListCredential'),
        'issuer', i.public_id,
        'validFrom', microcred._datetime(now()),
        'credentialSubject', jsonb_build_object(
            'id', url || '#list',
            'type', 'BitstringStatusList',
            'statusPurpose', l.purpose,
            'encodedList', microcred._status_encode_bits(l.size, bits)));
    doc := microcred._sign_di(doc, i.proof_format, k.id, k.issuer_id,
                              i.public_id || '#' || k.fragment, now());
    UPDATE microcred.status_list SET published = doc, published_version = version, published_at = now() WHERE id = l.id;
    RETURN doc;
END
$$;
COMMENT ON FUNCTION microcred.status_list_credential(uuid) IS
    'the signed BitstringStatusListCredential of a status list (cached; re-signed only when a bit changed)';

-- operations ------------------------------------------------------------------------

-- set or clear the status bits of many credentials, with the status and the audit
CREATE FUNCTION microcred._set_status(credentials uuid[], op text, reason text, actor name)
RETURNS integer
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status_many(credentials, op, reason, actor) $$;
COMMENT ON FUNCTION microcred._set_status(uuid[], text, text, name) IS 'internal: see revoke, suspend, reinstate';

CREATE FUNCTION microcred.revoke(credential uuid, reason text) RETURNS void LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(ARRAY[credential], 'revoke', reason, microcred._caller() COLLATE "default") $$;
CREATE FUNCTION microcred.revoke_all(credentials uuid[], reason text) RETURNS integer LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(credentials, 'revoke', reason, microcred._caller() COLLATE "default") $$;
CREATE FUNCTION microcred.suspend(credential uuid, reason text) RETURNS void LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(ARRAY[credential], 'suspend', reason, microcred._caller() COLLATE "default") $$;
CREATE FUNCTION microcred.suspend_all(credentials uuid[], reason text) RETURNS integer LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(credentials, 'suspend', reason, microcred._caller() COLLATE "default") $$;
CREATE FUNCTION microcred.reinstate(credential uuid, reason text) RETURNS void LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(ARRAY[credential], 'reinstate', reason, microcred._caller() COLLATE "default") $$;
CREATE FUNCTION microcred.reinstate_all(credentials uuid[], reason text) RETURNS integer LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(credentials, 'reinstate', reason, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.revoke(uuid, text) IS 'revoke a credential (final): its revocation bit is set, verification fails';
COMMENT ON FUNCTION microcred.revoke_all(uuid[], text) IS 'revoke many credentials in one statement; returns how many';
COMMENT ON FUNCTION microcred.suspend(uuid, text) IS 'suspend an active credential: its suspension bit is set until reinstated';
COMMENT ON FUNCTION microcred.suspend_all(uuid[], text) IS 'suspend many credentials in one statement; returns how many';
COMMENT ON FUNCTION microcred.reinstate(uuid, text) IS 'reinstate a suspended credential';
COMMENT ON FUNCTION microcred.reinstate_all(uuid[], text) IS 'reinstate many suspended credentials in one statement; returns how many';

-- corrections: a new credential (same awardedDate, corrected values), the old one revoked and linked
CREATE FUNCTION microcred._supersede(credential uuid, grade text, evidence jsonb, reason text, actor name)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old     microcred.issued_credential;
    new_id  uuid;
BEGIN
    SELECT * INTO old FROM microcred.issued_credential c WHERE c.id = credential FOR UPDATE;
    IF old.id IS NULL THEN
        PERFORM microcred._fail('42704', format('credential %s does not exist', credential), NULL, NULL);
    END IF;
    PERFORM microcred._check_actor(old.issuer_id, actor);
    IF old.status = 'revoked' THEN
        PERFORM microcred._fail('55000', 'a revoked credential cannot be superseded',
            format('Credential %s is revoked', credential)
            || CASE WHEN old.superseded_by IS NOT NULL THEN format('; it was superseded by %s.', old.superseded_by) ELSE '.' END,
            'Supersede the credential that replaced it, or issue a new one.');
    END IF;
    new_id := microcred._issue(old.credential_type_id::text, old.learner_id, coalesce(grade, old.grade),
                               coalesce(evidence, old.evidence), now(), NULL, actor,
                               awarded_date => old.awarded_date, supersedes => old.id);
    UPDATE microcred.issued_credential c SET superseded_by = new_id WHERE c.id = old.id;
    PERFORM microcred._set_status(ARRAY[old.id], 'revoke', 'superseded', actor);
    PERFORM microcred._audit(old.issuer_id, 'supersede', old.id, coalesce(reason, 'corrected'),
                             jsonb_build_object('superseded_by', new_id), actor);
    RETURN new_id;
END
$$;
CREATE FUNCTION microcred.supersede(credential uuid, grade text DEFAULT NULL, evidence jsonb DEFAULT NULL,
                                    reason text DEFAULT 'corrected')
RETURNS uuid LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._supersede(credential, grade, evidence, reason, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.supersede(uuid, text, jsonb, text) IS
    'issue a corrected credential (new id, same awardedDate, current learner data, the given grade/evidence or the old ones) and revoke the old one as superseded; returns the new id';
