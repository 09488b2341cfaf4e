/*-------------------------------------------------------------------------
 *
 * jws.c
 *	  Compact JWS (RFC 7515) signing, strict parsing and verification.
 *
 * Only the compact serialization with a protected header is supported.
 * Algorithms: EdDSA (Ed25519), ES256, RS256, PS256 (see mccrypto.h).
 * Verification pins algorithms twice: the header alg must be in the
 * caller's allowed list and must suit the type of the caller's key; the
 * key is always the caller's, never taken from the header (jwk, jku, x5u,
 * x5c are ignored).
 *
 *-------------------------------------------------------------------------
 */
#include "jws.h"

#include <string.h>

#include "multibase.h"

/* Header parameters registered by RFC 7515/7518 (never valid in crit) */
static const char *const registered_params[] = {
	"alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ",
	"cty", "crit", "enc", "zip", "epk", "apu", "apv", "iv", "tag", "p2s",
	"p2c", NULL
};

/* crit extensions this implementation understands */
static const char *const understood_crit[] = {"b64", NULL};

/* Is s (len bytes) one of the NULL-terminated names? */
static bool
in_list(const char *s, size_t len, const char *const *names)
{
	int			i;

	for (i = 0; names[i] != NULL; i++)
	{
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return true;
	}
	return false;
}

/* Print at most 40 bytes of an alg value safely into dst */
static void
printable_alg(const char *s, size_t len, char *dst, size_t cap)
{
	size_t		i,
				o = 0;

	for (i = 0; i < len && o + 4 < cap && i < 40; i++)
	{
		unsigned char c = (unsigned char) s[i];

		dst[o++] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char) c : '?';
	}
	if (i < len && o + 4 < cap)
	{
		dst[o++] = '.';
		dst[o++] = '.';
		dst[o++] = '.';
	}
	dst[o] = '\0';
}

