/*-------------------------------------------------------------------------
 *
 * log.h
 *	  Structured one-line logging of microcred-bridge.
 *
 * Every line goes to stderr as "ts=... level=... msg=... key=value ...".
 * Callers pass key/value string pairs terminated by NULL; values are
 * quoted and escaped as needed.  Never pass a token, a key or PII.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_LOG_H
#define MC_LOG_H

typedef enum
{
	LOG_LVL_DEBUG = 0,
	LOG_LVL_INFO,
	LOG_LVL_WARNING,
	LOG_LVL_ERROR
} log_level;

/* parse "debug", "info", "warning" (or "warn"), "error"; -1 if unknown */
extern int	log_level_parse(const char *s);
extern const char *log_level_name(log_level lvl);

/* set and get the minimum level (thread-safe) */
extern void log_set_level(log_level lvl);
extern log_level log_get_level(void);

/* log msg with NULL-terminated key, value pairs (a NULL value is skipped) */
extern void log_kv(log_level lvl, const char *msg,...);

#endif							/* MC_LOG_H */
