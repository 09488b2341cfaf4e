/*-------------------------------------------------------------------------
 *
 * fuzz_jcs.c
 *	  libFuzzer target for the JSON core (pg_extension/mcjson.c).
 *
 * Every input is parsed with small limits.  When it parses, its RFC 8785
 * canonical form must exist, must parse again, and must canonicalize to
 * the same bytes; the compact writer's output and a deep copy must give
 * equal values with the same canonical form.  Any difference abort()s.
 *
 * Build:
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -Ipg_extension \
 *		tests/fuzz/fuzz_jcs.c pg_extension/mcjson.c -o fuzz_jcs
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcjson.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* canonicalize v into a fresh buffer; abort if JCS refuses it */
static mcj_buf
must_jcs(mcj_arena *arena, const mcj_value *v)
{
	mcj_buf		buf;
	mcj_error	err;

	mcj_buf_init(&buf, arena, 0);
	if (!mcj_write_jcs(&buf, v, &err))
		abort();
	if (buf.data[buf.len] != '\0')
		abort();
	return buf;
}

/* same bytes */
static bool
same(const mcj_buf *a, const mcj_buf *b)
{
	return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* parse, canonicalize, reparse, compare */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mcj_arena  *arena = mcj_arena_create(NULL);
	mcj_parse_options opts;
	mcj_parse_options reopts;
	mcj_error	err;
	size_t		dup_offset;
	mcj_value  *v,
			   *v2,
			   *v3,
			   *c;
	mcj_buf		canon1,
				canon2,
				canon3,
				compact;

	if (arena == NULL)
		return 0;
	memset(&opts, 0, sizeof(opts));
	opts.max_depth = 48;
	opts.max_bytes = 1 << 16;
	v = mcj_parse(arena, (const char *) data, size, &opts, &err);
	if (v == NULL)
	{
		if (err.message[0] == '\0' || err.offset > size)
			abort();
		/* duplicates allowed: the rest of the checks still hold */
		if (strncmp(err.message, "duplicate member name", 21) != 0)
		{
			mcj_arena_destroy(arena);
			return 0;
		}
		opts.allow_duplicate_keys = true;
		dup_offset = err.offset;
		v = mcj_parse(arena, (const char *) data, size, &opts, &err);
		if (v == NULL)
		{
			/* everything before the duplicate was valid */
			if (err.offset < dup_offset)
				abort();
			mcj_arena_destroy(arena);
			return 0;
		}
	}

	/* the canonical form is a fixed point */
	reopts = opts;
	reopts.max_bytes = 0;
	canon1 = must_jcs(arena, v);
	v2 = mcj_parse(arena, canon1.data, canon1.len, &reopts, &err);
	if (v2 == NULL)
		abort();
	canon2 = must_jcs(arena, v2);
	if (!same(&canon1, &canon2) || !mcj_equal(v, v2))
		abort();

	/* the compact writer gives the same value */
	mcj_buf_init(&compact, arena, 0);
	mcj_write(&compact, v);
	v3 = mcj_parse(arena, compact.data, compact.len, &reopts, &err);
	if (v3 == NULL || !mcj_equal(v, v3))
		abort();
	canon3 = must_jcs(arena, v3);
	if (!same(&canon1, &canon3))
		abort();

	/* a deep copy is equal and canonicalizes identically */
	c = mcj_copy(arena, v);
	if (c == NULL || !mcj_equal(c, v))
		abort();
	canon3 = must_jcs(arena, c);
	if (!same(&canon1, &canon3))
		abort();

	mcj_arena_destroy(arena);
	return 0;
}
