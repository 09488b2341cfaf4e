/*-------------------------------------------------------------------------
 *
 * proof_sql.c
 *	  SQL-callable signing and verification: Data Integrity proofs and JWT
 *	  envelopes of issued credentials, and microcred.verify() /
 *	  microcred.verify_jwt() for any credential, ours or another issuer's.
 *
 * The cores are di.c (proofs) and vc.c (verification checks, JWT forms);
 * this file converts values, supplies the signing key from the per-backend
 * cache (keys_sql.c), looks registered keys up with SPI, and turns results
 * into microcred.verification rows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "access/htup_details.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "commands/trigger.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/timestamp.h"

#include "di.h"
#include "mc_sql.h"
#include "jws.h"
#include "vc.h"

#define MC_LOOKUP_KEY_MAX 512

/* the RDF canonicalizer for eddsa-rdfc-2022 (rdf_sql.c) */
static di_canon
canon_for_backend(void)
{
	di_canon	c;

	c.rdfc = mc_rdfc_callback();
	c.rdfc_ctx = NULL;
	return c;
}

/* seconds since the epoch of a timestamptz */
static time_t
to_time_t(TimestampTz ts)
{
	return (time_t) timestamptz_to_time_t(ts);
}

/* secure a document with a DataIntegrityProof made with key, or raise */
mcj_value *
mc_sign_document(mcj_arena *arena, mcj_value *unsecured, const char *suite, mcc_key *key,
				 const char *vm, TimestampTz created)
{
	mcj_value  *options;
	mcj_value  *secured;
	mcj_error	err;
	di_canon	canon = canon_for_backend();
	char		ts[32];
	struct tm	tm;
	time_t		t = to_time_t(created);

	if (di_suite_from_name(suite) == DI_SUITE_UNKNOWN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cryptosuite \"%s\" is not supported", suite),
				 errhint("Use 'eddsa-rdfc-2022' or 'eddsa-jcs-2022'.")));
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	options = mcj_object(arena);
	mcj_object_set(arena, options, "type", mcj_cstring(arena, "DataIntegrityProof"));
	mcj_object_set(arena, options, "cryptosuite", mcj_cstring(arena, suite));
	mcj_object_set(arena, options, "created", mcj_cstring(arena, ts));
	mcj_object_set(arena, options, "verificationMethod", mcj_cstring(arena, vm));
	mcj_object_set(arena, options, "proofPurpose", mcj_cstring(arena, "assertionMethod"));

	secured = di_add_proof(arena, &canon, unsecured, options, key, &err);
	if (secured == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot sign the credential with %s: %s", suite, err.message)));
	return secured;
}

PG_FUNCTION_INFO_V1(microcred_sign_di);

/*
 * microcred._sign_di(document jsonb, cryptosuite text, key_id uuid, issuer_id uuid,
 *                    verification_method text, created timestamptz)
 * The key is read by id (keycache_sql.c) and must belong to the issuer.  (The
 * install scripts of 0.1 and 0.2 declare a sealed bytea after issuer_id;
 * until ALTER EXTENSION UPDATE their calls use the sealed bytes given.)
 */
Datum
microcred_sign_di(PG_FUNCTION_ARGS)
{
	Jsonb	   *doc = PG_GETARG_JSONB_P(0);
	char	   *suite = text_to_cstring(PG_GETARG_TEXT_PP(1));
	pg_uuid_t  *key_id = PG_GETARG_UUID_P(2);
	pg_uuid_t  *issuer_id = PG_GETARG_UUID_P(3);
	int			a = PG_NARGS() == 7 ? 5 : 4;	/* 0.1 and 0.2 passed the sealed key fifth */
	char	   *vm = text_to_cstring(PG_GETARG_TEXT_PP(a));
	mcj_arena  *arena = mc_arena();
	mcc_key    *key = a == 5 ? mc_signing_key(key_id, issuer_id, PG_GETARG_BYTEA_PP(4))
		: mc_signing_key_by_id(key_id, issuer_id);

	PG_RETURN_JSONB_P(mc_to_jsonb(mc_sign_document(arena, mc_from_jsonb(arena, doc, "credential"),
												   suite, key, vm, PG_GETARG_TIMESTAMPTZ(a + 1))));
}

PG_FUNCTION_INFO_V1(microcred_sign_jwt);

/*
 * microcred._sign_jwt(document jsonb, form text, key_id uuid, issuer_id uuid,
 *                     alg text, kid text) RETURNS text
 */
