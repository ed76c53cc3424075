//! analytics (`AnalyticsTx`): usage by (offset) day from sale movements, menu items ranked by
//! quantity with exact revenue, and the span of sales.

use crate::*;

contract!(
    usage_by_day_splits_days_at_the_offset_boundary,
    top_menu_items_rank_by_quantity_with_exact_revenue,
    sales_span_is_the_first_and_last_sale,
);

async fn usage_by_day_splits_days_at_the_offset_boundary(store: S) {
    let s = seed(&store, "usage").await;
    let flour = item_row("Flour", None);
    let (rice, fl, loc) = (s.item, flour.id, s.location);
    let sale_of = |item, qty, t| mv(item, loc, MovementKind::Sale, qty, t);
    let feb28 = Utc.with_ymd_and_hms(2026, 2, 28, 23, 59, 59).unwrap();
    let posting = vec![
        sale_of(rice, "-100", feb28),  // before `from`: not counted
        sale_of(rice, "-4", at(1, 0)), // at `from`: counted
        sale_of(rice, "-1", plus_micros(at_hms(2, 3, 59, 59), 999_999)), // just before 04:00
        sale_of(rice, "-2", at_hms(2, 4, 0, 0)), // 04:00 sharp
        sale_of(rice, "-0.5", at(2, 20)),
        sale_of(rice, "0.25", at(2, 21)), // a void nets off
        sale_of(fl, "-3", at(2, 5)),
        mv(rice, loc, MovementKind::Waste, "-7", at(2, 10)), // not a sale
        sale_of(fl, "-50", at(3, 12)),                       // at `to`: not counted
    ];
    let (from, to) = (at(1, 0), at(3, 12));
    let usage = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_item(&flour).await?;
            tx.append_movements(&posting).await?;
            let mut out = Vec::new();
            // UTC with a 04:00 cutoff; plain UTC; UTC+05:30 with a midnight cutoff.
            for offset in [-4 * 3600, 0, 5 * 3600 + 1800] {
                out.push(
                    tx.usage_by_day(LocationScope::All, from, to, offset)
                        .await?,
                );
            }
            Ok(out)
        })
    })
    .await;
    let row = |d: i64, item_id, qty: &str| DailyUsageRow {
        day: d,
        item_id,
        quantity: q(qty),
    };
    let sorted = |mut rows: Vec<DailyUsageRow>| {
        rows.sort_by_key(|r| (r.day, r.item_id));
        rows
    };
    assert_eq!(
        usage,
        vec![
            // 00:00 on the 1st belongs to the 28th; 03:59:59.999999 on the 2nd to the 1st.
            sorted(vec![
                row(day(2, 28), rice, "4"),
                row(day(3, 1), rice, "1"),
                row(day(3, 2), rice, "2.25"),
                row(day(3, 2), fl, "3"),
            ]),
            sorted(vec![
                row(day(3, 1), rice, "4"),
                row(day(3, 2), rice, "3.25"),
                row(day(3, 2), fl, "3"),
            ]),
            // 20:00 and 21:00 UTC on the 2nd are past midnight on the 3rd in UTC+05:30.
            sorted(vec![
                row(day(3, 1), rice, "4"),
                row(day(3, 2), rice, "3"),
                row(day(3, 2), fl, "3"),
                row(day(3, 3), rice, "0.25"),
            ]),
        ]
    );
}

