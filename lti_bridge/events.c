/*-------------------------------------------------------------------------
 *
 * events.c
 *	  Course completion events from LMSs: POST /xapi/statements (an LRS
 *	  endpoint for LRS clients such as Moodle's logstore_xapi),
 *	  POST /canvas/live-events (Canvas Live Events, a JWT signed by
 *	  Instructure) and POST /moodle/events (a JSON webhook signed with
 *	  HMAC-SHA256).
 *
 * The bridge checks what it can without secrets (shape, sizes, the Canvas
 * signature against Instructure's public keys) and hands each event to one
 * SECURITY DEFINER function, which authenticates the source (xAPI password,
 * Moodle HMAC: the secrets live in the database), stores the event once
 * under its key and issues in the same transaction.  The answer is 200
 * only after that transaction committed; a database that cannot be
 * reached is a 503, so the sender retries, and a retry of a stored event
 * changes nothing.  Nothing about a learner is logged.
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
#include "http_internal.h"
#include "idtoken.h"
#include "launch_token.h"
#include "lti.h"
#include "metrics.h"

/* a refused event: the code in X-Event-Error and the log, counted as refused */
static unsigned int
refuse(struct MHD_Connection *conn, http_request *req, const char *source, unsigned int status,
	   const char *code, const char *message)
{
	char		text[400];

	req->event_error = code;
	req->reason = code;
	metrics_event(source, "refused", 1);
	snprintf(text, sizeof(text), "%s\n", message);
	return respond_text(conn, req, status, text);
}

/* the database is unreachable or failed: 503, the sender retries */
static unsigned int
unavailable(struct MHD_Connection *conn, http_request *req, const char *reason)
{
	req->event_error = "db_unavailable";
	req->reason = db_reason_label(reason);
	return respond_text(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE,
						"the event was not stored; retry later\n");
}

/* count one stored event by its state */
static void
count_event(const char *source, const char *state, int duplicate)
{
	metrics_event(source, duplicate ? "duplicate" : state, 1);
}

/* a DB error that is the request's fault, by SQLSTATE: 401/400, else -1 */
static int
client_fault(const char *sqlstate)
{
	if (strcmp(sqlstate, "28000") == 0)
		return MHD_HTTP_UNAUTHORIZED;
	if (strcmp(sqlstate, "22023") == 0 || strcmp(sqlstate, "22P02") == 0 ||
		strcmp(sqlstate, "23502") == 0 || strncmp(sqlstate, "22", 2) == 0)
		return MHD_HTTP_BAD_REQUEST;
	return -1;
}

/* {"event_id": .., "state": .., "duplicate": ..} of an ingest row */
static unsigned int
answer_event(struct MHD_Connection *conn, http_request *req, const char *source, PGresult *res)
{
	char		body[160];
	const char *state = PQgetvalue(res, 0, 1);
	int			dup = PQgetvalue(res, 0, 2)[0] == 't';

	snprintf(body, sizeof(body), "{\"event_id\": %s, \"state\": \"%s\", \"duplicate\": %s}\n",
			 PQgetvalue(res, 0, 0), state, dup ? "true" : "false");
	count_event(source, state, dup);
	req->reason = dup ? "duplicate" : (strcmp(state, "issued") == 0 ? "issued"
									   : strcmp(state, "pending") == 0 ? "pending"
									   : strcmp(state, "ignored") == 0 ? "ignored" : "failed");
	return respond(conn, req, MHD_HTTP_OK, "application/json", body, strlen(body),
				   MHD_RESPMEM_MUST_COPY);
}

/* ---- xAPI ------------------------------------------------------------- */

/* user:password of an HTTP Basic Authorization header, into user and pass */
static int
basic_credentials(struct MHD_Connection *conn, char *user, size_t ulen, char *pass, size_t plen)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	unsigned char dec[512];
	size_t		n;
	int			len;
	char	   *colon;

	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
		return -1;
	h += 6;
	while (*h == ' ')
		h++;
	n = strlen(h);
	if (n == 0 || n % 4 != 0 || n / 4 * 3 >= sizeof(dec))
		return -1;
	len = EVP_DecodeBlock(dec, (const unsigned char *) h, (int) n);
	if (len < 0)
		return -1;
	/* EVP_DecodeBlock counts the padding as zero bytes */
	if (n >= 1 && h[n - 1] == '=')
		len--;
	if (n >= 2 && h[n - 2] == '=')
		len--;
	dec[len] = '\0';
	if (memchr(dec, '\0', (size_t) len) != NULL)
		return -1;
	colon = strchr((char *) dec, ':');
	if (colon == NULL || (size_t) (colon - (char *) dec) >= ulen || strlen(colon + 1) >= plen)
		return -1;
	*colon = '\0';
	memcpy(user, dec, (size_t) (colon - (char *) dec) + 1);
	memcpy(pass, colon + 1, strlen(colon + 1) + 1);
	OPENSSL_cleanse(dec, sizeof(dec));
	return 0;
}

