/*-------------------------------------------------------------------------
 *
 * public.c
 *	  The public documents, served without login: GET /credentials/{id}
 *	  (JSON, or a JWT form by content negotiation), /issuers/{handle},
 *	  /issuers/{handle}/did.json (the DID document of a did:web issuer),
 *	  /achievements/{id}, /status/{id}; each one call of the database's
 *	  public_resource(), with entity tags and a small cache of credential
 *	  documents and signed status lists.
 *
 * Content negotiation of /credentials/{id} (README, docs/BRIDGE.md):
 *	  Accept: application/vc+jwt    the W3C VC-JOSE form ('vc-jwt')
 *	  Accept: application/jwt       the Open Badges 3.0 VC-JWT form ('ob-jwt')
 *	  ?format=jwt or ?format=vc-jwt the VC-JOSE form; ?format=ob-jwt the OB one
 *	  anything else                 the JSON document with its Data Integrity proof
 * A JWT form is made on first request (signed once by the database) and
 * then served unchanged.
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <openssl/evp.h>

#include "common.h"
#include "db.h"
#include "http.h"
#include "http_internal.h"
#include "page_cache.h"
#include "public.h"
#include "public_page.h"

/*
 * The JWT form a request asks for (public.h): ?format= decides when given
 * (jwt or vc-jwt: JWT_VC, ob-jwt: JWT_OB); else the Accept header:
 * JWT_NONE unless it names application/vc+jwt (JWT_VC) or application/jwt
 * (JWT_OB) and neither JSON form; application/vc+jwt wins when both are named.
 */
int
public_jwt_form(const char *accept, const char *format)
{
	if (format != NULL && (strcmp(format, "jwt") == 0 || strcmp(format, "vc-jwt") == 0))
		return JWT_VC;
	if (format != NULL && strcmp(format, "ob-jwt") == 0)
		return JWT_OB;
	if (accept == NULL)
		return JWT_NONE;
	if (strstr(accept, "application/vc+jwt") == NULL && strstr(accept, "application/jwt") == NULL)
		return JWT_NONE;
	if (strstr(accept, "application/json") != NULL)
		return JWT_NONE;
	/* application/vc on its own, not as the prefix of application/vc+jwt */
	for (const char *p = strstr(accept, "application/vc"); p; p = strstr(p + 1, "application/vc"))
		if (p[14] != '+')
			return JWT_NONE;
	return strstr(accept, "application/vc+jwt") != NULL ? JWT_VC : JWT_OB;
}

