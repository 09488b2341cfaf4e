#!/bin/sh
# pg_extension/contexts/to_sql.sh: the install-script part that bundles the
# JSON-LD context documents of this directory (urls.txt maps file to URL).
# Run by make (pg_extension/scripts/65_contexts.sql is generated, not committed).
#
#   to_sql.sh data     only the INSERT of the documents, for an upgrade script:
#                      made idempotent (ON CONFLICT ... DO UPDATE), it brings an
#                      updated database the bundled contexts of the new version
set -eu
cd "$(dirname "$0")"
mode=${1:-part}
if [ "$mode" = data ]; then
    echo "-- the bundled JSON-LD contexts of this version (pg_extension/contexts/to_sql.sh data)"
    echo "INSERT INTO microcred.jsonld_context (url, document, bundled) VALUES"
else
cat <<'HEAD'
/*
 * microcred install script, 65_contexts.sql: the bundled JSON-LD context
 * documents, into the table of 11_catalog.sql.  GENERATED at build time by
 * pg_extension/contexts/to_sql.sh from pg_extension/contexts/ (not committed);
 * edit those files.  Each document is stored under the exact URL it is served
 * at; JSON-LD processing resolves no other URL (no network).
 */

INSERT INTO microcred.jsonld_context (url, document, bundled) VALUES
HEAD
fi
first=1
grep -v '^#' urls.txt | while read -r file url; do
    [ -n "$file" ] || continue
    if grep -q '\$context\$' "$file"; then
        echo "to_sql.sh: $file contains the quote tag \$context\$" >&2
        exit 1
    fi
    if [ $first -eq 0 ]; then printf ',\n'; fi
    first=0
    printf "    ('%s', \$context\$" "$url"
    cat "$file"
    printf '$context$, true)'
done
if [ "$mode" = data ]; then
    printf '\nON CONFLICT ON CONSTRAINT jsonld_context_pkey DO UPDATE\n    SET document = EXCLUDED.document, bundled = true;\n'
else
    printf ';\n'
fi
