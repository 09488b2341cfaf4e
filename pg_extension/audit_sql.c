/*-------------------------------------------------------------------------
 *
 * audit_sql.c
 *	  The audit chain in C: the hash of one link (microcred._audit_hash) and
 *	  the append of one link, as issue_sql.c does it for every credential.
 *
 * The hash is the one 50_audit.sql describes, byte for byte:
 *
 *	 SHA-256(prev_hash || UTF-8 of concat_ws(U+001F, issuer, seq,
 *	         at as YYYY-MM-DDTHH:MI:SS.uuuuuuZ in UTC, actor, action,
 *	         subject or '', reason or '', JCS of details))
 *
 * including concat_ws's rule that a NULL field is left out (not written
 * empty), so that audit_verify() judges every stored row as it did when the
 * hash was an SQL function.  tests/t/audit_hash.sh compares the two
 * formulas on ordinary and odd rows.
 *
 * The append takes the issuer's transaction-scoped advisory lock (the same
 * key as microcred._audit and _audit_many: hashtext('microcred.audit'),
 * hashtext(issuer::text)), then reads the last link and inserts the next
 * one in a single statement prepared once per backend.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "mc_sql.h"

#define FIELD_SEP '\x1f'

static SPIPlanPtr link_plan = NULL;

/* append one concat_ws field (NULL: left out, as concat_ws does) */
static void
field(StringInfo s, bool *first, const char *value)
{
	if (value == NULL)
		return;
	if (!*first)
		appendStringInfoChar(s, FIELD_SEP);
	appendStringInfoString(s, value);
	*first = false;
}

/* to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'); NULL when infinite */
static char *
utc_text(TimestampTz at)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(at) || timestamp2tm(at, NULL, &tm, &fsec, NULL, NULL) != 0)
		return NULL;
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
					tm.tm_year > 0 ? tm.tm_year : -(tm.tm_year - 1),
					tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec);
}

static char *
uuid_str(const pg_uuid_t *u)
{
	return u == NULL ? NULL : DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(u)));
}

/*
 * The hash of one link.  Any argument may be NULL (SQL NULL); seq is then
 * passed as NULL through has_seq by the SQL binding only.
 */
static bytea *
audit_hash_fields(const char *issuer, const char *seq, const char *at, const char *actor,
				  const char *action, const char *subject, const char *reason,
				  const char *details_jcs, const bytea *prev_hash)
{
	StringInfoData s;
	bool		first = true;
	char	   *utf8;
	pg_cryptohash_ctx *ctx;
	bytea	   *result;

	initStringInfo(&s);
	field(&s, &first, issuer);
	field(&s, &first, seq);
	field(&s, &first, at);
	field(&s, &first, actor);
	field(&s, &first, action);
	field(&s, &first, subject ? subject : "");
	field(&s, &first, reason ? reason : "");
	field(&s, &first, details_jcs);
	utf8 = (char *) pg_server_to_any(s.data, s.len, PG_UTF8);

	result = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	SET_VARSIZE(result, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	ctx = pg_cryptohash_create(PG_SHA256);
	if (ctx == NULL || pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) VARDATA_ANY(prev_hash), VARSIZE_ANY_EXHDR(prev_hash)) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) utf8, strlen(utf8)) < 0 ||
		pg_cryptohash_final(ctx, (uint8 *) VARDATA(result), PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "could not compute the SHA-256 of an audit link: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
	return result;
}

/* the JCS text of a jsonb value, as microcred.canonicalize(details, 'jcs') */
static char *
details_jcs(Jsonb *details)
{
	mcj_arena  *arena = mc_arena();
	text	   *t = mc_jcs_text(arena, mc_from_jsonb(arena, details, "audit details"), "audit details");

	mcj_arena_destroy(arena);
	return text_to_cstring(t);
}

PG_FUNCTION_INFO_V1(microcred_audit_hash);

/*
 * microcred._audit_hash(issuer_id uuid, seq bigint, at timestamptz, actor name,
 *     action text, subject uuid, reason text, details jsonb, prev_hash bytea)
 * RETURNS bytea: not STRICT, NULLs are treated as the SQL formula treats them.
 */
