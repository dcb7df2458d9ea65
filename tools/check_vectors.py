#!/usr/bin/env python3
"""Check the sealed-session golden vectors (format v2) against FORMAT.md alone.

An independent opener written only from FORMAT.md (no Rust sources read).
Each vector of tests/vectors/v2.json is opened as FORMAT.md section 6 says,
with the opener policy the vector records (section 7: `ttl`,
`idle_timeout`, `leeway`) and its schemas (`opener_schema`,
`opener_accepts`, `opener_seals_schema`), the result mapped to the `expect`
vocabulary (ok, invalid, decode, unknown_schema, migration, not_yet_valid,
expired, idle_expired, revoked) and the plaintext, the decoded fields, the
session id and schema, the effective deadlines, the re-seal hint and
`in_leeway` compared. The history vectors of the dropped format v1 (version
byte 0x01, section 7) must be `invalid`, whatever they recorded then; a
`reseal_expect` vector is also re-sealed (section 6.2) and must give its
`resealed_cookie` exactly. Every recovered plaintext is re-sealed with the cookie's own nonce and
header, which must reproduce the cookie string exactly; a `padding`
vector's plaintext length must follow the sealer's padding rule (section
5); an `aead_key_id` vector must be authentic when read leniently, so that
only the rule it names rejects it.

Schemas (FORMAT.md sections 4.2, 6 step 7 and 7): the cookie's schema equal
to `opener_schema` is decoded as the current payload type `{ note: String,
visits: u32 }`; one in `opener_accepts` as the older type `{ note: String }`,
then migrated to `{ note, visits: 0 }` (an empty note fails: `migration`);
any other is `unknown_schema`, without reading the payload.

AEADs on top of `cryptography`: XAES-256-GCM (c2sp.org/XAES-256-GCM) from
AES-256-ECB + AESGCM; XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) from a
pure-Python HChaCha20 + ChaCha20Poly1305. Both are first checked against
published known-answer vectors, as are the strict base64 and key-id decoders.

Usage: python3 tools/check_vectors.py [FILE.json ...]   (default: v2.json;
exit 0 = all passed; the last line is `N passed, M failed`)
"""
import base64
import json
import struct
import sys
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SUBKEY_VERSION = 0x01             # FORMAT.md §3: the byte in the HKDF info
VERSIONS = (0x02,)                # FORMAT.md §1, §8: the versions an opener supports
V1_HISTORY = 0x01                 # FORMAT.md §7: the dropped format v1's byte
SESSION_ID_LEN = 8                # FORMAT.md §4.1
DEFAULT_MAX = 4096                 # FORMAT.md §5: max <= 4096
NONCE_LEN, TAG_LEN = 24, 16
MAX_TIME = 253402300799            # 9999-12-31T23:59:59Z
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


class Reject(Exception):
    """An opening failure; `outcome` is one of the vectors' expect words."""

    def __init__(self, outcome, why, plaintext=None, head=None):
        super().__init__(f"{outcome} ({why})")
        self.outcome, self.why, self.plaintext, self.head = outcome, why, plaintext, head


# --- encodings (FORMAT.md §1, §3) -------------------------------------------

def b64_decode(text):
    """Strict canonical base64url without padding; raises ValueError."""
    if len(text) % 4 == 1:
        raise ValueError("length = 1 mod 4")
    acc = nbits = 0
    out = bytearray()
    for ch in text:
        v = B64.find(ch)
        if v < 0:
            raise ValueError(f"bad character {ch!r}")
        acc, nbits = (acc << 6) | v, nbits + 6
        if nbits >= 8:
            nbits -= 8
            out.append(acc >> nbits)
            acc &= (1 << nbits) - 1
    if acc:
        raise ValueError("non-zero trailing bits")
    return bytes(out)


def b64_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def varint_encode(n):
    out = bytearray()
    while n > 0x7F:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(out + bytes([n]))


