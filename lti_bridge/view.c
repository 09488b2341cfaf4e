/*-------------------------------------------------------------------------
 *
 * view.c
 *	  The frame and the shared pieces of the public HTML pages (view.h).
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "view.h"

/*
 * One stylesheet for screen and print.  Colours pass WCAG 2.1 AA contrast
 * (4.5:1 or more against their backgrounds); a verdict is told by its word
 * and its symbol, never by colour alone.  Printed, the page is a one-page
 * certificate on A4 or Letter: the navigation, the checks and the
 * how-to-verify part give way to the QR code of the verification URL.
 */
static const char view_css[] =
	"*{box-sizing:border-box}"
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1b1b1b;background:#fff;line-height:1.5}"
	".skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:1}"
	"header,footer{background:#f3f4f6;padding:.6rem 1rem}header p,footer p{margin:0;max-width:48rem;margin:auto}"
	"main{display:block;max-width:48rem;margin:0 auto;padding:1rem}"
	"h1{font-size:1.6rem;line-height:1.25;margin:.6rem 0}h2{font-size:1.15rem;margin:1.4rem 0 .4rem;border-bottom:1px solid #d0d4da}"
	"a{color:#0645ad}a:focus{outline:3px solid #1d4ed8;outline-offset:2px}"
	"dl{display:grid;grid-template-columns:minmax(9rem,14rem) 1fr;gap:.25rem 1rem;margin:0}"
	"dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}ul{margin:0;padding-left:1.2rem}"
	".verdict{border:3px solid;border-radius:.4rem;padding:.6rem 1rem;margin:1rem 0}"
	".verdict h2{border:0;margin:0}.verdict p{margin:.3rem 0}"
	".verdict .word{font-size:1.35rem;font-weight:700}"
	".ok{border-color:#146c2e;background:#eaf6ee;color:#0f5323}"
	".bad{border-color:#a11a1a;background:#fcecec;color:#7f1212}"
	".warn{border-color:#8a5a00;background:#fff6e0;color:#5c3c00}"
	".cert{display:flex;gap:1rem;align-items:flex-start;flex-wrap:wrap}.cert>div{flex:1 1 20rem}"
	".qr{width:9rem;margin:0}.qr svg{width:100%;height:auto;display:block}.qr figcaption{font-size:.8rem;overflow-wrap:anywhere}"
	".badge{width:6rem;height:6rem}"
	".checks li{margin:.15rem 0}.res{font-weight:600}"
	"textarea{width:100%;min-height:10rem;font:inherit;font-family:monospace}"
	"button,input[type=file]{font:inherit;margin:.4rem 0}button{padding:.4rem 1rem}"
	"bdi{unicode-bidi:isolate}"
	"@media (max-width:36rem){dl{grid-template-columns:1fr}dt{margin-top:.4rem}}"
	"@media print{@page{margin:12mm}header,footer,.noprint,.skip{display:none}"
	"body{font-size:9pt;line-height:1.3}main{max-width:none;padding:0}h1{font-size:15pt;margin:0 0 2mm}"
	"h2{font-size:10.5pt;margin:3mm 0 1mm}.verdict{padding:1.5mm 3mm;margin:2mm 0;border-width:2px}"
	".verdict .word{font-size:12pt}a{color:#000;text-decoration:none}.qr{width:30mm}"
	"dl{grid-template-columns:42mm 1fr;gap:.4mm 3mm}section,.verdict,.qr{break-inside:avoid}}";

static char csp[256];
static pthread_once_t csp_once = PTHREAD_ONCE_INIT;

/* the stylesheet's hash goes into style-src: no other style may apply */
static void
make_csp(void)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char		b64[64];

	if (EVP_Digest(view_css, strlen(view_css), md, &mdlen, EVP_sha256(), NULL) != 1 ||
		EVP_EncodeBlock((unsigned char *) b64, md, (int) mdlen) <= 0)
		b64[0] = '\0';
	snprintf(csp, sizeof(csp),
			 "default-src 'none'; style-src 'sha256-%s'; img-src 'self' data:; script-src 'none'; "
			 "form-action 'self'; base-uri 'none'; frame-ancestors 'none'", b64);
}

const char *
view_csp(void)
{
	pthread_once(&csp_once, make_csp);
	return csp;
}

