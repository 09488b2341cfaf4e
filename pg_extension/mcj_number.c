/*-------------------------------------------------------------------------
 *
 * mcj_number.c
 *	  ECMAScript Number::toString for the JSON writers.
 *
 * Pure core, see mcjson.h.  The formatter reads snprintf's digits whatever
 * the locale's decimal separator.
 *
 *-------------------------------------------------------------------------
 */
#include "mcjson_internal.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Numbers ------------------------------------------------------------- */

/*
 * Split the "%.*e" output of snprintf into its digits and decimal
 * exponent, ignoring whatever decimal point the locale uses.  Returns the
 * number of digits.
 */
static int
mcj_split_e(const char *s, char *digits, int *exp10)
{
	int			k = 0;
	int			e = 0;
	bool		eneg = false;

	for (; *s != '\0' && *s != 'e' && *s != 'E'; s++)
		if (*s >= '0' && *s <= '9' && k < 24)
			digits[k++] = *s;
	if (*s != '\0')
	{
		s++;
		if (*s == '-' || *s == '+')
			eneg = *s++ == '-';
		for (; *s >= '0' && *s <= '9'; s++)
			e = e * 10 + (*s - '0');
	}
	*exp10 = eneg ? -e : e;
	return k;
}

/* does digits[0..k) x 10^e10 read back as exactly d */
static bool
mcj_roundtrips(const char *digits, int k, int e10, double d)
{
	char		tmp[48];

	memcpy(tmp, digits, (size_t) k);
	snprintf(tmp + k, sizeof(tmp) - (size_t) k, "e%d", e10);
	return strtod(tmp, NULL) == d;
}

/*
 * Try the candidate one unit in the last place above (delta 1) or below
 * (delta -1) digits[0..*k) x 10^(*n - *k); on a round trip, replace the
 * digits, *k and *n with it and return true.
 */
static bool
mcj_try_neighbour(char *digits, int *k, int *n, double d, int delta)
{
	char		cand[24];
	int			ck = *k,
				cn = *n,
				i;

	memcpy(cand, digits, (size_t) ck);
	for (i = ck - 1; i >= 0; i--)
	{
		if (delta > 0 && cand[i] == '9')
			cand[i] = '0';
		else if (delta < 0 && cand[i] == '0')
			cand[i] = '9';
		else
		{
			cand[i] = (char) (cand[i] + delta);
			break;
		}
	}
	if (i < 0)
	{
		if (delta < 0)
			return false;
		/* 9...9 + 1 = 10...0, one more digit */
		memmove(cand + 1, cand, (size_t) ck);
		cand[0] = '1';
		ck++;
		cn++;
	}
	/* a borrow may leave a leading zero: 100 - 1 = 099 */
	while (ck > 1 && cand[0] == '0')
	{
		memmove(cand, cand + 1, (size_t) ck - 1);
		ck--;
		cn--;
	}
	if (cand[0] == '0' || !mcj_roundtrips(cand, ck, cn - ck, d))
		return false;
	memcpy(digits, cand, (size_t) ck);
	*k = ck;
	*n = cn;
	return true;
}

/*
 * Shortest digits for a finite positive d: digits[0..k) (returned) and
 * the ECMAScript exponent *n, so that d = 0.d1d2...dk x 10^n.  For each
 * precision the correctly rounded candidate from snprintf is tried first
 * (the closest one, ties to even, as ES requires), then its neighbours
 * one unit in the last place away: the rounding interval of a power of
 * two is asymmetric, so a farther candidate may round-trip when the
 * nearest one does not (elsewhere the interval is symmetric, boundaries
 * included or not alike, so the nearest candidate is the only one to
 * try).
 *
 * For normal numbers the search starts at 15 digits: DBL_DIG is 15, so
 * at most one decimal of 15 significant digits rounds to d, and any
 * shorter decimal that rounds to d is that one with its trailing zeros
 * dropped.  The rounding interval of d is narrower than the spacing of
 * 15-digit decimals, so that one is the nearest or a neighbour.
 * Subnormals have less precision and search from 1 digit.
 */
