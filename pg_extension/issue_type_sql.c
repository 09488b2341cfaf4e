/*-------------------------------------------------------------------------
 *
 * issue_type_sql.c
 *	  What issuing reads about a credential type, read once per backend:
 *	  the type, its issuer, the issuer's active Ed25519 key (id, fragment and
 *	  sealed bytes: never the private key in plaintext), the cached document
 *	  parts, the roles mapped to the issuer, and whether mail or an
 *	  auto-award pathway follows an issue of the type.  Also the references
 *	  'issuer/CODE' callers name types by.
 *
 * Entries stay valid while an issue uses them (see forget_all).
 *
 * Invalidation: every table read here has a statement trigger calling
 * microcred._invalidate_caches() (a relcache invalidation of the table),
 * and an invalidation of one of them (or of every relation) empties this
 * cache; others (an autovacuum ANALYZE of issued_credential) leave it.  The invalidation
 * reaches the backend that made the change at its next command and every
 * other backend when it next accepts invalidations (the start of its next
 * transaction at the latest), the rule the caches of proof_sql.c follow.
 * Learners and existing credentials change with every issue and are never
 * cached here (issue_sql.c reads them per call).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/uuid.h"

#include "mc_sql.h"

static const char *type_sql =
"SELECT t.issuer_id, i.handle || '/' || t.code, t.allow_repeats, t.retired_at IS NOT NULL, t.code,"
"       t.validity_period, coalesce(t.proof_format, i.proof_format), i.base_url, i.public_id,"
"       t.suspendable, t.title, t.description, t.ects::numeric, i.handle,"
"       sk.id, sk.fragment, sk.sealed_private, dp.achievement, dp.profile,"
"       ARRAY(SELECT r.role::oid FROM microcred.issuer_role r WHERE r.issuer_id = t.issuer_id),"
"       EXISTS (SELECT FROM microcred.mail_setting s WHERE s.issuer_id = t.issuer_id AND s.enabled),"
"       EXISTS (SELECT FROM microcred.pathway pw JOIN microcred.pathway_node n ON n.pathway_id = pw.id"
"                WHERE pw.auto_award AND pw.issuer_id = t.issuer_id AND n.credential_type_id = t.id)"
"  FROM microcred.credential_type t JOIN microcred.issuer i ON i.id = t.issuer_id"
"  LEFT JOIN microcred.signing_key sk"
"         ON sk.issuer_id = t.issuer_id AND sk.algorithm = 'Ed25519' AND sk.state = 'active'"
"  LEFT JOIN microcred.document_part dp ON dp.credential_type_id = t.id"
" WHERE t.id = $1";

enum
{
	T_ISSUER = 1, T_REF, T_ALLOW_REPEATS, T_RETIRED, T_CODE, T_VALIDITY, T_PROOF_FORMAT,
	T_BASE_URL, T_PUBLIC_ID, T_SUSPENDABLE, T_TITLE, T_DESCRIPTION, T_ECTS, T_HANDLE,
	T_KEY_ID, T_KEY_FRAGMENT, T_KEY_SEALED, T_ACHIEVEMENT, T_PROFILE, T_ROLES, T_MAIL, T_AWARD
};

typedef struct RefEntry
{
	char		ref[MC_ISSUE_REF_MAX];	/* hash key */
	pg_uuid_t	type_id;
} RefEntry;

static SPIPlanPtr type_plan = NULL;
static SPIPlanPtr resolve_plan = NULL;
static MemoryContext cache_context = NULL;
static HTAB *types = NULL;
static HTAB *refs = NULL;
static bool callback_registered = false;

/* the tables read here: an invalidation of another table leaves the cache */
static const char *const read_tables[] = {
	"credential_type", "issuer", "signing_key", "document_part", "issuer_role",
	"mail_setting", "pathway", "pathway_node"
};
static Oid	read_relids[lengthof(read_tables)];

