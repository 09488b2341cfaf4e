/*-------------------------------------------------------------------------
 *
 * fuzz_jws.c
 *	  libFuzzer target for the untrusted-input surface of the crypto core:
 *	  compact JWS parsing and verification (jws.c), Multikey, did:key,
 *	  JWK, SPKI and sealed-key import (mccrypto.c), and the multibase
 *	  decoders (multibase.c).
 *
 * The first input byte selects the mode; the rest is the input.  Besides
 * crashes and sanitizer reports, it checks properties: a decoder that
 * accepts a text must re-encode it to the same text (canonical
 * encodings), and an imported key must export to a key that imports as
 * an equal key.
 *
 * Build (see tests/fuzz/corpus/jws for seeds):
 *	 clang -g -O1 -fsanitize=fuzzer,address,undefined -Ipg_extension \
 *		 tests/fuzz/fuzz_jws.c pg_extension/jws.c pg_extension/mccrypto.c \
 *		 pg_extension/multibase.c pg_extension/mcjson.c -lcrypto -lm
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jws.h"
#include "mccrypto.h"
#include "mcjson.h"
#include "multibase.h"

/* Verification keys, created once per process (harness state only) */
typedef struct fuzz_keys
{
	mcc_key    *ed;
	mcc_key    *ec;
	mcc_key    *rsa;
	mcc_key    *ed_priv;			/* RFC 8037 A.1 private key */
} fuzz_keys;

static fuzz_keys keys;

/* The RFC 8037 A.1 Ed25519, RFC 7517 A.1 EC and RFC 7638 RSA public keys */
static const char ed_jwk[] =
"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";
static const char ec_jwk[] =
"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\","
"\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\"}";
static const char rsa_jwk[] =
"{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4"
"cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4"
"Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7"
"d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3X"
"PksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\"}";

int			LLVMFuzzerInitialize(int *argc, char ***argv);
int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Import one of the fixed JWKs or abort */
static mcc_key *
fixed_key(const char *text)
{
	mcj_arena  *arena = mcj_arena_create(NULL);
	mcj_error	err;
	mcj_value  *v = mcj_parse(arena, text, strlen(text), NULL, &err);
	mcc_key    *k = v ? mcc_key_from_jwk(v, &err) : NULL;

	if (k == NULL)
	{
		fprintf(stderr, "fuzz_jws: fixed key: %s\n", err.message);
		abort();
	}
	mcj_arena_destroy(arena);
	return k;
}

/* libFuzzer initialization hook */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	keys.ed = fixed_key(ed_jwk);
	keys.ec = fixed_key(ec_jwk);
	keys.rsa = fixed_key(rsa_jwk);
	{
		static const char d[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
		unsigned char seed[32];
		size_t		len;
		mcj_error	err;

		if (!mb_base64url_decode(d, strlen(d), seed, sizeof(seed), &len, &err) ||
			(keys.ed_priv = mcc_key_from_ed25519_seed(seed, len, &err)) == NULL)
			abort();
	}
	return 0;
}

/* Property failure: crash so that libFuzzer saves the input */
static void
property_failed(const char *what)
{
	fprintf(stderr, "fuzz_jws: property violated: %s\n", what);
	abort();
}

/* An imported key must survive its public export formats */
static void
check_key_roundtrip(mcj_arena *arena, mcc_key *k)
{
	mcj_error	err;
	mcj_value  *jwk = mcc_key_jwk(arena, k, &err);
	mcc_key    *k2;
	char	   *mb;
	unsigned char tp[MCC_SHA256_LEN];

	if (jwk == NULL)
		property_failed("jwk export of an imported key");
	if (!mcc_jwk_thumbprint(jwk, tp, &err))
		property_failed("thumbprint of an exported jwk");
	k2 = mcc_key_from_jwk(jwk, &err);
	if (k2 == NULL || !mcc_key_public_equal(k, k2))
		property_failed("jwk round trip");
	mcc_key_free(k2);
	if (mcc_key_type(k) != MCC_KEY_RSA)
	{
		mb = mcc_key_multikey(arena, k, &err);
		if (mb == NULL)
			property_failed("multikey export of an imported key");
		k2 = mcc_key_from_multikey(mb, strlen(mb), &err);
		if (k2 == NULL || !mcc_key_public_equal(k, k2))
			property_failed("multikey round trip");
		mcc_key_free(k2);
	}
}

