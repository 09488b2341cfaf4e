/*-------------------------------------------------------------------------
 *
 * test_idtoken.c
 *	  Unit tests of lti_bridge/idtoken.c (TAP).
 *
 * Keys are generated with OpenSSL at start; every token is built and
 * signed here, so each check of the LTI 1.3 Security Framework gets a
 * passing and a failing case, and each 1EdTech "known bad payload" a
 * case of its own.  No network, no files.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "idtoken.h"
#include "jwk_set.h"
#include "jose_helpers.h"
#include "../lib/tap.h"

#define ISS "https://platform.example.edu"
#define CLIENT "client-1234"
#define DEP "deployment-1"
#define LTI "https://purl.imsglobal.org/spec/lti/claim/"
#define DL "https://purl.imsglobal.org/spec/lti-dl/claim/"

static EVP_PKEY *rsa_key;		/* kid k1 */
static EVP_PKEY *rsa_other;		/* not in the JWKS */
static EVP_PKEY *rsa_weak;		/* 1024 bits, kid weak */
static EVP_PKEY *ec_key;		/* kid e1 */
static jwk_set *keys;
static time_t now;

static const char *const deployments[] = {DEP, "deployment-2"};
static const char *const algs_rs256[] = {"RS256"};
static const char *const algs_many[] = {"RS256", "PS256", "ES256", "HS256", "none"};

static idt_registration reg = {ISS, CLIENT, NULL, 0, deployments, 2};

/* a valid resource link launch payload */
static json_t *
rl_payload(void)
{
	json_t	   *p = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:[s], s:{s:s}, s:s}",
							  "iss", ISS, "aud", CLIENT, "sub", "user-42",
							  "exp", (json_int_t) now + 300, "iat", (json_int_t) now - 5,
							  "nonce", "n-0123456789",
							  LTI "version", "1.3.0",
							  LTI "message_type", "LtiResourceLinkRequest",
							  LTI "deployment_id", DEP,
							  LTI "roles", "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
							  LTI "resource_link", "id", "rl-1",
							  LTI "target_link_uri", "https://tool.example.org/launch");

	json_object_set_new(p, "name", json_string("Ada Lovelace"));
	json_object_set_new(p, "email", json_string("ada@example.edu"));
	return p;
}

/* a valid deep linking request payload */
static json_t *
dl_payload(void)
{
	json_t	   *p = rl_payload();

	json_object_set_new(p, LTI "message_type", json_string("LtiDeepLinkingRequest"));
	json_object_del(p, LTI "resource_link");
	json_object_set_new(p, DL "deep_linking_settings",
						json_pack("{s:s, s:[s]}", "deep_link_return_url",
								  "https://platform.example.edu/dl/return",
								  "accept_types", "ltiResourceLink"));
	return p;
}

/* sign payload (consumed) with a header built from alg and kid */
static char *
make(json_t *payload, const char *alg, const char *kid, EVP_PKEY *pkey)
{
	char		header[256];
	char	   *body = json_dumps(payload, JSON_COMPACT);
	char	   *tok;

	if (kid)
		snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, kid);
	else
		snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
	tok = sign_compact(header, body, strlen(body), alg, pkey,
					   (const unsigned char *) "secret", 6);
	free(body);
	json_decref(payload);
	return tok;
}

/* validate tok (freed) against r and report whether the reason is expected */
static idt_reason
check_with(const idt_registration *r, char *tok, idt_reason expected, const char *name)
{
	idt_claims *claims = NULL;
	idt_error	err;
	idt_options opt = {now, 60};
	idt_reason	got = idt_validate(tok, tok ? strlen(tok) : 0, r, keys, &opt, &claims, &err);

	tap_ok(got == expected && (got == IDT_OK) == (claims != NULL) &&
		   (got == IDT_OK || err.reason == got),
		   "%s (%s)", name, idt_reason_code(got));
	if (got != expected)
		tap_diag("expected %s, got %s: %s", idt_reason_code(expected), idt_reason_code(got), err.message);
	/* messages name claims, never values from the token */
	if (got != IDT_OK && (strstr(err.message, "user-42") || strstr(err.message, "n-0123") ||
						  strstr(err.message, "Ada")))
		tap_ok(0, "message of %s leaks a claim value", name);
	idt_claims_free(claims);
	free(tok);
	return got;
}

