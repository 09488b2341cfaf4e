-- The PL/pgSQL builders of the Achievement and the issuer Profile as they were
-- up to 0.2 (pg_extension/scripts/70_issue.sql), with the one addition of 0.3
-- (the OB 3.0 image of the issuer and the achievement under the bridge, made
-- in PL/pgSQL before the builders moved to C), kept as pg_temp functions by
-- tests/t/ob3_same.sh to show that ob3.c builds the same documents.
-- the issuer as an Open Badges 3.0 Profile
CREATE FUNCTION pg_temp.old_issuer_profile(i microcred.issuer)
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
              FROM microcred.issuer_identifier ii WHERE ii.issuer_id = i.id),
        'image', CASE WHEN i.base_url IS NOT NULL THEN jsonb_build_object(
                     'id', i.base_url || '/issuers/' || i.handle || '/image', 'type', 'Image') END))
$$;

-- an alignment entry
CREATE FUNCTION pg_temp.old_alignment(target_type text, target_name text, target_url text,
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
CREATE FUNCTION pg_temp.old_achievement(t microcred.credential_type, i microcred.issuer)
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
    SELECT alignments || coalesce(jsonb_agg(pg_temp.old_alignment('ext:ESCOSkill', o.description, o.esco_uri,
                                                                 NULL, 'ESCO') ORDER BY o.position), '[]')
      INTO alignments
      FROM microcred.learning_outcome o WHERE o.credential_type_id = t.id AND o.esco_uri IS NOT NULL;
    -- level
    IF t.eqf_level IS NOT NULL THEN
        alignments := alignments || pg_temp.old_alignment('ext:EQFLevel', 'EQF level ' || t.eqf_level,
            'http://data.europa.eu/snb/eqf/' || t.eqf_level, t.eqf_level::text,
            'European Qualifications Framework');
    END IF;
    -- closed vocabularies with a Europass concept (or at least a scheme)
    FOREACH a IN ARRAY t.assessment LOOP
        SELECT * INTO v FROM microcred.vocabulary WHERE vocabulary = 'assessment_type' AND value = a::text;
        IF coalesce(v.concept_uri, v.scheme_uri) IS NOT NULL THEN
            alignments := alignments || pg_temp.old_alignment('ext:AssessmentType', v.label,
                coalesce(v.concept_uri, v.scheme_uri), a::text, 'Europass assessment type');
        END IF;
    END LOOP;
    SELECT * INTO v FROM microcred.vocabulary WHERE vocabulary = 'participation_form' AND value = t.participation::text;
    alignments := alignments || pg_temp.old_alignment('ext:FormOfParticipation', v.label,
        coalesce(v.concept_uri, v.scheme_uri), t.participation::text, 'Europass mode of learning and assessment');
    IF t.supervision IS NOT NULL THEN
        SELECT * INTO v FROM microcred.vocabulary WHERE vocabulary = 'supervision' AND value = t.supervision::text;
        alignments := alignments || pg_temp.old_alignment('ext:SupervisionAndIdentityVerification', v.label,
            coalesce(v.concept_uri, v.scheme_uri), t.supervision::text, 'Europass supervision and verification');
    END IF;
    IF t.quality_assurance_url IS NOT NULL THEN
        SELECT * INTO v FROM microcred.vocabulary WHERE vocabulary = 'quality_assurance' AND value = t.quality_assurance::text;
        alignments := alignments || pg_temp.old_alignment('ext:QualityAssurance',
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
            'resultType', 'ext:Grade')) END,
        'image', CASE WHEN i.base_url IS NOT NULL THEN jsonb_build_object(
                     'id', i.base_url || '/achievements/' || t.id || '/image', 'type', 'Image') END));
END
$$;

