/*-------------------------------------------------------------------------
 *
 * ingest_moodle.c
 *	  POST /moodle/events: a JSON webhook signed with HMAC-SHA256; the
 *	  database holds the key and checks the signature.
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

unsigned int
ingest_handle_moodle(struct MHD_Connection *conn, http_request *req)
{
	const char *source = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Microcred-Source");
	const char *sig = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Microcred-Signature");
	const char *values[3];
	db_call		d;

	if (source == NULL || sig == NULL)
		return ingest_refuse(conn, req, "moodle", MHD_HTTP_UNAUTHORIZED, "signature_missing",
					  "X-Microcred-Source and X-Microcred-Signature are required");
	if (req->body == NULL || req->body_len == 0 || strlen(req->body) != req->body_len)
		return ingest_refuse(conn, req, "moodle", MHD_HTTP_BAD_REQUEST, "bad_json", "the body is not JSON");
	values[0] = source;
	values[1] = req->body;
	values[2] = sig;
	db_call_run(&d, req->cfg->db_conninfo, req->cfg->db_timeout_ms,
				"SELECT event_id, state, duplicate FROM microcred.ingest_moodle($1, $2, $3)",
				3, values);
	if (d.rc == 1)
	{
		int			st = ingest_client_fault(d.sqlstate);

		if (st == MHD_HTTP_UNAUTHORIZED)
			return ingest_refuse(conn, req, "moodle", MHD_HTTP_UNAUTHORIZED, "bad_signature",
						  "the event signature does not verify");
		if (st > 0)
			return ingest_refuse(conn, req, "moodle", (unsigned int) st,
						  strcmp(d.sqlstate, "22P02") == 0 || strcmp(d.sqlstate, "22021") == 0 ? "bad_json" : "bad_event",
						  "the event is not a JSON course completion event");
		return ingest_unavailable(conn, req, "query_failed");
	}
	return ingest_answer_event(conn, req, "moodle", &d);
}
