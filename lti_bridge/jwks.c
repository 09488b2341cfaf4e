/*-------------------------------------------------------------------------
 *
 * jwks.c
 *	  Fetching and caching platform JWKS documents.
 *
 * Fetch: libcurl restricted to http and https (redirects too, at most
 * three), a total timeout, a size cap enforced while receiving, no
 * signals (threads), TLS verification left on.  Only a 200 with a JWKS
 * holding at least one usable key counts.
 *
 * Cache: a list of entries, one per URL, behind a mutex.  The mutex is
 * not held during a fetch: an entry being fetched is marked, and other
 * threads wanting it wait on a condition variable (bounded by the fetch
 * timeout) and then take its result.  last_attempt rate-limits fetches
 * per URL, successful or not, so neither a stream of unknown kids nor a
 * failing platform makes us hammer it.  Expired sets are never used.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "fetch.h"
#include "jwks.h"

typedef struct jwks_entry
{
	struct jwks_entry *next;
	char	   *url;
	jwk_set    *set;			/* NULL until a fetch succeeded */
	time_t		expires;		/* set is valid while now < expires */
	time_t		last_attempt;
	time_t		last_used;
	int			fetching;
	int			waiters;		/* threads waiting on this entry: not evictable */
} jwks_entry;

struct jwks_cache
{
	pthread_mutex_t lock;
	pthread_cond_t done;
	jwks_options opt;
	jwks_entry *entries;
	int			n_entries;
};

static const char *const status_codes[] = {
	"ok", "bad_url", "fetch_failed", "http_status", "too_large",
	"bad_document", "rate_limited", "internal"
};

/* status as text */
const char *
jwks_status_code(jwks_status s)
{
	if ((int) s < 0 || (size_t) s >= sizeof(status_codes) / sizeof(status_codes[0]))
		return "unknown";
	return status_codes[s];
}

/* once, before threads */
int
jwks_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

/* at exit */
void
jwks_global_cleanup(void)
{
	curl_global_cleanup();
}

/* a monotonic clock in seconds */
static time_t
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* fetch and parse one JWKS */
jwks_status
jwks_fetch(const char *url, const jwks_options *opt, jwk_set **out, long *max_age,
		   char *err, size_t errlen)
{
	fetch_limits lim = {opt->timeout_ms, (size_t) opt->max_bytes, 3};
	fetch_answer b;
	char		ferr[160];
	int			fr;
	jwks_status rv;
	char		perr[128];

	*out = NULL;
	if (max_age != NULL)
		*max_age = -1;
	if (url == NULL || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0))
	{
		snprintf(err, errlen, "JWKS URL must be http:// or https://");
		return JWKS_BAD_URL;
	}
	fr = fetch(NULL, &lim, url, NULL, NULL, NULL, NULL, &b, ferr, sizeof(ferr));

	if (b.too_large)
	{
		snprintf(err, errlen, "JWKS is larger than %ld bytes", opt->max_bytes);
		rv = JWKS_TOO_LARGE;
	}
	else if (fr != 0)
	{
		snprintf(err, errlen, "JWKS fetch failed: %s", ferr);
		rv = JWKS_FETCH_FAILED;
	}
	else if (b.status != 200)
	{
		snprintf(err, errlen, "JWKS fetch returned HTTP status %ld", b.status);
		rv = JWKS_HTTP_STATUS;
	}
	else if ((*out = jwk_set_parse(b.body ? b.body : "", b.len, perr, sizeof(perr))) == NULL)
	{
		snprintf(err, errlen, "%s", perr);
		rv = JWKS_BAD_DOCUMENT;
	}
	else if (jwk_set_count(*out) == 0)
	{
		jwk_set_release(*out);
		*out = NULL;
		snprintf(err, errlen, "JWKS holds no usable signature key");
		rv = JWKS_BAD_DOCUMENT;
	}
	else
	{
		rv = JWKS_OK;
		if (max_age != NULL)
			*max_age = b.no_cache ? 0 : b.max_age;
	}
	fetch_answer_free(&b);
	return rv;
}

/* a new cache */
jwks_cache *
jwks_cache_new(const jwks_options *opt)
{
	jwks_cache *c = calloc(1, sizeof(jwks_cache));

	if (c == NULL)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->done, NULL);
	c->opt = *opt;
	if (c->opt.max_entries <= 0)
		c->opt.max_entries = 256;
	return c;
}

/* free an entry */
static void
entry_free(jwks_entry *e)
{
	jwk_set_release(e->set);
	free(e->url);
	free(e);
}

