//! Golden vectors (tests/vectors/v2.json): rebuilt here with fixed nonces
//! and session ids and compared byte for byte with the committed file. Run
//! with `SEALED_SESSION_BLESS=1` to rewrite the file after a deliberate
//! change (which must come with a new format version). The file is
//! append-only and records the opener's policy and schemas in every vector.
//!
//! Format v1 is gone (FORMAT.md section 8), but v2.json keeps the v1 cookies
//! it held as history (FORMAT.md section 7): they are rebuilt here from the
//! v1 framing (header `01 ‖ key id`, the v2 head without session id and
//! schema), which the library no longer has, and every opener now refuses
//! them as `invalid`.
//!
//! Crate internals used here (kept few, for module moves): `kdf::{aad,
//! derive_subkey, Cipher}`, `wire::{parse_header, V2, NONCE_LEN, TAG_LEN}`,
//! `envelope::HeadIn`, `expiry::Times`, `SessionId::from_u64` and the test
//! hook `SessionStore::seal_with_nonce`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::format::envelope::HeadIn;
use crate::format::kdf;
use crate::format::wire::{self, NONCE_LEN, TAG_LEN, V2};
use crate::store::expiry::Times;

/// The version byte of the dropped format v1, for the history vectors.
const V1: u8 = 0x01;
use crate::{Algorithm, Key, KeyRing, SessionId, SessionStore, UserId};

/// The payload every vector carries (the current schema's type).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub(crate) struct VectorPayload {
    pub(crate) note: String,
    pub(crate) visits: u32,
}

/// The payload type of every older schema a v2.json opener accepts
/// (FORMAT.md section 7): migrated to `{ note, visits: 0 }`, and the
/// migration fails on an empty `note`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub(crate) struct OldPayload {
    pub(crate) note: String,
}

#[derive(Clone, Copy)]
enum Mutation {
    None,
    FlipBit {
        byte: usize,
        bit: u8,
    },
    Truncate(usize),
    Version(u8),
    /// Re-encode the key id 1 as the non-minimal varint `81 00`.
    NonMinimalKeyId,
    /// Replace the text with another text rendering (padding, alphabet).
    Text(fn(&str) -> String),
    /// Edit the decoded bytes (for example truncate them).
    Bytes(fn(&mut Vec<u8>)),
}

struct Spec {
    name: &'static str,
    algorithm: Algorithm,
    key_id: u32,
    retired: bool,
    seal_name: &'static str,
    open_name: &'static str,
    seal_key_id: u32,
    times: Times,
    user: Option<(UserId, u64)>,
    current_epoch: Option<u64>,
    now: i64,
    padding: Option<usize>,
    mutation: Mutation,
    expect: &'static str,
    /// Seal these plaintext bytes instead of an envelope.
    raw: Option<Vec<u8>>,
    max_cookie_len: usize,
    /// The opener's configuration, recorded in the vector. `None` for the
    /// first 30 vectors (opened with a 400-day ttl, no idle timeout, 60 s).
    policy: Option<Policy>,
    /// The expected re-seal hint of an `ok` vector (FORMAT.md section 6).
    reseal: &'static [&'static str],
    /// The expected `in_leeway` of an `ok` vector.
    in_leeway: bool,
    /// Re-seal the authentic plaintext under these header bytes, with the
    /// AEAD (subkey of `seal_key_id`, AAD over these bytes) computed over
    /// them, so that only the header rule can reject the cookie.
    header: Option<&'static [u8]>,
    /// Record `aead_key_id`: the cookie is authentic under a lenient reading
    /// (header or base64), so only the rule the vector names rejects it.
    lenient_authentic: bool,
    /// Why the vector is built the way it is (recorded as `comment`).
    comment: Option<&'static str>,
    /// The format version the cookie is sealed with (v1: history only).
    version: u8,
    /// The session id a v2 cookie is sealed with.
    session_id: u64,
    /// The payload schema the cookie is sealed with (0 for v1).
    schema: u32,
    /// The payload's `note`.
    note: &'static str,
    /// Seal the older payload type `{ note }` instead of `{ note, visits }`.
    old: bool,
    /// The opener's schemas and sealing format (recorded in v2.json only).
    opener: Opener,
    /// Seal with this nonce instead of the vector's own.
    nonce: Option<[u8; NONCE_LEN]>,
    /// Seal with this algorithm (the same key bytes and id) while the
    /// opener's key is configured with `algorithm`.
    seal_algorithm: Option<Algorithm>,
    /// Re-seal the opened session at `now` (FORMAT.md section 6.2) and
    /// record the outcome: `ok` (with the re-sealed cookie) or
    /// `session_expired`.
    reseal_expect: Option<&'static str>,
}

/// An opener's schema configuration (FORMAT.md section 6).
#[derive(Clone, Copy)]
struct Opener {
    /// The current schema (decoded as `VectorPayload`).
    schema: u32,
    /// Older schemas it accepts, each decoded as `OldPayload` and migrated.
    accepts: &'static [u32],
    /// The schema it seals, when not `schema` (a rollout).
    seals_schema: Option<u32>,
    /// It sealed format v1 (a format rollout; history only: recorded as
    /// `opener_seals_format: 1`, which openers now ignore).
    seals_v1: bool,
}

impl Opener {
    fn sealing_schema(&self) -> u32 {
        self.seals_schema.unwrap_or(self.schema)
    }

    fn sealing_version(&self) -> u8 {
        if self.seals_v1 { V1 } else { V2 }
    }
}

/// The opener of most v2.json vectors: schema 0, no older schemas.
const OPENER: Opener = Opener {
    schema: 0,
    accepts: &[],
    seals_schema: None,
    seals_v1: false,
};

/// An opener's configuration in seconds (FORMAT.md section 6, local policy).
#[derive(Clone, Copy)]
struct Policy {
    ttl: i64,
    idle_timeout: Option<i64>,
    leeway: i64,
}

/// The opener of most new vectors: one day, no idle timeout, 60 s leeway.
const POLICY: Policy = Policy {
    ttl: DAY,
    idle_timeout: None,
    leeway: 60,
};

const T0: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

fn master_key(algorithm: Algorithm, key_id: u32) -> [u8; 32] {
    let base: u8 = match algorithm {
        Algorithm::XAes256Gcm => 0x10,
        Algorithm::XChaCha20Poly1305 => 0x80,
    };
    let mut key = [0u8; 32];
    for (i, b) in key.iter_mut().enumerate() {
        *b = base
            .wrapping_add(u8::try_from(i).unwrap_or(0))
            .wrapping_add(u8::try_from(key_id % 251).unwrap_or(0));
    }
    key
}

fn nonce(index: usize) -> [u8; NONCE_LEN] {
    let mut n = [0u8; NONCE_LEN];
    for (j, b) in n.iter_mut().enumerate() {
        *b = u8::try_from((index * 37 + j * 11 + 5) % 256).unwrap_or(0);
    }
    n
}

fn fresh(t: i64, lifetime: i64) -> Times {
    Times {
        login_at: t,
        issued_at: t,
        expires_at: t + lifetime,
        idle_deadline: None,
    }
}

fn base(
    name: &'static str,
    algorithm: Algorithm,
    user: Option<(UserId, u64)>,
    expect: &'static str,
) -> Spec {
    Spec {
        name,
        algorithm,
        key_id: 1,
        retired: false,
        seal_name: "__Host-session",
        open_name: "__Host-session",
        seal_key_id: 1,
        times: fresh(T0, DAY),
        current_epoch: user.as_ref().map(|(_, e)| *e),
        user,
        now: T0 + 600,
        padding: None,
        mutation: Mutation::None,
        expect,
        raw: None,
        max_cookie_len: 4096,
        policy: None,
        reseal: &[],
        in_leeway: false,
        header: None,
        lenient_authentic: false,
        comment: None,
        version: V1,
        session_id: 0,
        schema: 0,
        note: "sealed-session v1",
        old: false,
        opener: OPENER,
        nonce: None,
        seal_algorithm: None,
        reseal_expect: None,
    }
}

fn alice() -> Option<(UserId, u64)> {
    Some((UserId::from(42u64), 7u64))
}

fn bob() -> Option<(UserId, u64)> {
    Some((
        UserId::text("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap_or_else(|_| 0u64.into()),
        3u64,
    ))
}

const MAX_UNIX: i64 = 253_402_300_799;
/// `T0`, `DAY` and `MAX_UNIX` as wire integers, for hand-built envelopes.
const T0_WIRE: u64 = 1_800_000_000;
const DAY_WIRE: u64 = 86_400;
const MAX_WIRE: u64 = 253_402_300_799;

const HEADER_RULE: &str = "the AEAD is computed over this header (AAD over its exact bytes, \
     subkey of aead_key_id): the tag verifies, so only the header rule (FORMAT.md section 1) \
     rejects it";
const BASE64_RULE: &str = "read leniently (whitespace dropped, trailing bits ignored) this is \
     an authentic cookie of aead_key_id: only the canonical base64 rule (FORMAT.md section 1) \
     rejects it";

/// A vector of the appended set: `base` with the opener's policy recorded.
fn new(
    name: &'static str,
    algorithm: Algorithm,
    user: Option<(UserId, u64)>,
    expect: &'static str,
) -> Spec {
    Spec {
        policy: Some(POLICY),
        ..base(name, algorithm, user, expect)
    }
}

fn policy(ttl: i64, idle_timeout: Option<i64>, leeway: i64) -> Option<Policy> {
    Some(Policy {
        ttl,
        idle_timeout,
        leeway,
    })
}

/// A user with a text id.
fn text_id(id: &str, epoch: u64) -> Option<(UserId, u64)> {
    UserId::text(id).ok().map(|id| (id, epoch))
}

/// postcard's encoding of a value (minimal varints).
fn pc<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).unwrap_or_default()
}

