/*-------------------------------------------------------------------------
 *
 * nquads.c
 *	  N-Quads 1.1 reader and canonical N-Quads writer (rdf.h).
 *
 * The reader accepts the N-Quads 1.1 grammar as used by the RDFC-1.0 test
 * suite: IRIs in angle brackets (with \u and \U escapes), blank node
 * labels, literals with ECHAR/UCHAR escapes, datatypes and language tags
 * (plus the RDF 1.2 base direction suffix "--ltr"/"--rtl"), comments and
 * blank lines.  Input must be valid UTF-8.  IRIs must be absolute (have a
 * scheme) and, after unescaping, must not contain characters that the
 * IRIREF production excludes, so that everything read can be written
 * back canonically and read again unchanged.
 *
 * The writer produces the canonical N-Quads form of RDFC-1.0 section 4.6
 * (RDF 1.2 N-Triples canonical form): single spaces between terms, " ."
 * and a line feed at the end, no datatype for xsd:string, and in literals
 * only '"', '\\', the controls with a short escape (\b \t \n \f \r) and
 * the remaining controls U+0000..U+001F and U+007F (as \u00XX with upper
 * case hex digits) escaped; every other character is written as UTF-8.
 *
 * Pure core: memory from an mcj_arena, errors as values.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rdf.h"

#define RDF_DIRLANGSTRING "http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString"

typedef struct nq_parser
{
	const char *p;				/* current position */
	const char *end;
	const char *start;			/* start of the input, for offsets */
	size_t		line;			/* 1-based line number */
	mcj_arena  *arena;
	mcj_buf		tmp;			/* scratch for unescaped strings */
	mcj_error  *err;
} nq_parser;

/* record an error at the current position, prefixed with the line number */
static bool
nq_fail(nq_parser *ps, const char *msg)
{
	if (ps->err)
	{
		snprintf(ps->err->message, sizeof(ps->err->message),
				 "n-quads line %zu: %s", ps->line, msg);
		ps->err->offset = (size_t) (ps->p - ps->start);
	}
	return false;
}

/*
 * Decode one UTF-8 sequence at s (at most avail bytes).  Returns its
 * length and stores the code point, or 0 for an invalid sequence
 * (overlong forms, surrogates, values above U+10FFFF, truncation).
 */
static int
utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
	unsigned char c = s[0];

	if (c < 0x80)
	{
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
	{
		if (avail < 2 || (s[1] & 0xC0) != 0x80)
			return 0;
		*cp = ((uint32_t) (c & 0x1F) << 6) | (s[1] & 0x3F);
		return 2;
	}
	if (c >= 0xE0 && c <= 0xEF)
	{
		uint32_t	v;

		if (avail < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		v = ((uint32_t) (c & 0x0F) << 12) | ((uint32_t) (s[1] & 0x3F) << 6) |
			(s[2] & 0x3F);
		if (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))
			return 0;
		*cp = v;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4)
	{
		uint32_t	v;

		if (avail < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
			(s[3] & 0xC0) != 0x80)
			return 0;
		v = ((uint32_t) (c & 0x07) << 18) | ((uint32_t) (s[1] & 0x3F) << 12) |
			((uint32_t) (s[2] & 0x3F) << 6) | (s[3] & 0x3F);
		if (v < 0x10000 || v > 0x10FFFF)
			return 0;
		*cp = v;
		return 4;
	}
	return 0;
}

