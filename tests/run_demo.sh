#!/bin/bash
# tests/run_demo.sh: `make run`.  A local PostgreSQL cluster under .run/ (kept
# between runs, git-ignored) with the microcred extension and the demo data;
# starts microcred-bridge on 127.0.0.1:8080 (the demo issuer's base URL),
# fetches the demo credential and its status list through it and verifies
# them, prints how to connect, then stays up until Ctrl-C and stops both.
# MICROCRED_RUN_ONCE=1 stops right after the demo (for scripted checks).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
. tests/lib/cluster.sh

dir="$top/.run"
CLUSTER_PORT=${MICROCRED_PORT:-54321}
if [ ! -f "$dir/data/PG_VERSION" ]; then
    echo "== creating a local cluster in $dir (OS user $CLUSTER_OSUSER)"
    rm -rf "$dir"
    cluster_init "$dir"
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/kek.hex"
    chmod 600 "$dir/kek.hex"
    [ "$(id -u)" -eq 0 ] && chown "$CLUSTER_OSUSER" "$dir/kek.hex"
    printf "shared_preload_libraries = 'microcred'\nmicrocred.kek_file = '%s'\n" "$dir/kek.hex" >>"$dir/data/postgresql.conf"
fi
# key operations need the library preloaded (clusters made before that rule lack the line)
grep -q "^shared_preload_libraries = 'microcred'" "$dir/data/postgresql.conf" ||
    echo "shared_preload_libraries = 'microcred'" >>"$dir/data/postgresql.conf"
cluster_stop "$dir"      # a cluster left running by an earlier, killed run
cluster_start "$dir"
bridge_pid=
stop() {
    echo
    if [ -n "$bridge_pid" ]; then
        echo "== stopping the bridge"
        kill -TERM "$bridge_pid" 2>/dev/null || true
        wait "$bridge_pid" 2>/dev/null || true
    fi
    echo "== stopping the cluster"
    cluster_stop "$dir"
}
trap stop EXIT
trap 'exit 0' INT TERM

# an existing demo database is kept: a newer extension version is applied
# with ALTER EXTENSION ... UPDATE, as on any production database.  Only when
# the install script of the *same* version changed (a development checkout of
# an unreleased version) is the demo database made again.
want_version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" microcred.control)
script_sum=$(sha256sum "$("$PG_CONFIG" --sharedir)/extension/microcred--$want_version.sql" 2>/dev/null | cut -c1-64)
have_version=$(psql -X -At -d microcred -c "SELECT extversion FROM pg_extension WHERE extname = 'microcred'" 2>/dev/null || true)
if [ -n "$have_version" ] && [ "$have_version" != "$want_version" ]; then
    echo "== updating the demo database's extension from $have_version to $want_version (ALTER EXTENSION microcred UPDATE)"
    psql -X -q -v ON_ERROR_STOP=1 -d microcred -c 'ALTER EXTENSION microcred UPDATE'
elif [ -n "$have_version" ] && [ -n "$script_sum" ] && [ "$(cat "$dir/demo.script-sum" 2>/dev/null)" != "$script_sum" ]; then
    echo "== the unreleased version $want_version changed since the demo database was made: making it again"
    psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS microcred' >/dev/null
    rm -f "$dir/demo-xapi.secret"
fi
if ! psql -X -q -d microcred -c 'SELECT 1' >/dev/null 2>&1; then
    createdb microcred
fi
# the demo: once; a cluster that already has it keeps its data
if [ "$(psql -X -At -d microcred -c "SELECT count(*) FROM pg_extension WHERE extname = 'microcred'")" = 0 ]; then
    echo "== loading the demo (tests/demo.sql)"
    psql -X -q -d microcred -f tests/demo.sql >/dev/null
fi
[ -n "$script_sum" ] && printf '%s\n' "$script_sum" >"$dir/demo.script-sum"

echo
echo "== the demo issuer"
psql -X -d microcred -c "SELECT handle, legal_name, country, region, public_id FROM microcred.issuers_report"
echo "== its micro-credential types (every EU standard element: SELECT * FROM microcred.credential_types_report)"
psql -X -d microcred -c "SELECT code, title, ects, eqf_level, qf_ehea_cycle, assessment, participation, quality_assurance FROM microcred.credential_types_report ORDER BY code"
echo "== its learners"
psql -X -d microcred -c "SELECT id, given_name, family_name, email, student_id FROM microcred.learner"

