/*-------------------------------------------------------------------------
 *
 * test_holder_proof.c
 *	  Unit tests for the OpenID4VCI key proof core
 *	  (pg_extension/holder_proof.c): proofs by Ed25519 and P-256 keys named
 *	  by did:key, did:jwk and jwk verify and give the holder DID and the
 *	  claims; refused are alg none, HS256, a wrong typ, a key that is not
 *	  the DID's, kid and jwk together, x5c, an unknown DID method, a
 *	  missing aud or iat, a malformed or oversized token.
 *
 * Output is TAP; the exit status is non-zero when any test fails.
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "holder_proof.h"
#include "jws.h"
#include "mccrypto.h"
#include "mcjson.h"
#include "multibase.h"

/* ok(): the one TAP helper of the C tests (tests/lib/tap.h) */
#include "../lib/tap.h"

#define ok(...) tap_ok(__VA_ARGS__)

/* a compact JWS of header and claims (JSON texts), signed by key (or with a fake signature) */
static char *
make(mcj_arena *arena, mcc_key *key, const char *header, const char *claims)
{
	mcj_error	err;
	mcj_parse_options o = {0};
	mcj_value  *h = mcj_parse(arena, header, strlen(header), &o, &err);
	char	   *t;

	if (h == NULL)
		return NULL;
	if (key != NULL)
		return jws_sign(arena, key, h, (const unsigned char *) claims, strlen(claims), &err);
	t = mcj_alloc(arena, 4096);
	snprintf(t, 4096, "%s.%s.",
			 mb_base64url_encode_a(arena, (const unsigned char *) header, strlen(header)),
			 mb_base64url_encode_a(arena, (const unsigned char *) claims, strlen(claims)));
	return t;
}

static bool
verifies(mcj_arena *arena, const char *jwt, hp_result *r)
{
	mcj_error	err;

	memset(&err, 0, sizeof(err));
	return jwt != NULL && hp_verify(arena, jwt, strlen(jwt), r, &err);
}

