//! Differential: the RustCrypto backend and the ring backend are the same
//! AEADs, byte for byte.
//!
//! For a fuzzer-chosen algorithm, key, nonce, associated data and plaintext:
//! - both backends seal to the same ciphertext and tag, and each opens what
//!   the other sealed;
//! - after a fuzzer-chosen sequence of mutations (bit flips in the
//!   ciphertext, tag, nonce or AAD; truncating or extending the ciphertext
//!   or the AAD), both give the same verdict, and that verdict is "opens"
//!   exactly when nothing changed;
//! - fuzzer-chosen ciphertext and tag (a forgery attempt) get the same
//!   verdict from both;
//! - end to end: two stores with the same key ring and cookie name, one
//!   built on each backend: a cookie either seals opens in the other to the
//!   same data, and a mutated cookie gets the same result from both.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sealed_session::__backend::{Aead, Backend, with_backend};
use sealed_session::{Algorithm, Key, KeyRing, Opened, SessionStore};

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Mutation {
    FlipCiphertext { at: u16, bit: u8 },
    FlipTag { at: u8, bit: u8 },
    FlipNonce { at: u8, bit: u8 },
    FlipAad { at: u16, bit: u8 },
    TruncateCiphertext(u16),
    ExtendCiphertext(u8),
    TruncateAad(u16),
    ExtendAad(u8),
}

#[derive(Arbitrary, Debug)]
struct Input {
    xchacha: bool,
    key: [u8; 32],
    nonce: [u8; 24],
    aad: Vec<u8>,
    plaintext: Vec<u8>,
    mutations: Vec<Mutation>,
    forged: Option<(Vec<u8>, [u8; 16])>,
    /// A position and a replacement character for the end-to-end cookie.
    cookie_edit: Option<(u16, u8)>,
}

#[derive(Clone, PartialEq, Eq, Debug)]
struct Message {
    nonce: [u8; 24],
    aad: Vec<u8>,
    ciphertext: Vec<u8>,
    tag: [u8; 16],
}

fn flip(bytes: &mut [u8], at: usize, bit: u8) {
    if bytes.is_empty() {
        return;
    }
    let at = at % bytes.len();
    bytes[at] ^= 1 << (bit % 8);
}

fn mutate(m: &mut Message, mutation: Mutation) {
    match mutation {
        Mutation::FlipCiphertext { at, bit } => flip(&mut m.ciphertext, at.into(), bit),
        Mutation::FlipTag { at, bit } => flip(&mut m.tag, at.into(), bit),
        Mutation::FlipNonce { at, bit } => flip(&mut m.nonce, at.into(), bit),
        Mutation::FlipAad { at, bit } => flip(&mut m.aad, at.into(), bit),
        Mutation::TruncateCiphertext(n) => {
            let keep = m.ciphertext.len().saturating_sub(usize::from(n));
            m.ciphertext.truncate(keep);
        }
        Mutation::ExtendCiphertext(b) => m.ciphertext.push(b),
        Mutation::TruncateAad(n) => {
            let keep = m.aad.len().saturating_sub(usize::from(n));
            m.aad.truncate(keep);
        }
        Mutation::ExtendAad(b) => m.aad.push(b),
    }
}

/// Opens `m` with `aead`: the plaintext, or `None`.
fn open(aead: &Aead, m: &Message) -> Option<Vec<u8>> {
    let mut buf = m.ciphertext.clone();
    aead.open_in_place(&m.nonce, &m.aad, &mut buf, &m.tag)
        .then_some(buf)
}

