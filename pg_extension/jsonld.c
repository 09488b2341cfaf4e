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
 *-------------------------------------------------------------------------
 */
#include "jsonld.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RDF_NS "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define XSD_NS "http://www.w3.org/2001/XMLSchema#"
#define RDF_TYPE RDF_NS "type"
#define RDF_FIRST RDF_NS "first"
#define RDF_REST RDF_NS "rest"
#define RDF_NIL RDF_NS "nil"
#define RDF_JSON RDF_NS "JSON"
#define XSD_BOOLEAN XSD_NS "boolean"
#define XSD_INTEGER XSD_NS "integer"
#define XSD_DOUBLE XSD_NS "double"

#define MAX_REMOTE_CONTEXTS 32

/* container mapping bits */
#define C_GRAPH		0x01
#define C_ID		0x02
#define C_INDEX		0x04
#define C_LANGUAGE	0x08
#define C_LIST		0x10
#define C_SET		0x20
#define C_TYPE		0x40

/* a term definition; immutable once stored in a context */
typedef struct jld_term
{
	const char *name;
	const char *iri;			/* IRI mapping, keyword, or NULL (null term) */
	const char *type;			/* type mapping or NULL */
	const char *lang;			/* language mapping (has_lang) */
	const char *dir;			/* direction mapping (has_dir) */
	const char *index;			/* index mapping or NULL */
	const char *nest;			/* nest value or NULL */
	const mcj_value *context;	/* scoped context (has_context) */
	const char *base_url;		/* base URL for the scoped context */
	unsigned	container;
	bool		reverse;
	bool		prefix;
	bool		protected_;
	bool		has_lang;
	bool		has_dir;
	bool		has_context;
	bool		context_persistent; /* context lives in the cache arena */
} jld_term;

typedef struct tslot
{
	const char *key;
	uint32_t	hash;
	const jld_term *term;
} tslot;

/* an active context */
typedef struct jld_ctx
{
	tslot	   *slots;
	uint32_t	cap;			/* power of two */
	uint32_t	n;
	const char *base;			/* base IRI or NULL */
	const char *original_base;
	const char *vocab;			/* vocabulary mapping or NULL */
	const char *lang;			/* default language or NULL */
	const char *dir;			/* default base direction or NULL */
	const struct jld_ctx *previous;
	bool		persistent;		/* lives in the cache arena, memoizable */
} jld_ctx;

/* a document registered in (or loaded into) the cache */
typedef struct jld_doc
{
	const char *url;
	const mcj_value *doc;
	struct jld_doc *next;
} jld_doc;

/* memo key kinds */
#define MK_INITIAL	1			/* initial context for a base IRI */
#define MK_URL		2			/* remote context by URL */
#define MK_LOCAL	3			/* cache-resident context definition */
#define MK_PREV		4			/* copy with previous context set */

typedef struct memo_entry
{
	const jld_ctx *parent;
	const void *ptr;
	const char *str;
	unsigned	kind;
	unsigned	flags;
	uint32_t	hash;
	const jld_ctx *result;		/* NULL in an empty slot */
	const char *ecode;			/* a remembered failure: code and message */
	const char *emsg;
} memo_entry;

/* a memo table: the cache's (long-lived) or one call's */
typedef struct memo_table
{
	memo_entry *e;
	uint32_t	cap;
	size_t		n;
	size_t		max;
	size_t		failures;		/* failed builds that could not be memoized */
	mcj_arena  *arena;
} memo_table;

struct jsonld_cache
{
	mcj_arena  *arena;
	jsonld_load_fn loader;
	void	   *loader_ctx;
	jld_doc    *docs;
	memo_table	memo;
};

/* remote contexts list: a chain on the C stack */
typedef struct remote_list
{
	const char *url;
	const struct remote_list *next;
	int			len;
} remote_list;

/* the "defined" map of the create term definition algorithm */
typedef struct defined_map
{
	const mcj_value *local;		/* the local context definition */
	const char **keys;
	unsigned char *state;		/* 1 = being defined, 2 = defined */
	uint32_t	cap;
	uint32_t	n;
} defined_map;

/* per-call state */
typedef struct jst
{
	jsonld_cache *cache;
	mcj_arena  *arena;			/* per-call arena */
	jsonld_error *err;
	bool		safe;
	int			max_depth;
	size_t		max_nodes;
	size_t		nodes;
	size_t		max_quads;
	int			cdepth;			/* context processing recursion */
	size_t		copy_work;		/* term slots copied for per-call contexts */
	size_t		iri_bytes;		/* bytes of IRIs built by concatenation */
	memo_table *call_memo;		/* contexts derived during this call */
	unsigned long bnode_counter;
	/* blank node relabelling for toRdf */
	const char **bn_keys;
	const char **bn_vals;
	uint32_t	bn_cap;
	uint32_t	bn_n;
} jst;

/* ------------------------------------------------------------------------
 * Allocation: like mcjson's builders, out of memory aborts (never reached
 * with palloc, which throws, or with malloc on Linux in practice)
 * ------------------------------------------------------------------------
 */

/* allocate or abort */
static void *
jalloc(mcj_arena *arena, size_t size)
{
	void	   *p = mcj_alloc(arena, size);

	if (p == NULL)
		abort();
	return p;
}

/* copy a string or abort */
static char *
jstrndup(mcj_arena *arena, const char *s, size_t len)
{
	char	   *p = mcj_strndup(arena, s, len);

	if (p == NULL)
		abort();
	return p;
}

/* builders that abort instead of returning NULL */
static mcj_value *
jcheck(mcj_value *v)
{
	if (v == NULL)
		abort();
	return v;
}
#define jcstring(a, s) jcheck(mcj_cstring((a), (s)))
#define jobject(a) jcheck(mcj_object(a))
#define jarray(a) jcheck(mcj_array(a))
#define jnull(a) jcheck(mcj_null(a))

/* ------------------------------------------------------------------------
 * Errors and small helpers
 * ------------------------------------------------------------------------
 */

static bool fail(jst *st, const char *code, const char *fmt,...) __attribute__((format(printf, 3, 4)));

/* record an error "<code>: <details>"; always returns false */
static bool
fail(jst *st, const char *code, const char *fmt,...)
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

