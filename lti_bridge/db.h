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

#endif							/* MC_DB_H */
