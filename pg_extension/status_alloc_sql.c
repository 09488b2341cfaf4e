/*-------------------------------------------------------------------------
 *
 * status_alloc_sql.c
 *	  Allocating a credential's status list entry: microcred._allocate_status()
 *	  and the C call issue_sql.c makes for every credential.
 *
 * An unused, unpredictable index in the issuer's open list of the purpose;
 * a new list when 90% of it is taken.  The next position is the list's
 * highest committed position plus one (read in the same statement as the
 * open list), skipping positions that running transactions hold; the index
 * is the keyed permutation of the position (statuslist_sql.c), so it says
 * nothing about the order of issue.  The locking is the one 68_status_list.sql
 * describes (it was PL/pgSQL until 0.3, with the same statements):
 *  - a transaction's first 16 allocations each hold a transaction-scoped
 *    advisory lock on (list, position): a concurrent allocation skips a held
 *    position;
 *  - beyond 16 (set-based issuing) the transaction takes the issuer's audit
 *    lock, which its first audit link holds anyway, and holds each
 *    position's lock only during its insert, so the lock table does not grow
 *    with the set;
 *  - opening or closing a list takes the issuer's audit lock (rare).
 * status_entry is unique on (list, position), so an index is never handed
 * out twice whatever the locks; a lost race is retried.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "access/xact.h"
#include "fmgr.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/uuid.h"

#include "mc_sql.h"

extern Datum microcred_status_permute(PG_FUNCTION_ARGS);

static SPIPlanPtr open_plan = NULL;
static SPIPlanPtr new_plan = NULL;
static SPIPlanPtr close_plan = NULL;
static SPIPlanPtr entry_plan = NULL;

/* allocations made by this transaction (the first 16 lock each position) */
static LocalTransactionId counted_xact = InvalidLocalTransactionId;
static int	allocations = 0;

static void
prepare_plans(void)
{
	if (entry_plan != NULL)
		return;
	open_plan = mc_keep_plan("SELECT sl.id, sl.url, sl.size, sl.permutation_key,"
					 "       (SELECT coalesce(max(e.position), 0) + 1 FROM microcred.status_entry e"
					 "         WHERE e.list_id = sl.id)"
					 "  FROM microcred.status_list sl"
					 " WHERE sl.issuer_id = $1 AND sl.purpose = $2 AND NOT sl.closed", 2,
					 (Oid[]) {UUIDOID, TEXTOID});
	new_plan = mc_keep_plan("SELECT (microcred._new_status_list($1, $2, $3)).id", 3,
					(Oid[]) {UUIDOID, TEXTOID, TEXTOID});
	close_plan = mc_keep_plan("UPDATE microcred.status_list sl SET closed = true WHERE sl.id = $1 AND NOT sl.closed", 1,
					  (Oid[]) {UUIDOID});
	entry_plan = mc_keep_plan("INSERT INTO microcred.status_entry (issuer_id, list_id, idx, credential_id, purpose, position)"
					  " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (list_id, position) DO NOTHING", 6,
					  (Oid[]) {UUIDOID, UUIDOID, INT4OID, UUIDOID, TEXTOID, INT4OID});
}

static bool
try_lock(int32 lk, int32 n, bool bulk)
{
	return DatumGetBool(bulk
						? DirectFunctionCall2(pg_try_advisory_lock_int4, Int32GetDatum(lk), Int32GetDatum(n))
						: DirectFunctionCall2(pg_try_advisory_xact_lock_int4, Int32GetDatum(lk), Int32GetDatum(n)));
}

/* the open list of the purpose: false when there is none */
typedef struct OpenList
{
	pg_uuid_t	id;
	char	   *url;
	int32		size;
	Datum		key;			/* bytea */
	int64		next;			/* highest committed position + 1 */
} OpenList;

/*
 * A set-based transaction (it holds the issuer's audit lock, so no other
 * set-based allocation for the issuer runs) remembers its open list and the
 * position after its last one, per purpose, and skips reading them again.
 * The memo is kept only within one (sub)transaction: a rolled-back
 * savepoint may have removed the list it names.  A position someone else
 * committed meanwhile is a conflict of the insert, after which the list is
 * read again.
 */
