/*-------------------------------------------------------------------------
 *
 * fuzz_rdfc.c
 *	  libFuzzer target for the N-Quads reader/writer (nquads.c) and RDF
 *	  Dataset Canonicalization (rdfc.c).
 *
 * For each input that parses as N-Quads:
 *	  1. canonicalize it with a small work bound (hostile inputs with many
 *		 interchangeable blank nodes must stop with the work limit error,
 *		 not run away);
 *	  2. parse the canonical output and canonicalize it again: the result
 *		 must be byte for byte the same (the canonical form is a fixed
 *		 point);
 *	  3. canonicalize an isomorphic copy (quads in reverse order, blank
 *		 nodes renamed): the result must be the same again.
 *	  The comparisons of 2 and 3 are made only when no graph name is a
 *	  blank node.  With blank graph names RDFC-1.0 itself is neither
 *	  invariant nor idempotent: Hash Related Blank Node does not record
 *	  where the reference node sits in a quad whose three positions are
 *	  blank, so two nodes that are not interchangeable can get equal Hash
 *	  N-Degree Quads hashes, and then the input order decides between them.
 *	  The reference implementation (rdf-canonize 5.0.0) gives the same
 *	  outputs as rdfc.c: for the quads
 *		  _:x <urn:p> _:y _:g1 .
 *		  _:y <urn:p> _:x _:g2 .
 *		  _:s <urn:q> _:g2 .
 *	  swapping the first two lines swaps the graph names in the output.
 *	  This is a property of the algorithm, not a bug to report;
 *	  4. inputs of odd length are also canonicalized with SHA-384.
 * An input starting with byte 0xFF (never valid N-Quads) is instead read
 * as a compact graph description, four bytes a quad, which lets the
 * fuzzer explore graph shapes (symmetric and near-symmetric blank node
 * structures) much faster than by mutating N-Quads text.
 * Any violation calls abort().  A run that hits the work bound is not a
 * finding; any other error after step 1 succeeded is.
 *
 * Build and run (-fno-sanitize-recover makes undefined behaviour fatal):
 *	  clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *		  -fno-sanitize-recover=all -Ipg_extension \
 *		  tests/fuzz/fuzz_rdfc.c pg_extension/rdfc.c pg_extension/nquads.c \
 *		  pg_extension/rdf.c pg_extension/mcjson.c -lcrypto -o fuzz_rdfc
 *	  ./fuzz_rdfc -max_len=4096 NEW_CORPUS_DIR tests/fuzz/corpus/rdfc
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdf.h"

#define FUZZ_MAX_INPUT	(64 * 1024)
#define FUZZ_WORK		3000		/* work bound: keeps each input fast */
#define WORK_ERROR		"canonicalization exceeded its work limit"

/* stop with a message; libFuzzer records the input */
static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_rdfc: %s%s%s\n", what, detail ? ": " : "",
			detail ? detail : "");
	abort();
}

/* an isomorphic copy of ds: reversed quad order, blank nodes renamed */
static void
shuffled_copy(mcj_arena *arena, const rdf_dataset *ds, rdf_dataset *out)
{
	rdf_dataset_init(out, arena);
	for (size_t i = ds->n; i > 0; i--)
	{
		rdf_quad	q = ds->quads[i - 1];
		rdf_term   *terms[3] = {&q.subject, &q.object, &q.graph};

		for (int k = 0; k < 3; k++)
		{
			if (terms[k]->kind == RDF_TERM_BLANK)
			{
				char	   *l = mcj_alloc(arena, terms[k]->len + 3);

				if (l == NULL)
					fail("out of memory", NULL);
				l[0] = 'r';
				l[1] = 'x';
				memcpy(l + 2, terms[k]->value, terms[k]->len + 1);
				terms[k]->value = l;
				terms[k]->len += 2;
			}
		}
		rdf_dataset_add(out, &q);
	}
}

