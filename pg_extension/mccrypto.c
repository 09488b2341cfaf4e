/*-------------------------------------------------------------------------
 *
 * mccrypto.c
 *	  Keys, sealed private-key storage, public key formats and signatures
 *	  for microcred, on the OpenSSL 3 EVP/provider APIs (no deprecated
 *	  low-level EC_KEY/RSA/ED25519 calls).
 *
 * Formats implemented here follow: RFC 8032 (Ed25519), SEC1 (P-256 point
 * encodings), RFC 7517/7518 (JWK), RFC 7638 (JWK thumbprint), RFC 7515/
 * 7518 (JOSE signature forms: ES256 as raw r||s), the W3C Controlled
 * Identifiers Multikey format and the did:key method.
 *
 * Secret material (PKCS#8 DER, decoded private keys, KEK file contents)
 * lives only in malloc/stack buffers that are wiped with OPENSSL_cleanse
 * before they are released; it never reaches an mcj_arena.  Every failure
 * path clears the OpenSSL error queue so that no stale error leaks into a
 * later, unrelated call.
 *
 *-------------------------------------------------------------------------
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "mccrypto.h"

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

struct mcc_key
{
	EVP_PKEY   *pkey;
	mcc_keytype type;
	bool		has_private;
	EVP_MD_CTX *mdctx;			/* cached for sign/verify, lazily created */
};

/* Record the most recent OpenSSL error reason (if any) and clear the queue */
static void
ossl_error(mcj_error *err, const char *what)
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
		ossl_error(err, "key generation failed");
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
		ossl_error(err, "cannot encode public key");
		return NULL;
	}
	p = der;
	pub = d2i_PUBKEY(NULL, &p, len);
	OPENSSL_free(der);
	if (pub == NULL)
	{
		ossl_error(err, "cannot decode public key");
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

/* ------------------------------------------------------------------------
 * Sealed private keys
 * ------------------------------------------------------------------------
 */

/* Seal a private key under a KEK */
unsigned char *
mcc_key_seal(mcj_arena *arena, const mcc_key *key,
			 const unsigned char kek[MCC_KEK_LEN],
			 const unsigned char *aad, size_t aadlen,
			 size_t *sealedlen, mcj_error *err)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	unsigned char *der = NULL;
	int			derlen = 0;
	unsigned char *out = NULL;
	unsigned char *result = NULL;
	EVP_CIPHER_CTX *cctx = NULL;
	unsigned char version = MCC_SEAL_VERSION;
	int			outl = 0,
				finl = 0;
	OSSL_PARAM	params[2];

	if (key == NULL || !key->has_private)
	{
		mb_set_error(err, "sealing needs a private key");
		return NULL;
	}
	if (aadlen > INT_MAX || (aad == NULL && aadlen > 0))
	{
		mb_set_error(err, "invalid associated data");
		return NULL;
	}
	p8 = EVP_PKEY2PKCS8(key->pkey);
	if (p8 == NULL)
	{
		ossl_error(err, "cannot encode private key as PKCS#8");
		goto done;
	}
	derlen = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	if (derlen <= 0 || der == NULL)
	{
		der = NULL;
		derlen = 0;
		ossl_error(err, "cannot encode private key as PKCS#8");
		goto done;
	}

	out = mcj_alloc(arena, (size_t) derlen + MCC_SEAL_OVERHEAD);
	if (out == NULL)
	{
		mb_set_error(err, "out of memory");
		goto done;
	}
	out[0] = version;
	if (RAND_bytes(out + 1, MCC_SEAL_NONCE_LEN) != 1)
	{
		ossl_error(err, "random number generator failed");
		goto done;
	}

	cctx = EVP_CIPHER_CTX_new();
	if (cctx == NULL ||
		EVP_EncryptInit_ex2(cctx, EVP_aes_256_gcm(), kek, out + 1, NULL) != 1 ||
		EVP_EncryptUpdate(cctx, NULL, &outl, &version, 1) != 1 ||
		(aadlen > 0 &&
		 EVP_EncryptUpdate(cctx, NULL, &outl, aad, (int) aadlen) != 1) ||
		EVP_EncryptUpdate(cctx, out + 1 + MCC_SEAL_NONCE_LEN, &outl,
						  der, derlen) != 1 ||
		EVP_EncryptFinal_ex(cctx, out + 1 + MCC_SEAL_NONCE_LEN + outl,
							&finl) != 1)
	{
		ossl_error(err, "AES-256-GCM encryption failed");
		goto done;
	}
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
												  out + 1 + MCC_SEAL_NONCE_LEN + derlen,
												  MCC_SEAL_TAG_LEN);
	params[1] = OSSL_PARAM_construct_end();
	if (outl + finl != derlen || EVP_CIPHER_CTX_get_params(cctx, params) != 1)
	{
		ossl_error(err, "AES-256-GCM encryption failed");
		goto done;
	}
	*sealedlen = (size_t) derlen + MCC_SEAL_OVERHEAD;
	result = out;

done:
	EVP_CIPHER_CTX_free(cctx);
	if (der)
		OPENSSL_clear_free(der, (size_t) derlen);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return result;
}

