/*-------------------------------------------------------------------------
 *
 * page_cache.h
 *	  Rendered public HTML pages, kept like the JSON documents (public.c):
 *	  public_cache_s seconds, public_cache_entries slots, keyed by what
 *	  the page depends on (resource, id, language).  A page's verdict can
 *	  change (revocation), so a cached page is at most public_cache_s
 *	  seconds behind, as a cached document is behind erasure.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_PAGE_CACHE_H
#define MC_PAGE_CACHE_H

#include <stddef.h>

#include "config.h"

typedef struct page_entry
{
	unsigned int status;
	char	   *body;			/* malloc'd copy; the caller frees */
	size_t		len;
	char	   *gz;				/* the body gzip-compressed, or NULL */
	size_t		gz_len;
	int			gzipped;		/* page_cache_get: body is the gzip form */
	char		etag[40];
} page_entry;

/* (re)size to the configuration (with public_configure) */
extern void page_cache_configure(const bridge_config *cfg);

/*
 * A fresh entry for key copied into out (its gzip form as out->body when
 * want_gzip and there is one, out->gzipped set; out->gz stays NULL): 1 on a hit
 */
extern int	page_cache_get(const bridge_config *cfg, const char *key, int want_gzip, page_entry *out);

/* store a page under key (copied, with its gzip form when e->gz is set) */
extern void page_cache_put(const char *key, const page_entry *e);

/* drop everything (at exit) */
extern void page_cache_shutdown(void);

#endif							/* MC_PAGE_CACHE_H */
