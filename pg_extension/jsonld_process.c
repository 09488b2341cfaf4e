/*-------------------------------------------------------------------------
 *
 * jsonld_process.c
 *	  The Context Processing Algorithm (JSON-LD 1.1 API, 4.1.2) up to a
 *	  context definition: propagation, null contexts, remote contexts and
 *	  their memoization, and the initial context.  Each context definition
 *	  (steps 5.5 to 5.13) and Create Term Definition are in
 *	  jsonld_context.c.
 *
 * Part of the JSON-LD core (see jsonld.c for the overview, jsonld.h for
 * the API); pure: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#include "jsonld_internal.h"

#include <stdbool.h>
#include <string.h>

/* number of entries in a remote contexts list */
static int
remote_len(const remote_list *r)
{
	return r ? r->len : 0;
}

/* process one context definition (a map) on top of cur, memoized */
static const jld_ctx *
process_definition(jst *st, const jld_ctx *cur, const mcj_value *def,
				   bool lpers, const char *base_url, const remote_list *remotes,
				   bool override, bool validate)
{
	jsonld_cache *cache = st->cache;
	bool		persistent = validate && cur->persistent && lpers && jld_memo_room(&cache->memo);
	memo_table *mt = persistent ? &cache->memo : (validate ? jld_call_memo(st) : NULL);
	unsigned	flags = (override ? 1 : 0) | (remotes == NULL ? 2 : 0) | (st->safe ? 4 : 0);
	const jld_ctx *r;
	bool		poisoned;

	if (mt)
	{
		r = jld_memo_get(st, mt, cur, MK_LOCAL, def, base_url, flags, &poisoned);
		if (r || poisoned)
			return r;
	}
	if (!persistent && !jld_charge_copy(st, cur))
		return NULL;
	r = jld_build_definition(st, cur, def, lpers, base_url, remotes, override, persistent);
	if (r && mt)
		jld_memo_put(mt, cur, MK_LOCAL, def, base_url, flags, r);
	else if (r == NULL && persistent)
		jld_memo_poison(st, mt, cur, MK_LOCAL, def, base_url, flags);
	return r;
}

/* the initial context for a base IRI (memoized) */
const jld_ctx *
jld_initial_context(jst *st, const char *base)
{
	jsonld_cache *cache = st->cache;
	const memo_entry *e = jld_memo_find(&cache->memo, NULL, MK_INITIAL, NULL, base, 0);
	const jld_ctx *r = e ? e->result : NULL;
	jld_ctx    *c;
	bool		persistent = jld_memo_room(&cache->memo);
	mcj_arena  *arena = persistent ? cache->arena : st->arena;

	if (r)
		return r;
	c = jld_ctx_new(arena, persistent);
	c->base = base ? jstrndup(arena, base, strlen(base)) : NULL;
	c->original_base = c->base;
	if (persistent)
		jld_memo_put(&cache->memo, NULL, MK_INITIAL, NULL, base, 0, c);
	return c;
}

/*
 * Context Processing 4.1.2 step 3: when propagate is false and cur has no
 * previous context, a copy of cur whose previous context is cur
 * (memoized); NULL on error
 */
static const jld_ctx *
ctx_with_previous(jst *st, const jld_ctx *cur, bool validate)
{
	const jld_ctx *r = NULL;
	bool		persistent = validate && cur->persistent && jld_memo_room(&st->cache->memo);
	memo_table *mt = persistent ? &st->cache->memo : (validate ? jld_call_memo(st) : NULL);

	if (mt)
	{
		const memo_entry *e = jld_memo_find(mt, cur, MK_PREV, NULL, NULL, 0);

		r = e ? e->result : NULL;
	}
	if (r == NULL)
	{
		jld_ctx    *c;

		if (!persistent && !jld_charge_copy(st, cur))
			return NULL;
		c = jld_ctx_copy(persistent ? st->cache->arena : st->arena, cur, persistent);
		c->previous = cur;
		if (mt)
			jld_memo_put(mt, cur, MK_PREV, NULL, NULL, 0, c);
		r = c;
	}
	return r;
}

/*
 * Context Processing 4.1.2 step 5.1: a null context; the new active
 * context, NULL on error
 */
static const jld_ctx *
ctx_nullify(jst *st, const jld_ctx *cur, bool override, bool propagate)
{
	if (!override && jld_ctx_has_protected(cur))
	{
		jld_fail(st, "invalid context nullification",
				 "cannot nullify a context with protected terms");
		return NULL;
	}
	if (propagate)
		return jld_initial_context(st, cur->original_base);
	else
	{
		jld_ctx    *c = jld_ctx_new(st->arena, false);

		c->base = c->original_base = cur->original_base;
		c->previous = cur;
		return c;
	}
}

/*
 * Context Processing 4.1.2 step 5.2: a remote context (item, a string),
 * added to *remotes; the new active context (cur itself when the context
 * is skipped by step 5.2.2), NULL on error
 */
