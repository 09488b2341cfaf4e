#!/usr/bin/python3
"""Open Badges 3.0 credentials of a foreign issuer, signed independently of
microcred: a fresh Ed25519 key (Python's cryptography), the issuer is its
did:key, the proof eddsa-jcs-2022 (W3C vc-di-eddsa: SHA-256 of the JCS of the
proof configuration, then of the document, signed; base58btc).

Prints one JSON array of {"case": ..., "doc": signed credential}: a
conforming credential and variants that each break or bend one rule of the
OB 3.0 data model (sql/ob_conformance.sql verifies them).  Keys and
signatures are new on every run; nothing printed by the suite depends on them.
"""
import copy
import hashlib
import json
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58(data):
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def jcs(v):
    # RFC 8785 for what these documents hold (strings, integers, booleans, objects, arrays)
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


key = Ed25519PrivateKey.generate()
pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
mk = "z" + b58(b"\xed\x01" + pub)
did = "did:key:" + mk


def sign(doc):
    config = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
              "created": "2026-01-01T00:00:00Z", "verificationMethod": did + "#" + mk,
              "proofPurpose": "assertionMethod", "@context": doc["@context"]}
    data = hashlib.sha256(jcs(config)).digest() + hashlib.sha256(jcs(doc)).digest()
    proof = dict(config, proofValue="z" + b58(key.sign(data)))
    return dict(doc, proof=proof)


BASE = {
    "@context": ["https://www.w3.org/ns/credentials/v2",
                 "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
    "id": "urn:uuid:8f3c2a50-0000-4000-8000-000000000001",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "Teamwork Badge",
    "issuer": {"id": did, "type": ["Profile"], "name": "Example Academy"},
    "validFrom": "2026-01-01T00:00:00Z",
    "credentialSubject": {
        "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
        "type": ["AchievementSubject"],
        "achievement": {
            "id": "https://academy.example/achievements/teamwork",
            "type": ["Achievement"],
            "achievementType": "Badge",
            "name": "Teamwork",
            "description": "Collaborates within a group.",
            "criteria": {"narrative": "Nominated by peers."}}}}


def variant(edit):
    d = copy.deepcopy(BASE)
    edit(d)
    return d


def status(purpose, i):
    return {"id": "https://academy.example/status/%s#%d" % (purpose, i), "type": "BitstringStatusListEntry",
            "statusPurpose": purpose, "statusListIndex": str(i),
            "statusListCredential": "https://academy.example/status/%s" % purpose}


cases = [
    ("conforming", variant(lambda d: None)),
    ("AchievementCredential", variant(lambda d: d.update(type=["VerifiableCredential", "AchievementCredential"]))),
    ("identifier only, identityType name", variant(lambda d: (
        d["credentialSubject"].pop("id"),
        d["credentialSubject"].update(identifier=[{"type": "IdentityObject", "identityType": "name",
                                                  "hashed": False, "identityHash": "Ada Lovelace"}])))),
    ("one credentialStatus object", variant(lambda d: d.update(credentialStatus=status("revocation", 7)))),
    ("two credentialStatus entries", variant(lambda d: d.update(
        credentialStatus=[status("revocation", 7), status("suspension", 7)]))),
    ("no achievement", variant(lambda d: d["credentialSubject"].pop("achievement"))),
    ("no criteria", variant(lambda d: d["credentialSubject"]["achievement"].pop("criteria"))),
    ("no achievement name", variant(lambda d: d["credentialSubject"]["achievement"].pop("name"))),
    ("no achievement description", variant(lambda d: d["credentialSubject"]["achievement"].pop("description"))),
    ("no achievement id", variant(lambda d: d["credentialSubject"]["achievement"].pop("id"))),
    ("no subject id or identifier", variant(lambda d: d["credentialSubject"].pop("id"))),
    ("no credential name", variant(lambda d: d.pop("name"))),
    ("issuer as a string", variant(lambda d: d.update(issuer=did))),
    ("issuer without type", variant(lambda d: d["issuer"].pop("type"))),
    ("identityType shoeSize", variant(lambda d: d["credentialSubject"].update(
        identifier=[{"type": "IdentityObject", "identityType": "shoeSize", "hashed": False, "identityHash": "42"}]))),
    ("achievementType Nanodegree", variant(lambda d: d["credentialSubject"]["achievement"].update(
        achievementType="Nanodegree"))),
    ("result status Passed", variant(lambda d: d["credentialSubject"].update(
        result=[{"type": ["Result"], "status": "Passed"}]))),
]
json.dump([{"case": c, "doc": sign(d)} for c, d in cases], sys.stdout, separators=(",", ":"))
