//! Key ring configuration strings: parsing, formatting back, and errors that
//! name the wrong entry without ever echoing key material.

use crate::common;

use common::t0;
use sealed_session::{
    Algorithm, KEYS_ENV_VAR, Key, KeyConfigError, KeyError, KeyRing, SessionStore,
};

const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
const K2: &str = "Hx4dHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA";

fn key(text: &str) -> Key {
    Key::from_base64(text).unwrap()
}

#[test]
fn parses_sealing_key_first_then_retired_in_order() {
    let ring = KeyRing::from_config(&format!(
        "2:xaes-256-gcm:{K1},1:xchacha20-poly1305:{K2},9:xaes-256-gcm:{K2}"
    ))
    .unwrap();
    assert_eq!(ring.sealing_key_id(), 2);
    assert_eq!(ring.retired_ids().collect::<Vec<_>>(), [1, 9]);
    assert_eq!(ring.algorithm(2), Some(Algorithm::XAes256Gcm));
    assert_eq!(ring.algorithm(1), Some(Algorithm::XChaCha20Poly1305));
    assert_eq!(ring.algorithm(9), Some(Algorithm::XAes256Gcm));

    let mut expected = KeyRing::new(2, key(K1).with_algorithm(Algorithm::XAes256Gcm));
    expected
        .add_retired(1, key(K2).with_algorithm(Algorithm::XChaCha20Poly1305))
        .unwrap();
    expected
        .add_retired(9, key(K2).with_algorithm(Algorithm::XAes256Gcm))
        .unwrap();
    assert_eq!(ring, expected);
}

#[test]
fn from_str_is_from_config() {
    let text = format!("5:xchacha20-poly1305:{K1}");
    let a: KeyRing = text.parse().unwrap();
    assert_eq!(a, KeyRing::from_config(&text).unwrap());
    assert_eq!("".parse::<KeyRing>().unwrap_err(), KeyConfigError::Empty);
}

#[test]
fn whitespace_newlines_blank_entries_and_short_form_are_accepted() {
    let text =
        format!("\n\t 2 : xaes-256-gcm : {K1} ,\n\n  1:{K2}  ,\r\n , 3:xchacha20-poly1305:{K2}\n,");
    let ring = KeyRing::from_config(&text).unwrap();
    assert_eq!(ring.sealing_key_id(), 2);
    assert_eq!(ring.retired_ids().collect::<Vec<_>>(), [1, 3]);
    // `id:key` uses the default algorithm.
    assert_eq!(ring.algorithm(1), Some(Algorithm::default()));
    assert_eq!(ring.algorithm(3), Some(Algorithm::XChaCha20Poly1305));
    // Standard base64 with padding works too.
    let standard = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let ring = KeyRing::from_config(&format!("7:xaes-256-gcm:{standard}")).unwrap();
    assert_eq!(ring, KeyRing::new(7, key(K1)));
}

#[test]
fn to_config_round_trips_and_the_parsed_ring_opens_the_same_cookies() {
    let mut ring = KeyRing::new(
        1,
        Key::generate().with_algorithm(Algorithm::XChaCha20Poly1305),
    );
    ring.rotate(2, Key::generate()).unwrap();
    ring.rotate(
        u32::MAX,
        Key::generate().with_algorithm(Algorithm::XChaCha20Poly1305),
    )
    .unwrap();
    ring.add_retired(0, Key::generate()).unwrap();

    let config = ring.to_config();
    let text: &str = &config;
    assert!(text.starts_with(&format!("{}:xchacha20-poly1305:", u32::MAX)));
    assert_eq!(text.split(',').count(), 4);
    let parsed = KeyRing::from_config(text).unwrap();
    assert_eq!(parsed, ring);
    assert_eq!(parsed.to_config().as_str(), text);

    // Functionally the same ring: a cookie sealed under any of the original
    // ring's keys opens with the parsed ring.
    for id in [u32::MAX, 1, 2, 0] {
        let sealer = SessionStore::builder("sid", with_sealing(text, id))
            .build()
            .unwrap();
        assert_eq!(sealer.sealing_key_id(), id);
        let cookie = sealer.seal_at(&id, t0()).unwrap();
        let opener = SessionStore::builder("sid", parsed.clone())
            .build()
            .unwrap();
        let session = opener
            .open_at::<u32>(cookie.value(), t0())
            .unwrap()
            .anonymous()
            .unwrap();
        assert_eq!(*session.data(), id);
        assert_eq!(session.info().key_id(), id);
    }
}