Datum
microcred_sign_jwt(PG_FUNCTION_ARGS)
{
	Jsonb	   *doc = PG_GETARG_JSONB_P(0);
	char	   *form = text_to_cstring(PG_GETARG_TEXT_PP(1));
	pg_uuid_t  *key_id = PG_GETARG_UUID_P(2);
	pg_uuid_t  *issuer_id = PG_GETARG_UUID_P(3);
	int			a = PG_NARGS() == 7 ? 5 : 4;	/* 0.1 and 0.2 passed the sealed key fifth */
	char	   *algname = text_to_cstring(PG_GETARG_TEXT_PP(a));
	char	   *kid = text_to_cstring(PG_GETARG_TEXT_PP(a + 1));
	mcj_arena  *arena;
	mcc_key    *key;
	mcc_alg		alg = mcc_alg_from_name(algname, strlen(algname));
	mcj_error	err;
	char	   *token;

	if (strcmp(form, "ob-jwt") != 0 && strcmp(form, "vc-jwt") != 0 && strcmp(form, "jwt") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("JWT form \"%s\" is not supported", form),
				 errhint("Use 'ob-jwt' (Open Badges 3.0), 'vc-jwt' (W3C VC-JOSE) or 'jwt' (the document is the claims set).")));
	key = a == 5 ? mc_signing_key(key_id, issuer_id, PG_GETARG_BYTEA_PP(4))
		: mc_signing_key_by_id(key_id, issuer_id);
	if (!mcc_key_check_alg(key, alg, &err))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key cannot sign %s: %s", algname, err.message)));
	arena = mc_arena();
	if (strcmp(form, "jwt") == 0)
	{
		/* a plain JWT (LTI messages, client assertions): the claims as given */
		mcj_value  *header = mcj_object(arena);
		mcj_buf		buf;

		mcj_object_set(arena, header, "alg", mcj_cstring(arena, mcc_alg_name(alg)));
		mcj_object_set(arena, header, "typ", mcj_cstring(arena, "JWT"));
		mcj_object_set(arena, header, "kid", mcj_cstring(arena, kid));
		mcj_buf_init(&buf, arena, 1024);
		mcj_write(&buf, mc_from_jsonb(arena, doc, "claims"));
		token = jws_sign(arena, key, header, (const unsigned char *) buf.data, buf.len, &err);
	}
	else
		token = vc_sign_jwt(arena, mc_from_jsonb(arena, doc, "credential"),
							strcmp(form, "ob-jwt") == 0, key, alg, kid, &err);
	if (token == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("cannot sign the JWT: %s", err.message)));
	PG_RETURN_TEXT_P(cstring_to_text(token));
}

/* lookup context: the memory context of the verification */
typedef struct lookup_ctx
{
	MemoryContext outer;
} lookup_ctx;

/*
 * Registered keys by (issuer, verification method), cached per backend.  A
 * statement trigger on the key tables sends a relcache invalidation for
 * them (microcred._keys_changed), and any relcache invalidation empties this
 * cache, so a retired or newly trusted key is seen by every backend at the
 * next verification after commit.
 */
typedef struct RegisteredKey
{
	char		name[MC_LOOKUP_KEY_MAX];	/* issuer NUL vm: hash key */
	bool		found;
	bool		retired;
	const char *source;			/* static string */
	mcc_key    *key;			/* owned by the cache */
} RegisteredKey;

static HTAB *registered_keys = NULL;
static bool callback_registered = false;

/* the tables the registered keys come from (microcred._lookup_key), once known */
static Oid	key_relids[3];

/* relcache invalidation of a key table (or of everything): forget every cached key */
static void
registered_keys_reset(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS seq;
	RegisteredKey *e;

	if (registered_keys == NULL)
		return;
	if (OidIsValid(relid) && OidIsValid(key_relids[0]) && OidIsValid(key_relids[1]) &&
		OidIsValid(key_relids[2]) && relid != key_relids[0] && relid != key_relids[1] &&
		relid != key_relids[2])
		return;
	hash_seq_init(&seq, registered_keys);
	while ((e = (RegisteredKey *) hash_seq_search(&seq)) != NULL)
		mcc_key_free(e->key);
	hash_destroy(registered_keys);
	registered_keys = NULL;
}

