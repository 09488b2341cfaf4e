/*-------------------------------------------------------------------------
 *
 * multibase.c
 *	  base58btc, base64url, base64 and hex codecs, multibase prefixes and
 *	  multiformats unsigned varints.
 *
 * All decoders are strict and canonical: base64url rejects padding,
 * characters outside the URL-safe alphabet, a length of 1 modulo 4 and
 * non-zero unused trailing bits; base64 requires correct padding and zero
 * trailing bits; base58btc rejects characters outside the Bitcoin
 * alphabet (leading '1' characters are leading zero bytes, which makes the
 * encoding a bijection).  Nothing here allocates except the *_a variants,
 * which use the caller's arena.
 *
 *-------------------------------------------------------------------------
 */
#include "multibase.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char b58_alphabet[] =
"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

static const char b64url_alphabet[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static const char b64std_alphabet[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const char hex_digits[] = "0123456789abcdef";

/* Value of a base58 character, or -1 */
static int
b58_value(unsigned char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = memchr(b58_alphabet, c, 58);
	return p ? (int) (p - b58_alphabet) : -1;
}

/* Value of a base64 character in the given alphabet, or -1 */
static int
b64_value(unsigned char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (url)
	{
		if (c == '-')
			return 62;
		if (c == '_')
			return 63;
	}
	else
	{
		if (c == '+')
			return 62;
		if (c == '/')
			return 63;
	}
	return -1;
}

/* Value of a hex digit, or -1 */
static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Encode as base58btc.  Classic big-number base conversion: the digits
 * are accumulated in out (least significant first) and reversed at the
 * end; leading zero bytes become leading '1' characters.
 */
bool
mb_base58btc_encode(const unsigned char *in, size_t inlen,
					char *out, size_t outcap, size_t *outlen)
{
	size_t		zeros = 0;
	size_t		ndigits = 0;
	size_t		i,
				j;

	while (zeros < inlen && in[zeros] == 0)
		zeros++;
	if (outcap < 1)
		return false;

	/* out[zeros ..] holds base58 digit values, least significant first */
	for (i = zeros; i < inlen; i++)
	{
		unsigned int carry = in[i];

		for (j = 0; j < ndigits; j++)
		{
			unsigned char *d = (unsigned char *) &out[zeros + j];

			carry += (unsigned int) (*d) << 8;
			*d = (unsigned char) (carry % 58);
			carry /= 58;
		}
		while (carry > 0)
		{
			if (zeros + ndigits + 1 >= outcap)
				return false;
			out[zeros + ndigits] = (char) (carry % 58);
			ndigits++;
			carry /= 58;
		}
	}
	if (zeros + ndigits + 1 > outcap)
		return false;

	/* reverse digits into most-significant-first order and map */
	for (i = 0; i < ndigits / 2; i++)
	{
		char		t = out[zeros + i];

		out[zeros + i] = out[zeros + ndigits - 1 - i];
		out[zeros + ndigits - 1 - i] = t;
	}
	for (i = 0; i < ndigits; i++)
		out[zeros + i] = b58_alphabet[(unsigned char) out[zeros + i]];
	memset(out, '1', zeros);
	out[zeros + ndigits] = '\0';
	*outlen = zeros + ndigits;
	return true;
}

/* significant bytes of the little-endian 32-bit limbs */
static size_t
b58_limb_bytes(const uint32_t *limbs, size_t nlimbs)
{
	size_t		n;
	uint32_t	top;

	while (nlimbs > 0 && limbs[nlimbs - 1] == 0)
		nlimbs--;
	if (nlimbs == 0)
		return 0;
	top = limbs[nlimbs - 1];
	n = (nlimbs - 1) * 4;
	while (top > 0)
	{
		n++;
		top >>= 8;
	}
	return n;
}

/* limbs = limbs * mul + add; false when more than cap limbs would be needed */
static bool
b58_limb_muladd(uint32_t *limbs, size_t *nlimbs, size_t cap, uint32_t mul, uint32_t add)
{
	uint64_t	carry = add;

	for (size_t j = 0; j < *nlimbs; j++)
	{
		uint64_t	t = (uint64_t) limbs[j] * mul + carry;

		limbs[j] = (uint32_t) t;
		carry = t >> 32;
	}
	if (carry > 0)
	{
		if (*nlimbs >= cap)
			return false;
		limbs[(*nlimbs)++] = (uint32_t) carry;
	}
	return true;
}

/*
 * Decode base58btc.  Digits are taken five at a time (58^5 < 2^32) into
 * 32-bit limbs, a tenth of the work of one digit into bytes at a time (a
 * proofValue is decoded per verification).  Errors are the same, in the
 * same order, as when digits are taken one by one: the value only grows, so
 * it is checked against the space left before an invalid character is
 * reported and after each group.
 */
bool
mb_base58btc_decode(const char *in, size_t inlen,
					unsigned char *out, size_t outcap,
					size_t *outlen, mcj_error *err)
{
	uint32_t	limbs[MB_BASE58_MAX_INPUT / 5 + 2];
	size_t		nlimbs = 0;
	size_t		ones = 0;
	size_t		nbytes;
	uint32_t	acc = 0;
	uint32_t	mul = 1;
	size_t		i;

	if (inlen > MB_BASE58_MAX_INPUT)
	{
		mb_set_error(err, "base58 text is too long (%zu characters, maximum %d)",
					 inlen, MB_BASE58_MAX_INPUT);
		return false;
	}
	while (ones < inlen && in[ones] == '1')
		ones++;
	if (ones > outcap)
		goto too_small;

	for (i = ones; i <= inlen; i++)
	{
		int			v = i < inlen ? b58_value((unsigned char) in[i]) : 0;

		if (i == inlen || v < 0 || mul == 58u * 58 * 58 * 58 * 58)
		{
			/* flush the group, then check the space it needs */
			if (mul > 1 && !b58_limb_muladd(limbs, &nlimbs, sizeof(limbs) / sizeof(limbs[0]), mul, acc))
				goto too_small;
			acc = 0;
			mul = 1;
			if (ones + b58_limb_bytes(limbs, nlimbs) > outcap)
				goto too_small;
			if (i == inlen)
				break;
		}
		if (v < 0)
		{
			mb_set_error(err, "invalid base58 character at position %zu", i);
			if (err)
				err->offset = i;
			return false;
		}
		acc = acc * 58 + (uint32_t) v;
		mul *= 58;
	}
	nbytes = b58_limb_bytes(limbs, nlimbs);
	memset(out, 0, ones);
	for (size_t k = 0; k < nbytes; k++)
		out[ones + nbytes - 1 - k] = (unsigned char) (limbs[k / 4] >> (8 * (k % 4)));
	*outlen = ones + nbytes;
	return true;

too_small:
	mb_set_error(err, "base58 output buffer too small");
	return false;
}

/* Shared base64/base64url encoder */
static bool
b64_encode(const unsigned char *in, size_t inlen, char *out, size_t outcap,
		   size_t *outlen, const char *alphabet, bool pad)
{
	size_t		need = pad ? MB_BASE64_ENCODED_LEN(inlen) :
		MB_BASE64URL_ENCODED_LEN(inlen);
	size_t		i,
				o = 0;

	if (outcap < need + 1)
		return false;
	for (i = 0; i + 3 <= inlen; i += 3)
	{
		uint32_t	w = ((uint32_t) in[i] << 16) | ((uint32_t) in[i + 1] << 8) | in[i + 2];

		out[o++] = alphabet[(w >> 18) & 63];
		out[o++] = alphabet[(w >> 12) & 63];
		out[o++] = alphabet[(w >> 6) & 63];
		out[o++] = alphabet[w & 63];
	}
	if (inlen - i == 1)
	{
		uint32_t	w = (uint32_t) in[i] << 16;

		out[o++] = alphabet[(w >> 18) & 63];
		out[o++] = alphabet[(w >> 12) & 63];
		if (pad)
		{
			out[o++] = '=';
			out[o++] = '=';
		}
	}
	else if (inlen - i == 2)
	{
		uint32_t	w = ((uint32_t) in[i] << 16) | ((uint32_t) in[i + 1] << 8);

		out[o++] = alphabet[(w >> 18) & 63];
		out[o++] = alphabet[(w >> 12) & 63];
		out[o++] = alphabet[(w >> 6) & 63];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	*outlen = o;
	return true;
}

/* Encode as base64url without padding */
bool
mb_base64url_encode(const unsigned char *in, size_t inlen,
					char *out, size_t outcap, size_t *outlen)
{
	return b64_encode(in, inlen, out, outcap, outlen, b64url_alphabet, false);
}

/* Encode as standard padded base64 */
bool
mb_base64_encode(const unsigned char *in, size_t inlen,
				 char *out, size_t outcap, size_t *outlen)
{
	return b64_encode(in, inlen, out, outcap, outlen, b64std_alphabet, true);
}

/*
 * Shared strict base64 decoder over the unpadded symbols; name is used in
 * error messages.
 */
static bool
b64_decode_symbols(const char *in, size_t n, bool url, const char *name,
				   unsigned char *out, size_t outcap, size_t *outlen,
				   mcj_error *err)
{
	size_t		need;
	size_t		i,
				o = 0;
	uint32_t	acc = 0;
	int			bits = 0;

	/* validate the alphabet first so that errors name the real problem */
	for (i = 0; i < n; i++)
	{
		if (b64_value((unsigned char) in[i], url) < 0)
		{
			if (in[i] == '=')
				mb_set_error(err, url ? "%s must not contain padding" :
							 "%s has misplaced padding", name);
			else
				mb_set_error(err, "invalid %s character at position %zu",
							 name, i);
			if (err)
				err->offset = i;
			return false;
		}
	}
	if (n % 4 == 1)
	{
		mb_set_error(err, "invalid %s length %zu", name, n);
		return false;
	}
	need = (n / 4) * 3 + (n % 4 ? n % 4 - 1 : 0);
	if (need > outcap)
	{
		mb_set_error(err, "%s output buffer too small", name);
		return false;
	}
	for (i = 0; i < n; i++)
	{
		int			v = b64_value((unsigned char) in[i], url);

		acc = (acc << 6) | (uint32_t) v;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			out[o++] = (unsigned char) ((acc >> bits) & 0xff);
		}
	}
	/* the unused low bits of the last symbol must be zero */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
	{
		mb_set_error(err, "%s has non-zero trailing bits (non-canonical)", name);
		return false;
	}
	*outlen = o;
	return true;
}

/* Decode base64url without padding, strictly */
bool
mb_base64url_decode(const char *in, size_t inlen,
					unsigned char *out, size_t outcap,
					size_t *outlen, mcj_error *err)
{
	return b64_decode_symbols(in, inlen, true, "base64url",
							  out, outcap, outlen, err);
}

/* Decode standard padded base64, strictly (padding required) */
bool
mb_base64_decode(const char *in, size_t inlen,
				 unsigned char *out, size_t outcap,
				 size_t *outlen, mcj_error *err)
{
	size_t		n = inlen;

	if (inlen % 4 != 0)
	{
		mb_set_error(err, "invalid base64 length %zu", inlen);
		return false;
	}
	if (n > 0 && in[n - 1] == '=')
		n--;
	if (n > 0 && in[n - 1] == '=')
		n--;
	return b64_decode_symbols(in, n, false, "base64",
							  out, outcap, outlen, err);
}

/* Encode as lowercase hex */
bool
mb_hex_encode(const unsigned char *in, size_t inlen,
			  char *out, size_t outcap, size_t *outlen)
{
	size_t		i;

	if (outcap < inlen * 2 + 1)
		return false;
	for (i = 0; i < inlen; i++)
	{
		out[2 * i] = hex_digits[in[i] >> 4];
		out[2 * i + 1] = hex_digits[in[i] & 15];
	}
	out[inlen * 2] = '\0';
	*outlen = inlen * 2;
	return true;
}

/* Decode hex (either case) */
bool
mb_hex_decode(const char *in, size_t inlen,
			  unsigned char *out, size_t outcap,
			  size_t *outlen, mcj_error *err)
{
	size_t		i;

	if (inlen % 2 != 0)
	{
		mb_set_error(err, "hex text has odd length %zu", inlen);
		return false;
	}
	if (inlen / 2 > outcap)
	{
		mb_set_error(err, "hex output buffer too small");
		return false;
	}
	for (i = 0; i < inlen; i += 2)
	{
		int			hi = hex_value((unsigned char) in[i]);
		int			lo = hex_value((unsigned char) in[i + 1]);

		if (hi < 0 || lo < 0)
		{
			mb_set_error(err, "invalid hex character at position %zu",
						 hi < 0 ? i : i + 1);
			if (err)
				err->offset = hi < 0 ? i : i + 1;
			return false;
		}
		out[i / 2] = (unsigned char) ((hi << 4) | lo);
	}
	*outlen = inlen / 2;
	return true;
}

/* Allocate cap bytes from the arena (NULL on failure or NULL arena) */
static void *
arena_alloc(mcj_arena *arena, size_t cap)
{
	if (arena == NULL)
		return NULL;
	return mcj_alloc(arena, cap == 0 ? 1 : cap);
}

/* base58btc into the arena */
char *
mb_base58btc_encode_a(mcj_arena *arena, const unsigned char *in, size_t inlen)
{
	size_t		cap = MB_BASE58_ENCODED_MAX(inlen) + 1;
	char	   *out = arena_alloc(arena, cap);
	size_t		len;

	if (out == NULL || !mb_base58btc_encode(in, inlen, out, cap, &len))
		return NULL;
	return out;
}

/* base64url into the arena */
char *
mb_base64url_encode_a(mcj_arena *arena, const unsigned char *in, size_t inlen)
{
	size_t		cap = MB_BASE64URL_ENCODED_LEN(inlen) + 1;
	char	   *out = arena_alloc(arena, cap);
	size_t		len;

	if (out == NULL || !mb_base64url_encode(in, inlen, out, cap, &len))
		return NULL;
	return out;
}

/* base64 into the arena */
char *
mb_base64_encode_a(mcj_arena *arena, const unsigned char *in, size_t inlen)
{
	size_t		cap = MB_BASE64_ENCODED_LEN(inlen) + 1;
	char	   *out = arena_alloc(arena, cap);
	size_t		len;

	if (out == NULL || !mb_base64_encode(in, inlen, out, cap, &len))
		return NULL;
	return out;
}

/* hex into the arena */
char *
mb_hex_encode_a(mcj_arena *arena, const unsigned char *in, size_t inlen)
{
	size_t		cap = inlen * 2 + 1;
	char	   *out = arena_alloc(arena, cap);
	size_t		len;

	if (out == NULL || !mb_hex_encode(in, inlen, out, cap, &len))
		return NULL;
	return out;
}

/* Report an arena allocation failure */
static void *
oom(mcj_error *err)
{
	mb_set_error(err, "out of memory");
	return NULL;
}

/* base58btc decode into the arena */
unsigned char *
mb_base58btc_decode_a(mcj_arena *arena, const char *in, size_t inlen,
					  size_t *outlen, mcj_error *err)
{
	unsigned char *out = arena_alloc(arena, inlen);

	if (out == NULL)
		return oom(err);
	if (!mb_base58btc_decode(in, inlen, out, inlen == 0 ? 1 : inlen,
							 outlen, err))
		return NULL;
	return out;
}

/* base64url decode into the arena */
unsigned char *
mb_base64url_decode_a(mcj_arena *arena, const char *in, size_t inlen,
					  size_t *outlen, mcj_error *err)
{
	unsigned char *out = arena_alloc(arena, inlen);

	if (out == NULL)
		return oom(err);
	if (!mb_base64url_decode(in, inlen, out, inlen, outlen, err))
		return NULL;
	return out;
}

/* base64 decode into the arena */
unsigned char *
mb_base64_decode_a(mcj_arena *arena, const char *in, size_t inlen,
				   size_t *outlen, mcj_error *err)
{
	unsigned char *out = arena_alloc(arena, inlen);

	if (out == NULL)
		return oom(err);
	if (!mb_base64_decode(in, inlen, out, inlen, outlen, err))
		return NULL;
	return out;
}

/* hex decode into the arena */
unsigned char *
mb_hex_decode_a(mcj_arena *arena, const char *in, size_t inlen,
				size_t *outlen, mcj_error *err)
{
	unsigned char *out = arena_alloc(arena, inlen / 2);

	if (out == NULL)
		return oom(err);
	if (!mb_hex_decode(in, inlen, out, inlen / 2, outlen, err))
		return NULL;
	return out;
}

/* Multibase encode with prefix 'z' or 'u' */
char *
mb_multibase_encode(mcj_arena *arena, char base,
					const unsigned char *in, size_t inlen)
{
	size_t		cap;
	char	   *out;
	size_t		len;
	bool		ok;

	if (base == 'z')
		cap = MB_BASE58_ENCODED_MAX(inlen) + 2;
	else if (base == 'u')
		cap = MB_BASE64URL_ENCODED_LEN(inlen) + 2;
	else
		return NULL;
	out = arena_alloc(arena, cap);
	if (out == NULL)
		return NULL;
	out[0] = base;
	if (base == 'z')
		ok = mb_base58btc_encode(in, inlen, out + 1, cap - 1, &len);
	else
		ok = mb_base64url_encode(in, inlen, out + 1, cap - 1, &len);
	return ok ? out : NULL;
}

/* Multibase decode: 'z' or 'u' prefix */
unsigned char *
mb_multibase_decode(mcj_arena *arena, const char *in, size_t inlen,
					size_t *outlen, mcj_error *err)
{
	if (inlen == 0)
	{
		mb_set_error(err, "multibase value is empty");
		return NULL;
	}
	if (in[0] == 'z')
		return mb_base58btc_decode_a(arena, in + 1, inlen - 1, outlen, err);
	if (in[0] == 'u')
		return mb_base64url_decode_a(arena, in + 1, inlen - 1, outlen, err);
	if ((unsigned char) in[0] >= 0x20 && (unsigned char) in[0] < 0x7f)
		mb_set_error(err, "unsupported multibase prefix '%c' (expected 'z' or 'u')",
					 in[0]);
	else
		mb_set_error(err, "unsupported multibase prefix 0x%02x (expected 'z' or 'u')",
					 (unsigned char) in[0]);
	return NULL;
}

/* Encode an unsigned varint */
size_t
mb_varint_encode(uint64_t value, unsigned char out[10])
{
	size_t		n = 0;

	do
	{
		unsigned char b = (unsigned char) (value & 0x7f);

		value >>= 7;
		if (value != 0)
			b |= 0x80;
		out[n++] = b;
	} while (value != 0);
	return n;
}

/* Decode an unsigned varint (minimal, at most 9 bytes) */
bool
mb_varint_decode(const unsigned char *in, size_t inlen,
				 uint64_t *value, size_t *used, mcj_error *err)
{
	uint64_t	v = 0;
	size_t		i;

	for (i = 0; i < inlen && i < 9; i++)
	{
		v |= (uint64_t) (in[i] & 0x7f) << (7 * i);
		if ((in[i] & 0x80) == 0)
		{
			if (i > 0 && in[i] == 0)
			{
				mb_set_error(err, "non-minimal varint encoding");
				return false;
			}
			*value = v;
			*used = i + 1;
			return true;
		}
	}
	if (i == 9)
		mb_set_error(err, "varint is longer than 9 bytes");
	else
		mb_set_error(err, "truncated varint");
	return false;
}