echo "== the demo credential, as issued (Open Badges 3.0, eddsa-rdfc-2022)"
psql -X -At -d microcred -c "SELECT jsonb_pretty(document) FROM microcred.issued_credential WHERE idempotency_key = 'demo:GDPR-NURSE:D2026-0042'"
echo
echo "== and its verification"
psql -X -d microcred -c "SELECT v.valid, v.format, v.cryptosuite, c->>'check' AS check, c->>'result' AS result, c->>'reason' AS reason
  FROM microcred.issued_credential ic, microcred.verify(ic.document) v, jsonb_array_elements(v.checks) c
 WHERE ic.idempotency_key = 'demo:GDPR-NURSE:D2026-0042'"

# the bridge, as a login role that may only read public resources
bridge_port=8080
psql -X -q -d microcred -c "DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'microcred_bridge_demo') THEN
        CREATE ROLE microcred_bridge_demo LOGIN IN ROLE microcred_bridge;
    END IF; END \$\$" >/dev/null ||
    echo "warning: no role microcred_bridge: $dir holds an older microcred; remove $dir to start afresh" >&2
cat >"$dir/bridge.conf" <<EOC
# microcred-bridge for make run (see docs/BRIDGE.md)
listen_address = 127.0.0.1
listen_port = $bridge_port
public_base_url = http://127.0.0.1:$bridge_port
db_conninfo = "host=$dir port=$CLUSTER_PORT user=microcred_bridge_demo dbname=microcred"
threads = 2
EOC
echo
echo "== starting microcred-bridge on http://127.0.0.1:$bridge_port (log: $dir/bridge.log)"
lti_bridge/microcred-bridge -c "$dir/bridge.conf" 2>>"$dir/bridge.log" &
bridge_pid=$!
up=0
for _ in $(seq 50); do
    kill -0 "$bridge_pid" 2>/dev/null || break
    if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$bridge_port/healthz"; then up=1; break; fi
    sleep 0.1
done
if [ "$up" = 1 ]; then
    cid=$(psql -X -At -d microcred -c "SELECT id FROM microcred.issued_credential WHERE idempotency_key = 'demo:GDPR-NURSE:D2026-0042'")
    doc=$(curl -s --max-time 10 "http://127.0.0.1:$bridge_port/credentials/$cid")
    list_url=$(psql -X -At -d microcred -c "SELECT coalesce(document->'credentialStatus'->>'statusListCredential', document->'credentialStatus'->0->>'statusListCredential') FROM microcred.issued_credential WHERE id = '$cid'")
    list=$(curl -s --max-time 10 "$list_url")
    echo "== fetched through the bridge and verified"
    printf '%s\n' "SELECT 'credential ' || :'u' AS fetched, (microcred.verify(:'doc'::jsonb)).valid AS valid
                    UNION ALL SELECT 'status list ' || :'l', (microcred.verify(:'list'::jsonb)).valid;" |
        psql -X -d microcred -v doc="$doc" -v list="$list" \
            -v u="http://127.0.0.1:$bridge_port/credentials/$cid" -v l="$list_url" ||
        echo "warning: the documents fetched through the bridge did not parse; see $dir/bridge.log" >&2
    # the bridge's main job: a course completion reported by an LMS becomes a
    # credential, exactly once (a demo Moodle platform, course 101 -> PY-DATA,
    # an xAPI source whose secret stays in $dir, mode 600)
    if [ ! -s "$dir/demo-xapi.secret" ]; then
        psql -X -q -d microcred -v ON_ERROR_STOP=1 >/dev/null <<'SQL' &&
SELECT microcred.lti_map_course(microcred.lti_register_platform('demo-uas', 'Demo Moodle',
    'http://127.0.0.1:8080/demo-moodle', 'demo-client', 'http://127.0.0.1:8080/demo-moodle/auth',
    'http://127.0.0.1:8080/demo-moodle/jwks', NULL, '{demo-deployment}'), '101', 'PY-DATA');
