/*-------------------------------------------------------------------------
 *
 * event_sender.c
 *	  Course completion events sent to a running bridge the way an LMS
 *	  sends them: over keep-alive connections, each event retried until it
 *	  gets an answer below 500 (a 5xx, 408, 429 or a connection error is
 *	  retried with backoff, at most --max-attempts times and --max-seconds
 *	  per event).
 *
 *	  event_sender MODE BRIDGE_URL [options]      MODE: xapi, canvas, moodle
 *
 *	  -n N             events to send (default 100)
 *	  -d D             distinct completions (default N): the events cycle
 *	                   over D completions, shuffled, so N - D are duplicates
 *	  -c C             sending threads, one keep-alive connection each (8)
 *	  --db DBNAME      set up in DBNAME first (libpq, PG* environment, a
 *	                   microcred admin): an LTI platform, course mappings
 *	                   (course 101 -> first type, 102 -> second, ...) and
 *	                   the event source; prints "source NAME secret S"
 *	  --run TAG        names this run's platform, source, users and keys
 *	                   (default: random); TAG-u<k>@learners.example ...
 *	  --issuer H       awarding body handle (demo-uas)
 *	  --types A,B      credential type codes, one course each (GDPR-NURSE)
 *	  --source NAME --secret S   an existing xapi/moodle source (no --db)
 *	  --no-email       users carry neither email nor name (events pend)
 *	  --unmapped       completions of course 999, which has no mapping
 *	  --not-completion events that are not completions (xAPI verb
 *	                   experienced, Canvas course_progress, Moodle
 *	                   course_viewed)
 *	  --no-id          xAPI statements without an id (the bridge derives it)
 *	  --fault F        send broken requests: badauth (xapi password),
 *	                   badhmac (moodle), badsig, unknownkid, expired,
 *	                   noexp, oldiat, futureiat, account, alg (canvas)
 *	  --expect S       exit 0 only when every event's final status is S
 *	                   (default: every event answered 2xx)
 *	  --list FILE      write the distinct completions: "email,TYPE" lines
 *	  --max-attempts A (600)   --max-seconds S (60)   --timeout S (15)
 *	                   per event; --deadline S (600): no attempt starts
 *	                   later than S seconds after the first (the rest are
 *	                   counted unanswered)
 *	  --seed X         shuffle seed (default: time)
 *	  --bench          also time microcred.issue through libpq, one
 *	                   credential per transaction over C connections, for
 *	                   D learners of its own (needs --db), in 5 rounds
 *	                   alternating with the events (so that other load
 *	                   on the machine hits both alike); the event
 *	                   learners are created beforehand too (not timed)
 *	  -v               print the first answer body of each final status
 *
 * Prints one "key value" line per figure (status counts, retries,
 * elapsed, events/s, p50/p99 latency of the answered request) and, with
 * --bench, bench.sh-style lines.  Exit status: 0 when every event got
 * what was expected, 1 otherwise, 2 on bad arguments.  Binds and sends
 * on loopback only; every loop is bounded.
 *
 *-------------------------------------------------------------------------
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "jose_helpers.h"

#define MAX_TYPES		8
#define MAX_STATUS		600
#define MAX_THREADS		256
#define MAX_EVENTS		1000000
#define BENCH_ROUNDS	5

typedef enum
{
	M_XAPI, M_CANVAS, M_MOODLE
} send_mode;

typedef struct event
{
	char	   *body;			/* request body, malloc'd */
	size_t		len;
	char		sig_header[176];	/* moodle: X-Microcred-Signature header line */
	char		email[128];		/* empty when --no-email */
	const char *type;			/* credential type code, NULL if unmapped */
} event;

/* options */
static send_mode mode;
static const char *mode_name;
static const char *bridge;
static const char *dbname;
static const char *issuer = "demo-uas";
static const char *types[MAX_TYPES];
static int	n_types;
static char run[40];
static char source_name[80];
static char secret[256];
static const char *fault;
static const char *list_file;
static int	n_events = 100;
static int	n_distinct = -1;
static int	n_threads = 8;
static int	max_attempts = 600;
static int	max_seconds = 60;
static long timeout_s = 15;
static int	deadline_s = 600;
static double t_deadline;
static int	expect_status;
static int	no_email,
			unmapped,
			not_completion,
			no_id,
			bench,
			verbose;
static unsigned long long seed;

