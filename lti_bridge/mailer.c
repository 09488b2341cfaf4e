/*-------------------------------------------------------------------------
 *
 * mailer.c
 *	  Credential e-mails: the bridge's sender of the database's outbox
 *	  (pg_extension/scripts/94_mail.sql) over SMTP with libcurl.
 *
 * One thread with its own database connection, which LISTENs on
 * microcred_mail (the issuing transaction NOTIFYs at commit) and otherwise
 * looks every mail_poll_s seconds (due retries, a notification missed
 * while disconnected).  A round claims up to mail_batch rendered e-mails
 * with microcred.mail_claim() (FOR UPDATE SKIP LOCKED: several bridges
 * share the outbox, none sends a row another holds), sends each and
 * reports it:
 *
 *	 accepted (250 after DATA)		 mail_sent()
 *	 4xx, or a failure mid-dialogue	 mail_failed(.., 'temporary'): exponential
 *									 back-off from mail_retry_base_s, recorded
 *									 as failed after mail_max_attempts
 *	 5xx								 mail_failed(.., 'permanent'): recorded
 *	 no server (connect, TLS,		 mail_failed(.., 'unreachable'): no attempt
 *	 login refused)					 counted; the rest of the batch is released
 *									 the same way and the bridge waits, doubling
 *									 from mail_retry_base_s up to 15 minutes
 *
 * Nothing is lost: a claim is a lease (mail_lease_s of the SQL default), so
 * a bridge that dies while sending leaves its rows to be claimed again.  The
 * backlog (waiting e-mails, the oldest one's age, failures) is read each
 * round for /metrics.  Addresses and text live here only while one message
 * is sent; the log names the outbox id and the SMTP answer, never an
 * address.  Every loop is bounded: rounds per wake by MAX_ROUNDS, a send by
 * smtp_timeout_ms, a wait by mail_poll_s.
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

#include <curl/curl.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "config.h"
#include "log.h"
#include "mailer.h"
#include "metrics.h"
#include "strbuf.h"

#define MAX_ROUNDS		50			/* claims per wake-up */
#define MAX_DOWN_S		900			/* longest wait while the server is unreachable */

static pthread_t mail_thread;
static int	running;
static atomic_int stop_requested;

typedef enum
{
	SEND_OK,
	SEND_TEMPORARY,
	SEND_PERMANENT,
	SEND_UNREACHABLE
} send_result;

static const char *const result_kind[] = {"sent", "temporary", "permanent", "unreachable"};

/* one claimed e-mail (PGresult columns of mail_claim) */
typedef struct mail_msg
{
	const char *id;
	const char *from;
	const char *from_name;
	const char *reply_to;
	const char *rcpt;
	const char *subject;
	const char *text;
	const char *html;
	const char *message_id;
} mail_msg;

/* an address we put into SMTP commands and headers: printable, no specials */
static int
address_ok(const char *a)
{
	const char *at = strchr(a, '@');

	if (a[0] == '\0' || at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
		strlen(a) > 254)
		return 0;
	for (const unsigned char *p = (const unsigned char *) a; *p; p++)
		if (*p <= ' ' || *p >= 127 || strchr("<>()[]\\,;:\"", *p) != NULL)
			return 0;
	return 1;
}

/* base64 of len bytes, lines of 76 characters ending in CRLF */
static void
put_base64(sbuf *sb, const char *data, size_t len)
{
	unsigned char out[80];

	for (size_t off = 0; off < len; off += 57)
	{
		size_t		n = len - off < 57 ? len - off : 57;
		int			w = EVP_EncodeBlock(out, (const unsigned char *) data + off, (int) n);

		sb_add(sb, (const char *) out, (size_t) w);
		sb_add(sb, "\r\n", 2);
	}
}

/*
 * A header value as RFC 2047 encoded words when it is not plain ASCII
 * (each word at most 45 bytes of UTF-8, split between characters), else as
 * it is.  Values never hold CR or LF (the database refuses them).
 */
static void
put_header_text(sbuf *sb, const char *v)
{
	size_t		len = strlen(v);
	int			plain = 1;
	unsigned char out[80];

	for (size_t i = 0; i < len; i++)
		if ((unsigned char) v[i] >= 127 || v[i] < ' ')
			plain = 0;
	if (plain && len < 900)
	{
		sb_add(sb, v, len);
		return;
	}
	for (size_t off = 0; off < len;)
	{
		size_t		n = len - off < 45 ? len - off : 45;
		int			w;

		while (off + n < len && n > 1 && ((unsigned char) v[off + n] & 0xC0) == 0x80)
			n--;
		w = EVP_EncodeBlock(out, (const unsigned char *) v + off, (int) n);
		sb_printf(sb, "%s=?UTF-8?B?%.*s?=", off > 0 ? "\r\n " : "", w, (const char *) out);
		off += n;
	}
}

