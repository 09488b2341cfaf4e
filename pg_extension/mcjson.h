/*-------------------------------------------------------------------------
 *
 * mcjson.h
 *	  A small JSON document model with arena allocation, a strict I-JSON
 *	  (RFC 7493) parser and writers (compact and RFC 8785 JCS).
 *
 * This is a pure core (see mc_core.h for the arena, the buffer and the
 * error type it uses).  Implemented in mcjson.c (value model and compact
 * writer), mcj_utf8.c, mcj_parse.c, mcj_number.c and jcs.c.
 *
 * Strings are UTF-8, stored with an explicit length (they may contain
 * U+0000).  Numbers are IEEE 754 doubles, as in I-JSON and JCS.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MCJSON_H
#define MCJSON_H

#include "mc_core.h"

typedef enum mcj_type
{
	MCJ_NULL,
	MCJ_FALSE,
	MCJ_TRUE,
	MCJ_NUMBER,
	MCJ_STRING,
	MCJ_ARRAY,
	MCJ_OBJECT
} mcj_type;

typedef struct mcj_value mcj_value;

typedef struct mcj_member
{
	const char *key;			/* UTF-8, not necessarily NUL-free */
	size_t		keylen;
	mcj_value  *value;
} mcj_member;

struct mcj_value
{
	mcj_type	type;
	union
	{
		double		num;
		struct
		{
			const char *s;		/* NUL-terminated for convenience */
			size_t		len;
		}			str;
		struct
		{
			mcj_value **items;
			size_t		n;
			size_t		cap;
		}			arr;
		struct
		{
			mcj_member *members;	/* in insertion (document) order */
			size_t		n;
			size_t		cap;
		}			obj;
	}			u;
};

/* Parsing ------------------------------------------------------------- */

typedef struct mcj_parse_options
{
	int			max_depth;		/* 0 = default (256) */
	size_t		max_bytes;		/* 0 = unlimited */
	bool		allow_duplicate_keys;	/* default false: I-JSON */
} mcj_parse_options;

/*
 * Parse UTF-8 JSON text.  Strict: RFC 8259 grammar, valid UTF-8, no lone
 * surrogates in \u escapes, no duplicate member names (unless allowed),
 * numbers must be finite as doubles, nesting bounded.  Returns NULL and
 * fills *err on failure.
 */
extern mcj_value *mcj_parse(mcj_arena *arena, const char *text, size_t len,
							const mcj_parse_options *options, mcj_error *err);

/* Building ------------------------------------------------------------ */

extern mcj_value *mcj_null(mcj_arena *arena);
extern mcj_value *mcj_bool(mcj_arena *arena, bool b);
extern mcj_value *mcj_number(mcj_arena *arena, double d);
extern mcj_value *mcj_string(mcj_arena *arena, const char *s, size_t len);	/* copies */
extern mcj_value *mcj_cstring(mcj_arena *arena, const char *s);	/* copies */
extern mcj_value *mcj_array(mcj_arena *arena);
extern mcj_value *mcj_object(mcj_arena *arena);
extern void mcj_array_append(mcj_arena *arena, mcj_value *array, mcj_value *item);
/* appends; does not check for duplicates (use mcj_object_set to replace) */
extern void mcj_object_add(mcj_arena *arena, mcj_value *object,
						   const char *key, size_t keylen, mcj_value *value);
extern void mcj_object_set(mcj_arena *arena, mcj_value *object,
						   const char *key, mcj_value *value);
/* removes the member if present; returns whether it was */
extern bool mcj_object_remove(mcj_value *object, const char *key);
/* deep copy */
extern mcj_value *mcj_copy(mcj_arena *arena, const mcj_value *v);

/* Access -------------------------------------------------------------- */

extern mcj_value *mcj_object_get(const mcj_value *object, const char *key);
extern mcj_value *mcj_object_getn(const mcj_value *object, const char *key, size_t keylen);
extern bool mcj_is_string(const mcj_value *v, const char *s);	/* type and
																 * equality */
extern bool mcj_equal(const mcj_value *a, const mcj_value *b);	/* deep, order-insensitive for objects */

/* Writing ------------------------------------------------------------- */

/* compact JSON in document order, same escaping and numbers as JCS */
extern void mcj_write(mcj_buf *buf, const mcj_value *v);

/*
 * RFC 8785 JSON Canonicalization Scheme: members sorted by UTF-16 code
 * units of their names, ECMAScript Number-to-String for numbers, minimal
 * escaping.  Returns false (with *err) for values JCS cannot represent:
 * non-finite numbers, invalid UTF-8 in a string.
 */
extern bool mcj_write_jcs(mcj_buf *buf, const mcj_value *v, mcj_error *err);

/*
 * ECMAScript Number::toString(x) for a finite double: the shortest
 * decimal that round-trips, in ES notation ("1e+21", "5e-7", "0", "-0"
 * prints as "0").  out must hold at least 32 bytes; returns the length.
 */
extern size_t mcj_format_number(double d, char *out);

#endif							/* MCJSON_H */
