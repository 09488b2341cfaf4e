/*-------------------------------------------------------------------------
 *
 * issue_sql.c
 *	  Issuing a credential in one C call: microcred._issue().
 *
 * What the PL/pgSQL _issue of 0.1 and 0.2 did in about fifteen statements,
 * done through a handful of plans prepared once per backend:
 *
 *	 1. the type by id or 'issuer/CODE', and what issuing reads about it (its
 *	    issuer, the active Ed25519 key with its sealed bytes, the document
 *	    parts, the roles mapped to the issuer, whether mail or an auto-award
 *	    pathway follows the issue): issue_type_sql.c, read once per backend
 *	    and kept until one of those tables changes;
 *	 2. one lookup per issue (learner_plan): the learner and an existing
 *	    credential for the idempotency key or for the learner and type;
 *	 3. the checks, in the order and with the errors of the SQL version
 *	    (the actor, the learner, the identification, retirement, evidence,
 *	    the key);
 *	 4. the status entries (status_alloc_sql.c);
 *	 5. the document: ob3.c through document_sql.c, signed with the key
 *	    opened by keys_sql.c (the sealed bytes never leave C);
 *	 6. the row (insert_plan, ON CONFLICT on the idempotency key: a
 *	    concurrent issue with the same key wins and its id is returned);
 *	 7. the credential e-mail and the auto-award pathways, only when the
 *	    lookup said they apply (they were row triggers on issued_credential:
 *	    now rows loaded by pg_restore or by hand neither mail nor award);
 *	 8. the audit link (audit_sql.c).
 *
 * Errors are raised with the SQLSTATE, message, detail and hint that
 * microcred._fail gave them, so callers and tests see the same errors.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "mc_sql.h"

/* the columns of learner_plan */
enum
{
	L_ID = 1, L_ERASED, L_EMAIL, L_STUDENT_ID, L_DID, L_NAME_IN, L_GIVEN, L_FAMILY, L_BY_KEY, L_BY_REPEAT
};

/* $1 issuer, $2 learner, $3 idempotency key, $4 look for a repeat, $5 type */
static const char *learner_sql =
"SELECT l.id, l.erased_at IS NOT NULL, l.email, l.student_id, l.holder_did, l.name_in_credential,"
"       l.given_name, l.family_name,"
"       CASE WHEN $3::text IS NOT NULL THEN (SELECT ic.id FROM microcred.issued_credential ic"
"             WHERE ic.issuer_id = $1 AND ic.idempotency_key = $3::text) END,"
"       CASE WHEN $4 THEN (SELECT ic.id FROM microcred.issued_credential ic"
"             WHERE ic.issuer_id = $1 AND ic.learner_id = $2 AND ic.credential_type_id = $5"
"               AND ic.status <> 'revoked' AND ic.superseded_by IS NULL LIMIT 1) END"
"  FROM (SELECT) one LEFT JOIN microcred.learner l ON l.id = $2 AND l.issuer_id = $1";

static SPIPlanPtr learner_plan = NULL;
static SPIPlanPtr insert_plan = NULL;
static SPIPlanPtr again_plan = NULL;
static SPIPlanPtr unallocate_plan = NULL;
static SPIPlanPtr mail_plan = NULL;
static SPIPlanPtr award_plan = NULL;
static SPIPlanPtr parts_plan = NULL;
static SPIPlanPtr ects_plan = NULL;

/* what the caller asked for */
typedef struct IssueArgs
{
	text	   *type_ref;		/* NULL: none given */
	pg_uuid_t  *learner;
	text	   *grade;
	Jsonb	   *evidence;
	bool		has_issued_at;
	TimestampTz issued_at;
	text	   *idempotency_key;
	const char *actor;
	bool		has_awarded;
	TimestampTz awarded;
	pg_uuid_t  *supersedes;
	Datum		credits;
	bool		has_credits;
} IssueArgs;

/* the row of learner_plan */
typedef struct IssueRow
{
	HeapTuple	tuple;
	TupleDesc	desc;
} IssueRow;

