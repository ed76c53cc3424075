//! The forward-only migrations of this backend (`migrations/`), tracked in SQLite's
//! `user_version` by `rusqlite_migration`.

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use crate::classify;
use larder_store::StoreError;

/// Every migration, in order. Append; never edit one that has shipped.
/// The migrations in order. A migration whose SQL cannot say everything it does carries a
/// hook (run in the same transaction, after the SQL).
fn migrations() -> Vec<M<'static>> {
    vec![
        M::up(include_str!("../migrations/20261121000001_foundation.sql")),
        M::up(include_str!(
            "../migrations/20261122000001_on_hand_range.sql"
        )),
        M::up(include_str!(
            "../migrations/20261122000002_member_deactivation.sql"
        )),
        M::up(include_str!("../migrations/20261122000003_api_keys.sql")),
        M::up(include_str!("../migrations/20261122000004_two_factor.sql")),
        M::up(include_str!(
            "../migrations/20261122000005_password_reset.sql"
        )),
        M::up(include_str!(
            "../migrations/20261122000006_location_limits.sql"
        )),
        M::up(include_str!("../migrations/20261122000007_sign_ups.sql")),
        M::up(include_str!(
            "../migrations/20261122000008_tenant_settings.sql"
        )),
        M::up(include_str!(
            "../migrations/20261122000009_movements_by_occurrence.sql"
        )),
        M::up(include_str!("../migrations/20261206000001_retire.sql")),
        M::up(include_str!(
            "../migrations/20261206000011_sales_import.sql"
        )),
        M::up(include_str!("../migrations/20261206000031_procurement.sql")),
        M::up(include_str!("../migrations/20261207000001_lots.sql")),
        M::up(include_str!(
            "../migrations/20261207000002_purchase_orders.sql"
        )),
        M::up(include_str!(
            "../migrations/20261207000003_goods_receipts.sql"
        )),
        M::up(include_str!("../migrations/20261207000005_invoices.sql")),
        M::up_with_hook(
            include_str!("../migrations/20261208000001_stock_operations.sql"),
            widen_movement_kinds,
        ),
        M::up(include_str!("../migrations/20261208000002_units.sql")),
        M::up(include_str!("../migrations/20261208000003_counts.sql")),
        M::up(include_str!("../migrations/20261208000004_waste.sql")),
        M::up(include_str!("../migrations/20261208000005_transfers.sql")),
        M::up(include_str!("../migrations/20261208000006_production.sql")),
        M::up(include_str!(
            "../migrations/20261208000007_recipe_history.sql"
        )),
        M::up(include_str!("../migrations/20261208000008_avt.sql")),
        M::up(include_str!("../migrations/20261209000001_events.sql")),
        M::up(include_str!("../migrations/20261209000002_webhooks.sql")),
        M::up(include_str!("../migrations/20261210000001_alerts.sql")),
        M::up(include_str!("../migrations/20261210000002_mail.sql")),
        M::up(include_str!("../migrations/20261211000001_numbering.sql")),
        M::up(include_str!("../migrations/20261212000001_kitchen.sql")),
        M::up(include_str!("../migrations/20261212000002_lots_expiry.sql")),
    ]
}

/// The movement kinds `stock_movements.kind` accepts from 20261208000001 on.
const MOVEMENT_KINDS: &str = "'opening', 'receipt', 'sale', 'waste', 'adjustment', \
    'count_adjustment', 'transfer_out', 'transfer_in', 'production_use', 'production_output'";

/// Widens the CHECK on `stock_movements.kind` to [`MOVEMENT_KINDS`]. SQLite cannot alter a
/// CHECK; loosening one that every stored row already satisfies is done by editing the table's
/// text in `sqlite_schema` and bumping `schema_version`, the procedure of
/// <https://www.sqlite.org/lang_altertable.html#otheralter>. Refuses (and so rolls back the
/// migration) if the stored text is not the one it expects.
fn widen_movement_kinds(tx: &rusqlite::Transaction) -> rusqlite_migration::HookResult {
    const OLD: &str = "'opening', 'receipt', 'sale', 'waste', 'adjustment', 'count_adjustment'";
    let sql: String = tx.query_row(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'stock_movements'",
        [],
        |r| r.get(0),
    )?;
    if sql.matches(OLD).count() != 1 {
        return Err(rusqlite_migration::HookError::Hook(
            "stock_movements.kind: the CHECK is not the one this migration widens".to_owned(),
        ));
    }
    let widened = sql.replace(OLD, MOVEMENT_KINDS);
    let version: i64 = tx.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
    tx.pragma_update(None, "writable_schema", true)?;
    tx.execute(
        "UPDATE sqlite_schema SET sql = ?1 WHERE type = 'table' AND name = 'stock_movements'",
        [&widened],
    )?;
    tx.pragma_update(None, "schema_version", version + 1)?;
    tx.pragma_update(None, "writable_schema", false)?;
    Ok(())
}

/// Brings the schema up to date.
///
/// A database created before this backend used `user_version` (by the sqlx migrator, which
/// recorded its migrations in `_sqlx_migrations`) is first marked with the number of
/// migrations that table says were applied, so none runs twice.
///
/// # Errors
/// [`StoreError::Other`] naming the migration that failed.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(classify)?;
    if version == 0 {
        let legacy: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
                [],
                |r| r.get(0),
            )
            .map_err(classify)?;
        if legacy == 1 {
            let applied: i64 = conn
                .query_row(
                    "SELECT count(*) FROM _sqlx_migrations WHERE success",
                    [],
                    |r| r.get(0),
                )
                .map_err(classify)?;
            conn.pragma_update(None, "user_version", applied)
                .map_err(classify)?;
        }
    }
    Migrations::new(migrations())
        .to_latest(conn)
        .map_err(|e| StoreError::Other(format!("migration failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_migrated_by_sqlx_is_not_migrated_again() {
        let mut conn = Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        // What the former sqlx migrator left: the schema, and its own table of migrations.
        conn.execute_batch(include_str!("../migrations/20261121000001_foundation.sql"))
            .unwrap_or_else(|e| panic!("{e}"));
        conn.execute_batch(
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
                 installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL,
                 checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);
             INSERT INTO _sqlx_migrations VALUES (20261121000001, 'foundation', '2026-11-21', 1, x'00', 1);",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        // Running the foundation again would fail on its CREATE TABLEs.
        assert!(migrate(&mut conn).is_ok());
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap_or_default();
        // The foundation is marked as applied; the migrations after it ran.
        assert_eq!(version, migrations().len() as i64);
        let triggers: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'stock_levels_on_hand_range%'",
                [],
                |r| r.get(0),
            )
            .unwrap_or_default();
        assert_eq!(triggers, 2);
    }

    #[test]
    fn the_migrations_are_valid_and_apply_once() {
        assert!(Migrations::new(migrations()).validate().is_ok());
        let mut conn = Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        assert!(migrate(&mut conn).is_ok());
        assert!(migrate(&mut conn).is_ok());
    }
}