typedef struct ListMemo
{
	LocalTransactionId lxid;
	SubTransactionId subid;
	pg_uuid_t	issuer;
	OpenList	l;				/* url and key in TopTransactionContext */
} ListMemo;

static ListMemo memos[2];		/* revocation, suspension */

static ListMemo *
memo_for(const pg_uuid_t *issuer, const char *purpose)
{
	ListMemo   *m = &memos[strcmp(purpose, "revocation") == 0 ? 0 : 1];

	if (m->lxid == MyProc->lxid && m->subid == GetCurrentSubTransactionId() &&
		memcmp(&m->issuer, issuer, sizeof(pg_uuid_t)) == 0)
		return m;
	return NULL;
}

static void
memo_keep(const pg_uuid_t *issuer, const char *purpose, const OpenList *l, int64 next)
{
	ListMemo   *m = &memos[strcmp(purpose, "revocation") == 0 ? 0 : 1];
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

	if (m->lxid != MyProc->lxid || m->subid != GetCurrentSubTransactionId() ||
		memcmp(&m->issuer, issuer, sizeof(pg_uuid_t)) != 0 || memcmp(&m->l.id, &l->id, sizeof(pg_uuid_t)) != 0)
	{
		m->l = *l;
		m->l.url = pstrdup(l->url);
		m->l.key = PointerGetDatum(DatumGetByteaPCopy(l->key));
	}
	MemoryContextSwitchTo(old);
	m->lxid = MyProc->lxid;
	m->subid = GetCurrentSubTransactionId();
	m->issuer = *issuer;
	m->l.next = next;
}

static void
memo_forget(const char *purpose)
{
	memos[strcmp(purpose, "revocation") == 0 ? 0 : 1].lxid = InvalidLocalTransactionId;
}

static bool
open_list(const pg_uuid_t *issuer, const char *purpose, OpenList *l)
{
	Datum		v[2] = {UUIDPGetDatum(issuer), CStringGetTextDatum(purpose)};
	bool		isnull;
	int			rc = SPI_execute_plan(open_plan, v, NULL, false, 1);
	HeapTuple	t;
	TupleDesc	d;

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the open status list failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return false;
	t = SPI_tuptable->vals[0];
	d = SPI_tuptable->tupdesc;
	memcpy(&l->id, DatumGetUUIDP(SPI_getbinval(t, d, 1, &isnull)), sizeof(pg_uuid_t));
	l->url = TextDatumGetCString(SPI_getbinval(t, d, 2, &isnull));
	l->size = DatumGetInt32(SPI_getbinval(t, d, 3, &isnull));
	l->key = SPI_getbinval(t, d, 4, &isnull);
	l->next = DatumGetInt64(SPI_getbinval(t, d, 5, &isnull));
	return true;
}

static void
run(SPIPlanPtr plan, Datum *v, const char *nulls, int expect, const char *what)
{
	int			rc = SPI_execute_plan(plan, v, nulls, false, 0);

	if (rc != expect)
		elog(ERROR, "%s failed: %s", what, SPI_result_code_string(rc));
}

/*
 * Insert the entry at position n; false when a transaction that committed
 * after max() was read took it.  A bulk allocation's session-level position
 * lock is released whatever happens.
 */
static bool
insert_entry(const pg_uuid_t *issuer, const pg_uuid_t *list, int32 idx, const pg_uuid_t *credential,
			 const char *purpose, int32 lk, int32 n, bool bulk)
{
	Datum		v[6] = {UUIDPGetDatum(issuer), UUIDPGetDatum(list), Int32GetDatum(idx),
	UUIDPGetDatum(credential), CStringGetTextDatum(purpose), Int32GetDatum(n)};

	if (!bulk)
	{
		run(entry_plan, v, NULL, SPI_OK_INSERT, "storing the status entry");
		return SPI_processed == 1;
	}
	PG_TRY();
	{
		run(entry_plan, v, NULL, SPI_OK_INSERT, "storing the status entry");
	}
	PG_CATCH();
	{
		DirectFunctionCall2(pg_advisory_unlock_int4, Int32GetDatum(lk), Int32GetDatum(n));
		PG_RE_THROW();
	}
	PG_END_TRY();
	DirectFunctionCall2(pg_advisory_unlock_int4, Int32GetDatum(lk), Int32GetDatum(n));
	return SPI_processed == 1;
}

