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
use crate::error::{AppError, ErrorCode};
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
            // sqlx pings a pooled connection before lending it; for SQLite that ping is a round
            // trip to the connection's worker thread, as costly as the statement itself, and
            // there is no network peer that could have gone away.
            .test_before_acquire(false)
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
    crate::service::points::set_expiry_months(settings.points_expiry_months)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let WechatClients {
        official_account,
        mini_program,
    } = wechat_clients(&settings, &db, &clock)?;
    let pay = settings
        .pay
        .clone()
        .map(|c| crate::wechat::pay::PayClient::new(Arc::new(c), clock.clone()))
        .transpose()
        .context("WeChat Pay client")?;
    let metrics = Metrics::new().context("metrics registry")?;
    let inbound =
        crate::service::messaging::inbound::InboundWriter::spawn(db.clone(), metrics.clone())?;
    Ok(AppState {
        inbound,
        pay,
        db,
        settings: Arc::new(settings),
        clock,
        metrics,
        jwt,
        mini_program,
        official_account,
    })
}

/// Both apps' WeChat API clients; None where the app's credentials are unset.
pub struct WechatClients {
    pub official_account: Option<OfficialAccount>,
    pub mini_program: Option<MiniProgram>,
}

/// The WeChat clients of both apps over one HTTP connection pool, each app's access token
/// shared with the other instances through the database.
pub fn wechat_clients(
    settings: &Settings,
    db: &DatabaseConnection,
    clock: &SharedClock,
) -> anyhow::Result<WechatClients> {
    let client = ApiClient::new(ApiConfig::new(settings.wechat_api_base.clone()))
        .context("WeChat API client")?;
    let tokens = |credentials: AppCredentials| {
        let store = Arc::new(DbTokenStore::new(db.clone()));
        Arc::new(TokenManager::new(
            client.clone(),
            credentials,
            store,
            clock.clone(),
        ))
    };
    Ok(WechatClients {
        official_account: settings.oa.clone().map(|c| OfficialAccount::new(tokens(c))),
        mini_program: settings.mp.clone().map(|c| MiniProgram::new(tokens(c))),
    })
}

/// Starts serving on `listener`; the returned server runs until stopped.
pub fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::QueryConfig::default().error_handler(|err, _| {
                AppError::new(ErrorCode::InvalidQuery, err.to_string()).into()
            }))
            .app_data(
                web::JsonConfig::default()
                    .limit(64 * 1024)
                    .error_handler(|err, _| {
                        AppError::new(ErrorCode::InvalidJson, err.to_string()).into()
                    }),
            )
            .app_data(web::PathConfig::default().error_handler(|err, _| {
                AppError::new(ErrorCode::InvalidPath, err.to_string()).into()
            }))
            .wrap(from_fn(track_requests))
            .wrap(TracingLogger::<crate::telemetry::RequestSpan>::new())
            .configure(crate::routes::configure)
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(AppError::new(
                    ErrorCode::NotFound,
                    "no such route",
                ))
            }))
    })
    // A new connection may wait up to 30 s for its first request (actix's default, 5 s, answers
    // 408 to a client that connects ahead of its first request, as load generators and
    // connection-pooling proxies do; nginx allows 60 s).
    .client_request_timeout(Duration::from_secs(30))
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
    // The dummy password hash, made before the first login with an unknown username needs it.
    actix_web::rt::spawn(crate::service::staff::warm_up());
    // Planner and sender run beside the server; BABYVAX_PUSH_ENABLED=false leaves them out.
    let _push = if state.settings.push.enabled {
        Some(crate::jobs::push::spawn(&state)?)
    } else {
        None
    };
    // "Your coupon expires in three days", through the same outbox.
    let _coupons = state
        .settings
        .push
        .enabled
        .then(|| crate::jobs::coupons::spawn(&state, std::time::Duration::from_secs(3600)));
    // The daily points expiry; BABYVAX_POINTS_EXPIRY_ENABLED=false leaves it out.
    let _points = if state.settings.points_expiry_enabled {
        Some(crate::jobs::points::spawn(&state))
    } else {
        None
    };
    // Old callback bodies and stored replies are cleared after BABYVAX_INBOUND_RETENTION_DAYS.
    let _retention = crate::jobs::inbound_retention::spawn(&state);
    let (stop_profiles, stop_rx) = tokio::sync::watch::channel(false);
    if let Some(official_account) = state.official_account.clone() {
        actix_web::rt::spawn(crate::jobs::follower_profiles::run(
            state.db.clone(),
            official_account,
            state.clock.clone(),
            stop_rx,
        ));
    }
    actix_web::rt::spawn(crate::jobs::payments::run(
        state.db.clone(),
        state.pay.clone(),
        state.settings.push.quiet,
        state.settings.membership_coupon_pack.clone(),
        state.clock.clone(),
        stop_profiles.subscribe(),
    ));
    actix_web::rt::spawn(crate::jobs::shop::run(
        state.db.clone(),
        state.pay.clone(),
        state.clock.clone(),
        stop_profiles.subscribe(),
    ));
    actix_web::rt::spawn(crate::jobs::events::run(
        state.db.clone(),
        state.pay.clone(),
        state.settings.push.quiet,
        state.clock.clone(),
        stop_profiles.subscribe(),
    ));
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
    if settings.pay.is_none() {
        tracing::warn!("BABYVAX_PAY_* unset: payment is disabled, the payment routes answer 503");
    }
    if settings.jwt_secret.is_none() {
        tracing::warn!(
            "BABYVAX_JWT_SECRET unset: a random key is used, so tokens die with this process"
        );
    }
}
