/*-------------------------------------------------------------------------
 *
 * badge_svg.h
 *	  The generated badge image of a micro-credential or an awarding body
 *	  that has none of its own: an SVG with the title, the EQF level, the
 *	  ECTS credits and the issuer's name.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_BADGE_SVG_H
#define MC_BADGE_SVG_H

#include "strbuf.h"

/*
 * Append the badge: title (required), subtitle (e.g. "EQF 6 · 2 ECTS", may
 * be NULL), footer (the issuer's name, may be NULL).  Long texts are
 * wrapped and cut at character boundaries; everything is escaped.
 */
extern void badge_svg(sbuf *b, const char *title, const char *subtitle, const char *footer);

#endif							/* MC_BADGE_SVG_H */
