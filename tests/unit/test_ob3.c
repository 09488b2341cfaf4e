/*-------------------------------------------------------------------------
 *
 * test_ob3.c
 *	  Unit tests for the Open Badges 3.0 document builder
 *	  (pg_extension/ob3.c): every EU element of a credential type, every
 *	  field of the issuer and every learner identifier lands in its Open
 *	  Badges 3.0 field with the value given (DESIGN's mapping table), absent
 *	  elements leave their fields out, and the narrative is NULL when a
 *	  required element has no label (as the SQL it replaced).
 *
 * Output is TAP; the exit status is non-zero when any test fails.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mccrypto.h"
#include "mcjson.h"
#include "ob3.h"

/* ok(): the one TAP helper of the C tests (tests/lib/tap.h) */
#include "../lib/tap.h"

#define ok(...) tap_ok(__VA_ARGS__)

/* the value at a path of member names and array indexes ("a/0/b") */
static const mcj_value *
at(const mcj_value *v, const char *path)
{
	char		part[128];
	const char *p = path;

	while (v != NULL && *p)
	{
		size_t		n = strcspn(p, "/");

		memcpy(part, p, n);
		part[n] = '\0';
		p += n + (p[n] == '/');
		if (v->type == MCJ_ARRAY)
		{
			size_t		i = (size_t) atoi(part);

			v = i < v->u.arr.n ? v->u.arr.items[i] : NULL;
		}
		else if (v->type == MCJ_OBJECT)
			v = mcj_object_get(v, part);
		else
			v = NULL;
	}
	return v;
}

static void
expect_str(const mcj_value *doc, const char *path, const char *want, const char *element)
{
	const mcj_value *v = at(doc, path);
	bool		good = v != NULL && mcj_is_string(v, want);

	if (!ok(good, "%s -> %s = \"%.40s%s\"", element, path, strchr(want, '\n') ? "(text)" : want,
			strchr(want, '\n') == NULL && strlen(want) > 40 ? "..." : ""))
		printf("#   got %s\n", v == NULL ? "(absent)" : v->type == MCJ_STRING ? v->u.str.s : "(not a string)");
}

static void
expect_num(const mcj_value *doc, const char *path, double want, const char *element)
{
	const mcj_value *v = at(doc, path);

	ok(v != NULL && v->type == MCJ_NUMBER && v->u.num == want, "%s -> %s = %g", element, path, want);
}

static void
expect_absent(const mcj_value *doc, const char *path, const char *why)
{
	ok(at(doc, path) == NULL, "%s: %s is left out", why, path);
}

/* the alignment of a targetType, or NULL */
static const mcj_value *
alignment_of(const mcj_value *achievement, const char *target_type, int nth)
{
	const mcj_value *a = mcj_object_get(achievement, "alignment");

	for (size_t i = 0; a != NULL && i < a->u.arr.n; i++)
		if (mcj_is_string(mcj_object_get(a->u.arr.items[i], "targetType"), target_type) && nth-- == 0)
			return a->u.arr.items[i];
	return NULL;
}

static const ob3_term assessment[] = {
	{"written_exam", true, "Written exam", "http://data.europa.eu/snb/assessment/written", NULL},
	{"project", true, "Project work", NULL, "http://data.europa.eu/snb/assessment/25831c2"},
	{"peer_review", true, "Peer review", NULL, NULL},	/* no URI: narrative only */
};
static const ob3_outcome outcomes[] = {
	{"Apply the GDPR to patient records", "http://data.europa.eu/esco/skill/abc"},
	{"Explain data subject rights", NULL},
};
static const char *const languages[] = {"de", "en"};

