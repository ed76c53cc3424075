//! The alert loop (ADR 028): checks each tenant's alert rules every minute (the clock alone
//! brings lots near their date, orders overdue, a new business day) and, debounced, a second
//! after a commit of that tenant wrote events (stock moved, a count was approved).

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::Utc;
use larder_app::App;
use larder_core::TenantId;

/// How often every tenant's rules are checked.
pub const EVERY: Duration = Duration::from_secs(60);
/// How long after a change its tenant's rules are checked (a burst of changes counts once).
pub const AFTER_CHANGE: Duration = Duration::from_secs(1);

/// Runs the loop until the process stops.
pub async fn run(app: App) {
    let mut wakes = app.event_wakes();
    let mut watched: BTreeSet<TenantId> = BTreeSet::new();
    let mut next_sweep = tokio::time::Instant::now();
    loop {
        if tokio::time::Instant::now() >= next_sweep {
            match app.alert_tenants().await {
                Ok(t) => {
                    watched = t.into_iter().collect();
                    let all: Vec<TenantId> = watched.iter().copied().collect();
                    app.alert_round(&all, Utc::now()).await;
                }
                Err(e) => tracing::warn!(error = %e, "listing the tenants with alert rules failed"),
            }
            next_sweep = tokio::time::Instant::now() + EVERY;
        }
        let mut changed: BTreeSet<TenantId> = BTreeSet::new();
        tokio::select! {
            w = wakes.recv() => match w {
                Ok(w) => { changed.insert(w.tenant_id); }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    changed.extend(watched.iter().copied());
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            },
            () = tokio::time::sleep_until(next_sweep) => continue,
        }
        // Gather the burst, then check the tenants it touched that have rules (a new rule is
        // seen at the next sweep, or by its own creation's event below).
        let until = tokio::time::Instant::now() + AFTER_CHANGE;
        while let Ok(Ok(w)) = tokio::time::timeout_at(until, wakes.recv()).await {
            changed.insert(w.tenant_id);
        }
        if changed.iter().any(|t| !watched.contains(t))
            && let Ok(t) = app.alert_tenants().await
        {
            watched = t.into_iter().collect();
        }
        let due: Vec<TenantId> = changed.intersection(&watched).copied().collect();
        if !due.is_empty() {
            app.alert_round(&due, Utc::now()).await;
        }
    }
}
