/*-------------------------------------------------------------------------
 *
 * lti_launch.c
 *	  POST /lti/launch: the LTI 1.3 launch, and the resource link view
 *	  (the learner's credential or "not yet", or the instructor's view).
 *
 * The launch (POST /lti/launch) checks, in order: the form has id_token
 * and state; the state cookie set at login came back and equals the form's
 * state; the database spends the state (single use, unexpired) and names
 * the registration; the id_token is validated against that registration
 * with the platform's JWKS (idtoken.c: alg pinning, kid, signature, iss,
 * aud/azp, exp/iat, version, message type, deployment, roles, sub,
 * resource link, ...); its nonce is the one issued with that state; its
 * target_link_uri is the one given at login.  Any failure answers with the
 * reason in X-LTI-Error, counts it in /metrics and shows a page that says
 * what went wrong, never the token.
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

#include "db.h"
#include "form.h"
#include "http_internal.h"
#include "idtoken.h"
#include "launch_token.h"
#include "lti.h"
#include "lti_internal.h"
#include "page.h"
#include "qr.h"

static void
login_row_free(login_row *l)
{
	free(l->problem);
	free(l->platform_id);
	free(l->platform_issuer);
	free(l->client_id);
	free(l->jwks_url);
	free(l->target_link_uri);
	json_decref(l->algorithms);
	json_decref(l->deployment_ids);
	memset(l, 0, sizeof(*l));
}

static char *
value_or_null(PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? NULL : strdup(PQgetvalue(res, 0, col));
}

/* the registration lti_consume_login() returned (with a problem code, or none) */
static void
login_row_read(PGresult *res, login_row *l)
{
	l->problem = value_or_null(res, 0);
	if (l->problem == NULL || strcmp(l->problem, "nonce_mismatch") == 0)
	{
		l->platform_id = value_or_null(res, 1);
		l->platform_issuer = value_or_null(res, 2);
		l->client_id = value_or_null(res, 3);
		l->jwks_url = value_or_null(res, 4);
		l->target_link_uri = value_or_null(res, 5);
		l->algorithms = PQgetisnull(res, 0, 6) ? NULL : json_loads(PQgetvalue(res, 0, 6), 0, NULL);
		l->deployment_ids = PQgetisnull(res, 0, 7) ? json_array()
			: json_loads(PQgetvalue(res, 0, 7), 0, NULL);
	}
}

