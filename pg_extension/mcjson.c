/*-------------------------------------------------------------------------
 *
 * mcjson.c
 *	  A small JSON document model with arena allocation, a strict I-JSON
 *	  (RFC 7493) parser and writers (compact and RFC 8785 JCS).
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
#include "mcjson.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Arena --------------------------------------------------------------- */

#define MCJ_ALIGN(x)		(((x) + (size_t) 7) & ~(size_t) 7)
#define MCJ_BLOCK_MIN		((size_t) 8192)
#define MCJ_BLOCK_MAX		((size_t) 1024 * 1024)

typedef struct mcj_block
{
	struct mcj_block *next;
	size_t		size;			/* usable bytes after the header */
	size_t		used;
} mcj_block;

#define MCJ_BLOCK_HDR		MCJ_ALIGN(sizeof(mcj_block))
#define MCJ_BLOCK_DATA(b)	((char *) (b) + MCJ_BLOCK_HDR)

struct mcj_arena
{
	mcj_allocator allocator;
	mcj_block  *head;			/* small allocations come from this block */
	size_t		next_size;		/* usable size of the next regular block */
	char	   *last;			/* most recent allocation from head */
	size_t		lastsize;		/* its aligned size */
};

void		(*mc_interrupt_hook) (void) = NULL;

/* default allocator: malloc */
static void *
mcj_malloc_alloc(void *ctx, size_t size)
{
	(void) ctx;
	return malloc(size);
}

/* default allocator: free */
static void
mcj_malloc_free(void *ctx, void *ptr)
{
	(void) ctx;
	free(ptr);
}