def parse_key_id(buf, pos):
    """Canonical varint u32 (FORMAT.md §1); returns (key_id, new_pos)."""
    value = 0
    for i in range(5):
        if pos + i >= len(buf):
            raise ValueError("truncated key id")
        b = buf[pos + i]
        value |= (b & 0x7F) << (7 * i)
        if not b & 0x80:
            if i > 0 and b == 0:
                raise ValueError("non-minimal key id")
            if value > 0xFFFFFFFF:
                raise ValueError("key id over 2^32-1")
            return value, pos + i + 1
    raise ValueError("key id longer than 5 bytes")


def pae(*parts):
    """PASETO pre-authentication encoding: LE64(n) || (LE64(len) || part)*."""
    return struct.pack("<Q", len(parts)) + b"".join(
        struct.pack("<Q", len(p)) + p for p in parts)


def subkey_and_aad(master, key_id, alg, cookie_name, header):
    """FORMAT.md §3: the HKDF-SHA256 subkey and the AEAD associated data."""
    info = pae(b"sealed-session/v1/subkey", bytes([SUBKEY_VERSION]), alg.encode(),
               struct.pack(">I", key_id), cookie_name.encode())
    key = HKDF(hashes.SHA256(), 32, b"sealed-session/v1", info).derive(master)
    return key, pae(b"sealed-session/v1/aad", cookie_name.encode(), header)


# --- AEADs (FORMAT.md §2) ---------------------------------------------------

def xaes_gcm(key, nonce):
    """XAES-256-GCM: derive the per-nonce AES-256-GCM key; returns (AESGCM, nonce12)."""
    aes = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    l_int = int.from_bytes(aes.update(bytes(16)), "big")
    k1 = (l_int << 1) & ((1 << 128) - 1)
    if l_int >> 127:
        k1 ^= 0x87
    k1 = k1.to_bytes(16, "big")
    m1_m2 = b"\x00\x01X\x00" + nonce[:12] + b"\x00\x02X\x00" + nonce[:12]
    kx = aes.update(bytes(a ^ b for a, b in zip(m1_m2, k1 + k1)))
    return AESGCM(kx), nonce[12:]


def hchacha20(key, nonce16):
    """ChaCha20 core, 20 rounds, no final addition; words 0-3 and 12-15."""
    s = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    s += list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))

    def qr(a, b, c, d):
        for x, y, z, r in ((a, b, d, 16), (c, d, b, 12), (a, b, d, 8), (c, d, b, 7)):
            s[x] = (s[x] + s[y]) & 0xFFFFFFFF
            v = s[z] ^ s[x]
            s[z] = ((v << r) | (v >> (32 - r))) & 0xFFFFFFFF

    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def xchacha(key, nonce):
    return ChaCha20Poly1305(hchacha20(key, nonce[:16])), bytes(4) + nonce[16:]


AEADS = {"xaes-256-gcm": xaes_gcm, "xchacha20-poly1305": xchacha}


def seal_raw(alg, key, nonce, plaintext, aad):
    aead, n = AEADS[alg](key, nonce)
    return aead.encrypt(n, plaintext, aad)      # ciphertext || tag


def seal_cookie(name, version, key_id, master, alg, nonce, plaintext):
    """The sealing side (used for the round-trip check)."""
    header = bytes([version]) + varint_encode(key_id)
    key, aad = subkey_and_aad(master, key_id, alg, name, header)
    return b64_encode(header + nonce + seal_raw(alg, key, nonce, plaintext, aad))


# --- envelope (FORMAT.md §4) ------------------------------------------------