static void
prepare_plans(void)
{
	Oid			u[5] = {UUIDOID, UUIDOID, TEXTOID, BOOLOID, UUIDOID};

	if (learner_plan != NULL)
		return;
	insert_plan = mc_keep_plan("INSERT INTO microcred.issued_credential"
					   " (id, issuer_id, credential_type_id, learner_id, issued_at, awarded_date, valid_from,"
					   "  valid_until, grade, evidence, status, idempotency_key, supersedes, proof_format,"
					   "  document, credits_earned)"
					   " VALUES ($1, $2, $3, $4, $5, $6, $5, $7, $8, $9, 'active', $10, $11, $12, $13,"
					   "         $14::microcred.ects_credits)"
					   " ON CONFLICT ON CONSTRAINT issued_credential_idempotency_key_unique DO NOTHING", 14,
					   (Oid[]) {UUIDOID, UUIDOID, UUIDOID, UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID,
		TIMESTAMPTZOID, TEXTOID, JSONBOID, TEXTOID, UUIDOID, TEXTOID, JSONBOID, NUMERICOID});
	again_plan = mc_keep_plan("SELECT ic.id FROM microcred.issued_credential ic"
					  " WHERE ic.issuer_id = $1 AND ic.idempotency_key = $2", 2, (Oid[]) {UUIDOID, TEXTOID});
	unallocate_plan = mc_keep_plan("DELETE FROM microcred.status_entry e WHERE e.credential_id = $1", 1,
						   (Oid[]) {UUIDOID});
	mail_plan = mc_keep_plan("INSERT INTO microcred.mail_outbox (issuer_id, credential_id, learner_id)"
					 " SELECT $1, $2, $3 FROM microcred.mail_setting s"
					 "   JOIN microcred.learner l ON l.issuer_id = s.issuer_id AND l.id = $3"
					 "  WHERE s.issuer_id = $1 AND s.enabled AND l.email IS NOT NULL AND l.erased_at IS NULL"
					 "    AND NOT EXISTS (SELECT FROM microcred.learner_mail_preference p"
					 "                     WHERE p.issuer_id = $1 AND p.learner_id = $3 AND p.opted_out)"
					 " ON CONFLICT DO NOTHING", 3, (Oid[]) {UUIDOID, UUIDOID, UUIDOID});
	award_plan = mc_keep_plan("SELECT microcred._stack_auto_award($1, $2, $3)", 3,
					  (Oid[]) {UUIDOID, UUIDOID, UUIDOID});
	parts_plan = mc_keep_plan("INSERT INTO microcred.document_part"
					  " SELECT t.id, t.issuer_id, microcred._achievement(t, i), microcred._issuer_profile(i)"
					  "   FROM microcred.credential_type t JOIN microcred.issuer i ON i.id = t.issuer_id"
					  "  WHERE t.id = $1 ON CONFLICT DO NOTHING", 1, (Oid[]) {UUIDOID});
	ects_plan = mc_keep_plan("SELECT microcred._check_ects($1)::numeric", 1, (Oid[]) {NUMERICOID});
	learner_plan = mc_keep_plan(learner_sql, 5, u);
}

/* ---- errors as microcred._fail raises them ---- */

/* an echoed value in a message: cut to 100 characters, as _fail does */
static char *
echo(const char *s)
{
	if (s == NULL)
		return "";
	if (pg_mbstrlen(s) <= 100)
		return (char *) s;
	return psprintf("%s...", pnstrdup(s, pg_mbcharcliplen(s, strlen(s), 100)));
}

static bool
col_null(IssueRow *r, int col)
{
	bool		isnull;

	(void) SPI_getbinval(r->tuple, r->desc, col, &isnull);
	return isnull;
}

static Datum
col(IssueRow *r, int col, bool *isnull)
{
	return SPI_getbinval(r->tuple, r->desc, col, isnull);
}

static char *
col_text(IssueRow *r, int c)
{
	bool		isnull;
	Datum		d = col(r, c, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static bool
col_bool(IssueRow *r, int c)
{
	bool		isnull;
	Datum		d = col(r, c, &isnull);

	return !isnull && DatumGetBool(d);
}

/* ---- 1, 2: the type and the learner ---- */

static bool
is_uuid_text(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (int i = 0; shape[i]; i++)
		if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char) s[i]))
			return false;
	return true;
}

