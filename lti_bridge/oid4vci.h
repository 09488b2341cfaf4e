/*-------------------------------------------------------------------------
 *
 * oid4vci.h
 *	  What the OpenID4VCI routes (oid4vci_*.c) share: JSON answers that
 *	  are never cached, and OAuth error responses.
 *
 *	  oid4vci_metadata.c    GET /.well-known/openid-credential-issuer/wallet/{handle},
 *	                        /.well-known/oauth-authorization-server/wallet/{handle},
 *	                        /wallet/offers/{ref}
 *	  oid4vci_token.c       POST /wallet/token, /wallet/nonce
 *	  oid4vci_credential.c  POST /wallet/credential
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_OID4VCI_H
#define MC_OID4VCI_H

#include <microhttpd.h>

#include "http_internal.h"

/* the largest request body of the token and credential endpoints */
#define OID4VCI_MAX_BODY	16384

/* a JSON text (the database's) as application/json, Cache-Control: no-store */
extern unsigned int oid4vci_json(struct MHD_Connection *conn, http_request *req, unsigned int status,
								 const char *json);

/* an OAuth error {"error", "error_description"}: description plain ASCII */
extern unsigned int oid4vci_error(struct MHD_Connection *conn, http_request *req, unsigned int status,
								  const char *error, const char *description);

/* the database could not answer: 503 with an OAuth-shaped body (server_error) */
extern unsigned int oid4vci_unavailable(struct MHD_Connection *conn, http_request *req, const char *reason);

/* does the request's Content-Type name this media type (parameters ignored)? */
extern int	oid4vci_content_type_is(struct MHD_Connection *conn, const char *type);

#endif							/* MC_OID4VCI_H */
