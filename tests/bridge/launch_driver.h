/*-------------------------------------------------------------------------
 *
 * launch_driver.h
 *	  What the files of launch_driver share (tests/t/bridge_launch.sh):
 *
 *	  launch_driver.c      setup (SQL and the mock platform) and main
 *	  ld_support.c         strings, HTTP, SQL, login and launch helpers,
 *	                       id_token claims and signing, refusals seen
 *	  ld_cases.c           the table of id_token cases and its runner
 *	  ld_launch.c          login, state, views, JWKS rotation, the database down
 *	  ld_wallet.c          the wallet offer on request; registrations changed
 *	                       or removed while the bridge caches them
 *	  ld_deep_link.c       deep linking and client assertions
 *	  ld_register.c        Dynamic Registration and /metrics
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_LAUNCH_DRIVER_H
#define MC_LAUNCH_DRIVER_H

#include <stddef.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "mock_platform.h"

#define LTI "https://purl.imsglobal.org/spec/lti/claim/"
#define LTI_DL "https://purl.imsglobal.org/spec/lti-dl/claim/"
#define LIS "http://purl.imsglobal.org/vocab/lis/v2/"
#define ROLE_LEARNER LIS "membership#Learner"
#define ROLE_INSTRUCTOR LIS "membership#Instructor"
#define ROLE_STUDENT LIS "institution/person#Student"
#define ROLE_FACULTY LIS "institution/person#Faculty"

#define PUBLIC_BASE "https://tool.example"
#define LAUNCH_URL PUBLIC_BASE "/lti/launch"
#define CLIENT_ID "mc-client-1"
#define DEPLOYMENT "dep-1"
#define COURSE "course-101"		/* mapped to GDPR-NURSE by SQL */
#define DL_COURSE "course-202"	/* mapped by deep linking */
#define AOIFE "user-aoife"		/* holds a GDPR-NURSE credential */
#define BRIAN "user-brian"		/* holds none */
#define CIARA "user-ciara"		/* known by email only */
#define REG_CLIENT_ID "mc-client-reg"
#define REG_DEPLOYMENT "dep-reg-1"
#define REG_TOKEN "reg-token-7f3a"


/* an X-LTI-Error code the bridge answered, and how often */
typedef struct caused_code
{
	char	   *code;
	int			n;
} caused_code;

typedef struct http_resp
{
	long		status;
	char	   *body;
	size_t		len;
	char	   *head;
	size_t		head_len;
} http_resp;

typedef struct grow
{
	char	  **data;
	size_t	   *len;
} grow;

typedef struct http_call
{
	CURL	   *curl;
	struct curl_slist *h;
	grow		gb;
	grow		gh;
} http_call;

typedef struct login
{
	long		status;
	char	   *location;
	char	   *set_cookie;
	char	   *state;
	char	   *nonce;
} login;

typedef struct launch
{
	long		status;
	char	   *code;			/* X-LTI-Error */
	char	   *view;			/* data-view of <main> */
	char	   *set_cookie;
	char	   *content_type;
	char	   *body;
} launch;

enum hdr
{
	H_STD,						/* {"alg":"RS256","typ":"JWT","kid":<current>} */
	H_NO_KID,
	H_WRONG_KID,
	H_CRIT,
	H_NOT_JSON,
	H_ALG_NONE,
	H_HS256,					/* HMAC keyed with the RSA modulus: the alg confusion attack */
	H_EC_KID,					/* RS256 naming the P-256 key */
	H_ES256,					/* ES256 by the P-256 key: not pinned by the registration */
};

enum tweak
{
	T_NONE,
	T_TWO_PARTS,
	T_NOT_JWT,
	T_FOUR_PARTS,
	T_FLIP_SIG,
	T_OTHER_KEY,				/* the other RSA key signs under the current kid */
	T_TOO_LARGE,
	T_PAYLOAD_ARRAY,
};

