/*-------------------------------------------------------------------------
 *
 * test_mcjson.c
 *	  Unit tests for the pure-C JSON core (pg_extension/mcjson.c): arena
 *	  and buffers, builders and accessors, the strict I-JSON parser, the
 *	  compact and RFC 8785 (JCS) writers and ECMAScript number formatting.
 *
 * Output is TAP ("ok N - desc" / "not ok N - desc", then "1..N"); the
 * exit status is non-zero when any test fails.  argv[1] is the data
 * directory (default tests/data); every .json file in its jcs/input
 * directory is canonicalized and compared byte for byte with the file of
 * the same name in jcs/output.
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/tap.h"
#include "mcjson.h"


/* read a whole file into the arena; NULL on failure */
static char *
read_file(mcj_arena *arena, const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *data;
	long		size;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
		fseek(f, 0, SEEK_SET) != 0)
	{
		fclose(f);
		return NULL;
	}
	data = mcj_alloc(arena, (size_t) size + 1);
	if (fread(data, 1, (size_t) size, f) != (size_t) size)
	{
		fclose(f);
		return NULL;
	}
	fclose(f);
	data[size] = '\0';
	*len = (size_t) size;
	return data;
}

/* parse with default options */
static mcj_value *
parse(mcj_arena *arena, const char *text, mcj_error *err)
{
	return mcj_parse(arena, text, strlen(text), NULL, err);
}

/* JCS of a value as a string in the arena (or "<error: ...>") */
static const char *
jcs(mcj_arena *arena, const mcj_value *v)
{
	mcj_buf		buf;
	mcj_error	err;

	mcj_buf_init(&buf, arena, 0);
	if (!mcj_write_jcs(&buf, v, &err))
	{
		mcj_buf_appends(&buf, "<error: ");
		mcj_buf_appends(&buf, err.message);
		mcj_buf_appends(&buf, ">");
	}
	return buf.data;
}

/* compact writer output as a string in the arena */
static const char *
compact(mcj_arena *arena, const mcj_value *v)
{
	mcj_buf		buf;

	mcj_buf_init(&buf, arena, 0);
	mcj_write(&buf, v);
	return buf.data;
}

/* canonicalize text, returning the JCS or "<error: ...>" */
static const char *
canon(mcj_arena *arena, const char *text)
{
	mcj_error	err;
	mcj_value  *v = parse(arena, text, &err);
	mcj_buf		buf;

	if (v == NULL)
	{
		mcj_buf_init(&buf, arena, 0);
		mcj_buf_appends(&buf, "<error: ");
		mcj_buf_appends(&buf, err.message);
		mcj_buf_appends(&buf, ">");
		return buf.data;
	}
	return jcs(arena, v);
}

