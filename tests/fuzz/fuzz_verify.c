/*-------------------------------------------------------------------------
 *
 * fuzz_verify.c
 *	  libFuzzer target for the untrusted-input path of verification
 *	  (vc.c, di.c and what they call): a credential secured with a Data
 *	  Integrity proof (eddsa-jcs-2022 or eddsa-rdfc-2022) or as a compact
 *	  JWT, checked against a fixed key registry.
 *
 * The input is text.  When it looks like a compact JWT (its first byte is
 * a base64url character and it has a '.') it goes to vc_verify_jwt;
 * otherwise it is parsed as JSON and goes to vc_verify_di.  Two more
 * forms let mutations reach past the signature (a fuzzer cannot forge
 * one): "!" + selector byte + payload, which the harness signs as a JWT
 * with the test key before vc_verify_jwt, and "~" + selector byte + JSON
 * credential, which it secures with di_add_proof before vc_verify_di.
 *
 * Besides crashes, sanitizer reports and leaks (keys derived by vc.c must
 * be freed by vc.c), the result must keep its invariants: valid only with
 * no failed check and a passed signature check, at most VC_MAX_CHECKS
 * checks, each with a name, a known status and a NUL-terminated reason; a
 * trusted key only with a passed key check, and only for the issuer as
 * written (no truncation at U+0000); and a proof the harness has just
 * made must verify whenever its signature is checked.
 *
 * Key registry (the lookup callback):
 *	 issuer https://example.edu/issuers/565049
 *	   #key-1	the W3C vc-di-eddsa test key (tests/data/vc-di-eddsa/keyPair.json)
 *	   #key-0	retired
 *	   #error	the lookup itself fails
 *	 anything else is unknown
 * Controller document given by the caller (controller_documents): that
 * issuer's #key-cd is the same key under assertionMethod, #key-auth only
 * under authentication.
 *
 * Build (from the repository root):
 *	 clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
 *		 -Ipg_extension tests/fuzz/fuzz_verify.c pg_extension/{mcjson,multibase,\
 *		 mccrypto,jws,di,vc,rdf,nquads,rdfc,jsonld}.c -lcrypto -lz -ljansson -lm
 * Run:
 *	 ./fuzz_verify -max_len=16384 tests/fuzz/corpus/verify
 *
 * The contexts are read from pg_extension/contexts relative to the working
 * directory (the repository root), as listed in its urls.txt.
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "di.h"
#include "jsonld.h"
#include "mccrypto.h"
#include "mcjson.h"
#include "rdf.h"
#include "vc.h"

#define CONTEXTS_DIR	"pg_extension/contexts"
#define FUZZ_ISSUER		"https://example.edu/issuers/565049"
#define FUZZ_VM_KEY		FUZZ_ISSUER "#key-1"
#define FUZZ_VM_RETIRED FUZZ_ISSUER "#key-0"
#define FUZZ_VM_ERROR	FUZZ_ISSUER "#error"
/* secret key of tests/data/vc-di-eddsa/keyPair.json */
#define FUZZ_PRIVATE_MB "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"

int			LLVMFuzzerInitialize(int *argc, char ***argv);
int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* harness state, built once per process */
static mcj_arena *cache_arena;
static jsonld_cache *cache;
static mcc_key *registered_key;
static mcc_key *private_key;	/* its private half, for the signing forms */
static const char *didkey_vm;	/* the did:key verification method of it */
static vc_verifier verifier;

/* read a whole file, or NULL */
static char *
slurp(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	long		n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
	{
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t) n + 1);
	if (buf && fread(buf, 1, (size_t) n, f) != (size_t) n)
	{
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf)
	{
		buf[n] = '\0';
		*len = (size_t) n;
	}
	return buf;
}

