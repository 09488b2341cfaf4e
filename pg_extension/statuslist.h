/*-------------------------------------------------------------------------
 *
 * statuslist.h
 *	  W3C Bitstring Status List v1.0: the bitstring and its encodedList
 *	  form (GZIP, RFC 1952, then multibase base64url without padding, "u"
 *	  prefix), bit access, and strict parsing of BitstringStatusListEntry
 *	  objects and BitstringStatusListCredential documents.
 *
 * The bitstring is a byte array read most significant bit first: entry
 * (index) 0 is the left-most bit, bit 7 (0x80) of byte 0; entry i is bit
 * 7 - i % 8 of byte i / 8.  A list has at least SL_MIN_ENTRIES entries
 * (16 KB).  Only statusSize 1 is supported: entries that declare another
 * size are refused with an error that says so.
 *
 * Pure core: no PostgreSQL headers, no global state.  Memory comes from
 * the caller's mcj_arena (zlib's working memory included), errors are
 * returned as false/NULL plus an mcj_error message.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_STATUSLIST_H
#define MC_STATUSLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcjson.h"

/* Minimum list length required by the specification: 131,072 entries */
#define SL_MIN_ENTRIES			131072
#define SL_MIN_BYTES			(SL_MIN_ENTRIES / 8)

/* Default bound of a decoded (decompressed) bitstring: 16 MiB */
#define SL_DEFAULT_MAX_BYTES	((size_t) 16 * 1024 * 1024)

/* Options of sl_decode; a zero field means its default */
typedef struct sl_decode_options
{
	size_t		max_bytes;		/* refuse longer bitstrings (default
								 * SL_DEFAULT_MAX_BYTES) */
	size_t		min_entries;	/* refuse shorter bitstrings (default
								 * SL_MIN_ENTRIES) */
} sl_decode_options;

/* A parsed, validated BitstringStatusListEntry */
typedef struct sl_entry
{
	const char *id;				/* optional "id", NULL when absent */
	const char *purpose;		/* statusPurpose, non-empty */
	const char *credential;		/* statusListCredential URL */
	const char *index_text;		/* statusListIndex as written */
	uint64_t	index;			/* its value; UINT64_MAX when larger */
	int			status_size;	/* statusSize, always 1 */
} sl_entry;

/* The parts of a BitstringStatusListCredential the algorithms use */
typedef struct sl_list_credential
{
	const char *id;				/* credential "id", NULL when absent */
	const mcj_value *purposes;	/* credentialSubject.statusPurpose: a
								 * string or an array of strings */
	const char *encoded_list;	/* credentialSubject.encodedList */
	size_t		encoded_len;
} sl_list_credential;

/*
 * Encode nbits bits (a multiple of 8, at least SL_MIN_ENTRIES, at most
 * SL_DEFAULT_MAX_BYTES * 8) as an encodedList: "u" + base64url(GZIP).
 * Deterministic: mtime 0, no file name, OS byte 3 (Unix), zlib level 6
 * with the run-length strategy, so equal bits give equal text.  Returns NULL with *err on error.
 */
extern char *sl_encode(mcj_arena *arena, const unsigned char *bits,
					   size_t nbits, mcj_error *err);

/*
 * Decode an encodedList strictly: "u" prefix, canonical base64url, one
 * GZIP member (no zlib or raw deflate, no trailing bytes, CRC and length
 * checked), at most max_bytes and at least min_entries bits once
 * decompressed.  Returns the bitstring (nbits = 8 * bytes) or NULL with
 * *err.  options may be NULL.
 */
extern unsigned char *sl_decode(mcj_arena *arena, const char *text,
								size_t len, const sl_decode_options *options,
								size_t *nbits, mcj_error *err);

/* Read / write the bit of entry index; false with *err when out of range */
extern bool sl_get(const unsigned char *bits, size_t nbits, uint64_t index,
				   bool *value, mcj_error *err);
extern bool sl_set(unsigned char *bits, size_t nbits, uint64_t index,
				   bool value, mcj_error *err);

/*
 * Validate a BitstringStatusListEntry object (type, statusPurpose,
 * statusListIndex as a base-10 digit string, statusListCredential URL,
 * optional id, statusSize and statusMessage) and fill *out; strings point
 * into the value.  Returns false with *err on the first problem.
 */
extern bool sl_parse_entry(const mcj_value *entry, sl_entry *out,
						   mcj_error *err);

/*
 * Validate a BitstringStatusListCredential: its type includes
 * "BitstringStatusListCredential" and its credentialSubject is an object
 * with type "BitstringStatusList", statusPurpose (one or more non-empty
 * strings) and encodedList (a string starting with "u").  The list is not
 * decoded here.  Returns false with *err on the first problem.
 */
extern bool sl_parse_list_credential(const mcj_value *credential,
									 sl_list_credential *out,
									 mcj_error *err);

/* Whether the list's statusPurpose (string or array) includes purpose */
extern bool sl_has_purpose(const sl_list_credential *list,
						   const char *purpose);

/*
 * The Validate Algorithm minus dereferencing and proof checking: parse the
 * entry and the list credential, require the entry's statusPurpose in the
 * list's, decode the list (options may be NULL) and read the entry's bit
 * into *status.  Returns false with *err on any error.
 */
extern bool sl_check_status(mcj_arena *arena, const mcj_value *entry,
							const mcj_value *credential,
							const sl_decode_options *options,
							bool *status, mcj_error *err);

#endif							/* MC_STATUSLIST_H */