Datum
microcred_audit_hash(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(8))
		PG_RETURN_NULL();			/* sha256(NULL || ...) */
	PG_RETURN_BYTEA_P(audit_hash_fields(
		PG_ARGISNULL(0) ? NULL : uuid_str(PG_GETARG_UUID_P(0)),
		PG_ARGISNULL(1) ? NULL : psprintf(INT64_FORMAT, PG_GETARG_INT64(1)),
		PG_ARGISNULL(2) ? NULL : utc_text(PG_GETARG_TIMESTAMPTZ(2)),
		PG_ARGISNULL(3) ? NULL : NameStr(*PG_GETARG_NAME(3)),
		PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4)),
		PG_ARGISNULL(5) ? NULL : uuid_str(PG_GETARG_UUID_P(5)),
		PG_ARGISNULL(6) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(6)),
		PG_ARGISNULL(7) ? NULL : details_jcs(PG_GETARG_JSONB_P(7)),
		PG_GETARG_BYTEA_PP(8)));
}

static void
prepare_plans(void)
{
	/* the last link and the new one in one statement: the tail is read after the lock */
	if (link_plan == NULL)
	{
		Oid			t[7] = {UUIDOID, TIMESTAMPTZOID, NAMEOID, TEXTOID, UUIDOID, TEXTOID, JSONBOID};

		link_plan = mc_keep_plan("INSERT INTO microcred.audit_log"
						 " (issuer_id, seq, at, actor, action, subject, reason, details, prev_hash, hash)"
						 " SELECT $1, n.seq, $2, $3, $4, $5, $6, $7, n.prev,"
						 "        microcred._audit_hash($1, n.seq, $2, $3, $4, $5, $6, $7, n.prev)"
						 "   FROM (SELECT coalesce(t.seq, 0) + 1 AS seq,"
						 "                coalesce(t.hash, pg_catalog.sha256(''::bytea)) AS prev"
						 "           FROM (SELECT) one LEFT JOIN LATERAL"
						 "                (SELECT a.seq, a.hash FROM microcred.audit_log a"
						 "                  WHERE a.issuer_id = $1 ORDER BY a.seq DESC LIMIT 1) t ON true) n",
						 7, t);
	}
}

/*
 * Append one link to the issuer's chain, as microcred._audit does (same
 * lock, same clock_timestamp(), same row).  Called inside an SPI connection
 * or outside one.
 */
/* the issuer's audit lock (transaction-scoped): the key microcred._audit and _audit_many take */
void
mc_audit_lock(const pg_uuid_t *issuer)
{
	static int32 lock_class = 0;

	if (lock_class == 0)
		lock_class = mc_hashtext("microcred.audit");
	DirectFunctionCall2(pg_advisory_xact_lock_int4, Int32GetDatum(lock_class),
						Int32GetDatum(mc_hashtext(uuid_str(issuer))));
}

void
mc_audit_append(const pg_uuid_t *issuer, const char *action, const pg_uuid_t *subject,
				const char *reason, Jsonb *details, const char *actor)
{
	Datum		v[7];
	char		nulls[7];
	NameData	actor_name;
	int			rc;

	mc_audit_lock(issuer);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	prepare_plans();
	namestrcpy(&actor_name, actor ? actor : "");
	memset(nulls, ' ', sizeof(nulls));
	v[0] = UUIDPGetDatum(issuer);
	v[1] = TimestampTzGetDatum(GetCurrentTimestamp());	/* clock_timestamp() */
	v[2] = NameGetDatum(&actor_name);
	v[3] = CStringGetTextDatum(action);
	v[4] = subject ? UUIDPGetDatum(subject) : (Datum) 0;
	nulls[4] = subject ? ' ' : 'n';
	v[5] = reason ? CStringGetTextDatum(reason) : (Datum) 0;
	nulls[5] = reason ? ' ' : 'n';
	v[6] = JsonbPGetDatum(details);
	rc = SPI_execute_plan(link_plan, v, nulls, false, 0);
	if (rc != SPI_OK_INSERT || SPI_processed != 1)
		elog(ERROR, "appending to the audit chain failed: %s", SPI_result_code_string(rc));
	SPI_finish();
}
