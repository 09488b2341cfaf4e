/*-------------------------------------------------------------------------
 *
 * keys_sql.c
 *	  Key custody inside the backend: the key-encryption key (KEK) read from
 *	  the file named by microcred.kek_file, key generation and sealing, a
 *	  per-backend cache of unsealed signing keys, and the public key formats
 *	  (Multikey, JWK, did:key) as SQL functions.
 *
 * Private keys exist in plaintext only inside OpenSSL objects in this
 * process.  They are sealed with AES-256-GCM under the KEK before they reach
 * a table (the additional authenticated data binds a sealed key to its key
 * id and issuer, so a sealed blob copied to another row does not open), no
 * function returns them, and no message mentions them.  The KEK itself is
 * never visible to SQL and is wiped when the backend exits.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "storage/ipc.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/uuid.h"

#include <sys/mman.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "mc_sql.h"
#include "mccrypto.h"
#include "multibase.h"

#define KEY_CACHE_MAX	256

typedef struct KeyCacheEntry
{
	pg_uuid_t	key_id;			/* hash key */
	unsigned char sealed_hash[MCC_SHA256_LEN];
	mcc_key    *key;
} KeyCacheEntry;

/*
 * Secrets in backend memory are kept out of core dumps: the KEK lives on a
 * page of its own marked MADV_DONTDUMP (and locked when the limit allows),
 * and OpenSSL allocates private key material (EVP_PKEY of unsealed keys) in
 * its secure heap, which is also MADV_DONTDUMP and mlock'ed.  Both are wiped
 * on every backend exit (proc_exit runs after ereport(FATAL) too).
 */
#define SECRET_PAGE 4096
#define SECURE_HEAP_SIZE (4 * 1024 * 1024)
static unsigned char *kek = NULL;	/* MCC_KEK_LEN bytes on the secret page */
static char *kek_loaded_from = NULL;	/* TopMemoryContext; NULL = no KEK */
static HTAB *key_cache = NULL;
static bool exit_hook_set = false;

/* drop every cached private key */
static void
key_cache_clear(void)
{
	HASH_SEQ_STATUS seq;
	KeyCacheEntry *e;

	if (key_cache == NULL)
		return;
	hash_seq_init(&seq, key_cache);
	while ((e = (KeyCacheEntry *) hash_seq_search(&seq)) != NULL)
		mcc_key_free(e->key);
	hash_destroy(key_cache);
	key_cache = NULL;
}

/* backend exit: wipe the KEK and free the cached keys */
static void
keys_at_exit(int code, Datum arg)
{
	key_cache_clear();
	if (kek != NULL)
		OPENSSL_cleanse(kek, MCC_KEK_LEN);
}

/* the secret page and the secure heap, once per backend */
static void
secrets_init(void)
{
	void	   *p;

	if (kek != NULL)
		return;
	if (!CRYPTO_secure_malloc_initialized())
		(void) CRYPTO_secure_malloc_init(SECURE_HEAP_SIZE, 32);	/* 2: usable, not locked */
	p = mmap(NULL, SECRET_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("cannot map a page for the key-encryption key: %m")));
#ifdef MADV_DONTDUMP
	if (madvise(p, SECRET_PAGE, MADV_DONTDUMP) != 0)
		elog(WARNING, "microcred: cannot exclude the key-encryption key from core dumps: %m");
#endif
	(void) mlock(p, SECRET_PAGE);	/* best effort: RLIMIT_MEMLOCK may refuse */
	kek = p;
}

