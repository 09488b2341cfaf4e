#!/bin/bash
# Every credential microcred issues, as it is issued and without removing any
# field, against the Open Badges 3.0 rules: microcred's own structure check
# (microcred.ob3_check, the OB 3.0.3 data model) and the 1EdTech OB 3.0
# AchievementCredential JSON Schema (tests/data/ob-v3p0, the draft-04 form of
# the 1EdTech validator).
#
# Documents: every EU element set (a type with every optional element and a
# learner with every identifier; the demo type with grade and evidence; a
# type with only the mandatory elements and a learner with a student id
# only), each in both Data Integrity suites (eddsa-jcs-2022, eddsa-rdfc-2022)
# and as the payloads of both JWT forms (OB 3.0 VC-JWT, W3C VC-JOSE); and a
# credential of a type that opted into suspension (two credentialStatus
# entries).
#
# The schema predates VC 2.0 / OB 3.0.3 in three places.  Exactly one is
# adapted, in the schema, not in the documents: it requires VC 1.1's
# "issuanceDate", which VC 2.0 and OB 3.0.3 replaced by "validFrom"
# ("required" lists validFrom instead).  The other two are validated as they
# are and each resulting error is asserted exactly, so nothing else can hide
# behind them:
#   1. $defs/CredentialStatus has "additionalProperties": false and only the
#      properties id and type: it rejects the members a W3C Bitstring Status
#      List entry must carry (statusPurpose, statusListIndex,
#      statusListCredential; VC Bitstring Status List v1.0, section 2.1).  The
#      entry is checked against that specification instead.
#   2. $defs/IdentityObject/identityType lists the CDM identifier types but
#      not "name", which the OB 3.0 data model adds to IdentifierTypeEnum
#      ("Include IdentifierTypeEnum ... Property name"); microcred uses OB's
#      "name" for the learner's name (shown only with consent).
# A second pass validates against the schema with exactly those two
# corrections (CredentialStatus open to further members, "name" in the
# enumeration) and must find nothing at all.  A suspendable type's credential
# carries an array of two entries: it leaves OB 3.0's credentialStatus 0..1
# by the issuer's choice (README, Lifecycle), and the one schema error it gets
# for that is asserted too.
# Runs against the cluster of tests/run_tests.sh (PGHOST, PGPORT, PGUSER).
set -eu
cd "$(dirname "$0")/../.."
db=mc_ob_schema
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS '$db'"' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null
out=$(mktemp -d)
psql -X -q -At -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
SELECT microcred.generate_key('demo-uas', 'RSA');
SELECT microcred.add_issuer_identifier('demo-uas', 'vat', 'IE1234567T');
-- every optional EU element
SELECT microcred.define_credential(
    issuer => 'demo-uas', code => 'ALL-OPT', title => 'Clinical Data Stewardship',
    description => 'Stewardship of clinical data sets across their life cycle.',
    learning_outcomes => ARRAY['Documents the provenance of a clinical data set', 'Plans the retention of clinical records'],
    esco_skills => ARRAY['http://data.europa.eu/esco/skill/demo-provenance', NULL],
    assessment => ARRAY['written_exam', 'project_work'], participation => 'blended', synchronous => true,
    quality_assurance => 'accreditation', quality_assurance_body => 'Quality and Qualifications Ireland',
    quality_assurance_url => 'https://www.qqi.ie/', ects => 3.5, workload_hours => 90, eqf_level => 7,
    qf_ehea_cycle => 'second', prerequisites => 'A first degree in a health discipline',
    supervision => 'supervised_onsite_id_verification', integration => 'stackable',
    stackable_towards => 'Master in Health Informatics', languages => ARRAY['en', 'ga'],
    validity_period => interval '5 years', grading_scheme => 'Pass / Merit / Distinction',
    further_information => 'Offered each spring.', info_url => 'https://www.demo-uas.example/courses/cds',
    human_code => 'CDS-7', achievement_type => 'Course');
SELECT microcred.issue('demo-uas/ALL-OPT', microcred.add_learner(issuer => 'demo-uas', email => 'niamh.kelly@example.ie',
           given_name => 'Niamh', family_name => 'Kelly', student_id => 'D2026-0077', holder_did => 'did:example:niamh',
           name_in_credential => true),
       grade => 'Merit', evidence => '[{"id": "https://lms.demo-uas.example/mod/assign/view.php?id=21", "name": "Retention plan", "narrative": "A retention plan for a ward."}]',
       idempotency_key => 'schema:all-opt');
-- only the mandatory elements, a learner known by student id only
SELECT microcred.issue('demo-uas/PY-DATA', microcred.add_learner(issuer => 'demo-uas', student_id => 'D2026-0099'),
       idempotency_key => 'schema:minimum');
-- a type that opted into suspension
SELECT microcred.define_credential(
    issuer => 'demo-uas', code => 'SUSP', title => 'Medication Safety', description => 'Safe handling of medication on a ward.',
    learning_outcomes => ARRAY['Checks a prescription against the five rights'], assessment => ARRAY['oral_exam'],
    participation => 'onsite', quality_assurance => 'internal', ects => 1, eqf_level => 5, suspendable => true);
