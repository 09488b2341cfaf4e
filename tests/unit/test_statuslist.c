/*-------------------------------------------------------------------------
 *
 * test_statuslist.c
 *	  Unit tests for the Bitstring Status List core
 *	  (pg_extension/statuslist.c): encodedList round trips and bit order,
 *	  the example of the W3C Recommendation, every decoder error (prefix,
 *	  base64url, wrapper, truncation, trailing data, length, decompression
 *	  bomb), index bounds, and the entry and list credential validators.
 *
 * Output is TAP ("ok N - desc" / "not ok N - desc", then "1..N"); the
 * exit status is non-zero when any test fails.  Run from anywhere, no
 * arguments, no data files.
 *
 * Two helper modes serve tests/t/statuslist_reader.sh:
 *	  test_statuslist --encode	 raw bitstring bytes on stdin -> encodedList
 *	  test_statuslist --decode	 encodedList on stdin -> raw bytes on stdout
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "../lib/tap.h"
#include "mcjson.h"
#include "multibase.h"
#include "statuslist.h"

/* the all-zero 131,072-entry list of the specification's example */
#define SPEC_LIST "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"



/* Helpers ------------------------------------------------------------- */

/* GZIP (or zlib / raw deflate, by windowBits) of data, in the arena */
static unsigned char *
compress_with(mcj_arena *arena, const unsigned char *data, size_t len,
			  int window_bits, int level, size_t *outlen)
{
	z_stream	zs;
	uLong		bound;
	unsigned char *out;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	bound = deflateBound(&zs, (uLong) len) + 64;
	out = mcj_alloc(arena, bound);
	zs.next_in = (Bytef *) data;
	zs.avail_in = (uInt) len;
	zs.next_out = out;
	zs.avail_out = (uInt) bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		abort();
	*outlen = zs.total_out;
	deflateEnd(&zs);
	return out;
}

/* "u" + base64url of bytes */
static char *
u_text(mcj_arena *arena, const unsigned char *data, size_t len)
{
	char	   *t = mb_multibase_encode(arena, 'u', data, len);

	if (t == NULL)
		abort();
	return t;
}

/* decode text expecting failure; check the message contains want */
static void
expect_decode_error(mcj_arena *arena, const char *text, const char *want,
					const char *desc)
{
	mcj_error	err;
	size_t		nbits = 12345;
	unsigned char *bits;

	memset(&err, 0, sizeof(err));
	bits = sl_decode(arena, text, strlen(text), NULL, &nbits, &err);
	if (!tap_ok(bits == NULL && nbits == 0 && strstr(err.message, want) != NULL,
			"decode refuses %s", desc))
		tap_diag("got %s, message \"%s\", wanted \"%s\"", bits ? "success" : "error",
			 err.message, want);
}

/* parse JSON text (aborts on invalid JSON: the tests' own mistake) */
static mcj_value *
json(mcj_arena *arena, const char *text)
{
	mcj_error	err;
	mcj_value  *v = mcj_parse(arena, text, strlen(text), NULL, &err);

	if (v == NULL)
	{
		fprintf(stderr, "bad test JSON: %s: %s\n", err.message, text);
		abort();
	}
	return v;
}

/* parse an entry expecting failure with a message containing want */
static void
expect_entry_error(mcj_arena *arena, const char *text, const char *want,
				   const char *desc)
{
	sl_entry	e;
	mcj_error	err;

	memset(&err, 0, sizeof(err));
	if (!tap_ok(!sl_parse_entry(json(arena, text), &e, &err) &&
			strstr(err.message, want) != NULL, "entry refused: %s", desc))
		tap_diag("message \"%s\", wanted \"%s\"", err.message, want);
}

/* parse a list credential expecting failure */
static void
expect_list_error(mcj_arena *arena, const char *text, const char *want,
				  const char *desc)
{
	sl_list_credential l;
	mcj_error	err;

	memset(&err, 0, sizeof(err));
	if (!tap_ok(!sl_parse_list_credential(json(arena, text), &l, &err) &&
			strstr(err.message, want) != NULL, "list credential refused: %s", desc))
		tap_diag("message \"%s\", wanted \"%s\"", err.message, want);
}

/* a list credential with the given statusPurpose JSON and encodedList */
static mcj_value *
list_credential(mcj_arena *arena, const char *purpose_json, const char *encoded)
{
	mcj_buf		b;

	mcj_buf_init(&b, arena, 512);
	mcj_buf_appends(&b, "{\"@context\": [\"https://www.w3.org/ns/credentials/v2\"],"
					" \"id\": \"https://example.com/credentials/status/3\","
					" \"type\": [\"VerifiableCredential\", \"BitstringStatusListCredential\"],"
					" \"issuer\": \"did:example:12345\", \"validFrom\": \"2021-04-05T14:27:40Z\","
					" \"credentialSubject\": {\"id\": \"https://example.com/status/3#list\","
					" \"type\": \"BitstringStatusList\", \"statusPurpose\": ");
	mcj_buf_appends(&b, purpose_json);
	mcj_buf_appends(&b, ", \"encodedList\": \"");
	mcj_buf_appends(&b, encoded);
	mcj_buf_appends(&b, "\"}}");
	return json(arena, b.data);
}

