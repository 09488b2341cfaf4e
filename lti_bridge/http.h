/*-------------------------------------------------------------------------
 *
 * http.h
 *	  The HTTP side of microcred-bridge: libmicrohttpd with a thread pool,
 *	  request limits, a small router, one log line per request.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_HTTP_H
#define MC_HTTP_H

#include <stddef.h>

#include <microhttpd.h>

#include "config.h"

struct http_request;

/* one route: what the router matches and whom it calls (routes.c holds the table) */
typedef struct http_route
{
	const char *path;			/* ending in '/': a prefix, one more segment;
								 * with a '*': that one segment between fixed parts */
	const char *method;			/* space-separated; GET also answers HEAD */
	const char *label;			/* fixed label for logs and metrics */
	unsigned int (*handler) (struct MHD_Connection *conn, struct http_request *req);
	int			rate_class;		/* guard.h rate_class: 0 none */
} http_route;

/* the bridge's routes (routes.c) */
extern const http_route bridge_routes[];
extern const size_t bridge_n_routes;

/*
 * The route of a URL (query string ignored), or NULL.  A prefix route
 * matches one more non-empty segment of at most 127 characters from
 * [A-Za-z0-9._-], copied to id when id is not NULL.
 */
extern const http_route *http_find_route(const http_route *routes, size_t n_routes, const char *url,
										 char *id, size_t idlen);

/* is method one of a route's space-separated methods (GET also allows HEAD)? */
extern int	http_method_allowed(const char *allowed, const char *method);

/* start listening with cfg's address, port, threads and limits, serving the routes */
extern int	http_start(const bridge_config *cfg, const http_route *routes, size_t n_routes,
					   char *err, size_t errlen);

/* stop accepting new connections (SIGTERM); in-flight requests go on */
extern void http_quiesce(void);

/* requests between their headers and their last byte sent */
extern long http_inflight(void);

/* close everything and stop the threads */
extern void http_stop(void);

#endif							/* MC_HTTP_H */