/* validate against the default registration */
static idt_reason
check(char *tok, idt_reason expected, const char *name)
{
	return check_with(&reg, tok, expected, name);
}

/* a payload with one claim replaced (value consumed; NULL deletes it) */
static json_t *
with(json_t *p, const char *key, json_t *value)
{
	if (value)
		json_object_set_new(p, key, value);
	else
		json_object_del(p, key);
	return p;
}

/* the JWKS of the test keys */
static jwk_set *
make_keys(void)
{
	json_t	   *set = json_object();
	json_t	   *arr = json_array();
	char	   *text;
	char		err[128];
	jwk_set    *ks;
	json_t	   *oct = json_pack("{s:s, s:s, s:s}", "kty", "oct", "kid", "hmac", "k", "c2VjcmV0");

	json_array_append_new(arr, jwk_of(rsa_key, "k1", NULL));
	json_array_append_new(arr, jwk_of(rsa_key, "k1-rs384", "RS384"));
	json_array_append_new(arr, jwk_of(rsa_weak, "weak", NULL));
	json_array_append_new(arr, jwk_of(ec_key, "e1", NULL));
	json_array_append_new(arr, oct);	/* must be skipped */
	{
		json_t	   *enc = jwk_of(rsa_key, "k1-enc", NULL);

		json_object_set_new(enc, "use", json_string("enc"));	/* must be skipped */
		json_array_append_new(arr, enc);
	}
	json_object_set_new(set, "keys", arr);
	text = json_dumps(set, JSON_COMPACT);
	json_decref(set);
	ks = jwk_set_parse(text, strlen(text), err, sizeof(err));
	free(text);
	return ks;
}

/* tests of the JWKS parser itself */
static void
test_jwk_set(void)
{
	char		err[128];
	jwk_set    *s;

	tap_ok(keys != NULL && jwk_set_count(keys) == 4, "JWKS: 4 usable keys, oct and enc skipped");
	tap_ok(jwk_set_find(keys, "hmac") == NULL, "JWKS: a symmetric key is never usable");
	tap_ok(jwk_set_find(keys, "k1-enc") == NULL, "JWKS: an encryption key is never usable");
	s = jwk_set_parse("{\"keys\":5}", 10, err, sizeof(err));
	tap_ok(s == NULL, "JWKS: keys not an array refused");
	s = jwk_set_parse("{\"keys\":[],\"keys\":[]}", 21, err, sizeof(err));
	tap_ok(s == NULL, "JWKS: duplicate members refused");
	s = jwk_set_parse("nope", 4, err, sizeof(err));
	tap_ok(s == NULL, "JWKS: not JSON refused");
	{
		/* cjose asserts on base64url of length 4n+1: such a key must be skipped, not crash */
		const char *doc = "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\",\"n\":\"AQIDA=\",\"e\":\"AQAB\"},"
			"{\"kty\":\"RSA\",\"kid\":\"k2\",\"n\":\"AQIDA\",\"e\":\"AQAB\"},"
			"{\"kty\":\"EC\",\"kid\":\"k3\",\"crv\":\"P-256\",\"x\":\"A\",\"y\":\"AAAA\"}]}";

		s = jwk_set_parse(doc, strlen(doc), err, sizeof(err));
		tap_ok(s != NULL && jwk_set_count(s) == 0, "JWKS: members of impossible base64url length skipped (fuzz finding)");
		jwk_set_release(s);
	}
	{
		json_t	   *k = jwk_of(rsa_key, "priv", NULL);
		json_t	   *doc;
		char	   *text;

		json_object_set_new(k, "d", json_string("AQAB"));
		doc = json_pack("{s:[o]}", "keys", k);
		text = json_dumps(doc, JSON_COMPACT);
		s = jwk_set_parse(text, strlen(text), err, sizeof(err));
		tap_ok(s != NULL && jwk_set_count(s) == 0, "JWKS: a key with private members is skipped");
		jwk_set_release(s);
		free(text);
		json_decref(doc);
	}
}

