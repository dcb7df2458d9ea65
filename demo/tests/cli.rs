//! The demo binary's configuration: `--generate-keys` prints a ring that
//! parses, and a bad `SEALED_SESSION_KEYS` stops it with an error that names
//! the entry and never shows the key.

use std::process::{Command, Stdio};

use sealed_session::{Key, KeyRing};

fn demo() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_demo"));
    cmd.env_remove("SEALED_SESSION_KEYS")
        .env_remove("PORT")
        .env_remove("DEMO_DB")
        .stdin(Stdio::null());
    cmd
}

#[test]
fn generate_keys_prints_a_ring_the_parser_reads() {
    let out = demo().arg("--generate-keys").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let ring = KeyRing::from_config(text.trim()).unwrap();
    assert_eq!(ring.sealing_key_id(), 1);
    assert_eq!(ring.retired_ids().count(), 0);
    // A fresh key each time (two random keys are equal with probability
    // 2^-256).
    let again = demo().arg("--generate-keys").output().unwrap();
    assert_ne!(String::from_utf8(again.stdout).unwrap(), text);
}

#[test]
fn a_bad_key_ring_stops_the_demo_without_echoing_keys() {
    // A fixed key of 32 distinct bytes (not a random one), so the windows
    // searched for below are the same on every run.
    let key = "DW7PMJHyU7QVdtc4mfpbvB1-30ChAmPEJYbnSKkKa8w";
    assert!(Key::from_base64(key).is_ok());
    // Any 8-character window of the key would be an echo.
    let windows: Vec<&str> = (0..=key.len() - 8).map(|i| &key[i..i + 8]).collect();
    for (config, expected) in [
        (
            format!("2:xaes-256-gcm:{key},1:xchacha20-poly1305:{}", &key[..32]),
            "entry 2 (key id 1): key must be 32 bytes, got 24",
        ),
        (
            format!("2:xaes-256-gcm:{key},2:xaes-256-gcm:{key}"),
            "entry 2 (key id 2): an earlier entry has the same key id",
        ),
        (key.to_owned(), "entry 1: expected id:algorithm:base64key"),
    ] {
        let out = demo()
            .env("SEALED_SESSION_KEYS", &config)
            // Never reached, but keep it off any real port if it were.
            .env("PORT", "0")
            .env("DEMO_DB", ":memory:")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{config}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains("SEALED_SESSION_KEYS: key ring configuration, "),
            "{stderr}"
        );
        assert!(stderr.contains(expected), "{stderr}");
        for w in &windows {
            assert!(!stderr.contains(w), "{stderr} echoes the key");
        }
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn unknown_arguments_are_refused() {
    let out = demo().arg("--frobnicate").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr).unwrap().contains("usage"));
}
