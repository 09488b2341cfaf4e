/*
 * microcred install script, 87_recognition.sql: what an issuer recognises
 * for a learner: another issuer's verified credential, or prior learning with
 * its assessment.  Recognitions count as pathway components.
 */

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
