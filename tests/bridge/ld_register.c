/*-------------------------------------------------------------------------
 *
 * ld_register.c
 *	  launch_driver: Dynamic Registration end to end and /metrics against the refusals caused.
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

/* GET /lti/register; the response's status, code and view */
void
get_register(const char *invite, const char *oc_url, const char *token, launch *x)
{
	char	   *e_i = invite ? enc(invite) : NULL;
	char	   *e_o = oc_url ? enc(oc_url) : NULL;
	char	   *e_t = token ? enc(token) : NULL;
	char	   *url = fmt("%s/lti/register?x=1%s%s%s%s%s%s", bridge,
						  e_i ? "&invite=" : "", e_i ? e_i : "",
						  e_o ? "&openid_configuration=" : "", e_o ? e_o : "",
						  e_t ? "&registration_token=" : "", e_t ? e_t : "");
	http_resp	r;

	memset(x, 0, sizeof(*x));
	x->status = http_req(url, NULL, NULL, NULL, NULL, &r);
	x->code = header(&r, "X-LTI-Error");
	cause(x->code);
	x->view = attr(r.body, "data-view=\"");
	x->body = r.body;
	r.body = NULL;
	resp_free(&r);
	free(url);
	free(e_i);
	free(e_o);
	free(e_t);
}

char *
new_invite(void)
{
	return sql("SELECT invite FROM microcred.lti_registration_invite('demo-uas')", NULL);
}

void
test_registration(void)
{
	char	   *oc = fmt("%s/.well-known/openid-configuration", mock_base(mock));
	char	   *bad_oc = fmt("%s/bad-issuer/.well-known/openid-configuration", mock_base(mock));
	char	   *no_oc = fmt("%s/nowhere/.well-known/openid-configuration", mock_base(mock));
	char	   *inv = new_invite();
	char	   *inv2 = new_invite();
	char	   *inv3 = new_invite();
	launch		x;
	json_t	   *cfg,
			   *lti;
	char	   *auth;
	int			before = mock_registrations(mock);

	mock_set_registration(mock, REG_TOKEN, REG_CLIENT_ID, REG_DEPLOYMENT);
	tap_ok(inv && inv2 && inv3, "microcred.lti_registration_invite() makes invitations");

	get_register(inv, oc, REG_TOKEN, &x);
	expect_view(&x, "registered", "Dynamic Registration with an invitation");
	tap_ok(x.body && strstr(x.body, "org.imsglobal.lti.close"), "the page tells the platform to close (postMessage)");
	launch_free(&x);
	cfg = mock_last_registration(mock);
	auth = mock_last_registration_auth(mock);
	lti = json_object_get(cfg, "https://purl.imsglobal.org/spec/lti-tool-configuration");
	tap_ok(mock_registrations(mock) == before + 1 && streq(auth, "Bearer " REG_TOKEN),
		   "the platform got one registration with Authorization: Bearer <registration_token>");
	tap_ok(streq(json_string_value(json_object_get(cfg, "initiate_login_uri")), PUBLIC_BASE "/lti/login") &&
		   json_array_size(json_object_get(cfg, "redirect_uris")) == 1 &&
		   streq(json_string_value(json_array_get(json_object_get(cfg, "redirect_uris"), 0)), LAUNCH_URL) &&
		   streq(json_string_value(json_object_get(cfg, "jwks_uri")), PUBLIC_BASE "/lti/jwks"),
		   "tool configuration: initiate_login_uri, redirect_uris and jwks_uri are ours");
	tap_ok(streq(json_string_value(json_object_get(cfg, "token_endpoint_auth_method")), "private_key_jwt") &&
		   streq(json_string_value(json_object_get(cfg, "application_type")), "web"),
		   "tool configuration: private_key_jwt, application_type web");
	{
		json_t	   *msgs = json_object_get(lti, "messages");
		int			rl = 0,
					dlm = 0;
		size_t		i;
		json_t	   *m;

		json_array_foreach(msgs, i, m)
		{
			const char *t = json_string_value(json_object_get(m, "type"));

			if (streq(t, "LtiResourceLinkRequest"))
				rl++;
			if (streq(t, "LtiDeepLinkingRequest") &&
				streq(json_string_value(json_object_get(m, "target_link_uri")), LAUNCH_URL))
				dlm++;
		}
		tap_ok(streq(json_string_value(json_object_get(lti, "domain")), "tool.example") &&
			   streq(json_string_value(json_object_get(lti, "target_link_uri")), LAUNCH_URL) &&
			   rl == 1 && dlm == 1,
			   "lti-tool-configuration: domain, target_link_uri, a resource link and a deep linking message");
	}
	json_decref(cfg);
	free(auth);
	{
		char	   *a = fmt("%s/auth", mock_base(mock));
		char	   *j = fmt("%s/jwks", mock_base(mock));
		char	   *t = fmt("%s/token", mock_base(mock));

		tap_ok(sql_is("1", "SELECT count(*) FROM microcred.lti_platform p JOIN microcred.issuer i ON i.id = p.issuer_id"
					  " JOIN microcred.lti_deployment d ON d.platform_id = p.id"
					  " WHERE p.platform_issuer = $1 AND p.client_id = '" REG_CLIENT_ID "' AND p.auth_login_url = $2"
					  " AND p.jwks_url = $3 AND p.auth_token_url = $4 AND i.handle = 'demo-uas'"
					  " AND d.deployment_id = '" REG_DEPLOYMENT "'", mock_base(mock), a, j, t, NULL),
			   "microcred.lti_platform holds the registration (endpoints, client_id, deployment)");
		free(a);
		free(j);
		free(t);
	}
	get_register(inv, oc, REG_TOKEN, &x);
	expect_refusal(&x, 401, "invite_used", "the same invitation again");
	launch_free(&x);

	/* the platform registered this way can launch */
	{
		login		l;
		json_t	   *tmpl = rl_claims("x", AOIFE, 0, COURSE);

		json_object_del(tmpl, "iss");
		json_object_del(tmpl, "aud");
		json_object_del(tmpl, "iat");
		json_object_del(tmpl, "exp");
		json_object_del(tmpl, "nonce");
		json_object_set_new(tmpl, LTI "deployment_id", json_string(REG_DEPLOYMENT));
		mock_set_launch_claims(mock, tmpl);
		json_decref(tmpl);
		if (login_with(mock_base(mock), REG_CLIENT_ID, AOIFE, LAUNCH_URL, NULL, &l) == 0)
		{
			http_resp	r;
			char	   *tok,
					   *state;

			http_req(l.location, NULL, NULL, NULL, NULL, &r);
			tok = hidden_input(r.body, "id_token");
			state = hidden_input(r.body, "state");
			resp_free(&r);
			post_launch(tok, state, l.state, &x);
			expect_view(&x, "not-configured", "a launch from the dynamically registered client (no course mapped there)");
			launch_free(&x);
			free(tok);
			free(state);
			login_free(&l);
		}
		else
			tap_ok(0, "login with the dynamically registered client");
	}

	get_register(NULL, oc, REG_TOKEN, &x);
	expect_refusal(&x, 400, "invite_missing", "registration without an invitation");
	launch_free(&x);
	get_register("not-an-invitation", oc, REG_TOKEN, &x);
	expect_refusal(&x, 401, "invite_unknown", "registration with an unknown invitation");
	launch_free(&x);
	free(sql("UPDATE microcred.lti_registration_invite SET expires_at = now() - interval '1 second'"
			 " WHERE token_hash = sha256(convert_to($1, 'UTF8')) RETURNING 1", inv2 ? inv2 : "", NULL));
	get_register(inv2, oc, REG_TOKEN, &x);
	expect_refusal(&x, 401, "invite_expired", "registration with an expired invitation");
	launch_free(&x);
	get_register(inv3, NULL, REG_TOKEN, &x);
	expect_refusal(&x, 400, "openid_configuration_missing", "registration without openid_configuration");
	launch_free(&x);
	get_register(inv3, "http://lms.example/.well-known/openid-configuration", REG_TOKEN, &x);
	expect_refusal(&x, 400, "openid_configuration_missing", "an openid_configuration over plain http off loopback");
	launch_free(&x);
	get_register(inv3, no_oc, REG_TOKEN, &x);
	expect_refusal(&x, 502, "openid_configuration_unavailable", "an openid_configuration that answers 404");
	launch_free(&x);
	get_register(inv3, bad_oc, REG_TOKEN, &x);
	expect_refusal(&x, 400, "issuer_mismatch", "an openid_configuration whose issuer is another origin");
	launch_free(&x);
	before = mock_registrations(mock);
	get_register(inv3, oc, "wrong-token", &x);
	expect_refusal(&x, 502, "registration_failed", "a registration the platform refuses (wrong registration_token)");
	tap_ok(mock_registrations(mock) == before + 1, "the platform saw that attempt");
	launch_free(&x);
	tap_ok(sql_is("f", "SELECT consumed_at IS NOT NULL FROM microcred.lti_registration_invite"
				  " WHERE token_hash = sha256(convert_to($1, 'UTF8'))", inv3 ? inv3 : "", NULL),
		   "failed registrations leave the invitation unspent");
	free(inv);
	free(inv2);
	free(inv3);
	free(oc);
	free(bad_oc);
	free(no_oc);
}