static int
is_uuid(const char *s)
{
	if (s == NULL || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++)
	{
		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (s[i] != '-')
				return 0;
		}
		else if (!isxdigit((unsigned char) s[i]))
			return 0;
	}
	return 1;
}

/* a stable id for a statement that has none: a UUID (v8 layout) of the SHA-256 of its sorted JSON */
static int
derive_id(json_t *st, char out[37])
{
	char	   *text = json_dumps(st, JSON_SORT_KEYS | JSON_COMPACT);
	unsigned char h[32];
	unsigned int hl = 0;

	if (text == NULL)
		return -1;
	if (!EVP_Digest(text, strlen(text), h, &hl, EVP_sha256(), NULL))
	{
		free(text);
		return -1;
	}
	free(text);
	h[6] = (unsigned char) ((h[6] & 0x0f) | 0x80);
	h[8] = (unsigned char) ((h[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12],
			 h[13], h[14], h[15]);
	return 0;
}

/* a statement has what an event needs: actor, verb.id, object.id (and a UUID id, given or derived) */
static const char *
check_statement(json_t *st)
{
	json_t	   *id;

	if (!json_is_object(st))
		return "a statement is not a JSON object";
	if (!json_is_object(json_object_get(st, "actor")))
		return "a statement has no actor";
	if (!json_is_string(json_object_get(json_object_get(st, "verb"), "id")))
		return "a statement has no verb.id";
	if (!json_is_string(json_object_get(json_object_get(st, "object"), "id")))
		return "a statement has no object.id";
	id = json_object_get(st, "id");
	if (id != NULL && !is_uuid(json_string_value(id)))
		return "a statement id is not a UUID";
	if (id == NULL)
	{
		char		sid[37];

		if (derive_id(st, sid) != 0)
			return "out of memory";
		json_object_set_new(st, "id", json_string(sid));
	}
	return NULL;
}

unsigned int
ev_handle_xapi(struct MHD_Connection *conn, http_request *req)
{
	const char *version = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Experience-API-Version");
	char		user[128],
				pass[256];
	json_t	   *doc,
			   *list,
			   *st,
			   *ids;
	json_error_t jerr;
	size_t		i;
	char	   *text;
	const char *values[3];
	PGresult   *res = NULL;
	char		reason[64];
	char		sqlstate[6];
	int			q;
	unsigned int rc;

	req->xapi = 1;
	if (version == NULL || strncmp(version, "1.0", 3) != 0 || (version[3] != '\0' && version[3] != '.'))
		return refuse(conn, req, "xapi", MHD_HTTP_BAD_REQUEST, "xapi_version",
					  "X-Experience-API-Version 1.0.x is required");
	if (basic_credentials(conn, user, sizeof(user), pass, sizeof(pass)) != 0)
	{
		req->basic_auth = 1;
		return refuse(conn, req, "xapi", MHD_HTTP_UNAUTHORIZED, "auth_missing",
					  "HTTP Basic credentials are required (the source name and its secret)");
	}
	doc = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL || (!json_is_object(doc) && !json_is_array(doc)))
	{
		json_decref(doc);
		return refuse(conn, req, "xapi", MHD_HTTP_BAD_REQUEST, "bad_json",
					  "the body is not a JSON statement or array of statements");
	}
	list = json_is_array(doc) ? json_incref(doc) : json_pack("[O]", doc);
	json_decref(doc);
	if (list == NULL || json_array_size(list) == 0)
	{
		json_decref(list);
		return refuse(conn, req, "xapi", MHD_HTTP_BAD_REQUEST, "bad_statement", "no statement");
	}
	json_array_foreach(list, i, st)
	{
		const char *why = check_statement(st);

		if (why != NULL)
		{
			json_decref(list);
			return refuse(conn, req, "xapi", MHD_HTTP_BAD_REQUEST, "bad_statement", why);
		}
	}
	text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	if (text == NULL)
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	values[0] = user;
	values[1] = pass;
	values[2] = text;
	q = db_query(req->cfg->db_conninfo, req->cfg->db_timeout_ms,
				 "SELECT statement_id, state, duplicate FROM microcred.ingest_xapi($1, $2, $3::jsonb)",
				 3, values, &res, sqlstate, reason, sizeof(reason));
	free(text);
	memset(pass, 0, sizeof(pass));
	if (q == 1)
	{
		int			st_code = client_fault(sqlstate);

		if (st_code == MHD_HTTP_UNAUTHORIZED)
		{
			req->basic_auth = 1;
			return refuse(conn, req, "xapi", MHD_HTTP_UNAUTHORIZED, "auth_failed",
						  "the xAPI credentials are not valid");
		}
		if (st_code > 0)
			return refuse(conn, req, "xapi", (unsigned int) st_code, "bad_statement",
						  "a statement was refused by the database");
		return unavailable(conn, req, "query_failed");
	}
	if (q != 0)
		return unavailable(conn, req, reason);
	ids = json_array();
	for (int row = 0; row < PQntuples(res); row++)
	{
		json_array_append_new(ids, json_string(PQgetvalue(res, row, 0)));
		count_event("xapi", PQgetvalue(res, row, 1), PQgetvalue(res, row, 2)[0] == 't');
	}
	PQclear(res);
	text = json_dumps(ids, JSON_COMPACT);
	json_decref(ids);
	if (text == NULL)
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	req->reason = "stored";
	rc = respond(conn, req, MHD_HTTP_OK, "application/json", text, strlen(text), MHD_RESPMEM_MUST_COPY);
	free(text);
	return rc;
}

