/*-------------------------------------------------------------------------
 *
 * rdfc.c
 *	  RDF Dataset Canonicalization, RDFC-1.0 (W3C Recommendation, 2024).
 *
 * Implements the canonicalization algorithm of RDFC-1.0 section 4.4 with
 * its sub-algorithms: Hash First Degree Quads (4.6), Hash Related Blank
 * Node (4.7) and Hash N-Degree Quads (4.8), identifier issuers (4.5) and
 * the serialization of section 5 (canonical N-Quads lines sorted in code
 * point order, which for UTF-8 is byte order, duplicates removed).
 *
 * Implementation notes:
 *
 * - The input is treated as a set: duplicate quads are removed first.
 * - Blank nodes are interned to dense indexes; every distinct quad knows
 *	 the indexes of its blank subject, object and graph, and every blank
 *	 node has the list of distinct quads it occurs in, so no step scans
 *	 the whole dataset per blank node.
 * - Identifier issuers are arrays of blank node indexes in issue order
 *	 (temporary identifier "bN" is position N).  Hash N-Degree Quads takes
 *	 its issuer by reference and replaces it with the chosen issuer, which
 *	 is what the caller does with the result anyway; the per-permutation
 *	 copies live in storage owned by the recursion depth and are reused,
 *	 so memory does not grow with the number of permutations.
 * - Permutations are generated in lexicographic order of blank node
 *	 indexes; a list with repeated entries yields each distinct order once,
 *	 which cannot change the minimum path that the algorithm selects.
 * - Poison datasets (RDFC-1.0 section 4.4 and "Dataset Poisoning" in the
 *	 security considerations): the work of Hash N-Degree Quads is counted
 *	 in units: one per call, one per Hash Related Blank Node computed and
 *	 one per blank node placed in a permutation's path.  Exceeding
 *	 options->max_ndegree_calls units (default RDFC_DEFAULT_MAX_WORK), or
 *	 nesting Hash N-Degree Quads deeper than RDFC_MAX_DEPTH, fails with
 *	 "canonicalization exceeded its work limit".  Counting hashes and path
 *	 steps as well as calls keeps the time per unit small and roughly
 *	 constant (well under a microsecond), so the bound is a time bound.
 * - A dataset whose blank nodes all have distinct first degree hashes
 *	 (the usual case for credentials) costs no units at all.
 *
 * Hashes come from OpenSSL's EVP interface (SHA-256, or SHA-384).
 *
 * Pure core: memory from the caller's mcj_arena, errors as values, no
 * global mutable state, no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mccrypto.h"

#include "rdf.h"

/*
 * Default work bound, in the units described above.  The W3C suite's
 * hardest positive tests (test044-046, "poison - evil") need 6636 units;
 * a 10-node clique (its negative test, test074) would need many millions.
 * Typical credentials need none.  50000 units leave a 7.5-fold margin over
 * the suite and stop a hostile dataset after roughly 20-60 ms of CPU time
 * (measured on the development machine; more for hostile datasets with
 * thousands of interchangeable blank nodes, whose units cost more).
 */
#define RDFC_DEFAULT_MAX_WORK	50000L

/* deepest Hash N-Degree Quads recursion allowed (protects the C stack) */
#define RDFC_MAX_DEPTH			256

#define RC_HEX_MAX				96	/* SHA-384 in hexadecimal */

#define RC_WORK_ERROR			"canonicalization exceeded its work limit"

/* an identifier issuer: blank node indexes in issue order ("b" + pos) */
typedef struct rc_issuer
{
	int		   *ids;
	int			n;
	int			cap;
} rc_issuer;

/* one entry of the related-hash map H_n of Hash N-Degree Quads */
typedef struct rc_entry
{
	char		hash[RC_HEX_MAX + 1];
	int			related;
} rc_entry;

/* storage owned by one recursion depth of Hash N-Degree Quads */
typedef struct rc_level
{
	rc_issuer	copy;			/* issuer copy of the current permutation */
	rc_issuer	chosen;			/* chosen issuer */
	mcj_buf		path;
	mcj_buf		chosen_path;
	mcj_buf		data;			/* data to hash */
	rc_entry   *entries;
	int			nentries;
	int			cap_entries;
	int		   *perm;			/* current permutation */
	int		   *recursion;		/* recursion list */
	int			cap_k;
} rc_level;

/* a blank node of the input */
typedef struct rc_bnode
{
	const char *label;			/* input label, without "_:" */
	size_t		len;
	int		   *quads;			/* distinct quads mentioning it */
	int			nquads;
	int			canon;			/* canonical number, or -1 */
	const char *canon_label;	/* "c14nN" once issued */
	size_t		canon_len;
	char		hash[RC_HEX_MAX + 1];	/* first degree hash */
} rc_bnode;

/* a distinct quad of the input */
typedef struct rc_quad
{
	const rdf_quad *q;
	int			bn[3];			/* blank node index of s, o, g, or -1 */
	const char *text;			/* canonical line with the input labels */
	size_t		len;
	size_t		off[3];			/* where each blank node label starts */
} rc_quad;

