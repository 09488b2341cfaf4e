/*-------------------------------------------------------------------------
 *
 * lti_launch_bench.c
 *	  LTI 1.3 logins and launches per second through a running bridge, on
 *	  loopback, with the platform JWKS cached.
 *
 *	  lti_launch_bench BRIDGE_URL DBNAME [N] [THREADS]
 *
 * It plays the platform: serves a JWKS (libmicrohttpd, 127.0.0.1, port 0),
 * registers itself in DBNAME (libpq, PG* environment, a superuser), maps a
 * course and links a learner who holds a credential.  Then three phases:
 *   1. N logins (GET /lti/login) over THREADS keep-alive connections: timed;
 *   2. N id_tokens signed RS256 with each login's nonce: not timed (that is
 *      the platform's work, and it would take the bridge's CPU);
 *   3. N launches (POST /lti/launch with the state cookie): timed.
 * Every login must answer 302 and every launch 200 with the learner's
 * credential page, otherwise the run fails (exit 1).  Prints one line per
 * phase and "login+launch N/s" = N / (t1 + t3).  Bounded: N logins and N
 * launches, each request with a 10 s timeout.
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <openssl/evp.h>

#include "../bridge/jose_helpers.h"

typedef struct launch
{
	char		state[128];
	char		nonce[128];
	char	   *token;
	int			ok;
} launch;

static const char *bridge;
static char platform_iss[64];
static char *jwks_text;
static launch *launches;
static int	n_launches;
static int	n_threads;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

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

static size_t
discard(char *p, size_t s, size_t n, void *u)
{
	(void) p, (void) u;
	return s * n;
}

typedef struct body
{
	char		data[4096];
	size_t		len;
} body;

static size_t
keep_head(char *p, size_t s, size_t n, void *u)
{
	body	   *b = u;
	size_t		k = s * n;

	size_t		room = sizeof(b->data) - 1 - b->len;
	size_t		take = k < room ? k : room;

	/* the head of the page only (a large chunk is cut, not dropped) */
	memcpy(b->data + b->len, p, take);
	b->len += take;
	b->data[b->len] = '\0';
	return k;
}

/* value of name= in a URL query, into out */
static int
query_value(const char *url, const char *name, char *out, size_t outlen)
{
	size_t		n = strlen(name);
	const char *p = strchr(url, '?');

	while (p != NULL)
	{
		p++;
		if (strncmp(p, name, n) == 0 && p[n] == '=')
		{
			size_t		len = strcspn(p + n + 1, "&");

			if (len >= outlen)
				return -1;
			memcpy(out, p + n + 1, len);
			out[len] = '\0';
			return 0;
		}
		p = strchr(p, '&');
	}
	return -1;
}

static void *
login_thread(void *arg)
{
	int			t = (int) (long) arg;
	CURL	   *c = curl_easy_init();
	char		url[1024];

	snprintf(url, sizeof(url), "%s/lti/login?iss=%s&client_id=bench-client&login_hint=bench"
			 "&target_link_uri=https%%3A%%2F%%2Ftool.example%%2Flti%%2Flaunch", bridge, platform_iss);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	for (int i = t; i < n_launches; i += n_threads)
	{
		long		code = 0;
		char	   *loc = NULL;

		if (curl_easy_perform(c) != CURLE_OK)
			continue;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc);
		if (code == 302 && loc != NULL &&
			query_value(loc, "state", launches[i].state, sizeof(launches[i].state)) == 0 &&
			query_value(loc, "nonce", launches[i].nonce, sizeof(launches[i].nonce)) == 0)
			launches[i].ok = 1;
	}
	curl_easy_cleanup(c);
	return NULL;
}