/* /metrics counts every failure caused here, by reason */
void
test_metrics(void)
{
	char	   *u = at_bridge("/metrics");
	http_resp	r;
	long		total = 0,
				sum = 0;
	const char *p;
	const char *prefix = "microcred_bridge_lti_launch_failures_total{reason=\"";

	http_req(u, NULL, NULL, NULL, NULL, &r);
	free(u);
	tap_ok(r.status == 200, "GET /metrics");
	for (int i = 0; i < n_caused; i++)
	{
		char		line[160];
		const char *at;
		long		got = -1;

		snprintf(line, sizeof(line), "%s%s\"} ", prefix, caused[i].code);
		at = strstr(r.body, line);
		if (at)
			got = atol(at + strlen(line));
		tap_ok(got == caused[i].n, "metrics: lti_launch_failures_total{reason=\"%s\"} = %d, the refusals seen",
			   caused[i].code, caused[i].n);
		if (got != caused[i].n)
			tap_diag("  got %ld", got);
		total += caused[i].n;
	}
	for (p = strstr(r.body, prefix); p; p = strstr(p + 1, prefix))
	{
		const char *sp = strchr(p, ' ');

		if (sp)
			sum += atol(sp + 1);
	}
	tap_ok(sum == total && n_caused >= 40, "metrics: the launch failures add up to the %ld refusals seen (%ld), of %d reasons",
		   total, sum, n_caused);
	resp_free(&r);
}