/* JWS parse and verify against all three keys */
static void
fuzz_jws_verify(mcj_arena *arena, const char *s, size_t n, bool json_payload)
{
	static const mcc_alg all[] = {MCC_ALG_EDDSA, MCC_ALG_ES256, MCC_ALG_RS256, MCC_ALG_PS256};
	mcj_error	err;
	jws_parts	p;

	if (jws_parse(arena, s, n, json_payload, &p, &err))
	{
		if (p.header == NULL || p.header->type != MCJ_OBJECT ||
			p.alg == MCC_ALG_NONE || p.signing_input_len >= n)
			property_failed("parsed jws fields");
		(void) jws_verify_parts(&p, keys.ed, all, 4, &err);
		(void) jws_verify_parts(&p, keys.ec, all, 4, &err);
		(void) jws_verify_parts(&p, keys.rsa, all, 4, &err);
	}
}

/* Decoders must be canonical: decode then encode gives the input back */
static void
fuzz_codecs(const char *s, size_t n)
{
	unsigned char *buf = malloc(n + 1);
	char	   *txt;
	size_t		cap = 2 * n + 8,
				len,
				tlen;
	mcj_error	err;

	txt = malloc(cap);
	if (buf == NULL || txt == NULL)
		abort();
	if (n <= 2048 && mb_base58btc_decode(s, n, buf, n + 1, &len, &err))
	{
		if (!mb_base58btc_encode(buf, len, txt, cap, &tlen) ||
			tlen != n || memcmp(txt, s, n) != 0)
			property_failed("base58btc canonical round trip");
	}
	if (mb_base64url_decode(s, n, buf, n + 1, &len, &err))
	{
		if (!mb_base64url_encode(buf, len, txt, cap, &tlen) ||
			tlen != n || memcmp(txt, s, n) != 0)
			property_failed("base64url canonical round trip");
	}
	if (mb_base64_decode(s, n, buf, n + 1, &len, &err))
	{
		if (!mb_base64_encode(buf, len, txt, cap, &tlen) ||
			tlen != n || memcmp(txt, s, n) != 0)
			property_failed("base64 canonical round trip");
	}
	if (mb_hex_decode(s, n, buf, n + 1, &len, &err))
	{
		if (!mb_hex_encode(buf, len, txt, cap, &tlen) || tlen != n)
			property_failed("hex round trip");
	}
	{
		mcj_arena  *arena = mcj_arena_create(NULL);
		unsigned char *d = mb_multibase_decode(arena, s, n, &len, &err);
		char	   *again = d ? mb_multibase_encode(arena, s[0], d, len) : NULL;

		if (d != NULL && (again == NULL || strlen(again) != n ||
						  memcmp(again, s, n) != 0))
			property_failed("multibase canonical round trip");
		mcj_arena_destroy(arena);
	}
	{
		uint64_t	v;
		size_t		used;
		unsigned char enc[10];

		if (mb_varint_decode((const unsigned char *) s, n, &v, &used, &err))
		{
			if (mb_varint_encode(v, enc) != used || memcmp(enc, s, used) != 0)
				property_failed("varint canonical round trip");
		}
	}
	free(buf);
	free(txt);
}

/*
 * Seal arbitrary bytes the way mcc_key_seal does (version 1, AAD
 * version || "aad"), so that the fuzzer reaches the PKCS#8 decoding
 * behind the authentication tag.  Fixed nonce: harness only.
 */
static unsigned char *
seal_raw(const unsigned char *kek, const unsigned char *plain, size_t n)
{
	unsigned char *out = malloc(n + MCC_SEAL_OVERHEAD);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned char version = MCC_SEAL_VERSION;
	int			l1 = 0,
				l2 = 0;

	if (out == NULL || c == NULL)
		abort();
	out[0] = version;
	memset(out + 1, 7, MCC_SEAL_NONCE_LEN);
	if (EVP_EncryptInit_ex2(c, EVP_aes_256_gcm(), kek, out + 1, NULL) != 1 ||
		EVP_EncryptUpdate(c, NULL, &l1, &version, 1) != 1 ||
		EVP_EncryptUpdate(c, NULL, &l1, (const unsigned char *) "aad", 3) != 1 ||
		EVP_EncryptUpdate(c, out + 1 + MCC_SEAL_NONCE_LEN, &l1, plain, (int) n) != 1 ||
		EVP_EncryptFinal_ex(c, out + 1 + MCC_SEAL_NONCE_LEN + l1, &l2) != 1 ||
		EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, MCC_SEAL_TAG_LEN,
							out + 1 + MCC_SEAL_NONCE_LEN + n) != 1)
		abort();
	EVP_CIPHER_CTX_free(c);
	return out;
}

