/*-------------------------------------------------------------------------
 *
 * jsonld_context.c
 *	  Context processing: each context definition of the Context
 *	  Processing Algorithm (JSON-LD 1.1 API, 4.1.2 steps 5.5 to 5.13; the
 *	  steps before are in jsonld_process.c), Create Term Definition (4.2)
 *	  and IRI Expansion (4.3).
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
 * Context processing (JSON-LD 1.1 API, 4.1 and 4.2)
 * ------------------------------------------------------------------------
 */

/* state of one context definition being processed */
typedef struct build
{
	jld_ctx    *ctx;			/* the result, mutable while building */
	mcj_arena  *arena;			/* where the result's pieces go */
	const mcj_value *local;		/* the context definition */
	bool		local_persistent;
	const char *base_url;
	bool		protected_default;
	bool		override;
	const remote_list *remotes;
	/* the "defined" map, which also indexes the entries of local */
	const char **dkeys;
	const mcj_value **dvals;
	unsigned char *dstate;
	uint32_t	dcap;
} build;

static bool create_term(jst *st, build *b, const char *term);

/* slot of term in the defined map */
static uint32_t
defined_slot(build *b, const char *term)
{
	uint32_t	mask = b->dcap - 1;
	uint32_t	i = jld_hash_bytes(term, strlen(term)) & mask;

	while (b->dkeys[i] && strcmp(b->dkeys[i], term) != 0)
		i = (i + 1) & mask;
	return i;
}

/* defined-map state of a term: 0 unknown, 1 in progress, 2 defined */
static unsigned
defined_get(build *b, const char *term)
{
	uint32_t	i = defined_slot(b, term);

	return b->dkeys[i] ? b->dstate[i] : 0;
}

/* the entry of the local context named term, or NULL */
static const mcj_value *
local_get(build *b, const char *term)
{
	uint32_t	i = defined_slot(b, term);

	return b->dkeys[i] ? b->dvals[i] : NULL;
}

/* set the defined-map state of a term */
static void
defined_set(build *b, const char *term, unsigned state)
{
	uint32_t	i = defined_slot(b, term);

	b->dkeys[i] = term;
	b->dstate[i] = (unsigned char) state;
}

/* account for a newly built IRI: bounds amplification by long prefixes */
static bool
charge_iri(jst *st, const char *iri)
{
	st->iri_bytes += strlen(iri) + 1;
	if (st->iri_bytes > ((size_t) 16 << 20))
		return jld_fail(st, JSONLD_ERR_LIMIT, "expanded IRIs exceed 16 MB");
	return true;
}

/* the IRI expansion algorithm (5.2.2); *out NULL means null */
bool
jld_iri_expand(jst *st, const jld_ctx *actx, const char *value, bool docrel,
		   bool vocab, build *b, const char **out)
{
	const jld_term *t;
	const char *colon;
	mcj_arena  *arena = b ? b->arena : st->arena;

	*out = value;
	if (value == NULL || jld_is_keyword(value))
		return true;
	if (jld_keyword_form(value))
	{
		*out = NULL;
		return true;
	}
	if (b)
	{
		if (local_get(b, value) && defined_get(b, value) != 2)
		{
			if (!create_term(st, b, value))
				return false;
		}
		actx = b->ctx;
	}
	t = jld_ctx_get(actx, value);
	if (t && t->iri && jld_is_keyword(t->iri))
	{
		*out = t->iri;
		return true;
	}
	if (vocab && t)
	{
		*out = t->iri;
		return true;
	}
	colon = value[0] ? strchr(value + 1, ':') : NULL;
	if (colon)
	{
		size_t		plen = colon - value;
		char		pbuf[128];
		char	   *prefix = plen < sizeof(pbuf) ? pbuf : jalloc(st->arena, plen + 1);
		const char *suffix = colon + 1;

		memcpy(prefix, value, plen);
		prefix[plen] = '\0';
		if (strcmp(prefix, "_") == 0 || (suffix[0] == '/' && suffix[1] == '/'))
			return true;
		if (b && local_get(b, prefix) && defined_get(b, prefix) != 2)
		{
			if (prefix == pbuf)
				prefix = jstrndup(st->arena, pbuf, plen);
			if (!create_term(st, b, prefix))
				return false;
		}
		t = jld_ctx_get(actx, prefix);
		if (t && t->iri && t->prefix)
		{
			*out = jld_str_concat(arena, t->iri, suffix);
			return arena != st->arena || charge_iri(st, *out);
		}
		if (jld_is_absolute_iri(value))
			return true;
	}
	if (vocab && actx->vocab)
		*out = jld_str_concat(arena, actx->vocab, value);
	else if (docrel && actx->base)
		*out = jld_iri_resolve(arena, actx->base, value);
	else
		return true;
	return arena != st->arena || charge_iri(st, *out);
}