/*
 * The id_token, against the registration the state named: IDT_OK with
 * *claims, a reason with err, or IDT__COUNT when out of memory.
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

static unsigned int launch_resource_link(struct MHD_Connection *conn, http_request *req,
										 const login_row *l, idt_claims *c);

unsigned int
lti_handle_launch(struct MHD_Connection *conn, http_request *req)
{
	const char *body = req->body ? req->body : "";
	size_t		cap = req->body_len + 1;
	char	   *token = malloc(cap);
	char		state[128];
	const char *cookie;
	char	   *nonce = NULL;
	login_row	l = {0};
	PGresult   *res;
	const char *values[2];
	idt_claims *claims = NULL;
	idt_error	err;
	idt_reason	r;
	unsigned int rc;

	if (token == NULL)
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	if (form_value(body, "id_token", token, cap) != 1 || token[0] == '\0')
	{
		free(token);
		return lti_refuse(conn, req, MHD_HTTP_BAD_REQUEST, "id_token_missing",
					  "The launch did not carry an id_token.");
	}
	if (form_value(body, "state", state, sizeof(state)) != 1 || state[0] == '\0')
	{
		free(token);
		return lti_refuse(conn, req, MHD_HTTP_BAD_REQUEST, "state_missing",
					  "The launch did not carry the login state.");
	}
	/* the state must come back to the browser that started the login */
	cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "mc_lti_state");
	if (cookie == NULL || cookie[0] == '\0')
	{
		free(token);
		return lti_refuse(conn, req, MHD_HTTP_UNAUTHORIZED, "state_cookie_missing",
					  "This browser did not start the login of this launch (no state cookie). "
					  "If the LMS shows the tool in a frame, the browser may block third-party cookies: open it in a new window.");
	}
	if (strlen(cookie) != strlen(state) || CRYPTO_memcmp(cookie, state, strlen(state)) != 0)
	{
		free(token);
		return lti_refuse(conn, req, MHD_HTTP_UNAUTHORIZED, "state_mismatch",
					  "The launch's state is not the one this browser's login started with.");
	}

	/* spend the state; the registration it names is what the token must match */
	idt_peek_nonce(token, strlen(token), &nonce);
	values[0] = state;
	values[1] = nonce ? nonce : "";
	res = lti_query_row(conn, req,
						"SELECT problem, platform_id, platform_issuer, client_id, jwks_url, target_link_uri, "
						"array_to_json(algorithms)::text, array_to_json(deployment_ids)::text "
						"FROM microcred.lti_consume_login($1, $2)",
						2, values, &rc);
	if (res == NULL || PQnfields(res) != 8)
	{
		free(token);
		free(nonce);
		if (res == NULL)
			return rc;
		PQclear(res);
		return lti_db_down(conn, req, "query_failed");
	}
	login_row_read(res, &l);
	PQclear(res);
	if (l.problem != NULL && strcmp(l.problem, "nonce_mismatch") != 0)
	{
		const char *code = lti_failure_label(l.problem);

		free(token);
		free(nonce);
		login_row_free(&l);
		return lti_refuse(conn, req, MHD_HTTP_UNAUTHORIZED, code,
					  strcmp(code, "state_expired") == 0 ? "The login took too long. Open the tool again."
					  : strcmp(code, "state_used") == 0 ? "This launch was already used. Open the tool again."
					  : "The launch's state is not known here.");
	}
	if (l.platform_id == NULL || l.jwks_url == NULL || !json_is_array(l.algorithms) ||
		!json_is_array(l.deployment_ids))
	{
		free(token);
		free(nonce);
		login_row_free(&l);
		return lti_db_down(conn, req, "query_failed");
	}

	/* the token, against the registration */
	r = verify_token(req, &l, token, &claims, &err);
	free(token);
	if (r == IDT__COUNT)
	{
		free(nonce);
		login_row_free(&l);
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	if (r != IDT_OK)
	{
		free(nonce);
		login_row_free(&l);
		return lti_refuse(conn, req, r == IDT_JWKS_UNAVAILABLE ? MHD_HTTP_BAD_GATEWAY : MHD_HTTP_UNAUTHORIZED,
					  idt_reason_code(r), err.message);
	}
	if (l.problem != NULL || nonce == NULL || claims->nonce == NULL || strcmp(claims->nonce, nonce) != 0)
	{
		free(nonce);
		login_row_free(&l);
		idt_claims_free(claims);
		return lti_refuse(conn, req, MHD_HTTP_UNAUTHORIZED, "nonce_mismatch",
					  "The id_token's nonce is not the one issued with this login.");
	}
	free(nonce);
	/*
	 * A resource link must carry target_link_uri (idtoken.c checks it); a
	 * deep linking request may omit it, but when it is present it must be
	 * the one the login was started for.
	 */
	if (claims->target_link_uri != NULL &&
		(l.target_link_uri == NULL || strcmp(claims->target_link_uri, l.target_link_uri) != 0))
	{
		login_row_free(&l);
		idt_claims_free(claims);
		return lti_refuse(conn, req, MHD_HTTP_UNAUTHORIZED, "target_link_uri_mismatch",
					  "The id_token's target_link_uri is not the one the login was started for.");
	}
	/* the state did its job: forget it in this browser */
	snprintf(req->cookie, sizeof(req->cookie),
			 "mc_lti_state=; Path=/lti/; Max-Age=0; SameSite=None; Secure; HttpOnly");
	if (strcmp(claims->message_type, "LtiDeepLinkingRequest") == 0)
		rc = lti_launch_deep_linking(conn, req, &l, claims);
	else
		rc = launch_resource_link(conn, req, &l, claims);
	login_row_free(&l);
	idt_claims_free(claims);
	return rc;
}

