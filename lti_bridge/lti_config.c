/*-------------------------------------------------------------------------
 *
 * lti_config.c
 *	  The tool's configuration documents: GET /lti/jwks (its public keys,
 *	  from the database) and GET /lti/canvas.json (a Canvas developer key).
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
#include <openssl/crypto.h>

#include "db.h"
#include "form.h"
#include "http_internal.h"
#include "idtoken.h"
#include "launch_token.h"
#include "lti.h"
#include "lti_internal.h"
#include "page.h"

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

/* the tool's LTI messages, as Dynamic Registration and Canvas want them */
json_t *
lti_tool_messages(const char *base)
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
		/* Canvas's own ids, which its Live Events name (lti.c lti_lms_id) */
		"lms_course_id", "$Canvas.course.id", "lms_user_id", "$Canvas.user.id"));
}
