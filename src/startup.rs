//! Wiring: database, migrations, state and the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use tracing_actix_web::TracingLogger;

use crate::auth::JwtKeys;
use crate::clock::SharedClock;
use crate::config::{AppCredentials, Settings};
use crate::error::AppError;
use crate::state::AppState;
use crate::telemetry::{Metrics, track_requests};
use crate::wechat::api::{
    ApiClient, ApiConfig, DbTokenStore, MiniProgram, OfficialAccount, TokenManager,
};

/// reqwest and sqlx are built on rustls without a default provider; install ring once.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Opens the database. SQLite runs in WAL mode with a busy timeout so that readers never block
/// the writer and short write contention waits instead of failing.
pub async fn connect_database(url: &str) -> anyhow::Result<DatabaseConnection> {
    Database::connect(connect_options(url))
        .await
        .with_context(|| format!("cannot open the database at {}", redact_url(url)))
}

/// Pool and driver settings for `url`; tests add a schema search path on top.
pub fn connect_options(url: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        options
            .max_connections(8)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
            });
    } else {
        options.max_connections(20).min_connections(1);
    }
    options
}

/// A database URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("applying migrations failed")
}

pub fn build_state(
    settings: Settings,
    db: DatabaseConnection,
    clock: SharedClock,
) -> anyhow::Result<AppState> {
    let jwt = Arc::new(JwtKeys::from_setting(settings.jwt_secret.as_ref()));
    let mini_program = settings
        .mp
        .clone()
        .map(|credentials| mini_program_api(&settings, credentials, &db, &clock))
        .transpose()?;
    let official_account = official_account_api(&settings, &db, &clock)?;
    Ok(AppState {
        db,
        settings: Arc::new(settings),
        clock,
        metrics: Metrics::new().context("metrics registry")?,
        jwt,
        mini_program,
        official_account,
    })
}

/// The mini-program's WeChat API, its access token shared with other instances through the
/// database.
fn mini_program_api(
    settings: &Settings,
    credentials: AppCredentials,
    db: &DatabaseConnection,
    clock: &SharedClock,
) -> anyhow::Result<MiniProgram> {
    Ok(MiniProgram::new(token_manager(
        settings,
        credentials,
        db,
        clock,
    )?))
}

/// The official account's WeChat API, or None when BABYVAX_OA_APPID / BABYVAX_OA_SECRET are unset.
pub fn official_account_api(
    settings: &Settings,
    db: &DatabaseConnection,
    clock: &SharedClock,
) -> anyhow::Result<Option<OfficialAccount>> {
    settings
        .oa
        .clone()
        .map(|credentials| {
            Ok(OfficialAccount::new(token_manager(
                settings,
                credentials,
                db,
                clock,
            )?))
        })
        .transpose()
}

/// One app's access tokens, shared by every instance through the database.
fn token_manager(
    settings: &Settings,
    credentials: AppCredentials,
    db: &DatabaseConnection,
    clock: &SharedClock,
) -> anyhow::Result<Arc<TokenManager>> {
    let client = ApiClient::new(ApiConfig::new(settings.wechat_api_base.clone()))
        .context("WeChat API client")?;
    let store = Arc::new(DbTokenStore::new(db.clone()));
    Ok(Arc::new(TokenManager::new(
        client,
        credentials,
        store,
        clock.clone(),
    )))
}

/// Starts serving on `listener`; the returned server runs until stopped.
pub fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::QueryConfig::default().error_handler(|err, _| {
                AppError::bad_request("invalid_query", err.to_string()).into()
            }))
            .app_data(
                web::JsonConfig::default()
                    .limit(64 * 1024)
                    .error_handler(|err, _| {
                        AppError::bad_request("invalid_json", err.to_string()).into()
                    }),
            )
            .app_data(web::PathConfig::default().error_handler(|err, _| {
                AppError::bad_request("invalid_path", err.to_string()).into()
            }))
            .wrap(from_fn(track_requests))
            .wrap(TracingLogger::default())
            .configure(crate::routes::configure)
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(AppError::not_found("not_found", "no such route"))
            }))
    })
    .listen(listener)
    .context("cannot listen")?
    .shutdown_timeout(10)
    .run();
    Ok(server)
}

/// Connects, migrates and serves: what `babyvax serve` does.
pub async fn run(settings: Settings, clock: SharedClock) -> anyhow::Result<()> {
    let db = connect_database(&settings.database_url).await?;
    migrate(&db).await?;
    log_disabled_features(&settings);
    let listener = TcpListener::bind(settings.bind)
        .with_context(|| format!("cannot bind {}", settings.bind))?;
    tracing::info!(address = %settings.bind, database = %redact_url(&settings.database_url), "serving");
    let state = build_state(settings, db, clock)?;
    // Planner and sender run beside the server; BABYVAX_PUSH_ENABLED=false leaves them out.
    let _push = if state.settings.push.enabled {
        Some(crate::jobs::push::spawn(&state)?)
    } else {
        None
    };
    let (stop_profiles, stop_rx) = tokio::sync::watch::channel(false);
    if let Some(official_account) = state.official_account.clone() {
        actix_web::rt::spawn(crate::jobs::follower_profiles::run(
            state.db.clone(),
            official_account,
            state.clock.clone(),
            stop_rx,
        ));
    }
    let served = serve(listener, state)?.await.context("server failed");
    let _ = stop_profiles.send(true);
    served
}

fn log_disabled_features(settings: &Settings) {
    if settings.callback.is_none() {
        tracing::warn!(
            "BABYVAX_OA_TOKEN / BABYVAX_OA_AES_KEY / BABYVAX_OA_APPID unset: the callback door answers 503"
        );
    }
    if settings.oa.is_none() {
        tracing::warn!(
            "BABYVAX_OA_APPID / BABYVAX_OA_SECRET unset: outbound official-account calls are disabled"
        );
    }
    if settings.mp.is_none() {
        tracing::warn!(
            "BABYVAX_MP_APPID / BABYVAX_MP_SECRET unset: mini-program login answers 503"
        );
    }
    if settings.jwt_secret.is_none() {
        tracing::warn!(
            "BABYVAX_JWT_SECRET unset: a random key is used, so tokens die with this process"
        );
    }
}
