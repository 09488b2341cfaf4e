/*-------------------------------------------------------------------------
 *
 * jsonld_value.c
 *	  The Value Expansion algorithm (JSON-LD 1.1 API, 5.3.2): a scalar
 *	  under a term becomes a value object or a node reference.
 *
 * Part of the JSON-LD core (see jsonld.c for the overview, jsonld.h for
 * the API); pure: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#include "jsonld_internal.h"

#include <string.h>

/* the value expansion algorithm (5.3.2); NULL on error */
mcj_value *
jld_value_expand(jst *st, const jld_ctx *actx, const char *aprop, const mcj_value *value)
{
	const jld_term *t = aprop ? jld_ctx_get(actx, aprop) : NULL;
	mcj_value  *r;

	if (t && t->type && value->type == MCJ_STRING &&
		(strcmp(t->type, "@id") == 0 || strcmp(t->type, "@vocab") == 0))
	{
		const char *iri;
		bool		vocab = strcmp(t->type, "@vocab") == 0;

		if (!jld_str_clean(value))
		{
			jld_fail(st, "invalid @id value", "IRI contains U+0000");
			return NULL;
		}
		if (!jld_iri_expand(st, actx, value->u.str.s, true, vocab, NULL, &iri))
			return NULL;
		if (iri == NULL)
		{
			if (!jld_safe_event(st, "property \"%.60s\": reserved @id value \"%.40s\"",
							aprop, value->u.str.s))
				return NULL;
			r = jobject(st->arena);
			mcj_object_add(st->arena, r, "@id", 3, jnull(st->arena));
			return r;
		}
		if (!jld_is_absolute_iri(iri) && !jld_is_blank(iri) &&
			!jld_safe_event(st, "property \"%.60s\": relative IRI \"%.60s\" cannot be made absolute",
						aprop, iri))
			return NULL;
		r = jobject(st->arena);
		mcj_object_add(st->arena, r, "@id", 3, jcstring(st->arena, iri));
		return r;
	}
	r = jobject(st->arena);
	mcj_object_add(st->arena, r, "@value", 6, (mcj_value *) value);
	if (t && t->type && strcmp(t->type, "@id") != 0 && strcmp(t->type, "@vocab") != 0 &&
		strcmp(t->type, "@none") != 0)
		mcj_object_add(st->arena, r, "@type", 5, jcstring(st->arena, t->type));
	else if (value->type == MCJ_STRING)
	{
		const char *lang = (t && t->has_lang) ? t->lang : actx->lang;
		const char *dir = (t && t->has_dir) ? t->dir : actx->dir;

		if (lang)
			mcj_object_add(st->arena, r, "@language", 9, jcstring(st->arena, lang));
		if (dir)
			mcj_object_add(st->arena, r, "@direction", 10, jcstring(st->arena, dir));
	}
	return r;
}
