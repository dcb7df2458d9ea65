//! Golden vectors (tests/vectors/v1.json): rebuilt here with fixed nonces
//! and compared byte for byte with the committed file. Run with
//! `SEALED_SESSION_BLESS=1` to rewrite the file after a deliberate change
//! (which must come with a new format version).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::crypto;
use crate::envelope::EnvelopeIn;
use crate::expiry::Times;
use crate::wire::{self, NONCE_LEN, TAG_LEN};
use crate::{Algorithm, Key, KeyRing, SessionStore, UserId};

/// The payload every vector carries.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub(crate) struct VectorPayload {
    pub(crate) note: String,
    pub(crate) visits: u32,
}

#[derive(Clone, Copy)]
enum Mutation {
    None,
    FlipBit {
        byte: usize,
        bit: u8,
    },
    Truncate(usize),
    Append(&'static str),
    Version(u8),
    /// Re-encode the key id 1 as the non-minimal varint `81 00`.
    NonMinimalKeyId,
    /// Replace the text with another text rendering (padding, alphabet).
    Text(fn(&str) -> String),
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
}

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

fn specs() -> Vec<Spec> {
    let base = |name, algorithm, user: Option<(UserId, u64)>, expect| Spec {
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
    };
    let xaes = Algorithm::XAes256Gcm;
    let xchacha = Algorithm::XChaCha20Poly1305;
    let alice = || Some((UserId::from(42u64), 7u64));
    let bob = || {
        Some((
            UserId::text("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap_or_else(|_| 0u64.into()),
            3u64,
        ))
    };
    vec![
        base("xaes anonymous", xaes, None, "ok"),
        base("xaes user (integer id)", xaes, alice(), "ok"),
        base("xchacha anonymous", xchacha, None, "ok"),
        base("xchacha user (text id)", xchacha, bob(), "ok"),
        Spec {
            padding: Some(64),
            ..base("xaes padded to 64-byte bucket", xaes, None, "ok")
        },
        Spec {
            key_id: 300,
            seal_key_id: 300,
            retired: true,
            ..base(
                "xaes sealed under a retired key (id 300)",
                xaes,
                alice(),
                "ok",
            )
        },
        Spec {
            times: Times {
                login_at: T0 - 3 * DAY,
                issued_at: T0,
                expires_at: T0 + 4 * DAY,
                idle_deadline: Some(T0 + 1800),
            },
            ..base(
                "xchacha re-sealed, with idle deadline",
                xchacha,
                bob(),
                "ok",
            )
        },
        Spec {
            mutation: Mutation::FlipBit { byte: 30, bit: 0 },
            ..base("flipped ciphertext bit", xaes, alice(), "invalid")
        },
        Spec {
            mutation: Mutation::FlipBit {
                byte: usize::MAX,
                bit: 7,
            },
            ..base("flipped tag bit", xchacha, None, "invalid")
        },
        Spec {
            mutation: Mutation::Truncate(1),
            ..base("truncated by one character", xaes, None, "invalid")
        },
        Spec {
            mutation: Mutation::Append("AA"),
            ..base("two characters appended", xaes, None, "invalid")
        },
        Spec {
            mutation: Mutation::Version(2),
            ..base("unknown version byte 0x02", xaes, None, "invalid")
        },
        Spec {
            open_name: "__Host-other",
            ..base("moved to another cookie name", xaes, alice(), "invalid")
        },
        Spec {
            seal_key_id: 9,
            ..base("unknown key id 9 (ring has 1)", xaes, None, "invalid")
        },
        Spec {
            now: T0 + DAY + 60,
            ..base("expired (at expires_at + leeway)", xaes, alice(), "expired")
        },
        Spec {
            now: T0 + DAY + 59,
            ..base("last second inside the leeway", xaes, None, "ok")
        },
        Spec {
            now: T0 - 61,
            ..base(
                "issued in the future beyond leeway",
                xchacha,
                None,
                "not_yet_valid",
            )
        },
        Spec {
            current_epoch: Some(8),
            ..base(
                "revoked: user epoch bumped 7 -> 8",
                xaes,
                alice(),
                "revoked",
            )
        },
        Spec {
            times: Times {
                idle_deadline: Some(T0 + 1800),
                ..fresh(T0, DAY)
            },
            now: T0 + 1860,
            ..base("idle deadline passed", xaes, None, "idle_expired")
        },
        Spec {
            times: Times {
                idle_deadline: Some(T0 + 1800),
                ..fresh(T0, 1000)
            },
            now: T0 + 1900,
            ..base(
                "both expired and idle: expired is reported",
                xaes,
                None,
                "expired",
            )
        },
        Spec {
            mutation: Mutation::NonMinimalKeyId,
            ..base(
                "key id 1 as non-minimal varint 81 00",
                xaes,
                None,
                "invalid",
            )
        },
        Spec {
            mutation: Mutation::Text(|c| format!("{c}==")),
            ..base("base64 padding appended", xaes, None, "invalid")
        },
        Spec {
            mutation: Mutation::Text(|c| c.replace('-', "+").replace('_', "/")),
            ..base("standard base64 alphabet", xaes, None, "invalid")
        },
        Spec {
            mutation: Mutation::Text(|c| format!("{c}A")),
            ..base("length = 1 mod 4", xaes, None, "invalid")
        },
        Spec {
            max_cookie_len: 109,
            ..base(
                "name + value one over max_cookie_len (109)",
                xaes,
                None,
                "invalid",
            )
        },
        Spec {
            max_cookie_len: 110,
            ..base(
                "name + value exactly max_cookie_len (110)",
                xaes,
                None,
                "ok",
            )
        },
        Spec {
            raw: Some(raw_envelope(&[], &[0x00, 0x00, 0x01])),
            ..base(
                "authentic, non-zero byte in the padding",
                xaes,
                None,
                "decode",
            )
        },
        Spec {
            raw: Some(raw_envelope(&[0x01, 0x02, 0x2a, 0x07], &[])),
            ..base("authentic, user id variant 2", xchacha, None, "decode")
        },
        Spec {
            raw: Some(vec![0xff; 8]),
            ..base("authentic, garbage plaintext", xaes, None, "decode")
        },
        Spec {
            raw: Some(vec![
                0x80, 0xa4, 0xa7, 0xda, 0x06, 0x81, 0xa4, 0xa7, 0xda, 0x06, 0x00, 0x00, 0x00, 0x00,
                0x00,
            ]),
            ..base("authentic, login_age > issued_at", xaes, None, "decode")
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
    let (key_id, header_len) = wire::parse_header(&data)?;
    let (header, body) = data.split_at(header_len);
    let (nonce, rest) = body.split_first_chunk::<NONCE_LEN>()?;
    let (ct, tag) = rest.split_last_chunk::<TAG_LEN>()?;
    let subkey = crypto::derive_subkey(key, alg, key_id, name.as_bytes());
    let cipher = crypto::Cipher::new(&subkey, alg);
    let mut buf = ct.to_vec();
    let aad = crypto::aad(name.as_bytes(), header);
    cipher
        .open_in_place(nonce, &aad, &mut buf, tag)
        .then_some(buf)
}

fn build_vectors() -> Value {
    let payload = VectorPayload {
        note: "sealed-session v1".into(),
        visits: 3,
    };
    let mut out = Vec::new();
    for (index, spec) in specs().into_iter().enumerate() {
        let key_bytes = master_key(spec.algorithm, spec.seal_key_id);
        let key = Key::from_bytes(&key_bytes).unwrap_or_else(|_| Key::generate());
        let ring = KeyRing::with_algorithm(spec.seal_key_id, spec.algorithm, key.clone());
        let mut builder = SessionStore::builder(spec.seal_name, ring).ttl(crate::MAX_TTL);
        if let Some(bucket) = spec.padding {
            builder = builder.padding(bucket);
        }
        let Ok(store) = builder.build() else {
            panic!("vector store config");
        };
        let user = spec.user.as_ref().map(|(id, e)| (id, *e));
        let sealed = match &spec.raw {
            Some(raw) => store.seal_raw_plaintext(raw, nonce(index)),
            None => match store.seal_with_nonce(&payload, user, spec.times, nonce(index)) {
                Ok(sealed) => sealed.into_value(),
                Err(e) => panic!("vector seal: {e}"),
            },
        };
        let plaintext = plaintext_of(&key, spec.algorithm, spec.seal_name, &sealed);
        if let Some(raw) = &spec.raw {
            assert_eq!(plaintext.as_ref(), Some(raw));
        }
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
            "leeway": 60,
            "cookie": cookie,
            "expect": spec.expect,
        });
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
                obj.insert("login_at".into(), json!(spec.times.login_at));
                obj.insert("issued_at".into(), json!(spec.times.issued_at));
                obj.insert("expires_at".into(), json!(spec.times.expires_at));
                obj.insert("idle_deadline".into(), json!(spec.times.idle_deadline));
            }
        }
        out.push(v);
    }
    Value::Array(out)
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
        Mutation::Append(s) => return format!("{cookie}{s}"),
        Mutation::Version(v) => {
            if let Some(b) = data.first_mut() {
                *b = v;
            }
        }
        Mutation::NonMinimalKeyId => {
            assert_eq!(data.get(..2), Some(&[1u8, 1][..]));
            data.splice(1..2, [0x81, 0x00]);
        }
        Mutation::Text(f) => return f(cookie),
    }
    URL_SAFE_NO_PAD.encode(data)
}

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/v1.json");

#[test]
fn golden_vectors_reseal_byte_for_byte() {
    let built = build_vectors();
    let text = format!(
        "{}\n",
        serde_json::to_string_pretty(&built).unwrap_or_default()
    );
    if std::env::var_os("SEALED_SESSION_BLESS").is_some() {
        std::fs::write(PATH, &text).unwrap_or_else(|e| panic!("write {PATH}: {e}"));
    }
    let committed = std::fs::read_to_string(PATH).unwrap_or_else(|e| panic!("read {PATH}: {e}"));
    assert_eq!(
        committed, text,
        "tests/vectors/v1.json differs from what this build seals"
    );
    // Every authentic vector's plaintext decodes as the envelope it claims.
    for v in built.as_array().into_iter().flatten() {
        if let (Some(pt), false) = (v["plaintext_hex"].as_str(), v["expect"] == "decode") {
            let bytes: Vec<u8> = (0..pt.len())
                .step_by(2)
                .filter_map(|i| u8::from_str_radix(&pt[i..i + 2], 16).ok())
                .collect();
            let decoded = postcard::take_from_bytes::<EnvelopeIn<VectorPayload>>(&bytes);
            assert!(decoded.is_ok(), "{}", v["name"]);
        }
    }
}
