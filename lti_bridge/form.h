/*-------------------------------------------------------------------------
 *
 * form.h
 *	  application/x-www-form-urlencoded: reading a field of a body, and
 *	  appending percent-encoded parameters to a URL.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_FORM_H
#define MC_FORM_H

#include <stddef.h>

/* append ?name=value or &name=value, percent-encoded; -1 when it does not fit */
extern int	append_param(char *buf, size_t cap, size_t *len, const char *name, const char *value);

/* a form field of an x-www-form-urlencoded body: 1 found, 0 absent, -1 malformed or too long */
extern int	form_value(const char *body, const char *name, char *out, size_t outlen);

#endif							/* MC_FORM_H */
