/*-------------------------------------------------------------------------
 *
 * badge_svg.c
 *	  Generated badge images (badge_svg.h).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "badge_svg.h"

/* at most max bytes of s, cut back to a UTF-8 character boundary */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char) s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

/* s[0..n) escaped for XML text */
static void
add_text(sbuf *b, const char *s, size_t n)
{
	char		tmp[128];

	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	sb_html(b, tmp);
}

/* a line of text centred at y */
static void
line(sbuf *b, int y, int size, const char *weight, const char *s, size_t n)
{
	sb_printf(b, "<text x=\"100\" y=\"%d\" font-size=\"%d\" font-weight=\"%s\" text-anchor=\"middle\" fill=\"#fff\">",
			  y, size, weight);
	add_text(b, s, n);
	sb_puts(b, "</text>");
}

void
badge_svg(sbuf *b, const char *title, const char *subtitle, const char *footer)
{
	const char *p = title ? title : "";
	int			y = 82;

	sb_puts(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 200 200\" width=\"200\" height=\"200\" "
			"role=\"img\" aria-label=\"");
	sb_html(b, p);
	if (footer != NULL && footer[0] != '\0')
	{
		sb_puts(b, " \u2014 ");
		sb_html(b, footer);
	}
	sb_puts(b, "\" font-family=\"DejaVu Sans, Verdana, sans-serif\"><title>");
	sb_html(b, p);
	if (footer != NULL && footer[0] != '\0')
	{
		sb_puts(b, " \u2014 ");
		sb_html(b, footer);
	}
	sb_puts(b, "</title><circle cx=\"100\" cy=\"100\" r=\"97\" fill=\"#1d3557\"/>"
			"<circle cx=\"100\" cy=\"100\" r=\"88\" fill=\"none\" stroke=\"#e9c46a\" stroke-width=\"3\"/>");
	if (subtitle != NULL && subtitle[0] != '\0')
		line(b, 56, 12, "normal", subtitle, utf8_cut(subtitle, strlen(subtitle), 40));
	/* the title: up to three lines of about 20 bytes, broken at spaces */
	for (int l = 0; l < 3 && *p != '\0'; l++, y += 20)
	{
		size_t		len = strlen(p);
		size_t		n = utf8_cut(p, len, 20);

		if (n < len)
		{
			size_t		sp = n;

			while (sp > 0 && p[sp] != ' ')
				sp--;
			if (sp > 0)
				n = sp;
		}
		if (l == 2 && n < len)
			n = utf8_cut(p, len, 17);
		line(b, y, 16, "bold", p, n);
		if (l == 2 && n < len)
			line(b, y + 14, 12, "normal", "\u2026", strlen("\u2026"));
		p += n;
		while (*p == ' ')
			p++;
	}
	if (footer != NULL && footer[0] != '\0')
		line(b, 156, 9, "normal", footer, utf8_cut(footer, strlen(footer), 36));
	sb_puts(b, "</svg>\n");
}
