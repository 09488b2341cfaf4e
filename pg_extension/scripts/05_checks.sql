/*
 * microcred install script, 05_checks.sql: validation helpers.
 *
 * One place that turns a wrong value into an error that names the EU
 * element in plain words, says what was given and hints at what is allowed.
 * The API functions and the table triggers both call these, so a raw INSERT
 * gets the same message as microcred.define_credential().
 */

CREATE FUNCTION microcred._fail(code text, message text, detail text DEFAULT NULL, hint text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- echoed input ("%s" in the texts) is cut to 100 characters, and the
    -- texts to 500: an error never carries a caller's megabytes back
    message := left(regexp_replace(message, '"([^"]{100})[^"]+"', '"\1..."', 'g'), 500);
    detail := left(regexp_replace(detail, '"([^"]{100})[^"]+"', '"\1..."', 'g'), 500);
    IF detail IS NULL AND hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message;
    ELSIF detail IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message, HINT = hint;
    ELSIF hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message, DETAIL = detail;
    ELSE
        RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message, DETAIL = detail, HINT = hint;
    END IF;
END
$$;
COMMENT ON FUNCTION microcred._fail(text, text, text, text) IS
    'internal: raise an error with an SQLSTATE, message, detail and hint';

-- a required argument: NULL is an error naming it (so that, e.g., verify(NULL)
-- is not a row of NULLs that a WHERE NOT valid would miss)
CREATE FUNCTION microcred._not_null(element text, value anyelement)
RETURNS anyelement
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = format('%s must not be NULL', element),
            HINT = 'Pass a value; NULL has no meaning here.';
    END IF;
    RETURN value;
END
$$;
COMMENT ON FUNCTION microcred._not_null(text, anyelement) IS
    'internal: the value, or an error naming the element when it is NULL';

-- text that goes into signed credentials must be in Unicode NFC: a visually
-- identical string in another normal form canonicalizes to other bytes
CREATE FUNCTION microcred._check_nfc(element text, value text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NOT NULL AND NOT value IS NFC NORMALIZED THEN
        PERFORM microcred._fail('22023', element || ' is not in Unicode normalization form NFC',
            'It contains decomposed characters (e.g. "e" followed by a combining accent).',
            'Store normalized text: normalize(value, NFC).');
    END IF;
END
$$;
COMMENT ON FUNCTION microcred._check_nfc(text, text) IS 'internal: refuse text that is not in Unicode NFC';

-- a required free-text element: not NULL, not blank; returns it trimmed
CREATE FUNCTION microcred._required_text(element text, value text, hint text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NULL OR btrim(value) = '' THEN
        PERFORM microcred._fail('23502', element || ' is required',
            CASE WHEN value IS NULL THEN 'No value was given.' ELSE 'The value is empty.' END,
            hint);
    END IF;
    PERFORM microcred._check_nfc(element, value);
    RETURN btrim(value);
END
$$;
COMMENT ON FUNCTION microcred._required_text(text, text, text) IS
    'internal: check a mandatory text element is present and not blank';

CREATE FUNCTION microcred._check_eqf_level(level integer)
RETURNS microcred.eqf_level
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF level IS NOT NULL AND level NOT BETWEEN 1 AND 8 THEN
        PERFORM microcred._fail('22023', 'EQF level must be between 1 and 8',
            format('The value given was %s.', level),
            'Use the European Qualifications Framework level of the learning outcomes: 1 (basic) to 8 (doctoral).');
    END IF;
    RETURN level::microcred.eqf_level;
END
$$;
COMMENT ON FUNCTION microcred._check_eqf_level(integer) IS 'internal: validate an EQF level';

CREATE FUNCTION microcred._check_qf_ehea_cycle(cycle text)
RETURNS microcred.qf_ehea_cycle
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF cycle IS NOT NULL AND cycle NOT IN ('short', 'first', 'second', 'third') THEN
        PERFORM microcred._fail('22023', 'QF-EHEA cycle must be short, first, second or third',
            format('The value given was "%s".', cycle),
            'Use the cycle of the Qualifications Framework of the European Higher Education Area, in lower case.');
    END IF;
    RETURN cycle::microcred.qf_ehea_cycle;
END
$$;
COMMENT ON FUNCTION microcred._check_qf_ehea_cycle(text) IS 'internal: validate a QF-EHEA cycle';

CREATE FUNCTION microcred._check_ects(credits numeric)
RETURNS microcred.ects_credits
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF credits IS NULL THEN
        RETURN NULL;
    END IF;
    IF credits <= 0 OR credits > 999 THEN
        PERFORM microcred._fail('22023', 'ECTS credits must be greater than 0 and at most 999',
            format('The value given was %s.', credits),
            'Give the notional workload in ECTS credits, e.g. 5 or 2.5; leave it NULL and give workload hours when ECTS does not apply.');
    END IF;
    IF credits <> round(credits, 2) THEN
        PERFORM microcred._fail('22023', 'ECTS credits must have at most two decimals',
            format('The value given was %s.', credits),
            'Round the workload yourself (e.g. 1.25); microcred never rounds a credential value silently.');
    END IF;
    RETURN credits::microcred.ects_credits;
END
$$;
COMMENT ON FUNCTION microcred._check_ects(numeric) IS 'internal: validate ECTS credits';

CREATE FUNCTION microcred._check_country(code text)
RETURNS microcred.country_code
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF code IS NULL OR code = '' THEN
        PERFORM microcred._fail('23502', 'country of the awarding body is required',
            'No value was given.',
            'Give the ISO 3166-1 alpha-2 code of the issuer''s country, e.g. ''DE'' or ''FR''.');
    END IF;
    IF code !~ '^[A-Z]{2}$' THEN
        PERFORM microcred._fail('22023', 'country of the awarding body must be an ISO 3166-1 alpha-2 code in upper case',
            format('The value given was "%s".', code),
            CASE WHEN upper(code) ~ '^[A-Z]{2}$'
                 THEN format('Write it in upper case: ''%s''.', upper(code))
                 ELSE 'Use two upper-case letters, e.g. ''DE'', ''FR'', ''IE''.' END);
    END IF;
    IF NOT EXISTS (SELECT FROM microcred.country c WHERE c.code OPERATOR(pg_catalog.=) _check_country.code) THEN
        PERFORM microcred._fail('22023', format('country of the awarding body "%s" is not an ISO 3166-1 alpha-2 code', code),
            'The code is not in the ISO 3166-1 list (table microcred.country).',
            'Use an assigned code, e.g. ''DE'', ''FR'', ''IE'' (Greece is ''GR'', the United Kingdom ''GB'').');
    END IF;
    RETURN code::microcred.country_code;
END
$$;
COMMENT ON FUNCTION microcred._check_country(text) IS 'internal: validate an ISO 3166-1 alpha-2 country code';

-- the enum value of a closed vocabulary, or an error listing the allowed values
CREATE FUNCTION microcred._vocab(vocabulary regtype, element text, value text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    allowed text;
BEGIN
    IF value IS NULL THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT FROM pg_enum e WHERE e.enumtypid OPERATOR(pg_catalog.=) vocabulary
                                       AND e.enumlabel OPERATOR(pg_catalog.=) value) THEN
        RETURN value;
    END IF;
    SELECT string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) INTO allowed
      FROM pg_enum e WHERE e.enumtypid OPERATOR(pg_catalog.=) vocabulary;
    PERFORM microcred._fail('22023', format('%s "%s" is not a known value', element, value),
        format('The allowed values are: %s.', allowed),
        format('See the values and their Europass concepts with: SELECT * FROM microcred.vocabulary WHERE vocabulary = %L;',
               (SELECT t.typname FROM pg_type t WHERE t.oid OPERATOR(pg_catalog.=) vocabulary)));
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION microcred._vocab(regtype, text, text) IS
    'internal: check a value against a closed vocabulary (enum), naming the element on error';

/*
 * A badge image as given to define_credential() or set_issuer_image(): PNG
 * or SVG bytes, at most 256 kB; returns its media type.  An SVG must be
 * UTF-8 and self-contained and inert: no script, no event handler
 * attribute, no foreignObject, no reference outside itself (href, url(),
 * @import other than to a #fragment), no DOCTYPE or entity.  The bridge
 * serves it with a sandboxing CSP all the same.
 */
CREATE FUNCTION microcred._check_image(image bytea, field text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    svg     text;
    bad     text;
BEGIN
    IF image IS NULL THEN
        RETURN NULL;
    END IF;
    IF length(image) > 262144 THEN
        PERFORM microcred._fail('22023', format('%s is too large', field),
            format('It has %s bytes; at most 262144 (256 kB) are allowed.', length(image)),
            'Give a smaller PNG, or an SVG.');
    END IF;
    IF substr(image, 1, 8) = '\x89504e470d0a1a0a'::bytea THEN
        RETURN 'image/png';
    END IF;
    BEGIN
        svg := convert_from(image, 'UTF8');
    EXCEPTION WHEN OTHERS THEN
        svg := NULL;
    END;
    IF svg IS NULL OR svg !~* '^\s*(<\?xml[^>]*\?>\s*)?(<!--.*?-->\s*)*<svg[\s>]' THEN
        PERFORM microcred._fail('22023', format('%s must be a PNG or an SVG image', field),
            'The bytes given start neither with the PNG signature nor with an <svg> element.',
            'Give the file''s bytes, e.g. pg_read_binary_file(''badge.svg'') or a bytea parameter.');
    END IF;
    bad := CASE
        WHEN svg ~* '<\s*script' THEN 'a script element'
        WHEN svg ~* '<\s*foreignObject' THEN 'a foreignObject element'
        WHEN svg ~* '\son[a-z]+\s*=' THEN 'an event handler attribute (on...)'
        WHEN svg ~* '<!DOCTYPE|<!ENTITY' THEN 'a DOCTYPE or entity declaration'
        WHEN svg ~* 'href\s*=\s*["'']\s*[^#"''\s]' THEN 'a reference to another resource (href)'
        WHEN svg ~* 'url\s*\(\s*["'']?\s*[^#"''\s)]' THEN 'a reference to another resource (url())'
        WHEN svg ~* '@import' THEN 'a stylesheet import'
        WHEN svg ~* 'javascript:' THEN 'a javascript: URL'
        END;
    IF bad IS NOT NULL THEN
        PERFORM microcred._fail('22023', format('%s is an SVG with %s', field, bad),
            'Badge images must be inert and self-contained: no script, event handlers, foreignObject, DOCTYPE, or references outside the image.',
            'Remove it (most editors can export a plain SVG), or give a PNG.');
    END IF;
    RETURN 'image/svg+xml';
END
$$;
COMMENT ON FUNCTION microcred._check_image(bytea, text) IS
    'internal: check a badge image (PNG, or an inert self-contained SVG, at most 256 kB) and return its media type';
