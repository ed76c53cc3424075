-- Kitchen operations (issue 11, ADR 030 and 031): stations, versioned workflow templates,
-- customer orders with their lines and task instances, every task state change (the timing
-- data), the learned durations' samples, deliveries and shifts.

-- A station of a location: the station types it can do (codes `[a-z0-9_]{1,32}`, separated by
-- one space), how many tasks it runs at once, whether it takes work.
CREATE TABLE stations (
    tenant_id      BLOB NOT NULL REFERENCES tenants (id),
    id             BLOB NOT NULL,
    location_id    BLOB NOT NULL,
    name           TEXT NOT NULL,
    station_types  TEXT NOT NULL,
    capacity       INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 50),
    active         INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    version        INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX stations_name ON stations (tenant_id, location_id, name);

-- A workflow template for one menu item or one menu category; its phases live in versions,
-- appended and never changed, so an order in flight keeps the version it started with.
CREATE TABLE workflow_templates (
    tenant_id        BLOB NOT NULL REFERENCES tenants (id),
    id               BLOB NOT NULL,
    name             TEXT NOT NULL,
    menu_item_id     BLOB,
    category         TEXT,
    current_version  INTEGER NOT NULL CHECK (current_version >= 1),
    active           INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    -- Every change (a new version of the phases, a rename, a switch off) moves it: If-Match.
    version          INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, menu_item_id) REFERENCES menu_items (tenant_id, id),
    CHECK ((menu_item_id IS NULL) <> (category IS NULL))
) STRICT;
CREATE UNIQUE INDEX workflow_templates_name ON workflow_templates (tenant_id, name);
CREATE UNIQUE INDEX workflow_templates_menu_item_id ON workflow_templates (tenant_id, menu_item_id)
    WHERE menu_item_id IS NOT NULL AND active = 1;
CREATE UNIQUE INDEX workflow_templates_category ON workflow_templates (tenant_id, category)
    WHERE category IS NOT NULL AND active = 1;

CREATE TABLE workflow_template_versions (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    template_id  BLOB NOT NULL,
    version      INTEGER NOT NULL CHECK (version >= 1),
    -- larder_core::kitchen::WorkflowTemplate's phases, JSON.
    phases       TEXT NOT NULL,
    created_by   BLOB REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, template_id, version),
    FOREIGN KEY (tenant_id, template_id) REFERENCES workflow_templates (tenant_id, id)
) STRICT;

