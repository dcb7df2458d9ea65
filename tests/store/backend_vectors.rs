//! Known-answer tests of both AEADs on every compiled backend: the C2SP
//! XAES-256-GCM vectors (both worked examples and the accumulated randomized
//! tests) and the draft-irtf-cfrg-xchacha AEAD vector, plus a seal on one
//! backend opening on every other with every single-bit flip rejected.
//!
//! `cargo test --test backend_vectors` runs the RustCrypto backend;
//! `--features ring` adds the ring backend.

use sealed_session::__backend::{Aead, Backend};
use sealed_session::Algorithm;
use shake::{ExtendableOutput, Shake128, Update, XofReader};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Seals `plaintext` and returns `ciphertext ‖ tag`, after checking that it
/// opens again to `plaintext`.
fn seal(aead: &Aead, nonce: &[u8; 24], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut buf = plaintext.to_vec();
    let tag = aead.seal_in_place(nonce, aad, &mut buf).unwrap();
    let mut opened = buf.clone();
    assert!(aead.open_in_place(nonce, aad, &mut opened, &tag));
    assert_eq!(opened, plaintext);
    buf.extend_from_slice(&tag);
    buf
}

/// c2sp.org/XAES-256-GCM, "Test vectors": the two worked examples (the
/// first with MSB(L) = 0, the second with MSB(L) = 1 and an AAD).
#[test]
fn xaes_c2sp_vectors() {
    let nonce = b"ABCDEFGHIJKLMNOPQRSTUVWX";
    for &backend in Backend::ALL {
        for (key, aad, want) in [
            (
                [0x01u8; 32],
                &b""[..],
                "ce546ef63c9cc60765923609b33a9a1974e96e52daf2fcf7075e2271",
            ),
            (
                [0x03; 32],
                b"c2sp.org/XAES-256-GCM",
                "986ec1832593df5443a179437fd083bf3fdb41abd740a21f71eb769d",
            ),
        ] {
            let aead = Aead::new(backend, Algorithm::XAes256Gcm, &key);
            assert_eq!(aead.backend(), backend);
            let got = seal(&aead, nonce, aad, b"XAES-256-GCM");
            assert_eq!(hex(&got), want, "{}", backend.name());
        }
    }
}

/// c2sp.org/XAES-256-GCM, "Accumulated randomized tests": key, nonce,
/// plaintext<0..255> and aad<0..255> read from one SHAKE-128 stream (empty
/// input), each `ciphertext ‖ tag` hashed into another SHAKE-128; every
/// message also opens again. Returns the first 32 bytes of the hash.
fn accumulated(backend: Backend, iterations: usize) -> String {
    let mut rng = Shake128::default().finalize_xof();
    let mut hash = Shake128::default();
    let mut first = [0u8; 16];
    rng.read(&mut first);
    assert_eq!(hex(&first), "7f9c2ba4e88f827d616045507605853e");
    let mut rng = Shake128::default().finalize_xof();
    let mut plaintext = [0u8; 255];
    let mut aad = [0u8; 255];
    for _ in 0..iterations {
        let mut key = [0u8; 32];
        let mut nonce = [0u8; 24];
        let mut len = [0u8; 1];
        rng.read(&mut key);
        rng.read(&mut nonce);
        rng.read(&mut len);
        let plaintext = &mut plaintext[..usize::from(len[0])];
        rng.read(plaintext);
        rng.read(&mut len);
        let aad = &mut aad[..usize::from(len[0])];
        rng.read(aad);
        let aead = Aead::new(backend, Algorithm::XAes256Gcm, &key);
        hash.update(&seal(&aead, &nonce, aad, plaintext));
    }
    let mut out = [0u8; 32];
    hash.finalize_xof().read(&mut out);
    hex(&out)
}