/* are two term definitions the same, except for @protected? */
static bool
term_same(const jld_term *a, const jld_term *b)
{
#define SEQ(x, y) (((x) == NULL && (y) == NULL) || ((x) && (y) && strcmp((x), (y)) == 0))
	if (!SEQ(a->iri, b->iri) || !SEQ(a->type, b->type) ||
		!SEQ(a->index, b->index) || !SEQ(a->nest, b->nest))
		return false;
	if (a->reverse != b->reverse || a->prefix != b->prefix ||
		a->container != b->container || a->has_lang != b->has_lang ||
		a->has_dir != b->has_dir || a->has_context != b->has_context)
		return false;
	if (a->has_lang && !SEQ(a->lang, b->lang))
		return false;
	if (a->has_dir && !SEQ(a->dir, b->dir))
		return false;
	if (a->has_context && a->context != b->context &&
		!mcj_equal(a->context, b->context))
		return false;
#undef SEQ
	return true;
}

/* parse a container mapping value into bits; false if invalid */
static bool
parse_container(const mcj_value *v, unsigned *bits)
{
	const mcj_value *one;
	size_t		n = 1;
	unsigned	c = 0;

	if (v->type == MCJ_ARRAY)
		n = v->u.arr.n;
	else if (v->type != MCJ_STRING)
		return false;
	for (size_t i = 0; i < n; i++)
	{
		unsigned	bit;

		one = v->type == MCJ_ARRAY ? v->u.arr.items[i] : v;
		if (one->type != MCJ_STRING)
			return false;
		if (strcmp(one->u.str.s, "@graph") == 0)
			bit = C_GRAPH;
		else if (strcmp(one->u.str.s, "@id") == 0)
			bit = C_ID;
		else if (strcmp(one->u.str.s, "@index") == 0)
			bit = C_INDEX;
		else if (strcmp(one->u.str.s, "@language") == 0)
			bit = C_LANGUAGE;
		else if (strcmp(one->u.str.s, "@list") == 0)
			bit = C_LIST;
		else if (strcmp(one->u.str.s, "@set") == 0)
			bit = C_SET;
		else if (strcmp(one->u.str.s, "@type") == 0)
			bit = C_TYPE;
		else
			return false;
		if (c & bit)
			return false;
		c |= bit;
	}
	if (v->type == MCJ_ARRAY && n > 1)
	{
		/* @list alone; @graph with @id or @index (and @set); @set with others */
		if (c & C_LIST)
			return false;
		if (c & C_GRAPH)
		{
			if (c & ~(C_GRAPH | C_ID | C_INDEX | C_SET))
				return false;
			if ((c & C_ID) && (c & C_INDEX))
				return false;
		}
		else if (!(c & C_SET))
			return false;
		else
		{
			unsigned	others = c & ~C_SET;

			/* at most one of @index, @id, @type, @language */
			if (others & (others - 1))
				return false;
		}
	}
	*bits = c;
	return true;
}

/* lowercase copy of a string */
char *
jld_str_lower(mcj_arena *arena, const char *s)
{
	size_t		n = strlen(s);
	char	   *r = jalloc(arena, n + 1);

	for (size_t i = 0; i <= n; i++)
		r[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char) (s[i] + 32) : s[i];
	return r;
}

/*
 * Create Term Definition (JSON-LD 1.1 API, 4.2.2).  create_term runs the
 * steps in order; each group of steps with its own concern is a helper
 * named after it, with the recommendation's step numbers.  A helper
 * returns CTD_NEXT to go on, CTD_DONE when the term is settled early (it
 * was ignored with a safe-mode event, whose verdict is in c->event_ok) or
 * CTD_FAIL (the error is recorded in st).
 */
typedef enum ctd_step
{
	CTD_NEXT,
	CTD_DONE,
	CTD_FAIL
} ctd_step;

/* one term definition being created */
typedef struct ctd
{
	const char *term;
	const mcj_value *value;		/* its entry in the local context, or NULL */
	jld_term   *def;			/* the definition being built */
	bool		simple;			/* the value is a string: a simple term */
	const mcj_value *idv;		/* @id (or the string value); NULL for null */
	bool		has_id;
	const char *colon;			/* first ':' after the first character */
	bool		event_ok;		/* CTD_DONE: the verdict of the event */
} ctd;

