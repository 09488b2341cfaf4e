

/*-------------------------------------------------------------------------
 *
 * mcjson.c
 *	  The JSON value model (building, access, copy, equality) and the
 *	  compact writer.  The arena and buffer are in mc_arena.c, UTF-8 in
 *	  mcj_utf8.c, the parser in mcj_parse.c, numbers in mcj_number.c and
 *	  the RFC 8785 writer in jcs.c.
 *
 * Pure core, see mcjson.h: no PostgreSQL headers, no ereport or palloc.
 * Every byte of memory comes from an mcj_arena.
 *
 * Out of memory: mcj_alloc and mcj_strndup return NULL when the allocator
 * returns NULL, the builders that return a pointer then return NULL, and
 * mcj_parse reports "out of memory".  Functions that cannot report a
 * failure (mcj_array_append, mcj_object_add, mcj_object_set, mcj_buf_*,
 * the writers) call abort() instead.  With the default malloc allocator
 * and with palloc (which never returns NULL) this is never reached.
 *
 * The parser is iterative (an explicit stack of open containers), so the
 * nesting limit, not the C stack, bounds the depth it accepts.  The
 * writers and mcj_copy/mcj_equal recurse once per nesting level.
 * Parse error messages carry no position; it is in mcj_error.offset.
 *
 * Numbers never go through the locale's decimal point: the parser checks
 * the grammar itself and hands strtod digits and an exponent only, and
 * the formatter reads snprintf's digits whatever the separator.  Numbers
 * too large for a double are rejected; ones too small become (signed)
 * zero, as strtod rounds them.
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

/* Building ------------------------------------------------------------ */

/* a new value of the given type, zeroed; NULL when out of memory */
mcj_value *
mcj_new_value(mcj_arena *arena, mcj_type type)
{
	mcj_value  *v = (mcj_value *) mcj_alloc(arena, sizeof(mcj_value));

	if (v == NULL)
		return NULL;
	memset(v, 0, sizeof(mcj_value));
	v->type = type;
	return v;
}

/* JSON null */
mcj_value *
mcj_null(mcj_arena *arena)
{
	return mcj_new_value(arena, MCJ_NULL);
}

/* JSON true or false */
mcj_value *
mcj_bool(mcj_arena *arena, bool b)
{
	return mcj_new_value(arena, b ? MCJ_TRUE : MCJ_FALSE);
}

/* JSON number */
mcj_value *
mcj_number(mcj_arena *arena, double d)
{
	mcj_value  *v = mcj_new_value(arena, MCJ_NUMBER);

	if (v != NULL)
		v->u.num = d;
	return v;
}

/* JSON string, copying len bytes of s */
mcj_value *
mcj_string(mcj_arena *arena, const char *s, size_t len)
{
	mcj_value  *v = mcj_new_value(arena, MCJ_STRING);
	char	   *copy;

	if (v == NULL)
		return NULL;
	copy = mcj_strndup(arena, s, len);
	if (copy == NULL)
		return NULL;
	v->u.str.s = copy;
	v->u.str.len = len;
	return v;
}

/* JSON string from a NUL-terminated C string */
mcj_value *
mcj_cstring(mcj_arena *arena, const char *s)
{
	return mcj_string(arena, s, strlen(s));
}

/* empty JSON array */
mcj_value *
mcj_array(mcj_arena *arena)
{
	return mcj_new_value(arena, MCJ_ARRAY);
}

/* empty JSON object */
mcj_value *
mcj_object(mcj_arena *arena)
{
	return mcj_new_value(arena, MCJ_OBJECT);
}

/* append an item to an array; false when out of memory */
bool
mcj_array_push(mcj_arena *arena, mcj_value *array, mcj_value *item)
{
	if (array->u.arr.n == array->u.arr.cap)
	{
		size_t		ncap = array->u.arr.cap < 4 ? 4 : array->u.arr.cap * 2;
		mcj_value **items;

		if (ncap > SIZE_MAX / (2 * sizeof(mcj_value *)))
			return false;
		if (mcj_arena_extend(arena, array->u.arr.items,
							 ncap * sizeof(mcj_value *)))
			items = array->u.arr.items;
		else
		{
			items = (mcj_value **) mcj_alloc(arena, ncap * sizeof(mcj_value *));
			if (items == NULL)
				return false;
			if (array->u.arr.n > 0)
				memcpy(items, array->u.arr.items,
					   array->u.arr.n * sizeof(mcj_value *));
		}
		array->u.arr.items = items;
		array->u.arr.cap = ncap;
	}
	array->u.arr.items[array->u.arr.n++] = item;
	return true;
}

