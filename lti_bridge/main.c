/*-------------------------------------------------------------------------
 *
 * main.c
 *	  microcred-bridge: the LTI 1.3 tool daemon of microcred.
 *
 * Reads the configuration, starts the HTTP server and then only waits for
 * signals.  The signal handlers set flags; this loop acts on them:
 *
 *	 SIGHUP			 reload the configuration (a bad file keeps the old one)
 *	 SIGTERM/SIGINT	 stop accepting, let in-flight requests finish (at most
 *					 drain_timeout_s), exit 0
 *	 second one		 exit at once with status 1
 *
 * The three signals are blocked in every thread; the main thread unblocks
 * them only inside ppoll(), so no flag change is missed.
 *
 *-------------------------------------------------------------------------
 */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "jwks.h"
#include "guard.h"
#include "lti.h"
#include "log.h"
#include "mailer.h"
#include "poller.h"
#include "status_watch.h"
#include "metrics.h"
#include "public.h"

#ifndef MICROCRED_VERSION
#define MICROCRED_VERSION "unknown"
#endif

static volatile sig_atomic_t got_term;
static volatile sig_atomic_t got_hup;

/* SIGTERM and SIGINT: count them */
static void
on_term(int sig)
{
	(void) sig;
	if (got_term < 2)
		got_term++;
}

/* SIGHUP: ask for a reload */
static void
on_hup(int sig)
{
	(void) sig;
	got_hup = 1;
}

/* --help */
static void
usage(FILE *out)
{
	fprintf(out,
			"microcred-bridge %s: the LTI 1.3 tool daemon of microcred\n"
			"\n"
			"Usage: microcred-bridge [-c FILE] [--check-config]\n"
			"\n"
			"Options:\n"
			"  -c, --config FILE   read the configuration from FILE (without it: every default)\n"
			"      --check-config  read and check the configuration, print it (secrets hidden)\n"
			"                      and exit: 0 when valid, 1 otherwise\n"
			"  -h, --help          show this help and exit\n"
			"  -V, --version       show the version and exit\n"
			"\n"
			"Configuration file: one \"key = value\" per line, '#' starts a comment, a value\n"
			"may be double-quoted; sizes take B, kB or MB.  Unknown keys are errors.\n"
			"\"restart\" keys keep their old value on SIGHUP (with a warning).\n"
			"\n"
			"Keys:\n", MICROCRED_VERSION);
	config_print_keys(out);
	fprintf(out,
			"\n"
			"Signals:\n"
			"  SIGHUP          reload the configuration; a bad file keeps the current one\n"
			"  SIGTERM, SIGINT stop accepting, finish in-flight requests, exit 0;\n"
			"                  a second one exits at once with status 1\n"
			"\n"
			"Routes: GET /healthz (database check), GET /metrics (Prometheus text format),\n"
			"        GET /credentials/{id} (the signed document; its vc-jwt with\n"
			"        Accept: application/vc+jwt), GET /issuers/{handle} (OB 3.0 Profile\n"
			"        with the keys), GET /achievements/{id} (an Achievement),\n"
			"        GET /status/{list} (status list credential); ETag, If-None-Match;\n"
			"        GET|POST /lti/login (LTI 1.3 login initiation; needs public_base_url),\n"
			"        POST /lti/launch (id_token: every LTI/OIDC check; the learner's credential\n"
			"        or \"not yet\", the instructor's mapping; deep linking choice page),\n"
			"        POST /lti/deep-link (the choice: signed LtiDeepLinkingResponse),\n"
			"        GET /lti/jwks (the tool's public keys), GET /lti/register?invite=...\n"
			"        (LTI Dynamic Registration), GET /lti/canvas.json (Canvas developer key);\n"
			"        failures name their reason in X-LTI-Error\n"
			"        POST /xapi/statements (xAPI 1.0.x, HTTP Basic per source),\n"
			"        POST /canvas/live-events (Canvas Live Events JWT, RS256),\n"
			"        POST /moodle/events (JSON, X-Microcred-Source, X-Microcred-Signature:\n"
			"        sha256=<HMAC of the body>): completion events stored once and issued;\n"
			"        200 only after commit, 503 when the database is away (retry);\n"
			"        refusals name their reason in X-Event-Error\n"
			"Reconciliation: every poll_interval_s a thread asks the LMS APIs of the polls\n"
			"        set with microcred.event_poll_set (Canvas bulk_user_progress, Moodle\n"
			"        completion status) for completions that never arrived as events\n"
			"Docs: docs/BRIDGE.md (routes, metrics, checks), docs/DEPLOY.md (systemd, nginx,\n"
			"      Moodle and Canvas registration, completion event senders)\n"
			"Logs: one line per event on stderr, ts=... level=... msg=... key=value\n");
}

/* install the handlers and block the signals in this and future threads */
static void
setup_signals(sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t	block;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, waitmask);
	sigdelset(waitmask, SIGTERM);
	sigdelset(waitmask, SIGINT);
	sigdelset(waitmask, SIGHUP);
}

/* SIGHUP */
static void
reload(void)
{
	char		err[512];
	bridge_config *cfg;

	if (config_reload(err, sizeof(err)) != 0)
	{
		log_kv(LOG_LVL_ERROR, "configuration reload failed, keeping the current one",
			   "error", err, NULL);
		return;
	}
	cfg = config_acquire();
	lti_configure(cfg);
	public_configure(cfg);
	guard_configure(cfg);
	log_kv(LOG_LVL_INFO, "configuration reloaded",
		   "log_level", log_level_name((log_level) cfg->log_level), NULL);
	config_release(cfg);
}

