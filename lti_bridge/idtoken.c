/*-------------------------------------------------------------------------
 *
 * idtoken.c
 *	  Validation of an LTI 1.3 launch id_token.
 *
 * The order of the checks is the order of the 1EdTech Security Framework
 * (5.1.3) and OpenID Connect Core (3.1.3.7), then the LTI message claims:
 *
 *	 1. shape: at most IDT_MAX_TOKEN_BYTES, exactly three base64url parts,
 *		header and payload non-empty, no part 4n+1 long (cjose asserts on
 *		those) (not_3_parts);
 *	 2. header: a JSON object without duplicate members or "crit"
 *		(bad_header); "alg" pinned by the registration, RS256 when it names
 *		none; "none" and HS* refused before any key is touched
 *		(alg_not_allowed); "kid" present (kid_missing) and in the JWKS
 *		(kid_unknown); the key's type, size and own "alg" fit
 *		(key_alg_mismatch);
 *	 3. signature, verified with cjose over the exact signing input
 *		(bad_signature); only then is the payload parsed (bad_payload);
 *	 4. iss equal to the registration's issuer; aud holds client_id; with
 *		several audiences azp is required; azp, when present, equals
 *		client_id; exp in the future and iat not in the future, both with
 *		a leeway, compared as doubles so that huge numbers cannot wrap;
 *		nonce present (single use is the caller's check);
 *	 5. LTI: version "1.3.0"; message_type LtiResourceLinkRequest or
 *		LtiDeepLinkingRequest; deployment_id present and registered;
 *		roles present as an array of strings (empty and [""] allowed);
 *		sub non-empty when present, optional for resource links (LTI Core
 *		5.3.6.1 anonymous launch), required for deep linking (DL 2.0);
 *		resource_link.id and target_link_uri for resource links;
 *		deep_linking_settings.deep_link_return_url for deep linking.
 *
 * Messages name the claim that failed, never its value.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjose/cjose.h>
#include <jansson.h>

#include "idtoken.h"
#include "jose.h"

#define LTI_CLAIM "https://purl.imsglobal.org/spec/lti/claim/"
#define DL_CLAIM "https://purl.imsglobal.org/spec/lti-dl/claim/"
#define LTI_ID_MAX 255

static const char *const reason_codes[IDT__COUNT] = {
	[IDT_OK] = "ok",
	[IDT_TOO_LARGE] = "too_large",
	[IDT_NOT_3_PARTS] = "not_3_parts",
	[IDT_BAD_HEADER] = "bad_header",
	[IDT_ALG_NOT_ALLOWED] = "alg_not_allowed",
	[IDT_KID_MISSING] = "kid_missing",
	[IDT_KID_UNKNOWN] = "kid_unknown",
	[IDT_KEY_ALG_MISMATCH] = "key_alg_mismatch",
	[IDT_BAD_SIGNATURE] = "bad_signature",
	[IDT_BAD_PAYLOAD] = "bad_payload",
	[IDT_ISS_MISMATCH] = "iss_mismatch",
	[IDT_AUD_MISMATCH] = "aud_mismatch",
	[IDT_AZP_MISMATCH] = "azp_mismatch",
	[IDT_EXP_MISSING] = "exp_missing",
	[IDT_EXPIRED] = "expired",
	[IDT_IAT_MISSING] = "iat_missing",
	[IDT_IAT_FUTURE] = "iat_future",
	[IDT_NONCE_MISSING] = "nonce_missing",
	[IDT_SUB_EMPTY] = "sub_empty",
	[IDT_SUB_MISSING] = "sub_missing",
	[IDT_BAD_VERSION] = "bad_version",
	[IDT_BAD_MESSAGE_TYPE] = "bad_message_type",
	[IDT_DEPLOYMENT_MISSING] = "deployment_missing",
	[IDT_UNKNOWN_DEPLOYMENT] = "unknown_deployment",
	[IDT_ROLES_MISSING] = "roles_missing",
	[IDT_BAD_ROLES] = "bad_roles",
	[IDT_RESOURCE_LINK_MISSING] = "resource_link_missing",
	[IDT_TARGET_LINK_URI_MISSING] = "target_link_uri_missing",
	[IDT_DEEP_LINKING_SETTINGS_MISSING] = "deep_linking_settings_missing",
	[IDT_JWKS_UNAVAILABLE] = "jwks_unavailable",
	[IDT_BAD_REGISTRATION] = "bad_registration",
	[IDT_INTERNAL] = "internal",
};

/* asymmetric algorithms this module can verify, with their key type */
static const struct
{
	const char *alg;
	cjose_jwk_kty_t kty;
}			supported_algs[] = {
	{"RS256", CJOSE_JWK_KTY_RSA}, {"RS384", CJOSE_JWK_KTY_RSA}, {"RS512", CJOSE_JWK_KTY_RSA},
	{"PS256", CJOSE_JWK_KTY_RSA}, {"PS384", CJOSE_JWK_KTY_RSA}, {"PS512", CJOSE_JWK_KTY_RSA},
	{"ES256", CJOSE_JWK_KTY_EC}, {"ES384", CJOSE_JWK_KTY_EC}, {"ES512", CJOSE_JWK_KTY_EC},
};

