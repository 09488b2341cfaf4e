/*-------------------------------------------------------------------------
 *
 * http.c
 *	  libmicrohttpd server, limits, router and request logging.
 *
 * Limits: the request line plus headers may use max_header_bytes (431
 * beyond; libmicrohttpd's per-connection memory is sized above that so
 * the check here sees the request first); a body may use max_body_bytes
 * (413: at once when Content-Length says so, otherwise the excess is
 * discarded and 413 sent at the end, and a client that keeps sending far
 * beyond is cut off); an idle connection lives request_timeout_s.
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
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/evp.h>

#include "db.h"
#include "http.h"
#include "http_internal.h"
#include "log.h"
#include "metrics.h"

#define BODY_DISCARD_FACTOR 4	/* cut off after this many times the limit */


typedef struct route
{
	const char *path;			/* ending in '/': a prefix, one more segment */
	const char *method;			/* GET also answers HEAD */
	const char *label;
	unsigned int (*handler) (struct MHD_Connection *conn, http_request *req);
} route;

static struct MHD_Daemon *daemon_handle;
static atomic_int draining;

static unsigned int handle_healthz(struct MHD_Connection *conn, http_request *req);
static unsigned int handle_metrics(struct MHD_Connection *conn, http_request *req);
static unsigned int handle_credential(struct MHD_Connection *conn, http_request *req);
static unsigned int handle_issuer(struct MHD_Connection *conn, http_request *req);
static unsigned int handle_status(struct MHD_Connection *conn, http_request *req);
static unsigned int handle_achievement(struct MHD_Connection *conn, http_request *req);
static unsigned int handle_login(struct MHD_Connection *conn, http_request *req);

static const route routes[] = {
	{"/healthz", "GET", "healthz", handle_healthz},
	{"/metrics", "GET", "metrics", handle_metrics},
	{"/credentials/", "GET", "credential", handle_credential},
	{"/issuers/", "GET", "issuer", handle_issuer},
	{"/status/", "GET", "status_list", handle_status},
	{"/achievements/", "GET", "achievement", handle_achievement},
	{"/lti/login", "GET POST", "lti_login", handle_login},
	{"/lti/launch", "POST", "lti_launch", lti_handle_launch},
	{"/lti/deep-link", "POST", "lti_deep_link", lti_handle_deep_link},
	{"/lti/jwks", "GET", "lti_jwks", lti_handle_jwks},
	{"/lti/register", "GET", "lti_register", lti_handle_register},
	{"/lti/canvas.json", "GET", "lti_canvas_config", lti_handle_canvas_config},
	{"/xapi/statements", "POST", "xapi_statements", ev_handle_xapi},
	{"/canvas/live-events", "POST", "canvas_live_events", ev_handle_canvas},
	{"/moodle/events", "POST", "moodle_events", ev_handle_moodle},
};

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
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept");
	if (req->etag[0] != '\0')
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, req->etag);
	if (req->location != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, req->location);
	if (req->cookie[0] != '\0')
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, req->cookie);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (req->lti_error != NULL)
		MHD_add_response_header(resp, "X-LTI-Error", req->lti_error);
	if (req->event_error != NULL)
		MHD_add_response_header(resp, "X-Event-Error", req->event_error);
	if (req->xapi)
		MHD_add_response_header(resp, "X-Experience-API-Version", "1.0.3");
	if (req->basic_auth && status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"microcred xAPI\"");
	if (req->html)
	{
		char		csp[200];

		/* pages hold no third-party content; scripts only with this response's nonce */
		snprintf(csp, sizeof(csp),
				 "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; "
				 "form-action 'self' https: http:; script-src 'nonce-%s'",
				 req->script_nonce[0] ? req->script_nonce : "none");
		MHD_add_response_header(resp, "Content-Security-Policy", csp);
		MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	}
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

