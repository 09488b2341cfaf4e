/*
 * microcred install script, 93_oid4vci_views.sql: the OpenID4VCI state's
 * purge and erasure, the views admins and issuers read, and the grants of
 * the 93_oid4vci parts.
 */

-- expired offers without deliveries, tokens and nonces older than a day go
CREATE FUNCTION microcred.oid4vci_purge()
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n1 bigint;
    n2 bigint;
    n3 bigint;
BEGIN
    DELETE FROM microcred.oid4vci_token x WHERE x.expires_at < now() - interval '1 day';
    GET DIAGNOSTICS n1 = ROW_COUNT;
    DELETE FROM microcred.oid4vci_nonce x WHERE x.expires_at < now() - interval '1 day';
    GET DIAGNOSTICS n2 = ROW_COUNT;
    DELETE FROM microcred.oid4vci_offer x
     WHERE x.expires_at < now() - interval '1 day'
       AND NOT EXISTS (SELECT FROM microcred.oid4vci_delivery d WHERE d.offer_id = x.id);
    GET DIAGNOSTICS n3 = ROW_COUNT;
    RETURN n1 + n2 + n3;
END
$$;
COMMENT ON FUNCTION microcred.oid4vci_purge() IS
    'remove wallet-delivery state older than a day: expired access tokens, nonces, and expired offers nothing was delivered for; the number of rows removed';

-- erasing a learner: offers not yet redeemed go, delivered copies are dropped (their record stays)
CREATE FUNCTION microcred._oid4vci_erase()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM microcred.oid4vci_token t
     USING microcred.oid4vci_offer o, microcred.issued_credential c
     WHERE t.offer_id = o.id AND o.credential_id = c.id AND c.learner_id = NEW.id;
    UPDATE microcred.oid4vci_offer o SET expires_at = least(o.expires_at, now())
      FROM microcred.issued_credential c
     WHERE o.credential_id = c.id AND c.learner_id = NEW.id AND o.expires_at > now();
    UPDATE microcred.oid4vci_delivery d SET credential = NULL
      FROM microcred.issued_credential c
     WHERE d.credential_id = c.id AND c.learner_id = NEW.id AND d.credential IS NOT NULL;
    RETURN NULL;
END
$$;
CREATE TRIGGER oid4vci_erase AFTER UPDATE OF erased_at ON microcred.learner
    FOR EACH ROW WHEN (NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL)
    EXECUTE FUNCTION microcred._oid4vci_erase();

-- what admins and issuers see: offers and deliveries of their issuers
CREATE VIEW microcred.wallet_offers AS
SELECT o.id, i.handle AS issuer, o.credential_id, o.configuration_ids, o.tx_code_hash IS NOT NULL AS tx_code_required,
       o.created_by, o.created_at, o.expires_at, o.redeemed_at,
       CASE WHEN o.redeemed_at IS NOT NULL THEN 'redeemed'
            WHEN o.expires_at <= now() THEN 'expired' ELSE 'open' END AS state
  FROM microcred.oid4vci_offer o
  JOIN microcred.issuer i ON i.id = o.issuer_id
 WHERE microcred.acts_for(o.issuer_id, current_user);
COMMENT ON VIEW microcred.wallet_offers IS 'OpenID4VCI credential offers of the issuers the current role acts for (no secrets: codes are stored hashed)';
COMMENT ON COLUMN microcred.wallet_offers.id IS 'the offer''s id (wallet_offer returned it as offer_id)';
COMMENT ON COLUMN microcred.wallet_offers.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.wallet_offers.credential_id IS 'the issued credential offered';
COMMENT ON COLUMN microcred.wallet_offers.configuration_ids IS 'the credential configurations offered (ldp_vc, jwt_vc_json)';
COMMENT ON COLUMN microcred.wallet_offers.tx_code_required IS 'whether the wallet must send a transaction code';
COMMENT ON COLUMN microcred.wallet_offers.created_by IS 'the role that made the offer, or lti_launch for the LTI learner page';
COMMENT ON COLUMN microcred.wallet_offers.created_at IS 'when the offer was made';
COMMENT ON COLUMN microcred.wallet_offers.expires_at IS 'when its pre-authorized code stops working';
COMMENT ON COLUMN microcred.wallet_offers.redeemed_at IS 'when a wallet redeemed its pre-authorized code (once)';
COMMENT ON COLUMN microcred.wallet_offers.state IS 'open, redeemed or expired';