/// `n` as an LEB128 varint of exactly `len` bytes (non-minimal when `len`
/// is more than `n` needs).
fn long_varint(n: u128, len: usize) -> Vec<u8> {
    let mut rest = n;
    (0..len)
        .map(|i| {
            let low = u8::try_from(rest & 0x7f).unwrap_or(0);
            rest >>= 7;
            if i + 1 < len { low | 0x80 } else { low }
        })
        .collect()
}

/// The four time fields as postcard writes them.
fn wire_times(issued: u64, login_age: u64, lifetime: u64, idle: Option<u64>) -> Vec<u8> {
    pc(&(issued, login_age, lifetime, idle))
}

/// `Some(User)` with a text id given as raw bytes (possibly not UTF-8).
fn text_user(id: &[u8], epoch: u64) -> Vec<u8> {
    [&[1u8, 1][..], &pc(&id.len()), id, &pc(&epoch)].concat()
}

/// The session id of most v2.json vectors.
const SID: u64 = 0x5e55_1011_dc0f_fee5;

/// The payload note of the v2.json vectors.
const NOTE_V2: &str = "sealed-session v2";

/// A v2.json vector: `new` sealed as format v2, schema 0, session id [`SID`],
/// under an opener of schema 0 that accepts no older schema.
fn v2(
    name: &'static str,
    algorithm: Algorithm,
    user: Option<(UserId, u64)>,
    expect: &'static str,
) -> Spec {
    Spec {
        version: V2,
        session_id: SID,
        note: NOTE_V2,
        ..new(name, algorithm, user, expect)
    }
}

/// An opener of current schema `schema` that accepts `accepts`.
const fn opener(schema: u32, accepts: &'static [u32]) -> Opener {
    Opener {
        schema,
        accepts,
        seals_schema: None,
        seals_v1: false,
    }
}

/// The opener of the migration vectors: current schema 2, accepts 1.
const MIGRATING: Opener = opener(2, &[1]);

/// A rollout: current schema 2, accepts 1, seals 1.
const ROLLOUT: Opener = Opener {
    seals_schema: Some(1),
    ..MIGRATING
};

/// A format rollout: schema 0, seals format v1.
const SEALS_V1: Opener = Opener {
    seals_v1: true,
    ..OPENER
};

/// A v2 envelope from its parts: times, user, session id bytes, schema
/// varint bytes and payload, all as given.
fn env2(times: Vec<u8>, user: Vec<u8>, sid: &[u8], schema: Vec<u8>, payload: Vec<u8>) -> Vec<u8> {
    [times, user, sid.to_vec(), schema, payload].concat()
}

/// The v2.json payload `{ note: "sealed-session v2", visits: 3 }`.
fn payload_v2() -> Vec<u8> {
    pc(&VectorPayload {
        note: NOTE_V2.into(),
        visits: 3,
    })
}

/// An older schema's payload `{ note }`.
fn old_payload(note: &str) -> Vec<u8> {
    pc(&OldPayload { note: note.into() })
}

const V1_UNDER_02: &str = "v1.json's vector 31 before format v2 (then: header rule only, \
     version byte 0x02): its AEAD is over header 02 01, so it is now an authentic v2 cookie. \
     Its v1 plaintext read as v2: the session id is the bytes 11 73 65 61 6c 65 64 2d, the \
     schema varint 73 is 115, unknown to the opener";
const V2_UNDER_01: &str = "the AEAD is over header 01 01: an authentic v1 cookie whose plaintext \
     is a v2 envelope. Read as v1, the payload's note length is the session id's first byte \
     0x5e (94), past the end";

