/*-------------------------------------------------------------------------
 *
 * status_watch.c
 *	  Keeps the bridge's cache of signed status lists honest.  A status
 *	  list changes whenever a credential is revoked, suspended or
 *	  reinstated; microcred._set_status_many() sends NOTIFY microcred_status
 *	  with the list's id, delivered when its transaction commits.  This
 *	  thread holds one connection that LISTENs on that channel and tells
 *	  public.c to drop the list (public_status_changed).  While it is not
 *	  listening (no database, connection lost, cache off) public.c serves
 *	  status lists from the database only (public_status_watch(0)): a cached
 *	  list is never older than the last committed bit change that the
 *	  watcher could have missed.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "config.h"
#include "log.h"
#include "public.h"
#include "status_watch.h"

static pthread_t watch_thread;
static atomic_int stop_requested;
static int	running;

/* sleep up to ms, in short steps that notice a stop */
static void
nap(int ms)
{
	while (ms > 0 && !atomic_load(&stop_requested))
	{
		struct timespec ts = {0, 100 * 1000 * 1000};

		nanosleep(&ts, NULL);
		ms -= 100;
	}
}

/* connect and LISTEN; NULL (after logging why) on failure */
static PGconn *
watch_connect(const char *conninfo)
{
	const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
	const char *vals[] = {"5", "microcred-bridge-status", conninfo, NULL};
	PGconn	   *conn = PQconnectdbParams(keys, vals, 1);
	PGresult   *res;

	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
	{
		char		why[256];

		snprintf(why, sizeof(why), "%s", conn ? PQerrorMessage(conn) : "out of memory");
		why[strcspn(why, "\n")] = '\0';
		log_kv(LOG_LVL_WARNING, "status list watcher cannot connect; status lists are not cached",
			   "error", why, NULL);
		if (conn)
			PQfinish(conn);
		return NULL;
	}
	res = PQexec(conn, "LISTEN microcred_status");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		log_kv(LOG_LVL_WARNING, "status list watcher cannot LISTEN; status lists are not cached",
			   "error", PQerrorMessage(conn), NULL);
		PQclear(res);
		PQfinish(conn);
		return NULL;
	}
	PQclear(res);
	return conn;
}

/* wait for notifications until the connection fails, the configuration changes or a stop */
static void
watch_listen(PGconn *conn, const char *conninfo)
{
	while (!atomic_load(&stop_requested))
	{
		struct pollfd pfd = {PQsocket(conn), POLLIN, 0};
		PGnotify   *note;
		int			rc = poll(&pfd, 1, 500);
		int			same;
		bridge_config *cfg;

		if (rc < 0 && errno != EINTR)
			return;
		if (rc > 0 && PQconsumeInput(conn) == 0)
		{
			log_kv(LOG_LVL_WARNING, "status list watcher lost its connection",
				   "error", PQerrorMessage(conn), NULL);
			return;
		}
		while ((note = PQnotifies(conn)) != NULL)
		{
			public_status_changed(note->extra);
			PQfreemem(note);
		}
		if (PQstatus(conn) != CONNECTION_OK)
			return;
		/* a reload that changes the database or turns the cache off ends this connection */
		cfg = config_acquire();
		same = strcmp(cfg->db_conninfo, conninfo) == 0 && cfg->public_cache_s > 0;
		config_release(cfg);
		if (!same)
			return;
	}
}

static void *
watch_main(void *arg)
{
	(void) arg;
	while (!atomic_load(&stop_requested))
	{
		bridge_config *cfg = config_acquire();
		char	   *conninfo = strdup(cfg->db_conninfo ? cfg->db_conninfo : "");
		int			wanted = conninfo != NULL && conninfo[0] != '\0' && cfg->public_cache_s > 0;
		PGconn	   *conn = NULL;

		config_release(cfg);
		if (!wanted || (conn = watch_connect(conninfo)) == NULL)
		{
			free(conninfo);
			nap(wanted ? 2000 : 1000);
			continue;
		}
		/* from now on every change is heard: cached lists may be kept */
		public_status_watch(1);
		watch_listen(conn, conninfo);
		public_status_watch(0);
		PQfinish(conn);
		free(conninfo);
	}
	return NULL;
}

int
status_watch_start(void)
{
	atomic_store(&stop_requested, 0);
	if (pthread_create(&watch_thread, NULL, watch_main, NULL) != 0)
		return -1;
	running = 1;
	return 0;
}

void
status_watch_stop(void)
{
	if (!running)
		return;
	atomic_store(&stop_requested, 1);
	pthread_join(watch_thread, NULL);
	running = 0;
	public_status_watch(0);
}