/* a step ignores the term: it is defined (as nothing) and the event stands */
static ctd_step
ctd_ignore(jst *st, build *b, ctd *c, bool event_ok)
{
	defined_set(b, c->term, 2);
	st->cdepth--;
	c->event_ok = event_ok;
	return CTD_DONE;
}

/* steps 4-5: @type may only be given @container @set and @protected; other keywords and keyword-like terms */
static ctd_step
ctd_keyword_term(jst *st, build *b, ctd *c)
{
	const char *term = c->term;
	const mcj_value *value = c->value;

	if (strcmp(term, "@type") == 0)
	{
		bool		ok = value && value->type == MCJ_OBJECT && value->u.obj.n > 0;

		for (size_t i = 0; ok && i < value->u.obj.n; i++)
		{
			const mcj_member *m = &value->u.obj.members[i];

			if (strcmp(m->key, "@container") == 0)
				ok = mcj_is_string(m->value, "@set");
			else if (strcmp(m->key, "@protected") != 0)
				ok = false;
		}
		if (!ok)
			return jld_fail(st, "keyword redefinition", "term \"@type\""), CTD_FAIL;
	}
	else if (jld_is_keyword(term))
		return jld_fail(st, "keyword redefinition", "term \"%.80s\"", term), CTD_FAIL;
	else if (jld_keyword_form(term))
		return ctd_ignore(st, b, c,
						  jld_safe_event(st, "term \"%.80s\" has the form of a keyword and is ignored", term));
	return CTD_NEXT;
}

/* steps 7-10: the form of the value, the entries a definition may have, @id kept for step 14 */
static bool
ctd_value_form(jst *st, ctd *c)
{
	const char *term = c->term;
	const mcj_value *value = c->value;
	const mcj_value *v;

	if (value == NULL || value->type == MCJ_NULL)
	{
		c->has_id = true;
		c->idv = NULL;
		return true;
	}
	if (value->type == MCJ_STRING)
	{
		c->simple = true;
		c->has_id = true;
		c->idv = value;
		return true;
	}
	if (value->type != MCJ_OBJECT)
		return jld_fail(st, "invalid term definition", "term \"%.80s\"", term);
	for (size_t i = 0; i < value->u.obj.n; i++)
	{
		const char *k = value->u.obj.members[i].key;

		if (strcmp(k, "@id") && strcmp(k, "@reverse") &&
			strcmp(k, "@container") && strcmp(k, "@context") &&
			strcmp(k, "@direction") && strcmp(k, "@index") &&
			strcmp(k, "@language") && strcmp(k, "@nest") &&
			strcmp(k, "@prefix") && strcmp(k, "@protected") &&
			strcmp(k, "@type"))
			return jld_fail(st, "invalid term definition",
							"term \"%.60s\" has entry \"%.40s\"", term, k);
	}
	if ((v = mcj_object_get(value, "@id")) != NULL)
	{
		c->has_id = true;
		c->idv = v->type == MCJ_NULL ? NULL : v;
	}
	return true;
}

/* step 11: @protected */
static bool
ctd_protected(jst *st, ctd *c)
{
	const mcj_value *v = mcj_object_get(c->value, "@protected");

	if (v == NULL)
		return true;
	if (v->type != MCJ_TRUE && v->type != MCJ_FALSE)
		return jld_fail(st, "invalid @protected value", "term \"%.80s\"", c->term);
	c->def->protected_ = v->type == MCJ_TRUE;
	return true;
}

/* step 12: @type, the type mapping */
static bool
ctd_type(jst *st, build *b, ctd *c)
{
	const mcj_value *v = mcj_object_get(c->value, "@type");
	const char *t;

	if (v == NULL)
		return true;
	if (!jld_str_clean(v))
		return jld_fail(st, "invalid type mapping", "term \"%.80s\"", c->term);
	if (!jld_iri_expand(st, b->ctx, v->u.str.s, false, true, b, &t))
		return false;
	if (t == NULL ||
		!(strcmp(t, "@id") == 0 || strcmp(t, "@json") == 0 ||
		  strcmp(t, "@none") == 0 || strcmp(t, "@vocab") == 0 ||
		  jld_is_absolute_iri(t)))
		return jld_fail(st, "invalid type mapping", "term \"%.80s\"", c->term);
	c->def->type = t;
	return true;
}

