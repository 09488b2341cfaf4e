/*-------------------------------------------------------------------------
 *
 * ld_launch.c
 *	  launch_driver: login, the state, the views, JWKS rotation, the database down.
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

/* the login redirect, the cookie, and one launch through the mock's /auth */
void
test_login_and_full_launch(void)
{
	login		l;
	json_t	   *tmpl = rl_claims("x", AOIFE, 0, COURSE);
	http_resp	r;
	char	   *v,
			   *action,
			   *tok,
			   *state,
			   *auth_prefix = fmt("%s/auth?", mock_base(mock));
	launch		x;

	if (login_with(mock_base(mock), CLIENT_ID, AOIFE, LAUNCH_URL, "msg-hint/42 x", &l) != 0)
	{
		tap_ok(0, "login redirects");
		json_decref(tmpl);
		free(auth_prefix);
		return;
	}
	tap_ok(l.status == 302 && strncmp(l.location, auth_prefix, strlen(auth_prefix)) == 0,
		   "login: 302 to the platform's auth_login_url");
#define PARAM_IS(name, want) \
	v = query_param(l.location, name); \
	tap_ok(streq(v, want), "login redirect: %s=%s", name, want); \
	if (!streq(v, want)) tap_diag("  got %s", nz(v)); \
	free(v)
	PARAM_IS("scope", "openid");
	PARAM_IS("response_type", "id_token");
	PARAM_IS("response_mode", "form_post");
	PARAM_IS("prompt", "none");
	PARAM_IS("client_id", CLIENT_ID);
	PARAM_IS("redirect_uri", LAUNCH_URL);
	PARAM_IS("login_hint", AOIFE);
	PARAM_IS("lti_message_hint", "msg-hint/42 x");
#undef PARAM_IS
	tap_ok(strlen(l.state) >= 32 && strlen(l.nonce) >= 32 && strcmp(l.state, l.nonce) != 0,
		   "login redirect: a long state and a different long nonce");
	tap_ok(sql_is("1", "SELECT count(*) FROM microcred.lti_login_state WHERE state = $1 AND nonce = $2"
				  " AND consumed_at IS NULL AND target_link_uri = '" LAUNCH_URL "'", l.state, l.nonce, NULL),
		   "login: the state and nonce are stored, unspent, with the target_link_uri");
	{
		char	   *want = fmt("mc_lti_state=%s;", l.state);
		const char *c = l.set_cookie ? l.set_cookie : "";

		tap_ok(strncmp(c, want, strlen(want)) == 0, "login: Set-Cookie mc_lti_state=<state>");
		tap_ok(strstr(c, "; SameSite=None") != NULL, "login cookie: SameSite=None");
		tap_ok(strstr(c, "; Secure") != NULL, "login cookie: Secure");
		tap_ok(strstr(c, "; HttpOnly") != NULL, "login cookie: HttpOnly");
		tap_ok(strstr(c, "; Path=/lti/") != NULL, "login cookie: Path=/lti/");
		if (strncmp(c, want, strlen(want)) != 0)
			tap_diag("  Set-Cookie: %s", c);
		free(want);
	}

	/* the platform's side: its authorization endpoint answers the form_post */
	json_object_del(tmpl, "iss");
	json_object_del(tmpl, "aud");
	json_object_del(tmpl, "iat");
	json_object_del(tmpl, "exp");
	json_object_del(tmpl, "nonce");
	json_object_del(tmpl, "sub");
	mock_set_launch_claims(mock, tmpl);
	json_decref(tmpl);
	http_req(l.location, NULL, NULL, NULL, NULL, &r);
	tap_ok(r.status == 200, "mock /auth accepts the bridge's authentication request");
	if (r.status != 200)
		tap_diag("  /auth: %ld %s", r.status, r.body);
	v = mock_last_auth_param(mock, "lti_message_hint");
	tap_ok(streq(v, "msg-hint/42 x"), "mock /auth received the lti_message_hint the platform sent");
	free(v);
	action = attr(r.body, "action=\"");
	tok = hidden_input(r.body, "id_token");
	state = hidden_input(r.body, "state");
	tap_ok(streq(action, LAUNCH_URL) && tok != NULL && streq(state, l.state),
		   "mock /auth: a form_post of id_token and state to redirect_uri");
	resp_free(&r);
	{
		char	   *target = to_bridge(action);
		char	   *base = target ? strndup(target, strlen(target) - strlen("/lti/launch")) : strdup(bridge);

		post_launch_to(base, tok, state, l.state, &x);
		free(target);
		free(base);
	}
	expect_view(&x, "learner-credential", "full launch through the mock's /auth: Aoife's credential");
	tap_ok(x.content_type && strncmp(x.content_type, "text/html", 9) == 0, "the launch page is text/html");
	tap_ok(x.body && cred_url[0] && strstr(x.body, cred_url) != NULL,
		   "the credential page links the credential's public URL");
	tap_ok(x.set_cookie && strstr(x.set_cookie, "mc_lti_state=;") == x.set_cookie &&
		   strstr(x.set_cookie, "Max-Age=0") != NULL,
		   "a launch that succeeded clears the state cookie");
	tap_ok(sql_is("1", "SELECT count(*) FROM microcred.lti_login_state WHERE state = $1 AND consumed_at IS NOT NULL",
				  l.state, NULL), "the launch spent the state");
	launch_free(&x);

	/* the same form_post again */
	post_launch(tok, state, l.state, &x);
	expect_refusal(&x, 401, "state_used", "replaying a launch (same state twice)");
	launch_free(&x);
	free(action);
	free(tok);
	free(state);
	free(auth_prefix);
	login_free(&l);
}

