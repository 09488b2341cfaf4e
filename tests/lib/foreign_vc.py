#!/usr/bin/env python3
"""Credentials of other issuers, signed with keys generated here (Python
cryptography, not microcred), for sql/verify_trust.sql.  Prints one JSON
object of fixtures.  The keys are new at every run, so the test prints
verdicts and reasons only, with key material masked.

Signing follows W3C Data Integrity EdDSA (eddsa-jcs-2022): hash =
SHA-256(JCS(proof options + document @context)) || SHA-256(JCS(document)),
proofValue = "z" + base58btc(Ed25519 signature); a chained proof signs the
document with "proof" set to the proofs its previousProof names.  JWTs are
W3C VC-JOSE (typ vc+jwt)."""
import base64, gzip, hashlib, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'


def b58(data):
    n = int.from_bytes(data, 'big')
    out = ''
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return '1' * (len(data) - len(data.lstrip(b'\0'))) + out


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def jcs(obj):
    return json.dumps(obj, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode()


class Key:
    def __init__(self):
        self.sk = Ed25519PrivateKey.generate()
        self.pub = self.sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.mb = 'z' + b58(b'\xed\x01' + self.pub)
        self.did = 'did:key:' + self.mb
        self.didvm = self.did + '#' + self.mb
        self.jwk = {'kty': 'OKP', 'crv': 'Ed25519', 'x': b64u(self.pub)}


def sign(doc, key, vm, proof_id=None, previous=None, bad=False):
    """doc with one more proof (a proof set when it had one already)"""
    unsecured = {k: v for k, v in doc.items() if k != 'proof'}
    existing = doc.get('proof', [])
    existing = existing if isinstance(existing, list) else [existing]
    opts = {'type': 'DataIntegrityProof', 'cryptosuite': 'eddsa-jcs-2022', 'created': '2026-01-01T00:00:00Z',
            'verificationMethod': vm, 'proofPurpose': 'assertionMethod'}
    if proof_id:
        opts['id'] = proof_id
    if previous:
        opts['previousProof'] = previous
        names = previous if isinstance(previous, list) else [previous]
        unsecured['proof'] = [p for p in existing if p.get('id') in names]
    config = dict(opts, **{'@context': doc['@context']})
    data = hashlib.sha256(jcs(config)).digest() + hashlib.sha256(jcs(unsecured)).digest()
    sig = key.sk.sign(data)
    if bad:
        sig = key.sk.sign(data + b'x')
    proof = dict(opts, proofValue='z' + b58(sig))
    out = dict(doc)
    out['proof'] = existing + [proof] if existing else proof
    return out


def jwt(payload, key, header):
    h = b64u(jcs(header))
    p = b64u(jcs(payload))
    return h + '.' + p + '.' + b64u(key.sk.sign((h + '.' + p).encode()))


EMAIL = 'verify.trust@example.org'
SALT = 'pepper'


def credential(issuer, cid, status=None):
    doc = {
        '@context': ['https://www.w3.org/ns/credentials/v2',
                     'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
        'id': cid,
        'type': ['VerifiableCredential', 'OpenBadgeCredential'],
        'issuer': {'id': issuer, 'type': ['Profile'], 'name': 'Another university'},
        'name': 'Statistics badge',
        'validFrom': '2026-01-01T00:00:00Z',
        'credentialSubject': {
            'type': ['AchievementSubject'],
            'identifier': [{'type': 'IdentityObject', 'identityType': 'emailAddress', 'hashed': True, 'salt': SALT,
                            'identityHash': 'sha256$' + hashlib.sha256((EMAIL + SALT).encode()).hexdigest()}],
            'achievement': {'id': cid + '/achievement', 'type': ['Achievement'], 'name': 'Statistics',
                            'description': 'Descriptive statistics.',
                            'criteria': {'narrative': 'Passed the examination.'}}}}
    if status is not None:
        doc['credentialStatus'] = status
    return doc


def status_list(issuer, url, purpose, set_bits, size=131072):
    bits = bytearray(size // 8)
    for i in set_bits:
        bits[i // 8] |= 0x80 >> (i % 8)
    return {'@context': ['https://www.w3.org/ns/credentials/v2'], 'id': url,
            'type': ['VerifiableCredential', 'BitstringStatusListCredential'], 'issuer': issuer,
            'validFrom': '2026-01-01T00:00:00Z',
            'credentialSubject': {'id': url + '#list', 'type': 'BitstringStatusList', 'statusPurpose': purpose,
                                  'encodedList': 'u' + b64u(gzip.compress(bytes(bits), mtime=0))}}


def entry(url, purpose, idx):
    return {'id': '%s#%d' % (url, idx), 'type': 'BitstringStatusListEntry', 'statusPurpose': purpose,
            'statusListIndex': str(idx), 'statusListCredential': url}


A = 'https://uni-a.example/issuers/a'        # an https issuer, keys registered by trust_key
W = 'did:web:uni-w.example'                   # a did:web issuer, keys registered by trust_key
ka, kw, kx, kd = Key(), Key(), Key(), Key()   # A's key, W's key, the attacker's, a did:key issuer's
A_VM = A + '#key-1'
W_VM = W + '#key-1'
REV = 'https://uni-a.example/status/1'
SUS = 'https://uni-a.example/status/2'
fx = {
    'a_issuer': A, 'a_vm': A_VM, 'a_key': ka.mb, 'w_issuer': W, 'w_vm': W_VM, 'w_key': kw.mb,
    # A's own, correctly signed credential (positive control)
    'a_good': sign(credential(A, 'urn:uuid:3f1b5a52-0001-4000-8000-000000000001'), ka, A_VM),
    # claims A, signed by the attacker: an unrelated did:key, a fragment key of A's URL
    'unrelated_didkey': sign(credential(A, 'urn:uuid:3f1b5a52-0002-4000-8000-000000000002'), kx, kx.didvm),
    'fragment': sign(credential(A, 'urn:uuid:3f1b5a52-0003-4000-8000-000000000003'), kx, A + '#' + kx.mb),
    # a VC-JOSE JWT claiming A, its key in the JOSE header
    'jwk_header': jwt(credential(A, 'urn:uuid:3f1b5a52-0004-4000-8000-000000000004'), kx,
                      {'alg': 'EdDSA', 'typ': 'vc+jwt', 'jwk': kx.jwk}),
    # did:web issuer: its own key, then the attacker's as a fragment and as a did:key
    'w_good': sign(credential(W, 'urn:uuid:3f1b5a52-0005-4000-8000-000000000005'), kw, W_VM),
    'w_foreign_fragment': sign(credential(W, 'urn:uuid:3f1b5a52-0006-4000-8000-000000000006'), kx, W + '#' + kx.mb),
    'w_foreign_didkey': sign(credential(W, 'urn:uuid:3f1b5a52-0007-4000-8000-000000000007'), kx, kx.didvm),
    # a controller document of A listing the attacker's fragment key: what a caller vouches for
    'a_controller_doc': {'@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
                         'id': A, 'verificationMethod': [{'id': A + '#' + kx.mb, 'type': 'Multikey', 'controller': A,
                                                          'publicKeyMultibase': kx.mb}],
                         'assertionMethod': [A + '#' + kx.mb]},
    'other_controller_doc': {'id': 'https://elsewhere.example/issuers/x',
                             'verificationMethod': [{'id': A + '#' + kx.mb, 'type': 'Multikey',
                                                     'controller': 'https://elsewhere.example/issuers/x',
                                                     'publicKeyMultibase': kx.mb}],
                             'assertionMethod': [A + '#' + kx.mb]},
    'a_controller_doc_auth_only': {'id': A, 'verificationMethod': [{'id': A + '#' + kx.mb, 'type': 'Multikey',
                                                                    'controller': A, 'publicKeyMultibase': kx.mb}],
                                   'authentication': [A + '#' + kx.mb]},
    # a did:key issuer signing with that very key
    'didkey_self': sign(credential(kd.did, 'urn:uuid:3f1b5a52-0008-4000-8000-000000000008'), kd, kd.didvm),
    # status: A revoked credential 0009 (bit 7 of its revocation list)
    'revoked': sign(credential(A, 'urn:uuid:3f1b5a52-0009-4000-8000-000000000009', entry(REV, 'revocation', 7)), ka, A_VM),
    'rev_list': sign(status_list(A, REV, 'revocation', [7]), ka, A_VM),
    # the forged all-zero list of the same URL, signed by the attacker as a did:key, or as a fragment key
    'forged_list': sign(status_list(A, REV, 'revocation', []), kx, kx.didvm),
    'forged_list_fragment': sign(status_list(A, REV, 'revocation', []), kx, A + '#' + kx.mb),
    # two credentialStatus entries (revocation and suspension) of another issuer, both clear
    'two_status': sign(credential(A, 'urn:uuid:3f1b5a52-0010-4000-8000-000000000010',
                                  [entry(REV, 'revocation', 8), entry(SUS, 'suspension', 8)]), ka, A_VM),
    'sus_list': sign(status_list(A, SUS, 'suspension', []), ka, A_VM),
}
# issuer C publishes a controller document (an embedded key with a relative id);
# an admin registers it with trust_controller_document
C = 'https://uni-c.example/issuers/c'
kc = Key()
fx['c_doc'] = {'@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'], 'id': C,
               'assertionMethod': [{'id': '#key-1', 'type': 'Multikey', 'controller': C, 'publicKeyMultibase': kc.mb}],
               'authentication': [{'id': '#key-2', 'type': 'Multikey', 'controller': C, 'publicKeyMultibase': kx.mb}]}
fx['c_good'] = sign(credential(C, 'urn:uuid:3f1b5a52-0012-4000-8000-000000000012'), kc, C + '#key-1')
fx['c_by_auth_key'] = sign(credential(C, 'urn:uuid:3f1b5a52-0013-4000-8000-000000000013'), kx, C + '#key-2')
fx['c_doc_foreign_controller'] = {'id': C, 'assertionMethod': [{'id': '#key-3', 'type': 'Multikey',
                                  'controller': A, 'publicKeyMultibase': kx.mb}]}
# a proof set: A's proof and the attacker's did:key proof (an additional signer), then one bad proof
base = credential(A, 'urn:uuid:3f1b5a52-0011-4000-8000-000000000011')
fx['set_cosigned'] = sign(sign(base, ka, A_VM), kx, kx.didvm)
fx['set_one_bad'] = sign(sign(base, ka, A_VM), kx, kx.didvm, bad=True)
# a chain: A signs, then the attacker's did:key signs over A's proof; then a broken previousProof
c1 = sign(base, ka, A_VM, proof_id='urn:uuid:3f1b5a52-00c1-4000-8000-0000000000c1')
fx['chain_good'] = sign(c1, kx, kx.didvm, proof_id='urn:uuid:3f1b5a52-00c2-4000-8000-0000000000c2',
                        previous='urn:uuid:3f1b5a52-00c1-4000-8000-0000000000c1')
broken = json.loads(json.dumps(fx['chain_good']))
broken['proof'][1]['previousProof'] = 'urn:uuid:3f1b5a52-00c9-4000-8000-0000000000c9'
fx['chain_broken'] = broken
json.dump(fx, sys.stdout)
