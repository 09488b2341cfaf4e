/*-------------------------------------------------------------------------
 *
 * mock_platform.h
 *	  A mock LTI 1.3 platform (an LMS) for tests that drive the bridge
 *	  through whole launches: libmicrohttpd on 127.0.0.1, an ephemeral
 *	  port, one thread per connection.  Its issuer is its base URL
 *	  (http://127.0.0.1:PORT).
 *
 *	  GET  /jwks        its public keys: two RSA keys (published by mask,
 *	                    for rotation) and one P-256 key, always published
 *	  GET  /jwks-broken answers 500 (a platform whose JWKS is down)
 *	  GET  /auth        the OIDC authorization endpoint (LTI 1.3 login
 *	                    step 2): checks the request, answers an
 *	                    auto-submitting form_post of id_token and state to
 *	                    redirect_uri; 400 with the reason otherwise
 *	  POST /token       OAuth 2 client credentials with an RFC 7523 client
 *	                    assertion verified against the tool's JWKS
 *	  GET  /.well-known/openid-configuration            LTI Dynamic
 *	  GET  /bad-issuer/.well-known/openid-configuration Registration:
 *	  POST /register    the platform side, recording what it received
 *	  POST /dl-return   the deep linking return URL: verifies the
 *	                    LtiDeepLinkingResponse against the tool's JWKS
 *
 *	  Everything it received is kept for the test to assert on.  All
 *	  getters return copies (free / json_decref them).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_MOCK_PLATFORM_H
#define MC_MOCK_PLATFORM_H

#include <jansson.h>
#include <openssl/evp.h>

#define MOCK_RSA_KEYS 2			/* keys 0 and 1: RSA 2048, RS256 */
#define MOCK_EC_KEY 2			/* key 2: P-256, always in /jwks */

typedef struct mock_platform mock_platform;

/* start on 127.0.0.1:0 with one registered client; NULL on failure */
extern mock_platform *mock_platform_start(const char *client_id);
extern void mock_platform_stop(mock_platform *m);

/* http://127.0.0.1:PORT, also the platform's issuer */
extern const char *mock_base(const mock_platform *m);

/* the keys: kid and key pair of key i (0, 1: RSA; MOCK_EC_KEY: P-256) */
extern const char *mock_kid(const mock_platform *m, int i);
extern EVP_PKEY *mock_key(const mock_platform *m, int i);

/* which RSA keys /jwks publishes (bit i: key i) and which /auth signs with */
extern void mock_publish(mock_platform *m, unsigned int mask);
extern void mock_set_signing_key(mock_platform *m, int i);
extern int	mock_jwks_hits(mock_platform *m);

/* client ids and redirect URIs /auth accepts (registration adds its own) */
extern void mock_add_client(mock_platform *m, const char *client_id);
extern void mock_add_redirect_uri(mock_platform *m, const char *uri);

/*
 * The claims /auth puts in the id_token (a copy is kept); it adds iss, aud
 * (the request's client_id), iat, exp, nonce, and sub = login_hint when
 * the template has no sub.
 */
extern void mock_set_launch_claims(mock_platform *m, json_t *claims);

/* the parameters of the last /auth request, or NULL (malloc'd) */
extern char *mock_last_auth_param(mock_platform *m, const char *name);
extern int	mock_auth_hits(mock_platform *m);

/* claims signed RS256 with key i, header {"alg","typ","kid"}; malloc'd */
extern char *mock_sign(const mock_platform *m, int key, json_t *claims);

/* where /token and /dl-return fetch the tool's JWKS */
extern void mock_set_tool_jwks_url(mock_platform *m, const char *url);

/* /token: accepted assertions, and the last refusal's error_description */
extern int	mock_tokens_issued(mock_platform *m);
extern char *mock_last_token_error(mock_platform *m);

/* /register: the expected bearer token and what a registration is given */
extern void mock_set_registration(mock_platform *m, const char *bearer, const char *client_id,
								  const char *deployment_id);
extern int	mock_registrations(mock_platform *m);	/* POSTs received */
extern json_t *mock_last_registration(mock_platform *m);	/* body of the last one */
extern char *mock_last_registration_auth(mock_platform *m);	/* its Authorization */

/* /dl-return: the claims of the last accepted deep linking response */
extern json_t *mock_last_dl_response(mock_platform *m);
extern char *mock_last_dl_error(mock_platform *m);

/*
 * Verify a compact JWS signed RS256 against a JWKS document: alg RS256,
 * kid found among the RSA keys, signature.  0 and *header / *claims
 * (decref them) on success; -1 and a reason in err otherwise.
 */
extern int	jwt_verify_rs256(const char *jwt, json_t *jwks, json_t **header, json_t **claims,
							 char *err, size_t errlen);

/* base64url (no padding) decoding; malloc'd, NUL-terminated; NULL if malformed */
extern unsigned char *b64url_decode(const char *in, size_t len, size_t *outlen);

#endif							/* MC_MOCK_PLATFORM_H */
