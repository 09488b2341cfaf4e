/*-------------------------------------------------------------------------
 *
 * ingest_xapi.c
 *	  POST /xapi/statements: an LRS endpoint for LRS clients such as
 *	  Moodle's logstore_xapi.  HTTP Basic credentials name the event source
 *	  and carry its secret, which the database checks; the password is
 *	  wiped (OPENSSL_cleanse) on every path.
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
#include "ingest.h"
#include "metrics.h"

#define BASIC_REALM "Basic realm=\"microcred xAPI\""

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
	{
		OPENSSL_cleanse(dec, sizeof(dec));
		return -1;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes */
	if (n >= 1 && h[n - 1] == '=')
		len--;
	if (n >= 2 && h[n - 2] == '=')
		len--;
	dec[len] = '\0';
	colon = strchr((char *) dec, ':');
	if (memchr(dec, '\0', (size_t) len) != NULL || colon == NULL ||
		(size_t) (colon - (char *) dec) >= ulen || strlen(colon + 1) >= plen)
	{
		OPENSSL_cleanse(dec, sizeof(dec));
		return -1;
	}
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

/* the statements of an authenticated request, stored by the database */
static unsigned int
store_statements(struct MHD_Connection *conn, http_request *req, const char *user, const char *pass)
{
	json_t	   *doc,
			   *list,
			   *st,
			   *ids;
	json_error_t jerr;
	size_t		i;
	char	   *text;
	const char *values[3];
	db_call		d;
	unsigned int rc;

	doc = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL || (!json_is_object(doc) && !json_is_array(doc)))
	{
		json_decref(doc);
		return ingest_refuse(conn, req, "xapi", MHD_HTTP_BAD_REQUEST, "bad_json",
					  "the body is not a JSON statement or array of statements");
	}
	list = json_is_array(doc) ? json_incref(doc) : json_pack("[O]", doc);
	json_decref(doc);
	if (list == NULL || json_array_size(list) == 0)
	{
		json_decref(list);
		return ingest_refuse(conn, req, "xapi", MHD_HTTP_BAD_REQUEST, "bad_statement", "no statement");
	}
	json_array_foreach(list, i, st)
	{
		const char *why = check_statement(st);

		if (why != NULL)
		{
			json_decref(list);
			return ingest_refuse(conn, req, "xapi", MHD_HTTP_BAD_REQUEST, "bad_statement", why);
		}
	}
	text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	if (text == NULL)
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	values[0] = user;
	values[1] = pass;
	values[2] = text;
	db_call_run(&d, req->cfg->db_conninfo, req->cfg->db_timeout_ms,
				"SELECT statement_id, state, duplicate FROM microcred.ingest_xapi($1, $2, $3::jsonb)",
				3, values);
	free(text);
	if (d.rc == 1)
	{
		int			st_code = ingest_client_fault(d.sqlstate);

		if (st_code == MHD_HTTP_UNAUTHORIZED)
		{
			http_add_header(req, MHD_HTTP_HEADER_WWW_AUTHENTICATE, BASIC_REALM);
			return ingest_refuse(conn, req, "xapi", MHD_HTTP_UNAUTHORIZED, "auth_failed",
						  "the xAPI credentials are not valid");
		}
		if (st_code > 0)
			return ingest_refuse(conn, req, "xapi", (unsigned int) st_code, "bad_statement",
						  "a statement was refused by the database");
		return ingest_unavailable(conn, req, "query_failed");
	}
	if (d.rc != 0)
		return ingest_unavailable(conn, req, d.reason);
	ids = json_array();
	for (int row = 0; row < PQntuples(d.res); row++)
	{
		json_array_append_new(ids, json_string(PQgetvalue(d.res, row, 0)));
		ingest_count_event("xapi", PQgetvalue(d.res, row, 1), PQgetvalue(d.res, row, 2)[0] == 't');
	}
	PQclear(d.res);
	text = json_dumps(ids, JSON_COMPACT);
	json_decref(ids);
	if (text == NULL)
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	req->reason = "stored";
	rc = respond(conn, req, MHD_HTTP_OK, "application/json", text, strlen(text), MHD_RESPMEM_MUST_COPY);
	free(text);
	return rc;
}

/* POST /xapi/statements; the password lives in this frame only and is wiped on every path */
unsigned int
ingest_handle_xapi(struct MHD_Connection *conn, http_request *req)
{
	const char *version = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Experience-API-Version");
	char		user[128],
				pass[256];
	unsigned int rc;

	http_add_header(req, "X-Experience-API-Version", "1.0.3");
	if (version == NULL || strncmp(version, "1.0", 3) != 0 || (version[3] != '\0' && version[3] != '.'))
		return ingest_refuse(conn, req, "xapi", MHD_HTTP_BAD_REQUEST, "xapi_version",
							 "X-Experience-API-Version 1.0.x is required");
	if (basic_credentials(conn, user, sizeof(user), pass, sizeof(pass)) != 0)
	{
		OPENSSL_cleanse(pass, sizeof(pass));
		http_add_header(req, MHD_HTTP_HEADER_WWW_AUTHENTICATE, BASIC_REALM);
		return ingest_refuse(conn, req, "xapi", MHD_HTTP_UNAUTHORIZED, "auth_missing",
							 "HTTP Basic credentials are required (the source name and its secret)");
	}
	rc = store_statements(conn, req, user, pass);
	OPENSSL_cleanse(pass, sizeof(pass));
	return rc;
}
