/*-------------------------------------------------------------------------
 *
 * jsonld_internal.h
 *	  What the files of the JSON-LD core share and nobody else uses: the
 *	  term and context model, the per-call state, and the functions one
 *	  step of the algorithms calls in another file.
 *
 *	  jsonld_core.c     allocation, errors, helpers, term tables
 *	  jsonld_iri.c      IRI resolution (RFC 3986)
 *	  jsonld_cache.c    loaded documents and memoized contexts
 *	  jsonld_context.c  context definitions, Create Term Definition, IRI Expansion
 *	  jsonld_process.c  the Context Processing Algorithm up to a context definition
 *	  jsonld_expand.c   Expansion
 *	  jsonld_maps.c     Expansion of language, index, id and type maps
 *	  jsonld_value.c    Value Expansion
 *	  jsonld_rdf.c      Deserialize JSON-LD to RDF
 *	  jsonld.c          the API of jsonld.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JSONLD_INTERNAL_H
#define JSONLD_INTERNAL_H

#include "jsonld.h"

#include <stdint.h>

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

/* state of one context definition being processed (jsonld_context.c) */
typedef struct build build;

/* jsonld_core.c: allocation (out of memory aborts), errors, helpers, term tables */
extern void *jalloc(mcj_arena *arena, size_t size);
extern char *jstrndup(mcj_arena *arena, const char *s, size_t len);
extern mcj_value *jcheck(mcj_value *v);
#define jcstring(a, s) jcheck(mcj_cstring((a), (s)))
#define jobject(a) jcheck(mcj_object(a))
#define jarray(a) jcheck(mcj_array(a))
#define jnull(a) jcheck(mcj_null(a))
extern bool jld_fail(jst *st, const char *code, const char *fmt,...) MC_PRINTF_ATTR(3, 4);
extern bool jld_safe_event(jst *st, const char *fmt,...) MC_PRINTF_ATTR(2, 3);
extern uint32_t jld_hash_bytes(const char *s, size_t len);
extern char *jld_str_concat(mcj_arena *arena, const char *a, const char *b);
extern bool jld_str_clean(const mcj_value *v);
extern bool jld_is_keyword(const char *s);
extern bool jld_keyword_form(const char *s);
extern size_t jld_scheme_len(const char *s);
extern bool jld_is_absolute_iri(const char *s);
extern bool jld_is_blank(const char *s);
extern bool jld_is_wellformed_iri(const char *s);
extern bool jld_is_wellformed_lang(const char *s);
extern const jld_term *jld_ctx_get(const jld_ctx *c, const char *name);
extern void jld_ctx_set(mcj_arena *arena, jld_ctx *c, const jld_term *t);
extern jld_ctx *jld_ctx_new(mcj_arena *arena, bool persistent);
extern jld_ctx *jld_ctx_copy(mcj_arena *arena, const jld_ctx *src, bool persistent);
extern bool jld_ctx_has_protected(const jld_ctx *c);

/* jsonld_iri.c */
extern char *jld_iri_resolve(mcj_arena *arena, const char *base, const char *ref);

/* jsonld_cache.c */
extern const memo_entry *jld_memo_find(memo_table *c, const jld_ctx *parent,
						  unsigned kind, const void *ptr, const char *str, unsigned flags);
extern bool jld_memo_room(const memo_table *c);
extern memo_entry *jld_memo_put(memo_table *c, const jld_ctx *parent,
						  unsigned kind, const void *ptr, const char *str, unsigned flags,
						  const jld_ctx *result);
extern const jld_ctx *jld_memo_get(jst *st, memo_table *c,
						  const jld_ctx *parent, unsigned kind, const void *ptr,
						  const char *str, unsigned flags, bool *poisoned);
extern void jld_memo_poison(jst *st, memo_table *c, const jld_ctx *parent,
						  unsigned kind, const void *ptr, const char *str, unsigned flags);
extern memo_table *jld_call_memo(jst *st);
extern bool jld_charge_copy(jst *st, const jld_ctx *c);
extern const jld_doc *jld_load_document(jst *st, const char *url);

/* jsonld_context.c */
extern bool jld_iri_expand(jst *st, const jld_ctx *actx, const char *value,
						  bool docrel, bool vocab, build *b, const char **out);
extern char *jld_str_lower(mcj_arena *arena, const char *s);
extern jld_ctx *jld_build_definition(jst *st, const jld_ctx *cur,
						  const mcj_value *def, bool lpers, const char *base_url,
						  const remote_list *remotes, bool override, bool persistent);

/* jsonld_process.c */
extern const jld_ctx *jld_initial_context(jst *st, const char *base);
extern const jld_ctx *jld_ctx_process(jst *st, const jld_ctx *active,
						  const mcj_value *local, bool lpers, const char *base_url,
						  const remote_list *remotes, bool override, bool propagate,
						  bool validate);

/* jsonld_expand.c */
extern bool jld_expand(jst *st, const jld_ctx *actx, const char *aprop,
						  const mcj_value *el, const char *base_url, bool from_map, int depth,
						  mcj_value **out);

extern mcj_value *jld_as_array(jst *st, mcj_value *v);
extern bool jld_count_node(jst *st);
extern bool jld_expand_key(jst *st, const jld_ctx *actx, const char *key,
						  const char **out);
extern bool jld_is_value_object(const mcj_value *v);
extern bool jld_is_graph_object(const mcj_value *v);

/* jsonld_maps.c */
extern bool jld_expand_map_container(jst *st, const jld_ctx *actx, const char *key,
						  const jld_term *t, const mcj_value *value,
						  const char *base_url, int depth, mcj_value **out);

/* jsonld_value.c: Value Expansion (5.3.2); NULL on error */
extern mcj_value *jld_value_expand(jst *st, const jld_ctx *actx, const char *aprop,
								   const mcj_value *value);

/* jsonld_rdf.c */
extern bool jld_emit_node(jst *st, const mcj_value *node,
						  const rdf_term *graph, rdf_dataset *ds, int depth, rdf_term *subj,
						  bool *subj_ok);


#endif							/* JSONLD_INTERNAL_H */