static void *
launch_thread(void *arg)
{
	int			t = (int) (long) arg;
	CURL	   *c = curl_easy_init();
	char		url[1024];

	snprintf(url, sizeof(url), "%s/lti/launch", bridge);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	for (int i = t; i < n_launches; i += n_threads)
	{
		long		code = 0;
		char		cookie[160];
		body		b = {.len = 0};
		size_t		plen = strlen(launches[i].token) + 256;
		char	   *post = malloc(plen);

		snprintf(post, plen, "id_token=%s&state=%s", launches[i].token, launches[i].state);
		snprintf(cookie, sizeof(cookie), "mc_lti_state=%s", launches[i].state);
		curl_easy_setopt(c, CURLOPT_COOKIE, cookie);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_head);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
		launches[i].ok = 0;
		if (curl_easy_perform(c) == CURLE_OK)
		{
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
			launches[i].ok = code == 200 && strstr(b.data, "data-view=\"learner-credential\"") != NULL;
		}
		free(post);
	}
	curl_easy_cleanup(c);
	return NULL;
}

static double
run_phase(void *(*fn) (void *))
{
	pthread_t  *th = calloc((size_t) n_threads, sizeof(pthread_t));
	double		t0 = now_s();

	for (long t = 0; t < n_threads; t++)
		pthread_create(&th[t], NULL, fn, (void *) t);
	for (int t = 0; t < n_threads; t++)
		pthread_join(th[t], NULL);
	free(th);
	return now_s() - t0;
}

static int
count_ok(void)
{
	int			ok = 0;

	for (int i = 0; i < n_launches; i++)
		ok += launches[i].ok;
	return ok;
}