-- The order number of the next order per location and business day.
CREATE TABLE kitchen_order_numbers (
    tenant_id      BLOB NOT NULL REFERENCES tenants (id),
    location_id    BLOB NOT NULL,
    business_date  TEXT NOT NULL CHECK (business_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    last_number    INTEGER NOT NULL CHECK (last_number >= 1),
    PRIMARY KEY (tenant_id, location_id, business_date),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
) STRICT;

-- A customer order. Times are instants; `predicted_ready_at` is the ETA quoted at creation
-- (kept for accuracy), `eta_at` the latest one.
CREATE TABLE kitchen_orders (
    tenant_id           BLOB NOT NULL REFERENCES tenants (id),
    id                  BLOB NOT NULL,
    location_id         BLOB NOT NULL,
    business_date       TEXT NOT NULL CHECK (business_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    number              INTEGER NOT NULL CHECK (number >= 1),
    channel             TEXT NOT NULL CHECK (channel IN ('phone', 'in_store', 'online', 'import')),
    status              TEXT NOT NULL CHECK (status IN ('new', 'preparing', 'ready', 'delivering', 'delivered', 'cancelled')),
    priority            TEXT NOT NULL CHECK (priority IN ('normal', 'high', 'urgent')),
    customer_name       TEXT,
    customer_phone      TEXT,
    customer_address    TEXT,
    notes               TEXT,
    requested_at        INTEGER,
    predicted_ready_at  INTEGER,
    eta_at              INTEGER,
    started_at          INTEGER,
    ready_at            INTEGER,
    delivered_at        INTEGER,
    cancelled_at        INTEGER,
    cancel_reason       TEXT,
    created_by          BLOB REFERENCES users (id),
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    version             INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX kitchen_orders_number ON kitchen_orders (tenant_id, location_id, business_date, number);
CREATE INDEX kitchen_orders_open ON kitchen_orders (tenant_id, location_id, id)
    WHERE status IN ('new', 'preparing', 'ready', 'delivering');

-- An order's item: quantity of a menu item at a unit price (millionths of the currency), its
-- modifiers (a JSON array of strings), and the template version its tasks came from (none: the
-- menu item had no workflow, so the line makes no task).
CREATE TABLE kitchen_order_lines (
    tenant_id         BLOB NOT NULL REFERENCES tenants (id),
    id                BLOB NOT NULL,
    order_id          BLOB NOT NULL,
    line_no           INTEGER NOT NULL CHECK (line_no >= 1),
    menu_item_id      BLOB NOT NULL,
    item_name         TEXT NOT NULL,
    quantity          INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    unit_price        INTEGER NOT NULL CHECK (unit_price >= 0),
    modifiers         TEXT NOT NULL,
    notes             TEXT,
    template_id       BLOB,
    template_version  INTEGER,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES kitchen_orders (tenant_id, id),
    FOREIGN KEY (tenant_id, menu_item_id) REFERENCES menu_items (tenant_id, id),
    FOREIGN KEY (tenant_id, template_id, template_version)
        REFERENCES workflow_template_versions (tenant_id, template_id, version),
    CHECK ((template_id IS NULL) = (template_version IS NULL))
) STRICT;
CREATE UNIQUE INDEX kitchen_order_lines_line_no ON kitchen_order_lines (tenant_id, order_id, line_no);

-- A task instance of an order line: what it copied from its template task (so later template
-- versions change nothing in flight), where it is queued and its state. Durations in seconds.
CREATE TABLE kitchen_tasks (
    tenant_id           BLOB NOT NULL REFERENCES tenants (id),
    id                  BLOB NOT NULL,
    order_id            BLOB NOT NULL,
    line_id             BLOB NOT NULL,
    task_key            TEXT NOT NULL,
    name                TEXT NOT NULL,
    phase               INTEGER NOT NULL CHECK (phase >= 0),
    station_type        TEXT NOT NULL,
    quantity            INTEGER NOT NULL CHECK (quantity >= 1),
    unit_estimate_secs  INTEGER NOT NULL CHECK (unit_estimate_secs >= 1),
    estimate_secs       INTEGER NOT NULL CHECK (estimate_secs >= 1),
    -- The task ids it waits for, separated by one space; its subtasks with whether each is
    -- done, JSON.
    depends_on          TEXT NOT NULL,
    subtasks            TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('waiting', 'ready', 'started', 'done', 'blocked', 'cancelled')),
    station_id          BLOB,
    fire_at             INTEGER,
    queued_at           INTEGER,
    started_at          INTEGER,
    done_at             INTEGER,
    started_by          BLOB REFERENCES users (id),
    done_by             BLOB REFERENCES users (id),
    blocked_reason      TEXT,
    updated_at          INTEGER NOT NULL,
    version             INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES kitchen_orders (tenant_id, id),
    FOREIGN KEY (tenant_id, line_id) REFERENCES kitchen_order_lines (tenant_id, id),
    FOREIGN KEY (tenant_id, station_id) REFERENCES stations (tenant_id, id)
) STRICT;
CREATE INDEX kitchen_tasks_order ON kitchen_tasks (tenant_id, order_id);
CREATE INDEX kitchen_tasks_station ON kitchen_tasks (tenant_id, station_id)
    WHERE status IN ('ready', 'started', 'blocked');
CREATE INDEX kitchen_tasks_open ON kitchen_tasks (tenant_id, station_type)
    WHERE status IN ('waiting', 'ready', 'started', 'blocked');

-- Every task state change, appended and never changed: the open timing data.
CREATE TABLE kitchen_task_log (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    id           BLOB NOT NULL,
    task_id      BLOB NOT NULL,
    order_id     BLOB NOT NULL,
    location_id  BLOB NOT NULL,
    station_id   BLOB,
    from_status  TEXT NOT NULL,
    to_status    TEXT NOT NULL,
    at           INTEGER NOT NULL,
    actor        BLOB REFERENCES users (id),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES kitchen_tasks (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES kitchen_orders (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, station_id) REFERENCES stations (tenant_id, id)
) STRICT;
CREATE INDEX kitchen_task_log_at ON kitchen_task_log (tenant_id, at, id);

-- A finished task's duration per unit, the sample learned durations are made of (ADR 030):
-- per template task and station.
CREATE TABLE kitchen_task_durations (
    tenant_id      BLOB NOT NULL REFERENCES tenants (id),
    task_id        BLOB NOT NULL,
    template_id    BLOB NOT NULL,
    task_key       TEXT NOT NULL,
    station_id     BLOB NOT NULL,
    per_unit_secs  INTEGER NOT NULL CHECK (per_unit_secs >= 0),
    done_at        INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, task_id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES kitchen_tasks (tenant_id, id),
    FOREIGN KEY (tenant_id, template_id) REFERENCES workflow_templates (tenant_id, id),
    FOREIGN KEY (tenant_id, station_id) REFERENCES stations (tenant_id, id)
) STRICT;
CREATE INDEX kitchen_task_durations_key
    ON kitchen_task_durations (tenant_id, template_id, task_key, station_id, done_at);

-- A delivery of an order by a rider; at most one not failed per order.
CREATE TABLE deliveries (
    tenant_id       BLOB NOT NULL REFERENCES tenants (id),
    id              BLOB NOT NULL,
    order_id        BLOB NOT NULL,
    rider_id        BLOB NOT NULL REFERENCES users (id),
    status          TEXT NOT NULL CHECK (status IN ('assigned', 'picked_up', 'delivered', 'failed')),
    assigned_at     INTEGER NOT NULL,
    picked_up_at    INTEGER,
    delivered_at    INTEGER,
    failed_at       INTEGER,
    failure_reason  TEXT,
    updated_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES kitchen_orders (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX deliveries_order_id ON deliveries (tenant_id, order_id) WHERE status <> 'failed';
CREATE INDEX deliveries_rider ON deliveries (tenant_id, rider_id, id);

-- Who works at which station when.
CREATE TABLE shifts (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    id           BLOB NOT NULL,
    location_id  BLOB NOT NULL,
    station_id   BLOB NOT NULL,
    user_id      BLOB NOT NULL REFERENCES users (id),
    starts_at    INTEGER NOT NULL,
    ends_at      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, station_id) REFERENCES stations (tenant_id, id),
    CHECK (ends_at > starts_at)
) STRICT;
CREATE INDEX shifts_when ON shifts (tenant_id, location_id, starts_at);

-- Template versions, the task log and the duration samples are appended, never changed.
CREATE TRIGGER workflow_template_versions_no_update BEFORE UPDATE ON workflow_template_versions
BEGIN SELECT RAISE(ABORT, 'workflow_template_versions is append-only'); END;
CREATE TRIGGER workflow_template_versions_no_delete BEFORE DELETE ON workflow_template_versions
BEGIN SELECT RAISE(ABORT, 'workflow_template_versions is append-only'); END;
CREATE TRIGGER kitchen_task_log_no_update BEFORE UPDATE ON kitchen_task_log
BEGIN SELECT RAISE(ABORT, 'kitchen_task_log is append-only'); END;
CREATE TRIGGER kitchen_task_log_no_delete BEFORE DELETE ON kitchen_task_log
BEGIN SELECT RAISE(ABORT, 'kitchen_task_log is append-only'); END;
CREATE TRIGGER kitchen_task_durations_no_update BEFORE UPDATE ON kitchen_task_durations
BEGIN SELECT RAISE(ABORT, 'kitchen_task_durations is append-only'); END;
CREATE TRIGGER kitchen_task_durations_no_delete BEFORE DELETE ON kitchen_task_durations
BEGIN SELECT RAISE(ABORT, 'kitchen_task_durations is append-only'); END;
