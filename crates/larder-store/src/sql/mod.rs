//! The storage port implemented once, in SQL, for every backend.
//!
//! Each context's statements live in one file here (`sql/catalog.rs`, `sql/inventory.rs`, ...)
//! as `&'static str` constants with `$1, $2, ...` placeholders, and the port's methods are
//! implemented once, generically, over [`Exec`]: the one thing a backend provides is a way to
//! run a statement with [`Arg`]s and hand back [`Row`]s (plus, for bulk writes, a [`Column`]
//! batch). What truly differs between SQLite and PostgreSQL (bulk inserts, the atomic
//! stock-level upsert, day arithmetic on timestamps, list membership) is a [`Dialect`]: a
//! small table of named statements each backend fills in its own `dialect.rs`.
//!
//! Values cross the boundary in a backend-neutral form: ids as [`Uuid`] (a 16-byte BLOB on
//! SQLite, `uuid` on PostgreSQL), instants as [`DateTime<Utc>`] (INTEGER microseconds since
//! the epoch on SQLite, `timestamptz` on PostgreSQL), quantities and money as `i64` (their raw
//! thousandths and millionths). A backend converts at its edge; the statements never see the
//! difference. See `docs/adr/006-sql-written-once.md`.

mod alerts;
mod analytics;
mod audit;
mod auth;
mod catalog;
mod corrections;
mod events;
mod idempotency;
mod inventory;
mod kitchen;
mod mail;
mod menu;
mod procurement;
mod sales;
mod tenancy;
mod webhooks;

pub use events::{Flushed, Numbered};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::{Money, Quantity, TenantId};
use uuid::Uuid;

use crate::StoreError;

/// A bound parameter. Every variant carries its SQL type, so a `NULL` is typed too
/// (PostgreSQL must know a parameter's type to compare it with a column).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arg<'a> {
    /// `INTEGER` / `bigint`.
    Int(Option<i64>),
    /// `TEXT` / `text`.
    Text(Option<&'a str>),
    /// `BLOB` / `bytea`.
    Blob(Option<&'a [u8]>),
    /// A 16-byte `BLOB` / `uuid`.
    Uuid(Option<Uuid>),
    /// INTEGER microseconds since the epoch / `timestamptz`.
    Time(Option<DateTime<Utc>>),
    /// A list of texts, for a membership test written by each [`Dialect`] (a JSON array on
    /// SQLite, `text[]` on PostgreSQL).
    TextList(&'a [String]),
}

/// Conversion of a domain value into a bound parameter.
pub trait ToArg {
    /// The parameter.
    fn arg(&self) -> Arg<'_>;
}

macro_rules! to_arg {
    ($t:ty, |$v:ident| $e:expr) => {
        impl ToArg for $t {
            fn arg(&self) -> Arg<'_> {
                let $v = self;
                $e
            }
        }
    };
}

to_arg!(i64, |v| Arg::Int(Some(*v)));
to_arg!(i32, |v| Arg::Int(Some(i64::from(*v))));
to_arg!(Option<i64>, |v| Arg::Int(*v));
to_arg!(Option<i32>, |v| Arg::Int(v.map(i64::from)));
to_arg!(str, |v| Arg::Text(Some(v)));
to_arg!(String, |v| Arg::Text(Some(v)));
to_arg!(Option<String>, |v| Arg::Text(v.as_deref()));
to_arg!(Option<&str>, |v| Arg::Text(*v));
to_arg!([u8], |v| Arg::Blob(Some(v)));
to_arg!(Vec<u8>, |v| Arg::Blob(Some(v)));
to_arg!(Option<&[u8]>, |v| Arg::Blob(*v));
to_arg!(Uuid, |v| Arg::Uuid(Some(*v)));
to_arg!(Option<Uuid>, |v| Arg::Uuid(*v));
to_arg!(DateTime<Utc>, |v| Arg::Time(Some(*v)));
to_arg!(Option<DateTime<Utc>>, |v| Arg::Time(*v));
to_arg!(Quantity, |v| Arg::Int(Some(v.raw())));
to_arg!(Option<Quantity>, |v| Arg::Int(v.map(Quantity::raw)));
to_arg!(Money, |v| Arg::Int(Some(v.raw())));
to_arg!(Option<Money>, |v| Arg::Int(v.map(Money::raw)));
to_arg!([String], |v| Arg::TextList(v));
to_arg!(Vec<String>, |v| Arg::TextList(v));

macro_rules! id_args {
    ($($id:ident),*) => {$(
        to_arg!(larder_core::$id, |v| Arg::Uuid(Some(v.as_uuid())));
        to_arg!(Option<larder_core::$id>, |v| Arg::Uuid(v.map(|i| i.as_uuid())));
        impl FromField for larder_core::$id {
            fn from_field(f: Field) -> Result<Self, String> {
                Uuid::from_field(f).map(Self::from_uuid)
            }
        }
        impl FromField for Option<larder_core::$id> {
            fn from_field(f: Field) -> Result<Self, String> {
                Option::<Uuid>::from_field(f).map(|o| o.map(larder_core::$id::from_uuid))
            }
        }
    )*};
}

id_args!(
    TenantId,
    UserId,
    LocationId,
    ItemId,
    MovementId,
    RecipeId,
    MenuItemId,
    SaleId,
    RefreshTokenId,
    TokenFamilyId,
    ApiKeyId,
    SupplierId,
    SupplierItemId,
    LotId,
    GoodsReceiptId,
    PurchaseOrderId,
    InvoiceId,
    ProductionBatchId,
    TransferId,
    StockCountId,
    StorageAreaId,
    OrderId,
    OrderLineId,
    TaskId,
    StationId,
    WorkflowTemplateId,
    DeliveryId
);

/// The parameters of a statement, as a slice of [`Arg`]s: `args![a, b, c]` (with [`ToArg`]
/// in scope).
macro_rules! args {
    ($($v:expr),* $(,)?) => {
        &[$(($v).arg()),*]
    };
}
pub(crate) use args;

/// A column value as read, before conversion to a domain type.
#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    /// `NULL`.
    Null,
    /// An integer.
    Int(i64),
    /// A float (only from aggregates a statement forgot to cast; refused by integer readers).
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes (a UUID on SQLite).
    Blob(Vec<u8>),
    /// A UUID (PostgreSQL).
    Uuid(Uuid),
    /// An instant (PostgreSQL).
    Time(DateTime<Utc>),
}

