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
#      an edge foo -> bar when foo.c or foo.h includes "bar.h"; a module's
#      private header foo_internal.h, shared by the files of one core, is
#      part of module "foo");
#   3. every C file of pg_extension/ is in the Makefile's CORE_SRCS (pure
#      cores, built into the unit tests and fuzz targets) or SQL_SRCS (the
#      glue that includes postgres.h), and no file of CORE_SRCS includes
#      mc_sql.h;
#   4. symbols: no object of a pure core references a symbol that only an
#      object of the SQL layer defines, and the SQL-layer objects reference
#      each other without a cycle (nm over the .o files `make` built;
#      skipped when they are missing).
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
    if m.endswith("_internal"):
        m = m[:-len("_internal")]
    for line in open(os.path.join(d, f), errors="replace"):
        r = re.match(r'\s*#\s*include\s+"([^"]+)\.h"', line)
        t = os.path.basename(r.group(1)) if r else None
        if t and t.endswith("_internal"):
            t = t[:-len("_internal")]
        if t and t != m:
            mods.setdefault(m, set()).add(t)
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
# 3. every C file is a pure core or SQL glue, and the cores stay pure
core_srcs=$(make -s --no-print-directory print-core-srcs 2>/dev/null)
sql_srcs=$(make -s --no-print-directory print-sql-srcs 2>/dev/null)
unlisted=""
for f in pg_extension/*.c; do
    case " $core_srcs $sql_srcs " in *" $f "*) ;; *) unlisted="$unlisted $f" ;; esac
done
ok "$unlisted" "" "every pg_extension/*.c is in CORE_SRCS or SQL_SRCS of the Makefile"
bad=$(grep -lE '^#include[[:space:]]+"mc_sql\.h"' $core_srcs 2>/dev/null || true)
ok "$bad" "" "no pure core (CORE_SRCS) includes mc_sql.h"

# 4. symbol-level layering over the built objects
objs_ok=yes
for f in $core_srcs $sql_srcs; do
    o=${f%.c}.o
    if [ ! -f "$o" ] || [ "$o" -ot "$f" ]; then objs_ok=no; break; fi
done
if [ "$objs_ok" = yes ] && command -v nm >/dev/null; then
    layer=$(python3 - $core_srcs -- $sql_srcs <<'PY'
import subprocess, sys
args = sys.argv[1:]
cut = args.index("--")
core = [a[:-2] + ".o" for a in args[:cut]]
sql = [a[:-2] + ".o" for a in args[cut + 1:]]
def syms(o):
    d, u = set(), set()
    for line in subprocess.run(["nm", o], capture_output=True, text=True).stdout.splitlines():
        p = line.split()
        if len(p) == 2 and p[0] == "U":
            u.add(p[1])
        elif len(p) == 3 and p[1] in "TDBR":
            d.add(p[2])
    return d, u
S = {o: syms(o) for o in core + sql}
sqldef = {s: o for o in sql for s in S[o][0]}
bad = []
for o in core:
    for s in sorted(S[o][1]):
        if s in sqldef:
            bad.append("%s uses %s of %s" % (o, s, sqldef[s]))
# cycles between SQL-layer objects
edges = {o: {sqldef[s] for s in S[o][1] if s in sqldef and sqldef[s] != o} for o in sql}
col = {o: 0 for o in sql}
def dfs(u, path):
    col[u] = 1; path.append(u)
    for v in sorted(edges[u]):
        if col[v] == 1:
            return path[path.index(v):] + [v]
        if col[v] == 0:
            c = dfs(v, path)
            if c:
                return c
    col[u] = 2; path.pop()
    return None
for o in sql:
    if col[o] == 0:
        c = dfs(o, [])
        if c:
            bad.append("cycle: " + " -> ".join(c))
            break
print("\n".join(bad))
PY
)
    ok "$layer" "" "symbols: pure cores use nothing of the SQL layer, SQL-layer objects have no cycle (nm)"
else
    n=$((n + 1)); echo "ok $n - symbols layering # SKIP objects not built (run make)"
fi
echo "1..$n"
