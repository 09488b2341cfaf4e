/*-------------------------------------------------------------------------
 *
 * test_di.c
 *	  The Data Integrity proofs reproduce the published vectors byte for
 *	  byte: signing each vector's unsigned document with the vector's key
 *	  and proof options (di.c, with JCS or with JSON-LD + RDFC-1.0) must give
 *	  exactly the published proofValue, and verification must accept it and
 *	  refuse a one-character change.  Vectors: W3C vc-di-eddsa eddsa-jcs-2022,
 *	  eddsa-rdfc-2022 (both examples), 1EdTech Open Badges 3.0.  Proof sets,
 *	  proof chains (previousProof) and Ed25519Signature2020 (W3C vc-di-eddsa
 *	  proof-set-chain and Ed25519Signature2020): every proof verifies with
 *	  the key of its did:key, and a tampered document, a dropped previous
 *	  proof or a broken previousProof reference is refused.
 *
 *	  usage: test_di [data-dir]   (default tests/data; contexts from
 *	         pg_extension/contexts).  Prints TAP.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/tap.h"
#include "di.h"
#include "jsonld.h"
#include "mccrypto.h"
#include "mcjson.h"
#include "rdf.h"

/* one TAP line (tests/lib/tap.h) */
#define ok(cond, desc) tap_ok((cond), "%s", (desc))

/* a whole file, NUL-terminated, or NULL */
static char *
slurp(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	long		sz;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(sz + 1);
	if (fread(buf, 1, sz, f) != (size_t) sz)
		sz = 0;
	buf[sz] = '\0';
	fclose(f);
	*len = (size_t) sz;
	return buf;
}

/* a parsed JSON file */
static mcj_value *
load_json(mcj_arena *a, const char *path)
{
	size_t		len;
	char	   *text = slurp(path, &len);
	mcj_error	err;
	mcj_value  *v;

	if (text == NULL)
		return NULL;
	v = mcj_parse(a, text, len, NULL, &err);
	free(text);
	return v;
}

/* the JSON-LD cache with every bundled context (pg_extension/contexts/urls.txt) */
static jsonld_cache *
contexts(mcj_arena *a)
{
	jsonld_cache *c = jsonld_cache_create(a, NULL, NULL, 0);
	FILE	   *f = fopen("pg_extension/contexts/urls.txt", "r");
	char		line[1024];

	if (f == NULL)
		return c;
	while (fgets(line, sizeof(line), f))
	{
		char		file[512],
					url[512],
					path[1100];
		size_t		len;
		char	   *text;
		jsonld_error e;

		if (line[0] == '#' || sscanf(line, "%511s %511s", file, url) != 2)
			continue;
		snprintf(path, sizeof(path), "pg_extension/contexts/%s", file);
		text = slurp(path, &len);
		if (text)
			jsonld_cache_add_document(c, url, text, len, &e);
		free(text);
	}
	fclose(f);
	return c;
}

/* di_rdfc_fn over the bundled contexts */
static bool
rdfc(void *ctx, mcj_arena *arena, const mcj_value *doc, mcj_buf *out, mcj_error *err)
{
	jsonld_options o;
	jsonld_error je;
	rdf_dataset ds;

	memset(&o, 0, sizeof(o));
	o.safe_mode = true;
	rdf_dataset_init(&ds, arena);
	if (!jsonld_to_rdf((jsonld_cache *) ctx, &o, arena, doc, &ds, &je))
	{
		*err = je.error;
		return false;
	}
	mcj_buf_init(out, arena, 4096);
	return rdfc_canonicalize(arena, &ds, NULL, out, NULL, NULL, err);
}

/* the private key of a vector: a secretKeyMultibase, or a hex seed */
static mcc_key *
vector_key(mcj_arena *a, const char *dir, const char *seed_hex)
{
	mcj_error	err;

	if (seed_hex != NULL)
	{
		unsigned char seed[32];

		for (int i = 0; i < 32; i++)
			sscanf(seed_hex + 2 * i, "%2hhx", &seed[i]);
		return mcc_key_from_ed25519_seed(seed, 32, &err);
	}
	else
	{
		char		path[1024];
		mcj_value  *kp;
		const mcj_value *mb;

		snprintf(path, sizeof(path), "%s/vc-di-eddsa/keyPair.json", dir);
		kp = load_json(a, path);
		mb = kp ? mcj_object_get(kp, "privateKeyMultibase") : NULL;
		return mb ? mcc_key_from_private_multikey(mb->u.str.s, mb->u.str.len, &err) : NULL;
	}
}

