//! Seal → open returns exactly the original, for an arbitrary session struct,
//! user, epoch, time and store configuration — or seal fails with a typed
//! error that the inputs explain. Never a panic.
//!
//! Properties checked:
//! - the store builds iff the lifetime, idle timeout and leeway are in range
//!   (and when it does not, the error names the first bad setting);
//! - `seal` returns `Clock` iff `now` is before 1970 or `now + ttl` is after
//!   9999; `TooLarge { len, max }` only with `len > max`, and never for a
//!   payload within `payload_budget`; never `Serialize`;
//! - a sealed value fits the cap, is canonical base64url, has the padded
//!   length (with padding on) and opens at `now` to the same data, user,
//!   epoch and times; the wrong epoch is `Revoked`; another cookie name or
//!   another key never opens it;
//! - re-sealing the opened session later keeps data, user and login time.

#![no_main]

mod common;

use std::sync::LazyLock;

use arbitrary::Arbitrary;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::Payload;
use libfuzzer_sys::fuzz_target;
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{
    Algorithm, ConfigError, Key, KeyRing, OpenError, Opened, SealError, SessionStore, UserId,
};

const MAX_UNIX: i64 = 253_402_300_799;
const MAX_TTL: i64 = 400 * 86_400;
const KEY_IDS: [u32; 6] = [0, 1, 127, 128, 300, u32::MAX];
const NAMES: [&str; 3] = [
    "s",
    "session",
    "__Host-a-rather-long-cookie-name-for-the-cap",
];

/// One master key per fuzzing process.
static KEY: LazyLock<Key> = LazyLock::new(Key::generate);
static OTHER_KEY: LazyLock<Key> = LazyLock::new(Key::generate);

