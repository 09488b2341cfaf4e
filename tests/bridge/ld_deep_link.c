/*-------------------------------------------------------------------------
 *
 * ld_deep_link.c
 *	  launch_driver: deep linking end to end and client assertions.
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

/* POST /lti/deep-link */
void
post_deep_link(const char *dl, const char *type, launch *x)
{
	char	   *e_dl = dl ? enc(dl) : NULL;
	char	   *e_t = type ? enc(type) : NULL;
	char	   *body = fmt("%s%s%s%s%s", e_dl ? "dl=" : "", e_dl ? e_dl : "", e_dl && e_t ? "&" : "",
						   e_t ? "credential_type=" : "", e_t ? e_t : "");
	char	   *url = at_bridge("/lti/deep-link");
	http_resp	r;

	memset(x, 0, sizeof(*x));
	x->status = http_req(url, body, NULL, NULL, NULL, &r);
	x->code = header(&r, "X-LTI-Error");
	cause(x->code);
	x->view = attr(r.body, "data-view=\"");
	x->body = r.body;
	r.body = NULL;
	resp_free(&r);
	free(url);
	free(body);
	free(e_dl);
	free(e_t);
}

/* an instructor's deep linking request; the choice page's dl handle (malloc'd) or NULL */
char *
deep_linking_request(const char *data, launch *x)
{
	login		l;
	json_t	   *claims;
	char	   *tok;
	char	   *dl;

	memset(x, 0, sizeof(*x));
	if (login_with(mock_base(mock), CLIENT_ID, "user-teacher", LAUNCH_URL, NULL, &l) != 0)
		return NULL;
	claims = dl_claims(l.nonce, "user-teacher", 1, DL_COURSE, data);
	json_object_set_new(json_object_get(claims, LTI "context"), "title", json_string("Python 202"));
	tok = sign_std(claims);
	post_launch(tok, l.state, l.state, x);
	dl = hidden_input(x->body, "dl");
	free(tok);
	json_decref(claims);
	login_free(&l);
	return dl;
}

