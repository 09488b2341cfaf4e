/*-------------------------------------------------------------------------
 *
 * tap.h
 *	  The one TAP producer of the C tests (tests/unit, tests/bridge):
 *	  ok N - name, not ok N - name, diagnostics, the plan 1..N at the end,
 *	  exit status 1 on failure.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_TAP_H
#define MC_TAP_H

#include <stdarg.h>
#include <stdio.h>

/*
 * One count for every file of a test program (launch_driver has several):
 * a weak definition in each file that includes this, merged by the linker.
 */
__attribute__((weak)) int tap_n;
__attribute__((weak)) int tap_failed;

#if defined(__GNUC__) || defined(__clang__)
#define TAP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TAP_PRINTF(f, a)
#endif

static inline int tap_ok(int cond, const char *fmt,...) TAP_PRINTF(2, 3);
static inline void tap_diag(const char *fmt,...) TAP_PRINTF(1, 2);

/* report one test */
static inline int
tap_ok(int cond, const char *fmt,...)
{
	va_list		ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

/* a diagnostic line */
static inline void
tap_diag(const char *fmt,...)
{
	va_list		ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* print the plan and return the exit status */
static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# %d of %d failed\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}

#endif							/* MC_TAP_H */
