/*-------------------------------------------------------------------------
 *
 * images.c
 *	  The public images: GET /achievements/{id}/image and
 *	  /issuers/{handle}/image (the stored PNG or SVG, else a generated
 *	  badge, badge_svg.c), and GET /credentials/{id}/qr.svg (the QR code of
 *	  the credential's verification URL, qr.c).  SVGs are served with a
 *	  sandboxing CSP whatever the database checked when they were stored.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/evp.h>

#include "badge_svg.h"
#include "db.h"
#include "page_cache.h"
#include "qr.h"
#include "view.h"

#define IMAGE_CSP "default-src 'none'; style-src 'unsafe-inline'; sandbox"

/* send an image (copied), cacheable for max_age seconds */
static unsigned int
send_image(struct MHD_Connection *conn, http_request *req, const char *type, const char *body,
		   size_t len, int max_age)
{
	req->max_age = max_age;
	http_add_header(req, "Content-Security-Policy", IMAGE_CSP);
	return respond(conn, req, MHD_HTTP_OK, type, body, len, MHD_RESPMEM_MUST_COPY);
}

/* base64 to bytes (malloc'd): -1 when malformed */
static int
unbase64(const char *in, unsigned char **out, size_t *outlen)
{
	size_t		n = 0,
				len = strlen(in);
	char	   *clean = malloc(len + 1);
	int			got;

	if (clean == NULL)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (in[i] != '\n' && in[i] != '\r')
			clean[n++] = in[i];
	clean[n] = '\0';
	*out = malloc(n / 4 * 3 + 3);
	if (*out == NULL || n % 4 != 0)
	{
		free(clean);
		free(*out);
		return -1;
	}
	got = EVP_DecodeBlock(*out, (unsigned char *) clean, (int) n);
	if (got < 0)
	{
		free(clean);
		free(*out);
		return -1;
	}
	/* EVP_DecodeBlock counts the padding's zero bytes */
	if (n >= 1 && clean[n - 1] == '=')
		got--;
	if (n >= 2 && clean[n - 2] == '=')
		got--;
	*outlen = (size_t) got;
	free(clean);
	return 0;
}

/* the image of kind ("achievement", "issuer") req->id */
static unsigned int
serve_image(struct MHD_Connection *conn, http_request *req, const char *kind)
{
	const char *values[2] = {kind, req->id};
	char		key[160];
	page_entry	e = {0};
	db_call		c;
	json_t	   *j = NULL;
	json_error_t err;
	const char *type;
	unsigned int rc;

	snprintf(key, sizeof(key), "image:%s:%s", kind, req->id);
	if (page_cache_get(req->cfg, key, 0, &e))
	{
		req->reason = "cached";
		rc = send_image(conn, req, e.etag, e.body, e.len, 300);
		free(e.body);
		return rc;
	}
	if (db_call_run(&c, req->cfg->db_conninfo, req->cfg->db_timeout_ms,
					"SELECT microcred.public_image($1, $2)::text", 2, values) != 0)
	{
		req->reason = c.rc < 0 ? db_reason_label(c.reason) : "query_failed";
		return respond_text(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "temporarily unavailable\n");
	}
	if (PQntuples(c.res) == 1)
		j = json_loads(PQgetvalue(c.res, 0, 0), 0, &err);
	PQclear(c.res);
	if (j == NULL || json_integer_value(json_object_get(j, "status")) != 200)
	{
		json_decref(j);
		req->reason = "unknown_id";
		return respond_text(conn, req, MHD_HTTP_NOT_FOUND, "not found\n");
	}
	type = view_str(j, "type");
	if (type != NULL && view_str(j, "data") != NULL &&
		(strcmp(type, "image/png") == 0 || strcmp(type, "image/svg+xml") == 0))
	{
		unsigned char *bytes;
		size_t		n;

		if (unbase64(view_str(j, "data"), &bytes, &n) != 0)
		{
			json_decref(j);
			req->reason = "bad_image";
			return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "bad stored image\n");
		}
		e.body = (char *) bytes;
		e.len = n;
	}
	else
	{
		sbuf		b = {0};

		type = "image/svg+xml";
		badge_svg(&b, view_str(j, "title"), view_str(j, "subtitle"), view_str(j, "issuer"));
		if (b.oom)
		{
			free(b.data);
			json_decref(j);
			return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
		}
		e.body = b.data;
		e.len = b.len;
	}
	/* the entry's etag field holds the media type: images have no entity tag here */
	snprintf(e.etag, sizeof(e.etag), "%s", type);
	e.status = MHD_HTTP_OK;
	page_cache_put(key, &e);
	rc = send_image(conn, req, type, e.body, e.len, 300);
	free(e.body);
	json_decref(j);
	return rc;
}

/* GET /achievements/{id}/image */
unsigned int
images_handle_achievement(struct MHD_Connection *conn, http_request *req)
{
	return serve_image(conn, req, "achievement");
}

/* GET /issuers/{handle}/image */
unsigned int
images_handle_issuer(struct MHD_Connection *conn, http_request *req)
{
	return serve_image(conn, req, "issuer");
}

/* GET /credentials/{id}/qr.svg: the QR code of the URL the credential names as its id */
unsigned int
images_handle_qr(struct MHD_Connection *conn, http_request *req)
{
	db_resource r = {0};
	char		reason[64];
	json_t	   *doc;
	json_error_t err;
	sbuf		b = {0};
	unsigned int rc;

	if (db_public_resource(req->cfg->db_conninfo, req->cfg->db_timeout_ms, "credential", req->id, 0,
						   &r, reason, sizeof(reason)) != 0)
	{
		req->reason = db_reason_label(reason);
		return respond_text(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "temporarily unavailable\n");
	}
	if (r.status != MHD_HTTP_OK)
	{
		unsigned int st = r.status == MHD_HTTP_GONE ? MHD_HTTP_GONE : MHD_HTTP_NOT_FOUND;

		db_resource_free(&r);
		req->reason = st == MHD_HTTP_GONE ? "erased" : "unknown_id";
		return respond_text(conn, req, st, st == MHD_HTTP_GONE ? "erased\n" : "not found\n");
	}
	doc = json_loadb(r.body, r.body_len, 0, &err);
	db_resource_free(&r);
	if (doc == NULL || view_str(doc, "id") == NULL || qr_svg(&b, view_str(doc, "id"), view_str(doc, "id")) != 0 || b.oom)
	{
		json_decref(doc);
		free(b.data);
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot make the QR code\n");
	}
	json_decref(doc);
	sb_puts(&b, "\n");
	rc = send_image(conn, req, "image/svg+xml", b.data, b.len, 86400);
	free(b.data);
	return rc;
}