/* step 13: @reverse, a reverse property (settles the definition: CTD_NEXT goes to step 28) */
static ctd_step
ctd_reverse(jst *st, build *b, ctd *c, const mcj_value *v)
{
	const char *term = c->term;
	const mcj_value *value = c->value;
	jld_term   *def = c->def;
	const char *r;
	const mcj_value *cv;

	if (mcj_object_get(value, "@id") || mcj_object_get(value, "@nest"))
		return jld_fail(st, "invalid reverse property", "term \"%.80s\"", term), CTD_FAIL;
	if (!jld_str_clean(v))
		return jld_fail(st, "invalid IRI mapping", "term \"%.80s\"", term), CTD_FAIL;
	if (jld_keyword_form(v->u.str.s))
		return ctd_ignore(st, b, c,
						  jld_safe_event(st, "term \"%.80s\": reverse keyword-like value ignored", term));
	if (!jld_iri_expand(st, b->ctx, v->u.str.s, false, true, b, &r))
		return CTD_FAIL;
	if (r == NULL || !(jld_is_absolute_iri(r) || jld_is_blank(r)))
		return jld_fail(st, "invalid IRI mapping", "term \"%.80s\"", term), CTD_FAIL;
	def->iri = r;
	if ((cv = mcj_object_get(value, "@container")) != NULL &&
		cv->type != MCJ_NULL)
	{
		if (!(mcj_is_string(cv, "@set") || mcj_is_string(cv, "@index")))
			return jld_fail(st, "invalid reverse property", "term \"%.80s\"", term), CTD_FAIL;
		def->container = mcj_is_string(cv, "@set") ? C_SET : C_INDEX;
	}
	if ((cv = mcj_object_get(value, "@index")) != NULL)
	{
		if (!(def->container & C_INDEX) || !jld_str_clean(cv) || cv->u.str.s[0] == '@')
			return jld_fail(st, "invalid term definition", "term \"%.80s\" @index", term), CTD_FAIL;
		def->index = cv->u.str.s;
	}
	def->reverse = true;
	return CTD_NEXT;
}

/* step 14: an @id that is not the term itself */
static ctd_step
ctd_iri_from_id(jst *st, build *b, ctd *c)
{
	const char *term = c->term;
	const char *colon = c->colon;
	const mcj_value *idv = c->idv;
	const char *iri;

	if (idv == NULL)
	{
		c->def->iri = NULL;
		return CTD_NEXT;
	}
	if (!jld_str_clean(idv))
		return jld_fail(st, "invalid IRI mapping", "term \"%.80s\"", term), CTD_FAIL;
	if (!jld_is_keyword(idv->u.str.s) && jld_keyword_form(idv->u.str.s))
		return ctd_ignore(st, b, c,
						  jld_safe_event(st, "term \"%.80s\": keyword-like @id \"%.40s\" ignored",
										 term, idv->u.str.s));
	if (!jld_iri_expand(st, b->ctx, idv->u.str.s, false, true, b, &iri))
		return CTD_FAIL;
	if (iri == NULL || !(jld_is_keyword(iri) || jld_is_absolute_iri(iri) || jld_is_blank(iri)))
		return jld_fail(st, "invalid IRI mapping", "term \"%.80s\"", term), CTD_FAIL;
	if (strcmp(iri, "@context") == 0)
		return jld_fail(st, "invalid keyword alias", "term \"%.80s\"", term), CTD_FAIL;
	if ((colon && colon[1] != '\0') || strchr(term, '/'))
	{
		const char *e;

		defined_set(b, term, 2);
		if (!jld_iri_expand(st, b->ctx, term, false, true, b, &e))
			return CTD_FAIL;
		if (e == NULL || strcmp(e, iri) != 0)
			return jld_fail(st, "invalid IRI mapping",
							"term \"%.80s\" does not expand to its @id", term), CTD_FAIL;
		defined_set(b, term, 1);
	}
	c->def->iri = iri;
	if (!colon && !strchr(term, '/') && c->simple)
	{
		char		last = iri[strlen(iri) - 1];

		if (strchr(":/?#[]@", last) || jld_is_blank(iri))
			c->def->prefix = true;
	}
	return CTD_NEXT;
}

