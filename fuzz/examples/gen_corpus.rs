//! Writes the committed seed corpus under `fuzz/corpus/<target>/seed-*`.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example gen_corpus`
//!
//! - `open_arbitrary`: real sealed cookies (key ids 1, 300 and 4294967295,
//!   both algorithms, anonymous and user sessions, small and large), as sent
//!   (mode byte 0) and decoded (mode byte 1), plus a few malformed values.
//!   They were sealed with fixed keys the fuzz target does not have, so they
//!   reach the AEAD step and must still be rejected.
//! - `roundtrip`, `tamper`: deterministic pseudo-random bytes of several
//!   lengths (the targets read them through `arbitrary`).
//! - `keyring_parse`: valid and invalid key ring configurations.

use std::fs;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sealed_session::time::OffsetDateTime;
use sealed_session::{Algorithm, Key, KeyRing, SessionStore, UserId};
use serde::Serialize;

#[derive(Serialize)]
struct Session {
    user_id: u64,
    epoch: u32,
    issued_at: i64,
    expires_at: i64,
    roles: Vec<String>,
    csrf: [u8; 32],
    theme: String,
    cart: Vec<u32>,
}

fn session(roles: usize, cart: u32) -> Session {
    Session {
        user_id: 1_234_567,
        epoch: 3,
        issued_at: 1_800_000_000,
        expires_at: 1_800_086_400,
        roles: (0..roles).map(|i| format!("org-{i:02}:billing")).collect(),
        csrf: [0x5a; 32],
        theme: "dark".into(),
        cart: (0..cart).map(|i| 10_000 + i * 97).collect(),
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
}

/// xorshift64*: deterministic filler bytes.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

/// A fixed, valid (not weak) key: 32 consecutive bytes from `start`.
fn seq(start: u8) -> [u8; 32] {
    core::array::from_fn(|i| start.wrapping_mul(32).wrapping_add(i as u8))
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();

    // open_arbitrary: real cookies.
    let dir = root.join("open_arbitrary");
    let rings = [
        (
            "k1-xaes",
            KeyRing::new(1, Key::from_bytes(&seq(1)).unwrap()),
        ),
        (
            "k300-xchacha",
            KeyRing::new(
                300,
                Key::from_bytes(&seq(2))
                    .unwrap()
                    .with_algorithm(Algorithm::XChaCha20Poly1305),
            ),
        ),
        (
            "kmax-xaes",
            KeyRing::new(u32::MAX, Key::from_bytes(&seq(3)).unwrap()),
        ),
    ];
    for (ring_name, ring) in rings {
        let store = SessionStore::builder("session", ring).build().unwrap();
        for (size, s) in [("small", session(2, 10)), ("large", session(50, 200))] {
            let anon = store.seal_at(&s, now).unwrap();
            let user = store
                .seal_for_user_at(&UserId::from(42u64), 7, &s, now)
                .unwrap();
            for (kind, sealed) in [("anon", anon), ("user", user)] {
                let value = sealed.value();
                let mut as_sent = vec![0u8];
                as_sent.extend_from_slice(value.as_bytes());
                write(&dir, &format!("{ring_name}-{size}-{kind}-value"), &as_sent);
                let mut decoded = vec![1u8];
                decoded.extend(URL_SAFE_NO_PAD.decode(value).unwrap());
                write(&dir, &format!("{ring_name}-{size}-{kind}-bytes"), &decoded);
            }
        }
    }
    write(&dir, "empty", &[0]);
    write(&dir, "short", b"\0AAAA");
    write(&dir, "padded", b"\0AQE=");
    write(&dir, "header-only", &[1, 1, 1]);
    write(&dir, "bad-version", &[1, 2, 1, 0, 0, 0]);
    write(&dir, "long", &[b'A'; 4200]);

    // roundtrip and tamper: arbitrary-driven, so any bytes are inputs.
    for target in ["roundtrip", "tamper"] {
        let dir = root.join(target);
        for (i, len) in [8usize, 32, 128, 512, 2048].into_iter().enumerate() {
            write(&dir, &format!("noise-{len}"), &noise(i as u64 + 1, len));
        }
        write(&dir, "zeros-64", &[0; 64]);
    }

    // keyring_parse: mode 0 = text.
    let dir = root.join("keyring_parse");
    let mut ring = KeyRing::new(1, Key::from_bytes(&seq(4)).unwrap());
    ring.rotate(
        2,
        Key::from_bytes(&seq(5))
            .unwrap()
            .with_algorithm(Algorithm::XChaCha20Poly1305),
    )
    .unwrap();
    ring.rotate(4_294_967_295, Key::from_bytes(&seq(6)).unwrap())
        .unwrap();
    let texts = [
        ("valid-three", ring.to_config().to_string()),
        (
            "valid-spaced",
            " 2 : xaes-256-gcm : AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8 ,\n\n1:Hx4dHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=\n".to_owned(),
        ),
        ("bad-algorithm", "1:aes-128-cbc:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8".to_owned()),
        ("bad-id", "x:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8".to_owned()),
        ("short-key", "7:xaes-256-gcm:c2VjcmV0".to_owned()),
        (
            "duplicate",
            "1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8,1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
                .to_owned(),
        ),
        ("empty", String::new()),
    ];
    for (name, text) in texts {
        let mut bytes = vec![0u8];
        bytes.extend_from_slice(text.as_bytes());
        write(&dir, name, &bytes);
    }
    // mode 1: word indexes (see the target's WORDS).
    write(&dir, "words", &[1, 0, 11, 4, 11, 6, 13, 1, 11, 5, 11, 7]);
    println!("seed corpus written under {}", root.display());
}
