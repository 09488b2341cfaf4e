/*-------------------------------------------------------------------------
 *
 * launch_driver.c
 *	  Whole LTI 1.3 launches through a running bridge (TAP), with a mock
 *	  platform in this process (mock_platform.c).
 *
 *	  launch_driver DBNAME BRIDGE_URL [DEAD_BRIDGE_URL]
 *
 * DBNAME is a throwaway database holding tests/demo.sql, reached with the
 * PG* environment as a superuser; BRIDGE_URL a bridge on 127.0.0.1 serving
 * that database with public_base_url = https://tool.example,
 * jwks_min_refresh_s = 1 and max_body_bytes of at least 128kB;
 * DEAD_BRIDGE_URL, when given, a bridge whose database cannot be reached
 * (for db_unavailable).  tests/t/bridge_launch.sh starts both.
 *
 * Setup (SQL): the mock platform is registered for the awarding body
 * demo-uas, course-101 is mapped to GDPR-NURSE, and learners are linked
 * by their LMS user id: Aoife holds a GDPR-NURSE credential, Brian holds
 * none, Ciara is known by email only.  Then, each check of the launch
 * contract with its status and X-LTI-Error code: the form and the state
 * cookie, the login state in the database (unknown, used, expired), every
 * id_token check (the 1EdTech "known bad payloads" among them), nonce and
 * target_link_uri binding, the JWKS (rotation, unreachable), the views of
 * a good launch, deep linking end to end, client assertions at the mock's
 * token endpoint, Dynamic Registration, and at the end /metrics against
 * the failures caused.  Every request is bounded; only loopback URLs are
 * ever requested (public_base_url is mapped to BRIDGE_URL).
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
#include "mock_platform.h"
#include "tap.h"

#define LTI "https://purl.imsglobal.org/spec/lti/claim/"
#define LTI_DL "https://purl.imsglobal.org/spec/lti-dl/claim/"
#define LIS "http://purl.imsglobal.org/vocab/lis/v2/"
#define ROLE_LEARNER LIS "membership#Learner"
#define ROLE_INSTRUCTOR LIS "membership#Instructor"
#define ROLE_STUDENT LIS "institution/person#Student"
#define ROLE_FACULTY LIS "institution/person#Faculty"

#define PUBLIC_BASE "https://tool.example"
#define LAUNCH_URL PUBLIC_BASE "/lti/launch"
#define CLIENT_ID "mc-client-1"
#define DEPLOYMENT "dep-1"
#define COURSE "course-101"		/* mapped to GDPR-NURSE by SQL */
#define DL_COURSE "course-202"	/* mapped by deep linking */
#define AOIFE "user-aoife"		/* holds a GDPR-NURSE credential */
#define BRIAN "user-brian"		/* holds none */
#define CIARA "user-ciara"		/* known by email only */
#define REG_CLIENT_ID "mc-client-reg"
#define REG_DEPLOYMENT "dep-reg-1"
#define REG_TOKEN "reg-token-7f3a"

static const char *bridge;		/* http://127.0.0.1:PORT */
static const char *dead_bridge; /* a bridge without its database, or NULL */
static mock_platform *mock;
static PGconn *db;
static char platform_id[64];
static char cred_url[512];		/* Aoife's credential's public URL */
static int	cur_key;			/* the mock's signing key */

/* ---- refusals seen, to compare with /metrics ------------------------ */

static struct
{
	char	   *code;
	int			n;
}			caused[96];
static int	n_caused;

/* count one X-LTI-Error the bridge answered */
static void
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

static int
streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static const char *
nz(const char *s)
{
	return s ? s : "(none)";
}

/* printf into a malloc'd string */
static char *fmt(const char *f,...) __attribute__((format(printf, 1, 2)));

static char *
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
static char *
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
static char *
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
static char *
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

static char *
attr(const char *html, const char *marker)
{
	return attr_after(html, marker, NULL);
}

/* the value of <input ... name="NAME" value="..."> */
static char *
hidden_input(const char *html, const char *name)
{
	char		marker[128];

	snprintf(marker, sizeof(marker), "name=\"%s\" value=\"", name);
	return attr(html, marker);
}

/* a query parameter of a URL, decoded; malloc'd */
static char *
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

typedef struct http_resp
{
	long		status;
	char	   *body;
	size_t		len;
	char	   *head;
	size_t		head_len;
} http_resp;

typedef struct grow
{
	char	  **data;
	size_t	   *len;
} grow;

static size_t
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

static void
resp_free(http_resp *r)
{
	free(r->body);
	free(r->head);
	memset(r, 0, sizeof(*r));
}

/* the parts of one request in flight */
typedef struct http_call
{
	CURL	   *curl;
	struct curl_slist *h;
	grow		gb;
	grow		gh;
} http_call;

/*
 * Prepare a request into r: GET when body is NULL, else POST of body with
 * content_type.  Loopback http URLs only; 10 s at most; redirects are not
 * followed.  -1 (and a diagnostic) for any other URL.
 */
static int
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
static void
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
static long
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
static char *
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
static char *
at_bridge(const char *path)
{
	return fmt("%s%s", bridge, path);
}

/* a public_base_url URL mapped to the bridge, other URLs copied */
static char *
to_bridge(const char *url)
{
	size_t		n = strlen(PUBLIC_BASE);

	if (url && strncmp(url, PUBLIC_BASE, n) == 0 && (url[n] == '/' || url[n] == '\0'))
		return fmt("%s%s", bridge, url + n);
	return url ? strdup(url) : NULL;
}

/* ---- SQL -------------------------------------------------------------- */

/* the first value of a query with text parameters (NULL-terminated); malloc'd, NULL on error */
static char *
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
static int
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

typedef struct login
{
	long		status;
	char	   *location;
	char	   *set_cookie;
	char	   *state;
	char	   *nonce;
} login;

static void
login_free(login *l)
{
	free(l->location);
	free(l->set_cookie);
	free(l->state);
	free(l->nonce);
	memset(l, 0, sizeof(*l));
}

static int	login_quiet;		/* a refused login is expected */

/* GET /lti/login as a platform starts it; 0 when it redirected with a state and nonce */
static int
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

static int
login_std(login *l)
{
	return login_with(mock_base(mock), CLIENT_ID, AOIFE, LAUNCH_URL, "mh-std", l);
}

/* ---- launch ----------------------------------------------------------- */

typedef struct launch
{
	long		status;
	char	   *code;			/* X-LTI-Error */
	char	   *view;			/* data-view of <main> */
	char	   *set_cookie;
	char	   *content_type;
	char	   *body;
} launch;

static void
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
static void
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
static void
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

static void
post_launch(const char *id_token, const char *state, const char *cookie_state, launch *x)
{
	post_launch_to(bridge, id_token, state, cookie_state, x);
}

/* a refusal: status and code as expected */
static int
expect_refusal(const launch *x, long status, const char *code, const char *name)
{
	int			ok = x->status == status && streq(x->code, code);

	tap_ok(ok, "%s: %ld %s", name, status, code);
	if (!ok)
		tap_diag("  got HTTP %ld, X-LTI-Error %s, view %s", x->status, nz(x->code), nz(x->view));
	return ok;
}

/* a success: 200, no X-LTI-Error, the view */
static int
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
static json_t *
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
static json_t *
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
static char *
sign_std(json_t *claims)
{
	return mock_sign(mock, cur_key, claims);
}

/* payload bytes signed with header_json and alg by the mock's key */
static char *
sign_raw(const char *header_json, const char *payload, const char *alg, int key)
{
	return sign_compact(header_json, payload, strlen(payload), alg, mock_key(mock, key), NULL, 0);
}

/* ---- the table of id_token cases ------------------------------------ */

enum hdr
{
	H_STD,						/* {"alg":"RS256","typ":"JWT","kid":<current>} */
	H_NO_KID,
	H_WRONG_KID,
	H_CRIT,
	H_NOT_JSON,
	H_ALG_NONE,
	H_HS256,					/* HMAC keyed with the RSA modulus: the alg confusion attack */
	H_EC_KID,					/* RS256 naming the P-256 key */
	H_ES256,					/* ES256 by the P-256 key: not pinned by the registration */
};

enum tweak
{
	T_NONE,
	T_TWO_PARTS,
	T_NOT_JWT,
	T_FOUR_PARTS,
	T_FLIP_SIG,
	T_OTHER_KEY,				/* the other RSA key signs under the current kid */
	T_TOO_LARGE,
	T_PAYLOAD_ARRAY,
};

typedef struct tcase
{
	const char *name;
	int			dl;				/* an LtiDeepLinkingRequest */
	int			instructor;
	const char *del;			/* claim removed */
	const char *set;			/* claim set to val (JSON; "NOW+N" / "NOW-N" for times) */
	const char *val;
	enum hdr	hdr;
	enum tweak	tweak;
	long		status;			/* 200: success */
	const char *want;			/* X-LTI-Error, or the data-view on success */
} tcase;

