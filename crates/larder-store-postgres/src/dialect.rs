//! The statements PostgreSQL writes its own way (see [`larder_store::sql::Dialect`]). A batch
//! statement runs once per batch with each column bound as an array and turned back into rows
//! by `unnest`, so a posting of any size is one round trip; `COPY FROM` is not an option here,
//! as PostgreSQL refuses it on tables with row-level security.

use larder_store::sql::Dialect;

/// PostgreSQL's dialect.
pub static DIALECT: Dialect = Dialect {
    backend: "postgres",
    set_user: Some("SELECT set_config('app.user_id', $1, true)"),
    insert_movements: "INSERT INTO stock_movements
         (tenant_id, id, item_id, location_id, kind, quantity, unit_cost, reason, sale_id,
          created_by, occurred_at, recorded_at, value, cost_variance, shortfall, settled,
          reverses)
         SELECT $1, * FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::bigint[],
              $7::bigint[], $8::text[], $9::uuid[], $10::uuid[], $11::timestamptz[],
              $12::timestamptz[], $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[],
              $17::uuid[])",
    add_to_stock_levels: "INSERT INTO stock_levels
         (tenant_id, item_id, location_id, on_hand, updated_at)
         SELECT $1, * FROM unnest($2::uuid[], $3::uuid[], $4::bigint[], $5::timestamptz[])
         ON CONFLICT (tenant_id, item_id, location_id) DO UPDATE
         SET on_hand = stock_levels.on_hand + excluded.on_hand,
             updated_at = GREATEST(stock_levels.updated_at, excluded.updated_at)
         RETURNING item_id, location_id, on_hand, value, last_cost,
             (SELECT t.valuation_method FROM tenants t WHERE t.id = $1)",
    open_lots: "SELECT l.item_id, l.location_id, l.id, l.expires_on,
             l.received_at, l.remaining, l.remaining_value
         FROM lots l
         JOIN unnest($2::uuid[], $3::uuid[]) AS p (item_id, location_id)
           ON l.item_id = p.item_id AND l.location_id = p.location_id
         WHERE l.tenant_id = $1 AND l.remaining > 0",
    insert_lots: "INSERT INTO lots
         (tenant_id, id, item_id, location_id, code, expires_on, received_at, received_quantity,
          unit_cost, remaining, remaining_value, movement_id)
         SELECT $1, t.id, t.item_id, t.location_id, t.code, t.expires_on,
                t.received_at, t.received_quantity, t.unit_cost, t.remaining,
                t.remaining_value, t.movement_id
         FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[],
              $7::timestamptz[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[],
              $12::uuid[])
           AS t (id, item_id, location_id, code, expires_on, received_at, received_quantity,
                 unit_cost, remaining, remaining_value, movement_id)",
    update_lots: "UPDATE lots l SET remaining = t.remaining, remaining_value = t.remaining_value
         FROM unnest($2::uuid[], $3::bigint[], $4::bigint[]) AS t (id, remaining, remaining_value)
         WHERE l.tenant_id = $1 AND l.id = t.id",
    insert_lot_consumptions: "INSERT INTO lot_consumptions
         (tenant_id, movement_id, lot_id, quantity, cost)
         SELECT $1, * FROM unnest($2::uuid[], $3::uuid[], $4::bigint[], $5::bigint[])",
    set_level_costs: "UPDATE stock_levels s SET value = t.value, last_cost = t.last_cost
         FROM unnest($2::uuid[], $3::uuid[], $4::bigint[], $5::bigint[])
           AS t (item_id, location_id, value, last_cost)
         WHERE s.tenant_id = $1 AND s.item_id = t.item_id AND s.location_id = t.location_id",
    insert_sales: "INSERT INTO sales
         (tenant_id, id, location_id, source, external_ref, occurred_at, recorded_at)
         SELECT $1, * FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[],
              $6::timestamptz[], $7::timestamptz[])",
    insert_sale_lines: "INSERT INTO sale_lines
         (tenant_id, sale_id, line_no, menu_item_id, item_name, quantity, unit_price, occurred_at)
         SELECT $1, * FROM unnest($2::uuid[], $3::bigint[], $4::uuid[], $5::text[], $6::bigint[],
              $7::bigint[], $8::timestamptz[])",
    existing_sale_refs: "SELECT external_ref FROM sales
         WHERE tenant_id = $1 AND source = $2 AND external_ref = ANY($3)",
    usage_by_day: "SELECT floor((extract(epoch FROM occurred_at) + $4) / 86400)::bigint AS day,
         item_id, (-SUM(quantity))::bigint AS used
         FROM stock_movements
         WHERE tenant_id = $1 AND kind = 'sale' AND occurred_at >= $2 AND occurred_at < $3
         AND ($5 IS NULL OR location_id IN (SELECT ml.location_id FROM member_locations ml
             WHERE ml.tenant_id = $1 AND ml.user_id = $5))
         GROUP BY day, item_id ORDER BY day, item_id",
    avt_sale_days:
        "SELECT DISTINCT floor((extract(epoch FROM occurred_at) + $5) / 86400)::bigint AS day
         FROM sales
         WHERE tenant_id = $1 AND location_id = $2 AND occurred_at >= $3 AND occurred_at < $4
         ORDER BY day",
    claim_relay: "SELECT relayed_seq FROM outbox_relay WHERE tenant_id = $1
         FOR UPDATE SKIP LOCKED",
    notify_events: Some("SELECT pg_notify('larder_events', $1)"),
    number_events: Some(
        "WITH n AS (SELECT pos, $2::bigint + row_number() OVER (ORDER BY pos) AS seq
             FROM outbox WHERE tenant_id = $1 AND seq IS NULL ORDER BY pos LIMIT $3)
         UPDATE outbox o SET seq = n.seq FROM n WHERE o.pos = n.pos RETURNING o.seq",
    ),
    number_audit: Some(
        "UPDATE audit_log a
         SET seq = t.seq, prev_hash = decode(t.prev_hash, 'hex'), hash = decode(t.hash, 'hex')
         FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[])
           AS t (pos, seq, prev_hash, hash)
         WHERE a.tenant_id = $1 AND a.pos = t.pos",
    ),
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
         ORDER BY d.next_attempt_at, d.id LIMIT $3
         FOR UPDATE OF d SKIP LOCKED",
    claim_mail: "SELECT id, recipients, subject, purpose, status, attempts, next_attempt_at,
             last_error, last_attempt_at, sent_at, attachment_names, created_by, created_at,
             text_body, html_body
         FROM mail
         WHERE tenant_id = $1 AND status = 'pending' AND next_attempt_at <= $2
         ORDER BY next_attempt_at, id LIMIT $3
         FOR UPDATE SKIP LOCKED",
};
