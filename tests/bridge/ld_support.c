/*-------------------------------------------------------------------------
 *
 * ld_support.c
 *	  launch_driver: strings, HTTP, SQL, login and launch helpers, claims, signing.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "jose_helpers.h"
#include "launch_driver.h"
#include "mock_platform.h"
#include "../lib/tap.h"

/* ---- refusals seen, to compare with /metrics ------------------------ */

caused_code caused[96];
int	n_caused;

/* count one X-LTI-Error the bridge answered */
void
cause(const char *code)
{
	if (code == NULL)
		return;
	for (int i = 0; i < n_caused; i++)
		if (strcmp(caused[i].code, code) == 0)
		{
			caused[i].n++;
			return;
		}
	if (n_caused < (int) (sizeof(caused) / sizeof(caused[0])))
	{
		caused[n_caused].code = strdup(code);
		caused[n_caused++].n = 1;
	}
}

/* ---- strings ------------------------------------------------------------ */

int
streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

const char *
nz(const char *s)
{
	return s ? s : "(none)";
}

/* printf into a malloc'd string */

char *
fmt(const char *f,...)
{
	va_list		ap;
	int			n;
	char	   *s;
	char		probe[1];

	va_start(ap, f);
	n = vsnprintf(probe, sizeof(probe), f, ap);
	va_end(ap);
	s = malloc((size_t) n + 1);
	va_start(ap, f);
	vsnprintf(s, (size_t) n + 1, f, ap);
	va_end(ap);
	return s;
}

