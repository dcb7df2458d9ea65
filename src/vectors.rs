//! Golden vectors (tests/vectors/v1.json): rebuilt here with fixed nonces
//! and compared byte for byte with the committed file. Run with
//! `SEALED_SESSION_BLESS=1` to rewrite the file after a deliberate change
//! (which must come with a new format version).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::crypto;
use crate::envelope::{EnvelopeIn, Times};
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
    FlipBit { byte: usize, bit: u8 },
    Truncate(usize),
    Append(&'static str),
    Version(u8),
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
            ..base("xaes sealed under a retired key (id 300)", xaes, alice(), "ok")
        },
        Spec {
            times: Times {
                login_at: T0 - 3 * DAY,
                issued_at: T0,
                expires_at: T0 + 4 * DAY,
                idle_deadline: Some(T0 + 1800),
            },
            ..base("xchacha re-sealed, with idle deadline", xchacha, bob(), "ok")
        },
        Spec {
            mutation: Mutation::FlipBit { byte: 30, bit: 0 },
            ..base("flipped ciphertext bit", xaes, alice(), "invalid")
        },
        Spec {
            mutation: Mutation::FlipBit { byte: usize::MAX, bit: 7 },
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
            ..base("issued in the future beyond leeway", xchacha, None, "not_yet_valid")
        },
        Spec {
            current_epoch: Some(8),
            ..base("revoked: user epoch bumped 7 -> 8", xaes, alice(), "revoked")
        },
        Spec {
            times: Times {
                idle_deadline: Some(T0 + 1800),
                ..fresh(T0, DAY)
            },
            now: T0 + 1860,
            ..base("idle deadline passed", xaes, None, "idle_expired")
        },
    ]
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

/// Decrypts a cookie with the store's internals to get the exact plaintext.
fn plaintext_of(store: &SessionStore, key: &Key, alg: Algorithm, name: &str, cookie: &str) -> Option<Vec<u8>> {
    let data = URL_SAFE_NO_PAD.decode(cookie).ok()?;
    let (key_id, header_len) = wire::parse_header(&data)?;
    let (header, body) = data.split_at(header_len);
    let (nonce, rest) = body.split_first_chunk::<NONCE_LEN>()?;
    let (ct, tag) = rest.split_last_chunk::<TAG_LEN>()?;
    let subkey = crypto::derive_subkey(key, alg, key_id, name.as_bytes());
    let cipher = crypto::Cipher::new(&subkey, alg);
    let mut buf = ct.to_vec();
    let aad = crypto::aad(name.as_bytes(), header);
    let _ = store;
    cipher.open_in_place(nonce, &aad, &mut buf, tag).then_some(buf)
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
        let Ok(sealed) = store.seal_with_nonce(&payload, user, spec.times, nonce(index)) else {
            panic!("vector seal");
        };
        let plaintext = plaintext_of(&store, &key, spec.algorithm, spec.seal_name, sealed.value());
        let cookie = mutate(sealed.value(), spec.mutation);
        let master = URL_SAFE_NO_PAD.encode(master_key(spec.algorithm, spec.key_id));
        let mut v = json!({
            "name": spec.name,
            "algorithm": spec.algorithm.name(),
            "master_key": master,
            "key_id": spec.key_id,
            "key_role": if spec.retired { "retired" } else { "sealing" },
            "cookie_name": spec.open_name,
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
    }
    URL_SAFE_NO_PAD.encode(data)
}

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/v1.json");

#[test]
fn golden_vectors_reseal_byte_for_byte() {
    let built = build_vectors();
    let text = format!("{}\n", serde_json::to_string_pretty(&built).unwrap_or_default());
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
        if let Some(pt) = v["plaintext_hex"].as_str() {
            let bytes: Vec<u8> = (0..pt.len())
                .step_by(2)
                .filter_map(|i| u8::from_str_radix(&pt[i..i + 2], 16).ok())
                .collect();
            let decoded = postcard::take_from_bytes::<EnvelopeIn<VectorPayload>>(&bytes);
            assert!(decoded.is_ok(), "{}", v["name"]);
        }
    }
}