void
test_deep_linking(void)
{
	launch		x;
	char	   *dl,
			   *dl2;
	char	   *py = sql("SELECT id::text FROM microcred.credential_type WHERE code = 'PY-DATA'", NULL);
	char	   *want_types = sql("SELECT string_agg(ct.id::text, ',' ORDER BY ct.id::text) FROM microcred.credential_type ct"
								 " JOIN microcred.issuer i ON i.id = ct.issuer_id WHERE i.handle = 'demo-uas'"
								 " AND ct.retired_at IS NULL", NULL);
	char	   *got_types = NULL;
	char	   *jwt,
			   *action,
			   *ret = fmt("%s/dl-return", mock_base(mock));

	dl = deep_linking_request("opaque-platform-data", &x);
	expect_view(&x, "deep-linking", "an instructor's LtiDeepLinkingRequest");
	tap_ok(dl != NULL && strlen(dl) >= 32, "the choice page carries a dl handle");
	tap_ok(x.body && strstr(x.body, "action=\"/lti/deep-link\"") && strstr(x.body, "method=\"post\""),
		   "the choice page posts to /lti/deep-link");
	{
		/* every button's credential_type, sorted, against the awarding body's active types */
		const char *p = x.body;
		char	   *vals[16];
		int			n = 0;
		char	   *v;
		size_t		total = 1;

		while (n < 16 && (v = attr_after(p, "name=\"credential_type\" value=\"", &p)) != NULL)
			vals[n++] = v;
		for (int i = 0; i < n; i++)
			for (int j = i + 1; j < n; j++)
				if (strcmp(vals[i], vals[j]) > 0)
				{
					char	   *t = vals[i];

					vals[i] = vals[j];
					vals[j] = t;
				}
		for (int i = 0; i < n; i++)
			total += strlen(vals[i]) + 1;
		got_types = calloc(1, total);
		for (int i = 0; i < n; i++)
		{
			if (i)
				strcat(got_types, ",");
			strcat(got_types, vals[i]);
			free(vals[i]);
		}
		tap_ok(streq(got_types, want_types), "one button per active credential type of the awarding body (%d)", n);
		if (!streq(got_types, want_types))
			tap_diag("  buttons %s, SQL %s", nz(got_types), nz(want_types));
	}
	tap_ok(x.body && strstr(x.body, "Python for Data Analysis") && strstr(x.body, "EQF level 5") &&
		   strstr(x.body, "ECTS"), "the buttons show title, EQF level and ECTS");
	launch_free(&x);

	/* the refusals of /lti/deep-link */
	post_deep_link(NULL, py, &x);
	expect_refusal(&x, 400, "dl_missing", "deep-link: no dl");
	launch_free(&x);
	post_deep_link("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", py, &x);
	expect_refusal(&x, 401, "dl_unknown", "deep-link: a dl this bridge never issued");
	launch_free(&x);
	post_deep_link(dl, "00000000-0000-4000-8000-000000000000", &x);
	expect_refusal(&x, 400, "credential_type_unknown", "deep-link: a credential type that does not exist");
	launch_free(&x);

	/* the choice */
	post_deep_link(dl, py, &x);
	expect_view(&x, "deep-linking-response", "deep-link: the instructor chooses PY-DATA");
	action = attr(x.body, "action=\"");
	jwt = hidden_input(x.body, "JWT");
	{
		char	   *form = fmt("method=\"post\" action=\"%s\"", ret);

		tap_ok(streq(action, ret) && x.body && strstr(x.body, form),
			   "the response form posts (method post) to the platform's deep_link_return_url");
		free(form);
	}
	launch_free(&x);
	{
		http_resp	r;
		char	   *u = at_bridge("/lti/jwks");
		json_t	   *jwks,
				   *h = NULL,
				   *c = NULL,
				   *items,
				   *item;
		char		err[200] = "";
		time_t		now = time(NULL);

		http_req(u, NULL, NULL, NULL, NULL, &r);
		free(u);
		jwks = json_loads(r.body, 0, NULL);
		resp_free(&r);
		tap_ok(jwt && jwt_verify_rs256(jwt, jwks, &h, &c, err, sizeof(err)) == 0,
			   "the response JWT verifies RS256 with a key of GET /lti/jwks (by kid)");
		if (err[0])
			tap_diag("  %s", err);
		tap_ok(streq(json_string_value(json_object_get(h, "alg")), "RS256") && json_object_get(h, "kid"),
			   "its header: alg RS256 and a kid");
		tap_ok(streq(json_string_value(json_object_get(c, "iss")), CLIENT_ID), "claim iss is our client_id");
		tap_ok(streq(json_string_value(json_object_get(c, "aud")), mock_base(mock)) ||
			   (json_is_array(json_object_get(c, "aud")) &&
				streq(json_string_value(json_array_get(json_object_get(c, "aud"), 0)), mock_base(mock))),
			   "claim aud is the platform issuer");
		tap_ok(json_is_string(json_object_get(c, "nonce")) && strlen(json_string_value(json_object_get(c, "nonce"))) >= 16,
			   "claim nonce is present");
		tap_ok(json_is_integer(json_object_get(c, "iat")) &&
			   llabs((long long) json_integer_value(json_object_get(c, "iat")) - (long long) now) <= 60 &&
			   json_integer_value(json_object_get(c, "exp")) > json_integer_value(json_object_get(c, "iat")),
			   "claims iat (now) and exp (later)");
		tap_ok(streq(json_string_value(json_object_get(c, LTI "message_type")), "LtiDeepLinkingResponse") &&
			   streq(json_string_value(json_object_get(c, LTI "version")), "1.3.0") &&
			   streq(json_string_value(json_object_get(c, LTI "deployment_id")), DEPLOYMENT),
			   "message_type LtiDeepLinkingResponse, version 1.3.0, the request's deployment_id");
		tap_ok(streq(json_string_value(json_object_get(c, LTI_DL "data")), "opaque-platform-data"),
			   "the request's data is echoed");
		items = json_object_get(c, LTI_DL "content_items");
		item = json_array_get(items, 0);
		tap_ok(json_array_size(items) == 1 &&
			   streq(json_string_value(json_object_get(item, "type")), "ltiResourceLink") &&
			   streq(json_string_value(json_object_get(item, "url")), LAUNCH_URL) &&
			   streq(json_string_value(json_object_get(item, "title")), "Python for Data Analysis") &&
			   json_is_string(json_object_get(item, "text")) &&
			   streq(json_string_value(json_object_get(json_object_get(item, "custom"), "microcred_credential_type")), py),
			   "one ltiResourceLink: title, text, url = our launch URL, custom microcred_credential_type = the choice");
		json_decref(jwks);
		json_decref(h);
		json_decref(c);
	}
	/* the platform receives it */
	if (jwt && action)
	{
		http_resp	r;
		char	   *e = enc(jwt);
		char	   *body = fmt("JWT=%s", e);
		json_t	   *got;

		http_req(action, body, NULL, NULL, NULL, &r);
		got = mock_last_dl_response(mock);
		tap_ok(r.status == 200 && got != NULL, "the mock platform accepts the deep linking response");
		if (r.status != 200)
			tap_diag("  %ld %s", r.status, r.body);
		resp_free(&r);
		json_decref(got);
		free(e);
		free(body);
	}
	else
		tap_ok(0, "the mock platform accepts the deep linking response (no form)");
	tap_ok(sql_is("1", "SELECT count(*) FROM microcred.lti_course_mapping m JOIN microcred.credential_type ct"
				  " ON ct.id = m.credential_type_id WHERE m.platform_id = $1 AND m.context_id = '" DL_COURSE "'"
				  " AND ct.code = 'PY-DATA' AND m.created_by = 'deep_linking'", platform_id, NULL),
		   "the choice is stored as the course's mapping");
	post_deep_link(dl, py, &x);
	expect_refusal(&x, 401, "dl_used", "deep-link: the same dl again");
	launch_free(&x);

	/* an expired handle */
	dl2 = deep_linking_request("second", &x);
	launch_free(&x);
	free(sql("UPDATE microcred.lti_deep_link SET expires_at = now() - interval '1 second' WHERE handle = $1"
			 " RETURNING 1", dl2 ? dl2 : "", NULL));
	post_deep_link(dl2, py, &x);
	expect_refusal(&x, 401, "dl_expired", "deep-link: an expired dl");
	launch_free(&x);

	/* the link the platform made launches the chosen type */
	{
		login		l;

		if (login_std(&l) == 0)
		{
			/* in course-101, mapped to GDPR-NURSE, which Aoife holds: the link's own type wins */
			json_t	   *claims = rl_claims(l.nonce, AOIFE, 0, COURSE);
			char	   *tok;

			json_object_set_new(claims, LTI "custom", json_pack("{s:s}", "microcred_credential_type", py));
			tok = sign_std(claims);
			post_launch(tok, l.state, l.state, &x);
			expect_view(&x, "learner-pending", "a link carrying custom microcred_credential_type = PY-DATA, in a GDPR-NURSE course");
			tap_ok(x.body && strstr(x.body, "Python for Data Analysis") && !strstr(x.body, "Data Protection in Clinical"),
				   "the link's custom type wins over the course mapping");
			launch_free(&x);
			free(tok);
			json_decref(claims);
			login_free(&l);
		}
		else
			tap_ok(0, "login for the deep linked resource");
		if (login_std(&l) == 0)
		{
			json_t	   *claims = rl_claims(l.nonce, "user-teacher", 1, DL_COURSE);
			char	   *tok = sign_std(claims);
			char	   *n;

			post_launch(tok, l.state, l.state, &x);
			expect_view(&x, "instructor", "an instructor in the course mapped by deep linking");
			n = attr(x.body, "data-issued=\"");
			tap_ok(streq(n, "0") && x.body && strstr(x.body, "Python for Data Analysis"),
				   "it shows PY-DATA with data-issued=\"0\"");
			free(n);
			launch_free(&x);
			free(tok);
			json_decref(claims);
			login_free(&l);
		}
		else
			tap_ok(0, "login for the instructor of the deep linked course");
		/* the LMS's own ids in custom claims (Canvas $Canvas.course.id): linked for its events */
		if (login_std(&l) == 0)
		{
			json_t	   *claims = rl_claims(l.nonce, "user-teacher", 1, DL_COURSE);
			char	   *tok;

			json_object_set_new(claims, LTI "custom", json_pack("{s:s, s:s}", "lms_course_id", "$Canvas.course.id",
																"lms_user_id", "$Canvas.user.id"));
			tok = sign_std(claims);
			post_launch(tok, l.state, l.state, &x);
			expect_view(&x, "instructor", "an instructor launch whose custom ids the LMS did not substitute");
			tap_ok(sql_is("0", "SELECT count(*) FROM microcred.lti_course_mapping WHERE platform_id = $1"
						  " AND context_id !~ '^course-'", platform_id, NULL),
				   "an unsubstituted $Canvas.course.id maps nothing");
			launch_free(&x);
			free(tok);
			json_decref(claims);
			login_free(&l);
		}
		else
			tap_ok(0, "login for the unsubstituted custom ids");
		/* a platform not trusted with them (the default: Moodle teachers can type custom parameters) */
		if (login_std(&l) == 0)
		{
			json_t	   *claims = rl_claims(l.nonce, "user-teacher", 1, DL_COURSE);
			char	   *tok;

			json_object_set_new(claims, LTI "custom", json_pack("{s:s, s:s}", "lms_course_id", "88124",
																"lms_user_id", "77002"));
			tok = sign_std(claims);
			post_launch(tok, l.state, l.state, &x);
			expect_view(&x, "instructor", "an instructor launch with custom LMS ids on an untrusted platform");
			tap_ok(sql_is("0", "SELECT count(*) FROM microcred.lti_course_mapping WHERE platform_id = $1"
						  " AND context_id = '88124'", platform_id, NULL),
				   "an untrusted platform's custom lms_course_id maps nothing");
			launch_free(&x);
			free(tok);
			json_decref(claims);
			login_free(&l);
		}
		else
			tap_ok(0, "login for the untrusted custom ids");
		free(sql("SELECT microcred.lti_trust_lms_ids($1::uuid)::text", platform_id, NULL));
		if (login_std(&l) == 0)
		{
			json_t	   *claims = rl_claims(l.nonce, "user-teacher", 1, DL_COURSE);
			char	   *tok;

			json_object_set_new(claims, LTI "custom", json_pack("{s:s, s:s}", "lms_course_id", "88123",
																"lms_user_id", "77001"));
			tok = sign_std(claims);
			post_launch(tok, l.state, l.state, &x);
			expect_view(&x, "instructor", "an instructor launch carrying custom lms_course_id 88123");
			tap_ok(sql_is("1", "SELECT count(*) FROM microcred.lti_course_mapping m JOIN microcred.credential_type ct"
						  " ON ct.id = m.credential_type_id WHERE m.platform_id = $1 AND m.context_id = '88123'"
						  " AND ct.code = 'PY-DATA' AND m.created_by = 'lms_course_id'", platform_id, NULL),
				   "the course's mapping is linked under the LMS's own course id, for its completion events");
			launch_free(&x);
			free(tok);
			json_decref(claims);
			login_free(&l);
		}
		else
			tap_ok(0, "login for the custom LMS ids");
	}
	free(dl);
	free(dl2);
	free(jwt);
	free(action);
	free(ret);
	free(py);
	free(want_types);
	free(got_types);
}

