/*-------------------------------------------------------------------------
 *
 * parts_sql.c
 *	  The Achievement and the issuer Profile of the credential documents
 *	  (microcred._achievement, microcred._issuer_profile): the catalog rows
 *	  and the vocabulary, learning outcome, country and identifier rows they
 *	  refer to, read into the structs of ob3.c, which builds the parts.
 *
 * These run once per credential type and change (microcred.document_part
 * caches their result; triggers drop it when a row it was built from
 * changes), so they favour plainness over speed: one prepared plan per
 * kind of row, kept for the backend.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "mc_sql.h"
#include "ob3.h"

/* ---- row attributes --------------------------------------------------- */

/* the type of a named attribute of a composite value */
static Oid
attr_type(HeapTupleHeader row, const char *name)
{
	TupleDesc	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(row), HeapTupleHeaderGetTypMod(row));
	Oid			t = InvalidOid;

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		if (!a->attisdropped && strcmp(NameStr(a->attname), name) == 0)
			t = a->atttypid;
	}
	ReleaseTupleDesc(desc);
	if (!OidIsValid(t))
		elog(ERROR, "row has no attribute \"%s\"", name);
	return t;
}

/* a datum as PostgreSQL prints it */
static char *
out_text(Oid type, Datum d)
{
	Oid			func;
	bool		varlena;

	getTypeOutputInfo(type, &func, &varlena);
	return OidOutputFunctionCall(func, d);
}

/* an attribute as text (its type's output), or NULL */
static char *
attr_out(HeapTupleHeader row, const char *name)
{
	bool		isnull;
	Datum		d = GetAttributeByName(row, name, &isnull);

	return isnull ? NULL : out_text(attr_type(row, name), d);
}

/* an array attribute as its elements' texts; *present false when NULL */
static const char **
attr_array(HeapTupleHeader row, const char *name, size_t *n, bool *present)
{
	bool		isnull;
	Datum		d = GetAttributeByName(row, name, &isnull);
	ArrayType  *arr;
	Oid			elem;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *items;
	bool	   *nulls;
	int			count;
	const char **out;

	*n = 0;
	*present = !isnull;
	if (isnull)
		return NULL;
	arr = DatumGetArrayTypeP(d);
	elem = ARR_ELEMTYPE(arr);
	get_typlenbyvalalign(elem, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, elem, typlen, typbyval, typalign, &items, &nulls, &count);
	out = palloc0(sizeof(char *) * (count + 1));
	for (int i = 0; i < count; i++)
		if (!nulls[i])
			out[(*n)++] = out_text(elem, items[i]);
	return out;
}

/* ---- prepared reads --------------------------------------------------- */

/*
 * SPI_connect, then back to the caller's memory context: the structs and
 * their strings must outlive SPI_finish (SPI's own allocations stay in its
 * contexts)
 */
static void
spi_open(void)
{
	MemoryContext outer = CurrentMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(outer);
}

typedef enum
{
	PLAN_OUTCOMES,
	PLAN_TERM,
	PLAN_COUNTRY,
	PLAN_IDENTIFIERS,
	PLAN_COUNT
} plan_kind;

static SPIPlanPtr plans[PLAN_COUNT];

/* run a prepared read (inside SPI_connect) */
static void
run(plan_kind k, Datum *args)
{
	static const char *const sql[PLAN_COUNT] = {
		"SELECT description, esco_uri FROM microcred.learning_outcome WHERE credential_type_id = $1 ORDER BY position",
		"SELECT label, concept_uri, scheme_uri FROM microcred.vocabulary WHERE vocabulary = $1 AND value = $2",
		"SELECT c.name FROM microcred.country c WHERE c.code = $1",
		"SELECT ii.scheme::text, ii.value FROM microcred.issuer_identifier ii WHERE ii.issuer_id = $1 ORDER BY ii.scheme, ii.value",
	};
	static const int nargs[PLAN_COUNT] = {1, 2, 1, 1};
	static Oid	types[PLAN_COUNT][2] = {{UUIDOID}, {NAMEOID, TEXTOID}, {TEXTOID}, {UUIDOID}};
	int			rc;

	if (plans[k] == NULL)
	{
		SPIPlanPtr	p = SPI_prepare(sql[k], nargs[k], types[k]);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		plans[k] = p;
	}
	rc = SPI_execute_plan(plans[k], args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
}

/* column c (1-based) of result row r as text, or NULL (in the caller's context: see spi_open()) */
static char *
col(uint64 r, int c)
{
	char	   *s = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, c);

	return s;
}

/* a vocabulary term (value NULL: none) */
static ob3_term
term(const char *vocabulary, const char *value)
{
	ob3_term	t;
	Datum		args[2];

	memset(&t, 0, sizeof(t));
	t.value = value;
	if (value == NULL)
		return t;
	args[0] = DirectFunctionCall1(namein, CStringGetDatum(vocabulary));
	args[1] = CStringGetTextDatum(value);
	run(PLAN_TERM, args);
	if (SPI_processed > 0)
	{
		t.known = true;
		t.label = col(0, 1);
		t.concept_uri = col(0, 2);
		t.scheme_uri = col(0, 3);
	}
	return t;
}

