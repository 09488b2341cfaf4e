/*
 * datetime.h
 *		xsd:dateTime as Verifiable Credentials and Open Badges use it.
 */
#ifndef MC_DATETIME_H
#define MC_DATETIME_H

#include <stdbool.h>
#include <time.h>

/*
 * Parse an xsd:dateTime with a time zone (Z or +hh:mm; fractional seconds
 * ignored) into seconds since the epoch.  False for anything else, including
 * a missing time zone or an impossible date.
 */
extern bool xsd_datetime_parse(const char *s, time_t *out);

#endif							/* MC_DATETIME_H */
