/*-------------------------------------------------------------------------
 *
 * test_jwks.c
 *	  Tests of lti_bridge/jwks.c (TAP) against a JWKS server in this
 *	  process: libmicrohttpd on 127.0.0.1, an ephemeral port, one thread
 *	  per connection, stopped at the end.  alarm() bounds the whole run.
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "jwks.h"
#include "launch_token.h"
#include "jose_helpers.h"
#include "../lib/tap.h"

static char *jwks_doc;			/* served at /jwks and /maxage */
static atomic_int hits_jwks;
static atomic_int hits_maxage;
static atomic_int hits_fail;
static atomic_int hits_slowjwks;
static atomic_int maxage_fails;	/* /maxage answers 500 once set */
static char *rotated_doc;		/* served at /rotating once rotated is set */
static atomic_int rotated;
static atomic_int hits_rotating;
static char base[64];

/* sleep some milliseconds */
static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* queue a copy of text with a status and optional header */
static enum MHD_Result
reply(struct MHD_Connection *c, unsigned int status, const char *text, size_t len,
	  const char *hname, const char *hvalue)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *) text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	MHD_add_response_header(r, "Content-Type", "application/json");
	if (hname)
		MHD_add_response_header(r, hname, hvalue);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* the fixture's routes */
static enum MHD_Result
serve(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	  const char *version, const char *upload, size_t *upload_size, void **ctx)
{
	(void) cls;
	(void) method;
	(void) version;
	(void) upload;
	(void) upload_size;
	if (*ctx == NULL)
	{
		*ctx = (void *) 1;
		return MHD_YES;
	}
	if (strcmp(url, "/jwks") == 0)
	{
		atomic_fetch_add(&hits_jwks, 1);
		return reply(c, 200, jwks_doc, strlen(jwks_doc), NULL, NULL);
	}
	if (strcmp(url, "/slowjwks") == 0)
	{
		atomic_fetch_add(&hits_slowjwks, 1);
		sleep_ms(300);			/* so that concurrent getters overlap */
		return reply(c, 200, jwks_doc, strlen(jwks_doc), NULL, NULL);
	}
	if (strcmp(url, "/maxage") == 0)
	{
		atomic_fetch_add(&hits_maxage, 1);
		if (atomic_load(&maxage_fails))
			return reply(c, 500, "{}", 2, NULL, NULL);
		return reply(c, 200, jwks_doc, strlen(jwks_doc), "Cache-Control", "public, max-age=1");
	}
	if (strcmp(url, "/rotating") == 0)
	{
		const char *doc = atomic_load(&rotated) ? rotated_doc : jwks_doc;

		atomic_fetch_add(&hits_rotating, 1);
		return reply(c, 200, doc, strlen(doc), NULL, NULL);
	}
	if (strcmp(url, "/fail") == 0)
	{
		atomic_fetch_add(&hits_fail, 1);
		return reply(c, 500, "{}", 2, NULL, NULL);
	}
	if (strcmp(url, "/big") == 0)
	{
		static char big[300 * 1024];

		memset(big, ' ', sizeof(big));
		return reply(c, 200, big, sizeof(big), NULL, NULL);
	}
	if (strcmp(url, "/notjson") == 0)
		return reply(c, 200, "<html>", 6, NULL, NULL);
	if (strcmp(url, "/nokeys") == 0)
		return reply(c, 200, "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"c2VjcmV0\"}]}", 50, NULL, NULL);
	if (strcmp(url, "/slow") == 0)
	{
		sleep_ms(1500);
		return reply(c, 200, jwks_doc, strlen(jwks_doc), NULL, NULL);
	}
	if (strcmp(url, "/to-file") == 0)
		return reply(c, 302, "", 0, "Location", "file:///etc/passwd");
	if (strcmp(url, "/to-jwks") == 0)
	{
		char		loc[128];

		snprintf(loc, sizeof(loc), "%s/jwks", base);
		return reply(c, 302, "", 0, "Location", loc);
	}
	return reply(c, 404, "{}", 2, NULL, NULL);
}

/* URL of a fixture path */
static const char *
url(const char *path)
{
	static char buf[8][128];
	static int	i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s%s", base, path);
	return buf[i];
}

typedef struct getter
{
	jwks_cache *cache;
	jwks_status st;
} getter;

/* a thread asking for /slowjwks */
static void *
get_thread(void *arg)
{
	getter	   *g = arg;
	jwk_set    *s = NULL;
	char		err[256];

	g->st = jwks_cache_get(g->cache, url("/slowjwks"), false, &s, NULL, err, sizeof(err));
	jwk_set_release(s);
	return NULL;
}

