/*-------------------------------------------------------------------------
 *
 * qr.h
 *	  A QR code of a URL as SVG (libqrencode), inline on the printable
 *	  verification page and at /credentials/{id}/qr.svg.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_QR_H
#define MC_QR_H

#include "strbuf.h"

/*
 * Append an <svg> of text's QR code (error correction M, a 4-module quiet
 * zone, black on white) with the accessible name label (may be NULL).
 * 0, or -1 when text cannot be encoded (too long, out of memory).
 */
extern int	qr_svg(sbuf *b, const char *text, const char *label);

#endif							/* MC_QR_H */
