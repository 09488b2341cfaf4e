/*-------------------------------------------------------------------------
 *
 * db.c
 *	  A small pool of libpq connections.
 *
 * A fixed array of slots behind a mutex and a condition variable.  A
 * worker takes a free slot (waiting at most the timeout), connects it if
 * it has no healthy connection made with the current connection string,
 * runs its query without the lock, and gives the slot back.  Queries are
 * sent asynchronously and waited for with poll(), so a stuck server costs
 * at most the timeout (the query is then cancelled and the connection
 * dropped).  Server messages are not logged verbatim: they may hold a
 * connection string or data.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "db.h"
#include "log.h"
#include "metrics.h"

typedef struct db_slot
{
	PGconn	   *conn;
	char	   *conninfo;		/* what conn was made with */
	int			busy;
} db_slot;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_free = PTHREAD_COND_INITIALIZER;
static db_slot *slots;
static int	n_slots;

/* create the pool */
int
db_pool_init(int size)
{
	pthread_mutex_lock(&pool_lock);
	slots = calloc((size_t) size, sizeof(db_slot));
	n_slots = slots ? size : 0;
	pthread_mutex_unlock(&pool_lock);
	return slots ? 0 : -1;
}

/* close every connection */
void
db_pool_shutdown(void)
{
	pthread_mutex_lock(&pool_lock);
	for (int i = 0; i < n_slots; i++)
	{
		if (slots[i].conn)
			PQfinish(slots[i].conn);
		free(slots[i].conninfo);
	}
	free(slots);
	slots = NULL;
	n_slots = 0;
	pthread_mutex_unlock(&pool_lock);
}

/* milliseconds of a monotonic clock */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* take a free slot, waiting until deadline; NULL if none */
static db_slot *
slot_take(long long deadline_ms)
{
	db_slot    *s = NULL;

	pthread_mutex_lock(&pool_lock);
	for (;;)
	{
		for (int i = 0; i < n_slots; i++)
			if (!slots[i].busy)
			{
				s = &slots[i];
				s->busy = 1;
				break;
			}
		if (s != NULL || n_slots == 0)
			break;
		{
			long long	left = deadline_ms - now_ms();
			struct timespec until;

			if (left <= 0)
				break;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += left / 1000;
			until.tv_nsec += (left % 1000) * 1000000;
			if (until.tv_nsec >= 1000000000)
			{
				until.tv_sec++;
				until.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&pool_free, &pool_lock, &until);
		}
	}
	pthread_mutex_unlock(&pool_lock);
	return s;
}

/* give a slot back */
static void
slot_give(db_slot *s)
{
	pthread_mutex_lock(&pool_lock);
	s->busy = 0;
	pthread_cond_signal(&pool_free);
	pthread_mutex_unlock(&pool_lock);
}

/* drop a slot's connection */
static void
slot_reset(db_slot *s)
{
	if (s->conn)
		PQfinish(s->conn);
	s->conn = NULL;
	free(s->conninfo);
	s->conninfo = NULL;
}

/* make sure the slot holds a good connection made with conninfo */
static int
slot_connect(db_slot *s, const char *conninfo, int timeout_ms, char *why, size_t whylen)
{
	char		ct[16];
	const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
	const char *vals[] = {ct, "microcred-bridge", conninfo, NULL};

	if (s->conn != NULL && s->conninfo != NULL && strcmp(s->conninfo, conninfo) == 0 &&
		PQstatus(s->conn) == CONNECTION_OK)
		return 0;
	slot_reset(s);
	/* libpq counts connect_timeout in whole seconds, at least 2 */
	snprintf(ct, sizeof(ct), "%d", timeout_ms / 1000 < 2 ? 2 : timeout_ms / 1000);
	/* keywords before dbname: the operator's connection string overrides them */
	s->conn = PQconnectdbParams(keys, vals, 1);
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK)
	{
		/* libpq's first line: host, port and role, never the password */
		snprintf(why, whylen, "%s", s->conn ? PQerrorMessage(s->conn) : "out of memory");
		why[strcspn(why, "\n")] = '\0';
		slot_reset(s);
		return -1;
	}
	s->conninfo = strdup(conninfo);
	if (s->conninfo == NULL)
	{
		snprintf(why, whylen, "out of memory");
		slot_reset(s);
		return -1;
	}
	return 0;
}

/*
 * Run a query (with nparams text parameters) with a deadline; 0 ok, -1
 * failed, -2 timed out.  With out, the last result (or on failure the
 * error result, when there is one) is handed back for the caller to
 * PQclear; otherwise results are dropped.
 */