/* canonicalize ds and check the properties above; alg NULL = SHA-256 */
static void
check(mcj_arena *arena, const rdf_dataset *ds, const char *alg)
{
	rdfc_options opts;
	mcj_buf		out1;
	mcj_buf		out2;
	mcj_buf		out3;
	mcj_error	err;
	rdf_dataset ds2;
	rdf_dataset ds3;
	rdfc_mapping *map;
	size_t		nmap;
	bool		comparable = true;	/* see the header comment */

	memset(&opts, 0, sizeof(opts));
	opts.max_ndegree_calls = FUZZ_WORK;
	opts.hash_algorithm = alg;

	if (!rdfc_canonicalize(arena, ds, &opts, &out1, &map, &nmap, &err))
	{
		if (strcmp(err.message, WORK_ERROR) != 0)
			fail("canonicalization of a parsed dataset failed", err.message);
		return;
	}
	for (size_t i = 0; i < nmap; i++)
	{
		char		expect[32];

		snprintf(expect, sizeof(expect), "c14n%zu", i);
		if (strcmp(map[i].canonical_label, expect) != 0)
			fail("issued identifiers out of sequence", map[i].canonical_label);
	}

	for (size_t i = 0; i < ds->n; i++)
		if (ds->quads[i].graph.kind == RDF_TERM_BLANK)
			comparable = false;

	/* fixed point */
	if (!nquads_parse(arena, out1.data, out1.len, &ds2, &err))
	{
		fprintf(stderr, "%s", out1.data);
		fail("canonical output does not parse", err.message);
	}
	if (!rdfc_canonicalize(arena, &ds2, &opts, &out2, NULL, NULL, &err))
	{
		if (strcmp(err.message, WORK_ERROR) != 0)
			fail("canonical output does not canonicalize", err.message);
	}
	else if (comparable &&
			 (out2.len != out1.len || memcmp(out1.data, out2.data, out1.len) != 0))
	{
		fprintf(stderr, "first:\n%s\nsecond:\n%s", out1.data, out2.data);
		fail("canonical form is not a fixed point", NULL);
	}

	/* invariance under relabelling and reordering */
	if (!comparable)
		return;
	shuffled_copy(arena, ds, &ds3);
	if (!rdfc_canonicalize(arena, &ds3, &opts, &out3, NULL, NULL, &err))
	{
		if (strcmp(err.message, WORK_ERROR) != 0)
			fail("isomorphic copy does not canonicalize", err.message);
	}
	else if (out3.len != out1.len || memcmp(out1.data, out3.data, out1.len) != 0)
	{
		fprintf(stderr, "original:\n%s\nisomorphic copy:\n%s", out1.data, out3.data);
		fail("isomorphic datasets canonicalize differently", NULL);
	}
}

/*
 * Build N-Quads text from a compact description: byte 1 gives the number
 * of blank nodes (low four bits) and whether graph names may be blank
 * (high bit), then each group of four bytes (s, p, o, g) is a quad.
 */
static void
describe_graph(mcj_buf *buf, const uint8_t *data, size_t size)
{
	int			nb = (size > 1) ? (data[1] & 0x0F) + 1 : 1;
	bool		blank_graphs = (size > 1) && (data[1] & 0x80);

	for (size_t i = 2; i + 4 <= size; i += 4)
	{
		uint8_t		s = data[i],
					p = data[i + 1],
					o = data[i + 2],
					g = data[i + 3];
		char		line[128];

		if (s & 0x80)
			snprintf(line, sizeof(line), "<urn:s%d> ", s % 4);
		else
			snprintf(line, sizeof(line), "_:n%d ", s % nb);
		mcj_buf_appends(buf, line);
		snprintf(line, sizeof(line), "<urn:p%d> ", p % 4);
		mcj_buf_appends(buf, line);
		if (o & 0x80)
			snprintf(line, sizeof(line), "\"v%d\" ", o % 3);
		else
			snprintf(line, sizeof(line), "_:n%d ", o % nb);
		mcj_buf_appends(buf, line);
		if (g % 4 == 1)
			mcj_buf_appends(buf, "<urn:g> ");
		else if (g % 4 >= 2 && blank_graphs)
		{
			snprintf(line, sizeof(line), "_:n%d ", (g / 4) % nb);
			mcj_buf_appends(buf, line);
		}
		mcj_buf_appends(buf, ".\n");
	}
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer entry point */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mcj_arena  *arena;
	rdf_dataset ds;
	mcj_error	err;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	arena = mcj_arena_create(NULL);
	if (arena == NULL)
		return 0;
	if (size > 0 && data[0] == 0xFF)
	{
		mcj_buf		text;

		mcj_buf_init(&text, arena, 1024);
		describe_graph(&text, data, size);
		if (!nquads_parse(arena, text.data, text.len, &ds, &err))
			fail("generated N-Quads do not parse", err.message);
		check(arena, &ds, NULL);
		if (size & 1)
			check(arena, &ds, "SHA384");
	}
	else if (nquads_parse(arena, (const char *) data, size, &ds, &err))
	{
		check(arena, &ds, NULL);
		if (size & 1)
			check(arena, &ds, "SHA384");
	}
	mcj_arena_destroy(arena);
	return 0;
}
