/*-------------------------------------------------------------------------
 *
 * ld_cases.c
 *	  launch_driver: the table of id_token cases (every check of the validator) and its runner.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "jose_helpers.h"
#include "launch_driver.h"
#include "mock_platform.h"
#include "../lib/tap.h"

/* ---- the table of id_token cases ------------------------------------ */




static const tcase cases[] = {
	/* shape and header */
	{"1EdTech bad payload: not a 3-part JWT (two parts)", 0, 0, NULL, NULL, NULL, H_STD, T_TWO_PARTS, 401, "not_3_parts"},
	{"not a JWT at all", 0, 0, NULL, NULL, NULL, H_STD, T_NOT_JWT, 401, "not_3_parts"},
	{"four parts", 0, 0, NULL, NULL, NULL, H_STD, T_FOUR_PARTS, 401, "not_3_parts"},
	{"a token over 64 KiB", 0, 0, NULL, NULL, NULL, H_STD, T_TOO_LARGE, 401, "too_large"},
	{"a header that is not JSON", 0, 0, NULL, NULL, NULL, H_NOT_JSON, T_NONE, 401, "bad_header"},
	{"a header with crit", 0, 0, NULL, NULL, NULL, H_CRIT, T_NONE, 401, "bad_header"},
	{"alg none refused", 0, 0, NULL, NULL, NULL, H_ALG_NONE, T_NONE, 401, "alg_not_allowed"},
	{"HS256 (keyed with the public modulus) refused", 0, 0, NULL, NULL, NULL, H_HS256, T_NONE, 401, "alg_not_allowed"},
	{"ES256 refused when the registration pins RS256", 0, 0, NULL, NULL, NULL, H_ES256, T_NONE, 401, "alg_not_allowed"},
	{"1EdTech bad payload: no kid", 0, 0, NULL, NULL, NULL, H_NO_KID, T_NONE, 401, "kid_missing"},
	{"1EdTech bad payload: wrong kid", 0, 0, NULL, NULL, NULL, H_WRONG_KID, T_NONE, 401, "kid_unknown"},
	{"RS256 naming an EC key", 0, 0, NULL, NULL, NULL, H_EC_KID, T_NONE, 401, "key_alg_mismatch"},
	{"signed by another key under this kid", 0, 0, NULL, NULL, NULL, H_STD, T_OTHER_KEY, 401, "bad_signature"},
	{"a signature with a flipped byte", 0, 0, NULL, NULL, NULL, H_STD, T_FLIP_SIG, 401, "bad_signature"},
	{"a signed payload that is not an object", 0, 0, NULL, NULL, NULL, H_STD, T_PAYLOAD_ARRAY, 401, "bad_payload"},
	/* OpenID Connect claims */
	{"iss of another platform", 0, 0, NULL, "iss", "\"https://evil.example\"", H_STD, T_NONE, 401, "iss_mismatch"},
	{"iss missing", 0, 0, "iss", NULL, NULL, H_STD, T_NONE, 401, "iss_mismatch"},
	{"aud of another client", 0, 0, NULL, "aud", "\"another-client\"", H_STD, T_NONE, 401, "aud_mismatch"},
	{"aud missing", 0, 0, "aud", NULL, NULL, H_STD, T_NONE, 401, "aud_mismatch"},
	{"two audiences without azp", 0, 0, NULL, "aud", "[\"" CLIENT_ID "\", \"another-client\"]", H_STD, T_NONE, 401, "azp_mismatch"},
	{"azp of another client", 0, 0, NULL, "azp", "\"another-client\"", H_STD, T_NONE, 401, "azp_mismatch"},
	{"exp missing", 0, 0, "exp", NULL, NULL, H_STD, T_NONE, 401, "exp_missing"},
	{"1EdTech bad payload: expired exp", 0, 0, NULL, "exp", "NOW-3600", H_STD, T_NONE, 401, "expired"},
	{"iat missing", 0, 0, "iat", NULL, NULL, H_STD, T_NONE, 401, "iat_missing"},
	{"iat in the future", 0, 0, NULL, "iat", "NOW+3600", H_STD, T_NONE, 401, "iat_future"},
	{"nonce missing", 0, 0, "nonce", NULL, NULL, H_STD, T_NONE, 401, "nonce_missing"},
	{"nonce of another login", 0, 0, NULL, "nonce", "\"a-nonce-this-bridge-never-issued\"", H_STD, T_NONE, 401, "nonce_mismatch"},
	/* LTI claims */
	{"1EdTech bad payload: wrong LTI version", 0, 0, NULL, LTI "version", "\"1.2.0\"", H_STD, T_NONE, 401, "bad_version"},
	{"1EdTech bad payload: no LTI version", 0, 0, LTI "version", NULL, NULL, H_STD, T_NONE, 401, "bad_version"},
	{"1EdTech bad payload: no message_type", 0, 0, LTI "message_type", NULL, NULL, H_STD, T_NONE, 401, "bad_message_type"},
	{"an unsupported message_type", 0, 0, NULL, LTI "message_type", "\"LtiSubmissionReviewRequest\"", H_STD, T_NONE, 401, "bad_message_type"},
	{"1EdTech bad payload: no deployment_id", 0, 0, LTI "deployment_id", NULL, NULL, H_STD, T_NONE, 401, "deployment_missing"},
	{"an unknown deployment_id", 0, 0, NULL, LTI "deployment_id", "\"dep-unknown\"", H_STD, T_NONE, 401, "unknown_deployment"},
	{"1EdTech bad payload: no roles", 0, 0, LTI "roles", NULL, NULL, H_STD, T_NONE, 401, "roles_missing"},
	{"roles as a string", 0, 0, NULL, LTI "roles", "\"" ROLE_LEARNER "\"", H_STD, T_NONE, 401, "bad_roles"},
	{"roles holding a number", 0, 0, NULL, LTI "roles", "[1]", H_STD, T_NONE, 401, "bad_roles"},
	{"1EdTech bad payload: empty sub", 0, 0, NULL, "sub", "\"\"", H_STD, T_NONE, 401, "sub_empty"},
	{"sub that is not a string", 0, 0, NULL, "sub", "42", H_STD, T_NONE, 401, "sub_empty"},
	{"1EdTech bad payload: no resource_link id", 0, 0, NULL, LTI "resource_link", "{\"title\": \"x\"}", H_STD, T_NONE, 401, "resource_link_missing"},
	{"no resource_link", 0, 0, LTI "resource_link", NULL, NULL, H_STD, T_NONE, 401, "resource_link_missing"},
	{"no target_link_uri", 0, 0, LTI "target_link_uri", NULL, NULL, H_STD, T_NONE, 401, "target_link_uri_missing"},
	{"target_link_uri not the login's", 0, 0, NULL, LTI "target_link_uri", "\"" PUBLIC_BASE "/lti/elsewhere\"", H_STD, T_NONE, 401, "target_link_uri_mismatch"},
	{"deep linking without sub", 1, 1, "sub", NULL, NULL, H_STD, T_NONE, 401, "sub_missing"},
	{"deep linking without deep_linking_settings", 1, 1, LTI_DL "deep_linking_settings", NULL, NULL, H_STD, T_NONE, 401, "deep_linking_settings_missing"},
	{"deep linking without a return URL", 1, 1, NULL, LTI_DL "deep_linking_settings", "{\"accept_types\": [\"ltiResourceLink\"]}", H_STD, T_NONE, 401, "deep_linking_settings_missing"},
	{"deep linking by a learner", 1, 0, NULL, NULL, NULL, H_STD, T_NONE, 403, "not_instructor"},
	{"deep linking where links are not accepted", 1, 1, NULL, LTI_DL "deep_linking_settings", "{\"deep_link_return_url\": \"http://127.0.0.1:1/r\", \"accept_types\": [\"html\"]}", H_STD, T_NONE, 400, "dl_type_not_accepted"},
	{"deep linking outside a course", 1, 1, LTI "context", NULL, NULL, H_STD, T_NONE, 400, "context_missing"},
	/* valid variants */
	{"1EdTech valid: no PII claims", 0, 0, "name", NULL, NULL, H_STD, T_NONE, 200, "learner-credential"},
	{"1EdTech valid: multiple roles", 0, 0, NULL, LTI "roles", "[\"" ROLE_LEARNER "\", \"" ROLE_STUDENT "\", \"" LIS "membership#Mentor\"]", H_STD, T_NONE, 200, "learner-credential"},
	{"1EdTech valid: unknown roles only", 0, 0, NULL, LTI "roles", "[\"http://example.com/roles#Wizard\", \"Wizard\"]", H_STD, T_NONE, 200, "learner-credential"},
	{"1EdTech valid: roles [\"\"]", 0, 0, NULL, LTI "roles", "[\"\"]", H_STD, T_NONE, 200, "learner-credential"},
	{"valid: roles []", 0, 0, NULL, LTI "roles", "[]", H_STD, T_NONE, 200, "learner-credential"},
	{"valid: anonymous launch without sub", 0, 0, "sub", NULL, NULL, H_STD, T_NONE, 200, "learner-pending"},
	{"valid: two audiences with azp", 0, 0, NULL, "aud", "[\"" CLIENT_ID "\", \"another-client\"]", H_STD, T_NONE, 200, "learner-credential"},
	{"valid: the short role Instructor", 0, 0, NULL, LTI "roles", "[\"Instructor\"]", H_STD, T_NONE, 200, "instructor"},
	{"valid: ContentDeveloper is an instructor", 0, 0, NULL, LTI "roles", "[\"" LIS "membership#ContentDeveloper\"]", H_STD, T_NONE, 200, "instructor"},
	{"valid: a context Administrator is an instructor", 0, 0, NULL, LTI "roles", "[\"" LIS "membership#Administrator\"]", H_STD, T_NONE, 200, "instructor"},
	{"valid: an institution Administrator is an instructor", 0, 0, NULL, LTI "roles", "[\"" LIS "institution/person#Administrator\"]", H_STD, T_NONE, 200, "instructor"},
	{"valid: iat and exp within the leeway", 0, 0, NULL, "iat", "NOW+30", H_STD, T_NONE, 200, "learner-credential"},
	{"valid: deep linking without target_link_uri", 1, 1, LTI "target_link_uri", NULL, NULL, H_STD, T_NONE, 200, "deep-linking"},
};

