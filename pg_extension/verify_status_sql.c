/*-------------------------------------------------------------------------
 *
 * verify_status_sql.c
 *	  The status check of microcred.verify() for our own Bitstring Status
 *	  Lists, in C: one index lookup per credentialStatus entry.
 *
 * microcred._with_status (82_verify.sql) is the specification and stays the
 * path for everything but the common case.  Here, a credentialStatus whose
 * every entry is a BitstringStatusListEntry of one of our lists, with a
 * statusListIndex of 1 to 9 digits, a statusPurpose and the credential's
 * issuer (by its current id) as the list's issuer, is checked with the same
 * checks, reasons and order as _with_status writes them; anything else (a
 * foreign list, another status method, a former did:web id, an odd shape)
 * returns false and the caller runs _with_status unchanged.
 *
 * Per backend, our lists are cached by URL (id, issuer, purpose, size and
 * the issuer's public id): none of these change once a list exists.  The
 * cache is emptied by a relcache invalidation of status_list, issuer or
 * status_entry (or of everything), which the statement triggers
 * status_list_changed (UPDATE OF url, issuer_id, purpose, size, DELETE,
 * TRUNCATE) and issuer_changed send; URLs that are not ours are not cached.  The bit itself is never cached: status_entry is read through its
 * primary key (list_id, idx) with the snapshot a VOLATILE SQL statement
 * would take (a new command id, so verify(document(issue(...))) in one
 * statement sees the entry issue wrote).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/uuid.h"

#include "mc_sql.h"
#include "vc.h"

#define OWN_URL_MAX		256		/* longer URLs are not cached (never ours) */
#define OWN_ISSUER_MAX	512
#define OWN_ENTRIES_MAX 8		/* more entries: _with_status */

/* one of our status lists */
typedef struct OwnList
{
	char		url[OWN_URL_MAX];	/* hash key */
	pg_uuid_t	id;
	bool		revocation;		/* purpose: revocation, else suspension */
	int32		size;
	char		issuer[OWN_ISSUER_MAX]; /* the public id of the list's issuer */
} OwnList;

/* what the catalog lookup of status_entry needs, looked up once */
typedef struct EntryRel
{
	Oid			relid;
	Oid			pkey;
	AttrNumber	list_id;
	AttrNumber	idx;
	AttrNumber	set;
	AttrNumber	purpose;
} EntryRel;

static HTAB *own_lists = NULL;
static EntryRel entry_rel;
static bool callback_registered = false;
static Oid	list_relids[2];		/* status_list and issuer, once known */

/* relcache invalidation of what the cache holds (or of everything): forget it */
static void
own_lists_reset(Datum arg, Oid relid)
{
	if (OidIsValid(relid) && OidIsValid(list_relids[0]) && OidIsValid(list_relids[1]) &&
		OidIsValid(entry_rel.relid) && relid != list_relids[0] && relid != list_relids[1] &&
		relid != entry_rel.relid)
		return;
	if (own_lists != NULL)
		hash_destroy(own_lists);
	own_lists = NULL;
	entry_rel.relid = InvalidOid;
}

/* our list with this URL, from the cache or one SPI lookup; NULL when not ours */
static OwnList *
own_list(const char *url)
{
	static SPIPlanPtr plan = NULL;
	OwnList		fetched;
	OwnList    *e;
	Datum		arg;
	bool		isnull;
	bool		found = false;
	char	   *s;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(own_lists_reset, (Datum) 0);
		callback_registered = true;
	}
	if (strlen(url) >= OWN_URL_MAX)
		return NULL;
	if (own_lists != NULL && (e = hash_search(own_lists, url, HASH_FIND, NULL)) != NULL)
		return e;

	memset(&fetched, 0, sizeof(fetched));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (plan == NULL)
	{
		Oid			argtypes[1] = {TEXTOID};
		SPIPlanPtr	p = SPI_prepare("SELECT sl.id, sl.purpose = 'revocation', sl.size, i.public_id"
									" FROM microcred.status_list sl JOIN microcred.issuer i ON i.id = sl.issuer_id"
									" WHERE sl.url = $1", 1, argtypes);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		plan = p;
	}
	arg = CStringGetTextDatum(url);
	if (SPI_execute_plan(plan, &arg, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "status list lookup failed");
	if (SPI_processed > 0)
	{
		HeapTuple	t = SPI_tuptable->vals[0];
		TupleDesc	d = SPI_tuptable->tupdesc;

		fetched.id = *DatumGetUUIDP(SPI_getbinval(t, d, 1, &isnull));
		fetched.revocation = DatumGetBool(SPI_getbinval(t, d, 2, &isnull));
		fetched.size = DatumGetInt32(SPI_getbinval(t, d, 3, &isnull));
		s = SPI_getvalue(t, d, 4);
		if (s != NULL && strlen(s) < OWN_ISSUER_MAX)
		{
			strcpy(fetched.issuer, s);
			found = true;
		}
	}
	SPI_finish();
	if (!found)
		return NULL;
	/* SPI may have processed invalidations and reset the cache: create it after */
	if (own_lists != NULL && hash_get_num_entries(own_lists) >= 1024)
		own_lists_reset((Datum) 0, InvalidOid);
	if (own_lists == NULL)
	{
		HASHCTL		ctl;

		list_relids[0] = mc_relid("status_list");
		list_relids[1] = mc_relid("issuer");

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = OWN_URL_MAX;
		ctl.entrysize = sizeof(OwnList);
		own_lists = hash_create("microcred status lists", 16, &ctl, HASH_ELEM | HASH_STRINGS);
	}
	strcpy(fetched.url, url);
	e = hash_search(own_lists, url, HASH_ENTER, NULL);
	memcpy(e, &fetched, sizeof(fetched));
	return e;
}