static const tcase cases[] = {
	/* shape and header */
	{"1EdTech bad payload: not a 3-part JWT (two parts)", 0, 0, NULL, NULL, NULL, H_STD, T_TWO_PARTS, 401, "not_3_parts"},
	{"not a JWT at all", 0, 0, NULL, NULL, NULL, H_STD, T_NOT_JWT, 401, "not_3_parts"},
	{"four parts", 0, 0, NULL, NULL, NULL, H_STD, T_FOUR_PARTS, 401, "not_3_parts"},
	{"a token over 64 KiB", 0, 0, NULL, NULL, NULL, H_STD, T_TOO_LARGE, 401, "too_large"},
	{"a header that is not JSON", 0, 0, NULL, NULL, NULL, H_NOT_JSON, T_NONE, 401, "bad_header"},
	{"a header with crit", 0, 0, NULL, NULL, NULL, H_CRIT, T_NONE, 401, "bad_header"},
	{"alg none refused", 0, 0, NULL, NULL, NULL, H_ALG_NONE, T_NONE, 401, "alg_not_allowed"},
	{"HS256 (keyed with the public modulus) refused", 0, 0, NULL, NULL, NULL, H_HS256, T_NONE, 401, "alg_not_allowed"},
	{"ES256 refused when the registration pins RS256", 0, 0, NULL, NULL, NULL, H_ES256, T_NONE, 401, "alg_not_allowed"},
	{"1EdTech bad payload: no kid", 0, 0, NULL, NULL, NULL, H_NO_KID, T_NONE, 401, "kid_missing"},
	{"1EdTech bad payload: wrong kid", 0, 0, NULL, NULL, NULL, H_WRONG_KID, T_NONE, 401, "kid_unknown"},
	{"RS256 naming an EC key", 0, 0, NULL, NULL, NULL, H_EC_KID, T_NONE, 401, "key_alg_mismatch"},
	{"signed by another key under this kid", 0, 0, NULL, NULL, NULL, H_STD, T_OTHER_KEY, 401, "bad_signature"},
	{"a signature with a flipped byte", 0, 0, NULL, NULL, NULL, H_STD, T_FLIP_SIG, 401, "bad_signature"},
	{"a signed payload that is not an object", 0, 0, NULL, NULL, NULL, H_STD, T_PAYLOAD_ARRAY, 401, "bad_payload"},
	/* OpenID Connect claims */
	{"iss of another platform", 0, 0, NULL, "iss", "\"https://evil.example\"", H_STD, T_NONE, 401, "iss_mismatch"},
	{"iss missing", 0, 0, "iss", NULL, NULL, H_STD, T_NONE, 401, "iss_mismatch"},
	{"aud of another client", 0, 0, NULL, "aud", "\"another-client\"", H_STD, T_NONE, 401, "aud_mismatch"},
	{"aud missing", 0, 0, "aud", NULL, NULL, H_STD, T_NONE, 401, "aud_mismatch"},
	{"two audiences without azp", 0, 0, NULL, "aud", "[\"" CLIENT_ID "\", \"another-client\"]", H_STD, T_NONE, 401, "azp_mismatch"},
	{"azp of another client", 0, 0, NULL, "azp", "\"another-client\"", H_STD, T_NONE, 401, "azp_mismatch"},
	{"exp missing", 0, 0, "exp", NULL, NULL, H_STD, T_NONE, 401, "exp_missing"},
	{"1EdTech bad payload: expired exp", 0, 0, NULL, "exp", "NOW-3600", H_STD, T_NONE, 401, "expired"},
	{"iat missing", 0, 0, "iat", NULL, NULL, H_STD, T_NONE, 401, "iat_missing"},
	{"iat in the future", 0, 0, NULL, "iat", "NOW+3600", H_STD, T_NONE, 401, "iat_future"},
	{"nonce missing", 0, 0, "nonce", NULL, NULL, H_STD, T_NONE, 401, "nonce_missing"},
	{"nonce of another login", 0, 0, NULL, "nonce", "\"a-nonce-this-bridge-never-issued\"", H_STD, T_NONE, 401, "nonce_mismatch"},
	/* LTI claims */
	{"1EdTech bad payload: wrong LTI version", 0, 0, NULL, LTI "version", "\"1.2.0\"", H_STD, T_NONE, 401, "bad_version"},
	{"1EdTech bad payload: no LTI version", 0, 0, LTI "version", NULL, NULL, H_STD, T_NONE, 401, "bad_version"},
	{"1EdTech bad payload: no message_type", 0, 0, LTI "message_type", NULL, NULL, H_STD, T_NONE, 401, "bad_message_type"},
	{"an unsupported message_type", 0, 0, NULL, LTI "message_type", "\"LtiSubmissionReviewRequest\"", H_STD, T_NONE, 401, "bad_message_type"},
	{"1EdTech bad payload: no deployment_id", 0, 0, LTI "deployment_id", NULL, NULL, H_STD, T_NONE, 401, "deployment_missing"},
	{"an unknown deployment_id", 0, 0, NULL, LTI "deployment_id", "\"dep-unknown\"", H_STD, T_NONE, 401, "unknown_deployment"},
	{"1EdTech bad payload: no roles", 0, 0, LTI "roles", NULL, NULL, H_STD, T_NONE, 401, "roles_missing"},
	{"roles as a string", 0, 0, NULL, LTI "roles", "\"" ROLE_LEARNER "\"", H_STD, T_NONE, 401, "bad_roles"},
	{"roles holding a number", 0, 0, NULL, LTI "roles", "[1]", H_STD, T_NONE, 401, "bad_roles"},
	{"1EdTech bad payload: empty sub", 0, 0, NULL, "sub", "\"\"", H_STD, T_NONE, 401, "sub_empty"},
	{"sub that is not a string", 0, 0, NULL, "sub", "42", H_STD, T_NONE, 401, "sub_empty"},
	{"1EdTech bad payload: no resource_link id", 0, 0, NULL, LTI "resource_link", "{\"title\": \"x\"}", H_STD, T_NONE, 401, "resource_link_missing"},
	{"no resource_link", 0, 0, LTI "resource_link", NULL, NULL, H_STD, T_NONE, 401, "resource_link_missing"},
	{"no target_link_uri", 0, 0, LTI "target_link_uri", NULL, NULL, H_STD, T_NONE, 401, "target_link_uri_missing"},
	{"target_link_uri not the login's", 0, 0, NULL, LTI "target_link_uri", "\"" PUBLIC_BASE "/lti/elsewhere\"", H_STD, T_NONE, 401, "target_link_uri_mismatch"},
	{"deep linking without sub", 1, 1, "sub", NULL, NULL, H_STD, T_NONE, 401, "sub_missing"},
	{"deep linking without deep_linking_settings", 1, 1, LTI_DL "deep_linking_settings", NULL, NULL, H_STD, T_NONE, 401, "deep_linking_settings_missing"},
	{"deep linking without a return URL", 1, 1, NULL, LTI_DL "deep_linking_settings", "{\"accept_types\": [\"ltiResourceLink\"]}", H_STD, T_NONE, 401, "deep_linking_settings_missing"},
	{"deep linking by a learner", 1, 0, NULL, NULL, NULL, H_STD, T_NONE, 403, "not_instructor"},
	{"deep linking where links are not accepted", 1, 1, NULL, LTI_DL "deep_linking_settings", "{\"deep_link_return_url\": \"http://127.0.0.1:1/r\", \"accept_types\": [\"html\"]}", H_STD, T_NONE, 400, "dl_type_not_accepted"},
	{"deep linking outside a course", 1, 1, LTI "context", NULL, NULL, H_STD, T_NONE, 400, "context_missing"},
	/* valid variants */
	{"1EdTech valid: no PII claims", 0, 0, "name", NULL, NULL, H_STD, T_NONE, 200, "learner-credential"},
	{"1EdTech valid: multiple roles", 0, 0, NULL, LTI "roles", "[\"" ROLE_LEARNER "\", \"" ROLE_STUDENT "\", \"" LIS "membership#Mentor\"]", H_STD, T_NONE, 200, "learner-credential"},
	{"1EdTech valid: unknown roles only", 0, 0, NULL, LTI "roles", "[\"http://example.com/roles#Wizard\", \"Wizard\"]", H_STD, T_NONE, 200, "learner-credential"},
	{"1EdTech valid: roles [\"\"]", 0, 0, NULL, LTI "roles", "[\"\"]", H_STD, T_NONE, 200, "learner-credential"},
	{"valid: roles []", 0, 0, NULL, LTI "roles", "[]", H_STD, T_NONE, 200, "learner-credential"},
	{"valid: anonymous launch without sub", 0, 0, "sub", NULL, NULL, H_STD, T_NONE, 200, "learner-pending"},
	{"valid: two audiences with azp", 0, 0, NULL, "aud", "[\"" CLIENT_ID "\", \"another-client\"]", H_STD, T_NONE, 200, "learner-credential"},
	{"valid: the short role Instructor", 0, 0, NULL, LTI "roles", "[\"Instructor\"]", H_STD, T_NONE, 200, "instructor"},
	{"valid: ContentDeveloper is an instructor", 0, 0, NULL, LTI "roles", "[\"" LIS "membership#ContentDeveloper\"]", H_STD, T_NONE, 200, "instructor"},
	{"valid: a context Administrator is an instructor", 0, 0, NULL, LTI "roles", "[\"" LIS "membership#Administrator\"]", H_STD, T_NONE, 200, "instructor"},
	{"valid: an institution Administrator is an instructor", 0, 0, NULL, LTI "roles", "[\"" LIS "institution/person#Administrator\"]", H_STD, T_NONE, 200, "instructor"},
	{"valid: iat and exp within the leeway", 0, 0, NULL, "iat", "NOW+30", H_STD, T_NONE, 200, "learner-credential"},
	{"valid: deep linking without target_link_uri", 1, 1, LTI "target_link_uri", NULL, NULL, H_STD, T_NONE, 200, "deep-linking"},
};

/* a JSON value of a case, with NOW+N / NOW-N as times */
static json_t *
case_value(const char *val)
{
	if (strncmp(val, "NOW", 3) == 0)
		return json_integer((json_int_t) time(NULL) + atol(val + 3));
	return json_loads(val, JSON_DECODE_ANY, NULL);
}

/* the token of a case for login l; malloc'd */
static char *
case_token(const tcase *c, const login *l)
{
	json_t	   *claims = c->dl ? dl_claims(l->nonce, AOIFE, c->instructor, DL_COURSE, "dl-case")
		: rl_claims(l->nonce, AOIFE, c->instructor, COURSE);
	char		hdr[256];
	char	   *payload;
	char	   *tok = NULL;
	int			other = cur_key == 0 ? 1 : 0;

	if (c->del)
		json_object_del(claims, c->del);
	if (c->del && strcmp(c->del, "name") == 0)
	{
		/* "no PII": every personal claim goes */
		json_object_del(claims, "given_name");
		json_object_del(claims, "family_name");
		json_object_del(claims, "email");
		json_object_del(claims, LTI "lis");
	}
	if (c->set)
		json_object_set_new(claims, c->set, case_value(c->val));
	if (c->set && strcmp(c->set, "aud") == 0 && c->status == 200)
		json_object_set_new(claims, "azp", json_string(CLIENT_ID));
	if (c->tweak == T_TOO_LARGE)
	{
		char	   *pad = malloc(70001);

		memset(pad, 'a', 70000);
		pad[70000] = '\0';
		json_object_set_new(claims, "padding", json_string(pad));
		free(pad);
	}
	payload = c->tweak == T_PAYLOAD_ARRAY ? strdup("[1,2,3]") : json_dumps(claims, JSON_COMPACT);
	switch (c->hdr)
	{
		case H_STD:
			snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", mock_kid(mock, cur_key));
			tok = sign_raw(hdr, payload, "RS256", c->tweak == T_OTHER_KEY ? other : cur_key);
			break;
		case H_NO_KID:
			tok = sign_raw("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", payload, "RS256", cur_key);
			break;
		case H_WRONG_KID:
			tok = sign_raw("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"no-such-kid\"}", payload, "RS256", cur_key);
			break;
		case H_CRIT:
			snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%s\",\"crit\":[\"x-mock\"],\"x-mock\":1}",
					 mock_kid(mock, cur_key));
			tok = sign_raw(hdr, payload, "RS256", cur_key);
			break;
		case H_NOT_JSON:
			tok = sign_raw("{\"alg\":\"RS256\",", payload, "RS256", cur_key);
			break;
		case H_ALG_NONE:
			snprintf(hdr, sizeof(hdr), "{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"%s\"}", mock_kid(mock, cur_key));
			tok = sign_compact(hdr, payload, strlen(payload), "none", NULL, NULL, 0);
			break;
		case H_HS256:
			{
				json_t	   *jwk = jwk_of(mock_key(mock, cur_key), NULL, NULL);
				const char *n = json_string_value(json_object_get(jwk, "n"));

				snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", mock_kid(mock, cur_key));
				tok = sign_compact(hdr, payload, strlen(payload), "HS256", NULL,
								   (const unsigned char *) n, strlen(n));
				json_decref(jwk);
				break;
			}
		case H_EC_KID:
			snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", mock_kid(mock, MOCK_EC_KEY));
			tok = sign_raw(hdr, payload, "RS256", cur_key);
			break;
		case H_ES256:
			snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", mock_kid(mock, MOCK_EC_KEY));
			tok = sign_raw(hdr, payload, "ES256", MOCK_EC_KEY);
			break;
	}
	free(payload);
	json_decref(claims);
	switch (c->tweak)
	{
		case T_TWO_PARTS:
			*strrchr(tok, '.') = '\0';
			break;
		case T_NOT_JWT:
			free(tok);
			tok = strdup("this-is-not-a-jwt");
			break;
		case T_FOUR_PARTS:
			{
				char	   *t = fmt("%s.AAAA", tok);

				free(tok);
				tok = t;
				break;
			}
		case T_FLIP_SIG:
			{
				char	   *s = strrchr(tok, '.') + 10;

				*s = *s == 'A' ? 'B' : 'A';
				break;
			}
		default:
			break;
	}
	return tok;
}

