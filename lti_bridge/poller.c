/*-------------------------------------------------------------------------
 *
 * poller.c
 *	  The reconciliation poller: asks LMS APIs for course completions that
 *	  never arrived as events (a plugin switched off, a subscription
 *	  paused, an outage longer than the sender's retries) and feeds them
 *	  into the same path as events.
 *
 * One thread.  Every poll_interval_s it asks the database which polls are
 * due (microcred.event_poll_due(): leased, so two bridges do not poll the
 * same source at once; the LMS token is opened there and lives here only
 * for the calls, then is wiped).  For each mapped course it reads:
 *
 *	 Canvas	GET {base}/api/v1/courses/{id}/bulk_user_progress?per_page=100
 *			(Authorization: Bearer; pages by Link rel="next", same origin)
 *			a user whose progress.completed_at is set has completed;
 *	 Moodle	core_enrol_get_enrolled_users, then per user
 *			core_completion_get_course_completion_status (REST, JSON).
 *
 * Each completion goes to microcred.ingest_poll(), which stores nothing
 * when the learner already holds the credential, and otherwise files and
 * issues it exactly like an event.  The outcome of each poll is written
 * back with event_poll_done() (an error names the step and the HTTP status
 * or Moodle error code, never the token), logged, and counted in
 * microcred_bridge_poll_total.  Every loop is bounded: courses by the
 * mapping, users by poll_max_users, Canvas pages by MAX_PAGES, each call by
 * poll_timeout_ms.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "fetch.h"
#include "poller.h"

#define MAX_PAGES		100				/* Canvas pages per course and poll */
#define MAX_BODY		(16L * 1024 * 1024)	/* largest API answer read */
#define MAX_POLLS		32				/* what event_poll_due hands out at once */

static pthread_t poll_thread;
static int	running;
static atomic_int stop_requested;
static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cond = PTHREAD_COND_INITIALIZER;

typedef struct poll_job
{
	char		source_id[40];
	char		api[8];
	char	   *base_url;
	char	   *token;
	json_t	   *courses;		/* array of course id strings */
} poll_job;

typedef struct poll_stats
{
	int			courses;
	int			users;
	int			completed;
	int			stored;			/* new events (issued, pending or failed) */
	int			skipped;		/* users the LMS would not answer for */
} poll_stats;

typedef fetch_answer http_answer;

static void
job_free(poll_job *j)
{
	free(j->base_url);
	if (j->token)
	{
		OPENSSL_cleanse(j->token, strlen(j->token));
		free(j->token);
	}
	json_decref(j->courses);
	memset(j, 0, sizeof(*j));
}

/*
 * One API call: GET url (body NULL) or POST body as a form.  0 with the
 * answer, -1 on a transport failure (message in err).
 */
static int
http_call(CURL *curl, const bridge_config *cfg, const char *url, const char *bearer,
		  const char *form, http_answer *a, char *err, size_t errlen)
{
	fetch_limits lim = {cfg->poll_timeout_ms, (size_t) MAX_BODY, 0};

	return fetch(curl, &lim, url, "application/json", bearer, NULL, form, a, err, errlen);
}

/* a JSON id (number or digit string) as text; 0 when it is neither */
static int
json_id(json_t *v, char *out, size_t outlen)
{
	if (json_is_integer(v) && json_integer_value(v) > 0)
	{
		snprintf(out, outlen, "%lld", (long long) json_integer_value(v));
		return 1;
	}
	if (json_is_string(v))
	{
		const char *s = json_string_value(v);
		size_t		n = strlen(s);

		if (n >= 1 && n <= 20 && strspn(s, "0123456789") == n)
		{
			snprintf(out, outlen, "%s", s);
			return 1;
		}
	}
	return 0;
}

/*
 * Hand one completion to the database.  0 stored or already there, 1 the
 * database refused it (counted, the poll goes on), -1 the database is gone
 * (the poll stops).
 */