/*
 * Sign with a header and payload from the input (split at the first NUL);
 * whatever jws_sign accepts must parse and verify, with the same payload.
 */
static void
fuzz_sign(mcj_arena *arena, const char *s, size_t n)
{
	static const mcc_alg ed_only[] = {MCC_ALG_EDDSA};
	const char *nul = memchr(s, '\0', n);
	size_t		hlen = nul ? (size_t) (nul - s) : n;
	const unsigned char *payload = (const unsigned char *) s + (nul ? hlen + 1 : n);
	size_t		plen = nul ? n - hlen - 1 : 0;
	mcj_error	err;
	mcj_value  *header = mcj_parse(arena, s, hlen, NULL, &err);
	char	   *tok;
	jws_parts	p;

	if (header == NULL)
		return;
	tok = jws_sign(arena, keys.ed_priv, header, payload, plen, &err);
	if (tok == NULL)
		return;
	if (!jws_verify(arena, tok, strlen(tok), keys.ed, ed_only, 1, false, &p, &err))
	{
		fprintf(stderr, "fuzz_jws: %s\n", err.message);
		property_failed("a token from jws_sign does not verify");
	}
	if (p.payload_len != plen || (plen > 0 && memcmp(p.payload, payload, plen) != 0) ||
		!mcj_equal(p.header, header))
		property_failed("jws payload or header changed in a sign/verify round trip");
}

/* libFuzzer entry point */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mcj_arena  *arena;
	const char *s;
	size_t		n;
	mcj_error	err;
	mcc_key    *k = NULL;

	if (size < 1)
		return 0;
	s = (const char *) data + 1;
	n = size - 1;
	arena = mcj_arena_create(NULL);

	switch (data[0] % 9)
	{
		case 0:
			fuzz_jws_verify(arena, s, n, false);
			break;
		case 1:
			fuzz_jws_verify(arena, s, n, true);
			break;
		case 2:
			k = mcc_key_from_multikey(s, n, &err);
			break;
		case 3:
			k = mcc_key_from_did_key(s, n, &err);
			break;
		case 4:
			{
				mcj_value  *v = mcj_parse(arena, s, n, NULL, &err);
				unsigned char tp[MCC_SHA256_LEN];

				if (v != NULL)
				{
					(void) mcc_jwk_thumbprint(v, tp, &err);
					k = mcc_key_from_jwk(v, &err);
				}
				break;
			}
		case 5:
			fuzz_codecs(s, n);
			break;
		case 6:
			{
				mcc_key    *sk = mcc_key_from_private_multikey(s, n, &err);

				mcc_key_free(sk);
				k = mcc_key_from_spki_der(data + 1, n, &err);
				if (k == NULL)
					k = mcc_key_from_spki_pem(s, n, &err);
				break;
			}
		case 7:
			{
				static const unsigned char kek[MCC_KEK_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
				unsigned char kbuf[MCC_KEK_LEN];
				unsigned char *blob = seal_raw(kek, data + 1, n);
				mcc_key    *sk;

				/* the input as a raw blob (fails authentication) */
				sk = mcc_key_unseal(data + 1, n, kek, (const unsigned char *) "aad", 3, &err);
				mcc_key_free(sk);
				/* the input as sealed plaintext: exercises the PKCS#8 path */
				sk = mcc_key_unseal(blob, n + MCC_SEAL_OVERHEAD, kek,
									(const unsigned char *) "aad", 3, &err);
				if (sk != NULL)
				{
					size_t		slen;
					unsigned char *again = mcc_key_seal(arena, sk, kek,
														(const unsigned char *) "x", 1,
														&slen, &err);
					mcc_key    *sk2 = again ? mcc_key_unseal(again, slen, kek,
															 (const unsigned char *) "x", 1,
															 &err) : NULL;

					if (sk2 == NULL || !mcc_key_public_equal(sk, sk2))
						property_failed("seal round trip of an unsealed key");
					mcc_key_free(sk2);
					mcc_key_free(sk);
				}
				free(blob);
				(void) mcc_kek_parse(data + 1, n, kbuf, &err);
				break;
			}
		case 8:
			fuzz_sign(arena, s, n);
			break;
	}
	if (k != NULL)
	{
		check_key_roundtrip(arena, k);
		mcc_key_free(k);
	}
	mcj_arena_destroy(arena);
	return 0;
}
