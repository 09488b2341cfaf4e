/*-------------------------------------------------------------------------
 *
 * lti.c
 *	  The LTI 1.3 routes after the login: the launch, deep linking, the
 *	  tool's JWKS, Dynamic Registration and the Canvas configuration.
 *
 * The launch (POST /lti/launch) checks, in order: the form has id_token
 * and state; the state cookie set at login came back and equals the form's
 * state; the database spends the state (single use, unexpired) and names
 * the registration; the id_token is validated against that registration
 * with the platform's JWKS (idtoken.c: alg pinning, kid, signature, iss,
 * aud/azp, exp/iat, version, message type, deployment, roles, sub,
 * resource link, ...); its nonce is the one issued with that state; its
 * target_link_uri is the one given at login.  Any failure answers with the
 * reason in X-LTI-Error, counts it in /metrics and shows a page that says
 * what went wrong, never the token.
 *
 * Everything the pages show comes from SECURITY DEFINER functions of the
 * extension; the tool's signatures (deep linking responses) are made
 * there too, so this process holds no key.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include "db.h"
#include "http_internal.h"
#include "idtoken.h"
#include "jwks.h"
#include "launch_token.h"
#include "lti.h"
#include "log.h"
#include "metrics.h"

#define LTI_CLAIM "https://purl.imsglobal.org/spec/lti/claim/"
#define LTI_DL_CLAIM "https://purl.imsglobal.org/spec/lti-dl/claim/"

static jwks_cache *platform_keys;

static void
jwks_options_of(const bridge_config *cfg, jwks_options *o)
{
	o->ttl_s = cfg->jwks_ttl_s;
	o->min_refresh_s = cfg->jwks_min_refresh_s;
	o->timeout_ms = cfg->jwks_timeout_ms;
	o->max_bytes = cfg->jwks_max_bytes;
	o->max_entries = 256;
}

int
lti_init(const bridge_config *cfg)
{
	jwks_options o;

	jwks_options_of(cfg, &o);
	platform_keys = jwks_cache_new(&o);
	return platform_keys ? 0 : -1;
}

void
lti_configure(const bridge_config *cfg)
{
	jwks_options o;

	if (platform_keys == NULL)
		return;
	jwks_options_of(cfg, &o);
	jwks_cache_set_options(platform_keys, &o);
}

jwks_cache *
lti_jwks_cache(void)
{
	return platform_keys;
}

void
lti_shutdown(void)
{
	if (platform_keys)
		jwks_cache_free(platform_keys);
	platform_keys = NULL;
}

/* ---- a growing string buffer ------------------------------------------ */

typedef struct sbuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	int			oom;
} sbuf;

static void
sb_add(sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap)
	{
		size_t		ncap = b->cap ? b->cap * 2 : 4096;
		char	   *nd;

		while (ncap < b->len + n + 1)
			ncap *= 2;
		nd = realloc(b->data, ncap);
		if (nd == NULL)
		{
			b->oom = 1;
			return;
		}
		b->data = nd;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
sb_puts(sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void
sb_printf(sbuf *b, const char *fmt,...)
{
	char		tmp[1024];
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t) n >= sizeof(tmp))
	{
		b->oom = 1;
		return;
	}
	sb_add(b, tmp, (size_t) n);
}

/* text or attribute value, HTML-escaped */
static void
sb_html(sbuf *b, const char *s)
{
	for (; s && *s; s++)
	{
		switch (*s)
		{
			case '&':
				sb_puts(b, "&amp;");
				break;
			case '<':
				sb_puts(b, "&lt;");
				break;
			case '>':
				sb_puts(b, "&gt;");
				break;
			case '"':
				sb_puts(b, "&quot;");
				break;
			case '\'':
				sb_puts(b, "&#39;");
				break;
			default:
				sb_add(b, s, 1);
		}
	}
}

/* a value percent-encoded for a query string */
static void
sb_urlenc(sbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *c = (const unsigned char *) s; c && *c; c++)
	{
		if (isalnum(*c) || *c == '-' || *c == '.' || *c == '_' || *c == '~')
			sb_add(b, (const char *) c, 1);
		else
		{
			char		e[3] = {'%', hex[*c >> 4], hex[*c & 15]};

			sb_add(b, e, 3);
		}
	}
}

/* ---- pages ------------------------------------------------------------ */

static void
page_begin(sbuf *b, const char *title, const char *view)
{
	sb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
	sb_html(b, title);
	sb_puts(b, "</title><style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;"
			"padding:0 1rem;line-height:1.5;color:#1b1b1b}h1{font-size:1.4rem}"
			".muted{color:#555}button{font:inherit;padding:.4rem .8rem;margin:.2rem 0;cursor:pointer}"
			"li{margin:.3rem 0}</style></head><body><main data-view=\"");
	sb_html(b, view);
	sb_puts(b, "\"");
}

