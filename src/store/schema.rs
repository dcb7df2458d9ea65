//! Payload schemas: deploys that change the session struct.
//!
//! postcard is compact because it is not self-describing: a cookie sealed
//! with one session struct does not decode as another (even an added
//! `#[serde(default)]` field fails). So every v2 cookie carries a small
//! *schema number*, and a store knows
//!
//! * its **current** schema: the type `open::<T>` returns;
//! * the **older** schemas it still opens, each with a typed migration to
//!   the current type (run only on authenticated plaintext);
//! * optionally a **previous** schema to *seal* during a rolling deploy,
//!   with a down-migration, so servers of the previous build keep opening
//!   what the new build writes.
//!
//! Migrations are type-erased through postcard itself: an older payload is
//! decoded as its own type, migrated, and re-encoded as the current schema,
//! which `open::<T>` then decodes as `T`. No `Any`, no `'static` bound on
//! the session type, and a mismatch is a typed error rather than a panic.
//! The intermediate bytes are plaintext and are zeroized. Migrations are
//! `Send + Sync + RefUnwindSafe`, so a store stays shareable and unwind-safe.

use core::fmt;
use std::panic::RefUnwindSafe;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::error::{OpenError, SealError};

/// Decodes an older payload at the start of the input, migrates it and
/// re-encodes it as the current schema; returns that and the rest (padding).
type Upgrade = Arc<
    dyn for<'a> Fn(&'a [u8]) -> Result<(Zeroizing<Vec<u8>>, &'a [u8]), OpenError>
        + Send
        + Sync
        + RefUnwindSafe,
>;

/// Re-encodes a current-schema payload as the previous schema.
type Downgrade =
    Arc<dyn Fn(&[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> + Send + Sync + RefUnwindSafe>;

/// The schemas a store opens and seals.
#[derive(Clone, Default)]
pub(crate) struct Schemas {
    pub(crate) current: u32,
    accepted: Vec<(u32, Upgrade)>,
    previous: Option<(u32, Downgrade)>,
}

impl fmt::Debug for Schemas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schemas")
            .field("current", &self.current)
            .field(
                "accepted",
                &self.accepted.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            )
            .field("sealing", &self.sealing())
            .finish()
    }
}

/// What an open does with a payload of a given schema.
pub(crate) enum Decoding<'s> {
    /// The current schema: decode it as the caller's type.
    Current,
    /// An older schema: migrate it first.
    Older(&'s Upgrade),
}

impl Schemas {
    /// The schema number new cookies are sealed with.
    pub(crate) fn sealing(&self) -> u32 {
        self.previous.as_ref().map_or(self.current, |(n, _)| *n)
    }

    /// Whether a down-migration runs on every seal.
    pub(crate) fn downgrade(&self) -> Option<&Downgrade> {
        self.previous.as_ref().map(|(_, d)| d)
    }

    /// How to decode a payload of `schema`, or `None` if it is unknown.
    pub(crate) fn decoding(&self, schema: u32) -> Option<Decoding<'_>> {
        if schema == self.current {
            return Some(Decoding::Current);
        }
        self.accepted
            .iter()
            .find(|(n, _)| *n == schema)
            .map(|(_, up)| Decoding::Older(up))
    }

    pub(crate) fn is_known(&self, schema: u32) -> bool {
        schema == self.current || self.accepted.iter().any(|(n, _)| *n == schema)
    }

    pub(crate) fn add_accepted<Old, Cur, E>(
        &mut self,
        schema: u32,
        migrate: impl Fn(Old) -> Result<Cur, E> + Send + Sync + RefUnwindSafe + 'static,
    ) -> bool
    where
        Old: DeserializeOwned,
        Cur: Serialize,
    {
        if self.is_known(schema) {
            return false;
        }
        let upgrade: Upgrade = Arc::new(move |bytes: &[u8]| {
            let (old, rest) =
                postcard::take_from_bytes::<Old>(bytes).map_err(|_| OpenError::Decode)?;
            let current = migrate(old).map_err(|_| OpenError::Migration)?;
            let encoded = postcard::to_allocvec(&current).map_err(|_| OpenError::Migration)?;
            Ok((Zeroizing::new(encoded), rest))
        });
        self.accepted.push((schema, upgrade));
        true
    }

    pub(crate) fn set_previous<Cur, Old>(
        &mut self,
        schema: u32,
        migrate: impl Fn(Cur) -> Old + Send + Sync + RefUnwindSafe + 'static,
    ) where
        Cur: DeserializeOwned,
        Old: Serialize,
    {
        let downgrade: Downgrade = Arc::new(move |bytes: &[u8]| {
            let current = postcard::from_bytes::<Cur>(bytes).map_err(|_| SealError::Serialize)?;
            let old = migrate(current);
            postcard::to_allocvec(&old)
                .map(Zeroizing::new)
                .map_err(|_| SealError::Serialize)
        });
        self.previous = Some((schema, downgrade));
    }

    /// Whether the configuration can work: the previous schema, if any, is
    /// one this store opens (a build must open what it seals).
    pub(crate) fn is_consistent(&self) -> bool {
        self.previous
            .as_ref()
            .is_none_or(|(n, _)| *n != self.current && self.is_known(*n))
    }
}
