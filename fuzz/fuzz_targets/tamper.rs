//! A validly sealed cookie, changed by a fuzzer-chosen sequence of mutations
//! (bit flips, byte and character insertions and deletions, truncation,
//! appends, splices from another valid cookie of the same store or from a
//! cookie of another name, a rewritten key id, re-encoding in another base64
//! alphabet or with padding, non-canonical trailing bits), never opens unless
//! the result is, character for character, a cookie the store really sealed
//! (the original or its sibling) — and then it opens to exactly that
//! cookie's data. Every other result is the opaque `OpenError::Invalid`.
//!
//! Keys are generated per fuzzing process. Two stores share both keys
//! (id 1 = XAES-256-GCM, id 300 = XChaCha20-Poly1305), one sealing with
//! each, so a cookie from either opens in both; a third store uses the same
//! keys under another cookie name.

#![no_main]

mod common;

use std::sync::LazyLock;

use arbitrary::Arbitrary;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use common::Payload;
use libfuzzer_sys::fuzz_target;
use sealed_session::time::OffsetDateTime;
use sealed_session::{Algorithm, Key, KeyRing, OpenError, Opened, SessionStore, UserId};

const T0: i64 = 1_800_000_000;
const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct Stores {
    /// Seals with key 1 (XAES), opens key 300 too.
    xaes: SessionStore,
    /// Seals with key 300 (XChaCha), opens key 1 too.
    xchacha: SessionStore,
    /// Same ring as `xaes`, another cookie name.
    other_name: SessionStore,
}

