/*-------------------------------------------------------------------------
 *
 * common.h
 *	  Two small helpers every module of the bridge may use: the monotonic
 *	  clock in milliseconds and the one FNV-1a hash.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_COMMON_H
#define MC_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* milliseconds of the monotonic clock */
static inline long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 64-bit FNV-1a of n bytes, continuing from h (start with MC_FNV_OFFSET) */
#define MC_FNV_OFFSET 1469598103934665603ULL
static inline uint64_t
mc_fnv1a(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

#endif							/* MC_COMMON_H */
