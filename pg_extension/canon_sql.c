/*-------------------------------------------------------------------------
 *
 * canon_sql.c
 *	  The SQL functions of canonicalization: microcred.canonicalize(jsonb |
 *	  text, algorithm) with 'jcs' (RFC 8785, json_sql.c) or 'rdfc-1.0'
 *	  (RDF Dataset Canonicalization, rdf_sql.c), and microcred.to_nquads().
 *
 * Kept apart from json_sql.c and rdf_sql.c so that those two do not call
 * each other both ways: rdf_sql.c uses json_sql.c, and this file uses both.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "mc_sql.h"
#include "rdf.h"

/* the canonical text of v under alg ("jcs" or "rdfc-1.0"), or an SQL error */
static text *
canon_text(mcj_arena *arena, const mcj_value *v, const char *alg)
{
	if (strcmp(alg, "jcs") == 0)
		return mc_jcs_text(arena, v, "document");
	return mc_rdfc_text(arena, v, "document");
}

/* the algorithm argument, checked before any work is done */
static char *
canon_algorithm(text *arg)
{
	char	   *alg = text_to_cstring(arg);

	if (strcmp(alg, "jcs") != 0 && strcmp(alg, "rdfc-1.0") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("canonicalization algorithm \"%s\" is not supported", alg),
				 errhint("Use 'jcs' (RFC 8785) or 'rdfc-1.0' (RDF Dataset Canonicalization).")));
	return alg;
}

PG_FUNCTION_INFO_V1(microcred_canonicalize);

/* microcred.canonicalize(doc jsonb, algorithm text) RETURNS text */
Datum
microcred_canonicalize(PG_FUNCTION_ARGS)
{
	Jsonb	   *doc = PG_GETARG_JSONB_P(0);
	char	   *alg = canon_algorithm(PG_GETARG_TEXT_PP(1));
	mcj_arena  *arena = mc_arena();
	text	   *result;

	result = canon_text(arena, mc_from_jsonb(arena, doc, "document"), alg);
	mcj_arena_destroy(arena);
	PG_RETURN_TEXT_P(result);
}

PG_FUNCTION_INFO_V1(microcred_canonicalize_text);

/* microcred.canonicalize(doc text, algorithm text): strict I-JSON input */
Datum
microcred_canonicalize_text(PG_FUNCTION_ARGS)
{
	text	   *doc = PG_GETARG_TEXT_PP(0);
	char	   *alg = canon_algorithm(PG_GETARG_TEXT_PP(1));
	mcj_arena  *arena = mc_arena();
	text	   *result;

	result = canon_text(arena, mc_parse_text(arena, VARDATA_ANY(doc),
											   VARSIZE_ANY_EXHDR(doc), "document"),
						  alg);
	mcj_arena_destroy(arena);
	PG_RETURN_TEXT_P(result);
}

PG_FUNCTION_INFO_V1(microcred_to_nquads);

/* microcred.to_nquads(doc jsonb) RETURNS text */
Datum
microcred_to_nquads(PG_FUNCTION_ARGS)
{
	Jsonb	   *doc = PG_GETARG_JSONB_P(0);
	mcj_arena  *arena = mc_arena();
	rdf_dataset ds;
	mcj_error	err;
	mcj_buf		out;

	if (!mc_rdf_dataset(arena, mc_from_jsonb(arena, doc, "document"), &ds, &err))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("document cannot be converted to RDF: %s", err.message),
				 errhint("JSON-LD processing resolves only the contexts in microcred.jsonld_context and treats any term it would drop as an error.")));
	mcj_buf_init(&out, arena, 4096);
	for (size_t i = 0; i < ds.n; i++)
		nquads_write_quad(&out, &ds.quads[i]);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, (int) out.len));
}