/* shape and header checks */
static void
test_shape(void)
{
	char	   *good = make(rl_payload(), "RS256", "k1", rsa_key);
	char	   *t;
	char	   *kid = NULL;
	idt_error	err;

	tap_ok(idt_peek_kid(good, strlen(good), &kid, &err) == IDT_OK && kid && strcmp(kid, "k1") == 0,
		   "peek_kid finds the kid");
	free(kid);
	check(strdup("abc"), IDT_NOT_3_PARTS, "known bad: not a JWT");
	check(strdup("abc.def"), IDT_NOT_3_PARTS, "known bad: two parts");
	t = malloc(strlen(good) + 8);
	sprintf(t, "%s.abcd", good);
	check(t, IDT_NOT_3_PARTS, "known bad: four parts");
	t = strdup(good);
	*strchr(t, '.') = '\0';
	{
		/* header..signature: empty payload */
		char	   *dot2 = strrchr(good, '.');
		char	   *u = malloc(strlen(good) + 2);

		sprintf(u, "%s.%s", t, dot2);
		free(t);
		check(u, IDT_NOT_3_PARTS, "empty payload part");
	}
	{
		/* a signature of length 4n+1 (cjose would assert on it) */
		char	   *u = malloc(strlen(good) + 8);

		sprintf(u, "%.*s.AAAAA", (int) (strrchr(good, '.') - good), good);
		check(u, IDT_NOT_3_PARTS, "signature of impossible base64url length (no crash)");
		u = malloc(strlen(good) + 8);
		sprintf(u, "%.*s.A.%s", (int) (strchr(good, '.') - good), good, strrchr(good, '.') + 1);
		check(u, IDT_NOT_3_PARTS, "payload of impossible base64url length (no crash)");
	}
	t = strdup(good);
	t[3] = '*';
	check(t, IDT_NOT_3_PARTS, "character outside base64url");
	check(strdup(""), IDT_NOT_3_PARTS, "empty token");
	t = malloc(IDT_MAX_TOKEN_BYTES + 2);
	memset(t, 'A', IDT_MAX_TOKEN_BYTES + 1);
	t[IDT_MAX_TOKEN_BYTES + 1] = '\0';
	check(t, IDT_TOO_LARGE, "token over 64 KiB");
	{
		json_t	   *pl = rl_payload();
		char	   *body = json_dumps(pl, JSON_COMPACT);

		json_decref(pl);

		check(sign_compact("[1,2]", body, strlen(body), "RS256", rsa_key, NULL, 0),
			  IDT_BAD_HEADER, "header not a JSON object");
		check(sign_compact("{\"alg\":\"RS256\",\"kid\":\"k1\",\"crit\":[\"exp\"]}", body, strlen(body),
						   "RS256", rsa_key, NULL, 0),
			  IDT_BAD_HEADER, "header with crit refused");
		check(sign_compact("{\"alg\":\"RS256\",\"kid\":\"k1\",\"kid\":\"k2\"}", body, strlen(body),
						   "RS256", rsa_key, NULL, 0),
			  IDT_BAD_HEADER, "header with a duplicate member refused");
		check(sign_compact("{\"kid\":\"k1\"}", body, strlen(body), "RS256", rsa_key, NULL, 0),
			  IDT_BAD_HEADER, "header without alg");
		free(body);
	}
	check(good, IDT_OK, "valid resource link launch (RS256)");
}