static ob3_type
full_type(void)
{
	ob3_type	t;

	memset(&t, 0, sizeof(t));
	t.id = "7a1c2b9e-0000-4000-8000-000000000001";
	t.base_url = "https://credentials.example.edu";
	t.code = "GDPR-NURSE";
	t.title = "GDPR for nurses";
	t.description = "Data protection in care";
	t.achievement_type = "MicroCredential";
	t.info_url = "https://example.edu/courses/gdpr";
	t.has_ects = true;
	t.ects = 2.5;
	t.ects_text = "2.5";
	t.workload_hours_text = "62.5";
	t.eqf_level_text = "6";
	t.qf_ehea_cycle = "first";
	t.assessment = assessment;
	t.n_assessment = 3;
	t.participation = (ob3_term) {"online", true, "Online", "http://data.europa.eu/snb/learning-setting/online", NULL};
	t.synchronous = 0;
	t.quality_assurance = (ob3_term) {"internal", true, "Internal quality assurance", NULL, NULL};
	t.quality_assurance_body = "the senate";
	t.quality_assurance_url = "https://example.edu/qa";
	t.supervision = (ob3_term) {"supervised_online", true, "Supervised online, identity checked", "http://data.europa.eu/snb/supervision/x", NULL};
	t.prerequisites = "Nursing licence";
	t.integration = (ob3_term) {"stackable", true, "Stackable", NULL, NULL};
	t.stackable_towards = "Certificate in health data";
	t.languages = languages;
	t.n_languages = 2;
	t.further_information = "Offered twice a year";
	t.grading_scheme = "Pass / Merit / Distinction";
	t.outcomes = outcomes;
	t.n_outcomes = 2;
	return t;
}

