/*-------------------------------------------------------------------------
 *
 * jose.c
 *	  Strict base64url, the compact JWS split, JSON object parts (jose.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>

#include <jansson.h>

#include "jose.h"

/* value of a base64url character, -1 if not one */
int
jose_b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Strict base64url decoding without padding (RFC 7515 section 2):
 * malloc'd, NUL-terminated output; NULL on a bad character, a bad length
 * or non-zero trailing bits.
 */
unsigned char *
jose_b64url_decode(const char *s, size_t len, size_t *outlen)
{
	unsigned char *out;
	size_t		o = 0;
	unsigned int acc = 0;
	int			bits = 0;

	if (len % 4 == 1)
		return NULL;
	out = malloc(len * 3 / 4 + 2);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
	{
		int			v = jose_b64url_value((unsigned char) s[i]);

		if (v < 0)
		{
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned int) v;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			out[o++] = (unsigned char) (acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
	{
		free(out);
		return NULL;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

jose_split_result
jose_split_compact(const char *token, size_t len, size_t *dot1, size_t *dot2)
{
	size_t		dots[2];
	int			n = 0;

	for (size_t i = 0; i < len; i++)
	{
		if (token[i] == '.')
		{
			if (n == 2)
				return JOSE_TOO_MANY_PARTS;
			dots[n++] = i;
		}
		else if (jose_b64url_value((unsigned char) token[i]) < 0)
			return JOSE_BAD_CHARACTER;
	}
	if (n != 2)
		return JOSE_TOO_FEW_PARTS;
	/* a base64url part can never be 1 more than a multiple of 4 long */
	if (dots[0] % 4 == 1 || (dots[1] - dots[0] - 1) % 4 == 1 || (len - dots[1] - 1) % 4 == 1)
		return JOSE_BAD_LENGTH;
	if (dots[0] == 0 || dots[1] == dots[0] + 1)
		return JOSE_EMPTY_PART;
	*dot1 = dots[0];
	*dot2 = dots[1];
	return JOSE_OK;
}

json_t *
jose_decode_object(const char *part, size_t len)
{
	size_t		n;
	unsigned char *raw = jose_b64url_decode(part, len, &n);
	json_t	   *obj;
	json_error_t jerr;

	if (raw == NULL)
		return NULL;
	obj = json_loadb((const char *) raw, n, JSON_REJECT_DUPLICATES, &jerr);
	free(raw);
	if (obj != NULL && !json_is_object(obj))
	{
		json_decref(obj);
		return NULL;
	}
	return obj;
}
