/*-------------------------------------------------------------------------
 *
 * i18n.c
 *	  Choosing the language of a public page (i18n.h); the messages
 *	  themselves are in i18n_catalog.c.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"

/* the catalogue: {key, en, de, fr}, ending with a NULL key (i18n_catalog.c) */
extern const char *const i18n_catalog[][4];

const char *
i18n_tag(i18n_lang lang)
{
	static const char *const tags[] = {"en", "de", "fr"};

	return (unsigned) lang < LANG__COUNT ? tags[lang] : "en";
}

/* a q value "q=0.5" after a ';' (RFC 9110 12.4.2); 1000ths, -1 when malformed */
static int
parse_q(const char *p, size_t n)
{
	int			q = 0;
	size_t		i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i + 2 > n || (p[i] != 'q' && p[i] != 'Q') || p[i + 1] != '=')
		return -1;
	i += 2;
	if (i < n && p[i] == '1')
		return 1000;
	if (i >= n || p[i] != '0')
		return -1;
	i++;
	if (i < n && p[i] == '.')
	{
		int			scale = 100;

		for (i++; i < n && isdigit((unsigned char) p[i]) && scale > 0; i++, scale /= 10)
			q += (p[i] - '0') * scale;
	}
	return q;
}

/*
 * Accept-Language: "de-CH, fr;q=0.8, *;q=0.1": the listed language of ours
 * with the highest q (the first on a tie); English when none of ours is
 * listed, or for anything unparsable.  At most 64 entries are read.
 */
i18n_lang
i18n_choose(const char *header)
{
	i18n_lang	best = LANG_EN;
	int			best_q = 0;
	const char *p = header;

	for (int n = 0; p != NULL && *p != '\0' && n < 64; n++)
	{
		size_t		len = strcspn(p, ",");
		size_t		tag_len;
		int			q = 1000;
		const char *semi;

		while (len > 0 && (*p == ' ' || *p == '\t'))
			p++, len--;
		semi = memchr(p, ';', len);
		tag_len = semi ? (size_t) (semi - p) : len;
		while (tag_len > 0 && (p[tag_len - 1] == ' ' || p[tag_len - 1] == '\t'))
			tag_len--;
		if (semi != NULL)
			q = parse_q(semi + 1, len - (size_t) (semi + 1 - p));
		if (q > best_q && (tag_len == 2 || (tag_len > 2 && p[2] == '-')))
		{
			for (int l = 0; l < LANG__COUNT; l++)
				if (strncasecmp(p, i18n_tag((i18n_lang) l), 2) == 0)
				{
					best = (i18n_lang) l;
					best_q = q;
					break;
				}
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return best;
}

const char *
i18n_msg(i18n_lang lang, const char *key)
{
	if ((unsigned) lang >= LANG__COUNT)
		lang = LANG_EN;
	for (size_t i = 0; i18n_catalog[i][0] != NULL; i++)
		if (strcmp(i18n_catalog[i][0], key) == 0)
			return i18n_catalog[i][1 + lang] ? i18n_catalog[i][1 + lang] : i18n_catalog[i][1];
	return key;
}