fn end_to_end(input: &Input, algorithm: Algorithm) {
    // A weak key (too few distinct bytes) is refused by `Key`; nothing to
    // compare then.
    let Ok(key) = Key::from_bytes(&input.key) else {
        return;
    };
    let stores: Vec<SessionStore> = Backend::ALL
        .iter()
        .map(|&b| {
            with_backend(b, || {
                let ring = KeyRing::new(5, key.clone().with_algorithm(algorithm));
                SessionStore::builder("session", ring).build().unwrap()
            })
        })
        .collect();
    let data = &input.plaintext;
    for sealer in &stores {
        let Ok(sealed) = sealer.seal(data) else {
            // Too large for the cookie cap: the same for every backend.
            assert!(stores.iter().all(|s| s.seal(data).is_err()));
            return;
        };
        let mut value = sealed.value().to_owned();
        for opener in &stores {
            match opener.open::<Vec<u8>>(&value).unwrap() {
                Opened::Anonymous(s) => assert_eq!(s.data(), data),
                Opened::User(_) => panic!("sealed anonymously"),
            }
        }
        if let Some((at, ch)) = input.cookie_edit {
            if !value.is_empty() && ch.is_ascii() {
                let at = usize::from(at) % value.len();
                if value.is_char_boundary(at) && value.is_char_boundary(at + 1) {
                    value.replace_range(at..at + 1, &char::from(ch).to_string());
                }
            }
            let verdicts: Vec<Option<Vec<u8>>> = stores
                .iter()
                .map(|s| {
                    s.open::<Vec<u8>>(&value).ok().and_then(|o| match o {
                        Opened::Anonymous(s) => Some(s.into_data()),
                        Opened::User(_) => None,
                    })
                })
                .collect();
            assert!(
                verdicts.iter().all(|v| v == &verdicts[0]),
                "backends disagree on a mutated cookie: {verdicts:?}"
            );
        }
    }
}

fuzz_target!(|input: Input| {
    let algorithm = if input.xchacha {
        Algorithm::XChaCha20Poly1305
    } else {
        Algorithm::XAes256Gcm
    };
    let aeads: Vec<Aead> = Backend::ALL
        .iter()
        .map(|&b| Aead::new(b, algorithm, &input.key))
        .collect();
    assert!(
        aeads.len() >= 2,
        "build the fuzz crate with sealed-session's `ring`"
    );

    // Same bytes from every backend; each opens what the others sealed.
    let sealed: Vec<Message> = aeads
        .iter()
        .map(|a| {
            let mut ciphertext = input.plaintext.clone();
            let tag = a
                .seal_in_place(&input.nonce, &input.aad, &mut ciphertext)
                .unwrap();
            Message {
                nonce: input.nonce,
                aad: input.aad.clone(),
                ciphertext,
                tag,
            }
        })
        .collect();
    let original = &sealed[0];
    for (a, m) in aeads.iter().zip(&sealed) {
        assert_eq!(m, original, "{} seals other bytes", a.backend().name());
    }
    for a in &aeads {
        assert_eq!(open(a, original).as_ref(), Some(&input.plaintext));
    }

    // Mutations: one verdict, "opens" exactly when nothing changed.
    let mut changed = original.clone();
    for &mutation in &input.mutations {
        mutate(&mut changed, mutation);
    }
    let verdicts: Vec<Option<Vec<u8>>> = aeads.iter().map(|a| open(a, &changed)).collect();
    for v in &verdicts {
        assert_eq!(v, &verdicts[0], "backends disagree on a mutation");
    }
    if &changed == original {
        assert_eq!(verdicts[0].as_ref(), Some(&input.plaintext));
    } else {
        assert_eq!(verdicts[0], None, "a mutated message opened");
    }

    // A forgery attempt: the same verdict (in practice, rejected by both).
    if let Some((ciphertext, tag)) = &input.forged {
        let forged = Message {
            nonce: input.nonce,
            aad: input.aad.clone(),
            ciphertext: ciphertext.clone(),
            tag: *tag,
        };
        let verdicts: Vec<Option<Vec<u8>>> = aeads.iter().map(|a| open(a, &forged)).collect();
        assert!(verdicts.iter().all(|v| v == &verdicts[0]));
        assert!(verdicts[0].is_none() || &forged == original);
    }

    end_to_end(&input, algorithm);
});
