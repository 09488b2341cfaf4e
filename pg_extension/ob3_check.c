/*-------------------------------------------------------------------------
 *
 * ob3_check.c
 *	  The Open Badges 3.0 structure of a credential.
 *
 * Encodes the classes of the OB 3.0.3 data model (appendix B of the
 * specification) with their required properties ("1" / "1..*"), their
 * value types, the "type" each must carry, and the enumerations:
 *
 *   AchievementCredential  @context with the OB context, id, type, name,
 *                          issuer (Profile), credentialSubject (one
 *                          AchievementSubject), validFrom (issuanceDate in
 *                          VC 1.1), credentialStatus 0..1
 *   Profile                id, type Profile; address, otherIdentifier,
 *                          image, parentOrg as their classes
 *   AchievementSubject     type AchievementSubject; id or at least one
 *                          identifier; achievement; result; source
 *   Achievement            id, type, name, description, criteria (id or
 *                          narrative), achievementType, alignment,
 *                          resultDescription, related, otherIdentifier
 *   IdentityObject         type, hashed, identityHash (algorithm$hex when
 *                          hashed), identityType
 *   Result, ResultDescription, RubricCriterionLevel, Alignment, Evidence,
 *   Image, IdentifierEntry, Address, GeoCoordinates, Related,
 *   CredentialSchema, RefreshService, CredentialStatus
 *
 * Extensible enumerations (IdentifierTypeEnum, AchievementType,
 * AlignmentTargetType, ResultType) accept the specification's terms or an
 * "ext:" term; ResultStatusType is closed.  Where the specification lets a
 * class be one object or an array ("array-compacted" type), both are
 * accepted; elsewhere the JSON Schema's form is required.  Endorsements are
 * credentials of their own and are not descended into.
 *
 *-------------------------------------------------------------------------
 */
#include "ob3_check.h"
#include "datetime.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define OB3_MAX_DEPTH 8			/* Profile in Profile (parentOrg, source, creator) */

typedef struct walk
{
	ob3_report *rep;
	char		path[160];
	size_t		len;
	int			depth;
} walk;

/* the enumerations of the specification ------------------------------------------- */

static const char *const identifier_types[] = {
	"name",						/* added by Open Badges to the CDM list */
	"sourcedId", "systemId", "productId", "userName", "accountId", "emailAddress",
	"nationalIdentityNumber", "isbn", "issn", "lisSourcedId", "oneRosterSourcedId",
	"sisSourcedId", "ltiContextId", "ltiDeploymentId", "ltiToolId", "ltiPlatformId",
	"ltiUserId", "identifier", NULL
};

static const char *const achievement_types[] = {
	"Achievement", "ApprenticeshipCertificate", "Assessment", "Assignment", "AssociateDegree",
	"Award", "Badge", "BachelorDegree", "Certificate", "CertificateOfCompletion",
	"Certification", "CommunityService", "Competency", "Course", "CoCurricular", "Degree",
	"Diploma", "DoctoralDegree", "Fieldwork", "GeneralEducationDevelopment",
	"JourneymanCertificate", "LearningProgram", "License", "Membership",
	"ProfessionalDoctorate", "QualityAssuranceCredential", "MasterCertificate",
	"MasterDegree", "MicroCredential", "ResearchDoctorate", "SecondarySchoolDiploma", NULL
};

static const char *const alignment_target_types[] = {
	"ceasn:Competency", "ceterms:Credential", "CFItem", "CFRubric", "CFRubricCriterion",
	"CFRubricCriterionLevel", "CTDL", NULL
};

static const char *const result_types[] = {
	"GradePointAverage", "LetterGrade", "Percent", "PerformanceLevel", "PredictedScore",
	"RawScore", "Result", "RubricCriterion", "RubricCriterionLevel", "RubricScore",
	"ScaledScore", "Status", NULL
};

static const char *const result_status_types[] = {
	"Completed", "Enrolled", "Failed", "InProgress", "OnHold", "Withdrew", NULL
};

/* findings and the pointer ---------------------------------------------------------- */