/* append a member whose key is already owned by the arena */
bool
mcj_object_push(mcj_arena *arena, mcj_value *object,
				const char *key, size_t keylen, mcj_value *value)
{
	mcj_member *m;

	if (object->u.obj.n == object->u.obj.cap)
	{
		size_t		ncap = object->u.obj.cap < 4 ? 4 : object->u.obj.cap * 2;
		mcj_member *members;

		if (ncap > SIZE_MAX / (2 * sizeof(mcj_member)))
			return false;
		if (mcj_arena_extend(arena, object->u.obj.members,
							 ncap * sizeof(mcj_member)))
			members = object->u.obj.members;
		else
		{
			members = (mcj_member *) mcj_alloc(arena, ncap * sizeof(mcj_member));
			if (members == NULL)
				return false;
			if (object->u.obj.n > 0)
				memcpy(members, object->u.obj.members,
					   object->u.obj.n * sizeof(mcj_member));
		}
		object->u.obj.members = members;
		object->u.obj.cap = ncap;
	}
	m = &object->u.obj.members[object->u.obj.n++];
	m->key = key;
	m->keylen = keylen;
	m->value = value;
	return true;
}

/* append an item to an array */
void
mcj_array_append(mcj_arena *arena, mcj_value *array, mcj_value *item)
{
	if (array == NULL || array->type != MCJ_ARRAY)
		return;
	if (!mcj_array_push(arena, array, item))
		abort();
}

/* append a member (the key is copied); no duplicate check */
void
mcj_object_add(mcj_arena *arena, mcj_value *object,
			   const char *key, size_t keylen, mcj_value *value)
{
	char	   *k;

	if (object == NULL || object->type != MCJ_OBJECT)
		return;
	k = mcj_strndup(arena, key, keylen);
	if (k == NULL || !mcj_object_push(arena, object, k, keylen, value))
		abort();
}

/* replace the value of the first member named key, or append one */
void
mcj_object_set(mcj_arena *arena, mcj_value *object,
			   const char *key, mcj_value *value)
{
	size_t		keylen = strlen(key);
	size_t		i;

	if (object == NULL || object->type != MCJ_OBJECT)
		return;
	for (i = 0; i < object->u.obj.n; i++)
	{
		mcj_member *m = &object->u.obj.members[i];

		if (m->keylen == keylen && memcmp(m->key, key, keylen) == 0)
		{
			m->value = value;
			return;
		}
	}
	mcj_object_add(arena, object, key, keylen, value);
}

/* remove every member named key, keeping the order of the others */
bool
mcj_object_remove(mcj_value *object, const char *key)
{
	size_t		keylen = strlen(key);
	size_t		i,
				j;
	bool		found = false;

	if (object == NULL || object->type != MCJ_OBJECT)
		return false;
	for (i = 0, j = 0; i < object->u.obj.n; i++)
	{
		mcj_member *m = &object->u.obj.members[i];

		if (m->keylen == keylen && memcmp(m->key, key, keylen) == 0)
		{
			found = true;
			continue;
		}
		if (i != j)
			object->u.obj.members[j] = *m;
		j++;
	}
	object->u.obj.n = j;
	return found;
}

