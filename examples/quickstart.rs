//! A tour of sealed-session: seal and open a session, rotate a key, log a
//! user out everywhere, and see what happens to tampered, expired and
//! oversized cookies. Run with `cargo run --example quickstart`.

// Demo code: the crate's strict lints guard the library, not this walk-through.
#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use std::collections::HashMap;

use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{Key, KeyRing, Opened, SealError, SessionStore, UserId, Verified};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Prefs {
    theme: String,
    visits: u32,
}

/// The app's users table: each user's current epoch.
type Epochs = HashMap<UserId, u64>;

fn open(
    store: &SessionStore,
    value: &str,
    epochs: &Epochs,
    now: OffsetDateTime,
) -> Result<Verified<Prefs>, sealed_session::OpenError> {
    match store.open_at::<Prefs>(value, now)? {
        Opened::Anonymous(session) => Ok(session),
        Opened::User(pending) => {
            let current = epochs.get(pending.user_id()).copied().unwrap_or(u64::MAX);
            pending.verify_epoch(current)
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut now = OffsetDateTime::now_utc();
    let key1 = Key::generate();
    let store = SessionStore::builder("__Host-session", KeyRing::new(1, key1.clone()))
        .ttl(Duration::days(7))
        .idle_timeout(Duration::hours(2))
        .build()?;
    println!("store: {store:?}");
    println!("key prints as {key1:?} (never the bytes)");

    // 1. Log in: seal a session for user 42 at epoch 0.
    let mut epochs = Epochs::new();
    let alice = UserId::from(42u64);
    epochs.insert(alice.clone(), 0);
    let prefs = Prefs {
        theme: "dark".into(),
        visits: 1,
    };
    let cookie = store.seal_for_user_at(&alice, epochs[&alice], &prefs, now)?;
    println!(
        "\n1. sealed for user {alice}: {} bytes: __Host-session={}",
        cookie.value().len() + "__Host-session".len(),
        cookie.value()
    );

    // 2. Next request: open and verify the epoch.
    now += Duration::minutes(5);
    let mut session = open(&store, cookie.value(), &epochs, now)?;
    println!(
        "2. opened: {:?}, user {:?}, key id {}, expires {}, idle deadline {:?}",
        session.data(),
        session.user_id().map(ToString::to_string),
        session.info().key_id(),
        session.info().expires_at(),
        session.info().idle_deadline()
    );
    session.data_mut().visits += 1;
    let cookie = store.reseal_at(&session, now)?;

    // 3. Tampering: flip one character.
    let mut tampered = cookie.value().to_owned();
    let last = if tampered.ends_with('A') { "B" } else { "A" };
    tampered.replace_range(tampered.len() - 1.., last);
    println!(
        "3. tampered cookie: {}",
        open(&store, &tampered, &epochs, now)
            .map_or_else(|e| e.to_string(), |_| "opened".to_owned())
    );

    // 4. Key rotation: key 2 seals, key 1 only opens; old cookies get re-sealed.
    let mut ring = KeyRing::new(1, key1);
    ring.rotate(2, Key::generate())?;
    let store = SessionStore::builder("__Host-session", ring.clone())
        .ttl(Duration::days(7))
        .idle_timeout(Duration::hours(2))
        .build()?;
    let session = open(&store, cookie.value(), &epochs, now)?;
    println!(
        "4. after rotation the old cookie opens (key id {}), re-seal hint: {:?}",
        session.info().key_id(),
        session.info().reseal_reasons()
    );
    let cookie = store.reseal_at(&session, now)?;
    let session = open(&store, cookie.value(), &epochs, now)?;
    println!(
        "   re-sealed under key id {}, visits = {}",
        session.info().key_id(),
        session.data().visits
    );

    // 5. Idle timeout: three hours without a request.
    println!(
        "5. three idle hours later: {}",
        open(&store, cookie.value(), &epochs, now + Duration::hours(3))
            .map_or_else(|e| e.to_string(), |_| "opened".to_owned())
    );

    // 6. Log out everywhere: a second device, then bump the epoch.
    let phone = store.seal_for_user_at(&alice, epochs[&alice], &prefs, now)?;
    if let Some(epoch) = epochs.get_mut(&alice) {
        *epoch += 1;
    }
    for (device, value) in [("laptop", cookie.value()), ("phone", phone.value())] {
        println!(
            "6. after log-out-everywhere, {device}: {}",
            open(&store, value, &epochs, now)
                .map_or_else(|e| e.to_string(), |_| "opened".to_owned())
        );
    }

    // 7. The browser's 4096-byte limit is enforced at seal time.
    let budget = store.payload_budget(Some(&alice));
    let too_big = vec![0u8; 4096];
    match store.seal_at(&too_big, now) {
        Err(SealError::TooLarge { len, max }) => {
            println!(
                "7. a 4 KiB payload is refused at seal time: {len} > {max} bytes ({budget} payload bytes always fit)"
            );
        }
        other => return Err(format!("expected TooLarge, got {other:?}").into()),
    }
    Ok(())
}
