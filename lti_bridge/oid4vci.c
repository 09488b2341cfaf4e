/*-------------------------------------------------------------------------
 *
 * oid4vci.c
 *	  Answers shared by the OpenID4VCI routes: JSON with Cache-Control
 *	  no-store (respond() adds it to every non-public answer), OAuth error
 *	  bodies (RFC 6749 section 5.2, RFC 6750 section 3, OpenID4VCI 1.0
 *	  section 8.3.1), and the Content-Type check.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "oid4vci.h"

unsigned int
oid4vci_json(struct MHD_Connection *conn, http_request *req, unsigned int status, const char *json)
{
	req->max_age = 0;			/* never cached: Cache-Control: no-store */
	return respond(conn, req, status, "application/json", json, strlen(json), MHD_RESPMEM_MUST_COPY);
}

unsigned int
oid4vci_error(struct MHD_Connection *conn, http_request *req, unsigned int status,
			  const char *error, const char *description)
{
	json_t	   *doc = json_pack("{s:s}", "error", error);
	char	   *text;
	unsigned int rc;

	if (doc != NULL && description != NULL)
	{
		char		clean[256];
		size_t		o = 0;

		/* error_description: %x20-21 / %x23-5B / %x5D-7E only */
		for (const char *p = description; *p && o + 1 < sizeof(clean); p++)
		{
			unsigned char ch = (unsigned char) *p;

			clean[o++] = (ch >= 0x20 && ch <= 0x7e && ch != '"' && ch != '\\') ? (char) ch : '\'';
		}
		clean[o] = '\0';
		json_object_set_new(doc, "error_description", json_string(clean));
	}
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (req->reason == NULL)
		req->reason = error;
	if (text == NULL)
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	rc = oid4vci_json(conn, req, status, text);
	free(text);
	return rc;
}

unsigned int
oid4vci_unavailable(struct MHD_Connection *conn, http_request *req, const char *reason)
{
	req->reason = db_reason_label(reason);
	http_add_header(req, MHD_HTTP_HEADER_RETRY_AFTER, "5");
	return oid4vci_error(conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "server_error",
						 "the credential issuer is temporarily unavailable");
}

int
oid4vci_content_type_is(struct MHD_Connection *conn, const char *type)
{
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t		n = strlen(type);

	if (ct == NULL || strncasecmp(ct, type, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}
