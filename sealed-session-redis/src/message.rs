//! The feed's message format, version 1 (see the crate docs): one short
//! ASCII line per revocation (the same bytes in the stream entry and in the
//! snapshot), or per heartbeat (stream only).

use core::fmt;

use time::OffsetDateTime;

use sealed_session::{Revocation, SessionId, UserId};

/// The message version this build writes and reads.
pub(crate) const VERSION: &str = "1";

/// Longest message accepted, in bytes (a session message is at most 33
/// bytes, a user message at most 147).
///
/// # Example
/// ```
/// assert_eq!(sealed_session_redis::MAX_MESSAGE_LEN, 256);
/// ```
pub const MAX_MESSAGE_LEN: usize = 256;

/// Largest unix time in a message: 9999-12-31T23:59:59Z.
const MAX_UNIX: i64 = 253_402_300_799;

/// Why a feed message was rejected (never applied).
///
/// # Example
/// ```
/// use sealed_session_redis::RejectReason;
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

/// A parsed message: a revocation, or a server's heartbeat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Message {
    /// `1:s:...` or `1:u:...`.
    Revocation(Revocation),
    /// `1:h:<nonce, 16 lowercase hex digits>:<sequence, decimal>`: written
    /// by the server whose feed drew `nonce`, through the same path as its
    /// revocations; it proves to that server that writes work and come
    /// back. Other servers skip it.
    Heartbeat {
        /// The writing feed's random nonce.
        nonce: u64,
        /// Its sequence number, from 1.
        seq: u64,
    },
}

/// The message of a heartbeat.
pub(crate) fn encode_heartbeat(nonce: u64, seq: u64) -> String {
    format!("{VERSION}:h:{nonce:016x}:{seq}")
}

/// The message for a revocation (`None` for a kind this version cannot
/// write).
pub(crate) fn encode(revocation: &Revocation) -> Option<String> {
    match revocation {
        Revocation::Session { id, expires_at } => {
            Some(format!("{VERSION}:s:{id}:{}", expires_at.unix_timestamp()))
        }
        Revocation::User {
            user,
            logged_in_until,
        } => {
            let until = logged_in_until.unix_timestamp();
            match (user.as_u64(), user.as_str()) {
                (Some(n), _) => Some(format!("{VERSION}:u:{until}:i:{n}")),
                (None, Some(text)) => Some(format!("{VERSION}:u:{until}:t:{text}")),
                (None, None) => None,
            }
        }
        _ => None,
    }
}

/// Parses a revocation message (a heartbeat is rejected as malformed).
/// Never panics, whatever the bytes.
#[cfg(test)]
pub(crate) fn parse(bytes: &[u8]) -> Result<Revocation, RejectReason> {
    match parse_message(bytes)? {
        Message::Revocation(r) => Ok(r),
        Message::Heartbeat { .. } => Err(RejectReason::Malformed),
    }
}

/// Parses a message. Never panics, whatever the bytes.
pub(crate) fn parse_message(bytes: &[u8]) -> Result<Message, RejectReason> {
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
            Ok(Message::Revocation(Revocation::Session {
                id: session_id(id)?,
                expires_at: time(expires)?,
            }))
        }
        "h" => {
            let (nonce, seq) = rest.split_once(':').ok_or(RejectReason::Malformed)?;
            if !is_decimal(seq, 20) {
                return Err(RejectReason::Malformed);
            }
            Ok(Message::Heartbeat {
                nonce: session_id(nonce)?.as_u64(),
                seq: seq.parse::<u64>().map_err(|_| RejectReason::Malformed)?,
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
            Ok(Message::Revocation(Revocation::User {
                user,
                logged_in_until: time(until)?,
            }))
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
            Revocation::Session {
                id: SessionId::from_u64(0x0123_4567_89ab_cdef),
                expires_at: at(1_800_000_000),
            },
            Revocation::Session {
                id: SessionId::from_u64(u64::MAX),
                expires_at: at(MAX_UNIX),
            },
            Revocation::User {
                user: UserId::from(42u64),
                logged_in_until: at(0),
            },
            Revocation::User {
                user: UserId::from(u64::MAX),
                logged_in_until: at(1),
            },
            Revocation::User {
                user: UserId::text("al:ice:\u{e9}").unwrap(),
                logged_in_until: at(7),
            },
            Revocation::User {
                user: UserId::text("x".repeat(UserId::MAX_TEXT_LEN)).unwrap(),
                logged_in_until: at(MAX_UNIX),
            },
        ];
        for r in cases {
            let m = encode(&r).unwrap();
            assert!(m.len() <= MAX_MESSAGE_LEN, "{m}");
            assert_eq!(parse(m.as_bytes()), Ok(r));
        }
        assert_eq!(
            encode(&Revocation::Session {
                id: SessionId::from_u64(1),
                expires_at: at(5)
            })
            .unwrap(),
            "1:s:0000000000000001:5"
        );
        assert_eq!(
            encode(&Revocation::User {
                user: UserId::from(3u64),
                logged_in_until: at(9)
            })
            .unwrap(),
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

    #[test]
    fn heartbeats() {
        let m = encode_heartbeat(0x00ab_cdef_0123_4567, 42);
        assert_eq!(m, "1:h:00abcdef01234567:42");
        assert_eq!(
            parse_message(m.as_bytes()),
            Ok(Message::Heartbeat {
                nonce: 0x00ab_cdef_0123_4567,
                seq: 42
            })
        );
        let max = encode_heartbeat(u64::MAX, u64::MAX);
        assert!(max.len() <= MAX_MESSAGE_LEN);
        assert!(matches!(
            parse_message(max.as_bytes()),
            Ok(Message::Heartbeat {
                nonce: u64::MAX,
                seq: u64::MAX
            })
        ));
        // a heartbeat is no revocation
        assert_eq!(parse(m.as_bytes()), Err(RejectReason::Malformed));
        for bad in [
            &b"1:h:00abcdef01234567"[..],
            b"1:h:00abcdef01234567:",
            b"1:h:00abcdef01234567:042",
            b"1:h:00abcdef01234567:-1",
            b"1:h:00abcdef01234567:18446744073709551616",
            b"1:h:00ABCDEF01234567:1",
            b"1:h:abcdef01234567:1",
            b"1:h:00abcdef01234567:1:2",
            b"2:h:00abcdef01234567:1",
        ] {
            assert!(
                parse_message(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_parse_without_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let parsed = parse_message(&bytes);
            if bytes.len() > MAX_MESSAGE_LEN {
                proptest::prop_assert_eq!(&parsed, &Err(RejectReason::Oversized));
            }
            // Whatever parses is exactly what it encodes back to.
            match parsed {
                Ok(Message::Revocation(r)) => {
                    proptest::prop_assert_eq!(encode(&r).unwrap().into_bytes(), bytes);
                }
                Ok(Message::Heartbeat { nonce, seq }) => {
                    proptest::prop_assert_eq!(encode_heartbeat(nonce, seq).into_bytes(), bytes);
                }
                Err(_) => {}
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
                Revocation::Session { id: SessionId::from_u64(id), expires_at: at(secs) },
                Revocation::User { user: user.clone(), logged_in_until: at(secs) },
                Revocation::User { user: UserId::from(numeric), logged_in_until: at(secs) },
            ] {
                let m = encode(&r).unwrap();
                proptest::prop_assert!(m.len() <= MAX_MESSAGE_LEN);
                proptest::prop_assert_eq!(parse(m.as_bytes()), Ok(r));
            }
        }
    }
}