/* the whole message: headers, then text and HTML as multipart/alternative */
static int
build_message(const mail_msg *m, sbuf *sb)
{
	char		date[64];
	char		boundary[40];
	unsigned char rnd[12];
	time_t		now = time(NULL);
	struct tm	tm;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	snprintf(boundary, sizeof(boundary), "=_mc_");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(boundary + 5 + 2 * i, 3, "%02x", rnd[i]);
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	sb_printf(sb, "Date: %s\r\nFrom: ", date);
	if (m->from_name[0] != '\0')
	{
		put_header_text(sb, m->from_name);
		sb_add(sb, " ", 1);
	}
	sb_printf(sb, "<%s>\r\nTo: <%s>\r\n", m->from, m->rcpt);
	if (m->reply_to[0] != '\0')
		sb_printf(sb, "Reply-To: <%s>\r\n", m->reply_to);
	sb_printf(sb, "Message-ID: %s\r\nSubject: ", m->message_id);
	put_header_text(sb, m->subject);
	sb_printf(sb, "\r\nMIME-Version: 1.0\r\n"
			  "Auto-Submitted: auto-generated\r\n"
			  "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n"
			  "--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
			  boundary, boundary);
	put_base64(sb, m->text, strlen(m->text));
	sb_printf(sb, "--%s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
			  boundary);
	put_base64(sb, m->html, strlen(m->html));
	sb_printf(sb, "--%s--\r\n", boundary);
	return sb->oom ? -1 : 0;
}

typedef struct upload
{
	const char *data;
	size_t		len;
	size_t		off;
} upload;

static size_t
read_upload(char *buf, size_t size, size_t nitems, void *arg)
{
	upload	   *u = arg;
	size_t		n = size * nitems;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(buf, u->data + u->off, n);
	u->off += n;
	return n;
}

/* the first line of the password file, or "" (the caller cleanses and frees it) */
static char *
read_password(const char *path)
{
	FILE	   *f;
	char		line[512];
	char	   *pw;

	if (path[0] == '\0')
		return strdup("");
	if ((f = fopen(path, "r")) == NULL)
	{
		log_kv(LOG_LVL_WARNING, "mail: cannot read smtp_password_file", "error", strerror(errno), NULL);
		return strdup("");
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	pw = strdup(line);
	OPENSSL_cleanse(line, sizeof(line));
	return pw;
}

/* send one message; err gets the SMTP answer or curl's reason */
static send_result
send_one(CURL *curl, const bridge_config *cfg, const char *password, const mail_msg *m,
		 char *err, size_t errlen)
{
	sbuf		sb = {NULL, 0, 0, 0};
	struct curl_slist *rcpt = NULL;
	upload		u;
	CURLcode	rc;
	long		code = 0;
	char		from[300];
	char		to[300];
	char		cerr[CURL_ERROR_SIZE] = "";

	if (!address_ok(m->rcpt) || !address_ok(m->from) || (m->reply_to[0] && !address_ok(m->reply_to)))
	{
		snprintf(err, errlen, "an address cannot be used in SMTP");
		return SEND_PERMANENT;
	}
	if (build_message(m, &sb) != 0 || sb.data == NULL)
	{
		free(sb.data);
		snprintf(err, errlen, "out of memory");
		return SEND_TEMPORARY;
	}
	snprintf(from, sizeof(from), "<%s>", m->from);
	snprintf(to, sizeof(to), "<%s>", m->rcpt);
	rcpt = curl_slist_append(NULL, to);
	u.data = sb.data;
	u.len = sb.len;
	u.off = 0;
	curl_easy_setopt(curl, CURLOPT_URL, cfg->smtp_url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(curl, CURLOPT_USE_SSL, strcmp(cfg->smtp_starttls, "off") == 0 ? (long) CURLUSESSL_NONE
					 : strcmp(cfg->smtp_starttls, "try") == 0 ? (long) CURLUSESSL_TRY : (long) CURLUSESSL_ALL);
	if (cfg->smtp_user[0] != '\0')
	{
		curl_easy_setopt(curl, CURLOPT_USERNAME, cfg->smtp_user);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, password);
	}
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_upload);
	curl_easy_setopt(curl, CURLOPT_READDATA, &u);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t) u.len);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long) cfg->smtp_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long) (cfg->smtp_timeout_ms < 5000 ? cfg->smtp_timeout_ms : 5000));
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, cerr);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, NULL);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(rcpt);
	OPENSSL_cleanse(sb.data, sb.len);
	free(sb.data);
	if (rc == CURLE_OK)
		return SEND_OK;
	snprintf(err, errlen, "%s (SMTP %ld)%s%.200s", curl_easy_strerror(rc), code, cerr[0] ? ": " : "", cerr);
	switch (rc)
	{
		case CURLE_COULDNT_CONNECT:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_USE_SSL_FAILED:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_LOGIN_DENIED:
			return SEND_UNREACHABLE;
		default:
			break;
	}
	if (code == 0 && rc == CURLE_OPERATION_TIMEDOUT)
		return SEND_UNREACHABLE;	/* no answer at all: the server is not there */
	if (code == 530 || code == 535 || code == 421)
		return SEND_UNREACHABLE;	/* server-wide: authentication, shutting down */
	if (code >= 500 && code < 600)
		return SEND_PERMANENT;
	return SEND_TEMPORARY;
}

