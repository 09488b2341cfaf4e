/*-------------------------------------------------------------------------
 *
 * config.c
 *	  Table-driven parsing of the microcred-bridge configuration file.
 *
 * Format: one "key = value" per line; '#' starts a comment; blank lines
 * are ignored; a value may be written in double quotes to hold '#' or
 * leading spaces (\" and \\ are the escapes).  Unknown keys, keys set
 * twice and bad values are errors that name the file and the line.
 *
 * Every key is a row of config_keys[]: name, type, offset in
 * bridge_config, default, bounds, reloadable flag and a description that
 * --help prints.  The current configuration is a reference-counted
 * immutable object behind a mutex; a reload that fails keeps it.
 *
 *-------------------------------------------------------------------------
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

typedef enum
{
	CK_STRING,					/* char * */
	CK_INT,						/* int, bounded */
	CK_BYTES,					/* long, bounded, suffixes B kB MB */
	CK_LOGLEVEL					/* int, a log_level */
} config_kind;

typedef struct config_key
{
	const char *name;
	config_kind kind;
	size_t		offset;
	const char *def;			/* default, as it would be written */
	long		min;
	long		max;
	int			reloadable;
	const char *desc;
} config_key;

#define OFF(f) offsetof(bridge_config, f)

static const config_key config_keys[] = {
	{"listen_address", CK_STRING, OFF(listen_address), "127.0.0.1", 0, 0, 0,
	"numeric IPv4 or IPv6 address to listen on (TLS is a reverse proxy's job)"},
	{"listen_port", CK_INT, OFF(listen_port), "8080", 1, 65535, 0,
	"TCP port to listen on"},
	{"public_base_url", CK_STRING, OFF(public_base_url), "", 0, 0, 1,
	"external https:// URL of the bridge as platforms see it (empty: unset)"},
	{"db_conninfo", CK_STRING, OFF(db_conninfo), "", 0, 0, 1,
	"libpq connection string of the microcred database (empty: /healthz reports 503)"},
	{"threads", CK_INT, OFF(threads), "4", 1, 256, 0,
	"HTTP worker threads (and database connections, plus one for the reconciliation poller)"},
	{"max_body_bytes", CK_BYTES, OFF(max_body_bytes), "64kB", 1024, 64L * 1024 * 1024, 1,
	"largest request body accepted; larger ones get 413"},
	{"max_header_bytes", CK_BYTES, OFF(max_header_bytes), "16kB", 1024, 1024L * 1024, 0,
	"largest request line plus headers accepted; larger ones get 431"},
	{"request_timeout_s", CK_INT, OFF(request_timeout_s), "30", 1, 3600, 0,
	"seconds a connection may stay idle before it is closed"},
	{"drain_timeout_s", CK_INT, OFF(drain_timeout_s), "30", 0, 3600, 1,
	"seconds SIGTERM waits for in-flight requests before exiting anyway"},
	{"log_level", CK_LOGLEVEL, OFF(log_level), "info", 0, 3, 1,
	"debug, info, warning or error"},
	{"db_timeout_ms", CK_INT, OFF(db_timeout_ms), "2000", 100, 60000, 1,
	"timeout of a health query and of waiting for a pooled connection"},
	{"jwt_leeway_s", CK_INT, OFF(jwt_leeway_s), "60", 0, 600, 1,
	"clock skew allowed on id_token exp and iat"},
	{"jwks_ttl_s", CK_INT, OFF(jwks_ttl_s), "3600", 60, 86400, 1,
	"how long a platform JWKS is cached (Cache-Control max-age overrides, bounded)"},
	{"jwks_min_refresh_s", CK_INT, OFF(jwks_min_refresh_s), "30", 1, 3600, 1,
	"at most one JWKS fetch per URL in this many seconds"},
	{"jwks_timeout_ms", CK_INT, OFF(jwks_timeout_ms), "5000", 100, 60000, 1,
	"total timeout of a JWKS fetch"},
	{"jwks_max_bytes", CK_BYTES, OFF(jwks_max_bytes), "256kB", 1024, 16L * 1024 * 1024, 1,
	"largest JWKS document accepted"},
	{"public_cache_s", CK_INT, OFF(public_cache_s), "30", 0, 3600, 1,
	"seconds a served credential document is kept in memory (0: no cache); an erasure reaches cached copies within this time"},
	{"public_cache_entries", CK_INT, OFF(public_cache_entries), "1024", 1, 100000, 1,
	"credential documents kept in memory at most (about 6 kB each)"},
	{"poll_interval_s", CK_INT, OFF(poll_interval_s), "60", 0, 86400, 1,
	"how often the reconciliation poller asks the database which LMS APIs are due (0: no polling)"},
	{"poll_timeout_ms", CK_INT, OFF(poll_timeout_ms), "15000", 1000, 120000, 1,
	"total timeout of one LMS API call of the poller"},
	{"poll_max_users", CK_INT, OFF(poll_max_users), "20000", 1, 1000000, 1,
	"most users the poller reads per course and poll"},
	{"max_connections", CK_INT, OFF(max_connections), "512", 1, 100000, 1,
	"open connections at most; more are closed at once (keep it below the open-files limit)"},
	{"max_connections_per_ip", CK_INT, OFF(max_connections_per_ip), "32", 1, 100000, 1,
	"open connections at most from one client address; more are closed at once"},
	{"header_timeout_s", CK_INT, OFF(header_timeout_s), "10", 1, 600, 1,
	"seconds a request line and headers may take to arrive, however slowly they trickle"},
	{"body_timeout_s", CK_INT, OFF(body_timeout_s), "30", 1, 3600, 1,
	"seconds a request body may take to arrive after the headers"},
	{"login_rate_per_ip", CK_INT, OFF(login_rate_per_ip), "10", 0, 1000000, 1,
	"/lti/login calls per second from one client address, bursts of twice that; more get 429 (0: no limit)"},
	{"login_rate_total", CK_INT, OFF(login_rate_total), "200", 0, 1000000, 1,
	"/lti/login calls per second from all clients, bursts of twice that; more get 429 (0: no limit)"},
	{"event_rate_per_ip", CK_INT, OFF(event_rate_per_ip), "100", 0, 1000000, 1,
	"completion events per second from one client address, bursts of twice that; more get 429 (0: no limit)"},
	{"event_rate_total", CK_INT, OFF(event_rate_total), "1000", 0, 1000000, 1,
	"completion events per second from all clients, bursts of twice that; more get 429 (0: no limit)"},
	{"verify_rate_per_ip", CK_INT, OFF(verify_rate_per_ip), "2", 0, 1000000, 1,
	"/verify requests (the form and what it posts) per second from one client address, bursts of twice that; more get 429 (0: no limit)"},
	{"verify_rate_total", CK_INT, OFF(verify_rate_total), "20", 0, 1000000, 1,
	"/verify requests per second from all clients, bursts of twice that; more get 429 (0: no limit)"},
	{"wallet_rate_per_ip", CK_INT, OFF(wallet_rate_per_ip), "20", 0, 1000000, 1,
	"OpenID4VCI token, nonce and credential requests per second from one client address, bursts of twice that; more get 429 (0: no limit)"},
	{"wallet_rate_total", CK_INT, OFF(wallet_rate_total), "500", 0, 1000000, 1,
	"OpenID4VCI token, nonce and credential requests per second from all clients, bursts of twice that; more get 429 (0: no limit)"},
	{"registration_timeout_ms", CK_INT, OFF(registration_timeout_ms), "5000", 100, 60000, 1,
	"total timeout of each fetch of LTI Dynamic Registration (openid-configuration, registration)"},
	{"registration_max_bytes", CK_BYTES, OFF(registration_max_bytes), "64kB", 1024, 16L * 1024 * 1024, 1,
	"largest openid-configuration or registration answer accepted"},
	{"smtp_url", CK_STRING, OFF(smtp_url), "", 0, 0, 1,
	"SMTP server for credential e-mails: smtp://host:587 (STARTTLS per smtp_starttls) or smtps://host:465 (empty: no e-mail is sent, it waits in the outbox)"},
	{"smtp_starttls", CK_STRING, OFF(smtp_starttls), "required", 0, 0, 1,
	"STARTTLS on smtp:// URLs: required (fail without it), try (use it when offered) or off (loopback relays only)"},
	{"smtp_user", CK_STRING, OFF(smtp_user), "", 0, 0, 1,
	"SMTP AUTH user name (empty: no AUTH)"},
	{"smtp_password_file", CK_STRING, OFF(smtp_password_file), "", 0, 0, 1,
	"file holding the SMTP AUTH password (first line), readable only by the bridge's user"},
	{"smtp_timeout_ms", CK_INT, OFF(smtp_timeout_ms), "15000", 1000, 120000, 1,
	"total timeout of sending one e-mail (connect and dialogue)"},
	{"mail_batch", CK_INT, OFF(mail_batch), "20", 1, 1000, 1,
	"e-mails claimed from the outbox at once"},
	{"mail_poll_s", CK_INT, OFF(mail_poll_s), "30", 1, 3600, 1,
	"how often the outbox is looked at without a NOTIFY (due retries, a missed notification)"},
	{"mail_retry_base_s", CK_INT, OFF(mail_retry_base_s), "60", 1, 86400, 1,
	"first retry delay of a failed e-mail; doubles with each attempt (at most 6 hours)"},
	{"mail_max_attempts", CK_INT, OFF(mail_max_attempts), "10", 1, 100, 1,
	"attempts before an e-mail is recorded as failed (an unreachable server costs none)"},
};

