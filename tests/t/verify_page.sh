#!/bin/bash
# The human-readable side of the bridge against the test cluster, on
# 127.0.0.1 only: content negotiation of GET /credentials/{id} (a browser
# gets the verification page, JSON clients exactly the bytes and ETag they
# got before, unknown types 406 with the list), the verdict of each state
# (valid, revoked, suspended, expired, superseded with its link, erased 410),
# every EU element, the awarding body, date and place of issuance, hostile
# names and titles escaped (HTML, RTL, combining characters), the interface
# language by Accept-Language (garbage included), the page cache and its
# entity tags, the catalogue pages, badge images (stored PNG/SVG, hostile
# SVGs refused, generated badges, OB 3.0 image in new credentials), the QR
# code, and POST /verify (JSON, JWT, upload, non-credential, 10 MB, rate limit).
# Every wait is bounded; the trap stops the daemon and drops the database.
set -u
cd "$(dirname "$0")/../.."
BIN=${BRIDGE_BIN:-lti_bridge/microcred-bridge}
db=mc_verify_page
role=mc_page_test
TMP=$(mktemp -d "${TEST_TMP:-/tmp}/mcpage.XXXXXX")
DPID=
cleanup() {
    [ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
    wait 2>/dev/null
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $role" 2>/dev/null
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
n=0
ok() {  # ok GOT WANT NAME
    n=$((n + 1))
    if [ "$1" = "$2" ]; then echo "ok $n - $3"
    else echo "not ok $n - $3 (got '$1', want '$2')"; fi
}
# q [-v name=value]... -c SQL: the SQL goes on stdin, where psql interpolates :'name'
q() {
    local args=() sql=
    while [ $# -gt 0 ]; do
        if [ "$1" = -c ]; then sql=$2; shift 2; else args+=("$1"); shift; fi
    done
    printf '%s\n' "$sql" | psql -X -At -v ON_ERROR_STOP=1 -d $db "${args[@]}"
}

if [ ! -x "$BIN" ] || [ -z "${PGHOST:-}" ]; then
    echo "1..0 # SKIP needs lti_bridge/microcred-bridge and a cluster (PGHOST)"
    exit 0
fi
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $role" \
    -c "CREATE DATABASE $db" -c "CREATE ROLE $role LOGIN" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null || { echo "Bail out! demo.sql"; exit 1; }
q -c "GRANT microcred_bridge TO $role" >/dev/null

write_conf() {  # write_conf VERIFY_RATE_PER_IP
    cat >"$TMP/bridge.conf" <<EOC
listen_address = 127.0.0.1
listen_port = $PORT
db_conninfo = "host=$PGHOST port=${PGPORT:-5432} user=$role dbname=$db"
threads = 2
public_base_url = https://tool.example
public_cache_s = 2
verify_rate_per_ip = $1
verify_rate_total = 100000
EOC
}
for ((try = 0; try < 10; try++)); do
    PORT=$((20000 + RANDOM % 40000))
    write_conf 100000
    "$BIN" -c "$TMP/bridge.conf" 2>>"$TMP/bridge.log" &
    DPID=$!
    for ((i = 0; i < 50; i++)); do
        kill -0 "$DPID" 2>/dev/null || break
        curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/metrics" && break 2
        sleep 0.1
    done
    kill -KILL "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; DPID=
done
[ -n "$DPID" ] || { echo "Bail out! the bridge did not start"; cat "$TMP/bridge.log"; exit 1; }
URL=http://127.0.0.1:$PORT
BROWSER='text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'

get() {  # get PATH [curl args]: body in $TMP/body, headers in $TMP/head, prints the status
    local p=$1; shift
    rm -f "$TMP/body"; : >"$TMP/body"
    curl -s --max-time 20 -D "$TMP/head" -o "$TMP/body" -w '%{http_code}' "$@" "$URL$p"
}
page() { get "$1" -H "Accept: $BROWSER" "${@:2}"; }
header() { grep -i "^$1:" "$TMP/head" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
has() { grep -c -F -- "$1" "$TMP/body" | tr -d ' '; }
verdict() { grep -o 'data-verdict="[a-z]*"' "$TMP/body" | head -1 | cut -d'"' -f2; }
sha_etag() { printf '"%s"' "$(sha256sum "$1" | cut -c1-32)"; }

CID=$(q -c "SELECT id FROM microcred.issued_credential LIMIT 1")
AID=$(q -c "SELECT credential_type_id FROM microcred.issued_credential WHERE id = '$CID'")

# --- negotiation: JSON clients unchanged -------------------------------------------
for a in "" "Accept: */*" "Accept: application/json" "Accept: application/vc" "Accept: application/ld+json" \
         "Accept: text/html;q=0.5, application/json" "Accept: text/html, application/vc"; do
    get /credentials/$CID ${a:+-H "$a"} >/dev/null
    ok "$(header Content-Type)|$(q -v doc="$(cat "$TMP/body")" -c "SELECT :'doc'::jsonb = document AND :'doc' = document::text FROM microcred.issued_credential WHERE id = '$CID'")|$(header ETag)|$(header Vary)" \
       "application/vc|t|$(sha_etag "$TMP/body")|Accept" "${a:-no Accept}: the stored document, same bytes, its content ETag, Vary: Accept"
done
ok "$(get "/credentials/$CID?format=json" -H "Accept: $BROWSER")|$(header Content-Type)" "200|application/vc" \
   "?format=json gives a browser the JSON document (the download links)"
ok "$(get "/credentials/$CID?format=jwt" -H "Accept: $BROWSER")|$(header Content-Type)" "200|application/vc+jwt" \
   "?format=jwt gives a browser the JWT"
ok "$(page /credentials/$CID)|$(header Content-Type)|$(header Vary)" "200|text/html; charset=utf-8|Accept, Accept-Language, Accept-Encoding" \
   "a browser's Accept gets the HTML page, varying by Accept and Accept-Language"
ok "$(get /credentials/$CID -H 'Accept: text/*')|$(header Content-Type)" "200|text/html; charset=utf-8" "Accept: text/* gets the page"
for a in "image/png" "application/xml" "text/plain;q=1, image/*" "application/json;q=0, text/html;q=0"; do
    ok "$(get /credentials/$CID -H "Accept: $a")|$(has 'text/html, application/vc, application/json')" "406|1" \
       "Accept: $a answers 406 listing the types there are"
done

# --- the page of a valid credential: verdict and every element ---------------------
page /credentials/$CID >/dev/null
cp "$TMP/body" "$TMP/valid.html"
ok "$(verdict)" valid "the demo credential's verdict is valid"
ok "$(has '<html lang="en"')|$(header Content-Language)" "1|en" "without Accept-Language the interface is English"
for s in 'Data Protection in Clinical Practice' 'Applies the GDPR principles to patient records' \
         'Recognises a personal data breach and reports it within 72 hours' '2 ECTS credits, 50 hours' \
         'EQF 6, QF-EHEA first cycle' 'Quiz, Practical assessment' 'Blended (asynchronous)' \
         'External quality assurance by Quality and Qualifications Ireland' 'Supervised online, with identity verification' \
         'Stackable towards another credential (Certificate in Digital Health)' 'en, ga' 'Pass / Merit / Distinction' \
         'Distinction' 'Aoife Murphy' 'Demo University of Applied Sciences' 'Ireland' 'Leinster' 'DEQARINST9999' \
         'Place of issuance' 'Leinster, Ireland' 'eddsa-rdfc-2022' 'Date of issuance' \
         "$(q -c "SELECT to_char(awarded_date AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM microcred.issued_credential WHERE id = '$CID'")" \
         "$(q -c "SELECT document->'proof'->>'verificationMethod' FROM microcred.issued_credential WHERE id = '$CID'")" \
         "href=\"/credentials/$CID?format=json\"" "href=\"/credentials/$CID?format=jwt\"" 'How to verify this yourself' \
         '<main id="main">' '<header>' '<footer>' '<h1><bdi>' 'property="og:title"' 'name="twitter:card"' \
         "property=\"og:image\" content=\"http://127.0.0.1:8080/achievements/$AID/image\"" \
         "linkedin.com/sharing/share-offsite/?url=http%3A%2F%2F127.0.0.1%3A8080%2Fcredentials%2F$CID" '<svg xmlns='; do
    ok "$(has "$s")" 1 "the page shows: $s"
done
ok "$(grep -c '<script' "$TMP/body")" 0 "the page holds no script"
CSP=$(header Content-Security-Policy)
ok "$(printf '%s' "$CSP" | grep -c "default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]*'; img-src 'self' data:; script-src 'none'")" 1 \
   "a strict CSP: nothing but the page's own hashed stylesheet and same-origin images, no script"
ok "$(python3 -c "
import sys, re, hashlib, base64
h = open('$TMP/body', encoding='utf-8').read()
css = re.search(r'<style>(.*?)</style>', h, re.S).group(1)
print(base64.b64encode(hashlib.sha256(css.encode()).digest()).decode())")" "$(printf '%s' "$CSP" | sed -n "s/.*'sha256-\([^']*\)'.*/\1/p")" \
   "the CSP's style hash is the hash of the page's stylesheet"
ETAG=$(header ETag)
ok "$(printf '%s' "$ETAG" | grep -cE '^"[0-9a-f]{32}"$')|$(header Cache-Control)" "1|public, max-age=60" \
   "the page has an ETag and a one-minute lifetime (its verdict may change)"
ok "$(page /credentials/$CID -H "If-None-Match: $ETAG")" 304 "If-None-Match with the page's ETag answers 304"
page /credentials/$CID >/dev/null
ok "$(cmp -s "$TMP/body" "$TMP/valid.html" && echo same)|$(header ETag)" "same|$ETAG" "the cached page is the same page"
page /credentials/$CID -H 'Accept-Encoding: gzip, deflate, br' >/dev/null
GZ_ETAG=$(header ETag)
ok "$(header Content-Encoding)|$(gzip -dc "$TMP/body" | cmp -s - "$TMP/valid.html" && echo same)|$GZ_ETAG" "gzip|same|${ETAG%\"}-gz\"" \
   "a browser accepting gzip gets the same page gzip-compressed, with its own ETag"
ok "$(page /credentials/$CID -H 'Accept-Encoding: gzip' -H "If-None-Match: $GZ_ETAG")|$(page /credentials/$CID -H 'Accept-Encoding: gzip;q=0, identity')|$(header Content-Encoding)" \
   "304|200|" "its ETag answers 304; gzip;q=0 gets the plain page"

# --- languages ----------------------------------------------------------------
page /credentials/$CID -H 'Accept-Language: de-DE,de;q=0.9,en;q=0.8' >/dev/null
ok "$(has '<html lang="de"')|$(header Content-Language)|$(has 'Gültig')|$(has 'Ausstellende Einrichtung')|$(has 'Lernergebnisse')" "1|de|1|1|1" \
   "Accept-Language: de gets the German interface"
ok "$(has 'Applies the GDPR principles to patient records')" 1 "... with the credential's own texts as issued"
page /credentials/$CID -H 'Accept-Language: fr-CH, fr;q=0.9, de;q=0.8' >/dev/null
ok "$(has '<html lang="fr"')|$(has 'Valide')|$(has 'Organisme de délivrance')" "1|1|1" "Accept-Language: fr gets the French interface"
page /credentials/$CID -H 'Accept-Language: es, de;q=0.1, fr;q=0.5' >/dev/null
ok "$(has '<html lang="fr"')" 1 "the language of ours with the highest q wins"
for g in ';;;,,,q=' 'de;q=abc' '*' "$(head -c 3000 /dev/zero | tr '\0' 'x')" 'zz-ZZ, ü;q=0.3' ',de'; do
    ok "$(page /credentials/$CID -H "Accept-Language: $g")|$(grep -o '<html lang="[a-z]*"' "$TMP/body")" \
       "200|$( [ "$g" = ',de' ] && echo '<html lang="de"' || echo '<html lang="en"')" "Accept-Language garbage '${g:0:20}' gets a page"
done

# --- verdicts ---------------------------------------------------------------------
learner() { q -c "SELECT microcred.add_learner(issuer => 'demo-uas', email => '$1@student.demo-uas.example', given_name => '$2', family_name => '$3', name_in_credential => true)"; }
L2=$(learner revoked Rory Revoked)
REV=$(q -c "SELECT microcred.issue('demo-uas/GDPR-NURSE', '$L2')")
q -c "SELECT microcred.revoke('$REV', 'issued in error')" >/dev/null
ok "$(page /credentials/$REV)|$(verdict)|$(has 'Revoked')|$(has 'issued in error')" "200|revoked|1|1" "a revoked credential's page says revoked, with the reason"
ok "$(has 'Data Protection in Clinical Practice')|$(has 'Learning outcomes')" "1|1" "... and still shows what it certified"
SUSP_T=$(q -c "SELECT microcred.define_credential(issuer => 'demo-uas', code => 'SUSP', title => 'Suspendable one', description => 'Can be suspended.', learning_outcomes => ARRAY['Works'], ects => 1, eqf_level => 4, assessment => ARRAY['online_quiz'], participation => 'online', quality_assurance => 'internal', suspendable => true)")
L3=$(learner suspended Sam Suspended)
SUS=$(q -c "SELECT microcred.issue('demo-uas/SUSP', '$L3')")
q -c "SELECT microcred.suspend('$SUS', 'under review')" >/dev/null
ok "$(page /credentials/$SUS)|$(verdict)|$(has 'Suspended')" "200|suspended|1" "a suspended credential's page says suspended"
L4=$(learner expired Eve Expired)
EXP=$(q -c "SELECT microcred.issue('demo-uas/GDPR-NURSE', '$L4', issued_at => now() - interval '4 years')")
ok "$(page /credentials/$EXP)|$(verdict)|$(has 'Expired')" "200|expired|1" "an expired credential's page says expired"
L5=$(learner superseded Sue Superseded)
OLD=$(q -c "SELECT microcred.issue('demo-uas/GDPR-NURSE', '$L5', grade => 'Merit')")
NEW=$(q -c "SELECT microcred.supersede('$OLD', grade => 'Distinction')")
NEW_URL=$(q -c "SELECT document->>'id' FROM microcred.issued_credential WHERE id = '$NEW'")
ok "$(page /credentials/$OLD)|$(verdict)|$(has "rel=\"successor-version\" href=\"$NEW_URL\"")" "200|superseded|1" \
   "a superseded credential's page says superseded and links the new one"
ok "$(page /credentials/$NEW)|$(verdict)" "200|valid" "the new one is valid"
L6=$(learner erased Ed Erased)
ERA=$(q -c "SELECT microcred.issue('demo-uas/GDPR-NURSE', '$L6')")
q -c "SELECT microcred.erase_learner('$L6', 'request')" >/dev/null
ok "$(page /credentials/$ERA)|$(verdict)|$(has 'Erased')|$(header Content-Type)" "410|erased|1|text/html; charset=utf-8" \
   "an erased credential answers 410 with a page that says erased"
ok "$(grep -c 'Ed Erased\|Data Protection' "$TMP/body")" 0 "... and shows nothing of it"
ok "$(get /credentials/$ERA)" 410 "a JSON client still gets the 410 it got before"
ok "$(page /credentials/$(q -c 'SELECT gen_random_uuid()'))|$(header Content-Type)" "404|text/html; charset=utf-8" "an unknown credential: a 404 page"
ok "$(page /credentials/not-a-uuid)" 404 "a malformed id: 404"

# --- hostile texts ------------------------------------------------------------------
EVIL_TITLE=$'<script>alert(1)</script> \u202eevil\u202c "q" & \'a\' Za\u0351l\u0352g\u0353o \u05e9\u05dc\u05d5\u05dd'
q -v t="$EVIL_TITLE" -c "SELECT microcred.define_credential(issuer => 'demo-uas', code => 'EVIL', title => :'t', description => '<img src=x onerror=alert(2)>', learning_outcomes => ARRAY['</dd><script>alert(3)</script>', 'مرحبا بالعالم'], ects => 1, eqf_level => 4, assessment => ARRAY['online_quiz'], participation => 'online', quality_assurance => 'internal', prerequisites => '\"><svg onload=alert(4)>')" >/dev/null
EVIL_L=$(q -c "SELECT microcred.add_learner(issuer => 'demo-uas', email => 'evil@student.demo-uas.example', given_name => '<b onmouseover=alert(5)>Mal', family_name => E'\u202eyrots\u202c Z\u0353\u0351\u0352', name_in_credential => true)")
EVIL=$(q -c "SELECT microcred.issue('demo-uas/EVIL', '$EVIL_L')")
ok "$(page /credentials/$EVIL)|$(verdict)" "200|valid" "a credential with hostile texts gets its page"
ok "$(grep -c '<script\|<img\|<svg onload\|<b onmouseover' "$TMP/body")" 0 "no markup of the texts gets through"
ok "$(has '&lt;script&gt;alert(1)&lt;/script&gt;')|$(has '&lt;img src=x onerror=alert(2)&gt;')|$(has '&lt;/dd&gt;&lt;script&gt;alert(3)')|$(has '&quot;&gt;&lt;svg onload=alert(4)&gt;')|$(has '&lt;b onmouseover=alert(5)&gt;Mal')" \
   "1|1|1|1|1" "title, description, outcomes, prerequisites and learner name are escaped"
ok "$(has $'<dd><bdi>&lt;b onmouseover=alert(5)&gt;Mal \u202eyrots\u202c Z\u0353\u0351\u0352</bdi></dd>')|$(has $'Za\u0351l\u0352g\u0353o')|$(has '<li><bdi>مرحبا بالعالم</bdi></li>')" "1|1|1" \
   "RTL and combining characters stay as given, each text isolated (bdi)"
ok "$(python3 -c "
import html.parser, sys
class P(html.parser.HTMLParser):
    def __init__(s): super().__init__(); s.stack=[]; s.bad=0
    def handle_starttag(s, t, a):
        if t in ('script','iframe','object','embed') or any(k.startswith('on') for k, v in a): s.bad += 1
p = P(); p.feed(open('$TMP/body', encoding='utf-8').read()); print(p.bad)")" 0 "parsed as HTML, the page has no script element and no event handler attribute"

# --- catalogue -------------------------------------------------------------------------
ok "$(page /issuers/demo-uas)|$(header Content-Type)|$(has 'Data Protection in Clinical Practice')|$(has 'Python for Data Analysis')|$(has 'Basic programming in any language')|$(has 'Leinster')" \
   "200|text/html; charset=utf-8|1|1|1|1" "an issuer's page lists its micro-credentials with their elements"
ok "$(has "href=\"/achievements/$AID\"")|$(has '&lt;script&gt;alert(1)')|$(grep -c '<script' "$TMP/body")" "1|1|0" "... linking each, hostile titles escaped"
ok "$(get /issuers/demo-uas)|$(header Content-Type)" "200|application/json" "a JSON client still gets the issuer profile"
ok "$(page /achievements/$AID)|$(has 'EQF 6, QF-EHEA first cycle')|$(has 'Demo University of Applied Sciences')|$(has "src=\"/achievements/$AID/image\"")" \
   "200|1|1|1" "an achievement's page shows its elements, issuer and badge"
