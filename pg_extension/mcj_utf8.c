/*-------------------------------------------------------------------------
 *
 * mcj_utf8.c
 *	  UTF-8 validation and encoding for the JSON core.
 *
 * Pure core, see mcjson.h.  Well-formedness follows Unicode table 3-7.
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

/*
 * Length of the well-formed UTF-8 sequence at s (n bytes available), per
 * Unicode table 3-7, or 0 with *why set when it is ill-formed.  ASCII is
 * handled by the callers before they get here but is accepted.
 */
size_t
mcj_utf8_seq(const unsigned char *s, size_t n, const char **why)
{
	unsigned int c = s[0];
	size_t		need;
	unsigned int lo = 0x80,
				hi = 0xBF;
	size_t		i;

	if (c < 0x80)
		return 1;
	if (c < 0xC0)
	{
		*why = "unexpected continuation byte";
		return 0;
	}
	if (c < 0xC2)
	{
		*why = "overlong encoding";
		return 0;
	}
	if (c < 0xE0)
		need = 1;
	else if (c < 0xF0)
	{
		need = 2;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	}
	else if (c < 0xF5)
	{
		need = 3;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	}
	else
	{
		*why = c < 0xF8 ? "code point above u+10ffff" : "invalid byte";
		return 0;
	}
	if (n < 2 || s[1] < 0x80 || s[1] > 0xBF)
	{
		*why = "truncated sequence";
		return 0;
	}
	if (s[1] < lo)
	{
		*why = "overlong encoding";
		return 0;
	}
	if (s[1] > hi)
	{
		*why = c == 0xED ? "encoded surrogate" : "code point above u+10ffff";
		return 0;
	}
	for (i = 2; i <= need; i++)
	{
		if (i >= n || s[i] < 0x80 || s[i] > 0xBF)
		{
			*why = "truncated sequence";
			return 0;
		}
	}
	return need + 1;
}

/* is s[0..len) well-formed UTF-8 */
bool
mcj_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		i = 0;
	const char *why;

	while (i < len)
	{
		size_t		n;

		if (p[i] < 0x80)
		{
			i++;
			continue;
		}
		n = mcj_utf8_seq(p + i, len - i, &why);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}
