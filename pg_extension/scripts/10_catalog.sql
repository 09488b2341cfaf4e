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