static unsigned int
page_send(struct MHD_Connection *conn, http_request *req, unsigned int status, sbuf *b)
{
	unsigned int rc;

	sb_puts(b, "</main></body></html>\n");
	if (b->oom)
	{
		free(b->data);
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	req->html = 1;
	rc = respond(conn, req, status, "text/html; charset=utf-8", b->data, b->len,
				 MHD_RESPMEM_MUST_COPY);
	free(b->data);
	return rc;
}

/* every failure code this file reports, so that logs and metrics hold fixed labels only */
static const char *const failure_codes[] = {
	"id_token_missing", "state_missing", "state_cookie_missing", "state_mismatch",
	"missing_state", "unknown_state", "state_used", "state_expired", "nonce_mismatch",
	"target_link_uri_mismatch", "db_unavailable", "not_instructor", "context_missing",
	"dl_type_not_accepted", "bad_return_url", "dl_missing", "dl_unknown", "dl_used", "dl_expired",
	"credential_type_unknown", "credential_type_missing", "invite_missing", "invite_unknown",
	"invite_used", "invite_expired", "openid_configuration_missing",
	"openid_configuration_unavailable", "issuer_mismatch", "registration_failed",
	"public_base_url_unset", "unsupported_message_type", "bad_request",
};

static const char *
failure_label(const char *code)
{
	for (size_t i = 0; i < sizeof(failure_codes) / sizeof(failure_codes[0]); i++)
		if (strcmp(code, failure_codes[i]) == 0)
			return failure_codes[i];
	return "other";
}

/*
 * A refused request: the code (a fixed label or an idtoken reason code)
 * in X-LTI-Error, the log line and the launch failure counter.
 */
static unsigned int
refuse(struct MHD_Connection *conn, http_request *req, unsigned int status, const char *code,
	   const char *message)
{
	sbuf		b = {0};

	req->lti_error = code;
	req->reason = code;
	metrics_launch_failure(code);
	page_begin(&b, "microcred: request refused", "error");
	sb_puts(&b, " data-reason=\"");
	sb_html(&b, code);
	sb_puts(&b, "\"><h1>This request was refused</h1><p>");
	sb_html(&b, message);
	sb_puts(&b, "</p><p class=\"muted\">Reason code: <code>");
	sb_html(&b, code);
	sb_puts(&b, "</code>. Open the tool again from your course; if it keeps failing, "
			"give this code to your LMS administrator.</p>");
	return page_send(conn, req, status, &b);
}

static unsigned int
db_down(struct MHD_Connection *conn, http_request *req, const char *reason)
{
	unsigned int rc = refuse(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "db_unavailable",
							 "The credential database is not reachable right now. Try again in a minute.");

	req->reason = db_reason_label(reason);
	return rc;
}

/* a CSP nonce for a page's one script */
static void
make_script_nonce(http_request *req)
{
	unsigned char r[16];

	if (getrandom(r, sizeof(r), 0) != (ssize_t) sizeof(r))
	{
		req->script_nonce[0] = '\0';
		return;
	}
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(req->script_nonce + 2 * i, 3, "%02x", r[i]);
}

/* is any role an instructor-like one (LIS context or institution role)? */
static int
is_instructor(json_t *roles)
{
	static const char *const marks[] = {
		"membership#Instructor", "membership/Instructor#", "membership#ContentDeveloper",
		"membership#Administrator", "institution/person#Administrator",
		"system/person#Administrator", "system/person#SysAdmin",
	};
	static const char *const shorts[] = {"Instructor", "ContentDeveloper", "Administrator"};
	size_t		i;
	json_t	   *v;

	json_array_foreach(roles, i, v)
	{
		const char *r = json_string_value(v);

		if (r == NULL)
			continue;
		for (size_t k = 0; k < sizeof(marks) / sizeof(marks[0]); k++)
			if (strstr(r, marks[k]) != NULL)
				return 1;
		for (size_t k = 0; k < sizeof(shorts) / sizeof(shorts[0]); k++)
			if (strcmp(r, shorts[k]) == 0)
				return 1;
	}
	return 0;
}

/* a string member of an object member of the payload, or NULL */
static const char *
claim_member(json_t *payload, const char *claim, const char *member)
{
	json_t	   *o = json_object_get(payload, claim);

	return json_is_object(o) ? json_string_value(json_object_get(o, member)) : NULL;
}

/* ---- the launch ------------------------------------------------------- */

typedef struct login_row
{
	char	   *problem;		/* NULL: fine */
	char	   *platform_id;
	char	   *platform_issuer;
	char	   *client_id;
	char	   *jwks_url;
	char	   *target_link_uri;
	json_t	   *algorithms;		/* array of strings */
	json_t	   *deployment_ids; /* array of strings */
} login_row;

static void
login_row_free(login_row *l)
{
	free(l->problem);
	free(l->platform_id);
	free(l->platform_issuer);
	free(l->client_id);
	free(l->jwks_url);
	free(l->target_link_uri);
	json_decref(l->algorithms);
	json_decref(l->deployment_ids);
	memset(l, 0, sizeof(*l));
}

static char *
value_or_null(PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? NULL : strdup(PQgetvalue(res, 0, col));
}

static unsigned int launch_resource_link(struct MHD_Connection *conn, http_request *req,
										 const login_row *l, idt_claims *c);
static unsigned int launch_deep_linking(struct MHD_Connection *conn, http_request *req,
										const login_row *l, idt_claims *c);

unsigned int
lti_handle_launch(struct MHD_Connection *conn, http_request *req)
{
	const char *body = req->body ? req->body : "";
	size_t		cap = req->body_len + 1;
	char	   *token = malloc(cap);
	char		state[128];
	const char *cookie;
	char	   *nonce = NULL;
	login_row	l = {0};
	PGresult   *res = NULL;
	char		reason[64];
	char		sqlstate[6];
	const char *values[2];
	idt_claims *claims = NULL;
	idt_error	err;
	idt_reason	r;
	unsigned int rc;
	int			q;

	if (token == NULL)
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	if (form_value(body, "id_token", token, cap) != 1 || token[0] == '\0')
	{
		free(token);
		return refuse(conn, req, MHD_HTTP_BAD_REQUEST, "id_token_missing",
					  "The launch did not carry an id_token.");
	}
	if (form_value(body, "state", state, sizeof(state)) != 1 || state[0] == '\0')
	{
		free(token);
		return refuse(conn, req, MHD_HTTP_BAD_REQUEST, "state_missing",
					  "The launch did not carry the login state.");
	}
	/* the state must come back to the browser that started the login */
	cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "mc_lti_state");
	if (cookie == NULL || cookie[0] == '\0')
	{
		free(token);
		return refuse(conn, req, MHD_HTTP_UNAUTHORIZED, "state_cookie_missing",
					  "This browser did not start the login of this launch (no state cookie). "
					  "If the LMS shows the tool in a frame, the browser may block third-party cookies: open it in a new window.");
	}
	if (strlen(cookie) != strlen(state) || CRYPTO_memcmp(cookie, state, strlen(state)) != 0)
	{
		free(token);
		return refuse(conn, req, MHD_HTTP_UNAUTHORIZED, "state_mismatch",
					  "The launch's state is not the one this browser's login started with.");
	}

	/* spend the state; the registration it names is what the token must match */
	idt_peek_nonce(token, strlen(token), &nonce);
	values[0] = state;
	values[1] = nonce ? nonce : "";
	q = db_query(req->cfg->db_conninfo, req->cfg->db_timeout_ms,
				 "SELECT problem, platform_id, platform_issuer, client_id, jwks_url, target_link_uri, "
				 "array_to_json(algorithms)::text, array_to_json(deployment_ids)::text "
				 "FROM microcred.lti_consume_login($1, $2)",
				 2, values, &res, sqlstate, reason, sizeof(reason));
	if (q != 0 || PQntuples(res) != 1 || PQnfields(res) != 8)
	{
		if (res)
			PQclear(res);
		free(token);
		free(nonce);
		return db_down(conn, req, q == 1 ? "query_failed" : reason);
	}
	l.problem = value_or_null(res, 0);
	if (l.problem == NULL || strcmp(l.problem, "nonce_mismatch") == 0)
	{
		l.platform_id = value_or_null(res, 1);
		l.platform_issuer = value_or_null(res, 2);
		l.client_id = value_or_null(res, 3);
		l.jwks_url = value_or_null(res, 4);
		l.target_link_uri = value_or_null(res, 5);
		l.algorithms = PQgetisnull(res, 0, 6) ? NULL : json_loads(PQgetvalue(res, 0, 6), 0, NULL);
		l.deployment_ids = PQgetisnull(res, 0, 7) ? json_array()
			: json_loads(PQgetvalue(res, 0, 7), 0, NULL);
	}
	PQclear(res);
	if (l.problem != NULL && strcmp(l.problem, "nonce_mismatch") != 0)
	{
		const char *code = failure_label(l.problem);

		free(token);
		free(nonce);
		login_row_free(&l);
		return refuse(conn, req, MHD_HTTP_UNAUTHORIZED, code,
					  strcmp(code, "state_expired") == 0 ? "The login took too long. Open the tool again."
					  : strcmp(code, "state_used") == 0 ? "This launch was already used. Open the tool again."
					  : "The launch's state is not known here.");
	}
	if (l.platform_id == NULL || l.jwks_url == NULL || !json_is_array(l.algorithms) ||
		!json_is_array(l.deployment_ids))
	{
		free(token);
		free(nonce);
		login_row_free(&l);
		return db_down(conn, req, "query_failed");
	}

	/* the token, against the registration */
	{
		const char *algs[16];
		const char **deps;
		size_t		n_algs = 0,
					n_deps = 0,
					i;
		json_t	   *v;
		idt_registration reg;
		idt_options opt;

		deps = calloc(json_array_size(l.deployment_ids) + 1, sizeof(char *));
		if (deps == NULL)
		{
			free(token);
			free(nonce);
			login_row_free(&l);
			return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
		}
		json_array_foreach(l.algorithms, i, v)
			if (json_is_string(v) && n_algs < sizeof(algs) / sizeof(algs[0]))
			algs[n_algs++] = json_string_value(v);
		json_array_foreach(l.deployment_ids, i, v)
			if (json_is_string(v))
			deps[n_deps++] = json_string_value(v);
		reg.issuer = l.platform_issuer;
		reg.client_id = l.client_id;
		reg.algs = algs;
		reg.n_algs = n_algs;
		reg.deployment_ids = deps;
		reg.n_deployment_ids = n_deps;
		opt.now = time(NULL);
		opt.leeway_s = req->cfg->jwt_leeway_s;
		r = launch_token_verify(platform_keys, l.jwks_url, token, strlen(token), &reg, &opt,
								&claims, &err);
		free(deps);
	}
	free(token);
	if (r != IDT_OK)
	{
		free(nonce);
		login_row_free(&l);
		return refuse(conn, req, r == IDT_JWKS_UNAVAILABLE ? MHD_HTTP_BAD_GATEWAY : MHD_HTTP_UNAUTHORIZED,
					  idt_reason_code(r), err.message);
	}
	if (l.problem != NULL || nonce == NULL || claims->nonce == NULL || strcmp(claims->nonce, nonce) != 0)
	{
		free(nonce);
		login_row_free(&l);
		idt_claims_free(claims);
		return refuse(conn, req, MHD_HTTP_UNAUTHORIZED, "nonce_mismatch",
					  "The id_token's nonce is not the one issued with this login.");
	}
	free(nonce);
	/*
	 * A resource link must carry target_link_uri (idtoken.c checks it); a
	 * deep linking request may omit it, but when it is present it must be
	 * the one the login was started for.
	 */
	if (claims->target_link_uri != NULL &&
		(l.target_link_uri == NULL || strcmp(claims->target_link_uri, l.target_link_uri) != 0))
	{
		login_row_free(&l);
		idt_claims_free(claims);
		return refuse(conn, req, MHD_HTTP_UNAUTHORIZED, "target_link_uri_mismatch",
					  "The id_token's target_link_uri is not the one the login was started for.");
	}
	/* the state did its job: forget it in this browser */
	snprintf(req->cookie, sizeof(req->cookie),
			 "mc_lti_state=; Path=/lti/; Max-Age=0; SameSite=None; Secure; HttpOnly");
	if (strcmp(claims->message_type, "LtiDeepLinkingRequest") == 0)
		rc = launch_deep_linking(conn, req, &l, claims);
	else
		rc = launch_resource_link(conn, req, &l, claims);
	login_row_free(&l);
	idt_claims_free(claims);
	return rc;
}

