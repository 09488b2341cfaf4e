/*-------------------------------------------------------------------------
 *
 * jwk_set.h
 *	  A parsed JSON Web Key Set (RFC 7517) of a platform: its signature
 *	  keys, by kid.  Pure (no I/O); reference-counted so a cache can
 *	  replace a set while a validation still uses it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_JWK_SET_H
#define MC_JWK_SET_H

#include <stddef.h>
#include <cjose/jwk.h>

#define JWK_SET_MAX_KEYS 64

typedef struct jwk_entry
{
	char	   *kid;			/* never NULL in a set: keys without kid are skipped */
	char	   *alg;			/* the JWK's "alg", or NULL */
	cjose_jwk_kty_t kty;		/* CJOSE_JWK_KTY_RSA or CJOSE_JWK_KTY_EC */
	cjose_jwk_t *jwk;
} jwk_entry;

typedef struct jwk_set jwk_set;

/*
 * Parse a JWKS document {"keys": [...]}; NULL on error with the reason in
 * err.  Keys that cannot verify signatures are skipped: no kid, "use"
 * other than "sig", kty other than RSA or EC (a JWKS never supplies a
 * symmetric key), private members present, a base64url member cjose
 * would choke on, or a key cjose cannot import.
 */
extern jwk_set *jwk_set_parse(const char *json, size_t len, char *err, size_t errlen);

/* the first key with this kid, or NULL; valid while the set is referenced */
extern const jwk_entry *jwk_set_find(const jwk_set *set, const char *kid);

/* number of usable keys */
extern size_t jwk_set_count(const jwk_set *set);

extern jwk_set *jwk_set_retain(jwk_set *set);
extern void jwk_set_release(jwk_set *set);

#endif							/* MC_JWK_SET_H */
