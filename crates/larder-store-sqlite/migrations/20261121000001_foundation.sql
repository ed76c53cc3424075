-- Larder foundation schema (SQLite). Ids are UUIDv7 BLOBs, times INTEGER microseconds since the
-- Unix epoch (UTC), quantities INTEGER thousandths of the base unit, money INTEGER millionths.
-- Every tenant-owned table leads its primary key and indexes with tenant_id. The two big
-- append-mostly tables (the ledger and sale lines) are WITHOUT ROWID: their primary key is the
-- table, one B-tree fewer per insert, and UUIDv7 keys arrive in order.

CREATE TABLE tenants (
    id          BLOB PRIMARY KEY,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL,
    currency    TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    -- Business days run from this many minutes after local midnight (240: 04:00).
    day_cutoff_minutes INTEGER NOT NULL CHECK (day_cutoff_minutes BETWEEN 0 AND 1439),
    created_at  INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX tenants_slug ON tenants (slug);

-- People are global: one person may belong to several tenants.
CREATE TABLE users (
    id             BLOB PRIMARY KEY,
    email          TEXT NOT NULL,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE memberships (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    user_id     BLOB NOT NULL REFERENCES users (id),
    role        TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'staff')),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
) STRICT;
-- Login finds a person's tenants before it knows one: the one index not led by tenant_id.
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE refresh_tokens (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    id          BLOB NOT NULL,
    family_id   BLOB NOT NULL,
    user_id     BLOB NOT NULL REFERENCES users (id),
    token_hash  BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    revoked_at  INTEGER,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX refresh_tokens_token_hash ON refresh_tokens (tenant_id, token_hash);
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);

CREATE TABLE idempotency_keys (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id),
    key           TEXT NOT NULL,
    request_hash  BLOB NOT NULL,
    status        INTEGER NOT NULL,
    body          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key)
) STRICT;

CREATE TABLE locations (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    id          BLOB NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('central_kitchen', 'outlet')),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX locations_name ON locations (tenant_id, name);

CREATE TABLE items (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    id          BLOB NOT NULL,
    name        TEXT NOT NULL,
    sku         TEXT,
    category    TEXT,
    base_unit   TEXT NOT NULL CHECK (base_unit IN ('g', 'ml', 'ea')),
    pack_sizes  TEXT NOT NULL,
    barcode     TEXT,
    unit_cost   INTEGER,
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX items_sku ON items (tenant_id, sku) WHERE sku IS NOT NULL;
CREATE INDEX items_name ON items (tenant_id, name, id);
CREATE INDEX items_barcode ON items (tenant_id, barcode) WHERE barcode IS NOT NULL;

CREATE TABLE par_levels (
    tenant_id      BLOB NOT NULL,
    item_id        BLOB NOT NULL,
    location_id    BLOB NOT NULL,
    par_level      INTEGER,
    reorder_point  INTEGER,
    PRIMARY KEY (tenant_id, item_id, location_id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
) STRICT;

CREATE TABLE stock_levels (
    tenant_id    BLOB NOT NULL,
    item_id      BLOB NOT NULL,
    location_id  BLOB NOT NULL,
    on_hand      INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, item_id, location_id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
) STRICT;

CREATE TABLE sales (
    tenant_id     BLOB NOT NULL,
    id            BLOB NOT NULL,
    location_id   BLOB NOT NULL,
    source        TEXT NOT NULL,
    external_ref  TEXT,
    occurred_at   INTEGER NOT NULL,
    recorded_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX sales_external_ref ON sales (tenant_id, source, external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX sales_occurred ON sales (tenant_id, occurred_at, id);

CREATE TABLE recipes (
    tenant_id       BLOB NOT NULL REFERENCES tenants (id),
    id              BLOB NOT NULL,
    name            TEXT NOT NULL,
    yield_quantity  INTEGER NOT NULL CHECK (yield_quantity > 0),
    yield_unit      TEXT NOT NULL CHECK (yield_unit IN ('g', 'ml', 'ea')),
    notes           TEXT,
    version         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX recipes_name ON recipes (tenant_id, name);

CREATE TABLE recipe_lines (
    tenant_id      BLOB NOT NULL,
    recipe_id      BLOB NOT NULL,
    position       INTEGER NOT NULL,
    item_id        BLOB,
    sub_recipe_id  BLOB,
    quantity       INTEGER NOT NULL,
    unit           TEXT NOT NULL,
    PRIMARY KEY (tenant_id, recipe_id, position),
    FOREIGN KEY (tenant_id, recipe_id) REFERENCES recipes (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, sub_recipe_id) REFERENCES recipes (tenant_id, id),
    CHECK ((item_id IS NULL) <> (sub_recipe_id IS NULL))
) STRICT;

CREATE TABLE menu_items (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    id          BLOB NOT NULL,
    name        TEXT NOT NULL,
    category    TEXT,
    recipe_id   BLOB,
    portion     INTEGER NOT NULL,
    price       INTEGER,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, recipe_id) REFERENCES recipes (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX menu_items_name ON menu_items (tenant_id, name);

CREATE TABLE sale_lines (
    tenant_id     BLOB NOT NULL,
    sale_id       BLOB NOT NULL,
    line_no       INTEGER NOT NULL,
    menu_item_id  BLOB,
    item_name     TEXT NOT NULL,
    quantity      INTEGER NOT NULL,
    unit_price    INTEGER NOT NULL,
    occurred_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, sale_id, line_no),
    FOREIGN KEY (tenant_id, sale_id) REFERENCES sales (tenant_id, id),
    FOREIGN KEY (tenant_id, menu_item_id) REFERENCES menu_items (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX sale_lines_occurred ON sale_lines (tenant_id, occurred_at);

-- The ledger. Append-only: the triggers below refuse UPDATE and DELETE.
CREATE TABLE stock_movements (
    tenant_id    BLOB NOT NULL,
    id           BLOB NOT NULL,
    item_id      BLOB NOT NULL,
    location_id  BLOB NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('opening', 'receipt', 'sale', 'waste', 'adjustment', 'count_adjustment')),
    quantity     INTEGER NOT NULL,
    unit_cost    INTEGER,
    reason       TEXT,
    sale_id      BLOB,
    created_by   BLOB,
    occurred_at  INTEGER NOT NULL,
    recorded_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, sale_id) REFERENCES sales (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX stock_movements_item ON stock_movements (tenant_id, item_id, location_id);
CREATE INDEX stock_movements_occurred ON stock_movements (tenant_id, kind, occurred_at);

CREATE TRIGGER stock_movements_no_update BEFORE UPDATE ON stock_movements
BEGIN SELECT RAISE(ABORT, 'stock_movements is append-only'); END;
CREATE TRIGGER stock_movements_no_delete BEFORE DELETE ON stock_movements
BEGIN SELECT RAISE(ABORT, 'stock_movements is append-only'); END;