/*
 * The LMS's own id of the course or user, from the custom claim the tool
 * configuration asks for (Canvas: lms_course_id=$Canvas.course.id,
 * lms_user_id=$Canvas.user.id), when it differs from the LTI ids; its
 * completion events name those.  Digits only: an LMS that does not know
 * the variable leaves "$Canvas.course.id" as it is, which is ignored.
 */
static const char *
lms_id(json_t *payload, const char *key)
{
	const char *v = claim_member(payload, LTI_CLAIM "custom", key);
	size_t		n;

	if (v == NULL)
		return NULL;
	n = strspn(v, "0123456789");
	return (n >= 1 && n <= 20 && v[n] == '\0') ? v : NULL;
}

/* a resource link: the learner's credential or "not yet", or the instructor's view */
static unsigned int
launch_resource_link(struct MHD_Connection *conn, http_request *req, const login_row *l,
					 idt_claims *c)
{
	int			instructor = is_instructor(c->roles);
	const char *values[8];
	PGresult   *res = NULL;
	char		reason[64];
	char		sqlstate[6];
	json_t	   *view;
	const char *kind;
	sbuf		b = {0};
	int			q;

	values[0] = l->platform_id;
	values[1] = claim_member(c->payload, LTI_CLAIM "context", "id");
	values[2] = claim_member(c->payload, LTI_CLAIM "custom", "microcred_credential_type");
	values[3] = c->sub;
	values[4] = json_string_value(json_object_get(c->payload, "email"));
	values[5] = instructor ? "true" : "false";
	values[6] = lms_id(c->payload, "lms_course_id");
	values[7] = lms_id(c->payload, "lms_user_id");
	q = db_query(req->cfg->db_conninfo, req->cfg->db_timeout_ms,
				 "SELECT microcred.lti_launch_view($1::uuid, $2, $3, $4, $5, $6::boolean, $7, $8)::text",
				 8, values, &res, sqlstate, reason, sizeof(reason));
	if (q != 0 || PQntuples(res) != 1)
	{
		if (res)
			PQclear(res);
		return db_down(conn, req, q == 1 ? "query_failed" : reason);
	}
	view = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	kind = json_string_value(json_object_get(view, "view"));
	if (kind == NULL)
	{
		json_decref(view);
		return db_down(conn, req, "query_failed");
	}
	{
		json_t	   *type = json_object_get(view, "credential_type");
		const char *title = json_string_value(json_object_get(type, "title"));
		const char *issuer = json_string_value(json_object_get(view, "issuer_name"));

		if (strcmp(kind, "not-configured") == 0)
		{
			req->reason = "not_configured";
			page_begin(&b, "microcred", "not-configured");
			sb_puts(&b, "><h1>No micro-credential is attached here yet</h1><p>");
			sb_puts(&b, instructor
					? "Add the tool to this course with the LMS's content selection (deep linking) and choose the micro-credential the course awards."
					: "Your teacher has not chosen the micro-credential for this course yet.");
			sb_puts(&b, "</p>");
		}
		else if (strcmp(kind, "instructor") == 0)
		{
			long long	issued = (long long) json_integer_value(json_object_get(view, "issued"));
			json_t	   *eqf = json_object_get(type, "eqf_level");
			json_t	   *ects = json_object_get(type, "ects");

			req->reason = "instructor";
			page_begin(&b, "microcred: course micro-credential", "instructor");
			sb_printf(&b, " data-issued=\"%lld\"><h1>", issued);
			sb_html(&b, title);
			sb_puts(&b, "</h1><p>This course awards this micro-credential from ");
			sb_html(&b, issuer);
			sb_puts(&b, ".");
			if (json_is_integer(eqf))
				sb_printf(&b, " EQF level %lld.", (long long) json_integer_value(eqf));
			if (json_is_number(ects))
				sb_printf(&b, " %g ECTS.", json_number_value(ects));
			sb_printf(&b, "</p><p><strong>%lld</strong> credential%s of this type %s been issued.</p>"
					  "<p class=\"muted\">Credentials are issued when learners complete the course "
					  "(reported by the LMS), never on opening this page.</p>",
					  issued, issued == 1 ? "" : "s", issued == 1 ? "has" : "have");
		}
		else if (strcmp(kind, "learner-credential") == 0)
		{
			json_t	   *cred = json_object_get(view, "credential");
			const char *url = json_string_value(json_object_get(cred, "url"));
			const char *id = json_string_value(json_object_get(cred, "id"));
			const char *status = json_string_value(json_object_get(cred, "status"));
			const char *date = json_string_value(json_object_get(cred, "issued_at"));

			req->reason = "learner_credential";
			page_begin(&b, "microcred: your micro-credential", "learner-credential");
			sb_puts(&b, " data-status=\"");
			sb_html(&b, status);
			sb_puts(&b, "\"><h1>");
			sb_html(&b, title);
			sb_puts(&b, "</h1><p>Awarded by ");
			sb_html(&b, issuer);
			sb_puts(&b, " on <time>");
			sb_html(&b, date);
			sb_puts(&b, "</time>. Status: <strong>");
			sb_html(&b, status);
			sb_puts(&b, "</strong>.</p><ul><li><a data-link=\"json\" href=\"");
			sb_html(&b, url);
			sb_puts(&b, "\" download>Download the credential (JSON, W3C Verifiable Credential)</a></li>"
					"<li><a data-link=\"jwt\" href=\"");
			sb_html(&b, url);
			sb_puts(&b, "?format=jwt\" download>Download it as a JWT</a></li>"
					"<li>Public verification URL (give it to employers): <a data-link=\"public\" href=\"");
			sb_html(&b, url);
			sb_puts(&b, "\">");
			sb_html(&b, url);
			sb_puts(&b, "</a></li><li><a data-link=\"linkedin\" rel=\"noopener\" target=\"_blank\" href=\"");
			{
				sbuf		li = {0};

				sb_puts(&li, "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name=");
				sb_urlenc(&li, title);
				sb_puts(&li, "&organizationName=");
				sb_urlenc(&li, issuer);
				sb_printf(&li, "&issueYear=%lld&issueMonth=%lld&certUrl=",
						  (long long) json_integer_value(json_object_get(cred, "issued_year")),
						  (long long) json_integer_value(json_object_get(cred, "issued_month")));
				sb_urlenc(&li, url);
				sb_puts(&li, "&certId=");
				sb_urlenc(&li, id);
				if (li.oom)
					b.oom = 1;
				else
					sb_html(&b, li.data);
				free(li.data);
			}
			sb_puts(&b, "\">Add to your LinkedIn profile</a></li></ul>");
		}
		else
		{
			req->reason = "learner_pending";
			page_begin(&b, "microcred: not yet complete", "learner-pending");
			sb_puts(&b, "><h1>");
			sb_html(&b, title);
			sb_puts(&b, "</h1><p>Not yet complete: this micro-credential from ");
			sb_html(&b, issuer);
			sb_puts(&b, " is issued when you complete the course. Come back here afterwards to "
					"download it and share it.</p>");
		}
	}
	json_decref(view);
	return page_send(conn, req, MHD_HTTP_OK, &b);
}

