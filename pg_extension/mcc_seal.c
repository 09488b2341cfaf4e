/*-------------------------------------------------------------------------
 *
 * mcc_seal.c
 *	  Sealed private keys (AES-256-GCM under the KEK) and the
 *	  key-encryption key file.
 *
 * Pure core, see mccrypto.h.
 *
 * Secret material lives only in malloc/stack buffers that are wiped with
 * OPENSSL_cleanse before they are released; it never reaches an
 * mcj_arena.  Every failure path clears the OpenSSL error queue.
 *
 *-------------------------------------------------------------------------
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "mccrypto_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "multibase.h"

/* ------------------------------------------------------------------------
 * Sealed private keys
 * ------------------------------------------------------------------------
 */

/* Seal a private key under a KEK */
unsigned char *
mcc_key_seal(mcj_arena *arena, const mcc_key *key,
			 const unsigned char kek[MCC_KEK_LEN],
			 const unsigned char *aad, size_t aadlen,
			 size_t *sealedlen, mcj_error *err)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	unsigned char *der = NULL;
	int			derlen = 0;
	unsigned char *out = NULL;
	unsigned char *result = NULL;
	EVP_CIPHER_CTX *cctx = NULL;
	unsigned char version = MCC_SEAL_VERSION;
	int			outl = 0,
				finl = 0;
	OSSL_PARAM	params[2];

	if (key == NULL || !key->has_private)
	{
		mb_set_error(err, "sealing needs a private key");
		return NULL;
	}
	if (aadlen > INT_MAX || (aad == NULL && aadlen > 0))
	{
		mb_set_error(err, "invalid associated data");
		return NULL;
	}
	p8 = EVP_PKEY2PKCS8(key->pkey);
	if (p8 == NULL)
	{
		mcc_ossl_error(err, "cannot encode private key as PKCS#8");
		goto done;
	}
	derlen = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	if (derlen <= 0 || der == NULL)
	{
		der = NULL;
		derlen = 0;
		mcc_ossl_error(err, "cannot encode private key as PKCS#8");
		goto done;
	}

	out = mcj_alloc(arena, (size_t) derlen + MCC_SEAL_OVERHEAD);
	if (out == NULL)
	{
		mb_set_error(err, "out of memory");
		goto done;
	}
	out[0] = version;
	if (RAND_bytes(out + 1, MCC_SEAL_NONCE_LEN) != 1)
	{
		mcc_ossl_error(err, "random number generator failed");
		goto done;
	}

	cctx = EVP_CIPHER_CTX_new();
	if (cctx == NULL ||
		EVP_EncryptInit_ex2(cctx, EVP_aes_256_gcm(), kek, out + 1, NULL) != 1 ||
		EVP_EncryptUpdate(cctx, NULL, &outl, &version, 1) != 1 ||
		(aadlen > 0 &&
		 EVP_EncryptUpdate(cctx, NULL, &outl, aad, (int) aadlen) != 1) ||
		EVP_EncryptUpdate(cctx, out + 1 + MCC_SEAL_NONCE_LEN, &outl,
						  der, derlen) != 1 ||
		EVP_EncryptFinal_ex(cctx, out + 1 + MCC_SEAL_NONCE_LEN + outl,
							&finl) != 1)
	{
		mcc_ossl_error(err, "AES-256-GCM encryption failed");
		goto done;
	}
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
												  out + 1 + MCC_SEAL_NONCE_LEN + derlen,
												  MCC_SEAL_TAG_LEN);
	params[1] = OSSL_PARAM_construct_end();
	if (outl + finl != derlen || EVP_CIPHER_CTX_get_params(cctx, params) != 1)
	{
		mcc_ossl_error(err, "AES-256-GCM encryption failed");
		goto done;
	}
	*sealedlen = (size_t) derlen + MCC_SEAL_OVERHEAD;
	result = out;

done:
	EVP_CIPHER_CTX_free(cctx);
	if (der)
		OPENSSL_clear_free(der, (size_t) derlen);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return result;
}

