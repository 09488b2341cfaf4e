/*-------------------------------------------------------------------------
 *
 * rdfc_suite.c
 *	  Runs the W3C RDF Dataset Canonicalization (RDFC-1.0) test suite
 *	  against nquads.c and rdfc.c and reports in TAP.
 *
 * Usage: rdfc_suite [-m] [SUITE_DIR]
 *	  SUITE_DIR defaults to tests/data/rdf-canon (manifest.jsonld, rdfc10/).
 *	  -m also prints, for each test, the smallest work bound
 *	  (rdfc_options.max_ndegree_calls) with which it succeeds.
 *
 * Test types:
 *	  rdfc:RDFC10EvalTest		  output must equal the expected .nq file byte
 *								  for byte; the output, parsed and
 *								  canonicalized again, must be unchanged
 *	  rdfc:RDFC10MapTest		  issued identifiers must equal the JSON map
 *	  rdfc:RDFC10NegativeEvalTest canonicalization must fail with the work
 *								  limit error under the default bound
 * Entries may carry hashAlgorithm ("SHA256", "SHA384").
 *
 * Exits 0 when every test passes.  The manifest is read with jansson.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rdf.h"

#define WORK_ERROR "canonicalization exceeded its work limit"

/* read a whole file into a malloc'd NUL-terminated buffer */
static char *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *data = NULL;
	size_t		cap = 0;
	size_t		n = 0;

	if (f == NULL)
		return NULL;
	for (;;)
	{
		size_t		got;

		if (cap - n < 4096)
		{
			char	   *nd;

			cap = cap ? cap * 2 : 8192;
			nd = realloc(data, cap);
			if (nd == NULL)
			{
				free(data);
				fclose(f);
				return NULL;
			}
			data = nd;
		}
		got = fread(data + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	data[n] = '\0';
	*len = n;
	return data;
}

/* parse and canonicalize the file at path; returns false with *err */
static bool
canonicalize_file(mcj_arena *arena, const char *path, const char *alg,
				  long bound, mcj_buf *out, rdfc_mapping **map, size_t *nmap,
				  mcj_error *err)
{
	size_t		len;
	char	   *text = read_file(path, &len);
	rdf_dataset ds;
	rdfc_options opts;
	bool		ok;

	if (text == NULL)
	{
		snprintf(err->message, sizeof(err->message), "cannot read %s", path);
		return false;
	}
	ok = nquads_parse(arena, text, len, &ds, err);
	free(text);
	if (!ok)
		return false;
	memset(&opts, 0, sizeof(opts));
	opts.hash_algorithm = alg;
	opts.max_ndegree_calls = bound;
	return rdfc_canonicalize(arena, &ds, &opts, out, map, nmap, err);
}

/* smallest bound with which the test input canonicalizes, or -1 */
static long
min_bound(const char *path, const char *alg)
{
	long		lo = 1;
	long		hi = 1;

	for (;;)
	{
		mcj_arena  *arena = mcj_arena_create(NULL);
		mcj_buf		out;
		mcj_error	err;
		bool		ok = canonicalize_file(arena, path, alg, hi, &out, NULL, NULL, &err);

		mcj_arena_destroy(arena);
		if (ok)
			break;
		if (strcmp(err.message, WORK_ERROR) != 0 || hi > 1000000)
			return -1;
		lo = hi + 1;
		hi *= 2;
	}
	while (lo < hi)
	{
		long		mid = lo + (hi - lo) / 2;
		mcj_arena  *arena = mcj_arena_create(NULL);
		mcj_buf		out;
		mcj_error	err;
		bool		ok = canonicalize_file(arena, path, alg, mid, &out, NULL, NULL, &err);

		mcj_arena_destroy(arena);
		if (ok)
			hi = mid;
		else
			lo = mid + 1;
	}
	return hi;
}

/* print a diagnostic block, each line prefixed with "# " */
static void
diag_text(const char *title, const char *text)
{
	const char *p = text;

	printf("#   %s:\n", title);
	while (*p)
	{
		const char *e = strchr(p, '\n');
		int			n = e ? (int) (e - p) : (int) strlen(p);

		printf("#     %.*s\n", n, p);
		if (!e)
			break;
		p = e + 1;
	}
}

/* run one eval test; returns whether it passed */
static bool
run_eval(const char *dir, const char *action, const char *result,
		 const char *alg)
{
	char		path[4096];
	mcj_arena  *arena = mcj_arena_create(NULL);
	mcj_buf		out;
	mcj_error	err;
	char	   *expected;
	size_t		elen;
	bool		pass = false;

	snprintf(path, sizeof(path), "%s/%s", dir, action);
	if (!canonicalize_file(arena, path, alg, 0, &out, NULL, NULL, &err))
	{
		printf("#   canonicalization failed: %s\n", err.message);
		goto done;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, result);
	expected = read_file(path, &elen);
	if (expected == NULL)
	{
		printf("#   cannot read %s\n", path);
		goto done;
	}
	if (elen == out.len && memcmp(expected, out.data, elen) == 0)
		pass = true;
	else
	{
		diag_text("expected", expected);
		diag_text("got", out.data);
	}
	free(expected);

	/* the canonical form must be a fixed point */
	if (pass)
	{
		rdf_dataset ds2;
		mcj_buf		out2;
		rdfc_options opts;

		memset(&opts, 0, sizeof(opts));
		opts.hash_algorithm = alg;
		if (!nquads_parse(arena, out.data, out.len, &ds2, &err) ||
			!rdfc_canonicalize(arena, &ds2, &opts, &out2, NULL, NULL, &err))
		{
			printf("#   canonical output does not canonicalize again: %s\n",
				   err.message);
			pass = false;
		}
		else if (out2.len != out.len || memcmp(out2.data, out.data, out.len) != 0)
		{
			printf("#   canonical output is not a fixed point\n");
			pass = false;
		}
	}
done:
	mcj_arena_destroy(arena);
	return pass;
}

/* run one map test; returns whether it passed */
static bool
run_map(const char *dir, const char *action, const char *result,
		const char *alg)
{
	char		path[4096];
	mcj_arena  *arena = mcj_arena_create(NULL);
	mcj_buf		out;
	mcj_error	err;
	rdfc_mapping *map;
	size_t		nmap;
	json_t	   *expected = NULL;
	json_error_t jerr;
	bool		pass = false;

	snprintf(path, sizeof(path), "%s/%s", dir, action);
	if (!canonicalize_file(arena, path, alg, 0, &out, &map, &nmap, &err))
	{
		printf("#   canonicalization failed: %s\n", err.message);
		goto done;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, result);
	expected = json_load_file(path, 0, &jerr);
	if (expected == NULL || !json_is_object(expected))
	{
		printf("#   cannot read map %s: %s\n", path, jerr.text);
		goto done;
	}
	pass = (json_object_size(expected) == nmap);
	for (size_t i = 0; i < nmap && pass; i++)
	{
		json_t	   *v = json_object_get(expected, map[i].input_label);

		if (v == NULL || !json_is_string(v) ||
			strcmp(json_string_value(v), map[i].canonical_label) != 0)
			pass = false;
	}
	if (!pass)
	{
		char	   *s = json_dumps(expected, JSON_SORT_KEYS);

		printf("#   expected map: %s\n#   got map:", s ? s : "?");
		free(s);
		for (size_t i = 0; i < nmap; i++)
			printf(" %s=%s", map[i].input_label, map[i].canonical_label);
		printf("\n");
	}
done:
	json_decref(expected);
	mcj_arena_destroy(arena);
	return pass;
}

/* run one negative test; returns whether it passed (failed as required) */
static bool
run_negative(const char *dir, const char *action, const char *alg)
{
	char		path[4096];
	mcj_arena  *arena = mcj_arena_create(NULL);
	mcj_buf		out;
	mcj_error	err;
	bool		pass = false;

	snprintf(path, sizeof(path), "%s/%s", dir, action);
	if (canonicalize_file(arena, path, alg, 0, &out, NULL, NULL, &err))
		printf("#   canonicalization succeeded but must fail\n");
	else if (strcmp(err.message, WORK_ERROR) != 0)
		printf("#   failed with \"%s\", expected \"%s\"\n", err.message, WORK_ERROR);
	else
		pass = true;
	mcj_arena_destroy(arena);
	return pass;
}

/* string member of a JSON object, or NULL */
static const char *
member(json_t *obj, const char *key)
{
	json_t	   *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int
main(int argc, char **argv)
{
	const char *dir = "tests/data/rdf-canon";
	bool		measure = false;
	char		path[4096];
	json_t	   *manifest;
	json_t	   *entries;
	json_error_t jerr;
	size_t		nentries;
	int			passed = 0;
	int			failed = 0;
	long		max_bound = 0;
	const char *max_bound_test = "";

	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "-m") == 0)
			measure = true;
		else
			dir = argv[i];
	}

	snprintf(path, sizeof(path), "%s/manifest.jsonld", dir);
	manifest = json_load_file(path, 0, &jerr);
	if (manifest == NULL)
	{
		printf("Bail out! cannot read %s: %s\n", path, jerr.text);
		return 2;
	}
	entries = json_object_get(manifest, "entries");
	if (!json_is_array(entries))
	{
		printf("Bail out! %s has no entries array\n", path);
		return 2;
	}
	nentries = json_array_size(entries);
	printf("1..%zu\n", nentries);

	for (size_t i = 0; i < nentries; i++)
	{
		json_t	   *e = json_array_get(entries, i);
		const char *id = member(e, "id");
		const char *type = member(e, "type");
		const char *name = member(e, "name");
		const char *action = member(e, "action");
		const char *result = member(e, "result");
		const char *alg = member(e, "hashAlgorithm");
		bool		pass;

		if (id && id[0] == '#')
			id++;
		if (type == NULL || action == NULL)
			pass = false;
		else if (strcmp(type, "rdfc:RDFC10EvalTest") == 0 && result)
			pass = run_eval(dir, action, result, alg);
		else if (strcmp(type, "rdfc:RDFC10MapTest") == 0 && result)
			pass = run_map(dir, action, result, alg);
		else if (strcmp(type, "rdfc:RDFC10NegativeEvalTest") == 0)
			pass = run_negative(dir, action, alg);
		else
		{
			printf("#   unknown test type %s\n", type ? type : "(none)");
			pass = false;
		}
		printf("%s %zu - %s %s\n", pass ? "ok" : "not ok", i + 1,
			   id ? id : "?", name ? name : "");
		if (pass)
			passed++;
		else
			failed++;

		if (measure && action && type &&
			strcmp(type, "rdfc:RDFC10NegativeEvalTest") != 0)
		{
			long		b;

			snprintf(path, sizeof(path), "%s/%s", dir, action);
			b = min_bound(path, alg);
			printf("#   minimal work bound: %ld\n", b);
			if (b > max_bound)
			{
				max_bound = b;
				max_bound_test = id ? id : "?";
			}
		}
	}
	if (measure)
		printf("# largest minimal work bound: %ld (%s)\n", max_bound, max_bound_test);
	json_decref(manifest);
	printf("rdfc_suite: %d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
