//! Any input to `open` never panics and never opens.
//!
//! The stores hold keys generated at start-up (a fresh random key ring per
//! fuzzing process), so no input can authenticate: every result must be the
//! one opaque `OpenError::Invalid`, whatever the bytes, the key id, the
//! length or the cookie name. The key ids match the committed seed cookies
//! (1 = XAES-256-GCM, 300 = XChaCha20-Poly1305, 4294967295 = a 6-byte header),
//! so seeds reach the AEAD step at once.
//!
//! Input: first byte = mode, rest = data.
//! - mode 0: the data (lossy UTF-8) is the cookie value as sent;
//! - mode 1: the data is the decoded cookie, base64url-encoded canonically
//!   (so the fuzzer works on the header, key id, nonce, ciphertext and tag).
//! - mode 2: like 1, with a valid header for key 1 prepended.

#![no_main]

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{Algorithm, Key, KeyRing, OpenError, SessionStore};
use serde::Deserialize;

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Payload {
    user: u64,
    roles: Vec<String>,
    cart: Vec<u32>,
}

static STORES: LazyLock<Vec<SessionStore>> = LazyLock::new(|| {
    let ring = || {
        let mut ring = KeyRing::new(1, Key::generate());
        ring.add_retired(
            300,
            Key::generate().with_algorithm(Algorithm::XChaCha20Poly1305),
        )
        .unwrap();
        ring.add_retired(u32::MAX, Key::generate()).unwrap();
        ring
    };
    vec![
        SessionStore::builder("session", ring()).build().unwrap(),
        SessionStore::builder("__Host-s", ring())
            .idle_timeout(Duration::hours(1))
            .padding(64)
            .max_cookie_len(1024)
            .build()
            .unwrap(),
    ]
});

fn check(value: &str) {
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    for store in STORES.iter() {
        let r = store.open_at::<Payload>(value, now).map(|_| ());
        assert_eq!(
            r,
            Err(OpenError::Invalid),
            "opened or typed error: {value:?}"
        );
        let r = store.open_at::<()>(value, now).map(|_| ());
        assert_eq!(
            r,
            Err(OpenError::Invalid),
            "opened or typed error: {value:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => check(&String::from_utf8_lossy(rest)),
        1 => check(&URL_SAFE_NO_PAD.encode(rest)),
        // Key id 1 behind the version byte of the dropped format v1 (always
        // invalid, before any AEAD work) or of v2 (so the rest reaches the
        // AEAD).
        version => {
            let mut bytes = vec![version - 1, 0x01];
            bytes.extend_from_slice(rest);
            check(&URL_SAFE_NO_PAD.encode(&bytes));
        }
    }
});
