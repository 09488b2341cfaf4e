/*-------------------------------------------------------------------------
 *
 * jsonld_rdf.c
 *	  Deserialization of expanded JSON-LD to RDF (JSON-LD 1.1 API,
 *	  6.2 and 6.3).
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
 * Deserialization to RDF (JSON-LD 1.1 API, 6.2 and 6.3)
 *
 * The quads are produced by walking the expanded tree directly rather than
 * through a flattened node map: this yields the same RDF dataset (node
 * objects with the same @id contribute their triples wherever they occur,
 * and duplicate quads are set-equal), with blank nodes labelled b0, b1, ...
 * in document order.
 * ------------------------------------------------------------------------
 */

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
	uint32_t	h = jld_hash_bytes(label, strlen(label));
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
				uint32_t	k = jld_hash_bytes(st->bn_keys[j], strlen(st->bn_keys[j])) & (ncap - 1);

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
	if (jld_is_blank(id))
	{
		*out = relabel_blank(st, id);
		return true;
	}
	if (jld_is_wellformed_iri(id))
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
		return jld_fail(st, JSONLD_ERR_LIMIT, "more than %zu quads", st->max_quads);
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
	const char *dt = (ty && jld_str_clean(ty)) ? ty->u.str.s : NULL;
	char		num[64];

	*ok = false;
	memset(out, 0, sizeof(*out));
	out->kind = RDF_TERM_LITERAL;
	if (ty && !jld_str_clean(ty))
		return jld_safe_event(st, "invalid datatype would be dropped");
	if (dt && strcmp(dt, "@json") == 0)
	{
		mcj_buf		buf;

		mcj_buf_init(&buf, st->arena, 64);
		if (!mcj_write_jcs(&buf, v, &st->err->error))
		{
			char		m[sizeof(st->err->error.message)];

			memcpy(m, st->err->error.message, sizeof(m));
			return jld_fail(st, "invalid JSON literal", "%.120s", m);
		}
		out->value = buf.data;
		out->len = buf.len;
		out->datatype = RDF_JSON;
		*ok = true;
		return true;
	}
	if (dt && !jld_is_wellformed_iri(dt))
		return jld_safe_event(st, "datatype \"%.80s\" is not an absolute IRI", dt);
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
		if (lang && jld_str_clean(lang))
		{
			if (!jld_is_wellformed_lang(lang->u.str.s))
				return jld_safe_event(st, "invalid language tag \"%.60s\"", lang->u.str.s);
			out->language = lang->u.str.s;
			out->datatype = RDF_LANGSTRING;
		}
		else
			out->datatype = dt ? dt : RDF_XSD_STRING;
	}
	else
		return jld_safe_event(st, "invalid @value would be dropped");
	if (mcj_object_get(item, "@direction") &&
		!jld_safe_event(st, "@direction is not representable without rdfDirection"))
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
		return jld_fail(st, JSONLD_ERR_LIMIT, "expanded document nested too deeply");
	if (item->type != MCJ_OBJECT)
		return jld_safe_event(st, "non-object in expanded form");
	if (mcj_object_get(item, "@value"))
		return value_to_literal(st, item, out, ok);
	if ((l = mcj_object_get(item, "@list")) != NULL)
	{
		*ok = true;
		return list_to_rdf(st, l, graph, ds, depth, out);
	}
	return jld_emit_node(st, item, graph, ds, depth + 1, out, ok);
}

/* the rdf:type triples of a node's @type (6.2.2 step 2.3) */
static bool
emit_types(jst *st, rdf_dataset *ds, const rdf_term *s, const mcj_value *arr,
		   const rdf_term *graph)
{
	rdf_term	p = iri_term(RDF_TYPE);
	size_t		n = arr->type == MCJ_ARRAY ? arr->u.arr.n : 1;

	for (size_t i = 0; i < n; i++)
	{
		const mcj_value *t = arr->type == MCJ_ARRAY ? arr->u.arr.items[i] : arr;
		rdf_term	o;

		if (!jld_str_clean(t) || !id_term(st, t->u.str.s, &o))
		{
			if (!jld_safe_event(st, "invalid type \"%.80s\"", jld_str_clean(t) ? t->u.str.s : ""))
				return false;
			continue;
		}
		if (!emit(st, ds, s, &p, &o, graph))
			return false;
	}
	return true;
}

/* emit all quads of a node object; *subj receives its subject */
bool
jld_emit_node(jst *st, const mcj_value *node, const rdf_term *graph,
		  rdf_dataset *ds, int depth, rdf_term *subj, bool *subj_ok)
{
	const mcj_value *idv = mcj_object_get(node, "@id");
	const mcj_value *v;
	rdf_term	s;
	bool		sok = true;

	*subj_ok = false;
	if (depth > 2 * st->max_depth + 8)
		return jld_fail(st, JSONLD_ERR_LIMIT, "expanded document nested too deeply");
	if (node->type != MCJ_OBJECT)
		return jld_safe_event(st, "non-object node in expanded form");
	if (idv && jld_str_clean(idv))
	{
		if (!id_term(st, idv->u.str.s, &s))
		{
			sok = false;
			if (!jld_safe_event(st, "relative subject \"%.80s\"", idv->u.str.s))
				return false;
		}
	}
	else if (idv && idv->type == MCJ_NULL)
	{
		sok = false;
		memset(&s, 0, sizeof(s));
	}
	else if (idv)
		return jld_safe_event(st, "invalid @id in expanded form");
	else
		s = new_blank(st);

	if ((v = mcj_object_get(node, "@type")) != NULL && sok &&
		!emit_types(st, ds, &s, v, graph))
		return false;

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
						if (!jld_safe_event(st, "invalid reverse property \"%.80s\"", rm->key))
							return false;
					}
					for (size_t j = 0; j < ni; j++)
					{
						const mcj_value *it = items->type == MCJ_ARRAY ? items->u.arr.items[j] : items;
						rdf_term	o;
						bool		ook;

						if (!jld_emit_node(st, it, graph, ds, depth + 1, &o, &ook))
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
					if (!jld_safe_event(st, "graph with a relative name would be dropped"))
						return false;
					continue;
				}
				for (size_t j = 0; j < vals->u.arr.n; j++)
				{
					rdf_term	o;
					bool		ook;

					if (!jld_emit_node(st, vals->u.arr.items[j], &s, ds, depth + 1, &o, &ook))
						return false;
				}
			}
			else if (strcmp(key, "@included") == 0 && vals->type == MCJ_ARRAY)
			{
				for (size_t j = 0; j < vals->u.arr.n; j++)
				{
					rdf_term	o;
					bool		ook;

					if (!jld_emit_node(st, vals->u.arr.items[j], graph, ds, depth + 1, &o, &ook))
						return false;
				}
			}
			continue;
		}
		if (jld_is_blank(key))
		{
			pok = false;
			if (!jld_safe_event(st, "blank node predicate \"%.80s\"", key))
				return false;
		}
		else if (!jld_is_wellformed_iri(key))
		{
			pok = false;
			if (!jld_safe_event(st, "relative predicate \"%.80s\"", key))
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
