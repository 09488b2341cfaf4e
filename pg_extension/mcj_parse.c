/*-------------------------------------------------------------------------
 *
 * mcj_parse.c
 *	  The strict I-JSON (RFC 7493) parser of the JSON core.
 *
 * Pure core, see mcjson.h.  The parser is iterative (an explicit stack of
 * open containers), so the nesting limit, not the C stack, bounds the
 * depth it accepts.  Parse error messages carry no position; it is in
 * mcj_error.offset.  Numbers never go through the locale's decimal point:
 * the parser checks the grammar itself and hands strtod digits and an
 * exponent only.  Numbers too large for a double are rejected; ones too
 * small become (signed) zero, as strtod rounds them.
 *
 *-------------------------------------------------------------------------
 */
#include "mcjson_internal.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parsing ------------------------------------------------------------- */

#define MCJ_DEFAULT_DEPTH	256
#define MCJ_LINEAR_DUPS		16	/* objects larger than this get a hash */
#define MCJ_MAX_DIGITS		800 /* significant digits given to strtod */

/* one open container */
typedef struct mcj_frame
{
	mcj_value  *v;
	const char *key;			/* pending member name (objects) */
	size_t		keylen;
	size_t	   *hash;			/* member index + 1, open addressing */
	size_t		hcap;			/* power of two, 0 = no hash yet */
} mcj_frame;

typedef struct mcj_parser
{
	mcj_arena  *arena;
	const unsigned char *s;
	size_t		len;
	size_t		pos;
	mcj_error  *err;
	bool		allow_dups;
} mcj_parser;

/* report out of memory */
static void
mcj_oom(mcj_parser *p)
{
	mcj_set_error(p->err, p->pos, "out of memory");
}

