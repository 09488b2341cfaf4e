/*
 * microcred install script, 00_types.sql: closed vocabularies, domains and
 * composite types.
 *
 * Every EU standard element with a closed list of values is an enum; the
 * mapping of each value to its Europass controlled-vocabulary concept is
 * in microcred.vocabulary (10_reference.sql).  Domains carry the numeric and format
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

-- what microcred.verify() returns (the C verifier of 15_bindings.sql fills it)
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
