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

/// `kill -9` in the middle of the demo's sales replay: the ledger is consistent, and running
/// the demo again finishes the job without duplicating a ticket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_killed_mid_replay_leaves_a_consistent_ledger_and_resumes() {
    use sqlx::Connection;
    let larder = env!("CARGO_BIN_EXE_larder");
    let dir = std::env::temp_dir().join(format!("larder-kill-{}", uuid::Uuid::now_v7()));
    let run = |args: &[&str]| {
        let mut cmd = std::process::Command::new(larder);
        cmd.args(args)
            .arg("--data-dir")
            .arg(&dir)
            .env_remove("DATABASE_URL")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd
    };
    let mut child = run(&["demo", "--no-serve"]).spawn().unwrap();
    let url = format!("sqlite://{}?mode=ro", dir.join("larder.db").display());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    let mut seen = 0i64;
    while seen < 3000 {
        assert!(
            std::time::Instant::now() < deadline,
            "the demo never got to its sales"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the demo finished before it could be killed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        if let Ok(mut conn) = sqlx::SqliteConnection::connect(&url).await {
            seen = sqlx::query_scalar("SELECT count(*) FROM sales")
                .fetch_one(&mut conn)
                .await
                .unwrap_or(0);
            let _ = conn.close().await;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let check = run(&["check"]).status().unwrap();
    assert!(check.success(), "the ledger is inconsistent after the kill");
    let again = run(&["demo", "--no-serve"]).status().unwrap();
    assert!(again.success());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let sales: i64 = sqlx::query_scalar("SELECT count(*) FROM sales")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let openings: i64 =
        sqlx::query_scalar("SELECT count(*) FROM stock_movements WHERE kind = 'opening'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    conn.close().await.unwrap();
    assert_eq!(sales, 13_397);
    assert_eq!(openings, 70);
    assert!(run(&["check"]).status().unwrap().success());
    let _ = std::fs::remove_dir_all(&dir);
}