/* the run */
static event *events;			/* D distinct */
static int *order;				/* N indices into events */
static atomic_int next_event;
static int	event_limit;		/* send up to this index (--bench: per round) */
static double *latency;			/* N, of the answered request (ms); < 0 unanswered */
static int *final_status;		/* N; 0: no answer */
static atomic_int attempt_status[MAX_STATUS];	/* every attempt's status */
static atomic_long conn_errors;
static atomic_long retries;
static char *first_body[MAX_STATUS];
static pthread_mutex_t body_lock = PTHREAD_MUTEX_INITIALIZER;

/* canvas */
static EVP_PKEY *key1,
		   *key2;
static char *jwks_text;
static char jwks_url[96];
static char canvas_account[80];

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static unsigned long long
xorshift(unsigned long long *s)
{
	unsigned long long x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static void
die(const char *msg)
{
	fprintf(stderr, "event_sender: %s\n", msg);
	exit(1);
}

/* ---- JWKS server (canvas) ------------------------------------------------ */

static enum MHD_Result
serve_jwks(void *cls, struct MHD_Connection *c, const char *url, const char *method,
		   const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	(void) cls, (void) url, (void) method, (void) version, (void) upload, (void) upload_size, (void) con_cls;
	r = MHD_create_response_from_buffer(strlen(jwks_text), jwks_text, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "application/json");
	rc = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return rc;
}

static struct MHD_Daemon *
start_jwks_server(void)
{
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	json_t	   *jwks;

	key1 = EVP_RSA_gen(2048);
	key2 = EVP_RSA_gen(2048);
	if (key1 == NULL || key2 == NULL)
		die("RSA key generation failed");
	jwks = json_object();
	json_object_set_new(jwks, "keys", json_pack("[o]", jwk_of(key1, "k1", "RS256")));
	jwks_text = json_dumps(jwks, JSON_COMPACT);
	json_decref(jwks);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
						 serve_jwks, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &sa, MHD_OPTION_END);
	if (d == NULL)
		die("cannot start the JWKS server on 127.0.0.1");
	snprintf(jwks_url, sizeof(jwks_url), "http://127.0.0.1:%u/%s/jwks",
			 (unsigned) MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port, run);
	return d;
}

/* ---- setup in the database ------------------------------------------------ */