/* an instructor's deep linking request: choose the course's micro-credential */
static unsigned int
launch_deep_linking(struct MHD_Connection *conn, http_request *req, const login_row *l,
					idt_claims *c)
{
	json_t	   *settings = json_object_get(c->payload, LTI_DL_CLAIM "deep_linking_settings");
	json_t	   *accept = json_object_get(settings, "accept_types");
	const char *values[7];
	PGresult   *res = NULL;
	char		reason[64];
	char		sqlstate[6];
	char	   *handle;
	sbuf		b = {0};
	int			q;
	int			ok_type = 0;
	size_t		i;
	json_t	   *v;

	if (!is_instructor(c->roles))
		return refuse(conn, req, MHD_HTTP_FORBIDDEN, "not_instructor",
					  "Only teachers and course designers choose the course's micro-credential.");
	json_array_foreach(accept, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), "ltiResourceLink") == 0)
		ok_type = 1;
	if (!ok_type)
		return refuse(conn, req, MHD_HTTP_BAD_REQUEST, "dl_type_not_accepted",
					  "The LMS does not accept LTI resource links here.");
	values[0] = l->platform_id;
	values[1] = c->deployment_id;
	values[2] = claim_member(c->payload, LTI_CLAIM "context", "id");
	values[3] = claim_member(c->payload, LTI_CLAIM "context", "title");
	values[4] = c->deep_link_return_url;
	values[5] = json_string_value(json_object_get(settings, "data"));
	values[6] = lms_id(c->payload, "lms_course_id");
	q = db_query(req->cfg->db_conninfo, req->cfg->db_timeout_ms,
				 "SELECT microcred.lti_begin_deep_link($1::uuid, $2, $3, $4, $5, $6, lms_course_id => $7)",
				 7, values, &res, sqlstate, reason, sizeof(reason));
	if (q == 1)
	{
		if (strcmp(sqlstate, "23502") == 0)
			return refuse(conn, req, MHD_HTTP_BAD_REQUEST, "context_missing",
						  "Add the tool from inside a course: the request names no course.");
		if (strcmp(sqlstate, "22023") == 0)
			return refuse(conn, req, MHD_HTTP_BAD_REQUEST, "bad_return_url",
						  "The LMS's deep linking return URL is not https.");
		return db_down(conn, req, "query_failed");
	}
	if (q != 0 || PQntuples(res) != 1)
	{
		if (res)
			PQclear(res);
		return db_down(conn, req, reason);
	}
	handle = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	res = NULL;
	q = db_query(req->cfg->db_conninfo, req->cfg->db_timeout_ms,
				 "SELECT id, code, title, eqf_level, ects, workload_hours "
				 "FROM microcred.lti_credential_choices($1::uuid)",
				 1, values, &res, sqlstate, reason, sizeof(reason));
	if (q != 0 || handle == NULL)
	{
		free(handle);
		if (res)
			PQclear(res);
		return db_down(conn, req, q == 1 ? "query_failed" : reason);
	}
	req->reason = "deep_linking";
	page_begin(&b, "microcred: choose the micro-credential", "deep-linking");
	sb_puts(&b, "><h1>Which micro-credential does this course award?</h1>");
	if (PQntuples(res) == 0)
		sb_puts(&b, "<p>The awarding body has no micro-credential types yet. Define one with "
				"microcred.define_credential first.</p>");
	else
	{
		sb_puts(&b, "<form method=\"post\" action=\"/lti/deep-link\"><input type=\"hidden\" name=\"dl\" value=\"");
		sb_html(&b, handle);
		sb_puts(&b, "\"><ul>");
		for (int row = 0; row < PQntuples(res); row++)
		{
			sb_puts(&b, "<li><button type=\"submit\" name=\"credential_type\" value=\"");
			sb_html(&b, PQgetvalue(res, row, 0));
			sb_puts(&b, "\">");
			sb_html(&b, PQgetvalue(res, row, 2));
			sb_puts(&b, "</button> <span class=\"muted\">");
			if (!PQgetisnull(res, row, 3))
			{
				sb_puts(&b, "EQF level ");
				sb_html(&b, PQgetvalue(res, row, 3));
			}
			if (!PQgetisnull(res, row, 4))
			{
				sb_puts(&b, " · ");
				sb_html(&b, PQgetvalue(res, row, 4));
				sb_puts(&b, " ECTS");
			}
			else if (!PQgetisnull(res, row, 5))
			{
				sb_puts(&b, " · ");
				sb_html(&b, PQgetvalue(res, row, 5));
				sb_puts(&b, " hours");
			}
			sb_puts(&b, " · ");
			sb_html(&b, PQgetvalue(res, row, 1));
			sb_puts(&b, "</span></li>");
		}
		sb_puts(&b, "</ul></form>");
	}
	free(handle);
	PQclear(res);
	return page_send(conn, req, MHD_HTTP_OK, &b);
}