/* alg pinning, kid, key and signature */
static void
test_alg_kid_signature(void)
{
	idt_registration many = reg;
	idt_registration rs = reg;

	many.algs = algs_many;
	many.n_algs = 5;
	rs.algs = algs_rs256;
	rs.n_algs = 1;

	check(make(rl_payload(), "none", "k1", NULL), IDT_ALG_NOT_ALLOWED, "alg none refused");
	check_with(&many, make(rl_payload(), "none", "k1", NULL), IDT_ALG_NOT_ALLOWED,
			   "alg none refused even when the registration lists it");
	check_with(&many, make(rl_payload(), "HS256", "k1", NULL), IDT_ALG_NOT_ALLOWED,
			   "HS256 refused even when the registration lists it (key confusion)");
	check(make(rl_payload(), "RS512", "k1", rsa_key), IDT_ALG_NOT_ALLOWED,
		  "RS512 refused: registration pins RS256 by default");
	check_with(&rs, make(rl_payload(), "PS256", "k1", rsa_key), IDT_ALG_NOT_ALLOWED,
			   "PS256 refused when only RS256 is registered");
	check_with(&many, make(rl_payload(), "PS256", "k1", rsa_key), IDT_OK, "PS256 accepted when registered");
	check_with(&many, make(rl_payload(), "ES256", "e1", ec_key), IDT_OK, "ES256 accepted when registered");
	check(make(rl_payload(), "ES256", "e1", ec_key), IDT_ALG_NOT_ALLOWED, "ES256 refused when not registered");

	check(make(rl_payload(), "RS256", NULL, rsa_key), IDT_KID_MISSING, "known bad: no kid");
	check(make(rl_payload(), "RS256", "", rsa_key), IDT_KID_MISSING, "empty kid");
	check(make(rl_payload(), "RS256", "k-unknown", rsa_key), IDT_KID_UNKNOWN, "known bad: wrong kid");
	check(make(rl_payload(), "RS256", "k1", rsa_key), IDT_OK, "right kid");

	check_with(&many, make(rl_payload(), "ES256", "k1", ec_key), IDT_KEY_ALG_MISMATCH,
			   "ES256 header naming an RSA key refused");
	check(make(rl_payload(), "RS256", "k1-rs384", rsa_key), IDT_KEY_ALG_MISMATCH,
		  "key whose JWK alg is RS384 refused for RS256");
	check(make(rl_payload(), "RS256", "weak", rsa_weak), IDT_KEY_ALG_MISMATCH, "RSA key under 2048 bits refused");

	check(make(rl_payload(), "RS256", "k1", rsa_other), IDT_BAD_SIGNATURE, "signed by another key");
	{
		char	   *t = make(rl_payload(), "RS256", "k1", rsa_key);
		char	   *dot1 = strchr(t, '.');

		/* flip a payload character: still base64url, no longer signed */
		dot1[5] = dot1[5] == 'A' ? 'B' : 'A';
		check(t, IDT_BAD_SIGNATURE, "payload tampered after signing");
	}
	{
		char	   *t = make(rl_payload(), "RS256", "k1", rsa_key);

		strrchr(t, '.')[1] = '\0';
		check(t, IDT_BAD_SIGNATURE, "signature stripped");
	}
	{
		const char *body = "[1,2,3]";

		check(sign_compact("{\"alg\":\"RS256\",\"kid\":\"k1\"}", body, strlen(body), "RS256", rsa_key, NULL, 0),
			  IDT_BAD_PAYLOAD, "payload not a JSON object");
		body = "{\"iss\":\"" ISS "\",\"iss\":\"https://evil.example\"}";
		check(sign_compact("{\"alg\":\"RS256\",\"kid\":\"k1\"}", body, strlen(body), "RS256", rsa_key, NULL, 0),
			  IDT_BAD_PAYLOAD, "payload with a duplicate claim refused");
	}
}

