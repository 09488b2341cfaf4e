/*-------------------------------------------------------------------------
 *
 * mc_sql.h
 *	  Declarations shared by the SQL-callable layer of microcred (the files
 *	  that include postgres.h): arenas in memory contexts, jsonb <->
 *	  mcj_value, key custody, and limits.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_SQL_H
#define MC_SQL_H

#include "postgres.h"

#include "executor/spi.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "utils/uuid.h"

#include "di.h"
#include "mccrypto.h"
#include "mcjson.h"
#include "ob3.h"
#include "rdf.h"

/* limits on untrusted documents */
#define MC_JSON_MAX_DEPTH	128
#define MC_JSON_MAX_BYTES	(8 * 1024 * 1024)

/* json_sql.c */
extern mcj_arena *mc_arena(void);
extern mcj_arena *mc_arena_in(MemoryContext context);
extern mcj_value *mc_from_jsonb(mcj_arena *arena, Jsonb *jb, const char *what);
extern Jsonb *mc_to_jsonb(const mcj_value *v);
extern mcj_value *mc_parse_text(mcj_arena *arena, const char *text, size_t len, const char *what);
extern text *mc_jcs_text(mcj_arena *arena, const mcj_value *v, const char *what);

/* keys_sql.c */
extern mcc_key *mc_key_track(mcc_key *key);
extern mcc_key *mc_signing_key(const pg_uuid_t *key_id, const pg_uuid_t *issuer_id, const bytea *sealed);
extern mcc_key *mc_public_key_from_spki(const bytea *spki);
extern mcc_key *mc_public_key_from_text(mcj_arena *arena, const char *s, size_t len, mcj_error *err);

/* keycache_sql.c: a signing key by id, its sealed bytes read by one prepared plan */
extern mcc_key *mc_signing_key_by_id(const pg_uuid_t *key_id, const pg_uuid_t *issuer_id);

/* proof_sql.c */
extern mcj_value *mc_sign_document(mcj_arena *arena, mcj_value *unsecured, const char *suite,
								   mcc_key *key, const char *vm, TimestampTz created);

/* document_sql.c */
extern mcj_value *mc_credential_document_build(mcj_arena *arena, const ob3_credential *oc,
											   pg_uuid_t *type_id, Jsonb *achievement, Jsonb *profile);

/* issue_type_sql.c: what issuing reads about a credential type, per backend */
#define MC_ISSUE_REF_MAX 256
typedef struct IssueType
{
	pg_uuid_t	id;				/* hash key */
	pg_uuid_t	issuer;
	char	   *ref;			/* 'handle/CODE' */
	char	   *code;
	char	   *handle;
	bool		allow_repeats;
	bool		retired;
	bool		suspendable;
	void	   *validity;		/* Interval *, or NULL */
	char	   *proof_format;
	char	   *base_url;
	char	   *public_id;
	char	   *title;
	char	   *description;
	void	   *ects;			/* Numeric, or NULL */
	pg_uuid_t  *key_id;			/* the active Ed25519 key, or NULL */
	char	   *key_fragment;
	bytea	   *key_sealed;		/* sealed under the KEK, never plaintext */
	Jsonb	   *achievement;	/* document parts, or NULL when not made yet */
	Jsonb	   *profile;
	Oid		   *roles;			/* mapped to the issuer (issuer_role) */
	int			n_roles;
	bool		mail;			/* the issuer sends credential e-mails */
	bool		award;			/* an auto-award pathway has this type as a component */
} IssueType;
extern IssueType *mc_issue_type(const pg_uuid_t *id);
extern pg_uuid_t mc_issue_type_ref(const char *ref);

/* status_alloc_sql.c: a credential's status list entry */
extern mcj_value *mc_allocate_status(mcj_arena *arena, const pg_uuid_t *issuer, const char *base_url,
									 const pg_uuid_t *credential, const char *purpose);

/* audit_sql.c: the audit chain's hash and append */
extern void mc_audit_lock(const pg_uuid_t *issuer);
extern void mc_audit_append(const pg_uuid_t *issuer, const char *action, const pg_uuid_t *subject,
							const char *reason, Jsonb *details, const char *actor);

/* verify_status_sql.c: the status check of microcred.verify() on our own lists */
struct vc_result;
extern bool mc_status_own(struct vc_result *r);
extern Datum mc_with_status_sql(Datum verification, Oid verification_type, Datum status_lists,
								bool lists_null, Datum controllers, bool controllers_null);

/* ob3_sql.c */
extern void mc_ob3_require(const mcj_value *doc);

/* rdf_sql.c (canon_sql.c holds the SQL functions) */
extern di_rdfc_fn mc_rdfc_callback(void);
extern text *mc_rdfc_text(mcj_arena *arena, const mcj_value *v, const char *what);
extern bool mc_rdf_dataset(mcj_arena *arena, const mcj_value *doc, rdf_dataset *ds, mcj_error *err);

/* microcred.c */
extern Oid	mc_relid(const char *name);
extern SPIPlanPtr mc_keep_plan(const char *sql, int nargs, Oid *types);
extern int32 mc_hashtext(const char *s);
extern char *microcred_kek_file;
extern bool microcred_preloaded;

#endif							/* MC_SQL_H */
