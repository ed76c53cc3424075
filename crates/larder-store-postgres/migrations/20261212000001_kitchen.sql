-- Kitchen operations (issue 11, ADR 030 and 031): stations, versioned workflow templates,
-- customer orders with their lines and task instances, every task state change (the timing
-- data), the learned durations' samples, deliveries and shifts.

-- A station of a location: the station types it can do (codes `[a-z0-9_]{1,32}`, separated by
-- one space), how many tasks it runs at once, whether it takes work.
CREATE TABLE stations (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    id             uuid NOT NULL,
    location_id    uuid NOT NULL,
    name           text COLLATE "C" NOT NULL,
    station_types  text NOT NULL,
    capacity       bigint NOT NULL CHECK (capacity BETWEEN 1 AND 50),
    active         integer NOT NULL CHECK (active IN (0, 1)),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    version        bigint NOT NULL CHECK (version >= 1),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
);
CREATE UNIQUE INDEX stations_name ON stations (tenant_id, location_id, name);

-- A workflow template for one menu item or one menu category; its phases live in versions,
-- appended and never changed, so an order in flight keeps the version it started with.
CREATE TABLE workflow_templates (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    name             text COLLATE "C" NOT NULL,
    menu_item_id     uuid,
    category         text COLLATE "C",
    current_version  bigint NOT NULL CHECK (current_version >= 1),
    active           integer NOT NULL CHECK (active IN (0, 1)),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    -- Every change (a new version of the phases, a rename, a switch off) moves it: If-Match.
    version          bigint NOT NULL CHECK (version >= 1),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, menu_item_id) REFERENCES menu_items (tenant_id, id),
    CHECK ((menu_item_id IS NULL) <> (category IS NULL))
);
CREATE UNIQUE INDEX workflow_templates_name ON workflow_templates (tenant_id, name);
CREATE UNIQUE INDEX workflow_templates_menu_item_id ON workflow_templates (tenant_id, menu_item_id)
    WHERE menu_item_id IS NOT NULL AND active = 1;
CREATE UNIQUE INDEX workflow_templates_category ON workflow_templates (tenant_id, category)
    WHERE category IS NOT NULL AND active = 1;

CREATE TABLE workflow_template_versions (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    template_id  uuid NOT NULL,
    version      bigint NOT NULL CHECK (version >= 1),
    -- larder_core::kitchen::WorkflowTemplate's phases, JSON.
    phases       text NOT NULL,
    created_by   uuid REFERENCES users (id),
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, template_id, version),
    FOREIGN KEY (tenant_id, template_id) REFERENCES workflow_templates (tenant_id, id)
);

