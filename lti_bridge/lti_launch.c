/*-------------------------------------------------------------------------
 *
 * lti_launch.c
 *	  POST /lti/launch: the LTI 1.3 launch, and the resource link view
 *	  (the learner's credential or "not yet", or the instructor's view).
 *
 * The launch (POST /lti/launch) checks, in order: the form has id_token
 * and state; the state cookie set at login came back and equals the form's
 * state; the id_token is validated against the registration of its
 * (iss, client) cached in this process (lti_registry.c) with the platform's
 * JWKS (idtoken.c: alg pinning, kid, signature, iss, aud/azp, exp/iat,
 * version, message type, deployment, roles, sub, resource link, ...); then
 * ONE database call, microcred.lti_launch(), spends the state (single use,
 * unexpired), re-checks that the state was made for that registration and
 * that it is unchanged, checks that the nonce is the one issued with the
 * state and target_link_uri the one given at login, and returns the page.
 *
 * Without a cached registration, or when the token fails against the
 * cached one (which may be stale), the database first names the state's
 * registration without spending anything (lti_launch() with no platform),
 * and the token is validated against that: two calls.  A token that fails
 * against the registration the database named spends the state
 * (lti_consume_login), and the answer is the state's problem if it has one,
 * else the token's: the same refusals, in the same order, as when every
 * launch asked the database first.  Any failure answers with the reason in
 * X-LTI-Error, counts it in /metrics and shows a page that says what went
 * wrong, never the token.
 *
 * Everything the pages show comes from SECURITY DEFINER functions of the
 * extension; the tool's signatures (deep linking responses) are made
 * there too, so this process holds no key.
 *
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "db.h"
#include "form.h"
#include "http_internal.h"
#include "idtoken.h"
#include "launch_token.h"
#include "lti.h"
#include "lti_internal.h"
#include "lti_registry.h"

static char *
value_or_null(PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? NULL : strdup(PQgetvalue(res, 0, col));
}

/*
 * The id_token, against a registration: IDT_OK with *claims, a reason with
 * err, or IDT__COUNT when out of memory.
 */
static idt_reason
verify_token(http_request *req, const login_row *l, const char *token, idt_claims **claims,
			 idt_error *err)
{
	const char *algs[16];
	const char **deps;
	size_t		n_algs = 0,
				n_deps = 0,
				i;
	json_t	   *v;
	idt_registration reg;
	idt_options opt;
	idt_reason	r;

	deps = calloc(json_array_size(l->deployment_ids) + 1, sizeof(char *));
	if (deps == NULL)
		return IDT__COUNT;
	json_array_foreach(l->algorithms, i, v)
		if (json_is_string(v) && n_algs < sizeof(algs) / sizeof(algs[0]))
		algs[n_algs++] = json_string_value(v);
	json_array_foreach(l->deployment_ids, i, v)
		if (json_is_string(v))
		deps[n_deps++] = json_string_value(v);
	reg.issuer = l->platform_issuer;
	reg.client_id = l->client_id;
	reg.algs = algs;
	reg.n_algs = n_algs;
	reg.deployment_ids = deps;
	reg.n_deployment_ids = n_deps;
	opt.now = time(NULL);
	opt.leeway_s = req->cfg->jwt_leeway_s;
	r = launch_token_verify(lti_jwks_cache(), l->jwks_url, token, strlen(token), &reg, &opt,
							claims, err);
	free(deps);
	return r;
}

/* what microcred.lti_launch() answered */
typedef struct launch_answer
{
	char	   *problem;		/* NULL: the launch is good */
	json_t	   *view;			/* a resource link's page, or NULL */
	login_row	reg;			/* the state's registration (problem "registration") */
} launch_answer;

static void
launch_answer_free(launch_answer *a)
{
	free(a->problem);
	json_decref(a->view);
	login_row_free(&a->reg);
	memset(a, 0, sizeof(*a));
}

/*
 * microcred.lti_launch(): with c NULL only the state's registration is asked
 * for (nothing is spent).  0 with *a filled; otherwise the 503 page is
 * queued (*rc).
 */
