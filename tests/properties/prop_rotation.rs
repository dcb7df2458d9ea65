//! Property tests for key rotation, against a model of the key ring.
//!
//! An arbitrary sequence of rotations, retired-key additions and removals,
//! and seals runs on a real `KeyRing` and on a model (the list of key ids
//! with the identity of the key behind each). After every step, a store
//! built from the ring must open every cookie sealed so far exactly when the
//! key that sealed it (same id *and* same key) is still in the ring, name
//! that key id, and flag `retired_key` exactly when the id is not the
//! sealing key's; a re-seal moves the cookie to the sealing key. Everything
//! else is the opaque `Invalid`. Ring operations fail exactly as the model
//! says (duplicate id, removing the sealing key, unknown id).
//! 10 000 cases per property (`PROPTEST_CASES` overrides).

use crate::common;

use common::{NAME, t0};
use proptest::prelude::*;
use sealed_session::{Algorithm, Key, KeyRing, KeyRingError, OpenError, SessionStore, UserId};
use serde::de::DeserializeOwned;

#[derive(Debug, Clone)]
enum Op {
    Rotate { id: u32, xchacha: bool },
    AddRetired { id: u32, xchacha: bool },
    Remove { pick: usize, absent: Option<u32> },
    Seal { data: u32, user: Option<u64> },
}

/// Small ids collide often (duplicates, re-use after removal); large ones
/// give multi-byte key id headers.
fn key_id() -> impl Strategy<Value = u32> {
    prop_oneof![4 => 0u32..6, 1 => any::<u32>()]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (key_id(), any::<bool>()).prop_map(|(id, xchacha)| Op::Rotate { id, xchacha }),
        1 => (key_id(), any::<bool>()).prop_map(|(id, xchacha)| Op::AddRetired { id, xchacha }),
        1 => (any::<usize>(), proptest::option::weighted(0.2, key_id()))
            .prop_map(|(pick, absent)| Op::Remove { pick, absent }),
        3 => (any::<u32>(), proptest::option::of(any::<u64>()))
            .prop_map(|(data, user)| Op::Seal { data, user }),
    ]
}

fn algorithm(xchacha: bool) -> Algorithm {
    if xchacha {
        Algorithm::XChaCha20Poly1305
    } else {
        Algorithm::XAes256Gcm
    }
}

/// The model: (id, serial number of the key) per ring entry, sealing first.
#[derive(Debug, Clone, Default)]
struct Model {
    entries: Vec<(u32, u64)>,
    next_serial: u64,
}

impl Model {
    fn contains_id(&self, id: u32) -> bool {
        self.entries.iter().any(|(i, _)| *i == id)
    }
    fn new_key(&mut self) -> u64 {
        self.next_serial += 1;
        self.next_serial
    }
}

struct Cookie {
    value: String,
    /// (key id, key serial) it was sealed with.
    key: (u32, u64),
    data: u32,
    user: Option<u64>,
}

/// Opens and, for user cookies, verifies the epoch (the user id doubles as
/// the epoch in these tests).
fn open<T: DeserializeOwned>(
    store: &SessionStore,
    value: &str,
) -> Result<sealed_session::Verified<T>, OpenError> {
    store.open_at::<T>(value, t0())?.verify_with(UserId::as_u64)
}

