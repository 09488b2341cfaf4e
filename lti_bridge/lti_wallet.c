/*-------------------------------------------------------------------------
 *
 * lti_wallet.c
 *	  POST /lti/wallet: the "Add to wallet" button of the LTI learner page.
 *
 * The launch page shows a button, not an offer: an OpenID4VCI offer is a
 * database write and its QR code a drawing, so they are made only when
 * the learner asks.  The form carries the launch's state and the page's
 * wallet key (random, made by the bridge for that page, kept hashed with
 * the state by microcred.lti_launch()); microcred.lti_wallet_offer()
 * checks both and makes one offer per page, within 30 minutes of the
 * launch.  The key is the form's CSRF token: another site cannot know it;
 * a request whose Origin is not this tool's, or that a browser marks
 * cross-site (Sec-Fetch-Site), is refused before the database.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <microhttpd.h>

#include "form.h"
#include "http_internal.h"
#include "lti_internal.h"
#include "page.h"
#include "qr.h"

/* does the request come from a page of this tool (or say nothing about it)? */
static int
same_origin(struct MHD_Connection *conn, const char *base)
{
	const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	const char *site = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-Fetch-Site");
	const char *host = strstr(base, "://");
	size_t		len;

	if (site != NULL && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
		return 0;
	if (origin == NULL)
		return 1;
	/* the origin of public_base_url: scheme://host[:port] */
	len = host ? (size_t) (host + 3 - base) + strcspn(host + 3, "/") : 0;
	return len > 0 && strlen(origin) == len && strncmp(origin, base, len) == 0;
}

static unsigned int
wallet_refused(struct MHD_Connection *conn, http_request *req, const char *code)
{
	unsigned int status = strcmp(code, "wallet_unavailable") == 0 ? MHD_HTTP_CONFLICT
		: strcmp(code, "cross_site") == 0 ? MHD_HTTP_FORBIDDEN
		: strcmp(code, "bad_request") == 0 ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_UNAUTHORIZED;

	return lti_refuse(conn, req, status, lti_failure_label(code),
					  strcmp(code, "wallet_used") == 0 ? "An offer was already made from this page. Open the tool again from your course for a new one."
					  : strcmp(code, "wallet_expired") == 0 ? "This page is too old to make a wallet offer. Open the tool again from your course."
					  : strcmp(code, "wallet_unavailable") == 0 ? "This credential cannot be added to a wallet now (it is no longer active)."
					  : strcmp(code, "cross_site") == 0 ? "This request did not come from the tool's own page."
					  : strcmp(code, "bad_request") == 0 ? "The request did not carry the page's wallet fields."
					  : "This page's wallet button is not known here. Open the tool again from your course.");
}

unsigned int
lti_handle_wallet(struct MHD_Connection *conn, http_request *req)
{
	const char *body = req->body ? req->body : "";
	char		state[128],
				key[128];
	const char *values[2] = {state, key};
	PGresult   *res;
	unsigned int rc;
	sbuf		b = {0};

	if (!same_origin(conn, req->cfg->public_base_url))
		return wallet_refused(conn, req, "cross_site");
	if (form_value(body, "state", state, sizeof(state)) != 1 || state[0] == '\0' ||
		form_value(body, "key", key, sizeof(key)) != 1 || key[0] == '\0')
		return wallet_refused(conn, req, "bad_request");
	res = lti_query_row(conn, req, "SELECT problem, offer_uri FROM microcred.lti_wallet_offer($1, $2)",
						2, values, &rc);
	if (res == NULL)
		return rc;
	if (!PQgetisnull(res, 0, 0) || PQgetisnull(res, 0, 1))
	{
		rc = wallet_refused(conn, req, PQgetisnull(res, 0, 0) ? "wallet_unavailable" : PQgetvalue(res, 0, 0));
		PQclear(res);
		return rc;
	}
	req->reason = "wallet_offer";
	http_add_header(req, "Cache-Control", "no-store");
	page_begin(&b, "microcred: add your micro-credential to your wallet", "wallet-offer");
	sb_puts(&b, "><h1>Add it to your digital wallet</h1><p><a data-link=\"wallet\" href=\"");
	sb_html(&b, PQgetvalue(res, 0, 1));
	sb_puts(&b, "\">Open this link on the phone with your wallet app</a>, or scan the code with it. "
			"It is valid for 30 minutes and once.</p><div class=\"wallet-qr\" style=\"max-width:14em\">");
	/* a URL too long for a QR code leaves the link alone */
	(void) qr_svg(&b, PQgetvalue(res, 0, 1), "QR code of the wallet offer");
	sb_puts(&b, "</div>");
	PQclear(res);
	return page_send(conn, req, MHD_HTTP_OK, &b);
}
