/*-------------------------------------------------------------------------
 *
 * form.c
 *	  application/x-www-form-urlencoded fields and URL parameters.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "form.h"

/* append name=value, percent-encoded (RFC 3986 unreserved kept), to a growing buffer */
int
append_param(char *buf, size_t cap, size_t *len, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *parts[2] = {name, value};

	if (*len + 1 >= cap)
		return -1;
	buf[(*len)++] = (strchr(buf, '?') != NULL) ? '&' : '?';
	for (int p = 0; p < 2; p++)
	{
		if (p == 1)
		{
			if (*len + 1 >= cap)
				return -1;
			buf[(*len)++] = '=';
		}
		for (const unsigned char *c = (const unsigned char *) parts[p]; *c; c++)
		{
			if (*len + 4 >= cap)
				return -1;
			if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
				*c == '-' || *c == '.' || *c == '_' || *c == '~')
				buf[(*len)++] = (char) *c;
			else
			{
				buf[(*len)++] = '%';
				buf[(*len)++] = hex[*c >> 4];
				buf[(*len)++] = hex[*c & 15];
			}
		}
	}
	buf[*len] = '\0';
	return 0;
}

/*
 * The value of name in an application/x-www-form-urlencoded body, decoded
 * into out; 1 found, 0 absent, -1 malformed or longer than outlen - 1.
 */
int
form_value(const char *body, const char *name, char *out, size_t outlen)
{
	size_t		nlen = strlen(name);
	const char *p = body;

	while (p != NULL && *p)
	{
		const char *end = strchr(p, '&');
		size_t		flen = end ? (size_t) (end - p) : strlen(p);

		if (flen > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=')
		{
			size_t		o = 0;

			for (size_t i = nlen + 1; i < flen; i++)
			{
				int			ch = (unsigned char) p[i];

				if (ch == '+')
					ch = ' ';
				else if (ch == '%')
				{
					unsigned int v;

					if (i + 2 >= flen || !isxdigit((unsigned char) p[i + 1]) ||
						!isxdigit((unsigned char) p[i + 2]) ||
						sscanf(p + i + 1, "%2x", &v) != 1)
						return -1;
					ch = (int) v;
					i += 2;
				}
				if (ch == 0 || o + 1 >= outlen)
					return -1;
				out[o++] = (char) ch;
			}
			out[o] = '\0';
			return 1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}