/* Unseal a private key */
mcc_key *
mcc_key_unseal(const unsigned char *sealed, size_t sealedlen,
			   const unsigned char kek[MCC_KEK_LEN],
			   const unsigned char *aad, size_t aadlen,
			   mcj_error *err)
{
	EVP_CIPHER_CTX *cctx = NULL;
	unsigned char *plain = NULL;
	size_t		ctlen;
	int			outl = 0,
				finl = 0;
	unsigned char tag[MCC_SEAL_TAG_LEN];
	OSSL_PARAM	params[2];
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY   *pkey = NULL;
	mcc_key    *key = NULL;
	const unsigned char *p;

	if (sealed == NULL || sealedlen <= MCC_SEAL_OVERHEAD)
	{
		mb_set_error(err, "sealed key is too short (%zu bytes)", sealedlen);
		return NULL;
	}
	if (sealed[0] != MCC_SEAL_VERSION)
	{
		mb_set_error(err, "unsupported sealed key version %d", sealed[0]);
		return NULL;
	}
	if (sealedlen > INT_MAX || aadlen > INT_MAX || (aad == NULL && aadlen > 0))
	{
		mb_set_error(err, "invalid sealed key or associated data");
		return NULL;
	}
	ctlen = sealedlen - MCC_SEAL_OVERHEAD;
	/* the secure heap (excluded from core dumps) when the caller set it up */
	plain = OPENSSL_secure_malloc(ctlen);
	if (plain == NULL)
	{
		mb_set_error(err, "out of memory");
		return NULL;
	}
	memcpy(tag, sealed + sealedlen - MCC_SEAL_TAG_LEN, MCC_SEAL_TAG_LEN);
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
												  tag, MCC_SEAL_TAG_LEN);
	params[1] = OSSL_PARAM_construct_end();

	cctx = EVP_CIPHER_CTX_new();
	if (cctx == NULL ||
		EVP_DecryptInit_ex2(cctx, EVP_aes_256_gcm(), kek, sealed + 1, NULL) != 1 ||
		EVP_DecryptUpdate(cctx, NULL, &outl, sealed, 1) != 1 ||
		(aadlen > 0 &&
		 EVP_DecryptUpdate(cctx, NULL, &outl, aad, (int) aadlen) != 1) ||
		EVP_DecryptUpdate(cctx, plain, &outl, sealed + 1 + MCC_SEAL_NONCE_LEN,
						  (int) ctlen) != 1 ||
		EVP_CIPHER_CTX_set_params(cctx, params) != 1)
	{
		mcc_ossl_error(err, "AES-256-GCM decryption failed");
		goto done;
	}
	if (EVP_DecryptFinal_ex(cctx, plain + outl, &finl) != 1)
	{
		mb_set_error(err, "sealed key authentication failed (wrong key-encryption key, wrong associated data or corrupted data)");
		ERR_clear_error();
		goto done;
	}
	if ((size_t) (outl + finl) != ctlen)
	{
		mb_set_error(err, "AES-256-GCM decryption failed");
		goto done;
	}

	p = plain;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long) ctlen);
	if (p8 == NULL || p != plain + ctlen)
	{
		mcc_ossl_error(err, "sealed key does not contain a valid PKCS#8 private key");
		goto done;
	}
	pkey = EVP_PKCS82PKEY(p8);
	if (pkey == NULL)
	{
		mcc_ossl_error(err, "sealed key does not contain a valid PKCS#8 private key");
		goto done;
	}
	key = mcc_key_from_pkey(pkey, err);
	if (key != NULL && !key->has_private)
	{
		mb_set_error(err, "sealed key has no private part");
		mcc_key_free(key);
		key = NULL;
	}

done:
	EVP_CIPHER_CTX_free(cctx);
	PKCS8_PRIV_KEY_INFO_free(p8);
	OPENSSL_secure_clear_free(plain, ctlen);
	return key;
}

/* ------------------------------------------------------------------------
 * Key-encryption keys
 * ------------------------------------------------------------------------
 */

