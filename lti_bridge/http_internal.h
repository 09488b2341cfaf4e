/*-------------------------------------------------------------------------
 *
 * http_internal.h
 *	  What the route handlers share with the server core (http.c): the
 *	  request, and the helpers that answer it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_HTTP_INTERNAL_H
#define MC_HTTP_INTERNAL_H

#include <stddef.h>
#include <time.h>

#include <microhttpd.h>

#include "config.h"

#define HTTP_MAX_HEADERS 8

typedef struct http_header
{
	const char *name;			/* a string constant */
	char	   *value;			/* malloc'd */
} http_header;

typedef struct http_request
{
	bridge_config *cfg;
	const char *route;			/* fixed label */
	const char *reason;			/* fixed label or NULL */
	char		method[16];
	char		request_id[72];
	struct timespec start;
	char	   *body;
	size_t		body_len;
	size_t		discarded;
	int			too_large;
	unsigned int status;
	char		id[128];		/* the last path segment of a prefix route */
	int			max_age;		/* > 0: a public, cacheable answer */
	long long	last_modified;	/* Unix seconds, 0: none */
	int			vary_accept;	/* Vary: 1 Accept; 2 and Accept-Language; 3 and Accept-Encoding */
	char		etag[40];		/* "<32 hex>" of a public answer, or empty */
	char	   *location;		/* a redirect's Location (malloc'd), or NULL */
	char		cookie[160];	/* a Set-Cookie value, or empty */
	char		allow[48];		/* a 405's Allow value */
	int			rate_class;		/* the route's (guard.h) */
	char		script_nonce[40];	/* page.c: an HTML page's CSP script nonce, or empty */
	http_header headers[HTTP_MAX_HEADERS];	/* the handler's own headers */
	int			n_headers;
} http_request;

/* queue a response from a buffer; records the status */
extern unsigned int respond(struct MHD_Connection *conn, http_request *req, unsigned int status,
							const char *content_type, const char *body, size_t len,
							enum MHD_ResponseMemoryMode mode);

/* add a response header (name: a string constant); -1 when the list is full */
extern int	http_add_header(http_request *req, const char *name, const char *value);

/* a short text response */
extern unsigned int respond_text(struct MHD_Connection *conn, http_request *req,
								 unsigned int status, const char *text);

/* db.c's reason code as a fixed label */
extern const char *db_reason_label(const char *reason);

/* the routes, one file per family (routes.c lists them) */
#define HTTP_HANDLER(name) extern unsigned int name(struct MHD_Connection *conn, http_request *req)
HTTP_HANDLER(public_handle_credential);
HTTP_HANDLER(public_handle_issuer);
HTTP_HANDLER(public_handle_did);
HTTP_HANDLER(public_handle_achievement);
HTTP_HANDLER(public_handle_status);
HTTP_HANDLER(images_handle_achievement);
HTTP_HANDLER(images_handle_issuer);
HTTP_HANDLER(images_handle_qr);
HTTP_HANDLER(verify_form_handle);
HTTP_HANDLER(lti_handle_login);
HTTP_HANDLER(lti_handle_launch);
HTTP_HANDLER(lti_handle_wallet);
HTTP_HANDLER(lti_handle_deep_link);
HTTP_HANDLER(lti_handle_jwks);
HTTP_HANDLER(lti_handle_register);
HTTP_HANDLER(lti_handle_canvas_config);
HTTP_HANDLER(ingest_handle_xapi);
HTTP_HANDLER(ingest_handle_canvas);
HTTP_HANDLER(ingest_handle_moodle);
HTTP_HANDLER(oid4vci_handle_issuer_metadata);
HTTP_HANDLER(oid4vci_handle_as_metadata);
HTTP_HANDLER(oid4vci_handle_offer);
HTTP_HANDLER(oid4vci_handle_token);
HTTP_HANDLER(oid4vci_handle_nonce);
HTTP_HANDLER(oid4vci_handle_credential);

#endif							/* MC_HTTP_INTERNAL_H */
