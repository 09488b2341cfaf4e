/*-------------------------------------------------------------------------
 *
 * mcc_sign.c
 *	  SHA-256, signing and verification (RFC 7515/7518 JOSE forms:
 *	  ES256 as raw r||s; Ed25519 per RFC 8032).
 *
 * Pure core, see mccrypto.h.
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

/* ------------------------------------------------------------------------
 * Signatures
 * ------------------------------------------------------------------------
 */

/*
 * A digest through an algorithm fetched once and a context kept per thread:
 * EVP_Digest with EVP_sha256() fetches the algorithm and allocates a context
 * on every call, which costs more than hashing one N-Quads line (RDFC-1.0
 * hashes a few dozen per credential).
 */
bool
mcc_digest(mcc_digest_alg alg, const void *data, size_t len, unsigned char *out,
		   unsigned int *outlen)
{
	static _Thread_local EVP_MD *mds[2];
	static _Thread_local EVP_MD_CTX *ctx;
	int			i = alg == MCC_DIGEST_SHA384 ? 1 : 0;

	if (mds[i] == NULL)
		mds[i] = EVP_MD_fetch(NULL, i == 1 ? "SHA384" : "SHA256", NULL);
	if (ctx == NULL)
		ctx = EVP_MD_CTX_new();
	if (mds[i] == NULL || ctx == NULL ||
		EVP_DigestInit_ex2(ctx, mds[i], NULL) != 1 ||
		EVP_DigestUpdate(ctx, data, len) != 1 ||
		EVP_DigestFinal_ex(ctx, out, outlen) != 1)
	{
		ERR_clear_error();
		return false;
	}
	return true;
}

/* SHA-256 */
bool
mcc_sha256(const void *data, size_t len, unsigned char out[MCC_SHA256_LEN])
{
	unsigned int n = 0;

	return mcc_digest(MCC_DIGEST_SHA256, data, len, out, &n) && n == MCC_SHA256_LEN;
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
		mcc_ossl_error(err, sign ? "cannot initialize signing" :
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
			mcc_ossl_error(err, "ES256 signing failed");
			return false;
		}
		es = d2i_ECDSA_SIG(NULL, &p, (long) derlen);
		if (es == NULL)
		{
			mcc_ossl_error(err, "ES256 signing failed");
			return false;
		}
		ECDSA_SIG_get0(es, &r, &s);
		ok = BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(s, sig + 32, 32) == 32;
		ECDSA_SIG_free(es);
		if (!ok)
		{
			mcc_ossl_error(err, "ES256 signing failed");
			return false;
		}
		*siglen = 64;
		return true;
	}

	*siglen = sigcap;
	if (EVP_DigestSign(ctx, sig, siglen, msg, msglen) != 1)
	{
		mcc_ossl_error(err, "signing failed");
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
			mcc_ossl_error(err, "out of memory");
			return false;
		}
		n = i2d_ECDSA_SIG(es, NULL);
		if (n <= 0 || (size_t) n > sizeof(der) || i2d_ECDSA_SIG(es, &p) != n)
		{
			ECDSA_SIG_free(es);
			mcc_ossl_error(err, "cannot encode ES256 signature");
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
