//! Structured logs (with the request id from the tracing middleware) and Prometheus metrics.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;
use crate::state::AppState;

/// The request span: method, path (never the query, which carries WeChat's signatures) and
/// request id, plus the status of a failed request. The default builder formats a dozen fields per
/// request and matches the route once more for its name: about a tenth of the callback door's CPU.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request.extensions().get::<RequestId>().copied();
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.path(),
            request_id = request_id.map(tracing::field::display),
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        if status.is_client_error() || status.is_server_error() {
            span.record("status", status.as_u16());
        }
    }
}

/// Installs the global subscriber once; later calls (tests) are ignored.
pub fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_latency: HistogramVec,
    callback_messages: IntCounterVec,
    inbound_batch_size: Histogram,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("babyvax".into()), None)?;
        let http_requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route pattern, method and status",
            ),
            &["route", "method", "status"],
        )?;
        let http_latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route pattern",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["route"],
        )?;
        let callback_messages = IntCounterVec::new(
            Opts::new(
                "callback_messages_total",
                "Official-account callback deliveries by message type",
            ),
            &["type", "outcome"],
        )?;
        let inbound_batch_size = Histogram::with_opts(
            HistogramOpts::new(
                "inbound_batch_size",
                "Callback deliveries committed per transaction by the inbound writer",
            )
            .buckets(vec![
                1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0,
            ]),
        )?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_latency.clone()))?;
        registry.register(Box::new(callback_messages.clone()))?;
        registry.register(Box::new(inbound_batch_size.clone()))?;
        Ok(Self {
            registry,
            http_requests,
            http_latency,
            callback_messages,
            inbound_batch_size,
        })
    }

    /// Counts a parsed callback delivery; `outcome` is `new` or `duplicate`.
    pub fn callback_message(&self, message_type: &str, outcome: &str) {
        self.callback_messages
            .with_label_values(&[message_type, outcome])
            .inc();
    }

    /// Records the size of one committed inbound batch.
    pub fn inbound_batch(&self, deliveries: usize) {
        self.inbound_batch_size.observe(deliveries as f64);
    }

    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::error!(error = %e, "metrics encoding failed");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}

/// Records every request's route pattern (never the raw path, which would let clients grow the
/// label set), status and latency, and echoes the request id as `x-request-id`.
pub async fn track_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    let method = req.method().to_string();
    let mut res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    if let Some(metrics) = metrics {
        let status = res.status().as_u16().to_string();
        metrics
            .http_requests
            .with_label_values(&[&route, &method, &status])
            .inc();
        metrics
            .http_latency
            .with_label_values(&[&route])
            .observe(started.elapsed().as_secs_f64());
    }
    let request_id = res
        .request()
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .map(|id| id.to_string());
    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), id);
    }
    Ok(res)
}
