#!/bin/sh
# tests/deps.sh [test|bench|fuzz]: check for the Debian 12 packages microcred
# needs and, when run as root, install the missing ones with apt-get.
# Otherwise print exactly what is missing and how to install it, and fail.
set -eu

purpose=${1:-test}

packages="make gcc pkg-config postgresql-15 postgresql-server-dev-15 libpq-dev \
libssl-dev zlib1g-dev libjansson-dev libcurl4-openssl-dev libmicrohttpd-dev libcjose-dev libqrencode-dev \
python3 python3-jsonschema python3-cryptography python3-aiosmtpd curl"
# optional: installed when run as root; otherwise their tests skip with one line
optional=""
case "$purpose" in
    # the verification page in a real browser (tests/t/browser_page.sh), its print and QR code
    test)  optional="chromium chromium-driver python3-selenium poppler-utils zbar-tools" ;;
    bench) packages="$packages wrk" ;;
    fuzz)  packages="$packages clang libclang-rt-14-dev" ;;
esac

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=""
for p in $packages; do
    installed "$p" || missing="$missing $p"
done
missing_optional=""
for p in $optional; do
    installed "$p" || missing_optional="$missing_optional $p"
done
if [ "$(id -u)" -eq 0 ]; then
    missing="$missing$missing_optional"
elif [ -n "$missing_optional" ]; then
    echo "microcred: the browser tests will be skipped; for them install as root: apt-get install -y$missing_optional" >&2
fi

if [ -z "$missing" ]; then
    exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "microcred: this machine has no dpkg; install the equivalents of:$missing" >&2
    exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "microcred: missing Debian packages:$missing" >&2
    echo "Install them as root with:" >&2
    echo "    apt-get install -y$missing" >&2
    echo "(or run this make target as root and it installs them itself)" >&2
    exit 1
fi

echo "microcred: installing missing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
# the package lists may be absent on a fresh machine; refresh them once
if ! apt-get install -y -q --no-install-recommends $missing; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends $missing
fi