static int	pages_echoing_token;	/* refusal pages holding the token's signature */
static int	refusals_not_html;

static void
run_case(const tcase *c)
{
	login		l;
	char	   *tok;
	launch		x;

	if (login_std(&l) != 0)
	{
		tap_ok(0, "%s: login", c->name);
		return;
	}
	tok = case_token(c, &l);
	post_launch(tok, l.state, l.state, &x);
	if (c->status == 200)
		expect_view(&x, c->want, c->name);
	else
	{
		const char *sig = strrchr(tok, '.');

		expect_refusal(&x, c->status, c->want, c->name);
		if (sig && strlen(sig) > 20 && x.body && strstr(x.body, sig + 1))
			pages_echoing_token++;
		if (x.content_type == NULL || strncmp(x.content_type, "text/html", 9) != 0 ||
			!streq(x.view, "error") || x.body == NULL || strstr(x.body, "data-reason=\"") == NULL)
			refusals_not_html++;
	}
	launch_free(&x);
	free(tok);
	login_free(&l);
}

/* ---- sections ---------------------------------------------------------- */

static int
setup(void)
{
	char	   *pid;
	char	   *auth = fmt("%s/auth", mock_base(mock));
	char	   *jwks = fmt("%s/jwks", mock_base(mock));
	char	   *token = fmt("%s/token", mock_base(mock));
	char	   *dead_iss = fmt("%s/dead", mock_base(mock));
	char	   *dead_jwks = fmt("%s/jwks-broken", mock_base(mock));
	char	   *v;
	int			ok = 1;

	pid = sql("SELECT microcred.lti_register_platform('demo-uas', 'Mock LMS', $1, '" CLIENT_ID "', $2, $3, $4,"
			  " deployment_ids => '{" DEPLOYMENT "}')", mock_base(mock), auth, jwks, token, NULL);
	if (pid == NULL)
		ok = 0;
	else
		snprintf(platform_id, sizeof(platform_id), "%s", pid);
	free(pid);
	/* the mock verifies its users' e-mails: Ciara (known by e-mail) is linked on launch */
	if (ok)
		free(sql("SELECT microcred.lti_trust_emails($1::uuid)::text", platform_id, NULL));
	/* a registration whose JWKS is down */
	v = sql("SELECT microcred.lti_register_platform('demo-uas', 'Broken LMS', $1, 'mc-client-dead', $2, $3,"
			" deployment_ids => '{" DEPLOYMENT "}')", dead_iss, auth, dead_jwks, NULL);
	ok &= v != NULL;
	free(v);
	v = sql("SELECT microcred.lti_map_course($1, '" COURSE "', 'GDPR-NURSE')::text", platform_id, NULL);
	free(v);
	/* Aoife (demo.sql: a GDPR-NURSE credential) by her LMS id */
	v = sql("WITH l AS (INSERT INTO microcred.learner_identifier (issuer_id, learner_id, kind, platform, value)"
			" SELECT issuer_id, id, 'lms', $1, '" AOIFE "' FROM microcred.learner"
			" WHERE email = 'aoife.murphy@student.demo-uas.example' RETURNING 1) SELECT count(*) FROM l",
			mock_base(mock), NULL);
	ok &= streq(v, "1");
	free(v);
	/* Brian: no credential */
	v = sql("SELECT microcred.add_learner('demo-uas', email => 'brian.kelly@student.demo-uas.example',"
			" given_name => 'Brian', lms_platform => $1, lms_user_id => '" BRIAN "')", mock_base(mock), NULL);
	ok &= v != NULL;
	free(v);
	/* Ciara: known by email only */
	v = sql("SELECT microcred.add_learner('demo-uas', email => 'ciara.byrne@student.demo-uas.example')", NULL);
	ok &= v != NULL;
	free(v);
	/* Dara: a second GDPR-NURSE credential, so that the instructor's count is not 1 by chance */
	v = sql("SELECT microcred.issue('demo-uas/GDPR-NURSE', microcred.add_learner('demo-uas',"
			" email => 'dara.walsh@student.demo-uas.example'))", NULL);
	ok &= v != NULL;
	free(v);
	v = sql("SELECT ic.document->>'id' FROM microcred.issued_credential ic"
			" JOIN microcred.learner l ON l.id = ic.learner_id"
			" WHERE l.email = 'aoife.murphy@student.demo-uas.example'", NULL);
	if (v)
		snprintf(cred_url, sizeof(cred_url), "%s", v);
	ok &= v != NULL;
	free(v);
	free(auth);
	free(jwks);
	free(token);
	free(dead_iss);
	free(dead_jwks);
	mock_add_redirect_uri(mock, LAUNCH_URL);
	{
		char	   *u = at_bridge("/lti/jwks");

		mock_set_tool_jwks_url(mock, u);
		free(u);
	}
	return ok ? 0 : -1;
}

/* the login redirect, the cookie, and one launch through the mock's /auth */
static void
test_login_and_full_launch(void)
{
	login		l;
	json_t	   *tmpl = rl_claims("x", AOIFE, 0, COURSE);
	http_resp	r;
	char	   *v,
			   *action,
			   *tok,
			   *state,
			   *auth_prefix = fmt("%s/auth?", mock_base(mock));
	launch		x;

	if (login_with(mock_base(mock), CLIENT_ID, AOIFE, LAUNCH_URL, "msg-hint/42 x", &l) != 0)
	{
		tap_ok(0, "login redirects");
		json_decref(tmpl);
		free(auth_prefix);
		return;
	}
	tap_ok(l.status == 302 && strncmp(l.location, auth_prefix, strlen(auth_prefix)) == 0,
		   "login: 302 to the platform's auth_login_url");
#define PARAM_IS(name, want) \
	v = query_param(l.location, name); \
	tap_ok(streq(v, want), "login redirect: %s=%s", name, want); \
	if (!streq(v, want)) tap_diag("  got %s", nz(v)); \
	free(v)
	PARAM_IS("scope", "openid");
	PARAM_IS("response_type", "id_token");
	PARAM_IS("response_mode", "form_post");
	PARAM_IS("prompt", "none");
	PARAM_IS("client_id", CLIENT_ID);
	PARAM_IS("redirect_uri", LAUNCH_URL);
	PARAM_IS("login_hint", AOIFE);
	PARAM_IS("lti_message_hint", "msg-hint/42 x");
#undef PARAM_IS
	tap_ok(strlen(l.state) >= 32 && strlen(l.nonce) >= 32 && strcmp(l.state, l.nonce) != 0,
		   "login redirect: a long state and a different long nonce");
	tap_ok(sql_is("1", "SELECT count(*) FROM microcred.lti_login_state WHERE state = $1 AND nonce = $2"
				  " AND consumed_at IS NULL AND target_link_uri = '" LAUNCH_URL "'", l.state, l.nonce, NULL),
		   "login: the state and nonce are stored, unspent, with the target_link_uri");
	{
		char	   *want = fmt("mc_lti_state=%s;", l.state);
		const char *c = l.set_cookie ? l.set_cookie : "";

		tap_ok(strncmp(c, want, strlen(want)) == 0, "login: Set-Cookie mc_lti_state=<state>");
		tap_ok(strstr(c, "; SameSite=None") != NULL, "login cookie: SameSite=None");
		tap_ok(strstr(c, "; Secure") != NULL, "login cookie: Secure");
		tap_ok(strstr(c, "; HttpOnly") != NULL, "login cookie: HttpOnly");
		tap_ok(strstr(c, "; Path=/lti/") != NULL, "login cookie: Path=/lti/");
		if (strncmp(c, want, strlen(want)) != 0)
			tap_diag("  Set-Cookie: %s", c);
		free(want);
	}

	/* the platform's side: its authorization endpoint answers the form_post */
	json_object_del(tmpl, "iss");
	json_object_del(tmpl, "aud");
	json_object_del(tmpl, "iat");
	json_object_del(tmpl, "exp");
	json_object_del(tmpl, "nonce");
	json_object_del(tmpl, "sub");
	mock_set_launch_claims(mock, tmpl);
	json_decref(tmpl);
	http_req(l.location, NULL, NULL, NULL, NULL, &r);
	tap_ok(r.status == 200, "mock /auth accepts the bridge's authentication request");
	if (r.status != 200)
		tap_diag("  /auth: %ld %s", r.status, r.body);
	v = mock_last_auth_param(mock, "lti_message_hint");
	tap_ok(streq(v, "msg-hint/42 x"), "mock /auth received the lti_message_hint the platform sent");
	free(v);
	action = attr(r.body, "action=\"");
	tok = hidden_input(r.body, "id_token");
	state = hidden_input(r.body, "state");
	tap_ok(streq(action, LAUNCH_URL) && tok != NULL && streq(state, l.state),
		   "mock /auth: a form_post of id_token and state to redirect_uri");
	resp_free(&r);
	{
		char	   *target = to_bridge(action);
		char	   *base = target ? strndup(target, strlen(target) - strlen("/lti/launch")) : strdup(bridge);

		post_launch_to(base, tok, state, l.state, &x);
		free(target);
		free(base);
	}
	expect_view(&x, "learner-credential", "full launch through the mock's /auth: Aoife's credential");
	tap_ok(x.content_type && strncmp(x.content_type, "text/html", 9) == 0, "the launch page is text/html");
	tap_ok(x.body && cred_url[0] && strstr(x.body, cred_url) != NULL,
		   "the credential page links the credential's public URL");
	tap_ok(x.set_cookie && strstr(x.set_cookie, "mc_lti_state=;") == x.set_cookie &&
		   strstr(x.set_cookie, "Max-Age=0") != NULL,
		   "a launch that succeeded clears the state cookie");
	tap_ok(sql_is("1", "SELECT count(*) FROM microcred.lti_login_state WHERE state = $1 AND consumed_at IS NOT NULL",
				  l.state, NULL), "the launch spent the state");
	launch_free(&x);

	/* the same form_post again */
	post_launch(tok, state, l.state, &x);
	expect_refusal(&x, 401, "state_used", "replaying a launch (same state twice)");
	launch_free(&x);
	free(action);
	free(tok);
	free(state);
	free(auth_prefix);
	login_free(&l);
}

