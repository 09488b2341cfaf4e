/*-------------------------------------------------------------------------
 *
 * mccrypto.h
 *	  Cryptographic core of microcred on OpenSSL 3 (EVP APIs only): key
 *	  generation, sealed private-key storage (PKCS#8 under AES-256-GCM),
 *	  public key export and import (raw, Multikey, did:key, JWK, SPKI),
 *	  RFC 7638 JWK thumbprints, and signatures (EdDSA/Ed25519, ES256,
 *	  RS256, PS256).
 *
 * Pure core: no PostgreSQL headers, no ereport, no palloc.  Functions
 * return bool (or NULL) and fill an mcj_error.  Non-secret results (text,
 * JSON values, sealed blobs) come from a caller's mcj_arena; keys are
 * mcc_key objects owned by the caller and released with mcc_key_free().
 * Secret material never goes to an arena: every temporary buffer that
 * held it is wiped with OPENSSL_cleanse before it is freed.
 *
 * An mcc_key caches an EVP_MD_CTX for speed, so one key must not be used
 * by two threads at once (PostgreSQL backends are single-threaded).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_CRYPTO_H
#define MC_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "mcjson.h"

typedef enum mcc_keytype
{
	MCC_KEY_NONE = 0,
	MCC_KEY_ED25519,
	MCC_KEY_P256,
	MCC_KEY_RSA
} mcc_keytype;

typedef enum mcc_alg
{
	MCC_ALG_NONE = 0,
	MCC_ALG_EDDSA,				/* JOSE "EdDSA" (also accepts "Ed25519") */
	MCC_ALG_ES256,
	MCC_ALG_RS256,
	MCC_ALG_PS256
} mcc_alg;

typedef struct mcc_key mcc_key;

#define MCC_SHA256_LEN			32
#define MCC_KEK_LEN				32
#define MCC_SEAL_VERSION		1
#define MCC_SEAL_NONCE_LEN		12
#define MCC_SEAL_TAG_LEN		16
/* sealed blob = version || nonce || ciphertext || tag */
#define MCC_SEAL_OVERHEAD		(1 + MCC_SEAL_NONCE_LEN + MCC_SEAL_TAG_LEN)
#define MCC_RSA_MIN_BITS		2048
#define MCC_RSA_MAX_BITS		16384
/* largest signature of any supported algorithm (RSA-16384) */
#define MCC_SIG_MAX_LEN			(MCC_RSA_MAX_BITS / 8)

/* Names ---------------------------------------------------------------- */

/* "Ed25519", "P-256", "RSA" (or "none") */
extern const char *mcc_keytype_name(mcc_keytype type);
/* parse "Ed25519" / "P-256" / "RSA" (case-insensitive), MCC_KEY_NONE if unknown */
extern mcc_keytype mcc_keytype_from_name(const char *name);
/* JOSE name: "EdDSA", "ES256", "RS256", "PS256" (or "none") */
extern const char *mcc_alg_name(mcc_alg alg);
/* parse a JOSE alg name (exact, case-sensitive), MCC_ALG_NONE if unknown */
extern mcc_alg mcc_alg_from_name(const char *name, size_t len);

/* Keys ----------------------------------------------------------------- */

/* generate Ed25519, P-256 (prime256v1) or RSA-2048 (e = 65537) */
extern mcc_key *mcc_key_generate(mcc_keytype type, mcj_error *err);
/* release a key (NULL is fine); private material is wiped by OpenSSL */
extern void mcc_key_free(mcc_key *key);
extern mcc_keytype mcc_key_type(const mcc_key *key);
extern bool mcc_key_has_private(const mcc_key *key);
/* RSA modulus size in bits, 256 for P-256 and Ed25519 */
extern int	mcc_key_bits(const mcc_key *key);
/* the underlying EVP_PKEY (borrowed; do not free) */
extern EVP_PKEY *mcc_key_pkey(const mcc_key *key);
/* wrap an EVP_PKEY (takes ownership, also on failure); checks the type */
extern mcc_key *mcc_key_from_pkey(EVP_PKEY *pkey, mcj_error *err);
/* a new key holding only the public half */
extern mcc_key *mcc_key_public_copy(const mcc_key *key, mcj_error *err);
/* whether two keys have the same public key */
extern bool mcc_key_public_equal(const mcc_key *a, const mcc_key *b);
/* is alg usable with this key?  false with a clear error if not */
extern bool mcc_key_check_alg(const mcc_key *key, mcc_alg alg, mcj_error *err);
/* the default JOSE alg of a key type (EdDSA, ES256, RS256) */
extern mcc_alg mcc_key_default_alg(const mcc_key *key);

