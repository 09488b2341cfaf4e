/*-------------------------------------------------------------------------
 *
 * jsonld_cache.c
 *	  The context cache: loaded documents and memoized processed
 *	  contexts, shared across calls.
 *
 * Part of the JSON-LD core (see jsonld.c for the overview, jsonld.h for
 * the API); pure: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#include "jsonld_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * The cache: documents and memoized contexts
 * ------------------------------------------------------------------------
 */

/* remember a loaded document in the cache */
static const jld_doc *
doc_add(jsonld_cache *cache, const char *url, const mcj_value *doc)
{
	jld_doc    *d = jalloc(cache->arena, sizeof(jld_doc));

	d->url = jstrndup(cache->arena, url, strlen(url));
	d->doc = doc;
	d->next = cache->docs;
	cache->docs = d;
	return d;
}

/* create a cache */
jsonld_cache *
jsonld_cache_create(mcj_arena *arena, jsonld_load_fn loader, void *loader_ctx,
					size_t max_entries)
{
	jsonld_cache *c = jalloc(arena, sizeof(jsonld_cache));

	memset(c, 0, sizeof(*c));
	c->arena = arena;
	c->loader = loader;
	c->loader_ctx = loader_ctx;
	c->memo.max = max_entries ? max_entries : 1024;
	c->memo.cap = 64;
	c->memo.arena = arena;
	c->memo.e = jalloc(arena, sizeof(memo_entry) * c->memo.cap);
	memset(c->memo.e, 0, sizeof(memo_entry) * c->memo.cap);
	return c;
}

/* register a context document */
bool
jsonld_cache_add_document(jsonld_cache *cache, const char *url,
						  const char *json, size_t len, jsonld_error *err)
{
	mcj_parse_options po;
	mcj_value  *doc;

	memset(&po, 0, sizeof(po));
	err->code = NULL;
	doc = mcj_parse(cache->arena, json, len, &po, &err->error);
	if (doc == NULL)
	{
		char		m[sizeof(err->error.message)];

		memcpy(m, err->error.message, sizeof(m));
		err->code = JSONLD_ERR_LOADING;
		snprintf(err->error.message, sizeof(err->error.message),
				 "%s: %.50s: %.60s", JSONLD_ERR_LOADING, url, m);
		return false;
	}
	doc_add(cache, url, doc);
	return true;
}

/* number of memoized contexts */
size_t
jsonld_cache_size(const jsonld_cache *cache)
{
	return cache->memo.n;
}

/* hash a memo key */
static uint32_t
memo_hash(const jld_ctx *parent, unsigned kind, const void *ptr,
		  const char *str, unsigned flags)
{
	uintptr_t	a = (uintptr_t) parent,
				b = (uintptr_t) ptr;
	uint32_t	h = str ? jld_hash_bytes(str, strlen(str)) : 0x9e3779b9u;

	h ^= (uint32_t) (a ^ (a >> 32)) * 2654435761u;
	h ^= (uint32_t) (b ^ (b >> 32)) * 40503u;
	h ^= kind * 97u + flags * 7919u;
	h ^= h >> 15;
	return h;
}

/* find a memo entry */
const memo_entry *
jld_memo_find(memo_table *c, const jld_ctx *parent, unsigned kind,
		 const void *ptr, const char *str, unsigned flags)
{
	uint32_t	h = memo_hash(parent, kind, ptr, str, flags);
	uint32_t	mask = c->cap - 1;

	for (uint32_t i = h & mask;; i = (i + 1) & mask)
	{
		memo_entry *e = &c->e[i];

		if (e->result == NULL)
			return NULL;
		if (e->hash == h && e->parent == parent && e->kind == kind &&
			e->ptr == ptr && e->flags == flags &&
			((e->str == NULL && str == NULL) ||
			 (e->str && str && strcmp(e->str, str) == 0)))
			return e;
	}
}

/*
 * May another context be built for the memo?  A build that starts always
 * gets its entry (memo_put does not refuse), so the table may exceed max by
 * the nesting of one build.  After repeated failures that cannot be
 * remembered, no more long-lived contexts are built: the arena of a cache
 * only grows by memoized contexts, plus a bounded amount.
 */
bool
jld_memo_room(const memo_table *c)
{
	return c->n < c->max && c->failures < 64;
}