/* Case-insensitive ASCII comparison of a counted string with a C string */
static bool
equals_ci(const char *s, size_t len, const char *c)
{
	size_t		i;

	if (strlen(c) != len)
		return false;
	for (i = 0; i < len; i++)
	{
		unsigned char a = (unsigned char) s[i];
		unsigned char b = (unsigned char) c[i];

		if (a >= 'A' && a <= 'Z')
			a = (unsigned char) (a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (unsigned char) (b - 'A' + 'a');
		if (a != b)
			return false;
	}
	return true;
}

/*
 * Check the header "alg" and return the algorithm, refusing "none", HMAC
 * and anything unsupported with specific messages.
 */
static mcc_alg
header_alg(const mcj_value *header, mcj_error *err)
{
	const mcj_value *v = mcj_object_get(header, "alg");
	const char *s;
	size_t		len;
	char		shown[48];
	mcc_alg		alg;

	if (v == NULL)
	{
		mb_set_error(err, "jwt header has no alg");
		return MCC_ALG_NONE;
	}
	if (v->type != MCJ_STRING)
	{
		mb_set_error(err, "jwt header alg is not a string");
		return MCC_ALG_NONE;
	}
	s = v->u.str.s;
	len = v->u.str.len;
	printable_alg(s, len, shown, sizeof(shown));
	if (equals_ci(s, len, "none"))
	{
		mb_set_error(err, "jwt header alg \"%s\" is not allowed", shown);
		return MCC_ALG_NONE;
	}
	if (len >= 2 && (s[0] == 'H' || s[0] == 'h') && (s[1] == 'S' || s[1] == 's'))
	{
		mb_set_error(err, "jwt header alg \"%s\" (HMAC) is not allowed", shown);
		return MCC_ALG_NONE;
	}
	alg = mcc_alg_from_name(s, len);
	if (alg == MCC_ALG_NONE)
		mb_set_error(err, "jwt header alg \"%s\" is not supported", shown);
	return alg;
}

/* Check b64, crit, kid and typ in a protected header */
static bool
check_header(const mcj_value *header, mcj_error *err)
{
	const mcj_value *b64 = mcj_object_get(header, "b64");
	const mcj_value *crit = mcj_object_get(header, "crit");
	const mcj_value *kid = mcj_object_get(header, "kid");
	const mcj_value *typ = mcj_object_get(header, "typ");
	size_t		i;

	if (b64 != NULL)
	{
		if (b64->type == MCJ_FALSE)
		{
			mb_set_error(err, "jwt header b64 false (unencoded payload) is not supported");
			return false;
		}
		if (b64->type != MCJ_TRUE)
		{
			mb_set_error(err, "jwt header b64 is not a boolean");
			return false;
		}
	}
	if (crit != NULL)
	{
		if (crit->type != MCJ_ARRAY)
		{
			mb_set_error(err, "jwt header crit is not an array");
			return false;
		}
		for (i = 0; i < crit->u.arr.n; i++)
		{
			const mcj_value *c = crit->u.arr.items[i];
			char		shown[48];

			if (c->type != MCJ_STRING)
			{
				mb_set_error(err, "jwt header crit contains a non-string");
				return false;
			}
			printable_alg(c->u.str.s, c->u.str.len, shown, sizeof(shown));
			if (in_list(c->u.str.s, c->u.str.len, registered_params))
			{
				mb_set_error(err, "jwt header crit must not list registered parameter \"%s\"",
							 shown);
				return false;
			}
			if (!in_list(c->u.str.s, c->u.str.len, understood_crit))
			{
				mb_set_error(err, "jwt header crit parameter \"%s\" is not understood",
							 shown);
				return false;
			}
			if (mcj_object_getn(header, c->u.str.s, c->u.str.len) == NULL)
			{
				mb_set_error(err, "jwt header crit parameter \"%s\" is missing from the header",
							 shown);
				return false;
			}
		}
	}
	if (kid != NULL && kid->type != MCJ_STRING)
	{
		mb_set_error(err, "jwt header kid is not a string");
		return false;
	}
	if (typ != NULL && typ->type != MCJ_STRING)
	{
		mb_set_error(err, "jwt header typ is not a string");
		return false;
	}
	return true;
}

/* Sign a payload into a compact JWS */
char *
jws_sign(mcj_arena *arena, mcc_key *key, const mcj_value *header,
		 const unsigned char *payload, size_t payload_len, mcj_error *err)
{
	mcj_buf		hjson;
	mcj_buf		out;
	mcc_alg		alg;
	char	   *h64,
			   *p64,
			   *s64;
	unsigned char sig[MCC_SIG_MAX_LEN];
	size_t		siglen;

	if (header == NULL || header->type != MCJ_OBJECT)
	{
		mb_set_error(err, "jwt header is not a JSON object");
		return NULL;
	}
	alg = header_alg(header, err);
	if (alg == MCC_ALG_NONE)
		return NULL;
	if (!check_header(header, err))
		return NULL;
	if (!mcc_key_check_alg(key, alg, err))
		return NULL;

	mcj_buf_init(&hjson, arena, 128);
	mcj_write(&hjson, header);
	h64 = mb_base64url_encode_a(arena, (const unsigned char *) hjson.data,
								hjson.len);
	p64 = mb_base64url_encode_a(arena, payload, payload_len);
	if (h64 == NULL || p64 == NULL)
	{
		mb_set_error(err, "out of memory");
		return NULL;
	}
	mcj_buf_init(&out, arena, strlen(h64) + strlen(p64) + 2 +
				 MB_BASE64URL_ENCODED_LEN(mcc_signature_len(key, alg)) + 1);
	mcj_buf_appends(&out, h64);
	mcj_buf_appendc(&out, '.');
	mcj_buf_appends(&out, p64);
	if (!mcc_sign(key, alg, (const unsigned char *) out.data, out.len,
				  sig, sizeof(sig), &siglen, err))
		return NULL;
	s64 = mb_base64url_encode_a(arena, sig, siglen);
	if (s64 == NULL)
	{
		mb_set_error(err, "out of memory");
		return NULL;
	}
	mcj_buf_appendc(&out, '.');
	mcj_buf_appends(&out, s64);
	return out.data;
}

/* Decode one base64url part into the arena, NUL-terminated */
static unsigned char *
decode_part(mcj_arena *arena, const char *s, size_t len, const char *what,
			size_t *outlen, mcj_error *err)
{
	unsigned char *buf = mcj_alloc(arena, len + 1);
	mcj_error	e2;

	if (buf == NULL)
	{
		mb_set_error(err, "out of memory");
		return NULL;
	}
	if (!mb_base64url_decode(s, len, buf, len, outlen, &e2))
	{
		mb_set_error(err, "jwt %s is not valid base64url: %s", what, e2.message);
		return NULL;
	}
	buf[*outlen] = '\0';
	return buf;
}

/* Parse a compact JWS */
bool
jws_parse(mcj_arena *arena, const char *token, size_t len, bool json_payload,
		  jws_parts *out, mcj_error *err)
{
	const char *dot1 = NULL,
			   *dot2 = NULL;
	size_t		ndots = 0;
	size_t		i;
	char	   *copy;
	unsigned char *hbytes;
	size_t		hlen;
	mcj_parse_options opts;
	mcj_error	e2;
	const mcj_value *kid,
			   *typ;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < len; i++)
	{
		if (token[i] == '.')
		{
			ndots++;
			if (ndots == 1)
				dot1 = token + i;
			else if (ndots == 2)
				dot2 = token + i;
		}
	}
	if (ndots != 2)
	{
		mb_set_error(err, "jwt has %zu part%s, expected 3", ndots + 1,
					 ndots == 0 ? "" : "s");
		return false;
	}

	copy = mcj_strndup(arena, token, len);
	if (copy == NULL)
	{
		mb_set_error(err, "out of memory");
		return false;
	}
	dot1 = copy + (dot1 - token);
	dot2 = copy + (dot2 - token);

	if (dot1 == copy)
	{
		mb_set_error(err, "jwt header is empty");
		return false;
	}
	hbytes = decode_part(arena, copy, (size_t) (dot1 - copy), "header",
						 &hlen, err);
	if (hbytes == NULL)
		return false;
	out->payload = decode_part(arena, dot1 + 1, (size_t) (dot2 - dot1 - 1),
							   "payload", &out->payload_len, err);
	if (out->payload == NULL)
		return false;
	if (copy + len == dot2 + 1)
	{
		mb_set_error(err, "jwt signature is empty");
		return false;
	}
	out->signature = decode_part(arena, dot2 + 1, (size_t) (copy + len - dot2 - 1),
								 "signature", &out->signature_len, err);
	if (out->signature == NULL)
		return false;

	memset(&opts, 0, sizeof(opts));
	opts.max_depth = 32;
	opts.allow_duplicate_keys = false;
	out->header = mcj_parse(arena, (const char *) hbytes, hlen, &opts, &e2);
	if (out->header == NULL)
	{
		mb_set_error(err, "jwt header is not valid JSON: %s", e2.message);
		return false;
	}
	if (out->header->type != MCJ_OBJECT)
	{
		mb_set_error(err, "jwt header is not a JSON object");
		return false;
	}
	out->alg = header_alg(out->header, err);
	if (out->alg == MCC_ALG_NONE)
		return false;
	if (!check_header(out->header, err))
		return false;
	kid = mcj_object_get(out->header, "kid");
	typ = mcj_object_get(out->header, "typ");
	out->kid = kid ? kid->u.str.s : NULL;
	out->typ = typ ? typ->u.str.s : NULL;

	if (json_payload)
	{
		memset(&opts, 0, sizeof(opts));
		out->payload_json = mcj_parse(arena, (const char *) out->payload,
									  out->payload_len, &opts, &e2);
		if (out->payload_json == NULL)
		{
			mb_set_error(err, "jwt payload is not valid JSON: %s", e2.message);
			return false;
		}
		if (out->payload_json->type != MCJ_OBJECT)
		{
			mb_set_error(err, "jwt payload is not a JSON object");
			return false;
		}
	}
	out->signing_input = copy;
	out->signing_input_len = (size_t) (dot2 - copy);
	return true;
}