static int
run_query_params(PGconn *conn, const char *sql, int nparams, const char *const *values,
				 long long deadline_ms, PGresult **out)
{
	PGresult   *res;
	int			ok = 1;

	if (out)
		*out = NULL;
	if (!(nparams > 0 ? PQsendQueryParams(conn, sql, nparams, NULL, values, NULL, NULL, 0)
		  : PQsendQuery(conn, sql)))
		return -1;
	for (;;)
	{
		struct pollfd pfd;
		long long	left;

		if (!PQconsumeInput(conn))
			return -1;
		if (!PQisBusy(conn))
			break;
		left = deadline_ms - now_ms();
		if (left <= 0)
		{
			PGcancel   *cancel = PQgetCancel(conn);
			char		buf[64];

			if (cancel)
			{
				PQcancel(cancel, buf, sizeof(buf));
				PQfreeCancel(cancel);
			}
			return -2;
		}
		pfd.fd = PQsocket(conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, (int) left) < 0 && errno != EINTR)
			return -1;
	}
	while ((res = PQgetResult(conn)) != NULL)
	{
		int			bad = PQresultStatus(res) != PGRES_TUPLES_OK &&
			PQresultStatus(res) != PGRES_COMMAND_OK;

		/* hand back the last result, or the first error (for its SQLSTATE) */
		if (out && ok)
		{
			if (*out)
				PQclear(*out);
			*out = res;
		}
		else
			PQclear(res);
		if (bad)
			ok = 0;
	}
	return ok ? 0 : -1;
}

static int
run_query(PGconn *conn, const char *sql, long long deadline_ms)
{
	return run_query_params(conn, sql, 0, NULL, deadline_ms, NULL);
}

/*
 * A pooled connection made with conninfo, within deadline; NULL with a
 * reason code ("db_not_configured", "pool_busy", "connect_failed").
 */
static db_slot *
slot_acquire(const char *conninfo, int timeout_ms, long long deadline, char *reason, size_t len)
{
	db_slot    *s;
	char		detail[256];

	if (conninfo == NULL || conninfo[0] == '\0')
	{
		snprintf(reason, len, "db_not_configured");
		return NULL;
	}
	s = slot_take(deadline);
	if (s == NULL)
	{
		metrics_db_error("pool");
		snprintf(reason, len, "pool_busy");
		return NULL;
	}
	if (slot_connect(s, conninfo, timeout_ms, detail, sizeof(detail)) != 0)
	{
		metrics_db_error("connect");
		log_kv(LOG_LVL_WARNING, "database connection failed", "detail", detail, NULL);
		slot_give(s);
		snprintf(reason, len, "connect_failed");
		return NULL;
	}
	return s;
}

/* check the database */
int
db_health(const char *conninfo, int timeout_ms, char *reason, size_t len)
{
	long long	deadline = now_ms() + timeout_ms;
	db_slot    *s;
	int			rc;

	s = slot_acquire(conninfo, timeout_ms, deadline, reason, len);
	if (s == NULL)
		return -1;
	rc = run_query(s->conn, "SELECT 1", deadline);
	if (rc != 0)
	{
		metrics_db_error(rc == -2 ? "timeout" : "query");
		slot_reset(s);
		slot_give(s);
		snprintf(reason, len, rc == -2 ? "timeout" : "query_failed");
		return -1;
	}
	slot_give(s);
	return 0;
}

/* a public resource from microcred.public_resource() */
int
db_public_resource(const char *conninfo, int timeout_ms, const char *kind, const char *id,
				   int want_jwt, db_resource *out, char *reason, size_t len)
{
	long long	deadline = now_ms() + timeout_ms;
	const char *values[4] = {kind, id, want_jwt ? "true" : "false", want_jwt == 2 ? "ob-jwt" : "vc-jwt"};
	db_slot    *s;
	PGresult   *res = NULL;
	int			rc;

	memset(out, 0, sizeof(*out));
	s = slot_acquire(conninfo, timeout_ms, deadline, reason, len);
	if (s == NULL)
		return -1;
	rc = run_query_params(s->conn,
						  "SELECT http_status, content_type, body, "
						  "floor(extract(epoch FROM last_modified))::bigint, max_age "
						  "FROM microcred.public_resource($1, $2, $3::boolean, $4)",
						  4, values, deadline, &res);
	if (rc != 0 || res == NULL || PQntuples(res) != 1 || PQnfields(res) != 5)
	{
		/* the error text may hold the id: log only its SQLSTATE */
		const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

		metrics_db_error(rc == -2 ? "timeout" : "query");
		if (rc == -1)
			log_kv(LOG_LVL_WARNING, "public resource query failed", "sqlstate",
				   state ? state : "none", NULL);
		if (res)
			PQclear(res);
		slot_reset(s);
		slot_give(s);
		snprintf(reason, len, rc == -2 ? "timeout" : "query_failed");
		return -1;
	}
	out->status = atoi(PQgetvalue(res, 0, 0));
	out->content_type = strdup(PQgetvalue(res, 0, 1));
	out->body_len = (size_t) PQgetlength(res, 0, 2);
	out->body = malloc(out->body_len + 1);
	out->last_modified = PQgetisnull(res, 0, 3) ? 0 : atoll(PQgetvalue(res, 0, 3));
	out->max_age = atoi(PQgetvalue(res, 0, 4));
	if (out->content_type == NULL || out->body == NULL)
	{
		PQclear(res);
		slot_give(s);
		db_resource_free(out);
		snprintf(reason, len, "out_of_memory");
		return -1;
	}
	memcpy(out->body, PQgetvalue(res, 0, 2), out->body_len);
	out->body[out->body_len] = '\0';
	PQclear(res);
	slot_give(s);
	return 0;
}

