/*-------------------------------------------------------------------------
 *
 * vc.c
 *	  Verifying Verifiable Credentials, and their JWT envelopes.
 *
 * A verification is a list of checks, in this order:
 *   structure    the credential's shape (VC 2.0 or 1.1 data model)
 *   ob3_structure  the Open Badges 3.0 data model (ob3_check.c; skip for others)
 *   proof / jwt  the proof object, or the JOSE header and claims
 *   key          how the verification method's key was found
 *   issuer_key   whether that key is bound to the issuer: one of its
 *                registered keys, a key listed under assertionMethod of its
 *                controller document, or the issuer's own did:key (fail if not)
 *   signature    the cryptographic check (still run when issuer_key fails,
 *                so a DBA sees whether the signature itself is intact)
 *   valid_from   not before validFrom (issuanceDate, nbf)
 *   valid_until  not after validUntil (expirationDate, exp)
 * A failed check makes the credential invalid; a warning does not.  A proof
 * set or chain has these checks for each proof: every proof must verify,
 * and at least one must be made with a key bound to the issuer (the others
 * are additional signers, a warning).
 *
 *-------------------------------------------------------------------------
 */
#include "vc.h"
#include "datetime.h"
#include "ob3_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VC_V2_CONTEXT	"https://www.w3.org/ns/credentials/v2"
#define VC_V1_CONTEXT	"https://www.w3.org/2018/credentials/v1"

/* add a check; a failure makes the result invalid */
void
vc_add_check(vc_result *r, const char *name, vc_status status, const char *fmt,...)
{
	vc_check   *c;
	va_list		ap;

	if (status == VC_FAIL)
		r->valid = false;
	if (r->nchecks >= VC_MAX_CHECKS)
		return;
	c = &r->checks[r->nchecks++];
	c->name = name;
	c->status = status;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
}

/* the string member key of obj, or NULL */
static const char *
str_member(const mcj_value *obj, const char *key)
{
	const mcj_value *v = obj ? mcj_object_get(obj, key) : NULL;

	return (v && v->type == MCJ_STRING) ? v->u.str.s : NULL;
}

/* years 0001 to 9999 in seconds since the epoch */
#define VC_MIN_SECONDS	(-62135596800.0)
#define VC_MAX_SECONDS	253402300799.0

/*
 * Format a JWT NumericDate as an xsd:dateTime in UTC.  It is any finite
 * double from the token, so one outside years 1 to 9999 is printed as a
 * number: converting it to time_t could overflow (undefined behavior) and
 * gmtime_r could fail.
 */
