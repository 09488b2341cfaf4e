/*-------------------------------------------------------------------------
 *
 * rdf_sql.c
 *	  RDF canonicalization inside the backend: JSON-LD 1.1 to RDF (safe mode)
 *	  over the context documents of microcred.jsonld_context, then RDFC-1.0;
 *	  the canonicalizer of eddsa-rdfc-2022 and of the 'rdfc-1.0' algorithm
 *	  of microcred.canonicalize() (the SQL functions are in canon_sql.c).
 *
 * Processed contexts are expensive and the same for every credential, so
 * the JSON-LD cache (jsonld.c) lives for the whole backend.  Context
 * documents come from the table through SPI, only for URLs it has; any
 * other URL is an error naming it.  A change to the table sends a relcache
 * invalidation (microcred._invalidate_caches); the cache is then dropped,
 * but only between two canonicalizations, never in the middle of one
 * (the loader itself runs SPI, which may process invalidations).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/inval.h"

#include "jsonld.h"
#include "mc_sql.h"
#include "rdf.h"

static MemoryContext jsonld_context = NULL;	/* holds the cache and its arena */
static jsonld_cache *cache = NULL;
static bool cache_stale = false;
static bool callback_registered = false;
static int	cache_users = 0;		/* canonicalizations under way */
static Oid	context_relid = InvalidOid; /* microcred.jsonld_context, once known */

/*
 * relcache invalidation of the context table (or of everything): drop the
 * cache when nobody is using it.  Other tables' invalidations (an ANALYZE
 * of issued_credential) do not concern it: rebuilding costs tens of
 * milliseconds, some hundred canonicalizations.
 */
static void
contexts_changed(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || !OidIsValid(context_relid) || relid == context_relid)
		cache_stale = true;
}

/* jsonld_load_fn: a registered context document by exact URL */
static const mcj_value *
load_context(void *ctx, const char *url, mcj_arena *arena, mcj_error *err)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	int			rc;
	const mcj_value *doc = NULL;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare("SELECT microcred._context_document($1)", 1, argtypes);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		plan = p;
	}
	args[0] = CStringGetTextDatum(url);
	rc = SPI_execute_plan(plan, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "context lookup failed: %s", SPI_result_code_string(rc));
	if (SPI_processed > 0)
	{
		char	   *text = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		if (text != NULL)
			doc = mcj_parse(arena, text, strlen(text), NULL, err);
		else
			snprintf(err->message, sizeof(err->message),
					 "unknown context URL %.120s: register it with microcred.register_context()", url);
	}
	SPI_finish();
	return doc;
}

/* the backend's JSON-LD cache, rebuilt if the context table changed */
static jsonld_cache *
backend_cache(void)
{
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(contexts_changed, (Datum) 0);
		callback_registered = true;
	}
	if (cache_stale && cache_users == 0)
	{
		if (jsonld_context != NULL)
			MemoryContextDelete(jsonld_context);
		jsonld_context = NULL;
		cache = NULL;
		cache_stale = false;
	}
	if (cache == NULL)
	{
		context_relid = mc_relid("jsonld_context");
		jsonld_context = AllocSetContextCreate(TopMemoryContext, "microcred JSON-LD contexts",
											   ALLOCSET_DEFAULT_SIZES);
		cache = jsonld_cache_create(mc_arena_in(jsonld_context), load_context, NULL, 0);
	}
	return cache;
}

/* JSON-LD to RDF in safe mode, or an error with the JSON-LD error code */
bool
mc_rdf_dataset(mcj_arena *arena, const mcj_value *doc, rdf_dataset *ds, mcj_error *err)
{
	jsonld_options opts;
	jsonld_error jerr;
	volatile bool ok = false;
	jsonld_cache *c = backend_cache();

	memset(&opts, 0, sizeof(opts));
	opts.safe_mode = true;
	rdf_dataset_init(ds, arena);
	cache_users++;
	PG_TRY();
	{
		ok = jsonld_to_rdf(c, &opts, arena, doc, ds, &jerr);
	}
	PG_FINALLY();
	{
		cache_users--;
	}
	PG_END_TRY();
	if (!ok)
		*err = jerr.error;
	return ok;
}

/* di_rdfc_fn: canonical N-Quads of a JSON-LD document */
static bool
rdfc_canonicalizer(void *ctx, mcj_arena *arena, const mcj_value *doc, mcj_buf *out, mcj_error *err)
{
	rdf_dataset ds;

	if (!mc_rdf_dataset(arena, doc, &ds, err))
		return false;
	mcj_buf_init(out, arena, 4096);
	return rdfc_canonicalize(arena, &ds, NULL, out, NULL, NULL, err);
}

/* the canonicalizer for di_canon */
di_rdfc_fn
mc_rdfc_callback(void)
{
	return rdfc_canonicalizer;
}

/* canonical N-Quads of a JSON-LD document as text, or an SQL error */
text *
mc_rdfc_text(mcj_arena *arena, const mcj_value *v, const char *what)
{
	mcj_buf		out;
	mcj_error	err;

	if (!rdfc_canonicalizer(NULL, arena, v, &out, &err))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s cannot be canonicalized as RDF: %s", what, err.message),
				 errhint("JSON-LD processing resolves only the contexts in microcred.jsonld_context and treats any term it would drop as an error.")));
	return cstring_to_text_with_len(out.data, (int) out.len);
}
