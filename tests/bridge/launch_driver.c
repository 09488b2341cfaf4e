/*-------------------------------------------------------------------------
 *
 * launch_driver.c
 *	  Whole LTI 1.3 launches through a running bridge (TAP), with a mock
 *	  platform in this process (mock_platform.c).
 *
 *	  launch_driver DBNAME BRIDGE_URL [DEAD_BRIDGE_URL]
 *
 * DBNAME is a throwaway database holding tests/demo.sql, reached with the
 * PG* environment as a superuser; BRIDGE_URL a bridge on 127.0.0.1 serving
 * that database with public_base_url = https://tool.example,
 * jwks_min_refresh_s = 1 and max_body_bytes of at least 128kB;
 * DEAD_BRIDGE_URL, when given, a bridge whose database cannot be reached
 * (for db_unavailable).  tests/t/bridge_launch.sh starts both.
 *
 * Setup (SQL): the mock platform is registered for the awarding body
 * demo-uas, course-101 is mapped to GDPR-NURSE, and learners are linked
 * by their LMS user id: Aoife holds a GDPR-NURSE credential, Brian holds
 * none, Ciara is known by email only.  Then, each check of the launch
 * contract with its status and X-LTI-Error code: the form and the state
 * cookie, the login state in the database (unknown, used, expired), every
 * id_token check (the 1EdTech "known bad payloads" among them), nonce and
 * target_link_uri binding, the JWKS (rotation, unreachable), the views of
 * a good launch, deep linking end to end, client assertions at the mock's
 * token endpoint, Dynamic Registration, and at the end /metrics against
 * the failures caused.  Every request is bounded; only loopback URLs are
 * ever requested (public_base_url is mapped to BRIDGE_URL).
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "jose_helpers.h"
#include "launch_driver.h"
#include "mock_platform.h"
#include "../lib/tap.h"

const char *bridge;		/* http://127.0.0.1:PORT */
const char *dead_bridge; /* a bridge without its database, or NULL */
mock_platform *mock;
PGconn *db;
char platform_id[64];
char cred_url[512];		/* Aoife's credential's public URL */
int	cur_key;			/* the mock's signing key */


/* ---- sections ---------------------------------------------------------- */

