//! What is inside the ciphertext (FORMAT.md section 4): the times, the user
//! claim, the session id and the payload's schema number, then the
//! application's payload, postcard-encoded, then zero padding. The times'
//! meaning and rules live in [`crate::store::expiry`], the schemas in
//! [`crate::store::schema`].
//!
//! The envelope is written and read in two steps, the head (everything
//! before the payload) and the payload, so that a payload of an older
//! schema can be decoded as that schema's type and migrated.
//!
//! The head is a handful of varints, two option tags, the user id and
//! eight raw bytes: it is written and read here directly, byte for byte
//! what postcard writes and accepts for the serde structs in the tests
//! below (which hold the two to it), without serde's machinery on every
//! seal and open. The payload is the application's type, through postcard.

#[cfg(test)]
use serde::{Deserialize, Serialize};

use crate::id::SessionId;
use crate::id::{UserClaim, UserClaimRef, UserId};

/// Worst-case postcard size of the four time fields: `issued_at` up to year
/// 9999 (6 bytes), `login_age` and `lifetime` up to 400 days (4 bytes each),
/// `idle` as `Some` (1 + 4 bytes).
pub(crate) const TIMES_MAX_LEN: usize = 6 + 4 + 4 + 5;

/// Worst-case size of the head's session id (8 bytes) and `u32` schema
/// number (at most 5 varint bytes).
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

#[cfg(test)]
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

/// Longest head, whatever its values: three 10-byte varints and an `idle`
/// of 1 + 10 bytes, a text user id of `UserId::MAX_TEXT_LEN` bytes with its
/// option tag, variant tag, 2-byte length and 10-byte epoch, the session
/// id and the schema.
const HEAD_MAX_LEN: usize = 3 * 10 + 11 + 1 + 1 + 2 + UserId::MAX_TEXT_LEN + 10 + V2_EXTRA_MAX_LEN;

/// Writes postcard's encodings into a slice; `None` once it is full.
struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    #[inline]
    fn byte(&mut self, byte: u8) -> Option<()> {
        *self.buf.get_mut(self.pos)? = byte;
        self.pos = self.pos.checked_add(1)?;
        Some(())
    }

    /// An unsigned LEB128 varint, minimal (postcard's `u16`..`u64`).
    #[inline]
    fn varint(&mut self, mut value: u64) -> Option<()> {
        while value >= 0x80 {
            // The low 7 bits, with the continuation bit.
            self.byte(u8::try_from(value & 0x7f).ok()? | 0x80)?;
            value >>= 7;
        }
        self.byte(u8::try_from(value).ok()?)
    }

    #[inline]
    fn bytes(&mut self, bytes: &[u8]) -> Option<()> {
        let end = self.pos.checked_add(bytes.len())?;
        self.buf.get_mut(self.pos..end)?.copy_from_slice(bytes);
        self.pos = end;
        Some(())
    }

    /// `Option<u64>`: tag byte 0, or 1 then the varint.
    #[inline]
    fn option_varint(&mut self, value: Option<u64>) -> Option<()> {
        match value {
            None => self.byte(0),
            Some(v) => {
                self.byte(1)?;
                self.varint(v)
            }
        }
    }

    /// `UserClaim`: the `UserId` enum (variant varint, then the integer or
    /// the length-prefixed text), then the epoch.
    fn claim(&mut self, claim: &UserClaimRef<'_>) -> Option<()> {
        match (claim.id.as_u64(), claim.id.as_str()) {
            (Some(id), _) => {
                self.byte(0)?;
                self.varint(id)?;
            }
            (None, Some(text)) => {
                self.byte(1)?;
                self.varint(u64::try_from(text.len()).ok()?)?;
                self.bytes(text.as_bytes())?;
            }
            (None, None) => return None,
        }
        self.varint(claim.epoch)
    }
}

