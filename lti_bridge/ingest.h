/*-------------------------------------------------------------------------
 *
 * ingest.h
 *	  What the completion event routes (ingest_*.c) share: refusals, the
 *	  database's verdicts, and the answer of a stored event.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_INGEST_H
#define MC_INGEST_H

#include <libpq-fe.h>
#include <microhttpd.h>

#include "db.h"
#include "http_internal.h"

/* a refused event: the code in X-Event-Error and the log, counted as refused */
extern unsigned int ingest_refuse(struct MHD_Connection *conn, http_request *req, const char *source,
								  unsigned int status, const char *code, const char *message);

/* the database is unreachable or failed: 503, the sender retries */
extern unsigned int ingest_unavailable(struct MHD_Connection *conn, http_request *req, const char *reason);

/* count one stored event by its state */
extern void ingest_count_event(const char *source, const char *state, int duplicate);

/* a DB error that is the request's fault, by SQLSTATE: 401/400, else -1 */
extern int	ingest_client_fault(const char *sqlstate);

/* the answer to a stored event from the ingest function's row, or 503; clears the result */
extern unsigned int ingest_answer_event(struct MHD_Connection *conn, http_request *req,
										const char *source, db_call *d);

#endif							/* MC_INGEST_H */
