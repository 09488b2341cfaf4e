/*-------------------------------------------------------------------------
 *
 * page.c
 *	  The bridge's HTML pages (page.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#include <microhttpd.h>

#include "page.h"

void
page_begin(sbuf *b, const char *title, const char *view)
{
	sb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
	sb_html(b, title);
	sb_puts(b, "</title><style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;"
			"padding:0 1rem;line-height:1.5;color:#1b1b1b}h1{font-size:1.4rem}"
			".muted{color:#555}button{font:inherit;padding:.4rem .8rem;margin:.2rem 0;cursor:pointer}"
			"li{margin:.3rem 0}</style></head><body><main data-view=\"");
	sb_html(b, view);
	sb_puts(b, "\"");
}

unsigned int
page_send(struct MHD_Connection *conn, http_request *req, unsigned int status, sbuf *b)
{
	unsigned int rc;

	sb_puts(b, "</main></body></html>\n");
	if (b->oom)
	{
		free(b->data);
		return respond_text(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	{
		char		csp[200];

		/*
		 * pages hold no third-party content; scripts only with this
		 * response's random nonce, and none at all on a page without one
		 */
		snprintf(csp, sizeof(csp),
				 "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; "
				 "form-action 'self' https: http:; script-src %s%s%s",
				 req->script_nonce[0] ? "'nonce-" : "'none'", req->script_nonce,
				 req->script_nonce[0] ? "'" : "");
		http_add_header(req, "Content-Security-Policy", csp);
		http_add_header(req, "Referrer-Policy", "no-referrer");
	}
	rc = respond(conn, req, status, "text/html; charset=utf-8", b->data, b->len,
				 MHD_RESPMEM_MUST_COPY);
	free(b->data);
	return rc;
}

/* a CSP nonce for a page's one script */
void
make_script_nonce(http_request *req)
{
	unsigned char r[16];

	if (getrandom(r, sizeof(r), 0) != (ssize_t) sizeof(r))
	{
		req->script_nonce[0] = '\0';
		return;
	}
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(req->script_nonce + 2 * i, 3, "%02x", r[i]);
}
