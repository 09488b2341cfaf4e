/*-------------------------------------------------------------------------
 *
 * document_sql.c
 *	  The Open Badges 3.0 document of an issued credential: the catalog rows
 *	  read into the struct of ob3.c (which builds the document, the one home
 *	  of the mapping) and, when a key id is given, signed in the same call
 *	  with the key read and opened in C (keycache_sql.c):
 *	  microcred._credential_document().
 *
 * The Achievement and the issuer Profile (the large, per-type parts, built
 * by ob3.c through microcred._achievement and microcred._issuer_profile
 * (parts_sql.c) and kept
 * in microcred.document_part) are converted once per backend and reused;
 * what this file adds per credential is small: ids, dates, the learner's
 * salted identity hashes, credits, grade and evidence.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/timestamp.h"

#include "di.h"
#include "mc_sql.h"
#include "ob3.h"

/* one converted document part, cached per credential type */
typedef struct PartCacheEntry
{
	pg_uuid_t	type_id;		/* hash key */
	Jsonb	   *achievement_src;	/* copies of the jsonb it was built from */
	Jsonb	   *profile_src;
	mcj_arena  *arena;			/* holds the converted values */
	mcj_value  *achievement;
	mcj_value  *profile;
} PartCacheEntry;

static HTAB *part_cache = NULL;
static MemoryContext part_context = NULL;

/* are two jsonb values byte-identical? */
static bool
jsonb_same(const Jsonb *a, const Jsonb *b)
{
	return VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0;
}