/* an entry with the given purpose and index */
static mcj_value *
entry_json(mcj_arena *arena, const char *purpose, const char *index)
{
	char		text[512];

	snprintf(text, sizeof(text),
			 "{\"id\": \"https://example.com/credentials/status/3#%s\","
			 " \"type\": \"BitstringStatusListEntry\", \"statusPurpose\": \"%s\","
			 " \"statusListIndex\": \"%s\","
			 " \"statusListCredential\": \"https://example.com/credentials/status/3\"}",
			 index, purpose, index);
	return json(arena, text);
}

/* Tests --------------------------------------------------------------- */

/* the specification's example and the all-zero list */
static void
test_spec_example(mcj_arena *arena)
{
	mcj_error	err;
	size_t		nbits;
	unsigned char *bits;
	unsigned char *zero;
	char	   *text;
	size_t		i;
	bool		allzero = true;
	bool		v = true;

	bits = sl_decode(arena, SPEC_LIST, strlen(SPEC_LIST), NULL, &nbits, &err);
	if (!tap_ok(bits != NULL, "the specification's example encodedList decodes"))
		tap_diag("%s", err.message);
	tap_ok(bits != NULL && nbits == 131072, "it holds 131072 entries (16 KB)");
	for (i = 0; bits != NULL && i < nbits / 8; i++)
		allzero &= bits[i] == 0;
	tap_ok(bits != NULL && allzero, "every entry of the example is 0, as it states");
	tap_ok(bits != NULL && sl_get(bits, nbits, 94567, &v, &err) && !v,
	   "entry 94567 (the example's statusListIndex) is 0: not revoked");

	zero = calloc(SL_MIN_BYTES, 1);
	text = sl_encode(arena, zero, SL_MIN_ENTRIES, &err);
	tap_ok(text != NULL && strlen(text) < 100,
	   "the all-zero 131072-entry list encodes to a short text (%zu characters)",
	   text ? strlen(text) : 0);
	if (!tap_ok(text != NULL && strlen(text) <= strlen(SPEC_LIST),
			"and is no longer than the specification's example (%zu characters)",
			strlen(SPEC_LIST)))
		tap_diag("got %s (zlib %s)", text ? text : err.message, zlibVersion());
	tap_ok(text != NULL && strncmp(text, "uH4sIAAAAAAAEA", 14) == 0,
	   "its GZIP header is fixed: mtime 0, no name, XFL 4, OS 3");
	bits = text ? sl_decode(arena, text, strlen(text), NULL, &nbits, &err) : NULL;
	tap_ok(bits != NULL && nbits == SL_MIN_ENTRIES && memcmp(bits, zero, SL_MIN_BYTES) == 0,
	   "the all-zero list decodes back to itself");
	free(zero);
}

/* bit order and bit access */
static void
test_bits(mcj_arena *arena)
{
	unsigned char *bits = calloc(SL_MIN_BYTES, 1);
	mcj_error	err;
	bool		v;
	bool		good;
	char	   *text;
	unsigned char *back;
	size_t		nbits;

	/* entries 0, 3 and 7 set: 1001 0001 = 0x91; entry 9: 0100 0000 */
	good = sl_set(bits, SL_MIN_ENTRIES, 0, true, &err) &&
		sl_set(bits, SL_MIN_ENTRIES, 3, true, &err) &&
		sl_set(bits, SL_MIN_ENTRIES, 7, true, &err) &&
		sl_set(bits, SL_MIN_ENTRIES, 9, true, &err) &&
		sl_set(bits, SL_MIN_ENTRIES, 131071, true, &err);
	tap_ok(good && bits[0] == 0x91, "entries 0, 3, 7 set give first byte 0x91 (MSB first)");
	tap_ok(bits[1] == 0x40, "entry 9 is bit 0x40 of the second byte");
	tap_ok(bits[SL_MIN_BYTES - 1] == 0x01, "entry 131071 is the lowest bit of the last byte");
	tap_ok(sl_get(bits, SL_MIN_ENTRIES, 3, &v, &err) && v &&
	   sl_get(bits, SL_MIN_ENTRIES, 4, &v, &err) && !v, "get reads set and unset entries");
	tap_ok(sl_set(bits, SL_MIN_ENTRIES, 3, false, &err) && bits[0] == 0x81 &&
	   sl_get(bits, SL_MIN_ENTRIES, 3, &v, &err) && !v, "set false clears only that entry");
	sl_set(bits, SL_MIN_ENTRIES, 3, true, &err);

	text = sl_encode(arena, bits, SL_MIN_ENTRIES, &err);
	back = text ? sl_decode(arena, text, strlen(text), NULL, &nbits, &err) : NULL;
	tap_ok(back != NULL && nbits == SL_MIN_ENTRIES && back[0] == 0x91 && back[1] == 0x40 &&
	   back[SL_MIN_BYTES - 1] == 0x01 && memcmp(back, bits, SL_MIN_BYTES) == 0,
	   "the pattern survives encode and decode");

	memset(&err, 0, sizeof(err));
	tap_ok(!sl_get(bits, SL_MIN_ENTRIES, 200000, &v, &err) &&
	   strcmp(err.message, "status list index 200000 is out of range (list has 131072 entries)") == 0,
	   "get refuses index 200000: \"%s\"", err.message);
	tap_ok(!sl_get(bits, SL_MIN_ENTRIES, 131072, &v, &err), "get refuses index 131072 (one past the end)");
	tap_ok(!sl_set(bits, SL_MIN_ENTRIES, UINT64_MAX, true, &err) &&
	   strstr(err.message, "18446744073709551615 is out of range") != NULL,
	   "set refuses index 2^64-1");
	free(bits);
}