#[derive(Arbitrary, Debug)]
enum User {
    Int(u64),
    Text(String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    payload: Payload,
    user: Option<(User, u64)>,
    /// `true`: `now` is taken modulo the supported range (always valid).
    now_in_range: bool,
    now: i64,
    reseal_after: u32,
    key_id: u8,
    xchacha: bool,
    name: u8,
    ttl: Option<Setting>,
    idle: Option<Setting>,
    leeway: Option<Setting>,
    max_len: Option<Setting>,
    padding: Option<Setting>,
}

/// A setting: usually folded into its valid range, sometimes raw (to check
/// that out-of-range values are refused with the right error).
#[derive(Arbitrary, Debug, Clone, Copy)]
struct Setting {
    raw: bool,
    value: u32,
}

impl Setting {
    fn pick(self, lo: u32, hi: u32) -> u32 {
        if self.raw {
            self.value
        } else {
            lo + self.value % (hi - lo + 1)
        }
    }
}

fn varint_len(mut v: u32) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

fn max_decoded_len(chars: usize) -> usize {
    chars / 4 * 3 + [0, 0, 1, 2][chars % 4]
}

fuzz_target!(|input: Input| {
    let key_id = KEY_IDS[usize::from(input.key_id) % KEY_IDS.len()];
    let name = NAMES[usize::from(input.name) % NAMES.len()];
    let algorithm = if input.xchacha {
        Algorithm::XChaCha20Poly1305
    } else {
        Algorithm::XAes256Gcm
    };
    let ring = KeyRing::new(key_id, KEY.clone().with_algorithm(algorithm));
    let mut builder = SessionStore::builder(name, ring.clone());
    let ttl = input
        .ttl
        .map_or(86_400, |t| i64::from(t.pick(1, MAX_TTL as u32)));
    if input.ttl.is_some() {
        builder = builder.ttl(Duration::seconds(ttl));
    }
    let idle = input
        .idle
        .map(|i| i64::from(i.pick(1, ttl.clamp(1, MAX_TTL) as u32)));
    if let Some(i) = idle {
        builder = builder.idle_timeout(Duration::seconds(i));
    }
    let leeway = input.leeway.map_or(60, |l| i64::from(l.pick(0, 3600)));
    if input.leeway.is_some() {
        builder = builder.leeway(Duration::seconds(leeway));
    }
    let max_len = input.max_len.map_or(4096, |m| m.pick(256, 4096) as usize);
    if input.max_len.is_some() {
        builder = builder.max_cookie_len(max_len);
    }
    let padding = input.padding.map(|p| p.pick(1, 1024) as usize);
    if let Some(p) = padding {
        builder = builder.padding(p);
    }
    let store = match builder.build() {
        Ok(store) => store,
        Err(err) => {
            let expected = if !(1..=MAX_TTL).contains(&ttl) {
                Some(ConfigError::Ttl)
            } else if idle.is_some_and(|i| !(1..=ttl).contains(&i)) {
                Some(ConfigError::IdleTimeout)
            } else if leeway > 3600 {
                Some(ConfigError::Leeway)
            } else {
                None
            };
            match expected {
                Some(e) => assert_eq!(err, e),
                None => assert!(
                    matches!(err, ConfigError::MaxLength | ConfigError::Padding)
                        && (input.max_len.is_some() || input.padding.is_some()),
                    "unexpected {err:?}"
                ),
            }
            return;
        }
    };
    assert!((1..=MAX_TTL).contains(&ttl), "built with ttl {ttl}");
    assert!(leeway <= 3600);

    let now_secs = if input.now_in_range {
        input.now.rem_euclid(MAX_UNIX + 1)
    } else {
        input.now
    };
    let Ok(now) = OffsetDateTime::from_unix_timestamp(now_secs) else {
        return;
    };
    let user = match &input.user {
        None => None,
        Some((User::Int(id), epoch)) => Some((UserId::from(*id), *epoch)),
        Some((User::Text(text), epoch)) => match UserId::text(text.clone()) {
            Ok(id) => Some((id, *epoch)),
            Err(_) => {
                assert!(text.is_empty() || text.len() > UserId::MAX_TEXT_LEN);
                return;
            }
        },
    };
    let result = match &user {
        None => store.seal_at(&input.payload, now),
        Some((id, epoch)) => store.seal_for_user_at(id, *epoch, &input.payload, now),
    };
    let clock_ok = now_secs >= 0 && now_secs + ttl <= MAX_UNIX;
    let payload_len = postcard::to_allocvec(&input.payload).unwrap().len();
    let budget = store.payload_budget(user.as_ref().map(|(id, _)| id));
    let sealed = match result {
        Ok(sealed) => sealed,
        Err(SealError::Clock) => {
            assert!(!clock_ok, "Clock error for a valid time {now_secs}");
            return;
        }
        Err(SealError::TooLarge { len, max }) => {
            assert!(clock_ok);
            assert_eq!(max, max_len);
            assert!(len > max, "TooLarge with len {len} <= max {max}");
            assert!(
                payload_len > budget,
                "payload of {payload_len} B within the budget {budget} B was refused"
            );
            return;
        }
        Err(other) => panic!("unexpected seal error {other:?}"),
    };
    assert!(clock_ok, "sealed at an invalid time {now_secs}");
    let value = sealed.value();
    assert!(name.len() + value.len() <= max_len);
    assert_eq!(sealed.expires_at(), now + Duration::seconds(ttl));

    // Canonical base64url; padded length when padding is on.
    let decoded = URL_SAFE_NO_PAD
        .decode(value)
        .expect("sealed value is base64url");
    assert_eq!(URL_SAFE_NO_PAD.encode(&decoded), value);
    let overhead = 1 + varint_len(key_id) + 24 + 16;
    let plaintext_len = decoded.len() - overhead;
    if let Some(bucket) = padding {
        let cap = max_decoded_len(max_len - name.len()) - overhead;
        assert!(
            plaintext_len.is_multiple_of(bucket) || plaintext_len == cap,
            "plaintext {plaintext_len} not padded to {bucket} (cap {cap})"
        );
    }

    // Open at `now`: exactly the original.
    let opened = store
        .open_at::<Payload>(value, now)
        .unwrap_or_else(|e| panic!("own cookie did not open: {e:?}"));
    assert_eq!(opened.info().key_id(), key_id);
    assert_eq!(opened.info().issued_at(), now);
    assert_eq!(opened.info().login_at(), now);
    let session = match (opened, &user) {
        (Opened::Anonymous(s), None) => s,
        (Opened::User(pending), Some((id, epoch))) => {
            assert_eq!(pending.user_id(), id);
            assert_eq!(
                pending
                    .clone()
                    .verify_epoch(epoch.wrapping_add(1))
                    .unwrap_err(),
                OpenError::Revoked
            );
            pending.verify_epoch(*epoch).unwrap()
        }
        (other, _) => panic!("opened as the wrong kind: {other:?}"),
    };
    assert_eq!(session.data(), &input.payload);

    // Bound to the cookie name and the key.
    let other_name = NAMES[(usize::from(input.name) + 1) % NAMES.len()];
    if let Ok(other) = SessionStore::builder(other_name, ring).build() {
        assert_eq!(
            other.open_at::<Payload>(value, now).unwrap_err(),
            OpenError::Invalid
        );
    }
    let other_key = KeyRing::new(key_id, OTHER_KEY.clone().with_algorithm(algorithm));
    let other = SessionStore::builder(name, other_key).build().unwrap();
    assert_eq!(
        other.open_at::<Payload>(value, now).unwrap_err(),
        OpenError::Invalid
    );

    // Re-seal later: same data, user and login time.
    let later_secs = now_secs.saturating_add(i64::from(input.reseal_after % 100_000));
    let Ok(later) = OffsetDateTime::from_unix_timestamp(later_secs) else {
        return;
    };
    // Re-sealing stops at the earlier of the absolute and the idle deadline
    // (never at the leeway).
    let deadline = now_secs + idle.map_or(ttl, |i| i.min(ttl));
    match store.reseal_at(&session, later) {
        Ok(again) => {
            assert!(
                later_secs < deadline,
                "re-sealed at {later_secs}, deadline {deadline}"
            );
            let reopened = store.open_at::<Payload>(again.value(), later).unwrap();
            assert_eq!(reopened.info().login_at(), now);
            assert_eq!(reopened.info().issued_at(), later);
            let s = reopened
                .verify_with(|_| user.as_ref().map(|(_, e)| *e))
                .unwrap();
            assert_eq!(s.data(), &input.payload);
        }
        Err(SealError::SessionExpired) => assert!(later_secs >= deadline),
        Err(SealError::TooLarge { .. }) => assert!(payload_len > budget),
        Err(other) => panic!("unexpected reseal error {other:?}"),
    }
});
