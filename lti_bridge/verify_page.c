/*-------------------------------------------------------------------------
 *
 * verify_page.c
 *	  The verification page of a credential: the verdict of verify() made
 *	  for this request, then what the credential certifies (every EU
 *	  standard element it states), the awarding body, date and place of
 *	  issuance, the proof, the checks, and how to verify it oneself.
 *	  Printed, it is a one-page certificate with the QR code of its URL.
 *	  The same page shows what POST /verify found in a pasted credential.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "public_page.h"
#include "qr.h"
#include "view.h"

/* the verdict's box: the word and a symbol, so colour is never the only sign */
static void
verdict_box(sbuf *b, i18n_lang lang, json_t *page)
{
	const char *v = view_str(page, "verdict");
	const char *cls,
			   *sym;
	char		word[32],
				text[32];

	if (v == NULL || strlen(v) > 20)
		v = "invalid";
	cls = strcmp(v, "valid") == 0 ? "ok" : strcmp(v, "suspended") == 0 || strcmp(v, "superseded") == 0 ? "warn" : "bad";
	sym = strcmp(v, "valid") == 0 ? "\u2713" : strcmp(cls, "warn") == 0 ? "\u26a0" : "\u2717";
	snprintf(word, sizeof(word), "v_%s", v);
	snprintf(text, sizeof(text), "v_%s_t", v);
	sb_printf(b, "<section class=\"verdict %s\" aria-labelledby=\"verdict-h\" data-verdict=\"", cls);
	sb_html(b, v);
	sb_printf(b, "\"><h2 id=\"verdict-h\">%s</h2><p class=\"word\"><span aria-hidden=\"true\">%s</span> %s</p><p>%s",
			  i18n_msg(lang, "verdict"), sym, i18n_msg(lang, word), i18n_msg(lang, text));
	if (strcmp(v, "superseded") == 0 && view_str(page, "superseded_by") != NULL)
	{
		sb_puts(b, " <a rel=\"successor-version\" href=\"");
		sb_html(b, view_str(page, "superseded_by"));
		sb_printf(b, "\">%s</a>", i18n_msg(lang, "v_superseded_l"));
	}
	sb_puts(b, "</p>");
	if (view_str(page, "status_reason") != NULL && strcmp(v, "valid") != 0)
	{
		sb_printf(b, "<p>%s: <bdi>", i18n_msg(lang, "reason"));
		sb_html(b, view_str(page, "status_reason"));
		sb_puts(b, "</bdi></p>");
	}
	sb_puts(b, "</section>");
}

static void
link_item(sbuf *b, const char *href, const char *suffix, const char *label)
{
	if (href == NULL || (strncmp(href, "https://", 8) != 0 && strncmp(href, "http://", 7) != 0 &&
						 (href[0] != '/' || href[1] == '/')))
		return;
	sb_puts(b, "<li><a href=\"");
	sb_html(b, href);
	sb_puts(b, suffix);
	sb_puts(b, "\">");
	sb_html(b, label);
	sb_puts(b, "</a></li>");
}

static void
proof_section(sbuf *b, i18n_lang lang, json_t *page)
{
	json_t	   *proof = json_object_get(page, "proof");
	json_t	   *checks = json_object_get(page, "checks");
	char		fmt[200];
	size_t		i;
	json_t	   *c;

	snprintf(fmt, sizeof(fmt), "%s%s%s", view_str(page, "format") ? view_str(page, "format") : "",
			 view_str(proof, "cryptosuite") ? ", " : "",
			 view_str(proof, "cryptosuite") ? view_str(proof, "cryptosuite") : "");
	sb_printf(b, "<section aria-labelledby=\"proof-h\"><h2 id=\"proof-h\">%s</h2><dl>", i18n_msg(lang, "proof"));
	view_row(b, i18n_msg(lang, "proof_format"), fmt);
	view_row(b, i18n_msg(lang, "proof_key"), view_str(proof, "method"));
	if (view_str(proof, "created"))
	{
		sb_printf(b, "<dt>%s</dt><dd>", i18n_msg(lang, "proof_created"));
		sb_html(b, view_str(proof, "created"));
		sb_puts(b, "</dd>");
	}
	sb_puts(b, "</dl>");
	if (json_array_size(checks) > 0)
	{
		sb_printf(b, "<h3 class=\"noprint\">%s</h3><ul class=\"checks noprint\">", i18n_msg(lang, "checks"));
		json_array_foreach(checks, i, c)
		{
			const char *r = view_str(c, "result");
			char		rk[16];

			snprintf(rk, sizeof(rk), "r_%s", r && strlen(r) < 8 ? r : "skip");
			sb_puts(b, "<li><span class=\"res\">");
			sb_html(b, i18n_msg(lang, rk));
			sb_puts(b, "</span> \u2014 <code>");
			sb_html(b, view_str(c, "check"));
			sb_puts(b, "</code>: <bdi>");
			sb_html(b, view_str(c, "reason"));
			sb_puts(b, "</bdi></li>");
		}
		sb_puts(b, "</ul>");
	}
	sb_puts(b, "</section>");
}