static int
ingest(const bridge_config *cfg, const poll_job *j, const char *course, const char *user,
	   const char *email, const char *name, const char *completed_at, poll_stats *st)
{
	const char *values[6] = {j->source_id, course, user, email, name, completed_at};
	PGresult   *res = NULL;
	char		reason[64];
	char		sqlstate[6];
	int			q;

	q = db_query(cfg->db_conninfo, cfg->db_timeout_ms,
				 "SELECT state, duplicate FROM microcred.ingest_poll($1::uuid, $2, $3, $4, $5, $6::timestamptz)",
				 6, values, &res, sqlstate, reason, sizeof(reason));
	if (q == 1)
	{
		metrics_event("poll", "refused", 1);
		return 1;
	}
	if (q != 0 || PQntuples(res) != 1)
	{
		if (res)
			PQclear(res);
		return -1;
	}
	if (PQgetvalue(res, 0, 1)[0] == 't')
		metrics_event("poll", "duplicate", 1);
	else
	{
		metrics_event("poll", PQgetvalue(res, 0, 0), 1);
		st->stored++;
	}
	PQclear(res);
	return 0;
}

/* Canvas: bulk_user_progress of each course */
static int
poll_canvas(CURL *curl, const bridge_config *cfg, const poll_job *j, poll_stats *st,
			char *err, size_t errlen)
{
	size_t		ci;
	json_t	   *cv;

	json_array_foreach(j->courses, ci, cv)
	{
		const char *course = json_string_value(cv);
		char		url[2300];
		int			users = 0;

		if (atomic_load(&stop_requested))
			return 0;
		st->courses++;
		snprintf(url, sizeof(url), "%s/api/v1/courses/%s/bulk_user_progress?per_page=100", j->base_url, course);
		for (int page = 0; page < MAX_PAGES && url[0] != '\0' && !atomic_load(&stop_requested); page++)
		{
			http_answer a;
			json_t	   *doc;
			size_t		i;
			json_t	   *u;

			if (http_call(curl, cfg, url, j->token, NULL, &a, err, errlen) != 0)
				return -1;
			if (a.status == 401 || a.status == 403)
			{
				snprintf(err, errlen, "canvas api: HTTP %ld (token rejected or not allowed) for course %s", a.status, course);
				free(a.body);
				return -1;
			}
			if (a.status != 200)
			{
				snprintf(err, errlen, "canvas api: HTTP %ld for course %s", a.status, course);
				free(a.body);
				return -1;
			}
			doc = json_loadb(a.body ? a.body : "", a.len, 0, NULL);
			free(a.body);
			if (!json_is_array(doc))
			{
				json_decref(doc);
				snprintf(err, errlen, "canvas api: course %s: the answer is not a JSON array", course);
				return -1;
			}
			json_array_foreach(doc, i, u)
			{
				char		user[24];
				json_t	   *done = json_object_get(json_object_get(u, "progress"), "completed_at");

				if (users >= cfg->poll_max_users)
					break;
				users++;
				st->users++;
				if (!json_id(json_object_get(u, "id"), user, sizeof(user)))
					continue;
				if (!json_is_string(done) || json_string_length(done) == 0)
					continue;
				st->completed++;
				if (ingest(cfg, j, course, user, NULL, json_string_value(json_object_get(u, "display_name")),
						   json_string_value(done), st) < 0)
				{
					json_decref(doc);
					snprintf(err, errlen, "database unavailable");
					return -1;
				}
			}
			json_decref(doc);
			/* the next page, only on the same API origin */
			if (a.next[0] != '\0' && users < cfg->poll_max_users &&
				strncmp(a.next, j->base_url, strlen(j->base_url)) == 0 &&
				a.next[strlen(j->base_url)] == '/')
				snprintf(url, sizeof(url), "%s", a.next);
			else
				url[0] = '\0';
		}
	}
	return 0;
}

