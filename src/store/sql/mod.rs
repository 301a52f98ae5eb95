//! The durable [`Store`](super::Store): SQLite (one process, a file in the data directory) or
//! PostgreSQL (several replicas on one database), through sqlx's `Any` driver so one set of
//! runtime-checked queries serves both. What differs per backend is kept here: the migrations
//! (`migrations/sqlite`, `migrations/postgres`, embedded in the binary), how an event append is
//! ordered, and how other replicas learn of new events (PostgreSQL LISTEN/NOTIFY).

mod audit;
mod deliveries;
mod events;
mod idempotency;
mod operations;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::future::BoxFuture;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{AnyPool, Executor};
use time::OffsetDateTime;

use super::{LeaseStore, StoreError, ms_after, unix_ms};

/// The database behind a [`SqlStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// The channel replicas announce new events on.
const EVENTS_CHANNEL: &str = "cloudgw_events";

/// The migrations of each backend, in order: (version, description, SQL).
const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "webhook deliveries",
        include_str!("../../../migrations/sqlite/0002_webhook_deliveries.sql"),
    ),
    (
        3,
        "audit",
        include_str!("../../../migrations/sqlite/0003_audit.sql"),
    ),
];
const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "webhook deliveries",
        include_str!("../../../migrations/postgres/0002_webhook_deliveries.sql"),
    ),
    (
        3,
        "audit",
        include_str!("../../../migrations/postgres/0003_audit.sql"),
    ),
];

/// Migrations compiled into the binary (so `serve` needs no files beside it).
#[derive(Debug)]
struct Embedded(&'static [(i64, &'static str, &'static str)]);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|(version, description, sql)| {
                    let (description, sql) = ((*description).into(), (*sql).into());
                    Migration::new(*version, description, MigrationType::Simple, sql, false)
                })
                .collect())
        })
    }
}

/// A store in SQLite or PostgreSQL.
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    stream: String,
    signal: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the URL: it may carry a password.
        f.debug_struct("SqlStore")
            .field("backend", &self.backend)
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

impl SqlStore {
    /// Connects to `url` (`sqlite:PATH`, created if missing, or `postgres://…`) and runs the
    /// migrations.
    pub async fn connect(url: &str) -> Result<SqlStore, StoreError> {
        install_default_drivers();
        let (backend, url) = if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            // `mode=rwc`: create the file when missing.
            (Backend::Sqlite, format!("sqlite:{path}?mode=rwc"))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_owned())
        } else {
            return Err(StoreError(
                "the database URL must start with sqlite:, postgres:// or be memory:".into(),
            ));
        };
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                // One writer at a time anyway; a few readers beside it.
                Backend::Sqlite => 4,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            .connect(&url)
            .await?;
        if backend == Backend::Sqlite {
            // WAL: readers do not block the writer; kept in the file once set.
            pool.execute("PRAGMA journal_mode = WAL").await?;
        }
        let migrations = match backend {
            Backend::Sqlite => SQLITE,
            Backend::Postgres => POSTGRES,
        };
        let migrator = Migrator::new(Embedded(migrations))
            .await
            .map_err(|e| StoreError(format!("migrations: {e}")))?;
        migrator
            .run(&pool)
            .await
            .map_err(|e| StoreError(format!("migrations: {e}")))?;
        let stream = stream_name(&pool).await?;
        let signal = Arc::new(tokio::sync::Notify::new());
        if backend == Backend::Postgres {
            tokio::spawn(listen(url, signal.clone()));
        }
        Ok(SqlStore {
            pool,
            backend,
            stream,
            signal,
        })
    }

    /// The database behind this store.
    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }
}

/// The stream name of this database: drawn once, at first start, then kept in `meta`.
async fn stream_name(pool: &AnyPool) -> Result<String, StoreError> {
    let fresh = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    sqlx::query(
        "INSERT INTO meta (name, value) VALUES ('stream', $1) ON CONFLICT (name) DO NOTHING",
    )
    .bind(fresh)
    .execute(pool)
    .await?;
    let name: (String,) = sqlx::query_as("SELECT value FROM meta WHERE name = 'stream'")
        .fetch_one(pool)
        .await?;
    Ok(name.0)
}

/// Wakes `signal` whenever any replica announces events (PostgreSQL NOTIFY), for as long as
/// the process lives; reconnects after a lost connection (and wakes, since announcements may
/// have been missed meanwhile: the reader catches up from the table).
async fn listen(url: String, signal: Arc<tokio::sync::Notify>) {
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen(EVENTS_CHANNEL).await {
                    tracing::warn!(error = %e, "cannot LISTEN for events");
                } else {
                    loop {
                        match listener.recv().await {
                            Ok(_) => signal.notify_one(),
                            Err(e) => {
                                tracing::warn!(error = %e, "event listener connection lost");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot connect the event listener"),
        }
        signal.notify_one();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[async_trait]
impl LeaseStore for SqlStore {
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let now = OffsetDateTime::now_utc();
        // One statement: insert, or take over when it is ours or ran out; zero rows changed
        // means another holder's lease is still valid.
        let done = sqlx::query(
            "INSERT INTO leases (name, holder, until_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms \
             WHERE leases.holder = excluded.holder OR leases.until_ms < $4",
        )
        .bind(name)
        .bind(holder)
        .bind(ms_after(now, ttl))
        .bind(unix_ms(now))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