/* OpenID Connect claims */
static void
test_oidc_claims(void)
{
	idt_registration bad = reg;

	check(make(with(rl_payload(), "iss", json_string("https://evil.example")), "RS256", "k1", rsa_key),
		  IDT_ISS_MISMATCH, "iss of another platform");
	check(make(with(rl_payload(), "iss", json_string(ISS "/")), "RS256", "k1", rsa_key),
		  IDT_ISS_MISMATCH, "iss with a trailing slash is not the issuer");
	check(make(with(rl_payload(), "iss", NULL), "RS256", "k1", rsa_key), IDT_ISS_MISMATCH, "iss missing");

	check(make(with(rl_payload(), "aud", json_string("other-client")), "RS256", "k1", rsa_key),
		  IDT_AUD_MISMATCH, "aud of another client");
	check(make(with(rl_payload(), "aud", NULL), "RS256", "k1", rsa_key), IDT_AUD_MISMATCH, "aud missing");
	check(make(with(rl_payload(), "aud", json_pack("[s]", CLIENT)), "RS256", "k1", rsa_key),
		  IDT_OK, "aud as a one-element array");
	check(make(with(rl_payload(), "aud", json_pack("[s,s]", "other", CLIENT)), "RS256", "k1", rsa_key),
		  IDT_AZP_MISMATCH, "aud with several values and no azp");
	check(make(with(with(rl_payload(), "aud", json_pack("[s,s]", "other", CLIENT)), "azp", json_string(CLIENT)),
			   "RS256", "k1", rsa_key), IDT_OK, "aud with several values and azp = client_id");
	check(make(with(with(rl_payload(), "aud", json_pack("[s,s]", "other", CLIENT)), "azp", json_string("other")),
			   "RS256", "k1", rsa_key), IDT_AZP_MISMATCH, "azp of another client");
	check(make(with(rl_payload(), "azp", json_string(CLIENT)), "RS256", "k1", rsa_key), IDT_OK,
		  "azp = client_id with a single aud");
	check(make(with(rl_payload(), "aud", json_pack("[s,i]", CLIENT, 5)), "RS256", "k1", rsa_key),
		  IDT_AUD_MISMATCH, "aud array holding a number");

	check(make(with(rl_payload(), "exp", json_integer(now - 3600)), "RS256", "k1", rsa_key),
		  IDT_EXPIRED, "known bad: exp an hour ago");
	check(make(with(rl_payload(), "exp", json_integer(now - 30)), "RS256", "k1", rsa_key),
		  IDT_OK, "exp 30 s ago, inside the 60 s leeway");
	check(make(with(rl_payload(), "exp", NULL), "RS256", "k1", rsa_key), IDT_EXP_MISSING, "exp missing");
	check(make(with(rl_payload(), "exp", json_string("9999999999")), "RS256", "k1", rsa_key),
		  IDT_EXP_MISSING, "exp as a string");
	check(make(with(rl_payload(), "exp", json_real(-1e300)), "RS256", "k1", rsa_key),
		  IDT_EXPIRED, "exp -1e300 does not wrap around");
	check(make(with(rl_payload(), "iat", json_integer(now + 3600)), "RS256", "k1", rsa_key),
		  IDT_IAT_FUTURE, "known bad: iat an hour ahead");
	check(make(with(rl_payload(), "iat", json_integer(now + 30)), "RS256", "k1", rsa_key),
		  IDT_OK, "iat 30 s ahead, inside the leeway");
	check(make(with(rl_payload(), "iat", json_real(1e300)), "RS256", "k1", rsa_key),
		  IDT_IAT_FUTURE, "iat 1e300 does not wrap around");
	check(make(with(rl_payload(), "iat", NULL), "RS256", "k1", rsa_key), IDT_IAT_MISSING, "iat missing");

	check(make(with(rl_payload(), "nonce", NULL), "RS256", "k1", rsa_key), IDT_NONCE_MISSING, "nonce missing");
	check(make(with(rl_payload(), "nonce", json_string("")), "RS256", "k1", rsa_key),
		  IDT_NONCE_MISSING, "nonce empty");

	bad.issuer = NULL;
	check_with(&bad, make(rl_payload(), "RS256", "k1", rsa_key), IDT_BAD_REGISTRATION,
			   "registration without an issuer is a caller error");
}

