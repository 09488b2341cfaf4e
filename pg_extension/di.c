/*-------------------------------------------------------------------------
 *
 * di.c
 *	  Data Integrity proofs with eddsa-jcs-2022 and eddsa-rdfc-2022
 *	  (W3C Data Integrity EdDSA Cryptosuites v1.0), proof sets and chains
 *	  (VC Data Integrity 1.0 section 4.5), and the verification of the older
 *	  Ed25519Signature2020 proofs (the same hashing over RDFC-1.0, the proof
 *	  options taking the document's @context).
 *
 * Create: proofConfig = options with @context of the document; hashData =
 * SHA-256(canon(proofConfig)) || SHA-256(canon(document)); proofValue =
 * "z" + base58btc(Ed25519(hashData)).  Verify: the same over the secured
 * document without "proof" and the proof without "proofValue", after
 * checking that the document's @context starts with the proof's @context.
 *
 *-------------------------------------------------------------------------
 */
#include "di.h"

#include <stdio.h>
#include <string.h>

#include "multibase.h"

/* set err->message */
static bool
di_fail(mcj_error *err, const char *msg)
{
	snprintf(err->message, sizeof(err->message), "%s", msg);
	err->offset = 0;
	return false;
}

/* cryptosuite from its name */
di_suite
di_suite_from_name(const char *name)
{
	if (name == NULL)
		return DI_SUITE_UNKNOWN;
	if (strcmp(name, "eddsa-jcs-2022") == 0)
		return DI_SUITE_EDDSA_JCS;
	if (strcmp(name, "eddsa-rdfc-2022") == 0)
		return DI_SUITE_EDDSA_RDFC;
	return DI_SUITE_UNKNOWN;
}

/* name of a cryptosuite */
const char *
di_suite_name(di_suite suite)
{
	switch (suite)
	{
		case DI_SUITE_EDDSA_JCS:
			return "eddsa-jcs-2022";
		case DI_SUITE_EDDSA_RDFC:
			return "eddsa-rdfc-2022";
		case DI_SUITE_ED25519_2020:
			return "Ed25519Signature2020";
		default:
			return "unknown";
	}
}

/* canonical form of one document under the suite */
static bool
di_canonicalize(mcj_arena *arena, di_suite suite, const di_canon *canon,
				const mcj_value *doc, mcj_buf *out, mcj_error *err)
{
	mcj_buf_init(out, arena, 2048);
	if (suite == DI_SUITE_EDDSA_JCS)
		return mcj_write_jcs(out, doc, err);
	if (suite == DI_SUITE_EDDSA_RDFC || suite == DI_SUITE_ED25519_2020)
	{
		if (canon == NULL || canon->rdfc == NULL)
			return di_fail(err, "RDF canonicalization is not available: no RDF canonicalizer");
		return canon->rdfc(canon->rdfc_ctx, arena, doc, out, err);
	}
	return di_fail(err, "unknown cryptosuite");
}

/* the 64 bytes to sign or verify */
bool
di_hash_data(mcj_arena *arena, di_suite suite, const di_canon *canon,
			 const mcj_value *unsecured, const mcj_value *proof_config,
			 unsigned char out[64], mcj_error *err)
{
	mcj_buf		buf;

	if (!di_canonicalize(arena, suite, canon, proof_config, &buf, err))
		return false;
	mcc_sha256(buf.data, buf.len, out);
	if (!di_canonicalize(arena, suite, canon, unsecured, &buf, err))
		return false;
	mcc_sha256(buf.data, buf.len, out + 32);
	return true;
}

/* a shallow copy of an object without one member */
static mcj_value *
object_without(mcj_arena *arena, const mcj_value *obj, const char *key)
{
	mcj_value  *copy = mcj_object(arena);

	for (size_t i = 0; i < obj->u.obj.n; i++)
	{
		const mcj_member *m = &obj->u.obj.members[i];

		if (m->keylen == strlen(key) && memcmp(m->key, key, m->keylen) == 0)
			continue;
		mcj_object_add(arena, copy, m->key, m->keylen, m->value);
	}
	return copy;
}

