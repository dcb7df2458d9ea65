//! Property tests: seal → open is the identity for arbitrary payloads,
//! users, epochs, times and both algorithms; a payload within
//! `payload_budget` always fits; padding hides the length within a bucket;
//! a cookie is bound to its cookie name, key, key id and algorithm;
//! re-sealing keeps data, user, epoch, login time and absolute deadline.
//! 10 000 cases per property (`PROPTEST_CASES` overrides).

use crate::common;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{MAX_UNIX, NAME, t0, unix};
use proptest::prelude::*;
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{
    Algorithm, BROWSER_COOKIE_LIMIT, Key, KeyRing, OpenError, Opened, SealError, SessionStore,
    UserId, Verified,
};
use serde::{Deserialize, Serialize};

const DAY: i64 = 86_400;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
enum Kind {
    Plain,
    Count(i64),
    Named { tag: u8, label: String },
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
struct Payload {
    id: u64,
    delta: i32,
    flag: bool,
    name: String,
    bytes: Vec<u8>,
    list: Vec<u32>,
    note: Option<String>,
    kind: Kind,
    map: BTreeMap<u16, String>,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Plain),
        any::<i64>().prop_map(Kind::Count),
        (any::<u8>(), "[a-z]{0,8}").prop_map(|(tag, label)| Kind::Named { tag, label }),
    ]
}

/// Mostly small payloads, sometimes up to (and past) the cookie limit.
fn payload() -> impl Strategy<Value = Payload> {
    let bytes = prop_oneof![
        8 => proptest::collection::vec(any::<u8>(), 0..64),
        1 => proptest::collection::vec(any::<u8>(), 0..1500),
        1 => proptest::collection::vec(any::<u8>(), 2800..3400),
    ];
    (
        (any::<u64>(), any::<i32>(), any::<bool>(), "\\PC{0,12}"),
        bytes,
        proptest::collection::vec(any::<u32>(), 0..16),
        proptest::option::of("[ -~]{0,16}"),
        kind(),
        proptest::collection::btree_map(any::<u16>(), "[a-z]{0,6}", 0..4),
    )
        .prop_map(
            |((id, delta, flag, name), bytes, list, note, kind, map)| Payload {
                id,
                delta,
                flag,
                name,
                bytes,
                list,
                note,
                kind,
                map,
            },
        )
}

/// No user, an integer id, or a text id of 1..=128 bytes.
fn user() -> impl Strategy<Value = Option<(UserId, u64)>> {
    let id = prop_oneof![
        any::<u64>().prop_map(UserId::from),
        "\\PC{1,32}".prop_map(|t| UserId::text(t).unwrap()),
        "[a-z]{128}".prop_map(|t| UserId::text(t).unwrap()),
    ];
    proptest::option::weighted(0.7, (id, any::<u64>()))
}

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![
        Just(Algorithm::XAes256Gcm),
        Just(Algorithm::XChaCha20Poly1305)
    ]
}

/// One store per algorithm (default settings), built once.
static STORES: LazyLock<[SessionStore; 2]> = LazyLock::new(|| {
    [Algorithm::XAes256Gcm, Algorithm::XChaCha20Poly1305].map(|alg| {
        SessionStore::builder(NAME, KeyRing::new(1, Key::generate().with_algorithm(alg)))
            .build()
            .unwrap()
    })
});

fn default_store(alg: Algorithm) -> &'static SessionStore {
    &STORES[usize::from(alg == Algorithm::XChaCha20Poly1305)]
}

fn seal(
    store: &SessionStore,
    user: Option<&(UserId, u64)>,
    data: &Payload,
    now: OffsetDateTime,
) -> Result<sealed_session::Sealed, SealError> {
    match user {
        None => store.seal_at(data, now),
        Some((id, epoch)) => store.seal_for_user_at(id, *epoch, data, now),
    }
}

/// Opens and verifies: the cookie must be of `user` (or anonymous if `None`),
/// and opens with that user's epoch but not with the next one.
fn open(
    store: &SessionStore,
    value: &str,
    now: OffsetDateTime,
    user: Option<&(UserId, u64)>,
) -> Result<Verified<Payload>, OpenError> {
    let opened = store.open_at::<Payload>(value, now)?;
    assert_eq!(
        opened.user_id(),
        user.map(|(id, _)| id),
        "opened as the wrong user or kind"
    );
    if let Some((_, epoch)) = user {
        assert_eq!(
            opened
                .clone()
                .verify_with(|_| Some(epoch.wrapping_add(1)))
                .unwrap_err(),
            OpenError::Revoked
        );
    }
    opened.verify_with(|_| user.map(|(_, epoch)| *epoch))
}

