/*-------------------------------------------------------------------------
 *
 * db.h
 *	  A small pool of libpq connections to the microcred database.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_DB_H
#define MC_DB_H

#include <stddef.h>
#include <libpq-fe.h>

/* create the pool with size slots (one per worker thread) */
extern int	db_pool_init(int size);
extern void db_pool_shutdown(void);

/*
 * Check the database with "SELECT 1" within timeout_ms, using conninfo
 * (a reload may change it: connections made with another one are
 * replaced).  0 when healthy; -1 with a short reason ("db_not_configured",
 * "pool_busy", "connect_failed", "query_failed", "timeout") in reason.
 */
extern int	db_health(const char *conninfo, int timeout_ms, char *reason, size_t len);

/* a public resource as microcred.public_resource() answers it */
typedef struct db_resource
{
	int			status;			/* HTTP status */
	char	   *content_type;
	char	   *body;			/* malloc'd, NUL-terminated */
	size_t		body_len;
	long long	last_modified;	/* Unix seconds, 0 when unknown */
	int			max_age;		/* seconds */
} db_resource;

/*
 * Fetch a public resource: kind "credential", "issuer" or "status" and its
 * id; want_jwt 0 for the JSON form, 1 for the VC-JOSE JWT, 2 for the Open
 * Badges 3.0 JWT of a credential.  0 with out filled (free it with
 * db_resource_free); -1 with a reason code as for db_health, or "out_of_memory".
 */
extern int	db_public_resource(const char *conninfo, int timeout_ms, const char *kind,
							   const char *id, int want_jwt, db_resource *out,
							   char *reason, size_t len);
extern void db_resource_free(db_resource *r);

/* a started LTI login: malloc'd strings */
typedef struct db_login
{
	char	   *state;
	char	   *nonce;
	char	   *auth_login_url;
	char	   *client_id;
} db_login;

/*
 * Start an LTI 1.3 login (microcred.lti_begin_login): client_id may be
 * NULL.  0 with out filled (free with db_login_free); 1 when no platform is
 * registered for iss and client_id (reason "unknown_platform"); -1 as
 * db_health.
 */
extern int	db_begin_login(const char *conninfo, int timeout_ms, const char *iss,
						   const char *client_id, const char *target_link_uri,
						   db_login *out, char *reason, size_t len);
extern void db_login_free(db_login *l);

/*
 * Any statement: 0 with *res (PQclear it); 1 when the statement raised an
 * error (its SQLSTATE in sqlstate[6]); -1 when the database is unreachable
 * or timed out (reason as db_health).
 */
extern int	db_query(const char *conninfo, int timeout_ms, const char *sql, int nparams,
					 const char *const *values, PGresult **res, char *sqlstate,
					 char *reason, size_t len);

/* one statement of a handler and what became of it (db_call_run) */
typedef struct db_call
{
	int			rc;				/* 0, 1 or -1 as db_query */
	PGresult   *res;			/* rc 0: the result (PQclear it) */
	char		sqlstate[6];	/* rc 1: the error's SQLSTATE */
	char		reason[64];		/* rc -1: why the database could not be asked */
} db_call;

/* db_query on the configured database into c; returns c->rc */
extern int	db_call_run(db_call *c, const char *conninfo, int timeout_ms, const char *sql,
						int nparams, const char *const *values);

#endif							/* MC_DB_H */