/* register every context listed in urls.txt ("file url" lines); count them */
static int
load_contexts(const char *dir)
{
	char		path[1024];
	FILE	   *list;
	char		line[1024];
	int			n = 0;

	snprintf(path, sizeof(path), "%s/urls.txt", dir);
	if ((list = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), list) != NULL)
	{
		char		file[256];
		char		url[512];
		char	   *text;
		size_t		len;
		jsonld_error e;

		if (line[0] == '#' || sscanf(line, "%255s %511s", file, url) != 2)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		if ((text = slurp(path, &len)) == NULL)
		{
			fprintf(stderr, "fuzz_verify: cannot read %s\n", path);
			abort();
		}
		if (!jsonld_cache_add_document(cache, url, text, len, &e))
		{
			fprintf(stderr, "fuzz_verify: %s: %s\n", path, e.error.message);
			abort();
		}
		free(text);
		n++;
	}
	fclose(list);
	return n;
}

/* the key registry: one key, one retired method, one failing lookup */
static bool
lookup(void *ctx, mcj_arena *arena, const char *issuer, const char *vm,
	   vc_key_lookup *out, mcj_error *err)
{
	(void) ctx;
	(void) arena;
	if (issuer == NULL || vm == NULL)
		abort();				/* vc.c asks only with both */
	if (strcmp(issuer, FUZZ_ISSUER) != 0)
		return true;
	if (strcmp(vm, FUZZ_VM_KEY) == 0)
	{
		out->key = registered_key;
		out->source = "a key of this issuer";
	}
	else if (strcmp(vm, FUZZ_VM_RETIRED) == 0)
		out->retired = true;
	else if (strcmp(vm, FUZZ_VM_ERROR) == 0)
	{
		snprintf(err->message, sizeof(err->message), "key registry unavailable");
		err->offset = 0;
		return false;
	}
	return true;
}

/* di_rdfc_fn: JSON-LD to RDF in safe mode, then RDFC-1.0, under small bounds */
static bool
canonicalize(void *ctx, mcj_arena *arena, const mcj_value *doc, mcj_buf *out,
			 mcj_error *err)
{
	jsonld_options jo;
	jsonld_error je;
	rdf_dataset ds;
	rdfc_options ro;

	(void) ctx;
	memset(&jo, 0, sizeof(jo));
	jo.safe_mode = true;
	jo.max_depth = 48;
	jo.max_nodes = 20000;
	jo.max_quads = 2000;
	rdf_dataset_init(&ds, arena);
	if (!jsonld_to_rdf(cache, &jo, arena, doc, &ds, &je))
	{
		*err = je.error;
		return false;
	}
	memset(&ro, 0, sizeof(ro));
	ro.max_ndegree_calls = 2000;
	mcj_buf_init(out, arena, 1024);
	return rdfc_canonicalize(arena, &ds, &ro, out, NULL, NULL, err);
}

/* libFuzzer initialization: contexts, key and verifier */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	mcj_error	err;

	(void) argc;
	(void) argv;
	cache_arena = mcj_arena_create(NULL);
	cache = jsonld_cache_create(cache_arena, NULL, NULL, 256);
	if (load_contexts(CONTEXTS_DIR) == 0)
	{
		fprintf(stderr, "fuzz_verify: no contexts in %s (run from the repository root)\n",
				CONTEXTS_DIR);
		abort();
	}
	private_key = mcc_key_from_private_multikey(FUZZ_PRIVATE_MB, strlen(FUZZ_PRIVATE_MB), &err);
	if (private_key == NULL ||
		(registered_key = mcc_key_public_copy(private_key, &err)) == NULL ||
		(didkey_vm = mcc_key_did_key_vm(cache_arena, private_key, &err)) == NULL)
	{
		fprintf(stderr, "fuzz_verify: key: %s\n", err.message);
		abort();
	}

	memset(&verifier, 0, sizeof(verifier));
	verifier.lookup = lookup;
	verifier.lookup_ctx = NULL;
	verifier.canon.rdfc = canonicalize;
	verifier.canon.rdfc_ctx = NULL;
	verifier.now = 1735689600;	/* 2025-01-01T00:00:00Z */
	verifier.leeway_seconds = 300;
	{
		static const mcj_value *docs[1];
		const char *mb = strchr(didkey_vm, '#') + 1;
		char		json[1024];

		snprintf(json, sizeof(json),
				 "{\"id\": \"https://example.edu/issuers/565049\", \"assertionMethod\": [{\"id\": \"#key-cd\", "
				 "\"type\": \"Multikey\", \"controller\": \"https://example.edu/issuers/565049\", \"publicKeyMultibase\": \"%s\"}], "
				 "\"authentication\": [{\"id\": \"#key-auth\", \"type\": \"Multikey\", \"publicKeyMultibase\": \"%s\"}]}",
				 mb, mb);
		docs[0] = mcj_parse(cache_arena, json, strlen(json), NULL, &err);
		if (docs[0] == NULL)
			abort();
		verifier.controllers = docs;
		verifier.ncontrollers = 1;
	}
	return 0;
}

