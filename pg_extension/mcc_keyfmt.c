/*-------------------------------------------------------------------------
 *
 * mcc_keyfmt.c
 *	  Public key export and import: raw, Multikey, did:key, JWK
 *	  (RFC 7517/7518, RFC 7638 thumbprints), SPKI DER/PEM, private Multikey.
 *
 * Pure core, see mccrypto.h.  Formats follow RFC 8032 (Ed25519), SEC1
 * (P-256 point encodings), RFC 7517/7518 (JWK), RFC 7638 (JWK thumbprint),
 * the W3C Controlled Identifiers Multikey format and the did:key method.
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
		mcc_ossl_error(err, "cannot read P-256 public key");
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
				mcc_ossl_error(err, "cannot read Ed25519 public key");
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
		mcc_ossl_error(err, "cannot read RSA public key");
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
		mcc_ossl_error(err, "cannot encode public key");
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
		mcc_ossl_error(err, "cannot encode public key as PEM");
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
		mcc_ossl_error(err, "cannot encode public key as PEM");
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
		mcc_ossl_error(err, "SHA-256 failed");
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
			mcc_ossl_error(err, "SHA-256 failed");
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
			mcc_ossl_error(err, "invalid Ed25519 public key");
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
			mcc_ossl_error(err, "P-256 public key is not a valid curve point");
			return NULL;
		}
		EVP_PKEY_CTX_free(pctx);
		pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		if (pctx == NULL || EVP_PKEY_public_check(pctx) != 1)
		{
			EVP_PKEY_CTX_free(pctx);
			EVP_PKEY_free(pkey);
			mcc_ossl_error(err, "P-256 public key is not a valid curve point");
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
		mcc_ossl_error(err, "out of memory");
		goto done;
	}
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (pctx == NULL || EVP_PKEY_fromdata_init(pctx) != 1 ||
		EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
	{
		mcc_ossl_error(err, "invalid RSA public key");
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
		mcc_ossl_error(err, "invalid SubjectPublicKeyInfo");
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
		mcc_ossl_error(err, "out of memory");
		return NULL;
	}
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pkey == NULL)
	{
		mcc_ossl_error(err, "invalid PEM public key");
		return NULL;
	}
	/* round-trip through DER to share the checks */
	n = i2d_PUBKEY(pkey, &der);
	EVP_PKEY_free(pkey);
	if (n <= 0)
	{
		mcc_ossl_error(err, "invalid PEM public key");
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
		mcc_ossl_error(err, "invalid Ed25519 private key");
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
