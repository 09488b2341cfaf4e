/*-------------------------------------------------------------------------
 *
 * mcjson_internal.h
 *	  What the files of the JSON core share and nobody else uses:
 *	  mcjson.c, mcj_utf8.c, mcj_parse.c, mcj_number.c and jcs.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MCJSON_INTERNAL_H
#define MCJSON_INTERNAL_H

#include "mcjson.h"

/* mcjson.c: value model */
extern mcj_value *mcj_new_value(mcj_arena *arena, mcj_type type);
extern bool mcj_array_push(mcj_arena *arena, mcj_value *array, mcj_value *item);
extern bool mcj_object_push(mcj_arena *arena, mcj_value *object,
							const char *key, size_t keylen, mcj_value *value);

/* mcjson.c: writer pieces shared with jcs.c */
extern void mcj_write_string(mcj_buf *buf, const char *str, size_t len);
extern void mcj_write_number(mcj_buf *buf, double d);

/* mcj_utf8.c */
extern size_t mcj_utf8_seq(const unsigned char *s, size_t n, const char **why);
extern bool mcj_utf8_valid(const char *s, size_t len);

#endif							/* MCJSON_INTERNAL_H */
