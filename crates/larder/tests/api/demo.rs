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
    let costs = app.app.check_costs().await.unwrap();
    assert!(costs.is_empty(), "values and lots must agree: {costs:?}");
    assert_eq!(
        (report.supply.suppliers, report.supply.supplier_items),
        (3, 70)
    );
    the_takeaway_bought_its_stock_and_stayed_plausible(&app, &report).await;
    the_takeaway_counts_wastes_and_makes_its_prep_believably(&app, &report).await;
    the_takeaway_buys_every_item_from_one_preferred_supplier_item_at_its_unit_cost(&app).await;
    // Loading again is a no-op, and duplicates no supplier.
    let again = larder::demo::load_demo(&app.app, &hidden).await.unwrap();
    assert!(!again.loaded);
    assert_eq!(again.sales.tickets_already_imported, 13_397);
    assert!(!again.supply.any());
    the_takeaway_buys_every_item_from_one_preferred_supplier_item_at_its_unit_cost(&app).await;
}

/// A demo tenant's suppliers (by name), every item with exactly one preferred supplier item at
/// its one location, and every price per pack, from `prices_from`, exactly the item's unit cost
/// x the pack (as exact decimal strings). The test's SQLite file must hold only this tenant.
async fn every_item_has_one_preferred_supplier_item_priced_at_its_unit_cost(
    app: &crate::helpers::TestApp,
    owner: larder_app::Principal,
    location: &str,
    suppliers: &[&str],
    prices_from: &str,
) -> Vec<larder_app::procurement::SupplierItem> {
    use larder_app::procurement::{SupplierItemQuery, SupplierQuery};
    let stored = app
        .app
        .list_suppliers(
            owner,
            SupplierQuery {
                include_inactive: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .data;
    let mut names: Vec<&str> = stored.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, suppliers);
    let items = app
        .app
        .list_items(
            owner,
            larder_app::catalog::ItemQuery {
                limit: Some(500),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .data;
    // Prep items (the takeaway's base gravy and naan dough) are made, not bought.
    let prep: Vec<_> = app
        .app
        .list_production_settings(owner)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.item_id)
        .collect();
    let items: Vec<_> = items
        .into_iter()
        .filter(|i| !prep.contains(&i.id))
        .collect();
    let supplier_items = app
        .app
        .list_supplier_items(owner, SupplierItemQuery::default())
        .await
        .unwrap()
        .data;
    assert_eq!(supplier_items.len(), items.len());
    let prices_from = chrono::DateTime::parse_from_rfc3339(prices_from)
        .unwrap()
        .to_utc();
    for si in &supplier_items {
        let item = items.iter().find(|i| i.id == si.item_id).unwrap();
        let unit_cost = item.unit_cost.unwrap();
        // unit cost (millionths) x pack (thousandths): exact when a whole millionth.
        let product = i128::from(unit_cost.raw()) * i128::from(si.pack_quantity.raw());
        assert_eq!(product % 1000, 0, "{}", si.supplier_sku);
        let expected =
            larder_core::Money::from_raw(i64::try_from(product / 1000).unwrap()).to_string();
        assert_eq!(si.prices.len(), 1, "{}", si.supplier_sku);
        assert_eq!(si.prices[0].effective_from, prices_from);
        assert_eq!(
            si.prices[0].price_per_pack.to_string(),
            expected,
            "{} ({} x {})",
            si.supplier_sku,
            unit_cost,
            si.pack_quantity
        );
        assert_eq!(
            si.current_price.map(|p| p.to_string()),
            Some(expected.clone())
        );
    }
    // Preferred supplier items have no read use case yet: read the table. One row per item,
    // at the demo location, each a supplier item of that same item.
    let location = app
        .app
        .find_location(owner.tenant_id, location)
        .await
        .unwrap();
    let conn = rusqlite::Connection::open_with_flags(
        app.data_dir.join("larder.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let (rows, distinct_items, at_location, matching): (i64, i64, i64, i64) = conn
        .query_row(
            "SELECT count(*), count(DISTINCT ps.item_id), count(ps.location_id = ?1 OR NULL),
                    count(si.id)
             FROM preferred_suppliers ps
             LEFT JOIN supplier_items si ON si.tenant_id = ps.tenant_id
                  AND si.id = ps.supplier_item_id AND si.item_id = ps.item_id",
            [location.as_uuid().as_bytes().to_vec()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    let n = i64::try_from(items.len()).unwrap();
    assert_eq!((rows, distinct_items, at_location, matching), (n, n, n, n));
    supplier_items
}

/// The takeaway's three suppliers, each item bought as one supplier item at its unit cost; and
/// what the purchasing replay will read of them.
async fn the_takeaway_buys_every_item_from_one_preferred_supplier_item_at_its_unit_cost(
    app: &crate::helpers::TestApp,
) {
    let owner = app
        .app
        .operator_principal(&larder::demo::DEMO_EMAIL.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let supplier_items = every_item_has_one_preferred_supplier_item_priced_at_its_unit_cost(
        app,
        owner,
        larder::demo::DEMO_LOCATION,
        &[
            "Al-Noor Halal Butchers",
            "Borough Fresh Produce & Dairy",
            "Southside Catering Wholesale",
        ],
        larder::demo::PRICES_FROM,
    )
    .await;
    assert_eq!(supplier_items.len(), 70);
    let rice = supplier_items
        .iter()
        .find(|s| s.supplier_sku == "SCW-RICE-10")
        .unwrap();
    assert_eq!(
        (
            rice.pack_quantity.to_string(),
            rice.prices[0].price_per_pack.to_string()
        ),
        ("10000.000".to_string(), "16.00".to_string())
    );
    let supply = larder::demo::demo_supply(&app.app, owner).await.unwrap();
    assert_eq!(supply.len(), 70);
    let chicken = supply
        .values()
        .find(|s| s.supplier_sku == "AN-CHICKEN-BREAST-2")
        .unwrap();
    assert_eq!(
        (
            chicken.pack_quantity.to_string(),
            chicken.price_per_pack.to_string(),
            chicken.shelf_life_days,
            chicken.lead_time_days,
            chicken.order_days.to_string()
        ),
        (
            "2000.000".to_string(),
            "11.00".to_string(),
            4,
            1,
            "tuesday,friday".to_string()
        )
    );
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
    // Two suppliers; each item bought as one supplier item at its unit cost.
    assert_eq!(
        (report.supply.suppliers, report.supply.supplier_items),
        (2, 66)
    );
    let pizza_suppliers = [
        "Empire Foodservice Distributors",
        "Hudson Valley Produce & Dairy",
    ];
    every_item_has_one_preferred_supplier_item_priced_at_its_unit_cost(
        &app,
        owner,
        larder::pizza_demo::PIZZA_LOCATION,
        &pizza_suppliers,
        larder::pizza_demo::PIZZA_PRICES_FROM,
    )
    .await;
    let supply = larder::pizza_demo::pizza_supply(&app.app, owner)
        .await
        .unwrap();
    let dough = supply
        .values()
        .find(|s| s.supplier_sku == "EFD-DOUGH-40X250")
        .unwrap();
    assert_eq!(
        (
            dough.pack_quantity.to_string(),
            dough.price_per_pack.to_string(),
            dough.shelf_life_days,
            dough.order_days.to_string()
        ),
        (
            "10000.000".to_string(),
            "12.00".to_string(),
            90,
            "tuesday,friday".to_string()
        )
    );
    let again = larder::pizza_demo::load_pizza(&app.app, &hidden)
        .await
        .unwrap();
    assert!(!again.loaded);
    assert_eq!(again.sales.tickets_already_imported, 21_350);
    assert!(!again.supply.any());
    every_item_has_one_preferred_supplier_item_priced_at_its_unit_cost(
        &app,
        owner,
        larder::pizza_demo::PIZZA_LOCATION,
        &pizza_suppliers,
        larder::pizza_demo::PIZZA_PRICES_FROM,
    )
    .await;
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

/// The takeaway's four years were bought for: hundreds of orders from the reorder
/// suggestions, each delivered (but the last few, still on their way), and at the end of each
/// month items rarely below zero, stock worth something, and the cost of goods used counted.
async fn the_takeaway_bought_its_stock_and_stayed_plausible(
    app: &crate::helpers::TestApp,
    report: &larder::demo::DemoReport,
) {
    use chrono::{Datelike, TimeZone};
    use larder_app::inventory::valuation::{GoodsUsedQuery, StockValueQuery};
    assert!(report.orders > 300, "orders placed: {}", report.orders);
    assert!(
        report.receipts + 6 >= report.orders && report.receipts <= report.orders,
        "{} orders, {} deliveries",
        report.orders,
        report.receipts
    );
    let owner = app
        .app
        .operator_principal(&larder_core::Email::parse(larder::demo::DEMO_EMAIL).unwrap())
        .await
        .unwrap()
        .unwrap();
    let (mut lines, mut negative) = (0usize, 0usize);
    for year in 2015..=2019 {
        for month in 1..=12u32 {
            let Some(at) = chrono::Utc
                .with_ymd_and_hms(year, month, 1, 0, 0, 0)
                .single()
            else {
                continue;
            };
            if at < chrono::Utc.with_ymd_and_hms(2015, 10, 1, 0, 0, 0).unwrap()
                || at > chrono::Utc.with_ymd_and_hms(2019, 8, 1, 0, 0, 0).unwrap()
            {
                continue;
            }
            let v = app
                .app
                .stock_value(
                    owner,
                    StockValueQuery {
                        as_of: Some(at),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            assert!(v.total.raw() > 0, "stock value on {at}: {}", v.total);
            lines += v.lines.len();
            negative += v
                .lines
                .iter()
                .filter(|l| l.quantity.is_some_and(larder_core::Quantity::is_negative))
                .count();
            let _ = at.month();
        }
    }
    eprintln!("month-end item levels below zero: {negative} of {lines}");
    assert!(
        negative * 100 <= lines * 2,
        "{negative} of {lines} month-end item levels are below zero"
    );
    let used = app
        .app
        .goods_used(
            owner,
            GoodsUsedQuery {
                from: chrono::Utc.with_ymd_and_hms(2015, 9, 1, 0, 0, 0).unwrap(),
                to: chrono::Utc.with_ymd_and_hms(2019, 9, 1, 0, 0, 0).unwrap(),
                location_id: None,
                group_by: None,
            },
        )
        .await
        .unwrap();
    assert!(used.total.raw() > 0);
    assert!(
        used.by_kind
            .iter()
            .any(|k| k.kind == larder_core::inventory::MovementKind::Sale)
    );
}

/// The takeaway's stock operations (issue 9, item 10): monthly full and weekly cycle counts,
/// waste, prep made in batches; and the AvT report between two monthly counts shows what a
/// manager would believe: a loss of a few percent of what the recipes explain, most of it in
/// fresh food, with nothing missing from the period.
async fn the_takeaway_counts_wastes_and_makes_its_prep_believably(
    app: &crate::helpers::TestApp,
    report: &larder::demo::DemoReport,
) {
    use larder_app::analytics::avt::AvtQuery;
    let s = report.stock;
    // 47 months with a first of the month, about 150 other Mondays.
    assert!(
        s.counts > 180 && s.batches > 1_000 && s.waste > 100,
        "{s:?}"
    );
    let owner = app
        .app
        .operator_principal(&larder_core::Email::parse(larder::demo::DEMO_EMAIL).unwrap())
        .await
        .unwrap()
        .unwrap();
    let location = app
        .app
        .find_location(owner.tenant_id, larder::demo::DEMO_LOCATION)
        .await
        .unwrap();
    let full: Vec<_> = app
        .app
        .avt_counts(owner, location)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.scope == "full")
        .collect();
    assert!(full.len() >= 4, "{} full counts listed", full.len());
    // Latest first: the month before last, closed by last month's count.
    let (open, close) = (&full[2], &full[1]);
    let avt = app
        .app
        .avt_report(
            owner,
            AvtQuery {
                location_id: location,
                from: None,
                to: None,
                from_count: Some(open.id),
                to_count: Some(close.id),
            },
        )
        .await
        .unwrap();
    assert!(avt.trustworthy, "{:?}", avt.reasons);
    let t = &avt.total;
    assert!(t.theoretical_usage.raw() > 0);
    let pct: f64 = t
        .variance_percent
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    eprintln!(
        "AvT {} .. {}: theoretical {} actual {} variance {} ({pct} %)",
        avt.from, avt.to, t.theoretical_usage, t.actual_usage, t.variance
    );
    assert!(
        (0.3..=6.0).contains(&pct),
        "a month's loss of {pct} % of theoretical usage is not what a kitchen sees"
    );
    // Ranked by the variance's value; the largest is fresh food.
    let top = &avt.lines[0];
    assert!(
        avt.lines
            .windows(2)
            .all(|w| w[0].variance.value.raw().abs() >= w[1].variance.value.raw().abs()),
        "ranked by value"
    );
    assert!(
        matches!(
            top.category.as_deref(),
            Some("Vegetables" | "Meat and fish" | "Dairy" | "Prep")
        ),
        "{} ({:?}) tops the variance",
        top.name,
        top.category
    );
}
