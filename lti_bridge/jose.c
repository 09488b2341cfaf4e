/*-------------------------------------------------------------------------
 *
 * jose.c
 *	  Strict base64url (jose.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>

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
