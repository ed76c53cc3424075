//! [`Exec`] on a rusqlite connection: statements prepared once per connection (cached),
//! parameters bound by their `$n` names, rows read into backend-neutral fields. Nothing here
//! waits: each call runs to completion on the calling thread (the writer's, or a reader's).

use async_trait::async_trait;
use larder_store::StoreError;
use larder_store::sql::{Arg, Column, Dialect, Exec, Field, Row};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{CachedStatement, Connection};

use crate::dialect::DIALECT;

/// Statements each connection keeps prepared: every statement of the port fits.
pub(crate) const STATEMENT_CACHE: usize = 256;

/// The executor over one connection, inside a transaction its owner began.
pub(crate) struct SqliteExec<'c> {
    conn: &'c mut Connection,
}

impl<'c> SqliteExec<'c> {
    pub(crate) fn new(conn: &'c mut Connection) -> Self {
        Self { conn }
    }
}

/// Classifies a driver error: unique violations become [`StoreError::Conflict`] named
/// `{table}_{column}` after the last column SQLite reports (the migrations name their unique
/// indexes by the same rule), foreign-key violations `foreign_key`, a busy or locked database
/// [`StoreError::Unavailable`].
pub fn classify(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match &e {
        rusqlite::Error::SqliteFailure(err, message) => {
            let message = message.clone().unwrap_or_else(|| err.to_string());
            match err.code {
                ErrorCode::ConstraintViolation => {
                    if let Some(cols) = message.strip_prefix("UNIQUE constraint failed: ") {
                        let last = cols.split(", ").last().unwrap_or(cols);
                        let constraint = match last.split_once('.') {
                            Some((table, col)) => format!("{table}_{col}"),
                            None => last.to_owned(),
                        };
                        StoreError::Conflict { constraint }
                    } else if message.ends_with("_range") && !message.contains(' ') {
                        // RAISE(ABORT, '<table>_<column>_range') from a range trigger.
                        StoreError::OutOfRange {
                            constraint: message,
                        }
                    } else if message.starts_with("FOREIGN KEY constraint failed") {
                        StoreError::Conflict {
                            constraint: "foreign_key".into(),
                        }
                    } else {
                        StoreError::Other(message)
                    }
                }
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                    StoreError::Unavailable(message)
                }
                _ => StoreError::Other(message),
            }
        }
        _ => StoreError::Other(e.to_string()),
    }
}

fn to_sql<'x>(a: &'x Arg<'_>) -> Result<ToSqlOutput<'x>, StoreError> {
    const NULL: ToSqlOutput<'static> = ToSqlOutput::Borrowed(ValueRef::Null);
    Ok(match a {
        Arg::Int(v) => v.map_or(NULL, |i| ToSqlOutput::Borrowed(ValueRef::Integer(i))),
        Arg::Text(v) => v.map_or(NULL, |s| {
            ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes()))
        }),
        Arg::Blob(v) => v.map_or(NULL, |b| ToSqlOutput::Borrowed(ValueRef::Blob(b))),
        Arg::Uuid(v) => match v {
            Some(u) => ToSqlOutput::Borrowed(ValueRef::Blob(u.as_bytes())),
            None => NULL,
        },
        Arg::Time(v) => v.map_or(NULL, |t| {
            ToSqlOutput::Borrowed(ValueRef::Integer(t.timestamp_micros()))
        }),
        Arg::TextList(list) => ToSqlOutput::Owned(Value::Text(
            serde_json::to_string(list).map_err(|e| StoreError::Other(e.to_string()))?,
        )),
    })
}

/// For each parameter of `stmt` (1-based, in SQLite's order), the `n` of its `$n` name.
fn placeholders(stmt: &CachedStatement<'_>) -> Result<Vec<usize>, StoreError> {
    (1..=stmt.parameter_count())
        .map(|i| {
            stmt.parameter_name(i)
                .and_then(|name| name.strip_prefix('$'))
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| StoreError::Other(format!("parameter {i} is not named $n")))
        })
        .collect()
}