/* Unseal a private key */
mcc_key *
mcc_key_unseal(const unsigned char *sealed, size_t sealedlen,
			   const unsigned char kek[MCC_KEK_LEN],
			   const unsigned char *aad, size_t aadlen,
			   mcj_error *err)
{
	EVP_CIPHER_CTX *cctx = NULL;
	unsigned char *plain = NULL;
	size_t		ctlen;
	int			outl = 0,
				finl = 0;
	unsigned char tag[MCC_SEAL_TAG_LEN];
	OSSL_PARAM	params[2];
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY   *pkey = NULL;
	mcc_key    *key = NULL;
	const unsigned char *p;

	if (sealed == NULL || sealedlen <= MCC_SEAL_OVERHEAD)
	{
		mb_set_error(err, "sealed key is too short (%zu bytes)", sealedlen);
		return NULL;
	}
	if (sealed[0] != MCC_SEAL_VERSION)
	{
		mb_set_error(err, "unsupported sealed key version %d", sealed[0]);
		return NULL;
	}
	if (sealedlen > INT_MAX || aadlen > INT_MAX || (aad == NULL && aadlen > 0))
	{
		mb_set_error(err, "invalid sealed key or associated data");
		return NULL;
	}
	ctlen = sealedlen - MCC_SEAL_OVERHEAD;
	/* the secure heap (excluded from core dumps) when the caller set it up */
	plain = OPENSSL_secure_malloc(ctlen);
	if (plain == NULL)
	{
		mb_set_error(err, "out of memory");
		return NULL;
	}
	memcpy(tag, sealed + sealedlen - MCC_SEAL_TAG_LEN, MCC_SEAL_TAG_LEN);
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
												  tag, MCC_SEAL_TAG_LEN);
	params[1] = OSSL_PARAM_construct_end();

	cctx = EVP_CIPHER_CTX_new();
	if (cctx == NULL ||
		EVP_DecryptInit_ex2(cctx, EVP_aes_256_gcm(), kek, sealed + 1, NULL) != 1 ||
		EVP_DecryptUpdate(cctx, NULL, &outl, sealed, 1) != 1 ||
		(aadlen > 0 &&
		 EVP_DecryptUpdate(cctx, NULL, &outl, aad, (int) aadlen) != 1) ||
		EVP_DecryptUpdate(cctx, plain, &outl, sealed + 1 + MCC_SEAL_NONCE_LEN,
						  (int) ctlen) != 1 ||
		EVP_CIPHER_CTX_set_params(cctx, params) != 1)
	{
		ossl_error(err, "AES-256-GCM decryption failed");
		goto done;
	}
	if (EVP_DecryptFinal_ex(cctx, plain + outl, &finl) != 1)
	{
		mb_set_error(err, "sealed key authentication failed (wrong key-encryption key, wrong associated data or corrupted data)");
		ERR_clear_error();
		goto done;
	}
	if ((size_t) (outl + finl) != ctlen)
	{
		mb_set_error(err, "AES-256-GCM decryption failed");
		goto done;
	}

	p = plain;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long) ctlen);
	if (p8 == NULL || p != plain + ctlen)
	{
		ossl_error(err, "sealed key does not contain a valid PKCS#8 private key");
		goto done;
	}
	pkey = EVP_PKCS82PKEY(p8);
	if (pkey == NULL)
	{
		ossl_error(err, "sealed key does not contain a valid PKCS#8 private key");
		goto done;
	}
	key = mcc_key_from_pkey(pkey, err);
	if (key != NULL && !key->has_private)
	{
		mb_set_error(err, "sealed key has no private part");
		mcc_key_free(key);
		key = NULL;
	}

done:
	EVP_CIPHER_CTX_free(cctx);
	PKCS8_PRIV_KEY_INFO_free(p8);
	OPENSSL_secure_clear_free(plain, ctlen);
	return key;
}

/* ------------------------------------------------------------------------
 * Key-encryption keys
 * ------------------------------------------------------------------------
 */

/* Is c JSON/POSIX whitespace? */
static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Parse KEK file content */
bool
mcc_kek_parse(const unsigned char *data, size_t len,
			  unsigned char kek[MCC_KEK_LEN], mcj_error *err)
{
	size_t		start = 0,
				end = len,
				outlen = 0;
	unsigned char acc = 0;
	size_t		i;

	if (len == MCC_KEK_LEN)
	{
		/*
		 * 32 raw bytes.  Text of that length (say 32 hex digits, a 128-bit
		 * key, or 31 digits and a newline) is a mistake, not a key: random
		 * bytes are all printable with probability about 1e-13.
		 */
		bool		text = true;

		for (i = 0; i < MCC_KEK_LEN && text; i++)
			text = (data[i] >= 0x20 && data[i] < 0x7f) || is_space(data[i]);
		if (text)
		{
			mb_set_error(err, "key-encryption key is 32 characters of text; it must be 64 hex digits or exactly 32 raw bytes");
			return false;
		}
		memcpy(kek, data, MCC_KEK_LEN);
	}
	else
	{
		while (start < end && is_space(data[start]))
			start++;
		while (end > start && is_space(data[end - 1]))
			end--;
		if (end - start != MCC_KEK_LEN * 2 ||
			!mb_hex_decode((const char *) data + start, end - start,
						   kek, MCC_KEK_LEN, &outlen, NULL))
		{
			OPENSSL_cleanse(kek, MCC_KEK_LEN);
			mb_set_error(err, "key-encryption key must be 64 hex digits or exactly 32 raw bytes (got %zu bytes)",
						 len);
			return false;
		}
	}
	for (i = 0; i < MCC_KEK_LEN; i++)
		acc |= kek[i];
	if (acc == 0)
	{
		mb_set_error(err, "key-encryption key is all zero");
		return false;
	}
	return true;
}

/* Read and check a KEK file */
bool
mcc_kek_read_file(const char *path, unsigned char kek[MCC_KEK_LEN],
				  mcj_error *err)
{
	int			fd;
	struct stat st;
	unsigned char buf[256];
	size_t		len = 0;
	bool		ok = false;

	/* non-blocking: a FIFO (or a device) must not hang the backend in open() */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
	{
		mb_set_error(err, "cannot open key-encryption key file \"%s\": %s",
					 path, strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0)
	{
		mb_set_error(err, "cannot stat key-encryption key file \"%s\": %s",
					 path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode))
	{
		mb_set_error(err, "key-encryption key file \"%s\" is not a regular file",
					 path);
		goto done;
	}
	if ((st.st_mode & 077) != 0)
	{
		mb_set_error(err, "key-encryption key file \"%s\" has mode %04o: it must not be accessible by group or others (chmod 600)",
					 path, (unsigned int) (st.st_mode & 07777));
		goto done;
	}
	for (;;)
	{
		ssize_t		n = read(fd, buf + len, sizeof(buf) - len);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			mb_set_error(err, "cannot read key-encryption key file \"%s\": %s",
						 path, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t) n;
		if (len == sizeof(buf))
		{
			mb_set_error(err, "key-encryption key file \"%s\" is too large", path);
			goto done;
		}
	}
	ok = mcc_kek_parse(buf, len, kek, err);
	if (!ok)
	{
		/* prefix the file name to the parse error */
		char		msg[sizeof(err->message)];

		if (err)
		{
			memcpy(msg, err->message, sizeof(msg));
			mb_set_error(err, "key-encryption key file \"%s\": %s", path, msg);
		}
	}

done:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return ok;
}

/* Generate KEK file content (hex, newline) */
bool
mcc_kek_generate_hex(char out[MCC_KEK_LEN * 2 + 2], mcj_error *err)
{
	unsigned char kek[MCC_KEK_LEN];
	size_t		len;

	if (RAND_bytes(kek, MCC_KEK_LEN) != 1)
	{
		ossl_error(err, "random number generator failed");
		return false;
	}
	mb_hex_encode(kek, MCC_KEK_LEN, out, MCC_KEK_LEN * 2 + 1, &len);
	out[len] = '\n';
	out[len + 1] = '\0';
	OPENSSL_cleanse(kek, sizeof(kek));
	return true;
}

/* Create a new KEK file, mode 0600 */
bool
mcc_kek_write_new_file(const char *path, mcj_error *err)
{
	char		hex[MCC_KEK_LEN * 2 + 2];
	size_t		len,
				off = 0;
	int			fd;
	bool		ok = false;

	if (!mcc_kek_generate_hex(hex, err))
		return false;
	len = strlen(hex);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
	{
		mb_set_error(err, "cannot create key-encryption key file \"%s\": %s",
					 path, strerror(errno));
		goto done;
	}
	while (off < len)
	{
		ssize_t		n = write(fd, hex + off, len - off);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			mb_set_error(err, "cannot write key-encryption key file \"%s\": %s",
						 path, strerror(errno));
			close(fd);
			unlink(path);
			goto done;
		}
		off += (size_t) n;
	}
	if (fsync(fd) != 0 || close(fd) != 0)
	{
		mb_set_error(err, "cannot write key-encryption key file \"%s\": %s",
					 path, strerror(errno));
		unlink(path);
		goto done;
	}
	ok = true;

done:
	OPENSSL_cleanse(hex, sizeof(hex));
	return ok;
}

