/*-------------------------------------------------------------------------
 *
 * negotiate.c
 *	  Content negotiation of the public resources (negotiate.h), after RFC
 *	  9110 12.5.1: media ranges with q values, the more specific range of a
 *	  type winning over a wildcard.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "negotiate.h"

static const char *const doc_types[] = {
	"application/vc", "application/json", "application/ld+json", "application/vc+ld+json",
	"application/vc+jwt", "application/jwt", NULL
};
static const char *const html_types[] = {"text/html", "application/xhtml+xml", NULL};

/* the q of a media range's parameters ("; q=0.5; level=1"), in 1000ths */
static int
range_q(const char *p, size_t n)
{
	const char *end = p + n;

	while (p < end)
	{
		const char *semi = memchr(p, ';', (size_t) (end - p));

		if (semi == NULL)
			break;
		p = semi + 1;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p >= 2 && (*p == 'q' || *p == 'Q') && p[1] == '=')
		{
			int			q = 0;
			int			scale = 1000;

			p += 2;
			if (p < end && *p == '1')
				return 1000;
			if (p >= end || *p != '0')
				return 0;
			p++;
			if (p < end && *p == '.')
				for (p++, scale = 100; p < end && isdigit((unsigned char) *p) && scale > 0; p++, scale /= 10)
					q += (*p - '0') * scale;
			return q;
		}
	}
	return 1000;
}

static int
in_list(const char *const *list, const char *p, size_t n)
{
	for (int i = 0; list[i] != NULL; i++)
		if (strlen(list[i]) == n && strncasecmp(list[i], p, n) == 0)
			return 1;
	return 0;
}

negotiated
negotiate_accept(const char *accept)
{
	int			html = -1,
				doc = -1,
				wild = -1,
				text_wild = -1;
	const char *p = accept;

	if (accept == NULL)
		return NEG_DOCUMENT;
	for (int n = 0; *p != '\0' && n < 64; n++)
	{
		size_t		len = strcspn(p, ",");
		size_t		tlen;
		int			q;

		while (len > 0 && (*p == ' ' || *p == '\t'))
			p++, len--;
		tlen = strcspn(p, ";,");
		if (tlen > len)
			tlen = len;
		while (tlen > 0 && (p[tlen - 1] == ' ' || p[tlen - 1] == '\t'))
			tlen--;
		q = range_q(p, len);
		if (in_list(html_types, p, tlen))
			html = q > html ? q : html;
		else if (in_list(doc_types, p, tlen))
			doc = q > doc ? q : doc;
		else if ((tlen == 3 && strncmp(p, "*/*", 3) == 0) ||
				 (tlen == 13 && strncasecmp(p, "application/*", 13) == 0))
			wild = q > wild ? q : wild;
		else if (tlen == 6 && strncasecmp(p, "text/*", 6) == 0)
			text_wild = q > text_wild ? q : text_wild;
		p += len;
		if (*p == ',')
			p++;
	}
	if (html < 0 && doc < 0 && wild < 0 && text_wild < 0)
		return *accept == '\0' ? NEG_DOCUMENT : NEG_NONE;
	/* the explicitly named kinds first, then the wildcards */
	if (html < 0)
		html = text_wild;
	if (doc < 0)
		doc = wild;
	if (html > 0 && html > doc)
		return NEG_HTML;
	if (doc > 0)
		return NEG_DOCUMENT;
	return NEG_NONE;
}
