/*-------------------------------------------------------------------------
 *
 * mc_arena.c
 *	  The arena, the growing buffer and the one error setter of the pure cores.
 *
 * Pure core, see mc_core.h: no PostgreSQL headers, no ereport or palloc.
 *
 * Out of memory: mcj_alloc and mcj_strndup return NULL when the allocator
 * returns NULL.  Functions that cannot report a failure (mcj_buf_*,
 * mcj_alloc_or_abort) call abort() instead.  With the default malloc
 * allocator and with palloc (which never returns NULL) this is never
 * reached.
 *
 *-------------------------------------------------------------------------
 */
#include "mc_core.h"

#include <stdarg.h>
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
bool
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
void *
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
void
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

/* Errors -------------------------------------------------------------- */

/* fill *err (if any) with a formatted message and an offset */
void
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

