/*
 * microcred install script, part 0: closed vocabularies and domains.
 *
 * Every EU standard element with a closed list of values is an enum; the
 * mapping of each value to its Europass controlled-vocabulary concept is
 * in microcred.vocabulary (part 1).  Domains carry the numeric and format
 * rules; the API functions check the same rules first so that callers get
 * an error that names the element and a hint (see microcred._fail).
 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION microcred" to load this file. \quit

CREATE TYPE microcred.assessment_type AS ENUM (
    'written_exam',
    'oral_exam',
    'practical_demonstration',
    'project_work',
    'portfolio',
    'online_quiz',
    'peer_assessment',
    'continuous_assessment',
    'self_assessment',
    'recognition_of_prior_learning',
    'other'
);
COMMENT ON TYPE microcred.assessment_type IS
    'EU standard element "type of assessment" (Council Recommendation 2022/C 243/02, Annex I)';

CREATE TYPE microcred.participation_form AS ENUM ('online', 'onsite', 'blended');
COMMENT ON TYPE microcred.participation_form IS
    'EU standard element "form of participation in the learning activity"';

CREATE TYPE microcred.supervision AS ENUM (
    'unsupervised_no_id_verification',
    'supervised_no_id_verification',
    'supervised_online_id_verification',
    'supervised_onsite_id_verification'
);
COMMENT ON TYPE microcred.supervision IS
    'EU optional element "supervision and identity verification during assessment"';

CREATE TYPE microcred.integration AS ENUM ('stand_alone', 'stackable');
COMMENT ON TYPE microcred.integration IS
    'EU optional element "integration / stackability options": stand-alone, or stackable towards a larger credential';

CREATE TYPE microcred.quality_assurance AS ENUM (
    'internal',
    'external',
    'accreditation',
    'certification',
    'other'
);
COMMENT ON TYPE microcred.quality_assurance IS
    'EU standard element "type of quality assurance used to underpin the micro-credential"';

CREATE TYPE microcred.credential_status AS ENUM ('active', 'suspended', 'revoked');
COMMENT ON TYPE microcred.credential_status IS
    'lifecycle state of an issued credential (expiry is derived from valid_until, not stored)';

CREATE TYPE microcred.identifier_scheme AS ENUM (
    'national_register',
    'vat',
    'euid',
    'deqar',
    'erasmus_code',
    'pic',
    'lei',
    'other'
);
COMMENT ON TYPE microcred.identifier_scheme IS
    'legal identifier schemes of an awarding body (EU standard element "awarding body")';

CREATE DOMAIN microcred.eqf_level AS smallint
    CONSTRAINT eqf_level_between_1_and_8 CHECK (VALUE BETWEEN 1 AND 8);
COMMENT ON DOMAIN microcred.eqf_level IS 'European Qualifications Framework level, 1 to 8';

CREATE DOMAIN microcred.qf_ehea_cycle AS text
    CONSTRAINT qf_ehea_cycle_known CHECK (VALUE IN ('short', 'first', 'second', 'third'));
COMMENT ON DOMAIN microcred.qf_ehea_cycle IS
    'Qualifications Framework of the European Higher Education Area cycle: short, first, second or third';

CREATE DOMAIN microcred.ects_credits AS numeric
    CONSTRAINT ects_positive_at_most_two_decimals
    CHECK (VALUE > 0 AND VALUE <= 999 AND VALUE = round(VALUE, 2));
COMMENT ON DOMAIN microcred.ects_credits IS
    'ECTS credits: greater than 0, at most 999, at most two decimals (never rounded silently)';

CREATE DOMAIN microcred.country_code AS text
    CONSTRAINT country_code_two_upper_case_letters CHECK (VALUE ~ '^[A-Z]{2}$');
COMMENT ON DOMAIN microcred.country_code IS
    'ISO 3166-1 alpha-2 code in upper case; existence is checked against microcred.country';
/*
 * microcred install script, part 0.1: functions of the C module itself.
 */

CREATE FUNCTION microcred.version()
RETURNS text
LANGUAGE C STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_version';
COMMENT ON FUNCTION microcred.version() IS
    'version of the microcred library and of the OpenSSL it runs with';
/*
 * microcred install script, part 0.5: validation helpers.
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
 * microcred install script, part 1: the catalog.
 *
 * Reference data (countries, Europass vocabularies), awarding bodies
 * (issuers), learners (the only place with PII, so it can be erased),
 * micro-credential types with every EU standard element, and issued
 * credentials.  Every table that holds issuer data carries issuer_id, so it
 * can be protected by row-level security per issuer and distributed by
 * issuer (Citus) without cross-issuer joins.
 */

CREATE TABLE microcred.country (
    code    microcred.country_code PRIMARY KEY,
    alpha3  text NOT NULL UNIQUE CHECK (alpha3 ~ '^[A-Z]{3}$'),
    name    text NOT NULL
);
COMMENT ON TABLE microcred.country IS
    'ISO 3166-1 countries (from Debian iso-codes 4.15); alpha-3 is what Europass country URIs use';

INSERT INTO microcred.country (code, alpha3, name) VALUES
    ('AD', 'AND', 'Andorra'),
    ('AE', 'ARE', 'United Arab Emirates'),
    ('AF', 'AFG', 'Afghanistan'),
    ('AG', 'ATG', 'Antigua and Barbuda'),
    ('AI', 'AIA', 'Anguilla'),
    ('AL', 'ALB', 'Albania'),
    ('AM', 'ARM', 'Armenia'),
    ('AO', 'AGO', 'Angola'),
    ('AQ', 'ATA', 'Antarctica'),
    ('AR', 'ARG', 'Argentina'),
    ('AS', 'ASM', 'American Samoa'),
    ('AT', 'AUT', 'Austria'),
    ('AU', 'AUS', 'Australia'),
    ('AW', 'ABW', 'Aruba'),
    ('AX', 'ALA', 'Åland Islands'),
    ('AZ', 'AZE', 'Azerbaijan'),
    ('BA', 'BIH', 'Bosnia and Herzegovina'),
    ('BB', 'BRB', 'Barbados'),
    ('BD', 'BGD', 'Bangladesh'),
    ('BE', 'BEL', 'Belgium'),
    ('BF', 'BFA', 'Burkina Faso'),
    ('BG', 'BGR', 'Bulgaria'),
    ('BH', 'BHR', 'Bahrain'),
    ('BI', 'BDI', 'Burundi'),
    ('BJ', 'BEN', 'Benin'),
    ('BL', 'BLM', 'Saint Barthélemy'),
    ('BM', 'BMU', 'Bermuda'),
    ('BN', 'BRN', 'Brunei Darussalam'),
    ('BO', 'BOL', 'Bolivia'),
    ('BQ', 'BES', 'Bonaire, Sint Eustatius and Saba'),
    ('BR', 'BRA', 'Brazil'),
    ('BS', 'BHS', 'Bahamas'),
    ('BT', 'BTN', 'Bhutan'),
    ('BV', 'BVT', 'Bouvet Island'),
    ('BW', 'BWA', 'Botswana'),
    ('BY', 'BLR', 'Belarus'),
    ('BZ', 'BLZ', 'Belize'),
    ('CA', 'CAN', 'Canada'),
    ('CC', 'CCK', 'Cocos (Keeling) Islands'),
    ('CD', 'COD', 'Congo, The Democratic Republic of the'),
    ('CF', 'CAF', 'Central African Republic'),
    ('CG', 'COG', 'Congo'),
    ('CH', 'CHE', 'Switzerland'),
    ('CI', 'CIV', 'Côte d''Ivoire'),
    ('CK', 'COK', 'Cook Islands'),
    ('CL', 'CHL', 'Chile'),
    ('CM', 'CMR', 'Cameroon'),
    ('CN', 'CHN', 'China'),
    ('CO', 'COL', 'Colombia'),
    ('CR', 'CRI', 'Costa Rica'),
    ('CU', 'CUB', 'Cuba'),
    ('CV', 'CPV', 'Cabo Verde'),
    ('CW', 'CUW', 'Curaçao'),
    ('CX', 'CXR', 'Christmas Island'),
    ('CY', 'CYP', 'Cyprus'),
    ('CZ', 'CZE', 'Czechia'),
    ('DE', 'DEU', 'Germany'),
    ('DJ', 'DJI', 'Djibouti'),
    ('DK', 'DNK', 'Denmark'),
    ('DM', 'DMA', 'Dominica'),
    ('DO', 'DOM', 'Dominican Republic'),
    ('DZ', 'DZA', 'Algeria'),
    ('EC', 'ECU', 'Ecuador'),
    ('EE', 'EST', 'Estonia'),
    ('EG', 'EGY', 'Egypt'),
    ('EH', 'ESH', 'Western Sahara'),
    ('ER', 'ERI', 'Eritrea'),
    ('ES', 'ESP', 'Spain'),
    ('ET', 'ETH', 'Ethiopia'),
    ('FI', 'FIN', 'Finland'),
    ('FJ', 'FJI', 'Fiji'),
    ('FK', 'FLK', 'Falkland Islands (Malvinas)'),
    ('FM', 'FSM', 'Micronesia, Federated States of'),
    ('FO', 'FRO', 'Faroe Islands'),
    ('FR', 'FRA', 'France'),
    ('GA', 'GAB', 'Gabon'),
    ('GB', 'GBR', 'United Kingdom'),
    ('GD', 'GRD', 'Grenada'),
    ('GE', 'GEO', 'Georgia'),
    ('GF', 'GUF', 'French Guiana'),
    ('GG', 'GGY', 'Guernsey'),
    ('GH', 'GHA', 'Ghana'),
    ('GI', 'GIB', 'Gibraltar'),
    ('GL', 'GRL', 'Greenland'),
    ('GM', 'GMB', 'Gambia'),
    ('GN', 'GIN', 'Guinea'),
    ('GP', 'GLP', 'Guadeloupe'),
    ('GQ', 'GNQ', 'Equatorial Guinea'),
    ('GR', 'GRC', 'Greece'),
    ('GS', 'SGS', 'South Georgia and the South Sandwich Islands'),
    ('GT', 'GTM', 'Guatemala'),
    ('GU', 'GUM', 'Guam'),
    ('GW', 'GNB', 'Guinea-Bissau'),
    ('GY', 'GUY', 'Guyana'),
    ('HK', 'HKG', 'Hong Kong'),
    ('HM', 'HMD', 'Heard Island and McDonald Islands'),
    ('HN', 'HND', 'Honduras'),
    ('HR', 'HRV', 'Croatia'),
    ('HT', 'HTI', 'Haiti'),
    ('HU', 'HUN', 'Hungary'),
    ('ID', 'IDN', 'Indonesia'),
    ('IE', 'IRL', 'Ireland'),
    ('IL', 'ISR', 'Israel'),
    ('IM', 'IMN', 'Isle of Man'),
    ('IN', 'IND', 'India'),
    ('IO', 'IOT', 'British Indian Ocean Territory'),
    ('IQ', 'IRQ', 'Iraq'),
    ('IR', 'IRN', 'Iran'),
    ('IS', 'ISL', 'Iceland'),
    ('IT', 'ITA', 'Italy'),
    ('JE', 'JEY', 'Jersey'),
    ('JM', 'JAM', 'Jamaica'),
    ('JO', 'JOR', 'Jordan'),
    ('JP', 'JPN', 'Japan'),
    ('KE', 'KEN', 'Kenya'),
    ('KG', 'KGZ', 'Kyrgyzstan'),
    ('KH', 'KHM', 'Cambodia'),
    ('KI', 'KIR', 'Kiribati'),
    ('KM', 'COM', 'Comoros'),
    ('KN', 'KNA', 'Saint Kitts and Nevis'),
    ('KP', 'PRK', 'North Korea'),
    ('KR', 'KOR', 'South Korea'),
    ('KW', 'KWT', 'Kuwait'),
    ('KY', 'CYM', 'Cayman Islands'),
    ('KZ', 'KAZ', 'Kazakhstan'),
    ('LA', 'LAO', 'Laos'),
    ('LB', 'LBN', 'Lebanon'),
    ('LC', 'LCA', 'Saint Lucia'),
    ('LI', 'LIE', 'Liechtenstein'),
    ('LK', 'LKA', 'Sri Lanka'),
    ('LR', 'LBR', 'Liberia'),
    ('LS', 'LSO', 'Lesotho'),
    ('LT', 'LTU', 'Lithuania'),
    ('LU', 'LUX', 'Luxembourg'),
    ('LV', 'LVA', 'Latvia'),
    ('LY', 'LBY', 'Libya'),
    ('MA', 'MAR', 'Morocco'),
    ('MC', 'MCO', 'Monaco'),
    ('MD', 'MDA', 'Moldova'),
    ('ME', 'MNE', 'Montenegro'),
    ('MF', 'MAF', 'Saint Martin (French part)'),
    ('MG', 'MDG', 'Madagascar'),
    ('MH', 'MHL', 'Marshall Islands'),
    ('MK', 'MKD', 'North Macedonia'),
    ('ML', 'MLI', 'Mali'),
    ('MM', 'MMR', 'Myanmar'),
    ('MN', 'MNG', 'Mongolia'),
    ('MO', 'MAC', 'Macao'),
    ('MP', 'MNP', 'Northern Mariana Islands'),
    ('MQ', 'MTQ', 'Martinique'),
    ('MR', 'MRT', 'Mauritania'),
    ('MS', 'MSR', 'Montserrat'),
    ('MT', 'MLT', 'Malta'),
    ('MU', 'MUS', 'Mauritius'),
    ('MV', 'MDV', 'Maldives'),
    ('MW', 'MWI', 'Malawi'),
    ('MX', 'MEX', 'Mexico'),
    ('MY', 'MYS', 'Malaysia'),
    ('MZ', 'MOZ', 'Mozambique'),
    ('NA', 'NAM', 'Namibia'),
    ('NC', 'NCL', 'New Caledonia'),
    ('NE', 'NER', 'Niger'),
    ('NF', 'NFK', 'Norfolk Island'),
    ('NG', 'NGA', 'Nigeria'),
    ('NI', 'NIC', 'Nicaragua'),
    ('NL', 'NLD', 'Netherlands'),
    ('NO', 'NOR', 'Norway'),
    ('NP', 'NPL', 'Nepal'),
    ('NR', 'NRU', 'Nauru'),
    ('NU', 'NIU', 'Niue'),
    ('NZ', 'NZL', 'New Zealand'),
    ('OM', 'OMN', 'Oman'),
    ('PA', 'PAN', 'Panama'),
    ('PE', 'PER', 'Peru'),
    ('PF', 'PYF', 'French Polynesia'),
    ('PG', 'PNG', 'Papua New Guinea'),
    ('PH', 'PHL', 'Philippines'),
    ('PK', 'PAK', 'Pakistan'),
    ('PL', 'POL', 'Poland'),
    ('PM', 'SPM', 'Saint Pierre and Miquelon'),
    ('PN', 'PCN', 'Pitcairn'),
    ('PR', 'PRI', 'Puerto Rico'),
    ('PS', 'PSE', 'Palestine, State of'),
    ('PT', 'PRT', 'Portugal'),
    ('PW', 'PLW', 'Palau'),
    ('PY', 'PRY', 'Paraguay'),
    ('QA', 'QAT', 'Qatar'),
    ('RE', 'REU', 'Réunion'),
    ('RO', 'ROU', 'Romania'),
    ('RS', 'SRB', 'Serbia'),
    ('RU', 'RUS', 'Russian Federation'),
    ('RW', 'RWA', 'Rwanda'),
    ('SA', 'SAU', 'Saudi Arabia'),
    ('SB', 'SLB', 'Solomon Islands'),
    ('SC', 'SYC', 'Seychelles'),
    ('SD', 'SDN', 'Sudan'),
    ('SE', 'SWE', 'Sweden'),
    ('SG', 'SGP', 'Singapore'),
    ('SH', 'SHN', 'Saint Helena, Ascension and Tristan da Cunha'),
    ('SI', 'SVN', 'Slovenia'),
    ('SJ', 'SJM', 'Svalbard and Jan Mayen'),
    ('SK', 'SVK', 'Slovakia'),
    ('SL', 'SLE', 'Sierra Leone'),
    ('SM', 'SMR', 'San Marino'),
    ('SN', 'SEN', 'Senegal'),
    ('SO', 'SOM', 'Somalia'),
    ('SR', 'SUR', 'Suriname'),
    ('SS', 'SSD', 'South Sudan'),
    ('ST', 'STP', 'Sao Tome and Principe'),
    ('SV', 'SLV', 'El Salvador'),
    ('SX', 'SXM', 'Sint Maarten (Dutch part)'),
    ('SY', 'SYR', 'Syria'),
    ('SZ', 'SWZ', 'Eswatini'),
    ('TC', 'TCA', 'Turks and Caicos Islands'),
    ('TD', 'TCD', 'Chad'),
    ('TF', 'ATF', 'French Southern Territories'),
    ('TG', 'TGO', 'Togo'),
    ('TH', 'THA', 'Thailand'),
    ('TJ', 'TJK', 'Tajikistan'),
    ('TK', 'TKL', 'Tokelau'),
    ('TL', 'TLS', 'Timor-Leste'),
    ('TM', 'TKM', 'Turkmenistan'),
    ('TN', 'TUN', 'Tunisia'),
    ('TO', 'TON', 'Tonga'),
    ('TR', 'TUR', 'Türkiye'),
    ('TT', 'TTO', 'Trinidad and Tobago'),
    ('TV', 'TUV', 'Tuvalu'),
    ('TW', 'TWN', 'Taiwan'),
    ('TZ', 'TZA', 'Tanzania'),
    ('UA', 'UKR', 'Ukraine'),
    ('UG', 'UGA', 'Uganda'),
    ('UM', 'UMI', 'United States Minor Outlying Islands'),
    ('US', 'USA', 'United States'),
    ('UY', 'URY', 'Uruguay'),
    ('UZ', 'UZB', 'Uzbekistan'),
    ('VA', 'VAT', 'Holy See (Vatican City State)'),
    ('VC', 'VCT', 'Saint Vincent and the Grenadines'),
    ('VE', 'VEN', 'Venezuela'),
    ('VG', 'VGB', 'Virgin Islands, British'),
    ('VI', 'VIR', 'Virgin Islands, U.S.'),
    ('VN', 'VNM', 'Vietnam'),
    ('VU', 'VUT', 'Vanuatu'),
    ('WF', 'WLF', 'Wallis and Futuna'),
    ('WS', 'WSM', 'Samoa'),
    ('YE', 'YEM', 'Yemen'),
    ('YT', 'MYT', 'Mayotte'),
    ('ZA', 'ZAF', 'South Africa'),
    ('ZM', 'ZMB', 'Zambia'),
    ('ZW', 'ZWE', 'Zimbabwe');

CREATE TABLE microcred.vocabulary (
    vocabulary  name NOT NULL,
    value       text NOT NULL,
    label       text NOT NULL,
    concept_uri text,
    scheme_uri  text,
    PRIMARY KEY (vocabulary, value)
);
COMMENT ON TABLE microcred.vocabulary IS
    'each closed-vocabulary value with its label and, where one exists, its Europass (ELM) controlled-vocabulary concept URI; the document builder maps enum values through this table';
COMMENT ON COLUMN microcred.vocabulary.concept_uri IS
    'Europass concept URI; NULL where no concept of the Europass list matches the value (the scheme URI is still given)';

INSERT INTO microcred.vocabulary (vocabulary, value, label, concept_uri, scheme_uri) VALUES
    ('assessment_type', 'written_exam', 'Written examination', 'http://data.europa.eu/snb/assessment/6e6cb2cc78', 'http://data.europa.eu/snb/assessment/25831c2'),
    ('assessment_type', 'oral_exam', 'Oral examination', 'http://data.europa.eu/snb/assessment/d30284d7df', 'http://data.europa.eu/snb/assessment/25831c2'),
    ('assessment_type', 'practical_demonstration', 'Practical assessment', 'http://data.europa.eu/snb/assessment/6a4db9f11d', 'http://data.europa.eu/snb/assessment/25831c2'),
    ('assessment_type', 'project_work', 'Project work', 'http://data.europa.eu/snb/assessment/795dac4096', 'http://data.europa.eu/snb/assessment/25831c2'),
    ('assessment_type', 'portfolio', 'Portfolio', 'http://data.europa.eu/snb/assessment/4f03b91c0e', 'http://data.europa.eu/snb/assessment/25831c2'),
    ('assessment_type', 'online_quiz', 'Quiz', 'http://data.europa.eu/snb/assessment/b1b68f6735', 'http://data.europa.eu/snb/assessment/25831c2'),
    ('assessment_type', 'peer_assessment', 'Peer assessment', 'http://data.europa.eu/snb/assessment/19a2e5e671', 'http://data.europa.eu/snb/assessment/25831c2'),
    ('assessment_type', 'continuous_assessment', 'Continuous evaluation', 'http://data.europa.eu/snb/assessment/3484bd7e51', 'http://data.europa.eu/snb/assessment/25831c2'),
    ('assessment_type', 'self_assessment', 'Self-assessment', 'http://data.europa.eu/snb/assessment/c_2b3bd410', 'http://data.europa.eu/snb/assessment/25831c2'),
    ('assessment_type', 'recognition_of_prior_learning', 'Recognition of prior learning', NULL, 'http://data.europa.eu/snb/assessment/25831c2'),
    ('assessment_type', 'other', 'Other', NULL, 'http://data.europa.eu/snb/assessment/25831c2'),
    ('participation_form', 'online', 'Online', 'http://data.europa.eu/snb/learning-assessment/920fbb3cbe', 'http://data.europa.eu/snb/learning-assessment/25831c2'),
    ('participation_form', 'onsite', 'Presential (onsite)', 'http://data.europa.eu/snb/learning-assessment/9191af2ed9', 'http://data.europa.eu/snb/learning-assessment/25831c2'),
    ('participation_form', 'blended', 'Blended', 'http://data.europa.eu/snb/learning-assessment/e92d221e4d', 'http://data.europa.eu/snb/learning-assessment/25831c2'),
    ('supervision', 'unsupervised_no_id_verification', 'Unsupervised, no identity verification', NULL, 'http://data.europa.eu/snb/supervision-verification/25831c2'),
    ('supervision', 'supervised_no_id_verification', 'Supervised, no identity verification', NULL, 'http://data.europa.eu/snb/supervision-verification/25831c2'),
    ('supervision', 'supervised_online_id_verification', 'Supervised online, with identity verification', NULL, 'http://data.europa.eu/snb/supervision-verification/25831c2'),
    ('supervision', 'supervised_onsite_id_verification', 'Supervised onsite, with identity verification', NULL, 'http://data.europa.eu/snb/supervision-verification/25831c2'),
    ('integration', 'stand_alone', 'Stand-alone', NULL, NULL),
    ('integration', 'stackable', 'Stackable towards another credential', NULL, NULL),
    ('quality_assurance', 'internal', 'Internal quality assurance', NULL, NULL),
    ('quality_assurance', 'external', 'External quality assurance', NULL, NULL),
    ('quality_assurance', 'accreditation', 'Accreditation', NULL, 'http://data.europa.eu/snb/accreditation/25831c2'),
    ('quality_assurance', 'certification', 'Certification', NULL, NULL),
    ('quality_assurance', 'other', 'Other', NULL, NULL),
    ('eqf_level', '1', 'EQF level 1', 'http://data.europa.eu/snb/eqf/1', 'http://data.europa.eu/snb/eqf/25831c2'),
    ('eqf_level', '2', 'EQF level 2', 'http://data.europa.eu/snb/eqf/2', 'http://data.europa.eu/snb/eqf/25831c2'),
    ('eqf_level', '3', 'EQF level 3', 'http://data.europa.eu/snb/eqf/3', 'http://data.europa.eu/snb/eqf/25831c2'),
    ('eqf_level', '4', 'EQF level 4', 'http://data.europa.eu/snb/eqf/4', 'http://data.europa.eu/snb/eqf/25831c2'),
    ('eqf_level', '5', 'EQF level 5', 'http://data.europa.eu/snb/eqf/5', 'http://data.europa.eu/snb/eqf/25831c2'),
    ('eqf_level', '6', 'EQF level 6', 'http://data.europa.eu/snb/eqf/6', 'http://data.europa.eu/snb/eqf/25831c2'),
    ('eqf_level', '7', 'EQF level 7', 'http://data.europa.eu/snb/eqf/7', 'http://data.europa.eu/snb/eqf/25831c2'),
    ('eqf_level', '8', 'EQF level 8', 'http://data.europa.eu/snb/eqf/8', 'http://data.europa.eu/snb/eqf/25831c2'),
    ('qf_ehea_cycle', 'short', 'QF-EHEA short cycle', NULL, NULL),
    ('qf_ehea_cycle', 'first', 'QF-EHEA first cycle', NULL, NULL),
    ('qf_ehea_cycle', 'second', 'QF-EHEA second cycle', NULL, NULL),
    ('qf_ehea_cycle', 'third', 'QF-EHEA third cycle', NULL, NULL);

-- awarding bodies ---------------------------------------------------------

CREATE TABLE microcred.issuer (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    handle          text NOT NULL UNIQUE
                    CONSTRAINT issuer_handle_format CHECK (handle ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    legal_name      text NOT NULL CONSTRAINT issuer_legal_name_not_blank CHECK (btrim(legal_name) <> ''),
    country         microcred.country_code NOT NULL REFERENCES microcred.country (code),
    region          text,
    url             text CONSTRAINT issuer_url_http CHECK (url ~ '^https?://'),
    email           text CONSTRAINT issuer_email_format CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    phone           text,
    public_id       text NOT NULL UNIQUE
                    CONSTRAINT issuer_public_id_is_uri CHECK (public_id ~ '^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$'),
    base_url        text CONSTRAINT issuer_base_url_https CHECK (base_url ~ '^(https://[A-Za-z0-9.-]+|http://(127\.0\.0\.1|localhost))(:[0-9]{1,5})?(/[A-Za-z0-9._~%!$&*+,;=:@-]+)*$'),
    created_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE microcred.issuer IS 'awarding bodies (EU elements "awarding body" and "country/region of the issuer")';
COMMENT ON COLUMN microcred.issuer.handle IS 'short lower-case name used in URLs and by the bridge';
COMMENT ON COLUMN microcred.issuer.public_id IS 'the issuer id (URI) written into credentials as issuer.id';
COMMENT ON COLUMN microcred.issuer.base_url IS 'public base URL (no trailing slash) under which credentials, keys and status lists are served';

CREATE TABLE microcred.issuer_identifier (
    issuer_id   uuid NOT NULL REFERENCES microcred.issuer (id) ON DELETE CASCADE,
    scheme      microcred.identifier_scheme NOT NULL,
    value       text NOT NULL CONSTRAINT issuer_identifier_not_blank CHECK (btrim(value) <> ''),
    PRIMARY KEY (issuer_id, scheme, value)
);
COMMENT ON TABLE microcred.issuer_identifier IS
    'legal identifiers of an awarding body (register number, VAT, EUID, DEQAR id, ...), written to issuer.otherIdentifier';

-- learners (all PII lives here and nowhere else) ---------------------------

CREATE TABLE microcred.learner (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    issuer_id       uuid NOT NULL REFERENCES microcred.issuer (id),
    given_name      text,
    family_name     text,
    email           text CONSTRAINT learner_email_format CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    student_id      text CONSTRAINT learner_student_id_not_blank CHECK (btrim(student_id) <> ''),
    date_of_birth   date CONSTRAINT learner_date_of_birth_plausible CHECK (date_of_birth > '1900-01-01' AND date_of_birth < '2100-01-01'),
    holder_did      text CONSTRAINT learner_holder_did_format CHECK (holder_did ~ '^did:[a-z0-9]+:\S+$'),
    name_in_credential boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    erased_at       timestamptz,
    UNIQUE (issuer_id, id),
    CONSTRAINT learner_identified
        CHECK (erased_at IS NOT NULL OR email IS NOT NULL OR student_id IS NOT NULL OR holder_did IS NOT NULL)
);
CREATE UNIQUE INDEX learner_email_per_issuer ON microcred.learner (issuer_id, lower(email)) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX learner_student_id_per_issuer ON microcred.learner (issuer_id, student_id) WHERE student_id IS NOT NULL;
COMMENT ON TABLE microcred.learner IS
    'learners (EU element "identification of the learner"); the only table with personal data, so erasure is one row';
COMMENT ON COLUMN microcred.learner.name_in_credential IS
    'whether the learner''s name may be written into credentials (credentialSubject.name); otherwise only salted hashes are';

CREATE TABLE microcred.learner_identifier (
    issuer_id   uuid NOT NULL,
    learner_id  uuid NOT NULL,
    kind        text NOT NULL CONSTRAINT learner_identifier_kind CHECK (kind IN ('lms', 'national_id', 'other')),
    platform    text NOT NULL DEFAULT '',
    value       text NOT NULL CONSTRAINT learner_identifier_not_blank CHECK (btrim(value) <> ''),
    PRIMARY KEY (issuer_id, kind, platform, value),
    FOREIGN KEY (issuer_id, learner_id) REFERENCES microcred.learner (issuer_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE microcred.learner_identifier IS
    'further learner identifiers, e.g. the user id on an LMS platform (kind lms, platform = LMS issuer URL)';

-- micro-credential types ------------------------------------------------------

CREATE TABLE microcred.credential_type (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    issuer_id           uuid NOT NULL REFERENCES microcred.issuer (id),
    code                text NOT NULL CONSTRAINT credential_type_code_format CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    title               text NOT NULL,
    description         text NOT NULL,
    ects                microcred.ects_credits,
    workload_hours      numeric CONSTRAINT credential_type_hours_positive CHECK (workload_hours > 0 AND workload_hours = round(workload_hours, 2)),
    eqf_level           microcred.eqf_level,
    qf_ehea_cycle       microcred.qf_ehea_cycle,
    assessment          microcred.assessment_type[] NOT NULL,
    participation       microcred.participation_form NOT NULL,
    synchronous         boolean,
    quality_assurance   microcred.quality_assurance NOT NULL,
    quality_assurance_body text,
    quality_assurance_url  text CONSTRAINT credential_type_qa_url_http CHECK (quality_assurance_url ~ '^https?://'),
    prerequisites       text,
    supervision         microcred.supervision,
    integration         microcred.integration NOT NULL DEFAULT 'stand_alone',
    stackable_towards   text,
    languages           text[] CONSTRAINT credential_type_languages_bcp47
                        CHECK (array_position(languages, NULL) IS NULL
                               AND pg_catalog.array_to_string(languages, ' ') ~ '^([a-z]{2,3}(-[A-Za-z0-9]{2,8})*( |$))+$'),
    validity_period     interval CONSTRAINT credential_type_validity_positive CHECK (validity_period > interval '0'),
    grading_scheme      text,
    further_information text,
    info_url            text CONSTRAINT credential_type_info_url_http CHECK (info_url ~ '^https?://'),
    human_code          text,
    achievement_type    text NOT NULL DEFAULT 'MicroCredential',
    allow_repeats       boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    retired_at          timestamptz,
    UNIQUE (issuer_id, code),
    UNIQUE (issuer_id, id)
);
COMMENT ON TABLE microcred.credential_type IS
    'micro-credential types: one row per credential an issuer awards, with every EU standard element (see README, "EU standard elements")';
COMMENT ON COLUMN microcred.credential_type.ects IS 'EU element "notional workload" in ECTS credits (NULL when ECTS does not apply; then workload_hours)';
COMMENT ON COLUMN microcred.credential_type.eqf_level IS 'EU element "level": EQF level (this or qf_ehea_cycle is required)';
COMMENT ON COLUMN microcred.credential_type.assessment IS 'EU element "type of assessment" (one or more)';
COMMENT ON COLUMN microcred.credential_type.participation IS 'EU element "form of participation"; synchronous tells synchronous/asynchronous when known';
COMMENT ON COLUMN microcred.credential_type.quality_assurance IS 'EU element "type of quality assurance"; the body and its URL in the next columns';
COMMENT ON COLUMN microcred.credential_type.prerequisites IS 'EU optional element "prerequisites needed to enrol"';
COMMENT ON COLUMN microcred.credential_type.supervision IS 'EU optional element "supervision and identity verification during assessment"';
COMMENT ON COLUMN microcred.credential_type.integration IS 'EU optional element "integration / stackability options"';
COMMENT ON COLUMN microcred.credential_type.validity_period IS 'credentials of this type expire this long after issue (validUntil); NULL = no expiry';
COMMENT ON COLUMN microcred.credential_type.further_information IS 'EU optional element "further information"';
COMMENT ON COLUMN microcred.credential_type.achievement_type IS 'Open Badges 3.0 achievementType, MicroCredential by default';

CREATE TABLE microcred.learning_outcome (
    issuer_id           uuid NOT NULL,
    credential_type_id  uuid NOT NULL,
    position            integer NOT NULL CHECK (position > 0),
    description         text NOT NULL CONSTRAINT learning_outcome_not_blank CHECK (btrim(description) <> ''),
    esco_uri            text CONSTRAINT learning_outcome_esco_uri CHECK (esco_uri ~ '^http://data\.europa\.eu/esco/(skill|occupation|isco)/\S+$'),
    PRIMARY KEY (credential_type_id, position),
    FOREIGN KEY (issuer_id, credential_type_id) REFERENCES microcred.credential_type (issuer_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE microcred.learning_outcome IS
    'EU element "learning outcomes": one row per outcome, optionally aligned to an ESCO skill URI';

-- issued credentials ------------------------------------------------------------

CREATE TABLE microcred.issued_credential (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    issuer_id           uuid NOT NULL,
    credential_type_id  uuid NOT NULL,
    learner_id          uuid NOT NULL,
    issued_at           timestamptz NOT NULL DEFAULT now(),
    awarded_date        timestamptz NOT NULL DEFAULT now(),
    valid_from          timestamptz NOT NULL DEFAULT now(),
    valid_until         timestamptz,
    grade               text CONSTRAINT issued_credential_grade_not_blank CHECK (btrim(grade) <> ''),
    evidence            jsonb CONSTRAINT issued_credential_evidence_array CHECK (jsonb_typeof(evidence) = 'array'),
    status              microcred.credential_status NOT NULL DEFAULT 'active',
    status_reason       text,
    status_changed_at   timestamptz,
    idempotency_key     text CONSTRAINT issued_credential_idempotency_key_not_blank CHECK (btrim(idempotency_key) <> ''),
    supersedes          uuid REFERENCES microcred.issued_credential (id),
    superseded_by       uuid REFERENCES microcred.issued_credential (id),
    proof_format        text,
    document            jsonb,
    CONSTRAINT issued_credential_validity_order CHECK (valid_until IS NULL OR valid_until > valid_from),
    CONSTRAINT issued_credential_idempotency_key_unique UNIQUE (issuer_id, idempotency_key),
    FOREIGN KEY (issuer_id, credential_type_id) REFERENCES microcred.credential_type (issuer_id, id),
    FOREIGN KEY (issuer_id, learner_id) REFERENCES microcred.learner (issuer_id, id)
);
ALTER TABLE microcred.issued_credential ALTER COLUMN document SET COMPRESSION lz4;  -- pglz costs more than signing
-- Both carry all three columns: issue's one-per-learner-and-type check and
-- the LTI learner page look up (issuer, learner, type), and whichever index
-- the planner picks (on stale statistics it took (issuer, type) and filtered
-- every credential of a popular type) must then find the rows directly.
-- The prefixes serve per-learner and per-type queries.
CREATE INDEX issued_credential_learner ON microcred.issued_credential (issuer_id, learner_id, credential_type_id);
CREATE INDEX issued_credential_type ON microcred.issued_credential (issuer_id, credential_type_id, learner_id);
COMMENT ON TABLE microcred.issued_credential IS
    'issued micro-credentials; the signed document never changes after issue (corrections supersede)';
COMMENT ON COLUMN microcred.issued_credential.idempotency_key IS
    'caller-supplied key (e.g. an LMS event id); unique per issuer, so a retried issue returns the same credential';
COMMENT ON COLUMN microcred.issued_credential.document IS 'the signed credential document, stored once at issue';
/*
 * microcred install script, part 2: rules the tables enforce on every path.
 *
 * Triggers give raw INSERTs and UPDATEs the same element-naming errors as the
 * API functions, refuse incomplete credential types at commit, and keep issued
 * credentials immutable.
 */

-- every mandatory EU element of a credential type, checked before it is stored
CREATE FUNCTION microcred._credential_type_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.title := microcred._required_text('title of the micro-credential', NEW.title,
        'Give the title learners and employers will see, e.g. ''Data Protection for Nurses''.');
    NEW.description := microcred._required_text('description of the micro-credential', NEW.description,
        'Describe in a sentence or two what the learner did and can now do; Open Badges 3.0 requires it.');
    IF NEW.ects IS NULL AND NEW.workload_hours IS NULL THEN
        PERFORM microcred._fail('23502', 'notional workload is required',
            'Neither ECTS credits nor workload hours were given.',
            'Give ects (e.g. 2.5) or, where ECTS does not apply, workload_hours.');
    END IF;
    IF NEW.eqf_level IS NULL AND NEW.qf_ehea_cycle IS NULL THEN
        PERFORM microcred._fail('23502', 'level of the micro-credential is required',
            'Neither an EQF level nor a QF-EHEA cycle was given.',
            'Give eqf_level (1 to 8) and, for higher education, qf_ehea_cycle (short, first, second, third).');
    END IF;
    IF NEW.assessment IS NULL OR cardinality(NEW.assessment) = 0
       OR array_position(NEW.assessment, NULL) IS NOT NULL THEN
        PERFORM microcred._fail('23502', 'type of assessment is required',
            'No assessment type was given.',
            'Give one or more of: ' || array_to_string(enum_range(NULL::microcred.assessment_type), ', ') || '.');
    END IF;
    IF NEW.quality_assurance IN ('external', 'accreditation', 'certification')
       AND (NEW.quality_assurance_body IS NULL OR btrim(NEW.quality_assurance_body) = '') THEN
        PERFORM microcred._fail('23502', 'body responsible for quality assurance is required',
            format('Quality assurance "%s" names no body.', NEW.quality_assurance),
            'Give quality_assurance_body, e.g. the agency''s name as registered in DEQAR.');
    END IF;
    PERFORM microcred._check_nfc('prerequisites', NEW.prerequisites);
    PERFORM microcred._check_nfc('further information', NEW.further_information);
    PERFORM microcred._check_nfc('grading scheme', NEW.grading_scheme);
    PERFORM microcred._check_nfc('body responsible for quality assurance', NEW.quality_assurance_body);
    -- Open Badges 3.0 AchievementType: a term of the vocabulary or an ext: term
    -- (the same list as pg_extension/ob3_check.c, which checks issued documents)
    IF NOT (NEW.achievement_type = ANY (ARRAY['Achievement', 'ApprenticeshipCertificate', 'Assessment',
            'Assignment', 'AssociateDegree', 'Award', 'Badge', 'BachelorDegree', 'Certificate',
            'CertificateOfCompletion', 'Certification', 'CommunityService', 'Competency', 'Course',
            'CoCurricular', 'Degree', 'Diploma', 'DoctoralDegree', 'Fieldwork', 'GeneralEducationDevelopment',
            'JourneymanCertificate', 'LearningProgram', 'License', 'Membership', 'ProfessionalDoctorate',
            'QualityAssuranceCredential', 'MasterCertificate', 'MasterDegree', 'MicroCredential',
            'ResearchDoctorate', 'SecondarySchoolDiploma'])
            OR NEW.achievement_type ~ '^ext:[A-Za-z0-9._-]+$') THEN
        PERFORM microcred._fail('22023', format('achievement type "%s" is not an Open Badges 3.0 achievement type', NEW.achievement_type),
            NULL, 'Use a term of the Open Badges 3.0 AchievementType vocabulary (MicroCredential, the default; Course, Certificate, Badge, ...) or an extension term such as ''ext:Nanodegree''.');
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER credential_type_check
    BEFORE INSERT OR UPDATE ON microcred.credential_type
    FOR EACH ROW EXECUTE FUNCTION microcred._credential_type_check();

-- at commit: every credential type has at least one learning outcome
CREATE FUNCTION microcred._require_outcomes(type_id uuid)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT FROM microcred.credential_type t WHERE t.id OPERATOR(pg_catalog.=) type_id)
       AND NOT EXISTS (SELECT FROM microcred.learning_outcome o
                       WHERE o.credential_type_id OPERATOR(pg_catalog.=) type_id) THEN
        PERFORM microcred._fail('23502', 'learning outcomes are required',
            format('Credential type "%s" has no learning outcome.',
                   (SELECT t.code FROM microcred.credential_type t WHERE t.id OPERATOR(pg_catalog.=) type_id)),
            'Give at least one learning outcome (learning_outcomes => ARRAY[''...'']); each may carry an ESCO skill URI.');
    END IF;
END
$$;
COMMENT ON FUNCTION microcred._require_outcomes(uuid) IS 'internal: a credential type must keep at least one learning outcome';

CREATE FUNCTION microcred._credential_type_has_outcomes()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_query() ~* '^\s*COPY\s' THEN
        -- rows loaded by COPY: most likely a restore table by table, where the
        -- outcomes arrive in a later table; say how to restore instead
        BEGIN
            PERFORM microcred._require_outcomes(NEW.id);
        EXCEPTION WHEN not_null_violation THEN
            PERFORM microcred._fail('23502', 'learning outcomes are required',
                format('Credential type %s has no learning outcome when its rows are committed; in a restore they arrive in a later table.', NEW.code),
                'Restore into a fresh database in one transaction: pg_restore --single-transaction, or psql --single-transaction -f (README "Backup and restore").');
        END;
    ELSE
        PERFORM microcred._require_outcomes(NEW.id);
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER credential_type_has_outcomes
    AFTER INSERT ON microcred.credential_type
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION microcred._credential_type_has_outcomes();

CREATE FUNCTION microcred._learning_outcome_keeps_one()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM microcred._require_outcomes(OLD.credential_type_id);
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER learning_outcome_keeps_one
    AFTER DELETE OR UPDATE OF credential_type_id ON microcred.learning_outcome
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION microcred._learning_outcome_keeps_one();

-- a learner must be identifiable (EU element "identification of the learner")
CREATE FUNCTION microcred._learner_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.erased_at IS NULL AND NEW.email IS NULL AND NEW.student_id IS NULL AND NEW.holder_did IS NULL THEN
        PERFORM microcred._fail('23502', 'identification of the learner is required',
            'The learner has no email, student id or DID.',
            'Give at least one of email, student_id or holder_did; credentials identify the learner by a salted hash of it.');
    END IF;
    PERFORM microcred._check_nfc('given name of the learner', NEW.given_name);
    PERFORM microcred._check_nfc('family name of the learner', NEW.family_name);
    IF NEW.name_in_credential AND coalesce(btrim(NEW.given_name), '') = '' AND coalesce(btrim(NEW.family_name), '') = '' THEN
        PERFORM microcred._fail('23502', 'name of the learner is required when it is to appear in credentials',
            NULL, 'Give given_name and/or family_name, or set name_in_credential to false.');
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER learner_check
    BEFORE INSERT OR UPDATE ON microcred.learner
    FOR EACH ROW EXECUTE FUNCTION microcred._learner_check();

-- issued credentials never change, except their status and the one-time signing
CREATE FUNCTION microcred._issued_credential_immutable()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM microcred._fail('55000', 'issued credentials cannot be deleted',
            format('Credential %s was issued; deleting it would break verification and the audit trail.', OLD.id),
            'Revoke it instead; to erase a learner''s personal data, erase the learner.');
    END IF;
    IF (NEW.id, NEW.issuer_id, NEW.credential_type_id, NEW.learner_id, NEW.issued_at, NEW.awarded_date,
        NEW.valid_from, NEW.valid_until, NEW.grade, NEW.evidence, NEW.idempotency_key, NEW.supersedes)
       IS DISTINCT FROM
       (OLD.id, OLD.issuer_id, OLD.credential_type_id, OLD.learner_id, OLD.issued_at, OLD.awarded_date,
        OLD.valid_from, OLD.valid_until, OLD.grade, OLD.evidence, OLD.idempotency_key, OLD.supersedes)
       OR (OLD.document IS NOT NULL AND NEW.document IS DISTINCT FROM OLD.document
           AND NOT (NEW.document IS NULL AND EXISTS (SELECT FROM microcred.learner l
                                                     WHERE l.id = OLD.learner_id AND l.erased_at IS NOT NULL)))
       OR (OLD.proof_format IS NOT NULL AND NEW.proof_format IS DISTINCT FROM OLD.proof_format)
       OR (OLD.superseded_by IS NOT NULL AND NEW.superseded_by IS DISTINCT FROM OLD.superseded_by) THEN
        PERFORM microcred._fail('55000', 'issued credentials cannot be changed',
            format('Credential %s was issued; its content is fixed once issued.', OLD.id),
            'Issue a corrected credential that supersedes it; only the status of a credential changes (and an erased learner''s stored copy is dropped).');
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER issued_credential_immutable
    BEFORE UPDATE OR DELETE ON microcred.issued_credential
    FOR EACH ROW EXECUTE FUNCTION microcred._issued_credential_immutable();
/*
 * microcred install script, part 3: the catalog API a DBA calls instead of
 * raw INSERTs.  Named parameters, defaults for the optional EU elements,
 * every value checked with an error that names the element.  These run with
 * the caller's rights (SECURITY INVOKER): grants and row-level security
 * decide who may do what.
 */

-- an issuer by handle or id
CREATE FUNCTION microcred._resolve_issuer(issuer text)
RETURNS uuid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found uuid;
BEGIN
    IF issuer IS NULL THEN
        PERFORM microcred._fail('23502', 'issuer is required', NULL,
            'Give the issuer''s handle or id; list them with: SELECT handle, legal_name FROM microcred.issuer;');
    END IF;
    IF issuer ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        SELECT i.id INTO found FROM microcred.issuer i WHERE i.id OPERATOR(pg_catalog.=) issuer::uuid;
    ELSE
        SELECT i.id INTO found FROM microcred.issuer i WHERE i.handle OPERATOR(pg_catalog.=) issuer;
    END IF;
    IF found IS NULL THEN
        PERFORM microcred._fail('42704', format('issuer "%s" does not exist', issuer),
            'No awarding body you may act for has this handle or id.',
            'List issuers with: SELECT handle, legal_name FROM microcred.issuer;');
    END IF;
    RETURN found;
END
$$;
COMMENT ON FUNCTION microcred._resolve_issuer(text) IS 'internal: issuer id from a handle or id';

CREATE FUNCTION microcred.add_issuer(
    legal_name  text,
    country     text,
    handle      text,
    region      text DEFAULT NULL,
    url         text DEFAULT NULL,
    email       text DEFAULT NULL,
    phone       text DEFAULT NULL,
    base_url    text DEFAULT NULL,
    public_id   text DEFAULT NULL,
    identifiers jsonb DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id  uuid := gen_random_uuid();
    ident   record;
BEGIN
    legal_name := microcred._required_text('legal name of the awarding body', legal_name,
        'Give the awarding body''s registered legal name.');
    country := microcred._check_country(country);
    IF handle IS NULL OR handle !~ '^[a-z0-9][a-z0-9-]{0,62}$' THEN
        PERFORM microcred._fail('22023', 'handle of the awarding body must be lower-case letters, digits and hyphens',
            format('The value given was %s.', coalesce('"' || handle || '"', 'NULL')),
            'Use a short name such as ''tu-example'' (at most 63 characters); it appears in URLs.');
    END IF;
    IF url IS NOT NULL AND url !~ '^https?://' THEN
        PERFORM microcred._fail('22023', 'URL of the awarding body must start with https:// or http://',
            format('The value given was "%s".', url), NULL);
    END IF;
    -- it prefixes every id we sign and serve: a plain https origin and path
    -- (http only on loopback, for demos), nothing to quote or escape
    IF base_url IS NOT NULL AND base_url !~ '^(https://[A-Za-z0-9.-]+|http://(127\.0\.0\.1|localhost))(:[0-9]{1,5})?(/[A-Za-z0-9._~%!$&*+,;=:@-]+)*$' THEN
        PERFORM microcred._fail('22023', 'public base URL must be a plain https origin and path without a trailing slash',
            format('The value given was "%s".', left(base_url, 100)),
            'For example ''https://credentials.example.eu''; no quotes, spaces, angle brackets, query or fragment (http only for 127.0.0.1 or localhost).');
    END IF;
    public_id := coalesce(public_id,
                          base_url || '/issuers/' || handle,
                          'urn:uuid:' || new_id::text);
    IF public_id !~ '^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$' THEN
        PERFORM microcred._fail('22023', 'public id of the awarding body must be a URI',
            format('The value given was "%s".', public_id),
            'Use the https URL at which the issuer profile is served, or a DID.');
    END IF;
    IF identifiers IS NOT NULL AND jsonb_typeof(identifiers) <> 'object' THEN
        PERFORM microcred._fail('22023', 'legal identifiers of the awarding body must be a JSON object',
            NULL, 'For example ''{"vat": "DE123456789", "euid": "DEB1234.HRB5678"}''.');
    END IF;

    INSERT INTO microcred.issuer (id, handle, legal_name, country, region, url, email, phone, public_id, base_url)
    VALUES (new_id, add_issuer.handle, add_issuer.legal_name, add_issuer.country, add_issuer.region,
            add_issuer.url, add_issuer.email, add_issuer.phone, add_issuer.public_id, add_issuer.base_url);

    FOR ident IN SELECT key, value FROM jsonb_each_text(coalesce(identifiers, '{}')) LOOP
        PERFORM microcred.add_issuer_identifier(new_id::text, ident.key, ident.value);
    END LOOP;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION microcred.add_issuer(text, text, text, text, text, text, text, text, text, jsonb) IS
    'register an awarding body; returns its id';

CREATE FUNCTION microcred.add_issuer_identifier(issuer text, scheme text, value text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO microcred.issuer_identifier (issuer_id, scheme, value)
    VALUES (microcred._resolve_issuer(issuer),
            microcred._vocab('microcred.identifier_scheme'::regtype, 'legal identifier scheme', scheme)::microcred.identifier_scheme,
            microcred._required_text('legal identifier of the awarding body', value, 'Give the identifier as registered.'))
    ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION microcred.add_issuer_identifier(text, text, text) IS
    'add a legal identifier (VAT, EUID, DEQAR id, ...) to an awarding body';

CREATE FUNCTION microcred.define_credential(
    issuer              text,
    code                text,
    title               text,
    description         text,
    learning_outcomes   text[],
    assessment          text[],
    participation       text,
    quality_assurance   text,
    ects                numeric DEFAULT NULL,
    workload_hours      numeric DEFAULT NULL,
    eqf_level           integer DEFAULT NULL,
    qf_ehea_cycle       text DEFAULT NULL,
    esco_skills         text[] DEFAULT NULL,
    quality_assurance_body text DEFAULT NULL,
    quality_assurance_url  text DEFAULT NULL,
    synchronous         boolean DEFAULT NULL,
    prerequisites       text DEFAULT NULL,
    supervision         text DEFAULT NULL,
    integration         text DEFAULT 'stand_alone',
    stackable_towards   text DEFAULT NULL,
    languages           text[] DEFAULT NULL,
    validity_period     interval DEFAULT NULL,
    grading_scheme      text DEFAULT NULL,
    further_information text DEFAULT NULL,
    info_url            text DEFAULT NULL,
    human_code          text DEFAULT NULL,
    achievement_type    text DEFAULT 'MicroCredential',
    allow_repeats       boolean DEFAULT false,
    suspendable         boolean DEFAULT false)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    issuer_uuid uuid := microcred._resolve_issuer(issuer);
    new_id      uuid := gen_random_uuid();
    checked_assessment microcred.assessment_type[];
    i           integer;
BEGIN
    IF code IS NULL OR code !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' THEN
        PERFORM microcred._fail('22023', 'code of the micro-credential must be letters, digits, dots, hyphens or underscores',
            format('The value given was %s.', coalesce('"' || code || '"', 'NULL')),
            'Use the issuer''s own short code, e.g. ''DPN-101'' (at most 64 characters).');
    END IF;
    IF learning_outcomes IS NULL OR cardinality(learning_outcomes) = 0 THEN
        PERFORM microcred._fail('23502', 'learning outcomes are required', 'No learning outcome was given.',
            'Give at least one learning outcome (learning_outcomes => ARRAY[''...'']); each may carry an ESCO skill URI.');
    END IF;
    IF esco_skills IS NOT NULL AND cardinality(esco_skills) <> cardinality(learning_outcomes) THEN
        PERFORM microcred._fail('22023', 'ESCO skills must be given one per learning outcome',
            format('%s learning outcomes but %s ESCO skill entries were given.',
                   cardinality(learning_outcomes), cardinality(esco_skills)),
            'Use NULL in esco_skills for an outcome without an ESCO skill.');
    END IF;
    IF assessment IS NULL OR cardinality(assessment) = 0 THEN
        PERFORM microcred._fail('23502', 'type of assessment is required', 'No assessment type was given.',
            'Give one or more of: ' || array_to_string(enum_range(NULL::microcred.assessment_type), ', ') || '.');
    END IF;
    FOR i IN 1 .. cardinality(assessment) LOOP
        checked_assessment := checked_assessment ||
            microcred._vocab('microcred.assessment_type'::regtype, 'type of assessment',
                             coalesce(assessment[i], '(null)'))::microcred.assessment_type;
    END LOOP;
    IF participation IS NULL THEN
        PERFORM microcred._fail('23502', 'form of participation is required', NULL,
            'Give one of: ' || array_to_string(enum_range(NULL::microcred.participation_form), ', ') || '.');
    END IF;
    IF quality_assurance IS NULL THEN
        PERFORM microcred._fail('23502', 'type of quality assurance is required', NULL,
            'Give one of: ' || array_to_string(enum_range(NULL::microcred.quality_assurance), ', ') || '.');
    END IF;
    IF languages IS NOT NULL AND (array_position(languages, NULL) IS NOT NULL
        OR array_to_string(languages, ' ') !~ '^([a-z]{2,3}(-[A-Za-z0-9]{2,8})*( |$))+$') THEN
        PERFORM microcred._fail('22023', 'languages of the micro-credential must be BCP 47 language tags',
            format('The value given was %s.', languages),
            'Use lower-case ISO 639-1 codes such as ''en'', ''de'', ''fr'' (optionally with a region, ''pt-BR'').');
    END IF;
    IF validity_period IS NOT NULL AND validity_period <= interval '0' THEN
        PERFORM microcred._fail('22023', 'validity period must be positive',
            format('The value given was %s.', validity_period), 'For example interval ''3 years''; NULL means no expiry.');
    END IF;

    INSERT INTO microcred.credential_type (
        id, issuer_id, code, title, description, ects, workload_hours, eqf_level, qf_ehea_cycle,
        assessment, participation, synchronous, quality_assurance, quality_assurance_body,
        quality_assurance_url, prerequisites, supervision, integration, stackable_towards, languages,
        validity_period, grading_scheme, further_information, info_url, human_code, achievement_type,
        allow_repeats, suspendable)
    VALUES (
        new_id, issuer_uuid, code, title, description,
        microcred._check_ects(ects), workload_hours,
        microcred._check_eqf_level(eqf_level), microcred._check_qf_ehea_cycle(qf_ehea_cycle),
        checked_assessment,
        microcred._vocab('microcred.participation_form'::regtype, 'form of participation', participation)::microcred.participation_form,
        synchronous,
        microcred._vocab('microcred.quality_assurance'::regtype, 'type of quality assurance', quality_assurance)::microcred.quality_assurance,
        quality_assurance_body, quality_assurance_url, prerequisites,
        microcred._vocab('microcred.supervision'::regtype, 'supervision and identity verification', supervision)::microcred.supervision,
        coalesce(microcred._vocab('microcred.integration'::regtype, 'integration option', integration), 'stand_alone')::microcred.integration,
        stackable_towards, languages, validity_period, grading_scheme, further_information, info_url,
        human_code, coalesce(achievement_type, 'MicroCredential'), coalesce(allow_repeats, false),
        coalesce(suspendable, false));

    FOR i IN 1 .. cardinality(learning_outcomes) LOOP
        INSERT INTO microcred.learning_outcome (issuer_id, credential_type_id, position, description, esco_uri)
        VALUES (issuer_uuid, new_id, i,
                microcred._required_text(format('learning outcome %s', i), learning_outcomes[i],
                    'State what the learner knows or can do, e.g. ''Applies the GDPR to patient records''.'),
                esco_skills[i]);
    END LOOP;
    RETURN new_id;
EXCEPTION WHEN unique_violation THEN
    PERFORM microcred._fail('23505', format('code of the micro-credential "%s" is already used by this issuer', code),
        NULL, 'Each credential type of an issuer has its own code; choose another or look the existing type up in microcred.credential_type.');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION microcred.define_credential(text, text, text, text, text[], text[], text, text, numeric, numeric, integer, text, text[], text, text, boolean, text, text, text, text, text[], interval, text, text, text, text, text, boolean, boolean) IS
    'define a micro-credential type with every EU standard element; returns its id (suspendable: its credentials carry a suspension entry too)';

CREATE FUNCTION microcred.add_learner(
    issuer          text,
    email           text DEFAULT NULL,
    given_name      text DEFAULT NULL,
    family_name     text DEFAULT NULL,
    student_id      text DEFAULT NULL,
    date_of_birth   date DEFAULT NULL,
    holder_did      text DEFAULT NULL,
    name_in_credential boolean DEFAULT false,
    lms_platform    text DEFAULT NULL,
    lms_user_id     text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    issuer_uuid uuid := microcred._resolve_issuer(issuer);
    new_id      uuid := gen_random_uuid();
BEGIN
    IF email IS NOT NULL AND email !~ '^[^@\s]+@[^@\s]+$' THEN
        PERFORM microcred._fail('22023', 'email of the learner is not an email address',
            format('The value given was "%s".', email), 'Give an address like ''name@example.org''.');
    END IF;
    IF holder_did IS NOT NULL AND holder_did !~ '^did:[a-z0-9]+:\S+$' THEN
        PERFORM microcred._fail('22023', 'holder DID of the learner is not a DID',
            format('The value given was "%s".', holder_did), 'A DID looks like ''did:key:z6Mk...''.');
    END IF;
    IF (lms_platform IS NULL) <> (lms_user_id IS NULL) THEN
        PERFORM microcred._fail('22023', 'LMS platform and LMS user id must be given together', NULL,
            'Give the LMS issuer URL as lms_platform and the user''s id on it as lms_user_id.');
    END IF;
    INSERT INTO microcred.learner (id, issuer_id, email, given_name, family_name, student_id,
                                   date_of_birth, holder_did, name_in_credential)
    VALUES (new_id, issuer_uuid, lower(email), given_name, family_name, student_id,
            date_of_birth, holder_did, coalesce(name_in_credential, false));
    IF lms_platform IS NOT NULL THEN
        INSERT INTO microcred.learner_identifier (issuer_id, learner_id, kind, platform, value)
        VALUES (issuer_uuid, new_id, 'lms', lms_platform, lms_user_id);
    END IF;
    RETURN new_id;
EXCEPTION WHEN unique_violation THEN
    PERFORM microcred._fail('23505', 'a learner with this email, student id or LMS id already exists for this issuer',
        NULL, 'Look the learner up instead: SELECT id FROM microcred.learner WHERE email = ...;');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION microcred.add_learner(text, text, text, text, text, date, text, boolean, text, text) IS
    'register a learner of an issuer; at least one identifier (email, student id or DID) is required; returns its id';
/*
 * microcred install script, part 4: roles, row-level security, grants.
 *
 *   microcred_admin     issuers, credential types, role mapping, keys (later)
 *   microcred_issuer    learners and issuing, only for the issuers it is mapped to
 *   microcred_verifier  verification functions and public reference data
 *   microcred_reader    reporting views without personal data, of the issuers it
 *                       is mapped to (grant_issuer)
 *   microcred_reader_all  an admin's explicit choice: its members see the
 *                       reporting views of every issuer (grant it to a reader)
 *
 * Roles are NOLOGIN groups: grant them to login roles.  Nothing is granted to
 * PUBLIC.  Policies call a STABLE function and contain no subquery, so they
 * also work when the tables are distributed by issuer_id with Citus.
 */

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['microcred_admin', 'microcred_issuer', 'microcred_verifier', 'microcred_reader',
                             'microcred_reader_all'] LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$$;

CREATE TABLE microcred.issuer_role (
    issuer_id   uuid NOT NULL REFERENCES microcred.issuer (id) ON DELETE CASCADE,
    role        regrole NOT NULL,
    PRIMARY KEY (issuer_id, role)
);
COMMENT ON TABLE microcred.issuer_role IS
    'which database roles act for which awarding body (row-level security); members of microcred_admin act for all';
COMMENT ON COLUMN microcred.issuer_role.role IS
    'the role by OID: a renamed role keeps its mapping, a new role with a dropped role''s name gets none (list with issuer_roles, purge with purge_issuer_roles); pg_dump writes it by name, so restore the roles (pg_dumpall --roles-only) first';

-- may this role act for this issuer?  Policies pass current_user: inside a
-- SECURITY DEFINER function current_user would be the owner.
CREATE FUNCTION microcred.acts_for(issuer uuid, role_name name)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_has_role(role_name, 'microcred_admin', 'MEMBER')
        OR EXISTS (SELECT FROM microcred.issuer_role r
                    WHERE r.issuer_id OPERATOR(pg_catalog.=) issuer
                      AND pg_has_role(acts_for.role_name, r.role::oid, 'MEMBER'))
$$;
COMMENT ON FUNCTION microcred.acts_for(uuid, name) IS
    'true when the role is a microcred admin or is mapped to the issuer (microcred.grant_issuer); used by the row-level security policies';

-- who called the API: the role in effect outside any SECURITY DEFINER
-- function (SET ROLE, else the session user).  The public API functions are
-- SECURITY DEFINER, so inside them current_user is the owner; they pass this
-- as the actor to the internal functions, which only the owner may execute.
-- The role setting can only name a role the session user is a member of
-- (PostgreSQL checks that on SET ROLE), and _check_actor checks it again.
CREATE FUNCTION microcred._caller()
RETURNS name
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN current_setting('role') = 'none' THEN session_user
                ELSE current_setting('role')::name END
$$;
COMMENT ON FUNCTION microcred._caller() IS
    'internal: the calling role of a SECURITY DEFINER API function (SET ROLE, else the session user)';

CREATE FUNCTION microcred.grant_issuer(issuer text, role_name name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname OPERATOR(pg_catalog.=) role_name) THEN
        PERFORM microcred._fail('42704', format('role "%s" does not exist', role_name), NULL,
            'Create the role first (CREATE ROLE ... LOGIN IN ROLE microcred_issuer).');
    END IF;
    INSERT INTO microcred.issuer_role (issuer_id, role)
    VALUES (microcred._resolve_issuer(issuer), (SELECT r.oid FROM pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) role_name)::regrole)
    ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION microcred.grant_issuer(text, name) IS
    'let a database role act for an awarding body (see its learners, issue its credentials, read its reports); a microcred_reader is granted per issuer this way';

-- the mappings, with the roles' current names; a dropped role shows by OID
CREATE VIEW microcred.issuer_roles AS
SELECT i.handle AS issuer, r.role::oid AS role_oid, pr.rolname AS role_name, pr.oid IS NULL AS role_dropped
  FROM microcred.issuer_role r
  JOIN microcred.issuer i ON i.id = r.issuer_id
  LEFT JOIN pg_catalog.pg_roles pr ON pr.oid = r.role::oid;
COMMENT ON VIEW microcred.issuer_roles IS
    'which roles act for which awarding body; role_dropped marks mappings of dropped roles (microcred.purge_issuer_roles() removes them)';
COMMENT ON COLUMN microcred.issuer_roles.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.issuer_roles.role_oid IS 'OID of the mapped role (mappings follow the role, not its name)';
COMMENT ON COLUMN microcred.issuer_roles.role_name IS 'current name of the role; NULL when it was dropped';
COMMENT ON COLUMN microcred.issuer_roles.role_dropped IS 'the role no longer exists: the mapping acts for nobody and can be purged';

-- remove the mappings of dropped roles; how many
CREATE FUNCTION microcred.purge_issuer_roles()
RETURNS integer
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM microcred.issuer_role r
         WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles pr WHERE pr.oid OPERATOR(pg_catalog.=) r.role::oid)
        RETURNING 1)
    SELECT count(*)::integer FROM gone
$$;
COMMENT ON FUNCTION microcred.purge_issuer_roles() IS
    'delete the issuer mappings of roles that were dropped (see microcred.issuer_roles); returns how many';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['issuer_identifier', 'learner', 'learner_identifier', 'credential_type',
                             'learning_outcome', 'issued_credential', 'issuer_role'] LOOP
        EXECUTE format('ALTER TABLE microcred.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY per_issuer ON microcred.%I USING (microcred.acts_for(issuer_id, current_user))', t);
    END LOOP;
END
$$;
ALTER TABLE microcred.issuer ENABLE ROW LEVEL SECURITY;
CREATE POLICY per_issuer ON microcred.issuer
    USING (microcred.acts_for(id, current_user))
    WITH CHECK (pg_has_role(current_user, 'microcred_admin', 'MEMBER'));

-- nothing for PUBLIC
REVOKE ALL ON SCHEMA microcred FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA microcred FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA microcred FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA microcred FROM PUBLIC;

GRANT USAGE ON SCHEMA microcred TO microcred_admin, microcred_issuer, microcred_verifier, microcred_reader;
GRANT SELECT ON microcred.country, microcred.vocabulary
    TO microcred_admin, microcred_issuer, microcred_verifier, microcred_reader;

-- validation helpers are needed by every role that writes
GRANT EXECUTE ON FUNCTION
    microcred._fail(text, text, text, text),
    microcred._required_text(text, text, text),
    microcred._check_nfc(text, text),
    microcred._check_eqf_level(integer),
    microcred._check_qf_ehea_cycle(text),
    microcred._check_ects(numeric),
    microcred._check_country(text),
    microcred._vocab(regtype, text, text),
    microcred._resolve_issuer(text),
    microcred._require_outcomes(uuid),
    microcred.acts_for(uuid, name)
    TO microcred_admin, microcred_issuer;

-- admin: the catalog
GRANT SELECT, INSERT, UPDATE ON microcred.issuer, microcred.issuer_identifier, microcred.credential_type,
    microcred.learning_outcome, microcred.learner, microcred.learner_identifier TO microcred_admin;
GRANT DELETE ON microcred.issuer_identifier, microcred.learning_outcome, microcred.learner_identifier TO microcred_admin;
GRANT SELECT, INSERT, DELETE ON microcred.issuer_role TO microcred_admin;
GRANT SELECT ON microcred.issuer_roles TO microcred_admin;
GRANT SELECT ON microcred.issued_credential TO microcred_admin;
GRANT EXECUTE ON FUNCTION
    microcred.add_issuer(text, text, text, text, text, text, text, text, text, jsonb),
    microcred.add_issuer_identifier(text, text, text),
    microcred.define_credential(text, text, text, text, text[], text[], text, text, numeric, numeric, integer, text, text[], text, text, boolean, text, text, text, text, text[], interval, text, text, text, text, text, boolean, boolean),
    microcred.grant_issuer(text, name),
    microcred.purge_issuer_roles(),
    microcred.add_learner(text, text, text, text, text, date, text, boolean, text, text)
    TO microcred_admin;

-- issuer: its own learners and credentials (row-level security)
GRANT SELECT ON microcred.issuer, microcred.issuer_identifier, microcred.credential_type,
    microcred.learning_outcome, microcred.issued_credential TO microcred_issuer;
GRANT SELECT, INSERT, UPDATE ON microcred.learner, microcred.learner_identifier TO microcred_issuer;
GRANT EXECUTE ON FUNCTION
    microcred.add_learner(text, text, text, text, text, date, text, boolean, text, text)
    TO microcred_issuer;

-- reports filter rows with acts_for (a reader sees the issuers it is mapped to)
GRANT EXECUTE ON FUNCTION microcred.acts_for(uuid, name) TO microcred_verifier, microcred_reader;

-- the library's version, for every role (support questions start with it)
GRANT EXECUTE ON FUNCTION microcred.version()
    TO microcred_admin, microcred_issuer, microcred_verifier, microcred_reader;
/*
 * microcred install script, part 6: signing keys and trusted keys.
 *
 * Private keys are generated by the C module, sealed with AES-256-GCM under
 * the key-encryption key of microcred.kek_file, and stored only sealed.  No
 * role but the extension owner can read the sealed column; the functions
 * that sign are SECURITY DEFINER and check who is acting.
 */

ALTER TABLE microcred.issuer
    ADD COLUMN proof_format text NOT NULL DEFAULT 'eddsa-rdfc-2022'
        CONSTRAINT issuer_proof_format_known
        CHECK (proof_format IN ('eddsa-jcs-2022', 'eddsa-rdfc-2022'));
COMMENT ON COLUMN microcred.issuer.proof_format IS
    'the Data Integrity cryptosuite microcred.issue() uses for this issuer''s credentials (eddsa-rdfc-2022: what 1EdTech certifies and wallets verify)';
ALTER TABLE microcred.credential_type
    ADD COLUMN proof_format text
        CONSTRAINT credential_type_proof_format_known
        CHECK (proof_format IN ('eddsa-jcs-2022', 'eddsa-rdfc-2022'));
COMMENT ON COLUMN microcred.credential_type.proof_format IS
    'cryptosuite for credentials of this type; NULL = the issuer''s proof_format';

CREATE TABLE microcred.signing_key (
    id                  uuid PRIMARY KEY,
    issuer_id           uuid NOT NULL REFERENCES microcred.issuer (id),
    algorithm           text NOT NULL CONSTRAINT signing_key_algorithm CHECK (algorithm IN ('Ed25519', 'P-256', 'RSA')),
    state               text NOT NULL DEFAULT 'active' CONSTRAINT signing_key_state CHECK (state IN ('active', 'standby', 'retired')),
    public_key          bytea NOT NULL,
    public_key_multibase text,
    public_jwk          jsonb NOT NULL,
    did_key             text,
    fragment            text NOT NULL,
    sealed_private      bytea NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    retired_at          timestamptz,
    UNIQUE (issuer_id, fragment),
    UNIQUE (issuer_id, id)
);
CREATE UNIQUE INDEX signing_key_one_active ON microcred.signing_key (issuer_id, algorithm) WHERE state = 'active';
COMMENT ON TABLE microcred.signing_key IS
    'issuer key pairs: the active key of each algorithm signs; standby keys still verify; retired keys do neither';
COMMENT ON COLUMN microcred.signing_key.sealed_private IS
    'the private key, sealed (AES-256-GCM) under the KEK and bound to this key id and issuer; readable by the extension owner only';
COMMENT ON COLUMN microcred.signing_key.fragment IS
    'fragment of the verification method <issuer public id>#<fragment>: the publicKeyMultibase, or the JWK thumbprint for RSA';

CREATE TABLE microcred.trusted_key (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trusted_by          uuid REFERENCES microcred.issuer (id),
    issuer              text NOT NULL CONSTRAINT trusted_key_issuer_is_uri CHECK (issuer ~ '^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$'),
    verification_method text NOT NULL CONSTRAINT trusted_key_vm_is_uri CHECK (verification_method ~ '^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$'),
    public_key          bytea NOT NULL,
    note                text,
    added_by            name NOT NULL DEFAULT current_user,
    added_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (issuer, verification_method)
);
COMMENT ON TABLE microcred.trusted_key IS
    'public keys of other issuers, registered by an admin (trust_key, trust_controller_document): keys bound to that issuer, so its credentials verify without network access';

CREATE FUNCTION microcred._key_generate(key_id uuid, issuer_id uuid, algorithm text,
    OUT sealed_private bytea, OUT public_key bytea, OUT public_key_multibase text,
    OUT public_jwk jsonb, OUT did_key text, OUT fragment text)
RETURNS record
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'microcred_key_generate';
COMMENT ON FUNCTION microcred._key_generate(uuid, uuid, text) IS
    'internal: generate a key pair, returning the sealed private key and the public formats';

CREATE FUNCTION microcred.public_key_info(public_key bytea,
    OUT algorithm text, OUT spki bytea, OUT public_key_multibase text,
    OUT public_jwk jsonb, OUT did_key text, OUT fragment text)
RETURNS record
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_public_key_info';
COMMENT ON FUNCTION microcred.public_key_info(bytea) IS
    'the Multikey, JWK and did:key forms of a public key given as SPKI DER';

CREATE FUNCTION microcred.public_key(key text)
RETURNS bytea
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_public_key_parse';
COMMENT ON FUNCTION microcred.public_key(text) IS
    'SPKI DER of a public key given as publicKeyMultibase, did:key or JWK text';

-- may the calling role act for the issuer?  actor is the caller's current_user,
-- passed by a SECURITY INVOKER wrapper; it must be a role the session may be.
CREATE FUNCTION microcred._check_actor(issuer uuid, actor name)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF actor IS NULL OR NOT pg_has_role(session_user, actor, 'MEMBER')
       OR NOT microcred.acts_for(issuer, actor) THEN
        PERFORM microcred._fail('42501', format('role "%s" may not act for this issuer', actor), NULL,
            'An admin maps roles to issuers with microcred.grant_issuer(issuer, role).');
    END IF;
END
$$;
COMMENT ON FUNCTION microcred._check_actor(uuid, name) IS 'internal: refuse a role that does not act for the issuer';

CREATE FUNCTION microcred._generate_key(issuer text, algorithm text, actor name)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    issuer_uuid uuid := microcred._resolve_issuer(issuer);
    new_id      uuid := gen_random_uuid();
    k           record;
BEGIN
    PERFORM microcred._check_actor(issuer_uuid, actor);
    IF NOT pg_has_role(actor, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may create signing keys', NULL,
            'Grant microcred_admin to the role that manages keys.');
    END IF;
    IF algorithm IS NULL OR algorithm NOT IN ('Ed25519', 'P-256', 'RSA') THEN
        PERFORM microcred._fail('22023', format('key algorithm "%s" is not supported', algorithm), NULL,
            'Use ''Ed25519'' (Data Integrity proofs, VC-JOSE EdDSA), ''P-256'' (ES256 JWTs) or ''RSA'' (RS256 Open Badges JWTs).');
    END IF;
    SELECT * INTO k FROM microcred._key_generate(new_id, issuer_uuid, algorithm);
    UPDATE microcred.signing_key SET state = 'standby'
     WHERE issuer_id = issuer_uuid AND signing_key.algorithm = _generate_key.algorithm AND state = 'active';
    INSERT INTO microcred.signing_key (id, issuer_id, algorithm, public_key, public_key_multibase,
                                       public_jwk, did_key, fragment, sealed_private)
    VALUES (new_id, issuer_uuid, algorithm, k.public_key, k.public_key_multibase,
            k.public_jwk, k.did_key, k.fragment, k.sealed_private);
    PERFORM microcred._audit(issuer_uuid, 'key_create', new_id, NULL,
                             jsonb_build_object('algorithm', algorithm, 'fragment', k.fragment), actor);
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION microcred._generate_key(text, text, name) IS 'internal: see microcred.generate_key';

CREATE FUNCTION microcred.generate_key(issuer text, algorithm text DEFAULT 'Ed25519')
RETURNS uuid
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._generate_key(issuer, algorithm, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.generate_key(text, text) IS
    'create a key pair for an issuer (Ed25519, P-256 or RSA); it becomes the active key of its algorithm, the previous one stays valid for verification';

CREATE FUNCTION microcred._retire_key(key_id uuid, actor name)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k microcred.signing_key;
    affected bigint;
BEGIN
    SELECT * INTO k FROM microcred.signing_key WHERE id = key_id;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('signing key %s does not exist', key_id), NULL,
            'List keys with: SELECT * FROM microcred.issuer_keys;');
    END IF;
    PERFORM microcred._check_actor(k.issuer_id, actor);
    IF NOT pg_has_role(actor, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may retire signing keys', NULL, NULL);
    END IF;
    IF k.state = 'retired' THEN
        PERFORM microcred._fail('55000', 'signing key is already retired', format('Key %s was retired at %s.', key_id, k.retired_at), NULL);
    END IF;
    UPDATE microcred.signing_key SET state = 'retired', retired_at = now() WHERE id = key_id;
    PERFORM microcred._audit(k.issuer_id, 'key_retire', key_id, NULL, jsonb_build_object('algorithm', k.algorithm), actor);
    -- the active credentials whose proof names this key no longer verify: say how many
    SELECT count(*) INTO affected FROM microcred.issued_credential c JOIN microcred.issuer i ON i.id = c.issuer_id
     WHERE c.issuer_id = k.issuer_id AND c.status = 'active' AND c.superseded_by IS NULL
       AND coalesce(c.document -> 'proof' ->> 'verificationMethod', c.document -> 'proof' -> 0 ->> 'verificationMethod')
           = i.public_id || '#' || k.fragment;
    IF affected > 0 THEN
        RAISE WARNING '% active credential(s) signed with the retired key no longer verify', affected
            USING DETAIL = 'The reports show them with signing_key_state ''retired''.',
                  HINT = 'Re-issue them with the active key: SELECT microcred.supersede(id, reason => ''signing key retired'') FROM microcred.issued_credentials_report WHERE signing_key_state = ''retired'' AND status = ''active'' AND superseded_by IS NULL;';
    END IF;
END
$$;

CREATE FUNCTION microcred.retire_key(key_id uuid)
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._retire_key(key_id, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.retire_key(uuid) IS
    'retire a signing key: it no longer signs, and credentials it signed no longer verify (a warning counts the active ones; supersede re-issues them)';

CREATE VIEW microcred.issuer_keys AS
SELECT k.id, i.handle AS issuer, k.algorithm, k.state,
       i.public_id || '#' || k.fragment AS verification_method,
       k.public_key_multibase, k.public_jwk, k.did_key, k.created_at, k.retired_at
  FROM microcred.signing_key k JOIN microcred.issuer i ON i.id = k.issuer_id;
COMMENT ON VIEW microcred.issuer_keys IS 'public parts of every issuer key (never the private key)';

-- the controller document an HTTPS issuer URL serves, so <issuer>#<fragment> resolves.
-- Ed25519 keys appear twice: as Multikey at #<publicKeyMultibase> (Data
-- Integrity proofs name it) and as JsonWebKey at #<JWK thumbprint> (the kid of
-- our EdDSA JWTs); the keys only JWTs use (P-256 for ES256, RSA for RS256) as
-- JsonWebKey at #<fragment>.  One verification method never carries both
-- publicKeyMultibase and publicKeyJwk (W3C Controlled Identifiers 1.0).
-- (CREATE OR REPLACE'd by upgrade part 20_verify_trust)
CREATE FUNCTION microcred.controller_document(issuer text)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        '@context', jsonb_build_array('https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1',
                                      'https://w3id.org/security/jwk/v1'),
        'id', i.public_id,
        'verificationMethod', coalesce(jsonb_agg(vm.method ORDER BY k.created_at, k.algorithm, k.id, vm.n)
                                       FILTER (WHERE vm.method IS NOT NULL), '[]'::jsonb),
        'assertionMethod', coalesce(jsonb_agg(vm.method -> 'id' ORDER BY k.created_at, k.algorithm, k.id, vm.n)
                                    FILTER (WHERE vm.method IS NOT NULL), '[]'::jsonb))
      FROM microcred.issuer i
      LEFT JOIN microcred.signing_key k ON k.issuer_id = i.id AND k.state <> 'retired'
      LEFT JOIN LATERAL (VALUES
            (1, CASE WHEN k.algorithm = 'Ed25519' THEN
                     jsonb_build_object('id', i.public_id || '#' || k.fragment, 'type', 'Multikey',
                                        'controller', i.public_id, 'publicKeyMultibase', k.public_key_multibase)
                     WHEN k.id IS NOT NULL THEN
                     jsonb_build_object('id', i.public_id || '#' || k.fragment, 'type', 'JsonWebKey',
                                        'controller', i.public_id, 'publicKeyJwk', k.public_jwk) END),
            (2, CASE WHEN k.algorithm = 'Ed25519' THEN
                     jsonb_build_object('id', i.public_id || '#' || (k.public_jwk ->> 'kid'), 'type', 'JsonWebKey',
                                        'controller', i.public_id, 'publicKeyJwk', k.public_jwk) END)) AS vm(n, method) ON true
     WHERE i.id = microcred._resolve_issuer(issuer)
     GROUP BY i.public_id
$$;
COMMENT ON FUNCTION microcred.controller_document(text) IS
    'the controller document (DID-core JSON) listing an issuer''s valid public keys, as served at its public id';

CREATE FUNCTION microcred.trust_key(issuer text, verification_method text, public_key text,
                                    trusted_by text DEFAULT NULL, note text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id bigint;
BEGIN
    IF issuer IS NULL OR issuer !~ '^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$' THEN
        PERFORM microcred._fail('22023', 'issuer of a trusted key must be a URI', NULL,
            'Give the issuer id exactly as its credentials state it.');
    END IF;
    IF verification_method IS NULL OR verification_method !~ '^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$' THEN
        PERFORM microcred._fail('22023', 'verification method of a trusted key must be a URI', NULL,
            'Give the verificationMethod (or JWT kid) exactly as the issuer''s credentials state it.');
    END IF;
    INSERT INTO microcred.trusted_key (trusted_by, issuer, verification_method, public_key, note)
    VALUES (CASE WHEN trusted_by IS NULL THEN NULL ELSE microcred._resolve_issuer(trusted_by) END,
            issuer, verification_method, microcred.public_key(public_key), note)
    RETURNING id INTO new_id;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION microcred.trust_key(text, text, text, text, text) IS
    'register another issuer''s public key (Multikey, did:key or JWK) as bound to that issuer, so credentials it signs for that issuer verify';

-- every key listed under assertionMethod of an issuer's controller document
-- (DID document or controlled identifier document), as trusted keys of the
-- document's id: what an admin fetched and checked once, instead of a fetch
-- at every verification
CREATE FUNCTION microcred.trust_controller_document(document jsonb, trusted_by text DEFAULT NULL,
                                                    note text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    doc_id  text := document ->> 'id';
    entry   jsonb;
    vm_id   text;
    vm      jsonb;
    key     bytea;
    prev    bytea;
    n       integer := 0;
BEGIN
    IF jsonb_typeof(document) IS DISTINCT FROM 'object' OR doc_id IS NULL
       OR doc_id !~ '^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$' THEN
        PERFORM microcred._fail('22023', 'the controller document has no id that is a URI', NULL,
            'Give the issuer''s DID document or controller document; its id must be the issuer id its credentials state.');
    END IF;
    FOR entry IN SELECT e FROM jsonb_array_elements(CASE coalesce(jsonb_typeof(document -> 'assertionMethod'), 'null')
                               WHEN 'array' THEN document -> 'assertionMethod'
                               WHEN 'null' THEN '[]' ELSE jsonb_build_array(document -> 'assertionMethod') END) e
    LOOP
        vm_id := CASE jsonb_typeof(entry) WHEN 'string' THEN entry #>> '{}' ELSE entry ->> 'id' END;
        IF vm_id IS NULL THEN
            PERFORM microcred._fail('22023', 'an assertionMethod entry of the controller document has no id', NULL, NULL);
        END IF;
        IF vm_id LIKE '#%' THEN
            vm_id := doc_id || vm_id;
        END IF;
        vm := CASE WHEN jsonb_typeof(entry) = 'object' THEN entry END;
        IF vm IS NULL THEN
            SELECT v INTO vm FROM jsonb_array_elements(CASE jsonb_typeof(document -> 'verificationMethod')
                                  WHEN 'array' THEN document -> 'verificationMethod' ELSE '[]' END) v
             WHERE v ->> 'id' = vm_id OR doc_id || (v ->> 'id') = vm_id
             LIMIT 1;
        END IF;
        IF vm IS NOT NULL AND vm ->> 'controller' IS DISTINCT FROM doc_id AND vm ? 'controller' THEN
            PERFORM microcred._fail('22023', format('verification method %s is controlled by %s, not by %s', vm_id, vm ->> 'controller', doc_id),
                NULL, 'Only keys the issuer itself controls are registered for it.');
        END IF;
        key := CASE
            WHEN vm ? 'publicKeyMultibase' THEN microcred.public_key(vm ->> 'publicKeyMultibase')
            WHEN vm ? 'publicKeyJwk' THEN microcred.public_key((vm -> 'publicKeyJwk')::text)
            WHEN vm IS NULL AND vm_id LIKE 'did:key:%' THEN microcred.public_key(split_part(vm_id, '#', 1))
        END;
        IF key IS NULL THEN
            PERFORM microcred._fail('22023', format('the controller document gives no key for %s', vm_id), NULL,
                'Each assertionMethod must be, or name, a verification method with publicKeyMultibase or publicKeyJwk.');
        END IF;
        SELECT t.public_key INTO prev FROM microcred.trusted_key t WHERE t.issuer = doc_id AND t.verification_method = vm_id;
        IF prev IS NULL THEN
            INSERT INTO microcred.trusted_key (trusted_by, issuer, verification_method, public_key, note)
            VALUES (CASE WHEN trusted_by IS NULL THEN NULL ELSE microcred._resolve_issuer(trusted_by) END,
                    doc_id, vm_id, key, note);
            n := n + 1;
        ELSIF prev <> key THEN
            PERFORM microcred._fail('23505', format('%s is already registered with another key', vm_id), NULL,
                'Delete the old row from microcred.trusted_key first if the issuer replaced the key.');
        END IF;
    END LOOP;
    IF n = 0 AND NOT EXISTS (SELECT FROM microcred.trusted_key t WHERE t.issuer = doc_id) THEN
        PERFORM microcred._fail('22023', 'the controller document lists no key under assertionMethod', NULL,
            'Only keys listed under assertionMethod may sign credentials for the issuer.');
    END IF;
    RETURN n;
END
$$;
COMMENT ON FUNCTION microcred.trust_controller_document(jsonb, text, text) IS
    'register every key under assertionMethod of an issuer''s controller document (DID document) as bound to the document''s id; returns how many keys were new';

-- the registered key of a verification method, for verification
-- (CREATE OR REPLACE'd by upgrade part 20_verify_trust)
CREATE FUNCTION microcred._lookup_key(issuer text, verification_method text,
    OUT public_key bytea, OUT retired boolean, OUT source text)
RETURNS SETOF record
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT k.public_key, k.state = 'retired', 'a key of this issuer'
      FROM microcred.issuer i JOIN microcred.signing_key k ON k.issuer_id = i.id
     WHERE i.public_id = issuer
       AND (verification_method = i.public_id || '#' || k.fragment
            -- an Ed25519 key's JsonWebKey form (the kid of EdDSA JWTs)
            OR (k.algorithm = 'Ed25519' AND verification_method = i.public_id || '#' || (k.public_jwk ->> 'kid')))
    UNION ALL
    SELECT t.public_key, false, 'a trusted key of this issuer'
      FROM microcred.trusted_key t
     WHERE t.issuer = _lookup_key.issuer AND t.verification_method = _lookup_key.verification_method
     LIMIT 1
$$;
COMMENT ON FUNCTION microcred._lookup_key(text, text) IS
    'internal: the registered public key of a verification method (own issuer keys, by Multikey or JWK id, then trusted keys)';

-- verification caches registered keys per backend; key changes must reach every backend
CREATE FUNCTION microcred._invalidate_caches()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'microcred_invalidate_caches';
COMMENT ON FUNCTION microcred._invalidate_caches() IS
    'internal: statement trigger that invalidates the per-backend caches of registered keys';
CREATE TRIGGER signing_key_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON microcred.signing_key
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._invalidate_caches();
CREATE TRIGGER trusted_key_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON microcred.trusted_key
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._invalidate_caches();
CREATE TRIGGER issuer_changed AFTER UPDATE OR DELETE OR TRUNCATE ON microcred.issuer
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._invalidate_caches();
/*
 * microcred install script, part 6.5: the bundled JSON-LD context documents.
 * GENERATED by pg_extension/contexts/to_sql.sh from pg_extension/contexts/;
 * edit those files, not this one.  Each document is stored under the exact URL
 * it is served at; JSON-LD processing resolves no other URL (no network).
 */

CREATE TABLE microcred.jsonld_context (
    url         text PRIMARY KEY CONSTRAINT jsonld_context_url_absolute CHECK (url ~ '^https?://\S+$'),
    document    text NOT NULL CONSTRAINT jsonld_context_is_json CHECK (document::jsonb ? '@context'),
    bundled     boolean NOT NULL DEFAULT false,
    added_by    name NOT NULL DEFAULT current_user,
    added_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE microcred.jsonld_context IS
    'JSON-LD context documents by exact URL: the bundled ones and those an admin registered; no other context resolves';

INSERT INTO microcred.jsonld_context (url, document, bundled) VALUES
    ('https://www.w3.org/ns/credentials/v2', $context${
  "@context": {
    "@protected": true,

    "id": "@id",
    "type": "@type",

    "description": "https://schema.org/description",
    "digestMultibase": {
      "@id": "https://w3id.org/security#digestMultibase",
      "@type": "https://w3id.org/security#multibase"
    },
    "digestSRI": {
      "@id": "https://www.w3.org/2018/credentials#digestSRI",
      "@type": "https://www.w3.org/2018/credentials#sriString"
    },
    "mediaType": {
      "@id": "https://schema.org/encodingFormat"
    },
    "name": "https://schema.org/name",

    "VerifiableCredential": {
      "@id": "https://www.w3.org/2018/credentials#VerifiableCredential",
      "@context": {
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "confidenceMethod": {
          "@id": "https://www.w3.org/2018/credentials#confidenceMethod",
          "@type": "@id"
        },
        "credentialSchema": {
          "@id": "https://www.w3.org/2018/credentials#credentialSchema",
          "@type": "@id"
        },
        "credentialStatus": {
          "@id": "https://www.w3.org/2018/credentials#credentialStatus",
          "@type": "@id"
        },
        "credentialSubject": {
          "@id": "https://www.w3.org/2018/credentials#credentialSubject",
          "@type": "@id"
        },
        "description": "https://schema.org/description",
        "evidence": {
          "@id": "https://www.w3.org/2018/credentials#evidence",
          "@type": "@id"
        },
        "issuer": {
          "@id": "https://www.w3.org/2018/credentials#issuer",
          "@type": "@id"
        },
        "name": "https://schema.org/name",
        "proof": {
          "@id": "https://w3id.org/security#proof",
          "@type": "@id",
          "@container": "@graph"
        },
        "refreshService": {
          "@id": "https://www.w3.org/2018/credentials#refreshService",
          "@type": "@id"
        },
        "relatedResource": {
          "@id": "https://www.w3.org/2018/credentials#relatedResource",
          "@type": "@id"
        },
        "renderMethod": {
          "@id": "https://www.w3.org/2018/credentials#renderMethod",
          "@type": "@id"
        },
        "termsOfUse": {
          "@id": "https://www.w3.org/2018/credentials#termsOfUse",
          "@type": "@id"
        },
        "validFrom": {
          "@id": "https://www.w3.org/2018/credentials#validFrom",
          "@type": "http://www.w3.org/2001/XMLSchema#dateTime"
        },
        "validUntil": {
          "@id": "https://www.w3.org/2018/credentials#validUntil",
          "@type": "http://www.w3.org/2001/XMLSchema#dateTime"
        }
      }
    },

    "EnvelopedVerifiableCredential":
      "https://www.w3.org/2018/credentials#EnvelopedVerifiableCredential",

    "VerifiablePresentation": {
      "@id": "https://www.w3.org/2018/credentials#VerifiablePresentation",
      "@context": {
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "holder": {
          "@id": "https://www.w3.org/2018/credentials#holder",
          "@type": "@id"
        },
        "proof": {
          "@id": "https://w3id.org/security#proof",
          "@type": "@id",
          "@container": "@graph"
        },
        "termsOfUse": {
          "@id": "https://www.w3.org/2018/credentials#termsOfUse",
          "@type": "@id"
        },
        "verifiableCredential": {
          "@id": "https://www.w3.org/2018/credentials#verifiableCredential",
          "@type": "@id",
          "@container": "@graph",
          "@context": null
        }
      }
    },

    "EnvelopedVerifiablePresentation":
      "https://www.w3.org/2018/credentials#EnvelopedVerifiablePresentation",

    "JsonSchemaCredential":
      "https://www.w3.org/2018/credentials#JsonSchemaCredential",

    "JsonSchema": {
      "@id": "https://www.w3.org/2018/credentials#JsonSchema",
      "@context": {
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "jsonSchema": {
          "@id": "https://www.w3.org/2018/credentials#jsonSchema",
          "@type": "@json"
        }
      }
    },

    "BitstringStatusListCredential":
      "https://www.w3.org/ns/credentials/status#BitstringStatusListCredential",

    "BitstringStatusList": {
      "@id": "https://www.w3.org/ns/credentials/status#BitstringStatusList",
      "@context": {
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "encodedList": {
          "@id": "https://www.w3.org/ns/credentials/status#encodedList",
          "@type": "https://w3id.org/security#multibase"
        },
        "statusPurpose":
          "https://www.w3.org/ns/credentials/status#statusPurpose",
        "ttl": "https://www.w3.org/ns/credentials/status#ttl"
      }
    },

    "BitstringStatusListEntry": {
      "@id":
        "https://www.w3.org/ns/credentials/status#BitstringStatusListEntry",
      "@context": {
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "statusListCredential": {
          "@id":
            "https://www.w3.org/ns/credentials/status#statusListCredential",
          "@type": "@id"
        },
        "statusListIndex":
          "https://www.w3.org/ns/credentials/status#statusListIndex",
        "statusPurpose":
          "https://www.w3.org/ns/credentials/status#statusPurpose",
        "statusMessage": {
          "@id": "https://www.w3.org/ns/credentials/status#statusMessage",
          "@context": {
            "@protected": true,

            "id": "@id",
            "type": "@type",

            "message": "https://www.w3.org/ns/credentials/status#message",
            "status": "https://www.w3.org/ns/credentials/status#status"
          }
        },
        "statusReference": {
          "@id": "https://www.w3.org/ns/credentials/status#statusReference",
          "@type": "@id"
        },
        "statusSize": {
          "@id": "https://www.w3.org/ns/credentials/status#statusSize",
          "@type": "https://www.w3.org/2001/XMLSchema#integer"
        }
      }
    },

    "DataIntegrityProof": {
      "@id": "https://w3id.org/security#DataIntegrityProof",
      "@context": {
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "challenge": "https://w3id.org/security#challenge",
        "created": {
          "@id": "http://purl.org/dc/terms/created",
          "@type": "http://www.w3.org/2001/XMLSchema#dateTime"
        },
        "cryptosuite": {
          "@id": "https://w3id.org/security#cryptosuite",
          "@type": "https://w3id.org/security#cryptosuiteString"
        },
        "domain": "https://w3id.org/security#domain",
        "expires": {
          "@id": "https://w3id.org/security#expiration",
          "@type": "http://www.w3.org/2001/XMLSchema#dateTime"
        },
        "nonce": "https://w3id.org/security#nonce",
        "previousProof": {
          "@id": "https://w3id.org/security#previousProof",
          "@type": "@id"
        },
        "proofPurpose": {
          "@id": "https://w3id.org/security#proofPurpose",
          "@type": "@vocab",
          "@context": {
            "@protected": true,

            "id": "@id",
            "type": "@type",

            "assertionMethod": {
              "@id": "https://w3id.org/security#assertionMethod",
              "@type": "@id",
              "@container": "@set"
            },
            "authentication": {
              "@id": "https://w3id.org/security#authenticationMethod",
              "@type": "@id",
              "@container": "@set"
            },
            "capabilityDelegation": {
              "@id": "https://w3id.org/security#capabilityDelegationMethod",
              "@type": "@id",
              "@container": "@set"
            },
            "capabilityInvocation": {
              "@id": "https://w3id.org/security#capabilityInvocationMethod",
              "@type": "@id",
              "@container": "@set"
            },
            "keyAgreement": {
              "@id": "https://w3id.org/security#keyAgreementMethod",
              "@type": "@id",
              "@container": "@set"
            }
          }
        },
        "proofValue": {
          "@id": "https://w3id.org/security#proofValue",
          "@type": "https://w3id.org/security#multibase"
        },
        "verificationMethod": {
          "@id": "https://w3id.org/security#verificationMethod",
          "@type": "@id"
        }
      }
    },

    "...": {
      "@id": "https://www.iana.org/assignments/jwt#..."
    },
    "_sd": {
      "@id": "https://www.iana.org/assignments/jwt#_sd",
      "@type": "@json"
    },
    "_sd_alg": {
      "@id": "https://www.iana.org/assignments/jwt#_sd_alg"
    },
    "aud": {
      "@id": "https://www.iana.org/assignments/jwt#aud",
      "@type": "@id"
    },
    "cnf": {
      "@id": "https://www.iana.org/assignments/jwt#cnf",
      "@context": {
        "@protected": true,

        "kid": {
          "@id": "https://www.iana.org/assignments/jwt#kid",
          "@type": "@id"
        },
        "jwk": {
          "@id": "https://www.iana.org/assignments/jwt#jwk",
          "@type": "@json"
        }
      }
    },
    "exp": {
      "@id": "https://www.iana.org/assignments/jwt#exp",
      "@type": "https://www.w3.org/2001/XMLSchema#nonNegativeInteger"
    },
    "iat": {
      "@id": "https://www.iana.org/assignments/jwt#iat",
      "@type": "https://www.w3.org/2001/XMLSchema#nonNegativeInteger"
    },
    "iss": {
      "@id": "https://www.iana.org/assignments/jose#iss",
      "@type": "@id"
    },
    "jku": {
      "@id": "https://www.iana.org/assignments/jose#jku",
      "@type": "@id"
    },
    "kid": {
      "@id": "https://www.iana.org/assignments/jose#kid",
      "@type": "@id"
    },
    "nbf": {
      "@id": "https://www.iana.org/assignments/jwt#nbf",
      "@type": "https://www.w3.org/2001/XMLSchema#nonNegativeInteger"
    },
    "sub": {
      "@id": "https://www.iana.org/assignments/jose#sub",
      "@type": "@id"
    },
    "x5u": {
      "@id": "https://www.iana.org/assignments/jose#x5u",
      "@type": "@id"
    }
  }
}$context$, true),
    ('https://www.w3.org/2018/credentials/v1', $context${
  "@context": {
    "@version": 1.1,
    "@protected": true,

    "id": "@id",
    "type": "@type",

    "VerifiableCredential": {
      "@id": "https://www.w3.org/2018/credentials#VerifiableCredential",
      "@context": {
        "@version": 1.1,
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "cred": "https://www.w3.org/2018/credentials#",
        "sec": "https://w3id.org/security#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",

        "credentialSchema": {
          "@id": "cred:credentialSchema",
          "@type": "@id",
          "@context": {
            "@version": 1.1,
            "@protected": true,

            "id": "@id",
            "type": "@type",

            "cred": "https://www.w3.org/2018/credentials#",

            "JsonSchemaValidator2018": "cred:JsonSchemaValidator2018"
          }
        },
        "credentialStatus": {"@id": "cred:credentialStatus", "@type": "@id"},
        "credentialSubject": {"@id": "cred:credentialSubject", "@type": "@id"},
        "evidence": {"@id": "cred:evidence", "@type": "@id"},
        "expirationDate": {"@id": "cred:expirationDate", "@type": "xsd:dateTime"},
        "holder": {"@id": "cred:holder", "@type": "@id"},
        "issued": {"@id": "cred:issued", "@type": "xsd:dateTime"},
        "issuer": {"@id": "cred:issuer", "@type": "@id"},
        "issuanceDate": {"@id": "cred:issuanceDate", "@type": "xsd:dateTime"},
        "proof": {"@id": "sec:proof", "@type": "@id", "@container": "@graph"},
        "refreshService": {
          "@id": "cred:refreshService",
          "@type": "@id",
          "@context": {
            "@version": 1.1,
            "@protected": true,

            "id": "@id",
            "type": "@type",

            "cred": "https://www.w3.org/2018/credentials#",

            "ManualRefreshService2018": "cred:ManualRefreshService2018"
          }
        },
        "termsOfUse": {"@id": "cred:termsOfUse", "@type": "@id"},
        "validFrom": {"@id": "cred:validFrom", "@type": "xsd:dateTime"},
        "validUntil": {"@id": "cred:validUntil", "@type": "xsd:dateTime"}
      }
    },

    "VerifiablePresentation": {
      "@id": "https://www.w3.org/2018/credentials#VerifiablePresentation",
      "@context": {
        "@version": 1.1,
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "cred": "https://www.w3.org/2018/credentials#",
        "sec": "https://w3id.org/security#",

        "holder": {"@id": "cred:holder", "@type": "@id"},
        "proof": {"@id": "sec:proof", "@type": "@id", "@container": "@graph"},
        "verifiableCredential": {"@id": "cred:verifiableCredential", "@type": "@id", "@container": "@graph"}
      }
    },

    "EcdsaSecp256k1Signature2019": {
      "@id": "https://w3id.org/security#EcdsaSecp256k1Signature2019",
      "@context": {
        "@version": 1.1,
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "sec": "https://w3id.org/security#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",

        "challenge": "sec:challenge",
        "created": {"@id": "http://purl.org/dc/terms/created", "@type": "xsd:dateTime"},
        "domain": "sec:domain",
        "expires": {"@id": "sec:expiration", "@type": "xsd:dateTime"},
        "jws": "sec:jws",
        "nonce": "sec:nonce",
        "proofPurpose": {
          "@id": "sec:proofPurpose",
          "@type": "@vocab",
          "@context": {
            "@version": 1.1,
            "@protected": true,

            "id": "@id",
            "type": "@type",

            "sec": "https://w3id.org/security#",

            "assertionMethod": {"@id": "sec:assertionMethod", "@type": "@id", "@container": "@set"},
            "authentication": {"@id": "sec:authenticationMethod", "@type": "@id", "@container": "@set"}
          }
        },
        "proofValue": "sec:proofValue",
        "verificationMethod": {"@id": "sec:verificationMethod", "@type": "@id"}
      }
    },

    "EcdsaSecp256r1Signature2019": {
      "@id": "https://w3id.org/security#EcdsaSecp256r1Signature2019",
      "@context": {
        "@version": 1.1,
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "sec": "https://w3id.org/security#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",

        "challenge": "sec:challenge",
        "created": {"@id": "http://purl.org/dc/terms/created", "@type": "xsd:dateTime"},
        "domain": "sec:domain",
        "expires": {"@id": "sec:expiration", "@type": "xsd:dateTime"},
        "jws": "sec:jws",
        "nonce": "sec:nonce",
        "proofPurpose": {
          "@id": "sec:proofPurpose",
          "@type": "@vocab",
          "@context": {
            "@version": 1.1,
            "@protected": true,

            "id": "@id",
            "type": "@type",

            "sec": "https://w3id.org/security#",

            "assertionMethod": {"@id": "sec:assertionMethod", "@type": "@id", "@container": "@set"},
            "authentication": {"@id": "sec:authenticationMethod", "@type": "@id", "@container": "@set"}
          }
        },
        "proofValue": "sec:proofValue",
        "verificationMethod": {"@id": "sec:verificationMethod", "@type": "@id"}
      }
    },

    "Ed25519Signature2018": {
      "@id": "https://w3id.org/security#Ed25519Signature2018",
      "@context": {
        "@version": 1.1,
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "sec": "https://w3id.org/security#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",

        "challenge": "sec:challenge",
        "created": {"@id": "http://purl.org/dc/terms/created", "@type": "xsd:dateTime"},
        "domain": "sec:domain",
        "expires": {"@id": "sec:expiration", "@type": "xsd:dateTime"},
        "jws": "sec:jws",
        "nonce": "sec:nonce",
        "proofPurpose": {
          "@id": "sec:proofPurpose",
          "@type": "@vocab",
          "@context": {
            "@version": 1.1,
            "@protected": true,

            "id": "@id",
            "type": "@type",

            "sec": "https://w3id.org/security#",

            "assertionMethod": {"@id": "sec:assertionMethod", "@type": "@id", "@container": "@set"},
            "authentication": {"@id": "sec:authenticationMethod", "@type": "@id", "@container": "@set"}
          }
        },
        "proofValue": "sec:proofValue",
        "verificationMethod": {"@id": "sec:verificationMethod", "@type": "@id"}
      }
    },

    "RsaSignature2018": {
      "@id": "https://w3id.org/security#RsaSignature2018",
      "@context": {
        "@version": 1.1,
        "@protected": true,

        "challenge": "sec:challenge",
        "created": {"@id": "http://purl.org/dc/terms/created", "@type": "xsd:dateTime"},
        "domain": "sec:domain",
        "expires": {"@id": "sec:expiration", "@type": "xsd:dateTime"},
        "jws": "sec:jws",
        "nonce": "sec:nonce",
        "proofPurpose": {
          "@id": "sec:proofPurpose",
          "@type": "@vocab",
          "@context": {
            "@version": 1.1,
            "@protected": true,

            "id": "@id",
            "type": "@type",

            "sec": "https://w3id.org/security#",

            "assertionMethod": {"@id": "sec:assertionMethod", "@type": "@id", "@container": "@set"},
            "authentication": {"@id": "sec:authenticationMethod", "@type": "@id", "@container": "@set"}
          }
        },
        "proofValue": "sec:proofValue",
        "verificationMethod": {"@id": "sec:verificationMethod", "@type": "@id"}
      }
    },

    "proof": {"@id": "https://w3id.org/security#proof", "@type": "@id", "@container": "@graph"}
  }
}
$context$, true),
    ('https://www.w3.org/ns/credentials/examples/v2', $context${
  "@context": {
    "@vocab": "https://www.w3.org/ns/credentials/examples#"
  }
}
$context$, true),
    ('https://w3id.org/security/data-integrity/v2', $context${
  "@context": {
    "id": "@id",
    "type": "@type",
    "@protected": true,
    "proof": {
      "@id": "https://w3id.org/security#proof",
      "@type": "@id",
      "@container": "@graph"
    },
    "DataIntegrityProof": {
      "@id": "https://w3id.org/security#DataIntegrityProof",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "challenge": "https://w3id.org/security#challenge",
        "created": {
          "@id": "http://purl.org/dc/terms/created",
          "@type": "http://www.w3.org/2001/XMLSchema#dateTime"
        },
        "domain": "https://w3id.org/security#domain",
        "expires": {
          "@id": "https://w3id.org/security#expiration",
          "@type": "http://www.w3.org/2001/XMLSchema#dateTime"
        },
        "nonce": "https://w3id.org/security#nonce",
        "previousProof": {
          "@id": "https://w3id.org/security#previousProof",
          "@type": "@id"
        },
        "proofPurpose": {
          "@id": "https://w3id.org/security#proofPurpose",
          "@type": "@vocab",
          "@context": {
            "@protected": true,
            "id": "@id",
            "type": "@type",
            "assertionMethod": {
              "@id": "https://w3id.org/security#assertionMethod",
              "@type": "@id",
              "@container": "@set"
            },
            "authentication": {
              "@id": "https://w3id.org/security#authenticationMethod",
              "@type": "@id",
              "@container": "@set"
            },
            "capabilityInvocation": {
              "@id": "https://w3id.org/security#capabilityInvocationMethod",
              "@type": "@id",
              "@container": "@set"
            },
            "capabilityDelegation": {
              "@id": "https://w3id.org/security#capabilityDelegationMethod",
              "@type": "@id",
              "@container": "@set"
            },
            "keyAgreement": {
              "@id": "https://w3id.org/security#keyAgreementMethod",
              "@type": "@id",
              "@container": "@set"
            }
          }
        },
        "cryptosuite": {
          "@id": "https://w3id.org/security#cryptosuite",
          "@type": "https://w3id.org/security#cryptosuiteString"
        },
        "proofValue": {
          "@id": "https://w3id.org/security#proofValue",
          "@type": "https://w3id.org/security#multibase"
        },
        "verificationMethod": {
          "@id": "https://w3id.org/security#verificationMethod",
          "@type": "@id"
        }
      }
    }
  }
}$context$, true),
    ('https://w3id.org/security/multikey/v1', $context${
  "@context": {
    "id": "@id",
    "type": "@type",
    "@protected": true,
    "Multikey": {
      "@id": "https://w3id.org/security#Multikey",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "controller": {
          "@id": "https://w3id.org/security#controller",
          "@type": "@id"
        },
        "revoked": {
          "@id": "https://w3id.org/security#revoked",
          "@type": "http://www.w3.org/2001/XMLSchema#dateTime"
        },
        "expires": {
          "@id": "https://w3id.org/security#expiration",
          "@type": "http://www.w3.org/2001/XMLSchema#dateTime"
        },
        "publicKeyMultibase": {
          "@id": "https://w3id.org/security#publicKeyMultibase",
          "@type": "https://w3id.org/security#multibase"
        },
        "secretKeyMultibase": {
          "@id": "https://w3id.org/security#secretKeyMultibase",
          "@type": "https://w3id.org/security#multibase"
        }
      }
    }
  }
}
$context$, true),
    ('https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json', $context${
  "@context": {
    "@protected": true,
    "id": "@id",
    "type": "@type",
    "OpenBadgeCredential": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential"
    },
    "Achievement": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Achievement",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "achievementType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievementType"
        },
        "alignment": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#alignment",
          "@container": "@set"
        },
        "creator": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#creator"
        },
        "creditsAvailable": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#creditsAvailable",
          "@type": "https://www.w3.org/2001/XMLSchema#float"
        },
        "criteria": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Criteria",
          "@type": "@id"
        },
        "fieldOfStudy": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#fieldOfStudy"
        },
        "humanCode": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#humanCode"
        },
        "image": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#image",
          "@type": "@id"
        },
        "otherIdentifier": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#otherIdentifier",
          "@container": "@set"
        },
        "related": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#related",
          "@container": "@set"
        },
        "resultDescription": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#resultDescription",
          "@container": "@set"
        },
        "specialization": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#specialization"
        },
        "tag": {
          "@id": "https://schema.org/keywords",
          "@container": "@set"
        },
        "version": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#version"
        },
        "inLanguage": {
          "@id": "https://schema.org/inLanguage"
        }
      }
    },
    "AchievementCredential": {
      "@id": "OpenBadgeCredential"
    },
    "AchievementSubject": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#AchievementSubject",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "achievement": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievement"
        },
        "activityEndDate": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#activityEndDate",
          "@type": "https://www.w3.org/2001/XMLSchema#date"
        },
        "activityStartDate": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#activityStartDate",
          "@type": "https://www.w3.org/2001/XMLSchema#date"
        },
        "creditsEarned": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#creditsEarned",
          "@type": "https://www.w3.org/2001/XMLSchema#float"
        },
        "identifier": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identifier",
          "@container": "@set"
        },
        "image": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#image",
          "@type": "@id"
        },
        "licenseNumber": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#licenseNumber"
        },
        "result": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#result",
          "@container": "@set"
        },
        "role": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#role"
        },
        "source": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#source",
          "@type": "@id"
        },
        "term": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#term"
        }
      }
    },
    "Address": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Address",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "addressCountry": {
          "@id": "https://schema.org/addressCountry"
        },
        "addressCountryCode": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#CountryCode"
        },
        "addressLocality": {
          "@id": "https://schema.org/addressLocality"
        },
        "addressRegion": {
          "@id": "https://schema.org/addressRegion"
        },
        "geo": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#GeoCoordinates"
        },
        "postOfficeBoxNumber": {
          "@id": "https://schema.org/postOfficeBoxNumber"
        },
        "postalCode": {
          "@id": "https://schema.org/postalCode"
        },
        "streetAddress": {
          "@id": "https://schema.org/streetAddress"
        }
      }
    },
    "Alignment": {
      "@id": "https://schema.org/AlignmentObject",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "targetCode": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#targetCode"
        },
        "targetDescription": {
          "@id": "https://schema.org/targetDescription"
        },
        "targetFramework": {
          "@id": "https://schema.org/targetFramework"
        },
        "targetName": {
          "@id": "https://schema.org/targetName"
        },
        "targetType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#targetType"
        },
        "targetUrl": {
          "@id": "https://schema.org/targetUrl",
          "@type": "https://www.w3.org/2001/XMLSchema#anyURI"
        }
      }
    },
    "Criteria": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Criteria"
    },
    "EndorsementCredential": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#EndorsementCredential"
    },
    "EndorsementSubject": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#EndorsementSubject",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "endorsementComment": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#endorsementComment"
        }
      }
    },
    "Evidence": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Evidence",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "audience": {
          "@id": "https://schema.org/audience"
        },
        "genre": {
          "@id": "https://schema.org/genre"
        }
      }
    },
    "GeoCoordinates": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#GeoCoordinates",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "latitude": {
          "@id": "https://schema.org/latitude"
        },
        "longitude": {
          "@id": "https://schema.org/longitude"
        }
      }
    },
    "IdentifierEntry": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#IdentifierEntry",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "identifier": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identifier"
        },
        "identifierType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identifierType"
        }
      }
    },
    "IdentityObject": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#IdentityObject",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "hashed": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#hashed",
          "@type": "https://www.w3.org/2001/XMLSchema#boolean"
        },
        "identityHash": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identityHash"
        },
        "identityType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identityType"
        },
        "salt": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#salt"
        }
      }
    },
    "Image": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Image",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "caption": {
          "@id": "https://schema.org/caption"
        }
      }
    },
    "Profile": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Profile",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "additionalName": {
          "@id": "https://schema.org/additionalName"
        },
        "address": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#address",
          "@type": "@id"
        },
        "dateOfBirth": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#dateOfBirth",
          "@type": "https://www.w3.org/2001/XMLSchema#date"
        },
        "email": {
          "@id": "https://schema.org/email"
        },
        "familyName": {
          "@id": "https://schema.org/familyName"
        },
        "familyNamePrefix": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#familyNamePrefix"
        },
        "givenName": {
          "@id": "https://schema.org/givenName"
        },
        "honorificPrefix": {
          "@id": "https://schema.org/honorificPrefix"
        },
        "honorificSuffix": {
          "@id": "https://schema.org/honorificSuffix"
        },
        "image": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#image",
          "@type": "@id"
        },
        "otherIdentifier": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#otherIdentifier",
          "@container": "@set"
        },
        "parentOrg": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#parentOrg",
          "@type": "@id"
        },
        "patronymicName": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#patronymicName"
        },
        "phone": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#phone"
        },
        "official": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#official"
        }
      }
    },
    "Related": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Related",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "version": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#version"
        },
        "inLanguage": {
          "@id": "https://schema.org/inLanguage"
        }
      }
    },
    "Result": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Result",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "achievedLevel": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievedLevel",
          "@type": "https://www.w3.org/2001/XMLSchema#anyURI"
        },
        "resultDescription": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#resultDescription",
          "@type": "https://www.w3.org/2001/XMLSchema#anyURI"
        },
        "status": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#status"
        },
        "value": {
          "@id": "https://schema.org/value"
        }
      }
    },
    "ResultDescription": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#ResultDescription",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "allowedValue": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#allowedValue",
          "@container": "@list"
        },
        "requiredLevel": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#requiredLevel",
          "@type": "https://www.w3.org/2001/XMLSchema#anyURI"
        },
        "requiredValue": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#requiredValue"
        },
        "resultType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#resultType"
        },
        "rubricCriterionLevel": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#rubricCriterionLevel",
          "@container": "@set"
        },
        "valueMax": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#valueMax"
        },
        "valueMin": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#valueMin"
        }
      }
    },
    "RubricCriterionLevel": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#RubricCriterionLevel",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "level": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#level"
        },
        "points": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#points"
        }
      }
    },
    "alignment": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#alignment",
      "@container": "@set"
    },
    "description": {
      "@id": "https://schema.org/description"
    },
    "endorsement": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#endorsement",
      "@container": "@set"
    },
    "image": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#image",
      "@type": "@id"
    },
    "inLanguage": {
      "@id": "https://schema.org/inLanguage"
    },
    "name": {
      "@id": "https://schema.org/name"
    },
    "narrative": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#narrative"
    },
    "url": {
      "@id": "https://schema.org/url",
      "@type": "https://www.w3.org/2001/XMLSchema#anyURI"
    },
    "awardedDate": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#awardedDate",
      "@type": "xsd:dateTime"
    }
  }
}
$context$, true),
    ('https://w3id.org/citizenship/v4rc1', $context${
  "@context": {
    "@protected": true,

    "image": {"@id": "https://schema.org/image", "@type": "@id"},

    "QuantitativeValue": {
      "@id": "https://schema.org/QuantitativeValue",
      "@context": {
        "@protected": true,

        "unitCode": "https://schema.org/unitCode",
        "value": "https://schema.org/value"
      }
    },

    "PostalAddress": {
      "@id": "https://schema.org/PostalAddress",
      "@context": {
        "@protected": true,

        "addressCountry": "https://schema.org/addressCountry",
        "addressLocality": "https://schema.org/addressLocality",
        "addressRegion": "https://schema.org/addressRegion"
      }
    },

    "Person": {
      "@id": "https://schema.org/Person",

      "@context": {
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "additionalName": "https://schema.org/additionalName",
        "birthCountry": "https://w3id.org/citizenship#birthCountry",
        "birthDate": {"@id": "https://schema.org/birthDate", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"},
        "familyName": "https://schema.org/familyName",
        "gender": "https://schema.org/gender",
        "givenName": "https://schema.org/givenName",
        "height": "https://schema.org/height",
        "image": {"@id": "https://schema.org/image", "@type": "@id"},
        "maritalStatus": "https://w3id.org/citizenship#maritalStatus",
        "marriageCertificateNumber": "https://w3id.org/citizenship#marriageCertificateNumber",
        "marriageLocation": {"@id": "https://w3id.org/citizenship#marriageLocation", "@type": "@id"}
      }
    },

    "PermanentResident": {
      "@id": "https://w3id.org/citizenship#PermanentResident",
      "@context": {
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "commuterClassification": "https://w3id.org/citizenship#commuterClassification",
        "formerNationality": "https://w3id.org/citizenship#formerNationality",
        "permanentResidentCard": {"@id": "https://w3id.org/citizenship#permanentResidentCard", "@type": "@id"},
        "residence": {"@id": "https://w3id.org/citizenship#residence", "@type": "@id"},
        "residentSince": {"@id": "https://w3id.org/citizenship#residentSince", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"}
      }
    },

    "PermanentResidentCard": {
      "@id": "https://w3id.org/citizenship#PermanentResidentCard",
      "@context": {
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "filingLocation": {"@id": "https://w3id.org/citizenship#filingLocation", "@type": "@id"},
        "identifier": "https://schema.org/identifier",
        "lprCategory": "https://w3id.org/citizenship#lprCategory",
        "lprNumber": "https://w3id.org/citizenship#lprNumber",
        "mrzHash": {
          "@id": "https://w3id.org/citizenship#mrzHash",
          "@type": "https://w3id.org/security#multibase"
        }
      }
    },

    "PermanentResidentCardCredential": "https://w3id.org/citizenship#PermanentResidentCardCredential",

    "EmployablePerson": {
      "@id": "https://w3id.org/citizenship#EmployablePerson",
      "@context": {
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "commuterClassification": "https://w3id.org/citizenship#commuterClassification",
        "employmentAuthorizationDocument": {"@id": "https://w3id.org/citizenship#employmentAuthorizationDocument", "@type": "@id"},
        "formerNationality": "https://w3id.org/citizenship#formerNationality",
        "residence": {"@id": "https://w3id.org/citizenship#residence", "@type": "@id"},
        "residentSince": {"@id": "https://w3id.org/citizenship#residentSince", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"}
      }
    },

    "EmploymentAuthorizationDocument": {
      "@id": "https://w3id.org/citizenship#EmploymentAuthorizationDocument",
      "@context": {
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "filingLocation": {"@id": "https://w3id.org/citizenship#filingLocation", "@type": "@id"},
        "identifier": "https://schema.org/identifier",
        "lprCategory": "https://w3id.org/citizenship#lprCategory",
        "lprNumber": "https://w3id.org/citizenship#lprNumber",
        "mrzHash": {
          "@id": "https://w3id.org/citizenship#mrzHash",
          "@type": "https://w3id.org/security#multibase"
        }
      }
    },

    "EmploymentAuthorizationDocumentCredential": "https://w3id.org/citizenship#EmploymentAuthorizationDocumentCredential",

    "NaturalizedPerson": {
      "@id": "https://w3id.org/citizenship#NaturalizedPerson",
      "@context": {
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "formerNationality": "https://w3id.org/citizenship#formerNationality",
        "certificateOfNaturalization": {"@id": "https://w3id.org/citizenship#certificateOfNaturalization", "@type": "@id"},
        "residence": {"@id": "https://w3id.org/citizenship#residence", "@type": "@id"},
        "residentSince": {"@id": "https://w3id.org/citizenship#residentSince", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"},
        "commuterClassification": "https://w3id.org/citizenship#commuterClassification"
      }
    },

    "CertificateOfNaturalization": {
      "@id": "https://w3id.org/citizenship#CertificateOfNaturalization",
      "@context": {
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "ceremonyDate": {"@id": "https://w3id.org/citizenship#ceremonyDate", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"},
        "ceremonyLocation": {"@id": "https://w3id.org/citizenship#ceremonyLocation", "@type": "@id"},
        "filingLocation": {"@id": "https://w3id.org/citizenship#filingLocation", "@type": "@id"},
        "naturalizationLocation": {"@id": "https://w3id.org/citizenship#naturalizationLocation", "@type": "@id"},
        "naturalizedBy": "https://w3id.org/citizenship#naturalizedBy",
        "identifier": "https://schema.org/identifier",
        "insRegistrationNumber": "https://w3id.org/citizenship#insRegistrationNumber"
      }
    },

    "CertificateOfNaturalizationCredential": "https://w3id.org/citizenship#CertificateOfNaturalizationCredential",

    "Citizen": {
      "@id": "https://w3id.org/citizenship#Citizen",
      "@context": {
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "certificateOfCitizenship": {"@id": "https://w3id.org/citizenship#certificateOfCitizenship", "@type": "@id"}
      }
    },

    "CertificateOfCitizenship": {
      "@id": "https://w3id.org/citizenship#CertificateOfCitizenship",
      "@context": {
        "@protected": true,

        "id": "@id",
        "type": "@type",

        "filingLocation": {"@id": "https://w3id.org/citizenship#filingLocation", "@type": "@id"},
        "identifier": "https://schema.org/identifier",
        "ceremonyDate": {"@id": "https://w3id.org/citizenship#ceremonyDate", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"},
        "ceremonyLocation": {"@id": "https://w3id.org/citizenship#ceremonyLocation", "@type": "@id"},
        "cisRegistrationNumber": "https://w3id.org/citizenship#cisRegistrationNumber"
      }
    },

    "CertificateOfCitizenshipCredential": "https://w3id.org/citizenship#CertificateOfCitizenshipCredential"
  }
}
$context$, true),
    ('https://purl.imsglobal.org/spec/ob/v3p0/context.json', $context${
  "@context": {
    "id": "@id",
    "type": "@type",
    "xsd": "https://www.w3.org/2001/XMLSchema#",
    "OpenBadgeCredential": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential"
    },
    "Achievement": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Achievement",
      "@context": {
        "achievementType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievementType",
          "@type": "xsd:string"
        },
        "alignment": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#alignment",
          "@type": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Alignment",
          "@container": "@set"
        },
        "creator": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Profile"
        },
        "creditsAvailable": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#creditsAvailable",
          "@type": "xsd:float"
        },
        "criteria": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Criteria",
          "@type": "@id"
        },
        "fieldOfStudy": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#fieldOfStudy",
          "@type": "xsd:string"
        },
        "humanCode": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#humanCode",
          "@type": "xsd:string"
        },
        "otherIdentifier": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#otherIdentifier",
          "@type": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#IdentifierEntry",
          "@container": "@set"
        },
        "related": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#related",
          "@type": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Related",
          "@container": "@set"
        },
        "resultDescription": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#resultDescription",
          "@type": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#ResultDescription",
          "@container": "@set"
        },
        "specialization": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#specialization",
          "@type": "xsd:string"
        },
        "tag": {
          "@id": "https://schema.org/keywords",
          "@type": "xsd:string",
          "@container": "@set"
        },
        "version": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#version",
          "@type": "xsd:string"
        }
      }
    },
    "AchievementCredential": {
      "@id": "OpenBadgeCredential"
    },
    "AchievementSubject": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#AchievementSubject",
      "@context": {
        "achievement": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Achievement"
        },
        "activityEndDate": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#activityEndDate",
          "@type": "xsd:date"
        },
        "activityStartDate": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#activityStartDate",
          "@type": "xsd:date"
        },
        "creditsEarned": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#creditsEarned",
          "@type": "xsd:float"
        },
        "identifier": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identifier",
          "@type": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#IdentityObject",
          "@container": "@set"
        },
        "licenseNumber": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#licenseNumber",
          "@type": "xsd:string"
        },
        "result": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#result",
          "@type": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Result",
          "@container": "@set"
        },
        "role": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#role",
          "@type": "xsd:string"
        },
        "source": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#source",
          "@type": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Profile"
        },
        "term": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#term",
          "@type": "xsd:string"
        }
      }
    },
    "Address": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Address",
      "@context": {
        "addressCountry": {
          "@id": "https://schema.org/addressCountry",
          "@type": "xsd:string"
        },
        "addressCountryCode": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#CountryCode",
          "@type": "xsd:string"
        },
        "addressLocality": {
          "@id": "https://schema.org/addressLocality",
          "@type": "xsd:string"
        },
        "addressRegion": {
          "@id": "https://schema.org/addressRegion",
          "@type": "xsd:string"
        },
        "geo": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#GeoCoordinates"
        },
        "postOfficeBoxNumber": {
          "@id": "https://schema.org/postOfficeBoxNumber",
          "@type": "xsd:string"
        },
        "postalCode": {
          "@id": "https://schema.org/postalCode",
          "@type": "xsd:string"
        },
        "streetAddress": {
          "@id": "https://schema.org/streetAddress",
          "@type": "xsd:string"
        }
      }
    },
    "Alignment": {
      "@id": "https://schema.org/Alignment",
      "@context": {
        "targetCode": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#targetCode",
          "@type": "xsd:string"
        },
        "targetDescription": {
          "@id": "https://schema.org/targetDescription",
          "@type": "xsd:string"
        },
        "targetFramework": {
          "@id": "https://schema.org/targetFramework",
          "@type": "xsd:string"
        },
        "targetName": {
          "@id": "https://schema.org/targetName",
          "@type": "xsd:string"
        },
        "targetType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#targetType",
          "@type": "xsd:string"
        },
        "targetUrl": {
          "@id": "https://schema.org/targetUrl",
          "@type": "xsd:anyURI"
        }
      }
    },
    "Criteria": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Criteria"
    },
    "EndorsementCredential": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#EndorsementCredential"
    },
    "EndorsementSubject": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#EndorsementSubject",
      "@context": {
        "endorsementComment": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#endorsementComment",
          "@type": "xsd:string"
        }
      }
    },
    "Evidence": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Evidence",
      "@context": {
        "audience": {
          "@id": "https://schema.org/audience",
          "@type": "xsd:string"
        },
        "genre": {
          "@id": "https://schema.org/genre",
          "@type": "xsd:string"
        }
      }
    },
    "GeoCoordinates": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#GeoCoordinates",
      "@context": {
        "latitude": {
          "@id": "https://schema.org/latitude",
          "@type": "xsd:string"
        },
        "longitude": {
          "@id": "https://schema.org/longitude",
          "@type": "xsd:string"
        }
      }
    },
    "IdentifierEntry": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#IdentifierEntry",
      "@context": {
        "identifier": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identifier",
          "@type": "xsd:string"
        },
        "identifierType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identifierType",
          "@type": "xsd:string"
        }
      }
    },
    "IdentityObject": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#IdentityObject",
      "@context": {
        "hashed": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#hashed",
          "@type": "xsd:boolean"
        },
        "identityHash": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identityHash",
          "@type": "xsd:string"
        },
        "identityType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identityType",
          "@type": "xsd:string"
        },
        "salt": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#salt",
          "@type": "xsd:string"
        }
      }
    },
    "Image": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Image",
      "@context": {
        "caption": {
          "@id": "https://schema.org/caption",
          "@type": "xsd:string"
        }
      }
    },
    "Profile": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Profile",
      "@context": {
        "additionalName": {
          "@id": "https://schema.org/additionalName",
          "@type": "xsd:string"
        },
        "address": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Address"
        },
        "dateOfBirth": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#dateOfBirth",
          "@type": "xsd:date"
        },
        "email": {
          "@id": "https://schema.org/email",
          "@type": "xsd:string"
        },
        "familyName": {
          "@id": "https://schema.org/familyName",
          "@type": "xsd:string"
        },
        "familyNamePrefix": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#familyNamePrefix",
          "@type": "xsd:string"
        },
        "givenName": {
          "@id": "https://schema.org/givenName",
          "@type": "xsd:string"
        },
        "honorificPrefix": {
          "@id": "https://schema.org/honorificPrefix",
          "@type": "xsd:string"
        },
        "honorificSuffix": {
          "@id": "https://schema.org/honorificSuffix",
          "@type": "xsd:string"
        },
        "otherIdentifier": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#otherIdentifier",
          "@type": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#IdentifierEntry",
          "@container": "@set"
        },
        "parentOrg": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#parentOrg",
          "@type": "xsd:string"
        },
        "patronymicName": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#patronymicName",
          "@type": "xsd:string"
        },
        "phone": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#PhoneNumber",
          "@type": "xsd:string"
        },
        "official": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#official",
          "@type": "xsd:string"
        }
      }
    },
    "Related": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Related",
      "@context": {
        "version": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#version",
          "@type": "xsd:string"
        }
      }
    },
    "Result": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Result",
      "@context": {
        "achievedLevel": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievedLevel",
          "@type": "xsd:anyURI"
        },
        "resultDescription": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#resultDescription",
          "@type": "xsd:anyURI"
        },
        "status": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#status",
          "@type": "xsd:string"
        },
        "value": {
          "@id": "https://schema.org/value",
          "@type": "xsd:string"
        }
      }
    },
    "ResultDescription": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#ResultDescription",
      "@context": {
        "allowedValue": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#allowedValue",
          "@type": "xsd:string",
          "@container": "@set"
        },
        "requiredLevel": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#requiredLevel",
          "@type": "xsd:anyURI"
        },
        "requiredValue": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#requiredValue",
          "@type": "xsd:string"
        },
        "resultType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#resultType",
          "@type": "xsd:string"
        },
        "rubricCriterionLevel": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#rubricCriterionLevel",
          "@type": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#RubricCriterionLevel",
          "@container": "@set"
        },
        "valueMax": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#valueMax",
          "@type": "xsd:string"
        },
        "valueMin": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#valueMin",
          "@type": "xsd:string"
        }
      }
    },
    "RubricCriterionLevel": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#RubricCriterionLevel",
      "@context": {
        "level": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#level",
          "@type": "xsd:string"
        },
        "points": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#points",
          "@type": "xsd:string"
        }
      }
    },
    "alignment": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#alignment",
      "@type": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Alignment",
      "@container": "@set"
    },
    "description": {
      "@id": "https://schema.org/description",
      "@type": "xsd:string"
    },
    "endorsement": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#endorsement",
      "@type": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#EndorsementCredential",
      "@container": "@set"
    },
    "image": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#image",
      "@type": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Image"
    },
    "name": {
      "@id": "https://schema.org/name",
      "@type": "xsd:string"
    },
    "narrative": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#narrative",
      "@type": "xsd:string"
    },
    "url": {
      "@id": "https://schema.org/url",
      "@type": "xsd:anyURI"
    }
  }
}
$context$, true),
    ('https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json', $context${
  "@context": {
    "id": "@id",
    "type": "@type",
    "xsd": "https://www.w3.org/2001/XMLSchema#",
    "OpenBadgeCredential": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential"
    },
    "Achievement": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Achievement",
      "@context": {
        "achievementType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievementType",
          "@type": "xsd:string"
        },
        "alignment": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#alignment",
          "@container": "@set"
        },
        "creator": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#creator"
        },
        "creditsAvailable": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#creditsAvailable",
          "@type": "xsd:float"
        },
        "criteria": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Criteria",
          "@type": "@id"
        },
        "fieldOfStudy": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#fieldOfStudy",
          "@type": "xsd:string"
        },
        "humanCode": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#humanCode",
          "@type": "xsd:string"
        },
        "image": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Image",
          "@type": "@id"
        },
        "otherIdentifier": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#otherIdentifier",
          "@container": "@set"
        },
        "related": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#related",
          "@container": "@set"
        },
        "resultDescription": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#resultDescription",
          "@container": "@set"
        },
        "specialization": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#specialization",
          "@type": "xsd:string"
        },
        "tag": {
          "@id": "https://schema.org/keywords",
          "@type": "xsd:string",
          "@container": "@set"
        },
        "version": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#version",
          "@type": "xsd:string"
        }
      }
    },
    "AchievementCredential": {
      "@id": "OpenBadgeCredential"
    },
    "AchievementSubject": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#AchievementSubject",
      "@context": {
        "achievement": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievement-0"
        },
        "activityEndDate": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#activityEndDate",
          "@type": "xsd:date"
        },
        "activityStartDate": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#activityStartDate",
          "@type": "xsd:date"
        },
        "creditsEarned": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#creditsEarned",
          "@type": "xsd:float"
        },
        "identifier": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identifier",
          "@container": "@set"
        },
        "image": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Image",
          "@type": "@id"
        },
        "licenseNumber": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#licenseNumber",
          "@type": "xsd:string"
        },
        "result": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#result",
          "@container": "@set"
        },
        "role": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#role",
          "@type": "xsd:string"
        },
        "source": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#source",
          "@type": "@id"
        },
        "term": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#term",
          "@type": "xsd:string"
        }
      }
    },
    "Address": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Address",
      "@context": {
        "addressCountry": {
          "@id": "https://schema.org/addressCountry",
          "@type": "xsd:string"
        },
        "addressCountryCode": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#CountryCode",
          "@type": "xsd:string"
        },
        "addressLocality": {
          "@id": "https://schema.org/addressLocality",
          "@type": "xsd:string"
        },
        "addressRegion": {
          "@id": "https://schema.org/addressRegion",
          "@type": "xsd:string"
        },
        "geo": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#GeoCoordinates"
        },
        "postOfficeBoxNumber": {
          "@id": "https://schema.org/postOfficeBoxNumber",
          "@type": "xsd:string"
        },
        "postalCode": {
          "@id": "https://schema.org/postalCode",
          "@type": "xsd:string"
        },
        "streetAddress": {
          "@id": "https://schema.org/streetAddress",
          "@type": "xsd:string"
        }
      }
    },
    "Alignment": {
      "@id": "https://schema.org/AlignmentObject",
      "@context": {
        "targetCode": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#targetCode",
          "@type": "xsd:string"
        },
        "targetDescription": {
          "@id": "https://schema.org/targetDescription",
          "@type": "xsd:string"
        },
        "targetFramework": {
          "@id": "https://schema.org/targetFramework",
          "@type": "xsd:string"
        },
        "targetName": {
          "@id": "https://schema.org/targetName",
          "@type": "xsd:string"
        },
        "targetType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#targetType",
          "@type": "xsd:string"
        },
        "targetUrl": {
          "@id": "https://schema.org/targetUrl",
          "@type": "xsd:anyURI"
        }
      }
    },
    "Criteria": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Criteria"
    },
    "EndorsementCredential": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#EndorsementCredential"
    },
    "EndorsementSubject": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#EndorsementSubject",
      "@context": {
        "endorsementComment": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#endorsementComment",
          "@type": "xsd:string"
        }
      }
    },
    "Evidence": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Evidence",
      "@context": {
        "audience": {
          "@id": "https://schema.org/audience",
          "@type": "xsd:string"
        },
        "genre": {
          "@id": "https://schema.org/genre",
          "@type": "xsd:string"
        }
      }
    },
    "GeoCoordinates": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#GeoCoordinates",
      "@context": {
        "latitude": {
          "@id": "https://schema.org/latitude",
          "@type": "xsd:string"
        },
        "longitude": {
          "@id": "https://schema.org/longitude",
          "@type": "xsd:string"
        }
      }
    },
    "IdentifierEntry": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#IdentifierEntry",
      "@context": {
        "identifier": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identifier",
          "@type": "xsd:string"
        },
        "identifierType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identifierType",
          "@type": "xsd:string"
        }
      }
    },
    "IdentityObject": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#IdentityObject",
      "@context": {
        "hashed": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#hashed",
          "@type": "xsd:boolean"
        },
        "identityHash": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identityHash",
          "@type": "xsd:string"
        },
        "identityType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identityType",
          "@type": "xsd:string"
        },
        "salt": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#salt",
          "@type": "xsd:string"
        }
      }
    },
    "Image": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Image",
      "@context": {
        "caption": {
          "@id": "https://schema.org/caption",
          "@type": "xsd:string"
        }
      }
    },
    "Profile": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Profile",
      "@context": {
        "additionalName": {
          "@id": "https://schema.org/additionalName",
          "@type": "xsd:string"
        },
        "address": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#address",
          "@type": "@id"
        },
        "dateOfBirth": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#dateOfBirth",
          "@type": "xsd:date"
        },
        "email": {
          "@id": "https://schema.org/email",
          "@type": "xsd:string"
        },
        "familyName": {
          "@id": "https://schema.org/familyName",
          "@type": "xsd:string"
        },
        "familyNamePrefix": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#familyNamePrefix",
          "@type": "xsd:string"
        },
        "givenName": {
          "@id": "https://schema.org/givenName",
          "@type": "xsd:string"
        },
        "honorificPrefix": {
          "@id": "https://schema.org/honorificPrefix",
          "@type": "xsd:string"
        },
        "honorificSuffix": {
          "@id": "https://schema.org/honorificSuffix",
          "@type": "xsd:string"
        },
        "image": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Image",
          "@type": "@id"
        },
        "otherIdentifier": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#otherIdentifier",
          "@container": "@set"
        },
        "parentOrg": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#parentOrg",
          "@type": "@id"
        },
        "patronymicName": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#patronymicName",
          "@type": "xsd:string"
        },
        "phone": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#phone",
          "@type": "xsd:string"
        },
        "official": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#official",
          "@type": "xsd:string"
        }
      }
    },
    "Related": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Related",
      "@context": {
        "version": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#version",
          "@type": "xsd:string"
        }
      }
    },
    "Result": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Result",
      "@context": {
        "achievedLevel": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievedLevel",
          "@type": "xsd:anyURI"
        },
        "resultDescription": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#resultDescription",
          "@type": "xsd:anyURI"
        },
        "status": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#status",
          "@type": "xsd:string"
        },
        "value": {
          "@id": "https://schema.org/value",
          "@type": "xsd:string"
        }
      }
    },
    "ResultDescription": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#ResultDescription",
      "@context": {
        "allowedValue": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#allowedValue",
          "@type": "xsd:string",
          "@container": "@set"
        },
        "requiredLevel": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#requiredLevel",
          "@type": "xsd:anyURI"
        },
        "requiredValue": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#requiredValue",
          "@type": "xsd:string"
        },
        "resultType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#resultType",
          "@type": "xsd:string"
        },
        "rubricCriterionLevel": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#rubricCriterionLevel",
          "@container": "@set"
        },
        "valueMax": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#valueMax",
          "@type": "xsd:string"
        },
        "valueMin": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#valueMin",
          "@type": "xsd:string"
        }
      }
    },
    "RubricCriterionLevel": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#RubricCriterionLevel",
      "@context": {
        "level": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#level",
          "@type": "xsd:string"
        },
        "points": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#points",
          "@type": "xsd:string"
        }
      }
    },
    "alignment": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#alignment",
      "@container": "@set"
    },
    "awardedDate": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#awardedDate",
      "@type": "xsd:dateTime"
    },
    "description": {
      "@id": "https://schema.org/description",
      "@type": "xsd:string"
    },
    "endorsement": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#endorsement",
      "@container": "@set"
    },
    "image": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#image",
      "@type": "@id"
    },
    "name": {
      "@id": "https://schema.org/name",
      "@type": "xsd:string"
    },
    "narrative": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#narrative",
      "@type": "xsd:string"
    },
    "url": {
      "@id": "https://schema.org/url",
      "@type": "xsd:anyURI"
    }
  }
}
$context$, true),
    ('https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json', $context${
  "@context": {
    "@protected": true,
    "id": "@id",
    "type": "@type",
    "OpenBadgeCredential": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential"
    },
    "Achievement": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Achievement",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "achievementType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievementType"
        },
        "alignment": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#alignment",
          "@container": "@set"
        },
        "creator": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#creator"
        },
        "creditsAvailable": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#creditsAvailable",
          "@type": "https://www.w3.org/2001/XMLSchema#float"
        },
        "criteria": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Criteria",
          "@type": "@id"
        },
        "fieldOfStudy": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#fieldOfStudy"
        },
        "humanCode": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#humanCode"
        },
        "image": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Image",
          "@type": "@id"
        },
        "otherIdentifier": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#otherIdentifier",
          "@container": "@set"
        },
        "related": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#related",
          "@container": "@set"
        },
        "resultDescription": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#resultDescription",
          "@container": "@set"
        },
        "specialization": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#specialization"
        },
        "tag": {
          "@id": "https://schema.org/keywords",
          "@container": "@set"
        },
        "version": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#version"
        }
      }
    },
    "AchievementCredential": {
      "@id": "OpenBadgeCredential"
    },
    "AchievementSubject": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#AchievementSubject",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "achievement": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievement-0"
        },
        "activityEndDate": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#activityEndDate",
          "@type": "https://www.w3.org/2001/XMLSchema#date"
        },
        "activityStartDate": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#activityStartDate",
          "@type": "https://www.w3.org/2001/XMLSchema#date"
        },
        "creditsEarned": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#creditsEarned",
          "@type": "https://www.w3.org/2001/XMLSchema#float"
        },
        "identifier": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identifier",
          "@container": "@set"
        },
        "image": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Image",
          "@type": "@id"
        },
        "licenseNumber": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#licenseNumber"
        },
        "result": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#result",
          "@container": "@set"
        },
        "role": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#role"
        },
        "source": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#source",
          "@type": "@id"
        },
        "term": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#term"
        }
      }
    },
    "Address": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Address",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "addressCountry": {
          "@id": "https://schema.org/addressCountry"
        },
        "addressCountryCode": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#CountryCode"
        },
        "addressLocality": {
          "@id": "https://schema.org/addressLocality"
        },
        "addressRegion": {
          "@id": "https://schema.org/addressRegion"
        },
        "geo": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#GeoCoordinates"
        },
        "postOfficeBoxNumber": {
          "@id": "https://schema.org/postOfficeBoxNumber"
        },
        "postalCode": {
          "@id": "https://schema.org/postalCode"
        },
        "streetAddress": {
          "@id": "https://schema.org/streetAddress"
        }
      }
    },
    "Alignment": {
      "@id": "https://schema.org/AlignmentObject",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "targetCode": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#targetCode"
        },
        "targetDescription": {
          "@id": "https://schema.org/targetDescription"
        },
        "targetFramework": {
          "@id": "https://schema.org/targetFramework"
        },
        "targetName": {
          "@id": "https://schema.org/targetName"
        },
        "targetType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#targetType"
        },
        "targetUrl": {
          "@id": "https://schema.org/targetUrl",
          "@type": "https://www.w3.org/2001/XMLSchema#anyURI"
        }
      }
    },
    "Criteria": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Criteria"
    },
    "EndorsementCredential": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#EndorsementCredential"
    },
    "EndorsementSubject": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#EndorsementSubject",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "endorsementComment": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#endorsementComment"
        }
      }
    },
    "Evidence": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Evidence",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "audience": {
          "@id": "https://schema.org/audience"
        },
        "genre": {
          "@id": "https://schema.org/genre"
        }
      }
    },
    "GeoCoordinates": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#GeoCoordinates",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "latitude": {
          "@id": "https://schema.org/latitude"
        },
        "longitude": {
          "@id": "https://schema.org/longitude"
        }
      }
    },
    "IdentifierEntry": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#IdentifierEntry",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "identifier": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identifier"
        },
        "identifierType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identifierType"
        }
      }
    },
    "IdentityObject": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#IdentityObject",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "hashed": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#hashed",
          "@type": "https://www.w3.org/2001/XMLSchema#boolean"
        },
        "identityHash": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identityHash"
        },
        "identityType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identityType"
        },
        "salt": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#salt"
        }
      }
    },
    "Image": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Image",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "caption": {
          "@id": "https://schema.org/caption"
        }
      }
    },
    "Profile": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Profile",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "additionalName": {
          "@id": "https://schema.org/additionalName"
        },
        "address": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#address",
          "@type": "@id"
        },
        "dateOfBirth": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#dateOfBirth",
          "@type": "https://www.w3.org/2001/XMLSchema#date"
        },
        "email": {
          "@id": "https://schema.org/email"
        },
        "familyName": {
          "@id": "https://schema.org/familyName"
        },
        "familyNamePrefix": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#familyNamePrefix"
        },
        "givenName": {
          "@id": "https://schema.org/givenName"
        },
        "honorificPrefix": {
          "@id": "https://schema.org/honorificPrefix"
        },
        "honorificSuffix": {
          "@id": "https://schema.org/honorificSuffix"
        },
        "image": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Image",
          "@type": "@id"
        },
        "otherIdentifier": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#otherIdentifier",
          "@container": "@set"
        },
        "parentOrg": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#parentOrg",
          "@type": "@id"
        },
        "patronymicName": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#patronymicName"
        },
        "phone": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#phone"
        },
        "official": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#official"
        }
      }
    },
    "Related": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Related",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "version": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#version"
        }
      }
    },
    "Result": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Result",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "achievedLevel": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievedLevel",
          "@type": "https://www.w3.org/2001/XMLSchema#anyURI"
        },
        "resultDescription": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#resultDescription",
          "@type": "https://www.w3.org/2001/XMLSchema#anyURI"
        },
        "status": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#status"
        },
        "value": {
          "@id": "https://schema.org/value"
        }
      }
    },
    "ResultDescription": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#ResultDescription",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "allowedValue": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#allowedValue",
          "@container": "@list"
        },
        "requiredLevel": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#requiredLevel",
          "@type": "https://www.w3.org/2001/XMLSchema#anyURI"
        },
        "requiredValue": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#requiredValue"
        },
        "resultType": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#resultType"
        },
        "rubricCriterionLevel": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#rubricCriterionLevel",
          "@container": "@set"
        },
        "valueMax": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#valueMax"
        },
        "valueMin": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#valueMin"
        }
      }
    },
    "RubricCriterionLevel": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#RubricCriterionLevel",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "level": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#level"
        },
        "points": {
          "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#points"
        }
      }
    },
    "alignment": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#alignment",
      "@container": "@set"
    },
    "description": {
      "@id": "https://schema.org/description"
    },
    "endorsement": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#endorsement",
      "@container": "@set"
    },
    "image": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Image",
      "@type": "@id"
    },
    "name": {
      "@id": "https://schema.org/name"
    },
    "narrative": {
      "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#narrative"
    },
    "url": {
      "@id": "https://schema.org/url",
      "@type": "https://www.w3.org/2001/XMLSchema#anyURI"
    }
  }
}
$context$, true),
    ('https://purl.imsglobal.org/spec/ob/v3p0/extensions.json', $context${
  "@context": {
    "id": "@id",
    "type": "@type",
    "1EdTechJsonSchemaValidator2019": "https://purl.imsglobal.org/spec/vccs/v1p0/context.json#1EdTechJsonSchemaValidator2019",
    "1EdTechRevocationList": "https://purl.imsglobal.org/spec/vcrl/v1p0/context.json#1EdTechRevocationList",
    "1EdTechCredentialRefresh": "https://purl.imsglobal.org/spec/vccr/v1p0/context.json#1EdTechCredentialRefresh"
  }
}
$context$, true),
    ('https://w3id.org/security/suites/ed25519-2020/v1', $context${
  "@context": {
    "id": "@id",
    "type": "@type",
    "@protected": true,
    "proof": {
      "@id": "https://w3id.org/security#proof",
      "@type": "@id",
      "@container": "@graph"
    },
    "Ed25519VerificationKey2020": {
      "@id": "https://w3id.org/security#Ed25519VerificationKey2020",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "controller": {
          "@id": "https://w3id.org/security#controller",
          "@type": "@id"
        },
        "revoked": {
          "@id": "https://w3id.org/security#revoked",
          "@type": "http://www.w3.org/2001/XMLSchema#dateTime"
        },
        "publicKeyMultibase": {
          "@id": "https://w3id.org/security#publicKeyMultibase",
          "@type": "https://w3id.org/security#multibase"
        }
      }
    },
    "Ed25519Signature2020": {
      "@id": "https://w3id.org/security#Ed25519Signature2020",
      "@context": {
        "@protected": true,
        "id": "@id",
        "type": "@type",
        "challenge": "https://w3id.org/security#challenge",
        "created": {
          "@id": "http://purl.org/dc/terms/created",
          "@type": "http://www.w3.org/2001/XMLSchema#dateTime"
        },
        "domain": "https://w3id.org/security#domain",
        "expires": {
          "@id": "https://w3id.org/security#expiration",
          "@type": "http://www.w3.org/2001/XMLSchema#dateTime"
        },
        "nonce": "https://w3id.org/security#nonce",
        "proofPurpose": {
          "@id": "https://w3id.org/security#proofPurpose",
          "@type": "@vocab",
          "@context": {
            "@protected": true,
            "id": "@id",
            "type": "@type",
            "assertionMethod": {
              "@id": "https://w3id.org/security#assertionMethod",
              "@type": "@id",
              "@container": "@set"
            },
            "authentication": {
              "@id": "https://w3id.org/security#authenticationMethod",
              "@type": "@id",
              "@container": "@set"
            },
            "capabilityInvocation": {
              "@id": "https://w3id.org/security#capabilityInvocationMethod",
              "@type": "@id",
              "@container": "@set"
            },
            "capabilityDelegation": {
              "@id": "https://w3id.org/security#capabilityDelegationMethod",
              "@type": "@id",
              "@container": "@set"
            },
            "keyAgreement": {
              "@id": "https://w3id.org/security#keyAgreementMethod",
              "@type": "@id",
              "@container": "@set"
            }
          }
        },
        "proofValue": {
          "@id": "https://w3id.org/security#proofValue",
          "@type": "https://w3id.org/security#multibase"
        },
        "verificationMethod": {
          "@id": "https://w3id.org/security#verificationMethod",
          "@type": "@id"
        }
      }
    }
  }
}
$context$, true);
/*
 * microcred install script, part 6.6: JSON-LD and RDF canonicalization.
 */

-- SECURITY DEFINER: admins may not write the table (the bundled contexts must
-- stay as shipped); the function checks the actor and refuses bundled URLs
CREATE FUNCTION microcred._register_context(url text, document jsonb, actor name)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF actor IS NULL OR NOT pg_has_role(session_user, actor, 'MEMBER')
       OR NOT pg_has_role(actor, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may register JSON-LD contexts', NULL,
            'Grant microcred_admin to the role that registers contexts.');
    END IF;
    IF url IS NULL OR url !~ '^https?://\S+$' THEN
        PERFORM microcred._fail('22023', 'context URL must be an absolute http(s) URL', NULL,
            'Give the exact URL the context document is served at, as credentials cite it.');
    END IF;
    IF document IS NULL OR jsonb_typeof(document) <> 'object' OR NOT document ? '@context' THEN
        PERFORM microcred._fail('22023', format('context document for %s must be a JSON object with an @context member', url), NULL,
            'Register the document exactly as it is served, e.g. {"@context": {...}}.');
    END IF;
    IF EXISTS (SELECT FROM microcred.jsonld_context c WHERE c.url = _register_context.url AND c.bundled) THEN
        PERFORM microcred._fail('42710', format('context %s is bundled with microcred and cannot be replaced', url), NULL, NULL);
    END IF;
    INSERT INTO microcred.jsonld_context (url, document, added_by) VALUES (url, document::text, actor)
    ON CONFLICT ON CONSTRAINT jsonld_context_pkey DO UPDATE SET document = EXCLUDED.document,
        added_by = EXCLUDED.added_by, added_at = now();
END
$$;
COMMENT ON FUNCTION microcred._register_context(text, jsonb, name) IS 'internal: see microcred.register_context';

CREATE FUNCTION microcred.register_context(url text, document jsonb)
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._register_context(url, document, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.register_context(text, jsonb) IS
    'register an additional JSON-LD context document (e.g. an issuer''s extension) under its exact URL';

-- processed contexts are cached per backend; a change must reach every backend
CREATE TRIGGER jsonld_context_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON microcred.jsonld_context
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._invalidate_caches();

CREATE FUNCTION microcred._context_document(url text)
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT document FROM microcred.jsonld_context c WHERE c.url = _context_document.url $$;
COMMENT ON FUNCTION microcred._context_document(text) IS 'internal: the registered document of a context URL';

CREATE FUNCTION microcred.to_nquads(doc jsonb)
RETURNS text
LANGUAGE C STRICT STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'microcred_to_nquads';
COMMENT ON FUNCTION microcred.to_nquads(jsonb) IS
    'the RDF dataset of a JSON-LD document as N-Quads (JSON-LD 1.1 toRdf in safe mode: dropped data is an error)';

GRANT SELECT ON microcred.jsonld_context TO microcred_admin, microcred_issuer, microcred_verifier;
GRANT EXECUTE ON FUNCTION microcred.register_context(text, jsonb) TO microcred_admin;
-- to_nquads and canonicalize are SECURITY DEFINER: they read the bundled
-- contexts through the owner's _context_document
GRANT EXECUTE ON FUNCTION microcred.to_nquads(jsonb)
    TO microcred_admin, microcred_issuer, microcred_verifier;
/*
 * microcred install script, part 7: the Open Badges 3.0 document builder,
 * issuing, verification and the envelopes of an issued credential.
 *
 * SQL orchestrates, C computes: the document is built here from the
 * catalog (every EU element mapped as in docs/ARCHITECTURE.md), the C module
 * canonicalizes and signs it, and the row is written once.
 */

CREATE TYPE microcred.verification AS (
    valid           boolean,
    format          text,
    cryptosuite     text,
    issuer          text,
    credential_id   text,
    checks          jsonb,
    credential_status jsonb
);
COMMENT ON TYPE microcred.verification IS
    'result of verifying a credential: valid (no check failed: a key bound to the issuer signed it, it is in its validity period and not revoked or suspended), each check with pass/fail/warn/skip and a reason, and the credential''s credentialStatus entries';

CREATE FUNCTION microcred._sign_di(document jsonb, cryptosuite text, key_id uuid, issuer_id uuid,
                                   sealed bytea, verification_method text, created timestamptz)
RETURNS jsonb
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'microcred_sign_di';
COMMENT ON FUNCTION microcred._sign_di(jsonb, text, uuid, uuid, bytea, text, timestamptz) IS
    'internal: secure a document with a DataIntegrityProof';

CREATE FUNCTION microcred._sign_jwt(document jsonb, form text, key_id uuid, issuer_id uuid,
                                    sealed bytea, alg text, kid text)
RETURNS text
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'microcred_sign_jwt';
COMMENT ON FUNCTION microcred._sign_jwt(jsonb, text, uuid, uuid, bytea, text, text) IS
    'internal: a compact JWT (ob-jwt or vc-jwt) of an unsecured document';

CREATE FUNCTION microcred._verify_document(credential jsonb, controller_documents jsonb[])
RETURNS microcred.verification
LANGUAGE C STRICT STABLE
AS 'MODULE_PATHNAME', 'microcred_verify_jsonb';
COMMENT ON FUNCTION microcred._verify_document(jsonb, jsonb[]) IS
    'internal: verify the proofs of a credential secured with Data Integrity, keys bound to the issuer by registration, by the controller documents given, or as its did:key (status: see microcred.verify)';

CREATE FUNCTION microcred._verify_text(credential text, controller_documents jsonb[])
RETURNS microcred.verification
LANGUAGE C STRICT STABLE
AS 'MODULE_PATHNAME', 'microcred_verify_text';
COMMENT ON FUNCTION microcred._verify_text(text, jsonb[]) IS
    'internal: verify a credential given as strict I-JSON text or as a compact JWT (status: see microcred.verify)';

CREATE FUNCTION microcred._verify_token(token text, controller_documents jsonb[])
RETURNS microcred.verification
LANGUAGE C STRICT STABLE
AS 'MODULE_PATHNAME', 'microcred_verify_jwt';
COMMENT ON FUNCTION microcred._verify_token(text, jsonb[]) IS
    'internal: verify a JWT credential (status: see microcred.verify_jwt)';

CREATE FUNCTION microcred.ob3_check(credential jsonb)
RETURNS jsonb
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_ob3_check';
COMMENT ON FUNCTION microcred.ob3_check(jsonb) IS
    'the Open Badges 3.0 structure of a credential: {applies, conforms, errors, warnings, findings: [{severity, pointer, message}]}, each finding at its JSON pointer (verify''s ob3_structure check)';

CREATE FUNCTION microcred.canonicalize(doc jsonb, algorithm text DEFAULT 'jcs')
RETURNS text
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'microcred_canonicalize';
COMMENT ON FUNCTION microcred.canonicalize(jsonb, text) IS
    'canonical form of a JSON document: ''jcs'' (RFC 8785) or ''rdfc-1.0'' (canonical N-Quads)';

CREATE FUNCTION microcred.canonicalize(doc text, algorithm text DEFAULT 'jcs')
RETURNS text
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'microcred_canonicalize_text';
COMMENT ON FUNCTION microcred.canonicalize(text, text) IS
    'canonical form of JSON text, parsed as strict I-JSON (duplicate member names, lone surrogates and non-finite numbers refused)';

-- ISO 8601 in UTC with seconds, as credentials write date-times
CREATE FUNCTION microcred._datetime(t timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;

-- the issuer as an Open Badges 3.0 Profile
CREATE FUNCTION microcred._issuer_profile(i microcred.issuer)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', i.public_id,
        'type', jsonb_build_array('Profile'),
        'name', i.legal_name,
        'url', i.url,
        'email', i.email,
        'phone', i.phone,
        'address', jsonb_build_object(
            'type', jsonb_build_array('Address'),
            'addressCountry', (SELECT c.name FROM microcred.country c WHERE c.code = i.country),
            'addressCountryCode', i.country,
            'addressRegion', i.region),
        'otherIdentifier', (
            SELECT jsonb_agg(jsonb_build_object(
                       'type', 'IdentifierEntry',
                       'identifier', ii.value,
                       'identifierType', CASE ii.scheme
                            WHEN 'vat' THEN 'ext:VATNumber'
                            WHEN 'euid' THEN 'ext:EUID'
                            WHEN 'deqar' THEN 'ext:DEQARID'
                            WHEN 'national_register' THEN 'ext:NationalRegisterNumber'
                            WHEN 'erasmus_code' THEN 'ext:ErasmusCode'
                            WHEN 'pic' THEN 'ext:PIC'
                            WHEN 'lei' THEN 'ext:LEI'
                            ELSE 'identifier' END)
                   ORDER BY ii.scheme, ii.value)
              FROM microcred.issuer_identifier ii WHERE ii.issuer_id = i.id)))
$$;

-- an alignment entry
CREATE FUNCTION microcred._alignment(target_type text, target_name text, target_url text,
                                     target_code text DEFAULT NULL, target_framework text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'type', jsonb_build_array('Alignment'),
        'targetType', target_type, 'targetName', target_name, 'targetUrl', target_url,
        'targetCode', target_code, 'targetFramework', target_framework))
$$;

-- the credential type as an Open Badges 3.0 Achievement with every EU element
CREATE FUNCTION microcred._achievement(t microcred.credential_type, i microcred.issuer)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    alignments  jsonb := '[]';
    narrative   text;
    outcomes    text;
    v           record;
    a           microcred.assessment_type;
BEGIN
    -- learning outcomes: ESCO skills as alignments, every outcome in the criteria
    SELECT string_agg('- ' || o.description, E'\n' ORDER BY o.position) INTO outcomes
      FROM microcred.learning_outcome o WHERE o.credential_type_id = t.id;
    SELECT alignments || coalesce(jsonb_agg(microcred._alignment('ext:ESCOSkill', o.description, o.esco_uri,
                                                                 NULL, 'ESCO') ORDER BY o.position), '[]')
      INTO alignments
      FROM microcred.learning_outcome o WHERE o.credential_type_id = t.id AND o.esco_uri IS NOT NULL;
    -- level
    IF t.eqf_level IS NOT NULL THEN
        alignments := alignments || microcred._alignment('ext:EQFLevel', 'EQF level ' || t.eqf_level,
            'http://data.europa.eu/snb/eqf/' || t.eqf_level, t.eqf_level::text,
            'European Qualifications Framework');
    END IF;
    -- closed vocabularies with a Europass concept (or at least a scheme)
    FOREACH a IN ARRAY t.assessment LOOP
        SELECT * INTO v FROM microcred.vocabulary WHERE vocabulary = 'assessment_type' AND value = a::text;
        IF coalesce(v.concept_uri, v.scheme_uri) IS NOT NULL THEN
            alignments := alignments || microcred._alignment('ext:AssessmentType', v.label,
                coalesce(v.concept_uri, v.scheme_uri), a::text, 'Europass assessment type');
        END IF;
    END LOOP;
    SELECT * INTO v FROM microcred.vocabulary WHERE vocabulary = 'participation_form' AND value = t.participation::text;
    alignments := alignments || microcred._alignment('ext:FormOfParticipation', v.label,
        coalesce(v.concept_uri, v.scheme_uri), t.participation::text, 'Europass mode of learning and assessment');
    IF t.supervision IS NOT NULL THEN
        SELECT * INTO v FROM microcred.vocabulary WHERE vocabulary = 'supervision' AND value = t.supervision::text;
        alignments := alignments || microcred._alignment('ext:SupervisionAndIdentityVerification', v.label,
            coalesce(v.concept_uri, v.scheme_uri), t.supervision::text, 'Europass supervision and verification');
    END IF;
    IF t.quality_assurance_url IS NOT NULL THEN
        SELECT * INTO v FROM microcred.vocabulary WHERE vocabulary = 'quality_assurance' AND value = t.quality_assurance::text;
        alignments := alignments || microcred._alignment('ext:QualityAssurance',
            v.label || coalesce(' by ' || t.quality_assurance_body, ''), t.quality_assurance_url,
            t.quality_assurance::text);
    END IF;

    -- the criteria narrative states every element in words (Markdown)
    narrative := 'Learning outcomes:' || E'\n' || outcomes || E'\n\n'
        || 'Type of assessment: ' || (SELECT string_agg(vv.label, ', ' ORDER BY ord)
                                      FROM unnest(t.assessment) WITH ORDINALITY AS x(val, ord)
                                      JOIN microcred.vocabulary vv ON vv.vocabulary = 'assessment_type' AND vv.value = x.val::text) || E'\n'
        || 'Form of participation: ' || (SELECT vv.label FROM microcred.vocabulary vv
                                         WHERE vv.vocabulary = 'participation_form' AND vv.value = t.participation::text)
        || CASE WHEN t.synchronous THEN ' (synchronous)' WHEN NOT t.synchronous THEN ' (asynchronous)' ELSE '' END || E'\n'
        || 'Notional workload: ' || concat_ws(', ', t.ects || ' ECTS credits', t.workload_hours || ' hours') || E'\n'
        || 'Level: ' || concat_ws(', ', 'EQF ' || t.eqf_level, 'QF-EHEA ' || t.qf_ehea_cycle || ' cycle') || E'\n'
        || 'Quality assurance: ' || (SELECT vv.label FROM microcred.vocabulary vv
                                     WHERE vv.vocabulary = 'quality_assurance' AND vv.value = t.quality_assurance::text)
        || coalesce(' by ' || t.quality_assurance_body, '')
        || coalesce(E'\n' || 'Supervision and identity verification: '
                    || (SELECT vv.label FROM microcred.vocabulary vv
                        WHERE vv.vocabulary = 'supervision' AND vv.value = t.supervision::text), '')
        || coalesce(E'\n' || 'Prerequisites: ' || t.prerequisites, '')
        || E'\n' || 'Integration: ' || (SELECT vv.label FROM microcred.vocabulary vv
                                        WHERE vv.vocabulary = 'integration' AND vv.value = t.integration::text)
        || coalesce(' (' || t.stackable_towards || ')', '')
        || coalesce(E'\n' || 'Language: ' || array_to_string(t.languages, ', '), '')
        || coalesce(E'\n' || 'Further information: ' || t.further_information, '');

    RETURN jsonb_strip_nulls(jsonb_build_object(
        'id', coalesce(i.base_url || '/achievements/' || t.id, 'urn:uuid:' || t.id),
        'type', jsonb_build_array('Achievement'),
        'achievementType', t.achievement_type,
        'name', t.title,
        'description', t.description,
        'criteria', jsonb_strip_nulls(jsonb_build_object('id', t.info_url, 'narrative', narrative)),
        'creditsAvailable', t.ects,
        'humanCode', coalesce(t.human_code, t.code),
        'inLanguage', t.languages[1],
        'alignment', CASE WHEN jsonb_array_length(alignments) > 0 THEN alignments END,
        'resultDescription', CASE WHEN t.grading_scheme IS NOT NULL THEN jsonb_build_array(jsonb_build_object(
            'id', coalesce(i.base_url || '/achievements/' || t.id, 'urn:uuid:' || t.id) || '#grade',
            'type', jsonb_build_array('ResultDescription'),
            'name', t.grading_scheme,
            'resultType', 'ext:Grade')) END));
END
$$;

-- the OpenBadgeCredential of an issued-credential row (C: document_sql.c); signed
-- in the same call when a key is given
CREATE FUNCTION microcred._credential_document(c microcred.issued_credential, t microcred.credential_type,
                                               i microcred.issuer, l microcred.learner, salt text,
                                               achievement jsonb, profile jsonb,
                                               key_id uuid DEFAULT NULL, sealed bytea DEFAULT NULL,
                                               verification_method text DEFAULT NULL,
                                               cryptosuite text DEFAULT NULL,
                                               credential_status jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'microcred_credential_document';
COMMENT ON FUNCTION microcred._credential_document(microcred.issued_credential, microcred.credential_type, microcred.issuer, microcred.learner, text, jsonb, jsonb, uuid, bytea, text, text, jsonb) IS
    'internal: the OpenBadgeCredential (VC 2.0 + OB 3.0.3) of an issued credential, signed when a key is given';

-- the Achievement and issuer Profile of each credential type, built once and
-- reused by every issue; any change to what they are built from drops the row
CREATE TABLE microcred.document_part (
    credential_type_id  uuid PRIMARY KEY REFERENCES microcred.credential_type (id) ON DELETE CASCADE,
    issuer_id           uuid NOT NULL,
    achievement         jsonb NOT NULL,
    profile             jsonb NOT NULL
);
ALTER TABLE microcred.document_part ALTER COLUMN achievement SET COMPRESSION lz4;
COMMENT ON TABLE microcred.document_part IS
    'cache: the Achievement and Profile parts of credential documents per credential type (rebuilt on demand)';

-- SECURITY DEFINER: the cache is the owner's, and an admin defining or changing
-- a credential type (learning_outcome rows) must be able to drop its entry
CREATE FUNCTION microcred._document_part_drop()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_TABLE_NAME = 'credential_type' THEN
        DELETE FROM microcred.document_part WHERE credential_type_id = OLD.id;
    ELSIF TG_TABLE_NAME = 'learning_outcome' THEN
        DELETE FROM microcred.document_part
         WHERE credential_type_id IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.credential_type_id END,
                                      CASE WHEN TG_OP <> 'DELETE' THEN NEW.credential_type_id END);
    ELSIF TG_TABLE_NAME = 'issuer' THEN
        DELETE FROM microcred.document_part WHERE issuer_id = OLD.id;
    ELSIF TG_TABLE_NAME = 'issuer_identifier' THEN
        DELETE FROM microcred.document_part
         WHERE issuer_id IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.issuer_id END,
                             CASE WHEN TG_OP <> 'DELETE' THEN NEW.issuer_id END);
    ELSE
        DELETE FROM microcred.document_part;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER document_part_drop AFTER UPDATE OR DELETE ON microcred.credential_type
    FOR EACH ROW EXECUTE FUNCTION microcred._document_part_drop();
CREATE TRIGGER document_part_drop AFTER INSERT OR UPDATE OR DELETE ON microcred.learning_outcome
    FOR EACH ROW EXECUTE FUNCTION microcred._document_part_drop();
CREATE TRIGGER document_part_drop AFTER UPDATE OR DELETE ON microcred.issuer
    FOR EACH ROW EXECUTE FUNCTION microcred._document_part_drop();
CREATE TRIGGER document_part_drop AFTER INSERT OR UPDATE OR DELETE ON microcred.issuer_identifier
    FOR EACH ROW EXECUTE FUNCTION microcred._document_part_drop();
CREATE TRIGGER document_part_drop AFTER INSERT OR UPDATE OR DELETE ON microcred.vocabulary
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._document_part_drop();

-- a credential type by id or by 'issuer-handle/CODE'
CREATE FUNCTION microcred._resolve_type(credential_type text)
RETURNS microcred.credential_type
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t microcred.credential_type;
BEGIN
    IF credential_type ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        SELECT * INTO t FROM microcred.credential_type ct WHERE ct.id = credential_type::uuid;
    ELSE
        SELECT ct.* INTO t FROM microcred.credential_type ct JOIN microcred.issuer i ON i.id = ct.issuer_id
         WHERE i.handle || '/' || ct.code = credential_type;
    END IF;
    IF t.id IS NULL THEN
        PERFORM microcred._fail('42704', format('credential type "%s" does not exist', credential_type), NULL,
            'Give its id or ''issuer-handle/CODE''; list them with: SELECT issuer, code FROM microcred.credential_types_report;');
    END IF;
    RETURN t;
END
$$;

CREATE FUNCTION microcred._issue(credential_type text, learner uuid, grade text, evidence jsonb,
                                 issued_at timestamptz, idempotency_key text, actor name,
                                 awarded_date timestamptz DEFAULT NULL, supersedes uuid DEFAULT NULL,
                                 credits_earned numeric DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t       microcred.credential_type := microcred._resolve_type(credential_type);
    i       microcred.issuer;
    l       microcred.learner;
    c       microcred.issued_credential;
    k       microcred.signing_key;
    existing uuid;
    part    microcred.document_part;
    salt    text := replace(gen_random_uuid()::text, '-', '');
    ev      jsonb;
    r       record;
    status  jsonb;
BEGIN
    PERFORM microcred._check_actor(t.issuer_id, actor);
    -- one round trip for the rows issuing reads: the issuer, the learner, the
    -- active key and the cached document parts (simple equality joins, so the
    -- plan is generic and cached rather than made again for every credential)
    SELECT iss AS i_row, lr AS l_row, sk AS k_row, dp AS part_row
      INTO r
      FROM microcred.issuer iss
      LEFT JOIN microcred.learner lr ON lr.id = _issue.learner AND lr.issuer_id = iss.id
      LEFT JOIN microcred.signing_key sk ON sk.issuer_id = iss.id AND sk.algorithm = 'Ed25519' AND sk.state = 'active'
      LEFT JOIN microcred.document_part dp ON dp.credential_type_id = t.id
     WHERE iss.id = t.issuer_id;
    -- a credential that already exists for this idempotency key, or for this
    -- learner and type unless repeats are allowed
    -- COLLATE "default": a caller passing a name-typed actor (current_user) gives
    -- every text parameter the C collation, which would keep this lookup off the
    -- unique index and scan the table; callers add COLLATE "default" too
    IF idempotency_key IS NOT NULL THEN
        SELECT ic.id INTO existing FROM microcred.issued_credential ic
         WHERE ic.issuer_id = t.issuer_id AND ic.idempotency_key = _issue.idempotency_key COLLATE "default";
    END IF;
    IF existing IS NULL AND NOT t.allow_repeats AND supersedes IS NULL THEN
        SELECT ic.id INTO existing FROM microcred.issued_credential ic
         WHERE ic.issuer_id = t.issuer_id AND ic.learner_id = _issue.learner
           AND ic.credential_type_id = t.id AND ic.status <> 'revoked' AND ic.superseded_by IS NULL
         LIMIT 1;
    END IF;
    i := r.i_row;
    l := r.l_row;
    k := r.k_row;
    part := r.part_row;
    IF l.id IS NULL THEN
        PERFORM microcred._fail('42704', format('learner %s does not exist for issuer "%s"', learner, i.handle), NULL,
            'Register the learner first with microcred.add_learner(issuer => ...).');
    END IF;
    IF existing IS NOT NULL THEN
        RETURN existing;
    END IF;
    IF l.erased_at IS NOT NULL OR (l.email IS NULL AND l.student_id IS NULL AND l.holder_did IS NULL) THEN
        PERFORM microcred._fail('23502', 'identification of the learner is required to issue a credential',
            'The learner has no email, student id or DID, or was erased.',
            'Complete the learner''s identification (email, student_id or holder_did) first.');
    END IF;
    IF t.retired_at IS NOT NULL THEN
        PERFORM microcred._fail('55000', format('credential type "%s" is retired', t.code), NULL, NULL);
    END IF;

    IF evidence IS NOT NULL THEN
        IF jsonb_typeof(evidence) <> 'array' THEN
            evidence := jsonb_build_array(evidence);
        END IF;
        FOR ev IN SELECT * FROM jsonb_array_elements(evidence) LOOP
            IF jsonb_typeof(ev) <> 'object' THEN
                PERFORM microcred._fail('22023', 'evidence must be JSON objects', NULL,
                    'For example ''[{"id": "https://lms.example/submissions/7", "name": "Final project"}]''.');
            END IF;
        END LOOP;
        SELECT jsonb_agg(CASE WHEN e ? 'type' THEN e ELSE e || '{"type": ["Evidence"]}' END) INTO evidence
          FROM jsonb_array_elements(evidence) AS x(e);
    END IF;

    IF k.id IS NULL THEN
        PERFORM microcred._fail('55000', format('issuer "%s" has no active Ed25519 signing key', i.handle), NULL,
            format('Create one with: SELECT microcred.generate_key(%L);', i.handle));
    END IF;

    c.id := gen_random_uuid();
    c.issuer_id := t.issuer_id;
    c.credential_type_id := t.id;
    c.learner_id := l.id;
    c.issued_at := coalesce(issued_at, now());
    c.awarded_date := coalesce(awarded_date, c.issued_at);
    c.supersedes := supersedes;
    c.credits_earned := microcred._check_ects(credits_earned);
    c.valid_from := c.issued_at;
    c.valid_until := c.issued_at + t.validity_period;
    c.grade := grade;
    c.evidence := evidence;
    c.idempotency_key := idempotency_key;
    c.status := 'active';
    c.proof_format := coalesce(t.proof_format, i.proof_format);

    IF part.credential_type_id IS NULL THEN
        part := ROW(t.id, t.issuer_id, microcred._achievement(t, i), microcred._issuer_profile(i));
        INSERT INTO microcred.document_part SELECT part.* ON CONFLICT DO NOTHING;
    END IF;
    -- one credentialStatus object (Open Badges 3.0: 0..1): revocation; a type
    -- that opted into suspension gets a second entry, an array (README, Lifecycle)
    status := microcred._allocate_status(t.issuer_id, i.base_url, c.id, 'revocation');
    IF t.suspendable THEN
        status := jsonb_build_array(status, microcred._allocate_status(t.issuer_id, i.base_url, c.id, 'suspension'));
    END IF;
    c.document := microcred._credential_document(c, t, i, l, salt, part.achievement, part.profile,
                                                 k.id, k.sealed_private, i.public_id || '#' || k.fragment,
                                                 c.proof_format, status);

    -- pathways with auto_award follow issues made here, not rows loaded by
    -- pg_restore or by hand (microcred._stack_auto_award checks this mark)
    PERFORM set_config('microcred_issue.credential', c.id::text, true);
    INSERT INTO microcred.issued_credential SELECT c.*
    ON CONFLICT ON CONSTRAINT issued_credential_idempotency_key_unique DO NOTHING;
    IF NOT FOUND THEN
        -- a concurrent issue with the same key won; return its credential (our
        -- positions stay unused: an index is never handed out twice)
        DELETE FROM microcred.status_entry e WHERE e.credential_id = c.id;
        SELECT ic.id INTO existing FROM microcred.issued_credential ic
         WHERE ic.issuer_id = t.issuer_id AND ic.idempotency_key = _issue.idempotency_key COLLATE "default";
        RETURN existing;
    END IF;
    PERFORM microcred._audit(t.issuer_id, 'issue', c.id, NULL,
                             jsonb_build_object('credential_type', t.id, 'learner', l.id, 'supersedes', supersedes), actor);
    RETURN c.id;
END
$$;
COMMENT ON FUNCTION microcred._issue(text, uuid, text, jsonb, timestamptz, text, name, timestamptz, uuid, numeric) IS 'internal: see microcred.issue';

CREATE FUNCTION microcred.issue(credential_type text, learner uuid, grade text DEFAULT NULL,
                                evidence jsonb DEFAULT NULL, issued_at timestamptz DEFAULT now(),
                                idempotency_key text DEFAULT NULL)
RETURNS uuid
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._issue(credential_type, learner, grade, evidence, issued_at, idempotency_key, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.issue(text, uuid, text, jsonb, timestamptz, text) IS
    'issue a micro-credential (type by id or ''issuer/CODE'') to a learner: builds the OB 3.0 document, signs it with the issuer''s active key and stores it; the same idempotency key (or learner and type, unless the type allows repeats) returns the existing credential';

-- the signed document of a credential, as Data Integrity JSON or as a JWT
CREATE TABLE microcred.credential_envelope (
    issuer_id       uuid NOT NULL,
    credential_id   uuid NOT NULL REFERENCES microcred.issued_credential (id),
    format          text NOT NULL CHECK (format IN ('ob-jwt', 'vc-jwt')),
    algorithm       text NOT NULL,
    token           text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (credential_id, format, algorithm)
);
COMMENT ON TABLE microcred.credential_envelope IS
    'JWT envelopes of issued credentials, made once on first request and then served unchanged';

-- (CREATE OR REPLACE'd by upgrade part 20_verify_trust: the kid of EdDSA JWTs)
CREATE FUNCTION microcred._document(credential uuid, format text, algorithm text, actor name)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c       microcred.issued_credential;
    i       microcred.issuer;
    k       microcred.signing_key;
    keyalg  text;
    tok     text;
BEGIN
    SELECT * INTO c FROM microcred.issued_credential WHERE id = credential;
    IF c.id IS NULL THEN
        PERFORM microcred._fail('42704', format('credential %s does not exist', credential), NULL, NULL);
    END IF;
    PERFORM microcred._check_actor(c.issuer_id, actor);
    IF c.document IS NULL THEN
        PERFORM microcred._fail('55000', 'the stored document of this credential was erased',
            format('Credential %s: its learner''s personal data were erased; the learner''s own copy still verifies.', credential), NULL);
    END IF;
    IF format IS NULL OR format = c.proof_format OR format = 'data-integrity' THEN
        RETURN c.document::text;
    END IF;
    IF format NOT IN ('ob-jwt', 'vc-jwt') THEN
        PERFORM microcred._fail('22023', format('credential format "%s" is not supported', format),
            format('This credential is stored as %s.', c.proof_format),
            'Use ''data-integrity'' (the stored document), ''ob-jwt'' (Open Badges 3.0 VC-JWT) or ''vc-jwt'' (W3C VC-JOSE).');
    END IF;
    algorithm := coalesce(algorithm, CASE format WHEN 'ob-jwt' THEN 'RS256' ELSE 'EdDSA' END);
    IF (format = 'ob-jwt' AND algorithm NOT IN ('RS256', 'ES256'))
       OR (format = 'vc-jwt' AND algorithm NOT IN ('EdDSA', 'ES256')) THEN
        PERFORM microcred._fail('22023', format('algorithm %s is not used with %s', algorithm, format), NULL,
            'Open Badges 3.0 JWTs use RS256 or ES256; VC-JOSE JWTs use EdDSA or ES256.');
    END IF;
    SELECT e.token INTO tok FROM microcred.credential_envelope e
     WHERE e.credential_id = c.id AND e.format = _document.format AND e.algorithm = _document.algorithm;
    IF tok IS NOT NULL THEN
        RETURN tok;
    END IF;
    keyalg := CASE algorithm WHEN 'RS256' THEN 'RSA' WHEN 'ES256' THEN 'P-256' ELSE 'Ed25519' END;
    SELECT * INTO i FROM microcred.issuer WHERE id = c.issuer_id;
    SELECT * INTO k FROM microcred.signing_key sk
     WHERE sk.issuer_id = c.issuer_id AND sk.algorithm = keyalg AND sk.state = 'active';
    IF k.id IS NULL THEN
        PERFORM microcred._fail('55000', format('issuer "%s" has no active %s signing key', i.handle, keyalg), NULL,
            format('Create one with: SELECT microcred.generate_key(%L, %L);', i.handle, keyalg));
    END IF;
    -- kid: the key's JsonWebKey verification method in the controller document
    -- (an Ed25519 key's is #<JWK thumbprint>; its #<multibase> is the Multikey)
    tok := microcred._sign_jwt(c.document - 'proof', format, k.id, k.issuer_id, k.sealed_private, algorithm,
                               i.public_id || '#' || CASE k.algorithm WHEN 'Ed25519' THEN k.public_jwk ->> 'kid' ELSE k.fragment END);
    INSERT INTO microcred.credential_envelope (issuer_id, credential_id, format, algorithm, token)
    VALUES (c.issuer_id, c.id, format, algorithm, tok)
    ON CONFLICT DO NOTHING;
    SELECT e.token INTO tok FROM microcred.credential_envelope e
     WHERE e.credential_id = c.id AND e.format = _document.format AND e.algorithm = _document.algorithm;
    RETURN tok;
END
$$;

CREATE FUNCTION microcred.document(credential uuid, format text DEFAULT 'data-integrity', algorithm text DEFAULT NULL)
RETURNS text
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._document(credential, format, algorithm, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.document(uuid, text, text) IS
    'a credential as JSON with its Data Integrity proof (''data-integrity''), or as a JWT: ''ob-jwt'' (RS256/ES256) or ''vc-jwt'' (EdDSA/ES256); JWTs are made once and then served unchanged';

-- grants for this part
REVOKE ALL ON ALL TABLES IN SCHEMA microcred FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA microcred FROM PUBLIC;
GRANT SELECT ON microcred.issuer_keys TO microcred_admin, microcred_issuer, microcred_verifier;
GRANT SELECT ON microcred.trusted_key TO microcred_admin, microcred_verifier;
GRANT EXECUTE ON FUNCTION
    microcred.generate_key(text, text), microcred.retire_key(uuid),
    microcred.trust_key(text, text, text, text, text),
    microcred.trust_controller_document(jsonb, text, text)
    TO microcred_admin;
GRANT INSERT ON microcred.trusted_key TO microcred_admin;
GRANT EXECUTE ON FUNCTION
    microcred.issue(text, uuid, text, jsonb, timestamptz, text), microcred.document(uuid, text, text)
    TO microcred_admin, microcred_issuer;
GRANT EXECUTE ON FUNCTION
    microcred.ob3_check(jsonb),
    microcred.canonicalize(jsonb, text), microcred.canonicalize(text, text),
    microcred.public_key_info(bytea), microcred.public_key(text),
    microcred.controller_document(text)
    TO microcred_admin, microcred_issuer, microcred_verifier;
/*
 * microcred install script, part 8: the credential lifecycle.
 *
 *   audit chain      every issue, revoke, suspend, reinstate, supersede, key
 *                    event and erasure, hash-chained per issuer
 *   status lists     W3C Bitstring Status List v1.0, one list per issuer and
 *                    purpose at a time, random indexes, published signed
 *   operations       revoke, suspend, reinstate, supersede (one and many)
 *   erasure          a learner's personal data removed, credentials kept valid
 *   expiry           credentials nearing validUntil
 */

-- audit chain ---------------------------------------------------------------------

CREATE TABLE microcred.audit_log (
    issuer_id   uuid NOT NULL REFERENCES microcred.issuer (id),
    seq         bigint NOT NULL,
    at          timestamptz NOT NULL,
    actor       name NOT NULL,
    action      text NOT NULL CONSTRAINT audit_log_action CHECK (action IN (
                    'issue', 'revoke', 'suspend', 'reinstate', 'supersede',
                    'key_create', 'key_retire', 'erase', 'recognise', 'link_lms_account')),
    subject     uuid,
    reason      text,
    details     jsonb NOT NULL DEFAULT '{}',
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL,
    PRIMARY KEY (issuer_id, seq)
);
COMMENT ON TABLE microcred.audit_log IS
    'append-only log of every lifecycle event, per issuer a hash chain: hash = SHA-256(prev_hash || the row''s fields); check it with microcred.audit_verify()';
COMMENT ON COLUMN microcred.audit_log.prev_hash IS 'the hash of the previous link of the same issuer (SHA-256 of the empty string for the first)';

-- the hash of one audit row: SHA-256 over the previous hash and every field
-- (no SET clause, so the body is inlined where it is called instead of being
-- planned again on every call; every name in it is schema-qualified or pg_catalog's)
CREATE FUNCTION microcred._audit_hash(issuer_id uuid, seq bigint, at timestamptz, actor name, action text,
                                      subject uuid, reason text, details jsonb, prev_hash bytea)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.sha256(prev_hash OPERATOR(pg_catalog.||) pg_catalog.convert_to(pg_catalog.concat_ws(E'\x1f',
        issuer_id::text, seq::text,
        pg_catalog.to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), actor::text, action,
        coalesce(subject::text, ''), coalesce(reason, ''),
        microcred.canonicalize(details, 'jcs')), 'UTF8'))
$$;
COMMENT ON FUNCTION microcred._audit_hash(uuid, bigint, timestamptz, name, text, uuid, text, jsonb, bytea) IS
    'internal: the chained hash of one audit row';

-- append one event to the issuer's chain (caller is SECURITY DEFINER).  A
-- transaction-scoped advisory lock per issuer makes appends one at a time;
-- no row is updated, so a transaction issuing 100,000 credentials builds no
-- version chain.  (Runs at READ COMMITTED: the last link is read after the lock.)
CREATE FUNCTION microcred._audit(issuer uuid, action text, subject uuid, reason text, details jsonb, actor name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s       bigint;
    prev    bytea;
    t       timestamptz := clock_timestamp();
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('microcred.audit'), hashtext(issuer::text));
    SELECT a.seq, a.hash INTO s, prev FROM microcred.audit_log a
     WHERE a.issuer_id = issuer ORDER BY a.seq DESC LIMIT 1;
    s := coalesce(s, 0) + 1;
    prev := coalesce(prev, sha256(''::bytea));
    INSERT INTO microcred.audit_log (issuer_id, seq, at, actor, action, subject, reason, details, prev_hash, hash)
    VALUES (issuer, s, t, actor, action, subject, reason, coalesce(details, '{}'), prev,
            microcred._audit_hash(issuer, s, t, actor, action, subject, reason, coalesce(details, '{}'), prev));
END
$$;
COMMENT ON FUNCTION microcred._audit(uuid, text, uuid, text, jsonb, name) IS 'internal: append an event to the audit chain';

-- the last link of an issuer's chain: keep it outside the database (a log, a
-- ticket, another system) to detect later removal of links from the end
CREATE FUNCTION microcred.audit_anchor(issuer text, OUT seq bigint, OUT hash text)
RETURNS record
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT a.seq, encode(a.hash, 'hex') FROM microcred.audit_log a
     WHERE a.issuer_id = microcred._resolve_issuer(issuer) ORDER BY a.seq DESC LIMIT 1
$$;
COMMENT ON FUNCTION microcred.audit_anchor(text) IS
    'the last link (seq, hash) of an issuer''s audit chain, to keep outside the database; audit_verify(issuer, seq, hash) then also detects links removed from the end';

CREATE FUNCTION microcred._audit_append_only()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM microcred._fail('55000', 'the audit log is append-only',
        format('%s on microcred.audit_log is refused.', TG_OP),
        'Audit rows are never changed or removed; microcred.audit_verify() detects any attempt.');
    RETURN NULL;
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON microcred.audit_log
    FOR EACH ROW EXECUTE FUNCTION microcred._audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON microcred.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._audit_append_only();

-- walk an issuer's chain; the first broken link, if any
CREATE FUNCTION microcred.audit_verify(issuer text, anchor_seq bigint DEFAULT NULL, anchor_hash text DEFAULT NULL,
    OUT ok boolean, OUT links bigint, OUT first_bad_seq bigint, OUT problem text)
RETURNS record
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    issuer_uuid uuid := microcred._resolve_issuer(issuer);
    r           microcred.audit_log;
    expect_seq  bigint := 1;
    prev        bytea := sha256(''::bytea);
    anchored    boolean := false;
BEGIN
    ok := true;
    links := 0;
    FOR r IN SELECT * FROM microcred.audit_log a WHERE a.issuer_id = issuer_uuid ORDER BY a.seq LOOP
        IF r.seq <> expect_seq THEN
            ok := false; first_bad_seq := expect_seq;
            problem := format('link %s is missing (the next link is %s): a row was deleted or renumbered', expect_seq, r.seq);
            RETURN;
        END IF;
        IF r.prev_hash <> prev THEN
            ok := false; first_bad_seq := r.seq;
            problem := format('link %s does not carry the hash of link %s: a row was inserted, removed or changed before it', r.seq, r.seq - 1);
            RETURN;
        END IF;
        IF microcred._audit_hash(r.issuer_id, r.seq, r.at, r.actor, r.action, r.subject, r.reason, r.details, r.prev_hash) <> r.hash THEN
            ok := false; first_bad_seq := r.seq;
            problem := format('link %s was changed after it was written (its hash does not match its content)', r.seq);
            RETURN;
        END IF;
        IF r.seq = anchor_seq THEN
            IF encode(r.hash, 'hex') <> lower(anchor_hash) THEN
                ok := false; first_bad_seq := r.seq;
                problem := format('link %s does not match the anchor kept outside the database', r.seq);
                RETURN;
            END IF;
            anchored := true;
        END IF;
        prev := r.hash;
        expect_seq := r.seq + 1;
        links := links + 1;
    END LOOP;
    IF anchor_seq IS NOT NULL AND NOT anchored THEN
        ok := false; first_bad_seq := links + 1;
        problem := format('the chain ends at link %s, before the anchor''s link %s: links were removed from its end', links, anchor_seq);
    END IF;
END
$$;
COMMENT ON FUNCTION microcred.audit_verify(text, bigint, text) IS
    'walk an issuer''s audit chain and report the first broken link (a changed, deleted or inserted row); with an anchor from audit_anchor(), also links removed from the end';

-- status lists ------------------------------------------------------------------

-- suspension is a per-type opt-in (after 60_keys' proof_format: the column
-- order of a fresh install equals that of an updated 0.1 database)
ALTER TABLE microcred.credential_type ADD COLUMN suspendable boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN microcred.credential_type.suspendable IS
    'credentials of this type issued from now on can be suspended: they carry a second credentialStatus entry (suspension), which leaves Open Badges 3.0''s credentialStatus 0..1; by default only revocation';

CREATE TABLE microcred.status_list (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    issuer_id       uuid NOT NULL REFERENCES microcred.issuer (id),
    purpose         text NOT NULL CONSTRAINT status_list_purpose CHECK (purpose IN ('revocation', 'suspension')),
    url             text NOT NULL UNIQUE,
    size            integer NOT NULL DEFAULT 131072
                    CONSTRAINT status_list_size CHECK (size >= 131072 AND size % 8 = 0),
    permutation_key bytea NOT NULL,
    closed          boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    published       jsonb,
    bits_version    bigint NOT NULL DEFAULT 0,   -- bumped whenever a bit of the list changes
    published_version bigint,                    -- bits_version the published credential shows
    published_at    timestamptz,
    UNIQUE (issuer_id, id)
);
CREATE UNIQUE INDEX status_list_open ON microcred.status_list (issuer_id, purpose) WHERE NOT closed;
COMMENT ON TABLE microcred.status_list IS
    'Bitstring Status Lists (W3C): one open list per issuer and purpose; a new one starts when 90% of its entries are taken';
COMMENT ON COLUMN microcred.status_list.permutation_key IS
    'key of the pseudo-random permutation from position to index, so the index says nothing about the order of issue';
COMMENT ON COLUMN microcred.status_list.published IS
    'the last signed BitstringStatusListCredential; served again until a bit changes';

CREATE TABLE microcred.status_entry (
    issuer_id       uuid NOT NULL,
    list_id         uuid NOT NULL,
    idx             integer NOT NULL CHECK (idx >= 0),
    credential_id   uuid NOT NULL REFERENCES microcred.issued_credential (id) DEFERRABLE INITIALLY DEFERRED,
    purpose         text NOT NULL,
    set             boolean NOT NULL DEFAULT false,
    changed_at      timestamptz,
    position        integer CONSTRAINT status_entry_position_positive CHECK (position > 0),
    PRIMARY KEY (list_id, idx),
    UNIQUE (credential_id, purpose),
    FOREIGN KEY (issuer_id, list_id) REFERENCES microcred.status_list (issuer_id, id)
);
CREATE INDEX status_entry_set ON microcred.status_entry (list_id, idx) WHERE set;
CREATE UNIQUE INDEX status_entry_position ON microcred.status_entry (list_id, position);
COMMENT ON TABLE microcred.status_entry IS
    'the status list index of each credential per purpose, and whether its bit is set (revoked / suspended)';
COMMENT ON COLUMN microcred.status_entry.position IS
    'the position (1, 2, 3, ... in order of allocation) the index was computed from; the next allocation takes the highest plus one, so the counter is data that pg_dump restores';

-- the public URL of a status list credential
CREATE FUNCTION microcred._status_list_url(list_id uuid, base_url text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT coalesce(base_url || '/status/' || list_id, 'urn:uuid:' || list_id) $$;

CREATE FUNCTION microcred._status_permute(key bytea, size integer, n bigint)
RETURNS integer
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_status_permute';
COMMENT ON FUNCTION microcred._status_permute(bytea, integer, bigint) IS
    'internal: the index of position n of a status list (keyed Feistel permutation of [0, size))';

-- a new open list for an issuer and purpose
CREATE FUNCTION microcred._new_status_list(issuer uuid, base_url text, purpose text)
RETURNS microcred.status_list
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l       microcred.status_list;
BEGIN
    l.id := gen_random_uuid();
    INSERT INTO microcred.status_list (id, issuer_id, purpose, url, permutation_key)
    VALUES (l.id, issuer, purpose, microcred._status_list_url(l.id, base_url),
            sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')))
    RETURNING * INTO l;
    RETURN l;
END
$$;

-- an unused index in the issuer's open list of this purpose; a new list when
-- 90% are taken.  The next position is the list's highest allocated position
-- plus one (status_entry.position, an index-only lookup), read under the
-- issuer's audit lock, which issuing takes anyway (microcred._audit) and every
-- lifecycle operation takes before it touches a status list: allocations of
-- one issuer are one at a time, and the counter is table data, so pg_dump
-- carries it (no sequence created at run time).
CREATE FUNCTION microcred._allocate_status(issuer uuid, base_url text, credential uuid, purpose text)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l       microcred.status_list;
    n       bigint;
    i       integer;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('microcred.audit'), hashtext(issuer::text));
    LOOP
        SELECT * INTO l FROM microcred.status_list sl
         WHERE sl.issuer_id = issuer AND sl.purpose = _allocate_status.purpose AND NOT sl.closed;
        IF l.id IS NULL THEN
            l := microcred._new_status_list(issuer, base_url, purpose);
        END IF;
        SELECT coalesce(max(e.position), 0) + 1 INTO n FROM microcred.status_entry e WHERE e.list_id = l.id;
        EXIT WHEN n <= l.size * 0.9;
        UPDATE microcred.status_list sl SET closed = true WHERE sl.id = l.id AND NOT sl.closed;
    END LOOP;
    i := microcred._status_permute(l.permutation_key, l.size, n - 1);
    INSERT INTO microcred.status_entry (issuer_id, list_id, idx, credential_id, purpose, position)
    VALUES (issuer, l.id, i, credential, purpose, n);
    RETURN jsonb_build_object('id', l.url || '#' || i, 'type', 'BitstringStatusListEntry',
                              'statusPurpose', purpose, 'statusListIndex', i::text,
                              'statusListCredential', l.url);
END
$$;
COMMENT ON FUNCTION microcred._allocate_status(uuid, text, uuid, text) IS
    'internal: allocate an unused, unpredictable status list index for a credential';

CREATE FUNCTION microcred._status_encode(size integer, set_indexes integer[])
RETURNS text
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_status_encode';
COMMENT ON FUNCTION microcred._status_encode(integer, integer[]) IS
    'internal: the encodedList (multibase base64url of the GZIP-compressed bitstring) with these bits set';

CREATE FUNCTION microcred._status_check(entry jsonb, list_credential jsonb, OUT is_set boolean, OUT problem text)
RETURNS record
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_status_check';
COMMENT ON FUNCTION microcred._status_check(jsonb, jsonb) IS
    'internal: the bit of a BitstringStatusListEntry in a status list credential, or the problem that prevents reading it';

-- the signed status list credential of a list, re-signed only when a bit changed
CREATE FUNCTION microcred.status_list_credential(list uuid)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l       microcred.status_list;
    i       microcred.issuer;
    k       microcred.signing_key;
    bits    integer[];
    version bigint;
    url     text;
    doc     jsonb;
BEGIN
    SELECT * INTO l FROM microcred.status_list WHERE id = list;
    IF l.id IS NULL THEN
        PERFORM microcred._fail('42704', format('status list %s does not exist', list), NULL,
            'List them with: SELECT id, purpose FROM microcred.status_list;');
    END IF;
    -- current: nothing changed since it was signed (one row read, however many bits are set)
    IF l.published IS NOT NULL AND l.published_version = l.bits_version THEN
        RETURN l.published;
    END IF;
    -- the version read with the bits: a change committed after this statement bumps it again
    SELECT sl.bits_version INTO version FROM microcred.status_list sl WHERE sl.id = l.id;
    SELECT array_agg(e.idx ORDER BY e.idx) INTO bits FROM microcred.status_entry e WHERE e.list_id = l.id AND e.set;
    SELECT * INTO i FROM microcred.issuer WHERE id = l.issuer_id;
    SELECT * INTO k FROM microcred.signing_key sk
     WHERE sk.issuer_id = l.issuer_id AND sk.algorithm = 'Ed25519' AND sk.state = 'active';
    IF k.id IS NULL THEN
        PERFORM microcred._fail('55000', format('issuer "%s" has no active Ed25519 signing key to sign its status list', i.handle), NULL,
            format('Create one with: SELECT microcred.generate_key(%L);', i.handle));
    END IF;
    url := l.url;
    doc := jsonb_build_object(
        '@context', jsonb_build_array('https://www.w3.org/ns/credentials/v2'),
        'id', url,
        'type', jsonb_build_array('VerifiableCredential', 'BitstringStatusListCredential'),
        'issuer', i.public_id,
        'validFrom', microcred._datetime(now()),
        'credentialSubject', jsonb_build_object(
            'id', url || '#list',
            'type', 'BitstringStatusList',
            'statusPurpose', l.purpose,
            'encodedList', microcred._status_encode(l.size, coalesce(bits, '{}'))));
    doc := microcred._sign_di(doc, i.proof_format, k.id, k.issuer_id, k.sealed_private,
                              i.public_id || '#' || k.fragment, now());
    UPDATE microcred.status_list SET published = doc, published_version = version, published_at = now() WHERE id = l.id;
    RETURN doc;
END
$$;
COMMENT ON FUNCTION microcred.status_list_credential(uuid) IS
    'the signed BitstringStatusListCredential of a status list (cached; re-signed only when a bit changed)';

-- operations ------------------------------------------------------------------------

-- set or clear the status bits of many credentials, with the status and the audit
CREATE FUNCTION microcred._set_status(credentials uuid[], op text, reason text, actor name)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n_given     integer := cardinality(credentials);
    missing     uuid;
    bad         record;
    n           integer;
    status_purpose text := CASE op WHEN 'revoke' THEN 'revocation' ELSE 'suspension' END;
BEGIN
    IF reason IS NULL OR btrim(reason) = '' THEN
        PERFORM microcred._fail('23502', format('a reason is required to %s a credential', op), NULL,
            'Say why, e.g. ''academic misconduct'' or ''issued in error''; it goes into the audit log.');
    END IF;
    SELECT u INTO missing FROM unnest(credentials) u
     WHERE NOT EXISTS (SELECT FROM microcred.issued_credential c WHERE c.id = u) LIMIT 1;
    IF missing IS NOT NULL THEN
        PERFORM microcred._fail('42704', format('credential %s does not exist', missing), NULL,
            'Check the id: SELECT id FROM microcred.issued_credentials_report WHERE ...;');
    END IF;
    -- the caller must act for every issuer involved
    PERFORM microcred._check_actor(x.issuer_id, actor)
       FROM (SELECT DISTINCT c.issuer_id FROM microcred.issued_credential c WHERE c.id = ANY (credentials)) x;
    -- what each operation accepts
    SELECT c.id, c.status INTO bad FROM microcred.issued_credential c
     WHERE c.id = ANY (credentials)
       AND CASE op WHEN 'revoke' THEN c.status = 'revoked'
                   WHEN 'suspend' THEN c.status <> 'active'
                   WHEN 'reinstate' THEN c.status <> 'suspended' END
     LIMIT 1;
    IF bad.id IS NOT NULL THEN
        PERFORM microcred._fail('55000',
            CASE op WHEN 'revoke' THEN 'credential is already revoked'
                    WHEN 'suspend' THEN format('credential cannot be suspended: it is %s', bad.status)
                    ELSE format('credential cannot be reinstated: it is %s, not suspended', bad.status) END,
            format('Credential %s.', bad.id)
            || CASE op WHEN 'reinstate' THEN ' Only a suspended credential can be reinstated; revocation is final.' ELSE '' END,
            CASE op WHEN 'suspend' THEN 'Only an active credential can be suspended.'
                    WHEN 'revoke' THEN 'Revocation is final and happens once.' END);
    END IF;
    -- suspension needs the credential's suspension entry (suspendable types only)
    IF op = 'suspend' THEN
        SELECT u INTO missing FROM unnest(credentials) u
         WHERE NOT EXISTS (SELECT FROM microcred.status_entry e WHERE e.credential_id = u AND e.purpose = 'suspension')
         LIMIT 1;
        IF missing IS NOT NULL THEN
            PERFORM microcred._fail('55000', format('credential %s cannot be suspended: it has no suspension status entry', missing),
                'Its credential type was not suspendable when it was issued, so its only credentialStatus entry is for revocation (Open Badges 3.0 allows one).',
                'Revoke it if it must stop verifying; to suspend credentials issued from now on, make the type suspendable: define_credential(..., suspendable => true) or UPDATE microcred.credential_type SET suspendable = true WHERE ...');
        END IF;
    END IF;

    -- the issuers' audit locks first, as issuing takes them before it reads a
    -- status list: lists and audit chains are always locked in that order
    PERFORM pg_advisory_xact_lock(hashtext('microcred.audit'), hashtext(x.issuer_id::text))
       FROM (SELECT DISTINCT c.issuer_id FROM microcred.issued_credential c WHERE c.id = ANY (credentials)
              ORDER BY c.issuer_id) x;
    -- the bits, and the version of each list they are in (the published list
    -- credential is re-signed when its version is behind)
    WITH changed AS (
        UPDATE microcred.status_entry e SET set = (op <> 'reinstate'), changed_at = now()
         WHERE e.credential_id = ANY (credentials) AND e.purpose = status_purpose
        RETURNING e.list_id)
    UPDATE microcred.status_list l SET bits_version = l.bits_version + 1
     WHERE l.id IN (SELECT DISTINCT list_id FROM changed);
    UPDATE microcred.issued_credential c
       SET status = CASE op WHEN 'revoke' THEN 'revoked' WHEN 'suspend' THEN 'suspended' ELSE 'active' END::microcred.credential_status,
           status_reason = reason, status_changed_at = now()
     WHERE c.id = ANY (credentials);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM microcred._audit(c.issuer_id, op, c.id, reason, '{}', actor)
       FROM microcred.issued_credential c WHERE c.id = ANY (credentials) ORDER BY c.issuer_id, c.id;
    RETURN n;
END
$$;
COMMENT ON FUNCTION microcred._set_status(uuid[], text, text, name) IS 'internal: see revoke, suspend, reinstate';

CREATE FUNCTION microcred.revoke(credential uuid, reason text) RETURNS void LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(ARRAY[credential], 'revoke', reason, microcred._caller() COLLATE "default") $$;
CREATE FUNCTION microcred.revoke_all(credentials uuid[], reason text) RETURNS integer LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(credentials, 'revoke', reason, microcred._caller() COLLATE "default") $$;
CREATE FUNCTION microcred.suspend(credential uuid, reason text) RETURNS void LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(ARRAY[credential], 'suspend', reason, microcred._caller() COLLATE "default") $$;
CREATE FUNCTION microcred.suspend_all(credentials uuid[], reason text) RETURNS integer LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(credentials, 'suspend', reason, microcred._caller() COLLATE "default") $$;
CREATE FUNCTION microcred.reinstate(credential uuid, reason text) RETURNS void LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(ARRAY[credential], 'reinstate', reason, microcred._caller() COLLATE "default") $$;
CREATE FUNCTION microcred.reinstate_all(credentials uuid[], reason text) RETURNS integer LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(credentials, 'reinstate', reason, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.revoke(uuid, text) IS 'revoke a credential (final): its revocation bit is set, verification fails';
COMMENT ON FUNCTION microcred.revoke_all(uuid[], text) IS 'revoke many credentials in one statement; returns how many';
COMMENT ON FUNCTION microcred.suspend(uuid, text) IS 'suspend an active credential: its suspension bit is set until reinstated';
COMMENT ON FUNCTION microcred.suspend_all(uuid[], text) IS 'suspend many credentials in one statement; returns how many';
COMMENT ON FUNCTION microcred.reinstate(uuid, text) IS 'reinstate a suspended credential';
COMMENT ON FUNCTION microcred.reinstate_all(uuid[], text) IS 'reinstate many suspended credentials in one statement; returns how many';

-- corrections: a new credential (same awardedDate, corrected values), the old one revoked and linked
CREATE FUNCTION microcred._supersede(credential uuid, grade text, evidence jsonb, reason text, actor name)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old     microcred.issued_credential;
    new_id  uuid;
BEGIN
    SELECT * INTO old FROM microcred.issued_credential c WHERE c.id = credential FOR UPDATE;
    IF old.id IS NULL THEN
        PERFORM microcred._fail('42704', format('credential %s does not exist', credential), NULL, NULL);
    END IF;
    PERFORM microcred._check_actor(old.issuer_id, actor);
    IF old.status = 'revoked' THEN
        PERFORM microcred._fail('55000', 'a revoked credential cannot be superseded',
            format('Credential %s is revoked', credential)
            || CASE WHEN old.superseded_by IS NOT NULL THEN format('; it was superseded by %s.', old.superseded_by) ELSE '.' END,
            'Supersede the credential that replaced it, or issue a new one.');
    END IF;
    new_id := microcred._issue(old.credential_type_id::text, old.learner_id, coalesce(grade, old.grade),
                               coalesce(evidence, old.evidence), now(), NULL, actor,
                               awarded_date => old.awarded_date, supersedes => old.id);
    UPDATE microcred.issued_credential c SET superseded_by = new_id WHERE c.id = old.id;
    PERFORM microcred._set_status(ARRAY[old.id], 'revoke', 'superseded', actor);
    PERFORM microcred._audit(old.issuer_id, 'supersede', old.id, coalesce(reason, 'corrected'),
                             jsonb_build_object('superseded_by', new_id), actor);
    RETURN new_id;
END
$$;
CREATE FUNCTION microcred.supersede(credential uuid, grade text DEFAULT NULL, evidence jsonb DEFAULT NULL,
                                    reason text DEFAULT 'corrected')
RETURNS uuid LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._supersede(credential, grade, evidence, reason, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.supersede(uuid, text, jsonb, text) IS
    'issue a corrected credential (new id, same awardedDate, current learner data, the given grade/evidence or the old ones) and revoke the old one as superseded; returns the new id';

-- erasure -------------------------------------------------------------------------

CREATE FUNCTION microcred._erase_learner(learner uuid, reason text, actor name)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l       microcred.learner;
BEGIN
    SELECT * INTO l FROM microcred.learner lr WHERE lr.id = learner FOR UPDATE;
    IF l.id IS NULL THEN
        PERFORM microcred._fail('42704', format('learner %s does not exist', learner), NULL, NULL);
    END IF;
    PERFORM microcred._check_actor(l.issuer_id, actor);
    IF l.erased_at IS NOT NULL THEN
        PERFORM microcred._fail('55000', 'learner was already erased', format('Learner %s was erased at %s.', learner, l.erased_at), NULL);
    END IF;
    -- every copy: completion events that name the learner (by learner, e-mail,
    -- student id or LMS account) lose user, e-mail, name and payload, and a
    -- key that contains them is replaced by its hash; open ones are closed
    UPDATE microcred.completion_event e
       SET user_key = NULL, user_email = NULL, user_name = NULL, payload = NULL,
           event_key = CASE WHEN (l.email IS NOT NULL AND strpos(lower(e.event_key), lower(l.email)) > 0)
                              OR (l.student_id IS NOT NULL AND strpos(e.event_key, l.student_id) > 0)
                              OR (e.user_key IS NOT NULL AND strpos(e.event_key, e.user_key) > 0)
                            THEN 'erased:' || encode(sha256(convert_to(e.event_key, 'UTF8')), 'hex')
                            ELSE e.event_key END,
           state = CASE WHEN e.state IN ('received', 'pending', 'failed') THEN 'ignored' ELSE e.state END,
           reason = CASE WHEN e.state IN ('received', 'pending', 'failed') THEN 'the learner''s personal data were erased'
                         ELSE e.reason END
     WHERE e.source_id IN (SELECT s.id FROM microcred.event_source s WHERE s.issuer_id = l.issuer_id)
       AND (e.learner_id = l.id
            OR lower(e.user_email) = lower(l.email) OR lower(e.user_key) = lower(l.email)
            OR e.user_key = l.student_id
            OR e.user_key IN (SELECT li.value FROM microcred.learner_identifier li
                               WHERE li.learner_id = l.id AND li.kind = 'lms'));
    DELETE FROM microcred.lti_link_request r
     WHERE lower(r.email) = lower(l.email)
       AND r.platform_id IN (SELECT p.id FROM microcred.lti_platform p WHERE p.issuer_id = l.issuer_id);
    DELETE FROM microcred.lti_account_link a WHERE a.learner_id = l.id;
    UPDATE microcred.learner lr SET given_name = NULL, family_name = NULL, email = NULL, student_id = NULL,
           date_of_birth = NULL, holder_did = NULL, name_in_credential = false, erased_at = now()
     WHERE lr.id = l.id;
    DELETE FROM microcred.learner_identifier li WHERE li.learner_id = l.id;
    -- stored documents that name the learner go; their ids and status bits stay
    UPDATE microcred.issued_credential c SET document = NULL
     WHERE c.learner_id = l.id AND c.document IS NOT NULL
       AND jsonb_path_exists(c.document, '$.credentialSubject.identifier[*] ? (@.hashed == false)');
    DELETE FROM microcred.credential_envelope e
     WHERE e.credential_id IN (SELECT c.id FROM microcred.issued_credential c WHERE c.learner_id = l.id);
    PERFORM microcred._audit(l.issuer_id, 'erase', l.id, coalesce(reason, 'erasure requested'), '{}', actor);
END
$$;
CREATE FUNCTION microcred.erase_learner(learner uuid, reason text DEFAULT 'erasure requested')
RETURNS void LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._erase_learner(learner, reason, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.erase_learner(uuid, text) IS
    'erase a learner''s personal data (GDPR art. 17): the row becomes a tombstone, stored documents that show the name are dropped, credentials and their status bits stay valid';

-- expiry --------------------------------------------------------------------------

CREATE VIEW microcred.expiring_credentials AS
SELECT c.id, i.handle AS issuer, t.code AS credential_code, t.title, c.learner_id, c.valid_until,
       (c.valid_until::date - current_date) AS days_left,
       (SELECT k.state FROM microcred.signing_key k
         WHERE k.issuer_id = c.issuer_id
           AND i.public_id || '#' || k.fragment = coalesce(c.document -> 'proof' ->> 'verificationMethod',
                                                           c.document -> 'proof' -> 0 ->> 'verificationMethod')) AS signing_key_state
  FROM microcred.issued_credential c
  JOIN microcred.credential_type t ON t.id = c.credential_type_id
  JOIN microcred.issuer i ON i.id = c.issuer_id
 WHERE c.status = 'active' AND c.superseded_by IS NULL AND c.valid_until > now()
   AND (microcred.acts_for(i.id, current_user) OR pg_has_role('microcred_reader_all', 'MEMBER'));
COMMENT ON VIEW microcred.expiring_credentials IS
    'active credentials that have a validUntil still ahead, with the days left (filter: WHERE days_left <= 30)';

-- verification with status ----------------------------------------------------------

-- add the status checks of a credential's credentialStatus entries to a verification.
-- VOLATILE: it must see status rows written earlier in the same statement
-- (verify(document(issue(...))) in one SELECT); a STABLE function reads the
-- statement's snapshot and would not find them.
CREATE FUNCTION microcred._with_status(v microcred.verification, status_lists jsonb[], controller_documents jsonb[])
RETURNS microcred.verification
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    entry   jsonb;
    list_url     text;
    entry_idx     integer;
    purpose text;
    own     record;
    list    jsonb;
    lv      microcred.verification;
    chk     record;
    checks  jsonb := '[]';
    failed  boolean := false;
BEGIN
    IF v.credential_status IS NULL THEN
        v.checks := v.checks || jsonb_build_object('check', 'status', 'result', 'skip',
                                                   'reason', 'the credential has no credentialStatus');
        RETURN v;
    END IF;
    IF NOT v.valid THEN
        -- what a credential that failed says about its own status is not worth reading
        v.checks := v.checks || jsonb_build_object('check', 'status', 'result', 'skip',
            'reason', format('%s credentialStatus %s not checked: the credential already failed verification',
                             CASE jsonb_typeof(v.credential_status) WHEN 'array' THEN jsonb_array_length(v.credential_status) ELSE 1 END,
                             CASE WHEN jsonb_typeof(v.credential_status) = 'array' AND jsonb_array_length(v.credential_status) <> 1
                                  THEN 'entries were' ELSE 'entry was' END));
        RETURN v;
    END IF;
    FOR entry IN SELECT e FROM jsonb_array_elements(CASE jsonb_typeof(v.credential_status)
                               WHEN 'array' THEN v.credential_status ELSE jsonb_build_array(v.credential_status) END) e
    LOOP
        IF entry ->> 'type' IS DISTINCT FROM 'BitstringStatusListEntry' THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'warn',
                'reason', format('status method %s is not supported', coalesce(entry ->> 'type', '(none)')));
            CONTINUE;
        END IF;
        list_url := entry ->> 'statusListCredential';
        purpose := entry ->> 'statusPurpose';
        SELECT sl.id, sl.purpose, sl.size, i.public_id INTO own
          FROM microcred.status_list sl JOIN microcred.issuer i ON i.id = sl.issuer_id WHERE sl.url = list_url;
        IF own.id IS NOT NULL THEN
            IF own.public_id IS DISTINCT FROM v.issuer THEN
                checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                    'reason', format('the status list %s belongs to %s, not to the credential''s issuer', list_url, own.public_id));
                failed := true;
                CONTINUE;
            END IF;
            IF coalesce(entry ->> 'statusListIndex', '') !~ '^[0-9]{1,9}$' OR (entry ->> 'statusListIndex')::integer >= own.size THEN
                checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                    'reason', format('status list index %s is out of range for %s (%s entries)', entry ->> 'statusListIndex', list_url, own.size));
                failed := true;
                CONTINUE;
            END IF;
            entry_idx := (entry ->> 'statusListIndex')::integer;
            SELECT e.set, e.purpose INTO chk FROM microcred.status_entry e WHERE e.list_id = own.id AND e.idx = entry_idx;
            IF chk IS NULL OR chk.purpose IS DISTINCT FROM purpose OR own.purpose IS DISTINCT FROM purpose THEN
                checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                    'reason', format('%s entry %s of %s was not issued by this list', purpose, entry_idx, list_url));
                failed := true;
            ELSIF chk.set THEN
                checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                    'reason', format('%s: bit %s of %s is set', CASE purpose WHEN 'revocation' THEN 'revoked' ELSE 'suspended' END, entry_idx, list_url));
                failed := true;
            ELSE
                checks := checks || jsonb_build_object('check', 'status', 'result', 'pass',
                    'reason', format('not %s (bit %s of %s)', CASE purpose WHEN 'revocation' THEN 'revoked' ELSE 'suspended' END, entry_idx, list_url));
            END IF;
            CONTINUE;
        END IF;
        -- a foreign list: only from what the caller passed, and only if it
        -- verifies under the same rule as the credential, for the credential's
        -- issuer (a key bound to that issuer signed it)
        SELECT s INTO list FROM unnest(coalesce(status_lists, '{}')) s WHERE s ->> 'id' = list_url LIMIT 1;
        IF list IS NULL THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'warn',
                'reason', format('%s status list %s was not given; pass it in status_lists to check it', purpose, list_url));
            CONTINUE;
        END IF;
        lv := microcred._verify_document(list, coalesce(controller_documents, '{}'));
        IF lv.issuer IS DISTINCT FROM v.issuer THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                'reason', format('the status list %s was issued by %s, not by the credential''s issuer', list_url, coalesce(lv.issuer, '(no issuer)')));
            failed := true;
            CONTINUE;
        END IF;
        IF NOT lv.valid THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                'reason', format('the status list credential %s is not the issuer''s: %s', list_url,
                                 (SELECT string_agg((c ->> 'check') || ': ' || (c ->> 'reason'), '; ')
                                    FROM jsonb_array_elements(lv.checks) c WHERE c ->> 'result' = 'fail')));
            failed := true;
            CONTINUE;
        END IF;
        SELECT * INTO chk FROM microcred._status_check(entry, list);
        IF chk.problem IS NOT NULL THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'fail', 'reason', chk.problem);
            failed := true;
        ELSIF chk.is_set THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                'reason', format('%s: bit %s of %s is set', CASE purpose WHEN 'revocation' THEN 'revoked' ELSE 'suspended' END,
                                 entry ->> 'statusListIndex', list_url));
            failed := true;
        ELSE
            checks := checks || jsonb_build_object('check', 'status', 'result', 'pass',
                'reason', format('not %s (bit %s of %s)', CASE purpose WHEN 'revocation' THEN 'revoked' ELSE 'suspended' END,
                                 entry ->> 'statusListIndex', list_url));
        END IF;
    END LOOP;
    v.checks := v.checks || checks;
    IF failed THEN
        v.valid := false;
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION microcred._with_status(microcred.verification, jsonb[], jsonb[]) IS
    'internal: check the credentialStatus entries of a verified credential against our lists or the given ones (which must verify for the credential''s issuer)';

-- SECURITY DEFINER: the internal functions they call are the owner's alone;
-- VOLATILE: verify(document(issue(...))) in one statement sees the new rows
CREATE FUNCTION microcred.verify(credential jsonb, status_lists jsonb[] DEFAULT NULL,
                                 controller_documents jsonb[] DEFAULT NULL)
RETURNS microcred.verification
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._with_status(microcred._verify_document(microcred._not_null('credential', credential),
                                                               coalesce(controller_documents, '{}')),
                                    status_lists, controller_documents) $$;
COMMENT ON FUNCTION microcred.verify(jsonb, jsonb[], jsonb[]) IS
    'verify a credential secured with Data Integrity (eddsa-rdfc-2022, eddsa-jcs-2022, Ed25519Signature2020; proof sets and chains), ours or another issuer''s: valid only if a key bound to its issuer signed it (registered, or in a controller document given), including its status: our own lists directly, another issuer''s from the status list credentials given';

CREATE FUNCTION microcred.verify(credential text, status_lists jsonb[] DEFAULT NULL,
                                 controller_documents jsonb[] DEFAULT NULL)
RETURNS microcred.verification
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._with_status(microcred._verify_text(microcred._not_null('credential', credential),
                                                           coalesce(controller_documents, '{}')),
                                    status_lists, controller_documents) $$;
COMMENT ON FUNCTION microcred.verify(text, jsonb[], jsonb[]) IS
    'verify a credential given as text: strict I-JSON (duplicate members refused) with a Data Integrity proof, or a compact JWT; keys and status as for verify(jsonb)';

CREATE FUNCTION microcred.verify_jwt(token text, status_lists jsonb[] DEFAULT NULL,
                                     controller_documents jsonb[] DEFAULT NULL)
RETURNS microcred.verification
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._with_status(microcred._verify_token(microcred._not_null('token', token),
                                                            coalesce(controller_documents, '{}')),
                                    status_lists, controller_documents) $$;
COMMENT ON FUNCTION microcred.verify_jwt(text, jsonb[], jsonb[]) IS
    'verify a credential secured as a JWT: Open Badges 3.0 VC-JWT (typ JWT) or W3C VC-JOSE (typ vc+jwt); keys and status as for verify(jsonb)';

-- grants for this part
REVOKE ALL ON ALL TABLES IN SCHEMA microcred FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA microcred FROM PUBLIC;
GRANT SELECT ON microcred.audit_log TO microcred_admin;
GRANT SELECT ON microcred.expiring_credentials TO microcred_admin, microcred_issuer, microcred_reader;
GRANT EXECUTE ON FUNCTION
    microcred.revoke(uuid, text), microcred.revoke_all(uuid[], text),
    microcred.suspend(uuid, text), microcred.suspend_all(uuid[], text),
    microcred.reinstate(uuid, text), microcred.reinstate_all(uuid[], text),
    microcred.supersede(uuid, text, jsonb, text),
    microcred.erase_learner(uuid, text)
    TO microcred_admin, microcred_issuer;
GRANT EXECUTE ON FUNCTION microcred.audit_verify(text, bigint, text), microcred.audit_anchor(text) TO microcred_admin;
GRANT EXECUTE ON FUNCTION
    microcred.verify(jsonb, jsonb[], jsonb[]), microcred.verify(text, jsonb[], jsonb[]),
    microcred.verify_jwt(text, jsonb[], jsonb[]), microcred.status_list_credential(uuid)
    TO microcred_admin, microcred_issuer, microcred_verifier;
/*
 * microcred install script, part 8.5: reporting views for BI tools (after the
 * keys and the lifecycle, whose tables they read).
 *
 * No personal data: learners appear only by their opaque id.  The views run
 * with their owner's rights, so microcred_reader needs (and has) no access to
 * the tables themselves; each view keeps only the rows of the awarding bodies
 * the querying role acts for (microcred.acts_for, evaluated once per issuer):
 * an admin sees all, an issuer or reader role those it is mapped to with
 * microcred.grant_issuer; members of microcred_reader_all see every issuer
 * (an admin's explicit choice: GRANT microcred_reader_all TO bi_role).
 */

CREATE VIEW microcred.issuers_report AS
SELECT i.id, i.handle, i.legal_name, i.country, c.name AS country_name, i.region, i.url, i.public_id,
       (SELECT jsonb_object_agg(ii.scheme, ii.value) FROM microcred.issuer_identifier ii
         WHERE ii.issuer_id = i.id) AS legal_identifiers,
       i.created_at
  FROM microcred.issuer i
  JOIN microcred.country c ON c.code = i.country
 WHERE microcred.acts_for(i.id, current_user) OR pg_has_role('microcred_reader_all', 'MEMBER');
COMMENT ON VIEW microcred.issuers_report IS 'awarding bodies with country and legal identifiers';

CREATE VIEW microcred.credential_types_report AS
SELECT t.id, i.handle AS issuer, i.legal_name AS awarding_body, i.country, i.region,
       t.code, t.title, t.description,
       (SELECT array_agg(o.description ORDER BY o.position) FROM microcred.learning_outcome o
         WHERE o.credential_type_id = t.id) AS learning_outcomes,
       (SELECT array_agg(o.esco_uri ORDER BY o.position) FILTER (WHERE o.esco_uri IS NOT NULL)
          FROM microcred.learning_outcome o WHERE o.credential_type_id = t.id) AS esco_skills,
       t.ects, t.workload_hours, t.eqf_level, t.qf_ehea_cycle, t.assessment, t.participation,
       t.synchronous, t.quality_assurance, t.quality_assurance_body, t.prerequisites, t.supervision,
       t.integration, t.stackable_towards, t.languages, t.validity_period, t.grading_scheme,
       t.further_information, t.info_url, t.achievement_type, t.created_at, t.retired_at
  FROM microcred.credential_type t
  JOIN microcred.issuer i ON i.id = t.issuer_id
 WHERE microcred.acts_for(i.id, current_user) OR pg_has_role('microcred_reader_all', 'MEMBER');
COMMENT ON VIEW microcred.credential_types_report IS
    'micro-credential types with every EU standard element, one row per type';

CREATE VIEW microcred.issued_credentials_report AS
SELECT c.id, i.handle AS issuer, t.code AS credential_code, t.title, c.learner_id,
       c.issued_at, c.awarded_date, c.valid_from, c.valid_until,
       (c.valid_until IS NOT NULL AND c.valid_until <= now()) AS expired,
       c.status, c.status_changed_at, c.proof_format, t.ects, t.eqf_level,
       c.supersedes, c.superseded_by,
       (SELECT k.state FROM microcred.signing_key k
         WHERE k.issuer_id = c.issuer_id
           AND i.public_id || '#' || k.fragment = coalesce(c.document -> 'proof' ->> 'verificationMethod',
                                                           c.document -> 'proof' -> 0 ->> 'verificationMethod')) AS signing_key_state
  FROM microcred.issued_credential c
  JOIN microcred.credential_type t ON t.id = c.credential_type_id
  JOIN microcred.issuer i ON i.id = c.issuer_id
 WHERE microcred.acts_for(i.id, current_user) OR pg_has_role('microcred_reader_all', 'MEMBER');
COMMENT ON VIEW microcred.issued_credentials_report IS
    'issued credentials without personal data (learner by opaque id only, no grade)';

GRANT SELECT ON microcred.issuers_report, microcred.credential_types_report,
    microcred.issued_credentials_report TO microcred_reader, microcred_admin;
/*
 * microcred install script, part 9: stackability and learning pathways.
 *
 * A pathway of an issuer leads to a target credential type.  Its rule is a
 * tree (all_of, any_of, n_of) whose leaves are components: one of the
 * issuer's credential types, an external achievement (by achievement id), or
 * a skill (by alignment URI) of a recognised credential of another issuer or
 * of recognised prior learning.  stack_check() explains, in words, which
 * components are met by what and what is missing; stack_issue() awards the
 * target when the check passes.
 */

CREATE TABLE microcred.pathway (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    issuer_id               uuid NOT NULL REFERENCES microcred.issuer (id),
    code                    text NOT NULL CONSTRAINT pathway_code_format CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    title                   text NOT NULL CONSTRAINT pathway_title_not_blank CHECK (btrim(title) <> ''),
    target_type_id          uuid NOT NULL,
    min_ects                microcred.ects_credits,
    within_months           integer CONSTRAINT pathway_within_months_positive CHECK (within_months > 0),
    within_months_of_issue  integer CONSTRAINT pathway_within_months_of_issue_positive CHECK (within_months_of_issue > 0),
    auto_award              boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (issuer_id, code),
    UNIQUE (issuer_id, id),
    FOREIGN KEY (issuer_id, target_type_id) REFERENCES microcred.credential_type (issuer_id, id)
);
COMMENT ON TABLE microcred.pathway IS
    'learning pathways: the rule by which smaller credentials stack into a larger target credential of the same issuer';

CREATE TABLE microcred.pathway_node (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issuer_id           uuid NOT NULL,
    pathway_id          uuid NOT NULL,
    parent_id           bigint REFERENCES microcred.pathway_node (id) ON DELETE CASCADE,
    position            integer NOT NULL,
    kind                text NOT NULL CONSTRAINT pathway_node_kind CHECK (kind IN (
                            'all_of', 'any_of', 'n_of', 'credential_type', 'achievement', 'alignment')),
    n                   integer,
    credential_type_id  uuid,
    achievement_id      text,
    alignment_url       text,
    min_eqf             microcred.eqf_level,
    grades              text[],
    label               text NOT NULL,
    FOREIGN KEY (issuer_id, pathway_id) REFERENCES microcred.pathway (issuer_id, id) ON DELETE CASCADE,
    FOREIGN KEY (issuer_id, credential_type_id) REFERENCES microcred.credential_type (issuer_id, id)
);
CREATE INDEX pathway_node_pathway ON microcred.pathway_node (pathway_id, parent_id, position);
COMMENT ON TABLE microcred.pathway_node IS
    'the rule tree of a pathway: all_of / any_of / n_of nodes and component leaves (credential_type, achievement, alignment) with optional minimum EQF level and accepted grades';

-- achievements recognised for a learner: verified credentials of other issuers, and prior learning
CREATE TABLE microcred.recognition (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    issuer_id           uuid NOT NULL,
    learner_id          uuid NOT NULL,
    kind                text NOT NULL CONSTRAINT recognition_kind CHECK (kind IN ('credential', 'prior_learning')),
    title               text NOT NULL,
    foreign_issuer      text,
    credential_id       text,
    credential          jsonb,
    achievement_id      text,
    alignments          text[] NOT NULL DEFAULT '{}',
    ects                microcred.ects_credits,
    eqf_level           microcred.eqf_level,
    grade               text,
    earned_at           timestamptz NOT NULL,
    valid_until         timestamptz,
    assessment_reference text,
    recognised_by       name NOT NULL DEFAULT current_user,
    recognised_at       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (issuer_id, learner_id) REFERENCES microcred.learner (issuer_id, id),
    CONSTRAINT recognition_prior_learning_assessed CHECK (kind = 'credential' OR assessment_reference IS NOT NULL)
);
CREATE UNIQUE INDEX recognition_credential_once ON microcred.recognition (issuer_id, learner_id, credential_id)
    WHERE credential_id IS NOT NULL;
COMMENT ON TABLE microcred.recognition IS
    'what an issuer recognised for a learner: another issuer''s verified credential, or prior learning with its assessment (validation of non-formal and informal learning)';

ALTER TABLE microcred.issued_credential ADD COLUMN credits_earned microcred.ects_credits;
COMMENT ON COLUMN microcred.issued_credential.credits_earned IS
    'ECTS credits earned when they differ from the type''s (a stacked credential earns the sum of its components)';

-- store one rule (sub)tree; returns the node id
CREATE FUNCTION microcred._store_rule(p microcred.pathway, rule jsonb, parent bigint, pos integer, depth integer)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kinds   text[] := ARRAY(SELECT k FROM jsonb_object_keys(rule) k
                            WHERE k IN ('all_of', 'any_of', 'n_of', 'credential_type', 'achievement', 'alignment'));
    kind    text;
    node    bigint;
    items   jsonb;
    i       integer;
    ct      microcred.credential_type;
    extra   text;
BEGIN
    IF depth > 16 THEN
        PERFORM microcred._fail('22023', 'pathway rule is nested deeper than 16 levels', NULL, NULL);
    END IF;
    IF jsonb_typeof(rule) <> 'object' OR cardinality(kinds) <> 1 THEN
        PERFORM microcred._fail('22023', format('pathway rule element %s is not one rule', rule::text),
            'Each element has exactly one of all_of, any_of, n_of (with "of"), credential_type, achievement or alignment.',
            'For example {"all_of": [{"credential_type": "PY-DATA"}, {"n_of": 2, "of": [...]}]}.');
    END IF;
    kind := kinds[1];
    SELECT k INTO extra FROM jsonb_object_keys(rule) k
     WHERE k NOT IN (kind, 'of', 'min_eqf', 'grades', 'label') LIMIT 1;
    IF extra IS NOT NULL OR (kind <> 'n_of' AND rule ? 'of') THEN
        PERFORM microcred._fail('22023', format('pathway rule element has an unknown member "%s"', coalesce(extra, 'of')),
            format('In %s.', rule::text), 'Known members: all_of, any_of, n_of + of, credential_type, achievement, alignment, min_eqf, grades, label.');
    END IF;
    IF kind IN ('all_of', 'any_of', 'n_of') THEN
        items := CASE kind WHEN 'n_of' THEN rule -> 'of' ELSE rule -> kind END;
        IF items IS NULL OR jsonb_typeof(items) <> 'array' OR jsonb_array_length(items) = 0 THEN
            PERFORM microcred._fail('22023', format('%s needs a non-empty list of components', kind),
                format('In %s.', rule::text), CASE kind WHEN 'n_of' THEN 'Write {"n_of": 2, "of": [...]}.' END);
        END IF;
        IF kind = 'n_of' AND (jsonb_typeof(rule -> 'n_of') <> 'number'
                              OR (rule ->> 'n_of')::numeric NOT BETWEEN 1 AND jsonb_array_length(items)
                              OR (rule ->> 'n_of')::numeric <> round((rule ->> 'n_of')::numeric)) THEN
            PERFORM microcred._fail('22023', format('n_of(%s) over %s components is not possible', rule -> 'n_of', jsonb_array_length(items)),
                NULL, 'n must be a whole number between 1 and the number of components.');
        END IF;
        INSERT INTO microcred.pathway_node (issuer_id, pathway_id, parent_id, position, kind, n, label)
        VALUES (p.issuer_id, p.id, parent, pos, kind,
                CASE kind WHEN 'n_of' THEN (rule ->> 'n_of')::integer WHEN 'all_of' THEN jsonb_array_length(items) ELSE 1 END,
                coalesce(rule ->> 'label', CASE kind WHEN 'all_of' THEN 'all of' WHEN 'any_of' THEN 'any of'
                                                     ELSE format('%s of %s', rule ->> 'n_of', jsonb_array_length(items)) END))
        RETURNING id INTO node;
        FOR i IN 0 .. jsonb_array_length(items) - 1 LOOP
            PERFORM microcred._store_rule(p, items -> i, node, i + 1, depth + 1);
        END LOOP;
        RETURN node;
    END IF;
    IF rule ? 'grades' AND (jsonb_typeof(rule -> 'grades') <> 'array' OR jsonb_array_length(rule -> 'grades') = 0) THEN
        PERFORM microcred._fail('22023', 'grades of a component must be a non-empty list of accepted grades', NULL,
            'For example "grades": ["1.0", "1.3", "1.7"].');
    END IF;
    IF kind = 'credential_type' THEN
        SELECT t.* INTO ct FROM microcred.credential_type t JOIN microcred.issuer i ON i.id = t.issuer_id
         WHERE t.issuer_id = p.issuer_id AND (t.code = rule ->> kind OR i.handle || '/' || t.code = rule ->> kind);
        IF ct.id IS NULL THEN
            PERFORM microcred._fail('42704', format('credential type "%s" of a pathway component does not exist', rule ->> kind),
                'Components that are credential types must be types of the pathway''s own issuer.',
                'Components from other issuers are "achievement" or "alignment" components, met by recognised credentials.');
        END IF;
        IF ct.id = p.target_type_id THEN
            PERFORM microcred._fail('22023', format('pathway %s needs its own target "%s" as a component', p.code, ct.code),
                'A credential cannot be a component of itself.', NULL);
        END IF;
    ELSIF jsonb_typeof(rule -> kind) <> 'string' OR (rule ->> kind) !~ '^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$' THEN
        PERFORM microcred._fail('22023', format('%s of a pathway component must be a URI', kind),
            format('In %s.', rule::text), CASE kind WHEN 'alignment' THEN 'For example an ESCO skill: http://data.europa.eu/esco/skill/...'
                                                      ELSE 'The achievement id as the other issuer''s credentials state it.' END);
    END IF;
    INSERT INTO microcred.pathway_node (issuer_id, pathway_id, parent_id, position, kind, credential_type_id,
                                        achievement_id, alignment_url, min_eqf, grades, label)
    VALUES (p.issuer_id, p.id, parent, pos, kind, ct.id,
            CASE kind WHEN 'achievement' THEN rule ->> kind END,
            CASE kind WHEN 'alignment' THEN rule ->> kind END,
            microcred._check_eqf_level((rule ->> 'min_eqf')::integer),
            CASE WHEN rule ? 'grades' THEN ARRAY(SELECT jsonb_array_elements_text(rule -> 'grades')) END,
            coalesce(rule ->> 'label', CASE kind WHEN 'credential_type' THEN ct.code || ' (' || ct.title || ')'
                                                 ELSE kind || ' ' || (rule ->> kind) END))
    RETURNING id INTO node;
    RETURN node;
END
$$;
COMMENT ON FUNCTION microcred._store_rule(microcred.pathway, jsonb, bigint, integer, integer) IS 'internal: validate and store a rule tree';

-- refuse pathways that, together, need a credential to earn itself
CREATE FUNCTION microcred._check_pathway_cycles(issuer uuid)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cyc text;
BEGIN
    WITH RECURSIVE edge AS (
        SELECT p.target_type_id AS target, n.credential_type_id AS needs
          FROM microcred.pathway p JOIN microcred.pathway_node n ON n.pathway_id = p.id
         WHERE p.issuer_id = issuer AND n.kind = 'credential_type'
    ), walk AS (
        SELECT e.target AS start, e.needs AS at, ARRAY[e.target, e.needs] AS path FROM edge e
        UNION ALL
        SELECT w.start, e.needs, w.path || e.needs FROM walk w JOIN edge e ON e.target = w.at
         WHERE NOT e.needs = ANY (w.path[2:]) AND cardinality(w.path) < 64
    )
    SELECT string_agg(t.code, ' needs ' ORDER BY o) INTO cyc
      FROM (SELECT path FROM walk WHERE at = start LIMIT 1) w, unnest(w.path) WITH ORDINALITY AS x(tid, o)
      JOIN microcred.credential_type t ON t.id = x.tid;
    IF cyc IS NOT NULL THEN
        PERFORM microcred._fail('22023', 'pathways form a cycle: ' || cyc,
            'Following the pathways, a credential would be needed to earn itself.',
            'Remove the component that closes the circle.');
    END IF;
END
$$;

CREATE FUNCTION microcred.define_pathway(issuer text, code text, title text, target text, rule jsonb,
                                         min_ects numeric DEFAULT NULL, within_months integer DEFAULT NULL,
                                         within_months_of_issue integer DEFAULT NULL, auto_award boolean DEFAULT false)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p       microcred.pathway;
    t       microcred.credential_type;
BEGIN
    p.issuer_id := microcred._resolve_issuer(issuer);
    SELECT ct.* INTO t FROM microcred.credential_type ct JOIN microcred.issuer i ON i.id = ct.issuer_id
     WHERE ct.issuer_id = p.issuer_id AND (ct.code = target OR i.handle || '/' || ct.code = target);
    IF t.id IS NULL THEN
        PERFORM microcred._fail('42704', format('target credential type "%s" does not exist for this issuer', target), NULL,
            'Define the larger credential first with microcred.define_credential().');
    END IF;
    IF rule IS NULL THEN
        PERFORM microcred._fail('23502', 'the rule of a pathway is required', NULL,
            'For example {"all_of": [{"credential_type": "A"}, {"credential_type": "B"}]}.');
    END IF;
    p.id := gen_random_uuid();
    p.code := code;
    p.title := microcred._required_text('title of the pathway', title, 'Name the larger credential''s pathway.');
    p.target_type_id := t.id;
    p.min_ects := microcred._check_ects(min_ects);
    p.within_months := within_months;
    p.within_months_of_issue := within_months_of_issue;
    p.auto_award := coalesce(auto_award, false);
    p.created_at := now();
    INSERT INTO microcred.pathway SELECT p.*;
    PERFORM microcred._store_rule(p, rule, NULL, 1, 0);
    PERFORM microcred._check_pathway_cycles(p.issuer_id);
    RETURN p.id;
END
$$;
COMMENT ON FUNCTION microcred.define_pathway(text, text, text, text, jsonb, numeric, integer, integer, boolean) IS
    'define a learning pathway to a target credential type: a rule tree (all_of, any_of, n_of over credential types, external achievements and skills) and constraints (minimum ECTS, months between components or before the award)';

CREATE FUNCTION microcred.set_pathway_rule(pathway uuid, rule jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p microcred.pathway;
BEGIN
    SELECT * INTO p FROM microcred.pathway pw WHERE pw.id = set_pathway_rule.pathway;
    IF p.id IS NULL THEN
        PERFORM microcred._fail('42704', format('pathway %s does not exist', set_pathway_rule.pathway), NULL, NULL);
    END IF;
    DELETE FROM microcred.pathway_node n WHERE n.pathway_id = p.id;
    PERFORM microcred._store_rule(p, rule, NULL, 1, 0);
    PERFORM microcred._check_pathway_cycles(p.issuer_id);
END
$$;
COMMENT ON FUNCTION microcred.set_pathway_rule(uuid, jsonb) IS 'replace the rule of a pathway (validated like define_pathway)';

-- recognition ------------------------------------------------------------------------

CREATE FUNCTION microcred._recognise(learner uuid, credential jsonb, status_lists jsonb[], actor name)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l       microcred.learner;
    v       microcred.verification;
    subj    jsonb := CASE jsonb_typeof(credential -> 'credentialSubject')
                     WHEN 'array' THEN credential -> 'credentialSubject' -> 0 ELSE credential -> 'credentialSubject' END;
    ach     jsonb := subj -> 'achievement';
    ident   jsonb;
    mine    boolean := false;
    new_id  uuid;
    eqf     integer;
BEGIN
    SELECT * INTO l FROM microcred.learner lr WHERE lr.id = learner;
    IF l.id IS NULL OR l.erased_at IS NOT NULL THEN
        PERFORM microcred._fail('42704', format('learner %s does not exist', learner), NULL, NULL);
    END IF;
    PERFORM microcred._check_actor(l.issuer_id, actor);
    -- valid: a key bound to the issuer signed it (ours, or registered by an
    -- admin; recognise takes no caller-supplied controller documents), and
    -- the status lists given verify for that issuer
    v := microcred.verify(credential, status_lists);
    IF NOT v.valid THEN
        PERFORM microcred._fail('22023', 'the credential does not verify and cannot be recognised',
            (SELECT string_agg(c ->> 'check' || ': ' || (c ->> 'reason'), '; ') FROM jsonb_array_elements(v.checks) c
              WHERE c ->> 'result' = 'fail'), NULL);
    END IF;
    IF NOT EXISTS (SELECT FROM microcred.trusted_key k
                    WHERE k.issuer = v.issuer AND (k.trusted_by IS NULL OR k.trusted_by = l.issuer_id))
       AND NOT EXISTS (SELECT FROM microcred.issuer i WHERE i.public_id = v.issuer) THEN
        PERFORM microcred._fail('42501', format('issuer %s is not trusted by this issuer', v.issuer),
            'Only credentials of issuers whose keys an admin registered are recognised.',
            'Register the issuer''s key with microcred.trust_key(issuer, verification_method, key, trusted_by => ...).');
    END IF;
    -- the credential must be about this learner: a matching salted hash or DID
    FOR ident IN SELECT x FROM jsonb_array_elements(coalesce(subj -> 'identifier', '[]')) x LOOP
        IF (ident ->> 'hashed')::boolean AND ident ->> 'identityHash' IN (
               'sha256$' || encode(sha256(convert_to(coalesce(l.email, '') || coalesce(ident ->> 'salt', ''), 'UTF8')), 'hex'),
               'sha256$' || encode(sha256(convert_to(coalesce(l.student_id, '') || coalesce(ident ->> 'salt', ''), 'UTF8')), 'hex')) THEN
            mine := true;
        END IF;
    END LOOP;
    IF l.holder_did IS NOT NULL AND subj ->> 'id' = l.holder_did THEN
        mine := true;
    END IF;
    IF NOT mine THEN
        PERFORM microcred._fail('22023', 'the credential is not about this learner',
            'No identity hash or DID in its credentialSubject matches the learner''s e-mail, student id or DID.', NULL);
    END IF;
    SELECT (regexp_match(a ->> 'targetUrl', '^http://data\.europa\.eu/snb/eqf/([1-8])$'))[1]::integer INTO eqf
      FROM jsonb_array_elements(coalesce(ach -> 'alignment', '[]')) a
     WHERE a ->> 'targetUrl' ~ '^http://data\.europa\.eu/snb/eqf/[1-8]$' LIMIT 1;
    INSERT INTO microcred.recognition (issuer_id, learner_id, kind, title, foreign_issuer, credential_id, credential,
                                       achievement_id, alignments, ects, eqf_level, grade, earned_at, valid_until,
                                       recognised_by)
    VALUES (l.issuer_id, l.id, 'credential', coalesce(ach ->> 'name', credential ->> 'name', '(untitled)'), v.issuer,
            coalesce(credential ->> 'id', encode(sha256(convert_to(credential::text, 'UTF8')), 'hex')), credential,
            ach ->> 'id',
            ARRAY(SELECT a ->> 'targetUrl' FROM jsonb_array_elements(coalesce(ach -> 'alignment', '[]')) a WHERE a ? 'targetUrl'),
            CASE WHEN jsonb_typeof(subj -> 'creditsEarned') = 'number' THEN (subj ->> 'creditsEarned')::numeric
                 WHEN jsonb_typeof(ach -> 'creditsAvailable') = 'number' THEN (ach ->> 'creditsAvailable')::numeric END,
            eqf, subj -> 'result' -> 0 ->> 'value',
            coalesce((credential ->> 'awardedDate')::timestamptz, (credential ->> 'validFrom')::timestamptz,
                     (credential ->> 'issuanceDate')::timestamptz, now()),
            (credential ->> 'validUntil')::timestamptz, actor)
    ON CONFLICT (issuer_id, learner_id, credential_id) WHERE credential_id IS NOT NULL DO NOTHING
    RETURNING id INTO new_id;
    IF new_id IS NULL THEN
        SELECT r.id INTO new_id FROM microcred.recognition r
         WHERE r.issuer_id = l.issuer_id AND r.learner_id = l.id AND r.credential_id = _recognise.credential ->> 'id';
    END IF;
    RETURN new_id;
END
$$;
CREATE FUNCTION microcred.recognise(learner uuid, credential jsonb, status_lists jsonb[] DEFAULT NULL)
RETURNS uuid LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._recognise(learner, credential, status_lists, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.recognise(uuid, jsonb, jsonb[]) IS
    'recognise another issuer''s Open Badges 3.0 credential for a learner: it must verify (status included), come from an issuer this issuer trusts, and be about this learner; returns the recognition id';

CREATE FUNCTION microcred.recognise_prior_learning(learner uuid, title text, assessment_reference text,
                                                   achievement_id text DEFAULT NULL, alignments text[] DEFAULT '{}',
                                                   ects numeric DEFAULT NULL, eqf_level integer DEFAULT NULL,
                                                   grade text DEFAULT NULL, earned_at timestamptz DEFAULT now())
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l       microcred.learner;
    new_id  uuid;
    actor   name := microcred._caller();
BEGIN
    -- SECURITY DEFINER (nobody but the owner writes recognition): the
    -- caller's own rights are checked here, and who recognised what when is
    -- not the caller's to choose
    SELECT * INTO l FROM microcred.learner lr WHERE lr.id = learner;
    IF l.id IS NULL OR NOT microcred.acts_for(l.issuer_id, actor) THEN
        PERFORM microcred._fail('42704', format('learner %s does not exist', learner), NULL, NULL);
    END IF;
    PERFORM microcred._check_actor(l.issuer_id, actor);
    IF earned_at IS NULL OR earned_at > now() THEN
        PERFORM microcred._fail('22007', 'earned_at must be a time in the past', NULL,
            'Give when the prior learning was achieved (default: now).');
    END IF;
    INSERT INTO microcred.recognition (issuer_id, learner_id, kind, title, achievement_id, alignments, ects,
                                       eqf_level, grade, earned_at, assessment_reference,
                                       recognised_by, recognised_at)
    VALUES (l.issuer_id, l.id, 'prior_learning',
            microcred._required_text('title of the recognised prior learning', title, 'Say what was recognised.'),
            achievement_id, coalesce(alignments, '{}'), microcred._check_ects(ects), microcred._check_eqf_level(eqf_level),
            grade, earned_at,
            microcred._required_text('assessment reference', assessment_reference,
                'Name the assessment that validated the prior learning (e.g. the RPL procedure''s case number).'),
            actor, now())
    RETURNING id INTO new_id;
    PERFORM microcred._audit(l.issuer_id, 'recognise', l.id, NULL,
                             jsonb_build_object('recognition', new_id, 'kind', 'prior_learning'), actor);
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION microcred.recognise_prior_learning(uuid, text, text, text, text[], numeric, integer, text, timestamptz) IS
    'record recognised prior learning (validation of non-formal and informal learning) for a learner, with its assessment reference';

-- checks ---------------------------------------------------------------------------

CREATE TYPE microcred.stack_result AS (
    satisfied   boolean,
    ects_total  numeric,
    explanation text,
    components  jsonb
);
COMMENT ON TYPE microcred.stack_result IS
    'result of a pathway check: satisfied, the ECTS counted, an explanation in words, and each component with what met it';

CREATE TYPE microcred.stack_item AS (item text, kind text, credential_type_id uuid, achievement_id text,
                                     alignments text[], ects numeric, eqf integer, grade text,
                                     earned_at timestamptz, label text);
COMMENT ON TYPE microcred.stack_item IS 'internal: something a learner holds that can meet a pathway component';

-- what a learner holds that can count: valid credentials of the issuer, and recognitions
CREATE FUNCTION microcred._stack_items(learner uuid, issuer uuid)
RETURNS SETOF microcred.stack_item
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.id::text, 'issued', c.credential_type_id,
           c.document -> 'credentialSubject' -> 'achievement' ->> 'id',
           ARRAY(SELECT o.esco_uri FROM microcred.learning_outcome o WHERE o.credential_type_id = t.id AND o.esco_uri IS NOT NULL),
           coalesce(c.credits_earned, t.ects), t.eqf_level, c.grade, c.awarded_date, t.code
      FROM microcred.issued_credential c JOIN microcred.credential_type t ON t.id = c.credential_type_id
     WHERE c.issuer_id = issuer AND c.learner_id = learner AND c.status = 'active' AND c.superseded_by IS NULL
       AND (c.valid_until IS NULL OR c.valid_until > now())
    UNION ALL
    SELECT r.id::text, r.kind, NULL, r.achievement_id, r.alignments, r.ects, r.eqf_level, r.grade, r.earned_at,
           r.title || CASE WHEN r.foreign_issuer IS NOT NULL THEN ' (' || r.foreign_issuer || ')' ELSE ' (prior learning)' END
      FROM microcred.recognition r
     WHERE r.issuer_id = issuer AND r.learner_id = learner AND (r.valid_until IS NULL OR r.valid_until > now())
$$;

CREATE FUNCTION microcred._stack_check(p microcred.pathway, learner uuid)
RETURNS microcred.stack_result
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    leaves      record;
    items       record;
    it          record;
    assigned    jsonb := '{}';      -- node id -> item
    used        text[] := '{}';
    met         jsonb := '{}';      -- node id -> boolean
    node        record;
    child       record;
    cnt         integer;
    total       numeric := 0;
    lines       text[] := '{}';
    comps       jsonb := '[]';
    first_at    timestamptz;
    last_at     timestamptz;
    ok          boolean;
    res         microcred.stack_result;
    target      microcred.credential_type;
    held        microcred.stack_item[];
BEGIN
    -- callable by readers (pathway_progress calls it), who could pass a
    -- pathway row of any issuer: the session's role must act for its issuer
    -- (or see every issuer's reports, as members of microcred_reader_all do)
    IF NOT (microcred.acts_for(p.issuer_id, session_user)
            OR pg_has_role(session_user, 'microcred_reader_all', 'MEMBER')) THEN
        PERFORM microcred._fail('42501', format('role "%s" may not act for the issuer of pathway %s', session_user, p.id), NULL,
            'An admin maps roles to issuers with microcred.grant_issuer(issuer, role).');
    END IF;
    SELECT * INTO target FROM microcred.credential_type WHERE id = p.target_type_id;
    -- the learner's items, once
    SELECT coalesce(array_agg(x), '{}') INTO held FROM microcred._stack_items(learner, p.issuer_id) x;
    -- components with the fewest candidates first, each item counted once
    FOR leaves IN
        SELECT pn AS node, (SELECT count(*) FROM unnest(held) s
                             WHERE microcred._stack_matches(pn, s.credential_type_id, s.achievement_id, s.alignments, s.eqf, s.grade)) AS candidates
          FROM microcred.pathway_node pn
         WHERE pn.pathway_id = p.id AND pn.kind IN ('credential_type', 'achievement', 'alignment')
         ORDER BY candidates, pn.parent_id, pn.position
    LOOP
        SELECT s.* INTO it FROM unnest(held) s
         WHERE microcred._stack_matches(leaves.node, s.credential_type_id, s.achievement_id, s.alignments, s.eqf, s.grade)
           AND NOT s.item = ANY (used)
         ORDER BY (SELECT count(*) FROM microcred.pathway_node pn2
                    WHERE pn2.pathway_id = p.id AND microcred._stack_matches(pn2, s.credential_type_id, s.achievement_id, s.alignments, s.eqf, s.grade)),
                  s.earned_at, s.item
         LIMIT 1;
        IF it.item IS NOT NULL THEN
            used := used || it.item;
            assigned := assigned || jsonb_build_object((leaves.node).id::text, to_jsonb(it));
        END IF;
        it := NULL;
    END LOOP;
    -- evaluate the tree bottom-up (children before parents: deeper nodes have larger ids)
    FOR node IN SELECT * FROM microcred.pathway_node n WHERE n.pathway_id = p.id ORDER BY n.id DESC LOOP
        IF node.kind IN ('credential_type', 'achievement', 'alignment') THEN
            met := met || jsonb_build_object(node.id::text, assigned ? node.id::text);
        ELSE
            SELECT count(*) FILTER (WHERE (met ->> c.id::text)::boolean) INTO cnt
              FROM microcred.pathway_node c WHERE c.parent_id = node.id;
            met := met || jsonb_build_object(node.id::text, cnt >= node.n);
        END IF;
    END LOOP;
    -- explanation, top-down
    FOR node IN
        WITH RECURSIVE t AS (
            SELECT n.*, 0 AS depth, ARRAY[n.position] AS path FROM microcred.pathway_node n
             WHERE n.pathway_id = p.id AND n.parent_id IS NULL
            UNION ALL
            SELECT n.*, t.depth + 1, t.path || n.position FROM microcred.pathway_node n JOIN t ON n.parent_id = t.id
        ) SELECT * FROM t ORDER BY path
    LOOP
        IF node.kind IN ('all_of', 'any_of', 'n_of') THEN
            SELECT count(*) FILTER (WHERE (met ->> c.id::text)::boolean), count(*) INTO cnt, total
              FROM microcred.pathway_node c WHERE c.parent_id = node.id;
            lines := lines || (repeat('  ', node.depth) || '- ' || node.label || ': '
                               || CASE WHEN (met ->> node.id::text)::boolean THEN 'met' ELSE 'not met' END
                               || format(' (%s of %s components met, %s needed)', cnt, total, node.n));
            total := 0;
        ELSIF assigned ? node.id::text THEN
            it := NULL;
            lines := lines || (repeat('  ', node.depth) || '- ' || node.label || ': met by '
                               || (assigned -> node.id::text ->> 'label')
                               || coalesce(', ' || (assigned -> node.id::text ->> 'ects') || ' ECTS', '')
                               || coalesce(', grade ' || (assigned -> node.id::text ->> 'grade'), '')
                               || ', earned ' || to_char((assigned -> node.id::text ->> 'earned_at')::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD'));
            comps := comps || jsonb_build_object('component', node.label, 'met', true,
                                                 'kind', assigned -> node.id::text ->> 'kind',
                                                 'item', assigned -> node.id::text ->> 'item',
                                                 'achievement_id', assigned -> node.id::text ->> 'achievement_id',
                                                 'ects', (assigned -> node.id::text ->> 'ects')::numeric,
                                                 'earned_at', assigned -> node.id::text ->> 'earned_at');
        ELSE
            lines := lines || (repeat('  ', node.depth) || '- ' || node.label || ': missing'
                               || CASE WHEN node.min_eqf IS NOT NULL THEN format(' (needs EQF %s or higher)', node.min_eqf) ELSE '' END
                               || CASE WHEN node.grades IS NOT NULL THEN format(' (needs grade %s)', array_to_string(node.grades, ', ')) ELSE '' END);
            comps := comps || jsonb_build_object('component', node.label, 'met', false);
        END IF;
    END LOOP;

    ok := coalesce((SELECT (met ->> n.id::text)::boolean FROM microcred.pathway_node n
                     WHERE n.pathway_id = p.id AND n.parent_id IS NULL), false);
    SELECT coalesce(sum((c ->> 'ects')::numeric), 0), min((c ->> 'earned_at')::timestamptz), max((c ->> 'earned_at')::timestamptz)
      INTO total, first_at, last_at
      FROM jsonb_array_elements(comps) c WHERE (c ->> 'met')::boolean;
    IF p.min_ects IS NOT NULL THEN
        lines := lines || format('ECTS: %s counted, at least %s needed: %s', total, p.min_ects,
                                 CASE WHEN total >= p.min_ects THEN 'met' ELSE 'not met' END);
        ok := ok AND total >= p.min_ects;
    END IF;
    IF p.within_months IS NOT NULL AND first_at IS NOT NULL THEN
        lines := lines || format('Components earned within %s months of each other: %s', p.within_months,
                                 CASE WHEN last_at <= first_at + make_interval(months => p.within_months) THEN 'yes'
                                      ELSE format('no (%s to %s)', to_char(first_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                                                  to_char(last_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')) END);
        ok := ok AND last_at <= first_at + make_interval(months => p.within_months);
    END IF;
    IF p.within_months_of_issue IS NOT NULL AND first_at IS NOT NULL THEN
        lines := lines || format('Components earned within %s months before the award: %s', p.within_months_of_issue,
                                 CASE WHEN first_at >= now() - make_interval(months => p.within_months_of_issue) THEN 'yes'
                                      ELSE format('no (the oldest is from %s)', to_char(first_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')) END);
        ok := ok AND first_at >= now() - make_interval(months => p.within_months_of_issue);
    END IF;
    res.satisfied := ok;
    res.ects_total := total;
    res.components := comps;
    res.explanation := format('Pathway %s (%s) to %s: %s', p.code, p.title, target.code,
                              CASE WHEN ok THEN 'satisfied' ELSE 'not satisfied' END)
                       || E'\n' || array_to_string(lines, E'\n');
    RETURN res;
END
$$;

-- does a component node accept an item?
CREATE FUNCTION microcred._stack_matches(n microcred.pathway_node, credential_type_id uuid, achievement_id text,
                                         alignments text[], eqf integer, grade text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE n.kind
               WHEN 'credential_type' THEN n.credential_type_id = credential_type_id
               WHEN 'achievement' THEN n.achievement_id = achievement_id
               WHEN 'alignment' THEN n.alignment_url = ANY (alignments)
               ELSE false END
       AND (n.min_eqf IS NULL OR eqf >= n.min_eqf)
       AND (n.grades IS NULL OR grade = ANY (n.grades))
$$;

CREATE FUNCTION microcred._resolve_pathway(pathway text)
RETURNS microcred.pathway
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p microcred.pathway;
BEGIN
    IF pathway ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        SELECT * INTO p FROM microcred.pathway pw WHERE pw.id = pathway::uuid;
    ELSE
        SELECT pw.* INTO p FROM microcred.pathway pw JOIN microcred.issuer i ON i.id = pw.issuer_id
         WHERE i.handle || '/' || pw.code = pathway;
    END IF;
    IF p.id IS NULL THEN
        PERFORM microcred._fail('42704', format('pathway "%s" does not exist', pathway), NULL,
            'Give its id or ''issuer-handle/CODE''; list them with: SELECT * FROM microcred.pathway;');
    END IF;
    RETURN p;
END
$$;

CREATE FUNCTION microcred._stack_check_as(learner uuid, pathway text, actor name)
RETURNS microcred.stack_result
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p microcred.pathway := microcred._resolve_pathway(pathway);
BEGIN
    PERFORM microcred._check_actor(p.issuer_id, actor);
    IF NOT EXISTS (SELECT FROM microcred.learner l WHERE l.id = learner AND l.issuer_id = p.issuer_id) THEN
        PERFORM microcred._fail('42704', format('learner %s does not exist for the pathway''s issuer', learner), NULL, NULL);
    END IF;
    RETURN microcred._stack_check(p, learner);
END
$$;
CREATE FUNCTION microcred.stack_check(learner uuid, pathway text)
RETURNS microcred.stack_result LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._stack_check_as(learner, pathway, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.stack_check(uuid, text) IS
    'whether a learner satisfies a pathway (id or ''issuer/CODE''), with an explanation: which components are met by what, what is missing, ECTS against the minimum, time constraints; only valid credentials count';

-- every learner of the issuer who now satisfies the pathway (for batch awarding)
CREATE FUNCTION microcred._stack_eligible_as(pathway text, actor name)
RETURNS TABLE (learner uuid, ects_total numeric)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p microcred.pathway := microcred._resolve_pathway(pathway);
BEGIN
    PERFORM microcred._check_actor(p.issuer_id, actor);
    -- only learners who hold something a component can use, and not yet the target
    RETURN QUERY
    SELECT x.learner, r.ects_total
      FROM (SELECT DISTINCT ic.learner_id AS learner FROM microcred.issued_credential ic
             WHERE ic.issuer_id = p.issuer_id AND ic.status = 'active'
               AND ic.credential_type_id IN (SELECT n.credential_type_id FROM microcred.pathway_node n
                                              WHERE n.pathway_id = p.id AND n.credential_type_id IS NOT NULL)
            UNION
            SELECT rc.learner_id FROM microcred.recognition rc WHERE rc.issuer_id = p.issuer_id) x
      -- LATERAL: one check per learner (a composite in the select list would be evaluated per field)
      CROSS JOIN LATERAL microcred._stack_check(p, x.learner) r
     WHERE NOT EXISTS (SELECT FROM microcred.issued_credential t
                        WHERE t.issuer_id = p.issuer_id AND t.learner_id = x.learner
                          AND t.credential_type_id = p.target_type_id AND t.status <> 'revoked')
       AND r.satisfied;
END
$$;
CREATE FUNCTION microcred.stack_eligible(pathway text)
RETURNS TABLE (learner uuid, ects_total numeric) LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM microcred._stack_eligible_as(pathway, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.stack_eligible(text) IS
    'every learner who satisfies a pathway and does not hold its target yet, for batch awarding: SELECT microcred.stack_issue(learner, ''issuer/CODE'') FROM microcred.stack_eligible(''issuer/CODE'')';

-- award the target credential when the check passes; idempotent per learner and pathway
CREATE FUNCTION microcred._stack_issue(learner uuid, pathway text, actor name)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p       microcred.pathway := microcred._resolve_pathway(pathway);
    r       microcred.stack_result;
    key     text;
    existing uuid;
    evidence jsonb;
    base    text;
BEGIN
    PERFORM microcred._check_actor(p.issuer_id, actor);
    key := format('pathway:%s:%s', p.id, learner);
    SELECT c.id INTO existing FROM microcred.issued_credential c
     WHERE c.issuer_id = p.issuer_id AND c.idempotency_key = key;
    IF existing IS NOT NULL THEN
        RETURN existing;
    END IF;
    r := microcred._stack_check(p, learner);
    IF NOT r.satisfied THEN
        PERFORM microcred._fail('55000', format('learner does not satisfy pathway %s yet', p.code), r.explanation,
            'Award it when every required component is met; microcred.stack_check() explains what is missing.');
    END IF;
    SELECT i.base_url INTO base FROM microcred.issuer i WHERE i.id = p.issuer_id;
    -- each component becomes an Evidence entry pointing at what met it
    SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'id', CASE c ->> 'kind'
                       WHEN 'issued' THEN coalesce(base || '/credentials/' || (c ->> 'item'), 'urn:uuid:' || (c ->> 'item'))
                       ELSE (SELECT coalesce(rc.credential_id, 'urn:uuid:' || rc.id) FROM microcred.recognition rc
                              WHERE rc.id::text = c ->> 'item') END,
               'type', jsonb_build_array('Evidence'),
               'name', c ->> 'component',
               'description', CASE c ->> 'kind' WHEN 'issued' THEN 'Credential of this issuer'
                                                 WHEN 'prior_learning' THEN 'Recognised prior learning'
                                                 ELSE 'Recognised credential of another issuer' END
                              || coalesce(', achievement ' || (c ->> 'achievement_id'), '')
                              || coalesce(', ' || (c ->> 'ects') || ' ECTS', ''),
               'genre', 'Pathway component')) ORDER BY c ->> 'component')
      INTO evidence
      FROM jsonb_array_elements(r.components) c WHERE (c ->> 'met')::boolean;
    RETURN microcred._issue(p.target_type_id::text, learner, NULL, evidence, now(), key, actor,
                            credits_earned => CASE WHEN r.ects_total > 0 THEN r.ects_total END);
END
$$;
CREATE FUNCTION microcred.stack_issue(learner uuid, pathway text)
RETURNS uuid LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._stack_issue(learner, pathway, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.stack_issue(uuid, text) IS
    'issue a pathway''s target credential to a learner if the check passes, listing its components as Evidence and earning their summed ECTS; idempotent per learner and pathway';

-- pathways with auto_award: issuing a component may complete one.  Only an
-- issue by microcred._issue (which marks the credential it inserts) awards:
-- rows arriving from pg_restore, a replica or a hand-written INSERT are data
-- being loaded, not credentials being issued.
CREATE FUNCTION microcred._stack_auto_award()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p microcred.pathway;
BEGIN
    IF current_setting('microcred_issue.credential', true) IS DISTINCT FROM NEW.id::text THEN
        RETURN NULL;
    END IF;
    FOR p IN SELECT DISTINCT pw.* FROM microcred.pathway pw JOIN microcred.pathway_node n ON n.pathway_id = pw.id
              WHERE pw.auto_award AND pw.issuer_id = NEW.issuer_id AND n.credential_type_id = NEW.credential_type_id
    LOOP
        IF (microcred._stack_check(p, NEW.learner_id)).satisfied THEN
            PERFORM microcred._stack_issue(NEW.learner_id, p.id::text, session_user COLLATE "default");
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER stack_auto_award AFTER INSERT ON microcred.issued_credential
    FOR EACH ROW EXECUTE FUNCTION microcred._stack_auto_award();

-- the figures of pathway_progress for one learner: no grades, no items.  The
-- view's readers call this, not _stack_check (which only the owner may call:
-- it takes a pathway row, which a caller could forge, and returns grades).
CREATE FUNCTION microcred.pathway_progress_of(pathway uuid, learner uuid,
                                              OUT satisfied boolean, OUT percent numeric,
                                              OUT missing jsonb, OUT ects_total numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.satisfied,
           round(100.0 * jsonb_array_length(jsonb_path_query_array(r.components, '$[*] ? (@.met == true)'))
                 / greatest(jsonb_array_length(r.components), 1)),
           jsonb_path_query_array(r.components, '$[*] ? (@.met == false).component'),
           r.ects_total
      FROM microcred.pathway p CROSS JOIN LATERAL microcred._stack_check(p, pathway_progress_of.learner) r
     WHERE p.id OPERATOR(pg_catalog.=) pathway_progress_of.pathway
       -- tenancy: only for a caller acting for the pathway's issuer (or an
       -- admin-granted reader of every issuer); nothing otherwise
       AND (microcred.acts_for(p.issuer_id, microcred._caller())
            OR pg_has_role(microcred._caller(), 'microcred_reader_all', 'MEMBER'))
$$;
COMMENT ON FUNCTION microcred.pathway_progress_of(uuid, uuid) IS
    'progress of one learner towards one pathway as the pathway_progress view shows it (satisfied, percent of components met, the missing ones, ECTS counted)';

-- reporting: progress of every learner who holds something towards a pathway
CREATE VIEW microcred.pathway_progress AS
SELECT p.id AS pathway_id, i.handle || '/' || p.code AS pathway, l.learner_id, r.satisfied,
       r.percent, r.missing, r.ects_total
  FROM microcred.pathway p JOIN microcred.issuer i ON i.id = p.issuer_id
  JOIN LATERAL (SELECT DISTINCT c.learner_id FROM microcred.issued_credential c
                 WHERE c.issuer_id = p.issuer_id AND c.status = 'active'
                   AND c.credential_type_id IN (SELECT n.credential_type_id FROM microcred.pathway_node n
                                                 WHERE n.pathway_id = p.id)
                UNION
                SELECT rc.learner_id FROM microcred.recognition rc WHERE rc.issuer_id = p.issuer_id) l ON true
  CROSS JOIN LATERAL microcred.pathway_progress_of(p.id, l.learner_id) r
 WHERE microcred.acts_for(i.id, current_user) OR pg_has_role('microcred_reader_all', 'MEMBER');
COMMENT ON VIEW microcred.pathway_progress IS
    'progress of each learner towards each pathway: satisfied, percent of components met, the missing ones, ECTS counted (learner by id only)';

ALTER TABLE microcred.pathway ENABLE ROW LEVEL SECURITY;
ALTER TABLE microcred.pathway_node ENABLE ROW LEVEL SECURITY;
ALTER TABLE microcred.recognition ENABLE ROW LEVEL SECURITY;
CREATE POLICY per_issuer ON microcred.pathway USING (microcred.acts_for(issuer_id, current_user));
CREATE POLICY per_issuer ON microcred.pathway_node USING (microcred.acts_for(issuer_id, current_user));
CREATE POLICY per_issuer ON microcred.recognition USING (microcred.acts_for(issuer_id, current_user));

-- grants for this part
REVOKE ALL ON ALL TABLES IN SCHEMA microcred FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA microcred FROM PUBLIC;
GRANT SELECT ON microcred.pathway, microcred.pathway_node TO microcred_admin, microcred_issuer, microcred_reader;
GRANT SELECT ON microcred.pathway_progress TO microcred_admin, microcred_reader;
-- the progress view calls pathway_progress_of; readers see every learner's progress (by id only) anyway
GRANT EXECUTE ON FUNCTION microcred.pathway_progress_of(uuid, uuid) TO microcred_admin, microcred_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON microcred.pathway, microcred.pathway_node TO microcred_admin;
GRANT SELECT ON microcred.recognition TO microcred_admin, microcred_issuer;
GRANT EXECUTE ON FUNCTION
    microcred.define_pathway(text, text, text, text, jsonb, numeric, integer, integer, boolean),
    microcred.set_pathway_rule(uuid, jsonb),
    microcred._store_rule(microcred.pathway, jsonb, bigint, integer, integer),
    microcred._check_pathway_cycles(uuid)
    TO microcred_admin;
GRANT EXECUTE ON FUNCTION
    microcred.recognise(uuid, jsonb, jsonb[]),
    microcred.recognise_prior_learning(uuid, text, text, text, text[], numeric, integer, text, timestamptz),
    microcred.stack_check(uuid, text), microcred.stack_eligible(text), microcred.stack_issue(uuid, text)
    TO microcred_admin, microcred_issuer;
/*
 * microcred install script, part 9: the public resources the bridge serves
 * without login (credentials, issuer profiles with their keys, status
 * lists), behind one function, and the role the bridge connects with.
 *
 *   microcred_bridge    may call public_resource() and nothing else
 */

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'microcred_bridge') THEN
        CREATE ROLE microcred_bridge NOLOGIN;
    END IF;
END
$$;

/*
 * The JWT form (format 'vc-jwt' or 'ob-jwt') of an issued credential whose
 * document is stored: the envelope made earlier (any algorithm, the oldest),
 * or a new one signed now with the issuer's active key of the algorithm the
 * form allows (vc-jwt: EdDSA, else ES256; ob-jwt: RS256, else ES256) and
 * stored, so every later request gets the same token.  NULL when the issuer
 * holds no such key.  Internal: public_resource() calls it for anyone, as
 * the credential's public URL is its capability.
 */
CREATE FUNCTION microcred._credential_envelope(credential uuid, format text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c       microcred.issued_credential;
    i       microcred.issuer;
    k       microcred.signing_key;
    alg     text;
    tok     text;
BEGIN
    SELECT e.token INTO tok FROM microcred.credential_envelope e
     WHERE e.credential_id = credential AND e.format = _credential_envelope.format
     ORDER BY e.created_at, e.algorithm LIMIT 1;
    IF tok IS NOT NULL THEN
        RETURN tok;
    END IF;
    SELECT * INTO c FROM microcred.issued_credential ic WHERE ic.id = credential;
    IF c.id IS NULL OR c.document IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO k FROM microcred.signing_key sk
     WHERE sk.issuer_id = c.issuer_id AND sk.state = 'active'
       AND sk.algorithm = ANY (CASE _credential_envelope.format WHEN 'vc-jwt' THEN ARRAY['Ed25519', 'P-256']
                                                                ELSE ARRAY['RSA', 'P-256'] END)
     ORDER BY sk.algorithm = 'P-256', sk.created_at LIMIT 1;
    IF k.id IS NULL THEN
        RETURN NULL;
    END IF;
    alg := CASE k.algorithm WHEN 'Ed25519' THEN 'EdDSA' WHEN 'RSA' THEN 'RS256' ELSE 'ES256' END;
    SELECT * INTO i FROM microcred.issuer WHERE issuer.id = c.issuer_id;
    tok := microcred._sign_jwt(c.document - 'proof', _credential_envelope.format, k.id, k.issuer_id,
                               k.sealed_private, alg, i.public_id || '#' || k.fragment);
    INSERT INTO microcred.credential_envelope (issuer_id, credential_id, format, algorithm, token)
    VALUES (c.issuer_id, c.id, _credential_envelope.format, alg, tok)
    ON CONFLICT DO NOTHING;
    -- a concurrent first request may have stored its token first: serve that one
    SELECT e.token INTO tok FROM microcred.credential_envelope e
     WHERE e.credential_id = c.id AND e.format = _credential_envelope.format
     ORDER BY e.created_at, e.algorithm LIMIT 1;
    RETURN tok;
END
$$;
COMMENT ON FUNCTION microcred._credential_envelope(uuid, text) IS
    'internal: the stored JWT form (vc-jwt or ob-jwt) of a credential, signed and stored on first request; NULL when the issuer has no key for it';

/*
 * One public resource as an HTTP answer: kind is 'credential' (id: the
 * credential's uuid), 'issuer' (id: the issuer's handle), 'achievement' (id:
 * the credential type's uuid) or 'status' (id: the status list's uuid).  Unknown or malformed ids answer 404, never an error,
 * so a probe learns nothing more than "not here".  A credential whose stored
 * document was erased (erase_learner) answers 410.  want_jwt asks for a
 * JWT form of the credential, jwt_format which one: 'vc-jwt' (W3C VC-JOSE,
 * application/vc+jwt) or 'ob-jwt' (Open Badges 3.0 VC-JWT,
 * application/jwt).  A JWT form is made on first request (signed once with
 * the issuer's active key, _credential_envelope) and then served unchanged;
 * 406 only when the issuer holds no active key that form can be signed with.
 */
CREATE FUNCTION microcred.public_resource(kind text, id text, want_jwt boolean DEFAULT false,
                                          jwt_format text DEFAULT 'vc-jwt',
                                          OUT http_status integer, OUT content_type text,
                                          OUT body text, OUT last_modified timestamptz,
                                          OUT max_age integer)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uuid_re constant text := '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
    c       record;
    i       microcred.issuer;
    t       microcred.credential_type;
    tok     text;
BEGIN
    http_status := 404;
    content_type := 'text/plain; charset=utf-8';
    body := 'not found';
    max_age := 60;
    IF kind = 'credential' THEN
        IF public_resource.id !~ uuid_re THEN
            RETURN;
        END IF;
        SELECT ic.document, ic.issued_at INTO c FROM microcred.issued_credential ic WHERE ic.id = public_resource.id::uuid;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        last_modified := c.issued_at;
        IF c.document IS NULL THEN
            http_status := 410;
            body := 'this credential''s document was erased at the learner''s request; its status stays published';
            RETURN;
        END IF;
        -- a signed document never changes after issue (corrections supersede)
        max_age := 86400;
        IF want_jwt THEN
            IF jwt_format IS NULL OR jwt_format NOT IN ('vc-jwt', 'ob-jwt') THEN
                PERFORM microcred._fail('22023', format('jwt_format "%s" is not a JWT form', left(jwt_format, 100)), NULL,
                    'Use ''vc-jwt'' (W3C VC-JOSE) or ''ob-jwt'' (Open Badges 3.0 VC-JWT).');
            END IF;
            tok := microcred._credential_envelope(public_resource.id::uuid, jwt_format);
            IF tok IS NULL THEN
                http_status := 406;
                body := format('the issuer holds no active key for the %s form of this credential; ask for application/vc or application/json',
                               jwt_format);
                max_age := 60;
                RETURN;
            END IF;
            http_status := 200;
            content_type := CASE jwt_format WHEN 'vc-jwt' THEN 'application/vc+jwt' ELSE 'application/jwt' END;
            body := tok;
            RETURN;
        END IF;
        http_status := 200;
        content_type := 'application/vc';
        body := c.document::text;
    ELSIF kind = 'issuer' THEN
        SELECT * INTO i FROM microcred.issuer WHERE handle = public_resource.id;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        -- the OB 3.0 Profile (as credentials carry it) and the controller
        -- document in one, so <public id>#<key fragment> resolves to a key
        body := (microcred._issuer_profile(i)
                 || microcred.controller_document(i.id::text)
                 || jsonb_build_object(
                        '@context', jsonb_build_array('https://www.w3.org/ns/did/v1',
                                                      'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
                                                      'https://w3id.org/security/multikey/v1',
                                                      'https://w3id.org/security/jwk/v1'),
                        'type', jsonb_build_array('Profile')))::text;
        http_status := 200;
        content_type := 'application/json';
        max_age := 300;
    ELSIF kind = 'achievement' THEN
        -- the Achievement credentials of a type carry (its id is this URL)
        IF public_resource.id !~ uuid_re THEN
            RETURN;
        END IF;
        SELECT * INTO t FROM microcred.credential_type ct WHERE ct.id = public_resource.id::uuid;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        SELECT * INTO i FROM microcred.issuer iss WHERE iss.id = t.issuer_id;
        body := (jsonb_build_object('@context', jsonb_build_array(
                     'https://www.w3.org/ns/credentials/v2',
                     'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'))
                 || microcred._achievement(t, i))::text;
        http_status := 200;
        content_type := 'application/json';
        max_age := 300;
    ELSIF kind = 'status' THEN
        IF public_resource.id !~ uuid_re THEN
            RETURN;
        END IF;
        IF NOT EXISTS (SELECT FROM microcred.status_list l WHERE l.id = public_resource.id::uuid) THEN
            RETURN;
        END IF;
        body := microcred.status_list_credential(public_resource.id::uuid)::text;
        SELECT l.published_at INTO last_modified FROM microcred.status_list l WHERE l.id = public_resource.id::uuid;
        http_status := 200;
        content_type := 'application/vc';
        -- short: a revocation must reach verifiers soon
        max_age := 60;
    ELSE
        PERFORM microcred._fail('22023', format('kind "%s" is not a public resource', kind), NULL,
            'Use one of: credential, issuer, achievement, status.');
    END IF;
END
$$;
COMMENT ON FUNCTION microcred.public_resource(text, text, boolean, text) IS
    'a public resource (credential, issuer profile with keys, achievement, status list) as an HTTP status, content type, body and caching hints; what the bridge serves without login';

REVOKE ALL ON FUNCTION microcred.public_resource(text, text, boolean, text),
    microcred._credential_envelope(uuid, text) FROM PUBLIC;
GRANT USAGE ON SCHEMA microcred TO microcred_bridge;
GRANT EXECUTE ON FUNCTION microcred.public_resource(text, text, boolean, text)
    TO microcred_bridge, microcred_admin, microcred_verifier;
/*
 * microcred install script, part 10: LTI 1.3 state kept for the bridge.
 *
 * Platform registrations (an LMS's issuer, our client id there, its login,
 * token and JWKS URLs and the signing algorithms we accept from it), their
 * deployments, and the OIDC login states (state and nonce, single use,
 * short-lived).  Administrators register platforms; the bridge, through
 * microcred_bridge, can only look a registration up, start a login and
 * consume it.  The bridge holds no state of its own, so any number of
 * bridges can serve the same platforms.
 */

CREATE TABLE microcred.lti_platform (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    issuer_id        uuid NOT NULL REFERENCES microcred.issuer (id),
    name             text NOT NULL CONSTRAINT lti_platform_name_not_blank CHECK (btrim(name) <> ''),
    platform_issuer  text NOT NULL,
    client_id        text NOT NULL CONSTRAINT lti_platform_client_id_not_blank CHECK (btrim(client_id) <> ''),
    auth_login_url   text NOT NULL,
    auth_token_url   text,
    jwks_url         text NOT NULL,
    algorithms       text[] NOT NULL DEFAULT '{RS256}',
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT lti_platform_unique UNIQUE (platform_issuer, client_id)
);
COMMENT ON TABLE microcred.lti_platform IS
    'LTI 1.3 platforms (LMS registrations): whose launches are accepted, for which awarding body';
COMMENT ON COLUMN microcred.lti_platform.algorithms IS
    'id_token signing algorithms accepted from this platform (asymmetric only; none and HS* are refused)';

CREATE TABLE microcred.lti_deployment (
    platform_id    uuid NOT NULL REFERENCES microcred.lti_platform (id) ON DELETE CASCADE,
    deployment_id  text NOT NULL CONSTRAINT lti_deployment_id_not_blank CHECK (btrim(deployment_id) <> ''),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform_id, deployment_id)
);
COMMENT ON TABLE microcred.lti_deployment IS 'deployments of the tool known per platform; launches from others are refused';

CREATE TABLE microcred.lti_login_state (
    state            text PRIMARY KEY,
    nonce            text NOT NULL UNIQUE,
    platform_id      uuid NOT NULL REFERENCES microcred.lti_platform (id) ON DELETE CASCADE,
    target_link_uri  text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    consumed_at      timestamptz
);
COMMENT ON TABLE microcred.lti_login_state IS
    'OIDC login states and nonces of LTI launches: each consumed once, before it expires';
-- lti_begin_login purges by expiry
CREATE INDEX lti_login_state_expires_at ON microcred.lti_login_state (expires_at);

-- a URL a platform endpoint may have: https, or http on loopback (tests, make run)
CREATE FUNCTION microcred._lti_check_url(field text, url text, required boolean)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF url IS NULL THEN
        IF required THEN
            PERFORM microcred._fail('23502', format('%s is required', field), NULL,
                'Give the URL from the platform''s tool registration page.');
        END IF;
        RETURN;
    END IF;
    IF url !~ '^https://[^/\s]+(/\S*)?$' AND url !~ '^http://(127\.0\.0\.1|\[::1\]|localhost)(:[0-9]+)?(/\S*)?$' THEN
        PERFORM microcred._fail('22023', format('%s must be an https URL', field),
            format('The value given was "%s".', url),
            'Platforms are reached over TLS; plain http is accepted only on loopback, for tests.');
    END IF;
END
$$;

CREATE FUNCTION microcred.lti_register_platform(
    issuer           text,
    name             text,
    platform_issuer  text,
    client_id        text,
    auth_login_url   text,
    jwks_url         text,
    auth_token_url   text DEFAULT NULL,
    deployment_ids   text[] DEFAULT '{}',
    algorithms       text[] DEFAULT '{RS256}')
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    iss   uuid := microcred._resolve_issuer(issuer);
    bad   text;
    new_id uuid;
BEGIN
    PERFORM microcred._lti_check_url('platform_issuer', platform_issuer, true);
    PERFORM microcred._lti_check_url('auth_login_url', auth_login_url, true);
    PERFORM microcred._lti_check_url('jwks_url', jwks_url, true);
    PERFORM microcred._lti_check_url('auth_token_url', auth_token_url, false);
    IF client_id IS NULL OR btrim(client_id) = '' THEN
        PERFORM microcred._fail('23502', 'client_id is required', NULL,
            'The client id the platform assigned to the tool when it was registered there.');
    END IF;
    IF algorithms IS NULL OR cardinality(algorithms) = 0 THEN
        PERFORM microcred._fail('22023', 'algorithms must name at least one signing algorithm', NULL,
            'LTI 1.3 platforms sign with RS256; give ''{RS256}''.');
    END IF;
    SELECT a INTO bad FROM unnest(algorithms) a
     WHERE a IS NULL OR a NOT IN ('RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA')
     LIMIT 1;
    IF FOUND THEN
        PERFORM microcred._fail('22023', format('algorithm "%s" is not accepted for id_tokens', coalesce(bad, 'NULL')),
            NULL, CASE WHEN bad ~* '^(none|HS)' THEN 'Unsigned and shared-secret (HS*) tokens are never accepted: anyone holding the secret could forge a launch. '
                       ELSE '' END
                  || 'Use RS256 (the LTI 1.3 default), RS384, RS512, PS256-PS512, ES256, ES384 or EdDSA.');
    END IF;
    IF EXISTS (SELECT FROM microcred.lti_platform p
                WHERE p.platform_issuer = lti_register_platform.platform_issuer
                  AND p.client_id = lti_register_platform.client_id) THEN
        PERFORM microcred._fail('23505', format('platform %s with client_id "%s" is already registered', platform_issuer, client_id),
            NULL, 'Add deployments with microcred.lti_add_deployment; remove the old registration first to change it.');
    END IF;
    INSERT INTO microcred.lti_platform (issuer_id, name, platform_issuer, client_id, auth_login_url,
                                        auth_token_url, jwks_url, algorithms)
    VALUES (iss, name, platform_issuer, client_id, auth_login_url, auth_token_url, jwks_url,
            ARRAY(SELECT DISTINCT a FROM unnest(algorithms) a ORDER BY 1))
    RETURNING id INTO new_id;
    INSERT INTO microcred.lti_deployment (platform_id, deployment_id)
    SELECT new_id, d FROM unnest(deployment_ids) d;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION microcred.lti_register_platform(text, text, text, text, text, text, text, text[], text[]) IS
    'register an LTI 1.3 platform (LMS) for an awarding body: its issuer, our client id, login/JWKS/token URLs, deployments and accepted algorithms';

CREATE FUNCTION microcred.lti_add_deployment(platform uuid, deployment_id text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM microcred.lti_platform p WHERE p.id = platform) THEN
        PERFORM microcred._fail('42704', format('LTI platform %s does not exist', platform), NULL,
            'List them with: SELECT id, name, platform_issuer, client_id FROM microcred.lti_platform;');
    END IF;
    IF deployment_id IS NULL OR btrim(deployment_id) = '' THEN
        PERFORM microcred._fail('23502', 'deployment_id is required', NULL,
            'The deployment id the platform shows for this installation of the tool.');
    END IF;
    INSERT INTO microcred.lti_deployment (platform_id, deployment_id) VALUES (platform, deployment_id)
    ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION microcred.lti_add_deployment(uuid, text) IS 'accept launches from one more deployment of the tool on a platform';

/*
 * Third-party initiated login: the registration for (iss, client_id), a new
 * state and nonce (256 bits each), valid for ttl.  client_id may be NULL when
 * the platform did not send it and has one registration only.
 */
CREATE FUNCTION microcred.lti_begin_login(platform_issuer text, client_id text, target_link_uri text,
                                          ttl interval DEFAULT '10 minutes',
                                          OUT state text, OUT nonce text, OUT auth_login_url text,
                                          OUT registered_client_id text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p       microcred.lti_platform;
    found_p record;
    n       bigint;
BEGIN
    IF ttl IS NULL OR ttl <= interval '0' OR ttl > interval '1 hour' THEN
        PERFORM microcred._fail('22023', 'ttl must be between 0 and 1 hour', NULL,
            'A login state is short-lived: 10 minutes is usual.');
    END IF;
    -- the registration, and whether it is the only one (one query)
    SELECT lp AS row, count(*) OVER () AS n INTO found_p FROM microcred.lti_platform lp
     WHERE lp.platform_issuer = lti_begin_login.platform_issuer
       AND (lti_begin_login.client_id IS NULL OR lp.client_id = lti_begin_login.client_id)
     LIMIT 1;
    p := found_p.row;
    n := coalesce(found_p.n, 0);
    IF n = 0 THEN
        PERFORM microcred._fail('28000', 'no LTI platform is registered with this issuer and client_id', NULL,
            'Register it with microcred.lti_register_platform.');
    ELSIF n > 1 THEN
        PERFORM microcred._fail('28000', 'the login request has no client_id and the platform has several registrations', NULL,
            'The platform must send client_id.');
    END IF;
    IF target_link_uri IS NULL OR target_link_uri = '' THEN
        PERFORM microcred._fail('23502', 'target_link_uri is required', NULL,
            'The platform sends it with the login request.');
    END IF;
    /*
     * Anyone may start a login, so states must not pile up: each login
     * deletes up to 64 states that expired more than a minute ago (the
     * minute keeps "state_expired" for a slow user's launch), far more
     * than the one it adds, so the table holds little more than the states
     * of the last ttl + 1 minute.  SKIP LOCKED: concurrent logins never wait for each other.
     */
    DELETE FROM microcred.lti_login_state ls
     WHERE ls.state IN (SELECT o.state FROM microcred.lti_login_state o
                         WHERE o.expires_at < now() - interval '1 minute'
                         ORDER BY o.expires_at LIMIT 64 FOR UPDATE SKIP LOCKED);
    state := microcred._random_token();
    nonce := microcred._random_token();
    INSERT INTO microcred.lti_login_state (state, nonce, platform_id, target_link_uri, expires_at)
    VALUES (state, nonce, p.id, target_link_uri, now() + ttl);
    auth_login_url := p.auth_login_url;
    registered_client_id := p.client_id;
END
$$;
COMMENT ON FUNCTION microcred.lti_begin_login(text, text, text, interval) IS
    'LTI 1.3 login initiation: look up the platform registration and create a single-use state and nonce';

CREATE FUNCTION microcred._random_bytes(n integer)
RETURNS bytea
LANGUAGE C VOLATILE STRICT
AS 'MODULE_PATHNAME', 'microcred_random_bytes';
COMMENT ON FUNCTION microcred._random_bytes(integer) IS 'internal: n bytes from the strong random source';

-- 256 random bits, base64url without padding (43 characters)
CREATE FUNCTION microcred._random_token()
RETURNS text
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'microcred_random_token';

/*
 * The launch: consume the state (once, before it expires) and check the
 * id_token's nonce against it.  The state is spent by any attempt, whatever
 * the nonce says.  A failure is a problem code, not an error (an error would
 * roll the spending back): missing_state, unknown_state, state_used,
 * state_expired, or nonce_mismatch (an empty nonce too).  With a known state
 * the registration the launch must come from is returned even on
 * nonce_mismatch, so that the bridge can report the token's own faults
 * (bad signature, wrong version...) first; it then checks the id_token's
 * iss, aud, deployment_id and signature against it.
 */
CREATE FUNCTION microcred.lti_consume_login(state text, nonce text,
                                            OUT problem text,
                                            OUT platform_id uuid, OUT platform_issuer text,
                                            OUT client_id text, OUT jwks_url text,
                                            OUT algorithms text[], OUT target_link_uri text,
                                            OUT deployment_ids text[])
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s   microcred.lti_login_state;
BEGIN
    IF state IS NULL OR state = '' THEN
        problem := 'missing_state';
        RETURN;
    END IF;
    -- single use even under concurrent launches with the same state: the row lock decides
    SELECT * INTO s FROM microcred.lti_login_state ls WHERE ls.state = lti_consume_login.state FOR UPDATE;
    IF NOT FOUND THEN
        problem := 'unknown_state';
        RETURN;
    END IF;
    IF s.consumed_at IS NOT NULL THEN
        problem := 'state_used';
        RETURN;
    END IF;
    IF s.expires_at <= now() THEN
        problem := 'state_expired';
        RETURN;
    END IF;
    -- spent whatever the nonce says
    UPDATE microcred.lti_login_state ls SET consumed_at = now() WHERE ls.state = s.state;
    SELECT p.id, p.platform_issuer, p.client_id, p.jwks_url, p.algorithms, s.target_link_uri,
           ARRAY(SELECT d.deployment_id FROM microcred.lti_deployment d WHERE d.platform_id = p.id ORDER BY 1)
      INTO platform_id, platform_issuer, client_id, jwks_url, algorithms, target_link_uri, deployment_ids
      FROM microcred.lti_platform p WHERE p.id = s.platform_id;
    IF nonce IS NULL OR s.nonce <> lti_consume_login.nonce THEN
        problem := 'nonce_mismatch';
    END IF;
END
$$;
COMMENT ON FUNCTION microcred.lti_consume_login(text, text) IS
    'LTI 1.3 launch: spend the login state (once, unexpired), check the nonce; a problem code on failure, and the registration to validate the id_token against';

CREATE FUNCTION microcred.lti_deployment_known(platform uuid, deployment_id text)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM microcred.lti_deployment d
                    WHERE d.platform_id = platform AND d.deployment_id = lti_deployment_known.deployment_id)
$$;

-- expired or spent states older than a day go
CREATE FUNCTION microcred.lti_purge_login_states()
RETURNS bigint
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM microcred.lti_login_state s
         WHERE s.expires_at < now() - interval '1 day'
            OR s.consumed_at < now() - interval '1 day'
        RETURNING 1)
    SELECT count(*) FROM gone
$$;
COMMENT ON FUNCTION microcred.lti_purge_login_states() IS 'delete login states that expired or were used more than a day ago (run it daily)';

REVOKE ALL ON microcred.lti_platform, microcred.lti_deployment, microcred.lti_login_state FROM PUBLIC;
REVOKE ALL ON FUNCTION microcred._lti_check_url(text, text, boolean),
    microcred.lti_register_platform(text, text, text, text, text, text, text, text[], text[]),
    microcred.lti_add_deployment(uuid, text),
    microcred.lti_begin_login(text, text, text, interval), microcred._random_token(),
    microcred._random_bytes(integer),
    microcred.lti_consume_login(text, text), microcred.lti_deployment_known(uuid, text),
    microcred.lti_purge_login_states() FROM PUBLIC;
-- registering runs with the caller's rights: microcred_admin's
GRANT SELECT, INSERT, DELETE ON microcred.lti_platform, microcred.lti_deployment TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred._lti_check_url(text, text, boolean) TO microcred_admin;
GRANT EXECUTE ON FUNCTION
    microcred.lti_register_platform(text, text, text, text, text, text, text, text[], text[]),
    microcred.lti_add_deployment(uuid, text), microcred.lti_purge_login_states()
    TO microcred_admin;
GRANT EXECUTE ON FUNCTION
    microcred.lti_begin_login(text, text, text, interval), microcred.lti_consume_login(text, text),
    microcred.lti_deployment_known(uuid, text)
    TO microcred_bridge;
/*
 * microcred install script, part 11: the LTI tool's own key, course
 * mappings, deep linking, launch pages and dynamic registration.
 *
 * The tool (the bridge) signs two kinds of message to platforms: deep
 * linking responses and RFC 7523 client assertions.  Its RSA key is made,
 * sealed and used here like an issuer's key; the bridge only ever gets the
 * signed message and the public JWKS.  Which course awards which
 * micro-credential type is a mapping stored by deep linking (or by an
 * admin); the launch page's content is computed here, so the bridge needs
 * no table access at all.
 */

-- the tool's signing keys ---------------------------------------------------

CREATE TABLE microcred.lti_tool_key (
    id              uuid PRIMARY KEY,
    state           text NOT NULL DEFAULT 'active'
                    CONSTRAINT lti_tool_key_state CHECK (state IN ('active', 'standby', 'retired')),
    kid             text NOT NULL UNIQUE,
    public_jwk      jsonb NOT NULL,
    sealed_private  bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    retired_at      timestamptz
);
CREATE UNIQUE INDEX lti_tool_key_one_active ON microcred.lti_tool_key ((true)) WHERE state = 'active';
COMMENT ON TABLE microcred.lti_tool_key IS
    'RSA keys the LTI tool signs deep linking responses and client assertions with: the active one signs, standby ones are still published';
COMMENT ON COLUMN microcred.lti_tool_key.sealed_private IS
    'the private key sealed under the KEK (bound to the key id); readable by the extension owner only';

-- tool keys are sealed with the nil uuid in place of an issuer id
CREATE FUNCTION microcred._lti_new_tool_key()
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id  uuid := gen_random_uuid();
    k       record;
BEGIN
    SELECT * INTO k FROM microcred._key_generate(new_id, '00000000-0000-0000-0000-000000000000', 'RSA');
    UPDATE microcred.lti_tool_key SET state = 'standby' WHERE state = 'active';
    INSERT INTO microcred.lti_tool_key (id, kid, public_jwk, sealed_private)
    VALUES (new_id, k.fragment,
            k.public_jwk || jsonb_build_object('kid', k.fragment, 'alg', 'RS256', 'use', 'sig'),
            k.sealed_private);
    RETURN k.fragment;
END
$$;

-- the active tool key, made on first need (one at a time under concurrency)
CREATE FUNCTION microcred._lti_tool_key(OUT id uuid, OUT kid text, OUT sealed_private bytea)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    SELECT k.id, k.kid, k.sealed_private INTO id, kid, sealed_private
      FROM microcred.lti_tool_key k WHERE k.state = 'active';
    IF NOT FOUND THEN
        PERFORM pg_advisory_xact_lock(hashtext('microcred.lti_tool_key'));
        SELECT k.id, k.kid, k.sealed_private INTO id, kid, sealed_private
          FROM microcred.lti_tool_key k WHERE k.state = 'active';
        IF NOT FOUND THEN
            PERFORM microcred._lti_new_tool_key();
            SELECT k.id, k.kid, k.sealed_private INTO id, kid, sealed_private
              FROM microcred.lti_tool_key k WHERE k.state = 'active';
        END IF;
    END IF;
END
$$;

-- a JWT of claims signed RS256 with the active tool key
CREATE FUNCTION microcred._lti_sign(claims jsonb)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k record;
BEGIN
    SELECT * INTO k FROM microcred._lti_tool_key();
    RETURN microcred._sign_jwt(claims, 'jwt', k.id, '00000000-0000-0000-0000-000000000000', k.sealed_private, 'RS256', k.kid);
END
$$;

CREATE FUNCTION microcred.lti_tool_key_rotate()
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may rotate the LTI tool key', NULL,
            'Grant microcred_admin to the role that manages keys.');
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('microcred.lti_tool_key'));
    RETURN microcred._lti_new_tool_key();
END
$$;
COMMENT ON FUNCTION microcred.lti_tool_key_rotate() IS
    'make a new RSA key for the LTI tool; the previous one stays published (standby) until retired, so platforms that cached the JWKS keep verifying';

CREATE FUNCTION microcred.lti_tool_key_retire(kid text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may retire the LTI tool key', NULL,
            'Grant microcred_admin to the role that manages keys.');
    END IF;
    UPDATE microcred.lti_tool_key k SET state = 'retired', retired_at = now()
     WHERE k.kid = lti_tool_key_retire.kid AND k.state = 'standby';
    IF NOT FOUND THEN
        PERFORM microcred._fail('22023', format('no standby LTI tool key has kid "%s"', kid), NULL,
            'Only a key replaced by lti_tool_key_rotate() can be retired; list them with: SELECT kid, state FROM microcred.lti_tool_keys;');
    END IF;
END
$$;
COMMENT ON FUNCTION microcred.lti_tool_key_retire(text) IS 'stop publishing a replaced LTI tool key';

CREATE VIEW microcred.lti_tool_keys AS
    SELECT kid, state, public_jwk, created_at, retired_at FROM microcred.lti_tool_key;
COMMENT ON VIEW microcred.lti_tool_keys IS 'the LTI tool''s keys, public parts only';

-- the tool's JWKS (what GET /lti/jwks serves); makes the first key if needed
CREATE FUNCTION microcred.lti_tool_jwks()
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM microcred._lti_tool_key();
    RETURN jsonb_build_object('keys', coalesce(
        (SELECT jsonb_agg(k.public_jwk ORDER BY k.state = 'active' DESC, k.created_at DESC)
           FROM microcred.lti_tool_key k WHERE k.state IN ('active', 'standby')), '[]'::jsonb));
END
$$;
COMMENT ON FUNCTION microcred.lti_tool_jwks() IS 'the LTI tool''s public keys as a JWKS (active first, then standby)';

/*
 * An RFC 7523 client assertion for the platform's token endpoint (LTI
 * Advantage services): iss = sub = our client id, aud = the token URL, a
 * random jti, five minutes of validity.
 */
CREATE FUNCTION microcred.lti_client_assertion(platform uuid)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p   microcred.lti_platform;
    t   bigint := extract(epoch FROM now())::bigint;
BEGIN
    SELECT * INTO p FROM microcred.lti_platform lp WHERE lp.id = platform;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('LTI platform %s does not exist', platform), NULL,
            'List them with: SELECT id, name, platform_issuer FROM microcred.lti_platform;');
    END IF;
    IF p.auth_token_url IS NULL THEN
        PERFORM microcred._fail('55000', format('LTI platform "%s" has no auth_token_url', p.name), NULL,
            'Give the platform''s token endpoint URL when registering it (auth_token_url).');
    END IF;
    RETURN microcred._lti_sign(jsonb_build_object(
        'iss', p.client_id, 'sub', p.client_id, 'aud', p.auth_token_url,
        'iat', t, 'exp', t + 300, 'jti', microcred._random_token()));
END
$$;
COMMENT ON FUNCTION microcred.lti_client_assertion(uuid) IS
    'a signed client assertion (RFC 7523, private_key_jwt) for the platform''s OAuth 2 token endpoint';

-- course to credential type ---------------------------------------------------

/*
 * The LMS's own course and user ids come in custom claims of the launch
 * (lms_course_id, lms_user_id).  Only platforms whose custom fields are set
 * by their administrators may be trusted with them: in Canvas they come
 * from the developer key; in Moodle a teacher can type custom parameters
 * into an activity, and could then link another course or another user's
 * id (Moodle does not need them: its LTI ids are its own).  Off by default.
 */
ALTER TABLE microcred.lti_platform ADD COLUMN trust_lms_ids boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN microcred.lti_platform.trust_lms_ids IS
    'take the LMS''s own course and user ids from the launch''s custom claims (Canvas: set by the developer key); never for platforms where teachers set custom parameters';

CREATE FUNCTION microcred.lti_trust_lms_ids(platform uuid, trust boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may change a platform''s trust', NULL, NULL);
    END IF;
    UPDATE microcred.lti_platform lp SET trust_lms_ids = coalesce(trust, false) WHERE lp.id = platform;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('LTI platform %s does not exist', platform), NULL,
            'List them with: SELECT id, name, platform_issuer FROM microcred.lti_platform;');
    END IF;
END
$$;
COMMENT ON FUNCTION microcred.lti_trust_lms_ids(uuid, boolean) IS
    'let launches from this platform link the LMS''s own course and user ids (custom lms_course_id, lms_user_id): for Canvas, whose custom fields come from the developer key';

-- Identity linking.  A launch is linked to a learner by its (platform, sub)
-- once linked; the first link is made by e-mail only when the platform is
-- marked as asserting verified e-mails (lti_trust_emails) and no other
-- account of that platform is linked to the learner; otherwise the launch
-- is recorded as a link request and waits for an admin (lti_link_account).
-- Every link made is in lti_account_link and in the audit log.
ALTER TABLE microcred.lti_platform ADD COLUMN verified_emails boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN microcred.lti_platform.verified_emails IS
    'the platform only sends e-mail addresses it has verified as its user''s: a launch may link an LMS account to the learner with that e-mail (lti_trust_emails)';

CREATE FUNCTION microcred.lti_trust_emails(platform uuid, trust boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may change a platform''s trust', NULL, NULL);
    END IF;
    UPDATE microcred.lti_platform lp SET verified_emails = coalesce(trust, false) WHERE lp.id = platform;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('LTI platform %s does not exist', platform), NULL,
            'List them with: SELECT id, name, platform_issuer FROM microcred.lti_platform;');
    END IF;
END
$$;
COMMENT ON FUNCTION microcred.lti_trust_emails(uuid, boolean) IS
    'let launches from this platform link an LMS account to the learner with the launch''s e-mail (only for a platform that verifies its users'' e-mail addresses)';

CREATE TABLE microcred.lti_account_link (
    platform_id  uuid NOT NULL REFERENCES microcred.lti_platform (id) ON DELETE CASCADE,
    sub          text NOT NULL,
    issuer_id    uuid NOT NULL,
    learner_id   uuid NOT NULL,
    how          text NOT NULL CONSTRAINT lti_account_link_how CHECK (how IN ('verified_email', 'lms_user_id', 'admin')),
    linked_by    name NOT NULL,
    linked_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform_id, sub),
    CONSTRAINT lti_account_link_one_per_learner UNIQUE (platform_id, learner_id),
    FOREIGN KEY (issuer_id, learner_id) REFERENCES microcred.learner (issuer_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE microcred.lti_account_link IS
    'which LMS account (platform, LTI sub) is which learner: one account per learner per platform, how and by whom it was linked';

CREATE TABLE microcred.lti_link_request (
    platform_id  uuid NOT NULL REFERENCES microcred.lti_platform (id) ON DELETE CASCADE,
    sub          text NOT NULL,
    email        text,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform_id, sub)
);
COMMENT ON TABLE microcred.lti_link_request IS
    'LMS accounts that launched but are linked to no learner: an admin links them with lti_link_account';

-- link an LMS account to a learner (internal: the caller has decided it may)
CREATE FUNCTION microcred._lti_link(p microcred.lti_platform, sub text, learner uuid, how text, actor name)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO microcred.lti_account_link (platform_id, sub, issuer_id, learner_id, how, linked_by)
    VALUES (p.id, sub, p.issuer_id, learner, how, actor)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN EXISTS (SELECT FROM microcred.lti_account_link a
                        WHERE a.platform_id = p.id AND a.sub = _lti_link.sub AND a.learner_id = learner);
    END IF;
    INSERT INTO microcred.learner_identifier (issuer_id, learner_id, kind, platform, value)
    VALUES (p.issuer_id, learner, 'lms', p.platform_issuer, sub)
    ON CONFLICT DO NOTHING;
    DELETE FROM microcred.lti_link_request r WHERE r.platform_id = p.id AND r.sub = _lti_link.sub;
    PERFORM microcred._audit(p.issuer_id, 'link_lms_account', learner, NULL,
                             jsonb_build_object('platform', p.id, 'sub', sub, 'how', how), actor);
    RETURN true;
END
$$;
COMMENT ON FUNCTION microcred._lti_link(microcred.lti_platform, text, uuid, text, name) IS
    'internal: record the link of an LMS account to a learner (false when the account or the learner is linked otherwise)';

CREATE FUNCTION microcred.lti_link_account(platform uuid, sub text, learner uuid)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p microcred.lti_platform;
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may link LMS accounts to learners', NULL, NULL);
    END IF;
    SELECT * INTO p FROM microcred.lti_platform lp WHERE lp.id = platform;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('LTI platform %s does not exist', platform), NULL, NULL);
    END IF;
    IF NOT EXISTS (SELECT FROM microcred.learner l WHERE l.id = learner AND l.issuer_id = p.issuer_id AND l.erased_at IS NULL) THEN
        PERFORM microcred._fail('42704', format('learner %s does not exist for this platform''s awarding body', learner), NULL,
            'Register the learner with microcred.add_learner first.');
    END IF;
    IF NOT microcred._lti_link(p, microcred._not_null('sub', sub), learner, 'admin', microcred._caller()) THEN
        PERFORM microcred._fail('23505', 'this LMS account or this learner is already linked on this platform', NULL,
            'See microcred.lti_account_link; one LMS account per learner per platform.');
    END IF;
    PERFORM microcred._process_pending_for(p.id, sub, NULL, learner);
END
$$;
COMMENT ON FUNCTION microcred.lti_link_account(uuid, text, uuid) IS
    'link an LMS account (platform, LTI sub; see lti_link_request) to a learner, audited; its pending completions are issued';

CREATE TABLE microcred.lti_course_mapping (
    platform_id         uuid NOT NULL REFERENCES microcred.lti_platform (id) ON DELETE CASCADE,
    context_id          text NOT NULL CONSTRAINT lti_course_mapping_context_not_blank CHECK (btrim(context_id) <> ''),
    credential_type_id  uuid NOT NULL REFERENCES microcred.credential_type (id),
    context_title       text,
    created_by          text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform_id, context_id, credential_type_id)
);
CREATE INDEX lti_course_mapping_type ON microcred.lti_course_mapping (credential_type_id);
COMMENT ON TABLE microcred.lti_course_mapping IS
    'which course (platform + LTI context id, e.g. the Moodle course id) awards which micro-credential type';
COMMENT ON COLUMN microcred.lti_course_mapping.created_by IS 'deep_linking (an instructor chose it in the LMS), lms_course_id (the LMS''s own course id of a deep-linked course, for its events) or sql:<role>';

/*
 * An LMS's own id as a local id.  Canvas names courses and users in its Live
 * Events by global id (shard * 10^13 + local id: 21070000000000565 is course
 * 565) but substitutes local ids in LTI ($Canvas.course.id); ids are
 * compared in the local form.  Small ids (Moodle's, any local id) pass as
 * they are.
 */
CREATE FUNCTION microcred._lms_local_id(id text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN id ~ '^[0-9]{14,20}$' THEN (id::numeric % 10000000000000)::text ELSE id END
$$;

-- a credential type of the platform's issuer, by uuid, code or handle/code
CREATE FUNCTION microcred._lti_platform_type(p microcred.lti_platform, credential_type text)
RETURNS microcred.credential_type
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t microcred.credential_type;
BEGIN
    IF credential_type ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        SELECT * INTO t FROM microcred.credential_type ct WHERE ct.id = credential_type::uuid;
    ELSE
        SELECT ct.* INTO t FROM microcred.credential_type ct JOIN microcred.issuer i ON i.id = ct.issuer_id
         WHERE ct.issuer_id = p.issuer_id
           AND (ct.code = credential_type OR i.handle || '/' || ct.code = credential_type);
    END IF;
    IF t.id IS NULL OR t.issuer_id <> p.issuer_id THEN
        RETURN NULL;
    END IF;
    RETURN t;
END
$$;

CREATE FUNCTION microcred.lti_map_course(platform uuid, context_id text, credential_type text,
                                         context_title text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p   microcred.lti_platform;
    t   microcred.credential_type;
BEGIN
    SELECT * INTO p FROM microcred.lti_platform lp WHERE lp.id = platform;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('LTI platform %s does not exist', platform), NULL,
            'List them with: SELECT id, name, platform_issuer FROM microcred.lti_platform;');
    END IF;
    IF context_id IS NULL OR btrim(context_id) = '' THEN
        PERFORM microcred._fail('23502', 'context_id is required', NULL,
            'The LTI context id of the course: the course id in Moodle, the course''s lti_context_id in Canvas.');
    END IF;
    t := microcred._lti_platform_type(p, credential_type);
    IF t.id IS NULL THEN
        PERFORM microcred._fail('42704', format('credential_type "%s" is not a credential type of this platform''s awarding body', credential_type),
            NULL, 'Give the code or id of one of its types; list them with: SELECT code, title FROM microcred.lti_credential_choices(<platform id>);');
    END IF;
    IF t.retired_at IS NOT NULL THEN
        PERFORM microcred._fail('55000', format('credential_type "%s" is retired', t.code), NULL,
            'Map the course to a current credential type.');
    END IF;
    INSERT INTO microcred.lti_course_mapping (platform_id, context_id, credential_type_id, context_title, created_by)
    VALUES (platform, context_id, t.id, context_title, 'sql:' || current_user)
    ON CONFLICT ON CONSTRAINT lti_course_mapping_pkey DO UPDATE SET context_title = coalesce(EXCLUDED.context_title, lti_course_mapping.context_title);
END
$$;
COMMENT ON FUNCTION microcred.lti_map_course(uuid, text, text, text) IS
    'map a course (platform + LTI context id) to the micro-credential type it awards';

CREATE FUNCTION microcred.lti_unmap_course(platform uuid, context_id text, credential_type text)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p   microcred.lti_platform;
    t   microcred.credential_type;
BEGIN
    SELECT * INTO p FROM microcred.lti_platform lp WHERE lp.id = platform;
    t := microcred._lti_platform_type(p, credential_type);
    DELETE FROM microcred.lti_course_mapping m
     WHERE m.platform_id = platform AND m.context_id = lti_unmap_course.context_id AND m.credential_type_id = t.id;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION microcred.lti_unmap_course(uuid, text, text) IS 'remove a course mapping; true when there was one';

-- deep linking --------------------------------------------------------------

CREATE TABLE microcred.lti_deep_link (
    handle          text PRIMARY KEY,
    platform_id     uuid NOT NULL REFERENCES microcred.lti_platform (id) ON DELETE CASCADE,
    deployment_id   text NOT NULL,
    context_id      text NOT NULL,
    context_title   text,
    return_url      text NOT NULL,
    data            text,
    lms_course_id   text,
    expires_at      timestamptz NOT NULL,
    consumed_at     timestamptz
);
COMMENT ON TABLE microcred.lti_deep_link IS
    'open deep linking requests: what the instructor''s choice page needs to answer the platform, single use';

/*
 * An instructor's LtiDeepLinkingRequest was validated by the bridge: keep
 * what the response needs under a random single-use handle (the choice
 * page's form carries it).
 */
CREATE FUNCTION microcred.lti_begin_deep_link(platform uuid, deployment_id text, context_id text,
                                              context_title text, return_url text, data text,
                                              ttl interval DEFAULT '30 minutes',
                                              lms_course_id text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    h text := microcred._random_token();
BEGIN
    IF NOT EXISTS (SELECT FROM microcred.lti_deployment d
                    WHERE d.platform_id = platform AND d.deployment_id = lti_begin_deep_link.deployment_id) THEN
        PERFORM microcred._fail('28000', 'the deployment is not registered for this platform', NULL,
            'Add it with microcred.lti_add_deployment.');
    END IF;
    IF context_id IS NULL OR btrim(context_id) = '' THEN
        PERFORM microcred._fail('23502', 'context_id is required for deep linking', NULL,
            'Add the tool from inside a course, so that the launch carries the course (context claim).');
    END IF;
    PERFORM microcred._lti_check_url('deep_link_return_url', return_url, true);
    IF ttl IS NULL OR ttl <= interval '0' OR ttl > interval '1 day' THEN
        PERFORM microcred._fail('22023', 'ttl must be between 0 and 1 day', NULL, '30 minutes is usual.');
    END IF;
    IF NOT (SELECT lp.trust_lms_ids FROM microcred.lti_platform lp WHERE lp.id = platform) THEN
        lms_course_id := NULL;      -- see lti_trust_lms_ids
    END IF;
    IF lms_course_id IS NOT NULL AND lms_course_id !~ '^[0-9]{1,20}$' THEN
        PERFORM microcred._fail('22023', format('lms_course_id "%s" is not an LMS course id', lms_course_id), NULL,
            'The LMS''s own numeric course id (Canvas: the custom field lms_course_id=$Canvas.course.id), or NULL.');
    END IF;
    lms_course_id := microcred._lms_local_id(lms_course_id);
    INSERT INTO microcred.lti_deep_link (handle, platform_id, deployment_id, context_id, context_title,
                                         return_url, data, lms_course_id, expires_at)
    VALUES (h, platform, deployment_id, context_id, context_title, return_url, data,
            nullif(lms_course_id, context_id), now() + ttl);
    RETURN h;
END
$$;
COMMENT ON FUNCTION microcred.lti_begin_deep_link(uuid, text, text, text, text, text, interval, text) IS
    'keep a validated deep linking request under a single-use handle for the instructor''s choice';

-- what an instructor may choose: the platform's awarding body's current types
CREATE FUNCTION microcred.lti_credential_choices(platform uuid)
RETURNS TABLE (id uuid, code text, title text, description text, eqf_level integer, ects numeric,
               workload_hours numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ct.id, ct.code, ct.title, ct.description, ct.eqf_level::integer, ct.ects::numeric, ct.workload_hours
      FROM microcred.credential_type ct JOIN microcred.lti_platform p ON p.issuer_id = ct.issuer_id
     WHERE p.id = platform AND ct.retired_at IS NULL
     ORDER BY ct.title, ct.code
$$;
COMMENT ON FUNCTION microcred.lti_credential_choices(uuid) IS
    'the micro-credential types an instructor on this platform may attach to a course';

/*
 * The instructor chose: store the course mapping and return the signed
 * LtiDeepLinkingResponse for the platform's return URL.  Problems (the
 * handle spent only on success, so that a wrong choice can be retried):
 * dl_missing, dl_unknown, dl_used, dl_expired, credential_type_unknown.
 */
CREATE FUNCTION microcred.lti_finish_deep_link(handle text, credential_type text, launch_url text,
                                               OUT problem text, OUT return_url text, OUT jwt text,
                                               OUT title text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d   microcred.lti_deep_link;
    p   microcred.lti_platform;
    t   microcred.credential_type;
    ts  bigint := extract(epoch FROM now())::bigint;
    claims jsonb;
BEGIN
    IF handle IS NULL OR handle = '' THEN
        problem := 'dl_missing';
        RETURN;
    END IF;
    SELECT * INTO d FROM microcred.lti_deep_link dl WHERE dl.handle = lti_finish_deep_link.handle FOR UPDATE;
    IF NOT FOUND THEN
        problem := 'dl_unknown';
        RETURN;
    ELSIF d.consumed_at IS NOT NULL THEN
        problem := 'dl_used';
        RETURN;
    ELSIF d.expires_at <= now() THEN
        problem := 'dl_expired';
        RETURN;
    END IF;
    SELECT * INTO p FROM microcred.lti_platform lp WHERE lp.id = d.platform_id;
    t := microcred._lti_platform_type(p, credential_type);
    IF t.id IS NULL OR t.retired_at IS NOT NULL THEN
        problem := 'credential_type_unknown';
        RETURN;
    END IF;
    UPDATE microcred.lti_deep_link dl SET consumed_at = now() WHERE dl.handle = d.handle;
    INSERT INTO microcred.lti_course_mapping (platform_id, context_id, credential_type_id, context_title, created_by)
    VALUES (p.id, d.context_id, t.id, d.context_title, 'deep_linking')
    ON CONFLICT ON CONSTRAINT lti_course_mapping_pkey DO NOTHING;
    -- the LMS's own course id, which its completion events name (Canvas Live Events)
    IF d.lms_course_id IS NOT NULL THEN
        INSERT INTO microcred.lti_course_mapping (platform_id, context_id, credential_type_id, context_title, created_by)
        VALUES (p.id, d.lms_course_id, t.id, d.context_title, 'deep_linking')
        ON CONFLICT ON CONSTRAINT lti_course_mapping_pkey DO NOTHING;
    END IF;
    claims := jsonb_build_object(
        'iss', p.client_id, 'aud', p.platform_issuer, 'iat', ts, 'exp', ts + 600,
        'nonce', microcred._random_token(),
        'https://purl.imsglobal.org/spec/lti/claim/message_type', 'LtiDeepLinkingResponse',
        'https://purl.imsglobal.org/spec/lti/claim/version', '1.3.0',
        'https://purl.imsglobal.org/spec/lti/claim/deployment_id', d.deployment_id,
        'https://purl.imsglobal.org/spec/lti-dl/claim/content_items', jsonb_build_array(jsonb_build_object(
            'type', 'ltiResourceLink',
            'title', t.title,
            'text', t.description,
            'url', launch_url,
            'custom', jsonb_build_object('microcred_credential_type', t.id::text))));
    IF d.data IS NOT NULL THEN
        claims := claims || jsonb_build_object('https://purl.imsglobal.org/spec/lti-dl/claim/data', d.data);
    END IF;
    return_url := d.return_url;
    title := t.title;
    jwt := microcred._lti_sign(claims);
END
$$;
COMMENT ON FUNCTION microcred.lti_finish_deep_link(text, text, text) IS
    'deep linking: store the chosen course mapping and sign the LtiDeepLinkingResponse (a problem code instead when the handle or choice is not valid)';

-- launch pages ----------------------------------------------------------------

/*
 * What a resource link launch shows.  The credential type is the link's
 * custom parameter microcred_credential_type (set by our deep linking
 * response, carried in the signed id_token), else the course's first
 * mapping.  Learners are found by (platform issuer, sub), else by the
 * launch's email within the awarding body when the platform verifies
 * e-mails and the learner has no other account there (and then linked by
 * sub, audited), else by the LMS's own user id; an account found by none
 * is a link request for an admin (lti_link_account).  One LMS account per
 * learner per platform (lti_account_link).  lms_course_id and lms_user_id are the LMS's
 * own ids when they differ from the LTI ones (Canvas: custom fields
 * $Canvas.course.id and $Canvas.user.id): the course's mappings and the
 * learner are linked under them too, so that the LMS's completion events,
 * which name those ids, find them.  A launch never issues anything; it
 * issues completions that were pending for this learner.  Returns {"view": "not-configured" |
 * "instructor" | "learner-credential" | "learner-pending", ...}.
 */
CREATE FUNCTION microcred.lti_launch_view(platform uuid, context_id text, credential_type text,
                                          sub text, email text, instructor boolean,
                                          lms_course_id text DEFAULT NULL, lms_user_id text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p       microcred.lti_platform;
    t       microcred.credential_type;
    lid     uuid;
    c       record;
    have_c  boolean := false;
    by_sub  boolean := false;
    cand    uuid;
    how     text;
    issuer_name text;
BEGIN
    SELECT * INTO p FROM microcred.lti_platform lp WHERE lp.id = platform;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('LTI platform %s does not exist', platform), NULL, NULL);
    END IF;
    IF credential_type IS NOT NULL AND credential_type <> '' THEN
        t := microcred._lti_platform_type(p, credential_type);
    END IF;
    IF t.id IS NULL AND context_id IS NOT NULL THEN
        SELECT ct.* INTO t FROM microcred.lti_course_mapping m
          JOIN microcred.credential_type ct ON ct.id = m.credential_type_id
         WHERE m.platform_id = p.id AND m.context_id = lti_launch_view.context_id
         ORDER BY m.created_at, ct.code LIMIT 1;
    END IF;
    IF t.id IS NULL THEN
        RETURN jsonb_build_object('view', 'not-configured');
    END IF;
    IF NOT p.trust_lms_ids OR lms_course_id !~ '^[0-9]{1,20}$' THEN
        lms_course_id := NULL;      -- untrusted (lti_trust_lms_ids), or not substituted ("$Canvas.course.id")
    END IF;
    IF NOT p.trust_lms_ids OR lms_user_id !~ '^[0-9]{1,20}$' THEN
        lms_user_id := NULL;
    END IF;
    lms_course_id := microcred._lms_local_id(lms_course_id);
    lms_user_id := microcred._lms_local_id(lms_user_id);
    IF lms_course_id IS NOT NULL AND context_id IS NOT NULL AND lms_course_id <> context_id
       AND NOT EXISTS (SELECT FROM microcred.lti_course_mapping m
                        WHERE m.platform_id = p.id AND m.context_id = lti_launch_view.lms_course_id) THEN
        INSERT INTO microcred.lti_course_mapping (platform_id, context_id, credential_type_id, context_title, created_by)
        SELECT m.platform_id, lms_course_id, m.credential_type_id, m.context_title, 'lms_course_id'
          FROM microcred.lti_course_mapping m
         WHERE m.platform_id = p.id AND m.context_id = lti_launch_view.context_id
        ON CONFLICT ON CONSTRAINT lti_course_mapping_pkey DO NOTHING;
    END IF;
    SELECT i.legal_name INTO issuer_name FROM microcred.issuer i WHERE i.id = t.issuer_id;
    IF instructor THEN
        RETURN jsonb_build_object('view', 'instructor',
            'credential_type', jsonb_build_object('id', t.id, 'code', t.code, 'title', t.title,
                                                  'eqf_level', t.eqf_level, 'ects', t.ects),
            'issuer_name', issuer_name,
            'issued', (SELECT count(*) FROM microcred.issued_credential ic
                        WHERE ic.issuer_id = t.issuer_id AND ic.credential_type_id = t.id
                          AND ic.superseded_by IS NULL),
            'courses', (SELECT count(*) FROM microcred.lti_course_mapping m WHERE m.credential_type_id = t.id));
    END IF;
    IF sub IS NOT NULL AND sub <> '' THEN
        SELECT li.learner_id INTO lid FROM microcred.learner_identifier li
         WHERE li.issuer_id = p.issuer_id AND li.kind = 'lms' AND li.platform = p.platform_issuer AND li.value = sub;
        by_sub := lid IS NOT NULL;
        -- by e-mail only where the platform verifies e-mails, and only for a
        -- learner no other account of this platform is linked to
        IF lid IS NULL AND p.verified_emails AND email IS NOT NULL AND email <> '' THEN
            SELECT l.id INTO cand FROM microcred.learner l
             WHERE l.issuer_id = p.issuer_id AND lower(l.email) = lower(lti_launch_view.email) AND l.erased_at IS NULL;
            IF cand IS NOT NULL AND NOT EXISTS (
                   SELECT FROM microcred.learner_identifier li
                    WHERE li.issuer_id = p.issuer_id AND li.learner_id = cand AND li.kind = 'lms'
                      AND li.platform = p.platform_issuer) THEN
                lid := cand;
                how := 'verified_email';
            END IF;
        END IF;
        IF lid IS NULL AND lms_user_id IS NOT NULL THEN
            SELECT li.learner_id INTO lid FROM microcred.learner_identifier li
             WHERE li.issuer_id = p.issuer_id AND li.kind = 'lms' AND li.platform = p.platform_issuer
               AND li.value = lms_user_id;
            how := 'lms_user_id';
        END IF;
        IF lid IS NOT NULL AND NOT by_sub AND NOT microcred._lti_link(p, sub, lid, how, microcred._caller()) THEN
            lid := NULL;        -- the learner has another account on this platform: an admin decides
        END IF;
        IF lid IS NULL THEN
            INSERT INTO microcred.lti_link_request AS r (platform_id, sub, email)
            VALUES (p.id, sub, nullif(email, ''))
            ON CONFLICT ON CONSTRAINT lti_link_request_pkey DO UPDATE SET last_seen = now(), email = excluded.email;
        END IF;
        IF lid IS NOT NULL AND (NOT by_sub OR lms_user_id IS NOT NULL) THEN
            INSERT INTO microcred.learner_identifier (issuer_id, learner_id, kind, platform, value)
            SELECT p.issuer_id, lid, 'lms', p.platform_issuer, v
              FROM unnest(ARRAY[sub, lms_user_id]) v WHERE v IS NOT NULL
            ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    IF lid IS NOT NULL THEN
        -- completions reported before the LMS told us who this learner is: issue them now
        PERFORM microcred._process_pending_for(p.id, sub, email, lid);
        IF lms_user_id IS NOT NULL AND lms_user_id IS DISTINCT FROM sub THEN
            PERFORM microcred._process_pending_for(p.id, lms_user_id, NULL, lid);
        END IF;
        SELECT ic.id, ic.issued_at, ic.document->>'id' AS url,
               CASE WHEN ic.status <> 'active' THEN ic.status::text
                    WHEN ic.valid_until IS NOT NULL AND ic.valid_until <= now() THEN 'expired'
                    ELSE 'active' END AS status
          INTO c
          FROM microcred.issued_credential ic
         WHERE ic.issuer_id = t.issuer_id AND ic.learner_id = lid AND ic.credential_type_id = t.id
           AND ic.superseded_by IS NULL
         ORDER BY ic.issued_at DESC LIMIT 1;
        have_c := FOUND;
    END IF;
    IF NOT have_c THEN
        -- link: 'linked', or 'awaiting-admin' when this LMS account is linked
        -- to no learner yet (the page should say an administrator must
        -- confirm who the learner is; see lti_link_request)
        RETURN jsonb_build_object('view', 'learner-pending',
            'credential_type', jsonb_build_object('id', t.id, 'code', t.code, 'title', t.title),
            'issuer_name', issuer_name, 'known_learner', lid IS NOT NULL,
            'link', CASE WHEN lid IS NOT NULL THEN 'linked' ELSE 'awaiting-admin' END);
    END IF;
    RETURN jsonb_build_object('view', 'learner-credential',
        'credential_type', jsonb_build_object('id', t.id, 'code', t.code, 'title', t.title),
        'issuer_name', issuer_name,
        'credential', jsonb_build_object('id', c.id, 'url', c.url, 'status', c.status,
            'issued_at', to_char(c.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
            'issued_year', extract(year FROM c.issued_at AT TIME ZONE 'UTC')::integer,
            'issued_month', extract(month FROM c.issued_at AT TIME ZONE 'UTC')::integer));
END
$$;
COMMENT ON FUNCTION microcred.lti_launch_view(uuid, text, text, text, text, boolean, text, text) IS
    'what an LTI resource link launch shows: the learner''s credential or "not yet", or the instructor''s mapping and count; never issues';

-- dynamic registration ----------------------------------------------------------

CREATE TABLE microcred.lti_registration_invite (
    token_hash   bytea PRIMARY KEY,
    issuer_id    uuid NOT NULL REFERENCES microcred.issuer (id),
    created_by   name NOT NULL DEFAULT current_user,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    consumed_at  timestamptz,
    platform_id  uuid REFERENCES microcred.lti_platform (id) ON DELETE SET NULL
);
COMMENT ON TABLE microcred.lti_registration_invite IS
    'single-use LTI Dynamic Registration invitations (only a hash of each is kept): an admin hands the URL to the LMS admin';

CREATE FUNCTION microcred.lti_registration_invite(issuer text, ttl interval DEFAULT '24 hours',
                                                  OUT invite text, OUT url text, OUT expires_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    iss  uuid := microcred._resolve_issuer(issuer);
    base text;
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may invite an LMS to register', NULL,
            'Grant microcred_admin to the role that manages LMS registrations.');
    END IF;
    IF ttl IS NULL OR ttl <= interval '0' OR ttl > interval '30 days' THEN
        PERFORM microcred._fail('22023', 'ttl must be between 0 and 30 days', NULL, '24 hours is usual.');
    END IF;
    invite := microcred._random_token();
    expires_at := now() + ttl;
    INSERT INTO microcred.lti_registration_invite (token_hash, issuer_id, created_by, expires_at)
    VALUES (sha256(convert_to(invite, 'UTF8')), iss, session_user, now() + ttl);
    SELECT i.base_url INTO base FROM microcred.issuer i WHERE i.id = iss;
    url := CASE WHEN base IS NULL THEN NULL ELSE base || '/lti/register?invite=' || invite END;
END
$$;
COMMENT ON FUNCTION microcred.lti_registration_invite(text, interval) IS
    'a single-use LTI Dynamic Registration URL for an awarding body: paste it in Moodle''s "Tool URL" field';

-- problem of an invitation (NULL when usable), without spending it
CREATE FUNCTION microcred.lti_check_invite(invite text)
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN invite IS NULL OR invite = '' THEN 'invite_missing'
                WHEN r.token_hash IS NULL THEN 'invite_unknown'
                WHEN r.consumed_at IS NOT NULL THEN 'invite_used'
                WHEN r.expires_at <= now() THEN 'invite_expired' END
      FROM (SELECT 1) one
      LEFT JOIN microcred.lti_registration_invite r ON r.token_hash = sha256(convert_to(coalesce(invite, ''), 'UTF8'))
$$;

/*
 * The platform answered our registration: store it (or add the deployment
 * to an existing registration of the same awarding body) and spend the
 * invitation.  Problems: the invite codes of lti_check_invite.  URLs the
 * platform gave that are not https raise 22023 like lti_register_platform.
 */
CREATE FUNCTION microcred.lti_complete_registration(invite text, name text, platform_issuer text,
                                                    client_id text, auth_login_url text, jwks_url text,
                                                    auth_token_url text, deployment_id text,
                                                    OUT problem text, OUT platform_id uuid)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r   microcred.lti_registration_invite;
BEGIN
    problem := microcred.lti_check_invite(invite);
    IF problem IS NOT NULL THEN
        RETURN;
    END IF;
    SELECT * INTO r FROM microcred.lti_registration_invite ri
     WHERE ri.token_hash = sha256(convert_to(invite, 'UTF8')) FOR UPDATE;
    IF r.consumed_at IS NOT NULL THEN
        problem := 'invite_used';
        RETURN;
    END IF;
    SELECT p.id INTO platform_id FROM microcred.lti_platform p
     WHERE p.platform_issuer = lti_complete_registration.platform_issuer
       AND p.client_id = lti_complete_registration.client_id;
    IF platform_id IS NULL THEN
        PERFORM microcred._lti_check_url('platform_issuer', platform_issuer, true);
        PERFORM microcred._lti_check_url('auth_login_url', auth_login_url, true);
        PERFORM microcred._lti_check_url('jwks_url', jwks_url, true);
        PERFORM microcred._lti_check_url('auth_token_url', auth_token_url, false);
        INSERT INTO microcred.lti_platform (issuer_id, name, platform_issuer, client_id, auth_login_url,
                                            auth_token_url, jwks_url)
        VALUES (r.issuer_id, coalesce(nullif(btrim(name), ''), platform_issuer), platform_issuer, client_id,
                auth_login_url, auth_token_url, jwks_url)
        RETURNING id INTO platform_id;
    ELSIF NOT EXISTS (SELECT FROM microcred.lti_platform p WHERE p.id = platform_id AND p.issuer_id = r.issuer_id) THEN
        PERFORM microcred._fail('23505', 'this platform client is registered for another awarding body', NULL,
            'Remove the other registration first.');
    END IF;
    IF deployment_id IS NOT NULL AND btrim(deployment_id) <> '' THEN
        INSERT INTO microcred.lti_deployment (platform_id, deployment_id)
        VALUES (platform_id, deployment_id) ON CONFLICT DO NOTHING;
    END IF;
    UPDATE microcred.lti_registration_invite ri SET consumed_at = now(), platform_id = lti_complete_registration.platform_id
     WHERE ri.token_hash = r.token_hash;
END
$$;
COMMENT ON FUNCTION microcred.lti_complete_registration(text, text, text, text, text, text, text, text) IS
    'LTI Dynamic Registration: store the platform''s answer and spend the invitation';

-- privileges --------------------------------------------------------------------

REVOKE ALL ON microcred.lti_tool_key, microcred.lti_course_mapping, microcred.lti_deep_link,
    microcred.lti_registration_invite, microcred.lti_tool_keys FROM PUBLIC;
REVOKE ALL ON FUNCTION microcred._lti_new_tool_key(), microcred._lti_tool_key(), microcred._lti_sign(jsonb),
    microcred.lti_tool_key_rotate(), microcred.lti_tool_key_retire(text), microcred.lti_tool_jwks(),
    microcred.lti_client_assertion(uuid), microcred._lti_platform_type(microcred.lti_platform, text),
    microcred.lti_map_course(uuid, text, text, text), microcred.lti_unmap_course(uuid, text, text),
    microcred.lti_begin_deep_link(uuid, text, text, text, text, text, interval, text),
    microcred.lti_credential_choices(uuid), microcred.lti_finish_deep_link(text, text, text),
    microcred.lti_launch_view(uuid, text, text, text, text, boolean, text, text),
    microcred.lti_registration_invite(text, interval), microcred.lti_check_invite(text),
    microcred.lti_complete_registration(text, text, text, text, text, text, text, text)
    FROM PUBLIC;
GRANT SELECT ON microcred.lti_tool_keys TO microcred_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON microcred.lti_course_mapping TO microcred_admin;
GRANT SELECT ON microcred.lti_registration_invite TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred._lti_platform_type(microcred.lti_platform, text),
    microcred.lti_map_course(uuid, text, text, text), microcred.lti_unmap_course(uuid, text, text),
    microcred.lti_tool_key_rotate(), microcred.lti_tool_key_retire(text), microcred.lti_tool_jwks(),
    microcred.lti_registration_invite(text, interval), microcred.lti_credential_choices(uuid),
    microcred.lti_trust_lms_ids(uuid, boolean), microcred.lti_trust_emails(uuid, boolean),
    microcred.lti_link_account(uuid, text, uuid)
    TO microcred_admin;
GRANT SELECT ON microcred.lti_account_link, microcred.lti_link_request TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred.lti_tool_jwks(), microcred.lti_client_assertion(uuid),
    microcred.lti_begin_deep_link(uuid, text, text, text, text, text, interval, text),
    microcred.lti_credential_choices(uuid), microcred.lti_finish_deep_link(text, text, text),
    microcred.lti_launch_view(uuid, text, text, text, text, boolean, text, text),
    microcred.lti_check_invite(text),
    microcred.lti_complete_registration(text, text, text, text, text, text, text, text)
    TO microcred_bridge;
/*
 * microcred install script, part 12: course completion events from LMSs
 * (xAPI statements, Canvas Live Events, Moodle events), issued exactly once.
 *
 * Every event is stored under its source's unique key with INSERT ... ON
 * CONFLICT DO NOTHING and processed in the same transaction: the course
 * mapping gives the credential type(s), the learner is found (or made, or
 * the event waits as pending), and microcred's issue path runs with the
 * event's key as idempotency key, under a lock per learner and type so
 * that concurrent events cannot both issue.  The bridge answers the sender
 * only after this transaction committed; a retry of the same event finds
 * its row and changes nothing.
 *
 * Source secrets stay here: an xAPI password is kept as the HMAC-SHA256 of
 * it under a random salt; a Moodle site's HMAC key is readable by the
 * extension owner only.  Both are generated here and shown once.
 */

CREATE FUNCTION microcred._hmac_sha256(key bytea, data bytea)
RETURNS bytea
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_hmac_sha256';
COMMENT ON FUNCTION microcred._hmac_sha256(bytea, bytea) IS 'internal: HMAC-SHA256';

CREATE FUNCTION microcred._equal_ct(a bytea, b bytea)
RETURNS boolean
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_equal_ct';
COMMENT ON FUNCTION microcred._equal_ct(bytea, bytea) IS 'internal: byte strings equal, compared in constant time';

CREATE TABLE microcred.event_source (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    issuer_id       uuid NOT NULL REFERENCES microcred.issuer (id),
    kind            text NOT NULL CONSTRAINT event_source_kind CHECK (kind IN ('xapi', 'canvas', 'moodle')),
    name            text NOT NULL UNIQUE
                    CONSTRAINT event_source_name_format CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    platform_id     uuid REFERENCES microcred.lti_platform (id) ON DELETE SET NULL,
    canvas_account  text,
    jwks_url        text,
    secret_salt     bytea,
    secret_hash     bytea,
    hmac_key        bytea,
    created_at      timestamptz NOT NULL DEFAULT now(),
    disabled_at     timestamptz,
    CONSTRAINT event_source_canvas_complete
        CHECK (kind <> 'canvas' OR (canvas_account IS NOT NULL AND jwks_url IS NOT NULL))
);
CREATE UNIQUE INDEX event_source_canvas_account ON microcred.event_source (canvas_account) WHERE kind = 'canvas';
COMMENT ON TABLE microcred.event_source IS
    'senders of course completion events: an LRS client (xapi), a Canvas Live Events subscription (canvas) or a Moodle site (moodle)';
COMMENT ON COLUMN microcred.event_source.platform_id IS
    'the LTI platform whose course mappings and learner ids the events use';
COMMENT ON COLUMN microcred.event_source.secret_hash IS 'xapi: HMAC-SHA256 of the password under secret_salt';
COMMENT ON COLUMN microcred.event_source.hmac_key IS 'moodle: the key of the body signature, sealed under the KEK (AES-256-GCM bound to the source id) like poll tokens; readable by the extension owner only';

CREATE TABLE microcred.completion_event (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id       uuid NOT NULL REFERENCES microcred.event_source (id),
    event_key       text NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    state           text NOT NULL DEFAULT 'received'
                    CONSTRAINT completion_event_state CHECK (state IN ('received', 'issued', 'pending', 'ignored', 'failed')),
    reason          text,
    course_key      text,
    user_key        text,
    user_email      text,
    user_name       text,
    completed_at    timestamptz,
    learner_id      uuid,
    credential_ids  uuid[],
    attempts        integer NOT NULL DEFAULT 0,
    processed_at    timestamptz,
    payload         jsonb,
    CONSTRAINT completion_event_once UNIQUE (source_id, event_key)
);
CREATE INDEX completion_event_open ON microcred.completion_event (source_id, user_key) WHERE state IN ('pending', 'failed');
COMMENT ON TABLE microcred.completion_event IS
    'every completion event received, once per source key, with what became of it; the email, name and payload are dropped once it is issued or ignored';

-- a source by id, with its platform issuer (the learner_identifier platform of its users)
CREATE FUNCTION microcred._event_platform_key(s microcred.event_source)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT p.platform_issuer FROM microcred.lti_platform p WHERE p.id = s.platform_id),
                    'source:' || s.name)
$$;

CREATE FUNCTION microcred.event_source_add(issuer text, kind text, name text, platform uuid DEFAULT NULL,
                                           canvas_account text DEFAULT NULL, jwks_url text DEFAULT NULL,
                                           OUT source_id uuid, OUT secret text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    iss  uuid := microcred._resolve_issuer(issuer);
    salt bytea;
    sid  uuid := gen_random_uuid();
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may add event sources', NULL,
            'Grant microcred_admin to the role that manages LMS connections.');
    END IF;
    IF kind IS NULL OR kind NOT IN ('xapi', 'canvas', 'moodle') THEN
        PERFORM microcred._fail('22023', format('kind "%s" is not an event source kind', kind), NULL,
            'Use ''xapi'' (an LRS client such as Moodle''s logstore_xapi), ''canvas'' (Canvas Live Events) or ''moodle'' (a Moodle event webhook).');
    END IF;
    IF name IS NULL OR name !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' THEN
        PERFORM microcred._fail('22023', format('name "%s" is not a valid source name', name), NULL,
            'Letters, digits, dot, dash and underscore, up to 64; it is the xAPI user name and the X-Microcred-Source header value.');
    END IF;
    IF EXISTS (SELECT FROM microcred.event_source s WHERE s.name = event_source_add.name) THEN
        PERFORM microcred._fail('23505', format('event source "%s" already exists', name), NULL,
            'Choose another name, or remove the old source first.');
    END IF;
    IF platform IS NOT NULL AND NOT EXISTS (SELECT FROM microcred.lti_platform p WHERE p.id = platform AND p.issuer_id = iss) THEN
        PERFORM microcred._fail('42704', format('LTI platform %s does not exist for this awarding body', platform), NULL,
            'List them with: SELECT id, name, platform_issuer FROM microcred.lti_platform;');
    END IF;
    IF kind = 'canvas' THEN
        IF canvas_account IS NULL OR btrim(canvas_account) = '' THEN
            PERFORM microcred._fail('23502', 'canvas_account is required for a Canvas source', NULL,
                'The root account uuid (or id) that Canvas puts in metadata.root_account_uuid of each event.');
        END IF;
        PERFORM microcred._lti_check_url('jwks_url', jwks_url, true);
    ELSIF canvas_account IS NOT NULL OR jwks_url IS NOT NULL THEN
        PERFORM microcred._fail('22023', 'canvas_account and jwks_url are for Canvas sources only', NULL, NULL);
    END IF;
    IF platform IS NULL THEN
        RAISE WARNING 'event source "%" has no LTI platform: its courses cannot be mapped until one is set', name
            USING HINT = 'UPDATE microcred.event_source SET platform_id = ... WHERE name = ...; course mappings are per platform (microcred.lti_map_course).';
    END IF;
    IF kind <> 'canvas' THEN
        secret := microcred._random_token();
    END IF;
    IF kind = 'xapi' THEN
        salt := microcred._random_bytes(16);
    END IF;
    -- the Moodle key must be used, not only compared: sealed like poll tokens
    INSERT INTO microcred.event_source (id, issuer_id, kind, name, platform_id, canvas_account, jwks_url,
                                        secret_salt, secret_hash, hmac_key)
    VALUES (sid, iss, kind, name, platform, canvas_account, jwks_url, salt,
            CASE WHEN kind = 'xapi' THEN microcred._hmac_sha256(salt, convert_to(secret, 'UTF8')) END,
            CASE WHEN kind = 'moodle' THEN microcred._seal_secret(secret, uuid_send(sid)) END)
    RETURNING id INTO source_id;
    -- the bridge issues for this awarding body when its events say so
    INSERT INTO microcred.issuer_role (issuer_id, role) VALUES (iss, 'microcred_bridge'::regrole)
    ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION microcred.event_source_add(text, text, text, uuid, text, text) IS
    'add a sender of completion events; returns the secret once (xAPI password or Moodle HMAC key)';

/*
 * Process a stored event: mapping, learner, issue.  Returns the new state.
 * Issuing failures are kept on the event (failed, with the reason) rather
 * than raised, so that the event itself is never lost.
 */
CREATE FUNCTION microcred._process_event(event_id bigint, actor name)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e       microcred.completion_event;
    s       microcred.event_source;
    pf_key  text;
    types   uuid[];
    lid     uuid;
    t       uuid;
    cids    uuid[] := '{}';
    given   text;
    family  text;
    r       record;
    by_key  boolean := false;
BEGIN
    SELECT * INTO e FROM microcred.completion_event ce WHERE ce.id = event_id FOR UPDATE;
    -- the source, and the platform key its users' LMS ids are linked under
    SELECT es AS src, coalesce(p.platform_issuer, 'source:' || es.name) AS pf INTO r
      FROM microcred.event_source es LEFT JOIN microcred.lti_platform p ON p.id = es.platform_id
     WHERE es.id = e.source_id;
    s := r.src;
    pf_key := r.pf;
    -- done, or not a completion; a completion of a course that had no mapping
    -- is processed again (event_retry once the course is mapped)
    IF e.state = 'issued' OR (e.state = 'ignored' AND e.reason IS DISTINCT FROM 'no_mapping') THEN
        RETURN e.state;
    END IF;
    types := ARRAY(SELECT m.credential_type_id FROM microcred.lti_course_mapping m
                    WHERE m.platform_id = s.platform_id AND m.context_id = e.course_key
                    ORDER BY m.created_at, m.credential_type_id);
    IF cardinality(types) = 0 THEN
        UPDATE microcred.completion_event ce
           SET state = 'ignored', reason = 'no_mapping', processed_at = now(), attempts = ce.attempts + 1,
               user_email = NULL, user_name = NULL, payload = NULL
         WHERE ce.id = e.id;
        RETURN 'ignored';
    END IF;
    IF e.learner_id IS NOT NULL THEN
        lid := e.learner_id;
    ELSE
        -- by LMS id, else by e-mail (one query)
        SELECT x.id, x.by_key INTO lid, by_key FROM (
            SELECT li.learner_id AS id, true AS by_key, 1 AS pri FROM microcred.learner_identifier li
             WHERE e.user_key IS NOT NULL AND li.issuer_id = s.issuer_id AND li.kind = 'lms'
               AND li.platform = pf_key AND li.value = e.user_key
            UNION ALL
            SELECT l.id, false, 2 FROM microcred.learner l
             WHERE e.user_email IS NOT NULL AND l.issuer_id = s.issuer_id
               AND lower(l.email) = lower(e.user_email) AND l.erased_at IS NULL) x
         ORDER BY x.pri LIMIT 1;
    END IF;
    IF lid IS NULL AND e.user_email IS NOT NULL AND e.user_name IS NOT NULL
       AND e.user_email ~ '^[^@\s]+@[^@\s]+$' THEN
        -- a new learner from the LMS's data (concurrent events for the same person meet on the email index)
        given := CASE WHEN position(' ' IN btrim(e.user_name)) > 0
                      THEN regexp_replace(btrim(e.user_name), '\s+\S+$', '') ELSE btrim(e.user_name) END;
        family := CASE WHEN position(' ' IN btrim(e.user_name)) > 0
                       THEN regexp_replace(btrim(e.user_name), '^.*\s', '') END;
        INSERT INTO microcred.learner (issuer_id, given_name, family_name, email)
        VALUES (s.issuer_id, given, family, e.user_email)
        ON CONFLICT (issuer_id, lower(email)) WHERE email IS NOT NULL DO NOTHING
        RETURNING id INTO lid;
        IF lid IS NULL THEN
            SELECT l.id INTO lid FROM microcred.learner l
             WHERE l.issuer_id = s.issuer_id AND lower(l.email) = lower(e.user_email);
        END IF;
    END IF;
    IF lid IS NULL THEN
        UPDATE microcred.completion_event ce
           SET state = 'pending', reason = CASE WHEN e.user_email IS NULL THEN 'unknown_learner_no_email'
                                                ELSE 'unknown_learner_no_name' END,
               attempts = ce.attempts + 1
         WHERE ce.id = e.id;
        RETURN 'pending';
    END IF;
    IF e.user_key IS NOT NULL AND NOT coalesce(by_key, false) THEN
        INSERT INTO microcred.learner_identifier (issuer_id, learner_id, kind, platform, value)
        VALUES (s.issuer_id, lid, 'lms', pf_key, e.user_key)
        ON CONFLICT DO NOTHING;
    END IF;
    BEGIN
        FOREACH t IN ARRAY types LOOP
            -- one issue at a time per learner and type: microcred.issue returns the existing credential
            PERFORM pg_advisory_xact_lock(hashtextextended(t::text || '/' || lid::text, 0));
            cids := cids || microcred._issue(t::text, lid, NULL, NULL, now(),
                        'event:' || s.name || ':' || e.event_key
                            || CASE WHEN cardinality(types) > 1 THEN ':' || t::text ELSE '' END,
                        actor, awarded_date => coalesce(e.completed_at, now()));
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        UPDATE microcred.completion_event ce
           SET state = 'failed', reason = left(SQLSTATE || ': ' || SQLERRM, 300), learner_id = lid,
               attempts = ce.attempts + 1
         WHERE ce.id = e.id;
        RETURN 'failed';
    END;
    UPDATE microcred.completion_event ce
       SET state = 'issued', reason = NULL, learner_id = lid, credential_ids = cids, processed_at = now(),
           attempts = ce.attempts + 1, user_email = NULL, user_name = NULL, payload = NULL
     WHERE ce.id = e.id;
    RETURN 'issued';
END
$$;

/*
 * Store an event once and process it.  A second arrival of the same key
 * (a retry, a duplicate delivery) changes nothing and says so.
 */
CREATE FUNCTION microcred._ingest(s microcred.event_source, event_key text, ignore_reason text,
                                  course_key text, user_key text, email text, name text,
                                  completed_at timestamptz, payload jsonb,
                                  OUT event_id bigint, OUT state text, OUT duplicate boolean)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF event_key IS NULL OR event_key = '' THEN
        PERFORM microcred._fail('23502', 'the event has no key', NULL,
            'xAPI statements need an id, Canvas events a course and user, Moodle events an objectid.');
    END IF;
    INSERT INTO microcred.completion_event (source_id, event_key, course_key, user_key, user_email, user_name,
                                            completed_at, payload)
    VALUES (s.id, event_key, course_key, user_key,
            CASE WHEN ignore_reason IS NULL THEN nullif(btrim(email), '') END,
            CASE WHEN ignore_reason IS NULL THEN nullif(btrim(name), '') END,
            completed_at, CASE WHEN ignore_reason IS NULL THEN payload END)
    ON CONFLICT ON CONSTRAINT completion_event_once DO NOTHING
    RETURNING id INTO event_id;
    IF event_id IS NULL THEN
        SELECT ce.id, ce.state INTO event_id, state FROM microcred.completion_event ce
         WHERE ce.source_id = s.id AND ce.event_key = _ingest.event_key;
        duplicate := true;
        RETURN;
    END IF;
    duplicate := false;
    IF ignore_reason IS NOT NULL THEN
        UPDATE microcred.completion_event ce SET state = 'ignored', reason = ignore_reason, processed_at = now()
         WHERE ce.id = event_id;
        state := 'ignored';
        RETURN;
    END IF;
    state := microcred._process_event(event_id, 'microcred_bridge'::name COLLATE "default");
END
$$;

-- a timestamp from an event, or NULL when it does not parse
CREATE FUNCTION microcred._event_time(t text)
RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF t IS NULL OR t !~ '^\d{4}-\d\d-\d\d[T ]\d\d:\d\d' THEN
        RETURN NULL;
    END IF;
    RETURN t::timestamptz;
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END
$$;

CREATE FUNCTION microcred._event_source(kind text, name text)
RETURNS microcred.event_source
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s microcred.event_source;
BEGIN
    SELECT * INTO s FROM microcred.event_source es
     WHERE es.kind = _event_source.kind AND es.name = _event_source.name AND es.disabled_at IS NULL;
    RETURN s;
END
$$;

/*
 * xAPI statements (already shaped by the bridge: each an object with an id,
 * actor, verb.id and object.id).  Completion: verb completed on an LMS
 * course activity (Moodle logstore_xapi) or on the ADL course activity type
 * (LRS-forwarding LMSs, cmi5 tooling), or cmi5 satisfied on a course.  The
 * course key is the Moodle course id of a .../course/view.php?id=N activity,
 * otherwise the full activity IRI.
 * Everything else is stored as ignored.
 */
CREATE FUNCTION microcred.ingest_xapi(source text, password text, statements jsonb)
RETURNS TABLE (statement_id text, state text, duplicate boolean)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s       microcred.event_source := microcred._event_source('xapi', source);
    st      jsonb;
    n       integer := 0;
    verb    text;
    otype   text;
    oid     text;
    ckey    text;
    ukey    text;
    email   text;
    r       record;
BEGIN
    -- the same work whether or not the source exists, so timing tells nothing
    IF NOT microcred._equal_ct(
            microcred._hmac_sha256(coalesce(s.secret_salt, '\x00'::bytea), convert_to(coalesce(password, ''), 'UTF8')),
            coalesce(s.secret_hash, '\x01'::bytea)) THEN
        PERFORM microcred._fail('28000', 'the xAPI credentials are not valid', NULL,
            'Use the source name and the secret microcred.event_source_add returned (HTTP Basic).');
    END IF;
    IF jsonb_typeof(statements) = 'object' THEN
        statements := jsonb_build_array(statements);
    END IF;
    IF jsonb_typeof(statements) IS DISTINCT FROM 'array' THEN
        PERFORM microcred._fail('22023', 'statements must be a JSON object or array', NULL, NULL);
    END IF;
    FOR st IN SELECT x FROM jsonb_array_elements(statements) x LOOP
        n := n + 1;
        IF jsonb_typeof(st) IS DISTINCT FROM 'object' OR jsonb_typeof(st->'actor') IS DISTINCT FROM 'object'
           OR st->'verb'->>'id' IS NULL OR st->'object'->>'id' IS NULL OR st->>'id' IS NULL THEN
            PERFORM microcred._fail('22023', format('statement %s lacks id, actor, verb.id or object.id', n), NULL,
                'Every xAPI statement needs an actor, a verb with an id and an object with an id.');
        END IF;
        verb := st->'verb'->>'id';
        otype := st->'object'->'definition'->>'type';
        oid := st->'object'->>'id';
        ckey := coalesce(substring(oid FROM '/course/view\.php\?(?:.*&)?id=([0-9]+)'), oid);
        email := CASE WHEN st->'actor'->>'mbox' ILIKE 'mailto:%' THEN substr(st->'actor'->>'mbox', 8) END;
        ukey := coalesce(st->'actor'->'account'->>'name', email, st->'actor'->>'mbox_sha1sum', st->'actor'->>'openid');
        SELECT * INTO r FROM microcred._ingest(s, st->>'id',
            CASE WHEN (verb = 'http://adlnet.gov/expapi/verbs/completed'
                       AND otype IN ('http://id.tincanapi.com/activitytype/lms/course',
                                     'http://adlnet.gov/expapi/activities/course'))
                   OR (verb = 'https://w3id.org/xapi/adl/verbs/satisfied'
                       AND otype = 'https://w3id.org/xapi/cmi5/activitytype/course')
                 THEN NULL ELSE 'not_a_completion' END,
            ckey, ukey, email, st->'actor'->>'name', microcred._event_time(st->>'timestamp'), st);
        statement_id := st->>'id';
        state := r.state;
        duplicate := r.duplicate;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION microcred.ingest_xapi(text, text, jsonb) IS
    'store xAPI statements once each (by statement id) and issue for course completions; the bridge''s POST /xapi/statements';

-- the Canvas source of an account (before the JWT is verified, to find its JWKS)
CREATE FUNCTION microcred.event_source_for_canvas(account text, OUT source_id uuid, OUT jwks_url text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.id, s.jwks_url FROM microcred.event_source s
     WHERE s.kind = 'canvas' AND s.canvas_account = account AND s.disabled_at IS NULL
$$;

/* a verified Canvas Live Event (the JWT's claims); course_completed issues */
CREATE FUNCTION microcred.ingest_canvas(source uuid, claims jsonb,
                                        OUT event_id bigint, OUT state text, OUT duplicate boolean)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s       microcred.event_source;
    acct    text := coalesce(claims->'metadata'->>'root_account_uuid', claims->'metadata'->>'root_account_id');
    b       jsonb := claims->'body';
    r       record;
BEGIN
    SELECT * INTO s FROM microcred.event_source es WHERE es.id = source AND es.kind = 'canvas' AND es.disabled_at IS NULL;
    IF s.id IS NULL OR acct IS DISTINCT FROM s.canvas_account THEN
        PERFORM microcred._fail('28000', 'the event is not from this Canvas account', NULL,
            'metadata.root_account_uuid must be the source''s canvas_account.');
    END IF;
    IF b->'course'->>'id' IS NULL OR b->'user'->>'id' IS NULL THEN
        PERFORM microcred._fail('22023', 'the Canvas event has no body.course.id or body.user.id', NULL, NULL);
    END IF;
    -- the key in local ids: the reconciliation poller (Canvas's API speaks local ids) makes the same
    SELECT * INTO r FROM microcred._ingest(s, acct || ':' || microcred._lms_local_id(b->'course'->>'id') || ':'
                                               || microcred._lms_local_id(b->'user'->>'id'),
        CASE WHEN claims->'metadata'->>'event_name' = 'course_completed' THEN NULL ELSE 'not_a_completion' END,
        microcred._lms_local_id(b->'course'->>'id'), microcred._lms_local_id(b->'user'->>'id'),
        b->'user'->>'email', b->'user'->>'name',
        coalesce(microcred._event_time(b->'progress'->>'completed_at'),
                 microcred._event_time(claims->'metadata'->>'event_time')),
        claims);
    event_id := r.event_id;
    state := r.state;
    duplicate := r.duplicate;
END
$$;
COMMENT ON FUNCTION microcred.ingest_canvas(uuid, jsonb) IS
    'store a verified Canvas Live Event once (root account, course, user) and issue on course_completed; the bridge''s POST /canvas/live-events';

/* a Moodle event, signed with the site's key (HMAC-SHA256 over the raw body) */
CREATE FUNCTION microcred.ingest_moodle(source text, body text, signature text,
                                        OUT event_id bigint, OUT state text, OUT duplicate boolean)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s       microcred.event_source := microcred._event_source('moodle', source);
    mac     bytea;
    ev      jsonb;
    u       jsonb;
    r       record;
    key     bytea;
BEGIN
    IF signature ~ '^sha256=[0-9a-fA-F]{64}$' THEN
        mac := decode(substr(signature, 8), 'hex');
    END IF;
    IF s.hmac_key IS NOT NULL THEN
        BEGIN
            key := convert_to(microcred._unseal_secret(s.hmac_key, uuid_send(s.id)), 'UTF8');
        EXCEPTION WHEN data_corrupted THEN
            key := NULL;        -- sealed under another KEK: no signature verifies
            mac := NULL;
        END;
    END IF;
    IF NOT microcred._equal_ct(microcred._hmac_sha256(coalesce(key, '\x00'::bytea), convert_to(coalesce(body, ''), 'UTF8')),
                               coalesce(mac, '\x01'::bytea)) OR s.id IS NULL THEN
        PERFORM microcred._fail('28000', 'the event signature does not verify', NULL,
            'X-Microcred-Signature must be sha256=<hex HMAC-SHA256 of the raw body under the source''s key>.');
    END IF;
    BEGIN
        ev := body::jsonb;
    EXCEPTION WHEN OTHERS THEN
        PERFORM microcred._fail('22P02', 'the event body is not JSON', NULL, NULL);
    END;
    IF jsonb_typeof(ev) IS DISTINCT FROM 'object' OR ev->>'objectid' IS NULL OR ev->>'courseid' IS NULL OR ev->>'relateduserid' IS NULL THEN
        PERFORM microcred._fail('22023', 'the Moodle event lacks objectid, courseid or relateduserid', NULL,
            'Send the fields of \core\event\course_completed.');
    END IF;
    u := ev->'user';
    SELECT * INTO r FROM microcred._ingest(s, s.name || ':' || (ev->>'objectid'),
        CASE WHEN ev->>'eventname' = '\core\event\course_completed' THEN NULL ELSE 'not_a_completion' END,
        ev->>'courseid', ev->>'relateduserid', u->>'email',
        nullif(btrim(concat_ws(' ', u->>'firstname', u->>'lastname')), ''),
        CASE WHEN ev->>'timecreated' ~ '^[0-9]{1,12}$' THEN to_timestamp((ev->>'timecreated')::bigint) END,
        ev);
    event_id := r.event_id;
    state := r.state;
    duplicate := r.duplicate;
END
$$;
COMMENT ON FUNCTION microcred.ingest_moodle(text, text, text) IS
    'verify a Moodle event''s HMAC, store it once (site, course_completions id) and issue on course_completed; the bridge''s POST /moodle/events';

-- events of a learner that were waiting for them (called when they launch the tool)
CREATE FUNCTION microcred._process_pending_for(platform uuid, user_key text, email text, learner uuid)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ev  record;
    n   integer := 0;
BEGIN
    FOR ev IN SELECT ce.id FROM microcred.completion_event ce JOIN microcred.event_source s ON s.id = ce.source_id
               WHERE s.platform_id = platform AND ce.state = 'pending'
                 AND (ce.user_key = _process_pending_for.user_key
                      OR (email IS NOT NULL AND lower(ce.user_email) = lower(email)))
    LOOP
        UPDATE microcred.completion_event ce SET learner_id = learner WHERE ce.id = ev.id;
        IF microcred._process_event(ev.id, 'microcred_bridge'::name COLLATE "default") = 'issued' THEN
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END
$$;

CREATE FUNCTION microcred.event_retry(event_id bigint)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e microcred.completion_event;
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may retry events', NULL, NULL);
    END IF;
    SELECT * INTO e FROM microcred.completion_event ce WHERE ce.id = event_id;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('completion event %s does not exist', event_id), NULL,
            'List open ones with: SELECT * FROM microcred.pending_events();');
    END IF;
    RETURN microcred._process_event(event_id, session_user COLLATE "default");
END
$$;
COMMENT ON FUNCTION microcred.event_retry(bigint) IS
    'process a pending or failed completion event again (after a course mapping or learner data was fixed); returns its new state';

CREATE FUNCTION microcred.event_assign_learner(event_id bigint, learner uuid)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e microcred.completion_event;
    s microcred.event_source;
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may assign events to learners', NULL, NULL);
    END IF;
    SELECT * INTO e FROM microcred.completion_event ce WHERE ce.id = event_id;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('completion event %s does not exist', event_id), NULL,
            'List open ones with: SELECT * FROM microcred.pending_events();');
    END IF;
    SELECT * INTO s FROM microcred.event_source es WHERE es.id = e.source_id;
    IF NOT EXISTS (SELECT FROM microcred.learner l WHERE l.id = learner AND l.issuer_id = s.issuer_id AND l.erased_at IS NULL) THEN
        PERFORM microcred._fail('42704', format('learner %s does not exist for this event''s awarding body', learner), NULL,
            'Register the learner with microcred.add_learner first.');
    END IF;
    IF e.state NOT IN ('pending', 'failed') THEN
        PERFORM microcred._fail('55000', format('completion event %s is %s, not pending', event_id, e.state), NULL, NULL);
    END IF;
    UPDATE microcred.completion_event ce SET learner_id = learner WHERE ce.id = event_id;
    IF e.user_key IS NOT NULL THEN
        INSERT INTO microcred.learner_identifier (issuer_id, learner_id, kind, platform, value)
        VALUES (s.issuer_id, learner, 'lms', microcred._event_platform_key(s), e.user_key)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN microcred._process_event(event_id, session_user COLLATE "default");
END
$$;
COMMENT ON FUNCTION microcred.event_assign_learner(bigint, uuid) IS
    'say who a pending event''s user is (also for their later events) and issue; returns the event''s new state';

CREATE VIEW microcred.event_report AS
    SELECT s.name AS source, s.kind, e.state, count(*) AS events,
           min(e.received_at) AS oldest, max(e.received_at) AS newest
      FROM microcred.completion_event e JOIN microcred.event_source s ON s.id = e.source_id
     WHERE microcred.acts_for(s.issuer_id, current_user)
     GROUP BY s.name, s.kind, e.state;
COMMENT ON VIEW microcred.event_report IS 'completion events by source and state (issued, pending, ignored, failed)';

CREATE FUNCTION microcred.pending_events(older_than interval DEFAULT '1 hour')
RETURNS TABLE (event_id bigint, source text, state text, age interval, reason text,
               course_key text, user_key text, attempts integer)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT e.id, s.name, e.state, now() - e.received_at, e.reason, e.course_key, e.user_key, e.attempts
      FROM microcred.completion_event e JOIN microcred.event_source s ON s.id = e.source_id
     WHERE e.state IN ('pending', 'failed', 'received') AND e.received_at <= now() - older_than
     ORDER BY e.received_at
$$;
COMMENT ON FUNCTION microcred.pending_events(interval) IS
    'completion events still waiting (pending or failed) longer than older_than: a learner to identify, a mapping to add, an error to fix';

-- reconciliation: polling the LMS for completions that never arrived ---------

ALTER TABLE microcred.completion_event ADD COLUMN via text NOT NULL DEFAULT 'event'
    CONSTRAINT completion_event_via CHECK (via IN ('event', 'poll'));
COMMENT ON COLUMN microcred.completion_event.via IS
    'event: sent by the LMS; poll: found by the reconciliation poller';

CREATE FUNCTION microcred._seal_secret(secret text, aad bytea)
RETURNS bytea
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'microcred_seal_secret';
COMMENT ON FUNCTION microcred._seal_secret(text, bytea) IS 'internal: AES-256-GCM under the KEK, bound to aad';
CREATE FUNCTION microcred._unseal_secret(sealed bytea, aad bytea)
RETURNS text
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'microcred_unseal_secret';
COMMENT ON FUNCTION microcred._unseal_secret(bytea, bytea) IS 'internal: open a _seal_secret blob';

CREATE TABLE microcred.event_poll (
    source_id       uuid PRIMARY KEY REFERENCES microcred.event_source (id) ON DELETE CASCADE,
    api             text NOT NULL CONSTRAINT event_poll_api CHECK (api IN ('canvas', 'moodle')),
    api_base_url    text NOT NULL,
    sealed_token    bytea NOT NULL,
    every           interval NOT NULL
                    CONSTRAINT event_poll_every CHECK (every >= interval '1 second' AND every <= interval '7 days'),
    last_polled_at  timestamptz,
    last_ok_at      timestamptz,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE microcred.event_poll IS
    'reconciliation: which LMS API the bridge polls for an event source''s completions (the token sealed under the KEK)';
-- Poll results come through the bridge's database role, which could invent
-- them: by default they only issue to learners already linked to the LMS
-- account (by a launch or an admin) and otherwise wait as pending events.
ALTER TABLE microcred.event_poll ADD COLUMN learners text NOT NULL DEFAULT 'linked'
    CONSTRAINT event_poll_learners CHECK (learners IN ('linked', 'by_email'));
COMMENT ON COLUMN microcred.event_poll.learners IS
    'whom poll results may issue to: ''linked'' (learners already linked to the LMS account; others wait for an admin) or ''by_email'' (also find learners by e-mail and create them from name and e-mail: trusts whoever holds the bridge''s connection string)';

CREATE FUNCTION microcred.event_poll_policy(source text, learners text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may set up polling', NULL, NULL);
    END IF;
    IF learners IS NULL OR learners NOT IN ('linked', 'by_email') THEN
        PERFORM microcred._fail('22023', 'learners policy of a poll must be ''linked'' or ''by_email''', NULL,
            '''linked'': poll results issue only to learners already linked to the LMS account; ''by_email'': also by e-mail, creating learners.');
    END IF;
    UPDATE microcred.event_poll ep SET learners = event_poll_policy.learners
      FROM microcred.event_source es
     WHERE ep.source_id = es.id AND es.name = event_poll_policy.source;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('source "%s" is not polled', left(source, 100)), NULL,
            'Set up polling with microcred.event_poll_set(source, api_base_url, token) first.');
    END IF;
END
$$;
COMMENT ON FUNCTION microcred.event_poll_policy(text, text) IS
    'reconciliation: whom a source''s poll results may issue to (''linked'', the default, or ''by_email'')';

/*
 * Poll an LMS for a source's completions: Canvas's course progress API for
 * a canvas source, Moodle's web services for a moodle or xapi source.  The
 * token is sealed at once (bound to the source) and shown by nothing.
 */
CREATE FUNCTION microcred.event_poll_set(source text, api_base_url text, token text,
                                         every interval DEFAULT '1 hour')
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s   microcred.event_source;
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may set up polling', NULL,
            'Grant microcred_admin to the role that manages LMS connections.');
    END IF;
    SELECT * INTO s FROM microcred.event_source es WHERE es.name = event_poll_set.source;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('event source "%s" does not exist', source), NULL,
            'List them with: SELECT name, kind FROM microcred.event_source;');
    END IF;
    IF s.platform_id IS NULL THEN
        PERFORM microcred._fail('55000', format('event source "%s" has no LTI platform', source), NULL,
            'The poller asks about the platform''s mapped courses: UPDATE microcred.event_source SET platform_id = ... first.');
    END IF;
    PERFORM microcred._lti_check_url('api_base_url', api_base_url, true);
    IF api_base_url ~ '[?#]' THEN
        PERFORM microcred._fail('22023', 'api_base_url must be the LMS''s base URL, without query or fragment',
            format('The value given was "%s".', api_base_url), 'For example ''https://moodle.example.edu''.');
    END IF;
    IF token IS NULL OR btrim(token) = '' OR token ~ '\s' OR length(token) > 4096 THEN
        PERFORM microcred._fail('22023', 'token must be an API token without spaces (up to 4096 characters)', NULL,
            'Canvas: an access token of an admin account; Moodle: a web service token allowed core_enrol_get_enrolled_users and core_completion_get_course_completion_status.');
    END IF;
    IF every IS NULL OR every < interval '1 second' OR every > interval '7 days' THEN
        PERFORM microcred._fail('22023', 'every must be between 1 second and 7 days', NULL, '''1 hour'' is usual.');
    END IF;
    INSERT INTO microcred.event_poll (source_id, api, api_base_url, sealed_token, every)
    VALUES (s.id, CASE WHEN s.kind = 'canvas' THEN 'canvas' ELSE 'moodle' END, rtrim(api_base_url, '/'),
            microcred._seal_secret(token, uuid_send(s.id)), every)
    ON CONFLICT (source_id) DO UPDATE
       SET api = EXCLUDED.api, api_base_url = EXCLUDED.api_base_url, sealed_token = EXCLUDED.sealed_token,
           every = EXCLUDED.every, last_polled_at = NULL, last_error = NULL;
END
$$;
COMMENT ON FUNCTION microcred.event_poll_set(text, text, text, interval) IS
    'reconciliation: poll the LMS API for this source''s course completions every interval (the token is sealed)';

CREATE FUNCTION microcred.event_poll_clear(source text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may set up polling', NULL, NULL);
    END IF;
    DELETE FROM microcred.event_poll ep USING microcred.event_source es
     WHERE ep.source_id = es.id AND es.name = event_poll_clear.source;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION microcred.event_poll_clear(text) IS 'reconciliation: stop polling for this source; true when it was polled';

CREATE VIEW microcred.event_polls AS
    SELECT s.name AS source, p.api, p.api_base_url, p.every, p.last_polled_at, p.last_ok_at, p.last_error,
           (SELECT count(*) FROM microcred.completion_event e WHERE e.source_id = s.id AND e.via = 'poll') AS completions_found
      FROM microcred.event_poll p JOIN microcred.event_source s ON s.id = p.source_id
     WHERE microcred.acts_for(s.issuer_id, current_user);
COMMENT ON VIEW microcred.event_polls IS 'reconciliation polls: state and errors, never the token';

/*
 * For the bridge: the polls whose time has come, leased (last_polled_at set)
 * so that a second bridge does not poll the same source at once.  The
 * token is opened here and lives in the bridge only for the calls.
 */
CREATE FUNCTION microcred.event_poll_due()
RETURNS TABLE (source_id uuid, api text, api_base_url text, token text, course_keys text[])
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p   record;
BEGIN
    FOR p IN SELECT ep.*, es.platform_id FROM microcred.event_poll ep
               JOIN microcred.event_source es ON es.id = ep.source_id
              WHERE es.disabled_at IS NULL AND es.platform_id IS NOT NULL
                AND (ep.last_polled_at IS NULL OR ep.last_polled_at + ep.every <= now())
              ORDER BY ep.last_polled_at NULLS FIRST
              LIMIT 32
              FOR UPDATE OF ep SKIP LOCKED
    LOOP
        UPDATE microcred.event_poll ep SET last_polled_at = now() WHERE ep.source_id = p.source_id;
        source_id := p.source_id;
        api := p.api;
        api_base_url := p.api_base_url;
        BEGIN
            token := microcred._unseal_secret(p.sealed_token, uuid_send(p.source_id));
        EXCEPTION WHEN data_corrupted THEN
            -- one bad row does not stop the others
            UPDATE microcred.event_poll ep
               SET last_error = 'the stored token does not open under the current KEK: set it again with event_poll_set'
             WHERE ep.source_id = p.source_id;
            CONTINUE;
        END;
        course_keys := ARRAY(SELECT DISTINCT m.context_id FROM microcred.lti_course_mapping m
                              WHERE m.platform_id = p.platform_id AND m.context_id ~ '^[0-9]{1,20}$'
                              ORDER BY 1);
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION microcred.event_poll_due() IS
    'reconciliation, for the bridge: the polls due now (leased), each with its token and the mapped course ids';

CREATE FUNCTION microcred.event_poll_done(source uuid, error text)
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE microcred.event_poll ep
       SET last_ok_at = CASE WHEN error IS NULL THEN now() ELSE ep.last_ok_at END,
           last_error = left(error, 300)
     WHERE ep.source_id = source
$$;
COMMENT ON FUNCTION microcred.event_poll_done(uuid, text) IS
    'reconciliation, for the bridge: the outcome of a poll (NULL error: success)';

/*
 * A completion the poller found.  Nothing is stored when the learner
 * already holds a credential of the course's type (whatever its status: a
 * revoked credential is not re-issued by reconciliation); otherwise it is
 * stored like an event (Canvas: under the key its Live Event would have)
 * and processed the same way.
 */
CREATE FUNCTION microcred.ingest_poll(source uuid, course_key text, user_key text, email text, name text,
                                      completed_at timestamptz,
                                      OUT event_id bigint, OUT state text, OUT duplicate boolean)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s       microcred.event_source;
    ep      microcred.event_poll;
    pf_key  text;
    lid     uuid;
    r       record;
BEGIN
    SELECT * INTO s FROM microcred.event_source es WHERE es.id = source AND es.disabled_at IS NULL;
    SELECT * INTO ep FROM microcred.event_poll p WHERE p.source_id = source;
    IF s.id IS NULL OR ep.source_id IS NULL THEN
        PERFORM microcred._fail('28000', 'the source is not polled', NULL,
            'Set up polling with microcred.event_poll_set(source, api_base_url, token).');
    END IF;
    IF course_key IS NULL OR course_key !~ '^[0-9]{1,20}$' OR user_key IS NULL OR user_key !~ '^[0-9]{1,20}$' THEN
        PERFORM microcred._fail('22023', 'course_key and user_key must be LMS ids (digits)', NULL,
            'The course and user ids the LMS API returned.');
    END IF;
    course_key := microcred._lms_local_id(course_key);
    user_key := microcred._lms_local_id(user_key);
    IF ep.learners = 'linked' THEN
        -- the bridge's word alone does not say who the user is: only an
        -- account already linked issues; anything else waits, pending
        email := NULL;
        name := NULL;
    END IF;
    SELECT coalesce(p.platform_issuer, 'source:' || s.name) INTO pf_key
      FROM microcred.lti_platform p WHERE p.id = s.platform_id;
    SELECT x.id INTO lid FROM (
        SELECT li.learner_id AS id, 1 AS pri FROM microcred.learner_identifier li
         WHERE li.issuer_id = s.issuer_id AND li.kind = 'lms' AND li.platform = pf_key AND li.value = user_key
        UNION ALL
        SELECT l.id, 2 FROM microcred.learner l
         WHERE ingest_poll.email IS NOT NULL AND l.issuer_id = s.issuer_id
           AND lower(l.email) = lower(ingest_poll.email) AND l.erased_at IS NULL) x
     ORDER BY x.pri LIMIT 1;
    IF lid IS NOT NULL AND NOT EXISTS (
        SELECT FROM microcred.lti_course_mapping m
         WHERE m.platform_id = s.platform_id AND m.context_id = course_key
           AND NOT EXISTS (SELECT FROM microcred.issued_credential ic
                            WHERE ic.issuer_id = s.issuer_id AND ic.learner_id = lid
                              AND ic.credential_type_id = m.credential_type_id)) THEN
        state := 'already_issued';
        duplicate := true;
        RETURN;
    END IF;
    SELECT * INTO r FROM microcred._ingest(s,
        CASE WHEN s.kind = 'canvas' THEN s.canvas_account || ':' || course_key || ':' || user_key
             ELSE 'poll:' || course_key || ':' || user_key END,
        NULL, course_key, user_key, email, name, completed_at, NULL);
    event_id := r.event_id;
    state := r.state;
    duplicate := r.duplicate;
    IF NOT duplicate THEN
        UPDATE microcred.completion_event ce SET via = 'poll' WHERE ce.id = event_id;
    END IF;
END
$$;
COMMENT ON FUNCTION microcred.ingest_poll(uuid, text, text, text, text, timestamptz) IS
    'reconciliation, for the bridge: a completion found by polling the LMS, stored and issued unless the learner already has the credential';

REVOKE ALL ON microcred.event_source, microcred.completion_event, microcred.event_report FROM PUBLIC;
REVOKE ALL ON FUNCTION microcred._hmac_sha256(bytea, bytea), microcred._equal_ct(bytea, bytea),
    microcred._event_platform_key(microcred.event_source),
    microcred.event_source_add(text, text, text, uuid, text, text),
    microcred._process_event(bigint, name),
    microcred._ingest(microcred.event_source, text, text, text, text, text, text, timestamptz, jsonb),
    microcred._event_time(text), microcred._event_source(text, text),
    microcred.ingest_xapi(text, text, jsonb), microcred.event_source_for_canvas(text),
    microcred.ingest_canvas(uuid, jsonb), microcred.ingest_moodle(text, text, text),
    microcred._process_pending_for(uuid, text, text, uuid),
    microcred.event_retry(bigint), microcred.event_assign_learner(bigint, uuid),
    microcred.pending_events(interval) FROM PUBLIC;
GRANT SELECT (id, issuer_id, kind, name, platform_id, canvas_account, jwks_url, created_at, disabled_at)
    ON microcred.event_source TO microcred_admin;
GRANT UPDATE (platform_id, jwks_url, disabled_at) ON microcred.event_source TO microcred_admin;
GRANT SELECT ON microcred.completion_event, microcred.event_report TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred.event_source_add(text, text, text, uuid, text, text),
    microcred.event_retry(bigint), microcred.event_assign_learner(bigint, uuid),
    microcred.pending_events(interval) TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred.ingest_xapi(text, text, jsonb), microcred.event_source_for_canvas(text),
    microcred.ingest_canvas(uuid, jsonb), microcred.ingest_moodle(text, text, text) TO microcred_bridge;
REVOKE ALL ON microcred.event_poll, microcred.event_polls FROM PUBLIC;
GRANT SELECT ON microcred.event_polls TO microcred_admin;
GRANT SELECT (source_id, api, api_base_url, every, last_polled_at, last_ok_at, last_error, created_at, learners)
    ON microcred.event_poll TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred.event_poll_set(text, text, text, interval), microcred.event_poll_clear(text),
    microcred.event_poll_policy(text, text)
    TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred.event_poll_due(), microcred.event_poll_done(uuid, text),
    microcred.ingest_poll(uuid, text, text, text, text, timestamptz) TO microcred_bridge;
/*
 * microcred install script, part 9.9: what pg_dump backs up.
 *
 * The rows of an extension's tables are not dumped unless the extension says
 * so (pg_extension_config_dump); without this, pg_dump writes only
 * CREATE EXTENSION and a restore holds no issuer, key or credential.  Every
 * table and sequence of the schema is registered, except:
 *   country, vocabulary   reference data the install script seeds (the same in
 *                         every database of a version, updated by upgrades)
 *   document_part         a cache, rebuilt on the next issue
 * and jsonld_context only with its rows added by register_context (the bundled
 * contexts come with the install script).  Restore with pg_restore
 * --single-transaction (README "Backup and restore"); tests/t/backup_restore.sh
 * dumps, restores and uses a filled database.
 */

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.oid::regclass AS rel, c.relname FROM pg_class c
              WHERE c.relnamespace = 'microcred'::regnamespace AND c.relkind IN ('r', 'p', 'S')
                AND c.relname NOT IN ('country', 'vocabulary', 'document_part')
              ORDER BY c.relname LOOP
        PERFORM pg_extension_config_dump(r.rel,
            CASE r.relname WHEN 'jsonld_context' THEN 'WHERE NOT bundled' ELSE '' END);
    END LOOP;
END
$$;
/*
 * microcred install script, part 9.9: what each column of the reporting views
 * means (BI tools show these comments).  tests/t/hygiene.sh checks that every
 * column of every view of the schema has one.
 */

COMMENT ON COLUMN microcred.issuers_report.id IS 'id of the awarding body';
COMMENT ON COLUMN microcred.issuers_report.handle IS 'short name of the awarding body, used in URLs and as issuer argument';
COMMENT ON COLUMN microcred.issuers_report.legal_name IS 'EU element "awarding body": its legal name';
COMMENT ON COLUMN microcred.issuers_report.country IS 'EU element "country/region of the issuer": ISO 3166-1 alpha-2 code';
COMMENT ON COLUMN microcred.issuers_report.country_name IS 'English name of the country';
COMMENT ON COLUMN microcred.issuers_report.region IS 'region of the awarding body, where given';
COMMENT ON COLUMN microcred.issuers_report.url IS 'web site of the awarding body';
COMMENT ON COLUMN microcred.issuers_report.public_id IS 'the issuer id (URI) written into its credentials';
COMMENT ON COLUMN microcred.issuers_report.legal_identifiers IS 'legal identifiers by scheme (register number, VAT, EUID, DEQAR id, ...) as a JSON object';
COMMENT ON COLUMN microcred.issuers_report.created_at IS 'when the awarding body was added';

COMMENT ON COLUMN microcred.credential_types_report.id IS 'id of the credential type';
COMMENT ON COLUMN microcred.credential_types_report.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.credential_types_report.awarding_body IS 'EU element "awarding body": legal name';
COMMENT ON COLUMN microcred.credential_types_report.country IS 'EU element "country/region of the issuer": country code';
COMMENT ON COLUMN microcred.credential_types_report.region IS 'region of the awarding body';
COMMENT ON COLUMN microcred.credential_types_report.code IS 'the type''s code, unique per awarding body (issuer/CODE names it)';
COMMENT ON COLUMN microcred.credential_types_report.title IS 'EU element "title of the micro-credential"';
COMMENT ON COLUMN microcred.credential_types_report.description IS 'what the learner did and can now do';
COMMENT ON COLUMN microcred.credential_types_report.learning_outcomes IS 'EU element "learning outcomes", in order';
COMMENT ON COLUMN microcred.credential_types_report.esco_skills IS 'ESCO skill URIs the outcomes are aligned to';
COMMENT ON COLUMN microcred.credential_types_report.ects IS 'EU element "notional workload" in ECTS credits';
COMMENT ON COLUMN microcred.credential_types_report.workload_hours IS 'notional workload in hours, where ECTS does not apply';
COMMENT ON COLUMN microcred.credential_types_report.eqf_level IS 'EU element "level": EQF level 1 to 8';
COMMENT ON COLUMN microcred.credential_types_report.qf_ehea_cycle IS 'QF-EHEA cycle (short, first, second, third) for higher education';
COMMENT ON COLUMN microcred.credential_types_report.assessment IS 'EU element "type of assessment"';
COMMENT ON COLUMN microcred.credential_types_report.participation IS 'EU element "form of participation" (online, onsite, blended)';
COMMENT ON COLUMN microcred.credential_types_report.synchronous IS 'synchronous (true) or asynchronous (false) participation, where known';
COMMENT ON COLUMN microcred.credential_types_report.quality_assurance IS 'EU element "type of quality assurance"';
COMMENT ON COLUMN microcred.credential_types_report.quality_assurance_body IS 'body responsible for quality assurance';
COMMENT ON COLUMN microcred.credential_types_report.prerequisites IS 'EU optional element "prerequisites needed to enrol"';
COMMENT ON COLUMN microcred.credential_types_report.supervision IS 'EU optional element "supervision and identity verification during assessment"';
COMMENT ON COLUMN microcred.credential_types_report.integration IS 'EU optional element "integration / stackability options"';
COMMENT ON COLUMN microcred.credential_types_report.stackable_towards IS 'what the micro-credential stacks towards';
COMMENT ON COLUMN microcred.credential_types_report.languages IS 'languages of instruction and assessment (BCP 47)';
COMMENT ON COLUMN microcred.credential_types_report.validity_period IS 'credentials expire this long after issue; NULL: no expiry';
COMMENT ON COLUMN microcred.credential_types_report.grading_scheme IS 'grading scheme of the grades credentials carry';
COMMENT ON COLUMN microcred.credential_types_report.further_information IS 'EU optional element "further information"';
COMMENT ON COLUMN microcred.credential_types_report.info_url IS 'web page about the micro-credential';
COMMENT ON COLUMN microcred.credential_types_report.achievement_type IS 'Open Badges 3.0 achievementType';
COMMENT ON COLUMN microcred.credential_types_report.created_at IS 'when the type was defined';
COMMENT ON COLUMN microcred.credential_types_report.retired_at IS 'when the type was retired (no longer issued); NULL: current';

COMMENT ON COLUMN microcred.issued_credentials_report.id IS 'id of the issued credential (its URL ends with it)';
COMMENT ON COLUMN microcred.issued_credentials_report.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.issued_credentials_report.credential_code IS 'code of the credential type';
COMMENT ON COLUMN microcred.issued_credentials_report.title IS 'title of the micro-credential';
COMMENT ON COLUMN microcred.issued_credentials_report.learner_id IS 'the learner, by opaque id only (no personal data here)';
COMMENT ON COLUMN microcred.issued_credentials_report.issued_at IS 'when the credential was issued (validFrom)';
COMMENT ON COLUMN microcred.issued_credentials_report.awarded_date IS 'EU element "date of issuing": when it was awarded';
COMMENT ON COLUMN microcred.issued_credentials_report.valid_from IS 'start of validity';
COMMENT ON COLUMN microcred.issued_credentials_report.valid_until IS 'end of validity (validUntil); NULL: no expiry';
COMMENT ON COLUMN microcred.issued_credentials_report.expired IS 'valid_until has passed';
COMMENT ON COLUMN microcred.issued_credentials_report.status IS 'active, suspended or revoked (as the status lists publish it)';
COMMENT ON COLUMN microcred.issued_credentials_report.status_changed_at IS 'when the status last changed';
COMMENT ON COLUMN microcred.issued_credentials_report.proof_format IS 'the Data Integrity cryptosuite of its proof';
COMMENT ON COLUMN microcred.issued_credentials_report.ects IS 'ECTS credits of the type';
COMMENT ON COLUMN microcred.issued_credentials_report.eqf_level IS 'EQF level of the type';
COMMENT ON COLUMN microcred.issued_credentials_report.supersedes IS 'the credential this one corrects, if any';
COMMENT ON COLUMN microcred.issued_credentials_report.superseded_by IS 'the credential that corrects this one, if any (this one is then revoked)';
COMMENT ON COLUMN microcred.issued_credentials_report.signing_key_state IS 'state of the key its proof names: active or standby (verifies), retired (no longer verifies: supersede it), NULL when the stored document was dropped at erasure';

COMMENT ON COLUMN microcred.expiring_credentials.id IS 'id of the issued credential';
COMMENT ON COLUMN microcred.expiring_credentials.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.expiring_credentials.credential_code IS 'code of the credential type';
COMMENT ON COLUMN microcred.expiring_credentials.title IS 'title of the micro-credential';
COMMENT ON COLUMN microcred.expiring_credentials.learner_id IS 'the learner, by opaque id only';
COMMENT ON COLUMN microcred.expiring_credentials.valid_until IS 'end of validity (validUntil)';
COMMENT ON COLUMN microcred.expiring_credentials.days_left IS 'days until valid_until';
COMMENT ON COLUMN microcred.expiring_credentials.signing_key_state IS 'state of the key its proof names: retired means it no longer verifies already';

COMMENT ON COLUMN microcred.issuer_keys.id IS 'id of the key';
COMMENT ON COLUMN microcred.issuer_keys.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.issuer_keys.algorithm IS 'Ed25519, P-256 or RSA';
COMMENT ON COLUMN microcred.issuer_keys.state IS 'active (signs), standby (verifies, no longer signs) or retired (neither)';
COMMENT ON COLUMN microcred.issuer_keys.verification_method IS 'the verificationMethod proofs name';
COMMENT ON COLUMN microcred.issuer_keys.public_key_multibase IS 'public key as Multikey publicKeyMultibase';
COMMENT ON COLUMN microcred.issuer_keys.public_jwk IS 'public key as a JWK';
COMMENT ON COLUMN microcred.issuer_keys.did_key IS 'the key as a did:key';
COMMENT ON COLUMN microcred.issuer_keys.created_at IS 'when the key was generated';
COMMENT ON COLUMN microcred.issuer_keys.retired_at IS 'when the key was retired';

COMMENT ON COLUMN microcred.pathway_progress.pathway_id IS 'id of the pathway';
COMMENT ON COLUMN microcred.pathway_progress.pathway IS 'issuer/CODE of the pathway';
COMMENT ON COLUMN microcred.pathway_progress.learner_id IS 'the learner, by opaque id only';
COMMENT ON COLUMN microcred.pathway_progress.satisfied IS 'the learner meets the pathway''s rule (its target can be issued)';
COMMENT ON COLUMN microcred.pathway_progress.percent IS 'share of the rule''s components met, 0 to 100';
COMMENT ON COLUMN microcred.pathway_progress.missing IS 'the components not yet met';
COMMENT ON COLUMN microcred.pathway_progress.ects_total IS 'ECTS credits counted towards the pathway';

COMMENT ON COLUMN microcred.lti_tool_keys.kid IS 'key id in the tool''s JWKS';
COMMENT ON COLUMN microcred.lti_tool_keys.state IS 'active (signs), standby (published) or retired';
COMMENT ON COLUMN microcred.lti_tool_keys.public_jwk IS 'public key as a JWK';
COMMENT ON COLUMN microcred.lti_tool_keys.created_at IS 'when the key was generated';
COMMENT ON COLUMN microcred.lti_tool_keys.retired_at IS 'when the key was retired';

COMMENT ON COLUMN microcred.event_report.source IS 'name of the event source';
COMMENT ON COLUMN microcred.event_report.kind IS 'xapi, canvas or moodle';
COMMENT ON COLUMN microcred.event_report.state IS 'state of the events: issued, pending, ignored, failed, received';
COMMENT ON COLUMN microcred.event_report.events IS 'how many events of this source are in this state';
COMMENT ON COLUMN microcred.event_report.oldest IS 'when the oldest of them arrived';
COMMENT ON COLUMN microcred.event_report.newest IS 'when the newest of them arrived';

COMMENT ON COLUMN microcred.event_polls.source IS 'name of the event source polled';
COMMENT ON COLUMN microcred.event_polls.api IS 'the LMS API polled';
COMMENT ON COLUMN microcred.event_polls.api_base_url IS 'base URL of the LMS API';
COMMENT ON COLUMN microcred.event_polls.every IS 'polling interval';
COMMENT ON COLUMN microcred.event_polls.last_polled_at IS 'when it was last polled';
COMMENT ON COLUMN microcred.event_polls.last_ok_at IS 'when a poll last succeeded';
COMMENT ON COLUMN microcred.event_polls.last_error IS 'the last poll''s error, if it failed';
COMMENT ON COLUMN microcred.event_polls.completions_found IS 'completions the polls found that no event had reported';
-- Last part of the install script: whatever the parts above created, PUBLIC
-- gets nothing in this schema (functions default to EXECUTE for PUBLIC, so a
-- part that forgets its own REVOKE would otherwise leak one).  Grants to the
-- microcred_* roles, made by each part, are untouched.
REVOKE ALL ON ALL TABLES IN SCHEMA microcred FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA microcred FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA microcred FROM PUBLIC;