CREATE VIEW microcred.wallet_deliveries AS
SELECT d.id, i.handle AS issuer, d.credential_id, d.configuration_id, d.format, d.holder_did, d.proof_alg,
       d.delivered_at, d.credential
  FROM microcred.oid4vci_delivery d
  JOIN microcred.issuer i ON i.id = d.issuer_id
 WHERE microcred.acts_for(d.issuer_id, current_user);
COMMENT ON VIEW microcred.wallet_deliveries IS
    'holder-bound copies delivered to wallets, of the issuers the current role acts for: which holder DID received which credential, in which format, when';
COMMENT ON COLUMN microcred.wallet_deliveries.id IS 'the delivery''s id';
COMMENT ON COLUMN microcred.wallet_deliveries.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.wallet_deliveries.credential_id IS 'the issued credential a copy of which was delivered';
COMMENT ON COLUMN microcred.wallet_deliveries.configuration_id IS 'the credential configuration the wallet asked for';
COMMENT ON COLUMN microcred.wallet_deliveries.format IS 'ldp_vc (Data Integrity) or jwt_vc_json (Open Badges 3.0 VC-JWT)';
COMMENT ON COLUMN microcred.wallet_deliveries.holder_did IS 'the holder''s DID written into credentialSubject.id (did:key or did:jwk)';
COMMENT ON COLUMN microcred.wallet_deliveries.proof_alg IS 'the algorithm of the wallet''s key proof (EdDSA or ES256)';
COMMENT ON COLUMN microcred.wallet_deliveries.delivered_at IS 'when the copy was delivered';
COMMENT ON COLUMN microcred.wallet_deliveries.credential IS 'the delivered copy; NULL after the learner''s erasure';

-- grants for this part
REVOKE ALL ON microcred.oid4vci_offer, microcred.oid4vci_token, microcred.oid4vci_nonce,
              microcred.oid4vci_delivery FROM PUBLIC;
REVOKE ALL ON FUNCTION microcred._oid4vci_configurations(), microcred._oid4vci_hash(text),
              microcred._oid4vci_code(text), microcred._url_encode(text),
              microcred._oid4vci_issuer_url(microcred.issuer),
              microcred._oid4vci_new_offer(uuid, boolean, interval, name), microcred.wallet_offer(uuid, boolean, interval),
              microcred._oid4vci_page_offer(uuid), microcred.oid4vci_offer(text),
              microcred.oid4vci_issuer_metadata(text), microcred.oid4vci_as_metadata(text),
              microcred.oid4vci_token(text, text, interval), microcred.oid4vci_nonce(interval),
              microcred._oid4vci_error(integer, text, text),
              microcred._oid4vci_copy(microcred.issued_credential, text, text),
              microcred.oid4vci_credential(text, text, text), microcred.oid4vci_purge(),
              microcred._oid4vci_erase(), microcred._holder_proof(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION microcred.wallet_offer(uuid, boolean, interval) TO microcred_admin, microcred_issuer;
GRANT EXECUTE ON FUNCTION microcred.oid4vci_purge() TO microcred_admin;
GRANT SELECT ON microcred.wallet_offers, microcred.wallet_deliveries TO microcred_admin, microcred_issuer;
GRANT EXECUTE ON FUNCTION microcred.oid4vci_offer(text), microcred.oid4vci_issuer_metadata(text),
              microcred.oid4vci_as_metadata(text), microcred.oid4vci_token(text, text, interval),
              microcred.oid4vci_nonce(interval), microcred.oid4vci_credential(text, text, text)
    TO microcred_bridge;