/* tiny deterministic PRNG (xorshift64) */
static uint64_t
next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* round trips of random lists, determinism and encode speed */
static void
test_round_trips(mcj_arena *arena)
{
	static const size_t sizes[] = {SL_MIN_ENTRIES, SL_MIN_ENTRIES + 8, 1048576, 8388608};
	uint64_t	seed = 0x9e3779b97f4a7c15ULL;
	mcj_error	err;
	size_t		k;
	unsigned char *bits;
	char	   *a;
	char	   *b;
	struct timespec t0,
				t1;
	int			iters = 200;
	int			i;
	double		us;
	unsigned char *full;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
	{
		size_t		n = sizes[k];
		size_t		nbits;
		unsigned char *back;
		size_t		j;

		bits = calloc(n / 8, 1);
		for (j = 0; j < n / 100; j++)
			sl_set(bits, n, next_random(&seed) % n, true, &err);
		a = sl_encode(arena, bits, n, &err);
		back = a ? sl_decode(arena, a, strlen(a), NULL, &nbits, &err) : NULL;
		tap_ok(back != NULL && nbits == n && memcmp(back, bits, n / 8) == 0,
		   "round trip of a %zu-entry list with 1%% of entries set (%zu characters)",
		   n, a ? strlen(a) : 0);
		free(bits);
	}

	/* incompressible content: every byte random */
	full = calloc(SL_MIN_BYTES, 1);
	for (i = 0; i < SL_MIN_BYTES; i++)
		full[i] = (unsigned char) next_random(&seed);
	a = sl_encode(arena, full, SL_MIN_ENTRIES, &err);
	{
		size_t		nbits;
		unsigned char *back = a ? sl_decode(arena, a, strlen(a), NULL, &nbits, &err) : NULL;

		tap_ok(back != NULL && nbits == SL_MIN_ENTRIES && memcmp(back, full, SL_MIN_BYTES) == 0,
		   "round trip of an incompressible list");
	}
	free(full);

	/* determinism and timing: 1% of 131072 entries set */
	bits = calloc(SL_MIN_BYTES, 1);
	for (i = 0; i < SL_MIN_ENTRIES / 100; i++)
		sl_set(bits, SL_MIN_ENTRIES, next_random(&seed) % SL_MIN_ENTRIES, true, &err);
	a = sl_encode(arena, bits, SL_MIN_ENTRIES, &err);
	b = sl_encode(arena, bits, SL_MIN_ENTRIES, &err);
	tap_ok(a != NULL && b != NULL && strcmp(a, b) == 0,
	   "encoding is deterministic (same bits, same text)");

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < iters; i++)
	{
		mcj_arena  *tmp = mcj_arena_create(NULL);

		if (sl_encode(tmp, bits, SL_MIN_ENTRIES, &err) == NULL)
			abort();
		mcj_arena_destroy(tmp);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / iters;
	tap_diag("encode of 131072 entries, 1%% set: %.1f us per list (%zu characters)",
		 us, strlen(a));
	/* the target is well under 1 ms; 5 ms leaves room for a loaded machine */
	tap_ok(us < 5000, "encoding a 131072-entry list takes %.0f us", us);
	free(bits);

	tap_ok(sl_encode(arena, (const unsigned char *) "", 0, &err) == NULL &&
	   strstr(err.message, "shorter than the minimum 131072 entries") != NULL,
	   "encode refuses an empty list");
	bits = calloc(SL_MIN_BYTES + 1, 1);
	tap_ok(sl_encode(arena, bits, SL_MIN_ENTRIES + 3, &err) == NULL &&
	   strstr(err.message, "not a multiple of 8") != NULL,
	   "encode refuses a length that is not whole bytes");
	tap_ok(sl_encode(arena, bits, SL_MIN_ENTRIES - 8, &err) == NULL &&
	   strstr(err.message, "shorter than the minimum 131072 entries") != NULL,
	   "encode refuses 131064 entries");
	free(bits);
}

