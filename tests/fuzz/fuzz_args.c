/*-------------------------------------------------------------------------
 *
 * fuzz_args.c
 *	  libFuzzer target for the decoding of SQL arguments that reach the pure
 *	  cores directly (issue 14: nothing crashes on any argument).
 *
 * The first byte chooses which argument the rest of the input is:
 *	  0	public key text: microcred.public_key(text), trust_key
 *		(mcc_key_from_text: did:key, publicKeyMultibase or JWK);
 *	  1	SubjectPublicKeyInfo DER: microcred.public_key_info(bytea);
 *	  2	SPKI PEM (trusted keys given as PEM);
 *	  3	the content of the file named by microcred.kek_file (mcc_kek_parse);
 *	  4	a JOSE algorithm name (document(..., algorithm));
 *	  5	a sealed key blob (signing_key.sealed_private, bytea arguments of
 *		the internal signing functions), opened under a fixed KEK.
 * Invariants, abort() when broken: a rejected input has an error message;
 * an accepted public key exports as SPKI DER and that DER reads back as an
 * equal key (and as Multikey and JWK when the type has them); an accepted
 * KEK is not all zero; an accepted algorithm name's canonical name parses
 * back to the same algorithm.
 *
 * Build: tests/fuzz/run.sh args (make fuzz); make test replays the corpus.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mccrypto.h"
#include "mcjson.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_key(mcj_arena *arena, mcc_key *key)
{
	mcj_error	err;
	size_t		derlen;
	unsigned char *der = mcc_key_spki_der(arena, key, &derlen, &err);
	mcc_key    *again;

	if (der == NULL)
		abort();
	again = mcc_key_from_spki_der(der, derlen, &err);
	if (again == NULL || !mcc_key_public_equal(key, again))
		abort();
	mcc_key_free(again);
	if (mcc_key_type(key) != MCC_KEY_RSA)
	{
		char	   *mk = mcc_key_multikey(arena, key, &err);

		if (mk == NULL)
			abort();
		again = mcc_key_from_text(arena, mk, strlen(mk), &err);
		if (again == NULL || !mcc_key_public_equal(key, again))
			abort();
		mcc_key_free(again);
	}
	if (mcc_key_jwk(arena, key, &err) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mcj_arena  *arena;
	mcj_error	err;
	mcc_key    *key = NULL;
	const char *arg;
	size_t		len;

	if (size < 1)
		return 0;
	arg = (const char *) data + 1;
	len = size - 1;
	arena = mcj_arena_create(NULL);
	if (arena == NULL)
		return 0;
	memset(&err, 0, sizeof(err));
	switch (data[0] % 6)
	{
		case 0:
			key = mcc_key_from_text(arena, arg, len, &err);
			break;
		case 1:
			key = mcc_key_from_spki_der((const unsigned char *) arg, len, &err);
			break;
		case 2:
			key = mcc_key_from_spki_pem(arg, len, &err);
			break;
		case 3:
			{
				unsigned char kek[MCC_KEK_LEN];
				unsigned char acc = 0;

				if (mcc_kek_parse((const unsigned char *) arg, len, kek, &err))
				{
					for (int i = 0; i < MCC_KEK_LEN; i++)
						acc |= kek[i];
					if (acc == 0)
						abort();
				}
				else if (err.message[0] == '\0')
					abort();
				mcj_arena_destroy(arena);
				return 0;
			}
		case 4:
			{
				mcc_alg		alg = mcc_alg_from_name(arg, len);

				/* an accepted name (or alias: "Ed25519" for EdDSA) names one alg */
				if (alg != MCC_ALG_NONE)
				{
					const char *name = mcc_alg_name(alg);

					if (mcc_alg_from_name(name, strlen(name)) != alg)
						abort();
				}
				mcj_arena_destroy(arena);
				return 0;
			}
		case 5:
			{
				static const unsigned char kek[MCC_KEK_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
				static const unsigned char aad[48] = "microcred-key-v1";

				key = mcc_key_unseal((const unsigned char *) arg, len, kek, aad, sizeof(aad), &err);
				if (key != NULL)
					mcc_key_free(key);
				else if (err.message[0] == '\0')
					abort();
				mcj_arena_destroy(arena);
				return 0;
			}
	}
	if (key == NULL)
	{
		if (err.message[0] == '\0')
			abort();
	}
	else
	{
		check_key(arena, key);
		mcc_key_free(key);
	}
	mcj_arena_destroy(arena);
	return 0;
}