/* a strong entity tag: the first 128 bits of the body's SHA-256, quoted */
static void
make_etag(const char *body, size_t len, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t		o = 0;

	out[0] = '\0';
	if (outlen < 35 || EVP_Digest(body, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 16)
		return;
	out[o++] = '"';
	for (int i = 0; i < 16; i++)
		o += (size_t) snprintf(out + o, outlen - o, "%02x", md[i]);
	out[o++] = '"';
	out[o] = '\0';
}

/*
 * Issued credential documents never change (corrections supersede), so
 * their 200 answers are kept in a small direct-mapped cache for
 * public_cache_s seconds: a GET then needs no database round trip.  The
 * only change a document can see is erasure (410), which cached copies
 * follow within public_cache_s; 0 turns the cache off.  Bounded:
 * public_cache_entries slots, each replaced by the next id hashing to it.
 *
 * Signed status lists share the cache, but a list changes with every
 * revocation, so it is kept only while the status watcher
 * (status_watch.c) LISTENs for the database's microcred_status
 * notifications: a committed bit change drops the list
 * (public_status_changed), and an answer fetched before a change is not
 * stored after it (status_gen).  Without the watcher lists come from the
 * database on every GET, as before.
 */
typedef struct doc_slot
{
	char		id[128];
	int			want_jwt;
	char	   *content_type;
	char	   *body;
	size_t		len;
	long long	last_modified;
	int			max_age;
	char		etag[40];
	long long	stored_ms;
	int			is_status;		/* a status list, not a credential */
} doc_slot;

static pthread_mutex_t doc_lock = PTHREAD_MUTEX_INITIALIZER;
static doc_slot *doc_slots;
static size_t n_doc_slots;
static unsigned long long status_gen;	/* bumped by every change notice (under doc_lock) */
static int	status_watch_on;		/* the watcher is listening (under doc_lock) */

static void
doc_slot_clear(doc_slot *d)
{
	free(d->content_type);
	free(d->body);
	memset(d, 0, sizeof(*d));
}

/* (re)size the cache to the configuration; called at start and on reload */
void
public_configure(const bridge_config *cfg)
{
	size_t		want = cfg->public_cache_s > 0 ? (size_t) cfg->public_cache_entries : 0;

	pthread_mutex_lock(&doc_lock);
	if (want != n_doc_slots)
	{
		for (size_t i = 0; i < n_doc_slots; i++)
			doc_slot_clear(&doc_slots[i]);
		free(doc_slots);
		doc_slots = want ? calloc(want, sizeof(doc_slot)) : NULL;
		n_doc_slots = doc_slots ? want : 0;
	}
	pthread_mutex_unlock(&doc_lock);
	page_cache_configure(cfg);
}

static size_t
doc_hash(const char *id, int want_jwt, int is_status)
{
	uint64_t	h = mc_fnv1a(MC_FNV_OFFSET, id, strlen(id));

	return (size_t) ((h ^ (uint64_t) want_jwt ^ ((uint64_t) is_status << 7)) % n_doc_slots);
}

/* drop the cached status lists (all, or the one with this id); under doc_lock */
static void
drop_status_slots(const char *id)
{
	status_gen++;
	for (size_t i = 0; i < n_doc_slots; i++)
		if (doc_slots[i].is_status && (id == NULL || strcmp(doc_slots[i].id, id) == 0))
			doc_slot_clear(&doc_slots[i]);
}

/* a bit of status list id changed (status_watch.c); NULL: any list may have */
void
public_status_changed(const char *id)
{
	pthread_mutex_lock(&doc_lock);
	drop_status_slots(id != NULL && id[0] != '\0' ? id : NULL);
	pthread_mutex_unlock(&doc_lock);
}

/* the watcher starts (1) or stops (0) listening: either way, start afresh */
void
public_status_watch(int on)
{
	pthread_mutex_lock(&doc_lock);
	drop_status_slots(NULL);
	status_watch_on = on;
	pthread_mutex_unlock(&doc_lock);
}

/* may status lists be cached now?  The generation an answer fetched now belongs to */
static int
status_cacheable(unsigned long long *gen)
{
	int			on;

	pthread_mutex_lock(&doc_lock);
	on = status_watch_on && n_doc_slots > 0;
	*gen = status_gen;
	pthread_mutex_unlock(&doc_lock);
	return on;
}

/* a fresh cached answer, copied into r (caller frees); 1 on a hit */
static int
doc_cache_get(const bridge_config *cfg, const char *id, int want_jwt, int is_status,
			  db_resource *r, char *etag)
{
	int			hit = 0;

	pthread_mutex_lock(&doc_lock);
	if (n_doc_slots > 0 && (!is_status || status_watch_on))
	{
		doc_slot   *d = &doc_slots[doc_hash(id, want_jwt, is_status)];

		if (d->body != NULL && d->want_jwt == want_jwt && d->is_status == is_status &&
			strcmp(d->id, id) == 0 &&
			mono_ms() - d->stored_ms < (long long) cfg->public_cache_s * 1000)
		{
			r->status = MHD_HTTP_OK;
			r->content_type = strdup(d->content_type);
			r->body = malloc(d->len + 1);
			if (r->content_type != NULL && r->body != NULL)
			{
				memcpy(r->body, d->body, d->len + 1);
				r->body_len = d->len;
				r->last_modified = d->last_modified;
				r->max_age = d->max_age;
				memcpy(etag, d->etag, sizeof(d->etag));
				hit = 1;
			}
			else
				db_resource_free(r);
		}
	}
	pthread_mutex_unlock(&doc_lock);
	return hit;
}

/* store an answer; a status list only if no change notice came since gen */
static void
doc_cache_put(const char *id, int want_jwt, int is_status, unsigned long long gen,
			  const db_resource *r, const char *etag)
{
	pthread_mutex_lock(&doc_lock);
	if (n_doc_slots > 0 && strlen(id) < sizeof(doc_slots[0].id) &&
		(!is_status || (status_watch_on && gen == status_gen)))
	{
		doc_slot   *d = &doc_slots[doc_hash(id, want_jwt, is_status)];

		doc_slot_clear(d);
		d->content_type = strdup(r->content_type);
		d->body = malloc(r->body_len + 1);
		if (d->content_type == NULL || d->body == NULL)
			doc_slot_clear(d);
		else
		{
			memcpy(d->body, r->body, r->body_len);
			d->body[r->body_len] = '\0';
			d->len = r->body_len;
			snprintf(d->id, sizeof(d->id), "%s", id);
			d->want_jwt = want_jwt;
			d->is_status = is_status;
			d->last_modified = r->last_modified;
			d->max_age = r->max_age;
			snprintf(d->etag, sizeof(d->etag), "%s", etag);
			d->stored_ms = mono_ms();
		}
	}
	pthread_mutex_unlock(&doc_lock);
}

/* a public resource from the database: 200, 304, 404, 406 or 410, or 503 */
static unsigned int
serve_public(struct MHD_Connection *conn, http_request *req, const char *kind, int want_jwt)
{
	db_resource r = {0};
	char		reason[64];
	int			is_status = strcmp(kind, "status") == 0;
	unsigned long long gen = 0;
	int			cacheable = strcmp(kind, "credential") == 0 || (is_status && status_cacheable(&gen));

	if (cacheable && doc_cache_get(req->cfg, req->id, want_jwt, is_status, &r, req->etag))
		req->reason = "cached";
	else if (db_public_resource(req->cfg->db_conninfo, req->cfg->db_timeout_ms, kind, req->id,
						   want_jwt, &r, reason, sizeof(reason)) != 0)
	{
		req->reason = db_reason_label(reason);
		return respond_text(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "temporarily unavailable\n");
	}
	if (r.status == MHD_HTTP_OK || r.status == MHD_HTTP_GONE)
	{
		req->max_age = r.max_age;
		req->last_modified = r.last_modified;
	}
	if (r.status != MHD_HTTP_OK)
	{
		unsigned int st = (unsigned int) r.status;
		char		text[320];

		req->reason = st == MHD_HTTP_NOT_FOUND ? "unknown_id" : st == MHD_HTTP_GONE ? "erased"
			: st == MHD_HTTP_NOT_ACCEPTABLE ? "no_jwt_key" : "other";
		snprintf(text, sizeof(text), "%s\n", r.body);
		db_resource_free(&r);
		return respond_text(conn, req, st, text);
	}
	{
		unsigned int st;
		const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
													  MHD_HTTP_HEADER_IF_NONE_MATCH);

		if (req->etag[0] == '\0')
		{
			make_etag(r.body, r.body_len, req->etag, sizeof(req->etag));
			if (cacheable)
				doc_cache_put(req->id, want_jwt, is_status, gen, &r, req->etag);
		}
		if (inm != NULL && req->etag[0] != '\0' && public_etag_matches(inm, req->etag))
		{
			db_resource_free(&r);
			return respond(conn, req, MHD_HTTP_NOT_MODIFIED, "text/plain; charset=utf-8", "", 0,
						   MHD_RESPMEM_PERSISTENT);
		}
		st = respond(conn, req, MHD_HTTP_OK, r.content_type, r.body, r.body_len,
					 MHD_RESPMEM_MUST_COPY);
		db_resource_free(&r);
		return st;
	}
}

