/*-------------------------------------------------------------------------
 *
 * ob3_sql.c
 *	  SQL-callable Open Badges 3.0 structure check (core: ob3_check.c):
 *	  microcred.ob3_check() lists every finding of a document; issuing
 *	  (document_sql.c) refuses a document that would not conform.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "mc_sql.h"
#include "ob3_check.h"

/* the report as {"applies", "conforms", "errors", "warnings", "findings": [...]} */
static mcj_value *
report_json(mcj_arena *arena, const ob3_report *r)
{
	mcj_value  *o = mcj_object(arena);
	mcj_value  *list = mcj_array(arena);

	mcj_object_set(arena, o, "applies", mcj_bool(arena, r->applies));
	mcj_object_set(arena, o, "conforms", mcj_bool(arena, r->applies && r->errors == 0));
	mcj_object_set(arena, o, "errors", mcj_number(arena, r->errors));
	mcj_object_set(arena, o, "warnings", mcj_number(arena, r->warnings));
	for (int i = 0; i < r->n; i++)
	{
		mcj_value  *f = mcj_object(arena);

		mcj_object_set(arena, f, "severity", mcj_cstring(arena, r->findings[i].severity == OB3_ERROR ? "error" : "warning"));
		mcj_object_set(arena, f, "pointer", mcj_cstring(arena, r->findings[i].pointer));
		mcj_object_set(arena, f, "message", mcj_cstring(arena, r->findings[i].message));
		mcj_array_append(arena, list, f);
	}
	mcj_object_set(arena, o, "findings", list);
	return o;
}

PG_FUNCTION_INFO_V1(microcred_ob3_check);

/* microcred.ob3_check(credential jsonb) RETURNS jsonb */
Datum
microcred_ob3_check(PG_FUNCTION_ARGS)
{
	Jsonb	   *doc = PG_GETARG_JSONB_P(0);
	mcj_arena  *arena = mc_arena();
	ob3_report	r;

	if (VARSIZE(doc) > MC_JSON_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the credential is larger than 8 MB")));
	ob3_check(mc_from_jsonb(arena, doc, "credential"), &r);
	PG_RETURN_JSONB_P(mc_to_jsonb(report_json(arena, &r)));
}

/*
 * Refuse to issue a document that would not conform to Open Badges 3.0:
 * the first error, with its pointer, is the message.
 */
void
mc_ob3_require(const mcj_value *doc)
{
	ob3_report	r;

	ob3_check(doc, &r);
	if (r.errors > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the credential would not conform to Open Badges 3.0: %s: %s",
						r.findings[0].pointer, r.findings[0].message),
				 errdetail("%d problem%s in the document built from the catalog and the arguments of issue.",
						   r.errors, r.errors == 1 ? "" : "s"),
				 errhint("Correct the value at that place (for example evidence objects need a \"type\" including \"Evidence\" and a URI as \"id\"); microcred.ob3_check(document) lists every problem.")));
}