static void
test_achievement(mcj_arena *arena)
{
	ob3_type	t = full_type();
	mcj_value  *a = ob3_achievement(arena, &t);
	const mcj_value *al;

	expect_str(a, "id", "https://credentials.example.edu/achievements/7a1c2b9e-0000-4000-8000-000000000001", "type id and issuer base URL");
	expect_str(a, "type/0", "Achievement", "Achievement class");
	expect_str(a, "achievementType", "MicroCredential", "achievement type");
	expect_str(a, "name", "GDPR for nurses", "EU title");
	expect_str(a, "description", "Data protection in care", "description");
	expect_str(a, "criteria/id", "https://example.edu/courses/gdpr", "information URL");
	expect_num(a, "creditsAvailable", 2.5, "EU notional workload (ECTS)");
	expect_str(a, "humanCode", "GDPR-NURSE", "code (no human code)");
	expect_str(a, "inLanguage", "de", "EU language (first)");
	expect_str(a, "resultDescription/0/id", "https://credentials.example.edu/achievements/7a1c2b9e-0000-4000-8000-000000000001#grade", "grading scheme id");
	expect_str(a, "resultDescription/0/name", "Pass / Merit / Distinction", "grading scheme");
	expect_str(a, "resultDescription/0/resultType", "ext:Grade", "grading scheme result type");

	al = alignment_of(a, "ext:ESCOSkill", 0);
	expect_str(al, "targetName", "Apply the GDPR to patient records", "EU learning outcome with ESCO skill");
	expect_str(al, "targetUrl", "http://data.europa.eu/esco/skill/abc", "ESCO URI");
	expect_str(al, "targetFramework", "ESCO", "ESCO framework");
	expect_absent(al, "targetCode", "ESCO alignment without code");
	ok(alignment_of(a, "ext:ESCOSkill", 1) == NULL, "an outcome without ESCO URI has no alignment");
	al = alignment_of(a, "ext:EQFLevel", 0);
	expect_str(al, "targetName", "EQF level 6", "EU level (EQF)");
	expect_str(al, "targetUrl", "http://data.europa.eu/snb/eqf/6", "EQF concept");
	expect_str(al, "targetCode", "6", "EQF code");
	expect_str(al, "targetFramework", "European Qualifications Framework", "EQF framework");
	al = alignment_of(a, "ext:AssessmentType", 0);
	expect_str(al, "targetName", "Written exam", "EU type of assessment");
	expect_str(al, "targetUrl", "http://data.europa.eu/snb/assessment/written", "assessment concept");
	expect_str(al, "targetCode", "written_exam", "assessment code");
	al = alignment_of(a, "ext:AssessmentType", 1);
	expect_str(al, "targetUrl", "http://data.europa.eu/snb/assessment/25831c2", "assessment without concept: its scheme");
	ok(alignment_of(a, "ext:AssessmentType", 2) == NULL, "an assessment type without URI has no alignment");
	al = alignment_of(a, "ext:FormOfParticipation", 0);
	expect_str(al, "targetName", "Online", "EU form of participation");
	expect_str(al, "targetCode", "online", "participation code");
	expect_str(al, "targetFramework", "Europass mode of learning and assessment", "participation framework");
	al = alignment_of(a, "ext:SupervisionAndIdentityVerification", 0);
	expect_str(al, "targetName", "Supervised online, identity checked", "EU supervision and identity verification");
	expect_str(al, "targetFramework", "Europass supervision and verification", "supervision framework");
	al = alignment_of(a, "ext:QualityAssurance", 0);
	expect_str(al, "targetName", "Internal quality assurance by the senate", "EU quality assurance and body");
	expect_str(al, "targetUrl", "https://example.edu/qa", "quality assurance URL");
	expect_str(al, "targetCode", "internal", "quality assurance code");
	expect_absent(al, "targetFramework", "quality assurance");

	expect_str(a, "criteria/narrative",
			   "Learning outcomes:\n"
			   "- Apply the GDPR to patient records\n"
			   "- Explain data subject rights\n\n"
			   "Type of assessment: Written exam, Project work, Peer review\n"
			   "Form of participation: Online (asynchronous)\n"
			   "Notional workload: 2.5 ECTS credits, 62.5 hours\n"
			   "Level: EQF 6, QF-EHEA first cycle\n"
			   "Quality assurance: Internal quality assurance by the senate\n"
			   "Supervision and identity verification: Supervised online, identity checked\n"
			   "Prerequisites: Nursing licence\n"
			   "Integration: Stackable (Certificate in health data)\n"
			   "Language: de, en\n"
			   "Further information: Offered twice a year",
			   "every EU element in the criteria narrative");

	/* the optional elements absent */
	t.base_url = NULL;
	t.human_code = "GDPR-1";
	t.has_ects = false;
	t.ects_text = NULL;
	t.eqf_level_text = NULL;
	t.synchronous = -1;
	t.supervision = (ob3_term) {NULL, false, NULL, NULL, NULL};
	t.quality_assurance_url = NULL;
	t.quality_assurance_body = NULL;
	t.prerequisites = NULL;
	t.stackable_towards = NULL;
	t.languages = NULL;
	t.further_information = NULL;
	t.grading_scheme = NULL;
	t.info_url = NULL;
	a = ob3_achievement(arena, &t);
	expect_str(a, "id", "urn:uuid:7a1c2b9e-0000-4000-8000-000000000001", "type id without base URL");
	expect_str(a, "humanCode", "GDPR-1", "human code");
	expect_absent(a, "creditsAvailable", "no ECTS");
	expect_absent(a, "inLanguage", "no language");
	expect_absent(a, "resultDescription", "no grading scheme");
	expect_absent(a, "criteria/id", "no information URL");
	ok(alignment_of(a, "ext:EQFLevel", 0) == NULL && alignment_of(a, "ext:QualityAssurance", 0) == NULL &&
	   alignment_of(a, "ext:SupervisionAndIdentityVerification", 0) == NULL,
	   "no EQF, supervision or quality assurance URL: no alignment");
	expect_str(a, "criteria/narrative",
			   "Learning outcomes:\n"
			   "- Apply the GDPR to patient records\n"
			   "- Explain data subject rights\n\n"
			   "Type of assessment: Written exam, Project work, Peer review\n"
			   "Form of participation: Online\n"
			   "Notional workload: 62.5 hours\n"
			   "Level: QF-EHEA first cycle\n"
			   "Quality assurance: Internal quality assurance\n"
			   "Integration: Stackable",
			   "narrative without the optional elements");
	t.n_outcomes = 0;
	ok(ob3_narrative(arena, &t) == NULL, "no learning outcome: no narrative (as the SQL gave NULL)");
	a = ob3_achievement(arena, &t);
	expect_absent(a, "criteria/narrative", "no narrative");
	ok(at(a, "criteria") != NULL && at(a, "criteria")->type == MCJ_OBJECT, "criteria stays an object");
	t.n_outcomes = 2;
	t.integration.known = false;
	ok(ob3_narrative(arena, &t) == NULL, "integration without a vocabulary label: no narrative");
}

