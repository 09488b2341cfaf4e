/*-------------------------------------------------------------------------
 *
 * strbuf.h
 *	  A growing string buffer with HTML and URL escaping, for the pages.
 *	  Out of memory is remembered (oom) and checked once at the end.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_STRBUF_H
#define MC_STRBUF_H

#include <stddef.h>

typedef struct sbuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	int			oom;
} sbuf;

extern void sb_add(sbuf *b, const char *s, size_t n);
extern void sb_puts(sbuf *b, const char *s);
extern void sb_printf(sbuf *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/* text or attribute value, HTML-escaped */
extern void sb_html(sbuf *b, const char *s);

/* a value percent-encoded for a query string (RFC 3986 unreserved kept) */
extern void sb_urlenc(sbuf *b, const char *s);

#endif							/* MC_STRBUF_H */
