/*-------------------------------------------------------------------------
 *
 * statuslist.c
 *	  W3C Bitstring Status List v1.0: encodedList encoding and strict
 *	  decoding, bit access, and validation of BitstringStatusListEntry
 *	  and BitstringStatusListCredential documents.
 *
 * The encoder compresses with zlib's deflate and a GZIP wrapper
 * (windowBits 15 + 16) whose header is fixed (mtime 0, no name, OS 3), so
 * equal bitstrings always give equal encodedList text.  It uses the
 * run-length strategy (Z_RLE: matches at distance 1 only): a status list
 * is mostly runs of zero bytes, which Z_RLE compresses about as well as
 * the default strategy at a fraction of its cost (measured on a
 * 131,072-entry list with 1% of entries set: 2011 bytes in 0.2 ms,
 * against 2150 bytes in 1.4 ms for level 6 and 1884 bytes in 23 ms for
 * level 9).  The decoder
 * accepts exactly one GZIP member and nothing else, and bounds the
 * decompressed size before and while inflating.  zlib's working memory
 * comes from the caller's arena, so nothing leaks if the caller's arena
 * is a memory context that an error releases.
 *
 *-------------------------------------------------------------------------
 */
#define ZLIB_CONST

#include "statuslist.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <zlib.h>

#include "multibase.h"

/* GZIP header (10 bytes) + empty deflate block (2) + trailer (8) */
#define SL_GZIP_MIN_LEN		20

/* Deflate expands at most 1032 times: 258 bytes from a 2-bit match */
#define SL_DEFLATE_MAX_RATIO	1032

/* Largest max_bytes option honoured (keeps every length within uInt) */
#define SL_HARD_MAX_BYTES	((size_t) 1 << 30)

/* zlib allocation hook: memory from the arena */
static voidpf
sl_zalloc(voidpf opaque, uInt items, uInt size)
{
	if (size != 0 && items > SIZE_MAX / size)
		return Z_NULL;
	return mcj_alloc((mcj_arena *) opaque, (size_t) items * size);
}

/* zlib free hook: the arena releases everything at once */
static void
sl_zfree(voidpf opaque, voidpf address)
{
	(void) opaque;
	(void) address;
}

/*
 * Copy at most 40 bytes of s into out (64 bytes) for an error message:
 * cut at a UTF-8 character boundary, control characters as '?', "..."
 * when shortened.
 */
static const char *
sl_snippet(const char *s, size_t len, char out[64])
{
	size_t		n = len > 40 ? 40 : len;
	size_t		i;

	if (n < len)
		while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
			n--;
	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char) c;
	}
	if (n < len)
	{
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

/* Encoding ------------------------------------------------------------ */

/* bits -> "u" + base64url(GZIP(bits)) */
char *
sl_encode(mcj_arena *arena, const unsigned char *bits, size_t nbits,
		  mcj_error *err)
{
	z_stream	zs;
	gz_header	header;
	size_t		nbytes;
	uLong		bound;
	unsigned char *gz;
	char	   *text;
	int			rc;

	if (nbits % 8 != 0)
	{
		mb_set_error(err, "status list length %zu is not a multiple of 8 bits",
					 nbits);
		return NULL;
	}
	if (nbits < SL_MIN_ENTRIES)
	{
		mb_set_error(err, "status list is shorter than the minimum %d entries (it has %zu)",
					 SL_MIN_ENTRIES, nbits);
		return NULL;
	}
	nbytes = nbits / 8;
	if (nbytes > SL_DEFAULT_MAX_BYTES)
	{
		mb_set_error(err, "status list is longer than the maximum %zu entries (it has %zu)",
					 SL_DEFAULT_MAX_BYTES * 8, nbits);
		return NULL;
	}
	if (bits == NULL)
	{
		mb_set_error(err, "status list has no bits");
		return NULL;
	}

	memset(&zs, 0, sizeof(zs));
	zs.zalloc = sl_zalloc;
	zs.zfree = sl_zfree;
	zs.opaque = arena;
	if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_RLE) != Z_OK)
	{
		mb_set_error(err, "cannot start GZIP compression: out of memory");
		return NULL;
	}
	/* fixed header: no text flag, mtime 0, no extra, name or comment */
	memset(&header, 0, sizeof(header));
	header.os = 3;
	if (deflateSetHeader(&zs, &header) != Z_OK)
	{
		deflateEnd(&zs);
		mb_set_error(err, "cannot set the GZIP header");
		return NULL;
	}
	bound = deflateBound(&zs, (uLong) nbytes);
	gz = (unsigned char *) mcj_alloc(arena, bound);
	if (gz == NULL)
	{
		deflateEnd(&zs);
		mb_set_error(err, "out of memory");
		return NULL;
	}
	zs.next_in = bits;
	zs.avail_in = (uInt) nbytes;
	zs.next_out = gz;
	zs.avail_out = (uInt) bound;
	rc = deflate(&zs, Z_FINISH);
	if (rc != Z_STREAM_END)
	{
		deflateEnd(&zs);
		mb_set_error(err, "GZIP compression failed (zlib status %d)", rc);
		return NULL;
	}
	deflateEnd(&zs);
	text = mb_multibase_encode(arena, 'u', gz, (size_t) zs.total_out);
	if (text == NULL)
		mb_set_error(err, "out of memory");
	return text;
}

