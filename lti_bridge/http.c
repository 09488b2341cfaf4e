/*-------------------------------------------------------------------------
 *
 * http.c
 *	  The server core: libmicrohttpd, request limits, the router over the
 *	  route table it is given, response headers, one log line per request.
 *	  It knows no route: routes.c holds the table, one file per route
 *	  family holds the handlers, and handlers add their own headers
 *	  (http_add_header) to the generic ones set here.
 *
 * Limits: the request line plus headers may use max_header_bytes (431
 * beyond; libmicrohttpd's per-connection memory is sized above that so
 * the check here sees the request first); a body may use max_body_bytes
 * (413: at once when Content-Length says so, otherwise the excess is
 * discarded and 413 sent at the end, and a client that keeps sending far
 * beyond is cut off); an idle connection lives request_timeout_s.
 * guard.c adds the connection limits, the head and body deadlines and
 * the per-route rate limits (429 with Retry-After).
 *
 * Each request holds the configuration snapshot it started with.  It is
 * counted in flight from its headers to the completion callback, which
 * writes the one log line (method, route, status, duration_ms, request
 * id, reason) and counts it in /metrics.  The route is a fixed label,
 * never the URL, so neither logs nor metrics carry request data.
 *
 *-------------------------------------------------------------------------
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "guard.h"
#include "http.h"
#include "http_internal.h"
#include "log.h"
#include "metrics.h"

#define BODY_DISCARD_FACTOR 4	/* cut off after this many times the limit */

static struct MHD_Daemon *daemon_handle;
static atomic_int draining;
static const http_route *routes;
static size_t n_routes;

/* seconds elapsed since start */
static double
elapsed(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double) (now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

/* queue a response from a buffer; records the status */
unsigned int
respond(struct MHD_Connection *conn, http_request *req, unsigned int status,
		const char *content_type, const char *body, size_t len,
		enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(len, (void *) body, mode);
	if (resp == NULL)
		return 0;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (req->max_age > 0 && (status == MHD_HTTP_OK || status == MHD_HTTP_GONE ||
							 status == MHD_HTTP_NOT_MODIFIED))
	{
		char		cc[48];

		snprintf(cc, sizeof(cc), "public, max-age=%d", req->max_age);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
		/* public documents: verifiers may fetch them from any web page */
		MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
	}
	else
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (req->last_modified > 0)
	{
		char		date[64];
		time_t		t = (time_t) req->last_modified;
		struct tm	tm;

		if (gmtime_r(&t, &tm) != NULL &&
			strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, date);
	}
	if (req->vary_accept)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY,
								req->vary_accept == 3 ? "Accept, Accept-Language, Accept-Encoding"
								: req->vary_accept == 2 ? "Accept, Accept-Language" : "Accept");
	if (req->etag[0] != '\0')
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, req->etag);
	if (req->location != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, req->location);
	if (req->cookie[0] != '\0')
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, req->cookie);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	for (int i = 0; i < req->n_headers; i++)
		MHD_add_response_header(resp, req->headers[i].name, req->headers[i].value);
	MHD_add_response_header(resp, "X-Request-Id", req->request_id);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, req->allow[0] ? req->allow : "GET, HEAD");
	if (atomic_load(&draining) || status == MHD_HTTP_CONTENT_TOO_LARGE ||
		status == MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	if (MHD_queue_response(conn, status, resp) != MHD_YES)
	{
		MHD_destroy_response(resp);
		return 0;
	}
	MHD_destroy_response(resp);
	req->status = status;
	return status;
}

/* add a response header (name: a string constant); -1 when the list is full */
int
http_add_header(http_request *req, const char *name, const char *value)
{
	char	   *v;

	if (req->n_headers >= HTTP_MAX_HEADERS || (v = strdup(value)) == NULL)
		return -1;
	req->headers[req->n_headers].name = name;
	req->headers[req->n_headers].value = v;
	req->n_headers++;
	return 0;
}

/* a short text response */
unsigned int
respond_text(struct MHD_Connection *conn, http_request *req, unsigned int status,
			 const char *text)
{
	return respond(conn, req, status, "text/plain; charset=utf-8", text, strlen(text),
				   MHD_RESPMEM_MUST_COPY);
}