/*
 * Allocate the entry of (credential, purpose); returns its
 * BitstringStatusListEntry.  Runs in its own SPI connection.
 */
mcj_value *
mc_allocate_status(mcj_arena *arena, const pg_uuid_t *issuer, const char *base_url,
				   const pg_uuid_t *credential, const char *purpose)
{
	bool		bulk;
	OpenList	l;
	int64		n;
	int32		idx;
	int32		lk;
	bool		done = false;
	mcj_value  *entry;

	if (counted_xact != MyProc->lxid)
	{
		counted_xact = MyProc->lxid;
		allocations = 0;
	}
	bulk = allocations >= 16;
	allocations++;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	prepare_plans();
	if (bulk)
		mc_audit_lock(issuer);
	while (!done)
	{
		ListMemo   *m = bulk ? memo_for(issuer, purpose) : NULL;

		if (m != NULL)
			l = m->l;
		else if (!open_list(issuer, purpose, &l))
		{
			mc_audit_lock(issuer);
			if (!open_list(issuer, purpose, &l))
			{
				Datum		v[3] = {UUIDPGetDatum(issuer), base_url ? CStringGetTextDatum(base_url) : (Datum) 0,
				CStringGetTextDatum(purpose)};

				run(new_plan, v, base_url ? "   " : " n ", SPI_OK_SELECT, "opening a status list");
				if (!open_list(issuer, purpose, &l))
					elog(ERROR, "the new status list of issuer %s is not open",
						 DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(issuer))));
			}
		}
		lk = mc_hashtext(psprintf("microcred.status:%s",
								  DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&l.id)))));
		/* the first position from next on that no running allocation holds */
		n = l.next;
		while (n * 10 <= (int64) l.size * 9 && !try_lock(lk, (int32) n, bulk))
			n++;
		if (n * 10 > (int64) l.size * 9)
		{
			Datum		v[1] = {UUIDPGetDatum(&l.id)};

			mc_audit_lock(issuer);
			run(close_plan, v, NULL, SPI_OK_UPDATE, "closing a full status list");
			memo_forget(purpose);
			continue;
		}
		idx = DatumGetInt32(DirectFunctionCall3(microcred_status_permute, l.key, Int32GetDatum(l.size),
												Int64GetDatum(n - 1)));
		done = insert_entry(issuer, &l.id, idx, credential, purpose, lk, (int32) n, bulk);
		if (done && bulk)
			memo_keep(issuer, purpose, &l, n + 1);
		else if (!done)
			memo_forget(purpose);
	}
	/* (the list's url lives in SPI memory: build the entry before leaving) */
	entry = mcj_object(arena);
	mcj_object_set(arena, entry, "id", mcj_cstring(arena, psprintf("%s#%d", l.url, idx)));
	mcj_object_set(arena, entry, "type", mcj_cstring(arena, "BitstringStatusListEntry"));
	mcj_object_set(arena, entry, "statusPurpose", mcj_cstring(arena, purpose));
	mcj_object_set(arena, entry, "statusListIndex", mcj_cstring(arena, psprintf("%d", idx)));
	mcj_object_set(arena, entry, "statusListCredential", mcj_cstring(arena, l.url));
	SPI_finish();
	return entry;
}

PG_FUNCTION_INFO_V1(microcred_allocate_status);

/*
 * microcred._allocate_status(issuer uuid, base_url text, credential uuid,
 *     purpose text) RETURNS jsonb
 */
Datum
microcred_allocate_status(PG_FUNCTION_ARGS)
{
	mcj_arena  *arena;
	Jsonb	   *result;
	char	   *purpose;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a status entry needs an issuer, a credential and a purpose")));
	purpose = text_to_cstring(PG_GETARG_TEXT_PP(3));
	if (strcmp(purpose, "revocation") != 0 && strcmp(purpose, "suspension") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("status purpose \"%s\" is not supported", purpose),
				 errhint("Use 'revocation' or 'suspension'.")));
	arena = mc_arena();
	result = mc_to_jsonb(mc_allocate_status(arena, PG_GETARG_UUID_P(0),
											PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1)),
											PG_GETARG_UUID_P(2), purpose));
	mcj_arena_destroy(arena);
	PG_RETURN_JSONB_P(result);
}
