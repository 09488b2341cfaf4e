/*-------------------------------------------------------------------------
 *
 * holder_proof_sql.c
 *	  microcred._holder_proof(jwt text) RETURNS jsonb: an OpenID4VCI key
 *	  proof checked by holder_proof.c, as {"holder_did", "alg", "aud",
 *	  "nonce", "iat", "iss"} or {"problem": "..."}.  A bad proof is a
 *	  result, not an error: the caller (microcred.oid4vci_credential)
 *	  answers invalid_proof and keeps what it spent.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "holder_proof.h"
#include "mc_sql.h"

PG_FUNCTION_INFO_V1(microcred_holder_proof);

Datum
microcred_holder_proof(PG_FUNCTION_ARGS)
{
	text	   *jwt = PG_GETARG_TEXT_PP(0);
	mcj_arena  *arena = mc_arena();
	mcj_value  *out = mcj_object(arena);
	hp_result	r;
	mcj_error	err = {{0}};

	if (hp_verify(arena, VARDATA_ANY(jwt), VARSIZE_ANY_EXHDR(jwt), &r, &err))
	{
		mcj_value  *aud = mcj_array(arena);

		for (int i = 0; i < r.n_aud; i++)
			mcj_array_append(arena, aud, mcj_cstring(arena, r.aud[i]));
		mcj_object_set(arena, out, "holder_did", mcj_cstring(arena, r.holder_did));
		mcj_object_set(arena, out, "alg", mcj_cstring(arena, r.alg));
		mcj_object_set(arena, out, "aud", aud);
		if (r.nonce != NULL)
			mcj_object_set(arena, out, "nonce", mcj_cstring(arena, r.nonce));
		if (r.iss != NULL)
			mcj_object_set(arena, out, "iss", mcj_cstring(arena, r.iss));
		mcj_object_set(arena, out, "iat", mcj_number(arena, r.iat));
	}
	else
		mcj_object_set(arena, out, "problem", mcj_cstring(arena, err.message));
	PG_RETURN_JSONB_P(mc_to_jsonb(out));
}