/* Sealed private keys ------------------------------------------------ */

/*
 * Seal the private key: PKCS#8 DER encrypted with AES-256-GCM under kek.
 * The blob (version 1 || 12-byte random nonce || ciphertext || 16-byte
 * tag) is allocated from arena.  The GCM associated data is the version
 * byte followed by the caller's aad (e.g. key id and issuer id), so a blob
 * cannot be moved to another key row or issuer, nor relabelled.
 */
extern unsigned char *mcc_key_seal(mcj_arena *arena, const mcc_key *key,
								   const unsigned char kek[MCC_KEK_LEN],
								   const unsigned char *aad, size_t aadlen,
								   size_t *sealedlen, mcj_error *err);
/* verify and decrypt a sealed blob, returning the private key */
extern mcc_key *mcc_key_unseal(const unsigned char *sealed, size_t sealedlen,
							   const unsigned char kek[MCC_KEK_LEN],
							   const unsigned char *aad, size_t aadlen,
							   mcj_error *err);

/* Key-encryption keys (KEK) -------------------------------------------- */

/*
 * Parse KEK file content: exactly 32 raw bytes, or 64 hex digits with
 * surrounding whitespace.  An all-zero key is refused.
 */
extern bool mcc_kek_parse(const unsigned char *data, size_t len,
						  unsigned char kek[MCC_KEK_LEN], mcj_error *err);
/*
 * Read a KEK file: must be a regular file not accessible by group or
 * others (mode & 077 == 0), content as for mcc_kek_parse.
 */
extern bool mcc_kek_read_file(const char *path,
							  unsigned char kek[MCC_KEK_LEN], mcj_error *err);
/* 64 random hex digits, a newline and a NUL: content for a new KEK file */
extern bool mcc_kek_generate_hex(char out[MCC_KEK_LEN * 2 + 2], mcj_error *err);
/* create a new KEK file with mode 0600 (fails if it exists) */
extern bool mcc_kek_write_new_file(const char *path, mcj_error *err);

/* Public key export ---------------------------------------------------- */

/*
 * Raw public key: 32 bytes for Ed25519, the 33-byte compressed SEC1
 * point for P-256 (65-byte uncompressed if uncompressed is true).  RSA
 * has no raw form (use SPKI).  out must hold 65 bytes.
 */
extern bool mcc_key_public_raw(const mcc_key *key, bool uncompressed,
							   unsigned char *out, size_t *outlen,
							   mcj_error *err);
/* Multikey publicKeyMultibase: "z6Mk..." (Ed25519), "zDn..." (P-256) */
extern char *mcc_key_multikey(mcj_arena *arena, const mcc_key *key,
							  mcj_error *err);
/* "did:key:<multibase>" */
extern char *mcc_key_did_key(mcj_arena *arena, const mcc_key *key,
							 mcj_error *err);
/* verification method id "did:key:<multibase>#<multibase>" */
extern char *mcc_key_did_key_vm(mcj_arena *arena, const mcc_key *key,
								mcj_error *err);
/*
 * Public JWK object: {"kty":"OKP","crv":"Ed25519","x"}, {"kty":"EC",
 * "crv":"P-256","x","y"} or {"kty":"RSA","n","e"}; never private members.
 */
extern mcj_value *mcc_key_jwk(mcj_arena *arena, const mcc_key *key,
							  mcj_error *err);
/* SubjectPublicKeyInfo DER (arena) and PEM (arena, NUL-terminated) */
extern unsigned char *mcc_key_spki_der(mcj_arena *arena, const mcc_key *key,
									   size_t *len, mcj_error *err);
extern char *mcc_key_spki_pem(mcj_arena *arena, const mcc_key *key,
							  mcj_error *err);

/*
 * RFC 7638 thumbprint: SHA-256 over the required members (in
 * lexicographic order, no whitespace) of a public JWK.  The _b64 variant
 * returns the base64url text usable as "kid".
 */
