/*-------------------------------------------------------------------------
 *
 * keycache_sql.c
 *	  Signing keys by id: SQL passes a key id, C reads the sealed private key
 *	  through one prepared plan and opens it with the per-backend cache of
 *	  keys_sql.c (the pgsodium model: the sealed bytes never travel through
 *	  PL/pgSQL variables or function arguments).
 *
 * The plan reads an issuer's key (microcred.signing_key) or the LTI tool's
 * key (microcred.lti_tool_key, sealed with the nil uuid as its issuer) by
 * primary key: one index lookup per signature.  The cache in keys_sql.c is
 * keyed by the key id and checked against the SHA-256 of the sealed bytes
 * read here, so a row changed in place (a restore, a re-sealing under a new
 * KEK) is opened again, while a rotation or retirement is a different key
 * id chosen by the SQL caller.  Unsealed keys live only in OpenSSL's secure
 * heap (keys_sql.c) and are freed and wiped when the cache is cleared or
 * the backend exits.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

#include "mc_sql.h"

static SPIPlanPtr key_plan = NULL;

/* the uuid as text, for messages */
static char *
uuid_text(const pg_uuid_t *u)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(u)));
}

/*
 * The unsealed key of key_id.  When issuer_id is not NULL the key must belong
 * to that issuer (the nil uuid for the LTI tool's keys).
 */
mcc_key *
mc_signing_key_by_id(const pg_uuid_t *key_id, const pg_uuid_t *issuer_id)
{
	Datum		arg = UUIDPGetDatum(key_id);
	bool		isnull;
	pg_uuid_t	owner;
	bytea	   *sealed;
	mcc_key    *key;
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (key_plan == NULL)
	{
		Oid			argtypes[1] = {UUIDOID};
		SPIPlanPtr	p = SPI_prepare("SELECT issuer_id, sealed_private FROM microcred.signing_key WHERE id = $1"
									" UNION ALL"
									" SELECT '00000000-0000-0000-0000-000000000000'::uuid, sealed_private"
									" FROM microcred.lti_tool_key WHERE id = $1",
									1, argtypes);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		key_plan = p;
	}
	rc = SPI_execute_plan(key_plan, &arg, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("signing key %s does not exist", uuid_text(key_id)),
				 errhint("List an issuer's keys with: SELECT * FROM microcred.issuer_keys;")));
	owner = *DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (issuer_id != NULL && memcmp(owner.data, issuer_id->data, UUID_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("signing key %s does not belong to issuer %s", uuid_text(key_id), uuid_text(issuer_id)),
				 errhint("Sign with a key of the issuer named in the document.")));
	sealed = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("signing key %s has no sealed private key", uuid_text(key_id))));
	/* opens the sealed bytes, or returns the cached key they were opened to */
	key = mc_signing_key(key_id, &owner, sealed);
	SPI_finish();
	return key;
}
