/*-------------------------------------------------------------------------
 *
 * qr.c
 *	  QR codes as SVG (qr.h): libqrencode encodes, this file draws the dark
 *	  modules of each row as strokes of one path, so the image scales to any
 *	  size and stays small inline.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include <qrencode.h>

#include "qr.h"

#define QUIET 4

int
qr_svg(sbuf *b, const char *text, const char *label)
{
	QRcode	   *q;
	int			w;

	if (text == NULL || strlen(text) > 1000)
		return -1;
	q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (q == NULL)
		return -1;
	w = q->width + 2 * QUIET;
	sb_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
			  "shape-rendering=\"crispEdges\" role=\"img\"", w, w);
	if (label != NULL)
	{
		sb_puts(b, " aria-label=\"");
		sb_html(b, label);
		sb_puts(b, "\"");
	}
	/* each row's dark runs as strokes one module wide along the row's middle */
	sb_printf(b, "><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path stroke=\"#000\" d=\"", w, w);
	for (int y = 0; y < q->width; y++)
	{
		int			at = -1;	/* where the pen is in this row, -1: not yet in it */

		for (int x = 0; x < q->width; x++)
		{
			int			run = 0;

			while (x + run < q->width && (q->data[y * q->width + x + run] & 1))
				run++;
			if (run == 0)
				continue;
			if (at < 0)
				sb_printf(b, "M%d %d.5h%d", x + QUIET, y + QUIET, run);
			else
				sb_printf(b, "m%d 0h%d", x - at, run);
			at = x + run;
			x += run - 1;
		}
	}
	sb_puts(b, "\"/></svg>");
	QRcode_free(q);
	return 0;
}