SELECT microcred.issue('demo-uas/SUSP', (SELECT id FROM microcred.learner WHERE student_id = 'D2026-0099'),
       idempotency_key => 'schema:suspendable');
SQL
# every credential in every form: label, document, microcred's structure check, verification
psql -X -q -At -v ON_ERROR_STOP=1 -d $db >"$out/docs.jsonl" <<'SQL'
CREATE FUNCTION pg_temp.payload(token text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT convert_from(decode(rpad(translate(split_part(token, '.', 2), '-_', '+/'),
                               (length(split_part(token, '.', 2)) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::jsonb $$;
WITH c AS (
    SELECT ic.id, CASE WHEN ic.idempotency_key LIKE 'schema:%' THEN ic.idempotency_key ELSE 'schema:demo' END AS label, ic.document, k.id AS key_id, k.issuer_id,
           i.public_id || '#' || k.fragment AS vm
      FROM microcred.issued_credential ic JOIN microcred.issuer i ON i.id = ic.issuer_id
      JOIN microcred.signing_key k ON k.issuer_id = i.id AND k.algorithm = 'Ed25519' AND k.state = 'active'),
forms AS (
    SELECT c.label || ' stored ' || (c.document -> 'proof' ->> 'cryptosuite') AS label, c.document AS doc,
           (microcred.verify(c.document)).valid AS valid, c.document AS stored FROM c
    UNION ALL
    SELECT c.label || ' ' || s.suite, d, (microcred.verify(d)).valid, c.document
      FROM c, (VALUES ('eddsa-jcs-2022'), ('eddsa-rdfc-2022')) AS s(suite),
           LATERAL microcred._sign_di(c.document - 'proof', s.suite, c.key_id, c.issuer_id, c.vm, now()) d
    UNION ALL
    SELECT c.label || ' ' || f.f, pg_temp.payload(t), (microcred.verify_jwt(t)).valid, c.document
      FROM c, (VALUES ('ob-jwt'), ('vc-jwt')) AS f(f), LATERAL microcred.document(c.id, f.f) t)
SELECT jsonb_build_object('label', label, 'doc', doc, 'ob3', microcred.ob3_check(doc), 'valid', valid, 'stored', stored)
  FROM forms ORDER BY label;
SQL
/usr/bin/python3 - "$out/docs.jsonl" tests/data/ob-v3p0/ob_v3p0_achievementcredential_schema_draft4.json <<'PY'
import copy, json, re, sys
import jsonschema
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
schema = json.load(open(sys.argv[2]))
# the one adaptation of the schema: VC 2.0's validFrom for VC 1.1's issuanceDate
schema["required"] = ["validFrom" if r == "issuanceDate" else r for r in schema["required"]]
v = jsonschema.Draft4Validator(schema)
# the schema with the two corrections that OB 3.0.3 / VC 2.0 need (see the header)
fixed = copy.deepcopy(schema)
fixed["$defs"]["CredentialStatus"]["additionalProperties"] = True
fixed["$defs"]["IdentityObject"]["properties"]["identityType"]["anyOf"][0]["enum"].insert(0, "name")
vf = jsonschema.Draft4Validator(fixed)
BITSTRING = {"statusPurpose", "statusListIndex", "statusListCredential"}
n = 0
def ok(cond, desc, diag=None):
    global n
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, desc))
    if not cond and diag:
        print("# " + str(diag).replace("\n", "\n# "))
    return cond
def path(e):
    return "/" + "/".join(map(str, e.path))
def bitstring_entry(e):
    return (isinstance(e, dict) and e.get("type") == "BitstringStatusListEntry" and
            e.get("statusPurpose") in ("revocation", "suspension") and
            isinstance(e.get("statusListIndex"), str) and e["statusListIndex"].isdigit() and
            0 <= int(e["statusListIndex"]) < 131072 and
            e.get("id") == e.get("statusListCredential", "") + "#" + e["statusListIndex"])

labels = sorted(set(r["label"].split(" ")[0] for r in rows))
ok(labels == ["schema:all-opt", "schema:demo", "schema:minimum", "schema:suspendable"],
   "four credentials: every optional element, the demo, the minimum, a suspendable type", labels)
ok(len(rows) == 4 * 5, "each in five forms (stored, both Data Integrity suites, both JWT payloads)", len(rows))
for r in rows:
    d, label = r["doc"], r["label"]
    suspendable = label.startswith("schema:suspendable")
    ok(r["valid"], "%s: verifies" % label)
    status = d.get("credentialStatus")
    if suspendable:
        ok(isinstance(status, list) and len(status) == 2 and all(bitstring_entry(e) for e in status) and
           sorted(e["statusPurpose"] for e in status) == ["revocation", "suspension"],
           "%s: two BitstringStatusListEntry entries (revocation, suspension), as the type opted in" % label, status)
    else:
        ok(isinstance(status, dict) and bitstring_entry(status) and status["statusPurpose"] == "revocation",
           "%s: one credentialStatus object, a revocation BitstringStatusListEntry" % label, status)
    ob3 = r["ob3"]
    ok(ob3["applies"] and ob3["conforms"] and ob3["errors"] == 0 and ob3["warnings"] == (1 if suspendable else 0),
       "%s: microcred.ob3_check finds no error%s" % (label, ", one warning (credentialStatus array)" if suspendable else " and no warning"),
       ob3)
    # nothing removed: a JWT payload is the stored credential (without its proof) plus the registered claims
    if label.endswith("jwt"):
        stored = dict(r["stored"]); stored.pop("proof")
        payload = {k: x for k, x in d.items() if k not in ("iss", "jti", "nbf", "exp", "sub")}
        ok(payload == stored, "%s: the payload is the whole credential" % label)
    else:
        ok(d.get("proof") is not None and {k: x for k, x in d.items() if k != "proof"} ==
           {k: x for k, x in r["stored"].items() if k != "proof"}, "%s: the document is the whole credential" % label)
    errs = list(v.iter_errors(d))
    explained, unexplained = [], []
    for e in errs:
        if (path(e) == "/credentialStatus" and e.validator == "additionalProperties" and
                list(e.schema_path)[-1] == "additionalProperties" and isinstance(status, dict) and
                set(status) - {"id", "type"} == BITSTRING and all(m in e.message for m in BITSTRING)):
            explained.append("CredentialStatus")
        elif (re.fullmatch(r"/credentialSubject/identifier/\d+/identityType", path(e)) and e.instance == "name" and
              e.validator == "anyOf"):
            explained.append("identityType name")
        elif suspendable and path(e) == "/credentialStatus" and e.validator == "type" and e.validator_value == "object":
            explained.append("credentialStatus array")
        else:
            unexplained.append(e)
    ok(not unexplained, "%s: the 1EdTech schema finds nothing beyond the known deviations" % label,
       "\n".join("%s: %s" % (path(e), e.message) for e in unexplained[:5]))
    names = [i for i in d["credentialSubject"].get("identifier", []) if i.get("identityType") == "name"]
    want = (["credentialStatus array"] if suspendable else ["CredentialStatus"]) + ["identityType name"] * len(names)
    ok(sorted(explained) == sorted(want), "%s: exactly the known deviations: %s" % (label, ", ".join(want)), explained)
    fixed_errs = [e for e in vf.iter_errors(d) if not (suspendable and path(e) == "/credentialStatus")]
    ok(not fixed_errs, "%s: the schema corrected for VC 2.0 status entries and OB's 'name' finds nothing" % label,
       "\n".join("%s: %s" % (path(e), e.message) for e in fixed_errs[:5]))

by = {r["label"]: r["doc"] for r in rows}
full = by["schema:all-opt stored eddsa-rdfc-2022"]
ach = full["credentialSubject"]["achievement"]
ok(ach["achievementType"] == "Course" and ach.get("humanCode") == "CDS-7" and ach["criteria"].get("id") and
   ach.get("resultDescription") and full["credentialSubject"].get("id") == "did:example:niamh" and
   full["credentialSubject"].get("result") and full.get("evidence") and full.get("validUntil") and
   any(a.get("targetType") == "ext:ESCOSkill" for a in ach["alignment"]) and
   any(a.get("targetType") == "ext:QualityAssurance" for a in ach["alignment"]),
   "the all-optional credential carries the optional elements (DID, grade, evidence, expiry, ESCO, QA URL, info URL)")
ok(sorted(i["identityType"] for i in full["credentialSubject"]["identifier"]) == ["emailAddress", "name", "sisSourcedId"] and
   [i["hashed"] for i in full["credentialSubject"]["identifier"] if i["identityType"] == "name"] == [False],
   "its learner: hashed email and student id, the name as identityType 'name' (OB's term)")
minimum = by["schema:minimum stored eddsa-rdfc-2022"]
ok([i["identityType"] for i in minimum["credentialSubject"]["identifier"]] == ["sisSourcedId"] and
   "id" not in minimum["credentialSubject"] and "result" not in minimum["credentialSubject"],
   "the minimum credential identifies its learner by a hashed student id only")
# neither check is a rubber stamp
bad = copy.deepcopy(full); del bad["credentialSubject"]["achievement"]
ok(any(True for _ in vf.iter_errors(bad)), "a credential without achievement fails the schema")
bad = copy.deepcopy(full); bad["credentialSubject"]["identifier"][0]["identityType"] = "shoeSize"
ok(any(True for _ in vf.iter_errors(bad)), "an unknown identityType fails the schema")
bad = copy.deepcopy(full); bad["credentialStatus"] = [bad["credentialStatus"], bad["credentialStatus"]]
ok(any(path(e) == "/credentialStatus" for e in vf.iter_errors(bad)), "a credentialStatus array fails the schema")
print("1..%d" % n)
PY
rm -rf "$out"