/* free the cache (no thread may use it any more) */
void
jwks_cache_free(jwks_cache *c)
{
	if (c == NULL)
		return;
	while (c->entries)
	{
		jwks_entry *e = c->entries;

		c->entries = e->next;
		entry_free(e);
	}
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* change the options */
void
jwks_cache_set_options(jwks_cache *c, const jwks_options *opt)
{
	pthread_mutex_lock(&c->lock);
	c->opt = *opt;
	if (c->opt.max_entries <= 0)
		c->opt.max_entries = 256;
	pthread_mutex_unlock(&c->lock);
}

/* find or create an entry (lock held); evicts the least recently used idle one when full */
static jwks_entry *
entry_get(jwks_cache *c, const char *url, time_t now)
{
	jwks_entry *e;
	jwks_entry **victim = NULL;

	for (e = c->entries; e; e = e->next)
		if (strcmp(e->url, url) == 0)
			return e;
	if (c->n_entries >= c->opt.max_entries)
	{
		for (jwks_entry **pp = &c->entries; *pp; pp = &(*pp)->next)
			if (!(*pp)->fetching && (*pp)->waiters == 0 && (victim == NULL || (*pp)->last_used < (*victim)->last_used))
				victim = pp;
		if (victim == NULL)
			return NULL;
		e = *victim;
		*victim = e->next;
		entry_free(e);
		c->n_entries--;
	}
	e = calloc(1, sizeof(jwks_entry));
	if (e == NULL || (e->url = strdup(url)) == NULL)
	{
		free(e);
		return NULL;
	}
	e->last_attempt = now - 1000000;	/* never */
	e->next = c->entries;
	c->entries = e;
	c->n_entries++;
	return e;
}

/* the key set of url */
jwks_status
jwks_cache_get(jwks_cache *c, const char *url, bool force, jwk_set **out,
			   bool *fetched, char *err, size_t errlen)
{
	jwks_entry *e;
	time_t		now = mono_now();
	jwks_options opt;
	jwk_set    *set = NULL;
	long		max_age = -1;
	jwks_status st;
	int			waits = 0;

	*out = NULL;
	if (fetched)
		*fetched = false;
	if (url == NULL || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0))
	{
		snprintf(err, errlen, "JWKS URL must be http:// or https://");
		return JWKS_BAD_URL;
	}
	pthread_mutex_lock(&c->lock);
	e = entry_get(c, url, now);
	if (e == NULL)
	{
		pthread_mutex_unlock(&c->lock);
		snprintf(err, errlen, "JWKS cache is full");
		return JWKS_INTERNAL;
	}
	e->last_used = now;

	/* another thread is fetching this URL: wait for it (bounded), then use its result */
	while (e->fetching && waits < 2)
	{
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += c->opt.timeout_ms / 1000 + 1;
		e->waiters++;
		if (pthread_cond_timedwait(&c->done, &c->lock, &until) == ETIMEDOUT)
			waits++;
		e->waiters--;
		force = false;
		now = mono_now();
	}
	if (e->fetching)
	{
		pthread_mutex_unlock(&c->lock);
		snprintf(err, errlen, "JWKS fetch in progress took too long");
		return JWKS_FETCH_FAILED;
	}

	if (e->set != NULL && now < e->expires &&
		(!force || now - e->last_attempt < c->opt.min_refresh_s))
	{
		*out = jwk_set_retain(e->set);
		pthread_mutex_unlock(&c->lock);
		return JWKS_OK;
	}
	if (now - e->last_attempt < c->opt.min_refresh_s)
	{
		pthread_mutex_unlock(&c->lock);
		snprintf(err, errlen, "JWKS refetch rate-limited and no valid copy cached");
		return JWKS_RATE_LIMITED;
	}
	e->fetching = 1;
	e->last_attempt = now;
	opt = c->opt;
	pthread_mutex_unlock(&c->lock);

	st = jwks_fetch(url, &opt, &set, &max_age, err, errlen);
	if (fetched)
		*fetched = true;

	pthread_mutex_lock(&c->lock);
	e->fetching = 0;
	if (st == JWKS_OK)
	{
		long		ttl = opt.ttl_s;

		if (max_age >= 0)
		{
			ttl = max_age;
			if (ttl < opt.min_refresh_s)
				ttl = opt.min_refresh_s;
			if (ttl > opt.ttl_s)
				ttl = opt.ttl_s;
		}
		jwk_set_release(e->set);
		e->set = jwk_set_retain(set);
		e->expires = mono_now() + ttl;
		*out = set;
	}
	/* on failure the old set stays only until it expires; nothing stale is served */
	pthread_cond_broadcast(&c->done);
	pthread_mutex_unlock(&c->lock);
	return st;
}
