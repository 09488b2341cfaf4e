/*-------------------------------------------------------------------------
 *
 * test_ob3_check.c
 *	  Unit tests for the Open Badges 3.0 structure check
 *	  (pg_extension/ob3_check.c): a credential using every class passes;
 *	  removing each required property in turn gives an error at exactly its
 *	  JSON pointer; wrong types, enumeration values (and "ext:" terms),
 *	  either-or rules, identity hashes, credentialStatus arrays, nesting,
 *	  non-OB credentials, and the ob3_structure
 *	  verification check built from the findings.
 *
 * Output is TAP; the exit status is non-zero when any test fails.
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/tap.h"
#include "mcjson.h"
#include "ob3_check.h"
#include "vc.h"



/* a credential with every class of the data model, conforming */
static const char *FULL =
"{\"@context\": [\"https://www.w3.org/ns/credentials/v2\","
"                \"https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json\"],"
" \"id\": \"https://uni.example/credentials/1\","
" \"type\": [\"VerifiableCredential\", \"OpenBadgeCredential\"],"
" \"name\": \"Data Protection for Nurses\","
" \"description\": \"GDPR in wards\","
" \"image\": {\"id\": \"https://uni.example/img/c.png\", \"type\": \"Image\", \"caption\": \"badge\"},"
" \"issuer\": {\"id\": \"https://uni.example/issuers/a\", \"type\": [\"Profile\"], \"name\": \"Uni\","
"            \"url\": \"https://uni.example\","
"            \"image\": {\"id\": \"data:image/png;base64,iVBOR\", \"type\": \"Image\"},"
"            \"address\": {\"type\": [\"Address\"], \"addressCountryCode\": \"DE\","
"                        \"geo\": {\"type\": \"GeoCoordinates\", \"latitude\": 52.5, \"longitude\": 13.4}},"
"            \"otherIdentifier\": [{\"type\": \"IdentifierEntry\", \"identifier\": \"DE123\","
"                                  \"identifierType\": \"ext:VATNumber\"}],"
"            \"parentOrg\": {\"id\": \"https://state.example\", \"type\": \"Profile\"}},"
" \"validFrom\": \"2026-01-01T00:00:00Z\","
" \"validUntil\": \"2029-01-01T00:00:00Z\","
" \"awardedDate\": \"2026-01-01T00:00:00Z\","
" \"credentialSubject\": {"
"   \"id\": \"did:example:learner\","
"   \"type\": [\"AchievementSubject\"],"
"   \"identifier\": [{\"type\": \"IdentityObject\", \"identityType\": \"emailAddress\", \"hashed\": true,"
"                     \"salt\": \"s\", \"identityHash\": \"sha256$0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF\"},"
"                    {\"type\": \"IdentityObject\", \"identityType\": \"name\", \"hashed\": false,"
"                     \"identityHash\": \"Ada Lovelace\"}],"
"   \"creditsEarned\": 2.5,"
"   \"activityEndDate\": \"2025-12-20T10:00:00+01:00\","
"   \"result\": [{\"type\": [\"Result\"], \"value\": \"1.3\", \"status\": \"Completed\","
"                 \"resultDescription\": \"https://uni.example/a/1#grade\","
"                 \"alignment\": [{\"type\": [\"Alignment\"], \"targetName\": \"x\", \"targetUrl\": \"https://f.example/x\"}]}],"
"   \"source\": {\"id\": \"https://dept.example\", \"type\": \"Profile\"},"
"   \"achievement\": {"
"     \"id\": \"https://uni.example/achievements/1\","
"     \"type\": [\"Achievement\"],"
"     \"achievementType\": \"MicroCredential\","
"     \"name\": \"Data Protection for Nurses\","
"     \"description\": \"Applying the GDPR\","
"     \"criteria\": {\"narrative\": \"Pass the exam\"},"
"     \"creditsAvailable\": 2.5,"
"     \"tag\": [\"gdpr\"],"
"     \"image\": {\"id\": \"https://uni.example/img/a.png\", \"type\": \"Image\"},"
"     \"creator\": {\"id\": \"https://uni.example/issuers/a\", \"type\": [\"Profile\"]},"
"     \"alignment\": [{\"type\": [\"Alignment\"], \"targetType\": \"ext:EQFLevel\", \"targetName\": \"EQF 6\","
"                      \"targetUrl\": \"http://data.europa.eu/snb/eqf/6\"},"
"                     {\"type\": \"Alignment\", \"targetType\": \"CFItem\", \"targetName\": \"y\","
"                      \"targetUrl\": \"https://case.example/y\"}],"
"     \"otherIdentifier\": [{\"type\": \"IdentifierEntry\", \"identifier\": \"DPN-101\", \"identifierType\": \"identifier\"}],"
"     \"related\": [{\"id\": \"https://uni.example/achievements/0\", \"type\": [\"Related\"], \"version\": \"1\"}],"
"     \"resultDescription\": [{\"id\": \"https://uni.example/a/1#grade\", \"type\": [\"ResultDescription\"],"
"                              \"name\": \"German grade\", \"resultType\": \"LetterGrade\","
"                              \"allowedValue\": [\"1.0\", \"1.3\"],"
"                              \"rubricCriterionLevel\": [{\"id\": \"https://uni.example/l/1\","
"                                 \"type\": [\"RubricCriterionLevel\"], \"name\": \"Excellent\"}]}]}},"
" \"evidence\": [{\"id\": \"https://lms.example/sub/1\", \"type\": [\"Evidence\"], \"name\": \"Ward audit\"}],"
" \"credentialSchema\": [{\"id\": \"https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json\","
"                        \"type\": \"1EdTechJsonSchemaValidator2019\"}],"
" \"refreshService\": {\"id\": \"https://uni.example/refresh\", \"type\": \"1EdTechCredentialRefresh\"},"
" \"credentialStatus\": {\"id\": \"https://uni.example/status/1#7\", \"type\": \"BitstringStatusListEntry\","
"                        \"statusPurpose\": \"revocation\", \"statusListIndex\": \"7\","
"                        \"statusListCredential\": \"https://uni.example/status/1\"}}";