/// Conversion of a read column into a domain value; the error says what was found.
pub trait FromField: Sized {
    /// Converts.
    ///
    /// # Errors
    /// A description of the mismatch.
    fn from_field(f: Field) -> Result<Self, String>;
}

fn mismatch<T>(want: &str, got: &Field) -> Result<T, String> {
    Err(format!("expected {want}, found {got:?}"))
}

impl FromField for i64 {
    fn from_field(f: Field) -> Result<Self, String> {
        match f {
            Field::Int(v) => Ok(v),
            other => mismatch("an integer", &other),
        }
    }
}

impl FromField for i32 {
    fn from_field(f: Field) -> Result<Self, String> {
        i64::from_field(f).and_then(|v| i32::try_from(v).map_err(|e| e.to_string()))
    }
}

impl FromField for u16 {
    fn from_field(f: Field) -> Result<Self, String> {
        i64::from_field(f).and_then(|v| u16::try_from(v).map_err(|e| e.to_string()))
    }
}

impl FromField for String {
    fn from_field(f: Field) -> Result<Self, String> {
        match f {
            Field::Text(v) => Ok(v),
            other => mismatch("text", &other),
        }
    }
}

impl FromField for Vec<u8> {
    fn from_field(f: Field) -> Result<Self, String> {
        match f {
            Field::Blob(v) => Ok(v),
            other => mismatch("bytes", &other),
        }
    }
}

impl FromField for Uuid {
    fn from_field(f: Field) -> Result<Self, String> {
        match f {
            Field::Uuid(v) => Ok(v),
            Field::Blob(b) => Uuid::from_slice(&b).map_err(|e| e.to_string()),
            other => mismatch("a UUID", &other),
        }
    }
}