/// The v2.json vectors (FORMAT.md section 7).
fn v2_specs() -> Vec<Spec> {
    let (xaes, xchacha) = (Algorithm::XAes256Gcm, Algorithm::XChaCha20Poly1305);
    let idle_at = |idle: i64| Times {
        idle_deadline: Some(T0 + idle),
        ..fresh(T0, DAY)
    };
    let resealed = Times {
        login_at: T0 - 3 * DAY,
        issued_at: T0,
        expires_at: T0 + 4 * DAY,
        idle_deadline: None,
    };
    let near_9999 = Times {
        login_at: MAX_UNIX - 600,
        issued_at: MAX_UNIX - 600,
        expires_at: MAX_UNIX,
        idle_deadline: Some(MAX_UNIX),
    };
    let sid = SID.to_be_bytes();
    let std_times = || wire_times(T0_WIRE, 0, DAY_WIRE, None);
    let anon = || vec![0u8];
    // A v2 envelope at T0, anonymous, session id SID, with these schema
    // bytes and payload bytes.
    let raw2 = |schema: Vec<u8>, payload: Vec<u8>| env2(std_times(), anon(), &sid, schema, payload);
    let header = |name, header: &'static [u8]| Spec {
        header: Some(header),
        lenient_authentic: true,
        comment: Some(HEADER_RULE),
        ..v2(name, xaes, None, "invalid")
    };
    let key_id = |name, algorithm, id: u32| Spec {
        key_id: id,
        seal_key_id: id,
        ..v2(name, algorithm, None, "ok")
    };
    let schema = |name, algorithm, user, n: u32| Spec {
        schema: n,
        opener: opener(n, &[]),
        ..v2(name, algorithm, user, "ok")
    };
    // A schema 1 `{ note }` cookie under the opener of schema 2 accepting 1.
    let migrated = |name, algorithm, user, expect| Spec {
        schema: 1,
        old: true,
        opener: MIGRATING,
        ..v2(name, algorithm, user, expect)
    };
    let retired = |name, algorithm, user, id: u32| Spec {
        key_id: id,
        seal_key_id: id,
        retired: true,
        ..v2(name, algorithm, user, "ok")
    };
    let s1 = opener(1, &[]);
    let mut specs = vec![
        // Sessions of schema 0 and 1, both algorithms, anonymous and user.
        v2("xaes anonymous, schema 0", xaes, None, "ok"),
        v2("xaes user (integer id), schema 0", xaes, alice(), "ok"),
        v2("xchacha anonymous, schema 0", xchacha, None, "ok"),
        v2("xchacha user (text id), schema 0", xchacha, bob(), "ok"),
        schema("xaes anonymous, schema 1", xaes, None, 1),
        schema("xaes user (integer id), schema 1", xaes, alice(), 1),
        schema("xchacha anonymous, schema 1", xchacha, None, 1),
        schema("xchacha user (text id), schema 1", xchacha, bob(), 1),
        schema("schema 127 (largest 1-byte varint)", xchacha, None, 127),
        schema("schema 128 (2-byte varint 80 01)", xaes, None, 128),
        schema(
            "schema 2^32 - 1 (5-byte varint ff ff ff ff 0f)",
            xchacha,
            alice(),
            u32::MAX,
        ),
        // Session ids: any 8 bytes.
        Spec {
            session_id: 0,
            ..v2(
                "session id 0000000000000000 (all bits zero)",
                xaes,
                None,
                "ok",
            )
        },
        Spec {
            session_id: u64::MAX,
            ..v2(
                "session id ffffffffffffffff (all bits one)",
                xchacha,
                alice(),
                "ok",
            )
        },
        Spec {
            session_id: 0x0123_4567_89ab_cdef,
            ..v2(
                "session id 0123456789abcdef is the wire bytes 01 23 45 67 89 ab cd ef",
                xaes,
                None,
                "ok",
            )
        },
        Spec {
            times: Times {
                idle_deadline: Some(T0 + 1800),
                ..resealed
            },
            policy: policy(7 * DAY, None, 60),
            ..v2(
                "re-sealed (login 3 days earlier), with idle deadline",
                xchacha,
                bob(),
                "ok",
            )
        },
        // Older schemas: decoded as their own type, then migrated.
        Spec {
            reseal: &["old_schema"],
            ..migrated(
                "schema 1 { note } migrated to schema 2 { note, visits: 0 }",
                xaes,
                None,
                "ok",
            )
        },
        Spec {
            reseal: &["old_schema"],
            ..migrated("schema 1 migrated, user (text id)", xchacha, bob(), "ok")
        },
        Spec {
            now: T0 + DAY + 30,
            in_leeway: true,
            ..migrated(
                "schema 1 migrated in the leeway: no hint (it cannot be re-sealed)",
                xaes,
                None,
                "ok",
            )
        },
        Spec {
            padding: Some(64),
            reseal: &["old_schema"],
            ..migrated(
                "schema 1 migrated, padded to a 64-byte bucket",
                xchacha,
                None,
                "ok",
            )
        },
        Spec {
            current_epoch: Some(8),
            ..migrated(
                "schema 1 migrated, then revoked (epoch 7 -> 8)",
                xaes,
                alice(),
                "revoked",
            )
        },
        Spec {
            reseal: &["retired_key", "old_schema"],
            ..Spec {
                key_id: 300,
                seal_key_id: 300,
                retired: true,
                ..migrated(
                    "schema 1 migrated, under a retired key (id 300)",
                    xaes,
                    alice(),
                    "ok",
                )
            }
        },
        Spec {
            schema: 2,
            opener: MIGRATING,
            ..v2(
                "schema 2 under an opener of schema 2 that accepts 1: no migration",
                xchacha,
                None,
                "ok",
            )
        },
        Spec {
            old: true,
            opener: opener(2, &[0, 1]),
            reseal: &["old_schema"],
            ..v2(
                "schema 0 { note } migrated by an opener of schema 2 that accepts 0 and 1",
                xaes,
                None,
                "ok",
            )
        },
        // Payloads that are not the accepted old type.
        Spec {
            raw: Some(raw2(vec![1], payload_v2())),
            opener: MIGRATING,
            ..v2(
                "schema 1 holding { note, visits: 3 }: read as { note }, visits is a non-zero padding byte",
                xaes,
                None,
                "decode",
            )
        },
        Spec {
            raw: Some(raw2(vec![1], [&[40u8][..], NOTE_V2.as_bytes()].concat())),
            opener: MIGRATING,
            ..v2(
                "schema 1 payload whose note length 40 is past the end",
                xchacha,
                None,
                "decode",
            )
        },
        Spec {
            raw: Some(raw2(vec![1], [&[3u8][..], b"a\xffb"].concat())),
            opener: MIGRATING,
            ..v2(
                "schema 1 payload whose note is not UTF-8 (byte ff)",
                xaes,
                None,
                "decode",
            )
        },
        Spec {
            raw: Some(raw2(
                vec![1],
                [old_payload(NOTE_V2), vec![0, 0, 1]].concat(),
            )),
            opener: MIGRATING,
            ..v2(
                "schema 1 payload, non-zero byte in the padding",
                xchacha,
                None,
                "decode",
            )
        },
        // Migrations that fail.
        Spec {
            note: "",
            ..migrated("migration fails (empty note)", xaes, None, "migration")
        },
        Spec {
            note: "",
            now: T0 + DAY + 60,
            ..migrated(
                "migration fails and expired: migration (checked before the times)",
                xchacha,
                None,
                "migration",
            )
        },
        Spec {
            raw: Some(raw2(vec![1], [old_payload(""), vec![1]].concat())),
            opener: MIGRATING,
            ..v2(
                "migration fails and non-zero padding: migration (padding is checked after)",
                xaes,
                None,
                "migration",
            )
        },
        Spec {
            note: "",
            current_epoch: Some(8),
            ..migrated(
                "migration fails and revoked: migration",
                xchacha,
                alice(),
                "migration",
            )
        },
        // Unknown schemas.
        Spec {
            schema: 1,
            ..v2(
                "unknown schema 1 (opener of schema 0 accepts none)",
                xaes,
                None,
                "unknown_schema",
            )
        },
        Spec {
            schema: 3,
            opener: MIGRATING,
            ..v2(
                "unknown schema 3 (opener of schema 2 accepts 1)",
                xchacha,
                alice(),
                "unknown_schema",
            )
        },
        Spec {
            schema: 2,
            opener: s1,
            ..v2(
                "newer schema 2 than the opener's 1 (a rolled-back build)",
                xaes,
                None,
                "unknown_schema",
            )
        },
        Spec {
            opener: s1,
            ..v2(
                "schema 0 under an opener of schema 1 that does not accept 0",
                xchacha,
                None,
                "unknown_schema",
            )
        },
        Spec {
            schema: 1,
            now: T0 + DAY + 60,
            ..v2(
                "unknown schema and expired: unknown_schema (checked before the times)",
                xaes,
                None,
                "unknown_schema",
            )
        },
        Spec {
            schema: 1,
            current_epoch: Some(8),
            ..v2(
                "unknown schema and revoked: unknown_schema",
                xchacha,
                alice(),
                "unknown_schema",
            )
        },
        Spec {
            raw: Some(raw2(vec![9], vec![0xff; 8])),
            ..v2(
                "unknown schema 9 with a garbage payload: unknown_schema (the payload is not read)",
                xaes,
                None,
                "unknown_schema",
            )
        },
        Spec {
            raw: Some(raw2(vec![9], [payload_v2(), vec![1]].concat())),
            ..v2(
                "unknown schema 9 and non-zero padding: unknown_schema",
                xchacha,
                None,
                "unknown_schema",
            )
        },
        Spec {
            raw: Some(env2(
                wire_times(MAX_WIRE + 1, 0, 0, None),
                anon(),
                &sid,
                vec![9],
                payload_v2(),
            )),
            now: MAX_UNIX,
            ..v2(
                "issued_at past the bound and unknown schema 9: decode (the head comes first)",
                xaes,
                None,
                "decode",
            )
        },
        // Sealing the previous schema during a rollout.
        Spec {
            schema: 2,
            opener: ROLLOUT,
            reseal: &["old_schema"],
            ..v2(
                "rollout (opener of schema 2 seals 1): a schema 2 cookie is old_schema",
                xaes,
                None,
                "ok",
            )
        },
        Spec {
            opener: ROLLOUT,
            ..migrated(
                "rollout (opener of schema 2 seals 1): a schema 1 cookie is migrated, no hint",
                xchacha,
                bob(),
                "ok",
            )
        },
        // Format v1 cookies under a v2-aware opener.
        Spec {
            version: V1,
            reseal: &["old_format"],
            ..v2(
                "v1 cookie: opens with no session id, schema 0, old_format",
                xaes,
                None,
                "ok",
            )
        },
        Spec {
            version: V1,
            reseal: &["old_format"],
            ..v2("v1 cookie, user (integer id)", xchacha, alice(), "ok")
        },
        Spec {
            version: V1,
            now: T0 + DAY + 30,
            in_leeway: true,
            ..v2("v1 cookie in the leeway: no hint", xaes, None, "ok")
        },
        Spec {
            version: V1,
            now: T0 + DAY + 60,
            ..v2("v1 cookie expired", xchacha, None, "expired")
        },
        Spec {
            version: V1,
            opener: SEALS_V1,
            ..v2("v1 cookie, opener seals v1: no hint", xaes, None, "ok")
        },
        Spec {
            opener: SEALS_V1,
            reseal: &["old_format"],
            ..v2(
                "v2 cookie, opener seals v1: old_format",
                xchacha,
                None,
                "ok",
            )
        },
        Spec {
            version: V1,
            opener: s1,
            ..v2(
                "v1 cookie (schema 0) under an opener of schema 1 that does not accept 0",
                xaes,
                None,
                "unknown_schema",
            )
        },
        Spec {
            version: V1,
            old: true,
            opener: opener(1, &[0]),
            reseal: &["old_schema", "old_format"],
            ..v2(
                "v1 cookie of schema 0 { note } migrated by an opener of schema 1",
                xchacha,
                bob(),
                "ok",
            )
        },
        Spec {
            version: V1,
            old: true,
            times: idle_at(7200),
            now: T0 + 1000,
            policy: policy(DAY, Some(1800), 60),
            opener: opener(1, &[0]),
            reseal: &[
                "retired_key",
                "idle_half_used",
                "policy_tightened",
                "old_schema",
                "old_format",
            ],
            ..retired(
                "every hint: v1, retired key, idle half used, policy tightened, migrated",
                xchacha,
                None,
                5,
            )
        },
        Spec {
            raw: Some(raw_envelope(&[], &[])),
            nonce: Some(nonce(30)),
            comment: Some(V1_UNDER_02),
            ..v2(
                "v1 envelope under header 02 01: read as v2, schema 115",
                xaes,
                None,
                "unknown_schema",
            )
        },
        Spec {
            version: V1,
            raw: Some(raw2(vec![0], payload_v2())),
            comment: Some(V2_UNDER_01),
            ..v2(
                "v2 envelope under header 01 01: read as v1, decode",
                xaes,
                None,
                "decode",
            )
        },
        // The v2 head's encoding.
        Spec {
            raw: Some(env2(std_times(), anon(), &[], vec![], vec![])),
            ..v2(
                "v2 envelope that ends after the user (no session id)",
                xaes,
                None,
                "decode",
            )
        },
        Spec {
            raw: Some(env2(std_times(), anon(), &sid[..7], vec![], vec![])),
            ..v2(
                "v2 envelope with 7 of the 8 session id bytes",
                xchacha,
                None,
                "decode",
            )
        },
        Spec {
            raw: Some(env2(std_times(), anon(), &sid, vec![], vec![])),
            ..v2(
                "v2 envelope that ends after the session id (no schema)",
                xaes,
                None,
                "decode",
            )
        },
        Spec {
            raw: Some(raw2(vec![0x81, 0x00], payload_v2())),
            opener: s1,
            ..v2("schema 1 as the non-minimal varint 81 00", xaes, None, "ok")
        },
        Spec {
            raw: Some(raw2(long_varint(0, 5), payload_v2())),
            ..v2(
                "schema 0 as the 5-byte varint 80 80 80 80 00 (longest allowed)",
                xchacha,
                None,
                "ok",
            )
        },
        Spec {
            raw: Some(raw2(long_varint(1 << 32, 5), payload_v2())),
            ..v2(
                "schema 2^32 (80 80 80 80 10; 0 if truncated to 32 bits)",
                xaes,
                None,
                "decode",
            )
        },
        Spec {
            raw: Some(raw2(long_varint((1 << 32) + 1, 5), payload_v2())),
            opener: s1,
            ..v2(
                "schema 2^32 + 1 (1 if truncated to 32 bits)",
                xchacha,
                None,
                "decode",
            )
        },
        Spec {
            raw: Some(raw2(long_varint(1, 6), payload_v2())),
            opener: s1,
            ..v2(
                "schema varint of 6 bytes (1 as 81 80 80 80 80 00)",
                xaes,
                None,
                "decode",
            )
        },
        Spec {
            raw: Some(env2(
                [
                    long_varint(T0_WIRE.into(), 10),
                    long_varint(0, 10),
                    long_varint(DAY_WIRE.into(), 10),
                    vec![1],
                    long_varint(1800, 10),
                ]
                .concat(),
                [
                    vec![1],
                    long_varint(0, 5),
                    long_varint(42, 10),
                    long_varint(7, 10),
                ]
                .concat(),
                &sid,
                long_varint(2, 5),
                [
                    long_varint(17, 10),
                    NOTE_V2.as_bytes().to_vec(),
                    long_varint(3, 5),
                ]
                .concat(),
            )),
            times: idle_at(1800),
            opener: opener(2, &[]),
            ..v2(
                "non-minimal varints everywhere in a v2 envelope, longest allowed",
                xaes,
                alice(),
                "ok",
            )
        },
        Spec {
            raw: Some(raw2(vec![0], [payload_v2(), vec![0, 0, 1]].concat())),
            ..v2(
                "authentic, non-zero byte in the padding",
                xaes,
                None,
                "decode",
            )
        },
        Spec {
            raw: Some(vec![0xff; 8]),
            ..v2("authentic, garbage plaintext", xchacha, None, "decode")
        },
        Spec {
            raw: Some(Vec::new()),
            ..v2(
                "authentic, empty AEAD plaintext (42 bytes, the minimum)",
                xaes,
                None,
                "decode",
            )
        },
        Spec {
            raw: Some(env2(
                wire_times(T0_WIRE, T0_WIRE + 1, DAY_WIRE, None),
                anon(),
                &sid,
                vec![0],
                payload_v2(),
            )),
            ..v2("authentic, login_age > issued_at", xchacha, None, "decode")
        },
        Spec {
            raw: Some(env2(std_times(), vec![2], &sid, vec![0], payload_v2())),
            ..v2("Option tag 2 (user)", xaes, None, "decode")
        },
        Spec {
            raw: Some(env2(
                std_times(),
                text_user("u".repeat(129).as_bytes(), 1),
                &sid,
                vec![0],
                payload_v2(),
            )),
            ..v2("text user id of 129 bytes", xchacha, None, "decode")
        },
        Spec {
            user: text_id(&"u".repeat(128), 1),
            current_epoch: Some(1),
            ..v2("text user id of 128 bytes (the limit)", xaes, None, "ok")
        },
        // Headers and tampering.
        header(
            "header rule only: version byte 0x03, AEAD over that header",
            &[0x03, 0x01],
        ),
        header(
            "header rule only: version byte 0x00, AEAD over that header",
            &[0x00, 0x01],
        ),
        header(
            "header rule only: version byte 0xff, AEAD over that header",
            &[0xff, 0x01],
        ),
        header(
            "header rule only: v2 key id 1 as non-minimal 81 00",
            &[0x02, 0x81, 0x00],
        ),
        header(
            "header rule only: v2 key id 2^32 + 1 (1 if truncated to 32 bits)",
            &[0x02, 0x81, 0x80, 0x80, 0x80, 0x10],
        ),
        Spec {
            mutation: Mutation::Version(3),
            ..v2(
                "version byte 0x03 on a v2 cookie (tag over 02 01)",
                xaes,
                None,
                "invalid",
            )
        },
        Spec {
            mutation: Mutation::Version(1),
            ..v2(
                "v2 cookie relabelled v1 (tag over 02 01)",
                xchacha,
                None,
                "invalid",
            )
        },
        Spec {
            version: V1,
            mutation: Mutation::Version(2),
            ..v2(
                "v1 cookie relabelled v2 (tag over 01 01)",
                xaes,
                None,
                "invalid",
            )
        },
        Spec {
            mutation: Mutation::FlipBit { byte: 30, bit: 0 },
            ..v2("flipped ciphertext bit", xaes, alice(), "invalid")
        },
        Spec {
            mutation: Mutation::FlipBit { byte: 40, bit: 3 },
            ..v2(
                "flipped bit in the session id's ciphertext",
                xchacha,
                None,
                "invalid",
            )
        },
        Spec {
            mutation: Mutation::FlipBit {
                byte: usize::MAX,
                bit: 7,
            },
            ..v2("flipped tag bit", xchacha, None, "invalid")
        },
        Spec {
            mutation: Mutation::Truncate(1),
            ..v2("truncated by one character", xaes, None, "invalid")
        },
        Spec {
            open_name: "__Host-other",
            ..v2("moved to another cookie name", xchacha, bob(), "invalid")
        },
        Spec {
            seal_key_id: 9,
            ..v2("unknown key id 9 (ring has 1)", xaes, None, "invalid")
        },
        Spec {
            mutation: Mutation::NonMinimalKeyId,
            ..v2(
                "key id 1 as non-minimal varint 81 00 (tag over 02 01)",
                xaes,
                None,
                "invalid",
            )
        },
        Spec {
            mutation: Mutation::Text(|c| format!("{c}\r\n")),
            lenient_authentic: true,
            comment: Some(BASE64_RULE),
            ..v2("base64 with a trailing CR LF", xchacha, None, "invalid")
        },
        // Key ids at the varint boundaries, lengths, the size cap.
        key_id("key id 0 (header 02 00)", xaes, 0),
        key_id("key id 127 (largest 1-byte varint)", xchacha, 127),
        key_id("key id 128 (2-byte varint 80 01)", xaes, 128),
        key_id("key id 2^14 (3-byte varint 80 80 01)", xchacha, 16_384),
        key_id(
            "key id 2^32 - 1 (5-byte varint ff ff ff ff 0f)",
            xaes,
            u32::MAX,
        ),
        Spec {
            mutation: Mutation::Bytes(|d| d.truncate(41)),
            ..v2(
                "decoded length 41, one under the minimum 42",
                xaes,
                None,
                "invalid",
            )
        },
        Spec {
            key_id: 128,
            seal_key_id: 128,
            mutation: Mutation::Bytes(|d| d.truncate(42)),
            ..v2(
                "42 bytes with a 3-byte header: body one short of nonce + tag",
                xchacha,
                None,
                "invalid",
            )
        },
        Spec {
            max_cookie_len: 121,
            ..v2(
                "name + value one over max_cookie_len (121)",
                xaes,
                None,
                "invalid",
            )
        },
        Spec {
            max_cookie_len: 122,
            ..v2(
                "name + value exactly max_cookie_len (122)",
                xaes,
                None,
                "ok",
            )
        },
        // Padding.
        Spec {
            padding: Some(64),
            ..v2("xaes padded to a 64-byte bucket", xaes, None, "ok")
        },
        Spec {
            padding: Some(32),
            ..v2("xchacha padded to a 32-byte bucket", xchacha, alice(), "ok")
        },
        Spec {
            padding: Some(32),
            max_cookie_len: 137,
            ..v2(
                "padding capped by the size limit: bucket 32 rounds 39 to 64, room is 50",
                xaes,
                None,
                "ok",
            )
        },
        // Times and their leeway boundaries.
        Spec {
            now: T0 + DAY + 60,
            ..v2("expired (at expires_at + leeway)", xaes, alice(), "expired")
        },
        Spec {
            now: T0 + DAY + 59,
            in_leeway: true,
            ..v2("last second inside the leeway", xchacha, None, "ok")
        },
        Spec {
            now: T0 - 61,
            ..v2(
                "issued in the future beyond leeway",
                xchacha,
                None,
                "not_yet_valid",
            )
        },
        Spec {
            now: T0 - 60,
            ..v2("issued_at = now + leeway opens", xaes, None, "ok")
        },
        Spec {
            times: idle_at(1800),
            now: T0 + 1860,
            ..v2("idle deadline passed", xaes, None, "idle_expired")
        },
        Spec {
            times: Times {
                idle_deadline: Some(T0 + 1800),
                ..fresh(T0, 1000)
            },
            now: T0 + 1900,
            ..v2(
                "both expired and idle: expired is reported",
                xchacha,
                None,
                "expired",
            )
        },
        Spec {
            now: T0 + DAY + 29,
            policy: policy(DAY, None, 30),
            in_leeway: true,
            ..v2("leeway 30: now = expires_at + 29 opens", xaes, None, "ok")
        },
        Spec {
            now: T0 + DAY + 30,
            policy: policy(DAY, None, 30),
            ..v2(
                "leeway 30: now = expires_at + 30 is expired",
                xaes,
                None,
                "expired",
            )
        },
        Spec {
            times: idle_at(1800),
            now: T0 + 1800 + 29,
            policy: policy(DAY, Some(1800), 30),
            in_leeway: true,
            ..v2(
                "leeway 30: now = idle_deadline + 29 opens (no idle hint)",
                xchacha,
                None,
                "ok",
            )
        },
        Spec {
            times: idle_at(1800),
            now: T0 + 1800 + 30,
            policy: policy(DAY, Some(1800), 30),
            ..v2(
                "leeway 30: now = idle_deadline + 30 is idle expired",
                xchacha,
                None,
                "idle_expired",
            )
        },
        Spec {
            now: T0,
            policy: policy(DAY, None, 0),
            ..v2("leeway 0: issued_at = now opens", xaes, None, "ok")
        },
        Spec {
            now: T0 - 1,
            policy: policy(DAY, None, 0),
            ..v2(
                "leeway 0: issued_at = now + 1 is not yet valid",
                xaes,
                None,
                "not_yet_valid",
            )
        },
        Spec {
            times: idle_at(1801),
            now: T0 + 900,
            policy: policy(DAY, Some(1801), 60),
            reseal: &["idle_half_used"],
            ..v2(
                "idle half used at 900 s of 1801 (integer division)",
                xaes,
                None,
                "ok",
            )
        },
        Spec {
            times: idle_at(1801),
            now: T0 + 899,
            policy: policy(DAY, Some(1801), 60),
            ..v2("idle not half used at 899 s of 1801", xchacha, None, "ok")
        },
        Spec {
            times: resealed,
            policy: policy(5 * DAY, None, 60),
            reseal: &["policy_tightened"],
            ..v2(
                "local ttl 5 days, stricter than the cookie's 7-day session",
                xaes,
                alice(),
                "ok",
            )
        },
        Spec {
            times: resealed,
            now: T0 + 2 * DAY + 60,
            policy: policy(5 * DAY, None, 60),
            ..v2(
                "local ttl: login_at + ttl + leeway is expired",
                xchacha,
                None,
                "expired",
            )
        },
        Spec {
            now: T0 + 1000,
            policy: policy(DAY, Some(1800), 60),
            reseal: &["idle_half_used", "policy_tightened"],
            ..v2(
                "local idle timeout on a cookie without one",
                xchacha,
                bob(),
                "ok",
            )
        },
        Spec {
            times: near_9999,
            now: MAX_UNIX - 300,
            policy: policy(DAY, Some(600), 60),
            reseal: &["idle_half_used"],
            ..v2(
                "expires_at and idle_deadline = 253402300799 (the bound)",
                xaes,
                None,
                "ok",
            )
        },
        Spec {
            raw: Some(env2(
                wire_times(MAX_WIRE - 600, 0, 601, None),
                anon(),
                &sid,
                vec![0],
                payload_v2(),
            )),
            now: MAX_UNIX - 300,
            ..v2(
                "expires_at = 253402300800 (past the bound)",
                xaes,
                None,
                "decode",
            )
        },
        Spec {
            times: Times {
                login_at: 0,
                issued_at: 1000,
                expires_at: DAY,
                idle_deadline: None,
            },
            now: 1600,
            ..v2("login_at = 0 (login_age = issued_at)", xchacha, None, "ok")
        },
        // Epochs, after the time checks.
        Spec {
            current_epoch: Some(8),
            ..v2(
                "revoked: user epoch bumped 7 -> 8",
                xaes,
                alice(),
                "revoked",
            )
        },
        Spec {
            current_epoch: None,
            comment: Some("the user no longer exists: the application has no current epoch"),
            ..v2("unknown user (no current epoch)", xchacha, bob(), "revoked")
        },
        Spec {
            current_epoch: Some(8),
            now: T0 + DAY + 60,
            ..v2(
                "expired and revoked: expired is reported",
                xaes,
                alice(),
                "expired",
            )
        },
        Spec {
            current_epoch: Some(8),
            now: T0 + DAY + 30,
            ..v2(
                "in the leeway and revoked: revoked",
                xchacha,
                alice(),
                "revoked",
            )
        },
        // Retired keys.
        Spec {
            reseal: &["retired_key"],
            ..retired(
                "xaes sealed under a retired key (id 300)",
                xaes,
                alice(),
                300,
            )
        },
        Spec {
            times: idle_at(1800),
            now: T0 + 1000,
            policy: policy(DAY, Some(1800), 60),
            reseal: &["retired_key", "idle_half_used"],
            ..retired("xchacha retired key and idle half used", xchacha, None, 5)
        },
        Spec {
            times: idle_at(1800),
            now: T0 + 1800 + 30,
            policy: policy(DAY, Some(1800), 60),
            in_leeway: true,
            ..retired(
                "xchacha retired key in the leeway: no hint (it cannot be re-sealed)",
                xchacha,
                None,
                5,
            )
        },
    ];
    specs.extend(reseal_specs());
    specs.extend(unpinned_rule_specs());
    specs
}

