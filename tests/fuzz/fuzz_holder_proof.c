/*-------------------------------------------------------------------------
 *
 * fuzz_holder_proof.c
 *	  libFuzzer target for OpenID4VCI key proofs (holder_proof.c): the
 *	  whole untrusted path of the credential endpoint's proof, from the
 *	  compact JWS through the header's kid (did:key, did:jwk) or jwk to
 *	  the signature and the claims.  Besides crashes and sanitizer
 *	  reports it checks that an accepted proof names a holder DID and an
 *	  audience.
 *
 * Build (see tests/fuzz/corpus/holder_proof for seeds):
 *	 clang -g -O1 -fsanitize=fuzzer,address,undefined -Ipg_extension \
 *		 tests/fuzz/fuzz_holder_proof.c pg_extension/holder_proof.c pg_extension/jws.c \
 *		 pg_extension/mccrypto.c pg_extension/multibase.c pg_extension/mcjson.c -lcrypto -lm
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "holder_proof.h"
#include "mcjson.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mcj_arena  *arena = mcj_arena_create(NULL);
	mcj_error	err;
	hp_result	r;

	memset(&err, 0, sizeof(err));
	if (arena == NULL)
		return 0;
	if (hp_verify(arena, (const char *) data, size, &r, &err))
	{
		if (r.holder_did == NULL || strncmp(r.holder_did, "did:", 4) != 0 || r.n_aud < 1 || !r.has_iat)
			abort();
	}
	mcj_arena_destroy(arena);
	return 0;
}
