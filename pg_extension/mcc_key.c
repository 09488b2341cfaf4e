/*-------------------------------------------------------------------------
 *
 * mcc_key.c
 *	  The key object of mccrypto.h: names of key types and algorithms,
 *	  generation, inspection and the algorithm rules of a key.
 *
 * Pure core on the OpenSSL 3 EVP/provider APIs (no deprecated low-level
 * EC_KEY/RSA/ED25519 calls), see mccrypto.h.
 *
 * Secret material lives only in malloc/stack buffers that are wiped with
 * OPENSSL_cleanse before they are released; it never reaches an
 * mcj_arena.  Every failure path clears the OpenSSL error queue.
 *
 *-------------------------------------------------------------------------
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "mccrypto_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "multibase.h"

/* Record the most recent OpenSSL error reason (if any) and clear the queue */
void
mcc_ossl_error(mcj_error *err, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *reason = e ? ERR_reason_error_string(e) : NULL;

	if (reason)
		mb_set_error(err, "%s: %s", what, reason);
	else
		mb_set_error(err, "%s", what);
	ERR_clear_error();
}

/* Keytype name */
const char *
mcc_keytype_name(mcc_keytype type)
{
	switch (type)
	{
		case MCC_KEY_ED25519:
			return "Ed25519";
		case MCC_KEY_P256:
			return "P-256";
		case MCC_KEY_RSA:
			return "RSA";
		default:
			return "none";
	}
}

/* Keytype from a name */
mcc_keytype
mcc_keytype_from_name(const char *name)
{
	if (name == NULL)
		return MCC_KEY_NONE;
	if (strcasecmp(name, "Ed25519") == 0)
		return MCC_KEY_ED25519;
	if (strcasecmp(name, "P-256") == 0 || strcasecmp(name, "P256") == 0 ||
		strcasecmp(name, "prime256v1") == 0 || strcasecmp(name, "secp256r1") == 0)
		return MCC_KEY_P256;
	if (strcasecmp(name, "RSA") == 0)
		return MCC_KEY_RSA;
	return MCC_KEY_NONE;
}

/* JOSE alg name */
const char *
mcc_alg_name(mcc_alg alg)
{
	switch (alg)
	{
		case MCC_ALG_EDDSA:
			return "EdDSA";
		case MCC_ALG_ES256:
			return "ES256";
		case MCC_ALG_RS256:
			return "RS256";
		case MCC_ALG_PS256:
			return "PS256";
		default:
			return "none";
	}
}

/* JOSE alg from its (exact) name */
mcc_alg
mcc_alg_from_name(const char *name, size_t len)
{
	if (name == NULL)
		return MCC_ALG_NONE;
	if ((len == 5 && memcmp(name, "EdDSA", 5) == 0) ||
		(len == 7 && memcmp(name, "Ed25519", 7) == 0))
		return MCC_ALG_EDDSA;
	if (len == 5 && memcmp(name, "ES256", 5) == 0)
		return MCC_ALG_ES256;
	if (len == 5 && memcmp(name, "RS256", 5) == 0)
		return MCC_ALG_RS256;
	if (len == 5 && memcmp(name, "PS256", 5) == 0)
		return MCC_ALG_PS256;
	return MCC_ALG_NONE;
}

/* Does an EC pkey use P-256? */
static bool
pkey_is_p256(EVP_PKEY *pkey)
{
	char		group[64];
	size_t		glen = 0;

	if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
										group, sizeof(group), &glen))
		return false;
	return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0 ||
		strcmp(group, "secp256r1") == 0;
}

/* Does the pkey hold a private key? */
static bool
pkey_has_private(EVP_PKEY *pkey, mcc_keytype type)
{
	BIGNUM	   *bn = NULL;
	size_t		len = 0;
	bool		res = false;

	switch (type)
	{
		case MCC_KEY_ED25519:
			res = EVP_PKEY_get_raw_private_key(pkey, NULL, &len) == 1 && len > 0;
			break;
		case MCC_KEY_P256:
			res = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &bn) == 1;
			break;
		case MCC_KEY_RSA:
			res = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D, &bn) == 1;
			break;
		default:
			break;
	}
	BN_clear_free(bn);
	ERR_clear_error();
	return res;
}

/*
 * Sanity of an RSA public key from any source: odd modulus, odd exponent
 * with 1 < e < n and e of at most 64 bits.  Applied to every import path
 * so that all of them accept the same keys.
 */
static bool
rsa_public_ok(EVP_PKEY *pkey, mcj_error *err)
{
	BIGNUM	   *n = NULL,
			   *e = NULL;
	bool		ok;

	ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
		EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1 &&
		BN_is_odd(n) && BN_is_odd(e) && !BN_is_one(e) &&
		BN_cmp(e, n) < 0 && BN_num_bits(e) <= 64;
	BN_free(n);
	BN_free(e);
	ERR_clear_error();
	if (!ok)
		mb_set_error(err, "invalid RSA public key (modulus and exponent must be odd, 1 < e < n, e at most 64 bits)");
	return ok;
}