/* the registered key of (issuer, vm) from SQL, into e */
static void
registered_key_fetch(const char *issuer, const char *vm, RegisteredKey *e)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		args[2];
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare("SELECT public_key, retired, source FROM microcred._lookup_key($1, $2)",
									2, argtypes);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		plan = p;
	}
	args[0] = CStringGetTextDatum(issuer);
	args[1] = CStringGetTextDatum(vm);
	rc = SPI_execute_plan(plan, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "key lookup failed: %s", SPI_result_code_string(rc));
	e->found = false;
	e->key = NULL;
	if (SPI_processed > 0)
	{
		bool		isnull;
		bytea	   *spki = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		char	   *source = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
		mcj_error	err;

		e->found = true;
		e->retired = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		e->source = (source && strstr(source, "trusted")) ? "a trusted key of this issuer" : "a key of this issuer";
		e->key = mcc_key_from_spki_der((const unsigned char *) VARDATA_ANY(spki), VARSIZE_ANY_EXHDR(spki), &err);
		if (e->key == NULL)
			e->found = false;	/* a stored key that does not parse is no key */
	}
	SPI_finish();
}

/* vc_lookup_fn: registered keys (own issuer keys, trusted keys), cached */
static bool
spi_lookup(void *ctxp, mcj_arena *arena, const char *issuer, const char *vm,
		   vc_key_lookup *out, mcj_error *err)
{
	char		name[MC_LOOKUP_KEY_MAX];
	size_t		li,
				lv;
	RegisteredKey *e;
	RegisteredKey fetched;
	bool		found;

	memset(out, 0, sizeof(*out));
	if (issuer == NULL || vm == NULL)
		return true;
	li = strlen(issuer);
	lv = strlen(vm);
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(registered_keys_reset, (Datum) 0);
		callback_registered = true;
	}
	if (li + lv + 2 > MC_LOOKUP_KEY_MAX)
	{
		/* too long to cache: look it up every time */
		registered_key_fetch(issuer, vm, &fetched);
		if (fetched.key)
		{
			MemoryContext old = MemoryContextSwitchTo(((lookup_ctx *) ctxp)->outer);

			mc_key_track(fetched.key);
			MemoryContextSwitchTo(old);
		}
		e = &fetched;
	}
	else
	{
		memset(name, 0, sizeof(name));
		memcpy(name, issuer, li);
		memcpy(name + li + 1, vm, lv);
		e = registered_keys ? (RegisteredKey *) hash_search(registered_keys, name, HASH_FIND, NULL) : NULL;
		if (e == NULL)
		{
			/* SPI may process invalidations and reset the cache: create it after */
			registered_key_fetch(issuer, vm, &fetched);
			if (registered_keys != NULL && hash_get_num_entries(registered_keys) >= 4096)
				registered_keys_reset((Datum) 0, InvalidOid);
			if (registered_keys == NULL)
			{
				HASHCTL		ctl;

				key_relids[0] = mc_relid("signing_key");
				key_relids[1] = mc_relid("trusted_key");
				key_relids[2] = mc_relid("issuer");

				memset(&ctl, 0, sizeof(ctl));
				ctl.keysize = MC_LOOKUP_KEY_MAX;
				ctl.entrysize = sizeof(RegisteredKey);
				registered_keys = hash_create("microcred registered keys", 64, &ctl, HASH_ELEM | HASH_BLOBS);
			}
			e = (RegisteredKey *) hash_search(registered_keys, name, HASH_ENTER, &found);
			if (found)
				mcc_key_free(e->key);
			e->found = fetched.found;
			e->retired = fetched.retired;
			e->source = fetched.source;
			e->key = fetched.key;
		}
	}
	if (e->found)
	{
		out->retired = e->retired;
		out->source = e->source;
		out->key = e->retired ? NULL : e->key;
	}
	return true;
}

PG_FUNCTION_INFO_V1(microcred_invalidate_caches);

/* statement trigger on the key tables: tell every backend to forget cached keys */
Datum
microcred_invalidate_caches(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "microcred._invalidate_caches must be called as a trigger");
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}

/* a verifier for this backend */
static void
init_verifier(vc_verifier *v, lookup_ctx *lctx)
{
	memset(v, 0, sizeof(*v));
	lctx->outer = CurrentMemoryContext;
	v->lookup = spi_lookup;
	v->lookup_ctx = lctx;
	v->canon = canon_for_backend();
	v->now = time(NULL);
	v->leeway_seconds = 60;
}

