/*-------------------------------------------------------------------------
 *
 * jws.h
 *	  Compact JSON Web Signatures (RFC 7515) for JWTs and JOSE-secured
 *	  credentials: signing, strict parsing and verification with algorithm
 *	  pinning.
 *
 * Pure core: no PostgreSQL headers; memory from an mcj_arena, errors in
 * an mcj_error (messages start with "jwt").  The parser refuses, before
 * any cryptography: anything but exactly three base64url parts, a
 * protected header that is not a JSON object or has duplicate members,
 * alg "none" and every HMAC alg (HS256/384/512: a public key must never
 * be usable as an HMAC secret), unsupported algs, "b64": false (RFC 7797
 * unencoded payloads) and any "crit" extension it does not understand.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_JWS_H
#define MC_JWS_H

#include <stdbool.h>
#include <stddef.h>

#include "mccrypto.h"
#include "mcjson.h"

typedef struct jws_parts
{
	mcj_value  *header;			/* protected header, a JSON object */
	mcc_alg		alg;			/* from header "alg" (never MCC_ALG_NONE) */
	const char *kid;			/* header "kid" or NULL */
	const char *typ;			/* header "typ" or NULL */
	unsigned char *payload;		/* decoded payload (NUL added after it) */
	size_t		payload_len;
	mcj_value  *payload_json;	/* parsed payload when requested, else NULL */
	unsigned char *signature;	/* decoded signature */
	size_t		signature_len;
	const char *signing_input;	/* ASCII(b64url(header) "." b64url(payload)) */
	size_t		signing_input_len;
} jws_parts;

/*
 * Sign: header is a JSON object with at least "alg" (which must match the
 * key); it is serialized compactly in document order.  Returns the
 * NUL-terminated compact serialization "h.p.s" from arena, or NULL.
 */
extern char *jws_sign(mcj_arena *arena, mcc_key *key, const mcj_value *header,
					  const unsigned char *payload, size_t payload_len,
					  mcj_error *err);

/*
 * Parse a compact JWS strictly, without verifying it.  With json_payload
 * the payload must be a JSON object (a JWT claims set; duplicate members
 * refused) and is returned in out->payload_json.
 */
extern bool jws_parse(mcj_arena *arena, const char *token, size_t len,
					  bool json_payload, jws_parts *out, mcj_error *err);

/*
 * Verify parsed parts with key: the header alg must be one of allowed
 * (nallowed entries) and suit the key type, then the signature must
 * verify.  Returns true only when all holds.
 */
extern bool jws_verify_parts(const jws_parts *parts, mcc_key *key,
							 const mcc_alg *allowed, size_t nallowed,
							 mcj_error *err);

/* jws_parse followed by jws_verify_parts; out may be NULL */
extern bool jws_verify(mcj_arena *arena, const char *token, size_t len,
					   mcc_key *key, const mcc_alg *allowed, size_t nallowed,
					   bool json_payload, jws_parts *out, mcj_error *err);

#endif							/* MC_JWS_H */
