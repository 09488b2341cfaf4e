/*-------------------------------------------------------------------------
 *
 * holder_proof.c
 *	  OpenID4VCI 1.0 "jwt" key proofs (Appendix F.1): parse, find the
 *	  holder key (kid = did:key / did:jwk verification method, or jwk),
 *	  verify the signature, read aud, nonce, iat and iss.
 *
 * Pure core (see holder_proof.h); errors are texts starting with "key
 * proof".
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "holder_proof.h"
#include "jws.h"
#include "mccrypto.h"
#include "multibase.h"

#define PROOF_TYP "openid4vci-proof+jwt"

/* the key of a did:jwk identifier or verification method ("#0" only) */
static mcc_key *
key_from_did_jwk(mcj_arena *arena, const char *kid, size_t len,
				 const char **did, mcj_error *err)
{
	const char *b64 = kid + 8;
	const char *hash = memchr(b64, '#', len - 8);
	size_t		b64len = hash ? (size_t) (hash - b64) : len - 8;
	unsigned char *raw;
	size_t		rawlen;
	mcj_value  *jwk;
	mcj_parse_options opts = {.max_depth = 4, .max_bytes = 2048};

	if (hash != NULL && (len - 8 - b64len != 2 || hash[1] != '0'))
	{
		mb_set_error(err, "key proof kid: a did:jwk verification method ends in #0");
		return NULL;
	}
	raw = mb_base64url_decode_a(arena, b64, b64len, &rawlen, err);
	if (raw == NULL)
	{
		mb_set_error(err, "key proof kid: the did:jwk is not base64url");
		return NULL;
	}
	jwk = mcj_parse(arena, (const char *) raw, rawlen, &opts, err);
	if (jwk == NULL || jwk->type != MCJ_OBJECT)
	{
		mb_set_error(err, "key proof kid: the did:jwk does not hold a JSON object");
		return NULL;
	}
	*did = mcj_strndup(arena, kid, 8 + b64len);
	return mcc_key_from_jwk(jwk, err);
}

/* the holder key named by the header: exactly one of kid and jwk */
static mcc_key *
holder_key(mcj_arena *arena, const mcj_value *header, const char **did, mcj_error *err)
{
	const mcj_value *kid = mcj_object_get(header, "kid");
	const mcj_value *jwk = mcj_object_get(header, "jwk");
	mcc_key    *key;

	if (mcj_object_get(header, "x5c") != NULL || mcj_object_get(header, "trust_chain") != NULL)
	{
		mb_set_error(err, "key proof header: x5c and trust_chain are not supported (use kid with did:key or did:jwk, or jwk)");
		return NULL;
	}
	if ((kid != NULL) == (jwk != NULL))
	{
		mb_set_error(err, "key proof header: exactly one of kid and jwk is required");
		return NULL;
	}
	if (jwk != NULL)
	{
		if (jwk->type != MCJ_OBJECT)
		{
			mb_set_error(err, "key proof header: jwk is not a JSON object");
			return NULL;
		}
		key = mcc_key_from_jwk(jwk, err);
		if (key == NULL)
			return NULL;
		/* a bare key: the holder is its did:key */
		*did = mcc_key_did_key(arena, key, err);
		if (*did == NULL)
		{
			mcc_key_free(key);
			return NULL;
		}
		return key;
	}
	if (kid->type != MCJ_STRING || memchr(kid->u.str.s, '\0', kid->u.str.len) != NULL)
	{
		mb_set_error(err, "key proof header: kid is not a string");
		return NULL;
	}
	if (kid->u.str.len > 8 && memcmp(kid->u.str.s, "did:key:", 8) == 0)
	{
		const char *hash = memchr(kid->u.str.s, '#', kid->u.str.len);

		key = mcc_key_from_did_key(kid->u.str.s, kid->u.str.len, err);
		if (key == NULL)
			return NULL;
		*did = mcj_strndup(arena, kid->u.str.s,
						   hash ? (size_t) (hash - kid->u.str.s) : kid->u.str.len);
		return key;
	}
	if (kid->u.str.len > 8 && memcmp(kid->u.str.s, "did:jwk:", 8) == 0)
		return key_from_did_jwk(arena, kid->u.str.s, kid->u.str.len, did, err);
	mb_set_error(err, "key proof header: kid must be a did:key or did:jwk verification method");
	return NULL;
}

