/*-------------------------------------------------------------------------
 *
 * metrics.c
 *	  Counters of requests, refused launches and database errors.
 *
 * Small fixed tables behind one mutex: labels are fixed strings chosen by
 * the code (route names, reason codes), never request data, so the label
 * sets stay bounded.  Every launch failure reason of idtoken.c is
 * registered at start so that it is exported (as 0) before it happens.
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "idtoken.h"
#include "metrics.h"

#define MAX_REQ_SERIES 128
#define MAX_REASONS 128
#define MAX_DB_KINDS 8
#define LABEL_LEN 48

typedef struct req_series
{
	char		route[LABEL_LEN];
	unsigned int status;
	unsigned long count;
} req_series;

typedef struct route_time
{
	char		route[LABEL_LEN];
	unsigned long count;
	double		sum;
} route_time;

typedef struct named_counter
{
	char		name[LABEL_LEN];
	unsigned long count;
} named_counter;

static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static req_series req[MAX_REQ_SERIES];
static int	n_req;
static route_time times[MAX_REQ_SERIES];
static int	n_times;
static unsigned long req_dropped;	/* series beyond the table */
static named_counter reasons[MAX_REASONS];
static int	n_reasons;
static named_counter dberr[MAX_DB_KINDS];
static int	n_dberr;
static atomic_long inflight;

/* completion events by source and outcome: fixed labels, every series shown from the start */
static const char *const event_sources[] = {"xapi", "canvas", "moodle", "poll"};
static const char *const event_outcomes[] = {"issued", "pending", "ignored", "failed", "duplicate", "refused"};
#define N_EVENT_SOURCES (sizeof(event_sources) / sizeof(event_sources[0]))
#define N_EVENT_OUTCOMES (sizeof(event_outcomes) / sizeof(event_outcomes[0]))
static unsigned long events[N_EVENT_SOURCES][N_EVENT_OUTCOMES];
static const char *const poll_apis[] = {"canvas", "moodle"};
static const char *const poll_outcomes[] = {"ok", "error"};
static unsigned long polls[2][2];
/* connections and requests refused by guard.c: fixed labels, every series shown from the start */
static const char *const refusal_kinds[] = {"connection_limit", "connection_limit_per_ip", "header_timeout",
	"body_timeout", "rate_limit_login", "rate_limit_events", "rate_limit_verify", "rate_limit_wallet"};
#define N_REFUSAL_KINDS (sizeof(refusal_kinds) / sizeof(refusal_kinds[0]))
static unsigned long refusals[N_REFUSAL_KINDS];
static time_t start_time;

/* add to a named counter table (lock held) */
static void
named_add(named_counter *t, int *n, int cap, const char *name, unsigned long add)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(t[i].name, name) == 0)
		{
			t[i].count += add;
			return;
		}
	if (*n >= cap)
		return;
	snprintf(t[*n].name, LABEL_LEN, "%s", name);
	t[*n].count = add;
	(*n)++;
}

/* reset everything */
void
metrics_init(void)
{
	pthread_mutex_lock(&metrics_lock);
	n_req = n_times = n_reasons = n_dberr = 0;
	memset(events, 0, sizeof(events));
	memset(refusals, 0, sizeof(refusals));
	req_dropped = 0;
	for (int r = 1; r < IDT__COUNT; r++)
		named_add(reasons, &n_reasons, MAX_REASONS, idt_reason_code((idt_reason) r), 0);
	named_add(dberr, &n_dberr, MAX_DB_KINDS, "connect", 0);
	named_add(dberr, &n_dberr, MAX_DB_KINDS, "query", 0);
	named_add(dberr, &n_dberr, MAX_DB_KINDS, "timeout", 0);
	named_add(dberr, &n_dberr, MAX_DB_KINDS, "pool", 0);
	start_time = time(NULL);
	pthread_mutex_unlock(&metrics_lock);
	atomic_store(&inflight, 0);
}

/* count one request */
void
metrics_request(const char *route, unsigned int status, double seconds)
{
	int			i;

	pthread_mutex_lock(&metrics_lock);
	for (i = 0; i < n_req; i++)
		if (req[i].status == status && strcmp(req[i].route, route) == 0)
			break;
	if (i == n_req && n_req < MAX_REQ_SERIES)
	{
		snprintf(req[i].route, LABEL_LEN, "%s", route);
		req[i].status = status;
		req[i].count = 0;
		n_req++;
	}
	if (i < n_req)
		req[i].count++;
	else
		req_dropped++;
	for (i = 0; i < n_times; i++)
		if (strcmp(times[i].route, route) == 0)
			break;
	if (i == n_times && n_times < MAX_REQ_SERIES)
	{
		snprintf(times[i].route, LABEL_LEN, "%s", route);
		times[i].count = 0;
		times[i].sum = 0;
		n_times++;
	}
	if (i < n_times)
	{
		times[i].count++;
		times[i].sum += seconds;
	}
	pthread_mutex_unlock(&metrics_lock);
}