/* a JSON value of a case, with NOW+N / NOW-N as times */
json_t *
case_value(const char *val)
{
	if (strncmp(val, "NOW", 3) == 0)
		return json_integer((json_int_t) time(NULL) + atol(val + 3));
	return json_loads(val, JSON_DECODE_ANY, NULL);
}

/* the token of a case for login l; malloc'd */
char *
case_token(const tcase *c, const login *l)
{
	json_t	   *claims = c->dl ? dl_claims(l->nonce, AOIFE, c->instructor, DL_COURSE, "dl-case")
		: rl_claims(l->nonce, AOIFE, c->instructor, COURSE);
	char		hdr[256];
	char	   *payload;
	char	   *tok = NULL;
	int			other = cur_key == 0 ? 1 : 0;

	if (c->del)
		json_object_del(claims, c->del);
	if (c->del && strcmp(c->del, "name") == 0)
	{
		/* "no PII": every personal claim goes */
		json_object_del(claims, "given_name");
		json_object_del(claims, "family_name");
		json_object_del(claims, "email");
		json_object_del(claims, LTI "lis");
	}
	if (c->set)
		json_object_set_new(claims, c->set, case_value(c->val));
	if (c->set && strcmp(c->set, "aud") == 0 && c->status == 200)
		json_object_set_new(claims, "azp", json_string(CLIENT_ID));
	if (c->tweak == T_TOO_LARGE)
	{
		char	   *pad = malloc(70001);

		memset(pad, 'a', 70000);
		pad[70000] = '\0';
		json_object_set_new(claims, "padding", json_string(pad));
		free(pad);
	}
	payload = c->tweak == T_PAYLOAD_ARRAY ? strdup("[1,2,3]") : json_dumps(claims, JSON_COMPACT);
	switch (c->hdr)
	{
		case H_STD:
			snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", mock_kid(mock, cur_key));
			tok = sign_raw(hdr, payload, "RS256", c->tweak == T_OTHER_KEY ? other : cur_key);
			break;
		case H_NO_KID:
			tok = sign_raw("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", payload, "RS256", cur_key);
			break;
		case H_WRONG_KID:
			tok = sign_raw("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"no-such-kid\"}", payload, "RS256", cur_key);
			break;
		case H_CRIT:
			snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%s\",\"crit\":[\"x-mock\"],\"x-mock\":1}",
					 mock_kid(mock, cur_key));
			tok = sign_raw(hdr, payload, "RS256", cur_key);
			break;
		case H_NOT_JSON:
			tok = sign_raw("{\"alg\":\"RS256\",", payload, "RS256", cur_key);
			break;
		case H_ALG_NONE:
			snprintf(hdr, sizeof(hdr), "{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"%s\"}", mock_kid(mock, cur_key));
			tok = sign_compact(hdr, payload, strlen(payload), "none", NULL, NULL, 0);
			break;
		case H_HS256:
			{
				json_t	   *jwk = jwk_of(mock_key(mock, cur_key), NULL, NULL);
				const char *n = json_string_value(json_object_get(jwk, "n"));

				snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", mock_kid(mock, cur_key));
				tok = sign_compact(hdr, payload, strlen(payload), "HS256", NULL,
								   (const unsigned char *) n, strlen(n));
				json_decref(jwk);
				break;
			}
		case H_EC_KID:
			snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", mock_kid(mock, MOCK_EC_KEY));
			tok = sign_raw(hdr, payload, "RS256", cur_key);
			break;
		case H_ES256:
			snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", mock_kid(mock, MOCK_EC_KEY));
			tok = sign_raw(hdr, payload, "ES256", MOCK_EC_KEY);
			break;
	}
	free(payload);
	json_decref(claims);
	switch (c->tweak)
	{
		case T_TWO_PARTS:
			*strrchr(tok, '.') = '\0';
			break;
		case T_NOT_JWT:
			free(tok);
			tok = strdup("this-is-not-a-jwt");
			break;
		case T_FOUR_PARTS:
			{
				char	   *t = fmt("%s.AAAA", tok);

				free(tok);
				tok = t;
				break;
			}
		case T_FLIP_SIG:
			{
				char	   *s = strrchr(tok, '.') + 10;

				*s = *s == 'A' ? 'B' : 'A';
				break;
			}
		default:
			break;
	}
	return tok;
}

int	pages_echoing_token;	/* refusal pages holding the token's signature */
int	refusals_not_html;

void
run_case(const tcase *c)
{
	login		l;
	char	   *tok;
	launch		x;

	if (login_std(&l) != 0)
	{
		tap_ok(0, "%s: login", c->name);
		return;
	}
	tok = case_token(c, &l);
	post_launch(tok, l.state, l.state, &x);
	if (c->status == 200)
		expect_view(&x, c->want, c->name);
	else
	{
		const char *sig = strrchr(tok, '.');

		expect_refusal(&x, c->status, c->want, c->name);
		if (sig && strlen(sig) > 20 && x.body && strstr(x.body, sig + 1))
			pages_echoing_token++;
		if (x.content_type == NULL || strncmp(x.content_type, "text/html", 9) != 0 ||
			!streq(x.view, "error") || x.body == NULL || strstr(x.body, "data-reason=\"") == NULL)
			refusals_not_html++;
	}
	launch_free(&x);
	free(tok);
	login_free(&l);
}


/* every case of the table */
void
run_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}