static int
call_launch(struct MHD_Connection *conn, http_request *req, const char *state, const char *nonce,
			const login_row *l, idt_claims *c, const char *wallet_key, launch_answer *a,
			unsigned int *rc)
{
	const char *values[18] = {0};
	PGresult   *res;

	memset(a, 0, sizeof(*a));
	values[0] = state;
	values[1] = nonce;
	if (c != NULL)
	{
		values[2] = l->platform_id;
		values[3] = l->platform_issuer;
		values[4] = l->client_id;
		values[5] = l->jwks_url;
		values[6] = c->alg;
		values[7] = c->deployment_id;
		values[8] = c->target_link_uri;
		values[9] = c->message_type;
		values[10] = lti_claim_member(c->payload, LTI_CLAIM "context", "id");
		values[11] = lti_claim_member(c->payload, LTI_CLAIM "custom", "microcred_credential_type");
		values[12] = c->sub;
		values[13] = json_string_value(json_object_get(c->payload, "email"));
		values[14] = lti_is_instructor(c->roles) ? "true" : "false";
		values[15] = lti_lms_id(c->payload, "lms_course_id");
		values[16] = lti_lms_id(c->payload, "lms_user_id");
		values[17] = wallet_key;
	}
	res = lti_query_row(conn, req,
						"SELECT problem, view::text, platform_id, registered_issuer, registered_client_id, "
						"registered_jwks_url, array_to_json(algorithms)::text, array_to_json(deployment_ids)::text "
						"FROM microcred.lti_launch($1, $2, $3::uuid, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
						"$13, $14, $15::boolean, $16, $17, $18)",
						18, values, rc);
	if (res == NULL)
		return -1;
	if (PQnfields(res) != 8)
	{
		PQclear(res);
		*rc = lti_db_down(conn, req, "query_failed");
		return -1;
	}
	a->problem = value_or_null(res, 0);
	a->view = PQgetisnull(res, 0, 1) ? NULL : json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	if (a->problem != NULL && strcmp(a->problem, "registration") == 0)
	{
		a->reg.platform_id = value_or_null(res, 2);
		a->reg.platform_issuer = value_or_null(res, 3);
		a->reg.client_id = value_or_null(res, 4);
		a->reg.jwks_url = value_or_null(res, 5);
		a->reg.algorithms = PQgetisnull(res, 0, 6) ? NULL : json_loads(PQgetvalue(res, 0, 6), 0, NULL);
		a->reg.deployment_ids = PQgetisnull(res, 0, 7) ? json_array()
			: json_loads(PQgetvalue(res, 0, 7), 0, NULL);
	}
	PQclear(res);
	if ((a->problem != NULL && strcmp(a->problem, "registration") == 0 &&
		 (a->reg.platform_id == NULL || a->reg.platform_issuer == NULL || a->reg.client_id == NULL ||
		  a->reg.jwks_url == NULL || !json_is_array(a->reg.algorithms) ||
		  !json_is_array(a->reg.deployment_ids))) ||
		(a->problem == NULL && c != NULL && strcmp(c->message_type, "LtiDeepLinkingRequest") != 0 &&
		 !json_is_object(a->view)))
	{
		launch_answer_free(a);
		*rc = lti_db_down(conn, req, "query_failed");
		return -1;
	}
	return 0;
}

