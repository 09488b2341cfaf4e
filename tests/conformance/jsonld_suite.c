/*-------------------------------------------------------------------------
 *
 * jsonld_suite.c
 *	  Conformance driver for jsonld.c: runs the W3C JSON-LD 1.1 API test
 *	  suite (expand and toRdf manifests) and the Data Integrity test
 *	  vectors (vc-di-eddsa eddsa-rdfc-2022 and the Open Badges 3.0 vector),
 *	  printing TAP.
 *
 * Usage: jsonld_suite [suite-dir [contexts-dir [vectors-dir]]]
 *	  suite-dir		default ../shared/testsuites/json-ld-api (skipped if absent)
 *	  contexts-dir	default pg_extension/contexts
 *	  vectors-dir	default tests/data: vc-di-eddsa/ and ob-v3p0/ hold the vectors
 *
 * Remote documents named by the suite's own URLs
 * (https://w3c.github.io/json-ld-api/tests/...) are read from suite-dir;
 * nothing else is ever fetched.  Exit status is non-zero if any in-scope
 * test fails.
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L	/* clock_gettime */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "jsonld.h"
#include "mcjson.h"
#include "rdf.h"

#define SUITE_URL "https://w3c.github.io/json-ld-api/tests/"

static int	tap_n = 0;
static int	total_fail = 0;

/* counts for one group of tests */
typedef struct counts
{
	int			pass;
	int			fail;
	int			skip;
} counts;

/* read a whole file; NULL if it cannot be read */
static char *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	long		n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t) n + 1);
	if (buf == NULL || fread(buf, 1, (size_t) n, f) != (size_t) n)
	{
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	*len = (size_t) n;
	return buf;
}

/* parse a JSON file into arena; NULL on failure */
static mcj_value *
parse_file(mcj_arena *arena, const char *path, mcj_error *err)
{
	size_t		len;
	char	   *text = read_file(path, &len);
	mcj_value  *v;
	mcj_parse_options po;

	if (text == NULL)
	{
		snprintf(err->message, sizeof(err->message), "cannot read %.120s", path);
		return NULL;
	}
	memset(&po, 0, sizeof(po));
	po.max_depth = 1000;
	v = mcj_parse(arena, text, len, &po, err);
	free(text);
	return v;
}

/* loader for the suite: maps the suite's URLs to local files */
static const mcj_value *
suite_loader(void *ctx, const char *url, mcj_arena *arena, mcj_error *err)
{
	const char *dir = ctx;
	char		path[1024];

	if (strncmp(url, SUITE_URL, strlen(SUITE_URL)) != 0)
	{
		snprintf(err->message, sizeof(err->message), "unknown context URL %.100s", url);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, url + strlen(SUITE_URL));
	return parse_file(arena, path, err);
}

/* JSON-LD test-suite equality: arrays are unordered except @list values */
static bool
ld_equal(const mcj_value *a, const mcj_value *b, bool ordered)
{
	if (a->type != b->type)
		return false;
	switch (a->type)
	{
		case MCJ_NULL:
		case MCJ_TRUE:
		case MCJ_FALSE:
			return true;
		case MCJ_NUMBER:
			return a->u.num == b->u.num;
		case MCJ_STRING:
			return a->u.str.len == b->u.str.len &&
				memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
		case MCJ_OBJECT:
			if (a->u.obj.n != b->u.obj.n)
				return false;
			for (size_t i = 0; i < a->u.obj.n; i++)
			{
				const mcj_member *m = &a->u.obj.members[i];
				const mcj_value *o = mcj_object_getn(b, m->key, m->keylen);

				if (o == NULL || !ld_equal(m->value, o, strcmp(m->key, "@list") == 0))
					return false;
			}
			return true;
		case MCJ_ARRAY:
			if (a->u.arr.n != b->u.arr.n)
				return false;
			if (ordered)
			{
				for (size_t i = 0; i < a->u.arr.n; i++)
					if (!ld_equal(a->u.arr.items[i], b->u.arr.items[i], false))
						return false;
				return true;
			}
			else
			{
				bool	   *used = calloc(b->u.arr.n + 1, 1);
				bool		ok = true;

				for (size_t i = 0; ok && i < a->u.arr.n; i++)
				{
					size_t		j;

					for (j = 0; j < b->u.arr.n; j++)
						if (!used[j] && ld_equal(a->u.arr.items[i], b->u.arr.items[j], false))
							break;
					if (j == b->u.arr.n)
						ok = false;
					else
						used[j] = true;
				}
				free(used);
				return ok;
			}
	}
	return false;
}

