/*-------------------------------------------------------------------------
 *
 * jsonld_maps.c
 *	  Expansion of language, index, id and type maps (JSON-LD 1.1 API,
 *	  Expansion Algorithm 5.1.2 steps 13.7 and 13.8); the rest of the
 *	  Expansion Algorithm is in jsonld_expand.c.
 *
 * Part of the JSON-LD core (see jsonld.c for the overview, jsonld.h for
 * the API); pure: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#include "jsonld_internal.h"

#include <stdbool.h>
#include <string.h>

/*
 * Expansion Algorithm 5.1.2 step 13.7: a language map (value) of the
 * property key into ev
 */
static bool
expand_language_map(jst *st, const jld_ctx *actx, const char *key,
					const jld_term *t, const mcj_value *value, mcj_value *ev)
{
	/* step 13.7.2 */
	const char *dir = t->has_dir ? t->dir : actx->dir;

	/* step 13.7.4 */
	for (size_t i = 0; i < value->u.obj.n; i++)
	{
		const mcj_member *m = &value->u.obj.members[i];
		const mcj_value *lv = m->value;
		size_t		n = lv->type == MCJ_ARRAY ? lv->u.arr.n : 1;
		const char *lexp;

		if (!jld_expand_key(st, actx, m->key, &lexp))
			return false;
		for (size_t j = 0; j < n; j++)
		{
			const mcj_value *item = lv->type == MCJ_ARRAY ? lv->u.arr.items[j] : lv;
			mcj_value  *o;

			if (item->type == MCJ_NULL)
				continue;
			if (item->type != MCJ_STRING)
				return jld_fail(st, "invalid language map value", "property \"%.80s\"", key);
			if (!jld_count_node(st))
				return false;
			o = jobject(st->arena);
			mcj_object_add(st->arena, o, "@value", 6, (mcj_value *) item);
			if (strcmp(m->key, "@none") != 0 && !(lexp && strcmp(lexp, "@none") == 0))
			{
				if (!jld_is_wellformed_lang(m->key) &&
					!jld_safe_event(st, "property \"%.60s\": invalid language \"%.40s\"",
									key, m->key))
					return false;
				mcj_object_add(st->arena, o, "@language", 9,
							   jcstring(st->arena, jld_str_lower(st->arena, m->key)));
			}
			if (dir)
				mcj_object_add(st->arena, o, "@direction", 10, jcstring(st->arena, dir));
			mcj_array_append(st->arena, ev, o);
		}
	}
	return true;
}

/*
 * Expansion Algorithm 5.1.2 step 13.8.3.7.2: a property-valued index
 * (index_key, the term's @index) of the map key index onto item
 */
static bool
map_property_index(jst *st, const jld_ctx *actx, const char *key,
				   const char *index_key, const char *index, mcj_value *item)
{
	mcj_value  *s = jcstring(st->arena, index);
	mcj_value  *re = jld_value_expand(st, actx, index_key, s);
	const char *eik;
	mcj_value  *vals;
	mcj_value  *old;

	if (re == NULL)
		return false;
	if (!jld_expand_key(st, actx, index_key, &eik))
		return false;
	if (eik == NULL)
		return jld_fail(st, "invalid term definition", "index key \"%.80s\"", index_key);
	if (item->type != MCJ_OBJECT || jld_is_value_object(item))
		return jld_fail(st, "invalid value object",
						"property \"%.60s\" property-valued index on a value", key);
	vals = jarray(st->arena);
	mcj_array_append(st->arena, vals, re);
	old = mcj_object_get(item, eik);
	if (old)
	{
		mcj_value  *oa = jld_as_array(st, old);

		for (size_t k = 0; k < oa->u.arr.n; k++)
			mcj_array_append(st->arena, vals, oa->u.arr.items[k]);
	}
	mcj_object_set(st->arena, item, eik, vals);
	return true;
}

/*
 * Expansion Algorithm 5.1.2 step 13.8.3.7.4: the key index of an id map
 * as the @id of item
 */
static bool
map_id(jst *st, const jld_ctx *actx, const char *key, const char *index,
	   mcj_value *item)
{
	const char *id;

	if (!jld_iri_expand(st, actx, index, true, false, NULL, &id))
		return false;
	if (id == NULL)
	{
		if (!jld_safe_event(st, "property \"%.60s\": reserved @id value", key))
			return false;
	}
	else
	{
		if (!jld_is_absolute_iri(id) && !jld_is_blank(id) &&
			!jld_safe_event(st, "property \"%.60s\": relative @id \"%.60s\"", key, id))
			return false;
		mcj_object_add(st->arena, item, "@id", 3, jcstring(st->arena, id));
	}
	return true;
}

