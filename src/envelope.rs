//! What is inside the ciphertext (FORMAT.md section 4): the times, the user
//! claim, in v2 the session id and the payload's schema number, then the
//! application's payload, postcard-encoded, then zero padding. The times'
//! meaning and rules live in [`crate::expiry`], the schemas in
//! [`crate::schema`].
//!
//! The envelope is written and read in two steps, the head (everything
//! before the payload) and the payload, so that a payload of an older
//! schema can be decoded as that schema's type and migrated.

use serde::{Deserialize, Serialize};

use crate::epoch::{UserClaim, UserClaimRef};
use crate::session_id::SessionId;
use crate::wire::{V1, V2};

/// Worst-case postcard size of the four time fields: `issued_at` up to year
/// 9999 (6 bytes), `login_age` and `lifetime` up to 400 days (4 bytes each),
/// `idle` as `Some` (1 + 4 bytes).
pub(crate) const TIMES_MAX_LEN: usize = 6 + 4 + 4 + 5;

/// Worst-case size of what v2 adds to the head: the 8-byte session id and
/// a `u32` schema number (at most 5 varint bytes).
pub(crate) const V2_EXTRA_MAX_LEN: usize = SessionId::LEN + 5;

/// The head as written by a seal (borrows the claim).
pub(crate) struct HeadOut<'a> {
    pub(crate) issued_at: u64,
    pub(crate) login_age: u64,
    pub(crate) lifetime: u64,
    pub(crate) idle: Option<u64>,
    pub(crate) user: Option<UserClaimRef<'a>>,
    pub(crate) session_id: SessionId,
    pub(crate) schema: u32,
}

#[derive(Serialize)]
struct HeadOutV1<'a> {
    issued_at: u64,
    login_age: u64,
    lifetime: u64,
    idle: Option<u64>,
    user: Option<UserClaimRef<'a>>,
}

#[derive(Serialize)]
struct HeadOutV2<'a> {
    issued_at: u64,
    login_age: u64,
    lifetime: u64,
    idle: Option<u64>,
    user: Option<UserClaimRef<'a>>,
    session_id: [u8; SessionId::LEN],
    schema: u32,
}

impl HeadOut<'_> {
    /// Writes the head for format `version` at the start of `out`; returns
    /// the bytes written. A v1 head has no session id and no schema (its
    /// schema is 0).
    pub(crate) fn write(&self, version: u8, out: &mut [u8]) -> postcard::Result<usize> {
        if version == V1 {
            return postcard::to_slice(&self.v1(), out).map(|w| w.len());
        }
        postcard::to_slice(&self.v2(), out).map(|w| w.len())
    }

    /// The encoded size of the head for format `version`.
    pub(crate) fn size(&self, version: u8) -> postcard::Result<usize> {
        let flavor = postcard::ser_flavors::Size::default();
        if version == V1 {
            return postcard::serialize_with_flavor(&self.v1(), flavor);
        }
        postcard::serialize_with_flavor(&self.v2(), flavor)
    }

    fn v1(&self) -> HeadOutV1<'_> {
        HeadOutV1 {
            issued_at: self.issued_at,
            login_age: self.login_age,
            lifetime: self.lifetime,
            idle: self.idle,
            user: self.user,
        }
    }

    fn v2(&self) -> HeadOutV2<'_> {
        HeadOutV2 {
            issued_at: self.issued_at,
            login_age: self.login_age,
            lifetime: self.lifetime,
            idle: self.idle,
            user: self.user,
            session_id: self.session_id.to_bytes(),
            schema: self.schema,
        }
    }
}

/// The head as read by an open.
#[derive(Debug)]
pub(crate) struct HeadIn {
    pub(crate) issued_at: u64,
    pub(crate) login_age: u64,
    pub(crate) lifetime: u64,
    pub(crate) idle: Option<u64>,
    pub(crate) user: Option<UserClaim>,
    /// `None` in a v1 cookie.
    pub(crate) session_id: Option<SessionId>,
    /// 0 in a v1 cookie.
    pub(crate) schema: u32,
}

#[derive(Deserialize)]
struct HeadInV1 {
    issued_at: u64,
    login_age: u64,
    lifetime: u64,
    idle: Option<u64>,
    user: Option<UserClaim>,
}

#[derive(Deserialize)]
struct HeadInV2 {
    issued_at: u64,
    login_age: u64,
    lifetime: u64,
    idle: Option<u64>,
    user: Option<UserClaim>,
    session_id: [u8; SessionId::LEN],
    schema: u32,
}

impl HeadIn {
    /// Reads the head of an authenticated plaintext of format `version`;
    /// returns it and the rest (payload and padding). `None`: malformed.
    pub(crate) fn read(version: u8, plaintext: &[u8]) -> Option<(HeadIn, &[u8])> {
        match version {
            V1 => {
                let (h, rest) = postcard::take_from_bytes::<HeadInV1>(plaintext).ok()?;
                Some((
                    HeadIn {
                        issued_at: h.issued_at,
                        login_age: h.login_age,
                        lifetime: h.lifetime,
                        idle: h.idle,
                        user: h.user,
                        session_id: None,
                        schema: 0,
                    },
                    rest,
                ))
            }
            V2 => {
                let (h, rest) = postcard::take_from_bytes::<HeadInV2>(plaintext).ok()?;
                Some((
                    HeadIn {
                        issued_at: h.issued_at,
                        login_age: h.login_age,
                        lifetime: h.lifetime,
                        idle: h.idle,
                        user: h.user,
                        session_id: Some(SessionId::from_bytes(h.session_id)),
                        schema: h.schema,
                    },
                    rest,
                ))
            }
            _ => None,
        }
    }
}

/// Whether everything after the payload is zero padding.
pub(crate) fn is_padding(rest: &[u8]) -> bool {
    rest.iter().all(|b| *b == 0)
}
