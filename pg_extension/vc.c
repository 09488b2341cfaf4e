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
 *   issuer_key   whether that key is bound to the issuer (warn if not)
 *   signature    the cryptographic check
 *   valid_from   not before validFrom (issuanceDate, nbf)
 *   valid_until  not after validUntil (expirationDate, exp)
 * A failed check makes the credential invalid; a warning does not.
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

/*
 * The key of a verification method: a key the caller registered for the
 * issuer, else one derived without network from a did:key or from a
 * Multikey fragment (<issuer url>#z6Mk...).  Adds the key and issuer_key
 * checks.
 */
static mcc_key *
resolve_key(mcj_arena *arena, const vc_verifier *v, vc_result *r,
			const char *vm, const mcj_value *jwk, bool *owned)
{
	vc_key_lookup lk;
	mcj_error	err;
	mcc_key    *key = NULL;
	const char *hash;

	*owned = true;				/* keys derived here are freed by the caller */
	memset(&lk, 0, sizeof(lk));
	if (vm != NULL && v->lookup != NULL)
	{
		if (!v->lookup(v->lookup_ctx, arena, r->issuer, vm, &lk, &err))
		{
			vc_add_check(r, "key", VC_FAIL, "%s", err.message);
			return NULL;
		}
		if (lk.retired)
		{
			vc_add_check(r, "key", VC_FAIL, "verification method %.120s was retired by its issuer", vm);
			return NULL;
		}
		if (lk.key != NULL)
		{
			vc_add_check(r, "key", VC_PASS, "%.120s is %s", vm, lk.source ? lk.source : "a registered key");
			vc_add_check(r, "issuer_key", VC_PASS, "the key is registered for issuer %.120s", r->issuer);
			r->trusted = true;
			*owned = false;		/* the lookup's key belongs to the caller */
			return lk.key;
		}
	}
	if (vm != NULL && strncmp(vm, "did:key:", 8) == 0)
	{
		size_t		didlen;

		hash = strchr(vm, '#');
		didlen = hash ? (size_t) (hash - vm) : strlen(vm);
		key = mcc_key_from_did_key(vm, strlen(vm), &err);
		if (key == NULL)
		{
			vc_add_check(r, "key", VC_FAIL, "verification method %.120s: %s", vm, err.message);
			return NULL;
		}
		vc_add_check(r, "key", VC_PASS, "taken from the did:key %.*s", (int) (didlen > 100 ? 100 : didlen), vm);
		if (strlen(r->issuer) == didlen && strncmp(r->issuer, vm, didlen) == 0)
		{
			vc_add_check(r, "issuer_key", VC_PASS, "the issuer is the did:key itself");
			r->trusted = true;
		}
		else
			vc_add_check(r, "issuer_key", VC_WARN,
						 "nothing binds this did:key to issuer %.100s; register the issuer's key to trust it", r->issuer);
		return key;
	}
	if (vm != NULL && (hash = strchr(vm, '#')) != NULL && hash[1] == 'z')
	{
		key = mcc_key_from_multikey(hash + 1, strlen(hash + 1), &err);
		if (key == NULL)
		{
			vc_add_check(r, "key", VC_FAIL, "verification method %.120s: %s", vm, err.message);
			return NULL;
		}
		vc_add_check(r, "key", VC_PASS, "taken from the Multikey fragment of %.120s", vm);
		vc_add_check(r, "issuer_key", VC_WARN,
					 "the issuer's controller document was not fetched, so nothing binds this key to %.100s; register it to trust it",
					 r->issuer);
		return key;
	}
	if (vm == NULL && jwk != NULL)
	{
		key = mcc_key_from_jwk(jwk, &err);
		if (key == NULL)
		{
			vc_add_check(r, "key", VC_FAIL, "the JOSE header jwk: %s", err.message);
			return NULL;
		}
		vc_add_check(r, "key", VC_PASS, "taken from the JOSE header jwk");
		vc_add_check(r, "issuer_key", VC_WARN,
					 "a key carried in the token proves nothing about issuer %.100s; register it to trust it", r->issuer);
		return key;
	}
	if (vm == NULL)
		vc_add_check(r, "key", VC_FAIL, "no verification method (kid) names the key");
	else
		vc_add_check(r, "key", VC_FAIL,
					 "verification method %.120s cannot be resolved without network access; register the issuer's key with microcred.trust_key()",
					 vm);
	return NULL;
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

/* verify a credential secured with a Data Integrity proof */
void
vc_verify_di(mcj_arena *arena, const vc_verifier *v, const mcj_value *cred, vc_result *r)
{
	di_proof_info info;
	mcj_error	err;
	mcc_key    *key;
	time_t		created;
	bool		owned;

	result_init(r);
	r->format = "data-integrity";
	r->credential = cred;
	if (!check_structure(r, cred))
		return;
	if (!di_proof_parse(cred, &info, &err))
	{
		r->cryptosuite = info.cryptosuite;
		vc_add_check(r, "proof", VC_FAIL, "%s", err.message);
		return;
	}
	r->cryptosuite = info.cryptosuite;
	if (info.created != NULL && !xsd_datetime_parse(info.created, &created))
	{
		vc_add_check(r, "proof", VC_FAIL, "proof created \"%.60s\" is not a date-time", info.created);
		return;
	}
	if (info.created != NULL && created > v->now + v->leeway_seconds)
	{
		vc_add_check(r, "proof", VC_FAIL, "the proof was created in the future (%.60s)", info.created);
		return;
	}
	if (info.expires != NULL)
	{
		time_t		expires;

		if (!xsd_datetime_parse(info.expires, &expires))
		{
			vc_add_check(r, "proof", VC_FAIL, "proof expires \"%.60s\" is not a date-time", info.expires);
			return;
		}
		if (expires <= v->now)
		{
			vc_add_check(r, "proof", VC_FAIL, "the proof expired at %.60s", info.expires);
			return;
		}
	}
	vc_add_check(r, "proof", VC_PASS, "DataIntegrityProof with %s", info.cryptosuite);
	check_appended_contexts(r, cred, info.proof);

	key = resolve_key(arena, v, r, info.verification_method, NULL, &owned);
	if (key == NULL)
	{
		vc_add_check(r, "signature", VC_SKIP, "no key to check the signature with");
		check_dates(r, v, cred, NULL, NULL);
		return;
	}
	if (di_verify(arena, &v->canon, cred, key, &err))
		vc_add_check(r, "signature", VC_PASS, "the %s signature verifies", info.cryptosuite);
	else
		vc_add_check(r, "signature", VC_FAIL, "%s", err.message);
	if (owned)
		mcc_key_free(key);
	check_dates(r, v, cred, NULL, NULL);
}

/* the JWS algorithm that suits a key */
static mcc_alg
alg_for_key(const mcc_key *key)
{
	switch (mcc_key_type(key))
	{
		case MCC_KEY_ED25519:
			return MCC_ALG_EDDSA;
		case MCC_KEY_P256:
			return MCC_ALG_ES256;
		case MCC_KEY_RSA:
			return MCC_ALG_RS256;
		default:
			return MCC_ALG_NONE;
	}
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
	mcc_key    *key;
	bool		derived;
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
	key = resolve_key(arena, v, r, vm, mcj_object_get(parts.header, "jwk"), &derived);
	if (key == NULL)
	{
		vc_add_check(r, "signature", VC_SKIP, "no key to check the signature with");
		check_dates(r, v, cred, nbf, exp);
		return;
	}
	allowed[0] = alg_for_key(key);
	if (jws_verify_parts(&parts, key, allowed, 1, &err))
		vc_add_check(r, "signature", VC_PASS, "the %s signature verifies", r->cryptosuite);
	else
		vc_add_check(r, "signature", VC_FAIL, "%s", err.message);
	if (derived)
		mcc_key_free(key);
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