/* POST /lti/deep-link: the instructor chose; answer the platform with a signed response */
unsigned int
lti_handle_deep_link(struct MHD_Connection *conn, http_request *req)
{
	const char *body = req->body ? req->body : "";
	char		dl[128],
				type[160],
				launch_url[1100];
	const char *values[3];
	PGresult   *res = NULL;
	char		reason[64];
	char		sqlstate[6];
	sbuf		b = {0};
	int			q;

	if (form_value(body, "dl", dl, sizeof(dl)) != 1 || dl[0] == '\0')
		return refuse(conn, req, MHD_HTTP_BAD_REQUEST, "dl_missing",
					  "The choice did not carry its deep linking request.");
	if (form_value(body, "credential_type", type, sizeof(type)) != 1 || type[0] == '\0')
		return refuse(conn, req, MHD_HTTP_BAD_REQUEST, "credential_type_missing",
					  "Choose one of the micro-credentials.");
	if (req->cfg->public_base_url[0] == '\0')
		return refuse(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "public_base_url_unset",
					  "The tool's public_base_url is not configured.");
	snprintf(launch_url, sizeof(launch_url), "%s/lti/launch", req->cfg->public_base_url);
	values[0] = dl;
	values[1] = type;
	values[2] = launch_url;
	q = db_query(req->cfg->db_conninfo, req->cfg->db_timeout_ms,
				 "SELECT problem, return_url, jwt, title FROM microcred.lti_finish_deep_link($1, $2, $3)",
				 3, values, &res, sqlstate, reason, sizeof(reason));
	if (q != 0 || PQntuples(res) != 1)
	{
		if (res)
			PQclear(res);
		return db_down(conn, req, q == 1 ? "query_failed" : reason);
	}
	if (!PQgetisnull(res, 0, 0))
	{
		const char *code = failure_label(PQgetvalue(res, 0, 0));

		PQclear(res);
		return refuse(conn, req,
					  strcmp(code, "credential_type_unknown") == 0 ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_UNAUTHORIZED,
					  code,
					  strcmp(code, "credential_type_unknown") == 0
					  ? "That micro-credential is not one of this awarding body's."
					  : "This choice page was already used or has expired. Start again from the LMS.");
	}
	make_script_nonce(req);
	req->reason = "deep_linking_response";
	page_begin(&b, "microcred: returning to the LMS", "deep-linking-response");
	sb_puts(&b, "><h1>");
	sb_html(&b, PQgetvalue(res, 0, 3));
	sb_puts(&b, "</h1><p>Returning to the LMS…</p><form id=\"dl-response\" method=\"post\" action=\"");
	sb_html(&b, PQgetvalue(res, 0, 1));
	sb_puts(&b, "\"><input type=\"hidden\" name=\"JWT\" value=\"");
	sb_html(&b, PQgetvalue(res, 0, 2));
	sb_puts(&b, "\"><noscript><button type=\"submit\">Continue</button></noscript></form><script nonce=\"");
	sb_html(&b, req->script_nonce);
	sb_puts(&b, "\">document.getElementById('dl-response').submit();</script>");
	PQclear(res);
	return page_send(conn, req, MHD_HTTP_OK, &b);
}