int
main(void)
{
	mcj_arena  *arena = mcj_arena_create(NULL);
	mcj_error	err;
	mcc_key    *ed = mcc_key_generate(MCC_KEY_ED25519, &err);
	mcc_key    *ec = mcc_key_generate(MCC_KEY_P256, &err);
	mcc_key    *other = mcc_key_generate(MCC_KEY_ED25519, &err);
	const char *did = mcc_key_did_key(arena, ed, &err);
	const char *vm = mcc_key_did_key_vm(arena, ed, &err);
	char		jwk[512],
				header[2048],
				didjwk[1024];
	const char *claims = "{\"aud\":\"https://b.example/wallet/x\",\"iat\":1700000000,\"nonce\":\"n1\"}";
	hp_result	r;
	mcj_buf		buf;
	char	   *big;

	/* did:key, EdDSA */
	snprintf(header, sizeof(header), "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"EdDSA\",\"kid\":\"%s\"}", vm);
	ok(verifies(arena, make(arena, ed, header, claims), &r) && strcmp(r.holder_did, did) == 0 &&
	   strcmp(r.nonce, "n1") == 0 && r.n_aud == 1 && strcmp(r.alg, "EdDSA") == 0 && r.iat == 1700000000,
	   "an EdDSA proof with a did:key kid verifies: holder DID, nonce, aud, iat");
	ok(!verifies(arena, make(arena, other, header, claims), &r), "signed by a key that is not the did:key's: refused");
	ok(!verifies(arena, make(arena, NULL, "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"none\"}", claims), &r),
	   "alg none: refused");
	snprintf(header, sizeof(header), "{\"typ\":\"JWT\",\"alg\":\"EdDSA\",\"kid\":\"%s\"}", vm);
	ok(!verifies(arena, make(arena, ed, header, claims), &r), "typ JWT: refused");
	snprintf(header, sizeof(header), "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"EdDSA\",\"kid\":\"%s#x\"}", did);
	ok(!verifies(arena, make(arena, ed, header, claims), &r), "a did:key fragment that is not the key: refused");
	snprintf(header, sizeof(header), "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"EdDSA\",\"kid\":\"did:web:a.example#k\"}");
	ok(!verifies(arena, make(arena, ed, header, claims), &r), "a did:web kid: refused (not resolved)");

	/* jwk header and did:jwk, P-256 */
	mcj_buf_init(&buf, arena, 256);
	mcj_write(&buf, mcc_key_jwk(arena, ec, &err));
	snprintf(jwk, sizeof(jwk), "%.*s", (int) buf.len, buf.data);
	snprintf(header, sizeof(header), "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"jwk\":%s}", jwk);
	ok(verifies(arena, make(arena, ec, header, claims), &r) &&
	   strcmp(r.holder_did, mcc_key_did_key(arena, ec, &err)) == 0 && strcmp(r.alg, "ES256") == 0,
	   "an ES256 proof with a jwk header verifies and binds to the key's did:key");
	snprintf(header, sizeof(header), "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"jwk\":%s,\"kid\":\"%s\"}", jwk, vm);
	ok(!verifies(arena, make(arena, ec, header, claims), &r), "kid and jwk together: refused");
	snprintf(header, sizeof(header), "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"x5c\":[\"AA\"]}");
	ok(!verifies(arena, make(arena, ec, header, claims), &r), "x5c: refused");
	snprintf(didjwk, sizeof(didjwk), "did:jwk:%s", mb_base64url_encode_a(arena, (const unsigned char *) jwk, strlen(jwk)));
	snprintf(header, sizeof(header), "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"kid\":\"%s#0\"}", didjwk);
	ok(verifies(arena, make(arena, ec, header, claims), &r) && strcmp(r.holder_did, didjwk) == 0,
	   "an ES256 proof with a did:jwk kid verifies; the holder is the did:jwk");
	snprintf(header, sizeof(header), "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"kid\":\"%s#1\"}", didjwk);
	ok(!verifies(arena, make(arena, ec, header, claims), &r), "a did:jwk fragment other than #0: refused");
	snprintf(header, sizeof(header), "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"EdDSA\",\"kid\":\"%s#0\"}", didjwk);
	ok(!verifies(arena, make(arena, ed, header, claims), &r), "an EdDSA signature under a P-256 did:jwk: refused");

	/* claims and sizes */
	snprintf(header, sizeof(header), "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"EdDSA\",\"kid\":\"%s\"}", vm);
	ok(!verifies(arena, make(arena, ed, header, "{\"iat\":1,\"nonce\":\"n\"}"), &r), "no aud: refused");
	ok(!verifies(arena, make(arena, ed, header, "{\"aud\":\"a\",\"nonce\":\"n\"}"), &r), "no iat: refused");
	ok(verifies(arena, make(arena, ed, header, "{\"aud\":[\"a\",\"b\"],\"iat\":1}"), &r) && r.n_aud == 2 && r.nonce == NULL,
	   "aud as an array, no nonce: verifies (the caller requires the nonce)");
	ok(!verifies(arena, "a.b.c", &r) && !verifies(arena, "", &r) && !verifies(arena, "....", &r), "malformed tokens: refused");
	big = mcj_alloc(arena, HP_MAX_JWT_BYTES + 200);
	memset(big, 'A', HP_MAX_JWT_BYTES + 100);
	big[HP_MAX_JWT_BYTES + 100] = '\0';
	big[10] = '.';
	big[20] = '.';
	ok(!verifies(arena, big, &r), "a token over 8 KiB: refused");

	mcc_key_free(ed);
	mcc_key_free(ec);
	mcc_key_free(other);
	mcj_arena_destroy(arena);
	printf("1..%d\n", tap_n);
	return tap_failed == 0 ? 0 : 1;
}
