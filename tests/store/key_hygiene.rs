//! Placeholder keys and ambiguous key ids are refused.

use sealed_session::{Key, KeyConfigError, KeyError, KeyRing, UserId};

#[test]
fn all_equal_and_low_variety_keys_are_weak() {
    for byte in [0u8, 1, 0x41, 0xff] {
        assert_eq!(Key::from_bytes(&[byte; 32]).unwrap_err(), KeyError::Weak);
    }
    // 43 × 'A' is the base64 text of the all-zero key.
    assert_eq!(
        Key::from_base64(&"A".repeat(43)).unwrap_err(),
        KeyError::Weak
    );
    // Seven distinct byte values: weak; eight: accepted.
    let seven: Vec<u8> = (0..32).map(|i| (i % 7) as u8).collect();
    assert_eq!(Key::from_bytes(&seven).unwrap_err(), KeyError::Weak);
    let eight: Vec<u8> = (0..32).map(|i| (i % 8) as u8).collect();
    assert!(Key::from_bytes(&eight).is_ok());
    // Generated keys are never refused when read back.
    for _ in 0..100 {
        let key = Key::generate();
        assert_eq!(Key::from_base64(&key.to_base64()).unwrap(), key);
    }
    assert!(!KeyError::Weak.to_string().is_empty());
}

#[test]
fn a_weak_key_in_the_configuration_names_its_entry() {
    let good = Key::generate().to_base64();
    let config = format!(
        "2:xaes-256-gcm:{}, 1:xaes-256-gcm:{}",
        good.as_str(),
        "A".repeat(43)
    );
    let err: KeyConfigError = KeyRing::from_config(&config).unwrap_err();
    assert_eq!(
        err,
        KeyConfigError::Key {
            index: 1,
            key_id: 1,
            error: KeyError::Weak
        }
    );
}

#[test]
fn key_ids_have_one_spelling() {
    let key = Key::generate().to_base64();
    for id in ["+1", "01", "00", " 1x", "-1", "1_000", "0x1", "4294967296"] {
        let err = KeyRing::from_config(&format!("{id}:xaes-256-gcm:{}", key.as_str())).unwrap_err();
        assert_eq!(err, KeyConfigError::KeyId { index: 0 }, "{id}");
    }
    for (text, id) in [("0", 0u32), ("1", 1), ("10", 10), ("4294967295", u32::MAX)] {
        let ring = KeyRing::from_config(&format!("{text}:xaes-256-gcm:{}", key.as_str())).unwrap();
        assert_eq!(ring.sealing_key_id(), id);
    }
}

#[test]
fn integer_and_text_user_ids_print_differently() {
    let int = UserId::from(42u64);
    let text = UserId::text("42").unwrap();
    assert_ne!(int.to_string(), text.to_string());
    assert_eq!(int.to_string(), "42");
    assert_eq!(text.to_string(), "\"42\"");
    // Text that looks like a quoted id still cannot collide.
    let quoted = UserId::text("\"42\"").unwrap();
    assert_ne!(quoted.to_string(), text.to_string());
    assert_ne!(quoted.to_string(), int.to_string());
}
