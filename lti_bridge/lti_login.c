/*-------------------------------------------------------------------------
 *
 * lti_login.c
 *	  GET or POST /lti/login: LTI 1.3 third-party-initiated login (OIDC).
 *	  Anyone may call it and each call stores a login state, so the route
 *	  is rate-limited (guard.c, RATE_LOGIN) and the database purges states
 *	  as they expire (lti_begin_login).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "db.h"
#include "form.h"
#include "http_internal.h"
#include "metrics.h"

/* a login parameter from the query string (GET) or the form body (POST) */
static int
login_param(struct MHD_Connection *conn, http_request *req, const char *name, char *out, size_t outlen)
{
	if (strcmp(req->method, "POST") == 0)
		return form_value(req->body ? req->body : "", name, out, outlen);
	{
		const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);

		if (v == NULL)
			return 0;
		if (strlen(v) >= outlen)
			return -1;
		snprintf(out, outlen, "%s", v);
		return 1;
	}
}

/*
 * GET or POST /lti/login: LTI 1.3 third-party-initiated login.  Checks the
 * parameters and that target_link_uri is one of our URLs, creates the state
 * and nonce in the database, binds the state to the browser with a cookie
 * and redirects to the platform's authorization endpoint.
 */
unsigned int
lti_handle_login(struct MHD_Connection *conn, http_request *req)
{
	char		iss[512], login_hint[1024], target[1024], hint[2048], client_id[256];
	int			has_hint, has_client;
	db_login	l;
	char		reason[64];
	const char *base = req->cfg->public_base_url;
	size_t		blen = strlen(base);
	char	   *url;
	size_t		len;
	int			rc;

	if (login_param(conn, req, "iss", iss, sizeof(iss)) != 1 || iss[0] == '\0')
	{
		req->reason = "missing_iss";
		return respond_text(conn, req, MHD_HTTP_BAD_REQUEST, "login: iss is required\n");
	}
	if (login_param(conn, req, "login_hint", login_hint, sizeof(login_hint)) != 1 || login_hint[0] == '\0')
	{
		req->reason = "missing_login_hint";
		return respond_text(conn, req, MHD_HTTP_BAD_REQUEST, "login: login_hint is required\n");
	}
	if (login_param(conn, req, "target_link_uri", target, sizeof(target)) != 1 || target[0] == '\0')
	{
		req->reason = "missing_target_link_uri";
		return respond_text(conn, req, MHD_HTTP_BAD_REQUEST, "login: target_link_uri is required\n");
	}
	/*
	 * only our own LTI URLs: public_base_url followed by /lti/, with no dot
	 * segments or backslashes that a browser would resolve elsewhere
	 */
	if (blen == 0 || strncmp(target, base, blen) != 0 || strncmp(target + blen, "/lti/", 5) != 0 ||
		strstr(target + blen, "/../") != NULL || strstr(target + blen, "/./") != NULL ||
		strchr(target + blen, '\\') != NULL)
	{
		req->reason = "foreign_target_link_uri";
		return respond_text(conn, req, MHD_HTTP_BAD_REQUEST,
							"login: target_link_uri is not a URL of this tool\n");
	}
	has_hint = login_param(conn, req, "lti_message_hint", hint, sizeof(hint));
	has_client = login_param(conn, req, "client_id", client_id, sizeof(client_id));
	if (has_hint < 0 || has_client < 0)
	{
		req->reason = "bad_parameter";
		return respond_text(conn, req, MHD_HTTP_BAD_REQUEST, "login: a parameter is malformed or too long\n");
	}
	rc = db_begin_login(req->cfg->db_conninfo, req->cfg->db_timeout_ms, iss,
						has_client == 1 && client_id[0] ? client_id : NULL, target, &l,
						reason, sizeof(reason));
	if (rc == 1)
	{
		req->reason = "unknown_platform";
		metrics_launch_failure("unknown_platform");
		return respond_text(conn, req, MHD_HTTP_BAD_REQUEST,
							"login: no platform is registered with this iss and client_id\n");
	}
	if (rc != 0)
	{
		req->reason = db_reason_label(reason);
		return respond_text(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "temporarily unavailable\n");
	}
	len = strlen(l.auth_login_url) + 3 * (strlen(login_hint) + strlen(hint) + strlen(l.client_id) +
										  strlen(l.state) + strlen(l.nonce) + blen) + 256;
	url = malloc(len);
	if (url == NULL)
	{
		db_login_free(&l);
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	{
		size_t		n = (size_t) snprintf(url, len, "%s", l.auth_login_url);
		char		redirect[1100];
		char		cookie[160];
		int			bad = 0;

		snprintf(redirect, sizeof(redirect), "%s/lti/launch", base);
		bad |= append_param(url, len, &n, "scope", "openid");
		bad |= append_param(url, len, &n, "response_type", "id_token");
		bad |= append_param(url, len, &n, "response_mode", "form_post");
		bad |= append_param(url, len, &n, "prompt", "none");
		bad |= append_param(url, len, &n, "client_id", l.client_id);
		bad |= append_param(url, len, &n, "redirect_uri", redirect);
		bad |= append_param(url, len, &n, "login_hint", login_hint);
		bad |= append_param(url, len, &n, "state", l.state);
		bad |= append_param(url, len, &n, "nonce", l.nonce);
		if (has_hint == 1)
			bad |= append_param(url, len, &n, "lti_message_hint", hint);
		/* the state bound to this browser: the launch must bring the same one back */
		snprintf(cookie, sizeof(cookie),
				 "mc_lti_state=%s; Path=/lti/; Max-Age=600; SameSite=None; Secure; HttpOnly", l.state);
		db_login_free(&l);
		if (bad)
		{
			free(url);
			return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "redirect too long\n");
		}
		req->location = url;
		snprintf(req->cookie, sizeof(req->cookie), "%s", cookie);
		return respond_text(conn, req, MHD_HTTP_FOUND, "redirecting to the platform\n");
	}
}
