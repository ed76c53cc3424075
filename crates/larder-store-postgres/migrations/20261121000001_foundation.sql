-- Larder foundation schema (PostgreSQL). Ids are UUIDv7, times timestamptz, quantities bigint
-- thousandths of the base unit, money bigint millionths. Every tenant-owned table leads its
-- primary key and indexes with tenant_id, and has row-level security (FORCE) keyed on the
-- transaction-local setting app.tenant_id. Names sort bytewise (COLLATE "C") as on SQLite.
-- The application connects as larder_app, which owns nothing and so cannot bypass the policies.

DO $$
BEGIN
    CREATE ROLE larder_app LOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- another database on this cluster created it first
END
$$;

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    slug        text COLLATE "C" NOT NULL,
    currency    text NOT NULL,
    time_zone   text NOT NULL,
    -- Business days run from this many minutes after local midnight (240: 04:00).
    day_cutoff_minutes integer NOT NULL CHECK (day_cutoff_minutes BETWEEN 0 AND 1439),
    created_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX tenants_slug ON tenants (slug);

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    email          text COLLATE "C" NOT NULL,
    name           text NOT NULL,
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE memberships (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    user_id     uuid NOT NULL REFERENCES users (id),
    role        text NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'staff')),
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
-- Login finds a person's tenants before it knows one: the one index not led by tenant_id.
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE refresh_tokens (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    family_id   uuid NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id),
    token_hash  bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX refresh_tokens_token_hash ON refresh_tokens (tenant_id, token_hash);
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);

CREATE TABLE idempotency_keys (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    key           text COLLATE "C" NOT NULL,
    request_hash  bytea NOT NULL,
    status        bigint NOT NULL,
    body          text NOT NULL,
    created_at    timestamptz NOT NULL,
    CONSTRAINT idempotency_keys_key PRIMARY KEY (tenant_id, key)
);

CREATE TABLE locations (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    name        text COLLATE "C" NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('central_kitchen', 'outlet')),
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX locations_name ON locations (tenant_id, name);