/* a base64url character */
static bool
b64url_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* touch a string of the result, so ASan sees a dangling or unterminated one */
static void
check_str(const char *s)
{
	if (s != NULL && strlen(s) > (size_t) 1 << 24)
		abort();
}

/* the issuer id as written in the credential, or NULL */
static const mcj_value *
issuer_value(const mcj_value *cred)
{
	const mcj_value *issuer = mcj_object_get(cred, "issuer");

	if (issuer != NULL && issuer->type == MCJ_OBJECT)
		issuer = mcj_object_get(issuer, "id");
	return (issuer != NULL && issuer->type == MCJ_STRING) ? issuer : NULL;
}

/* the invariants of a result */
static void
check_result(const vc_result *r, const char *format_expected)
{
	bool		failed = false;
	bool		signature_passed = false;
	bool		key_passed = false;

	if (r->nchecks < 0 || r->nchecks > VC_MAX_CHECKS)
		abort();
	for (int i = 0; i < r->nchecks; i++)
	{
		const vc_check *c = &r->checks[i];

		if (c->name == NULL || memchr(c->reason, '\0', sizeof(c->reason)) == NULL)
			abort();
		check_str(c->name);
		switch (c->status)
		{
			case VC_FAIL:
				failed = true;
				break;
			case VC_PASS:
				if (strcmp(c->name, "signature") == 0)
					signature_passed = true;
				else if (strcmp(c->name, "key") == 0)
					key_passed = true;
				break;
			case VC_WARN:
			case VC_SKIP:
				break;
			default:
				abort();
		}
	}
	if (r->valid && (failed || !signature_passed))
		abort();
	/* a trusted key is only reported alongside a passed key check */
	if (r->trusted && !key_passed)
		abort();
	/* valid means the issuer signed it: a proof's key is bound to the issuer */
	if (r->valid && !r->trusted)
		abort();
	/* the issuer looked up is the whole issuer id, not a prefix of it */
	if (r->trusted)
	{
		const mcj_value *iv = issuer_value(r->credential);

		if (iv == NULL || r->issuer == NULL || strlen(r->issuer) != iv->u.str.len)
			abort();
	}
	if (r->nchecks == 0 || r->format == NULL)
		abort();
	if (format_expected != NULL && strcmp(r->format, format_expected) != 0)
		abort();
	check_str(r->format);
	check_str(r->cryptosuite);
	check_str(r->issuer);
	check_str(r->credential_id);
}

/* the status of the check named name, or -1 when absent */
static int
check_status(const vc_result *r, const char *name)
{
	for (int i = 0; i < r->nchecks; i++)
		if (strcmp(r->checks[i].name, name) == 0)
			return (int) r->checks[i].status;
	return -1;
}

