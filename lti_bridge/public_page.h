/*-------------------------------------------------------------------------
 *
 * public_page.h
 *	  The HTML form of the public resources (a browser's Accept): the
 *	  verification page of a credential and the catalogue pages of an
 *	  issuer and an achievement, rendered from microcred.public_page() and
 *	  cached (page_cache.h).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_PUBLIC_PAGE_H
#define MC_PUBLIC_PAGE_H

#include <jansson.h>
#include <microhttpd.h>

#include "http_internal.h"
#include "i18n.h"
#include "strbuf.h"

/* kind "credential", "issuer" or "achievement", req->id: the page (200, 404, 410, 503) */
extern unsigned int public_page_serve(struct MHD_Connection *conn, http_request *req, const char *kind);

/*
 * The negotiation of a public resource: 0 when the document is wanted (the
 * caller serves it as always); else the request was answered (the page, or
 * 406 with the list of types) and *status holds the answer.
 */
extern int	public_page_negotiate(struct MHD_Connection *conn, http_request *req, const char *kind,
								  unsigned int *status);

/* microcred.public_page(kind, id) as JSON: 0 with *out, -1 with req->reason set */
extern int	public_page_fetch(http_request *req, const char *kind, const char *id, json_t **out);

/* the renderers: verify_page.c, catalogue_page.c */
/* self_path: the page's own path (NULL for a pasted credential); note: a section of
 * what this verification could not check (NULL: none) */
extern void verify_page_render(sbuf *b, i18n_lang lang, json_t *page, const char *self_path,
							   const char *note);
extern void catalogue_issuer_render(sbuf *b, i18n_lang lang, json_t *page);
extern void catalogue_achievement_render(sbuf *b, i18n_lang lang, json_t *page);

/* the "not found" page */
extern void public_page_not_found(sbuf *b, i18n_lang lang);

#endif							/* MC_PUBLIC_PAGE_H */
