//! The feed's message format, version 1 (see the module docs of
//! [`crate::redis`]): one short ASCII line per revocation, the same bytes
//! in the stream entry and in the snapshot.

use core::fmt;
use core::fmt::Write as _;

use time::OffsetDateTime;

use crate::epoch::UserId;
use crate::revocation::Revocation;
use crate::session_id::SessionId;

/// The message version this build writes and reads.
pub(crate) const VERSION: &str = "1";

/// Longest message accepted, in bytes (a session message is at most 33
/// bytes, a user message at most 147).
///
/// # Example
/// ```
/// assert_eq!(sealed_session::redis::MAX_MESSAGE_LEN, 256);
/// ```
pub const MAX_MESSAGE_LEN: usize = 256;

/// Largest unix time in a message: 9999-12-31T23:59:59Z.
const MAX_UNIX: i64 = 253_402_300_799;

/// Why a feed message was rejected (never applied).
///
/// # Example
/// ```
/// use sealed_session::redis::RejectReason;
///
/// assert_eq!(RejectReason::UnknownVersion.to_string(), "unknown message version");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectReason {
    /// Not a well-formed message of a known version (bad field, bad number,
    /// not UTF-8, wrong stream-entry fields, ...).
    Malformed,
    /// Longer than [`MAX_MESSAGE_LEN`] (or a stream entry with more bytes
    /// than one message can have).
    Oversized,
    /// A version this build does not know (written by a newer one).
    UnknownVersion,
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RejectReason::Malformed => "malformed message",
            RejectReason::Oversized => "oversized message",
            RejectReason::UnknownVersion => "unknown message version",
        })
    }
}

/// The message for a revocation.
pub(crate) fn encode(revocation: &Revocation) -> String {
    let mut out = String::with_capacity(48);
    // Writing to a `String` cannot fail.
    let _ = match revocation {
        Revocation::Session { id, expires_at } => {
            write!(out, "{VERSION}:s:{id}:{}", expires_at.unix_timestamp())
        }
        Revocation::User {
            user,
            logged_in_until,
        } => match (user.as_u64(), user.as_str()) {
            (Some(n), _) => write!(
                out,
                "{VERSION}:u:{}:i:{n}",
                logged_in_until.unix_timestamp()
            ),
            (None, Some(text)) => write!(
                out,
                "{VERSION}:u:{}:t:{text}",
                logged_in_until.unix_timestamp()
            ),
            (None, None) => Ok(()),
        },
    };
    out
}

/// Parses a message. Never panics, whatever the bytes.
pub(crate) fn parse(bytes: &[u8]) -> Result<Revocation, RejectReason> {
    if bytes.len() > MAX_MESSAGE_LEN {
        return Err(RejectReason::Oversized);
    }
    let text = core::str::from_utf8(bytes).map_err(|_| RejectReason::Malformed)?;
    let (version, rest) = text.split_once(':').ok_or(RejectReason::Malformed)?;
    if version != VERSION {
        return Err(if is_decimal(version, 9) {
            RejectReason::UnknownVersion
        } else {
            RejectReason::Malformed
        });
    }
    let (kind, rest) = rest.split_once(':').ok_or(RejectReason::Malformed)?;
    match kind {
        "s" => {
            let (id, expires) = rest.split_once(':').ok_or(RejectReason::Malformed)?;
            Ok(Revocation::Session {
                id: session_id(id)?,
                expires_at: time(expires)?,
            })
        }
        "u" => {
            let (until, rest) = rest.split_once(':').ok_or(RejectReason::Malformed)?;
            let (form, id) = rest.split_once(':').ok_or(RejectReason::Malformed)?;
            let user = match form {
                "i" if is_decimal(id, 20) => {
                    UserId::from(id.parse::<u64>().map_err(|_| RejectReason::Malformed)?)
                }
                "t" => UserId::text(id).map_err(|_| RejectReason::Malformed)?,
                _ => return Err(RejectReason::Malformed),
            };
            Ok(Revocation::User {
                user,
                logged_in_until: time(until)?,
            })
        }
        _ => Err(RejectReason::Malformed),
    }
}

/// 1 to `max` ASCII digits, nothing else (no sign, no space), and no
/// leading zero: one number has one spelling.
fn is_decimal(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s == "0" || !s.starts_with('0'))
}

fn session_id(hex: &str) -> Result<SessionId, RejectReason> {
    if hex.len() != 16
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(RejectReason::Malformed);
    }
    u64::from_str_radix(hex, 16)
        .map(SessionId::from_u64)
        .map_err(|_| RejectReason::Malformed)
}

