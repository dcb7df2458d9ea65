//! The backends against each other on this crate's own data: every golden
//! vector (v2.json) opens to the same plaintext and re-seals to
//! the same bytes on every backend, and stores really use the backend they
//! were built with.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::backend::{Backend, Cipher, OPENS_BY_BACKEND, with_backend};
use crate::format::kdf;
use crate::format::wire::{self, NONCE_LEN, TAG_LEN};
use crate::{Algorithm, Key, KeyRing, SessionStore};

/// The committed golden vector files: (name, text, vectors that
/// authenticate).
const FILES: [(&str, &str, usize); 1] = [
    // 145 vectors, 22 of them `invalid` (the history vectors of format v1
    // authenticate under their v1 header, the AEAD being the same).
    ("v2.json", include_str!("../../tests/vectors/v2.json"), 123),
];

fn vectors(text: &str) -> Vec<Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(all)) => all,
        _ => panic!("a golden vector file is not a JSON array"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What an opener's AEAD makes of one vector on `backend`: the subkey of
/// the header's key id (or the recorded `aead_key_id`) for the opener's
/// cookie name, the AAD over the header. `Some((plaintext, re-sealed bytes))`
/// if it authenticates, where the plaintext is sealed again under the same
/// header and nonce.
fn open_and_reseal(v: &Value, backend: Backend) -> Option<(Vec<u8>, Vec<u8>)> {
    let data = URL_SAFE_NO_PAD.decode(v["cookie"].as_str()?).ok()?;
    // A format v1 history vector's header (`01 ‖ key id`) is read as the v2
    // header of its key id: the AEAD is the same for both.
    let mut v2_header = data.get(..wire::MAX_HEADER_LEN.min(data.len()))?.to_vec();
    if v2_header.first() == Some(&1) {
        v2_header[0] = wire::V2;
    }
    let (header_key_id, header_len) = wire::parse_header(&v2_header)?;
    let key_id = match v.get("aead_key_id").and_then(Value::as_u64) {
        Some(id) => u32::try_from(id).ok()?,
        None => header_key_id,
    };
    let algorithm: Algorithm = v["algorithm"].as_str()?.parse().ok()?;
    let key = Key::from_base64(v["master_key"].as_str()?).ok()?;
    let name = v["cookie_name"].as_str()?.as_bytes();
    let (header, body) = data.split_at_checked(header_len)?;
    let (nonce, rest) = body.split_first_chunk::<NONCE_LEN>()?;
    let (ct, tag) = rest.split_last_chunk::<TAG_LEN>()?;
    let subkey = kdf::derive_subkey(&key, algorithm, key_id, name);
    let cipher = Cipher::with(backend, &subkey, algorithm);
    assert_eq!(cipher.backend(), backend);
    let aad = kdf::aad(name, header);
    let mut plaintext = ct.to_vec();
    if !cipher.open_in_place(nonce, &aad, &mut plaintext, tag) {
        return None;
    }
    let mut body = plaintext.clone();
    let tag = cipher.seal_in_place(nonce, &aad, &mut body)?;
    Some((plaintext, [header, nonce, &body, &tag].concat()))
}

/// Every golden vector through the AEAD of every backend: the same verdict
/// everywhere, the recorded plaintext for every vector that authenticates,
/// and the same bytes again when that plaintext is sealed once more.
#[test]
fn every_golden_vector_opens_and_reseals_on_every_backend() {
    for (file, text, want_authentic) in FILES {
        let authentic = open_and_reseal_file(text);
        assert_eq!(authentic, want_authentic, "{file}");
    }
}

/// Checks every vector of one file; returns how many authenticate.
fn open_and_reseal_file(text: &str) -> usize {
    let mut authentic = 0usize;
    for v in vectors(text) {
        let name = &v["name"];
        let results: Vec<_> = Backend::ALL
            .iter()
            .map(|&b| open_and_reseal(&v, b))
            .collect();
        let Some(first) = results.first() else {
            panic!("no backend");
        };
        for (b, r) in Backend::ALL.iter().zip(&results) {
            assert_eq!(r, first, "{name}: {} disagrees with rustcrypto", b.name());
        }
        let want = v["plaintext_hex"]
            .as_str()
            .filter(|_| v["expect"] != "invalid");
        if let Some(want) = want {
            let Some((plaintext, resealed)) = first else {
                panic!("{name}: authentic vector did not open");
            };
            assert_eq!(hex(plaintext), want, "{name}: plaintext");
            let cookie = v["cookie"].as_str().unwrap_or_default();
            assert_eq!(
                URL_SAFE_NO_PAD.encode(resealed),
                cookie,
                "{name}: re-seal differs"
            );
            authentic = authentic.saturating_add(1);
        }
        // A re-seal vector's re-sealed cookie: the same on every backend.
        if let Some(resealed) = v.get("resealed_cookie") {
            let mut again = v.clone();
            again["cookie"] = resealed.clone();
            let results: Vec<_> = Backend::ALL
                .iter()
                .map(|&b| open_and_reseal(&again, b))
                .collect();
            for r in &results {
                let Some((plaintext, bytes)) = r else {
                    panic!("{name}: the re-sealed cookie does not open");
                };
                assert_eq!(
                    Some(hex(plaintext).as_str()),
                    v["resealed_plaintext_hex"].as_str(),
                    "{name}"
                );
                assert_eq!(
                    Some(URL_SAFE_NO_PAD.encode(bytes).as_str()),
                    resealed.as_str()
                );
            }
        }
    }
    authentic
}

/// The golden vector file, rebuilt with every store and cipher forced onto
/// each backend in turn, is the committed file byte for byte.
#[test]
fn golden_vectors_rebuild_byte_for_byte_on_every_backend() {
    let builders: [fn() -> Value; 1] = [super::vectors::build_vectors_v2];
    for &backend in Backend::ALL {
        for ((file, committed, _), build) in FILES.into_iter().zip(builders) {
            let built = with_backend(backend, build);
            let text = format!(
                "{}\n",
                serde_json::to_string_pretty(&built).unwrap_or_default()
            );
            assert!(
                text == committed,
                "tests/vectors/{file} differs from what the {} backend seals",
                backend.name()
            );
        }
    }
}

#[test]
fn debug_names_the_algorithm_and_never_the_key() {
    let key = [0xabu8; 32];
    for &backend in Backend::ALL {
        for (algorithm, name) in [
            (Algorithm::XAes256Gcm, "xaes-256-gcm"),
            (Algorithm::XChaCha20Poly1305, "xchacha20-poly1305"),
        ] {
            let text = format!("{:?}", Cipher::with(backend, &key, algorithm));
            let want = match backend {
                Backend::RustCrypto => format!("Cipher({name})"),
                #[cfg(feature = "ring")]
                Backend::Ring => format!("Cipher({name}, ring)"),
            };
            assert_eq!(text, want);
        }
    }
}

#[test]
fn with_backend_forces_and_restores() {
    let key = [9u8; 32];
    assert_eq!(
        Cipher::new(&key, Algorithm::XAes256Gcm).backend(),
        Backend::DEFAULT
    );
    for &outer in Backend::ALL {
        with_backend(outer, || {
            for &inner in Backend::ALL {
                let got = with_backend(inner, || Cipher::new(&key, Algorithm::XChaCha20Poly1305));
                assert_eq!(got.backend(), inner);
            }
            assert_eq!(Cipher::new(&key, Algorithm::XAes256Gcm).backend(), outer);
        });
    }
    assert_eq!(
        Cipher::new(&key, Algorithm::XChaCha20Poly1305).backend(),
        Backend::DEFAULT
    );
}

/// A store built under `with_backend` opens with that backend, and a cookie
/// sealed on one backend opens on every other.
#[test]
fn stores_use_the_backend_they_were_built_with() {
    let Ok(key) = Key::from_bytes(&core::array::from_fn::<u8, 32, _>(|i| {
        u8::try_from(i).unwrap_or_default()
    })) else {
        panic!("key");
    };
    for algorithm in [Algorithm::XAes256Gcm, Algorithm::XChaCha20Poly1305] {
        let stores: Vec<SessionStore> = Backend::ALL
            .iter()
            .map(|&b| {
                with_backend(b, || {
                    let ring = KeyRing::new(7, key.clone().with_algorithm(algorithm));
                    match SessionStore::builder("s", ring).build() {
                        Ok(store) => store,
                        Err(e) => panic!("build: {e}"),
                    }
                })
            })
            .collect();
        for (i, sealer) in stores.iter().enumerate() {
            let Ok(sealed) = sealer.seal(&(i, "payload")) else {
                panic!("seal");
            };
            for (j, opener) in stores.iter().enumerate() {
                let before = OPENS_BY_BACKEND.with(core::cell::Cell::get);
                let opened = opener.open::<(usize, String)>(sealed.value());
                let after = OPENS_BY_BACKEND.with(core::cell::Cell::get);
                let Ok(opened) = opened else {
                    panic!("backend {j} did not open what backend {i} sealed");
                };
                let Some(session) = opened.anonymous() else {
                    panic!("anonymous");
                };
                assert_eq!(session.data(), &(i, "payload".to_owned()));
                let mut want = before;
                if let Some(n) = want.get_mut(j) {
                    *n = n.saturating_add(1);
                }
                assert_eq!(after, want, "store {j} opened on another backend");
            }
        }
    }
}

/// The key material each backend keeps per key slot wipes itself on drop:
/// these fail to compile without the `zeroize` features that provide it.
#[test]
fn key_schedules_are_zeroized_on_drop() {
    fn assert_zeroize_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    assert_zeroize_on_drop::<xaes_256_gcm::Xaes256Gcm>();
    assert_zeroize_on_drop::<chacha20poly1305::XChaCha20Poly1305>();
    #[cfg(feature = "ring")]
    assert_zeroize_on_drop::<aes::Aes256Enc>();
}
