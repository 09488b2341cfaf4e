/*-------------------------------------------------------------------------
 *
 * mock_platform.c
 *	  A mock LTI 1.3 platform for the launch tests (see mock_platform.h):
 *	  its OIDC authorization endpoint, JWKS, OAuth 2 token endpoint,
 *	  Dynamic Registration endpoints and deep linking return URL.
 *
 *	  It checks what a strict platform checks and answers 400/401 with the
 *	  reason in the body, so that a tool that sends something wrong fails
 *	  the test.  State shared with the test thread is behind one mutex.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "jose_helpers.h"
#include "mock_platform.h"

#define MAX_BODY (256 * 1024)
#define ASSERTION_MAX_LIFETIME 300	/* seconds: RFC 7523 assertions live 5 minutes at most */
#define CLOCK_SKEW 5

struct mock_platform
{
	struct MHD_Daemon *daemon;
	char		base[64];
	EVP_PKEY   *keys[MOCK_RSA_KEYS + 1];
	char		kids[MOCK_RSA_KEYS + 1][32];
	pthread_mutex_t lock;
	/* all below under lock */
	unsigned int publish_mask;
	int			signing_key;
	int			jwks_hits;
	int			auth_hits;
	json_t	   *clients;		/* array of client ids */
	json_t	   *redirect_uris;	/* array */
	json_t	   *launch_claims;	/* object */
	json_t	   *last_auth;		/* object: the last /auth query */
	char	   *tool_jwks_url;
	json_t	   *jtis;			/* object: jti -> true */
	int			tokens_issued;
	char	   *last_token_error;
	char	   *reg_bearer;
	char	   *reg_client_id;
	char	   *reg_deployment_id;
	int			registrations;
	json_t	   *last_registration;
	char	   *last_registration_auth;
	json_t	   *last_dl;
	char	   *last_dl_error;
};

/* one request's accumulated body */
typedef struct conn_ctx
{
	char	   *body;
	size_t		len;
	int			too_large;
} conn_ctx;

/* ---- small helpers ------------------------------------------------------ */

