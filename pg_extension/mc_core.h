/*-------------------------------------------------------------------------
 *
 * mc_core.h
 *	  What every pure core shares: the arena and its allocator, the growing
 *	  buffer, the one error type and its setter, the interrupt hook and the
 *	  one hash function.  Implemented in mc_arena.c.
 *
 * This is a pure core: it never calls ereport or palloc directly, so the
 * same code runs inside the backend, in unit tests and under libFuzzer.
 * All memory comes from an mcj_arena whose blocks are obtained through an
 * mcj_allocator; inside the backend the allocator is palloc in a memory
 * context, so an error longjmp releases everything with the context.
 *
 * Layering: this header includes only the C library; every other core
 * header builds on it (mcjson.h includes it, so includers of mcjson.h get
 * it too).  docs/ARCHITECTURE.md has the whole diagram.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_CORE_H
#define MC_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Allocation ---------------------------------------------------------- */

typedef struct mcj_allocator
{
	void	   *(*alloc) (void *ctx, size_t size);	/* must not return NULL
													 * silently: NULL means
													 * out of memory */
	void		(*free) (void *ctx, void *ptr); /* may be a no-op */
	void	   *ctx;
} mcj_allocator;

typedef struct mcj_arena mcj_arena;

/* allocator NULL means malloc/free */
extern mcj_arena *mcj_arena_create(const mcj_allocator *allocator);
extern void mcj_arena_destroy(mcj_arena *arena);
extern void *mcj_alloc(mcj_arena *arena, size_t size);	/* 8-byte aligned */
extern char *mcj_strndup(mcj_arena *arena, const char *s, size_t len);

/* for the cores: allocation that cannot report failure (abort()s on NULL) */
extern void *mcj_alloc_or_abort(mcj_arena *arena, size_t size);
/* for the cores: grow the most recent allocation in place when possible */
extern bool mcj_arena_extend(mcj_arena *arena, void *p, size_t newsize);

/* Errors -------------------------------------------------------------- */

typedef struct mcj_error
{
	char		message[160];	/* lowercase, no trailing period */
	size_t		offset;			/* byte offset in the input, parse errors */
} mcj_error;

#if defined(__GNUC__) || defined(__clang__)
#define MC_PRINTF_ATTR(f, a) __attribute__((format(printf, f, a)))
#else
#define MC_PRINTF_ATTR(f, a)
#endif

/* the one setter: fill *err (if any) with a formatted message and an offset */
extern void mcj_set_error(mcj_error *err, size_t offset, const char *fmt,...) MC_PRINTF_ATTR(3, 4);

/* the same without an input offset (decoders, crypto, signatures) */
#define mb_set_error(err, ...) mcj_set_error((err), 0, __VA_ARGS__)

/*
 * Interrupt hook.  The SQL layer sets it to a function that raises a
 * pending query cancel, statement timeout or termination
 * (CHECK_FOR_INTERRUPTS, which leaves by longjmp: the cores allocate from an
 * arena in the caller's memory context, so nothing of theirs leaks).  NULL
 * outside the server.  Every loop of the cores whose length the input
 * decides (parsing, writing, expansion, toRdf, canonicalization) calls it.
 */
extern void (*mc_interrupt_hook) (void);
#define MC_CHECK_INTERRUPTS() \
	do { if (mc_interrupt_hook != NULL) mc_interrupt_hook(); } while (0)

/* Buffer -------------------------------------------------------------- */

typedef struct mcj_buf
{
	char	   *data;			/* always NUL-terminated */
	size_t		len;
	size_t		cap;
	mcj_arena  *arena;			/* storage comes from here */
} mcj_buf;

extern void mcj_buf_init(mcj_buf *buf, mcj_arena *arena, size_t initial);
extern void mcj_buf_append(mcj_buf *buf, const char *s, size_t len);
extern void mcj_buf_appendc(mcj_buf *buf, char c);
extern void mcj_buf_appends(mcj_buf *buf, const char *s);
/* make room for extra more bytes plus the terminating NUL */
extern void mcj_buf_reserve(mcj_buf *buf, size_t extra);

/* Hashing ------------------------------------------------------------- */

/* the one hash of the cores: 64-bit FNV-1a of n bytes */
static inline uint64_t
mc_fnv1a(const void *data, size_t n)
{
	const unsigned char *p = (const unsigned char *) data;
	uint64_t	h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

#endif							/* MC_CORE_H */