static STORES: LazyLock<Stores> = LazyLock::new(|| {
    let k1 = Key::generate();
    let k300 = Key::generate();
    let mut a = KeyRing::new(1, k1.clone());
    a.add_retired(
        300,
        k300.clone().with_algorithm(Algorithm::XChaCha20Poly1305),
    )
    .unwrap();
    let mut b = KeyRing::new(300, k300.with_algorithm(Algorithm::XChaCha20Poly1305));
    b.add_retired(1, k1).unwrap();
    Stores {
        xaes: SessionStore::builder("session", a.clone()).build().unwrap(),
        xchacha: SessionStore::builder("session", b).build().unwrap(),
        other_name: SessionStore::builder("other", a).build().unwrap(),
    }
});

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Source {
    /// Another valid cookie of the same store.
    Sibling,
    /// A valid cookie of the other cookie name.
    Foreign,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Encoding {
    Standard,
    StandardPadded,
    UrlSafePadded,
    TrailingWhitespace,
    LeadingSpace,
    Quoted,
}

#[derive(Arbitrary, Debug)]
enum Op {
    // On the decoded bytes (re-encoded canonically afterwards).
    FlipBit {
        pos: u16,
        bit: u8,
    },
    SetByte {
        pos: u16,
        byte: u8,
    },
    InsertByte {
        pos: u16,
        byte: u8,
    },
    DeleteBytes {
        pos: u16,
        len: u8,
    },
    Truncate {
        len: u16,
    },
    Append {
        bytes: Vec<u8>,
    },
    Splice {
        source: Source,
        from: u16,
        to: u16,
        len: u16,
    },
    SwapTail {
        source: Source,
        at: u16,
    },
    SetKeyId {
        id: u32,
    },
    // On the cookie value string.
    SetChar {
        pos: u16,
        c: u8,
    },
    InsertChar {
        pos: u16,
        c: u8,
    },
    DeleteChars {
        pos: u16,
        len: u8,
    },
    ReEncode(Encoding),
    TrailingBits {
        v: u8,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    payload: Payload,
    sibling: Payload,
    user: Option<(u64, u64)>,
    xchacha: bool,
    ops: Vec<Op>,
}

fn varint(mut v: u32, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Length of the header (version and varint key id) at the start, if any.
fn header_len(bytes: &[u8]) -> usize {
    let mut n = 1;
    for b in bytes.iter().skip(1).take(5) {
        n += 1;
        if b & 0x80 == 0 {
            break;
        }
    }
    n.min(bytes.len())
}

fn apply(op: &Op, value: &mut String, sibling: &str, foreign: &str) {
    let at = |pos: u16, len: usize| usize::from(pos) % (len + 1);
    let source = |s: Source| match s {
        Source::Sibling => URL_SAFE_NO_PAD.decode(sibling).unwrap(),
        Source::Foreign => URL_SAFE_NO_PAD.decode(foreign).unwrap(),
    };
    let byte_op = matches!(
        op,
        Op::FlipBit { .. }
            | Op::SetByte { .. }
            | Op::InsertByte { .. }
            | Op::DeleteBytes { .. }
            | Op::Truncate { .. }
            | Op::Append { .. }
            | Op::Splice { .. }
            | Op::SwapTail { .. }
            | Op::SetKeyId { .. }
    );
    if byte_op {
        // Byte operations need a decodable value; skip them otherwise.
        let Ok(mut b) = URL_SAFE_NO_PAD.decode(value.as_bytes()) else {
            return;
        };
        match *op {
            Op::FlipBit { pos, bit } => {
                if !b.is_empty() {
                    let i = usize::from(pos) % b.len();
                    b[i] ^= 1 << (bit % 8);
                }
            }
            Op::SetByte { pos, byte } => {
                if !b.is_empty() {
                    let i = usize::from(pos) % b.len();
                    b[i] = byte;
                }
            }
            Op::InsertByte { pos, byte } => {
                let i = at(pos, b.len());
                b.insert(i, byte);
            }
            Op::DeleteBytes { pos, len } => {
                let i = at(pos, b.len());
                let end = (i + usize::from(len) + 1).min(b.len());
                b.drain(i..end);
            }
            Op::Truncate { len } => b.truncate(usize::from(len) % (b.len() + 1)),
            Op::Append { ref bytes } => b.extend_from_slice(bytes),
            Op::Splice {
                source: s,
                from,
                to,
                len,
            } => {
                let src = source(s);
                let from = at(from, src.len());
                let to = at(to, b.len());
                let n = usize::from(len).min(src.len() - from).min(b.len() - to);
                b[to..to + n].copy_from_slice(&src[from..from + n]);
            }
            Op::SwapTail { source: s, at: pos } => {
                let src = source(s);
                let i = at(pos, b.len().min(src.len()));
                b.truncate(i);
                b.extend_from_slice(&src[i..]);
            }
            Op::SetKeyId { id } => {
                let h = header_len(&b);
                // Keep the cookie's own version byte.
                let mut out = vec![b.first().copied().unwrap_or(0x02)];
                varint(id, &mut out);
                out.extend_from_slice(&b[h..]);
                b = out;
            }
            _ => unreachable!(),
        }
        *value = URL_SAFE_NO_PAD.encode(&b);
        return;
    }
    match *op {
        Op::SetChar { pos, c } => {
            if !value.is_empty() {
                let i = usize::from(pos) % value.len();
                let mut bytes = value.clone().into_bytes();
                bytes[i] = B64URL[usize::from(c % 64)];
                *value = String::from_utf8(bytes).unwrap();
            }
        }
        Op::InsertChar { pos, c } => {
            let i = at(pos, value.len());
            // Mostly alphabet characters, sometimes any ASCII.
            let ch = if c < 192 {
                char::from(B64URL[usize::from(c % 64)])
            } else {
                char::from(c & 0x7f)
            };
            value.insert(i, ch);
        }
        Op::DeleteChars { pos, len } => {
            let i = at(pos, value.len());
            let end = (i + usize::from(len) + 1).min(value.len());
            value.replace_range(i..end, "");
        }
        Op::ReEncode(enc) => {
            let Ok(b) = URL_SAFE_NO_PAD.decode(value.as_bytes()) else {
                return;
            };
            *value = match enc {
                Encoding::Standard => STANDARD_NO_PAD.encode(&b),
                Encoding::StandardPadded => STANDARD.encode(&b),
                Encoding::UrlSafePadded => URL_SAFE.encode(&b),
                Encoding::TrailingWhitespace => format!("{value}\n"),
                Encoding::LeadingSpace => format!(" {value}"),
                Encoding::Quoted => format!("\"{value}\""),
            };
        }
        Op::TrailingBits { v } => {
            // Change the unused low bits of the last character: a lenient
            // decoder would give the same bytes.
            let unused = match value.len() % 4 {
                2 => 4,
                3 => 2,
                _ => 0,
            };
            if unused > 0 {
                let last = *value.as_bytes().last().unwrap();
                if let Some(idx) = B64URL.iter().position(|&x| x == last) {
                    let mask = (1usize << unused) - 1;
                    let new = (idx & !mask) | (usize::from(v) & mask);
                    value.pop();
                    value.push(char::from(B64URL[new]));
                }
            }
        }
        _ => unreachable!(),
    }
}

fuzz_target!(|input: Input| {
    let stores = &*STORES;
    let now = OffsetDateTime::from_unix_timestamp(T0).unwrap();
    let sealer = if input.xchacha {
        &stores.xchacha
    } else {
        &stores.xaes
    };
    let user = input.user.map(|(id, epoch)| (UserId::from(id), epoch));
    let original = match &user {
        Some((id, epoch)) => sealer.seal_for_user_at(id, *epoch, &input.payload, now),
        None => sealer.seal_at(&input.payload, now),
    };
    let Ok(original) = original else {
        return; // too large for a cookie: nothing to tamper with
    };
    let Ok(sibling) = stores.xaes.seal_at(&input.sibling, now) else {
        return;
    };
    let Ok(foreign) = stores.other_name.seal_at(&input.sibling, now) else {
        return;
    };
    let (original, sibling, foreign) = (original.value(), sibling.value(), foreign.value());

    let mut value = original.to_owned();
    for op in input.ops.iter().take(8) {
        apply(op, &mut value, sibling, foreign);
    }

    for store in [&stores.xaes, &stores.xchacha] {
        match store.open_at::<Payload>(&value, now) {
            Ok(Opened::Anonymous(s)) if value == original => {
                assert!(user.is_none());
                assert_eq!(s.data(), &input.payload);
            }
            Ok(Opened::User(pending)) if value == original => {
                let (id, epoch) = user.as_ref().unwrap();
                assert_eq!(pending.user_id(), id);
                assert_eq!(pending.verify_epoch(*epoch).unwrap().data(), &input.payload);
            }
            Ok(Opened::Anonymous(s)) if value == sibling => {
                assert_eq!(s.data(), &input.sibling);
            }
            Ok(other) => panic!("tampered value opened: {value:?} -> {other:?}"),
            Err(e) => {
                assert_eq!(e, OpenError::Invalid, "typed error for {value:?}");
                assert!(
                    value != original && value != sibling,
                    "a real cookie did not open: {e:?}"
                );
            }
        }
    }
    match stores.other_name.open_at::<Payload>(&value, now) {
        Ok(Opened::Anonymous(s)) if value == foreign => assert_eq!(s.data(), &input.sibling),
        Ok(other) => panic!("opened under the other name: {value:?} -> {other:?}"),
        Err(e) => {
            assert_eq!(e, OpenError::Invalid);
            assert_ne!(value, foreign);
        }
    }
});