/* the mock's /auth refuses what a platform refuses (so that its 200 above means something) */
static void
test_mock_auth_checks(void)
{
	static const struct
	{
		const char *param;
		const char *value;		/* NULL: left out */
	}			bad[] = {
		{"scope", "profile"}, {"response_type", "code"}, {"response_mode", "query"},
		{"prompt", NULL}, {"client_id", "stranger"}, {"redirect_uri", "https://evil.example/lti/launch"},
		{"login_hint", NULL}, {"nonce", NULL}, {"state", NULL},
	};
	static const char *const names[] = {"scope", "response_type", "response_mode", "prompt",
	"client_id", "redirect_uri", "login_hint", "nonce", "state"};
	static const char *const good[] = {"openid", "id_token", "form_post", "none", CLIENT_ID,
	LAUNCH_URL, AOIFE, "n-1", "s-1"};
	int			all = 1;

	for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++)
	{
		char		url[2048];
		size_t		o = (size_t) snprintf(url, sizeof(url), "%s/auth?", mock_base(mock));
		http_resp	r;

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		{
			const char *val = strcmp(names[i], bad[b].param) == 0 ? bad[b].value : good[i];
			char	   *e;

			if (val == NULL)
				continue;
			e = enc(val);
			o += (size_t) snprintf(url + o, sizeof(url) - o, "%s=%s&", names[i], e);
			free(e);
		}
		http_req(url, NULL, NULL, NULL, NULL, &r);
		if (r.status != 400)
		{
			all = 0;
			tap_diag("mock /auth with bad %s answered %ld", bad[b].param, r.status);
		}
		resp_free(&r);
	}
	tap_ok(all, "mock /auth answers 400 to each of 9 malformed authentication requests");
}

/* the login only starts launches of our LTI URLs */
static void
test_login_target(void)
{
	static const struct
	{
		const char *target;
		long		status;
		const char *name;
	}			t[] = {
		{PUBLIC_BASE "/lti/launch", 302, "target_link_uri <base>/lti/launch: 302"},
		{PUBLIC_BASE "/lti/launch?x=1", 302, "target_link_uri under <base>/lti/ with a query: 302"},
		{PUBLIC_BASE "/credentials/x", 400, "target_link_uri on our host outside /lti/: 400 (contract: must start with <base>/lti/)"},
		{"https://evil.example/lti/launch", 400, "target_link_uri on another host: 400"},
	};

	login_quiet = 1;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
	{
		login		l;

		login_with(mock_base(mock), CLIENT_ID, AOIFE, t[i].target, NULL, &l);
		tap_ok(l.status == t[i].status, "%s", t[i].name);
		if (l.status != t[i].status)
			tap_diag("  got HTTP %ld", l.status);
		login_free(&l);
	}
	login_quiet = 0;
}

/* GET /lti/canvas.json: the Canvas developer key */
static void
test_canvas_config(void)
{
	char	   *u = at_bridge("/lti/canvas.json");
	http_resp	r;
	json_t	   *doc,
			   *ext,
			   *pl,
			   *p;
	size_t		i;
	int			nav = 0,
				link = 0,
				assign = 0;

	http_req(u, NULL, NULL, NULL, NULL, &r);
	free(u);
	doc = json_loads(r.body, 0, NULL);
	tap_ok(r.status == 200 && json_is_object(doc), "GET /lti/canvas.json: a JSON object");
	tap_ok(json_is_string(json_object_get(doc, "title")) && json_is_string(json_object_get(doc, "description")) &&
		   streq(json_string_value(json_object_get(doc, "oidc_initiation_url")), PUBLIC_BASE "/lti/login") &&
		   streq(json_string_value(json_object_get(doc, "target_link_uri")), LAUNCH_URL) &&
		   streq(json_string_value(json_object_get(doc, "public_jwk_url")), PUBLIC_BASE "/lti/jwks") &&
		   json_is_array(json_object_get(doc, "scopes")) && json_is_object(json_object_get(doc, "custom_fields")),
		   "canvas.json: title, description, our login, launch and JWKS URLs, scopes, custom_fields");
	tap_ok(streq(json_string_value(json_object_get(json_object_get(doc, "custom_fields"), "lms_course_id")), "$Canvas.course.id") &&
		   streq(json_string_value(json_object_get(json_object_get(doc, "custom_fields"), "lms_user_id")), "$Canvas.user.id"),
		   "canvas.json: custom_fields ask for Canvas's own course and user ids (its Live Events name them)");
	ext = json_array_get(json_object_get(doc, "extensions"), 0);
	pl = json_object_get(json_object_get(ext, "settings"), "placements");
	json_array_foreach(pl, i, p)
	{
		const char *name = json_string_value(json_object_get(p, "placement"));
		const char *mt = json_string_value(json_object_get(p, "message_type"));

		if (streq(name, "course_navigation") && streq(mt, "LtiResourceLinkRequest"))
			nav++;
		if (streq(name, "link_selection") && streq(mt, "LtiDeepLinkingRequest"))
			link++;
		if (streq(name, "assignment_selection") && streq(mt, "LtiDeepLinkingRequest"))
			assign++;
	}
	tap_ok(streq(json_string_value(json_object_get(ext, "platform")), "canvas.instructure.com") &&
		   nav == 1 && link == 1 && assign == 1,
		   "canvas.json: canvas.instructure.com placements course_navigation (resource link), "
		   "link_selection and assignment_selection (deep linking)");
	json_decref(doc);
	resp_free(&r);
}

/* the form and the state: before any token check */
static void
test_state(void)
{
	login		a,
				b;
	json_t	   *claims;
	char	   *tok,
			   *tok_b;
	launch		x;

	if (login_std(&a) != 0 || login_std(&b) != 0)
	{
		tap_ok(0, "logins for the state tests");
		return;
	}
	claims = rl_claims(a.nonce, AOIFE, 0, COURSE);
	tok = sign_std(claims);
	json_decref(claims);
	claims = rl_claims(b.nonce, AOIFE, 0, COURSE);
	tok_b = sign_std(claims);
	json_decref(claims);

	post_launch(NULL, a.state, a.state, &x);
	expect_refusal(&x, 400, "id_token_missing", "a launch without id_token");
	launch_free(&x);
	post_launch("", a.state, a.state, &x);
	expect_refusal(&x, 400, "id_token_missing", "a launch with an empty id_token");
	launch_free(&x);
	post_launch(tok, NULL, a.state, &x);
	expect_refusal(&x, 400, "state_missing", "a launch without state");
	launch_free(&x);
	post_launch(tok, a.state, NULL, &x);
	expect_refusal(&x, 401, "state_cookie_missing", "a launch without the state cookie");
	launch_free(&x);
	post_launch(tok, a.state, b.state, &x);
	expect_refusal(&x, 401, "state_mismatch", "a launch whose cookie is another login's state");
	launch_free(&x);
	tap_ok(sql_is("2", "SELECT count(*) FROM microcred.lti_login_state WHERE state IN ($1, $2) AND consumed_at IS NULL",
				  a.state, b.state, NULL), "launches refused before the database leave both states unspent");
	post_launch(tok, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &x);
	expect_refusal(&x, 401, "unknown_state", "a state this bridge never issued");
	launch_free(&x);

	/* the good launch, then the replay */
	post_launch(tok, a.state, a.state, &x);
	expect_view(&x, "learner-credential", "the same login, launched properly");
	launch_free(&x);
	post_launch(tok, a.state, a.state, &x);
	expect_refusal(&x, 401, "state_used", "the same state a second time");
	launch_free(&x);

	/* an expired state */
	free(sql("UPDATE microcred.lti_login_state SET expires_at = now() - interval '1 second' WHERE state = $1"
			 " RETURNING 1", b.state, NULL));
	post_launch(tok_b, b.state, b.state, &x);
	expect_refusal(&x, 401, "state_expired", "a state past its expiry");
	launch_free(&x);

	/* a captured id_token replayed with a fresh login's state */
	{
		login		c;

		if (login_std(&c) == 0)
		{
			post_launch(tok, c.state, c.state, &x);
			expect_refusal(&x, 401, "nonce_mismatch", "a used id_token replayed with a fresh login's state");
			launch_free(&x);
			login_free(&c);
		}
		else
			tap_ok(0, "login for the id_token replay");
	}
	/* what browsers and platforms add around the launch's own cookie and fields */
	{
		login		c;

		if (login_std(&c) == 0)
		{
			json_t	   *cl = rl_claims(c.nonce, AOIFE, 0, COURSE);
			char	   *t = sign_std(cl);
			char	   *e = enc(t);
			char	   *body = fmt("lti_storage_target=_parent&state=%s&id_token=%s&session_state=x%%2By", c.state, e);
			char	   *cookie = fmt("MoodleSession=abc123; mc_lti_state=%s; theme=dark", c.state);

			post_launch_raw(bridge, body, cookie, &x);
			expect_view(&x, "learner-credential", "other cookies and other form fields around the launch's own");
			launch_free(&x);
			free(cookie);
			free(body);
			free(e);
			free(t);
			json_decref(cl);
			login_free(&c);
		}
		else
			tap_ok(0, "login for the launch among other cookies");
	}
	free(tok);
	free(tok_b);
	login_free(&a);
	login_free(&b);
}