static void
test_profile(mcj_arena *arena)
{
	static const ob3_identifier ids[] = {{"deqar", "DEQARINST0001"}, {"vat", "DE123456789"}, {"other", "X-1"}};
	ob3_issuer	i;
	mcj_value  *p;

	memset(&i, 0, sizeof(i));
	i.public_id = "https://credentials.example.edu/issuers/ex";
	i.legal_name = "Example University";
	i.url = "https://example.edu";
	i.email = "registry@example.edu";
	i.phone = "+49 30 1234";
	i.country_code = "DE";
	i.country_name = "Germany";
	i.region = "Berlin";
	i.identifiers = ids;
	i.n_identifiers = 3;
	p = ob3_profile(arena, &i);
	expect_str(p, "id", "https://credentials.example.edu/issuers/ex", "issuer id");
	expect_str(p, "type/0", "Profile", "Profile class");
	expect_str(p, "name", "Example University", "EU awarding body (legal name)");
	expect_str(p, "url", "https://example.edu", "issuer URL");
	expect_str(p, "email", "registry@example.edu", "issuer email");
	expect_str(p, "phone", "+49 30 1234", "issuer phone");
	expect_str(p, "address/type/0", "Address", "Address class");
	expect_str(p, "address/addressCountry", "Germany", "EU country (name)");
	expect_str(p, "address/addressCountryCode", "DE", "EU country (code)");
	expect_str(p, "address/addressRegion", "Berlin", "region");
	expect_str(p, "otherIdentifier/0/identifier", "DEQARINST0001", "legal identifier");
	expect_str(p, "otherIdentifier/0/identifierType", "ext:DEQARID", "DEQAR identifier type");
	expect_str(p, "otherIdentifier/0/type", "IdentifierEntry", "IdentifierEntry class");
	expect_str(p, "otherIdentifier/1/identifierType", "ext:VATNumber", "VAT identifier type");
	expect_str(p, "otherIdentifier/2/identifierType", "identifier", "unknown scheme: generic identifier");

	i.url = i.email = i.phone = i.region = i.country_name = NULL;
	i.n_identifiers = 0;
	p = ob3_profile(arena, &i);
	expect_absent(p, "url", "no URL");
	expect_absent(p, "email", "no email");
	expect_absent(p, "otherIdentifier", "no identifiers");
	expect_absent(p, "address/addressRegion", "no region");
	expect_str(p, "address/addressCountryCode", "DE", "address keeps the country code");
}