class Reader:
    """postcard reader: varints may be non-minimal (as postcard accepts) but
    must fit the type's maximum encoded length and value range."""

    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def take(self, n):
        if self.pos + n > len(self.buf):
            raise Reject("decode", "truncated envelope")
        self.pos += n
        return self.buf[self.pos - n:self.pos]

    def varint(self, bits):
        value = 0
        for i in range((bits + 6) // 7):
            b = self.take(1)[0]
            value |= (b & 0x7F) << (7 * i)
            if not b & 0x80:
                if value >> bits:
                    raise Reject("decode", f"varint exceeds u{bits}")
                return value
        raise Reject("decode", f"varint longer than u{bits} allows")

    def option(self):
        tag = self.take(1)[0]
        if tag > 1:
            raise Reject("decode", f"bad Option tag {tag}")
        return tag == 1

    def string(self, min_len=0, max_len=None):
        n = self.varint(64)
        if n < min_len or (max_len is not None and n > max_len):
            raise Reject("decode", f"string length {n} out of range")
        try:
            return self.take(n).decode("utf-8")
        except UnicodeDecodeError:
            raise Reject("decode", "invalid UTF-8") from None


def decode_head(pt):
    """The head (FORMAT.md §4: every field before the payload), with the
    time rules applied; returns (head, reader at the payload). Raises
    Reject("decode")."""
    r = Reader(pt)
    issued_at, login_age, lifetime = r.varint(64), r.varint(64), r.varint(64)
    idle = r.varint(64) if r.option() else None
    user = None
    if r.option():
        variant = r.varint(32)          # postcard enum discriminant
        if variant > 1:
            raise Reject("decode", f"bad UserId variant {variant}")
        uid = r.varint(64) if variant == 0 else r.string(1, 128)
        user = (uid, r.varint(64))      # (id, epoch)
    session_id = r.take(SESSION_ID_LEN).hex()   # 8 raw bytes, big-endian
    schema = r.varint(32)
    if login_age > issued_at:
        raise Reject("decode", "login_age > issued_at")
    head = {"issued_at": issued_at, "login_at": issued_at - login_age,
            "expires_at": issued_at + lifetime,
            "idle_deadline": None if idle is None else issued_at + idle,
            "user": user, "session_id": session_id, "schema": schema}
    for field in ("issued_at", "login_at", "expires_at", "idle_deadline"):
        if head[field] is not None and head[field] > MAX_TIME:
            raise Reject("decode", f"{field} beyond year 9999")
    return head, r


def decode_payload(r, schema, opener):
    """FORMAT.md §6 step 7b-7e: the payload by its schema, then the padding.
    The vectors' types (§7): current `{ note, visits: u32 }`; every accepted
    older schema `{ note }`, migrated to `{ note, visits: 0 }` unless the note
    is empty. Returns (payload, unpadded length)."""
    if schema == opener["schema"]:
        payload = {"note": r.string(), "visits": r.varint(32)}
    elif schema in opener["accepts"]:
        note = r.string()
        if note == "":
            raise Reject("migration", f"schema {schema}: empty note")
        payload = {"note": note, "visits": 0}
    else:
        raise Reject("unknown_schema", f"schema {schema} is neither "
                     f"{opener['schema']} nor in {sorted(opener['accepts'])}")
    unpadded_len = r.pos
    if any(r.buf[r.pos:]):
        raise Reject("decode", "non-zero padding byte")
    return payload, unpadded_len


def decode_envelope(pt, opener):
    """FORMAT.md §6 step 7: head, schema, payload, padding."""
    head, r = decode_head(pt)
    try:
        payload, unpadded_len = decode_payload(r, head["schema"], opener)
    except Reject as e:
        raise Reject(e.outcome, e.why, pt, head) from None
    return dict(head, payload=payload, unpadded_len=unpadded_len)


# --- opening (FORMAT.md §6) -------------------------------------------------

def half_toward_zero(n):
    """n / 2 as integer division rounding toward zero (FORMAT.md §6)."""
    return n // 2 if n >= 0 else -((-n) // 2)


def open_cookie(name, value, ring, now, policy, current_epoch, opener, max_len=DEFAULT_MAX):
    """Returns (envelope, plaintext) with the effective deadlines, the re-seal
    hint and in_leeway; raises Reject. `ring`: id -> (master, alg, role);
    `policy`: (ttl, idle_timeout or None, leeway); `current_epoch` stands for
    the caller-supplied epoch of step 10 (None: the user has none); `opener`:
    its schemas and sealing format (see opener_of)."""
    if len(value) > max_len - len(name):                           # step 1
        raise Reject("invalid", "too long")
    try:
        raw = b64_decode(value)                                    # step 2
    except ValueError as e:
        raise Reject("invalid", f"base64: {e}") from None
    if len(raw) < 1 + 1 + NONCE_LEN + TAG_LEN or raw[0] not in VERSIONS:  # step 3
        raise Reject("invalid", "short or wrong version")
    try:
        key_id, pos = parse_key_id(raw, 1)                         # step 4
    except ValueError as e:
        raise Reject("invalid", str(e)) from None
    if key_id not in ring:
        raise Reject("invalid", f"unknown key id {key_id}")
    header, rest = raw[:pos], raw[pos:]
    if len(rest) < NONCE_LEN + TAG_LEN:                            # step 5
        raise Reject("invalid", "short body")
    master, alg, role = ring[key_id]
    pt = aead_open(master, alg, key_id, name, header, rest)        # step 6
    if pt is None:
        raise Reject("invalid", "AEAD authentication failed")
    return open_authentic(pt, now, policy, current_epoch, role, opener), pt


def aead_open(master, alg, key_id, name, header, body):
    """The plaintext, or None if the tag does not verify."""
    key, aad = subkey_and_aad(master, key_id, alg, name, header)
    aead, nonce = AEADS[alg](key, body[:NONCE_LEN])
    try:
        return aead.decrypt(nonce, body[NONCE_LEN:], aad)
    except InvalidTag:
        return None


def open_authentic(pt, now, policy, current_epoch, role, opener):
    """Steps 7-10 on an authentic plaintext."""
    ttl, idle_timeout, leeway = policy
    try:
        env = decode_envelope(pt, opener)                          # step 7
    except Reject as e:
        raise Reject(e.outcome, e.why, pt, e.head) from None

    def fail(outcome, why):
        return Reject(outcome, why, pt, env)

    # step 9 (computed first, checked after step 8): local policy, the
    # opener's current configuration
    expires = min(env["expires_at"], env["login_at"] + ttl)
    idle = env["idle_deadline"]
    if idle_timeout is not None:
        local_idle = min(env["issued_at"] + idle_timeout, expires)
        idle = local_idle if idle is None else min(idle, local_idle)
    if env["issued_at"] > now + leeway:                            # step 8
        raise fail("not_yet_valid", "issued in the future")
    if now >= expires + leeway:                                    # step 9
        raise fail("expired", "past expires_at")
    if idle is not None and now >= idle + leeway:
        raise fail("idle_expired", "past idle_deadline")
    if env["user"] is not None:                                    # step 10
        if current_epoch is None:
            raise fail("revoked", "the user has no current epoch")
        if env["user"][1] != current_epoch:
            raise fail("revoked", f"epoch {env['user'][1]} != {current_epoch}")
    in_leeway = now >= (expires if idle is None else min(expires, idle))
    half = idle is not None and now - env["issued_at"] >= half_toward_zero(
        idle - env["issued_at"])
    reasons = [("retired_key", role == "retired"),
               ("idle_half_used", half),
               ("policy_tightened", (expires, idle) != (env["expires_at"], env["idle_deadline"])),
               ("old_schema", env["schema"] != opener["seals_schema"])]
    # A cookie in the leeway cannot be re-sealed: its hint is empty.
    return dict(env, expires_at=expires, idle_deadline=idle, in_leeway=in_leeway,
                reseal=[] if in_leeway else [n for n, on in reasons if on])


def lenient_plaintext(v):
    """Reads the cookie as a lenient opener would (whitespace dropped, trailing
    base64 bits ignored, any version byte, any varint key id up to 10 bytes)
    and opens it with the subkey of `aead_key_id` and the AAD over the header
    bytes as sent. Returns the plaintext or None."""
    text = "".join(v["cookie"].split())
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return None
    pos = 1
    while pos < len(raw) and pos < 11 and raw[pos] & 0x80:
        pos += 1
    header, body = raw[:pos + 1], raw[pos + 1:]
    if len(body) < NONCE_LEN + TAG_LEN:
        return None
    return aead_open(b64_decode(v["master_key"]), v["algorithm"], v["aead_key_id"],
                     v["cookie_name"], header, body)


def max_decoded(chars):
    """The most bytes whose base64url (no padding) fits in `chars` characters."""
    return chars // 4 * 3 + {2: 1, 3: 2}.get(chars % 4, 0)


# --- checks -----------------------------------------------------------------

def self_tests():
    """Known-answer tests for the primitives and strict decoders."""
    fails = []
    nonce, msg = b"ABCDEFGHIJKLMNOPQRSTUVWX", b"XAES-256-GCM"
    for key, aad, want in (
            (b"\x01" * 32, b"", "ce546ef63c9cc60765923609b33a9a1974e96e52daf2fcf7075e2271"),
            (b"\x03" * 32, b"c2sp.org/XAES-256-GCM",
             "986ec1832593df5443a179437fd083bf3fdb41abd740a21f71eb769d")):
        if seal_raw("xaes-256-gcm", key, nonce, msg, aad).hex() != want:
            fails.append(f"XAES-256-GCM C2SP vector (key {key[:1].hex()})")
    got = hchacha20(bytes(range(32)), bytes.fromhex("000000090000004a0000000031415927"))
    if got.hex() != "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc":
        fails.append("HChaCha20 draft-irtf-cfrg-xchacha-03 §2.2.1 vector")
    fails += [f"base64 accepted {bad!r}" for bad in
              ("AA==", "AA+A", "AA/A", "AA A", "AA\n", "AAAAA", "AB", "AAB", "A\u00e9AA")
              if not _rejects(b64_decode, bad)]
    if b64_decode("AAA") != b"\x00\x00" or b64_encode(b"\xfb\xff") != "-_8":
        fails.append("base64 round trip")
    fails += [f"key id accepted {bad}" for bad in
              ("8100", "8080808010", "ffffffff1f", "ffffffff8f01", "80")
              if not _rejects(lambda h: parse_key_id(bytes.fromhex(h), 0), bad)]
    if parse_key_id(bytes.fromhex("ffffffff0f"), 0) != (0xFFFFFFFF, 5):
        fails.append("key id 2^32-1")
    for hexed, bits, want in (("8000", 64, 0), ("ffffffffffffffffff01", 64, 2**64 - 1),
                              ("8080808000", 32, 0), ("ffffffff0f", 32, 2**32 - 1)):
        if _varint(hexed, bits) != want:
            fails.append(f"varint {hexed} (u{bits}) not read as {want}")
    fails += [f"varint accepted {hexed} (u{bits})" for hexed, bits in
              (("8080808080808080808000", 64), ("ffffffffffffffffff02", 64),
               ("808080808000", 32), ("ffffffff10", 32), ("80", 64))
              if _varint(hexed, bits) is not None]
    # A v2 head (§4): times, no idle, no user, 8 raw session id bytes read
    # big-endian, schema 300 as the varint ac 02; an unknown schema is
    # reported without reading the (here malformed) payload.
    head, r = decode_head(bytes.fromhex("0100020000" "0123456789abcdef" "ac02" "ff"))
    if (head["session_id"], head["schema"], r.pos) != ("0123456789abcdef", 300, 15):
        fails.append("v2 head: session id or schema")
    try:
        decode_payload(r, head["schema"], {"schema": 0, "accepts": {1}})
        fails.append("unknown schema accepted")
    except Reject as e:
        if e.outcome != "unknown_schema":
            fails.append(f"unknown schema reported as {e.outcome}")
    if _rejects_head("0100020000" "0123456789abcd") is not True:
        fails.append("v2 head with 7 session id bytes accepted")
    if (half_toward_zero(1801), half_toward_zero(-5)) != (900, -2):
        fails.append("integer division toward zero")
    if [max_decoded(n) for n in (4096, 103, 102, 101)] != [3072, 77, 76, 75]:
        fails.append("max_decoded")
    return fails


def _varint(hexed, bits):
    try:
        return Reader(bytes.fromhex(hexed)).varint(bits)
    except Reject:
        return None


def _rejects_head(hexed):
    try:
        decode_head(bytes.fromhex(hexed))
    except Reject:
        return True
    return False


def _rejects(fn, arg):
    try:
        fn(arg)
    except ValueError:
        return True
    return False            # accepted: the decoder is too lenient


def policy_of(v):
    """The opener's (ttl, idle_timeout, leeway)."""
    return v["ttl"], v["idle_timeout"], v["leeway"]


def opener_of(v):
    """The opener's schemas (FORMAT.md §7): current, accepted older ones and
    the one it seals. `opener_seals_format` (history: 1, a format v1
    rollout) is ignored: every opener seals v2."""
    current = v["opener_schema"]
    accepts = set(v["opener_accepts"])
    seals = v.get("opener_seals_schema", current)
    if current in accepts or (seals != current and seals not in accepts):
        raise ValueError("inconsistent opener schemas")
    if v.get("opener_seals_format", 2) not in (1, 2):
        raise ValueError("opener_seals_format")
    return {"schema": current, "accepts": accepts, "seals_schema": seals}


def is_v1_history(v):
    """A cookie of the dropped format v1 that v2.json keeps (§7)."""
    try:
        raw = b64_decode(v["cookie"])
    except ValueError:
        return False
    return raw[:1] == bytes([V1_HISTORY])


def check_vector(v):
    """Returns None if the vector passes, else a reason string."""
    if is_v1_history(v):
        return check_v1_history(v)
    # §7: the dropped hint name old_format is not part of any hint today.
    hint = v.get("reseal")
    if hint is not None:
        hint = [n for n in hint if n != "old_format"]
    reason = check_opening(v, opener_of(v), hint)
    if reason is None and "reseal_expect" in v:
        reason = check_reseal(v, opener_of(v))
    return reason


def check_v1_history(v):
    """§7: a v1 cookie is `invalid` (step 3); one recorded as authentic then
    still authenticates under its own v1 header, so the version byte alone
    rejects it."""
    ring = {v["key_id"]: (b64_decode(v["master_key"]), v["algorithm"], v["key_role"])}
    try:
        open_cookie(v["cookie_name"], v["cookie"], ring, v["now"], policy_of(v),
                    v.get("current_epoch"), opener_of(v), v["max_cookie_len"])
        return "a format v1 cookie opened"
    except Reject as e:
        if e.outcome != "invalid":
            return f"a format v1 cookie gave {e.outcome}, not invalid"
    if "plaintext_hex" in v:
        raw = b64_decode(v["cookie"])
        key_id, pos = parse_key_id(raw, 1)
        pt = aead_open(b64_decode(v["master_key"]), v["algorithm"], key_id,
                       v["cookie_name"], raw[:pos], raw[pos:])
        if pt is None or pt.hex() != v["plaintext_hex"]:
            return "history: the v1 cookie is not authentic under its own header"
    return None


def check_opening(v, opener, want_reseal):
    """Opens `v` with `opener`, whose re-seal hint must be `want_reseal`."""
    ring = {v["key_id"]: (b64_decode(v["master_key"]), v["algorithm"], v["key_role"])}
    policy = policy_of(v)
    try:
        env, pt = open_cookie(v["cookie_name"], v["cookie"], ring, v["now"], policy,
                              v.get("current_epoch"), opener, v["max_cookie_len"])
        head, outcome, why = env, "ok", "opened"
    except Reject as e:
        env, head, pt, outcome, why = None, e.head, e.plaintext, e.outcome, str(e)
    if outcome != v["expect"]:
        return f"expected {v['expect']}, got {why}"
    if "plaintext_hex" in v and (pt is None or pt.hex() != v["plaintext_hex"]):
        return "plaintext differs from plaintext_hex"
    if pt is not None and "plaintext_hex" not in v:
        return "authentic, but no plaintext_hex recorded"
    if ("reseal" in v or "in_leeway" in v) and env is None:
        return "reseal / in_leeway recorded on a vector that does not open"
    # §7: session_id and schema exactly when the head is well-formed
    if head is None:
        if "session_id" in v or "schema" in v:
            return "session_id / schema recorded, but the head does not decode"
    else:
        for field in ("session_id", "schema"):
            if field not in v:
                return f"{field} not recorded for a well-formed head"
            if head[field] != v[field]:
                return f"{field}: got {head[field]!r}, want {v[field]!r}"
    if v["expect"] == "ok" and "reseal" not in v:
        return "an ok vector of v2.json records its reseal"
    if env is not None:
        fields = ["payload", "login_at", "issued_at", "expires_at", "idle_deadline"]
        fields += [f for f in ("in_leeway",) if f in v]
        for field in fields:
            if env[field] != v[field]:
                return f"{field}: got {env[field]!r}, want {v[field]!r}"
        if want_reseal is not None and env["reseal"] != want_reseal:
            return f"reseal: got {env['reseal']!r}, want {want_reseal!r}"
        uid = env["user"][0] if env["user"] else None
        if uid != v.get("user_id") or type(uid) is not type(v.get("user_id")):
            return f"user_id: got {uid!r}, want {v.get('user_id')!r}"
        if "padding" in v:  # FORMAT.md §5: pad to min(round-up, largest plaintext)
            bucket, n = v["padding"], env["unpadded_len"]
            header_len = parse_key_id(b64_decode(v["cookie"]), 1)[1]
            room = max_decoded(v["max_cookie_len"] - len(v["cookie_name"])) \
                - header_len - NONCE_LEN - TAG_LEN
            want = min(-(-n // bucket) * bucket, room)
            if len(pt) != want:
                return f"padded plaintext is {len(pt)} bytes, the rule gives {want}"
    if pt is not None:  # round trip: re-seal with the cookie's own header and nonce
        raw = b64_decode(v["cookie"])
        nonce = raw[parse_key_id(raw, 1)[1]:][:NONCE_LEN]
        master, alg, _ = ring[v["key_id"]]
        if seal_cookie(v["cookie_name"], raw[0], v["key_id"], master, alg, nonce,
                       pt) != v["cookie"]:
            return "re-sealing the plaintext does not reproduce the cookie"
    if "aead_key_id" in v:  # only the named rule rejects it: leniently it opens
        lenient = lenient_plaintext(v)
        if lenient is None:
            return "aead_key_id: the cookie is not authentic even read leniently"
        try:  # §7: read as a v2 envelope
            open_authentic(lenient, v["now"], policy, v.get("current_epoch"),
                           v["key_role"], opener)
        except Reject as e:
            return f"aead_key_id: read leniently it still fails: {e}"
    return None


def encode_head(head):
    """FORMAT.md §4: the head fields as postcard writes them (minimal varints)."""
    out = varint_encode(head["issued_at"]) + varint_encode(head["login_age"])
    out += varint_encode(head["lifetime"])
    out += b"\x00" if head["idle"] is None else b"\x01" + varint_encode(head["idle"])
    if head["user"] is None:
        out += b"\x00"
    else:
        uid, epoch = head["user"]
        if isinstance(uid, int):
            out += b"\x01" + varint_encode(0) + varint_encode(uid)
        else:
            text = uid.encode("utf-8")
            out += b"\x01" + varint_encode(1) + varint_encode(len(text)) + text
        out += varint_encode(epoch)
    return out + bytes.fromhex(head["session_id"]) + varint_encode(head["schema"])


def encode_payload(payload, schema, opener):
    """The vectors' payload types (§7): the current `{ note, visits }`, or,
    sealed as an older schema, `{ note }` (the vectors' down-conversion)."""
    note = payload["note"].encode("utf-8")
    out = varint_encode(len(note)) + note
    if schema == opener["schema"]:
        out += varint_encode(payload["visits"])
    return out


def reseal(env, now, policy, opener):
    """FORMAT.md §6.2: the plaintext a re-seal at `now` writes for the opened
    session `env` (effective deadlines), or raises Reject("session_expired")."""
    ttl, idle_timeout, leeway = policy
    expires, idle = env["expires_at"], env["idle_deadline"]
    if now >= (expires if idle is None else min(expires, idle)):      # 1
        raise Reject("session_expired", "in the leeway: never re-sealed")
    t = max(now, env["issued_at"])                                     # 2
    new_idle = None if idle_timeout is None else min(t + idle_timeout, expires)
    head = {"issued_at": t, "login_age": t - env["login_at"],           # 3
            "lifetime": expires - t,
            "idle": None if new_idle is None else new_idle - t,
            "user": env["user"], "session_id": env["session_id"],
            "schema": opener["seals_schema"]}
    pt = encode_head(head) + encode_payload(env["payload"], head["schema"], opener)
    return pt, {"resealed_issued_at": t, "resealed_expires_at": expires,
                "resealed_idle_deadline": new_idle, "resealed_schema": head["schema"]}


def check_reseal(v, opener):
    """A re-seal vector (§7): re-seal at `now` with `reseal_nonce`."""
    if v["expect"] != "ok" or v["key_role"] != "sealing":
        return "a re-seal vector is an ok vector of a sealing key"
    ring = {v["key_id"]: (b64_decode(v["master_key"]), v["algorithm"], v["key_role"])}
    policy = policy_of(v)
    env, _ = open_cookie(v["cookie_name"], v["cookie"], ring, v["now"], policy,
                         v.get("current_epoch"), opener, v["max_cookie_len"])
    try:
        pt, fields = reseal(env, v["now"], policy, opener)
    except Reject as e:
        if v["reseal_expect"] != e.outcome:
            return f"re-seal: expected {v['reseal_expect']}, got {e}"
        return None
    if v["reseal_expect"] != "ok":
        return f"re-seal: expected {v['reseal_expect']}, got ok"
    if pt.hex() != v["resealed_plaintext_hex"]:
        return f"re-seal: plaintext {pt.hex()} differs from resealed_plaintext_hex"
    for field, value in fields.items():
        if v[field] != value:
            return f"re-seal: {field} is {value!r}, recorded {v[field]!r}"
    master, alg, _ = ring[v["key_id"]]
    cookie = seal_cookie(v["cookie_name"], VERSIONS[0], v["key_id"], master, alg,
                         b64_decode(v["reseal_nonce"]), pt)
    if cookie != v["resealed_cookie"]:
        return "re-seal: the re-sealed cookie differs from resealed_cookie"
    return None


def main():
    here = Path(__file__).resolve().parent.parent / "tests" / "vectors"
    paths = [Path(a) for a in sys.argv[1:]] or [here / "v2.json"]
    passed = failed = 0
    for reason in self_tests():
        print(f"FAIL self-test: {reason}")
        failed += 1
    for path in paths:
        vectors = json.loads(path.read_text(encoding="utf-8"))
        if not vectors:
            print(f"FAIL {path}: no vectors")
            failed += 1
        file_passed = file_failed = 0
        for v in vectors:
            name = v.get("name", "?")
            try:
                reason = check_vector(v)
            except Exception as e:  # a malformed vector is a failure, not a crash
                reason = f"{type(e).__name__}: {e}"
            if reason is None:
                print(f"ok   {path.name}: {name}")
                file_passed += 1
            else:
                print(f"FAIL {path.name}: {name}: {reason}")
                file_failed += 1
        print(f"{path.name}: {file_passed} passed, {file_failed} failed")
        passed, failed = passed + file_passed, failed + file_failed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