/* a serialized line, for sorting */
typedef struct rc_line
{
	const char *p;
	size_t		len;
	int			idx;
} rc_line;

/* canonicalization state */
typedef struct rc_ctx
{
	mcj_arena  *arena;
	mcj_error  *err;
	mcc_digest_alg md;
	int			hexlen;

	rc_quad    *quads;
	int			nquads;
	rc_bnode   *bnodes;
	int			nbnodes;

	int		   *canon_order;	/* blank nodes in canonical issue order */
	int			ncanon;

	long		work;
	long		max_work;
	rc_level   *levels[RDFC_MAX_DEPTH];

	mcj_buf		scratch;		/* hash input of Hash Related Blank Node */
	mcj_buf		text;			/* the lines of the distinct input quads */
	mcj_buf		lines;			/* serialized lines of one blank node */
	mcj_buf		joined;			/* sorted concatenation */
	rc_line    *linev;
	int			cap_linev;
} rc_ctx;

/* set *err to msg and return false */
static bool
rc_fail(rc_ctx *cx, const char *msg)
{
	if (cx->err)
	{
		snprintf(cx->err->message, sizeof(cx->err->message), "%s", msg);
		cx->err->offset = 0;
	}
	return false;
}

/* allocate zeroed memory from the arena; NULL (with *err) when out of memory */
static void *
rc_alloc(rc_ctx *cx, size_t size)
{
	void	   *p = mcj_alloc(cx->arena, size);

	if (p == NULL)
	{
		rc_fail(cx, "out of memory");
		return NULL;
	}
	memset(p, 0, size);
	return p;
}

/* append a non-negative decimal integer */
static void
rc_append_int(mcj_buf *buf, int v)
{
	char		tmp[16];
	int			n = 0;

	do
	{
		tmp[n++] = (char) ('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (n > 0)
		mcj_buf_appendc(buf, tmp[--n]);
}

/* hash len bytes at data into lowercase hexadecimal */
static bool
rc_hash(rc_ctx *cx, const char *data, size_t len, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!mcc_digest(cx->md, data, len, md, &mdlen) ||
		(int) mdlen * 2 != cx->hexlen)
		return rc_fail(cx, "hash computation failed");
	for (unsigned int i = 0; i < mdlen; i++)
	{
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xF];
	}
	hex[2 * mdlen] = '\0';
	return true;
}

