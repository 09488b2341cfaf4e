/*-------------------------------------------------------------------------
 *
 * fetch.c
 *	  One bounded libcurl client (fetch.h).
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "fetch.h"

typedef struct fetch_state
{
	fetch_answer *a;
	size_t		cap;
	size_t		max;
} fetch_state;

/* the body, up to the limit */
static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	fetch_state *st = userdata;
	fetch_answer *a = st->a;
	size_t		n = size * nmemb;

	if (n > st->max - a->len)
	{
		a->too_large = 1;
		return 0;
	}
	if (a->len + n + 1 > st->cap)
	{
		size_t		ncap = st->cap ? st->cap : 4096;
		char	   *nd;

		while (ncap < a->len + n + 1)
			ncap *= 2;
		nd = realloc(a->body, ncap);
		if (nd == NULL)
			return 0;
		a->body = nd;
		st->cap = ncap;
	}
	memcpy(a->body + a->len, ptr, n);
	a->len += n;
	a->body[a->len] = '\0';
	return n;
}

/* Cache-Control: max-age, no-store, no-cache */
static void
cache_control(fetch_answer *a, char *line)
{
	char	   *p;

	for (p = line; *p; p++)
		*p = (char) tolower((unsigned char) *p);
	if (strstr(line, "no-store") || strstr(line, "no-cache"))
		a->no_cache = 1;
	p = strstr(line, "max-age=");
	if (p != NULL && (p == line || p[-1] == ' ' || p[-1] == ',' || p[-1] == ':'))
	{
		char	   *end;
		long		v;

		errno = 0;
		v = strtol(p + 8, &end, 10);
		if (errno == 0 && end != p + 8 && v >= 0)
			a->max_age = v;
	}
}

/* Link: <url>; rel="current", <url>; rel="next", ...: keep the next one */
static void
link_next(fetch_answer *a, char *line)
{
	char	   *save = NULL;

	for (char *part = strtok_r(line, ",", &save); part != NULL; part = strtok_r(NULL, ",", &save))
	{
		char	   *lt = strchr(part, '<');
		char	   *gt = lt ? strchr(lt, '>') : NULL;

		if (gt == NULL)
			continue;
		if (strstr(gt, "rel=\"next\"") != NULL || strstr(gt, "rel=next") != NULL)
		{
			*gt = '\0';
			snprintf(a->next, sizeof(a->next), "%s", lt + 1);
		}
	}
}

static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	fetch_answer *a = ((fetch_state *) userdata)->a;
	size_t		n = size * nmemb;
	char		line[4096];

	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0)
	{
		/* a new response (redirect) resets what the previous one said */
		a->max_age = -1;
		a->no_cache = 0;
		a->next[0] = '\0';
		return n;
	}
	if (n >= sizeof(line))
		return n;
	memcpy(line, ptr, n);
	line[n] = '\0';
	if (n >= 14 && strncasecmp(line, "cache-control:", 14) == 0)
		cache_control(a, line);
	else if (n >= 5 && strncasecmp(line, "link:", 5) == 0)
		link_next(a, line + 5);
	return n;
}

int
fetch(CURL *curl, const fetch_limits *lim, const char *url, const char *accept,
	  const char *bearer, const char *content_type, const char *body,
	  fetch_answer *a, char *err, size_t errlen)
{
	fetch_state st = {a, 0, lim->max_bytes};
	struct curl_slist *headers = NULL;
	CURL	   *own = NULL;
	char		line[4200];
	CURLcode	rc;

	memset(a, 0, sizeof(*a));
	a->max_age = -1;
	if (curl == NULL && (curl = own = curl_easy_init()) == NULL)
	{
		snprintf(err, errlen, "cannot start an HTTP client");
		return -1;
	}
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, lim->max_redirects > 0 ? 1L : 0L);
	curl_easy_setopt(curl, CURLOPT_MAXREDIRS, lim->max_redirects);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, lim->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, lim->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) lim->max_bytes);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &st);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &st);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "microcred-bridge");
	curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
	if (accept != NULL)
	{
		snprintf(line, sizeof(line), "Accept: %s", accept);
		headers = curl_slist_append(headers, line);
	}
	if (body != NULL && content_type != NULL)
	{
		snprintf(line, sizeof(line), "Content-Type: %s", content_type);
		headers = curl_slist_append(headers, line);
	}
	if (bearer != NULL && bearer[0] != '\0')
	{
		snprintf(line, sizeof(line), "Authorization: Bearer %s", bearer);
		headers = curl_slist_append(headers, line);
		OPENSSL_cleanse(line, sizeof(line));
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	if (body != NULL)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	rc = curl_easy_perform(curl);
	/* the list holds a copy of the Authorization line: wipe it too */
	for (struct curl_slist *h = headers; h != NULL; h = h->next)
		OPENSSL_cleanse(h->data, strlen(h->data));
	curl_slist_free_all(headers);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a->status);
	if (own != NULL)
		curl_easy_cleanup(own);
	if (rc != CURLE_OK || a->too_large)
	{
		if (a->too_large || rc == CURLE_FILESIZE_EXCEEDED)
		{
			a->too_large = 1;
			snprintf(err, errlen, "answer larger than %zu bytes", lim->max_bytes);
		}
		else
			snprintf(err, errlen, "%s", curl_easy_strerror(rc));
		free(a->body);
		a->body = NULL;
		a->len = 0;
		return -1;
	}
	return 0;
}

void
fetch_answer_free(fetch_answer *a)
{
	free(a->body);
	a->body = NULL;
	a->len = 0;
}
