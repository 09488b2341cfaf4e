/*-------------------------------------------------------------------------
 *
 * jsonld_expand.c
 *	  The Expansion Algorithm (JSON-LD 1.1 API, 5.1; Value Expansion,
 *	  5.3, is in jsonld_value.c, the language, index, id and type maps of
 *	  steps 13.7 and 13.8 in jsonld_maps.c).
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
 * Expansion (JSON-LD 1.1 API, 5.1 and 5.3)
 * ------------------------------------------------------------------------
 */

/* count one produced value against the size limit */
bool
jld_count_node(jst *st)
{
	if (++st->nodes > st->max_nodes)
		return jld_fail(st, JSONLD_ERR_LIMIT, "document expands to more than %zu values",
					st->max_nodes);
	return true;
}

/* make v an array (wrapping non-arrays) */
mcj_value *
jld_as_array(jst *st, mcj_value *v)
{
	mcj_value  *a;

	if (v->type == MCJ_ARRAY)
		return v;
	a = jarray(st->arena);
	mcj_array_append(st->arena, a, v);
	return a;
}

/* append v to the array arr: its items when it is an array, else itself */
static void
append_items(jst *st, mcj_value *arr, mcj_value *v)
{
	if (v->type == MCJ_ARRAY)
	{
		for (size_t i = 0; i < v->u.arr.n; i++)
			mcj_array_append(st->arena, arr, v->u.arr.items[i]);
	}
	else
		mcj_array_append(st->arena, arr, v);
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
	append_items(st, cur, v);
}

/* expand a key with vocab = true */
bool
jld_expand_key(jst *st, const jld_ctx *actx, const char *key, const char **out)
{
	return jld_iri_expand(st, actx, key, false, true, NULL, out);
}

/* a value object? */
bool
jld_is_value_object(const mcj_value *v)
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
bool
jld_is_graph_object(const mcj_value *v)
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
	uint32_t	i = jld_hash_bytes(key, strlen(key)) & mask;

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
	append_items(st, cur, v);
}

/*
 * Expansion Algorithm (JSON-LD 1.1 API, 5.1.2) step 13.4: an entry whose
 * key expands to a keyword.  One helper per keyword, named after it, with
 * the recommendation's step number.  A helper returns KW_SET to set its
 * value *ev (when not NULL) as the result's entry for the keyword (step
 * 13.4.16), KW_DONE when it has put its result in place itself or dropped
 * the entry, or KW_FAIL (the error is recorded in st).
 */
typedef enum kw_step
{
	KW_SET,
	KW_DONE,
	KW_FAIL
} kw_step;

typedef kw_step (*kw_fn) (jst *st, node_exp *ne, const char *key,
						  const mcj_value *value, mcj_value **ev);

/* 13.4.3: @id */
static kw_step
kw_id(jst *st, node_exp *ne, const char *key, const mcj_value *value, mcj_value **ev)
{
	const char *id;

	if (!jld_str_clean(value))
		return jld_fail(st, "invalid @id value", "key \"%.80s\"", key), KW_FAIL;
	if (!jld_iri_expand(st, ne->actx, value->u.str.s, true, false, NULL, &id))
		return KW_FAIL;
	if (id == NULL)
	{
		if (!jld_safe_event(st, "reserved @id value \"%.60s\"", value->u.str.s))
			return KW_FAIL;
		*ev = jnull(st->arena);
	}
	else
	{
		if (!jld_is_absolute_iri(id) && !jld_is_blank(id) &&
			!jld_safe_event(st, "relative @id \"%.80s\" cannot be made absolute", id))
			return KW_FAIL;
		*ev = jcstring(st->arena, id);
	}
	return KW_SET;
}