/* reason code as text */
const char *
idt_reason_code(idt_reason r)
{
	if ((int) r < 0 || r >= IDT__COUNT || reason_codes[r] == NULL)
		return "unknown";
	return reason_codes[r];
}

/* set err and return its reason */
static idt_reason
fail(idt_error *err, idt_reason r, const char *msg)
{
	if (err != NULL)
	{
		err->reason = r;
		snprintf(err->message, sizeof(err->message), "%s", msg);
	}
	return r;
}

/* split into three parts; fills the dot positions (the rules are jose.c's) */
static idt_reason
split3(const char *token, size_t len, size_t *dot1, size_t *dot2, idt_error *err)
{
	if (token == NULL || len == 0)
		return fail(err, IDT_NOT_3_PARTS, "id_token is empty");
	if (len > IDT_MAX_TOKEN_BYTES)
		return fail(err, IDT_TOO_LARGE, "id_token is too large");
	switch (jose_split_compact(token, len, dot1, dot2))
	{
		case JOSE_OK:
			return IDT_OK;
		case JOSE_TOO_MANY_PARTS:
			return fail(err, IDT_NOT_3_PARTS, "id_token has more than three parts");
		case JOSE_BAD_CHARACTER:
			return fail(err, IDT_NOT_3_PARTS, "id_token has a character outside base64url");
		case JOSE_TOO_FEW_PARTS:
			return fail(err, IDT_NOT_3_PARTS, "id_token is not a three-part compact JWS");
		case JOSE_BAD_LENGTH:
			return fail(err, IDT_NOT_3_PARTS, "id_token has a part of impossible base64url length");
		case JOSE_EMPTY_PART:
			break;
	}
	return fail(err, IDT_NOT_3_PARTS, "id_token has an empty header or payload");
}


/* parse the header of a split token */
static idt_reason
parse_header(const char *token, size_t dot1, json_t **header, idt_error *err)
{
	*header = jose_decode_object(token, dot1);
	if (*header == NULL)
		return fail(err, IDT_BAD_HEADER, "id_token header is not a base64url JSON object");
	if (json_object_get(*header, "crit") != NULL)
	{
		json_decref(*header);
		*header = NULL;
		return fail(err, IDT_BAD_HEADER, "id_token header has crit extensions, none are understood");
	}
	return IDT_OK;
}

/* peek at the kid */
idt_reason
idt_peek_kid(const char *token, size_t len, char **kid, idt_error *err)
{
	size_t		d1,
				d2;
	json_t	   *header;
	idt_reason	r;
	const char *k;

	*kid = NULL;
	if ((r = split3(token, len, &d1, &d2, err)) != IDT_OK)
		return r;
	if ((r = parse_header(token, d1, &header, err)) != IDT_OK)
		return r;
	k = json_string_value(json_object_get(header, "kid"));
	if (k == NULL || k[0] == '\0')
	{
		json_decref(header);
		return fail(err, IDT_KID_MISSING, "id_token header has no kid");
	}
	*kid = strdup(k);
	json_decref(header);
	if (*kid == NULL)
		return fail(err, IDT_INTERNAL, "out of memory");
	return IDT_OK;
}

