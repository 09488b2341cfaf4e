/*-------------------------------------------------------------------------
 *
 * jsonld_core.c
 *	  Shared machinery of the JSON-LD core: allocation, errors and safe
 *	  mode events, string and keyword helpers, and the term tables of
 *	  active contexts.
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
 * Allocation: like mcjson's builders, out of memory aborts (never reached
 * with palloc, which throws, or with malloc on Linux in practice)
 * ------------------------------------------------------------------------
 */

/* allocate or abort */
void *
jalloc(mcj_arena *arena, size_t size)
{
	void	   *p = mcj_alloc(arena, size);

	if (p == NULL)
		abort();
	return p;
}

/* copy a string or abort */
char *
jstrndup(mcj_arena *arena, const char *s, size_t len)
{
	char	   *p = mcj_strndup(arena, s, len);

	if (p == NULL)
		abort();
	return p;
}

/* builders that abort instead of returning NULL */
mcj_value *
jcheck(mcj_value *v)
{
	if (v == NULL)
		abort();
	return v;
}

/* ------------------------------------------------------------------------
 * Errors and small helpers
 * ------------------------------------------------------------------------
 */

/* record an error "<code>: <details>"; always returns false */
bool
jld_fail(jst *st, const char *code, const char *fmt,...)
{
	char		detail[140];
	va_list		ap;

	if (st->err->code != NULL)
		return false;			/* keep the first error */
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	st->err->code = code;
	snprintf(st->err->error.message, sizeof(st->err->error.message),
			 "%s: %s", code, detail);
	st->err->error.offset = 0;
	return false;
}

/* report a data-loss event: an error in safe mode, else silently ignored */
bool
jld_safe_event(jst *st, const char *fmt,...)
{
	char		detail[140];
	va_list		ap;

	if (!st->safe)
		return true;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return jld_fail(st, JSONLD_ERR_SAFE_MODE, "%s", detail);
}

/* hash of a term or IRI: the cores' FNV-1a (mc_core.h), folded to 32 bits */
uint32_t
jld_hash_bytes(const char *s, size_t len)
{
	uint64_t	h = mc_fnv1a(s, len);

	return (uint32_t) (h ^ (h >> 32));
}

/* concatenate two C strings into arena */
char *
jld_str_concat(mcj_arena *arena, const char *a, const char *b)
{
	size_t		la = strlen(a),
				lb = strlen(b);
	char	   *r = jalloc(arena, la + lb + 1);

	memcpy(r, a, la);
	memcpy(r + la, b, lb);
	r[la + lb] = '\0';
	return r;
}

/* does a JSON string value contain no U+0000 (usable as a C string)? */
bool
jld_str_clean(const mcj_value *v)
{
	return v->type == MCJ_STRING && strlen(v->u.str.s) == v->u.str.len;
}

static const char *const keywords[] = {
	"@base", "@container", "@context", "@default", "@direction", "@embed",
	"@explicit", "@graph", "@id", "@import", "@included", "@index", "@json",
	"@language", "@list", "@nest", "@none", "@omitDefault", "@prefix",
	"@preserve", "@propagate", "@protected", "@requireAll", "@reverse",
	"@set", "@type", "@value", "@version", "@vocab", NULL
};

/* bytes that cannot appear in an IRI written to N-Quads (2: '#', once) */
static const unsigned char iri_forbidden[256] = {
	[0] = 1, [1] = 1, [2] = 1, [3] = 1, [4] = 1, [5] = 1, [6] = 1, [7] = 1,
	[8] = 1, [9] = 1, [10] = 1, [11] = 1, [12] = 1, [13] = 1, [14] = 1, [15] = 1,
	[16] = 1, [17] = 1, [18] = 1, [19] = 1, [20] = 1, [21] = 1, [22] = 1, [23] = 1,
	[24] = 1, [25] = 1, [26] = 1, [27] = 1, [28] = 1, [29] = 1, [30] = 1, [31] = 1,
	[' '] = 1, ['<'] = 1, ['>'] = 1, ['"'] = 1, ['{'] = 1, ['}'] = 1, ['|'] = 1,
	['^'] = 1, ['`'] = 1, ['\\'] = 1, ['#'] = 2
};

/* is s a JSON-LD keyword? (the list is sorted; dispatch on "@x") */
bool
jld_is_keyword(const char *s)
{
	if (s == NULL || s[0] != '@' || s[1] < 'a' || s[1] > 'v')
		return false;
	for (int i = 0; keywords[i]; i++)
	{
		if (keywords[i][1] < s[1])
			continue;
		if (keywords[i][1] > s[1])
			break;
		if (strcmp(s + 2, keywords[i] + 2) == 0)
			return true;
	}
	return false;
}

