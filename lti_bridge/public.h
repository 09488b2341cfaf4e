/*-------------------------------------------------------------------------
 *
 * public.h
 *	  The public document routes (public.c): their cache's settings.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_PUBLIC_H
#define MC_PUBLIC_H

#include "config.h"
#include "etag.h"

/* the JWT forms of a credential (public_resource's jwt_format) */
#define JWT_NONE 0
#define JWT_VC 1				/* W3C VC-JOSE, application/vc+jwt */
#define JWT_OB 2				/* Open Badges 3.0 VC-JWT, application/jwt */

/* the JWT form asked for by an Accept header and a ?format= value (either may be NULL) */
extern int	public_jwt_form(const char *accept, const char *format);

/* public_etag_matches(): etag.h */

/* (re)size the document cache to the configuration; at start and on SIGHUP */
extern void public_configure(const bridge_config *cfg);

/* status list id changed (NULL: any may have): drop it from the cache (status_watch.c) */
extern void public_status_changed(const char *id);

/* the status watcher listens (1) or not (0): status lists are cached only while it does */
extern void public_status_watch(int on);

/* drop the document cache (at exit) */
extern void public_shutdown(void);

#endif							/* MC_PUBLIC_H */
