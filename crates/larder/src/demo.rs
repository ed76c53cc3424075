//! `larder demo`: the London takeaway's real sales, embedded in the binary, loaded into a demo
//! tenant; then the login is printed and the server started.

use anyhow::Context;
use larder_app::App;
use larder_app::demo::{DEMO_EMAIL, DEMO_PASSWORD};

use crate::{Config, build_app, open_store};

/// The real order lines (see `demo/takeaway/SOURCE.md`).
pub const ORDERS_CSV: &str = include_str!("../../../demo/takeaway/restaurant-1-orders.csv");
/// The authored recipe book.
pub const RECIPES_TOML: &str = include_str!("../../../demo/takeaway/recipes.toml");
/// The takeaway's price list.
pub const PRICES_CSV: &str = include_str!("../../../demo/takeaway/restaurant-1-products-price.csv");

/// Loads the demo unless the demo tenant exists, and returns the application to serve.
///
/// # Errors
/// Loading failures.
pub async fn load(config: &Config) -> anyhow::Result<App> {
    let store = open_store(config).await?;
    let app = build_app(config, store)?;
    let started = std::time::Instant::now();
    let report = app
        .load_demo(ORDERS_CSV, RECIPES_TOML, PRICES_CSV)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("failed to load the demo")?;
    if report.loaded {
        let pct = 100.0 * report.lines_depleted as f64 / report.lines.max(1) as f64;
        tracing::info!(
            items = report.book.items,
            recipes = report.book.recipes,
            menu_items = report.book.menu_items,
            tickets = report.tickets,
            lines = report.lines,
            lines_mapped_pct = format!("{pct:.2}"),
            sale_movements = report.sale_movements,
            receipts = report.receipts,
            bad_rows = report.bad_rows,
            seconds = format!("{:.1}", started.elapsed().as_secs_f64()),
            "demo loaded"
        );
    } else {
        tracing::info!("demo tenant already present; nothing loaded");
    }
    Ok(app)
}

/// The lines `larder demo` prints once it listens.
pub fn login_lines() -> [String; 2] {
    [
        format!("email: {DEMO_EMAIL}"),
        format!("password: {DEMO_PASSWORD}"),
    ]
}
