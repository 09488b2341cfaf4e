/*-------------------------------------------------------------------------
 *
 * log.c
 *	  Structured one-line logging of microcred-bridge.
 *
 * A line is built in a local buffer and written with one fputs under a
 * mutex, so concurrent workers never interleave.  Values that contain a
 * space, a quote, '=' or a control character are quoted and escaped; the
 * line is capped in length.  The level is the only mutable state (an
 * atomic, changed by a configuration reload).
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"

#define LOG_LINE_MAX 2048

static atomic_int log_min_level = LOG_LVL_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"debug", "info", "warning", "error"};

/* parse a level name */
int
log_level_parse(const char *s)
{
	if (s == NULL)
		return -1;
	for (int i = 0; i < 4; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	if (strcmp(s, "warn") == 0)
		return LOG_LVL_WARNING;
	return -1;
}

/* name of a level */
const char *
log_level_name(log_level lvl)
{
	if ((int) lvl < 0 || (int) lvl > 3)
		return "unknown";
	return level_names[lvl];
}

/* set the minimum level */
void
log_set_level(log_level lvl)
{
	atomic_store(&log_min_level, (int) lvl);
}

/* get the minimum level */
log_level
log_get_level(void)
{
	return (log_level) atomic_load(&log_min_level);
}

/* append s to buf at *pos, truncating at the end of the buffer */
static void
append(char *buf, size_t *pos, const char *s, size_t n)
{
	if (*pos >= LOG_LINE_MAX - 1)
		return;
	if (n > LOG_LINE_MAX - 1 - *pos)
		n = LOG_LINE_MAX - 1 - *pos;
	memcpy(buf + *pos, s, n);
	*pos += n;
	buf[*pos] = '\0';
}

/* append a value, quoted and escaped when it needs it */
static void
append_value(char *buf, size_t *pos, const char *v)
{
	int			quote = (*v == '\0');

	for (const char *p = v; *p && !quote; p++)
		if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' ||
			(unsigned char) *p < 0x20 || *p == 0x7f)
			quote = 1;
	if (!quote)
	{
		append(buf, pos, v, strlen(v));
		return;
	}
	append(buf, pos, "\"", 1);
	for (const unsigned char *p = (const unsigned char *) v; *p; p++)
	{
		char		esc[8];

		if (*p == '"' || *p == '\\')
		{
			esc[0] = '\\';
			esc[1] = (char) *p;
			append(buf, pos, esc, 2);
		}
		else if (*p == '\n')
			append(buf, pos, "\\n", 2);
		else if (*p < 0x20 || *p == 0x7f)
		{
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
			append(buf, pos, esc, 4);
		}
		else
			append(buf, pos, (const char *) p, 1);
	}
	append(buf, pos, "\"", 1);
}

/* write one structured line */
void
log_kv(log_level lvl, const char *msg,...)
{
	char		line[LOG_LINE_MAX];
	char		ts[64];
	size_t		pos = 0;
	struct timeval tv;
	struct tm	tm;
	va_list		ap;

	if ((int) lvl < atomic_load(&log_min_level))
		return;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, (long) (tv.tv_usec / 1000));
	line[0] = '\0';
	append(line, &pos, "ts=", 3);
	append(line, &pos, ts, strlen(ts));
	append(line, &pos, " level=", 7);
	append(line, &pos, log_level_name(lvl), strlen(log_level_name(lvl)));
	append(line, &pos, " msg=", 5);
	append_value(line, &pos, msg ? msg : "");

	va_start(ap, msg);
	for (;;)
	{
		const char *k = va_arg(ap, const char *);
		const char *v;

		if (k == NULL)
			break;
		v = va_arg(ap, const char *);
		if (v == NULL)
			continue;
		append(line, &pos, " ", 1);
		append(line, &pos, k, strlen(k));
		append(line, &pos, "=", 1);
		append_value(line, &pos, v);
	}
	va_end(ap);
	if (pos >= LOG_LINE_MAX - 1)
		pos = LOG_LINE_MAX - 2;
	line[pos++] = '\n';
	line[pos] = '\0';

	pthread_mutex_lock(&log_lock);
	fputs(line, stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}
