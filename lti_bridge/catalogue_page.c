/*-------------------------------------------------------------------------
 *
 * catalogue_page.c
 *	  The public catalogue: an awarding body with the micro-credentials it
 *	  currently awards (GET /issuers/{handle}), and one micro-credential
 *	  with every standard element (GET /achievements/{id}), so anyone can
 *	  read what a credential means before anyone holds it.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "public_page.h"
#include "view.h"

static void
achievement_path(sbuf *b, json_t *a)
{
	/* our own achievements: the path under this bridge, whatever host the document names */
	sb_puts(b, "/achievements/");
	sb_html(b, view_str(a, "uuid"));
}

void
catalogue_issuer_render(sbuf *b, i18n_lang lang, json_t *page)
{
	json_t	   *profile = json_object_get(page, "profile");
	json_t	   *list = json_object_get(page, "achievements");
	const char *name = view_str(profile, "name");
	char		image[300];
	view_meta	m = {0};
	size_t		i;
	json_t	   *a;

	snprintf(image, sizeof(image), "%s/image", view_str(profile, "id") ? view_str(profile, "id") : "");
	m.description = name;
	m.image = strncmp(image, "http", 4) == 0 ? image : NULL;
	m.url = view_str(profile, "id");
	view_begin(b, lang, name ? name : "?", &m);
	sb_puts(b, "<img class=\"badge\" alt=\"\" src=\"/issuers/");
	sb_html(b, view_str(page, "handle"));
	sb_printf(b, "/image\"><section aria-labelledby=\"issuer-h\"><h2 id=\"issuer-h\">%s</h2><dl>",
			  i18n_msg(lang, "awarding_body"));
	view_issuer_rows(b, lang, profile);
	sb_printf(b, "</dl></section><section aria-labelledby=\"list-h\"><h2 id=\"list-h\">%s</h2>",
			  i18n_msg(lang, "catalogue"));
	if (json_array_size(list) == 0)
		sb_printf(b, "<p>%s</p>", i18n_msg(lang, "none_yet"));
	json_array_foreach(list, i, a)
	{
		sb_puts(b, "<article><h3><a href=\"");
		achievement_path(b, a);
		sb_puts(b, "\"><bdi>");
		sb_html(b, view_str(a, "name"));
		sb_puts(b, "</bdi></a></h3>");
		view_elements(b, lang, json_object_get(a, "elements"));
		sb_puts(b, "</article>");
	}
	sb_puts(b, "</section>");
	view_end(b, lang);
}

void
catalogue_achievement_render(sbuf *b, i18n_lang lang, json_t *page)
{
	json_t	   *issuer = json_object_get(page, "issuer");
	const char *name = view_str(page, "name");
	char		image[300];
	char		desc[300];
	view_meta	m = {0};

	snprintf(image, sizeof(image), "%s/image", view_str(page, "id") ? view_str(page, "id") : "");
	snprintf(desc, sizeof(desc), "%s: %s", i18n_msg(lang, "awarded_by"),
			 view_str(issuer, "name") ? view_str(issuer, "name") : "?");
	m.description = desc;
	m.image = strncmp(image, "http", 4) == 0 ? image : NULL;
	m.url = view_str(page, "id");
	view_begin(b, lang, name ? name : "?", &m);
	sb_puts(b, "<img class=\"badge\" alt=\"\" src=\"/achievements/");
	sb_html(b, view_str(page, "uuid"));
	sb_puts(b, "/image\">");
	if (json_is_true(json_object_get(page, "retired")))
		sb_printf(b, "<p><strong>%s</strong></p>", i18n_msg(lang, "retired"));
	sb_printf(b, "<section aria-labelledby=\"certifies-h\"><h2 id=\"certifies-h\">%s</h2>", i18n_msg(lang, "certifies"));
	view_elements(b, lang, json_object_get(page, "elements"));
	sb_printf(b, "</section><section aria-labelledby=\"issuer-h\"><h2 id=\"issuer-h\">%s</h2><dl>",
			  i18n_msg(lang, "awarding_body"));
	view_issuer_rows(b, lang, issuer);
	sb_puts(b, "</dl><p><a href=\"/issuers/");
	sb_html(b, view_str(page, "handle"));
	sb_printf(b, "\">%s</a></p></section>", i18n_msg(lang, "catalogue"));
	view_end(b, lang);
}
