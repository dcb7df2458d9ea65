//! Error types: lower-case Display, nothing secret inside, std::error::Error.

use crate::common;

use common::{at, t0};
use sealed_session::{ConfigError, KeyError, KeyRingError, OpenError, SealError};

fn check(e: &(dyn std::error::Error + 'static)) {
    let s = e.to_string();
    assert!(!s.is_empty());
    let first = s.chars().next().unwrap();
    assert!(!first.is_uppercase(), "{s}");
    assert!(!s.ends_with('.'), "{s}");
}

#[test]
fn displays_are_lower_case() {
    for e in [
        OpenError::Invalid,
        OpenError::Expired,
        OpenError::IdleExpired,
        OpenError::NotYetValid,
        OpenError::Revoked,
        OpenError::Decode,
    ] {
        check(&e);
    }
    for e in [
        SealError::TooLarge {
            len: 5000,
            max: 4096,
        },
        SealError::Serialize,
        SealError::Clock,
        SealError::SessionExpired,
        SealError::Random,
    ] {
        check(&e);
    }
    for e in [
        ConfigError::CookieName,
        ConfigError::MaxLength,
        ConfigError::Ttl,
        ConfigError::IdleTimeout,
        ConfigError::Leeway,
        ConfigError::Padding,
    ] {
        check(&e);
    }
    for e in [
        KeyError::Length { got: 3 },
        KeyError::Base64,
        KeyError::Random,
    ] {
        check(&e);
    }
    check(&KeyRingError::DuplicateId(3));
    check(&sealed_session::InvalidUserId);
    assert_eq!(
        SealError::TooLarge {
            len: 5000,
            max: 4096
        }
        .to_string(),
        "sealed session too large: name and value would be 5000 bytes, limit is 4096"
    );
}

#[test]
fn pre_auth_failures_are_indistinguishable() {
    // Different causes, one error value, one message.
    let store = sealed_session::SessionStore::builder(
        "s",
        sealed_session::KeyRing::new(1, sealed_session::Key::generate()),
    )
    .build()
    .unwrap();
    let good = store.seal_at(&1u8, t0()).unwrap().into_value();
    assert!(store.open_at::<u8>(&good, at(1)).is_ok());
    assert!(good.starts_with("Ag"), "{good}");
    // The decoded cookie starts `02 01 nonce…` (format v2, key id 1), the
    // text `Ag`. Each cause holds for every nonce: `Aw` makes the first byte
    // 0x03 (an unknown version); `AgI` makes the second 0x02 (key id 2,
    // which the store does not have);
    // a changed last character changes the tag (or sets padding bits).
    let last = if good.ends_with('A') { 'B' } else { 'A' };
    let causes = [
        "%%%".to_owned(),                             // bad base64
        "AQE".to_owned(),                             // too short
        format!("Aw{}", &good[2..]),                  // unknown version
        format!("AgI{}", &good[3..]),                 // unknown key id
        format!("{}{last}", &good[..good.len() - 1]), // tag mismatch / bad trailing bits
    ];
    let errors: Vec<_> = causes
        .iter()
        .map(|c| store.open_at::<u8>(c, at(1)).unwrap_err())
        .collect();
    assert!(errors.iter().all(|e| *e == OpenError::Invalid));
    let texts: std::collections::HashSet<_> = errors.iter().map(|e| format!("{e} {e:?}")).collect();
    assert_eq!(texts.len(), 1);
}
