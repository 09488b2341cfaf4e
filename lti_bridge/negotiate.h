/*-------------------------------------------------------------------------
 *
 * negotiate.h
 *	  Which representation of a public resource an Accept header asks for:
 *	  the HTML page (a browser) or the document (JSON or a JWT form, as
 *	  machines have always had it), or nothing we have (406).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_NEGOTIATE_H
#define MC_NEGOTIATE_H

typedef enum negotiated
{
	NEG_DOCUMENT = 0,			/* JSON / JWT: what public.c serves */
	NEG_HTML,					/* the human-readable page */
	NEG_NONE					/* nothing acceptable: 406 */
} negotiated;

/* the media types a 406 lists */
#define NEGOTIATE_TYPES "text/html, application/vc, application/json, application/ld+json, application/vc+jwt, application/jwt"

/*
 * No Accept header, or one naming a document type or a wildcard (any type,
 * any application type) at least as strongly as HTML: NEG_DOCUMENT.  HTML
 * (text/html, application/xhtml+xml, any text type) preferred: NEG_HTML.  Only types we do not
 * have: NEG_NONE.  q=0 excludes a type.
 */
extern negotiated negotiate_accept(const char *accept);

#endif							/* MC_NEGOTIATE_H */