/* ------------------------------------------------------------------------
 * Public key export
 * ------------------------------------------------------------------------
 */

/* Affine coordinates of a P-256 public key, 32 bytes each */
static bool
p256_coordinates(EVP_PKEY *pkey, unsigned char x[32], unsigned char y[32],
				 mcj_error *err)
{
	BIGNUM	   *bx = NULL,
			   *by = NULL;
	bool		ok;

	ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &bx) == 1 &&
		EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &by) == 1 &&
		BN_bn2binpad(bx, x, 32) == 32 &&
		BN_bn2binpad(by, y, 32) == 32;
	BN_free(bx);
	BN_free(by);
	if (!ok)
		ossl_error(err, "cannot read P-256 public key");
	return ok;
}

/* Raw public key bytes */
bool
mcc_key_public_raw(const mcc_key *key, bool uncompressed,
				   unsigned char *out, size_t *outlen, mcj_error *err)
{
	unsigned char x[32],
				y[32];
	size_t		len = 32;

	if (key == NULL)
	{
		mb_set_error(err, "no key");
		return false;
	}
	switch (key->type)
	{
		case MCC_KEY_ED25519:
			if (EVP_PKEY_get_raw_public_key(key->pkey, out, &len) != 1 || len != 32)
			{
				ossl_error(err, "cannot read Ed25519 public key");
				return false;
			}
			*outlen = 32;
			return true;
		case MCC_KEY_P256:
			if (!p256_coordinates(key->pkey, x, y, err))
				return false;
			if (uncompressed)
			{
				out[0] = 0x04;
				memcpy(out + 1, x, 32);
				memcpy(out + 33, y, 32);
				*outlen = 65;
			}
			else
			{
				out[0] = (unsigned char) (0x02 | (y[31] & 1));
				memcpy(out + 1, x, 32);
				*outlen = 33;
			}
			return true;
		default:
			mb_set_error(err, "%s keys have no raw public key form",
						 mcc_keytype_name(key->type));
			return false;
	}
}

/* Multikey publicKeyMultibase */
char *
mcc_key_multikey(mcj_arena *arena, const mcc_key *key, mcj_error *err)
{
	unsigned char buf[2 + 65];
	size_t		prefix,
				rawlen;
	char	   *res;

	if (key == NULL)
	{
		mb_set_error(err, "no key");
		return NULL;
	}
	if (key->type == MCC_KEY_ED25519)
		prefix = mb_varint_encode(MB_CODEC_ED25519_PUB, buf);
	else if (key->type == MCC_KEY_P256)
		prefix = mb_varint_encode(MB_CODEC_P256_PUB, buf);
	else
	{
		mb_set_error(err, "%s keys have no Multikey form",
					 mcc_keytype_name(key->type));
		return NULL;
	}
	if (!mcc_key_public_raw(key, false, buf + prefix, &rawlen, err))
		return NULL;
	res = mb_multibase_encode(arena, 'z', buf, prefix + rawlen);
	if (res == NULL)
		mb_set_error(err, "out of memory");
	return res;
}

/* did:key identifier */
char *
mcc_key_did_key(mcj_arena *arena, const mcc_key *key, mcj_error *err)
{
	char	   *mb = mcc_key_multikey(arena, key, err);
	mcj_buf		buf;

	if (mb == NULL)
		return NULL;
	mcj_buf_init(&buf, arena, 8 + strlen(mb) + 1);
	mcj_buf_appends(&buf, "did:key:");
	mcj_buf_appends(&buf, mb);
	return buf.data;
}

/* did:key verification method id */
char *
mcc_key_did_key_vm(mcj_arena *arena, const mcc_key *key, mcj_error *err)
{
	char	   *mb = mcc_key_multikey(arena, key, err);
	mcj_buf		buf;

	if (mb == NULL)
		return NULL;
	mcj_buf_init(&buf, arena, 8 + 2 * strlen(mb) + 2);
	mcj_buf_appends(&buf, "did:key:");
	mcj_buf_appends(&buf, mb);
	mcj_buf_appendc(&buf, '#');
	mcj_buf_appends(&buf, mb);
	return buf.data;
}

/* Add a base64url-encoded member to a JWK object */
static bool
jwk_add_b64(mcj_arena *arena, mcj_value *obj, const char *name,
			const unsigned char *data, size_t len, mcj_error *err)
{
	char	   *s = mb_base64url_encode_a(arena, data, len);

	if (s == NULL)
	{
		mb_set_error(err, "out of memory");
		return false;
	}
	mcj_object_add(arena, obj, name, strlen(name), mcj_cstring(arena, s));
	return true;
}

/* Big-endian minimal bytes of an RSA parameter into the JWK */
static bool
jwk_add_bn(mcj_arena *arena, mcj_value *obj, const char *name,
		   EVP_PKEY *pkey, const char *param, mcj_error *err)
{
	BIGNUM	   *bn = NULL;
	unsigned char *bytes;
	int			n;
	bool		ok;

	if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1)
	{
		ossl_error(err, "cannot read RSA public key");
		return false;
	}
	n = BN_num_bytes(bn);
	bytes = malloc(n > 0 ? (size_t) n : 1);
	if (bytes == NULL)
	{
		BN_free(bn);
		mb_set_error(err, "out of memory");
		return false;
	}
	BN_bn2bin(bn, bytes);
	ok = jwk_add_b64(arena, obj, name, bytes, (size_t) n, err);
	free(bytes);
	BN_free(bn);
	return ok;
}