/* the mock's /auth refuses what a platform refuses (so that its 200 above means something) */
void
test_mock_auth_checks(void)
{
	static const struct
	{
		const char *param;
		const char *value;		/* NULL: left out */
	}			bad[] = {
		{"scope", "profile"}, {"response_type", "code"}, {"response_mode", "query"},
		{"prompt", NULL}, {"client_id", "stranger"}, {"redirect_uri", "https://evil.example/lti/launch"},
		{"login_hint", NULL}, {"nonce", NULL}, {"state", NULL},
	};
	static const char *const names[] = {"scope", "response_type", "response_mode", "prompt",
	"client_id", "redirect_uri", "login_hint", "nonce", "state"};
	static const char *const good[] = {"openid", "id_token", "form_post", "none", CLIENT_ID,
	LAUNCH_URL, AOIFE, "n-1", "s-1"};
	int			all = 1;

	for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++)
	{
		char		url[2048];
		size_t		o = (size_t) snprintf(url, sizeof(url), "%s/auth?", mock_base(mock));
		http_resp	r;

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		{
			const char *val = strcmp(names[i], bad[b].param) == 0 ? bad[b].value : good[i];
			char	   *e;

			if (val == NULL)
				continue;
			e = enc(val);
			o += (size_t) snprintf(url + o, sizeof(url) - o, "%s=%s&", names[i], e);
			free(e);
		}
		http_req(url, NULL, NULL, NULL, NULL, &r);
		if (r.status != 400)
		{
			all = 0;
			tap_diag("mock /auth with bad %s answered %ld", bad[b].param, r.status);
		}
		resp_free(&r);
	}
	tap_ok(all, "mock /auth answers 400 to each of 9 malformed authentication requests");
}

/* the login only starts launches of our LTI URLs */
void
test_login_target(void)
{
	static const struct
	{
		const char *target;
		long		status;
		const char *name;
	}			t[] = {
		{PUBLIC_BASE "/lti/launch", 302, "target_link_uri <base>/lti/launch: 302"},
		{PUBLIC_BASE "/lti/launch?x=1", 302, "target_link_uri under <base>/lti/ with a query: 302"},
		{PUBLIC_BASE "/credentials/x", 400, "target_link_uri on our host outside /lti/: 400 (contract: must start with <base>/lti/)"},
		{"https://evil.example/lti/launch", 400, "target_link_uri on another host: 400"},
	};

	login_quiet = 1;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
	{
		login		l;

		login_with(mock_base(mock), CLIENT_ID, AOIFE, t[i].target, NULL, &l);
		tap_ok(l.status == t[i].status, "%s", t[i].name);
		if (l.status != t[i].status)
			tap_diag("  got HTTP %ld", l.status);
		login_free(&l);
	}
	login_quiet = 0;
}