ok "$(get /achievements/$AID)|$(header Content-Type)" "200|application/json" "a JSON client still gets the Achievement"
ok "$(page /issuers/nobody)" 404 "an unknown issuer: 404"

# --- badge images ----------------------------------------------------------------------
ok "$(get /achievements/$AID/image)|$(header Content-Type)|$(has 'Data Protection in')|$(has 'EQF 6 · 2 ECTS')|$(has 'Demo University of Applied Sciences')" \
   "200|image/svg+xml|1|1|1" "without an image of its own, a generated badge: title, EQF, ECTS, issuer"
ok "$(header Content-Security-Policy | grep -c sandbox)" 1 "images are served with a sandboxing CSP"
ok "$(python3 -c "import xml.dom.minidom; xml.dom.minidom.parse('$TMP/body'); print('xml')")" xml "the generated badge is well-formed XML"
EVIL_AID=$(q -c "SELECT id FROM microcred.credential_type WHERE code = 'EVIL'")
get /achievements/$EVIL_AID/image >/dev/null
ok "$(python3 -c "import xml.dom.minidom; d = xml.dom.minidom.parse('$TMP/body'); print(len(d.getElementsByTagName('script')))")" 0 \
   "a hostile title gives a well-formed badge without script"
ok "$(get /issuers/demo-uas/image)|$(header Content-Type)" "200|image/svg+xml" "an issuer without an image gets a generated one"
ok "$(get /achievements/$(q -c 'SELECT gen_random_uuid()')/image)" 404 "an unknown achievement's image: 404"
refused() {  # refused SVG-TEXT: the error of set_issuer_image
    q -v s="$1" -c "SELECT microcred.set_issuer_image('demo-uas', convert_to(:'s', 'UTF8'))" 2>&1 | grep -o 'ERROR: .*' | head -1
}
for svg in '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>|a script element' \
           '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>|an event handler' \
           '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>|a foreignObject' \
           '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/></svg>|a reference to another resource (href)' \
           '<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(https://evil.example/#x)"/></svg>|a reference to another resource (url())' \
           '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>|must be a PNG or an SVG' \
           'GIF89a....|must be a PNG or an SVG'; do
    ok "$(refused "${svg%%|*}" | grep -c -F "${svg##*|}")" 1 "a badge SVG with ${svg##*|} is refused with a clear error"
done
ok "$(q -c "SELECT microcred.set_issuer_image('demo-uas', convert_to(repeat('<svg>', 60000), 'UTF8'))" 2>&1 | grep -c 'image of the awarding body is too large')" 1 \
   "an image over 256 kB is refused"
GOOD='<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><defs><linearGradient id="g"/></defs><rect width="10" height="10" fill="url(#g)"/></svg>'
q -v s="$GOOD" -c "SELECT microcred.set_issuer_image('demo-uas', convert_to(:'s', 'UTF8'))" >/dev/null
sleep 2.1   # the image cache's lifetime (public_cache_s)
ok "$(get /issuers/demo-uas/image)|$(cat "$TMP/body")" "200|$GOOD" "an inert SVG is stored and served as given"
PNG_HEX=89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a1b6e90c0000000049454e44ae426082
PNG_T=$(q -c "SELECT microcred.define_credential(issuer => 'demo-uas', code => 'PNG', title => 'With a PNG', description => 'Badge.', learning_outcomes => ARRAY['Works'], ects => 1, eqf_level => 4, assessment => ARRAY['online_quiz'], participation => 'online', quality_assurance => 'internal', image => '\\x$PNG_HEX')")
ok "$(get /achievements/$PNG_T/image)|$(header Content-Type)|$(od -An -tx1 "$TMP/body" | tr -d ' \n')" "200|image/png|$PNG_HEX" \
   "define_credential(image => PNG bytes): served as image/png, byte for byte"
ok "$(q -c "SELECT microcred.define_credential(issuer => 'demo-uas', code => 'BADSVG', title => 'x', description => 'x', learning_outcomes => ARRAY['x'], ects => 1, eqf_level => 4, assessment => ARRAY['online_quiz'], participation => 'online', quality_assurance => 'internal', image => convert_to('<svg onclick=\"x()\"/>', 'UTF8'))" 2>&1 | grep -c 'badge image of the micro-credential is an SVG with an event handler')" 1 \
   "define_credential refuses a hostile SVG badge"
ok "$(q -c "SELECT document->'credentialSubject'->'achievement'->'image' = jsonb_build_object('id', 'http://127.0.0.1:8080/achievements/' || credential_type_id || '/image', 'type', 'Image')
                AND document->'issuer'->'image' = '{\"id\": \"http://127.0.0.1:8080/issuers/demo-uas/image\", \"type\": \"Image\"}'
              FROM microcred.issued_credential WHERE id = '$NEW'")" t \
   "a newly issued credential names its badge and its issuer's image (OB 3.0 Image under the bridge)"

# --- the QR code ---------------------------------------------------------------------------
ok "$(get /credentials/$CID/qr.svg)|$(header Content-Type)|$(has '<svg xmlns="http://www.w3.org/2000/svg"')" "200|image/svg+xml|1" \
   "GET /credentials/{id}/qr.svg is an SVG"
ok "$(get /credentials/$ERA/qr.svg)|$(get /credentials/$(q -c 'SELECT gen_random_uuid()')/qr.svg)|$(get /credentials/$CID/qr.png)" "410|404|404" \
   "no QR code of an erased or unknown credential; other paths 404"
if command -v zbarimg >/dev/null && command -v rsvg-convert >/dev/null; then
    get /credentials/$CID/qr.svg >/dev/null
    rsvg-convert -w 400 "$TMP/body" -o "$TMP/qr.png" 2>/dev/null
    ok "$(zbarimg -q --raw "$TMP/qr.png" 2>/dev/null)" "http://127.0.0.1:8080/credentials/$CID" "the QR code decodes to the verification URL"
fi

# --- POST /verify ------------------------------------------------------------------------
ok "$(get /verify)|$(has '<form method="post" action="/verify" enctype="multipart/form-data">')|$(has 'name="file"')|$(has 'not fetched')" "200|1|1|1" \
   "GET /verify is the form, saying what is not fetched"
get "/credentials/$CID?format=json" >/dev/null; cp "$TMP/body" "$TMP/cred.json"
ok "$(get /verify -F "file=@$TMP/cred.json;type=application/json")|$(verdict)|$(has 'Aoife Murphy')|$(has 'Not checked here')" "200|valid|1|1" \
   "an uploaded credential file is verified: valid, its contents shown, and what could not be checked"
ok "$(get /verify --data-urlencode "credential@$TMP/cred.json")|$(verdict)" "200|valid" "a pasted credential (form-urlencoded) is verified"
get "/credentials/$REV?format=json" >/dev/null; cp "$TMP/body" "$TMP/rev.json"
ok "$(get /verify -F "credential=<$TMP/rev.json")|$(verdict)" "200|revoked" "a pasted revoked credential: revoked"
JWT=$(curl -s "$URL/credentials/$CID?format=jwt")
ok "$(get /verify -F "credential=$JWT")|$(verdict)|$(has 'Data Protection in Clinical Practice')" "200|valid|1" "a pasted compact JWT is verified and shown"
ok "$(get /verify -F 'credential={"hello": "world"}')|$(verdict)|$(has 'structure')" "200|invalid|1" "a JSON that is no credential: not valid, with the failed check"
ok "$(get /verify --form-string 'credential=<script>alert(1)</script>')|$(verdict)|$(grep -c '<script>alert' "$TMP/body")" "200|invalid|0" "garbage: not valid, nothing echoed unescaped"
ok "$(get /verify -F 'credential=')" 400 "an empty form: 400 with the form again"
head -c 10485760 /dev/zero | tr '\0' 'a' >"$TMP/big"
ok "$(get /verify -F "file=@$TMP/big")" 413 "a 10 MB upload is refused (413)"
ok "$(get /verify -X PUT)" 405 "PUT /verify: 405"
# the rate limit: 1 per second per address, bursts of 2
write_conf 1
kill -HUP "$DPID"
sleep 1
codes=$(for i in 1 2 3 4 5 6 7 8; do curl -s -o /dev/null -w '%{http_code} ' --max-time 10 -F 'credential={}' "$URL/verify"; done)
ok "$(printf '%s' "$codes" | grep -c 429)" 1 "POST /verify is rate-limited per client (429 after the burst: $codes)"
ok "$(curl -s "$URL/metrics" | grep -c 'microcred_bridge_refused_total{kind="rate_limit_verify"} [1-9]')" 1 "/metrics counts them"

echo "1..$n"