/* secure a document with a new proof */
mcj_value *
di_add_proof(mcj_arena *arena, const di_canon *canon, const mcj_value *unsecured,
			 const mcj_value *proof_options, mcc_key *key, mcj_error *err)
{
	mcj_value  *config;
	mcj_value  *ctx;
	mcj_value  *secured;
	mcj_value  *proof;
	const mcj_value *cs;
	di_suite	suite;
	unsigned char hash[64];
	unsigned char sig[64];
	size_t		siglen;
	char	   *b58;
	char	   *value;

	if (unsecured == NULL || unsecured->type != MCJ_OBJECT)
		return di_fail(err, "document to secure must be a JSON object"), NULL;
	if (mcj_object_get(unsecured, "proof") != NULL)
		return di_fail(err, "document already has a proof"), NULL;
	cs = mcj_object_get(proof_options, "cryptosuite");
	suite = di_suite_from_name(cs && cs->type == MCJ_STRING ? cs->u.str.s : NULL);
	if (suite == DI_SUITE_UNKNOWN)
		return di_fail(err, "proof options name no known cryptosuite"), NULL;
	if (mcc_key_type(key) != MCC_KEY_ED25519 || !mcc_key_has_private(key))
		return di_fail(err, "EdDSA cryptosuites need an Ed25519 private key"), NULL;

	config = object_without(arena, proof_options, "proofValue");
	ctx = mcj_object_get(unsecured, "@context");
	if (ctx != NULL)
		mcj_object_set(arena, config, "@context", ctx);
	if (!di_hash_data(arena, suite, canon, unsecured, config, hash, err))
		return NULL;
	if (!mcc_sign(key, MCC_ALG_EDDSA, hash, sizeof(hash), sig, sizeof(sig), &siglen, err))
		return NULL;
	b58 = mb_base58btc_encode_a(arena, sig, siglen);
	value = mcj_alloc(arena, strlen(b58) + 2);
	value[0] = 'z';
	strcpy(value + 1, b58);

	proof = mcj_copy(arena, config);
	mcj_object_set(arena, proof, "proofValue", mcj_cstring(arena, value));
	secured = object_without(arena, unsecured, "proof");
	mcj_object_set(arena, secured, "proof", proof);
	return secured;
}

/* the string member key of obj, or NULL */
static const char *
str_member(const mcj_value *obj, const char *key)
{
	const mcj_value *v = mcj_object_get(obj, key);

	return (v && v->type == MCJ_STRING) ? v->u.str.s : NULL;
}

/* how many proofs the document carries (0: none, or not an object/array) */
size_t
di_proof_count(const mcj_value *secured)
{
	const mcj_value *proof = (secured && secured->type == MCJ_OBJECT) ? mcj_object_get(secured, "proof") : NULL;

	if (proof == NULL)
		return 0;
	return proof->type == MCJ_ARRAY ? proof->u.arr.n : 1;
}

/* proof i of the document */
const mcj_value *
di_proof_at(const mcj_value *secured, size_t i)
{
	const mcj_value *proof = mcj_object_get(secured, "proof");

	if (proof == NULL)
		return NULL;
	if (proof->type == MCJ_ARRAY)
		return i < proof->u.arr.n ? proof->u.arr.items[i] : NULL;
	return i == 0 ? proof : NULL;
}

