//! Persistence in one SQLite file (sqlx): each meeting's state as JSON, with its resume sessions,
//! and its chat as rows of their own, so a chat line costs one small insert however large the
//! meeting is. Writes come in batches from each meeting's writer (`meetings/persist.rs`): the
//! newest state and the chat lines since the last batch, in one transaction. Migrations are a
//! numbered list applied once each, recorded in `schema_migrations`.

use plenary_shared::ids::MeetingId;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
use thiserror::Error;

/// The schema, in order. Never edit a released entry; add a new one.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE meetings (
        id TEXT PRIMARY KEY NOT NULL,
        state TEXT NOT NULL,
        sessions TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    )",
    ),
    (
        2,
        "CREATE TABLE chat (
        meeting TEXT NOT NULL,
        seq INTEGER NOT NULL,
        place TEXT NOT NULL,
        line TEXT NOT NULL,
        PRIMARY KEY (meeting, seq)
    ) WITHOUT ROWID",
    ),
    (
        3,
        "CREATE TABLE lti_links (
        link TEXT PRIMARY KEY NOT NULL,
        context TEXT NOT NULL,
        meeting TEXT NOT NULL
    )",
    ),
];

/// One chat line as stored: its place (`main` or `room:N`) and the message as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRow {
    pub seq: i64,
    pub place: String,
    pub line: String,
}

/// What one meeting's writer hands the store at once.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub state: Option<MeetingRecord>,
    pub chat: Vec<ChatRow>,
}

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

    /// Writes a batch in one transaction: the meeting's state (inserted or replaced) and its new
    /// chat lines. Returns the bytes of text written, for the metrics.
    pub async fn write(&self, id: &MeetingId, batch: &Batch) -> Result<usize, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut bytes = 0;
        if let Some(record) = &batch.state {
            bytes += record.state.len() + record.sessions.len();
            sqlx::query(
                "INSERT INTO meetings (id, state, sessions, updated_at) VALUES (?, ?, ?, ?)
                 ON CONFLICT(id) DO UPDATE SET
                   state = excluded.state, sessions = excluded.sessions,
                   updated_at = excluded.updated_at",
            )
            .bind(&record.id.0)
            .bind(&record.state)
            .bind(&record.sessions)
            .bind(record.updated_at)
            .execute(&mut *tx)
            .await?;
        }
        for row in &batch.chat {
            bytes += row.line.len() + row.place.len();
            sqlx::query(
                "INSERT OR REPLACE INTO chat (meeting, seq, place, line) VALUES (?, ?, ?, ?)",
            )
            .bind(&id.0)
            .bind(row.seq)
            .bind(&row.place)
            .bind(&row.line)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(bytes)
    }

    /// Inserts or replaces a meeting.
    pub async fn save(&self, record: &MeetingRecord) -> Result<(), StoreError> {
        let batch = Batch {
            state: Some(record.clone()),
            chat: Vec::new(),
        };
        self.write(&record.id, &batch).await.map(|_| ())
    }

    /// The newest `per_place` chat lines of each place of a meeting, oldest first, and the
    /// highest sequence number used.
    pub async fn load_chat(
        &self,
        id: &MeetingId,
        per_place: usize,
    ) -> Result<(Vec<ChatRow>, i64), StoreError> {
        let per_place = i64::try_from(per_place).unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "SELECT seq, place, line FROM (
               SELECT seq, place, line,
                      ROW_NUMBER() OVER (PARTITION BY place ORDER BY seq DESC) AS newest
               FROM chat WHERE meeting = ?)
             WHERE newest <= ? ORDER BY seq",
        )
        .bind(&id.0)
        .bind(per_place)
        .fetch_all(&self.pool)
        .await?;
        let rows = rows
            .into_iter()
            .map(|row| {
                Ok(ChatRow {
                    seq: row.try_get("seq")?,
                    place: row.try_get("place")?,
                    line: row.try_get("line")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM chat WHERE meeting = ?")
            .bind(&id.0)
            .fetch_one(&self.pool)
            .await?;
        Ok((rows, last.unwrap_or(0)))
    }

    /// The meeting of a course link (`lti/links.rs` makes the keys), if one was made.
    pub async fn lti_link(&self, link: &str) -> Result<Option<MeetingId>, StoreError> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT meeting FROM lti_links WHERE link = ?")
                .bind(link)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.map(MeetingId))
    }

    /// The meetings of every link of a course (`context` is the course's key).
    pub async fn lti_course_links(&self, context: &str) -> Result<Vec<MeetingId>, StoreError> {
        let found: Vec<String> =
            sqlx::query_scalar("SELECT meeting FROM lti_links WHERE context = ? LIMIT 100")
                .bind(context)
                .fetch_all(&self.pool)
                .await?;
        Ok(found.into_iter().map(MeetingId).collect())
    }

    /// Records (or replaces) the meeting of a course link.
    pub async fn set_lti_link(
        &self,
        link: &str,
        context: &str,
        meeting: &MeetingId,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT OR REPLACE INTO lti_links (link, context, meeting) VALUES (?, ?, ?)")
            .bind(link)
            .bind(context)
            .bind(&meeting.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Runs one statement as is: for tests that must make the store misbehave.
    #[doc(hidden)]
    pub async fn execute_raw(&self, sql: &str) -> Result<(), StoreError> {
        sqlx::query(sql).execute(&self.pool).await?;
        Ok(())
    }

    /// Forgets a meeting and its chat for good.
    pub async fn delete(&self, id: &MeetingId) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM chat WHERE meeting = ?")
            .bind(&id.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM meetings WHERE id = ?")
            .bind(&id.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
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

    #[tokio::test]
    async fn chat_rows_come_back_newest_per_place_and_go_with_the_meeting() -> Result<(), StoreError>
    {
        let store = Store::open(&temp_db("chat")).await?;
        let id = MeetingId("m".into());
        let rows: Vec<ChatRow> = (1..=7)
            .map(|seq| ChatRow {
                seq,
                place: if seq % 2 == 0 { "main" } else { "room:1" }.into(),
                line: format!("line {seq}"),
            })
            .collect();
        let batch = Batch {
            state: Some(MeetingRecord {
                id: id.clone(),
                state: "{}".into(),
                sessions: "[]".into(),
                updated_at: 1,
            }),
            chat: rows,
        };
        assert!(store.write(&id, &batch).await? > 0);
        let (kept, last) = store.load_chat(&id, 2).await?;
        let seqs: Vec<i64> = kept.iter().map(|r| r.seq).collect();
        assert_eq!(
            seqs,
            vec![4, 5, 6, 7],
            "two newest of each place, oldest first"
        );
        assert_eq!(last, 7);
        store.delete(&id).await?;
        assert!(store.load_all().await?.is_empty());
        assert_eq!(store.load_chat(&id, 2).await?.0, vec![]);
        Ok(())
    }
}