impl HeadOut<'_> {
    /// Writes the head at the start of `out`; returns the bytes written,
    /// `None` if `out` is too short.
    #[inline]
    pub(crate) fn write(&self, out: &mut [u8]) -> Option<usize> {
        let mut w = Writer { buf: out, pos: 0 };
        w.varint(self.issued_at)?;
        w.varint(self.login_age)?;
        w.varint(self.lifetime)?;
        w.option_varint(self.idle)?;
        match &self.user {
            None => w.byte(0)?,
            Some(claim) => {
                w.byte(1)?;
                w.claim(claim)?;
            }
        }
        w.bytes(&self.session_id.to_bytes())?;
        w.varint(u64::from(self.schema))?;
        Some(w.pos)
    }

    /// The encoded size of the head (`None` only if it could exceed the
    /// longest head, which it cannot).
    pub(crate) fn size(&self) -> Option<usize> {
        self.write(&mut [0u8; HEAD_MAX_LEN])
    }

    #[cfg(test)]
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

    /// What postcard writes for this head (the reference for the tests).
    #[cfg(test)]
    fn postcard(&self) -> Vec<u8> {
        postcard::to_allocvec(&self.v2()).unwrap_or_default()
    }
}

/// The head as read by an open.
#[derive(Debug)]
#[cfg_attr(test, derive(PartialEq))]
pub(crate) struct HeadIn {
    pub(crate) issued_at: u64,
    pub(crate) login_age: u64,
    pub(crate) lifetime: u64,
    pub(crate) idle: Option<u64>,
    pub(crate) user: Option<UserClaim>,
    pub(crate) session_id: SessionId,
    pub(crate) schema: u32,
}

#[cfg(test)]
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

/// Reads postcard's encodings from the front of a slice; `None` for
/// anything postcard would reject.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    #[inline]
    fn byte(&mut self) -> Option<u8> {
        let (&byte, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(byte)
    }

    #[inline]
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (taken, rest) = self.rest.split_at(n);
        self.rest = rest;
        Some(taken)
    }

    /// An unsigned LEB128 varint of at most `max_len` bytes, as postcard
    /// reads a `u64` (10 bytes, last one at most 0x01) or a `u32` (5 bytes,
    /// last one at most 0x0f): non-minimal forms are accepted, a too-long
    /// or out-of-range one is not.
    #[inline]
    fn varint(&mut self, max_len: u32, last_max: u8) -> Option<u64> {
        // Most head varints (tags, small ids and epochs) are one byte.
        if let Some((&byte, rest)) = self.rest.split_first()
            && byte < 0x80
        {
            self.rest = rest;
            return Some(u64::from(byte));
        }
        self.varint_long(max_len, last_max)
    }

    fn varint_long(&mut self, max_len: u32, last_max: u8) -> Option<u64> {
        let mut value: u64 = 0;
        for i in 0..max_len {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f).checked_shl(i.checked_mul(7)?)?;
            if byte & 0x80 == 0 {
                if i.checked_add(1)? == max_len && byte > last_max {
                    return None;
                }
                return Some(value);
            }
        }
        None
    }

    #[inline]
    fn u64(&mut self) -> Option<u64> {
        self.varint(10, 0x01)
    }

    #[inline]
    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.varint(5, 0x0f)?).ok()
    }

    /// Option tag: exactly 0 or 1.
    #[inline]
    fn option(&mut self) -> Option<bool> {
        match self.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    /// `UserClaim`: a `UserId` (variant 0 integer, 1 text of 1 to
    /// `MAX_TEXT_LEN` bytes of UTF-8), then the epoch.
    fn claim(&mut self) -> Option<UserClaim> {
        let id = match self.u32()? {
            0 => UserId::from(self.u64()?),
            1 => {
                let len = usize::try_from(self.u64()?).ok()?;
                // Checked before anything is allocated.
                if len == 0 || len > UserId::MAX_TEXT_LEN {
                    return None;
                }
                let text = core::str::from_utf8(self.take(len)?).ok()?;
                UserId::text(text).ok()?
            }
            _ => return None,
        };
        Some(UserClaim {
            id,
            epoch: self.u64()?,
        })
    }
}

impl HeadIn {
    /// Reads the head of an authenticated plaintext; returns it and the
    /// rest (payload and padding). `None`: malformed.
    #[inline]
    pub(crate) fn read(plaintext: &[u8]) -> Option<(HeadIn, &[u8])> {
        let mut r = Reader { rest: plaintext };
        let issued_at = r.u64()?;
        let login_age = r.u64()?;
        let lifetime = r.u64()?;
        let idle = if r.option()? { Some(r.u64()?) } else { None };
        let user = if r.option()? { Some(r.claim()?) } else { None };
        let id = r.take(SessionId::LEN)?;
        let id = <[u8; SessionId::LEN]>::try_from(id).ok()?;
        let session_id = SessionId::from_bytes(id);
        let schema = r.u32()?;
        Some((
            HeadIn {
                issued_at,
                login_age,
                lifetime,
                idle,
                user,
                session_id,
                schema,
            },
            r.rest,
        ))
    }