/* every way an encodedList can be wrong */
static void
test_decode_errors(mcj_arena *arena)
{
	unsigned char *zero = calloc(SL_MIN_BYTES, 1);
	unsigned char *gz;
	size_t		gzlen;
	unsigned char *tmp;
	char	   *text;
	size_t		n;
	mcj_error	err;
	size_t		nbits;
	unsigned char *bomb;
	size_t		bomb_len = (size_t) 17 * 1024 * 1024;
	sl_decode_options small = {64 * 1024, 0};

	expect_decode_error(arena, "", "empty", "an empty text");
	expect_decode_error(arena, &SPEC_LIST[1], "must start with \"u\"", "a text without the \"u\" prefix");
	expect_decode_error(arena, "zH4sIAAAA", "must start with \"u\"", "a base58btc (\"z\") multibase text");
	expect_decode_error(arena, "uH4sIAAAAAAAAA+3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",
						"not valid base64url", "standard base64 '+' in the text");
	expect_decode_error(arena, "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA==",
						"not valid base64url", "base64 padding");
	expect_decode_error(arena, "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAAA",
						"not valid base64url", "a base64url length of 1 modulo 4");
	expect_decode_error(arena, "uH4sI AAAAAAAA", "not valid base64url", "a space in the text");
	expect_decode_error(arena, "u", "no GZIP magic", "\"u\" alone");

	text = u_text(arena, (const unsigned char *) "plain text, not compressed at all", 33);
	expect_decode_error(arena, text, "not GZIP (RFC 1952) data", "uncompressed data");

	gz = compress_with(arena, zero, SL_MIN_BYTES, 15, 6, &gzlen);
	expect_decode_error(arena, u_text(arena, gz, gzlen), "zlib-wrapped (RFC 1950), not GZIP",
						"zlib-wrapped (RFC 1950) data");
	gz = compress_with(arena, zero, SL_MIN_BYTES, -15, 6, &gzlen);
	expect_decode_error(arena, u_text(arena, gz, gzlen), "not GZIP (RFC 1952) data",
						"raw deflate data");

	gz = compress_with(arena, zero, SL_MIN_BYTES, 31, 6, &gzlen);
	expect_decode_error(arena, u_text(arena, gz, gzlen - 4), "truncated",
						"GZIP data without its length trailer");
	expect_decode_error(arena, u_text(arena, gz, gzlen / 2), "truncated",
						"GZIP data cut in the middle");
	expect_decode_error(arena, u_text(arena, gz, 12), "truncated",
						"a GZIP header alone");

	tmp = mcj_alloc(arena, gzlen + 3);
	memcpy(tmp, gz, gzlen);
	memcpy(tmp + gzlen, "\0\0\0", 3);
	expect_decode_error(arena, u_text(arena, tmp, gzlen + 3),
						"3 bytes of trailing data after the GZIP stream", "trailing bytes");
	tmp = mcj_alloc(arena, 2 * gzlen);
	memcpy(tmp, gz, gzlen);
	memcpy(tmp + gzlen, gz, gzlen);
	expect_decode_error(arena, u_text(arena, tmp, 2 * gzlen), "trailing data",
						"two concatenated GZIP members");

	tmp = mcj_alloc(arena, gzlen);
	memcpy(tmp, gz, gzlen);
	tmp[gzlen - 8] ^= 0x01;		/* CRC-32 */
	expect_decode_error(arena, u_text(arena, tmp, gzlen), "incorrect data check",
						"a wrong CRC-32");
	memcpy(tmp, gz, gzlen);
	tmp[gzlen - 4] ^= 0x01;		/* ISIZE, now 16385 */
	expect_decode_error(arena, u_text(arena, tmp, gzlen), "incorrect length check",
						"a wrong ISIZE");
	memcpy(tmp, gz, gzlen);
	tmp[2] = 7;
	expect_decode_error(arena, u_text(arena, tmp, gzlen), "unknown compression method 7",
						"compression method 7");

	gz = compress_with(arena, zero, SL_MIN_BYTES - 1, 31, 6, &gzlen);
	expect_decode_error(arena, u_text(arena, gz, gzlen),
						"status list is shorter than the minimum 131072 entries (it has 131064)",
						"a list of 131064 entries");
	gz = compress_with(arena, zero, 0, 31, 6, &gzlen);
	expect_decode_error(arena, u_text(arena, gz, gzlen),
						"shorter than the minimum 131072 entries (it has 0)", "an empty list");

	/* decompression bomb: 17 MiB of zeros, about 17 KB compressed */
	bomb = calloc(bomb_len, 1);
	gz = compress_with(arena, bomb, bomb_len, 31, 9, &gzlen);
	free(bomb);
	tap_diag("bomb: %zu bytes compress to %zu", bomb_len, gzlen);
	text = u_text(arena, gz, gzlen);
	expect_decode_error(arena, text, "larger than the limit of 16777216 bytes",
						"a 17 MiB decompression bomb");
	/* the same bomb lying in ISIZE is stopped while inflating */
	gz[gzlen - 4] = 0;
	gz[gzlen - 3] = 0x40;
	gz[gzlen - 2] = 0;
	gz[gzlen - 1] = 0;
	expect_decode_error(arena, u_text(arena, gz, gzlen),
						"larger than the limit of 16777216 bytes",
						"the bomb with a forged small ISIZE");

	/* a caller's smaller limit */
	tmp = calloc(128 * 1024, 1);
	gz = compress_with(arena, tmp, 128 * 1024, 31, 6, &gzlen);
	free(tmp);
	text = u_text(arena, gz, gzlen);
	tap_ok(sl_decode(arena, text, strlen(text), NULL, &nbits, &err) != NULL && nbits == 1048576,
	   "a 1048576-entry list decodes under the default limit");
	tap_ok(sl_decode(arena, text, strlen(text), &small, &nbits, &err) == NULL &&
	   strstr(err.message, "limit of 65536 bytes") != NULL,
	   "and is refused under a 64 KiB limit");

	/* headers with optional fields are still GZIP */
	gz = compress_with(arena, zero, SL_MIN_BYTES, 31, 6, &gzlen);
	tmp = mcj_alloc(arena, gzlen + 6);
	memcpy(tmp, gz, 10);
	tmp[3] = 0x08;				/* FNAME */
	memcpy(tmp + 10, "bits\0", 5);
	memcpy(tmp + 15, gz + 10, gzlen - 10);
	n = gzlen + 5;
	tap_ok(sl_decode(arena, u_text(arena, tmp, n), strlen(u_text(arena, tmp, n)), NULL,
				 &nbits, &err) != NULL && nbits == SL_MIN_ENTRIES,
	   "a GZIP member with a file name is accepted");
	free(zero);
}

