#!/bin/bash
# Issued credentials validate against the 1EdTech Open Badges 3.0 JSON Schema
# (tests/data/ob-v3p0).  That schema predates VC 2.0 in two places, and the
# test adapts exactly those: it requires the VC 1.1 "issuanceDate", which VC
# 2.0 / OB 3.0.3 replaced by "validFrom"; and its CredentialStatus is a single
# object with only id and type, which cannot hold a W3C Bitstring Status List
# entry, so credentialStatus is checked against that spec instead.
# Runs against the cluster of tests/run_tests.sh (PGHOST, PGPORT, PGUSER).
set -eu
cd "$(dirname "$0")/../.."
db=mc_ob_schema
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS '$db'"' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null
out=$(mktemp -d)
psql -X -q -At -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
SELECT microcred.generate_key('demo-uas');
-- one credential with everything optional, one with the minimum
SELECT microcred.issue('demo-uas/GDPR-NURSE', (SELECT id FROM microcred.learner), grade => 'Distinction',
       evidence => '[{"id": "https://lms.example/submissions/1", "name": "Ward audit"}]');
SELECT microcred.issue('demo-uas/PY-DATA', microcred.add_learner(issuer => 'demo-uas', student_id => 'D2026-0099'));
SQL
psql -X -At -d $db -c "SELECT document FROM microcred.issued_credential ORDER BY issued_at" >"$out/docs.jsonl"
/usr/bin/python3 - "$out/docs.jsonl" tests/data/ob-v3p0/ob_v3p0_achievementcredential_schema_draft4.json <<'PY'
import json, sys
import jsonschema
docs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
schema = json.load(open(sys.argv[2]))
schema["required"] = ["validFrom" if r == "issuanceDate" else r for r in schema["required"]]
n = 0
def ok(cond, desc, diag=None):
    global n
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, desc))
    if not cond and diag:
        print("# " + diag.replace("\n", "\n# "))
v = jsonschema.Draft4Validator(schema)
ok(len(docs) == 2, "two credentials were issued")
for i, d in enumerate(docs):
    status = d.pop("credentialStatus", None)
    ok(isinstance(status, list) and len(status) == 2 and
       sorted(e["statusPurpose"] for e in status) == ["revocation", "suspension"] and
       all(e["type"] == "BitstringStatusListEntry" and e["statusListIndex"].isdigit() and
           0 <= int(e["statusListIndex"]) < 131072 and e["id"] == e["statusListCredential"] + "#" + e["statusListIndex"]
           for e in status),
       "credential %d has a revocation and a suspension BitstringStatusListEntry" % (i + 1), json.dumps(status))
    errs = sorted(v.iter_errors(d), key=lambda e: list(e.path))
    ok(not errs, "credential %d validates against the OB 3.0 schema" % (i + 1),
       "\n".join("%s: %s" % ("/".join(map(str, e.path)), e.message) for e in errs[:5]))
    ok(d["credentialSubject"]["achievement"]["achievementType"] == "MicroCredential", "credential %d is a MicroCredential" % (i + 1))
# the schema is not a rubber stamp: a credential without an achievement fails it
bad = json.loads(json.dumps(docs[0])); del bad["credentialSubject"]["achievement"]
ok(any(True for _ in v.iter_errors(bad)), "a credential without achievement fails the schema")
bad = json.loads(json.dumps(docs[0])); bad["credentialSubject"]["identifier"][0]["identityType"] = "shoeSize"
ok(any(True for _ in v.iter_errors(bad)), "an unknown identityType fails the schema")
print("1..%d" % n)
PY
rm -rf "$out"