    /// What postcard reads for this head (the reference for the tests).
    #[cfg(test)]
    fn read_postcard(plaintext: &[u8]) -> Option<(HeadIn, &[u8])> {
        let (h, rest) = postcard::take_from_bytes::<HeadInV2>(plaintext).ok()?;
        Some((
            HeadIn {
                issued_at: h.issued_at,
                login_age: h.login_age,
                lifetime: h.lifetime,
                idle: h.idle,
                user: h.user,
                session_id: SessionId::from_bytes(h.session_id),
                schema: h.schema,
            },
            rest,
        ))
    }

    /// The length of the head of a dropped format v1 envelope (the v2 head
    /// without session id and schema), to rebuild the v1 cookies v2.json
    /// keeps as history (FORMAT.md section 7). Test builds only.
    #[cfg(test)]
    pub(crate) fn v1_head_len(plaintext: &[u8]) -> Option<usize> {
        let mut r = Reader { rest: plaintext };
        r.u64()?;
        r.u64()?;
        r.u64()?;
        if r.option()? {
            r.u64()?;
        }
        if r.option()? {
            r.claim()?;
        }
        plaintext.len().checked_sub(r.rest.len())
    }
}

/// Whether everything after the payload is zero padding.
pub(crate) fn is_padding(rest: &[u8]) -> bool {
    rest.iter().all(|b| *b == 0)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn user_id() -> impl Strategy<Value = Option<UserId>> {
        prop_oneof![
            Just(None),
            any::<u64>().prop_map(|id| Some(UserId::from(id))),
            prop_oneof![Just(0u64), Just(127), Just(128), Just(16_383), Just(16_384)]
                .prop_map(|id| Some(UserId::from(id))),
            "\\PC{1,64}".prop_filter_map("1 to 128 bytes", |t| UserId::text(t).ok().map(Some)),
            "[a-z]{120,128}".prop_filter_map("1 to 128 bytes", |t| UserId::text(t).ok().map(Some)),
        ]
    }

    /// The values of a head: times, user and epoch, session id, schema.
    type Parts = (
        u64,
        u64,
        u64,
        Option<u64>,
        Option<UserId>,
        u64,
        [u8; 8],
        u32,
    );

    fn wide() -> impl Strategy<Value = u64> {
        prop_oneof![any::<u64>(), 0u64..300, Just(u64::MAX), Just(1 << 63)]
    }

    prop_compose! {
        fn head_parts()(
            issued_at in wide(),
            login_age in wide(),
            lifetime in wide(),
            idle in proptest::option::of(wide()),
            user in user_id(),
            epoch in wide(),
            session_id in any::<[u8; 8]>(),
            schema in prop_oneof![any::<u32>(), 0u32..200],
        ) -> Parts {
            (issued_at, login_age, lifetime, idle, user, epoch, session_id, schema)
        }
    }

    /// The head postcard writes for these parts.
    fn encode(parts: &Parts) -> (Vec<u8>, Option<usize>, Option<usize>) {
        let (issued_at, login_age, lifetime, idle, user, epoch, id, schema) = parts;
        let head = HeadOut {
            issued_at: *issued_at,
            login_age: *login_age,
            lifetime: *lifetime,
            idle: *idle,
            user: user.as_ref().map(|id| UserClaimRef { id, epoch: *epoch }),
            session_id: SessionId::from_bytes(*id),
            schema: *schema,
        };
        let mut buf = [0xa5u8; HEAD_MAX_LEN + 20];
        let written = head.write(&mut buf);
        let reference = head.postcard();
        if let Some(n) = written {
            assert_eq!(&buf[..n], &reference[..], "the bytes postcard writes");
            // One byte short of room: refused, never truncated.
            assert_eq!(head.write(&mut buf[..n - 1]), None);
            assert_eq!(head.write(&mut buf[..n]), Some(n));
        }
        (reference, written, head.size())
    }

    fn same_as_postcard(bytes: &[u8]) {
        assert_eq!(
            HeadIn::read(bytes),
            HeadIn::read_postcard(bytes),
            "bytes {bytes:02x?}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn head_writes_what_postcard_writes(parts in head_parts()) {
            let (reference, written, size) = encode(&parts);
            prop_assert_eq!(written, Some(reference.len()));
            prop_assert_eq!(size, Some(reference.len()));
            same_as_postcard(&reference);
        }

        #[test]
        fn head_reads_what_postcard_reads(
            parts in head_parts(),
            edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..4), 0..4),
            tail in proptest::collection::vec(any::<u8>(), 0..4),
        ) {
            let (mut bytes, _, _) = encode(&parts);
            for (at, byte, kind) in &edits {
                let at = at % (bytes.len() + 1);
                match kind {
                    0 if at < bytes.len() => bytes[at] = *byte,
                    1 => bytes.insert(at, *byte),
                    2 if at < bytes.len() => { bytes.remove(at); }
                    _ => bytes.truncate(at),
                }
            }
            bytes.extend_from_slice(&tail);
            same_as_postcard(&bytes);
        }

        #[test]
        fn head_reads_random_bytes_as_postcard_does(
            bytes in proptest::collection::vec(
                prop_oneof![any::<u8>(), 0u8..3, Just(0x80u8), Just(0xffu8)],
                0..48,
            )
        ) {
            same_as_postcard(&bytes);
        }
    }

    #[test]
    fn head_reads_edge_cases_as_postcard_does() {
        let times = [5u8, 0, 7];
        let mut cases: Vec<Vec<u8>> = Vec::new();
        // Varints at their length and range limits, in every position.
        let varints: [&[u8]; 10] = [
            &[0x80, 0x00],
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
            &[
                0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00,
            ],
            &[0xff, 0xff, 0xff, 0xff, 0x0f],
            &[0xff, 0xff, 0xff, 0xff, 0x10],
            &[0x81, 0x80, 0x80, 0x80, 0x10],
            &[0x80, 0x80, 0x80, 0x80, 0x00],
            &[0x80, 0x80, 0x80, 0x80, 0x80, 0x00],
            &[0x80],
        ];
        for v in varints {
            for at in 0..3 {
                let mut c = Vec::new();
                for (i, t) in times.iter().enumerate() {
                    if i == at {
                        c.extend_from_slice(v);
                    } else {
                        c.push(*t);
                    }
                }
                c.extend_from_slice(&[0, 0]);
                c.extend_from_slice(&[9; 8]);
                cases.push(c.clone());
                c.extend_from_slice(v);
                cases.push(c);
            }
            // idle, user id (integer), epoch, variant tag, text length, schema.
            let mut c = times.to_vec();
            c.push(1);
            c.extend_from_slice(v);
            cases.push(c);
            for prefix in [&[1u8, 0][..], &[1, 0, 3], &[1], &[1, 1]] {
                let mut c = times.to_vec();
                c.push(0);
                c.extend_from_slice(prefix);
                c.extend_from_slice(v);
                c.extend_from_slice(b"abc");
                c.extend_from_slice(&[0; 12]);
                cases.push(c);
            }
        }
        // Option tags, variant tags and text ids.
        for tag in 0u8..=3 {
            cases.push([&times[..], &[tag, 0], &[0; 9]].concat());
            cases.push([&times[..], &[0, tag, 0, 1, 2], &[0; 9]].concat());
            cases.push([&times[..], &[0, 1, tag, 1, b'a', 2], &[0; 9]].concat());
        }
        let long = [b'x'; 129];
        for len in [0usize, 1, 2, 127, 128, 129] {
            let mut c = times.to_vec();
            c.extend_from_slice(&[0, 1, 1]);
            c.extend_from_slice(&postcard::to_allocvec(&(len as u64)).unwrap_or_default());
            c.extend_from_slice(&long[..len.min(129)]);
            c.extend_from_slice(&[4; 12]);
            cases.push(c);
        }
        for text in [
            &[0xffu8, 0xfe][..],
            &[0xed, 0xa0, 0x80],
            &[0xc0, 0xaf],
            &[0xe2, 0x82],
        ] {
            let mut c = times.to_vec();
            c.extend_from_slice(&[0, 1, 1, u8::try_from(text.len()).unwrap_or(0)]);
            c.extend_from_slice(text);
            c.extend_from_slice(&[4; 12]);
            cases.push(c);
        }
        for c in &cases {
            for len in 0..=c.len() {
                same_as_postcard(&c[..len]);
            }
        }
    }
}
