/*-------------------------------------------------------------------------
 *
 * etag.h
 *	  Entity tags of the public answers (public.c, public_page.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_ETAG_H
#define MC_ETAG_H

/*
 * Does an If-None-Match header match the entity tag?  "*" or any listed
 * tag, compared weakly (a W/ prefix ignored), as RFC 9110 13.1.2 asks.
 */
extern int	public_etag_matches(const char *header, const char *etag);

#endif							/* MC_ETAG_H */