/* LTI claims */
static void
test_lti_claims(void)
{
	json_t	   *p;

	check(make(with(rl_payload(), LTI "version", NULL), "RS256", "k1", rsa_key),
		  IDT_BAD_VERSION, "known bad: no LTI version");
	check(make(with(rl_payload(), LTI "version", json_string("1.1.0")), "RS256", "k1", rsa_key),
		  IDT_BAD_VERSION, "known bad: wrong LTI version");
	check(make(with(rl_payload(), LTI "message_type", NULL), "RS256", "k1", rsa_key),
		  IDT_BAD_MESSAGE_TYPE, "known bad: no message_type");
	check(make(with(rl_payload(), LTI "message_type", json_string("LtiSubmissionReviewRequest")),
			   "RS256", "k1", rsa_key), IDT_BAD_MESSAGE_TYPE, "unsupported message_type");
	check(make(with(rl_payload(), LTI "deployment_id", NULL), "RS256", "k1", rsa_key),
		  IDT_DEPLOYMENT_MISSING, "known bad: no deployment_id");
	check(make(with(rl_payload(), LTI "deployment_id", json_string("deployment-9")), "RS256", "k1", rsa_key),
		  IDT_UNKNOWN_DEPLOYMENT, "deployment_id not registered");
	check(make(with(rl_payload(), LTI "deployment_id", json_string("deployment-2")), "RS256", "k1", rsa_key),
		  IDT_OK, "second registered deployment_id");

	check(make(with(rl_payload(), LTI "roles", NULL), "RS256", "k1", rsa_key),
		  IDT_ROLES_MISSING, "known bad: no roles claim");
	check(make(with(rl_payload(), LTI "roles", json_string("Learner")), "RS256", "k1", rsa_key),
		  IDT_BAD_ROLES, "roles as a string");
	check(make(with(rl_payload(), LTI "roles", json_pack("[s]", "")), "RS256", "k1", rsa_key),
		  IDT_OK, "valid: roles [\"\"]");
	check(make(with(rl_payload(), LTI "roles", json_array()), "RS256", "k1", rsa_key),
		  IDT_OK, "valid: roles []");
	check(make(with(rl_payload(), LTI "roles",
					json_pack("[s,s,s]", "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
							  "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor",
							  "urn:example:unknown-role")), "RS256", "k1", rsa_key),
		  IDT_OK, "valid: multiple and unknown roles");

	check(make(with(rl_payload(), "sub", json_string("")), "RS256", "k1", rsa_key),
		  IDT_SUB_EMPTY, "known bad: empty sub");
	check(make(with(rl_payload(), "sub", json_integer(42)), "RS256", "k1", rsa_key),
		  IDT_SUB_EMPTY, "sub not a string");
	check(make(with(rl_payload(), "sub", NULL), "RS256", "k1", rsa_key),
		  IDT_OK, "valid: anonymous resource link launch without sub");
	p = rl_payload();
	json_object_del(p, "name");
	json_object_del(p, "email");
	check(make(p, "RS256", "k1", rsa_key), IDT_OK, "valid: no PII claims");

	check(make(with(rl_payload(), LTI "resource_link", NULL), "RS256", "k1", rsa_key),
		  IDT_RESOURCE_LINK_MISSING, "known bad: no resource_link");
	check(make(with(rl_payload(), LTI "resource_link", json_pack("{s:s}", "title", "x")), "RS256", "k1", rsa_key),
		  IDT_RESOURCE_LINK_MISSING, "known bad: resource_link without id");
	check(make(with(rl_payload(), LTI "target_link_uri", NULL), "RS256", "k1", rsa_key),
		  IDT_TARGET_LINK_URI_MISSING, "no target_link_uri");

	check(make(dl_payload(), "RS256", "k1", rsa_key), IDT_OK, "valid deep linking request");
	check(make(with(dl_payload(), DL "deep_linking_settings", NULL), "RS256", "k1", rsa_key),
		  IDT_DEEP_LINKING_SETTINGS_MISSING, "deep linking without settings");
	check(make(with(dl_payload(), "sub", NULL), "RS256", "k1", rsa_key),
		  IDT_SUB_MISSING, "deep linking without sub");

	/* the claims handed back */
	{
		char	   *t = make(rl_payload(), "RS256", "k1", rsa_key);
		idt_claims *c = NULL;
		idt_error	err;
		idt_options opt = {now, 60};

		idt_validate(t, strlen(t), &reg, keys, &opt, &c, &err);
		tap_ok(c != NULL && strcmp(c->deployment_id, DEP) == 0 && strcmp(c->resource_link_id, "rl-1") == 0 &&
			   strcmp(c->nonce, "n-0123456789") == 0 && strcmp(c->sub, "user-42") == 0 &&
			   strcmp(c->alg, "RS256") == 0 && json_array_size(c->roles) == 1,
			   "claims handed back: deployment, resource link, nonce, sub, alg, roles");
		idt_claims_free(c);
		free(t);
	}
}

/* generate the keys, run every group, print the plan */
int
main(void)
{
	now = time(NULL);
	rsa_key = EVP_RSA_gen(2048);
	rsa_other = EVP_RSA_gen(2048);
	rsa_weak = EVP_RSA_gen(1024);
	ec_key = EVP_EC_gen("P-256");
	if (!rsa_key || !rsa_other || !rsa_weak || !ec_key)
	{
		printf("Bail out! key generation failed\n");
		return 1;
	}
	keys = make_keys();

	test_jwk_set();
	test_shape();
	test_alg_kid_signature();
	test_oidc_claims();
	test_lti_claims();
	{
		int			ok = 1;

		for (int r = 0; r < IDT__COUNT; r++)
			if (strcmp(idt_reason_code((idt_reason) r), "unknown") == 0)
				ok = 0;
		tap_ok(ok, "every reason has a code");
	}

	jwk_set_release(keys);
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(rsa_other);
	EVP_PKEY_free(rsa_weak);
	EVP_PKEY_free(ec_key);
	return tap_done();
}