/* deep copy; NULL when out of memory */
mcj_value *
mcj_copy(mcj_arena *arena, const mcj_value *v)
{
	mcj_value  *c;
	size_t		i;

	if (v == NULL)
		return NULL;
	switch (v->type)
	{
		case MCJ_NUMBER:
			return mcj_number(arena, v->u.num);
		case MCJ_STRING:
			return mcj_string(arena, v->u.str.s, v->u.str.len);
		case MCJ_ARRAY:
			c = mcj_new_value(arena, MCJ_ARRAY);
			if (c == NULL)
				return NULL;
			if (v->u.arr.n > 0)
			{
				c->u.arr.items = (mcj_value **)
					mcj_alloc(arena, v->u.arr.n * sizeof(mcj_value *));
				if (c->u.arr.items == NULL)
					return NULL;
				c->u.arr.cap = v->u.arr.n;
			}
			for (i = 0; i < v->u.arr.n; i++)
			{
				c->u.arr.items[i] = mcj_copy(arena, v->u.arr.items[i]);
				if (c->u.arr.items[i] == NULL && v->u.arr.items[i] != NULL)
					return NULL;
			}
			c->u.arr.n = v->u.arr.n;
			return c;
		case MCJ_OBJECT:
			c = mcj_new_value(arena, MCJ_OBJECT);
			if (c == NULL)
				return NULL;
			if (v->u.obj.n > 0)
			{
				c->u.obj.members = (mcj_member *)
					mcj_alloc(arena, v->u.obj.n * sizeof(mcj_member));
				if (c->u.obj.members == NULL)
					return NULL;
				c->u.obj.cap = v->u.obj.n;
			}
			for (i = 0; i < v->u.obj.n; i++)
			{
				const mcj_member *m = &v->u.obj.members[i];
				mcj_member *cm = &c->u.obj.members[i];

				cm->keylen = m->keylen;
				cm->key = mcj_strndup(arena, m->key, m->keylen);
				cm->value = mcj_copy(arena, m->value);
				if (cm->key == NULL ||
					(cm->value == NULL && m->value != NULL))
					return NULL;
			}
			c->u.obj.n = v->u.obj.n;
			return c;
		default:
			return mcj_new_value(arena, v->type);
	}
}

/* Access -------------------------------------------------------------- */

/* first member named key (NUL-terminated), or NULL */
mcj_value *
mcj_object_get(const mcj_value *object, const char *key)
{
	return mcj_object_getn(object, key, strlen(key));
}

/* first member named key (keylen bytes), or NULL */
mcj_value *
mcj_object_getn(const mcj_value *object, const char *key, size_t keylen)
{
	size_t		i;

	if (object == NULL || object->type != MCJ_OBJECT)
		return NULL;
	for (i = 0; i < object->u.obj.n; i++)
	{
		const mcj_member *m = &object->u.obj.members[i];

		if (m->keylen == keylen && memcmp(m->key, key, keylen) == 0)
			return m->value;
	}
	return NULL;
}

/* is v a string equal to the C string s */
bool
mcj_is_string(const mcj_value *v, const char *s)
{
	size_t		len;

	if (v == NULL || v->type != MCJ_STRING || s == NULL)
		return false;
	len = strlen(s);
	return v->u.str.len == len && memcmp(v->u.str.s, s, len) == 0;
}

/* is there a member in o named like m whose value equals m's */
static bool
mcj_has_equal_member(const mcj_value *o, const mcj_member *m)
{
	size_t		i;

	for (i = 0; i < o->u.obj.n; i++)
	{
		const mcj_member *om = &o->u.obj.members[i];

		if (om->keylen == m->keylen &&
			memcmp(om->key, m->key, m->keylen) == 0 &&
			mcj_equal(om->value, m->value))
			return true;
	}
	return false;
}

/*
 * Deep equality.  Numbers compare as doubles (so 0 equals -0), member
 * order does not matter.  Objects with duplicate names are compared as
 * "every member of each has an equal member in the other".
 */
bool
mcj_equal(const mcj_value *a, const mcj_value *b)
{
	size_t		i;

	if (a == b)
		return true;
	if (a == NULL || b == NULL || a->type != b->type)
		return false;
	switch (a->type)
	{
		case MCJ_NUMBER:
			return a->u.num == b->u.num;
		case MCJ_STRING:
			return a->u.str.len == b->u.str.len &&
				(a->u.str.len == 0 ||
				 memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0);
		case MCJ_ARRAY:
			if (a->u.arr.n != b->u.arr.n)
				return false;
			for (i = 0; i < a->u.arr.n; i++)
				if (!mcj_equal(a->u.arr.items[i], b->u.arr.items[i]))
					return false;
			return true;
		case MCJ_OBJECT:
			if (a->u.obj.n != b->u.obj.n)
				return false;
			/* fast path: same names in the same order */
			for (i = 0; i < a->u.obj.n; i++)
			{
				const mcj_member *ma = &a->u.obj.members[i];
				const mcj_member *mb = &b->u.obj.members[i];

				if (ma->keylen != mb->keylen ||
					memcmp(ma->key, mb->key, ma->keylen) != 0)
					break;
				if (!mcj_equal(ma->value, mb->value))
					return false;
			}
			if (i == a->u.obj.n)
				return true;
			for (i = 0; i < a->u.obj.n; i++)
				if (!mcj_has_equal_member(b, &a->u.obj.members[i]))
					return false;
			for (i = 0; i < b->u.obj.n; i++)
				if (!mcj_has_equal_member(a, &b->u.obj.members[i]))
					return false;
			return true;
		default:
			return true;
	}
}

