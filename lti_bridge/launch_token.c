/*-------------------------------------------------------------------------
 *
 * launch_token.c
 *	  One launch id_token against the platform's JWKS, with the single
 *	  forced refresh on an unknown kid (key rotation) that the 1EdTech
 *	  Security Framework expects, and nothing more: the JWKS cache decides
 *	  whether a refetch is allowed (at most one per URL per
 *	  jwks_min_refresh_s), so a stream of tokens with invented kids cannot
 *	  make the bridge hammer a platform.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>

#include "launch_token.h"

/* set err for a JWKS failure */
static idt_reason
jwks_failed(idt_error *err, jwks_status st)
{
	if (err != NULL)
	{
		err->reason = IDT_JWKS_UNAVAILABLE;
		snprintf(err->message, sizeof(err->message),
				 "the platform JWKS is unavailable (%s)", jwks_status_code(st));
	}
	return IDT_JWKS_UNAVAILABLE;
}

/* validate with the cached keys, refreshing once on an unknown kid */
idt_reason
launch_token_verify(jwks_cache *cache, const char *jwks_url, const char *token,
					size_t len, const idt_registration *reg, const idt_options *opt,
					idt_claims **out, idt_error *err)
{
	jwk_set    *keys = NULL;
	jwk_set    *fresh = NULL;
	char		why[256];
	jwks_status st;
	idt_reason	r;
	bool		fetched = false;

	*out = NULL;
	/*
	 * The token's own faults first (shape, header, alg, kid present), in
	 * idt_validate's order: against no keys at all it can only get as far
	 * as an unknown kid.  A malformed token then never costs a JWKS fetch,
	 * and its reason is not hidden by an unreachable JWKS.
	 */
	{
		static const char no_keys[] = "{\"keys\": []}";
		jwk_set    *none = jwk_set_parse(no_keys, sizeof(no_keys) - 1, why, sizeof(why));

		if (none == NULL)
			return IDT_INTERNAL;
		r = idt_validate(token, len, reg, none, opt, out, err);
		jwk_set_release(none);
		if (r != IDT_KID_UNKNOWN)
		{
			if (r == IDT_OK)
			{
				idt_claims_free(*out);
				*out = NULL;
				r = IDT_INTERNAL;
			}
			return r;
		}
	}
	st = jwks_cache_get(cache, jwks_url, false, &keys, &fetched, why, sizeof(why));
	if (st != JWKS_OK)
		return jwks_failed(err, st);
	r = idt_validate(token, len, reg, keys, opt, out, err);
	if (r != IDT_KID_UNKNOWN || fetched)
	{
		/* a set fetched just now will not learn the kid by fetching again */
		jwk_set_release(keys);
		return r;
	}
	st = jwks_cache_get(cache, jwks_url, true, &fresh, &fetched, why, sizeof(why));
	if (st != JWKS_OK)
	{
		jwk_set_release(keys);
		return jwks_failed(err, st);
	}
	if (fresh != keys)
		r = idt_validate(token, len, reg, fresh, opt, out, err);
	jwk_set_release(fresh);
	jwk_set_release(keys);
	return r;
}
