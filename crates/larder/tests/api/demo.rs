//! The full demo import: every real order line, the ledger invariant after it.

use larder::demo::{ORDERS_CSV, PRICES_CSV, RECIPES_TOML};

use crate::helpers::{Backend, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_demo_import_maps_every_line_and_keeps_the_ledger_consistent() {
    let app = spawn_app(Backend::Sqlite).await;
    let report = app
        .app
        .load_demo(ORDERS_CSV, RECIPES_TOML, PRICES_CSV)
        .await
        .unwrap();
    assert!(report.loaded);
    assert_eq!(report.lines, 74_818);
    assert_eq!(report.bad_rows, 0);
    assert_eq!(report.tickets, 13_397);
    // The bar is 95 %; the book maps every name.
    assert!(
        report.lines_depleted * 100 >= 95 * 74_818,
        "{} lines depleted",
        report.lines_depleted
    );
    assert_eq!(report.lines_depleted, 74_818);
    assert!(report.sale_movements > 0 && report.receipts > 0);
    assert!(
        app.app.check_ledger().await.unwrap().is_empty(),
        "on hand must equal the sum of movements"
    );
    // Loading again is a no-op.
    let again = app
        .app
        .load_demo(ORDERS_CSV, RECIPES_TOML, PRICES_CSV)
        .await
        .unwrap();
    assert!(!again.loaded);
}