/* make sure the KEK named by microcred.kek_file is loaded, or raise */
static void
load_kek(void)
{
	mcj_error	err;

	secrets_init();
	if (!exit_hook_set)
	{
		on_proc_exit(keys_at_exit, (Datum) 0);
		exit_hook_set = true;
	}
	if (!microcred_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("microcred must be loaded by shared_preload_libraries to use issuer keys"),
				 errdetail("Without it, the setting microcred.kek_file is a placeholder that every role can read with SHOW."),
				 errhint("Add 'microcred' to shared_preload_libraries in postgresql.conf and restart the server; "
						 "verification, reports and the audit check work without it.")));
	if (microcred_kek_file == NULL || microcred_kek_file[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no key-encryption key is configured"),
				 errdetail("The setting microcred.kek_file is empty, so issuer private keys cannot be protected."),
				 errhint("Create a key file readable only by the server's OS user, e.g. "
						 "head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > /etc/postgresql/15/main/microcred.kek; "
						 "chown postgres: microcred.kek; chmod 600 microcred.kek; "
						 "then set microcred.kek_file to its path in postgresql.conf and reload.")));
	if (kek_loaded_from != NULL && strcmp(kek_loaded_from, microcred_kek_file) == 0)
		return;

	/* a different (or first) KEK: nothing unsealed under another one survives */
	key_cache_clear();
	if (kek_loaded_from != NULL)
	{
		pfree(kek_loaded_from);
		kek_loaded_from = NULL;
	}
	if (!mcc_kek_read_file(microcred_kek_file, kek, &err))
	{
		OPENSSL_cleanse(kek, MCC_KEK_LEN);
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("cannot use the key-encryption key file \"%s\": %s", microcred_kek_file, err.message),
				 errhint("The file must hold 32 random bytes as 64 hexadecimal characters, be owned by the server's OS user and have mode 0600.")));
	}
	kek_loaded_from = MemoryContextStrdup(TopMemoryContext, microcred_kek_file);
}

/* additional authenticated data binding a sealed key to its id and issuer */
static void
sealed_aad(const pg_uuid_t *key_id, const pg_uuid_t *issuer_id, unsigned char aad[48])
{
	memcpy(aad, "microcred-key-v1", 16);
	memcpy(aad + 16, key_id->data, UUID_LEN);
	memcpy(aad + 32, issuer_id->data, UUID_LEN);
}

/* raise for a failed crypto call, with a message that carries no secret */
static void
crypto_error(const char *what, const mcj_error *err)
{
	ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
			 errmsg("%s: %s", what, err->message)));
}

/* reset callback: free an mcc_key when its memory context goes away */
static void
free_key_callback(void *arg)
{
	mcc_key_free((mcc_key *) arg);
}

/* hand an mcc_key to the current memory context: freed with it, also on error */
mcc_key *
mc_key_track(mcc_key *key)
{
	MemoryContextCallback *cb = palloc(sizeof(MemoryContextCallback));

	cb->func = free_key_callback;
	cb->arg = key;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
	return key;
}

/*
 * The private key of key_id, unsealed once per backend and cached.  The
 * cache entry is keyed by key id and checked against a hash of the sealed
 * blob, so a re-sealed key is reloaded.  The key stays owned by the cache.
 */
mcc_key *
mc_signing_key(const pg_uuid_t *key_id, const pg_uuid_t *issuer_id, const bytea *sealed)
{
	unsigned char h[MCC_SHA256_LEN];
	unsigned char aad[48];
	KeyCacheEntry *e;
	bool		found;
	mcc_key    *key;
	mcj_error	err;

	load_kek();
	if (key_cache == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(pg_uuid_t);
		ctl.entrysize = sizeof(KeyCacheEntry);
		key_cache = hash_create("microcred signing keys", 64, &ctl, HASH_ELEM | HASH_BLOBS);
	}
	mcc_sha256(VARDATA_ANY(sealed), VARSIZE_ANY_EXHDR(sealed), h);
	e = (KeyCacheEntry *) hash_search(key_cache, key_id, HASH_FIND, NULL);
	if (e != NULL && memcmp(e->sealed_hash, h, sizeof(h)) == 0)
		return e->key;

	sealed_aad(key_id, issuer_id, aad);
	key = mcc_key_unseal((const unsigned char *) VARDATA_ANY(sealed), VARSIZE_ANY_EXHDR(sealed),
						 kek, aad, sizeof(aad), &err);
	if (key == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("signing key %s cannot be opened", DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(key_id)))),
				 errdetail("%s", err.message),
				 errhint("The key was sealed under another key-encryption key, or its row was altered; check microcred.kek_file.")));

	if (hash_get_num_entries(key_cache) >= KEY_CACHE_MAX && e == NULL)
	{
		key_cache_clear();
		return mc_signing_key(key_id, issuer_id, sealed);
	}
	e = (KeyCacheEntry *) hash_search(key_cache, key_id, HASH_ENTER, &found);
	if (found)
		mcc_key_free(e->key);
	memcpy(e->sealed_hash, h, sizeof(h));
	e->key = key;
	return key;
}