/// Appended for issue 17, item 10: what a re-seal writes (FORMAT.md section
/// 6.2), each an `ok` vector re-sealed at its `now` with a fixed nonce.
fn reseal_specs() -> Vec<Spec> {
    let (xaes, xchacha) = (Algorithm::XAes256Gcm, Algorithm::XChaCha20Poly1305);
    let reseal = |name, algorithm, user| Spec {
        reseal_expect: Some("ok"),
        ..v2(name, algorithm, user, "ok")
    };
    // Logged in 3 days before T0 for 7 days, re-sealed at T0.
    let week = Times {
        login_at: T0 - 3 * DAY,
        issued_at: T0,
        expires_at: T0 + 4 * DAY,
        idle_deadline: None,
    };
    vec![
        Spec {
            times: week,
            policy: policy(5 * DAY, None, 60),
            reseal: &["policy_tightened"],
            ..reseal(
                "re-seal: keeps login_at, writes the locally capped deadline min(expires_at, login_at + ttl)",
                xaes,
                alice(),
            )
        },
        Spec {
            times: Times {
                idle_deadline: Some(T0 + 1800),
                ..fresh(T0, DAY)
            },
            now: T0 + 1000,
            policy: policy(DAY, Some(1800), 60),
            reseal: &["idle_half_used"],
            ..reseal(
                "re-seal: idle deadline slides to now + idle_timeout",
                xchacha,
                None,
            )
        },
        Spec {
            times: Times {
                idle_deadline: Some(T0 + 1800),
                ..fresh(T0, 2000)
            },
            now: T0 + 1000,
            policy: policy(DAY, Some(1800), 60),
            reseal: &["idle_half_used"],
            ..reseal(
                "re-seal: idle deadline capped at the absolute deadline",
                xaes,
                None,
            )
        },
        Spec {
            times: Times {
                idle_deadline: Some(T0 + 1800),
                ..fresh(T0, DAY)
            },
            now: T0 + 1000,
            reseal: &["idle_half_used"],
            ..reseal(
                "re-seal by an opener without idle timeout: the cookie's idle deadline is dropped",
                xchacha,
                bob(),
            )
        },
        Spec {
            times: Times {
                idle_deadline: Some(T0 + 30 + 1800),
                ..fresh(T0 + 30, DAY)
            },
            now: T0,
            policy: policy(DAY, Some(1800), 60),
            ..reseal(
                "re-seal of a cookie issued 30 s in the future: as of its own issued_at",
                xaes,
                None,
            )
        },
        Spec {
            now: T0 + DAY + 30,
            in_leeway: true,
            reseal_expect: Some("session_expired"),
            ..v2(
                "re-seal in the leeway (absolute deadline): session_expired",
                xchacha,
                alice(),
                "ok",
            )
        },
        Spec {
            times: Times {
                idle_deadline: Some(T0 + 1800),
                ..fresh(T0, DAY)
            },
            now: T0 + 1800 + 10,
            policy: policy(DAY, Some(1800), 60),
            in_leeway: true,
            reseal_expect: Some("session_expired"),
            ..v2(
                "re-seal in the leeway (idle deadline): session_expired",
                xaes,
                None,
                "ok",
            )
        },
        Spec {
            schema: 2,
            opener: ROLLOUT,
            reseal: &["old_schema"],
            ..reseal(
                "re-seal during a rollout: down-converted to the previous schema 1 { note }",
                xchacha,
                alice(),
            )
        },
        Spec {
            schema: 1,
            old: true,
            opener: MIGRATING,
            reseal: &["old_schema"],
            ..reseal(
                "re-seal of a migrated schema 1 cookie: written as the current schema 2",
                xaes,
                None,
            )
        },
    ]
}

