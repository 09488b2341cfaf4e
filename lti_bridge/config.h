/*-------------------------------------------------------------------------
 *
 * config.h
 *	  The configuration file of microcred-bridge.
 *
 * A small "key = value" file.  Keys, types, defaults, bounds and whether
 * a key can change on SIGHUP live in one table (config.c).  A loaded
 * configuration is immutable and reference-counted: a request holds the
 * snapshot it started with, a reload installs a new one.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_CONFIG_H
#define MC_CONFIG_H

#include <stdio.h>

typedef struct bridge_config
{
	char	   *listen_address;
	int			listen_port;
	char	   *public_base_url;
	char	   *db_conninfo;
	int			threads;
	long		max_body_bytes;
	long		max_header_bytes;
	int			request_timeout_s;
	int			drain_timeout_s;
	int			log_level;
	int			db_timeout_ms;
	int			jwt_leeway_s;
	int			jwks_ttl_s;
	int			jwks_min_refresh_s;
	int			jwks_timeout_ms;
	long		jwks_max_bytes;
	int			public_cache_s;
	int			public_cache_entries;
	int			poll_interval_s;
	int			poll_timeout_ms;
	int			poll_max_users;
	int			max_connections;
	int			max_connections_per_ip;
	int			header_timeout_s;
	int			body_timeout_s;
	int			login_rate_per_ip;
	int			login_rate_total;
	int			event_rate_per_ip;
	int			event_rate_total;
	int			verify_rate_per_ip;
	int			verify_rate_total;
	int			wallet_rate_per_ip;
	int			wallet_rate_total;
	int			registration_timeout_ms;
	long		registration_max_bytes;
	char	   *smtp_url;
	char	   *smtp_starttls;
	char	   *smtp_user;
	char	   *smtp_password_file;
	int			smtp_timeout_ms;
	int			mail_batch;
	int			mail_poll_s;
	int			mail_retry_base_s;
	int			mail_max_attempts;

	/* bookkeeping, not keys */
	char	   *source_path;
	int			refcount;		/* protected by the config lock */
} bridge_config;

/* a configuration holding every default */
extern bridge_config *config_defaults(void);

/*
 * Parse a file; NULL on error with "path:line: message" in err.  The
 * result has refcount 1.
 */
extern bridge_config *config_load(const char *path, char *err, size_t errlen);

/* make cfg the current configuration (takes over the caller's reference) */
extern void config_install(bridge_config *cfg);

/* the current configuration, with a reference the caller must release */
extern bridge_config *config_acquire(void);
extern void config_release(bridge_config *cfg);

/*
 * Reload from the current configuration's file: on success the new
 * configuration is installed (keys that are not reloadable keep their
 * old values, with a warning) and 0 is returned; on failure the old one
 * stays and -1 is returned with the reason in err.
 */
extern int	config_reload(char *err, size_t errlen);

/* print every key with its type, default and reloadability */
extern void config_print_keys(FILE *out);

/* print the effective configuration (secrets masked) */
extern void config_print(FILE *out, const bridge_config *cfg);

#endif							/* MC_CONFIG_H */
