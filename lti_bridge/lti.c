/*-------------------------------------------------------------------------
 *
 * lti.c
 *	  What the LTI 1.3 routes share: the platform JWKS cache, the refusal
 *	  page with its fixed failure codes, and reading claims.  The routes:
 *	  lti_login.c, lti_launch.c, lti_deep_link.c, lti_register.c,
 *	  lti_config.c (routes.c lists them).
 *
 *-------------------------------------------------------------------------
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <microhttpd.h>

#include "db.h"
#include "http_internal.h"
#include "jwks.h"
#include "lti.h"
#include "lti_internal.h"
#include "metrics.h"
#include "page.h"

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

/* every failure code the LTI routes report, so that logs and metrics hold fixed labels only */
static const char *const failure_codes[] = {
	"id_token_missing", "state_missing", "state_cookie_missing", "state_mismatch",
	"missing_state", "unknown_state", "state_used", "state_expired", "nonce_mismatch",
	"target_link_uri_mismatch", "db_unavailable", "not_instructor", "context_missing",
	"dl_type_not_accepted", "bad_return_url", "dl_missing", "dl_unknown", "dl_used", "dl_expired",
	"credential_type_unknown", "credential_type_missing", "invite_missing", "invite_unknown",
	"invite_used", "invite_expired", "openid_configuration_missing",
	"openid_configuration_unavailable", "issuer_mismatch", "registration_failed",
	"public_base_url_unset", "unsupported_message_type", "bad_request", "registration_changed",
	"wallet_unknown", "wallet_used", "wallet_expired", "wallet_unavailable", "cross_site",
};

const char *
lti_failure_label(const char *code)
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
unsigned int
lti_refuse(struct MHD_Connection *conn, http_request *req, unsigned int status, const char *code,
	   const char *message)
{
	sbuf		b = {0};

	http_add_header(req, "X-LTI-Error", code);
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

unsigned int
lti_db_down(struct MHD_Connection *conn, http_request *req, const char *reason)
{
	unsigned int rc = lti_refuse(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "db_unavailable",
							 "The credential database is not reachable right now. Try again in a minute.");

	req->reason = db_reason_label(reason);
	return rc;
}

/* is any role an instructor-like one (LIS context or institution role)? */
int
lti_is_instructor(json_t *roles)
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
const char *
lti_claim_member(json_t *payload, const char *claim, const char *member)
{
	json_t	   *o = json_object_get(payload, claim);

	return json_is_object(o) ? json_string_value(json_object_get(o, member)) : NULL;
}

/*
 * The LMS's own id of the course or user, from the custom claim the tool
 * configuration asks for (Canvas: lms_course_id=$Canvas.course.id,
 * lms_user_id=$Canvas.user.id), when it differs from the LTI ids; its
 * completion events name those.  Digits only: an LMS that does not know
 * the variable leaves "$Canvas.course.id" as it is, which is ignored.
 */
const char *
lti_lms_id(json_t *payload, const char *key)
{
	const char *v = lti_claim_member(payload, LTI_CLAIM "custom", key);
	size_t		n;

	if (v == NULL)
		return NULL;
	n = strspn(v, "0123456789");
	return (n >= 1 && n <= 20 && v[n] == '\0') ? v : NULL;
}

/* one row of a statement, or NULL once the 503 db_unavailable page is queued (*rc) */
PGresult *
lti_query_row(struct MHD_Connection *conn, http_request *req, const char *sql, int nparams,
			  const char *const *values, unsigned int *rc)
{
	PGresult   *res = NULL;
	char		reason[64];
	char		sqlstate[6];
	int			q = db_query(req->cfg->db_conninfo, req->cfg->db_timeout_ms, sql, nparams, values,
							 &res, sqlstate, reason, sizeof(reason));

	if (q == 0 && PQntuples(res) == 1)
		return res;
	if (res)
		PQclear(res);
	*rc = lti_db_down(conn, req, q == 1 ? "query_failed" : reason);
	return NULL;
}
