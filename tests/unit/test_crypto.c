/*-------------------------------------------------------------------------
 *
 * test_crypto.c
 *	  TAP unit tests for multibase.c, mccrypto.c and jws.c: codecs and
 *	  their strictness, Multikey/did:key/JWK formats against published
 *	  vectors (W3C vc-di-eddsa, 1EdTech, RFC 7638, RFC 8037), sealed key
 *	  storage, KEK files, signatures and compact JWS verification.
 *
 * Usage: test_crypto [DATADIR]   (default tests/data)
 * Prints "ok N - desc" / "not ok N - desc" and the plan "1..N" at the
 * end; exits non-zero when any test failed.
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "../lib/tap.h"
#include "jws.h"
#include "mccrypto.h"
#include "mcjson.h"
#include "multibase.h"

typedef struct tstate
{
	const char *datadir;
	mcj_arena  *arena;
} tstate;

/* one TAP result and a diagnostic line (tests/lib/tap.h) */
#define ok(t, ...) ((void) (t), tap_ok(__VA_ARGS__))
#define diag tap_diag

/* Does the error message contain needle? (prints it otherwise) */
static bool
err_has(const mcj_error *err, const char *needle)
{
	if (strstr(err->message, needle) != NULL)
		return true;
	diag("error was: \"%s\", expected to contain \"%s\"", err->message, needle);
	return false;
}

/* Read DATADIR/name into the arena, trailing whitespace trimmed */
static char *
read_data(tstate *t, const char *name, size_t *len)
{
	char		path[1024];
	FILE	   *f;
	char	   *buf;
	long		n;

	snprintf(path, sizeof(path), "%s/%s", t->datadir, name);
	f = fopen(path, "rb");
	if (f == NULL)
	{
		diag("cannot open %s", path);
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = mcj_alloc(t->arena, (size_t) n + 1);
	if (fread(buf, 1, (size_t) n, f) != (size_t) n)
		n = 0;
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
					 buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	*len = (size_t) n;
	return buf;
}

/* Hex text to bytes in the arena */
static unsigned char *
unhex(tstate *t, const char *hex, size_t *len)
{
	mcj_error	err;

	return mb_hex_decode_a(t->arena, hex, strlen(hex), len, &err);
}

/* Parse JSON text (test helper) */
static mcj_value *
json(tstate *t, const char *text)
{
	mcj_error	err;
	mcj_value  *v = mcj_parse(t->arena, text, strlen(text), NULL, &err);

	if (v == NULL)
		diag("json parse failed: %s", err.message);
	return v;
}

/* ------------------------------------------------------------------ */

/* base58btc vectors, strictness and round trips */
static void
test_base58(tstate *t)
{
	static const struct
	{
		const char *hex;
		const char *b58;
	}			vec[] = {
		{"", ""},
		{"00", "1"},
		{"0000", "11"},
		{"61", "2g"},
		{"626262", "a3gV"},
		{"636363", "aPEr"},
		{"48656c6c6f20576f726c6421", "2NEpo7TZRRrLZSi2U"},
		{"00000000287fb4cd", "1111233QC4"},
		{"0000287fb4cd", "11233QC4"},
		{"ff", "5Q"},
		{"0100", "5R"},
	};
	size_t		i;
	int			bad = 0;
	mcj_error	err;
	unsigned char buf[600];
	char		txt[900];
	size_t		len;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++)
	{
		size_t		blen;
		unsigned char *bytes = unhex(t, vec[i].hex, &blen);
		char	   *enc = mb_base58btc_encode_a(t->arena, bytes, blen);
		unsigned char *dec = mb_base58btc_decode_a(t->arena, vec[i].b58,
												   strlen(vec[i].b58), &len, &err);

		ok(t, enc && strcmp(enc, vec[i].b58) == 0 && dec && len == blen &&
		   memcmp(dec, bytes, blen) == 0,
		   "base58btc vector %zu (\"%s\")", i, vec[i].b58);
	}

	/* random round trips, with leading zero bytes */
	for (i = 0; i < 300; i++)
	{
		size_t		n = i % 80;
		size_t		zeros = i % 4;
		size_t		dlen;

		RAND_bytes(buf, (int) n);
		memset(buf, 0, zeros < n ? zeros : n);
		if (!mb_base58btc_encode(buf, n, txt, sizeof(txt), &len) ||
			!mb_base58btc_decode(txt, len, buf + 300, 300, &dlen, &err) ||
			dlen != n || memcmp(buf, buf + 300, n) != 0)
			bad++;
	}
	ok(t, bad == 0, "base58btc random round trips (%d bad)", bad);

	ok(t, !mb_base58btc_decode("2g0", 3, buf, sizeof(buf), &len, &err) &&
	   err_has(&err, "invalid base58 character"), "base58 rejects '0'");
	ok(t, !mb_base58btc_decode("OIl", 3, buf, sizeof(buf), &len, &err),
	   "base58 rejects 'O', 'I', 'l'");
	ok(t, !mb_base58btc_decode("5Q ", 3, buf, sizeof(buf), &len, &err),
	   "base58 rejects whitespace");
	ok(t, !mb_base58btc_encode((const unsigned char *) "abc", 3, txt, 3, &len),
	   "base58 encode reports a too small buffer");
	ok(t, !mb_base58btc_decode("a3gV", 4, buf, 2, &len, &err),
	   "base58 decode reports a too small buffer");
}

