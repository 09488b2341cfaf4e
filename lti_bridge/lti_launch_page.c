/*-------------------------------------------------------------------------
 *
 * lti_launch_page.c
 *	  The pages of a resource link launch (lti_launch.c): the learner's
 *	  credential (downloads, verification page, LinkedIn, the "Add to
 *	  wallet" button) or "not yet", the instructor's view, "not
 *	  configured".  What they show comes from microcred.lti_launch().
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "http_internal.h"
#include "lti_internal.h"
#include "page.h"

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
						const char *issuer, const char *state, const char *wallet_key)
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
	/*
	 * OpenID4VCI: a button, not an offer.  The offer (a database write)
	 * and its QR code are made only when the learner asks for them
	 * (lti_wallet.c); the form carries the launch's state and the page's
	 * wallet key, which lti_launch() kept hashed with the state.
	 */
	if (json_is_true(json_object_get(view, "wallet")) && wallet_key != NULL)
	{
		sb_puts(b, "<li><form method=\"post\" action=\"/lti/wallet\" data-link=\"wallet\">"
				"<input type=\"hidden\" name=\"state\" value=\"");
		sb_html(b, state);
		sb_puts(b, "\"><input type=\"hidden\" name=\"key\" value=\"");
		sb_html(b, wallet_key);
		sb_puts(b, "\"><button type=\"submit\">Add it to your digital wallet</button> "
				"(shows a link and a QR code for your wallet app, valid for 30 minutes and once)</form></li>");
	}
	sb_puts(b, "</ul>");
}

/* the page of a resource link launch: lti_launch()'s view (not freed here) */
unsigned int
lti_launch_page(struct MHD_Connection *conn, http_request *req, json_t *view, int instructor,
				const char *state, const char *wallet_key)
{
	const char *kind;
	sbuf		b = {0};

	kind = json_string_value(json_object_get(view, "view"));
	if (kind == NULL)
		return lti_db_down(conn, req, "query_failed");
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
			page_learner_credential(req, &b, view, title, issuer, state, wallet_key);
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
	return page_send(conn, req, MHD_HTTP_OK, &b);
}
