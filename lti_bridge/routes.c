/*-------------------------------------------------------------------------
 *
 * routes.c
 *	  The bridge's route table (what http.c serves) and the two routes of
 *	  the process itself: /healthz and /metrics.  Each other route lives in
 *	  the file of its family:
 *
 *	  public.c         GET /credentials/, /issuers/, /issuers/{handle}/did.json,
 *	                   /achievements/, /status/
 *	                   (a browser gets their HTML page: public_page.c)
 *	  images.c         GET /credentials/{id}/qr.svg, /achievements/{id}/image,
 *	                   /issuers/{handle}/image
 *	  verify_form.c    GET|POST /verify
 *	  lti_login.c      GET|POST /lti/login
 *	  lti_launch.c     POST /lti/launch (resource links; deep linking requests
 *	                   go on in lti_deep_link.c; the pages: lti_launch_page.c)
 *	  lti_wallet.c     POST /lti/wallet (the learner page's "Add to wallet")
 *	  lti_deep_link.c  POST /lti/deep-link
 *	  lti_register.c   GET /lti/register (Dynamic Registration)
 *	  lti_config.c     GET /lti/jwks, /lti/canvas.json
 *	  ingest_xapi.c    POST /xapi/statements
 *	  ingest_canvas.c  POST /canvas/live-events
 *	  ingest_moodle.c  POST /moodle/events
 *	  oid4vci_metadata.c  GET /.well-known/openid-credential-issuer/wallet/,
 *	                   /.well-known/oauth-authorization-server/wallet/,
 *	                   /wallet/offers/ (OpenID4VCI)
 *	  oid4vci_token.c  POST /wallet/token, /wallet/nonce
 *	  oid4vci_credential.c  POST /wallet/credential
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>

#include <microhttpd.h>

#include "db.h"
#include "guard.h"
#include "http.h"
#include "http_internal.h"
#include "metrics.h"

static unsigned int handle_healthz(struct MHD_Connection *conn, http_request *req);
static unsigned int handle_metrics(struct MHD_Connection *conn, http_request *req);

const http_route bridge_routes[] = {
	{"/healthz", "GET", "healthz", handle_healthz, RATE_NONE},
	{"/metrics", "GET", "metrics", handle_metrics, RATE_NONE},
	/* the routes with a {} segment first: a prefix route refuses deeper paths */
	{"/credentials/{}/qr.svg", "GET", "credential_qr", images_handle_qr, RATE_NONE},
	{"/achievements/{}/image", "GET", "achievement_image", images_handle_achievement, RATE_NONE},
	{"/issuers/{}/image", "GET", "issuer_image", images_handle_issuer, RATE_NONE},
	{"/verify", "GET POST", "verify", verify_form_handle, RATE_VERIFY},
	{"/credentials/", "GET", "credential", public_handle_credential, RATE_NONE},
	{"/issuers/{}/did.json", "GET", "issuer_did", public_handle_did, RATE_NONE},
	{"/issuers/", "GET", "issuer", public_handle_issuer, RATE_NONE},
	{"/status/", "GET", "status_list", public_handle_status, RATE_NONE},
	{"/achievements/", "GET", "achievement", public_handle_achievement, RATE_NONE},
	{"/lti/login", "GET POST", "lti_login", lti_handle_login, RATE_LOGIN},
	{"/lti/launch", "POST", "lti_launch", lti_handle_launch, RATE_NONE},
	{"/lti/wallet", "POST", "lti_wallet", lti_handle_wallet, RATE_WALLET},
	{"/lti/deep-link", "POST", "lti_deep_link", lti_handle_deep_link, RATE_NONE},
	{"/lti/jwks", "GET", "lti_jwks", lti_handle_jwks, RATE_NONE},
	{"/lti/register", "GET", "lti_register", lti_handle_register, RATE_NONE},
	{"/lti/canvas.json", "GET", "lti_canvas_config", lti_handle_canvas_config, RATE_NONE},
	{"/xapi/statements", "POST", "xapi_statements", ingest_handle_xapi, RATE_EVENTS},
	{"/canvas/live-events", "POST", "canvas_live_events", ingest_handle_canvas, RATE_EVENTS},
	{"/moodle/events", "POST", "moodle_events", ingest_handle_moodle, RATE_EVENTS},
	{"/.well-known/openid-credential-issuer/wallet/", "GET", "oid4vci_issuer_metadata",
	oid4vci_handle_issuer_metadata, RATE_NONE},
	{"/.well-known/oauth-authorization-server/wallet/", "GET", "oid4vci_as_metadata",
	oid4vci_handle_as_metadata, RATE_NONE},
	{"/wallet/offers/", "GET", "oid4vci_offer", oid4vci_handle_offer, RATE_WALLET},
	{"/wallet/token", "POST", "oid4vci_token", oid4vci_handle_token, RATE_WALLET},
	{"/wallet/nonce", "POST", "oid4vci_nonce", oid4vci_handle_nonce, RATE_WALLET},
	{"/wallet/credential", "POST", "oid4vci_credential", oid4vci_handle_credential, RATE_WALLET},
};
const size_t bridge_n_routes = sizeof(bridge_routes) / sizeof(bridge_routes[0]);

/* GET /healthz: the database answers SELECT 1 */
static unsigned int
handle_healthz(struct MHD_Connection *conn, http_request *req)
{
	char		reason[64];
	char		text[96];

	if (db_health(req->cfg->db_conninfo, req->cfg->db_timeout_ms, reason, sizeof(reason)) == 0)
		return respond_text(conn, req, MHD_HTTP_OK, "ok\n");
	req->reason = db_reason_label(reason);
	snprintf(text, sizeof(text), "unavailable: %s\n", req->reason);
	return respond_text(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, text);
}

/* GET /metrics: Prometheus text format */
static unsigned int
handle_metrics(struct MHD_Connection *conn, http_request *req)
{
	size_t		len = 0;
	char	   *text = metrics_render(&len);

	if (text == NULL)
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	return respond(conn, req, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
				   text, len, MHD_RESPMEM_MUST_FREE);
}