/* the formats of a public key as a tuple of the given descriptor */
static HeapTuple
public_formats_tuple(TupleDesc tupdesc, mcj_arena *arena, mcc_key *key, Datum first, bool have_first)
{
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};
	mcj_error	err;
	size_t		derlen;
	unsigned char *der;
	char	   *multikey = NULL;
	char	   *did = NULL;
	mcj_value  *jwk;
	char	   *thumb;
	int			i = 0;
	bytea	   *spki;

	if (have_first)
		values[i++] = first;
	der = mcc_key_spki_der(arena, key, &derlen, &err);
	if (der == NULL)
		crypto_error("cannot export public key", &err);
	spki = palloc(VARHDRSZ + derlen);
	SET_VARSIZE(spki, VARHDRSZ + derlen);
	memcpy(VARDATA(spki), der, derlen);

	jwk = mcc_key_jwk(arena, key, &err);
	if (jwk == NULL)
		crypto_error("cannot export public key as JWK", &err);
	thumb = mcc_jwk_thumbprint_b64(arena, jwk, &err);
	if (thumb == NULL)
		crypto_error("cannot compute JWK thumbprint", &err);
	mcj_object_set(arena, jwk, "kid", mcj_cstring(arena, thumb));
	if (mcc_key_type(key) != MCC_KEY_RSA)
	{
		multikey = mcc_key_multikey(arena, key, &err);
		if (multikey == NULL)
			crypto_error("cannot export public key as Multikey", &err);
		did = mcc_key_did_key(arena, key, &err);
		if (did == NULL)
			crypto_error("cannot export public key as did:key", &err);
	}
	values[i++] = PointerGetDatum(spki);
	if (multikey)
		values[i] = CStringGetTextDatum(multikey);
	else
		nulls[i] = true;
	i++;
	values[i++] = JsonbPGetDatum(mc_to_jsonb(jwk));
	if (did)
		values[i] = CStringGetTextDatum(did);
	else
		nulls[i] = true;
	i++;
	/* the fragment of the verification method: Multikey, or the JWK thumbprint for RSA */
	values[i++] = CStringGetTextDatum(multikey ? multikey : thumb);
	return heap_form_tuple(tupdesc, values, nulls);
}

PG_FUNCTION_INFO_V1(microcred_key_generate);

/*
 * microcred._key_generate(key_id uuid, issuer_id uuid, algorithm text,
 *   OUT sealed_private bytea, OUT public_key bytea, OUT public_key_multibase text,
 *   OUT public_jwk jsonb, OUT did_key text, OUT fragment text)
 */
Datum
microcred_key_generate(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *key_id = PG_GETARG_UUID_P(0);
	pg_uuid_t  *issuer_id = PG_GETARG_UUID_P(1);
	char	   *alg = text_to_cstring(PG_GETARG_TEXT_PP(2));
	TupleDesc	tupdesc;
	mcc_keytype type;
	mcc_key    *key;
	mcj_arena  *arena;
	mcj_error	err;
	unsigned char aad[48];
	unsigned char *sealed;
	size_t		sealedlen;
	bytea	   *sealed_datum;
	HeapTuple	tuple;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	if (strcmp(alg, "Ed25519") == 0)
		type = MCC_KEY_ED25519;
	else if (strcmp(alg, "P-256") == 0)
		type = MCC_KEY_P256;
	else if (strcmp(alg, "RSA") == 0)
		type = MCC_KEY_RSA;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key algorithm \"%s\" is not supported", alg),
				 errhint("Use 'Ed25519' (Data Integrity proofs, VC-JOSE EdDSA), 'P-256' (ES256 JWTs) or 'RSA' (RS256 Open Badges JWTs).")));

	load_kek();
	key = mcc_key_generate(type, &err);
	if (key == NULL)
		crypto_error("key generation failed", &err);
	mc_key_track(key);

	arena = mc_arena();
	sealed_aad(key_id, issuer_id, aad);
	sealed = mcc_key_seal(arena, key, kek, aad, sizeof(aad), &sealedlen, &err);
	if (sealed == NULL)
		crypto_error("cannot seal the new private key", &err);
	sealed_datum = palloc(VARHDRSZ + sealedlen);
	SET_VARSIZE(sealed_datum, VARHDRSZ + sealedlen);
	memcpy(VARDATA(sealed_datum), sealed, sealedlen);

	tupdesc = BlessTupleDesc(tupdesc);
	tuple = public_formats_tuple(tupdesc, arena, key, PointerGetDatum(sealed_datum), true);
	PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
}

