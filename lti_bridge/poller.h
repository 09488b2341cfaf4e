/*-------------------------------------------------------------------------
 *
 * poller.h
 *	  The reconciliation poller thread (poller.c): LMS APIs asked for
 *	  course completions that never arrived as events.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MICROCRED_BRIDGE_POLLER_H
#define MICROCRED_BRIDGE_POLLER_H

/* start the thread (it follows poll_interval_s of the current configuration); -1 on failure */
extern int	poller_start(void);

/* wake it and wait for it to finish its current call (bounded by poll_timeout_ms) */
extern void poller_stop(void);

#endif
