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

fn to_u64(n: i64) -> Result<u64, DbError> {
    u64::try_from(n).map_err(|_| DbError("negative value in the database".into()))
}
