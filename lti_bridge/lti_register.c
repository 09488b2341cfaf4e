/*-------------------------------------------------------------------------
 *
 * lti_register.c
 *	  GET /lti/register: LTI Dynamic Registration 1.0.  Reads the
 *	  platform's openid-configuration, registers the tool there, stores the
 *	  platform; both fetches through fetch.c with the registration_* limits.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <microhttpd.h>

#include "db.h"
#include "fetch.h"
#include "form.h"
#include "http_internal.h"
#include "idtoken.h"
#include "launch_token.h"
#include "lti.h"
#include "lti_internal.h"
#include "page.h"

/*
 * GET or POST a JSON object with the registration_* limits; no redirects.
 * The parsed object or NULL; *status is the HTTP status (0 when there was
 * no answer).
 */
static json_t *
fetch_json(const bridge_config *cfg, const char *url, const char *bearer, const char *post_body,
		   long *status)
{
	fetch_limits lim = {cfg->registration_timeout_ms, (size_t) cfg->registration_max_bytes, 0};
	fetch_answer a;
	char		err[160];
	json_t	   *doc = NULL;

	*status = 0;
	if (fetch(NULL, &lim, url, "application/json", bearer, "application/json", post_body,
			  &a, err, sizeof(err)) != 0)
		return NULL;
	*status = a.status;
	if (a.body != NULL)
	{
		doc = json_loadb(a.body, a.len, JSON_REJECT_DUPLICATES, NULL);
		if (doc != NULL && !json_is_object(doc))
		{
			json_decref(doc);
			doc = NULL;
		}
	}
	fetch_answer_free(&a);
	return doc;
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

static const char *
str_of(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return (s != NULL && s[0] != '\0') ? s : NULL;
}

/* the tool configuration (LTI Dynamic Registration 1.0, section 3.3) */
static json_t *
tool_configuration(const char *base)
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
	return json_pack("{s:s, s:[s], s:[s, s], s:s, s:[s], s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:[s, s, s, s, s], s:o}}",
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
					 "messages", lti_tool_messages(base));
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
	unsigned int rc;
	int			q;

	if (base[0] == '\0')
		return lti_refuse(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "public_base_url_unset",
					  "The tool's public_base_url is not configured.");
	values[0] = invite ? invite : "";
	res = lti_query_row(conn, req, "SELECT microcred.lti_check_invite($1)",
						1, values, &rc);
	if (res == NULL)
		return rc;
	if (!PQgetisnull(res, 0, 0))
	{
		const char *code = lti_failure_label(PQgetvalue(res, 0, 0));

		PQclear(res);
		return lti_refuse(conn, req, strcmp(code, "invite_missing") == 0 ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_UNAUTHORIZED,
					  code, "This registration link is not valid (unknown, already used or expired). "
					  "Ask the microcred administrator for a new one: SELECT microcred.lti_registration_invite(...).");
	}
	PQclear(res);
	if (oc_url == NULL || !acceptable_url(oc_url))
		return lti_refuse(conn, req, MHD_HTTP_BAD_REQUEST, "openid_configuration_missing",
					  "The LMS did not pass its openid_configuration URL (https).");

	oc = fetch_json(cfg, oc_url, NULL, NULL, &status);
	if (oc == NULL || status != 200)
	{
		json_decref(oc);
		return lti_refuse(conn, req, MHD_HTTP_BAD_GATEWAY, "openid_configuration_unavailable",
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
		return lti_refuse(conn, req, MHD_HTTP_BAD_REQUEST, "issuer_mismatch",
					  "The openid-configuration's issuer is not the site it was read from.");
	}
	if (!acceptable_url(auth_url) || !acceptable_url(jwks_uri) || !acceptable_url(reg_url) ||
		(token_url != NULL && !acceptable_url(token_url)))
	{
		json_decref(oc);
		return lti_refuse(conn, req, MHD_HTTP_BAD_GATEWAY, "registration_failed",
					  "The openid-configuration lacks an https authorization, JWKS or registration endpoint.");
	}

	tool = tool_configuration(base);
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
		return lti_refuse(conn, req, MHD_HTTP_BAD_GATEWAY, "registration_failed",
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
		return lti_refuse(conn, req, MHD_HTTP_BAD_GATEWAY, "registration_failed",
					  "The LMS's registration could not be stored (an endpoint that is not https?).");
	if (q != 0 || PQntuples(res) != 1)
	{
		if (res)
			PQclear(res);
		return lti_db_down(conn, req, reason);
	}
	if (!PQgetisnull(res, 0, 0))
	{
		const char *code = lti_failure_label(PQgetvalue(res, 0, 0));

		PQclear(res);
		return lti_refuse(conn, req, MHD_HTTP_UNAUTHORIZED, code, "This registration link was used meanwhile.");
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