/* the sharing and how-to-verify links (not printed) */
static void
links_section(sbuf *b, i18n_lang lang, json_t *page, const char *self)
{
	json_t	   *issuer = json_object_get(page, "issuer");

	sb_printf(b, "<section class=\"noprint\" aria-labelledby=\"yourself-h\"><h2 id=\"yourself-h\">%s</h2><p>%s</p><ul>",
			  i18n_msg(lang, "yourself"), i18n_msg(lang, "yourself_t"));
	if (self != NULL)
	{
		link_item(b, self, "?format=json", i18n_msg(lang, "l_json"));
		link_item(b, self, "?format=jwt", i18n_msg(lang, "l_jwt"));
	}
	link_item(b, view_str(issuer, "id"), "?format=json", i18n_msg(lang, "l_issuer"));
	link_item(b, view_str(page, "status_list"), "", i18n_msg(lang, "l_status"));
	link_item(b, view_str(page, "achievement_id"), "", i18n_msg(lang, "l_achievement"));
	sb_puts(b, "</ul>");
	if (self != NULL && view_str(page, "id") != NULL)
	{
		sb_printf(b, "<h3>%s</h3><ul><li><a href=\"https://www.linkedin.com/sharing/share-offsite/?url=",
				  i18n_msg(lang, "share"));
		sb_urlenc(b, view_str(page, "id"));
		sb_puts(b, "\" rel=\"noopener\">LinkedIn</a></li></ul>");
	}
	sb_puts(b, "</section>");
}

void
verify_page_render(sbuf *b, i18n_lang lang, json_t *page, const char *self, const char *note)
{
	const char *name = view_str(page, "name");
	json_t	   *issuer = json_object_get(page, "issuer");
	json_t	   *addr = json_object_get(issuer, "address");
	const char *url = view_str(page, "id");
	char		image[600] = "";
	char		desc[400];
	view_meta	m = {0};

	if (json_integer_value(json_object_get(page, "status")) == 410)
	{
		view_begin(b, lang, i18n_msg(lang, "v_erased"), NULL);
		verdict_box(b, lang, page);
		view_end(b, lang);
		return;
	}
	if (name == NULL)
		name = i18n_msg(lang, "verify_title");
	if (view_str(page, "achievement_id") != NULL && strlen(view_str(page, "achievement_id")) < 500 &&
		(strncmp(view_str(page, "achievement_id"), "https://", 8) == 0 ||
		 strncmp(view_str(page, "achievement_id"), "http://", 7) == 0))
		snprintf(image, sizeof(image), "%s/image", view_str(page, "achievement_id"));
	snprintf(desc, sizeof(desc), "%s: %s", i18n_msg(lang, "awarded_by"),
			 view_str(issuer, "name") ? view_str(issuer, "name") : "?");
	m.description = desc;
	m.image = image[0] ? image : NULL;
	m.url = self != NULL ? url : NULL;
	view_begin(b, lang, name, &m);
	verdict_box(b, lang, page);

	sb_puts(b, "<div class=\"cert\"><div>");
	/* the learner, only where the credential shows a name */
	sb_printf(b, "<section aria-labelledby=\"learner-h\"><h2 id=\"learner-h\">%s</h2><dl>", i18n_msg(lang, "awarded_to"));
	if (view_str(page, "learner") != NULL)
		view_row(b, i18n_msg(lang, "name"), view_str(page, "learner"));
	else
		sb_printf(b, "<dt>%s</dt><dd>%s</dd>", i18n_msg(lang, "name"), i18n_msg(lang, "learner_hidden"));
	view_row(b, i18n_msg(lang, "grade"), view_str(page, "grade"));
	view_row(b, i18n_msg(lang, "credits_earned"), view_str(page, "credits_earned"));
	sb_puts(b, "</dl></section>");

	sb_printf(b, "<section aria-labelledby=\"issuer-h\"><h2 id=\"issuer-h\">%s</h2><dl>", i18n_msg(lang, "awarding_body"));
	view_issuer_rows(b, lang, issuer);
	sb_puts(b, "</dl></section>");

	sb_printf(b, "<section aria-labelledby=\"issuance-h\"><h2 id=\"issuance-h\">%s</h2><dl><dt>%s</dt><dd>",
			  i18n_msg(lang, "issuance"), i18n_msg(lang, "date_issued"));
	view_date(b, view_str(page, "awarded"));
	sb_printf(b, "</dd><dt>%s</dt><dd><bdi>", i18n_msg(lang, "place_issued"));
	if (view_str(addr, "addressRegion"))
	{
		sb_html(b, view_str(addr, "addressRegion"));
		sb_puts(b, ", ");
	}
	sb_html(b, view_str(addr, "addressCountry"));
	sb_printf(b, "</bdi></dd><dt>%s</dt><dd>", i18n_msg(lang, "valid_from"));
	view_date(b, view_str(page, "valid_from"));
	sb_printf(b, "</dd><dt>%s</dt><dd>", i18n_msg(lang, "valid_until"));
	if (view_str(page, "valid_until"))
		view_date(b, view_str(page, "valid_until"));
	else
		sb_puts(b, i18n_msg(lang, "no_expiry"));
	sb_puts(b, "</dd></dl></section></div>");
	if (self != NULL && url != NULL)
	{
		sb_puts(b, "<figure class=\"qr\">");
		qr_svg(b, url, i18n_msg(lang, "qr"));
		sb_printf(b, "<figcaption>%s: <bdi>", i18n_msg(lang, "qr"));
		sb_html(b, url);
		sb_puts(b, "</bdi></figcaption></figure>");
	}
	sb_puts(b, "</div>");

	sb_printf(b, "<section aria-labelledby=\"certifies-h\"><h2 id=\"certifies-h\">%s</h2>", i18n_msg(lang, "certifies"));
	view_elements(b, lang, json_object_get(page, "elements"));
	sb_puts(b, "</section>");
	proof_section(b, lang, page);
	if (note != NULL)
	{
		sb_printf(b, "<section aria-labelledby=\"unchecked-h\"><h2 id=\"unchecked-h\">%s</h2><p>",
				  i18n_msg(lang, "r_skip"));
		sb_html(b, note);
		sb_puts(b, "</p></section>");
	}
	links_section(b, lang, page, self);
	view_end(b, lang);
}