/* 13.4.4: @type, expanded against the type-scoped context; merged with an earlier @type */
static kw_step
kw_type(jst *st, node_exp *ne, const char *key, const mcj_value *value, mcj_value **ev)
{
	size_t		n = value->type == MCJ_ARRAY ? value->u.arr.n : 1;
	mcj_value  *types = jarray(st->arena);
	mcj_value  *old;

	if (value->type != MCJ_ARRAY && value->type != MCJ_STRING)
		return jld_fail(st, "invalid type value", "key \"%.80s\"", key), KW_FAIL;
	for (size_t j = 0; j < n; j++)
	{
		const mcj_value *tv = value->type == MCJ_ARRAY ? value->u.arr.items[j] : value;
		const char *ti;

		if (!jld_str_clean(tv))
			return jld_fail(st, "invalid type value", "key \"%.80s\"", key), KW_FAIL;
		if (!jld_iri_expand(st, ne->type_ctx, tv->u.str.s, true, true, NULL, &ti))
			return KW_FAIL;
		if (ti == NULL)
		{
			if (!jld_safe_event(st, "type \"%.80s\" would be dropped", tv->u.str.s))
				return KW_FAIL;
			continue;
		}
		if (!jld_is_absolute_iri(ti) && !jld_is_blank(ti) && !jld_is_keyword(ti) &&
			!jld_safe_event(st, "type \"%.80s\" does not expand to an absolute IRI",
							tv->u.str.s))
			return KW_FAIL;
		mcj_array_append(st->arena, types, jcstring(st->arena, ti));
	}
	if (value->type == MCJ_STRING && types->u.arr.n == 1)
		*ev = types->u.arr.items[0];
	else
		*ev = types;
	if ((old = res_get(ne, "@type")) != NULL)
	{
		mcj_value  *all = jarray(st->arena);
		mcj_value  *oa = jld_as_array(st, old);
		mcj_value  *na = jld_as_array(st, *ev);

		for (size_t k = 0; k < oa->u.arr.n; k++)
			mcj_array_append(st->arena, all, oa->u.arr.items[k]);
		for (size_t k = 0; k < na->u.arr.n; k++)
			mcj_array_append(st->arena, all, na->u.arr.items[k]);
		res_set(st, ne, "@type", all);
		return KW_DONE;
	}
	return KW_SET;
}

/* 13.4.5: @graph */
static kw_step
kw_graph(jst *st, node_exp *ne, const char *key, const mcj_value *value, mcj_value **ev)
{
	(void) key;
	if (!jld_expand(st, ne->actx, "@graph", value, ne->base_url, false, ne->depth + 1, ev))
		return KW_FAIL;
	*ev = *ev ? jld_as_array(st, *ev) : jarray(st->arena);
	return KW_SET;
}

/* 13.4.6: @included, node objects only; added to an earlier @included */
static kw_step
kw_included(jst *st, node_exp *ne, const char *key, const mcj_value *value, mcj_value **ev)
{
	if (!jld_expand(st, ne->actx, "@included", value, ne->base_url, false, ne->depth + 1, ev))
		return KW_FAIL;
	*ev = *ev ? jld_as_array(st, *ev) : jarray(st->arena);
	for (size_t k = 0; k < (*ev)->u.arr.n; k++)
	{
		const mcj_value *it = (*ev)->u.arr.items[k];

		if (it->type != MCJ_OBJECT || jld_is_value_object(it) || is_list_object(it) ||
			mcj_object_get(it, "@set"))
			return jld_fail(st, "invalid @included value", "key \"%.80s\"", key), KW_FAIL;
	}
	if (res_get(ne, "@included") != NULL)
	{
		res_add_value(st, ne, "@included", *ev);
		return KW_DONE;
	}
	return KW_SET;
}

/* 13.4.7: @value, a scalar (or anything for @json) */
static kw_step
kw_value(jst *st, node_exp *ne, const char *key, const mcj_value *value, mcj_value **ev)
{
	(void) ev;
	if (!(ne->input_type && strcmp(ne->input_type, "@json") == 0) &&
		(value->type == MCJ_OBJECT || value->type == MCJ_ARRAY))
		return jld_fail(st, "invalid value object value", "key \"%.80s\"", key), KW_FAIL;
	res_set(st, ne, "@value", (mcj_value *) value);
	return KW_DONE;
}

/* 13.4.8: @language, lowercased */
static kw_step
kw_language(jst *st, node_exp *ne, const char *key, const mcj_value *value, mcj_value **ev)
{
	(void) ne;
	if (!jld_str_clean(value))
		return jld_fail(st, "invalid language-tagged string", "key \"%.80s\"", key), KW_FAIL;
	if (!jld_is_wellformed_lang(value->u.str.s) &&
		!jld_safe_event(st, "invalid @language value \"%.60s\"", value->u.str.s))
		return KW_FAIL;
	*ev = jcstring(st->arena, jld_str_lower(st->arena, value->u.str.s));
	return KW_SET;
}

