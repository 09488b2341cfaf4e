#!/bin/bash
# The versioning policy (README "Upgrading"), checked on every run:
#   - a released version's install script (pg_extension/released/) is frozen:
#     it matches SHA256SUMS, and every frozen script is listed there;
#   - the install script built from pg_extension/scripts/ may only differ from
#     a released one under a new version: if default_version is released, the
#     built script must be that file byte for byte ("changed without a version
#     bump" otherwise);
#   - an unreleased default_version is newer than every released version, and
#     the installed extension has an update path to it from each of them.
# Runs against the cluster of tests/run_tests.sh (PGHOST, PGPORT, PGUSER).
set -u
cd "$(dirname "$0")/../.."
n=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3 (got '$1', want '$2')"; fi; }
current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" microcred.control)
released_dir=pg_extension/released

ok "$(cd $released_dir && sha256sum --quiet -c SHA256SUMS 2>&1)" "" "every frozen install script matches SHA256SUMS"
for f in $released_dir/microcred--*.sql; do
    ok "$(grep -c " $(basename "$f")\$" $released_dir/SHA256SUMS)" 1 "$(basename "$f") is listed in SHA256SUMS"
done

built=microcred--$current.sql
ok "$([ -f "$built" ] && echo built)" built "the install script of $current is built"
if [ -f "$released_dir/microcred--$current.sql" ]; then
    ok "$(cmp -s "$built" "$released_dir/microcred--$current.sql" && echo same)" same \
       "$current is released, so its install script is unchanged (changed without a version bump? make a new version and an upgrade script)"
else
    newest=$(ls $released_dir/microcred--*.sql | sed -n 's/.*microcred--\([^-]*\)\.sql$/\1/p' | sort -V | tail -1)
    ok "$(printf '%s\n%s\n' "$newest" "$current" | sort -V | tail -1)" "$current" \
       "the unreleased version $current is newer than the newest released version $newest"
fi
# every upgrade into the current version ends with the generated replay of
# the install script's functions (pg_extension/upgrade/replay.py)
for d in pg_extension/upgrade/*--"$current"; do
    [ -d "$d" ] || continue
    ok "$(python3 pg_extension/upgrade/replay.py "$built" | cmp -s - "$d/99_replay.sql" && echo current)" current \
       "$d/99_replay.sql is current (regenerate: python3 pg_extension/upgrade/replay.py $built > $d/99_replay.sql)"
done
for r in $(ls $released_dir/microcred--*.sql | sed -n 's/.*microcred--\([^-]*\)\.sql$/\1/p'); do
    [ "$r" = "$current" ] && continue
    ok "$(psql -X -At -d postgres -c "SELECT path IS NOT NULL FROM pg_extension_update_paths('microcred') WHERE source = '$r' AND target = '$current'")" t \
       "an update path leads from the released $r to $current"
    ok "$([ -f "$(pg_config --sharedir)/extension/microcred--$r.sql" ] && echo installed)" installed \
       "the released install script of $r is installed (databases can still be created at $r and updated)"
done
echo "1..$n"
