/*-------------------------------------------------------------------------
 *
 * status_watch.h
 *	  The status list watcher (status_watch.c): one libpq connection that
 *	  LISTENs on microcred_status, so cached signed status lists are dropped
 *	  as soon as a transaction that changed one of their bits commits.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_STATUS_WATCH_H
#define MC_STATUS_WATCH_H

/* start the thread; -1 on failure */
extern int	status_watch_start(void);

/* stop it and wait for it (at most about half a second) */
extern void status_watch_stop(void);

#endif							/* MC_STATUS_WATCH_H */
