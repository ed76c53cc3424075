//! [`Exec`] on a sqlx PostgreSQL connection: each statement is prepared once per connection
//! (sqlx's statement cache) and run in one round trip; rows are read into backend-neutral
//! fields by their column types.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_store::StoreError;
use larder_store::sql::{Arg, Column, Dialect, Exec, Field, Row};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{Column as _, PgConnection, Postgres, Row as _, TypeInfo as _};
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
/// foreign-key violations `foreign_key`, connection trouble, serialization failures and
/// deadlocks [`StoreError::Unavailable`].
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
            Some("23514") => StoreError::OutOfRange {
                constraint: db.constraint().unwrap_or("check").to_owned(),
            },
            Some("23503") => StoreError::Conflict {
                constraint: "foreign_key".into(),
            },
            // Connection trouble, too many connections, and the transaction conflicts a retry
            // resolves (serialization failure, deadlock): the client may try again.
            Some(code)
                if code.starts_with("08")
                    || matches!(code, "57P01" | "53300" | "40001" | "40P01") =>
            {
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

/// How a column is read, decided once per result from its type.
#[derive(Clone, Copy)]
enum Kind {
    Int8,
    Int4,
    Int2,
    Bool,
    Float8,
    Text,
    Bytea,
    Uuid,
    Timestamptz,
    Unsupported,
}

fn kinds(row: &PgRow) -> Vec<Kind> {
    row.columns()
        .iter()
        .map(|c| match c.type_info().name() {
            "INT8" => Kind::Int8,
            "INT4" => Kind::Int4,
            "INT2" => Kind::Int2,
            "BOOL" => Kind::Bool,
            "FLOAT8" => Kind::Float8,
            "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => Kind::Text,
            "BYTEA" => Kind::Bytea,
            "UUID" => Kind::Uuid,
            "TIMESTAMPTZ" => Kind::Timestamptz,
            _ => Kind::Unsupported,
        })
        .collect()
}

fn field(row: &PgRow, i: usize, kind: Kind) -> Result<Field, StoreError> {
    fn get<'r, T>(row: &'r PgRow, i: usize) -> Result<Option<T>, StoreError>
    where
        T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        row.try_get::<Option<T>, _>(i)
            .map_err(|e| StoreError::Other(format!("column {}: {e}", i + 1)))
    }
    Ok(match kind {
        Kind::Int8 => get::<i64>(row, i)?.map(Field::Int),
        Kind::Int4 => get::<i32>(row, i)?.map(|v| Field::Int(i64::from(v))),
        Kind::Int2 => get::<i16>(row, i)?.map(|v| Field::Int(i64::from(v))),
        Kind::Bool => get::<bool>(row, i)?.map(|v| Field::Int(i64::from(v))),
        Kind::Float8 => get::<f64>(row, i)?.map(Field::Real),
        Kind::Text => get::<String>(row, i)?.map(Field::Text),
        Kind::Bytea => get::<Vec<u8>>(row, i)?.map(Field::Blob),
        Kind::Uuid => get::<Uuid>(row, i)?.map(Field::Uuid),
        Kind::Timestamptz => get::<DateTime<Utc>>(row, i)?.map(Field::Time),
        Kind::Unsupported => {
            return Err(StoreError::Other(format!(
                "column {} has type {}: cast it in the statement",
                i + 1,
                row.column(i).type_info().name()
            )));
        }
    }
    .unwrap_or(Field::Null))
}

fn read_row(row: &PgRow, kinds: &[Kind]) -> Result<Row, StoreError> {
    let fields = kinds
        .iter()
        .enumerate()
        .map(|(i, k)| field(row, i, *k))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Row::new(fields))
}

fn read_rows(rows: &[PgRow]) -> Result<Vec<Row>, StoreError> {
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let kinds = kinds(first);
    rows.iter().map(|r| read_row(r, &kinds)).collect()
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
        read_rows(
            &query(sql, args)
                .fetch_all(&mut *self.conn)
                .await
                .map_err(classify)?,
        )
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
            .map(|r| read_row(r, &kinds(r)))
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

    async fn fetch_batch(
        &mut self,
        sql: &'static str,
        scalars: &[Arg<'_>],
        columns: &[Column],
    ) -> Result<Vec<Row>, StoreError> {
        read_rows(
            &columns
                .iter()
                .fold(query(sql, scalars), bind_column)
                .fetch_all(&mut *self.conn)
                .await
                .map_err(classify)?,
        )
    }
}