/* a public key from SPKI DER, tracked by the current memory context */
mcc_key *
mc_public_key_from_spki(const bytea *spki)
{
	mcj_error	err;
	mcc_key    *key = mcc_key_from_spki_der((const unsigned char *) VARDATA_ANY(spki),
											VARSIZE_ANY_EXHDR(spki), &err);

	if (key == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("public key is not a valid Ed25519, P-256 or RSA key: %s", err.message)));
	return mc_key_track(key);
}

PG_FUNCTION_INFO_V1(microcred_public_key_info);

/*
 * microcred.public_key_info(public_key bytea, OUT algorithm text, ...): the
 * formats of a public key given as SPKI DER.
 */
Datum
microcred_public_key_info(PG_FUNCTION_ARGS)
{
	bytea	   *spki = PG_GETARG_BYTEA_PP(0);
	TupleDesc	tupdesc;
	mcc_key    *key;
	mcj_arena  *arena;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	key = mc_public_key_from_spki(spki);
	arena = mc_arena();
	tupdesc = BlessTupleDesc(tupdesc);
	PG_RETURN_DATUM(HeapTupleGetDatum(public_formats_tuple(tupdesc, arena, key,
														   CStringGetTextDatum(mcc_key_type(key) == MCC_KEY_ED25519 ? "Ed25519" :
																			   mcc_key_type(key) == MCC_KEY_P256 ? "P-256" : "RSA"),
														   true)));
}

/* a public key from Multikey, did:key or JWK text, or NULL with err */
mcc_key *
mc_public_key_from_text(mcj_arena *arena, const char *s, size_t len, mcj_error *err)
{
	return mcc_key_from_text(arena, s, len, err);
}

PG_FUNCTION_INFO_V1(microcred_public_key_parse);

/* microcred.public_key(text) RETURNS bytea: SPKI DER of a Multikey, did:key or JWK */
Datum
microcred_public_key_parse(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	mcj_arena  *arena = mc_arena();
	mcj_error	err;
	mcc_key    *key;
	unsigned char *der;
	size_t		derlen;
	bytea	   *result;

	key = mc_public_key_from_text(arena, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &err);
	if (key == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("public key cannot be read: %s", err.message),
				 errhint("Give a publicKeyMultibase (z6Mk... for Ed25519, zDn... for P-256), a did:key, or a JWK as JSON text.")));
	mc_key_track(key);
	der = mcc_key_spki_der(arena, key, &derlen, &err);
	if (der == NULL)
		crypto_error("cannot export public key", &err);
	result = palloc(VARHDRSZ + derlen);
	SET_VARSIZE(result, VARHDRSZ + derlen);
	memcpy(VARDATA(result), der, derlen);
	PG_RETURN_BYTEA_P(result);
}

/*
 * Secrets other than keys (an LMS API token for the reconciliation poller):
 * AES-256-GCM under the KEK, the same blob layout as sealed keys (version ||
 * 12-byte nonce || ciphertext || tag) and associated data "secret:" || aad
 * (the caller binds the blob to its row, e.g. the event source id).
 */
#define SECRET_MAX		8192
#define SECRET_AAD_TAG	"secret:"

static void
secret_aad(EVP_CIPHER_CTX *ctx, const bytea *aad)
{
	unsigned char version = MCC_SEAL_VERSION;
	int			n;

	if (EVP_EncryptUpdate(ctx, NULL, &n, &version, 1) != 1 ||
		EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *) SECRET_AAD_TAG, (int) strlen(SECRET_AAD_TAG)) != 1 ||
		(VARSIZE_ANY_EXHDR(aad) > 0 &&
		 EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *) VARDATA_ANY(aad), (int) VARSIZE_ANY_EXHDR(aad)) != 1))
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not seal the secret")));
}

PG_FUNCTION_INFO_V1(microcred_seal_secret);

