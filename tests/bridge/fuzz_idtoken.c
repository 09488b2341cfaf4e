/*-------------------------------------------------------------------------
 *
 * fuzz_idtoken.c
 *	  libFuzzer target for lti_bridge/idtoken.c (and jwk_set.c lookups).
 *
 * The first byte picks what the rest of the input is:
 *	 0: a whole compact token, validated as received (shape, header, kid,
 *		signature paths; a forged signature never verifies);
 *	 1: the payload, signed here with the test key, so that every claim
 *		check runs on arbitrary JSON;
 *	 2: the header, signed here over a valid payload.
 * "now" is fixed so that runs are reproducible.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "idtoken.h"
#include "jose_helpers.h"

#define NOW 1700000000

static EVP_PKEY *key;
static jwk_set *keys;
static const char *const deployments[] = {"deployment-1"};
static const char *const algs[] = {"RS256", "PS256", "ES256", "HS256", "none"};
static const idt_registration reg = {"https://platform.example.edu", "client-1234", algs, 5, deployments, 1};

static const char valid_payload[] =
"{\"iss\":\"https://platform.example.edu\",\"aud\":\"client-1234\",\"sub\":\"u1\","
"\"exp\":1700000300,\"iat\":1699999990,\"nonce\":\"n1\","
"\"https://purl.imsglobal.org/spec/lti/claim/version\":\"1.3.0\","
"\"https://purl.imsglobal.org/spec/lti/claim/message_type\":\"LtiResourceLinkRequest\","
"\"https://purl.imsglobal.org/spec/lti/claim/deployment_id\":\"deployment-1\","
"\"https://purl.imsglobal.org/spec/lti/claim/roles\":[],"
"\"https://purl.imsglobal.org/spec/lti/claim/resource_link\":{\"id\":\"r1\"},"
"\"https://purl.imsglobal.org/spec/lti/claim/target_link_uri\":\"https://tool.example.org/\"}";

/* a fixed RSA key (generated once per process) and its JWKS */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	json_t	   *doc;
	char	   *text;
	char		err[128];

	(void) argc;
	(void) argv;
	key = EVP_RSA_gen(2048);
	doc = json_pack("{s:[o]}", "keys", jwk_of(key, "k1", NULL));
	text = json_dumps(doc, JSON_COMPACT);
	keys = jwk_set_parse(text, strlen(text), err, sizeof(err));
	free(text);
	json_decref(doc);
	return 0;
}

/* one input */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	idt_options opt = {NOW, 60};
	idt_claims *claims = NULL;
	idt_error	err;
	char	   *tok = NULL;
	char	   *rest;

	if (size < 1 || size > 70000)
		return 0;
	rest = malloc(size);
	memcpy(rest, data + 1, size - 1);
	rest[size - 1] = '\0';
	switch (data[0] % 3)
	{
		case 0:
			tok = malloc(size);
			memcpy(tok, data + 1, size - 1);
			tok[size - 1] = '\0';
			break;
		case 1:
			tok = sign_compact("{\"alg\":\"RS256\",\"kid\":\"k1\"}", rest, size - 1, "RS256", key, NULL, 0);
			break;
		case 2:
			tok = sign_compact(rest, valid_payload, strlen(valid_payload), "RS256", key, NULL, 0);
			break;
	}
	/* the token's length, not strlen: embedded NULs are part of the input */
	if (idt_validate(tok, data[0] % 3 == 0 ? size - 1 : strlen(tok), &reg, keys, &opt, &claims, &err) == IDT_OK)
	{
		if (claims == NULL || claims->nonce == NULL || claims->deployment_id == NULL)
			abort();
	}
	else if (claims != NULL)
		abort();
	idt_claims_free(claims);
	{
		char	   *kid = NULL;

		idt_peek_kid(tok, strlen(tok), &kid, &err);
		free(kid);
	}
	free(tok);
	free(rest);
	return 0;
}
