/*-------------------------------------------------------------------------
 *
 * i18n.h
 *	  The interface strings of the bridge's public pages in English, German
 *	  and French (i18n_catalog.c), the language chosen by Accept-Language.
 *	  Only the pages' own words are translated: a credential's texts stay
 *	  as issued.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MC_I18N_H
#define MC_I18N_H

typedef enum i18n_lang
{
	LANG_EN = 0,
	LANG_DE,
	LANG_FR,
	LANG__COUNT
} i18n_lang;

/* the language an Accept-Language header prefers among en, de, fr; en for none or garbage */
extern i18n_lang i18n_choose(const char *accept_language);

/* the BCP 47 tag of a language ("en", "de", "fr") */
extern const char *i18n_tag(i18n_lang lang);

/* the message of a key in a language (English when the key has no translation; the key itself when unknown) */
extern const char *i18n_msg(i18n_lang lang, const char *key);

#endif							/* MC_I18N_H */