/* the type the caller named (the resolver's errors for an unknown one) */
static IssueType *
resolve_type(const IssueArgs *a)
{
	char	   *ref = a->type_ref ? text_to_cstring(a->type_ref) : NULL;
	pg_uuid_t	id;
	IssueType  *t;

	if (ref != NULL && is_uuid_text(ref))
		id = *DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(ref)));
	else
		id = mc_issue_type_ref(ref);
	t = mc_issue_type(&id);
	if (t == NULL)
	{
		(void) mc_issue_type_ref(ref);	/* raises its "does not exist" */
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("credential type \"%s\" does not exist", echo(ref))));
	}
	return t;
}

/* the learner and an existing credential (learner_plan) */
static void
fetch_learner(IssueType *t, const IssueArgs *a, IssueRow *r)
{
	Datum		v[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	int			rc;

	v[0] = UUIDPGetDatum(&t->issuer);
	v[1] = a->learner ? UUIDPGetDatum(a->learner) : (Datum) 0;
	nulls[1] = a->learner ? ' ' : 'n';
	v[2] = a->idempotency_key ? PointerGetDatum(a->idempotency_key) : (Datum) 0;
	nulls[2] = a->idempotency_key ? ' ' : 'n';
	v[3] = BoolGetDatum(!t->allow_repeats && a->supersedes == NULL);
	v[4] = UUIDPGetDatum(&t->id);
	rc = SPI_execute_plan(learner_plan, v, nulls, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading the learner of an issue failed: %s", SPI_result_code_string(rc));
	r->tuple = SPI_tuptable->vals[0];
	r->desc = SPI_tuptable->tupdesc;
}

/* ---- 3: the checks ---- */

/* microcred._check_actor: a role the session may be, mapped to the issuer (or an admin) */
static void
check_actor(IssueType *t, const char *actor)
{
	/* an unknown role is pg_has_role's error, as in the SQL check */
	Oid			actor_oid = actor ? get_role_oid(actor, false) : InvalidOid;
	bool		ok = false;

	if (OidIsValid(actor_oid) && is_member_of_role(GetSessionUserId(), actor_oid))
	{
		Oid			admin = get_role_oid("microcred_admin", true);

		ok = OidIsValid(admin) && is_member_of_role(actor_oid, admin);
		for (int i = 0; i < t->n_roles && !ok; i++)
			ok = is_member_of_role(actor_oid, t->roles[i]);
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" may not act for this issuer", echo(actor)),
				 errhint("An admin maps roles to issuers with microcred.grant_issuer(issuer, role).")));
}

/* the learner, the existing credential, identification, retirement (in the SQL order) */
static bool
check_learner_and_existing(IssueType *t, IssueRow *r, const IssueArgs *a, Datum *existing)
{
	bool		isnull;

	if (col_null(r, L_ID))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("learner %s does not exist for issuer \"%s\"",
						a->learner ? DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(a->learner))) : "",
						echo(t->handle)),
				 errhint("Register the learner first with microcred.add_learner(issuer => ...).")));
	*existing = col(r, L_BY_KEY, &isnull);
	if (isnull)
		*existing = col(r, L_BY_REPEAT, &isnull);
	if (!isnull)
		return true;
	if (col_bool(r, L_ERASED) ||
		(col_null(r, L_EMAIL) && col_null(r, L_STUDENT_ID) && col_null(r, L_DID)))
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("identification of the learner is required to issue a credential"),
				 errdetail("The learner has no email, student id or DID, or was erased."),
				 errhint("Complete the learner's identification (email, student_id or holder_did) first.")));
	if (t->retired)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("credential type \"%s\" is retired", echo(t->code))));
	return false;
}

/*
 * Evidence as stored: an array of objects, each with a type (["Evidence"]
 * added where missing).  A single object is wrapped in an array.
 */
