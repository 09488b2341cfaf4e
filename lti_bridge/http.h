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

#include "config.h"

/* start listening with cfg's address, port, threads and limits */
extern int	http_start(const bridge_config *cfg, char *err, size_t errlen);

/* stop accepting new connections (SIGTERM); in-flight requests go on */
extern void http_quiesce(void);

/* requests between their headers and their last byte sent */
extern long http_inflight(void);

/* close everything and stop the threads */
extern void http_stop(void);

/* apply the reloadable settings of the HTTP layer (the document cache) */
extern void http_configure(const bridge_config *cfg);

#endif							/* MC_HTTP_H */