/* "!" form: sign payload as a JWT whose header the selector picks, verify */
static void
sign_and_verify_jwt(mcj_arena *arena, uint8_t sel, const uint8_t *payload, size_t len)
{
	static const char *const typs[] = {NULL, "JWT", "vc+jwt", "vc+ld+jwt"};
	const char *kids[] = {"#key-1", FUZZ_VM_KEY, "#key-0", didkey_vm, NULL,
	"#error", "https://other.example/k#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "#"};
	mcj_value  *header = mcj_object(arena);
	mcj_error	err;
	char	   *token;
	vc_result	r;

	mcj_object_set(arena, header, "alg", mcj_cstring(arena, "EdDSA"));
	if (typs[sel & 3] != NULL)
		mcj_object_set(arena, header, "typ", mcj_cstring(arena, typs[sel & 3]));
	if (kids[(sel >> 2) & 7] != NULL)
		mcj_object_set(arena, header, "kid", mcj_cstring(arena, kids[(sel >> 2) & 7]));
	if (sel & 0x20)
		mcj_object_set(arena, header, "cty", mcj_cstring(arena, "vc"));
	token = jws_sign(arena, private_key, header, payload, len, &err);
	if (token == NULL)
		abort();				/* any payload can be signed */
	vc_verify_jwt(arena, &verifier, token, strlen(token), &r);
	check_result(&r, NULL);
	/* the harness's own signature always verifies with the registered key */
	if (check_status(&r, "signature") == VC_FAIL)
		abort();
}

/* "~" form: secure a credential with a new proof, then verify it */
static void
sign_and_verify_di(mcj_arena *arena, uint8_t sel, const mcj_value *doc)
{
	mcj_value  *options = mcj_object(arena);
	mcj_value  *secured;
	mcj_error	err;
	vc_result	r;

	if (doc->type != MCJ_OBJECT || mcj_object_get(doc, "proof") != NULL)
		return;
	mcj_object_set(arena, options, "type", mcj_cstring(arena, "DataIntegrityProof"));
	mcj_object_set(arena, options, "cryptosuite",
				   mcj_cstring(arena, (sel & 1) ? "eddsa-rdfc-2022" : "eddsa-jcs-2022"));
	if (sel & 2)
		mcj_object_set(arena, options, "created", mcj_cstring(arena, "2024-05-06T07:08:09Z"));
	mcj_object_set(arena, options, "verificationMethod",
				   mcj_cstring(arena, (sel & 8) ? "https://example.edu/issuers/565049#key-cd" :
							   (sel & 4) ? didkey_vm : FUZZ_VM_KEY));
	mcj_object_set(arena, options, "proofPurpose", mcj_cstring(arena, "assertionMethod"));
	secured = di_add_proof(arena, &verifier.canon, doc, options, private_key, &err);
	if (secured == NULL)
		return;					/* e.g. not canonicalizable */
	vc_verify_di(arena, &verifier, secured, &r);
	check_result(&r, "data-integrity");
	if (check_status(&r, "signature") == VC_FAIL)
		abort();
	/* the controller document given binds #key-cd to its issuer, and nothing else */
	if ((sel & 8) && check_status(&r, "key") == VC_PASS &&
		(check_status(&r, "issuer_key") == VC_PASS) !=
		(r.issuer != NULL && strcmp(r.issuer, "https://example.edu/issuers/565049") == 0))
		abort();
}

/* one input */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mcj_arena  *arena;
	vc_result	r;

	if (size > 65536)
		return 0;
	arena = mcj_arena_create(NULL);
	if (size >= 2 && data[0] == '!')
		sign_and_verify_jwt(arena, data[1], data + 2, size - 2);
	else if (size >= 2 && data[0] == '~')
	{
		mcj_parse_options po;
		mcj_error	pe;
		mcj_value  *doc;

		memset(&po, 0, sizeof(po));
		po.max_depth = 64;
		po.max_bytes = 65536;
		doc = mcj_parse(arena, (const char *) data + 2, size - 2, &po, &pe);
		if (doc != NULL)
			sign_and_verify_di(arena, data[1], doc);
	}
	else if (size > 0 && b64url_char(data[0]) && memchr(data, '.', size) != NULL)
	{
		/* an exact-length copy, so reading past the token is caught */
		char	   *token = malloc(size);

		memcpy(token, data, size);
		vc_verify_jwt(arena, &verifier, token, size, &r);
		check_result(&r, NULL);
		if (strcmp(r.format, "jwt") != 0 && strcmp(r.format, "ob-jwt") != 0 &&
			strcmp(r.format, "vc-jwt") != 0)
			abort();
		free(token);
	}
	else
	{
		mcj_parse_options po;
		mcj_error	pe;
		mcj_value  *doc;

		memset(&po, 0, sizeof(po));
		po.max_depth = 64;
		po.max_bytes = 65536;
		po.allow_duplicate_keys = false;
		doc = mcj_parse(arena, (const char *) data, size, &po, &pe);
		if (doc != NULL)
		{
			vc_verify_di(arena, &verifier, doc, &r);
			check_result(&r, "data-integrity");
			if (r.credential != doc)
				abort();
		}
	}
	mcj_arena_destroy(arena);
	return 0;
}