/* canonical N-Quads of a dataset; NULL (with message) on failure */
static const char *
canon(mcj_arena *arena, const rdf_dataset *ds, mcj_error *err)
{
	mcj_buf		out;
	rdfc_options ro;

	memset(&ro, 0, sizeof(ro));
	mcj_buf_init(&out, arena, 1024);
	if (!rdfc_canonicalize(arena, ds, &ro, &out, NULL, NULL, err))
		return NULL;
	return out.data;
}

/* a bundled context: file name and URL (see pg_extension/contexts/README.md) */
static const char *const bundled[][2] = {
	{"credentials-v2.jsonld", "https://www.w3.org/ns/credentials/v2"},
	{"credentials-v1.jsonld", "https://www.w3.org/2018/credentials/v1"},
	{"credentials-examples-v2.jsonld", "https://www.w3.org/ns/credentials/examples/v2"},
	{"data-integrity-v2.jsonld", "https://w3id.org/security/data-integrity/v2"},
	{"multikey-v1.jsonld", "https://w3id.org/security/multikey/v1"},
	{"ob-v3p0-context-3.0.3.json", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"},
	{"citizenship-v4rc1.jsonld", "https://w3id.org/citizenship/v4rc1"},
	{NULL, NULL}
};

/* a cache holding the bundled contexts; NULL if one cannot be read */
static jsonld_cache *
bundled_cache(mcj_arena *arena, const char *dir)
{
	jsonld_cache *c = jsonld_cache_create(arena, NULL, NULL, 0);

	for (int i = 0; bundled[i][0]; i++)
	{
		char		path[1024];
		size_t		len;
		char	   *text;
		jsonld_error e;

		snprintf(path, sizeof(path), "%s/%s", dir, bundled[i][0]);
		text = read_file(path, &len);
		if (text == NULL)
		{
			fprintf(stderr, "# cannot read %s\n", path);
			return NULL;
		}
		if (!jsonld_cache_add_document(c, bundled[i][1], text, len, &e))
		{
			fprintf(stderr, "# %s: %s\n", path, e.error.message);
			free(text);
			return NULL;
		}
		free(text);
	}
	return c;
}

/* print one TAP line and count it */
static void
tap(counts *c, bool ok, const char *name, const char *skip, const char *diag)
{
	tap_n++;
	if (skip)
	{
		printf("ok %d - %s # SKIP %s\n", tap_n, name, skip);
		c->skip++;
	}
	else if (ok)
	{
		printf("ok %d - %s\n", tap_n, name);
		c->pass++;
	}
	else
	{
		printf("not ok %d - %s\n", tap_n, name);
		if (diag)
			printf("#   %s\n", diag);
		c->fail++;
		total_fail++;
	}
}

/* ------------------------------------------------------------------------
 * Data Integrity vectors
 * ------------------------------------------------------------------------
 */

/* toRdf + RDFC-1.0 of doc, compared byte for byte with the file expected */
static void
vector_check(counts *c, jsonld_cache *cache, const mcj_value *doc,
			 const char *expected_path, const char *name)
{
	mcj_arena  *arena = mcj_arena_create(NULL);
	jsonld_options opt;
	jsonld_error e;
	rdf_dataset ds;
	const char *got;
	char	   *want;
	size_t		wlen;
	mcj_error	ce;
	char		diag[400];

	memset(&opt, 0, sizeof(opt));
	opt.safe_mode = true;
	rdf_dataset_init(&ds, arena);
	want = read_file(expected_path, &wlen);
	if (want == NULL)
	{
		snprintf(diag, sizeof(diag), "cannot read %s", expected_path);
		tap(c, false, name, NULL, diag);
	}
	else if (!jsonld_to_rdf(cache, &opt, arena, doc, &ds, &e))
		tap(c, false, name, NULL, e.error.message);
	else if ((got = canon(arena, &ds, &ce)) == NULL)
		tap(c, false, name, NULL, ce.message);
	else if (strcmp(got, want) != 0)
	{
		printf("# got:\n%s# expected:\n%s", got, want);
		tap(c, false, name, NULL, "canonical N-Quads differ");
	}
	else
		tap(c, true, name, NULL, NULL);
	free(want);
	mcj_arena_destroy(arena);
}

/* run the eddsa-rdfc-2022 and Open Badges vectors */
static void
run_vectors(const char *root, const char *ctxdir, counts *c)
{
	mcj_arena  *carena = mcj_arena_create(NULL);
	mcj_arena  *arena = mcj_arena_create(NULL);
	jsonld_cache *cache = bundled_cache(carena, ctxdir);
	char		path[1024],
				exp[1024];
	mcj_error	pe;
	static const char *const di[][3] = {
		{"vc-di-eddsa/eddsa-rdfc-2022", "DataInt", "vector/eddsa-rdfc-2022"},
		{"vc-di-eddsa/eddsa-rdfc-2022/employ", "DataInt", "vector/eddsa-rdfc-2022-employ"},
		{NULL, NULL, NULL}
	};

	if (cache == NULL)
	{
		tap(c, false, "vector/contexts", NULL, "cannot load bundled contexts");
		return;
	}
	for (int i = 0; di[i][0]; i++)
	{
		mcj_value  *doc,
				   *pc;
		char		name[200];

		snprintf(path, sizeof(path), "%s/%s/signed%s.json", root, di[i][0], di[i][1]);
		doc = parse_file(arena, path, &pe);
		snprintf(name, sizeof(name), "%s document", di[i][2]);
		if (doc == NULL)
		{
			tap(c, false, name, "vector not found", NULL);
			continue;
		}
		mcj_object_remove(doc, "proof");
		snprintf(exp, sizeof(exp), "%s/%s/canonDoc%s.txt", root, di[i][0], di[i][1]);
		vector_check(c, cache, doc, exp, name);

		snprintf(path, sizeof(path), "%s/%s/proofConfig%s.json", root, di[i][0], di[i][1]);
		pc = parse_file(arena, path, &pe);
		snprintf(name, sizeof(name), "%s proof config", di[i][2]);
		if (pc == NULL)
			tap(c, false, name, NULL, pe.message);
		else
		{
			snprintf(exp, sizeof(exp), "%s/%s/proofCanon%s.txt", root, di[i][0], di[i][1]);
			vector_check(c, cache, pc, exp, name);
		}
	}

	/* Open Badges 3.0 */
	snprintf(path, sizeof(path), "%s/ob-v3p0/signed-credential.json", root);
	{
		mcj_value  *doc = parse_file(arena, path, &pe);

		if (doc == NULL)
			tap(c, false, "vector/ob-v3p0 document", "vector not found", NULL);
		else
		{
			mcj_value  *proof = mcj_copy(arena, mcj_object_get(doc, "proof"));

			mcj_object_remove(doc, "proof");
			snprintf(exp, sizeof(exp), "%s/ob-v3p0/document-canon.txt", root);
			vector_check(c, cache, doc, exp, "vector/ob-v3p0 document");
			if (proof)
			{
				mcj_object_remove(proof, "proofValue");
				mcj_object_set(arena, proof, "@context",
							   mcj_copy(arena, mcj_object_get(doc, "@context")));
				snprintf(exp, sizeof(exp), "%s/ob-v3p0/proof-canon.txt", root);
				vector_check(c, cache, proof, exp, "vector/ob-v3p0 proof config");
			}

			/* timing with warm caches */
			{
				jsonld_options opt;
				jsonld_error e;
				struct timespec t0,
							t1;
				int			iters = 20000;
				double		us;

				memset(&opt, 0, sizeof(opt));
				opt.safe_mode = true;
				clock_gettime(CLOCK_MONOTONIC, &t0);
				for (int k = 0; k < iters; k++)
				{
					mcj_arena  *a = mcj_arena_create(NULL);
					rdf_dataset ds;

					rdf_dataset_init(&ds, a);
					if (!jsonld_to_rdf(cache, &opt, a, doc, &ds, &e))
					{
						mcj_arena_destroy(a);
						break;
					}
					mcj_arena_destroy(a);
				}
				clock_gettime(CLOCK_MONOTONIC, &t1);
				us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / iters;
				printf("# ob-v3p0 credential expand+toRdf (warm cache): %.1f us/op, %zu cached contexts\n",
					   us, jsonld_cache_size(cache));
			}
		}
	}

	/* safe mode: an undefined term is an error naming the term */
	{
		const char *bad = "{\"@context\": [\"https://www.w3.org/ns/credentials/v2\"],"
			"\"type\": [\"VerifiableCredential\"], \"issuer\": \"did:example:1\","
			"\"credentialSubject\": {\"id\": \"did:example:2\", \"undefinedTerm\": 1}}";
		const char *relid = "{\"@context\": [\"https://www.w3.org/ns/credentials/v2\"],"
			"\"id\": \"relative/path\", \"type\": [\"VerifiableCredential\"]}";
		const char *prot = "{\"@context\": [\"https://www.w3.org/ns/credentials/v2\","
			"{\"name\": \"http://example.com/other\"}], \"name\": \"x\"}";
		const char *unk = "{\"@context\": [\"https://example.com/unknown/v1\"], \"a\": 1}";
		const char *badtype = "{\"@context\": [\"https://www.w3.org/ns/credentials/v2\"],"
			"\"type\": [\"VerifiableCredential\", \"MadeUpType\"], \"issuer\": \"did:example:1\"}";
		const char *relissuer = "{\"@context\": [\"https://www.w3.org/ns/credentials/v2\"],"
			"\"type\": [\"VerifiableCredential\"], \"issuer\": \"issuers/1\"}";
		const char *badlang = "{\"@context\": [\"https://www.w3.org/ns/credentials/v2\"],"
			"\"type\": [\"VerifiableCredential\"], \"name\": {\"@value\": \"x\", \"@language\": \"not a tag\"}}";
		const char *atkey = "{\"@context\": [\"https://www.w3.org/ns/credentials/v2\"],"
			"\"type\": [\"VerifiableCredential\"], \"@custom\": 1}";
		const char *bnpred = "{\"@context\": [\"https://www.w3.org/ns/credentials/v2\"],"
			"\"type\": [\"VerifiableCredential\"], \"_:pred\": 1}";
		const char *nullterm = "{\"@context\": [\"https://www.w3.org/ns/credentials/v2\","
			"\"https://www.w3.org/ns/credentials/examples/v2\", {\"secret\": null}],"
			"\"type\": [\"VerifiableCredential\"], \"secret\": 1}";
		const char *direction = "{\"@context\": [\"https://www.w3.org/ns/credentials/v2\"],"
			"\"type\": [\"VerifiableCredential\"], \"name\": {\"@value\": \"x\", \"@direction\": \"rtl\"}}";
		const char *cases[][3] = {
			{bad, "undefinedTerm", "safe mode: undefined term is an error"},
			{relid, "relative/path", "safe mode: relative @id without base is an error"},
			{badtype, "MadeUpType", "safe mode: undefined type is an error"},
			{relissuer, "issuers/1", "safe mode: relative @id-typed value is an error"},
			{badlang, "not a tag", "safe mode: ill-formed language tag is an error"},
			{atkey, "@custom", "safe mode: keyword-like key is an error"},
			{bnpred, "_:pred", "safe mode: blank node predicate is an error"},
			{nullterm, "secret", "safe mode: term defined as null is an error"},
			{direction, "@direction", "safe mode: @direction (not representable) is an error"},
			{prot, "protected term redefinition", "protected term redefinition is an error"},
			{unk, "unknown context URL https://example.com/unknown/v1", "unknown context URL is an error"},
			{NULL, NULL, NULL}
		};

		for (int i = 0; cases[i][0]; i++)
		{
			mcj_arena  *a = mcj_arena_create(NULL);
			mcj_parse_options po;
			mcj_value  *doc;
			jsonld_options opt;
			jsonld_error e;
			rdf_dataset ds;
			char		name[200];

			memset(&po, 0, sizeof(po));
			memset(&opt, 0, sizeof(opt));
			opt.safe_mode = true;
			rdf_dataset_init(&ds, a);
			doc = mcj_parse(a, cases[i][0], strlen(cases[i][0]), &po, &pe);
			snprintf(name, sizeof(name), "vector/%s", cases[i][2]);
			if (doc == NULL)
				tap(c, false, name, NULL, pe.message);
			else if (jsonld_to_rdf(cache, &opt, a, doc, &ds, &e))
				tap(c, false, name, NULL, "no error");
			else
				tap(c, strstr(e.error.message, cases[i][1]) != NULL, name, NULL,
					e.error.message);
			printf("#   -> %s\n", e.error.message);
			mcj_arena_destroy(a);
		}
	}

	/* a failing combination of cached contexts is remembered, not rebuilt */
	{
		const char *text = "{\"@context\": [\"https://www.w3.org/2018/credentials/v1\","
			"\"https://www.w3.org/ns/credentials/v2\"], \"type\": \"VerifiableCredential\"}";
		size_t		before = 0,
					after = 0;
		bool		all_failed = true;
		char		first[160] = "";

		for (int i = 0; i < 50; i++)
		{
			mcj_arena  *a = mcj_arena_create(NULL);
			mcj_parse_options po;
			mcj_value  *doc;
			jsonld_options opt;
			jsonld_error e;
			rdf_dataset ds;

			memset(&po, 0, sizeof(po));
			memset(&opt, 0, sizeof(opt));
			opt.safe_mode = true;
			rdf_dataset_init(&ds, a);
			doc = mcj_parse(a, text, strlen(text), &po, &pe);
			if (doc == NULL || jsonld_to_rdf(cache, &opt, a, doc, &ds, &e))
				all_failed = false;
			else if (i == 0)
				snprintf(first, sizeof(first), "%s", e.error.message);
			else if (strcmp(first, e.error.message) != 0)
				all_failed = false;
			if (i == 0)
				before = jsonld_cache_size(cache);
			after = jsonld_cache_size(cache);
			mcj_arena_destroy(a);
		}
		printf("#   -> %s\n", first);
		tap(c, all_failed && before == after && strstr(first, "protected term redefinition"),
			"vector/failing cached context combination is remembered (cache does not grow)",
			NULL, first);
	}

	/* hostile nesting: 10,000 levels built directly (bypassing the parser) */
	{
		mcj_arena  *a = mcj_arena_create(NULL);
		mcj_value  *root = mcj_object(a);
		mcj_value  *cur = root;
		mcj_value  *ctx = mcj_object(a);
		jsonld_options opt;
		jsonld_error e;
		rdf_dataset ds;
		bool		ok;

		mcj_object_add(a, ctx, "@vocab", 6, mcj_cstring(a, "http://example.com/"));
		mcj_object_add(a, root, "@context", 8, ctx);
		for (int i = 0; i < 10000; i++)
		{
			mcj_value  *n = mcj_object(a);
			mcj_value  *arr = mcj_array(a);

			mcj_array_append(a, arr, n);
			mcj_object_add(a, cur, "p", 1, arr);
			cur = n;
		}
		memset(&opt, 0, sizeof(opt));
		rdf_dataset_init(&ds, a);
		ok = jsonld_to_rdf(cache, &opt, a, root, &ds, &e);
		tap(c, !ok && strcmp(e.code, JSONLD_ERR_LIMIT) == 0,
			"vector/10000-level nesting is refused by the depth limit", NULL,
			e.error.message);
		mcj_arena_destroy(a);
	}
	mcj_arena_destroy(arena);
	mcj_arena_destroy(carena);
}

/* ------------------------------------------------------------------------
 * The W3C suite
 * ------------------------------------------------------------------------
 */

/* tests known to be outside the implemented scope, with the reason */
static const char *const skip_table[][2] = {
	{NULL, NULL}
};

/* string member or NULL */
static const char *
sget(const mcj_value *o, const char *k)
{
	const mcj_value *v = o ? mcj_object_get(o, k) : NULL;

	return (v && v->type == MCJ_STRING) ? v->u.str.s : NULL;
}

/* does the @type of a test include t? */
static bool
has_type(const mcj_value *test, const char *t)
{
	const mcj_value *ty = mcj_object_get(test, "@type");

	if (ty == NULL)
		return false;
	if (ty->type == MCJ_STRING)
		return strcmp(ty->u.str.s, t) == 0;
	for (size_t i = 0; ty->type == MCJ_ARRAY && i < ty->u.arr.n; i++)
		if (mcj_is_string(ty->u.arr.items[i], t))
			return true;
	return false;
}

/* the reason a test is out of scope, or NULL */
static const char *
skip_reason(const char *kind, const char *id, const mcj_value *test)
{
	const mcj_value *opt = mcj_object_get(test, "option");
	const char *input = sget(test, "input");
	char		full[64];

	snprintf(full, sizeof(full), "%s/%s", kind, id[0] == '#' ? id + 1 : id);
	for (int i = 0; skip_table[i][0]; i++)
		if (strcmp(skip_table[i][0], full) == 0)
			return skip_table[i][1];
	if (sget(opt, "specVersion") && strcmp(sget(opt, "specVersion"), "json-ld-1.0") == 0)
		return "JSON-LD 1.0 only";
	if (sget(opt, "processingMode") && strcmp(sget(opt, "processingMode"), "json-ld-1.0") == 0)
		return "processingMode json-ld-1.0 not supported";
	if (sget(opt, "rdfDirection"))
		return "rdfDirection (i18n-datatype / compound-literal) not supported";
	if (opt && mcj_object_get(opt, "produceGeneralizedRdf"))
		return "generalized RDF not supported";
	if (input && !strstr(input, ".jsonld"))
		return "non-JSON input (HTML) not supported";
	if (has_type(test, "jld:HtmlTest"))
		return "HTML not supported";
	return NULL;
}

/* run one manifest ("expand" or "toRdf") */
static void
run_manifest(const char *dir, const char *kind, counts *c)
{
	mcj_arena  *marena = mcj_arena_create(NULL);
	char		path[1024];
	mcj_error	pe;
	mcj_value  *man;
	mcj_value  *seq;
	bool		is_rdf = strcmp(kind, "toRdf") == 0;

	snprintf(path, sizeof(path), "%s/%s-manifest.jsonld", dir, kind);
	man = parse_file(marena, path, &pe);
	if (man == NULL || (seq = mcj_object_get(man, "sequence")) == NULL ||
		seq->type != MCJ_ARRAY)
	{
		char		name[100];

		snprintf(name, sizeof(name), "%s manifest", kind);
		tap(c, false, name, NULL, man ? "no sequence" : pe.message);
		mcj_arena_destroy(marena);
		return;
	}
	for (size_t i = 0; i < seq->u.arr.n; i++)
	{
		const mcj_value *test = seq->u.arr.items[i];
		const char *id = sget(test, "@id");
		const char *input = sget(test, "input");
		const char *expect = sget(test, "expect");
		const char *ecode = sget(test, "expectErrorCode");
		const mcj_value *opt = mcj_object_get(test, "option");
		const char *reason;
		char		name[300];
		char		url[1024];
		char		diag[600];
		mcj_arena  *a;
		mcj_arena  *ca;
		jsonld_cache *cache;
		jsonld_options jo;
		jsonld_error e;
		mcj_value  *doc;
		bool		negative = has_type(test, "jld:NegativeEvaluationTest");
		bool		syntax = has_type(test, "jld:PositiveSyntaxTest");
		bool		ok = false;

		if (id == NULL || input == NULL)
			continue;
		snprintf(name, sizeof(name), "%s/%s %.200s", kind, id[0] == '#' ? id + 1 : id,
				 sget(test, "name") ? sget(test, "name") : "");
		if ((reason = skip_reason(kind, id, test)) != NULL)
		{
			tap(c, true, name, reason, NULL);
			continue;
		}
		a = mcj_arena_create(NULL);
		ca = mcj_arena_create(NULL);
		cache = jsonld_cache_create(ca, suite_loader, (void *) dir, 0);
		memset(&jo, 0, sizeof(jo));
		snprintf(url, sizeof(url), "%s%s", SUITE_URL, input);
		jo.base = sget(opt, "base") ? sget(opt, "base") : url;
		if (sget(opt, "expandContext"))
		{
			snprintf(path, sizeof(path), "%s/%s", dir, sget(opt, "expandContext"));
			jo.expand_context = parse_file(a, path, &pe);
		}
		snprintf(path, sizeof(path), "%s/%s", dir, input);
		doc = parse_file(a, path, &pe);
		diag[0] = '\0';
		if (doc == NULL)
		{
			ok = negative && ecode && strcmp(ecode, "loading document failed") == 0;
			snprintf(diag, sizeof(diag), "input: %s", pe.message);
		}
		else if (!is_rdf)
		{
			mcj_value  *out;
			bool		r = jsonld_expand(cache, &jo, a, doc, &out, &e);

			if (negative)
			{
				ok = !r && ecode && strcmp(e.code, ecode) == 0;
				snprintf(diag, sizeof(diag), "expected error \"%s\", got %s", ecode ? ecode : "",
						 r ? "success" : e.error.message);
			}
			else if (!r)
				snprintf(diag, sizeof(diag), "%s", e.error.message);
			else
			{
				mcj_value  *want;

				snprintf(path, sizeof(path), "%s/%s", dir, expect ? expect : "");
				want = parse_file(a, path, &pe);
				if (want == NULL)
					snprintf(diag, sizeof(diag), "expected: %s", pe.message);
				else if (!(ok = ld_equal(out, want, false)))
				{
					mcj_buf		b;

					mcj_buf_init(&b, a, 256);
					mcj_write(&b, out);
					snprintf(diag, sizeof(diag), "got %.560s", b.data);
				}
			}
		}
		else
		{
			rdf_dataset ds;
			bool		r;

			rdf_dataset_init(&ds, a);
			r = jsonld_to_rdf(cache, &jo, a, doc, &ds, &e);
			if (negative)
			{
				ok = !r && ecode && strcmp(e.code, ecode) == 0;
				snprintf(diag, sizeof(diag), "expected error \"%s\", got %s", ecode ? ecode : "",
						 r ? "success" : e.error.message);
			}
			else if (!r)
				snprintf(diag, sizeof(diag), "%s", e.error.message);
			else if (syntax && expect == NULL)
				ok = true;
			else
			{
				size_t		wlen;
				char	   *want;
				rdf_dataset wds;
				const char *g,
						   *w;
				mcj_error	ce;

				snprintf(path, sizeof(path), "%s/%s", dir, expect ? expect : "");
				want = read_file(path, &wlen);
				rdf_dataset_init(&wds, a);
				if (want == NULL)
					snprintf(diag, sizeof(diag), "cannot read %.500s", path);
				else if (!nquads_parse(a, want, wlen, &wds, &ce))
					snprintf(diag, sizeof(diag), "expected N-Quads: %s", ce.message);
				else if ((g = canon(a, &ds, &ce)) == NULL || (w = canon(a, &wds, &ce)) == NULL)
					snprintf(diag, sizeof(diag), "canonicalization: %s", ce.message);
				else if (!(ok = strcmp(g, w) == 0))
					snprintf(diag, sizeof(diag), "got:\n%.250s\n# want:\n%.250s", g, w);
				free(want);
			}
		}
		tap(c, ok, name, NULL, diag);
		mcj_arena_destroy(a);
		mcj_arena_destroy(ca);
	}
	mcj_arena_destroy(marena);
}

/* entry point */
int
main(int argc, char **argv)
{
	const char *suite = argc > 1 ? argv[1] : "../shared/testsuites/json-ld-api";
	const char *ctxdir = argc > 2 ? argv[2] : "pg_extension/contexts";
	const char *vectors = argc > 3 ? argv[3] : "tests/data";
	struct stat sb;
	counts		cv = {0},
				ce = {0},
				cr = {0};

	/* the vectors are project data (tests/data); the W3C suite is optional */
	run_vectors(vectors, ctxdir, &cv);
	if (stat(suite, &sb) != 0 || !S_ISDIR(sb.st_mode))
		printf("# skipped: the W3C JSON-LD suite is not at %s\n", suite);
	else
	{
		run_manifest(suite, "expand", &ce);
		run_manifest(suite, "toRdf", &cr);
	}
	printf("1..%d\n", tap_n);
	printf("# vectors: %d passed, %d failed, %d skipped\n", cv.pass, cv.fail, cv.skip);
	printf("# expand: %d passed, %d failed, %d skipped\n", ce.pass, ce.fail, ce.skip);
	printf("# toRdf: %d passed, %d failed, %d skipped\n", cr.pass, cr.fail, cr.skip);
	printf("jsonld: %d passed, %d failed, %d skipped\n",
		   cv.pass + ce.pass + cr.pass, total_fail, cv.skip + ce.skip + cr.skip);
	return total_fail ? 1 : 0;
}