/* GET /healthz: the database answers SELECT 1 */
static unsigned int
handle_healthz(struct MHD_Connection *conn, http_request *req)
{
	char		reason[64];
	char		text[96];

	if (db_health(req->cfg->db_conninfo, req->cfg->db_timeout_ms, reason, sizeof(reason)) == 0)
		return respond_text(conn, req, MHD_HTTP_OK, "ok\n");
	req->reason = db_reason_label(reason);
	snprintf(text, sizeof(text), "unavailable: %s\n", req->reason);
	return respond_text(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, text);
}

/* GET /metrics: Prometheus text format */
static unsigned int
handle_metrics(struct MHD_Connection *conn, http_request *req)
{
	size_t		len = 0;
	char	   *text = metrics_render(&len);

	if (text == NULL)
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	return respond(conn, req, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
				   text, len, MHD_RESPMEM_MUST_FREE);
}

/*
 * Does the request's Accept header prefer a JWT to JSON?  Only when it
 * names application/vc+jwt or application/jwt and neither JSON form.
 */
static int
wants_jwt(struct MHD_Connection *conn)
{
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);

	if (accept == NULL)
		return 0;
	if (strstr(accept, "application/vc+jwt") == NULL && strstr(accept, "application/jwt") == NULL)
		return 0;
	if (strstr(accept, "application/json") != NULL)
		return 0;
	/* application/vc on its own, not as the prefix of application/vc+jwt */
	for (const char *p = strstr(accept, "application/vc"); p; p = strstr(p + 1, "application/vc"))
		if (p[14] != '+')
			return 0;
	return 1;
}

