/*-------------------------------------------------------------------------
 *
 * di.h
 *	  W3C Data Integrity proofs with the EdDSA cryptosuites
 *	  (DataIntegrityProof, eddsa-jcs-2022 and eddsa-rdfc-2022): create and
 *	  verify over mcj_value documents.
 *
 * Pure core.  JCS canonicalization is built in (mcj_write_jcs); RDF
 * canonicalization needs JSON-LD contexts, so the caller supplies it as a
 * canonicalizer callback (di_rdfc_fn).  Hash order follows the spec:
 * SHA-256(canonical proof configuration) || SHA-256(canonical document).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_DI_H
#define MC_DI_H

#include "mccrypto.h"
#include "mcjson.h"

typedef enum di_suite
{
	DI_SUITE_UNKNOWN = 0,
	DI_SUITE_EDDSA_JCS,			/* eddsa-jcs-2022 */
	DI_SUITE_EDDSA_RDFC,		/* eddsa-rdfc-2022 */
	DI_SUITE_ED25519_2020		/* proof type Ed25519Signature2020 (verify only) */
} di_suite;

/* canonical N-Quads of a JSON-LD document (RDFC-1.0), into out */
typedef bool (*di_rdfc_fn) (void *ctx, mcj_arena *arena, const mcj_value *doc,
							mcj_buf *out, mcj_error *err);

typedef struct di_canon
{
	di_rdfc_fn	rdfc;			/* NULL: eddsa-rdfc-2022 unavailable */
	void	   *rdfc_ctx;
} di_canon;

extern di_suite di_suite_from_name(const char *name);
extern const char *di_suite_name(di_suite suite);

/*
 * The 64 bytes to sign: SHA-256 of the canonical proof configuration, then
 * SHA-256 of the canonical unsecured document.  proof_config must already
 * carry @context when the suite wants it.
 */
extern bool di_hash_data(mcj_arena *arena, di_suite suite, const di_canon *canon,
						 const mcj_value *unsecured, const mcj_value *proof_config,
						 unsigned char out[64], mcj_error *err);

/*
 * Secure a document: a copy of unsecured with "proof" added.  proof_options
 * holds type, cryptosuite, created, verificationMethod, proofPurpose (it is
 * copied; @context is set from the document as the cryptosuites require).
 * key must be an Ed25519 private key.
 */
extern mcj_value *di_add_proof(mcj_arena *arena, const di_canon *canon,
							   const mcj_value *unsecured, const mcj_value *proof_options,
							   mcc_key *key, mcj_error *err);

/* What the verifier found in a document's proof, before any key is used. */
typedef struct di_proof_info
{
	const mcj_value *proof;		/* the proof object */
	di_suite	suite;
	const char *cryptosuite;	/* as written */
	const char *verification_method;
	const char *proof_purpose;
	const char *created;		/* or NULL */
	const char *expires;		/* or NULL */
	const char *id;				/* the proof's id, or NULL */
	const mcj_value *previous;	/* previousProof (a string or an array), or NULL */
} di_proof_info;

/* the proofs of a secured document: the proof object, or the items of a proof set */
extern size_t di_proof_count(const mcj_value *secured);
extern const mcj_value *di_proof_at(const mcj_value *secured, size_t i);

/*
 * Check the shape of one proof object: type DataIntegrityProof with a
 * known EdDSA cryptosuite, or Ed25519Signature2020; verificationMethod and
 * proofPurpose strings, a proofValue; previousProof a string or strings.
 */
extern bool di_proof_check(const mcj_value *proof, di_proof_info *info, mcj_error *err);

/*
 * Verify one proof of a secured document (a proof set or chain: the
 * document's other proofs named by its previousProof are covered by it, as
 * VC Data Integrity section 4.5 says) with an Ed25519 public key.
 */
extern bool di_verify_proof(mcj_arena *arena, const di_canon *canon, const mcj_value *secured,
							const mcj_value *proof, mcc_key *key, mcj_error *err);

/*
 * Find and check the shape of the single proof of a secured document:
 * an object (or an array of one), type DataIntegrityProof, a known EdDSA
 * cryptosuite, verificationMethod and proofPurpose strings, a proofValue.
 */
extern bool di_proof_parse(const mcj_value *secured, di_proof_info *info, mcj_error *err);

/*
 * Verify the proof of a secured document with an Ed25519 public key.
 * Returns true only if the proof verifies; otherwise *err says why.
 */
extern bool di_verify(mcj_arena *arena, const di_canon *canon, const mcj_value *secured,
					  mcc_key *key, mcj_error *err);

#endif							/* MC_DI_H */