/* skip JSON whitespace */
static inline void
mcj_skip_ws(mcj_parser *p)
{
	while (p->pos < p->len)
	{
		unsigned char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

/* report an unexpected byte (or the end of the input) at p->pos */
static void
mcj_unexpected(mcj_parser *p, const char *what)
{
	unsigned char c;

	if (p->pos >= p->len)
	{
		mcj_set_error(p->err, p->pos, "unexpected end of input%s%s",
					  what ? ", " : "", what ? what : "");
		return;
	}
	c = p->s[p->pos];
	if (c > 0x20 && c < 0x7F)
		mcj_set_error(p->err, p->pos, "unexpected character '%c'%s%s",
					  (char) c, what ? ", " : "", what ? what : "");
	else
		mcj_set_error(p->err, p->pos, "unexpected byte 0x%02x%s%s",
					  (unsigned int) c, what ? ", " : "", what ? what : "");
}

/* value of four hex digits at s, or -1 */
static long
mcj_hex4(const unsigned char *s)
{
	long		v = 0;
	int			i;

	for (i = 0; i < 4; i++)
	{
		unsigned char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* encode a code point as UTF-8, returning the number of bytes */
static size_t
mcj_utf8_encode(unsigned long cp, char *out)
{
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

/*
 * mcj_parse_string, first pass: validate the escape at s[*pos] (a
 * backslash) and step over it, a surrogate pair as one escape
 */
static bool
mcj_scan_escape(mcj_parser *p, size_t *pos)
{
	const unsigned char *s = p->s;
	size_t		len = p->len;
	size_t		i = *pos;
	unsigned char e;
	long		cp,
				lo;

	if (i + 1 >= len)
	{
		mcj_set_error(p->err, p->pos, "unterminated string");
		return false;
	}
	e = s[i + 1];
	switch (e)
	{
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			*pos = i + 2;
			return true;
		case 'u':
			break;
		default:
			if (e > 0x20 && e < 0x7F)
				mcj_set_error(p->err, i, "invalid escape \\%c in string",
							  (char) e);
			else
				mcj_set_error(p->err, i,
							  "invalid escape: backslash followed by byte 0x%02x",
							  (unsigned int) e);
			return false;
	}
	if (len - i < 6 || (cp = mcj_hex4(s + i + 2)) < 0)
	{
		mcj_set_error(p->err, i,
					  "invalid escape: \\u must be followed by four hex digits");
		return false;
	}
	if (cp >= 0xD800 && cp <= 0xDBFF)
	{
		if (len - i < 12 || s[i + 6] != '\\' || s[i + 7] != 'u' ||
			(lo = mcj_hex4(s + i + 8)) < 0xDC00 || lo > 0xDFFF)
		{
			mcj_set_error(p->err, i, "lone surrogate \\u%04lx in string",
						  (unsigned long) cp);
			return false;
		}
		*pos = i + 12;
	}
	else if (cp >= 0xDC00 && cp <= 0xDFFF)
	{
		mcj_set_error(p->err, i, "lone surrogate \\u%04lx in string",
					  (unsigned long) cp);
		return false;
	}
	else
		*pos = i + 6;
	return true;
}

/*
 * mcj_parse_string, first pass: validate the string whose contents start
 * at start and set *end to the index of its closing quote and *escapes to
 * whether it has any
 */
static bool
mcj_scan_string(mcj_parser *p, size_t start, size_t *end, bool *escapes)
{
	const unsigned char *s = p->s;
	size_t		len = p->len;
	size_t		i = start;

	for (;;)
	{
		unsigned char c;

		if (i >= len)
		{
			mcj_set_error(p->err, p->pos, "unterminated string");
			return false;
		}
		c = s[i];
		if (c == '"')
			break;
		if (c >= 0x20 && c < 0x80 && c != '\\')
		{
			i++;
			continue;
		}
		if (c < 0x20)
		{
			mcj_set_error(p->err, i,
						  "unescaped control character 0x%02x in string",
						  (unsigned int) c);
			return false;
		}
		if (c == '\\')
		{
			*escapes = true;
			if (!mcj_scan_escape(p, &i))
				return false;
		}
		else
		{
			const char *why = "";
			size_t		n = mcj_utf8_seq(s + i, len - i, &why);

			if (n == 0)
			{
				mcj_set_error(p->err, i, "invalid utf-8 in string: %s", why);
				return false;
			}
			i += n;
		}
	}
	*end = i;
	return true;
}

/*
 * mcj_parse_string, second pass: decode the escapes of s[start..end),
 * validated by the first pass, into dst; returns the decoded length
 */
static size_t
mcj_decode_escapes(const unsigned char *s, size_t start, size_t end, char *dst)
{
	size_t		j = 0;
	size_t		n = start;

	while (n < end)
	{
		size_t		run = n;

		while (run < end && s[run] != '\\')
			run++;
		if (run > n)
		{
			memcpy(dst + j, s + n, run - n);
			j += run - n;
			n = run;
		}
		if (n >= end)
			break;
		/* s[n] is a backslash, validated above */
		switch (s[n + 1])
		{
			case 'b':
				dst[j++] = '\b';
				n += 2;
				break;
			case 'f':
				dst[j++] = '\f';
				n += 2;
				break;
			case 'n':
				dst[j++] = '\n';
				n += 2;
				break;
			case 'r':
				dst[j++] = '\r';
				n += 2;
				break;
			case 't':
				dst[j++] = '\t';
				n += 2;
				break;
			case 'u':
				{
					unsigned long cp = (unsigned long) mcj_hex4(s + n + 2);

					n += 6;
					if (cp >= 0xD800 && cp <= 0xDBFF)
					{
						unsigned long lo = (unsigned long) mcj_hex4(s + n + 2);

						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
						n += 6;
					}
					j += mcj_utf8_encode(cp, dst + j);
					break;
				}
			default:
				dst[j++] = (char) s[n + 1];
				n += 2;
				break;
		}
	}
	dst[j] = '\0';
	return j;
}

/*
 * Parse a string at p->pos (which is at the opening quote).  A first pass
 * validates and finds the end, a second decodes escapes when there are
 * any.  The result is NUL-terminated in the arena.
 */
static bool
mcj_parse_string(mcj_parser *p, const char **out, size_t *outlen)
{
	const unsigned char *s = p->s;
	size_t		start = p->pos + 1;
	size_t		i = start;
	bool		escapes = false;
	char	   *dst;

	if (!mcj_scan_string(p, start, &i, &escapes))
		return false;

	p->pos = i + 1;
	if (!escapes)
	{
		*out = mcj_strndup(p->arena, (const char *) s + start, i - start);
		*outlen = i - start;
		if (*out == NULL)
		{
			mcj_oom(p);
			return false;
		}
		return true;
	}

	/* decode: escapes only shrink, so i - start bytes are enough */
	dst = (char *) mcj_alloc(p->arena, i - start + 1);
	if (dst == NULL)
	{
		mcj_oom(p);
		return false;
	}
	*out = dst;
	*outlen = mcj_decode_escapes(s, start, i, dst);
	return true;
}

/* a number value, reporting out of memory */
static mcj_value *
mcj_number_or_oom(mcj_parser *p, double d)
{
	mcj_value  *v = mcj_number(p->arena, d);

	if (v == NULL)
		mcj_oom(p);
	return v;
}

/* parse a number at p->pos; grammar first, then strtod on a clean form */
static mcj_value *
mcj_parse_number(mcj_parser *p)
{
	const unsigned char *s = p->s;
	size_t		len = p->len;
	size_t		start = p->pos;
	size_t		i = start;
	bool		neg = false;
	size_t		int_start,
				int_end,
				frac_start = 0,
				frac_end = 0;
	long long	exp = 0;
	char		buf[MCJ_MAX_DIGITS + 40];
	size_t		b = 0;
	double		d;
	char	   *endp;

	if (s[i] == '-')
	{
		neg = true;
		i++;
	}
	if (i >= len || s[i] < '0' || s[i] > '9')
	{
		p->pos = i;
		mcj_unexpected(p, "expected digit");
		return NULL;
	}
	int_start = i;
	if (s[i] == '0')
	{
		i++;
		if (i < len && s[i] >= '0' && s[i] <= '9')
		{
			mcj_set_error(p->err, start, "leading zero in number");
			return NULL;
		}
	}
	else
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	int_end = i;
	if (i < len && s[i] == '.')
	{
		i++;
		frac_start = i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		frac_end = i;
		if (frac_end == frac_start)
		{
			p->pos = i;
			mcj_unexpected(p, "expected digit after decimal point");
			return NULL;
		}
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
	{
		bool		eneg = false;
		size_t		estart;

		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
		{
			eneg = s[i] == '-';
			i++;
		}
		estart = i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
		{
			if (exp < 1000000000LL)
				exp = exp * 10 + (s[i] - '0');
			i++;
		}
		if (i == estart)
		{
			p->pos = i;
			mcj_unexpected(p, "expected digit in exponent");
			return NULL;
		}
		if (eneg)
			exp = -exp;
	}
	p->pos = i;

	/*
	 * Rewrite as integer digits and a power of ten, without a decimal point,
	 * so that strtod's locale cannot matter: leading zeros dropped, at most
	 * MCJ_MAX_DIGITS significant digits kept, then a sticky 1 when a
	 * nonzero digit was dropped (which keeps strtod's rounding correct).
	 */
	{
		size_t		intlen = int_end - int_start;
		size_t		fraclen = frac_end - frac_start;
		size_t		total = intlen + fraclen;
		size_t		kept = 0;
		size_t		t,
					t_last = 0;
		bool		sticky = false;
		long long	e10;

		if (neg)
			buf[b++] = '-';
		for (t = 0; t < total; t++)
		{
			unsigned char c = t < intlen ? s[int_start + t] :
				s[frac_start + t - intlen];

			if (kept == 0 && c == '0')
				continue;
			if (kept < MCJ_MAX_DIGITS)
			{
				buf[b++] = (char) c;
				kept++;
				t_last = t;
				continue;
			}
			if (c != '0')
			{
				sticky = true;
				break;
			}
		}
		if (kept == 0)
			return mcj_number_or_oom(p, neg ? -0.0 : 0.0);
		e10 = exp - (long long) fraclen + (long long) (total - 1 - t_last);
		if (sticky)
		{
			buf[b++] = '1';
			kept++;
			e10--;
		}
		if (e10 + (long long) kept > 400)
		{
			mcj_set_error(p->err, start, "number out of range for a double");
			return NULL;
		}
		if (e10 + (long long) kept < -400)
			return mcj_number_or_oom(p, neg ? -0.0 : 0.0);
		b += (size_t) snprintf(buf + b, sizeof(buf) - b, "e%lld", e10);
	}
	d = strtod(buf, &endp);
	if (endp != buf + b || !isfinite(d))
	{
		mcj_set_error(p->err, start, "number out of range for a double");
		return NULL;
	}
	return mcj_number_or_oom(p, d);
}

/* hash of a member name (the cores' FNV-1a, folded to size_t) */
static size_t
mcj_hash(const char *key, size_t len)
{
	uint64_t	h = mc_fnv1a(key, len);

	return (size_t) (h ^ (h >> 32));
}

/* insert member index idx into the frame's hash (which has room) */
static void
mcj_hash_insert(mcj_frame *f, size_t idx)
{
	const mcj_member *m = &f->v->u.obj.members[idx];
	size_t		mask = f->hcap - 1;
	size_t		h = mcj_hash(m->key, m->keylen) & mask;

	while (f->hash[h] != 0)
		h = (h + 1) & mask;
	f->hash[h] = idx + 1;
}

/* (re)build the frame's hash with room for at least want members */
static bool
mcj_hash_build(mcj_parser *p, mcj_frame *f, size_t want)
{
	size_t		cap = 64;
	size_t		i;

	while (cap < want * 2)
	{
		if (cap > SIZE_MAX / 4 / sizeof(size_t))
			return false;
		cap *= 2;
	}
	f->hash = (size_t *) mcj_alloc(p->arena, cap * sizeof(size_t));
	if (f->hash == NULL)
		return false;
	memset(f->hash, 0, cap * sizeof(size_t));
	f->hcap = cap;
	for (i = 0; i < f->v->u.obj.n; i++)
		mcj_hash_insert(f, i);
	return true;
}

/* report a duplicate member name, quoting (a printable prefix of) it */
static void
mcj_duplicate(mcj_parser *p, size_t offset, const char *key, size_t keylen)
{
	char		shown[64];
	size_t		i,
				j = 0;

	for (i = 0; i < keylen && j < 48; i++)
	{
		unsigned char c = (unsigned char) key[i];

		if (c < 0x20 || c == 0x7F || c == '"' || c == '\\')
		{
			j += (size_t) snprintf(shown + j, sizeof(shown) - j, "\\x%02x",
								   (unsigned int) c);
		}
		else
			shown[j++] = (char) c;
	}
	/* do not cut a UTF-8 sequence in half */
	if (i < keylen)
	{
		while (j > 0 && ((unsigned char) shown[j - 1] & 0xC0) == 0x80)
			j--;
		if (j > 0 && (unsigned char) shown[j - 1] >= 0xC0)
			j--;
	}
	shown[j] = '\0';
	mcj_set_error(p->err, offset, "duplicate member name \"%s\"%s", shown,
				  i < keylen ? "..." : "");
}

/*
 * Parse a member name at p->pos (after whitespace), check it against the
 * names already in the object, and consume the following colon.
 */
static bool
mcj_parse_member_name(mcj_parser *p, mcj_frame *f)
{
	size_t		at = p->pos;
	const char *key;
	size_t		keylen;
	mcj_value  *o = f->v;

	if (p->pos >= p->len || p->s[p->pos] != '"')
	{
		mcj_unexpected(p, "expected member name string");
		return false;
	}
	if (!mcj_parse_string(p, &key, &keylen))
		return false;
	if (!p->allow_dups)
	{
		size_t		n = o->u.obj.n;

		if (n < MCJ_LINEAR_DUPS)
		{
			size_t		i;

			for (i = 0; i < n; i++)
			{
				const mcj_member *m = &o->u.obj.members[i];

				if (m->keylen == keylen && memcmp(m->key, key, keylen) == 0)
				{
					mcj_duplicate(p, at, key, keylen);
					return false;
				}
			}
		}
		else
		{
			size_t		mask,
						h;

			if ((n + 1) * 2 > f->hcap && !mcj_hash_build(p, f, n + 1))
			{
				mcj_oom(p);
				return false;
			}
			mask = f->hcap - 1;
			h = mcj_hash(key, keylen) & mask;
			while (f->hash[h] != 0)
			{
				const mcj_member *m = &o->u.obj.members[f->hash[h] - 1];

				if (m->keylen == keylen && memcmp(m->key, key, keylen) == 0)
				{
					mcj_duplicate(p, at, key, keylen);
					return false;
				}
				h = (h + 1) & mask;
			}
			/* member n will be appended once its value is parsed */
			f->hash[h] = n + 1;
		}
	}
	f->key = key;
	f->keylen = keylen;
	mcj_skip_ws(p);
	if (p->pos >= p->len || p->s[p->pos] != ':')
	{
		mcj_unexpected(p, "expected ':' after member name");
		return false;
	}
	p->pos++;
	return true;
}

/* parse a scalar (string, number or literal) at p->pos */
static mcj_value *
mcj_parse_scalar(mcj_parser *p)
{
	unsigned char c = p->s[p->pos];
	mcj_value  *v;

	if (c == '"')
	{
		const char *str;
		size_t		len;

		if (!mcj_parse_string(p, &str, &len))
			return NULL;
		v = mcj_new_value(p->arena, MCJ_STRING);
		if (v == NULL)
		{
			mcj_oom(p);
			return NULL;
		}
		v->u.str.s = str;
		v->u.str.len = len;
		return v;
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return mcj_parse_number(p);
	if (c == 't' || c == 'f' || c == 'n')
	{
		const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
		size_t		wlen = strlen(word);

		if (p->len - p->pos < wlen ||
			memcmp(p->s + p->pos, word, wlen) != 0)
		{
			mcj_set_error(p->err, p->pos, "invalid literal, expected %s", word);
			return NULL;
		}
		p->pos += wlen;
		v = mcj_new_value(p->arena, c == 't' ? MCJ_TRUE :
						  c == 'f' ? MCJ_FALSE : MCJ_NULL);
		if (v == NULL)
			mcj_oom(p);
		return v;
	}
	mcj_unexpected(p, "expected a value");
	return NULL;
}

/* the explicit stack of open containers of mcj_parse */
typedef struct mcj_stack
{
	mcj_frame  *frames;
	size_t		cap;
	size_t		depth;
	size_t		max_depth;
} mcj_stack;

/* what mcj_attach_value leaves mcj_parse to do */
typedef enum mcj_step
{
	MCJ_STEP_ERROR,				/* error set */
	MCJ_STEP_NEXT,				/* a value is expected at p->pos */
	MCJ_STEP_DONE				/* *v is the whole document */
} mcj_step;

/*
 * mcj_parse: open the container whose bracket c is at p->pos, pushing a
 * frame (the stack grows by doubling); NULL with the error set on failure
 */
static mcj_frame *
mcj_open_container(mcj_parser *p, mcj_stack *st, unsigned char c)
{
	mcj_frame  *f;

	if (st->depth >= st->max_depth)
	{
		mcj_set_error(p->err, p->pos, "nesting deeper than %zu levels",
					  st->max_depth);
		return NULL;
	}
	if (st->depth == st->cap)
	{
		size_t		ncap = st->cap == 0 ? 16 : st->cap * 2;
		mcj_frame  *ns;

		ns = (mcj_frame *) mcj_alloc(p->arena, ncap * sizeof(mcj_frame));
		if (ns == NULL)
		{
			mcj_oom(p);
			return NULL;
		}
		if (st->depth > 0)
			memcpy(ns, st->frames, st->depth * sizeof(mcj_frame));
		st->frames = ns;
		st->cap = ncap;
	}
	f = &st->frames[st->depth];
	memset(f, 0, sizeof(mcj_frame));
	f->v = mcj_new_value(p->arena, c == '[' ? MCJ_ARRAY : MCJ_OBJECT);
	if (f->v == NULL)
	{
		mcj_oom(p);
		return NULL;
	}
	st->depth++;
	p->pos++;
	return f;
}

/*
 * mcj_parse: *v is complete; attach it to its container, closing
 * containers as their brackets come, until another value is expected or
 * the document is complete (then *v is the document)
 */
static mcj_step
mcj_attach_value(mcj_parser *p, mcj_stack *st, mcj_value **v)
{
	for (;;)
	{
		mcj_frame  *f;
		bool		is_array;
		unsigned char c;

		if (st->depth == 0)
		{
			mcj_skip_ws(p);
			if (p->pos < p->len)
			{
				mcj_unexpected(p, "trailing garbage after json value");
				return MCJ_STEP_ERROR;
			}
			return MCJ_STEP_DONE;
		}
		f = &st->frames[st->depth - 1];
		is_array = f->v->type == MCJ_ARRAY;
		if (is_array ? !mcj_array_push(p->arena, f->v, *v) :
			!mcj_object_push(p->arena, f->v, f->key, f->keylen, *v))
		{
			mcj_oom(p);
			return MCJ_STEP_ERROR;
		}
		mcj_skip_ws(p);
		if (p->pos >= p->len)
		{
			mcj_unexpected(p, NULL);
			return MCJ_STEP_ERROR;
		}
		c = p->s[p->pos];
		if (c == ',')
		{
			p->pos++;
			mcj_skip_ws(p);
			if (p->pos < p->len && p->s[p->pos] == (is_array ? ']' : '}'))
			{
				mcj_set_error(p->err, p->pos, "trailing comma in %s",
							  is_array ? "array" : "object");
				return MCJ_STEP_ERROR;
			}
			if (!is_array && !mcj_parse_member_name(p, f))
				return MCJ_STEP_ERROR;
			return MCJ_STEP_NEXT;	/* parse the next value */
		}
		if (c != (is_array ? ']' : '}'))
		{
			mcj_unexpected(p, is_array ? "expected ',' or ']'" :
						   "expected ',' or '}'");
			return MCJ_STEP_ERROR;
		}
		p->pos++;
		*v = f->v;
		st->depth--;
	}
}

/* strict I-JSON parser; iterative, with an explicit stack of containers */
mcj_value *
mcj_parse(mcj_arena *arena, const char *text, size_t len,
		  const mcj_parse_options *options, mcj_error *err)
{
	mcj_parser	p;
	mcj_stack	st = {NULL, 0, 0, MCJ_DEFAULT_DEPTH};
	mcj_value  *v;

	if (err != NULL)
	{
		err->message[0] = '\0';
		err->offset = 0;
	}
	if (options != NULL && options->max_depth > 0)
		st.max_depth = (size_t) options->max_depth;
	if (options != NULL && options->max_bytes > 0 && len > options->max_bytes)
	{
		mcj_set_error(err, options->max_bytes,
					  "input exceeds the limit of %zu bytes", options->max_bytes);
		return NULL;
	}
	if (text == NULL && len > 0)
	{
		mcj_set_error(err, 0, "no input");
		return NULL;
	}
	p.arena = arena;
	p.s = (const unsigned char *) text;
	p.len = len;
	p.pos = 0;
	p.err = err;
	p.allow_dups = options != NULL && options->allow_duplicate_keys;

	for (;;)
	{
		unsigned char c;

		MC_CHECK_INTERRUPTS();
		/* a value is expected at p.pos */
		mcj_skip_ws(&p);
		if (p.pos >= p.len)
		{
			mcj_unexpected(&p, NULL);
			return NULL;
		}
		c = p.s[p.pos];
		if (c == '[' || c == '{')
		{
			mcj_frame  *f = mcj_open_container(&p, &st, c);

			if (f == NULL)
				return NULL;
			mcj_skip_ws(&p);
			if (p.pos < p.len && p.s[p.pos] == (c == '[' ? ']' : '}'))
			{
				p.pos++;
				v = f->v;
				st.depth--;
			}
			else if (c == '[')
				continue;
			else
			{
				if (!mcj_parse_member_name(&p, f))
					return NULL;
				continue;
			}
		}
		else
		{
			v = mcj_parse_scalar(&p);
			if (v == NULL)
				return NULL;
		}

		switch (mcj_attach_value(&p, &st, &v))
		{
			case MCJ_STEP_ERROR:
				return NULL;
			case MCJ_STEP_DONE:
				return v;
			case MCJ_STEP_NEXT:
				break;
		}
	}
}
