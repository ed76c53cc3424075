-- Transfers between a tenant's locations (issue 9, item 4; ADR 021). A transfer is numbered per
-- tenant from a counter row bumped in the creating transaction; it is requested (lines
-- editable, versioned), sent (one transfer_out movement per line at the sender, the lots taken
-- kept with their code, expiry, quantity and cost), then received (transfer_in movements at
-- the receiver carrying those lots across; a line short or over keeps its discrepancy in
-- quantity and value), or cancelled before it is sent. Who and when of every status change
-- sit on the header.
CREATE TABLE transfer_counters (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    last_number  INTEGER NOT NULL CHECK (last_number > 0),
    PRIMARY KEY (tenant_id)
) STRICT;

CREATE TABLE transfers (
    tenant_id         BLOB NOT NULL,
    id                BLOB NOT NULL,
    number            INTEGER NOT NULL CHECK (number > 0),
    from_location_id  BLOB NOT NULL,
    to_location_id    BLOB NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('requested', 'sent', 'received', 'cancelled')),
    note              TEXT,
    version           INTEGER NOT NULL,
    requested_by      BLOB NOT NULL,
    requested_at      INTEGER NOT NULL,
    sent_by           BLOB,
    sent_at           INTEGER,
    received_by       BLOB,
    received_at       INTEGER,
    cancelled_by      BLOB,
    cancelled_at      INTEGER,
    cancel_reason     TEXT,
    PRIMARY KEY (tenant_id, id),
    CHECK (from_location_id <> to_location_id),
    FOREIGN KEY (tenant_id, from_location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, to_location_id) REFERENCES locations (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX transfers_number ON transfers (tenant_id, number);
CREATE INDEX transfers_status ON transfers (tenant_id, status, number);
CREATE INDEX transfers_sent ON transfers (tenant_id, sent_at) WHERE sent_at IS NOT NULL;

-- A line: the item and quantity asked for (and the amount as typed, "2 cases + 3 kg"); once
-- sent, the quantity and value that left the sender and the movement; once received, what
-- arrived, its value, and the discrepancy (received minus sent) in quantity and value.
CREATE TABLE transfer_lines (
    tenant_id              BLOB NOT NULL,
    transfer_id            BLOB NOT NULL,
    line_no                INTEGER NOT NULL CHECK (line_no > 0),
    item_id                BLOB NOT NULL,
    quantity               INTEGER NOT NULL CHECK (quantity > 0),
    amount                 TEXT,
    sent_quantity          INTEGER,
    sent_value             INTEGER,
    out_movement_id        BLOB,
    received_quantity      INTEGER CHECK (received_quantity >= 0),
    received_value         INTEGER,
    discrepancy_quantity   INTEGER,
    discrepancy_value      INTEGER,
    note                   TEXT,
    PRIMARY KEY (tenant_id, transfer_id, line_no),
    FOREIGN KEY (tenant_id, transfer_id) REFERENCES transfers (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, out_movement_id) REFERENCES stock_movements (tenant_id, id)
) STRICT;

-- What each line took from the sender's lots, in FEFO order (a part no lot covered has no
-- lot), with the lot's code and expiry as they were: the receiver opens one lot per row.
CREATE TABLE transfer_lots (
    tenant_id    BLOB NOT NULL,
    transfer_id  BLOB NOT NULL,
    line_no      INTEGER NOT NULL,
    seq          INTEGER NOT NULL CHECK (seq > 0),
    lot_id       BLOB,
    code         TEXT,
    expires_on   TEXT CHECK (expires_on IS NULL OR expires_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    cost         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, transfer_id, line_no, seq),
    FOREIGN KEY (tenant_id, transfer_id, line_no) REFERENCES transfer_lines (tenant_id, transfer_id, line_no),
    FOREIGN KEY (tenant_id, lot_id) REFERENCES lots (tenant_id, id)
) STRICT;