/* microcred._seal_secret(secret text, aad bytea) RETURNS bytea */
Datum
microcred_seal_secret(PG_FUNCTION_ARGS)
{
	text	   *secret = PG_GETARG_TEXT_PP(0);
	bytea	   *aad = PG_GETARG_BYTEA_PP(1);
	size_t		len = VARSIZE_ANY_EXHDR(secret);
	bytea	   *out;
	unsigned char *p;
	EVP_CIPHER_CTX *ctx;
	int			n,
				n2;

	if (len == 0 || len > SECRET_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the secret must be 1 to %d bytes", SECRET_MAX),
				 errhint("Give the API token as the LMS shows it.")));
	load_kek();
	out = (bytea *) palloc(VARHDRSZ + MCC_SEAL_OVERHEAD + len);
	SET_VARSIZE(out, VARHDRSZ + MCC_SEAL_OVERHEAD + len);
	p = (unsigned char *) VARDATA(out);
	p[0] = MCC_SEAL_VERSION;
	if (!pg_strong_random(p + 1, MCC_SEAL_NONCE_LEN))
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not generate random bytes")));
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL ||
		EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, MCC_SEAL_NONCE_LEN, NULL) != 1 ||
		EVP_EncryptInit_ex(ctx, NULL, NULL, kek, p + 1) != 1)
	{
		EVP_CIPHER_CTX_free(ctx);
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not seal the secret")));
	}
	PG_TRY();
	{
		secret_aad(ctx, aad);
		if (EVP_EncryptUpdate(ctx, p + 1 + MCC_SEAL_NONCE_LEN, &n, (const unsigned char *) VARDATA_ANY(secret),
							  (int) len) != 1 ||
			EVP_EncryptFinal_ex(ctx, p + 1 + MCC_SEAL_NONCE_LEN + n, &n2) != 1 ||
			(size_t) (n + n2) != len ||
			EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, MCC_SEAL_TAG_LEN,
								p + 1 + MCC_SEAL_NONCE_LEN + len) != 1)
			ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not seal the secret")));
	}
	PG_FINALLY();
	{
		EVP_CIPHER_CTX_free(ctx);
	}
	PG_END_TRY();
	PG_RETURN_BYTEA_P(out);
}

PG_FUNCTION_INFO_V1(microcred_unseal_secret);

/* microcred._unseal_secret(sealed bytea, aad bytea) RETURNS text */
Datum
microcred_unseal_secret(PG_FUNCTION_ARGS)
{
	bytea	   *sealed = PG_GETARG_BYTEA_PP(0);
	bytea	   *aad = PG_GETARG_BYTEA_PP(1);
	const unsigned char *p = (const unsigned char *) VARDATA_ANY(sealed);
	size_t		slen = VARSIZE_ANY_EXHDR(sealed);
	size_t		len;
	text	   *out;
	EVP_CIPHER_CTX *ctx;
	int			n,
				n2 = 0;
	bool		ok;

	if (slen <= MCC_SEAL_OVERHEAD || p[0] != MCC_SEAL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the sealed secret is malformed"),
				 errhint("It was not made by microcred._seal_secret; set the secret again.")));
	len = slen - MCC_SEAL_OVERHEAD;
	load_kek();
	out = (text *) palloc(VARHDRSZ + len);
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL ||
		EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, MCC_SEAL_NONCE_LEN, NULL) != 1 ||
		EVP_DecryptInit_ex(ctx, NULL, NULL, kek, p + 1) != 1)
	{
		EVP_CIPHER_CTX_free(ctx);
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not open the sealed secret")));
	}
	PG_TRY();
	{
		/* the AAD goes through the decrypt context the same way */
		unsigned char version = MCC_SEAL_VERSION;

		ok = EVP_DecryptUpdate(ctx, NULL, &n, &version, 1) == 1 &&
			EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *) SECRET_AAD_TAG, (int) strlen(SECRET_AAD_TAG)) == 1 &&
			(VARSIZE_ANY_EXHDR(aad) == 0 ||
			 EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *) VARDATA_ANY(aad), (int) VARSIZE_ANY_EXHDR(aad)) == 1) &&
			EVP_DecryptUpdate(ctx, (unsigned char *) VARDATA(out), &n, p + 1 + MCC_SEAL_NONCE_LEN, (int) len) == 1 &&
			EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, MCC_SEAL_TAG_LEN,
								(void *) (p + 1 + MCC_SEAL_NONCE_LEN + len)) == 1 &&
			EVP_DecryptFinal_ex(ctx, (unsigned char *) VARDATA(out) + n, &n2) == 1 &&
			(size_t) (n + n2) == len;
		if (!ok)
		{
			OPENSSL_cleanse(VARDATA(out), len);
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("the sealed secret does not open under the current key-encryption key"),
					 errhint("It was sealed for another row or under another microcred.kek_file; set it again.")));
		}
	}
	PG_FINALLY();
	{
		EVP_CIPHER_CTX_free(ctx);
	}
	PG_END_TRY();
	SET_VARSIZE(out, VARHDRSZ + len);
	PG_RETURN_TEXT_P(out);
}
