//! The webhook dispatcher's I/O (ADR 027): an HTTP client that reaches only public addresses
//! (unless the operator allows private ones), follows no redirect and gives up after
//! [`larder_app::webhooks::SEND_TIMEOUT`]; and the loop that runs the use cases' rounds.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use larder_app::App;
use larder_app::webhooks::{SEND_TIMEOUT, WebhookSender};
use larder_core::webhooks::is_public;

/// Concurrent sends at most, over every tenant.
pub const MAX_IN_FLIGHT: usize = 32;

/// Resolves host names, keeping only the addresses a delivery may reach.
struct PublicOnly {
    allow_private: bool,
}

/// The addresses of `addrs` a delivery may connect to.
fn reachable(addrs: impl Iterator<Item = SocketAddr>, allow_private: bool) -> Vec<SocketAddr> {
    addrs
        .filter(|a| allow_private || is_public(a.ip()))
        .collect()
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let ok = reachable(found, allow);
            if ok.is_empty() {
                return Err(format!(
                    "{host} resolves only to loopback, private or link-local addresses"
                )
                .into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(ok.into_iter());
            Ok(addrs)
        })
    }
}

/// Posts deliveries with reqwest (rustls).
pub struct HttpSender {
    client: reqwest::Client,
    allow_private: bool,
}

impl HttpSender {
    /// A sender; `allow_private` lets it reach loopback and private addresses.
    ///
    /// # Errors
    /// When the HTTP client cannot be built (its TLS roots).
    pub fn new(allow_private: bool) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(PublicOnly { allow_private }))
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve the target itself, past the resolver's check.
            .no_proxy()
            .timeout(SEND_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(Self {
            client,
            allow_private,
        })
    }
}

#[async_trait]
impl WebhookSender for HttpSender {
    async fn post(
        &self,
        url: &str,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Result<u16, String> {
        // An address written in the URL is not resolved, so it is checked here.
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("bad URL: {e}"))?;
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal
            && !self.allow_private
            && !is_public(ip)
        {
            return Err(format!(
                "refused: {ip} is a loopback, private or link-local address"
            ));
        }
        let mut req = self.client.post(parsed).body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let res = req.send().await.map_err(|e| {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                src = s.source();
            }
            msg
        })?;
        Ok(res.status().as_u16())
    }
}

/// Runs the dispatcher until the process stops: a round after each commit that wrote events
/// and every second (retries come due by the clock), at most [`MAX_IN_FLIGHT`] sends at once.
pub async fn dispatch(app: App, sender: Arc<dyn WebhookSender>) {
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
    let mut wakes = app.event_wakes();
    loop {
        if let Err(e) = app.webhook_round(sender.clone(), permits.clone()).await {
            tracing::warn!(error = %e, "a webhook round failed");
        }
        tokio::select! {
            _ = wakes.recv() => {}
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_reachable_unless_allowed() {
        let addrs: Vec<SocketAddr> = ["127.0.0.1:80", "10.1.2.3:80", "8.8.8.8:443", "[::1]:80"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(
            reachable(addrs.clone().into_iter(), false),
            vec!["8.8.8.8:443".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(reachable(addrs.clone().into_iter(), true), addrs);
    }
}