/* percent-encoding of a query or form value; malloc'd */
char *
enc(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char	   *out = malloc(strlen(s) * 3 + 1);
	size_t		o = 0;

	for (const unsigned char *c = (const unsigned char *) s; *c; c++)
	{
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
			*c == '-' || *c == '.' || *c == '_' || *c == '~')
			out[o++] = (char) *c;
		else
		{
			out[o++] = '%';
			out[o++] = hex[*c >> 4];
			out[o++] = hex[*c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

/* HTML entities the bridge and the mock write, decoded in place */
char *
unescape_html(char *s)
{
	static const struct
	{
		const char *e;
		char		c;
	}			ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
	char	   *r = s,
			   *w = s;

	while (*r)
	{
		size_t		k;

		for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++)
			if (strncmp(r, ents[k].e, strlen(ents[k].e)) == 0)
				break;
		if (k < sizeof(ents) / sizeof(ents[0]))
		{
			*w++ = ents[k].c;
			r += strlen(ents[k].e);
		}
		else
			*w++ = *r++;
	}
	*w = '\0';
	return s;
}

/* the attribute value after marker (e.g. `data-view="`) from pos on, decoded; malloc'd */
char *
attr_after(const char *html, const char *marker, const char **next)
{
	const char *p = html ? strstr(html, marker) : NULL;
	const char *e;
	char	   *v;

	if (p == NULL)
		return NULL;
	p += strlen(marker);
	e = strchr(p, '"');
	if (e == NULL)
		return NULL;
	v = strndup(p, (size_t) (e - p));
	if (next)
		*next = e;
	return unescape_html(v);
}

char *
attr(const char *html, const char *marker)
{
	return attr_after(html, marker, NULL);
}

/* the value of <input ... name="NAME" value="..."> */
char *
hidden_input(const char *html, const char *name)
{
	char		marker[128];

	snprintf(marker, sizeof(marker), "name=\"%s\" value=\"", name);
	return attr(html, marker);
}

/* a query parameter of a URL, decoded; malloc'd */
char *
query_param(const char *url, const char *name)
{
	const char *q = url ? strchr(url, '?') : NULL;
	size_t		nlen = strlen(name);

	while (q != NULL)
	{
		const char *end;
		size_t		len;

		q++;
		end = strchr(q, '&');
		len = end ? (size_t) (end - q) : strlen(q);
		if (len > nlen && strncmp(q, name, nlen) == 0 && q[nlen] == '=')
		{
			int			olen = 0;
			char	   *d = curl_easy_unescape(NULL, q + nlen + 1, (int) (len - nlen - 1), &olen);
			char	   *v = strdup(d);

			curl_free(d);
			return v;
		}
		q = end;
	}
	return NULL;
}

/* ---- HTTP ------------------------------------------------------------- */



size_t
on_data(char *p, size_t size, size_t nmemb, void *ud)
{
	grow	   *g = ud;
	size_t		n = size * nmemb;
	char	   *nd = realloc(*g->data, *g->len + n + 1);

	if (nd == NULL)
		return 0;
	memcpy(nd + *g->len, p, n);
	*g->len += n;
	nd[*g->len] = '\0';
	*g->data = nd;
	return n;
}

void
resp_free(http_resp *r)
{
	free(r->body);
	free(r->head);
	memset(r, 0, sizeof(*r));
}

/* the parts of one request in flight */

/*
 * Prepare a request into r: GET when body is NULL, else POST of body with
 * content_type.  Loopback http URLs only; 10 s at most; redirects are not
 * followed.  -1 (and a diagnostic) for any other URL.
 */
int
http_prepare(http_call *k, const char *url, const char *body, const char *content_type,
			 const char *cookie, const char *authorization, http_resp *r)
{
	memset(r, 0, sizeof(*r));
	memset(k, 0, sizeof(*k));
	r->body = calloc(1, 1);
	r->head = calloc(1, 1);
	k->gb.data = &r->body;
	k->gb.len = &r->len;
	k->gh.data = &r->head;
	k->gh.len = &r->head_len;
	if (strncmp(url, "http://127.0.0.1:", 17) != 0)
	{
		tap_diag("refusing to request a non-loopback URL: %s", url);
		return -1;
	}
	k->curl = curl_easy_init();
	curl_easy_setopt(k->curl, CURLOPT_URL, url);
	curl_easy_setopt(k->curl, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(k->curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(k->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k->curl, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(k->curl, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(k->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(k->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(k->curl, CURLOPT_WRITEDATA, &k->gb);
	curl_easy_setopt(k->curl, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(k->curl, CURLOPT_HEADERDATA, &k->gh);
	if (body != NULL)
	{
		char	   *ct = fmt("Content-Type: %s", content_type ? content_type : "application/x-www-form-urlencoded");

		k->h = curl_slist_append(k->h, ct);
		free(ct);
		curl_easy_setopt(k->curl, CURLOPT_POSTFIELDSIZE, (long) strlen(body));
		curl_easy_setopt(k->curl, CURLOPT_COPYPOSTFIELDS, body);
	}
	if (cookie != NULL)
		curl_easy_setopt(k->curl, CURLOPT_COOKIE, cookie);
	if (authorization != NULL)
	{
		char	   *a = fmt("Authorization: %s", authorization);

		k->h = curl_slist_append(k->h, a);
		free(a);
	}
	if (k->h)
		curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, k->h);
	return 0;
}

/* after the transfer: the status into r, the handle freed */
void
http_finish(http_call *k, CURLcode cc, const char *url, http_resp *r)
{
	if (k->curl == NULL)
		return;
	if (cc == CURLE_OK)
		curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &r->status);
	else
		tap_diag("request to %s failed: %s", url, curl_easy_strerror(cc));
	curl_slist_free_all(k->h);
	curl_easy_cleanup(k->curl);
	k->curl = NULL;
}

/* one request (see http_prepare); its status, 0 when there was no answer */
long
http_req(const char *url, const char *body, const char *content_type, const char *cookie,
		 const char *authorization, http_resp *r)
{
	http_call	k;

	if (http_prepare(&k, url, body, content_type, cookie, authorization, r) != 0)
		return 0;
	http_finish(&k, curl_easy_perform(k.curl), url, r);
	return r->status;
}

/* the first value of a response header, trimmed; malloc'd or NULL */
char *
header(const http_resp *r, const char *name)
{
	size_t		n = strlen(name);
	const char *p = r->head;

	while (p && *p)
	{
		const char *eol = strchr(p, '\n');
		size_t		len = eol ? (size_t) (eol - p) : strlen(p);

		if (len > n && strncasecmp(p, name, n) == 0 && p[n] == ':')
		{
			const char *v = p + n + 1;
			const char *e = p + len;

			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == '\r' || e[-1] == ' '))
				e--;
			return strndup(v, (size_t) (e - v));
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

/* the bridge's URL of path */
char *
at_bridge(const char *path)
{
	return fmt("%s%s", bridge, path);
}

/* a public_base_url URL mapped to the bridge, other URLs copied */
char *
to_bridge(const char *url)
{
	size_t		n = strlen(PUBLIC_BASE);

	if (url && strncmp(url, PUBLIC_BASE, n) == 0 && (url[n] == '/' || url[n] == '\0'))
		return fmt("%s%s", bridge, url + n);
	return url ? strdup(url) : NULL;
}

/* ---- SQL -------------------------------------------------------------- */

/* the first value of a query with text parameters (NULL-terminated); malloc'd, NULL on error */
char *
sql(const char *query,...)
{
	const char *params[8];
	int			n = 0;
	va_list		ap;
	PGresult   *res;
	char	   *v = NULL;

	va_start(ap, query);
	while (n < 8 && (params[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	res = PQexecParams(db, query, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		v = strdup(PQgetvalue(res, 0, 0));
	else if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
		tap_diag("SQL failed: %s", PQerrorMessage(db));
	PQclear(res);
	return v;
}

/* a query's first value equals want */
int
sql_is(const char *want, const char *query,...)
{
	const char *params[8];
	int			n = 0;
	va_list		ap;
	PGresult   *res;
	int			ok;

	va_start(ap, query);
	while (n < 8 && (params[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	res = PQexecParams(db, query, n, NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 &&
		strcmp(PQgetvalue(res, 0, 0), want) == 0;
	if (!ok)
		tap_diag("SQL gave '%s', want '%s'%s%s",
				 PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "(no row)",
				 want, PQresultStatus(res) == PGRES_TUPLES_OK ? "" : ": ",
				 PQresultStatus(res) == PGRES_TUPLES_OK ? "" : PQerrorMessage(db));
	PQclear(res);
	return ok;
}

/* ---- login ------------------------------------------------------------ */


void
login_free(login *l)
{
	free(l->location);
	free(l->set_cookie);
	free(l->state);
	free(l->nonce);
	memset(l, 0, sizeof(*l));
}

int	login_quiet;		/* a refused login is expected */

/* GET /lti/login as a platform starts it; 0 when it redirected with a state and nonce */
int
login_with(const char *iss, const char *client, const char *hint, const char *target,
		   const char *message_hint, login *l)
{
	char	   *e_iss = enc(iss),
			   *e_client = enc(client),
			   *e_hint = enc(hint),
			   *e_target = enc(target),
			   *e_mh = enc(message_hint ? message_hint : "");
	char	   *url = fmt("%s/lti/login?iss=%s&login_hint=%s&target_link_uri=%s&client_id=%s"
						  "&lti_deployment_id=" DEPLOYMENT "%s%s",
						  bridge, e_iss, e_hint, e_target, e_client,
						  message_hint ? "&lti_message_hint=" : "", message_hint ? e_mh : "");
	http_resp	r;

	memset(l, 0, sizeof(*l));
	l->status = http_req(url, NULL, NULL, NULL, NULL, &r);
	l->location = header(&r, "Location");
	l->set_cookie = header(&r, "Set-Cookie");
	l->state = query_param(l->location, "state");
	l->nonce = query_param(l->location, "nonce");
	resp_free(&r);
	free(url);
	free(e_iss);
	free(e_client);
	free(e_hint);
	free(e_target);
	free(e_mh);
	if (l->status != 302 || l->state == NULL || l->nonce == NULL)
	{
		if (!login_quiet)
			tap_diag("login failed: HTTP %ld, Location %s", l->status, nz(l->location));
		return -1;
	}
	return 0;
}

int
login_std(login *l)
{
	return login_with(mock_base(mock), CLIENT_ID, AOIFE, LAUNCH_URL, "mh-std", l);
}

/* ---- launch ----------------------------------------------------------- */


void
launch_free(launch *x)
{
	free(x->code);
	free(x->view);
	free(x->set_cookie);
	free(x->content_type);
	free(x->body);
	memset(x, 0, sizeof(*x));
}

/* POST body to base's /lti/launch with a Cookie header (NULL: none) */
void
post_launch_raw(const char *base, const char *body, const char *cookie, launch *x)
{
	char	   *url = fmt("%s/lti/launch", base);
	http_resp	r;

	memset(x, 0, sizeof(*x));
	x->status = http_req(url, body, NULL, cookie, NULL, &r);
	x->code = header(&r, "X-LTI-Error");
	x->set_cookie = header(&r, "Set-Cookie");
	x->content_type = header(&r, "Content-Type");
	x->view = attr(r.body, "data-view=\"");
	if (strcmp(base, bridge) == 0)
		cause(x->code);
	x->body = r.body;
	r.body = NULL;
	resp_free(&r);
	free(url);
}

/* POST /lti/launch to base (a bridge) with the fields and cookie that are not NULL */
void
post_launch_to(const char *base, const char *id_token, const char *state, const char *cookie_state,
			   launch *x)
{
	char	   *e_tok = id_token ? enc(id_token) : NULL;
	char	   *e_state = state ? enc(state) : NULL;
	char	   *body = fmt("%s%s%s%s%s", e_tok ? "id_token=" : "", e_tok ? e_tok : "",
						   e_tok && e_state ? "&" : "", e_state ? "state=" : "", e_state ? e_state : "");
	char	   *cookie = cookie_state ? fmt("mc_lti_state=%s", cookie_state) : NULL;

	post_launch_raw(base, body, cookie, x);
	free(cookie);
	free(body);
	free(e_tok);
	free(e_state);
}

void
post_launch(const char *id_token, const char *state, const char *cookie_state, launch *x)
{
	post_launch_to(bridge, id_token, state, cookie_state, x);
}

/* a refusal: status and code as expected */
int
expect_refusal(const launch *x, long status, const char *code, const char *name)
{
	int			ok = x->status == status && streq(x->code, code);

	tap_ok(ok, "%s: %ld %s", name, status, code);
	if (!ok)
		tap_diag("  got HTTP %ld, X-LTI-Error %s, view %s", x->status, nz(x->code), nz(x->view));
	return ok;
}

/* a success: 200, no X-LTI-Error, the view */
int
expect_view(const launch *x, const char *view, const char *name)
{
	int			ok = x->status == 200 && x->code == NULL && streq(x->view, view);

	tap_ok(ok, "%s: 200 data-view=\"%s\"", name, view);
	if (!ok)
		tap_diag("  got HTTP %ld, X-LTI-Error %s, view %s", x->status, nz(x->code), nz(x->view));
	return ok;
}

/* ---- id_token claims ---------------------------------------------------- */

/* a complete LtiResourceLinkRequest from the mock platform */
json_t *
rl_claims(const char *nonce, const char *sub, int instructor, const char *context)
{
	time_t		now = time(NULL);
	json_t	   *c = json_object();
	char		rl[64];

	snprintf(rl, sizeof(rl), "rl-%s", context);
	json_object_set_new(c, "iss", json_string(mock_base(mock)));
	json_object_set_new(c, "aud", json_string(CLIENT_ID));
	if (sub)
		json_object_set_new(c, "sub", json_string(sub));
	json_object_set_new(c, "iat", json_integer((json_int_t) now));
	json_object_set_new(c, "exp", json_integer((json_int_t) now + 300));
	json_object_set_new(c, "nonce", json_string(nonce));
	json_object_set_new(c, "name", json_string("Aoife Murphy"));
	json_object_set_new(c, "given_name", json_string("Aoife"));
	json_object_set_new(c, "family_name", json_string("Murphy"));
	json_object_set_new(c, "email", json_string("aoife.murphy@student.demo-uas.example"));
	json_object_set_new(c, LTI "version", json_string("1.3.0"));
	json_object_set_new(c, LTI "message_type", json_string("LtiResourceLinkRequest"));
	json_object_set_new(c, LTI "deployment_id", json_string(DEPLOYMENT));
	json_object_set_new(c, LTI "target_link_uri", json_string(LAUNCH_URL));
	json_object_set_new(c, LTI "resource_link", json_pack("{s:s, s:s}", "id", rl, "title", "Micro-credential"));
	json_object_set_new(c, LTI "roles", instructor
						? json_pack("[s, s]", ROLE_INSTRUCTOR, ROLE_FACULTY)
						: json_pack("[s, s]", ROLE_LEARNER, ROLE_STUDENT));
	json_object_set_new(c, LTI "context", json_pack("{s:s, s:s, s:s, s:[s]}", "id", context,
												   "label", "GDPR101", "title", "Data Protection 101",
												   "type", LIS "course#CourseOffering"));
	json_object_set_new(c, LTI "tool_platform", json_pack("{s:s, s:s, s:s}", "guid", "mock-lms-1",
														  "name", "Mock LMS", "product_family_code", "mockmoodle"));
	json_object_set_new(c, LTI "launch_presentation", json_pack("{s:s, s:s}", "document_target", "iframe",
																"locale", "en"));
	json_object_set_new(c, LTI "lis", json_pack("{s:s}", "person_sourcedid", "D2026-0042"));
	return c;
}

/* a complete LtiDeepLinkingRequest from the mock platform */
json_t *
dl_claims(const char *nonce, const char *sub, int instructor, const char *context, const char *data)
{
	json_t	   *c = rl_claims(nonce, sub, instructor, context);
	char	   *ret = fmt("%s/dl-return", mock_base(mock));

	json_object_set_new(c, LTI "message_type", json_string("LtiDeepLinkingRequest"));
	json_object_del(c, LTI "resource_link");
	json_object_set_new(c, LTI_DL "deep_linking_settings",
						json_pack("{s:s, s:[s, s], s:[s, s], s:b, s:b, s:s}",
								  "deep_link_return_url", ret,
								  "accept_types", "ltiResourceLink", "link",
								  "accept_presentation_document_targets", "iframe", "window",
								  "accept_multiple", 0, "auto_create", 1,
								  "data", data));
	free(ret);
	return c;
}

/* claims signed with the current key */
char *
sign_std(json_t *claims)
{
	return mock_sign(mock, cur_key, claims);
}

/* payload bytes signed with header_json and alg by the mock's key */
char *
sign_raw(const char *header_json, const char *payload, const char *alg, int key)
{
	return sign_compact(header_json, payload, strlen(payload), alg, mock_key(mock, key), NULL, 0);
}