/* steps 14-18: the IRI mapping, from @id, a compact IRI, a relative IRI, @type or @vocab */
static ctd_step
ctd_iri_mapping(jst *st, build *b, ctd *c)
{
	const char *term = c->term;
	const char *colon = c->colon;
	jld_term   *def = c->def;
	const char *iri;

	if (c->has_id && !(c->idv && c->idv->type == MCJ_STRING && strcmp(c->idv->u.str.s, term) == 0))
		return ctd_iri_from_id(st, b, c);
	if (colon)
	{
		/* step 15: a compact IRI */
		size_t		plen = colon - term;
		char	   *prefix = jstrndup(st->arena, term, plen);
		const jld_term *pt;

		if (local_get(b, prefix) && strcmp(prefix, "_") != 0 &&
			!(colon[1] == '/' && colon[2] == '/'))
		{
			if (!create_term(st, b, prefix))
				return CTD_FAIL;
		}
		pt = jld_ctx_get(b->ctx, prefix);
		if (pt && pt->iri && strcmp(prefix, "_") != 0 &&
			!(colon[1] == '/' && colon[2] == '/'))
			def->iri = jld_str_concat(b->arena, pt->iri, colon + 1);
		else
			def->iri = term;
	}
	else if (strchr(term, '/'))
	{
		/* step 16: a relative IRI */
		if (!jld_iri_expand(st, b->ctx, term, false, true, b, &iri))
			return CTD_FAIL;
		if (iri == NULL || !jld_is_absolute_iri(iri))
			return jld_fail(st, "invalid IRI mapping", "term \"%.80s\"", term), CTD_FAIL;
		def->iri = iri;
	}
	else if (strcmp(term, "@type") == 0)
		def->iri = "@type";		/* step 17 */
	else if (b->ctx->vocab)
		def->iri = jld_str_concat(b->arena, b->ctx->vocab, term);	/* step 18 */
	else
		return jld_fail(st, "invalid IRI mapping",
						"term \"%.80s\" has no IRI and there is no @vocab", term), CTD_FAIL;
	return CTD_NEXT;
}

/* steps 19-20: @container, and @index, which needs an index container */
static bool
ctd_container_index(jst *st, ctd *c)
{
	jld_term   *def = c->def;
	const mcj_value *v;

	if ((v = mcj_object_get(c->value, "@container")) != NULL)
	{
		if (!parse_container(v, &def->container))
			return jld_fail(st, "invalid container mapping", "term \"%.80s\"", c->term);
		if (def->container & C_TYPE)
		{
			if (def->type == NULL)
				def->type = "@id";
			else if (strcmp(def->type, "@id") != 0 && strcmp(def->type, "@vocab") != 0)
				return jld_fail(st, "invalid type mapping", "term \"%.80s\"", c->term);
		}
	}
	if ((v = mcj_object_get(c->value, "@index")) != NULL)
	{
		if (!(def->container & C_INDEX) || !jld_str_clean(v) || v->u.str.s[0] == '@')
			return jld_fail(st, "invalid term definition", "term \"%.80s\" @index", c->term);
		def->index = v->u.str.s;
	}
	return true;
}

/* step 21: @context, a scoped context, processed once here to validate it */
static bool
ctd_scoped_context(jst *st, build *b, ctd *c)
{
	const mcj_value *v = mcj_object_get(c->value, "@context");
	const jld_ctx *r;

	if (v == NULL)
		return true;
	r = jld_ctx_process(st, b->ctx, v, b->local_persistent, b->base_url,
						b->remotes, true, true, false);
	if (r == NULL)
	{
		if (strcmp(st->err->code, JSONLD_ERR_LOADING) != 0 &&
			strcmp(st->err->code, JSONLD_ERR_LIMIT) != 0 &&
			strcmp(st->err->code, JSONLD_ERR_SAFE_MODE) != 0)
		{
			char		m[sizeof(st->err->error.message)];

			memcpy(m, st->err->error.message, sizeof(m));
			st->err->code = NULL;
			return jld_fail(st, "invalid scoped context", "term \"%.40s\": %.90s",
							c->term, m);
		}
		return false;
	}
	c->def->context = v;
	c->def->has_context = true;
	c->def->base_url = b->base_url;
	c->def->context_persistent = b->local_persistent;
	return true;
}

/* steps 22-23: @language and @direction (without @type) */
static bool
ctd_language_direction(jst *st, build *b, ctd *c)
{
	const mcj_value *value = c->value;
	jld_term   *def = c->def;
	const mcj_value *v;

	if ((v = mcj_object_get(value, "@language")) != NULL &&
		!mcj_object_get(value, "@type"))
	{
		if (v->type == MCJ_NULL)
			def->lang = NULL;
		else if (jld_str_clean(v))
		{
			if (!jld_is_wellformed_lang(v->u.str.s) &&
				!jld_safe_event(st, "term \"%.80s\": invalid @language value", c->term))
				return false;
			def->lang = jld_str_lower(b->arena, v->u.str.s);
		}
		else
			return jld_fail(st, "invalid language mapping", "term \"%.80s\"", c->term);
		def->has_lang = true;
	}
	if ((v = mcj_object_get(value, "@direction")) != NULL &&
		!mcj_object_get(value, "@type"))
	{
		if (v->type == MCJ_NULL)
			def->dir = NULL;
		else if (mcj_is_string(v, "ltr") || mcj_is_string(v, "rtl"))
			def->dir = v->u.str.s;
		else
			return jld_fail(st, "invalid base direction", "term \"%.80s\"", c->term);
		def->has_dir = true;
	}
	return true;
}