/* sign the vector's document again and compare; then verify and tamper */
static void
check_vector(const char *name, const char *signed_path, const char *seed_hex,
			 const char *dir, di_canon *canon)
{
	mcj_arena  *a = mcj_arena_create(NULL);
	char		path[1024];
	mcj_value  *secured;
	mcj_value  *unsecured;
	mcj_value  *options;
	mcj_value  *again;
	mcc_key    *key;
	mcj_error	err;
	const mcj_value *pv1;
	const mcj_value *pv2;
	char		desc[200];

	snprintf(path, sizeof(path), "%s/%s", dir, signed_path);
	secured = load_json(a, path);
	key = vector_key(a, dir, seed_hex);
	snprintf(desc, sizeof(desc), "%s: vector and key load", name);
	ok(secured != NULL && key != NULL, desc);
	if (secured == NULL || key == NULL)
	{
		mcc_key_free(key);
		mcj_arena_destroy(a);
		return;
	}
	unsecured = mcj_copy(a, secured);
	mcj_object_remove(unsecured, "proof");
	options = mcj_copy(a, mcj_object_get(secured, "proof"));
	mcj_object_remove(options, "proofValue");
	mcj_object_remove(options, "@context");
	again = di_add_proof(a, canon, unsecured, options, key, &err);
	pv1 = mcj_object_get(mcj_object_get(secured, "proof"), "proofValue");
	pv2 = again ? mcj_object_get(mcj_object_get(again, "proof"), "proofValue") : NULL;
	snprintf(desc, sizeof(desc), "%s: signing again gives the published proofValue byte for byte", name);
	ok(pv2 != NULL && pv1 != NULL && strcmp(pv1->u.str.s, pv2->u.str.s) == 0, desc);
	if (pv2 == NULL)
		printf("# %s\n", err.message);
	snprintf(desc, sizeof(desc), "%s: the published credential verifies", name);
	ok(di_verify(a, canon, secured, key, &err), desc);
	mcj_object_set(a, secured, "tampered", mcj_cstring(a, "x"));
	snprintf(desc, sizeof(desc), "%s: one added member breaks it", name);
	ok(!di_verify(a, canon, secured, key, &err), desc);
	mcc_key_free(key);
	mcj_arena_destroy(a);
}

/* the key of a proof's did:key verification method */
static mcc_key *
did_key_of(const mcj_value *proof)
{
	const mcj_value *vm = mcj_object_get(proof, "verificationMethod");
	mcj_error	err;

	return (vm && vm->type == MCJ_STRING) ? mcc_key_from_did_key(vm->u.str.s, vm->u.str.len, &err) : NULL;
}

/* every proof of the document verifies with its did:key; n_expected proofs */
static bool
all_proofs_verify(mcj_arena *a, di_canon *canon, const mcj_value *doc, size_t n_expected, bool print)
{
	size_t		count = di_proof_count(doc);
	bool		all = count == n_expected;

	for (size_t i = 0; i < count; i++)
	{
		const mcj_value *p = di_proof_at(doc, i);
		mcc_key    *key = did_key_of(p);
		mcj_error	err;

		if (key == NULL || !di_verify_proof(a, canon, doc, p, key, &err))
		{
			if (print)
				printf("# proof %zu: %s\n", i + 1, key ? err.message : "no did:key");
			all = false;
		}
		mcc_key_free(key);
	}
	return all;
}

/* a proof set or chain vector: all proofs verify, and tampering is refused */
static void
check_set_vector(const char *name, const char *signed_path, size_t nproofs, bool chain,
				 const char *dir, di_canon *canon)
{
	mcj_arena  *a = mcj_arena_create(NULL);
	char		path[1024];
	char		desc[400];
	mcj_value  *doc;

	snprintf(path, sizeof(path), "%s/%s", dir, signed_path);
	doc = load_json(a, path);
	snprintf(desc, sizeof(desc), "%s: every one of its %zu proofs verifies", name, nproofs);
	ok(doc != NULL && all_proofs_verify(a, canon, doc, nproofs, true), desc);
	if (doc == NULL)
	{
		mcj_arena_destroy(a);
		return;
	}
	{
		mcj_value  *t = mcj_copy(a, doc);
		bool		any = false;

		mcj_object_set(a, t, "name", mcj_cstring(a, "Alumni Credential!"));
		for (size_t i = 0; i < nproofs; i++)
		{
			mcc_key    *key = did_key_of(di_proof_at(t, i));
			mcj_error	err;

			any |= di_verify_proof(a, canon, t, di_proof_at(t, i), key, &err);
			mcc_key_free(key);
		}
		snprintf(desc, sizeof(desc), "%s: a changed name breaks every proof", name);
		ok(!any, desc);
	}
	if (chain)
	{
		mcj_value  *t = mcj_copy(a, doc);
		mcj_value  *last = (mcj_value *) di_proof_at(t, nproofs - 1);
		mcc_key    *key = did_key_of(last);
		mcj_error	err;
		bool		r;

		/* the last proof of the chain names a proof that is not there */
		mcj_object_set(a, last, "previousProof", mcj_cstring(a, "urn:uuid:00000000-0000-4000-8000-000000000000"));
		r = di_verify_proof(a, canon, t, last, key, &err);
		snprintf(desc, sizeof(desc), "%s: a previousProof naming no proof is refused (%s)", name, r ? "accepted" : err.message);
		ok(!r && strstr(err.message, "previousProof") != NULL, desc);
		mcc_key_free(key);

		/* a previous proof changed after the next one signed over it */
		t = mcj_copy(a, doc);
		last = (mcj_value *) di_proof_at(t, nproofs - 1);
		key = did_key_of(last);
		mcj_object_set(a, (mcj_value *) di_proof_at(t, nproofs - 2), "created", mcj_cstring(a, "2023-02-25T00:00:00Z"));
		r = di_verify_proof(a, canon, t, last, key, &err);
		snprintf(desc, sizeof(desc), "%s: a changed previous proof breaks the proof chained to it", name);
		ok(!r, desc);
		mcc_key_free(key);
	}
	mcj_arena_destroy(a);
}