CREATE TABLE items (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    name        text COLLATE "C" NOT NULL,
    sku         text COLLATE "C",
    category    text COLLATE "C",
    base_unit   text NOT NULL CHECK (base_unit IN ('g', 'ml', 'ea')),
    pack_sizes  text NOT NULL,
    barcode     text COLLATE "C",
    unit_cost   bigint,
    version     bigint NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX items_sku ON items (tenant_id, sku) WHERE sku IS NOT NULL;
CREATE INDEX items_name ON items (tenant_id, name, id);
CREATE INDEX items_barcode ON items (tenant_id, barcode) WHERE barcode IS NOT NULL;

CREATE TABLE par_levels (
    tenant_id      uuid NOT NULL,
    item_id        uuid NOT NULL,
    location_id    uuid NOT NULL,
    par_level      bigint,
    reorder_point  bigint,
    PRIMARY KEY (tenant_id, item_id, location_id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
);

CREATE TABLE stock_levels (
    tenant_id    uuid NOT NULL,
    item_id      uuid NOT NULL,
    location_id  uuid NOT NULL,
    on_hand      bigint NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, item_id, location_id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
);

CREATE TABLE sales (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    location_id   uuid NOT NULL,
    source        text COLLATE "C" NOT NULL,
    external_ref  text COLLATE "C",
    occurred_at   timestamptz NOT NULL,
    recorded_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
);
CREATE UNIQUE INDEX sales_external_ref ON sales (tenant_id, source, external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX sales_occurred ON sales (tenant_id, occurred_at, id);

CREATE TABLE recipes (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    name            text COLLATE "C" NOT NULL,
    yield_quantity  bigint NOT NULL CHECK (yield_quantity > 0),
    yield_unit      text NOT NULL CHECK (yield_unit IN ('g', 'ml', 'ea')),
    notes           text,
    version         bigint NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX recipes_name ON recipes (tenant_id, name);

CREATE TABLE recipe_lines (
    tenant_id      uuid NOT NULL,
    recipe_id      uuid NOT NULL,
    position       integer NOT NULL,
    item_id        uuid,
    sub_recipe_id  uuid,
    quantity       bigint NOT NULL,
    unit           text NOT NULL,
    PRIMARY KEY (tenant_id, recipe_id, position),
    FOREIGN KEY (tenant_id, recipe_id) REFERENCES recipes (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, sub_recipe_id) REFERENCES recipes (tenant_id, id),
    CHECK ((item_id IS NULL) <> (sub_recipe_id IS NULL))
);

CREATE TABLE menu_items (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    name        text COLLATE "C" NOT NULL,
    category    text,
    recipe_id   uuid,
    portion     bigint NOT NULL,
    price       bigint,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, recipe_id) REFERENCES recipes (tenant_id, id)
);
CREATE UNIQUE INDEX menu_items_name ON menu_items (tenant_id, name);

CREATE TABLE sale_lines (
    tenant_id     uuid NOT NULL,
    sale_id       uuid NOT NULL,
    line_no       integer NOT NULL,
    menu_item_id  uuid,
    item_name     text COLLATE "C" NOT NULL,
    quantity      bigint NOT NULL,
    unit_price    bigint NOT NULL,
    occurred_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, sale_id, line_no),
    FOREIGN KEY (tenant_id, sale_id) REFERENCES sales (tenant_id, id),
    FOREIGN KEY (tenant_id, menu_item_id) REFERENCES menu_items (tenant_id, id)
);
CREATE INDEX sale_lines_occurred ON sale_lines (tenant_id, occurred_at);

-- The ledger. Append-only: larder_app may not UPDATE or DELETE it, and a trigger refuses both
-- for everyone else too.
CREATE TABLE stock_movements (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    item_id      uuid NOT NULL,
    location_id  uuid NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('opening', 'receipt', 'sale', 'waste', 'adjustment', 'count_adjustment')),
    quantity     bigint NOT NULL,
    unit_cost    bigint,
    reason       text,
    sale_id      uuid,
    created_by   uuid,
    occurred_at  timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, sale_id) REFERENCES sales (tenant_id, id)
);
CREATE INDEX stock_movements_item ON stock_movements (tenant_id, item_id, location_id);
CREATE INDEX stock_movements_occurred ON stock_movements (tenant_id, kind, occurred_at);

CREATE FUNCTION larder_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;
CREATE TRIGGER stock_movements_append_only BEFORE UPDATE OR DELETE ON stock_movements
    FOR EACH ROW EXECUTE FUNCTION larder_append_only();

-- Row-level security. A missing setting reads as NULL and matches no row.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['refresh_tokens', 'idempotency_keys', 'locations', 'items', 'par_levels',
                             'stock_levels', 'sales', 'recipes', 'recipe_lines', 'menu_items',
                             'sale_lines', 'stock_movements']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                         USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
                         WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;

-- A membership is visible to its tenant, and to its person while they log in (app.user_id).
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR user_id = nullif(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

-- A tenant row is visible to itself and to its members while they log in. Not FORCEd, so the
-- owner's SECURITY DEFINER function below can list tenant ids for operator commands.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
    USING (id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR id IN (SELECT tenant_id FROM memberships
                     WHERE user_id = nullif(current_setting('app.user_id', true), '')::uuid))
    WITH CHECK (id = nullif(current_setting('app.tenant_id', true), '')::uuid);

CREATE FUNCTION larder_tenant_ids() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT id FROM tenants ORDER BY id $$;

GRANT USAGE ON SCHEMA public TO larder_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO larder_app;
REVOKE ALL ON _sqlx_migrations FROM larder_app;
REVOKE UPDATE, DELETE ON stock_movements FROM larder_app;
REVOKE DELETE ON tenants, users, memberships FROM larder_app;
GRANT EXECUTE ON FUNCTION larder_tenant_ids() TO larder_app;