extern bool mcc_jwk_thumbprint(const mcj_value *jwk,
							   unsigned char out[MCC_SHA256_LEN],
							   mcj_error *err);
extern char *mcc_jwk_thumbprint_b64(mcj_arena *arena, const mcj_value *jwk,
									mcj_error *err);

/* Public key import ---------------------------------------------------- */

/* raw Ed25519 (32 bytes) or P-256 SEC1 point (33 or 65 bytes) */
extern mcc_key *mcc_key_from_public_raw(mcc_keytype type,
										const unsigned char *raw, size_t len,
										mcj_error *err);
/* publicKeyMultibase with ed25519-pub or p256-pub multicodec */
extern mcc_key *mcc_key_from_multikey(const char *mb, size_t len,
									  mcj_error *err);
/* "did:key:<mb>" or "did:key:<mb>#<mb>" (fragment must repeat <mb>) */
extern mcc_key *mcc_key_from_did_key(const char *did, size_t len,
									 mcj_error *err);
/*
 * public JWK (OKP/Ed25519, EC/P-256, RSA).  Refused: private members (d,
 * p, q, dp, dq, qi, oth, k), "use" other than "sig", wrong lengths (x and
 * y must be full length), points not on the curve, non-minimal RSA
 * integers, RSA under 2048 bits.  "alg", "kid" and "key_ops" are ignored.
 */
extern mcc_key *mcc_key_from_jwk(const mcj_value *jwk, mcj_error *err);
/* SubjectPublicKeyInfo DER or PEM */
extern mcc_key *mcc_key_from_spki_der(const unsigned char *der, size_t len,
									  mcj_error *err);
extern mcc_key *mcc_key_from_spki_pem(const char *pem, size_t len,
									  mcj_error *err);
/*
 * A public key as SQL gives it (microcred.public_key(text), trust_key):
 * "did:key:...", a publicKeyMultibase "z..." or a JWK as JSON text "{...}"
 * (parsed into arena).
 */
extern mcc_key *mcc_key_from_text(mcj_arena *arena, const char *s, size_t len,
								  mcj_error *err);

/* Private key import (tests, migration; private keys are never exported) */

/* Ed25519 32-byte seed */
extern mcc_key *mcc_key_from_ed25519_seed(const unsigned char *seed,
										  size_t len, mcj_error *err);
/* secretKeyMultibase / privateKeyMultibase with ed25519-priv multicodec */
extern mcc_key *mcc_key_from_private_multikey(const char *mb, size_t len,
											  mcj_error *err);

/* Signatures ----------------------------------------------------------- */

/* a digest of the algorithm (out: at least 48 bytes; *outlen its length) */
typedef enum mcc_digest_alg
{
	MCC_DIGEST_SHA256,
	MCC_DIGEST_SHA384
} mcc_digest_alg;
extern bool mcc_digest(mcc_digest_alg alg, const void *data, size_t len,
					   unsigned char *out, unsigned int *outlen);
/* SHA-256 of data */
extern bool mcc_sha256(const void *data, size_t len,
					   unsigned char out[MCC_SHA256_LEN]);
/* signature length for alg with key: 64 (EdDSA, ES256) or modulus bytes */
extern size_t mcc_signature_len(const mcc_key *key, mcc_alg alg);

/*
 * Sign msg with the private key.  EdDSA signs the message itself (pure
 * Ed25519); ES256 returns JOSE r||s (64 bytes); RS256 is PKCS#1 v1.5 and
 * PS256 is PSS (MGF1-SHA-256, salt 32).  sig must hold sigcap bytes
 * (MCC_SIG_MAX_LEN always suffices).
 */
extern bool mcc_sign(mcc_key *key, mcc_alg alg,
					 const unsigned char *msg, size_t msglen,
					 unsigned char *sig, size_t sigcap, size_t *siglen,
					 mcj_error *err);

/*
 * Verify a signature.  Returns true only for a valid signature.  On false,
 * err says why: "signature verification failed" for a well-formed but
 * wrong signature, something more specific for misuse (key type vs alg,
 * wrong signature length).  ES256 takes JOSE r||s (exactly 64 bytes).
 */
extern bool mcc_verify(mcc_key *key, mcc_alg alg,
					   const unsigned char *msg, size_t msglen,
					   const unsigned char *sig, size_t siglen,
					   mcj_error *err);

#endif							/* MC_CRYPTO_H */
