//! A parent and a forked child never seal with the same nonces.
//!
//! A user-space generator is copied into the child of a `fork()`; unless it
//! is reseeded there, parent and child draw the same nonce sequence, which
//! under one key is AEAD nonce reuse. This test really forks.
#![cfg(unix)]

mod common;

use std::collections::HashSet;
use std::io::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use fork::{Fork, fork, waitpid};
use sealed_session::{Algorithm, SessionStore};

const SEALS: usize = 64;

/// The nonces (bytes 2..26 of the decoded value: key id 1 takes one header
/// byte after the version) of `SEALS` fresh seals.
fn nonces(store: &SessionStore) -> Vec<[u8; 24]> {
    (0..SEALS)
        .map(|i| {
            let sealed = store.seal_at(&payload(i), t0()).unwrap();
            let bytes = URL_SAFE_NO_PAD.decode(sealed.value()).unwrap();
            bytes[2..26].try_into().unwrap()
        })
        .collect()
}

#[test]
fn parent_and_child_draw_different_nonces() {
    for algorithm in ALGORITHMS {
        let store = store(algorithm);
        // The parent seals before forking, so the child inherits a seeded,
        // already used generator, exactly as a pre-fork server's workers do.
        let before = nonces(&store);
        let path = std::env::temp_dir().join(format!(
            "sealed-session-fork-{}-{}.bin",
            std::process::id(),
            algorithm.name()
        ));
        match fork().unwrap() {
            Fork::Child => {
                let ok = std::panic::catch_unwind(|| {
                    let mut file = std::fs::File::create(&path).unwrap();
                    for nonce in nonces(&store) {
                        file.write_all(&nonce).unwrap();
                    }
                })
                .is_ok();
                std::process::exit(if ok { 0 } else { 1 });
            }
            Fork::Parent(child) => {
                let parent = nonces(&store);
                let status = waitpid(child).unwrap();
                assert_eq!(status, 0, "the child failed");
                let written = std::fs::read(&path).unwrap();
                std::fs::remove_file(&path).unwrap();
                assert_eq!(written.len(), SEALS * 24);
                let child: HashSet<&[u8]> = written.chunks(24).collect();
                assert_eq!(child.len(), SEALS, "the child repeated a nonce");
                for nonce in parent.iter().chain(&before) {
                    assert!(
                        !child.contains(&nonce[..]),
                        "{algorithm}: parent and child sealed with the same nonce"
                    );
                }
            }
        }
    }
}

/// The generator keeps working in the parent after a fork, and a child
/// that forks again (a grandchild) gets its own stream too.
#[test]
fn seals_still_open_after_a_fork() {
    let store = store(Algorithm::XAes256Gcm);
    let sealed = store.seal_at(&payload(3), t0()).unwrap();
    match fork().unwrap() {
        Fork::Child => {
            let ok = std::panic::catch_unwind(|| {
                let again = store.seal_at(&payload(3), t0()).unwrap();
                assert_ne!(again.value(), sealed.value());
                assert_eq!(
                    store
                        .open_at::<Payload>(again.value(), t0())
                        .unwrap()
                        .anonymous()
                        .unwrap()
                        .into_data(),
                    payload(3)
                );
            })
            .is_ok();
            std::process::exit(if ok { 0 } else { 1 });
        }
        Fork::Parent(child) => {
            assert_eq!(waitpid(child).unwrap(), 0, "the child failed");
            assert!(store.open_at::<Payload>(sealed.value(), t0()).is_ok());
        }
    }
}