fn check_all(ring: &KeyRing, model: &Model, cookies: &[Cookie]) -> Result<(), TestCaseError> {
    let store = SessionStore::builder(NAME, ring.clone()).build().unwrap();
    let sealing = model.entries[0].0;
    prop_assert_eq!(ring.sealing_key_id(), sealing);
    prop_assert_eq!(
        ring.retired_ids().collect::<Vec<_>>(),
        model.entries[1..]
            .iter()
            .map(|(id, _)| *id)
            .collect::<Vec<_>>()
    );
    for cookie in cookies {
        let present = model.entries.contains(&cookie.key);
        match open::<u32>(&store, &cookie.value) {
            Ok(session) => {
                prop_assert!(
                    present,
                    "opened after its key {:?} left the ring",
                    cookie.key
                );
                prop_assert_eq!(*session.data(), cookie.data);
                prop_assert_eq!(session.user_id().and_then(|u| u.as_u64()), cookie.user);
                let info = *session.info();
                prop_assert_eq!(info.key_id(), cookie.key.0);
                prop_assert_eq!(info.reseal_reasons().retired_key, cookie.key.0 != sealing);
                prop_assert_eq!(info.should_reseal(), cookie.key.0 != sealing);
                // Re-sealing moves it to the sealing key.
                let again = store.reseal_at(&session, t0()).unwrap();
                let moved = open::<u32>(&store, again.value()).unwrap();
                prop_assert_eq!(moved.info().key_id(), sealing);
                prop_assert!(!moved.info().reseal_reasons().retired_key);
                prop_assert_eq!(*moved.data(), cookie.data);
            }
            Err(e) => {
                prop_assert!(!present, "key {:?} is in the ring but: {:?}", cookie.key, e);
                prop_assert_eq!(e, OpenError::Invalid);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(common::proptest_config())]

    #[test]
    fn rotation_matches_the_model(
        first in key_id(),
        first_xchacha in any::<bool>(),
        ops in proptest::collection::vec(op(), 1..10),
    ) {
        let mut model = Model::default();
        let serial = model.new_key();
        model.entries.push((first, serial));
        let mut ring = KeyRing::new(first, Key::generate().with_algorithm(algorithm(first_xchacha)));
        let mut cookies: Vec<Cookie> = Vec::new();
        for op in ops {
            match op {
                Op::Rotate { id, xchacha } => {
                    let result = ring.rotate(id, Key::generate().with_algorithm(algorithm(xchacha)));
                    if model.contains_id(id) {
                        prop_assert_eq!(result, Err(KeyRingError::DuplicateId(id)));
                    } else {
                        prop_assert_eq!(result, Ok(()));
                        let serial = model.new_key();
                        model.entries.insert(0, (id, serial));
                    }
                }
                Op::AddRetired { id, xchacha } => {
                    let result = ring.add_retired(id, Key::generate().with_algorithm(algorithm(xchacha)));
                    if model.contains_id(id) {
                        prop_assert_eq!(result, Err(KeyRingError::DuplicateId(id)));
                    } else {
                        prop_assert_eq!(result, Ok(()));
                        let serial = model.new_key();
                        model.entries.push((id, serial));
                    }
                }
                Op::Remove { pick, absent } => {
                    let id = match absent {
                        Some(id) => id,
                        None => model.entries[pick % model.entries.len()].0,
                    };
                    let result = ring.remove_retired(id);
                    if id == model.entries[0].0 {
                        prop_assert_eq!(result, Err(KeyRingError::SealingKey(id)));
                    } else if model.contains_id(id) {
                        prop_assert_eq!(result, Ok(()));
                        model.entries.retain(|(i, _)| *i != id);
                    } else {
                        prop_assert_eq!(result, Err(KeyRingError::UnknownId(id)));
                    }
                }
                Op::Seal { data, user } => {
                    let store = SessionStore::builder(NAME, ring.clone()).build().unwrap();
                    let sealed = match user {
                        Some(u) => store.seal_for_user_at(&UserId::from(u), u, &data, t0()),
                        None => store.seal_at(&data, t0()),
                    }
                    .unwrap();
                    cookies.push(Cookie {
                        value: sealed.into_value(),
                        key: model.entries[0],
                        data,
                        user,
                    });
                }
            }
            check_all(&ring, &model, &cookies)?;
        }
    }

    /// The same key material under the same id but another algorithm, or
    /// under another id, opens nothing: the algorithm and the id are bound
    /// into the subkey.
    #[test]
    fn key_is_bound_to_its_id_and_algorithm(
        id in any::<u32>(),
        other_id in any::<u32>(),
        xchacha in any::<bool>(),
        data in any::<u64>(),
    ) {
        let key = Key::generate();
        let store = SessionStore::builder(NAME, KeyRing::new(id, key.clone().with_algorithm(algorithm(xchacha))))
            .build()
            .unwrap();
        let sealed = store.seal_at(&data, t0()).unwrap();
        prop_assert_eq!(*open::<u64>(&store, sealed.value()).unwrap().data(), data);
        // Same id, same key, the other algorithm.
        let other = SessionStore::builder(NAME, KeyRing::new(id, key.clone().with_algorithm(algorithm(!xchacha))))
            .build()
            .unwrap();
        prop_assert_eq!(other.open_at::<u64>(sealed.value(), t0()).unwrap_err(), OpenError::Invalid);
        // A ring holding the same key under another id (and the original id
        // with another key) does not open it either.
        if other_id != id {
            let mut ring = KeyRing::new(other_id, key.with_algorithm(algorithm(xchacha)));
            ring.add_retired(id, Key::generate().with_algorithm(algorithm(xchacha))).unwrap();
            let other = SessionStore::builder(NAME, ring).build().unwrap();
            prop_assert_eq!(other.open_at::<u64>(sealed.value(), t0()).unwrap_err(), OpenError::Invalid);
        }
    }
}