/* the shape of one proof */
bool
di_proof_check(const mcj_value *proof, di_proof_info *info, mcj_error *err)
{
	const char *type;
	const mcj_value *prev;
	const mcj_value *id;

	memset(info, 0, sizeof(*info));
	if (proof == NULL || proof->type != MCJ_OBJECT)
		return di_fail(err, "proof is not a JSON object");
	info->proof = proof;
	type = str_member(proof, "type");
	if (type != NULL && strcmp(type, "Ed25519Signature2020") == 0)
	{
		info->cryptosuite = "Ed25519Signature2020";
		info->suite = DI_SUITE_ED25519_2020;
	}
	else if (type == NULL || strcmp(type, "DataIntegrityProof") != 0)
		return di_fail(err, "proof type is not DataIntegrityProof (or Ed25519Signature2020)");
	else
	{
		info->cryptosuite = str_member(proof, "cryptosuite");
		if (info->cryptosuite == NULL)
			return di_fail(err, "proof has no cryptosuite");
		info->suite = di_suite_from_name(info->cryptosuite);
		if (info->suite == DI_SUITE_UNKNOWN)
			return di_fail(err, "proof cryptosuite is not eddsa-jcs-2022 or eddsa-rdfc-2022");
	}
	info->verification_method = str_member(proof, "verificationMethod");
	if (info->verification_method == NULL)
		return di_fail(err, "proof has no verificationMethod");
	/* the key lookup takes it as a C string: it must not end early */
	if (strlen(info->verification_method) != mcj_object_get(proof, "verificationMethod")->u.str.len)
		return di_fail(err, "proof verificationMethod contains U+0000");
	info->proof_purpose = str_member(proof, "proofPurpose");
	if (info->proof_purpose == NULL)
		return di_fail(err, "proof has no proofPurpose");
	if (strcmp(info->proof_purpose, "assertionMethod") != 0)
		return di_fail(err, "proof purpose is not assertionMethod");
	info->created = str_member(proof, "created");
	info->expires = str_member(proof, "expires");
	if (str_member(proof, "proofValue") == NULL)
		return di_fail(err, "proof has no proofValue");
	id = mcj_object_get(proof, "id");
	if (id != NULL && (id->type != MCJ_STRING || strlen(id->u.str.s) != id->u.str.len))
		return di_fail(err, "proof id is not a string");
	info->id = id ? id->u.str.s : NULL;
	prev = mcj_object_get(proof, "previousProof");
	if (prev != NULL)
	{
		if (prev->type == MCJ_ARRAY)
		{
			for (size_t i = 0; i < prev->u.arr.n; i++)
				if (prev->u.arr.items[i]->type != MCJ_STRING)
					return di_fail(err, "previousProof is not a string or an array of strings");
		}
		else if (prev->type != MCJ_STRING)
			return di_fail(err, "previousProof is not a string or an array of strings");
		info->previous = prev;
	}
	return true;
}

/* find and check the shape of the single proof */
bool
di_proof_parse(const mcj_value *secured, di_proof_info *info, mcj_error *err)
{
	memset(info, 0, sizeof(*info));
	if (secured == NULL || secured->type != MCJ_OBJECT)
		return di_fail(err, "credential is not a JSON object");
	if (di_proof_count(secured) == 0)
		return di_fail(err, "credential has no proof");
	if (di_proof_count(secured) != 1)
		return di_fail(err, "a proof set: verify each proof with di_verify_proof");
	return di_proof_check(di_proof_at(secured, 0), info, err);
}

/* does the array (or single value) a start with the elements of b, in order? */
static bool
context_starts_with(const mcj_value *a, const mcj_value *b)
{
	size_t		na = (a->type == MCJ_ARRAY) ? a->u.arr.n : 1;
	size_t		nb = (b->type == MCJ_ARRAY) ? b->u.arr.n : 1;

	if (nb > na)
		return false;
	for (size_t i = 0; i < nb; i++)
	{
		const mcj_value *x = (a->type == MCJ_ARRAY) ? a->u.arr.items[i] : a;
		const mcj_value *y = (b->type == MCJ_ARRAY) ? b->u.arr.items[i] : b;

		if (!mcj_equal(x, y))
			return false;
	}
	return true;
}