static const jld_ctx *
ctx_remote(jst *st, const jld_ctx *cur, const mcj_value *item,
		   const char *base_url, const remote_list **remotes, bool validate)
{
	const char *url;
	const jld_doc *d;
	const jld_ctx *r = NULL;
	remote_list *node;
	unsigned	flags = st->safe ? 1 : 0;

	/* step 5.2.1 */
	if (!jld_str_clean(item))
	{
		jld_fail(st, JSONLD_ERR_LOADING, "context URL contains U+0000");
		return NULL;
	}
	if (base_url)
		url = jld_iri_resolve(st->arena, base_url, item->u.str.s);
	else if (jld_is_absolute_iri(item->u.str.s))
		url = item->u.str.s;
	else
	{
		jld_fail(st, JSONLD_ERR_LOADING, "relative context URL %.80s without base",
				 item->u.str.s);
		return NULL;
	}
	/* step 5.2.2 */
	if (!validate)
	{
		const remote_list *p;

		for (p = *remotes; p; p = p->next)
			if (strcmp(p->url, url) == 0)
				break;
		if (p)
			return cur;
	}
	/* step 5.2.3 */
	if (remote_len(*remotes) >= MAX_REMOTE_CONTEXTS)
	{
		jld_fail(st, "context overflow", "more than %d remote contexts (%.80s)",
				 MAX_REMOTE_CONTEXTS, url);
		return NULL;
	}
	node = jalloc(st->arena, sizeof(remote_list));
	node->url = url;
	node->next = *remotes;
	node->len = remote_len(*remotes) + 1;
	*remotes = node;
	/* step 5.2.4: previously processed */
	if (validate)
	{
		bool		poisoned;

		r = jld_memo_get(st, cur->persistent ? &st->cache->memo : jld_call_memo(st),
						 cur, MK_URL, NULL, url, flags, &poisoned);
		if (poisoned)
			return NULL;
	}
	if (r == NULL)
	{
		const mcj_value *dc;

		/* step 5.2.5 */
		if ((d = jld_load_document(st, url)) == NULL)
			return NULL;
		dc = d->doc->type == MCJ_OBJECT ? mcj_object_get(d->doc, "@context") : NULL;
		if (dc == NULL || !(dc->type == MCJ_OBJECT || dc->type == MCJ_ARRAY ||
							dc->type == MCJ_STRING || dc->type == MCJ_NULL))
		{
			jld_fail(st, "invalid remote context", "%.100s", url);
			return NULL;
		}
		/* step 5.2.6 */
		r = jld_ctx_process(st, cur, dc, true, d->url, *remotes, false, true, validate);
		if (r == NULL)
		{
			if (validate && cur->persistent)
				jld_memo_poison(st, &st->cache->memo, cur, MK_URL, NULL, url, flags);
			return NULL;
		}
		if (validate && cur->persistent && r->persistent)
			jld_memo_put(&st->cache->memo, cur, MK_URL, NULL, url, flags, r);
		else if (validate)
			jld_memo_put(jld_call_memo(st), cur, MK_URL, NULL, url, flags, r);
	}
	return r;
}

/* the context processing algorithm (4.1.2); NULL on error */
const jld_ctx *
jld_ctx_process(jst *st, const jld_ctx *active, const mcj_value *local, bool lpers,
			const char *base_url, const remote_list *remotes, bool override,
			bool propagate, bool validate)
{
	const jld_ctx *cur = active;
	const mcj_value *v;
	size_t		n;

	if (++st->cdepth > st->max_depth)
	{
		jld_fail(st, JSONLD_ERR_LIMIT, "context nesting deeper than %d", st->max_depth);
		return NULL;
	}
	/* step 2 */
	if (local->type == MCJ_OBJECT && (v = mcj_object_get(local, "@propagate")) != NULL)
	{
		if (v->type != MCJ_TRUE && v->type != MCJ_FALSE)
		{
			jld_fail(st, "invalid @propagate value", "@propagate must be a boolean");
			return NULL;
		}
		propagate = v->type == MCJ_TRUE;
	}
	if (!propagate && cur->previous == NULL &&
		(cur = ctx_with_previous(st, cur, validate)) == NULL)
		return NULL;
	/* steps 4 and 5 */
	n = local->type == MCJ_ARRAY ? local->u.arr.n : 1;
	for (size_t i = 0; i < n; i++)
	{
		const mcj_value *item = local->type == MCJ_ARRAY ? local->u.arr.items[i] : local;

		if (item->type == MCJ_NULL)
			cur = ctx_nullify(st, cur, override, propagate);
		else if (item->type == MCJ_STRING)
			cur = ctx_remote(st, cur, item, base_url, &remotes, validate);
		else if (item->type == MCJ_OBJECT)
			cur = process_definition(st, cur, item, lpers, base_url, remotes,
									 override, validate);
		else
		{
			/* step 5.3 */
			jld_fail(st, "invalid local context", "a context must be a map, string or null");
			return NULL;
		}
		if (cur == NULL)
			return NULL;
	}
	st->cdepth--;
	return cur;
}