static const char *
status_name(vc_status s)
{
	switch (s)
	{
		case VC_PASS:
			return "pass";
		case VC_FAIL:
			return "fail";
		case VC_WARN:
			return "warn";
		default:
			return "skip";
	}
}

/* what each attribute of microcred.verification holds */
typedef enum result_att
{
	RA_NULL,					/* dropped, or unknown: NULL */
	RA_VALID,					/* valid (and trusted, of a 0.1 database) */
	RA_CHECKS,
	RA_STATUS,
	RA_FORMAT,
	RA_SUITE,
	RA_ISSUER,
	RA_CREDENTIAL_ID
} result_att;

/* the row type of a verification, worked out once per call site (fn_extra) */
typedef struct result_shape
{
	TupleDesc	tupdesc;		/* blessed, in fn_mcxt */
	int			natts;
	result_att *atts;
} result_shape;

/*
 * The shape of the function's result row.  Attributes are found by name: a
 * 0.1 database (whose type still has "trusted") runs this library until
 * ALTER EXTENSION UPDATE, and there trusted = valid.
 */
static result_shape *
result_shape_of(FunctionCallInfo fcinfo)
{
	result_shape *rs = (result_shape *) fcinfo->flinfo->fn_extra;
	TupleDesc	tupdesc;
	MemoryContext old;

	if (rs != NULL)
		return rs;
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	rs = palloc0(sizeof(result_shape));
	rs->tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
	rs->natts = rs->tupdesc->natts;
	rs->atts = palloc0(sizeof(result_att) * rs->natts);
	MemoryContextSwitchTo(old);
	for (int i = 0; i < rs->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(rs->tupdesc, i);
		const char *name = NameStr(att->attname);

		if (att->attisdropped)
			rs->atts[i] = RA_NULL;
		else if (strcmp(name, "valid") == 0 || strcmp(name, "trusted") == 0)
			rs->atts[i] = RA_VALID;
		else if (strcmp(name, "checks") == 0)
			rs->atts[i] = RA_CHECKS;
		else if (strcmp(name, "credential_status") == 0)
			rs->atts[i] = RA_STATUS;
		else if (strcmp(name, "format") == 0)
			rs->atts[i] = RA_FORMAT;
		else if (strcmp(name, "cryptosuite") == 0)
			rs->atts[i] = RA_SUITE;
		else if (strcmp(name, "issuer") == 0)
			rs->atts[i] = RA_ISSUER;
		else if (strcmp(name, "credential_id") == 0)
			rs->atts[i] = RA_CREDENTIAL_ID;
		else
			rs->atts[i] = RA_NULL;
	}
	fcinfo->flinfo->fn_extra = rs;
	return rs;
}

/*
 * A vc_result as a microcred.verification row.  The credentialStatus
 * entries are returned even for an invalid credential, so the status check
 * can say it did not look at them rather than that there are none.
 */
static Datum
result_datum(FunctionCallInfo fcinfo, mcj_arena *arena, const vc_result *r)
{
	result_shape *rs = result_shape_of(fcinfo);
	Datum	   *values;
	bool	   *nulls;
	const mcj_value *status = r->credential ? mcj_object_get(r->credential, "credentialStatus") : NULL;
	mcj_value  *checks = mcj_array(arena);

	for (int i = 0; i < r->nchecks; i++)
	{
		mcj_value  *c = mcj_object(arena);

		mcj_object_set(arena, c, "check", mcj_cstring(arena, r->checks[i].name));
		mcj_object_set(arena, c, "result", mcj_cstring(arena, status_name(r->checks[i].status)));
		mcj_object_set(arena, c, "reason", mcj_cstring(arena, r->checks[i].reason));
		mcj_array_append(arena, checks, c);
	}
	values = palloc0(sizeof(Datum) * rs->natts);
	nulls = palloc(sizeof(bool) * rs->natts);
	for (int i = 0; i < rs->natts; i++)
	{
		const char *text = NULL;

		nulls[i] = false;
		switch (rs->atts[i])
		{
			case RA_VALID:
				values[i] = BoolGetDatum(r->valid);
				continue;
			case RA_CHECKS:
				values[i] = JsonbPGetDatum(mc_to_jsonb(checks));
				continue;
			case RA_STATUS:
				if (status != NULL)
					values[i] = JsonbPGetDatum(mc_to_jsonb(status));
				else
					nulls[i] = true;
				continue;
			case RA_FORMAT:
				text = r->format;
				break;
			case RA_SUITE:
				text = r->cryptosuite;
				break;
			case RA_ISSUER:
				text = r->issuer;
				break;
			case RA_CREDENTIAL_ID:
				text = r->credential_id;
				break;
			case RA_NULL:
				break;
		}
		if (text != NULL)
			values[i] = CStringGetTextDatum(text);
		else
			nulls[i] = true;
	}
	return HeapTupleGetDatum(heap_form_tuple(rs->tupdesc, values, nulls));
}

