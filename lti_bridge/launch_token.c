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

/* what is verified: an LTI id_token (idt_validate) or any signed JWT (idt_verify_signed) */
typedef struct verify_job
{
	const idt_registration *reg;	/* id_token: the registration, else NULL */
	const idt_options *opt;
	idt_claims **claims;
	const char *const *algs;	/* any JWT: the algs pinned */
	size_t		n_algs;
	json_t	  **payload;
} verify_job;

static idt_reason
run_job(const verify_job *j, const char *token, size_t len, const jwk_set *keys, idt_error *err)
{
	if (j->reg != NULL)
		return idt_validate(token, len, j->reg, keys, j->opt, j->claims, err);
	return idt_verify_signed(token, len, j->algs, j->n_algs, keys, j->payload, NULL, err);
}

static void
job_reset(const verify_job *j)
{
	if (j->claims != NULL && *j->claims != NULL)
	{
		idt_claims_free(*j->claims);
		*j->claims = NULL;
	}
	if (j->payload != NULL && *j->payload != NULL)
	{
		json_decref(*j->payload);
		*j->payload = NULL;
	}
}

/*
 * The token's own faults first (shape, header, alg, kid present): against
 * no keys at all it can only get as far as an unknown kid.  A malformed
 * token then never costs a JWKS fetch, and its reason is not hidden by an
 * unreachable JWKS.  Then the cached keys, and on an unknown kid one
 * forced (rate-limited) refresh.
 */
static idt_reason
verify_with_refresh(jwks_cache *cache, const char *jwks_url, const char *token, size_t len,
					const verify_job *j, idt_error *err)
{
	static const char no_keys[] = "{\"keys\": []}";
	jwk_set    *keys = NULL;
	jwk_set    *fresh = NULL;
	jwk_set    *none;
	char		why[256];
	jwks_status st;
	idt_reason	r;
	bool		fetched = false;

	none = jwk_set_parse(no_keys, sizeof(no_keys) - 1, why, sizeof(why));
	if (none == NULL)
		return IDT_INTERNAL;
	r = run_job(j, token, len, none, err);
	jwk_set_release(none);
	if (r != IDT_KID_UNKNOWN)
	{
		if (r == IDT_OK)
		{
			job_reset(j);
			r = IDT_INTERNAL;
		}
		return r;
	}
	st = jwks_cache_get(cache, jwks_url, false, &keys, &fetched, why, sizeof(why));
	if (st != JWKS_OK)
		return jwks_failed(err, st);
	r = run_job(j, token, len, keys, err);
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
		r = run_job(j, token, len, fresh, err);
	jwk_set_release(fresh);
	jwk_set_release(keys);
	return r;
}

/* an LTI id_token */
idt_reason
launch_token_verify(jwks_cache *cache, const char *jwks_url, const char *token,
					size_t len, const idt_registration *reg, const idt_options *opt,
					idt_claims **out, idt_error *err)
{
	verify_job	j = {.reg = reg, .opt = opt, .claims = out};

	*out = NULL;
	return verify_with_refresh(cache, jwks_url, token, len, &j, err);
}

/* any signed JWT: signature only, the caller checks the claims */
idt_reason
signed_token_verify(jwks_cache *cache, const char *jwks_url, const char *token, size_t len,
					const char *const *algs, size_t n_algs, json_t **payload, idt_error *err)
{
	verify_job	j = {.algs = algs, .n_algs = n_algs, .payload = payload};

	*payload = NULL;
	return verify_with_refresh(cache, jwks_url, token, len, &j, err);
}
