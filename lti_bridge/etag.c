/*-------------------------------------------------------------------------
 *
 * etag.c
 *	  Conditional requests of the public answers (etag.h): the documents of
 *	  public.c and the pages of public_page.c.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "etag.h"

/*
 * Does an If-None-Match header match the entity tag?  "*" or any listed tag,
 * compared weakly (a W/ prefix ignored), as RFC 9110 13.1.2 asks.
 */
int
public_etag_matches(const char *header, const char *etag)
{
	size_t		elen = strlen(etag);
	const char *p = header;

	while (*p)
	{
		size_t		n;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		if (*p == '*')
			return 1;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		n = strcspn(p, ",");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == elen && strncmp(p, etag, n) == 0)
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}