/* does s have the form of a keyword ("@" followed by ALPHA only)? */
bool
jld_keyword_form(const char *s)
{
	if (s[0] != '@' || s[1] == '\0')
		return false;
	for (const char *p = s + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return false;
	return true;
}

/* length of the scheme if s starts with "scheme:", else 0 */
size_t
jld_scheme_len(const char *s)
{
	size_t		i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (i = 1; s[i]; i++)
	{
		char		c = s[i];

		if (c == ':')
			return i;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
			return 0;
	}
	return 0;
}

/* an absolute IRI (has a scheme); blank node labels are not */
bool
jld_is_absolute_iri(const char *s)
{
	return s != NULL && jld_scheme_len(s) > 0;
}

/* a blank node identifier ("_:x")? */
bool
jld_is_blank(const char *s)
{
	return s != NULL && s[0] == '_' && s[1] == ':';
}

/* well-formed for RDF: absolute and free of characters IRIs cannot hold */
bool
jld_is_wellformed_iri(const char *s)
{
	int			hashes = 0;

	if (!jld_is_absolute_iri(s))
		return false;
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		if (iri_forbidden[*p])
		{
			if (iri_forbidden[*p] == 1 || ++hashes > 1)
				return false;
		}
	}
	return true;
}

/* BCP 47 shape check, as the reference implementations do */
bool
jld_is_wellformed_lang(const char *s)
{
	int			n = 0;
	bool		first = true;

	for (const char *p = s;; p++)
	{
		if (*p == '-' || *p == '\0')
		{
			if (n < 1 || n > 8)
				return false;
			if (*p == '\0')
				return true;
			n = 0;
			first = false;
			continue;
		}
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			n++;
		else if (!first && *p >= '0' && *p <= '9')
			n++;
		else
			return false;
	}
}

/* ------------------------------------------------------------------------
 * Active contexts and their term tables
 * ------------------------------------------------------------------------
 */

/* look a term up */
const jld_term *
jld_ctx_get(const jld_ctx *c, const char *name)
{
	size_t		len = strlen(name);
	uint32_t	h = jld_hash_bytes(name, len);
	uint32_t	mask = c->cap - 1;

	for (uint32_t i = h & mask;; i = (i + 1) & mask)
	{
		const tslot *s = &c->slots[i];

		if (s->key == NULL)
			return NULL;
		if (s->hash == h && strcmp(s->key, name) == 0)
			return s->term;
	}
}

/* insert or replace a term (the context must still be under construction) */
void
jld_ctx_set(mcj_arena *arena, jld_ctx *c, const jld_term *t)
{
	size_t		len = strlen(t->name);
	uint32_t	h = jld_hash_bytes(t->name, len);
	uint32_t	mask;

	if ((c->n + 1) * 4 > c->cap * 3)
	{
		uint32_t	ncap = c->cap * 2;
		tslot	   *ns = jalloc(arena, sizeof(tslot) * ncap);

		memset(ns, 0, sizeof(tslot) * ncap);
		for (uint32_t i = 0; i < c->cap; i++)
		{
			if (c->slots[i].key)
			{
				uint32_t	j = c->slots[i].hash & (ncap - 1);

				while (ns[j].key)
					j = (j + 1) & (ncap - 1);
				ns[j] = c->slots[i];
			}
		}
		c->slots = ns;
		c->cap = ncap;
	}
	mask = c->cap - 1;
	for (uint32_t i = h & mask;; i = (i + 1) & mask)
	{
		tslot	   *s = &c->slots[i];

		if (s->key == NULL)
		{
			s->key = t->name;
			s->hash = h;
			s->term = t;
			c->n++;
			return;
		}
		if (s->hash == h && strcmp(s->key, t->name) == 0)
		{
			s->term = t;
			return;
		}
	}
}

/* a new empty context */
jld_ctx *
jld_ctx_new(mcj_arena *arena, bool persistent)
{
	jld_ctx    *c = jalloc(arena, sizeof(jld_ctx));

	memset(c, 0, sizeof(*c));
	c->cap = 16;
	c->slots = jalloc(arena, sizeof(tslot) * c->cap);
	memset(c->slots, 0, sizeof(tslot) * c->cap);
	c->persistent = persistent;
	return c;
}

/* a mutable copy of a context */
jld_ctx *
jld_ctx_copy(mcj_arena *arena, const jld_ctx *src, bool persistent)
{
	jld_ctx    *c = jalloc(arena, sizeof(jld_ctx));

	*c = *src;
	c->slots = jalloc(arena, sizeof(tslot) * c->cap);
	memcpy(c->slots, src->slots, sizeof(tslot) * c->cap);
	c->persistent = persistent;
	return c;
}

/* does the context hold any protected term? */
bool
jld_ctx_has_protected(const jld_ctx *c)
{
	for (uint32_t i = 0; i < c->cap; i++)
		if (c->slots[i].key && c->slots[i].term->protected_)
			return true;
	return false;
}