/* db.c's reason code as a fixed label (logs and metrics hold only these) */
const char *
db_reason_label(const char *reason)
{
	static const char *const labels[] = {"db_not_configured", "pool_busy", "connect_failed", "timeout"};

	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcmp(reason, labels[i]) == 0)
			return labels[i];
	return "query_failed";
}

/*
 * The route of a URL (query string ignored), or NULL.  A prefix route
 * matches one more non-empty segment of at most 127 characters from
 * [A-Za-z0-9._-] (ids are uuids and handles), copied to id when given.  A
 * route "/a/{}/b" matches "/a/<segment>/b" the same way (the segment is the
 * id); list it before the prefix route "/a/".
 */
const http_route *
http_find_route(const http_route *routes, size_t n_routes, const char *url, char *id, size_t idlen)
{
	size_t		n = strcspn(url, "?");

	for (size_t i = 0; i < n_routes; i++)
	{
		size_t		plen = strlen(routes[i].path);
		const char *hole = strstr(routes[i].path, "{}");

		if (hole != NULL)
		{
			size_t		pre = (size_t) (hole - routes[i].path);
			size_t		suf = plen - pre - 2;
			size_t		seg;

			if (n <= pre + suf || strncmp(routes[i].path, url, pre) != 0 ||
				strncmp(hole + 2, url + n - suf, suf) != 0)
				continue;
			seg = n - pre - suf;
			if (seg >= 128 || (id != NULL && seg >= idlen) ||
				strspn(url + pre, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != seg)
				continue;
			if (id)
			{
				memcpy(id, url + pre, seg);
				id[seg] = '\0';
			}
			return &routes[i];
		}
		if (routes[i].path[plen - 1] == '/')
		{
			size_t		rest = n - plen;

			if (n <= plen || strncmp(routes[i].path, url, plen) != 0 || rest >= 128 ||
				(id != NULL && rest >= idlen))
				continue;
			for (size_t j = plen; j < n; j++)
				if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-",
						   url[j]) == NULL || url[j] == '\0')
					return NULL;
			if (id)
			{
				memcpy(id, url + plen, rest);
				id[rest] = '\0';
			}
			return &routes[i];
		}
		if (plen == n && strncmp(routes[i].path, url, n) == 0)
			return &routes[i];
	}
	return NULL;
}

/* is method one of the route's space-separated methods (GET also allows HEAD)? */
int
http_method_allowed(const char *allowed, const char *method)
{
	size_t		n = strlen(method);
	const char *p = allowed;

	if (strcmp(method, "HEAD") == 0)
		method = "GET", n = 3;
	while (*p)
	{
		size_t		w = strcspn(p, " ");

		if (w == n && strncmp(p, method, n) == 0)
			return 1;
		p += w;
		while (*p == ' ')
			p++;
	}
	return 0;
}

