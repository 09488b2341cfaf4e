#!/usr/bin/env python3
"""
tests/wallet/wallet.py: a wallet emulator for OpenID4VCI 1.0 (pre-authorized
code flow), for the tests of microcred's bridge.  Python 3 standard library
and python3-cryptography (Debian) only; loopback HTTP only.

  wallet.py keygen ed25519|p256 FILE        a holder key (PEM)
  wallet.py did FILE did:key|did:jwk|jwk    the holder DID the issuer will bind
  wallet.py flow OFFER_URI KEYFILE BIND CONFIG [TX_CODE]
        scan the offer, read the metadata, redeem the code, get a c_nonce,
        send a key proof, and print {"holder_did", "format", "credential", ...}
  wallet.py get URL                         GET: "STATUS BODY"
  wallet.py token TOKEN_URL CODE [TX_CODE]  "STATUS BODY"
  wallet.py nonce NONCE_URL                 the c_nonce
  wallet.py proof KEYFILE BIND AUD NONCE [--alg none|ES256|EdDSA] [--typ T]
        [--iat-offset S] [--signer OTHERKEY] [--pad N] [--no-nonce]
        a key proof JWT (the options make bad ones)
  wallet.py credential URL TOKEN CONFIG PROOF [--content-type T] [--raw BODY]
        "STATUS BODY"
  wallet.py race TOKEN_URL CODE N           N concurrent redemptions of one
        code: prints how many got an access token and how many invalid_grant
  wallet.py bench BASE N                    (with offers on stdin, one per
        line) N full flows; prints flows per second
  wallet.py payload JWT                     the decoded JWT payload
"""
import base64
import hashlib
import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64u_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b58(b):
    n = int.from_bytes(b, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(b) - len(b.lstrip(b"\0"))) + out


def load_key(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def jwk_of(key):
    pub = key.public_key()
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}
    nums = pub.public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": b64u(nums.x.to_bytes(32, "big")),
            "y": b64u(nums.y.to_bytes(32, "big"))}


def did_key(key):
    pub = key.public_key()
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return "did:key:z" + b58(b"\xed\x01" + raw)
    raw = pub.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    return "did:key:z" + b58(b"\x80\x24" + raw)


def did_jwk(key):
    return "did:jwk:" + b64u(json.dumps(jwk_of(key), separators=(",", ":")).encode())


def holder_did(key, bind):
    """the DID the issuer should write into credentialSubject.id"""
    return did_jwk(key) if bind == "did:jwk" else did_key(key)


def alg_of(key):
    return "EdDSA" if isinstance(key, ed25519.Ed25519PrivateKey) else "ES256"


def sign(key, data):
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def make_proof(key, bind, aud, nonce, alg=None, typ="openid4vci-proof+jwt", iat_offset=0,
               signer=None, pad=0, with_nonce=True):
    header = {"typ": typ, "alg": alg or alg_of(key)}
    if bind == "did:key":
        d = did_key(key)
        header["kid"] = d + "#" + d[len("did:key:"):]
    elif bind == "did:jwk":
        header["kid"] = did_jwk(key) + "#0"
    else:
        header["jwk"] = jwk_of(key)
    claims = {"aud": aud, "iat": int(time.time()) + iat_offset}
    if with_nonce:
        claims["nonce"] = nonce
    if pad:
        claims["pad"] = "x" * pad
    si = b64u(json.dumps(header).encode()) + "." + b64u(json.dumps(claims).encode())
    if header["alg"] == "none":
        return si + "."
    return si + "." + b64u(sign(signer or key, si.encode()))


def http(method, url, body=None, headers=None, timeout=15):
    if not url.startswith("http://127.0.0.1:"):
        raise SystemExit("wallet.py: loopback URLs only, not " + url)
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)


def offer_url(uri):
    u = urllib.parse.urlparse(uri)
    if u.scheme != "openid-credential-offer":
        raise SystemExit("not an openid-credential-offer:// link: " + uri)
    q = urllib.parse.parse_qs(u.query)
    return q["credential_offer_uri"][0]


def well_known(issuer, name):
    u = urllib.parse.urlparse(issuer)
    return f"{u.scheme}://{u.netloc}/.well-known/{name}{u.path}"


