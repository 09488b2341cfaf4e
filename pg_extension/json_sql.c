/*-------------------------------------------------------------------------
 *
 * json_sql.c
 *	  The bridge between PostgreSQL values and the pure JSON core (mcjson):
 *	  an arena backed by a memory context, jsonb <-> mcj_value conversion,
 *	  strict parsing of JSON text with SQL errors, and JCS text.  The SQL
 *	  function microcred.canonicalize() is in canon_sql.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "mc_sql.h"

/* arena allocator: palloc in the memory context given as ctx */
static void *
mc_palloc(void *ctx, size_t size)
{
	return MemoryContextAllocExtended((MemoryContext) ctx, size, MCXT_ALLOC_HUGE);
}

/* arena free: pfree (the context reset would free it anyway) */
static void
mc_pfree(void *ctx, void *ptr)
{
	pfree(ptr);
}

/* an arena whose blocks live in the given memory context */
mcj_arena *
mc_arena_in(MemoryContext context)
{
	mcj_allocator a;

	a.alloc = mc_palloc;
	a.free = mc_pfree;
	a.ctx = context;
	return mcj_arena_create(&a);
}

/* an arena in CurrentMemoryContext */
mcj_arena *
mc_arena(void)
{
	return mc_arena_in(CurrentMemoryContext);
}

/* double of a jsonb numeric, refusing what I-JSON cannot represent */
static double
numeric_to_double(Numeric num, const char *what)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num)));
	char	   *end;
	double		d;

	errno = 0;
	d = strtod(s, &end);
	if (*end != '\0' || !isfinite(d) || (errno == ERANGE && fabs(d) > 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s contains a number that is not an IEEE 754 double: %s", what, s),
				 errhint("Credentials follow I-JSON (RFC 7493): numbers must be finite doubles.")));
	pfree(s);
	return d;
}

/* one scalar jsonb value as an mcj value */
static mcj_value *
scalar_to_mcj(mcj_arena *arena, JsonbValue *v, const char *what)
{
	switch (v->type)
	{
		case jbvNull:
			return mcj_null(arena);
		case jbvBool:
			return mcj_bool(arena, v->val.boolean);
		case jbvNumeric:
			return mcj_number(arena, numeric_to_double(v->val.numeric, what));
		case jbvString:
			return mcj_string(arena, v->val.string.val, v->val.string.len);
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
	return NULL;
}

/* jsonb -> mcj_value (object member order is jsonb's, which JCS and RDF ignore) */
mcj_value *
mc_from_jsonb(mcj_arena *arena, Jsonb *jb, const char *what)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	mcj_value  *stack[MC_JSON_MAX_DEPTH + 1];
	int			depth = 0;
	mcj_value  *result = NULL;
	char	   *key = NULL;
	size_t		keylen = 0;

	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		mcj_value  *node = NULL;

		CHECK_FOR_INTERRUPTS();
		switch (tok)
		{
			case WJB_BEGIN_ARRAY:
				if (v.val.array.rawScalar)
					continue;	/* a scalar document: its element follows */
				node = mcj_array(arena);
				break;
			case WJB_BEGIN_OBJECT:
				node = mcj_object(arena);
				break;
			case WJB_KEY:
				key = v.val.string.val;
				keylen = v.val.string.len;
				continue;
			case WJB_VALUE:
			case WJB_ELEM:
				node = scalar_to_mcj(arena, &v, what);
				break;
			case WJB_END_ARRAY:
			case WJB_END_OBJECT:
				if (depth > 0)
					depth--;
				continue;
			default:
				continue;
		}

		/* attach the node to its parent */
		if (depth == 0)
			result = node;
		else if (stack[depth - 1]->type == MCJ_ARRAY)
			mcj_array_append(arena, stack[depth - 1], node);
		else
			mcj_object_add(arena, stack[depth - 1], key, keylen, node);

		if (node->type == MCJ_ARRAY || node->type == MCJ_OBJECT)
		{
			if (depth >= MC_JSON_MAX_DEPTH)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("%s is nested deeper than %d levels", what, MC_JSON_MAX_DEPTH)));
			stack[depth++] = node;
		}
	}
	return result;
}