/* 13.4.9: @direction */
static kw_step
kw_direction(jst *st, node_exp *ne, const char *key, const mcj_value *value, mcj_value **ev)
{
	(void) ne;
	if (!(mcj_is_string(value, "ltr") || mcj_is_string(value, "rtl")))
		return jld_fail(st, "invalid base direction", "key \"%.80s\"", key), KW_FAIL;
	*ev = (mcj_value *) value;
	return KW_SET;
}

/* 13.4.10: @index */
static kw_step
kw_index(jst *st, node_exp *ne, const char *key, const mcj_value *value, mcj_value **ev)
{
	(void) ne;
	if (value->type != MCJ_STRING)
		return jld_fail(st, "invalid @index value", "key \"%.80s\"", key), KW_FAIL;
	*ev = (mcj_value *) value;
	return KW_SET;
}

/* 13.4.11: @list (a free-floating list is dropped: a safe-mode event) */
static kw_step
kw_list(jst *st, node_exp *ne, const char *key, const mcj_value *value, mcj_value **ev)
{
	(void) key;
	if (ne->aprop == NULL || strcmp(ne->aprop, "@graph") == 0)
		return jld_safe_event(st, "free-floating @list would be dropped") ? KW_DONE : KW_FAIL;
	if (!jld_expand(st, ne->actx, ne->aprop, value, ne->base_url, false, ne->depth + 1, ev))
		return KW_FAIL;
	*ev = *ev ? jld_as_array(st, *ev) : jarray(st->arena);
	return KW_SET;
}

/* 13.4.12: @set */
static kw_step
kw_set(jst *st, node_exp *ne, const char *key, const mcj_value *value, mcj_value **ev)
{
	(void) key;
	if (!jld_expand(st, ne->actx, ne->aprop, value, ne->base_url, false, ne->depth + 1, ev))
		return KW_FAIL;
	if (*ev == NULL)
		*ev = jarray(st->arena);
	return KW_SET;
}

/* add reverse-property values to the result's @reverse map (no value or list objects) */
static bool
add_reverse(jst *st, node_exp *ne, const char *prop, mcj_value *items)
{
	mcj_value  *rmap = res_get(ne, "@reverse");

	if (rmap == NULL)
	{
		rmap = jobject(st->arena);
		res_set(st, ne, "@reverse", rmap);
	}
	for (size_t q = 0; q < items->u.arr.n; q++)
	{
		if (jld_is_value_object(items->u.arr.items[q]) ||
			is_list_object(items->u.arr.items[q]))
			return jld_fail(st, "invalid reverse property value",
							"property \"%.80s\"", prop);
	}
	add_value(st, rmap, prop, items);
	return true;
}

/* 13.4.13: @reverse, its entries become reverse properties of the result */
static kw_step
kw_reverse(jst *st, node_exp *ne, const char *key, const mcj_value *value, mcj_value **ev)
{
	mcj_value  *rv;

	if (value->type != MCJ_OBJECT)
		return jld_fail(st, "invalid @reverse value", "key \"%.80s\"", key), KW_FAIL;
	if (!jld_expand(st, ne->actx, "@reverse", value, ne->base_url, false, ne->depth + 1, ev))
		return KW_FAIL;
	if (*ev == NULL || (*ev)->type != MCJ_OBJECT)
		return KW_DONE;
	if ((rv = mcj_object_get(*ev, "@reverse")) != NULL && rv->type == MCJ_OBJECT)
	{
		for (size_t k = 0; k < rv->u.obj.n; k++)
			res_add_value(st, ne, rv->u.obj.members[k].key, rv->u.obj.members[k].value);
	}
	for (size_t k = 0; k < (*ev)->u.obj.n; k++)
	{
		const mcj_member *pm = &(*ev)->u.obj.members[k];

		if (strcmp(pm->key, "@reverse") == 0)
			continue;
		if (!add_reverse(st, ne, pm->key, jld_as_array(st, pm->value)))
			return KW_FAIL;
	}
	return KW_DONE;
}

