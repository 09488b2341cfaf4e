/*-------------------------------------------------------------------------
 *
 * oid4vci_metadata.c
 *	  What a wallet reads before it asks for anything (OpenID4VCI 1.0):
 *
 *	  GET /.well-known/openid-credential-issuer/wallet/{handle}
 *	      Credential Issuer Metadata of an awarding body, whose credential
 *	      issuer identifier is <base_url>/wallet/{handle} (the well-known
 *	      path goes between host and path, section 12.2.2)
 *	  GET /.well-known/oauth-authorization-server/wallet/{handle}
 *	      its Authorization Server Metadata (RFC 8414)
 *	  GET /wallet/offers/{ref}
 *	      the Credential Offer behind credential_offer_uri (section 4.1.3)
 *
 *	  Everything comes from the database (microcred.oid4vci_*); nothing
 *	  is cached, as offers are single use.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>

#include <libpq-fe.h>

#include "db.h"
#include "oid4vci.h"

/* one jsonb-returning function of the bridge's by one argument: 200 with it, 404 when NULL */
static unsigned int
serve(struct MHD_Connection *conn, http_request *req, const char *sql, const char *what)
{
	const char *values[1] = {req->id};
	db_call		d;
	unsigned int rc;

	db_call_run(&d, req->cfg->db_conninfo, req->cfg->db_timeout_ms, sql, 1, values);
	if (d.rc == 1)
		return oid4vci_unavailable(conn, req, "query_failed");
	if (d.rc != 0)
		return oid4vci_unavailable(conn, req, d.reason);
	if (PQntuples(d.res) != 1 || PQgetisnull(d.res, 0, 0))
	{
		PQclear(d.res);
		req->reason = "not_found";
		return oid4vci_error(conn, req, MHD_HTTP_NOT_FOUND, "not_found", what);
	}
	rc = oid4vci_json(conn, req, MHD_HTTP_OK, PQgetvalue(d.res, 0, 0));
	PQclear(d.res);
	return rc;
}

unsigned int
oid4vci_handle_issuer_metadata(struct MHD_Connection *conn, http_request *req)
{
	return serve(conn, req, "SELECT microcred.oid4vci_issuer_metadata($1)",
				 "no credential issuer with this handle");
}

unsigned int
oid4vci_handle_as_metadata(struct MHD_Connection *conn, http_request *req)
{
	return serve(conn, req, "SELECT microcred.oid4vci_as_metadata($1)",
				 "no credential issuer with this handle");
}

unsigned int
oid4vci_handle_offer(struct MHD_Connection *conn, http_request *req)
{
	return serve(conn, req, "SELECT microcred.oid4vci_offer($1)",
				 "no open credential offer with this reference (unknown, already redeemed or expired)");
}
