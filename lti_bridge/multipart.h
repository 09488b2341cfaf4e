/*-------------------------------------------------------------------------
 *
 * multipart.h
 *	  multipart/form-data (RFC 7578): one field of a request body, for the
 *	  file a verification form uploads.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_MULTIPART_H
#define MC_MULTIPART_H

#include <stddef.h>

/*
 * The content of the part named name in body, with the boundary of
 * content_type ("multipart/form-data; boundary=..."): 1 with *out pointing
 * into body and *outlen set, 0 when there is no such part, -1 when the body
 * or the content type is malformed.
 */
extern int	multipart_field(const char *body, size_t len, const char *content_type, const char *name,
							const char **out, size_t *outlen);

#endif							/* MC_MULTIPART_H */
