/*-------------------------------------------------------------------------
 *
 * ld_wallet.c
 *	  launch_driver: the learner page's wallet offer made on request
 *	  (POST /lti/wallet), and the bridge's cache of registrations when a
 *	  registration changes or is removed.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "launch_driver.h"
#include "../lib/tap.h"

/* POST /lti/wallet with the form fields (NULL: left out) and one extra header (NULL: none) */
static long
post_wallet(const char *state, const char *key, const char *extra_header, http_resp *r)
{
	char	   *url = at_bridge("/lti/wallet");
	char	   *e_state = state ? enc(state) : NULL;
	char	   *e_key = key ? enc(key) : NULL;
	char	   *body = fmt("%s%s&%s%s", e_state ? "state=" : "", e_state ? e_state : "",
						   e_key ? "key=" : "", e_key ? e_key : "");
	http_call	k;
	char	   *code;

	if (http_prepare(&k, url, body, NULL, NULL, NULL, r) == 0)
	{
		if (extra_header != NULL)
		{
			k.h = curl_slist_append(k.h, extra_header);
			curl_easy_setopt(k.curl, CURLOPT_HTTPHEADER, k.h);
		}
		http_finish(&k, curl_easy_perform(k.curl), url, r);
	}
	code = header(r, "X-LTI-Error");
	cause(code);				/* /metrics counts it with the launch failures */
	free(code);
	free(body);
	free(e_key);
	free(e_state);
	free(url);
	return r->status;
}

static char *
offers_of(const char *cred_id)
{
	return sql("SELECT count(*) FROM microcred.oid4vci_offer WHERE credential_id = $1::uuid", cred_id, NULL);
}

/* a refused wallet request: status and X-LTI-Error */
static void
expect_wallet_refusal(const char *state, const char *key, const char *extra, long status,
					  const char *code, const char *name)
{
	http_resp	r;
	char	   *got;

	post_wallet(state, key, extra, &r);
	got = header(&r, "X-LTI-Error");
	tap_ok(r.status == status && streq(got, code), "%s: %ld %s", name, status, code);
	if (!(r.status == status && streq(got, code)))
		tap_diag("  got HTTP %ld, X-LTI-Error %s", r.status, nz(got));
	free(got);
	resp_free(&r);
}