/* Public JWK */
mcj_value *
mcc_key_jwk(mcj_arena *arena, const mcc_key *key, mcj_error *err)
{
	mcj_value  *jwk;
	unsigned char raw[65];
	size_t		rawlen;

	if (key == NULL)
	{
		mb_set_error(err, "no key");
		return NULL;
	}
	jwk = mcj_object(arena);
	if (jwk == NULL)
	{
		mb_set_error(err, "out of memory");
		return NULL;
	}
	switch (key->type)
	{
		case MCC_KEY_ED25519:
			if (!mcc_key_public_raw(key, false, raw, &rawlen, err))
				return NULL;
			mcj_object_add(arena, jwk, "kty", 3, mcj_cstring(arena, "OKP"));
			mcj_object_add(arena, jwk, "crv", 3, mcj_cstring(arena, "Ed25519"));
			if (!jwk_add_b64(arena, jwk, "x", raw, 32, err))
				return NULL;
			break;
		case MCC_KEY_P256:
			if (!mcc_key_public_raw(key, true, raw, &rawlen, err))
				return NULL;
			mcj_object_add(arena, jwk, "kty", 3, mcj_cstring(arena, "EC"));
			mcj_object_add(arena, jwk, "crv", 3, mcj_cstring(arena, "P-256"));
			if (!jwk_add_b64(arena, jwk, "x", raw + 1, 32, err) ||
				!jwk_add_b64(arena, jwk, "y", raw + 33, 32, err))
				return NULL;
			break;
		case MCC_KEY_RSA:
			mcj_object_add(arena, jwk, "kty", 3, mcj_cstring(arena, "RSA"));
			if (!jwk_add_bn(arena, jwk, "n", key->pkey, OSSL_PKEY_PARAM_RSA_N, err) ||
				!jwk_add_bn(arena, jwk, "e", key->pkey, OSSL_PKEY_PARAM_RSA_E, err))
				return NULL;
			break;
		default:
			mb_set_error(err, "unsupported key type");
			return NULL;
	}
	return jwk;
}

/* SubjectPublicKeyInfo DER */
unsigned char *
mcc_key_spki_der(mcj_arena *arena, const mcc_key *key, size_t *len,
				 mcj_error *err)
{
	unsigned char *der = NULL;
	unsigned char *res;
	int			n;

	if (key == NULL)
	{
		mb_set_error(err, "no key");
		return NULL;
	}
	n = i2d_PUBKEY(key->pkey, &der);
	if (n <= 0)
	{
		ossl_error(err, "cannot encode public key");
		return NULL;
	}
	res = mcj_alloc(arena, (size_t) n);
	if (res == NULL)
		mb_set_error(err, "out of memory");
	else
	{
		memcpy(res, der, (size_t) n);
		*len = (size_t) n;
	}
	OPENSSL_free(der);
	return res;
}

/* SubjectPublicKeyInfo PEM */
char *
mcc_key_spki_pem(mcj_arena *arena, const mcc_key *key, mcj_error *err)
{
	BIO		   *bio;
	char	   *data = NULL;
	long		n;
	char	   *res = NULL;

	if (key == NULL)
	{
		mb_set_error(err, "no key");
		return NULL;
	}
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || PEM_write_bio_PUBKEY(bio, key->pkey) != 1)
	{
		ossl_error(err, "cannot encode public key as PEM");
		BIO_free(bio);
		return NULL;
	}
	n = BIO_get_mem_data(bio, &data);
	if (n > 0 && data != NULL)
	{
		res = mcj_strndup(arena, data, (size_t) n);
		if (res == NULL)
			mb_set_error(err, "out of memory");
	}
	else
		ossl_error(err, "cannot encode public key as PEM");
	BIO_free(bio);
	return res;
}

/* A string member of a JWK, with a clear error when absent or not a string */
static const mcj_value *
jwk_string(const mcj_value *jwk, const char *name, mcj_error *err)
{
	const mcj_value *v = mcj_object_get(jwk, name);

	if (v == NULL)
	{
		mb_set_error(err, "jwk has no \"%s\" member", name);
		return NULL;
	}
	if (v->type != MCJ_STRING)
	{
		mb_set_error(err, "jwk member \"%s\" is not a string", name);
		return NULL;
	}
	return v;
}

/*
 * Feed "name":"value" to the thumbprint digest.  Values of a public JWK's
 * required members are base64url text or curve names; anything that would
 * need JSON escaping is refused rather than escaped.
 */
static bool
thumb_member(EVP_MD_CTX *md, const mcj_value *jwk, const char *name,
			 bool first, mcj_error *err)
{
	const mcj_value *v = jwk_string(jwk, name, err);
	size_t		i;

	if (v == NULL)
		return false;
	for (i = 0; i < v->u.str.len; i++)
	{
		unsigned char c = (unsigned char) v->u.str.s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
		{
			mb_set_error(err, "jwk member \"%s\" has characters not allowed in a key parameter",
						 name);
			return false;
		}
	}
	return EVP_DigestUpdate(md, first ? "{\"" : ",\"", 2) == 1 &&
		EVP_DigestUpdate(md, name, strlen(name)) == 1 &&
		EVP_DigestUpdate(md, "\":\"", 3) == 1 &&
		EVP_DigestUpdate(md, v->u.str.s, v->u.str.len) == 1 &&
		EVP_DigestUpdate(md, "\"", 1) == 1;
}

/* RFC 7638 thumbprint */
bool
mcc_jwk_thumbprint(const mcj_value *jwk, unsigned char out[MCC_SHA256_LEN],
				   mcj_error *err)
{
	static const char *const okp[] = {"crv", "kty", "x", NULL};
	static const char *const ec[] = {"crv", "kty", "x", "y", NULL};
	static const char *const rsa[] = {"e", "kty", "n", NULL};
	const char *const *members;
	const mcj_value *kty;
	EVP_MD_CTX *md;
	unsigned int mdlen = 0;
	bool		ok;
	int			i;

	if (jwk == NULL || jwk->type != MCJ_OBJECT)
	{
		mb_set_error(err, "jwk is not a JSON object");
		return false;
	}
	kty = jwk_string(jwk, "kty", err);
	if (kty == NULL)
		return false;
	if (mcj_is_string(kty, "OKP"))
		members = okp;
	else if (mcj_is_string(kty, "EC"))
		members = ec;
	else if (mcj_is_string(kty, "RSA"))
		members = rsa;
	else
	{
		mb_set_error(err, "unsupported jwk kty for a thumbprint");
		return false;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestInit_ex2(md, EVP_sha256(), NULL) != 1)
	{
		EVP_MD_CTX_free(md);
		ossl_error(err, "SHA-256 failed");
		return false;
	}
	ok = true;
	for (i = 0; ok && members[i] != NULL; i++)
		ok = thumb_member(md, jwk, members[i], i == 0, err);
	if (ok)
	{
		ok = EVP_DigestUpdate(md, "}", 1) == 1 &&
			EVP_DigestFinal_ex(md, out, &mdlen) == 1 && mdlen == MCC_SHA256_LEN;
		if (!ok)
			ossl_error(err, "SHA-256 failed");
	}
	EVP_MD_CTX_free(md);
	return ok;
}