unsigned char *
b64url_decode(const char *in, size_t len, size_t *outlen)
{
	unsigned char *out = malloc(len * 3 / 4 + 3);
	unsigned int acc = 0;
	int			bits = 0;
	size_t		o = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
	{
		char		c = in[i];
		int			v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '-')
			v = 62;
		else if (c == '_')
			v = 63;
		else
		{
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned int) v;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			out[o++] = (unsigned char) (acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (len % 4 == 1)
	{
		free(out);
		return NULL;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* replace *slot with a copy of s */
static void
set_str(char **slot, const char *s)
{
	free(*slot);
	*slot = dup_or_null(s);
}

/* is s a string member of the array a */
static int
array_has(json_t *a, const char *s)
{
	size_t		i;
	json_t	   *v;

	json_array_foreach(a, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
		return 1;
	return 0;
}

/* a value of an application/x-www-form-urlencoded body, decoded; malloc'd or NULL */
static char *
form_get(const char *body, const char *name)
{
	size_t		nlen = strlen(name);
	const char *p = body;

	while (p && *p)
	{
		const char *end = strchr(p, '&');
		size_t		len = end ? (size_t) (end - p) : strlen(p);

		if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=')
		{
			const char *v = p + nlen + 1;
			size_t		vlen = len - nlen - 1;
			char	   *out = malloc(vlen + 1);
			size_t		o = 0;

			for (size_t i = 0; i < vlen; i++)
			{
				if (v[i] == '+')
					out[o++] = ' ';
				else if (v[i] == '%' && i + 2 < vlen && isxdigit((unsigned char) v[i + 1]) &&
						 isxdigit((unsigned char) v[i + 2]))
				{
					char		hex[3] = {v[i + 1], v[i + 2], 0};

					out[o++] = (char) strtol(hex, NULL, 16);
					i += 2;
				}
				else
					out[o++] = v[i];
			}
			out[o] = '\0';
			return out;
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

/* HTML-escape into a malloc'd string */
static char *
html_escape(const char *s)
{
	size_t		n = strlen(s);
	char	   *out = malloc(n * 6 + 1);
	size_t		o = 0;

	for (; *s; s++)
	{
		const char *r = NULL;

		switch (*s)
		{
			case '&':
				r = "&amp;";
				break;
			case '<':
				r = "&lt;";
				break;
			case '>':
				r = "&gt;";
				break;
			case '"':
				r = "&quot;";
				break;
			case '\'':
				r = "&#39;";
				break;
		}
		if (r)
		{
			memcpy(out + o, r, strlen(r));
			o += strlen(r);
		}
		else
			out[o++] = *s;
	}
	out[o] = '\0';
	return out;
}

/* queue a response with a Cache-Control */
static enum MHD_Result
reply_cc(struct MHD_Connection *c, unsigned int status, const char *type, const char *text,
		 const char *cache_control)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *) text,
															 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", cache_control);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* queue an uncacheable response */
static enum MHD_Result
reply(struct MHD_Connection *c, unsigned int status, const char *type, const char *text)
{
	return reply_cc(c, status, type, text, "no-store");
}

/* an OAuth 2 error document (RFC 6749 section 5.2) */
static enum MHD_Result
oauth_error(struct MHD_Connection *c, unsigned int status, const char *error, const char *why)
{
	json_t	   *doc = json_pack("{s:s, s:s}", "error", error, "error_description", why);
	char	   *text = json_dumps(doc, JSON_COMPACT);
	enum MHD_Result rc = reply(c, status, "application/json", text);

	free(text);
	json_decref(doc);
	return rc;
}

/* ---- JWT verification ------------------------------------------------- */

/* an RSA public key from a JWK's n and e */
static EVP_PKEY *
rsa_from_jwk(json_t *jwk)
{
	const char *n64 = json_string_value(json_object_get(jwk, "n"));
	const char *e64 = json_string_value(json_object_get(jwk, "e"));
	unsigned char *n = NULL,
			   *e = NULL;
	size_t		nlen,
				elen;
	BIGNUM	   *bn_n = NULL,
			   *bn_e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY   *pkey = NULL;

	if (n64 == NULL || e64 == NULL)
		return NULL;
	n = b64url_decode(n64, strlen(n64), &nlen);
	e = b64url_decode(e64, strlen(e64), &elen);
	if (n == NULL || e == NULL)
		goto done;
	bn_n = BN_bin2bn(n, (int) nlen, NULL);
	bn_e = BN_bin2bn(e, (int) elen, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (bn_n == NULL || bn_e == NULL || bld == NULL ||
		!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
		!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
		goto done;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
		EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
done:
	free(n);
	free(e);
	BN_free(bn_n);
	BN_free(bn_e);
	OSSL_PARAM_BLD_free(bld);
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* decode a base64url JSON object part */
static json_t *
decode_part(const char *s, size_t len)
{
	size_t		n;
	unsigned char *raw = b64url_decode(s, len, &n);
	json_t	   *o;

	if (raw == NULL)
		return NULL;
	o = json_loadb((const char *) raw, n, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if (o && !json_is_object(o))
	{
		json_decref(o);
		return NULL;
	}
	return o;
}

int
jwt_verify_rs256(const char *jwt, json_t *jwks, json_t **header, json_t **claims, char *err,
				 size_t errlen)
{
	const char *d1 = jwt ? strchr(jwt, '.') : NULL;
	const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	json_t	   *h = NULL,
			   *p = NULL,
			   *key = NULL,
			   *k;
	const char *kid;
	size_t		i,
				siglen;
	unsigned char *sig = NULL;
	EVP_PKEY   *pkey = NULL;
	EVP_MD_CTX *md = NULL;
	int			ok = 0;

	*header = NULL;
	*claims = NULL;
	if (d1 == NULL || d2 == NULL || strchr(d2 + 1, '.') != NULL)
	{
		snprintf(err, errlen, "not a three-part compact JWS");
		return -1;
	}
	h = decode_part(jwt, (size_t) (d1 - jwt));
	p = decode_part(d1 + 1, (size_t) (d2 - d1 - 1));
	if (h == NULL || p == NULL)
	{
		snprintf(err, errlen, "header or payload is not a base64url JSON object");
		goto done;
	}
	if (!json_is_string(json_object_get(h, "alg")) ||
		strcmp(json_string_value(json_object_get(h, "alg")), "RS256") != 0)
	{
		snprintf(err, errlen, "alg is not RS256");
		goto done;
	}
	kid = json_string_value(json_object_get(h, "kid"));
	if (kid == NULL)
	{
		snprintf(err, errlen, "no kid");
		goto done;
	}
	json_array_foreach(json_object_get(jwks, "keys"), i, k)
	{
		const char *kk = json_string_value(json_object_get(k, "kid"));
		const char *kty = json_string_value(json_object_get(k, "kty"));

		if (kk && kty && strcmp(kk, kid) == 0 && strcmp(kty, "RSA") == 0)
			key = k;
	}
	if (key == NULL)
	{
		snprintf(err, errlen, "kid %s is not in the JWKS", kid);
		goto done;
	}
	pkey = rsa_from_jwk(key);
	sig = b64url_decode(d2 + 1, strlen(d2 + 1), &siglen);
	md = EVP_MD_CTX_new();
	if (pkey == NULL || sig == NULL || md == NULL)
	{
		snprintf(err, errlen, "unusable key or signature encoding");
		goto done;
	}
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
		EVP_DigestVerify(md, sig, siglen, (const unsigned char *) jwt, (size_t) (d2 - jwt)) != 1)
	{
		snprintf(err, errlen, "signature does not verify");
		goto done;
	}
	ok = 1;
done:
	free(sig);
	EVP_PKEY_free(pkey);
	EVP_MD_CTX_free(md);
	if (!ok)
	{
		json_decref(h);
		json_decref(p);
		return -1;
	}
	*header = h;
	*claims = p;
	return 0;
}

/* ---- fetching the tool's JWKS ------------------------------------------- */

typedef struct fetch
{
	char	   *data;
	size_t		len;
} fetch;

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	fetch	   *f = ud;
	size_t		n = size * nmemb;
	char	   *nd;

	if (f->len + n > MAX_BODY)
		return 0;
	nd = realloc(f->data, f->len + n + 1);
	if (nd == NULL)
		return 0;
	f->data = nd;
	memcpy(f->data + f->len, ptr, n);
	f->len += n;
	f->data[f->len] = '\0';
	return n;
}

/* GET url as JSON, 5 s at most; NULL on any failure */
static json_t *
get_json(const char *url)
{
	CURL	   *curl = curl_easy_init();
	fetch		f = {0};
	long		status = 0;
	json_t	   *doc = NULL;

	if (curl == NULL || url == NULL)
	{
		if (curl)
			curl_easy_cleanup(curl);
		return NULL;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &f);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(curl);
	if (status == 200 && f.data)
		doc = json_loads(f.data, 0, NULL);
	free(f.data);
	return doc;
}

/* the tool's JWKS, fetched on every use (a platform may cache; a mock need not) */
static json_t *
tool_jwks(mock_platform *m)
{
	char	   *url;
	json_t	   *doc;

	pthread_mutex_lock(&m->lock);
	url = dup_or_null(m->tool_jwks_url);
	pthread_mutex_unlock(&m->lock);
	doc = get_json(url);
	free(url);
	return doc;
}

/* ---- routes ------------------------------------------------------------ */

static enum MHD_Result
serve_jwks(mock_platform *m, struct MHD_Connection *c)
{
	json_t	   *keys = json_array();
	json_t	   *doc;
	char	   *text;
	enum MHD_Result rc;

	pthread_mutex_lock(&m->lock);
	m->jwks_hits++;
	for (int i = 0; i < MOCK_RSA_KEYS; i++)
		if (m->publish_mask & (1u << i))
			json_array_append_new(keys, jwk_of(m->keys[i], m->kids[i], "RS256"));
	pthread_mutex_unlock(&m->lock);
	json_array_append_new(keys, jwk_of(m->keys[MOCK_EC_KEY], m->kids[MOCK_EC_KEY], "ES256"));
	doc = json_pack("{s:o}", "keys", keys);
	text = json_dumps(doc, JSON_COMPACT);
	/* cacheable like a real platform's: a new kid, not expiry, makes the tool refetch */
	rc = reply_cc(c, 200, "application/json", text, "public, max-age=3600");
	free(text);
	json_decref(doc);
	return rc;
}

/* collect the query arguments of a request into an object */
static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void) kind;
	json_object_set_new((json_t *) cls, key, json_string(value ? value : ""));
	return MHD_YES;
}

/*
 * GET /auth: OIDC authentication request of an LTI 1.3 launch (1EdTech
 * Security Framework 5.1.1.2): checks it, then posts the id_token back.
 */
static enum MHD_Result
serve_auth(mock_platform *m, struct MHD_Connection *c)
{
	json_t	   *q = json_object();
	const char *scope,
			   *rtype,
			   *rmode,
			   *prompt,
			   *client,
			   *redirect,
			   *hint,
			   *nonce,
			   *state;
	const char *why = NULL;
	json_t	   *claims;
	char	   *token,
			   *e_redirect,
			   *e_token,
			   *e_state,
			   *page;
	size_t		plen;
	time_t		now = time(NULL);
	int			key;
	enum MHD_Result rc;

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, q);
#define ARG(n) json_string_value(json_object_get(q, n))
	scope = ARG("scope");
	rtype = ARG("response_type");
	rmode = ARG("response_mode");
	prompt = ARG("prompt");
	client = ARG("client_id");
	redirect = ARG("redirect_uri");
	hint = ARG("login_hint");
	nonce = ARG("nonce");
	state = ARG("state");
#undef ARG
	pthread_mutex_lock(&m->lock);
	m->auth_hits++;
	json_decref(m->last_auth);
	m->last_auth = json_deep_copy(q);
	if (scope == NULL || strcmp(scope, "openid") != 0)
		why = "scope must be openid";
	else if (rtype == NULL || strcmp(rtype, "id_token") != 0)
		why = "response_type must be id_token";
	else if (rmode == NULL || strcmp(rmode, "form_post") != 0)
		why = "response_mode must be form_post";
	else if (prompt == NULL || strcmp(prompt, "none") != 0)
		why = "prompt must be none";
	else if (client == NULL || !array_has(m->clients, client))
		why = "client_id is not a registered client";
	else if (redirect == NULL || !array_has(m->redirect_uris, redirect))
		why = "redirect_uri is not registered";
	else if (hint == NULL || hint[0] == '\0')
		why = "login_hint is required";
	else if (nonce == NULL || nonce[0] == '\0')
		why = "nonce is required";
	else if (state == NULL || state[0] == '\0')
		why = "state is required";
	claims = json_deep_copy(m->launch_claims ? m->launch_claims : json_object());
	key = m->signing_key;
	pthread_mutex_unlock(&m->lock);
	if (why != NULL)
	{
		char		text[128];

		json_decref(claims);
		json_decref(q);
		snprintf(text, sizeof(text), "invalid_request: %s\n", why);
		return reply(c, 400, "text/plain", text);
	}
	json_object_set_new(claims, "iss", json_string(m->base));
	json_object_set_new(claims, "aud", json_string(client));
	json_object_set_new(claims, "iat", json_integer((json_int_t) now));
	json_object_set_new(claims, "exp", json_integer((json_int_t) now + 300));
	json_object_set_new(claims, "nonce", json_string(nonce));
	if (json_object_get(claims, "sub") == NULL)
		json_object_set_new(claims, "sub", json_string(hint));
	token = mock_sign(m, key, claims);
	json_decref(claims);
	e_redirect = html_escape(redirect);
	e_token = html_escape(token);
	e_state = html_escape(state);
	plen = strlen(e_redirect) + strlen(e_token) + strlen(e_state) + 512;
	page = malloc(plen);
	snprintf(page, plen,
			 "<!DOCTYPE html>\n<html><head><title>Launching</title></head><body>"
			 "<form id=\"launch\" method=\"post\" action=\"%s\">"
			 "<input type=\"hidden\" name=\"id_token\" value=\"%s\">"
			 "<input type=\"hidden\" name=\"state\" value=\"%s\">"
			 "</form><script>document.getElementById('launch').submit();</script></body></html>\n",
			 e_redirect, e_token, e_state);
	rc = reply(c, 200, "text/html; charset=utf-8", page);
	free(page);
	free(e_redirect);
	free(e_token);
	free(e_state);
	free(token);
	json_decref(q);
	return rc;
}

/* does aud (string or array) hold want */
static int
aud_has(json_t *aud, const char *want)
{
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	return json_is_array(aud) && array_has(aud, want);
}

/* POST /token: client credentials grant with a private_key_jwt client assertion */
static enum MHD_Result
serve_token(mock_platform *m, struct MHD_Connection *c, const char *body)
{
	char	   *grant = form_get(body, "grant_type");
	char	   *atype = form_get(body, "client_assertion_type");
	char	   *assertion = form_get(body, "client_assertion");
	char	   *scope = form_get(body, "scope");
	json_t	   *jwks = NULL,
			   *h = NULL,
			   *p = NULL;
	char		why[200] = "";
	unsigned int status = 401;
	const char *error = "invalid_client";
	char		token_url[128];
	enum MHD_Result rc;
	time_t		now = time(NULL);

	snprintf(token_url, sizeof(token_url), "%s/token", m->base);
	if (grant == NULL || strcmp(grant, "client_credentials") != 0)
	{
		status = 400;
		error = "unsupported_grant_type";
		snprintf(why, sizeof(why), "grant_type must be client_credentials");
	}
	else if (atype == NULL || strcmp(atype, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") != 0)
	{
		status = 400;
		error = "invalid_request";
		snprintf(why, sizeof(why), "client_assertion_type must be jwt-bearer");
	}
	else if (assertion == NULL)
	{
		status = 400;
		error = "invalid_request";
		snprintf(why, sizeof(why), "client_assertion is required");
	}
	else if ((jwks = tool_jwks(m)) == NULL)
		snprintf(why, sizeof(why), "the tool's JWKS could not be fetched");
	else if (jwt_verify_rs256(assertion, jwks, &h, &p, why, sizeof(why)) != 0)
		;						/* why is set */
	else
	{
		const char *iss = json_string_value(json_object_get(p, "iss"));
		const char *sub = json_string_value(json_object_get(p, "sub"));
		const char *jti = json_string_value(json_object_get(p, "jti"));
		json_t	   *exp = json_object_get(p, "exp");

		pthread_mutex_lock(&m->lock);
		if (iss == NULL || !array_has(m->clients, iss))
			snprintf(why, sizeof(why), "iss is not a registered client_id");
		else if (sub == NULL || strcmp(sub, iss) != 0)
			snprintf(why, sizeof(why), "sub must equal iss (the client_id)");
		else if (!aud_has(json_object_get(p, "aud"), token_url))
			snprintf(why, sizeof(why), "aud is not the token endpoint");
		else if (!json_is_integer(exp) || json_integer_value(exp) <= (json_int_t) now)
			snprintf(why, sizeof(why), "exp is missing or past");
		else if (json_integer_value(exp) > (json_int_t) now + ASSERTION_MAX_LIFETIME + CLOCK_SKEW)
			snprintf(why, sizeof(why), "exp is more than 5 minutes ahead");
		else if (jti == NULL || jti[0] == '\0')
			snprintf(why, sizeof(why), "jti is required");
		else if (json_object_get(m->jtis, jti) != NULL)
			snprintf(why, sizeof(why), "jti was already used (replay)");
		else
		{
			json_object_set_new(m->jtis, jti, json_true());
			m->tokens_issued++;
			status = 200;
		}
		pthread_mutex_unlock(&m->lock);
	}
	if (status == 200)
	{
		unsigned char r[24];
		char	   *at;
		json_t	   *doc;
		char	   *text;

		RAND_bytes(r, sizeof(r));
		at = b64url(r, sizeof(r));
		doc = json_pack("{s:s, s:s, s:i, s:s}", "access_token", at, "token_type", "Bearer",
						"expires_in", 3600, "scope", scope ? scope : "");
		text = json_dumps(doc, JSON_COMPACT);
		rc = reply(c, 200, "application/json", text);
		free(text);
		free(at);
		json_decref(doc);
	}
	else
	{
		pthread_mutex_lock(&m->lock);
		set_str(&m->last_token_error, why);
		pthread_mutex_unlock(&m->lock);
		rc = oauth_error(c, status, error, why);
	}
	free(grant);
	free(atype);
	free(assertion);
	free(scope);
	json_decref(jwks);
	json_decref(h);
	json_decref(p);
	return rc;
}

/* GET [/bad-issuer]/.well-known/openid-configuration */
static enum MHD_Result
serve_openid_configuration(mock_platform *m, struct MHD_Connection *c, int bad_issuer)
{
	char		u[5][128];
	json_t	   *doc;
	char	   *text;
	enum MHD_Result rc;

	snprintf(u[0], sizeof(u[0]), "%s/auth", m->base);
	snprintf(u[1], sizeof(u[1]), "%s/token", m->base);
	snprintf(u[2], sizeof(u[2]), "%s/jwks", m->base);
	snprintf(u[3], sizeof(u[3]), "%s/register", m->base);
	snprintf(u[4], sizeof(u[4]), "%s", bad_issuer ? "https://lms.other.example" : m->base);
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s], s:[s], s:[s], s:[s], s:[s], s:[s],"
					" s:[s, s, s, s, s, s], s:{s:s, s:s, s:[{s:s}, {s:s}], s:[s]}}",
					"issuer", u[4],
					"authorization_endpoint", u[0],
					"token_endpoint", u[1],
					"jwks_uri", u[2],
					"registration_endpoint", u[3],
					"token_endpoint_auth_methods_supported", "private_key_jwt",
					"token_endpoint_auth_signing_alg_values_supported", "RS256",
					"id_token_signing_alg_values_supported", "RS256",
					"response_types_supported", "id_token",
					"subject_types_supported", "public",
					"scopes_supported", "openid",
					"claims_supported", "iss", "aud", "sub", "name", "given_name", "email",
					"https://purl.imsglobal.org/spec/lti-platform-configuration",
					"product_family_code", "mockmoodle",
					"version", "4.4",
					"messages_supported", "type", "LtiResourceLinkRequest", "type", "LtiDeepLinkingRequest",
					"variables", "Context.id");
	text = json_dumps(doc, JSON_COMPACT);
	rc = reply(c, 200, "application/json", text);
	free(text);
	json_decref(doc);
	return rc;
}

/* the first of these members of the tool configuration that is wrong, or NULL */
static const char *
check_tool_configuration(json_t *cfg)
{
	json_t	   *lti = json_object_get(cfg, "https://purl.imsglobal.org/spec/lti-tool-configuration");
	json_t	   *a;
	const char *s;

	if (!json_is_object(cfg))
		return "the body is not a JSON object";
	s = json_string_value(json_object_get(cfg, "application_type"));
	if (s == NULL || strcmp(s, "web") != 0)
		return "application_type must be web";
	a = json_object_get(cfg, "response_types");
	if (!json_is_array(a) || !array_has(a, "id_token"))
		return "response_types must hold id_token";
	a = json_object_get(cfg, "grant_types");
	if (!json_is_array(a) || !array_has(a, "implicit") || !array_has(a, "client_credentials"))
		return "grant_types must hold implicit and client_credentials";
	s = json_string_value(json_object_get(cfg, "initiate_login_uri"));
	if (s == NULL || strncmp(s, "https://", 8) != 0)
		return "initiate_login_uri must be an https URL";
	a = json_object_get(cfg, "redirect_uris");
	if (!json_is_array(a) || json_array_size(a) == 0)
		return "redirect_uris must be a non-empty array";
	s = json_string_value(json_object_get(cfg, "jwks_uri"));
	if (s == NULL || strncmp(s, "https://", 8) != 0)
		return "jwks_uri must be an https URL";
	s = json_string_value(json_object_get(cfg, "client_name"));
	if (s == NULL || s[0] == '\0')
		return "client_name is required";
	s = json_string_value(json_object_get(cfg, "token_endpoint_auth_method"));
	if (s == NULL || strcmp(s, "private_key_jwt") != 0)
		return "token_endpoint_auth_method must be private_key_jwt";
	if (!json_is_object(lti))
		return "the lti-tool-configuration member is missing";
	s = json_string_value(json_object_get(lti, "domain"));
	if (s == NULL || s[0] == '\0')
		return "lti-tool-configuration.domain is required";
	s = json_string_value(json_object_get(lti, "target_link_uri"));
	if (s == NULL || strncmp(s, "https://", 8) != 0)
		return "lti-tool-configuration.target_link_uri must be an https URL";
	if (!json_is_array(json_object_get(lti, "messages")))
		return "lti-tool-configuration.messages must be an array";
	if (!json_is_array(json_object_get(lti, "claims")))
		return "lti-tool-configuration.claims must be an array";
	return NULL;
}

/* POST /register: LTI Dynamic Registration 1.0, section 3.5 */
static enum MHD_Result
serve_register(mock_platform *m, struct MHD_Connection *c, const char *body)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	json_t	   *cfg = json_loads(body, JSON_REJECT_DUPLICATES, NULL);
	char		want[256];
	const char *why = NULL;
	char	   *client = NULL,
			   *deployment = NULL;
	json_t	   *answer,
			   *lti;
	char	   *text;
	enum MHD_Result rc;

	pthread_mutex_lock(&m->lock);
	m->registrations++;
	json_decref(m->last_registration);
	m->last_registration = cfg ? json_deep_copy(cfg) : NULL;
	set_str(&m->last_registration_auth, auth);
	snprintf(want, sizeof(want), "Bearer %s", m->reg_bearer ? m->reg_bearer : "");
	client = dup_or_null(m->reg_client_id);
	deployment = dup_or_null(m->reg_deployment_id);
	pthread_mutex_unlock(&m->lock);
	if (auth == NULL || strcmp(auth, want) != 0 || client == NULL)
	{
		json_decref(cfg);
		free(client);
		free(deployment);
		return oauth_error(c, 401, "invalid_token", "the registration token is not valid");
	}
	if (type == NULL || strncasecmp(type, "application/json", 16) != 0)
		why = "Content-Type must be application/json";
	else
		why = check_tool_configuration(cfg);
	if (why != NULL)
	{
		json_decref(cfg);
		free(client);
		free(deployment);
		return oauth_error(c, 400, "invalid_client_metadata", why);
	}
	/* accepted: the platform's answer echoes the configuration with its ids */
	pthread_mutex_lock(&m->lock);
	if (!array_has(m->clients, client))
		json_array_append_new(m->clients, json_string(client));
	{
		size_t		i;
		json_t	   *v;

		json_array_foreach(json_object_get(cfg, "redirect_uris"), i, v)
			if (json_is_string(v) && !array_has(m->redirect_uris, json_string_value(v)))
			json_array_append_new(m->redirect_uris, json_string(json_string_value(v)));
	}
	pthread_mutex_unlock(&m->lock);
	answer = json_deep_copy(cfg);
	json_object_set_new(answer, "client_id", json_string(client));
	lti = json_object_get(answer, "https://purl.imsglobal.org/spec/lti-tool-configuration");
	json_object_set_new(lti, "deployment_id", json_string(deployment ? deployment : ""));
	text = json_dumps(answer, JSON_COMPACT);
	rc = reply(c, 200, "application/json", text);
	free(text);
	json_decref(answer);
	json_decref(cfg);
	free(client);
	free(deployment);
	return rc;
}

/* POST /dl-return: the LtiDeepLinkingResponse (Deep Linking 2.0, section 4.5) */
static enum MHD_Result
serve_dl_return(mock_platform *m, struct MHD_Connection *c, const char *body)
{
	char	   *jwt = form_get(body, "JWT");
	json_t	   *jwks = NULL,
			   *h = NULL,
			   *p = NULL;
	char		why[200] = "";
	time_t		now = time(NULL);
	enum MHD_Result rc;

	if (jwt == NULL)
		snprintf(why, sizeof(why), "no JWT parameter");
	else if ((jwks = tool_jwks(m)) == NULL)
		snprintf(why, sizeof(why), "the tool's JWKS could not be fetched");
	else if (jwt_verify_rs256(jwt, jwks, &h, &p, why, sizeof(why)) != 0)
		;
	else
	{
		const char *iss = json_string_value(json_object_get(p, "iss"));
		const char *mt = json_string_value(json_object_get(p, "https://purl.imsglobal.org/spec/lti/claim/message_type"));
		const char *ver = json_string_value(json_object_get(p, "https://purl.imsglobal.org/spec/lti/claim/version"));
		json_t	   *exp = json_object_get(p, "exp");

		pthread_mutex_lock(&m->lock);
		if (iss == NULL || !array_has(m->clients, iss))
			snprintf(why, sizeof(why), "iss is not a registered client_id");
		else if (!aud_has(json_object_get(p, "aud"), m->base))
			snprintf(why, sizeof(why), "aud is not the platform issuer");
		else if (mt == NULL || strcmp(mt, "LtiDeepLinkingResponse") != 0)
			snprintf(why, sizeof(why), "message_type is not LtiDeepLinkingResponse");
		else if (ver == NULL || strcmp(ver, "1.3.0") != 0)
			snprintf(why, sizeof(why), "version is not 1.3.0");
		else if (!json_is_string(json_object_get(p, "https://purl.imsglobal.org/spec/lti/claim/deployment_id")))
			snprintf(why, sizeof(why), "deployment_id is missing");
		else if (!json_is_integer(exp) || json_integer_value(exp) <= (json_int_t) now)
			snprintf(why, sizeof(why), "exp is missing or past");
		else if (!json_is_string(json_object_get(p, "nonce")))
			snprintf(why, sizeof(why), "nonce is missing");
		else
		{
			json_decref(m->last_dl);
			m->last_dl = json_deep_copy(p);
		}
		pthread_mutex_unlock(&m->lock);
	}
	pthread_mutex_lock(&m->lock);
	set_str(&m->last_dl_error, why[0] ? why : NULL);
	pthread_mutex_unlock(&m->lock);
	if (why[0])
	{
		char		text[256];

		snprintf(text, sizeof(text), "deep linking response refused: %s\n", why);
		rc = reply(c, 400, "text/plain", text);
	}
	else
		rc = reply(c, 200, "text/html; charset=utf-8",
				   "<!DOCTYPE html><html><body><p>Content added to the course.</p></body></html>\n");
	free(jwt);
	json_decref(jwks);
	json_decref(h);
	json_decref(p);
	return rc;
}

static enum MHD_Result
serve(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	  const char *version, const char *upload, size_t *upload_size, void **ctx)
{
	mock_platform *m = cls;
	conn_ctx   *cc = *ctx;
	const char *body;

	(void) version;
	if (cc == NULL)
	{
		cc = calloc(1, sizeof(conn_ctx));
		if (cc == NULL)
			return MHD_NO;
		*ctx = cc;
		return MHD_YES;
	}
	if (*upload_size > 0)
	{
		if (!cc->too_large && cc->len + *upload_size <= MAX_BODY)
		{
			char	   *nd = realloc(cc->body, cc->len + *upload_size + 1);

			if (nd == NULL)
				return MHD_NO;
			cc->body = nd;
			memcpy(cc->body + cc->len, upload, *upload_size);
			cc->len += *upload_size;
			cc->body[cc->len] = '\0';
		}
		else
			cc->too_large = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (cc->too_large)
		return reply(c, 413, "text/plain", "too large\n");
	body = cc->body ? cc->body : "";
	if (strcmp(method, "GET") == 0)
	{
		if (strcmp(url, "/jwks") == 0)
			return serve_jwks(m, c);
		if (strcmp(url, "/jwks-broken") == 0)
			return reply(c, 500, "application/json", "{}");
		if (strcmp(url, "/auth") == 0)
			return serve_auth(m, c);
		if (strcmp(url, "/.well-known/openid-configuration") == 0)
			return serve_openid_configuration(m, c, 0);
		if (strcmp(url, "/bad-issuer/.well-known/openid-configuration") == 0)
			return serve_openid_configuration(m, c, 1);
	}
	else if (strcmp(method, "POST") == 0)
	{
		if (strcmp(url, "/token") == 0)
			return serve_token(m, c, body);
		if (strcmp(url, "/register") == 0)
			return serve_register(m, c, body);
		if (strcmp(url, "/dl-return") == 0)
			return serve_dl_return(m, c, body);
	}
	return reply(c, 404, "text/plain", "not found\n");
}

static void
completed(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode toe)
{
	conn_ctx   *cc = *ctx;

	(void) cls;
	(void) c;
	(void) toe;
	if (cc)
	{
		free(cc->body);
		free(cc);
	}
	*ctx = NULL;
}

/* ---- the API --------------------------------------------------------- */

mock_platform *
mock_platform_start(const char *client_id)
{
	mock_platform *m = calloc(1, sizeof(mock_platform));
	struct sockaddr_in sin;

	if (m == NULL)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	for (int i = 0; i < MOCK_RSA_KEYS; i++)
	{
		m->keys[i] = EVP_RSA_gen(2048);
		snprintf(m->kids[i], sizeof(m->kids[i]), "mock-rsa-%d", i + 1);
	}
	m->keys[MOCK_EC_KEY] = EVP_EC_gen("P-256");
	snprintf(m->kids[MOCK_EC_KEY], sizeof(m->kids[MOCK_EC_KEY]), "mock-ec-1");
	m->publish_mask = 1;
	m->clients = json_array();
	m->redirect_uris = json_array();
	m->jtis = json_object();
	json_array_append_new(m->clients, json_string(client_id));
	for (int i = 0; i <= MOCK_EC_KEY; i++)
		if (m->keys[i] == NULL)
		{
			mock_platform_stop(m);
			return NULL;
		}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = 0;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	m->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
								 0, NULL, NULL, serve, m,
								 MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &sin,
								 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 10,
								 MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
								 MHD_OPTION_END);
	if (m->daemon == NULL)
	{
		mock_platform_stop(m);
		return NULL;
	}
	snprintf(m->base, sizeof(m->base), "http://127.0.0.1:%u",
			 (unsigned int) MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT)->port);
	return m;
}

void
mock_platform_stop(mock_platform *m)
{
	if (m == NULL)
		return;
	if (m->daemon)
		MHD_stop_daemon(m->daemon);
	for (int i = 0; i <= MOCK_EC_KEY; i++)
		EVP_PKEY_free(m->keys[i]);
	json_decref(m->clients);
	json_decref(m->redirect_uris);
	json_decref(m->launch_claims);
	json_decref(m->last_auth);
	json_decref(m->jtis);
	json_decref(m->last_registration);
	json_decref(m->last_dl);
	free(m->tool_jwks_url);
	free(m->last_token_error);
	free(m->reg_bearer);
	free(m->reg_client_id);
	free(m->reg_deployment_id);
	free(m->last_registration_auth);
	free(m->last_dl_error);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

const char *
mock_base(const mock_platform *m)
{
	return m->base;
}

const char *
mock_kid(const mock_platform *m, int i)
{
	return m->kids[i];
}

EVP_PKEY *
mock_key(const mock_platform *m, int i)
{
	return m->keys[i];
}

void
mock_publish(mock_platform *m, unsigned int mask)
{
	pthread_mutex_lock(&m->lock);
	m->publish_mask = mask;
	pthread_mutex_unlock(&m->lock);
}

void
mock_set_signing_key(mock_platform *m, int i)
{
	pthread_mutex_lock(&m->lock);
	m->signing_key = i;
	pthread_mutex_unlock(&m->lock);
}

/* read an int member under the lock */
#define LOCKED_INT(m, field) \
	int v; \
	pthread_mutex_lock(&(m)->lock); \
	v = (m)->field; \
	pthread_mutex_unlock(&(m)->lock); \
	return v

int
mock_jwks_hits(mock_platform *m)
{
	LOCKED_INT(m, jwks_hits);
}

int
mock_auth_hits(mock_platform *m)
{
	LOCKED_INT(m, auth_hits);
}

int
mock_tokens_issued(mock_platform *m)
{
	LOCKED_INT(m, tokens_issued);
}

int
mock_registrations(mock_platform *m)
{
	LOCKED_INT(m, registrations);
}

void
mock_add_client(mock_platform *m, const char *client_id)
{
	pthread_mutex_lock(&m->lock);
	if (!array_has(m->clients, client_id))
		json_array_append_new(m->clients, json_string(client_id));
	pthread_mutex_unlock(&m->lock);
}

void
mock_add_redirect_uri(mock_platform *m, const char *uri)
{
	pthread_mutex_lock(&m->lock);
	if (!array_has(m->redirect_uris, uri))
		json_array_append_new(m->redirect_uris, json_string(uri));
	pthread_mutex_unlock(&m->lock);
}

void
mock_set_launch_claims(mock_platform *m, json_t *claims)
{
	pthread_mutex_lock(&m->lock);
	json_decref(m->launch_claims);
	m->launch_claims = json_deep_copy(claims);
	pthread_mutex_unlock(&m->lock);
}

char *
mock_last_auth_param(mock_platform *m, const char *name)
{
	char	   *v;

	pthread_mutex_lock(&m->lock);
	v = dup_or_null(json_string_value(json_object_get(m->last_auth, name)));
	pthread_mutex_unlock(&m->lock);
	return v;
}

char *
mock_sign(const mock_platform *m, int key, json_t *claims)
{
	char		header[128];
	char	   *payload = json_dumps(claims, JSON_COMPACT);
	char	   *jwt;

	snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", m->kids[key]);
	jwt = sign_compact(header, payload, strlen(payload), "RS256", m->keys[key], NULL, 0);
	free(payload);
	return jwt;
}

void
mock_set_tool_jwks_url(mock_platform *m, const char *url)
{
	pthread_mutex_lock(&m->lock);
	set_str(&m->tool_jwks_url, url);
	pthread_mutex_unlock(&m->lock);
}

char *
mock_last_token_error(mock_platform *m)
{
	char	   *v;

	pthread_mutex_lock(&m->lock);
	v = dup_or_null(m->last_token_error);
	pthread_mutex_unlock(&m->lock);
	return v;
}

void
mock_set_registration(mock_platform *m, const char *bearer, const char *client_id,
					  const char *deployment_id)
{
	pthread_mutex_lock(&m->lock);
	set_str(&m->reg_bearer, bearer);
	set_str(&m->reg_client_id, client_id);
	set_str(&m->reg_deployment_id, deployment_id);
	pthread_mutex_unlock(&m->lock);
}

json_t *
mock_last_registration(mock_platform *m)
{
	json_t	   *v;

	pthread_mutex_lock(&m->lock);
	v = m->last_registration ? json_deep_copy(m->last_registration) : NULL;
	pthread_mutex_unlock(&m->lock);
	return v;
}

char *
mock_last_registration_auth(mock_platform *m)
{
	char	   *v;

	pthread_mutex_lock(&m->lock);
	v = dup_or_null(m->last_registration_auth);
	pthread_mutex_unlock(&m->lock);
	return v;
}

json_t *
mock_last_dl_response(mock_platform *m)
{
	json_t	   *v;

	pthread_mutex_lock(&m->lock);
	v = m->last_dl ? json_deep_copy(m->last_dl) : NULL;
	pthread_mutex_unlock(&m->lock);
	return v;
}

char *
mock_last_dl_error(mock_platform *m)
{
	char	   *v;

	pthread_mutex_lock(&m->lock);
	v = dup_or_null(m->last_dl_error);
	pthread_mutex_unlock(&m->lock);
	return v;
}