static Jsonb *
normalise_evidence(mcj_arena *arena, Jsonb *evidence, mcj_value **converted)
{
	mcj_value  *v;
	mcj_value  *arr;

	if (evidence == NULL)
	{
		*converted = NULL;
		return NULL;
	}
	v = mc_from_jsonb(arena, evidence, "evidence");
	if (v->type == MCJ_ARRAY)
		arr = v;
	else
	{
		arr = mcj_array(arena);
		mcj_array_append(arena, arr, v);
	}
	for (size_t i = 0; i < arr->u.arr.n; i++)
		if (arr->u.arr.items[i]->type != MCJ_OBJECT)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("evidence must be JSON objects"),
					 errhint("For example '[{\"id\": \"https://lms.example/submissions/7\", \"name\": \"Final project\"}]'.")));
	if (arr->u.arr.n == 0)
	{
		/* jsonb_agg over no rows is NULL: no evidence */
		*converted = NULL;
		return NULL;
	}
	for (size_t i = 0; i < arr->u.arr.n; i++)
	{
		mcj_value  *e = arr->u.arr.items[i];

		if (mcj_object_get(e, "type") == NULL)
		{
			mcj_value  *t = mcj_array(arena);

			mcj_array_append(arena, t, mcj_cstring(arena, "Evidence"));
			mcj_object_set(arena, e, "type", t);
		}
	}
	/* the document gets the value as stored (jsonb's key order) */
	{
		Jsonb	   *stored = mc_to_jsonb(arr);

		*converted = mc_from_jsonb(arena, stored, "evidence");
		return stored;
	}
}

/* ---- 5: the document ---- */

static char *
xsd_datetime(TimestampTz ts)
{
	time_t		t = (time_t) timestamptz_to_time_t(ts);
	struct tm	tm;
	char	   *buf = palloc(32);

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* the document parts of the type, made and stored when missing (rare: a new or changed type) */
static IssueType *
ensure_parts(IssueType *t)
{
	Datum		arg = UUIDPGetDatum(&t->id);
	pg_uuid_t	id = t->id;
	int			rc;

	if (t->achievement != NULL && t->profile != NULL)
		return t;
	rc = SPI_execute_plan(parts_plan, &arg, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "storing the document parts failed: %s", SPI_result_code_string(rc));
	/* the insert invalidated the cached type: read it again, with its parts */
	t = mc_issue_type(&id);
	if (t == NULL || t->achievement == NULL || t->profile == NULL)
		elog(ERROR, "the document parts of credential type %s are missing",
			 DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&id))));
	return t;
}

/* a random (version 4) uuid, as gen_random_uuid() */
static pg_uuid_t *
random_uuid(void)
{
	pg_uuid_t  *u = palloc(sizeof(pg_uuid_t));

	if (!pg_strong_random(u->data, UUID_LEN))
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not generate random values")));
	u->data[6] = (u->data[6] & 0x0f) | 0x40;
	u->data[8] = (u->data[8] & 0x3f) | 0x80;
	return u;
}

/* the row values the document and the insert share */
typedef struct NewCredential
{
	pg_uuid_t  *id;
	pg_uuid_t	issuer;
	TimestampTz issued_at;
	TimestampTz awarded;
	bool		has_until;
	TimestampTz valid_until;
	Jsonb	   *evidence;
	Datum		credits;		/* numeric, or 0 */
	char	   *proof_format;
} NewCredential;