/* append the UTF-8 encoding of a valid scalar value */
static void
utf8_append(mcj_buf *buf, uint32_t cp)
{
	char		o[4];
	size_t		n;

	if (cp < 0x80)
	{
		o[0] = (char) cp;
		n = 1;
	}
	else if (cp < 0x800)
	{
		o[0] = (char) (0xC0 | (cp >> 6));
		o[1] = (char) (0x80 | (cp & 0x3F));
		n = 2;
	}
	else if (cp < 0x10000)
	{
		o[0] = (char) (0xE0 | (cp >> 12));
		o[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char) (0x80 | (cp & 0x3F));
		n = 3;
	}
	else
	{
		o[0] = (char) (0xF0 | (cp >> 18));
		o[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
		o[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
		o[3] = (char) (0x80 | (cp & 0x3F));
		n = 4;
	}
	mcj_buf_append(buf, o, n);
}

/* value of a hexadecimal digit, or -1 */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Parse a UCHAR after its backslash (ps->p at 'u' or 'U') and store the
 * code point.  Rejects surrogates and values above U+10FFFF.
 */
static bool
parse_uchar(nq_parser *ps, uint32_t *cp)
{
	int			ndig = (*ps->p == 'u') ? 4 : 8;
	uint32_t	v = 0;

	ps->p++;
	if (ps->end - ps->p < ndig)
		return nq_fail(ps, "truncated \\u escape");
	for (int i = 0; i < ndig; i++)
	{
		int			h = hexval(ps->p[i]);

		if (h < 0)
			return nq_fail(ps, "invalid hexadecimal digit in \\u escape");
		v = (v << 4) | (uint32_t) h;
	}
	if ((v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
		return nq_fail(ps, "escape is not a Unicode scalar value");
	ps->p += ndig;
	*cp = v;
	return true;
}

/* skip spaces and tabs, and a comment up to (not including) the line end */
static void
skip_ws(nq_parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
	if (ps->p < ps->end && *ps->p == '#')
	{
		while (ps->p < ps->end && *ps->p != '\n' && *ps->p != '\r')
			ps->p++;
	}
}

/* is cp excluded from IRIREF: [#x00-#x20<>"{}|^`\] */
static bool
iri_excluded(uint32_t cp)
{
	return cp <= 0x20 || cp == '<' || cp == '>' || cp == '"' || cp == '{' ||
		cp == '}' || cp == '|' || cp == '^' || cp == '`' || cp == '\\';
}

/* parse an IRIREF at ps->p ('<') into an arena string */
static bool
parse_iri(nq_parser *ps, const char **out, size_t *outlen)
{
	const char *v;
	size_t		i;

	ps->p++;					/* '<' */
	ps->tmp.len = 0;
	for (;;)
	{
		const char *run = ps->p;
		uint32_t	cp;

		/* a run of characters that need no unescaping, copied at once */
		while (ps->p < ps->end)
		{
			unsigned char c = (unsigned char) *ps->p;

			if (c >= 0x80)
			{
				/* non-ASCII characters are never excluded */
				int			n = utf8_decode((const unsigned char *) ps->p,
											(size_t) (ps->end - ps->p), &cp);

				if (n == 0)
					return nq_fail(ps, "invalid UTF-8");
				ps->p += n;
				continue;
			}
			if (iri_excluded(c))
				break;
			ps->p++;
		}
		if (ps->p > run)
			mcj_buf_append(&ps->tmp, run, (size_t) (ps->p - run));
		if (ps->p >= ps->end)
			return nq_fail(ps, "unterminated IRI");
		if (*ps->p == '>')
		{
			ps->p++;
			break;
		}
		if (*ps->p != '\\')
			return nq_fail(ps, "character not allowed in IRI");
		ps->p++;
		if (ps->p >= ps->end || (*ps->p != 'u' && *ps->p != 'U'))
			return nq_fail(ps, "invalid escape in IRI");
		if (!parse_uchar(ps, &cp))
			return false;
		if (iri_excluded(cp))
			return nq_fail(ps, "escaped character not allowed in IRI");
		utf8_append(&ps->tmp, cp);
	}

	/* must be absolute: scheme ":" */
	v = ps->tmp.data;
	if (ps->tmp.len == 0 ||
		!((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= 'A' && v[0] <= 'Z')))
		return nq_fail(ps, "IRI is not absolute");
	for (i = 1; i < ps->tmp.len; i++)
	{
		char		c = v[i];

		if (c == ':')
			break;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
			return nq_fail(ps, "IRI is not absolute");
	}
	if (i == ps->tmp.len)
		return nq_fail(ps, "IRI is not absolute");

	*out = mcj_strndup(ps->arena, ps->tmp.data, ps->tmp.len);
	if (*out == NULL)
		return nq_fail(ps, "out of memory");
	*outlen = ps->tmp.len;
	return true;
}

/* PN_CHARS_BASE of the N-Triples grammar */
static bool
pn_chars_base(uint32_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xF6) ||
		(c >= 0xF8 && c <= 0x2FF) || (c >= 0x370 && c <= 0x37D) ||
		(c >= 0x37F && c <= 0x1FFF) || (c >= 0x200C && c <= 0x200D) ||
		(c >= 0x2070 && c <= 0x218F) || (c >= 0x2C00 && c <= 0x2FEF) ||
		(c >= 0x3001 && c <= 0xD7FF) || (c >= 0xF900 && c <= 0xFDCF) ||
		(c >= 0xFDF0 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0xEFFFF);
}

/* PN_CHARS_U (N-Triples includes ':') */
static bool
pn_chars_u(uint32_t c)
{
	return pn_chars_base(c) || c == '_' || c == ':';
}

/* PN_CHARS */
static bool
pn_chars(uint32_t c)
{
	return pn_chars_u(c) || c == '-' || (c >= '0' && c <= '9') ||
		c == 0xB7 || (c >= 0x300 && c <= 0x36F) || (c >= 0x203F && c <= 0x2040);
}

/* parse a BLANK_NODE_LABEL at ps->p ("_:"); the label excludes "_:" */
static bool
parse_bnode(nq_parser *ps, const char **out, size_t *outlen)
{
	const char *begin;
	const char *last_ok;		/* end of the longest label not ending in '.' */
	uint32_t	cp;
	int			n;

	if (ps->end - ps->p < 2 || ps->p[1] != ':')
		return nq_fail(ps, "expected blank node label");
	ps->p += 2;
	begin = ps->p;
	if (ps->p >= ps->end)
		return nq_fail(ps, "empty blank node label");
	n = utf8_decode((const unsigned char *) ps->p, (size_t) (ps->end - ps->p), &cp);
	if (n == 0)
		return nq_fail(ps, "invalid UTF-8");
	if (!pn_chars_u(cp) && !(cp >= '0' && cp <= '9'))
		return nq_fail(ps, "invalid blank node label");
	ps->p += n;
	last_ok = ps->p;
	while (ps->p < ps->end)
	{
		n = utf8_decode((const unsigned char *) ps->p,
						(size_t) (ps->end - ps->p), &cp);
		if (n == 0)
			return nq_fail(ps, "invalid UTF-8");
		if (cp == '.')
			ps->p += n;
		else if (pn_chars(cp))
		{
			ps->p += n;
			last_ok = ps->p;
		}
		else
			break;
	}
	/* a label cannot end with '.'; give trailing dots back */
	ps->p = last_ok;
	*out = mcj_strndup(ps->arena, begin, (size_t) (last_ok - begin));
	if (*out == NULL)
		return nq_fail(ps, "out of memory");
	*outlen = (size_t) (last_ok - begin);
	return true;
}

/* parse a STRING_LITERAL_QUOTE at ps->p ('"') into ps->tmp */
static bool
parse_string(nq_parser *ps)
{
	ps->p++;					/* '"' */
	ps->tmp.len = 0;
	for (;;)
	{
		const char *run = ps->p;
		uint32_t	cp;
		int			n;

		/* a run of characters that need no unescaping, copied at once */
		while (ps->p < ps->end)
		{
			unsigned char c = (unsigned char) *ps->p;

			if (c >= 0x80)
			{
				n = utf8_decode((const unsigned char *) ps->p,
								(size_t) (ps->end - ps->p), &cp);
				if (n == 0)
					return nq_fail(ps, "invalid UTF-8");
				ps->p += n;
				continue;
			}
			if (c == '"' || c == '\\' || c == '\n' || c == '\r')
				break;
			ps->p++;
		}
		if (ps->p > run)
			mcj_buf_append(&ps->tmp, run, (size_t) (ps->p - run));
		if (ps->p >= ps->end)
			return nq_fail(ps, "unterminated string literal");
		switch (*ps->p)
		{
			case '"':
				ps->p++;
				return true;
			case '\n':
			case '\r':
				return nq_fail(ps, "line break in string literal");
			case '\\':
				ps->p++;
				if (ps->p >= ps->end)
					return nq_fail(ps, "unterminated string literal");
				switch (*ps->p)
				{
					case 't':
						mcj_buf_appendc(&ps->tmp, '\t');
						break;
					case 'b':
						mcj_buf_appendc(&ps->tmp, '\b');
						break;
					case 'n':
						mcj_buf_appendc(&ps->tmp, '\n');
						break;
					case 'r':
						mcj_buf_appendc(&ps->tmp, '\r');
						break;
					case 'f':
						mcj_buf_appendc(&ps->tmp, '\f');
						break;
					case '"':
						mcj_buf_appendc(&ps->tmp, '"');
						break;
					case '\'':
						mcj_buf_appendc(&ps->tmp, '\'');
						break;
					case '\\':
						mcj_buf_appendc(&ps->tmp, '\\');
						break;
					case 'u':
					case 'U':
						if (!parse_uchar(ps, &cp))
							return false;
						utf8_append(&ps->tmp, cp);
						continue;
					default:
						return nq_fail(ps, "invalid escape in string literal");
				}
				ps->p++;
				break;
		}
	}
}

/* is c an ASCII letter / letter or digit */
static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_alnum(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/* parse LANGTAG at ps->p ('@'), with an optional RDF 1.2 "--ltr"/"--rtl" */
static bool
parse_langtag(nq_parser *ps, rdf_term *t)
{
	const char *begin;

	ps->p++;					/* '@' */
	begin = ps->p;
	while (ps->p < ps->end && is_alpha(*ps->p))
		ps->p++;
	if (ps->p == begin)
		return nq_fail(ps, "invalid language tag");
	while (ps->p + 1 < ps->end && ps->p[0] == '-' && is_alnum(ps->p[1]))
	{
		ps->p++;
		while (ps->p < ps->end && is_alnum(*ps->p))
			ps->p++;
	}
	t->language = mcj_strndup(ps->arena, begin, (size_t) (ps->p - begin));
	if (t->language == NULL)
		return nq_fail(ps, "out of memory");
	t->datatype = RDF_LANGSTRING;
	if (ps->end - ps->p >= 2 && ps->p[0] == '-' && ps->p[1] == '-')
	{
		if (ps->end - ps->p >= 5 && memcmp(ps->p + 2, "ltr", 3) == 0)
			t->direction = "ltr";
		else if (ps->end - ps->p >= 5 && memcmp(ps->p + 2, "rtl", 3) == 0)
			t->direction = "rtl";
		else
			return nq_fail(ps, "invalid base direction");
		ps->p += 5;
		t->datatype = RDF_DIRLANGSTRING;
	}
	if (ps->p < ps->end && (*ps->p == '-' || is_alnum(*ps->p)))
		return nq_fail(ps, "invalid language tag");
	return true;
}

/* which kinds of term a position accepts */
#define ACCEPT_IRI		1
#define ACCEPT_BLANK	2
#define ACCEPT_LITERAL	4

/* parse one term at ps->p */
static bool
parse_term(nq_parser *ps, rdf_term *t, int accept, const char *what)
{
	char		msg[64];

	memset(t, 0, sizeof(*t));
	if (ps->p < ps->end)
	{
		if (*ps->p == '<' && (accept & ACCEPT_IRI))
		{
			t->kind = RDF_TERM_IRI;
			return parse_iri(ps, &t->value, &t->len);
		}
		if (*ps->p == '_' && (accept & ACCEPT_BLANK))
		{
			t->kind = RDF_TERM_BLANK;
			return parse_bnode(ps, &t->value, &t->len);
		}
		if (*ps->p == '"' && (accept & ACCEPT_LITERAL))
		{
			t->kind = RDF_TERM_LITERAL;
			if (!parse_string(ps))
				return false;
			t->value = mcj_strndup(ps->arena, ps->tmp.data, ps->tmp.len);
			if (t->value == NULL)
				return nq_fail(ps, "out of memory");
			t->len = ps->tmp.len;
			t->datatype = RDF_XSD_STRING;
			if (ps->p < ps->end && *ps->p == '@')
				return parse_langtag(ps, t);
			if (ps->end - ps->p >= 2 && ps->p[0] == '^' && ps->p[1] == '^')
			{
				const char *dt;
				size_t		dtlen;

				ps->p += 2;
				if (ps->p >= ps->end || *ps->p != '<')
					return nq_fail(ps, "expected datatype IRI after ^^");
				if (!parse_iri(ps, &dt, &dtlen))
					return false;
				t->datatype = dt;
			}
			return true;
		}
	}
	snprintf(msg, sizeof(msg), "expected %s", what);
	return nq_fail(ps, msg);
}

/* parse N-Quads text into *out, which this initialises with arena */
bool
nquads_parse(mcj_arena *arena, const char *text, size_t len,
			 rdf_dataset *out, mcj_error *err)
{
	nq_parser	ps;

	ps.p = text;
	ps.start = text;
	ps.end = text + len;
	ps.line = 1;
	ps.arena = arena;
	ps.err = err;
	mcj_buf_init(&ps.tmp, arena, 256);
	rdf_dataset_init(out, arena);

	while (ps.p < ps.end)
	{
		rdf_quad	q;

		MC_CHECK_INTERRUPTS();
		skip_ws(&ps);
		if (ps.p >= ps.end)
			break;
		if (*ps.p == '\n' || *ps.p == '\r')
		{
			if (*ps.p == '\n' || ps.p + 1 >= ps.end || ps.p[1] != '\n')
				ps.line++;
			ps.p++;
			continue;
		}

		if (!parse_term(&ps, &q.subject, ACCEPT_IRI | ACCEPT_BLANK, "subject"))
			return false;
		skip_ws(&ps);
		if (!parse_term(&ps, &q.predicate, ACCEPT_IRI, "predicate IRI"))
			return false;
		skip_ws(&ps);
		if (!parse_term(&ps, &q.object,
						ACCEPT_IRI | ACCEPT_BLANK | ACCEPT_LITERAL, "object"))
			return false;
		skip_ws(&ps);
		if (ps.p < ps.end && *ps.p != '.')
		{
			if (!parse_term(&ps, &q.graph, ACCEPT_IRI | ACCEPT_BLANK,
							"graph label or '.'"))
				return false;
			skip_ws(&ps);
		}
		else
		{
			memset(&q.graph, 0, sizeof(q.graph));
			q.graph.kind = RDF_TERM_DEFAULT_GRAPH;
			q.graph.value = "";
		}
		if (ps.p >= ps.end || *ps.p != '.')
			return nq_fail(&ps, "expected '.'");
		ps.p++;
		skip_ws(&ps);
		if (ps.p < ps.end && *ps.p != '\n' && *ps.p != '\r')
			return nq_fail(&ps, "expected end of line after '.'");
		rdf_dataset_add(out, &q);
	}
	return true;
}

/* append a literal's lexical form with canonical N-Quads escaping */
static void
write_literal_value(mcj_buf *buf, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t		run = 0;

	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];
		const char *esc;
		char		u[6];

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7F)
			continue;
		if (i > run)
			mcj_buf_append(buf, s + run, i - run);
		run = i + 1;
		switch (c)
		{
			case '\b':
				esc = "\\b";
				break;
			case '\t':
				esc = "\\t";
				break;
			case '\n':
				esc = "\\n";
				break;
			case '\f':
				esc = "\\f";
				break;
			case '\r':
				esc = "\\r";
				break;
			case '"':
				esc = "\\\"";
				break;
			case '\\':
				esc = "\\\\";
				break;
			default:
				u[0] = '\\';
				u[1] = 'u';
				u[2] = '0';
				u[3] = '0';
				u[4] = hex[c >> 4];
				u[5] = hex[c & 0xF];
				mcj_buf_append(buf, u, 6);
				continue;
		}
		mcj_buf_append(buf, esc, 2);
	}
	if (len > run)
		mcj_buf_append(buf, s + run, len - run);
}

/* append one term in canonical form (nothing for the default graph) */
static void
write_term(mcj_buf *buf, const rdf_term *t)
{
	MC_CHECK_INTERRUPTS();
	switch (t->kind)
	{
		case RDF_TERM_IRI:
			mcj_buf_appendc(buf, '<');
			mcj_buf_append(buf, t->value, t->len);
			mcj_buf_appendc(buf, '>');
			break;
		case RDF_TERM_BLANK:
			mcj_buf_append(buf, "_:", 2);
			mcj_buf_append(buf, t->value, t->len);
			break;
		case RDF_TERM_LITERAL:
			mcj_buf_appendc(buf, '"');
			write_literal_value(buf, t->value, t->len);
			mcj_buf_appendc(buf, '"');
			if (t->language != NULL)
			{
				mcj_buf_appendc(buf, '@');
				mcj_buf_appends(buf, t->language);
				if (t->direction != NULL)
				{
					mcj_buf_append(buf, "--", 2);
					mcj_buf_appends(buf, t->direction);
				}
			}
			else if (t->datatype != NULL &&
					 strcmp(t->datatype, RDF_XSD_STRING) != 0)
			{
				mcj_buf_append(buf, "^^<", 3);
				mcj_buf_appends(buf, t->datatype);
				mcj_buf_appendc(buf, '>');
			}
			break;
		case RDF_TERM_DEFAULT_GRAPH:
			break;
	}
}

/* append one quad in canonical N-Quads form, ending with a line feed */
void
nquads_write_quad(mcj_buf *buf, const rdf_quad *q)
{
	write_term(buf, &q->subject);
	mcj_buf_appendc(buf, ' ');
	write_term(buf, &q->predicate);
	mcj_buf_appendc(buf, ' ');
	write_term(buf, &q->object);
	if (q->graph.kind != RDF_TERM_DEFAULT_GRAPH)
	{
		mcj_buf_appendc(buf, ' ');
		write_term(buf, &q->graph);
	}
	mcj_buf_append(buf, " .\n", 3);
}
