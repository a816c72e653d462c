//! The real app for the load examples: its database, and the server on its own thread.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;

use actix_web::dev::ServerHandle;
use anyhow::{Context, bail};
use babyvax::clock::SystemClock;
use babyvax::config::RawSettings;
use babyvax::startup;
use rand::Rng;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// SQLite in a temporary directory, or a fresh schema on a PostgreSQL server.
struct LoadDatabase {
    url: String,
    schema: Option<String>,
    label: String,
    _dir: Option<tempfile::TempDir>,
}

impl LoadDatabase {
    /// `url` is a `postgres://` server to make a schema `load_<random>` on; `None` is SQLite.
    async fn prepare(url: Option<&str>) -> anyhow::Result<Self> {
        match url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                let n: u64 = rand::thread_rng().r#gen();
                let schema = format!("load_{n:016x}");
                let admin = Database::connect(url)
                    .await
                    .with_context(|| format!("connect to {}", startup::redact_url(url)))?;
                admin
                    .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
                    .await
                    .context("create schema")?;
                admin.close().await.ok();
                Ok(Self {
                    url: url.to_owned(),
                    label: format!("PostgreSQL (schema {schema})"),
                    schema: Some(schema),
                    _dir: None,
                })
            }
            Some(other) => bail!(
                "--database-url must be postgres://...; got {}",
                startup::redact_url(other)
            ),
            None => {
                let dir = tempfile::tempdir().context("temp dir")?;
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("load.db").display());
                Ok(Self {
                    url,
                    schema: None,
                    label: "SQLite (temp dir, WAL)".into(),
                    _dir: Some(dir),
                })
            }
        }
    }

    /// The server's pool: the production options, plus the schema for PostgreSQL.
    async fn connect(&self) -> anyhow::Result<DatabaseConnection> {
        let mut options = startup::connect_options(&self.url);
        if let Some(schema) = &self.schema {
            options.set_schema_search_path(schema.clone());
        }
        Database::connect(options).await.context("connect")
    }

    /// Drops the PostgreSQL schema (the SQLite directory goes when `self` is dropped).
    async fn cleanup(&self) {
        let Some(schema) = &self.schema else { return };
        match Database::connect(self.url.as_str()).await {
            Ok(admin) => {
                if let Err(e) = admin
                    .execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                    .await
                {
                    eprintln!("could not drop schema {schema}: {e}");
                }
                admin.close().await.ok();
            }
            Err(e) => eprintln!("could not drop schema {schema}: {e}"),
        }
    }
}

/// The app serving on 127.0.0.1 from its own thread; [`Server::stop`] answers what `after` found.
pub struct Server<T> {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    /// The database, for the report: `SQLite (temp dir, WAL)` or `PostgreSQL (schema load_…)`.
    pub database: String,
    handle: ServerHandle,
    thread: JoinHandle<anyhow::Result<T>>,
}

/// What the server thread hands back once it serves.
type Ready<Seeded> = (ServerHandle, String, Seeded);

/// Starts the app with `raw` settings on 127.0.0.1:0, on its own actix System thread as in
/// `babyvax serve` (the pool lives there, apart from the client's runtime). The database is a
/// fresh schema on the PostgreSQL server `database_url`, or SQLite in a temporary directory; it is
/// dropped when the thread ends, however the run went. `seed` runs on the migrated database before
/// the server listens, and its answer comes back with the server; `after` runs on the database
/// once the server has stopped.
pub fn start<Seeded, Stopped>(
    raw: RawSettings,
    database_url: Option<&str>,
    seed: impl AsyncFnOnce(&DatabaseConnection) -> anyhow::Result<Seeded> + Send + 'static,
    after: impl AsyncFnOnce(&DatabaseConnection) -> anyhow::Result<Stopped> + Send + 'static,
) -> anyhow::Result<(Server<Stopped>, Seeded)>
where
    Seeded: Send + 'static,
    Stopped: Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").context("bind 127.0.0.1:0")?;
    let address = format!("http://{}", listener.local_addr()?);
    let database_url = database_url.map(str::to_owned);
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("server".into())
        .spawn(move || -> anyhow::Result<Stopped> {
            actix_web::rt::System::new().block_on(async move {
                let database = LoadDatabase::prepare(database_url.as_deref()).await?;
                let outcome = serve(raw, listener, &database, seed, after, ready_tx).await;
                database.cleanup().await;
                outcome
            })
        })
        .context("spawn server thread")?;

    let Ok((handle, database, seeded)) = ready_rx.recv() else {
        // The thread ended before serving: report its error.
        return match thread.join() {
            Ok(Err(e)) => Err(e.context("server start-up")),
            _ => bail!("server thread ended before serving"),
        };
    };
    let server = Server {
        address,
        database,
        handle,
        thread,
    };
    Ok((server, seeded))
}

/// The server thread's work on a prepared database, until the server stops.
async fn serve<Seeded, Stopped>(
    raw: RawSettings,
    listener: TcpListener,
    database: &LoadDatabase,
    seed: impl AsyncFnOnce(&DatabaseConnection) -> anyhow::Result<Seeded>,
    after: impl AsyncFnOnce(&DatabaseConnection) -> anyhow::Result<Stopped>,
    ready: Sender<Ready<Seeded>>,
) -> anyhow::Result<Stopped> {
    let settings = RawSettings {
        database_url: database.url.clone(),
        bind: "127.0.0.1:0".into(),
        ..raw
    }
    .validate()
    .context("load settings")?;
    let db = database.connect().await?;
    startup::migrate(&db).await?;
    let seeded = seed(&db).await?;
    let state = startup::build_state(settings, db.clone(), Arc::new(SystemClock))?;
    let server = startup::serve(listener, state)?;
    // `start` waits for this; the receiver outlives the send.
    let _ = ready.send((server.handle(), database.label.clone(), seeded));
    server.await.context("server failed")?;
    // The pool's PostgreSQL connections were opened on the server's worker runtimes, which are
    // gone now: `after` gets a connection of its own.
    db.close().await.ok();
    let after_db = database.connect().await?;
    let stopped = after(&after_db).await;
    after_db.close().await.ok();
    stopped
}

impl<T> Server<T> {
    /// Stops the server gracefully, waits for its thread and answers what `after` found.
    pub fn stop(self, client_rt: &tokio::runtime::Runtime) -> anyhow::Result<T> {
        client_rt.block_on(self.handle.stop(true));
        match self.thread.join() {
            Ok(result) => result,
            Err(_) => bail!("server thread panicked"),
        }
    }
}