static mcj_arena *arena;

static mcj_value *
parse(const char *text)
{
	mcj_error	err;
	mcj_value  *v = mcj_parse(arena, text, strlen(text), NULL, &err);

	if (v == NULL)
	{
		fprintf(stderr, "test document does not parse: %s at %zu\n", err.message, err.offset);
		exit(2);
	}
	return v;
}

/* the value at a JSON pointer (no escapes needed here), or NULL */
static mcj_value *
at(mcj_value *v, const char *pointer)
{
	char		tok[64];

	while (v != NULL && *pointer == '/')
	{
		size_t		n = strcspn(pointer + 1, "/");

		memcpy(tok, pointer + 1, n);
		tok[n] = '\0';
		pointer += n + 1;
		if (v->type == MCJ_ARRAY)
		{
			size_t		i = strtoul(tok, NULL, 10);

			v = i < v->u.arr.n ? v->u.arr.items[i] : NULL;
		}
		else if (v->type == MCJ_OBJECT)
			v = mcj_object_get(v, tok);
		else
			v = NULL;
	}
	return v;
}

/* the full document with the member at pointer removed */
static mcj_value *
without(const char *pointer)
{
	mcj_value  *doc = parse(FULL);
	char		parent[160];
	const char *slash = strrchr(pointer, '/');
	mcj_value  *p;

	memcpy(parent, pointer, (size_t) (slash - pointer));
	parent[slash - pointer] = '\0';
	p = at(doc, parent);
	if (p == NULL || !mcj_object_remove(p, slash + 1))
	{
		fprintf(stderr, "no member %s in the test document\n", pointer);
		exit(2);
	}
	return doc;
}

/* the full document with the value at pointer replaced by JSON text */
static mcj_value *
with(const char *pointer, const char *json)
{
	mcj_value  *doc = parse(FULL);
	char		parent[160];
	const char *slash = strrchr(pointer, '/');
	mcj_value  *p;

	memcpy(parent, pointer, (size_t) (slash - pointer));
	parent[slash - pointer] = '\0';
	p = at(doc, parent);
	if (p == NULL || p->type != MCJ_OBJECT)
	{
		fprintf(stderr, "no object at %s in the test document\n", parent);
		exit(2);
	}
	mcj_object_set(arena, p, slash + 1, parse(json));
	return doc;
}

/* does the report hold a finding of this severity at exactly this pointer? */
static const ob3_finding *
find(const ob3_report *r, ob3_severity sev, const char *pointer)
{
	for (int i = 0; i < r->n; i++)
		if (r->findings[i].severity == sev && strcmp(r->findings[i].pointer, pointer) == 0)
			return &r->findings[i];
	return NULL;
}

