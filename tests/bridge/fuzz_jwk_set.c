/*-------------------------------------------------------------------------
 *
 * fuzz_jwk_set.c
 *	  libFuzzer target for lti_bridge/jwk_set.c: the input is a JWKS
 *	  document as a platform might serve it.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>

#include "jwk_set.h"

/* one input */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		err[128];
	jwk_set    *set = jwk_set_parse((const char *) data, size, err, sizeof(err));

	if (set != NULL)
	{
		const jwk_entry *e = jwk_set_find(set, "k1");

		if (e != NULL && (e->jwk == NULL || e->kid == NULL))
			abort();
		if (jwk_set_count(set) > JWK_SET_MAX_KEYS)
			abort();
		jwk_set_retain(set);
		jwk_set_release(set);
		jwk_set_release(set);
	}
	return 0;
}
