/*-------------------------------------------------------------------------
 *
 * lti_internal.h
 *	  What the LTI route files (lti_*.c) share: claim names, the refusal
 *	  page, and reading the id_token's claims.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_LTI_INTERNAL_H
#define MC_LTI_INTERNAL_H

#include <jansson.h>
#include <libpq-fe.h>
#include <microhttpd.h>

#include "http_internal.h"
#include "idtoken.h"

#define LTI_CLAIM "https://purl.imsglobal.org/spec/lti/claim/"
#define LTI_DL_CLAIM "https://purl.imsglobal.org/spec/lti-dl/claim/"

/* the registration a launch's login state named (lti_launch.c) */
typedef struct login_row
{
	char	   *problem;		/* NULL: fine */
	char	   *platform_id;
	char	   *platform_issuer;
	char	   *client_id;
	char	   *jwks_url;
	char	   *target_link_uri;
	json_t	   *algorithms;		/* array of strings */
	json_t	   *deployment_ids; /* array of strings */
} login_row;

/* a code as a fixed label for logs and metrics ("other" when unknown) */
extern const char *lti_failure_label(const char *code);

/* a refused request: code in X-LTI-Error, the log and the metrics; a page saying message */
extern unsigned int lti_refuse(struct MHD_Connection *conn, http_request *req, unsigned int status,
							   const char *code, const char *message);

/* the database failed: 503 db_unavailable */
extern unsigned int lti_db_down(struct MHD_Connection *conn, http_request *req, const char *reason);

/* one row of a statement, or NULL once the 503 db_unavailable page is queued (*rc) */
extern PGresult *lti_query_row(struct MHD_Connection *conn, http_request *req, const char *sql,
							   int nparams, const char *const *values, unsigned int *rc);

/* is any role an instructor-like one? */
extern int	lti_is_instructor(json_t *roles);

/* a string member of an object claim, or NULL */
extern const char *lti_claim_member(json_t *payload, const char *claim, const char *member);

/* the LMS's own numeric id of the course or user (custom claim), or NULL */
extern const char *lti_lms_id(json_t *payload, const char *key);

/* the tool's LTI messages, as Dynamic Registration and Canvas want them (lti_config.c) */
extern json_t *lti_tool_messages(const char *base);

/* an instructor's deep linking request, after the launch checks (lti_deep_link.c) */
extern unsigned int lti_launch_deep_linking(struct MHD_Connection *conn, http_request *req,
											const login_row *l, idt_claims *c);

/* the page of a resource link launch from lti_launch()'s view (lti_launch_page.c) */
extern unsigned int lti_launch_page(struct MHD_Connection *conn, http_request *req, json_t *view,
									int instructor, const char *state, const char *wallet_key);

#endif							/* MC_LTI_INTERNAL_H */
