/*-------------------------------------------------------------------------
 *
 * strbuf.c
 *	  A growing string buffer with HTML and URL escaping.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

void
sb_add(sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap)
	{
		size_t		ncap = b->cap ? b->cap * 2 : 4096;
		char	   *nd;

		while (ncap < b->len + n + 1)
			ncap *= 2;
		nd = realloc(b->data, ncap);
		if (nd == NULL)
		{
			b->oom = 1;
			return;
		}
		b->data = nd;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
sb_puts(sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

void
sb_printf(sbuf *b, const char *fmt,...)
{
	char		tmp[1024];
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t) n >= sizeof(tmp))
	{
		b->oom = 1;
		return;
	}
	sb_add(b, tmp, (size_t) n);
}

/* text or attribute value, HTML-escaped */
void
sb_html(sbuf *b, const char *s)
{
	for (; s && *s; s++)
	{
		switch (*s)
		{
			case '&':
				sb_puts(b, "&amp;");
				break;
			case '<':
				sb_puts(b, "&lt;");
				break;
			case '>':
				sb_puts(b, "&gt;");
				break;
			case '"':
				sb_puts(b, "&quot;");
				break;
			case '\'':
				sb_puts(b, "&#39;");
				break;
			default:
				sb_add(b, s, 1);
		}
	}
}

/* a value percent-encoded for a query string */
void
sb_urlenc(sbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *c = (const unsigned char *) s; c && *c; c++)
	{
		if (isalnum(*c) || *c == '-' || *c == '.' || *c == '_' || *c == '~')
			sb_add(b, (const char *) c, 1);
		else
		{
			char		e[3] = {'%', hex[*c >> 4], hex[*c & 15]};

			sb_add(b, e, 3);
		}
	}
}