/* report one outcome to the database */
static void
report(PGconn *db, const bridge_config *cfg, const char *id, send_result r, const char *err, int down_s)
{
	PGresult   *res;
	char		base[16];
	char		maxa[16];
	const char *v[5];

	if (r == SEND_OK)
	{
		v[0] = id;
		res = PQexecParams(db, "SELECT microcred.mail_sent($1::bigint)", 1, NULL, v, NULL, NULL, 0);
	}
	else
	{
		snprintf(base, sizeof(base), "%d", r == SEND_UNREACHABLE ? down_s : cfg->mail_retry_base_s);
		snprintf(maxa, sizeof(maxa), "%d", cfg->mail_max_attempts);
		v[0] = id;
		v[1] = err;
		v[2] = result_kind[r];
		v[3] = base;
		v[4] = maxa;
		res = PQexecParams(db, "SELECT microcred.mail_failed($1::bigint, $2, $3, $4::integer, $5::integer)",
						   5, NULL, v, NULL, NULL, 0);
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		log_kv(LOG_LVL_WARNING, "mail: cannot record the outcome", "mail_id", id,
			   "sqlstate", PQresultErrorField(res, PG_DIAG_SQLSTATE), NULL);
	PQclear(res);
	metrics_mail(result_kind[r]);
	log_kv(r == SEND_OK ? LOG_LVL_INFO : LOG_LVL_WARNING, "mail", "mail_id", id,
		   "outcome", result_kind[r], "error", r == SEND_OK ? NULL : err, NULL);
}

/* the backlog for /metrics */
static void
read_backlog(PGconn *db)
{
	PGresult   *res = PQexec(db, "SELECT queued, oldest_s, failed FROM microcred.mail_backlog()");

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		metrics_mail_backlog(atol(PQgetvalue(res, 0, 0)), atof(PQgetvalue(res, 0, 1)),
							 atol(PQgetvalue(res, 0, 2)));
	PQclear(res);
}

/*
 * One claim and its sends: the number of e-mails claimed, or -1 when the
 * database failed.  *down_s is the wait after an unreachable server (0 when
 * it answered).
 */
static int
mail_round(PGconn *db, CURL *curl, const bridge_config *cfg, int *down_s)
{
	PGresult   *res;
	char		batch[16];
	const char *v[1] = {batch};
	char	   *password;
	int			n;
	int			unreachable = 0;

	snprintf(batch, sizeof(batch), "%d", cfg->mail_batch);
	res = PQexecParams(db, "SELECT id, mail_from, coalesce(from_name, ''), coalesce(reply_to, ''), rcpt, "
					   "subject, body_text, body_html, message_id FROM microcred.mail_claim($1::integer)",
					   1, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		log_kv(LOG_LVL_WARNING, "mail: mail_claim failed", "sqlstate", PQresultErrorField(res, PG_DIAG_SQLSTATE), NULL);
		PQclear(res);
		return -1;
	}
	n = PQntuples(res);
	password = n > 0 ? read_password(cfg->smtp_password_file) : NULL;
	for (int r = 0; r < n; r++)
	{
		mail_msg	m = {PQgetvalue(res, r, 0), PQgetvalue(res, r, 1), PQgetvalue(res, r, 2),
		PQgetvalue(res, r, 3), PQgetvalue(res, r, 4), PQgetvalue(res, r, 5), PQgetvalue(res, r, 6),
		PQgetvalue(res, r, 7), PQgetvalue(res, r, 8)};
		char		err[400] = "";
		send_result sr;

		if (unreachable || atomic_load(&stop_requested))
		{
			/* release the rest without trying: they cost no attempt */
			report(db, cfg, m.id, SEND_UNREACHABLE, unreachable ? "the SMTP server was unreachable" : "the bridge stopped",
				   *down_s > 0 ? *down_s : cfg->mail_retry_base_s);
			continue;
		}
		sr = send_one(curl, cfg, password ? password : "", &m, err, sizeof(err));
		if (sr == SEND_UNREACHABLE)
		{
			unreachable = 1;
			*down_s = *down_s > 0 ? (*down_s * 2 > MAX_DOWN_S ? MAX_DOWN_S : *down_s * 2) : cfg->mail_retry_base_s;
		}
		report(db, cfg, m.id, sr, err, *down_s > 0 ? *down_s : cfg->mail_retry_base_s);
	}
	if (n > 0 && !unreachable)
		*down_s = 0;
	if (password)
	{
		OPENSSL_cleanse(password, strlen(password));
		free(password);
	}
	/* libpq's copies of addresses and text go too */
	for (int r = 0; r < n; r++)
		for (int c = 1; c < 9; c++)
			OPENSSL_cleanse(PQgetvalue(res, r, c), (size_t) PQgetlength(res, r, c));
	PQclear(res);
	return unreachable ? 0 : n;
}

static PGconn *
connect_db(const char *conninfo)
{
	const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
	const char *vals[] = {conninfo, "5", "microcred-bridge mailer", NULL};
	PGconn	   *db = PQconnectdbParams(keys, vals, 1);
	PGresult   *res;

	if (PQstatus(db) != CONNECTION_OK)
	{
		log_kv(LOG_LVL_WARNING, "mail: cannot connect to the database", NULL);
		PQfinish(db);
		return NULL;
	}
	res = PQexec(db, "LISTEN microcred_mail");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		PQclear(res);
		PQfinish(db);
		return NULL;
	}
	PQclear(res);
	return db;
}