/* Wrap an EVP_PKEY after checking its type (takes ownership) */
mcc_key *
mcc_key_from_pkey(EVP_PKEY *pkey, mcj_error *err)
{
	mcc_key    *key;
	mcc_keytype type = MCC_KEY_NONE;

	if (pkey == NULL)
	{
		mb_set_error(err, "no key");
		return NULL;
	}
	if (EVP_PKEY_is_a(pkey, "ED25519"))
		type = MCC_KEY_ED25519;
	else if (EVP_PKEY_is_a(pkey, "EC"))
	{
		if (!pkey_is_p256(pkey))
		{
			mb_set_error(err, "unsupported elliptic curve (only P-256 is supported)");
			EVP_PKEY_free(pkey);
			ERR_clear_error();
			return NULL;
		}
		type = MCC_KEY_P256;
	}
	else if (EVP_PKEY_is_a(pkey, "RSA"))
	{
		int			bits = EVP_PKEY_get_bits(pkey);

		if (bits < MCC_RSA_MIN_BITS || bits > MCC_RSA_MAX_BITS)
		{
			mb_set_error(err, "RSA key size %d bits is not allowed (%d to %d)",
						 bits, MCC_RSA_MIN_BITS, MCC_RSA_MAX_BITS);
			EVP_PKEY_free(pkey);
			return NULL;
		}
		if (!rsa_public_ok(pkey, err))
		{
			EVP_PKEY_free(pkey);
			return NULL;
		}
		type = MCC_KEY_RSA;
	}
	else
	{
		mb_set_error(err, "unsupported key type %s (expected Ed25519, P-256 or RSA)",
					 EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey) : "?");
		EVP_PKEY_free(pkey);
		return NULL;
	}

	key = calloc(1, sizeof(mcc_key));
	if (key == NULL)
	{
		mb_set_error(err, "out of memory");
		EVP_PKEY_free(pkey);
		return NULL;
	}
	key->pkey = pkey;
	key->type = type;
	key->has_private = pkey_has_private(pkey, type);
	return key;
}

/* Generate a new key pair */
mcc_key *
mcc_key_generate(mcc_keytype type, mcj_error *err)
{
	EVP_PKEY   *pkey = NULL;

	switch (type)
	{
		case MCC_KEY_ED25519:
			pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
			break;
		case MCC_KEY_P256:
			pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
			break;
		case MCC_KEY_RSA:
			pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
			break;
		default:
			mb_set_error(err, "unsupported key type for generation");
			return NULL;
	}
	if (pkey == NULL)
	{
		mcc_ossl_error(err, "key generation failed");
		return NULL;
	}
	return mcc_key_from_pkey(pkey, err);
}

/* Free a key */
void
mcc_key_free(mcc_key *key)
{
	if (key == NULL)
		return;
	EVP_MD_CTX_free(key->mdctx);
	EVP_PKEY_free(key->pkey);
	OPENSSL_cleanse(key, sizeof(*key));
	free(key);
}

/* Key type accessor */
mcc_keytype
mcc_key_type(const mcc_key *key)
{
	return key ? key->type : MCC_KEY_NONE;
}

/* Whether the key has its private half */
bool
mcc_key_has_private(const mcc_key *key)
{
	return key && key->has_private;
}

/* Key size in bits */
int
mcc_key_bits(const mcc_key *key)
{
	if (key == NULL)
		return 0;
	if (key->type != MCC_KEY_RSA)
		return 256;
	return EVP_PKEY_get_bits(key->pkey);
}

/* Borrow the EVP_PKEY */
EVP_PKEY *
mcc_key_pkey(const mcc_key *key)
{
	return key ? key->pkey : NULL;
}

/* Copy of the public half, through SubjectPublicKeyInfo */
mcc_key *
mcc_key_public_copy(const mcc_key *key, mcj_error *err)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int			len;
	EVP_PKEY   *pub;

	if (key == NULL)
	{
		mb_set_error(err, "no key");
		return NULL;
	}
	len = i2d_PUBKEY(key->pkey, &der);
	if (len <= 0)
	{
		mcc_ossl_error(err, "cannot encode public key");
		return NULL;
	}
	p = der;
	pub = d2i_PUBKEY(NULL, &p, len);
	OPENSSL_free(der);
	if (pub == NULL)
	{
		mcc_ossl_error(err, "cannot decode public key");
		return NULL;
	}
	return mcc_key_from_pkey(pub, err);
}

/* Compare public keys */
bool
mcc_key_public_equal(const mcc_key *a, const mcc_key *b)
{
	bool		res;

	if (a == NULL || b == NULL || a->type != b->type)
		return false;
	res = EVP_PKEY_eq(a->pkey, b->pkey) == 1;
	ERR_clear_error();
	return res;
}

/* Algorithm/key compatibility */
bool
mcc_key_check_alg(const mcc_key *key, mcc_alg alg, mcj_error *err)
{
	mcc_keytype need;

	switch (alg)
	{
		case MCC_ALG_EDDSA:
			need = MCC_KEY_ED25519;
			break;
		case MCC_ALG_ES256:
			need = MCC_KEY_P256;
			break;
		case MCC_ALG_RS256:
		case MCC_ALG_PS256:
			need = MCC_KEY_RSA;
			break;
		default:
			mb_set_error(err, "unsupported signature algorithm");
			return false;
	}
	if (key == NULL)
	{
		mb_set_error(err, "no key");
		return false;
	}
	if (key->type != need)
	{
		mb_set_error(err, "a %s key cannot be used with alg %s (needs a %s key)",
					 mcc_keytype_name(key->type), mcc_alg_name(alg),
					 mcc_keytype_name(need));
		return false;
	}
	return true;
}

/* Default JOSE alg for the key */
mcc_alg
mcc_key_default_alg(const mcc_key *key)
{
	switch (mcc_key_type(key))
	{
		case MCC_KEY_ED25519:
			return MCC_ALG_EDDSA;
		case MCC_KEY_P256:
			return MCC_ALG_ES256;
		case MCC_KEY_RSA:
			return MCC_ALG_RS256;
		default:
			return MCC_ALG_NONE;
	}
}