/* RFC 7638 thumbprint as base64url */
char *
mcc_jwk_thumbprint_b64(mcj_arena *arena, const mcj_value *jwk, mcj_error *err)
{
	unsigned char h[MCC_SHA256_LEN];
	char	   *res;

	if (!mcc_jwk_thumbprint(jwk, h, err))
		return NULL;
	res = mb_base64url_encode_a(arena, h, sizeof(h));
	if (res == NULL)
		mb_set_error(err, "out of memory");
	return res;
}

/* ------------------------------------------------------------------------
 * Public key import
 * ------------------------------------------------------------------------
 */

/*
 * RFC 8032 section 5.1.3 point decoding check for an Ed25519 public key:
 * y < p and (y^2 - 1) / (d y^2 + 1) has a square root (with x = 0 only
 * for a clear sign bit).  OpenSSL accepts any 32 bytes on import and
 * only fails later, at verification; we want the error at import.
 */
static bool
ed25519_point_valid(const unsigned char pub[32])
{
	unsigned char be[32];
	int			sign,
				i;
	BN_CTX	   *ctx = BN_CTX_new();
	BIGNUM	   *p,
			   *y,
			   *d,
			   *t,
			   *u,
			   *v,
			   *one;
	BIGNUM	   *r = NULL;
	bool		ok = false;

	if (ctx == NULL)
		return false;
	BN_CTX_start(ctx);
	p = BN_CTX_get(ctx);
	y = BN_CTX_get(ctx);
	d = BN_CTX_get(ctx);
	t = BN_CTX_get(ctx);
	u = BN_CTX_get(ctx);
	v = BN_CTX_get(ctx);
	one = BN_CTX_get(ctx);
	if (one == NULL)
		goto done;

	for (i = 0; i < 32; i++)
		be[i] = pub[31 - i];
	sign = be[0] >> 7;
	be[0] &= 0x7f;

	/* p = 2^255 - 19; d = -121665 / 121666 mod p */
	BN_zero(p);
	if (!BN_set_bit(p, 255) || !BN_sub_word(p, 19) ||
		!BN_one(one) ||
		BN_bin2bn(be, 32, y) == NULL ||
		!BN_set_word(t, 121666) ||
		BN_mod_inverse(t, t, p, ctx) == NULL ||
		!BN_set_word(d, 121665) ||
		!BN_mod_mul(d, d, t, p, ctx) ||
		!BN_sub(d, p, d))
		goto done;
	if (BN_cmp(y, p) >= 0)
		goto done;
	/* t = y^2, u = y^2 - 1, v = d y^2 + 1, t = u / v */
	if (!BN_mod_sqr(t, y, p, ctx) ||
		!BN_mod_sub(u, t, one, p, ctx) ||
		!BN_mod_mul(v, d, t, p, ctx) ||
		!BN_mod_add(v, v, one, p, ctx) ||
		BN_mod_inverse(v, v, p, ctx) == NULL ||
		!BN_mod_mul(t, u, v, p, ctx))
		goto done;
	if (BN_is_zero(t))
		ok = (sign == 0);
	else
	{
		r = BN_mod_sqrt(NULL, t, p, ctx);
		ok = (r != NULL);
	}

done:
	BN_free(r);
	BN_CTX_end(ctx);
	BN_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/* Public key from raw bytes */
mcc_key *
mcc_key_from_public_raw(mcc_keytype type, const unsigned char *raw,
						size_t len, mcj_error *err)
{
	EVP_PKEY   *pkey = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	OSSL_PARAM	params[3];
	char		group[] = "prime256v1";

	if (type == MCC_KEY_ED25519)
	{
		if (len != 32)
		{
			mb_set_error(err, "Ed25519 public key must be 32 bytes, not %zu", len);
			return NULL;
		}
		if (!ed25519_point_valid(raw))
		{
			mb_set_error(err, "Ed25519 public key is not a valid curve point");
			return NULL;
		}
		pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, raw, len);
		if (pkey == NULL)
		{
			ossl_error(err, "invalid Ed25519 public key");
			return NULL;
		}
		return mcc_key_from_pkey(pkey, err);
	}
	if (type == MCC_KEY_P256)
	{
		if (!((len == 33 && (raw[0] == 0x02 || raw[0] == 0x03)) ||
			  (len == 65 && raw[0] == 0x04)))
		{
			mb_set_error(err, "P-256 public key must be a 33-byte compressed or 65-byte uncompressed point (got %zu bytes)",
						 len);
			return NULL;
		}
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
													 group, 0);
		params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
													  (void *) raw, len);
		params[2] = OSSL_PARAM_construct_end();
		pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		if (pctx == NULL || EVP_PKEY_fromdata_init(pctx) != 1 ||
			EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		{
			EVP_PKEY_CTX_free(pctx);
			ossl_error(err, "P-256 public key is not a valid curve point");
			return NULL;
		}
		EVP_PKEY_CTX_free(pctx);
		pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		if (pctx == NULL || EVP_PKEY_public_check(pctx) != 1)
		{
			EVP_PKEY_CTX_free(pctx);
			EVP_PKEY_free(pkey);
			ossl_error(err, "P-256 public key is not a valid curve point");
			return NULL;
		}
		EVP_PKEY_CTX_free(pctx);
		return mcc_key_from_pkey(pkey, err);
	}
	mb_set_error(err, "%s keys cannot be imported from raw bytes",
				 mcc_keytype_name(type));
	return NULL;
}