/* start the HTTP server and the background threads; 0 on success */
static int
start_services(const bridge_config *cfg, const char *path)
{
	char		err[512];
	char		port[16];
	char		threads[16];

	metrics_init();
	/* one connection more than the HTTP threads: the reconciliation poller's */
	if (jwks_global_init() != 0 || db_pool_init(cfg->threads + 1) != 0 || lti_init(cfg) != 0)
	{
		log_kv(LOG_LVL_ERROR, "initialisation failed", NULL);
		return 1;
	}
	public_configure(cfg);
	if (http_start(cfg, bridge_routes, bridge_n_routes, err, sizeof(err)) != 0)
	{
		log_kv(LOG_LVL_ERROR, "cannot start the HTTP server", "error", err, NULL);
		return 1;
	}
	if (poller_start() != 0)
	{
		log_kv(LOG_LVL_ERROR, "cannot start the reconciliation poller", NULL);
		return 1;
	}
	if (mailer_start() != 0)
	{
		log_kv(LOG_LVL_ERROR, "cannot start the e-mail sender", NULL);
		return 1;
	}
	if (status_watch_start() != 0)
	{
		log_kv(LOG_LVL_ERROR, "cannot start the status list watcher", NULL);
		return 1;
	}
	snprintf(port, sizeof(port), "%d", cfg->listen_port);
	snprintf(threads, sizeof(threads), "%d", cfg->threads);
	log_kv(LOG_LVL_INFO, "started", "version", MICROCRED_VERSION,
		   "address", cfg->listen_address, "port", port, "threads", threads,
		   "config", path ? path : "(defaults)", NULL);
	return 0;
}

/*
 * wait for signals: reload on SIGHUP; on the first stop signal drain the
 * in-flight requests (up to drain_timeout_s), on a second exit at once
 */
static void
serve_until_stopped(const sigset_t *waitmask)
{
	long long	drain_deadline = 0;
	int			draining = 0;
	bridge_config *cfg;

	for (;;)
	{
		struct timespec tick = {0, draining ? 50 * 1000000L : 0};

		if (!draining)
			tick.tv_sec = 1;
		ppoll(NULL, 0, &tick, waitmask);

		if (got_term >= 2)
		{
			log_kv(LOG_LVL_WARNING, "second stop signal, exiting at once", NULL);
			_exit(1);
		}
		if (got_hup)
		{
			got_hup = 0;
			if (!draining)
				reload();
		}
		if (got_term == 1 && !draining)
		{
			char		n[24];

			cfg = config_acquire();
			drain_deadline = mono_ms() + (long long) cfg->drain_timeout_s * 1000;
			config_release(cfg);
			http_quiesce();
			draining = 1;
			snprintf(n, sizeof(n), "%ld", http_inflight());
			log_kv(LOG_LVL_INFO, "stopping: draining in-flight requests", "in_flight", n, NULL);
		}
		if (draining && (http_inflight() <= 0 || mono_ms() >= drain_deadline))
		{
			if (http_inflight() > 0)
				log_kv(LOG_LVL_WARNING, "drain timeout, closing remaining requests", NULL);
			break;
		}
	}
}

/* stop the HTTP server and the background threads, release their resources */
static void
stop_services(void)
{
	http_stop();
	status_watch_stop();
	public_shutdown();
	poller_stop();
	mailer_stop();
	db_pool_shutdown();
	lti_shutdown();
	jwks_global_cleanup();
	log_kv(LOG_LVL_INFO, "stopped", NULL);
}

/* parse the options, load the configuration, serve until stopped */
int
main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	const char *path = NULL;
	int			check_only = 0;
	int			opt;
	char		err[512];
	bridge_config *cfg;
	sigset_t	waitmask;

	while ((opt = getopt_long(argc, argv, "c:hV", long_opts, NULL)) != -1)
	{
		switch (opt)
		{
			case 'c':
				path = optarg;
				break;
			case 'k':
				check_only = 1;
				break;
			case 'h':
				usage(stdout);
				return 0;
			case 'V':
				printf("microcred-bridge %s\n", MICROCRED_VERSION);
				return 0;
			default:
				fprintf(stderr, "Try \"microcred-bridge --help\".\n");
				return 2;
		}
	}
	if (optind < argc)
	{
		fprintf(stderr, "microcred-bridge: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}

	cfg = path ? config_load(path, err, sizeof(err)) : config_defaults();
	if (cfg == NULL)
	{
		if (check_only)
			fprintf(stderr, "microcred-bridge: %s\n", path ? err : "out of memory");
		else
			log_kv(LOG_LVL_ERROR, "invalid configuration", "error", path ? err : "out of memory", NULL);
		return 1;
	}
	if (check_only)
	{
		config_print(stdout, cfg);
		printf("# configuration %s is valid\n", path ? path : "(defaults)");
		config_release(cfg);
		return 0;
	}

	config_install(cfg);
	cfg = config_acquire();
	setup_signals(&waitmask);
	if (start_services(cfg, path) != 0)
		return 1;
	config_release(cfg);

	serve_until_stopped(&waitmask);
	stop_services();
	config_install(NULL);
	return 0;
}
