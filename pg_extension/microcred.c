/*-------------------------------------------------------------------------
 *
 * microcred.c
 *	  Module entry point of the microcred extension: module magic, settings
 *	  (GUCs) and the version function.
 *
 * The other files of pg_extension/ each hold one concern: the pure cores
 * (mc_arena.c, the JSON core mcjson.c and mcj_*.c, JCS in jcs.c, JSON-LD
 * in jsonld*.c, RDFC-1.0 in rdfc.c, crypto in mcc_*.c, multibase.c and
 * jws.c) and their SQL-callable wrappers (*_sql.c; HMAC and random bytes
 * in crypto_sql.c).  docs/ARCHITECTURE.md has the layers.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/lsyscache.h"
#include "utils/builtins.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include "mc_core.h"
#include "mc_sql.h"

#ifndef MICROCRED_VERSION
#error "MICROCRED_VERSION must be defined by the build (from microcred.control)"
#endif

PG_MODULE_MAGIC;

void		_PG_init(void);

/* microcred.kek_file: path of the key-encryption key (postgresql.conf only) */
char	   *microcred_kek_file = NULL;

/*
 * Whether the library was loaded by shared_preload_libraries.  Only then is
 * microcred.kek_file a defined, superuser-only setting in every backend from
 * the start; otherwise, until the library is loaded, it is a placeholder any
 * role can read with SHOW.  Key operations refuse to run without it.
 */
bool		microcred_preloaded = false;

/* the pure cores' interrupt hook (mcjson.h): cancel, statement_timeout, terminate */
static void
microcred_check_interrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

/* module load: define settings */
void
_PG_init(void)
{
	microcred_preloaded = process_shared_preload_libraries_in_progress;
	mc_interrupt_hook = microcred_check_interrupts;
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

/*
 * The oid of the table microcred.<name>, or InvalidOid.  The per-backend
 * caches remember the oids of the tables they depend on (looked up when
 * they are filled, never in an invalidation callback) so that a relcache
 * invalidation of any other table (autovacuum's ANALYZE of issued_credential,
 * say) does not drop them.
 */
Oid
mc_relid(const char *name)
{
	Oid			nsp = get_namespace_oid("microcred", true);

	return OidIsValid(nsp) ? get_relname_relid(name, nsp) : InvalidOid;
}

/*
 * A plan prepared once per backend and kept, as a generic plan: the issue
 * path runs these for every credential and must not plan them again.
 */
SPIPlanPtr
mc_keep_plan(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	p = SPI_prepare_cursor(sql, nargs, types, CURSOR_OPT_GENERIC_PLAN);

	if (p == NULL)
		elog(ERROR, "SPI_prepare failed for \"%.60s...\": %s", sql, SPI_result_code_string(SPI_result));
	SPI_keepplan(p);
	return p;
}

/* hashtext() of a C string, as SQL computes the advisory lock keys */
int32
mc_hashtext(const char *s)
{
	return DatumGetInt32(DirectFunctionCall1Coll(hashtext, DEFAULT_COLLATION_OID,
												 PointerGetDatum(cstring_to_text(s))));
}