/* Decode a base58btc multibase value into buf (no arena) */
static bool
decode_z(const char *mb, size_t len, unsigned char *buf, size_t cap,
		 size_t *outlen, const char *what, mcj_error *err)
{
	if (len == 0 || mb[0] != 'z')
	{
		mb_set_error(err, "%s must be base58btc multibase (start with 'z')", what);
		return false;
	}
	if (len - 1 > 2 * cap)
	{
		mb_set_error(err, "%s is too long", what);
		return false;
	}
	if (!mb_base58btc_decode(mb + 1, len - 1, buf, cap, outlen, err))
	{
		char		msg[sizeof(err->message)];

		if (err)
		{
			memcpy(msg, err->message, sizeof(msg));
			mb_set_error(err, "%s: %s", what, msg);
		}
		return false;
	}
	return true;
}

/* Public key from Multikey publicKeyMultibase */
mcc_key *
mcc_key_from_multikey(const char *mb, size_t len, mcj_error *err)
{
	unsigned char buf[80];
	size_t		n,
				used;
	uint64_t	codec;

	if (!decode_z(mb, len, buf, sizeof(buf), &n, "publicKeyMultibase", err))
		return NULL;
	if (!mb_varint_decode(buf, n, &codec, &used, err))
		return NULL;
	if (codec == MB_CODEC_ED25519_PUB)
	{
		if (n - used != 32)
		{
			mb_set_error(err, "ed25519-pub Multikey must hold 32 bytes, not %zu",
						 n - used);
			return NULL;
		}
		return mcc_key_from_public_raw(MCC_KEY_ED25519, buf + used, 32, err);
	}
	if (codec == MB_CODEC_P256_PUB)
	{
		if (n - used != 33 || (buf[used] != 0x02 && buf[used] != 0x03))
		{
			mb_set_error(err, "p256-pub Multikey must hold a 33-byte compressed point");
			return NULL;
		}
		return mcc_key_from_public_raw(MCC_KEY_P256, buf + used, 33, err);
	}
	if (codec == MB_CODEC_ED25519_PRIV)
	{
		mb_set_error(err, "Multikey holds a private key, expected a public key");
		OPENSSL_cleanse(buf, sizeof(buf));
		return NULL;
	}
	mb_set_error(err, "unsupported Multikey codec 0x%llx (expected ed25519-pub or p256-pub)",
				 (unsigned long long) codec);
	return NULL;
}

/* Public key from did:key */
mcc_key *
mcc_key_from_did_key(const char *did, size_t len, mcj_error *err)
{
	const char *mb;
	const char *hash;
	size_t		mblen;

	if (len < 8 || memcmp(did, "did:key:", 8) != 0)
	{
		mb_set_error(err, "not a did:key identifier");
		return NULL;
	}
	mb = did + 8;
	hash = memchr(mb, '#', len - 8);
	mblen = hash ? (size_t) (hash - mb) : len - 8;
	if (hash)
	{
		size_t		fraglen = len - 8 - mblen - 1;

		if (fraglen != mblen || memcmp(hash + 1, mb, mblen) != 0)
		{
			mb_set_error(err, "did:key fragment does not match the key");
			return NULL;
		}
	}
	return mcc_key_from_multikey(mb, mblen, err);
}

/* Decode a base64url JWK member into buf, requiring an exact length */
static bool
jwk_bytes(const mcj_value *jwk, const char *name, unsigned char *buf,
		  size_t cap, size_t *outlen, mcj_error *err)
{
	const mcj_value *v = jwk_string(jwk, name, err);
	mcj_error	e2;

	if (v == NULL)
		return false;
	if (v->u.str.len > ((cap + 2) / 3) * 4)
	{
		mb_set_error(err, "jwk member \"%s\" is too long", name);
		return false;
	}
	if (!mb_base64url_decode(v->u.str.s, v->u.str.len, buf, cap, outlen, &e2))
	{
		mb_set_error(err, "jwk member \"%s\": %s", name, e2.message);
		return false;
	}
	return true;
}