/* Aoife's page: a button; the offer and its QR code only when she asks */
void
test_wallet_on_request(void)
{
	login		l;
	json_t	   *claims;
	char	   *tok,
			   *cred_id = sql("SELECT id::text FROM microcred.issued_credential WHERE document->>'id' = $1", cred_url, NULL),
			   *before,
			   *after,
			   *state,
			   *key;
	launch		x;
	http_resp	r;

	if (cred_id == NULL || login_std(&l) != 0)
	{
		tap_ok(0, "login for the wallet tests");
		free(cred_id);
		return;
	}
	before = offers_of(cred_id);
	claims = rl_claims(l.nonce, AOIFE, 0, COURSE);
	tok = sign_std(claims);
	post_launch(tok, l.state, l.state, &x);
	expect_view(&x, "learner-credential", "Aoife's launch for the wallet");
	after = offers_of(cred_id);
	tap_ok(streq(before, after), "viewing her page makes no wallet offer (%s offers before and after)", nz(after));
	tap_ok(x.body && strstr(x.body, "<form method=\"post\" action=\"/lti/wallet\" data-link=\"wallet\">") &&
		   strstr(x.body, "Add it to your digital wallet</button>") &&
		   !strstr(x.body, "openid-credential-offer://") && !strstr(x.body, "QR code of the wallet offer"),
		   "her page has an \"Add to wallet\" button, and neither an offer link nor a QR code");
	state = hidden_input(x.body, "state");
	key = hidden_input(x.body, "key");
	tap_ok(streq(state, l.state) && key != NULL && strlen(key) == 64 && strspn(key, "0123456789abcdef") == 64,
		   "the button's form carries the launch's state and a 256-bit page key");
	tap_ok(sql_is("t", "SELECT wallet_credential_id = $2::uuid AND wallet_key_hash = sha256(convert_to($3, 'UTF8'))"
				  " FROM microcred.lti_login_state WHERE state = $1", l.state, cred_id, key ? key : "", NULL),
		   "the launch kept her credential and only the SHA-256 of the page key with the state");

	/* refusals first: none of them makes an offer */
	expect_wallet_refusal(state, key, "Origin: https://evil.example", 403, "cross_site",
						  "a wallet request from another site's page (Origin)");
	expect_wallet_refusal(state, key, "Sec-Fetch-Site: cross-site", 403, "cross_site",
						  "a wallet request a browser marks cross-site");
	expect_wallet_refusal(state, NULL, NULL, 400, "bad_request", "a wallet request without the key");
	expect_wallet_refusal(state, "0000000000000000000000000000000000000000000000000000000000000000", NULL,
						  401, "wallet_unknown", "a wallet request with a wrong key");
	expect_wallet_refusal("no-such-state", key, NULL, 401, "wallet_unknown", "a wallet request for an unknown launch");
	free(after);
	after = offers_of(cred_id);
	tap_ok(streq(before, after), "refused wallet requests make no offer (%s)", nz(after));

	/* she asks: one offer, as a link and a QR code */
	post_wallet(state, key, "Origin: " PUBLIC_BASE, &r);
	tap_ok(r.status == 200 && r.body && strstr(r.body, "data-view=\"wallet-offer\"") &&
		   strstr(r.body, "data-link=\"wallet\" href=\"openid-credential-offer://?credential_offer_uri=") &&
		   strstr(r.body, "aria-label=\"QR code of the wallet offer\""),
		   "asked for (POST /lti/wallet from the tool's own page): the offer as a link and a QR code");
	{
		char	   *cc = header(&r, "Cache-Control");

		tap_ok(streq(cc, "no-store"), "the offer page is not cached (Cache-Control: no-store)");
		free(cc);
	}
	free(after);
	after = offers_of(cred_id);
	{
		char	   *want = fmt("%d", atoi(before) + 1);

		tap_ok(streq(after, want), "exactly one offer was made (%s, was %s)", nz(after), nz(before));
		free(want);
	}
	tap_ok(sql_is("1", "SELECT count(*) FROM microcred.oid4vci_offer WHERE credential_id = $1::uuid"
				  " AND created_by = 'lti_launch' AND redeemed_at IS NULL"
				  " AND expires_at BETWEEN now() + interval '29 minutes' AND now() + interval '31 minutes'",
				  cred_id, NULL), "the offer is for her credential, open, and expires in 30 minutes");
	/* the offer works: the bridge serves its Credential Offer */
	{
		char	   *link = attr(r.body, "data-link=\"wallet\" href=\"");
		char	   *uri = query_param(link, "credential_offer_uri");
		const char *slash = uri ? strrchr(uri, '/') : NULL;
		char	   *path = fmt("/wallet/offers/%s", slash ? slash + 1 : "none");
		char	   *u = at_bridge(path);
		http_resp	o;
		json_t	   *doc;

		http_req(u, NULL, NULL, NULL, NULL, &o);
		doc = o.body ? json_loads(o.body, 0, NULL) : NULL;
		tap_ok(o.status == 200 && json_is_string(json_object_get(json_object_get(json_object_get(doc, "grants"),
																				  "urn:ietf:params:oauth:grant-type:pre-authorized_code"),
																 "pre-authorized_code")) &&
			   streq(json_string_value(json_array_get(json_object_get(doc, "credential_configuration_ids"), 0)),
					 "OpenBadgeCredential_ldp_vc"),
			   "the offer made on request is served at /wallet/offers/{ref} with a pre-authorized code");
		if (o.status != 200)
			tap_diag("  GET %s: %ld", path, o.status);
		json_decref(doc);
		resp_free(&o);
		free(u);
		free(path);
		free(uri);
		free(link);
	}
	resp_free(&r);
	/* once per page */
	expect_wallet_refusal(state, key, NULL, 401, "wallet_used", "the same page's button a second time");
	free(after);
	after = offers_of(cred_id);
	{
		char	   *want = fmt("%d", atoi(before) + 1);

		tap_ok(streq(after, want), "the second request made no offer (%s)", nz(after));
		free(want);
	}
	/* a page older than 30 minutes */
	if (login_std(&l) == 0)
	{
		char	   *s2,
				   *k2;

		json_decref(claims);
		free(tok);
		claims = rl_claims(l.nonce, AOIFE, 0, COURSE);
		tok = sign_std(claims);
		launch_free(&x);
		post_launch(tok, l.state, l.state, &x);
		s2 = hidden_input(x.body, "state");
		k2 = hidden_input(x.body, "key");
		free(sql("UPDATE microcred.lti_login_state SET consumed_at = now() - interval '31 minutes'"
				 " WHERE state = $1 RETURNING 1", l.state, NULL));
		expect_wallet_refusal(s2, k2, NULL, 401, "wallet_expired", "a page launched more than 30 minutes ago");
		free(s2);
		free(k2);
	}
	/* an instructor's page has no button, and no key is kept */
	if (login_std(&l) == 0)
	{
		json_decref(claims);
		free(tok);
		claims = rl_claims(l.nonce, "user-teacher-wallet", 1, COURSE);
		tok = sign_std(claims);
		launch_free(&x);
		post_launch(tok, l.state, l.state, &x);
		tap_ok(x.status == 200 && x.body && !strstr(x.body, "/lti/wallet") &&
			   sql_is("t", "SELECT wallet_credential_id IS NULL AND wallet_key_hash IS NULL"
					  " FROM microcred.lti_login_state WHERE state = $1", l.state, NULL),
			   "an instructor's page has no wallet button and keeps no key");
	}
	launch_free(&x);
	login_free(&l);
	json_decref(claims);
	free(tok);
	free(before);
	free(after);
	free(state);
	free(key);
	free(cred_id);
}