/* the published canonical forms of the Ed25519Signature2020 vector */
static void
check_ed2020_canon(const char *dir, di_canon *canon)
{
	mcj_arena  *a = mcj_arena_create(NULL);
	char		path[1024];
	mcj_value  *doc;
	mcj_value  *config;
	mcj_buf		out;
	mcj_error	err;
	size_t		len;
	char	   *want;

	snprintf(path, sizeof(path), "%s/vc-di-eddsa/Ed25519Signature2020/signedEdSig.json", dir);
	doc = load_json(a, path);
	snprintf(path, sizeof(path), "%s/vc-di-eddsa/Ed25519Signature2020/proofConfigEdSig.json", dir);
	config = load_json(a, path);
	if (doc == NULL || config == NULL)
	{
		ok(0, "Ed25519Signature2020 (W3C): vector loads");
		mcj_arena_destroy(a);
		return;
	}
	mcj_object_remove(doc, "proof");
	snprintf(path, sizeof(path), "%s/vc-di-eddsa/Ed25519Signature2020/canonDocEdSig.txt", dir);
	want = slurp(path, &len);
	ok(want != NULL && canon->rdfc(canon->rdfc_ctx, a, doc, &out, &err) &&
	   out.len == len && memcmp(out.data, want, len) == 0,
	   "Ed25519Signature2020 (W3C): the canonical document is the published one byte for byte");
	free(want);
	snprintf(path, sizeof(path), "%s/vc-di-eddsa/Ed25519Signature2020/proofCanonEdSig.txt", dir);
	want = slurp(path, &len);
	ok(want != NULL && canon->rdfc(canon->rdfc_ctx, a, config, &out, &err) &&
	   out.len == len && memcmp(out.data, want, len) == 0,
	   "Ed25519Signature2020 (W3C): the canonical proof options are the published ones byte for byte");
	free(want);
	mcj_arena_destroy(a);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/data";
	mcj_arena  *ca = mcj_arena_create(NULL);
	di_canon	jcs = {NULL, NULL};
	di_canon	rdf = {rdfc, contexts(ca)};

	check_vector("eddsa-jcs-2022 (W3C)", "vc-di-eddsa/eddsa-jcs-2022/signedJCS.json", NULL, dir, &jcs);
	check_vector("eddsa-rdfc-2022 (W3C)", "vc-di-eddsa/eddsa-rdfc-2022/signedDataInt.json", NULL, dir, &rdf);
	check_vector("eddsa-rdfc-2022 employment (W3C)", "vc-di-eddsa/eddsa-rdfc-2022/employ/signedDataInt.json", NULL, dir, &rdf);
	check_vector("OB 3.0 eddsa-rdfc-2022 (1EdTech)", "ob-v3p0/signed-credential.json",
				 "6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4", dir, &rdf);
	check_set_vector("proof set of 1 (W3C)", "vc-di-eddsa/proof-set-chain/signedProofSet1.json", 1, false, dir, &rdf);
	check_set_vector("proof set of 2 (W3C)", "vc-di-eddsa/proof-set-chain/signedProofSet2.json", 2, false, dir, &rdf);
	check_set_vector("proof chain of 3 (W3C)", "vc-di-eddsa/proof-set-chain/signedProofChain1.json", 3, true, dir, &rdf);
	check_set_vector("proof chain of 4 (W3C)", "vc-di-eddsa/proof-set-chain/signedProofChain2.json", 4, true, dir, &rdf);
	check_set_vector("Ed25519Signature2020 (W3C)", "vc-di-eddsa/Ed25519Signature2020/signedEdSig.json", 1, false, dir, &rdf);
	check_ed2020_canon(dir, &rdf);
	printf("1..%d\n", tap_n);
	mcj_arena_destroy(ca);
	return tap_failed ? 1 : 0;
}
