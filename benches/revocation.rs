//! The request-path cost of `RevocationSet::check` with 10^6 live session
//! entries (and 10^4 user entries): the same cookie again and again (hot
//! cache) and 65 536 different cookies in turn (random access over the
//! tables), for an anonymous session (one lookup), a user session (two),
//! and a user session of a fed set (two, plus the monotonic clock for the
//! staleness test; `_at`: with the caller's `Instant`, as a middleware that
//! already read the clock passes it).
//! Then the memory of the 10^6 entries, measured two ways: the resident set
//! size of this process before and after filling the set (`/proc/self/statm`),
//! and the set's own capacity-based estimate (`heap_bytes`).
//!
//! The comparison with the SQLite epoch lookup the demo does per request is
//! in the demo crate (`cargo bench -p demo --bench revocation_vs_sqlite`),
//! so rusqlite stays out of this crate's tree.
//!
//! `cargo bench --bench revocation`; `SEALED_BENCH_QUICK=1` for a short run.

mod common;

use std::hint::black_box;
use std::time::SystemTime;

use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{
    FeedOptions, Key, KeyRing, Opened, Revocation, RevocationSet, SessionId, SessionInfo,
    SessionStore, UserId,
};

const ENTRIES: u64 = 1_000_000;
const USERS: u64 = 10_000;
const COOKIES: usize = 1 << 16;

/// A fixed permutation-like sequence (splitmix64): ids spread like random
/// ones, the same on every run.
fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn fill(set: &RevocationSet, now: OffsetDateTime) {
    let expires_at = now + Duration::hours(8);
    for i in 0..ENTRIES {
        set.revoke_at(
            Revocation::Session {
                id: SessionId::from_u64(splitmix(i)),
                expires_at,
            },
            now,
        );
    }
    for u in 0..USERS {
        set.revoke_at(
            Revocation::User {
                user: UserId::from(1_000_000 + u),
                logged_in_until: now - Duration::hours(1),
            },
            now,
        );
    }
}

fn main() {
    let store = SessionStore::builder("__Host-sid", KeyRing::new(1, Key::generate()))
        .ttl(Duration::hours(8))
        .build()
        .unwrap();
    let now = OffsetDateTime::now_utc();

    // Memory first, on a quiet heap.
    let before = resident_bytes();
    let set = RevocationSet::new(&store);
    fill(&set, now);
    let after = resident_bytes();
    let rss = after.saturating_sub(before);
    let estimate = set.stats().heap_bytes;
    let entries = set.stats().entries;

    // The cookies checked: logged in now (after the users' revocations, so
    // every check does every lookup and passes), for users 0..COOKIES.
    let infos: Vec<(SessionInfo, UserId)> = (0..COOKIES)
        .map(|i| {
            let user = UserId::from(u64::try_from(i).unwrap());
            let cookie = store.seal_for_user_at(&user, 0, &(), now).unwrap();
            let opened = store.open_at::<()>(cookie.value(), now).unwrap();
            let Opened::User(pending) = opened else {
                unreachable!()
            };
            (*pending.info(), user)
        })
        .collect();
    let fed = RevocationSet::new(&store);
    fill(&fed, now);
    let link = fed.attach_feed(FeedOptions::default(), |_| {}).unwrap();
    link.confirm(std::time::Instant::now() + std::time::Duration::from_secs(3600));

    let start = SystemTime::now();
    let mut c = common::criterion();
    {
        let mut g = c.benchmark_group("revocation_check");
        let (info, user) = &infos[0];
        g.bench_function("hot_anonymous", |b| {
            b.iter(|| set.check(black_box(info), None))
        });
        g.bench_function("hot_user", |b| {
            b.iter(|| set.check(black_box(info), Some(black_box(user))))
        });
        g.bench_function("hot_user_fed", |b| {
            b.iter(|| fed.check(black_box(info), Some(black_box(user))))
        });
        let t = std::time::Instant::now();
        g.bench_function("hot_user_fed_at", |b| {
            b.iter(|| fed.check_at(black_box(info), Some(black_box(user)), black_box(t)))
        });
        let mut i = 0usize;
        g.bench_function("random_anonymous", |b| {
            b.iter(|| {
                i = (i + 1) & (COOKIES - 1);
                let (info, _) = &infos[i];
                set.check(black_box(info), None)
            })
        });
        g.bench_function("random_user", |b| {
            b.iter(|| {
                i = (i + 1) & (COOKIES - 1);
                let (info, user) = &infos[i];
                set.check(black_box(info), Some(black_box(user)))
            })
        });
        g.bench_function("random_user_fed", |b| {
            b.iter(|| {
                i = (i + 1) & (COOKIES - 1);
                let (info, user) = &infos[i];
                fed.check(black_box(info), Some(black_box(user)))
            })
        });
        g.finish();
    }
    c.final_summary();
    assert!(
        infos
            .iter()
            .all(|(info, user)| set.check(info, Some(user)).is_ok())
    );

    println!();
    println!("revocation set: {entries} live entries ({ENTRIES} sessions, {USERS} users)");
    println!(
        "  memory, resident set growth: {:.1} MiB = {:.1} bytes per entry",
        rss as f64 / 1048576.0,
        rss as f64 / entries as f64
    );
    println!(
        "  memory, capacity estimate:   {:.1} MiB = {:.1} bytes per entry",
        estimate as f64 / 1048576.0,
        estimate as f64 / entries as f64
    );
    println!("  check, median ns (criterion, this run):");
    for name in [
        "hot_anonymous",
        "hot_user",
        "hot_user_fed",
        "hot_user_fed_at",
        "random_anonymous",
        "random_user",
        "random_user_fed",
    ] {
        let ns = common::median_ns("revocation_check", name, start)
            .map_or("-".to_owned(), |ns| format!("{ns:.1}"));
        println!("    {name:<18} {ns:>8}");
    }
}
