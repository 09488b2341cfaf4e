/*-------------------------------------------------------------------------
 *
 * jsonld.h
 *	  JSON-LD 1.1 expansion and deserialization to RDF (toRdf) for the
 *	  features used by the Verifiable Credentials, Data Integrity, Multikey
 *	  and Open Badges 3.0 contexts, with a closed-world context loader.
 *
 * This is a pure core (no PostgreSQL headers, no hidden global state).
 * Remote contexts are never fetched: a jsonld_cache holds the documents
 * registered for known URLs (and optionally asks a caller-supplied loader
 * callback).  The cache also memoizes processed ("active") contexts, so a
 * backend process computes each context once and reuses it for every
 * credential.  Processed contexts are immutable once created.
 *
 * A cache is not thread-safe; use one per process (or per thread).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_JSONLD_H
#define MC_JSONLD_H

#include "mcjson.h"
#include "rdf.h"

/* JSON-LD error codes (JSON-LD 1.1 API, section 9.4.2) used by this code */
#define JSONLD_ERR_SAFE_MODE "safe mode violation"	/* not in the spec */
#define JSONLD_ERR_LIMIT "resource limit exceeded"	/* not in the spec */
#define JSONLD_ERR_LOADING "loading remote context failed"
#define JSONLD_ERR_PROTECTED "protected term redefinition"

/* an error: the JSON-LD error code and a message naming the term or URL */
typedef struct jsonld_error
{
	const char *code;			/* static string, e.g. "invalid IRI mapping" */
	mcj_error	error;			/* message: "<code>: <details>" */
} jsonld_error;

/*
 * Document loader callback, for URLs not registered in the cache.  Must
 * return the parsed JSON document (an object with an "@context" member),
 * allocated in arena (the cache's long-lived arena), or NULL with a message
 * in *err.  It must never use the network.
 */
typedef const mcj_value *(*jsonld_load_fn) (void *ctx, const char *url,
											mcj_arena *arena, mcj_error *err);

typedef struct jsonld_cache jsonld_cache;

/*
 * Create a cache whose memory (documents and processed contexts) comes
 * from arena, which must live as long as the cache.  loader may be NULL:
 * then only registered documents resolve.  max_entries bounds the number
 * of memoized processed contexts (0 = default 4096); past it, contexts are
 * still computed, in the per-call arena, but not remembered.
 */
extern jsonld_cache *jsonld_cache_create(mcj_arena *arena, jsonld_load_fn loader,
										 void *loader_ctx, size_t max_entries);

/* register the JSON text of the context document served at url */
extern bool jsonld_cache_add_document(jsonld_cache *cache, const char *url,
									  const char *json, size_t len,
									  jsonld_error *err);

/* number of memoized processed contexts (for tests and monitoring) */
extern size_t jsonld_cache_size(const jsonld_cache *cache);

typedef struct jsonld_options
{
	const char *base;			/* document base IRI, NULL = none */
	bool		safe_mode;		/* data loss is an error (Data Integrity) */
	int			max_depth;		/* nesting of objects/arrays/contexts; 0 =
								 * 128 */
	size_t		max_nodes;		/* values produced by expansion; 0 = 100000 */
	size_t		max_quads;		/* quads produced by toRdf; 0 = 100000 */
	const mcj_value *expand_context;	/* optional initial context (the
										 * expandContext API option) */
} jsonld_options;

/*
 * Expand a JSON-LD document.  *out receives the expanded form (always an
 * array), allocated in arena.  Returns false with *err on failure.  cache
 * may be NULL (then no remote context resolves and nothing is memoized
 * beyond the call); options may be NULL (defaults, safe mode off).
 */
extern bool jsonld_expand(jsonld_cache *cache, const jsonld_options *options,
						  mcj_arena *arena, const mcj_value *input,
						  mcj_value **out, jsonld_error *err);

/*
 * Convert an expanded document (output of jsonld_expand) to RDF quads,
 * appended to *ds (initialized by the caller).  Blank nodes are labelled
 * b0, b1, ... in document order.  rdfDirection is not supported: literals
 * keep their language and drop the base direction.
 */
extern bool jsonld_expanded_to_rdf(const jsonld_options *options,
								   mcj_arena *arena, const mcj_value *expanded,
								   rdf_dataset *ds, jsonld_error *err);

/* expand, then convert to RDF */
extern bool jsonld_to_rdf(jsonld_cache *cache, const jsonld_options *options,
						  mcj_arena *arena, const mcj_value *input,
						  rdf_dataset *ds, jsonld_error *err);

#endif							/* MC_JSONLD_H */
