/*-------------------------------------------------------------------------
 *
 * jwk_set.c
 *	  Parsing a platform's JWKS into verification keys.
 *
 * The document is untrusted input: it is parsed with jansson (duplicate
 * members refused); each key object is checked (public members only,
 * base64url members of a length cjose decodes without asserting), then
 * re-serialized and imported with cjose.  Only asymmetric signature keys
 * with a kid are kept.  At most JWK_SET_MAX_KEYS keys are read.
 *
 *-------------------------------------------------------------------------
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <cjose/cjose.h>

#include "jose.h"
#include "jwk_set.h"

struct jwk_set
{
	atomic_int	refcount;
	size_t		n;
	jwk_entry	keys[JWK_SET_MAX_KEYS];
};

/* free a set */
static void
jwk_set_free(jwk_set *set)
{
	for (size_t i = 0; i < set->n; i++)
	{
		free(set->keys[i].kid);
		free(set->keys[i].alg);
		cjose_jwk_release(set->keys[i].jwk);
	}
	free(set);
}

/*
 * Is member name of k absent, or a base64url string cjose can decode?
 * cjose asserts (aborts the process) on a length of 4n+1, so a hostile
 * JWKS could otherwise stop the daemon.  Padding '=' is tolerated at the
 * end only.
 */
static int
b64url_member_ok(json_t *k, const char *name)
{
	json_t	   *v = json_object_get(k, name);
	const char *s;
	size_t		n = 0;
	size_t		pad = 0;

	if (v == NULL)
		return 1;
	s = json_string_value(v);
	if (s == NULL || s[0] == '\0')
		return 0;
	for (const char *p = s; *p; p++)
	{
		int			b64 = jose_b64url_value((unsigned char) *p) >= 0;

		if (*p == '=')
			pad++;
		else if (!b64 || pad > 0)
			return 0;
		else
			n++;
	}
	return n > 0 && pad <= 2 && n % 4 != 1;
}

/* does a key object look like a public signature key cjose can import safely */
static int
key_ok(json_t *k, const char *kty)
{
	static const char *const rsa[] = {"n", "e", NULL};
	static const char *const ec[] = {"x", "y", NULL};
	const char *const *members = strcmp(kty, "RSA") == 0 ? rsa : ec;

	/* a published key set holds public keys only */
	if (json_object_get(k, "d") != NULL || json_object_get(k, "p") != NULL ||
		json_object_get(k, "q") != NULL || json_object_get(k, "dp") != NULL ||
		json_object_get(k, "dq") != NULL || json_object_get(k, "qi") != NULL ||
		json_object_get(k, "oth") != NULL)
		return 0;
	for (int i = 0; members[i]; i++)
		if (json_object_get(k, members[i]) == NULL || !b64url_member_ok(k, members[i]))
			return 0;
	if (strcmp(kty, "EC") == 0 && !json_is_string(json_object_get(k, "crv")))
		return 0;
	return 1;
}

/* parse a JWKS document */
jwk_set *
jwk_set_parse(const char *json, size_t len, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t	   *root;
	json_t	   *keys;
	jwk_set    *set;
	size_t		i;

	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
	{
		snprintf(err, errlen, "JWKS is not valid JSON (line %d)", jerr.line);
		return NULL;
	}
	keys = json_object_get(root, "keys");
	if (!json_is_object(root) || !json_is_array(keys))
	{
		snprintf(err, errlen, "JWKS has no \"keys\" array");
		json_decref(root);
		return NULL;
	}
	set = calloc(1, sizeof(jwk_set));
	if (set == NULL)
	{
		snprintf(err, errlen, "out of memory");
		json_decref(root);
		return NULL;
	}
	atomic_init(&set->refcount, 1);
	for (i = 0; i < json_array_size(keys) && set->n < JWK_SET_MAX_KEYS; i++)
	{
		json_t	   *k = json_array_get(keys, i);
		const char *kid = json_string_value(json_object_get(k, "kid"));
		const char *use = json_string_value(json_object_get(k, "use"));
		const char *alg = json_string_value(json_object_get(k, "alg"));
		const char *kty = json_string_value(json_object_get(k, "kty"));
		char	   *text;
		cjose_err	cerr;
		cjose_jwk_t *jwk;
		jwk_entry  *e;

		if (!json_is_object(k) || kid == NULL || kid[0] == '\0' || kty == NULL)
			continue;
		if (json_object_get(k, "use") != NULL && (use == NULL || strcmp(use, "sig") != 0))
			continue;
		if (strcmp(kty, "RSA") != 0 && strcmp(kty, "EC") != 0)
			continue;
		if (!key_ok(k, kty))
			continue;
		text = json_dumps(k, JSON_COMPACT);
		if (text == NULL)
			continue;
		jwk = cjose_jwk_import(text, strlen(text), &cerr);
		free(text);
		if (jwk == NULL)
			continue;
		e = &set->keys[set->n];
		e->kid = strdup(kid);
		e->alg = alg ? strdup(alg) : NULL;
		e->kty = cjose_jwk_get_kty(jwk, &cerr);
		e->jwk = jwk;
		if (e->kid == NULL || (alg != NULL && e->alg == NULL))
		{
			free(e->kid);
			free(e->alg);
			cjose_jwk_release(jwk);
			continue;
		}
		set->n++;
	}
	json_decref(root);
	return set;
}

/* find a key by kid */
const jwk_entry *
jwk_set_find(const jwk_set *set, const char *kid)
{
	if (set == NULL || kid == NULL)
		return NULL;
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->keys[i].kid, kid) == 0)
			return &set->keys[i];
	return NULL;
}

/* number of usable keys */
size_t
jwk_set_count(const jwk_set *set)
{
	return set ? set->n : 0;
}

/* add a reference */
jwk_set *
jwk_set_retain(jwk_set *set)
{
	if (set != NULL)
		atomic_fetch_add(&set->refcount, 1);
	return set;
}

/* drop a reference */
void
jwk_set_release(jwk_set *set)
{
	if (set != NULL && atomic_fetch_sub(&set->refcount, 1) == 1)
		jwk_set_free(set);
}
