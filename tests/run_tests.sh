#!/bin/bash
# tests/run_tests.sh SUITE...: run every microcred test against a throwaway
# cluster and print a closing line "N passed, N failed".
#
#   1. pg_regress suites (sql/ + expected/) against a fresh cluster
#   2. unit tests and conformance drivers (tests/bin/*, TAP output)
#   3. the bridge: its unit tests, corpus replays and the daemon test
#   4. shell tests (tests/t/*.sh, TAP output, through prove when installed),
#      which get the cluster too
#
# The extension is installed into a private copy of the PostgreSQL server
# (tests/lib/tmp_install.sh), never into the system's; the cluster lives in a
# temporary directory and is stopped on every exit.
# MICROCRED_ONLY="events bridge_launch" runs only those shell tests (and
# the pg_regress suites named as arguments), skipping stages 2 and 3.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
. tests/lib/tmp_install.sh

tmp=$(mktemp -d /tmp/microcred-test.XXXXXX)
chmod 755 "$tmp"
echo "== temporary installation in $tmp/inst"
tmp_install "$tmp/inst" || { rm -rf "$tmp"; exit 1; }
. tests/lib/cluster.sh
cleanup() {
    cluster_stop "$tmp/pg"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
skipped=0
failures=()

# TAP: count "ok"/"not ok" lines of one program's output
count_tap() {
    name=$1
    out=$2
    rc=$3
    p=$(grep -E '^ok [0-9]+' "$out" | grep -vc '# SKIP' || true)
    s=$(grep -E '^ok [0-9]+' "$out" | grep -c '# SKIP' || true)
    f=$(grep -cE '^not ok [0-9]+' "$out" || true)
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
    fi
    passed=$((passed + p))
    skipped=$((skipped + s))
    failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
        failures+=("$name")
        echo "--- $name: $f failed"
        if grep -qE '^not ok' "$out"; then
            grep -E '^not ok|^#' "$out" | head -40
        else    # it stopped (exit status, plan): show how it ended
            grep -vE '^ok ' "$out" | tail -15
        fi
    else
        printf '%-40s %4d passed' "$name" "$p"
        [ "$s" -gt 0 ] && printf ', %d skipped' "$s"
        printf '\n'
    fi
}

echo "== throwaway cluster in $tmp/pg (OS user $CLUSTER_OSUSER)"
cluster_init "$tmp/pg" || exit 1
# a key-encryption key for the tests, readable only by the server's OS user
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/pg/kek.hex"
chmod 600 "$tmp/pg/kek.hex"
[ "$(id -u)" -eq 0 ] && chown "$CLUSTER_OSUSER" "$tmp/pg/kek.hex"
printf "shared_preload_libraries = 'microcred'\nmicrocred.kek_file = '%s'\n" "$tmp/pg/kek.hex" >>"$tmp/pg/data/postgresql.conf"
cluster_start "$tmp/pg" || exit 1

# 1. pg_regress
if [ $# -gt 0 ]; then
    echo "== pg_regress: $*"
    mkdir -p "$tmp/regress"
    "$PG_PKGLIBDIR/pgxs/src/test/regress/pg_regress" \
        --inputdir="$top" --outputdir="$tmp/regress" --bindir="$PG_BINDIR" \
        --host="$PGHOST" --port="$PGPORT" --user=postgres \
        --dbname=microcred_regression "$@" >"$tmp/regress/out.txt" 2>&1
    rc=$?
    cat "$tmp/regress/out.txt" | grep -E '^(ok|not ok|test|     ) ' || cat "$tmp/regress/out.txt"
    p=$(grep -E '\.\.\. ok|^ok ' "$tmp/regress/out.txt" | wc -l)
    f=$(grep -E '\.\.\. FAILED|^not ok |\.\.\. failed' "$tmp/regress/out.txt" | wc -l)
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
        failures+=("pg_regress")
        if [ -f "$tmp/regress/regression.diffs" ]; then
            cp "$tmp/regress/regression.diffs" "$top/regression.diffs"
            rm -rf "$top/results"; cp -r "$tmp/regress/results" "$top/results"
            head -150 "$top/regression.diffs"
            echo "(full diff in regression.diffs, actual output in results/)"
        fi
    fi
fi

only=${MICROCRED_ONLY:-}
# 2. unit tests and conformance drivers
if [ -z "$only" ] && ls tests/bin/* >/dev/null 2>&1; then
    echo "== unit and conformance tests"
    for prog in tests/bin/*; do
        [ -f "$prog" ] && [ -x "$prog" ] || continue
        name=$(basename "$prog")
        "$prog" >"$tmp/$name.out" 2>&1
        count_tap "$name" "$tmp/$name.out" $?
    done
fi

# 3. the bridge: unit tests, fuzz corpus replays, and the daemon against the cluster
if [ -z "$only" ] && ls lti_bridge/test_* >/dev/null 2>&1; then
    echo "== bridge tests"
    for prog in lti_bridge/test_* lti_bridge/replay_*; do
        [ -f "$prog" ] && [ -x "$prog" ] || continue
        name=bridge_$(basename "$prog")
        "$prog" >"$tmp/$name.out" 2>&1
        count_tap "$name" "$tmp/$name.out" $?
    done
    if [ -f tests/bridge/test_daemon.sh ]; then
        bash tests/bridge/test_daemon.sh >"$tmp/bridge_daemon.out" 2>&1
        count_tap bridge_daemon "$tmp/bridge_daemon.out" $?
    fi
fi

# 4. shell tests against the running cluster, through prove (Perl's TAP
# harness) when it is installed
prove=$(command -v prove || true)
if ls tests/t/*.sh >/dev/null 2>&1; then
    echo "== shell tests${prove:+ (through prove)}"
    for t in tests/t/*.sh; do
        name=$(basename "$t" .sh)
        if [ -n "$only" ] && [[ " $only " != *" $name "* ]]; then continue; fi
        if [ -n "$prove" ]; then
            # prove also checks the plan and the numbering of the TAP stream
            TEST_TMP="$tmp" prove --exec bash --verbose "$t" >"$tmp/$name.out" 2>&1
        else
            TEST_TMP="$tmp" bash "$t" >"$tmp/$name.out" 2>&1
        fi
        count_tap "$name" "$tmp/$name.out" $?
    done
fi

echo
if [ ${#failures[@]} -gt 0 ]; then
    echo "failed: ${failures[*]}"
fi
if [ $((passed + failed)) -eq 0 ]; then
    echo "no test ran"
    echo "0 passed, 1 failed"
    exit 1
fi
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