/* BitstringStatusListEntry validation */
static void
test_entries(mcj_arena *arena)
{
	sl_entry	e;
	mcj_error	err;
	const char *head = "{\"type\": \"BitstringStatusListEntry\", \"statusPurpose\": \"revocation\", "
	"\"statusListCredential\": \"https://example.com/credentials/status/3\", ";
	char		text[1024];
	bool		parsed;

	parsed = sl_parse_entry(json(arena,
								 "{\"id\": \"https://example.com/credentials/status/3#94567\","
								 " \"type\": \"BitstringStatusListEntry\", \"statusPurpose\": \"revocation\","
								 " \"statusListIndex\": \"94567\","
								 " \"statusListCredential\": \"https://example.com/credentials/status/3\"}"),
							&e, &err);
	if (!tap_ok(parsed, "the specification's example entry is valid"))
		tap_diag("%s", err.message);
	tap_ok(parsed && e.index == 94567 && strcmp(e.index_text, "94567") == 0 &&
	   strcmp(e.purpose, "revocation") == 0 && e.status_size == 1 &&
	   strcmp(e.credential, "https://example.com/credentials/status/3") == 0 &&
	   strcmp(e.id, "https://example.com/credentials/status/3#94567") == 0,
	   "its fields are extracted");

#define ENTRY(rest) (snprintf(text, sizeof(text), "%s%s}", head, rest), text)
	tap_ok(sl_parse_entry(json(arena, ENTRY("\"statusListIndex\": \"0\"")), &e, &err) && e.index == 0,
	   "index \"0\" is valid");
	tap_ok(sl_parse_entry(json(arena, ENTRY("\"statusListIndex\": \"18446744073709551615\"")), &e, &err) &&
	   e.index == UINT64_MAX, "index 2^64-1 is parsed exactly");
	tap_ok(sl_parse_entry(json(arena, ENTRY("\"statusListIndex\": \"123456789012345678901234567890\"")), &e, &err) &&
	   e.index == UINT64_MAX, "an arbitrary size index is valid (saturated value)");
	tap_ok(sl_parse_entry(json(arena, ENTRY("\"statusListIndex\": \"7\", \"statusSize\": 1,"
										" \"statusMessage\": [{\"status\": \"0x0\", \"message\": \"valid\"},"
										" {\"status\": \"0x1\", \"message\": \"revoked\"}],"
										" \"statusReference\": \"https://example.org/status-dictionary/\"")),
					  &e, &err), "statusSize 1 with two statusMessage elements is valid");
	tap_ok(sl_parse_entry(json(arena, "{\"type\": [\"BitstringStatusListEntry\"], \"statusPurpose\": \"suspension\","
						   " \"statusListIndex\": \"1\", \"statusListCredential\": \"https://x.example/l\"}"),
					  &e, &err), "a type array including BitstringStatusListEntry is accepted");

	expect_entry_error(arena, ENTRY("\"statusListIndex\": \"abc\""),
					   "\"statusListIndex\" \"abc\" is not a non-negative base-10 integer", "index \"abc\"");
	expect_entry_error(arena, ENTRY("\"statusListIndex\": \"-1\""),
					   "\"-1\" is not a non-negative base-10 integer", "negative index \"-1\"");
	expect_entry_error(arena, ENTRY("\"statusListIndex\": \"+1\""), "not a non-negative", "index \"+1\"");
	expect_entry_error(arena, ENTRY("\"statusListIndex\": \" 1\""), "not a non-negative", "index \" 1\"");
	expect_entry_error(arena, ENTRY("\"statusListIndex\": \"1.5\""), "not a non-negative", "index \"1.5\"");
	expect_entry_error(arena, ENTRY("\"statusListIndex\": \"0x10\""), "not a non-negative", "index \"0x10\"");
	expect_entry_error(arena, ENTRY("\"statusListIndex\": \"\""), "\"statusListIndex\" is empty", "empty index");
	expect_entry_error(arena, ENTRY("\"statusListIndex\": 94567"),
					   "must be a string of decimal digits, not a number", "index as a JSON number");
	expect_entry_error(arena, ENTRY("\"statusListIndex\": \"1\\u00002\""), "not a non-negative",
					   "index with U+0000");
	expect_entry_error(arena, ENTRY("\"x\": 1"), "has no \"statusListIndex\"", "missing index");
	expect_entry_error(arena, "{\"type\": \"BitstringStatusListEntry\", \"statusListIndex\": \"1\","
					   " \"statusListCredential\": \"https://x.example/l\"}",
					   "has no \"statusPurpose\"", "missing statusPurpose");
	expect_entry_error(arena, "{\"type\": \"BitstringStatusListEntry\", \"statusPurpose\": \"\","
					   " \"statusListIndex\": \"1\", \"statusListCredential\": \"https://x.example/l\"}",
					   "\"statusPurpose\" is empty", "empty statusPurpose");
	expect_entry_error(arena, "{\"type\": \"BitstringStatusListEntry\", \"statusPurpose\": [\"revocation\"],"
					   " \"statusListIndex\": \"1\", \"statusListCredential\": \"https://x.example/l\"}",
					   "\"statusPurpose\" must be a string", "statusPurpose as an array");
	expect_entry_error(arena, "{\"type\": \"StatusList2021Entry\", \"statusPurpose\": \"revocation\","
					   " \"statusListIndex\": \"1\", \"statusListCredential\": \"https://x.example/l\"}",
					   "has type \"StatusList2021Entry\", expected \"BitstringStatusListEntry\"",
					   "unknown type StatusList2021Entry");
	expect_entry_error(arena, "{\"statusPurpose\": \"revocation\","
					   " \"statusListIndex\": \"1\", \"statusListCredential\": \"https://x.example/l\"}",
					   "has no \"type\"", "missing type");
	expect_entry_error(arena, "{\"type\": 3, \"statusPurpose\": \"revocation\","
					   " \"statusListIndex\": \"1\", \"statusListCredential\": \"https://x.example/l\"}",
					   "\"type\" is a number", "numeric type");
	expect_entry_error(arena, "[1]", "must be an object, not an array", "an array instead of an object");
	expect_entry_error(arena, "{\"type\": \"BitstringStatusListEntry\", \"statusPurpose\": \"revocation\","
					   " \"statusListIndex\": \"1\"}", "has no \"statusListCredential\"",
					   "missing statusListCredential");
	expect_entry_error(arena, "{\"type\": \"BitstringStatusListEntry\", \"statusPurpose\": \"revocation\","
					   " \"statusListIndex\": \"1\", \"statusListCredential\": \"status list 3\"}",
					   "\"statusListCredential\" is not a URL", "statusListCredential not a URL");
	expect_entry_error(arena, "{\"type\": \"BitstringStatusListEntry\", \"statusPurpose\": \"revocation\","
					   " \"statusListIndex\": \"1\", \"statusListCredential\": \"https://x.example/l\","
					   " \"id\": \"https://x.example/l\"}",
					   "\"id\" must not be the URL of the status list", "id equal to the list URL");
	expect_entry_error(arena, ENTRY("\"statusListIndex\": \"1\", \"statusSize\": 2"),
					   "\"statusSize\" 2 is not supported: only 1-bit status entries are", "statusSize 2");
	expect_entry_error(arena, ENTRY("\"statusListIndex\": \"1\", \"statusSize\": 0"),
					   "must be an integer greater than zero, not 0", "statusSize 0");
	expect_entry_error(arena, ENTRY("\"statusListIndex\": \"1\", \"statusSize\": 1.5"),
					   "must be an integer greater than zero, not 1.5", "statusSize 1.5");
	expect_entry_error(arena, ENTRY("\"statusListIndex\": \"1\", \"statusSize\": \"1\""),
					   "\"statusSize\" must be a number, not a string", "statusSize \"1\"");
	expect_entry_error(arena, ENTRY("\"statusListIndex\": \"1\", \"statusMessage\": [{\"status\": \"0x0\", \"message\": \"a\"}]"),
					   "has 1 elements, expected 2", "one statusMessage for statusSize 1");
	expect_entry_error(arena, ENTRY("\"statusListIndex\": \"1\", \"statusMessage\": [{\"status\": \"0x0\", \"message\": \"a\"},"
									" {\"status\": \"0x0\", \"message\": \"b\"}]"),
					   "lists status 0x0 twice", "a repeated statusMessage status");
	expect_entry_error(arena, ENTRY("\"statusListIndex\": \"1\", \"statusMessage\": [{\"status\": \"0\", \"message\": \"a\"},"
									" {\"status\": \"0x1\", \"message\": \"b\"}]"),
					   "element 0 has no valid \"status\"", "a statusMessage status without 0x");
	expect_entry_error(arena, ENTRY("\"statusListIndex\": \"1\", \"statusReference\": 5"),
					   "\"statusReference\" must be a URL", "a numeric statusReference");
#undef ENTRY
}

