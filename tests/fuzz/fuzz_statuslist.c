/*-------------------------------------------------------------------------
 *
 * fuzz_statuslist.c
 *	  libFuzzer target for the Bitstring Status List core
 *	  (pg_extension/statuslist.c): the encodedList decoder and the entry
 *	  and list credential parsers.
 *
 * The first byte chooses what the input is:
 *	  'u'		an encodedList text, decoded as is;
 *	  0x1f		raw GZIP bytes (the magic's first byte), which the target
 *				base64url-encodes first so that mutations reach inflate;
 *	  other		JSON: an object is parsed both as a BitstringStatusListEntry
 *				and as a BitstringStatusListCredential; an array
 *				[entry, credential] goes through sl_check_status.
 * Decoding is bounded to 256 KiB with a minimum of 8 entries, so memory
 * per input stays small.  A decoded list of the standard size must
 * re-encode and decode to the same bits; accepted entries must have a
 * digit-string index whose value matches.  Any inconsistency abort()s.
 *
 * Build:
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *		-fno-sanitize-recover=undefined -Ipg_extension \
 *		tests/fuzz/fuzz_statuslist.c pg_extension/statuslist.c \
 *		pg_extension/multibase.c pg_extension/mcjson.c -lz -lcrypto
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcjson.h"
#include "multibase.h"
#include "statuslist.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const sl_decode_options fuzz_limits = {256 * 1024, 8};

/* decode text; when it is a list of encodable size, check the round trip */
static void
fuzz_decode(mcj_arena *arena, const char *text, size_t len)
{
	mcj_error	err;
	size_t		nbits;
	unsigned char *bits;
	char	   *again;
	unsigned char *bits2;
	size_t		nbits2;
	bool		v;

	bits = sl_decode(arena, text, len, &fuzz_limits, &nbits, &err);
	if (bits == NULL)
	{
		if (err.message[0] == '\0')
			abort();
		return;
	}
	if (nbits < 8 || nbits % 8 != 0 || nbits > fuzz_limits.max_bytes * 8)
		abort();
	if (!sl_get(bits, nbits, nbits - 1, &v, &err) ||
		sl_get(bits, nbits, nbits, &v, &err))
		abort();
	if (nbits < SL_MIN_ENTRIES)
		return;
	again = sl_encode(arena, bits, nbits, &err);
	if (again == NULL || again[0] != 'u')
		abort();
	bits2 = sl_decode(arena, again, strlen(again), &fuzz_limits, &nbits2, &err);
	if (bits2 == NULL || nbits2 != nbits || memcmp(bits, bits2, nbits / 8) != 0)
		abort();
}

/* parse an object as an entry and as a list credential */
static void
fuzz_object(const mcj_value *v)
{
	sl_entry	e;
	sl_list_credential list;
	mcj_error	err;

	if (sl_parse_entry(v, &e, &err))
	{
		size_t		i;
		uint64_t	n = 0;
		bool		big = false;

		if (e.purpose == NULL || e.credential == NULL || e.index_text == NULL ||
			e.index_text[0] == '\0' || e.status_size != 1)
			abort();
		for (i = 0; e.index_text[i] != '\0'; i++)
		{
			if (e.index_text[i] < '0' || e.index_text[i] > '9')
				abort();
			if (n > (UINT64_MAX - 9) / 10)
				big = true;
			else
				n = n * 10 + (uint64_t) (e.index_text[i] - '0');
		}
		if (!big && n != e.index)
			abort();
	}
	else if (err.message[0] == '\0')
		abort();
	if (sl_parse_list_credential(v, &list, &err))
	{
		if (list.encoded_list == NULL || list.encoded_list[0] != 'u' ||
			list.purposes == NULL)
			abort();
	}
	else if (err.message[0] == '\0')
		abort();
}

/* one input */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mcj_arena  *arena;
	mcj_error	err;

	if (size == 0 || size > 65536)
		return 0;
	arena = mcj_arena_create(NULL);
	if (arena == NULL)
		return 0;
	err.message[0] = '\0';
	if (data[0] == 'u')
		fuzz_decode(arena, (const char *) data, size);
	else if (data[0] == 0x1f)
	{
		char	   *text = mb_multibase_encode(arena, 'u', data, size);

		if (text == NULL)
			abort();
		fuzz_decode(arena, text, strlen(text));
	}
	else
	{
		mcj_parse_options opts = {32, 65536, false};
		mcj_value  *v = mcj_parse(arena, (const char *) data, size, &opts, &err);

		if (v != NULL && v->type == MCJ_OBJECT)
			fuzz_object(v);
		else if (v != NULL && v->type == MCJ_ARRAY && v->u.arr.n == 2)
		{
			bool		status;

			err.message[0] = '\0';
			if (!sl_check_status(arena, v->u.arr.items[0], v->u.arr.items[1],
								 &fuzz_limits, &status, &err) &&
				err.message[0] == '\0')
				abort();
		}
	}
	mcj_arena_destroy(arena);
	return 0;
}
