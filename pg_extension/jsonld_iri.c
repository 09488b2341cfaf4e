/*-------------------------------------------------------------------------
 *
 * jsonld_iri.c
 *	  IRI resolution against a base (RFC 3986 section 5.2).
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
 * IRI resolution (RFC 3986 section 5.2)
 * ------------------------------------------------------------------------
 */

typedef struct iri_parts
{
	const char *scheme;
	size_t		scheme_len;
	const char *auth;
	size_t		auth_len;
	bool		has_auth;
	const char *path;
	size_t		path_len;
	const char *query;
	size_t		query_len;
	bool		has_query;
	const char *frag;
	size_t		frag_len;
	bool		has_frag;
} iri_parts;

/* split an IRI reference into its five components */
static void
iri_split(const char *s, iri_parts *p)
{
	size_t		sl = jld_scheme_len(s);
	const char *q;

	memset(p, 0, sizeof(*p));
	if (sl > 0)
	{
		p->scheme = s;
		p->scheme_len = sl;
		s += sl + 1;
	}
	if (s[0] == '/' && s[1] == '/')
	{
		s += 2;
		p->has_auth = true;
		p->auth = s;
		while (*s && *s != '/' && *s != '?' && *s != '#')
			s++;
		p->auth_len = s - p->auth;
	}
	p->path = s;
	while (*s && *s != '?' && *s != '#')
		s++;
	p->path_len = s - p->path;
	if (*s == '?')
	{
		q = ++s;
		while (*s && *s != '#')
			s++;
		p->has_query = true;
		p->query = q;
		p->query_len = s - q;
	}
	if (*s == '#')
	{
		s++;
		p->has_frag = true;
		p->frag = s;
		p->frag_len = strlen(s);
	}
}

/* RFC 3986 5.2.4 remove_dot_segments; in and out may not overlap */
static size_t
remove_dots(const char *in, size_t len, char *out)
{
	size_t		o = 0;
	size_t		i = 0;

	while (i < len)
	{
		const char *s = in + i;
		size_t		rem = len - i;

		if (rem >= 3 && memcmp(s, "../", 3) == 0)
			i += 3;
		else if (rem >= 2 && memcmp(s, "./", 2) == 0)
			i += 2;
		else if (rem >= 3 && memcmp(s, "/./", 3) == 0)
			i += 2;
		else if (rem == 2 && memcmp(s, "/.", 2) == 0)
		{
			out[o++] = '/';
			i += 2;
		}
		else if ((rem >= 4 && memcmp(s, "/../", 4) == 0) ||
				 (rem == 3 && memcmp(s, "/..", 3) == 0))
		{
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			if (rem == 3)
			{
				out[o++] = '/';
				i += 3;
			}
			else
				i += 3;
		}
		else if ((rem == 1 && s[0] == '.') || (rem == 2 && memcmp(s, "..", 2) == 0))
			i += rem;
		else
		{
			size_t		j = 0;

			if (s[0] == '/')
				out[o++] = in[i + j++];
			while (i + j < len && in[i + j] != '/')
			{
				out[o++] = in[i + j];
				j++;
			}
			i += j;
		}
	}
	return o;
}

/* end a resolved IRI at out[o]: the query (if any), r's fragment (if any), NUL */
static char *
iri_finish(char *out, size_t o, bool has_query, const char *query, size_t query_len,
		   const iri_parts *r)
{
	if (has_query)
	{
		out[o++] = '?';
		memcpy(out + o, query, query_len);
		o += query_len;
	}
	if (r->has_frag)
	{
		out[o++] = '#';
		memcpy(out + o, r->frag, r->frag_len);
		o += r->frag_len;
	}
	out[o] = '\0';
	return out;
}

/* resolve reference ref against base (absolute); result in arena */
char *
jld_iri_resolve(mcj_arena *arena, const char *base, const char *ref)
{
	iri_parts	b,
				r;
	size_t		cap = strlen(base) + strlen(ref) + 8;
	char	   *out = jalloc(arena, cap);
	char	   *tmp = jalloc(arena, cap);
	size_t		o = 0;
	const char *auth;
	size_t		auth_len;
	bool		has_auth;
	const char *query;
	size_t		query_len;
	bool		has_query;

	iri_split(base, &b);
	iri_split(ref, &r);
	if (r.scheme)
	{
		memcpy(out, ref, r.scheme_len + 1);
		o = r.scheme_len + 1;
		if (r.has_auth)
		{
			memcpy(out + o, "//", 2);
			memcpy(out + o + 2, r.auth, r.auth_len);
			o += 2 + r.auth_len;
		}
		o += remove_dots(r.path, r.path_len, out + o);
		return iri_finish(out, o, r.has_query, r.query, r.query_len, &r);
	}
	memcpy(out, b.scheme, b.scheme_len + 1);
	o = b.scheme_len + 1;
	if (r.has_auth)
	{
		auth = r.auth;
		auth_len = r.auth_len;
		has_auth = true;
	}
	else
	{
		auth = b.auth;
		auth_len = b.auth_len;
		has_auth = b.has_auth;
	}
	if (has_auth)
	{
		memcpy(out + o, "//", 2);
		memcpy(out + o + 2, auth, auth_len);
		o += 2 + auth_len;
	}
	if (r.has_auth)
	{
		o += remove_dots(r.path, r.path_len, out + o);
		has_query = r.has_query;
		query = r.query;
		query_len = r.query_len;
	}
	else if (r.path_len == 0)
	{
		memcpy(out + o, b.path, b.path_len);
		o += b.path_len;
		if (r.has_query)
		{
			has_query = true;
			query = r.query;
			query_len = r.query_len;
		}
		else
		{
			has_query = b.has_query;
			query = b.query;
			query_len = b.query_len;
		}
	}
	else
	{
		if (r.path[0] == '/')
			o += remove_dots(r.path, r.path_len, out + o);
		else
		{
			/* merge */
			size_t		t = 0;

			if (b.has_auth && b.path_len == 0)
				tmp[t++] = '/';
			else
			{
				size_t		last = b.path_len;

				while (last > 0 && b.path[last - 1] != '/')
					last--;
				memcpy(tmp, b.path, last);
				t = last;
			}
			memcpy(tmp + t, r.path, r.path_len);
			t += r.path_len;
			o += remove_dots(tmp, t, out + o);
		}
		has_query = r.has_query;
		query = r.query;
		query_len = r.query_len;
	}
	return iri_finish(out, o, has_query, query, query_len, &r);
}
