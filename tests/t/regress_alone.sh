#!/bin/bash
# Every pg_regress suite also runs alone, so that standalone-ness cannot rot:
# each suite of the Makefile's REGRESS once by itself, on a fresh database of
# the cluster of tests/run_tests.sh (PGHOST, PGPORT, PGUSER), as
# `make installcheck REGRESS=NAME` would run it.  sql/fixtures/standalone.sql
# then replays the suites NAME builds on before NAME runs; its output must be
# its expected file, exactly as in make test's chain.  The cluster-wide
# regression roles are dropped after each suite.  Bounded: each suite gets
# ALONE_TIMEOUT seconds (300); MICROCRED_ALONE="stack lti" runs only those.
set -u
cd "$(dirname "$0")/../.."
top=$(pwd)
n=0
pg_regress=${PG_PKGLIBDIR:-$(pg_config --pkglibdir)}/pgxs/src/test/regress/pg_regress
suites=${MICROCRED_ALONE:-$(make -s --no-print-directory --eval 'print-regress: ; @echo $(strip $(REGRESS))' print-regress NO_BRIDGE=1 2>/dev/null | tail -1)}
roles=$(grep -o 'regress_mc_[a-z_]*' sql/*.sql | sed 's/.*://' | sort -u | tr '\n' ' ')
tmp=$(mktemp -d)
dropall() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS mc_regress_alone" 2>/dev/null
    for r in $roles; do psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" 2>/dev/null; done
}
trap 'dropall; rm -rf "$tmp"' EXIT
[ -x "$pg_regress" ] || { echo "1..0 # SKIP no pg_regress at $pg_regress"; exit 0; }
[ -n "$suites" ] || { echo "not ok 1 - the suites of REGRESS are found"; echo "1..1"; exit 1; }
for s in $suites; do
    n=$((n + 1))
    dropall
    mkdir -p "$tmp/$s"
    timeout "${ALONE_TIMEOUT:-300}" "$pg_regress" --inputdir="$top" --outputdir="$tmp/$s" \
        --host="$PGHOST" --port="$PGPORT" --user="${PGUSER:-postgres}" \
        --dbname=mc_regress_alone "$s" >"$tmp/$s/out.txt" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        echo "ok $n - suite $s runs alone on a fresh database"
    else
        echo "not ok $n - suite $s runs alone on a fresh database (rc $rc)"
        { cat "$tmp/$s/regression.diffs" 2>/dev/null || cat "$tmp/$s/out.txt"; } | head -40 | sed 's/^/#   /'
    fi
done
echo "1..$n"