/* Is c JSON/POSIX whitespace? */
static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Parse KEK file content */
bool
mcc_kek_parse(const unsigned char *data, size_t len,
			  unsigned char kek[MCC_KEK_LEN], mcj_error *err)
{
	size_t		start = 0,
				end = len,
				outlen = 0;
	unsigned char acc = 0;
	size_t		i;

	if (len == MCC_KEK_LEN)
	{
		/*
		 * 32 raw bytes.  Text of that length (say 32 hex digits, a 128-bit
		 * key, or 31 digits and a newline) is a mistake, not a key: random
		 * bytes are all printable with probability about 1e-13.
		 */
		bool		text = true;

		for (i = 0; i < MCC_KEK_LEN && text; i++)
			text = (data[i] >= 0x20 && data[i] < 0x7f) || is_space(data[i]);
		if (text)
		{
			mb_set_error(err, "key-encryption key is 32 characters of text; it must be 64 hex digits or exactly 32 raw bytes");
			return false;
		}
		memcpy(kek, data, MCC_KEK_LEN);
	}
	else
	{
		while (start < end && is_space(data[start]))
			start++;
		while (end > start && is_space(data[end - 1]))
			end--;
		if (end - start != MCC_KEK_LEN * 2 ||
			!mb_hex_decode((const char *) data + start, end - start,
						   kek, MCC_KEK_LEN, &outlen, NULL))
		{
			OPENSSL_cleanse(kek, MCC_KEK_LEN);
			mb_set_error(err, "key-encryption key must be 64 hex digits or exactly 32 raw bytes (got %zu bytes)",
						 len);
			return false;
		}
	}
	for (i = 0; i < MCC_KEK_LEN; i++)
		acc |= kek[i];
	if (acc == 0)
	{
		mb_set_error(err, "key-encryption key is all zero");
		return false;
	}
	return true;
}

/* Read and check a KEK file */
bool
mcc_kek_read_file(const char *path, unsigned char kek[MCC_KEK_LEN],
				  mcj_error *err)
{
	int			fd;
	struct stat st;
	unsigned char buf[256];
	size_t		len = 0;
	bool		ok = false;

	/* non-blocking: a FIFO (or a device) must not hang the backend in open() */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
	{
		mb_set_error(err, "cannot open key-encryption key file \"%s\": %s",
					 path, strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0)
	{
		mb_set_error(err, "cannot stat key-encryption key file \"%s\": %s",
					 path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode))
	{
		mb_set_error(err, "key-encryption key file \"%s\" is not a regular file",
					 path);
		goto done;
	}
	if ((st.st_mode & 077) != 0)
	{
		mb_set_error(err, "key-encryption key file \"%s\" has mode %04o: it must not be accessible by group or others (chmod 600)",
					 path, (unsigned int) (st.st_mode & 07777));
		goto done;
	}
	for (;;)
	{
		ssize_t		n = read(fd, buf + len, sizeof(buf) - len);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			mb_set_error(err, "cannot read key-encryption key file \"%s\": %s",
						 path, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t) n;
		if (len == sizeof(buf))
		{
			mb_set_error(err, "key-encryption key file \"%s\" is too large", path);
			goto done;
		}
	}
	ok = mcc_kek_parse(buf, len, kek, err);
	if (!ok)
	{
		/* prefix the file name to the parse error */
		char		msg[sizeof(err->message)];

		if (err)
		{
			memcpy(msg, err->message, sizeof(msg));
			mb_set_error(err, "key-encryption key file \"%s\": %s", path, msg);
		}
	}

done:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return ok;
}

/* Generate KEK file content (hex, newline) */
bool
mcc_kek_generate_hex(char out[MCC_KEK_LEN * 2 + 2], mcj_error *err)
{
	unsigned char kek[MCC_KEK_LEN];
	size_t		len;

	if (RAND_bytes(kek, MCC_KEK_LEN) != 1)
	{
		mcc_ossl_error(err, "random number generator failed");
		return false;
	}
	mb_hex_encode(kek, MCC_KEK_LEN, out, MCC_KEK_LEN * 2 + 1, &len);
	out[len] = '\n';
	out[len + 1] = '\0';
	OPENSSL_cleanse(kek, sizeof(kek));
	return true;
}

/* Create a new KEK file, mode 0600 */
bool
mcc_kek_write_new_file(const char *path, mcj_error *err)
{
	char		hex[MCC_KEK_LEN * 2 + 2];
	size_t		len,
				off = 0;
	int			fd;
	bool		ok = false;

	if (!mcc_kek_generate_hex(hex, err))
		return false;
	len = strlen(hex);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
	{
		mb_set_error(err, "cannot create key-encryption key file \"%s\": %s",
					 path, strerror(errno));
		goto done;
	}
	while (off < len)
	{
		ssize_t		n = write(fd, hex + off, len - off);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			mb_set_error(err, "cannot write key-encryption key file \"%s\": %s",
						 path, strerror(errno));
			close(fd);
			unlink(path);
			goto done;
		}
		off += (size_t) n;
	}
	if (fsync(fd) != 0 || close(fd) != 0)
	{
		mb_set_error(err, "cannot write key-encryption key file \"%s\": %s",
					 path, strerror(errno));
		unlink(path);
		goto done;
	}
	ok = true;

done:
	OPENSSL_cleanse(hex, sizeof(hex));
	return ok;
}
