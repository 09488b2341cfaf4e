/*-------------------------------------------------------------------------
 *
 * ob3.c
 *	  The Open Badges 3.0 document from plain C structs (see ob3.h): the
 *	  issuer Profile, the Achievement with every EU element as alignments
 *	  and in the criteria narrative, and the OpenBadgeCredential.
 *
 * The mapping (docs/ARCHITECTURE.md, "EU elements in the document"):
 *   title -> name; description; learning outcomes -> criteria narrative and,
 *   with an ESCO URI, ext:ESCOSkill alignments; ECTS -> creditsAvailable /
 *   creditsEarned; EQF level -> ext:EQFLevel alignment; assessment types,
 *   form of participation, supervision, quality assurance -> Europass
 *   alignments; prerequisites, integration, language, further information
 *   -> narrative (language also inLanguage); grading scheme ->
 *   resultDescription; the learner -> salted identity hashes; legal
 *   identifiers of the issuer -> otherIdentifier.
 *
 * Pure C: no PostgreSQL headers.  Every value is allocated from the arena.
 *
 *-------------------------------------------------------------------------
 */
#include "ob3.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mccrypto.h"
#include "multibase.h"

/* ---- small helpers ---------------------------------------------------- */

/* concatenation of NULL-terminated parts, in the arena */
static char *
cat(mcj_arena *arena, const char *first,...)
{
	mcj_buf		buf;
	va_list		ap;
	const char *s;

	mcj_buf_init(&buf, arena, 64);
	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *))
		mcj_buf_appends(&buf, s);
	va_end(ap);
	return buf.data;
}

static void
set_str(mcj_arena *arena, mcj_value *o, const char *key, const char *s)
{
	if (s != NULL)
		mcj_object_set(arena, o, key, mcj_cstring(arena, s));
}

static mcj_value *
array_of(mcj_arena *arena, const char *s)
{
	mcj_value  *a = mcj_array(arena);

	mcj_array_append(arena, a, mcj_cstring(arena, s));
	return a;
}

/* the concept of a term, else its scheme, else NULL */
static const char *
term_uri(const ob3_term *t)
{
	if (!t->known)
		return NULL;
	return t->concept_uri != NULL ? t->concept_uri : t->scheme_uri;
}

static const char *
term_label(const ob3_term *t)
{
	return t->known ? t->label : NULL;
}

/* ---- Profile ------------------------------------------------------------ */