/* a problem of the state or the nonce, as lti_launch() or lti_consume_login() names it */
static unsigned int
refuse_problem(struct MHD_Connection *conn, http_request *req, const char *problem)
{
	const char *code = lti_failure_label(problem);

	if (strcmp(code, "nonce_mismatch") == 0)
		return lti_refuse(conn, req, MHD_HTTP_UNAUTHORIZED, code,
						  "The id_token's nonce is not the one issued with this login.");
	if (strcmp(code, "target_link_uri_mismatch") == 0)
		return lti_refuse(conn, req, MHD_HTTP_UNAUTHORIZED, code,
						  "The id_token's target_link_uri is not the one the login was started for.");
	if (strcmp(code, "registration_changed") == 0)
		return lti_refuse(conn, req, MHD_HTTP_UNAUTHORIZED, code,
						  "The platform's registration changed during this launch. Open the tool again.");
	return lti_refuse(conn, req, MHD_HTTP_UNAUTHORIZED, code,
					  strcmp(code, "state_expired") == 0 ? "The login took too long. Open the tool again."
					  : strcmp(code, "state_used") == 0 ? "This launch was already used. Open the tool again."
					  : "The launch's state is not known here.");
}

/*
 * The token failed against the registration the database named: spend the
 * state all the same (lti_consume_login) and answer its problem, if it has
 * one, else the token's.
 */
static unsigned int
spend_and_refuse(struct MHD_Connection *conn, http_request *req, const char *state,
				 const char *nonce, idt_reason r, const idt_error *err)
{
	const char *values[2] = {state, nonce ? nonce : ""};
	unsigned int rc;
	PGresult   *res = lti_query_row(conn, req, "SELECT problem FROM microcred.lti_consume_login($1, $2)",
									2, values, &rc);

	if (res == NULL)
		return rc;
	if (!PQgetisnull(res, 0, 0) && strcmp(PQgetvalue(res, 0, 0), "nonce_mismatch") != 0)
	{
		rc = refuse_problem(conn, req, PQgetvalue(res, 0, 0));
		PQclear(res);
		return rc;
	}
	PQclear(res);
	return lti_refuse(conn, req, r == IDT_JWKS_UNAVAILABLE ? MHD_HTTP_BAD_GATEWAY : MHD_HTTP_UNAUTHORIZED,
					  idt_reason_code(r), err->message);
}

/* 64 hex digits of fresh randomness, or "" */
static void
random_hex(char out[65])
{
	unsigned char raw[32];

	out[0] = '\0';
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	OPENSSL_cleanse(raw, sizeof(raw));
}

/* the form and the state cookie: 0, or the refusal queued in *rc */
static int
launch_form(struct MHD_Connection *conn, http_request *req, char *token, size_t cap,
			char *state, size_t state_len, unsigned int *rc)
{
	const char *body = req->body ? req->body : "";
	const char *cookie;

	if (form_value(body, "id_token", token, cap) != 1 || token[0] == '\0')
		*rc = lti_refuse(conn, req, MHD_HTTP_BAD_REQUEST, "id_token_missing",
						 "The launch did not carry an id_token.");
	else if (form_value(body, "state", state, state_len) != 1 || state[0] == '\0')
		*rc = lti_refuse(conn, req, MHD_HTTP_BAD_REQUEST, "state_missing",
						 "The launch did not carry the login state.");
	/* the state must come back to the browser that started the login */
	else if ((cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "mc_lti_state")) == NULL ||
			 cookie[0] == '\0')
		*rc = lti_refuse(conn, req, MHD_HTTP_UNAUTHORIZED, "state_cookie_missing",
						 "This browser did not start the login of this launch (no state cookie). "
						 "If the LMS shows the tool in a frame, the browser may block third-party cookies: open it in a new window.");
	else if (strlen(cookie) != strlen(state) || CRYPTO_memcmp(cookie, state, strlen(state)) != 0)
		*rc = lti_refuse(conn, req, MHD_HTTP_UNAUTHORIZED, "state_mismatch",
						 "The launch's state is not the one this browser's login started with.");
	else
		return 0;
	return -1;
}

/*
 * Validate the token and spend the state: on 0, *claims, *l (the
 * registration) and *a (lti_launch()'s good answer) are the caller's;
 * otherwise the refusal is queued in *rc.
 */
