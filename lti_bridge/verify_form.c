/*-------------------------------------------------------------------------
 *
 * verify_form.c
 *	  GET /verify: a form to paste or upload a credential of any issuer;
 *	  POST /verify: its verdict through microcred.public_verify() (verify()
 *	  with the keys and status lists this database knows; nothing is
 *	  fetched), shown on the verification page.  The route is rate-limited
 *	  per client (guard.c, verify_rate_per_ip) and the body size-limited
 *	  (max_body_bytes: 413).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <microhttpd.h>

#include "db.h"
#include "form.h"
#include "multipart.h"
#include "public_page.h"
#include "view.h"

static void
form(sbuf *b, i18n_lang lang)
{
	sb_printf(b, "<p>%s</p><form method=\"post\" action=\"/verify\" enctype=\"multipart/form-data\">"
			  "<p><label for=\"credential\">%s</label><br><textarea id=\"credential\" name=\"credential\" "
			  "spellcheck=\"false\"></textarea></p><p><label for=\"file\">%s</label><br>"
			  "<input type=\"file\" id=\"file\" name=\"file\" accept=\".json,.jwt,.txt,application/json,application/vc,application/jwt\"></p>"
			  "<p><button type=\"submit\">%s</button></p></form>",
			  i18n_msg(lang, "verify_intro"), i18n_msg(lang, "verify_paste"), i18n_msg(lang, "verify_file"),
			  i18n_msg(lang, "verify_button"));
}

/* n bytes as a string (malloc'd); NULL when they hold a NUL byte */
static char *
dup_text(const char *v, size_t n)
{
	char	   *out;

	if (memchr(v, '\0', n) != NULL || (out = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(out, v, n);
	out[n] = '\0';
	return out;
}

/* the credential the POST carries (malloc'd, NUL-terminated), or NULL */
static char *
posted_credential(struct MHD_Connection *conn, http_request *req)
{
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *v = NULL;
	size_t		n = 0;
	char	   *out;

	if (req->body == NULL)
		return NULL;
	if (ct != NULL && strncasecmp(ct, "multipart/form-data", 19) == 0)
	{
		/* the uploaded file when one was chosen, else the pasted text */
		if (multipart_field(req->body, req->body_len, ct, "file", &v, &n) != 1 || n == 0)
			if (multipart_field(req->body, req->body_len, ct, "credential", &v, &n) != 1)
				return NULL;
		return dup_text(v, n);
	}
	if (ct != NULL && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0)
	{
		out = malloc(req->body_len + 1);
		if (out == NULL || form_value(req->body, "credential", out, req->body_len + 1) != 1)
		{
			free(out);
			return NULL;
		}
		return out;
	}
	/* a raw body: the credential itself (application/json, application/vc, application/jwt, text/plain) */
	return dup_text(req->body, req->body_len);
}

static unsigned int
send_page(struct MHD_Connection *conn, http_request *req, unsigned int status, i18n_lang lang, sbuf *b)
{
	unsigned int rc;

	if (b->oom)
	{
		free(b->data);
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	rc = view_send(conn, req, status, lang, b->data, b->len);
	free(b->data);
	return rc;
}

unsigned int
verify_form_handle(struct MHD_Connection *conn, http_request *req)
{
	i18n_lang	lang = i18n_choose(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
															   MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
	sbuf		b = {0};
	char	   *cred;
	const char *values[1];
	db_call		c;
	json_t	   *page = NULL;
	json_error_t err;
	unsigned int status = MHD_HTTP_OK;

	if (strcmp(req->method, "POST") != 0)
	{
		view_begin(&b, lang, i18n_msg(lang, "verify_title"), NULL);
		form(&b, lang);
		view_end(&b, lang);
		return send_page(conn, req, MHD_HTTP_OK, lang, &b);
	}
	cred = posted_credential(conn, req);
	if (cred == NULL || cred[0] == '\0')
	{
		free(cred);
		req->reason = "no_credential";
		view_begin(&b, lang, i18n_msg(lang, "verify_error"), NULL);
		form(&b, lang);
		view_end(&b, lang);
		return send_page(conn, req, MHD_HTTP_BAD_REQUEST, lang, &b);
	}
	values[0] = cred;
	if (db_call_run(&c, req->cfg->db_conninfo, req->cfg->db_timeout_ms,
					"SELECT microcred.public_verify($1)::text", 1, values) != 0)
	{
		free(cred);
		req->reason = c.rc < 0 ? db_reason_label(c.reason) : "query_failed";
		/* a NUL byte or invalid UTF-8 is refused by the database: the input's fault */
		if (c.rc == 1 && strncmp(c.sqlstate, "22", 2) == 0)
		{
			view_begin(&b, lang, i18n_msg(lang, "verify_error"), NULL);
			form(&b, lang);
			view_end(&b, lang);
			return send_page(conn, req, 422, lang, &b);
		}
		return respond_text(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "temporarily unavailable\n");
	}
	free(cred);
	if (PQntuples(c.res) == 1)
		page = json_loads(PQgetvalue(c.res, 0, 0), 0, &err);
	PQclear(c.res);
	if (page == NULL || json_integer_value(json_object_get(page, "status")) != 200)
	{
		req->reason = "not_a_credential";
		view_begin(&b, lang, i18n_msg(lang, "verify_error"), NULL);
		if (view_str(page, "error") != NULL)
		{
			sb_puts(&b, "<p role=\"alert\"><bdi>");
			sb_html(&b, view_str(page, "error"));
			sb_puts(&b, "</bdi></p>");
		}
		form(&b, lang);
		view_end(&b, lang);
		json_decref(page);
		return send_page(conn, req, 422, lang, &b);
	}
	req->reason = view_str(page, "verdict") && strcmp(view_str(page, "verdict"), "valid") == 0 ? "valid" : "not_valid";
	verify_page_render(&b, lang, page, NULL, i18n_msg(lang, "verify_unchecked"));
	json_decref(page);
	return send_page(conn, req, status, lang, &b);
}
