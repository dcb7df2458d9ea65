//! The request-path cost of the revocation check against the SQLite epoch
//! lookup it replaces in the demo, in one run:
//!
//! * `demo_db_user`: the demo's own lookup, `Db::user(id)` (the mutexed
//!   connection on `spawn_blocking`, `SELECT username, epoch FROM users
//!   WHERE id = ?1`), awaited from a tokio runtime, over 10 000 users;
//! * `sqlite_prepared`: the same query on a cached prepared statement, in
//!   process with no thread hop (SQLite's best case), over 10^6 users;
//! * `revocation_check`: `RevocationSet::check` of a user session with 10^6
//!   live session entries and 10^4 user entries.
//!
//! Ends with the ratios. `cargo bench -p demo --bench revocation_vs_sqlite`;
//! `SEALED_BENCH_QUICK=1` for a short run.
// A bench: a failed setup step should stop it loudly.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use demo::Db;
use rusqlite::{Connection, params};
use sealed_session::time::OffsetDateTime;
use sealed_session::{
    Key, KeyRing, Opened, Revocation, RevocationSet, SessionId, SessionInfo, SessionStore, UserId,
};

const DB_USERS: u64 = 10_000;
const SQL_USERS: i64 = 1_000_000;
const ENTRIES: u64 = 1_000_000;

fn quick() -> bool {
    std::env::var_os("SEALED_BENCH_QUICK").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Mean time per call of `f` over `iters` calls, after a warm-up.
fn mean(mut f: impl FnMut(), iters: u32) -> Duration {
    for _ in 0..iters / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed() / iters
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // The demo's database, as the app uses it.
    let db = Db::in_memory().unwrap();
    rt.block_on(async {
        for i in 0..DB_USERS {
            db.create_user(format!("user{i}"), "not-a-real-hash".into(), 0)
                .await
                .unwrap()
                .unwrap();
        }
    });

    // Plain SQLite, same schema, 10^6 rows.
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL UNIQUE,
         password_hash TEXT NOT NULL, epoch INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);",
    )
    .unwrap();
    {
        let tx = conn.unchecked_transaction().unwrap();
        let mut insert = tx
            .prepare("INSERT INTO users (username, password_hash, epoch, created_at) VALUES (?1, 'x', 0, 0)")
            .unwrap();
        for i in 0..SQL_USERS {
            insert.execute(params![format!("user{i}")]).unwrap();
        }
        drop(insert);
        tx.commit().unwrap();
    }

    // The revocation set, 10^6 sessions and 10^4 users revoked.
    let store = SessionStore::builder("__Host-sid", KeyRing::new(1, Key::generate()))
        .build()
        .unwrap();
    let now = OffsetDateTime::now_utc();
    let set = RevocationSet::new(&store);
    let expires_at = now + time::Duration::hours(8);
    for i in 0..ENTRIES {
        let id = SessionId::from_u64(i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        set.revoke_at(Revocation::Session { id, expires_at }, now);
    }
    for u in 0..10_000u64 {
        let until = now - time::Duration::hours(1);
        set.revoke_at(
            Revocation::User {
                user: UserId::from(1_000_000 + u),
                logged_in_until: until,
            },
            now,
        );
    }
    let user = UserId::from(42u64);
    let cookie = store.seal_for_user_at(&user, 0, &(), now).unwrap();
    let Opened::User(pending) = store.open_at::<()>(cookie.value(), now).unwrap() else {
        unreachable!()
    };
    let info: SessionInfo = *pending.info();
    assert!(set.check(&info, Some(&user)).is_ok());

    let mut c = Criterion::default();
    if quick() {
        c = c
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(700))
            .sample_size(10);
    }
    let mut c = c.configure_from_args();
    let mut g = c.benchmark_group("per_request_check");
    let mut id = 0u64;
    g.bench_function("demo_db_user", |b| {
        b.iter(|| {
            id = id % DB_USERS + 1;
            rt.block_on(db.user(black_box(id))).unwrap()
        })
    });
    let mut stmt = conn
        .prepare_cached("SELECT username, epoch FROM users WHERE id = ?1")
        .unwrap();
    let mut row = 0i64;
    g.bench_function("sqlite_prepared", |b| {
        b.iter(|| {
            row = row % SQL_USERS + 1;
            stmt.query_row(params![black_box(row)], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .unwrap()
        })
    });
    g.bench_function("revocation_check", |b| {
        b.iter(|| set.check(black_box(&info), Some(black_box(&user))))
    });
    g.finish();

    // The ratio table, from plain means of this run (criterion's own
    // numbers are above).
    let iters = if quick() { 2_000 } else { 20_000 };
    let mut id = 0u64;
    let demo = mean(
        || {
            id = id % DB_USERS + 1;
            black_box(rt.block_on(db.user(id)).unwrap());
        },
        iters,
    );
    let mut row = 0i64;
    let sqlite = mean(
        || {
            row = row % SQL_USERS + 1;
            black_box(
                stmt.query_row(params![row], |r| r.get::<_, i64>(1))
                    .unwrap(),
            );
        },
        iters * 10,
    );
    let check = mean(
        || {
            let _ = black_box(set.check(black_box(&info), Some(&user)));
        },
        iters * 100,
    );
    let ns = |d: Duration| d.as_secs_f64() * 1e9;
    println!();
    println!("per-request check, mean of this run:");
    println!(
        "  demo Db::user (spawn_blocking + SQLite) {:>10.0} ns",
        ns(demo)
    );
    println!(
        "  SQLite prepared statement, in process   {:>10.0} ns",
        ns(sqlite)
    );
    println!(
        "  RevocationSet::check (10^6 entries)     {:>10.1} ns",
        ns(check)
    );
    println!(
        "  ratios: demo lookup / check = {:.0}x, prepared SQLite / check = {:.0}x",
        ns(demo) / ns(check),
        ns(sqlite) / ns(check)
    );
}