/* ---- Canvas Live Events ----------------------------------------------- */

/* the unverified payload of a compact JWT (only to find the account's source) */
static json_t *
peek_payload(const char *token, size_t len)
{
	const char *d1 = memchr(token, '.', len);
	const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t) (d1 + 1 - token)) : NULL;
	size_t		n,
				pad;
	char	   *b64;
	unsigned char *raw;
	int			rawlen;
	json_t	   *doc;

	if (d2 == NULL)
		return NULL;
	n = (size_t) (d2 - d1 - 1);
	pad = (4 - n % 4) % 4;
	if (n == 0 || n > 64 * 1024 || pad == 3)
		return NULL;
	b64 = malloc(n + pad + 1);
	raw = malloc(n + pad + 1);
	if (b64 == NULL || raw == NULL)
	{
		free(b64);
		free(raw);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		b64[i] = d1[1 + i] == '-' ? '+' : d1[1 + i] == '_' ? '/' : d1[1 + i];
	memset(b64 + n, '=', pad);
	b64[n + pad] = '\0';
	rawlen = EVP_DecodeBlock(raw, (unsigned char *) b64, (int) (n + pad));
	doc = rawlen > 0 ? json_loadb((char *) raw, (size_t) rawlen - pad, 0, NULL) : NULL;
	free(b64);
	free(raw);
	if (doc != NULL && !json_is_object(doc))
	{
		json_decref(doc);
		doc = NULL;
	}
	return doc;
}

static const char *
account_of(json_t *claims)
{
	json_t	   *m = json_object_get(claims, "metadata");
	const char *a = json_string_value(json_object_get(m, "root_account_uuid"));

	return a ? a : json_string_value(json_object_get(m, "root_account_id"));
}