static void finding(walk *w, ob3_severity sev, const char *member, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/* append an RFC 6901 reference token (~ and / escaped) to p */
static size_t
append_token(char *p, size_t len, size_t cap, const char *tok)
{
	if (len + 1 < cap)
		p[len++] = '/';
	for (; *tok && len + 2 < cap; tok++)
	{
		if (*tok == '~' || *tok == '/')
		{
			p[len++] = '~';
			p[len++] = (*tok == '~') ? '0' : '1';
		}
		else
			p[len++] = *tok;
	}
	p[len] = '\0';
	return len;
}

/* record a finding at the current path (plus member, when given) */
static void
finding(walk *w, ob3_severity sev, const char *member, const char *fmt,...)
{
	ob3_finding *f;
	va_list		ap;

	if (sev == OB3_ERROR)
		w->rep->errors++;
	else
		w->rep->warnings++;
	if (w->rep->n >= OB3_MAX_FINDINGS)
		return;
	f = &w->rep->findings[w->rep->n++];
	f->severity = sev;
	memcpy(f->pointer, w->path, w->len + 1);
	if (member != NULL)
		append_token(f->pointer, w->len, sizeof(f->pointer), member);
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

static size_t
push(walk *w, const char *tok)
{
	size_t		saved = w->len;

	w->len = append_token(w->path, w->len, sizeof(w->path), tok);
	return saved;
}

static size_t
push_index(walk *w, size_t i)
{
	char		buf[24];

	snprintf(buf, sizeof(buf), "%zu", i);
	return push(w, buf);
}

static void
pop(walk *w, size_t saved)
{
	w->len = saved;
	w->path[saved] = '\0';
}

/* value tests ------------------------------------------------------------------------ */

static const char *
json_type_name(const mcj_value *v)
{
	switch (v->type)
	{
		case MCJ_NULL:
			return "null";
		case MCJ_FALSE:
		case MCJ_TRUE:
			return "a boolean";
		case MCJ_NUMBER:
			return "a number";
		case MCJ_STRING:
			return "a string";
		case MCJ_ARRAY:
			return "an array";
		default:
			return "an object";
	}
}

/* a URI: scheme ":" then at least one character, no white space or controls */
static bool
is_uri(const mcj_value *v)
{
	const char *s;
	size_t		i;

	if (v->type != MCJ_STRING || v->u.str.len < 3)
		return false;
	s = v->u.str.s;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (i = 1; i < v->u.str.len && s[i] != ':'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			  (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' || s[i] == '.'))
			return false;
	if (i + 1 >= v->u.str.len)
		return false;
	for (; i < v->u.str.len; i++)
		if ((unsigned char) s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* an "ext:" term of an extensible enumeration */
static bool
is_ext_term(const char *s, size_t len)
{
	if (len < 5 || strncmp(s, "ext:", 4) != 0)
		return false;
	for (size_t i = 4; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			  (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

static bool
in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* member checks: each reports at <path>/<key> ------------------------------------------ */

/* the member, or NULL after reporting it missing when required */
static const mcj_value *
member(walk *w, const mcj_value *obj, const char *key, bool required)
{
	const mcj_value *v = mcj_object_get(obj, key);

	if (v == NULL && required)
		finding(w, OB3_ERROR, key, "required property is missing");
	return v;
}

static void
string_member(walk *w, const mcj_value *obj, const char *key, bool required)
{
	const mcj_value *v = member(w, obj, key, required);

	if (v != NULL && v->type != MCJ_STRING)
		finding(w, OB3_ERROR, key, "must be a string, not %s", json_type_name(v));
}

static void
uri_member(walk *w, const mcj_value *obj, const char *key, bool required)
{
	const mcj_value *v = member(w, obj, key, required);

	if (v != NULL && v->type != MCJ_STRING)
		finding(w, OB3_ERROR, key, "must be a URI string, not %s", json_type_name(v));
	else if (v != NULL && !is_uri(v))
		finding(w, OB3_ERROR, key, "must be a URI (scheme:...)");
}

static void
number_member(walk *w, const mcj_value *obj, const char *key)
{
	const mcj_value *v = member(w, obj, key, false);

	if (v != NULL && v->type != MCJ_NUMBER)
		finding(w, OB3_ERROR, key, "must be a number, not %s", json_type_name(v));
}

static void
datetime_member(walk *w, const mcj_value *obj, const char *key, bool required)
{
	const mcj_value *v = member(w, obj, key, required);
	time_t		t;

	if (v != NULL && (v->type != MCJ_STRING || strlen(v->u.str.s) != v->u.str.len ||
					  !xsd_datetime_parse(v->u.str.s, &t)))
		finding(w, OB3_ERROR, key, "must be a date-time with a time zone (DateTimeZ)");
}

static void
string_array_member(walk *w, const mcj_value *obj, const char *key)
{
	const mcj_value *v = member(w, obj, key, false);

	if (v == NULL)
		return;
	if (v->type != MCJ_ARRAY)
	{
		finding(w, OB3_ERROR, key, "must be an array of strings, not %s", json_type_name(v));
		return;
	}
	for (size_t i = 0; i < v->u.arr.n; i++)
		if (v->u.arr.items[i]->type != MCJ_STRING)
		{
			finding(w, OB3_ERROR, key, "must be an array of strings (item %zu is %s)",
					i, json_type_name(v->u.arr.items[i]));
			return;
		}
}

/*
 * "type": "1..*" (one string or an array of strings including want), or
 * "1" (exactly the string want) when single.
 */
static void
type_member(walk *w, const mcj_value *obj, const char *want, bool single)
{
	const mcj_value *v = member(w, obj, "type", true);
	bool		found = false;

	if (v == NULL)
		return;
	if (v->type == MCJ_STRING)
		found = strcmp(v->u.str.s, want) == 0;
	else if (v->type == MCJ_ARRAY && !single && v->u.arr.n > 0)
	{
		for (size_t i = 0; i < v->u.arr.n; i++)
		{
			if (v->u.arr.items[i]->type != MCJ_STRING)
			{
				finding(w, OB3_ERROR, "type", "must be an array of strings");
				return;
			}
			if (strcmp(v->u.arr.items[i]->u.str.s, want) == 0)
				found = true;
		}
	}
	else
	{
		finding(w, OB3_ERROR, "type", single ? "must be the string \"%s\"" :
				"must be a string or a non-empty array of strings including \"%s\"", want);
		return;
	}
	if (!found)
		finding(w, OB3_ERROR, "type", single ? "must be \"%s\"" : "must include \"%s\"", want);
}

/* an extensible enumeration: a term of the list or "ext:" + a term */
static void
enum_member(walk *w, const mcj_value *obj, const char *key, const char *const *list,
			const char *enum_name, bool extensible, bool required)
{
	const mcj_value *v = member(w, obj, key, required);

	if (v == NULL)
		return;
	if (v->type != MCJ_STRING)
	{
		finding(w, OB3_ERROR, key, "must be a string of %s, not %s", enum_name, json_type_name(v));
		return;
	}
	if (strlen(v->u.str.s) == v->u.str.len && in_list(v->u.str.s, list))
		return;
	if (extensible && is_ext_term(v->u.str.s, v->u.str.len))
		return;
	if (extensible)
		finding(w, OB3_ERROR, key, "\"%.60s\" is not a term of %s nor an \"ext:\" extension term",
				v->u.str.s, enum_name);
	else
		finding(w, OB3_ERROR, key, "\"%.60s\" is not a term of %s", v->u.str.s, enum_name);
}

typedef void (*class_fn) (walk *w, const mcj_value *obj);

/* a member holding one object of a class */
static void
object_member(walk *w, const mcj_value *obj, const char *key, bool required, class_fn fn)
{
	const mcj_value *v = member(w, obj, key, required);
	size_t		saved;

	if (v == NULL)
		return;
	if (v->type != MCJ_OBJECT)
	{
		finding(w, OB3_ERROR, key, "must be an object, not %s", json_type_name(v));
		return;
	}
	saved = push(w, key);
	fn(w, v);
	pop(w, saved);
}

/*
 * A member holding 0..* objects of a class: an array, or (compacted) a
 * single object when allow_single.
 */
static void
array_member(walk *w, const mcj_value *obj, const char *key, bool allow_single, class_fn fn)
{
	const mcj_value *v = member(w, obj, key, false);
	size_t		saved;

	if (v == NULL)
		return;
	if (v->type == MCJ_OBJECT && allow_single)
	{
		object_member(w, obj, key, false, fn);
		return;
	}
	if (v->type != MCJ_ARRAY)
	{
		finding(w, OB3_ERROR, key, "must be an array of objects, not %s", json_type_name(v));
		return;
	}
	saved = push(w, key);
	for (size_t i = 0; i < v->u.arr.n; i++)
	{
		size_t		s2 = push_index(w, i);

		if (v->u.arr.items[i]->type != MCJ_OBJECT)
			finding(w, OB3_ERROR, NULL, "must be an object, not %s", json_type_name(v->u.arr.items[i]));
		else
			fn(w, v->u.arr.items[i]);
		pop(w, s2);
	}
	pop(w, saved);
}

/* the classes ------------------------------------------------------------------------ */

static void check_alignment(walk *w, const mcj_value *o);

static void
check_image(walk *w, const mcj_value *o)
{
	uri_member(w, o, "id", true);
	type_member(w, o, "Image", true);
	string_member(w, o, "caption", false);
}

static void
check_identifier_entry(walk *w, const mcj_value *o)
{
	type_member(w, o, "IdentifierEntry", true);
	string_member(w, o, "identifier", true);
	enum_member(w, o, "identifierType", identifier_types, "IdentifierTypeEnum", true, true);
}

static void
check_geo(walk *w, const mcj_value *o)
{
	type_member(w, o, "GeoCoordinates", true);
	if (member(w, o, "latitude", true) != NULL)
		number_member(w, o, "latitude");
	if (member(w, o, "longitude", true) != NULL)
		number_member(w, o, "longitude");
}

static void
check_address(walk *w, const mcj_value *o)
{
	static const char *const strings[] = {"addressCountry", "addressCountryCode", "addressRegion",
		"addressLocality", "streetAddress", "postOfficeBoxNumber", "postalCode", NULL};

	type_member(w, o, "Address", false);
	for (int i = 0; strings[i]; i++)
		string_member(w, o, strings[i], false);
	object_member(w, o, "geo", false, check_geo);
}

static void
check_profile(walk *w, const mcj_value *o)
{
	static const char *const strings[] = {"name", "phone", "description", "email", "official",
		"familyName", "givenName", "additionalName", "patronymicName", "honorificPrefix",
		"honorificSuffix", "familyNamePrefix", "dateOfBirth", NULL};

	if (++w->depth > OB3_MAX_DEPTH)
	{
		finding(w, OB3_ERROR, NULL, "profiles are nested more than %d deep", OB3_MAX_DEPTH);
		w->depth--;
		return;
	}
	uri_member(w, o, "id", true);
	type_member(w, o, "Profile", false);
	uri_member(w, o, "url", false);
	for (int i = 0; strings[i]; i++)
		string_member(w, o, strings[i], false);
	object_member(w, o, "image", false, check_image);
	object_member(w, o, "address", false, check_address);
	array_member(w, o, "otherIdentifier", false, check_identifier_entry);
	object_member(w, o, "parentOrg", false, check_profile);
	w->depth--;
}

static void
check_criteria(walk *w, const mcj_value *o)
{
	uri_member(w, o, "id", false);
	string_member(w, o, "narrative", false);
	if (mcj_object_get(o, "id") == NULL && mcj_object_get(o, "narrative") == NULL)
		finding(w, OB3_ERROR, NULL, "criteria need an id (a web page) or a narrative");
}

static void
check_rubric_level(walk *w, const mcj_value *o)
{
	uri_member(w, o, "id", true);
	type_member(w, o, "RubricCriterionLevel", false);
	string_member(w, o, "name", true);
	string_member(w, o, "description", false);
	string_member(w, o, "level", false);
	string_member(w, o, "points", false);
	array_member(w, o, "alignment", false, check_alignment);
}

static void
check_result_description(walk *w, const mcj_value *o)
{
	uri_member(w, o, "id", true);
	type_member(w, o, "ResultDescription", false);
	string_member(w, o, "name", true);
	enum_member(w, o, "resultType", result_types, "ResultType", true, true);
	string_array_member(w, o, "allowedValue");
	uri_member(w, o, "requiredLevel", false);
	string_member(w, o, "requiredValue", false);
	string_member(w, o, "valueMax", false);
	string_member(w, o, "valueMin", false);
	array_member(w, o, "rubricCriterionLevel", false, check_rubric_level);
	array_member(w, o, "alignment", false, check_alignment);
}

static void
check_alignment(walk *w, const mcj_value *o)
{
	type_member(w, o, "Alignment", false);
	string_member(w, o, "targetName", true);
	uri_member(w, o, "targetUrl", true);
	enum_member(w, o, "targetType", alignment_target_types, "AlignmentTargetType", true, false);
	string_member(w, o, "targetCode", false);
	string_member(w, o, "targetDescription", false);
	string_member(w, o, "targetFramework", false);
}

static void
check_related(walk *w, const mcj_value *o)
{
	uri_member(w, o, "id", true);
	type_member(w, o, "Related", false);
	string_member(w, o, "version", false);
}

static void
check_achievement(walk *w, const mcj_value *o)
{
	static const char *const strings[] = {"fieldOfStudy", "humanCode", "specialization", "version", NULL};

	uri_member(w, o, "id", true);
	type_member(w, o, "Achievement", false);
	string_member(w, o, "name", true);
	string_member(w, o, "description", true);
	object_member(w, o, "criteria", true, check_criteria);
	enum_member(w, o, "achievementType", achievement_types, "AchievementType", true, false);
	for (int i = 0; strings[i]; i++)
		string_member(w, o, strings[i], false);
	number_member(w, o, "creditsAvailable");
	string_array_member(w, o, "tag");
	object_member(w, o, "image", false, check_image);
	object_member(w, o, "creator", false, check_profile);
	array_member(w, o, "alignment", false, check_alignment);
	array_member(w, o, "otherIdentifier", false, check_identifier_entry);
	array_member(w, o, "related", false, check_related);
	array_member(w, o, "resultDescription", false, check_result_description);
}

static void
check_identity_object(walk *w, const mcj_value *o)
{
	const mcj_value *hashed;
	const mcj_value *hash;

	type_member(w, o, "IdentityObject", true);
	hashed = member(w, o, "hashed", true);
	if (hashed != NULL && hashed->type != MCJ_TRUE && hashed->type != MCJ_FALSE)
		finding(w, OB3_ERROR, "hashed", "must be a boolean, not %s", json_type_name(hashed));
	string_member(w, o, "identityHash", true);
	enum_member(w, o, "identityType", identifier_types, "IdentifierTypeEnum", true, true);
	string_member(w, o, "salt", false);
	hash = mcj_object_get(o, "identityHash");
	if (hashed != NULL && hashed->type == MCJ_TRUE && hash != NULL && hash->type == MCJ_STRING)
	{
		/* IdentityHash: "md5$" or "sha256$" and the hash in hexadecimal */
		const char *s = hash->u.str.s;
		size_t		want = strncmp(s, "sha256$", 7) == 0 ? 64 : strncmp(s, "md5$", 4) == 0 ? 32 : 0;
		const char *hex = s + (want == 64 ? 7 : 4);
		bool		good = want != 0 && hash->u.str.len == (size_t) (hex - s) + want;

		for (size_t i = 0; good && i < want; i++)
			good = (hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f') ||
				(hex[i] >= 'A' && hex[i] <= 'F');
		if (!good)
			finding(w, OB3_ERROR, "identityHash",
					"a hashed identity must be \"sha256$\" + 64 or \"md5$\" + 32 hexadecimal digits");
	}
}

static void
check_result(walk *w, const mcj_value *o)
{
	type_member(w, o, "Result", false);
	uri_member(w, o, "achievedLevel", false);
	uri_member(w, o, "resultDescription", false);
	enum_member(w, o, "status", result_status_types, "ResultStatusType", false, false);
	string_member(w, o, "value", false);
	array_member(w, o, "alignment", false, check_alignment);
}

static void
check_subject(walk *w, const mcj_value *o)
{
	static const char *const strings[] = {"licenseNumber", "narrative", "role", "term", NULL};
	const mcj_value *ids = mcj_object_get(o, "identifier");

	uri_member(w, o, "id", false);
	type_member(w, o, "AchievementSubject", false);
	if (mcj_object_get(o, "id") == NULL &&
		(ids == NULL || ids->type != MCJ_ARRAY || ids->u.arr.n == 0))
		finding(w, OB3_ERROR, NULL, "an AchievementSubject needs an id or at least one identifier");
	array_member(w, o, "identifier", false, check_identity_object);
	object_member(w, o, "achievement", true, check_achievement);
	array_member(w, o, "result", false, check_result);
	object_member(w, o, "image", false, check_image);
	object_member(w, o, "source", false, check_profile);
	number_member(w, o, "creditsEarned");
	datetime_member(w, o, "activityStartDate", false);
	datetime_member(w, o, "activityEndDate", false);
	for (int i = 0; strings[i]; i++)
		string_member(w, o, strings[i], false);
}

static void
check_evidence(walk *w, const mcj_value *o)
{
	static const char *const strings[] = {"narrative", "name", "description", "genre", "audience", NULL};

	uri_member(w, o, "id", false);
	type_member(w, o, "Evidence", false);
	for (int i = 0; strings[i]; i++)
		string_member(w, o, strings[i], false);
}

/* CredentialStatus: a type; an id (a URI) when present (VC 2.0 made it optional) */
static void
check_status(walk *w, const mcj_value *o)
{
	string_member(w, o, "type", true);
	uri_member(w, o, "id", false);
}

/* CredentialSchema and RefreshService: id and type */
static void
check_id_type(walk *w, const mcj_value *o)
{
	uri_member(w, o, "id", true);
	string_member(w, o, "type", true);
}

/* does type (a string or an array) contain s? */
static bool
type_has(const mcj_value *t, const char *s)
{
	if (t == NULL)
		return false;
	if (t->type == MCJ_STRING)
		return strcmp(t->u.str.s, s) == 0;
	if (t->type == MCJ_ARRAY)
		for (size_t i = 0; i < t->u.arr.n; i++)
			if (mcj_is_string(t->u.arr.items[i], s))
				return true;
	return false;
}

bool
ob3_applies(const mcj_value *cred)
{
	const mcj_value *t;

	if (cred == NULL || cred->type != MCJ_OBJECT)
		return false;
	t = mcj_object_get(cred, "type");
	return type_has(t, "OpenBadgeCredential") || type_has(t, "AchievementCredential");
}

/* the credential itself */
static void
check_credential(walk *w, const mcj_value *o)
{
	const mcj_value *ctx = mcj_object_get(o, "@context");
	const mcj_value *v;
	bool		ob_context = false;

	if (ctx == NULL)
		finding(w, OB3_ERROR, "@context", "required property is missing");
	else if (ctx->type != MCJ_ARRAY)
		finding(w, OB3_ERROR, "@context", "must be an array holding the VC and the Open Badges contexts");
	else
	{
		for (size_t i = 0; i < ctx->u.arr.n; i++)
			if (ctx->u.arr.items[i]->type == MCJ_STRING &&
				strncmp(ctx->u.arr.items[i]->u.str.s, "https://purl.imsglobal.org/spec/ob/v3p0/context", 47) == 0)
				ob_context = true;
		if (!ob_context)
			finding(w, OB3_ERROR, "@context", "does not include an Open Badges 3.0 context (https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json)");
	}
	uri_member(w, o, "id", true);
	type_member(w, o, "VerifiableCredential", false);
	string_member(w, o, "name", true);
	string_member(w, o, "description", false);
	object_member(w, o, "image", false, check_image);

	v = member(w, o, "issuer", true);
	if (v != NULL && v->type != MCJ_OBJECT)
		finding(w, OB3_ERROR, "issuer", "must be a Profile object with id and type, not %s", json_type_name(v));
	else if (v != NULL)
		object_member(w, o, "issuer", true, check_profile);

	v = member(w, o, "credentialSubject", true);
	if (v != NULL && v->type != MCJ_OBJECT)
		finding(w, OB3_ERROR, "credentialSubject", "must be one AchievementSubject object, not %s",
				json_type_name(v));
	else if (v != NULL)
		object_member(w, o, "credentialSubject", true, check_subject);

	/* dates: validFrom (VC 2.0, OB 3.0.3) or issuanceDate (VC 1.1) */
	if (mcj_object_get(o, "validFrom") == NULL && mcj_object_get(o, "issuanceDate") == NULL)
		finding(w, OB3_ERROR, "validFrom", "required property is missing");
	datetime_member(w, o, "validFrom", false);
	datetime_member(w, o, "issuanceDate", false);
	datetime_member(w, o, "validUntil", false);
	datetime_member(w, o, "expirationDate", false);
	datetime_member(w, o, "awardedDate", false);

	array_member(w, o, "evidence", false, check_evidence);
	array_member(w, o, "credentialSchema", true, check_id_type);
	object_member(w, o, "refreshService", false, check_id_type);

	/* credentialStatus 0..1 */
	v = mcj_object_get(o, "credentialStatus");
	if (v != NULL && v->type == MCJ_ARRAY)
	{
		finding(w, OB3_WARNING, "credentialStatus",
				"an array of %zu entries: Open Badges 3.0 allows one credentialStatus object (0..1), so strict OB 3.0 verifiers refuse it",
				v->u.arr.n);
		array_member(w, o, "credentialStatus", false, check_status);
	}
	else if (v != NULL)
		object_member(w, o, "credentialStatus", false, check_status);
}

void
ob3_check(const mcj_value *cred, ob3_report *out)
{
	walk		w;

	memset(out, 0, sizeof(*out));
	out->applies = ob3_applies(cred);
	if (!out->applies)
		return;
	memset(&w, 0, sizeof(w));
	w.rep = out;
	check_credential(&w, cred);
}
