#!/bin/bash
# The shape of the C code (issue "one concern per file"), as a warning list
# and two hard rules.
#
# Warnings (printed as TAP comments, never failures): C files of the
# extension and the bridge over MAX_FILE_LINES lines, functions over
# MAX_FUNC_LINES lines.  Functions are found the way the code is written
# (PostgreSQL style: the name line ends with ')' and the body opens with '{'
# alone at column 0 and closes with '}' at column 0).
#
# Hard rules (failures):
#   1. the pure cores include no PostgreSQL header: a file that includes
#      postgres.h (or fmgr.h, executor/, utils/...) must be a *_sql.c file or
#      microcred.c, so the cores stay testable and fuzzable outside the server;
#   2. the #include graph of pg_extension/ and of lti_bridge/ has no cycle
#      between modules (a module is a .c/.h pair: foo.c and foo.h are "foo";
#      an edge foo -> bar when foo.c or foo.h includes "bar.h").
#
#   tests/t/code_shape.sh            TAP, as run by make test
#   MAX_FILE_LINES=1200 MAX_FUNC_LINES=150 (defaults)
set -u
cd "$(dirname "$0")/../.."
max_file=${MAX_FILE_LINES:-1200}
max_func=${MAX_FUNC_LINES:-150}
n=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; printf '%s\n' "$1" | sed 's/^/#   /' | head -30; fi; }

files=$(ls pg_extension/*.c lti_bridge/*.c 2>/dev/null; ls pg_extension/*/*.c lti_bridge/*/*.c 2>/dev/null)
long_files=0
long_funcs=0
for f in $files; do
    lines=$(wc -l <"$f")
    if [ "$lines" -gt "$max_file" ]; then
        echo "# warning: $f has $lines lines (over $max_file)"
        long_files=$((long_files + 1))
    fi
done
while IFS= read -r w; do
    [ -n "$w" ] || continue
    echo "# warning: $w"
    long_funcs=$((long_funcs + 1))
done < <(awk -v max="$max_func" '
    FNR == 1 { name = ""; start = 0; prev = ""; decl = "" }
    /^[A-Za-z_].*\(/ { decl = $0 }
    /^\{/ && prev ~ /\)[[:space:]]*$/ {
        name = decl; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name); start = FNR
    }
    /^\}/ && start {
        if (FNR - start > max) printf "%s:%d %s() has %d lines (over %d)\n", FILENAME, start, name, FNR - start, max
        start = 0
    }
    { prev = $0 }' $files)
echo "# $long_files files over $max_file lines, $long_funcs functions over $max_func lines (warnings)"

# 1. no PostgreSQL header in a pure core
bad=$(grep -lE '^#include[[:space:]]+[<"](postgres\.h|fmgr\.h|funcapi\.h|executor/|utils/|access/|catalog/|miscadmin\.h)' pg_extension/*.c pg_extension/*.h 2>/dev/null |
      grep -vE '(_sql\.c|/microcred\.c|mc_sql\.h)$' || true)
ok "$bad" "" "pure cores include no PostgreSQL header (only *_sql.c, microcred.c, mc_sql.h do)"

# 2. no include cycle between modules
cycle_check() {
    dir=$1
    python3 - "$dir" <<'PY'
import os, re, sys
d = sys.argv[1]
mods = {}
for f in sorted(os.listdir(d)):
    if not f.endswith((".c", ".h")):
        continue
    m = f[:-2]
    for line in open(os.path.join(d, f), errors="replace"):
        r = re.match(r'\s*#\s*include\s+"([^"]+)\.h"', line)
        if r and os.path.basename(r.group(1)) != m:
            mods.setdefault(m, set()).add(os.path.basename(r.group(1)))
    mods.setdefault(m, set())
# Tarjan-free: DFS with colours, report the first cycle found
WHITE, GREY, BLACK = 0, 1, 2
col = {m: WHITE for m in mods}
stack = []
def dfs(u):
    col[u] = GREY; stack.append(u)
    for v in sorted(mods.get(u, ())):
        if v not in col:
            continue
        if col[v] == GREY:
            return stack[stack.index(v):] + [v]
        if col[v] == WHITE:
            c = dfs(v)
            if c:
                return c
    stack.pop(); col[u] = BLACK
    return None
for m in sorted(mods):
    if col[m] == WHITE:
        c = dfs(m)
        if c:
            print(" -> ".join(c))
            break
PY
}
ok "$(cycle_check pg_extension)" "" "pg_extension/: the #include graph between modules has no cycle"
ok "$(cycle_check lti_bridge)" "" "lti_bridge/: the #include graph between modules has no cycle"
echo "1..$n"