/* get a block with at least size usable bytes from the allocator */
static mcj_block *
mcj_block_new(const mcj_allocator *a, size_t size)
{
	mcj_block  *b;

	if (size > SIZE_MAX - MCJ_BLOCK_HDR)
		return NULL;
	b = (mcj_block *) a->alloc(a->ctx, MCJ_BLOCK_HDR + size);
	if (b == NULL)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

/* create an arena; its own header lives in the first block */
mcj_arena *
mcj_arena_create(const mcj_allocator *allocator)
{
	mcj_allocator a;
	mcj_block  *b;
	mcj_arena  *arena;

	if (allocator != NULL)
		a = *allocator;
	else
	{
		a.alloc = mcj_malloc_alloc;
		a.free = mcj_malloc_free;
		a.ctx = NULL;
	}
	b = mcj_block_new(&a, MCJ_BLOCK_MIN);
	if (b == NULL)
		return NULL;
	arena = (mcj_arena *) MCJ_BLOCK_DATA(b);
	b->used = MCJ_ALIGN(sizeof(mcj_arena));
	arena->allocator = a;
	arena->head = b;
	arena->next_size = MCJ_BLOCK_MIN * 2;
	arena->last = NULL;
	arena->lastsize = 0;
	return arena;
}

/* release every block, including the one holding the arena itself */
void
mcj_arena_destroy(mcj_arena *arena)
{
	mcj_allocator a;
	mcj_block  *b;

	if (arena == NULL)
		return;
	a = arena->allocator;
	b = arena->head;
	while (b != NULL)
	{
		mcj_block  *next = b->next;

		if (a.free != NULL)
			a.free(a.ctx, b);
		b = next;
	}
}

/* allocate size bytes, 8-byte aligned; NULL when out of memory */
void *
mcj_alloc(mcj_arena *arena, size_t size)
{
	mcj_block  *b = arena->head;
	char	   *p;

	if (size > SIZE_MAX / 2)
		return NULL;
	size = MCJ_ALIGN(size == 0 ? 1 : size);

	if (b->size - b->used < size)
	{
		mcj_block  *nb;

		if (size > arena->next_size / 4)
		{
			/* large request: a block of its own, behind the current one */
			nb = mcj_block_new(&arena->allocator, size);
			if (nb == NULL)
				return NULL;
			nb->used = size;
			nb->next = b->next;
			b->next = nb;
			return MCJ_BLOCK_DATA(nb);
		}
		nb = mcj_block_new(&arena->allocator, arena->next_size);
		if (nb == NULL)
			return NULL;
		if (arena->next_size < MCJ_BLOCK_MAX)
			arena->next_size *= 2;
		nb->next = b;
		arena->head = nb;
		b = nb;
	}
	p = MCJ_BLOCK_DATA(b) + b->used;
	b->used += size;
	arena->last = p;
	arena->lastsize = size;
	return p;
}

/*
 * Grow the most recent allocation in place when it is at the end of the
 * current block and the block has room; returns whether it could.
 */
static bool
mcj_arena_extend(mcj_arena *arena, void *p, size_t newsize)
{
	mcj_block  *b = arena->head;
	size_t		extra;

	if (p == NULL || (char *) p != arena->last || newsize > SIZE_MAX / 2)
		return false;
	newsize = MCJ_ALIGN(newsize);
	if (newsize <= arena->lastsize)
		return true;
	extra = newsize - arena->lastsize;
	if (arena->last + arena->lastsize != MCJ_BLOCK_DATA(b) + b->used ||
		b->size - b->used < extra)
		return false;
	b->used += extra;
	arena->lastsize = newsize;
	return true;
}

/* copy len bytes and add a terminating NUL; NULL when out of memory */
char *
mcj_strndup(mcj_arena *arena, const char *s, size_t len)
{
	char	   *p;

	if (len == SIZE_MAX)
		return NULL;
	p = (char *) mcj_alloc(arena, len + 1);
	if (p == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* allocation that cannot report failure */
static void *
mcj_alloc_or_abort(mcj_arena *arena, size_t size)
{
	void	   *p = mcj_alloc(arena, size);

	if (p == NULL)
		abort();
	return p;
}

/* Buffer -------------------------------------------------------------- */

/* start an empty buffer with room for initial bytes */
void
mcj_buf_init(mcj_buf *buf, mcj_arena *arena, size_t initial)
{
	if (initial < 64)
		initial = 64;
	buf->arena = arena;
	buf->data = (char *) mcj_alloc_or_abort(arena, initial);
	buf->data[0] = '\0';
	buf->len = 0;
	buf->cap = initial;
}

/* make room for extra more bytes plus the terminating NUL */
static void
mcj_buf_reserve(mcj_buf *buf, size_t extra)
{
	size_t		need;
	size_t		newcap;
	char	   *nd;

	if (extra > SIZE_MAX / 4 - buf->len)
		abort();
	need = buf->len + extra + 1;
	if (buf->data != NULL && need <= buf->cap)
		return;
	newcap = buf->cap < 64 ? 64 : buf->cap;
	while (newcap < need)
		newcap *= 2;
	if (buf->data != NULL && mcj_arena_extend(buf->arena, buf->data, newcap))
	{
		buf->cap = newcap;
		return;
	}
	nd = (char *) mcj_alloc_or_abort(buf->arena, newcap);
	if (buf->data != NULL)
		memcpy(nd, buf->data, buf->len + 1);
	else
		nd[0] = '\0';
	buf->data = nd;
	buf->cap = newcap;
}

/* append len bytes */
void
mcj_buf_append(mcj_buf *buf, const char *s, size_t len)
{
	mcj_buf_reserve(buf, len);
	if (len > 0)
		memcpy(buf->data + buf->len, s, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
}

/* append one byte */
void
mcj_buf_appendc(mcj_buf *buf, char c)
{
	if (buf->data == NULL || buf->len + 1 >= buf->cap)
		mcj_buf_reserve(buf, 1);
	buf->data[buf->len++] = c;
	buf->data[buf->len] = '\0';
}

/* append a NUL-terminated string */
void
mcj_buf_appends(mcj_buf *buf, const char *s)
{
	mcj_buf_append(buf, s, strlen(s));
}

/* Building ------------------------------------------------------------ */

/* a new value of the given type, zeroed; NULL when out of memory */
static mcj_value *
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
static bool
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
static bool
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

/* Errors and UTF-8 ---------------------------------------------------- */

static void mcj_set_error(mcj_error *err, size_t offset, const char *fmt,...) __attribute__((format(printf, 3, 4)));

/* fill *err (if any) with a formatted message and an offset */
static void
mcj_set_error(mcj_error *err, size_t offset, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	err->offset = offset;
}

/*
 * Length of the well-formed UTF-8 sequence at s (n bytes available), per
 * Unicode table 3-7, or 0 with *why set when it is ill-formed.  ASCII is
 * handled by the callers before they get here but is accepted.
 */
static size_t
mcj_utf8_seq(const unsigned char *s, size_t n, const char **why)
{
	unsigned int c = s[0];
	size_t		need;
	unsigned int lo = 0x80,
				hi = 0xBF;
	size_t		i;

	if (c < 0x80)
		return 1;
	if (c < 0xC0)
	{
		*why = "unexpected continuation byte";
		return 0;
	}
	if (c < 0xC2)
	{
		*why = "overlong encoding";
		return 0;
	}
	if (c < 0xE0)
		need = 1;
	else if (c < 0xF0)
	{
		need = 2;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	}
	else if (c < 0xF5)
	{
		need = 3;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	}
	else
	{
		*why = c < 0xF8 ? "code point above u+10ffff" : "invalid byte";
		return 0;
	}
	if (n < 2 || s[1] < 0x80 || s[1] > 0xBF)
	{
		*why = "truncated sequence";
		return 0;
	}
	if (s[1] < lo)
	{
		*why = "overlong encoding";
		return 0;
	}
	if (s[1] > hi)
	{
		*why = c == 0xED ? "encoded surrogate" : "code point above u+10ffff";
		return 0;
	}
	for (i = 2; i <= need; i++)
	{
		if (i >= n || s[i] < 0x80 || s[i] > 0xBF)
		{
			*why = "truncated sequence";
			return 0;
		}
	}
	return need + 1;
}

/* is s[0..len) well-formed UTF-8 */
static bool
mcj_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		i = 0;
	const char *why;

	while (i < len)
	{
		size_t		n;

		if (p[i] < 0x80)
		{
			i++;
			continue;
		}
		n = mcj_utf8_seq(p + i, len - i, &why);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* Parsing ------------------------------------------------------------- */

#define MCJ_DEFAULT_DEPTH	256
#define MCJ_LINEAR_DUPS		16	/* objects larger than this get a hash */
#define MCJ_MAX_DIGITS		800 /* significant digits given to strtod */

/* one open container */
typedef struct mcj_frame
{
	mcj_value  *v;
	const char *key;			/* pending member name (objects) */
	size_t		keylen;
	size_t	   *hash;			/* member index + 1, open addressing */
	size_t		hcap;			/* power of two, 0 = no hash yet */
} mcj_frame;

typedef struct mcj_parser
{
	mcj_arena  *arena;
	const unsigned char *s;
	size_t		len;
	size_t		pos;
	mcj_error  *err;
	bool		allow_dups;
} mcj_parser;

/* report out of memory */
static void
mcj_oom(mcj_parser *p)
{
	mcj_set_error(p->err, p->pos, "out of memory");
}

/* skip JSON whitespace */
static inline void
mcj_skip_ws(mcj_parser *p)
{
	while (p->pos < p->len)
	{
		unsigned char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

/* report an unexpected byte (or the end of the input) at p->pos */
static void
mcj_unexpected(mcj_parser *p, const char *what)
{
	unsigned char c;

	if (p->pos >= p->len)
	{
		mcj_set_error(p->err, p->pos, "unexpected end of input%s%s",
					  what ? ", " : "", what ? what : "");
		return;
	}
	c = p->s[p->pos];
	if (c > 0x20 && c < 0x7F)
		mcj_set_error(p->err, p->pos, "unexpected character '%c'%s%s",
					  (char) c, what ? ", " : "", what ? what : "");
	else
		mcj_set_error(p->err, p->pos, "unexpected byte 0x%02x%s%s",
					  (unsigned int) c, what ? ", " : "", what ? what : "");
}

/* value of four hex digits at s, or -1 */
static long
mcj_hex4(const unsigned char *s)
{
	long		v = 0;
	int			i;

	for (i = 0; i < 4; i++)
	{
		unsigned char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* encode a code point as UTF-8, returning the number of bytes */
static size_t
mcj_utf8_encode(unsigned long cp, char *out)
{
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

/*
 * Parse a string at p->pos (which is at the opening quote).  A first pass
 * validates and finds the end, a second decodes escapes when there are
 * any.  The result is NUL-terminated in the arena.
 */
static bool
mcj_parse_string(mcj_parser *p, const char **out, size_t *outlen)
{
	const unsigned char *s = p->s;
	size_t		len = p->len;
	size_t		start = p->pos + 1;
	size_t		i = start;
	bool		escapes = false;
	char	   *dst;
	size_t		j,
				n;

	for (;;)
	{
		unsigned char c;

		if (i >= len)
		{
			mcj_set_error(p->err, p->pos, "unterminated string");
			return false;
		}
		c = s[i];
		if (c == '"')
			break;
		if (c >= 0x20 && c < 0x80 && c != '\\')
		{
			i++;
			continue;
		}
		if (c < 0x20)
		{
			mcj_set_error(p->err, i,
						  "unescaped control character 0x%02x in string",
						  (unsigned int) c);
			return false;
		}
		if (c == '\\')
		{
			unsigned char e;
			long		cp,
						lo;

			escapes = true;
			if (i + 1 >= len)
			{
				mcj_set_error(p->err, p->pos, "unterminated string");
				return false;
			}
			e = s[i + 1];
			switch (e)
			{
				case '"':
				case '\\':
				case '/':
				case 'b':
				case 'f':
				case 'n':
				case 'r':
				case 't':
					i += 2;
					continue;
				case 'u':
					break;
				default:
					if (e > 0x20 && e < 0x7F)
						mcj_set_error(p->err, i, "invalid escape \\%c in string",
									  (char) e);
					else
						mcj_set_error(p->err, i,
									  "invalid escape: backslash followed by byte 0x%02x",
									  (unsigned int) e);
					return false;
			}
			if (len - i < 6 || (cp = mcj_hex4(s + i + 2)) < 0)
			{
				mcj_set_error(p->err, i,
							  "invalid escape: \\u must be followed by four hex digits");
				return false;
			}
			if (cp >= 0xD800 && cp <= 0xDBFF)
			{
				if (len - i < 12 || s[i + 6] != '\\' || s[i + 7] != 'u' ||
					(lo = mcj_hex4(s + i + 8)) < 0xDC00 || lo > 0xDFFF)
				{
					mcj_set_error(p->err, i, "lone surrogate \\u%04lx in string",
								  (unsigned long) cp);
					return false;
				}
				i += 12;
			}
			else if (cp >= 0xDC00 && cp <= 0xDFFF)
			{
				mcj_set_error(p->err, i, "lone surrogate \\u%04lx in string",
							  (unsigned long) cp);
				return false;
			}
			else
				i += 6;
		}
		else
		{
			const char *why = "";

			n = mcj_utf8_seq(s + i, len - i, &why);
			if (n == 0)
			{
				mcj_set_error(p->err, i, "invalid utf-8 in string: %s", why);
				return false;
			}
			i += n;
		}
	}

	p->pos = i + 1;
	if (!escapes)
	{
		*out = mcj_strndup(p->arena, (const char *) s + start, i - start);
		*outlen = i - start;
		if (*out == NULL)
		{
			mcj_oom(p);
			return false;
		}
		return true;
	}

	/* decode: escapes only shrink, so i - start bytes are enough */
	dst = (char *) mcj_alloc(p->arena, i - start + 1);
	if (dst == NULL)
	{
		mcj_oom(p);
		return false;
	}
	j = 0;
	n = start;
	while (n < i)
	{
		size_t		run = n;

		while (run < i && s[run] != '\\')
			run++;
		if (run > n)
		{
			memcpy(dst + j, s + n, run - n);
			j += run - n;
			n = run;
		}
		if (n >= i)
			break;
		/* s[n] is a backslash, validated above */
		switch (s[n + 1])
		{
			case 'b':
				dst[j++] = '\b';
				n += 2;
				break;
			case 'f':
				dst[j++] = '\f';
				n += 2;
				break;
			case 'n':
				dst[j++] = '\n';
				n += 2;
				break;
			case 'r':
				dst[j++] = '\r';
				n += 2;
				break;
			case 't':
				dst[j++] = '\t';
				n += 2;
				break;
			case 'u':
				{
					unsigned long cp = (unsigned long) mcj_hex4(s + n + 2);

					n += 6;
					if (cp >= 0xD800 && cp <= 0xDBFF)
					{
						unsigned long lo = (unsigned long) mcj_hex4(s + n + 2);

						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
						n += 6;
					}
					j += mcj_utf8_encode(cp, dst + j);
					break;
				}
			default:
				dst[j++] = (char) s[n + 1];
				n += 2;
				break;
		}
	}
	dst[j] = '\0';
	*out = dst;
	*outlen = j;
	return true;
}

/* a number value, reporting out of memory */
static mcj_value *
mcj_number_or_oom(mcj_parser *p, double d)
{
	mcj_value  *v = mcj_number(p->arena, d);

	if (v == NULL)
		mcj_oom(p);
	return v;
}

/* parse a number at p->pos; grammar first, then strtod on a clean form */
static mcj_value *
mcj_parse_number(mcj_parser *p)
{
	const unsigned char *s = p->s;
	size_t		len = p->len;
	size_t		start = p->pos;
	size_t		i = start;
	bool		neg = false;
	size_t		int_start,
				int_end,
				frac_start = 0,
				frac_end = 0;
	long long	exp = 0;
	char		buf[MCJ_MAX_DIGITS + 40];
	size_t		b = 0;
	double		d;
	char	   *endp;

	if (s[i] == '-')
	{
		neg = true;
		i++;
	}
	if (i >= len || s[i] < '0' || s[i] > '9')
	{
		p->pos = i;
		mcj_unexpected(p, "expected digit");
		return NULL;
	}
	int_start = i;
	if (s[i] == '0')
	{
		i++;
		if (i < len && s[i] >= '0' && s[i] <= '9')
		{
			mcj_set_error(p->err, start, "leading zero in number");
			return NULL;
		}
	}
	else
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	int_end = i;
	if (i < len && s[i] == '.')
	{
		i++;
		frac_start = i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		frac_end = i;
		if (frac_end == frac_start)
		{
			p->pos = i;
			mcj_unexpected(p, "expected digit after decimal point");
			return NULL;
		}
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
	{
		bool		eneg = false;
		size_t		estart;

		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
		{
			eneg = s[i] == '-';
			i++;
		}
		estart = i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
		{
			if (exp < 1000000000LL)
				exp = exp * 10 + (s[i] - '0');
			i++;
		}
		if (i == estart)
		{
			p->pos = i;
			mcj_unexpected(p, "expected digit in exponent");
			return NULL;
		}
		if (eneg)
			exp = -exp;
	}
	p->pos = i;

	/*
	 * Rewrite as integer digits and a power of ten, without a decimal point,
	 * so that strtod's locale cannot matter: leading zeros dropped, at most
	 * MCJ_MAX_DIGITS significant digits kept, then a sticky 1 when a
	 * nonzero digit was dropped (which keeps strtod's rounding correct).
	 */
	{
		size_t		intlen = int_end - int_start;
		size_t		fraclen = frac_end - frac_start;
		size_t		total = intlen + fraclen;
		size_t		kept = 0;
		size_t		t,
					t_last = 0;
		bool		sticky = false;
		long long	e10;

		if (neg)
			buf[b++] = '-';
		for (t = 0; t < total; t++)
		{
			unsigned char c = t < intlen ? s[int_start + t] :
				s[frac_start + t - intlen];

			if (kept == 0 && c == '0')
				continue;
			if (kept < MCJ_MAX_DIGITS)
			{
				buf[b++] = (char) c;
				kept++;
				t_last = t;
				continue;
			}
			if (c != '0')
			{
				sticky = true;
				break;
			}
		}
		if (kept == 0)
			return mcj_number_or_oom(p, neg ? -0.0 : 0.0);
		e10 = exp - (long long) fraclen + (long long) (total - 1 - t_last);
		if (sticky)
		{
			buf[b++] = '1';
			kept++;
			e10--;
		}
		if (e10 + (long long) kept > 400)
		{
			mcj_set_error(p->err, start, "number out of range for a double");
			return NULL;
		}
		if (e10 + (long long) kept < -400)
			return mcj_number_or_oom(p, neg ? -0.0 : 0.0);
		b += (size_t) snprintf(buf + b, sizeof(buf) - b, "e%lld", e10);
	}
	d = strtod(buf, &endp);
	if (endp != buf + b || !isfinite(d))
	{
		mcj_set_error(p->err, start, "number out of range for a double");
		return NULL;
	}
	return mcj_number_or_oom(p, d);
}

/* FNV-1a hash of a member name */
static size_t
mcj_hash(const char *key, size_t len)
{
	uint64_t	h = 14695981039346656037ULL;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		h ^= (unsigned char) key[i];
		h *= 1099511628211ULL;
	}
	return (size_t) (h ^ (h >> 32));
}

/* insert member index idx into the frame's hash (which has room) */
static void
mcj_hash_insert(mcj_frame *f, size_t idx)
{
	const mcj_member *m = &f->v->u.obj.members[idx];
	size_t		mask = f->hcap - 1;
	size_t		h = mcj_hash(m->key, m->keylen) & mask;

	while (f->hash[h] != 0)
		h = (h + 1) & mask;
	f->hash[h] = idx + 1;
}

/* (re)build the frame's hash with room for at least want members */
static bool
mcj_hash_build(mcj_parser *p, mcj_frame *f, size_t want)
{
	size_t		cap = 64;
	size_t		i;

	while (cap < want * 2)
	{
		if (cap > SIZE_MAX / 4 / sizeof(size_t))
			return false;
		cap *= 2;
	}
	f->hash = (size_t *) mcj_alloc(p->arena, cap * sizeof(size_t));
	if (f->hash == NULL)
		return false;
	memset(f->hash, 0, cap * sizeof(size_t));
	f->hcap = cap;
	for (i = 0; i < f->v->u.obj.n; i++)
		mcj_hash_insert(f, i);
	return true;
}

/* report a duplicate member name, quoting (a printable prefix of) it */
static void
mcj_duplicate(mcj_parser *p, size_t offset, const char *key, size_t keylen)
{
	char		shown[64];
	size_t		i,
				j = 0;

	for (i = 0; i < keylen && j < 48; i++)
	{
		unsigned char c = (unsigned char) key[i];

		if (c < 0x20 || c == 0x7F || c == '"' || c == '\\')
		{
			j += (size_t) snprintf(shown + j, sizeof(shown) - j, "\\x%02x",
								   (unsigned int) c);
		}
		else
			shown[j++] = (char) c;
	}
	/* do not cut a UTF-8 sequence in half */
	if (i < keylen)
	{
		while (j > 0 && ((unsigned char) shown[j - 1] & 0xC0) == 0x80)
			j--;
		if (j > 0 && (unsigned char) shown[j - 1] >= 0xC0)
			j--;
	}
	shown[j] = '\0';
	mcj_set_error(p->err, offset, "duplicate member name \"%s\"%s", shown,
				  i < keylen ? "..." : "");
}

/*
 * Parse a member name at p->pos (after whitespace), check it against the
 * names already in the object, and consume the following colon.
 */
static bool
mcj_parse_member_name(mcj_parser *p, mcj_frame *f)
{
	size_t		at = p->pos;
	const char *key;
	size_t		keylen;
	mcj_value  *o = f->v;

	if (p->pos >= p->len || p->s[p->pos] != '"')
	{
		mcj_unexpected(p, "expected member name string");
		return false;
	}
	if (!mcj_parse_string(p, &key, &keylen))
		return false;
	if (!p->allow_dups)
	{
		size_t		n = o->u.obj.n;

		if (n < MCJ_LINEAR_DUPS)
		{
			size_t		i;

			for (i = 0; i < n; i++)
			{
				const mcj_member *m = &o->u.obj.members[i];

				if (m->keylen == keylen && memcmp(m->key, key, keylen) == 0)
				{
					mcj_duplicate(p, at, key, keylen);
					return false;
				}
			}
		}
		else
		{
			size_t		mask,
						h;

			if ((n + 1) * 2 > f->hcap && !mcj_hash_build(p, f, n + 1))
			{
				mcj_oom(p);
				return false;
			}
			mask = f->hcap - 1;
			h = mcj_hash(key, keylen) & mask;
			while (f->hash[h] != 0)
			{
				const mcj_member *m = &o->u.obj.members[f->hash[h] - 1];

				if (m->keylen == keylen && memcmp(m->key, key, keylen) == 0)
				{
					mcj_duplicate(p, at, key, keylen);
					return false;
				}
				h = (h + 1) & mask;
			}
			/* member n will be appended once its value is parsed */
			f->hash[h] = n + 1;
		}
	}
	f->key = key;
	f->keylen = keylen;
	mcj_skip_ws(p);
	if (p->pos >= p->len || p->s[p->pos] != ':')
	{
		mcj_unexpected(p, "expected ':' after member name");
		return false;
	}
	p->pos++;
	return true;
}

/* parse a scalar (string, number or literal) at p->pos */
static mcj_value *
mcj_parse_scalar(mcj_parser *p)
{
	unsigned char c = p->s[p->pos];
	mcj_value  *v;

	if (c == '"')
	{
		const char *str;
		size_t		len;

		if (!mcj_parse_string(p, &str, &len))
			return NULL;
		v = mcj_new_value(p->arena, MCJ_STRING);
		if (v == NULL)
		{
			mcj_oom(p);
			return NULL;
		}
		v->u.str.s = str;
		v->u.str.len = len;
		return v;
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return mcj_parse_number(p);
	if (c == 't' || c == 'f' || c == 'n')
	{
		const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
		size_t		wlen = strlen(word);

		if (p->len - p->pos < wlen ||
			memcmp(p->s + p->pos, word, wlen) != 0)
		{
			mcj_set_error(p->err, p->pos, "invalid literal, expected %s", word);
			return NULL;
		}
		p->pos += wlen;
		v = mcj_new_value(p->arena, c == 't' ? MCJ_TRUE :
						  c == 'f' ? MCJ_FALSE : MCJ_NULL);
		if (v == NULL)
			mcj_oom(p);
		return v;
	}
	mcj_unexpected(p, "expected a value");
	return NULL;
}

/* strict I-JSON parser; iterative, with an explicit stack of containers */
mcj_value *
mcj_parse(mcj_arena *arena, const char *text, size_t len,
		  const mcj_parse_options *options, mcj_error *err)
{
	mcj_parser	p;
	mcj_frame  *stack = NULL;
	size_t		stackcap = 0;
	size_t		depth = 0;
	size_t		max_depth = MCJ_DEFAULT_DEPTH;
	mcj_value  *v;

	if (err != NULL)
	{
		err->message[0] = '\0';
		err->offset = 0;
	}
	if (options != NULL && options->max_depth > 0)
		max_depth = (size_t) options->max_depth;
	if (options != NULL && options->max_bytes > 0 && len > options->max_bytes)
	{
		mcj_set_error(err, options->max_bytes,
					  "input exceeds the limit of %zu bytes", options->max_bytes);
		return NULL;
	}
	if (text == NULL && len > 0)
	{
		mcj_set_error(err, 0, "no input");
		return NULL;
	}
	p.arena = arena;
	p.s = (const unsigned char *) text;
	p.len = len;
	p.pos = 0;
	p.err = err;
	p.allow_dups = options != NULL && options->allow_duplicate_keys;

	for (;;)
	{
		unsigned char c;

		MC_CHECK_INTERRUPTS();
		/* a value is expected at p.pos */
		mcj_skip_ws(&p);
		if (p.pos >= p.len)
		{
			mcj_unexpected(&p, NULL);
			return NULL;
		}
		c = p.s[p.pos];
		if (c == '[' || c == '{')
		{
			mcj_frame  *f;

			if (depth >= max_depth)
			{
				mcj_set_error(err, p.pos, "nesting deeper than %zu levels",
							  max_depth);
				return NULL;
			}
			if (depth == stackcap)
			{
				size_t		ncap = stackcap == 0 ? 16 : stackcap * 2;
				mcj_frame  *ns;

				ns = (mcj_frame *) mcj_alloc(arena, ncap * sizeof(mcj_frame));
				if (ns == NULL)
				{
					mcj_oom(&p);
					return NULL;
				}
				if (depth > 0)
					memcpy(ns, stack, depth * sizeof(mcj_frame));
				stack = ns;
				stackcap = ncap;
			}
			f = &stack[depth];
			memset(f, 0, sizeof(mcj_frame));
			f->v = mcj_new_value(arena, c == '[' ? MCJ_ARRAY : MCJ_OBJECT);
			if (f->v == NULL)
			{
				mcj_oom(&p);
				return NULL;
			}
			depth++;
			p.pos++;
			mcj_skip_ws(&p);
			if (p.pos < p.len && p.s[p.pos] == (c == '[' ? ']' : '}'))
			{
				p.pos++;
				v = f->v;
				depth--;
			}
			else if (c == '[')
				continue;
			else
			{
				if (!mcj_parse_member_name(&p, f))
					return NULL;
				continue;
			}
		}
		else
		{
			v = mcj_parse_scalar(&p);
			if (v == NULL)
				return NULL;
		}

		/* v is complete: attach it to its container, closing as needed */
		for (;;)
		{
			mcj_frame  *f;
			bool		is_array;

			if (depth == 0)
			{
				mcj_skip_ws(&p);
				if (p.pos < p.len)
				{
					mcj_unexpected(&p, "trailing garbage after json value");
					return NULL;
				}
				return v;
			}
			f = &stack[depth - 1];
			is_array = f->v->type == MCJ_ARRAY;
			if (is_array ? !mcj_array_push(arena, f->v, v) :
				!mcj_object_push(arena, f->v, f->key, f->keylen, v))
			{
				mcj_oom(&p);
				return NULL;
			}
			mcj_skip_ws(&p);
			if (p.pos >= p.len)
			{
				mcj_unexpected(&p, NULL);
				return NULL;
			}
			c = p.s[p.pos];
			if (c == ',')
			{
				p.pos++;
				mcj_skip_ws(&p);
				if (p.pos < p.len && p.s[p.pos] == (is_array ? ']' : '}'))
				{
					mcj_set_error(err, p.pos, "trailing comma in %s",
								  is_array ? "array" : "object");
					return NULL;
				}
				if (!is_array && !mcj_parse_member_name(&p, f))
					return NULL;
				break;			/* parse the next value */
			}
			if (c != (is_array ? ']' : '}'))
			{
				mcj_unexpected(&p, is_array ? "expected ',' or ']'" :
							   "expected ',' or '}'");
				return NULL;
			}
			p.pos++;
			v = f->v;
			depth--;
		}
	}
}

/* Numbers ------------------------------------------------------------- */

/*
 * Split the "%.*e" output of snprintf into its digits and decimal
 * exponent, ignoring whatever decimal point the locale uses.  Returns the
 * number of digits.
 */
static int
mcj_split_e(const char *s, char *digits, int *exp10)
{
	int			k = 0;
	int			e = 0;
	bool		eneg = false;

	for (; *s != '\0' && *s != 'e' && *s != 'E'; s++)
		if (*s >= '0' && *s <= '9' && k < 24)
			digits[k++] = *s;
	if (*s != '\0')
	{
		s++;
		if (*s == '-' || *s == '+')
			eneg = *s++ == '-';
		for (; *s >= '0' && *s <= '9'; s++)
			e = e * 10 + (*s - '0');
	}
	*exp10 = eneg ? -e : e;
	return k;
}

/* does digits[0..k) x 10^e10 read back as exactly d */
static bool
mcj_roundtrips(const char *digits, int k, int e10, double d)
{
	char		tmp[48];

	memcpy(tmp, digits, (size_t) k);
	snprintf(tmp + k, sizeof(tmp) - (size_t) k, "e%d", e10);
	return strtod(tmp, NULL) == d;
}

/*
 * Try the candidate one unit in the last place above (delta 1) or below
 * (delta -1) digits[0..*k) x 10^(*n - *k); on a round trip, replace the
 * digits, *k and *n with it and return true.
 */
static bool
mcj_try_neighbour(char *digits, int *k, int *n, double d, int delta)
{
	char		cand[24];
	int			ck = *k,
				cn = *n,
				i;

	memcpy(cand, digits, (size_t) ck);
	for (i = ck - 1; i >= 0; i--)
	{
		if (delta > 0 && cand[i] == '9')
			cand[i] = '0';
		else if (delta < 0 && cand[i] == '0')
			cand[i] = '9';
		else
		{
			cand[i] = (char) (cand[i] + delta);
			break;
		}
	}
	if (i < 0)
	{
		if (delta < 0)
			return false;
		/* 9...9 + 1 = 10...0, one more digit */
		memmove(cand + 1, cand, (size_t) ck);
		cand[0] = '1';
		ck++;
		cn++;
	}
	/* a borrow may leave a leading zero: 100 - 1 = 099 */
	while (ck > 1 && cand[0] == '0')
	{
		memmove(cand, cand + 1, (size_t) ck - 1);
		ck--;
		cn--;
	}
	if (cand[0] == '0' || !mcj_roundtrips(cand, ck, cn - ck, d))
		return false;
	memcpy(digits, cand, (size_t) ck);
	*k = ck;
	*n = cn;
	return true;
}

/*
 * Shortest digits for a finite positive d: digits[0..k) (returned) and
 * the ECMAScript exponent *n, so that d = 0.d1d2...dk x 10^n.  For each
 * precision the correctly rounded candidate from snprintf is tried first
 * (the closest one, ties to even, as ES requires), then its neighbours
 * one unit in the last place away: the rounding interval of a power of
 * two is asymmetric, so a farther candidate may round-trip when the
 * nearest one does not (elsewhere the interval is symmetric, boundaries
 * included or not alike, so the nearest candidate is the only one to
 * try).
 *
 * For normal numbers the search starts at 15 digits: DBL_DIG is 15, so
 * at most one decimal of 15 significant digits rounds to d, and any
 * shorter decimal that rounds to d is that one with its trailing zeros
 * dropped.  The rounding interval of d is narrower than the spacing of
 * 15-digit decimals, so that one is the nearest or a neighbour.
 * Subnormals have less precision and search from 1 digit.
 */
static int
mcj_shortest(double d, char *digits, int *n)
{
	char		tmp[48];
	int			prec,
				k = 0,
				e = 0;
	uint64_t	bits;
	bool		pow2;

	memcpy(&bits, &d, sizeof(bits));
	pow2 = (bits & (((uint64_t) 1 << 52) - 1)) == 0;

	for (prec = d >= DBL_MIN ? DBL_DIG : 1; prec <= 17; prec++)
	{
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		k = mcj_split_e(tmp, digits, &e);
		*n = e + 1;
		if (prec == 17 || strtod(tmp, NULL) == d)
			break;
		if (pow2 && (mcj_try_neighbour(digits, &k, n, d, 1) ||
					 mcj_try_neighbour(digits, &k, n, d, -1)))
			break;
	}
	while (k > 1 && digits[k - 1] == '0')
		k--;
	return k;
}

/*
 * Fast path for short decimals such as 4.35 or 0.001, without snprintf:
 * find the first j for which m = round(d x 10^j) < 10^15 and m / 10^j
 * (one correctly rounded division of exact operands) gives d back.  Such
 * an m x 10^-j has at most 15 significant digits and rounds to d, so by
 * the DBL_DIG argument of mcj_shortest it is the shortest.  Returns the
 * number of digits, or 0 when there is none (then use mcj_shortest).
 */
static int
mcj_short_decimal(double d, char *digits, int *n)
{
	double		p10 = 1.0;
	int			j;

	if (d < DBL_MIN || d >= 1e15)
		return 0;
	for (j = 0; j <= 22 && d * p10 < 1e15; j++, p10 *= 10.0)
	{
		uint64_t	m = (uint64_t) (d * p10 + 0.5);
		char		rev[24];
		int			r = 0,
					k = 0;

		if (m == 0 || (double) m / p10 != d)
			continue;
		while (m > 0)
		{
			rev[r++] = (char) ('0' + m % 10);
			m /= 10;
		}
		*n = r - j;
		while (r > 0)
			digits[k++] = rev[--r];
		while (k > 1 && digits[k - 1] == '0')
			k--;
		return k;
	}
	return 0;
}

/* ECMAScript Number::toString for a double; see mcjson.h */
size_t
mcj_format_number(double d, char *out)
{
	char		digits[24];
	int			k,
				n,
				i;
	size_t		o = 0;

	if (d != d)
	{
		memcpy(out, "NaN", 4);
		return 3;
	}
	if (d == 0)
	{
		memcpy(out, "0", 2);
		return 1;
	}
	if (d < 0)
	{
		out[o++] = '-';
		d = -d;
	}
	if (!isfinite(d))
	{
		memcpy(out + o, "Infinity", 9);
		return o + 8;
	}

	/* integers below 2^53 are exact: print them directly */
	if (d < 9007199254740992.0 && (double) (uint64_t) d == d)
	{
		uint64_t	u = (uint64_t) d;
		char		rev[24];
		int			r = 0;

		while (u > 0)
		{
			rev[r++] = (char) ('0' + u % 10);
			u /= 10;
		}
		while (r > 0)
			out[o++] = rev[--r];
		out[o] = '\0';
		return o;
	}

	k = mcj_short_decimal(d, digits, &n);
	if (k == 0)
		k = mcj_shortest(d, digits, &n);
	if (k <= n && n <= 21)
	{
		/* integer: digits then n - k zeros */
		memcpy(out + o, digits, (size_t) k);
		o += (size_t) k;
		for (i = k; i < n; i++)
			out[o++] = '0';
	}
	else if (0 < n && n <= 21)
	{
		/* decimal point inside the digits */
		memcpy(out + o, digits, (size_t) n);
		o += (size_t) n;
		out[o++] = '.';
		memcpy(out + o, digits + n, (size_t) (k - n));
		o += (size_t) (k - n);
	}
	else if (-6 < n && n <= 0)
	{
		/* 0.000ddd */
		out[o++] = '0';
		out[o++] = '.';
		for (i = n; i < 0; i++)
			out[o++] = '0';
		memcpy(out + o, digits, (size_t) k);
		o += (size_t) k;
	}
	else
	{
		/* exponential: d[.ddd]e+x */
		int			x = n - 1;
		char		rev[8];
		int			r = 0;

		out[o++] = digits[0];
		if (k > 1)
		{
			out[o++] = '.';
			memcpy(out + o, digits + 1, (size_t) (k - 1));
			o += (size_t) (k - 1);
		}
		out[o++] = 'e';
		out[o++] = x < 0 ? '-' : '+';
		if (x < 0)
			x = -x;
		do
		{
			rev[r++] = (char) ('0' + x % 10);
			x /= 10;
		} while (x > 0);
		while (r > 0)
			out[o++] = rev[--r];
	}
	out[o] = '\0';
	return o;
}

/* Writing ------------------------------------------------------------- */

/* append a string literal with JCS escaping */
static void
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
static void
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