typedef struct tcase
{
	const char *name;
	int			dl;				/* an LtiDeepLinkingRequest */
	int			instructor;
	const char *del;			/* claim removed */
	const char *set;			/* claim set to val (JSON; "NOW+N" / "NOW-N" for times) */
	const char *val;
	enum hdr	hdr;
	enum tweak	tweak;
	long		status;			/* 200: success */
	const char *want;			/* X-LTI-Error, or the data-view on success */
} tcase;

extern const char *bridge;		/* http://127.0.0.1:PORT */
extern const char *dead_bridge; /* a bridge without its database, or NULL */
extern mock_platform *mock;
extern PGconn *db;
extern char platform_id[64];
extern char cred_url[512];		/* Aoife's credential's public URL */
extern int	cur_key;			/* the mock's signing key */
extern caused_code caused[96];
extern int	n_caused;
extern int	login_quiet;		/* a refused login is expected */
extern int	pages_echoing_token;	/* refusal pages holding the token's signature */
extern int	refusals_not_html;

extern char *fmt(const char *f,...) __attribute__((format(printf, 1, 2)));

extern void cause(const char *code);
extern int streq(const char *a, const char *b);
extern const char * nz(const char *s);
extern char * enc(const char *s);
extern char * unescape_html(char *s);
extern char * attr_after(const char *html, const char *marker, const char **next);
extern char * attr(const char *html, const char *marker);
extern char * hidden_input(const char *html, const char *name);
extern char * query_param(const char *url, const char *name);
extern size_t on_data(char *p, size_t size, size_t nmemb, void *ud);
extern void resp_free(http_resp *r);
extern int http_prepare(http_call *k, const char *url, const char *body, const char *content_type,
			 const char *cookie, const char *authorization, http_resp *r);
extern void http_finish(http_call *k, CURLcode cc, const char *url, http_resp *r);
extern long http_req(const char *url, const char *body, const char *content_type, const char *cookie,
		 const char *authorization, http_resp *r);
extern char * header(const http_resp *r, const char *name);
extern char * at_bridge(const char *path);
extern char * to_bridge(const char *url);
extern char * sql(const char *query,...);
extern int sql_is(const char *want, const char *query,...);
extern void login_free(login *l);
extern int login_with(const char *iss, const char *client, const char *hint, const char *target,
		   const char *message_hint, login *l);
extern int login_std(login *l);
extern void launch_free(launch *x);
extern void post_launch_raw(const char *base, const char *body, const char *cookie, launch *x);
extern void post_launch_to(const char *base, const char *id_token, const char *state, const char *cookie_state,
			   launch *x);
extern void post_launch(const char *id_token, const char *state, const char *cookie_state, launch *x);
extern int expect_refusal(const launch *x, long status, const char *code, const char *name);
extern int expect_view(const launch *x, const char *view, const char *name);
extern json_t * rl_claims(const char *nonce, const char *sub, int instructor, const char *context);
extern json_t * dl_claims(const char *nonce, const char *sub, int instructor, const char *context, const char *data);
extern char * sign_std(json_t *claims);
extern char * sign_raw(const char *header_json, const char *payload, const char *alg, int key);

extern json_t * case_value(const char *val);
extern char * case_token(const tcase *c, const login *l);
extern void run_case(const tcase *c);

extern void test_login_and_full_launch(void);
extern void test_mock_auth_checks(void);
extern void test_login_target(void);
extern void test_canvas_config(void);
extern void test_state(void);
extern void test_concurrent_state(void);
extern void test_views(void);
extern void test_rotation(void);
extern void test_wallet_on_request(void);
extern void test_registration_changes(void);
extern void test_unavailable(void);

extern void post_deep_link(const char *dl, const char *type, launch *x);
extern char * deep_linking_request(const char *data, launch *x);
extern void test_deep_linking(void);
extern long post_token(const char *grant, const char *assertion, char **body);
extern void test_client_assertion(void);

extern void get_register(const char *invite, const char *oc_url, const char *token, launch *x);
extern char * new_invite(void);
extern void test_registration(void);
extern void test_metrics(void);

extern int setup(void);

/* every case of the table (ld_cases.c) */
extern void run_cases(void);

#endif							/* MC_LAUNCH_DRIVER_H */