const char *
view_str(json_t *obj, const char *key)
{
	json_t	   *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void
meta(sbuf *b, const char *attr, const char *name, const char *content)
{
	if (content == NULL || content[0] == '\0')
		return;
	sb_printf(b, "<meta %s=\"%s\" content=\"", attr, name);
	sb_html(b, content);
	sb_puts(b, "\">");
}

void
view_begin(sbuf *b, i18n_lang lang, const char *title, const view_meta *m)
{
	sb_printf(b, "<!DOCTYPE html>\n<html lang=\"%s\" dir=\"ltr\"><head><meta charset=\"utf-8\">"
			  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
			  "<link rel=\"icon\" href=\"data:,\"><title>",
			  i18n_tag(lang));
	sb_html(b, title);
	sb_puts(b, "</title>");
	if (m != NULL)
	{
		meta(b, "name", "description", m->description);
		meta(b, "property", "og:type", "website");
		meta(b, "property", "og:title", title);
		meta(b, "property", "og:description", m->description);
		meta(b, "property", "og:image", m->image);
		meta(b, "property", "og:url", m->url);
		meta(b, "name", "twitter:card", "summary");
		meta(b, "name", "twitter:title", title);
		meta(b, "name", "twitter:description", m->description);
		meta(b, "name", "twitter:image", m->image);
		if (m->url != NULL)
		{
			sb_puts(b, "<link rel=\"canonical\" href=\"");
			sb_html(b, m->url);
			sb_puts(b, "\">");
		}
	}
	sb_puts(b, "<style>");
	sb_puts(b, view_css);
	sb_printf(b, "</style></head><body><a class=\"skip\" href=\"#main\">%s</a>"
			  "<header><p>%s</p></header><main id=\"main\"><h1><bdi>",
			  i18n_msg(lang, "skip"), i18n_msg(lang, "site"));
	sb_html(b, title);
	sb_puts(b, "</bdi></h1>");
}

void
view_end(sbuf *b, i18n_lang lang)
{
	sb_printf(b, "</main><footer><p><a href=\"/verify\">%s</a></p></footer></body></html>\n",
			  i18n_msg(lang, "l_verify"));
}

unsigned int
view_send(struct MHD_Connection *conn, http_request *req, unsigned int status, i18n_lang lang,
		  const char *body, size_t len)
{
	http_add_header(req, "Content-Security-Policy", view_csp());
	http_add_header(req, "Referrer-Policy", "no-referrer");
	http_add_header(req, "Content-Language", i18n_tag(lang));
	if (req->vary_accept < 2)
		req->vary_accept = 2;
	return respond(conn, req, status, "text/html; charset=utf-8", body, len, MHD_RESPMEM_MUST_COPY);
}

void
view_row(sbuf *b, const char *label, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return;
	sb_puts(b, "<dt>");
	sb_html(b, label);
	sb_puts(b, "</dt><dd><bdi>");
	sb_html(b, value);
	sb_puts(b, "</bdi></dd>");
}

void
view_date(sbuf *b, const char *dt)
{
	if (dt == NULL)
		return;
	if (strlen(dt) >= 10 && dt[4] == '-' && dt[7] == '-')
		sb_add(b, dt, 10);
	else
		sb_html(b, dt);
}

void
view_elements(sbuf *b, i18n_lang lang, json_t *elements)
{
	size_t		i;
	json_t	   *e;

	sb_puts(b, "<dl>");
	json_array_foreach(elements, i, e)
	{
		const char *k = view_str(e, "k");
		json_t	   *v = json_object_get(e, "v");
		char		key[64];

		if (k == NULL || strlen(k) > 40)
			continue;
		snprintf(key, sizeof(key), "e_%s", k);
		sb_printf(b, "<dt>%s</dt><dd>", i18n_msg(lang, key));
		if (json_is_array(v))
		{
			size_t		j;
			json_t	   *o;

			sb_puts(b, "<ul>");
			json_array_foreach(v, j, o)
			{
				sb_puts(b, "<li><bdi>");
				sb_html(b, json_string_value(o));
				sb_puts(b, "</bdi></li>");
			}
			sb_puts(b, "</ul>");
		}
		else
		{
			sb_puts(b, "<bdi>");
			sb_html(b, json_string_value(v));
			sb_puts(b, "</bdi>");
		}
		sb_puts(b, "</dd>");
	}
	sb_puts(b, "</dl>");
}

void
view_issuer_rows(sbuf *b, i18n_lang lang, json_t *profile)
{
	json_t	   *addr = json_object_get(profile, "address");
	json_t	   *ids = json_object_get(profile, "otherIdentifier");
	const char *url = view_str(profile, "url");

	view_row(b, i18n_msg(lang, "name"), view_str(profile, "name"));
	view_row(b, i18n_msg(lang, "country"), view_str(addr, "addressCountry"));
	view_row(b, i18n_msg(lang, "region"), view_str(addr, "addressRegion"));
	if (url != NULL && (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0))
	{
		sb_printf(b, "<dt>%s</dt><dd><a href=\"", i18n_msg(lang, "website"));
		sb_html(b, url);
		sb_puts(b, "\" rel=\"nofollow noopener\">");
		sb_html(b, url);
		sb_puts(b, "</a></dd>");
	}
	if (json_array_size(ids) > 0)
	{
		size_t		i;
		json_t	   *e;

		sb_printf(b, "<dt>%s</dt><dd><ul>", i18n_msg(lang, "identifiers"));
		json_array_foreach(ids, i, e)
		{
			const char *t = view_str(e, "identifierType");

			sb_puts(b, "<li>");
			if (t != NULL)
			{
				sb_html(b, strncmp(t, "ext:", 4) == 0 ? t + 4 : t);
				sb_puts(b, ": ");
			}
			sb_puts(b, "<bdi>");
			sb_html(b, view_str(e, "identifier"));
			sb_puts(b, "</bdi></li>");
		}
		sb_puts(b, "</ul></dd>");
	}
}