/* count one refused launch */
void
metrics_launch_failure(const char *reason)
{
	pthread_mutex_lock(&metrics_lock);
	named_add(reasons, &n_reasons, MAX_REASONS, reason, 1);
	pthread_mutex_unlock(&metrics_lock);
}

/* count completion events of a source by outcome (unknown labels are not counted) */
void
metrics_event(const char *source, const char *outcome, unsigned long n)
{
	for (size_t i = 0; i < N_EVENT_SOURCES; i++)
		if (strcmp(source, event_sources[i]) == 0)
			for (size_t j = 0; j < N_EVENT_OUTCOMES; j++)
				if (strcmp(outcome, event_outcomes[j]) == 0)
				{
					pthread_mutex_lock(&metrics_lock);
					events[i][j] += n;
					pthread_mutex_unlock(&metrics_lock);
					return;
				}
}

/* count one reconciliation poll of an LMS API by outcome (ok, error) */
void
metrics_poll(const char *api, const char *outcome)
{
	for (size_t i = 0; i < 2; i++)
		if (strcmp(api, poll_apis[i]) == 0)
			for (size_t j = 0; j < 2; j++)
				if (strcmp(outcome, poll_outcomes[j]) == 0)
				{
					pthread_mutex_lock(&metrics_lock);
					polls[i][j]++;
					pthread_mutex_unlock(&metrics_lock);
					return;
				}
}

static const char *const mail_outcomes[] = {"sent", "temporary", "permanent", "unreachable"};
#define N_MAIL_OUTCOMES (sizeof(mail_outcomes) / sizeof(mail_outcomes[0]))
static unsigned long mails[N_MAIL_OUTCOMES];
static long mail_queued = -1;	/* -1: not read yet */
static double mail_oldest_s;
static long mail_failed;

void
metrics_mail(const char *outcome)
{
	for (size_t i = 0; i < N_MAIL_OUTCOMES; i++)
		if (strcmp(outcome, mail_outcomes[i]) == 0)
		{
			pthread_mutex_lock(&metrics_lock);
			mails[i]++;
			pthread_mutex_unlock(&metrics_lock);
			return;
		}
}

void
metrics_mail_backlog(long queued, double oldest_s, long failed)
{
	pthread_mutex_lock(&metrics_lock);
	mail_queued = queued;
	mail_oldest_s = oldest_s;
	mail_failed = failed;
	pthread_mutex_unlock(&metrics_lock);
}

/* count one database error */
void
metrics_db_error(const char *kind)
{
	pthread_mutex_lock(&metrics_lock);
	named_add(dberr, &n_dberr, MAX_DB_KINDS, kind, 1);
	pthread_mutex_unlock(&metrics_lock);
}

/* move the in-flight gauge */
void
metrics_inflight_add(int delta)
{
	atomic_fetch_add(&inflight, delta);
}

/* count one refusal of guard.c */
void
metrics_refusal(const char *kind)
{
	pthread_mutex_lock(&metrics_lock);
	for (size_t i = 0; i < N_REFUSAL_KINDS; i++)
		if (kind != NULL && strcmp(kind, refusal_kinds[i]) == 0)
			refusals[i]++;
	pthread_mutex_unlock(&metrics_lock);
}

/* read the in-flight gauge */
long
metrics_inflight(void)
{
	return atomic_load(&inflight);
}

typedef struct strbuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	int			failed;
} strbuf;

/* printf into a growing buffer */
static void
sb_printf(strbuf *sb, const char *fmt,...)
{
	va_list		ap;
	int			n;

	if (sb->failed)
		return;
	for (;;)
	{
		va_start(ap, fmt);
		n = vsnprintf(sb->data + sb->len, sb->cap - sb->len, fmt, ap);
		va_end(ap);
		if (n < 0)
		{
			sb->failed = 1;
			return;
		}
		if ((size_t) n < sb->cap - sb->len)
		{
			sb->len += n;
			return;
		}
		{
			size_t		ncap = sb->cap * 2 + n;
			char	   *nd = realloc(sb->data, ncap);

			if (nd == NULL)
			{
				sb->failed = 1;
				return;
			}
			sb->data = nd;
			sb->cap = ncap;
		}
	}
}

