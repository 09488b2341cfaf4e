/*-------------------------------------------------------------------------
 *
 * view.h
 *	  The frame of the public HTML pages (verification, catalogue, verify
 *	  form): one accessible, responsive layout with a print stylesheet, the
 *	  interface in the reader's language (i18n.h), sharing meta tags, and a
 *	  strict Content Security Policy: no script at all, the one stylesheet
 *	  allowed by its hash, images only from this origin or inline.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_VIEW_H
#define MC_VIEW_H

#include <jansson.h>
#include <microhttpd.h>

#include "http_internal.h"
#include "i18n.h"
#include "strbuf.h"

/* what a page tells link previews (Open Graph, Twitter); any may be NULL */
typedef struct view_meta
{
	const char *description;
	const char *image;			/* absolute URL */
	const char *url;			/* the page's canonical URL */
} view_meta;

/* <!DOCTYPE html> up to and including <main id="main"> with the page's <h1> */
extern void view_begin(sbuf *b, i18n_lang lang, const char *title, const view_meta *meta);

/* </main>, the footer, </html> */
extern void view_end(sbuf *b, i18n_lang lang);

/* the CSP every public page is sent with */
extern const char *view_csp(void);

/* send a finished page (copied) with the CSP, Content-Language and Vary: Accept, Accept-Language (at least) */
extern unsigned int view_send(struct MHD_Connection *conn, http_request *req, unsigned int status,
							  i18n_lang lang, const char *body, size_t len);

/* a <dl> of the EU standard elements ([{"k", "v"}], _page_elements) */
extern void view_elements(sbuf *b, i18n_lang lang, json_t *elements);

/* the awarding body of an OB 3.0 Profile: name, country, region, website, identifiers (<dl> rows) */
extern void view_issuer_rows(sbuf *b, i18n_lang lang, json_t *profile);

/* a <dt>label</dt><dd>value</dd> row, the value escaped; nothing when value is NULL or empty */
extern void view_row(sbuf *b, const char *label, const char *value);

/* a date-time "2026-12-06T23:25:08Z" as "2026-12-06" (ISO 8601, any language) */
extern void view_date(sbuf *b, const char *datetime);

/* a string member of a JSON object, or NULL */
extern const char *view_str(json_t *obj, const char *key);

#endif							/* MC_VIEW_H */