/* RSA public key from n and e (big-endian, minimal) */
static mcc_key *
rsa_from_ne(const unsigned char *n, size_t nlen, const unsigned char *e,
			size_t elen, mcj_error *err)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY   *pkey = NULL;
	BIGNUM	   *bn = NULL,
			   *be = NULL;
	mcc_key    *key = NULL;

	bn = BN_bin2bn(n, (int) nlen, NULL);
	be = BN_bin2bn(e, (int) elen, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (bn == NULL || be == NULL || bld == NULL ||
		!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
		!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) ||
		(params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
	{
		ossl_error(err, "out of memory");
		goto done;
	}
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (pctx == NULL || EVP_PKEY_fromdata_init(pctx) != 1 ||
		EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
	{
		ossl_error(err, "invalid RSA public key");
		goto done;
	}
	key = mcc_key_from_pkey(pkey, err);

done:
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return key;
}

/* Public key from a JWK */
mcc_key *
mcc_key_from_jwk(const mcj_value *jwk, mcj_error *err)
{
	static const char *const private_members[] = {
		"d", "p", "q", "dp", "dq", "qi", "oth", "k", NULL
	};
	const mcj_value *kty,
			   *crv,
			   *use;
	int			i;

	if (jwk == NULL || jwk->type != MCJ_OBJECT)
	{
		mb_set_error(err, "jwk is not a JSON object");
		return NULL;
	}
	for (i = 0; private_members[i] != NULL; i++)
	{
		if (mcj_object_get(jwk, private_members[i]) != NULL)
		{
			mb_set_error(err, "jwk contains private key member \"%s\" (only public keys are accepted)",
						 private_members[i]);
			return NULL;
		}
	}
	use = mcj_object_get(jwk, "use");
	if (use != NULL && !mcj_is_string(use, "sig"))
	{
		mb_set_error(err, "jwk \"use\" must be \"sig\"");
		return NULL;
	}
	kty = jwk_string(jwk, "kty", err);
	if (kty == NULL)
		return NULL;

	if (mcj_is_string(kty, "OKP"))
	{
		unsigned char x[32];
		size_t		xl;

		crv = jwk_string(jwk, "crv", err);
		if (crv == NULL)
			return NULL;
		if (!mcj_is_string(crv, "Ed25519"))
		{
			mb_set_error(err, "unsupported OKP curve (only Ed25519 is supported)");
			return NULL;
		}
		if (!jwk_bytes(jwk, "x", x, sizeof(x), &xl, err))
			return NULL;
		if (xl != 32)
		{
			mb_set_error(err, "jwk Ed25519 \"x\" must be 32 bytes, not %zu", xl);
			return NULL;
		}
		return mcc_key_from_public_raw(MCC_KEY_ED25519, x, 32, err);
	}
	if (mcj_is_string(kty, "EC"))
	{
		unsigned char pt[65];
		size_t		xl,
					yl;

		crv = jwk_string(jwk, "crv", err);
		if (crv == NULL)
			return NULL;
		if (!mcj_is_string(crv, "P-256"))
		{
			mb_set_error(err, "unsupported EC curve (only P-256 is supported)");
			return NULL;
		}
		if (!jwk_bytes(jwk, "x", pt + 1, 32, &xl, err) ||
			!jwk_bytes(jwk, "y", pt + 33, 32, &yl, err))
			return NULL;
		if (xl != 32 || yl != 32)
		{
			mb_set_error(err, "jwk P-256 \"x\" and \"y\" must be 32 bytes each");
			return NULL;
		}
		pt[0] = 0x04;
		return mcc_key_from_public_raw(MCC_KEY_P256, pt, 65, err);
	}
	if (mcj_is_string(kty, "RSA"))
	{
		unsigned char n[MCC_RSA_MAX_BITS / 8];
		unsigned char e[8];
		size_t		nl,
					el;

		if (!jwk_bytes(jwk, "n", n, sizeof(n), &nl, err) ||
			!jwk_bytes(jwk, "e", e, sizeof(e), &el, err))
			return NULL;
		if (nl == 0 || el == 0 || n[0] == 0 || e[0] == 0)
		{
			mb_set_error(err, "jwk RSA \"n\" and \"e\" must be non-empty minimal big-endian integers");
			return NULL;
		}
		if (nl * 8 < MCC_RSA_MIN_BITS)
		{
			mb_set_error(err, "RSA key size %zu bits is not allowed (%d to %d)",
						 nl * 8, MCC_RSA_MIN_BITS, MCC_RSA_MAX_BITS);
			return NULL;
		}
		return rsa_from_ne(n, nl, e, el, err);
	}
	mb_set_error(err, "unsupported jwk kty (expected OKP, EC or RSA)");
	return NULL;
}

/* Public key from SPKI DER */
mcc_key *
mcc_key_from_spki_der(const unsigned char *der, size_t len, mcj_error *err)
{
	const unsigned char *p = der;
	EVP_PKEY   *pkey;
	mcc_key    *key;
	unsigned char raw[65];
	size_t		rawlen;

	if (len > LONG_MAX)
	{
		mb_set_error(err, "public key is too large");
		return NULL;
	}
	pkey = d2i_PUBKEY(NULL, &p, (long) len);
	if (pkey == NULL || p != der + len)
	{
		EVP_PKEY_free(pkey);
		ossl_error(err, "invalid SubjectPublicKeyInfo");
		return NULL;
	}
	key = mcc_key_from_pkey(pkey, err);
	/* apply the same point checks as the raw importers */
	if (key != NULL && key->type == MCC_KEY_ED25519)
	{
		if (!mcc_key_public_raw(key, false, raw, &rawlen, err) ||
			!ed25519_point_valid(raw))
		{
			mb_set_error(err, "Ed25519 public key is not a valid curve point");
			mcc_key_free(key);
			return NULL;
		}
	}
	return key;
}

/* Public key from SPKI PEM */
mcc_key *
mcc_key_from_spki_pem(const char *pem, size_t len, mcj_error *err)
{
	BIO		   *bio;
	EVP_PKEY   *pkey;
	unsigned char *der = NULL;
	int			n;
	mcc_key    *key;

	if (len > INT_MAX)
	{
		mb_set_error(err, "public key is too large");
		return NULL;
	}
	bio = BIO_new_mem_buf(pem, (int) len);
	if (bio == NULL)
	{
		ossl_error(err, "out of memory");
		return NULL;
	}
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pkey == NULL)
	{
		ossl_error(err, "invalid PEM public key");
		return NULL;
	}
	/* round-trip through DER to share the checks */
	n = i2d_PUBKEY(pkey, &der);
	EVP_PKEY_free(pkey);
	if (n <= 0)
	{
		ossl_error(err, "invalid PEM public key");
		return NULL;
	}
	key = mcc_key_from_spki_der(der, (size_t) n, err);
	OPENSSL_free(der);
	return key;
}

/* Ed25519 private key from a seed (optionally seed || public key) */
static mcc_key *
ed25519_from_secret(const unsigned char *secret, size_t len, mcj_error *err)
{
	EVP_PKEY   *pkey;
	mcc_key    *key;
	unsigned char pub[32];
	size_t		publen = sizeof(pub);

	if (len != 32 && len != 64)
	{
		mb_set_error(err, "Ed25519 secret key must be a 32-byte seed (or seed and public key, 64 bytes), not %zu bytes",
					 len);
		return NULL;
	}
	pkey = EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, secret, 32);
	if (pkey == NULL)
	{
		ossl_error(err, "invalid Ed25519 private key");
		return NULL;
	}
	if (len == 64)
	{
		if (EVP_PKEY_get_raw_public_key(pkey, pub, &publen) != 1 ||
			publen != 32 || CRYPTO_memcmp(pub, secret + 32, 32) != 0)
		{
			EVP_PKEY_free(pkey);
			ERR_clear_error();
			mb_set_error(err, "Ed25519 secret key does not match its public key");
			return NULL;
		}
	}
	key = mcc_key_from_pkey(pkey, err);
	if (key != NULL)
		key->has_private = true;
	return key;
}

/* Ed25519 private key from a seed */
mcc_key *
mcc_key_from_ed25519_seed(const unsigned char *seed, size_t len,
						  mcj_error *err)
{
	return ed25519_from_secret(seed, len, err);
}

/* Ed25519 private key from a secretKeyMultibase */
mcc_key *
mcc_key_from_private_multikey(const char *mb, size_t len, mcj_error *err)
{
	unsigned char buf[80];
	size_t		n = 0,
				used;
	uint64_t	codec;
	mcc_key    *key = NULL;

	if (!decode_z(mb, len, buf, sizeof(buf), &n, "secretKeyMultibase", err))
		goto done;
	if (!mb_varint_decode(buf, n, &codec, &used, err))
		goto done;
	if (codec != MB_CODEC_ED25519_PRIV)
	{
		mb_set_error(err, "unsupported secret Multikey codec 0x%llx (expected ed25519-priv)",
					 (unsigned long long) codec);
		goto done;
	}
	key = ed25519_from_secret(buf + used, n - used, err);

done:
	OPENSSL_cleanse(buf, sizeof(buf));
	return key;
}

/* ------------------------------------------------------------------------
 * Signatures
 * ------------------------------------------------------------------------
 */

/* SHA-256 */
bool
mcc_sha256(const void *data, size_t len, unsigned char out[MCC_SHA256_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 ||
		n != MCC_SHA256_LEN)
	{
		ERR_clear_error();
		return false;
	}
	return true;
}