/*
 * Peek at the unverified payload's nonce (malloc'd in *nonce, NULL when the
 * token has no readable nonce).  Only to find the login state to spend: the
 * value is trusted after idt_validate has checked the signature over it.
 */
void
idt_peek_nonce(const char *token, size_t len, char **nonce)
{
	size_t		d1,
				d2;
	idt_error	err;
	json_t	   *payload;
	const char *n;

	*nonce = NULL;
	if (len > IDT_MAX_TOKEN_BYTES || split3(token, len, &d1, &d2, &err) != IDT_OK)
		return;
	payload = jose_decode_object(token + d1 + 1, d2 - d1 - 1);
	if (payload == NULL)
		return;
	n = json_string_value(json_object_get(payload, "nonce"));
	if (n != NULL && strlen(n) <= 1024)
		*nonce = strdup(n);
	json_decref(payload);
}

/*
 * The unverified payload's iss and the client it names (azp, else aud when
 * a string or an array of one): malloc'd or NULL.  Only to find a cached
 * registration: the validation checks both against it.
 */
void
idt_peek_client(const char *token, size_t len, char **iss, char **client_id)
{
	size_t		d1,
				d2;
	idt_error	err;
	json_t	   *payload,
			   *aud;
	const char *i,
			   *c;

	*iss = *client_id = NULL;
	if (len > IDT_MAX_TOKEN_BYTES || split3(token, len, &d1, &d2, &err) != IDT_OK)
		return;
	payload = jose_decode_object(token + d1 + 1, d2 - d1 - 1);
	if (payload == NULL)
		return;
	i = json_string_value(json_object_get(payload, "iss"));
	aud = json_object_get(payload, "aud");
	c = json_string_value(json_object_get(payload, "azp"));
	if (c == NULL && json_is_string(aud))
		c = json_string_value(aud);
	else if (c == NULL && json_is_array(aud) && json_array_size(aud) == 1)
		c = json_string_value(json_array_get(aud, 0));
	if (i != NULL && c != NULL && strlen(i) <= 1024 && strlen(c) <= 1024)
	{
		*iss = strdup(i);
		*client_id = strdup(c);
		if (*iss == NULL || *client_id == NULL)
		{
			free(*iss);
			free(*client_id);
			*iss = *client_id = NULL;
		}
	}
	json_decref(payload);
}

/* the supported entry of alg, or -1 */
static int
find_alg(const char *alg)
{
	for (size_t i = 0; i < sizeof(supported_algs) / sizeof(supported_algs[0]); i++)
		if (strcmp(supported_algs[i].alg, alg) == 0)
			return (int) i;
	return -1;
}

/* is alg pinned by the registration (RS256 if it names none) */
static int
alg_allowed(const idt_registration *reg, const char *alg)
{
	if (reg->algs == NULL || reg->n_algs == 0)
		return strcmp(alg, "RS256") == 0;
	for (size_t i = 0; i < reg->n_algs; i++)
		if (reg->algs[i] != NULL && strcmp(reg->algs[i], alg) == 0)
			return 1;
	return 0;
}

/* a non-empty string of at most max bytes, or NULL */
static const char *
get_str(json_t *obj, const char *key, size_t max)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (s == NULL || s[0] == '\0' || strlen(s) > max)
		return NULL;
	return s;
}

