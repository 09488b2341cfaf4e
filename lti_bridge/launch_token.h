/*-------------------------------------------------------------------------
 *
 * launch_token.h
 *	  Verifying a launch id_token with the platform's cached JWKS: the
 *	  glue between idtoken.c (pure checks) and jwks.c (fetch and cache).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_LAUNCH_TOKEN_H
#define MC_LAUNCH_TOKEN_H

#include "idtoken.h"
#include "jwks.h"

/*
 * Validate token with the keys of jwks_url.  On kid_unknown the JWKS is
 * refreshed once (the cache rate-limits that per URL) and the token
 * validated again; a JWKS that cannot be had gives jwks_unavailable.
 * Same results as idt_validate otherwise.
 */
extern idt_reason launch_token_verify(jwks_cache *cache, const char *jwks_url,
									  const char *token, size_t len,
									  const idt_registration *reg,
									  const idt_options *opt,
									  idt_claims **out, idt_error *err);

/*
 * Any signed JWT (Canvas Live Events) with the keys of jwks_url, the same
 * way: alg one of algs, kid resolved (one refresh), signature; the payload
 * in *payload (decref it).  The claims are the caller's to check.
 */
extern idt_reason signed_token_verify(jwks_cache *cache, const char *jwks_url, const char *token,
									  size_t len, const char *const *algs, size_t n_algs,
									  json_t **payload, idt_error *err);

#endif							/* MC_LAUNCH_TOKEN_H */