/// The ring of `config` with the entry of key `id` moved first.
fn with_sealing(config: &str, id: u32) -> KeyRing {
    let prefix = format!("{id}:");
    let (first, rest): (Vec<&str>, Vec<&str>) = config
        .split(',')
        .partition(|entry| entry.starts_with(&prefix));
    assert_eq!(first.len(), 1);
    KeyRing::from_config(&[first, rest].concat().join(",")).unwrap()
}

/// The entry position and key id a configuration error names.
fn entry_of(err: &KeyConfigError) -> (usize, Option<u32>) {
    match *err {
        KeyConfigError::Format { index, key_id } => (index, key_id),
        KeyConfigError::KeyId { index } => (index, None),
        KeyConfigError::Algorithm { index, key_id }
        | KeyConfigError::Key { index, key_id, .. }
        | KeyConfigError::DuplicateId { index, key_id } => (index, Some(key_id)),
        ref other => panic!("expected an entry error, got {other:?}"),
    }
}

#[test]
fn empty_configs_are_refused() {
    for text in ["", "   ", "\n", " , ,\n, "] {
        let err = KeyRing::from_config(text).unwrap_err();
        assert_eq!(err, KeyConfigError::Empty, "{text:?}");
        assert!(err.to_string().contains("empty"));
    }
}

#[test]
fn each_problem_names_the_entry_and_key_id() {
    let good = format!("2:xaes-256-gcm:{K1}");
    let cases: Vec<(String, KeyConfigError)> = vec![
        (
            "2".into(),
            KeyConfigError::Format {
                index: 0,
                key_id: Some(2),
            },
        ),
        (
            format!("{good},3:xaes-256-gcm:{K2}:x"),
            KeyConfigError::Format {
                index: 1,
                key_id: Some(3),
            },
        ),
        (
            format!("{good}, , 3::"),
            KeyConfigError::Algorithm {
                index: 1,
                key_id: 3,
            },
        ),
        (
            format!("{good}, , 3:xaes-256-gcm:"),
            KeyConfigError::Key {
                index: 1,
                key_id: 3,
                error: KeyError::Length { got: 0 },
            },
        ),
        (
            format!("x:xaes-256-gcm:{K2}"),
            KeyConfigError::KeyId { index: 0 },
        ),
        (
            format!("-1:xaes-256-gcm:{K2}"),
            KeyConfigError::KeyId { index: 0 },
        ),
        (
            format!("4294967296:xaes-256-gcm:{K2}"),
            KeyConfigError::KeyId { index: 0 },
        ),
        (
            format!(":xaes-256-gcm:{K2}"),
            KeyConfigError::KeyId { index: 0 },
        ),
        (
            format!("{good},4:aes-256-gcm:{K2}"),
            KeyConfigError::Algorithm {
                index: 1,
                key_id: 4,
            },
        ),
        (
            format!("{good},4:XAES-256-GCM:{K2}"),
            KeyConfigError::Algorithm {
                index: 1,
                key_id: 4,
            },
        ),
        (
            format!("{good},1:{K2},5:xaes-256-gcm:{}", &K2[..40]),
            KeyConfigError::Key {
                index: 2,
                key_id: 5,
                error: KeyError::Length { got: 30 },
            },
        ),
        (
            "6:xaes-256-gcm:!!!!".into(),
            KeyConfigError::Key {
                index: 0,
                key_id: 6,
                error: KeyError::Base64,
            },
        ),
        (
            format!("{good},1:{K2},2:{K2}"),
            KeyConfigError::DuplicateId {
                index: 2,
                key_id: 2,
            },
        ),
    ];
    for (text, expected) in cases {
        let err = KeyRing::from_config(&text).unwrap_err();
        assert_eq!(err, expected, "{text}");
        let (index, key_id) = entry_of(&err);
        let shown = err.to_string();
        assert!(
            shown.starts_with(&format!("key ring configuration, entry {}", index + 1)),
            "{shown}"
        );
        match key_id {
            Some(id) => assert!(shown.contains(&format!("(key id {id})")), "{shown}"),
            None => assert!(!shown.contains("key id ("), "{shown}"),
        }
        let reason = match &err {
            KeyConfigError::Format { .. } => {
                "expected id:algorithm:base64key (or id:base64key)".to_string()
            }
            KeyConfigError::KeyId { .. } => {
                "key id is not a number from 0 to 4294967295".to_string()
            }
            KeyConfigError::Algorithm { .. } => KeyError::UnknownAlgorithm.to_string(),
            KeyConfigError::Key { error, .. } => error.to_string(),
            _ => "an earlier entry has the same key id".to_string(),
        };
        assert!(shown.ends_with(&format!(": {reason}")), "{shown}");
    }
}

