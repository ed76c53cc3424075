//! The statements SQLite writes its own way (see [`larder_store::sql::Dialect`]). A batch
//! statement runs once per row on the writer's cached statement; instants are INTEGER
//! microseconds; a list parameter arrives as a JSON array.

use larder_store::sql::Dialect;

/// SQLite's dialect.
pub static DIALECT: Dialect = Dialect {
    backend: "sqlite",
    set_user: None,
    insert_movements: "INSERT INTO stock_movements
         (tenant_id, id, item_id, location_id, kind, quantity, unit_cost, reason, sale_id,
          created_by, occurred_at, recorded_at, value, cost_variance, shortfall, settled,
          reverses)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    add_to_stock_levels: "INSERT INTO stock_levels
         (tenant_id, item_id, location_id, on_hand, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id, item_id, location_id) DO UPDATE
         SET on_hand = stock_levels.on_hand + excluded.on_hand,
             updated_at = max(stock_levels.updated_at, excluded.updated_at)
         RETURNING item_id, location_id, on_hand, value, last_cost,
             (SELECT t.valuation_method FROM tenants t WHERE t.id = $1)",
    open_lots: "SELECT item_id, location_id, id, expires_on, received_at, remaining,
             remaining_value
         FROM lots
         WHERE tenant_id = $1 AND item_id = $2 AND location_id = $3 AND remaining > 0",
    insert_lots: "INSERT INTO lots
         (tenant_id, id, item_id, location_id, code, expires_on, received_at, received_quantity,
          unit_cost, remaining, remaining_value, movement_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    update_lots: "UPDATE lots SET remaining = $3, remaining_value = $4
         WHERE tenant_id = $1 AND id = $2",
    insert_lot_consumptions: "INSERT INTO lot_consumptions
         (tenant_id, movement_id, lot_id, quantity, cost) VALUES ($1, $2, $3, $4, $5)",
    set_level_costs: "UPDATE stock_levels SET value = $4, last_cost = $5
         WHERE tenant_id = $1 AND item_id = $2 AND location_id = $3",
    insert_sales: "INSERT INTO sales
         (tenant_id, id, location_id, source, external_ref, occurred_at, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    insert_sale_lines: "INSERT INTO sale_lines
         (tenant_id, sale_id, line_no, menu_item_id, item_name, quantity, unit_price, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    existing_sale_refs: "SELECT external_ref FROM sales
         WHERE tenant_id = $1 AND source = $2
           AND external_ref IN (SELECT value FROM json_each($3))",
    usage_by_day: "SELECT (occurred_at + $4 * 1000000) / 86400000000 AS day, item_id,
         -SUM(quantity) AS used
         FROM stock_movements
         WHERE tenant_id = $1 AND kind = 'sale' AND occurred_at >= $2 AND occurred_at < $3
         AND ($5 IS NULL OR location_id IN (SELECT ml.location_id FROM member_locations ml
             WHERE ml.tenant_id = $1 AND ml.user_id = $5))
         GROUP BY day, item_id ORDER BY day, item_id",
    avt_sale_days: "SELECT DISTINCT (occurred_at + $5 * 1000000) / 86400000000 AS day
         FROM sales
         WHERE tenant_id = $1 AND location_id = $2 AND occurred_at >= $3 AND occurred_at < $4
         ORDER BY day",
    claim_relay: "SELECT relayed_seq FROM outbox_relay WHERE tenant_id = $1",
    notify_events: None,
    number_events: None,
    number_audit: None,
    claim_deliveries: "SELECT d.id, d.webhook_id, d.event_id, d.event_seq, d.event_type, d.status,
             d.attempts, d.next_attempt_at, d.last_status, d.last_error, d.last_attempt_at,
             d.created_at, w.url, w.secret, w.previous_secret, w.previous_until, o.seq, o.id,
             o.event_type, o.location_id, o.occurred_at, o.recorded_at, o.actor,
             o.schema_version, o.data
         FROM webhook_deliveries d
         JOIN webhooks w ON w.tenant_id = d.tenant_id AND w.id = d.webhook_id
         JOIN outbox o ON o.tenant_id = d.tenant_id AND o.seq = d.event_seq
         WHERE d.tenant_id = $1 AND d.status = 'pending' AND d.next_attempt_at <= $2
           AND w.active = 1
         ORDER BY d.next_attempt_at, d.id LIMIT $3",
    claim_mail: "SELECT id, recipients, subject, purpose, status, attempts, next_attempt_at,
             last_error, last_attempt_at, sent_at, attachment_names, created_by, created_at,
             text_body, html_body
         FROM mail
         WHERE tenant_id = $1 AND status = 'pending' AND next_attempt_at <= $2
         ORDER BY next_attempt_at, id LIMIT $3",
};
