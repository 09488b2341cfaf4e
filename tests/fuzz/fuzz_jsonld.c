/*-------------------------------------------------------------------------
 *
 * fuzz_jsonld.c
 *	  libFuzzer target for jsonld.c: parse the input as JSON, then expand
 *	  and convert it to RDF (and canonicalize small results) with the
 *	  bundled contexts registered in a cache shared across inputs, under
 *	  small limits.  Any crash, sanitizer report or leak is a finding;
 *	  errors returned as values are expected.
 *
 * Build (from the repository root):
 *	  clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
 *		-Ipg_extension -o fuzz_jsonld tests/fuzz/fuzz_jsonld.c \
 *		pg_extension/jsonld.c pg_extension/mcjson.c pg_extension/rdf.c \
 *		pg_extension/nquads.c pg_extension/rdfc.c -lcrypto -lm
 * Run:
 *	  ./fuzz_jsonld tests/fuzz/corpus/jsonld
 *
 * The contexts are read from $JSONLD_CONTEXTS_DIR, else from
 * pg_extension/contexts relative to the working directory or to this
 * source file.
 *
 * The first input byte selects options when it is not '{' or '[':
 * bit 0 safe mode, bit 1 a base IRI.
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonld.h"
#include "mcjson.h"
#include "rdf.h"

static mcj_arena *cache_arena;
static jsonld_cache *cache;

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

/* read a whole file, or NULL */
static char *
slurp(const char *path, size_t *len)
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

/* register the bundled contexts found in dir; false if one is missing */
static bool
load_contexts(const char *dir)
{
	for (int i = 0; bundled[i][0]; i++)
	{
		char		path[1024];
		size_t		len;
		char	   *text;
		jsonld_error e;
		bool		ok;

		snprintf(path, sizeof(path), "%s/%s", dir, bundled[i][0]);
		if ((text = slurp(path, &len)) == NULL)
			return false;
		ok = jsonld_cache_add_document(cache, bundled[i][1], text, len, &e);
		free(text);
		if (!ok)
			return false;
	}
	return true;
}

/* libFuzzer initialization: build the shared cache */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *env = getenv("JSONLD_CONTEXTS_DIR");
	char		dir[1024];
	const char *slash;

	(void) argc;
	(void) argv;
	cache_arena = mcj_arena_create(NULL);
	cache = jsonld_cache_create(cache_arena, NULL, NULL, 256);
	if (env && load_contexts(env))
		return 0;
	if (load_contexts("pg_extension/contexts"))
		return 0;
	slash = strrchr(__FILE__, '/');
	snprintf(dir, sizeof(dir), "%.*s/../../pg_extension/contexts",
			 slash ? (int) (slash - __FILE__) : 1, slash ? __FILE__ : ".");
	if (load_contexts(dir))
		return 0;
	fprintf(stderr, "fuzz_jsonld: bundled contexts not found; set JSONLD_CONTEXTS_DIR\n");
	abort();
}

/* one input */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mcj_arena  *arena;
	mcj_parse_options po;
	mcj_error	pe;
	mcj_value  *doc;
	jsonld_options opt;
	jsonld_error e;
	rdf_dataset ds;
	unsigned	flags = 0;

	if (size > 65536)
		return 0;
	if (size > 0 && data[0] != '{' && data[0] != '[')
	{
		flags = data[0];
		data++;
		size--;
	}
	arena = mcj_arena_create(NULL);
	memset(&po, 0, sizeof(po));
	po.max_depth = 64;
	doc = mcj_parse(arena, (const char *) data, size, &po, &pe);
	if (doc == NULL)
	{
		mcj_arena_destroy(arena);
		return 0;
	}
	memset(&opt, 0, sizeof(opt));
	opt.safe_mode = (flags & 1) != 0;
	opt.base = (flags & 2) ? "https://example.com/dir/doc?q=1" : NULL;
	opt.max_depth = 48;
	opt.max_nodes = 20000;
	opt.max_quads = 5000;
	rdf_dataset_init(&ds, arena);
	if (jsonld_to_rdf(cache, &opt, arena, doc, &ds, &e))
	{
		if (ds.n <= 64)
		{
			rdfc_options ro;
			mcj_buf		out;
			mcj_error	ce;

			memset(&ro, 0, sizeof(ro));
			ro.max_ndegree_calls = 2000;
			mcj_buf_init(&out, arena, 256);
			(void) rdfc_canonicalize(arena, &ds, &ro, &out, NULL, NULL, &ce);
		}
	}
	else if (e.code == NULL || strncmp(e.error.message, e.code, strlen(e.code)) != 0)
		abort();				/* every error carries its code */
	mcj_arena_destroy(arena);
	return 0;
}