static PGresult *
sql(PGconn *db, const char *q, int n, const char *const *v)
{
	PGresult   *r = PQexecParams(db, q, n, NULL, v, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
	{
		fprintf(stderr, "event_sender: %s", PQerrorMessage(db));
		exit(1);
	}
	return r;
}

static PGconn *
connect_db(void)
{
	char		conninfo[256];
	PGconn	   *db;

	snprintf(conninfo, sizeof(conninfo), "dbname=%s", dbname);
	db = PQconnectdb(conninfo);
	if (PQstatus(db) != CONNECTION_OK)
	{
		fprintf(stderr, "event_sender: %s", PQerrorMessage(db));
		exit(1);
	}
	return db;
}

/* platform, course mappings, source; fills source_name and secret */
static void
setup_db(PGconn *db)
{
	char		piss[128],
				pname[96],
				client[96],
				auth[160],
				pjwks[160],
				pid[64],
				course[16];
	const char *v[6];
	PGresult   *r;

	snprintf(piss, sizeof(piss), "https://lms-%s.example", run);
	snprintf(pname, sizeof(pname), "events %s", run);
	snprintf(client, sizeof(client), "client-%s", run);
	snprintf(auth, sizeof(auth), "%s/auth", piss);
	snprintf(pjwks, sizeof(pjwks), "%s/jwks", piss);
	v[0] = issuer, v[1] = pname, v[2] = piss, v[3] = client, v[4] = auth, v[5] = pjwks;
	r = sql(db, "SELECT microcred.lti_register_platform($1, $2, $3, $4, $5, $6, NULL, '{dep-1}')", 6, v);
	snprintf(pid, sizeof(pid), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	for (int t = 0; t < n_types; t++)
	{
		snprintf(course, sizeof(course), "%d", 101 + t);
		v[0] = pid, v[1] = course, v[2] = types[t];
		PQclear(sql(db, "SELECT microcred.lti_map_course($1::uuid, $2, $3)", 3, v));
	}
	snprintf(source_name, sizeof(source_name), "%s-%s", run, mode_name);
	snprintf(canvas_account, sizeof(canvas_account), "%s-acct", run);
	v[0] = issuer, v[1] = mode_name, v[2] = source_name, v[3] = pid;
	v[4] = mode == M_CANVAS ? canvas_account : NULL;
	v[5] = mode == M_CANVAS ? jwks_url : NULL;
	r = sql(db, "SELECT source_id, secret FROM microcred.event_source_add($1, $2, $3, $4::uuid, $5, $6)", 6, v);
	snprintf(secret, sizeof(secret), "%s", PQgetisnull(r, 0, 1) ? "" : PQgetvalue(r, 0, 1));
	printf("source %s secret %s platform %s\n", source_name, mode == M_CANVAS ? "-" : secret, pid);
	if (mode == M_CANVAS)
		printf("jwks_url %s account %s\n", jwks_url, canvas_account);
	PQclear(r);
	fflush(stdout);
}

/* ---- the events ------------------------------------------------------------ */

static void
iso_time(char *out, size_t len, time_t t)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* a stable statement id: the UUID form of SHA-256(run ":" j) */
static void
statement_id(int j, char *out, size_t len)
{
	unsigned char h[SHA256_DIGEST_LENGTH];
	char		in[64];

	snprintf(in, sizeof(in), "%s:%d", run, j);
	SHA256((const unsigned char *) in, strlen(in), h);
	h[6] = (h[6] & 0x0f) | 0x80;
	h[8] = (h[8] & 0x3f) | 0x80;
	snprintf(out, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]);
}

static void
hmac_hex(const char *k, size_t klen, const char *data, size_t len, char *out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;

	HMAC(EVP_sha256(), k, (int) klen, (const unsigned char *) data, len, mac, &mlen);
	for (unsigned int i = 0; i < mlen; i++)
		sprintf(out + 2 * i, "%02x", mac[i]);
	out[2 * mlen] = '\0';
}

/* completion j: user j / n_types, course 101 + j % n_types (or 999) */
static void
build_event(int j)
{
	event	   *e = &events[j];
	int			u = j / n_types;
	int			c = j % n_types;
	long		user_id = 100000 + u;
	char		course[16],
				uid[32],
				name[96],
				when[32],
				sid[40];
	time_t		now = time(NULL);
	json_t	   *o;

	snprintf(course, sizeof(course), "%d", unmapped ? 999 : 101 + c);
	snprintf(uid, sizeof(uid), "%ld", user_id);
	snprintf(name, sizeof(name), "Learner %s-%d", run, u);
	if (!no_email)
		snprintf(e->email, sizeof(e->email), "%s-u%d@learners.example", run, u);
	e->type = unmapped || not_completion ? NULL : types[c];
	iso_time(when, sizeof(when), now - 60);

	if (mode == M_XAPI)
	{
		json_t	   *actor = json_pack("{s:s, s:{s:s, s:s}}", "objectType", "Agent",
									  "account", "homePage", "https://lms.example", "name", uid);
		char		obj[160];

		if (!no_email)
		{
			char		mbox[160];

			snprintf(mbox, sizeof(mbox), "mailto:%s", e->email);
			json_object_set_new(actor, "name", json_string(name));
			json_object_set_new(actor, "mbox", json_string(mbox));
		}
		snprintf(obj, sizeof(obj), "https://lms-%s.example/course/view.php?id=%s", run, course);
		o = json_pack("{s:o, s:{s:s, s:{s:s}}, s:{s:s, s:s, s:{s:s}}, s:s}",
					  "actor", actor,
					  "verb", "id", not_completion ? "http://adlnet.gov/expapi/verbs/experienced"
					  : "http://adlnet.gov/expapi/verbs/completed",
					  "display", "en-US", "completed",
					  "object", "objectType", "Activity", "id", obj,
					  "definition", "type", "http://id.tincanapi.com/activitytype/lms/course",
					  "timestamp", when);
		if (!no_id)
		{
			statement_id(j, sid, sizeof(sid));
			json_object_set_new(o, "id", json_string(sid));
		}
		e->body = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	}
	else if (mode == M_MOODLE)
	{
		char		hex[2 * EVP_MAX_MD_SIZE + 1];
		const char *k = secret;

		o = json_pack("{s:s, s:i, s:I, s:I, s:I, s:s}",
					  "eventname", not_completion ? "\\core\\event\\course_viewed" : "\\core\\event\\course_completed",
					  "courseid", unmapped ? 999 : 101 + c, "relateduserid", (json_int_t) user_id,
					  "objectid", (json_int_t) (500000 + j), "timecreated", (json_int_t) (now - 60),
					  "crud", "u");
		if (!no_email)
		{
			char		last[64];

			snprintf(last, sizeof(last), "%s-%d", run, u);
			json_object_set_new(o, "user", json_pack("{s:s, s:s, s:s}", "firstname", "Learner",
													 "lastname", last, "email", e->email));
		}
		e->body = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		if (fault && strcmp(fault, "badhmac") == 0)
			k = "not-the-key";
		hmac_hex(k, strlen(k), e->body, strlen(e->body), hex);
		snprintf(e->sig_header, sizeof(e->sig_header), "X-Microcred-Signature: sha256=%s", hex);
	}
	else
	{
		const char *kid = "k1";
		const char *alg = "RS256";
		EVP_PKEY   *k = key1;
		char		header[96];
		char	   *payload;
		json_t	   *user = json_pack("{s:s}", "id", uid);
		long		exp = (long) now + 3600;
		long		iat = (long) now - 60;
		char		acct[96];

		snprintf(acct, sizeof(acct), "%s", canvas_account);
		if (!no_email)
		{
			json_object_set_new(user, "name", json_string(name));
			json_object_set_new(user, "email", json_string(e->email));
		}
		if (fault && strcmp(fault, "badsig") == 0)
			k = key2;			/* kid k1, signed with another key */
		else if (fault && strcmp(fault, "unknownkid") == 0)
			k = key2, kid = "k2";
		else if (fault && strcmp(fault, "expired") == 0)
			exp = (long) now - 3600;
		else if (fault && strcmp(fault, "oldiat") == 0)
			iat = (long) now - 3 * 86400;	/* exp still ahead: only iat is too old */
		else if (fault && strcmp(fault, "futureiat") == 0)
			iat = (long) now + 3600;
		else if (fault && strcmp(fault, "account") == 0)
			snprintf(acct, sizeof(acct), "%s-other", run);
		else if (fault && strcmp(fault, "alg") == 0)
			alg = "HS256";
		o = json_pack("{s:{s:s, s:s, s:s}, s:{s:o, s:{s:s, s:s}, s:{s:s}}, s:I, s:I}",
					  "metadata", "root_account_uuid", acct,
					  "event_name", not_completion ? "course_progress" : "course_completed",
					  "event_time", when,
					  "body", "user", user, "course", "id", course, "name", "Course",
					  "progress", "completed_at", when,
					  "iat", (json_int_t) iat, "exp", (json_int_t) exp);
		if (fault && strcmp(fault, "noexp") == 0)
			json_object_del(o, "exp");
		payload = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, kid);
		e->body = sign_compact(header, payload, strlen(payload), alg, k,
							   (const unsigned char *) "0123456789abcdef0123456789abcdef", 32);
		free(payload);
	}
	e->len = strlen(e->body);
}

