/*-------------------------------------------------------------------------
 *
 * jose.h
 *	  The one strict base64url decoder of the bridge (RFC 7515 section 2),
 *	  used by every JOSE reader: id_tokens (idtoken.c), JWK members
 *	  (jwk_set.c) and the Canvas event peek (ingest_canvas.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_JOSE_H
#define MC_JOSE_H

#include <stddef.h>

/* value of a base64url character, -1 if not one */
extern int	jose_b64url_value(unsigned char c);

/*
 * Strict base64url decoding without padding: malloc'd, NUL-terminated
 * output; NULL on a bad character, a bad length or non-zero trailing bits.
 */
extern unsigned char *jose_b64url_decode(const char *s, size_t len, size_t *outlen);

#endif							/* MC_JOSE_H */
