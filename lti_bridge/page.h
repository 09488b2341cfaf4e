/*-------------------------------------------------------------------------
 *
 * page.h
 *	  The bridge's HTML pages: one frame and style, sent with a Content
 *	  Security Policy that allows no script but one carrying this
 *	  response's random nonce (script-src 'none' on a page without one).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_PAGE_H
#define MC_PAGE_H

#include <microhttpd.h>

#include "http_internal.h"
#include "strbuf.h"

/* the page's head and the opening <main data-view="view" (the caller closes the tag) */
extern void page_begin(sbuf *b, const char *title, const char *view);

/* close the page and send it (frees b) */
extern unsigned int page_send(struct MHD_Connection *conn, http_request *req, unsigned int status, sbuf *b);

/* a random CSP nonce for the page's one script, in req->script_nonce */
extern void make_script_nonce(http_request *req);

#endif							/* MC_PAGE_H */