static int
sql(PGconn *db, const char *q, int n, const char *const *v, char *out, size_t outlen)
{
	PGresult   *r = PQexecParams(db, q, n, NULL, v, NULL, NULL, 0);
	int			ok = PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK;

	if (!ok)
		fprintf(stderr, "lti_launch_bench: %s", PQerrorMessage(db));
	else if (out && PQntuples(r) > 0)
		snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return ok ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	EVP_PKEY   *key;
	json_t	   *jwks;
	PGconn	   *db;
	char		conninfo[256];
	char		pid[64] = "",
				jwks_url[96],
				auth_url[96];
	const char *v[4];
	double		t_login,
				t_launch;
	int			ok;

	if (argc < 3)
	{
		fprintf(stderr, "usage: lti_launch_bench BRIDGE_URL DBNAME [N] [THREADS]\n");
		return 2;
	}
	bridge = argv[1];
	n_launches = argc > 3 ? atoi(argv[3]) : 4000;
	n_threads = argc > 4 ? atoi(argv[4]) : 16;
	if (n_launches < 1 || n_launches > 1000000 || n_threads < 1 || n_threads > 256)
		return 2;

	key = EVP_RSA_gen(2048);
	jwks = json_pack("{s:[o]}", "keys", jwk_of(key, "bench-key", "RS256"));
	jwks_text = json_dumps(jwks, JSON_COMPACT);
	json_decref(jwks);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
						 serve_jwks, NULL, MHD_OPTION_SOCK_ADDR, NULL, MHD_OPTION_END);
	if (d == NULL)
		return 1;
	snprintf(platform_iss, sizeof(platform_iss), "http://127.0.0.1:%u",
			 (unsigned) MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
	snprintf(jwks_url, sizeof(jwks_url), "%s/jwks", platform_iss);
	snprintf(auth_url, sizeof(auth_url), "%s/auth", platform_iss);

	snprintf(conninfo, sizeof(conninfo), "dbname=%s", argv[2]);
	db = PQconnectdb(conninfo);
	if (PQstatus(db) != CONNECTION_OK)
	{
		fprintf(stderr, "lti_launch_bench: %s", PQerrorMessage(db));
		return 1;
	}
	v[0] = platform_iss;
	v[1] = auth_url;
	v[2] = jwks_url;
	if (sql(db, "SELECT microcred.lti_register_platform((SELECT i.handle FROM microcred.issuer i "
			"JOIN microcred.issued_credential ic ON ic.issuer_id = i.id LIMIT 1), 'bench', $1, 'bench-client', "
			"$2, $3, NULL, '{dep-1}')", 3, v, pid, sizeof(pid)) != 0)
		return 1;
	v[0] = pid;
	if (sql(db, "SELECT microcred.lti_map_course($1::uuid, 'bench-course', "
			"(SELECT ic.credential_type_id::text FROM microcred.issued_credential ic "
			" JOIN microcred.lti_platform p ON p.issuer_id = ic.issuer_id WHERE p.id = $1::uuid LIMIT 1))",
			1, v, NULL, 0) != 0 ||
		sql(db, "INSERT INTO microcred.learner_identifier (issuer_id, learner_id, kind, platform, value) "
			"SELECT ic.issuer_id, ic.learner_id, 'lms', p.platform_issuer, 'bench-learner' "
			"FROM microcred.issued_credential ic JOIN microcred.lti_platform p ON p.issuer_id = ic.issuer_id "
			"JOIN microcred.lti_course_mapping m ON m.platform_id = p.id AND m.credential_type_id = ic.credential_type_id "
			"WHERE p.id = $1::uuid AND ic.superseded_by IS NULL LIMIT 1", 1, v, NULL, 0) != 0)
		return 1;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	launches = calloc((size_t) n_launches, sizeof(launch));

	t_login = run_phase(login_thread);
	ok = count_ok();
	if (ok != n_launches)
	{
		fprintf(stderr, "lti_launch_bench: %d of %d logins failed\n", n_launches - ok, n_launches);
		return 1;
	}
	for (int i = 0; i < n_launches; i++)
	{
		char		payload[2048];
		long		now = (long) time(NULL);

		snprintf(payload, sizeof(payload),
				 "{\"iss\":\"%s\",\"aud\":\"bench-client\",\"sub\":\"bench-learner\",\"iat\":%ld,\"exp\":%ld,"
				 "\"nonce\":\"%s\",\"https://purl.imsglobal.org/spec/lti/claim/message_type\":\"LtiResourceLinkRequest\","
				 "\"https://purl.imsglobal.org/spec/lti/claim/version\":\"1.3.0\","
				 "\"https://purl.imsglobal.org/spec/lti/claim/deployment_id\":\"dep-1\","
				 "\"https://purl.imsglobal.org/spec/lti/claim/target_link_uri\":\"https://tool.example/lti/launch\","
				 "\"https://purl.imsglobal.org/spec/lti/claim/resource_link\":{\"id\":\"bench-link\"},"
				 "\"https://purl.imsglobal.org/spec/lti/claim/context\":{\"id\":\"bench-course\",\"title\":\"Bench\"},"
				 "\"https://purl.imsglobal.org/spec/lti/claim/roles\":[\"http://purl.imsglobal.org/vocab/lis/v2/membership#Learner\"]}",
				 platform_iss, now, now + 600, launches[i].nonce);
		launches[i].token = sign_compact("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"bench-key\"}",
										 payload, strlen(payload), "RS256", key, NULL, 0);
	}
	t_launch = run_phase(launch_thread);
	ok = count_ok();
	if (ok != n_launches)
	{
		fprintf(stderr, "lti_launch_bench: %d of %d launches failed\n", n_launches - ok, n_launches);
		return 1;
	}
	printf("logins %.0f/s\nlaunches %.0f/s\nlogin+launch %.0f/s\n",
		   n_launches / t_login, n_launches / t_launch, n_launches / (t_login + t_launch));

	/* leave the database as found */
	v[0] = pid;
	sql(db, "DELETE FROM microcred.learner_identifier WHERE kind = 'lms' AND value = 'bench-learner' "
		"AND platform = (SELECT platform_issuer FROM microcred.lti_platform WHERE id = $1::uuid)", 1, v, NULL, 0);
	sql(db, "DELETE FROM microcred.lti_platform WHERE id = $1::uuid", 1, v, NULL, 0);
	PQfinish(db);
	for (int i = 0; i < n_launches; i++)
		free(launches[i].token);
	free(launches);
	MHD_stop_daemon(d);
	EVP_PKEY_free(key);
	free(jwks_text);
	curl_global_cleanup();
	return 0;
}