int
setup(void)
{
	char	   *pid;
	char	   *auth = fmt("%s/auth", mock_base(mock));
	char	   *jwks = fmt("%s/jwks", mock_base(mock));
	char	   *token = fmt("%s/token", mock_base(mock));
	char	   *dead_iss = fmt("%s/dead", mock_base(mock));
	char	   *dead_jwks = fmt("%s/jwks-broken", mock_base(mock));
	char	   *v;
	int			ok = 1;

	pid = sql("SELECT microcred.lti_register_platform('demo-uas', 'Mock LMS', $1, '" CLIENT_ID "', $2, $3, $4,"
			  " deployment_ids => '{" DEPLOYMENT "}')", mock_base(mock), auth, jwks, token, NULL);
	if (pid == NULL)
		ok = 0;
	else
		snprintf(platform_id, sizeof(platform_id), "%s", pid);
	free(pid);
	/* the mock verifies its users' e-mails: Ciara (known by e-mail) is linked on launch */
	if (ok)
		free(sql("SELECT microcred.lti_trust_emails($1::uuid)::text", platform_id, NULL));
	/* a registration whose JWKS is down */
	v = sql("SELECT microcred.lti_register_platform('demo-uas', 'Broken LMS', $1, 'mc-client-dead', $2, $3,"
			" deployment_ids => '{" DEPLOYMENT "}')", dead_iss, auth, dead_jwks, NULL);
	ok &= v != NULL;
	free(v);
	v = sql("SELECT microcred.lti_map_course($1, '" COURSE "', 'GDPR-NURSE')::text", platform_id, NULL);
	free(v);
	/* Aoife (demo.sql: a GDPR-NURSE credential) by her LMS id */
	v = sql("WITH l AS (INSERT INTO microcred.learner_identifier (issuer_id, learner_id, kind, platform, value)"
			" SELECT issuer_id, id, 'lms', $1, '" AOIFE "' FROM microcred.learner"
			" WHERE email = 'aoife.murphy@student.demo-uas.example' RETURNING 1) SELECT count(*) FROM l",
			mock_base(mock), NULL);
	ok &= streq(v, "1");
	free(v);
	/* Brian: no credential */
	v = sql("SELECT microcred.add_learner('demo-uas', email => 'brian.kelly@student.demo-uas.example',"
			" given_name => 'Brian', lms_platform => $1, lms_user_id => '" BRIAN "')", mock_base(mock), NULL);
	ok &= v != NULL;
	free(v);
	/* Ciara: known by email only */
	v = sql("SELECT microcred.add_learner('demo-uas', email => 'ciara.byrne@student.demo-uas.example')", NULL);
	ok &= v != NULL;
	free(v);
	/* Dara: a second GDPR-NURSE credential, so that the instructor's count is not 1 by chance */
	v = sql("SELECT microcred.issue('demo-uas/GDPR-NURSE', microcred.add_learner('demo-uas',"
			" email => 'dara.walsh@student.demo-uas.example'))", NULL);
	ok &= v != NULL;
	free(v);
	v = sql("SELECT ic.document->>'id' FROM microcred.issued_credential ic"
			" JOIN microcred.learner l ON l.id = ic.learner_id"
			" WHERE l.email = 'aoife.murphy@student.demo-uas.example'", NULL);
	if (v)
		snprintf(cred_url, sizeof(cred_url), "%s", v);
	ok &= v != NULL;
	free(v);
	free(auth);
	free(jwks);
	free(token);
	free(dead_iss);
	free(dead_jwks);
	mock_add_redirect_uri(mock, LAUNCH_URL);
	{
		char	   *u = at_bridge("/lti/jwks");

		mock_set_tool_jwks_url(mock, u);
		free(u);
	}
	return ok ? 0 : -1;
}

int
main(int argc, char **argv)
{
	char	   *conninfo;

	if (argc < 3)
	{
		fprintf(stderr, "usage: %s DBNAME BRIDGE_URL [DEAD_BRIDGE_URL]\n", argv[0]);
		return 2;
	}
	alarm(300);
	bridge = argv[2];
	dead_bridge = argc > 3 && argv[3][0] ? argv[3] : NULL;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	conninfo = fmt("dbname=%s", argv[1]);
	db = PQconnectdb(conninfo);
	free(conninfo);
	if (PQstatus(db) != CONNECTION_OK)
	{
		printf("Bail out! cannot connect to %s: %s", argv[1], PQerrorMessage(db));
		return 1;
	}
	mock = mock_platform_start(CLIENT_ID);
	if (mock == NULL)
	{
		printf("Bail out! the mock platform did not start\n");
		return 1;
	}
	tap_diag("mock platform at %s, bridge at %s", mock_base(mock), bridge);
	if (setup() != 0)
	{
		printf("Bail out! setup failed\n");
		mock_platform_stop(mock);
		return 1;
	}
	test_login_and_full_launch();
	test_mock_auth_checks();
	test_state();
	test_concurrent_state();
	run_cases();
	tap_ok(refusals_not_html == 0, "every refused launch answers an HTML page (data-view=\"error\", data-reason)");
	tap_ok(pages_echoing_token == 0, "no refusal page echoes the id_token");
	test_login_target();
	test_canvas_config();
	test_views();
	test_wallet_on_request();
	test_registration_changes();
	test_rotation();
	test_unavailable();
	test_deep_linking();
	test_client_assertion();
	test_registration();
	test_metrics();
	mock_platform_stop(mock);
	PQfinish(db);
	curl_global_cleanup();
	return tap_done();
}

