/*-------------------------------------------------------------------------
 *
 * guard.c
 *	  Connection limits, request deadlines and rate limits: one client
 *	  cannot starve the bridge (issue 14).
 *
 * Connections.  Every connection libmicrohttpd accepts is tracked from
 * its start to its close (guard_notify).  The accept policy refuses a new
 * connection (closes it at once) when max_connections are open, or when
 * its address already holds max_connections_per_ip.  A connection the
 * policy lets in holds a reservation until libmicrohttpd starts it, so
 * accepts running concurrently in the worker threads count each other and
 * a limit is exact; a reservation libmicrohttpd never starts (it failed to
 * set the connection up) lapses after RESERVE_MS.
 *
 * Deadlines (slowloris).  libmicrohttpd's request_timeout_s only closes
 * connections that stay silent; a client sending one byte every few
 * seconds would hold its connection for ever.  So each connection also
 * has a deadline: its request head must be complete within
 * header_timeout_s of the connection opening (or of the previous answer,
 * on a kept-alive connection), and its body within body_timeout_s of the
 * head.  While the handler runs and the answer is sent there is none.  A
 * thread checks the deadlines four times a second and shuts down the
 * socket of a connection past its deadline; libmicrohttpd then sees the
 * end of the stream and closes it.  The registry lock is held from that
 * check to the shutdown, and libmicrohttpd reports a close (which removes
 * the entry under the same lock) before it closes the descriptor, so the
 * descriptor shut down is always that connection's.
 *
 * Rates.  /lti/login stores a login state per call and the event routes
 * call the database per call, so each has a token bucket per client
 * address and one in total: rate per second sustained, bursts of twice
 * that.  A request beyond either is answered 429 with Retry-After.
 * Per-address buckets live in a fixed table (RATE_SLOTS per class),
 * replaced by the next address hashing to the same slot, so memory is
 * bounded whatever the number of addresses; the total bucket bounds what
 * many addresses together can do.  Behind a reverse proxy every client
 * has the proxy's address: set the per-address rates to 0 there and keep
 * the total ones (docs/BRIDGE.md).
 *
 * Every refusal is counted in /metrics (microcred_bridge_refused_total).
 *
 *-------------------------------------------------------------------------
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "common.h"
#include "guard.h"
#include "metrics.h"

#define RATE_SLOTS 4096
#define REAPER_TICK_MS 250
#define RESERVE_SLOTS 256
#define RESERVE_MS 1000

typedef struct conn_entry
{
	struct conn_entry *prev;
	struct conn_entry *next;
	unsigned char key[16];		/* the client address, IPv4 as ::ffff:a.b.c.d */
	MHD_socket	fd;
	long long	deadline_ms;	/* 0: none */
	const char *deadline_kind;	/* the refusal it counts as */
} conn_entry;

typedef struct bucket
{
	unsigned char key[16];
	int			used;
	double		tokens;
	long long	at_ms;
} bucket;

typedef struct reservation
{
	unsigned char key[16];
	long long	until_ms;		/* 0: free */
} reservation;

static pthread_mutex_t conn_lock = PTHREAD_MUTEX_INITIALIZER;
static conn_entry *conns;
static long n_conns;
static reservation reserved[RESERVE_SLOTS];	/* accepted, not yet started */

static atomic_int max_conns = 512;
static atomic_int max_per_ip = 32;
static atomic_int header_ms = 10000;
static atomic_int body_ms = 30000;

static pthread_mutex_t rate_lock = PTHREAD_MUTEX_INITIALIZER;
static int	rate_ip[RATE__COUNT];
static int	rate_all[RATE__COUNT];
static bucket buckets_ip[RATE__COUNT][RATE_SLOTS];
static bucket bucket_all[RATE__COUNT];

static pthread_t reaper;
static atomic_int reaper_running;

