//! Shared by the benches: the anchors' `Session` struct (small and large),
//! the raw floor (postcard + the same AEAD + base64url), the incumbent
//! (`cookie` 0.18 PrivateJar + serde_json), and the criterion settings.
//!
//! The sizes are pinned to `shared/anchors.md`: small 99 B postcard / 327 B
//! JSON, large 1,318 B postcard / 2,487 B JSON. `check_sizes` asserts them.

#![allow(dead_code)] // each bench binary uses a different part of this module

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::XChaCha20Poly1305;
use criterion::Criterion;
use rand::Rng as _;
use sealed_session::__backend::{Backend, with_backend};
use sealed_session::{Algorithm, Key, KeyRing, Opened, SessionStore, UserId};
use serde::{Deserialize, Serialize};
use xaes_256_gcm::Xaes256Gcm;
use xaes_256_gcm::aead::{AeadInOut, KeyInit};

/// The cookie name every contender uses.
pub const NAME: &str = "session";

/// The session struct of `shared/anchors.md`, field for field.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: u64,
    pub epoch: u32,
    pub issued_at: i64,
    pub expires_at: i64,
    pub roles: Vec<String>,
    pub csrf: [u8; 32],
    pub theme: String,
    pub cart: Vec<u32>,
}

fn csrf() -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, b) in (0u32..).zip(out.iter_mut()) {
        *b = u8::try_from((i * 61 + 9) % 256).unwrap();
    }
    out
}

/// Small: roles ["admin", "editor"], theme "dark", 10 cart items.
pub fn small() -> Session {
    let mut cart: Vec<u32> = (0..7).map(|i| 100_000 + i * 250_001).collect();
    cart.extend((0..3).map(|i| 2_200_000 + i * 111));
    Session {
        user_id: 1_234_567,
        epoch: 3,
        issued_at: 1_800_000_000,
        expires_at: 1_800_086_400,
        roles: vec!["admin".into(), "editor".into()],
        csrf: csrf(),
        theme: "dark".into(),
        cart,
    }
}

/// Large: 50 roles like "org-07:billing", 200 cart items.
pub fn large() -> Session {
    const ROLES: [&str; 5] = ["billing", "reports", "support", "finance", "invoice"];
    let roles = (0..50)
        .map(|i| format!("org-{i:02}:{}", ROLES[i % ROLES.len()]))
        .collect();
    let mut cart: Vec<u32> = (0..86).map(|i| 10_000 + i * 73).collect();
    cart.extend((0..25).map(|i| 100_000 + i * 35_000));
    cart.extend((0..89).map(|i| 1_000_000 + i * 12_001));
    Session {
        roles,
        cart,
        ..small()
    }
}