impl FromField for DateTime<Utc> {
    fn from_field(f: Field) -> Result<Self, String> {
        match f {
            Field::Time(t) => Ok(t),
            Field::Int(micros) => DateTime::from_timestamp_micros(micros)
                .ok_or_else(|| format!("{micros} µs is out of range")),
            other => mismatch("an instant", &other),
        }
    }
}

impl FromField for Quantity {
    fn from_field(f: Field) -> Result<Self, String> {
        i64::from_field(f).map(Quantity::from_raw)
    }
}

impl FromField for Money {
    fn from_field(f: Field) -> Result<Self, String> {
        i64::from_field(f).map(Money::from_raw)
    }
}

impl<T: FromField> FromField for Option<T>
where
    T: NotOption,
{
    fn from_field(f: Field) -> Result<Self, String> {
        match f {
            Field::Null => Ok(None),
            other => T::from_field(other).map(Some),
        }
    }
}

/// Marks the types `Option<T>` may wrap (so `Option<Option<T>>` is not a reader).
pub trait NotOption {}
impl NotOption for i64 {}
impl NotOption for i32 {}
impl NotOption for String {}
impl NotOption for Vec<u8> {}
impl NotOption for Uuid {}
impl NotOption for DateTime<Utc> {}
impl NotOption for Quantity {}
impl NotOption for Money {}

/// Reads an enum stored as its text spelling (`base_unit`, `kind`, `role`).
pub struct Spelled<T>(pub T);

impl<T: std::str::FromStr> FromField for Spelled<T> {
    fn from_field(f: Field) -> Result<Self, String> {
        let s = String::from_field(f)?;
        s.parse()
            .map(Spelled)
            .map_err(|_| format!("'{s}' is not a valid value"))
    }
}

/// One result row: its columns in the order the statement selects them, read front to back
/// with [`Row::get`].
#[derive(Debug, Default)]
pub struct Row {
    fields: std::vec::IntoIter<Field>,
    at: usize,
}

impl Row {
    /// A row of these columns.
    pub fn new(fields: Vec<Field>) -> Self {
        Self {
            fields: fields.into_iter(),
            at: 0,
        }
    }

    /// The next column, converted.
    ///
    /// # Errors
    /// [`StoreError::Other`] naming the column position when it is missing or of another type.
    pub fn get<T: FromField>(&mut self) -> Result<T, StoreError> {
        self.at += 1;
        let f = self
            .fields
            .next()
            .ok_or_else(|| StoreError::Other(format!("column {} is missing", self.at)))?;
        T::from_field(f).map_err(|e| StoreError::Other(format!("column {}: {e}", self.at)))
    }

    /// The next column, an enum stored as text.
    ///
    /// # Errors
    /// As [`Row::get`].
    pub fn spelled<T: std::str::FromStr>(&mut self) -> Result<T, StoreError> {
        self.get::<Spelled<T>>().map(|s| s.0)
    }
}

/// A column of a bulk write: one value per row, all columns of a batch equally long.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// Integers.
    Int(Vec<Option<i64>>),
    /// Texts.
    Text(Vec<Option<String>>),
    /// UUIDs.
    Uuid(Vec<Option<Uuid>>),
    /// Instants.
    Time(Vec<Option<DateTime<Utc>>>),
}

impl Column {
    /// Rows in the column.
    pub fn len(&self) -> usize {
        match self {
            Column::Int(v) => v.len(),
            Column::Text(v) => v.len(),
            Column::Uuid(v) => v.len(),
            Column::Time(v) => v.len(),
        }
    }

    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of row `i` as a parameter.
    pub fn arg(&self, i: usize) -> Arg<'_> {
        match self {
            Column::Int(v) => Arg::Int(v.get(i).copied().flatten()),
            Column::Text(v) => Arg::Text(v.get(i).and_then(|s| s.as_deref())),
            Column::Uuid(v) => Arg::Uuid(v.get(i).copied().flatten()),
            Column::Time(v) => Arg::Time(v.get(i).copied().flatten()),
        }
    }
}