static void
show(const ob3_report *r)
{
	for (int i = 0; i < r->n; i++)
		printf("#   %s %s: %s\n", r->findings[i].severity == OB3_ERROR ? "error" : "warning",
			   r->findings[i].pointer, r->findings[i].message);
}

/* exactly one error, at pointer, whose message contains text */
static void
expect_error(mcj_value *doc, const char *pointer, const char *text, const char *what)
{
	ob3_report	r;
	const ob3_finding *f;

	ob3_check(doc, &r);
	f = find(&r, OB3_ERROR, pointer);
	if (!tap_ok(r.applies && r.errors == 1 && f != NULL && (text == NULL || strstr(f->message, text) != NULL),
			"%s: one error at %s", what, pointer))
	{
		printf("#   %d errors, %d warnings\n", r.errors, r.warnings);
		show(&r);
	}
}

static void
expect_clean(mcj_value *doc, const char *what)
{
	ob3_report	r;

	ob3_check(doc, &r);
	if (!tap_ok(r.applies && r.errors == 0 && r.warnings == 0, "%s: no finding", what))
		show(&r);
}

int
main(void)
{
	/* every required property of every class, removed in turn */
	static const char *const required[] = {
		"/@context", "/id", "/name", "/issuer", "/credentialSubject", "/validFrom",
		"/image/id", "/image/type",
		"/issuer/id",
		"/issuer/image/id", "/issuer/image/type",
		"/issuer/address/geo/type", "/issuer/address/geo/latitude", "/issuer/address/geo/longitude",
		"/issuer/otherIdentifier/0/type", "/issuer/otherIdentifier/0/identifier",
		"/issuer/otherIdentifier/0/identifierType",
		"/issuer/parentOrg/id",
		"/credentialSubject/type", "/credentialSubject/achievement",
		"/credentialSubject/identifier/0/type", "/credentialSubject/identifier/0/hashed",
		"/credentialSubject/identifier/0/identityHash", "/credentialSubject/identifier/0/identityType",
		"/credentialSubject/result/0/type",
		"/credentialSubject/result/0/alignment/0/targetName",
		"/credentialSubject/source/id",
		"/credentialSubject/achievement/id", "/credentialSubject/achievement/type",
		"/credentialSubject/achievement/name", "/credentialSubject/achievement/description",
		"/credentialSubject/achievement/criteria",
		"/credentialSubject/achievement/image/id",
		"/credentialSubject/achievement/creator/id",
		"/credentialSubject/achievement/alignment/0/type",
		"/credentialSubject/achievement/alignment/0/targetName",
		"/credentialSubject/achievement/alignment/1/targetUrl",
		"/credentialSubject/achievement/otherIdentifier/0/identifierType",
		"/credentialSubject/achievement/related/0/id", "/credentialSubject/achievement/related/0/type",
		"/credentialSubject/achievement/resultDescription/0/id",
		"/credentialSubject/achievement/resultDescription/0/type",
		"/credentialSubject/achievement/resultDescription/0/name",
		"/credentialSubject/achievement/resultDescription/0/resultType",
		"/credentialSubject/achievement/resultDescription/0/rubricCriterionLevel/0/id",
		"/credentialSubject/achievement/resultDescription/0/rubricCriterionLevel/0/type",
		"/credentialSubject/achievement/resultDescription/0/rubricCriterionLevel/0/name",
		"/evidence/0/type",
		"/credentialSchema/0/id", "/credentialSchema/0/type",
		"/refreshService/id", "/refreshService/type",
		"/credentialStatus/type",
		NULL
	};
	ob3_report	r;

	arena = mcj_arena_create(NULL);

	expect_clean(parse(FULL), "a credential using every class");

	for (int i = 0; required[i]; i++)
	{
		char		what[200];

		snprintf(what, sizeof(what), "without %s", required[i]);
		/* type is required, and also what a type-less object fails on */
		expect_error(without(required[i]), required[i], NULL, what);
	}

	/* the either-or rules */
	{
		mcj_value  *doc = without("/credentialSubject/id");

		expect_clean(doc, "a subject with identifiers but no id");
		mcj_object_remove(at(doc, "/credentialSubject"), "identifier");
		expect_error(doc, "/credentialSubject", "id or at least one identifier", "a subject with neither id nor identifier");
		doc = with("/credentialSubject/identifier", "[]");
		mcj_object_remove(at(doc, "/credentialSubject"), "id");
		expect_error(doc, "/credentialSubject", "id or at least one identifier", "a subject with an empty identifier list and no id");
	}
	{
		mcj_value  *doc = with("/credentialSubject/achievement/criteria", "{\"id\": \"https://uni.example/criteria\"}");

		expect_clean(doc, "criteria with an id only");
		doc = with("/credentialSubject/achievement/criteria", "{}");
		expect_error(doc, "/credentialSubject/achievement/criteria", "id (a web page) or a narrative", "empty criteria");
	}
	{
		mcj_value  *doc = without("/validFrom");

		mcj_object_set(arena, doc, "issuanceDate", mcj_cstring(arena, "2026-01-01T00:00:00Z"));
		expect_clean(doc, "a VC 1.1 issuanceDate instead of validFrom");
	}

	/* enumerations: the specification's terms, ext: terms, anything else */
	expect_clean(with("/credentialSubject/identifier/1/identityType", "\"ext:Nickname\""), "identityType ext:Nickname");
	expect_error(with("/credentialSubject/identifier/1/identityType", "\"shoeSize\""),
				 "/credentialSubject/identifier/1/identityType", "IdentifierTypeEnum", "identityType shoeSize");
	expect_error(with("/credentialSubject/identifier/1/identityType", "\"ext:\""),
				 "/credentialSubject/identifier/1/identityType", "IdentifierTypeEnum", "identityType ext: with no term");
	expect_error(with("/credentialSubject/identifier/1/identityType", "\"ext:a b\""),
				 "/credentialSubject/identifier/1/identityType", "IdentifierTypeEnum", "identityType ext: with a space");
	expect_error(with("/credentialSubject/achievement/achievementType", "\"Microcredential\""),
				 "/credentialSubject/achievement/achievementType", "AchievementType", "achievementType with the wrong case");
	expect_clean(with("/credentialSubject/achievement/achievementType", "\"ext:Nanodegree\""), "achievementType ext:Nanodegree");
	expect_error(with("/credentialSubject/achievement/alignment/0/targetType", "\"ESCOSkill\""),
				 "/credentialSubject/achievement/alignment/0/targetType", "AlignmentTargetType", "targetType without ext:");
	expect_clean(with("/credentialSubject/achievement/alignment/0/targetType", "\"ceasn:Competency\""), "targetType ceasn:Competency");
	expect_error(with("/credentialSubject/achievement/resultDescription/0/resultType", "\"Grade\""),
				 "/credentialSubject/achievement/resultDescription/0/resultType", "ResultType", "resultType Grade");
	expect_clean(with("/credentialSubject/achievement/resultDescription/0/resultType", "\"ext:Grade\""), "resultType ext:Grade");
	expect_error(with("/credentialSubject/result/0/status", "\"ext:Pending\""),
				 "/credentialSubject/result/0/status", "ResultStatusType", "a closed enumeration takes no ext: term");
	expect_error(with("/issuer/otherIdentifier/0/identifierType", "\"VAT\""),
				 "/issuer/otherIdentifier/0/identifierType", "IdentifierTypeEnum", "identifierType VAT");

	/* value types */
	expect_error(with("/issuer", "\"https://uni.example/issuers/a\""), "/issuer", "Profile object", "an issuer given as a URL");
	expect_error(with("/credentialSubject", "[{\"type\": \"AchievementSubject\"}]"), "/credentialSubject",
				 "one AchievementSubject", "an array of subjects");
	expect_error(with("/name", "42"), "/name", "must be a string", "a numeric name");
	expect_error(with("/id", "\"credential 1\""), "/id", "URI (scheme", "an id that is not a URI");
	expect_error(with("/issuer/id", "42"), "/issuer/id", "URI string, not a number", "an issuer id that is a number");
	expect_error(with("/credentialSubject/achievement/alignment/0/targetUrl", "\"data.europa.eu/snb/eqf/6\""),
				 "/credentialSubject/achievement/alignment/0/targetUrl", "URI", "a targetUrl without a scheme");
	expect_error(with("/credentialSubject/achievement/criteria", "\"pass the exam\""),
				 "/credentialSubject/achievement/criteria", "object", "criteria as a string");
	expect_error(with("/credentialSubject/creditsEarned", "\"2.5\""), "/credentialSubject/creditsEarned",
				 "number", "creditsEarned as a string");
	expect_error(with("/credentialSubject/identifier/0/hashed", "\"true\""), "/credentialSubject/identifier/0/hashed",
				 "boolean", "hashed as a string");
	expect_error(with("/validFrom", "\"2026-01-01\""), "/validFrom", "DateTimeZ", "a validFrom without a time");
	expect_error(with("/validUntil", "\"2029-01-01T00:00:00\""), "/validUntil", "time zone", "a validUntil without a zone");
	expect_error(with("/evidence", "{\"type\": \"Evidence\"}"), "/evidence", "array", "evidence as one object");
	expect_clean(with("/credentialSchema", "{\"id\": \"https://s.example/schema.json\", \"type\": \"JsonSchema\"}"),
				 "credentialSchema compacted to one object");
	expect_error(with("/credentialSubject/achievement/alignment", "[\"EQF 6\"]"),
				 "/credentialSubject/achievement/alignment/0", "object", "an alignment that is a string");
	expect_error(with("/credentialSubject/identifier/0/type", "[\"IdentityObject\"]"),
				 "/credentialSubject/identifier/0/type", "the string", "IdentityObject type as an array");
	expect_error(with("/credentialSubject/achievement/type", "[\"Badge\"]"),
				 "/credentialSubject/achievement/type", "include \"Achievement\"", "an achievement of another type");
	expect_error(with("/image/type", "\"Picture\""), "/image/type", "\"Image\"", "an image of another type");
	expect_error(with("/@context", "[\"https://www.w3.org/ns/credentials/v2\"]"), "/@context", "Open Badges 3.0 context",
				 "no Open Badges context");
	expect_clean(with("/@context", "[\"https://www.w3.org/ns/credentials/v2\", \"https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json\"]"),
				 "the 3.0.2 context");

	/* identity hashes */
	expect_error(with("/credentialSubject/identifier/0/identityHash", "\"sha256$abc\""),
				 "/credentialSubject/identifier/0/identityHash", "hexadecimal", "a short sha256 hash");
	expect_error(with("/credentialSubject/identifier/0/identityHash", "\"ada@example.org\""),
				 "/credentialSubject/identifier/0/identityHash", "hexadecimal", "a plain value marked hashed");
	expect_clean(with("/credentialSubject/identifier/0/identityHash", "\"md5$0123456789abcdef0123456789abcdef\""),
				 "an md5 identity hash");
	expect_error(with("/credentialSubject/identifier/0/identityHash", "\"sha256$0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg\""),
				 "/credentialSubject/identifier/0/identityHash", "hexadecimal", "a non-hex digit in the hash");

	/* credentialStatus: one object conforms; an array is a warning, each entry still checked */
	{
		mcj_value  *doc = with("/credentialStatus",
							   "[{\"id\": \"https://u.example/s/1#1\", \"type\": \"BitstringStatusListEntry\"},"
							   " {\"id\": \"https://u.example/s/2#1\", \"type\": \"BitstringStatusListEntry\"}]");

		ob3_check(doc, &r);
		tap_ok(r.errors == 0 && r.warnings == 1 && find(&r, OB3_WARNING, "/credentialStatus") != NULL &&
		   strstr(find(&r, OB3_WARNING, "/credentialStatus")->message, "2 entries") != NULL,
		   "two credentialStatus entries: one warning at /credentialStatus, no error");
		doc = with("/credentialStatus", "[{\"id\": \"https://u.example/s/1#1\"}]");
		expect_error(doc, "/credentialStatus/0/type", "missing", "a status array entry without type");
		expect_error(with("/credentialStatus", "\"https://u.example/s/1\""), "/credentialStatus", "object",
					 "credentialStatus as a string");
	}

	/* several problems are all reported, each at its own pointer */
	{
		mcj_value  *doc = without("/credentialSubject/achievement/criteria");

		mcj_object_remove(at(doc, "/issuer"), "id");
		mcj_object_remove(at(doc, "/credentialSubject/achievement"), "name");
		ob3_check(doc, &r);
		tap_ok(r.errors == 3 && find(&r, OB3_ERROR, "/credentialSubject/achievement/criteria") &&
		   find(&r, OB3_ERROR, "/issuer/id") && find(&r, OB3_ERROR, "/credentialSubject/achievement/name"),
		   "three missing properties: three errors, three pointers");
	}

	/* nested profiles are bounded */
	{
		char		buf[4096];
		size_t		len = 0;

		for (int i = 0; i < 12; i++)
			len += (size_t) snprintf(buf + len, sizeof(buf) - len, "{\"id\": \"https://o%d.example\", \"type\": \"Profile\", \"parentOrg\": ", i);
		len += (size_t) snprintf(buf + len, sizeof(buf) - len, "{\"id\": \"https://top.example\", \"type\": \"Profile\"}");
		for (int i = 0; i < 12; i++)
			buf[len++] = '}';
		buf[len] = '\0';
		ob3_check(with("/issuer", buf), &r);
		tap_ok(r.errors == 1 && strstr(r.findings[0].message, "nested more than") != NULL &&
		   strncmp(r.findings[0].pointer, "/issuer/parentOrg/parentOrg/", 28) == 0,
		   "profiles nested 13 deep: one error at the depth limit");
	}

	/* the pointer of a member that is missing is where it belongs */
	{
		mcj_value  *doc = parse(FULL);
		mcj_value  *subj = at(doc, "/credentialSubject");

		mcj_object_remove(subj, "achievement");
		ob3_check(doc, &r);
		tap_ok(find(&r, OB3_ERROR, "/credentialSubject/achievement") != NULL, "pointer of a missing member");
	}

	/* not an Open Badges credential: nothing to check */
	ob3_check(parse("{\"type\": [\"VerifiableCredential\"], \"credentialSubject\": {}}"), &r);
	tap_ok(!r.applies && r.errors == 0, "a plain VerifiableCredential is not checked");
	ob3_check(parse("{\"type\": \"AchievementCredential\"}"), &r);
	tap_ok(r.applies && r.errors > 0 && find(&r, OB3_ERROR, "/credentialSubject"), "an AchievementCredential alone is checked");
	ob3_check(parse("[1]"), &r);
	tap_ok(!r.applies, "an array is not a credential");

	/* the verification check */
	{
		vc_result	vr;

		memset(&vr, 0, sizeof(vr));
		vr.valid = true;
		vc_check_ob3_structure(&vr, parse(FULL));
		tap_ok(vr.nchecks == 1 && strcmp(vr.checks[0].name, "ob3_structure") == 0 && vr.checks[0].status == VC_PASS && vr.valid,
		   "ob3_structure passes a conforming credential");

		memset(&vr, 0, sizeof(vr));
		vr.valid = true;
		vc_check_ob3_structure(&vr, without("/credentialSubject/achievement/criteria"));
		tap_ok(vr.checks[0].status == VC_FAIL && !vr.valid &&
		   strcmp(vr.checks[0].reason, "1 problem: /credentialSubject/achievement/criteria: required property is missing") == 0,
		   "ob3_structure fails, naming the pointer: %s", vr.checks[0].reason);

		memset(&vr, 0, sizeof(vr));
		vr.valid = true;
		vc_check_ob3_structure(&vr, with("/credentialStatus", "[{\"type\": \"A\"}, {\"type\": \"B\"}]"));
		tap_ok(vr.checks[0].status == VC_WARN && vr.valid && strncmp(vr.checks[0].reason, "1 warning: /credentialStatus: an array of 2 entries", 51) == 0,
		   "ob3_structure warns about a credentialStatus array, valid stays true");

		memset(&vr, 0, sizeof(vr));
		vr.valid = true;
		vc_check_ob3_structure(&vr, parse("{\"type\": \"AchievementCredential\", \"credentialSubject\": [], \"issuer\": 1, \"name\": 2}"));
		tap_ok(vr.checks[0].status == VC_FAIL && strlen(vr.checks[0].reason) < sizeof(vr.checks[0].reason) &&
		   strstr(vr.checks[0].reason, "problems: ") != NULL,
		   "many problems fit the reason: %s", vr.checks[0].reason);

		memset(&vr, 0, sizeof(vr));
		vr.valid = true;
		vc_check_ob3_structure(&vr, parse("{\"type\": [\"VerifiableCredential\"]}"));
		tap_ok(vr.checks[0].status == VC_SKIP && vr.valid, "ob3_structure skips other credentials");
	}

	mcj_arena_destroy(arena);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
