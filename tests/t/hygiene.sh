#!/bin/bash
# What a DBA expects of an extension that runs for years:
#   - the pg_regress suites leave no role behind (installcheck can run again);
#   - DROP EXTENSION leaves no object in the database (also after issuing,
#     which once created a sequence per status list);
#   - microcred.kek_file is shown to superusers only (the library is preloaded);
#   - the extension's C needs only PostgreSQL, OpenSSL, zlib and libc headers
#     (`make extension`), and META.json describes the current version;
#   - every column of every view carries a comment (what BI tools show);
#   - a credential signed by a retired key shows so in the reports, and
#     retire_key warns with the count of active credentials it affects.
# Runs against the cluster of tests/run_tests.sh (PGHOST, PGPORT, PGUSER),
# after its pg_regress suites.
set -u
cd "$(dirname "$0")/../.."
db=mc_hygiene
n=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   got:  $1" | head -c 2000; echo; echo "#   want: $2"; fi; }
q() { psql -X -At -v ON_ERROR_STOP=1 -d $db "$@"; }
cleanup() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS regress_hy_user" 2>/dev/null
}
trap cleanup EXIT
cleanup

# 1. the regression suites drop their roles (run_tests.sh ran them before this test)
suite_roles=$(grep -ho 'CREATE ROLE [a-z_0-9]*' sql/*.sql | awk '{printf "%s'"'"'%s'"'"'", (n++ ? "," : ""), $3}')
ok "$(psql -X -At -d postgres -c "SELECT count(*) FROM pg_roles WHERE rolname IN ($suite_roles)")|$(echo "$suite_roles" | tr ',' '\n' | wc -l | sed 's/^[0-5]$/few/')" \
   "0|$(echo "$suite_roles" | tr ',' '\n' | wc -l)" "none of the roles the pg_regress suites create is left in the cluster"
ok "$(grep -ho 'CREATE ROLE [a-z_]*' sql/*.sql | grep -vc 'CREATE ROLE regress_')" 0 "every role the suites create is named regress_*"

# 2. DROP EXTENSION leaves nothing behind
psql -X -q -d postgres -c "CREATE DATABASE $db"
snapshot() {
    q -c "SELECT count(*) FROM pg_class" -c "SELECT count(*) FROM pg_proc" -c "SELECT count(*) FROM pg_type" \
      -c "SELECT count(*) FROM pg_namespace" -c "SELECT count(*) FROM pg_depend" -c "SELECT count(*) FROM pg_description" \
      -c "SELECT count(*) FROM pg_policy" -c "SELECT count(*) FROM pg_trigger" -c "SELECT count(*) FROM pg_init_privs" | tr '\n' ' '
}
before=$(snapshot)
q -c "CREATE EXTENSION microcred" >/dev/null
q -q -f tests/demo.sql >/dev/null 2>&1
ok "$(q -c "SELECT count(*) > 0 FROM microcred.status_list")" t "issuing created status lists"
q -c "DROP EXTENSION microcred" >/dev/null
# CREATE EXTENSION makes the schema named in the control file, and PostgreSQL
# never drops such a schema with the extension: it must be left empty
ok "$(q -c "SELECT count(*) FROM pg_class WHERE relnamespace = 'microcred'::regnamespace")|$(q -c "SELECT count(*) FROM pg_proc WHERE pronamespace = 'microcred'::regnamespace")|$(q -c "SELECT count(*) FROM pg_type WHERE typnamespace = 'microcred'::regnamespace")" \
   "0|0|0" "DROP EXTENSION leaves the schema microcred empty (no orphan status list sequence)"
q -c "DROP SCHEMA microcred" >/dev/null
ok "$(snapshot)" "$before" "then DROP SCHEMA microcred leaves no class, function, type, schema, dependency, comment, policy, trigger or privilege behind"

# 3. the KEK path is shown to superusers only
psql -X -q -d postgres -c "CREATE ROLE regress_hy_user LOGIN"
ok "$(psql -X -At -d postgres -c "SHOW shared_preload_libraries")" microcred "the test cluster preloads the library, as README says"
ok "$(psql -X -At -U regress_hy_user -d postgres -c "SHOW microcred.kek_file" 2>&1 | grep -c 'must be superuser\|permission denied')" 1 \
   "a non-superuser cannot read microcred.kek_file"
ok "$(psql -X -At -U regress_hy_user -d postgres -c "SELECT count(*) FROM pg_settings WHERE name = 'microcred.kek_file'" 2>&1)" 0 \
   "... nor find it in pg_settings"

# 4. build dependencies and META.json
ok "$(cat pg_extension/*.c pg_extension/*.h | sed -n 's/^#include <\([^>]*\)>.*/\1/p' | sort -u |
      grep -Ev '^(openssl/|zlib\.h$|(assert|ctype|errno|fcntl|float|inttypes|limits|math|stdarg|stdbool|stddef|stdint|stdio|stdlib|string|strings|time|unistd|sys/mman|sys/stat|sys/types)\.h$)')" "" \
   "the extension's C includes only OpenSSL, zlib and C library headers (besides PostgreSQL's)"
