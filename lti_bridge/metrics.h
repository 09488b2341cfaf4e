/*-------------------------------------------------------------------------
 *
 * metrics.h
 *	  Thread-safe counters of microcred-bridge, exported in the Prometheus
 *	  text format by GET /metrics.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_METRICS_H
#define MC_METRICS_H

#include <stddef.h>

/* reset every counter and record the start time */
extern void metrics_init(void);

/* one finished request: route name (a fixed label) and HTTP status */
extern void metrics_request(const char *route, unsigned int status, double seconds);

/* one refused launch, by reason code (an idtoken reason or another fixed code) */
extern void metrics_launch_failure(const char *reason);

/* n completion events of a source ("xapi", "canvas", "moodle") by outcome
 * ("issued", "pending", "ignored", "failed", "duplicate", "refused") */
extern void metrics_event(const char *source, const char *outcome, unsigned long n);

/* one database error, by kind ("connect", "query", "timeout", "pool") */
extern void metrics_db_error(const char *kind);

/* count one reconciliation poll: api canvas|moodle, outcome ok|error */
extern void metrics_poll(const char *api, const char *outcome);

/* one refused connection or request, by kind: connection_limit,
 * connection_limit_per_ip, header_timeout, body_timeout, rate_limit_login,
 * rate_limit_events, rate_limit_wallet (guard.c) */
extern void metrics_refusal(const char *kind);

/* in-flight gauge */
extern void metrics_inflight_add(int delta);
extern long metrics_inflight(void);

/* the exposition text; malloc'd, the caller frees */
/* count one credential e-mail outcome: sent, temporary, permanent, unreachable */
extern void metrics_mail(const char *outcome);

/* the outbox as last read: waiting e-mails, age of the oldest (s), failed ones */
extern void metrics_mail_backlog(long queued, double oldest_s, long failed);

extern char *metrics_render(size_t *len);

#endif							/* MC_METRICS_H */
