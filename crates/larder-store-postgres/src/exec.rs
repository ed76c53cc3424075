//! [`Exec`] on a sqlx PostgreSQL connection: each statement is prepared once per connection
//! (sqlx's statement cache) and run in one round trip; rows are read into backend-neutral
//! fields by their column types.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_store::StoreError;
use larder_store::sql::{Arg, Column, Dialect, Exec, Field, Row};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{Column as _, PgConnection, Postgres, Row as _, TypeInfo as _, ValueRef as _};
use uuid::Uuid;

use crate::dialect::DIALECT;

/// The executor over one connection, inside the transaction its store began.
pub(crate) struct PgExec<'c> {
    conn: &'c mut PgConnection,
}

impl<'c> PgExec<'c> {
    pub(crate) fn new(conn: &'c mut PgConnection) -> Self {
        Self { conn }
    }
}

/// Classifies a driver error: unique violations become [`StoreError::Conflict`] with the
/// constraint's name (the migrations name them `{table}_{column}` as SQLite's are derived),
/// foreign-key violations `foreign_key`, connection trouble [`StoreError::Unavailable`].
pub fn classify(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("23505") => StoreError::Conflict {
                constraint: db.constraint().unwrap_or("unique").to_owned(),
            },
            Some("23503") => StoreError::Conflict {
                constraint: "foreign_key".into(),
            },
            Some(code) if code.starts_with("08") || code == "57P01" || code == "53300" => {
                StoreError::Unavailable(db.message().to_owned())
            }
            _ => StoreError::Other(db.message().to_owned()),
        },
        _ => StoreError::Other(e.to_string()),
    }
}

type Q<'q> = Query<'q, Postgres, PgArguments>;

fn bind<'q>(q: Q<'q>, a: &Arg<'q>) -> Q<'q> {
    match *a {
        Arg::Int(v) => q.bind(v),
        Arg::Text(v) => q.bind(v),
        Arg::Blob(v) => q.bind(v),
        Arg::Uuid(v) => q.bind(v),
        Arg::Time(v) => q.bind(v),
        Arg::TextList(v) => q.bind(v),
    }
}

fn bind_column<'q>(q: Q<'q>, c: &'q Column) -> Q<'q> {
    match c {
        Column::Int(v) => q.bind(v.as_slice()),
        Column::Text(v) => q.bind(v.as_slice()),
        Column::Uuid(v) => q.bind(v.as_slice()),
        Column::Time(v) => q.bind(v.as_slice()),
    }
}

fn query<'q>(sql: &'static str, args: &[Arg<'q>]) -> Q<'q> {
    args.iter().fold(sqlx::query(sql), bind)
}

fn field(row: &PgRow, i: usize) -> Result<Field, StoreError> {
    let bad = |e: sqlx::Error| StoreError::Other(format!("column {}: {e}", i + 1));
    let raw = row.try_get_raw(i).map_err(bad)?;
    if raw.is_null() {
        return Ok(Field::Null);
    }
    let type_name = row.column(i).type_info().name().to_owned();
    Ok(match type_name.as_str() {
        "INT8" => Field::Int(row.try_get::<i64, _>(i).map_err(bad)?),
        "INT4" => Field::Int(i64::from(row.try_get::<i32, _>(i).map_err(bad)?)),
        "INT2" => Field::Int(i64::from(row.try_get::<i16, _>(i).map_err(bad)?)),
        "BOOL" => Field::Int(i64::from(row.try_get::<bool, _>(i).map_err(bad)?)),
        "FLOAT8" => Field::Real(row.try_get::<f64, _>(i).map_err(bad)?),
        "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => {
            Field::Text(row.try_get::<String, _>(i).map_err(bad)?)
        }
        "BYTEA" => Field::Blob(row.try_get::<Vec<u8>, _>(i).map_err(bad)?),
        "UUID" => Field::Uuid(row.try_get::<Uuid, _>(i).map_err(bad)?),
        "TIMESTAMPTZ" => Field::Time(row.try_get::<DateTime<Utc>, _>(i).map_err(bad)?),
        other => {
            return Err(StoreError::Other(format!(
                "column {} has type {other}: cast it in the statement",
                i + 1
            )));
        }
    })
}

fn read_row(row: &PgRow) -> Result<Row, StoreError> {
    let fields = (0..row.len())
        .map(|i| field(row, i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Row::new(fields))
}

#[async_trait]
impl Exec for PgExec<'_> {
    fn dialect(&self) -> &'static Dialect {
        &DIALECT
    }

    async fn execute(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        query(sql, args)
            .execute(&mut *self.conn)
            .await
            .map(|r| r.rows_affected())
            .map_err(classify)
    }

    async fn fetch_all(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Vec<Row>, StoreError> {
        query(sql, args)
            .fetch_all(&mut *self.conn)
            .await
            .map_err(classify)?
            .iter()
            .map(read_row)
            .collect()
    }

    async fn fetch_optional(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Option<Row>, StoreError> {
        query(sql, args)
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(classify)?
            .as_ref()
            .map(read_row)
            .transpose()
    }

    async fn execute_batch(
        &mut self,
        sql: &'static str,
        scalars: &[Arg<'_>],
        columns: &[Column],
    ) -> Result<u64, StoreError> {
        columns
            .iter()
            .fold(query(sql, scalars), bind_column)
            .execute(&mut *self.conn)
            .await
            .map(|r| r.rows_affected())
            .map_err(classify)
    }
}