/* aud, nonce, iat, iss of the claims set */
static bool
read_claims(const mcj_value *claims, hp_result *out, mcj_error *err)
{
	const mcj_value *aud = mcj_object_get(claims, "aud");
	const mcj_value *nonce = mcj_object_get(claims, "nonce");
	const mcj_value *iat = mcj_object_get(claims, "iat");
	const mcj_value *iss = mcj_object_get(claims, "iss");

	if (aud != NULL && aud->type == MCJ_STRING)
		out->aud[out->n_aud++] = aud->u.str.s;
	else if (aud != NULL && aud->type == MCJ_ARRAY && aud->u.arr.n <= HP_MAX_AUD)
	{
		for (size_t i = 0; i < aud->u.arr.n; i++)
		{
			if (aud->u.arr.items[i]->type != MCJ_STRING)
			{
				mb_set_error(err, "key proof claim aud must hold strings");
				return false;
			}
			out->aud[out->n_aud++] = aud->u.arr.items[i]->u.str.s;
		}
	}
	if (out->n_aud == 0)
	{
		mb_set_error(err, "key proof claim aud is required (the credential issuer identifier)");
		return false;
	}
	if (iat == NULL || iat->type != MCJ_NUMBER)
	{
		mb_set_error(err, "key proof claim iat is required (a number of seconds)");
		return false;
	}
	out->iat = iat->u.num;
	out->has_iat = true;
	if (nonce != NULL)
	{
		if (nonce->type != MCJ_STRING)
		{
			mb_set_error(err, "key proof claim nonce is not a string");
			return false;
		}
		out->nonce = nonce->u.str.s;
	}
	if (iss != NULL)
	{
		if (iss->type != MCJ_STRING)
		{
			mb_set_error(err, "key proof claim iss is not a string");
			return false;
		}
		out->iss = iss->u.str.s;
	}
	return true;
}

bool
hp_verify(mcj_arena *arena, const char *jwt, size_t len, hp_result *out, mcj_error *err)
{
	static const mcc_alg allowed[] = {MCC_ALG_EDDSA, MCC_ALG_ES256};
	jws_parts	parts;
	mcc_key    *key;
	const char *did = NULL;
	bool		ok;

	memset(out, 0, sizeof(*out));
	if (len > HP_MAX_JWT_BYTES)
	{
		mb_set_error(err, "key proof is larger than %d bytes", HP_MAX_JWT_BYTES);
		return false;
	}
	if (!jws_parse(arena, jwt, len, true, &parts, err))
	{
		char		why[sizeof(err->message)];

		memcpy(why, err->message, sizeof(why));
		mb_set_error(err, "key proof: %.140s", why);
		return false;
	}
	if (parts.typ == NULL || strcmp(parts.typ, PROOF_TYP) != 0)
	{
		mb_set_error(err, "key proof header typ must be \"%s\"", PROOF_TYP);
		return false;
	}
	if (parts.alg != MCC_ALG_EDDSA && parts.alg != MCC_ALG_ES256)
	{
		mb_set_error(err, "key proof alg must be EdDSA or ES256");
		return false;
	}
	key = holder_key(arena, parts.header, &did, err);
	if (key == NULL)
		return false;
	ok = jws_verify_parts(&parts, key, allowed, 2, err);
	mcc_key_free(key);
	if (!ok)
	{
		char		why[sizeof(err->message)];

		memcpy(why, err->message, sizeof(why));
		mb_set_error(err, "key proof signature does not verify with the holder key (%.100s)", why);
		return false;
	}
	if (!read_claims(parts.payload_json, out, err))
		return false;
	out->holder_did = did;
	out->alg = mcc_alg_name(parts.alg);
	return true;
}
