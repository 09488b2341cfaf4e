#!/bin/bash
# Bitstring Status List encodedList interoperability, checked by an
# independent implementation: Debian's /usr/bin/python3 standard library
# (base64, gzip, zlib).  Python encodes known bit patterns that our decoder
# must read bit for bit, and decodes what our encoder produces, bit for bit.
# Our side is tests/unit/test_statuslist.c in its --encode / --decode helper
# modes, compiled here into a temporary directory.  Prints TAP; exits
# non-zero on any failure.  Needs no database (PGHOST etc. are ignored).
set -eu
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the pure cores as the Makefile lists them (CORE_SRCS)
if ! cc -std=c11 -D_GNU_SOURCE -O2 -Ipg_extension -o "$tmp/statuslist" \
        tests/unit/test_statuslist.c $(make -s --no-print-directory print-core-srcs) \
        -lz -lcrypto -lm 2>"$tmp/cc.log"; then
    echo "not ok 1 - compile the status list helper"
    sed 's/^/# /' "$tmp/cc.log"
    echo "1..1"
    exit 1
fi
/usr/bin/python3 - "$tmp/statuslist" <<'PY'
import base64, gzip, io, random, re, subprocess, sys, zlib

tool = sys.argv[1]
n = 0
failed = 0

def ok(cond, desc, diag=None):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, desc))
    if not cond and diag:
        print("# " + str(diag).replace("\n", "\n# "))
    return cond

def make_bits(nentries, indexes):
    """Entry i is bit 0x80 >> (i % 8) of byte i // 8 (left-most bit first)."""
    b = bytearray(nentries // 8)
    for i in indexes:
        b[i // 8] |= 0x80 >> (i % 8)
    return bytes(b)

def entries_set(bits):
    return {i for i in range(len(bits) * 8) if bits[i // 8] & (0x80 >> (i % 8))}

def b64u_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

def u_encode(raw):
    return "u" + base64.urlsafe_b64encode(raw).decode().rstrip("=")

def our_encode(bits):
    p = subprocess.run([tool, "--encode"], input=bits, capture_output=True)
    return p.returncode, p.stdout.decode().strip(), p.stderr.decode().strip()

def our_decode(text):
    p = subprocess.run([tool, "--decode"], input=text.encode(), capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode().strip()

rng = random.Random(20261128)
known = [0, 3, 7, 9, 94567, 131071]
patterns = [
    ("all-zero 131072-entry list", make_bits(131072, [])),
    ("entries 0, 3, 7, 9, 94567, 131071", make_bits(131072, known)),
    ("131072 entries, 1% set at random", make_bits(131072, known + rng.sample(range(131072), 1311))),
    ("131072 entries, all set", b"\xff" * 16384),
    ("1048576 entries, 0.1% set at random", make_bits(1048576, rng.sample(range(1048576), 1049))),
]

# the hand-computed byte: entries 0, 3, 7 -> 1001 0001
ok(make_bits(131072, known)[0] == 0x91, "reference bit order: entries 0, 3, 7 give first byte 0x91")

# our encoder -> Python's decoder
for name, bits in patterns:
    rc, text, err = our_encode(bits)
    if not ok(rc == 0 and re.fullmatch(r"u[A-Za-z0-9_-]+", text) is not None,
              "we encode the %s as u + unpadded base64url" % name, err or text[:80]):
        continue
    raw = b64u_decode(text[1:])
    ok(raw[:4] == b"\x1f\x8b\x08\x00" and raw[4:8] == b"\0\0\0\0",
       "  its GZIP header has no flags and mtime 0", raw[:10].hex())
    try:
        back = gzip.decompress(raw)
    except Exception as e:
        back = None
        ok(False, "  Python's gzip decompresses it", repr(e))
    else:
        ok(back == bits, "  Python's gzip gives back the same %d entries, bit for bit" % (len(bits) * 8),
           "differs in entries %s" % sorted(entries_set(bits) ^ entries_set(back or b""))[:10])
    ok(our_encode(bits)[1] == text, "  encoding it again gives the same text")

# Python's encoder (several settings) -> our decoder
bits = patterns[2][1]
def gz_named(data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="statuslist.bin", mode="wb", fileobj=buf, mtime=1700000000) as f:
        f.write(data)
    return buf.getvalue()
def gz_level(data, level, strategy=zlib.Z_DEFAULT_STRATEGY):
    c = zlib.compressobj(level, zlib.DEFLATED, 31, 8, strategy)
    return c.compress(data) + c.flush()
encoders = [
    ("gzip.compress, level 9, mtime 0", lambda d: gzip.compress(d, mtime=0)),
    ("gzip with a file name and an mtime", gz_named),
    ("zlib GZIP level 1", lambda d: gz_level(d, 1)),
    ("zlib GZIP level 6 (the specification's example settings)", lambda d: gz_level(d, 6)),
    ("zlib GZIP Huffman only", lambda d: gz_level(d, 6, zlib.Z_HUFFMAN_ONLY)),
    ("zlib GZIP stored (level 0)", lambda d: gz_level(d, 0)),
]
for name, enc in encoders:
    for pname, p in (patterns[1], patterns[2], patterns[4]):
        rc, out, err = our_decode(u_encode(enc(p)))
        ok(rc == 0 and out == p, "we decode Python's %s of the %s, bit for bit" % (name, pname),
           err or "differs in entries %s" % sorted(entries_set(p) ^ entries_set(out))[:10])

# the example of the W3C Recommendation (an all-zero 16 KB list)
spec = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
ok(gzip.decompress(b64u_decode(spec[1:])) == bytes(16384), "Python reads the specification's example as 131072 zero entries")
rc, out, err = our_decode(spec)
ok(rc == 0 and out == bytes(16384), "so do we", err)

# what Python can produce but the specification forbids, we refuse
def gz_name(data, name):
    buf = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", fileobj=buf, mtime=0) as f:
        f.write(data)
    return buf.getvalue()
padded = next(t for t in ("u" + base64.urlsafe_b64encode(gz_name(bits, "x" * k)).decode()
                          for k in range(1, 4)) if t.endswith("="))
bad = [
    ("a zlib-wrapped (RFC 1950) list", u_encode(zlib.compress(bits)), "zlib-wrapped"),
    ("a raw deflate list", u_encode(zlib.compress(bits)[2:-4]), "not GZIP"),
    ("a padded base64url text", padded, "base64url"),
    ("a standard base64 text without the u prefix", base64.b64encode(gzip.compress(bits, mtime=0)).decode(), "must start with"),
    ("two GZIP members", u_encode(gzip.compress(bits[:8192]) + gzip.compress(bits[8192:])), "trailing data"),
    ("a 16376-byte list (131008 entries)", u_encode(gzip.compress(bits[:16376])), "shorter than the minimum 131072 entries"),
    ("a 32 MiB list of zeros (decompression bomb)", u_encode(gzip.compress(bytes(32 << 20))), "larger than the limit"),
]
for name, text, want in bad:
    rc, out, err = our_decode(text)
    ok(rc != 0 and want in err, "we refuse %s" % name, err)

print("1..%d" % n)
sys.exit(1 if failed else 0)
PY
