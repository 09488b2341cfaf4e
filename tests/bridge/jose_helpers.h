/*-------------------------------------------------------------------------
 *
 * jose_helpers.h
 *	  Test helpers: OpenSSL keys, their JWKs, and compact JWS signing with
 *	  full control over the header bytes (to build malformed tokens).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_JOSE_HELPERS_H
#define MC_JOSE_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

/* base64url without padding; malloc'd */
static inline char *
b64url(const unsigned char *in, size_t len)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char	   *out = malloc(len * 4 / 3 + 4);
	size_t		o = 0;
	size_t		i;

	for (i = 0; i + 2 < len; i += 3)
	{
		unsigned int v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];

		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		out[o++] = tbl[(v >> 6) & 63];
		out[o++] = tbl[v & 63];
	}
	if (len - i == 1)
	{
		unsigned int v = in[i] << 16;

		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
	}
	else if (len - i == 2)
	{
		unsigned int v = (in[i] << 16) | (in[i + 1] << 8);

		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		out[o++] = tbl[(v >> 6) & 63];
	}
	out[o] = '\0';
	return out;
}

/* base64url of a BIGNUM parameter of pkey, padded to pad bytes if pad > 0 */
static inline char *
b64url_bn(EVP_PKEY *pkey, const char *param, int pad)
{
	BIGNUM	   *bn = NULL;
	unsigned char buf[1024];
	int			n;
	char	   *out;

	if (!EVP_PKEY_get_bn_param(pkey, param, &bn))
		return NULL;
	n = pad > 0 ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
	BN_free(bn);
	out = b64url(buf, (size_t) n);
	return out;
}

/* the public JWK of an RSA or P-256 key, as a jansson object */
static inline json_t *
jwk_of(EVP_PKEY *pkey, const char *kid, const char *alg)
{
	json_t	   *k = json_object();
	char	   *a;
	char	   *b;

	if (EVP_PKEY_is_a(pkey, "RSA"))
	{
		a = b64url_bn(pkey, OSSL_PKEY_PARAM_RSA_N, 0);
		b = b64url_bn(pkey, OSSL_PKEY_PARAM_RSA_E, 0);
		json_object_set_new(k, "kty", json_string("RSA"));
		json_object_set_new(k, "n", json_string(a));
		json_object_set_new(k, "e", json_string(b));
	}
	else
	{
		a = b64url_bn(pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32);
		b = b64url_bn(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
		json_object_set_new(k, "kty", json_string("EC"));
		json_object_set_new(k, "crv", json_string("P-256"));
		json_object_set_new(k, "x", json_string(a));
		json_object_set_new(k, "y", json_string(b));
	}
	free(a);
	free(b);
	if (kid)
		json_object_set_new(k, "kid", json_string(kid));
	if (alg)
		json_object_set_new(k, "alg", json_string(alg));
	json_object_set_new(k, "use", json_string("sig"));
	return k;
}

/*
 * header_json.payload_bytes signed with pkey for alg (RS*, PS*, ES256,
 * HS256 with pkey NULL and hmac_key, "none" unsigned); malloc'd.
 */
static inline char *
sign_compact(const char *header_json, const char *payload, size_t payload_len,
			 const char *alg, EVP_PKEY *pkey, const unsigned char *hmac_key, size_t hmac_len)
{
	char	   *h = b64url((const unsigned char *) header_json, strlen(header_json));
	char	   *p = b64url((const unsigned char *) payload, payload_len);
	size_t		in_len = strlen(h) + 1 + strlen(p);
	char	   *input = malloc(in_len + 1);
	unsigned char sig[1024];
	size_t		sig_len = 0;
	char	   *s;
	char	   *out;
	const EVP_MD *md = EVP_sha256();

	snprintf(input, in_len + 1, "%s.%s", h, p);
	free(h);
	free(p);
	if (strstr(alg, "384"))
		md = EVP_sha384();
	else if (strstr(alg, "512"))
		md = EVP_sha512();

	if (strcmp(alg, "none") == 0)
		sig_len = 0;
	else if (alg[0] == 'H')
	{
		EVP_MAC    *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
		OSSL_PARAM	params[2] = {
			OSSL_PARAM_construct_utf8_string("digest", (char *) EVP_MD_get0_name(md), 0),
			OSSL_PARAM_construct_end()
		};

		EVP_MAC_init(ctx, hmac_key, hmac_len, params);
		EVP_MAC_update(ctx, (const unsigned char *) input, in_len);
		EVP_MAC_final(ctx, sig, &sig_len, sizeof(sig));
		EVP_MAC_CTX_free(ctx);
		EVP_MAC_free(mac);
	}
	else
	{
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pctx = NULL;
		unsigned char der[1024];
		size_t		der_len = sizeof(der);

		EVP_DigestSignInit(ctx, &pctx, md, NULL, pkey);
		if (alg[0] == 'P')
		{
			EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
			EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
		}
		EVP_DigestSign(ctx, der, &der_len, (const unsigned char *) input, in_len);
		EVP_MD_CTX_free(ctx);
		if (alg[0] == 'E')
		{
			/* DER ECDSA-Sig-Value to the JOSE r || s form */
			const unsigned char *q = der;
			ECDSA_SIG  *es = d2i_ECDSA_SIG(NULL, &q, (long) der_len);

			BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32);
			BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32);
			sig_len = 64;
			ECDSA_SIG_free(es);
		}
		else
		{
			memcpy(sig, der, der_len);
			sig_len = der_len;
		}
	}
	s = b64url(sig, sig_len);
	out = malloc(in_len + 2 + strlen(s));
	sprintf(out, "%s.%s", input, s);
	free(s);
	free(input);
	return out;
}

#endif							/* MC_JOSE_HELPERS_H */