/* steps 24-25: @nest and @prefix */
static bool
ctd_nest_prefix(jst *st, ctd *c)
{
	const char *term = c->term;
	jld_term   *def = c->def;
	const mcj_value *v;

	if ((v = mcj_object_get(c->value, "@nest")) != NULL)
	{
		if (!jld_str_clean(v) || (jld_is_keyword(v->u.str.s) && strcmp(v->u.str.s, "@nest") != 0))
			return jld_fail(st, "invalid @nest value", "term \"%.80s\"", term);
		def->nest = v->u.str.s;
	}
	if ((v = mcj_object_get(c->value, "@prefix")) != NULL)
	{
		if ((c->colon && c->colon[1] != '\0') || strchr(term, '/'))
			return jld_fail(st, "invalid term definition", "term \"%.80s\" @prefix", term);
		if (v->type != MCJ_TRUE && v->type != MCJ_FALSE)
			return jld_fail(st, "invalid @prefix value", "term \"%.80s\"", term);
		def->prefix = v->type == MCJ_TRUE;
		if (def->prefix && def->iri && jld_is_keyword(def->iri))
			return jld_fail(st, "invalid term definition", "term \"%.80s\" @prefix", term);
	}
	return true;
}

/* the create term definition algorithm (4.2.2) */
static bool
create_term(jst *st, build *b, const char *term)
{
	ctd			c = {.term = term};
	const jld_term *prev;
	const mcj_value *v;
	unsigned	state = defined_get(b, term);
	ctd_step	r;

	/* steps 1-3: defined already, or being defined (a cycle) */
	if (state == 2)
		return true;
	if (state == 1)
		return jld_fail(st, "cyclic IRI mapping", "term \"%.80s\"", term);
	if (term[0] == '\0')
		return jld_fail(st, "invalid term definition", "empty term");
	if (++st->cdepth > st->max_depth)
		return jld_fail(st, JSONLD_ERR_LIMIT, "context nesting deeper than %d",
						st->max_depth);
	defined_set(b, term, 1);
	c.value = local_get(b, term);

	r = ctd_keyword_term(st, b, &c);	/* steps 4-5 */
	if (r != CTD_NEXT)
		return r == CTD_DONE && c.event_ok;

	/* step 6: the previous definition; a new one, protected by default */
	prev = jld_ctx_get(b->ctx, term);
	c.def = jalloc(b->arena, sizeof(jld_term));
	memset(c.def, 0, sizeof(*c.def));
	c.def->name = term;
	c.def->protected_ = b->protected_default;

	if (!ctd_value_form(st, &c))	/* steps 7-10 */
		return false;
	if (c.value && c.value->type == MCJ_OBJECT)
	{
		if (!ctd_protected(st, &c) || !ctd_type(st, b, &c)) /* steps 11-12 */
			return false;
		if ((v = mcj_object_get(c.value, "@reverse")) != NULL)
		{
			r = ctd_reverse(st, b, &c, v);	/* step 13 */
			if (r != CTD_NEXT)
				return r == CTD_DONE && c.event_ok;
			goto finish;
		}
	}

	c.colon = term[0] ? strchr(term + 1, ':') : NULL;
	if (c.value && c.value->type == MCJ_OBJECT && mcj_object_get(c.value, "@prefix") &&
		((c.colon && c.colon[1] != '\0') || strchr(term, '/')))
		return jld_fail(st, "invalid term definition", "term \"%.80s\" @prefix", term);
	r = ctd_iri_mapping(st, b, &c); /* steps 14-18 */
	if (r != CTD_NEXT)
		return r == CTD_DONE && c.event_ok;

	if (c.value && c.value->type == MCJ_OBJECT)
	{
		if (!ctd_container_index(st, &c) ||	/* steps 19-20 */
			!ctd_scoped_context(st, b, &c) ||	/* step 21 */
			!ctd_language_direction(st, b, &c) ||	/* steps 22-23 */
			!ctd_nest_prefix(st, &c))	/* steps 24-25 */
			return false;
	}

	/* step 27: a protected term may only be redefined identically */
	if (!b->override && prev && prev->protected_)
	{
		if (!term_same(c.def, prev))
			return jld_fail(st, JSONLD_ERR_PROTECTED, "term \"%.80s\"", term);
		c.def = (jld_term *) prev;
	}

finish:
	/* step 28 */
	jld_ctx_set(b->arena, b->ctx, c.def);
	defined_set(b, term, 2);
	st->cdepth--;
	return true;
}