/*
 * The controller documents of argument argno (jsonb[], optional): the keys
 * a caller vouches for.  NULL elements are skipped.
 */
static void
controllers_arg(FunctionCallInfo fcinfo, int argno, mcj_arena *arena, vc_verifier *v)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *enulls;
	int			nelems;
	const mcj_value **docs;
	size_t		n = 0;

	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return;
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("controller_documents must be a one-dimensional array")));
	deconstruct_array(arr, JSONBOID, -1, false, TYPALIGN_INT, &elems, &enulls, &nelems);
	if (nelems > 64)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("controller_documents has %d documents; at most 64 are accepted", nelems),
				 errhint("Pass only the controller documents of the issuers concerned.")));
	docs = palloc(sizeof(mcj_value *) * (nelems + 1));
	for (int i = 0; i < nelems; i++)
	{
		Jsonb	   *jb;

		if (enulls[i])
			continue;
		jb = DatumGetJsonbP(elems[i]);
		if (VARSIZE(jb) > MC_JSON_MAX_BYTES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("controller_documents[%d] is larger than 8 MB", i + 1)));
		docs[n++] = mc_from_jsonb(arena, jb, "controller document");
	}
	v->controllers = docs;
	v->ncontrollers = n;
}

/* a result that failed before any check could run */
static void
early_failure(vc_result *r, const char *format, const char *check, const char *reason)
{
	memset(r, 0, sizeof(*r));
	r->format = format;
	vc_add_check(r, check, VC_FAIL, "%s", reason);
	r->valid = false;
}

/* verify a jsonb credential (argument 0) into r */
static void
verify_jsonb_into(FunctionCallInfo fcinfo, mcj_arena *arena, int controllers_argno, vc_result *r)
{
	Jsonb	   *doc = PG_GETARG_JSONB_P(0);
	vc_verifier v;
	lookup_ctx	lctx;

	init_verifier(&v, &lctx);
	controllers_arg(fcinfo, controllers_argno, arena, &v);
	if (VARSIZE(doc) > MC_JSON_MAX_BYTES)
		early_failure(r, "data-integrity", "structure", "the credential is larger than 8 MB");
	else
		vc_verify_di(arena, &v, mc_from_jsonb(arena, doc, "credential"), r);
}

PG_FUNCTION_INFO_V1(microcred_verify_jsonb);

/* microcred._verify_document(credential jsonb [, controller_documents jsonb[]]) */
Datum
microcred_verify_jsonb(PG_FUNCTION_ARGS)
{
	mcj_arena  *arena = mc_arena();
	vc_result	r;

	verify_jsonb_into(fcinfo, arena, 1, &r);
	PG_RETURN_DATUM(result_datum(fcinfo, arena, &r));
}

/* is this text a compact JWS (three base64url parts)? */
static bool
looks_like_jwt(const char *s, size_t len)
{
	size_t		dots = 0;

	for (size_t i = 0; i < len; i++)
	{
		char		c = s[i];

		if (c == '.')
			dots++;
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
				   c == '-' || c == '_'))
			return false;
	}
	return dots >= 1;
}