/* GET /lti/jwks: the tool's public keys (from the database, which holds the private ones) */
unsigned int
lti_handle_jwks(struct MHD_Connection *conn, http_request *req)
{
	PGresult   *res = NULL;
	char		reason[64];
	char		sqlstate[6];
	unsigned int rc;
	int			q;

	q = db_query(req->cfg->db_conninfo, req->cfg->db_timeout_ms,
				 "SELECT microcred.lti_tool_jwks()::text", 0, NULL, &res, sqlstate, reason,
				 sizeof(reason));
	if (q != 0 || PQntuples(res) != 1)
	{
		if (res)
			PQclear(res);
		req->reason = db_reason_label(q == 1 ? "query_failed" : reason);
		return respond_text(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "temporarily unavailable\n");
	}
	/* short: platforms refetch on an unknown kid anyway, and a rotation shows up soon */
	req->max_age = 300;
	rc = respond(conn, req, MHD_HTTP_OK, "application/jwk-set+json", PQgetvalue(res, 0, 0),
				 (size_t) PQgetlength(res, 0, 0), MHD_RESPMEM_MUST_COPY);
	PQclear(res);
	return rc;
}

/* ---- configuration documents ------------------------------------------ */

/* the tool's LTI messages, as Dynamic Registration and Canvas want them */
static json_t *
tool_messages(const char *base)
{
	char		launch[1100];

	snprintf(launch, sizeof(launch), "%s/lti/launch", base);
	return json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}]",
					 "type", "LtiDeepLinkingRequest", "target_link_uri", launch,
					 "label", "Micro-credential (microcred)",
					 "type", "LtiResourceLinkRequest", "target_link_uri", launch,
					 "label", "Micro-credential (microcred)");
}

static unsigned int
respond_json(struct MHD_Connection *conn, http_request *req, unsigned int status, json_t *doc)
{
	char	   *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
	unsigned int rc;

	json_decref(doc);
	if (text == NULL)
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	rc = respond(conn, req, status, "application/json", text, strlen(text), MHD_RESPMEM_MUST_COPY);
	free(text);
	return rc;
}