/* JCS test vectors from the data directory */
static void
test_jcs_vectors(const char *datadir)
{
	char		path[4096];
	DIR		   *dir;
	struct dirent *de;
	char	   *names[256];
	int			n = 0,
				i,
				j;

	snprintf(path, sizeof(path), "%s/jcs/input", datadir);
	dir = opendir(path);
	if (!tap_ok(dir != NULL, "open %s", path))
		return;
	while ((de = readdir(dir)) != NULL && n < 256)
	{
		size_t		l = strlen(de->d_name);

		if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(dir);
	/* stable order for the TAP output */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--)
		{
			char	   *t = names[j];

			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	tap_ok(n >= 6, "found %d jcs vectors", n);
	for (i = 0; i < n; i++)
	{
		mcj_arena  *arena = mcj_arena_create(NULL);
		char	   *in,
				   *want;
		size_t		inlen = 0,
					wantlen = 0;
		mcj_value  *v;
		mcj_error	err;
		mcj_buf		buf;
		bool		good = false;

		snprintf(path, sizeof(path), "%s/jcs/input/%s", datadir, names[i]);
		in = read_file(arena, path, &inlen);
		snprintf(path, sizeof(path), "%s/jcs/output/%s", datadir, names[i]);
		want = read_file(arena, path, &wantlen);
		if (in == NULL || want == NULL)
			tap_diag("cannot read vector %s", names[i]);
		else if ((v = mcj_parse(arena, in, inlen, NULL, &err)) == NULL)
			tap_diag("parse error: %s at %zu", err.message, err.offset);
		else
		{
			mcj_buf_init(&buf, arena, 0);
			if (!mcj_write_jcs(&buf, v, &err))
				tap_diag("jcs error: %s", err.message);
			else if (buf.len != wantlen || memcmp(buf.data, want, wantlen) != 0)
				tap_diag("got  %s\n# want %s", buf.data, want);
			else
			{
				/* canonical output is a fixed point */
				mcj_value  *v2 = mcj_parse(arena, buf.data, buf.len, NULL, &err);

				good = v2 != NULL && strcmp(jcs(arena, v2), buf.data) == 0 &&
					mcj_equal(v, v2);
			}
		}
		tap_ok(good, "jcs vector %s", names[i]);
		mcj_arena_destroy(arena);
		free(names[i]);
	}
}

/* a parse that must fail with a message containing want */
static void
expect_fail_n(const char *text, size_t len, const mcj_parse_options *opts,
			  const char *want, long want_offset, const char *desc)
{
	mcj_arena  *arena = mcj_arena_create(NULL);
	mcj_error	err;
	mcj_value  *v = mcj_parse(arena, text, len, opts, &err);
	bool		good;

	good = v == NULL && strstr(err.message, want) != NULL &&
		(want_offset < 0 || err.offset == (size_t) want_offset);
	if (!tap_ok(good, "reject %s", desc))
	{
		if (v != NULL)
			tap_diag("unexpectedly parsed");
		else
			tap_diag("message \"%s\" offset %zu; want \"%s\" offset %ld",
				 err.message, err.offset, want, want_offset);
	}
	mcj_arena_destroy(arena);
}

/* a NUL-terminated parse that must fail */
static void
expect_fail(const char *text, const char *want, long want_offset,
			const char *desc)
{
	expect_fail_n(text, strlen(text), NULL, want, want_offset, desc);
}

/* text must parse and canonicalize to want */
static void
expect_canon(const char *text, const char *want, const char *desc)
{
	mcj_arena  *arena = mcj_arena_create(NULL);
	const char *got = canon(arena, text);

	if (!tap_ok(strcmp(got, want) == 0, "%s", desc))
		tap_diag("got \"%s\" want \"%s\"", got, want);
	mcj_arena_destroy(arena);
}

/* strictness rules: each must reject */
static void
test_reject(void)
{
	char		deep[600];
	mcj_parse_options opts;
	int			i;

	expect_fail("{\"a\":1,\"a\":2}", "duplicate member name \"a\"", 7,
				"duplicate member name");
	expect_fail("{\"a\":1,\"\\u0061\":2}", "duplicate member name \"a\"", 7,
				"duplicate member name spelled with an escape");
	expect_fail("{\"b\":{\"x\":1},\"b\":2}", "duplicate member name \"b\"", -1,
				"duplicate member with object value");
	expect_fail("\"\\q\"", "invalid escape", 1, "invalid escape \\q");
	expect_fail("\"\\x41\"", "invalid escape", 1, "invalid escape \\x");
	expect_fail("\"\\u12\"", "invalid escape", 1, "short \\u escape");
	expect_fail("\"\\u12G4\"", "invalid escape", 1, "non-hex \\u escape");
	expect_fail("\"\\ud800\"", "lone surrogate \\ud800 in string", 1,
				"lone high surrogate");
	expect_fail("\"\\udc00x\"", "lone surrogate \\udc00 in string", 1,
				"lone low surrogate");
	expect_fail("\"a\\ud800\\u0041\"", "lone surrogate \\ud800 in string", 2,
				"high surrogate followed by a non-surrogate escape");
	expect_fail("\"\\ud800\\ud800\"", "lone surrogate \\ud800", 1,
				"two high surrogates");
	expect_fail("\"\\uDBFFx\"", "lone surrogate \\udbff", 1,
				"upper-case lone surrogate");
	expect_fail("\"a\x01\"", "unescaped control character 0x01", 2,
				"raw control character in string");
	expect_fail("\"a\nb\"", "unescaped control character 0x0a", 2,
				"raw newline in string");
	expect_fail_n("\"a\0\"", 4, NULL, "unescaped control character 0x00", 2,
				  "raw nul in string");
	expect_fail("\"\xc0\xaf\"", "overlong", 1, "overlong 2-byte utf-8");
	expect_fail("\"\xe0\x80\xaf\"", "overlong", 1, "overlong 3-byte utf-8");
	expect_fail("\"\xf0\x80\x80\xaf\"", "overlong", 1, "overlong 4-byte utf-8");
	expect_fail("\"\xed\xa0\x80\"", "surrogate", 1, "utf-8 encoded surrogate");
	expect_fail("\"\xf4\x90\x80\x80\"", "above u+10ffff", 1,
				"utf-8 above u+10ffff");
	expect_fail("\"\xf5\x80\x80\x80\"", "above u+10ffff", 1, "lead byte f5");
	expect_fail("\"\xff\"", "invalid utf-8", 1, "byte ff");
	expect_fail("\"\x80\"", "continuation", 1, "lone continuation byte");
	expect_fail("\"\xe2\x82\"", "truncated", 1, "truncated utf-8 sequence");
	expect_fail("\"\xe2\x82", "truncated", 1, "utf-8 cut by end of input");
	expect_fail("\"abc", "unterminated string", 0, "unterminated string");
	expect_fail("\"abc\\", "unterminated string", 0,
				"unterminated string after backslash");
	expect_fail("01", "leading zero", 0, "leading zero");
	expect_fail("-012", "leading zero", 0, "negative leading zero");
	expect_fail("[00]", "leading zero", 1, "double zero");
	expect_fail("1.", "expected digit after decimal point", 2, "bare point");
	expect_fail("1.e5", "expected digit after decimal point", 2,
				"point before exponent");
	expect_fail(".5", "unexpected character '.'", 0, "leading point");
	expect_fail("1e", "expected digit in exponent", 2, "empty exponent");
	expect_fail("1e+", "expected digit in exponent", 3, "signed empty exponent");
	expect_fail("-", "expected digit", 1, "minus alone");
	expect_fail("+1", "unexpected character '+'", 0, "plus sign");
	expect_fail("NaN", "unexpected character 'N'", 0, "NaN");
	expect_fail("Infinity", "unexpected character 'I'", 0, "Infinity");
	expect_fail("-Infinity", "expected digit", 1, "-Infinity");
	expect_fail("0x10", "trailing garbage", 1, "hex number");
	expect_fail("1e400", "number out of range", 0, "1e400");
	expect_fail("[-1e400]", "number out of range", 1, "-1e400");
	expect_fail("17976931348623159e292", "number out of range", 0,
				"just above the largest double");
	expect_fail("[1,]", "trailing comma in array", 3, "trailing comma in array");
	expect_fail("{\"a\":1,}", "trailing comma in object", 7,
				"trailing comma in object");
	expect_fail("[,1]", "unexpected character ','", 1, "leading comma");
	expect_fail("[1,,2]", "unexpected character ','", 3, "double comma");
	expect_fail("/* c */ 1", "unexpected character '/'", 0, "block comment");
	expect_fail("1 // c", "trailing garbage", 2, "line comment");
	expect_fail("[1] x", "trailing garbage", 4, "trailing garbage");
	expect_fail("{} {}", "trailing garbage", 3, "two documents");
	expect_fail("", "unexpected end of input", 0, "empty input");
	expect_fail(" \t\r\n", "unexpected end of input", 4, "only whitespace");
	expect_fail("[1", "unexpected end of input", 2, "unclosed array");
	expect_fail("{\"a\":1", "unexpected end of input", 6, "unclosed object");
	expect_fail("{\"a\" 1}", "expected ':'", 5, "missing colon");
	expect_fail("{1:2}", "expected member name", 1, "number as member name");
	expect_fail("{'a':2}", "unexpected character '''", 1, "single quotes");
	expect_fail("[1 2]", "expected ',' or ']'", 3, "missing comma in array");
	expect_fail("{\"a\":1 \"b\":2}", "expected ',' or '}'", 7,
				"missing comma in object");
	expect_fail("[1}", "expected ',' or ']'", 2, "mismatched bracket");
	expect_fail("tru", "invalid literal, expected true", 0, "truncated true");
	expect_fail("nul", "invalid literal, expected null", 0, "truncated null");
	expect_fail("True", "unexpected character 'T'", 0, "capitalised literal");
	expect_fail("\xef\xbb\xbf{}", "unexpected byte 0xef", 0, "byte order mark");
	expect_fail("\x0c" "1", "unexpected byte 0x0c", 0, "form feed whitespace");
	expect_fail_n("[1]\0", 4, NULL, "trailing garbage", 3, "trailing nul byte");

	/* nesting */
	for (i = 0; i < 257; i++)
		deep[i] = '[';
	for (i = 0; i < 257; i++)
		deep[257 + i] = ']';
	expect_fail_n(deep, 514, NULL, "nesting deeper than 256 levels", 256,
				  "257 nested arrays");
	{
		mcj_arena  *arena = mcj_arena_create(NULL);
		mcj_error	err;

		tap_ok(mcj_parse(arena, deep + 1, 512, NULL, &err) != NULL,
		   "256 nested arrays parse");
		mcj_arena_destroy(arena);
	}
	memset(&opts, 0, sizeof(opts));
	opts.max_depth = 3;
	expect_fail_n("{\"a\":[[[1]]]}", 13, &opts, "nesting deeper than 3 levels", -1,
				  "max_depth 3 exceeded");
	{
		mcj_arena  *arena = mcj_arena_create(NULL);
		mcj_error	err;

		tap_ok(mcj_parse(arena, "{\"a\":[1]}", 9, &opts, &err) != NULL,
		   "max_depth 3 reached but not exceeded");
		mcj_arena_destroy(arena);
	}
	memset(&opts, 0, sizeof(opts));
	opts.max_bytes = 4;
	expect_fail_n("[1,2]", 5, &opts, "exceeds", 4, "max_bytes exceeded");
	{
		mcj_arena  *arena = mcj_arena_create(NULL);
		mcj_error	err;

		tap_ok(mcj_parse(arena, "[12]", 4, &opts, &err) != NULL,
		   "max_bytes reached but not exceeded");
		mcj_arena_destroy(arena);
	}

	/* a deep document fails cleanly, without recursion */
	{
		size_t		n = 1000000;
		char	   *big = malloc(n);

		memset(big, '[', n);
		memset(&opts, 0, sizeof(opts));
		opts.max_depth = 2000000;
		{
			mcj_arena  *arena = mcj_arena_create(NULL);
			mcj_error	err;

			tap_ok(mcj_parse(arena, big, n, &opts, &err) == NULL &&
			   strstr(err.message, "unexpected end of input") != NULL,
			   "a million open brackets fail without exhausting the stack");
			mcj_arena_destroy(arena);
		}
		free(big);
	}
}

/* duplicate detection in a large object goes through the hash */
static void
test_large_objects(void)
{
	mcj_arena  *arena = mcj_arena_create(NULL);
	mcj_buf		buf;
	mcj_value  *v;
	mcj_error	err;
	mcj_parse_options opts;
	int			i;
	int			n = 20000;

	mcj_buf_init(&buf, arena, 0);
	mcj_buf_appendc(&buf, '{');
	for (i = 0; i < n; i++)
	{
		char		member[48];

		snprintf(member, sizeof(member), "%s\"k%d\":%d", i ? "," : "", i, i);
		mcj_buf_appends(&buf, member);
	}
	mcj_buf_appendc(&buf, '}');
	v = mcj_parse(arena, buf.data, buf.len, NULL, &err);
	tap_ok(v != NULL && v->type == MCJ_OBJECT && v->u.obj.n == (size_t) n,
	   "object with %d distinct members parses", n);
	tap_ok(v != NULL && mcj_object_get(v, "k12345") != NULL &&
	   mcj_object_get(v, "k12345")->u.num == 12345, "member k12345 has its value");

	/* the same with a duplicate at the end */
	buf.len--;
	mcj_buf_appends(&buf, ",\"k777\":0}");
	v = mcj_parse(arena, buf.data, buf.len, NULL, &err);
	tap_ok(v == NULL && strstr(err.message, "duplicate member name \"k777\"") &&
	   err.offset == buf.len - 9,
	   "duplicate found among %d members (hash path)", n + 1);
	memset(&opts, 0, sizeof(opts));
	opts.allow_duplicate_keys = true;
	v = mcj_parse(arena, buf.data, buf.len, &opts, &err);
	tap_ok(v != NULL && v->u.obj.n == (size_t) n + 1,
	   "allow_duplicate_keys accepts it");

	/* 17th member duplicates the first: boundary of the linear scan */
	v = parse(arena, "{\"a0\":0,\"a1\":1,\"a2\":2,\"a3\":3,\"a4\":4,\"a5\":5,"
			  "\"a6\":6,\"a7\":7,\"a8\":8,\"a9\":9,\"a10\":10,\"a11\":11,"
			  "\"a12\":12,\"a13\":13,\"a14\":14,\"a15\":15,\"a16\":16,"
			  "\"a0\":0}", &err);
	tap_ok(v == NULL && strstr(err.message, "duplicate member name \"a0\""),
	   "duplicate of the first member after 17 members");
	v = parse(arena, "{\"a0\":0,\"a1\":1,\"a2\":2,\"a3\":3,\"a4\":4,\"a5\":5,"
			  "\"a6\":6,\"a7\":7,\"a8\":8,\"a9\":9,\"a10\":10,\"a11\":11,"
			  "\"a12\":12,\"a13\":13,\"a14\":14,\"a15\":15,\"a15\":16}", &err);
	tap_ok(v == NULL && strstr(err.message, "duplicate member name \"a15\""),
	   "duplicate as the 17th member");

	/* sorting 40 members given in reverse */
	mcj_buf_init(&buf, arena, 0);
	mcj_buf_appendc(&buf, '{');
	for (i = 39; i >= 0; i--)
	{
		char		member[32];

		snprintf(member, sizeof(member), "\"m%02d\":%d%s", i, i, i ? "," : "");
		mcj_buf_appends(&buf, member);
	}
	mcj_buf_appendc(&buf, '}');
	v = mcj_parse(arena, buf.data, buf.len, NULL, &err);
	{
		const char *out = jcs(arena, v);
		bool		sorted = strncmp(out, "{\"m00\":0,\"m01\":1,", 17) == 0 &&
			strstr(out, "\"m38\":38,\"m39\":39}") != NULL;

		tap_ok(sorted, "40 members sorted (qsort path)");
	}
	mcj_arena_destroy(arena);
}

/* inputs that must be accepted, and their canonical form */
static void
test_accept(void)
{
	mcj_arena  *arena = mcj_arena_create(NULL);
	mcj_value  *v;
	mcj_error	err;
	char	   *big;
	size_t		i;

	expect_canon("1", "1", "top-level number");
	expect_canon(" \"x\" ", "\"x\"", "top-level string");
	expect_canon("true", "true", "top-level true");
	expect_canon("false", "false", "top-level false");
	expect_canon("null", "null", "top-level null");
	expect_canon("-0", "0", "-0 prints as 0");
	expect_canon("-0.0e5", "0", "-0.0e5 prints as 0");
	expect_canon("[1E2,1e-2,0.5,-1.25e+1,10.000]", "[100,0.01,0.5,-12.5,10]",
				 "number forms");
	expect_canon("1e-400", "0", "underflow to zero is accepted");
	expect_canon("0.000000000000000000000000000000000000000000000000000001e54",
				 "1", "leading fraction zeros and exponent");
	expect_canon("100000000000000000000000000000e-29", "1",
				 "trailing zeros and negative exponent");
	expect_canon("0.1000000000000000055511151231257827021181583404541015625",
				 "0.1", "exact decimal value of 0.1");
	expect_canon("[]", "[]", "empty array");
	expect_canon("{}", "{}", "empty object");
	expect_canon("[ [ ] , { } ]", "[[],{}]", "nested empties with spaces");
	expect_canon("\"\\u0000\"", "\"\\u0000\"", "escaped nul");
	expect_canon("\"\\ud83d\\ude02\"", "\"\xf0\x9f\x98\x82\"", "surrogate pair");
	expect_canon("\"\\uD83D\\uDE02\"", "\"\xf0\x9f\x98\x82\"",
				 "upper-case surrogate pair");
	expect_canon("\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"", "\"/\\b\\f\\n\\r\\t\\\"\\\\\"",
				 "short escapes");
	expect_canon("\"\\u001f\\u007f\\u0080\\u2028\"",
				 "\"\\u001f\x7f\xc2\x80\xe2\x80\xa8\"",
				 "only controls below 0x20 are escaped");
	expect_canon("\"\xf4\x8f\xbf\xbf\xef\xbf\xbf\"", "\"\xf4\x8f\xbf\xbf\xef\xbf\xbf\"",
				 "u+10ffff and u+ffff accepted");
	expect_canon("{\"a\":1,\"A\":2,\"\":3}", "{\"\":3,\"A\":2,\"a\":1}",
				 "empty name sorts first");

	/* value checks */
	v = parse(arena, "-0", &err);
	tap_ok(v != NULL && v->type == MCJ_NUMBER && v->u.num == 0 && signbit(v->u.num),
	   "-0 parses as negative zero");
	v = parse(arena, "\"a\\u0000b\"", &err);
	tap_ok(v != NULL && v->type == MCJ_STRING && v->u.str.len == 3 &&
	   memcmp(v->u.str.s, "a\0b", 4) == 0, "string with nul keeps its length");
	v = parse(arena, "\"\\u00e9\\u20ac\"", &err);
	tap_ok(v != NULL && v->u.str.len == 5 &&
	   strcmp(v->u.str.s, "\xc3\xa9\xe2\x82\xac") == 0,
	   "\\u escapes decode to utf-8");
	v = parse(arena, "123456789012345678901234567890", &err);
	tap_ok(v != NULL && v->u.num == 1.2345678901234568e29, "long integer");
	v = parse(arena, "4.9406564584124654e-324", &err);
	tap_ok(v != NULL && v->u.num == 5e-324, "smallest subnormal");
	v = parse(arena, "1.7976931348623157e308", &err);
	tap_ok(v != NULL && v->u.num == 1.7976931348623157e308, "largest double");

	/* 1000 threes: truncation to 800 digits keeps correct rounding */
	big = mcj_alloc(arena, 1100);
	strcpy(big, "0.");
	for (i = 0; i < 1000; i++)
		big[2 + i] = '3';
	big[1002] = '\0';
	v = parse(arena, big, &err);
	tap_ok(v != NULL && v->u.num == 1.0 / 3.0, "1000-digit 0.333... equals 1/3");

	/* sticky digit: 2^53 + 1 + tiny must round up, not to even */
	strcpy(big, "9007199254740993.");
	for (i = 0; i < 900; i++)
		big[17 + i] = '0';
	strcpy(big + 917, "1");
	v = parse(arena, big, &err);
	tap_ok(v != NULL && v->u.num == 9007199254740994.0,
	   "digit beyond 800 decides the rounding of a halfway value");
	v = parse(arena, "9007199254740993", &err);
	tap_ok(v != NULL && v->u.num == 9007199254740992.0, "exact halfway rounds to even");
	mcj_arena_destroy(arena);
}

/* format a double from its IEEE 754 bits */
static void
expect_bits(uint64_t bits, const char *want)
{
	double		d;
	char		out[40];

	memcpy(&d, &bits, sizeof(d));
	mcj_format_number(d, out);
	if (!tap_ok(strcmp(out, want) == 0, "format %016llx as %s",
			(unsigned long long) bits, want))
		tap_diag("got %s", out);
}

/* format a double */
static void
expect_num(double d, const char *want)
{
	char		out[40];
	size_t		n = mcj_format_number(d, out);

	if (!tap_ok(strcmp(out, want) == 0 && n == strlen(want), "format %s", want))
		tap_diag("got %s", out);
}

/* ECMAScript number formatting, RFC 8785 appendix B and edge cases */
static void
test_numbers(void)
{
	double		a = 0.1,
				b = 0.2;

	expect_bits(0x0000000000000000ULL, "0");
	expect_bits(0x8000000000000000ULL, "0");
	expect_bits(0x0000000000000001ULL, "5e-324");
	expect_bits(0x8000000000000001ULL, "-5e-324");
	expect_bits(0x7fefffffffffffffULL, "1.7976931348623157e+308");
	expect_bits(0xffefffffffffffffULL, "-1.7976931348623157e+308");
	expect_bits(0x4340000000000000ULL, "9007199254740992");
	expect_bits(0xc340000000000000ULL, "-9007199254740992");
	expect_bits(0x4430000000000000ULL, "295147905179352830000");
	expect_bits(0x44b52d02c7e14af5ULL, "9.999999999999997e+22");
	expect_bits(0x44b52d02c7e14af6ULL, "1e+23");
	expect_bits(0x44b52d02c7e14af7ULL, "1.0000000000000001e+23");
	expect_bits(0x444b1ae4d6e2ef4eULL, "999999999999999700000");
	expect_bits(0x444b1ae4d6e2ef4fULL, "999999999999999900000");
	expect_bits(0x444b1ae4d6e2ef50ULL, "1e+21");
	expect_bits(0x3eb0c6f7a0b5ed8cULL, "9.999999999999997e-7");
	expect_bits(0x3eb0c6f7a0b5ed8dULL, "0.000001");
	expect_bits(0x41b3de4355555553ULL, "333333333.3333332");
	expect_bits(0x41b3de4355555554ULL, "333333333.33333325");
	expect_bits(0x41b3de4355555555ULL, "333333333.3333333");
	expect_bits(0x41b3de4355555556ULL, "333333333.3333334");
	expect_bits(0x41b3de4355555557ULL, "333333333.33333343");
	expect_bits(0xbecbf647612f3696ULL, "-0.0000033333333333333333");
	expect_bits(0x43143ff3c1cb0959ULL, "1424953923781206.2");

	expect_num(-0.0, "0");
	expect_num(1e21, "1e+21");
	expect_num(1e20, "100000000000000000000");
	expect_num(1e-6, "0.000001");
	expect_num(1e-7, "1e-7");
	expect_num(1.5e-7, "1.5e-7");
	expect_num(123e-20, "1.23e-18");
	expect_num(a + b, "0.30000000000000004");
	expect_num(0.1, "0.1");
	expect_num(-1.5, "-1.5");
	expect_num(100, "100");
	expect_num(1, "1");
	expect_num(-1, "-1");
	expect_num(4.35, "4.35");
	expect_num(0.000123, "0.000123");
	expect_num(1e100, "1e+100");
	expect_num(1.2e-100, "1.2e-100");
	expect_num(1152921504606846976.0, "1152921504606847000");
	expect_num(9007199254740991.0, "9007199254740991");
	expect_num(9007199254740994.0, "9007199254740994");
	expect_num(123456.789, "123456.789");
	expect_num(2.2250738585072014e-308, "2.2250738585072014e-308");
	expect_num(5e-324, "5e-324");
	expect_num(1.7976931348623157e308, "1.7976931348623157e+308");
	/* powers of two below 1, where the rounding interval is asymmetric */
	expect_num(ldexp(1.0, -1074), "5e-324");
	expect_num(ldexp(1.0, -1022), "2.2250738585072014e-308");
	expect_num(ldexp(1.0, 1023), "8.98846567431158e+307");
	expect_num(ldexp(1.0, -44), "5.684341886080802e-14");
	/*
	 * Here the nearest 16-digit decimal does not round-trip but its upper
	 * neighbour does (values checked against ECMAScript).
	 */
	expect_num(ldexp(1.0, -1017), "7.120236347223045e-307");
	expect_num(ldexp(1.0, -957), "8.209073602596753e-289");
	expect_num(ldexp(1.0, -808), "5.858190679279809e-244");
}

/* UTF-16 member ordering */
static void
test_ordering(void)
{
	/* U+E000 sorts after U+1F600 in UTF-16 although not in UTF-8 */
	expect_canon("{\"\xee\x80\x80\":1,\"\xf0\x9f\x98\x80\":2,\"a\":3,\"\xc3\xa9\":4}",
				 "{\"a\":3,\"\xc3\xa9\":4,\"\xf0\x9f\x98\x80\":2,\"\xee\x80\x80\":1}",
				 "supplementary characters sort before u+e000");
	expect_canon("{\"\xef\xbf\xbf\":1,\"\xf4\x8f\xbf\xbf\":2}",
				 "{\"\xf4\x8f\xbf\xbf\":2,\"\xef\xbf\xbf\":1}",
				 "u+10ffff sorts before u+ffff");
	expect_canon("{\"\xed\x9f\xbf\":1,\"\xf0\x90\x80\x80\":2}",
				 "{\"\xed\x9f\xbf\":1,\"\xf0\x90\x80\x80\":2}",
				 "u+d7ff sorts before u+10000");
	expect_canon("{\"\xf0\x9f\x98\x81\":1,\"\xf0\x9f\x98\x80\":2}",
				 "{\"\xf0\x9f\x98\x80\":2,\"\xf0\x9f\x98\x81\":1}",
				 "supplementary characters by code point");
	expect_canon("{\"ab\":1,\"a\":2,\"b\":3,\"aa\":4}",
				 "{\"a\":2,\"aa\":4,\"ab\":1,\"b\":3}",
				 "prefixes sort first");
	expect_canon("{\"b\":[{\"z\":1,\"y\":2}],\"a\":{\"d\":1,\"c\":2}}",
				 "{\"a\":{\"c\":2,\"d\":1},\"b\":[{\"y\":2,\"z\":1}]}",
				 "nested objects are sorted, arrays keep their order");
}

/* compact writer, round trips, escaping */
static void
test_roundtrip(void)
{
	mcj_arena  *arena = mcj_arena_create(NULL);
	const char *docs[] = {
		"{\"b\":1,\"a\":[true,false,null,\"x\\ny\"],\"c\":{\"\":0.5}}",
		"[1e300,-1e-300,123.456,-0]",
		"\"\\u0001\\u001f\\\"\\\\/\xe2\x82\xac\"",
		"{\"\xf0\x9f\x98\x82\":{\"\xee\x80\x80\":[[]]}}",
	};
	const char *compacts[] = {
		"{\"b\":1,\"a\":[true,false,null,\"x\\ny\"],\"c\":{\"\":0.5}}",
		"[1e+300,-1e-300,123.456,0]",
		"\"\\u0001\\u001f\\\"\\\\/\xe2\x82\xac\"",
		"{\"\xf0\x9f\x98\x82\":{\"\xee\x80\x80\":[[]]}}",
	};
	size_t		i;
	mcj_error	err;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
	{
		mcj_value  *v = parse(arena, docs[i], &err);
		const char *c = v ? compact(arena, v) : "";
		const char *j = v ? jcs(arena, v) : "";
		mcj_value  *v2 = parse(arena, j, &err);
		mcj_value  *v3 = parse(arena, c, &err);

		if (!tap_ok(v != NULL && strcmp(c, compacts[i]) == 0, "compact write %zu", i))
			tap_diag("got %s", c);
		tap_ok(v2 != NULL && mcj_equal(v, v2) && strcmp(jcs(arena, v2), j) == 0,
		   "jcs round trip %zu", i);
		tap_ok(v3 != NULL && mcj_equal(v, v3), "compact round trip %zu", i);
	}

	/* every control character */
	{
		char		raw[32];
		mcj_value  *s;

		for (i = 0; i < 32; i++)
			raw[i] = (char) i;
		s = mcj_string(arena, raw, 32);
		tap_ok(strcmp(compact(arena, s),
				  "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
				  "\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
				  "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
				  "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\"") == 0,
		   "control characters escaped as in rfc 8785");
	}

	/* what JCS cannot represent */
	{
		mcj_value  *o = mcj_object(arena);
		mcj_buf		buf;

		mcj_object_set(arena, o, "n", mcj_number(arena, NAN));
		mcj_buf_init(&buf, arena, 0);
		mcj_buf_appends(&buf, "prefix");
		tap_ok(!mcj_write_jcs(&buf, o, &err) && strstr(err.message, "non-finite") &&
		   strcmp(buf.data, "prefix") == 0 && buf.len == 6,
		   "jcs rejects nan and leaves the buffer as it was");
		tap_ok(strcmp(compact(arena, o), "{\"n\":null}") == 0,
		   "compact writer prints nan as null");
		mcj_object_set(arena, o, "n", mcj_number(arena, -INFINITY));
		tap_ok(!mcj_write_jcs(&buf, o, &err), "jcs rejects -infinity");
		mcj_object_set(arena, o, "n", mcj_string(arena, "\xc3", 1));
		tap_ok(!mcj_write_jcs(&buf, o, &err) && strstr(err.message, "utf-8"),
		   "jcs rejects invalid utf-8 in a string");
		o = mcj_object(arena);
		mcj_object_add(arena, o, "\xed\xa0\x80", 3, mcj_null(arena));
		tap_ok(!mcj_write_jcs(&buf, o, &err) && strstr(err.message, "member name"),
		   "jcs rejects a surrogate in a member name");
	}
	mcj_arena_destroy(arena);
}

/* builders, accessors, equality */
static void
test_model(void)
{
	mcj_arena  *arena = mcj_arena_create(NULL);
	mcj_value  *o = mcj_object(arena);
	mcj_value  *arr = mcj_array(arena);
	mcj_value  *c,
			   *p,
			   *q;
	mcj_error	err;
	int			i;

	mcj_object_set(arena, o, "a", mcj_number(arena, 1));
	mcj_object_set(arena, o, "b", mcj_cstring(arena, "two"));
	mcj_object_set(arena, o, "c", mcj_bool(arena, true));
	mcj_object_add(arena, o, "d\0e", 3, mcj_null(arena));
	for (i = 0; i < 100; i++)
		mcj_array_append(arena, arr, mcj_number(arena, i));
	mcj_object_set(arena, o, "arr", arr);
	tap_ok(o->u.obj.n == 5 && arr->u.arr.n == 100 && arr->u.arr.items[99]->u.num == 99,
	   "builders append");
	tap_ok(mcj_is_string(mcj_object_get(o, "b"), "two") &&
	   !mcj_is_string(mcj_object_get(o, "b"), "tw") &&
	   !mcj_is_string(mcj_object_get(o, "a"), "1") &&
	   !mcj_is_string(NULL, "two"), "mcj_is_string");
	tap_ok(mcj_object_getn(o, "d\0e", 3) != NULL &&
	   mcj_object_getn(o, "d\0e", 3)->type == MCJ_NULL &&
	   mcj_object_get(o, "d") == NULL && mcj_object_get(o, "zz") == NULL &&
	   mcj_object_get(arr, "a") == NULL, "mcj_object_get and getn");
	mcj_object_set(arena, o, "a", mcj_number(arena, 7));
	tap_ok(o->u.obj.n == 5 && mcj_object_get(o, "a")->u.num == 7 &&
	   o->u.obj.members[0].key[0] == 'a', "mcj_object_set replaces in place");

	c = mcj_copy(arena, o);
	tap_ok(c != o && mcj_equal(c, o) && c->u.obj.members != o->u.obj.members &&
	   mcj_object_get(c, "arr") != arr, "mcj_copy is deep and equal");
	mcj_object_get(c, "arr")->u.arr.items[0]->u.num = -1;
	tap_ok(!mcj_equal(c, o) && arr->u.arr.items[0]->u.num == 0,
	   "changing the copy leaves the original");

	tap_ok(mcj_object_remove(o, "b") && o->u.obj.n == 4 &&
	   mcj_object_get(o, "b") == NULL &&
	   strcmp(o->u.obj.members[0].key, "a") == 0 &&
	   strcmp(o->u.obj.members[1].key, "c") == 0 &&
	   o->u.obj.members[2].keylen == 3 &&
	   strcmp(o->u.obj.members[3].key, "arr") == 0,
	   "mcj_object_remove keeps the order of the others");
	tap_ok(!mcj_object_remove(o, "b") && o->u.obj.n == 4,
	   "mcj_object_remove of an absent member");
	tap_ok(!mcj_object_remove(arr, "a"), "mcj_object_remove on an array");
	tap_ok(strcmp(compact(arena, o), "{\"a\":7,\"c\":true,\"d\\u0000e\":null,\"arr\":["
				"0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,"
				"25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,"
				"47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,"
				"69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,"
				"91,92,93,94,95,96,97,98,99]}") == 0, "compact output of built value");

	p = parse(arena, "{\"a\":1,\"b\":[1,2,{\"x\":null}],\"c\":\"s\"}", &err);
	q = parse(arena, "{\"c\":\"s\",\"b\":[1,2,{\"x\":null}],\"a\":1.0}", &err);
	tap_ok(mcj_equal(p, q), "mcj_equal ignores member order");
	q = parse(arena, "{\"c\":\"s\",\"b\":[2,1,{\"x\":null}],\"a\":1}", &err);
	tap_ok(!mcj_equal(p, q), "mcj_equal respects array order");
	q = parse(arena, "{\"c\":\"s\",\"b\":[1,2,{\"x\":null}],\"d\":1}", &err);
	tap_ok(!mcj_equal(p, q), "mcj_equal compares names");
	q = parse(arena, "{\"c\":\"s\",\"b\":[1,2,{\"x\":false}],\"a\":1}", &err);
	tap_ok(!mcj_equal(p, q), "mcj_equal is deep");
	q = parse(arena, "{\"a\":1,\"b\":[1,2,{\"x\":null}]}", &err);
	tap_ok(!mcj_equal(p, q) && !mcj_equal(q, p), "mcj_equal compares sizes");
	tap_ok(mcj_equal(parse(arena, "0", &err), parse(arena, "-0", &err)),
	   "mcj_equal: 0 equals -0");
	tap_ok(!mcj_equal(parse(arena, "1", &err), parse(arena, "\"1\"", &err)) &&
	   !mcj_equal(parse(arena, "true", &err), parse(arena, "false", &err)) &&
	   !mcj_equal(parse(arena, "[]", &err), parse(arena, "{}", &err)) &&
	   mcj_equal(parse(arena, "null", &err), mcj_null(arena)),
	   "mcj_equal compares types");
	tap_ok(!mcj_equal(mcj_string(arena, "a\0b", 3), mcj_string(arena, "a\0c", 3)) &&
	   mcj_equal(mcj_string(arena, "a\0b", 3), mcj_string(arena, "a\0b", 3)),
	   "mcj_equal on strings with nul");
	mcj_arena_destroy(arena);
}

/* counting allocator: tracks live blocks; fails after a budget */
typedef struct counting
{
	long		live;
	long		calls;
	long		fail_after;		/* < 0: never fail */
} counting;

/* allocate through malloc unless the budget is exhausted */
static void *
counting_alloc(void *ctx, size_t size)
{
	counting   *c = ctx;

	if (c->fail_after >= 0 && c->calls >= c->fail_after)
		return NULL;
	c->calls++;
	c->live++;
	return malloc(size);
}

/* free and count */
static void
counting_free(void *ctx, void *ptr)
{
	counting   *c = ctx;

	c->live--;
	free(ptr);
}

/* arena, buffer and allocator behaviour */
static void
test_arena(void)
{
	counting	cnt = {0, 0, -1};
	mcj_allocator a = {counting_alloc, counting_free, &cnt};
	mcj_arena  *arena = mcj_arena_create(&a);
	mcj_buf		buf;
	bool		aligned = true;
	bool		content = true;
	char	   *big;
	char	   *s;
	size_t		i;
	int			k;

	for (i = 0; i < 10000; i++)
	{
		char	   *p = mcj_alloc(arena, i % 37);

		if (((uintptr_t) p & 7) != 0)
			aligned = false;
		memset(p, 0xAB, i % 37);
	}
	tap_ok(aligned, "allocations are 8-byte aligned");
	big = mcj_alloc(arena, 5 * 1024 * 1024);
	tap_ok(big != NULL && ((uintptr_t) big & 7) == 0, "large allocation");
	memset(big, 1, 5 * 1024 * 1024);
	s = mcj_strndup(arena, "hello world", 5);
	tap_ok(strcmp(s, "hello") == 0, "mcj_strndup terminates");
	tap_ok(mcj_alloc(arena, 0) != NULL, "zero-size allocation is not NULL");

	mcj_buf_init(&buf, arena, 1);
	tap_ok(buf.len == 0 && buf.data[0] == '\0', "empty buffer is terminated");
	for (k = 0; k < 100000; k++)
	{
		char		tmp[16];

		snprintf(tmp, sizeof(tmp), "%05d,", k % 100000);
		mcj_buf_appends(&buf, tmp);
		if ((k & 1) == 0)
			mcj_alloc(arena, 24);	/* interleave other allocations */
	}
	for (k = 0; k < 100000; k++)
	{
		char		tmp[16];

		snprintf(tmp, sizeof(tmp), "%05d,", k);
		if (memcmp(buf.data + (size_t) k * 6, tmp, 6) != 0)
			content = false;
	}
	tap_ok(content && buf.len == 600000 && buf.data[buf.len] == '\0' &&
	   buf.cap > buf.len, "buffer grows and keeps its content");
	mcj_buf_appendc(&buf, 'x');
	mcj_buf_append(&buf, "yz", 2);
	tap_ok(buf.len == 600003 && strcmp(buf.data + 600000, "xyz") == 0,
	   "appendc and append");
	tap_ok(cnt.live > 1, "arena obtained %ld blocks", cnt.live);
	mcj_arena_destroy(arena);
	tap_ok(cnt.live == 0, "destroy released every block");

	/* out of memory during a parse: fails cleanly at every point */
	{
		const char *doc = "{\"a\":[1,2,3,{\"b\":\"\\u00e9xxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}],"
			"\"c\":\"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\"}";
		bool		clean = true;
		bool		succeeded = false;
		long		budget;

		for (budget = 1; budget < 10 && !succeeded; budget++)
		{
			mcj_error	err;
			mcj_value  *v;

			cnt.live = 0;
			cnt.calls = 0;
			cnt.fail_after = budget;
			arena = mcj_arena_create(&a);
			if (arena == NULL)
				continue;
			/* burn the first block so that the parse needs more */
			mcj_alloc(arena, 8000);
			v = mcj_parse(arena, doc, strlen(doc), NULL, &err);
			if (v == NULL && strcmp(err.message, "out of memory") != 0)
				clean = false;
			if (v != NULL)
				succeeded = true;
			mcj_arena_destroy(arena);
			if (cnt.live != 0)
				clean = false;
		}
		tap_ok(clean && succeeded, "parse reports out of memory and leaks nothing");
	}
}

/*
 * Numbers must not depend on LC_NUMERIC: repeat the number tests in a
 * locale whose decimal point is a comma, when one is installed (set
 * LOCPATH to use a locale compiled with localedef).
 */
static void
test_locale(void)
{
	const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8",
	"fr_FR.utf8", "nl_NL.UTF-8", "ru_RU.UTF-8"};
	const char *found = NULL;
	size_t		i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]) && found == NULL; i++)
		if (setlocale(LC_NUMERIC, names[i]) != NULL &&
			localeconv()->decimal_point[0] == ',')
			found = names[i];
	if (found == NULL)
	{
		tap_n++;
		printf("ok %d # SKIP no locale with a decimal comma installed\n",
			   tap_n);
		setlocale(LC_NUMERIC, "C");
		return;
	}
	tap_diag("LC_NUMERIC=%s", found);
	test_numbers();
	expect_canon("[0.5,1.25e3,-12.75,1e-7,333333333.33333329]",
				 "[0.5,1250,-12.75,1e-7,333333333.3333333]",
				 "parse and write with a decimal comma locale");
	setlocale(LC_NUMERIC, "C");
}

/* run everything */
int
main(int argc, char **argv)
{
	const char *datadir = argc > 1 ? argv[1] : "tests/data";

	test_arena();
	test_model();
	test_jcs_vectors(datadir);
	test_reject();
	test_large_objects();
	test_accept();
	test_numbers();
	test_locale();
	test_ordering();
	test_roundtrip();
	printf("1..%d\n", tap_n);
	if (tap_failed > 0)
	{
		tap_diag("%d of %d tests failed", tap_failed, tap_n);
		return 1;
	}
	return 0;
}
