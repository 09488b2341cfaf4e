/*-------------------------------------------------------------------------
 *
 * lti_registry.h
 *	  The platform registrations the bridge has seen, cached per process
 *	  by (platform issuer, client id), so that a launch is validated
 *	  without asking the database first.
 *
 * The cache never decides alone: microcred.lti_launch() re-checks, in the
 * same call that spends the state, that the state was made for this
 * registration and that every value the validation used (issuer, client
 * id, JWKS URL, the token's alg, its deployment) is still the
 * registration's; when not, it answers with the current registration,
 * which replaces the entry at once.  A registration changed or removed is
 * therefore refused (or used in its new form) from the first launch after
 * the change; entries also expire LTI_REGISTRY_TTL_S after they were read.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_LTI_REGISTRY_H
#define MC_LTI_REGISTRY_H

#include "lti_internal.h"

#define LTI_REGISTRY_TTL_S 300
#define LTI_REGISTRY_MAX 256

/* a copy of the entry for (issuer, client_id) into *out (login_row_free it): 1, or 0 when none */
extern int	lti_registry_get(const char *issuer, const char *client_id, login_row *out);

/* remember r (its registration fields; problem and target_link_uri are not kept) */
extern void lti_registry_put(const login_row *r);

/* forget the entry for (issuer, client_id) */
extern void lti_registry_drop(const char *issuer, const char *client_id);

/* forget everything (shutdown, tests) */
extern void lti_registry_clear(void);

/* the registration fields of a login_row, copied (0, or -1 when out of memory) */
extern int	login_row_copy(const login_row *from, login_row *to);

/* free a login_row's fields and zero it */
extern void login_row_free(login_row *l);

#endif							/* MC_LTI_REGISTRY_H */
