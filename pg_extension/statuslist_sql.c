/*-------------------------------------------------------------------------
 *
 * statuslist_sql.c
 *	  SQL-callable Bitstring Status List functions (core: statuslist.c):
 *	  microcred._status_encode() builds the encodedList of a list from the
 *	  indexes whose bit is set; microcred._status_check() reads the bit of a
 *	  BitstringStatusListEntry in a status list credential;
 *	  microcred._status_bits() sets or clears many bits of a list's stored
 *	  bitstring in one pass and microcred._status_encode_bits() encodes it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "mc_sql.h"
#include "statuslist.h"

PG_FUNCTION_INFO_V1(microcred_status_encode);

/* microcred._status_encode(size integer, set_indexes integer[]) RETURNS text */
Datum
microcred_status_encode(PG_FUNCTION_ARGS)
{
	int32		size;
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	unsigned char *bits;
	mcj_arena  *arena;
	mcj_error	err;
	char	   *encoded;

	/* STRICT in SQL since 0.2; a 0.1 declaration (not yet updated) is not */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	size = PG_GETARG_INT32(0);
	arr = PG_GETARG_ARRAYTYPE_P(1);
	if (size < 131072 || size % 8 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("status list size must be a multiple of 8 and at least 131072, not %d", size)));
	deconstruct_array(arr, INT4OID, 4, true, TYPALIGN_INT, &elems, &nulls, &n);
	bits = palloc0(size / 8);
	for (int i = 0; i < n; i++)
	{
		int32		idx = DatumGetInt32(elems[i]);

		if (nulls[i] || idx < 0 || idx >= size)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("status list index %d is out of range (the list has %d entries)", nulls[i] ? -1 : idx, size)));
		if (!sl_set(bits, (size_t) size, (uint64_t) idx, true, &err))
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s", err.message)));
	}
	arena = mc_arena();
	encoded = sl_encode(arena, bits, (size_t) size, &err);
	if (encoded == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("cannot encode the status list: %s", err.message)));
	PG_RETURN_TEXT_P(cstring_to_text(encoded));
}

/* the size of a status list: a multiple of 8, at least 131072 entries */
static void
check_list_size(int32 size)
{
	if (size < 131072 || size % 8 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("status list size must be a multiple of 8 and at least 131072, not %d", size),
				 errhint("Use the size column of microcred.status_list.")));
}

/*
 * The stored bitstring of a list as a palloc'd copy of size / 8 bytes
 * (NULL: a list none of whose bits was ever set, all zeros).
 */
static unsigned char *
list_bits_copy(bytea *stored, int32 size)
{
	unsigned char *bits = palloc0(size / 8);

	if (stored != NULL)
	{
		if (VARSIZE_ANY_EXHDR(stored) != (Size) (size / 8))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("status list bits have %zu bytes, not the %d of a list of %d entries",
							(size_t) VARSIZE_ANY_EXHDR(stored), size / 8, size),
					 errhint("Rebuild them from the entries: UPDATE microcred.status_list l SET bits = microcred._status_bits(NULL, l.size, "
							 "(SELECT array_agg(e.idx) FROM microcred.status_entry e WHERE e.list_id = l.id AND e.set), true);")));
		memcpy(bits, VARDATA_ANY(stored), size / 8);
	}
	return bits;
}

PG_FUNCTION_INFO_V1(microcred_status_bits);

/*
 * microcred._status_bits(bits bytea, size integer, indexes integer[],
 *                        value boolean) RETURNS bytea
 * The bitstring of a list (size / 8 bytes, index 0 the most significant bit
 * of the first byte, as in the encodedList) with the bits of the given
 * indexes set to value: one pass over the indexes, one copy of the bits.
 * NULL bits are a list with no bit set; NULL indexes change nothing.
 */
Datum
microcred_status_bits(PG_FUNCTION_ARGS)
{
	int32		size;
	bool		value;
	unsigned char *bits;
	bytea	   *result;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("status list size is required"),
				 errhint("Use the size column of microcred.status_list.")));
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the value to give the status bits is required (true sets them, false clears them)")));
	size = PG_GETARG_INT32(1);
	value = PG_GETARG_BOOL(3);
	check_list_size(size);
	bits = list_bits_copy(PG_ARGISNULL(0) ? NULL : PG_GETARG_BYTEA_PP(0), size);
	if (!PG_ARGISNULL(2))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(2);
		Datum	   *elems;
		bool	   *nulls;
		int			n;
		mcj_error	err;

		deconstruct_array(arr, INT4OID, 4, true, TYPALIGN_INT, &elems, &nulls, &n);
		for (int i = 0; i < n; i++)
		{
			int32		idx = nulls[i] ? -1 : DatumGetInt32(elems[i]);

			if (idx < 0 || idx >= size)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("status list index %d is out of range (the list has %d entries)", idx, size)));
			if (!sl_set(bits, (size_t) size, (uint64_t) idx, value, &err))
				ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s", err.message)));
		}
	}
	result = (bytea *) palloc(VARHDRSZ + size / 8);
	SET_VARSIZE(result, VARHDRSZ + size / 8);
	memcpy(VARDATA(result), bits, size / 8);
	pfree(bits);
	PG_RETURN_BYTEA_P(result);
}

