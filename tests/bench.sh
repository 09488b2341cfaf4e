#!/bin/bash
# tests/bench.sh: `make bench`.  Rates of the extension measured against raw
# OpenSSL Ed25519 in the same run, printed as ratios (absolute numbers vary
# with the machine; the ratios are what the README quotes).
#   BENCH_N       credentials per set-based statement (default 10000)
#   BENCH_SECONDS duration of each pgbench run (default 5)
#   BENCH_REVOKE_N credentials (and learners) of the bulk and pathway measurements (default 100000)
# The extension runs from a private installation (tests/lib/tmp_install.sh),
# never the system's.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
N=${BENCH_N:-10000}
SECS=${BENCH_SECONDS:-5}
tmp=$(mktemp -d /tmp/microcred-bench.XXXXXX)
chmod 755 "$tmp"
. tests/lib/tmp_install.sh
tmp_install "$tmp/inst" || { rm -rf "$tmp"; exit 1; }
. tests/lib/cluster.sh
CLUSTER_PORT=54339
bpid=
trap '[ -n "$bpid" ] && kill -KILL "$bpid" 2>/dev/null; cluster_stop "$tmp/pg"; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

cc -O2 -std=c11 -D_GNU_SOURCE -o "$tmp/ed25519_rate" tests/bench/ed25519_rate.c -lcrypto
cluster_init "$tmp/pg"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/pg/kek.hex"
chmod 600 "$tmp/pg/kek.hex"
[ "$(id -u)" -eq 0 ] && chown "$CLUSTER_OSUSER" "$tmp/pg/kek.hex"
printf "shared_preload_libraries = 'microcred'\nmicrocred.kek_file = '%s'\n" "$tmp/pg/kek.hex" >>"$tmp/pg/data/postgresql.conf"
cluster_start "$tmp/pg"
createdb bench
psql -X -q -v ON_ERROR_STOP=1 -d bench -f tests/demo.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d bench >/dev/null <<SQL
SELECT microcred.generate_key('demo-uas');
SELECT microcred.generate_key('demo-uas', 'P-256');
UPDATE microcred.credential_type SET allow_repeats = true WHERE code = 'GDPR-NURSE';
CREATE TABLE bench_learner (n int PRIMARY KEY, id uuid NOT NULL);
INSERT INTO bench_learner
SELECT g, microcred.add_learner(issuer => 'demo-uas', email => 'learner' || g || '@bench.example', student_id => 'B' || g)
  FROM generate_series(1, $N) g;
SQL