#[test]
fn key_errors_are_the_source() {
    let err = KeyRing::from_config("1:xaes-256-gcm:AAAA").unwrap_err();
    let source = std::error::Error::source(&err).unwrap();
    assert_eq!(source.to_string(), KeyError::Length { got: 3 }.to_string());
    let err = KeyRing::from_config("1:aes:AAAA").unwrap_err();
    assert!(std::error::Error::source(&err).is_none());
}

/// Every way an operator can get a real key into the wrong place, or damage
/// it, must produce an error that contains no part of it.
#[test]
fn errors_never_echo_key_material() {
    // A fixed key of 32 distinct bytes (not a random one), so the windows
    // searched for below are the same on every run.
    let s = "DW7PMJHyU7QVdtc4mfpbvB1-30ChAmPEJYbnSKkKa8w";
    assert!(Key::from_base64(s).is_ok());
    let mut damaged_char = s.to_owned();
    damaged_char.replace_range(10..11, "!");
    let cases = [
        s.to_owned(),                                     // id and algorithm missing
        format!("{s}:xaes-256-gcm:1"),                    // key in the id field
        format!("1:{s}:xaes-256-gcm"),                    // key in the algorithm field
        format!("1:xaes-256-gcm:{s}:{s}"),                // too many fields
        format!("1:xaes-256-gcm:{}", &s[..42]),           // truncated
        format!("1:xaes-256-gcm:{s}AAAA"),                // too long
        format!("1:xaes-256-gcm:{damaged_char}"),         // not base64
        format!("1:xaes-256-gcm:{s},1:xaes-256-gcm:{s}"), // duplicate
        format!("1:xaes-256-gcm:{s};2:xaes-256-gcm:{s}"), // wrong separator
        format!("1 xaes-256-gcm {s}"),                    // wrong field separator
        format!("one:xaes-256-gcm:{s}"),
    ];
    // Any 8-character window of the key would be an echo.
    let windows: Vec<&str> = (0..=s.len() - 8).map(|i| &s[i..i + 8]).collect();
    for text in cases {
        let err = KeyRing::from_config(&text).unwrap_err();
        for shown in [err.to_string(), format!("{err:?}"), format!("{err:#?}")] {
            for w in &windows {
                assert!(!shown.contains(w), "{shown:?} echoes key material");
            }
        }
    }
    // A parsed ring's Debug shows no key either.
    let ring = KeyRing::from_config(&format!("3:xaes-256-gcm:{s}")).unwrap();
    let debug = format!("{ring:?}");
    assert!(windows.iter().all(|w| !debug.contains(w)), "{debug}");
}

#[test]
fn env_var_name_is_documented_constant() {
    assert_eq!(KEYS_ENV_VAR, "SEALED_SESSION_KEYS");
}

#[test]
fn to_config_of_single_key_ring() {
    let ring = KeyRing::new(0, key(K1));
    assert_eq!(ring.to_config().as_str(), format!("0:xaes-256-gcm:{K1}"));
}
