/*-------------------------------------------------------------------------
 *
 * fetch.h
 *	  The bridge's one outgoing HTTP client (libcurl): bounded in time and
 *	  size by the caller's own limits, http(s) only, bearer tokens wiped
 *	  after use.  Callers: jwks.c (platform and Canvas JWKS), poller.c
 *	  (LMS APIs) and lti_register.c (Dynamic Registration).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_FETCH_H
#define MC_FETCH_H

#include <stddef.h>

#include <curl/curl.h>

typedef struct fetch_limits
{
	long		timeout_ms;		/* connect and total */
	size_t		max_bytes;		/* of the body */
	long		max_redirects;	/* 0: redirects are not followed */
} fetch_limits;

typedef struct fetch_answer
{
	long		status;			/* HTTP status, 0 without an answer */
	char	   *body;			/* malloc'd, NUL-terminated, or NULL */
	size_t		len;
	int			too_large;		/* the body went past max_bytes */
	long		max_age;		/* Cache-Control max-age, -1: none */
	int			no_cache;		/* Cache-Control no-store or no-cache */
	char		next[2048];		/* Link rel="next", when given */
} fetch_answer;

/*
 * GET url, or POST body (with content_type) when body is not NULL;
 * Accept: accept when not NULL; Authorization: Bearer when bearer is not
 * NULL.  curl may be a handle the caller reuses (reset here) or NULL.
 * 0 with the answer (any status), -1 on a transport failure or a body
 * past the limit (message in err); the caller frees with fetch_answer_free.
 */
extern int	fetch(CURL *curl, const fetch_limits *lim, const char *url, const char *accept,
				  const char *bearer, const char *content_type, const char *body,
				  fetch_answer *a, char *err, size_t errlen);

extern void fetch_answer_free(fetch_answer *a);

#endif							/* MC_FETCH_H */