void
guard_configure(const bridge_config *cfg)
{
	atomic_store(&max_conns, cfg->max_connections);
	atomic_store(&max_per_ip, cfg->max_connections_per_ip);
	atomic_store(&header_ms, cfg->header_timeout_s * 1000);
	atomic_store(&body_ms, cfg->body_timeout_s * 1000);
	pthread_mutex_lock(&rate_lock);
	rate_ip[RATE_LOGIN] = cfg->login_rate_per_ip;
	rate_all[RATE_LOGIN] = cfg->login_rate_total;
	rate_ip[RATE_EVENTS] = cfg->event_rate_per_ip;
	rate_all[RATE_EVENTS] = cfg->event_rate_total;
	rate_ip[RATE_VERIFY] = cfg->verify_rate_per_ip;
	rate_all[RATE_VERIFY] = cfg->verify_rate_total;
	rate_ip[RATE_WALLET] = cfg->wallet_rate_per_ip;
	rate_all[RATE_WALLET] = cfg->wallet_rate_total;
	pthread_mutex_unlock(&rate_lock);
}

/* the address as 16 bytes (IPv4 mapped into IPv6); -1 for other families */
static int
addr_key(const struct sockaddr *sa, unsigned char key[16])
{
	memset(key, 0, 16);
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET)
	{
		const struct sockaddr_in *s4 = (const struct sockaddr_in *) sa;

		key[10] = key[11] = 0xff;
		memcpy(key + 12, &s4->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6)
	{
		memcpy(key, &((const struct sockaddr_in6 *) sa)->sin6_addr, 16);
		return 0;
	}
	return -1;
}

/* ---- connections ---------------------------------------------------- */

enum MHD_Result
guard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	unsigned char key[16];
	long		same = 0;
	long		total;
	long long	now = mono_ms();
	int			free_slot = -1;
	const char *refusal = NULL;

	(void) cls;
	(void) addrlen;
	if (addr_key(addr, key) != 0)
		return MHD_YES;
	pthread_mutex_lock(&conn_lock);
	total = n_conns;
	for (int i = 0; i < RESERVE_SLOTS; i++)
	{
		if (reserved[i].until_ms <= now)
		{
			reserved[i].until_ms = 0;
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		total++;
		if (memcmp(reserved[i].key, key, 16) == 0)
			same++;
	}
	if (total >= atomic_load(&max_conns))
		refusal = "connection_limit";
	else
	{
		for (conn_entry *e = conns; e != NULL; e = e->next)
			if (memcmp(e->key, key, 16) == 0)
				same++;
		if (same >= atomic_load(&max_per_ip))
			refusal = "connection_limit_per_ip";
		else if (free_slot >= 0)
		{
			memcpy(reserved[free_slot].key, key, 16);
			reserved[free_slot].until_ms = now + RESERVE_MS;
		}
	}
	pthread_mutex_unlock(&conn_lock);
	if (refusal != NULL)
	{
		metrics_refusal(refusal);
		return MHD_NO;
	}
	return MHD_YES;
}

static void
set_deadline(struct MHD_Connection *conn, int ms, const char *kind)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	conn_entry *e = ci ? ci->socket_context : NULL;

	if (e == NULL)
		return;
	pthread_mutex_lock(&conn_lock);
	e->deadline_ms = ms > 0 ? mono_ms() + ms : 0;
	e->deadline_kind = kind;
	pthread_mutex_unlock(&conn_lock);
}

void
guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
			 enum MHD_ConnectionNotificationCode code)
{
	(void) cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
	{
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ad = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		conn_entry *e = calloc(1, sizeof(conn_entry));

		*socket_context = e;
		if (e == NULL || fd == NULL)
		{
			free(e);
			*socket_context = NULL;
			return;
		}
		e->fd = fd->connect_fd;
		if (ad != NULL)
			addr_key(ad->client_addr, e->key);
		e->deadline_ms = mono_ms() + atomic_load(&header_ms);
		e->deadline_kind = "header_timeout";
		pthread_mutex_lock(&conn_lock);
		e->next = conns;
		if (conns)
			conns->prev = e;
		conns = e;
		n_conns++;
		/* the reservation guard_accept made for it now is this entry */
		for (int i = 0; i < RESERVE_SLOTS; i++)
			if (reserved[i].until_ms != 0 && memcmp(reserved[i].key, e->key, 16) == 0)
			{
				reserved[i].until_ms = 0;
				break;
			}
		pthread_mutex_unlock(&conn_lock);
	}
	else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context != NULL)
	{
		conn_entry *e = *socket_context;

		pthread_mutex_lock(&conn_lock);
		if (e->prev)
			e->prev->next = e->next;
		else
			conns = e->next;
		if (e->next)
			e->next->prev = e->prev;
		n_conns--;
		pthread_mutex_unlock(&conn_lock);
		free(e);
		*socket_context = NULL;
	}
}

