//! Shared by the benches: the contenders — ours, the raw floor (postcard +
//! the same AEAD + base64url) and the incumbent (`cookie` 0.18 PrivateJar +
//! serde_json) — generic over the session type each bench defines, a size
//! check for that type, and the criterion settings.

#![allow(dead_code)] // each bench binary uses a different part of this module

pub mod anchors;

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::XChaCha20Poly1305;
use criterion::Criterion;
use rand::Rng as _;
use sealed_session::__backend::{Backend, with_backend};
use sealed_session::{Algorithm, Key, KeyRing, SessionStore, UserId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use xaes_256_gcm::Xaes256Gcm;
use xaes_256_gcm::aead::{AeadInOut, KeyInit};

/// The cookie name every contender uses.
pub const NAME: &str = "session";

/// Asserts the postcard and JSON sizes of a bench's session, so the numbers
/// the bench reports are for the sizes it claims.
pub fn check_size<T: Serialize>(what: &str, session: &T, postcard: usize, json: usize) {
    let sizes = (
        postcard::to_allocvec(session).unwrap().len(),
        serde_json::to_string(session).unwrap().len(),
    );
    assert_eq!(
        sizes,
        (postcard, json),
        "{what} session (postcard, JSON) bytes"
    );
}

/// The anchors' small and large sessions, their sizes checked:
/// (name, session, postcard bytes).
pub fn sessions() -> [(&'static str, anchors::Session, usize); 2] {
    let (s, l) = (anchors::small(), anchors::large());
    check_size("small", &s, 99, 327);
    check_size("large", &l, 1318, 2487);
    [("small", s, 99), ("large", l, 1318)]
}

/// Ours: a sealed-session store for one algorithm.
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
        let ring = KeyRing::new(1, Key::generate().with_algorithm(algorithm));
        Ours {
            store: with_backend(backend, || {
                SessionStore::builder(NAME, ring).build().unwrap()
            }),
        }
    }

    /// A log-in of `user` at `epoch`: the full envelope (times, user, epoch)
    /// at the system clock.
    pub fn seal<T: Serialize>(&self, user: u64, epoch: u64, s: &T) -> String {
        self.store
            .seal_for_user(&UserId::from(user), epoch, s)
            .unwrap()
            .into_value()
    }

    /// Open at the system clock and verify the user's epoch.
    pub fn open<T: DeserializeOwned>(&self, value: &str, current_epoch: u64) -> T {
        let opened = self.store.open::<T>(value).unwrap();
        assert!(opened.user_id().is_some(), "sealed for a user");
        opened
            .verify_with(|_| Some(current_epoch))
            .unwrap()
            .into_data()
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

    pub fn seal<T: Serialize>(&self, s: &T) -> String {
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

    pub fn open<T: DeserializeOwned>(&self, value: &str) -> T {
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

    pub fn seal<T: Serialize>(&self, s: &T) -> String {
        let mut jar = cookie::CookieJar::new();
        jar.private_mut(&self.key)
            .add(cookie::Cookie::new(NAME, serde_json::to_string(s).unwrap()));
        jar.get(NAME).unwrap().value().to_owned()
    }

    pub fn open<T: DeserializeOwned>(&self, value: &str) -> T {
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