static int
mcj_shortest(double d, char *digits, int *n)
{
	char		tmp[48];
	int			prec,
				k = 0,
				e = 0;
	uint64_t	bits;
	bool		pow2;

	memcpy(&bits, &d, sizeof(bits));
	pow2 = (bits & (((uint64_t) 1 << 52) - 1)) == 0;

	for (prec = d >= DBL_MIN ? DBL_DIG : 1; prec <= 17; prec++)
	{
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		k = mcj_split_e(tmp, digits, &e);
		*n = e + 1;
		if (prec == 17 || strtod(tmp, NULL) == d)
			break;
		if (pow2 && (mcj_try_neighbour(digits, &k, n, d, 1) ||
					 mcj_try_neighbour(digits, &k, n, d, -1)))
			break;
	}
	while (k > 1 && digits[k - 1] == '0')
		k--;
	return k;
}

/*
 * Fast path for short decimals such as 4.35 or 0.001, without snprintf:
 * find the first j for which m = round(d x 10^j) < 10^15 and m / 10^j
 * (one correctly rounded division of exact operands) gives d back.  Such
 * an m x 10^-j has at most 15 significant digits and rounds to d, so by
 * the DBL_DIG argument of mcj_shortest it is the shortest.  Returns the
 * number of digits, or 0 when there is none (then use mcj_shortest).
 */
static int
mcj_short_decimal(double d, char *digits, int *n)
{
	double		p10 = 1.0;
	int			j;

	if (d < DBL_MIN || d >= 1e15)
		return 0;
	for (j = 0; j <= 22 && d * p10 < 1e15; j++, p10 *= 10.0)
	{
		uint64_t	m = (uint64_t) (d * p10 + 0.5);
		char		rev[24];
		int			r = 0,
					k = 0;

		if (m == 0 || (double) m / p10 != d)
			continue;
		while (m > 0)
		{
			rev[r++] = (char) ('0' + m % 10);
			m /= 10;
		}
		*n = r - j;
		while (r > 0)
			digits[k++] = rev[--r];
		while (k > 1 && digits[k - 1] == '0')
			k--;
		return k;
	}
	return 0;
}

/* ECMAScript Number::toString for a double; see mcjson.h */
size_t
mcj_format_number(double d, char *out)
{
	char		digits[24];
	int			k,
				n,
				i;
	size_t		o = 0;

	if (d != d)
	{
		memcpy(out, "NaN", 4);
		return 3;
	}
	if (d == 0)
	{
		memcpy(out, "0", 2);
		return 1;
	}
	if (d < 0)
	{
		out[o++] = '-';
		d = -d;
	}
	if (!isfinite(d))
	{
		memcpy(out + o, "Infinity", 9);
		return o + 8;
	}

	/* integers below 2^53 are exact: print them directly */
	if (d < 9007199254740992.0 && (double) (uint64_t) d == d)
	{
		uint64_t	u = (uint64_t) d;
		char		rev[24];
		int			r = 0;

		while (u > 0)
		{
			rev[r++] = (char) ('0' + u % 10);
			u /= 10;
		}
		while (r > 0)
			out[o++] = rev[--r];
		out[o] = '\0';
		return o;
	}

	k = mcj_short_decimal(d, digits, &n);
	if (k == 0)
		k = mcj_shortest(d, digits, &n);
	if (k <= n && n <= 21)
	{
		/* integer: digits then n - k zeros */
		memcpy(out + o, digits, (size_t) k);
		o += (size_t) k;
		for (i = k; i < n; i++)
			out[o++] = '0';
	}
	else if (0 < n && n <= 21)
	{
		/* decimal point inside the digits */
		memcpy(out + o, digits, (size_t) n);
		o += (size_t) n;
		out[o++] = '.';
		memcpy(out + o, digits + n, (size_t) (k - n));
		o += (size_t) (k - n);
	}
	else if (-6 < n && n <= 0)
	{
		/* 0.000ddd */
		out[o++] = '0';
		out[o++] = '.';
		for (i = n; i < 0; i++)
			out[o++] = '0';
		memcpy(out + o, digits, (size_t) k);
		o += (size_t) k;
	}
	else
	{
		/* exponential: d[.ddd]e+x */
		int			x = n - 1;
		char		rev[8];
		int			r = 0;

		out[o++] = digits[0];
		if (k > 1)
		{
			out[o++] = '.';
			memcpy(out + o, digits + 1, (size_t) (k - 1));
			o += (size_t) (k - 1);
		}
		out[o++] = 'e';
		out[o++] = x < 0 ? '-' : '+';
		if (x < 0)
			x = -x;
		do
		{
			rev[r++] = (char) ('0' + x % 10);
			x /= 10;
		} while (x > 0);
		while (r > 0)
			out[o++] = rev[--r];
	}
	out[o] = '\0';
	return o;
}