proptest! {
    #![proptest_config(common::proptest_config())]

    /// Seal → open returns exactly the original (data, user, epoch, times,
    /// key id) at the sealing time and at any time within the lifetime; or
    /// the seal is refused as `TooLarge` for a payload over the budget.
    #[test]
    fn seal_then_open_is_identity(
        alg in algorithm(),
        data in payload(),
        user in user(),
        now in 0..=MAX_UNIX - DAY,
        later in 0..DAY,
    ) {
        let store = default_store(alg);
        let payload_len = postcard::to_allocvec(&data).unwrap().len();
        let budget = store.payload_budget(user.as_ref().map(|(id, _)| id));
        let sealed = match seal(store, user.as_ref(), &data, unix(now)) {
            Ok(sealed) => sealed,
            Err(SealError::TooLarge { len, max }) => {
                prop_assert_eq!(max, BROWSER_COOKIE_LIMIT);
                prop_assert!(len > max);
                prop_assert!(payload_len > budget, "{} B within budget {} refused", payload_len, budget);
                return Ok(());
            }
            Err(e) => panic!("unexpected {e:?}"),
        };
        let value = sealed.value();
        prop_assert!(NAME.len() + value.len() <= BROWSER_COOKIE_LIMIT);
        prop_assert!(value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        prop_assert_eq!(sealed.expires_at(), unix(now + DAY));
        for t in [now, now + later] {
            let session = open(store, value, unix(t), user.as_ref()).unwrap();
            prop_assert_eq!(session.data(), &data);
            prop_assert_eq!(session.user_id(), user.as_ref().map(|(id, _)| id));
            prop_assert_eq!(session.epoch(), user.as_ref().map(|(_, e)| *e));
            let info = session.info();
            prop_assert_eq!(info.key_id(), 1);
            prop_assert_eq!(info.issued_at(), unix(now));
            prop_assert_eq!(info.login_at(), unix(now));
            prop_assert_eq!(info.expires_at(), unix(now + DAY));
            prop_assert!(!info.should_reseal());
        }
    }

    /// A payload of exactly `payload_budget` postcard bytes always seals,
    /// even with the largest user claim and the latest issue time.
    #[test]
    fn payload_within_budget_always_fits(
        alg in algorithm(),
        text_user in any::<bool>(),
        ttl_days in 1i64..=400,
        idle in proptest::option::of(1i64..=3600),
        name_len in 1usize..64,
        max_len in 512usize..=4096,
    ) {
        let name = "n".repeat(name_len);
        let mut builder = SessionStore::builder(name, KeyRing::new(u32::MAX, Key::generate().with_algorithm(alg)))
            .ttl(Duration::days(ttl_days))
            .max_cookie_len(max_len);
        if let Some(i) = idle {
            builder = builder.idle_timeout(Duration::seconds(i));
        }
        let store = builder.build().unwrap();
        let id = if text_user { UserId::text("x".repeat(UserId::MAX_TEXT_LEN)).unwrap() } else { UserId::from(u64::MAX) };
        let budget = store.payload_budget(Some(&id));
        // A byte string of n bytes costs varint(n) + n bytes of postcard.
        let mut n = budget.saturating_sub(1);
        while n + postcard::to_allocvec(&n).unwrap().len() > budget { n -= 1; }
        let data = vec![0xa5u8; n];
        prop_assert!(postcard::to_allocvec(&data).unwrap().len() <= budget);
        let now = unix(MAX_UNIX - ttl_days * DAY);
        let sealed = store.seal_for_user_at(&id, u64::MAX, &data, now);
        prop_assert!(sealed.is_ok(), "{:?} with budget {}", sealed, budget);
        let opened = store.open_at::<Vec<u8>>(sealed.unwrap().value(), now).unwrap();
        let Opened::User(pending) = opened else { panic!("not a user session") };
        prop_assert_eq!(pending.verify_epoch(u64::MAX).unwrap().into_data(), data);
    }

    /// With padding, the plaintext is the unpadded envelope rounded up to a
    /// multiple of the bucket, so payloads whose envelopes fall in the same
    /// bucket give cookies of the same length; the padding is checked on open.
    #[test]
    fn padding_rounds_to_the_bucket(
        alg in algorithm(),
        bucket in 1usize..=700,
        data in proptest::collection::vec(any::<u8>(), 0..1200),
        now in 0..=MAX_UNIX - DAY,
    ) {
        let ring = KeyRing::new(1, Key::generate().with_algorithm(alg));
        let padded = SessionStore::builder(NAME, ring.clone()).padding(bucket).build().unwrap();
        let plain = SessionStore::builder(NAME, ring).build().unwrap();
        let plaintext_len = |value: &str| URL_SAFE_NO_PAD.decode(value).unwrap().len() - (2 + 24 + 16);
        let p = plaintext_len(padded.seal_at(&data, unix(now)).unwrap().value());
        let n = plaintext_len(plain.seal_at(&data, unix(now)).unwrap().value());
        prop_assert_eq!(p, n.div_ceil(bucket) * bucket, "envelope {} bucket {}", n, bucket);
        let sealed = padded.seal_at(&data, unix(now)).unwrap();
        let opened = padded.open_at::<Vec<u8>>(sealed.value(), unix(now)).unwrap().anonymous().unwrap();
        prop_assert_eq!(opened.data(), &data);
        // The unpadded store opens it too: padding is part of the format.
        let opened = plain.open_at::<Vec<u8>>(sealed.value(), unix(now)).unwrap().anonymous().unwrap();
        prop_assert_eq!(opened.data(), &data);
    }

    /// A cookie opens only under its own cookie name, key, key id and
    /// algorithm: any other combination is the opaque `Invalid`.
    #[test]
    fn bound_to_name_key_id_and_algorithm(
        alg in algorithm(),
        data in payload(),
        name in "[A-Za-z0-9_-]{1,24}",
        other_name in "[A-Za-z0-9_-]{1,24}",
        id in any::<u32>(),
        other_id in any::<u32>(),
    ) {
        let key = Key::generate();
        let store = SessionStore::builder(name.clone(), KeyRing::new(id, key.clone().with_algorithm(alg))).build().unwrap();
        let now = t0();
        let Ok(sealed) = store.seal_at(&data, now) else { return Ok(()); };
        let value = sealed.value();
        prop_assert_eq!(store.open_at::<Payload>(value, now).unwrap().anonymous().unwrap().into_data(), data);
        let other_alg = if alg == Algorithm::XAes256Gcm { Algorithm::XChaCha20Poly1305 } else { Algorithm::XAes256Gcm };
        let mut others = vec![
            SessionStore::builder(name.clone(), KeyRing::new(id, Key::generate().with_algorithm(alg))),
            SessionStore::builder(name.clone(), KeyRing::new(id, key.clone().with_algorithm(other_alg))),
        ];
        if other_name != name {
            others.push(SessionStore::builder(other_name, KeyRing::new(id, key.clone().with_algorithm(alg))));
        }
        if other_id != id {
            others.push(SessionStore::builder(name, KeyRing::new(other_id, key.with_algorithm(alg))));
        }
        for builder in others {
            let other = builder.build().unwrap();
            prop_assert_eq!(other.open_at::<Payload>(value, now).unwrap_err(), OpenError::Invalid);
        }
    }

    /// Re-sealing an opened session later keeps its data, user, epoch,
    /// login time and absolute deadline, and moves the issue time; two
    /// seals of the same session differ (fresh nonce).
    #[test]
    fn reseal_keeps_identity(
        alg in algorithm(),
        data in payload(),
        user in user(),
        now in 0..=MAX_UNIX - DAY,
        step in 0i64..DAY,
    ) {
        let store = default_store(alg);
        let Ok(first) = seal(store, user.as_ref(), &data, unix(now)) else { return Ok(()); };
        let again = seal(store, user.as_ref(), &data, unix(now)).unwrap();
        // Equal only if the two random 192-bit nonces are (2^-192 per case).
        prop_assert_ne!(first.value(), again.value());
        let session = open(store, first.value(), unix(now + step), user.as_ref()).unwrap();
        let resealed = match store.reseal_at(&session, unix(now + step)) {
            Ok(resealed) => resealed,
            // Re-sealing adds the login age (up to 4 bytes): a payload over
            // the budget that just fit at login may not fit any more.
            Err(SealError::TooLarge { .. }) => {
                let payload_len = postcard::to_allocvec(&data).unwrap().len();
                prop_assert!(payload_len > store.payload_budget(user.as_ref().map(|(id, _)| id)));
                return Ok(());
            }
            Err(e) => panic!("unexpected {e:?}"),
        };
        prop_assert_eq!(resealed.expires_at(), unix(now + DAY));
        let reopened = open(store, resealed.value(), unix(now + step), user.as_ref()).unwrap();
        prop_assert_eq!(reopened.data(), &data);
        prop_assert_eq!(reopened.user_id(), session.user_id());
        prop_assert_eq!(reopened.epoch(), session.epoch());
        prop_assert_eq!(reopened.info().login_at(), unix(now));
        prop_assert_eq!(reopened.info().issued_at(), unix(now + step));
        prop_assert_eq!(reopened.info().expires_at(), unix(now + DAY));
    }
}