/// The statements that differ between backends, by name. Each backend fills one in its
/// `dialect.rs`; the parameters of a statement are the same on both (a test checks it).
///
/// A *batch* statement runs through [`Exec::execute_batch`]: its first parameters are scalars,
/// the rest one per [`Column`]. SQLite runs it once per row with that row's values; PostgreSQL
/// once per batch with each column bound as an array (`unnest`), one round trip.
#[derive(Debug)]
pub struct Dialect {
    /// `"sqlite"` or `"postgres"`.
    pub backend: &'static str,
    /// Statements run when a transaction learns whose memberships it reads (PostgreSQL's
    /// row-level security shows a person their own memberships in other tenants only under
    /// `app.user_id`): `$1` the user id as text. `None` where nothing is needed.
    pub set_user: Option<&'static str>,
    /// inventory, batch: `$1` tenant; columns id, item_id, location_id, kind, quantity,
    /// unit_cost, reason, sale_id, created_by, occurred_at, recorded_at, value,
    /// cost_variance, shortfall, settled, reverses.
    pub insert_movements: &'static str,
    /// inventory, batch query ([`Exec::fetch_batch`]): `$1` tenant; columns item_id,
    /// location_id, delta, at. Adds each delta to its stock level by an atomic increment
    /// (creating the level at the delta), moves `updated_at` forward to `at`, and returns
    /// item_id, location_id, on_hand (after), value, last_cost and the tenant's
    /// valuation_method. On PostgreSQL the increment locks the level rows until commit, so
    /// the lots behind them are read and written by one posting at a time.
    pub add_to_stock_levels: &'static str,
    /// inventory, batch query: `$1` tenant; columns item_id, location_id. The open lots
    /// (remaining > 0) of those levels: item_id, location_id, id, expires_on (text
    /// `YYYY-MM-DD` or NULL), received_at, remaining, remaining_value.
    pub open_lots: &'static str,
    /// inventory, batch: `$1` tenant; columns id, item_id, location_id, code, expires_on
    /// (text `YYYY-MM-DD`), received_at, received_quantity, unit_cost, remaining,
    /// remaining_value, movement_id.
    pub insert_lots: &'static str,
    /// inventory, batch: `$1` tenant; columns id, remaining, remaining_value: sets what is
    /// left of existing lots.
    pub update_lots: &'static str,
    /// inventory, batch: `$1` tenant; columns movement_id, lot_id, quantity, cost.
    pub insert_lot_consumptions: &'static str,
    /// inventory, batch: `$1` tenant; columns item_id, location_id, value, last_cost: sets
    /// each level's stock value and last cost (the rows are locked by
    /// `add_to_stock_levels` in the same transaction).
    pub set_level_costs: &'static str,
    /// sales, batch: `$1` tenant; columns id, location_id, source, external_ref, occurred_at,
    /// recorded_at.
    pub insert_sales: &'static str,
    /// sales, batch: `$1` tenant; columns sale_id, line_no, menu_item_id, item_name,
    /// quantity, unit_price, occurred_at.
    pub insert_sale_lines: &'static str,
    /// sales: which of the refs `$3` (a list) of source `$2` exist for tenant `$1`; selects
    /// `external_ref`.
    pub existing_sale_refs: &'static str,
    /// analytics: quantity removed by sale movements per item and day in `[$2, $3)` for
    /// tenant `$1`, the day of an instant being `floor((epoch seconds + $4) / 86 400)`;
    /// selects day, item_id, used (positive), ordered by day, item_id.
    pub usage_by_day: &'static str,
    /// analytics (AvT): the distinct days on which location `$2` of tenant `$1` recorded a
    /// sale in `[$3, $4)`, the day of an instant being `floor((epoch seconds + $5) / 86 400)`;
    /// selects day, ascending.
    pub avt_sale_days: &'static str,
    /// events: `$1` tenant. Selects the tenant's relay cursor `relayed_seq`, claimed for the
    /// transaction: PostgreSQL locks the row and selects nothing when another process holds
    /// it (`FOR UPDATE SKIP LOCKED`); SQLite's one writer simply reads it.
    pub claim_relay: &'static str,
    /// events: `$1` the payload `<tenant id>:<head>`. Announces a commit's events to every
    /// process (PostgreSQL's `pg_notify` on `larder_events`, delivered at commit). `None`
    /// where one process is all there is (SQLite).
    pub notify_events: Option<&'static str>,
    /// events, numbering after commit (ADR 025): `$1` tenant, `$2` the event head, `$3`
    /// limit. Gives the tenant's committed unnumbered events, at most `$3` in `pos` order,
    /// the numbers after `$2`; returns each new `seq`. `Some` marks a backend whose
    /// transactions write events and audit records without numbers and leave them to
    /// [`SqlTx::number_committed`] after the commit (PostgreSQL, so that a tenant's writers
    /// never wait for each other's commit on the head rows); `None` where the transaction
    /// numbers them itself just before committing (SQLite, whose one writer waits anyway).
    pub number_events: Option<&'static str>,
    /// audit, numbering after commit, batch: `$1` tenant; columns pos, seq, prev_hash and
    /// hash (the hashes as lowercase hex). Numbers and chains those audit records. `None`
    /// with [`Dialect::number_events`].
    pub number_audit: Option<&'static str>,
    /// webhooks: `$1` tenant, `$2` now, `$3` limit. The pending deliveries due by `$2` of
    /// active subscriptions, earliest due first, claimed for the transaction (PostgreSQL:
    /// `FOR UPDATE OF d SKIP LOCKED`): the delivery's id, webhook_id, event_id, event_seq,
    /// event_type, status, attempts, next_attempt_at, last_status, last_error,
    /// last_attempt_at, created_at; the subscription's url, secret, previous_secret,
    /// previous_until; the event's seq, id, event_type, location_id, occurred_at,
    /// recorded_at, actor, schema_version, data.
    pub claim_deliveries: &'static str,
    /// mail: `$1` tenant, `$2` now, `$3` limit. The pending messages due by `$2`, earliest
    /// due first, claimed for the transaction (PostgreSQL: `FOR UPDATE SKIP LOCKED`): id,
    /// recipients, subject, purpose, status, attempts, next_attempt_at, last_error,
    /// last_attempt_at, sent_at, attachment_names, created_by, created_at, text_body,
    /// html_body.
    pub claim_mail: &'static str,
}