/* the keyword steps of 13.4; other keywords (framing, @context-like) are ignored */
static const struct
{
	const char *keyword;
	kw_fn		step;
}			keyword_steps[] =
{
	{"@id", kw_id},
	{"@type", kw_type},
	{"@graph", kw_graph},
	{"@included", kw_included},
	{"@value", kw_value},
	{"@language", kw_language},
	{"@direction", kw_direction},
	{"@index", kw_index},
	{"@list", kw_list},
	{"@set", kw_set},
	{"@reverse", kw_reverse},
};

/* 13.4.1-13.4.16 for one keyword entry other than @nest */
static bool
expand_keyword_entry(jst *st, node_exp *ne, const char *key, const char *ep,
					 const mcj_value *value)
{
	mcj_value  *ev = NULL;

	if (ne->aprop && strcmp(ne->aprop, "@reverse") == 0)
		return jld_fail(st, "invalid reverse property map",
						"keyword %.40s in a reverse map", ep);
	if (res_get(ne, ep) && strcmp(ep, "@included") != 0 &&
		strcmp(ep, "@type") != 0)
		return jld_fail(st, "colliding keywords", "%.40s (key \"%.60s\")", ep, key);
	for (size_t i = 0; i < sizeof(keyword_steps) / sizeof(keyword_steps[0]); i++)
	{
		if (strcmp(ep, keyword_steps[i].keyword) != 0)
			continue;
		switch (keyword_steps[i].step(st, ne, key, value, &ev))
		{
			case KW_FAIL:
				return false;
			case KW_DONE:
				return true;
			case KW_SET:
				if (ev != NULL)
					res_set(st, ne, ep, ev);	/* 13.4.16 */
				return true;
		}
	}
	return true;
}

/* 13.5-13.13: an entry whose key expands to a property IRI */
static bool
expand_property_entry(jst *st, node_exp *ne, const char *key, const char *ep,
					  const mcj_value *value)
{
	const jld_term *t = jld_ctx_get(ne->actx, key);
	mcj_value  *ev = NULL;

	if (t && t->type && strcmp(t->type, "@json") == 0)
	{
		/* 13.6: a JSON literal */
		ev = jobject(st->arena);
		mcj_object_add(st->arena, ev, "@value", 6, (mcj_value *) value);
		mcj_object_add(st->arena, ev, "@type", 5, jcstring(st->arena, "@json"));
	}
	else if (t && (t->container & (C_LANGUAGE | C_INDEX | C_TYPE | C_ID)) &&
			 value->type == MCJ_OBJECT)
	{
		/* 13.7-13.8: language, index, id and type maps */
		if (!jld_expand_map_container(st, ne->actx, key, t, value, ne->base_url,
									  ne->depth, &ev))
			return false;
	}
	else if (!jld_expand(st, ne->actx, key, value, ne->base_url, false, ne->depth + 1, &ev))
		return false;			/* 13.9 */
	if (ev == NULL)
		return true;			/* 13.10 */
	if (t && (t->container & C_LIST) && !is_list_object(ev))
	{
		/* 13.11: a list container */
		mcj_value  *l = jobject(st->arena);

		mcj_object_add(st->arena, l, "@list", 5, jld_as_array(st, ev));
		ev = l;
	}
	if (t && (t->container & C_GRAPH) && !(t->container & (C_ID | C_INDEX)))
	{
		/* 13.12: a graph container */
		mcj_value  *arr = jld_as_array(st, ev);
		mcj_value  *wrapped = jarray(st->arena);

		for (size_t k = 0; k < arr->u.arr.n; k++)
		{
			mcj_value  *g = jobject(st->arena);

			mcj_object_add(st->arena, g, "@graph", 6, jld_as_array(st, arr->u.arr.items[k]));
			mcj_array_append(st->arena, wrapped, g);
		}
		ev = wrapped;
	}
	/* 13.13: a reverse property, or a plain one */
	if (t && t->reverse)
		return add_reverse(st, ne, ep, jld_as_array(st, ev));
	res_add_value(st, ne, ep, ev);
	return true;
}

static bool expand_entries(jst *st, node_exp *ne, const mcj_value *el, int nest_depth);