static bool safe_event(jst *st, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/* report a data-loss event: an error in safe mode, else silently ignored */
static bool
safe_event(jst *st, const char *fmt,...)
{
	char		detail[140];
	va_list		ap;

	if (!st->safe)
		return true;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return fail(st, JSONLD_ERR_SAFE_MODE, "%s", detail);
}

/* FNV-1a hash */
static uint32_t
hash_bytes(const char *s, size_t len)
{
	uint32_t	h = 2166136261u;

	for (size_t i = 0; i < len; i++)
	{
		h ^= (unsigned char) s[i];
		h *= 16777619u;
	}
	return h;
}

/* concatenate two C strings into arena */
static char *
str_concat(mcj_arena *arena, const char *a, const char *b)
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
static bool
str_clean(const mcj_value *v)
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
static bool
is_keyword(const char *s)
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
static bool
keyword_form(const char *s)
{
	if (s[0] != '@' || s[1] == '\0')
		return false;
	for (const char *p = s + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return false;
	return true;
}

/* length of the scheme if s starts with "scheme:", else 0 */
static size_t
scheme_len(const char *s)
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
static bool
is_absolute_iri(const char *s)
{
	return s != NULL && scheme_len(s) > 0;
}

/* a blank node identifier ("_:x")? */
static bool
is_blank(const char *s)
{
	return s != NULL && s[0] == '_' && s[1] == ':';
}

/* well-formed for RDF: absolute and free of characters IRIs cannot hold */
static bool
is_wellformed_iri(const char *s)
{
	int			hashes = 0;

	if (!is_absolute_iri(s))
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
static bool
is_wellformed_lang(const char *s)
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
 * IRI resolution (RFC 3986 section 5.2)
 * ------------------------------------------------------------------------
 */

typedef struct iri_parts
{
	const char *scheme;
	size_t		scheme_len;
	const char *auth;
	size_t		auth_len;
	bool		has_auth;
	const char *path;
	size_t		path_len;
	const char *query;
	size_t		query_len;
	bool		has_query;
	const char *frag;
	size_t		frag_len;
	bool		has_frag;
} iri_parts;

/* split an IRI reference into its five components */
static void
iri_split(const char *s, iri_parts *p)
{
	size_t		sl = scheme_len(s);
	const char *q;

	memset(p, 0, sizeof(*p));
	if (sl > 0)
	{
		p->scheme = s;
		p->scheme_len = sl;
		s += sl + 1;
	}
	if (s[0] == '/' && s[1] == '/')
	{
		s += 2;
		p->has_auth = true;
		p->auth = s;
		while (*s && *s != '/' && *s != '?' && *s != '#')
			s++;
		p->auth_len = s - p->auth;
	}
	p->path = s;
	while (*s && *s != '?' && *s != '#')
		s++;
	p->path_len = s - p->path;
	if (*s == '?')
	{
		q = ++s;
		while (*s && *s != '#')
			s++;
		p->has_query = true;
		p->query = q;
		p->query_len = s - q;
	}
	if (*s == '#')
	{
		s++;
		p->has_frag = true;
		p->frag = s;
		p->frag_len = strlen(s);
	}
}

/* RFC 3986 5.2.4 remove_dot_segments; in and out may not overlap */
static size_t
remove_dots(const char *in, size_t len, char *out)
{
	size_t		o = 0;
	size_t		i = 0;

	while (i < len)
	{
		const char *s = in + i;
		size_t		rem = len - i;

		if (rem >= 3 && memcmp(s, "../", 3) == 0)
			i += 3;
		else if (rem >= 2 && memcmp(s, "./", 2) == 0)
			i += 2;
		else if (rem >= 3 && memcmp(s, "/./", 3) == 0)
			i += 2;
		else if (rem == 2 && memcmp(s, "/.", 2) == 0)
		{
			out[o++] = '/';
			i += 2;
		}
		else if ((rem >= 4 && memcmp(s, "/../", 4) == 0) ||
				 (rem == 3 && memcmp(s, "/..", 3) == 0))
		{
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			if (rem == 3)
			{
				out[o++] = '/';
				i += 3;
			}
			else
				i += 3;
		}
		else if ((rem == 1 && s[0] == '.') || (rem == 2 && memcmp(s, "..", 2) == 0))
			i += rem;
		else
		{
			size_t		j = 0;

			if (s[0] == '/')
				out[o++] = in[i + j++];
			while (i + j < len && in[i + j] != '/')
			{
				out[o++] = in[i + j];
				j++;
			}
			i += j;
		}
	}
	return o;
}

/* resolve reference ref against base (absolute); result in arena */
static char *
iri_resolve(mcj_arena *arena, const char *base, const char *ref)
{
	iri_parts	b,
				r;
	size_t		cap = strlen(base) + strlen(ref) + 8;
	char	   *out = jalloc(arena, cap);
	char	   *tmp = jalloc(arena, cap);
	size_t		o = 0;
	const char *auth;
	size_t		auth_len;
	bool		has_auth;
	const char *query;
	size_t		query_len;
	bool		has_query;

	iri_split(base, &b);
	iri_split(ref, &r);
	if (r.scheme)
	{
		memcpy(out, ref, r.scheme_len + 1);
		o = r.scheme_len + 1;
		if (r.has_auth)
		{
			memcpy(out + o, "//", 2);
			memcpy(out + o + 2, r.auth, r.auth_len);
			o += 2 + r.auth_len;
		}
		o += remove_dots(r.path, r.path_len, out + o);
		if (r.has_query)
		{
			out[o++] = '?';
			memcpy(out + o, r.query, r.query_len);
			o += r.query_len;
		}
		if (r.has_frag)
		{
			out[o++] = '#';
			memcpy(out + o, r.frag, r.frag_len);
			o += r.frag_len;
		}
		out[o] = '\0';
		return out;
	}
	memcpy(out, b.scheme, b.scheme_len + 1);
	o = b.scheme_len + 1;
	if (r.has_auth)
	{
		auth = r.auth;
		auth_len = r.auth_len;
		has_auth = true;
	}
	else
	{
		auth = b.auth;
		auth_len = b.auth_len;
		has_auth = b.has_auth;
	}
	if (has_auth)
	{
		memcpy(out + o, "//", 2);
		memcpy(out + o + 2, auth, auth_len);
		o += 2 + auth_len;
	}
	if (r.has_auth)
	{
		o += remove_dots(r.path, r.path_len, out + o);
		has_query = r.has_query;
		query = r.query;
		query_len = r.query_len;
	}
	else if (r.path_len == 0)
	{
		memcpy(out + o, b.path, b.path_len);
		o += b.path_len;
		if (r.has_query)
		{
			has_query = true;
			query = r.query;
			query_len = r.query_len;
		}
		else
		{
			has_query = b.has_query;
			query = b.query;
			query_len = b.query_len;
		}
	}
	else
	{
		if (r.path[0] == '/')
			o += remove_dots(r.path, r.path_len, out + o);
		else
		{
			/* merge */
			size_t		t = 0;

			if (b.has_auth && b.path_len == 0)
				tmp[t++] = '/';
			else
			{
				size_t		last = b.path_len;

				while (last > 0 && b.path[last - 1] != '/')
					last--;
				memcpy(tmp, b.path, last);
				t = last;
			}
			memcpy(tmp + t, r.path, r.path_len);
			t += r.path_len;
			o += remove_dots(tmp, t, out + o);
		}
		has_query = r.has_query;
		query = r.query;
		query_len = r.query_len;
	}
	if (has_query)
	{
		out[o++] = '?';
		memcpy(out + o, query, query_len);
		o += query_len;
	}
	if (r.has_frag)
	{
		out[o++] = '#';
		memcpy(out + o, r.frag, r.frag_len);
		o += r.frag_len;
	}
	out[o] = '\0';
	return out;
}

/* ------------------------------------------------------------------------
 * Active contexts and their term tables
 * ------------------------------------------------------------------------
 */

/* look a term up */
static const jld_term *
ctx_get(const jld_ctx *c, const char *name)
{
	size_t		len = strlen(name);
	uint32_t	h = hash_bytes(name, len);
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
static void
ctx_set(mcj_arena *arena, jld_ctx *c, const jld_term *t)
{
	size_t		len = strlen(t->name);
	uint32_t	h = hash_bytes(t->name, len);
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
static jld_ctx *
ctx_new(mcj_arena *arena, bool persistent)
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
static jld_ctx *
ctx_copy(mcj_arena *arena, const jld_ctx *src, bool persistent)
{
	jld_ctx    *c = jalloc(arena, sizeof(jld_ctx));

	*c = *src;
	c->slots = jalloc(arena, sizeof(tslot) * c->cap);
	memcpy(c->slots, src->slots, sizeof(tslot) * c->cap);
	c->persistent = persistent;
	return c;
}

/* does the context hold any protected term? */
static bool
ctx_has_protected(const jld_ctx *c)
{
	for (uint32_t i = 0; i < c->cap; i++)
		if (c->slots[i].key && c->slots[i].term->protected_)
			return true;
	return false;
}

/* ------------------------------------------------------------------------
 * The cache: documents and memoized contexts
 * ------------------------------------------------------------------------
 */

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
	jld_doc    *d;

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
	d = jalloc(cache->arena, sizeof(jld_doc));
	d->url = jstrndup(cache->arena, url, strlen(url));
	d->doc = doc;
	d->next = cache->docs;
	cache->docs = d;
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
	uint32_t	h = str ? hash_bytes(str, strlen(str)) : 0x9e3779b9u;

	h ^= (uint32_t) (a ^ (a >> 32)) * 2654435761u;
	h ^= (uint32_t) (b ^ (b >> 32)) * 40503u;
	h ^= kind * 97u + flags * 7919u;
	h ^= h >> 15;
	return h;
}

/* find a memo entry */
static const memo_entry *
memo_find(memo_table *c, const jld_ctx *parent, unsigned kind,
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
static bool
memo_room(const memo_table *c)
{
	return c->n < c->max && c->failures < 64;
}

/* remember a context (the key string is copied into the table's arena) */
static memo_entry *
memo_put(memo_table *c, const jld_ctx *parent, unsigned kind,
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
static const jld_ctx *
memo_get(jst *st, memo_table *c, const jld_ctx *parent, unsigned kind,
		 const void *ptr, const char *str, unsigned flags, bool *poisoned)
{
	const memo_entry *e = memo_find(c, parent, kind, ptr, str, flags);

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
static void
memo_poison(jst *st, memo_table *c, const jld_ctx *parent, unsigned kind,
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
	e = memo_put(c, parent, kind, ptr, str, flags, &poison);
	if (e)
	{
		e->ecode = st->err->code;
		e->emsg = jstrndup(c->arena, st->err->error.message,
						   strlen(st->err->error.message));
	}
}

/* the memo table for contexts that live only as long as this call */
static memo_table *
call_memo(jst *st)
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
static bool
charge_copy(jst *st, const jld_ctx *c)
{
	st->copy_work += c->cap;
	if (st->copy_work > ((size_t) 1 << 20))
		return fail(st, JSONLD_ERR_LIMIT, "context processing work exceeds the limit");
	return true;
}

/* find or load the document for url; NULL with an error if unknown */
static const jld_doc *
load_document(jst *st, const char *url)
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
		fail(st, JSONLD_ERR_LOADING, "unknown context URL %.100s", url);
		return NULL;
	}
	memset(&e, 0, sizeof(e));
	doc = c->loader(c->loader_ctx, url, c->arena, &e);
	if (doc == NULL)
	{
		fail(st, JSONLD_ERR_LOADING, "%.60s (%.70s)", url,
			 e.message[0] ? e.message : "unknown context URL");
		return NULL;
	}
	d = jalloc(c->arena, sizeof(jld_doc));
	d->url = jstrndup(c->arena, url, strlen(url));
	d->doc = doc;
	d->next = c->docs;
	c->docs = d;
	return d;
}

/* ------------------------------------------------------------------------
 * Context processing (JSON-LD 1.1 API, 4.1 and 4.2)
 * ------------------------------------------------------------------------
 */

/* state of one context definition being processed */
typedef struct build
{
	jld_ctx    *ctx;			/* the result, mutable while building */
	mcj_arena  *arena;			/* where the result's pieces go */
	const mcj_value *local;		/* the context definition */
	bool		local_persistent;
	const char *base_url;
	bool		protected_default;
	bool		override;
	const remote_list *remotes;
	/* the "defined" map, which also indexes the entries of local */
	const char **dkeys;
	const mcj_value **dvals;
	unsigned char *dstate;
	uint32_t	dcap;
} build;

static const jld_ctx *ctx_process(jst *st, const jld_ctx *active,
								  const mcj_value *local, bool lpers,
								  const char *base_url,
								  const remote_list *remotes, bool override,
								  bool propagate, bool validate);
static bool create_term(jst *st, build *b, const char *term);

/* slot of term in the defined map */
static uint32_t
defined_slot(build *b, const char *term)
{
	uint32_t	mask = b->dcap - 1;
	uint32_t	i = hash_bytes(term, strlen(term)) & mask;

	while (b->dkeys[i] && strcmp(b->dkeys[i], term) != 0)
		i = (i + 1) & mask;
	return i;
}

/* defined-map state of a term: 0 unknown, 1 in progress, 2 defined */
static unsigned
defined_get(build *b, const char *term)
{
	uint32_t	i = defined_slot(b, term);

	return b->dkeys[i] ? b->dstate[i] : 0;
}

/* the entry of the local context named term, or NULL */
static const mcj_value *
local_get(build *b, const char *term)
{
	uint32_t	i = defined_slot(b, term);

	return b->dkeys[i] ? b->dvals[i] : NULL;
}

/* set the defined-map state of a term */
static void
defined_set(build *b, const char *term, unsigned state)
{
	uint32_t	i = defined_slot(b, term);

	b->dkeys[i] = term;
	b->dstate[i] = (unsigned char) state;
}

/* account for a newly built IRI: bounds amplification by long prefixes */
static bool
charge_iri(jst *st, const char *iri)
{
	st->iri_bytes += strlen(iri) + 1;
	if (st->iri_bytes > ((size_t) 16 << 20))
		return fail(st, JSONLD_ERR_LIMIT, "expanded IRIs exceed 16 MB");
	return true;
}

/* the IRI expansion algorithm (5.2.2); *out NULL means null */
static bool
iri_expand(jst *st, const jld_ctx *actx, const char *value, bool docrel,
		   bool vocab, build *b, const char **out)
{
	const jld_term *t;
	const char *colon;
	mcj_arena  *arena = b ? b->arena : st->arena;

	*out = value;
	if (value == NULL || is_keyword(value))
		return true;
	if (keyword_form(value))
	{
		*out = NULL;
		return true;
	}
	if (b)
	{
		if (local_get(b, value) && defined_get(b, value) != 2)
		{
			if (!create_term(st, b, value))
				return false;
		}
		actx = b->ctx;
	}
	t = ctx_get(actx, value);
	if (t && t->iri && is_keyword(t->iri))
	{
		*out = t->iri;
		return true;
	}
	if (vocab && t)
	{
		*out = t->iri;
		return true;
	}
	colon = value[0] ? strchr(value + 1, ':') : NULL;
	if (colon)
	{
		size_t		plen = colon - value;
		char		pbuf[128];
		char	   *prefix = plen < sizeof(pbuf) ? pbuf : jalloc(st->arena, plen + 1);
		const char *suffix = colon + 1;

		memcpy(prefix, value, plen);
		prefix[plen] = '\0';
		if (strcmp(prefix, "_") == 0 || (suffix[0] == '/' && suffix[1] == '/'))
			return true;
		if (b && local_get(b, prefix) && defined_get(b, prefix) != 2)
		{
			if (prefix == pbuf)
				prefix = jstrndup(st->arena, pbuf, plen);
			if (!create_term(st, b, prefix))
				return false;
		}
		t = ctx_get(actx, prefix);
		if (t && t->iri && t->prefix)
		{
			*out = str_concat(arena, t->iri, suffix);
			return arena != st->arena || charge_iri(st, *out);
		}
		if (is_absolute_iri(value))
			return true;
	}
	if (vocab && actx->vocab)
		*out = str_concat(arena, actx->vocab, value);
	else if (docrel && actx->base)
		*out = iri_resolve(arena, actx->base, value);
	else
		return true;
	return arena != st->arena || charge_iri(st, *out);
}

/* are two term definitions the same, except for @protected? */
static bool
term_same(const jld_term *a, const jld_term *b)
{
#define SEQ(x, y) (((x) == NULL && (y) == NULL) || ((x) && (y) && strcmp((x), (y)) == 0))
	if (!SEQ(a->iri, b->iri) || !SEQ(a->type, b->type) ||
		!SEQ(a->index, b->index) || !SEQ(a->nest, b->nest))
		return false;
	if (a->reverse != b->reverse || a->prefix != b->prefix ||
		a->container != b->container || a->has_lang != b->has_lang ||
		a->has_dir != b->has_dir || a->has_context != b->has_context)
		return false;
	if (a->has_lang && !SEQ(a->lang, b->lang))
		return false;
	if (a->has_dir && !SEQ(a->dir, b->dir))
		return false;
	if (a->has_context && a->context != b->context &&
		!mcj_equal(a->context, b->context))
		return false;
#undef SEQ
	return true;
}

/* parse a container mapping value into bits; false if invalid */
static bool
parse_container(const mcj_value *v, unsigned *bits)
{
	const mcj_value *one;
	size_t		n = 1;
	unsigned	c = 0;

	if (v->type == MCJ_ARRAY)
		n = v->u.arr.n;
	else if (v->type != MCJ_STRING)
		return false;
	for (size_t i = 0; i < n; i++)
	{
		unsigned	bit;

		one = v->type == MCJ_ARRAY ? v->u.arr.items[i] : v;
		if (one->type != MCJ_STRING)
			return false;
		if (strcmp(one->u.str.s, "@graph") == 0)
			bit = C_GRAPH;
		else if (strcmp(one->u.str.s, "@id") == 0)
			bit = C_ID;
		else if (strcmp(one->u.str.s, "@index") == 0)
			bit = C_INDEX;
		else if (strcmp(one->u.str.s, "@language") == 0)
			bit = C_LANGUAGE;
		else if (strcmp(one->u.str.s, "@list") == 0)
			bit = C_LIST;
		else if (strcmp(one->u.str.s, "@set") == 0)
			bit = C_SET;
		else if (strcmp(one->u.str.s, "@type") == 0)
			bit = C_TYPE;
		else
			return false;
		if (c & bit)
			return false;
		c |= bit;
	}
	if (v->type == MCJ_ARRAY && n > 1)
	{
		/* @list alone; @graph with @id or @index (and @set); @set with others */
		if (c & C_LIST)
			return false;
		if (c & C_GRAPH)
		{
			if (c & ~(C_GRAPH | C_ID | C_INDEX | C_SET))
				return false;
			if ((c & C_ID) && (c & C_INDEX))
				return false;
		}
		else if (!(c & C_SET))
			return false;
		else
		{
			unsigned	others = c & ~C_SET;

			/* at most one of @index, @id, @type, @language */
			if (others & (others - 1))
				return false;
		}
	}
	*bits = c;
	return true;
}

/* lowercase copy of a string */
static char *
str_lower(mcj_arena *arena, const char *s)
{
	size_t		n = strlen(s);
	char	   *r = jalloc(arena, n + 1);

	for (size_t i = 0; i <= n; i++)
		r[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char) (s[i] + 32) : s[i];
	return r;
}

/* the create term definition algorithm (4.2.2) */
static bool
create_term(jst *st, build *b, const char *term)
{
	const mcj_value *value;
	const mcj_value *v;
	const jld_term *prev;
	jld_term   *def;
	bool		simple = false;
	const mcj_value *idv = NULL;
	bool		has_id = false;
	const char *colon;
	unsigned	state = defined_get(b, term);

	if (state == 2)
		return true;
	if (state == 1)
		return fail(st, "cyclic IRI mapping", "term \"%.80s\"", term);
	if (term[0] == '\0')
		return fail(st, "invalid term definition", "empty term");
	if (++st->cdepth > st->max_depth)
		return fail(st, JSONLD_ERR_LIMIT, "context nesting deeper than %d",
					st->max_depth);
	defined_set(b, term, 1);
	value = local_get(b, term);

	if (strcmp(term, "@type") == 0)
	{
		bool		ok = value && value->type == MCJ_OBJECT && value->u.obj.n > 0;

		for (size_t i = 0; ok && i < value->u.obj.n; i++)
		{
			const mcj_member *m = &value->u.obj.members[i];

			if (strcmp(m->key, "@container") == 0)
				ok = mcj_is_string(m->value, "@set");
			else if (strcmp(m->key, "@protected") != 0)
				ok = false;
		}
		if (!ok)
			return fail(st, "keyword redefinition", "term \"@type\"");
	}
	else if (is_keyword(term))
		return fail(st, "keyword redefinition", "term \"%.80s\"", term);
	else if (keyword_form(term))
	{
		defined_set(b, term, 2);
		st->cdepth--;
		return safe_event(st, "term \"%.80s\" has the form of a keyword and is ignored", term);
	}

	prev = ctx_get(b->ctx, term);
	def = jalloc(b->arena, sizeof(jld_term));
	memset(def, 0, sizeof(*def));
	def->name = term;
	def->protected_ = b->protected_default;

	if (value == NULL || value->type == MCJ_NULL)
	{
		has_id = true;
		idv = NULL;
	}
	else if (value->type == MCJ_STRING)
	{
		simple = true;
		has_id = true;
		idv = value;
	}
	else if (value->type != MCJ_OBJECT)
		return fail(st, "invalid term definition", "term \"%.80s\"", term);
	else
	{
		/* check the entries first */
		for (size_t i = 0; i < value->u.obj.n; i++)
		{
			const char *k = value->u.obj.members[i].key;

			if (strcmp(k, "@id") && strcmp(k, "@reverse") &&
				strcmp(k, "@container") && strcmp(k, "@context") &&
				strcmp(k, "@direction") && strcmp(k, "@index") &&
				strcmp(k, "@language") && strcmp(k, "@nest") &&
				strcmp(k, "@prefix") && strcmp(k, "@protected") &&
				strcmp(k, "@type"))
				return fail(st, "invalid term definition",
							"term \"%.60s\" has entry \"%.40s\"", term, k);
		}
		if ((v = mcj_object_get(value, "@id")) != NULL)
		{
			has_id = true;
			idv = v->type == MCJ_NULL ? NULL : v;
		}
		if ((v = mcj_object_get(value, "@protected")) != NULL)
		{
			if (v->type != MCJ_TRUE && v->type != MCJ_FALSE)
				return fail(st, "invalid @protected value", "term \"%.80s\"", term);
			def->protected_ = v->type == MCJ_TRUE;
		}
		if ((v = mcj_object_get(value, "@type")) != NULL)
		{
			const char *t;

			if (!str_clean(v))
				return fail(st, "invalid type mapping", "term \"%.80s\"", term);
			if (!iri_expand(st, b->ctx, v->u.str.s, false, true, b, &t))
				return false;
			if (t == NULL ||
				!(strcmp(t, "@id") == 0 || strcmp(t, "@json") == 0 ||
				  strcmp(t, "@none") == 0 || strcmp(t, "@vocab") == 0 ||
				  is_absolute_iri(t)))
				return fail(st, "invalid type mapping", "term \"%.80s\"", term);
			def->type = t;
		}
		if ((v = mcj_object_get(value, "@reverse")) != NULL)
		{
			const char *r;
			const mcj_value *cv;

			if (mcj_object_get(value, "@id") || mcj_object_get(value, "@nest"))
				return fail(st, "invalid reverse property", "term \"%.80s\"", term);
			if (!str_clean(v))
				return fail(st, "invalid IRI mapping", "term \"%.80s\"", term);
			if (keyword_form(v->u.str.s))
			{
				defined_set(b, term, 2);
				st->cdepth--;
				return safe_event(st, "term \"%.80s\": reverse keyword-like value ignored", term);
			}
			if (!iri_expand(st, b->ctx, v->u.str.s, false, true, b, &r))
				return false;
			if (r == NULL || !(is_absolute_iri(r) || is_blank(r)))
				return fail(st, "invalid IRI mapping", "term \"%.80s\"", term);
			def->iri = r;
			if ((cv = mcj_object_get(value, "@container")) != NULL &&
				cv->type != MCJ_NULL)
			{
				if (!(mcj_is_string(cv, "@set") || mcj_is_string(cv, "@index")))
					return fail(st, "invalid reverse property", "term \"%.80s\"", term);
				def->container = mcj_is_string(cv, "@set") ? C_SET : C_INDEX;
			}
			if ((cv = mcj_object_get(value, "@index")) != NULL)
			{
				if (!(def->container & C_INDEX) || !str_clean(cv) || cv->u.str.s[0] == '@')
					return fail(st, "invalid term definition", "term \"%.80s\" @index", term);
				def->index = cv->u.str.s;
			}
			def->reverse = true;
			goto finish;
		}
	}

	colon = term[0] ? strchr(term + 1, ':') : NULL;
	if (value && value->type == MCJ_OBJECT && mcj_object_get(value, "@prefix") &&
		((colon && colon[1] != '\0') || strchr(term, '/')))
		return fail(st, "invalid term definition", "term \"%.80s\" @prefix", term);
	if (has_id && !(idv && idv->type == MCJ_STRING && strcmp(idv->u.str.s, term) == 0))
	{
		if (idv == NULL)
			def->iri = NULL;
		else
		{
			const char *iri;

			if (!str_clean(idv))
				return fail(st, "invalid IRI mapping", "term \"%.80s\"", term);
			if (!is_keyword(idv->u.str.s) && keyword_form(idv->u.str.s))
			{
				defined_set(b, term, 2);
				st->cdepth--;
				return safe_event(st, "term \"%.80s\": keyword-like @id \"%.40s\" ignored",
								  term, idv->u.str.s);
			}
			if (!iri_expand(st, b->ctx, idv->u.str.s, false, true, b, &iri))
				return false;
			if (iri == NULL || !(is_keyword(iri) || is_absolute_iri(iri) || is_blank(iri)))
				return fail(st, "invalid IRI mapping", "term \"%.80s\"", term);
			if (strcmp(iri, "@context") == 0)
				return fail(st, "invalid keyword alias", "term \"%.80s\"", term);
			if ((colon && colon[1] != '\0') || strchr(term, '/'))
			{
				const char *e;

				defined_set(b, term, 2);
				if (!iri_expand(st, b->ctx, term, false, true, b, &e))
					return false;
				if (e == NULL || strcmp(e, iri) != 0)
					return fail(st, "invalid IRI mapping",
								"term \"%.80s\" does not expand to its @id", term);
				defined_set(b, term, 1);
			}
			def->iri = iri;
			if (!colon && !strchr(term, '/') && simple)
			{
				char		last = iri[strlen(iri) - 1];

				if (strchr(":/?#[]@", last) || is_blank(iri))
					def->prefix = true;
			}
		}
	}
	else if (colon)
	{
		size_t		plen = colon - term;
		char	   *prefix = jstrndup(st->arena, term, plen);
		const jld_term *pt;

		if (local_get(b, prefix) && strcmp(prefix, "_") != 0 &&
			!(colon[1] == '/' && colon[2] == '/'))
		{
			if (!create_term(st, b, prefix))
				return false;
		}
		pt = ctx_get(b->ctx, prefix);
		if (pt && pt->iri && strcmp(prefix, "_") != 0 &&
			!(colon[1] == '/' && colon[2] == '/'))
			def->iri = str_concat(b->arena, pt->iri, colon + 1);
		else
			def->iri = term;
	}
	else if (strchr(term, '/'))
	{
		const char *iri;

		if (!iri_expand(st, b->ctx, term, false, true, b, &iri))
			return false;
		if (iri == NULL || !is_absolute_iri(iri))
			return fail(st, "invalid IRI mapping", "term \"%.80s\"", term);
		def->iri = iri;
	}
	else if (strcmp(term, "@type") == 0)
		def->iri = "@type";
	else if (b->ctx->vocab)
		def->iri = str_concat(b->arena, b->ctx->vocab, term);
	else
		return fail(st, "invalid IRI mapping",
					"term \"%.80s\" has no IRI and there is no @vocab", term);

	if (value && value->type == MCJ_OBJECT)
	{
		if ((v = mcj_object_get(value, "@container")) != NULL)
		{
			if (!parse_container(v, &def->container))
				return fail(st, "invalid container mapping", "term \"%.80s\"", term);
			if (def->container & C_TYPE)
			{
				if (def->type == NULL)
					def->type = "@id";
				else if (strcmp(def->type, "@id") != 0 && strcmp(def->type, "@vocab") != 0)
					return fail(st, "invalid type mapping", "term \"%.80s\"", term);
			}
		}
		if ((v = mcj_object_get(value, "@index")) != NULL)
		{
			if (!(def->container & C_INDEX) || !str_clean(v) || v->u.str.s[0] == '@')
				return fail(st, "invalid term definition", "term \"%.80s\" @index", term);
			def->index = v->u.str.s;
		}
		if ((v = mcj_object_get(value, "@context")) != NULL)
		{
			const jld_ctx *r;

			r = ctx_process(st, b->ctx, v, b->local_persistent, b->base_url,
							b->remotes, true, true, false);
			if (r == NULL)
			{
				if (strcmp(st->err->code, JSONLD_ERR_LOADING) != 0 &&
					strcmp(st->err->code, JSONLD_ERR_LIMIT) != 0 &&
					strcmp(st->err->code, JSONLD_ERR_SAFE_MODE) != 0)
				{
					char		m[sizeof(st->err->error.message)];

					memcpy(m, st->err->error.message, sizeof(m));
					st->err->code = NULL;
					return fail(st, "invalid scoped context", "term \"%.40s\": %.90s",
								term, m);
				}
				return false;
			}
			def->context = v;
			def->has_context = true;
			def->base_url = b->base_url;
			def->context_persistent = b->local_persistent;
		}
		if ((v = mcj_object_get(value, "@language")) != NULL &&
			!mcj_object_get(value, "@type"))
		{
			if (v->type == MCJ_NULL)
				def->lang = NULL;
			else if (str_clean(v))
			{
				if (!is_wellformed_lang(v->u.str.s) &&
					!safe_event(st, "term \"%.80s\": invalid @language value", term))
					return false;
				def->lang = str_lower(b->arena, v->u.str.s);
			}
			else
				return fail(st, "invalid language mapping", "term \"%.80s\"", term);
			def->has_lang = true;
		}
		if ((v = mcj_object_get(value, "@direction")) != NULL &&
			!mcj_object_get(value, "@type"))
		{
			if (v->type == MCJ_NULL)
				def->dir = NULL;
			else if (mcj_is_string(v, "ltr") || mcj_is_string(v, "rtl"))
				def->dir = v->u.str.s;
			else
				return fail(st, "invalid base direction", "term \"%.80s\"", term);
			def->has_dir = true;
		}
		if ((v = mcj_object_get(value, "@nest")) != NULL)
		{
			if (!str_clean(v) || (is_keyword(v->u.str.s) && strcmp(v->u.str.s, "@nest") != 0))
				return fail(st, "invalid @nest value", "term \"%.80s\"", term);
			def->nest = v->u.str.s;
		}
		if ((v = mcj_object_get(value, "@prefix")) != NULL)
		{
			if ((colon && colon[1] != '\0') || strchr(term, '/'))
				return fail(st, "invalid term definition", "term \"%.80s\" @prefix", term);
			if (v->type != MCJ_TRUE && v->type != MCJ_FALSE)
				return fail(st, "invalid @prefix value", "term \"%.80s\"", term);
			def->prefix = v->type == MCJ_TRUE;
			if (def->prefix && def->iri && is_keyword(def->iri))
				return fail(st, "invalid term definition", "term \"%.80s\" @prefix", term);
		}
	}

	if (!b->override && prev && prev->protected_)
	{
		if (!term_same(def, prev))
			return fail(st, JSONLD_ERR_PROTECTED, "term \"%.80s\"", term);
		def = (jld_term *) prev;
	}

finish:
	ctx_set(b->arena, b->ctx, def);
	defined_set(b, term, 2);
	st->cdepth--;
	return true;
}

/* number of entries in a remote contexts list */
static int
remote_len(const remote_list *r)
{
	return r ? r->len : 0;
}

/* build the context for one context definition (a map) on top of cur */
static jld_ctx *
build_definition(jst *st, const jld_ctx *cur, const mcj_value *def,
				 bool lpers, const char *base_url, const remote_list *remotes,
				 bool override, bool persistent)
{
	jsonld_cache *cache = st->cache;
	const mcj_value *v;
	build		b;
	jld_ctx    *res;

	memset(&b, 0, sizeof(b));
	b.arena = persistent ? cache->arena : st->arena;
	res = ctx_copy(b.arena, cur, persistent);

	if ((v = mcj_object_get(def, "@version")) != NULL)
	{
		if (v->type != MCJ_NUMBER || v->u.num != 1.1)
		{
			fail(st, "invalid @version value", "@version must be 1.1");
			return NULL;
		}
	}
	if ((v = mcj_object_get(def, "@import")) != NULL)
	{
		const char *url;
		const jld_doc *d;
		const mcj_value *ic;
		mcj_value  *merged;

		if (!str_clean(v))
		{
			fail(st, "invalid @import value", "@import must be a string");
			return NULL;
		}
		if (base_url)
			url = iri_resolve(st->arena, base_url, v->u.str.s);
		else if (is_absolute_iri(v->u.str.s))
			url = v->u.str.s;
		else
		{
			fail(st, JSONLD_ERR_LOADING, "relative @import %.80s without base", v->u.str.s);
			return NULL;
		}
		if ((d = load_document(st, url)) == NULL)
			return NULL;
		ic = d->doc->type == MCJ_OBJECT ? mcj_object_get(d->doc, "@context") : NULL;
		if (ic == NULL || ic->type != MCJ_OBJECT)
		{
			fail(st, "invalid remote context", "%.100s", url);
			return NULL;
		}
		if (mcj_object_get(ic, "@import"))
		{
			fail(st, "invalid context entry", "imported context %.80s has @import", url);
			return NULL;
		}
		merged = jobject(b.arena);
		for (size_t i = 0; i < ic->u.obj.n; i++)
		{
			const mcj_member *m = &ic->u.obj.members[i];

			if (!mcj_object_getn(def, m->key, m->keylen))
				mcj_object_add(b.arena, merged, m->key, m->keylen, m->value);
		}
		for (size_t i = 0; i < def->u.obj.n; i++)
		{
			const mcj_member *m = &def->u.obj.members[i];

			mcj_object_add(b.arena, merged, m->key, m->keylen, m->value);
		}
		def = merged;
	}
	if ((v = mcj_object_get(def, "@base")) != NULL && remotes == NULL)
	{
		if (v->type == MCJ_NULL)
			res->base = NULL;
		else if (str_clean(v) && is_absolute_iri(v->u.str.s))
			res->base = jstrndup(b.arena, v->u.str.s, v->u.str.len);
		else if (str_clean(v) && res->base)
			res->base = iri_resolve(b.arena, res->base, v->u.str.s);
		else
		{
			fail(st, "invalid base IRI", "@base %.80s", str_clean(v) ? v->u.str.s : "");
			return NULL;
		}
	}
	b.ctx = res;
	b.local = def;
	b.local_persistent = lpers;
	b.base_url = base_url;
	b.override = override;
	b.remotes = remotes;
	if ((v = mcj_object_get(def, "@vocab")) != NULL)
	{
		if (v->type == MCJ_NULL)
			res->vocab = NULL;
		else if (str_clean(v))
		{
			const char *voc;

			if (!iri_expand(st, res, v->u.str.s, true, true, NULL, &voc))
				return NULL;
			if (voc == NULL || (!is_absolute_iri(voc) && !is_blank(voc) && res->base))
			{
				fail(st, "invalid vocab mapping", "@vocab %.80s", v->u.str.s);
				return NULL;
			}
			if (!is_absolute_iri(voc) && !is_blank(voc) &&
				!safe_event(st, "relative @vocab reference \"%.80s\"", v->u.str.s))
				return NULL;
			res->vocab = jstrndup(b.arena, voc, strlen(voc));
		}
		else
		{
			fail(st, "invalid vocab mapping", "@vocab must be a string or null");
			return NULL;
		}
	}
	if ((v = mcj_object_get(def, "@language")) != NULL)
	{
		if (v->type == MCJ_NULL)
			res->lang = NULL;
		else if (str_clean(v))
		{
			if (!is_wellformed_lang(v->u.str.s) &&
				!safe_event(st, "invalid @language value \"%.80s\"", v->u.str.s))
				return NULL;
			res->lang = str_lower(b.arena, v->u.str.s);
		}
		else
		{
			fail(st, "invalid default language", "@language must be a string or null");
			return NULL;
		}
	}
	if ((v = mcj_object_get(def, "@direction")) != NULL)
	{
		if (v->type == MCJ_NULL)
			res->dir = NULL;
		else if (mcj_is_string(v, "ltr") || mcj_is_string(v, "rtl"))
			res->dir = v->u.str.s;
		else
		{
			fail(st, "invalid base direction", "@direction must be \"ltr\", \"rtl\" or null");
			return NULL;
		}
	}
	if ((v = mcj_object_get(def, "@propagate")) != NULL &&
		v->type != MCJ_TRUE && v->type != MCJ_FALSE)
	{
		fail(st, "invalid @propagate value", "@propagate must be a boolean");
		return NULL;
	}
	if ((v = mcj_object_get(def, "@protected")) != NULL)
	{
		if (v->type != MCJ_TRUE && v->type != MCJ_FALSE)
		{
			fail(st, "invalid @protected value", "@protected must be a boolean");
			return NULL;
		}
		b.protected_default = v->type == MCJ_TRUE;
	}

	/* the defined map */
	b.dcap = 16;
	while (b.dcap < def->u.obj.n * 2 + 2)
		b.dcap *= 2;
	b.dkeys = jalloc(st->arena, sizeof(char *) * b.dcap);
	b.dvals = jalloc(st->arena, sizeof(mcj_value *) * b.dcap);
	b.dstate = jalloc(st->arena, b.dcap);
	memset(b.dkeys, 0, sizeof(char *) * b.dcap);
	memset(b.dstate, 0, b.dcap);
	for (size_t i = 0; i < def->u.obj.n; i++)
	{
		const mcj_member *m = &def->u.obj.members[i];
		uint32_t	j = defined_slot(&b, m->key);

		if (b.dkeys[j] == NULL)
		{
			b.dkeys[j] = m->key;
			b.dvals[j] = m->value;
		}
	}

	for (size_t i = 0; i < def->u.obj.n; i++)
	{
		const mcj_member *m = &def->u.obj.members[i];
		const char *k = m->key;

		if (strlen(k) != m->keylen)
		{
			fail(st, "invalid term definition", "term contains U+0000");
			return NULL;
		}
		if (strcmp(k, "@base") == 0 || strcmp(k, "@direction") == 0 ||
			strcmp(k, "@import") == 0 || strcmp(k, "@language") == 0 ||
			strcmp(k, "@propagate") == 0 || strcmp(k, "@protected") == 0 ||
			strcmp(k, "@version") == 0 || strcmp(k, "@vocab") == 0)
			continue;
		if (!create_term(st, &b, k))
			return NULL;
	}
	return res;
}

/* process one context definition (a map) on top of cur, memoized */
static const jld_ctx *
process_definition(jst *st, const jld_ctx *cur, const mcj_value *def,
				   bool lpers, const char *base_url, const remote_list *remotes,
				   bool override, bool validate)
{
	jsonld_cache *cache = st->cache;
	bool		persistent = validate && cur->persistent && lpers && memo_room(&cache->memo);
	memo_table *mt = persistent ? &cache->memo : (validate ? call_memo(st) : NULL);
	unsigned	flags = (override ? 1 : 0) | (remotes == NULL ? 2 : 0) | (st->safe ? 4 : 0);
	const jld_ctx *r;
	bool		poisoned;

	if (mt)
	{
		r = memo_get(st, mt, cur, MK_LOCAL, def, base_url, flags, &poisoned);
		if (r || poisoned)
			return r;
	}
	if (!persistent && !charge_copy(st, cur))
		return NULL;
	r = build_definition(st, cur, def, lpers, base_url, remotes, override, persistent);
	if (r && mt)
		memo_put(mt, cur, MK_LOCAL, def, base_url, flags, r);
	else if (r == NULL && persistent)
		memo_poison(st, mt, cur, MK_LOCAL, def, base_url, flags);
	return r;
}

/* the initial context for a base IRI (memoized) */
static const jld_ctx *
initial_context(jst *st, const char *base)
{
	jsonld_cache *cache = st->cache;
	const memo_entry *e = memo_find(&cache->memo, NULL, MK_INITIAL, NULL, base, 0);
	const jld_ctx *r = e ? e->result : NULL;
	jld_ctx    *c;
	bool		persistent = memo_room(&cache->memo);
	mcj_arena  *arena = persistent ? cache->arena : st->arena;

	if (r)
		return r;
	c = ctx_new(arena, persistent);
	c->base = base ? jstrndup(arena, base, strlen(base)) : NULL;
	c->original_base = c->base;
	if (persistent)
		memo_put(&cache->memo, NULL, MK_INITIAL, NULL, base, 0, c);
	return c;
}

/* the context processing algorithm (4.1.2); NULL on error */
static const jld_ctx *
ctx_process(jst *st, const jld_ctx *active, const mcj_value *local, bool lpers,
			const char *base_url, const remote_list *remotes, bool override,
			bool propagate, bool validate)
{
	const jld_ctx *cur = active;
	const mcj_value *v;
	size_t		n;

	if (++st->cdepth > st->max_depth)
	{
		fail(st, JSONLD_ERR_LIMIT, "context nesting deeper than %d", st->max_depth);
		return NULL;
	}
	if (local->type == MCJ_OBJECT && (v = mcj_object_get(local, "@propagate")) != NULL)
	{
		if (v->type != MCJ_TRUE && v->type != MCJ_FALSE)
		{
			fail(st, "invalid @propagate value", "@propagate must be a boolean");
			return NULL;
		}
		propagate = v->type == MCJ_TRUE;
	}
	if (!propagate && cur->previous == NULL)
	{
		const jld_ctx *r = NULL;
		bool		persistent = validate && cur->persistent && memo_room(&st->cache->memo);
		memo_table *mt = persistent ? &st->cache->memo : (validate ? call_memo(st) : NULL);

		if (mt)
		{
			const memo_entry *e = memo_find(mt, cur, MK_PREV, NULL, NULL, 0);

			r = e ? e->result : NULL;
		}
		if (r == NULL)
		{
			jld_ctx    *c;

			if (!persistent && !charge_copy(st, cur))
				return NULL;
			c = ctx_copy(persistent ? st->cache->arena : st->arena, cur, persistent);
			c->previous = cur;
			if (mt)
				memo_put(mt, cur, MK_PREV, NULL, NULL, 0, c);
			r = c;
		}
		cur = r;
	}
	n = local->type == MCJ_ARRAY ? local->u.arr.n : 1;
	for (size_t i = 0; i < n; i++)
	{
		const mcj_value *item = local->type == MCJ_ARRAY ? local->u.arr.items[i] : local;

		if (item->type == MCJ_NULL)
		{
			if (!override && ctx_has_protected(cur))
			{
				fail(st, "invalid context nullification",
					 "cannot nullify a context with protected terms");
				return NULL;
			}
			if (propagate)
				cur = initial_context(st, cur->original_base);
			else
			{
				jld_ctx    *c = ctx_new(st->arena, false);

				c->base = c->original_base = cur->original_base;
				c->previous = cur;
				cur = c;
			}
		}
		else if (item->type == MCJ_STRING)
		{
			const char *url;
			const jld_doc *d;
			const jld_ctx *r = NULL;
			remote_list *node;
			unsigned	flags = st->safe ? 1 : 0;

			if (!str_clean(item))
			{
				fail(st, JSONLD_ERR_LOADING, "context URL contains U+0000");
				return NULL;
			}
			if (base_url)
				url = iri_resolve(st->arena, base_url, item->u.str.s);
			else if (is_absolute_iri(item->u.str.s))
				url = item->u.str.s;
			else
			{
				fail(st, JSONLD_ERR_LOADING, "relative context URL %.80s without base",
					 item->u.str.s);
				return NULL;
			}
			if (!validate)
			{
				const remote_list *p;

				for (p = remotes; p; p = p->next)
					if (strcmp(p->url, url) == 0)
						break;
				if (p)
					continue;
			}
			if (remote_len(remotes) >= MAX_REMOTE_CONTEXTS)
			{
				fail(st, "context overflow", "more than %d remote contexts (%.80s)",
					 MAX_REMOTE_CONTEXTS, url);
				return NULL;
			}
			node = jalloc(st->arena, sizeof(remote_list));
			node->url = url;
			node->next = remotes;
			node->len = remote_len(remotes) + 1;
			remotes = node;
			if (validate)
			{
				bool		poisoned;

				r = memo_get(st, cur->persistent ? &st->cache->memo : call_memo(st),
							 cur, MK_URL, NULL, url, flags, &poisoned);
				if (poisoned)
					return NULL;
			}
			if (r == NULL)
			{
				const mcj_value *dc;

				if ((d = load_document(st, url)) == NULL)
					return NULL;
				dc = d->doc->type == MCJ_OBJECT ? mcj_object_get(d->doc, "@context") : NULL;
				if (dc == NULL || !(dc->type == MCJ_OBJECT || dc->type == MCJ_ARRAY ||
									dc->type == MCJ_STRING || dc->type == MCJ_NULL))
				{
					fail(st, "invalid remote context", "%.100s", url);
					return NULL;
				}
				r = ctx_process(st, cur, dc, true, d->url, remotes, false, true, validate);
				if (r == NULL)
				{
					if (validate && cur->persistent)
						memo_poison(st, &st->cache->memo, cur, MK_URL, NULL, url, flags);
					return NULL;
				}
				if (validate && cur->persistent && r->persistent)
					memo_put(&st->cache->memo, cur, MK_URL, NULL, url, flags, r);
				else if (validate)
					memo_put(call_memo(st), cur, MK_URL, NULL, url, flags, r);
			}
			cur = r;
		}
		else if (item->type == MCJ_OBJECT)
		{
			cur = process_definition(st, cur, item, lpers, base_url, remotes,
									 override, validate);
			if (cur == NULL)
				return NULL;
		}
		else
		{
			fail(st, "invalid local context", "a context must be a map, string or null");
			return NULL;
		}
	}
	st->cdepth--;
	return cur;
}

/* ------------------------------------------------------------------------
 * Expansion (JSON-LD 1.1 API, 5.1 and 5.3)
 * ------------------------------------------------------------------------
 */

/* count one produced value against the size limit */
static bool
count_node(jst *st)
{
	if (++st->nodes > st->max_nodes)
		return fail(st, JSONLD_ERR_LIMIT, "document expands to more than %zu values",
					st->max_nodes);
	return true;
}

/* make v an array (wrapping non-arrays) */
static mcj_value *
as_array(jst *st, mcj_value *v)
{
	mcj_value  *a;

	if (v->type == MCJ_ARRAY)
		return v;
	a = jarray(st->arena);
	mcj_array_append(st->arena, a, v);
	return a;
}

/* append v (array items, or v itself) to the array entry key of obj */
static void
add_value(jst *st, mcj_value *obj, const char *key, mcj_value *v)
{
	mcj_value  *cur = mcj_object_get(obj, key);

	if (cur == NULL)
	{
		cur = jarray(st->arena);
		mcj_object_add(st->arena, obj, key, strlen(key), cur);
	}
	else if (cur->type != MCJ_ARRAY)
	{
		mcj_value  *a = jarray(st->arena);

		mcj_array_append(st->arena, a, cur);
		mcj_object_set(st->arena, obj, key, a);
		cur = a;
	}
	if (v->type == MCJ_ARRAY)
	{
		for (size_t i = 0; i < v->u.arr.n; i++)
			mcj_array_append(st->arena, cur, v->u.arr.items[i]);
	}
	else
		mcj_array_append(st->arena, cur, v);
}

/* expand a key with vocab = true */
static bool
expand_key(jst *st, const jld_ctx *actx, const char *key, const char **out)
{
	return iri_expand(st, actx, key, false, true, NULL, out);
}

/* a value object? */
static bool
is_value_object(const mcj_value *v)
{
	return v->type == MCJ_OBJECT && mcj_object_get(v, "@value") != NULL;
}

/* a list object? */
static bool
is_list_object(const mcj_value *v)
{
	return v->type == MCJ_OBJECT && mcj_object_get(v, "@list") != NULL;
}

/* a graph object (only @graph, @id, @index)? */
static bool
is_graph_object(const mcj_value *v)
{
	if (v->type != MCJ_OBJECT || mcj_object_get(v, "@graph") == NULL)
		return false;
	for (size_t i = 0; i < v->u.obj.n; i++)
	{
		const char *k = v->u.obj.members[i].key;

		if (strcmp(k, "@graph") && strcmp(k, "@id") && strcmp(k, "@index") &&
			strcmp(k, "@context"))
			return false;
	}
	return true;
}

/* the value expansion algorithm (5.3.2); NULL on error */
static mcj_value *
value_expand(jst *st, const jld_ctx *actx, const char *aprop, const mcj_value *value)
{
	const jld_term *t = aprop ? ctx_get(actx, aprop) : NULL;
	mcj_value  *r;

	if (t && t->type && value->type == MCJ_STRING &&
		(strcmp(t->type, "@id") == 0 || strcmp(t->type, "@vocab") == 0))
	{
		const char *iri;
		bool		vocab = strcmp(t->type, "@vocab") == 0;

		if (!str_clean(value))
		{
			fail(st, "invalid @id value", "IRI contains U+0000");
			return NULL;
		}
		if (!iri_expand(st, actx, value->u.str.s, true, vocab, NULL, &iri))
			return NULL;
		if (iri == NULL)
		{
			if (!safe_event(st, "property \"%.60s\": reserved @id value \"%.40s\"",
							aprop, value->u.str.s))
				return NULL;
			r = jobject(st->arena);
			mcj_object_add(st->arena, r, "@id", 3, jnull(st->arena));
			return r;
		}
		if (!is_absolute_iri(iri) && !is_blank(iri) &&
			!safe_event(st, "property \"%.60s\": relative IRI \"%.60s\" cannot be made absolute",
						aprop, iri))
			return NULL;
		r = jobject(st->arena);
		mcj_object_add(st->arena, r, "@id", 3, jcstring(st->arena, iri));
		return r;
	}
	r = jobject(st->arena);
	mcj_object_add(st->arena, r, "@value", 6, (mcj_value *) value);
	if (t && t->type && strcmp(t->type, "@id") != 0 && strcmp(t->type, "@vocab") != 0 &&
		strcmp(t->type, "@none") != 0)
		mcj_object_add(st->arena, r, "@type", 5, jcstring(st->arena, t->type));
	else if (value->type == MCJ_STRING)
	{
		const char *lang = (t && t->has_lang) ? t->lang : actx->lang;
		const char *dir = (t && t->has_dir) ? t->dir : actx->dir;

		if (lang)
			mcj_object_add(st->arena, r, "@language", 9, jcstring(st->arena, lang));
		if (dir)
			mcj_object_add(st->arena, r, "@direction", 10, jcstring(st->arena, dir));
	}
	return r;
}

static bool expand(jst *st, const jld_ctx *actx, const char *aprop,
				   const mcj_value *el, const char *base_url, bool from_map,
				   int depth, mcj_value **out);

/* hash index of the members of a result map: key -> member position */
typedef struct res_index
{
	const char **keys;
	size_t	   *pos;
	uint32_t	cap;
	uint32_t	n;
} res_index;

/* state shared by the key loop of one node (steps 12 to 14) */
typedef struct node_exp
{
	res_index  *ri;
	const jld_ctx *actx;
	const jld_ctx *type_ctx;
	const char *aprop;
	const char *base_url;
	const char *input_type;
	mcj_value  *result;
	int			depth;
} node_exp;

/* slot of key in the result index */
static uint32_t
ri_slot(const res_index *ri, const char *key)
{
	uint32_t	mask = ri->cap - 1;
	uint32_t	i = hash_bytes(key, strlen(key)) & mask;

	while (ri->keys[i] && strcmp(ri->keys[i], key) != 0)
		i = (i + 1) & mask;
	return i;
}

/* a new result index sized for about n keys */
static res_index *
ri_new(jst *st, size_t n)
{
	res_index  *ri = jalloc(st->arena, sizeof(res_index));

	ri->cap = 16;
	while (ri->cap < n * 2 + 2)
		ri->cap *= 2;
	ri->n = 0;
	ri->keys = jalloc(st->arena, sizeof(char *) * ri->cap);
	ri->pos = jalloc(st->arena, sizeof(size_t) * ri->cap);
	memset(ri->keys, 0, sizeof(char *) * ri->cap);
	return ri;
}

/* value of the result member key, or NULL */
static mcj_value *
res_get(node_exp *ne, const char *key)
{
	uint32_t	i;

	if (ne->ri == NULL)
		return mcj_object_get(ne->result, key);
	i = ri_slot(ne->ri, key);

	return ne->ri->keys[i] ? ne->result->u.obj.members[ne->ri->pos[i]].value : NULL;
}

/* set the result member key (replacing or appending) */
static void
res_set(jst *st, node_exp *ne, const char *key, mcj_value *v)
{
	res_index  *ri = ne->ri;
	uint32_t	i;

	if (ri == NULL)
	{
		/* small map: linear access, switching to the index when it grows */
		if (ne->result->u.obj.n < 12)
		{
			mcj_object_set(st->arena, ne->result, key, v);
			return;
		}
		ri = ne->ri = ri_new(st, ne->result->u.obj.n * 2);
		for (size_t k = 0; k < ne->result->u.obj.n; k++)
		{
			uint32_t	j = ri_slot(ri, ne->result->u.obj.members[k].key);

			ri->keys[j] = ne->result->u.obj.members[k].key;
			ri->pos[j] = k;
			ri->n++;
		}
	}
	i = ri_slot(ri, key);
	if (ri->keys[i])
	{
		ne->result->u.obj.members[ri->pos[i]].value = v;
		return;
	}
	if ((ri->n + 1) * 2 > ri->cap)
	{
		uint32_t	ocap = ri->cap;
		const char **okeys = ri->keys;
		size_t	   *opos = ri->pos;

		ri->cap *= 2;
		ri->keys = jalloc(st->arena, sizeof(char *) * ri->cap);
		ri->pos = jalloc(st->arena, sizeof(size_t) * ri->cap);
		memset(ri->keys, 0, sizeof(char *) * ri->cap);
		for (uint32_t j = 0; j < ocap; j++)
		{
			if (okeys[j])
			{
				uint32_t	k = ri_slot(ri, okeys[j]);

				ri->keys[k] = okeys[j];
				ri->pos[k] = opos[j];
			}
		}
		i = ri_slot(ri, key);
	}
	mcj_object_add(st->arena, ne->result, key, strlen(key), v);
	ri->keys[i] = ne->result->u.obj.members[ne->result->u.obj.n - 1].key;
	ri->pos[i] = ne->result->u.obj.n - 1;
	ri->n++;
}

/* append v (array items, or v itself) to the array member key of the result */
static void
res_add_value(jst *st, node_exp *ne, const char *key, mcj_value *v)
{
	mcj_value  *cur = res_get(ne, key);

	if (cur == NULL)
	{
		cur = jarray(st->arena);
		res_set(st, ne, key, cur);
	}
	else if (cur->type != MCJ_ARRAY)
	{
		mcj_value  *a = jarray(st->arena);

		mcj_array_append(st->arena, a, cur);
		res_set(st, ne, key, a);
		cur = a;
	}
	if (v->type == MCJ_ARRAY)
	{
		for (size_t i = 0; i < v->u.arr.n; i++)
			mcj_array_append(st->arena, cur, v->u.arr.items[i]);
	}
	else
		mcj_array_append(st->arena, cur, v);
}

/* process an index, id, type or language map (step 13.7, 13.8) */
static bool
expand_map_container(jst *st, node_exp *ne, const char *key, const jld_term *t,
					 const mcj_value *value, mcj_value **out)
{
	const jld_ctx *actx = ne->actx;
	mcj_value  *ev = jarray(st->arena);
	unsigned	cont = t->container;

	if (cont & C_LANGUAGE)
	{
		const char *dir = t->has_dir ? t->dir : actx->dir;

		for (size_t i = 0; i < value->u.obj.n; i++)
		{
			const mcj_member *m = &value->u.obj.members[i];
			const mcj_value *lv = m->value;
			size_t		n = lv->type == MCJ_ARRAY ? lv->u.arr.n : 1;
			const char *lexp;

			if (!expand_key(st, actx, m->key, &lexp))
				return false;
			for (size_t j = 0; j < n; j++)
			{
				const mcj_value *item = lv->type == MCJ_ARRAY ? lv->u.arr.items[j] : lv;
				mcj_value  *o;

				if (item->type == MCJ_NULL)
					continue;
				if (item->type != MCJ_STRING)
					return fail(st, "invalid language map value", "property \"%.80s\"", key);
				if (!count_node(st))
					return false;
				o = jobject(st->arena);
				mcj_object_add(st->arena, o, "@value", 6, (mcj_value *) item);
				if (strcmp(m->key, "@none") != 0 && !(lexp && strcmp(lexp, "@none") == 0))
				{
					if (!is_wellformed_lang(m->key) &&
						!safe_event(st, "property \"%.60s\": invalid language \"%.40s\"",
									key, m->key))
						return false;
					mcj_object_add(st->arena, o, "@language", 9,
								   jcstring(st->arena, str_lower(st->arena, m->key)));
				}
				if (dir)
					mcj_object_add(st->arena, o, "@direction", 10, jcstring(st->arena, dir));
				mcj_array_append(st->arena, ev, o);
			}
		}
		*out = ev;
		return true;
	}

	/* index, id or type map */
	{
		const char *index_key = t->index ? t->index : "@index";

		for (size_t i = 0; i < value->u.obj.n; i++)
		{
			const mcj_member *m = &value->u.obj.members[i];
			const char *index = m->key;
			const jld_ctx *map_ctx = actx;
			const char *eindex;
			mcj_value  *iv;

			if ((cont & (C_ID | C_TYPE)) && actx->previous)
				map_ctx = actx->previous;
			if (cont & C_TYPE)
			{
				const jld_term *it = ctx_get(map_ctx, index);

				if (it && it->has_context)
				{
					map_ctx = ctx_process(st, map_ctx, it->context, it->context_persistent,
										  it->base_url, NULL, false, true, true);
					if (map_ctx == NULL)
						return false;
				}
			}
			else
				map_ctx = actx;
			if (!expand_key(st, actx, index, &eindex))
				return false;
			if (!expand(st, map_ctx, key, m->value, ne->base_url, true, ne->depth + 1, &iv))
				return false;
			if (iv == NULL)
				continue;
			iv = as_array(st, iv);
			for (size_t j = 0; j < iv->u.arr.n; j++)
			{
				mcj_value  *item = iv->u.arr.items[j];
				bool		none = eindex && strcmp(eindex, "@none") == 0;

				if ((cont & C_GRAPH) && !is_graph_object(item))
				{
					mcj_value  *g = jobject(st->arena);

					mcj_object_add(st->arena, g, "@graph", 6, as_array(st, item));
					item = g;
				}
				if ((cont & C_INDEX) && strcmp(index_key, "@index") != 0 && !none)
				{
					mcj_value  *s = jcstring(st->arena, index);
					mcj_value  *re = value_expand(st, actx, index_key, s);
					const char *eik;
					mcj_value  *vals;
					mcj_value  *old;

					if (re == NULL)
						return false;
					if (!expand_key(st, actx, index_key, &eik))
						return false;
					if (eik == NULL)
						return fail(st, "invalid term definition", "index key \"%.80s\"", index_key);
					if (item->type != MCJ_OBJECT || is_value_object(item))
						return fail(st, "invalid value object",
									"property \"%.60s\" property-valued index on a value", key);
					vals = jarray(st->arena);
					mcj_array_append(st->arena, vals, re);
					old = mcj_object_get(item, eik);
					if (old)
					{
						mcj_value  *oa = as_array(st, old);

						for (size_t k = 0; k < oa->u.arr.n; k++)
							mcj_array_append(st->arena, vals, oa->u.arr.items[k]);
					}
					mcj_object_set(st->arena, item, eik, vals);
				}
				else if ((cont & C_INDEX) && !none && item->type == MCJ_OBJECT &&
						 !mcj_object_get(item, "@index"))
					mcj_object_add(st->arena, item, "@index", 6, jcstring(st->arena, index));
				else if ((cont & C_ID) && !none && item->type == MCJ_OBJECT &&
						 !mcj_object_get(item, "@id"))
				{
					const char *id;

					if (!iri_expand(st, actx, index, true, false, NULL, &id))
						return false;
					if (id == NULL)
					{
						if (!safe_event(st, "property \"%.60s\": reserved @id value", key))
							return false;
					}
					else
					{
						if (!is_absolute_iri(id) && !is_blank(id) &&
							!safe_event(st, "property \"%.60s\": relative @id \"%.60s\"", key, id))
							return false;
						mcj_object_add(st->arena, item, "@id", 3, jcstring(st->arena, id));
					}
				}
				else if ((cont & C_TYPE) && !none && eindex == NULL)
				{
					if (!safe_event(st, "property \"%.60s\": type map key \"%.40s\" ignored",
									key, index))
						return false;
				}
				else if ((cont & C_TYPE) && !none && item->type == MCJ_OBJECT)
				{
					mcj_value  *types = jarray(st->arena);
					mcj_value  *old = mcj_object_get(item, "@type");

					if (!is_absolute_iri(eindex) && !is_blank(eindex) &&
						!safe_event(st, "property \"%.60s\": type \"%.60s\" is not an absolute IRI",
									key, eindex))
						return false;
					mcj_array_append(st->arena, types, jcstring(st->arena, eindex));
					if (old)
					{
						mcj_value  *oa = as_array(st, old);

						for (size_t k = 0; k < oa->u.arr.n; k++)
							mcj_array_append(st->arena, types, oa->u.arr.items[k]);
						mcj_object_set(st->arena, item, "@type", types);
					}
					else
						mcj_object_add(st->arena, item, "@type", 5, types);
				}
				mcj_array_append(st->arena, ev, item);
			}
		}
	}
	*out = ev;
	return true;
}

/* expand the entries of one map into ne->result (steps 13 and 14) */
static bool
expand_entries(jst *st, node_exp *ne, const mcj_value *el, int nest_depth)
{
	const jld_ctx *actx = ne->actx;
	const mcj_member **nests = NULL;
	size_t		nnests = 0;

	if (nest_depth > st->max_depth)
		return fail(st, JSONLD_ERR_LIMIT, "@nest deeper than %d", st->max_depth);

	for (size_t i = 0; i < el->u.obj.n; i++)
	{
		const mcj_member *m = &el->u.obj.members[i];
		const char *key = m->key;
		const mcj_value *value = m->value;
		const char *ep;
		mcj_value  *ev = NULL;
		const jld_term *t;

		if (strcmp(key, "@context") == 0)
			continue;
		if (!expand_key(st, actx, key, &ep))
			return false;
		if (ep == NULL || (!strchr(ep, ':') && !is_keyword(ep)))
		{
			if (!safe_event(st, "term \"%.80s\" is not defined and would be dropped", key))
				return false;
			continue;
		}
		if (is_keyword(ep))
		{
			if (ne->aprop && strcmp(ne->aprop, "@reverse") == 0)
				return fail(st, "invalid reverse property map",
							"keyword %.40s in a reverse map", ep);
			if (res_get(ne, ep) && strcmp(ep, "@included") != 0 &&
				strcmp(ep, "@type") != 0)
				return fail(st, "colliding keywords", "%.40s (key \"%.60s\")", ep, key);
			if (strcmp(ep, "@id") == 0)
			{
				const char *id;

				if (!str_clean(value))
					return fail(st, "invalid @id value", "key \"%.80s\"", key);
				if (!iri_expand(st, actx, value->u.str.s, true, false, NULL, &id))
					return false;
				if (id == NULL)
				{
					if (!safe_event(st, "reserved @id value \"%.60s\"", value->u.str.s))
						return false;
					ev = jnull(st->arena);
				}
				else
				{
					if (!is_absolute_iri(id) && !is_blank(id) &&
						!safe_event(st, "relative @id \"%.80s\" cannot be made absolute", id))
						return false;
					ev = jcstring(st->arena, id);
				}
			}
			else if (strcmp(ep, "@type") == 0)
			{
				size_t		n = value->type == MCJ_ARRAY ? value->u.arr.n : 1;
				mcj_value  *types = jarray(st->arena);
				mcj_value  *old;

				if (value->type != MCJ_ARRAY && value->type != MCJ_STRING)
					return fail(st, "invalid type value", "key \"%.80s\"", key);
				for (size_t j = 0; j < n; j++)
				{
					const mcj_value *tv = value->type == MCJ_ARRAY ? value->u.arr.items[j] : value;
					const char *ti;

					if (!str_clean(tv))
						return fail(st, "invalid type value", "key \"%.80s\"", key);
					if (!iri_expand(st, ne->type_ctx, tv->u.str.s, true, true, NULL, &ti))
						return false;
					if (ti == NULL)
					{
						if (!safe_event(st, "type \"%.80s\" would be dropped", tv->u.str.s))
							return false;
						continue;
					}
					if (!is_absolute_iri(ti) && !is_blank(ti) && !is_keyword(ti) &&
						!safe_event(st, "type \"%.80s\" does not expand to an absolute IRI",
									tv->u.str.s))
						return false;
					mcj_array_append(st->arena, types, jcstring(st->arena, ti));
				}
				if (value->type == MCJ_STRING && types->u.arr.n == 1)
					ev = types->u.arr.items[0];
				else
					ev = types;
				if ((old = res_get(ne, "@type")) != NULL)
				{
					mcj_value  *all = jarray(st->arena);
					mcj_value  *oa = as_array(st, old);

					for (size_t k = 0; k < oa->u.arr.n; k++)
						mcj_array_append(st->arena, all, oa->u.arr.items[k]);
					ev = as_array(st, ev);
					for (size_t k = 0; k < ev->u.arr.n; k++)
						mcj_array_append(st->arena, all, ev->u.arr.items[k]);
					res_set(st, ne, "@type", all);
					continue;
				}
			}
			else if (strcmp(ep, "@graph") == 0)
			{
				if (!expand(st, actx, "@graph", value, ne->base_url, false, ne->depth + 1, &ev))
					return false;
				ev = ev ? as_array(st, ev) : jarray(st->arena);
			}
			else if (strcmp(ep, "@included") == 0)
			{
				mcj_value  *old;

				if (!expand(st, actx, "@included", value, ne->base_url, false, ne->depth + 1, &ev))
					return false;
				ev = ev ? as_array(st, ev) : jarray(st->arena);
				for (size_t k = 0; k < ev->u.arr.n; k++)
				{
					const mcj_value *it = ev->u.arr.items[k];

					if (it->type != MCJ_OBJECT || is_value_object(it) || is_list_object(it) ||
						mcj_object_get(it, "@set"))
						return fail(st, "invalid @included value", "key \"%.80s\"", key);
				}
				if ((old = res_get(ne, "@included")) != NULL)
				{
					res_add_value(st, ne, "@included", ev);
					continue;
				}
			}
			else if (strcmp(ep, "@value") == 0)
			{
				if (ne->input_type && strcmp(ne->input_type, "@json") == 0)
					ev = (mcj_value *) value;
				else if (value->type == MCJ_OBJECT || value->type == MCJ_ARRAY)
					return fail(st, "invalid value object value", "key \"%.80s\"", key);
				else
					ev = (mcj_value *) value;
				res_set(st, ne, "@value", ev);
				continue;
			}
			else if (strcmp(ep, "@language") == 0)
			{
				if (!str_clean(value))
					return fail(st, "invalid language-tagged string", "key \"%.80s\"", key);
				if (!is_wellformed_lang(value->u.str.s) &&
					!safe_event(st, "invalid @language value \"%.60s\"", value->u.str.s))
					return false;
				ev = jcstring(st->arena, str_lower(st->arena, value->u.str.s));
			}
			else if (strcmp(ep, "@direction") == 0)
			{
				if (!(mcj_is_string(value, "ltr") || mcj_is_string(value, "rtl")))
					return fail(st, "invalid base direction", "key \"%.80s\"", key);
				ev = (mcj_value *) value;
			}
			else if (strcmp(ep, "@index") == 0)
			{
				if (value->type != MCJ_STRING)
					return fail(st, "invalid @index value", "key \"%.80s\"", key);
				ev = (mcj_value *) value;
			}
			else if (strcmp(ep, "@list") == 0)
			{
				if (ne->aprop == NULL || strcmp(ne->aprop, "@graph") == 0)
				{
					if (!safe_event(st, "free-floating @list would be dropped"))
						return false;
					continue;
				}
				if (!expand(st, actx, ne->aprop, value, ne->base_url, false, ne->depth + 1, &ev))
					return false;
				ev = ev ? as_array(st, ev) : jarray(st->arena);
			}
			else if (strcmp(ep, "@set") == 0)
			{
				if (!expand(st, actx, ne->aprop, value, ne->base_url, false, ne->depth + 1, &ev))
					return false;
				if (ev == NULL)
					ev = jarray(st->arena);
			}
			else if (strcmp(ep, "@reverse") == 0)
			{
				mcj_value  *rv;

				if (value->type != MCJ_OBJECT)
					return fail(st, "invalid @reverse value", "key \"%.80s\"", key);
				if (!expand(st, actx, "@reverse", value, ne->base_url, false, ne->depth + 1, &ev))
					return false;
				if (ev == NULL || ev->type != MCJ_OBJECT)
					continue;
				if ((rv = mcj_object_get(ev, "@reverse")) != NULL && rv->type == MCJ_OBJECT)
				{
					for (size_t k = 0; k < rv->u.obj.n; k++)
						res_add_value(st, ne, rv->u.obj.members[k].key, rv->u.obj.members[k].value);
				}
				for (size_t k = 0; k < ev->u.obj.n; k++)
				{
					const mcj_member *pm = &ev->u.obj.members[k];
					mcj_value  *rmap;
					mcj_value  *items;

					if (strcmp(pm->key, "@reverse") == 0)
						continue;
					rmap = res_get(ne, "@reverse");
					if (rmap == NULL)
					{
						rmap = jobject(st->arena);
						res_set(st, ne, "@reverse", rmap);
					}
					items = as_array(st, pm->value);
					for (size_t q = 0; q < items->u.arr.n; q++)
					{
						if (is_value_object(items->u.arr.items[q]) ||
							is_list_object(items->u.arr.items[q]))
							return fail(st, "invalid reverse property value",
										"property \"%.80s\"", pm->key);
					}
					add_value(st, rmap, pm->key, items);
				}
				continue;
			}
			else if (strcmp(ep, "@nest") == 0)
			{
				if (nests == NULL)
					nests = jalloc(st->arena, sizeof(mcj_member *) * el->u.obj.n);
				nests[nnests++] = m;
				continue;
			}
			else
				continue;		/* framing keywords and @context-like keys */
			if (ev != NULL)
				res_set(st, ne, ep, ev);
			continue;
		}

		/* a property */
		t = ctx_get(actx, key);
		if (t && t->type && strcmp(t->type, "@json") == 0)
		{
			ev = jobject(st->arena);
			mcj_object_add(st->arena, ev, "@value", 6, (mcj_value *) value);
			mcj_object_add(st->arena, ev, "@type", 5, jcstring(st->arena, "@json"));
		}
		else if (t && (t->container & (C_LANGUAGE | C_INDEX | C_TYPE | C_ID)) &&
				 value->type == MCJ_OBJECT)
		{
			if (!expand_map_container(st, ne, key, t, value, &ev))
				return false;
		}
		else
		{
			if (!expand(st, actx, key, value, ne->base_url, false, ne->depth + 1, &ev))
				return false;
		}
		if (ev == NULL)
			continue;
		if (t && (t->container & C_LIST) && !is_list_object(ev))
		{
			mcj_value  *l = jobject(st->arena);

			mcj_object_add(st->arena, l, "@list", 5, as_array(st, ev));
			ev = l;
		}
		if (t && (t->container & C_GRAPH) && !(t->container & (C_ID | C_INDEX)))
		{
			mcj_value  *arr = as_array(st, ev);
			mcj_value  *wrapped = jarray(st->arena);

			for (size_t k = 0; k < arr->u.arr.n; k++)
			{
				mcj_value  *g = jobject(st->arena);

				mcj_object_add(st->arena, g, "@graph", 6, as_array(st, arr->u.arr.items[k]));
				mcj_array_append(st->arena, wrapped, g);
			}
			ev = wrapped;
		}
		if (t && t->reverse)
		{
			mcj_value  *rmap = res_get(ne, "@reverse");
			mcj_value  *items = as_array(st, ev);

			if (rmap == NULL)
			{
				rmap = jobject(st->arena);
				res_set(st, ne, "@reverse", rmap);
			}
			for (size_t q = 0; q < items->u.arr.n; q++)
			{
				if (is_value_object(items->u.arr.items[q]) || is_list_object(items->u.arr.items[q]))
					return fail(st, "invalid reverse property value", "property \"%.80s\"", key);
			}
			add_value(st, rmap, ep, items);
		}
		else
			res_add_value(st, ne, ep, ev);
	}

	/* step 14: nested properties */
	for (size_t i = 0; i < nnests; i++)
	{
		const mcj_value *nv = nests[i]->value;
		size_t		n = nv->type == MCJ_ARRAY ? nv->u.arr.n : 1;

		for (size_t j = 0; j < n; j++)
		{
			const mcj_value *item = nv->type == MCJ_ARRAY ? nv->u.arr.items[j] : nv;

			if (item->type != MCJ_OBJECT)
				return fail(st, "invalid @nest value", "key \"%.80s\"", nests[i]->key);
			for (size_t k = 0; k < item->u.obj.n; k++)
			{
				const char *e;

				if (!expand_key(st, actx, item->u.obj.members[k].key, &e))
					return false;
				if (e && strcmp(e, "@value") == 0)
					return fail(st, "invalid @nest value", "key \"%.80s\"", nests[i]->key);
			}
			{
				node_exp	sub = *ne;
				const jld_term *nt = ctx_get(actx, nests[i]->key);

				if (nt && nt->has_context)
				{
					sub.actx = ctx_process(st, actx, nt->context, nt->context_persistent,
										   nt->base_url, NULL, true, true, true);
					if (sub.actx == NULL)
						return false;
				}
				if (!expand_entries(st, &sub, item, nest_depth + 1))
					return false;
			}
		}
	}
	return true;
}

/* compare C strings for qsort */
static int
cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* the expansion algorithm (5.1.2); *out NULL means null */
static bool
expand(jst *st, const jld_ctx *actx, const char *aprop, const mcj_value *el,
	   const char *base_url, bool from_map, int depth, mcj_value **out)
{
	const jld_term *pt;
	const jld_ctx *type_ctx;
	mcj_value  *v;
	node_exp	ne;
	mcj_value  *result;
	size_t		n;

	MC_CHECK_INTERRUPTS();
	*out = NULL;
	if (depth > st->max_depth)
		return fail(st, JSONLD_ERR_LIMIT, "document nested deeper than %d", st->max_depth);
	if (!count_node(st))
		return false;
	if (el->type == MCJ_NULL)
		return true;
	pt = aprop ? ctx_get(actx, aprop) : NULL;

	if (el->type != MCJ_ARRAY && el->type != MCJ_OBJECT)
	{
		if (aprop == NULL || strcmp(aprop, "@graph") == 0)
			return safe_event(st, "free-floating value would be dropped");
		if (pt && pt->has_context)
		{
			actx = ctx_process(st, actx, pt->context, pt->context_persistent,
							   pt->base_url, NULL, true, true, true);
			if (actx == NULL)
				return false;
		}
		*out = value_expand(st, actx, aprop, el);
		return *out != NULL;
	}
	if (el->type == MCJ_ARRAY)
	{
		mcj_value  *r = jarray(st->arena);

		for (size_t i = 0; i < el->u.arr.n; i++)
		{
			mcj_value  *e;

			if (!expand(st, actx, aprop, el->u.arr.items[i], base_url, from_map, depth + 1, &e))
				return false;
			if (e == NULL)
				continue;
			if (pt && (pt->container & C_LIST) && e->type == MCJ_ARRAY)
			{
				mcj_value  *l = jobject(st->arena);

				mcj_object_add(st->arena, l, "@list", 5, e);
				e = l;
			}
			if (e->type == MCJ_ARRAY)
			{
				for (size_t j = 0; j < e->u.arr.n; j++)
					mcj_array_append(st->arena, r, e->u.arr.items[j]);
			}
			else
				mcj_array_append(st->arena, r, e);
		}
		*out = r;
		return true;
	}

	/* a map: step 7, revert a non-propagated context */
	if (actx->previous && !from_map)
	{
		bool		revert = true;
		size_t		nid = 0;

		for (size_t i = 0; i < el->u.obj.n; i++)
		{
			const char *e;

			if (!expand_key(st, actx, el->u.obj.members[i].key, &e))
				return false;
			if (e && strcmp(e, "@value") == 0)
				revert = false;
			if (e && strcmp(e, "@id") == 0)
				nid++;
		}
		if (el->u.obj.n == 1 && nid == 1)
			revert = false;
		if (revert)
			actx = actx->previous;
	}
	/* step 8: property-scoped context */
	if (pt && pt->has_context)
	{
		actx = ctx_process(st, actx, pt->context, pt->context_persistent,
						   pt->base_url, NULL, true, true, true);
		if (actx == NULL)
			return false;
	}
	/* step 9: embedded context */
	if ((v = mcj_object_get(el, "@context")) != NULL)
	{
		actx = ctx_process(st, actx, v, false, base_url, NULL, false, true, true);
		if (actx == NULL)
			return false;
	}
	/* steps 10-12: type-scoped contexts and input type */
	type_ctx = actx;
	ne.input_type = NULL;
	{
		const char **tkeys = NULL;
		size_t		ntk = 0;

		n = el->u.obj.n;
		for (size_t i = 0; i < n; i++)
		{
			const char *e;

			if (!expand_key(st, actx, el->u.obj.members[i].key, &e))
				return false;
			if (e && strcmp(e, "@type") == 0)
			{
				if (tkeys == NULL)
					tkeys = jalloc(st->arena, sizeof(char *) * n);
				tkeys[ntk++] = el->u.obj.members[i].key;
			}
		}
		if (ntk > 1)
			qsort(tkeys, ntk, sizeof(char *), cmp_cstr);
		for (size_t i = 0; i < ntk; i++)
		{
			const mcj_value *tv = mcj_object_get(el, tkeys[i]);
			size_t		nt = tv->type == MCJ_ARRAY ? tv->u.arr.n : 1;
			const char **terms = jalloc(st->arena, sizeof(char *) * (nt + 1));
			size_t		nterms = 0;

			for (size_t j = 0; j < nt; j++)
			{
				const mcj_value *one = tv->type == MCJ_ARRAY ? tv->u.arr.items[j] : tv;

				if (str_clean(one))
					terms[nterms++] = one->u.str.s;
			}
			if (nterms > 1)
				qsort(terms, nterms, sizeof(char *), cmp_cstr);
			for (size_t j = 0; j < nterms; j++)
			{
				const jld_term *tt = ctx_get(type_ctx, terms[j]);

				if (tt && tt->has_context)
				{
					actx = ctx_process(st, actx, tt->context, tt->context_persistent,
									   tt->base_url, NULL, false, false, true);
					if (actx == NULL)
						return false;
				}
			}
			if (i == 0 && nt > 0)
			{
				const mcj_value *last = tv->type == MCJ_ARRAY ? tv->u.arr.items[nt - 1] : tv;

				if (str_clean(last))
				{
					if (!expand_key(st, actx, last->u.str.s, &ne.input_type))
						return false;
				}
			}
		}
	}

	result = jobject(st->arena);
	ne.actx = actx;
	ne.type_ctx = type_ctx;
	ne.aprop = aprop;
	ne.base_url = base_url;
	ne.result = result;
	ne.ri = el->u.obj.n > 12 ? ri_new(st, el->u.obj.n) : NULL;
	ne.depth = depth;
	if (!expand_entries(st, &ne, el, 0))
		return false;

	/* step 15: value objects */
	if ((v = mcj_object_get(result, "@value")) != NULL)
	{
		const mcj_value *ty = mcj_object_get(result, "@type");

		for (size_t i = 0; i < result->u.obj.n; i++)
		{
			const char *k = result->u.obj.members[i].key;

			if (strcmp(k, "@direction") && strcmp(k, "@index") && strcmp(k, "@language") &&
				strcmp(k, "@type") && strcmp(k, "@value"))
				return fail(st, "invalid value object", "unexpected %.60s", k);
		}
		if (ty && (mcj_object_get(result, "@language") || mcj_object_get(result, "@direction")))
			return fail(st, "invalid value object", "@type with @language or @direction");
		if (ty && mcj_is_string(ty, "@json"))
		{
			/* anything goes */
		}
		else if (v->type == MCJ_NULL || (v->type == MCJ_ARRAY && v->u.arr.n == 0))
			return safe_event(st, "value object with null @value would be dropped");
		else if (v->type != MCJ_STRING && mcj_object_get(result, "@language"))
			return fail(st, "invalid language-tagged value", "@language on a non-string");
		else if (ty && (!str_clean(ty) || !is_wellformed_iri(ty->u.str.s)))
			return fail(st, "invalid typed value", "@type must be an absolute IRI");
	}
	else if ((v = mcj_object_get(result, "@type")) != NULL && v->type != MCJ_ARRAY)
		mcj_object_set(st->arena, result, "@type", as_array(st, v));
	else if ((v = mcj_object_get(result, "@set")) != NULL ||
			 mcj_object_get(result, "@list") != NULL)
	{
		if (result->u.obj.n > 2 || (result->u.obj.n == 2 && !mcj_object_get(result, "@index")))
			return fail(st, "invalid set or list object", "extra entries");
		if (v != NULL)
		{
			*out = v;
			return true;
		}
	}
	/* step 18 */
	if (result->u.obj.n == 1 && mcj_object_get(result, "@language"))
		return safe_event(st, "object with only @language would be dropped");
	/* step 19: free-floating nodes */
	if (aprop == NULL || strcmp(aprop, "@graph") == 0)
	{
		if (result->u.obj.n == 0)
			return safe_event(st, "empty object would be dropped");
		if (mcj_object_get(result, "@value") || mcj_object_get(result, "@list"))
			return safe_event(st, "free-floating value or list would be dropped");
		if (result->u.obj.n == 1 && (v = mcj_object_get(result, "@id")) != NULL)
			return safe_event(st, "node with only @id \"%.80s\" would be dropped",
							  str_clean(v) ? v->u.str.s : "");
	}
	*out = result;
	return true;
}

/* ------------------------------------------------------------------------
 * Deserialization to RDF (JSON-LD 1.1 API, 6.2 and 6.3)
 *
 * The quads are produced by walking the expanded tree directly rather than
 * through a flattened node map: this yields the same RDF dataset (node
 * objects with the same @id contribute their triples wherever they occur,
 * and duplicate quads are set-equal), with blank nodes labelled b0, b1, ...
 * in document order.
 * ------------------------------------------------------------------------
 */

static bool emit_node(jst *st, const mcj_value *node, const rdf_term *graph,
					  rdf_dataset *ds, int depth, rdf_term *subj, bool *subj_ok);

/* an IRI term */
static rdf_term
iri_term(const char *s)
{
	rdf_term	t;

	memset(&t, 0, sizeof(t));
	t.kind = RDF_TERM_IRI;
	t.value = s;
	t.len = strlen(s);
	return t;
}

/* a fresh blank node */
static rdf_term
new_blank(jst *st)
{
	rdf_term	t;
	char		buf[32];

	snprintf(buf, sizeof(buf), "b%lu", st->bnode_counter++);
	memset(&t, 0, sizeof(t));
	t.kind = RDF_TERM_BLANK;
	t.value = jcstring(st->arena, buf)->u.str.s;
	t.len = strlen(buf);
	return t;
}

/* the blank node issued for a document label "_:x" */
static rdf_term
relabel_blank(jst *st, const char *label)
{
	uint32_t	h = hash_bytes(label, strlen(label));
	uint32_t	i;
	rdf_term	t;

	if ((st->bn_n + 1) * 2 > st->bn_cap)
	{
		uint32_t	ncap = st->bn_cap ? st->bn_cap * 2 : 32;
		const char **nk = jalloc(st->arena, sizeof(char *) * ncap);
		const char **nv = jalloc(st->arena, sizeof(char *) * ncap);

		memset(nk, 0, sizeof(char *) * ncap);
		for (uint32_t j = 0; j < st->bn_cap; j++)
		{
			if (st->bn_keys[j])
			{
				uint32_t	k = hash_bytes(st->bn_keys[j], strlen(st->bn_keys[j])) & (ncap - 1);

				while (nk[k])
					k = (k + 1) & (ncap - 1);
				nk[k] = st->bn_keys[j];
				nv[k] = st->bn_vals[j];
			}
		}
		st->bn_keys = nk;
		st->bn_vals = nv;
		st->bn_cap = ncap;
	}
	for (i = h & (st->bn_cap - 1); st->bn_keys[i]; i = (i + 1) & (st->bn_cap - 1))
	{
		if (strcmp(st->bn_keys[i], label) == 0)
		{
			memset(&t, 0, sizeof(t));
			t.kind = RDF_TERM_BLANK;
			t.value = st->bn_vals[i];
			t.len = strlen(t.value);
			return t;
		}
	}
	t = new_blank(st);
	st->bn_keys[i] = label;
	st->bn_vals[i] = t.value;
	st->bn_n++;
	return t;
}

/* term for a node identifier; false if it is not usable in RDF */
static bool
id_term(jst *st, const char *id, rdf_term *out)
{
	if (is_blank(id))
	{
		*out = relabel_blank(st, id);
		return true;
	}
	if (is_wellformed_iri(id))
	{
		*out = iri_term(id);
		return true;
	}
	return false;
}

/* add one quad */
static bool
emit(jst *st, rdf_dataset *ds, const rdf_term *s, const rdf_term *p,
	 const rdf_term *o, const rdf_term *g)
{
	rdf_quad	q;

	if (ds->n >= st->max_quads)
		return fail(st, JSONLD_ERR_LIMIT, "more than %zu quads", st->max_quads);
	q.subject = *s;
	q.predicate = *p;
	q.object = *o;
	if (g)
		q.graph = *g;
	else
	{
		memset(&q.graph, 0, sizeof(q.graph));
		q.graph.kind = RDF_TERM_DEFAULT_GRAPH;
		q.graph.value = "";
	}
	rdf_dataset_add(ds, &q);
	return true;
}

/* canonical lexical form of an xsd:double, as the reference implementations */
static void
format_double(double d, char *out, size_t size)
{
	char		buf[64];
	char	   *e;
	char	   *m;
	size_t		mlen;
	int			exp;

	snprintf(buf, sizeof(buf), "%.15e", d);
	e = strchr(buf, 'e');
	exp = atoi(e + 1);
	*e = '\0';
	m = buf;
	mlen = strlen(m);
	while (mlen > 0 && m[mlen - 1] == '0')
		mlen--;
	if (mlen > 0 && m[mlen - 1] == '.')
		m[mlen++] = '0';
	m[mlen] = '\0';
	snprintf(out, size, "%sE%d", m, exp);
}

/* convert a value object to a literal; *ok false if it yields nothing */
static bool
value_to_literal(jst *st, const mcj_value *item, rdf_term *out, bool *ok)
{
	const mcj_value *v = mcj_object_get(item, "@value");
	const mcj_value *ty = mcj_object_get(item, "@type");
	const mcj_value *lang = mcj_object_get(item, "@language");
	const char *dt = (ty && str_clean(ty)) ? ty->u.str.s : NULL;
	char		num[64];

	*ok = false;
	memset(out, 0, sizeof(*out));
	out->kind = RDF_TERM_LITERAL;
	if (ty && !str_clean(ty))
		return safe_event(st, "invalid datatype would be dropped");
	if (dt && strcmp(dt, "@json") == 0)
	{
		mcj_buf		buf;

		mcj_buf_init(&buf, st->arena, 64);
		if (!mcj_write_jcs(&buf, v, &st->err->error))
		{
			char		m[sizeof(st->err->error.message)];

			memcpy(m, st->err->error.message, sizeof(m));
			return fail(st, "invalid JSON literal", "%.120s", m);
		}
		out->value = buf.data;
		out->len = buf.len;
		out->datatype = RDF_JSON;
		*ok = true;
		return true;
	}
	if (dt && !is_wellformed_iri(dt))
		return safe_event(st, "datatype \"%.80s\" is not an absolute IRI", dt);
	if (v->type == MCJ_TRUE || v->type == MCJ_FALSE)
	{
		out->value = v->type == MCJ_TRUE ? "true" : "false";
		out->len = strlen(out->value);
		out->datatype = dt ? dt : XSD_BOOLEAN;
	}
	else if (v->type == MCJ_NUMBER)
	{
		double		d = v->u.num;

		if (d != floor(d) || fabs(d) >= 1e21 || (dt && strcmp(dt, XSD_DOUBLE) == 0))
		{
			format_double(d, num, sizeof(num));
			out->datatype = dt ? dt : XSD_DOUBLE;
		}
		else
		{
			snprintf(num, sizeof(num), "%.0f", d);
			if (strcmp(num, "-0") == 0)
				strcpy(num, "0");
			out->datatype = dt ? dt : XSD_INTEGER;
		}
		out->value = jcstring(st->arena, num)->u.str.s;
		out->len = strlen(num);
	}
	else if (v->type == MCJ_STRING)
	{
		out->value = v->u.str.s;
		out->len = v->u.str.len;
		if (lang && str_clean(lang))
		{
			if (!is_wellformed_lang(lang->u.str.s))
				return safe_event(st, "invalid language tag \"%.60s\"", lang->u.str.s);
			out->language = lang->u.str.s;
			out->datatype = RDF_LANGSTRING;
		}
		else
			out->datatype = dt ? dt : RDF_XSD_STRING;
	}
	else
		return safe_event(st, "invalid @value would be dropped");
	if (mcj_object_get(item, "@direction") &&
		!safe_event(st, "@direction is not representable without rdfDirection"))
		return false;
	*ok = true;
	return true;
}

static bool object_to_rdf(jst *st, const mcj_value *item, const rdf_term *graph,
						  rdf_dataset *ds, int depth, rdf_term *out, bool *ok);

/* convert a list to an RDF collection */
static bool
list_to_rdf(jst *st, const mcj_value *list, const rdf_term *graph,
			rdf_dataset *ds, int depth, rdf_term *out)
{
	rdf_term	first = iri_term(RDF_FIRST);
	rdf_term	rest = iri_term(RDF_REST);
	rdf_term	cur;
	size_t		n = list->type == MCJ_ARRAY ? list->u.arr.n : 0;

	if (n == 0)
	{
		*out = iri_term(RDF_NIL);
		return true;
	}
	cur = new_blank(st);
	*out = cur;
	for (size_t i = 0; i < n; i++)
	{
		rdf_term	o,
					next;
		bool		ok;

		if (!object_to_rdf(st, list->u.arr.items[i], graph, ds, depth + 1, &o, &ok))
			return false;
		if (ok && !emit(st, ds, &cur, &first, &o, graph))
			return false;
		next = (i + 1 < n) ? new_blank(st) : iri_term(RDF_NIL);
		if (!emit(st, ds, &cur, &rest, &next, graph))
			return false;
		cur = next;
	}
	return true;
}

/* the object to RDF conversion; nodes are emitted recursively */
static bool
object_to_rdf(jst *st, const mcj_value *item, const rdf_term *graph,
			  rdf_dataset *ds, int depth, rdf_term *out, bool *ok)
{
	const mcj_value *l;

	MC_CHECK_INTERRUPTS();
	*ok = false;
	if (depth > 2 * st->max_depth + 8)
		return fail(st, JSONLD_ERR_LIMIT, "expanded document nested too deeply");
	if (item->type != MCJ_OBJECT)
		return safe_event(st, "non-object in expanded form");
	if (mcj_object_get(item, "@value"))
		return value_to_literal(st, item, out, ok);
	if ((l = mcj_object_get(item, "@list")) != NULL)
	{
		*ok = true;
		return list_to_rdf(st, l, graph, ds, depth, out);
	}
	return emit_node(st, item, graph, ds, depth + 1, out, ok);
}

/* emit all quads of a node object; *subj receives its subject */
static bool
emit_node(jst *st, const mcj_value *node, const rdf_term *graph,
		  rdf_dataset *ds, int depth, rdf_term *subj, bool *subj_ok)
{
	const mcj_value *idv = mcj_object_get(node, "@id");
	const mcj_value *v;
	rdf_term	s;
	bool		sok = true;

	*subj_ok = false;
	if (depth > 2 * st->max_depth + 8)
		return fail(st, JSONLD_ERR_LIMIT, "expanded document nested too deeply");
	if (node->type != MCJ_OBJECT)
		return safe_event(st, "non-object node in expanded form");
	if (idv && str_clean(idv))
	{
		if (!id_term(st, idv->u.str.s, &s))
		{
			sok = false;
			if (!safe_event(st, "relative subject \"%.80s\"", idv->u.str.s))
				return false;
		}
	}
	else if (idv && idv->type == MCJ_NULL)
	{
		sok = false;
		memset(&s, 0, sizeof(s));
	}
	else if (idv)
		return safe_event(st, "invalid @id in expanded form");
	else
		s = new_blank(st);

	if ((v = mcj_object_get(node, "@type")) != NULL && sok)
	{
		rdf_term	p = iri_term(RDF_TYPE);
		const mcj_value *arr = v;
		size_t		n = arr->type == MCJ_ARRAY ? arr->u.arr.n : 1;

		for (size_t i = 0; i < n; i++)
		{
			const mcj_value *t = arr->type == MCJ_ARRAY ? arr->u.arr.items[i] : arr;
			rdf_term	o;

			if (!str_clean(t) || !id_term(st, t->u.str.s, &o))
			{
				if (!safe_event(st, "invalid type \"%.80s\"", str_clean(t) ? t->u.str.s : ""))
					return false;
				continue;
			}
			if (!emit(st, ds, &s, &p, &o, graph))
				return false;
		}
	}

	for (size_t i = 0; i < node->u.obj.n; i++)
	{
		const mcj_member *m = &node->u.obj.members[i];
		const char *key = m->key;
		const mcj_value *vals = m->value;
		size_t		n;
		rdf_term	p;
		bool		pok = true;

		if (key[0] == '@')
		{
			if (strcmp(key, "@reverse") == 0 && vals->type == MCJ_OBJECT)
			{
				for (size_t k = 0; k < vals->u.obj.n; k++)
				{
					const mcj_member *rm = &vals->u.obj.members[k];
					const mcj_value *items = rm->value;
					size_t		ni = items->type == MCJ_ARRAY ? items->u.arr.n : 1;
					bool		rok = true;

					if (!id_term(st, rm->key, &p) || p.kind != RDF_TERM_IRI)
					{
						rok = false;
						if (!safe_event(st, "invalid reverse property \"%.80s\"", rm->key))
							return false;
					}
					for (size_t j = 0; j < ni; j++)
					{
						const mcj_value *it = items->type == MCJ_ARRAY ? items->u.arr.items[j] : items;
						rdf_term	o;
						bool		ook;

						if (!emit_node(st, it, graph, ds, depth + 1, &o, &ook))
							return false;
						if (ook && rok && sok && !emit(st, ds, &o, &p, &s, graph))
							return false;
					}
				}
			}
			else if (strcmp(key, "@graph") == 0 && vals->type == MCJ_ARRAY)
			{
				if (!sok)
				{
					if (!safe_event(st, "graph with a relative name would be dropped"))
						return false;
					continue;
				}
				for (size_t j = 0; j < vals->u.arr.n; j++)
				{
					rdf_term	o;
					bool		ook;

					if (!emit_node(st, vals->u.arr.items[j], &s, ds, depth + 1, &o, &ook))
						return false;
				}
			}
			else if (strcmp(key, "@included") == 0 && vals->type == MCJ_ARRAY)
			{
				for (size_t j = 0; j < vals->u.arr.n; j++)
				{
					rdf_term	o;
					bool		ook;

					if (!emit_node(st, vals->u.arr.items[j], graph, ds, depth + 1, &o, &ook))
						return false;
				}
			}
			continue;
		}
		if (is_blank(key))
		{
			pok = false;
			if (!safe_event(st, "blank node predicate \"%.80s\"", key))
				return false;
		}
		else if (!is_wellformed_iri(key))
		{
			pok = false;
			if (!safe_event(st, "relative predicate \"%.80s\"", key))
				return false;
		}
		else
			p = iri_term(key);
		n = vals->type == MCJ_ARRAY ? vals->u.arr.n : 1;
		for (size_t j = 0; j < n; j++)
		{
			const mcj_value *it = vals->type == MCJ_ARRAY ? vals->u.arr.items[j] : vals;
			rdf_term	o;
			bool		ook;

			if (!object_to_rdf(st, it, graph, ds, depth + 1, &o, &ook))
				return false;
			if (ook && pok && sok && !emit(st, ds, &s, &p, &o, graph))
				return false;
		}
	}
	*subj = s;
	*subj_ok = sok;
	return true;
}

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
		return fail(st, JSONLD_ERR_LIMIT, "document nested deeper than %d", st->max_depth);
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
				return fail(st, "invalid local context", "member name contains U+0000");
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
	actx = initial_context(st, base);
	if (opt && opt->expand_context)
	{
		const mcj_value *ec = opt->expand_context;

		if (ec->type == MCJ_OBJECT && mcj_object_get(ec, "@context"))
			ec = mcj_object_get(ec, "@context");
		if (!check_keys(st, ec, 0))
			return false;
		actx = ctx_process(st, actx, ec, false, base, NULL, false, true, true);
		if (actx == NULL)
			return false;
	}
	if (!expand(st, actx, NULL, input, base, false, 0, &r))
		return false;
	if (r && r->type == MCJ_OBJECT && r->u.obj.n == 1 && mcj_object_get(r, "@graph"))
		r = mcj_object_get(r, "@graph");
	if (r == NULL)
		r = jarray(st->arena);
	*out = as_array(st, r);
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
		return fail(st, "invalid input", "expanded form must be an array");
	for (size_t i = 0; i < expanded->u.arr.n; i++)
	{
		rdf_term	s;
		bool		ok;

		if (!emit_node(st, expanded->u.arr.items[i], NULL, ds, 0, &s, &ok))
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