/// Binds `args(n)` (the value of placeholder `$n`) to every parameter of `stmt`, whose
/// placeholders are `map` (see [`placeholders`]).
fn bind<'a>(
    stmt: &mut CachedStatement<'_>,
    map: &[usize],
    mut args: impl FnMut(usize) -> Option<Arg<'a>>,
) -> Result<(), StoreError> {
    for (i, &n) in map.iter().enumerate() {
        let arg = args(n).ok_or_else(|| StoreError::Other(format!("no value for ${n}")))?;
        stmt.raw_bind_parameter(i + 1, to_sql(&arg)?)
            .map_err(classify)?;
    }
    Ok(())
}

fn read_row(r: &rusqlite::Row<'_>, columns: usize) -> Result<Row, StoreError> {
    let mut fields = Vec::with_capacity(columns);
    for i in 0..columns {
        fields.push(match r.get_ref(i).map_err(classify)? {
            ValueRef::Null => Field::Null,
            ValueRef::Integer(v) => Field::Int(v),
            ValueRef::Real(v) => Field::Real(v),
            ValueRef::Text(t) => Field::Text(
                std::str::from_utf8(t)
                    .map_err(|e| StoreError::Other(format!("column {}: {e}", i + 1)))?
                    .to_owned(),
            ),
            ValueRef::Blob(b) => Field::Blob(b.to_vec()),
        });
    }
    Ok(Row::new(fields))
}

impl SqliteExec<'_> {
    fn query(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
        limit: Option<usize>,
    ) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(classify)?;
        let map = placeholders(&stmt)?;
        bind(&mut stmt, &map, |n| args.get(n.wrapping_sub(1)).copied())?;
        let columns = stmt.column_count();
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(classify)? {
            out.push(read_row(r, columns)?);
            if limit.is_some_and(|l| out.len() >= l) {
                break;
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl Exec for SqliteExec<'_> {
    fn dialect(&self) -> &'static Dialect {
        &DIALECT
    }

    async fn execute(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(classify)?;
        let map = placeholders(&stmt)?;
        bind(&mut stmt, &map, |n| args.get(n.wrapping_sub(1)).copied())?;
        let n = stmt.raw_execute().map_err(classify)?;
        Ok(n as u64)
    }

    async fn fetch_all(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Vec<Row>, StoreError> {
        self.query(sql, args, None)
    }

    async fn fetch_optional(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, args, Some(1))?.into_iter().next())
    }

    async fn execute_batch(
        &mut self,
        sql: &'static str,
        scalars: &[Arg<'_>],
        columns: &[Column],
    ) -> Result<u64, StoreError> {
        let rows = columns.first().map_or(0, Column::len);
        if columns.iter().any(|c| c.len() != rows) {
            return Err(StoreError::Other(
                "a batch's columns differ in length".into(),
            ));
        }
        let mut stmt = self.conn.prepare_cached(sql).map_err(classify)?;
        let map = placeholders(&stmt)?;
        let mut changed = 0;
        for row in 0..rows {
            bind(&mut stmt, &map, |n| match n.checked_sub(1) {
                Some(i) if i < scalars.len() => scalars.get(i).copied(),
                Some(i) => columns.get(i - scalars.len()).map(|c| c.arg(row)),
                None => None,
            })?;
            changed += stmt.raw_execute().map_err(classify)? as u64;
        }
        Ok(changed)
    }

    async fn fetch_batch(
        &mut self,
        sql: &'static str,
        scalars: &[Arg<'_>],
        columns: &[Column],
    ) -> Result<Vec<Row>, StoreError> {
        let rows = columns.first().map_or(0, Column::len);
        if columns.iter().any(|c| c.len() != rows) {
            return Err(StoreError::Other(
                "a batch's columns differ in length".into(),
            ));
        }
        let mut stmt = self.conn.prepare_cached(sql).map_err(classify)?;
        let map = placeholders(&stmt)?;
        let width = stmt.column_count();
        let mut out = Vec::new();
        for row in 0..rows {
            bind(&mut stmt, &map, |n| match n.checked_sub(1) {
                Some(i) if i < scalars.len() => scalars.get(i).copied(),
                Some(i) => columns.get(i - scalars.len()).map(|c| c.arg(row)),
                None => None,
            })?;
            let mut found = stmt.raw_query();
            while let Some(r) = found.next().map_err(classify)? {
                out.push(read_row(r, width)?);
            }
        }
        Ok(out)
    }
}