def redeem(token_url, code, tx=None):
    form = {"grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            "pre-authorized_code": code}
    if tx is not None:
        form["tx_code"] = tx
    return http("POST", token_url, urllib.parse.urlencode(form).encode(),
                {"Content-Type": "application/x-www-form-urlencoded"})


def ask_credential(url, token, config, proof, content_type="application/json", raw=None):
    body = raw.encode() if raw is not None else json.dumps(
        {"credential_configuration_id": config, "proofs": {"jwt": [proof]}}).encode()
    return http("POST", url, body, {"Content-Type": content_type, "Authorization": "Bearer " + token})


def flow(uri, key, bind, config, tx=None):
    st, body, _ = http("GET", offer_url(uri))
    if st != 200:
        raise SystemExit(f"offer: {st} {body}")
    offer = json.loads(body)
    issuer = offer["credential_issuer"]
    if config not in offer["credential_configuration_ids"]:
        raise SystemExit("the offer does not name " + config)
    st, body, _ = http("GET", well_known(issuer, "openid-credential-issuer"))
    meta = json.loads(body)
    if meta["credential_issuer"] != issuer:
        raise SystemExit("metadata of another issuer")
    st, body, _ = http("GET", well_known(issuer, "oauth-authorization-server"))
    asm = json.loads(body)
    grant = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    st, body, h = redeem(asm["token_endpoint"], grant["pre-authorized_code"], tx)
    if st != 200:
        raise SystemExit(f"token: {st} {body}")
    token = json.loads(body)["access_token"]
    st, body, _ = http("POST", meta["nonce_endpoint"], b"")
    nonce = json.loads(body)["c_nonce"]
    proof = make_proof(key, bind, issuer, nonce)
    st, body, _ = ask_credential(meta["credential_endpoint"], token, config, proof)
    if st != 200:
        raise SystemExit(f"credential: {st} {body}")
    cred = json.loads(body)["credentials"][0]["credential"]
    fmt = meta["credential_configurations_supported"][config]["format"]
    return {"holder_did": holder_did(key, bind), "format": fmt, "credential": cred,
            "issuer": issuer, "display": meta["display"][0]["name"], "access_token": token,
            "credential_endpoint": meta["credential_endpoint"], "nonce_endpoint": meta["nonce_endpoint"],
            "token_endpoint": asm["token_endpoint"]}


def opt(args, name, default=None, flag=False):
    if name in args:
        i = args.index(name)
        if flag:
            del args[i]
            return True
        v = args[i + 1]
        del args[i:i + 2]
        return v
    return False if flag else default


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "keygen":
        key = ed25519.Ed25519PrivateKey.generate() if args[0] == "ed25519" else ec.generate_private_key(ec.SECP256R1())
        with open(args[1], "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    elif cmd == "did":
        print(holder_did(load_key(args[0]), args[1]))
    elif cmd == "flow":
        r = flow(args[0], load_key(args[1]), args[2], args[3], args[4] if len(args) > 4 else None)
        print(json.dumps(r))
    elif cmd == "get":
        st, body, _ = http("GET", args[0])
        print(st, body)
    elif cmd == "token":
        st, body, _ = redeem(args[0], args[1], args[2] if len(args) > 2 else None)
        print(st, body)
    elif cmd == "nonce":
        st, body, _ = http("POST", args[0], b"")
        print(json.loads(body)["c_nonce"])
    elif cmd == "proof":
        alg = opt(args, "--alg")
        typ = opt(args, "--typ", "openid4vci-proof+jwt")
        off = int(opt(args, "--iat-offset", "0"))
        signer = opt(args, "--signer")
        pad = int(opt(args, "--pad", "0"))
        no_nonce = opt(args, "--no-nonce", flag=True)
        print(make_proof(load_key(args[0]), args[1], args[2], args[3], alg, typ, off,
                         load_key(signer) if signer else None, pad, not no_nonce))
    elif cmd == "credential":
        ct = opt(args, "--content-type", "application/json")
        raw = opt(args, "--raw", None)
        st, body, _ = ask_credential(args[0], args[1], args[2], args[3] if len(args) > 3 else "", ct, raw)
        print(st, body)
    elif cmd == "race":
        results = []
        barrier = threading.Barrier(int(args[2]))

        def one():
            barrier.wait()
            results.append(redeem(args[0], args[1])[0])
        ts = [threading.Thread(target=one) for _ in range(int(args[2]))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        print(results.count(200), results.count(400))
    elif cmd == "bench":
        offers = [line.strip() for line in sys.stdin if line.strip()]
        key = ed25519.Ed25519PrivateKey.generate()
        t0 = time.monotonic()
        for o in offers:
            flow(o, key, "did:key", args[0])
        dt = time.monotonic() - t0
        print(f"{len(offers) / dt:.1f}")
    elif cmd == "payload":
        print(b64u_dec(args[0].split(".")[1]).decode())
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