/* the Prometheus text exposition */
char *
metrics_render(size_t *len)
{
	strbuf		sb = {malloc(4096), 0, 4096, 0};

	if (sb.data == NULL)
		return NULL;
	sb.data[0] = '\0';
	pthread_mutex_lock(&metrics_lock);
	sb_printf(&sb, "# HELP microcred_bridge_http_requests_total HTTP requests by route and status.\n"
			  "# TYPE microcred_bridge_http_requests_total counter\n");
	for (int i = 0; i < n_req; i++)
		sb_printf(&sb, "microcred_bridge_http_requests_total{route=\"%s\",status=\"%u\"} %lu\n",
				  req[i].route, req[i].status, req[i].count);
	sb_printf(&sb, "# HELP microcred_bridge_http_request_duration_seconds Time spent on requests by route.\n"
			  "# TYPE microcred_bridge_http_request_duration_seconds summary\n");
	for (int i = 0; i < n_times; i++)
		sb_printf(&sb, "microcred_bridge_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
				  "microcred_bridge_http_request_duration_seconds_count{route=\"%s\"} %lu\n",
				  times[i].route, times[i].sum, times[i].route, times[i].count);
	sb_printf(&sb, "# HELP microcred_bridge_http_requests_unlabelled_total Requests beyond the series table.\n"
			  "# TYPE microcred_bridge_http_requests_unlabelled_total counter\n"
			  "microcred_bridge_http_requests_unlabelled_total %lu\n", req_dropped);
	sb_printf(&sb, "# HELP microcred_bridge_lti_launch_failures_total Refused LTI launches by reason.\n"
			  "# TYPE microcred_bridge_lti_launch_failures_total counter\n");
	for (int i = 0; i < n_reasons; i++)
		sb_printf(&sb, "microcred_bridge_lti_launch_failures_total{reason=\"%s\"} %lu\n",
				  reasons[i].name, reasons[i].count);
	sb_printf(&sb, "# HELP microcred_bridge_events_total Course completion events by source and outcome.\n"
			  "# TYPE microcred_bridge_events_total counter\n");
	for (size_t i = 0; i < N_EVENT_SOURCES; i++)
		for (size_t j = 0; j < N_EVENT_OUTCOMES; j++)
			sb_printf(&sb, "microcred_bridge_events_total{source=\"%s\",outcome=\"%s\"} %lu\n",
					  event_sources[i], event_outcomes[j], events[i][j]);
	sb_printf(&sb, "# HELP microcred_bridge_poll_total Reconciliation polls of LMS APIs by outcome.\n"
			  "# TYPE microcred_bridge_poll_total counter\n");
	for (size_t i = 0; i < 2; i++)
		for (size_t j = 0; j < 2; j++)
			sb_printf(&sb, "microcred_bridge_poll_total{api=\"%s\",outcome=\"%s\"} %lu\n",
					  poll_apis[i], poll_outcomes[j], polls[i][j]);
	sb_printf(&sb, "# HELP microcred_bridge_refused_total Connections and requests refused by the limits, by kind.\n"
			  "# TYPE microcred_bridge_refused_total counter\n");
	for (size_t i = 0; i < N_REFUSAL_KINDS; i++)
		sb_printf(&sb, "microcred_bridge_refused_total{kind=\"%s\"} %lu\n", refusal_kinds[i], refusals[i]);
	sb_printf(&sb, "# HELP microcred_bridge_db_errors_total Database errors by kind.\n"
			  "# TYPE microcred_bridge_db_errors_total counter\n");
	for (int i = 0; i < n_dberr; i++)
		sb_printf(&sb, "microcred_bridge_db_errors_total{kind=\"%s\"} %lu\n",
				  dberr[i].name, dberr[i].count);
	sb_printf(&sb, "# HELP microcred_bridge_mail_total Credential e-mails by outcome of the attempt.\n"
			  "# TYPE microcred_bridge_mail_total counter\n");
	for (size_t i = 0; i < N_MAIL_OUTCOMES; i++)
		sb_printf(&sb, "microcred_bridge_mail_total{outcome=\"%s\"} %lu\n", mail_outcomes[i], mails[i]);
	if (mail_queued >= 0)
		sb_printf(&sb, "# HELP microcred_bridge_mail_backlog Credential e-mails waiting in the outbox.\n"
				  "# TYPE microcred_bridge_mail_backlog gauge\n"
				  "microcred_bridge_mail_backlog %ld\n"
				  "# HELP microcred_bridge_mail_backlog_oldest_seconds Age of the oldest waiting e-mail.\n"
				  "# TYPE microcred_bridge_mail_backlog_oldest_seconds gauge\n"
				  "microcred_bridge_mail_backlog_oldest_seconds %.0f\n"
				  "# HELP microcred_bridge_mail_failed Credential e-mails given up (see microcred.mail_failures).\n"
				  "# TYPE microcred_bridge_mail_failed gauge\n"
				  "microcred_bridge_mail_failed %ld\n", mail_queued, mail_oldest_s, mail_failed);
	sb_printf(&sb, "# HELP microcred_bridge_http_requests_in_flight Requests being served.\n"
			  "# TYPE microcred_bridge_http_requests_in_flight gauge\n"
			  "microcred_bridge_http_requests_in_flight %ld\n"
			  "# HELP microcred_bridge_start_time_seconds Start time of the process since the epoch.\n"
			  "# TYPE microcred_bridge_start_time_seconds gauge\n"
			  "microcred_bridge_start_time_seconds %ld\n",
			  atomic_load(&inflight), (long) start_time);
	pthread_mutex_unlock(&metrics_lock);
	if (sb.failed)
	{
		free(sb.data);
		return NULL;
	}
	*len = sb.len;
	return sb.data;
}