/* a strong entity tag: the first 128 bits of the body's SHA-256, quoted */
static void
make_etag(const char *body, size_t len, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t		o = 0;

	out[0] = '\0';
	if (outlen < 35 || EVP_Digest(body, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 16)
		return;
	out[o++] = '"';
	for (int i = 0; i < 16; i++)
		o += (size_t) snprintf(out + o, outlen - o, "%02x", md[i]);
	out[o++] = '"';
	out[o] = '\0';
}

/*
 * Does an If-None-Match header match the entity tag?  "*" or any listed tag,
 * compared weakly (a W/ prefix ignored), as RFC 9110 13.1.2 asks.
 */
static int
etag_matches(const char *header, const char *etag)
{
	size_t		elen = strlen(etag);
	const char *p = header;

	while (*p)
	{
		size_t		n;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		if (*p == '*')
			return 1;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		n = strcspn(p, ",");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == elen && strncmp(p, etag, n) == 0)
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

/*
 * Issued credential documents never change (corrections supersede), so
 * their 200 answers are kept in a small direct-mapped cache for
 * public_cache_s seconds: a GET then needs no database round trip.  The
 * only change a document can see is erasure (410), which cached copies
 * follow within public_cache_s; 0 turns the cache off.  Bounded:
 * public_cache_entries slots, each replaced by the next id hashing to it.
 */
typedef struct doc_slot
{
	char		id[128];
	int			want_jwt;
	char	   *content_type;
	char	   *body;
	size_t		len;
	long long	last_modified;
	int			max_age;
	char		etag[40];
	long long	stored_ms;
} doc_slot;

static pthread_mutex_t doc_lock = PTHREAD_MUTEX_INITIALIZER;
static doc_slot *doc_slots;
static size_t n_doc_slots;

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
doc_slot_clear(doc_slot *d)
{
	free(d->content_type);
	free(d->body);
	memset(d, 0, sizeof(*d));
}

/* (re)size the cache to the configuration; called at start and on reload */
void
http_configure(const bridge_config *cfg)
{
	size_t		want = cfg->public_cache_s > 0 ? (size_t) cfg->public_cache_entries : 0;

	pthread_mutex_lock(&doc_lock);
	if (want != n_doc_slots)
	{
		for (size_t i = 0; i < n_doc_slots; i++)
			doc_slot_clear(&doc_slots[i]);
		free(doc_slots);
		doc_slots = want ? calloc(want, sizeof(doc_slot)) : NULL;
		n_doc_slots = doc_slots ? want : 0;
	}
	pthread_mutex_unlock(&doc_lock);
}

static size_t
doc_hash(const char *id, int want_jwt)
{
	uint64_t	h = 1469598103934665603ULL;	/* FNV-1a */

	for (const unsigned char *p = (const unsigned char *) id; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (size_t) ((h ^ (uint64_t) want_jwt) % n_doc_slots);
}

/* a fresh cached answer, copied into r (caller frees); 1 on a hit */
static int
doc_cache_get(const bridge_config *cfg, const char *id, int want_jwt, db_resource *r, char *etag)
{
	int			hit = 0;

	pthread_mutex_lock(&doc_lock);
	if (n_doc_slots > 0)
	{
		doc_slot   *d = &doc_slots[doc_hash(id, want_jwt)];

		if (d->body != NULL && d->want_jwt == want_jwt && strcmp(d->id, id) == 0 &&
			mono_ms() - d->stored_ms < (long long) cfg->public_cache_s * 1000)
		{
			r->status = MHD_HTTP_OK;
			r->content_type = strdup(d->content_type);
			r->body = malloc(d->len + 1);
			if (r->content_type != NULL && r->body != NULL)
			{
				memcpy(r->body, d->body, d->len + 1);
				r->body_len = d->len;
				r->last_modified = d->last_modified;
				r->max_age = d->max_age;
				memcpy(etag, d->etag, sizeof(d->etag));
				hit = 1;
			}
			else
				db_resource_free(r);
		}
	}
	pthread_mutex_unlock(&doc_lock);
	return hit;
}

static void
doc_cache_put(const char *id, int want_jwt, const db_resource *r, const char *etag)
{
	pthread_mutex_lock(&doc_lock);
	if (n_doc_slots > 0 && strlen(id) < sizeof(doc_slots[0].id))
	{
		doc_slot   *d = &doc_slots[doc_hash(id, want_jwt)];

		doc_slot_clear(d);
		d->content_type = strdup(r->content_type);
		d->body = malloc(r->body_len + 1);
		if (d->content_type == NULL || d->body == NULL)
			doc_slot_clear(d);
		else
		{
			memcpy(d->body, r->body, r->body_len);
			d->body[r->body_len] = '\0';
			d->len = r->body_len;
			snprintf(d->id, sizeof(d->id), "%s", id);
			d->want_jwt = want_jwt;
			d->last_modified = r->last_modified;
			d->max_age = r->max_age;
			snprintf(d->etag, sizeof(d->etag), "%s", etag);
			d->stored_ms = mono_ms();
		}
	}
	pthread_mutex_unlock(&doc_lock);
}

/* a public resource from the database: 200, 304, 404, 406 or 410, or 503 */
static unsigned int
serve_public(struct MHD_Connection *conn, http_request *req, const char *kind, int want_jwt)
{
	db_resource r = {0};
	char		reason[64];
	int			cacheable = strcmp(kind, "credential") == 0;

	if (cacheable && doc_cache_get(req->cfg, req->id, want_jwt, &r, req->etag))
		req->reason = "cached";
	else if (db_public_resource(req->cfg->db_conninfo, req->cfg->db_timeout_ms, kind, req->id,
						   want_jwt, &r, reason, sizeof(reason)) != 0)
	{
		req->reason = db_reason_label(reason);
		return respond_text(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "temporarily unavailable\n");
	}
	if (r.status == MHD_HTTP_OK || r.status == MHD_HTTP_GONE)
	{
		req->max_age = r.max_age;
		req->last_modified = r.last_modified;
	}
	if (r.status != MHD_HTTP_OK)
	{
		unsigned int st = (unsigned int) r.status;
		char		text[320];

		req->reason = st == MHD_HTTP_NOT_FOUND ? "unknown_id" : st == MHD_HTTP_GONE ? "erased"
			: st == MHD_HTTP_NOT_ACCEPTABLE ? "no_jwt" : "other";
		snprintf(text, sizeof(text), "%s\n", r.body);
		db_resource_free(&r);
		return respond_text(conn, req, st, text);
	}
	{
		unsigned int st;
		const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
													  MHD_HTTP_HEADER_IF_NONE_MATCH);

		if (req->etag[0] == '\0')
		{
			make_etag(r.body, r.body_len, req->etag, sizeof(req->etag));
			if (cacheable)
				doc_cache_put(req->id, want_jwt, &r, req->etag);
		}
		if (inm != NULL && req->etag[0] != '\0' && etag_matches(inm, req->etag))
		{
			db_resource_free(&r);
			return respond(conn, req, MHD_HTTP_NOT_MODIFIED, "text/plain; charset=utf-8", "", 0,
						   MHD_RESPMEM_PERSISTENT);
		}
		st = respond(conn, req, MHD_HTTP_OK, r.content_type, r.body, r.body_len,
					 MHD_RESPMEM_MUST_COPY);
		db_resource_free(&r);
		return st;
	}
}

/* GET /credentials/{uuid}: the signed document (JSON, or its vc-jwt by Accept) */
static unsigned int
handle_credential(struct MHD_Connection *conn, http_request *req)
{
	req->vary_accept = 1;
	const char *format = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "format");

	return serve_public(conn, req, "credential",
						wants_jwt(conn) || (format != NULL && strcmp(format, "jwt") == 0));
}

/* GET /issuers/{handle}: the OB 3.0 Profile with the issuer's keys */
static unsigned int
handle_issuer(struct MHD_Connection *conn, http_request *req)
{
	return serve_public(conn, req, "issuer", 0);
}

/* GET /achievements/{uuid}: the Achievement credentials of a type carry */
static unsigned int
handle_achievement(struct MHD_Connection *conn, http_request *req)
{
	return serve_public(conn, req, "achievement", 0);
}

/* GET /status/{uuid}: the signed BitstringStatusListCredential */
static unsigned int
handle_status(struct MHD_Connection *conn, http_request *req)
{
	return serve_public(conn, req, "status", 0);
}

/* append name=value, percent-encoded (RFC 3986 unreserved kept), to a growing buffer */
int
append_param(char *buf, size_t cap, size_t *len, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *parts[2] = {name, value};

	if (*len + 1 >= cap)
		return -1;
	buf[(*len)++] = (strchr(buf, '?') != NULL) ? '&' : '?';
	for (int p = 0; p < 2; p++)
	{
		if (p == 1)
		{
			if (*len + 1 >= cap)
				return -1;
			buf[(*len)++] = '=';
		}
		for (const unsigned char *c = (const unsigned char *) parts[p]; *c; c++)
		{
			if (*len + 4 >= cap)
				return -1;
			if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
				*c == '-' || *c == '.' || *c == '_' || *c == '~')
				buf[(*len)++] = (char) *c;
			else
			{
				buf[(*len)++] = '%';
				buf[(*len)++] = hex[*c >> 4];
				buf[(*len)++] = hex[*c & 15];
			}
		}
	}
	buf[*len] = '\0';
	return 0;
}

