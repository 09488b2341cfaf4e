/*-------------------------------------------------------------------------
 *
 * test_registry.c
 *	  Unit tests of the LTI launch's lookup of a cached registration: the
 *	  token's unverified iss and client (idt_peek_client) and the cache
 *	  itself (lti_registry.c): copies in and out, replacement, removal,
 *	  a full table.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "idtoken.h"
#include "jose.h"
#include "lti_registry.h"
#include "../lib/tap.h"

/* header.payload.sig with payload as given (base64url of the JSON text) */
static char *
token_of(const char *payload)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t		n = strlen(payload);
	char	   *out = malloc(64 + (n * 4) / 3 + 8);
	size_t		o;
	const unsigned char *p = (const unsigned char *) payload;

	strcpy(out, "eyJhbGciOiJSUzI1NiJ9.");	/* {"alg":"RS256"} */
	o = strlen(out);
	for (size_t i = 0; i < n; i += 3)
	{
		unsigned	v = p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);

		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = alphabet[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = alphabet[v & 63];
	}
	strcpy(out + o, ".c2ln");
	return out;
}

/* "iss|client" as peeked, "-" for NULL */
static char *
peek(const char *payload)
{
	char	   *tok = token_of(payload);
	char	   *iss,
			   *client;
	static char buf[256];

	idt_peek_client(tok, strlen(tok), &iss, &client);
	snprintf(buf, sizeof(buf), "%s|%s", iss ? iss : "-", client ? client : "-");
	free(iss);
	free(client);
	free(tok);
	return buf;
}

static void
row(login_row *r, const char *pid, const char *iss, const char *client, const char *jwks, const char *dep)
{
	memset(r, 0, sizeof(*r));
	r->platform_id = strdup(pid);
	r->platform_issuer = strdup(iss);
	r->client_id = strdup(client);
	r->jwks_url = strdup(jwks);
	r->algorithms = json_pack("[s]", "RS256");
	r->deployment_ids = json_pack("[s]", dep);
}

int
main(void)
{
	login_row	a,
				b,
				got;
	char		pid[64],
				client[64];
	int			all = 1;

	/* the token's iss and client */
	tap_ok(strcmp(peek("{\"iss\":\"https://lms.example\",\"aud\":\"c1\"}"), "https://lms.example|c1") == 0,
		   "peek: iss and a string aud");
	tap_ok(strcmp(peek("{\"iss\":\"https://lms.example\",\"aud\":[\"c2\"]}"), "https://lms.example|c2") == 0,
		   "peek: an aud array of one");
	tap_ok(strcmp(peek("{\"iss\":\"https://lms.example\",\"aud\":[\"c2\",\"other\"],\"azp\":\"c3\"}"), "https://lms.example|c3") == 0,
		   "peek: azp names the client when aud has several");
	tap_ok(strcmp(peek("{\"iss\":\"https://lms.example\",\"aud\":[\"c2\",\"other\"]}"), "-|-") == 0,
		   "peek: several audiences and no azp name no client");
	tap_ok(strcmp(peek("{\"aud\":\"c1\"}"), "-|-") == 0, "peek: no iss, nothing");
	tap_ok(strcmp(peek("{\"iss\":7,\"aud\":\"c1\"}"), "-|-") == 0, "peek: an iss that is not a string, nothing");
	tap_ok(strcmp(peek("[1,2]"), "-|-") == 0, "peek: a payload that is not an object, nothing");
	{
		char	   *iss,
				   *cl;

		idt_peek_client("not a token", 11, &iss, &cl);
		tap_ok(iss == NULL && cl == NULL, "peek: not a JWT, nothing");
	}

	/* the cache */
	tap_ok(lti_registry_get("https://lms.example", "c1", &got) == 0 && got.platform_id == NULL,
		   "an empty cache has no entry");
	tap_ok(lti_registry_get(NULL, "c1", &got) == 0, "no issuer, no entry");
	row(&a, "p-1", "https://lms.example", "c1", "https://lms.example/jwks", "dep-1");
	lti_registry_put(&a);
	tap_ok(lti_registry_get("https://lms.example", "c1", &got) == 1 && strcmp(got.platform_id, "p-1") == 0 &&
		   strcmp(got.jwks_url, "https://lms.example/jwks") == 0 && got.algorithms != a.algorithms &&
		   json_equal(got.deployment_ids, a.deployment_ids),
		   "an entry comes back as a copy with every field");
	login_row_free(&got);
	tap_ok(lti_registry_get("https://lms.example", "c2", &got) == 0 &&
		   lti_registry_get("https://other.example", "c1", &got) == 0,
		   "another client or another issuer is not that entry");
	row(&b, "p-1", "https://lms.example", "c1", "https://lms.example/jwks2", "dep-2");
	lti_registry_put(&b);
	tap_ok(lti_registry_get("https://lms.example", "c1", &got) == 1 && strcmp(got.jwks_url, "https://lms.example/jwks2") == 0 &&
		   strcmp(json_string_value(json_array_get(got.deployment_ids, 0)), "dep-2") == 0,
		   "a changed registration replaces its entry");
	login_row_free(&got);
	lti_registry_drop("https://lms.example", "c1");
	tap_ok(lti_registry_get("https://lms.example", "c1", &got) == 0, "a dropped entry is gone");
	login_row_free(&b);
	/* more registrations than slots: the table stays bounded, the newest are there */
	for (int i = 0; i < LTI_REGISTRY_MAX + 10; i++)
	{
		snprintf(pid, sizeof(pid), "p-%d", i);
		snprintf(client, sizeof(client), "client-%d", i);
		row(&b, pid, "https://many.example", client, "https://many.example/jwks", "d");
		lti_registry_put(&b);
		login_row_free(&b);
	}
	for (int i = LTI_REGISTRY_MAX + 9; i >= LTI_REGISTRY_MAX + 9 - 5; i--)
	{
		snprintf(client, sizeof(client), "client-%d", i);
		all &= lti_registry_get("https://many.example", client, &got) == 1;
		login_row_free(&got);
	}
	tap_ok(all, "with %d registrations for %d slots, the latest ones are cached", LTI_REGISTRY_MAX + 10, LTI_REGISTRY_MAX);
	{
		int			n = 0;

		for (int i = 0; i < LTI_REGISTRY_MAX + 10; i++)
		{
			snprintf(client, sizeof(client), "client-%d", i);
			n += lti_registry_get("https://many.example", client, &got);
			login_row_free(&got);
		}
		tap_ok(n == LTI_REGISTRY_MAX, "and exactly %d entries are kept (%d)", LTI_REGISTRY_MAX, n);
	}
	/* an incomplete row is not cached */
	row(&b, "p-x", "https://broken.example", "c", "https://broken.example/jwks", "d");
	json_decref(b.algorithms);
	b.algorithms = NULL;
	lti_registry_put(&b);
	tap_ok(lti_registry_get("https://broken.example", "c", &got) == 0, "a registration without its algorithms is not cached");
	login_row_free(&b);
	login_row_free(&a);
	lti_registry_clear();
	tap_ok(lti_registry_get("https://many.example", "client-265", &got) == 0, "clear empties the cache");
	return tap_done();
}