static void *
build_thread(void *arg)
{
	int			t = (int) (long) arg;

	for (int j = t; j < n_distinct; j += n_threads)
		build_event(j);
	return NULL;
}

/* ---- sending ------------------------------------------------------------------ */

typedef struct answer
{
	char		data[2048];
	size_t		len;
} answer;

static size_t
keep_body(char *p, size_t s, size_t n, void *u)
{
	answer	   *a = u;
	size_t		k = s * n;
	size_t		room = sizeof(a->data) - 1 - a->len;
	size_t		take = k < room ? k : room;

	memcpy(a->data + a->len, p, take);
	a->len += take;
	a->data[a->len] = '\0';
	return k;
}

static int
retryable(CURLcode rc, long code)
{
	return rc != CURLE_OK || code >= 500 || code == 408 || code == 429;
}

/* the next index below limit, or -1 */
static int
take(atomic_int *next, int limit)
{
	int			k = atomic_load(next);

	for (int guard = 0; guard < 1000000; guard++)
	{
		if (k >= limit)
			return -1;
		if (atomic_compare_exchange_weak(next, &k, k + 1))
			return k;
	}
	return -1;
}

static void *
send_thread(void *arg)
{
	CURL	   *c = curl_easy_init();
	char		url[512];
	char		src_header[160];
	char		auth[400];
	struct curl_slist *base = NULL;
	unsigned long long rnd = seed ^ ((unsigned long long) (long) arg * 0x9E3779B97F4A7C15ULL) ^ 1;

	if (c == NULL)
		die("curl_easy_init failed");
	snprintf(url, sizeof(url), "%s%s", bridge,
			 mode == M_XAPI ? "/xapi/statements" : mode == M_CANVAS ? "/canvas/live-events" : "/moodle/events");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_body);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	if (mode == M_XAPI)
	{
		base = curl_slist_append(base, "Content-Type: application/json");
		base = curl_slist_append(base, "X-Experience-API-Version: 1.0.3");
		snprintf(auth, sizeof(auth), "%s:%s", source_name,
				 fault && strcmp(fault, "badauth") == 0 ? "wrong-password" : secret);
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, auth);
	}
	else if (mode == M_CANVAS)
		base = curl_slist_append(base, "Content-Type: application/jwt");
	else
	{
		base = curl_slist_append(base, "Content-Type: application/json");
		snprintf(src_header, sizeof(src_header), "X-Microcred-Source: %s", source_name);
		base = curl_slist_append(base, src_header);
	}
	base = curl_slist_append(base, "Expect:");

	for (int guard = 0; guard <= n_events; guard++)
	{
		int			k = take(&next_event, event_limit);
		event	   *e;
		struct curl_slist *h = base;
		struct curl_slist *sig = NULL;
		double		t_first;
		long		backoff = 10;

		if (k < 0)
			break;
		e = &events[order[k]];
		if (mode == M_MOODLE)
		{
			/* base plus this event's signature */
			for (struct curl_slist *p = base; p != NULL; p = p->next)
				sig = curl_slist_append(sig, p->data);
			sig = curl_slist_append(sig, e->sig_header);
			h = sig;
		}
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, e->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long) e->len);
		t_first = now_s();
		latency[k] = -1;
		final_status[k] = 0;
		for (int a = 0; a < max_attempts; a++)
		{
			answer		ans = {.len = 0};
			long		code = 0;
			CURLcode	rc;
			double		t0;

			if (now_s() > t_deadline)
				break;
			if (a > 0)
			{
				atomic_fetch_add(&retries, 1);
				if (now_s() - t_first > max_seconds)
					break;
				sleep_ms(backoff / 2 + (long) (xorshift(&rnd) % (unsigned long long) (backoff / 2 + 1)));
				backoff = backoff * 2 > 500 ? 500 : backoff * 2;
			}
			curl_easy_setopt(c, CURLOPT_WRITEDATA, &ans);
			t0 = now_s();
			rc = curl_easy_perform(c);
			if (rc == CURLE_OK)
				curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
			if (rc != CURLE_OK)
				atomic_fetch_add(&conn_errors, 1);
			else if (code > 0 && code < MAX_STATUS)
				atomic_fetch_add(&attempt_status[code], 1);
			if (!retryable(rc, code))
			{
				latency[k] = (now_s() - t0) * 1000.0;
				final_status[k] = code > 0 && code < MAX_STATUS ? (int) code : 0;
				if (verbose && final_status[k] > 0)
				{
					pthread_mutex_lock(&body_lock);
					if (first_body[final_status[k]] == NULL)
						first_body[final_status[k]] = strdup(ans.data);
					pthread_mutex_unlock(&body_lock);
				}
				break;
			}
		}
		curl_slist_free_all(sig);
	}
	curl_slist_free_all(base);
	curl_easy_cleanup(c);
	return NULL;
}

