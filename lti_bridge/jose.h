/*-------------------------------------------------------------------------
 *
 * jose.h
 *	  The bridge's JOSE basics, used by every JOSE reader (idtoken.c for
 *	  id_tokens and event JWTs, jwk_set.c for JWK members, ingest_canvas.c
 *	  for the Canvas peek): the one strict base64url decoder (RFC 7515
 *	  section 2), the compact JWS split, and decoding a JSON object part.
 *	  Signatures are checked by cjose in launch_token.c / idtoken.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_JOSE_H
#define MC_JOSE_H

#include <stddef.h>

#include <jansson.h>

/* value of a base64url character, -1 if not one */
extern int	jose_b64url_value(unsigned char c);

/*
 * Strict base64url decoding without padding: malloc'd, NUL-terminated
 * output; NULL on a bad character, a bad length or non-zero trailing bits.
 */
extern unsigned char *jose_b64url_decode(const char *s, size_t len, size_t *outlen);

/* why a compact JWS did not split */
typedef enum
{
	JOSE_OK = 0,
	JOSE_TOO_MANY_PARTS,
	JOSE_BAD_CHARACTER,			/* outside base64url and '.' */
	JOSE_TOO_FEW_PARTS,
	JOSE_BAD_LENGTH,			/* a part 4n+1 long: cjose would assert on it */
	JOSE_EMPTY_PART,			/* an empty header or payload */
} jose_split_result;

/*
 * Split a compact JWS (header.payload.signature) of len bytes: the offsets
 * of its two dots.  Every character is base64url; no part has a length no
 * base64url text can have (cjose aborts the process on those); header and
 * payload are not empty (an empty signature is left to the alg check).
 */
extern jose_split_result jose_split_compact(const char *token, size_t len, size_t *dot1, size_t *dot2);

/* a base64url part decoded and parsed as a JSON object (no duplicate keys); NULL otherwise */
extern json_t *jose_decode_object(const char *part, size_t len);

#endif							/* MC_JOSE_H */