/*
 * Context Processing 4.1.2 step 5.6: def with the context that @import (v)
 * names merged under it (def's own entries win); NULL on error
 */
static const mcj_value *
ctx_import(jst *st, mcj_arena *arena, const mcj_value *def,
		   const mcj_value *v, const char *base_url)
{
	const char *url;
	const jld_doc *d;
	const mcj_value *ic;
	mcj_value  *merged;

	if (!jld_str_clean(v))
	{
		jld_fail(st, "invalid @import value", "@import must be a string");
		return NULL;
	}
	if (base_url)
		url = jld_iri_resolve(st->arena, base_url, v->u.str.s);
	else if (jld_is_absolute_iri(v->u.str.s))
		url = v->u.str.s;
	else
	{
		jld_fail(st, JSONLD_ERR_LOADING, "relative @import %.80s without base", v->u.str.s);
		return NULL;
	}
	if ((d = jld_load_document(st, url)) == NULL)
		return NULL;
	ic = d->doc->type == MCJ_OBJECT ? mcj_object_get(d->doc, "@context") : NULL;
	if (ic == NULL || ic->type != MCJ_OBJECT)
	{
		jld_fail(st, "invalid remote context", "%.100s", url);
		return NULL;
	}
	if (mcj_object_get(ic, "@import"))
	{
		jld_fail(st, "invalid context entry", "imported context %.80s has @import", url);
		return NULL;
	}
	merged = jobject(arena);
	for (size_t i = 0; i < ic->u.obj.n; i++)
	{
		const mcj_member *m = &ic->u.obj.members[i];

		if (!mcj_object_getn(def, m->key, m->keylen))
			mcj_object_add(arena, merged, m->key, m->keylen, m->value);
	}
	for (size_t i = 0; i < def->u.obj.n; i++)
	{
		const mcj_member *m = &def->u.obj.members[i];

		mcj_object_add(arena, merged, m->key, m->keylen, m->value);
	}
	return merged;
}

/* Context Processing 4.1.2 step 5.8: @vocab (v) into the vocabulary mapping */
static bool
ctx_set_vocab(jst *st, build *b, const mcj_value *v)
{
	jld_ctx    *res = b->ctx;

	if (v->type == MCJ_NULL)
		res->vocab = NULL;
	else if (jld_str_clean(v))
	{
		const char *voc;

		if (!jld_iri_expand(st, res, v->u.str.s, true, true, NULL, &voc))
			return false;
		if (voc == NULL || (!jld_is_absolute_iri(voc) && !jld_is_blank(voc) && res->base))
		{
			jld_fail(st, "invalid vocab mapping", "@vocab %.80s", v->u.str.s);
			return false;
		}
		if (!jld_is_absolute_iri(voc) && !jld_is_blank(voc) &&
			!jld_safe_event(st, "relative @vocab reference \"%.80s\"", v->u.str.s))
			return false;
		res->vocab = jstrndup(b->arena, voc, strlen(voc));
	}
	else
	{
		jld_fail(st, "invalid vocab mapping", "@vocab must be a string or null");
		return false;
	}
	return true;
}

/*
 * Context Processing 4.1.2 steps 5.9 and 5.10: @language and @direction
 * of def into the default language and base direction
 */
static bool
ctx_set_language_direction(jst *st, build *b, const mcj_value *def)
{
	jld_ctx    *res = b->ctx;
	const mcj_value *v;

	if ((v = mcj_object_get(def, "@language")) != NULL)
	{
		if (v->type == MCJ_NULL)
			res->lang = NULL;
		else if (jld_str_clean(v))
		{
			if (!jld_is_wellformed_lang(v->u.str.s) &&
				!jld_safe_event(st, "invalid @language value \"%.80s\"", v->u.str.s))
				return false;
			res->lang = jld_str_lower(b->arena, v->u.str.s);
		}
		else
		{
			jld_fail(st, "invalid default language", "@language must be a string or null");
			return false;
		}
	}
	if ((v = mcj_object_get(def, "@direction")) != NULL)
	{
		if (v->type == MCJ_NULL)
			res->dir = NULL;
		else if (mcj_is_string(v, "ltr") || mcj_is_string(v, "rtl"))
			res->dir = v->u.str.s;
		else
		{
			jld_fail(st, "invalid base direction", "@direction must be \"ltr\", \"rtl\" or null");
			return false;
		}
	}
	return true;
}

/*
 * Context Processing 4.1.2 steps 5.12 and 5.13: the defined map (which
 * also indexes the entries of def), then Create Term Definition for every
 * entry that is not one of the context's own keywords
 */
