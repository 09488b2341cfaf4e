/*-------------------------------------------------------------------------
 *
 * crypto_sql.c
 *	  Small SQL-callable crypto primitives: strong random bytes and tokens,
 *	  HMAC-SHA256 and constant-time comparison (microcred._random_bytes,
 *	  _random_token, _hmac_sha256, _equal_ct).  Keys and signatures are in
 *	  keys_sql.c and proof_sql.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "multibase.h"

PG_FUNCTION_INFO_V1(microcred_random_bytes);

/*
 * microcred._random_bytes(n): n bytes from the operating system's strong
 * random source (pg_strong_random), for login states, nonces and tokens.
 */
Datum
microcred_random_bytes(PG_FUNCTION_ARGS)
{
	int32		n = PG_GETARG_INT32(0);
	bytea	   *out;

	if (n < 1 || n > 1024)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("length must be between 1 and 1024 bytes, not %d", n),
				 errhint("Tokens need 32 bytes.")));
	out = (bytea *) palloc(VARHDRSZ + n);
	SET_VARSIZE(out, VARHDRSZ + n);
	if (!pg_strong_random(VARDATA(out), n))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random bytes"),
				 errhint("Check the operating system's random source.")));
	PG_RETURN_BYTEA_P(out);
}

PG_FUNCTION_INFO_V1(microcred_random_token);

/*
 * microcred._random_token(): 256 random bits as base64url without padding
 * (43 characters): login states, nonces, handles, invites.  In C because a
 * login makes two and SQL around _random_bytes cost more than the rest of
 * the login.
 */
Datum
microcred_random_token(PG_FUNCTION_ARGS)
{
	unsigned char raw[32];
	char		text[48];
	size_t		len;

	if (!pg_strong_random(raw, sizeof(raw)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random bytes"),
				 errhint("Check the operating system's random source.")));
	if (!mb_base64url_encode(raw, sizeof(raw), text, sizeof(text), &len))
		elog(ERROR, "base64url buffer too small");
	explicit_bzero(raw, sizeof(raw));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(text, (int) len));
}

PG_FUNCTION_INFO_V1(microcred_hmac_sha256);

/*
 * microcred._hmac_sha256(key bytea, data bytea) RETURNS bytea: HMAC-SHA256,
 * for webhook signatures and for storing event source passwords (as the
 * HMAC of the password under a random salt).
 */
Datum
microcred_hmac_sha256(PG_FUNCTION_ARGS)
{
	bytea	   *key = PG_GETARG_BYTEA_PP(0);
	bytea	   *data = PG_GETARG_BYTEA_PP(1);
	bytea	   *out = (bytea *) palloc(VARHDRSZ + 32);
	size_t		len = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL,
				  VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key),
				  (const unsigned char *) VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data),
				  (unsigned char *) VARDATA(out), 32, &len) == NULL || len != 32)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("HMAC-SHA256 failed"),
				 errhint("Check the OpenSSL installation.")));
	SET_VARSIZE(out, VARHDRSZ + 32);
	PG_RETURN_BYTEA_P(out);
}

PG_FUNCTION_INFO_V1(microcred_equal_ct);

/* microcred._equal_ct(a bytea, b bytea) RETURNS boolean: comparison in constant time */
Datum
microcred_equal_ct(PG_FUNCTION_ARGS)
{
	bytea	   *a = PG_GETARG_BYTEA_PP(0);
	bytea	   *b = PG_GETARG_BYTEA_PP(1);

	PG_RETURN_BOOL(VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
				   CRYPTO_memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0);
}
