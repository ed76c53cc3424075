//! The full demo import: every real order line, the ledger invariant after it.

use crate::helpers::{Backend, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_demo_import_maps_every_line_and_keeps_the_ledger_consistent() {
    let app = spawn_app(Backend::Sqlite).await;
    let report = larder::demo::load_demo(&app.app).await.unwrap();
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
    let again = larder::demo::load_demo(&app.app).await.unwrap();
    assert!(!again.loaded);
    assert_eq!(again.sales.tickets_already_imported, 13_397);
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
    assert_eq!(sales, 13_397);
    assert_eq!(openings, 70);
    assert!(run(&["check"]).status().unwrap().success());
    let _ = std::fs::remove_dir_all(&dir);
}