/* wait up to seconds for a NOTIFY (1 when one came), checking the stop flag every 200 ms */
static int
wait_notify(PGconn *db, int seconds)
{
	int			woke = 0;

	for (int slice = 0; slice < seconds * 5 && !atomic_load(&stop_requested) && !woke; slice++)
	{
		struct pollfd pfd = {PQsocket(db), POLLIN, 0};
		PGnotify   *nt;

		if (pfd.fd < 0)
			return 0;
		if (poll(&pfd, 1, 200) > 0 && PQconsumeInput(db) == 0)
			return 0;
		while ((nt = PQnotifies(db)) != NULL)
		{
			woke = 1;
			PQfreemem(nt);
		}
	}
	return woke;
}

static void *
mailer_main(void *arg)
{
	PGconn	   *db = NULL;
	char	   *db_for = NULL;
	CURL	   *curl = curl_easy_init();
	int			down_s = 0;
	struct timespec down_until = {0, 0};	/* no sending before (server unreachable) */

	(void) arg;
	while (!atomic_load(&stop_requested))
	{
		bridge_config *cfg = config_acquire();
		int			wait_s = cfg->mail_poll_s;

		if (cfg->db_conninfo[0] != '\0' && (db == NULL || PQstatus(db) != CONNECTION_OK ||
											 strcmp(db_for, cfg->db_conninfo) != 0))
		{
			PQfinish(db);
			free(db_for);
			db = connect_db(cfg->db_conninfo);
			db_for = db ? strdup(cfg->db_conninfo) : NULL;
			if (db_for == NULL)
			{
				PQfinish(db);
				db = NULL;
			}
		}
		if (db != NULL)
		{
			read_backlog(db);
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			if (cfg->smtp_url[0] != '\0' && curl != NULL && now.tv_sec >= down_until.tv_sec)
			{
				int			got = 0;

				for (int round = 0; round < MAX_ROUNDS && !atomic_load(&stop_requested); round++)
				{
					got = mail_round(db, curl, cfg, &down_s);
					if (got < cfg->mail_batch)
						break;
				}
				read_backlog(db);
				/* unreachable: the next try only after down_s, however many NOTIFYs come */
				down_until.tv_sec = down_s > 0 ? now.tv_sec + down_s : 0;
			}
			if (down_until.tv_sec > now.tv_sec && down_until.tv_sec - now.tv_sec < wait_s)
				wait_s = (int) (down_until.tv_sec - now.tv_sec);
			if (wait_s < 1)
				wait_s = 1;
		}
		config_release(cfg);
		if (db != NULL)
			wait_notify(db, wait_s);
		else
			for (int slice = 0; slice < 25 && !atomic_load(&stop_requested); slice++)
				poll(NULL, 0, 200);
	}
	PQfinish(db);
	free(db_for);
	if (curl)
		curl_easy_cleanup(curl);
	return NULL;
}

int
mailer_start(void)
{
	atomic_store(&stop_requested, 0);
	if (pthread_create(&mail_thread, NULL, mailer_main, NULL) != 0)
		return -1;
	running = 1;
	return 0;
}

void
mailer_stop(void)
{
	if (!running)
		return;
	atomic_store(&stop_requested, 1);
	pthread_join(mail_thread, NULL);
	running = 0;
}