PG_FUNCTION_INFO_V1(microcred_status_encode_bits);

/*
 * microcred._status_encode_bits(size integer, bits bytea) RETURNS text
 * The encodedList of a stored bitstring (NULL bits: no bit set); the same
 * text as _status_encode(size, the indexes of the set bits).
 */
Datum
microcred_status_encode_bits(PG_FUNCTION_ARGS)
{
	int32		size;
	unsigned char *bits;
	mcj_error	err;
	char	   *encoded;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	size = PG_GETARG_INT32(0);
	check_list_size(size);
	bits = list_bits_copy(PG_ARGISNULL(1) ? NULL : PG_GETARG_BYTEA_PP(1), size);
	encoded = sl_encode(mc_arena(), bits, (size_t) size, &err);
	if (encoded == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("cannot encode the status list: %s", err.message)));
	PG_RETURN_TEXT_P(cstring_to_text(encoded));
}

PG_FUNCTION_INFO_V1(microcred_status_check);

/*
 * microcred._status_check(entry jsonb, list_credential jsonb,
 *                         OUT is_set boolean, OUT problem text)
 * Problems (a wrong purpose, an index out of range, an encodedList that is
 * not GZIP or too short) are returned, not raised: they are verification
 * results.
 */
Datum
microcred_status_check(PG_FUNCTION_ARGS)
{
	mcj_arena  *arena;
	mcj_value  *entry;
	mcj_value  *list;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	bool		is_set = false;
	mcj_error	err;

	/* STRICT in SQL since 0.2; a 0.1 declaration (not yet updated) is not */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	arena = mc_arena();
	entry = mc_from_jsonb(arena, PG_GETARG_JSONB_P(0), "status entry");
	list = mc_from_jsonb(arena, PG_GETARG_JSONB_P(1), "status list credential");
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	if (sl_check_status(arena, entry, list, NULL, &is_set, &err))
	{
		values[0] = BoolGetDatum(is_set);
		nulls[1] = true;
	}
	else
	{
		nulls[0] = true;
		values[1] = CStringGetTextDatum(err.message);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* one Feistel round: 32 bits of SHA-256(key || round || half) */
static uint32
feistel_round(const unsigned char *key, size_t keylen, int round, uint32 half)
{
	unsigned char buf[64 + 8];
	unsigned char h[MCC_SHA256_LEN];
	size_t		n = Min(keylen, (size_t) 64);

	memcpy(buf, key, n);
	buf[n] = (unsigned char) round;
	buf[n + 1] = (unsigned char) (half >> 24);
	buf[n + 2] = (unsigned char) (half >> 16);
	buf[n + 3] = (unsigned char) (half >> 8);
	buf[n + 4] = (unsigned char) half;
	mcc_sha256(buf, n + 5, h);
	return ((uint32) h[0] << 24) | ((uint32) h[1] << 16) | ((uint32) h[2] << 8) | h[3];
}

PG_FUNCTION_INFO_V1(microcred_status_permute);

/*
 * microcred._status_permute(key bytea, size integer, n bigint) RETURNS integer
 * The n-th index of a list in a keyed pseudo-random order: a 4-round Feistel
 * network over the smallest even number of bits that covers size, with cycle
 * walking, so distinct n < size give distinct indexes in [0, size) and the
 * order reveals nothing about the order of issue.
 */
Datum
microcred_status_permute(PG_FUNCTION_ARGS)
{
	bytea	   *key = PG_GETARG_BYTEA_PP(0);
	int32		size = PG_GETARG_INT32(1);
	int64		n = PG_GETARG_INT64(2);
	int			bits = 2;
	uint32		half_mask;
	uint64		x = (uint64) n;

	if (size <= 0 || n < 0 || n >= size)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("status list position %lld is out of range (the list has %d entries)", (long long) n, size),
				 errhint("Positions run from 0 to the list size minus 1; a full list is closed and a new one started.")));
	while ((1ULL << bits) < (uint64) size)
		bits += 2;
	half_mask = (uint32) ((1ULL << (bits / 2)) - 1);
	do
	{
		uint32		l = (uint32) (x >> (bits / 2)) & half_mask;
		uint32		r = (uint32) x & half_mask;

		for (int round = 0; round < 4; round++)
		{
			uint32		t = r;

			r = l ^ (feistel_round((const unsigned char *) VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key), round, r) & half_mask);
			l = t;
		}
		x = ((uint64) l << (bits / 2)) | r;
	} while (x >= (uint64) size);	/* cycle walking keeps the result in range */
	PG_RETURN_INT32((int32) x);
}