void
guard_head_received(struct MHD_Connection *conn)
{
	set_deadline(conn, atomic_load(&body_ms), "body_timeout");
}

void
guard_request_complete(struct MHD_Connection *conn)
{
	set_deadline(conn, 0, NULL);
}

void
guard_answered(struct MHD_Connection *conn)
{
	set_deadline(conn, atomic_load(&header_ms), "header_timeout");
}

long
guard_connections(void)
{
	long		n;

	pthread_mutex_lock(&conn_lock);
	n = n_conns;
	pthread_mutex_unlock(&conn_lock);
	return n;
}

/* the deadline thread */
static void *
reaper_main(void *arg)
{
	(void) arg;
	while (atomic_load(&reaper_running))
	{
		struct timespec tick = {0, REAPER_TICK_MS * 1000000L};
		long long	now;

		nanosleep(&tick, NULL);
		now = mono_ms();
		pthread_mutex_lock(&conn_lock);
		for (conn_entry *e = conns; e != NULL; e = e->next)
			if (e->deadline_ms != 0 && now >= e->deadline_ms)
			{
				/* libmicrohttpd sees the end of the stream and closes the connection */
				shutdown(e->fd, SHUT_RDWR);
				metrics_refusal(e->deadline_kind);
				e->deadline_ms = 0;
			}
		pthread_mutex_unlock(&conn_lock);
	}
	return NULL;
}

int
guard_start(void)
{
	atomic_store(&reaper_running, 1);
	if (pthread_create(&reaper, NULL, reaper_main, NULL) != 0)
	{
		atomic_store(&reaper_running, 0);
		return -1;
	}
	return 0;
}

void
guard_stop(void)
{
	if (atomic_exchange(&reaper_running, 0))
		pthread_join(reaper, NULL);
}

/* ---- rates ------------------------------------------------------------ */

/*
 * Take a token from b (rate per second, bursts of 2 * rate): 0, or the
 * seconds until one is there.
 */
static double
bucket_take(bucket *b, const unsigned char key[16], int rate, long long now)
{
	double		burst = rate * 2.0;

	if (!b->used || memcmp(b->key, key, 16) != 0)
	{
		memcpy(b->key, key, 16);
		b->used = 1;
		b->tokens = burst;
		b->at_ms = now;
	}
	b->tokens += (double) (now - b->at_ms) / 1000.0 * rate;
	if (b->tokens > burst)
		b->tokens = burst;
	b->at_ms = now;
	if (b->tokens >= 1.0)
	{
		b->tokens -= 1.0;
		return 0;
	}
	return (1.0 - b->tokens) / rate;
}

int
guard_rate_take(rate_class cls, struct MHD_Connection *conn)
{
	static const unsigned char all_key[16] = {0};
	const union MHD_ConnectionInfo *ad;
	unsigned char key[16];
	bucket	   *ip = NULL;
	double		wait = 0;
	long long	now = mono_ms();

	if (cls <= RATE_NONE || cls >= RATE__COUNT)
		return 0;
	ad = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ad == NULL || addr_key(ad->client_addr, key) != 0)
		memset(key, 0, sizeof(key));
	pthread_mutex_lock(&rate_lock);
	if (rate_ip[cls] > 0)
	{
		ip = &buckets_ip[cls][mc_fnv1a(MC_FNV_OFFSET, key, 16) % RATE_SLOTS];
		wait = bucket_take(ip, key, rate_ip[cls], now);
	}
	if (wait == 0 && rate_all[cls] > 0)
	{
		wait = bucket_take(&bucket_all[cls], all_key, rate_all[cls], now);
		if (wait > 0 && ip != NULL)
			ip->tokens += 1.0;	/* not served: give the address its token back */
	}
	pthread_mutex_unlock(&rate_lock);
	if (wait <= 0)
		return 0;
	metrics_refusal(cls == RATE_LOGIN ? "rate_limit_login" :
					cls == RATE_VERIFY ? "rate_limit_verify" :
					cls == RATE_WALLET ? "rate_limit_wallet" : "rate_limit_events");
	return wait < 1.0 ? 1 : (int) (wait + 0.999);
}