/* answer a complete request */
static unsigned int
dispatch(struct MHD_Connection *conn, http_request *req, const char *url)
{
	const http_route *r = http_find_route(routes, n_routes, url, req->id, sizeof(req->id));

	if (r == NULL)
		return respond_text(conn, req, MHD_HTTP_NOT_FOUND, "not found\n");
	if (!http_method_allowed(r->method, req->method))
	{
		/* "GET POST" -> "GET, HEAD, POST" */
		size_t		n = 0;

		for (const char *p = r->method; *p && n + 8 < sizeof(req->allow);)
		{
			size_t		w = strcspn(p, " ");

			n += (size_t) snprintf(req->allow + n, sizeof(req->allow) - n, "%s%.*s%s",
								   n ? ", " : "", (int) w, p,
								   (w == 3 && strncmp(p, "GET", 3) == 0) ? ", HEAD" : "");
			p += w;
			while (*p == ' ')
				p++;
		}
		return respond_text(conn, req, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	}
	return r->handler(conn, req);
}

/* adds a header's size to the total */
static enum MHD_Result
count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	size_t	   *total = cls;

	(void) kind;
	*total += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

/* a request id: the proxy's X-Request-Id when sane, else 16 random hex digits */
static void
make_request_id(struct MHD_Connection *conn, char *out, size_t len)
{
	const char *in = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
	unsigned char rnd[8];

	if (in != NULL && in[0] != '\0' && strlen(in) < len && strlen(in) <= 64 &&
		strspn(in, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(in))
	{
		snprintf(out, len, "%s", in);
		return;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd))
	{
		static atomic_ulong seq;
		unsigned long v = atomic_fetch_add(&seq, 1) ^ (unsigned long) time(NULL);

		memcpy(rnd, &v, sizeof(rnd) < sizeof(v) ? sizeof(rnd) : sizeof(v));
	}
	snprintf(out, len, "%02x%02x%02x%02x%02x%02x%02x%02x",
			 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
}

/* the first call for a request: set it up and apply the header and length limits */
static enum MHD_Result
request_begin(struct MHD_Connection *conn, const char *url, const char *method,
			  void **con_cls)
{
	http_request *req = calloc(1, sizeof(http_request));
	size_t		header_bytes = strlen(method) + strlen(url) + 12;
	const char *cl;

	if (req == NULL)
		return MHD_NO;
	clock_gettime(CLOCK_MONOTONIC, &req->start);
	req->cfg = config_acquire();
	{
		const http_route *r = http_find_route(routes, n_routes, url, NULL, 0);

		req->route = r ? r->label : "not_found";
		req->rate_class = r ? r->rate_class : 0;
	}
	snprintf(req->method, sizeof(req->method), "%s", method);
	make_request_id(conn, req->request_id, sizeof(req->request_id));
	*con_cls = req;
	metrics_inflight_add(1);
	guard_head_received(conn);

	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &header_bytes);
	if ((long) header_bytes > req->cfg->max_header_bytes)
	{
		req->reason = "headers_too_large";
		return respond_text(conn, req, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE,
							"request headers too large\n") ? MHD_YES : MHD_NO;
	}
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL)
	{
		char	   *end;
		unsigned long long v = strtoull(cl, &end, 10);

		if (end == cl || *end != '\0')
		{
			req->reason = "bad_content_length";
			return respond_text(conn, req, MHD_HTTP_BAD_REQUEST,
								"bad Content-Length\n") ? MHD_YES : MHD_NO;
		}
		if (v > (unsigned long long) req->cfg->max_body_bytes)
		{
			req->too_large = 1;
			req->reason = "body_too_large";
			return respond_text(conn, req, MHD_HTTP_CONTENT_TOO_LARGE,
								"request body too large\n") ? MHD_YES : MHD_NO;
		}
	}
	if (req->rate_class != 0)
	{
		int			wait = guard_rate_take((rate_class) req->rate_class, conn);

		if (wait > 0)
		{
			char		secs[16];

			snprintf(secs, sizeof(secs), "%d", wait);
			http_add_header(req, MHD_HTTP_HEADER_RETRY_AFTER, secs);
			req->reason = "rate_limited";
			return respond_text(conn, req, MHD_HTTP_TOO_MANY_REQUESTS,
								"too many requests: retry later\n") ? MHD_YES : MHD_NO;
		}
	}
	return MHD_YES;
}

/* libmicrohttpd access handler */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
		   const char *method, const char *version, const char *upload_data,
		   size_t *upload_data_size, void **con_cls)
{
	http_request *req = *con_cls;

	(void) cls;
	(void) version;
	if (req == NULL)
		return request_begin(conn, url, method, con_cls);
	if (req->status != 0)
	{
		/* answered early (413, 431): drop whatever still comes */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size > 0)
	{
		size_t		n = *upload_data_size;

		*upload_data_size = 0;
		if (req->too_large || req->body_len + n > (size_t) req->cfg->max_body_bytes)
		{
			req->too_large = 1;
			free(req->body);
			req->body = NULL;
			req->discarded += n;
			if (req->discarded > (size_t) req->cfg->max_body_bytes * BODY_DISCARD_FACTOR)
			{
				req->reason = "body_too_large";
				return MHD_NO;
			}
			return MHD_YES;
		}
		{
			char	   *nb = realloc(req->body, req->body_len + n + 1);

			if (nb == NULL)
				return MHD_NO;
			req->body = nb;
			memcpy(req->body + req->body_len, upload_data, n);
			req->body_len += n;
			req->body[req->body_len] = '\0';
		}
		return MHD_YES;
	}
	if (req->too_large)
	{
		req->reason = "body_too_large";
		return respond_text(conn, req, MHD_HTTP_CONTENT_TOO_LARGE,
							"request body too large\n") ? MHD_YES : MHD_NO;
	}
	guard_request_complete(conn);
	return dispatch(conn, req, url) ? MHD_YES : MHD_NO;
}