static mcj_value *
build_document(mcj_arena *arena, IssueType *t, IssueRow *r, const IssueArgs *a,
			   NewCredential *c, mcj_value *evidence, mcj_value *status)
{
	ob3_credential oc;
	unsigned char salt[16];
	bool		isnull;
	Datum		d;
	char	   *vm;
	mcc_key    *key;
	pg_uuid_t  *key_id;
	static const char hex[] = "0123456789abcdef";
	char		salt_hex[33];

	memset(&oc, 0, sizeof(oc));
	oc.id = DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(c->id)));
	oc.base_url = t->base_url;
	oc.title = t->title;
	oc.description = t->description;
	oc.valid_from = xsd_datetime(c->issued_at);
	oc.valid_until = c->has_until ? xsd_datetime(c->valid_until) : NULL;
	oc.awarded_date = xsd_datetime(c->awarded);
	d = c->credits;
	isnull = d == (Datum) 0;
	if (isnull && t->ects != NULL)
	{
		d = PointerGetDatum(t->ects);
		isnull = false;
	}
	oc.has_credits = !isnull;
	if (!isnull)
		oc.credits = DatumGetFloat8(DirectFunctionCall1(numeric_float8, d));
	oc.grade = a->grade ? text_to_cstring(a->grade) : NULL;
	oc.evidence = evidence;
	oc.status = status;
	/* the salt of the identity hashes: 128 random bits in hex, as replace(gen_random_uuid()::text, '-', '') */
	if (!pg_strong_random(salt, sizeof(salt)))
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not generate random values")));
	salt[6] = (salt[6] & 0x0f) | 0x40;
	salt[8] = (salt[8] & 0x3f) | 0x80;
	for (int i = 0; i < 16; i++)
	{
		salt_hex[2 * i] = hex[salt[i] >> 4];
		salt_hex[2 * i + 1] = hex[salt[i] & 15];
	}
	salt_hex[32] = '\0';
	oc.salt = salt_hex;
	oc.learner.holder_did = col_text(r, L_DID);
	oc.learner.email = col_text(r, L_EMAIL);
	oc.learner.student_id = col_text(r, L_STUDENT_ID);
	oc.learner.name_in_credential = col_bool(r, L_NAME_IN);
	oc.learner.given_name = col_text(r, L_GIVEN);
	oc.learner.family_name = col_text(r, L_FAMILY);

	{
		mcj_value  *doc = mc_credential_document_build(arena, &oc, &t->id, t->achievement, t->profile);

		key_id = t->key_id;
		key = mc_signing_key(key_id, &c->issuer, t->key_sealed);
		if (t->public_id == NULL || t->key_fragment == NULL || c->proof_format == NULL)
			elog(ERROR, "the issuer's public id, the key's fragment and the proof format are required to sign");
		vm = psprintf("%s#%s", t->public_id, t->key_fragment);
		return mc_sign_document(arena, doc, c->proof_format, key, vm, GetCurrentTransactionStartTimestamp());
	}
}

/* ---- 6, 7: the row, the e-mail and the pathways ---- */

/* insert the row; false when a concurrent issue with the same key won */
static bool
insert_row(IssueType *t, Datum learner, const IssueArgs *a, NewCredential *c, Jsonb *document)
{
	Datum		v[14];
	char		nulls[14];
	int			rc;

	memset(nulls, ' ', sizeof(nulls));
	v[0] = UUIDPGetDatum(c->id);
	v[1] = UUIDPGetDatum(&c->issuer);
	v[2] = UUIDPGetDatum(&t->id);
	v[3] = learner;
	v[4] = TimestampTzGetDatum(c->issued_at);
	v[5] = TimestampTzGetDatum(c->awarded);
	v[6] = TimestampTzGetDatum(c->valid_until);
	nulls[6] = c->has_until ? ' ' : 'n';
	v[7] = PointerGetDatum(a->grade);
	nulls[7] = a->grade ? ' ' : 'n';
	v[8] = PointerGetDatum(c->evidence);
	nulls[8] = c->evidence ? ' ' : 'n';
	v[9] = PointerGetDatum(a->idempotency_key);
	nulls[9] = a->idempotency_key ? ' ' : 'n';
	v[10] = PointerGetDatum(a->supersedes);
	nulls[10] = a->supersedes ? ' ' : 'n';
	v[11] = CStringGetTextDatum(c->proof_format);
	v[12] = JsonbPGetDatum(document);
	v[13] = c->credits;
	nulls[13] = c->credits ? ' ' : 'n';
	rc = SPI_execute_plan(insert_plan, v, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "storing the credential failed: %s", SPI_result_code_string(rc));
	return SPI_processed == 1;
}

/* the credential of the idempotency key that won, our status positions given up */
static Datum
lost_race(const NewCredential *c, const IssueArgs *a)
{
	Datum		v[2];
	bool		isnull;
	int			rc;

	v[0] = UUIDPGetDatum(c->id);
	rc = SPI_execute_plan(unallocate_plan, v, NULL, false, 0);
	if (rc != SPI_OK_DELETE)
		elog(ERROR, "giving up status entries failed: %s", SPI_result_code_string(rc));
	v[0] = UUIDPGetDatum(&c->issuer);
	v[1] = PointerGetDatum(a->idempotency_key);
	rc = SPI_execute_plan(again_plan, v, NULL, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "the credential of idempotency key \"%s\" is gone", echo(text_to_cstring(a->idempotency_key)));
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
}