/// Postcard and JSON sizes, asserted against the anchors.
pub fn check_sizes() -> [(&'static str, Session, usize); 2] {
    let s = small();
    let l = large();
    let sizes = |x: &Session| {
        (
            postcard::to_allocvec(x).unwrap().len(),
            serde_json::to_string(x).unwrap().len(),
        )
    };
    assert_eq!(sizes(&s), (99, 327), "small session must match anchors.md");
    assert_eq!(
        sizes(&l),
        (1318, 2487),
        "large session must match anchors.md"
    );
    [("small", s, 99), ("large", l, 1318)]
}

/// Everything one contender needs for one algorithm.
pub struct Ours {
    pub store: SessionStore,
}

impl Ours {
    /// On the crate's default backend (RustCrypto), whatever the features.
    pub fn new(algorithm: Algorithm) -> Ours {
        Ours::on(algorithm, Backend::RustCrypto)
    }

    /// On `backend` (`Backend::ALL` lists the ones this build has).
    pub fn on(algorithm: Algorithm, backend: Backend) -> Ours {
        let ring = KeyRing::with_algorithm(1, algorithm, Key::generate());
        Ours {
            store: with_backend(backend, || {
                SessionStore::builder(NAME, ring).build().unwrap()
            }),
        }
    }

    /// A log-in: the full envelope (times, user, epoch) at the system clock.
    pub fn seal(&self, s: &Session) -> String {
        self.store
            .seal_for_user(&UserId::from(s.user_id), u64::from(s.epoch), s)
            .unwrap()
            .into_value()
    }

    /// Open at the system clock and verify the user's epoch.
    pub fn open(&self, value: &str, current_epoch: u64) -> Session {
        match self.store.open::<Session>(value).unwrap() {
            Opened::User(pending) => pending.verify_epoch(current_epoch).unwrap().into_data(),
            Opened::Anonymous(_) => panic!("sealed for a user"),
        }
    }
}

/// The floor: postcard + the same AEAD (cipher built once) + a random 24-byte
/// nonce + base64url; no header, no envelope, no associated data.
pub enum Floor {
    XAes(Box<Xaes256Gcm>),
    XChaCha(Box<XChaCha20Poly1305>),
}

const FLOOR_NONCE: usize = 24;
const FLOOR_TAG: usize = 16;

impl Floor {
    pub fn new(algorithm: Algorithm) -> Floor {
        let key = [7u8; 32];
        match algorithm {
            Algorithm::XChaCha20Poly1305 => {
                Floor::XChaCha(Box::new(XChaCha20Poly1305::new(&key.into())))
            }
            _ => Floor::XAes(Box::new(Xaes256Gcm::new(&key.into()))),
        }
    }

    pub fn seal(&self, s: &Session) -> String {
        let mut nonce = [0u8; FLOOR_NONCE];
        rand::rng().fill_bytes(&mut nonce);
        let mut buf = Vec::with_capacity(FLOOR_NONCE + 128 + FLOOR_TAG);
        buf.extend_from_slice(&nonce);
        let mut buf = postcard::to_extend(s, buf).unwrap();
        let msg = &mut buf[FLOOR_NONCE..];
        let tag: [u8; FLOOR_TAG] = match self {
            Floor::XAes(c) => c
                .encrypt_inout_detached(&nonce.into(), b"", msg.into())
                .unwrap()
                .into(),
            Floor::XChaCha(c) => c
                .encrypt_inout_detached(&nonce.into(), b"", msg.into())
                .unwrap()
                .into(),
        };
        buf.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(&buf)
    }

    pub fn open(&self, value: &str) -> Session {
        let mut data = URL_SAFE_NO_PAD.decode(value).unwrap();
        let (nonce, rest) = data.split_first_chunk_mut::<FLOOR_NONCE>().unwrap();
        let (msg, tag) = rest.split_last_chunk_mut::<FLOOR_TAG>().unwrap();
        let nonce = &(*nonce).into();
        let tag = &(*tag).into();
        match self {
            Floor::XAes(c) => c.decrypt_inout_detached(nonce, b"", msg.into(), tag),
            Floor::XChaCha(c) => c.decrypt_inout_detached(nonce, b"", msg.into(), tag),
        }
        .unwrap();
        postcard::from_bytes(msg).unwrap()
    }
}

/// The incumbent: what actix-session's cookie store and axum-extra's
/// `PrivateCookieJar` do — serde_json, then `cookie` 0.18's PrivateJar
/// (AES-256-GCM, 96-bit random nonce, key schedule per call, standard base64).
pub struct Jar {
    pub key: cookie::Key,
}

impl Default for Jar {
    fn default() -> Jar {
        Jar::new()
    }
}

impl Jar {
    pub fn new() -> Jar {
        Jar {
            key: cookie::Key::generate(),
        }
    }

    pub fn seal(&self, s: &Session) -> String {
        let mut jar = cookie::CookieJar::new();
        jar.private_mut(&self.key)
            .add(cookie::Cookie::new(NAME, serde_json::to_string(s).unwrap()));
        jar.get(NAME).unwrap().value().to_owned()
    }

    pub fn open(&self, value: &str) -> Session {
        let mut jar = cookie::CookieJar::new();
        jar.add_original(cookie::Cookie::new(NAME, value.to_owned()));
        let plain = jar.private(&self.key).get(NAME).unwrap();
        serde_json::from_str(plain.value()).unwrap()
    }
}

/// `SEALED_BENCH_QUICK=1`: short warm-up and measurement so CI runs every
/// bench in about a second each. Otherwise criterion's defaults.
pub fn quick() -> bool {
    std::env::var_os("SEALED_BENCH_QUICK").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Where criterion writes its estimates: `$CRITERION_HOME`, else
/// `<target dir>/criterion` found from this binary's own path
/// (`<target>/<profile>/deps/<bench>`).
pub fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(|t| t.join("criterion")))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

pub fn criterion() -> Criterion {
    let c = Criterion::default().output_directory(&criterion_dir());
    let c = if quick() {
        c.warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(700))
            .sample_size(10)
            .nresamples(10_000)
    } else {
        c
    };
    c.configure_from_args()
}

/// The median (ns) criterion wrote for `group/function` during this run
/// (`None` if that bench was filtered out or is older than `since`).
pub fn median_ns(group: &str, function: &str, since: std::time::SystemTime) -> Option<f64> {
    let path = criterion_dir()
        .join(group)
        .join(function)
        .join("new")
        .join("estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < since {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["median"]["point_estimate"].as_f64()
}