/* the converted achievement and profile of a type, from the cache when unchanged */
static PartCacheEntry *
cached_parts(pg_uuid_t *type_id, Jsonb *achievement, Jsonb *profile)
{
	PartCacheEntry *e;
	bool		found;
	MemoryContext old;

	if (part_cache == NULL)
	{
		HASHCTL		ctl;

		part_context = AllocSetContextCreate(TopMemoryContext, "microcred document parts",
											 ALLOCSET_DEFAULT_SIZES);
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(pg_uuid_t);
		ctl.entrysize = sizeof(PartCacheEntry);
		ctl.hcxt = part_context;
		part_cache = hash_create("microcred document parts", 32, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	e = (PartCacheEntry *) hash_search(part_cache, type_id, HASH_FIND, NULL);
	if (e != NULL && jsonb_same(e->achievement_src, achievement) && jsonb_same(e->profile_src, profile))
		return e;
	if (hash_get_num_entries(part_cache) > 1000)
	{
		/* many types: start over rather than grow without bound */
		MemoryContextReset(part_context);
		part_cache = NULL;
		return cached_parts(type_id, achievement, profile);
	}

	/* build the new entry completely before it becomes visible */
	{
		MemoryContext ctx = AllocSetContextCreate(part_context, "microcred document part",
												  ALLOCSET_SMALL_SIZES);
		mcj_arena  *arena;
		mcj_value  *a;
		mcj_value  *p;
		Jsonb	   *asrc;
		Jsonb	   *psrc;

		old = MemoryContextSwitchTo(ctx);
		arena = mc_arena_in(ctx);
		a = mc_from_jsonb(arena, achievement, "achievement");
		p = mc_from_jsonb(arena, profile, "issuer profile");
		asrc = palloc(VARSIZE(achievement));
		memcpy(asrc, achievement, VARSIZE(achievement));
		psrc = palloc(VARSIZE(profile));
		memcpy(psrc, profile, VARSIZE(profile));
		MemoryContextSwitchTo(old);

		if (e != NULL)
			MemoryContextDelete(GetMemoryChunkContext(e->achievement_src));
		e = (PartCacheEntry *) hash_search(part_cache, type_id, HASH_ENTER, &found);
		e->arena = arena;
		e->achievement = a;
		e->profile = p;
		e->achievement_src = asrc;
		e->profile_src = psrc;
	}
	return e;
}

/* an attribute of a composite argument, or NULL */
static Datum
attr(HeapTupleHeader row, const char *name, bool *isnull)
{
	return GetAttributeByName(row, name, isnull);
}

/* an attribute that must not be NULL (a row built by hand may have NULLs) */
static Datum
attr_required(HeapTupleHeader row, const char *name)
{
	bool		isnull;
	Datum		d = attr(row, name, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the credential document needs the row's \"%s\"", name)));
	return d;
}

/* a text attribute as a C string, or NULL */
static char *
attr_text(HeapTupleHeader row, const char *name)
{
	bool		isnull;
	Datum		d = attr(row, name, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* an xsd:dateTime in UTC of a timestamptz attribute, or NULL */
static char *
attr_datetime(HeapTupleHeader row, const char *name)
{
	bool		isnull;
	Datum		d = attr(row, name, &isnull);
	time_t		t;
	struct tm	tm;
	char	   *buf;

	if (isnull)
		return NULL;
	t = (time_t) timestamptz_to_time_t(DatumGetTimestampTz(d));
	gmtime_r(&t, &tm);
	buf = palloc(32);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/*
 * The unsigned, checked OpenBadgeCredential of oc, with the converted parts of
 * its type (from the cache when the jsonb is unchanged).  issue_sql.c builds
 * its documents here too, so there is one path from rows to a document.
 */
mcj_value *
mc_credential_document_build(mcj_arena *arena, const ob3_credential *oc, pg_uuid_t *type_id,
							 Jsonb *achievement, Jsonb *profile)
{
	PartCacheEntry *parts = cached_parts(type_id, achievement, profile);
	mcj_value  *doc = ob3_credential_document(arena, oc, parts->profile, parts->achievement);

	/* what we issue conforms to Open Badges 3.0 (ob3_check.c) */
	mc_ob3_require(doc);
	return doc;
}

PG_FUNCTION_INFO_V1(microcred_credential_document);

/*
 * microcred._credential_document(c issued_credential, t credential_type,
 *     i issuer, l learner, salt text, achievement jsonb, profile jsonb,
 *     key_id uuid DEFAULT NULL,
 *     verification_method text DEFAULT NULL, cryptosuite text DEFAULT NULL,
 *     credential_status jsonb DEFAULT NULL)
 * The OpenBadgeCredential of an issued credential; signed when a key is given.
 */
Datum
microcred_credential_document(PG_FUNCTION_ARGS)
{
	HeapTupleHeader c,
				t,
				i,
				l;
	mcj_arena  *arena;
	mcj_value  *doc;
	ob3_credential oc;
	bool		isnull;
	Datum		d;
	pg_uuid_t  *type_id;

	/* the argument before verification_method: 0.1 and 0.2 declare sealed bytea after key_id */
	int			k = PG_NARGS() == 12 ? 8 : 7;

	for (int n = 0; n < 7; n++)
		if (PG_ARGISNULL(n))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the credential document needs every catalog row, a salt and the cached parts")));
	c = PG_GETARG_HEAPTUPLEHEADER(0);
	t = PG_GETARG_HEAPTUPLEHEADER(1);
	i = PG_GETARG_HEAPTUPLEHEADER(2);
	l = PG_GETARG_HEAPTUPLEHEADER(3);
	type_id = DatumGetUUIDP(attr_required(t, "id"));
	arena = mc_arena();

	/* the rows into the struct of ob3.c, which builds the document */
	memset(&oc, 0, sizeof(oc));
	oc.id = DatumGetCString(DirectFunctionCall1(uuid_out, attr_required(c, "id")));
	oc.base_url = attr_text(i, "base_url");
	oc.title = attr_text(t, "title");
	oc.description = attr_text(t, "description");
	oc.valid_from = attr_datetime(c, "valid_from");
	oc.valid_until = attr_datetime(c, "valid_until");
	oc.awarded_date = attr_datetime(c, "awarded_date");
	d = attr(c, "credits_earned", &isnull);
	if (isnull)
		d = attr(t, "ects", &isnull);
	oc.has_credits = !isnull;
	if (!isnull)
		oc.credits = DatumGetFloat8(DirectFunctionCall1(numeric_float8, d));
	oc.grade = attr_text(c, "grade");
	d = attr(c, "evidence", &isnull);
	if (!isnull)
		oc.evidence = mc_from_jsonb(arena, DatumGetJsonbP(d), "evidence");
	/* credentialStatus: the BitstringStatusListEntry objects allocated for it */
	if (PG_NARGS() > k + 3 && !PG_ARGISNULL(k + 3))
		oc.status = mc_from_jsonb(arena, PG_GETARG_JSONB_P(k + 3), "credential status");
	oc.salt = text_to_cstring(PG_GETARG_TEXT_PP(4));
	oc.learner.holder_did = attr_text(l, "holder_did");
	oc.learner.email = attr_text(l, "email");
	oc.learner.student_id = attr_text(l, "student_id");
	d = attr(l, "name_in_credential", &isnull);
	oc.learner.name_in_credential = !isnull && DatumGetBool(d);
	oc.learner.given_name = attr_text(l, "given_name");
	oc.learner.family_name = attr_text(l, "family_name");
	doc = mc_credential_document_build(arena, &oc, type_id, PG_GETARG_JSONB_P(5), PG_GETARG_JSONB_P(6));

	/* sign in the same call when a key is given */
	if (PG_NARGS() > k + 2 && !PG_ARGISNULL(7) && !PG_ARGISNULL(k + 1) && !PG_ARGISNULL(k + 2) &&
		(k == 7 || !PG_ARGISNULL(8)))
	{
		pg_uuid_t  *key_id = PG_GETARG_UUID_P(7);
		char	   *vm = text_to_cstring(PG_GETARG_TEXT_PP(k + 1));
		char	   *suite = text_to_cstring(PG_GETARG_TEXT_PP(k + 2));
		pg_uuid_t  *issuer_id = DatumGetUUIDP(attr_required(i, "id"));
		mcc_key    *key = k == 8 ? mc_signing_key(key_id, issuer_id, PG_GETARG_BYTEA_PP(8))
			: mc_signing_key_by_id(key_id, issuer_id);

		doc = mc_sign_document(arena, doc, suite, key, vm, GetCurrentTransactionStartTimestamp());
	}
	PG_RETURN_JSONB_P(mc_to_jsonb(doc));
}