/* the relation, primary key and attribute numbers of microcred.status_entry */
static const EntryRel *
status_entry_rel(void)
{
	Oid			nsp;
	Relation	rel;

	if (OidIsValid(entry_rel.relid))
		return &entry_rel;
	nsp = get_namespace_oid("microcred", false);
	entry_rel.relid = get_relname_relid("status_entry", nsp);
	if (!OidIsValid(entry_rel.relid))
		elog(ERROR, "relation microcred.status_entry does not exist");
	rel = table_open(entry_rel.relid, AccessShareLock);
	entry_rel.pkey = RelationGetPrimaryKeyIndex(rel);
	table_close(rel, AccessShareLock);
	entry_rel.list_id = get_attnum(entry_rel.relid, "list_id");
	entry_rel.idx = get_attnum(entry_rel.relid, "idx");
	entry_rel.set = get_attnum(entry_rel.relid, "set");
	entry_rel.purpose = get_attnum(entry_rel.relid, "purpose");
	if (!OidIsValid(entry_rel.pkey) || entry_rel.list_id == InvalidAttrNumber ||
		entry_rel.idx == InvalidAttrNumber || entry_rel.set == InvalidAttrNumber ||
		entry_rel.purpose == InvalidAttrNumber)
	{
		entry_rel.relid = InvalidOid;
		elog(ERROR, "microcred.status_entry does not have the expected layout");
	}
	return &entry_rel;
}

/*
 * The entry (list_id, idx): whether it exists, its bit and its purpose
 * (into purpose, NUL-terminated, truncated to cap).  One primary key lookup.
 */