/* queue the e-mail and award completed auto-award pathways, where they apply */
static void
follow_ups(bool mail, bool award, pg_uuid_t *type_id, NewCredential *c, Datum learner)
{
	Datum		v[3];
	int			rc;

	if (mail)
	{
		v[0] = UUIDPGetDatum(&c->issuer);
		v[1] = UUIDPGetDatum(c->id);
		v[2] = learner;
		rc = SPI_execute_plan(mail_plan, v, NULL, false, 0);
		if (rc != SPI_OK_INSERT)
			elog(ERROR, "queueing the credential e-mail failed: %s", SPI_result_code_string(rc));
		if (SPI_processed > 0)
			Async_Notify("microcred_mail", "");
	}
	if (award)
	{
		v[0] = UUIDPGetDatum(&c->issuer);
		v[1] = UUIDPGetDatum(type_id);
		v[2] = learner;
		rc = SPI_execute_plan(award_plan, v, NULL, false, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "awarding auto-award pathways failed: %s", SPI_result_code_string(rc));
	}
}

/* ECTS earned: microcred._check_ects (its errors), as numeric */
static Datum
checked_credits(const IssueArgs *a)
{
	bool		isnull;
	Datum		d;
	int			rc;

	if (!a->has_credits)
		return (Datum) 0;
	rc = SPI_execute_plan(ects_plan, (Datum *) &a->credits, NULL, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "checking the ECTS credits failed: %s", SPI_result_code_string(rc));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? (Datum) 0 : d;
}

/* ---- the whole issue ---- */

/* the details of the audit link: {"credential_type", "learner", "supersedes"} */
static Jsonb *
audit_details(mcj_arena *arena, pg_uuid_t *type_id, Datum learner, const pg_uuid_t *supersedes)
{
	mcj_value  *o = mcj_object(arena);

	mcj_object_set(arena, o, "credential_type",
				   mcj_cstring(arena, DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(type_id)))));
	mcj_object_set(arena, o, "learner", mcj_cstring(arena, DatumGetCString(DirectFunctionCall1(uuid_out, learner))));
	mcj_object_set(arena, o, "supersedes",
				   supersedes ? mcj_cstring(arena, DatumGetCString(DirectFunctionCall1(uuid_out,
																				   UUIDPGetDatum(supersedes))))
				   : mcj_null(arena));
	return mc_to_jsonb(o);
}

static pg_uuid_t *
issue(IssueArgs *a)
{
	IssueType  *t;
	IssueRow	r;
	NewCredential c;
	Datum		existing;
	bool		isnull;
	mcj_arena  *arena;
	mcj_value  *evidence;
	mcj_value  *status;
	mcj_value  *doc;
	Datum		learner;
	pg_uuid_t  *result = palloc(sizeof(pg_uuid_t));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	prepare_plans();
	t = resolve_type(a);
	memcpy(&c.issuer, &t->issuer, sizeof(pg_uuid_t));
	check_actor(t, a->actor);
	fetch_learner(t, a, &r);
	if (check_learner_and_existing(t, &r, a, &existing))
	{
		memcpy(result, DatumGetUUIDP(existing), sizeof(pg_uuid_t));
		SPI_finish();
		return result;
	}
	arena = mc_arena();
	c.evidence = normalise_evidence(arena, a->evidence, &evidence);
	if (t->key_id == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("issuer \"%s\" has no active Ed25519 signing key", echo(t->handle)),
				 errhint("Create one with: SELECT microcred.generate_key(%s);", quote_literal_cstr(t->handle))));

	c.id = random_uuid();
	c.issued_at = a->has_issued_at ? a->issued_at : GetCurrentTransactionStartTimestamp();
	c.awarded = a->has_awarded ? a->awarded : c.issued_at;
	c.credits = checked_credits(a);
	c.has_until = t->validity != NULL;
	if (c.has_until)
		c.valid_until = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
																TimestampTzGetDatum(c.issued_at),
																PointerGetDatum(t->validity)));
	c.proof_format = t->proof_format;
	t = ensure_parts(t);
	learner = col(&r, L_ID, &isnull);

	/* one credentialStatus object (revocation); a suspendable type gets an array of two */
	status = mc_allocate_status(arena, &c.issuer, t->base_url, c.id, "revocation");
	if (t->suspendable)
	{
		mcj_value  *both = mcj_array(arena);

		mcj_array_append(arena, both, status);
		mcj_array_append(arena, both, mc_allocate_status(arena, &c.issuer, t->base_url, c.id, "suspension"));
		status = both;
	}
	doc = build_document(arena, t, &r, a, &c, evidence, status);
	if (!insert_row(t, learner, a, &c, mc_to_jsonb(doc)))
	{
		memcpy(result, DatumGetUUIDP(lost_race(&c, a)), sizeof(pg_uuid_t));
		mcj_arena_destroy(arena);
		SPI_finish();
		return result;
	}
	follow_ups(t->mail, t->award, &t->id, &c, learner);
	mc_audit_append(&c.issuer, "issue", c.id, NULL, audit_details(arena, &t->id, learner, a->supersedes),
					a->actor);
	memcpy(result, c.id, sizeof(pg_uuid_t));
	mcj_arena_destroy(arena);
	SPI_finish();
	return result;
}

