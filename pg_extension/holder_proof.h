/*-------------------------------------------------------------------------
 *
 * holder_proof.h
 *	  OpenID4VCI 1.0 key proofs of proof type "jwt" (Appendix F.1): the
 *	  JWT a wallet signs with its holder key to receive a credential bound
 *	  to that key.
 *
 * Pure core: no PostgreSQL headers; memory from an mcj_arena.  The checks
 * that need no state are made here: size, strict compact JWS (jws.c:
 * alg "none" and HMAC refused), typ "openid4vci-proof+jwt", alg EdDSA or
 * ES256, exactly one key parameter (kid naming a did:key or did:jwk
 * verification method, or a public jwk; x5c and trust_chain are not
 * supported), the signature with that key, and the claims' types.  What
 * needs state (aud = our credential issuer, nonce = an unspent c_nonce,
 * iat recent) is checked by the caller against what it returns.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_HOLDER_PROOF_H
#define MC_HOLDER_PROOF_H

#include <stdbool.h>
#include <stddef.h>

#include "mcjson.h"

/* the largest key proof accepted (a did:jwk kid of a P-256 key is ~200 bytes) */
#define HP_MAX_JWT_BYTES	8192
#define HP_MAX_AUD			8

typedef struct hp_result
{
	const char *holder_did;		/* did:key:... or did:jwk:... (no fragment) */
	const char *alg;			/* "EdDSA" or "ES256" */
	const char *aud[HP_MAX_AUD];	/* the audiences (aud as string or array) */
	int			n_aud;
	const char *nonce;			/* NULL when absent */
	const char *iss;			/* NULL when absent */
	double		iat;			/* seconds since the epoch */
	bool		has_iat;
} hp_result;

/*
 * Verify a key proof.  true with out filled; false with err->message
 * saying what is wrong (a client error: the caller answers invalid_proof).
 */
extern bool hp_verify(mcj_arena *arena, const char *jwt, size_t len,
					  hp_result *out, mcj_error *err);

#endif							/* MC_HOLDER_PROOF_H */
