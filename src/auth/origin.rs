//! Where a request comes from, for login lockout and the audit log: its request id and its
//! client address.
//!
//! The client address is the TCP peer's address. `X-Forwarded-For` is ignored unless
//! `BABYVAX_TRUSTED_PROXIES` lists the proxies in front of us (addresses or CIDR ranges): anyone
//! can write that header, so believing it by default would let a client pick the address its
//! failed logins are counted against. When the peer is a trusted proxy, the address is the
//! right-most `X-Forwarded-For` entry that is not itself a trusted proxy (entries to the left of
//! it are whatever the client sent); if the header is missing or that entry is malformed, it is
//! the nearest trusted proxy.

use std::future::{Ready, ready};
use std::net::{IpAddr, SocketAddr};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use ipnet::IpNet;

use crate::error::AppError;
use crate::service::staff::audit::Origin;
use crate::state::AppState;

/// The request's origin as [`request_origin`] determines it.
#[derive(Debug, Clone)]
pub struct ClientOrigin(pub Origin);

impl FromRequest for ClientOrigin {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trusted = req
            .app_data::<web::Data<AppState>>()
            .map(|state| state.settings.trusted_proxies.as_slice())
            .unwrap_or_default();
        ready(Ok(ClientOrigin(request_origin(req, trusted))))
    }
}

/// The request id (the `x-request-id` the app answers with) and the client address.
pub fn request_origin(req: &HttpRequest, trusted: &[IpNet]) -> Origin {
    let forwarded: Vec<String> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|entry| entry.trim().to_owned())
        .collect();
    let client = req
        .peer_addr()
        .map(|peer| client_address(peer.ip(), &forwarded, trusted));
    Origin {
        request_id: req
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(|id| id.to_string()),
        client_addr: client.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string()),
    }
}

/// The client's address given the peer's, the `X-Forwarded-For` entries (left to right) and the
/// trusted proxies.
pub fn client_address(peer: IpAddr, forwarded_for: &[String], trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut nearest = peer.to_canonical();
    if !is_trusted(&nearest) {
        return nearest;
    }
    for entry in forwarded_for.iter().rev() {
        let Some(ip) = parse_entry(entry) else {
            return nearest;
        };
        nearest = ip;
        if !is_trusted(&ip) {
            return ip;
        }
    }
    nearest
}

/// An address as proxies write them: bare, or with a port (`1.2.3.4:80`, `[::1]:80`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn entries(list: &[&str]) -> Vec<String> {
        list.iter().map(|e| (*e).to_owned()).collect()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let forged = entries(&["203.0.113.9"]);
        assert_eq!(
            client_address(ip("198.51.100.7"), &forged, &[]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_entry_is_the_client() {
        let trusted: Vec<IpNet> = vec![
            "10.0.0.0/8".parse().unwrap(),
            "127.0.0.1/32".parse().unwrap(),
        ];
        // The client forged a first entry; our proxies appended the real one and themselves.
        let chain = entries(&["1.1.1.1", "203.0.113.9", "10.1.2.3"]);
        assert_eq!(
            client_address(ip("127.0.0.1"), &chain, &trusted),
            ip("203.0.113.9")
        );
        // A peer that is not a trusted proxy is the client, whatever the header says.
        assert_eq!(
            client_address(ip("198.51.100.7"), &chain, &trusted),
            ip("198.51.100.7")
        );
        // No header: the proxy itself.
        assert_eq!(
            client_address(ip("10.0.0.1"), &[], &trusted),
            ip("10.0.0.1")
        );
        // A malformed nearest entry: the nearest trusted hop.
        let broken = entries(&["203.0.113.9", "garbage", "10.1.2.3"]);
        assert_eq!(
            client_address(ip("10.0.0.1"), &broken, &trusted),
            ip("10.1.2.3")
        );
        // Ports and IPv4-mapped IPv6 peers.
        let ported = entries(&["203.0.113.9:5555"]);
        assert_eq!(
            client_address(ip("::ffff:10.0.0.1"), &ported, &trusted),
            ip("203.0.113.9")
        );
    }
}
