# tests/lib/schema_dump.sh: a normalised description of everything the
# microcred extension owns in a database, for comparing an upgraded database
# with a fresh install.  Sourced by tests.
#
#   schema_dump DB      prints the description on stdout
#
# pg_dump --binary-upgrade is the one pg_dump mode that writes extension
# member objects one by one (tables with every column in order, constraints,
# indexes, triggers, policies, functions, views, types, grants, comments,
# extension config-dump registrations).  Normalised away: OID assignments,
# the random \restrict key, comments, physical leftovers of dropped columns
# and the extension's version string; the extension's config-dump tables are
# listed by name instead of by OID.  Statements are then sorted, so that
# tie-breaks of pg_dump's sort between objects of equal rank (which follow
# OIDs) cannot show up as differences.

schema_dump() {
    db=$1
    {
        pg_dump --binary-upgrade --schema-only --no-tablespaces -d "$db"
        # which tables' rows pg_dump will dump, by name (the dump above has OIDs)
        psql -X -At -d "$db" -c "SELECT '-- config dump: ' || c::regclass || ' ' || coalesce(nullif(w, ''), 'WHERE true')
            FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS u(c, w)
           WHERE e.extname = 'microcred' ORDER BY 1"
    } | python3 -c '
import re, sys
text = sys.stdin.read()
keep = [l for l in text.split("\n") if l.startswith("-- config dump: ")]
out = []
for chunk in re.split(r"\n\s*\n", text):
    # the fix-ups binary-upgrade dumps emit for dropped columns (before the
    # line filter below removes the line that names the dropped column)
    if re.search(r"attname = .\.{8}pg\.dropped\.", chunk) or re.search(r"DROP COLUMN \"\.{8}pg\.dropped\.", chunk):
        continue
    lines = []
    for l in chunk.split("\n"):
        if not l.strip() or l.startswith("--") or l.startswith("\\restrict") or l.startswith("\\unrestrict"):
            continue
        if "binary_upgrade_set_next_" in l or "binary_upgrade_set_record_init_privs" in l:
            continue
        if "binary_upgrade_create_empty_extension" in l or "binary_upgrade_set_missing_value" in l:
            continue
        # sequence positions are data, not schema
        if "pg_catalog.setval(" in l:
            continue
        # a column dropped by an upgrade is kept physically; it is no difference
        if "pg.dropped." in l:
            continue
        lines.append(l)
    s = "\n".join(lines).strip()
    if not s:
        continue
    # transaction-id horizons binary-upgrade dumps carry per table
    if "relfrozenxid" in s:
        continue
    # the fix-ups binary-upgrade dumps emit for dropped columns
    if re.search(r"attname = .\.{8}pg\.dropped\.", s) or re.search(r"DROP COLUMN \"\.{8}pg\.dropped\.", s):
        continue
    # a trailing comma left behind by a dropped last column
    s = re.sub(r",\n\);", "\n);", s)
    out.append(s)
for s in sorted(out) + keep:
    print(s)
    print()
'
}