/* check aud and azp (OIDC Core 3.1.3.7 items 3 to 5) */
static idt_reason
check_audience(json_t *payload, const char *client_id, idt_error *err)
{
	json_t	   *aud = json_object_get(payload, "aud");
	json_t	   *azpv = json_object_get(payload, "azp");
	const char *azp = json_string_value(azpv);
	size_t		n_aud = 0;
	int			found = 0;

	if (json_is_string(aud))
	{
		n_aud = 1;
		found = strcmp(json_string_value(aud), client_id) == 0;
	}
	else if (json_is_array(aud))
	{
		size_t		i;
		json_t	   *v;

		json_array_foreach(aud, i, v)
		{
			if (!json_is_string(v))
				return fail(err, IDT_AUD_MISMATCH, "aud array holds a non-string");
			if (strcmp(json_string_value(v), client_id) == 0)
				found = 1;
		}
		n_aud = json_array_size(aud);
	}
	else
		return fail(err, IDT_AUD_MISMATCH, "aud is missing or not a string or array");
	if (!found)
		return fail(err, IDT_AUD_MISMATCH, "aud does not contain the registered client_id");
	if (n_aud > 1 && azpv == NULL)
		return fail(err, IDT_AZP_MISMATCH, "azp is required when aud has several values");
	if (azpv != NULL && (azp == NULL || strcmp(azp, client_id) != 0))
		return fail(err, IDT_AZP_MISMATCH, "azp is not the registered client_id");
	return IDT_OK;
}

/* check exp and iat with leeway, in the double domain */
static idt_reason
check_times(json_t *payload, const idt_options *opt, idt_error *err)
{
	json_t	   *exp = json_object_get(payload, "exp");
	json_t	   *iat = json_object_get(payload, "iat");
	double		now = (double) opt->now;
	double		leeway = opt->leeway_s >= 0 ? (double) opt->leeway_s : 0.0;

	if (!json_is_number(exp))
		return fail(err, IDT_EXP_MISSING, "exp is missing or not a number");
	if (!(now < json_number_value(exp) + leeway))
		return fail(err, IDT_EXPIRED, "id_token has expired");
	if (!json_is_number(iat))
		return fail(err, IDT_IAT_MISSING, "iat is missing or not a number");
	if (!(json_number_value(iat) <= now + leeway))
		return fail(err, IDT_IAT_FUTURE, "iat is in the future");
	return IDT_OK;
}

/* check the LTI message claims */
static idt_reason
check_lti(json_t *p, const idt_registration *reg, idt_claims *c, idt_error *err)
{
	json_t	   *v;
	json_t	   *roles;
	size_t		i;
	int			is_rl;
	int			known = 0;

	v = json_object_get(p, LTI_CLAIM "version");
	if (!json_is_string(v) || strcmp(json_string_value(v), "1.3.0") != 0)
		return fail(err, IDT_BAD_VERSION, "LTI version claim is missing or not 1.3.0");

	c->message_type = json_string_value(json_object_get(p, LTI_CLAIM "message_type"));
	if (c->message_type == NULL)
		return fail(err, IDT_BAD_MESSAGE_TYPE, "LTI message_type claim is missing");
	if (strcmp(c->message_type, "LtiResourceLinkRequest") == 0)
		is_rl = 1;
	else if (strcmp(c->message_type, "LtiDeepLinkingRequest") == 0)
		is_rl = 0;
	else
		return fail(err, IDT_BAD_MESSAGE_TYPE, "LTI message_type is not a supported launch");

	c->deployment_id = get_str(p, LTI_CLAIM "deployment_id", LTI_ID_MAX);
	if (c->deployment_id == NULL)
		return fail(err, IDT_DEPLOYMENT_MISSING, "LTI deployment_id claim is missing, empty or too long");
	for (i = 0; i < reg->n_deployment_ids; i++)
		if (reg->deployment_ids[i] != NULL && strcmp(reg->deployment_ids[i], c->deployment_id) == 0)
			known = 1;
	if (!known)
		return fail(err, IDT_UNKNOWN_DEPLOYMENT, "LTI deployment_id is not registered for this platform");

	roles = json_object_get(p, LTI_CLAIM "roles");
	if (roles == NULL)
		return fail(err, IDT_ROLES_MISSING, "LTI roles claim is missing");
	if (!json_is_array(roles))
		return fail(err, IDT_BAD_ROLES, "LTI roles claim is not an array");
	json_array_foreach(roles, i, v)
	{
		if (!json_is_string(v))
			return fail(err, IDT_BAD_ROLES, "LTI roles claim holds a non-string");
	}
	c->roles = roles;

	v = json_object_get(p, "sub");
	if (v != NULL)
	{
		c->sub = get_str(p, "sub", LTI_ID_MAX);
		if (c->sub == NULL)
			return fail(err, IDT_SUB_EMPTY, "sub is empty, not a string or too long");
	}
	else if (!is_rl)
		return fail(err, IDT_SUB_MISSING, "sub is required in a deep linking request");

	if (is_rl)
	{
		v = json_object_get(p, LTI_CLAIM "resource_link");
		c->resource_link_id = json_is_object(v) ? get_str(v, "id", LTI_ID_MAX) : NULL;
		if (c->resource_link_id == NULL)
			return fail(err, IDT_RESOURCE_LINK_MISSING, "LTI resource_link id is missing, empty or too long");
		c->target_link_uri = get_str(p, LTI_CLAIM "target_link_uri", 8192);
		if (c->target_link_uri == NULL)
			return fail(err, IDT_TARGET_LINK_URI_MISSING, "LTI target_link_uri claim is missing");
	}
	else
	{
		v = json_object_get(p, DL_CLAIM "deep_linking_settings");
		c->deep_link_return_url = json_is_object(v) ? get_str(v, "deep_link_return_url", 8192) : NULL;
		if (c->deep_link_return_url == NULL)
			return fail(err, IDT_DEEP_LINKING_SETTINGS_MISSING,
						"deep_linking_settings with a deep_link_return_url is missing");
		/* optional for deep linking, kept when present */
		c->target_link_uri = get_str(p, LTI_CLAIM "target_link_uri", 8192);
	}
	return IDT_OK;
}