/*
 * Expansion Algorithm 5.1.2 step 13.8.3.7.5: the expanded key eindex of a
 * type map as the first @type of item
 */
static bool
map_type(jst *st, const char *key, const char *eindex, mcj_value *item)
{
	mcj_value  *types = jarray(st->arena);
	mcj_value  *old = mcj_object_get(item, "@type");

	if (!jld_is_absolute_iri(eindex) && !jld_is_blank(eindex) &&
		!jld_safe_event(st, "property \"%.60s\": type \"%.60s\" is not an absolute IRI",
						key, eindex))
		return false;
	mcj_array_append(st->arena, types, jcstring(st->arena, eindex));
	if (old)
	{
		mcj_value  *oa = jld_as_array(st, old);

		for (size_t k = 0; k < oa->u.arr.n; k++)
			mcj_array_append(st->arena, types, oa->u.arr.items[k]);
		mcj_object_set(st->arena, item, "@type", types);
	}
	else
		mcj_object_add(st->arena, item, "@type", 5, types);
	return true;
}

/*
 * Expansion Algorithm 5.1.2 step 13.8.2: the context of one entry (index)
 * of an id or type map; NULL on error
 */
static const jld_ctx *
map_entry_context(jst *st, const jld_ctx *actx, unsigned cont, const char *index)
{
	const jld_ctx *map_ctx = actx;

	if ((cont & (C_ID | C_TYPE)) && actx->previous)
		map_ctx = actx->previous;
	if (cont & C_TYPE)
	{
		const jld_term *it = jld_ctx_get(map_ctx, index);

		if (it && it->has_context)
			map_ctx = jld_ctx_process(st, map_ctx, it->context, it->context_persistent,
									  it->base_url, NULL, false, true, true);
	}
	else
		map_ctx = actx;
	return map_ctx;
}

/*
 * process an index, id, type or language map (value) of the property key
 * with term definition t (Expansion Algorithm 5.1.2 steps 13.7, 13.8) in
 * the active context actx; base_url and depth as for jld_expand
 */
bool
jld_expand_map_container(jst *st, const jld_ctx *actx, const char *key,
						 const jld_term *t, const mcj_value *value,
						 const char *base_url, int depth, mcj_value **out)
{
	mcj_value  *ev = jarray(st->arena);
	unsigned	cont = t->container;
	const char *index_key = t->index ? t->index : "@index";

	*out = ev;
	if (cont & C_LANGUAGE)
		return expand_language_map(st, actx, key, t, value, ev);

	/* index, id or type map: step 13.8.3 */
	for (size_t i = 0; i < value->u.obj.n; i++)
	{
		const mcj_member *m = &value->u.obj.members[i];
		const char *index = m->key;
		const jld_ctx *map_ctx = map_entry_context(st, actx, cont, index);
		const char *eindex;
		mcj_value  *iv;

		if (map_ctx == NULL)
			return false;
		if (!jld_expand_key(st, actx, index, &eindex))
			return false;
		if (!jld_expand(st, map_ctx, key, m->value, base_url, true, depth + 1, &iv))
			return false;
		if (iv == NULL)
			continue;
		iv = jld_as_array(st, iv);
		/* step 13.8.3.7 */
		for (size_t j = 0; j < iv->u.arr.n; j++)
		{
			mcj_value  *item = iv->u.arr.items[j];
			bool		none = eindex && strcmp(eindex, "@none") == 0;

			if ((cont & C_GRAPH) && !jld_is_graph_object(item))
			{
				mcj_value  *g = jobject(st->arena);

				mcj_object_add(st->arena, g, "@graph", 6, jld_as_array(st, item));
				item = g;
			}
			if ((cont & C_INDEX) && strcmp(index_key, "@index") != 0 && !none)
			{
				if (!map_property_index(st, actx, key, index_key, index, item))
					return false;
			}
			else if ((cont & C_INDEX) && !none && item->type == MCJ_OBJECT &&
					 !mcj_object_get(item, "@index"))
				mcj_object_add(st->arena, item, "@index", 6, jcstring(st->arena, index));
			else if ((cont & C_ID) && !none && item->type == MCJ_OBJECT &&
					 !mcj_object_get(item, "@id"))
			{
				if (!map_id(st, actx, key, index, item))
					return false;
			}
			else if ((cont & C_TYPE) && !none && eindex == NULL)
			{
				if (!jld_safe_event(st, "property \"%.60s\": type map key \"%.40s\" ignored",
									key, index))
					return false;
			}
			else if ((cont & C_TYPE) && !none && item->type == MCJ_OBJECT)
			{
				if (!map_type(st, key, eindex, item))
					return false;
			}
			mcj_array_append(st->arena, ev, item);
		}
	}
	return true;
}
