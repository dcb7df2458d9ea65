//! `KeyRing::from_config` (and `str::parse::<KeyRing>`) on any string:
//! never panics; a ring it accepts formats back (`to_config`) into a string
//! that parses to an equal ring, and that canonical form is a fixed point;
//! the number of keys is the number of non-blank entries; an error's
//! `Display` never contains any part of the input — once its numbers are
//! masked it is one of the fixed messages.
//!
//! Input: first byte 0 = the rest as UTF-8 (lossy); otherwise the rest is
//! split into entries built from a small vocabulary (ids, algorithm names,
//! real keys), so the fuzzer reaches the accepting paths quickly.

#![no_main]

use std::collections::BTreeSet;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use sealed_session::{KeyConfigError, KeyError, KeyRing};

/// Every message `KeyConfigError` can display, with digits masked as `#`.
static MESSAGES: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    let keys = [
        KeyError::Length { got: 0 },
        KeyError::Base64,
        KeyError::Random,
        KeyError::Weak,
    ];
    let mut errors = vec![
        KeyConfigError::Empty,
        KeyConfigError::Format {
            index: 0,
            key_id: None,
        },
        KeyConfigError::Format {
            index: 0,
            key_id: Some(0),
        },
        KeyConfigError::KeyId { index: 0 },
        KeyConfigError::Algorithm {
            index: 0,
            key_id: 0,
        },
        KeyConfigError::DuplicateId {
            index: 0,
            key_id: 0,
        },
    ];
    errors.extend(keys.into_iter().map(|error| KeyConfigError::Key {
        index: 0,
        key_id: 0,
        error,
    }));
    let set: BTreeSet<String> = errors.iter().map(|err| mask(&err.to_string())).collect();
    set
});

/// Replaces every run of ASCII digits with one `#`.
fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_digits = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out
}

const WORDS: [&str; 16] = [
    "1",
    "2",
    "4294967295",
    "4294967296",
    "xaes-256-gcm",
    "xchacha20-poly1305",
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
    "Hx4dHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=",
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg",
    " ",
    ":",
    ",",
    "\n",
    "-",
    "",
];

fn build(data: &[u8]) -> String {
    let mut out = String::new();
    for &b in data {
        if b >= 0xf0 {
            out.push(char::from(b & 0x7f));
        } else {
            out.push_str(WORDS[usize::from(b) % WORDS.len()]);
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let config = if mode == 0 {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        build(rest)
    };
    let parsed = KeyRing::from_config(&config);
    assert_eq!(parsed, config.parse::<KeyRing>());
    match parsed {
        Ok(ring) => {
            let entries = config
                .split([',', '\n'])
                .filter(|e| !e.trim().is_empty())
                .count();
            assert_eq!(1 + ring.retired_ids().count(), entries);
            let canonical = ring.to_config();
            let again = KeyRing::from_config(&canonical).expect("to_config output parses");
            assert_eq!(again, ring);
            assert_eq!(*again.to_config(), *canonical);
            assert!(!format!("{ring:?}").contains(&canonical[canonical.len() - 20..]));
        }
        Err(err) => {
            let text = err.to_string();
            assert!(
                MESSAGES.contains(&mask(&text)),
                "error message not from the fixed set: {text:?}"
            );
            let index = match err {
                KeyConfigError::Format { index, .. }
                | KeyConfigError::KeyId { index }
                | KeyConfigError::Algorithm { index, .. }
                | KeyConfigError::Key { index, .. }
                | KeyConfigError::DuplicateId { index, .. } => Some(index),
                _ => None,
            };
            if let Some(index) = index {
                let entries = config
                    .split([',', '\n'])
                    .filter(|e| !e.trim().is_empty())
                    .count();
                assert!(index < entries);
            }
        }
    }
});
