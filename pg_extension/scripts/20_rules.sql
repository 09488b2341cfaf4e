/*
 * microcred install script, 20_rules.sql: rules the tables enforce on every path.
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
       -- the document: microcred._issued_credential_document_fixed (UPDATE OF document)
       OR (OLD.proof_format IS NOT NULL AND NEW.proof_format IS DISTINCT FROM OLD.proof_format)
       OR (OLD.superseded_by IS NOT NULL AND NEW.superseded_by IS DISTINCT FROM OLD.superseded_by) THEN
        PERFORM microcred._fail('55000', 'issued credentials cannot be changed',
            format('Credential %s was issued; its content is fixed once issued.', OLD.id),
            'Issue a corrected credential that supersedes it; only the status of a credential changes (and an erased learner''s stored copy is dropped).');
    END IF;
    RETURN NEW;
END
$$;
-- fired by an UPDATE that names a fixed column (a status change names none
-- of them, so it does not pay for the comparison) and by every DELETE
CREATE TRIGGER issued_credential_immutable
    BEFORE DELETE OR UPDATE OF id, issuer_id, credential_type_id, learner_id, issued_at, awarded_date, valid_from,
                               valid_until, grade, evidence, idempotency_key, supersedes, proof_format, superseded_by
    ON microcred.issued_credential
    FOR EACH ROW EXECUTE FUNCTION microcred._issued_credential_immutable();
