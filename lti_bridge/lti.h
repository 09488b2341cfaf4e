/*-------------------------------------------------------------------------
 *
 * lti.h
 *	  The LTI routes' process-wide state: the platform JWKS cache.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_LTI_H
#define MC_LTI_H

#include "config.h"
#include "jwks.h"

/* after jwks_global_init, before the server starts */
extern int	lti_init(const bridge_config *cfg);

/* a reload: the jwks_* keys */
extern void lti_configure(const bridge_config *cfg);

/* the process-wide JWKS cache (platforms, Canvas Live Events) */
extern jwks_cache *lti_jwks_cache(void);

/* after the server stopped */
extern void lti_shutdown(void);

#endif							/* MC_LTI_H */
