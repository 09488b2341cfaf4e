/*-------------------------------------------------------------------------
 *
 * lti_deep_link.c
 *	  LTI Deep Linking: an instructor's deep linking request (after the
 *	  launch checks of lti_launch.c) shows the choice of micro-credential;
 *	  POST /lti/deep-link answers the platform with the response the
 *	  database signed.
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

/* an instructor's deep linking request: choose the course's micro-credential */
unsigned int
lti_launch_deep_linking(struct MHD_Connection *conn, http_request *req, const login_row *l,
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

	if (!lti_is_instructor(c->roles))
		return lti_refuse(conn, req, MHD_HTTP_FORBIDDEN, "not_instructor",
					  "Only teachers and course designers choose the course's micro-credential.");
	json_array_foreach(accept, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), "ltiResourceLink") == 0)
		ok_type = 1;
	if (!ok_type)
		return lti_refuse(conn, req, MHD_HTTP_BAD_REQUEST, "dl_type_not_accepted",
					  "The LMS does not accept LTI resource links here.");
	values[0] = l->platform_id;
	values[1] = c->deployment_id;
	values[2] = lti_claim_member(c->payload, LTI_CLAIM "context", "id");
	values[3] = lti_claim_member(c->payload, LTI_CLAIM "context", "title");
	values[4] = c->deep_link_return_url;
	values[5] = json_string_value(json_object_get(settings, "data"));
	values[6] = lti_lms_id(c->payload, "lms_course_id");
	q = db_query(req->cfg->db_conninfo, req->cfg->db_timeout_ms,
				 "SELECT microcred.lti_begin_deep_link($1::uuid, $2, $3, $4, $5, $6, lms_course_id => $7)",
				 7, values, &res, sqlstate, reason, sizeof(reason));
	if (q == 1)
	{
		if (strcmp(sqlstate, "23502") == 0)
			return lti_refuse(conn, req, MHD_HTTP_BAD_REQUEST, "context_missing",
						  "Add the tool from inside a course: the request names no course.");
		if (strcmp(sqlstate, "22023") == 0)
			return lti_refuse(conn, req, MHD_HTTP_BAD_REQUEST, "bad_return_url",
						  "The LMS's deep linking return URL is not https.");
		return lti_db_down(conn, req, "query_failed");
	}
	if (q != 0 || PQntuples(res) != 1)
	{
		if (res)
			PQclear(res);
		return lti_db_down(conn, req, reason);
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
		return lti_db_down(conn, req, q == 1 ? "query_failed" : reason);
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
	PGresult   *res;
	sbuf		b = {0};
	unsigned int rc;

	if (form_value(body, "dl", dl, sizeof(dl)) != 1 || dl[0] == '\0')
		return lti_refuse(conn, req, MHD_HTTP_BAD_REQUEST, "dl_missing",
					  "The choice did not carry its deep linking request.");
	if (form_value(body, "credential_type", type, sizeof(type)) != 1 || type[0] == '\0')
		return lti_refuse(conn, req, MHD_HTTP_BAD_REQUEST, "credential_type_missing",
					  "Choose one of the micro-credentials.");
	if (req->cfg->public_base_url[0] == '\0')
		return lti_refuse(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "public_base_url_unset",
					  "The tool's public_base_url is not configured.");
	snprintf(launch_url, sizeof(launch_url), "%s/lti/launch", req->cfg->public_base_url);
	values[0] = dl;
	values[1] = type;
	values[2] = launch_url;
	res = lti_query_row(conn, req, "SELECT problem, return_url, jwt, title FROM microcred.lti_finish_deep_link($1, $2, $3)",
						3, values, &rc);
	if (res == NULL)
		return rc;
	if (!PQgetisnull(res, 0, 0))
	{
		const char *code = lti_failure_label(PQgetvalue(res, 0, 0));

		PQclear(res);
		return lti_refuse(conn, req,
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
