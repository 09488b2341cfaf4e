/*-------------------------------------------------------------------------
 *
 * rdf.h
 *	  RDF terms, quads and datasets shared by the JSON-LD to RDF converter
 *	  (jsonld.c), the N-Quads reader/writer (nquads.c) and RDF Dataset
 *	  Canonicalization RDFC-1.0 (rdfc.c).
 *
 * Pure core: memory from an mcj_arena (see mcjson.h), errors as values.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_RDF_H
#define MC_RDF_H

#include "mcjson.h"

#define RDF_XSD_STRING "http://www.w3.org/2001/XMLSchema#string"
#define RDF_LANGSTRING "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

typedef enum rdf_term_kind
{
	RDF_TERM_IRI,
	RDF_TERM_BLANK,				/* value is the label without "_:" */
	RDF_TERM_LITERAL,
	RDF_TERM_DEFAULT_GRAPH		/* only in the graph position */
} rdf_term_kind;

typedef struct rdf_term
{
	rdf_term_kind kind;
	const char *value;			/* UTF-8, NUL-terminated, lexical form or IRI */
	size_t		len;
	const char *datatype;		/* literal: datatype IRI (never NULL: xsd:string
								 * or rdf:langString when language is set) */
	const char *language;		/* literal: BCP 47 tag or NULL */
	const char *direction;		/* literal: "ltr"/"rtl" or NULL (i18n) */
} rdf_term;

typedef struct rdf_quad
{
	rdf_term	subject;
	rdf_term	predicate;
	rdf_term	object;
	rdf_term	graph;			/* RDF_TERM_DEFAULT_GRAPH for the default graph */
} rdf_quad;

typedef struct rdf_dataset
{
	rdf_quad   *quads;
	size_t		n;
	size_t		cap;
	mcj_arena  *arena;
} rdf_dataset;

extern void rdf_dataset_init(rdf_dataset *ds, mcj_arena *arena);
/* appends a copy of *q (strings are not copied; they must live in the arena) */
extern void rdf_dataset_add(rdf_dataset *ds, const rdf_quad *q);

/* N-Quads (nquads.c) ------------------------------------------------------ */

/* parse N-Quads 1.1 text (as used by the RDFC-1.0 test suite) */
extern bool nquads_parse(mcj_arena *arena, const char *text, size_t len,
						 rdf_dataset *out, mcj_error *err);
/* one quad, canonical N-Quads form (RDFC-1.0 section 4.6), with trailing "\n" */
extern void nquads_write_quad(mcj_buf *buf, const rdf_quad *q);

/* RDFC-1.0 (rdfc.c) --------------------------------------------------------- */

typedef struct rdfc_options
{
	/*
	 * Bound on the work of the Hash N-Degree Quads algorithm, against poison
	 * datasets.  0 = default.  Exceeding it is an error, not a wrong result.
	 */
	long		max_ndegree_calls;
	/* "SHA256" (default) or "SHA384" */
	const char *hash_algorithm;
} rdfc_options;

typedef struct rdfc_mapping
{
	const char *input_label;	/* blank node label in the input, no "_:" */
	const char *canonical_label;	/* "c14n0", ... */
} rdfc_mapping;

/*
 * Canonicalize a dataset: *out receives the canonical N-Quads document
 * (sorted lines, duplicates removed).  If map is not NULL, *map and *nmap
 * receive the issued identifiers.  Returns false with *err on failure,
 * including when the work bound is exceeded.
 */
extern bool rdfc_canonicalize(mcj_arena *arena, const rdf_dataset *in,
							  const rdfc_options *options, mcj_buf *out,
							  rdfc_mapping **map, size_t *nmap, mcj_error *err);

#endif							/* MC_RDF_H */