impl Dialect {
    /// Every statement with its name, for checks that both backends agree.
    pub fn statements(&self) -> Vec<(&'static str, Option<&'static str>)> {
        vec![
            ("set_user", self.set_user),
            ("insert_movements", Some(self.insert_movements)),
            ("add_to_stock_levels", Some(self.add_to_stock_levels)),
            ("open_lots", Some(self.open_lots)),
            ("insert_lots", Some(self.insert_lots)),
            ("update_lots", Some(self.update_lots)),
            (
                "insert_lot_consumptions",
                Some(self.insert_lot_consumptions),
            ),
            ("set_level_costs", Some(self.set_level_costs)),
            ("insert_sales", Some(self.insert_sales)),
            ("insert_sale_lines", Some(self.insert_sale_lines)),
            ("existing_sale_refs", Some(self.existing_sale_refs)),
            ("usage_by_day", Some(self.usage_by_day)),
            ("avt_sale_days", Some(self.avt_sale_days)),
            ("claim_relay", Some(self.claim_relay)),
            ("notify_events", self.notify_events),
            ("number_events", self.number_events),
            ("number_audit", self.number_audit),
            ("claim_deliveries", Some(self.claim_deliveries)),
            ("claim_mail", Some(self.claim_mail)),
        ]
    }
}

