/*-------------------------------------------------------------------------
 *
 * idtoken.h
 *	  Validation of an LTI 1.3 launch id_token (1EdTech Security Framework
 *	  1.0 section 5.1.3, OpenID Connect Core 3.1.3.7, LTI Core 1.3
 *	  section 5, Deep Linking 2.0 section 4.4).
 *
 * Pure: no I/O, no clock (the caller passes "now"), no logging.  Every
 * failure is a reason code (what /metrics counts and the request log
 * shows) and a short message that never contains the token, a key or a
 * personal claim.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_IDTOKEN_H
#define MC_IDTOKEN_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>

#include "jwk_set.h"

#define IDT_MAX_TOKEN_BYTES (64 * 1024)

typedef enum idt_reason
{
	IDT_OK = 0,
	IDT_TOO_LARGE,				/* token longer than IDT_MAX_TOKEN_BYTES */
	IDT_NOT_3_PARTS,			/* not header.payload.signature of base64url */
	IDT_BAD_HEADER,				/* header not a JSON object, or crit present */
	IDT_ALG_NOT_ALLOWED,		/* none, HS*, or not pinned by the registration */
	IDT_KID_MISSING,
	IDT_KID_UNKNOWN,			/* the caller refreshes the JWKS once and retries */
	IDT_KEY_ALG_MISMATCH,		/* key type or the JWK's alg does not fit alg */
	IDT_BAD_SIGNATURE,
	IDT_BAD_PAYLOAD,			/* payload not a JSON object */
	IDT_ISS_MISMATCH,
	IDT_AUD_MISMATCH,
	IDT_AZP_MISMATCH,
	IDT_EXP_MISSING,
	IDT_EXPIRED,
	IDT_IAT_MISSING,
	IDT_IAT_FUTURE,
	IDT_NONCE_MISSING,
	IDT_SUB_EMPTY,				/* sub present but empty or not a string */
	IDT_SUB_MISSING,			/* deep linking requests must carry sub */
	IDT_BAD_VERSION,
	IDT_BAD_MESSAGE_TYPE,
	IDT_DEPLOYMENT_MISSING,
	IDT_UNKNOWN_DEPLOYMENT,
	IDT_ROLES_MISSING,
	IDT_BAD_ROLES,				/* roles not an array of strings */
	IDT_RESOURCE_LINK_MISSING,
	IDT_TARGET_LINK_URI_MISSING,
	IDT_DEEP_LINKING_SETTINGS_MISSING,
	IDT_JWKS_UNAVAILABLE,		/* set by launch_token.c: the platform JWKS could not be had */
	IDT_BAD_REGISTRATION,		/* caller error: registration incomplete */
	IDT_INTERNAL,				/* out of memory */
	IDT__COUNT
} idt_reason;

/* what the tool knows about the platform (from the registrations table) */
typedef struct idt_registration
{
	const char *issuer;
	const char *client_id;
	const char *const *algs;	/* allowed alg values; NULL or empty: RS256 */
	size_t		n_algs;
	const char *const *deployment_ids;
	size_t		n_deployment_ids;
} idt_registration;

typedef struct idt_options
{
	time_t		now;
	int			leeway_s;		/* for exp and iat, default 60 */
} idt_options;

typedef struct idt_error
{
	idt_reason	reason;
	char		message[200];
} idt_error;

/* the validated claims; payload is owned, the pointers point into it */
typedef struct idt_claims
{
	json_t	   *payload;
	const char *alg;			/* static string */
	const char *message_type;
	const char *deployment_id;
	const char *sub;			/* NULL for an anonymous launch */
	const char *nonce;
	const char *target_link_uri;
	const char *resource_link_id;	/* NULL for deep linking */
	const char *deep_link_return_url;	/* NULL for resource links */
	json_t	   *roles;			/* borrowed array */
} idt_claims;

/* stable lowercase code of a reason, e.g. "kid_unknown" */
extern const char *idt_reason_code(idt_reason r);

/*
 * Peek at the header: fills *kid (malloc'd, NULL when absent) so that the
 * caller can pick the JWKS before validating.  Returns IDT_OK or the
 * reason the header is unusable.
 */
extern idt_reason idt_peek_kid(const char *token, size_t len, char **kid, idt_error *err);

/* the unverified payload's nonce (malloc'd), or NULL: to find the login state only */
extern void idt_peek_nonce(const char *token, size_t len, char **nonce);

/* the unverified payload's iss and client (azp or aud), malloc'd, or NULL: to find a cached registration only */
extern void idt_peek_client(const char *token, size_t len, char **iss, char **client_id);

/*
 * Validate token against reg with keys.  On IDT_OK *out holds the claims
 * (free with idt_claims_free).  The caller still must: check that the
 * nonce was issued by it and is used once, check the OIDC state, and on
 * IDT_KID_UNKNOWN refresh the JWKS once (rate-limited) and retry.
 */
extern idt_reason idt_validate(const char *token, size_t len,
							   const idt_registration *reg, const jwk_set *keys,
							   const idt_options *opt, idt_claims **out,
							   idt_error *err);

extern void idt_claims_free(idt_claims *claims);

/*
 * The signature half of idt_validate for any signed JWT: shape, header,
 * alg one of algs (RS256 when n_algs is 0; none and HS* never), kid in keys
 * with a fitting key, signature, JSON object payload (*payload, decref it;
 * *alg the alg, a static string, may be NULL).  Claims are not checked.
 */
extern idt_reason idt_verify_signed(const char *token, size_t len, const char *const *algs,
									size_t n_algs, const jwk_set *keys, json_t **payload,
									const char **alg, idt_error *err);

#endif							/* MC_IDTOKEN_H */
