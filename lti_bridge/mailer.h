/*-------------------------------------------------------------------------
 *
 * mailer.h
 *	  The credential e-mail thread (mailer.c): the database's outbox sent
 *	  over SMTP.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MICROCRED_BRIDGE_MAILER_H
#define MICROCRED_BRIDGE_MAILER_H

/* start the thread (it follows smtp_url and mail_* of the current configuration); -1 on failure */
extern int	mailer_start(void);

/* stop it after the message being sent (bounded by smtp_timeout_ms) */
extern void mailer_stop(void);

#endif
