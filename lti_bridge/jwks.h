/*-------------------------------------------------------------------------
 *
 * jwks.h
 *	  Fetching and caching platform JWKS documents over HTTP(S).
 *
 * One cache object per process, thread-safe.  A set is cached per URL for
 * a TTL (Cache-Control max-age when given, bounded); a forced refresh
 * (on an unknown kid) fetches again at most once per min_refresh_s per
 * URL; any failure fails closed (no key, an error).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_JWKS_H
#define MC_JWKS_H

#include <stdbool.h>
#include <stddef.h>

#include "jwk_set.h"

typedef struct jwks_options
{
	int			ttl_s;			/* default TTL, and the upper bound of max-age */
	int			min_refresh_s;	/* at most one fetch per URL in this time */
	long		timeout_ms;		/* total time of one fetch */
	long		max_bytes;		/* largest document */
	int			max_entries;	/* URLs cached at once */
} jwks_options;

typedef enum jwks_status
{
	JWKS_OK = 0,
	JWKS_BAD_URL,				/* not http:// or https:// */
	JWKS_FETCH_FAILED,			/* network, TLS, timeout */
	JWKS_HTTP_STATUS,			/* not 200 */
	JWKS_TOO_LARGE,
	JWKS_BAD_DOCUMENT,			/* not a JWKS, or no usable key */
	JWKS_RATE_LIMITED,			/* refetch refused and nothing valid cached */
	JWKS_INTERNAL
} jwks_status;

typedef struct jwks_cache jwks_cache;

/* call once at start, before any thread (curl_global_init) */
extern int	jwks_global_init(void);
extern void jwks_global_cleanup(void);

extern jwks_cache *jwks_cache_new(const jwks_options *opt);
extern void jwks_cache_free(jwks_cache *cache);

/* change the options (a configuration reload) */
extern void jwks_cache_set_options(jwks_cache *cache, const jwks_options *opt);

/*
 * The key set of url, referenced (jwk_set_release it).  force asks for a
 * fresh copy (an unknown kid): honoured at most once per min_refresh_s,
 * otherwise the cached set is returned as is.  *fetched tells whether a
 * fetch happened (may be NULL).  On error *out is NULL and err holds a
 * reason without secrets.
 */
extern jwks_status jwks_cache_get(jwks_cache *cache, const char *url, bool force,
								  jwk_set **out, bool *fetched,
								  char *err, size_t errlen);

extern const char *jwks_status_code(jwks_status s);

/* fetch and parse once without caching (used by the cache, and by tests) */
extern jwks_status jwks_fetch(const char *url, const jwks_options *opt,
							  jwk_set **out, long *max_age, char *err, size_t errlen);

#endif							/* MC_JWKS_H */
