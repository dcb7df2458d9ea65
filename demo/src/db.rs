//! Users, their argon2 password hashes and their session epochs, in SQLite.
//!
//! One connection behind a mutex, used from `spawn_blocking`: plenty for a
//! demo. The epoch is the "log out everywhere" counter: every session cookie
//! carries the epoch current at login, and bumping it revokes them all.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    -- AUTOINCREMENT: ids of deleted users are never handed out again, so an
    -- old cookie can never name a new user.
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    epoch         INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
-- One row per login (one device): what the 'your sessions' page lists and
-- 'log out this device' revokes. The session cookie itself stays the only
-- thing read per request; this table is read on that page alone.
CREATE TABLE IF NOT EXISTS sessions (
    -- The session id the cookie carries, as a signed 64-bit integer.
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL,
    logged_in_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    user_agent   TEXT    NOT NULL,
    ended_at     INTEGER
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id, logged_in_at);
";

/// A database error (already logged-safe: no passwords, no hashes).
#[derive(Debug)]
pub struct DbError(String);

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "database error: {}", self.0)
    }
}

impl std::error::Error for DbError {}

impl From<rusqlite::Error> for DbError {
    fn from(err: rusqlite::Error) -> DbError {
        DbError(err.to_string())
    }
}

/// A user as the app needs it on every request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Row id (never reused).
    pub id: u64,
    /// Unique user name.
    pub username: String,
    /// Current session epoch.
    pub epoch: u64,
}

/// A user with their password hash, for login.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The user.
    pub user: User,
    /// PHC string of the argon2 hash.
    pub password_hash: String,
}

/// One login of a user, as the "your sessions" page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    /// The session id the cookie carries ([`sealed_session::SessionId`]).
    pub id: u64,
    /// Login time, unix seconds.
    pub logged_in_at: i64,
    /// The session's absolute deadline, unix seconds.
    pub expires_at: i64,
    /// The browser's `User-Agent` at login (at most 200 characters).
    pub user_agent: String,
    /// When it was logged out (this device, or everywhere), unix seconds.
    pub ended_at: Option<i64>,
}

/// The database handle. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db(Arc<Mutex<Connection>>);

