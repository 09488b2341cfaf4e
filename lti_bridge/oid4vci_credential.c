/*-------------------------------------------------------------------------
 *
 * oid4vci_credential.c
 *	  POST /wallet/credential: the credential endpoint (OpenID4VCI 1.0
 *	  section 8).  The bridge checks what needs no state: the bearer
 *	  token's presence, Content-Type application/json, a JSON object of
 *	  at most 16 KiB with credential_configuration_id and proofs.jwt
 *	  holding exactly one key proof (no batch issuance: the metadata does
 *	  not offer it), no response encryption.  The database checks the
 *	  rest and signs (microcred.oid4vci_credential): the access token, the
 *	  key proof (signature, typ, alg, key, aud, iat, single-use c_nonce),
 *	  and answers with the status and body to send.
 *
 *	  Errors: 401 with WWW-Authenticate: Bearer (RFC 6750) for a missing
 *	  or invalid token; 400 invalid_credential_request,
 *	  unknown_credential_configuration, unknown_credential_identifier,
 *	  invalid_proof, invalid_nonce, invalid_encryption_parameters,
 *	  credential_request_denied.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "db.h"
#include "oid4vci.h"

#define BEARER_REALM "Bearer realm=\"microcred\""

/* the bearer token of the Authorization header into out: 0, or -1 when absent or malformed */
static int
bearer_token(struct MHD_Connection *conn, char *out, size_t outlen)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	size_t		n;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return -1;
	h += 7;
	while (*h == ' ')
		h++;
	n = strlen(h);
	if (n == 0 || n >= outlen || strspn(h, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=") != n)
		return -1;
	memcpy(out, h, n + 1);
	return 0;
}

/* 401 for a request without a usable token (RFC 6750 section 3.1: no error code when none was sent) */
static unsigned int
unauthorized(struct MHD_Connection *conn, http_request *req, const char *error, const char *description)
{
	char		h[256];

	if (error == NULL)
	{
		http_add_header(req, MHD_HTTP_HEADER_WWW_AUTHENTICATE, BEARER_REALM);
		req->reason = "no_token";
		return oid4vci_json(conn, req, MHD_HTTP_UNAUTHORIZED, "{}");
	}
	snprintf(h, sizeof(h), "%s, error=\"%s\", error_description=\"%s\"", BEARER_REALM, error, description);
	http_add_header(req, MHD_HTTP_HEADER_WWW_AUTHENTICATE, h);
	return oid4vci_error(conn, req, MHD_HTTP_UNAUTHORIZED, error, description);
}

/*
 * The configuration id and the one jwt key proof of a request body; NULL
 * with *error and *why set when the body is refused here.
 */
static json_t *
parse_request(const http_request *req, const char **config, const char **proof,
			  const char **error, const char **why)
{
	json_error_t jerr;
	json_t	   *doc,
			   *proofs,
			   *jwts;

	*error = "invalid_credential_request";
	if (req->body_len > OID4VCI_MAX_BODY)
	{
		*why = "the credential request is larger than 16 KiB";
		return NULL;
	}
	doc = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL || !json_is_object(doc))
	{
		json_decref(doc);
		*why = "the credential request is not a JSON object";
		return NULL;
	}
	if (json_object_get(doc, "credential_response_encryption") != NULL)
	{
		*error = "invalid_encryption_parameters";
		*why = "credential response encryption is not supported";
	}
	else if (json_object_get(doc, "credential_identifier") != NULL)
	{
		*error = json_object_get(doc, "credential_configuration_id") ? "invalid_credential_request"
			: "unknown_credential_identifier";
		*why = "this issuer returns no credential identifiers: use credential_configuration_id";
	}
	else if (!json_is_string(json_object_get(doc, "credential_configuration_id")))
		*why = "credential_configuration_id is required";
	else if (json_object_get(doc, "proof") != NULL)
		*why = "proof is not an OpenID4VCI 1.0 parameter: send proofs {\"jwt\": [...]}";
	else if ((proofs = json_object_get(doc, "proofs")) == NULL || !json_is_object(proofs) ||
			 json_object_size(proofs) != 1 || (jwts = json_object_get(proofs, "jwt")) == NULL ||
			 !json_is_array(jwts) || json_array_size(jwts) == 0 ||
			 !json_is_string(json_array_get(jwts, 0)))
	{
		*error = "invalid_proof";
		*why = "proofs must hold one key proof of type jwt";
	}
	else if (json_array_size(jwts) > 1)
		*why = "batch issuance is not supported: send one key proof";
	else
	{
		*config = json_string_value(json_object_get(doc, "credential_configuration_id"));
		*proof = json_string_value(json_array_get(jwts, 0));
		return doc;
	}
	json_decref(doc);
	return NULL;
}