async fn top_menu_items_rank_by_quantity_with_exact_revenue(store: S) {
    let s = seed(&store, "top").await;
    let tikka = MenuItemRow {
        id: MenuItemId::new(),
        name: "Chicken Tikka".into(),
        category: Some("Grill".into()),
        recipe_id: None,
        portion: q("1"),
        price: Some(money("12.50")),
        version: 1,
        created_at: at(1, 1),
        retired_at: None,
    };
    let tikka_id = tikka.id;
    let mapped = |line_no, qty, price| SaleLineRow {
        menu_item_id: Some(tikka_id),
        ..sale_line(line_no, "Chicken Tikka", qty, price)
    };
    let loc = s.location;
    let sales = vec![
        sale(loc, None, at(2, 0), vec![sale_line(1, "Dal", "3", "4.00")]),
        sale(
            loc,
            None,
            at(2, 19),
            vec![
                mapped(1, "2", "12.50"),
                sale_line(2, "Naan", "3", "2.75"),
                sale_line(3, "Lassi", "1", "3.333333"),
            ],
        ),
        sale(
            loc,
            None,
            at(2, 20),
            vec![
                mapped(1, "1", "11.00"),
                sale_line(2, "Naan", "2", "2.75"),
                sale_line(3, "Lassi", "0.5", "3.333333"),
            ],
        ),
        // At `to`, and before `from`: not counted.
        sale(loc, None, at(5, 0), vec![mapped(1, "100", "1.00")]),
        sale(
            loc,
            None,
            at(1, 23),
            vec![sale_line(1, "Naan", "100", "1.00")],
        ),
    ];
    let (top3, all, empty) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_menu_item(&tikka).await?;
            tx.insert_sales(&sales).await?;
            Ok((
                tx.top_menu_items(LocationScope::All, at(2, 0), at(5, 0), 3)
                    .await?,
                tx.top_menu_items(LocationScope::All, at(2, 0), at(5, 0), 10)
                    .await?,
                tx.top_menu_items(LocationScope::All, at(6, 0), at(7, 0), 10)
                    .await?,
            ))
        })
    })
    .await;
    let row = |name: &str, menu_item_id, qty: &str, revenue_billionths| TopMenuItemRow {
        item_name: name.into(),
        menu_item_id,
        quantity: q(qty),
        revenue_billionths,
    };
    let expected = vec![
        // 5 x 2.75
        row("Naan", None, "5", 13_750_000_000),
        // 2 x 12.50 + 1 x 11.00; ties on quantity go by name
        row("Chicken Tikka", Some(tikka_id), "3", 36_000_000_000),
        row("Dal", None, "3", 12_000_000_000),
        // 1.5 x 3.333333 = 4.9999995: billionths keep the half for the caller to round
        row("Lassi", None, "1.5", 4_999_999_500),
    ];
    assert_eq!(all, expected);
    assert_eq!(top3, expected[..3].to_vec());
    assert!(empty.is_empty(), "{empty:?}");
}

async fn sales_span_is_the_first_and_last_sale(store: S) {
    let s = seed(&store, "span").await;
    let none = read(&store, s.tenant, |tx| {
        Box::pin(async move { tx.sales_span(LocationScope::All).await })
    })
    .await;
    assert_eq!(none, None);
    let first = plus_micros(at(2, 19), 123_456);
    let last = plus_micros(at(9, 1), 1);
    let sales = vec![
        sale(s.location, None, at(5, 12), Vec::new()),
        sale(s.location, None, last, Vec::new()),
        sale(s.location, None, first, Vec::new()),
    ];
    let span = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_sales(&sales).await?;
            tx.sales_span(LocationScope::All).await
        })
    })
    .await;
    assert_eq!(span, Some((first, last)));
    // Another tenant's sales are not in it.
    let other = seed(&store, "span-other").await;
    let theirs = vec![sale(other.location, None, at(1, 0), Vec::new())];
    post_sales(&store, other.tenant, theirs).await;
    let span = read(&store, s.tenant, |tx| {
        Box::pin(async move { tx.sales_span(LocationScope::All).await })
    })
    .await;
    assert_eq!(span, Some((first, last)));
}

async fn post_sales(store: &S, tenant: TenantId, sales: Vec<SaleRow>) {
    write(store, tenant, move |tx| {
        Box::pin(async move { tx.insert_sales(&sales).await })
    })
    .await;
}