/* Decoding ------------------------------------------------------------ */

/* whether the two bytes look like a zlib (RFC 1950) stream header */
static bool
sl_looks_like_zlib(const unsigned char *p, size_t len)
{
	return len >= 2 && (p[0] & 0x0f) == 8 && (p[0] >> 4) <= 7 &&
		((p[0] << 8) | p[1]) % 31 == 0;
}

/*
 * sl_decode step 1: "u" + base64url -> the GZIP member, with the wrapper
 * checked before zlib sees it, for clearer errors
 */
static unsigned char *
sl_decode_gzip_member(mcj_arena *arena, const char *text, size_t len,
					  size_t max_bytes, size_t *gzlen, mcj_error *err)
{
	size_t		max_gz;
	unsigned char *gz;
	mcj_error	b64err;

	if (text == NULL || len == 0)
	{
		mb_set_error(err, "encodedList is empty");
		return NULL;
	}
	if (text[0] != 'u')
	{
		unsigned char c = (unsigned char) text[0];

		if (c > 0x20 && c < 0x7f)
			mb_set_error(err, "encodedList must start with \"u\" (multibase base64url), not '%c'",
						 c);
		else
			mb_set_error(err, "encodedList must start with \"u\" (multibase base64url), not byte 0x%02x",
						 c);
		return NULL;
	}

	/*
	 * Refuse text longer than any GZIP member of at most max_bytes bytes
	 * needs: stored blocks cost 5 bytes per 64 KB, so 1/16 is very
	 * generous.
	 */
	max_gz = max_bytes + max_bytes / 16 + 1024;
	if ((len - 1) / 4 * 3 > max_gz)
	{
		mb_set_error(err, "encodedList is too long (%zu characters) for a list of at most %zu bytes",
					 len, max_bytes);
		return NULL;
	}
	gz = mb_base64url_decode_a(arena, text + 1, len - 1, gzlen, &b64err);
	if (gz == NULL)
	{
		mb_set_error(err, "encodedList is not valid base64url: %s", b64err.message);
		return NULL;
	}

	/* recognize the wrapper before zlib does, for clearer errors */
	if (*gzlen < 2 || gz[0] != 0x1f || gz[1] != 0x8b)
	{
		if (sl_looks_like_zlib(gz, *gzlen))
			mb_set_error(err, "encodedList is zlib-wrapped (RFC 1950), not GZIP (RFC 1952)");
		else
			mb_set_error(err, "encodedList is not GZIP (RFC 1952) data: no GZIP magic bytes");
		return NULL;
	}
	if (*gzlen < SL_GZIP_MIN_LEN)
	{
		mb_set_error(err, "encodedList GZIP data is truncated (%zu bytes)", *gzlen);
		return NULL;
	}
	if (gz[2] != 8)
	{
		mb_set_error(err, "encodedList GZIP data uses unknown compression method %d",
					 gz[2]);
		return NULL;
	}
	return gz;
}