const ALGORITHM_BINDING: &str = "the key bytes and id are the opener's, but the cookie was sealed \
     with the other algorithm: an opener that tries the other AEAD too would open it";
const NO_FALLBACK: &str = "authentic under key 1's subkey (key id 1 in the HKDF info) with the \
     AAD over header 02 02: an opener that falls back to another key for an unknown id opens it";
const WRAPS: &str = "issued_at + this varint is 2^64 + 1799999999: past 2^64, decode. An opener \
     that wraps at 2^64 reads the deadline as 1799999999, in the past";

/// Appended for issue 17, item 11: rules no earlier vector pinned (a
/// lenient opener passed every one).
fn unpinned_rule_specs() -> Vec<Spec> {
    let (xaes, xchacha) = (Algorithm::XAes256Gcm, Algorithm::XChaCha20Poly1305);
    let sid = SID.to_be_bytes();
    let raw = |times: Vec<u8>, user: Vec<u8>| {
        Some(env2(
            times,
            user,
            &sid,
            vec![0],
            pc(&VectorPayload {
                note: NOTE_V2.into(),
                visits: 3,
            }),
        ))
    };
    let std_times = || wire_times(T0_WIRE, 0, DAY_WIRE, None);
    vec![
        // A key's algorithm is bound by configuration, never tried.
        Spec {
            seal_algorithm: Some(xchacha),
            comment: Some(ALGORITHM_BINDING),
            ..v2(
                "algorithm binding: sealed with XChaCha20-Poly1305, key configured as XAES-256-GCM",
                xaes,
                None,
                "invalid",
            )
        },
        Spec {
            seal_algorithm: Some(xaes),
            comment: Some(ALGORITHM_BINDING),
            ..v2(
                "algorithm binding: sealed with XAES-256-GCM, key configured as XChaCha20-Poly1305",
                xchacha,
                None,
                "invalid",
            )
        },
        // An unknown key id never falls back to another key.
        Spec {
            header: Some(&[0x02, 0x02]),
            lenient_authentic: true,
            comment: Some(NO_FALLBACK),
            ..v2(
                "unknown key id 2 (ring has 1): no fallback to key 1",
                xaes,
                None,
                "invalid",
            )
        },
        // Deadlines near 2^64.
        Spec {
            raw: raw(wire_times(T0_WIRE, 0, u64::MAX, None), vec![0]),
            comment: Some(WRAPS),
            ..v2(
                "lifetime 2^64 - 1: issued_at + lifetime overflows u64, decode",
                xaes,
                None,
                "decode",
            )
        },
        Spec {
            raw: raw(wire_times(T0_WIRE, 0, DAY_WIRE, Some(u64::MAX)), vec![0]),
            comment: Some(WRAPS),
            ..v2(
                "idle 2^64 - 1: issued_at + idle overflows u64, decode",
                xchacha,
                None,
                "decode",
            )
        },
        // UserId variant 2 is no variant: malformed, even followed by a
        // well-formed text id.
        Spec {
            raw: raw(std_times(), vec![1, 2, 1, b'a', 7]),
            ..v2(
                "user id variant 2 (then a valid text id 'a', epoch 7): decode",
                xaes,
                None,
                "decode",
            )
        },
        // The local idle deadline: issued_at + idle_timeout (not login_at,
        // not now), never past E, and never later than the cookie's own.
        Spec {
            times: Times {
                login_at: T0 - 3 * DAY,
                ..fresh(T0, DAY)
            },
            now: T0 + 1700,
            policy: policy(5 * DAY, Some(1800), 60),
            reseal: &["idle_half_used", "policy_tightened"],
            ..v2(
                "local idle deadline counts from issued_at, not login_at or now",
                xchacha,
                None,
                "ok",
            )
        },
        Spec {
            times: fresh(T0, 1000),
            now: T0 + 500,
            policy: policy(DAY, Some(1800), 60),
            reseal: &["idle_half_used", "policy_tightened"],
            ..v2(
                "local idle deadline capped at expires_at (idle window 1000 s, half used at 500 s)",
                xaes,
                None,
                "ok",
            )
        },
        Spec {
            times: Times {
                idle_deadline: Some(T0 + 1200),
                ..fresh(T0, DAY)
            },
            now: T0 + 500,
            policy: policy(DAY, Some(1800), 60),
            ..v2(
                "cookie idle deadline earlier than the local one: the cookie's is kept, no policy_tightened",
                xchacha,
                None,
                "ok",
            )
        },
        // The epoch check is equality: neither direction passes.
        Spec {
            current_epoch: Some(6),
            ..v2(
                "cookie epoch 7 above the current epoch 6: revoked",
                xaes,
                alice(),
                "revoked",
            )
        },
        Spec {
            current_epoch: Some(8),
            ..v2(
                "cookie epoch 7 below the current epoch 8: revoked",
                xchacha,
                alice(),
                "revoked",
            )
        },
        Spec {
            current_epoch: Some(7),
            ..v2(
                "cookie epoch 7 equal to the current epoch 7: ok",
                xaes,
                alice(),
                "ok",
            )
        },
    ]
}

