/*-------------------------------------------------------------------------
 *
 * fuzz_http.c
 *	  libFuzzer target for the bridge's request parsing and routing: the
 *	  router over the real route table (http.c), the method check, form
 *	  fields of an x-www-form-urlencoded body and URL parameters (form.c),
 *	  content negotiation and If-None-Match (public.c).  libmicrohttpd
 *	  parses the request line and headers before any of these see them.
 *
 *	  The input is lines: method, URL, Accept, If-None-Match, ?format=,
 *	  then the body (the rest, which may hold newlines).  Each piece is
 *	  NUL-terminated as libmicrohttpd hands it over.  Checked: no crash,
 *	  no out-of-bounds access, and the invariants below (abort on breach).
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "http.h"
#include "gzip.h"
#include "i18n.h"
#include "multipart.h"
#include "negotiate.h"
#include "public.h"

#define N_PIECES 5

/* the next line of [*p, end) as a malloc'd string; the rest when last */
static char *
piece(const uint8_t **p, const uint8_t *end, int last)
{
	const uint8_t *nl = last ? NULL : memchr(*p, '\n', (size_t) (end - *p));
	size_t		n = nl ? (size_t) (nl - *p) : (size_t) (end - *p);
	char	   *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, *p, n);
	s[n] = '\0';
	*p += n + (nl ? 1 : 0);
	return s;
}

static void
check_route(const char *method, const char *url)
{
	char		id[128];
	const http_route *r;

	memset(id, 'x', sizeof(id));
	r = http_find_route(bridge_routes, bridge_n_routes, url, id, sizeof(id));
	if (r == NULL)
		return;
	if (r < bridge_routes || r >= bridge_routes + bridge_n_routes)
		abort();
	/* a prefix route's id is one safe segment of the URL */
	if (r->path[strlen(r->path) - 1] == '/')
	{
		size_t		n = strlen(id);

		if (n == 0 || n >= sizeof(id) || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n)
			abort();
		if (strncmp(url, r->path, strlen(r->path)) != 0 || strncmp(url + strlen(r->path), id, n) != 0)
			abort();
	}
	/* a "/a/{}/b" route's id is one safe segment too */
	if (strstr(r->path, "{}") != NULL)
	{
		size_t		n = strlen(id);

		if (n == 0 || n >= sizeof(id) || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n)
			abort();
	}
	(void) http_method_allowed(r->method, method);
	/* the same URL without an id buffer finds the same route */
	if (http_find_route(bridge_routes, bridge_n_routes, url, NULL, 0) != r)
		abort();
}

static void
check_form(const char *body, const char *value)
{
	static const char *const names[] = {"id_token", "state", "dl", "credential_type", "iss", "login_hint", ""};
	char		out[64];
	char		url[96] = "https://lms.example/auth";
	size_t		len = strlen(url);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
	{
		int			rc;

		memset(out, 0x7f, sizeof(out));
		rc = form_value(body, names[i], out, sizeof(out));
		if (rc < -1 || rc > 1 || (rc == 1 && strlen(out) >= sizeof(out)))
			abort();
		rc = form_value(body, names[i], out, 1);	/* room for the terminator only */
		if (rc == 1 && out[0] != '\0')
			abort();
	}
	/* parameters appended stay within the buffer (terminated while they fit) */
	while (append_param(url, sizeof(url), &len, "state", value) == 0)
		if (len >= sizeof(url) || strlen(url) != len)
			abort();
	if (len >= sizeof(url))
		abort();
}

/* one input */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	const uint8_t *end = data + size;
	char	   *v[N_PIECES + 1];
	int			form;

	for (int i = 0; i <= N_PIECES; i++)
		v[i] = piece(&p, end, i == N_PIECES);
	check_route(v[0], v[1]);
	form = public_jwt_form(v[2][0] ? v[2] : NULL, v[4][0] ? v[4] : NULL);
	if (form != JWT_NONE && form != JWT_VC && form != JWT_OB)
		abort();
	(void) public_etag_matches(v[3], "\"0123456789abcdef0123456789abcdef\"");
	if (public_etag_matches("*", v[3]) != 1)
		abort();
	check_form(v[5], v[1]);
	/* the verification page's header and body parsers (negotiate.c, i18n.c, gzip.c, multipart.c) */
	{
		negotiated	n = negotiate_accept(v[2]);
		i18n_lang	l = i18n_choose(v[3]);
		const char *mv;
		size_t		mn;
		int			rc = multipart_field(v[5], strlen(v[5]), v[2], v[1], &mv, &mn);

		if ((n != NEG_DOCUMENT && n != NEG_HTML && n != NEG_NONE) || (unsigned) l >= LANG__COUNT ||
			(unsigned) gzip_accepted(v[4]) > 1 || rc < -1 || rc > 1 ||
			(rc == 1 && (mv < v[5] || mv + mn > v[5] + strlen(v[5]))))
			abort();
	}
	for (int i = 0; i <= N_PIECES; i++)
		free(v[i]);
	return 0;
}