/* Verify parsed parts against a key and an allowed-alg list */
bool
jws_verify_parts(const jws_parts *parts, mcc_key *key,
				 const mcc_alg *allowed, size_t nallowed, mcj_error *err)
{
	size_t		i;
	bool		found = false;
	mcj_error	e2;

	if (parts == NULL || parts->alg == MCC_ALG_NONE || parts->header == NULL)
	{
		mb_set_error(err, "jwt was not parsed");
		return false;
	}
	for (i = 0; i < nallowed; i++)
	{
		if (allowed[i] == parts->alg)
			found = true;
	}
	if (!found)
	{
		mb_set_error(err, "jwt header alg \"%s\" is not among the allowed algorithms",
					 mcc_alg_name(parts->alg));
		return false;
	}
	if (!mcc_key_check_alg(key, parts->alg, &e2))
	{
		mb_set_error(err, "jwt header alg \"%s\" does not match the key: %s",
					 mcc_alg_name(parts->alg), e2.message);
		return false;
	}
	if (!mcc_verify(key, parts->alg,
					(const unsigned char *) parts->signing_input,
					parts->signing_input_len,
					parts->signature, parts->signature_len, &e2))
	{
		mb_set_error(err, "jwt %s", e2.message);
		return false;
	}
	return true;
}

/* Parse and verify */
bool
jws_verify(mcj_arena *arena, const char *token, size_t len, mcc_key *key,
		   const mcc_alg *allowed, size_t nallowed, bool json_payload,
		   jws_parts *out, mcj_error *err)
{
	jws_parts	local;
	jws_parts  *p = out ? out : &local;

	if (!jws_parse(arena, token, len, json_payload, p, err))
		return false;
	return jws_verify_parts(p, key, allowed, nallowed, err);
}
