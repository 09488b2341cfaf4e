#!/bin/bash
# tests/run_demo.sh: `make run`.  A local PostgreSQL cluster under .run/ (kept
# between runs, git-ignored) with the microcred extension and the demo data;
# prints how to connect, then stays up until Ctrl-C and stops the cluster.
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
    echo "microcred.kek_file = '$dir/kek.hex'" >>"$dir/data/postgresql.conf"
fi
cluster_stop "$dir"      # a cluster left running by an earlier, killed run
cluster_start "$dir"
stop() {
    echo
    echo "== stopping the cluster"
    cluster_stop "$dir"
}
trap stop EXIT
trap 'exit 0' INT TERM

if ! psql -X -q -d microcred -c 'SELECT 1' >/dev/null 2>&1; then
    createdb microcred
fi
# the demo: once; a cluster that already has it keeps its data
if [ "$(psql -X -At -d microcred -c "SELECT count(*) FROM pg_extension WHERE extname = 'microcred'")" = 0 ]; then
    echo "== loading the demo (tests/demo.sql)"
    psql -X -q -d microcred -f tests/demo.sql >/dev/null
else
    psql -X -q -d microcred -c 'ALTER EXTENSION microcred UPDATE' >/dev/null 2>&1 || true
fi

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
psql -X -d microcred -c "SELECT v.valid, v.trusted, v.format, v.cryptosuite, c->>'check' AS check, c->>'result' AS result, c->>'reason' AS reason
  FROM microcred.issued_credential ic, microcred.verify(ic.document) v, jsonb_array_elements(v.checks) c
 WHERE ic.idempotency_key = 'demo:GDPR-NURSE:D2026-0042'"

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