/* Signature length */
size_t
mcc_signature_len(const mcc_key *key, mcc_alg alg)
{
	if (!mcc_key_check_alg(key, alg, NULL))
		return 0;
	if (key->type == MCC_KEY_RSA)
		return (size_t) EVP_PKEY_get_size(key->pkey);
	return 64;
}

/*
 * Prepare the key's cached EVP_MD_CTX for signing or verifying with alg.
 * Reusing one context avoids an allocation per operation.
 */
static EVP_MD_CTX *
prepare_ctx(mcc_key *key, mcc_alg alg, bool sign, mcj_error *err)
{
	const char *mdname = (alg == MCC_ALG_EDDSA) ? NULL : "SHA256";
	OSSL_PARAM	params[3];
	OSSL_PARAM *pp = NULL;
	char		pss[] = OSSL_PKEY_RSA_PAD_MODE_PSS;
	char		saltlen[] = OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST;
	int			rc;

	if (key->mdctx == NULL)
	{
		key->mdctx = EVP_MD_CTX_new();
		if (key->mdctx == NULL)
		{
			mb_set_error(err, "out of memory");
			return NULL;
		}
	}
	else
		EVP_MD_CTX_reset(key->mdctx);

	if (alg == MCC_ALG_PS256)
	{
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE,
													 pss, 0);
		params[1] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN,
													 saltlen, 0);
		params[2] = OSSL_PARAM_construct_end();
		pp = params;
	}
	if (sign)
		rc = EVP_DigestSignInit_ex(key->mdctx, NULL, mdname, NULL, NULL,
								   key->pkey, pp);
	else
		rc = EVP_DigestVerifyInit_ex(key->mdctx, NULL, mdname, NULL, NULL,
									 key->pkey, pp);
	if (rc != 1)
	{
		ossl_error(err, sign ? "cannot initialize signing" :
				   "cannot initialize verification");
		return NULL;
	}
	return key->mdctx;
}

/* Sign a message */
bool
mcc_sign(mcc_key *key, mcc_alg alg, const unsigned char *msg, size_t msglen,
		 unsigned char *sig, size_t sigcap, size_t *siglen, mcj_error *err)
{
	EVP_MD_CTX *ctx;
	size_t		need;

	if (!mcc_key_check_alg(key, alg, err))
		return false;
	if (!key->has_private)
	{
		mb_set_error(err, "signing needs a private key");
		return false;
	}
	need = mcc_signature_len(key, alg);
	if (sigcap < need)
	{
		mb_set_error(err, "signature buffer too small");
		return false;
	}
	ctx = prepare_ctx(key, alg, true, err);
	if (ctx == NULL)
		return false;

	if (alg == MCC_ALG_ES256)
	{
		unsigned char der[80];
		size_t		derlen = sizeof(der);
		const unsigned char *p = der;
		ECDSA_SIG  *es;
		const BIGNUM *r,
				   *s;
		bool		ok;

		if (EVP_DigestSign(ctx, der, &derlen, msg, msglen) != 1)
		{
			ossl_error(err, "ES256 signing failed");
			return false;
		}
		es = d2i_ECDSA_SIG(NULL, &p, (long) derlen);
		if (es == NULL)
		{
			ossl_error(err, "ES256 signing failed");
			return false;
		}
		ECDSA_SIG_get0(es, &r, &s);
		ok = BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(s, sig + 32, 32) == 32;
		ECDSA_SIG_free(es);
		if (!ok)
		{
			ossl_error(err, "ES256 signing failed");
			return false;
		}
		*siglen = 64;
		return true;
	}

	*siglen = sigcap;
	if (EVP_DigestSign(ctx, sig, siglen, msg, msglen) != 1)
	{
		ossl_error(err, "signing failed");
		return false;
	}
	return true;
}

/* Verify a signature */
bool
mcc_verify(mcc_key *key, mcc_alg alg, const unsigned char *msg, size_t msglen,
		   const unsigned char *sig, size_t siglen, mcj_error *err)
{
	EVP_MD_CTX *ctx;
	size_t		need;
	unsigned char der[80];
	const unsigned char *vsig = sig;
	size_t		vlen = siglen;
	int			rc;

	if (!mcc_key_check_alg(key, alg, err))
		return false;
	need = mcc_signature_len(key, alg);
	if (siglen != need)
	{
		mb_set_error(err, "%s signature must be %zu bytes, not %zu",
					 mcc_alg_name(alg), need, siglen);
		return false;
	}

	if (alg == MCC_ALG_ES256)
	{
		ECDSA_SIG  *es = ECDSA_SIG_new();
		BIGNUM	   *r = BN_bin2bn(sig, 32, NULL);
		BIGNUM	   *s = BN_bin2bn(sig + 32, 32, NULL);
		unsigned char *p = der;
		int			n;

		if (es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s))
		{
			ECDSA_SIG_free(es);
			BN_free(r);
			BN_free(s);
			ossl_error(err, "out of memory");
			return false;
		}
		n = i2d_ECDSA_SIG(es, NULL);
		if (n <= 0 || (size_t) n > sizeof(der) || i2d_ECDSA_SIG(es, &p) != n)
		{
			ECDSA_SIG_free(es);
			ossl_error(err, "cannot encode ES256 signature");
			return false;
		}
		ECDSA_SIG_free(es);
		vsig = der;
		vlen = (size_t) n;
	}

	ctx = prepare_ctx(key, alg, false, err);
	if (ctx == NULL)
		return false;
	rc = EVP_DigestVerify(ctx, vsig, vlen, msg, msglen);
	ERR_clear_error();
	if (rc != 1)
	{
		mb_set_error(err, "signature verification failed");
		return false;
	}
	return true;
}

/* A public key as SQL gives it: did:key, publicKeyMultibase or JWK text */
mcc_key *
mcc_key_from_text(mcj_arena *arena, const char *s, size_t len, mcj_error *err)
{
	if (len > 8 && strncmp(s, "did:key:", 8) == 0)
		return mcc_key_from_did_key(s, len, err);
	if (len > 0 && s[0] == 'z')
		return mcc_key_from_multikey(s, len, err);
	if (len > 0 && s[0] == '{')
	{
		mcj_value  *jwk = mcj_parse(arena, s, len, NULL, err);

		return jwk ? mcc_key_from_jwk(jwk, err) : NULL;
	}
	mb_set_error(err, "expected a publicKeyMultibase (z...), a did:key or a JWK");
	return NULL;
}
