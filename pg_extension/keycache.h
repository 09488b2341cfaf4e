/*-------------------------------------------------------------------------
 *
 * keycache.h
 *	  Signing keys by id, read through one prepared plan (keycache.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_KEYCACHE_H
#define MC_KEYCACHE_H

#include "postgres.h"

#include "utils/uuid.h"

#include "mccrypto.h"

extern mcc_key *mc_signing_key_by_id(const pg_uuid_t *key_id, const pg_uuid_t *issuer_id);

#endif							/* MC_KEYCACHE_H */