static bool
entry_lookup(const pg_uuid_t *list_id, int32 idx, bool *set, char *purpose, size_t cap)
{
	EntryRel	er = *status_entry_rel();
	Relation	rel;
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found = false;

	/* what SPI does for a statement of a VOLATILE function */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	rel = table_open(er.relid, AccessShareLock);
	ScanKeyInit(&key[0], er.list_id, BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(list_id));
	ScanKeyInit(&key[1], er.idx, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(idx));
	scan = systable_beginscan(rel, er.pkey, true, GetActiveSnapshot(), 2, key);
	if ((tup = systable_getnext(scan)) != NULL)
	{
		TupleDesc	d = RelationGetDescr(rel);
		bool		isnull;
		Datum		p;

		found = true;
		*set = DatumGetBool(heap_getattr(tup, er.set, d, &isnull)) && !isnull;
		p = heap_getattr(tup, er.purpose, d, &isnull);
		if (isnull)
			purpose[0] = '\0';
		else
			text_to_cstring_buffer(DatumGetTextPP(p), purpose, cap);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	PopActiveSnapshot();
	return found;
}

/* the string member key of obj without U+0000, or NULL */
static const char *
plain_string(const mcj_value *obj, const char *key)
{
	const mcj_value *v = mcj_object_get(obj, key);

	if (v == NULL || v->type != MCJ_STRING || strlen(v->u.str.s) != v->u.str.len)
		return NULL;
	return v->u.str.s;
}

/* one entry, as _with_status reads it */
typedef struct own_entry
{
	const char *url;
	const char *purpose;
	const char *index_text;		/* statusListIndex as written */
	int32		idx;
	OwnList    *list;
} own_entry;

/* the entry's fields if it has the shape the C path checks */
static bool
entry_shape(const mcj_value *e, own_entry *out)
{
	const char *s;
	size_t		n;

	if (e == NULL || e->type != MCJ_OBJECT)
		return false;
	s = plain_string(e, "type");
	if (s == NULL || strcmp(s, "BitstringStatusListEntry") != 0)
		return false;
	out->url = plain_string(e, "statusListCredential");
	out->purpose = plain_string(e, "statusPurpose");
	out->index_text = plain_string(e, "statusListIndex");
	if (out->url == NULL || out->purpose == NULL || out->index_text == NULL)
		return false;
	/* ^[0-9]{1,9}$, as _with_status requires */
	n = strlen(out->index_text);
	if (n < 1 || n > 9 || strspn(out->index_text, "0123456789") != n)
		return false;
	out->idx = (int32) strtol(out->index_text, NULL, 10);
	return true;
}

/*
 * Add the status checks of r's credentialStatus when _with_status would
 * only look at our own lists; false (r untouched) when the caller must run
 * _with_status instead.
 */
bool
mc_status_own(vc_result *r)
{
	const mcj_value *status = r->credential ? mcj_object_get(r->credential, "credentialStatus") : NULL;
	own_entry	entries[OWN_ENTRIES_MAX];
	size_t		n;

	if (status == NULL)
	{
		vc_add_check(r, "status", VC_SKIP, "the credential has no credentialStatus");
		return true;
	}
	n = status->type == MCJ_ARRAY ? status->u.arr.n : 1;
	if (!r->valid)
	{
		/* what a credential that failed says about its own status is not worth reading */
		vc_add_check(r, "status", VC_SKIP, "%zu credentialStatus %s not checked: the credential already failed verification",
					 n, status->type == MCJ_ARRAY && n != 1 ? "entries were" : "entry was");
		return true;
	}
	if (n > OWN_ENTRIES_MAX || r->nchecks + (int) n > VC_MAX_CHECKS || r->issuer == NULL)
		return false;
	/* first every entry must be ours, so that nothing is added otherwise */
	for (size_t i = 0; i < n; i++)
	{
		own_entry  *e = &entries[i];

		if (!entry_shape(status->type == MCJ_ARRAY ? status->u.arr.items[i] : status, e))
			return false;
		e->list = own_list(e->url);
		/* not ours, or the issuer by another of its ids: _with_status */
		if (e->list == NULL || strcmp(e->list->issuer, r->issuer) != 0)
			return false;
	}
	for (size_t i = 0; i < n; i++)
	{
		own_entry  *e = &entries[i];
		const char *list_purpose = e->list->revocation ? "revocation" : "suspension";
		const char *done = strcmp(e->purpose, "revocation") == 0 ? "revoked" : "suspended";
		char		entry_purpose[32];
		bool		set = false;

		if (e->idx >= e->list->size)
			vc_add_check(r, "status", VC_FAIL, "status list index %s is out of range for %s (%d entries)",
						 e->index_text, e->url, e->list->size);
		else if (!entry_lookup(&e->list->id, e->idx, &set, entry_purpose, sizeof(entry_purpose)) ||
				 strcmp(entry_purpose, e->purpose) != 0 || strcmp(list_purpose, e->purpose) != 0)
			vc_add_check(r, "status", VC_FAIL, "%s entry %d of %s was not issued by this list",
						 e->purpose, e->idx, e->url);
		else if (set)
			vc_add_check(r, "status", VC_FAIL, "%s: bit %d of %s is set", done, e->idx, e->url);
		else
			vc_add_check(r, "status", VC_PASS, "not %s (bit %d of %s)", done, e->idx, e->url);
	}
	return true;
}

/*
 * _with_status(verification, status_lists, controller_documents) through one
 * prepared plan: the path for what mc_status_own does not check.
 */
Datum
mc_with_status_sql(Datum verification, Oid verification_type, Datum status_lists, bool lists_null,
				   Datum controllers, bool controllers_null)
{
	static SPIPlanPtr plan = NULL;
	static Oid	plan_type = InvalidOid;
	Datum		args[3];
	char		nulls[3] = {' ', lists_null ? 'n' : ' ', controllers_null ? 'n' : ' '};
	bool		isnull;
	Datum		result;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (plan == NULL || plan_type != verification_type)
	{
		Oid			argtypes[3] = {verification_type, JSONBARRAYOID, JSONBARRAYOID};
		SPIPlanPtr	p = SPI_prepare("SELECT microcred._with_status($1, $2, $3)", 3, argtypes);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		if (plan != NULL)
			SPI_freeplan(plan);
		plan = p;
		plan_type = verification_type;
	}
	args[0] = verification;
	args[1] = status_lists;
	args[2] = controllers;
	if (SPI_execute_plan(plan, args, nulls, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "status check failed");
	result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		elog(ERROR, "status check returned NULL");
	result = SPI_datumTransfer(result, false, -1);
	SPI_finish();
	return result;
}
