//! The full demo import: every real order line, the ledger invariant after it.

use crate::helpers::{Backend, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_demo_import_maps_every_line_and_keeps_the_ledger_consistent() {
    let app = spawn_app(Backend::Sqlite).await;
    let hidden = indicatif::ProgressBar::hidden();
    let report = larder::demo::load_demo(&app.app, &hidden).await.unwrap();
    assert!(report.loaded);
    assert_eq!(report.sales.rows_read, 74_818);
    assert!(report.sales.errors.is_empty());
    assert_eq!(report.sales.tickets_imported, 13_397);
    // The book maps every name sold.
    assert_eq!(report.sales.lines_depleted, 74_818);
    assert!(report.sales.movements > 0 && report.receipts > 0);
    assert_eq!(report.openings, 70);
    assert!(
        app.app.check_ledger().await.unwrap().is_empty(),
        "on hand must equal the sum of movements"
    );
    // Loading again is a no-op.
    let again = larder::demo::load_demo(&app.app, &hidden).await.unwrap();
    assert!(!again.loaded);
    assert_eq!(again.sales.tickets_already_imported, 13_397);
}

/// The pizza place's own two files through the import with a saved mapping, as a restaurant
/// would load them: every order line maps (through the pizza ids mapped to menu items), and
/// the revenue is the dataset's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pizza_demo_imports_its_two_files_with_a_mapping_and_maps_every_line() {
    let app = spawn_app(Backend::Sqlite).await;
    let hidden = indicatif::ProgressBar::hidden();
    let report = larder::pizza_demo::load_pizza(&app.app, &hidden)
        .await
        .unwrap();
    assert!(report.loaded);
    assert_eq!(
        (
            report.book.items,
            report.book.recipes,
            report.book.menu_items
        ),
        (66, 32, 96)
    );
    assert_eq!(report.aliases, 96);
    let s = &report.sales;
    assert!(s.errors.is_empty(), "{:?}", s.errors.first());
    assert_eq!(s.rows_read, 48_620);
    assert_eq!(s.tickets_imported, 21_350);
    assert_eq!(s.lines_depleted, 48_620, "{:?}", s.unmapped.first());
    // The first order, 2015-01-01 11:38:36 in New York, is 16:38:36 UTC.
    assert_eq!(
        s.first_sale.map(|t| t.to_rfc3339()),
        Some("2015-01-01T16:38:36+00:00".to_string())
    );
    assert!(report.receipts > 0);
    assert!(app.app.check_ledger().await.unwrap().is_empty());
    // The files carry no prices: each line took its menu item's, and the year's revenue is the
    // dataset's (SOURCE.md: 817,860.05 USD).
    let owner = app
        .app
        .operator_principal(&larder::pizza_demo::PIZZA_EMAIL.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    let top = app
        .app
        .top_menu_items(
            owner,
            at("2015-01-01T00:00:00Z"),
            at("2016-01-02T00:00:00Z"),
            Some(100),
        )
        .await
        .unwrap();
    assert_eq!(top.len(), 91, "91 of the 96 pizza ids sell");
    let revenue: i64 = top.iter().map(|t| t.revenue.raw()).sum();
    assert_eq!(
        larder_core::Money::from_raw(revenue).to_string(),
        "817860.05"
    );
    let again = larder::pizza_demo::load_pizza(&app.app, &hidden)
        .await
        .unwrap();
    assert!(!again.loaded);
    assert_eq!(again.sales.tickets_already_imported, 21_350);
}

/// `kill -9` in the middle of the demo's sales replay: the ledger is consistent, and running
/// the demo again finishes the job without duplicating a ticket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_killed_mid_replay_leaves_a_consistent_ledger_and_resumes() {
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
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("first-run.log");
    let mut child = run(&["demo", "--no-serve"])
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let db = dir.join("larder.db");
    let count = |sql: &str| -> Option<i64> {
        let conn =
            rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .ok()?;
        conn.query_row(sql, [], |r| r.get(0)).ok()
    };
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
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        seen = count("SELECT count(*) FROM sales").unwrap_or(0);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // A fresh demo logs no error for what it expects (there being no demo user yet).
    let first = std::fs::read_to_string(&log).unwrap();
    assert!(
        !first.to_lowercase().contains("error"),
        "the fresh demo logged an error: {first}"
    );

    let check = run(&["check"]).status().unwrap();
    assert!(check.success(), "the ledger is inconsistent after the kill");
    let again = run(&["demo", "--no-serve"]).status().unwrap();
    assert!(again.success());
    let sales = count("SELECT count(*) FROM sales").unwrap();
    let openings = count("SELECT count(*) FROM stock_movements WHERE kind = 'opening'").unwrap();
    // Both demo tenants: the takeaway's 13,397 tickets and 70 items' opening counts, the pizza
    // place's 21,350 orders and 66 items'.
    assert_eq!(sales, 13_397 + 21_350);
    assert_eq!(openings, 70 + 66);
    assert!(run(&["check"]).status().unwrap().success());
    let _ = std::fs::remove_dir_all(&dir);
}