/*
 * The signed part of validation, shared with other signed JWTs (Canvas Live
 * Events): shape, header, alg pinned to algs (none and HS* never), kid
 * resolved in keys with a fitting key, signature, and a JSON object
 * payload, which *payload receives (json_decref it).
 */
idt_reason
idt_verify_signed(const char *token, size_t len, const char *const *algs, size_t n_algs,
				  const jwk_set *keys, json_t **payload_out, const char **alg_out, idt_error *err)
{
	size_t		d1,
				d2;
	json_t	   *header = NULL;
	json_t	   *payload = NULL;
	cjose_jws_t *jws = NULL;
	cjose_err	cerr;
	const char *alg;
	const char *kid;
	const jwk_entry *key;
	uint8_t    *plain = NULL;
	size_t		plain_len = 0;
	json_error_t jerr;
	idt_reason	r;
	int			ai;
	idt_registration pin = {.algs = algs, .n_algs = n_algs};
	const idt_registration *reg = &pin;

	*payload_out = NULL;
	if (alg_out != NULL)
		*alg_out = NULL;
	/* 1. shape */
	if ((r = split3(token, len, &d1, &d2, err)) != IDT_OK)
		return r;

	/* 2. header: alg pinned before any key is used, then kid */
	if ((r = parse_header(token, d1, &header, err)) != IDT_OK)
		return r;
	alg = json_string_value(json_object_get(header, "alg"));
	if (alg == NULL)
	{
		r = fail(err, IDT_BAD_HEADER, "id_token header has no alg");
		goto done;
	}
	ai = find_alg(alg);
	if (ai < 0 || !alg_allowed(reg, alg))
	{
		/* none, HS*, and anything unknown land here, whatever the registration says */
		r = fail(err, IDT_ALG_NOT_ALLOWED, "id_token alg is not allowed for this platform");
		goto done;
	}
	kid = json_string_value(json_object_get(header, "kid"));
	if (kid == NULL || kid[0] == '\0')
	{
		r = fail(err, IDT_KID_MISSING, "id_token header has no kid");
		goto done;
	}
	key = jwk_set_find(keys, kid);
	if (key == NULL)
	{
		r = fail(err, IDT_KID_UNKNOWN, "id_token kid is not in the platform JWKS");
		goto done;
	}
	if (key->kty != supported_algs[ai].kty ||
		(key->alg != NULL && strcmp(key->alg, supported_algs[ai].alg) != 0) ||
		(key->kty == CJOSE_JWK_KTY_RSA && cjose_jwk_get_keysize(key->jwk, &cerr) < 2048))
	{
		r = fail(err, IDT_KEY_ALG_MISMATCH, "the JWKS key for this kid does not fit alg (type, size or alg)");
		goto done;
	}

	/* 3. signature, then the signed payload */
	if (d2 == len - 1)
	{
		r = fail(err, IDT_BAD_SIGNATURE, "id_token has an empty signature");
		goto done;
	}
	jws = cjose_jws_import(token, len, &cerr);
	if (jws == NULL || !cjose_jws_verify(jws, key->jwk, &cerr))
	{
		r = fail(err, IDT_BAD_SIGNATURE, "id_token signature does not verify");
		goto done;
	}
	if (!cjose_jws_get_plaintext(jws, &plain, &plain_len, &cerr))
	{
		r = fail(err, IDT_BAD_PAYLOAD, "id_token payload cannot be read");
		goto done;
	}
	payload = json_loadb((const char *) plain, plain_len, JSON_REJECT_DUPLICATES, &jerr);
	if (payload == NULL || !json_is_object(payload))
	{
		r = fail(err, IDT_BAD_PAYLOAD, "id_token payload is not a JSON object");
		goto done;
	}

	r = IDT_OK;
	if (alg_out != NULL)
		*alg_out = supported_algs[ai].alg;
	*payload_out = payload;
	payload = NULL;
done:
	json_decref(header);
	json_decref(payload);
	if (jws != NULL)
		cjose_jws_release(jws);
	return r;
}