/* the instructor's view of a course: its micro-credential and how many were issued */
static void
page_instructor(http_request *req, sbuf *b, json_t *view, const char *title,
				const char *issuer)
{
	json_t	   *type = json_object_get(view, "credential_type");
	long long	issued = (long long) json_integer_value(json_object_get(view, "issued"));
	json_t	   *eqf = json_object_get(type, "eqf_level");
	json_t	   *ects = json_object_get(type, "ects");

	req->reason = "instructor";
	page_begin(b, "microcred: course micro-credential", "instructor");
	sb_printf(b, " data-issued=\"%lld\"><h1>", issued);
	sb_html(b, title);
	sb_puts(b, "</h1><p>This course awards this micro-credential from ");
	sb_html(b, issuer);
	sb_puts(b, ".");
	if (json_is_integer(eqf))
		sb_printf(b, " EQF level %lld.", (long long) json_integer_value(eqf));
	if (json_is_number(ects))
		sb_printf(b, " %g ECTS.", json_number_value(ects));
	sb_printf(b, "</p><p><strong>%lld</strong> credential%s of this type %s been issued.</p>"
			  "<p class=\"muted\">Credentials are issued when learners complete the course "
			  "(reported by the LMS), never on opening this page.</p>",
			  issued, issued == 1 ? "" : "s", issued == 1 ? "has" : "have");
}

/* the LinkedIn "add to profile" URL of a credential, HTML-escaped into b */
static void
linkedin_add_link(sbuf *b, json_t *cred, const char *title, const char *issuer,
				 const char *url, const char *id)
{
	sbuf		li = {0};

	sb_puts(&li, "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name=");
	sb_urlenc(&li, title);
	sb_puts(&li, "&organizationName=");
	sb_urlenc(&li, issuer);
	sb_printf(&li, "&issueYear=%lld&issueMonth=%lld&certUrl=",
			  (long long) json_integer_value(json_object_get(cred, "issued_year")),
			  (long long) json_integer_value(json_object_get(cred, "issued_month")));
	sb_urlenc(&li, url);
	sb_puts(&li, "&certId=");
	sb_urlenc(&li, id);
	if (li.oom)
		b->oom = 1;
	else
		sb_html(b, li.data);
	free(li.data);
}

/* the learner's credential: downloads, verification page, LinkedIn, wallet */
static void
page_learner_credential(http_request *req, sbuf *b, json_t *view, const char *title,
						const char *issuer)
{
	json_t	   *cred = json_object_get(view, "credential");
	const char *url = json_string_value(json_object_get(cred, "url"));
	const char *id = json_string_value(json_object_get(cred, "id"));
	const char *status = json_string_value(json_object_get(cred, "status"));
	const char *date = json_string_value(json_object_get(cred, "issued_at"));

	req->reason = "learner_credential";
	page_begin(b, "microcred: your micro-credential", "learner-credential");
	sb_puts(b, " data-status=\"");
	sb_html(b, status);
	sb_puts(b, "\"><h1>");
	sb_html(b, title);
	sb_puts(b, "</h1><p>Awarded by ");
	sb_html(b, issuer);
	sb_puts(b, " on <time>");
	sb_html(b, date);
	sb_puts(b, "</time>. Status: <strong>");
	sb_html(b, status);
	sb_puts(b, "</strong>.</p><ul><li><a data-link=\"json\" href=\"");
	sb_html(b, url);
	/* ?format=json: the URL itself shows a browser the verification page */
	sb_puts(b, "?format=json\" download>Download the credential (JSON, W3C Verifiable Credential)</a></li>"
			"<li><a data-link=\"jwt\" href=\"");
	sb_html(b, url);
	sb_puts(b, "?format=jwt\" download>Download it as a JWT</a></li>"
			"<li>Verification page (give it to employers, share it): <a data-link=\"public\" href=\"");
	sb_html(b, url);
	sb_puts(b, "\">");
	sb_html(b, url);
	sb_puts(b, "</a></li><li><a data-link=\"linkedin\" rel=\"noopener\" target=\"_blank\" href=\"");
	linkedin_add_link(b, cred, title, issuer, url, id);
	sb_puts(b, "\">Add to your LinkedIn profile</a></li>");
	/* OpenID4VCI: a single-use offer the database made for this view */
	if (json_is_string(json_object_get(view, "wallet_offer")))
	{
		const char *offer = json_string_value(json_object_get(view, "wallet_offer"));

		sb_puts(b, "<li><a data-link=\"wallet\" href=\"");
		sb_html(b, offer);
		sb_puts(b, "\">Add it to your digital wallet</a> (open this link on the phone with "
				"your wallet app, or scan the code with it; valid for 30 minutes and once)"
				"<div class=\"wallet-qr\" style=\"max-width:14em\">");
		/* a URL too long for a QR code leaves the link alone */
		(void) qr_svg(b, offer, "QR code of the wallet offer");
		sb_puts(b, "</div></li>");
	}
	sb_puts(b, "</ul>");
}

