/*-------------------------------------------------------------------------
 *
 * guard.h
 *	  What keeps one client from starving the bridge: connection limits
 *	  (in total and per client address), deadlines for a request's head
 *	  and body, and rate limits on the routes anyone may call in bulk.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_GUARD_H
#define MC_GUARD_H

#include <sys/socket.h>

#include <microhttpd.h>

#include "config.h"

/* the rate-limited route classes (a route's rate_class) */
typedef enum
{
	RATE_NONE = 0,
	RATE_LOGIN,					/* /lti/login: each call stores a login state */
	RATE_EVENTS,				/* the completion event routes */
	RATE_VERIFY,				/* /verify: each POST verifies a credential */
	RATE_WALLET,				/* OpenID4VCI token, nonce and credential: each stores state */
	RATE__COUNT
} rate_class;

/* apply the settings (at start and on SIGHUP) */
extern void guard_configure(const bridge_config *cfg);

/* start and stop the thread that enforces the deadlines */
extern int	guard_start(void);
extern void guard_stop(void);

/* libmicrohttpd's accept policy: refuse beyond max_connections(_per_ip) */
extern enum MHD_Result guard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);

/* libmicrohttpd's connection notifications: track each connection */
extern void guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
						 enum MHD_ConnectionNotificationCode code);

/* a request's progress on its connection, which moves its deadline */
extern void guard_head_received(struct MHD_Connection *conn);	/* body deadline */
extern void guard_request_complete(struct MHD_Connection *conn);	/* none: handling */
extern void guard_answered(struct MHD_Connection *conn);	/* next head's deadline */

/*
 * Take one request of class cls from the connection's address: 0 allowed,
 * or the seconds to wait (>= 1) when the per-address or total rate is spent.
 */
extern int	guard_rate_take(rate_class cls, struct MHD_Connection *conn);

/* connections open now (tests, metrics) */
extern long guard_connections(void);

#endif							/* MC_GUARD_H */