ok "$(make -n -s extension NO_BRIDGE=1 2>/dev/null | grep -c 'lti_bridge')" 0 "make extension does not build the bridge"
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" microcred.control)
ok "$(python3 -c 'import json; m = json.load(open("META.json")); print(m["name"], m["version"], m["provides"]["microcred"]["version"], m["provides"]["microcred"]["file"], m["meta-spec"]["version"])')" \
   "microcred $version.0 $version.0 microcred--$version.sql 1.0.0" "META.json (PGXN) names the current version and its install script"

# 5. every view column has a comment; 6. retired keys show in the reports
q -c "CREATE EXTENSION microcred" >/dev/null
ok "$(q -c "SELECT string_agg(c.relname || '.' || a.attname, ' ') FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
             WHERE c.relnamespace = 'microcred'::regnamespace AND c.relkind = 'v' AND col_description(c.oid, a.attnum) IS NULL")" "" \
   "every column of every view carries a comment"
ok "$(q -c "SELECT count(*) > 100 FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
             WHERE c.relnamespace = 'microcred'::regnamespace AND c.relkind = 'v'")" t "(there are over 100 of them)"
q -q -f tests/demo.sql >/dev/null 2>&1
ok "$(q -c "SELECT string_agg(DISTINCT signing_key_state, ',') FROM microcred.issued_credentials_report")" active "the demo's credentials show an active signing key"
out=$(q -c "SELECT microcred.generate_key('demo-uas')" -c "SELECT microcred.retire_key(id) FROM microcred.issuer_keys WHERE state = 'standby'" 2>&1 >/dev/null)
active=$(q -c "SELECT count(*) FROM microcred.issued_credential WHERE status = 'active' AND superseded_by IS NULL")
ok "$(printf '%s' "$out" | grep -c "WARNING:  $active active credential(s) signed with the retired key no longer verify")|$(printf '%s' "$out" | grep -c 'HINT:.*microcred.supersede(id')" "1|1" \
   "retire_key warns with the count of active credentials it affects, pointing to supersede"
ok "$(q -c "SELECT string_agg(DISTINCT signing_key_state, ',') FROM microcred.issued_credentials_report")|$(q -c "SELECT bool_or((microcred.verify(document)).valid) FROM microcred.issued_credential")" \
   "retired|f" "the reports show them as signed by a retired key (and indeed they no longer verify)"
id=$(q -c "SELECT id FROM microcred.issued_credentials_report WHERE signing_key_state = 'retired' AND status = 'active' LIMIT 1")
new=$(q -c "SELECT microcred.supersede('$id', reason => 'signing key retired')")
ok "$(q -c "SELECT signing_key_state FROM microcred.issued_credentials_report WHERE id = '$new'")|$(q -c "SELECT (microcred.verify(document)).valid FROM microcred.issued_credential WHERE id = '$new'")" \
   "active|t" "supersede re-issues it with the active key"
echo "1..$n"
