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
	int			vary_accept;
	char		etag[40];		/* "<32 hex>" of a public answer, or empty */
	char	   *location;		/* a redirect's Location (malloc'd), or NULL */
	char		cookie[160];	/* a Set-Cookie value, or empty */
	char		allow[48];		/* a 405's Allow value */
	const char *lti_error;		/* X-LTI-Error: a launch's failure code (fixed label) */
	char		script_nonce[40];	/* an HTML page's CSP script nonce, or empty */
	int			html;			/* an HTML page: CSP and Referrer-Policy */
	const char *event_error;	/* X-Event-Error: an event's refusal code (fixed label) */
	int			xapi;			/* an xAPI answer: X-Experience-API-Version */
	int			basic_auth;		/* a 401 that asks for HTTP Basic credentials */
} http_request;

/* queue a response from a buffer; records the status */
extern unsigned int respond(struct MHD_Connection *conn, http_request *req, unsigned int status,
							const char *content_type, const char *body, size_t len,
							enum MHD_ResponseMemoryMode mode);

/* a short text response */
extern unsigned int respond_text(struct MHD_Connection *conn, http_request *req,
								 unsigned int status, const char *text);

/* db.c's reason code as a fixed label */
extern const char *db_reason_label(const char *reason);

/* append ?name=value or &name=value, percent-encoded; -1 when it does not fit */
extern int	append_param(char *buf, size_t cap, size_t *len, const char *name, const char *value);

/* a form field of an x-www-form-urlencoded body: 1 found, 0 absent, -1 malformed or too long */
extern int	form_value(const char *body, const char *name, char *out, size_t outlen);

/* the LTI routes (lti.c) */
extern unsigned int lti_handle_launch(struct MHD_Connection *conn, http_request *req);
extern unsigned int lti_handle_deep_link(struct MHD_Connection *conn, http_request *req);
extern unsigned int lti_handle_jwks(struct MHD_Connection *conn, http_request *req);
extern unsigned int lti_handle_register(struct MHD_Connection *conn, http_request *req);
extern unsigned int lti_handle_canvas_config(struct MHD_Connection *conn, http_request *req);

/* the completion event routes (events.c) */
extern unsigned int ev_handle_xapi(struct MHD_Connection *conn, http_request *req);
extern unsigned int ev_handle_canvas(struct MHD_Connection *conn, http_request *req);
extern unsigned int ev_handle_moodle(struct MHD_Connection *conn, http_request *req);

#endif							/* MC_HTTP_INTERNAL_H */