/* mcj number -> jsonb numeric, through its ECMAScript form */
static Numeric
double_to_numeric(double d)
{
	char		buf[40];

	mcj_format_number(d, buf);
	return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
											   ObjectIdGetDatum(InvalidOid),
											   Int32GetDatum(-1)));
}

/* push one mcj value onto a jsonb parse state */
static JsonbValue *
push_mcj(JsonbParseState **state, const mcj_value *v, bool is_elem)
{
	JsonbValue	jv;
	JsonbIteratorToken tok = is_elem ? WJB_ELEM : WJB_VALUE;

	check_stack_depth();
	switch (v->type)
	{
		case MCJ_NULL:
			jv.type = jbvNull;
			return pushJsonbValue(state, tok, &jv);
		case MCJ_TRUE:
		case MCJ_FALSE:
			jv.type = jbvBool;
			jv.val.boolean = (v->type == MCJ_TRUE);
			return pushJsonbValue(state, tok, &jv);
		case MCJ_NUMBER:
			jv.type = jbvNumeric;
			jv.val.numeric = double_to_numeric(v->u.num);
			return pushJsonbValue(state, tok, &jv);
		case MCJ_STRING:
			if (memchr(v->u.str.s, '\0', v->u.str.len) != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
						 errmsg("JSON string contains U+0000, which jsonb cannot store")));
			jv.type = jbvString;
			jv.val.string.val = (char *) v->u.str.s;
			jv.val.string.len = (int) v->u.str.len;
			return pushJsonbValue(state, tok, &jv);
		case MCJ_ARRAY:
			CHECK_FOR_INTERRUPTS();
			pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
			for (size_t i = 0; i < v->u.arr.n; i++)
				push_mcj(state, v->u.arr.items[i], true);
			return pushJsonbValue(state, WJB_END_ARRAY, NULL);
		case MCJ_OBJECT:
			CHECK_FOR_INTERRUPTS();
			pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
			for (size_t i = 0; i < v->u.obj.n; i++)
			{
				const mcj_member *m = &v->u.obj.members[i];

				jv.type = jbvString;
				jv.val.string.val = (char *) m->key;
				jv.val.string.len = (int) m->keylen;
				pushJsonbValue(state, WJB_KEY, &jv);
				push_mcj(state, m->value, false);
			}
			return pushJsonbValue(state, WJB_END_OBJECT, NULL);
	}
	return NULL;
}

/* mcj_value -> jsonb */
Jsonb *
mc_to_jsonb(const mcj_value *v)
{
	JsonbParseState *state = NULL;
	JsonbValue *res;

	if (v->type != MCJ_ARRAY && v->type != MCJ_OBJECT)
	{
		/* a scalar document is a one-element raw-scalar array in jsonb */
		JsonbValue	scalar;

		scalar.type = jbvArray;
		scalar.val.array.rawScalar = true;
		scalar.val.array.nElems = 1;
		pushJsonbValue(&state, WJB_BEGIN_ARRAY, &scalar);
		push_mcj(&state, v, true);
		res = pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	}
	else
		res = push_mcj(&state, v, false);
	return JsonbValueToJsonb(res);
}

/* strict I-JSON parse of text, or an SQL error naming what was parsed */
mcj_value *
mc_parse_text(mcj_arena *arena, const char *text, size_t len, const char *what)
{
	mcj_parse_options opts;
	mcj_error	err;
	mcj_value  *v;

	memset(&opts, 0, sizeof(opts));
	opts.max_depth = MC_JSON_MAX_DEPTH;
	opts.max_bytes = MC_JSON_MAX_BYTES;
	v = mcj_parse(arena, text, len, &opts, &err);
	if (v == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("%s is not valid I-JSON: %s", what, err.message),
				 errdetail("The error is at byte %zu.", err.offset),
				 errhint("Credentials must be I-JSON (RFC 7493): UTF-8, no duplicate member names, finite numbers.")));
	return v;
}

/* text of a canonical JCS serialization, or an SQL error */
text *
mc_jcs_text(mcj_arena *arena, const mcj_value *v, const char *what)
{
	mcj_buf		buf;
	mcj_error	err;

	mcj_buf_init(&buf, arena, 1024);
	if (!mcj_write_jcs(&buf, v, &err))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s cannot be canonicalized: %s", what, err.message)));
	return cstring_to_text_with_len(buf.data, (int) buf.len);
}