static void
format_time(double d, char out[32])
{
	struct tm	tm;
	time_t		t;

	if (d >= VC_MIN_SECONDS && d <= VC_MAX_SECONDS)
	{
		t = (time_t) d;
		if (gmtime_r(&t, &tm) != NULL &&
			strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
			return;
	}
	snprintf(out, 32, "%.6g (NumericDate)", d);
}

/* does v (a string or an array) contain the string s? */
static bool
has_string(const mcj_value *v, const char *s)
{
	if (v == NULL)
		return false;
	if (v->type == MCJ_STRING)
		return strcmp(v->u.str.s, s) == 0;
	if (v->type == MCJ_ARRAY)
		for (size_t i = 0; i < v->u.arr.n; i++)
			if (mcj_is_string(v->u.arr.items[i], s))
				return true;
	return false;
}

/* the ob3_structure check of a verification */
void
vc_check_ob3_structure(vc_result *r, const mcj_value *cred)
{
	ob3_report	rep;
	char		buf[sizeof(r->checks[0].reason)];
	size_t		len = 0;
	ob3_severity want;
	bool		first = true;

	ob3_check(cred, &rep);
	if (!rep.applies)
	{
		vc_add_check(r, "ob3_structure", VC_SKIP, "not an OpenBadgeCredential or AchievementCredential");
		return;
	}
	if (rep.errors == 0 && rep.warnings == 0)
	{
		vc_add_check(r, "ob3_structure", VC_PASS, "every property Open Badges 3.0 requires, with its type");
		return;
	}
	/* the findings of the worst severity, as many as fit */
	want = rep.errors > 0 ? OB3_ERROR : OB3_WARNING;
	len = (size_t) snprintf(buf, sizeof(buf), "%d %s: ", want == OB3_ERROR ? rep.errors : rep.warnings,
							want == OB3_ERROR ? (rep.errors == 1 ? "problem" : "problems") :
							(rep.warnings == 1 ? "warning" : "warnings"));
	for (int i = 0; i < rep.n && len < sizeof(buf) - 1; i++)
	{
		if (rep.findings[i].severity != want)
			continue;
		len += (size_t) snprintf(buf + len, sizeof(buf) - len, "%s%s: %s", first ? "" : "; ",
								 rep.findings[i].pointer[0] ? rep.findings[i].pointer : "(document)",
								 rep.findings[i].message);
		first = false;
	}
	if (len >= sizeof(buf) - 1)
		memcpy(buf + sizeof(buf) - 4, "...", 4);
	vc_add_check(r, "ob3_structure", want == OB3_ERROR ? VC_FAIL : VC_WARN, "%s", buf);
}

/* the data model's shape; fills r->issuer and r->credential_id */
static bool
check_structure(vc_result *r, const mcj_value *cred)
{
	const mcj_value *ctx;
	const mcj_value *first;
	const mcj_value *issuer;
	const mcj_value *subject;
	bool		v2;

	if (cred == NULL || cred->type != MCJ_OBJECT)
	{
		vc_add_check(r, "structure", VC_FAIL, "the credential is not a JSON object");
		return false;
	}
	ctx = mcj_object_get(cred, "@context");
	first = (ctx && ctx->type == MCJ_ARRAY && ctx->u.arr.n > 0) ? ctx->u.arr.items[0] : ctx;
	v2 = mcj_is_string(first, VC_V2_CONTEXT);
	if (!v2 && !mcj_is_string(first, VC_V1_CONTEXT))
	{
		vc_add_check(r, "structure", VC_FAIL,
					 "@context must start with %s (or %s for VC 1.1)", VC_V2_CONTEXT, VC_V1_CONTEXT);
		return false;
	}
	if (!has_string(mcj_object_get(cred, "type"), "VerifiableCredential"))
	{
		vc_add_check(r, "structure", VC_FAIL, "type does not include VerifiableCredential");
		return false;
	}
	issuer = mcj_object_get(cred, "issuer");
	if (issuer && issuer->type == MCJ_OBJECT)
		issuer = mcj_object_get(issuer, "id");
	/* no U+0000: the key lookup and the result take the id as a C string */
	if (issuer && issuer->type == MCJ_STRING && strlen(issuer->u.str.s) == issuer->u.str.len)
		r->issuer = issuer->u.str.s;
	if (r->issuer == NULL || strchr(r->issuer, ':') == NULL)
	{
		vc_add_check(r, "structure", VC_FAIL, "issuer must be a URL or an object whose id is a URL");
		return false;
	}
	subject = mcj_object_get(cred, "credentialSubject");
	if (subject == NULL || (subject->type != MCJ_OBJECT &&
							(subject->type != MCJ_ARRAY || subject->u.arr.n == 0)))
	{
		vc_add_check(r, "structure", VC_FAIL, "credentialSubject is missing or not an object");
		return false;
	}
	r->credential_id = str_member(cred, "id");
	if (!v2 && str_member(cred, "issuanceDate") == NULL)
	{
		vc_add_check(r, "structure", VC_FAIL, "a VC 1.1 credential needs issuanceDate");
		return false;
	}
	vc_add_check(r, "structure", VC_PASS, "a %s credential of type %s",
				 v2 ? "VC 2.0" : "VC 1.1",
				 has_string(mcj_object_get(cred, "type"), "OpenBadgeCredential") ||
				 has_string(mcj_object_get(cred, "type"), "AchievementCredential")
				 ? "OpenBadgeCredential" : "VerifiableCredential");
	/* Open Badges 3.0 structure: a check of its own (ob3_check.c) */
	vc_check_ob3_structure(r, cred);
	return true;
}

/* validFrom / validUntil (and their VC 1.1 names), plus optional JWT nbf/exp */
static void
check_dates(vc_result *r, const vc_verifier *v, const mcj_value *cred,
			const mcj_value *nbf, const mcj_value *exp)
{
	const char *from = str_member(cred, "validFrom");
	const char *until = str_member(cred, "validUntil");
	time_t		t;
	char		buf[32];

	if (from == NULL)
		from = str_member(cred, "issuanceDate");
	if (until == NULL)
		until = str_member(cred, "expirationDate");

	if (from != NULL && !xsd_datetime_parse(from, &t))
		vc_add_check(r, "valid_from", VC_FAIL, "validFrom \"%.60s\" is not a date-time with a time zone", from);
	else if (from != NULL && t > v->now + v->leeway_seconds)
		vc_add_check(r, "valid_from", VC_FAIL, "not yet valid: valid from %s", from);
	else if (nbf != NULL && nbf->type == MCJ_NUMBER && nbf->u.num > (double) (v->now + v->leeway_seconds))
	{
		format_time(nbf->u.num, buf);
		vc_add_check(r, "valid_from", VC_FAIL, "not yet valid: the JWT nbf is %s", buf);
	}
	else if (from != NULL)
		vc_add_check(r, "valid_from", VC_PASS, "valid from %s", from);
	else
		vc_add_check(r, "valid_from", VC_SKIP, "the credential states no validFrom");

	if (until != NULL && !xsd_datetime_parse(until, &t))
		vc_add_check(r, "valid_until", VC_FAIL, "validUntil \"%.60s\" is not a date-time with a time zone", until);
	else if (until != NULL && t <= v->now)
		vc_add_check(r, "valid_until", VC_FAIL, "expired: valid until %s", until);
	else if (exp != NULL && exp->type == MCJ_NUMBER && exp->u.num <= (double) v->now)
	{
		format_time(exp->u.num, buf);
		vc_add_check(r, "valid_until", VC_FAIL, "expired: the JWT exp is %s", buf);
	}
	else if (until != NULL)
		vc_add_check(r, "valid_until", VC_PASS, "valid until %s", until);
	else
		vc_add_check(r, "valid_until", VC_SKIP, "the credential does not expire");
}

/* what resolve_key found for one verification method */
typedef struct key_found
{
	mcc_key    *key;			/* NULL: no key, see key_reason */
	bool		owned;			/* the caller frees key */
	vc_status	key_status;
	char		key_reason[768];
	bool		bound;			/* bound to the issuer */
	char		bind_reason[768];
} key_found;

#define VC_BIND_HINT "register the issuer's keys with microcred.trust_key() or microcred.trust_controller_document(), or pass its controller document in controller_documents"

/* does the reference ref (absolute, or "#fragment" of the document docid) name vm? */
static bool
same_vm(const char *docid, const mcj_value *ref, const char *vm)
{
	size_t		l;

	if (ref == NULL || ref->type != MCJ_STRING || strlen(ref->u.str.s) != ref->u.str.len)
		return false;
	if (ref->u.str.s[0] == '#')
	{
		l = strlen(docid);
		return strncmp(vm, docid, l) == 0 && strcmp(vm + l, ref->u.str.s) == 0;
	}
	return strcmp(ref->u.str.s, vm) == 0;
}

/* the verification method object of list (an array or one value) that is vm */
static const mcj_value *
find_vm_object(const mcj_value *list, const char *docid, const char *vm)
{
	size_t		n;

	if (list == NULL)
		return NULL;
	n = list->type == MCJ_ARRAY ? list->u.arr.n : 1;
	for (size_t i = 0; i < n; i++)
	{
		const mcj_value *e = list->type == MCJ_ARRAY ? list->u.arr.items[i] : list;

		if (e->type == MCJ_OBJECT && same_vm(docid, mcj_object_get(e, "id"), vm))
			return e;
	}
	return NULL;
}

/* is vm listed (by reference or embedded) in list? */
static bool
listed_in(const mcj_value *list, const char *docid, const char *vm)
{
	size_t		n;

	if (list == NULL)
		return false;
	n = list->type == MCJ_ARRAY ? list->u.arr.n : 1;
	for (size_t i = 0; i < n; i++)
	{
		const mcj_value *e = list->type == MCJ_ARRAY ? list->u.arr.items[i] : list;

		if (same_vm(docid, e, vm) ||
			(e->type == MCJ_OBJECT && same_vm(docid, mcj_object_get(e, "id"), vm)))
			return true;
	}
	return false;
}

/* a verification method whose key material does not parse: settled, as a key failure */
static bool
key_unusable(key_found *out, const char *vm, const mcj_error *err)
{
	out->key_status = VC_FAIL;
	snprintf(out->key_reason, sizeof(out->key_reason), "verification method %.100s: %s", vm, err->message);
	return true;
}

/*
 * A key from the controller documents the caller passed: the document whose
 * id is the issuer must list vm under assertionMethod.  Returns true when it
 * settled the key (found and bound, or a broken entry); false when no
 * document lists it, with a note in out->bind_reason.
 */
static bool
controller_key(const vc_verifier *v, const char *issuer, const char *vm, key_found *out)
{
	bool		have_doc = false;
	mcj_error	err;

	for (size_t d = 0; d < v->ncontrollers; d++)
	{
		const mcj_value *doc = v->controllers[d];
		const char *docid = str_member(doc, "id");
		const mcj_value *obj;
		const char *controller;
		const mcj_value *jwk;
		const char *mb;

		if (doc == NULL || doc->type != MCJ_OBJECT || docid == NULL || strcmp(docid, issuer) != 0)
			continue;
		have_doc = true;
		if (!listed_in(mcj_object_get(doc, "assertionMethod"), docid, vm))
			continue;
		obj = find_vm_object(mcj_object_get(doc, "assertionMethod"), docid, vm);
		if (obj == NULL)
			obj = find_vm_object(mcj_object_get(doc, "verificationMethod"), docid, vm);
		if (obj == NULL && strncmp(vm, "did:key:", 8) == 0)
		{
			out->key = mcc_key_from_did_key(vm, strlen(vm), &err);
			if (out->key == NULL)
				return key_unusable(out, vm, &err);
		}
		else if (obj == NULL)
		{
			out->key_status = VC_FAIL;
			snprintf(out->key_reason, sizeof(out->key_reason),
					 "the controller document of %.100s lists %.100s under assertionMethod but gives no key for it",
					 issuer, vm);
			return true;
		}
		else
		{
			controller = str_member(obj, "controller");
			if (controller != NULL && strcmp(controller, issuer) != 0)
			{
				out->key_status = VC_FAIL;
				snprintf(out->key_reason, sizeof(out->key_reason),
						 "verification method %.100s is controlled by %.60s, not by the issuer", vm, controller);
				return true;
			}
			mb = str_member(obj, "publicKeyMultibase");
			jwk = mcj_object_get(obj, "publicKeyJwk");
			if (mb != NULL)
				out->key = mcc_key_from_multikey(mb, strlen(mb), &err);
			else if (jwk != NULL && jwk->type == MCJ_OBJECT)
				out->key = mcc_key_from_jwk(jwk, &err);
			else
			{
				out->key_status = VC_FAIL;
				snprintf(out->key_reason, sizeof(out->key_reason),
						 "verification method %.100s in the controller document has neither publicKeyMultibase nor publicKeyJwk", vm);
				return true;
			}
			if (out->key == NULL)
				return key_unusable(out, vm, &err);
		}
		out->owned = true;
		out->key_status = VC_PASS;
		snprintf(out->key_reason, sizeof(out->key_reason), "%.120s is in the controller document given for %.100s", vm, issuer);
		out->bound = true;
		snprintf(out->bind_reason, sizeof(out->bind_reason),
				 "the controller document of issuer %.100s lists the key under assertionMethod", issuer);
		return true;
	}
	snprintf(out->bind_reason, sizeof(out->bind_reason), "%s",
			 have_doc ? "the issuer's controller document given does not list it under assertionMethod" : "");
	return false;
}

/*
 * The key of a verification method and whether it is bound to the issuer:
 * a key registered for the issuer (ours, or trusted by an admin), a key of
 * the issuer's controller document given by the caller, or the issuer's
 * own did:key.  Any other key (an unrelated did:key, a Multikey fragment
 * <issuer url>#z6Mk... nobody vouched for, a JOSE header jwk) is derived
 * only so the signature can still be checked; it is not bound.
 */
static void
resolve_key(mcj_arena *arena, const vc_verifier *v, const char *issuer,
			const char *vm, const mcj_value *jwk, key_found *out)
{
	vc_key_lookup lk;
	mcj_error	err;
	const char *hash;
	char		note[768];

	memset(out, 0, sizeof(*out));
	memset(&lk, 0, sizeof(lk));
	out->key_status = VC_FAIL;
	if (vm != NULL && v->lookup != NULL)
	{
		if (!v->lookup(v->lookup_ctx, arena, issuer, vm, &lk, &err))
		{
			snprintf(out->key_reason, sizeof(out->key_reason), "%s", err.message);
			return;
		}
		if (lk.retired)
		{
			snprintf(out->key_reason, sizeof(out->key_reason), "verification method %.120s was retired by its issuer", vm);
			return;
		}
		if (lk.key != NULL)
		{
			out->key = lk.key;
			out->owned = false; /* the lookup's key belongs to the caller */
			out->key_status = VC_PASS;
			snprintf(out->key_reason, sizeof(out->key_reason), "%.120s is %s", vm, lk.source ? lk.source : "a registered key");
			out->bound = true;
			snprintf(out->bind_reason, sizeof(out->bind_reason), "the key is registered for issuer %.120s", issuer);
			return;
		}
	}
	if (vm != NULL && controller_key(v, issuer, vm, out))
		return;
	snprintf(note, sizeof(note), "%.200s", out->bind_reason);
	out->owned = true;			/* keys derived here are freed by the caller */
	if (vm != NULL && strncmp(vm, "did:key:", 8) == 0)
	{
		size_t		didlen;

		hash = strchr(vm, '#');
		didlen = hash ? (size_t) (hash - vm) : strlen(vm);
		out->key = mcc_key_from_did_key(vm, strlen(vm), &err);
		if (out->key == NULL)
		{
			snprintf(out->key_reason, sizeof(out->key_reason), "verification method %.120s: %s", vm, err.message);
			return;
		}
		out->key_status = VC_PASS;
		snprintf(out->key_reason, sizeof(out->key_reason), "taken from the did:key %.*s", (int) (didlen > 100 ? 100 : didlen), vm);
		if (strlen(issuer) == didlen && strncmp(issuer, vm, didlen) == 0)
		{
			out->bound = true;
			snprintf(out->bind_reason, sizeof(out->bind_reason), "the issuer is the did:key itself");
		}
		else
			snprintf(out->bind_reason, sizeof(out->bind_reason),
					 "the did:key is not the issuer %.100s, and no registered key or controller document of that issuer lists it%s; " VC_BIND_HINT,
					 issuer, note[0] ? " (the controller document given does not)" : "");
		return;
	}
	if (vm != NULL && (hash = strchr(vm, '#')) != NULL && hash[1] == 'z')
	{
		out->key = mcc_key_from_multikey(hash + 1, strlen(hash + 1), &err);
		if (out->key == NULL)
		{
			snprintf(out->key_reason, sizeof(out->key_reason), "verification method %.120s: %s", vm, err.message);
			return;
		}
		out->key_status = VC_PASS;
		snprintf(out->key_reason, sizeof(out->key_reason), "taken from the Multikey fragment of %.120s", vm);
		snprintf(out->bind_reason, sizeof(out->bind_reason),
				 "a key in a URL fragment proves nothing: nobody vouched that it is a key of %.100s%s%s; " VC_BIND_HINT,
				 issuer, note[0] ? " (" : "", note[0] ? "the controller document given does not list it)" : "");
		return;
	}
	if (vm == NULL && jwk != NULL)
	{
		out->key = mcc_key_from_jwk(jwk, &err);
		if (out->key == NULL)
		{
			snprintf(out->key_reason, sizeof(out->key_reason), "the JOSE header jwk: %s", err.message);
			return;
		}
		out->key_status = VC_PASS;
		snprintf(out->key_reason, sizeof(out->key_reason), "taken from the JOSE header jwk");
		snprintf(out->bind_reason, sizeof(out->bind_reason),
				 "a key carried in the token proves nothing about issuer %.100s; " VC_BIND_HINT, issuer);
		return;
	}
	if (vm == NULL)
		snprintf(out->key_reason, sizeof(out->key_reason), "no verification method (kid) names the key");
	else if (note[0])
		snprintf(out->key_reason, sizeof(out->key_reason), "verification method %.100s: %.200s", vm, note);
	else
		snprintf(out->key_reason, sizeof(out->key_reason),
				 "verification method %.120s cannot be resolved without network access; " VC_BIND_HINT, vm);
}

/* result defaults */
static void
result_init(vc_result *r)
{
	memset(r, 0, sizeof(*r));
	r->valid = true;
}

/*
 * Data Integrity lets a holder append contexts after the ones the proof
 * covers (the proof's @context); they are not signed, so say so.
 */
static void
check_appended_contexts(vc_result *r, const mcj_value *cred, const mcj_value *proof)
{
	const mcj_value *dctx = mcj_object_get(cred, "@context");
	const mcj_value *pctx = mcj_object_get(proof, "@context");
	size_t		nd = (dctx && dctx->type == MCJ_ARRAY) ? dctx->u.arr.n : 1;
	size_t		np = (pctx && pctx->type == MCJ_ARRAY) ? pctx->u.arr.n : 1;

	if (dctx != NULL && pctx != NULL && nd > np)
	{
		const mcj_value *extra = dctx->u.arr.items[np];

		vc_add_check(r, "context", VC_WARN,
					 "the credential appends %zu context(s) the proof does not cover%s%.120s",
					 nd - np, extra->type == MCJ_STRING ? ", first " : "",
					 extra->type == MCJ_STRING ? extra->u.str.s : "");
	}
}

/* the outcome of one proof of a proof set */
typedef struct proof_outcome
{
	bool		shape_ok;
	char		proof_reason[300];
	key_found	kf;
	bool		sig_checked;
	bool		sig_ok;
	char		sig_reason[300];
	const char *suite;
} proof_outcome;

/* check the shape, dates, key and signature of proof i */
static void
check_one_proof(mcj_arena *arena, const vc_verifier *v, const mcj_value *cred,
				const char *issuer, size_t i, proof_outcome *o)
{
	di_proof_info info;
	mcj_error	err;
	time_t		t;

	memset(o, 0, sizeof(*o));
	if (!di_proof_check(di_proof_at(cred, i), &info, &err))
	{
		o->suite = info.cryptosuite;
		snprintf(o->proof_reason, sizeof(o->proof_reason), "%s", err.message);
		return;
	}
	o->suite = info.cryptosuite;
	if (info.created != NULL && !xsd_datetime_parse(info.created, &t))
	{
		snprintf(o->proof_reason, sizeof(o->proof_reason), "proof created \"%.60s\" is not a date-time", info.created);
		return;
	}
	if (info.created != NULL && t > v->now + v->leeway_seconds)
	{
		snprintf(o->proof_reason, sizeof(o->proof_reason), "the proof was created in the future (%.60s)", info.created);
		return;
	}
	if (info.expires != NULL && !xsd_datetime_parse(info.expires, &t))
	{
		snprintf(o->proof_reason, sizeof(o->proof_reason), "proof expires \"%.60s\" is not a date-time", info.expires);
		return;
	}
	if (info.expires != NULL && t <= v->now)
	{
		snprintf(o->proof_reason, sizeof(o->proof_reason), "the proof expired at %.60s", info.expires);
		return;
	}
	o->shape_ok = true;
	snprintf(o->proof_reason, sizeof(o->proof_reason), "%s with %s",
			 info.suite == DI_SUITE_ED25519_2020 ? "Ed25519Signature2020" : "DataIntegrityProof",
			 info.suite == DI_SUITE_ED25519_2020 ? "RDFC-1.0" : info.cryptosuite);
	resolve_key(arena, v, issuer, info.verification_method, NULL, &o->kf);
	if (o->kf.key == NULL)
		return;
	o->sig_checked = true;
	o->sig_ok = di_verify_proof(arena, &v->canon, cred, info.proof, o->kf.key, &err);
	if (o->sig_ok)
		snprintf(o->sig_reason, sizeof(o->sig_reason), "the %s signature verifies", info.cryptosuite);
	else
		snprintf(o->sig_reason, sizeof(o->sig_reason), "%s", err.message);
	if (o->kf.owned)
		mcc_key_free(o->kf.key);
	o->kf.key = NULL;
}

/* verify a credential secured with a Data Integrity proof (or a proof set or chain) */
void
vc_verify_di(mcj_arena *arena, const vc_verifier *v, const mcj_value *cred, vc_result *r)
{
	proof_outcome out[VC_MAX_PROOFS];
	size_t		n;
	bool		any_bound = false;
	char		prefix[160];

	result_init(r);
	r->format = "data-integrity";
	r->credential = cred;
	if (!check_structure(r, cred))
		return;
	n = di_proof_count(cred);
	if (n == 0)
	{
		vc_add_check(r, "proof", VC_FAIL, "credential has no proof");
		return;
	}
	if (n > VC_MAX_PROOFS)
	{
		vc_add_check(r, "proof", VC_FAIL, "the proof set has %zu proofs; at most %d are verified", n, VC_MAX_PROOFS);
		return;
	}
	for (size_t i = 0; i < n; i++)
	{
		check_one_proof(arena, v, cred, r->issuer, i, &out[i]);
		if (i == 0)
			r->cryptosuite = out[0].suite;
		if (out[i].shape_ok && out[i].kf.bound && out[i].sig_ok)
			any_bound = true;
	}
	r->trusted = any_bound;
	for (size_t i = 0; i < n; i++)
	{
		proof_outcome *o = &out[i];
		const char *pid = NULL;

		if (n > 1)
		{
			const mcj_value *p = di_proof_at(cred, i);

			pid = p->type == MCJ_OBJECT ? str_member(p, "id") : NULL;
			snprintf(prefix, sizeof(prefix), "proof %zu of %zu%s%.80s%s: ", i + 1, n,
					 pid ? " (" : "", pid ? pid : "", pid ? ")" : "");
		}
		else
			prefix[0] = '\0';
		if (!o->shape_ok)
		{
			vc_add_check(r, "proof", VC_FAIL, "%s%s", prefix, o->proof_reason);
			continue;
		}
		vc_add_check(r, "proof", VC_PASS, "%s%s", prefix, o->proof_reason);
		if (i == 0)
			check_appended_contexts(r, cred, di_proof_at(cred, 0));
		vc_add_check(r, "key", o->kf.key_status, "%s%s", prefix, o->kf.key_reason);
		if (o->kf.key_status == VC_PASS)
		{
			if (o->kf.bound)
				vc_add_check(r, "issuer_key", VC_PASS, "%s%s", prefix, o->kf.bind_reason);
			else if (any_bound)
				vc_add_check(r, "issuer_key", VC_WARN, "%san additional signer, not the issuer: %s", prefix, o->kf.bind_reason);
			else
				vc_add_check(r, "issuer_key", VC_FAIL, "%s%s", prefix, o->kf.bind_reason);
		}
		if (o->sig_checked)
			vc_add_check(r, "signature", o->sig_ok ? VC_PASS : VC_FAIL, "%s%s", prefix, o->sig_reason);
		else
			vc_add_check(r, "signature", VC_SKIP, "%sno key to check the signature with", prefix);
	}
	check_dates(r, v, cred, NULL, NULL);
}

/* verify a compact JWT credential */
void
vc_verify_jwt(mcj_arena *arena, const vc_verifier *v, const char *token, size_t len, vc_result *r)
{
	jws_parts	parts;
	mcj_error	err;
	const mcj_value *cred;
	const mcj_value *payload;
	const mcj_value *nbf;
	const mcj_value *exp;
	const char *iss;
	const char *vm;
	char	   *kid_abs = NULL;
	key_found	kf;
	mcc_alg		allowed[2];

	result_init(r);
	if (!jws_parse(arena, token, len, true, &parts, &err))
	{
		r->format = "jwt";
		vc_add_check(r, "jwt", VC_FAIL, "%s", err.message);
		return;
	}
	r->cryptosuite = mcc_alg_name(parts.alg);
	if (parts.typ == NULL || strcmp(parts.typ, "JWT") == 0)
		r->format = "ob-jwt";
	else if (strcmp(parts.typ, "vc+jwt") == 0 || strcmp(parts.typ, "vc+ld+jwt") == 0)
		r->format = "vc-jwt";
	else
	{
		r->format = "jwt";
		vc_add_check(r, "jwt", VC_FAIL, "JOSE header typ \"%.40s\" is neither JWT (Open Badges 3.0) nor vc+jwt (VC-JOSE)", parts.typ);
		return;
	}
	payload = parts.payload_json;
	cred = payload;
	/* VC 1.1-era JWTs wrap the credential in a "vc" claim */
	if (mcj_object_get(payload, "@context") == NULL && mcj_object_get(payload, "vc") != NULL)
		cred = mcj_object_get(payload, "vc");
	r->credential = cred;
	if (!check_structure(r, cred))
		return;

	/* strings compared as C strings must not hide anything after a U+0000 */
	{
		static const char *const claims[] = {"iss", "jti", "sub", NULL};

		for (int i = 0; claims[i] != NULL; i++)
		{
			const mcj_value *c = mcj_object_get(payload, claims[i]);

			if (c && c->type == MCJ_STRING && strlen(c->u.str.s) != c->u.str.len)
			{
				vc_add_check(r, "jwt", VC_FAIL, "the %s claim contains U+0000", claims[i]);
				return;
			}
		}
		for (int i = 0; i < 2; i++)
		{
			const mcj_value *h = mcj_object_get(parts.header, i == 0 ? "kid" : "typ");

			if (h && h->type == MCJ_STRING && strlen(h->u.str.s) != h->u.str.len)
			{
				vc_add_check(r, "jwt", VC_FAIL, "the JOSE header %s contains U+0000", i == 0 ? "kid" : "typ");
				return;
			}
		}
	}
	iss = str_member(payload, "iss");
	nbf = mcj_object_get(payload, "nbf");
	exp = mcj_object_get(payload, "exp");
	if (strcmp(r->format, "ob-jwt") == 0)
	{
		const char *jti = str_member(payload, "jti");
		const char *sub = str_member(payload, "sub");
		const mcj_value *cs = mcj_object_get(cred, "credentialSubject");
		const char *sid = str_member(cs, "id");

		if (iss == NULL || strcmp(iss, r->issuer) != 0)
		{
			vc_add_check(r, "jwt", VC_FAIL, "the iss claim must equal the issuer id %.120s", r->issuer);
			return;
		}
		if ((nbf != NULL && nbf->type != MCJ_NUMBER) || (exp != NULL && exp->type != MCJ_NUMBER))
		{
			vc_add_check(r, "jwt", VC_FAIL, "nbf and exp must be NumericDate numbers");
			return;
		}
		if (jti != NULL && r->credential_id != NULL && strcmp(jti, r->credential_id) != 0)
		{
			vc_add_check(r, "jwt", VC_FAIL, "the jti claim does not match the credential id");
			return;
		}
		if (sub != NULL && sid != NULL && strcmp(sub, sid) != 0)
		{
			vc_add_check(r, "jwt", VC_FAIL, "the sub claim does not match credentialSubject.id");
			return;
		}
	}
	else if (iss != NULL && strcmp(iss, r->issuer) != 0)
	{
		vc_add_check(r, "jwt", VC_FAIL, "the iss claim must equal the issuer id %.120s", r->issuer);
		return;
	}
	vm = parts.kid;
	if (vm != NULL && strlen(vm) != mcj_object_get(parts.header, "kid")->u.str.len)
	{
		/* the key lookup would see only the part before U+0000 */
		vc_add_check(r, "jwt", VC_FAIL, "the JOSE header kid contains U+0000");
		return;
	}
	vc_add_check(r, "jwt", VC_PASS, "%s with alg %s", r->format, r->cryptosuite);

	if (vm != NULL && vm[0] == '#')
	{
		kid_abs = mcj_alloc(arena, strlen(r->issuer) + strlen(vm) + 1);
		strcpy(kid_abs, r->issuer);
		strcat(kid_abs, vm);
		vm = kid_abs;
	}
	resolve_key(arena, v, r->issuer, vm, mcj_object_get(parts.header, "jwk"), &kf);
	vc_add_check(r, "key", kf.key_status, "%s", kf.key_reason);
	if (kf.key == NULL)
	{
		vc_add_check(r, "signature", VC_SKIP, "no key to check the signature with");
		check_dates(r, v, cred, nbf, exp);
		return;
	}
	vc_add_check(r, "issuer_key", kf.bound ? VC_PASS : VC_FAIL, "%s", kf.bind_reason);
	allowed[0] = mcc_key_default_alg(kf.key);
	if (jws_verify_parts(&parts, kf.key, allowed, 1, &err))
		vc_add_check(r, "signature", VC_PASS, "the %s signature verifies", r->cryptosuite);
	else
		vc_add_check(r, "signature", VC_FAIL, "%s", err.message);
	r->trusted = kf.bound && r->valid;
	if (kf.owned)
		mcc_key_free(kf.key);
	check_dates(r, v, cred, nbf, exp);
}

/* a JWT envelope for an unsecured credential */
char *
vc_sign_jwt(mcj_arena *arena, const mcj_value *cred, bool ob_form, mcc_key *key,
			mcc_alg alg, const char *kid, mcj_error *err)
{
	mcj_value  *header;
	mcj_value  *payload;
	mcj_buf		buf;
	time_t		t;
	const char *s;
	const mcj_value *issuer;

	header = mcj_object(arena);
	mcj_object_set(arena, header, "alg", mcj_cstring(arena, mcc_alg_name(alg)));
	mcj_object_set(arena, header, "typ", mcj_cstring(arena, ob_form ? "JWT" : "vc+jwt"));
	if (!ob_form)
		mcj_object_set(arena, header, "cty", mcj_cstring(arena, "vc"));
	if (kid != NULL)
		mcj_object_set(arena, header, "kid", mcj_cstring(arena, kid));

	payload = mcj_copy(arena, cred);
	mcj_object_remove(payload, "proof");
	if (ob_form)
	{
		issuer = mcj_object_get(cred, "issuer");
		s = (issuer && issuer->type == MCJ_OBJECT) ? str_member(issuer, "id") :
			(issuer && issuer->type == MCJ_STRING) ? issuer->u.str.s : NULL;
		if (s != NULL)
			mcj_object_set(arena, payload, "iss", mcj_cstring(arena, s));
		if ((s = str_member(cred, "id")) != NULL)
			mcj_object_set(arena, payload, "jti", mcj_cstring(arena, s));
		if ((s = str_member(cred, "validFrom")) != NULL && xsd_datetime_parse(s, &t))
			mcj_object_set(arena, payload, "nbf", mcj_number(arena, (double) t));
		if ((s = str_member(mcj_object_get(cred, "credentialSubject"), "id")) != NULL)
			mcj_object_set(arena, payload, "sub", mcj_cstring(arena, s));
		if ((s = str_member(cred, "validUntil")) != NULL && xsd_datetime_parse(s, &t))
			mcj_object_set(arena, payload, "exp", mcj_number(arena, (double) t));
	}
	mcj_buf_init(&buf, arena, 4096);
	mcj_write(&buf, payload);
	return jws_sign(arena, key, header, (const unsigned char *) buf.data, buf.len, err);
}
