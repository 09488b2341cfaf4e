/*-------------------------------------------------------------------------
 *
 * ingest_canvas.c
 *	  POST /canvas/live-events: Canvas Live Events, a JWT signed by
 *	  Instructure, checked against the account's JWKS; exp is required and
 *	  iat bounded.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "db.h"
#include "idtoken.h"
#include "jose.h"
#include "launch_token.h"
#include "lti.h"
#include "http_internal.h"
#include "ingest.h"
#include "metrics.h"

/* the oldest Canvas event JWT accepted, by its iat (Canvas signs each event as it sends it) */
#define CANVAS_MAX_AGE_S 86400

/* the unverified payload of a compact JWT (only to find the account's source) */
static json_t *
peek_payload(const char *token, size_t len)
{
	size_t		d1,
				d2;

	if (len > 1024 * 1024 || jose_split_compact(token, len, &d1, &d2) != JOSE_OK)
		return NULL;
	return jose_decode_object(token + d1 + 1, d2 - d1 - 1);
}

static const char *
account_of(json_t *claims)
{
	json_t	   *m = json_object_get(claims, "metadata");
	const char *a = json_string_value(json_object_get(m, "root_account_uuid"));

	return a ? a : json_string_value(json_object_get(m, "root_account_id"));
}

unsigned int
ingest_handle_canvas(struct MHD_Connection *conn, http_request *req)
{
	static const char *const algs[] = {"RS256"};
	char	   *token;
	size_t		len;
	json_t	   *peek,
			   *claims = NULL;
	const char *values[2];
	db_call		d;
	char		source[64],
				jwks_url[1024];
	idt_error	err;
	idt_reason	r;
	char	   *text;

	/* the body is the JWT, maybe with surrounding whitespace */
	if (req->body == NULL || req->body_len == 0)
		return ingest_refuse(conn, req, "canvas", MHD_HTTP_BAD_REQUEST, "bad_jwt", "the body is not a JWT");
	token = req->body;
	while (*token && isspace((unsigned char) *token))
		token++;
	len = strlen(token);
	while (len > 0 && isspace((unsigned char) token[len - 1]))
		token[--len] = '\0';
	peek = peek_payload(token, len);
	if (peek == NULL || account_of(peek) == NULL)
	{
		json_decref(peek);
		return ingest_refuse(conn, req, "canvas", MHD_HTTP_BAD_REQUEST, "bad_jwt",
					  "the body is not a Canvas Live Events JWT with metadata.root_account_uuid");
	}
	values[0] = account_of(peek);
	db_call_run(&d, req->cfg->db_conninfo, req->cfg->db_timeout_ms,
				"SELECT source_id, jwks_url FROM microcred.event_source_for_canvas($1)",
				1, values);
	json_decref(peek);
	if (d.rc != 0)
		return ingest_unavailable(conn, req, d.rc == 1 ? "query_failed" : d.reason);
	if (PQntuples(d.res) != 1 || PQgetisnull(d.res, 0, 0))
	{
		PQclear(d.res);
		return ingest_refuse(conn, req, "canvas", MHD_HTTP_UNAUTHORIZED, "unknown_account",
					  "no Canvas event source is registered for this account");
	}
	snprintf(source, sizeof(source), "%s", PQgetvalue(d.res, 0, 0));
	snprintf(jwks_url, sizeof(jwks_url), "%s", PQgetvalue(d.res, 0, 1));
	PQclear(d.res);
	d.res = NULL;

	r = signed_token_verify(lti_jwks_cache(), jwks_url, token, len, algs, 1, &claims, &err);
	if (r != IDT_OK)
		return ingest_refuse(conn, req, "canvas",
					  r == IDT_JWKS_UNAVAILABLE ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_UNAUTHORIZED,
					  idt_reason_code(r), err.message);
	/*
	 * The time claims: exp is required (an event JWT without one would be
	 * replayable for ever) and iat, when present, lies within
	 * CANVAS_MAX_AGE_S before now and not in the future (both with leeway).
	 */
	{
		json_t	   *exp = json_object_get(claims, "exp");
		json_t	   *iat = json_object_get(claims, "iat");
		time_t		now = time(NULL);
		long		leeway = req->cfg->jwt_leeway_s;

		if (!json_is_integer(exp))
		{
			json_decref(claims);
			return ingest_refuse(conn, req, "canvas", MHD_HTTP_UNAUTHORIZED, "exp_missing",
						  "the event JWT has no integer exp claim");
		}
		if (json_integer_value(exp) + leeway < now ||
			(iat != NULL && (!json_is_integer(iat) || json_integer_value(iat) - leeway > now ||
							 json_integer_value(iat) + CANVAS_MAX_AGE_S + leeway < now)))
		{
			json_decref(claims);
			return ingest_refuse(conn, req, "canvas", MHD_HTTP_UNAUTHORIZED, "expired",
						  "the event JWT is expired, too old or not yet valid");
		}
	}
	text = json_dumps(claims, JSON_COMPACT);
	json_decref(claims);
	if (text == NULL)
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	values[0] = source;
	values[1] = text;
	db_call_run(&d, req->cfg->db_conninfo, req->cfg->db_timeout_ms,
				"SELECT event_id, state, duplicate FROM microcred.ingest_canvas($1::uuid, $2::jsonb)",
				2, values);
	free(text);
	if (d.rc == 1)
	{
		int			st = ingest_client_fault(d.sqlstate);

		if (st > 0)
			return ingest_refuse(conn, req, "canvas", (unsigned int) st,
						  st == MHD_HTTP_UNAUTHORIZED ? "unknown_account" : "bad_event",
						  "the event was refused");
		return ingest_unavailable(conn, req, "query_failed");
	}
	return ingest_answer_event(conn, req, "canvas", &d);
}