/* step 14: the entries of @nest objects, as if they were the element's own */
static bool
expand_nests(jst *st, node_exp *ne, const mcj_member **nests, size_t nnests,
			 int nest_depth)
{
	const jld_ctx *actx = ne->actx;

	for (size_t i = 0; i < nnests; i++)
	{
		const mcj_value *nv = nests[i]->value;
		size_t		n = nv->type == MCJ_ARRAY ? nv->u.arr.n : 1;

		for (size_t j = 0; j < n; j++)
		{
			const mcj_value *item = nv->type == MCJ_ARRAY ? nv->u.arr.items[j] : nv;
			node_exp	sub = *ne;
			const jld_term *nt = jld_ctx_get(actx, nests[i]->key);

			if (item->type != MCJ_OBJECT)
				return jld_fail(st, "invalid @nest value", "key \"%.80s\"", nests[i]->key);
			for (size_t k = 0; k < item->u.obj.n; k++)
			{
				const char *e;

				if (!jld_expand_key(st, actx, item->u.obj.members[k].key, &e))
					return false;
				if (e && strcmp(e, "@value") == 0)
					return jld_fail(st, "invalid @nest value", "key \"%.80s\"", nests[i]->key);
			}
			if (nt && nt->has_context)
			{
				sub.actx = jld_ctx_process(st, actx, nt->context, nt->context_persistent,
										   nt->base_url, NULL, true, true, true);
				if (sub.actx == NULL)
					return false;
			}
			if (!expand_entries(st, &sub, item, nest_depth + 1))
				return false;
		}
	}
	return true;
}

/* step 13: each entry of an element (a map), then step 14, its @nest entries */
static bool
expand_entries(jst *st, node_exp *ne, const mcj_value *el, int nest_depth)
{
	const mcj_member **nests = NULL;
	size_t		nnests = 0;

	if (nest_depth > st->max_depth)
		return jld_fail(st, JSONLD_ERR_LIMIT, "@nest deeper than %d", st->max_depth);

	for (size_t i = 0; i < el->u.obj.n; i++)
	{
		const mcj_member *m = &el->u.obj.members[i];
		const char *ep;

		/* 13.1-13.3: skip @context, expand the key, drop what does not expand */
		if (strcmp(m->key, "@context") == 0)
			continue;
		if (!jld_expand_key(st, ne->actx, m->key, &ep))
			return false;
		if (ep == NULL || (!strchr(ep, ':') && !jld_is_keyword(ep)))
		{
			if (!jld_safe_event(st, "term \"%.80s\" is not defined and would be dropped", m->key))
				return false;
			continue;
		}
		if (jld_is_keyword(ep) && strcmp(ep, "@nest") == 0)
		{
			/* 13.4.14: @nest entries are expanded last (step 14) */
			if (ne->aprop && strcmp(ne->aprop, "@reverse") == 0)
				return jld_fail(st, "invalid reverse property map",
								"keyword %.40s in a reverse map", ep);
			if (res_get(ne, ep))
				return jld_fail(st, "colliding keywords", "%.40s (key \"%.60s\")", ep, m->key);
			if (nests == NULL)
				nests = jalloc(st->arena, sizeof(mcj_member *) * el->u.obj.n);
			nests[nnests++] = m;
		}
		else if (jld_is_keyword(ep))
		{
			if (!expand_keyword_entry(st, ne, m->key, ep, m->value))
				return false;
		}
		else if (!expand_property_entry(st, ne, m->key, ep, m->value))
			return false;
	}
	return expand_nests(st, ne, nests, nnests, nest_depth);
}

/* compare C strings for qsort */
static int
cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * Expansion Algorithm 5.1.2 step 4: a scalar element of the active
 * property aprop (term definition pt); *out NULL means null
 */
static bool
expand_scalar(jst *st, const jld_ctx *actx, const char *aprop,
			  const jld_term *pt, const mcj_value *el, mcj_value **out)
{
	/* step 4.1 */
	if (aprop == NULL || strcmp(aprop, "@graph") == 0)
		return jld_safe_event(st, "free-floating value would be dropped");
	/* step 4.2 */
	if (pt && pt->has_context)
	{
		actx = jld_ctx_process(st, actx, pt->context, pt->context_persistent,
							   pt->base_url, NULL, true, true, true);
		if (actx == NULL)
			return false;
	}
	/* step 4.3 */
	*out = jld_value_expand(st, actx, aprop, el);
	return *out != NULL;
}