/* libmicrohttpd completion callback: the request's log line and metrics */
static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	http_request *req = *con_cls;
	double		secs;
	char		status[16];
	char		ms[32];
	char		bytes[32];

	(void) cls;
	if (req == NULL)
		return;
	guard_answered(conn);
	*con_cls = NULL;
	secs = elapsed(&req->start);
	snprintf(status, sizeof(status), "%u", req->status);
	snprintf(ms, sizeof(ms), "%.1f", secs * 1000.0);
	snprintf(bytes, sizeof(bytes), "%zu", req->body_len + req->discarded);
	log_kv(req->status >= 500 || req->status == 0 ? LOG_LVL_WARNING : LOG_LVL_INFO, "request",
		   "method", req->method,
		   "route", req->route,
		   "status", status,
		   "duration_ms", ms,
		   "body_bytes", bytes,
		   "request_id", req->request_id,
		   "reason", req->reason,
		   "aborted", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? NULL : "yes",
		   NULL);
	metrics_request(req->route, req->status, secs);
	config_release(req->cfg);
	free(req->body);
	free(req->location);
	for (int i = 0; i < req->n_headers; i++)
		free(req->headers[i].value);
	free(req);
	metrics_inflight_add(-1);
}

/* libmicrohttpd's own messages into our log */
static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char		msg[256];

	(void) cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_kv(LOG_LVL_DEBUG, "libmicrohttpd", "detail", msg, NULL);
}

/* start listening */
int
http_start(const bridge_config *cfg, const http_route *table, size_t n_table, char *err, size_t errlen)
{
	struct sockaddr_in sin4;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
		MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	size_t		mem = (size_t) cfg->max_header_bytes * 2 + 64 * 1024;

	memset(&sin4, 0, sizeof(sin4));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, cfg->listen_address, &sin4.sin_addr) == 1)
	{
		sin4.sin_family = AF_INET;
		sin4.sin_port = htons((uint16_t) cfg->listen_port);
		sa = (struct sockaddr *) &sin4;
	}
	else if (inet_pton(AF_INET6, cfg->listen_address, &sin6.sin6_addr) == 1)
	{
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t) cfg->listen_port);
		sa = (struct sockaddr *) &sin6;
		flags |= MHD_USE_IPv6;
	}
	else
	{
		snprintf(err, errlen, "listen_address is not a numeric address");
		return -1;
	}
	atomic_store(&draining, 0);
	routes = table;
	n_routes = n_table;
	guard_configure(cfg);
	if (guard_start() != 0)
	{
		snprintf(err, errlen, "cannot start the deadline thread");
		return -1;
	}
	daemon_handle = MHD_start_daemon(flags, (uint16_t) cfg->listen_port, guard_accept, NULL,
									 on_request, NULL,
									 MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
									 MHD_OPTION_SOCK_ADDR, sa,
									 MHD_OPTION_THREAD_POOL_SIZE, (unsigned int) cfg->threads,
									 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) cfg->request_timeout_s,
									 MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
									 MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
									 MHD_OPTION_NOTIFY_CONNECTION, guard_notify, NULL,
									 /* guard.c's max_connections is the limit (reloadable) */
									 MHD_OPTION_CONNECTION_LIMIT, (unsigned int) 65536,
									 /*
									  * MHD's default: SO_REUSEADDR (a restarted bridge
									  * binds at once, not after TIME_WAIT) and no
									  * SO_REUSEPORT (a second bridge on the port fails)
									  */
									 MHD_OPTION_END);
	if (daemon_handle == NULL)
	{
		snprintf(err, errlen, "cannot listen on %s port %d", cfg->listen_address, cfg->listen_port);
		guard_stop();
		return -1;
	}
	return 0;
}

/* stop accepting connections */
void
http_quiesce(void)
{
	MHD_socket	fd;

	if (daemon_handle == NULL || atomic_exchange(&draining, 1))
		return;
	fd = MHD_quiesce_daemon(daemon_handle);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

/* requests in flight */
long
http_inflight(void)
{
	return metrics_inflight();
}

/* stop everything */
void
http_stop(void)
{
	if (daemon_handle != NULL)
		MHD_stop_daemon(daemon_handle);
	daemon_handle = NULL;
	guard_stop();
}