/* the Open Badges identifierType of a legal identifier scheme */
static const char *
identifier_type(const char *scheme)
{
	static const char *const map[][2] = {
		{"vat", "ext:VATNumber"},
		{"euid", "ext:EUID"},
		{"deqar", "ext:DEQARID"},
		{"national_register", "ext:NationalRegisterNumber"},
		{"erasmus_code", "ext:ErasmusCode"},
		{"pic", "ext:PIC"},
		{"lei", "ext:LEI"},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (scheme != NULL && strcmp(scheme, map[i][0]) == 0)
			return map[i][1];
	return "identifier";
}

/* an OB 3.0 Image: {id, type: "Image"} */
static mcj_value *
ob3_image(mcj_arena *arena, const char *url)
{
	mcj_value  *img = mcj_object(arena);

	set_str(arena, img, "id", url);
	set_str(arena, img, "type", "Image");
	return img;
}

mcj_value *
ob3_profile(mcj_arena *arena, const ob3_issuer *i)
{
	mcj_value  *p = mcj_object(arena);
	mcj_value  *address = mcj_object(arena);

	set_str(arena, p, "id", i->public_id);
	mcj_object_set(arena, p, "type", array_of(arena, "Profile"));
	set_str(arena, p, "name", i->legal_name);
	set_str(arena, p, "url", i->url);
	set_str(arena, p, "email", i->email);
	set_str(arena, p, "phone", i->phone);
	mcj_object_set(arena, address, "type", array_of(arena, "Address"));
	set_str(arena, address, "addressCountry", i->country_name);
	set_str(arena, address, "addressCountryCode", i->country_code);
	set_str(arena, address, "addressRegion", i->region);
	mcj_object_set(arena, p, "address", address);
	if (i->n_identifiers > 0)
	{
		mcj_value  *ids = mcj_array(arena);

		for (size_t n = 0; n < i->n_identifiers; n++)
		{
			mcj_value  *e = mcj_object(arena);

			set_str(arena, e, "type", "IdentifierEntry");
			set_str(arena, e, "identifier", i->identifiers[n].value);
			set_str(arena, e, "identifierType", identifier_type(i->identifiers[n].scheme));
			mcj_array_append(arena, ids, e);
		}
		mcj_object_set(arena, p, "otherIdentifier", ids);
	}
	/* 0.3: its image under the bridge (a generated one when none is stored) */
	if (i->base_url != NULL && i->handle != NULL)
		mcj_object_set(arena, p, "image",
					   ob3_image(arena, cat(arena, i->base_url, "/issuers/", i->handle, "/image", NULL)));
	return p;
}

/* ---- Achievement ---------------------------------------------------------- */

/* an Alignment; NULL members are left out */
static mcj_value *
alignment(mcj_arena *arena, const char *target_type, const char *name, const char *url,
		  const char *code, const char *framework)
{
	mcj_value  *a = mcj_object(arena);

	mcj_object_set(arena, a, "type", array_of(arena, "Alignment"));
	set_str(arena, a, "targetType", target_type);
	set_str(arena, a, "targetName", name);
	set_str(arena, a, "targetUrl", url);
	set_str(arena, a, "targetCode", code);
	set_str(arena, a, "targetFramework", framework);
	return a;
}

char *
ob3_achievement_id(mcj_arena *arena, const ob3_type *t)
{
	return t->base_url != NULL ? cat(arena, t->base_url, "/achievements/", t->id, NULL)
		: cat(arena, "urn:uuid:", t->id, NULL);
}

/* the alignments: ESCO skills, EQF level, assessment, participation, supervision, QA */
static mcj_value *
alignments(mcj_arena *arena, const ob3_type *t)
{
	mcj_value  *a = mcj_array(arena);

	for (size_t n = 0; n < t->n_outcomes; n++)
		if (t->outcomes[n].esco_uri != NULL)
			mcj_array_append(arena, a, alignment(arena, "ext:ESCOSkill", t->outcomes[n].description,
												 t->outcomes[n].esco_uri, NULL, "ESCO"));
	if (t->eqf_level_text != NULL)
		mcj_array_append(arena, a, alignment(arena, "ext:EQFLevel", cat(arena, "EQF level ", t->eqf_level_text, NULL),
											 cat(arena, "http://data.europa.eu/snb/eqf/", t->eqf_level_text, NULL),
											 t->eqf_level_text, "European Qualifications Framework"));
	for (size_t n = 0; n < t->n_assessment; n++)
		if (term_uri(&t->assessment[n]) != NULL)
			mcj_array_append(arena, a, alignment(arena, "ext:AssessmentType", t->assessment[n].label,
												 term_uri(&t->assessment[n]), t->assessment[n].value,
												 "Europass assessment type"));
	mcj_array_append(arena, a, alignment(arena, "ext:FormOfParticipation", term_label(&t->participation),
										 term_uri(&t->participation), t->participation.value,
										 "Europass mode of learning and assessment"));
	if (t->supervision.value != NULL)
		mcj_array_append(arena, a, alignment(arena, "ext:SupervisionAndIdentityVerification",
											 term_label(&t->supervision), term_uri(&t->supervision),
											 t->supervision.value, "Europass supervision and verification"));
	if (t->quality_assurance_url != NULL)
	{
		const char *label = term_label(&t->quality_assurance);

		if (label != NULL && t->quality_assurance_body != NULL)
			label = cat(arena, label, " by ", t->quality_assurance_body, NULL);
		mcj_array_append(arena, a, alignment(arena, "ext:QualityAssurance", label, t->quality_assurance_url,
											 t->quality_assurance.value, NULL));
	}
	return a;
}

/*
 * The criteria narrative: every element in words (Markdown).  NULL when a
 * required part is missing (no learning outcome, a term without a
 * vocabulary label), as the SQL expression it replaces gave NULL.
 */
char *
ob3_narrative(mcj_arena *arena, const ob3_type *t)
{
	mcj_buf		b;
	bool		any;

	if (t->n_outcomes == 0 || !t->participation.known || t->participation.label == NULL ||
		!t->quality_assurance.known || t->quality_assurance.label == NULL ||
		!t->integration.known || t->integration.label == NULL)
		return NULL;
	mcj_buf_init(&b, arena, 1024);
	mcj_buf_appends(&b, "Learning outcomes:\n");
	for (size_t n = 0; n < t->n_outcomes; n++)
	{
		if (n > 0)
			mcj_buf_appendc(&b, '\n');
		mcj_buf_appends(&b, "- ");
		mcj_buf_appends(&b, t->outcomes[n].description);
	}
	mcj_buf_appends(&b, "\n\nType of assessment: ");
	any = false;
	for (size_t n = 0; n < t->n_assessment; n++)
		if (t->assessment[n].known && t->assessment[n].label != NULL)
		{
			if (any)
				mcj_buf_appends(&b, ", ");
			mcj_buf_appends(&b, t->assessment[n].label);
			any = true;
		}
	if (!any)
		return NULL;
	mcj_buf_appends(&b, "\nForm of participation: ");
	mcj_buf_appends(&b, t->participation.label);
	if (t->synchronous == 1)
		mcj_buf_appends(&b, " (synchronous)");
	else if (t->synchronous == 0)
		mcj_buf_appends(&b, " (asynchronous)");
	mcj_buf_appends(&b, "\nNotional workload: ");
	if (t->ects_text != NULL)
		mcj_buf_appends(&b, cat(arena, t->ects_text, " ECTS credits", NULL));
	if (t->workload_hours_text != NULL)
		mcj_buf_appends(&b, cat(arena, t->ects_text != NULL ? ", " : "", t->workload_hours_text, " hours", NULL));
	mcj_buf_appends(&b, "\nLevel: ");
	if (t->eqf_level_text != NULL)
		mcj_buf_appends(&b, cat(arena, "EQF ", t->eqf_level_text, NULL));
	if (t->qf_ehea_cycle != NULL)
		mcj_buf_appends(&b, cat(arena, t->eqf_level_text != NULL ? ", " : "", "QF-EHEA ", t->qf_ehea_cycle, " cycle", NULL));
	mcj_buf_appends(&b, "\nQuality assurance: ");
	mcj_buf_appends(&b, t->quality_assurance.label);
	if (t->quality_assurance_body != NULL)
		mcj_buf_appends(&b, cat(arena, " by ", t->quality_assurance_body, NULL));
	if (t->supervision.value != NULL && t->supervision.known && t->supervision.label != NULL)
		mcj_buf_appends(&b, cat(arena, "\nSupervision and identity verification: ", t->supervision.label, NULL));
	if (t->prerequisites != NULL)
		mcj_buf_appends(&b, cat(arena, "\nPrerequisites: ", t->prerequisites, NULL));
	mcj_buf_appends(&b, "\nIntegration: ");
	mcj_buf_appends(&b, t->integration.label);
	if (t->stackable_towards != NULL)
		mcj_buf_appends(&b, cat(arena, " (", t->stackable_towards, ")", NULL));
	if (t->languages != NULL)
	{
		mcj_buf_appends(&b, "\nLanguage: ");
		for (size_t n = 0; n < t->n_languages; n++)
		{
			if (n > 0)
				mcj_buf_appends(&b, ", ");
			mcj_buf_appends(&b, t->languages[n]);
		}
	}
	if (t->further_information != NULL)
		mcj_buf_appends(&b, cat(arena, "\nFurther information: ", t->further_information, NULL));
	return b.data;
}

mcj_value *
ob3_achievement(mcj_arena *arena, const ob3_type *t)
{
	mcj_value  *a = mcj_object(arena);
	mcj_value  *criteria = mcj_object(arena);
	mcj_value  *align = alignments(arena, t);
	char	   *id = ob3_achievement_id(arena, t);

	set_str(arena, a, "id", id);
	mcj_object_set(arena, a, "type", array_of(arena, "Achievement"));
	set_str(arena, a, "achievementType", t->achievement_type);
	set_str(arena, a, "name", t->title);
	set_str(arena, a, "description", t->description);
	set_str(arena, criteria, "id", t->info_url);
	set_str(arena, criteria, "narrative", ob3_narrative(arena, t));
	mcj_object_set(arena, a, "criteria", criteria);
	if (t->has_ects)
		mcj_object_set(arena, a, "creditsAvailable", mcj_number(arena, t->ects));
	set_str(arena, a, "humanCode", t->human_code != NULL ? t->human_code : t->code);
	if (t->languages != NULL && t->n_languages > 0)
		set_str(arena, a, "inLanguage", t->languages[0]);
	if (align->u.arr.n > 0)
		mcj_object_set(arena, a, "alignment", align);
	if (t->grading_scheme != NULL)
	{
		mcj_value  *rd = mcj_object(arena);

		set_str(arena, rd, "id", cat(arena, id, "#grade", NULL));
		mcj_object_set(arena, rd, "type", array_of(arena, "ResultDescription"));
		set_str(arena, rd, "name", t->grading_scheme);
		set_str(arena, rd, "resultType", "ext:Grade");
		mcj_object_set(arena, a, "resultDescription", mcj_array(arena));
		mcj_array_append(arena, mcj_object_get(a, "resultDescription"), rd);
	}
	/* 0.3: the badge image under the bridge (a generated one when none is stored) */
	if (t->base_url != NULL)
		mcj_object_set(arena, a, "image", ob3_image(arena, cat(arena, id, "/image", NULL)));
	return a;
}

/* ---- OpenBadgeCredential ------------------------------------------------ */

/* "sha256$" + hex(SHA-256(value || salt)) */
char *
ob3_identity_hash(mcj_arena *arena, const char *value, const char *salt)
{
	mcj_buf		in;
	unsigned char h[MCC_SHA256_LEN];

	mcj_buf_init(&in, arena, 64);
	mcj_buf_appends(&in, value);
	mcj_buf_appends(&in, salt);
	mcc_sha256(in.data, in.len, h);
	return cat(arena, "sha256$", mb_hex_encode_a(arena, h, sizeof(h)), NULL);
}

/* an IdentityObject */
static mcj_value *
identity_object(mcj_arena *arena, const char *type, bool hashed, const char *hash, const char *salt)
{
	mcj_value  *o = mcj_object(arena);

	set_str(arena, o, "type", "IdentityObject");
	set_str(arena, o, "identityType", type);
	mcj_object_set(arena, o, "hashed", mcj_bool(arena, hashed));
	set_str(arena, o, "salt", salt);
	set_str(arena, o, "identityHash", hash);
	return o;
}

/* the AchievementSubject: the learner's salted identifiers, credits, result */
static mcj_value *
subject(mcj_arena *arena, const ob3_credential *c, mcj_value *achievement)
{
	const ob3_learner *l = &c->learner;
	mcj_value  *s = mcj_object(arena);
	mcj_value  *ids = mcj_array(arena);

	set_str(arena, s, "id", l->holder_did);
	mcj_object_set(arena, s, "type", array_of(arena, "AchievementSubject"));
	if (l->email != NULL)
		mcj_array_append(arena, ids, identity_object(arena, "emailAddress", true,
													 ob3_identity_hash(arena, l->email, c->salt), c->salt));
	if (l->student_id != NULL)
		mcj_array_append(arena, ids, identity_object(arena, "sisSourcedId", true,
													 ob3_identity_hash(arena, l->student_id, c->salt), c->salt));
	if (l->name_in_credential)
	{
		const char *g = l->given_name,
				   *f = l->family_name;

		/* identityType "name": Open Badges' own term (IdentifierTypeEnum) */
		mcj_array_append(arena, ids, identity_object(arena, "name", false,
													 cat(arena, g ? g : "", g && f ? " " : "", f ? f : "", NULL), NULL));
	}
	if (ids->u.arr.n > 0)
		mcj_object_set(arena, s, "identifier", ids);
	mcj_object_set(arena, s, "achievement", achievement);
	if (c->has_credits)
		mcj_object_set(arena, s, "creditsEarned", mcj_number(arena, c->credits));
	if (c->grade != NULL)
	{
		mcj_value  *results = mcj_array(arena);
		mcj_value  *r = mcj_object(arena);
		const mcj_value *descs = mcj_object_get(achievement, "resultDescription");
		mcj_value  *rd;

		mcj_object_set(arena, r, "type", array_of(arena, "Result"));
		set_str(arena, r, "value", c->grade);
		if (descs && descs->type == MCJ_ARRAY && descs->u.arr.n > 0 &&
			(rd = mcj_object_get(descs->u.arr.items[0], "id")) != NULL)
			mcj_object_set(arena, r, "resultDescription", rd);
		mcj_array_append(arena, results, r);
		mcj_object_set(arena, s, "result", results);
	}
	return s;
}

mcj_value *
ob3_credential_document(mcj_arena *arena, const ob3_credential *c, mcj_value *profile, mcj_value *achievement)
{
	mcj_value  *doc = mcj_object(arena);
	mcj_value  *ctx = mcj_array(arena);
	mcj_value  *type = mcj_array(arena);
	mcj_value  *schemas = mcj_array(arena);
	mcj_value  *schema = mcj_object(arena);

	mcj_array_append(arena, ctx, mcj_cstring(arena, "https://www.w3.org/ns/credentials/v2"));
	mcj_array_append(arena, ctx, mcj_cstring(arena, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"));
	mcj_object_set(arena, doc, "@context", ctx);
	set_str(arena, doc, "id", c->base_url != NULL ? cat(arena, c->base_url, "/credentials/", c->id, NULL)
			: cat(arena, "urn:uuid:", c->id, NULL));
	mcj_array_append(arena, type, mcj_cstring(arena, "VerifiableCredential"));
	mcj_array_append(arena, type, mcj_cstring(arena, "OpenBadgeCredential"));
	mcj_object_set(arena, doc, "type", type);
	set_str(arena, doc, "name", c->title);
	set_str(arena, doc, "description", c->description);
	mcj_object_set(arena, doc, "issuer", profile);
	set_str(arena, doc, "validFrom", c->valid_from);
	set_str(arena, doc, "validUntil", c->valid_until);
	set_str(arena, doc, "awardedDate", c->awarded_date);
	mcj_object_set(arena, doc, "credentialSubject", subject(arena, c, achievement));
	if (c->evidence != NULL)
		mcj_object_set(arena, doc, "evidence", (mcj_value *) c->evidence);
	/* credentialStatus: the BitstringStatusListEntry objects allocated for it */
	if (c->status != NULL)
		mcj_object_set(arena, doc, "credentialStatus", (mcj_value *) c->status);
	set_str(arena, schema, "id", "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json");
	set_str(arena, schema, "type", "JsonSchema");
	mcj_array_append(arena, schemas, schema);
	mcj_object_set(arena, doc, "credentialSchema", schemas);
	return doc;
}
