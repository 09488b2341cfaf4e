#!/bin/bash
# tests/fuzz/run.sh [target...]: `make fuzz`.  Builds each libFuzzer target
# with clang (ASan + UBSan) and runs it over a copy of its corpus for
# FUZZ_SECONDS (default 60) each.  New inputs that raise coverage are kept in
# tests/fuzz/corpus/<target>/ (review and commit the interesting ones); a
# crash leaves crash-* files in the current directory and fails.
set -eu
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-60}
# the pure cores, as the Makefile lists them (CORE_SRCS)
core=$(make -s --no-print-directory print-core-srcs)
targets=${*:-$(ls tests/fuzz/fuzz_*.c | sed 's|tests/fuzz/fuzz_\(.*\)\.c|\1|')}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
for t in $targets; do
    echo "== fuzz_$t (${secs}s)"
    clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Ipg_extension \
        -DCORPUS_DIR="\"$PWD/tests/fuzz/corpus/$t\"" \
        -o "$out/fuzz_$t" "tests/fuzz/fuzz_$t.c" $core -lcrypto -lz -ljansson
    mkdir -p "tests/fuzz/corpus/$t"
    if ! "$out/fuzz_$t" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=1024 \
            -print_final_stats=1 "tests/fuzz/corpus/$t" 2>"$out/$t.log"; then
        status=1
        tail -40 "$out/$t.log"
    fi
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$out/$t.log" || true
done
exit $status
