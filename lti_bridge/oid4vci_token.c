/*-------------------------------------------------------------------------
 *
 * oid4vci_token.c
 *	  POST /wallet/token: the token endpoint of the pre-authorized code
 *	  flow (OpenID4VCI 1.0 section 6, RFC 6749 sections 4.1.3, 5): an
 *	  application/x-www-form-urlencoded body with grant_type
 *	  urn:ietf:params:oauth:grant-type:pre-authorized_code, the
 *	  pre-authorized_code and, when the offer has one, tx_code.  Anonymous
 *	  clients (no client authentication).  The database spends the code
 *	  once (microcred.oid4vci_token).
 *
 *	  POST /wallet/nonce: the nonce endpoint (section 7): a fresh c_nonce.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "db.h"
#include "form.h"
#include "oid4vci.h"

#define GRANT_PRE_AUTH "urn:ietf:params:oauth:grant-type:pre-authorized_code"

/* a form field that must appear at most once: 1 found, 0 absent, -1 repeated or malformed */
static int
field_once(const char *body, const char *name, char *out, size_t outlen)
{
	char		key[64];
	int			n = 0;
	const char *p = body;
	size_t		klen;

	snprintf(key, sizeof(key), "%s=", name);
	klen = strlen(key);
	while (p != NULL && *p)
	{
		if (strncmp(p, key, klen) == 0)
			n++;
		p = strchr(p, '&');
		if (p != NULL)
			p++;
	}
	if (n > 1)
		return -1;
	return form_value(body, name, out, outlen);
}

unsigned int
oid4vci_handle_token(struct MHD_Connection *conn, http_request *req)
{
	char		grant[96],
				code[128],
				tx[64];
	int			has_code,
				has_tx,
				has_grant;
	const char *values[2];
	db_call		d;
	unsigned int rc;

	http_add_header(req, "Pragma", "no-cache");
	if (!oid4vci_content_type_is(conn, "application/x-www-form-urlencoded"))
		return oid4vci_error(conn, req, MHD_HTTP_BAD_REQUEST, "invalid_request",
							 "the token request must be application/x-www-form-urlencoded");
	if (req->body_len > OID4VCI_MAX_BODY || (req->body != NULL && strlen(req->body) != req->body_len))
		return oid4vci_error(conn, req, MHD_HTTP_BAD_REQUEST, "invalid_request", "malformed or oversized body");
	has_grant = field_once(req->body ? req->body : "", "grant_type", grant, sizeof(grant));
	has_code = field_once(req->body ? req->body : "", "pre-authorized_code", code, sizeof(code));
	has_tx = field_once(req->body ? req->body : "", "tx_code", tx, sizeof(tx));
	if (has_grant < 0 || has_code < 0 || has_tx < 0)
	{
		OPENSSL_cleanse(tx, sizeof(tx));
		return oid4vci_error(conn, req, MHD_HTTP_BAD_REQUEST, "invalid_request",
							 "a parameter is repeated, malformed or too long");
	}
	if (has_grant == 0)
		return oid4vci_error(conn, req, MHD_HTTP_BAD_REQUEST, "invalid_request", "grant_type is required");
	if (strcmp(grant, GRANT_PRE_AUTH) != 0)
		return oid4vci_error(conn, req, MHD_HTTP_BAD_REQUEST, "unsupported_grant_type",
							 "only the pre-authorized code grant is supported");
	if (has_code == 0 || code[0] == '\0')
		return oid4vci_error(conn, req, MHD_HTTP_BAD_REQUEST, "invalid_request", "pre-authorized_code is required");
	values[0] = code;
	values[1] = has_tx ? tx : NULL;
	db_call_run(&d, req->cfg->db_conninfo, req->cfg->db_timeout_ms,
				"SELECT error, error_description, access_token, expires_in FROM microcred.oid4vci_token($1, $2)",
				2, values);
	OPENSSL_cleanse(tx, sizeof(tx));
	OPENSSL_cleanse(code, sizeof(code));
	if (d.rc == 1)
		return oid4vci_unavailable(conn, req, "query_failed");
	if (d.rc != 0)
		return oid4vci_unavailable(conn, req, d.reason);
	if (PQntuples(d.res) != 1)
	{
		PQclear(d.res);
		return oid4vci_unavailable(conn, req, "query_failed");
	}
	if (!PQgetisnull(d.res, 0, 0))
	{
		char		error[64],
					desc[200];

		snprintf(error, sizeof(error), "%s", PQgetvalue(d.res, 0, 0));
		snprintf(desc, sizeof(desc), "%s", PQgetvalue(d.res, 0, 1));
		PQclear(d.res);
		req->reason = strcmp(error, "invalid_grant") == 0 ? "invalid_grant" : "invalid_request";
		return oid4vci_error(conn, req, MHD_HTTP_BAD_REQUEST, error, desc);
	}
	{
		json_t	   *doc = json_pack("{s:s, s:s, s:I}", "access_token", PQgetvalue(d.res, 0, 2),
									"token_type", "Bearer",
									"expires_in", (json_int_t) atoll(PQgetvalue(d.res, 0, 3)));
		char	   *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

		PQclear(d.res);
		json_decref(doc);
		if (text == NULL)
			return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
		req->reason = "token";
		rc = oid4vci_json(conn, req, MHD_HTTP_OK, text);
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	return rc;
}

unsigned int
oid4vci_handle_nonce(struct MHD_Connection *conn, http_request *req)
{
	db_call		d;
	json_t	   *doc;
	char	   *text;
	unsigned int rc;

	db_call_run(&d, req->cfg->db_conninfo, req->cfg->db_timeout_ms,
				"SELECT microcred.oid4vci_nonce()", 0, NULL);
	if (d.rc == 1)
		return oid4vci_unavailable(conn, req, "query_failed");
	if (d.rc != 0)
		return oid4vci_unavailable(conn, req, d.reason);
	doc = json_pack("{s:s}", "c_nonce", PQntuples(d.res) == 1 ? PQgetvalue(d.res, 0, 0) : "");
	PQclear(d.res);
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (text == NULL)
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	rc = oid4vci_json(conn, req, MHD_HTTP_OK, text);
	free(text);
	return rc;
}