/* GET /lti/canvas.json: the Canvas developer key configuration ("Enter URL") */
unsigned int
lti_handle_canvas_config(struct MHD_Connection *conn, http_request *req)
{
	const char *base = req->cfg->public_base_url;
	char		login[1100],
				launch[1100],
				jwks[1100],
				domain[512];
	const char *host;

	if (base[0] == '\0')
	{
		req->reason = "public_base_url_unset";
		return respond_text(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE,
							"public_base_url is not configured\n");
	}
	snprintf(login, sizeof(login), "%s/lti/login", base);
	snprintf(launch, sizeof(launch), "%s/lti/launch", base);
	snprintf(jwks, sizeof(jwks), "%s/lti/jwks", base);
	host = strstr(base, "://");
	snprintf(domain, sizeof(domain), "%.*s", (int) strcspn(host ? host + 3 : base, "/"),
			 host ? host + 3 : base);
	return respond_json(conn, req, MHD_HTTP_OK, json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:[], s:[{s:s, s:s, s:s, s:{s:s, s:[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}]}}], s:{s:s, s:s}}",
		"title", "microcred",
		"description", "EU micro-credentials: learners see and share the verifiable micro-credential a course awards.",
		"oidc_initiation_url", login,
		"target_link_uri", launch,
		"public_jwk_url", jwks,
		"scopes",
		"extensions",
		"platform", "canvas.instructure.com", "privacy_level", "public", "domain", domain,
		"settings", "text", "Micro-credential", "placements",
		"placement", "course_navigation", "message_type", "LtiResourceLinkRequest",
		"target_link_uri", launch, "text", "Micro-credential",
		"placement", "link_selection", "message_type", "LtiDeepLinkingRequest",
		"target_link_uri", launch, "text", "Micro-credential",
		"placement", "assignment_selection", "message_type", "LtiDeepLinkingRequest",
		"target_link_uri", launch, "text", "Micro-credential",
		"custom_fields",
		/* Canvas's own ids, which its Live Events name (lti.c lms_id) */
		"lms_course_id", "$Canvas.course.id", "lms_user_id", "$Canvas.user.id"));
}

/* ---- Dynamic Registration --------------------------------------------- */

typedef struct fetch_buf
{
	char	   *data;
	size_t		len;
	size_t		max;
	int			too_large;
} fetch_buf;

static size_t
on_fetch_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	fetch_buf  *b = userdata;
	size_t		n = size * nmemb;
	char	   *nd;

	if (n > b->max - b->len)
	{
		b->too_large = 1;
		return 0;
	}
	nd = realloc(b->data, b->len + n + 1);
	if (nd == NULL)
		return 0;
	b->data = nd;
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* https, or http on loopback (tests, make run) */
static int
acceptable_url(const char *u)
{
	static const char *const loop[] = {"http://127.0.0.1", "http://localhost", "http://[::1]"};

	if (u == NULL)
		return 0;
	if (strncmp(u, "https://", 8) == 0 && u[8] != '\0' && u[8] != '/')
		return 1;
	for (size_t i = 0; i < sizeof(loop) / sizeof(loop[0]); i++)
	{
		size_t		n = strlen(loop[i]);

		if (strncmp(u, loop[i], n) == 0 && (u[n] == ':' || u[n] == '/' || u[n] == '\0'))
			return 1;
	}
	return 0;
}

/* scheme://host[:port] of a URL, into out */
static void
origin_of(const char *u, char *out, size_t outlen)
{
	const char *p = strstr(u, "://");
	size_t		n = p ? (size_t) (p - u) + 3 + strcspn(p + 3, "/?#") : 0;

	snprintf(out, outlen, "%.*s", (int) n, u);
}

/*
 * GET or POST a JSON document with bounded time and size; no redirects.
 * Returns the parsed object or NULL; *status is the HTTP status (0 when
 * there was no answer).
 */
static json_t *
fetch_json(const bridge_config *cfg, const char *url, const char *bearer, const char *post_body,
		   long *status)
{
	CURL	   *curl = curl_easy_init();
	struct curl_slist *h = NULL;
	fetch_buf	b = {NULL, 0, (size_t) cfg->jwks_max_bytes, 0};
	json_t	   *doc = NULL;
	CURLcode	cc;

	*status = 0;
	if (curl == NULL)
		return NULL;
	h = curl_slist_append(h, "Accept: application/json");
	if (post_body)
		h = curl_slist_append(h, "Content-Type: application/json");
	if (bearer && bearer[0])
	{
		size_t		n = strlen(bearer) + 32;
		char	   *auth = malloc(n);

		if (auth)
		{
			snprintf(auth, n, "Authorization: Bearer %s", bearer);
			h = curl_slist_append(h, auth);
			free(auth);
		}
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long) cfg->jwks_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long) cfg->jwks_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "microcred-bridge");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_fetch_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	if (post_body)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post_body);
	cc = curl_easy_perform(curl);
	if (cc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	curl_easy_cleanup(curl);
	if (cc == CURLE_OK && b.data != NULL && !b.too_large)
	{
		doc = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, NULL);
		if (doc != NULL && !json_is_object(doc))
		{
			json_decref(doc);
			doc = NULL;
		}
	}
	free(b.data);
	return doc;
}

static const char *
str_of(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return (s != NULL && s[0] != '\0') ? s : NULL;
}

/*
 * GET /lti/register?invite=..&openid_configuration=..&registration_token=..
 * LTI Dynamic Registration 1.0: read the platform's configuration, register
 * the tool there, store the platform, close the window.
 */
