/*-------------------------------------------------------------------------
 *
 * jcs.c
 *	  RFC 8785 JSON Canonicalization Scheme writer.
 *
 * Pure core, see mcjson.h: members sorted by UTF-16 code units of their
 * names, ECMAScript numbers (mcj_number.c), minimal escaping.
 *
 *-------------------------------------------------------------------------
 */
#include "mcjson_internal.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Compare two UTF-8 names by their UTF-16 code units.  UTF-8 byte order
 * is code point order, which agrees with UTF-16 order except between
 * U+E000..U+FFFF (lead bytes EE, EF) and supplementary characters (lead
 * bytes F0..F4, surrogates D800..DBFF in UTF-16).  At the first differing
 * byte both strings are at the same character boundary when that byte is
 * a lead byte, so only that case needs fixing.
 */
static int
mcj_cmp_utf16(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t		n = alen < blen ? alen : blen;
	size_t		i = 0;
	unsigned char ca,
				cb;

	while (i < n && a[i] == b[i])
		i++;
	if (i == n)
		return alen < blen ? -1 : alen > blen ? 1 : 0;
	ca = (unsigned char) a[i];
	cb = (unsigned char) b[i];
	if ((ca == 0xEE || ca == 0xEF) && cb >= 0xF0)
		return 1;
	if ((cb == 0xEE || cb == 0xEF) && ca >= 0xF0)
		return -1;
	return ca < cb ? -1 : 1;
}

/* member order for JCS: UTF-16 names, then document order */
static int
mcj_member_cmp(const mcj_member *a, const mcj_member *b)
{
	int			c = mcj_cmp_utf16(a->key, a->keylen, b->key, b->keylen);

	if (c != 0)
		return c;
	return a < b ? -1 : a > b ? 1 : 0;
}

/* qsort adapter for mcj_member_cmp on an array of member pointers */
static int
mcj_member_qcmp(const void *a, const void *b)
{
	return mcj_member_cmp(*(const mcj_member *const *) a,
						  *(const mcj_member *const *) b);
}

#define MCJ_SMALL_OBJECT	16

/* JCS writer body; false with *err on a value JCS cannot represent */
static bool
mcj_write_jcs_value(mcj_buf *buf, const mcj_value *v, mcj_error *err)
{
	size_t		i;

	MC_CHECK_INTERRUPTS();
	if (v == NULL)
	{
		mcj_buf_append(buf, "null", 4);
		return true;
	}
	switch (v->type)
	{
		case MCJ_NULL:
		case MCJ_FALSE:
		case MCJ_TRUE:
			mcj_write(buf, v);
			return true;
		case MCJ_NUMBER:
			if (!isfinite(v->u.num))
			{
				mcj_set_error(err, 0, "non-finite number cannot be canonicalized");
				return false;
			}
			mcj_write_number(buf, v->u.num);
			return true;
		case MCJ_STRING:
			if (!mcj_utf8_valid(v->u.str.s, v->u.str.len))
			{
				mcj_set_error(err, 0, "invalid utf-8 in string");
				return false;
			}
			mcj_write_string(buf, v->u.str.s, v->u.str.len);
			return true;
		case MCJ_ARRAY:
			mcj_buf_appendc(buf, '[');
			for (i = 0; i < v->u.arr.n; i++)
			{
				if (i > 0)
					mcj_buf_appendc(buf, ',');
				if (!mcj_write_jcs_value(buf, v->u.arr.items[i], err))
					return false;
			}
			mcj_buf_appendc(buf, ']');
			return true;
		case MCJ_OBJECT:
			{
				const mcj_member *small[MCJ_SMALL_OBJECT];
				const mcj_member **order = small;
				size_t		n = v->u.obj.n;
				bool		sorted = true;

				for (i = 1; i < n && sorted; i++)
					if (mcj_member_cmp(&v->u.obj.members[i - 1],
									   &v->u.obj.members[i]) > 0)
						sorted = false;
				if (!sorted)
				{
					if (n > MCJ_SMALL_OBJECT)
						order = (const mcj_member **)
							mcj_alloc_or_abort(buf->arena,
											   n * sizeof(mcj_member *));
					for (i = 0; i < n; i++)
						order[i] = &v->u.obj.members[i];
					if (n > MCJ_SMALL_OBJECT)
						qsort((void *) order, n, sizeof(mcj_member *),
							  mcj_member_qcmp);
					else
					{
						/* insertion sort */
						for (i = 1; i < n; i++)
						{
							const mcj_member *m = order[i];
							size_t		j = i;

							while (j > 0 && mcj_member_cmp(order[j - 1], m) > 0)
							{
								order[j] = order[j - 1];
								j--;
							}
							order[j] = m;
						}
					}
				}
				mcj_buf_appendc(buf, '{');
				for (i = 0; i < n; i++)
				{
					const mcj_member *m = sorted ? &v->u.obj.members[i] : order[i];

					if (i > 0)
						mcj_buf_appendc(buf, ',');
					if (!mcj_utf8_valid(m->key, m->keylen))
					{
						mcj_set_error(err, 0, "invalid utf-8 in member name");
						return false;
					}
					mcj_write_string(buf, m->key, m->keylen);
					mcj_buf_appendc(buf, ':');
					if (!mcj_write_jcs_value(buf, m->value, err))
						return false;
				}
				mcj_buf_appendc(buf, '}');
				return true;
			}
	}
	return true;
}

/*
 * RFC 8785 canonical form.  On failure the buffer is left as it was
 * before the call.
 */
bool
mcj_write_jcs(mcj_buf *buf, const mcj_value *v, mcj_error *err)
{
	size_t		start = buf->len;

	if (err != NULL)
	{
		err->message[0] = '\0';
		err->offset = 0;
	}
	if (!mcj_write_jcs_value(buf, v, err))
	{
		buf->len = start;
		if (buf->data != NULL)
			buf->data[start] = '\0';
		return false;
	}
	return true;
}
