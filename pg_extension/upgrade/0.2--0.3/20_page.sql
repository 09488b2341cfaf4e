-- 0.3: the bridge's human-readable pages and badge images
-- (pg_extension/scripts/92_page.sql).

-- badge images, after 0.2's last columns (as 92_page.sql adds them to a fresh install)
ALTER TABLE microcred.issuer ADD COLUMN image bytea;
ALTER TABLE microcred.issuer ADD COLUMN image_type text
    CONSTRAINT issuer_image_type CHECK (image_type IN ('image/png', 'image/svg+xml'));
ALTER TABLE microcred.issuer ADD CONSTRAINT issuer_image_typed CHECK ((image IS NULL) = (image_type IS NULL));
ALTER TABLE microcred.credential_type ADD COLUMN image bytea;
ALTER TABLE microcred.credential_type ADD COLUMN image_type text
    CONSTRAINT credential_type_image_type CHECK (image_type IN ('image/png', 'image/svg+xml'));
ALTER TABLE microcred.credential_type ADD CONSTRAINT credential_type_image_typed CHECK ((image IS NULL) = (image_type IS NULL));
COMMENT ON COLUMN microcred.credential_type.image IS
    'the badge image (PNG or SVG, at most 256 kB, checked by _check_image), served at /achievements/{id}/image; NULL: a generated badge';
COMMENT ON COLUMN microcred.issuer.image IS
    'the awarding body''s image (PNG or SVG, at most 256 kB, checked by _check_image), served at /issuers/{handle}/image; NULL: a generated one';

-- define_credential() gained image => (its badge)
DROP FUNCTION microcred.define_credential(text, text, text, text, text[], text[], text, text, numeric, numeric, integer, text, text[], text, text, boolean, text, text, text, text, text[], interval, text, text, text, text, text, boolean, boolean);

-- New functions get their bodies from the replay at the end; they are
-- declared here first (as stubs) only so that their privileges can be set as
-- a fresh install sets them: the replay's CREATE OR REPLACE keeps them.
CREATE FUNCTION microcred.define_credential(issuer text, code text, title text, description text,
    learning_outcomes text[], assessment text[], participation text, quality_assurance text,
    ects numeric DEFAULT NULL, workload_hours numeric DEFAULT NULL, eqf_level integer DEFAULT NULL,
    qf_ehea_cycle text DEFAULT NULL, esco_skills text[] DEFAULT NULL, quality_assurance_body text DEFAULT NULL,
    quality_assurance_url text DEFAULT NULL, synchronous boolean DEFAULT NULL, prerequisites text DEFAULT NULL,
    supervision text DEFAULT NULL, integration text DEFAULT 'stand_alone', stackable_towards text DEFAULT NULL,
    languages text[] DEFAULT NULL, validity_period interval DEFAULT NULL, grading_scheme text DEFAULT NULL,
    further_information text DEFAULT NULL, info_url text DEFAULT NULL, human_code text DEFAULT NULL,
    achievement_type text DEFAULT 'MicroCredential', allow_repeats boolean DEFAULT false,
    suspendable boolean DEFAULT false, image bytea DEFAULT NULL)
RETURNS uuid LANGUAGE sql AS 'SELECT NULL::uuid';
CREATE FUNCTION microcred._check_image(image bytea, field text) RETURNS text
LANGUAGE sql AS 'SELECT NULL::text';
CREATE FUNCTION microcred.set_issuer_image(issuer text, image bytea) RETURNS void
LANGUAGE sql AS 'SELECT';
CREATE FUNCTION microcred.public_image(kind text, id text) RETURNS jsonb
LANGUAGE sql AS 'SELECT NULL::jsonb';
CREATE FUNCTION microcred._page_elements(achievement jsonb) RETURNS jsonb
LANGUAGE sql AS 'SELECT NULL::jsonb';
CREATE FUNCTION microcred._page_credential(document jsonb, v microcred.verification) RETURNS jsonb
LANGUAGE sql AS 'SELECT NULL::jsonb';
CREATE FUNCTION microcred.public_page(kind text, id text) RETURNS jsonb
LANGUAGE sql AS 'SELECT NULL::jsonb';
CREATE FUNCTION microcred.public_verify(credential text) RETURNS jsonb
LANGUAGE sql AS 'SELECT NULL::jsonb';
REVOKE ALL ON FUNCTION
    microcred.define_credential(text, text, text, text, text[], text[], text, text, numeric, numeric, integer, text, text[], text, text, boolean, text, text, text, text, text[], interval, text, text, text, text, text, boolean, boolean, bytea),
    microcred._check_image(bytea, text), microcred.set_issuer_image(text, bytea), microcred.public_image(text, text),
    microcred._page_elements(jsonb), microcred._page_credential(jsonb, microcred.verification),
    microcred.public_page(text, text), microcred.public_verify(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    microcred.define_credential(text, text, text, text, text[], text[], text, text, numeric, numeric, integer, text, text[], text, text, boolean, text, text, text, text, text[], interval, text, text, text, text, text, boolean, boolean, bytea),
    microcred._check_image(bytea, text), microcred.set_issuer_image(text, bytea)
    TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred.public_page(text, text), microcred.public_verify(text),
    microcred.public_image(text, text)
    TO microcred_bridge, microcred_admin, microcred_verifier;

-- credentials issued from now on carry achievement.image and issuer.image
-- (70_issue.sql): the cached document parts, built without them, get them as
-- _achievement() and _issuer_profile() of 0.3 build them (the functions are
-- replayed only after this part); documents already issued stay as signed
UPDATE microcred.document_part p
   SET achievement = p.achievement || jsonb_build_object('image', jsonb_build_object(
           'id', i.base_url || '/achievements/' || p.credential_type_id || '/image', 'type', 'Image')),
       profile = p.profile || jsonb_build_object('image', jsonb_build_object(
           'id', i.base_url || '/issuers/' || i.handle || '/image', 'type', 'Image'))
  FROM microcred.issuer i
 WHERE i.id = p.issuer_id AND i.base_url IS NOT NULL;