/*
 * The value of name in an application/x-www-form-urlencoded body, decoded
 * into out; 1 found, 0 absent, -1 malformed or longer than outlen - 1.
 */
int
form_value(const char *body, const char *name, char *out, size_t outlen)
{
	size_t		nlen = strlen(name);
	const char *p = body;

	while (p != NULL && *p)
	{
		const char *end = strchr(p, '&');
		size_t		flen = end ? (size_t) (end - p) : strlen(p);

		if (flen > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=')
		{
			size_t		o = 0;

			for (size_t i = nlen + 1; i < flen; i++)
			{
				int			ch = (unsigned char) p[i];

				if (ch == '+')
					ch = ' ';
				else if (ch == '%')
				{
					unsigned int v;

					if (i + 2 >= flen || !isxdigit((unsigned char) p[i + 1]) ||
						!isxdigit((unsigned char) p[i + 2]) ||
						sscanf(p + i + 1, "%2x", &v) != 1)
						return -1;
					ch = (int) v;
					i += 2;
				}
				if (ch == 0 || o + 1 >= outlen)
					return -1;
				out[o++] = (char) ch;
			}
			out[o] = '\0';
			return 1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

/* a login parameter from the query string (GET) or the form body (POST) */
static int
login_param(struct MHD_Connection *conn, http_request *req, const char *name, char *out, size_t outlen)
{
	if (strcmp(req->method, "POST") == 0)
		return form_value(req->body ? req->body : "", name, out, outlen);
	{
		const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);

		if (v == NULL)
			return 0;
		if (strlen(v) >= outlen)
			return -1;
		snprintf(out, outlen, "%s", v);
		return 1;
	}
}

/*
 * GET or POST /lti/login: LTI 1.3 third-party-initiated login.  Checks the
 * parameters and that target_link_uri is one of our URLs, creates the state
 * and nonce in the database, binds the state to the browser with a cookie
 * and redirects to the platform's authorization endpoint.
 */
static unsigned int
handle_login(struct MHD_Connection *conn, http_request *req)
{
	char		iss[512], login_hint[1024], target[1024], hint[2048], client_id[256];
	int			has_hint, has_client;
	db_login	l;
	char		reason[64];
	const char *base = req->cfg->public_base_url;
	size_t		blen = strlen(base);
	char	   *url;
	size_t		len;
	int			rc;

	if (login_param(conn, req, "iss", iss, sizeof(iss)) != 1 || iss[0] == '\0')
	{
		req->reason = "missing_iss";
		return respond_text(conn, req, MHD_HTTP_BAD_REQUEST, "login: iss is required\n");
	}
	if (login_param(conn, req, "login_hint", login_hint, sizeof(login_hint)) != 1 || login_hint[0] == '\0')
	{
		req->reason = "missing_login_hint";
		return respond_text(conn, req, MHD_HTTP_BAD_REQUEST, "login: login_hint is required\n");
	}
	if (login_param(conn, req, "target_link_uri", target, sizeof(target)) != 1 || target[0] == '\0')
	{
		req->reason = "missing_target_link_uri";
		return respond_text(conn, req, MHD_HTTP_BAD_REQUEST, "login: target_link_uri is required\n");
	}
	/*
	 * only our own LTI URLs: public_base_url followed by /lti/, with no dot
	 * segments or backslashes that a browser would resolve elsewhere
	 */
	if (blen == 0 || strncmp(target, base, blen) != 0 || strncmp(target + blen, "/lti/", 5) != 0 ||
		strstr(target + blen, "/../") != NULL || strstr(target + blen, "/./") != NULL ||
		strchr(target + blen, '\\') != NULL)
	{
		req->reason = "foreign_target_link_uri";
		return respond_text(conn, req, MHD_HTTP_BAD_REQUEST,
							"login: target_link_uri is not a URL of this tool\n");
	}
	has_hint = login_param(conn, req, "lti_message_hint", hint, sizeof(hint));
	has_client = login_param(conn, req, "client_id", client_id, sizeof(client_id));
	if (has_hint < 0 || has_client < 0)
	{
		req->reason = "bad_parameter";
		return respond_text(conn, req, MHD_HTTP_BAD_REQUEST, "login: a parameter is malformed or too long\n");
	}
	rc = db_begin_login(req->cfg->db_conninfo, req->cfg->db_timeout_ms, iss,
						has_client == 1 && client_id[0] ? client_id : NULL, target, &l,
						reason, sizeof(reason));
	if (rc == 1)
	{
		req->reason = "unknown_platform";
		metrics_launch_failure("unknown_platform");
		return respond_text(conn, req, MHD_HTTP_BAD_REQUEST,
							"login: no platform is registered with this iss and client_id\n");
	}
	if (rc != 0)
	{
		req->reason = db_reason_label(reason);
		return respond_text(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "temporarily unavailable\n");
	}
	len = strlen(l.auth_login_url) + 3 * (strlen(login_hint) + strlen(hint) + strlen(l.client_id) +
										  strlen(l.state) + strlen(l.nonce) + blen) + 256;
	url = malloc(len);
	if (url == NULL)
	{
		db_login_free(&l);
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	{
		size_t		n = (size_t) snprintf(url, len, "%s", l.auth_login_url);
		char		redirect[1100];
		char		cookie[160];
		int			bad = 0;

		snprintf(redirect, sizeof(redirect), "%s/lti/launch", base);
		bad |= append_param(url, len, &n, "scope", "openid");
		bad |= append_param(url, len, &n, "response_type", "id_token");
		bad |= append_param(url, len, &n, "response_mode", "form_post");
		bad |= append_param(url, len, &n, "prompt", "none");
		bad |= append_param(url, len, &n, "client_id", l.client_id);
		bad |= append_param(url, len, &n, "redirect_uri", redirect);
		bad |= append_param(url, len, &n, "login_hint", login_hint);
		bad |= append_param(url, len, &n, "state", l.state);
		bad |= append_param(url, len, &n, "nonce", l.nonce);
		if (has_hint == 1)
			bad |= append_param(url, len, &n, "lti_message_hint", hint);
		/* the state bound to this browser: the launch must bring the same one back */
		snprintf(cookie, sizeof(cookie),
				 "mc_lti_state=%s; Path=/lti/; Max-Age=600; SameSite=None; Secure; HttpOnly", l.state);
		db_login_free(&l);
		if (bad)
		{
			free(url);
			return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "redirect too long\n");
		}
		req->location = url;
		snprintf(req->cookie, sizeof(req->cookie), "%s", cookie);
		return respond_text(conn, req, MHD_HTTP_FOUND, "redirecting to the platform\n");
	}
}

/*
 * The route of a URL (query string ignored), or NULL.  A prefix route
 * matches one more non-empty segment of at most 127 characters from
 * [A-Za-z0-9._-] (ids are uuids and handles), copied to id when given.
 */
static const route *
find_route(const char *url, char *id, size_t idlen)
{
	size_t		n = strcspn(url, "?");

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
	{
		size_t		plen = strlen(routes[i].path);

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
static int
method_allowed(const char *allowed, const char *method)
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
	const route *r = find_route(url, req->id, sizeof(req->id));

	if (r == NULL)
		return respond_text(conn, req, MHD_HTTP_NOT_FOUND, "not found\n");
	if (!method_allowed(r->method, req->method))
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
		const route *r = find_route(url, NULL, 0);

		req->route = r ? r->label : "not_found";
	}
	snprintf(req->method, sizeof(req->method), "%s", method);
	make_request_id(conn, req->request_id, sizeof(req->request_id));
	*con_cls = req;
	metrics_inflight_add(1);

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
	(void) conn;
	if (req == NULL)
		return;
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
http_start(const bridge_config *cfg, char *err, size_t errlen)
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
	daemon_handle = MHD_start_daemon(flags, (uint16_t) cfg->listen_port, NULL, NULL,
									 on_request, NULL,
									 MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
									 MHD_OPTION_SOCK_ADDR, sa,
									 MHD_OPTION_THREAD_POOL_SIZE, (unsigned int) cfg->threads,
									 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) cfg->request_timeout_s,
									 MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
									 MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
									 /*
									  * MHD's default: SO_REUSEADDR (a restarted bridge
									  * binds at once, not after TIME_WAIT) and no
									  * SO_REUSEPORT (a second bridge on the port fails)
									  */
									 MHD_OPTION_END);
	if (daemon_handle == NULL)
	{
		snprintf(err, errlen, "cannot listen on %s port %d", cfg->listen_address, cfg->listen_port);
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
	/* no request is left: drop the document cache */
	pthread_mutex_lock(&doc_lock);
	for (size_t i = 0; i < n_doc_slots; i++)
		doc_slot_clear(&doc_slots[i]);
	free(doc_slots);
	doc_slots = NULL;
	n_doc_slots = 0;
	pthread_mutex_unlock(&doc_lock);
}