impl Db {
    /// Opens (creating the file and the schema on first start) the database
    /// at `path`; `":memory:"` for a private in-memory one.
    ///
    /// # Errors
    /// If SQLite cannot open or initialise the file.
    pub fn open(path: &Path) -> Result<Db, DbError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Db(Arc::new(Mutex::new(conn))))
    }

    /// A fresh in-memory database (tests).
    ///
    /// # Errors
    /// If SQLite cannot initialise it.
    pub fn in_memory() -> Result<Db, DbError> {
        Db::open(Path::new(":memory:"))
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, DbError> + Send + 'static,
    ) -> Result<T, DbError> {
        let conn = Arc::clone(&self.0);
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&conn)
        })
        .await
        .map_err(|err| DbError(err.to_string()))?
    }

    /// Creates a user with epoch 0. `Ok(None)` if the name is taken.
    ///
    /// # Errors
    /// On database failure.
    pub async fn create_user(
        &self,
        username: String,
        password_hash: String,
        now: i64,
    ) -> Result<Option<User>, DbError> {
        self.run(move |conn| {
            let inserted = conn.execute(
                "INSERT INTO users (username, password_hash, epoch, created_at) VALUES (?1, ?2, 0, ?3)",
                params![username, password_hash, now],
            );
            match inserted {
                Ok(_) => Ok(Some(User {
                    id: to_u64(conn.last_insert_rowid())?,
                    username,
                    epoch: 0,
                })),
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == ErrorCode::ConstraintViolation =>
                {
                    Ok(None)
                }
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    /// The user with this name and their password hash, for login.
    ///
    /// # Errors
    /// On database failure.
    pub async fn credentials(&self, username: String) -> Result<Option<Credentials>, DbError> {
        self.run(move |conn| {
            let row = conn
                .query_row(
                    "SELECT id, username, epoch, password_hash FROM users WHERE username = ?1",
                    params![username],
                    |row| {
                        Ok((
                            row.get::<_, i64>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, i64>(2)?,
                            row.get::<_, String>(3)?,
                        ))
                    },
                )
                .optional()?;
            row.map(|(id, username, epoch, password_hash)| {
                Ok(Credentials {
                    user: User {
                        id: to_u64(id)?,
                        username,
                        epoch: to_u64(epoch)?,
                    },
                    password_hash,
                })
            })
            .transpose()
        })
        .await
    }

    /// The user with this id (the session cookie's user), if they exist.
    ///
    /// # Errors
    /// On database failure.
    pub async fn user(&self, id: u64) -> Result<Option<User>, DbError> {
        let Ok(row_id) = i64::try_from(id) else {
            return Ok(None);
        };
        self.run(move |conn| {
            let row = conn
                .query_row(
                    "SELECT username, epoch FROM users WHERE id = ?1",
                    params![row_id],
                    |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)),
                )
                .optional()?;
            row.map(|(username, epoch)| {
                Ok(User {
                    id,
                    username,
                    epoch: to_u64(epoch)?,
                })
            })
            .transpose()
        })
        .await
    }

    /// "Log out everywhere": bumps the user's epoch, so every cookie sealed
    /// with the old one opens as revoked. Returns the new epoch.
    ///
    /// # Errors
    /// On database failure, or if the user does not exist.
    pub async fn bump_epoch(&self, id: u64) -> Result<u64, DbError> {
        let row_id = i64::try_from(id).map_err(|_| DbError("user id out of range".into()))?;
        self.run(move |conn| {
            let epoch = conn.query_row(
                "UPDATE users SET epoch = epoch + 1 WHERE id = ?1 RETURNING epoch",
                params![row_id],
                |row| row.get::<_, i64>(0),
            )?;
            to_u64(epoch)
        })
        .await
    }
}

impl Db {
    /// Records a login: session `id` of `user` until `expires_at`.
    ///
    /// # Errors
    /// On database failure.
    pub async fn record_session(
        &self,
        user: u64,
        id: u64,
        logged_in_at: i64,
        expires_at: i64,
        user_agent: String,
    ) -> Result<(), DbError> {
        let user = to_i64(user)?;
        // The id's 64 bits, stored as SQLite's signed integer.
        let id = i64::from_ne_bytes(id.to_ne_bytes());
        self.run(move |conn| {
            conn.execute(
                "INSERT OR REPLACE INTO sessions (id, user_id, logged_in_at, expires_at, user_agent)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, user, logged_in_at, expires_at, user_agent],
            )?;
            Ok(())
        })
        .await
    }

    /// `user`'s sessions that have not expired at `now`, newest first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn sessions_of(&self, user: u64, now: i64) -> Result<Vec<SessionRow>, DbError> {
        let user = to_i64(user)?;
        self.run(move |conn| {
            let mut statement = conn.prepare(
                "SELECT id, logged_in_at, expires_at, user_agent, ended_at FROM sessions
                 WHERE user_id = ?1 AND expires_at > ?2 ORDER BY logged_in_at DESC, id LIMIT 100",
            )?;
            let rows = statement.query_map(params![user, now], session_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// Marks session `id` of `user` ended at `now`; its row, `None` if
    /// `user` has no such session (so nobody ends another user's session).
    ///
    /// # Errors
    /// On database failure.
    pub async fn end_session(
        &self,
        user: u64,
        id: u64,
        now: i64,
    ) -> Result<Option<SessionRow>, DbError> {
        let user = to_i64(user)?;
        let id = i64::from_ne_bytes(id.to_ne_bytes());
        self.run(move |conn| {
            Ok(conn
                .query_row(
                    "UPDATE sessions SET ended_at = COALESCE(ended_at, ?3)
                     WHERE id = ?1 AND user_id = ?2
                     RETURNING id, logged_in_at, expires_at, user_agent, ended_at",
                    params![id, user, now],
                    session_row,
                )
                .optional()?)
        })
        .await
    }

    /// Marks every session of `user` that logged in at or before `now`
    /// ended ("log out everywhere").
    ///
    /// # Errors
    /// On database failure.
    pub async fn end_all_sessions(&self, user: u64, now: i64) -> Result<(), DbError> {
        let user = to_i64(user)?;
        self.run(move |conn| {
            conn.execute(
                "UPDATE sessions SET ended_at = ?2
                 WHERE user_id = ?1 AND ended_at IS NULL AND logged_in_at <= ?2",
                params![user, now],
            )?;
            Ok(())
        })
        .await
    }
}

/// A `sessions` row selected as `id, logged_in_at, expires_at, user_agent,
/// ended_at`.
fn session_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        id: u64::from_ne_bytes(row.get::<_, i64>(0)?.to_ne_bytes()),
        logged_in_at: row.get(1)?,
        expires_at: row.get(2)?,
        user_agent: row.get(3)?,
        ended_at: row.get(4)?,
    })
}

fn to_i64(n: u64) -> Result<i64, DbError> {
    i64::try_from(n).map_err(|_| DbError("user id out of range".into()))
}

fn to_u64(n: i64) -> Result<u64, DbError> {
    u64::try_from(n).map_err(|_| DbError("negative value in the database".into()))
}