/*
 * sl_decode step 2: the size of the first output buffer for a GZIP member
 * of gzlen bytes, at most max_bytes + 1
 */
static size_t
sl_first_buffer_size(const unsigned char *gz, size_t gzlen, size_t max_bytes)
{
	uint32_t	isize;
	size_t		cap;

	/*
	 * ISIZE, the last four bytes, is the decompressed length modulo 2^32
	 * when the data is intact.  It only sizes the first buffer: truncated
	 * or forged data may say anything, so inflating stops at the limit
	 * whatever it announced.
	 */
	isize = (uint32_t) gz[gzlen - 4] | (uint32_t) gz[gzlen - 3] << 8 |
		(uint32_t) gz[gzlen - 2] << 16 | (uint32_t) gz[gzlen - 1] << 24;
	cap = (size_t) isize <= max_bytes ? (size_t) isize + 1 : 65536;
	if (cap / SL_DEFLATE_MAX_RATIO > gzlen)
		cap = gzlen * SL_DEFLATE_MAX_RATIO;
	if (cap < 4096)
		cap = 4096;
	if (cap > max_bytes + 1)
		cap = max_bytes + 1;
	return cap;
}

/*
 * sl_decode step 3: inflate the GZIP member into at most max_bytes + 1
 * bytes, growing the buffer as needed; refuses truncated, corrupt and
 * trailing data.  Sets *outlen to the number of bytes inflated.
 */
