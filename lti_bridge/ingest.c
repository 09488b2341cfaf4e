/*-------------------------------------------------------------------------
 *
 * ingest.c
 *	  Course completion events from LMSs: POST /xapi/statements (an LRS
 *	  endpoint for LRS clients such as Moodle's logstore_xapi),
 *	  POST /canvas/live-events (Canvas Live Events, a JWT signed by
 *	  Instructure) and POST /moodle/events (a JSON webhook signed with
 *	  HMAC-SHA256): ingest_xapi.c, ingest_canvas.c,
 *	  ingest_moodle.c, and what they share (this file).
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
#include "ingest.h"
#include "metrics.h"

/* a refused event: the code in X-Event-Error and the log, counted as refused */
unsigned int
ingest_refuse(struct MHD_Connection *conn, http_request *req, const char *source, unsigned int status,
	   const char *code, const char *message)
{
	char		text[400];

	http_add_header(req, "X-Event-Error", code);
	req->reason = code;
	metrics_event(source, "refused", 1);
	snprintf(text, sizeof(text), "%s\n", message);
	return respond_text(conn, req, status, text);
}

/* the database is unreachable or failed: 503, the sender retries */
unsigned int
ingest_unavailable(struct MHD_Connection *conn, http_request *req, const char *reason)
{
	http_add_header(req, "X-Event-Error", "db_unavailable");
	req->reason = db_reason_label(reason);
	return respond_text(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE,
						"the event was not stored; retry later\n");
}

/* count one stored event by its state */
void
ingest_count_event(const char *source, const char *state, int duplicate)
{
	metrics_event(source, duplicate ? "duplicate" : state, 1);
}

/* a DB error that is the request's fault, by SQLSTATE: 401/400, else -1 */
int
ingest_client_fault(const char *sqlstate)
{
	if (strcmp(sqlstate, "28000") == 0)
		return MHD_HTTP_UNAUTHORIZED;
	if (strcmp(sqlstate, "22023") == 0 || strcmp(sqlstate, "22P02") == 0 ||
		strcmp(sqlstate, "23502") == 0 || strncmp(sqlstate, "22", 2) == 0)
		return MHD_HTTP_BAD_REQUEST;
	return -1;
}

/*
 * The answer to a stored event: {"event_id": .., "state": .., "duplicate": ..}
 * from the ingest function's one row, or 503 when the database failed (the
 * caller answered the request's own faults, d->rc == 1, already).  Clears
 * the result.
 */
unsigned int
ingest_answer_event(struct MHD_Connection *conn, http_request *req, const char *source, db_call *d)
{
	char		body[160];
	const char *state;
	int			dup;

	if (d->rc != 0 || PQntuples(d->res) != 1)
	{
		if (d->res)
			PQclear(d->res);
		return ingest_unavailable(conn, req, d->rc == 1 ? "query_failed" : d->reason);
	}
	state = PQgetvalue(d->res, 0, 1);
	dup = PQgetvalue(d->res, 0, 2)[0] == 't';
	snprintf(body, sizeof(body), "{\"event_id\": %s, \"state\": \"%s\", \"duplicate\": %s}\n",
			 PQgetvalue(d->res, 0, 0), state, dup ? "true" : "false");
	ingest_count_event(source, state, dup);
	req->reason = dup ? "duplicate" : (strcmp(state, "issued") == 0 ? "issued"
									   : strcmp(state, "pending") == 0 ? "pending"
									   : strcmp(state, "ignored") == 0 ? "ignored" : "failed");
	PQclear(d->res);
	d->res = NULL;
	return respond(conn, req, MHD_HTTP_OK, "application/json", body, strlen(body),
				   MHD_RESPMEM_MUST_COPY);
}