static int
launch_checks(struct MHD_Connection *conn, http_request *req, const char *token, const char *state,
			  const char *wallet_key, login_row *l, idt_claims **claims, launch_answer *a,
			  unsigned int *rc)
{
	char	   *iss = NULL,
			   *client = NULL,
			   *nonce = NULL;
	int			have,
				fresh = 0;
	idt_error	err;
	idt_reason	r;

	idt_peek_client(token, strlen(token), &iss, &client);
	idt_peek_nonce(token, strlen(token), &nonce);
	have = lti_registry_get(iss, client, l);
	free(iss);
	free(client);
	/* at most: a stale cached registration, the state's, and one change during the launch */
	for (int round = 0;; round++)
	{
		if (round == 4)
		{
			*rc = refuse_problem(conn, req, "registration_changed");
			break;
		}
		if (!have)
		{
			/* which registration did the login start for?  (nothing spent yet) */
			if (call_launch(conn, req, state, nonce, NULL, NULL, NULL, a, rc) != 0)
				break;
			if (a->problem == NULL || strcmp(a->problem, "registration") != 0)
			{
				*rc = refuse_problem(conn, req, a->problem ? a->problem : "unknown_state");
				launch_answer_free(a);
				break;
			}
			login_row_free(l);
			*l = a->reg;
			memset(&a->reg, 0, sizeof(a->reg));
			launch_answer_free(a);
			lti_registry_put(l);
			have = fresh = 1;
		}
		r = verify_token(req, l, token, claims, &err);
		if (r == IDT__COUNT)
		{
			*rc = respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
			break;
		}
		if (r != IDT_OK && !fresh)
		{
			/* the cached registration may be stale: ask for the state's */
			login_row_free(l);
			have = 0;
			continue;
		}
		if (r != IDT_OK)
		{
			*rc = spend_and_refuse(conn, req, state, nonce, r, &err);
			break;
		}
		if (call_launch(conn, req, state, (*claims)->nonce, l, *claims, wallet_key, a, rc) != 0)
			break;
		if (a->problem != NULL && strcmp(a->problem, "registration") == 0)
		{
			/* changed since it was cached (or the state is another's): use the current one */
			idt_claims_free(*claims);
			*claims = NULL;
			login_row_free(l);
			*l = a->reg;
			memset(&a->reg, 0, sizeof(a->reg));
			launch_answer_free(a);
			lti_registry_put(l);
			have = fresh = 1;
			continue;
		}
		if (a->problem != NULL)
		{
			*rc = refuse_problem(conn, req, a->problem);
			launch_answer_free(a);
			break;
		}
		free(nonce);
		return 0;
	}
	free(nonce);
	idt_claims_free(*claims);
	*claims = NULL;
	login_row_free(l);
	return -1;
}

unsigned int
lti_handle_launch(struct MHD_Connection *conn, http_request *req)
{
	size_t		cap = req->body_len + 1;
	char	   *token = malloc(cap);
	char		state[128];
	char		wallet_key[65];
	login_row	l = {0};
	idt_claims *claims = NULL;
	launch_answer a = {0};
	unsigned int rc;

	if (token == NULL)
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	if (launch_form(conn, req, token, cap, state, sizeof(state), &rc) != 0)
	{
		free(token);
		return rc;
	}
	random_hex(wallet_key);
	if (launch_checks(conn, req, token, state, wallet_key[0] ? wallet_key : NULL, &l, &claims, &a,
					  &rc) != 0)
	{
		free(token);
		return rc;
	}
	free(token);
	/* the state did its job: forget it in this browser */
	snprintf(req->cookie, sizeof(req->cookie),
			 "mc_lti_state=; Path=/lti/; Max-Age=0; SameSite=None; Secure; HttpOnly");
	if (strcmp(claims->message_type, "LtiDeepLinkingRequest") == 0)
		rc = lti_launch_deep_linking(conn, req, &l, claims);
	else
		rc = lti_launch_page(conn, req, a.view, lti_is_instructor(claims->roles), state,
							 wallet_key[0] ? wallet_key : NULL);
	OPENSSL_cleanse(wallet_key, sizeof(wallet_key));
	launch_answer_free(&a);
	login_row_free(&l);
	idt_claims_free(claims);
	return rc;
}