#[test]
fn xaes_c2sp_accumulated_10_000() {
    for &backend in Backend::ALL {
        assert_eq!(
            accumulated(backend, 10_000),
            "e6b9edf2df6cec60c8cbd864e2211b597fb69a529160cd040d56c0c210081939",
            "{}",
            backend.name()
        );
    }
}

#[test]
fn xaes_c2sp_accumulated_1_000_000() {
    for &backend in Backend::ALL {
        assert_eq!(
            accumulated(backend, 1_000_000),
            "2163ae1445985a30b60585ee67daa55674df06901b890593e824b8a7c885ab15",
            "{}",
            backend.name()
        );
    }
}

/// draft-irtf-cfrg-xchacha-03, appendix A.3.1 (AEAD_XChaCha20_Poly1305),
/// the whole ciphertext and tag.
#[test]
fn xchacha_draft_a_3_1() {
    let key: [u8; 32] = core::array::from_fn(|i| 0x80 + u8::try_from(i).unwrap());
    let nonce: [u8; 24] = core::array::from_fn(|i| 0x40 + u8::try_from(i).unwrap());
    let aad = unhex("50515253c0c1c2c3c4c5c6c7");
    let plaintext = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
    let want = concat!(
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb",
        "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452",
        "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9",
        "21f9664c97637da9768812f615c68b13b52e",
        "c0875924c1c7987947deafd8780acf49",
    );
    for &backend in Backend::ALL {
        let aead = Aead::new(backend, Algorithm::XChaCha20Poly1305, &key);
        let got = seal(&aead, &nonce, &aad, plaintext);
        assert_eq!(hex(&got), want, "{}", backend.name());
    }
}

/// What one backend seals every other opens, and each of them rejects every
/// single-bit flip of the ciphertext, the tag, the nonce and the AAD.
#[test]
fn cross_backend_open_and_bit_flips() {
    let key: [u8; 32] = core::array::from_fn(|i| u8::try_from(i * 7 + 3).unwrap());
    let nonce: [u8; 24] = core::array::from_fn(|i| u8::try_from((i * 11 + 5) % 256).unwrap());
    let aad = b"sealed-session aad";
    let plaintext: Vec<u8> = (0u8..45).collect();
    for algorithm in [Algorithm::XAes256Gcm, Algorithm::XChaCha20Poly1305] {
        let aeads: Vec<Aead> = Backend::ALL
            .iter()
            .map(|&b| Aead::new(b, algorithm, &key))
            .collect();
        let sealed: Vec<Vec<u8>> = aeads
            .iter()
            .map(|a| seal(a, &nonce, aad, &plaintext))
            .collect();
        assert!(sealed.iter().all(|s| s == &sealed[0]), "{algorithm:?}");
        let (ct, tag) = sealed[0].split_at(plaintext.len());
        let tag: [u8; 16] = tag.try_into().unwrap();
        for opener in &aeads {
            let mut buf = ct.to_vec();
            assert!(opener.open_in_place(&nonce, aad, &mut buf, &tag));
            assert_eq!(buf, plaintext);
            let mut rejected = 0usize;
            for bit in 0..(ct.len() + 16 + 24 + aad.len()) * 8 {
                let (mut c, mut t, mut n, mut a) = (ct.to_vec(), tag, nonce, aad.to_vec());
                let (byte, mask) = (bit / 8, 1u8 << (bit % 8));
                match byte {
                    b if b < c.len() => c[b] ^= mask,
                    b if b < c.len() + 16 => t[b - c.len()] ^= mask,
                    b if b < c.len() + 40 => n[b - c.len() - 16] ^= mask,
                    b => a[b - c.len() - 40] ^= mask,
                }
                assert!(
                    !opener.open_in_place(&n, &a, &mut c, &t),
                    "{algorithm:?} on {}: flip of bit {bit} opened",
                    opener.backend().name()
                );
                rejected += 1;
            }
            assert_eq!(rejected, (45 + 16 + 24 + 18) * 8);
        }
    }
}