-- The order number of the next order per location and business day.
CREATE TABLE kitchen_order_numbers (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    location_id    uuid NOT NULL,
    business_date  text COLLATE "C" NOT NULL CHECK (business_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    last_number    bigint NOT NULL CHECK (last_number >= 1),
    PRIMARY KEY (tenant_id, location_id, business_date),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
);

-- A customer order. Times are instants; `predicted_ready_at` is the ETA quoted at creation
-- (kept for accuracy), `eta_at` the latest one.
CREATE TABLE kitchen_orders (
    tenant_id           uuid NOT NULL REFERENCES tenants (id),
    id                  uuid NOT NULL,
    location_id         uuid NOT NULL,
    business_date       text COLLATE "C" NOT NULL CHECK (business_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    number              bigint NOT NULL CHECK (number >= 1),
    channel             text COLLATE "C" NOT NULL CHECK (channel IN ('phone', 'in_store', 'online', 'import')),
    status              text COLLATE "C" NOT NULL CHECK (status IN ('new', 'preparing', 'ready', 'delivering', 'delivered', 'cancelled')),
    priority            text COLLATE "C" NOT NULL CHECK (priority IN ('normal', 'high', 'urgent')),
    customer_name       text,
    customer_phone      text,
    customer_address    text,
    notes               text,
    requested_at        timestamptz,
    predicted_ready_at  timestamptz,
    eta_at              timestamptz,
    started_at          timestamptz,
    ready_at            timestamptz,
    delivered_at        timestamptz,
    cancelled_at        timestamptz,
    cancel_reason       text,
    created_by          uuid REFERENCES users (id),
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    version             bigint NOT NULL CHECK (version >= 1),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
);
CREATE UNIQUE INDEX kitchen_orders_number ON kitchen_orders (tenant_id, location_id, business_date, number);
CREATE INDEX kitchen_orders_open ON kitchen_orders (tenant_id, location_id, id)
    WHERE status IN ('new', 'preparing', 'ready', 'delivering');

-- An order's item: quantity of a menu item at a unit price (millionths of the currency), its
-- modifiers (a JSON array of strings), and the template version its tasks came from (none: the
-- menu item had no workflow, so the line makes no task).
CREATE TABLE kitchen_order_lines (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    id                uuid NOT NULL,
    order_id          uuid NOT NULL,
    line_no           bigint NOT NULL CHECK (line_no >= 1),
    menu_item_id      uuid NOT NULL,
    item_name         text NOT NULL,
    quantity          bigint NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    unit_price        bigint NOT NULL CHECK (unit_price >= 0),
    modifiers         text NOT NULL,
    notes             text,
    template_id       uuid,
    template_version  bigint,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES kitchen_orders (tenant_id, id),
    FOREIGN KEY (tenant_id, menu_item_id) REFERENCES menu_items (tenant_id, id),
    FOREIGN KEY (tenant_id, template_id, template_version)
        REFERENCES workflow_template_versions (tenant_id, template_id, version),
    CHECK ((template_id IS NULL) = (template_version IS NULL))
);
CREATE UNIQUE INDEX kitchen_order_lines_line_no ON kitchen_order_lines (tenant_id, order_id, line_no);

-- A task instance of an order line: what it copied from its template task (so later template
-- versions change nothing in flight), where it is queued and its state. Durations in seconds.
CREATE TABLE kitchen_tasks (
    tenant_id           uuid NOT NULL REFERENCES tenants (id),
    id                  uuid NOT NULL,
    order_id            uuid NOT NULL,
    line_id             uuid NOT NULL,
    task_key            text COLLATE "C" NOT NULL,
    name                text NOT NULL,
    phase               bigint NOT NULL CHECK (phase >= 0),
    station_type        text COLLATE "C" NOT NULL,
    quantity            bigint NOT NULL CHECK (quantity >= 1),
    unit_estimate_secs  bigint NOT NULL CHECK (unit_estimate_secs >= 1),
    estimate_secs       bigint NOT NULL CHECK (estimate_secs >= 1),
    -- The task ids it waits for, separated by one space; its subtasks with whether each is
    -- done, JSON.
    depends_on          text NOT NULL,
    subtasks            text NOT NULL,
    status              text COLLATE "C" NOT NULL CHECK (status IN ('waiting', 'ready', 'started', 'done', 'blocked', 'cancelled')),
    station_id          uuid,
    fire_at             timestamptz,
    queued_at           timestamptz,
    started_at          timestamptz,
    done_at             timestamptz,
    started_by          uuid REFERENCES users (id),
    done_by             uuid REFERENCES users (id),
    blocked_reason      text,
    updated_at          timestamptz NOT NULL,
    version             bigint NOT NULL CHECK (version >= 1),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES kitchen_orders (tenant_id, id),
    FOREIGN KEY (tenant_id, line_id) REFERENCES kitchen_order_lines (tenant_id, id),
    FOREIGN KEY (tenant_id, station_id) REFERENCES stations (tenant_id, id)
);
CREATE INDEX kitchen_tasks_order ON kitchen_tasks (tenant_id, order_id);
CREATE INDEX kitchen_tasks_station ON kitchen_tasks (tenant_id, station_id)
    WHERE status IN ('ready', 'started', 'blocked');
CREATE INDEX kitchen_tasks_open ON kitchen_tasks (tenant_id, station_type)
    WHERE status IN ('waiting', 'ready', 'started', 'blocked');

-- Every task state change, appended and never changed: the open timing data.
CREATE TABLE kitchen_task_log (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    task_id      uuid NOT NULL,
    order_id     uuid NOT NULL,
    location_id  uuid NOT NULL,
    station_id   uuid,
    from_status  text COLLATE "C" NOT NULL,
    to_status    text COLLATE "C" NOT NULL,
    at           timestamptz NOT NULL,
    actor        uuid REFERENCES users (id),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES kitchen_tasks (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES kitchen_orders (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, station_id) REFERENCES stations (tenant_id, id)
);
CREATE INDEX kitchen_task_log_at ON kitchen_task_log (tenant_id, at, id);

-- A finished task's duration per unit, the sample learned durations are made of (ADR 030):
-- per template task and station.
CREATE TABLE kitchen_task_durations (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    task_id        uuid NOT NULL,
    template_id    uuid NOT NULL,
    task_key       text COLLATE "C" NOT NULL,
    station_id     uuid NOT NULL,
    per_unit_secs  bigint NOT NULL CHECK (per_unit_secs >= 0),
    done_at        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, task_id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES kitchen_tasks (tenant_id, id),
    FOREIGN KEY (tenant_id, template_id) REFERENCES workflow_templates (tenant_id, id),
    FOREIGN KEY (tenant_id, station_id) REFERENCES stations (tenant_id, id)
);
CREATE INDEX kitchen_task_durations_key
    ON kitchen_task_durations (tenant_id, template_id, task_key, station_id, done_at);

-- A delivery of an order by a rider; at most one not failed per order.
CREATE TABLE deliveries (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    order_id        uuid NOT NULL,
    rider_id        uuid NOT NULL REFERENCES users (id),
    status          text COLLATE "C" NOT NULL CHECK (status IN ('assigned', 'picked_up', 'delivered', 'failed')),
    assigned_at     timestamptz NOT NULL,
    picked_up_at    timestamptz,
    delivered_at    timestamptz,
    failed_at       timestamptz,
    failure_reason  text,
    updated_at      timestamptz NOT NULL,
    version         bigint NOT NULL CHECK (version >= 1),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES kitchen_orders (tenant_id, id)
);
CREATE UNIQUE INDEX deliveries_order_id ON deliveries (tenant_id, order_id) WHERE status <> 'failed';
CREATE INDEX deliveries_rider ON deliveries (tenant_id, rider_id, id);

-- Who works at which station when.
CREATE TABLE shifts (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    location_id  uuid NOT NULL,
    station_id   uuid NOT NULL,
    user_id      uuid NOT NULL REFERENCES users (id),
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, station_id) REFERENCES stations (tenant_id, id),
    CHECK (ends_at > starts_at)
);
CREATE INDEX shifts_when ON shifts (tenant_id, location_id, starts_at);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['stations', 'workflow_templates', 'workflow_template_versions',
                             'kitchen_order_numbers', 'kitchen_orders', 'kitchen_order_lines',
                             'kitchen_tasks', 'kitchen_task_log', 'kitchen_task_durations',
                             'deliveries', 'shifts']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                         USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
                         WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE ON stations, workflow_templates, kitchen_order_numbers,
    kitchen_orders, kitchen_tasks, deliveries TO larder_app;
GRANT SELECT, INSERT ON workflow_template_versions, kitchen_order_lines, kitchen_task_log,
    kitchen_task_durations TO larder_app;
GRANT SELECT, INSERT, DELETE ON shifts TO larder_app;

-- Template versions, the task log and the duration samples are appended, never changed, by
-- their owner either.
CREATE TRIGGER workflow_template_versions_append_only BEFORE UPDATE OR DELETE
    ON workflow_template_versions FOR EACH ROW EXECUTE FUNCTION larder_append_only();
CREATE TRIGGER kitchen_task_log_append_only BEFORE UPDATE OR DELETE
    ON kitchen_task_log FOR EACH ROW EXECUTE FUNCTION larder_append_only();
CREATE TRIGGER kitchen_task_durations_append_only BEFORE UPDATE OR DELETE
    ON kitchen_task_durations FOR EACH ROW EXECUTE FUNCTION larder_append_only();