unsigned int
ev_handle_canvas(struct MHD_Connection *conn, http_request *req)
{
	static const char *const algs[] = {"RS256"};
	char	   *token;
	size_t		len;
	json_t	   *peek,
			   *claims = NULL;
	const char *values[2];
	PGresult   *res = NULL;
	char		reason[64];
	char		sqlstate[6];
	char		source[64],
				jwks_url[1024];
	idt_error	err;
	idt_reason	r;
	char	   *text;
	int			q;
	unsigned int rc;

	/* the body is the JWT, maybe with surrounding whitespace */
	if (req->body == NULL || req->body_len == 0)
		return refuse(conn, req, "canvas", MHD_HTTP_BAD_REQUEST, "bad_jwt", "the body is not a JWT");
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
		return refuse(conn, req, "canvas", MHD_HTTP_BAD_REQUEST, "bad_jwt",
					  "the body is not a Canvas Live Events JWT with metadata.root_account_uuid");
	}
	values[0] = account_of(peek);
	q = db_query(req->cfg->db_conninfo, req->cfg->db_timeout_ms,
				 "SELECT source_id, jwks_url FROM microcred.event_source_for_canvas($1)",
				 1, values, &res, sqlstate, reason, sizeof(reason));
	json_decref(peek);
	if (q != 0)
		return unavailable(conn, req, q == 1 ? "query_failed" : reason);
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
	{
		PQclear(res);
		return refuse(conn, req, "canvas", MHD_HTTP_UNAUTHORIZED, "unknown_account",
					  "no Canvas event source is registered for this account");
	}
	snprintf(source, sizeof(source), "%s", PQgetvalue(res, 0, 0));
	snprintf(jwks_url, sizeof(jwks_url), "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	res = NULL;

	r = signed_token_verify(lti_jwks_cache(), jwks_url, token, len, algs, 1, &claims, &err);
	if (r != IDT_OK)
		return refuse(conn, req, "canvas",
					  r == IDT_JWKS_UNAVAILABLE ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_UNAUTHORIZED,
					  idt_reason_code(r), err.message);
	/* the time claims, when present (Canvas's events are short-lived JWTs) */
	{
		json_t	   *exp = json_object_get(claims, "exp");
		json_t	   *iat = json_object_get(claims, "iat");
		time_t		now = time(NULL);
		long		leeway = req->cfg->jwt_leeway_s;

		if ((exp != NULL && (!json_is_integer(exp) || json_integer_value(exp) + leeway < now)) ||
			(iat != NULL && (!json_is_integer(iat) || json_integer_value(iat) - leeway > now)))
		{
			json_decref(claims);
			return refuse(conn, req, "canvas", MHD_HTTP_UNAUTHORIZED, "expired",
						  "the event JWT is expired or not yet valid");
		}
	}
	text = json_dumps(claims, JSON_COMPACT);
	json_decref(claims);
	if (text == NULL)
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	values[0] = source;
	values[1] = text;
	q = db_query(req->cfg->db_conninfo, req->cfg->db_timeout_ms,
				 "SELECT event_id, state, duplicate FROM microcred.ingest_canvas($1::uuid, $2::jsonb)",
				 2, values, &res, sqlstate, reason, sizeof(reason));
	free(text);
	if (q == 1)
	{
		int			st = client_fault(sqlstate);

		if (st > 0)
			return refuse(conn, req, "canvas", (unsigned int) st,
						  st == MHD_HTTP_UNAUTHORIZED ? "unknown_account" : "bad_event",
						  "the event was refused");
		return unavailable(conn, req, "query_failed");
	}
	if (q != 0 || PQntuples(res) != 1)
	{
		if (res)
			PQclear(res);
		return unavailable(conn, req, reason);
	}
	rc = answer_event(conn, req, "canvas", res);
	PQclear(res);
	return rc;
}

/* ---- Moodle webhook --------------------------------------------------- */

unsigned int
ev_handle_moodle(struct MHD_Connection *conn, http_request *req)
{
	const char *source = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Microcred-Source");
	const char *sig = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Microcred-Signature");
	const char *values[3];
	PGresult   *res = NULL;
	char		reason[64];
	char		sqlstate[6];
	int			q;
	unsigned int rc;

	if (source == NULL || sig == NULL)
		return refuse(conn, req, "moodle", MHD_HTTP_UNAUTHORIZED, "signature_missing",
					  "X-Microcred-Source and X-Microcred-Signature are required");
	if (req->body == NULL || req->body_len == 0 || strlen(req->body) != req->body_len)
		return refuse(conn, req, "moodle", MHD_HTTP_BAD_REQUEST, "bad_json", "the body is not JSON");
	values[0] = source;
	values[1] = req->body;
	values[2] = sig;
	q = db_query(req->cfg->db_conninfo, req->cfg->db_timeout_ms,
				 "SELECT event_id, state, duplicate FROM microcred.ingest_moodle($1, $2, $3)",
				 3, values, &res, sqlstate, reason, sizeof(reason));
	if (q == 1)
	{
		int			st = client_fault(sqlstate);

		if (st == MHD_HTTP_UNAUTHORIZED)
			return refuse(conn, req, "moodle", MHD_HTTP_UNAUTHORIZED, "bad_signature",
						  "the event signature does not verify");
		if (st > 0)
			return refuse(conn, req, "moodle", (unsigned int) st,
						  strcmp(sqlstate, "22P02") == 0 || strcmp(sqlstate, "22021") == 0 ? "bad_json" : "bad_event",
						  "the event is not a JSON course completion event");
		return unavailable(conn, req, "query_failed");
	}
	if (q != 0 || PQntuples(res) != 1)
	{
		if (res)
			PQclear(res);
		return unavailable(conn, req, reason);
	}
	rc = answer_event(conn, req, "moodle", res);
	PQclear(res);
	return rc;
}