static double
run_threads(void *(*fn) (void *))
{
	pthread_t  *th = calloc((size_t) n_threads, sizeof(pthread_t));
	double		t0 = now_s();

	for (long t = 0; t < n_threads; t++)
		if (pthread_create(&th[t], NULL, fn, (void *) t) != 0)
			die("pthread_create failed");
	for (int t = 0; t < n_threads; t++)
		pthread_join(th[t], NULL);
	free(th);
	return now_s() - t0;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/* p-th percentile (0..100) of v[0..n) sorted, nearest rank */
static double
percentile(const double *v, int n, double p)
{
	int			i;

	if (n == 0)
		return 0;
	i = (int) (p / 100.0 * n + 0.999999) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

/* ---- the libpq baseline (--bench) ------------------------------------------- */

static char **base_learners;	/* D learner ids */
static double *base_latency;
static atomic_int base_next;
static int	base_limit;			/* issue up to this index */
static double t_base;			/* seconds spent issuing */
static atomic_int base_failed;
static char base_type[128];
static PGconn **base_conns;

static void *
issue_thread(void *arg)
{
	PGconn	   *db = base_conns[(long) arg];

	for (int guard = 0; guard <= n_distinct; guard++)
	{
		int			k = take(&base_next, base_limit);
		const char *v[2];
		PGresult   *r;
		double		t0;

		if (k < 0)
			break;
		v[0] = base_type;
		v[1] = base_learners[k];
		t0 = now_s();
		r = PQexecParams(db, "SELECT microcred.issue($1, $2::uuid)", 2, NULL, v, NULL, NULL, 0);
		base_latency[k] = (now_s() - t0) * 1000.0;
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
		{
			if (atomic_fetch_add(&base_failed, 1) == 0)
				fprintf(stderr, "event_sender: issue: %s", PQerrorMessage(db));
		}
		PQclear(r);
	}
	return NULL;
}

/* creates the event learners (their emails) and D learners for the baseline */
static void
bench_prepare(PGconn *db)
{
	char		nd[16];
	const char *v[3];
	PGresult   *r;

	snprintf(nd, sizeof(nd), "%d", (n_distinct + n_types - 1) / n_types);
	v[0] = issuer, v[1] = run, v[2] = nd;
	PQclear(sql(db, "SELECT count(microcred.add_learner(issuer => $1, email => $2 || '-u' || g || '@learners.example',"
				" given_name => 'Learner', family_name => $2 || '-' || g)) FROM generate_series(0, $3::int - 1) g", 3, v));
	snprintf(nd, sizeof(nd), "%d", n_distinct);
	r = sql(db, "SELECT microcred.add_learner(issuer => $1, email => $2 || '-b' || g || '@learners.example',"
			" given_name => 'Baseline', family_name => $2 || '-' || g) FROM generate_series(0, $3::int - 1) g", 3, v);
	base_learners = calloc((size_t) n_distinct, sizeof(char *));
	for (int i = 0; i < n_distinct && i < PQntuples(r); i++)
		base_learners[i] = strdup(PQgetvalue(r, i, 0));
	PQclear(r);
	snprintf(base_type, sizeof(base_type), "%s/%s", issuer, types[0]);
}

/* ---- main ------------------------------------------------------------------ */

static void
usage(void)
{
	fprintf(stderr, "usage: event_sender xapi|canvas|moodle BRIDGE_URL [-n N] [-d D] [-c C] [--db DBNAME]\n"
			"       [--run TAG] [--issuer H] [--types A,B] [--source NAME --secret S] [--no-email]\n"
			"       [--unmapped] [--not-completion] [--no-id] [--fault F] [--expect STATUS] [--list FILE]\n"
			"       [--max-attempts A] [--max-seconds S] [--deadline S] [--timeout S] [--seed X] [--bench] [-v]\n");
	exit(2);
}

static int
int_arg(const char *s, int min, int max)
{
	char	   *end;
	long		v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > max)
		usage();
	return (int) v;
}

int
main(int argc, char **argv)
{
	struct MHD_Daemon *jwks_daemon = NULL;
	PGconn	   *db = NULL;
	static char types_buf[512] = "GDPR-NURSE";
	double		elapsed;
	double	   *ok_lat;
	int			n_ok = 0,
				n_unanswered = 0,
				n_unexpected = 0;
	int			status_count[MAX_STATUS] = {0};
	int			rc = 0;

	if (argc < 3)
		usage();
	mode_name = argv[1];
	if (strcmp(mode_name, "xapi") == 0)
		mode = M_XAPI;
	else if (strcmp(mode_name, "canvas") == 0)
		mode = M_CANVAS;
	else if (strcmp(mode_name, "moodle") == 0)
		mode = M_MOODLE;
	else
		usage();
	bridge = argv[2];
	if (strncmp(bridge, "http://127.0.0.1:", 17) != 0 && strncmp(bridge, "http://[::1]:", 13) != 0 &&
		strncmp(bridge, "http://localhost:", 17) != 0)
	{
		fprintf(stderr, "event_sender: BRIDGE_URL must be a loopback http:// URL\n");
		return 2;
	}
	seed = (unsigned long long) time(NULL) ^ ((unsigned long long) getpid() << 20);
	for (int i = 3; i < argc; i++)
	{
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

#define TAKES() (v == NULL ? usage() : (void) i++)
		if (strcmp(a, "-n") == 0)
			TAKES(), n_events = int_arg(v, 1, MAX_EVENTS);
		else if (strcmp(a, "-d") == 0)
			TAKES(), n_distinct = int_arg(v, 1, MAX_EVENTS);
		else if (strcmp(a, "-c") == 0)
			TAKES(), n_threads = int_arg(v, 1, MAX_THREADS);
		else if (strcmp(a, "--db") == 0)
			TAKES(), dbname = v;
		else if (strcmp(a, "--run") == 0)
		{
			TAKES();
			if (strlen(v) == 0 || strlen(v) >= 24 || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(v))
			{
				fprintf(stderr, "event_sender: --run takes 1 to 23 lowercase letters and digits\n");
				return 2;
			}
			snprintf(run, sizeof(run), "%s", v);
		}
		else if (strcmp(a, "--issuer") == 0)
			TAKES(), issuer = v;
		else if (strcmp(a, "--types") == 0)
			TAKES(), snprintf(types_buf, sizeof(types_buf), "%s", v);
		else if (strcmp(a, "--source") == 0)
			TAKES(), snprintf(source_name, sizeof(source_name), "%s", v);
		else if (strcmp(a, "--secret") == 0)
			TAKES(), snprintf(secret, sizeof(secret), "%s", v);
		else if (strcmp(a, "--no-email") == 0)
			no_email = 1;
		else if (strcmp(a, "--unmapped") == 0)
			unmapped = 1;
		else if (strcmp(a, "--not-completion") == 0)
			not_completion = 1;
		else if (strcmp(a, "--no-id") == 0)
			no_id = 1;
		else if (strcmp(a, "--fault") == 0)
			TAKES(), fault = v;
		else if (strcmp(a, "--expect") == 0)
			TAKES(), expect_status = int_arg(v, 100, MAX_STATUS - 1);
		else if (strcmp(a, "--list") == 0)
			TAKES(), list_file = v;
		else if (strcmp(a, "--max-attempts") == 0)
			TAKES(), max_attempts = int_arg(v, 1, 100000);
		else if (strcmp(a, "--max-seconds") == 0)
			TAKES(), max_seconds = int_arg(v, 1, 3600);
		else if (strcmp(a, "--deadline") == 0)
			TAKES(), deadline_s = int_arg(v, 1, 86400);
		else if (strcmp(a, "--timeout") == 0)
			TAKES(), timeout_s = int_arg(v, 1, 600);
		else if (strcmp(a, "--seed") == 0)
			TAKES(), seed = strtoull(v, NULL, 10);
		else if (strcmp(a, "--bench") == 0)
			bench = 1;
		else if (strcmp(a, "-v") == 0)
			verbose = 1;
		else
			usage();
#undef TAKES
	}
	if (n_distinct < 0)
		n_distinct = n_events;
	if (n_distinct > n_events)
		usage();
	if (seed == 0)
		seed = 88172645463325252ULL;
	if (run[0] == '\0')
	{
		unsigned long long r = seed;

		snprintf(run, sizeof(run), "r%08llx", xorshift(&r) & 0xffffffffULL);
	}
	for (char *p = strtok(types_buf, ","); p != NULL && n_types < MAX_TYPES; p = strtok(NULL, ","))
		types[n_types++] = p;
	if (n_types == 0)
		usage();
	if (dbname == NULL && (mode == M_CANVAS || bench || source_name[0] == '\0' || secret[0] == '\0'))
	{
		fprintf(stderr, "event_sender: give --db DBNAME (canvas and --bench always need it), or --source and --secret\n");
		return 2;
	}
	if (fault != NULL && strcmp(fault, "badauth") != 0 && strcmp(fault, "badhmac") != 0 &&
		strcmp(fault, "badsig") != 0 && strcmp(fault, "unknownkid") != 0 && strcmp(fault, "expired") != 0 && strcmp(fault, "noexp") != 0 &&
		strcmp(fault, "oldiat") != 0 && strcmp(fault, "futureiat") != 0 &&
		strcmp(fault, "account") != 0 && strcmp(fault, "alg") != 0)
		usage();

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (mode == M_CANVAS)
		jwks_daemon = start_jwks_server();
	if (dbname != NULL)
	{
		db = connect_db();
		if (source_name[0] == '\0')
			setup_db(db);
		if (bench)
			bench_prepare(db);
	}

	/* the distinct events (signed in parallel: that is the LMS's work, not timed) */
	events = calloc((size_t) n_distinct, sizeof(event));
	order = malloc((size_t) n_events * sizeof(int));
	latency = malloc((size_t) n_events * sizeof(double));
	final_status = calloc((size_t) n_events, sizeof(int));
	if (events == NULL || order == NULL || latency == NULL || final_status == NULL)
		die("out of memory");
	run_threads(build_thread);
	for (int k = 0; k < n_events; k++)
		order[k] = k % n_distinct;
	{
		unsigned long long r = seed;

		for (int k = n_events - 1; k > 0; k--)
		{
			int			x = (int) (xorshift(&r) % (unsigned long long) (k + 1));
			int			t = order[k];

			order[k] = order[x];
			order[x] = t;
		}
	}
	if (list_file != NULL)
	{
		FILE	   *f = fopen(list_file, "w");

		if (f == NULL)
			die("cannot write the --list file");
		for (int j = 0; j < n_distinct; j++)
			if (events[j].type != NULL)
				fprintf(f, "%s,%s\n", events[j].email, events[j].type);
		fclose(f);
	}

	t_deadline = now_s() + deadline_s;
	if (!bench)
	{
		event_limit = n_events;
		elapsed = run_threads(send_thread);
	}
	else
	{
		/*
		 * The libpq baseline and the events in BENCH_ROUNDS alternating
		 * rounds (baseline, events, baseline per round), so that load from
		 * elsewhere on the machine hits both alike.
		 */
		base_latency = malloc((size_t) n_distinct * sizeof(double));
		base_conns = calloc((size_t) n_threads, sizeof(PGconn *));
		for (int t = 0; t < n_threads; t++)
			base_conns[t] = connect_db();
		elapsed = 0;
		for (int r = 0; r < BENCH_ROUNDS; r++)
		{
			base_limit = (int) ((long) n_distinct * (2 * r + 1) / (2 * BENCH_ROUNDS));
			t_base += run_threads(issue_thread);
			event_limit = (int) ((long) n_events * (r + 1) / BENCH_ROUNDS);
			elapsed += run_threads(send_thread);
			base_limit = (int) ((long) n_distinct * (r + 1) / BENCH_ROUNDS);
			t_base += run_threads(issue_thread);
		}
		for (int t = 0; t < n_threads; t++)
			PQfinish(base_conns[t]);
	}

	ok_lat = malloc((size_t) n_events * sizeof(double));
	for (int k = 0; k < n_events; k++)
	{
		int			s = final_status[k];

		status_count[s]++;
		if (s == 0)
			n_unanswered++;
		else if (s >= 200 && s < 300)
			ok_lat[n_ok++] = latency[k];
		if (expect_status ? s != expect_status : (s < 200 || s >= 300))
			n_unexpected++;
	}
	qsort(ok_lat, (size_t) n_ok, sizeof(double), cmp_double);
	printf("mode %s run %s source %s events %d distinct %d threads %d\n",
		   mode_name, run, source_name, n_events, n_distinct, n_threads);
	for (int s = 1; s < MAX_STATUS; s++)
		if (status_count[s] > 0)
			printf("status %d: %d\n", s, status_count[s]);
	for (int s = 1; s < MAX_STATUS; s++)
		if (atomic_load(&attempt_status[s]) > 0 && s >= 500)
			printf("attempt status %d: %d\n", s, atomic_load(&attempt_status[s]));
	printf("connection errors: %ld\n", atomic_load(&conn_errors));
	printf("retries: %ld\n", atomic_load(&retries));
	printf("unanswered: %d\n", n_unanswered);
	printf("unexpected: %d\n", n_unexpected);
	printf("elapsed_s %.3f\n", elapsed);
	printf("events_per_s %.1f\n", n_events / elapsed);
	printf("latency_ms p50 %.2f p99 %.2f\n", percentile(ok_lat, n_ok, 50), percentile(ok_lat, n_ok, 99));
	if (verbose)
		for (int s = 1; s < MAX_STATUS; s++)
			if (first_body[s] != NULL)
				printf("body %d: %s\n", s, first_body[s]);
	if (n_unexpected > 0)
		rc = 1;

	if (bench && db != NULL)
	{
		PGresult   *r;
		const char *v[2] = {issuer, run};
		int			issued;

		r = sql(db, "SELECT count(*) FROM microcred.issued_credential c JOIN microcred.learner l ON l.id = c.learner_id"
				" WHERE l.email LIKE $2 || '-u%@learners.example' AND c.issuer_id = (SELECT id FROM microcred.issuer WHERE handle = $1)", 2, v);
		issued = atoi(PQgetvalue(r, 0, 0));
		PQclear(r);
		if (issued != n_distinct)
		{
			fprintf(stderr, "event_sender: %d credentials issued for %d distinct completions\n", issued, n_distinct);
			rc = 1;
		}
		if (atomic_load(&base_failed) > 0)
		{
			fprintf(stderr, "event_sender: %d baseline issues failed\n", atomic_load(&base_failed));
			rc = 1;
		}
		qsort(base_latency, (size_t) n_distinct, sizeof(double), cmp_double);
		{
			double		ev_rate = n_events / elapsed;
			double		base_rate = n_distinct / t_base;
			char		label[96];

			snprintf(label, sizeof(label), "completion events via the bridge (%s), %d conn", mode_name, n_threads);
			printf("%-52s %8.0f/s  p50 %.1f ms  p99 %.1f ms (target p99 < 50 ms)\n", label, ev_rate,
				   percentile(ok_lat, n_ok, 50), percentile(ok_lat, n_ok, 99));
			snprintf(label, sizeof(label), "microcred.issue via libpq, %d conn", n_threads);
			printf("%-52s %8.0f/s  p50 %.1f ms  p99 %.1f ms\n", label, base_rate,
				   percentile(base_latency, n_distinct, 50), percentile(base_latency, n_distinct, 99));
			printf("%-52s %7.1f%%  (target 70%%)\n", "events via the bridge / issue via libpq", 100.0 * ev_rate / base_rate);
		}
	}

	if (db != NULL)
		PQfinish(db);
	if (jwks_daemon != NULL)
		MHD_stop_daemon(jwks_daemon);
	for (int j = 0; j < n_distinct; j++)
		free(events[j].body);
	free(events);
	free(order);
	free(latency);
	free(final_status);
	free(ok_lat);
	curl_global_cleanup();
	return rc;
}