/* the same launch sent 6 times at once: the state is spent exactly once */
static void
test_concurrent_state(void)
{
	enum
	{
		NCONC = 6
	};
	login		l;
	json_t	   *claims;
	char	   *tok,
			   *e,
			   *body,
			   *cookie,
			   *url = at_bridge("/lti/launch");
	http_call	k[NCONC];
	http_resp	r[NCONC];
	CURLM	   *multi = curl_multi_init();
	int			running = 0,
				ok200 = 0,
				used = 0,
				rounds = 0;
	CURLMsg    *msg;
	int			left;

	if (login_std(&l) != 0)
	{
		tap_ok(0, "login for the concurrent launches");
		free(url);
		curl_multi_cleanup(multi);
		return;
	}
	claims = rl_claims(l.nonce, AOIFE, 0, COURSE);
	tok = sign_std(claims);
	e = enc(tok);
	body = fmt("id_token=%s&state=%s", e, l.state);
	cookie = fmt("mc_lti_state=%s", l.state);
	for (int i = 0; i < NCONC; i++)
	{
		http_prepare(&k[i], url, body, NULL, cookie, NULL, &r[i]);
		curl_easy_setopt(k[i].curl, CURLOPT_PRIVATE, (void *) &k[i]);
		curl_multi_add_handle(multi, k[i].curl);
	}
	/* bounded: every transfer has its own 10 s timeout, and at most 150 polls of 100 ms */
	do
	{
		curl_multi_perform(multi, &running);
		if (running)
			curl_multi_poll(multi, NULL, 0, 100, NULL);
	} while (running && ++rounds < 150);
	while ((msg = curl_multi_info_read(multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
		{
			http_call  *kk;
			int			i;

			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &kk);
			i = (int) (kk - k);
			curl_multi_remove_handle(multi, msg->easy_handle);
			http_finish(&k[i], msg->data.result, url, &r[i]);
		}
	for (int i = 0; i < NCONC; i++)
	{
		char	   *code = header(&r[i], "X-LTI-Error");

		if (k[i].curl)
		{
			curl_multi_remove_handle(multi, k[i].curl);
			http_finish(&k[i], CURLE_OPERATION_TIMEDOUT, url, &r[i]);
		}
		cause(code);
		if (r[i].status == 200 && code == NULL)
			ok200++;
		else if (r[i].status == 401 && streq(code, "state_used"))
			used++;
		else
			tap_diag("  concurrent launch %d: HTTP %ld %s", i, r[i].status, nz(code));
		free(code);
		resp_free(&r[i]);
	}
	tap_ok(ok200 == 1 && used == NCONC - 1,
		   "%d concurrent launches with one state: one succeeds (%d), the others get state_used (%d)",
		   NCONC, ok200, used);
	curl_multi_cleanup(multi);
	free(tok);
	free(e);
	free(body);
	free(cookie);
	free(url);
	json_decref(claims);
	login_free(&l);
}

/* the views of good launches */
static void
test_views(void)
{
	login		l;
	json_t	   *claims;
	char	   *tok,
			   *before,
			   *after,
			   *issued;
	launch		x;

	/* Aoife: her credential, its links */
	if (login_std(&l) == 0)
	{
		char	   *jwt_link = fmt("%s?format=jwt", cred_url);
		char	   *e = enc(cred_url);

		claims = rl_claims(l.nonce, AOIFE, 0, COURSE);
		tok = sign_std(claims);
		post_launch(tok, l.state, l.state, &x);
		expect_view(&x, "learner-credential", "Aoife (linked by LMS id, holds the credential)");
		tap_ok(x.body && strstr(x.body, "Data Protection in Clinical Practice") &&
			   strstr(x.body, "Demo University of Applied Sciences") && strstr(x.body, "data-status=\"active\""),
			   "her page names the credential, the awarding body and the status active");
		tap_ok(x.body && strstr(x.body, jwt_link) != NULL, "her page links the credential as a JWT (?format=jwt)");
		{
			char	   *date = sql("SELECT '<time>' || to_char(ic.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '</time>'"
								   " FROM microcred.issued_credential ic WHERE ic.document->>'id' = $1", cred_url, NULL);

			tap_ok(date && x.body && strstr(x.body, date), "her page shows the date of issue %s", nz(date));
			free(date);
		}
		tap_ok(x.body && strstr(x.body, "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME") &&
			   strstr(x.body, e), "her page has a LinkedIn add-to-profile link with the credential URL");
		launch_free(&x);
		free(tok);
		json_decref(claims);
		free(jwt_link);
		free(e);
		login_free(&l);
	}
	else
		tap_ok(0, "login for Aoife");

	/* Brian: mapped but nothing issued, and the launch issues nothing */
	before = sql("SELECT count(*) FROM microcred.issued_credential", NULL);
	if (login_with(mock_base(mock), CLIENT_ID, BRIAN, LAUNCH_URL, NULL, &l) == 0)
	{
		claims = rl_claims(l.nonce, BRIAN, 0, COURSE);
		json_object_set_new(claims, "email", json_string("brian.kelly@student.demo-uas.example"));
		tok = sign_std(claims);
		post_launch(tok, l.state, l.state, &x);
		expect_view(&x, "learner-pending", "Brian (linked, no credential)");
		tap_ok(x.body && strstr(x.body, "Not yet complete") && strstr(x.body, "Data Protection in Clinical Practice"),
			   "his page says not yet complete, for the mapped credential");
		launch_free(&x);
		free(tok);
		json_decref(claims);
		login_free(&l);
	}
	else
		tap_ok(0, "login for Brian");
	after = sql("SELECT count(*) FROM microcred.issued_credential", NULL);
	tap_ok(streq(before, after), "a pending learner's launch issues nothing (%s credentials before and after)", nz(after));
	free(before);
	free(after);

	/* Ciara: found by her email, case aside, and linked */
	if (login_with(mock_base(mock), CLIENT_ID, CIARA, LAUNCH_URL, NULL, &l) == 0)
	{
		claims = rl_claims(l.nonce, CIARA, 0, COURSE);
		json_object_set_new(claims, "email", json_string("Ciara.Byrne@Student.Demo-UAS.example"));
		tok = sign_std(claims);
		post_launch(tok, l.state, l.state, &x);
		expect_view(&x, "learner-pending", "Ciara (known by email only)");
		tap_ok(sql_is("1", "SELECT count(*) FROM microcred.learner_identifier li JOIN microcred.learner l ON l.id = li.learner_id"
					  " WHERE li.kind = 'lms' AND li.platform = $1 AND li.value = '" CIARA "'"
					  " AND l.email = 'ciara.byrne@student.demo-uas.example'", mock_base(mock), NULL),
			   "the email match linked her LMS id to her learner record");
		launch_free(&x);
		free(tok);
		json_decref(claims);
		login_free(&l);
	}
	else
		tap_ok(0, "login for Ciara");

	/* the instructor: the count of credentials of the type */
	issued = sql("SELECT count(*) FROM microcred.issued_credential ic JOIN microcred.credential_type ct"
				 " ON ct.id = ic.credential_type_id WHERE ct.code = 'GDPR-NURSE' AND ic.superseded_by IS NULL", NULL);
	if (login_std(&l) == 0)
	{
		char	   *got;

		claims = rl_claims(l.nonce, "user-teacher", 1, COURSE);
		tok = sign_std(claims);
		post_launch(tok, l.state, l.state, &x);
		expect_view(&x, "instructor", "an instructor of the mapped course");
		got = attr(x.body, "data-issued=\"");
		tap_ok(streq(got, issued) && streq(issued, "2"), "data-issued is the number of GDPR-NURSE credentials (%s)", nz(issued));
		if (!streq(got, issued))
			tap_diag("  data-issued=%s, SQL %s", nz(got), nz(issued));
		tap_ok(x.body && strstr(x.body, "Data Protection in Clinical Practice") && strstr(x.body, "EQF level 6"),
			   "the instructor's page names the credential type and its EQF level");
		free(got);
		launch_free(&x);
		free(tok);
		json_decref(claims);
		login_free(&l);
	}
	else
		tap_ok(0, "login for the instructor");
	free(issued);

	/* a course with no mapping */
	if (login_std(&l) == 0)
	{
		claims = rl_claims(l.nonce, AOIFE, 0, "course-999");
		tok = sign_std(claims);
		post_launch(tok, l.state, l.state, &x);
		expect_view(&x, "not-configured", "a course with no mapping");
		launch_free(&x);
		free(tok);
		json_decref(claims);
		login_free(&l);
	}
	else
		tap_ok(0, "login for an unmapped course");
}

/* the platform rotates its key: a new kid makes the bridge refetch once */
static void
test_rotation(void)
{
	login		l;
	json_t	   *claims;
	char	   *tok;
	launch		x;
	int			hits;

	/* past the bridge's jwks_min_refresh_s (1 s in bridge_launch.sh) since any fetch */
	usleep(1300 * 1000);
	mock_publish(mock, 2);		/* key 2 only: key 1 is retired */
	mock_set_signing_key(mock, 1);
	cur_key = 1;
	hits = mock_jwks_hits(mock);
	if (login_std(&l) != 0)
	{
		tap_ok(0, "login for the rotation");
		return;
	}
	claims = rl_claims(l.nonce, AOIFE, 0, COURSE);
	tok = sign_std(claims);
	post_launch(tok, l.state, l.state, &x);
	expect_view(&x, "learner-credential", "a token under the platform's new kid (key rotation)");
	tap_ok(mock_jwks_hits(mock) - hits == 1, "the new kid cost exactly one JWKS fetch (%d)", mock_jwks_hits(mock) - hits);
	launch_free(&x);
	free(tok);
	json_decref(claims);
	login_free(&l);

	/* the retired kid is gone from the refreshed set */
	if (login_std(&l) == 0)
	{
		claims = rl_claims(l.nonce, AOIFE, 0, COURSE);
		tok = mock_sign(mock, 0, claims);
		post_launch(tok, l.state, l.state, &x);
		expect_refusal(&x, 401, "kid_unknown", "a token under the retired kid after the rotation");
		launch_free(&x);
		free(tok);
		json_decref(claims);
		login_free(&l);
	}
	else
		tap_ok(0, "login after the rotation");

	/* a second launch with the new kid costs no fetch: the set is cached */
	usleep(1300 * 1000);
	hits = mock_jwks_hits(mock);
	if (login_std(&l) == 0)
	{
		claims = rl_claims(l.nonce, AOIFE, 0, COURSE);
		tok = sign_std(claims);
		post_launch(tok, l.state, l.state, &x);
		expect_view(&x, "learner-credential", "another launch under the new kid");
		tap_ok(mock_jwks_hits(mock) == hits, "served from the cached JWKS (no fetch)");
		if (mock_jwks_hits(mock) != hits)
			tap_diag("  %d fetches", mock_jwks_hits(mock) - hits);
		launch_free(&x);
		free(tok);
		json_decref(claims);
		login_free(&l);
	}
	else
		tap_ok(0, "login for the cached launch");
}

/* a platform whose JWKS is down, and a bridge whose database is */
static void
test_unavailable(void)
{
	login		l;
	json_t	   *claims;
	char	   *tok;
	char	   *iss = fmt("%s/dead", mock_base(mock));
	launch		x;

	if (login_with(iss, "mc-client-dead", AOIFE, LAUNCH_URL, NULL, &l) == 0)
	{
		claims = rl_claims(l.nonce, AOIFE, 0, COURSE);
		json_object_set_new(claims, "iss", json_string(iss));
		json_object_set_new(claims, "aud", json_string("mc-client-dead"));
		tok = sign_std(claims);
		post_launch(tok, l.state, l.state, &x);
		expect_refusal(&x, 502, "jwks_unavailable", "a platform whose JWKS answers 500");
		launch_free(&x);
		free(tok);
		json_decref(claims);
		login_free(&l);
	}
	else
		tap_ok(0, "login at the platform whose JWKS is down");
	free(iss);

	if (dead_bridge == NULL)
	{
		tap_ok(1, "# SKIP db_unavailable: no bridge without a database was given");
		return;
	}
	if (login_std(&l) == 0)
	{
		claims = rl_claims(l.nonce, AOIFE, 0, COURSE);
		tok = sign_std(claims);
		post_launch_to(dead_bridge, tok, l.state, l.state, &x);
		tap_ok(x.status == 503 && streq(x.code, "db_unavailable"),
			   "a bridge that cannot reach its database: 503 db_unavailable");
		if (!(x.status == 503 && streq(x.code, "db_unavailable")))
			tap_diag("  got HTTP %ld, X-LTI-Error %s", x.status, nz(x.code));
		launch_free(&x);
		free(tok);
		json_decref(claims);
		login_free(&l);
	}
	else
		tap_ok(0, "login for db_unavailable");
}

/* POST /lti/deep-link */
static void
post_deep_link(const char *dl, const char *type, launch *x)
{
	char	   *e_dl = dl ? enc(dl) : NULL;
	char	   *e_t = type ? enc(type) : NULL;
	char	   *body = fmt("%s%s%s%s%s", e_dl ? "dl=" : "", e_dl ? e_dl : "", e_dl && e_t ? "&" : "",
						   e_t ? "credential_type=" : "", e_t ? e_t : "");
	char	   *url = at_bridge("/lti/deep-link");
	http_resp	r;

	memset(x, 0, sizeof(*x));
	x->status = http_req(url, body, NULL, NULL, NULL, &r);
	x->code = header(&r, "X-LTI-Error");
	cause(x->code);
	x->view = attr(r.body, "data-view=\"");
	x->body = r.body;
	r.body = NULL;
	resp_free(&r);
	free(url);
	free(body);
	free(e_dl);
	free(e_t);
}

/* an instructor's deep linking request; the choice page's dl handle (malloc'd) or NULL */
static char *
deep_linking_request(const char *data, launch *x)
{
	login		l;
	json_t	   *claims;
	char	   *tok;
	char	   *dl;

	memset(x, 0, sizeof(*x));
	if (login_with(mock_base(mock), CLIENT_ID, "user-teacher", LAUNCH_URL, NULL, &l) != 0)
		return NULL;
	claims = dl_claims(l.nonce, "user-teacher", 1, DL_COURSE, data);
	json_object_set_new(json_object_get(claims, LTI "context"), "title", json_string("Python 202"));
	tok = sign_std(claims);
	post_launch(tok, l.state, l.state, x);
	dl = hidden_input(x->body, "dl");
	free(tok);
	json_decref(claims);
	login_free(&l);
	return dl;
}

static void
test_deep_linking(void)
{
	launch		x;
	char	   *dl,
			   *dl2;
	char	   *py = sql("SELECT id::text FROM microcred.credential_type WHERE code = 'PY-DATA'", NULL);
	char	   *want_types = sql("SELECT string_agg(ct.id::text, ',' ORDER BY ct.id::text) FROM microcred.credential_type ct"
								 " JOIN microcred.issuer i ON i.id = ct.issuer_id WHERE i.handle = 'demo-uas'"
								 " AND ct.retired_at IS NULL", NULL);
	char	   *got_types = NULL;
	char	   *jwt,
			   *action,
			   *ret = fmt("%s/dl-return", mock_base(mock));

	dl = deep_linking_request("opaque-platform-data", &x);
	expect_view(&x, "deep-linking", "an instructor's LtiDeepLinkingRequest");
	tap_ok(dl != NULL && strlen(dl) >= 32, "the choice page carries a dl handle");
	tap_ok(x.body && strstr(x.body, "action=\"/lti/deep-link\"") && strstr(x.body, "method=\"post\""),
		   "the choice page posts to /lti/deep-link");
	{
		/* every button's credential_type, sorted, against the awarding body's active types */
		const char *p = x.body;
		char	   *vals[16];
		int			n = 0;
		char	   *v;
		size_t		total = 1;

		while (n < 16 && (v = attr_after(p, "name=\"credential_type\" value=\"", &p)) != NULL)
			vals[n++] = v;
		for (int i = 0; i < n; i++)
			for (int j = i + 1; j < n; j++)
				if (strcmp(vals[i], vals[j]) > 0)
				{
					char	   *t = vals[i];

					vals[i] = vals[j];
					vals[j] = t;
				}
		for (int i = 0; i < n; i++)
			total += strlen(vals[i]) + 1;
		got_types = calloc(1, total);
		for (int i = 0; i < n; i++)
		{
			if (i)
				strcat(got_types, ",");
			strcat(got_types, vals[i]);
			free(vals[i]);
		}
		tap_ok(streq(got_types, want_types), "one button per active credential type of the awarding body (%d)", n);
		if (!streq(got_types, want_types))
			tap_diag("  buttons %s, SQL %s", nz(got_types), nz(want_types));
	}
	tap_ok(x.body && strstr(x.body, "Python for Data Analysis") && strstr(x.body, "EQF level 5") &&
		   strstr(x.body, "ECTS"), "the buttons show title, EQF level and ECTS");
	launch_free(&x);

	/* the refusals of /lti/deep-link */
	post_deep_link(NULL, py, &x);
	expect_refusal(&x, 400, "dl_missing", "deep-link: no dl");
	launch_free(&x);
	post_deep_link("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", py, &x);
	expect_refusal(&x, 401, "dl_unknown", "deep-link: a dl this bridge never issued");
	launch_free(&x);
	post_deep_link(dl, "00000000-0000-4000-8000-000000000000", &x);
	expect_refusal(&x, 400, "credential_type_unknown", "deep-link: a credential type that does not exist");
	launch_free(&x);

	/* the choice */
	post_deep_link(dl, py, &x);
	expect_view(&x, "deep-linking-response", "deep-link: the instructor chooses PY-DATA");
	action = attr(x.body, "action=\"");
	jwt = hidden_input(x.body, "JWT");
	{
		char	   *form = fmt("method=\"post\" action=\"%s\"", ret);

		tap_ok(streq(action, ret) && x.body && strstr(x.body, form),
			   "the response form posts (method post) to the platform's deep_link_return_url");
		free(form);
	}
	launch_free(&x);
	{
		http_resp	r;
		char	   *u = at_bridge("/lti/jwks");
		json_t	   *jwks,
				   *h = NULL,
				   *c = NULL,
				   *items,
				   *item;
		char		err[200] = "";
		time_t		now = time(NULL);

		http_req(u, NULL, NULL, NULL, NULL, &r);
		free(u);
		jwks = json_loads(r.body, 0, NULL);
		resp_free(&r);
		tap_ok(jwt && jwt_verify_rs256(jwt, jwks, &h, &c, err, sizeof(err)) == 0,
			   "the response JWT verifies RS256 with a key of GET /lti/jwks (by kid)");
		if (err[0])
			tap_diag("  %s", err);
		tap_ok(streq(json_string_value(json_object_get(h, "alg")), "RS256") && json_object_get(h, "kid"),
			   "its header: alg RS256 and a kid");
		tap_ok(streq(json_string_value(json_object_get(c, "iss")), CLIENT_ID), "claim iss is our client_id");
		tap_ok(streq(json_string_value(json_object_get(c, "aud")), mock_base(mock)) ||
			   (json_is_array(json_object_get(c, "aud")) &&
				streq(json_string_value(json_array_get(json_object_get(c, "aud"), 0)), mock_base(mock))),
			   "claim aud is the platform issuer");
		tap_ok(json_is_string(json_object_get(c, "nonce")) && strlen(json_string_value(json_object_get(c, "nonce"))) >= 16,
			   "claim nonce is present");
		tap_ok(json_is_integer(json_object_get(c, "iat")) &&
			   llabs((long long) json_integer_value(json_object_get(c, "iat")) - (long long) now) <= 60 &&
			   json_integer_value(json_object_get(c, "exp")) > json_integer_value(json_object_get(c, "iat")),
			   "claims iat (now) and exp (later)");
		tap_ok(streq(json_string_value(json_object_get(c, LTI "message_type")), "LtiDeepLinkingResponse") &&
			   streq(json_string_value(json_object_get(c, LTI "version")), "1.3.0") &&
			   streq(json_string_value(json_object_get(c, LTI "deployment_id")), DEPLOYMENT),
			   "message_type LtiDeepLinkingResponse, version 1.3.0, the request's deployment_id");
		tap_ok(streq(json_string_value(json_object_get(c, LTI_DL "data")), "opaque-platform-data"),
			   "the request's data is echoed");
		items = json_object_get(c, LTI_DL "content_items");
		item = json_array_get(items, 0);
		tap_ok(json_array_size(items) == 1 &&
			   streq(json_string_value(json_object_get(item, "type")), "ltiResourceLink") &&
			   streq(json_string_value(json_object_get(item, "url")), LAUNCH_URL) &&
			   streq(json_string_value(json_object_get(item, "title")), "Python for Data Analysis") &&
			   json_is_string(json_object_get(item, "text")) &&
			   streq(json_string_value(json_object_get(json_object_get(item, "custom"), "microcred_credential_type")), py),
			   "one ltiResourceLink: title, text, url = our launch URL, custom microcred_credential_type = the choice");
		json_decref(jwks);
		json_decref(h);
		json_decref(c);
	}
	/* the platform receives it */
	if (jwt && action)
	{
		http_resp	r;
		char	   *e = enc(jwt);
		char	   *body = fmt("JWT=%s", e);
		json_t	   *got;

		http_req(action, body, NULL, NULL, NULL, &r);
		got = mock_last_dl_response(mock);
		tap_ok(r.status == 200 && got != NULL, "the mock platform accepts the deep linking response");
		if (r.status != 200)
			tap_diag("  %ld %s", r.status, r.body);
		resp_free(&r);
		json_decref(got);
		free(e);
		free(body);
	}
	else
		tap_ok(0, "the mock platform accepts the deep linking response (no form)");
	tap_ok(sql_is("1", "SELECT count(*) FROM microcred.lti_course_mapping m JOIN microcred.credential_type ct"
				  " ON ct.id = m.credential_type_id WHERE m.platform_id = $1 AND m.context_id = '" DL_COURSE "'"
				  " AND ct.code = 'PY-DATA' AND m.created_by = 'deep_linking'", platform_id, NULL),
		   "the choice is stored as the course's mapping");
	post_deep_link(dl, py, &x);
	expect_refusal(&x, 401, "dl_used", "deep-link: the same dl again");
	launch_free(&x);

	/* an expired handle */
	dl2 = deep_linking_request("second", &x);
	launch_free(&x);
	free(sql("UPDATE microcred.lti_deep_link SET expires_at = now() - interval '1 second' WHERE handle = $1"
			 " RETURNING 1", dl2 ? dl2 : "", NULL));
	post_deep_link(dl2, py, &x);
	expect_refusal(&x, 401, "dl_expired", "deep-link: an expired dl");
	launch_free(&x);

	/* the link the platform made launches the chosen type */
	{
		login		l;

		if (login_std(&l) == 0)
		{
			/* in course-101, mapped to GDPR-NURSE, which Aoife holds: the link's own type wins */
			json_t	   *claims = rl_claims(l.nonce, AOIFE, 0, COURSE);
			char	   *tok;

			json_object_set_new(claims, LTI "custom", json_pack("{s:s}", "microcred_credential_type", py));
			tok = sign_std(claims);
			post_launch(tok, l.state, l.state, &x);
			expect_view(&x, "learner-pending", "a link carrying custom microcred_credential_type = PY-DATA, in a GDPR-NURSE course");
			tap_ok(x.body && strstr(x.body, "Python for Data Analysis") && !strstr(x.body, "Data Protection in Clinical"),
				   "the link's custom type wins over the course mapping");
			launch_free(&x);
			free(tok);
			json_decref(claims);
			login_free(&l);
		}
		else
			tap_ok(0, "login for the deep linked resource");
		if (login_std(&l) == 0)
		{
			json_t	   *claims = rl_claims(l.nonce, "user-teacher", 1, DL_COURSE);
			char	   *tok = sign_std(claims);
			char	   *n;

			post_launch(tok, l.state, l.state, &x);
			expect_view(&x, "instructor", "an instructor in the course mapped by deep linking");
			n = attr(x.body, "data-issued=\"");
			tap_ok(streq(n, "0") && x.body && strstr(x.body, "Python for Data Analysis"),
				   "it shows PY-DATA with data-issued=\"0\"");
			free(n);
			launch_free(&x);
			free(tok);
			json_decref(claims);
			login_free(&l);
		}
		else
			tap_ok(0, "login for the instructor of the deep linked course");
		/* the LMS's own ids in custom claims (Canvas $Canvas.course.id): linked for its events */
		if (login_std(&l) == 0)
		{
			json_t	   *claims = rl_claims(l.nonce, "user-teacher", 1, DL_COURSE);
			char	   *tok;

			json_object_set_new(claims, LTI "custom", json_pack("{s:s, s:s}", "lms_course_id", "$Canvas.course.id",
																"lms_user_id", "$Canvas.user.id"));
			tok = sign_std(claims);
			post_launch(tok, l.state, l.state, &x);
			expect_view(&x, "instructor", "an instructor launch whose custom ids the LMS did not substitute");
			tap_ok(sql_is("0", "SELECT count(*) FROM microcred.lti_course_mapping WHERE platform_id = $1"
						  " AND context_id !~ '^course-'", platform_id, NULL),
				   "an unsubstituted $Canvas.course.id maps nothing");
			launch_free(&x);
			free(tok);
			json_decref(claims);
			login_free(&l);
		}
		else
			tap_ok(0, "login for the unsubstituted custom ids");
		/* a platform not trusted with them (the default: Moodle teachers can type custom parameters) */
		if (login_std(&l) == 0)
		{
			json_t	   *claims = rl_claims(l.nonce, "user-teacher", 1, DL_COURSE);
			char	   *tok;

			json_object_set_new(claims, LTI "custom", json_pack("{s:s, s:s}", "lms_course_id", "88124",
																"lms_user_id", "77002"));
			tok = sign_std(claims);
			post_launch(tok, l.state, l.state, &x);
			expect_view(&x, "instructor", "an instructor launch with custom LMS ids on an untrusted platform");
			tap_ok(sql_is("0", "SELECT count(*) FROM microcred.lti_course_mapping WHERE platform_id = $1"
						  " AND context_id = '88124'", platform_id, NULL),
				   "an untrusted platform's custom lms_course_id maps nothing");
			launch_free(&x);
			free(tok);
			json_decref(claims);
			login_free(&l);
		}
		else
			tap_ok(0, "login for the untrusted custom ids");
		free(sql("SELECT microcred.lti_trust_lms_ids($1::uuid)::text", platform_id, NULL));
		if (login_std(&l) == 0)
		{
			json_t	   *claims = rl_claims(l.nonce, "user-teacher", 1, DL_COURSE);
			char	   *tok;

			json_object_set_new(claims, LTI "custom", json_pack("{s:s, s:s}", "lms_course_id", "88123",
																"lms_user_id", "77001"));
			tok = sign_std(claims);
			post_launch(tok, l.state, l.state, &x);
			expect_view(&x, "instructor", "an instructor launch carrying custom lms_course_id 88123");
			tap_ok(sql_is("1", "SELECT count(*) FROM microcred.lti_course_mapping m JOIN microcred.credential_type ct"
						  " ON ct.id = m.credential_type_id WHERE m.platform_id = $1 AND m.context_id = '88123'"
						  " AND ct.code = 'PY-DATA' AND m.created_by = 'lms_course_id'", platform_id, NULL),
				   "the course's mapping is linked under the LMS's own course id, for its completion events");
			launch_free(&x);
			free(tok);
			json_decref(claims);
			login_free(&l);
		}
		else
			tap_ok(0, "login for the custom LMS ids");
	}
	free(dl);
	free(dl2);
	free(jwt);
	free(action);
	free(ret);
	free(py);
	free(want_types);
	free(got_types);
}

/* POST the mock's /token; its status, and the body in *body (malloc'd) */
static long
post_token(const char *grant, const char *assertion, char **body)
{
	char	   *e = enc(assertion);
	char	   *form = fmt("grant_type=%s&client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%3Ajwt-bearer"
						   "&client_assertion=%s&scope=https%%3A%%2F%%2Fpurl.imsglobal.org%%2Fspec%%2Flti-ags%%2Fscope%%2Fscore",
						   grant, e);
	char	   *url = fmt("%s/token", mock_base(mock));
	http_resp	r;
	long		st = http_req(url, form, NULL, NULL, NULL, &r);

	if (body)
	{
		*body = r.body;
		r.body = NULL;
	}
	resp_free(&r);
	free(e);
	free(form);
	free(url);
	return st;
}

static void
test_client_assertion(void)
{
	char	   *a = sql("SELECT microcred.lti_client_assertion($1)", platform_id, NULL);
	char	   *b = sql("SELECT microcred.lti_client_assertion($1)", platform_id, NULL);
	char	   *body = NULL;
	char	   *err;
	json_t	   *doc;
	long		st;

	tap_ok(a != NULL && b != NULL, "microcred.lti_client_assertion() signs an assertion");
	if (a == NULL || b == NULL)
	{
		free(a);
		free(b);
		return;
	}
	{
		const char *d1 = strchr(a, '.');
		const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
		size_t		hl,
					pl;
		unsigned char *hraw = d1 ? b64url_decode(a, (size_t) (d1 - a), &hl) : NULL;
		unsigned char *praw = d2 ? b64url_decode(d1 + 1, (size_t) (d2 - d1 - 1), &pl) : NULL;
		json_t	   *h = hraw ? json_loads((char *) hraw, 0, NULL) : NULL;
		json_t	   *p = praw ? json_loads((char *) praw, 0, NULL) : NULL;
		char	   *token_url = fmt("%s/token", mock_base(mock));

		tap_ok(streq(json_string_value(json_object_get(h, "alg")), "RS256") &&
			   streq(json_string_value(json_object_get(h, "typ")), "JWT") &&
			   json_is_string(json_object_get(h, "kid")), "assertion header: alg RS256, typ JWT, kid");
		tap_ok(streq(json_string_value(json_object_get(p, "iss")), CLIENT_ID) &&
			   streq(json_string_value(json_object_get(p, "sub")), CLIENT_ID) &&
			   streq(json_string_value(json_object_get(p, "aud")), token_url) &&
			   json_integer_value(json_object_get(p, "exp")) - json_integer_value(json_object_get(p, "iat")) == 300 &&
			   json_is_string(json_object_get(p, "jti")),
			   "assertion claims: iss = sub = client_id, aud = the token URL, exp = iat + 300, jti");
		free(token_url);
		free(hraw);
		free(praw);
		json_decref(h);
		json_decref(p);
	}
	st = post_token("client_credentials", a, &body);
	doc = body ? json_loads(body, 0, NULL) : NULL;
	tap_ok(st == 200 && json_is_string(json_object_get(doc, "access_token")) &&
		   streq(json_string_value(json_object_get(doc, "token_type")), "Bearer"),
		   "the mock's token endpoint accepts it (verified with GET /lti/jwks): an access token");
	if (st != 200)
		tap_diag("  /token %ld %s", st, nz(body));
	json_decref(doc);
	free(body);
	st = post_token("client_credentials", a, NULL);
	err = mock_last_token_error(mock);
	tap_ok(st == 401 && err && strstr(err, "replay"), "the same assertion again is refused (jti replay)");
	free(err);
	st = post_token("password", b, NULL);
	tap_ok(st == 400, "grant_type other than client_credentials: 400");
	{
		/* the tool's claims, signed by a key that is not the tool's */
		const char *d1 = strchr(b, '.');
		const char *d2 = strchr(d1 + 1, '.');
		size_t		pl;
		unsigned char *praw = b64url_decode(d1 + 1, (size_t) (d2 - d1 - 1), &pl);
		char	   *forged = sign_raw("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"x\"}", (char *) praw, "RS256", 0);

		st = post_token("client_credentials", forged, NULL);
		tap_ok(st == 401, "an assertion not signed by the tool: 401");
		free(praw);
		free(forged);
	}
	st = post_token("client_credentials", b, NULL);
	tap_ok(st == 200, "a second, fresh assertion is accepted");

	/* the tool rotates its key: the JWKS publishes both, new assertions use the new one */
	{
		char	   *kid = sql("SELECT microcred.lti_tool_key_rotate()", NULL);
		char	   *c = sql("SELECT microcred.lti_client_assertion($1)", platform_id, NULL);
		char	   *u = at_bridge("/lti/jwks");
		http_resp	r;
		json_t	   *jwks,
				   *keys;
		json_t	   *h = NULL,
				   *p = NULL;
		char		why[200];

		http_req(u, NULL, NULL, NULL, NULL, &r);
		jwks = json_loads(r.body, 0, NULL);
		keys = json_object_get(jwks, "keys");
		tap_ok(json_array_size(keys) == 2 && streq(json_string_value(json_object_get(json_array_get(keys, 0), "kid")), kid),
			   "after lti_tool_key_rotate() GET /lti/jwks has the new key first and the old one");
		{
			int			clean = 1;
			size_t		i;
			json_t	   *k;

			json_array_foreach(keys, i, k)
			{
				if (!streq(json_string_value(json_object_get(k, "kty")), "RSA") ||
					!streq(json_string_value(json_object_get(k, "alg")), "RS256") ||
					!streq(json_string_value(json_object_get(k, "use")), "sig") ||
					!json_is_string(json_object_get(k, "n")) || !json_is_string(json_object_get(k, "e")) ||
					json_object_get(k, "d") || json_object_get(k, "p") || json_object_get(k, "q"))
					clean = 0;
			}
			tap_ok(clean && json_array_size(keys) > 0,
				   "GET /lti/jwks: RSA keys with kid, alg RS256, use sig, n, e and no private member");
		}
		tap_ok(c && jwt_verify_rs256(c, jwks, &h, &p, why, sizeof(why)) == 0 &&
			   streq(json_string_value(json_object_get(h, "kid")), kid),
			   "a new assertion is signed with the new key");
		st = post_token("client_credentials", c ? c : "", NULL);
		tap_ok(st == 200, "and the token endpoint accepts it");
		resp_free(&r);
		json_decref(jwks);
		json_decref(h);
		json_decref(p);
		free(u);
		free(c);
		free(kid);
	}
	free(a);
	free(b);
}

/* GET /lti/register; the response's status, code and view */
static void
get_register(const char *invite, const char *oc_url, const char *token, launch *x)
{
	char	   *e_i = invite ? enc(invite) : NULL;
	char	   *e_o = oc_url ? enc(oc_url) : NULL;
	char	   *e_t = token ? enc(token) : NULL;
	char	   *url = fmt("%s/lti/register?x=1%s%s%s%s%s%s", bridge,
						  e_i ? "&invite=" : "", e_i ? e_i : "",
						  e_o ? "&openid_configuration=" : "", e_o ? e_o : "",
						  e_t ? "&registration_token=" : "", e_t ? e_t : "");
	http_resp	r;

	memset(x, 0, sizeof(*x));
	x->status = http_req(url, NULL, NULL, NULL, NULL, &r);
	x->code = header(&r, "X-LTI-Error");
	cause(x->code);
	x->view = attr(r.body, "data-view=\"");
	x->body = r.body;
	r.body = NULL;
	resp_free(&r);
	free(url);
	free(e_i);
	free(e_o);
	free(e_t);
}

static char *
new_invite(void)
{
	return sql("SELECT invite FROM microcred.lti_registration_invite('demo-uas')", NULL);
}

static void
test_registration(void)
{
	char	   *oc = fmt("%s/.well-known/openid-configuration", mock_base(mock));
	char	   *bad_oc = fmt("%s/bad-issuer/.well-known/openid-configuration", mock_base(mock));
	char	   *no_oc = fmt("%s/nowhere/.well-known/openid-configuration", mock_base(mock));
	char	   *inv = new_invite();
	char	   *inv2 = new_invite();
	char	   *inv3 = new_invite();
	launch		x;
	json_t	   *cfg,
			   *lti;
	char	   *auth;
	int			before = mock_registrations(mock);

	mock_set_registration(mock, REG_TOKEN, REG_CLIENT_ID, REG_DEPLOYMENT);
	tap_ok(inv && inv2 && inv3, "microcred.lti_registration_invite() makes invitations");

	get_register(inv, oc, REG_TOKEN, &x);
	expect_view(&x, "registered", "Dynamic Registration with an invitation");
	tap_ok(x.body && strstr(x.body, "org.imsglobal.lti.close"), "the page tells the platform to close (postMessage)");
	launch_free(&x);
	cfg = mock_last_registration(mock);
	auth = mock_last_registration_auth(mock);
	lti = json_object_get(cfg, "https://purl.imsglobal.org/spec/lti-tool-configuration");
	tap_ok(mock_registrations(mock) == before + 1 && streq(auth, "Bearer " REG_TOKEN),
		   "the platform got one registration with Authorization: Bearer <registration_token>");
	tap_ok(streq(json_string_value(json_object_get(cfg, "initiate_login_uri")), PUBLIC_BASE "/lti/login") &&
		   json_array_size(json_object_get(cfg, "redirect_uris")) == 1 &&
		   streq(json_string_value(json_array_get(json_object_get(cfg, "redirect_uris"), 0)), LAUNCH_URL) &&
		   streq(json_string_value(json_object_get(cfg, "jwks_uri")), PUBLIC_BASE "/lti/jwks"),
		   "tool configuration: initiate_login_uri, redirect_uris and jwks_uri are ours");
	tap_ok(streq(json_string_value(json_object_get(cfg, "token_endpoint_auth_method")), "private_key_jwt") &&
		   streq(json_string_value(json_object_get(cfg, "application_type")), "web"),
		   "tool configuration: private_key_jwt, application_type web");
	{
		json_t	   *msgs = json_object_get(lti, "messages");
		int			rl = 0,
					dlm = 0;
		size_t		i;
		json_t	   *m;

		json_array_foreach(msgs, i, m)
		{
			const char *t = json_string_value(json_object_get(m, "type"));

			if (streq(t, "LtiResourceLinkRequest"))
				rl++;
			if (streq(t, "LtiDeepLinkingRequest") &&
				streq(json_string_value(json_object_get(m, "target_link_uri")), LAUNCH_URL))
				dlm++;
		}
		tap_ok(streq(json_string_value(json_object_get(lti, "domain")), "tool.example") &&
			   streq(json_string_value(json_object_get(lti, "target_link_uri")), LAUNCH_URL) &&
			   rl == 1 && dlm == 1,
			   "lti-tool-configuration: domain, target_link_uri, a resource link and a deep linking message");
	}
	json_decref(cfg);
	free(auth);
	{
		char	   *a = fmt("%s/auth", mock_base(mock));
		char	   *j = fmt("%s/jwks", mock_base(mock));
		char	   *t = fmt("%s/token", mock_base(mock));

		tap_ok(sql_is("1", "SELECT count(*) FROM microcred.lti_platform p JOIN microcred.issuer i ON i.id = p.issuer_id"
					  " JOIN microcred.lti_deployment d ON d.platform_id = p.id"
					  " WHERE p.platform_issuer = $1 AND p.client_id = '" REG_CLIENT_ID "' AND p.auth_login_url = $2"
					  " AND p.jwks_url = $3 AND p.auth_token_url = $4 AND i.handle = 'demo-uas'"
					  " AND d.deployment_id = '" REG_DEPLOYMENT "'", mock_base(mock), a, j, t, NULL),
			   "microcred.lti_platform holds the registration (endpoints, client_id, deployment)");
		free(a);
		free(j);
		free(t);
	}
	get_register(inv, oc, REG_TOKEN, &x);
	expect_refusal(&x, 401, "invite_used", "the same invitation again");
	launch_free(&x);

	/* the platform registered this way can launch */
	{
		login		l;
		json_t	   *tmpl = rl_claims("x", AOIFE, 0, COURSE);

		json_object_del(tmpl, "iss");
		json_object_del(tmpl, "aud");
		json_object_del(tmpl, "iat");
		json_object_del(tmpl, "exp");
		json_object_del(tmpl, "nonce");
		json_object_set_new(tmpl, LTI "deployment_id", json_string(REG_DEPLOYMENT));
		mock_set_launch_claims(mock, tmpl);
		json_decref(tmpl);
		if (login_with(mock_base(mock), REG_CLIENT_ID, AOIFE, LAUNCH_URL, NULL, &l) == 0)
		{
			http_resp	r;
			char	   *tok,
					   *state;

			http_req(l.location, NULL, NULL, NULL, NULL, &r);
			tok = hidden_input(r.body, "id_token");
			state = hidden_input(r.body, "state");
			resp_free(&r);
			post_launch(tok, state, l.state, &x);
			expect_view(&x, "not-configured", "a launch from the dynamically registered client (no course mapped there)");
			launch_free(&x);
			free(tok);
			free(state);
			login_free(&l);
		}
		else
			tap_ok(0, "login with the dynamically registered client");
	}

	get_register(NULL, oc, REG_TOKEN, &x);
	expect_refusal(&x, 400, "invite_missing", "registration without an invitation");
	launch_free(&x);
	get_register("not-an-invitation", oc, REG_TOKEN, &x);
	expect_refusal(&x, 401, "invite_unknown", "registration with an unknown invitation");
	launch_free(&x);
	free(sql("UPDATE microcred.lti_registration_invite SET expires_at = now() - interval '1 second'"
			 " WHERE token_hash = sha256(convert_to($1, 'UTF8')) RETURNING 1", inv2 ? inv2 : "", NULL));
	get_register(inv2, oc, REG_TOKEN, &x);
	expect_refusal(&x, 401, "invite_expired", "registration with an expired invitation");
	launch_free(&x);
	get_register(inv3, NULL, REG_TOKEN, &x);
	expect_refusal(&x, 400, "openid_configuration_missing", "registration without openid_configuration");
	launch_free(&x);
	get_register(inv3, "http://lms.example/.well-known/openid-configuration", REG_TOKEN, &x);
	expect_refusal(&x, 400, "openid_configuration_missing", "an openid_configuration over plain http off loopback");
	launch_free(&x);
	get_register(inv3, no_oc, REG_TOKEN, &x);
	expect_refusal(&x, 502, "openid_configuration_unavailable", "an openid_configuration that answers 404");
	launch_free(&x);
	get_register(inv3, bad_oc, REG_TOKEN, &x);
	expect_refusal(&x, 400, "issuer_mismatch", "an openid_configuration whose issuer is another origin");
	launch_free(&x);
	before = mock_registrations(mock);
	get_register(inv3, oc, "wrong-token", &x);
	expect_refusal(&x, 502, "registration_failed", "a registration the platform refuses (wrong registration_token)");
	tap_ok(mock_registrations(mock) == before + 1, "the platform saw that attempt");
	launch_free(&x);
	tap_ok(sql_is("f", "SELECT consumed_at IS NOT NULL FROM microcred.lti_registration_invite"
				  " WHERE token_hash = sha256(convert_to($1, 'UTF8'))", inv3 ? inv3 : "", NULL),
		   "failed registrations leave the invitation unspent");
	free(inv);
	free(inv2);
	free(inv3);
	free(oc);
	free(bad_oc);
	free(no_oc);
}

/* /metrics counts every failure caused here, by reason */
static void
test_metrics(void)
{
	char	   *u = at_bridge("/metrics");
	http_resp	r;
	long		total = 0,
				sum = 0;
	const char *p;
	const char *prefix = "microcred_bridge_lti_launch_failures_total{reason=\"";

	http_req(u, NULL, NULL, NULL, NULL, &r);
	free(u);
	tap_ok(r.status == 200, "GET /metrics");
	for (int i = 0; i < n_caused; i++)
	{
		char		line[160];
		const char *at;
		long		got = -1;

		snprintf(line, sizeof(line), "%s%s\"} ", prefix, caused[i].code);
		at = strstr(r.body, line);
		if (at)
			got = atol(at + strlen(line));
		tap_ok(got == caused[i].n, "metrics: lti_launch_failures_total{reason=\"%s\"} = %d, the refusals seen",
			   caused[i].code, caused[i].n);
		if (got != caused[i].n)
			tap_diag("  got %ld", got);
		total += caused[i].n;
	}
	for (p = strstr(r.body, prefix); p; p = strstr(p + 1, prefix))
	{
		const char *sp = strchr(p, ' ');

		if (sp)
			sum += atol(sp + 1);
	}
	tap_ok(sum == total && n_caused >= 40, "metrics: the launch failures add up to the %ld refusals seen (%ld), of %d reasons",
		   total, sum, n_caused);
	resp_free(&r);
}

int
main(int argc, char **argv)
{
	char	   *conninfo;

	if (argc < 3)
	{
		fprintf(stderr, "usage: %s DBNAME BRIDGE_URL [DEAD_BRIDGE_URL]\n", argv[0]);
		return 2;
	}
	alarm(300);
	bridge = argv[2];
	dead_bridge = argc > 3 && argv[3][0] ? argv[3] : NULL;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	conninfo = fmt("dbname=%s", argv[1]);
	db = PQconnectdb(conninfo);
	free(conninfo);
	if (PQstatus(db) != CONNECTION_OK)
	{
		printf("Bail out! cannot connect to %s: %s", argv[1], PQerrorMessage(db));
		return 1;
	}
	mock = mock_platform_start(CLIENT_ID);
	if (mock == NULL)
	{
		printf("Bail out! the mock platform did not start\n");
		return 1;
	}
	tap_diag("mock platform at %s, bridge at %s", mock_base(mock), bridge);
	if (setup() != 0)
	{
		printf("Bail out! setup failed\n");
		mock_platform_stop(mock);
		return 1;
	}
	test_login_and_full_launch();
	test_mock_auth_checks();
	test_state();
	test_concurrent_state();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	tap_ok(refusals_not_html == 0, "every refused launch answers an HTML page (data-view=\"error\", data-reason)");
	tap_ok(pages_echoing_token == 0, "no refusal page echoes the id_token");
	test_login_target();
	test_canvas_config();
	test_views();
	test_rotation();
	test_unavailable();
	test_deep_linking();
	test_client_assertion();
	test_registration();
	test_metrics();
	mock_platform_stop(mock);
	PQfinish(db);
	curl_global_cleanup();
	return tap_done();
}