fn time(digits: &str) -> Result<OffsetDateTime, RejectReason> {
    if !is_decimal(digits, 12) {
        return Err(RejectReason::Malformed);
    }
    let secs = digits.parse::<i64>().map_err(|_| RejectReason::Malformed)?;
    if secs > MAX_UNIX {
        return Err(RejectReason::Malformed);
    }
    OffsetDateTime::from_unix_timestamp(secs).map_err(|_| RejectReason::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(secs).unwrap()
    }

    #[test]
    fn round_trips() {
        let cases = [
            Revocation::session(
                SessionId::from_u64(0x0123_4567_89ab_cdef),
                at(1_800_000_000),
            ),
            Revocation::session(SessionId::from_u64(u64::MAX), at(MAX_UNIX)),
            Revocation::user(UserId::from(42u64), at(0)),
            Revocation::user(UserId::from(u64::MAX), at(1)),
            Revocation::user(UserId::text("al:ice:\u{e9}").unwrap(), at(7)),
            Revocation::user(
                UserId::text("x".repeat(UserId::MAX_TEXT_LEN)).unwrap(),
                at(MAX_UNIX),
            ),
        ];
        for r in cases {
            let m = encode(&r);
            assert!(m.len() <= MAX_MESSAGE_LEN, "{m}");
            assert_eq!(parse(m.as_bytes()), Ok(r));
        }
        assert_eq!(
            encode(&Revocation::session(SessionId::from_u64(1), at(5))),
            "1:s:0000000000000001:5"
        );
        assert_eq!(
            encode(&Revocation::user(UserId::from(3u64), at(9))),
            "1:u:9:i:3"
        );
    }

    #[test]
    fn rejects() {
        use RejectReason::*;
        let cases: &[(&[u8], RejectReason)] = &[
            (b"", Malformed),
            (b"1", Malformed),
            (b"2:s:0000000000000001:5", UnknownVersion),
            (b"10:s:0000000000000001:5", UnknownVersion),
            (b"v1:s:0000000000000001:5", Malformed),
            (b"1:x:0000000000000001:5", Malformed),
            (b"1:s:000000000000001:5", Malformed),
            (b"1:s:000000000000000G:5", Malformed),
            (b"1:s:000000000000000A:5", Malformed),
            (b"1:s:+000000000000001:5", Malformed),
            (b"1:s:0000000000000001:", Malformed),
            (b"1:s:0000000000000001:-5", Malformed),
            (b"1:s:0000000000000001:+5", Malformed),
            (b"1:s:0000000000000001:05", Malformed),
            (b"1:u:5:i:007", Malformed),
            (b"01:s:0000000000000001:5", Malformed),
            (b"1:s:0000000000000001:253402300800", Malformed),
            (b"1:s:0000000000000001:5:6", Malformed),
            (b"1:u:5:i:", Malformed),
            (b"1:u:5:i:18446744073709551616", Malformed),
            (b"1:u:5:i:1a", Malformed),
            (b"1:u:5:t:", Malformed),
            (b"1:u:5:q:1", Malformed),
            (b"1:u::i:1", Malformed),
            (b"1:u:5", Malformed),
            (b"1:s:\xff\xfe", Malformed),
        ];
        for (bytes, reason) in cases {
            assert_eq!(
                parse(bytes),
                Err(*reason),
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
        let long = format!("1:u:5:t:{}", "x".repeat(UserId::MAX_TEXT_LEN + 1));
        assert_eq!(parse(long.as_bytes()), Err(Malformed));
        let huge = vec![b'1'; MAX_MESSAGE_LEN + 1];
        assert_eq!(parse(&huge), Err(Oversized));
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_parse_without_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let parsed = parse(&bytes);
            if bytes.len() > MAX_MESSAGE_LEN {
                proptest::prop_assert_eq!(&parsed, &Err(RejectReason::Oversized));
            }
            // Whatever parses is exactly what it encodes back to.
            if let Ok(r) = parsed {
                proptest::prop_assert_eq!(encode(&r).into_bytes(), bytes);
            }
        }

        #[test]
        fn every_revocation_round_trips(
            id in proptest::num::u64::ANY,
            secs in 0i64..=MAX_UNIX,
            text in "[^\\x00]{1,40}",
            numeric in proptest::num::u64::ANY,
        ) {
            let user = UserId::text(text).unwrap();
            for r in [
                Revocation::session(SessionId::from_u64(id), at(secs)),
                Revocation::user(user.clone(), at(secs)),
                Revocation::user(UserId::from(numeric), at(secs)),
            ] {
                let m = encode(&r);
                proptest::prop_assert!(m.len() <= MAX_MESSAGE_LEN);
                proptest::prop_assert_eq!(parse(m.as_bytes()), Ok(r));
            }
        }
    }
}
