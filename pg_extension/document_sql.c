/*-------------------------------------------------------------------------
 *
 * document_sql.c
 *	  The Open Badges 3.0 document of an issued credential, built directly
 *	  as an mcj_value from the catalog rows and, when a key is given, signed
 *	  in the same call: microcred._credential_document().
 *
 * The Achievement and the issuer Profile (the large, per-type parts, built
 * in SQL by microcred._achievement and microcred._issuer_profile and kept
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
#include "multibase.h"

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

/* "sha256$" + hex(SHA-256(value || salt)) */
static char *
identity_hash(mcj_arena *arena, const char *value, const char *salt)
{
	size_t		lv = strlen(value),
				ls = strlen(salt);
	char	   *buf = palloc(lv + ls + 1);
	unsigned char h[MCC_SHA256_LEN];
	char	   *hex;
	char	   *out;

	memcpy(buf, value, lv);
	memcpy(buf + lv, salt, ls);
	mcc_sha256(buf, lv + ls, h);
	hex = mb_hex_encode_a(arena, h, sizeof(h));
	out = mcj_alloc(arena, 8 + strlen(hex));
	strcpy(out, "sha256$");
	strcat(out, hex);
	return out;
}

/* an IdentityObject */
static mcj_value *
identity_object(mcj_arena *arena, const char *type, bool hashed, const char *hash, const char *salt)
{
	mcj_value  *o = mcj_object(arena);

	mcj_object_set(arena, o, "type", mcj_cstring(arena, "IdentityObject"));
	mcj_object_set(arena, o, "identityType", mcj_cstring(arena, type));
	mcj_object_set(arena, o, "hashed", mcj_bool(arena, hashed));
	if (salt != NULL)
		mcj_object_set(arena, o, "salt", mcj_cstring(arena, salt));
	mcj_object_set(arena, o, "identityHash", mcj_cstring(arena, hash));
	return o;
}

/* a one-string JSON array */
static mcj_value *
array_of(mcj_arena *arena, const char *s)
{
	mcj_value  *a = mcj_array(arena);

	mcj_array_append(arena, a, mcj_cstring(arena, s));
	return a;
}

/* set key to a string unless it is NULL */
static void
set_str(mcj_arena *arena, mcj_value *o, const char *key, const char *s)
{
	if (s != NULL)
		mcj_object_set(arena, o, key, mcj_cstring(arena, s));
}

PG_FUNCTION_INFO_V1(microcred_credential_document);