/* GET /lti/canvas.json: the Canvas developer key */
void
test_canvas_config(void)
{
	char	   *u = at_bridge("/lti/canvas.json");
	http_resp	r;
	json_t	   *doc,
			   *ext,
			   *pl,
			   *p;
	size_t		i;
	int			nav = 0,
				link = 0,
				assign = 0;

	http_req(u, NULL, NULL, NULL, NULL, &r);
	free(u);
	doc = json_loads(r.body, 0, NULL);
	tap_ok(r.status == 200 && json_is_object(doc), "GET /lti/canvas.json: a JSON object");
	tap_ok(json_is_string(json_object_get(doc, "title")) && json_is_string(json_object_get(doc, "description")) &&
		   streq(json_string_value(json_object_get(doc, "oidc_initiation_url")), PUBLIC_BASE "/lti/login") &&
		   streq(json_string_value(json_object_get(doc, "target_link_uri")), LAUNCH_URL) &&
		   streq(json_string_value(json_object_get(doc, "public_jwk_url")), PUBLIC_BASE "/lti/jwks") &&
		   json_is_array(json_object_get(doc, "scopes")) && json_is_object(json_object_get(doc, "custom_fields")),
		   "canvas.json: title, description, our login, launch and JWKS URLs, scopes, custom_fields");
	tap_ok(streq(json_string_value(json_object_get(json_object_get(doc, "custom_fields"), "lms_course_id")), "$Canvas.course.id") &&
		   streq(json_string_value(json_object_get(json_object_get(doc, "custom_fields"), "lms_user_id")), "$Canvas.user.id"),
		   "canvas.json: custom_fields ask for Canvas's own course and user ids (its Live Events name them)");
	ext = json_array_get(json_object_get(doc, "extensions"), 0);
	pl = json_object_get(json_object_get(ext, "settings"), "placements");
	json_array_foreach(pl, i, p)
	{
		const char *name = json_string_value(json_object_get(p, "placement"));
		const char *mt = json_string_value(json_object_get(p, "message_type"));

		if (streq(name, "course_navigation") && streq(mt, "LtiResourceLinkRequest"))
			nav++;
		if (streq(name, "link_selection") && streq(mt, "LtiDeepLinkingRequest"))
			link++;
		if (streq(name, "assignment_selection") && streq(mt, "LtiDeepLinkingRequest"))
			assign++;
	}
	tap_ok(streq(json_string_value(json_object_get(ext, "platform")), "canvas.instructure.com") &&
		   nav == 1 && link == 1 && assign == 1,
		   "canvas.json: canvas.instructure.com placements course_navigation (resource link), "
		   "link_selection and assignment_selection (deep linking)");
	json_decref(doc);
	resp_free(&r);
}

