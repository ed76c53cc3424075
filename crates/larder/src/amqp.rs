//! The event relay's broker: RabbitMQ over AMQP 0-9-1 ([`lapin`]), when `LARDER_AMQP_URL` is
//! set (ADR 025).
//!
//! Events go to the durable topic exchange [`EXCHANGE`] as persistent JSON messages (the
//! envelope of `larder_app::events::Envelope`) with routing key `<tenant id>.<context>.<event>`,
//! `message_id` the event's id (the consumers' deduplication key), `type` its type and
//! `timestamp` its commit time. The channel is in confirm mode: a batch counts as published
//! only when the broker has acknowledged every message, so a broker that is down or refuses
//! leaves the events in the outbox for the next attempt. Only `amqp://` (no TLS) is built in.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use larder_app::App;
use larder_app::events::{Envelope, Publisher};
use tokio::sync::Mutex;

/// The topic exchange every event is published to.
pub const EXCHANGE: &str = "larder.events";
/// How long connecting (up to a channel in confirm mode and the exchange declared), or
/// publishing one batch until the broker has confirmed all of it, may take.
const BROKER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long closing a connection whose batch failed may take before it is dropped instead.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Events relayed per transaction.
const RELAY_BATCH: u32 = 200;
/// The longest the relay waits between attempts while the broker is down: after the broker
/// returns, its events start moving within this (plus one attempt's time).
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// A connection to the broker, made when first needed and again after it breaks.
pub struct AmqpPublisher {
    url: String,
    link: Mutex<Option<(Connection, Channel)>>,
}

impl AmqpPublisher {
    /// A publisher to the broker at `url` (`amqp://user:password@host:port/vhost`); nothing is
    /// connected until the first batch.
    #[must_use]
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            link: Mutex::new(None),
        }
    }

    async fn connect(&self) -> Result<(Connection, Channel), String> {
        tokio::time::timeout(BROKER_TIMEOUT, self.open())
            .await
            .map_err(|_| "connecting to the broker timed out".to_owned())?
    }

    async fn open(&self) -> Result<(Connection, Channel), String> {
        let conn = Connection::connect(&self.url, ConnectionProperties::default())
            .await
            .map_err(|e| format!("cannot connect to the broker: {e}"))?;
        let channel = conn
            .create_channel()
            .await
            .map_err(|e| format!("cannot open a channel: {e}"))?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|e| format!("cannot enable publisher confirms: {e}"))?;
        channel
            .exchange_declare(
                EXCHANGE.into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    durable: true,
                    ..ExchangeDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(|e| format!("cannot declare the exchange {EXCHANGE}: {e}"))?;
        Ok((conn, channel))
    }

    async fn send(channel: &Channel, events: &[Envelope]) -> Result<(), String> {
        let mut confirms = Vec::with_capacity(events.len());
        for e in events {
            let body = serde_json::to_vec(e).map_err(|e| e.to_string())?;
            let props = BasicProperties::default()
                .with_message_id(e.id.to_string().into())
                .with_content_type("application/json".into())
                .with_type(e.event_type.clone().into())
                .with_timestamp(u64::try_from(e.recorded_at.timestamp()).unwrap_or_default())
                .with_delivery_mode(2);
            let confirm = channel
                .basic_publish(
                    EXCHANGE.into(),
                    e.routing_key().into(),
                    BasicPublishOptions::default(),
                    &body,
                    props,
                )
                .await
                .map_err(|err| format!("publishing event {} failed: {err}", e.id))?;
            confirms.push((e.id, confirm));
        }
        for (id, confirm) in confirms {
            let answer = confirm
                .await
                .map_err(|err| format!("the broker's confirm of event {id} failed: {err}"))?;
            if !answer.is_ack() {
                return Err(format!("the broker refused event {id}"));
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Publisher for AmqpPublisher {
    async fn publish(&self, events: &[Envelope]) -> Result<(), String> {
        let mut link = self.link.lock().await;
        if link
            .as_ref()
            .is_none_or(|(conn, ch)| !conn.status().connected() || !ch.status().connected())
        {
            *link = None;
            *link = Some(self.connect().await?);
        }
        let Some((_, channel)) = link.as_ref() else {
            return Err("no channel to the broker".into());
        };
        let sent = tokio::time::timeout(BROKER_TIMEOUT, Self::send(channel, events))
            .await
            .unwrap_or_else(|_| {
                Err(format!(
                    "the broker did not confirm {} event(s) in {} s",
                    events.len(),
                    BROKER_TIMEOUT.as_secs()
                ))
            });
        if sent.is_err() {
            // Start afresh next time: the channel may be broken or half-way through. Closing
            // is bounded: when the connection broke while the batch was being written, lapin
            // may not have marked it broken yet, and `close` then waits for a `Close-Ok` that
            // never comes (the outage test of issue 10 saw the relay stall on it until the
            // app's 30 s publish timeout, holding every tenant's events back).
            if let Some((conn, _)) = link.take() {
                let close = conn.close(200, "reconnecting".into());
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, close).await;
            }
        }
        sent
    }
}

/// Relays events to `publisher` until the process stops: after every commit that wrote events
/// (the store's signal, from any process on PostgreSQL) and every 5 seconds. While the broker
/// is down, retries with a backoff from 1 second to [`MAX_BACKOFF`]; requests never wait for it.
pub async fn relay(app: App, publisher: Arc<dyn Publisher>) {
    let mut wakes = app.event_wakes();
    let mut backoff = Duration::from_secs(1);
    loop {
        match app.relay_events(publisher.clone(), RELAY_BATCH).await {
            Ok(n) => {
                if n > 0 {
                    tracing::debug!(events = n, "relayed to the broker");
                }
                backoff = Duration::from_secs(1);
            }
            Err(e) => {
                tracing::warn!(error = ?e, retry_in = ?backoff, "relaying events failed; they wait in the outbox");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        }
        tokio::select! {
            _ = wakes.recv() => {}
            () = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}
