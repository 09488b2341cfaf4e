/*-------------------------------------------------------------------------
 *
 * mccrypto_internal.h
 *	  What the files of the crypto core share and nobody else uses:
 *	  mcc_key.c, mcc_seal.c, mcc_keyfmt.c and mcc_sign.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MCCRYPTO_INTERNAL_H
#define MCCRYPTO_INTERNAL_H

#include "mccrypto.h"

#include <openssl/evp.h>

struct mcc_key
{
	EVP_PKEY   *pkey;
	mcc_keytype type;
	bool		has_private;
	EVP_MD_CTX *mdctx;			/* cached for sign/verify, lazily created */
};

/* Record the most recent OpenSSL error reason (if any) and clear the queue */
extern void mcc_ossl_error(mcj_error *err, const char *what);

#endif							/* MCCRYPTO_INTERNAL_H */