/* a resource link: the learner's credential or "not yet", or the instructor's view */
static unsigned int
launch_resource_link(struct MHD_Connection *conn, http_request *req, const login_row *l,
					 idt_claims *c)
{
	int			instructor = lti_is_instructor(c->roles);
	const char *values[8];
	PGresult   *res;
	json_t	   *view;
	const char *kind;
	sbuf		b = {0};
	unsigned int rc;

	values[0] = l->platform_id;
	values[1] = lti_claim_member(c->payload, LTI_CLAIM "context", "id");
	values[2] = lti_claim_member(c->payload, LTI_CLAIM "custom", "microcred_credential_type");
	values[3] = c->sub;
	values[4] = json_string_value(json_object_get(c->payload, "email"));
	values[5] = instructor ? "true" : "false";
	values[6] = lti_lms_id(c->payload, "lms_course_id");
	values[7] = lti_lms_id(c->payload, "lms_user_id");
	res = lti_query_row(conn, req, "SELECT microcred.lti_launch_view($1::uuid, $2, $3, $4, $5, $6::boolean, $7, $8)::text",
						8, values, &rc);
	if (res == NULL)
		return rc;
	view = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	kind = json_string_value(json_object_get(view, "view"));
	if (kind == NULL)
	{
		json_decref(view);
		return lti_db_down(conn, req, "query_failed");
	}
	{
		json_t	   *type = json_object_get(view, "credential_type");
		const char *title = json_string_value(json_object_get(type, "title"));
		const char *issuer = json_string_value(json_object_get(view, "issuer_name"));

		if (strcmp(kind, "not-configured") == 0)
		{
			req->reason = "not_configured";
			page_begin(&b, "microcred", "not-configured");
			sb_puts(&b, "><h1>No micro-credential is attached here yet</h1><p>");
			sb_puts(&b, instructor
					? "Add the tool to this course with the LMS's content selection (deep linking) and choose the micro-credential the course awards."
					: "Your teacher has not chosen the micro-credential for this course yet.");
			sb_puts(&b, "</p>");
		}
		else if (strcmp(kind, "instructor") == 0)
			page_instructor(req, &b, view, title, issuer);
		else if (strcmp(kind, "learner-credential") == 0)
			page_learner_credential(req, &b, view, title, issuer);
		else
		{
			req->reason = "learner_pending";
			page_begin(&b, "microcred: not yet complete", "learner-pending");
			sb_puts(&b, "><h1>");
			sb_html(&b, title);
			sb_puts(&b, "</h1><p>Not yet complete: this micro-credential from ");
			sb_html(&b, issuer);
			sb_puts(&b, " is issued when you complete the course. Come back here afterwards to "
					"download it and share it.</p>");
			/*
			 * An LMS account the database would not link to a learner by
			 * itself (no verified e-mail the platform is trusted for, or the
			 * learner has another account there): an admin confirms who it is
			 * (lti_link_account), and nothing is issued to it until then.
			 */
			const char *link = json_string_value(json_object_get(view, "link"));

			if (link != NULL && strcmp(link, "awaiting-admin") == 0)
			{
				sb_puts(&b, "<p data-link=\"awaiting-admin\">Your account in this learning platform is not "
						"linked to a learner record of ");
				sb_html(&b, issuer);
				sb_puts(&b, " yet. An administrator has to confirm who you are before a credential can be "
						"issued to you; your course completion is kept until then.</p>");
			}
		}
	}
	json_decref(view);
	return page_send(conn, req, MHD_HTTP_OK, &b);
}