/* a valid resource link launch id_token signed with pkey under kid */
static char *
launch_token(EVP_PKEY *pkey, const char *kid)
{
	const char *L = "https://purl.imsglobal.org/spec/lti/claim/";
	char		header[128];
	char		k[128];
	json_t	   *p = json_object();
	char	   *body;
	char	   *tok;
	time_t		now = time(NULL);

	json_object_set_new(p, "iss", json_string("https://platform.example.edu"));
	json_object_set_new(p, "aud", json_string("client-1"));
	json_object_set_new(p, "sub", json_string("u1"));
	json_object_set_new(p, "exp", json_integer(now + 300));
	json_object_set_new(p, "iat", json_integer(now));
	json_object_set_new(p, "nonce", json_string("n1"));
#define CLAIM(name, value) (snprintf(k, sizeof(k), "%s%s", L, name), json_object_set_new(p, k, value))
	CLAIM("version", json_string("1.3.0"));
	CLAIM("message_type", json_string("LtiResourceLinkRequest"));
	CLAIM("deployment_id", json_string("dep-1"));
	CLAIM("roles", json_array());
	CLAIM("resource_link", json_pack("{s:s}", "id", "rl-1"));
	CLAIM("target_link_uri", json_string("https://tool.example.org/launch"));
#undef CLAIM
	body = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"kid\":\"%s\"}", kid);
	tok = sign_compact(header, body, strlen(body), "RS256", pkey, NULL, 0);
	free(body);
	return tok;
}

/* launch_token_verify: one forced refresh on an unknown kid, rate-limited */
static void
test_key_rotation(EVP_PKEY *key, EVP_PKEY *key2)
{
	jwks_options quick = {3600, 1, 2000, 256 * 1024, 16};
	jwks_cache *c = jwks_cache_new(&quick);
	const char *const deps[] = {"dep-1"};
	idt_registration reg = {"https://platform.example.edu", "client-1", NULL, 0, deps, 1};
	idt_options opt = {time(NULL), 60};
	idt_claims *claims = NULL;
	idt_error	err;
	idt_reason	r;
	char	   *t1 = launch_token(key, "k1");
	char	   *t2 = launch_token(key2, "k2");
	char	   *t3 = launch_token(key2, "k3");

	atomic_store(&hits_rotating, 0);
	r = launch_token_verify(c, url("/rotating"), t1, strlen(t1), &reg, &opt, &claims, &err);
	tap_ok(r == IDT_OK && claims != NULL && atomic_load(&hits_rotating) == 1,
		   "launch: token verified with the fetched JWKS (%s)", idt_reason_code(r));
	idt_claims_free(claims);
	r = launch_token_verify(c, url("/rotating"), t2, strlen(t2), &reg, &opt, &claims, &err);
	tap_ok(r == IDT_KID_UNKNOWN && atomic_load(&hits_rotating) == 1,
		   "launch: unknown kid right after a fetch is refused without refetching (%s)", idt_reason_code(r));
	atomic_store(&rotated, 1);
	sleep_ms(2100);
	r = launch_token_verify(c, url("/rotating"), t2, strlen(t2), &reg, &opt, &claims, &err);
	tap_ok(r == IDT_OK && atomic_load(&hits_rotating) == 2,
		   "launch: rotated key found by one forced refresh (%s, %d fetches)", idt_reason_code(r),
		   atomic_load(&hits_rotating));
	idt_claims_free(claims);
	r = launch_token_verify(c, url("/rotating"), t3, strlen(t3), &reg, &opt, &claims, &err);
	tap_ok(r == IDT_KID_UNKNOWN && atomic_load(&hits_rotating) == 2,
		   "launch: another unknown kid inside the interval does not refetch (%s)", idt_reason_code(r));
	r = launch_token_verify(c, url("/fail"), t1, strlen(t1), &reg, &opt, &claims, &err);
	tap_ok(r == IDT_JWKS_UNAVAILABLE && claims == NULL,
		   "launch: a JWKS that cannot be fetched fails closed (%s)", idt_reason_code(r));
	free(t1);
	free(t2);
	free(t3);
	jwks_cache_free(c);
}