SQL
        (umask 077; psql -X -q -At -d microcred -v ON_ERROR_STOP=1 -c "SELECT secret FROM microcred.event_source_add('demo-uas', 'xapi', 'demo-moodle', (SELECT id FROM microcred.lti_platform WHERE name = 'Demo Moodle'))" >"$dir/demo-xapi.secret") ||
            echo "warning: could not set up the demo LMS" >&2
    fi
    if [ -s "$dir/demo-xapi.secret" ]; then
        stmt='{"id": "8d2c1b6e-5f4a-4c3b-9a1e-000000000101", "actor": {"name": "Grace Demo", "mbox": "mailto:grace.demo@example.org"},
               "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
               "object": {"id": "http://127.0.0.1:8080/demo-moodle/course/view.php?id=101",
                          "definition": {"type": "http://id.tincanapi.com/activitytype/lms/course"}},
               "timestamp": "2026-11-20T10:00:00Z"}'
        echo "== a course completion from an LMS (an xAPI statement as Moodle's logstore_xapi sends it), sent twice"
        for attempt in first again; do
            # the source's secret goes to curl on stdin, not on its command line
            http=$(printf 'user = "demo-moodle:%s"\n' "$(cat "$dir/demo-xapi.secret")" |
                curl -s -o /dev/null -w '%{http_code}' --max-time 10 -K - \
                    -H 'X-Experience-API-Version: 1.0.3' -H 'Content-Type: application/json' \
                    --data "$stmt" "http://127.0.0.1:$bridge_port/xapi/statements") || http=000
            echo "    POST /xapi/statements ($attempt): HTTP $http"
        done
        psql -X -d microcred -c "SELECT e.state, e.reason, e.credential_ids[1] AS credential,
               (SELECT count(*) FROM microcred.issued_credential ic JOIN microcred.learner l ON l.id = ic.learner_id
                 WHERE l.email = 'grace.demo@example.org') AS credentials_of_the_learner,
               (microcred.verify(ic.document)).valid AS verifies
          FROM microcred.completion_event e LEFT JOIN microcred.issued_credential ic ON ic.id = e.credential_ids[1]
         WHERE e.event_key = '8d2c1b6e-5f4a-4c3b-9a1e-000000000101'"
    fi
    echo "The bridge serves (no login):"
    echo "    http://127.0.0.1:$bridge_port/credentials/$cid"
    echo "    http://127.0.0.1:$bridge_port/issuers/demo-uas"
    echo "    $list_url"
    echo "    http://127.0.0.1:$bridge_port/healthz   http://127.0.0.1:$bridge_port/metrics"
    echo "and to LMS platforms (LTI 1.3; behind TLS in production, see docs/DEPLOY.md):"
    echo "    login initiation  http://127.0.0.1:$bridge_port/lti/login"
    echo "    launch/redirect   http://127.0.0.1:$bridge_port/lti/launch"
    echo "    tool JWKS         http://127.0.0.1:$bridge_port/lti/jwks"
    echo "    Canvas key JSON   http://127.0.0.1:$bridge_port/lti/canvas.json"
    echo "and completion events: POST http://127.0.0.1:$bridge_port/xapi/statements, /canvas/live-events, /moodle/events"
    reg_url=$(psql -X -At -d microcred -c "SELECT url FROM microcred.lti_registration_invite('demo-uas', interval '1 day')" 2>/dev/null) || reg_url=
    [ -n "$reg_url" ] && echo "    Moodle dynamic registration (single use, 1 day): $reg_url"
    echo
else
    echo "microcred-bridge did not start (is port $bridge_port in use?); its log:" >&2
    tail -5 "$dir/bridge.log" >&2 || true
    bridge_pid=
    echo
fi

echo "microcred is running. Connect with:"
echo
echo "    psql -h $dir -p $CLUSTER_PORT -U postgres microcred"
echo
if [ "${MICROCRED_RUN_ONCE:-0}" = 1 ]; then
    exit 0
fi
echo "Press Ctrl-C to stop."
while :; do
    sleep 1 &
    wait $! || true
done