/// A valid v1 envelope at T0 (1 day lifetime, no idle) with `user` bytes
/// (an Option) and the vector payload, followed by `trailing` bytes.
fn raw_envelope(user: &[u8], trailing: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    // issued_at = 1800000000, login_age = 0, lifetime = 86400, idle = None
    out.extend_from_slice(&[0x80, 0xa4, 0xa7, 0xda, 0x06, 0x00, 0x80, 0xa3, 0x05, 0x00]);
    if user.is_empty() {
        out.push(0x00);
    } else {
        out.extend_from_slice(user);
    }
    out.push(17);
    out.extend_from_slice(b"sealed-session v1");
    out.push(3);
    out.extend_from_slice(trailing);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn user_json(user: &UserId) -> Value {
    match (user.as_u64(), user.as_str()) {
        (Some(n), _) => json!(n),
        (None, Some(s)) => json!(s),
        (None, None) => Value::Null,
    }
}

/// Decrypts a cookie independently of the store (derives the subkey itself)
/// to get the exact plaintext.
fn plaintext_of(key: &Key, alg: Algorithm, name: &str, cookie: &str) -> Option<Vec<u8>> {
    let data = URL_SAFE_NO_PAD.decode(cookie).ok()?;
    // A history vector's v1 header parses as the v2 header of its key id.
    let mut v2_header = data.get(..wire::MAX_HEADER_LEN.min(data.len()))?.to_vec();
    if v2_header.first() == Some(&V1) {
        v2_header[0] = V2;
    }
    let (key_id, header_len) = wire::parse_header(&v2_header)?;
    let (header, body) = data.split_at(header_len);
    let (nonce, rest) = body.split_first_chunk::<NONCE_LEN>()?;
    let (ct, tag) = rest.split_last_chunk::<TAG_LEN>()?;
    let subkey = kdf::derive_subkey(key, alg, key_id, name.as_bytes());
    let cipher = kdf::Cipher::new(&subkey, alg);
    let mut buf = ct.to_vec();
    let aad = kdf::aad(name.as_bytes(), header);
    cipher
        .open_in_place(nonce, &aad, &mut buf, tag)
        .then_some(buf)
}

/// Seals `plaintext` behind arbitrary header bytes: the subkey of `key_id`
/// and the AAD over `header` exactly as given (FORMAT.md section 3), so a
/// cookie with an odd header is authentic for an opener that ignores the
/// header rules.
fn seal_over_header(
    key: &Key,
    alg: Algorithm,
    key_id: u32,
    name: &str,
    header: &[u8],
    nonce: &[u8; NONCE_LEN],
    plaintext: &[u8],
) -> String {
    let subkey = kdf::derive_subkey(key, alg, key_id, name.as_bytes());
    let cipher = kdf::Cipher::new(&subkey, alg);
    let mut body = plaintext.to_vec();
    let aad = kdf::aad(name.as_bytes(), header);
    let Some(tag) = cipher.seal_in_place(nonce, &aad, &mut body) else {
        panic!("seal over header");
    };
    URL_SAFE_NO_PAD.encode([header, nonce, &body, &tag].concat())
}

/// FORMAT.md section 6, local policy: the deadlines an opener with `policy`
/// enforces for a cookie with `cookie` times.
fn effective(cookie: Times, policy: &Policy) -> Times {
    let expires_at = cookie.expires_at.min(cookie.login_at + policy.ttl);
    let local_idle = policy
        .idle_timeout
        .map(|idle| (cookie.issued_at + idle).min(expires_at));
    let idle_deadline = match (cookie.idle_deadline, local_idle) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Times {
        expires_at,
        idle_deadline,
        ..cookie
    }
}

/// Cross-checks the hand-written `reseal` and `in_leeway` of a spec against
/// FORMAT.md section 6, so a typo in a spec fails here. `cookie` is the
/// cookie's (format version, schema). The history vectors (format v1, and
/// the opener that sealed v1) record the hint of their time, which also
/// named `old_format`; openers no longer report it (FORMAT.md section 7).
fn check_hint(spec: &Spec, eff: Times, cookie: Option<(u8, u32)>) {
    let in_leeway = spec.now
        >= eff
            .idle_deadline
            .map_or(eff.expires_at, |d| d.min(eff.expires_at));
    assert_eq!(spec.in_leeway, in_leeway, "in_leeway of {}", spec.name);
    let half = eff
        .idle_deadline
        .is_some_and(|d| spec.now - eff.issued_at >= (d - eff.issued_at) / 2);
    let (old_schema, old_format) = cookie.map_or((false, false), |(version, schema)| {
        (
            schema != spec.opener.sealing_schema(),
            version != spec.opener.sealing_version(),
        )
    });
    // A cookie in the leeway cannot be re-sealed: no hint at all.
    let want: Vec<&str> = [
        ("retired_key", spec.retired),
        ("idle_half_used", half),
        ("policy_tightened", eff != spec.times),
        ("old_schema", old_schema),
        ("old_format", old_format),
    ]
    .into_iter()
    .filter_map(|(name, set)| (set && !in_leeway).then_some(name))
    .collect();
    assert_eq!(spec.reseal, want.as_slice(), "reseal of {}", spec.name);
}

/// The nonce of the v2.json vector `index`. Its bytes step by 13 (v1's by
/// 11), so no v2 vector reuses a v1 vector's nonce.
fn nonce_v2(index: usize) -> [u8; NONCE_LEN] {
    let mut n = [0u8; NONCE_LEN];
    for (j, b) in n.iter_mut().enumerate() {
        *b = u8::try_from((index * 37 + j * 13 + 7) % 256).unwrap_or(0);
    }
    n
}

/// The session id and schema of a well-formed head (FORMAT.md section 4:
/// it decodes and its times are in range), read as format `version` (a v1
/// head, history only, has no session id and schema 0).
fn head_of(version: u8, plaintext: &[u8]) -> Option<(Option<SessionId>, u32)> {
    let (head, _) = if version == V1 {
        let v2 = v1_to_v2_plaintext(plaintext)?;
        let (head, _) = HeadIn::read(&v2)?;
        Times::from_wire(head.issued_at, head.login_age, head.lifetime, head.idle)?;
        return Some((None, 0));
    } else {
        HeadIn::read(plaintext)?
    };
    Times::from_wire(head.issued_at, head.login_age, head.lifetime, head.idle)?;
    Some((Some(head.session_id), head.schema))
}

/// A v1 plaintext (history) as the v2 plaintext of the same session: the
/// session id 0 and schema 0 inserted after the v1 head.
fn v1_to_v2_plaintext(plaintext: &[u8]) -> Option<Vec<u8>> {
    let at = HeadIn::v1_head_len(plaintext)?;
    let (head, rest) = plaintext.split_at(at);
    Some([head, &[0u8; 9], rest].concat())
}

/// A v2 plaintext of schema 0 as the v1 plaintext of the same session
/// (history): its session id and one-byte schema removed.
fn v2_to_v1_plaintext(plaintext: &[u8]) -> Option<Vec<u8>> {
    let at = HeadIn::v1_head_len(plaintext)?;
    let (head, rest) = plaintext.split_at(at);
    let (id_schema, rest) = rest.split_at_checked(SessionId::LEN + 1)?;
    assert_eq!(id_schema.last(), Some(&0), "a v1 cookie is schema 0");
    Some([head, rest].concat())
}

/// The header `version ‖ varint(key_id)` as bytes.
fn header_bytes(version: u8, key_id: u32) -> Vec<u8> {
    let mut header = wire::Header::new(key_id).as_bytes().to_vec();
    header[0] = version;
    header
}

pub(crate) fn build_vectors_v2() -> Value {
    build(v2_specs())
}

fn build(specs: Vec<Spec>) -> Value {
    let mut out = Vec::new();
    for (index, spec) in specs.into_iter().enumerate() {
        if spec.version == V1 {
            assert_eq!(spec.schema, 0, "a v1 cookie is schema 0: {}", spec.name);
            assert!(spec.padding.is_none(), "{}", spec.name);
        }
        let key_bytes = master_key(spec.algorithm, spec.seal_key_id);
        let key = Key::from_bytes(&key_bytes).unwrap_or_else(|_| Key::generate());
        let seal_algorithm = spec.seal_algorithm.unwrap_or(spec.algorithm);
        let ring = KeyRing::new(spec.seal_key_id, key.clone().with_algorithm(seal_algorithm));
        let mut builder = SessionStore::builder(spec.seal_name, ring)
            .ttl(crate::MAX_TTL)
            .schema(spec.schema);
        if let Some(bucket) = spec.padding {
            builder = builder.padding(bucket);
        }
        if spec.policy.is_some() && spec.expect != "invalid" {
            // The appended vectors are sealed under the cap they record
            // (an `invalid` one may record a cap its cookie exceeds).
            builder = builder.max_cookie_len(spec.max_cookie_len);
        }
        let Ok(store) = builder.build() else {
            panic!("vector store config: {}", spec.name);
        };
        let nonce = spec.nonce.unwrap_or_else(|| nonce_v2(index));
        let user = spec.user.as_ref().map(|(id, e)| (id, *e));
        let session_id = SessionId::from_u64(spec.session_id);
        let payload = VectorPayload {
            note: spec.note.into(),
            visits: if spec.old { 0 } else { 3 },
        };
        let own_header = header_bytes(spec.version, spec.seal_key_id);
        let over_own_header = |pt: &[u8]| {
            seal_over_header(
                &key,
                seal_algorithm,
                spec.seal_key_id,
                spec.seal_name,
                &own_header,
                &nonce,
                pt,
            )
        };
        let sealed = match &spec.raw {
            Some(raw) => over_own_header(raw),
            None => {
                let result = if spec.old {
                    let old = OldPayload {
                        note: spec.note.into(),
                    };
                    store.seal_with_nonce(&old, user, spec.times, session_id, nonce)
                } else {
                    store.seal_with_nonce(&payload, user, spec.times, session_id, nonce)
                };
                let sealed = match result {
                    Ok(sealed) => sealed.into_value(),
                    Err(e) => panic!("vector seal {}: {e}", spec.name),
                };
                if spec.version == V1 {
                    // History: the same session framed as format v1.
                    let pt = plaintext_of(&key, spec.algorithm, spec.seal_name, &sealed)
                        .and_then(|pt| v2_to_v1_plaintext(&pt))
                        .unwrap_or_else(|| panic!("v1 history {}", spec.name));
                    over_own_header(&pt)
                } else {
                    sealed
                }
            }
        };
        let plaintext = plaintext_of(&key, seal_algorithm, spec.seal_name, &sealed);
        if let Some(raw) = &spec.raw {
            assert_eq!(plaintext.as_ref(), Some(raw));
        }
        let head = plaintext
            .as_deref()
            .and_then(|pt| head_of(spec.version, pt));
        if spec.raw.is_none() {
            let id = (spec.version == V2).then_some(session_id);
            assert_eq!(head, Some((id, spec.schema)), "head of {}", spec.name);
        }
        let sealed = match (spec.header, &plaintext) {
            (Some(header), Some(pt)) => seal_over_header(
                &key,
                seal_algorithm,
                spec.seal_key_id,
                spec.seal_name,
                header,
                &nonce,
                pt,
            ),
            _ => sealed,
        };
        let cookie = mutate(&sealed, spec.mutation);
        let master = URL_SAFE_NO_PAD.encode(master_key(spec.algorithm, spec.key_id));
        let mut v = json!({
            "name": spec.name,
            "algorithm": spec.algorithm.name(),
            "master_key": master,
            "key_id": spec.key_id,
            "key_role": if spec.retired { "retired" } else { "sealing" },
            "cookie_name": spec.open_name,
            "max_cookie_len": spec.max_cookie_len,
            "now": spec.now,
            "leeway": spec.policy.map_or(60, |p| p.leeway),
            "cookie": cookie,
            "expect": spec.expect,
        });
        let times = match &spec.policy {
            Some(policy) => effective(spec.times, policy),
            None => spec.times,
        };
        if let Some(obj) = v.as_object_mut() {
            if spec.expect != "invalid" {
                obj.insert("plaintext_hex".into(), json!(plaintext.as_deref().map(hex)));
            }
            if let Some((id, _)) = &spec.user {
                obj.insert("user_id".into(), user_json(id));
                obj.insert("current_epoch".into(), json!(spec.current_epoch));
            }
            if spec.expect == "ok" {
                obj.insert("payload".into(), json!(payload));
                obj.insert("login_at".into(), json!(times.login_at));
                obj.insert("issued_at".into(), json!(times.issued_at));
                obj.insert("expires_at".into(), json!(times.expires_at));
                obj.insert("idle_deadline".into(), json!(times.idle_deadline));
            }
            {
                let opener = &spec.opener;
                obj.insert("opener_schema".into(), json!(opener.schema));
                obj.insert("opener_accepts".into(), json!(opener.accepts));
                if let Some(seals) = opener.seals_schema {
                    obj.insert("opener_seals_schema".into(), json!(seals));
                }
                if opener.seals_v1 {
                    obj.insert("opener_seals_format".into(), json!(1));
                }
                if let (Some((id, schema)), false) = (head, spec.expect == "invalid") {
                    obj.insert("session_id".into(), json!(id.map(|id| id.to_string())));
                    obj.insert("schema".into(), json!(schema));
                }
            }
            if let Some(policy) = &spec.policy {
                obj.insert("ttl".into(), json!(policy.ttl));
                obj.insert("idle_timeout".into(), json!(policy.idle_timeout));
                if let Some(bucket) = spec.padding {
                    obj.insert("padding".into(), json!(bucket));
                }
                if spec.lenient_authentic {
                    obj.insert("aead_key_id".into(), json!(spec.seal_key_id));
                }
                if let Some(comment) = spec.comment {
                    obj.insert("comment".into(), json!(comment));
                }
                if spec.expect == "ok" {
                    let cookie_head = head.map(|(_, schema)| (spec.version, schema));
                    check_hint(&spec, times, cookie_head);
                    obj.insert("reseal".into(), json!(spec.reseal));
                    obj.insert("in_leeway".into(), json!(spec.in_leeway));
                    if let Some(want) = spec.reseal_expect {
                        reseal_fields(&spec, &cookie, index, obj, want);
                    }
                } else {
                    assert!(spec.reseal.is_empty() && !spec.in_leeway, "{}", spec.name);
                }
            }
        }
        out.push(v);
    }
    Value::Array(out)
}

/// The opener a vector records (FORMAT.md section 7), as a store: the
/// vector's key as the sealing key, its policy, schemas and size cap.
fn opener_store(spec: &Spec, key: &Key) -> SessionStore {
    let policy = spec.policy.unwrap_or(POLICY);
    let ring = KeyRing::new(spec.key_id, key.clone().with_algorithm(spec.algorithm));
    let mut builder = SessionStore::builder(spec.open_name, ring)
        .ttl(time::Duration::seconds(policy.ttl))
        .leeway(time::Duration::seconds(policy.leeway))
        .max_cookie_len(spec.max_cookie_len)
        .schema(spec.opener.schema);
    if let Some(idle) = policy.idle_timeout {
        builder = builder.idle_timeout(time::Duration::seconds(idle));
    }
    for &older in spec.opener.accepts {
        builder = builder.try_accept(older, |old: OldPayload| {
            if old.note.is_empty() {
                Err("empty note")
            } else {
                Ok(VectorPayload {
                    note: old.note,
                    visits: 0,
                })
            }
        });
    }
    if let Some(previous) = spec.opener.seals_schema {
        builder = builder
            .seal_previous_schema(previous, |cur: VectorPayload| OldPayload { note: cur.note });
    }
    builder
        .build()
        .unwrap_or_else(|e| panic!("opener of {}: {e}", spec.name))
}

/// The nonce of the re-seal of vector `index`.
fn reseal_nonce(index: usize) -> [u8; NONCE_LEN] {
    let mut n = nonce_v2(index);
    for b in &mut n {
        *b ^= 0xa5;
    }
    n
}

/// Opens `cookie` with the vector's opener at `now`, re-seals it there with
/// a fixed nonce (FORMAT.md section 6.2) and records the outcome.
fn reseal_fields(
    spec: &Spec,
    cookie: &str,
    index: usize,
    obj: &mut serde_json::Map<String, Value>,
    want: &str,
) {
    assert!(
        !spec.retired && spec.key_id == spec.seal_key_id,
        "{}",
        spec.name
    );
    let key = Key::from_bytes(&master_key(spec.algorithm, spec.key_id))
        .unwrap_or_else(|_| Key::generate());
    let store = opener_store(spec, &key);
    let now = crate::store::expiry::datetime(spec.now);
    let Ok(session) = store
        .open_at::<VectorPayload>(cookie, now)
        .and_then(|opened| opened.verify_with(|_| spec.current_epoch))
    else {
        panic!("re-seal vector {} does not open", spec.name);
    };
    let nonce = reseal_nonce(index);
    obj.insert("reseal_nonce".into(), json!(URL_SAFE_NO_PAD.encode(nonce)));
    obj.insert("reseal_expect".into(), json!(want));
    match store.reseal_with_nonce(&session, spec.now, nonce) {
        Err(crate::SealError::SessionExpired) => {
            assert_eq!(want, "session_expired", "{}", spec.name);
        }
        Err(e) => panic!("re-seal of {}: {e}", spec.name),
        Ok(sealed) => {
            assert_eq!(want, "ok", "{}", spec.name);
            let value = sealed.value().to_owned();
            let Some(pt) = plaintext_of(&key, spec.algorithm, spec.open_name, &value) else {
                panic!("re-sealed {}", spec.name);
            };
            let Some((head, _)) = HeadIn::read(&pt) else {
                panic!("re-sealed head of {}", spec.name);
            };
            assert_eq!(head.session_id, SessionId::from_u64(spec.session_id));
            obj.insert("resealed_cookie".into(), json!(value));
            obj.insert("resealed_plaintext_hex".into(), json!(hex(&pt)));
            obj.insert("resealed_issued_at".into(), json!(head.issued_at));
            obj.insert(
                "resealed_expires_at".into(),
                json!(sealed.expires_at().unix_timestamp()),
            );
            obj.insert(
                "resealed_idle_deadline".into(),
                json!(
                    sealed
                        .idle_deadline()
                        .map(time::OffsetDateTime::unix_timestamp)
                ),
            );
            obj.insert("resealed_schema".into(), json!(head.schema));
        }
    }
}

fn mutate(cookie: &str, mutation: Mutation) -> String {
    let mut data = URL_SAFE_NO_PAD.decode(cookie).unwrap_or_default();
    match mutation {
        Mutation::None => return cookie.to_owned(),
        Mutation::FlipBit { byte, bit } => {
            let at = byte.min(data.len().saturating_sub(1));
            if let Some(b) = data.get_mut(at) {
                *b ^= 1 << bit;
            }
        }
        Mutation::Truncate(n) => return cookie[..cookie.len() - n].to_owned(),
        Mutation::Version(v) => {
            if let Some(b) = data.first_mut() {
                *b = v;
            }
        }
        Mutation::NonMinimalKeyId => {
            assert_eq!(data.get(1), Some(&1u8), "key id 1");
            data.splice(1..2, [0x81, 0x00]);
        }
        Mutation::Text(f) => return f(cookie),
        Mutation::Bytes(f) => f(&mut data),
    }
    URL_SAFE_NO_PAD.encode(data)
}

const PATH_V2: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/v2.json");

/// Compares `built` with the committed file at `path` (after writing it,
/// with `SEALED_SESSION_BLESS` set).
fn check_committed(built: &Value, path: &str) {
    let text = format!(
        "{}\n",
        serde_json::to_string_pretty(built).unwrap_or_default()
    );
    if std::env::var_os("SEALED_SESSION_BLESS").is_some() {
        std::fs::write(path, &text).unwrap_or_else(|e| panic!("write {path}: {e}"));
    }
    let committed = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    assert_eq!(committed, text, "{path} differs from what this build seals");
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[test]
fn golden_vectors_v2_reseal_byte_for_byte() {
    let built = build_vectors_v2();
    check_committed(&built, PATH_V2);
    let vectors = built.as_array().map_or(&[][..], Vec::as_slice);
    assert!(vectors.len() >= 100, "{} v2 vectors", vectors.len());
    let mut names = std::collections::BTreeSet::new();
    for v in vectors {
        assert!(
            names.insert(v["name"].to_string()),
            "duplicate {}",
            v["name"]
        );
        // Every authentic vector that gets past the payload step decodes as
        // the envelope it claims: the head of its header's version, then the
        // payload as the current type or, for an accepted older schema, as
        // the old type, then zero padding.
        let Some(pt) = v["plaintext_hex"].as_str() else {
            continue;
        };
        if ["decode", "unknown_schema", "migration"].contains(&v["expect"].as_str().unwrap_or("")) {
            continue;
        }
        let bytes = unhex(pt);
        let version = URL_SAFE_NO_PAD
            .decode(v["cookie"].as_str().unwrap_or(""))
            .ok()
            .and_then(|d| d.first().copied());
        // A history vector's v1 plaintext, read as the v2 one of its session.
        let bytes = if version == Some(V1) {
            v1_to_v2_plaintext(&bytes).unwrap_or_default()
        } else {
            bytes
        };
        let Some((head, rest)) = HeadIn::read(&bytes) else {
            panic!("head of {}", v["name"]);
        };
        let session_id = (version == Some(V2)).then(|| head.session_id.to_string());
        assert_eq!(
            Some(u64::from(head.schema)),
            v["schema"].as_u64(),
            "{}",
            v["name"]
        );
        assert_eq!(
            session_id.as_deref(),
            v["session_id"].as_str(),
            "{}",
            v["name"]
        );
        let padding = if Some(u64::from(head.schema)) == v["opener_schema"].as_u64() {
            postcard::take_from_bytes::<VectorPayload>(rest).map(|(_, p)| p)
        } else {
            postcard::take_from_bytes::<OldPayload>(rest).map(|(_, p)| p)
        };
        assert!(
            padding.is_ok_and(crate::format::envelope::is_padding),
            "{}",
            v["name"]
        );
    }
}

/// The cookie that the removed v1.json's vector 31 had before format v2 (version byte
/// 0x02, then unknown) is reproduced by the v2 generator, which records what
/// it is now: an authentic v2 cookie.
#[test]
fn v1_vector_31_before_v2_is_kept_in_v2_json() {
    const ORIGINAL: &str = "AgFbZnF8h5KdqLO-ydTf6vUACxYhLDdCTVi_VbmS_uimKM_igjDbh09PhXlFURnNkhKj9Lk3pBeAZaT7ue7ea-AvvUDWVX-j";
    let built = build_vectors_v2();
    let kept: Vec<&Value> = built
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["cookie"] == ORIGINAL)
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["expect"], "unknown_schema");
    assert_eq!(kept[0]["schema"], 115);
}
