#!/bin/bash
# The shape of the install script (issue "one concern per file"): the parts
# of pg_extension/scripts/ are organised by object, in dependency order.
#
# Checked (failures):
#   1. every part starts with a header naming its own file
#      ("microcred install script, NN_name.sql: ...");
#   2. no ALTER TABLE ... ADD COLUMN in the install script: every table is
#      complete in its CREATE TABLE (ADD COLUMN belongs in upgrade parts);
#   3. every C binding (CREATE FUNCTION ... LANGUAGE C) is in 15_bindings.sql;
#   4. no forward reference: every microcred function a statement names
#      (a call microcred.f( in a SQL or PL/pgSQL body, a view, a default, a
#      trigger's EXECUTE FUNCTION, a policy, a grant) is created in the same
#      part or an earlier one.  Functions are matched by name (overloads are
#      not told apart); names in comments, COMMENT ON statements and string
#      literals (error hints) do not count.
# Warnings (TAP comments, never failures):
#   - parts over MAX_PART_BYTES (20 KB by default; not the generated
#     65_contexts.sql, which is data);
#   - a C binding not under the "-- file.c ---" section of the C file that
#     has its PG_FUNCTION_INFO_V1 (the grouping by C file).
set -u
cd "$(dirname "$0")/../.."
MAX_PART_BYTES=${MAX_PART_BYTES:-20480} python3 - <<'PY'
import importlib.util, glob, os, re
spec = importlib.util.spec_from_file_location('replay', 'pg_extension/upgrade/replay.py')
replay = importlib.util.module_from_spec(spec); spec.loader.exec_module(replay)
max_bytes = int(os.environ['MAX_PART_BYTES'])
n = 0
def ok(cond, name, detail=()):
    global n
    n += 1
    print(('ok %d - %s' if cond else 'not ok %d - %s') % (n, name))
    if not cond:
        for d in list(detail)[:30]:
            print('#   ' + d)

parts = sorted(glob.glob('pg_extension/scripts/[0-9]*.sql'))
ok(len(parts) > 10 and any(p.endswith('65_contexts.sql') for p in parts), 'the parts are there, with the generated contexts (run make first)')

# C symbol -> C file (wherever the C files are)
cfile = {}
for c in glob.glob('pg_extension/**/*.c', recursive=True):
    for m in re.finditer(r'PG_FUNCTION_INFO_V1\((\w+)\)', open(c, errors='replace').read()):
        cfile[m.group(1)] = os.path.basename(c)

defined = {}          # function name -> index of the part creating it first
stmts = []            # (part index, part, statement)
bad_header, big, addcol, c_elsewhere, c_ungrouped = [], [], [], [], []
for i, p in enumerate(parts):
    name = os.path.basename(p)
    text = open(p).read()
    if not re.match(r'(/\*\n \*|--) microcred install script, ' + re.escape(name) + ':', text):
        bad_header.append(name)
    if len(text.encode()) > max_bytes and name != '65_contexts.sql':
        big.append('%s is %d bytes (over %d)' % (name, len(text.encode()), max_bytes))
    section = None
    for st in replay.statements(text):
        body = replay.strip_leading_comments(st)
        # the section comment in force for this statement (15_bindings.sql)
        for m in re.finditer(r'^-- (\w+\.c) -+$', st, re.M):
            section = m.group(1)
        if re.match(r'ALTER\s+TABLE\b[^;]*\bADD\s+COLUMN\b', body, re.I | re.S):
            addcol.append('%s: %s' % (name, ' '.join(body.split())[:100]))
        m = re.match(r'CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+microcred\.(\w+)\s*\(', body, re.I)
        if m:
            defined.setdefault(m.group(1), i)
            if re.search(r'\bLANGUAGE\s+C\b', body):
                if name != '15_bindings.sql':
                    c_elsewhere.append('%s: microcred.%s' % (name, m.group(1)))
                sym = re.search(r"'MODULE_PATHNAME',\s*'(\w+)'", body)
                if sym and cfile.get(sym.group(1)) != section:
                    c_ungrouped.append('microcred.%s (%s) is under "%s"' % (m.group(1), cfile.get(sym.group(1), 'no C file'), section))
        stmts.append((i, name, body))

ok(not bad_header, 'every part starts with a header naming its own file', bad_header)
ok(not addcol, 'no ALTER TABLE ... ADD COLUMN in the install script (columns go into CREATE TABLE)', addcol)
ok(not c_elsewhere, 'every C binding (LANGUAGE C) is in 15_bindings.sql', c_elsewhere)
ok(len(defined) > 100, 'functions found in the parts (the check below is not vacuous)')
fwd = []
for i, name, body in stmts:
    m = re.match(r'CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+microcred\.(\w+)', body, re.I)
    own = m.group(1) if m else None
    if re.match(r'COMMENT\s+ON\b', body, re.I):
        continue
    # string literals (hints, messages) and comments inside bodies do not count
    code = re.sub(r"'(?:[^']|'')*'", "''", re.sub(r'--[^\n]*', '', body))
    # a table of the same name as a function (CREATE TABLE t (, INDEX ON t (,
    # REFERENCES t () is not a call
    refs = set(m.group(1) for m in re.finditer(r'microcred\.(\w+)\s*\(', code)
               if not re.search(r'\b(TABLE|ON|REFERENCES)\s+$', code[:m.start()], re.I))
    for ref in refs:
        if ref == own or ref not in defined:
            continue
        if defined[ref] > i:
            fwd.append('%s names microcred.%s of the later %s' % (name, ref, os.path.basename(parts[defined[ref]])))
ok(not fwd, 'no part names a function of a later part', sorted(set(fwd)))
for w in big:
    print('# warning: ' + w)
for w in c_ungrouped:
    print('# warning: C binding not grouped by its C file: ' + w)
print('1..%d' % n)
PY