void
db_resource_free(db_resource *r)
{
	free(r->content_type);
	free(r->body);
	r->content_type = NULL;
	r->body = NULL;
}

/* an LTI login initiation through microcred.lti_begin_login() */
int
db_begin_login(const char *conninfo, int timeout_ms, const char *iss, const char *client_id,
			   const char *target_link_uri, db_login *out, char *reason, size_t len)
{
	long long	deadline = now_ms() + timeout_ms;
	const char *values[3] = {iss, client_id, target_link_uri};
	db_slot    *s;
	PGresult   *res = NULL;
	int			rc;

	memset(out, 0, sizeof(*out));
	s = slot_acquire(conninfo, timeout_ms, deadline, reason, len);
	if (s == NULL)
		return -1;
	rc = run_query_params(s->conn,
						  "SELECT state, nonce, auth_login_url, registered_client_id "
						  "FROM microcred.lti_begin_login($1, $2, $3)",
						  3, values, deadline, &res);
	if (rc == -1 && res != NULL)
	{
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		/* no such registration (28000) or a missing parameter (23502): the request's fault */
		if (state != NULL && (strcmp(state, "28000") == 0 || strcmp(state, "23502") == 0))
		{
			PQclear(res);
			slot_give(s);
			snprintf(reason, len, "unknown_platform");
			return 1;
		}
		log_kv(LOG_LVL_WARNING, "login query failed", "sqlstate", state ? state : "none", NULL);
	}
	if (rc != 0 || res == NULL || PQntuples(res) != 1 || PQnfields(res) != 4)
	{
		metrics_db_error(rc == -2 ? "timeout" : "query");
		if (res)
			PQclear(res);
		slot_reset(s);
		slot_give(s);
		snprintf(reason, len, rc == -2 ? "timeout" : "query_failed");
		return -1;
	}
	out->state = strdup(PQgetvalue(res, 0, 0));
	out->nonce = strdup(PQgetvalue(res, 0, 1));
	out->auth_login_url = strdup(PQgetvalue(res, 0, 2));
	out->client_id = strdup(PQgetvalue(res, 0, 3));
	PQclear(res);
	slot_give(s);
	if (!out->state || !out->nonce || !out->auth_login_url || !out->client_id)
	{
		db_login_free(out);
		snprintf(reason, len, "out_of_memory");
		return -1;
	}
	return 0;
}

void
db_login_free(db_login *l)
{
	free(l->state);
	free(l->nonce);
	free(l->auth_login_url);
	free(l->client_id);
	memset(l, 0, sizeof(*l));
}

/*
 * A statement with parameters on a pooled connection.  0 with *res holding
 * its rows (PQclear it); 1 when the statement raised an error: its SQLSTATE
 * in sqlstate (6 bytes), the connection is kept; -1 when the database could
 * not be reached or timed out, with a reason code as for db_health.  The
 * error text is never logged: it may hold request data.
 */
int
db_query(const char *conninfo, int timeout_ms, const char *sql, int nparams,
		 const char *const *values, PGresult **res, char *sqlstate, char *reason, size_t len)
{
	long long	deadline = now_ms() + timeout_ms;
	db_slot    *s;
	PGresult   *r = NULL;
	int			rc;

	*res = NULL;
	if (sqlstate)
		sqlstate[0] = '\0';
	s = slot_acquire(conninfo, timeout_ms, deadline, reason, len);
	if (s == NULL)
		return -1;
	rc = run_query_params(s->conn, sql, nparams, values, deadline, &r);
	if (rc == -1 && r != NULL && PQstatus(s->conn) == CONNECTION_OK &&
		PQresultStatus(r) == PGRES_FATAL_ERROR)
	{
		const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		if (st != NULL && strncmp(st, "08", 2) != 0 && strncmp(st, "57", 2) != 0)
		{
			if (sqlstate)
				snprintf(sqlstate, 6, "%.5s", st);
			PQclear(r);
			slot_give(s);
			snprintf(reason, len, "statement_error");
			return 1;
		}
	}
	if (rc != 0 || r == NULL)
	{
		metrics_db_error(rc == -2 ? "timeout" : "query");
		if (r)
			PQclear(r);
		slot_reset(s);
		slot_give(s);
		snprintf(reason, len, rc == -2 ? "timeout" : "query_failed");
		return -1;
	}
	slot_give(s);
	*res = r;
	return 0;
}

/* db_query into a db_call */
int
db_call_run(db_call *c, const char *conninfo, int timeout_ms, const char *sql, int nparams,
			const char *const *values)
{
	memset(c, 0, sizeof(*c));
	c->rc = db_query(conninfo, timeout_ms, sql, nparams, values, &c->res, c->sqlstate,
					 c->reason, sizeof(c->reason));
	return c->rc;
}