/// The distinct `$n` placeholders of a statement, in ascending order: what a caller binds.
pub fn placeholders(sql: &str) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let start = i + 1;
            let mut end = start;
            while end < bytes.len() && bytes[end].is_ascii_digit() {
                end += 1;
            }
            if end > start
                && let Ok(n) = sql[start..end].parse::<usize>()
            {
                out.push(n);
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// What a backend provides: statements run on its connection, inside the transaction its
/// store began. Every method is one statement (one round trip on PostgreSQL).
#[async_trait]
pub trait Exec: Send {
    /// This backend's statements where the dialects differ.
    fn dialect(&self) -> &'static Dialect;

    /// Runs a statement; returns the rows it changed.
    async fn execute(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<u64, StoreError>;

    /// Runs a query and returns every row.
    async fn fetch_all(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Vec<Row>, StoreError>;

    /// Runs a query and returns its first row, if any.
    async fn fetch_optional(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Option<Row>, StoreError>;

    /// Runs a [`Dialect`] batch statement with `scalars` first and then one parameter per
    /// column. A backend that runs a batch row by row needs the columns equally long; one that
    /// binds them as arrays does not. Returns the rows changed.
    async fn execute_batch(
        &mut self,
        sql: &'static str,
        scalars: &[Arg<'_>],
        columns: &[Column],
    ) -> Result<u64, StoreError>;

    /// Runs a [`Dialect`] batch *query* as [`Exec::execute_batch`] runs a batch statement,
    /// and returns every row it selects or returns (for all the batch's rows, in no
    /// particular order).
    async fn fetch_batch(
        &mut self,
        sql: &'static str,
        scalars: &[Arg<'_>],
        columns: &[Column],
    ) -> Result<Vec<Row>, StoreError>;
}

/// A tenant's transaction over a backend's [`Exec`]: implements every context's port.
pub struct SqlTx<E> {
    exec: E,
    tenant: TenantId,
    /// Events held until the commit ([`SqlTx::flush_events`]).
    events: Vec<crate::NewEvent>,
    /// Audit records held until the commit.
    audit: Vec<crate::NewAudit>,
}

impl<E: Exec> SqlTx<E> {
    /// The port for `tenant` over `exec` (which is inside a transaction).
    pub fn new(exec: E, tenant: TenantId) -> Self {
        Self {
            exec,
            tenant,
            events: Vec::new(),
            audit: Vec::new(),
        }
    }
}

/// A transaction with no tenant over a backend's [`Exec`]: people and their memberships.
pub struct SqlGlobalTx<E> {
    exec: E,
}

impl<E: Exec> SqlGlobalTx<E> {
    /// The port over `exec` (which is inside a transaction).
    pub fn new(exec: E) -> Self {
        Self { exec }
    }
}

type R<T> = Result<T, StoreError>;

/// Reads every row with `read`.
fn rows<T>(rows: Vec<Row>, read: impl FnMut(Row) -> R<T>) -> R<Vec<T>> {
    rows.into_iter().map(read).collect()
}

/// [`StoreError::NotFound`] when a statement changed no row.
impl<E: Exec> SqlTx<E> {
    /// After an update guarded by the row's version changed `n` rows: `Ok` for one; otherwise
    /// Conflict `<table>_version` when the row still exists (its version moved on), NotFound
    /// when it does not. `exists` selects the row by `($1 tenant, $2 id)`.
    async fn versioned(&mut self, n: u64, exists: &'static str, id: Uuid, table: &str) -> R<()> {
        if n == 1 {
            return Ok(());
        }
        match self
            .exec
            .fetch_optional(exists, args![self.tenant, id])
            .await?
        {
            Some(_) => Err(StoreError::Conflict {
                constraint: format!("{table}_version"),
            }),
            None => Err(StoreError::NotFound),
        }
    }
}

fn changed(n: u64) -> R<()> {
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_once_each_in_order() {
        assert_eq!(
            placeholders("SELECT $2, $1 WHERE a = $10 OR b = $2 AND c = '$'"),
            vec![1, 2, 10]
        );
        assert!(placeholders("SELECT 1").is_empty());
    }

    #[test]
    fn rows_convert_by_position_and_name_the_bad_column() {
        let id = Uuid::now_v7();
        let mut r = Row::new(vec![
            Field::Blob(id.as_bytes().to_vec()),
            Field::Int(1_700_000_000_000_000),
            Field::Null,
            Field::Text("g".into()),
            Field::Text("x".into()),
        ]);
        assert_eq!(r.get::<Uuid>().ok(), Some(id));
        assert_eq!(
            r.get::<DateTime<Utc>>().ok().map(|t| t.timestamp()),
            Some(1_700_000_000)
        );
        assert_eq!(r.get::<Option<i64>>().ok(), Some(None));
        assert_eq!(
            r.spelled::<larder_core::BaseUnit>().ok(),
            Some(larder_core::BaseUnit::G)
        );
        let err = r.get::<i64>().err().map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains("column 5")),
            "{err:?}"
        );
        let err = r.get::<i64>().err().map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains("missing")),
            "{err:?}"
        );
    }
}
