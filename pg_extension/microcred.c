/*-------------------------------------------------------------------------
 *
 * microcred.c
 *	  Module entry point of the microcred extension: module magic, settings
 *	  (GUCs) and the version function.
 *
 * The other files of pg_extension/ each hold one concern: the JSON core
 * (mcjson.c), canonicalization (JCS in mcjson.c, JSON-LD in jsonld.c,
 * RDFC-1.0 in rdfc.c), crypto (mccrypto.c, multibase.c, jws.c) and their
 * SQL-callable wrappers (*_sql.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#ifndef MICROCRED_VERSION
#error "MICROCRED_VERSION must be defined by the build (from microcred.control)"
#endif

PG_MODULE_MAGIC;

void		_PG_init(void);

/* microcred.kek_file: path of the key-encryption key (postgresql.conf only) */
char	   *microcred_kek_file = NULL;

/* module load: define settings */
void
_PG_init(void)
{
	DefineCustomStringVariable("microcred.kek_file",
							   "File holding the key-encryption key that protects issuer private keys.",
							   "32 random bytes as 64 hexadecimal characters, readable only by the server's OS user. "
							   "Set in postgresql.conf; only the server reads it.",
							   &microcred_kek_file,
							   NULL,
							   PGC_SIGHUP,
							   GUC_SUPERUSER_ONLY | GUC_NOT_IN_SAMPLE,
							   NULL, NULL, NULL);
	MarkGUCPrefixReserved("microcred");
}

PG_FUNCTION_INFO_V1(microcred_version);

/* microcred.version(): extension library version and the OpenSSL it runs with */
Datum
microcred_version(PG_FUNCTION_ARGS)
{
	char		buf[256];

	snprintf(buf, sizeof(buf), "microcred %s (%s)", MICROCRED_VERSION,
			 OpenSSL_version(OPENSSL_VERSION));
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}
