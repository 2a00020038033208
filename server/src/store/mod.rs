//! Persistence in one SQLite file (sqlx): each meeting's whole state as JSON, with its resume
//! sessions, written as it changes so a server killed at any moment comes back where it was.
//! Migrations are a numbered list applied once each, recorded in `schema_migrations`.

use plenary_shared::ids::MeetingId;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
use thiserror::Error;

/// The schema, in order. Never edit a released entry; add a new one.
const MIGRATIONS: &[(i64, &str)] = &[(
    1,
    "CREATE TABLE meetings (
        id TEXT PRIMARY KEY NOT NULL,
        state TEXT NOT NULL,
        sessions TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    )",
)];

/// Errors of the storage layer.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// One meeting as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRecord {
    pub id: MeetingId,
    /// `Meeting::to_json`.
    pub state: String,
    /// Resume tokens and whose they are, as JSON.
    pub sessions: String,
    /// Milliseconds since the epoch.
    pub updated_at: i64,
}

/// A handle on the database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // With WAL, NORMAL survives a killed process; only an OS crash may lose the last writes.
            .synchronous(SqliteSynchronous::Normal);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        let store = Store { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY NOT NULL)",
        )
        .execute(&self.pool)
        .await?;
        for (version, sql) in MIGRATIONS {
            let mut tx = self.pool.begin().await?;
            let done = sqlx::query("SELECT 1 FROM schema_migrations WHERE version = ?")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            if !done {
                sqlx::query(sql).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO schema_migrations (version) VALUES (?)")
                    .bind(version)
                    .execute(&mut *tx)
                    .await?;
                tracing::info!(version, "applied database migration");
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// Inserts or replaces a meeting.
    pub async fn save(&self, record: &MeetingRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO meetings (id, state, sessions, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET
               state = excluded.state, sessions = excluded.sessions, updated_at = excluded.updated_at",
        )
        .bind(&record.id.0)
        .bind(&record.state)
        .bind(&record.sessions)
        .bind(record.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every stored meeting.
    pub async fn load_all(&self) -> Result<Vec<MeetingRecord>, StoreError> {
        let rows = sqlx::query("SELECT id, state, sessions, updated_at FROM meetings")
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|row| {
                Ok(MeetingRecord {
                    id: MeetingId(row.try_get("id")?),
                    state: row.try_get("state")?,
                    sessions: row.try_get("sessions")?,
                    updated_at: row.try_get("updated_at")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_db(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("plenary-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::create_dir_all(&dir);
        dir.join("test.sqlite3")
    }

    #[tokio::test]
    async fn saves_replaces_and_reloads_meetings_across_reopens() -> Result<(), StoreError> {
        let path = temp_db("reload");
        let record = MeetingRecord {
            id: MeetingId("abc".into()),
            state: "{}".into(),
            sessions: "[]".into(),
            updated_at: 1,
        };
        {
            let store = Store::open(&path).await?;
            store.save(&record).await?;
            store
                .save(&MeetingRecord {
                    state: "{\"v\":2}".into(),
                    updated_at: 2,
                    ..record.clone()
                })
                .await?;
        }
        // Reopening runs the migrations again harmlessly and finds the latest state.
        let store = Store::open(&path).await?;
        let all = store.load_all().await?;
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].state, "{\"v\":2}");
        assert_eq!(all[0].updated_at, 2);
        Ok(())
    }
}
