#!/bin/bash
# A logical backup of a filled microcred database restores, as README "Backup
# and restore" says (pg_restore --single-transaction, psql --single-transaction):
#   - pg_dump writes the rows of every table but the seeded reference data and
#     the document cache (a catalog walk: a new table must be registered);
#   - custom format restored with pg_restore, plain format with psql, into
#     fresh databases of this cluster: every row, every signed document byte
#     for byte, the same verification verdicts, every audit chain intact,
#     no pathway auto-award fired by the rows arriving; then the next revoke
#     re-signs the status list and issuing continues on unused positions;
#   - into a second cluster WITHOUT shared_preload_libraries and with another
#     key-encryption key: restore, verification and the audit work there, key
#     operations refuse with a hint to preload; preloaded with the other KEK,
#     the first signing says the key was sealed under another KEK; with the
#     original KEK file, signing, revoking and issuing work.
# Runs against the cluster of tests/run_tests.sh (PGHOST, PGPORT, PGUSER;
# TEST_TMP holds its KEK file).
set -u
cd "$(dirname "$0")/../.."
n=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   got:  $1" | head -c 3000; echo; echo "#   want: $2"; fi; }
has() { n=$((n + 1)); if printf '%s' "$1" | grep -q -- "$2"; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   got:  $1" | head -c 3000; echo; echo "#   want: /$2/"; fi; }
q() { psql -X -At -v ON_ERROR_STOP=1 -d "$@"; }
main_host=$PGHOST
main_port=$PGPORT
tmp=$(mktemp -d /tmp/microcred-backup.XXXXXX)
chmod 755 "$tmp"
src=mc_bk_src
dbs="mc_bk_src mc_bk_custom mc_bk_plain mc_bk_serial"
dropdbs() { for d in $dbs; do psql -X -q -h "$main_host" -p "$main_port" -d postgres -c "DROP DATABASE IF EXISTS $d" 2>/dev/null; done; }
c2=$tmp/c2
cleanup() {
    dropdbs
    [ -n "${c2_started:-}" ] && cluster_stop "$c2"
    psql -X -q -h "$main_host" -p "$main_port" -d postgres -c "DROP ROLE IF EXISTS regress_bk_mapped" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
dropdbs

# --- a database with data in every area ---------------------------------------
q postgres -c "CREATE DATABASE $src" >/dev/null
q $src -c "CREATE EXTENSION microcred VERSION '0.1'" >/dev/null
q $src -q -f tests/data/upgrade/fill-0.1.sql -c "ALTER EXTENSION microcred UPDATE" >/dev/null 2>"$tmp/err"
q $src -q >/dev/null 2>>"$tmp/err" <<'SQL'
\set ON_ERROR_STOP on
SELECT microcred.register_context('https://two.example/ns/v1', '{"@context": {"Extra": "https://two.example/ns#Extra"}}');
SELECT microcred.define_credential(issuer => 'up-two', code => 'SQL-2', title => 'SQL windows',
       description => 'Window functions.', learning_outcomes => ARRAY['Ranks rows'], ects => 1, eqf_level => 4,
       assessment => ARRAY['online_quiz'], participation => 'online', quality_assurance => 'internal');
SELECT microcred.define_credential(issuer => 'up-two', code => 'SQL-CERT', title => 'SQL certificate',
       description => 'Both SQL courses.', learning_outcomes => ARRAY['Writes SQL'], ects => 2, eqf_level => 4,
       assessment => ARRAY['portfolio'], participation => 'online', quality_assurance => 'internal');
SELECT microcred.define_pathway('up-two', 'SQL', 'SQL pathway', 'SQL-CERT',
       '{"all_of": [{"credential_type": "SQL-1"}, {"credential_type": "SQL-2"}]}', auto_award => true);
SELECT microcred.add_learner(issuer => 'up-two', email => 'yan@example.fr') AS yan \gset
SELECT microcred.issue('up-two/SQL-1', :'yan');
SELECT microcred.issue('up-two/SQL-2', :'yan');
SELECT microcred.lti_tool_jwks() IS NOT NULL;
CREATE ROLE regress_bk_mapped IN ROLE microcred_issuer;
SELECT microcred.grant_issuer('up-two', 'regress_bk_mapped');
SQL
ok "$(grep -v NOTICE "$tmp/err")" "" "the source database is filled in every area"
ok "$(q $src -c "SELECT count(*) FROM microcred.issued_credential c JOIN microcred.credential_type t ON t.id = c.credential_type_id WHERE t.code = 'SQL-CERT'")" 1 \
   "an auto-award pathway awarded its target in the source (so a restore that fired it again would show)"

# every table is dumped, but the seeded reference data and the cache
ok "$(q $src -c "SELECT string_agg(c.relname, ' ' ORDER BY c.relname) FROM pg_class c
      WHERE c.relnamespace = 'microcred'::regnamespace AND c.relkind IN ('r', 'p', 'S')
        AND c.oid <> ALL ((SELECT extconfig FROM pg_extension WHERE extname = 'microcred')::oid[])")" \
   "country document_part vocabulary" "every table and sequence but country, vocabulary and document_part is registered for pg_dump"
ok "$(q $src -c "SELECT w FROM pg_extension e, unnest(e.extconfig, e.extcondition) u(c, w) WHERE e.extname = 'microcred' AND c = 'microcred.jsonld_context'::regclass")" \
   "WHERE NOT bundled" "of jsonld_context, only registered (not bundled) contexts are dumped"

# the state to compare: rows per table, documents, verdicts, audit anchors
tables=$(q $src -c "SELECT string_agg(c.relname, ' ' ORDER BY c.relname) FROM pg_class c
    WHERE c.relnamespace = 'microcred'::regnamespace AND c.relkind IN ('r', 'p') AND c.relname <> 'document_part'")
state() {  # DB [psql options]: one line per aspect
    db=$1; shift
    psql -X -At "$@" -d "$db" -c "SELECT string_agg(format('%s=%s', t, n), ' ' ORDER BY t) FROM (VALUES $(
        for t in $tables; do printf "('%s', (SELECT count(*) FROM microcred.%s))," "$t" "$t"; done | sed 's/,$//')) v(t, n)"
    psql -X -At "$@" -d "$db" -c "SELECT md5(string_agg(id::text || document::text || status, ',' ORDER BY id)) FROM microcred.issued_credential"
    psql -X -At "$@" -d "$db" -c "SELECT string_agg(id::text || ':' || (microcred.verify(document)).valid, ',' ORDER BY id) FROM microcred.issued_credential"
    psql -X -At "$@" -d "$db" -c "SELECT string_agg(i.handle || ':' || a.seq || ':' || a.hash, ',' ORDER BY i.handle) FROM microcred.issuer i, microcred.audit_anchor(i.handle) a"
    psql -X -At "$@" -d "$db" -c "SELECT md5(string_agg(e.list_id || e.idx || e.position || e.set || e.credential_id, ',' ORDER BY e.list_id, e.idx)) FROM microcred.status_entry e"
    psql -X -At "$@" -d "$db" -c "SELECT string_agg(url, ' ' ORDER BY url) FROM microcred.jsonld_context WHERE NOT bundled"
}
state $src >"$tmp/state.src"
ok "$(sed -n 3p "$tmp/state.src" | grep -o ':true' | wc -l)" \
   "$(q $src -c "SELECT count(*) FROM microcred.issued_credential WHERE status = 'active' AND superseded_by IS NULL")" \
   "the source's active credentials verify (the comparisons below are not vacuous)"

# --- dumps ----------------------------------------------------------------------
pg_dump -Fc -d $src -f "$tmp/db.dump" 2>"$tmp/err"
ok "$?|$(grep -v 'circular foreign-key\|^pg_dump: detail: \(issued_credential\|pathway_node\)$\|^pg_dump: hint:' "$tmp/err")" "0|" \
   "pg_dump -Fc succeeds (its only warnings name the self-referencing tables)"
pg_dump -Fp -d $src -f "$tmp/db.sql" 2>/dev/null
ok "$?|$(grep -c '^COPY microcred\.' "$tmp/db.sql")" "0|$(q $src -c "SELECT count(*) FROM pg_class c, pg_extension e WHERE e.extname = 'microcred' AND c.oid = ANY (e.extconfig) AND c.relkind = 'r'")" \
   "pg_dump -Fp writes the rows of every registered table"
ok "$(sed -n '/^COPY microcred.jsonld_context /,/^\\\.$/p' "$tmp/db.sql" | sed '1d;$d' | cut -f1)" "https://two.example/ns/v1" \
   "of the contexts, only the registered one is in the dump (the bundled ones come with CREATE EXTENSION)"

# --- restore into fresh databases of this cluster ---------------------------------
q postgres -c "CREATE DATABASE mc_bk_custom" -c "CREATE DATABASE mc_bk_plain" -c "CREATE DATABASE mc_bk_serial" >/dev/null
pg_restore --single-transaction --exit-on-error -d mc_bk_custom "$tmp/db.dump" 2>"$tmp/err"
ok "$?|$(cat "$tmp/err")" "0|" "pg_restore --single-transaction of the custom-format dump succeeds"
psql -X -q --single-transaction -v ON_ERROR_STOP=1 -d mc_bk_plain -f "$tmp/db.sql" >/dev/null 2>"$tmp/err"
ok "$?|$(cat "$tmp/err")" "0|" "psql --single-transaction of the plain-format dump succeeds"
# the documented choice: table by table (no --single-transaction) is refused
# at the first credential type, whose learning outcomes arrive in a later table
pg_restore -d mc_bk_serial "$tmp/db.dump" >/dev/null 2>"$tmp/err"
has "$(cat "$tmp/err")" "learning outcomes are required" \
    "pg_restore without --single-transaction fails on the commit-time outcome check (README says to use it)"
has "$(cat "$tmp/err")" "HINT:  Restore into a fresh database in one transaction: pg_restore --single-transaction" \
    "... with a hint to restore with --single-transaction"

for db in mc_bk_custom mc_bk_plain; do
    state $db >"$tmp/state.$db"
    ok "$(sed -n 1p "$tmp/state.$db")" "$(sed -n 1p "$tmp/state.src")" "$db: every table has the source's rows (no auto-award fired on restore)"
    ok "$(sed -n 2p "$tmp/state.$db")" "$(sed -n 2p "$tmp/state.src")" "$db: every signed document and status is unchanged, byte for byte"
    ok "$(sed -n 3p "$tmp/state.$db")" "$(sed -n 3p "$tmp/state.src")" "$db: every credential verifies as in the source"
    ok "$(sed -n 4p "$tmp/state.$db")" "$(sed -n 4p "$tmp/state.src")" "$db: every issuer's audit chain ends at the source's anchor"
    ok "$(q $db -c "SELECT bool_and(a.ok) || ':' || count(*) FROM microcred.issuer i, microcred.audit_verify(i.handle) a")" "true:2" \
       "$db: audit_verify is ok for every issuer"
    ok "$(sed -n 5p "$tmp/state.$db")|$(sed -n 6p "$tmp/state.$db")" "$(sed -n 5p "$tmp/state.src")|$(sed -n 6p "$tmp/state.src")" \
       "$db: status entries (with their positions) and the registered context are restored"
    # the next revoke re-signs the status list, and verification sees it
    cred=$(q $db -c "SELECT c.id FROM microcred.issued_credential c JOIN microcred.issuer i ON i.id = c.issuer_id
                      WHERE i.handle = 'demo-uas' AND c.status = 'active' AND c.superseded_by IS NULL ORDER BY c.id LIMIT 1")
    list=$(q $db -c "SELECT e.list_id FROM microcred.status_entry e WHERE e.credential_id = '$cred' AND e.purpose = 'revocation'")
    before=$(q $db -c "SELECT md5(microcred.status_list_credential('$list')::text)")
    q $db -c "SELECT microcred.revoke('$cred', 'restore test')" >/dev/null 2>"$tmp/err"
    ok "$(cat "$tmp/err")$(q $db -c "SELECT md5(microcred.status_list_credential('$list')::text) <> '$before',
          (microcred._status_check(e, microcred.status_list_credential('$list'))).is_set, (microcred.verify(c.document)).valid
          FROM microcred.issued_credential c CROSS JOIN LATERAL jsonb_array_elements(c.document -> 'credentialStatus') e
          WHERE c.id = '$cred' AND e ->> 'statusPurpose' = 'revocation'")" "t|t|f" \
       "$db: the next revoke re-signs the status list with the bit set, and the credential no longer verifies"
    # issuing continues, on positions after the restored ones (a type that is
    # not suspendable gets its revocation entry only)
    maxpos=$(q $db -c "SELECT string_agg(l.purpose || ':' || (SELECT max(e.position) FROM microcred.status_entry e WHERE e.list_id = l.id), ',' ORDER BY l.purpose)
                        FROM microcred.status_list l JOIN microcred.issuer i ON i.id = l.issuer_id
                       WHERE i.handle = 'demo-uas' AND NOT l.closed AND l.purpose = 'revocation'")
    new=$(q $db -c "SELECT microcred.issue('demo-uas/PY-DATA', microcred.add_learner(issuer => 'demo-uas', student_id => 'AFTER-RESTORE'))" 2>&1)
    ok "$(q $db -c "SELECT (microcred.verify(document)).valid FROM microcred.issued_credential WHERE id = '$new'" 2>&1)" t \
       "$db: issuing continues, and the new credential verifies"
    ok "$(q $db -c "SELECT string_agg(e.purpose || ':' || (e.position - 1), ',' ORDER BY e.purpose) FROM microcred.status_entry e WHERE e.credential_id = '$new'")" \
       "$maxpos" "$db: the new credential's status positions follow the restored ones"
    ok "$(q $db -c "SELECT count(*) - count(DISTINCT (list_id, idx)) FROM microcred.status_entry")" 0 "$db: no status list index is given twice"
    ok "$(q $db -c "SELECT bool_and(a.ok) FROM microcred.issuer i, microcred.audit_verify(i.handle) a")" t "$db: the audit chains stay intact"
done

# --- a second cluster: no shared_preload_libraries, another KEK ---------------------
CLUSTER_PORT=$((main_port + 13))
. tests/lib/cluster.sh
cluster_init "$c2" || exit 1
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$c2/kek-other.hex"
chmod 600 "$c2/kek-other.hex"
[ "$(id -u)" -eq 0 ] && chown "$CLUSTER_OSUSER" "$c2/kek-other.hex"
echo "microcred.kek_file = '$c2/kek-other.hex'" >>"$c2/data/postgresql.conf"
c2_started=1
cluster_start "$c2" || exit 1
PGHOST=$main_host PGPORT=$main_port
export PGHOST PGPORT
q2() { psql -X -At -v ON_ERROR_STOP=1 -h "$c2" -p "$CLUSTER_PORT" -d "$@"; }
q2 postgres -c "CREATE DATABASE mc_restored" >/dev/null
# the roles first (what pg_dumpall --roles-only carries): mappings restore by name
q2 postgres -c "CREATE ROLE regress_bk_other" -c "CREATE ROLE regress_bk_mapped" >/dev/null
pg_restore --single-transaction --exit-on-error -h "$c2" -p "$CLUSTER_PORT" -d mc_restored "$tmp/db.dump" 2>"$tmp/err"
ok "$?|$(cat "$tmp/err")" "0|" "restore into a cluster without the library preloaded succeeds"
state mc_restored -h "$c2" -p "$CLUSTER_PORT" >"$tmp/state.c2"
ok "$(sed -n 1,4p "$tmp/state.c2")" "$(sed -n 1,4p "$tmp/state.src")" \
   "there every row, document, verdict and audit anchor is the source's (verification needs no key)"
ok "$(q2 mc_restored -c "SELECT bool_and(a.ok) FROM microcred.issuer i, microcred.audit_verify(i.handle) a")" t \
   "there audit_verify is ok for every issuer"
ok "$(q2 mc_restored -c "SELECT issuer || ':' || role_name || ':' || (role_oid <> $(q $src -c "SELECT 'regress_bk_mapped'::regrole::oid")) FROM microcred.issuer_roles WHERE role_name LIKE 'regress%'")" \
   "up-two:regress_bk_mapped:true" "there the issuer mapping names the same role, by name, under the other cluster's OID"
out=$(q2 mc_restored -c "\\set VERBOSITY verbose" -c "SELECT microcred.issue('demo-uas/PY-DATA', microcred.add_learner(issuer => 'demo-uas', student_id => 'NO-PRELOAD'))" 2>&1)
has "$out" "must be loaded by shared_preload_libraries" "without the library preloaded, issuing refuses to touch keys"
has "$out" "HINT:.*shared_preload_libraries in postgresql.conf and restart" "... with a hint to preload it"
ok "$(q2 mc_restored -c "SELECT count(*) FROM microcred.learner WHERE student_id = 'NO-PRELOAD'")" 0 "... and leaves no half-written row"

# preloaded, but with another KEK: the sealed keys restored sealed, and say so
cluster_stop "$c2"
echo "shared_preload_libraries = 'microcred'" >>"$c2/data/postgresql.conf"
cluster_start "$c2" || exit 1
PGHOST=$main_host PGPORT=$main_port
q2 mc_restored -c "CREATE ROLE regress_bk_user LOGIN" >/dev/null
ok "$(q2 mc_restored -c "SET ROLE regress_bk_user" -c "SHOW microcred.kek_file" 2>&1 | grep -c 'must be superuser\|permission denied')" 1 \
   "preloaded, microcred.kek_file is hidden from a non-superuser"
ok "$(q2 mc_restored -c "SELECT count(*) FROM microcred.signing_key WHERE sealed_private IS NOT NULL")" \
   "$(q $src -c "SELECT count(*) FROM microcred.signing_key WHERE sealed_private IS NOT NULL")" "the keys are restored sealed"
out=$(q2 mc_restored -c "SELECT microcred.issue('demo-uas/PY-DATA', microcred.add_learner(issuer => 'demo-uas', student_id => 'OTHER-KEK'))" 2>&1)
has "$out" "signing key .* cannot be opened" "under another KEK, the first signing says the key cannot be opened"
has "$out" "HINT:.*sealed under another key-encryption key" "... with a hint that it was sealed under another KEK"

# the original KEK file: everything works
sed -i "s|^microcred.kek_file = .*|microcred.kek_file = '$TEST_TMP/pg/kek.hex'|" "$c2/data/postgresql.conf"
as_cluster_user "$PG_BINDIR/pg_ctl" -D "$c2/data" reload >/dev/null
sleep 1
new=$(q2 mc_restored -c "SELECT microcred.issue('demo-uas/PY-DATA', microcred.add_learner(issuer => 'demo-uas', student_id => 'SAME-KEK'))" 2>&1)
ok "$(q2 mc_restored -c "SELECT (microcred.verify(document)).valid FROM microcred.issued_credential WHERE id = '$new'" 2>&1)" t \
   "with the original KEK, issuing works on the second cluster and the credential verifies"
q2 mc_restored -c "SELECT microcred.revoke('$new', 'restore test')" >/dev/null 2>"$tmp/err"
ok "$(cat "$tmp/err")$(q2 mc_restored -c "SELECT (microcred.verify(document)).valid FROM microcred.issued_credential WHERE id = '$new'")" f \
   "... and a revocation re-signs its status list"
q2 mc_restored -c "SELECT microcred.generate_key('up-two')" >/dev/null 2>"$tmp/err"
ok "$(cat "$tmp/err")" "" "... and a new key can be generated"
echo "1..$n"