/* base64url / base64 / hex / varint */
static void
test_base64_hex(tstate *t)
{
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
	static const char *const std[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	size_t		i,
				len;
	bool		all = true;
	unsigned char buf[300];
	char		txt[500];
	mcj_error	err;
	unsigned char v[10];
	uint64_t	val;
	size_t		used;
	int			bad = 0;

	for (i = 0; i < 7; i++)
	{
		const unsigned char *p = (const unsigned char *) plain[i];
		size_t		pl = strlen(plain[i]);

		if (!mb_base64url_encode(p, pl, txt, sizeof(txt), &len) || strcmp(txt, url[i]) != 0)
			all = false;
		if (!mb_base64url_decode(url[i], strlen(url[i]), buf, sizeof(buf), &len, &err) ||
			len != pl || memcmp(buf, p, pl) != 0)
			all = false;
		if (!mb_base64_encode(p, pl, txt, sizeof(txt), &len) || strcmp(txt, std[i]) != 0)
			all = false;
		if (!mb_base64_decode(std[i], strlen(std[i]), buf, sizeof(buf), &len, &err) ||
			len != pl || memcmp(buf, p, pl) != 0)
			all = false;
	}
	ok(t, all, "base64url and base64 RFC 4648 vectors");

	ok(t, !mb_base64url_decode("Zg==", 4, buf, sizeof(buf), &len, &err) &&
	   err_has(&err, "padding"), "base64url rejects padding");
	ok(t, !mb_base64url_decode("Zh", 2, buf, sizeof(buf), &len, &err) &&
	   err_has(&err, "non-canonical"), "base64url rejects non-zero trailing bits");
	ok(t, !mb_base64url_decode("Zm9vY", 5, buf, sizeof(buf), &len, &err) &&
	   err_has(&err, "length"), "base64url rejects length 1 mod 4");
	ok(t, !mb_base64url_decode("a+b/", 4, buf, sizeof(buf), &len, &err) &&
	   err_has(&err, "invalid base64url character"), "base64url rejects + and /");
	ok(t, mb_base64url_decode("-w", 2, buf, sizeof(buf), &len, &err) &&
	   len == 1 && buf[0] == 0xfb, "base64url accepts - and _ alphabet");
	ok(t, !mb_base64_decode("Zg", 2, buf, sizeof(buf), &len, &err),
	   "base64 requires padding");
	ok(t, !mb_base64_decode("Zh==", 4, buf, sizeof(buf), &len, &err),
	   "base64 rejects non-zero trailing bits");

	for (i = 0; i < 200; i++)
	{
		size_t		n = i % 97,
					dlen;

		RAND_bytes(buf, (int) n);
		if (!mb_base64url_encode(buf, n, txt, sizeof(txt), &len) ||
			len != MB_BASE64URL_ENCODED_LEN(n) ||
			!mb_base64url_decode(txt, len, buf + 150, 150, &dlen, &err) ||
			dlen != n || memcmp(buf, buf + 150, n) != 0)
			bad++;
	}
	ok(t, bad == 0, "base64url random round trips (%d bad)", bad);

	ok(t, mb_hex_decode("00fFa0", 6, buf, sizeof(buf), &len, &err) && len == 3 &&
	   buf[1] == 0xff && mb_hex_encode(buf, 3, txt, sizeof(txt), &len) &&
	   strcmp(txt, "00ffa0") == 0, "hex round trip");
	ok(t, !mb_hex_decode("abc", 3, buf, sizeof(buf), &len, &err) &&
	   !mb_hex_decode("zz", 2, buf, sizeof(buf), &len, &err), "hex rejects odd length and non-hex");

	ok(t, mb_varint_encode(MB_CODEC_ED25519_PUB, v) == 2 && v[0] == 0xed && v[1] == 0x01,
	   "varint ed25519-pub is 0xed 0x01");
	ok(t, mb_varint_encode(MB_CODEC_P256_PUB, v) == 2 && v[0] == 0x80 && v[1] == 0x24,
	   "varint p256-pub is 0x80 0x24");
	ok(t, mb_varint_encode(MB_CODEC_ED25519_PRIV, v) == 2 && v[0] == 0x80 && v[1] == 0x26,
	   "varint ed25519-priv is 0x80 0x26");
	v[0] = 0x80;
	v[1] = 0x00;
	ok(t, !mb_varint_decode(v, 2, &val, &used, &err) && err_has(&err, "non-minimal"),
	   "varint rejects non-minimal encoding");
	ok(t, !mb_varint_decode(v, 1, &val, &used, &err) && err_has(&err, "truncated"),
	   "varint rejects truncation");
	ok(t, mb_multibase_decode(t->arena, "uZm9v", 5, &len, &err) != NULL && len == 3 &&
	   mb_multibase_decode(t->arena, "f666f6f", 7, &len, &err) == NULL &&
	   err_has(&err, "unsupported multibase prefix"),
	   "multibase 'u' accepted, 'f' refused");
}

/* Extract a string member from a JSON file in the data dir */
static const char *
data_member(tstate *t, const char *file, const char *member)
{
	size_t		len;
	char	   *text = read_data(t, file, &len);
	mcj_error	err;
	mcj_value  *v;
	mcj_value  *m;

	if (text == NULL)
		return NULL;
	v = mcj_parse(t->arena, text, len, NULL, &err);
	if (v == NULL)
	{
		diag("%s: %s", file, err.message);
		return NULL;
	}
	m = mcj_object_get(v, member);
	return (m && m->type == MCJ_STRING) ? m->u.str.s : NULL;
}

/* Multikey, did:key and the vc-di-eddsa deterministic signature */
static void
test_multikey(tstate *t)
{
	mcj_error	err;
	const char *pubmb = data_member(t, "vc-di-eddsa/keyPair.json", "publicKeyMultibase");
	const char *privmb = data_member(t, "vc-di-eddsa/keyPair.json", "privateKeyMultibase");
	mcc_key    *pub = NULL,
			   *priv = NULL,
			   *k;
	char	   *s;
	size_t		hlen,
				sighexlen,
				hashlen,
				b58len,
				explen;
	char	   *hashhex = read_data(t, "vc-di-eddsa/eddsa-jcs-2022/combinedHashJCS.txt", &hlen);
	char	   *sighex = read_data(t, "vc-di-eddsa/eddsa-jcs-2022/sigHexJCS.txt", &sighexlen);
	char	   *sigb58 = read_data(t, "vc-di-eddsa/eddsa-jcs-2022/sigBTC58JCS.txt", &b58len);
	unsigned char *hash = hashhex ? unhex(t, hashhex, &hashlen) : NULL;
	unsigned char *expsig = sighex ? unhex(t, sighex, &explen) : NULL;
	unsigned char sig[MCC_SIG_MAX_LEN];
	size_t		siglen = 0;
	unsigned char raw[65];
	size_t		rawlen;
	size_t		hexlen;
	unsigned char *edtech;

	if (!ok(t, pubmb && privmb && hash && expsig && sigb58,
			"vc-di-eddsa vectors present in %s/vc-di-eddsa", t->datadir))
		return;

	pub = mcc_key_from_multikey(pubmb, strlen(pubmb), &err);
	ok(t, pub != NULL && mcc_key_type(pub) == MCC_KEY_ED25519 && !mcc_key_has_private(pub),
	   "import vc-di-eddsa publicKeyMultibase");
	s = pub ? mcc_key_multikey(t->arena, pub, &err) : NULL;
	ok(t, s && strcmp(s, pubmb) == 0, "Multikey export round trip (%s)", s ? s : "?");

	priv = mcc_key_from_private_multikey(privmb, strlen(privmb), &err);
	ok(t, priv != NULL && mcc_key_has_private(priv), "import vc-di-eddsa secret key multibase");
	s = priv ? mcc_key_multikey(t->arena, priv, &err) : NULL;
	ok(t, s && strcmp(s, pubmb) == 0, "public key derived from secret key matches");
	ok(t, mcc_key_public_equal(pub, priv), "mcc_key_public_equal on the vector pair");
	ok(t, mcc_key_from_multikey(privmb, strlen(privmb), &err) == NULL &&
	   err_has(&err, "private"), "a secret Multikey is refused as a public key");

	ok(t, priv && mcc_sign(priv, MCC_ALG_EDDSA, hash, hashlen, sig, sizeof(sig),
						   &siglen, &err) &&
	   siglen == 64 && explen == 64 && memcmp(sig, expsig, 64) == 0,
	   "Ed25519 signature reproduces sigHexJCS.txt");
	s = mb_multibase_encode(t->arena, 'z', sig, siglen);
	ok(t, s && strcmp(s, sigb58) == 0, "signature as base58btc multibase matches sigBTC58JCS.txt");
	ok(t, mcc_verify(pub, MCC_ALG_EDDSA, hash, hashlen, expsig, 64, &err),
	   "vector signature verifies with the public Multikey");
	hash[5] ^= 1;
	ok(t, !mcc_verify(pub, MCC_ALG_EDDSA, hash, hashlen, expsig, 64, &err) &&
	   err_has(&err, "verification failed"), "tampered message fails");
	hash[5] ^= 1;
	expsig[63] ^= 0x40;
	ok(t, !mcc_verify(pub, MCC_ALG_EDDSA, hash, hashlen, expsig, 64, &err),
	   "tampered signature fails");
	expsig[63] ^= 0x40;
	ok(t, !mcc_verify(pub, MCC_ALG_EDDSA, hash, hashlen, expsig, 63, &err) &&
	   err_has(&err, "64 bytes"), "63-byte Ed25519 signature refused");
	ok(t, !mcc_verify(pub, MCC_ALG_ES256, hash, hashlen, expsig, 64, &err) &&
	   err_has(&err, "cannot be used with alg ES256"), "Ed25519 key refused for ES256");
	ok(t, !mcc_sign(pub, MCC_ALG_EDDSA, hash, hashlen, sig, sizeof(sig), &siglen, &err) &&
	   err_has(&err, "private"), "signing with a public key refused");

	/* 1EdTech example key */
	edtech = unhex(t, "4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5",
				   &hexlen);
	k = mcc_key_from_public_raw(MCC_KEY_ED25519, edtech, hexlen, &err);
	s = k ? mcc_key_multikey(t->arena, k, &err) : NULL;
	ok(t, s && strcmp(s, "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi") == 0,
	   "1EdTech key gives z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi");
	s = k ? mcc_key_did_key(t->arena, k, &err) : NULL;
	ok(t, s && strcmp(s, "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi") == 0,
	   "did:key of the 1EdTech key");
	s = k ? mcc_key_did_key_vm(t->arena, k, &err) : NULL;
	ok(t, s && strcmp(s, "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
					  "#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi") == 0,
	   "did:key verification method id");
	{
		mcc_key    *k2 = s ? mcc_key_from_did_key(s, strlen(s), &err) : NULL;
		mcc_key    *k3 = mcc_key_from_did_key(s, strlen(s) - 49, &err);
		const char *badfrag = "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi#key-1";

		ok(t, k2 && mcc_key_public_equal(k, k2), "did:key with fragment imports");
		ok(t, k3 && mcc_key_public_equal(k, k3), "did:key without fragment imports");
		ok(t, mcc_key_from_did_key(badfrag, strlen(badfrag), &err) == NULL &&
		   err_has(&err, "fragment"), "did:key with a foreign fragment refused");
		ok(t, mcc_key_from_did_key("did:web:example.com", 19, &err) == NULL,
		   "did:web refused by the did:key importer");
		mcc_key_free(k2);
		mcc_key_free(k3);
	}
	ok(t, k && mcc_key_public_raw(k, false, raw, &rawlen, &err) && rawlen == 32 &&
	   memcmp(raw, edtech, 32) == 0, "raw Ed25519 public key export");
	mcc_key_free(k);

	/* strictness */
	{
		unsigned char b[40];
		char	   *mb;
		unsigned char y2[32] = {2};
		unsigned char yp[32];
		unsigned char neg0[32] = {1};

		/* x25519-pub (0xec) codec */
		b[0] = 0xec;
		b[1] = 0x01;
		memcpy(b + 2, edtech, 32);
		mb = mb_multibase_encode(t->arena, 'z', b, 34);
		ok(t, mcc_key_from_multikey(mb, strlen(mb), &err) == NULL &&
		   err_has(&err, "unsupported Multikey codec"), "x25519-pub Multikey refused");
		b[0] = 0xed;
		mb = mb_multibase_encode(t->arena, 'z', b, 33);
		ok(t, mcc_key_from_multikey(mb, strlen(mb), &err) == NULL &&
		   err_has(&err, "32 bytes"), "31-byte ed25519-pub refused");
		mb = mb_multibase_encode(t->arena, 'u', b, 34);
		ok(t, mcc_key_from_multikey(mb, strlen(mb), &err) == NULL &&
		   err_has(&err, "base58btc"), "base64url Multikey refused");
		ok(t, mcc_key_from_public_raw(MCC_KEY_ED25519, y2, 32, &err) == NULL &&
		   err_has(&err, "not a valid curve point"), "Ed25519 point not on curve refused");
		memset(yp, 0xff, 32);
		yp[0] = 0xed;
		yp[31] = 0x7f;
		ok(t, mcc_key_from_public_raw(MCC_KEY_ED25519, yp, 32, &err) == NULL,
		   "non-canonical Ed25519 y >= p refused");
		neg0[31] = 0x80;
		ok(t, mcc_key_from_public_raw(MCC_KEY_ED25519, neg0, 32, &err) == NULL,
		   "Ed25519 x = 0 with sign bit refused");
		b[0] = 0x80;
		b[1] = 0x24;
		b[2] = 0x02;
		memset(b + 3, 0, 32);
		b[34] = 7;				/* x = 7: no point on P-256 */
		mb = mb_multibase_encode(t->arena, 'z', b, 35);
		ok(t, mcc_key_from_multikey(mb, strlen(mb), &err) == NULL &&
		   err_has(&err, "P-256"), "P-256 x without a curve point refused");
	}

	mcc_key_free(pub);
	mcc_key_free(priv);
}

/* Key generation, P-256 Multikey, signatures for every algorithm */
static void
test_keys_and_signatures(tstate *t, mcc_key *ed, mcc_key *ec, mcc_key *rsa)
{
	mcj_error	err;
	char	   *s;
	mcc_key    *k;
	unsigned char raw[65];
	size_t		rawlen;
	const unsigned char msg[] = "microcred test message";
	unsigned char sig[MCC_SIG_MAX_LEN];
	size_t		siglen;
	mcc_key    *pubs[3];
	mcc_key    *keys[3] = {ed, ec, rsa};
	mcc_alg		algs[3] = {MCC_ALG_EDDSA, MCC_ALG_ES256, MCC_ALG_RS256};
	int			i;

	ok(t, ed && ec && rsa && mcc_key_has_private(ed) && mcc_key_has_private(ec) &&
	   mcc_key_has_private(rsa), "generate Ed25519, P-256 and RSA keys");
	if (!ed || !ec || !rsa)
		return;
	ok(t, mcc_key_type(ec) == MCC_KEY_P256 && mcc_key_type(rsa) == MCC_KEY_RSA &&
	   mcc_key_bits(rsa) == 2048, "key types and RSA size");

	s = mcc_key_multikey(t->arena, ec, &err);
	ok(t, s && strncmp(s, "zDn", 3) == 0, "P-256 Multikey starts with zDn (%s)", s ? s : "?");
	k = s ? mcc_key_from_multikey(s, strlen(s), &err) : NULL;
	ok(t, k && mcc_key_public_equal(k, ec), "P-256 Multikey round trip");
	mcc_key_free(k);
	ok(t, mcc_key_public_raw(ec, false, raw, &rawlen, &err) && rawlen == 33 &&
	   (raw[0] == 2 || raw[0] == 3), "P-256 compressed raw key is 33 bytes");
	ok(t, mcc_key_public_raw(ec, true, raw, &rawlen, &err) && rawlen == 65 && raw[0] == 4,
	   "P-256 uncompressed raw key is 65 bytes");
	k = mcc_key_from_public_raw(MCC_KEY_P256, raw, 65, &err);
	ok(t, k && mcc_key_public_equal(k, ec), "P-256 import from uncompressed point");
	mcc_key_free(k);
	raw[64] ^= 1;
	ok(t, mcc_key_from_public_raw(MCC_KEY_P256, raw, 65, &err) == NULL,
	   "P-256 point off the curve refused");
	s = mcc_key_multikey(t->arena, ed, &err);
	ok(t, s && strncmp(s, "z6Mk", 4) == 0, "Ed25519 Multikey starts with z6Mk");
	ok(t, mcc_key_multikey(t->arena, rsa, &err) == NULL && err_has(&err, "no Multikey"),
	   "RSA has no Multikey form");

	for (i = 0; i < 3; i++)
	{
		bool		good;

		pubs[i] = mcc_key_public_copy(keys[i], &err);
		good = pubs[i] && !mcc_key_has_private(pubs[i]) &&
			mcc_sign(keys[i], algs[i], msg, sizeof(msg) - 1, sig, sizeof(sig), &siglen, &err) &&
			siglen == mcc_signature_len(keys[i], algs[i]) &&
			mcc_verify(pubs[i], algs[i], msg, sizeof(msg) - 1, sig, siglen, &err);
		ok(t, good, "%s sign/verify (%zu-byte signature)", mcc_alg_name(algs[i]), siglen);
		sig[siglen / 2] ^= 0x10;
		ok(t, !mcc_verify(pubs[i], algs[i], msg, sizeof(msg) - 1, sig, siglen, &err) &&
		   err_has(&err, "verification failed"), "%s tampered signature fails",
		   mcc_alg_name(algs[i]));
	}
	ok(t, mcc_sign(rsa, MCC_ALG_PS256, msg, sizeof(msg) - 1, sig, sizeof(sig), &siglen, &err) &&
	   mcc_verify(pubs[2], MCC_ALG_PS256, msg, sizeof(msg) - 1, sig, siglen, &err) &&
	   !mcc_verify(pubs[2], MCC_ALG_RS256, msg, sizeof(msg) - 1, sig, siglen, &err),
	   "PS256 sign/verify, not valid as RS256");

	/* ES256 signature form */
	ok(t, mcc_sign(ec, MCC_ALG_ES256, msg, sizeof(msg) - 1, sig, sizeof(sig), &siglen, &err) &&
	   siglen == 64, "ES256 signature is raw r||s (64 bytes)");
	ok(t, !mcc_verify(pubs[1], MCC_ALG_ES256, msg, sizeof(msg) - 1, sig, 63, &err) &&
	   err_has(&err, "64 bytes"), "ES256 63-byte signature refused");
	{
		unsigned char der[72];

		/* a DER-shaped signature of 70 bytes is refused by length */
		memset(der, 0x30, sizeof(der));
		ok(t, !mcc_verify(pubs[1], MCC_ALG_ES256, msg, sizeof(msg) - 1, der, 70, &err),
		   "ES256 DER-length signature refused");
		memset(der, 0, 64);
		ok(t, !mcc_verify(pubs[1], MCC_ALG_ES256, msg, sizeof(msg) - 1, der, 64, &err),
		   "ES256 all-zero r||s refused");
	}
	ok(t, !mcc_sign(ec, MCC_ALG_EDDSA, msg, 3, sig, sizeof(sig), &siglen, &err) &&
	   err_has(&err, "P-256 key cannot be used with alg EdDSA"), "P-256 key refused for EdDSA");
	ok(t, !mcc_sign(rsa, MCC_ALG_ES256, msg, 3, sig, sizeof(sig), &siglen, &err) &&
	   err_has(&err, "RSA key cannot be used with alg ES256"), "RSA key refused for ES256");
	ok(t, !mcc_sign(ed, MCC_ALG_RS256, msg, 3, sig, sizeof(sig), &siglen, &err),
	   "Ed25519 key refused for RS256");
	ok(t, !mcc_sign(ed, MCC_ALG_EDDSA, msg, 3, sig, 10, &siglen, &err) &&
	   err_has(&err, "too small"), "too small signature buffer reported");

	{
		unsigned char h[32];
		unsigned char *exp;
		size_t		elen;

		exp = unhex(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", &elen);
		ok(t, mcc_sha256("abc", 3, h) && memcmp(h, exp, 32) == 0, "SHA-256(\"abc\")");
	}

	/* SPKI round trips */
	for (i = 0; i < 3; i++)
	{
		size_t		dlen;
		unsigned char *der = mcc_key_spki_der(t->arena, keys[i], &dlen, &err);
		char	   *pem = mcc_key_spki_pem(t->arena, keys[i], &err);
		mcc_key    *a = der ? mcc_key_from_spki_der(der, dlen, &err) : NULL;
		mcc_key    *b = pem ? mcc_key_from_spki_pem(pem, strlen(pem), &err) : NULL;

		ok(t, a && b && mcc_key_public_equal(a, keys[i]) && mcc_key_public_equal(b, keys[i]) &&
		   !mcc_key_has_private(a), "%s SPKI DER/PEM round trip",
		   mcc_keytype_name(mcc_key_type(keys[i])));
		mcc_key_free(a);
		mcc_key_free(b);
	}
	for (i = 0; i < 3; i++)
		mcc_key_free(pubs[i]);
}

/* Sealed private keys */
static void
test_seal(tstate *t, mcc_key *ed, mcc_key *ec, mcc_key *rsa)
{
	mcj_error	err;
	unsigned char kek[MCC_KEK_LEN],
				kek2[MCC_KEK_LEN];
	const unsigned char aad[] = "key:42|issuer:7";
	const unsigned char aad2[] = "key:43|issuer:7";
	mcc_key    *keys[3] = {ed, ec, rsa};
	int			i;
	unsigned char *sealed = NULL;
	size_t		slen = 0;
	mcc_key    *k;

	RAND_bytes(kek, sizeof(kek));
	memcpy(kek2, kek, sizeof(kek));
	kek2[0] ^= 1;

	for (i = 0; i < 3; i++)
	{
		unsigned char sig[MCC_SIG_MAX_LEN];
		size_t		siglen;
		const unsigned char m[] = "sealed";
		mcc_alg		alg = mcc_key_default_alg(keys[i]);

		sealed = mcc_key_seal(t->arena, keys[i], kek, aad, sizeof(aad) - 1, &slen, &err);
		k = sealed ? mcc_key_unseal(sealed, slen, kek, aad, sizeof(aad) - 1, &err) : NULL;
		ok(t, sealed && sealed[0] == MCC_SEAL_VERSION && k && mcc_key_has_private(k) &&
		   mcc_key_public_equal(k, keys[i]) &&
		   mcc_sign(k, alg, m, 6, sig, sizeof(sig), &siglen, &err) &&
		   mcc_verify(keys[i], alg, m, 6, sig, siglen, &err),
		   "%s seal/unseal round trip (%zu bytes), unsealed key signs",
		   mcc_keytype_name(mcc_key_type(keys[i])), slen);
		mcc_key_free(k);
	}

	/* failures, on the RSA blob (the last one sealed) */
	ok(t, mcc_key_unseal(sealed, slen, kek2, aad, sizeof(aad) - 1, &err) == NULL &&
	   err_has(&err, "authentication failed"), "unseal with wrong KEK fails");
	ok(t, mcc_key_unseal(sealed, slen, kek, aad2, sizeof(aad2) - 1, &err) == NULL &&
	   err_has(&err, "authentication failed"), "unseal with wrong AAD fails");
	ok(t, mcc_key_unseal(sealed, slen, kek, NULL, 0, &err) == NULL,
	   "unseal without AAD fails");
	sealed[20] ^= 1;
	ok(t, mcc_key_unseal(sealed, slen, kek, aad, sizeof(aad) - 1, &err) == NULL &&
	   err_has(&err, "authentication failed"), "unseal of tampered ciphertext fails");
	sealed[20] ^= 1;
	sealed[slen - 1] ^= 1;
	ok(t, mcc_key_unseal(sealed, slen, kek, aad, sizeof(aad) - 1, &err) == NULL,
	   "unseal with tampered tag fails");
	sealed[slen - 1] ^= 1;
	sealed[5] ^= 1;
	ok(t, mcc_key_unseal(sealed, slen, kek, aad, sizeof(aad) - 1, &err) == NULL,
	   "unseal with tampered nonce fails");
	sealed[5] ^= 1;
	sealed[0] = 2;
	ok(t, mcc_key_unseal(sealed, slen, kek, aad, sizeof(aad) - 1, &err) == NULL &&
	   err_has(&err, "version 2"), "unseal of unknown version fails");
	sealed[0] = MCC_SEAL_VERSION;
	ok(t, mcc_key_unseal(sealed, MCC_SEAL_OVERHEAD, kek, aad, sizeof(aad) - 1, &err) == NULL &&
	   err_has(&err, "too short"), "unseal of truncated blob fails");
	k = mcc_key_unseal(sealed, slen, kek, aad, sizeof(aad) - 1, &err);
	ok(t, k != NULL, "untampered blob still unseals");
	mcc_key_free(k);

	k = mcc_key_public_copy(ed, &err);
	ok(t, k && mcc_key_seal(t->arena, k, kek, aad, 3, &slen, &err) == NULL &&
	   err_has(&err, "private"), "sealing a public key refused");
	mcc_key_free(k);
}

/* Write a file with a mode (test helper) */
static bool
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	FILE	   *f;
	bool		res;

	unlink(path);
	f = fopen(path, "wb");
	if (f == NULL)
		return false;
	res = fwrite(data, 1, len, f) == len;
	fclose(f);
	return res && chmod(path, mode) == 0;
}

/* KEK parsing and files */
static void
test_kek(tstate *t)
{
	mcj_error	err;
	unsigned char kek[MCC_KEK_LEN],
				kek2[MCC_KEK_LEN];
	char		hex[MCC_KEK_LEN * 2 + 2];
	char		dir[] = "/tmp/mcc_test_XXXXXX";
	char		path[256];
	unsigned char raw[32];
	char		spaced[80];

	ok(t, mcc_kek_generate_hex(hex, &err) && strlen(hex) == 65 && hex[64] == '\n',
	   "KEK hex generator gives 64 hex digits and a newline");
	ok(t, mcc_kek_parse((unsigned char *) hex, strlen(hex), kek, &err),
	   "generated KEK content parses");
	snprintf(spaced, sizeof(spaced), "  \t%.64s \r\n\n", hex);
	ok(t, mcc_kek_parse((unsigned char *) spaced, strlen(spaced), kek2, &err) &&
	   memcmp(kek, kek2, 32) == 0, "KEK hex with surrounding whitespace parses");
	ok(t, !mcc_kek_parse((unsigned char *) hex, 63, kek, &err) &&
	   err_has(&err, "64 hex digits"), "63 hex digits refused");
	memcpy(spaced, hex, 64);
	spaced[10] = 'g';
	ok(t, !mcc_kek_parse((unsigned char *) spaced, 64, kek, &err), "non-hex KEK refused");
	RAND_bytes(raw, 32);
	raw[0] = 0x01;			/* not text, not all zero */
	ok(t, mcc_kek_parse(raw, 32, kek, &err) && memcmp(raw, kek, 32) == 0,
	   "32 raw bytes accepted");
	ok(t, !mcc_kek_parse(raw, 31, kek, &err) && !mcc_kek_parse(raw, 16, kek, &err),
	   "31 or 16 raw bytes refused");
	ok(t, !mcc_kek_parse((unsigned char *) hex, 32, kek, &err) && err_has(&err, "text"),
	   "32 hex digits (a 128-bit key) refused, not taken as raw bytes");
	memset(raw, 0, 32);
	ok(t, !mcc_kek_parse(raw, 32, kek, &err) && err_has(&err, "all zero"),
	   "all-zero KEK refused");

	if (mkdtemp(dir) == NULL)
	{
		ok(t, false, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/kek", dir);
	ok(t, mcc_kek_write_new_file(path, &err) && mcc_kek_read_file(path, kek, &err),
	   "new KEK file (mode 0600) is written and read back");
	ok(t, !mcc_kek_write_new_file(path, &err) && err_has(&err, "cannot create"),
	   "an existing KEK file is not overwritten");
	chmod(path, 0640);
	ok(t, !mcc_kek_read_file(path, kek, &err) && err_has(&err, "chmod 600"),
	   "group-readable KEK file refused with a chmod 600 hint");
	chmod(path, 0602);
	ok(t, !mcc_kek_read_file(path, kek, &err) && err_has(&err, "chmod 600"),
	   "world-writable KEK file refused");
	chmod(path, 0400);
	ok(t, mcc_kek_read_file(path, kek, &err), "mode 0400 KEK file accepted");
	unlink(path);

	RAND_bytes(raw, 32);
	raw[0] = 0x01;			/* not text, not all zero */
	write_file(path, raw, 32, 0600);
	ok(t, mcc_kek_read_file(path, kek, &err) && memcmp(kek, raw, 32) == 0,
	   "raw 32-byte KEK file accepted");
	write_file(path, "0123", 4, 0600);
	ok(t, !mcc_kek_read_file(path, kek, &err) && err_has(&err, "64 hex digits"),
	   "short KEK file refused");
	unlink(path);
	ok(t, !mcc_kek_read_file(path, kek, &err) && err_has(&err, "cannot open"),
	   "missing KEK file reported");
	ok(t, !mcc_kek_read_file(dir, kek, &err), "a directory is not a KEK file");
	rmdir(dir);
}

/* JWK export/import, thumbprints */
static void
test_jwk(tstate *t, mcc_key *ed, mcc_key *ec, mcc_key *rsa)
{
	mcj_error	err;
	mcc_key    *keys[3] = {ed, ec, rsa};
	const char *kty[3] = {"OKP", "EC", "RSA"};
	int			i;
	mcj_value  *v;
	mcc_key    *k;
	char	   *tp;
	static const char rfc7638[] =
	"{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4"
	"cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4"
	"Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7"
	"d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3X"
	"PksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\","
	"\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}";
	static const char rfc8037[] =
	"{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	"\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";

	for (i = 0; i < 3; i++)
	{
		mcj_value  *jwk = mcc_key_jwk(t->arena, keys[i], &err);

		k = jwk ? mcc_key_from_jwk(jwk, &err) : NULL;
		ok(t, jwk && mcj_is_string(mcj_object_get(jwk, "kty"), kty[i]) &&
		   mcj_object_get(jwk, "d") == NULL && k && mcc_key_public_equal(k, keys[i]) &&
		   !mcc_key_has_private(k), "%s JWK export/import round trip", kty[i]);
		tp = jwk ? mcc_jwk_thumbprint_b64(t->arena, jwk, &err) : NULL;
		ok(t, tp && strlen(tp) == 43, "%s JWK thumbprint (%s)", kty[i], tp ? tp : "?");
		mcc_key_free(k);
	}

	v = json(t, rfc7638);
	tp = v ? mcc_jwk_thumbprint_b64(t->arena, v, &err) : NULL;
	ok(t, tp && strcmp(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs") == 0,
	   "RFC 7638 section 3.1 thumbprint");
	k = v ? mcc_key_from_jwk(v, &err) : NULL;
	ok(t, k && mcc_key_type(k) == MCC_KEY_RSA && mcc_key_bits(k) == 2048,
	   "RFC 7517 A.1 RSA key imports");
	if (k)
	{
		mcj_value  *back = mcc_key_jwk(t->arena, k, &err);

		ok(t, back && mcj_equal(mcj_object_get(back, "n"), mcj_object_get(v, "n")) &&
		   mcj_equal(mcj_object_get(back, "e"), mcj_object_get(v, "e")),
		   "RSA n and e export unchanged");
	}
	mcc_key_free(k);

	v = json(t, rfc8037);
	tp = v ? mcc_jwk_thumbprint_b64(t->arena, v, &err) : NULL;
	ok(t, tp && strcmp(tp, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k") == 0,
	   "RFC 8037 A.3 Ed25519 thumbprint");

	/* strict import */
	v = json(t, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\","
			 "\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\"}");
	ok(t, v && mcc_key_from_jwk(v, &err) == NULL && err_has(&err, "private key member \"d\""),
	   "JWK with private member d refused");
	v = json(t, "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}");
	ok(t, v && mcc_key_from_jwk(v, &err) == NULL && err_has(&err, "OKP curve"),
	   "X25519 JWK refused");
	v = json(t, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR\"}");
	ok(t, v && mcc_key_from_jwk(v, &err) == NULL, "Ed25519 JWK with 31-byte x refused");
	v = json(t, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"}");
	ok(t, v && mcc_key_from_jwk(v, &err) == NULL && err_has(&err, "padding"),
	   "JWK with padded base64url refused");
	v = json(t, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\","
			 "\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\"}");
	k = v ? mcc_key_from_jwk(v, &err) : NULL;
	ok(t, k && mcc_key_type(k) == MCC_KEY_P256, "RFC 7517 A.1 EC key imports");
	mcc_key_free(k);
	v = json(t, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\","
			 "\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\",\"use\":\"enc\"}");
	ok(t, v && mcc_key_from_jwk(v, &err) == NULL && err_has(&err, "use"),
	   "EC JWK with use enc refused");
	v = json(t, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\","
			 "\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyQ\"}");
	ok(t, v && mcc_key_from_jwk(v, &err) == NULL && err_has(&err, "curve point"),
	   "EC JWK point not on curve refused");
	v = json(t, "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\","
			 "\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\"}");
	ok(t, v && mcc_key_from_jwk(v, &err) == NULL && err_has(&err, "P-256"),
	   "P-384 JWK refused");
	v = json(t, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AMKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\","
			 "\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\"}");
	ok(t, v && mcc_key_from_jwk(v, &err) == NULL, "EC JWK with 33-byte x refused");
	v = json(t, "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W\","
			 "\"e\":\"AQAB\"}");
	ok(t, v && mcc_key_from_jwk(v, &err) == NULL && err_has(&err, "bits"),
	   "short RSA modulus refused");
	v = json(t, rfc7638);
	if (v)
		mcj_object_set(t->arena, v, "e", mcj_cstring(t->arena, "AAEAAQ"));
	ok(t, v && mcc_key_from_jwk(v, &err) == NULL && err_has(&err, "minimal"),
	   "RSA e with a leading zero refused");
	v = json(t, rfc7638);
	if (v)
		mcj_object_set(t->arena, v, "e", mcj_cstring(t->arena, "Ag"));
	ok(t, v && mcc_key_from_jwk(v, &err) == NULL && err_has(&err, "odd"),
	   "RSA even exponent refused");
	v = json(t, "{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}");
	ok(t, v && mcc_key_from_jwk(v, &err) == NULL, "symmetric JWK refused");
	v = json(t, "[1]");
	ok(t, v && mcc_key_from_jwk(v, &err) == NULL && err_has(&err, "not a JSON object"),
	   "non-object JWK refused");
}

/* Build a compact JWS from a header text, payload text and raw signature */
static char *
make_token(tstate *t, const char *header, const char *payload,
		   const unsigned char *sig, size_t siglen)
{
	mcj_buf		b;

	mcj_buf_init(&b, t->arena, 256);
	mcj_buf_appends(&b, mb_base64url_encode_a(t->arena, (const unsigned char *) header,
											  strlen(header)));
	mcj_buf_appendc(&b, '.');
	mcj_buf_appends(&b, mb_base64url_encode_a(t->arena, (const unsigned char *) payload,
											  strlen(payload)));
	mcj_buf_appendc(&b, '.');
	mcj_buf_appends(&b, mb_base64url_encode_a(t->arena, sig, siglen));
	return b.data;
}

/* Sign header.payload with key and alg into a compact JWS (any header) */
static char *
sign_raw(tstate *t, mcc_key *key, mcc_alg alg, const char *header, const char *payload)
{
	char	   *tok = make_token(t, header, payload, (const unsigned char *) "", 0);
	unsigned char sig[MCC_SIG_MAX_LEN];
	size_t		siglen;
	mcj_error	err;
	mcj_buf		b;

	/* tok ends with "." (empty signature) */
	if (!mcc_sign(key, alg, (unsigned char *) tok, strlen(tok) - 1, sig, sizeof(sig),
				  &siglen, &err))
		return NULL;
	mcj_buf_init(&b, t->arena, 256);
	mcj_buf_appends(&b, tok);
	mcj_buf_appends(&b, mb_base64url_encode_a(t->arena, sig, siglen));
	return b.data;
}

/* Compact JWS */
static void
test_jws(tstate *t, mcc_key *ed, mcc_key *ec, mcc_key *rsa)
{
	mcj_error	err;
	jws_parts	p;
	mcc_alg		all[] = {MCC_ALG_EDDSA, MCC_ALG_ES256, MCC_ALG_RS256, MCC_ALG_PS256};
	mcc_alg		only_ed[] = {MCC_ALG_EDDSA};
	mcc_key    *keys[3] = {ed, ec, rsa};
	const char *algname[3] = {"EdDSA", "ES256", "RS256"};
	const char *payload = "{\"iss\":\"https://issuer.example\",\"sub\":\"alice\"}";
	char	   *tok = NULL;
	char	   *edtok;
	int			i;
	mcc_key    *edpub = mcc_key_public_copy(ed, &err);

	for (i = 0; i < 3; i++)
	{
		mcj_value  *h = mcj_object(t->arena);
		mcc_key    *pub = mcc_key_public_copy(keys[i], &err);

		mcj_object_add(t->arena, h, "alg", 3, mcj_cstring(t->arena, algname[i]));
		mcj_object_add(t->arena, h, "typ", 3, mcj_cstring(t->arena, "JWT"));
		mcj_object_add(t->arena, h, "kid", 3, mcj_cstring(t->arena, "key-1"));
		tok = jws_sign(t->arena, keys[i], h, (const unsigned char *) payload,
					   strlen(payload), &err);
		ok(t, tok && jws_verify(t->arena, tok, strlen(tok), pub, all, 4, true, &p, &err) &&
		   p.alg == mcc_key_default_alg(keys[i]) && p.kid && strcmp(p.kid, "key-1") == 0 &&
		   p.typ && strcmp(p.typ, "JWT") == 0 && p.payload_len == strlen(payload) &&
		   memcmp(p.payload, payload, p.payload_len) == 0 && p.payload_json &&
		   mcj_is_string(mcj_object_get(p.payload_json, "sub"), "alice"),
		   "%s JWS sign and verify, header and payload returned", algname[i]);
		if (tok)
		{
			/* flip one payload character: 'e' -> 'f' keeps it valid base64url */
			char	   *t2 = mcj_strndup(t->arena, tok, strlen(tok));
			char	   *dot = strchr(t2, '.');

			dot[3] = (dot[3] == 'A') ? 'B' : 'A';
			ok(t, !jws_verify(t->arena, t2, strlen(t2), pub, all, 4, false, &p, &err),
			   "%s JWS with tampered payload fails (%s)", algname[i], err.message);
		}
		mcc_key_free(pub);
	}
	{
		mcj_value  *h = json(t, "{\"alg\":\"ES256\"}");

		ok(t, jws_sign(t->arena, ed, h, (const unsigned char *) "x", 1, &err) == NULL &&
		   err_has(&err, "cannot be used"), "jws_sign refuses alg not matching the key");
		h = json(t, "{\"typ\":\"JWT\"}");
		ok(t, jws_sign(t->arena, ed, h, (const unsigned char *) "x", 1, &err) == NULL &&
		   err_has(&err, "no alg"), "jws_sign requires alg");
	}

	/* RS256 token (last tok) against an Ed25519 key and a pinned list */
	ok(t, tok && !jws_verify(t->arena, tok, strlen(tok), edpub, all, 4, false, &p, &err) &&
	   err_has(&err, "does not match the key"), "RS256 JWS refused for an Ed25519 key");
	ok(t, tok && !jws_verify(t->arena, tok, strlen(tok), rsa, only_ed, 1, false, &p, &err) &&
	   err_has(&err, "not among the allowed"), "RS256 JWS refused when only EdDSA is allowed");

	edtok = sign_raw(t, ed, MCC_ALG_EDDSA, "{\"alg\":\"EdDSA\"}", payload);
	ok(t, edtok && jws_verify(t->arena, edtok, strlen(edtok), edpub, only_ed, 1, false, &p, &err),
	   "raw-built EdDSA token verifies");

	/* alg none */
	tok = make_token(t, "{\"alg\":\"none\"}", payload, (const unsigned char *) "", 0);
	ok(t, !jws_verify(t->arena, tok, strlen(tok), edpub, all, 4, false, &p, &err) &&
	   err_has(&err, "jwt signature is empty"), "unsecured token with empty signature refused");
	tok = make_token(t, "{\"alg\":\"none\"}", payload, (const unsigned char *) "x", 1);
	ok(t, !jws_verify(t->arena, tok, strlen(tok), edpub, all, 4, false, &p, &err) &&
	   err_has(&err, "jwt header alg \"none\" is not allowed"), "alg none refused");
	tok = make_token(t, "{\"alg\":\"NoNe\"}", payload, (const unsigned char *) "x", 1);
	ok(t, !jws_parse(t->arena, tok, strlen(tok), false, &p, &err) &&
	   err_has(&err, "is not allowed"), "alg NoNe refused");

	/* HS256 with the public key as HMAC secret */
	{
		char	   *pem = mcc_key_spki_pem(t->arena, edpub, &err);
		unsigned char mac[32];
		size_t		maclen = 0;
		char	   *unsigned_tok = make_token(t, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload,
											  (const unsigned char *) "", 0);

		EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, pem, strlen(pem),
				  (unsigned char *) unsigned_tok, strlen(unsigned_tok) - 1,
				  mac, sizeof(mac), &maclen);
		tok = make_token(t, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, mac, maclen);
		ok(t, !jws_verify(t->arena, tok, strlen(tok), edpub, all, 4, false, &p, &err) &&
		   err_has(&err, "jwt header alg \"HS256\" (HMAC) is not allowed"),
		   "HS256 with the public key as secret refused before any HMAC");
	}
	tok = make_token(t, "{\"alg\":\"HS512\"}", payload, (const unsigned char *) "x", 1);
	ok(t, !jws_parse(t->arena, tok, strlen(tok), false, &p, &err) && err_has(&err, "HMAC"),
	   "HS512 refused");
	tok = make_token(t, "{\"alg\":\"ES384\"}", payload, (const unsigned char *) "x", 1);
	ok(t, !jws_parse(t->arena, tok, strlen(tok), false, &p, &err) &&
	   err_has(&err, "\"ES384\" is not supported"), "unsupported alg ES384 refused");
	tok = make_token(t, "{\"typ\":\"JWT\"}", payload, (const unsigned char *) "x", 1);
	ok(t, !jws_parse(t->arena, tok, strlen(tok), false, &p, &err) && err_has(&err, "no alg"),
	   "header without alg refused");
	tok = make_token(t, "{\"alg\":256}", payload, (const unsigned char *) "x", 1);
	ok(t, !jws_parse(t->arena, tok, strlen(tok), false, &p, &err) &&
	   err_has(&err, "not a string"), "non-string alg refused");

	/* structure */
	ok(t, !jws_parse(t->arena, "eyJhbGciOiJFZERTQSJ9.e30", 24, false, &p, &err) &&
	   err_has(&err, "jwt has 2 parts, expected 3"), "2-part token refused");
	ok(t, !jws_parse(t->arena, "a.b.c.d.e", 9, false, &p, &err) &&
	   err_has(&err, "jwt has 5 parts, expected 3"), "5-part (JWE) token refused");
	ok(t, !jws_parse(t->arena, "", 0, false, &p, &err) &&
	   err_has(&err, "jwt has 1 part, expected 3"), "empty token refused");
	tok = mcj_strndup(t->arena, edtok, strlen(edtok));
	strchr(tok, '.')[1] = '*';
	ok(t, !jws_parse(t->arena, tok, strlen(tok), false, &p, &err) &&
	   err_has(&err, "jwt payload is not valid base64url"), "bad base64url payload refused");
	{
		mcj_buf		b;

		mcj_buf_init(&b, t->arena, 256);
		mcj_buf_appends(&b, edtok);
		mcj_buf_appends(&b, "==");
		ok(t, !jws_parse(t->arena, b.data, b.len, false, &p, &err) &&
		   err_has(&err, "jwt signature is not valid base64url"), "padded signature refused");
	}
	tok = make_token(t, "{\"alg\":\"EdDSA\",\"alg\":\"EdDSA\"}", payload,
					 (const unsigned char *) "x", 1);
	ok(t, !jws_parse(t->arena, tok, strlen(tok), false, &p, &err) &&
	   err_has(&err, "jwt header is not valid JSON"), "duplicate header member refused (%s)",
	   err.message);
	tok = make_token(t, "[\"alg\"]", payload, (const unsigned char *) "x", 1);
	ok(t, !jws_parse(t->arena, tok, strlen(tok), false, &p, &err) &&
	   err_has(&err, "not a JSON object"), "array header refused");
	tok = make_token(t, "{\"alg\":\"EdDSA\",\"crit\":[\"exp\"],\"exp\":1}", payload,
					 (const unsigned char *) "x", 1);
	ok(t, !jws_parse(t->arena, tok, strlen(tok), false, &p, &err) &&
	   err_has(&err, "not understood"), "unknown crit refused");
	tok = make_token(t, "{\"alg\":\"EdDSA\",\"crit\":[\"alg\"]}", payload,
					 (const unsigned char *) "x", 1);
	ok(t, !jws_parse(t->arena, tok, strlen(tok), false, &p, &err) &&
	   err_has(&err, "registered"), "crit listing alg refused");
	tok = make_token(t, "{\"alg\":\"EdDSA\",\"b64\":false,\"crit\":[\"b64\"]}", payload,
					 (const unsigned char *) "x", 1);
	ok(t, !jws_parse(t->arena, tok, strlen(tok), false, &p, &err) &&
	   err_has(&err, "b64 false"), "b64 false refused");
	tok = sign_raw(t, ed, MCC_ALG_EDDSA, "{\"alg\":\"EdDSA\",\"b64\":true,\"crit\":[\"b64\"]}",
				   payload);
	ok(t, tok && jws_verify(t->arena, tok, strlen(tok), edpub, only_ed, 1, false, &p, &err),
	   "b64 true with crit [b64] accepted");
	tok = sign_raw(t, ed, MCC_ALG_EDDSA, "{\"alg\":\"EdDSA\",\"crit\":[]}", payload);
	ok(t, tok && jws_verify(t->arena, tok, strlen(tok), edpub, only_ed, 1, false, &p, &err),
	   "empty crit accepted");
	tok = sign_raw(t, ed, MCC_ALG_EDDSA, "{\"alg\":\"EdDSA\"}", "[1,2]");
	ok(t, tok && !jws_verify(t->arena, tok, strlen(tok), edpub, only_ed, 1, true, &p, &err) &&
	   err_has(&err, "payload is not a JSON object") &&
	   jws_verify(t->arena, tok, strlen(tok), edpub, only_ed, 1, false, &p, &err),
	   "JSON payload required only when asked");
	tok = sign_raw(t, ed, MCC_ALG_EDDSA, "{\"alg\":\"EdDSA\"}", "{\"a\":1,\"a\":2}");
	ok(t, tok && !jws_verify(t->arena, tok, strlen(tok), edpub, only_ed, 1, true, &p, &err),
	   "payload with duplicate claims refused");
	tok = sign_raw(t, ec, MCC_ALG_ES256, "{\"alg\":\"ES256\"}", payload);
	{
		/* re-sign the same input as DER: verifier must refuse non-64-byte ES256 */
		char	   *dot = tok ? strrchr(tok, '.') : NULL;
		mcj_buf		b;
		unsigned char der[72];

		memset(der, 0x30, sizeof(der));
		mcj_buf_init(&b, t->arena, 256);
		if (dot)
			mcj_buf_append(&b, tok, (size_t) (dot - tok) + 1);
		mcj_buf_appends(&b, mb_base64url_encode_a(t->arena, der, 71));
		ok(t, dot && !jws_verify(t->arena, b.data, b.len, ec, all, 4, false, &p, &err) &&
		   err_has(&err, "64 bytes"), "ES256 JWS with DER-size signature refused");
	}

	/* RFC 8037 A.4 */
	{
		const char *rfc =
			"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
			"hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
		mcj_value  *jwk = json(t, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
							   "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}");
		mcc_key    *k = jwk ? mcc_key_from_jwk(jwk, &err) : NULL;
		size_t		dlen;
		unsigned char *d = mb_base64url_decode_a(t->arena, "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
												 43, &dlen, &err);
		mcc_key    *sk = d ? mcc_key_from_ed25519_seed(d, dlen, &err) : NULL;
		mcj_value  *h = json(t, "{\"alg\":\"EdDSA\"}");
		char	   *mine = sk ? jws_sign(t->arena, sk, h, (const unsigned char *) "Example of Ed25519 signing",
										 26, &err) : NULL;

		ok(t, k && jws_verify(t->arena, rfc, strlen(rfc), k, only_ed, 1, false, &p, &err) &&
		   p.payload_len == 26 && memcmp(p.payload, "Example of Ed25519 signing", 26) == 0,
		   "RFC 8037 A.4 JWS verifies");
		ok(t, mine && strcmp(mine, rfc) == 0, "RFC 8037 A.4 JWS reproduced by jws_sign");
		mcc_key_free(k);
		mcc_key_free(sk);
	}
	mcc_key_free(edpub);
}

/* Informational timing: cached mcc_sign vs a bare OpenSSL loop */
static void
bench_ed25519(tstate *t, mcc_key *ed)
{
	const int	iters = 2000;
	unsigned char msg[64] = {1};
	unsigned char sig[64];
	size_t		siglen;
	mcj_error	err;
	struct timespec a,
				b;
	double		ours,
				raw;
	int			i;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool		good = true;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < iters; i++)
		good &= mcc_sign(ed, MCC_ALG_EDDSA, msg, sizeof(msg), sig, 64, &siglen, &err);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ours = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / iters / 1000.0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < iters; i++)
	{
		siglen = 64;
		EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, mcc_key_pkey(ed), NULL);
		EVP_DigestSign(ctx, sig, &siglen, msg, sizeof(msg));
		EVP_MD_CTX_reset(ctx);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	raw = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / iters / 1000.0;
	EVP_MD_CTX_free(ctx);
	diag("Ed25519 sign: mcc_sign %.1f us/op, bare EVP %.1f us/op", ours, raw);
	ok(t, good, "Ed25519 signing loop succeeded");
}

int
main(int argc, char **argv)
{
	tstate		t;
	mcj_error	err;
	mcc_key    *ed,
			   *ec,
			   *rsa;

	memset(&t, 0, sizeof(t));
	t.datadir = argc > 1 ? argv[1] : "tests/data";
	t.arena = mcj_arena_create(NULL);

	test_base58(&t);
	test_base64_hex(&t);
	test_multikey(&t);

	ed = mcc_key_generate(MCC_KEY_ED25519, &err);
	ec = mcc_key_generate(MCC_KEY_P256, &err);
	rsa = mcc_key_generate(MCC_KEY_RSA, &err);
	test_keys_and_signatures(&t, ed, ec, rsa);
	if (ed && ec && rsa)
	{
		test_seal(&t, ed, ec, rsa);
		test_jwk(&t, ed, ec, rsa);
		test_jws(&t, ed, ec, rsa);
		bench_ed25519(&t, ed);
	}
	test_kek(&t);

	mcc_key_free(ed);
	mcc_key_free(ec);
	mcc_key_free(rsa);
	mcj_arena_destroy(t.arena);

	printf("1..%d\n", tap_n);
	if (tap_failed)
		diag("%d of %d tests failed", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}
