/*-------------------------------------------------------------------------
 *
 * rdf.c
 *	  Helpers for RDF datasets (rdf.h): a growable array of quads whose
 *	  storage comes from an mcj_arena.
 *
 * Pure core: no PostgreSQL headers, no global state.  The arena never
 * frees, so growth doubles the capacity to keep the waste bounded.  Like
 * the other void builders of mcjson.c, rdf_dataset_add aborts when the
 * allocator reports out of memory (never with malloc or palloc).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "rdf.h"

/* start with an empty dataset whose storage comes from arena */
void
rdf_dataset_init(rdf_dataset *ds, mcj_arena *arena)
{
	ds->quads = NULL;
	ds->n = 0;
	ds->cap = 0;
	ds->arena = arena;
}

/* append a shallow copy of *q, growing the array when full */
void
rdf_dataset_add(rdf_dataset *ds, const rdf_quad *q)
{
	if (ds->n == ds->cap)
	{
		size_t		newcap = ds->cap ? ds->cap * 2 : 16;
		rdf_quad   *nq;

		if (newcap > ((size_t) -1) / 2 / sizeof(rdf_quad))
			abort();
		nq = mcj_alloc(ds->arena, newcap * sizeof(rdf_quad));
		if (nq == NULL)
			abort();
		if (ds->n > 0)
			memcpy(nq, ds->quads, ds->n * sizeof(rdf_quad));
		ds->quads = nq;
		ds->cap = newcap;
	}
	ds->quads[ds->n++] = *q;
}
