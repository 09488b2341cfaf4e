/*-------------------------------------------------------------------------
 *
 * multipart.c
 *	  Reading one field of a multipart/form-data body (multipart.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "multipart.h"

/* the boundary parameter of a content type, quoted or not: its length, 0 when absent */
static size_t
boundary_of(const char *ct, char *out, size_t cap)
{
	const char *p;
	size_t		n;

	if (ct == NULL || strncasecmp(ct, "multipart/form-data", 19) != 0)
		return 0;
	p = strcasestr(ct, "boundary=");
	if (p == NULL)
		return 0;
	p += 9;
	if (*p == '"')
	{
		p++;
		n = strcspn(p, "\"");
	}
	else
		n = strcspn(p, "; \t");
	if (n == 0 || n > 70 || n + 3 > cap)
		return 0;
	out[0] = '-';
	out[1] = '-';
	memcpy(out + 2, p, n);
	out[n + 2] = '\0';
	return n + 2;
}

/* does a part's header block name the field? (name="x", exactly) */
static int
names_field(const char *h, size_t hlen, const char *name)
{
	char		want[160];
	int			wl = snprintf(want, sizeof(want), "name=\"%s\"", name);

	if (wl < 0 || (size_t) wl >= sizeof(want))
		return 0;
	for (const char *p = h; p + wl <= h + hlen; p++)
		if (strncmp(p, want, (size_t) wl) == 0 && (p == h || p[-1] == ' ' || p[-1] == ';'))
			return 1;
	return 0;
}

int
multipart_field(const char *body, size_t len, const char *content_type, const char *name,
				const char **out, size_t *outlen)
{
	char		delim[80];
	size_t		dl = boundary_of(content_type, delim, sizeof(delim));
	const char *p,
			   *end = body + len;

	if (dl == 0 || body == NULL)
		return -1;
	p = memmem(body, len, delim, dl);
	if (p == NULL)
		return -1;
	for (int parts = 0; parts < 32; parts++)
	{
		const char *h,
				   *hend,
				   *next;

		p += dl;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return 0;			/* the closing delimiter */
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			return -1;
		h = p + 2;
		hend = memmem(h, (size_t) (end - h), "\r\n\r\n", 4);
		if (hend == NULL)
			return -1;
		next = memmem(hend + 4, (size_t) (end - hend - 4), delim, dl);
		if (next == NULL || next - (hend + 4) < 2 || next[-2] != '\r' || next[-1] != '\n')
			return -1;
		if (names_field(h, (size_t) (hend - h), name))
		{
			*out = hend + 4;
			*outlen = (size_t) (next - 2 - (hend + 4));
			return 1;
		}
		p = next;
	}
	return -1;
}