/* validate an id_token */
idt_reason
idt_validate(const char *token, size_t len, const idt_registration *reg,
			 const jwk_set *keys, const idt_options *opt, idt_claims **out,
			 idt_error *err)
{
	json_t	   *payload = NULL;
	const char *alg = NULL;
	idt_claims *c = NULL;
	idt_reason	r;

	*out = NULL;
	if (err != NULL)
	{
		err->reason = IDT_OK;
		err->message[0] = '\0';
	}
	if (reg == NULL || reg->issuer == NULL || reg->issuer[0] == '\0' ||
		reg->client_id == NULL || reg->client_id[0] == '\0' || opt == NULL)
		return fail(err, IDT_BAD_REGISTRATION, "the registration lacks an issuer or a client_id");

	/* 1.-3. shape, header (alg pinned, kid), signature, payload */
	if ((r = idt_verify_signed(token, len, reg->algs, reg->n_algs, keys, &payload, &alg, err)) != IDT_OK)
		return r;

	/* 4. OpenID Connect claims */
	{
		const char *iss = json_string_value(json_object_get(payload, "iss"));

		if (iss == NULL || strcmp(iss, reg->issuer) != 0)
		{
			r = fail(err, IDT_ISS_MISMATCH, "iss is missing or not the registered issuer");
			goto done;
		}
	}
	if ((r = check_audience(payload, reg->client_id, err)) != IDT_OK)
		goto done;
	if ((r = check_times(payload, opt, err)) != IDT_OK)
		goto done;

	c = calloc(1, sizeof(idt_claims));
	if (c == NULL)
	{
		r = fail(err, IDT_INTERNAL, "out of memory");
		goto done;
	}
	c->nonce = get_str(payload, "nonce", 1024);
	if (c->nonce == NULL)
	{
		r = fail(err, IDT_NONCE_MISSING, "nonce is missing or empty");
		goto done;
	}

	/* 5. LTI claims */
	if ((r = check_lti(payload, reg, c, err)) != IDT_OK)
		goto done;

	c->alg = alg;
	c->payload = payload;
	payload = NULL;
	*out = c;
	c = NULL;
	r = IDT_OK;

done:
	free(c);
	json_decref(payload);
	return r;
}

/* free validated claims */
void
idt_claims_free(idt_claims *claims)
{
	if (claims == NULL)
		return;
	json_decref(claims->payload);
	free(claims);
}
