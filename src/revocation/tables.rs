//! The revoked-entry tables: session ids in shards keyed by the id itself,
//! users in one table, each with an expiry heap for the purge.

use core::cmp::Ordering as CmpOrdering;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use crate::id::UserId;

/// Session entries are spread over this many independently locked shards,
/// so a writer (an insert that grows a table, a purge batch) holds up only
/// the readers of one shard, for a short time.
pub(super) const SHARDS: usize = 16;
/// `(id >> 32) & SHARD_MASK` picks a shard (`SHARDS` is a power of two);
/// the table inside uses the low and the top bits, independent of these.
pub(super) const SHARD_MASK: u64 = 15;

/// The hasher of the session-id tables: the id is its own hash. Session
/// ids are uniformly random (64 bits from the CSPRNG, drawn by the server
/// and authenticated inside the cookie), so a client cannot pick them to
/// collide, and SipHash would only add its cost to every check.
#[derive(Clone, Copy, Default)]
pub(super) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Not used by `u64` keys; a plain fold keeps it total.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(super) type IdTable = HashMap<u64, i64, BuildHasherDefault<IdHasher>>;

/// Most expired entries removed per lock hold during a purge.
pub(super) const PURGE_BATCH: usize = 1024;

/// An expiry-ordered item: a key and the unix second its entry may go.
/// Ordered by the deadline only.
pub(super) struct Due<K> {
    pub(super) deadline: i64,
    pub(super) key: K,
}

impl<K> PartialEq for Due<K> {
    fn eq(&self, other: &Self) -> bool {
        self.deadline == other.deadline
    }
}
impl<K> Eq for Due<K> {}
impl<K> PartialOrd for Due<K> {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}
impl<K> Ord for Due<K> {
    // Reversed: `BinaryHeap` is a max-heap, the earliest deadline goes first.
    fn cmp(&self, other: &Self) -> CmpOrdering {
        other.deadline.cmp(&self.deadline)
    }
}

/// Revoked session ids (and their deadlines) of one shard.
#[derive(Default)]
pub(super) struct SessionShard {
    /// Session id -> the unix second the entry may go.
    pub(super) deadlines: IdTable,
    pub(super) due: BinaryHeap<Due<u64>>,
}

/// Revoked users: the latest "logged in until" time of each.
#[derive(Default)]
pub(super) struct UserTable {
    /// User -> (sessions logged in at or before this unix second are
    /// revoked, the purge deadline the entry was kept for: the lifetime can
    /// grow while it lives, see `RevocationSet::cover_store`).
    pub(super) until: HashMap<UserId, (i64, i64)>,
    pub(super) due: BinaryHeap<Due<UserId>>,
}
