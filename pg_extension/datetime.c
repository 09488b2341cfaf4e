/*
 * datetime.c
 *		xsd:dateTime as Verifiable Credentials and Open Badges use it.
 *
 * A pure core (no PostgreSQL headers): the one parser of the timestamps in
 * credentials (validFrom, validUntil, proof created/expires, Open Badges
 * dates), used by the verification checks (vc.c) and the Open Badges
 * structure check (ob3_check.c).
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "datetime.h"

/* parse n decimal digits */
static bool
digits(const char *s, int n, int *out)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* days since 1970-01-01 of a proleptic Gregorian date */
static long
days_from_civil(long y, int m, int d)
{
	long		era;
	long		yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* xsd:dateTime with a time zone (Z or +hh:mm), fractional seconds ignored */
bool
xsd_datetime_parse(const char *s, time_t *out)
{
	int			Y,
				M,
				D,
				h,
				m,
				sec,
				tzh = 0,
				tzm = 0;
	const char *p;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	long		t;

	if (s == NULL || strlen(s) < 20)
		return false;
	if (!digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) || s[7] != '-' ||
		!digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't') ||
		!digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &m) ||
		s[16] != ':' || !digits(s + 17, 2, &sec))
		return false;
	if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || m > 59 || sec > 60)
		return false;
	if (M == 2 && D == 29 && !((Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0))
		return false;
	p = s + 19;
	if (*p == '.')
	{
		p++;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-')
	{
		int			sign = (*p == '-') ? -1 : 1;

		if (!digits(p + 1, 2, &tzh) || p[3] != ':' || !digits(p + 4, 2, &tzm) || tzh > 23 || tzm > 59)
			return false;
		tzh *= sign;
		tzm *= sign;
		p += 6;
	}
	else
		return false;			/* a time zone is required */
	if (*p != '\0')
		return false;
	t = days_from_civil(Y, M, D) * 86400L + h * 3600L + m * 60L + (sec > 59 ? 59 : sec);
	t -= tzh * 3600L + tzm * 60L;
	*out = (time_t) t;
	return true;
}