/*
 * microcred._credential_document(c issued_credential, t credential_type,
 *     i issuer, l learner, salt text, achievement jsonb, profile jsonb,
 *     key_id uuid DEFAULT NULL, sealed bytea DEFAULT NULL,
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
	char	   *salt;
	PartCacheEntry *parts;
	mcj_arena  *arena;
	mcj_value  *doc,
			   *subject,
			   *identifiers,
			   *ctx,
			   *schema,
			   *rd;
	char	   *s;
	char	   *base_url;
	char	   *cid;
	bool		isnull;
	Datum		d;
	pg_uuid_t  *type_id;

	for (int n = 0; n < 7; n++)
		if (PG_ARGISNULL(n))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the credential document needs every catalog row, a salt and the cached parts")));
	c = PG_GETARG_HEAPTUPLEHEADER(0);
	t = PG_GETARG_HEAPTUPLEHEADER(1);
	i = PG_GETARG_HEAPTUPLEHEADER(2);
	l = PG_GETARG_HEAPTUPLEHEADER(3);
	salt = text_to_cstring(PG_GETARG_TEXT_PP(4));
	type_id = DatumGetUUIDP(attr_required(t, "id"));
	parts = cached_parts(type_id, PG_GETARG_JSONB_P(5), PG_GETARG_JSONB_P(6));
	arena = mc_arena();

	doc = mcj_object(arena);
	ctx = mcj_array(arena);
	mcj_array_append(arena, ctx, mcj_cstring(arena, "https://www.w3.org/ns/credentials/v2"));
	mcj_array_append(arena, ctx, mcj_cstring(arena, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"));
	mcj_object_set(arena, doc, "@context", ctx);

	d = attr_required(c, "id");
	cid = DatumGetCString(DirectFunctionCall1(uuid_out, d));
	base_url = attr_text(i, "base_url");
	s = base_url ? psprintf("%s/credentials/%s", base_url, cid) : psprintf("urn:uuid:%s", cid);
	set_str(arena, doc, "id", s);
	mcj_object_set(arena, doc, "type", mcj_array(arena));
	mcj_array_append(arena, mcj_object_get(doc, "type"), mcj_cstring(arena, "VerifiableCredential"));
	mcj_array_append(arena, mcj_object_get(doc, "type"), mcj_cstring(arena, "OpenBadgeCredential"));
	set_str(arena, doc, "name", attr_text(t, "title"));
	set_str(arena, doc, "description", attr_text(t, "description"));
	mcj_object_set(arena, doc, "issuer", parts->profile);
	set_str(arena, doc, "validFrom", attr_datetime(c, "valid_from"));
	set_str(arena, doc, "validUntil", attr_datetime(c, "valid_until"));
	set_str(arena, doc, "awardedDate", attr_datetime(c, "awarded_date"));

	/* the learner: salted hashes of their identifiers; the name only with consent */
	subject = mcj_object(arena);
	set_str(arena, subject, "id", attr_text(l, "holder_did"));
	mcj_object_set(arena, subject, "type", array_of(arena, "AchievementSubject"));
	identifiers = mcj_array(arena);
	if ((s = attr_text(l, "email")) != NULL)
		mcj_array_append(arena, identifiers,
						 identity_object(arena, "emailAddress", true, identity_hash(arena, s, salt), salt));
	if ((s = attr_text(l, "student_id")) != NULL)
		mcj_array_append(arena, identifiers,
						 identity_object(arena, "sisSourcedId", true, identity_hash(arena, s, salt), salt));
	d = attr(l, "name_in_credential", &isnull);
	if (!isnull && DatumGetBool(d))
	{
		char	   *given = attr_text(l, "given_name");
		char	   *family = attr_text(l, "family_name");
		char	   *name = psprintf("%s%s%s", given ? given : "", given && family ? " " : "", family ? family : "");

		/* identityType "name": Open Badges' own term (IdentifierTypeEnum) */
		mcj_array_append(arena, identifiers, identity_object(arena, "name", false, name, NULL));
	}
	if (identifiers->u.arr.n > 0)
		mcj_object_set(arena, subject, "identifier", identifiers);
	mcj_object_set(arena, subject, "achievement", parts->achievement);
	d = attr(c, "credits_earned", &isnull);
	if (isnull)
		d = attr(t, "ects", &isnull);
	if (!isnull)
		mcj_object_set(arena, subject, "creditsEarned",
					   mcj_number(arena, DatumGetFloat8(DirectFunctionCall1(numeric_float8, d))));
	if ((s = attr_text(c, "grade")) != NULL)
	{
		mcj_value  *results = mcj_array(arena);
		mcj_value  *r = mcj_object(arena);
		const mcj_value *descs = mcj_object_get(parts->achievement, "resultDescription");

		mcj_object_set(arena, r, "type", array_of(arena, "Result"));
		set_str(arena, r, "value", s);
		if (descs && descs->type == MCJ_ARRAY && descs->u.arr.n > 0 &&
			(rd = mcj_object_get(descs->u.arr.items[0], "id")) != NULL)
			mcj_object_set(arena, r, "resultDescription", rd);
		mcj_array_append(arena, results, r);
		mcj_object_set(arena, subject, "result", results);
	}
	mcj_object_set(arena, doc, "credentialSubject", subject);

	d = attr(c, "evidence", &isnull);
	if (!isnull)
		mcj_object_set(arena, doc, "evidence", mc_from_jsonb(arena, DatumGetJsonbP(d), "evidence"));
	/* credentialStatus: the BitstringStatusListEntry objects allocated for it */
	if (PG_NARGS() >= 12 && !PG_ARGISNULL(11))
		mcj_object_set(arena, doc, "credentialStatus", mc_from_jsonb(arena, PG_GETARG_JSONB_P(11), "credential status"));
	schema = mcj_object(arena);
	set_str(arena, schema, "id", "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json");
	set_str(arena, schema, "type", "JsonSchema");
	mcj_object_set(arena, doc, "credentialSchema", mcj_array(arena));
	mcj_array_append(arena, mcj_object_get(doc, "credentialSchema"), schema);

	/* what we issue conforms to Open Badges 3.0 (ob3_check.c) */
	mc_ob3_require(doc);

	/* sign in the same call when a key is given */
	if (PG_NARGS() >= 11 && !PG_ARGISNULL(7) && !PG_ARGISNULL(8) && !PG_ARGISNULL(9) && !PG_ARGISNULL(10))
	{
		pg_uuid_t  *key_id = PG_GETARG_UUID_P(7);
		bytea	   *sealed = PG_GETARG_BYTEA_PP(8);
		char	   *vm = text_to_cstring(PG_GETARG_TEXT_PP(9));
		char	   *suite = text_to_cstring(PG_GETARG_TEXT_PP(10));
		pg_uuid_t  *issuer_id = DatumGetUUIDP(attr_required(i, "id"));

		doc = mc_sign_document(arena, doc, suite, mc_signing_key(key_id, issuer_id, sealed), vm,
							   GetCurrentTransactionStartTimestamp());
	}
	PG_RETURN_JSONB_P(mc_to_jsonb(doc));
}