/*
 * Any relcache invalidation: forget everything (rebuilt on the next issue).
 * An issue running now may still hold entries (an invalidation is processed
 * at the next command of the backend that made it, in the middle of an
 * issue that stored document parts, say): the old entries live on until the
 * end of the transaction, then go with it.
 */
static void
forget_all(Datum arg, Oid relid)
{
	bool		ours = !OidIsValid(relid);

	(void) arg;
	for (int i = 0; i < (int) lengthof(read_relids) && !ours; i++)
		ours = read_relids[i] == relid || !OidIsValid(read_relids[i]);
	if (!ours)
		return;
	if (cache_context != NULL)
	{
		if (IsTransactionState())
			MemoryContextSetParent(cache_context, TopTransactionContext);
		else
			MemoryContextDelete(cache_context);
	}
	cache_context = NULL;
	types = NULL;
	refs = NULL;
}

static void
ensure_cache(void)
{
	HASHCTL		ctl;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(forget_all, (Datum) 0);
		callback_registered = true;
	}
	if (cache_context == NULL)
		cache_context = AllocSetContextCreate(TopMemoryContext, "microcred issue types", ALLOCSET_DEFAULT_SIZES);
	if (types == NULL)
	{
		/* (looked up again with every new cache: a dropped and re-created extension) */
		for (int i = 0; i < (int) lengthof(read_tables); i++)
			read_relids[i] = mc_relid(read_tables[i]);
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(pg_uuid_t);
		ctl.entrysize = sizeof(IssueType);
		ctl.hcxt = cache_context;
		types = hash_create("microcred issue types", 32, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = MC_ISSUE_REF_MAX;
		ctl.entrysize = sizeof(RefEntry);
		ctl.hcxt = cache_context;
		refs = hash_create("microcred type references", 32, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
}

static void
prepare_plans(void)
{
	if (type_plan != NULL)
		return;
	resolve_plan = mc_keep_plan("SELECT microcred._resolve_code('microcred.credential_type', $1)", 1,
								(Oid[]) {TEXTOID});
	type_plan = mc_keep_plan(type_sql, 1, (Oid[]) {UUIDOID});
}

/* a column of the fetched row, copied into the cache */
static char *
text_col(HeapTuple t, TupleDesc d, int c)
{
	bool		isnull;
	Datum		v = SPI_getbinval(t, d, c, &isnull);

	return isnull ? NULL : TextDatumGetCString(v);
}

static bool
bool_col(HeapTuple t, TupleDesc d, int c)
{
	bool		isnull;
	Datum		v = SPI_getbinval(t, d, c, &isnull);

	return !isnull && DatumGetBool(v);
}

/* a by-reference column (uuid, interval, numeric, bytea, jsonb), detoasted and copied */
static void *
copy_col(HeapTuple t, TupleDesc d, int c)
{
	bool		isnull;
	Datum		v = SPI_getbinval(t, d, c, &isnull);
	Form_pg_attribute att = TupleDescAttr(d, c - 1);

	Assert(!att->attbyval);
	if (isnull)
		return NULL;
	if (att->attlen == -1)
		v = PointerGetDatum(PG_DETOAST_DATUM(v));
	return DatumGetPointer(datumCopy(v, false, att->attlen));
}

/* fill e from the row of its type (in the cache's context) */
static void
fill(IssueType *e, HeapTuple t, TupleDesc d)
{
	bool		isnull;
	ArrayType  *roles;
	Datum	   *elems;
	int			n;

	memcpy(&e->issuer, DatumGetUUIDP(SPI_getbinval(t, d, T_ISSUER, &isnull)), sizeof(pg_uuid_t));
	e->ref = text_col(t, d, T_REF);
	e->allow_repeats = bool_col(t, d, T_ALLOW_REPEATS);
	e->retired = bool_col(t, d, T_RETIRED);
	e->code = text_col(t, d, T_CODE);
	e->validity = copy_col(t, d, T_VALIDITY);
	e->proof_format = text_col(t, d, T_PROOF_FORMAT);
	e->base_url = text_col(t, d, T_BASE_URL);
	e->public_id = text_col(t, d, T_PUBLIC_ID);
	e->suspendable = bool_col(t, d, T_SUSPENDABLE);
	e->title = text_col(t, d, T_TITLE);
	e->description = text_col(t, d, T_DESCRIPTION);
	e->ects = copy_col(t, d, T_ECTS);
	e->handle = text_col(t, d, T_HANDLE);
	e->key_id = copy_col(t, d, T_KEY_ID);
	e->key_fragment = text_col(t, d, T_KEY_FRAGMENT);
	e->key_sealed = copy_col(t, d, T_KEY_SEALED);
	e->achievement = copy_col(t, d, T_ACHIEVEMENT);
	e->profile = copy_col(t, d, T_PROFILE);
	roles = DatumGetArrayTypeP(SPI_getbinval(t, d, T_ROLES, &isnull));
	deconstruct_array(roles, OIDOID, sizeof(Oid), true, TYPALIGN_INT, &elems, NULL, &n);
	e->roles = palloc(sizeof(Oid) * (n > 0 ? n : 1));
	for (int i = 0; i < n; i++)
		e->roles[i] = DatumGetObjectId(elems[i]);
	e->n_roles = n;
	e->mail = bool_col(t, d, T_MAIL);
	e->award = bool_col(t, d, T_AWARD);
}

/*
 * The type of this id, or NULL when there is none.  Call inside an SPI
 * connection; the entry stays valid until the next invalidation, so callers
 * copy what they keep across SPI calls that may accept invalidations.
 */
IssueType *
mc_issue_type(const pg_uuid_t *id)
{
	IssueType  *e;
	Datum		arg = UUIDPGetDatum(id);
	int			rc;
	MemoryContext old;
	bool		found;

	prepare_plans();
	ensure_cache();
	e = (IssueType *) hash_search(types, id, HASH_FIND, NULL);
	if (e != NULL)
		return e;
	rc = SPI_execute_plan(type_plan, &arg, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the credential type failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return NULL;
	/* the query may have accepted invalidations that emptied the cache */
	ensure_cache();
	if (hash_get_num_entries(types) >= 1000)
	{
		forget_all((Datum) 0, InvalidOid);
		ensure_cache();
	}
	old = MemoryContextSwitchTo(cache_context);
	e = (IssueType *) hash_search(types, id, HASH_ENTER, &found);
	fill(e, SPI_tuptable->vals[0], SPI_tuptable->tupdesc);
	MemoryContextSwitchTo(old);
	return e;
}

/* the id of a type reference 'issuer/CODE' (or an id), by the resolver's rules and errors */
pg_uuid_t
mc_issue_type_ref(const char *ref)
{
	RefEntry   *r = NULL;
	Datum		arg;
	bool		isnull;
	int			rc;
	pg_uuid_t	id;

	prepare_plans();
	ensure_cache();
	if (ref != NULL && strlen(ref) < MC_ISSUE_REF_MAX)
		r = (RefEntry *) hash_search(refs, ref, HASH_FIND, NULL);
	if (r != NULL)
		return r->type_id;
	arg = ref ? CStringGetTextDatum(ref) : (Datum) 0;
	rc = SPI_execute_plan(resolve_plan, &arg, ref ? " " : "n", false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "resolving the credential type failed: %s", SPI_result_code_string(rc));
	id = *DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (isnull)
		elog(ERROR, "the credential type resolver returned no type");
	ensure_cache();
	if (ref != NULL && strlen(ref) < MC_ISSUE_REF_MAX && hash_get_num_entries(refs) < 10000)
	{
		r = (RefEntry *) hash_search(refs, ref, HASH_ENTER, NULL);
		r->type_id = id;
	}
	return id;
}
