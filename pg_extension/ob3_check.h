/*-------------------------------------------------------------------------
 *
 * ob3_check.h
 *	  The Open Badges 3.0 structure of a credential: the required properties,
 *	  types and enumerations of the OB 3.0.3 data model (1EdTech Open Badges
 *	  Specification v3.0, appendix B, and its JSON Schema) for an
 *	  OpenBadgeCredential / AchievementCredential.
 *
 * Pure core: no PostgreSQL headers, no allocation.  The result is a list of
 * findings, each an RFC 6901 JSON pointer into the credential and a message
 * a person can read; a finding is an error (the credential does not conform)
 * or a warning (it conforms to VC 2.0 but steps outside an OB 3.0 limit a
 * strict OB verifier may enforce: a credentialStatus array).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_OB3_CHECK_H
#define MC_OB3_CHECK_H

#include <stdbool.h>

#include "mcjson.h"

typedef enum ob3_severity
{
	OB3_ERROR,
	OB3_WARNING
} ob3_severity;

#define OB3_MAX_FINDINGS 32

typedef struct ob3_finding
{
	ob3_severity severity;
	char		pointer[160];	/* RFC 6901, "" for the whole document */
	char		message[200];	/* lowercase, no trailing period */
} ob3_finding;

typedef struct ob3_report
{
	bool		applies;		/* type includes OpenBadgeCredential or AchievementCredential */
	int			errors;			/* totals, also counting findings not kept */
	int			warnings;
	int			n;				/* findings kept, at most OB3_MAX_FINDINGS */
	ob3_finding findings[OB3_MAX_FINDINGS];
} ob3_report;

/* is this credential an Open Badges 3.0 one (by its type)? */
extern bool ob3_applies(const mcj_value *credential);

/*
 * Check a credential.  Does nothing but set applies = false for anything
 * that is not an OpenBadgeCredential / AchievementCredential object.
 */
extern void ob3_check(const mcj_value *credential, ob3_report *out);

#endif							/* MC_OB3_CHECK_H */
