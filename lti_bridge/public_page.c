/*-------------------------------------------------------------------------
 *
 * public_page.c
 *	  Serving the HTML form of a public resource (public_page.h): the
 *	  negotiation, the language, the cache, one database call, the entity
 *	  tag.  The JSON documents are untouched: public.c serves them exactly
 *	  as before, byte for byte and with the same ETag.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "db.h"
#include "negotiate.h"
#include "page_cache.h"
#include "etag.h"
#include "gzip.h"
#include "public_page.h"
#include "view.h"

int
public_page_fetch(http_request *req, const char *kind, const char *id, json_t **out)
{
	db_call		c;
	const char *values[2] = {kind, id};
	json_error_t err;

	*out = NULL;
	if (db_call_run(&c, req->cfg->db_conninfo, req->cfg->db_timeout_ms,
					"SELECT microcred.public_page($1, $2)::text", 2, values) != 0)
	{
		req->reason = c.rc < 0 ? db_reason_label(c.reason) : "query_failed";
		return -1;
	}
	if (PQntuples(c.res) == 1 && !PQgetisnull(c.res, 0, 0))
		*out = json_loads(PQgetvalue(c.res, 0, 0), 0, &err);
	PQclear(c.res);
	if (*out == NULL)
	{
		req->reason = "query_failed";
		return -1;
	}
	return 0;
}

void
public_page_not_found(sbuf *b, i18n_lang lang)
{
	view_begin(b, lang, i18n_msg(lang, "not_found"), NULL);
	view_end(b, lang);
}

/* an entity tag of a page: the first 128 bits of its SHA-256, quoted */
static void
page_etag(const char *body, size_t len, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (EVP_Digest(body, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 16)
		return;
	out[0] = '"';
	for (int i = 0; i < 16; i++)
		snprintf(out + 1 + 2 * i, 3, "%02x", md[i]);
	out[33] = '"';
	out[34] = '\0';
}

/* render a page from the database's answer; the status it has */
static unsigned int
render(sbuf *b, i18n_lang lang, const char *kind, json_t *page, const char *id)
{
	json_int_t	st = json_integer_value(json_object_get(page, "status"));

	if (st == 200 || (st == 410 && strcmp(kind, "credential") == 0))
	{
		if (strcmp(kind, "credential") == 0)
		{
			char		self[160];

			snprintf(self, sizeof(self), "/credentials/%s", id);
			verify_page_render(b, lang, page, self, NULL);
		}
		else if (strcmp(kind, "issuer") == 0)
			catalogue_issuer_render(b, lang, page);
		else
			catalogue_achievement_render(b, lang, page);
		return (unsigned int) st;
	}
	public_page_not_found(b, lang);
	return MHD_HTTP_NOT_FOUND;
}

/* the gzip form of a page's entity tag: its own tag, as RFC 9110 8.8.3 asks of each representation */
static void
gzip_etag(const char *etag, char *out, size_t cap)
{
	size_t		n = strlen(etag);

	if (n < 2 || n + 4 > cap)
	{
		out[0] = '\0';
		return;
	}
	memcpy(out, etag, n - 1);
	memcpy(out + n - 1, "-gz\"", 5);
}

unsigned int
public_page_serve(struct MHD_Connection *conn, http_request *req, const char *kind)
{
	const char *al = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE);
	const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	int			want_gz = gzip_accepted(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
																	MHD_HTTP_HEADER_ACCEPT_ENCODING));
	i18n_lang	lang = i18n_choose(al);
	char		key[160];
	page_entry	e = {0};
	unsigned int rc;

	req->vary_accept = 3;
	snprintf(key, sizeof(key), "%s:%s:%s", kind, req->id, i18n_tag(lang));
	if (page_cache_get(req->cfg, key, want_gz, &e))
		req->reason = "cached";
	else
	{
		json_t	   *page;
		sbuf		b = {0};

		if (public_page_fetch(req, kind, req->id, &page) != 0)
			return respond_text(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "temporarily unavailable\n");
		e.status = render(&b, lang, kind, page, req->id);
		json_decref(page);
		if (b.oom)
		{
			free(b.data);
			return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
		}
		e.body = b.data;
		e.len = b.len;
		page_etag(e.body, e.len, e.etag);
		if (gzip_compress(e.body, e.len, &e.gz, &e.gz_len) != 0)
			e.gz = NULL;
		if (e.status != MHD_HTTP_NOT_FOUND)
			page_cache_put(key, &e);
		if (want_gz && e.gz != NULL)
		{
			free(e.body);
			e.body = e.gz;
			e.len = e.gz_len;
			e.gzipped = 1;
		}
		else
			free(e.gz);
		e.gz = NULL;
	}
	if (e.status == MHD_HTTP_NOT_FOUND)
		req->reason = "unknown_id";
	else if (e.status == MHD_HTTP_GONE)
		req->reason = "erased";
	/* the verdict may change (revocation): a short lifetime, as status lists have */
	if (e.status == MHD_HTTP_OK || e.status == MHD_HTTP_GONE)
		req->max_age = 60;
	if (e.gzipped)
		http_add_header(req, "Content-Encoding", "gzip");
	if (e.status == MHD_HTTP_OK)
	{
		if (e.gzipped)
			gzip_etag(e.etag, req->etag, sizeof(req->etag));
		else
			memcpy(req->etag, e.etag, sizeof(req->etag));
		if (inm != NULL && req->etag[0] != '\0' && public_etag_matches(inm, req->etag))
		{
			free(e.body);
			return respond(conn, req, MHD_HTTP_NOT_MODIFIED, "text/html; charset=utf-8", "", 0,
						   MHD_RESPMEM_PERSISTENT);
		}
	}
	rc = view_send(conn, req, e.status, lang, e.body, e.len);
	free(e.body);
	return rc;
}

int
public_page_negotiate(struct MHD_Connection *conn, http_request *req, const char *kind,
					  unsigned int *status)
{
	const char *format = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "format");
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	negotiated	n;

	if (format != NULL)
	{
		if (strcmp(format, "html") != 0)
			return 0;
		n = NEG_HTML;
	}
	else
		n = negotiate_accept(accept);
	if (n == NEG_DOCUMENT)
		return 0;
	if (n == NEG_NONE)
	{
		req->vary_accept = 1;
		req->reason = "not_acceptable";
		*status = respond_text(conn, req, MHD_HTTP_NOT_ACCEPTABLE,
							   "not acceptable; this resource is available as: " NEGOTIATE_TYPES "\n");
		return 1;
	}
	*status = public_page_serve(conn, req, kind);
	return 1;
}