/* the form and the state: before any token check */
void
test_state(void)
{
	login		a,
				b;
	json_t	   *claims;
	char	   *tok,
			   *tok_b;
	launch		x;

	if (login_std(&a) != 0 || login_std(&b) != 0)
	{
		tap_ok(0, "logins for the state tests");
		return;
	}
	claims = rl_claims(a.nonce, AOIFE, 0, COURSE);
	tok = sign_std(claims);
	json_decref(claims);
	claims = rl_claims(b.nonce, AOIFE, 0, COURSE);
	tok_b = sign_std(claims);
	json_decref(claims);

	post_launch(NULL, a.state, a.state, &x);
	expect_refusal(&x, 400, "id_token_missing", "a launch without id_token");
	launch_free(&x);
	post_launch("", a.state, a.state, &x);
	expect_refusal(&x, 400, "id_token_missing", "a launch with an empty id_token");
	launch_free(&x);
	post_launch(tok, NULL, a.state, &x);
	expect_refusal(&x, 400, "state_missing", "a launch without state");
	launch_free(&x);
	post_launch(tok, a.state, NULL, &x);
	expect_refusal(&x, 401, "state_cookie_missing", "a launch without the state cookie");
	launch_free(&x);
	post_launch(tok, a.state, b.state, &x);
	expect_refusal(&x, 401, "state_mismatch", "a launch whose cookie is another login's state");
	launch_free(&x);
	tap_ok(sql_is("2", "SELECT count(*) FROM microcred.lti_login_state WHERE state IN ($1, $2) AND consumed_at IS NULL",
				  a.state, b.state, NULL), "launches refused before the database leave both states unspent");
	post_launch(tok, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &x);
	expect_refusal(&x, 401, "unknown_state", "a state this bridge never issued");
	launch_free(&x);

	/* the good launch, then the replay */
	post_launch(tok, a.state, a.state, &x);
	expect_view(&x, "learner-credential", "the same login, launched properly");
	launch_free(&x);
	post_launch(tok, a.state, a.state, &x);
	expect_refusal(&x, 401, "state_used", "the same state a second time");
	launch_free(&x);

	/* an expired state */
	free(sql("UPDATE microcred.lti_login_state SET expires_at = now() - interval '1 second' WHERE state = $1"
			 " RETURNING 1", b.state, NULL));
	post_launch(tok_b, b.state, b.state, &x);
	expect_refusal(&x, 401, "state_expired", "a state past its expiry");
	launch_free(&x);

	/* a captured id_token replayed with a fresh login's state */
	{
		login		c;

		if (login_std(&c) == 0)
		{
			post_launch(tok, c.state, c.state, &x);
			expect_refusal(&x, 401, "nonce_mismatch", "a used id_token replayed with a fresh login's state");
			launch_free(&x);
			login_free(&c);
		}
		else
			tap_ok(0, "login for the id_token replay");
	}
	/* what browsers and platforms add around the launch's own cookie and fields */
	{
		login		c;

		if (login_std(&c) == 0)
		{
			json_t	   *cl = rl_claims(c.nonce, AOIFE, 0, COURSE);
			char	   *t = sign_std(cl);
			char	   *e = enc(t);
			char	   *body = fmt("lti_storage_target=_parent&state=%s&id_token=%s&session_state=x%%2By", c.state, e);
			char	   *cookie = fmt("MoodleSession=abc123; mc_lti_state=%s; theme=dark", c.state);

			post_launch_raw(bridge, body, cookie, &x);
			expect_view(&x, "learner-credential", "other cookies and other form fields around the launch's own");
			launch_free(&x);
			free(cookie);
			free(body);
			free(e);
			free(t);
			json_decref(cl);
			login_free(&c);
		}
		else
			tap_ok(0, "login for the launch among other cookies");
	}
	free(tok);
	free(tok_b);
	login_free(&a);
	login_free(&b);
}

