//! The alert loop (ADR 028): checks each tenant's alert rules every minute (the clock alone
//! brings lots near their date, orders overdue, a new business day) and soon after a commit of
//! that tenant wrote events (stock moved, a count was approved): a second after the change,
//! but not sooner than [`MIN_GAP`] after the tenant's last check, so a tenant posting sales
//! every second is checked a few times a minute, not sixty.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::Utc;
use larder_app::App;
use larder_core::TenantId;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

/// How often every tenant's rules are checked.
pub const EVERY: Duration = Duration::from_secs(60);
/// How long after a change its tenant's rules are checked (a burst of changes counts once).
pub const AFTER_CHANGE: Duration = Duration::from_secs(1);
/// The least time between two checks of one tenant that changes bring about.
pub const MIN_GAP: Duration = Duration::from_secs(15);
/// The least time between two re-readings of the work list that a change of a tenant not on
/// it brings about (a tenant's first rule is also seen at the next sweep).
const RELIST_GAP: Duration = Duration::from_secs(10);

/// Runs the loop until the process stops.
pub async fn run(app: App) {
    let mut wakes = app.event_wakes();
    let mut watched: BTreeSet<TenantId> = BTreeSet::new();
    let mut last: BTreeMap<TenantId, Instant> = BTreeMap::new();
    let mut pending: BTreeMap<TenantId, Instant> = BTreeMap::new();
    let mut next_sweep = Instant::now();
    let mut relisted = Instant::now();
    loop {
        let now = Instant::now();
        if now >= next_sweep {
            match app.alert_tenants().await {
                Ok(t) => {
                    watched = t.into_iter().collect();
                    relisted = now;
                    let all: Vec<TenantId> = watched.iter().copied().collect();
                    app.alert_round(&all, Utc::now()).await;
                    for t in &all {
                        last.insert(*t, now);
                    }
                    last.retain(|t, _| watched.contains(t));
                    pending.clear();
                }
                Err(e) => tracing::warn!(error = %e, "listing the tenants with alert rules failed"),
            }
            next_sweep = now + EVERY;
        }
        let ready: Vec<TenantId> = pending
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(t, _)| *t)
            .collect();
        if !ready.is_empty() {
            app.alert_round(&ready, Utc::now()).await;
            for t in &ready {
                pending.remove(t);
                last.insert(*t, Instant::now());
            }
        }
        let wake_at = pending
            .values()
            .copied()
            .min()
            .map_or(next_sweep, |p| p.min(next_sweep));
        let mut changed: BTreeSet<TenantId> = BTreeSet::new();
        tokio::select! {
            w = wakes.recv() => match w {
                Ok(w) => { changed.insert(w.tenant_id); }
                Err(RecvError::Lagged(_)) => changed.extend(watched.iter().copied()),
                Err(RecvError::Closed) => return,
            },
            () = tokio::time::sleep_until(wake_at) => continue,
        }
        // Take the rest of the burst without waiting.
        loop {
            match wakes.try_recv() {
                Ok(w) => {
                    changed.insert(w.tenant_id);
                }
                Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => {
                    changed.extend(watched.iter().copied());
                }
                Err(_) => break,
            }
        }
        let now = Instant::now();
        if changed.iter().any(|t| !watched.contains(t))
            && now.duration_since(relisted) >= RELIST_GAP
            && let Ok(t) = app.alert_tenants().await
        {
            watched = t.into_iter().collect();
            relisted = now;
        }
        for t in changed.intersection(&watched) {
            let earliest = last
                .get(t)
                .map_or(now, |l| *l + MIN_GAP)
                .max(now + AFTER_CHANGE);
            pending.entry(*t).or_insert(earliest);
        }
    }
}