static bool
ctx_define_terms(jst *st, build *b, const mcj_value *def)
{
	b->dcap = 16;
	while (b->dcap < def->u.obj.n * 2 + 2)
		b->dcap *= 2;
	b->dkeys = jalloc(st->arena, sizeof(char *) * b->dcap);
	b->dvals = jalloc(st->arena, sizeof(mcj_value *) * b->dcap);
	b->dstate = jalloc(st->arena, b->dcap);
	memset(b->dkeys, 0, sizeof(char *) * b->dcap);
	memset(b->dstate, 0, b->dcap);
	for (size_t i = 0; i < def->u.obj.n; i++)
	{
		const mcj_member *m = &def->u.obj.members[i];
		uint32_t	j = defined_slot(b, m->key);

		if (b->dkeys[j] == NULL)
		{
			b->dkeys[j] = m->key;
			b->dvals[j] = m->value;
		}
	}

	for (size_t i = 0; i < def->u.obj.n; i++)
	{
		const mcj_member *m = &def->u.obj.members[i];
		const char *k = m->key;

		if (strlen(k) != m->keylen)
		{
			jld_fail(st, "invalid term definition", "term contains U+0000");
			return false;
		}
		if (strcmp(k, "@base") == 0 || strcmp(k, "@direction") == 0 ||
			strcmp(k, "@import") == 0 || strcmp(k, "@language") == 0 ||
			strcmp(k, "@propagate") == 0 || strcmp(k, "@protected") == 0 ||
			strcmp(k, "@version") == 0 || strcmp(k, "@vocab") == 0)
			continue;
		if (!create_term(st, b, k))
			return false;
	}
	return true;
}

/*
 * build the context for one context definition (a map) on top of cur
 * (Context Processing 4.1.2 steps 5.5 to 5.13; the steps before are in
 * jsonld_process.c)
 */
jld_ctx *
jld_build_definition(jst *st, const jld_ctx *cur, const mcj_value *def,
					 bool lpers, const char *base_url, const remote_list *remotes,
					 bool override, bool persistent)
{
	jsonld_cache *cache = st->cache;
	const mcj_value *v;
	build		b;
	jld_ctx    *res;

	memset(&b, 0, sizeof(b));
	b.arena = persistent ? cache->arena : st->arena;
	res = jld_ctx_copy(b.arena, cur, persistent);

	/* step 5.5 */
	if ((v = mcj_object_get(def, "@version")) != NULL)
	{
		if (v->type != MCJ_NUMBER || v->u.num != 1.1)
		{
			jld_fail(st, "invalid @version value", "@version must be 1.1");
			return NULL;
		}
	}
	if ((v = mcj_object_get(def, "@import")) != NULL &&
		(def = ctx_import(st, b.arena, def, v, base_url)) == NULL)
		return NULL;
	/* step 5.7 */
	if ((v = mcj_object_get(def, "@base")) != NULL && remotes == NULL)
	{
		if (v->type == MCJ_NULL)
			res->base = NULL;
		else if (jld_str_clean(v) && jld_is_absolute_iri(v->u.str.s))
			res->base = jstrndup(b.arena, v->u.str.s, v->u.str.len);
		else if (jld_str_clean(v) && res->base)
			res->base = jld_iri_resolve(b.arena, res->base, v->u.str.s);
		else
		{
			jld_fail(st, "invalid base IRI", "@base %.80s", jld_str_clean(v) ? v->u.str.s : "");
			return NULL;
		}
	}
	b.ctx = res;
	b.local = def;
	b.local_persistent = lpers;
	b.base_url = base_url;
	b.override = override;
	b.remotes = remotes;
	if ((v = mcj_object_get(def, "@vocab")) != NULL && !ctx_set_vocab(st, &b, v))
		return NULL;
	if (!ctx_set_language_direction(st, &b, def))
		return NULL;
	/* step 5.11 */
	if ((v = mcj_object_get(def, "@propagate")) != NULL &&
		v->type != MCJ_TRUE && v->type != MCJ_FALSE)
	{
		jld_fail(st, "invalid @propagate value", "@propagate must be a boolean");
		return NULL;
	}
	/* @protected: the default that step 5.13 passes to Create Term Definition */
	if ((v = mcj_object_get(def, "@protected")) != NULL)
	{
		if (v->type != MCJ_TRUE && v->type != MCJ_FALSE)
		{
			jld_fail(st, "invalid @protected value", "@protected must be a boolean");
			return NULL;
		}
		b.protected_default = v->type == MCJ_TRUE;
	}

	if (!ctx_define_terms(st, &b, def))
		return NULL;
	return res;
}