/* the same launch sent 6 times at once: the state is spent exactly once */
void
test_concurrent_state(void)
{
	enum
	{
		NCONC = 6
	};
	login		l;
	json_t	   *claims;
	char	   *tok,
			   *e,
			   *body,
			   *cookie,
			   *url = at_bridge("/lti/launch");
	http_call	k[NCONC];
	http_resp	r[NCONC];
	CURLM	   *multi = curl_multi_init();
	int			running = 0,
				ok200 = 0,
				used = 0,
				rounds = 0;
	CURLMsg    *msg;
	int			left;

	if (login_std(&l) != 0)
	{
		tap_ok(0, "login for the concurrent launches");
		free(url);
		curl_multi_cleanup(multi);
		return;
	}
	claims = rl_claims(l.nonce, AOIFE, 0, COURSE);
	tok = sign_std(claims);
	e = enc(tok);
	body = fmt("id_token=%s&state=%s", e, l.state);
	cookie = fmt("mc_lti_state=%s", l.state);
	for (int i = 0; i < NCONC; i++)
	{
		http_prepare(&k[i], url, body, NULL, cookie, NULL, &r[i]);
		curl_easy_setopt(k[i].curl, CURLOPT_PRIVATE, (void *) &k[i]);
		curl_multi_add_handle(multi, k[i].curl);
	}
	/* bounded: every transfer has its own 10 s timeout, and at most 150 polls of 100 ms */
	do
	{
		curl_multi_perform(multi, &running);
		if (running)
			curl_multi_poll(multi, NULL, 0, 100, NULL);
	} while (running && ++rounds < 150);
	while ((msg = curl_multi_info_read(multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
		{
			http_call  *kk;
			int			i;

			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &kk);
			i = (int) (kk - k);
			curl_multi_remove_handle(multi, msg->easy_handle);
			http_finish(&k[i], msg->data.result, url, &r[i]);
		}
	for (int i = 0; i < NCONC; i++)
	{
		char	   *code = header(&r[i], "X-LTI-Error");

		if (k[i].curl)
		{
			curl_multi_remove_handle(multi, k[i].curl);
			http_finish(&k[i], CURLE_OPERATION_TIMEDOUT, url, &r[i]);
		}
		cause(code);
		if (r[i].status == 200 && code == NULL)
			ok200++;
		else if (r[i].status == 401 && streq(code, "state_used"))
			used++;
		else
			tap_diag("  concurrent launch %d: HTTP %ld %s", i, r[i].status, nz(code));
		free(code);
		resp_free(&r[i]);
	}
	tap_ok(ok200 == 1 && used == NCONC - 1,
		   "%d concurrent launches with one state: one succeeds (%d), the others get state_used (%d)",
		   NCONC, ok200, used);
	curl_multi_cleanup(multi);
	free(tok);
	free(e);
	free(body);
	free(cookie);
	free(url);
	json_decref(claims);
	login_free(&l);
}

/* the views of good launches */
void
test_views(void)
{
	login		l;
	json_t	   *claims;
	char	   *tok,
			   *before,
			   *after,
			   *issued;
	launch		x;

	/* Aoife: her credential, its links */
	if (login_std(&l) == 0)
	{
		char	   *jwt_link = fmt("%s?format=jwt", cred_url);
		char	   *e = enc(cred_url);

		claims = rl_claims(l.nonce, AOIFE, 0, COURSE);
		tok = sign_std(claims);
		post_launch(tok, l.state, l.state, &x);
		expect_view(&x, "learner-credential", "Aoife (linked by LMS id, holds the credential)");
		tap_ok(x.body && strstr(x.body, "Data Protection in Clinical Practice") &&
			   strstr(x.body, "Demo University of Applied Sciences") && strstr(x.body, "data-status=\"active\""),
			   "her page names the credential, the awarding body and the status active");
		tap_ok(x.body && strstr(x.body, jwt_link) != NULL, "her page links the credential as a JWT (?format=jwt)");
		{
			char	   *date = sql("SELECT '<time>' || to_char(ic.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '</time>'"
								   " FROM microcred.issued_credential ic WHERE ic.document->>'id' = $1", cred_url, NULL);

			tap_ok(date && x.body && strstr(x.body, date), "her page shows the date of issue %s", nz(date));
			free(date);
		}
		tap_ok(x.body && strstr(x.body, "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME") &&
			   strstr(x.body, e), "her page has a LinkedIn add-to-profile link with the credential URL");
		tap_ok(x.body && strstr(x.body, "action=\"/lti/wallet\" data-link=\"wallet\"") &&
			   strstr(x.body, "Add it to your digital wallet"),
			   "her page offers the credential to her wallet (OpenID4VCI) with a button (ld_wallet.c: the offer on request)");
		launch_free(&x);
		free(tok);
		json_decref(claims);
		free(jwt_link);
		free(e);
		login_free(&l);
	}
	else
		tap_ok(0, "login for Aoife");

	/* Brian: mapped but nothing issued, and the launch issues nothing */
	before = sql("SELECT count(*) FROM microcred.issued_credential", NULL);
	if (login_with(mock_base(mock), CLIENT_ID, BRIAN, LAUNCH_URL, NULL, &l) == 0)
	{
		claims = rl_claims(l.nonce, BRIAN, 0, COURSE);
		json_object_set_new(claims, "email", json_string("brian.kelly@student.demo-uas.example"));
		tok = sign_std(claims);
		post_launch(tok, l.state, l.state, &x);
		expect_view(&x, "learner-pending", "Brian (linked, no credential)");
		tap_ok(x.body && strstr(x.body, "Not yet complete") && strstr(x.body, "Data Protection in Clinical Practice"),
			   "his page says not yet complete, for the mapped credential");
		tap_ok(x.body && !strstr(x.body, "awaiting-admin"), "a linked learner's page says nothing about an administrator");
		launch_free(&x);
		free(tok);
		json_decref(claims);
		login_free(&l);
	}
	else
		tap_ok(0, "login for Brian");
	after = sql("SELECT count(*) FROM microcred.issued_credential", NULL);
	tap_ok(streq(before, after), "a pending learner's launch issues nothing (%s credentials before and after)", nz(after));
	free(before);
	free(after);

	/* Ciara: found by her email, case aside, and linked */
	if (login_with(mock_base(mock), CLIENT_ID, CIARA, LAUNCH_URL, NULL, &l) == 0)
	{
		claims = rl_claims(l.nonce, CIARA, 0, COURSE);
		json_object_set_new(claims, "email", json_string("Ciara.Byrne@Student.Demo-UAS.example"));
		tok = sign_std(claims);
		post_launch(tok, l.state, l.state, &x);
		expect_view(&x, "learner-pending", "Ciara (known by email only)");
		tap_ok(sql_is("1", "SELECT count(*) FROM microcred.learner_identifier li JOIN microcred.learner l ON l.id = li.learner_id"
					  " WHERE li.kind = 'lms' AND li.platform = $1 AND li.value = '" CIARA "'"
					  " AND l.email = 'ciara.byrne@student.demo-uas.example'", mock_base(mock), NULL),
			   "the email match linked her LMS id to her learner record");
		launch_free(&x);
		free(tok);
		json_decref(claims);
		login_free(&l);
	}
	else
		tap_ok(0, "login for Ciara");

	/* an LMS account with an e-mail no learner has: it waits for an admin, and its page says so */
	if (login_with(mock_base(mock), CLIENT_ID, "user-unlinked-77", LAUNCH_URL, NULL, &l) == 0)
	{
		claims = rl_claims(l.nonce, "user-unlinked-77", 0, COURSE);
		json_object_set_new(claims, "email", json_string("nobody.known@example.org"));
		tok = sign_std(claims);
		post_launch(tok, l.state, l.state, &x);
		expect_view(&x, "learner-pending", "an LMS account linked to no learner");
		tap_ok(x.body && strstr(x.body, "data-link=\"awaiting-admin\"") && strstr(x.body, "An administrator has to confirm who you are"),
			   "the page of an unlinked account says an administrator must confirm who the learner is");
		tap_ok(sql_is("1", "SELECT count(*) FROM microcred.lti_link_request WHERE sub = 'user-unlinked-77'", NULL),
			   "the launch is recorded for the admin (lti_link_request)");
		launch_free(&x);
		free(tok);
		json_decref(claims);
		login_free(&l);
	}
	else
		tap_ok(0, "login for the unlinked account");

	/* the instructor: the count of credentials of the type */
	issued = sql("SELECT count(*) FROM microcred.issued_credential ic JOIN microcred.credential_type ct"
				 " ON ct.id = ic.credential_type_id WHERE ct.code = 'GDPR-NURSE' AND ic.superseded_by IS NULL", NULL);
	if (login_std(&l) == 0)
	{
		char	   *got;

		claims = rl_claims(l.nonce, "user-teacher", 1, COURSE);
		tok = sign_std(claims);
		post_launch(tok, l.state, l.state, &x);
		expect_view(&x, "instructor", "an instructor of the mapped course");
		got = attr(x.body, "data-issued=\"");
		tap_ok(streq(got, issued) && streq(issued, "2"), "data-issued is the number of GDPR-NURSE credentials (%s)", nz(issued));
		if (!streq(got, issued))
			tap_diag("  data-issued=%s, SQL %s", nz(got), nz(issued));
		tap_ok(x.body && strstr(x.body, "Data Protection in Clinical Practice") && strstr(x.body, "EQF level 6"),
			   "the instructor's page names the credential type and its EQF level");
		free(got);
		launch_free(&x);
		free(tok);
		json_decref(claims);
		login_free(&l);
	}
	else
		tap_ok(0, "login for the instructor");
	free(issued);

	/* a course with no mapping */
	if (login_std(&l) == 0)
	{
		claims = rl_claims(l.nonce, AOIFE, 0, "course-999");
		tok = sign_std(claims);
		post_launch(tok, l.state, l.state, &x);
		expect_view(&x, "not-configured", "a course with no mapping");
		launch_free(&x);
		free(tok);
		json_decref(claims);
		login_free(&l);
	}
	else
		tap_ok(0, "login for an unmapped course");
}

/* the platform rotates its key: a new kid makes the bridge refetch once */
void
test_rotation(void)
{
	login		l;
	json_t	   *claims;
	char	   *tok;
	launch		x;
	int			hits;

	/* past the bridge's jwks_min_refresh_s (1 s in bridge_launch.sh) since any fetch */
	usleep(1300 * 1000);
	mock_publish(mock, 2);		/* key 2 only: key 1 is retired */
	mock_set_signing_key(mock, 1);
	cur_key = 1;
	hits = mock_jwks_hits(mock);
	if (login_std(&l) != 0)
	{
		tap_ok(0, "login for the rotation");
		return;
	}
	claims = rl_claims(l.nonce, AOIFE, 0, COURSE);
	tok = sign_std(claims);
	post_launch(tok, l.state, l.state, &x);
	expect_view(&x, "learner-credential", "a token under the platform's new kid (key rotation)");
	tap_ok(mock_jwks_hits(mock) - hits == 1, "the new kid cost exactly one JWKS fetch (%d)", mock_jwks_hits(mock) - hits);
	launch_free(&x);
	free(tok);
	json_decref(claims);
	login_free(&l);

	/* the retired kid is gone from the refreshed set */
	if (login_std(&l) == 0)
	{
		claims = rl_claims(l.nonce, AOIFE, 0, COURSE);
		tok = mock_sign(mock, 0, claims);
		post_launch(tok, l.state, l.state, &x);
		expect_refusal(&x, 401, "kid_unknown", "a token under the retired kid after the rotation");
		launch_free(&x);
		free(tok);
		json_decref(claims);
		login_free(&l);
	}
	else
		tap_ok(0, "login after the rotation");

	/* a second launch with the new kid costs no fetch: the set is cached */
	usleep(1300 * 1000);
	hits = mock_jwks_hits(mock);
	if (login_std(&l) == 0)
	{
		claims = rl_claims(l.nonce, AOIFE, 0, COURSE);
		tok = sign_std(claims);
		post_launch(tok, l.state, l.state, &x);
		expect_view(&x, "learner-credential", "another launch under the new kid");
		tap_ok(mock_jwks_hits(mock) == hits, "served from the cached JWKS (no fetch)");
		if (mock_jwks_hits(mock) != hits)
			tap_diag("  %d fetches", mock_jwks_hits(mock) - hits);
		launch_free(&x);
		free(tok);
		json_decref(claims);
		login_free(&l);
	}
	else
		tap_ok(0, "login for the cached launch");
}

/* a platform whose JWKS is down, and a bridge whose database is */
void
test_unavailable(void)
{
	login		l;
	json_t	   *claims;
	char	   *tok;
	char	   *iss = fmt("%s/dead", mock_base(mock));
	launch		x;

	if (login_with(iss, "mc-client-dead", AOIFE, LAUNCH_URL, NULL, &l) == 0)
	{
		claims = rl_claims(l.nonce, AOIFE, 0, COURSE);
		json_object_set_new(claims, "iss", json_string(iss));
		json_object_set_new(claims, "aud", json_string("mc-client-dead"));
		tok = sign_std(claims);
		post_launch(tok, l.state, l.state, &x);
		expect_refusal(&x, 502, "jwks_unavailable", "a platform whose JWKS answers 500");
		launch_free(&x);
		free(tok);
		json_decref(claims);
		login_free(&l);
	}
	else
		tap_ok(0, "login at the platform whose JWKS is down");
	free(iss);

	if (dead_bridge == NULL)
	{
		tap_ok(1, "# SKIP db_unavailable: no bridge without a database was given");
		return;
	}
	if (login_std(&l) == 0)
	{
		claims = rl_claims(l.nonce, AOIFE, 0, COURSE);
		tok = sign_std(claims);
		post_launch_to(dead_bridge, tok, l.state, l.state, &x);
		tap_ok(x.status == 503 && streq(x.code, "db_unavailable"),
			   "a bridge that cannot reach its database: 503 db_unavailable");
		if (!(x.status == 503 && streq(x.code, "db_unavailable")))
			tap_diag("  got HTTP %ld, X-LTI-Error %s", x.status, nz(x.code));
		launch_free(&x);
		free(tok);
		json_decref(claims);
		login_free(&l);
	}
	else
		tap_ok(0, "login for db_unavailable");
}

