/*-------------------------------------------------------------------------
 *
 * gzip.h
 *	  gzip content coding (RFC 9110 8.4.1.3) of the cached HTML pages: a
 *	  browser always asks for it, and a page is a third of its size so.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_GZIP_H
#define MC_GZIP_H

#include <stddef.h>

/* in[0..len) gzip-compressed into *out (malloc'd): 0, or -1 (out of memory) */
extern int	gzip_compress(const char *in, size_t len, char **out, size_t *outlen);

/* does an Accept-Encoding header accept gzip (named, or *, with q > 0)? */
extern int	gzip_accepted(const char *accept_encoding);

#endif							/* MC_GZIP_H */
