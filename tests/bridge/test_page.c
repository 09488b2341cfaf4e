/*-------------------------------------------------------------------------
 *
 * test_page.c
 *	  Unit tests of the verification page's parsers: content negotiation
 *	  (negotiate.c), the language of Accept-Language (i18n.c), gzip in
 *	  Accept-Encoding (gzip.c), multipart/form-data (multipart.c), the
 *	  router's '*' routes (http.c), and the QR and badge SVGs (qr.c,
 *	  badge_svg.c) on hostile text.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "badge_svg.h"
#include "gzip.h"
#include "http.h"
#include "i18n.h"
#include "multipart.h"
#include "negotiate.h"
#include "qr.h"
#include "../lib/tap.h"

static const char *
neg(const char *a)
{
	negotiated	n = negotiate_accept(a);

	return n == NEG_HTML ? "html" : n == NEG_DOCUMENT ? "doc" : "none";
}

int
main(void)
{
	static const struct
	{
		const char *accept;
		const char *want;
	}			cases[] = {
		{NULL, "doc"}, {"", "doc"}, {"*/*", "doc"}, {"application/json", "doc"}, {"application/vc", "doc"},
		{"application/vc+jwt", "doc"}, {"application/*", "doc"},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"},
		{"text/html", "html"}, {"text/*", "html"}, {"TEXT/HTML", "html"},
		{"text/html, application/json", "doc"}, {"text/html;q=0.5, application/json", "doc"},
		{"application/json;q=0.1, text/html", "html"}, {"text/html;q=0, */*", "doc"},
		{"image/png", "none"}, {"application/xml", "none"}, {"text/html;q=0", "none"},
		{"application/json;q=0, text/html;q=0", "none"}, {",,,;;;", "none"}, {"*/*;q=0", "none"},
	};
	const char *body;
	size_t		n;
	const char *v;
	char		id[128];
	sbuf		b = {0};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_ok(strcmp(neg(cases[i].accept), cases[i].want) == 0, "Accept: %s -> %s (got %s)",
			   cases[i].accept ? cases[i].accept : "(none)", cases[i].want, neg(cases[i].accept));

	tap_ok(i18n_choose(NULL) == LANG_EN && i18n_choose("") == LANG_EN && i18n_choose("xx") == LANG_EN,
		   "no or unknown Accept-Language: English");
	tap_ok(i18n_choose("de-CH, fr;q=0.8") == LANG_DE && i18n_choose("es, fr;q=0.4, de;q=0.3") == LANG_FR,
		   "the listed language of ours with the highest q");
	tap_ok(i18n_choose("de;q=0, fr;q=0.1") == LANG_FR && i18n_choose("deu, dex-x") == LANG_EN,
		   "q=0 excludes; a longer primary tag is not ours");
	tap_ok(i18n_choose(";;;q=,,de;q=zz,,") == LANG_EN && i18n_choose("de;q=1.5") == LANG_DE,
		   "garbage parses to something sane");
	tap_ok(strcmp(i18n_msg(LANG_DE, "v_valid"), "Gültig") == 0 && strcmp(i18n_msg(LANG_FR, "no-such-key"), "no-such-key") == 0,
		   "the catalogue answers a key, and an unknown key is itself");

	tap_ok(gzip_accepted("gzip, deflate, br") && gzip_accepted("*") && gzip_accepted("GZIP;q=0.5"),
		   "gzip accepted when named or by *");
	tap_ok(!gzip_accepted(NULL) && !gzip_accepted("identity") && !gzip_accepted("gzip;q=0") &&
		   !gzip_accepted("gzip;q=0.000") && !gzip_accepted("gzipx"), "gzip refused: absent, q=0, other codings");

	body = "--XyZ\r\nContent-Disposition: form-data; name=\"credential\"\r\n\r\npasted\r\n"
		"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.json\"\r\nContent-Type: application/json\r\n\r\n{\"a\":1}\r\n--XyZ--\r\n";
	tap_ok(multipart_field(body, strlen(body), "multipart/form-data; boundary=XyZ", "file", &v, &n) == 1 &&
		   n == 7 && strncmp(v, "{\"a\":1}", 7) == 0, "multipart: the file part");
	tap_ok(multipart_field(body, strlen(body), "multipart/form-data; boundary=\"XyZ\"", "credential", &v, &n) == 1 &&
		   n == 6 && strncmp(v, "pasted", 6) == 0, "multipart: the pasted part (quoted boundary)");
	tap_ok(multipart_field(body, strlen(body), "multipart/form-data; boundary=XyZ", "other", &v, &n) == 0,
		   "multipart: an absent field");
	tap_ok(multipart_field(body, strlen(body), "multipart/form-data", "file", &v, &n) == -1 &&
		   multipart_field(body, 20, "multipart/form-data; boundary=XyZ", "file", &v, &n) == -1 &&
		   multipart_field("garbage", 7, "multipart/form-data; boundary=XyZ", "file", &v, &n) == -1,
		   "multipart: no boundary, a truncated or foreign body: malformed");

	{
		static const http_route routes[] = {
			{"/credentials/{}/qr.svg", "GET", "qr", NULL, 0},
			{"/credentials/", "GET", "credential", NULL, 0},
		};
		const http_route *r = http_find_route(routes, 2, "/credentials/abc-1/qr.svg?x=1", id, sizeof(id));

		tap_ok(r == &routes[0] && strcmp(id, "abc-1") == 0, "a {} route takes its one segment");
		tap_ok(http_find_route(routes, 2, "/credentials//qr.svg", id, sizeof(id)) == NULL &&
			   http_find_route(routes, 2, "/credentials/a/b/qr.svg", id, sizeof(id)) == NULL &&
			   http_find_route(routes, 2, "/credentials/a%2fb/qr.svg", id, sizeof(id)) == NULL &&
			   http_find_route(routes, 2, "/credentials/abc/qr.svgx", id, sizeof(id)) == NULL,
			   "a {} route refuses empty, deeper or encoded segments and other suffixes");
		tap_ok(http_find_route(routes, 2, "/credentials/abc", id, sizeof(id)) == &routes[1],
			   "the prefix route still answers its own paths");
	}

	tap_ok(qr_svg(&b, "https://bridge.example/credentials/1", "a \"label\" <x>") == 0 && !b.oom &&
		   strstr(b.data, "aria-label=\"a &quot;label&quot; &lt;x&gt;\"") != NULL, "a QR SVG, its label escaped");
	free(b.data);
	memset(&b, 0, sizeof(b));
	{
		char	   *long_text = malloc(5000);

		memset(long_text, 'x', 4999);
		long_text[4999] = '\0';
		tap_ok(qr_svg(&b, long_text, NULL) == -1, "too long for a QR code: refused");
		free(long_text);
	}
	free(b.data);
	memset(&b, 0, sizeof(b));
	badge_svg(&b, "<script>alert(1)</script> Ünïcødé \xe2\x80\xae ß ß ß ß ß ß ß ß ß ß ß ß ß ß ß ß ß ß ß", "EQF 6 · 2 ECTS", "A & B <Uni>");
	tap_ok(!b.oom && strstr(b.data, "<script") == NULL && strstr(b.data, "&lt;script&gt;") != NULL &&
		   strstr(b.data, "A &amp; B &lt;Uni&gt;") != NULL, "a badge escapes title and issuer");
	{
		/* every line cut at a character boundary: no byte 0x80-0xBF right after '>' */
		int			clean = 1;

		for (const char *p = b.data; (p = strchr(p, '>')) != NULL; p++)
			if (((unsigned char) p[1] & 0xC0) == 0x80)
				clean = 0;
		tap_ok(clean, "a badge cuts long texts at UTF-8 character boundaries");
	}
	free(b.data);

	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