static unsigned char *
sl_inflate_bounded(mcj_arena *arena, unsigned char *gz, size_t gzlen,
				   size_t max_bytes, size_t *outlen, mcj_error *err)
{
	size_t		cap;
	unsigned char *out;
	z_stream	zs;
	int			rc;

	cap = sl_first_buffer_size(gz, gzlen, max_bytes);
	out = (unsigned char *) mcj_alloc(arena, cap);
	if (out == NULL)
	{
		mb_set_error(err, "out of memory");
		return NULL;
	}

	memset(&zs, 0, sizeof(zs));
	zs.zalloc = sl_zalloc;
	zs.zfree = sl_zfree;
	zs.opaque = arena;
	if (inflateInit2(&zs, 15 + 16) != Z_OK)	/* GZIP only */
	{
		mb_set_error(err, "cannot start GZIP decompression: out of memory");
		return NULL;
	}
	zs.next_in = gz;
	zs.avail_in = (uInt) gzlen;
	zs.next_out = out;
	zs.avail_out = (uInt) cap;
	for (;;)
	{
		rc = inflate(&zs, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			break;
		if (rc == Z_OK || rc == Z_BUF_ERROR)
		{
			if (zs.avail_out == 0)
			{
				size_t		newcap;
				unsigned char *bigger;

				if (cap > max_bytes)
				{
					inflateEnd(&zs);
					mb_set_error(err, "decompressed status list is larger than the limit of %zu bytes",
								 max_bytes);
					return NULL;
				}
				newcap = cap > (max_bytes + 1) / 2 ? max_bytes + 1 : cap * 2;
				bigger = (unsigned char *) mcj_alloc(arena, newcap);
				if (bigger == NULL)
				{
					inflateEnd(&zs);
					mb_set_error(err, "out of memory");
					return NULL;
				}
				memcpy(bigger, out, cap);
				out = bigger;
				zs.next_out = out + cap;
				zs.avail_out = (uInt) (newcap - cap);
				cap = newcap;
				continue;
			}
			if (zs.avail_in == 0 || rc == Z_BUF_ERROR)
			{
				inflateEnd(&zs);
				mb_set_error(err, "encodedList GZIP data is truncated");
				return NULL;
			}
			continue;
		}
		if (rc == Z_MEM_ERROR)
			mb_set_error(err, "out of memory");
		else
			mb_set_error(err, "encodedList GZIP data is invalid: %s",
						 zs.msg ? zs.msg : "corrupt stream");
		inflateEnd(&zs);
		return NULL;
	}
	*outlen = (size_t) zs.total_out;
	if (zs.avail_in != 0)
	{
		mb_set_error(err, "encodedList has %u bytes of trailing data after the GZIP stream",
					 zs.avail_in);
		inflateEnd(&zs);
		return NULL;
	}
	inflateEnd(&zs);
	return out;
}

/* "u" + base64url(GZIP(bits)) -> bits, strictly and with bounded size */
unsigned char *
sl_decode(mcj_arena *arena, const char *text, size_t len,
		  const sl_decode_options *options, size_t *nbits, mcj_error *err)
{
	size_t		max_bytes = SL_DEFAULT_MAX_BYTES;
	size_t		min_entries = SL_MIN_ENTRIES;
	size_t		gzlen;
	unsigned char *gz;
	unsigned char *out;
	size_t		outlen = 0;

	*nbits = 0;
	if (options != NULL && options->max_bytes != 0)
		max_bytes = options->max_bytes;
	if (options != NULL && options->min_entries != 0)
		min_entries = options->min_entries;
	if (max_bytes > SL_HARD_MAX_BYTES)
		max_bytes = SL_HARD_MAX_BYTES;

	gz = sl_decode_gzip_member(arena, text, len, max_bytes, &gzlen, err);
	if (gz == NULL)
		return NULL;
	out = sl_inflate_bounded(arena, gz, gzlen, max_bytes, &outlen, err);
	if (out == NULL)
		return NULL;
	if (outlen > max_bytes)
	{
		mb_set_error(err, "decompressed status list is larger than the limit of %zu bytes",
					 max_bytes);
		return NULL;
	}
	if (outlen < min_entries / 8 + (min_entries % 8 != 0))
	{
		mb_set_error(err, "status list is shorter than the minimum %zu entries (it has %zu)",
					 min_entries, outlen * 8);
		return NULL;
	}
	*nbits = outlen * 8;
	return out;
}

/* Bit access ---------------------------------------------------------- */

/* the out-of-range error */
static bool
sl_range_error(uint64_t index, size_t nbits, mcj_error *err)
{
	mb_set_error(err, "status list index %" PRIu64 " is out of range (list has %zu entries)",
				 index, nbits);
	return false;
}

/* read entry index (MSB first) */
bool
sl_get(const unsigned char *bits, size_t nbits, uint64_t index, bool *value,
	   mcj_error *err)
{
	if (index >= nbits)
		return sl_range_error(index, nbits, err);
	*value = (bits[index / 8] >> (7 - index % 8)) & 1;
	return true;
}

/* write entry index (MSB first) */
bool
sl_set(unsigned char *bits, size_t nbits, uint64_t index, bool value,
	   mcj_error *err)
{
	unsigned char mask;

	if (index >= nbits)
		return sl_range_error(index, nbits, err);
	mask = (unsigned char) (0x80 >> (index % 8));
	if (value)
		bits[index / 8] |= mask;
	else
		bits[index / 8] &= (unsigned char) ~mask;
	return true;
}

/* Documents ----------------------------------------------------------- */

/* name of a JSON type for messages */
static const char *
sl_type_name(const mcj_value *v)
{
	switch (v->type)
	{
		case MCJ_NULL:
			return "null";
		case MCJ_FALSE:
		case MCJ_TRUE:
			return "a boolean";
		case MCJ_NUMBER:
			return "a number";
		case MCJ_STRING:
			return "a string";
		case MCJ_ARRAY:
			return "an array";
		case MCJ_OBJECT:
			return "an object";
	}
	return "a value";
}

/* whether a type value (string or array of strings) includes name */
static bool
sl_type_includes(const mcj_value *type, const char *name)
{
	size_t		i;

	if (type->type == MCJ_STRING)
		return mcj_is_string(type, name);
	if (type->type != MCJ_ARRAY)
		return false;
	for (i = 0; i < type->u.arr.n; i++)
		if (mcj_is_string(type->u.arr.items[i], name))
			return true;
	return false;
}

/* check that "type" of what is a string or array including name */
static bool
sl_check_type(const mcj_value *obj, const char *what, const char *name,
			  mcj_error *err)
{
	const mcj_value *type = mcj_object_get(obj, "type");
	char		snip[64];

	if (type == NULL)
	{
		mb_set_error(err, "%s has no \"type\" (expected \"%s\")", what, name);
		return false;
	}
	if (sl_type_includes(type, name))
		return true;
	if (type->type == MCJ_STRING)
		mb_set_error(err, "%s has type \"%s\", expected \"%s\"", what,
					 sl_snippet(type->u.str.s, type->u.str.len, snip), name);
	else if (type->type == MCJ_ARRAY)
		mb_set_error(err, "%s type does not include \"%s\"", what, name);
	else
		mb_set_error(err, "%s \"type\" is %s, expected \"%s\"", what,
					 sl_type_name(type), name);
	return false;
}

/* a member that must be a non-empty string without NUL; NULL if absent */
static bool
sl_get_string(const mcj_value *obj, const char *key, const char *what,
			  bool required, const mcj_value **out, mcj_error *err)
{
	const mcj_value *v = mcj_object_get(obj, key);

	*out = NULL;
	if (v == NULL)
	{
		if (required)
			mb_set_error(err, "%s has no \"%s\"", what, key);
		return !required;
	}
	if (v->type != MCJ_STRING)
	{
		mb_set_error(err, "%s \"%s\" must be a string, not %s", what, key,
					 sl_type_name(v));
		return false;
	}
	if (v->u.str.len == 0)
	{
		mb_set_error(err, "%s \"%s\" is empty", what, key);
		return false;
	}
	if (memchr(v->u.str.s, '\0', v->u.str.len) != NULL)
	{
		mb_set_error(err, "%s \"%s\" contains U+0000", what, key);
		return false;
	}
	*out = v;
	return true;
}

/*
 * Whether s is an absolute URL as far as this module cares: an RFC 3986
 * scheme, ':', then at least one character, none of them whitespace,
 * controls or characters that URLs never contain unescaped.
 */
static bool
sl_is_url(const char *s, size_t len)
{
	size_t		i = 0;

	if (len == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	while (i < len && s[i] != ':')
	{
		unsigned char c = (unsigned char) s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
			return false;
		i++;
	}
	if (i == len || i + 1 == len)
		return false;
	for (i++; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c <= 0x20 || c == 0x7f || strchr("\"<>\\^`{|}", c) != NULL)
			return false;
	}
	return true;
}

/* a member that must be a URL string */
static bool
sl_get_url(const mcj_value *obj, const char *key, const char *what,
		   bool required, const mcj_value **out, mcj_error *err)
{
	char		snip[64];

	if (!sl_get_string(obj, key, what, required, out, err))
		return false;
	if (*out != NULL && !sl_is_url((*out)->u.str.s, (*out)->u.str.len))
	{
		mb_set_error(err, "%s \"%s\" is not a URL: \"%s\"", what, key,
					 sl_snippet((*out)->u.str.s, (*out)->u.str.len, snip));
		return false;
	}
	return true;
}

/* check an optional statusSize member: a positive integer, only 1 supported */
static bool
sl_check_status_size(const mcj_value *obj, const char *what, int *size,
					 mcj_error *err)
{
	const mcj_value *v = mcj_object_get(obj, "statusSize");
	char		num[32];

	*size = 1;
	if (v == NULL)
		return true;
	if (v->type != MCJ_NUMBER)
	{
		mb_set_error(err, "%s \"statusSize\" must be a number, not %s", what,
					 sl_type_name(v));
		return false;
	}
	mcj_format_number(v->u.num, num);
	if (!(v->u.num >= 1) || v->u.num > 1e15 ||
		v->u.num != (double) (int64_t) v->u.num)
	{
		mb_set_error(err, "%s \"statusSize\" must be an integer greater than zero, not %s",
					 what, num);
		return false;
	}
	if (v->u.num != 1)
	{
		mb_set_error(err, "%s \"statusSize\" %s is not supported: only 1-bit status entries are",
					 what, num);
		return false;
	}
	return true;
}

/* value of a "0x..." hexadecimal status string, or -1 */
static int64_t
sl_hex_status(const mcj_value *v)
{
	int64_t		n = 0;
	size_t		i;

	if (v == NULL || v->type != MCJ_STRING || v->u.str.len < 3 ||
		v->u.str.len > 12 || v->u.str.s[0] != '0' || v->u.str.s[1] != 'x')
		return -1;
	for (i = 2; i < v->u.str.len; i++)
	{
		char		c = v->u.str.s[i];
		int			d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		n = n * 16 + d;
	}
	return n;
}

/* check an optional statusMessage: one {status, message} per value */
static bool
sl_check_status_message(const mcj_value *obj, int size, mcj_error *err)
{
	const mcj_value *v = mcj_object_get(obj, "statusMessage");
	size_t		expected = (size_t) 1 << size;
	bool		seen[2] = {false, false};
	size_t		i;

	if (v == NULL)
		return true;
	if (v->type != MCJ_ARRAY)
	{
		mb_set_error(err, "status list entry \"statusMessage\" must be an array, not %s",
					 sl_type_name(v));
		return false;
	}
	if (v->u.arr.n != expected)
	{
		mb_set_error(err, "status list entry \"statusMessage\" has %zu elements, expected %zu for statusSize %d",
					 v->u.arr.n, expected, size);
		return false;
	}
	for (i = 0; i < v->u.arr.n; i++)
	{
		const mcj_value *m = v->u.arr.items[i];
		const mcj_value *msg;
		int64_t		status;

		if (m->type != MCJ_OBJECT)
		{
			mb_set_error(err, "status list entry \"statusMessage\" element %zu is not an object", i);
			return false;
		}
		status = sl_hex_status(mcj_object_get(m, "status"));
		if (status < 0 || (size_t) status >= expected)
		{
			mb_set_error(err, "status list entry \"statusMessage\" element %zu has no valid \"status\" (\"0x0\" to \"0x%zx\")",
						 i, expected - 1);
			return false;
		}
		if (seen[status])
		{
			mb_set_error(err, "status list entry \"statusMessage\" lists status 0x%" PRIx64 " twice",
						 (uint64_t) status);
			return false;
		}
		seen[status] = true;
		msg = mcj_object_get(m, "message");
		if (msg == NULL || msg->type != MCJ_STRING)
		{
			mb_set_error(err, "status list entry \"statusMessage\" element %zu has no \"message\" string", i);
			return false;
		}
	}
	return true;
}

/* validate a BitstringStatusListEntry */
bool
sl_parse_entry(const mcj_value *entry, sl_entry *out, mcj_error *err)
{
	const char *what = "status list entry";
	const mcj_value *v;
	const mcj_value *id;
	const mcj_value *ref;
	uint64_t	index = 0;
	size_t		i;
	char		snip[64];

	memset(out, 0, sizeof(*out));
	if (entry == NULL || entry->type != MCJ_OBJECT)
	{
		mb_set_error(err, "status list entry must be an object, not %s",
					 entry ? sl_type_name(entry) : "nothing");
		return false;
	}
	if (!sl_check_type(entry, what, "BitstringStatusListEntry", err))
		return false;

	if (!sl_get_string(entry, "statusPurpose", what, true, &v, err))
		return false;
	out->purpose = v->u.str.s;

	/* statusListIndex: a non-negative integer of any size, in base 10 */
	v = mcj_object_get(entry, "statusListIndex");
	if (v == NULL)
	{
		mb_set_error(err, "status list entry has no \"statusListIndex\"");
		return false;
	}
	if (v->type != MCJ_STRING)
	{
		mb_set_error(err, "status list entry \"statusListIndex\" must be a string of decimal digits, not %s",
					 sl_type_name(v));
		return false;
	}
	if (v->u.str.len == 0)
	{
		mb_set_error(err, "status list entry \"statusListIndex\" is empty");
		return false;
	}
	for (i = 0; i < v->u.str.len; i++)
	{
		unsigned	d = (unsigned char) v->u.str.s[i] - (unsigned) '0';

		if (d > 9)
		{
			mb_set_error(err, "status list entry \"statusListIndex\" \"%s\" is not a non-negative base-10 integer",
						 sl_snippet(v->u.str.s, v->u.str.len, snip));
			return false;
		}
		if (index > (UINT64_MAX - d) / 10)
			index = UINT64_MAX;
		else
			index = index * 10 + d;
	}
	out->index_text = v->u.str.s;
	out->index = index;

	if (!sl_get_url(entry, "statusListCredential", what, true, &v, err))
		return false;
	out->credential = v->u.str.s;

	if (!sl_get_url(entry, "id", what, false, &id, err))
		return false;
	if (id != NULL)
	{
		if (mcj_equal(id, v))
		{
			mb_set_error(err, "status list entry \"id\" must not be the URL of the status list");
			return false;
		}
		out->id = id->u.str.s;
	}

	if (!sl_check_status_size(entry, what, &out->status_size, err))
		return false;
	if (!sl_check_status_message(entry, out->status_size, err))
		return false;

	/* statusReference: a URL or an array of URLs */
	ref = mcj_object_get(entry, "statusReference");
	if (ref != NULL)
	{
		bool		good = ref->type == MCJ_STRING ?
			sl_is_url(ref->u.str.s, ref->u.str.len) :
			ref->type == MCJ_ARRAY && ref->u.arr.n > 0;

		for (i = 0; good && ref->type == MCJ_ARRAY && i < ref->u.arr.n; i++)
		{
			const mcj_value *r = ref->u.arr.items[i];

			good = r->type == MCJ_STRING && sl_is_url(r->u.str.s, r->u.str.len);
		}
		if (!good)
		{
			mb_set_error(err, "status list entry \"statusReference\" must be a URL or an array of URLs");
			return false;
		}
	}
	return true;
}

/* validate a BitstringStatusListCredential (not decoding its list) */
bool
sl_parse_list_credential(const mcj_value *credential, sl_list_credential *out,
						 mcj_error *err)
{
	const char *what = "status list credential subject";
	const mcj_value *subject;
	const mcj_value *v;
	int			size;
	size_t		i;

	memset(out, 0, sizeof(*out));
	if (credential == NULL || credential->type != MCJ_OBJECT)
	{
		mb_set_error(err, "status list credential must be an object, not %s",
					 credential ? sl_type_name(credential) : "nothing");
		return false;
	}
	if (!sl_check_type(credential, "status list credential",
					   "BitstringStatusListCredential", err))
		return false;
	if (!sl_get_url(credential, "id", "status list credential", false, &v, err))
		return false;
	out->id = v ? v->u.str.s : NULL;

	subject = mcj_object_get(credential, "credentialSubject");
	if (subject == NULL || subject->type != MCJ_OBJECT)
	{
		mb_set_error(err, "status list credential \"credentialSubject\" must be an object, not %s",
					 subject ? sl_type_name(subject) : "missing");
		return false;
	}
	if (!sl_check_type(subject, what, "BitstringStatusList", err))
		return false;

	/* statusPurpose: one or more non-empty strings */
	v = mcj_object_get(subject, "statusPurpose");
	if (v == NULL)
	{
		mb_set_error(err, "%s has no \"statusPurpose\"", what);
		return false;
	}
	if (v->type == MCJ_ARRAY)
	{
		if (v->u.arr.n == 0)
		{
			mb_set_error(err, "%s \"statusPurpose\" is an empty array", what);
			return false;
		}
		for (i = 0; i < v->u.arr.n; i++)
		{
			const mcj_value *p = v->u.arr.items[i];

			if (p->type != MCJ_STRING || p->u.str.len == 0)
			{
				mb_set_error(err, "%s \"statusPurpose\" element %zu is not a non-empty string",
							 what, i);
				return false;
			}
		}
	}
	else if (v->type != MCJ_STRING || v->u.str.len == 0)
	{
		mb_set_error(err, "%s \"statusPurpose\" must be a non-empty string or an array of them",
					 what);
		return false;
	}
	out->purposes = v;

	if (!sl_get_string(subject, "encodedList", what, true, &v, err))
		return false;
	if (v->u.str.s[0] != 'u')
	{
		mb_set_error(err, "%s \"encodedList\" must start with \"u\" (multibase base64url)",
					 what);
		return false;
	}
	out->encoded_list = v->u.str.s;
	out->encoded_len = v->u.str.len;

	if (!sl_check_status_size(subject, what, &size, err))
		return false;
	return true;
}

/* whether the list serves the given purpose */
bool
sl_has_purpose(const sl_list_credential *list, const char *purpose)
{
	const mcj_value *p = list->purposes;
	size_t		i;

	if (p == NULL || purpose == NULL)
		return false;
	if (p->type == MCJ_STRING)
		return mcj_is_string(p, purpose);
	if (p->type != MCJ_ARRAY)
		return false;
	for (i = 0; i < p->u.arr.n; i++)
		if (mcj_is_string(p->u.arr.items[i], purpose))
			return true;
	return false;
}

/* entry + list credential -> status bit */
bool
sl_check_status(mcj_arena *arena, const mcj_value *entry,
				const mcj_value *credential, const sl_decode_options *options,
				bool *status, mcj_error *err)
{
	sl_entry	e;
	sl_list_credential list;
	unsigned char *bits;
	size_t		nbits;
	char		snip[64];
	char		snip2[64];

	*status = false;
	if (!sl_parse_entry(entry, &e, err))
		return false;
	if (!sl_parse_list_credential(credential, &list, err))
		return false;
	if (!sl_has_purpose(&list, e.purpose))
	{
		const mcj_value *p = list.purposes;

		if (p->type == MCJ_STRING)
			mb_set_error(err, "status purpose \"%s\" of the entry does not match the status list's \"%s\"",
						 sl_snippet(e.purpose, strlen(e.purpose), snip),
						 sl_snippet(p->u.str.s, p->u.str.len, snip2));
		else
			mb_set_error(err, "status purpose \"%s\" of the entry is not among the status list's purposes",
						 sl_snippet(e.purpose, strlen(e.purpose), snip));
		return false;
	}
	bits = sl_decode(arena, list.encoded_list, list.encoded_len, options,
					 &nbits, err);
	if (bits == NULL)
		return false;
	if (e.index >= nbits)
	{
		mb_set_error(err, "status list index %s is out of range (list has %zu entries)",
					 sl_snippet(e.index_text, strlen(e.index_text), snip), nbits);
		return false;
	}
	return sl_get(bits, nbits, e.index, status, err);
}