/* Writing ------------------------------------------------------------- */

/* append a string literal with JCS escaping */
void
mcj_write_string(mcj_buf *buf, const char *str, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *) str;
	size_t		i = 0;

	mcj_buf_reserve(buf, len + 2);
	buf->data[buf->len++] = '"';
	while (i < len)
	{
		size_t		run = i;
		unsigned char c;
		char		esc[6];

		while (run < len && s[run] >= 0x20 && s[run] != '"' && s[run] != '\\')
			run++;
		if (run > i)
		{
			mcj_buf_append(buf, str + i, run - i);
			i = run;
			if (i >= len)
				break;
		}
		c = s[i++];
		esc[0] = '\\';
		switch (c)
		{
			case '"':
			case '\\':
				esc[1] = (char) c;
				break;
			case '\b':
				esc[1] = 'b';
				break;
			case '\t':
				esc[1] = 't';
				break;
			case '\n':
				esc[1] = 'n';
				break;
			case '\f':
				esc[1] = 'f';
				break;
			case '\r':
				esc[1] = 'r';
				break;
			default:
				esc[1] = 'u';
				esc[2] = '0';
				esc[3] = '0';
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				mcj_buf_append(buf, esc, 6);
				continue;
		}
		mcj_buf_append(buf, esc, 2);
	}
	mcj_buf_appendc(buf, '"');
}

/* append a number; non-finite numbers (not JSON) become null */
void
mcj_write_number(mcj_buf *buf, double d)
{
	char		tmp[40];
	size_t		n;

	if (!isfinite(d))
	{
		mcj_buf_append(buf, "null", 4);
		return;
	}
	n = mcj_format_number(d, tmp);
	mcj_buf_append(buf, tmp, n);
}

/*
 * Compact JSON in document order.  A NULL value or a non-finite number is
 * written as null; strings are written as they are, even if not UTF-8.
 */
void
mcj_write(mcj_buf *buf, const mcj_value *v)
{
	size_t		i;

	MC_CHECK_INTERRUPTS();
	if (v == NULL)
	{
		mcj_buf_append(buf, "null", 4);
		return;
	}
	switch (v->type)
	{
		case MCJ_NULL:
			mcj_buf_append(buf, "null", 4);
			break;
		case MCJ_FALSE:
			mcj_buf_append(buf, "false", 5);
			break;
		case MCJ_TRUE:
			mcj_buf_append(buf, "true", 4);
			break;
		case MCJ_NUMBER:
			mcj_write_number(buf, v->u.num);
			break;
		case MCJ_STRING:
			mcj_write_string(buf, v->u.str.s, v->u.str.len);
			break;
		case MCJ_ARRAY:
			mcj_buf_appendc(buf, '[');
			for (i = 0; i < v->u.arr.n; i++)
			{
				if (i > 0)
					mcj_buf_appendc(buf, ',');
				mcj_write(buf, v->u.arr.items[i]);
			}
			mcj_buf_appendc(buf, ']');
			break;
		case MCJ_OBJECT:
			mcj_buf_appendc(buf, '{');
			for (i = 0; i < v->u.obj.n; i++)
			{
				const mcj_member *m = &v->u.obj.members[i];

				if (i > 0)
					mcj_buf_appendc(buf, ',');
				mcj_write_string(buf, m->key, m->keylen);
				mcj_buf_appendc(buf, ':');
				mcj_write(buf, m->value);
			}
			mcj_buf_appendc(buf, '}');
			break;
	}
}