/* qsort, which must not be given a NULL base even for zero elements */
static void
rc_sort(void *base, size_t n, size_t size, int (*cmp) (const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/* byte-wise (code point) order of two lines, then index for stability */
static int
rc_line_cmp(const void *a, const void *b)
{
	const rc_line *x = a;
	const rc_line *y = b;
	size_t		n = x->len < y->len ? x->len : y->len;
	int			c = memcmp(x->p, y->p, n);

	if (c != 0)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* make room for n lines in cx->linev */
static bool
rc_reserve_lines(rc_ctx *cx, int n)
{
	if (n > cx->cap_linev)
	{
		int			cap = cx->cap_linev ? cx->cap_linev : 64;

		while (cap < n)
			cap *= 2;
		cx->linev = rc_alloc(cx, (size_t) cap * sizeof(rc_line));
		if (cx->linev == NULL)
			return false;
		cx->cap_linev = cap;
	}
	return true;
}

/*
 * Append quad qi in canonical form with every blank node b relabelled:
 * canonical labels when canonical is true, otherwise "a" for ref and "z"
 * for the others.  The line is assembled from the quad's serialization
 * with its input labels, so terms are escaped only once.
 */
static void
rc_write_relabelled(rc_ctx *cx, mcj_buf *buf, int qi, bool canonical, int ref)
{
	const rc_quad *rq = &cx->quads[qi];
	size_t		pos = 0;

	MC_CHECK_INTERRUPTS();
	for (int k = 0; k < 3; k++)
	{
		int			b = rq->bn[k];
		const rc_bnode *bn;

		if (b < 0)
			continue;
		bn = &cx->bnodes[b];
		mcj_buf_append(buf, rq->text + pos, rq->off[k] - pos);
		if (canonical)
			mcj_buf_append(buf, bn->canon_label, bn->canon_len);
		else
			mcj_buf_appendc(buf, b == ref ? 'a' : 'z');
		pos = rq->off[k] + bn->len;
	}
	mcj_buf_append(buf, rq->text + pos, rq->len - pos);
}

/* Hash First Degree Quads (RDFC-1.0 4.6) for blank node b into its hash */
static bool
rc_hash_first_degree(rc_ctx *cx, int b)
{
	rc_bnode   *bn = &cx->bnodes[b];
	size_t	   *ends;
	size_t		start = 0;

	if (!rc_reserve_lines(cx, bn->nquads))
		return false;
	ends = rc_alloc(cx, (size_t) bn->nquads * sizeof(size_t));
	if (ends == NULL)
		return false;
	cx->lines.len = 0;
	for (int i = 0; i < bn->nquads; i++)
	{
		rc_write_relabelled(cx, &cx->lines, bn->quads[i], false, b);
		ends[i] = cx->lines.len;
	}
	for (int i = 0; i < bn->nquads; i++)
	{
		cx->linev[i].p = cx->lines.data + start;
		cx->linev[i].len = ends[i] - start;
		cx->linev[i].idx = i;
		start = ends[i];
	}
	rc_sort(cx->linev, (size_t) bn->nquads, sizeof(rc_line), rc_line_cmp);
	cx->joined.len = 0;
	for (int i = 0; i < bn->nquads; i++)
		mcj_buf_append(&cx->joined, cx->linev[i].p, cx->linev[i].len);
	return rc_hash(cx, cx->joined.data, cx->joined.len, bn->hash);
}

/* position of blank node b in issuer, or -1 */
static int
rc_issuer_find(const rc_issuer *iss, int b)
{
	for (int i = 0; i < iss->n; i++)
		if (iss->ids[i] == b)
			return i;
	return -1;
}

/* make room for n identifiers in iss */
static bool
rc_issuer_reserve(rc_ctx *cx, rc_issuer *iss, int n)
{
	if (n > iss->cap)
	{
		int			cap = iss->cap ? iss->cap : 8;
		int		   *ids;

		while (cap < n)
			cap *= 2;
		ids = rc_alloc(cx, (size_t) cap * sizeof(int));
		if (ids == NULL)
			return false;
		if (iss->n > 0)
			memcpy(ids, iss->ids, (size_t) iss->n * sizeof(int));
		iss->ids = ids;
		iss->cap = cap;
	}
	return true;
}

/* Issue Identifier (4.5): position of b in iss, issuing it if new */
static int
rc_issue(rc_ctx *cx, rc_issuer *iss, int b)
{
	int			i = rc_issuer_find(iss, b);

	if (i >= 0)
		return i;
	if (!rc_issuer_reserve(cx, iss, iss->n + 1))
		return -1;
	iss->ids[iss->n] = b;
	return iss->n++;
}

/* copy issuer src into dst (reusing dst's storage) */
static bool
rc_issuer_copy(rc_ctx *cx, rc_issuer *dst, const rc_issuer *src)
{
	if (!rc_issuer_reserve(cx, dst, src->n))
		return false;
	if (src->n > 0)
		memcpy(dst->ids, src->ids, (size_t) src->n * sizeof(int));
	dst->n = src->n;
	return true;
}

/* issue a canonical identifier for b if it has none */
static bool
rc_issue_canonical(rc_ctx *cx, int b)
{
	rc_bnode   *bn = &cx->bnodes[b];
	char		label[24];

	if (bn->canon >= 0)
		return true;
	bn->canon = cx->ncanon;
	cx->canon_order[cx->ncanon++] = b;
	snprintf(label, sizeof(label), "c14n%d", bn->canon);
	bn->canon_len = strlen(label);
	bn->canon_label = mcj_strndup(cx->arena, label, bn->canon_len);
	if (bn->canon_label == NULL)
		return rc_fail(cx, "out of memory");
	return true;
}

/*
 * Hash Related Blank Node (4.7): hash of related as it occurs in quad qi
 * at position pos (0 subject, 1 object, 2 graph), given issuer.
 */
static bool
rc_hash_related(rc_ctx *cx, int related, int qi, const rc_issuer *issuer,
				int pos, char *hex)
{
	static const char posname[3] = {'s', 'o', 'g'};
	const rc_bnode *rb = &cx->bnodes[related];
	mcj_buf    *in = &cx->scratch;
	int			i;

	in->len = 0;
	mcj_buf_appendc(in, posname[pos]);
	if (pos != 2)
	{
		const rdf_term *p = &cx->quads[qi].q->predicate;

		mcj_buf_appendc(in, '<');
		mcj_buf_append(in, p->value, p->len);
		mcj_buf_appendc(in, '>');
	}
	if (rb->canon >= 0)
	{
		mcj_buf_append(in, "_:", 2);
		mcj_buf_appends(in, rb->canon_label);
	}
	else if ((i = rc_issuer_find(issuer, related)) >= 0)
	{
		mcj_buf_append(in, "_:b", 3);
		rc_append_int(in, i);
	}
	else
		mcj_buf_append(in, rb->hash, (size_t) cx->hexlen);
	return rc_hash(cx, in->data, in->len, hex);
}

/* order of H_n entries: hash, then blank node index */
static int
rc_entry_cmp(const void *a, const void *b)
{
	const rc_entry *x = a;
	const rc_entry *y = b;
	int			c = strcmp(x->hash, y->hash);

	if (c != 0)
		return c;
	return (x->related > y->related) - (x->related < y->related);
}

/* next permutation in lexicographic order; false after the last one */
static bool
rc_next_permutation(int *a, int n)
{
	int			i = n - 2;
	int			j;

	while (i >= 0 && a[i] >= a[i + 1])
		i--;
	if (i < 0)
		return false;
	j = n - 1;
	while (a[j] <= a[i])
		j--;
	{
		int			t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
	for (int l = i + 1, r = n - 1; l < r; l++, r--)
	{
		int			t = a[l];

		a[l] = a[r];
		a[r] = t;
	}
	return true;
}

/* does path come after chosen, as tested by RDFC-1.0 4.8.3 step 5.4.4.3 */
static bool
rc_path_exceeds(const mcj_buf *path, const mcj_buf *chosen)
{
	int			c;

	if (path->len < chosen->len)
		return false;
	c = memcmp(path->data, chosen->data, chosen->len);
	return c > 0 || (c == 0 && path->len > chosen->len);
}

/* is path before chosen in code point order */
static bool
rc_path_less(const mcj_buf *path, const mcj_buf *chosen)
{
	size_t		n = path->len < chosen->len ? path->len : chosen->len;
	int			c = memcmp(path->data, chosen->data, n);

	return c < 0 || (c == 0 && path->len < chosen->len);
}

/* the storage for recursion depth d, created on first use */
static rc_level *
rc_get_level(rc_ctx *cx, int d)
{
	rc_level   *lvl = cx->levels[d];

	if (lvl == NULL)
	{
		lvl = rc_alloc(cx, sizeof(rc_level));
		if (lvl == NULL)
			return NULL;
		mcj_buf_init(&lvl->path, cx->arena, 256);
		mcj_buf_init(&lvl->chosen_path, cx->arena, 256);
		mcj_buf_init(&lvl->data, cx->arena, 256);
		cx->levels[d] = lvl;
	}
	return lvl;
}

/* count one unit of work; false (with *err) past the bound */
static bool
rc_charge(rc_ctx *cx)
{
	MC_CHECK_INTERRUPTS();
	if (++cx->work > cx->max_work)
		return rc_fail(cx, RC_WORK_ERROR);
	return true;
}

/* build H_n for blank node id (4.8.3 steps 1-3) into lvl->entries, sorted */
static bool
rc_related_hashes(rc_ctx *cx, rc_level *lvl, int id, const rc_issuer *issuer)
{
	const rc_bnode *bn = &cx->bnodes[id];

	lvl->nentries = 0;
	for (int i = 0; i < bn->nquads; i++)
	{
		int			qi = bn->quads[i];

		for (int pos = 0; pos < 3; pos++)
		{
			int			related = cx->quads[qi].bn[pos];
			rc_entry   *e;

			if (related < 0 || related == id)
				continue;
			if (lvl->nentries == lvl->cap_entries)
			{
				int			cap = lvl->cap_entries ? lvl->cap_entries * 2 : 16;
				rc_entry   *ne = rc_alloc(cx, (size_t) cap * sizeof(rc_entry));

				if (ne == NULL)
					return false;
				if (lvl->nentries > 0)
					memcpy(ne, lvl->entries,
						   (size_t) lvl->nentries * sizeof(rc_entry));
				lvl->entries = ne;
				lvl->cap_entries = cap;
			}
			e = &lvl->entries[lvl->nentries++];
			e->related = related;
			if (!rc_charge(cx) ||
				!rc_hash_related(cx, related, qi, issuer, pos, e->hash))
				return false;
		}
	}
	rc_sort(lvl->entries, (size_t) lvl->nentries, sizeof(rc_entry), rc_entry_cmp);
	return true;
}

/*
 * Hash N-Degree Quads (4.8) for blank node id.  *issuer is the path
 * identifier issuer; on success it is replaced by the issuer of the result
 * and the hash is stored in hex.
 */
static bool
rc_hash_ndegree(rc_ctx *cx, int id, rc_issuer *issuer, int depth, char *hex)
{
	rc_level   *lvl;
	int			g;

	if (depth >= RDFC_MAX_DEPTH)
		return rc_fail(cx, RC_WORK_ERROR);
	if (!rc_charge(cx))
		return false;
	lvl = rc_get_level(cx, depth);
	if (lvl == NULL)
		return false;
	if (!rc_related_hashes(cx, lvl, id, issuer))
		return false;

	lvl->data.len = 0;
	for (g = 0; g < lvl->nentries;)
	{
		int			ge = g;
		int			k;
		bool		have_chosen = false;

		while (ge < lvl->nentries &&
			   strcmp(lvl->entries[ge].hash, lvl->entries[g].hash) == 0)
			ge++;
		k = ge - g;

		/* 5.1: the related hash */
		mcj_buf_append(&lvl->data, lvl->entries[g].hash, (size_t) cx->hexlen);

		if (k > lvl->cap_k)
		{
			int			cap = lvl->cap_k ? lvl->cap_k : 8;

			while (cap < k)
				cap *= 2;
			lvl->perm = rc_alloc(cx, (size_t) cap * sizeof(int));
			lvl->recursion = rc_alloc(cx, (size_t) cap * sizeof(int));
			if (lvl->perm == NULL || lvl->recursion == NULL)
				return false;
			lvl->cap_k = cap;
		}
		for (int i = 0; i < k; i++)
			lvl->perm[i] = lvl->entries[g + i].related;	/* sorted */

		lvl->chosen_path.len = 0;
		lvl->chosen.n = 0;

		/* 5.4: every permutation of the blank node list */
		do
		{
			int			nrec = 0;
			bool		skip = false;

			if (!rc_issuer_copy(cx, &lvl->copy, issuer))
				return false;
			lvl->path.len = 0;

			for (int i = 0; i < k && !skip; i++)
			{
				int			related = lvl->perm[i];
				const rc_bnode *rb = &cx->bnodes[related];

				if (!rc_charge(cx))
					return false;
				if (rb->canon >= 0)
				{
					mcj_buf_append(&lvl->path, "_:", 2);
					mcj_buf_appends(&lvl->path, rb->canon_label);
				}
				else
				{
					int			pos = rc_issuer_find(&lvl->copy, related);

					if (pos < 0)
					{
						lvl->recursion[nrec++] = related;
						pos = rc_issue(cx, &lvl->copy, related);
						if (pos < 0)
							return false;
					}
					mcj_buf_append(&lvl->path, "_:b", 3);
					rc_append_int(&lvl->path, pos);
				}
				if (have_chosen && rc_path_exceeds(&lvl->path, &lvl->chosen_path))
					skip = true;
			}

			for (int i = 0; i < nrec && !skip; i++)
			{
				int			related = lvl->recursion[i];
				char		rhash[RC_HEX_MAX + 1];
				int			pos;

				if (!rc_hash_ndegree(cx, related, &lvl->copy, depth + 1, rhash))
					return false;
				pos = rc_issue(cx, &lvl->copy, related);
				if (pos < 0)
					return false;
				mcj_buf_append(&lvl->path, "_:b", 3);
				rc_append_int(&lvl->path, pos);
				mcj_buf_appendc(&lvl->path, '<');
				mcj_buf_append(&lvl->path, rhash, (size_t) cx->hexlen);
				mcj_buf_appendc(&lvl->path, '>');
				if (have_chosen && rc_path_exceeds(&lvl->path, &lvl->chosen_path))
					skip = true;
			}

			if (!skip && (!have_chosen || rc_path_less(&lvl->path, &lvl->chosen_path)))
			{
				mcj_buf		tb = lvl->path;
				rc_issuer	ti = lvl->copy;

				lvl->path = lvl->chosen_path;
				lvl->chosen_path = tb;
				lvl->copy = lvl->chosen;
				lvl->chosen = ti;
				have_chosen = true;
			}
		} while (rc_next_permutation(lvl->perm, k));

		/* 5.5, 5.6 */
		mcj_buf_append(&lvl->data, lvl->chosen_path.data, lvl->chosen_path.len);
		if (!rc_issuer_copy(cx, issuer, &lvl->chosen))
			return false;
		g = ge;
	}

	return rc_hash(cx, lvl->data.data, lvl->data.len, hex);
}

/* order blank nodes by first degree hash, then index */
static int
rc_bnode_ptr_cmp(const void *a, const void *b)
{
	const rc_bnode *x = *(const rc_bnode *const *) a;
	const rc_bnode *y = *(const rc_bnode *const *) b;
	int			c = strcmp(x->hash, y->hash);

	if (c != 0)
		return c;
	return (x > y) - (x < y);
}

/* a result of step 6.2 */
typedef struct rc_result
{
	char		hash[RC_HEX_MAX + 1];
	rc_issuer	issuer;
	int			seq;
} rc_result;

/* order results by hash, then sequence */
static int
rc_result_cmp(const void *a, const void *b)
{
	const rc_result *x = a;
	const rc_result *y = b;
	int			c = strcmp(x->hash, y->hash);

	if (c != 0)
		return c;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* hash of a string for the hash sets, eight bytes at a time */
static uint32_t
rc_label_hash(const char *s, size_t len)
{
	uint64_t	h = 0x9E3779B97F4A7C15u ^ len;
	size_t		i = 0;

	for (; i + 8 <= len; i += 8)
	{
		uint64_t	w;

		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xFF51AFD7ED558CCDu;
		h ^= h >> 32;
	}
	for (; i < len; i++)
		h = (h ^ (unsigned char) s[i]) * 0x100000001B3u;
	h ^= h >> 29;
	h *= 0xC4CEB9FE1A85EC53u;
	h ^= h >> 32;
	return (uint32_t) h;
}

/* is a quad well formed enough to canonicalize */
static bool
rc_quad_valid(const rdf_quad *q)
{
	if (q->subject.kind != RDF_TERM_IRI && q->subject.kind != RDF_TERM_BLANK)
		return false;
	if (q->predicate.kind != RDF_TERM_IRI)
		return false;
	if (q->object.kind == RDF_TERM_DEFAULT_GRAPH)
		return false;
	if (q->graph.kind == RDF_TERM_LITERAL)
		return false;
	if (q->subject.value == NULL || q->predicate.value == NULL ||
		q->object.value == NULL ||
		(q->graph.kind != RDF_TERM_DEFAULT_GRAPH && q->graph.value == NULL))
		return false;
	return true;
}

/*
 * Check the quads, write each as an N-Quads line into cx->text (*ends
 * gets the end of each line) and keep the first of each set of equal
 * lines, by a hash set of the lines with their input labels; *keep gets
 * the indexes of the distinct quads, in input order
 */
static bool
rc_distinct_quads(rc_ctx *cx, const rdf_dataset *in,
				  size_t **endsp, int **keepp, int *nkeep)
{
	size_t	   *ends;
	int		   *keep;
	int		   *table;
	size_t		tsize;
	int			n;

	if (in->n > (size_t) (INT32_MAX / 4))
		return rc_fail(cx, "dataset too large to canonicalize");
	n = (int) in->n;
	for (int i = 0; i < n; i++)
		if (!rc_quad_valid(&in->quads[i]))
			return rc_fail(cx, "dataset contains an invalid quad");

	ends = rc_alloc(cx, (size_t) (n + 1) * sizeof(size_t));
	keep = rc_alloc(cx, (size_t) (n + 1) * sizeof(int));
	tsize = 16;
	while (tsize < (size_t) n * 2)
		tsize *= 2;
	table = rc_alloc(cx, tsize * sizeof(int));
	if (ends == NULL || keep == NULL || table == NULL)
		return false;
	for (size_t i = 0; i < tsize; i++)
		table[i] = -1;
	for (int i = 0; i < n; i++)
	{
		nquads_write_quad(&cx->text, &in->quads[i]);
		ends[i] = cx->text.len;
	}
	*nkeep = 0;
	for (int i = 0; i < n; i++)
	{
		size_t		start = i ? ends[i - 1] : 0;
		size_t		len = ends[i] - start;
		const char *line = cx->text.data + start;
		size_t		h = rc_label_hash(line, len) & (tsize - 1);
		int			j;

		while ((j = table[h]) >= 0)
		{
			size_t		jstart = j ? ends[j - 1] : 0;

			if (ends[j] - jstart == len &&
				memcmp(cx->text.data + jstart, line, len) == 0)
				break;
			h = (h + 1) & (tsize - 1);
		}
		if (j >= 0)
			continue;			/* a duplicate of quad j */
		table[h] = i;
		keep[(*nkeep)++] = i;
	}
	*endsp = ends;
	*keepp = keep;
	return true;
}

/*
 * Fill cx->quads from the distinct quads and intern their blank node
 * labels into cx->bnodes (open addressing)
 */
static bool
rc_intern_blank_nodes(rc_ctx *cx, const rdf_dataset *in,
					  const size_t *ends, const int *keep, int nkeep)
{
	int		   *table;
	size_t		tsize;
	int			cap_bn;

	cx->quads = rc_alloc(cx, (size_t) (nkeep + 1) * sizeof(rc_quad));
	if (cx->quads == NULL)
		return false;
	cx->nquads = nkeep;

	tsize = 16;
	while (tsize < (size_t) nkeep * 6)
		tsize *= 2;
	table = rc_alloc(cx, tsize * sizeof(int));
	if (table == NULL)
		return false;
	for (size_t i = 0; i < tsize; i++)
		table[i] = -1;
	cap_bn = 16;
	cx->bnodes = rc_alloc(cx, (size_t) cap_bn * sizeof(rc_bnode));
	if (cx->bnodes == NULL)
		return false;
	cx->nbnodes = 0;

	for (int i = 0; i < nkeep; i++)
	{
		const rdf_quad *q = &in->quads[keep[i]];
		const rdf_term *terms[3];

		terms[0] = &q->subject;
		terms[1] = &q->object;
		terms[2] = &q->graph;
		cx->quads[i].q = q;
		cx->quads[i].text = cx->text.data + (keep[i] ? ends[keep[i] - 1] : 0);
		cx->quads[i].len = ends[keep[i]] - (keep[i] ? ends[keep[i] - 1] : 0);
		/* label offsets: "_:" after "<s> <p> ", or before " .\n" */
		cx->quads[i].off[0] = 2;
		cx->quads[i].off[1] = q->subject.len + 2 + 1 + q->predicate.len + 2 + 1 + 2;
		cx->quads[i].off[2] = cx->quads[i].len - 3 - q->graph.len;
		for (int k = 0; k < 3; k++)
		{
			const rdf_term *t = terms[k];
			size_t		h;
			int			b;

			cx->quads[i].bn[k] = -1;
			if (t->kind != RDF_TERM_BLANK)
				continue;
			h = rc_label_hash(t->value, t->len) & (tsize - 1);
			while ((b = table[h]) >= 0)
			{
				if (cx->bnodes[b].len == t->len &&
					memcmp(cx->bnodes[b].label, t->value, t->len) == 0)
					break;
				h = (h + 1) & (tsize - 1);
			}
			if (b < 0)
			{
				if (cx->nbnodes == cap_bn)
				{
					rc_bnode   *nb = rc_alloc(cx, (size_t) cap_bn * 2 * sizeof(rc_bnode));

					if (nb == NULL)
						return false;
					memcpy(nb, cx->bnodes, (size_t) cap_bn * sizeof(rc_bnode));
					cx->bnodes = nb;
					cap_bn *= 2;
				}
				b = cx->nbnodes++;
				cx->bnodes[b].label = t->value;
				cx->bnodes[b].len = t->len;
				cx->bnodes[b].canon = -1;
				table[h] = b;
			}
			cx->quads[i].bn[k] = b;
		}
	}
	return true;
}

/* RDFC-1.0 4.4.3 step 2: blank node to quads map (each quad once per node) */
static bool
rc_map_blank_node_quads(rc_ctx *cx)
{
	for (int i = 0; i < cx->nquads; i++)
	{
		int		   *bn = cx->quads[i].bn;

		for (int k = 0; k < 3; k++)
		{
			if (bn[k] < 0 || (k >= 1 && bn[k] == bn[0]) ||
				(k == 2 && bn[2] == bn[1]))
				continue;
			cx->bnodes[bn[k]].nquads++;
		}
	}
	for (int b = 0; b < cx->nbnodes; b++)
	{
		cx->bnodes[b].quads = rc_alloc(cx, (size_t) cx->bnodes[b].nquads * sizeof(int) + 1);
		if (cx->bnodes[b].quads == NULL)
			return false;
		cx->bnodes[b].nquads = 0;
	}
	for (int i = 0; i < cx->nquads; i++)
	{
		int		   *bn = cx->quads[i].bn;

		for (int k = 0; k < 3; k++)
		{
			rc_bnode   *b;

			if (bn[k] < 0 || (k >= 1 && bn[k] == bn[0]) ||
				(k == 2 && bn[2] == bn[1]))
				continue;
			b = &cx->bnodes[bn[k]];
			b->quads[b->nquads++] = i;
		}
	}
	return true;
}

/*
 * RDFC-1.0 4.4.3 step 4: blank nodes with a unique first degree hash get
 * canonical identifiers, in hash order (order is sorted by hash)
 */
static bool
rc_issue_unique_hashes(rc_ctx *cx, rc_bnode **order)
{
	for (int i = 0; i < cx->nbnodes;)
	{
		int			j = i + 1;

		while (j < cx->nbnodes && strcmp(order[j]->hash, order[i]->hash) == 0)
			j++;
		if (j == i + 1 &&
			!rc_issue_canonical(cx, (int) (order[i] - cx->bnodes)))
			return false;
		i = j;
	}
	return true;
}

/*
 * RDFC-1.0 4.4.3 step 5: blank nodes sharing a first degree hash, in hash
 * order, go through Hash N-Degree Quads; the results, sorted by hash,
 * issue canonical identifiers
 */
static bool
rc_issue_shared_hashes(rc_ctx *cx, rc_bnode **order)
{
	for (int i = 0; i < cx->nbnodes;)
	{
		int			j = i + 1;
		rc_result  *results;
		int			nres = 0;

		while (j < cx->nbnodes && strcmp(order[j]->hash, order[i]->hash) == 0)
			j++;
		if (j == i + 1)
		{
			i = j;
			continue;
		}
		results = rc_alloc(cx, (size_t) (j - i) * sizeof(rc_result));
		if (results == NULL)
			return false;
		/* step 5.2 */
		for (int m = i; m < j; m++)
		{
			int			b = (int) (order[m] - cx->bnodes);
			rc_result  *r;

			if (cx->bnodes[b].canon >= 0)
				continue;
			r = &results[nres];
			r->seq = nres;
			nres++;
			if (rc_issue(cx, &r->issuer, b) < 0)
				return false;
			if (!rc_hash_ndegree(cx, b, &r->issuer, 0, r->hash))
				return false;
		}
		/* step 5.3 */
		rc_sort(results, (size_t) nres, sizeof(rc_result), rc_result_cmp);
		for (int r = 0; r < nres; r++)
			for (int m = 0; m < results[r].issuer.n; m++)
				if (!rc_issue_canonical(cx, results[r].issuer.ids[m]))
					return false;
		i = j;
	}
	return true;
}

/* serialization (RDFC-1.0 section 5): relabel, sort, remove duplicates */
static bool
rc_serialize(rc_ctx *cx, mcj_buf *out)
{
	rc_line    *lv;
	size_t	   *ends;

	lv = rc_alloc(cx, (size_t) (cx->nquads + 1) * sizeof(rc_line));
	ends = rc_alloc(cx, (size_t) (cx->nquads + 1) * sizeof(size_t));
	if (lv == NULL || ends == NULL)
		return false;
	for (int b = 0; b < cx->nbnodes; b++)
		if (cx->bnodes[b].canon < 0)
			return rc_fail(cx, "internal error: blank node without canonical identifier");
	cx->lines.len = 0;
	for (int i = 0; i < cx->nquads; i++)
	{
		rc_write_relabelled(cx, &cx->lines, i, true, -1);
		ends[i] = cx->lines.len;
	}
	for (int i = 0; i < cx->nquads; i++)
	{
		size_t		start = i ? ends[i - 1] : 0;

		lv[i].p = cx->lines.data + start;
		lv[i].len = ends[i] - start;
		lv[i].idx = i;
	}
	rc_sort(lv, (size_t) cx->nquads, sizeof(rc_line), rc_line_cmp);
	for (int i = 0; i < cx->nquads; i++)
	{
		if (i > 0 && lv[i].len == lv[i - 1].len &&
			memcmp(lv[i].p, lv[i - 1].p, lv[i].len) == 0)
			continue;
		mcj_buf_append(out, lv[i].p, lv[i].len);
	}
	return true;
}

/* RDFC-1.0 4.4.3 step 6: the canonical issuer's issued identifiers map */
static bool
rc_issued_identifiers(rc_ctx *cx, rdfc_mapping **map, size_t *nmap)
{
	rdfc_mapping *m = rc_alloc(cx, (size_t) (cx->ncanon + 1) * sizeof(rdfc_mapping));

	if (m == NULL)
		return false;
	for (int i = 0; i < cx->ncanon; i++)
	{
		rc_bnode   *bn = &cx->bnodes[cx->canon_order[i]];

		m[i].input_label = bn->label;
		m[i].canonical_label = bn->canon_label;
	}
	*map = m;
	*nmap = (size_t) cx->ncanon;
	return true;
}

/* canonicalize a dataset with RDFC-1.0 (see rdf.h); initialises *out */
bool
rdfc_canonicalize(mcj_arena *arena, const rdf_dataset *in,
				  const rdfc_options *options, mcj_buf *out,
				  rdfc_mapping **map, size_t *nmap, mcj_error *err)
{
	rc_ctx		cx;
	rc_bnode  **order;
	size_t	   *ends;
	int		   *keep;
	int			nkeep = 0;

	mcj_buf_init(out, arena, 1024);
	if (map)
		*map = NULL;
	if (nmap)
		*nmap = 0;

	memset(&cx, 0, sizeof(cx));
	cx.arena = arena;
	cx.err = err;
	cx.max_work = RDFC_DEFAULT_MAX_WORK;
	cx.md = MCC_DIGEST_SHA256;
	if (options != NULL)
	{
		if (options->max_ndegree_calls > 0)
			cx.max_work = options->max_ndegree_calls;
		if (options->hash_algorithm != NULL &&
			strcmp(options->hash_algorithm, "SHA256") != 0)
		{
			if (strcmp(options->hash_algorithm, "SHA384") == 0)
				cx.md = MCC_DIGEST_SHA384;
			else
				return rc_fail(&cx, "unsupported canonicalization hash algorithm");
		}
	}
	cx.hexlen = cx.md == MCC_DIGEST_SHA384 ? 96 : 64;
	if (cx.hexlen <= 0 || cx.hexlen > RC_HEX_MAX)
		return rc_fail(&cx, "hash algorithm not available");
	mcj_buf_init(&cx.scratch, arena, 256);
	mcj_buf_init(&cx.text, arena, 4096);
	mcj_buf_init(&cx.lines, arena, 1024);
	mcj_buf_init(&cx.joined, arena, 1024);

	/* distinct quads and the blank node to quads map (step 2) */
	if (!rc_distinct_quads(&cx, in, &ends, &keep, &nkeep) ||
		!rc_intern_blank_nodes(&cx, in, ends, keep, nkeep) ||
		!rc_map_blank_node_quads(&cx))
		return false;
	cx.canon_order = rc_alloc(&cx, (size_t) (cx.nbnodes + 1) * sizeof(int));
	order = rc_alloc(&cx, (size_t) (cx.nbnodes + 1) * sizeof(rc_bnode *));
	if (cx.canon_order == NULL || order == NULL)
		return false;

	/* first degree hashes (step 3); hash to blank nodes map: sorted array */
	for (int b = 0; b < cx.nbnodes; b++)
	{
		if (!rc_hash_first_degree(&cx, b))
			return false;
		order[b] = &cx.bnodes[b];
	}
	rc_sort(order, (size_t) cx.nbnodes, sizeof(rc_bnode *), rc_bnode_ptr_cmp);

	if (!rc_issue_unique_hashes(&cx, order) ||
		!rc_issue_shared_hashes(&cx, order) ||
		!rc_serialize(&cx, out))
		return false;
	if (map != NULL && nmap != NULL)
		return rc_issued_identifiers(&cx, map, nmap);
	return true;
}