PG_FUNCTION_INFO_V1(microcred_issue);

/*
 * microcred._issue(credential_type text, learner uuid, grade text, evidence jsonb,
 *     issued_at timestamptz, idempotency_key text, actor name,
 *     awarded_date timestamptz DEFAULT NULL, supersedes uuid DEFAULT NULL,
 *     credits_earned numeric DEFAULT NULL) RETURNS uuid
 */
Datum
microcred_issue(PG_FUNCTION_ARGS)
{
	IssueArgs	a;

	memset(&a, 0, sizeof(a));
	a.type_ref = PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_P(0);
	a.learner = PG_ARGISNULL(1) ? NULL : PG_GETARG_UUID_P(1);
	a.grade = PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_P(2);
	a.evidence = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	a.has_issued_at = !PG_ARGISNULL(4);
	if (a.has_issued_at)
		a.issued_at = PG_GETARG_TIMESTAMPTZ(4);
	a.idempotency_key = PG_ARGISNULL(5) ? NULL : PG_GETARG_TEXT_P(5);
	a.actor = PG_ARGISNULL(6) ? NULL : NameStr(*PG_GETARG_NAME(6));
	if (PG_NARGS() > 7 && !PG_ARGISNULL(7))
	{
		a.has_awarded = true;
		a.awarded = PG_GETARG_TIMESTAMPTZ(7);
	}
	if (PG_NARGS() > 8 && !PG_ARGISNULL(8))
		a.supersedes = PG_GETARG_UUID_P(8);
	if (PG_NARGS() > 9 && !PG_ARGISNULL(9))
	{
		a.has_credits = true;
		a.credits = PG_GETARG_DATUM(9);
	}
	PG_RETURN_UUID_P(issue(&a));
}

/* microcred._caller(): the role set with SET ROLE, else the session user */
static const char *
caller(void)
{
	const char *role = GetConfigOption("role", false, false);

	if (role == NULL || strcmp(role, "none") == 0)
		return GetUserNameFromId(GetSessionUserId(), false);
	return role;
}

PG_FUNCTION_INFO_V1(microcred_issue_api);

/*
 * microcred.issue(credential_type text, learner uuid, grade text,
 *     evidence jsonb, issued_at timestamptz, idempotency_key text)
 * RETURNS uuid: _issue with the caller as the actor.
 */
Datum
microcred_issue_api(PG_FUNCTION_ARGS)
{
	IssueArgs	a;

	memset(&a, 0, sizeof(a));
	a.type_ref = PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_P(0);
	a.learner = PG_ARGISNULL(1) ? NULL : PG_GETARG_UUID_P(1);
	a.grade = PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_P(2);
	a.evidence = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	a.has_issued_at = !PG_ARGISNULL(4);
	if (a.has_issued_at)
		a.issued_at = PG_GETARG_TIMESTAMPTZ(4);
	a.idempotency_key = PG_ARGISNULL(5) ? NULL : PG_GETARG_TEXT_P(5);
	a.actor = caller();
	PG_RETURN_UUID_P(issue(&a));
}