unsigned int
lti_handle_register(struct MHD_Connection *conn, http_request *req)
{
	const bridge_config *cfg = req->cfg;
	const char *invite = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "invite");
	const char *oc_url = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "openid_configuration");
	const char *reg_token = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "registration_token");
	const char *base = cfg->public_base_url;
	const char *values[8];
	PGresult   *res = NULL;
	char		reason[64];
	char		sqlstate[6];
	char		o1[512],
				o2[512];
	long		status;
	json_t	   *oc,
			   *answer,
			   *tool;
	const char *issuer,
			   *auth_url,
			   *jwks_uri,
			   *token_url,
			   *reg_url,
			   *client_id,
			   *deployment_id,
			   *product;
	char	   *body;
	sbuf		b = {0};
	int			q;

	if (base[0] == '\0')
		return refuse(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "public_base_url_unset",
					  "The tool's public_base_url is not configured.");
	values[0] = invite ? invite : "";
	q = db_query(cfg->db_conninfo, cfg->db_timeout_ms, "SELECT microcred.lti_check_invite($1)",
				 1, values, &res, sqlstate, reason, sizeof(reason));
	if (q != 0 || PQntuples(res) != 1)
	{
		if (res)
			PQclear(res);
		return db_down(conn, req, q == 1 ? "query_failed" : reason);
	}
	if (!PQgetisnull(res, 0, 0))
	{
		const char *code = failure_label(PQgetvalue(res, 0, 0));

		PQclear(res);
		return refuse(conn, req, strcmp(code, "invite_missing") == 0 ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_UNAUTHORIZED,
					  code, "This registration link is not valid (unknown, already used or expired). "
					  "Ask the microcred administrator for a new one: SELECT microcred.lti_registration_invite(...).");
	}
	PQclear(res);
	if (oc_url == NULL || !acceptable_url(oc_url))
		return refuse(conn, req, MHD_HTTP_BAD_REQUEST, "openid_configuration_missing",
					  "The LMS did not pass its openid_configuration URL (https).");

	oc = fetch_json(cfg, oc_url, NULL, NULL, &status);
	if (oc == NULL || status != 200)
	{
		json_decref(oc);
		return refuse(conn, req, MHD_HTTP_BAD_GATEWAY, "openid_configuration_unavailable",
					  "The LMS's openid-configuration could not be read.");
	}
	issuer = str_of(oc, "issuer");
	auth_url = str_of(oc, "authorization_endpoint");
	jwks_uri = str_of(oc, "jwks_uri");
	token_url = str_of(oc, "token_endpoint");
	reg_url = str_of(oc, "registration_endpoint");
	product = str_of(json_object_get(oc, "https://purl.imsglobal.org/spec/lti-platform-configuration"),
					 "product_family_code");
	origin_of(oc_url, o1, sizeof(o1));
	if (issuer != NULL)
		origin_of(issuer, o2, sizeof(o2));
	if (issuer == NULL || !acceptable_url(issuer) || strcmp(o1, o2) != 0)
	{
		json_decref(oc);
		return refuse(conn, req, MHD_HTTP_BAD_REQUEST, "issuer_mismatch",
					  "The openid-configuration's issuer is not the site it was read from.");
	}
	if (!acceptable_url(auth_url) || !acceptable_url(jwks_uri) || !acceptable_url(reg_url) ||
		(token_url != NULL && !acceptable_url(token_url)))
	{
		json_decref(oc);
		return refuse(conn, req, MHD_HTTP_BAD_GATEWAY, "registration_failed",
					  "The openid-configuration lacks an https authorization, JWKS or registration endpoint.");
	}

	/* the tool configuration (LTI Dynamic Registration 1.0, section 3.3) */
	{
		char		login[1100],
					launch[1100],
					jwks[1100],
					domain[512];
		const char *h = strstr(base, "://");

		snprintf(login, sizeof(login), "%s/lti/login", base);
		snprintf(launch, sizeof(launch), "%s/lti/launch", base);
		snprintf(jwks, sizeof(jwks), "%s/lti/jwks", base);
		snprintf(domain, sizeof(domain), "%.*s", (int) strcspn(h ? h + 3 : base, "/"), h ? h + 3 : base);
		tool = json_pack("{s:s, s:[s], s:[s, s], s:s, s:[s], s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:[s, s, s, s, s], s:o}}",
						 "application_type", "web",
						 "response_types", "id_token",
						 "grant_types", "implicit", "client_credentials",
						 "initiate_login_uri", login,
						 "redirect_uris", launch,
						 "client_name", "microcred",
						 "jwks_uri", jwks,
						 "token_endpoint_auth_method", "private_key_jwt",
						 "scope", "",
						 "https://purl.imsglobal.org/spec/lti-tool-configuration",
						 "domain", domain,
						 "description", "EU micro-credentials: learners see and share the verifiable micro-credential a course awards.",
						 "target_link_uri", launch,
						 "claims", "iss", "sub", "name", "given_name", "email",
						 "messages", tool_messages(base));
	}
	body = tool ? json_dumps(tool, JSON_COMPACT) : NULL;
	json_decref(tool);
	answer = body ? fetch_json(cfg, reg_url, reg_token, body, &status) : NULL;
	free(body);
	client_id = str_of(answer, "client_id");
	deployment_id = str_of(json_object_get(answer, "https://purl.imsglobal.org/spec/lti-tool-configuration"),
						   "deployment_id");
	if (answer == NULL || (status != 200 && status != 201) || client_id == NULL)
	{
		json_decref(answer);
		json_decref(oc);
		return refuse(conn, req, MHD_HTTP_BAD_GATEWAY, "registration_failed",
					  "The LMS did not accept the tool's registration.");
	}
	values[0] = invite;
	values[1] = product ? product : issuer;
	values[2] = issuer;
	values[3] = client_id;
	values[4] = auth_url;
	values[5] = jwks_uri;
	values[6] = token_url;
	values[7] = deployment_id;
	q = db_query(cfg->db_conninfo, cfg->db_timeout_ms,
				 "SELECT problem FROM microcred.lti_complete_registration($1, $2, $3, $4, $5, $6, $7, $8)",
				 8, values, &res, sqlstate, reason, sizeof(reason));
	json_decref(answer);
	json_decref(oc);
	if (q == 1)
		return refuse(conn, req, MHD_HTTP_BAD_GATEWAY, "registration_failed",
					  "The LMS's registration could not be stored (an endpoint that is not https?).");
	if (q != 0 || PQntuples(res) != 1)
	{
		if (res)
			PQclear(res);
		return db_down(conn, req, reason);
	}
	if (!PQgetisnull(res, 0, 0))
	{
		const char *code = failure_label(PQgetvalue(res, 0, 0));

		PQclear(res);
		return refuse(conn, req, MHD_HTTP_UNAUTHORIZED, code, "This registration link was used meanwhile.");
	}
	PQclear(res);
	make_script_nonce(req);
	req->reason = "registered";
	page_begin(&b, "microcred: registered", "registered");
	sb_puts(&b, "><h1>microcred is registered</h1><p>The LMS can now launch the tool. "
			"Activate it in the LMS's tool list, then add it to a course.</p><script nonce=\"");
	sb_html(&b, req->script_nonce);
	sb_puts(&b, "\">(window.opener || window.parent).postMessage({subject: 'org.imsglobal.lti.close'}, '*');</script>");
	return page_send(conn, req, MHD_HTTP_OK, &b);
}