/* one launch of Aoife's for client (with a fresh login at iss/client): the launch's result in *x */
static void
launch_as(const char *client, launch *x)
{
	login		l;
	json_t	   *claims;
	char	   *tok;

	memset(x, 0, sizeof(*x));
	if (login_with(mock_base(mock), client, AOIFE, LAUNCH_URL, NULL, &l) != 0)
	{
		x->status = -1;
		return;
	}
	claims = rl_claims(l.nonce, AOIFE, 0, COURSE);
	json_object_set_new(claims, "aud", json_string(client));
	tok = sign_std(claims);
	post_launch(tok, l.state, l.state, x);
	free(tok);
	json_decref(claims);
	login_free(&l);
}

/*
 * The bridge validates launches against registrations it caches; the
 * database re-checks them in the launch's one call.  A registration
 * changed or removed is therefore refused, or used in its new form, from
 * the first launch after the change (the documented bound: no launch is
 * decided by a stale entry).  Each step below is that first launch.
 */
void
test_registration_changes(void)
{
	launch		x;
	login		stale;
	char	   *gone;

	launch_as(CLIENT_ID, &x);
	expect_view(&x, "learner-credential", "a launch that fills the bridge's cache of registrations");
	launch_free(&x);

	/* a deployment removed, then added again */
	free(sql("DELETE FROM microcred.lti_deployment WHERE platform_id = $1::uuid AND deployment_id = '" DEPLOYMENT "'"
			 " RETURNING 1", platform_id, NULL));
	launch_as(CLIENT_ID, &x);
	expect_refusal(&x, 401, "unknown_deployment", "the first launch after its deployment was removed");
	launch_free(&x);
	free(sql("SELECT microcred.lti_add_deployment($1::uuid, '" DEPLOYMENT "')::text", platform_id, NULL));
	launch_as(CLIENT_ID, &x);
	expect_view(&x, "learner-credential", "the first launch after the deployment was added again");
	launch_free(&x);

	/* the accepted algorithms changed: RS256 no longer pinned, then again */
	free(sql("UPDATE microcred.lti_platform SET algorithms = '{ES256}' WHERE id = $1::uuid RETURNING 1", platform_id, NULL));
	launch_as(CLIENT_ID, &x);
	expect_refusal(&x, 401, "alg_not_allowed", "the first RS256 launch after the registration stopped accepting RS256");
	launch_free(&x);
	free(sql("UPDATE microcred.lti_platform SET algorithms = '{RS256}' WHERE id = $1::uuid RETURNING 1", platform_id, NULL));
	launch_as(CLIENT_ID, &x);
	expect_view(&x, "learner-credential", "the first RS256 launch after RS256 was accepted again");
	launch_free(&x);

	/* the JWKS URL changed to one that does not answer, then back */
	free(sql("UPDATE microcred.lti_platform SET jwks_url = jwks_url || '-broken' WHERE id = $1::uuid RETURNING 1",
			 platform_id, NULL));
	launch_as(CLIENT_ID, &x);
	expect_refusal(&x, 502, "jwks_unavailable", "the first launch after the JWKS URL changed to a broken one");
	launch_free(&x);
	free(sql("UPDATE microcred.lti_platform SET jwks_url = left(jwks_url, -length('-broken')) WHERE id = $1::uuid"
			 " RETURNING 1", platform_id, NULL));
	launch_as(CLIENT_ID, &x);
	expect_view(&x, "learner-credential", "the first launch after the JWKS URL was restored");
	launch_free(&x);

	/* a registration removed: its logins, its waiting states and its cached entry stop working */
	{
		char	   *auth = fmt("%s/auth", mock_base(mock));
		char	   *jwks = fmt("%s/jwks", mock_base(mock));

		gone = sql("SELECT microcred.lti_register_platform('demo-uas', 'Gone LMS', $1, 'mc-client-gone', $2, $3,"
				   " deployment_ids => '{" DEPLOYMENT "}')::text", mock_base(mock), auth, jwks, NULL);
		free(auth);
		free(jwks);
	}
	launch_as("mc-client-gone", &x);
	expect_view(&x, "not-configured", "a launch through a second registration (now cached)");
	launch_free(&x);
	if (gone != NULL && login_with(mock_base(mock), "mc-client-gone", AOIFE, LAUNCH_URL, NULL, &stale) == 0)
	{
		json_t	   *claims = rl_claims(stale.nonce, AOIFE, 0, COURSE);
		char	   *tok;

		json_object_set_new(claims, "aud", json_string("mc-client-gone"));
		tok = sign_std(claims);
		free(sql("DELETE FROM microcred.lti_platform WHERE id = $1::uuid RETURNING 1", gone, NULL));
		post_launch(tok, stale.state, stale.state, &x);
		expect_refusal(&x, 401, "unknown_state", "a login begun before its registration was removed, launched after");
		launch_free(&x);
		login_free(&stale);
		login_quiet = 1;
		login_with(mock_base(mock), "mc-client-gone", AOIFE, LAUNCH_URL, NULL, &stale);
		login_quiet = 0;
		tap_ok(stale.status == 400, "no login starts for the removed registration (400)");
		if (stale.status == 400)
			cause("unknown_platform");
		/* its token, still valid against the bridge's cached entry, with a live registration's state */
		{
			login		other;

			if (login_std(&other) == 0)
			{
				json_t	   *c2 = rl_claims(other.nonce, AOIFE, 0, COURSE);
				char	   *t2;

				json_object_set_new(c2, "aud", json_string("mc-client-gone"));
				t2 = sign_std(c2);
				post_launch(t2, other.state, other.state, &x);
				expect_refusal(&x, 401, "aud_mismatch",
							   "a token for the removed registration with another registration's state");
				launch_free(&x);
				free(t2);
				json_decref(c2);
				login_free(&other);
			}
		}
		free(tok);
		json_decref(claims);
		login_free(&stale);
	}
	else
		tap_ok(0, "a second registration and its login");
	free(gone);
}