/* verify a credential given as text (argument 0): strict I-JSON, or a JWT */
static void
verify_text_into(FunctionCallInfo fcinfo, mcj_arena *arena, int controllers_argno, vc_result *r)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	const char *s = VARDATA_ANY(t);
	size_t		len = VARSIZE_ANY_EXHDR(t);
	vc_verifier v;
	lookup_ctx	lctx;

	init_verifier(&v, &lctx);
	controllers_arg(fcinfo, controllers_argno, arena, &v);
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' ' || s[len - 1] == '\r' || s[len - 1] == '\t'))
		len--;
	while (len > 0 && (*s == '\n' || *s == ' ' || *s == '\r' || *s == '\t'))
		s++, len--;
	if (len > MC_JSON_MAX_BYTES)
		early_failure(r, NULL, "structure", "the credential is larger than 8 MB");
	else if (looks_like_jwt(s, len))
		vc_verify_jwt(arena, &v, s, len, r);
	else
	{
		mcj_parse_options opts;
		mcj_error	err;
		mcj_value  *doc;

		memset(&opts, 0, sizeof(opts));
		opts.max_depth = MC_JSON_MAX_DEPTH;
		opts.max_bytes = MC_JSON_MAX_BYTES;
		doc = mcj_parse(arena, s, len, &opts, &err);
		if (doc == NULL)
		{
			char		reason[200];

			snprintf(reason, sizeof(reason), "not valid I-JSON: %s (at byte %zu)", err.message, err.offset);
			early_failure(r, "data-integrity", "structure", reason);
		}
		else
			vc_verify_di(arena, &v, doc, r);
	}
}

PG_FUNCTION_INFO_V1(microcred_verify_text);

/* microcred._verify_text(credential text [, controller_documents jsonb[]]) */
Datum
microcred_verify_text(PG_FUNCTION_ARGS)
{
	mcj_arena  *arena = mc_arena();
	vc_result	r;

	verify_text_into(fcinfo, arena, 1, &r);
	PG_RETURN_DATUM(result_datum(fcinfo, arena, &r));
}

/* verify a JWT (argument 0) into r */
static void
verify_jwt_into(FunctionCallInfo fcinfo, mcj_arena *arena, int controllers_argno, vc_result *r)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	vc_verifier v;
	lookup_ctx	lctx;

	init_verifier(&v, &lctx);
	controllers_arg(fcinfo, controllers_argno, arena, &v);
	if (VARSIZE_ANY_EXHDR(t) > MC_JSON_MAX_BYTES)
		early_failure(r, "jwt", "jwt", "the token is larger than 8 MB");
	else
		vc_verify_jwt(arena, &v, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), r);
}

PG_FUNCTION_INFO_V1(microcred_verify_jwt);

/* microcred._verify_token(token text [, controller_documents jsonb[]]) */
Datum
microcred_verify_jwt(PG_FUNCTION_ARGS)
{
	mcj_arena  *arena = mc_arena();
	vc_result	r;

	verify_jwt_into(fcinfo, arena, 1, &r);
	PG_RETURN_DATUM(result_datum(fcinfo, arena, &r));
}

/*
 * The public verify functions: the proofs, then the status of the
 * credential's credentialStatus entries, our own lists in C
 * (verify_status_sql.c), anything else through microcred._with_status.
 * Arguments: (credential, status_lists jsonb[], controller_documents jsonb[]),
 * the credential required.
 */
typedef void (*verify_into_fn) (FunctionCallInfo fcinfo, mcj_arena *arena, int controllers_argno, vc_result *r);

static Datum
verify_with_status(FunctionCallInfo fcinfo, verify_into_fn into, const char *element)
{
	mcj_arena  *arena;
	vc_result	r;
	Datum		d;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", element),
				 errhint("Pass a value; NULL has no meaning here.")));
	arena = mc_arena();
	into(fcinfo, arena, 2, &r);
	if (mc_status_own(&r))
		return result_datum(fcinfo, arena, &r);
	d = result_datum(fcinfo, arena, &r);
	return mc_with_status_sql(d, result_shape_of(fcinfo)->tupdesc->tdtypeid,
							  PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1), PG_ARGISNULL(1),
							  PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2), PG_ARGISNULL(2));
}

PG_FUNCTION_INFO_V1(microcred_verify_status_jsonb);

/* microcred.verify(credential jsonb, status_lists jsonb[], controller_documents jsonb[]) */
Datum
microcred_verify_status_jsonb(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(verify_with_status(fcinfo, verify_jsonb_into, "credential"));
}

PG_FUNCTION_INFO_V1(microcred_verify_status_text);

/* microcred.verify(credential text, status_lists jsonb[], controller_documents jsonb[]) */
Datum
microcred_verify_status_text(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(verify_with_status(fcinfo, verify_text_into, "credential"));
}

PG_FUNCTION_INFO_V1(microcred_verify_status_jwt);

/* microcred.verify_jwt(token text, status_lists jsonb[], controller_documents jsonb[]) */
Datum
microcred_verify_status_jwt(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(verify_with_status(fcinfo, verify_jwt_into, "token"));
}