/* start the loopback fixture, run the fetch, cache and rotation tests */
int
main(void)
{
	struct MHD_Daemon *d;
	struct sockaddr_in sin;
	EVP_PKEY   *key;
	EVP_PKEY   *key2;
	json_t	   *doc;
	jwks_options strict = {3600, 5, 2000, 256 * 1024, 16};
	jwks_options quick = {3600, 1, 2000, 256 * 1024, 16};
	jwks_cache *a;
	jwks_cache *b;
	jwk_set    *s = NULL;
	jwk_set    *s2 = NULL;
	bool		fetched;
	char		err[256];
	jwks_status st;
	long		max_age;

	alarm(60);
	key = EVP_RSA_gen(2048);
	doc = json_pack("{s:[o]}", "keys", jwk_of(key, "k1", "RS256"));
	jwks_doc = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	key2 = EVP_RSA_gen(2048);
	doc = json_pack("{s:[o,o]}", "keys", jwk_of(key, "k1", "RS256"), jwk_of(key2, "k2", "RS256"));
	rotated_doc = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
						 0, NULL, NULL, serve, NULL,
						 MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &sin,
						 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 10,
						 MHD_OPTION_END);
	if (d == NULL)
	{
		printf("Bail out! cannot start the loopback JWKS server\n");
		return 1;
	}
	snprintf(base, sizeof(base), "http://127.0.0.1:%u",
			 (unsigned int) MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
	tap_diag("fixture at %s", base);
	jwks_global_init();

	/* one-shot fetches */
	st = jwks_fetch(url("/jwks"), &strict, &s, &max_age, err, sizeof(err));
	tap_ok(st == JWKS_OK && s && jwk_set_find(s, "k1") != NULL, "fetch: JWKS parsed, kid k1 found");
	jwk_set_release(s);
	st = jwks_fetch(url("/fail"), &strict, &s, NULL, err, sizeof(err));
	tap_ok(st == JWKS_HTTP_STATUS && s == NULL, "fetch: HTTP 500 fails closed (%s)", jwks_status_code(st));
	st = jwks_fetch(url("/big"), &strict, &s, NULL, err, sizeof(err));
	tap_ok(st == JWKS_TOO_LARGE && s == NULL, "fetch: 300 KiB document over the 256 KiB cap (%s)", jwks_status_code(st));
	st = jwks_fetch(url("/notjson"), &strict, &s, NULL, err, sizeof(err));
	tap_ok(st == JWKS_BAD_DOCUMENT && s == NULL, "fetch: not JSON (%s)", jwks_status_code(st));
	st = jwks_fetch(url("/nokeys"), &strict, &s, NULL, err, sizeof(err));
	tap_ok(st == JWKS_BAD_DOCUMENT && s == NULL, "fetch: only a symmetric key, nothing usable (%s)", jwks_status_code(st));
	st = jwks_fetch("file:///etc/passwd", &strict, &s, NULL, err, sizeof(err));
	tap_ok(st == JWKS_BAD_URL && s == NULL, "fetch: file:// refused (%s)", jwks_status_code(st));
	st = jwks_fetch("ftp://127.0.0.1/jwks", &strict, &s, NULL, err, sizeof(err));
	tap_ok(st == JWKS_BAD_URL && s == NULL, "fetch: ftp:// refused (%s)", jwks_status_code(st));
	st = jwks_fetch(url("/to-file"), &strict, &s, NULL, err, sizeof(err));
	tap_ok(st == JWKS_FETCH_FAILED && s == NULL, "fetch: redirect to file:// refused (%s)", jwks_status_code(st));
	st = jwks_fetch(url("/to-jwks"), &strict, &s, NULL, err, sizeof(err));
	tap_ok(st == JWKS_OK && s != NULL, "fetch: redirect to http followed");
	jwk_set_release(s);
	{
		jwks_options fast = strict;
		struct timespec t0,
					t1;

		fast.timeout_ms = 300;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		st = jwks_fetch(url("/slow"), &fast, &s, NULL, err, sizeof(err));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		tap_ok(st == JWKS_FETCH_FAILED && s == NULL && (t1.tv_sec - t0.tv_sec) < 2,
			   "fetch: a slow server hits the 300 ms timeout (%s)", jwks_status_code(st));
	}
	st = jwks_fetch("http://127.0.0.1:1/jwks", &strict, &s, NULL, err, sizeof(err));
	tap_ok(st == JWKS_FETCH_FAILED && s == NULL, "fetch: connection refused (%s)", jwks_status_code(st));
	tap_ok(strstr(err, "k1") == NULL, "error text holds no key material");

	/* cache with a 5 s refresh interval */
	a = jwks_cache_new(&strict);
	atomic_store(&hits_jwks, 0);
	st = jwks_cache_get(a, url("/jwks"), false, &s, &fetched, err, sizeof(err));
	tap_ok(st == JWKS_OK && s && fetched && atomic_load(&hits_jwks) == 1, "cache: first get fetches");
	st = jwks_cache_get(a, url("/jwks"), false, &s2, &fetched, err, sizeof(err));
	tap_ok(st == JWKS_OK && s2 == s && !fetched && atomic_load(&hits_jwks) == 1, "cache: second get served from cache");
	jwk_set_release(s2);
	st = jwks_cache_get(a, url("/jwks"), true, &s2, &fetched, err, sizeof(err));
	tap_ok(st == JWKS_OK && s2 == s && !fetched && atomic_load(&hits_jwks) == 1,
		   "cache: forced refresh inside the interval is rate-limited, cached set returned");
	jwk_set_release(s2);
	jwk_set_release(s);

	atomic_store(&hits_fail, 0);
	st = jwks_cache_get(a, url("/fail"), false, &s, &fetched, err, sizeof(err));
	tap_ok(st == JWKS_HTTP_STATUS && s == NULL && atomic_load(&hits_fail) == 1, "cache: failing URL fails closed");
	st = jwks_cache_get(a, url("/fail"), true, &s, &fetched, err, sizeof(err));
	tap_ok(st == JWKS_RATE_LIMITED && s == NULL && atomic_load(&hits_fail) == 1,
		   "cache: failing URL not refetched inside the interval (%s)", jwks_status_code(st));
	st = jwks_cache_get(a, "gopher://127.0.0.1/", false, &s, &fetched, err, sizeof(err));
	tap_ok(st == JWKS_BAD_URL && s == NULL, "cache: bad scheme refused");

	/* concurrency: 6 threads, one fetch */
	{
		pthread_t	th[6];
		getter		g[6];
		int			all_ok = 1;

		atomic_store(&hits_slowjwks, 0);
		for (int i = 0; i < 6; i++)
		{
			g[i].cache = a;
			pthread_create(&th[i], NULL, get_thread, &g[i]);
		}
		for (int i = 0; i < 6; i++)
		{
			pthread_join(th[i], NULL);
			if (g[i].st != JWKS_OK)
				all_ok = 0;
		}
		tap_ok(all_ok && atomic_load(&hits_slowjwks) == 1,
			   "cache: 6 concurrent getters, all served, %d fetch", atomic_load(&hits_slowjwks));
	}
	jwks_cache_free(a);

	/* cache with a 1 s refresh interval */
	b = jwks_cache_new(&quick);
	atomic_store(&hits_jwks, 0);
	st = jwks_cache_get(b, url("/jwks"), false, &s, &fetched, err, sizeof(err));
	jwk_set_release(s);
	sleep_ms(2100);
	st = jwks_cache_get(b, url("/jwks"), true, &s, &fetched, err, sizeof(err));
	tap_ok(st == JWKS_OK && s && fetched && atomic_load(&hits_jwks) == 2,
		   "cache: forced refresh after the interval fetches again");
	jwk_set_release(s);
	st = jwks_cache_get(b, url("/jwks"), false, &s, &fetched, err, sizeof(err));
	tap_ok(st == JWKS_OK && !fetched && atomic_load(&hits_jwks) == 2, "cache: default TTL still valid");
	jwk_set_release(s);

	atomic_store(&hits_maxage, 0);
	st = jwks_cache_get(b, url("/maxage"), false, &s, &fetched, err, sizeof(err));
	tap_ok(st == JWKS_OK && fetched, "cache: max-age=1 document fetched");
	jwk_set_release(s);
	sleep_ms(2100);
	st = jwks_cache_get(b, url("/maxage"), false, &s, &fetched, err, sizeof(err));
	tap_ok(st == JWKS_OK && fetched && atomic_load(&hits_maxage) == 2, "cache: Cache-Control max-age honoured");
	jwk_set_release(s);
	atomic_store(&maxage_fails, 1);
	sleep_ms(2100);
	st = jwks_cache_get(b, url("/maxage"), false, &s, &fetched, err, sizeof(err));
	tap_ok(st != JWKS_OK && s == NULL, "cache: expired set not served when the refetch fails (%s)",
		   jwks_status_code(st));
	jwks_cache_free(b);

	test_key_rotation(key, key2);

	jwks_global_cleanup();
	MHD_stop_daemon(d);
	free(jwks_doc);
	free(rotated_doc);
	EVP_PKEY_free(key);
	EVP_PKEY_free(key2);
	return tap_done();
}