/* a Moodle REST call: the decoded JSON, or NULL with err ("moodle api: ...") */
static json_t *
moodle_call(CURL *curl, const bridge_config *cfg, const poll_job *j, const char *function,
			const char *args, char *err, size_t errlen)
{
	char		url[2200];
	char	   *tok = curl_easy_escape(curl, j->token, 0);
	size_t		flen;
	char	   *form;
	http_answer a;
	json_t	   *doc;
	int			rc;

	if (tok == NULL)
	{
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	flen = strlen(tok) + strlen(function) + strlen(args) + 96;
	form = malloc(flen);
	if (form == NULL)
	{
		OPENSSL_cleanse(tok, strlen(tok));
		curl_free(tok);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(form, flen, "wstoken=%s&wsfunction=%s&moodlewsrestformat=json&%s", tok, function, args);
	OPENSSL_cleanse(tok, strlen(tok));
	curl_free(tok);
	snprintf(url, sizeof(url), "%s/webservice/rest/server.php", j->base_url);
	rc = http_call(curl, cfg, url, NULL, form, &a, err, errlen);
	OPENSSL_cleanse(form, strlen(form));
	free(form);
	if (rc != 0)
		return NULL;
	if (a.status != 200)
	{
		snprintf(err, errlen, "moodle api: HTTP %ld in %s", a.status, function);
		free(a.body);
		return NULL;
	}
	doc = json_loadb(a.body ? a.body : "", a.len, 0, NULL);
	free(a.body);
	if (doc == NULL)
	{
		snprintf(err, errlen, "moodle api: %s answered something that is not JSON", function);
		return NULL;
	}
	if (json_is_object(doc) && json_object_get(doc, "exception") != NULL)
	{
		const char *code = json_string_value(json_object_get(doc, "errorcode"));
		char		safe[64];
		size_t		k = 0;

		/* the error code only (the message may echo request data) */
		for (const char *c = code ? code : "unknown"; *c && k + 1 < sizeof(safe); c++)
			if (isalnum((unsigned char) *c) || *c == '_')
				safe[k++] = *c;
		safe[k] = '\0';
		snprintf(err, errlen, "moodle api: %s: %s", function, safe);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* Moodle: enrolled users of each course, then each one's completion status */
static int
poll_moodle(CURL *curl, const bridge_config *cfg, const poll_job *j, poll_stats *st,
			char *err, size_t errlen)
{
	size_t		ci;
	json_t	   *cv;

	json_array_foreach(j->courses, ci, cv)
	{
		const char *course = json_string_value(cv);
		char		args[96];
		json_t	   *users;
		size_t		i;
		json_t	   *u;
		int			n = 0;

		if (atomic_load(&stop_requested))
			return 0;
		st->courses++;
		snprintf(args, sizeof(args), "courseid=%s", course);
		users = moodle_call(curl, cfg, j, "core_enrol_get_enrolled_users", args, err, errlen);
		if (users == NULL)
			return -1;
		if (!json_is_array(users))
		{
			json_decref(users);
			snprintf(err, errlen, "moodle api: core_enrol_get_enrolled_users: not a list of users");
			return -1;
		}
		json_array_foreach(users, i, u)
		{
			char		user[24];
			char		uerr[200];
			json_t	   *status;
			json_t	   *done;

			if (n >= cfg->poll_max_users || atomic_load(&stop_requested))
				break;
			n++;
			st->users++;
			if (!json_id(json_object_get(u, "id"), user, sizeof(user)))
				continue;
			snprintf(args, sizeof(args), "courseid=%s&userid=%s", course, user);
			status = moodle_call(curl, cfg, j, "core_completion_get_course_completion_status", args,
								 uerr, sizeof(uerr));
			if (status == NULL)
			{
				/*
				 * a Moodle exception about this user (not enrolled any more,
				 * no permission) skips the user; anything else (a token that
				 * stopped working, an HTTP error, the network) is the poll's
				 * error, and the next poll tries again
				 */
				static const char user_error[] = "moodle api: core_completion_get_course_completion_status: ";

				if (strncmp(uerr, user_error, sizeof(user_error) - 1) != 0 || strstr(uerr, "invalidtoken") != NULL)
				{
					json_decref(users);
					snprintf(err, errlen, "%s", uerr);
					return -1;
				}
				st->skipped++;
				continue;
			}
			done = json_object_get(json_object_get(status, "completionstatus"), "completed");
			if (json_is_true(done))
			{
				st->completed++;
				if (ingest(cfg, j, course, user, json_string_value(json_object_get(u, "email")),
						   json_string_value(json_object_get(u, "fullname")), NULL, st) < 0)
				{
					json_decref(status);
					json_decref(users);
					snprintf(err, errlen, "database unavailable");
					return -1;
				}
			}
			json_decref(status);
		}
		json_decref(users);
	}
	return 0;
}

/* ask the database for due polls; -1 when it cannot be asked */
static int
fetch_due(const bridge_config *cfg, poll_job *jobs, int *n)
{
	PGresult   *res = NULL;
	char		reason[64];
	char		sqlstate[6];
	int			q;

	*n = 0;
	q = db_query(cfg->db_conninfo, cfg->db_timeout_ms,
				 "SELECT source_id, api, api_base_url, token, array_to_json(course_keys)::text "
				 "FROM microcred.event_poll_due()", 0, NULL, &res, sqlstate, reason, sizeof(reason));
	if (q != 0)
	{
		if (q == 1)
			log_kv(LOG_LVL_WARNING, "poll: event_poll_due failed", "sqlstate", sqlstate, NULL);
		return -1;
	}
	for (int r = 0; r < PQntuples(res) && *n < MAX_POLLS; r++)
	{
		poll_job   *j = &jobs[*n];
		char	   *tok = PQgetvalue(res, r, 3);

		memset(j, 0, sizeof(*j));
		snprintf(j->source_id, sizeof(j->source_id), "%s", PQgetvalue(res, r, 0));
		snprintf(j->api, sizeof(j->api), "%s", PQgetvalue(res, r, 1));
		j->base_url = strdup(PQgetvalue(res, r, 2));
		j->token = strdup(tok);
		/* libpq's copy of the token goes too */
		OPENSSL_cleanse(tok, strlen(tok));
		j->courses = json_loads(PQgetvalue(res, r, 4), 0, NULL);
		if (j->base_url == NULL || j->token == NULL || !json_is_array(j->courses))
		{
			job_free(j);
			continue;
		}
		(*n)++;
	}
	PQclear(res);
	return 0;
}

static void
report(const bridge_config *cfg, const poll_job *j, const poll_stats *st, const char *error)
{
	const char *values[2] = {j->source_id, error};
	PGresult   *res = NULL;
	char		reason[64];
	char		c[16],
				u[16],
				d[16],
				s[16];

	if (db_query(cfg->db_conninfo, cfg->db_timeout_ms, "SELECT microcred.event_poll_done($1::uuid, $2)",
				 2, values, &res, NULL, reason, sizeof(reason)) == 0)
		PQclear(res);
	metrics_poll(j->api, error ? "error" : "ok");
	snprintf(c, sizeof(c), "%d", st->courses);
	snprintf(u, sizeof(u), "%d", st->users);
	snprintf(d, sizeof(d), "%d", st->completed);
	snprintf(s, sizeof(s), "%d", st->stored);
	log_kv(error ? LOG_LVL_WARNING : LOG_LVL_INFO, "poll", "api", j->api, "source_id", j->source_id,
		   "courses", c, "users", u, "completed", d, "new_events", s, "error", error, NULL);
}

/* one round: every due poll */
static void
poll_round(const bridge_config *cfg)
{
	poll_job	jobs[MAX_POLLS];
	int			n;
	CURL	   *curl;

	if (fetch_due(cfg, jobs, &n) != 0 || n == 0)
		return;
	curl = curl_easy_init();
	for (int i = 0; i < n; i++)
	{
		poll_stats	st = {0};
		char		err[300] = "";
		int			rc = -1;

		if (curl == NULL)
			snprintf(err, sizeof(err), "out of memory");
		else if (!atomic_load(&stop_requested))
			rc = strcmp(jobs[i].api, "canvas") == 0 ? poll_canvas(curl, cfg, &jobs[i], &st, err, sizeof(err))
				: poll_moodle(curl, cfg, &jobs[i], &st, err, sizeof(err));
		else
			snprintf(err, sizeof(err), "stopped");
		report(cfg, &jobs[i], &st, rc == 0 ? NULL : err);
		job_free(&jobs[i]);
	}
	if (curl)
		curl_easy_cleanup(curl);
}

static void *
poller_main(void *arg)
{
	(void) arg;
	while (!atomic_load(&stop_requested))
	{
		bridge_config *cfg = config_acquire();
		int			interval = cfg->poll_interval_s;
		struct timespec until;

		if (interval > 0 && cfg->db_conninfo[0] != '\0')
			poll_round(cfg);
		config_release(cfg);
		/* sleep until the next round (or 5 s to notice a reload that turns polling on) */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += interval > 0 ? interval : 5;
		pthread_mutex_lock(&wake_lock);
		while (!atomic_load(&stop_requested))
			if (pthread_cond_timedwait(&wake_cond, &wake_lock, &until) == ETIMEDOUT)
				break;
		pthread_mutex_unlock(&wake_lock);
	}
	return NULL;
}

int
poller_start(void)
{
	atomic_store(&stop_requested, 0);
	if (pthread_create(&poll_thread, NULL, poller_main, NULL) != 0)
		return -1;
	running = 1;
	return 0;
}

void
poller_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&wake_lock);
	atomic_store(&stop_requested, 1);
	pthread_cond_broadcast(&wake_cond);
	pthread_mutex_unlock(&wake_lock);
	pthread_join(poll_thread, NULL);
	running = 0;
}