/* POST the mock's /token; its status, and the body in *body (malloc'd) */
long
post_token(const char *grant, const char *assertion, char **body)
{
	char	   *e = enc(assertion);
	char	   *form = fmt("grant_type=%s&client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%3Ajwt-bearer"
						   "&client_assertion=%s&scope=https%%3A%%2F%%2Fpurl.imsglobal.org%%2Fspec%%2Flti-ags%%2Fscope%%2Fscore",
						   grant, e);
	char	   *url = fmt("%s/token", mock_base(mock));
	http_resp	r;
	long		st = http_req(url, form, NULL, NULL, NULL, &r);

	if (body)
	{
		*body = r.body;
		r.body = NULL;
	}
	resp_free(&r);
	free(e);
	free(form);
	free(url);
	return st;
}

void
test_client_assertion(void)
{
	char	   *a = sql("SELECT microcred.lti_client_assertion($1)", platform_id, NULL);
	char	   *b = sql("SELECT microcred.lti_client_assertion($1)", platform_id, NULL);
	char	   *body = NULL;
	char	   *err;
	json_t	   *doc;
	long		st;

	tap_ok(a != NULL && b != NULL, "microcred.lti_client_assertion() signs an assertion");
	if (a == NULL || b == NULL)
	{
		free(a);
		free(b);
		return;
	}
	{
		const char *d1 = strchr(a, '.');
		const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
		size_t		hl,
					pl;
		unsigned char *hraw = d1 ? b64url_decode(a, (size_t) (d1 - a), &hl) : NULL;
		unsigned char *praw = d2 ? b64url_decode(d1 + 1, (size_t) (d2 - d1 - 1), &pl) : NULL;
		json_t	   *h = hraw ? json_loads((char *) hraw, 0, NULL) : NULL;
		json_t	   *p = praw ? json_loads((char *) praw, 0, NULL) : NULL;
		char	   *token_url = fmt("%s/token", mock_base(mock));

		tap_ok(streq(json_string_value(json_object_get(h, "alg")), "RS256") &&
			   streq(json_string_value(json_object_get(h, "typ")), "JWT") &&
			   json_is_string(json_object_get(h, "kid")), "assertion header: alg RS256, typ JWT, kid");
		tap_ok(streq(json_string_value(json_object_get(p, "iss")), CLIENT_ID) &&
			   streq(json_string_value(json_object_get(p, "sub")), CLIENT_ID) &&
			   streq(json_string_value(json_object_get(p, "aud")), token_url) &&
			   json_integer_value(json_object_get(p, "exp")) - json_integer_value(json_object_get(p, "iat")) == 300 &&
			   json_is_string(json_object_get(p, "jti")),
			   "assertion claims: iss = sub = client_id, aud = the token URL, exp = iat + 300, jti");
		free(token_url);
		free(hraw);
		free(praw);
		json_decref(h);
		json_decref(p);
	}
	st = post_token("client_credentials", a, &body);
	doc = body ? json_loads(body, 0, NULL) : NULL;
	tap_ok(st == 200 && json_is_string(json_object_get(doc, "access_token")) &&
		   streq(json_string_value(json_object_get(doc, "token_type")), "Bearer"),
		   "the mock's token endpoint accepts it (verified with GET /lti/jwks): an access token");
	if (st != 200)
		tap_diag("  /token %ld %s", st, nz(body));
	json_decref(doc);
	free(body);
	st = post_token("client_credentials", a, NULL);
	err = mock_last_token_error(mock);
	tap_ok(st == 401 && err && strstr(err, "replay"), "the same assertion again is refused (jti replay)");
	free(err);
	st = post_token("password", b, NULL);
	tap_ok(st == 400, "grant_type other than client_credentials: 400");
	{
		/* the tool's claims, signed by a key that is not the tool's */
		const char *d1 = strchr(b, '.');
		const char *d2 = strchr(d1 + 1, '.');
		size_t		pl;
		unsigned char *praw = b64url_decode(d1 + 1, (size_t) (d2 - d1 - 1), &pl);
		char	   *forged = sign_raw("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"x\"}", (char *) praw, "RS256", 0);

		st = post_token("client_credentials", forged, NULL);
		tap_ok(st == 401, "an assertion not signed by the tool: 401");
		free(praw);
		free(forged);
	}
	st = post_token("client_credentials", b, NULL);
	tap_ok(st == 200, "a second, fresh assertion is accepted");

	/* the tool rotates its key: the JWKS publishes both, new assertions use the new one */
	{
		char	   *kid = sql("SELECT microcred.lti_tool_key_rotate()", NULL);
		char	   *c = sql("SELECT microcred.lti_client_assertion($1)", platform_id, NULL);
		char	   *u = at_bridge("/lti/jwks");
		http_resp	r;
		json_t	   *jwks,
				   *keys;
		json_t	   *h = NULL,
				   *p = NULL;
		char		why[200];

		http_req(u, NULL, NULL, NULL, NULL, &r);
		jwks = json_loads(r.body, 0, NULL);
		keys = json_object_get(jwks, "keys");
		tap_ok(json_array_size(keys) == 2 && streq(json_string_value(json_object_get(json_array_get(keys, 0), "kid")), kid),
			   "after lti_tool_key_rotate() GET /lti/jwks has the new key first and the old one");
		{
			int			clean = 1;
			size_t		i;
			json_t	   *k;

			json_array_foreach(keys, i, k)
			{
				if (!streq(json_string_value(json_object_get(k, "kty")), "RSA") ||
					!streq(json_string_value(json_object_get(k, "alg")), "RS256") ||
					!streq(json_string_value(json_object_get(k, "use")), "sig") ||
					!json_is_string(json_object_get(k, "n")) || !json_is_string(json_object_get(k, "e")) ||
					json_object_get(k, "d") || json_object_get(k, "p") || json_object_get(k, "q"))
					clean = 0;
			}
			tap_ok(clean && json_array_size(keys) > 0,
				   "GET /lti/jwks: RSA keys with kid, alg RS256, use sig, n, e and no private member");
		}
		tap_ok(c && jwt_verify_rs256(c, jwks, &h, &p, why, sizeof(why)) == 0 &&
			   streq(json_string_value(json_object_get(h, "kid")), kid),
			   "a new assertion is signed with the new key");
		st = post_token("client_credentials", c ? c : "", NULL);
		tap_ok(st == 200, "and the token endpoint accepts it");
		resp_free(&r);
		json_decref(jwks);
		json_decref(h);
		json_decref(p);
		free(u);
		free(c);
		free(kid);
	}
	free(a);
	free(b);
}