unsigned int
oid4vci_handle_credential(struct MHD_Connection *conn, http_request *req)
{
	char		token[128];
	const char *config = NULL,
			   *proof = NULL,
			   *error = NULL,
			   *why = NULL;
	const char *values[3];
	json_t	   *doc;
	db_call		d;
	unsigned int rc,
				status;

	if (bearer_token(conn, token, sizeof(token)) != 0)
		return unauthorized(conn, req, NULL, NULL);
	if (!oid4vci_content_type_is(conn, "application/json"))
		return oid4vci_error(conn, req, MHD_HTTP_BAD_REQUEST, "invalid_credential_request",
							 "the credential request must be application/json");
	doc = parse_request(req, &config, &proof, &error, &why);
	if (doc == NULL)
		return oid4vci_error(conn, req, MHD_HTTP_BAD_REQUEST, error, why);
	values[0] = token;
	values[1] = config;
	values[2] = proof;
	db_call_run(&d, req->cfg->db_conninfo, req->cfg->db_timeout_ms,
				"SELECT status, body FROM microcred.oid4vci_credential($1, $2, $3)", 3, values);
	json_decref(doc);
	if (d.rc == 1)
		return oid4vci_unavailable(conn, req, "query_failed");
	if (d.rc != 0)
		return oid4vci_unavailable(conn, req, d.reason);
	if (PQntuples(d.res) != 1 || PQgetisnull(d.res, 0, 0) || PQgetisnull(d.res, 0, 1))
	{
		PQclear(d.res);
		return oid4vci_unavailable(conn, req, "query_failed");
	}
	status = (unsigned int) atoi(PQgetvalue(d.res, 0, 0));
	if (status == MHD_HTTP_UNAUTHORIZED)
	{
		json_t	   *body = json_loads(PQgetvalue(d.res, 0, 1), 0, NULL);
		char		desc[128];

		const char *d_text = json_string_value(json_object_get(body, "error_description"));

		snprintf(desc, sizeof(desc), "%s", d_text != NULL ? d_text : "");
		json_decref(body);
		PQclear(d.res);
		req->reason = "invalid_token";
		return unauthorized(conn, req, "invalid_token", desc);
	}
	if (status != MHD_HTTP_OK)
	{
		json_t	   *body = json_loads(PQgetvalue(d.res, 0, 1), 0, NULL);
		const char *e = json_string_value(json_object_get(body, "error"));

		/* a fixed label for the log: the error codes are a closed set */
		req->reason = e == NULL ? "refused" : strcmp(e, "invalid_proof") == 0 ? "invalid_proof"
			: strcmp(e, "invalid_nonce") == 0 ? "invalid_nonce"
			: strcmp(e, "unknown_credential_configuration") == 0 ? "unknown_credential_configuration"
			: "credential_request_denied";
		json_decref(body);
	}
	else
		req->reason = "delivered";
	rc = oid4vci_json(conn, req, status, PQgetvalue(d.res, 0, 1));
	PQclear(d.res);
	return rc;
}