/* BitstringStatusListCredential validation and the status check */
static void
test_credentials(mcj_arena *arena)
{
	sl_list_credential l;
	mcj_error	err;
	bool		status = true;
	bool		parsed;
	unsigned char *bits;
	char	   *text;

	parsed = sl_parse_list_credential(list_credential(arena, "\"revocation\"", SPEC_LIST), &l, &err);
	if (!tap_ok(parsed, "the specification's example list credential is valid"))
		tap_diag("%s", err.message);
	tap_ok(parsed && strcmp(l.encoded_list, SPEC_LIST) == 0 &&
	   strcmp(l.id, "https://example.com/credentials/status/3") == 0 &&
	   sl_has_purpose(&l, "revocation") && !sl_has_purpose(&l, "suspension"),
	   "its encodedList, id and purpose are extracted");
	parsed = sl_parse_list_credential(list_credential(arena, "[\"revocation\", \"suspension\"]", SPEC_LIST),
									  &l, &err);
	tap_ok(parsed && sl_has_purpose(&l, "suspension") && sl_has_purpose(&l, "revocation") &&
	   !sl_has_purpose(&l, "message"), "a list may serve several purposes");

	expect_list_error(arena, "{\"type\": [\"VerifiableCredential\"], \"credentialSubject\": {}}",
					  "type does not include \"BitstringStatusListCredential\"", "a credential of another type");
	expect_list_error(arena, "{\"type\": [\"VerifiableCredential\", \"BitstringStatusListCredential\"]}",
					  "\"credentialSubject\" must be an object, not missing", "no credentialSubject");
	expect_list_error(arena, "{\"type\": \"BitstringStatusListCredential\", \"credentialSubject\":"
					  " {\"type\": \"StatusList2021\", \"statusPurpose\": \"revocation\", \"encodedList\": \"u\"}}",
					  "has type \"StatusList2021\", expected \"BitstringStatusList\"", "a subject of another type");
	expect_list_error(arena, "{\"type\": \"BitstringStatusListCredential\", \"credentialSubject\":"
					  " {\"type\": \"BitstringStatusList\", \"encodedList\": \"u\"}}",
					  "has no \"statusPurpose\"", "no statusPurpose");
	expect_list_error(arena, "{\"type\": \"BitstringStatusListCredential\", \"credentialSubject\":"
					  " {\"type\": \"BitstringStatusList\", \"statusPurpose\": [], \"encodedList\": \"u\"}}",
					  "\"statusPurpose\" is an empty array", "an empty statusPurpose array");
	expect_list_error(arena, "{\"type\": \"BitstringStatusListCredential\", \"credentialSubject\":"
					  " {\"type\": \"BitstringStatusList\", \"statusPurpose\": \"revocation\"}}",
					  "has no \"encodedList\"", "no encodedList");
	expect_list_error(arena, "{\"type\": \"BitstringStatusListCredential\", \"credentialSubject\":"
					  " {\"type\": \"BitstringStatusList\", \"statusPurpose\": \"revocation\", \"encodedList\": \"H4sI\"}}",
					  "\"encodedList\" must start with \"u\"", "an encodedList without \"u\"");

	/* the Validate Algorithm on the example, then on a list with bits set */
	tap_ok(sl_check_status(arena, entry_json(arena, "revocation", "94567"),
					   list_credential(arena, "\"revocation\"", SPEC_LIST), NULL, &status, &err) &&
	   !status, "the example entry's status in the example list is 0");
	bits = calloc(SL_MIN_BYTES, 1);
	sl_set(bits, SL_MIN_ENTRIES, 94567, true, &err);
	text = sl_encode(arena, bits, SL_MIN_ENTRIES, &err);
	free(bits);
	tap_ok(sl_check_status(arena, entry_json(arena, "revocation", "94567"),
					   list_credential(arena, "\"revocation\"", text), NULL, &status, &err) &&
	   status, "after revoking entry 94567 its status is 1");
	tap_ok(sl_check_status(arena, entry_json(arena, "revocation", "94566"),
					   list_credential(arena, "\"revocation\"", text), NULL, &status, &err) &&
	   !status, "its neighbour 94566 stays 0");

	memset(&err, 0, sizeof(err));
	tap_ok(!sl_check_status(arena, entry_json(arena, "suspension", "1"),
						list_credential(arena, "\"revocation\"", SPEC_LIST), NULL, &status, &err) &&
	   strstr(err.message, "status purpose \"suspension\" of the entry does not match the status list's \"revocation\"") != NULL,
	   "a suspension entry against a revocation list is refused");
	tap_ok(!sl_check_status(arena, entry_json(arena, "revocation", "200000"),
						list_credential(arena, "\"revocation\"", SPEC_LIST), NULL, &status, &err) &&
	   strcmp(err.message, "status list index 200000 is out of range (list has 131072 entries)") == 0,
	   "an index past the list is refused: \"%s\"", err.message);
	tap_ok(!sl_check_status(arena, entry_json(arena, "revocation", "99999999999999999999999"),
						list_credential(arena, "\"revocation\"", SPEC_LIST), NULL, &status, &err) &&
	   strstr(err.message, "index 99999999999999999999999 is out of range") != NULL,
	   "a huge index is reported as written");
	tap_ok(!sl_check_status(arena, entry_json(arena, "revocation", "1"),
						list_credential(arena, "\"revocation\"", "uH4sIAAAA"), NULL, &status, &err) &&
	   strstr(err.message, "encodedList") != NULL,
	   "a broken encodedList is refused by the check");
}