#define N_CONFIG_KEYS (sizeof(config_keys) / sizeof(config_keys[0]))

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static bridge_config *config_current = NULL;

/* parse an integer with bounds */
static int
parse_long(const char *s, long min, long max, long *out)
{
	char	   *end;
	long		v;

	if (*s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* parse a byte count with an optional B, kB or MB suffix */
static int
parse_bytes(const char *s, long min, long max, long *out)
{
	char	   *end;
	long		v;
	long		mult = 1;

	if (!isdigit((unsigned char) *s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0)
		return -1;
	while (*end == ' ')
		end++;
	if (*end == '\0' || strcmp(end, "B") == 0)
		mult = 1;
	else if (strcmp(end, "kB") == 0 || strcmp(end, "KB") == 0 || strcmp(end, "KiB") == 0)
		mult = 1024;
	else if (strcmp(end, "MB") == 0 || strcmp(end, "MiB") == 0)
		mult = 1024 * 1024;
	else
		return -1;
	if (v > LONG_MAX / mult)
		return -1;
	v *= mult;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* store a value into cfg; on error fill why */
static int
set_value(bridge_config *cfg, const config_key *k, const char *value,
		  char *why, size_t whylen)
{
	char	   *base = (char *) cfg;
	long		v;
	int			lvl;

	switch (k->kind)
	{
		case CK_STRING:
			{
				char	  **slot = (char **) (base + k->offset);
				char	   *copy = strdup(value);

				if (copy == NULL)
				{
					snprintf(why, whylen, "out of memory");
					return -1;
				}
				free(*slot);
				*slot = copy;
				return 0;
			}
		case CK_INT:
			if (parse_long(value, k->min, k->max, &v) != 0)
			{
				snprintf(why, whylen, "invalid value for %s: must be an integer between %ld and %ld",
						 k->name, k->min, k->max);
				return -1;
			}
			*(int *) (base + k->offset) = (int) v;
			return 0;
		case CK_BYTES:
			if (parse_bytes(value, k->min, k->max, &v) != 0)
			{
				snprintf(why, whylen, "invalid value for %s: must be a byte count between %ld and %ld (suffixes B, kB, MB)",
						 k->name, k->min, k->max);
				return -1;
			}
			*(long *) (base + k->offset) = v;
			return 0;
		case CK_LOGLEVEL:
			lvl = log_level_parse(value);
			if (lvl < 0)
			{
				snprintf(why, whylen, "invalid value for %s: must be debug, info, warning or error", k->name);
				return -1;
			}
			*(int *) (base + k->offset) = lvl;
			return 0;
	}
	return -1;
}

/* free a configuration */
static void
config_free(bridge_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < N_CONFIG_KEYS; i++)
		if (config_keys[i].kind == CK_STRING)
			free(*(char **) ((char *) cfg + config_keys[i].offset));
	free(cfg->source_path);
	free(cfg);
}

/* a configuration holding every default */
bridge_config *
config_defaults(void)
{
	bridge_config *cfg = calloc(1, sizeof(bridge_config));
	char		why[256];

	if (cfg == NULL)
		return NULL;
	for (size_t i = 0; i < N_CONFIG_KEYS; i++)
	{
		if (set_value(cfg, &config_keys[i], config_keys[i].def, why, sizeof(why)) != 0)
		{
			config_free(cfg);
			return NULL;
		}
	}
	cfg->refcount = 1;
	return cfg;
}

/* find a key by name */
static const config_key *
find_key(const char *name)
{
	for (size_t i = 0; i < N_CONFIG_KEYS; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

/* checks across keys, after the whole file is read */
static int
validate(const bridge_config *cfg, char *why, size_t whylen)
{
	unsigned char addr[16];

	if (inet_pton(AF_INET, cfg->listen_address, addr) != 1 &&
		inet_pton(AF_INET6, cfg->listen_address, addr) != 1)
	{
		snprintf(why, whylen, "listen_address must be a numeric IPv4 or IPv6 address");
		return -1;
	}
	if (cfg->public_base_url[0] != '\0' &&
		strncmp(cfg->public_base_url, "https://", 8) != 0 &&
		strncmp(cfg->public_base_url, "http://", 7) != 0)
	{
		snprintf(why, whylen, "public_base_url must start with https:// (or http:// for tests)");
		return -1;
	}
	if (cfg->smtp_url[0] != '\0' && strncmp(cfg->smtp_url, "smtp://", 7) != 0 &&
		strncmp(cfg->smtp_url, "smtps://", 8) != 0)
	{
		snprintf(why, whylen, "smtp_url must start with smtp:// or smtps://");
		return -1;
	}
	if (strcmp(cfg->smtp_starttls, "required") != 0 && strcmp(cfg->smtp_starttls, "try") != 0 &&
		strcmp(cfg->smtp_starttls, "off") != 0)
	{
		snprintf(why, whylen, "smtp_starttls must be required, try or off");
		return -1;
	}
	return 0;
}

/*
 * Split one line into key and value.  Returns 0 for a blank or comment
 * line, 1 with *key and *value set, -1 with why filled.  Modifies line.
 */
static int
split_line(char *line, char **key, char **value, char *why, size_t whylen)
{
	char	   *p = line;
	char	   *k;
	char	   *v;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#' || *p == '\n' || *p == '\r')
		return 0;
	k = p;
	while (*p && (isalnum((unsigned char) *p) || *p == '_'))
		p++;
	if (p == k)
	{
		snprintf(why, whylen, "syntax error: expected a key");
		return -1;
	}
	if (*p != ' ' && *p != '\t' && *p != '=')
	{
		snprintf(why, whylen, "syntax error: invalid character in key");
		return -1;
	}
	{
		char	   *kend = p;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '=')
		{
			snprintf(why, whylen, "syntax error: expected \"=\" after the key");
			return -1;
		}
		*kend = '\0';
	}
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '"')
	{
		char	   *out;

		p++;
		v = out = p;
		while (*p && *p != '"')
		{
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			*out++ = *p++;
		}
		if (*p != '"')
		{
			snprintf(why, whylen, "syntax error: unterminated quoted value");
			return -1;
		}
		p++;
		*out = '\0';
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '\0' && *p != '#')
		{
			snprintf(why, whylen, "syntax error: text after the quoted value");
			return -1;
		}
	}
	else
	{
		char	   *end;

		v = p;
		while (*p && *p != '#' && *p != '\n' && *p != '\r')
			p++;
		end = p;
		while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		*end = '\0';
	}
	*key = k;
	*value = v;
	return 1;
}

/* parse a configuration file */
bridge_config *
config_load(const char *path, char *err, size_t errlen)
{
	FILE	   *f;
	bridge_config *cfg;
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		len;
	int			lineno = 0;
	unsigned char seen[N_CONFIG_KEYS];
	char		why[256];

	memset(seen, 0, sizeof(seen));
	f = fopen(path, "r");
	if (f == NULL)
	{
		snprintf(err, errlen, "%s: could not open: %s", path, strerror(errno));
		return NULL;
	}
	cfg = config_defaults();
	if (cfg == NULL || (cfg->source_path = strdup(path)) == NULL)
	{
		snprintf(err, errlen, "%s: out of memory", path);
		config_free(cfg);
		fclose(f);
		return NULL;
	}
	while ((len = getline(&line, &cap, f)) >= 0)
	{
		char	   *key;
		char	   *value;
		const config_key *k;
		int			rc;

		lineno++;
		if (len > 4096)
		{
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			goto fail;
		}
		if (strlen(line) != (size_t) len)
		{
			snprintf(err, errlen, "%s:%d: NUL byte in line", path, lineno);
			goto fail;
		}
		rc = split_line(line, &key, &value, why, sizeof(why));
		if (rc == 0)
			continue;
		if (rc < 0)
		{
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			goto fail;
		}
		k = find_key(key);
		if (k == NULL)
		{
			snprintf(err, errlen, "%s:%d: unknown key \"%.64s\"", path, lineno, key);
			goto fail;
		}
		if (seen[k - config_keys])
		{
			snprintf(err, errlen, "%s:%d: key \"%s\" is set twice", path, lineno, k->name);
			goto fail;
		}
		seen[k - config_keys] = 1;
		if (set_value(cfg, k, value, why, sizeof(why)) != 0)
		{
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			goto fail;
		}
	}
	if (ferror(f))
	{
		snprintf(err, errlen, "%s: read error", path);
		goto fail;
	}
	if (validate(cfg, why, sizeof(why)) != 0)
	{
		snprintf(err, errlen, "%s: %s", path, why);
		goto fail;
	}
	free(line);
	fclose(f);
	return cfg;

fail:
	free(line);
	fclose(f);
	config_free(cfg);
	return NULL;
}

/* make cfg the current configuration */
void
config_install(bridge_config *cfg)
{
	bridge_config *old;

	pthread_mutex_lock(&config_lock);
	old = config_current;
	config_current = cfg;
	if (old != NULL && --old->refcount > 0)
		old = NULL;
	pthread_mutex_unlock(&config_lock);
	config_free(old);
	if (cfg != NULL)
		log_set_level((log_level) cfg->log_level);
}

/* the current configuration, referenced */
bridge_config *
config_acquire(void)
{
	bridge_config *cfg;

	pthread_mutex_lock(&config_lock);
	cfg = config_current;
	if (cfg != NULL)
		cfg->refcount++;
	pthread_mutex_unlock(&config_lock);
	return cfg;
}

/* drop a reference */
void
config_release(bridge_config *cfg)
{
	int			last;

	if (cfg == NULL)
		return;
	pthread_mutex_lock(&config_lock);
	last = (--cfg->refcount == 0);
	pthread_mutex_unlock(&config_lock);
	if (last)
		config_free(cfg);
}

/* render a key's value as text */
static void
format_value(const bridge_config *cfg, const config_key *k, char *buf, size_t len)
{
	const char *base = (const char *) cfg;

	switch (k->kind)
	{
		case CK_STRING:
			snprintf(buf, len, "%s", *(char *const *) (base + k->offset));
			break;
		case CK_INT:
			snprintf(buf, len, "%d", *(const int *) (base + k->offset));
			break;
		case CK_BYTES:
			snprintf(buf, len, "%ld", *(const long *) (base + k->offset));
			break;
		case CK_LOGLEVEL:
			snprintf(buf, len, "%s", log_level_name((log_level) *(const int *) (base + k->offset)));
			break;
	}
}

/* copy a non-reloadable key's value from old to new */
static int
keep_value(bridge_config *newcfg, const bridge_config *old, const config_key *k)
{
	char		buf[4096];
	char		why[256];

	format_value(old, k, buf, sizeof(buf));
	return set_value(newcfg, k, buf, why, sizeof(why));
}

/* reload the current configuration's file */
int
config_reload(char *err, size_t errlen)
{
	bridge_config *old = config_acquire();
	bridge_config *cfg;

	if (old == NULL || old->source_path == NULL)
	{
		snprintf(err, errlen, "no configuration file to reload");
		config_release(old);
		return -1;
	}
	cfg = config_load(old->source_path, err, errlen);
	if (cfg == NULL)
	{
		config_release(old);
		return -1;
	}
	for (size_t i = 0; i < N_CONFIG_KEYS; i++)
	{
		const config_key *k = &config_keys[i];
		char		a[4096];
		char		b[4096];

		if (k->reloadable)
			continue;
		format_value(old, k, a, sizeof(a));
		format_value(cfg, k, b, sizeof(b));
		if (strcmp(a, b) != 0)
		{
			log_kv(LOG_LVL_WARNING, "setting needs a restart, keeping the old value",
				   "key", k->name, NULL);
			if (keep_value(cfg, old, k) != 0)
			{
				snprintf(err, errlen, "out of memory");
				config_release(old);
				config_free(cfg);
				return -1;
			}
		}
	}
	config_release(old);
	config_install(cfg);
	return 0;
}

/* print every key for --help */
void
config_print_keys(FILE *out)
{
	static const char *const kinds[] = {"string", "integer", "bytes", "level"};

	for (size_t i = 0; i < N_CONFIG_KEYS; i++)
	{
		const config_key *k = &config_keys[i];

		fprintf(out, "  %-20s %-8s default %-12s %s\n", k->name, kinds[k->kind],
				k->def[0] ? k->def : "(empty)", k->reloadable ? "reloadable" : "restart");
		fprintf(out, "      %s\n", k->desc);
	}
}

/* copy a connection string to buf with any password hidden */
static void
mask_conninfo(const char *s, char *buf, size_t len)
{
	const char *p = strstr(s, "password");

	if (strstr(s, "://") != NULL && strchr(s, '@') != NULL)
		snprintf(buf, len, "(a connection URI with user information, not shown)");
	else if (p != NULL)
		snprintf(buf, len, "%.*spassword=**** (rest not shown)", (int) (p - s), s);
	else
		snprintf(buf, len, "%s", s);
}

/* print the effective configuration */
void
config_print(FILE *out, const bridge_config *cfg)
{
	for (size_t i = 0; i < N_CONFIG_KEYS; i++)
	{
		const config_key *k = &config_keys[i];
		char		buf[4096];

		format_value(cfg, k, buf, sizeof(buf));
		if (strcmp(k->name, "db_conninfo") == 0)
		{
			char		masked[4096];

			mask_conninfo(buf, masked, sizeof(masked));
			fprintf(out, "%s = \"%s\"\n", k->name, masked);
		}
		else
			fprintf(out, "%s = %s\n", k->name, buf);
	}
}
