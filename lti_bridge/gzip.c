/*-------------------------------------------------------------------------
 *
 * gzip.c
 *	  gzip content coding with zlib (gzip.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "gzip.h"

int
gzip_compress(const char *in, size_t len, char **out, size_t *outlen)
{
	z_stream	z;
	size_t		cap;
	int			rc;

	memset(&z, 0, sizeof(z));
	/* 15 + 16: a gzip wrapper rather than zlib's */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	cap = deflateBound(&z, (uLong) len) + 32;
	*out = malloc(cap);
	if (*out == NULL)
	{
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *) in;
	z.avail_in = (uInt) len;
	z.next_out = (Bytef *) *out;
	z.avail_out = (uInt) cap;
	rc = deflate(&z, Z_FINISH);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END)
	{
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int
gzip_accepted(const char *h)
{
	const char *p = h;

	while (p != NULL && *p != '\0')
	{
		size_t		len = strcspn(p, ",");
		size_t		tl;
		const char *q;

		while (len > 0 && (*p == ' ' || *p == '\t'))
			p++, len--;
		tl = strcspn(p, ";,");
		if (tl > len)
			tl = len;
		while (tl > 0 && (p[tl - 1] == ' ' || p[tl - 1] == '\t'))
			tl--;
		if ((tl == 4 && strncasecmp(p, "gzip", 4) == 0) || (tl == 1 && *p == '*'))
		{
			/* refused only by an explicit q=0 (q=0, q=0.0, q=0.000) */
			q = memchr(p, ';', len);
			if (q == NULL)
				return 1;
			q++;
			while (*q == ' ' || *q == '\t')
				q++;
			if (!((q[0] == 'q' || q[0] == 'Q') && q[1] == '=' && q[2] == '0' &&
				  strspn(q + 3 + (q[3] == '.'), "0") == strcspn(q + 3 + (q[3] == '.'), ",; \t")))
				return 1;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}