/* the ob3 struct of a credential type row (inside SPI_connect) */
static void
read_type(HeapTupleHeader tr, HeapTupleHeader ir, ob3_type *t)
{
	bool		isnull;
	Datum		d;
	const char **assessment;
	size_t		n;
	bool		present;
	ob3_term   *terms;
	ob3_outcome *outcomes;

	memset(t, 0, sizeof(*t));
	t->id = attr_out(tr, "id");
	t->base_url = attr_out(ir, "base_url");
	t->code = attr_out(tr, "code");
	t->human_code = attr_out(tr, "human_code");
	t->title = attr_out(tr, "title");
	t->description = attr_out(tr, "description");
	t->achievement_type = attr_out(tr, "achievement_type");
	t->info_url = attr_out(tr, "info_url");
	d = GetAttributeByName(tr, "ects", &isnull);
	t->has_ects = !isnull;
	if (!isnull)
		t->ects = DatumGetFloat8(DirectFunctionCall1(numeric_float8, d));
	t->ects_text = attr_out(tr, "ects");
	t->workload_hours_text = attr_out(tr, "workload_hours");
	t->eqf_level_text = attr_out(tr, "eqf_level");
	t->qf_ehea_cycle = attr_out(tr, "qf_ehea_cycle");
	d = GetAttributeByName(tr, "synchronous", &isnull);
	t->synchronous = isnull ? -1 : DatumGetBool(d) ? 1 : 0;
	t->quality_assurance_body = attr_out(tr, "quality_assurance_body");
	t->quality_assurance_url = attr_out(tr, "quality_assurance_url");
	t->prerequisites = attr_out(tr, "prerequisites");
	t->stackable_towards = attr_out(tr, "stackable_towards");
	t->further_information = attr_out(tr, "further_information");
	t->grading_scheme = attr_out(tr, "grading_scheme");
	t->languages = attr_array(tr, "languages", &t->n_languages, &present);
	if (!present)
		t->languages = NULL;

	assessment = attr_array(tr, "assessment", &n, &present);
	terms = palloc0(sizeof(ob3_term) * (n + 1));
	for (size_t i = 0; i < n; i++)
		terms[i] = term("assessment_type", assessment[i]);
	t->assessment = terms;
	t->n_assessment = n;
	t->participation = term("participation_form", attr_out(tr, "participation"));
	t->quality_assurance = term("quality_assurance", attr_out(tr, "quality_assurance"));
	t->supervision = term("supervision", attr_out(tr, "supervision"));
	t->integration = term("integration", attr_out(tr, "integration"));

	d = GetAttributeByName(tr, "id", &isnull);
	run(PLAN_OUTCOMES, &d);
	outcomes = palloc0(sizeof(ob3_outcome) * (SPI_processed + 1));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		outcomes[r].description = col(r, 1);
		outcomes[r].esco_uri = col(r, 2);
	}
	t->outcomes = outcomes;
	t->n_outcomes = SPI_processed;
}

/* the ob3 struct of an issuer row (inside SPI_connect) */
static void
read_issuer(HeapTupleHeader ir, ob3_issuer *i)
{
	bool		isnull;
	Datum		d;
	ob3_identifier *ids;

	memset(i, 0, sizeof(*i));
	i->public_id = attr_out(ir, "public_id");
	i->legal_name = attr_out(ir, "legal_name");
	i->url = attr_out(ir, "url");
	i->email = attr_out(ir, "email");
	i->phone = attr_out(ir, "phone");
	i->country_code = attr_out(ir, "country");
	i->region = attr_out(ir, "region");
	i->base_url = attr_out(ir, "base_url");
	i->handle = attr_out(ir, "handle");
	if (i->country_code != NULL)
	{
		d = CStringGetTextDatum(i->country_code);
		run(PLAN_COUNTRY, &d);
		if (SPI_processed > 0)
			i->country_name = col(0, 1);
	}
	d = GetAttributeByName(ir, "id", &isnull);
	if (isnull)
		return;
	run(PLAN_IDENTIFIERS, &d);
	ids = palloc0(sizeof(ob3_identifier) * (SPI_processed + 1));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		ids[r].scheme = col(r, 1);
		ids[r].value = col(r, 2);
	}
	i->identifiers = ids;
	i->n_identifiers = SPI_processed;
}

PG_FUNCTION_INFO_V1(microcred_achievement);

/* microcred._achievement(t credential_type, i issuer) RETURNS jsonb */
Datum
microcred_achievement(PG_FUNCTION_ARGS)
{
	ob3_type	t;
	mcj_arena  *arena;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	spi_open();
	read_type(PG_GETARG_HEAPTUPLEHEADER(0), PG_GETARG_HEAPTUPLEHEADER(1), &t);
	SPI_finish();
	arena = mc_arena();
	PG_RETURN_JSONB_P(mc_to_jsonb(ob3_achievement(arena, &t)));
}

PG_FUNCTION_INFO_V1(microcred_issuer_profile);

/* microcred._issuer_profile(i issuer) RETURNS jsonb */
Datum
microcred_issuer_profile(PG_FUNCTION_ARGS)
{
	ob3_issuer	i;
	mcj_arena  *arena;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	spi_open();
	read_issuer(PG_GETARG_HEAPTUPLEHEADER(0), &i);
	SPI_finish();
	arena = mc_arena();
	PG_RETURN_JSONB_P(mc_to_jsonb(ob3_profile(arena, &i)));
}
