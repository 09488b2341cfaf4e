/*-------------------------------------------------------------------------
 *
 * multibase.h
 *	  Binary-to-text encodings used by credentials and keys: base58btc
 *	  (Bitcoin alphabet), base64url without padding (RFC 4648 section 5,
 *	  strict), standard base64 (RFC 4648 section 4, padded) and lowercase
 *	  hex; the multibase prefixes 'z' (base58btc) and 'u' (base64url); and
 *	  unsigned varints as used by multicodec key prefixes.
 *
 * Pure core: no PostgreSQL headers.  The low-level functions write into
 * caller buffers; the *_a variants allocate from an mcj_arena.  Errors are
 * reported through mcj_error.  Decoders are strict: any input that would
 * not be produced by the matching encoder is rejected, so every accepted
 * text has exactly one byte string and vice versa.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_MULTIBASE_H
#define MC_MULTIBASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcjson.h"

/* Upper bounds of encoded lengths (excluding the terminating NUL) */
#define MB_BASE58_ENCODED_MAX(n)	((n) * 138 / 100 + 1)
#define MB_BASE64URL_ENCODED_LEN(n) (((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))
#define MB_BASE64_ENCODED_LEN(n)	((((n) + 2) / 3) * 4)
#define MB_HEX_ENCODED_LEN(n)		((n) * 2)

/* Longest base58 text accepted by the decoder (quadratic algorithm) */
#define MB_BASE58_MAX_INPUT			8192

/* Multicodec codes (the varint value, not its encoding) */
#define MB_CODEC_ED25519_PUB		0xed	/* varint 0xed 0x01 */
#define MB_CODEC_P256_PUB			0x1200	/* varint 0x80 0x24 */
#define MB_CODEC_ED25519_PRIV		0x1300	/* varint 0x80 0x26 */

/*
 * Encoders: write the text plus a terminating NUL into out (outcap bytes,
 * NUL included), set *outlen to the text length.  Return false only when
 * out is too small.
 */
extern bool mb_base58btc_encode(const unsigned char *in, size_t inlen,
								char *out, size_t outcap, size_t *outlen);
extern bool mb_base64url_encode(const unsigned char *in, size_t inlen,
								char *out, size_t outcap, size_t *outlen);
extern bool mb_base64_encode(const unsigned char *in, size_t inlen,
							 char *out, size_t outcap, size_t *outlen);
extern bool mb_hex_encode(const unsigned char *in, size_t inlen,
						  char *out, size_t outcap, size_t *outlen);

/*
 * Decoders: write the bytes into out (outcap bytes), set *outlen.  The
 * decoded length never exceeds inlen, so outcap >= inlen always suffices.
 * Return false with *err on invalid input or a too small buffer.
 */
extern bool mb_base58btc_decode(const char *in, size_t inlen,
								unsigned char *out, size_t outcap,
								size_t *outlen, mcj_error *err);
extern bool mb_base64url_decode(const char *in, size_t inlen,
								unsigned char *out, size_t outcap,
								size_t *outlen, mcj_error *err);
extern bool mb_base64_decode(const char *in, size_t inlen,
							 unsigned char *out, size_t outcap,
							 size_t *outlen, mcj_error *err);
/* accepts upper- and lowercase digits, even length only */
extern bool mb_hex_decode(const char *in, size_t inlen,
						  unsigned char *out, size_t outcap,
						  size_t *outlen, mcj_error *err);

/* Arena variants: NUL-terminated text / byte buffer, NULL on error */
extern char *mb_base58btc_encode_a(mcj_arena *arena,
								   const unsigned char *in, size_t inlen);
extern char *mb_base64url_encode_a(mcj_arena *arena,
								   const unsigned char *in, size_t inlen);
extern char *mb_base64_encode_a(mcj_arena *arena,
								const unsigned char *in, size_t inlen);
extern char *mb_hex_encode_a(mcj_arena *arena,
							 const unsigned char *in, size_t inlen);
extern unsigned char *mb_base58btc_decode_a(mcj_arena *arena,
											const char *in, size_t inlen,
											size_t *outlen, mcj_error *err);
extern unsigned char *mb_base64url_decode_a(mcj_arena *arena,
											const char *in, size_t inlen,
											size_t *outlen, mcj_error *err);
extern unsigned char *mb_base64_decode_a(mcj_arena *arena,
										 const char *in, size_t inlen,
										 size_t *outlen, mcj_error *err);
extern unsigned char *mb_hex_decode_a(mcj_arena *arena,
									  const char *in, size_t inlen,
									  size_t *outlen, mcj_error *err);

/*
 * Multibase: base is 'z' (base58btc) or 'u' (base64url).  Encoding
 * returns NULL only for an unsupported base or out of memory.  Decoding
 * reads the prefix character and rejects any other base.
 */
extern char *mb_multibase_encode(mcj_arena *arena, char base,
								 const unsigned char *in, size_t inlen);
extern unsigned char *mb_multibase_decode(mcj_arena *arena,
										  const char *in, size_t inlen,
										  size_t *outlen, mcj_error *err);

/*
 * Unsigned LEB128 varints (multiformats unsigned-varint: at most 9
 * bytes, minimal encoding).  mb_varint_encode writes at most 10 bytes and
 * returns the length.  mb_varint_decode sets *value and *used, rejecting
 * truncated, over-long and non-minimal encodings.
 */
extern size_t mb_varint_encode(uint64_t value, unsigned char out[10]);
extern bool mb_varint_decode(const unsigned char *in, size_t inlen,
							 uint64_t *value, size_t *used, mcj_error *err);

/* mb_set_error: the cores' one error setter without an offset, mc_core.h */

#endif							/* MC_MULTIBASE_H */