/* GET /credentials/{uuid}: the signed document (JSON, or a JWT form by Accept or ?format=) */
unsigned int
public_handle_credential(struct MHD_Connection *conn, http_request *req)
{
	const char *format = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "format");
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	unsigned int st;

	/* a browser gets the verification page (public_page.c) */
	if (public_page_negotiate(conn, req, "credential", &st))
		return st;
	req->vary_accept = 1;
	return serve_public(conn, req, "credential", public_jwt_form(accept, format));
}

/* GET /issuers/{handle}: the OB 3.0 Profile with the issuer's keys */
unsigned int
public_handle_issuer(struct MHD_Connection *conn, http_request *req)
{
	unsigned int st;

	if (public_page_negotiate(conn, req, "issuer", &st))
		return st;
	req->vary_accept = 1;
	return serve_public(conn, req, "issuer", 0);
}

/* GET /issuers/{handle}/did.json: the DID document of a did:web issuer */
unsigned int
public_handle_did(struct MHD_Connection *conn, http_request *req)
{
	return serve_public(conn, req, "did", 0);
}

/* GET /achievements/{uuid}: the Achievement credentials of a type carry */
unsigned int
public_handle_achievement(struct MHD_Connection *conn, http_request *req)
{
	unsigned int st;

	if (public_page_negotiate(conn, req, "achievement", &st))
		return st;
	req->vary_accept = 1;
	return serve_public(conn, req, "achievement", 0);
}

/* GET /status/{uuid}: the signed BitstringStatusListCredential */
unsigned int
public_handle_status(struct MHD_Connection *conn, http_request *req)
{
	return serve_public(conn, req, "status", 0);
}

/* drop the document cache (at exit, when no request is left) */
void
public_shutdown(void)
{
	pthread_mutex_lock(&doc_lock);
	for (size_t i = 0; i < n_doc_slots; i++)
		doc_slot_clear(&doc_slots[i]);
	free(doc_slots);
	doc_slots = NULL;
	n_doc_slots = 0;
	pthread_mutex_unlock(&doc_lock);
	page_cache_shutdown();
}
