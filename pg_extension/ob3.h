/*-------------------------------------------------------------------------
 *
 * ob3.h
 *	  The Open Badges 3.0 document in one place: the issuer Profile, the
 *	  Achievement (every EU micro-credential element, docs/ARCHITECTURE.md
 *	  and DESIGN's mapping table) and the OpenBadgeCredential, built from
 *	  plain C structs into the mcjson value model.  Pure C: no PostgreSQL
 *	  headers (unit-tested by tests/unit/test_ob3.c).
 *
 * The SQL layer (document_sql.c) fills the structs from catalog rows and
 * caches the results; nothing here reads a table.  A NULL string is an
 * absent column: the member is left out, as jsonb_strip_nulls did when the
 * parts were built in SQL.  To add an element (a badge image, another id
 * form), add a field at the END of its struct (callers that zero the struct
 * keep working) and set the member in the builder.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_OB3_H
#define MC_OB3_H

#include <stdbool.h>
#include <stddef.h>

#include "mcjson.h"

/* one legal identifier of an issuer (microcred.issuer_identifier) */
typedef struct ob3_identifier
{
	const char *scheme;			/* vat, euid, deqar, national_register, ... */
	const char *value;
} ob3_identifier;

/* the issuer (microcred.issuer), for the Profile */
typedef struct ob3_issuer
{
	const char *public_id;		/* Profile id */
	const char *legal_name;
	const char *url;
	const char *email;
	const char *phone;
	const char *country_code;	/* ISO 3166-1 alpha-2 */
	const char *country_name;	/* microcred.country.name, or NULL */
	const char *region;
	const ob3_identifier *identifiers;	/* in (scheme, value) order */
	size_t		n_identifiers;
	const char *base_url;		/* the bridge's base URL, or NULL: no image */
	const char *handle;			/* for the image URL under base_url */
} ob3_issuer;

/* a closed-vocabulary value with its Europass concept (microcred.vocabulary) */
typedef struct ob3_term
{
	const char *value;			/* the enum value; NULL = column is NULL */
	bool		known;			/* a vocabulary row exists */
	const char *label;
	const char *concept_uri;
	const char *scheme_uri;
} ob3_term;

/* one learning outcome, in position order */
typedef struct ob3_outcome
{
	const char *description;
	const char *esco_uri;		/* or NULL */
} ob3_outcome;

/* the credential type (microcred.credential_type) with its vocabulary terms */
typedef struct ob3_type
{
	const char *id;				/* uuid text */
	const char *base_url;		/* the issuer's, or NULL */
	const char *code;
	const char *human_code;
	const char *title;
	const char *description;
	const char *achievement_type;
	const char *info_url;
	bool		has_ects;
	double		ects;			/* creditsAvailable */
	const char *ects_text;		/* as PostgreSQL prints the numeric */
	const char *workload_hours_text;
	const char *eqf_level_text;	/* "1".."8" or NULL */
	const char *qf_ehea_cycle;
	const ob3_term *assessment; /* in the order of the column */
	size_t		n_assessment;
	ob3_term	participation;
	int			synchronous;	/* -1 unknown, 0 no, 1 yes */
	ob3_term	quality_assurance;
	const char *quality_assurance_body;
	const char *quality_assurance_url;
	ob3_term	supervision;	/* value NULL: none */
	const char *prerequisites;
	ob3_term	integration;
	const char *stackable_towards;
	const char *const *languages;	/* NULL: column is NULL */
	size_t		n_languages;
	const char *further_information;
	const char *grading_scheme;
	const ob3_outcome *outcomes;
	size_t		n_outcomes;
} ob3_type;

/* the learner (microcred.learner) */
typedef struct ob3_learner
{
	const char *holder_did;
	const char *email;
	const char *student_id;
	bool		name_in_credential;
	const char *given_name;
	const char *family_name;
} ob3_learner;

/* one issued credential (microcred.issued_credential) */
typedef struct ob3_credential
{
	const char *id;				/* uuid text */
	const char *base_url;		/* the issuer's, or NULL */
	const char *title;			/* the type's */
	const char *description;
	const char *valid_from;		/* xsd:dateTime in UTC, or NULL */
	const char *valid_until;
	const char *awarded_date;
	bool		has_credits;	/* credits_earned, else the type's ECTS */
	double		credits;
	const char *grade;
	const mcj_value *evidence;	/* array of Evidence objects, or NULL */
	const mcj_value *status;	/* credentialStatus (object or array), or NULL */
	const char *salt;			/* of the identity hashes */
	ob3_learner learner;
} ob3_credential;

extern mcj_value *ob3_profile(mcj_arena *arena, const ob3_issuer *issuer);
extern mcj_value *ob3_achievement(mcj_arena *arena, const ob3_type *type);
extern char *ob3_achievement_id(mcj_arena *arena, const ob3_type *type);
extern char *ob3_narrative(mcj_arena *arena, const ob3_type *type);	/* NULL when an element is missing */
extern char *ob3_identity_hash(mcj_arena *arena, const char *value, const char *salt);
extern mcj_value *ob3_credential_document(mcj_arena *arena, const ob3_credential *c,
										  mcj_value *profile, mcj_value *achievement);

#endif							/* MC_OB3_H */
