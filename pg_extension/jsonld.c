
/*-------------------------------------------------------------------------
 *
 * jsonld.c
 *	  JSON-LD 1.1 context processing, expansion and deserialization to RDF,
 *	  written from the W3C "JSON-LD 1.1 Processing Algorithms and API"
 *	  recommendation, restricted to what credentials need (no compaction,
 *	  flattening or framing; processing mode json-ld-1.1 only).
 *
 * Processed ("active") contexts are immutable values.  Those derived only
 * from cache-resident documents are allocated in the cache's long-lived
 * arena and memoized under (parent context, context entry, flags); the rest
 * live in the per-call arena.  Term definitions sit in an open-addressing
 * hash table that is copied (pointers only) when a context is derived.
 *
 * Safe mode reports, as an error, every place where the algorithms would
 * silently drop data (the list follows the Data Integrity "safe mode").
 *
 * Recursion is bounded everywhere by explicit depth counters, so hostile
 * nesting is an error, not a stack overflow.
 *
 * The code is split by the steps of the recommendation (jsonld_internal.h
 * lists the files); this file holds the API of jsonld.h.
 *
 *-------------------------------------------------------------------------
 */
#include "jsonld_internal.h"

#include <string.h>
/* ------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------
 */

/* initialize per-call state */
static void
st_init(jst *st, jsonld_cache *cache, const jsonld_options *opt,
		mcj_arena *arena, jsonld_error *err)
{
	memset(st, 0, sizeof(*st));
	if (cache == NULL)			/* no cache: a throw-away one, no documents */
		cache = jsonld_cache_create(arena, NULL, NULL, 0);
	st->cache = cache;
	st->arena = arena;
	st->err = err;
	st->safe = opt && opt->safe_mode;
	st->max_depth = (opt && opt->max_depth > 0) ? opt->max_depth : 128;
	st->max_nodes = (opt && opt->max_nodes > 0) ? opt->max_nodes : 100000;
	st->max_quads = (opt && opt->max_quads > 0) ? opt->max_quads : 100000;
	err->code = NULL;
	err->error.message[0] = '\0';
	err->error.offset = 0;
}

/* check that no member name holds U+0000, within the depth limit */
static bool
check_keys(jst *st, const mcj_value *v, int depth)
{
	if (depth > st->max_depth)
		return jld_fail(st, JSONLD_ERR_LIMIT, "document nested deeper than %d", st->max_depth);
	if (v->type == MCJ_ARRAY)
	{
		for (size_t i = 0; i < v->u.arr.n; i++)
			if (!check_keys(st, v->u.arr.items[i], depth + 1))
				return false;
	}
	else if (v->type == MCJ_OBJECT)
	{
		for (size_t i = 0; i < v->u.obj.n; i++)
		{
			if (strlen(v->u.obj.members[i].key) != v->u.obj.members[i].keylen)
				return jld_fail(st, "invalid local context", "member name contains U+0000");
			if (!check_keys(st, v->u.obj.members[i].value, depth + 1))
				return false;
		}
	}
	return true;
}

/* expansion with state already set up */
static bool
do_expand(jst *st, const jsonld_options *opt, const mcj_value *input, mcj_value **out)
{
	const char *base = opt ? opt->base : NULL;
	const jld_ctx *actx;
	mcj_value  *r;

	*out = NULL;
	if (!check_keys(st, input, 0))
		return false;
	actx = jld_initial_context(st, base);
	if (opt && opt->expand_context)
	{
		const mcj_value *ec = opt->expand_context;

		if (ec->type == MCJ_OBJECT && mcj_object_get(ec, "@context"))
			ec = mcj_object_get(ec, "@context");
		if (!check_keys(st, ec, 0))
			return false;
		actx = jld_ctx_process(st, actx, ec, false, base, NULL, false, true, true);
		if (actx == NULL)
			return false;
	}
	if (!jld_expand(st, actx, NULL, input, base, false, 0, &r))
		return false;
	if (r && r->type == MCJ_OBJECT && r->u.obj.n == 1 && mcj_object_get(r, "@graph"))
		r = mcj_object_get(r, "@graph");
	if (r == NULL)
		r = jarray(st->arena);
	*out = jld_as_array(st, r);
	return true;
}

/* expand a document */
bool
jsonld_expand(jsonld_cache *cache, const jsonld_options *options,
			  mcj_arena *arena, const mcj_value *input, mcj_value **out,
			  jsonld_error *err)
{
	jst			st;

	st_init(&st, cache, options, arena, err);
	return do_expand(&st, options, input, out);
}

/* toRdf on an expanded document, with state already set up */
static bool
do_to_rdf(jst *st, const mcj_value *expanded, rdf_dataset *ds)
{
	if (expanded->type != MCJ_ARRAY)
		return jld_fail(st, "invalid input", "expanded form must be an array");
	for (size_t i = 0; i < expanded->u.arr.n; i++)
	{
		rdf_term	s;
		bool		ok;

		if (!jld_emit_node(st, expanded->u.arr.items[i], NULL, ds, 0, &s, &ok))
			return false;
	}
	return true;
}

/* convert an expanded document to RDF */
bool
jsonld_expanded_to_rdf(const jsonld_options *options, mcj_arena *arena,
					   const mcj_value *expanded, rdf_dataset *ds,
					   jsonld_error *err)
{
	jst			st;

	st_init(&st, NULL, options, arena, err);
	return do_to_rdf(&st, expanded, ds);
}

/* expand and convert to RDF */
bool
jsonld_to_rdf(jsonld_cache *cache, const jsonld_options *options,
			  mcj_arena *arena, const mcj_value *input, rdf_dataset *ds,
			  jsonld_error *err)
{
	jst			st;
	mcj_value  *expanded;

	st_init(&st, cache, options, arena, err);
	if (!do_expand(&st, options, input, &expanded))
		return false;
	st.nodes = 0;
	return do_to_rdf(&st, expanded, ds);
}