/* Helper modes for the reader test ----------------------------------- */

/* read all of stdin */
static unsigned char *
read_stdin(size_t *len)
{
	size_t		cap = 1 << 16;
	unsigned char *buf = malloc(cap);
	size_t		n;

	*len = 0;
	while (buf != NULL && (n = fread(buf + *len, 1, cap - *len, stdin)) > 0)
	{
		*len += n;
		if (*len == cap)
		{
			cap *= 2;
			buf = realloc(buf, cap);
		}
	}
	return buf;
}

/* --encode / --decode */
static int
helper_mode(const char *mode)
{
	mcj_arena  *arena = mcj_arena_create(NULL);
	mcj_error	err;
	size_t		len;
	unsigned char *in = read_stdin(&len);

	if (in == NULL || arena == NULL)
		return 2;
	if (strcmp(mode, "--encode") == 0)
	{
		char	   *text = sl_encode(arena, in, len * 8, &err);

		if (text == NULL)
		{
			fprintf(stderr, "encode: %s\n", err.message);
			return 1;
		}
		printf("%s\n", text);
	}
	else
	{
		size_t		nbits;
		unsigned char *bits;

		while (len > 0 && (in[len - 1] == '\n' || in[len - 1] == '\r'))
			len--;
		bits = sl_decode(arena, (const char *) in, len, NULL, &nbits, &err);
		if (bits == NULL)
		{
			fprintf(stderr, "decode: %s\n", err.message);
			return 1;
		}
		fwrite(bits, 1, nbits / 8, stdout);
	}
	free(in);
	mcj_arena_destroy(arena);
	return 0;
}

int
main(int argc, char **argv)
{
	mcj_arena  *arena;

	if (argc > 1 && (strcmp(argv[1], "--encode") == 0 || strcmp(argv[1], "--decode") == 0))
		return helper_mode(argv[1]);

	arena = mcj_arena_create(NULL);
	test_spec_example(arena);
	test_bits(arena);
	test_round_trips(arena);
	test_decode_errors(arena);
	test_entries(arena);
	test_credentials(arena);
	mcj_arena_destroy(arena);

	printf("1..%d\n", tap_n);
	return tap_failed == 0 ? 0 : 1;
}