static void
test_credential(mcj_arena *arena)
{
	ob3_type	t = full_type();
	ob3_issuer	i;
	ob3_credential c;
	mcj_value  *doc;
	mcj_value  *status = mcj_object(arena);
	mcj_value  *evidence = mcj_array(arena);
	char	   *h;
	unsigned char d[MCC_SHA256_LEN];

	memset(&i, 0, sizeof(i));
	i.public_id = "https://credentials.example.edu/issuers/ex";
	i.legal_name = "Example University";
	i.country_code = "DE";
	mcj_object_set(arena, status, "type", mcj_cstring(arena, "BitstringStatusListEntry"));
	mcj_array_append(arena, evidence, mcj_object(arena));
	mcj_object_set(arena, evidence->u.arr.items[0], "id", mcj_cstring(arena, "https://lms.example/submissions/7"));

	memset(&c, 0, sizeof(c));
	c.id = "0b7d0c6e-0000-4000-8000-0000000000aa";
	c.base_url = "https://credentials.example.edu";
	c.title = t.title;
	c.description = t.description;
	c.valid_from = "2026-03-01T10:00:00Z";
	c.valid_until = "2031-03-01T10:00:00Z";
	c.awarded_date = "2026-02-28T09:00:00Z";
	c.has_credits = true;
	c.credits = 2.5;
	c.grade = "Merit";
	c.evidence = evidence;
	c.status = status;
	c.salt = "0123456789abcdef";
	c.learner.email = "ada@example.org";
	c.learner.student_id = "S-42";
	c.learner.holder_did = "did:key:z6Mkexample";
	c.learner.name_in_credential = true;
	c.learner.given_name = "Ada";
	c.learner.family_name = "Lovelace";
	doc = ob3_credential_document(arena, &c, ob3_profile(arena, &i), ob3_achievement(arena, &t));

	expect_str(doc, "@context/0", "https://www.w3.org/ns/credentials/v2", "VC 2.0 context");
	expect_str(doc, "@context/1", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json", "OB 3.0.3 context");
	expect_str(doc, "id", "https://credentials.example.edu/credentials/0b7d0c6e-0000-4000-8000-0000000000aa", "credential id");
	expect_str(doc, "type/1", "OpenBadgeCredential", "OpenBadgeCredential class");
	expect_str(doc, "name", "GDPR for nurses", "EU title on the credential");
	expect_str(doc, "issuer/name", "Example University", "the issuer Profile");
	expect_str(doc, "validFrom", "2026-03-01T10:00:00Z", "EU date of issue");
	expect_str(doc, "validUntil", "2031-03-01T10:00:00Z", "expiry");
	expect_str(doc, "awardedDate", "2026-02-28T09:00:00Z", "date awarded");
	expect_str(doc, "credentialSubject/id", "did:key:z6Mkexample", "learner DID");
	expect_str(doc, "credentialSubject/type/0", "AchievementSubject", "AchievementSubject class");
	expect_str(doc, "credentialSubject/achievement/name", "GDPR for nurses", "the Achievement");
	expect_num(doc, "credentialSubject/creditsEarned", 2.5, "EU workload earned");
	expect_str(doc, "credentialSubject/result/0/value", "Merit", "grade");
	expect_str(doc, "credentialSubject/result/0/resultDescription",
			   "https://credentials.example.edu/achievements/7a1c2b9e-0000-4000-8000-000000000001#grade", "grade's description");
	expect_str(doc, "credentialSubject/identifier/0/identityType", "emailAddress", "EU learner identification (email)");
	mcc_sha256("ada@example.org0123456789abcdef", strlen("ada@example.org0123456789abcdef"), d);
	h = ob3_identity_hash(arena, "ada@example.org", "0123456789abcdef");
	ok(strncmp(h, "sha256$", 7) == 0 && strlen(h) == 7 + 64, "identity hash is sha256$ + 64 hex digits");
	{
		char		hex[65];

		for (int k = 0; k < 32; k++)
			sprintf(hex + 2 * k, "%02x", d[k]);
		ok(strcmp(h + 7, hex) == 0, "identity hash = SHA-256(value || salt)");
	}
	expect_str(doc, "credentialSubject/identifier/0/identityHash", h, "email hashed with the salt");
	expect_str(doc, "credentialSubject/identifier/0/salt", "0123456789abcdef", "salt");
	ok(at(doc, "credentialSubject/identifier/0/hashed")->type == MCJ_TRUE, "email hashed: true");
	expect_str(doc, "credentialSubject/identifier/1/identityType", "sisSourcedId", "EU learner identification (student id)");
	expect_str(doc, "credentialSubject/identifier/2/identityType", "name", "name with consent");
	expect_str(doc, "credentialSubject/identifier/2/identityHash", "Ada Lovelace", "name in clear");
	ok(at(doc, "credentialSubject/identifier/2/hashed")->type == MCJ_FALSE, "name: hashed false");
	expect_absent(doc, "credentialSubject/identifier/2/salt", "name without salt");
	expect_str(doc, "evidence/0/id", "https://lms.example/submissions/7", "evidence");
	expect_str(doc, "credentialStatus/type", "BitstringStatusListEntry", "credential status");
	expect_str(doc, "credentialSchema/0/type", "JsonSchema", "OB 3.0 JSON schema");

	memset(&c.learner, 0, sizeof(c.learner));
	c.learner.student_id = "S-42";
	c.base_url = NULL;
	c.has_credits = false;
	c.grade = NULL;
	c.evidence = NULL;
	c.status = NULL;
	c.valid_until = NULL;
	doc = ob3_credential_document(arena, &c, ob3_profile(arena, &i), ob3_achievement(arena, &t));
	expect_str(doc, "id", "urn:uuid:0b7d0c6e-0000-4000-8000-0000000000aa", "credential id without base URL");
	expect_absent(doc, "credentialSubject/id", "no DID");
	expect_str(doc, "credentialSubject/identifier/0/identityType", "sisSourcedId", "student id only");
	expect_absent(doc, "credentialSubject/identifier/1", "no name without consent");
	expect_absent(doc, "credentialSubject/creditsEarned", "no credits");
	expect_absent(doc, "credentialSubject/result", "no grade");
	expect_absent(doc, "evidence", "no evidence");
	expect_absent(doc, "credentialStatus", "no status");
	expect_absent(doc, "validUntil", "no expiry");
	c.learner.name_in_credential = true;
	c.learner.family_name = "Lovelace";
	doc = ob3_credential_document(arena, &c, ob3_profile(arena, &i), ob3_achievement(arena, &t));
	expect_str(doc, "credentialSubject/identifier/1/identityHash", "Lovelace", "family name only");
}

int
main(void)
{
	mcj_arena  *arena = mcj_arena_create(NULL);

	test_achievement(arena);
	test_profile(arena);
	test_credential(arena);
	mcj_arena_destroy(arena);
	printf("1..%d\n", tap_n);
	return tap_failed == 0 ? 0 : 1;
}