/* the proof of the document whose id is id, or NULL */
static const mcj_value *
proof_by_id(const mcj_value *secured, const mcj_value *id)
{
	for (size_t i = 0; i < di_proof_count(secured); i++)
	{
		const mcj_value *p = di_proof_at(secured, i);
		const mcj_value *pid = (p && p->type == MCJ_OBJECT) ? mcj_object_get(p, "id") : NULL;

		if (pid != NULL && mcj_equal(pid, id))
			return p;
	}
	return NULL;
}

/* verify one proof of a secured document */
bool
di_verify_proof(mcj_arena *arena, const di_canon *canon, const mcj_value *secured,
				const mcj_value *proof, mcc_key *key, mcj_error *err)
{
	di_proof_info info;
	mcj_value  *unsecured;
	mcj_value  *options;
	const mcj_value *pctx;
	const char *pv;
	size_t		pvlen;
	unsigned char *sig;
	size_t		siglen;
	unsigned char hash[64];

	if (secured == NULL || secured->type != MCJ_OBJECT)
		return di_fail(err, "credential is not a JSON object");
	if (!di_proof_check(proof, &info, err))
		return false;
	if (mcc_key_type(key) != MCC_KEY_ED25519)
		return di_fail(err, "the verification method's key is not an Ed25519 key");
	pv = str_member(info.proof, "proofValue");
	if (pv[0] != 'z')
		return di_fail(err, "proofValue is not multibase base58btc (it must start with z)");
	/* decode the whole string: text after a U+0000 must not be ignored */
	pvlen = mcj_object_get(info.proof, "proofValue")->u.str.len;
	sig = mb_base58btc_decode_a(arena, pv + 1, pvlen - 1, &siglen, err);
	if (sig == NULL)
		return false;
	if (siglen != 64)
		return di_fail(err, "proofValue does not decode to a 64-byte Ed25519 signature");

	unsecured = object_without(arena, secured, "proof");
	if (info.previous != NULL)
	{
		/* a chain: the proofs it follows are part of what it signs */
		mcj_value  *matching = mcj_array(arena);
		size_t		n = info.previous->type == MCJ_ARRAY ? info.previous->u.arr.n : 1;

		for (size_t i = 0; i < n; i++)
		{
			const mcj_value *id = info.previous->type == MCJ_ARRAY ? info.previous->u.arr.items[i] : info.previous;
			const mcj_value *p = proof_by_id(secured, id);

			if (p == NULL || p == proof)
			{
				snprintf(err->message, sizeof(err->message),
						 "previousProof %.100s names no other proof", id->u.str.s);
				err->offset = 0;
				return false;
			}
			mcj_array_append(arena, matching, (mcj_value *) p);
		}
		mcj_object_set(arena, unsecured, "proof", matching);
	}
	options = object_without(arena, info.proof, "proofValue");
	pctx = mcj_object_get(options, "@context");
	if (pctx != NULL)
	{
		const mcj_value *dctx = mcj_object_get(secured, "@context");

		if (dctx == NULL || !context_starts_with(dctx, pctx))
			return di_fail(err, "the document's @context does not start with the proof's @context");
		mcj_object_set(arena, unsecured, "@context", (mcj_value *) pctx);
	}
	else
	{
		const mcj_value *dctx = mcj_object_get(unsecured, "@context");

		if (dctx != NULL)
			mcj_object_set(arena, options, "@context", (mcj_value *) dctx);
	}
	if (!di_hash_data(arena, info.suite, canon, unsecured, options, hash, err))
		return false;
	if (!mcc_verify(key, MCC_ALG_EDDSA, hash, sizeof(hash), sig, siglen, err))
		return di_fail(err, "the signature does not match the document and proof options");
	return true;
}

/* verify the single proof of a secured document */
bool
di_verify(mcj_arena *arena, const di_canon *canon, const mcj_value *secured,
		  mcc_key *key, mcj_error *err)
{
	di_proof_info info;

	if (!di_proof_parse(secured, &info, err))
		return false;
	return di_verify_proof(arena, canon, secured, info.proof, key, err);
}