/* remember a context (the key string is copied into the table's arena) */
memo_entry *
jld_memo_put(memo_table *c, const jld_ctx *parent, unsigned kind,
		 const void *ptr, const char *str, unsigned flags,
		 const jld_ctx *result)
{
	uint32_t	h = memo_hash(parent, kind, ptr, str, flags);
	uint32_t	mask;

	if ((c->n + 1) * 2 > c->cap)
	{
		uint32_t	ncap = c->cap * 2;
		memo_entry *nm = jalloc(c->arena, sizeof(memo_entry) * ncap);

		memset(nm, 0, sizeof(memo_entry) * ncap);
		for (uint32_t i = 0; i < c->cap; i++)
		{
			if (c->e[i].result)
			{
				uint32_t	j = c->e[i].hash & (ncap - 1);

				while (nm[j].result)
					j = (j + 1) & (ncap - 1);
				nm[j] = c->e[i];
			}
		}
		c->e = nm;
		c->cap = ncap;
	}
	mask = c->cap - 1;
	for (uint32_t i = h & mask;; i = (i + 1) & mask)
	{
		memo_entry *e = &c->e[i];

		if (e->result == NULL)
		{
			e->parent = parent;
			e->kind = kind;
			e->ptr = ptr;
			e->str = str ? jstrndup(c->arena, str, strlen(str)) : NULL;
			e->flags = flags;
			e->hash = h;
			e->result = result;
			e->ecode = NULL;
			e->emsg = NULL;
			c->n++;
			return e;
		}
	}
}

/*
 * Look a context up: returns the context, or NULL if unknown; *poisoned is
 * set (and the error recorded) when the entry remembers a failure.
 */
const jld_ctx *
jld_memo_get(jst *st, memo_table *c, const jld_ctx *parent, unsigned kind,
		 const void *ptr, const char *str, unsigned flags, bool *poisoned)
{
	const memo_entry *e = jld_memo_find(c, parent, kind, ptr, str, flags);

	*poisoned = false;
	if (e == NULL)
		return NULL;
	if (e->ecode)
	{
		*poisoned = true;
		if (st->err->code == NULL)
		{
			st->err->code = e->ecode;
			snprintf(st->err->error.message, sizeof(st->err->error.message),
					 "%s", e->emsg);
		}
		return NULL;
	}
	return e->result;
}

/*
 * Remember that building a cache-resident context failed, so that hostile
 * documents cannot make the long-lived arena grow by repeating the failure.
 * Limit, loading and overflow errors depend on the call: not remembered.
 */
void
jld_memo_poison(jst *st, memo_table *c, const jld_ctx *parent, unsigned kind,
			const void *ptr, const char *str, unsigned flags)
{
	static const jld_ctx poison;	/* never dereferenced: a marker */
	memo_entry *e;

	if (st->err->code == NULL || strcmp(st->err->code, JSONLD_ERR_LIMIT) == 0 ||
		strcmp(st->err->code, JSONLD_ERR_LOADING) == 0 ||
		strcmp(st->err->code, "context overflow") == 0)
	{
		c->failures++;
		return;
	}
	e = jld_memo_put(c, parent, kind, ptr, str, flags, &poison);
	if (e)
	{
		e->ecode = st->err->code;
		e->emsg = jstrndup(c->arena, st->err->error.message,
						   strlen(st->err->error.message));
	}
}

/* the memo table for contexts that live only as long as this call */
memo_table *
jld_call_memo(jst *st)
{
	if (st->call_memo == NULL)
	{
		memo_table *m = jalloc(st->arena, sizeof(memo_table));

		m->cap = 64;
		m->n = 0;
		m->max = 1u << 20;
		m->arena = st->arena;
		m->e = jalloc(st->arena, sizeof(memo_entry) * m->cap);
		memset(m->e, 0, sizeof(memo_entry) * m->cap);
		st->call_memo = m;
	}
	return st->call_memo;
}

/* account for copying a per-call context: bounds hostile amplification */
bool
jld_charge_copy(jst *st, const jld_ctx *c)
{
	st->copy_work += c->cap;
	if (st->copy_work > ((size_t) 1 << 20))
		return jld_fail(st, JSONLD_ERR_LIMIT, "context processing work exceeds the limit");
	return true;
}

/* find or load the document for url; NULL with an error if unknown */
const jld_doc *
jld_load_document(jst *st, const char *url)
{
	jsonld_cache *c = st->cache;
	jld_doc    *d;
	const mcj_value *doc;
	mcj_error	e;

	for (d = c->docs; d; d = d->next)
		if (strcmp(d->url, url) == 0)
			return d;
	if (c->loader == NULL)
	{
		jld_fail(st, JSONLD_ERR_LOADING, "unknown context URL %.100s", url);
		return NULL;
	}
	memset(&e, 0, sizeof(e));
	doc = c->loader(c->loader_ctx, url, c->arena, &e);
	if (doc == NULL)
	{
		jld_fail(st, JSONLD_ERR_LOADING, "%.60s (%.70s)", url,
			 e.message[0] ? e.message : "unknown context URL");
		return NULL;
	}
	return doc_add(c, url, doc);
}