/*
 * Expansion Algorithm 5.1.2 step 5: an array element, its items expanded
 * and flattened into one array (lists of lists wrapped)
 */
static bool
expand_array(jst *st, const jld_ctx *actx, const char *aprop,
			 const jld_term *pt, const mcj_value *el, const char *base_url,
			 bool from_map, int depth, mcj_value **out)
{
	mcj_value  *r = jarray(st->arena);

	for (size_t i = 0; i < el->u.arr.n; i++)
	{
		mcj_value  *e;

		if (!jld_expand(st, actx, aprop, el->u.arr.items[i], base_url, from_map, depth + 1, &e))
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

/*
 * Expansion Algorithm 5.1.2 step 7: revert a non-propagated context for
 * the map el, unless it is a value object or only an @id; *actx is
 * updated
 */
static bool
expand_revert_context(jst *st, const jld_ctx **actx, const mcj_value *el)
{
	bool		revert = true;
	size_t		nid = 0;

	for (size_t i = 0; i < el->u.obj.n; i++)
	{
		const char *e;

		if (!jld_expand_key(st, *actx, el->u.obj.members[i].key, &e))
			return false;
		if (e && strcmp(e, "@value") == 0)
			revert = false;
		if (e && strcmp(e, "@id") == 0)
			nid++;
	}
	if (el->u.obj.n == 1 && nid == 1)
		revert = false;
	if (revert)
		*actx = (*actx)->previous;
	return true;
}

/*
 * Expansion Algorithm 5.1.2 steps 11 and 12 (input type): apply the
 * type-scoped contexts (from type_ctx) of the @type entries of the map el
 * to *actx and set *input_type
 */
static bool
expand_type_scoped(jst *st, const jld_ctx **actx, const jld_ctx *type_ctx,
				   const mcj_value *el, const char **input_type)
{
	const char **tkeys = NULL;
	size_t		ntk = 0;
	size_t		n = el->u.obj.n;

	for (size_t i = 0; i < n; i++)
	{
		const char *e;

		if (!jld_expand_key(st, *actx, el->u.obj.members[i].key, &e))
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

			if (jld_str_clean(one))
				terms[nterms++] = one->u.str.s;
		}
		if (nterms > 1)
			qsort(terms, nterms, sizeof(char *), cmp_cstr);
		/* step 11.2 */
		for (size_t j = 0; j < nterms; j++)
		{
			const jld_term *tt = jld_ctx_get(type_ctx, terms[j]);

			if (tt && tt->has_context)
			{
				*actx = jld_ctx_process(st, *actx, tt->context, tt->context_persistent,
										tt->base_url, NULL, false, false, true);
				if (*actx == NULL)
					return false;
			}
		}
		/* step 12: the input type */
		if (i == 0 && nt > 0)
		{
			const mcj_value *last = tv->type == MCJ_ARRAY ? tv->u.arr.items[nt - 1] : tv;

			if (jld_str_clean(last))
			{
				if (!jld_expand_key(st, *actx, last->u.str.s, input_type))
					return false;
			}
		}
	}
	return true;
}

/*
 * Expansion Algorithm 5.1.2 steps 15 to 20: check and simplify the
 * expanded map result of the active property aprop into *out (left NULL
 * when the result is dropped)
 */
static bool
expand_finish(jst *st, const char *aprop, mcj_value *result, mcj_value **out)
{
	mcj_value  *v;

	/* step 15: value objects */
	if ((v = mcj_object_get(result, "@value")) != NULL)
	{
		const mcj_value *ty = mcj_object_get(result, "@type");

		for (size_t i = 0; i < result->u.obj.n; i++)
		{
			const char *k = result->u.obj.members[i].key;

			if (strcmp(k, "@direction") && strcmp(k, "@index") && strcmp(k, "@language") &&
				strcmp(k, "@type") && strcmp(k, "@value"))
				return jld_fail(st, "invalid value object", "unexpected %.60s", k);
		}
		if (ty && (mcj_object_get(result, "@language") || mcj_object_get(result, "@direction")))
			return jld_fail(st, "invalid value object", "@type with @language or @direction");
		if (ty && mcj_is_string(ty, "@json"))
		{
			/* anything goes */
		}
		else if (v->type == MCJ_NULL || (v->type == MCJ_ARRAY && v->u.arr.n == 0))
			return jld_safe_event(st, "value object with null @value would be dropped");
		else if (v->type != MCJ_STRING && mcj_object_get(result, "@language"))
			return jld_fail(st, "invalid language-tagged value", "@language on a non-string");
		else if (ty && (!jld_str_clean(ty) || !jld_is_wellformed_iri(ty->u.str.s)))
			return jld_fail(st, "invalid typed value", "@type must be an absolute IRI");
	}
	/* step 16 */
	else if ((v = mcj_object_get(result, "@type")) != NULL && v->type != MCJ_ARRAY)
		mcj_object_set(st->arena, result, "@type", jld_as_array(st, v));
	/* step 17 */
	else if ((v = mcj_object_get(result, "@set")) != NULL ||
			 mcj_object_get(result, "@list") != NULL)
	{
		if (result->u.obj.n > 2 || (result->u.obj.n == 2 && !mcj_object_get(result, "@index")))
			return jld_fail(st, "invalid set or list object", "extra entries");
		if (v != NULL)
		{
			*out = v;
			return true;
		}
	}
	/* step 18 */
	if (result->u.obj.n == 1 && mcj_object_get(result, "@language"))
		return jld_safe_event(st, "object with only @language would be dropped");
	/* step 19: free-floating nodes */
	if (aprop == NULL || strcmp(aprop, "@graph") == 0)
	{
		if (result->u.obj.n == 0)
			return jld_safe_event(st, "empty object would be dropped");
		if (mcj_object_get(result, "@value") || mcj_object_get(result, "@list"))
			return jld_safe_event(st, "free-floating value or list would be dropped");
		if (result->u.obj.n == 1 && (v = mcj_object_get(result, "@id")) != NULL)
			return jld_safe_event(st, "node with only @id \"%.80s\" would be dropped",
								  jld_str_clean(v) ? v->u.str.s : "");
	}
	*out = result;
	return true;
}

/* the expansion algorithm (5.1.2); *out NULL means null */
bool
jld_expand(jst *st, const jld_ctx *actx, const char *aprop, const mcj_value *el,
	   const char *base_url, bool from_map, int depth, mcj_value **out)
{
	const jld_term *pt;
	const jld_ctx *type_ctx;
	mcj_value  *v;
	node_exp	ne;
	mcj_value  *result;

	MC_CHECK_INTERRUPTS();
	*out = NULL;
	if (depth > st->max_depth)
		return jld_fail(st, JSONLD_ERR_LIMIT, "document nested deeper than %d", st->max_depth);
	if (!jld_count_node(st))
		return false;
	if (el->type == MCJ_NULL)
		return true;
	pt = aprop ? jld_ctx_get(actx, aprop) : NULL;

	if (el->type != MCJ_ARRAY && el->type != MCJ_OBJECT)
		return expand_scalar(st, actx, aprop, pt, el, out);
	if (el->type == MCJ_ARRAY)
		return expand_array(st, actx, aprop, pt, el, base_url, from_map, depth, out);

	/* a map: step 7, revert a non-propagated context */
	if (actx->previous && !from_map && !expand_revert_context(st, &actx, el))
		return false;
	/* step 8: property-scoped context */
	if (pt && pt->has_context)
	{
		actx = jld_ctx_process(st, actx, pt->context, pt->context_persistent,
						   pt->base_url, NULL, true, true, true);
		if (actx == NULL)
			return false;
	}
	/* step 9: embedded context */
	if ((v = mcj_object_get(el, "@context")) != NULL)
	{
		actx = jld_ctx_process(st, actx, v, false, base_url, NULL, false, true, true);
		if (actx == NULL)
			return false;
	}
	/* steps 10-12: type-scoped contexts and input type */
	type_ctx = actx;
	ne.input_type = NULL;
	if (!expand_type_scoped(st, &actx, type_ctx, el, &ne.input_type))
		return false;

	/* steps 12 to 14: the entries */
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
	return expand_finish(st, aprop, result, out);
}
