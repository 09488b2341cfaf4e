/*-------------------------------------------------------------------------
 *
 * vc.h
 *	  Verification of Verifiable Credentials (VC 2.0 / 1.1, Open Badges 3.0)
 *	  secured with a Data Integrity proof or as a JWT (OB 3.0 VC-JWT or W3C
 *	  VC-JOSE), and the JWT envelopes for issuing.
 *
 * Pure core.  The result is a list of named checks, each pass / fail /
 * warn / skip with a reason a person can read; verification failures are
 * results, never errors.  Key registration (which keys belong to which
 * issuer) is the caller's: it is asked through a lookup callback, so no
 * network is ever used.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_VC_H
#define MC_VC_H

#include <time.h>

#include "di.h"
#include "jws.h"
#include "mccrypto.h"
#include "mcjson.h"

typedef enum vc_status
{
	VC_PASS,
	VC_FAIL,
	VC_WARN,
	VC_SKIP
} vc_status;

#define VC_MAX_CHECKS 48
#define VC_MAX_PROOFS 8		/* proofs of a proof set or chain that are checked */

typedef struct vc_check
{
	const char *name;
	vc_status	status;
	char		reason[1024];
} vc_check;

typedef struct vc_result
{
	bool		valid;			/* no check failed: the issuer signed it (see issuer_key) */
	bool		trusted;		/* a proof's key is bound to the issuer (implied by valid) */
	const char *format;			/* "data-integrity", "ob-jwt", "vc-jwt" or NULL */
	const char *cryptosuite;	/* suite or JWS alg, or NULL */
	const char *issuer;			/* issuer id, or NULL */
	const char *credential_id;	/* or NULL */
	const mcj_value *credential;	/* the credential (JWT payload), or NULL */
	vc_check	checks[VC_MAX_CHECKS];
	int			nchecks;
} vc_result;

/* what the caller knows of a verification method */
typedef struct vc_key_lookup
{
	mcc_key    *key;			/* registered key, or NULL when unknown */
	bool		retired;		/* registered, but retired: no longer valid */
	const char *source;			/* e.g. "a key of this issuer", "a trusted key" */
} vc_key_lookup;

typedef bool (*vc_lookup_fn) (void *ctx, mcj_arena *arena, const char *issuer,
							  const char *verification_method, vc_key_lookup *out,
							  mcj_error *err);

typedef struct vc_verifier
{
	vc_lookup_fn lookup;		/* may be NULL */
	void	   *lookup_ctx;
	di_canon	canon;			/* for eddsa-rdfc-2022 */
	time_t		now;
	long		leeway_seconds; /* tolerance on validFrom / nbf */
	/* controller documents the caller vouches for (DID documents or CID
	 * documents): a key listed under assertionMethod of the one whose id is
	 * the issuer is bound to that issuer */
	const mcj_value *const *controllers;
	size_t		ncontrollers;
} vc_verifier;

/* verify a credential secured with a Data Integrity proof */
extern void vc_verify_di(mcj_arena *arena, const vc_verifier *v,
						 const mcj_value *credential, vc_result *out);

/* verify a compact JWT (OB 3.0 VC-JWT with typ JWT, or VC-JOSE vc+jwt) */
extern void vc_verify_jwt(mcj_arena *arena, const vc_verifier *v,
						  const char *token, size_t len, vc_result *out);

/* add a check to a result (also clears valid on a failure) */
extern void vc_add_check(vc_result *r, const char *name, vc_status status,
						 const char *fmt,...) __attribute__((format(printf, 4, 5)));


/*
 * JWT envelopes for an unsecured credential:
 *   ob_jwt: typ "JWT", payload = credential + iss, jti, nbf, sub, exp (OB 3.0 section 8.2)
 *   vc_jwt: typ "vc+jwt", cty "vc", payload = credential (W3C VC-JOSE-COSE)
 * kid is the verification method id.  Returns the compact JWS or NULL.
 */
extern char *vc_sign_jwt(mcj_arena *arena, const mcj_value *credential, bool ob_form,
						 mcc_key *key, mcc_alg alg, const char *kid, mcj_error *err);

/*
 * The ob3_structure check (ob3_check.c) added to a verification result: pass,
 * fail (any error), warn (warnings only) or skip (not an Open Badges
 * credential).
 */
extern void vc_check_ob3_structure(vc_result *r, const mcj_value *credential);

#endif							/* MC_VC_H */