# wall time of one SQL statement, in seconds
timed() {
    local t0 t1
    t0=$(date +%s.%N)
    psql -X -q -At -v ON_ERROR_STOP=1 -d bench -c "$1" >/dev/null
    t1=$(date +%s.%N)
    echo "$t0 $t1" | awk '{printf "%.3f", $2 - $1}'
}
rate() { echo "$1 $2" | awk '{printf "%.0f", $1 / ($2 > 0 ? $2 : 0.001)}'; }
# wall and CPU seconds of one SQL statement: "wall cpu".  The CPU time is the
# backend's own (utime + stime of /proc/self/stat, read by the backend before
# and after, in clock ticks): on a shared machine the wall time of a
# statement grows with the load, its CPU time much less, so the set-based
# figures compare CPU-seconds with raw Ed25519 per CPU-second.  The
# second argument warms the backend first (its per-backend caches: plans,
# keys, the type, JSON-LD contexts, status lists) in a transaction rolled
# back, so that the figure is the steady state, not a new connection's start.
cpu_timed() {
    local out hz
    hz=$(getconf CLK_TCK)
    out=$(psql -X -q -At -v ON_ERROR_STOP=1 -d bench <<PSQL | tail -1
BEGIN;
${2:-SELECT 1};
ROLLBACK;
SELECT (split_part(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ', 12)::bigint
      + split_part(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ', 13)::bigint) AS t0,
       extract(epoch FROM clock_timestamp()) AS w0 \gset
$1;
SELECT extract(epoch FROM clock_timestamp()) - :w0,
       (split_part(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ', 12)::bigint
      + split_part(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ', 13)::bigint) - :t0;
PSQL
)
    echo "$out $hz" | awk -F'[| ]' '{printf "%.3f %.3f", $1, $2 / $3}'
}
pct() { echo "$1 $2" | awk '{printf "%.1f%%", 100 * $1 / $2}'; }

echo "== raw OpenSSL Ed25519 on one core (baseline)"
"$tmp/ed25519_rate" 2 >"$tmp/raw"
raw_sign=$(sed -n 's/^sign //p' "$tmp/raw"); raw_verify=$(sed -n 's/^verify //p' "$tmp/raw")
raw_sign_cpu=$(sed -n 's/^sign_cpu //p' "$tmp/raw"); raw_verify_cpu=$(sed -n 's/^verify_cpu //p' "$tmp/raw")
echo "raw Ed25519 sign:   $raw_sign/s ($raw_sign_cpu per CPU-second)"
echo "raw Ed25519 verify: $raw_verify/s ($raw_verify_cpu per CPU-second)"

echo
echo "== set-based, one connection, $N credentials per statement (document: $(psql -X -At -d bench -c "SELECT pg_column_size(document::text) FROM microcred.issued_credential LIMIT 1") bytes, every EU element)"
echo "   (per CPU-second: the backend's CPU time, against raw Ed25519 per CPU-second)"
# one row: label, count, "wall cpu", raw rate per CPU-second, what it is a share of, target
row() {
    local wall cpu
    read -r wall cpu <<<"$3"
    printf '%-44s %7s/s  %7s/s per CPU-s  %6s of raw %-6s (target %s)\n' "$1" "$(rate "$2" "$wall")" \
        "$(rate "$2" "$cpu")" "$(pct "$(rate "$2" "$cpu")" "$4")" "$5" "$6"
}
psql -X -q -d bench -c "UPDATE microcred.issuer SET proof_format = 'eddsa-jcs-2022'"
warm_issue="SELECT count(microcred.issue('demo-uas/GDPR-NURSE', id, grade => 'Merit')) FROM bench_learner WHERE n <= 20"
warm_verify() { echo "SELECT count(*) FILTER (WHERE (microcred.verify(document)).valid) FROM (SELECT document FROM microcred.issued_credential WHERE proof_format = '$1' LIMIT 20) c"; }
t_issue=$(cpu_timed "SELECT count(microcred.issue('demo-uas/GDPR-NURSE', id, grade => 'Merit')) FROM bench_learner" "$warm_issue")
t_verify=$(cpu_timed "SELECT count(*) FILTER (WHERE (microcred.verify(document)).valid) FROM microcred.issued_credential WHERE proof_format = 'eddsa-jcs-2022'" "$(warm_verify eddsa-jcs-2022)")
psql -X -q -d bench -c "UPDATE microcred.issuer SET proof_format = 'eddsa-rdfc-2022'"
t_rissue=$(cpu_timed "SELECT count(microcred.issue('demo-uas/GDPR-NURSE', id, grade => 'Merit')) FROM bench_learner" "$warm_issue")
t_rverify=$(cpu_timed "SELECT count(*) FILTER (WHERE (microcred.verify(document)).valid) FROM microcred.issued_credential WHERE proof_format = 'eddsa-rdfc-2022'" "$(warm_verify eddsa-rdfc-2022)")
t_jwt=$(cpu_timed "SELECT count(microcred.document(id, 'vc-jwt', 'EdDSA')) FROM microcred.issued_credential WHERE proof_format = 'eddsa-jcs-2022'" \
                  "SELECT count(microcred.document(id, 'vc-jwt', 'EdDSA')) FROM (SELECT id FROM microcred.issued_credential WHERE proof_format = 'eddsa-jcs-2022' LIMIT 20) c")
t_vjwt=$(cpu_timed "SELECT count(*) FILTER (WHERE (microcred.verify_jwt(token)).valid) FROM microcred.credential_envelope" \
                   "SELECT count(*) FILTER (WHERE (microcred.verify_jwt(token)).valid) FROM (SELECT token FROM microcred.credential_envelope LIMIT 20) e")
# the results must be right, not only fast
bad=$(psql -X -At -d bench -c "SELECT count(*) FROM microcred.issued_credential c WHERE NOT (microcred.verify(c.document)).valid")
[ "$bad" = 0 ] || { echo "bench: $bad credentials do not verify" >&2; exit 1; }

row "issue + store, eddsa-jcs-2022" "$N" "$t_issue" "$raw_sign_cpu" sign "25%"
row "verify, eddsa-jcs-2022" "$N" "$t_verify" "$raw_verify_cpu" verify "60%"
row "issue + store, eddsa-rdfc-2022" "$N" "$t_rissue" "$raw_sign_cpu" sign "15%"
row "verify, eddsa-rdfc-2022" "$((N + 1))" "$t_rverify" "$raw_verify_cpu" verify "40%"
row "sign + store JWT envelope, vc-jwt EdDSA" "$N" "$t_jwt" "$raw_sign_cpu" sign "-"
row "verify JWT, vc-jwt EdDSA" "$N" "$t_vjwt" "$raw_verify_cpu" verify "-"

echo
R=${BENCH_REVOKE_N:-100000}
echo "== $R more credentials for the bulk measurements"
psql -X -q -v ON_ERROR_STOP=1 -d bench >/dev/null <<SQL
UPDATE microcred.issuer SET proof_format = 'eddsa-jcs-2022';
CREATE TABLE bench_bulk AS
SELECT microcred.issue('demo-uas/GDPR-NURSE', microcred.add_learner(issuer => 'demo-uas', email => 'bulk' || g || '@bench.example')) AS id
  FROM generate_series(1, $R) g;
SQL

echo "== stack_check over $R learners (each holds the one component of a pathway)"
psql -X -q -v ON_ERROR_STOP=1 -d bench -c "SELECT microcred.define_pathway('demo-uas', 'BENCH', 'Bench pathway', 'PY-DATA', '{\"credential_type\": \"GDPR-NURSE\"}')" >/dev/null
t_plain=$(timed "SELECT count(*) FROM microcred.issued_credential c JOIN bench_bulk b ON b.id = c.id WHERE c.status = 'active' AND c.superseded_by IS NULL AND (c.valid_until IS NULL OR c.valid_until > now())")
t_stack=$(timed "SELECT count(*) FILTER (WHERE (microcred.stack_check(c.learner_id, 'demo-uas/BENCH')).satisfied) FROM microcred.issued_credential c JOIN bench_bulk b ON b.id = c.id")
t_elig=$(timed "SELECT count(*) FROM microcred.stack_eligible('demo-uas/BENCH')")
printf '%-52s %8s/s  (%ss; the plain SQL count over the same rows: %ss, %s times faster)\n' "stack_check, one learner at a time" \
    "$(rate "$R" "$t_stack")" "$t_stack" "$t_plain" "$(echo "$t_stack $t_plain" | awk '{printf "%.0f", $1 / ($2 > 0 ? $2 : 0.001)}')"
printf '%-52s %8s/s  (%ss; %s times stack_check one learner at a time, target 20)\n' "stack_eligible, whole pathway (set-based)" \
    "$(rate "$R" "$t_elig")" "$t_elig" "$(echo "$t_stack $t_elig" | awk '{printf "%.1f", $1 / ($2 > 0 ? $2 : 0.001)}')"
t_prog=$(timed "SELECT count(*) FROM microcred.pathway_progress WHERE pathway = 'demo-uas/BENCH'")
printf '%-52s %8s/s  (%ss)\n' "pathway_progress view, whole pathway (set-based)" "$(rate "$R" "$t_prog")" "$t_prog"

echo
echo "== bulk revocation: $R credentials revoked by one statement"
t=$(timed "SELECT microcred.revoke_all(array_agg(id), 'bench') FROM bench_bulk")
r_revoke=$(rate "$R" "$t")
left=$(psql -X -At -d bench -c "SELECT count(*) FROM bench_bulk b JOIN microcred.issued_credential c ON c.id = b.id WHERE c.status <> 'revoked'")
[ "$left" = 0 ] || { echo "bench: $left credentials were not revoked" >&2; exit 1; }
t2=$(timed "SELECT microcred.status_list_credential(id) FROM microcred.status_list WHERE purpose = 'revocation'")
printf '%-52s %8s/s  (%ss for %s credentials; re-signing the lists: %ss)\n' "bulk revoke, one statement" "$r_revoke" "$t" "$R" "$t2"

echo
echo "== one credential per transaction (pgbench, ${SECS}s each)"
cat >"$tmp/issue.sql" <<'PGB'
\set n random(1, :nlearners)
SELECT microcred.issue('demo-uas/GDPR-NURSE', (SELECT id FROM bench_learner WHERE n = :n));
PGB
cat >"$tmp/verify.sql" <<'PGB'
\set n random(1, :nlearners)
SELECT (microcred.verify(c.document)).valid FROM microcred.issued_credential c
 WHERE c.issuer_id = (SELECT id FROM microcred.issuer WHERE handle = 'demo-uas')
   AND c.learner_id = (SELECT id FROM bench_learner WHERE n = :n) LIMIT 1;
PGB
psql -X -q -d bench -c "UPDATE microcred.issuer SET proof_format = 'eddsa-jcs-2022'"
for c in 1 2; do
    ti=$("$PG_BINDIR/pgbench" -n -c $c -j $c -T "$SECS" -D nlearners="$N" -f "$tmp/issue.sql" bench 2>/dev/null |
         sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
    tv=$("$PG_BINDIR/pgbench" -n -c $c -j $c -T "$SECS" -D nlearners="$N" -f "$tmp/verify.sql" bench 2>/dev/null |
         sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
    printf '%-52s %8.0f/s  %6s of raw sign (one core)\n' "issue eddsa-jcs-2022, $c connection(s)" "$ti" "$(pct "$ti" "$raw_sign")"
    printf '%-52s %8.0f/s  %6s of raw verify (one core)\n' "verify, $c connection(s)" "$tv" "$(pct "$tv" "$raw_verify")"
done
# what bounds one credential per transaction: the commit's WAL flush.  The
# same run with synchronous_commit = off (shown only to measure that bound;
# microcred never turns durability off) and the raw rate measured right before
ts=$(PGOPTIONS='-c synchronous_commit=off' "$PG_BINDIR/pgbench" -n -c 1 -j 1 -T "$SECS" -D nlearners="$N" -f "$tmp/issue.sql" bench 2>/dev/null |
     sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
raw_now=$("$tmp/ed25519_rate" 1 | sed -n 's/^sign //p')
printf '%-52s %8.0f/s  %6s of raw sign (one core, measured just after: %s/s)\n' "issue, 1 connection, synchronous_commit = off (bound)" "$ts" "$(pct "$ts" "$raw_now")" "$raw_now"

echo
echo "== microcred-bridge public endpoints (wrk on loopback, ${SECS}s each, 2 threads, 16 connections)"
if ! command -v wrk >/dev/null 2>&1; then
    echo "wrk is not installed (apt-get install wrk): skipped"
    exit 0
fi
psql -X -q -d bench -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_bridge') THEN
    CREATE ROLE bench_bridge LOGIN IN ROLE microcred_bridge; END IF; END \$\$"
bport=0
for _ in 1 2 3 4 5 6 7 8 9 10; do
    bport=$((20000 + RANDOM % 40000))
    cat >"$tmp/bridge.conf" <<EOC
listen_address = 127.0.0.1
listen_port = $bport
db_conninfo = "host=$PGHOST port=$PGPORT user=bench_bridge dbname=bench"
threads = 4
log_level = warning
public_base_url = https://tool.example
login_rate_per_ip = 0
login_rate_total = 0
event_rate_per_ip = 0
event_rate_total = 0
wallet_rate_per_ip = 0
wallet_rate_total = 0
max_connections_per_ip = 4000
max_connections = 4000
EOC
    lti_bridge/microcred-bridge -c "$tmp/bridge.conf" 2>>"$tmp/bridge.log" &
    bpid=$!
    up=0
    for _ in $(seq 50); do
        kill -0 "$bpid" 2>/dev/null || break
        if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$bport/metrics"; then up=1; break; fi
        sleep 0.1
    done
    [ "$up" = 1 ] && break
    kill -KILL "$bpid" 2>/dev/null || true
    wait "$bpid" 2>/dev/null || true
done
[ "$up" = 1 ] || { echo "bench: the bridge did not start" >&2; cat "$tmp/bridge.log" >&2; exit 1; }
cid=$(psql -X -At -d bench -c "SELECT id FROM microcred.issued_credential WHERE document IS NOT NULL LIMIT 1")
lid=$(psql -X -At -d bench -c "SELECT id FROM microcred.status_list WHERE purpose = 'revocation' LIMIT 1")
wrk_rate() {  # requests/s of GET $1 [wrk args]; non-2xx answers fail the bench
    local out
    out=$(wrk -t2 -c16 -d"${SECS}s" "${@:2}" "$1")
    if printf '%s\n' "$out" | grep -q 'Non-2xx'; then
        echo "bench: non-2xx answers from $1" >&2
        printf '%s\n' "$out" >&2
        exit 1
    fi
    printf '%s\n' "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p'
}
g_metrics=$(wrk_rate "http://127.0.0.1:$bport/metrics")
g_doc=$(wrk_rate "http://127.0.0.1:$bport/credentials/$cid")
g_list=$(wrk_rate "http://127.0.0.1:$bport/status/$lid")
# the verification page a browser gets (public_page.c), rendered once and cached
# (as a browser asks for it: gzip accepted; and once without, as curl asks)
HTML='Accept: text/html,application/xhtml+xml,*/*;q=0.8'
GZ='Accept-Encoding: gzip, deflate, br'
g_page=$(wrk_rate "http://127.0.0.1:$bport/credentials/$cid" -H "$HTML" -H 'Accept-Language: de' -H "$GZ")
g_page_plain=$(wrk_rate "http://127.0.0.1:$bport/credentials/$cid" -H "$HTML" -H 'Accept-Language: de')
# the same without the bridge's document cache (SIGHUP reloads public_cache_s)
echo "public_cache_s = 0" >>"$tmp/bridge.conf"
kill -HUP "$bpid"; sleep 0.5
g_doc_nc=$(wrk_rate "http://127.0.0.1:$bport/credentials/$cid")
g_page_nc=$(wrk_rate "http://127.0.0.1:$bport/credentials/$cid" -H "$HTML" -H 'Accept-Language: de' -H "$GZ")
sed -i '/^public_cache_s = 0$/d' "$tmp/bridge.conf"
kill -HUP "$bpid"; sleep 0.5
printf '%-52s %8.0f/s  (no database: the HTTP baseline)\n' "GET /metrics" "$g_metrics"
printf '%-52s %8.0f/s  %6s of the baseline (target 10000/s)\n' "GET /credentials/{id}, 5.6 KB document, cached" "$g_doc" "$(pct "$g_doc" "$g_metrics")"
printf '%-52s %8.0f/s  %6s of the baseline\n' "GET /credentials/{id}, cache off (a DB round trip)" "$g_doc_nc" "$(pct "$g_doc_nc" "$g_metrics")"
printf '%-52s %8.0f/s  %6s of the cached JSON GET (target 80%%)\n' "GET /credentials/{id} as HTML page (gzip), cached" "$g_page" "$(pct "$g_page" "$g_doc")"
printf '%-52s %8.0f/s  %6s of the cached JSON GET\n' "... the same page without gzip (11 KB), cached" "$g_page_plain" "$(pct "$g_page_plain" "$g_doc")"
printf '%-52s %8.0f/s  %6s of the uncached JSON GET (verify() each time)\n' "GET /credentials/{id} as HTML page, cache off" "$g_page_nc" "$(pct "$g_page_nc" "$g_doc_nc")"
printf '%-52s %8.0f/s  %6s of the baseline, %s of cached credential GETs (target 50%%)\n' "GET /status/{list}, cached signed list" \
    "$g_list" "$(pct "$g_list" "$g_metrics")" "$(pct "$g_list" "$g_doc")"
# LTI: logins and launches through the bridge, the platform JWKS cached
make -s -C lti_bridge lti_launch_bench >/dev/null
lti_out=$(lti_bridge/lti_launch_bench "http://127.0.0.1:$bport" bench "${BENCH_LAUNCH_N:-4000}" 16) ||
    { echo "bench: the LTI launch bench failed; the bridge's log ends:" >&2; tail -5 "$tmp/bridge.log" >&2; exit 1; }
l_login=$(printf '%s\n' "$lti_out" | sed -n 's/^logins \([0-9]*\).*/\1/p')
l_launch=$(printf '%s\n' "$lti_out" | sed -n 's/^launches \([0-9]*\).*/\1/p')
l_both=$(printf '%s\n' "$lti_out" | sed -n 's/^login+launch \([0-9]*\).*/\1/p')
printf '%-52s %8.0f/s  %6s of the baseline\n' "LTI login (GET /lti/login, state in the database)" "$l_login" "$(pct "$l_login" "$g_metrics")"
printf '%-52s %8.0f/s  %6s of the baseline\n' "LTI launch (POST /lti/launch, RS256, learner page)" "$l_launch" "$(pct "$l_launch" "$g_metrics")"
printf '%-52s %8.0f/s  %6s of the baseline (target 2000/s)\n' "LTI login + launch, complete flows" "$l_both" "$(pct "$l_both" "$g_metrics")"
# completion events end to end (event in, credential signed and committed)
# against microcred.issue over libpq with as many connections, same run
make -s -C lti_bridge event_sender >/dev/null
ev_out=$(lti_bridge/event_sender xapi "http://127.0.0.1:$bport" --db bench -n "${BENCH_EVENTS_N:-10000}" -c 4 --bench --run "benchev$$") ||
    { echo "bench: the completion events bench failed" >&2; printf '%s\n' "${ev_out:-}" >&2; exit 1; }
printf '%s\n' "$ev_out" | grep -E '^(completion events via|microcred\.issue via|events via the bridge)'
# wallet delivery (OpenID4VCI) end to end: the emulator scans an offer, reads
# both metadata documents, redeems the code, gets a nonce and a holder-bound
# ldp_vc copy signed with eddsa-rdfc-2022 (6 requests per offer), 4 wallets at once
W_N=${BENCH_WALLET_N:-400}
wcid=$(psql -X -At -d bench -c "SELECT id FROM microcred.issued_credential WHERE status = 'active' AND superseded_by IS NULL
                                   AND document IS NOT NULL AND (valid_until IS NULL OR valid_until > now()) LIMIT 1")
psql -X -q -d bench -c "UPDATE microcred.issuer SET base_url = 'http://127.0.0.1:$bport' WHERE handle = 'demo-uas'"
psql -X -At -v ON_ERROR_STOP=1 -d bench -c "SELECT (microcred.wallet_offer('$wcid', ttl => '1 hour')).offer_uri FROM generate_series(1, $W_N)" >"$tmp/offers"
split -n l/4 "$tmp/offers" "$tmp/offers."
wpy=python3
/usr/bin/python3 -c 'import cryptography' 2>/dev/null && wpy=/usr/bin/python3
t0=$(date +%s.%N)
wpids=()
for f in "$tmp"/offers.??; do
    $wpy tests/wallet/wallet.py bench OpenBadgeCredential_ldp_vc <"$f" >/dev/null & wpids+=($!)
done
for p in "${wpids[@]}"; do wait "$p" || { echo "bench: a wallet flow failed" >&2; exit 1; }; done
t1=$(date +%s.%N)
delivered=$(psql -X -At -d bench -c "SELECT count(*) FROM microcred.oid4vci_delivery WHERE credential_id = '$wcid'")
[ "$delivered" = "$W_N" ] || { echo "bench: $delivered of $W_N offers delivered" >&2; exit 1; }
w_rate=$(echo "$W_N $t0 $t1" | awk '{printf "%.0f", $1 / ($3 - $2)}')
printf '%-52s %8.0f/s  %6s of LTI login + launch flows\n' "wallet offers redeemed end to end (OpenID4VCI)" "$w_rate" "$(pct "$w_rate" "$l_both")"
printf '%-52s %8s kB  (target under 30 MB)\n' "bridge peak RSS (VmHWM)" "$(awk '/^VmHWM/ {print $2}' /proc/$bpid/status)"
kill -TERM "$bpid"
wait "$bpid" 2>/dev/null || true
bpid=

# credential e-mails: queued in the issuing transaction (the outbox trigger),
# then sent by the bridge to a local SMTP sink (python3-aiosmtpd) on loopback
echo
M=${BENCH_MAIL_N:-2000}
echo "== credential e-mails: $M credentials set-based, then sent to a local SMTP sink"
psql -X -q -v ON_ERROR_STOP=1 -d bench >/dev/null <<SQL
CREATE TABLE bench_mail_learner AS
SELECT microcred.add_learner(issuer => 'demo-uas', email => 'mail' || g || '@bench.example') AS id
  FROM generate_series(1, $M) g;
SQL
t_nomail=$(timed "SELECT count(microcred.issue('demo-uas/GDPR-NURSE', id)) FROM bench_mail_learner")
psql -X -q -d bench -c "SELECT microcred.set_mail_settings('demo-uas', sender => 'credentials@demo-uas.example')" >/dev/null
t_mail=$(timed "SELECT count(microcred.issue('demo-uas/GDPR-NURSE', id)) FROM bench_mail_learner")
queued=$(psql -X -At -d bench -c "SELECT count(*) FROM microcred.mail_outbox WHERE state = 'queued'")
[ "$queued" = "$M" ] || { echo "bench: $queued e-mails queued, not $M" >&2; exit 1; }
printf '%-52s %8s/s\n' "issue + store, no e-mail (issuer without settings)" "$(rate "$M" "$t_nomail")"
printf '%-52s %8s/s  %6s of issuing without e-mail\n' "issue + store + queue the e-mail (outbox trigger)" "$(rate "$M" "$t_mail")" \
    "$(pct "$(rate "$M" "$t_mail")" "$(rate "$M" "$t_nomail")")"
PY=/usr/bin/python3
if ! $PY -c 'import aiosmtpd' 2>/dev/null; then
    echo "python3-aiosmtpd is not installed (tests/deps.sh bench): sending skipped"
    exit 0
fi
mkdir -p "$tmp/sink"
sport=$((20000 + RANDOM % 40000))
$PY tests/lib/smtp_sink.py "$tmp/sink" "$sport" 2>>"$tmp/sink.log" &
spid=$!
for _ in $(seq 50); do [ -e "$tmp/sink/ready" ] && break; sleep 0.1; done
cat >>"$tmp/bridge.conf" <<EOC
smtp_url = smtp://127.0.0.1:$sport
smtp_starttls = off
mail_batch = 100
mail_poll_s = 1
EOC
lti_bridge/microcred-bridge -c "$tmp/bridge.conf" 2>>"$tmp/bridge.log" &
bpid=$!
t0=$(date +%s.%N)
for _ in $(seq 1200); do
    [ "$(psql -X -At -d bench -c "SELECT count(*) FROM microcred.mail_outbox WHERE state = 'sent'")" = "$M" ] && break
    sleep 0.1
done
t1=$(date +%s.%N)
sent=$(ls "$tmp/sink" | grep -c '^msg-' || true)
kill -TERM "$bpid"; wait "$bpid" 2>/dev/null || true; bpid=
touch "$tmp/sink/stop"; wait "$spid" 2>/dev/null || true
[ "$sent" = "$M" ] || { echo "bench: the sink received $sent e-mails, not $M" >&2; exit 1; }
printf '%-52s %8s/s  (one SMTP connection, Python sink)\n' "e-mails sent by the bridge to the sink" \
    "$(rate "$M" "$(echo "$t0 $t1" | awk '{printf "%.3f", $2 - $1}')")"
