//! The port's transaction traits on one SQLite connection. Every tenant-owned query filters by
//! the transaction's tenant; SQLite has no row-level security, so this is the only guard here.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::auth::Role;
use larder_core::recipe::Component;
use larder_core::{
    ItemId, LocationId, MenuItemId, Money, MovementId, Quantity, RecipeId, RefreshTokenId, SaleId,
    TenantId, TokenFamilyId, UserId,
};
use larder_store::*;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use uuid::Uuid;

use crate::convert::{classify, from_opt_ts, from_ts, parse_text, ts};

/// A tenant-scoped transaction.
pub struct SqliteTx<'c> {
    conn: &'c mut SqliteConnection,
    tenant: TenantId,
}

impl<'c> SqliteTx<'c> {
    pub fn new(conn: &'c mut SqliteConnection, tenant: TenantId) -> Self {
        Self { conn, tenant }
    }
    fn t(&self) -> Uuid {
        self.tenant.as_uuid()
    }
}

/// A transaction with no tenant.
pub struct SqliteGlobalTx<'c> {
    conn: &'c mut SqliteConnection,
}

impl<'c> SqliteGlobalTx<'c> {
    pub fn new(conn: &'c mut SqliteConnection) -> Self {
        Self { conn }
    }
}

type R<T> = Result<T, StoreError>;

fn user(r: &SqliteRow) -> R<UserRow> {
    Ok(UserRow {
        id: UserId::from_uuid(r.try_get("id").map_err(classify)?),
        email: r.try_get("email").map_err(classify)?,
        name: r.try_get("name").map_err(classify)?,
        password_hash: r.try_get("password_hash").map_err(classify)?,
        created_at: from_ts(r.try_get("created_at").map_err(classify)?)?,
    })
}

fn membership(r: &SqliteRow) -> R<MembershipRow> {
    let role: String = r.try_get("role").map_err(classify)?;
    Ok(MembershipRow {
        tenant_id: TenantId::from_uuid(r.try_get("tenant_id").map_err(classify)?),
        tenant_slug: r.try_get("slug").map_err(classify)?,
        tenant_name: r.try_get("tenant_name").map_err(classify)?,
        user_id: UserId::from_uuid(r.try_get("user_id").map_err(classify)?),
        role: parse_text::<Role>(&role, "role")?,
    })
}

async fn g_insert_user(conn: &mut SqliteConnection, u: &UserRow) -> R<()> {
    sqlx::query("INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(u.id.as_uuid())
        .bind(&u.email)
        .bind(&u.name)
        .bind(&u.password_hash)
        .bind(ts(u.created_at))
        .execute(conn)
        .await
        .map(|_| ())
        .map_err(classify)
}

async fn g_user_by_email(conn: &mut SqliteConnection, email: &str) -> R<Option<UserRow>> {
    sqlx::query("SELECT * FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(conn)
        .await
        .map_err(classify)?
        .as_ref()
        .map(user)
        .transpose()
}

async fn g_get_user(conn: &mut SqliteConnection, id: UserId) -> R<Option<UserRow>> {
    sqlx::query("SELECT * FROM users WHERE id = $1")
        .bind(id.as_uuid())
        .fetch_optional(conn)
        .await
        .map_err(classify)?
        .as_ref()
        .map(user)
        .transpose()
}

async fn g_memberships(conn: &mut SqliteConnection, id: UserId) -> R<Vec<MembershipRow>> {
    sqlx::query(
        "SELECT m.tenant_id, m.user_id, m.role, t.slug, t.name AS tenant_name
         FROM memberships m JOIN tenants t ON t.id = m.tenant_id
         WHERE m.user_id = $1 ORDER BY m.created_at, m.tenant_id",
    )
    .bind(id.as_uuid())
    .fetch_all(conn)
    .await
    .map_err(classify)?
    .iter()
    .map(membership)
    .collect()
}

macro_rules! global_impl {
    ($ty:ident) => {
        #[async_trait]
        impl GlobalTx for $ty<'_> {
            async fn insert_user(&mut self, u: &UserRow) -> R<()> {
                g_insert_user(self.conn, u).await
            }
            async fn find_user_by_email(&mut self, email: &str) -> R<Option<UserRow>> {
                g_user_by_email(self.conn, email).await
            }
            async fn get_user(&mut self, id: UserId) -> R<Option<UserRow>> {
                g_get_user(self.conn, id).await
            }
            async fn memberships_of_user(&mut self, id: UserId) -> R<Vec<MembershipRow>> {
                g_memberships(self.conn, id).await
            }
        }
    };
}
global_impl!(SqliteTx);
global_impl!(SqliteGlobalTx);

fn location(r: &SqliteRow) -> R<LocationRow> {
    let kind: String = r.try_get("kind").map_err(classify)?;
    Ok(LocationRow {
        id: LocationId::from_uuid(r.try_get("id").map_err(classify)?),
        name: r.try_get("name").map_err(classify)?,
        kind: parse_text(&kind, "location kind")?,
        created_at: from_ts(r.try_get("created_at").map_err(classify)?)?,
    })
}

fn refresh_token(r: &SqliteRow) -> R<RefreshTokenRow> {
    Ok(RefreshTokenRow {
        id: RefreshTokenId::from_uuid(r.try_get("id").map_err(classify)?),
        family_id: TokenFamilyId::from_uuid(r.try_get("family_id").map_err(classify)?),
        user_id: UserId::from_uuid(r.try_get("user_id").map_err(classify)?),
        token_hash: r.try_get("token_hash").map_err(classify)?,
        created_at: from_ts(r.try_get("created_at").map_err(classify)?)?,
        expires_at: from_ts(r.try_get("expires_at").map_err(classify)?)?,
        used_at: from_opt_ts(r.try_get("used_at").map_err(classify)?)?,
        revoked_at: from_opt_ts(r.try_get("revoked_at").map_err(classify)?)?,
    })
}

fn item(r: &SqliteRow) -> R<ItemRow> {
    let unit: String = r.try_get("base_unit").map_err(classify)?;
    let packs: String = r.try_get("pack_sizes").map_err(classify)?;
    Ok(ItemRow {
        id: ItemId::from_uuid(r.try_get("id").map_err(classify)?),
        name: r.try_get("name").map_err(classify)?,
        sku: r.try_get("sku").map_err(classify)?,
        category: r.try_get("category").map_err(classify)?,
        base_unit: parse_text(&unit, "base unit")?,
        pack_sizes: decode_packs(&packs)?,
        barcode: r.try_get("barcode").map_err(classify)?,
        unit_cost: r
            .try_get::<Option<i64>, _>("unit_cost")
            .map_err(classify)?
            .map(Money::from_raw),
        version: r.try_get("version").map_err(classify)?,
        created_at: from_ts(r.try_get("created_at").map_err(classify)?)?,
        updated_at: from_ts(r.try_get("updated_at").map_err(classify)?)?,
    })
}

/// Pack sizes are stored as `name=thousandths` pairs joined by `;` (no JSON dependency here).
fn encode_packs(packs: &[PackSize]) -> String {
    packs
        .iter()
        .map(|p| format!("{}={}", p.name.replace([';', '='], " "), p.quantity.raw()))
        .collect::<Vec<_>>()
        .join(";")
}

fn decode_packs(s: &str) -> R<Vec<PackSize>> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    s.split(';')
        .map(|p| {
            let (name, raw) = p
                .rsplit_once('=')
                .ok_or_else(|| StoreError::Other("bad pack size".into()))?;
            let raw: i64 = raw
                .parse()
                .map_err(|_| StoreError::Other("bad pack size".into()))?;
            Ok(PackSize {
                name: name.to_owned(),
                quantity: Quantity::from_raw(raw),
            })
        })
        .collect()
}

fn movement(r: &SqliteRow) -> R<MovementRow> {
    let kind: String = r.try_get("kind").map_err(classify)?;
    Ok(MovementRow {
        id: MovementId::from_uuid(r.try_get("id").map_err(classify)?),
        item_id: ItemId::from_uuid(r.try_get("item_id").map_err(classify)?),
        location_id: LocationId::from_uuid(r.try_get("location_id").map_err(classify)?),
        kind: parse_text(&kind, "movement kind")?,
        quantity: Quantity::from_raw(r.try_get("quantity").map_err(classify)?),
        unit_cost: r
            .try_get::<Option<i64>, _>("unit_cost")
            .map_err(classify)?
            .map(Money::from_raw),
        reason: r.try_get("reason").map_err(classify)?,
        sale_id: r
            .try_get::<Option<Uuid>, _>("sale_id")
            .map_err(classify)?
            .map(SaleId::from_uuid),
        created_by: r
            .try_get::<Option<Uuid>, _>("created_by")
            .map_err(classify)?
            .map(UserId::from_uuid),
        occurred_at: from_ts(r.try_get("occurred_at").map_err(classify)?)?,
        recorded_at: from_ts(r.try_get("recorded_at").map_err(classify)?)?,
    })
}

fn recipe_head(r: &SqliteRow) -> R<RecipeRow> {
    let unit: String = r.try_get("yield_unit").map_err(classify)?;
    Ok(RecipeRow {
        id: RecipeId::from_uuid(r.try_get("id").map_err(classify)?),
        name: r.try_get("name").map_err(classify)?,
        yield_quantity: Quantity::from_raw(r.try_get("yield_quantity").map_err(classify)?),
        yield_unit: parse_text(&unit, "yield unit")?,
        notes: r.try_get("notes").map_err(classify)?,
        lines: Vec::new(),
        version: r.try_get("version").map_err(classify)?,
        created_at: from_ts(r.try_get("created_at").map_err(classify)?)?,
    })
}

fn recipe_line(r: &SqliteRow) -> R<(RecipeId, RecipeLineRow)> {
    let unit: String = r.try_get("unit").map_err(classify)?;
    let item: Option<Uuid> = r.try_get("item_id").map_err(classify)?;
    let sub: Option<Uuid> = r.try_get("sub_recipe_id").map_err(classify)?;
    let component = match (item, sub) {
        (Some(i), None) => Component::Item(ItemId::from_uuid(i)),
        (None, Some(s)) => Component::Recipe(RecipeId::from_uuid(s)),
        _ => {
            return Err(StoreError::Other(
                "recipe line without one component".into(),
            ));
        }
    };
    Ok((
        RecipeId::from_uuid(r.try_get("recipe_id").map_err(classify)?),
        RecipeLineRow {
            position: r.try_get("position").map_err(classify)?,
            component,
            quantity: Quantity::from_raw(r.try_get("quantity").map_err(classify)?),
            unit: parse_text(&unit, "unit")?,
        },
    ))
}

fn menu_item(r: &SqliteRow) -> R<MenuItemRow> {
    Ok(MenuItemRow {
        id: MenuItemId::from_uuid(r.try_get("id").map_err(classify)?),
        name: r.try_get("name").map_err(classify)?,
        category: r.try_get("category").map_err(classify)?,
        recipe_id: r
            .try_get::<Option<Uuid>, _>("recipe_id")
            .map_err(classify)?
            .map(RecipeId::from_uuid),
        portion: Quantity::from_raw(r.try_get("portion").map_err(classify)?),
        price: r
            .try_get::<Option<i64>, _>("price")
            .map_err(classify)?
            .map(Money::from_raw),
        created_at: from_ts(r.try_get("created_at").map_err(classify)?)?,
    })
}

fn sale_head(r: &SqliteRow) -> R<SaleRow> {
    Ok(SaleRow {
        id: SaleId::from_uuid(r.try_get("id").map_err(classify)?),
        location_id: LocationId::from_uuid(r.try_get("location_id").map_err(classify)?),
        source: r.try_get("source").map_err(classify)?,
        external_ref: r.try_get("external_ref").map_err(classify)?,
        occurred_at: from_ts(r.try_get("occurred_at").map_err(classify)?)?,
        recorded_at: from_ts(r.try_get("recorded_at").map_err(classify)?)?,
        lines: Vec::new(),
    })
}

fn sale_line(r: &SqliteRow) -> R<(SaleId, SaleLineRow)> {
    Ok((
        SaleId::from_uuid(r.try_get("sale_id").map_err(classify)?),
        SaleLineRow {
            line_no: r.try_get("line_no").map_err(classify)?,
            menu_item_id: r
                .try_get::<Option<Uuid>, _>("menu_item_id")
                .map_err(classify)?
                .map(MenuItemId::from_uuid),
            item_name: r.try_get("item_name").map_err(classify)?,
            quantity: Quantity::from_raw(r.try_get("quantity").map_err(classify)?),
            unit_price: Money::from_raw(r.try_get("unit_price").map_err(classify)?),
        },
    ))
}

/// Bound parameters per statement: SQLite's limit (`SQLITE_MAX_VARIABLE_NUMBER`) is 32 766.
const MAX_PARAMS: usize = 32_766;

/// Rows per multi-row statement with `columns` parameters each, as many as the limit allows.
const fn rows_per_statement(columns: usize) -> usize {
    MAX_PARAMS / columns
}

/// Values per `IN (...)` list.
const CHUNK: usize = 1000;

impl SqliteTx<'_> {
    async fn sale_lines_for(&mut self, ids: &[Uuid]) -> R<Vec<(SaleId, SaleLineRow)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT * FROM sale_lines WHERE tenant_id = ");
        qb.push_bind(self.t()).push(" AND sale_id IN (");
        let mut sep = qb.separated(", ");
        for id in ids {
            sep.push_bind(*id);
        }
        qb.push(") ORDER BY sale_id, line_no");
        qb.build()
            .fetch_all(&mut *self.conn)
            .await
            .map_err(classify)?
            .iter()
            .map(sale_line)
            .collect()
    }
}

#[async_trait]
impl TenantTx for SqliteTx<'_> {
    fn tenant_id(&self) -> TenantId {
        self.tenant
    }

    async fn insert_tenant(&mut self, t: &TenantRow) -> R<()> {
        if t.id != self.tenant {
            return Err(StoreError::Other(
                "tenant row does not match the transaction".into(),
            ));
        }
        sqlx::query("INSERT INTO tenants (id, name, slug, currency, time_zone, day_cutoff_minutes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(t.id.as_uuid())
            .bind(&t.name)
            .bind(&t.slug)
            .bind(&t.currency)
            .bind(&t.time_zone)
            .bind(t.day_cutoff_minutes)
            .bind(ts(t.created_at))
            .execute(&mut *self.conn)
            .await
            .map(|_| ())
            .map_err(classify)
    }

    async fn get_tenant(&mut self) -> R<Option<TenantRow>> {
        let row = sqlx::query("SELECT * FROM tenants WHERE id = $1")
            .bind(self.t())
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(classify)?;
        row.map(|r| {
            Ok(TenantRow {
                id: TenantId::from_uuid(r.try_get("id").map_err(classify)?),
                name: r.try_get("name").map_err(classify)?,
                slug: r.try_get("slug").map_err(classify)?,
                currency: r.try_get("currency").map_err(classify)?,
                time_zone: r.try_get("time_zone").map_err(classify)?,
                day_cutoff_minutes: r.try_get("day_cutoff_minutes").map_err(classify)?,
                created_at: from_ts(r.try_get("created_at").map_err(classify)?)?,
            })
        })
        .transpose()
    }

    async fn insert_membership(&mut self, user: UserId, role: Role, at: DateTime<Utc>) -> R<()> {
        sqlx::query("INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
            .bind(self.t())
            .bind(user.as_uuid())
            .bind(role.as_str())
            .bind(ts(at))
            .execute(&mut *self.conn)
            .await
            .map(|_| ())
            .map_err(classify)
    }

    async fn get_membership(&mut self, user: UserId) -> R<Option<MembershipRow>> {
        sqlx::query(
            "SELECT m.tenant_id, m.user_id, m.role, t.slug, t.name AS tenant_name
             FROM memberships m JOIN tenants t ON t.id = m.tenant_id
             WHERE m.tenant_id = $1 AND m.user_id = $2",
        )
        .bind(self.t())
        .bind(user.as_uuid())
        .fetch_optional(&mut *self.conn)
        .await
        .map_err(classify)?
        .as_ref()
        .map(membership)
        .transpose()
    }

    async fn insert_location(&mut self, l: &LocationRow) -> R<()> {
        sqlx::query("INSERT INTO locations (tenant_id, id, name, kind, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(self.t())
            .bind(l.id.as_uuid())
            .bind(&l.name)
            .bind(l.kind.as_str())
            .bind(ts(l.created_at))
            .execute(&mut *self.conn)
            .await
            .map(|_| ())
            .map_err(classify)
    }

    async fn update_location(&mut self, l: &LocationRow) -> R<()> {
        let done = sqlx::query(
            "UPDATE locations SET name = $3, kind = $4 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.t())
        .bind(l.id.as_uuid())
        .bind(&l.name)
        .bind(l.kind.as_str())
        .execute(&mut *self.conn)
        .await
        .map_err(classify)?;
        if done.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn get_location(&mut self, id: LocationId) -> R<Option<LocationRow>> {
        sqlx::query("SELECT * FROM locations WHERE tenant_id = $1 AND id = $2")
            .bind(self.t())
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(classify)?
            .as_ref()
            .map(location)
            .transpose()
    }

    async fn list_locations(
        &mut self,
        after: Option<(String, LocationId)>,
        limit: u32,
    ) -> R<Vec<LocationRow>> {
        let (name, id) = after.map_or((None, None), |(n, i)| (Some(n), Some(i.as_uuid())));
        sqlx::query(
            "SELECT * FROM locations WHERE tenant_id = $1
               AND ($2 IS NULL OR name > $2 OR (name = $2 AND id > $3))
             ORDER BY name, id LIMIT $4",
        )
        .bind(self.t())
        .bind(name)
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.conn)
        .await
        .map_err(classify)?
        .iter()
        .map(location)
        .collect()
    }

    async fn insert_refresh_token(&mut self, tok: &RefreshTokenRow) -> R<()> {
        sqlx::query(
            "INSERT INTO refresh_tokens (tenant_id, id, family_id, user_id, token_hash, created_at, expires_at, used_at, revoked_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(self.t())
        .bind(tok.id.as_uuid())
        .bind(tok.family_id.as_uuid())
        .bind(tok.user_id.as_uuid())
        .bind(&tok.token_hash)
        .bind(ts(tok.created_at))
        .bind(ts(tok.expires_at))
        .bind(tok.used_at.map(ts))
        .bind(tok.revoked_at.map(ts))
        .execute(&mut *self.conn)
        .await
        .map(|_| ())
        .map_err(classify)
    }

    async fn find_refresh_token(&mut self, hash: &[u8]) -> R<Option<RefreshTokenRow>> {
        sqlx::query("SELECT * FROM refresh_tokens WHERE tenant_id = $1 AND token_hash = $2")
            .bind(self.t())
            .bind(hash)
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(classify)?
            .as_ref()
            .map(refresh_token)
            .transpose()
    }

    async fn mark_refresh_token_used(&mut self, hash: &[u8], at: DateTime<Utc>) -> R<bool> {
        let done = sqlx::query(
            "UPDATE refresh_tokens SET used_at = $3 WHERE tenant_id = $1 AND token_hash = $2 AND used_at IS NULL",
        )
        .bind(self.t())
        .bind(hash)
        .bind(ts(at))
        .execute(&mut *self.conn)
        .await
        .map_err(classify)?;
        Ok(done.rows_affected() == 1)
    }

    async fn revoke_token_family(&mut self, family: TokenFamilyId, at: DateTime<Utc>) -> R<()> {
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND family_id = $2 AND revoked_at IS NULL",
        )
        .bind(self.t())
        .bind(family.as_uuid())
        .bind(ts(at))
        .execute(&mut *self.conn)
        .await
        .map(|_| ())
        .map_err(classify)
    }

    async fn get_idempotency(&mut self, key: &str) -> R<Option<IdempotencyRow>> {
        let row = sqlx::query("SELECT * FROM idempotency_keys WHERE tenant_id = $1 AND key = $2")
            .bind(self.t())
            .bind(key)
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(classify)?;
        row.map(|r| {
            let status: i64 = r.try_get("status").map_err(classify)?;
            Ok(IdempotencyRow {
                key: r.try_get("key").map_err(classify)?,
                request_hash: r.try_get("request_hash").map_err(classify)?,
                status: u16::try_from(status)
                    .map_err(|_| StoreError::Other("bad status".into()))?,
                body: r.try_get("body").map_err(classify)?,
                created_at: from_ts(r.try_get("created_at").map_err(classify)?)?,
            })
        })
        .transpose()
    }

    async fn insert_idempotency(&mut self, row: &IdempotencyRow) -> R<()> {
        sqlx::query(
            "INSERT INTO idempotency_keys (tenant_id, key, request_hash, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(self.t())
        .bind(&row.key)
        .bind(&row.request_hash)
        .bind(i64::from(row.status))
        .bind(&row.body)
        .bind(ts(row.created_at))
        .execute(&mut *self.conn)
        .await
        .map(|_| ())
        .map_err(classify)
    }

    async fn insert_item(&mut self, i: &ItemRow) -> R<()> {
        sqlx::query(
            "INSERT INTO items (tenant_id, id, name, sku, category, base_unit, pack_sizes, barcode, unit_cost, version, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(self.t())
        .bind(i.id.as_uuid())
        .bind(&i.name)
        .bind(&i.sku)
        .bind(&i.category)
        .bind(i.base_unit.as_str())
        .bind(encode_packs(&i.pack_sizes))
        .bind(&i.barcode)
        .bind(i.unit_cost.map(Money::raw))
        .bind(i.version)
        .bind(ts(i.created_at))
        .bind(ts(i.updated_at))
        .execute(&mut *self.conn)
        .await
        .map(|_| ())
        .map_err(classify)
    }

    async fn update_item(&mut self, i: &ItemRow, expected_version: i64) -> R<()> {
        let done = sqlx::query(
            "UPDATE items SET name = $3, sku = $4, category = $5, pack_sizes = $6, barcode = $7, unit_cost = $8,
                    version = version + 1, updated_at = $9
             WHERE tenant_id = $1 AND id = $2 AND version = $10",
        )
        .bind(self.t())
        .bind(i.id.as_uuid())
        .bind(&i.name)
        .bind(&i.sku)
        .bind(&i.category)
        .bind(encode_packs(&i.pack_sizes))
        .bind(&i.barcode)
        .bind(i.unit_cost.map(Money::raw))
        .bind(ts(i.updated_at))
        .bind(expected_version)
        .execute(&mut *self.conn)
        .await
        .map_err(classify)?;
        if done.rows_affected() == 1 {
            return Ok(());
        }
        match self.get_item(i.id).await? {
            Some(_) => Err(StoreError::Conflict {
                constraint: "items_version".into(),
            }),
            None => Err(StoreError::NotFound),
        }
    }

    async fn get_item(&mut self, id: ItemId) -> R<Option<ItemRow>> {
        sqlx::query("SELECT * FROM items WHERE tenant_id = $1 AND id = $2")
            .bind(self.t())
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(classify)?
            .as_ref()
            .map(item)
            .transpose()
    }

    async fn list_items(&mut self, f: &ItemFilter) -> R<Vec<ItemRow>> {
        let (name, id) = f
            .after
            .clone()
            .map_or((None, None), |(n, i)| (Some(n), Some(i.as_uuid())));
        let like = f
            .name_contains
            .as_ref()
            .map(|s| format!("%{}%", s.to_lowercase()));
        sqlx::query(
            "SELECT * FROM items WHERE tenant_id = $1
               AND ($2 IS NULL OR lower(name) LIKE $2)
               AND ($3 IS NULL OR category = $3)
               AND ($4 IS NULL OR barcode = $4)
               AND ($5 IS NULL OR name > $5 OR (name = $5 AND id > $6))
             ORDER BY name, id LIMIT $7",
        )
        .bind(self.t())
        .bind(like)
        .bind(&f.category)
        .bind(&f.barcode)
        .bind(name)
        .bind(id)
        .bind(i64::from(f.limit))
        .fetch_all(&mut *self.conn)
        .await
        .map_err(classify)?
        .iter()
        .map(item)
        .collect()
    }

    async fn upsert_par_level(&mut self, p: &ParLevelRow) -> R<()> {
        sqlx::query(
            "INSERT INTO par_levels (tenant_id, item_id, location_id, par_level, reorder_point) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id, item_id, location_id) DO UPDATE SET par_level = excluded.par_level, reorder_point = excluded.reorder_point",
        )
        .bind(self.t())
        .bind(p.item_id.as_uuid())
        .bind(p.location_id.as_uuid())
        .bind(p.par_level.map(Quantity::raw))
        .bind(p.reorder_point.map(Quantity::raw))
        .execute(&mut *self.conn)
        .await
        .map(|_| ())
        .map_err(classify)
    }

    async fn append_movements(&mut self, movements: &[MovementRow]) -> R<()> {
        let t = self.t();
        for chunk in movements.chunks(rows_per_statement(12)) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO stock_movements (tenant_id, id, item_id, location_id, kind, quantity, unit_cost, reason, sale_id, created_by, occurred_at, recorded_at) ",
            );
            qb.push_values(chunk, |mut b, m| {
                b.push_bind(t)
                    .push_bind(m.id.as_uuid())
                    .push_bind(m.item_id.as_uuid())
                    .push_bind(m.location_id.as_uuid())
                    .push_bind(m.kind.as_str())
                    .push_bind(m.quantity.raw())
                    .push_bind(m.unit_cost.map(Money::raw))
                    .push_bind(m.reason.clone())
                    .push_bind(m.sale_id.map(|s| s.as_uuid()))
                    .push_bind(m.created_by.map(|u| u.as_uuid()))
                    .push_bind(ts(m.occurred_at))
                    .push_bind(ts(m.recorded_at));
            });
            qb.build()
                .execute(&mut *self.conn)
                .await
                .map_err(classify)?;
        }
        // One atomic increment per (item, location), in key order.
        let mut deltas: BTreeMap<(Uuid, Uuid), (i64, DateTime<Utc>)> = BTreeMap::new();
        for m in movements {
            let e = deltas
                .entry((m.item_id.as_uuid(), m.location_id.as_uuid()))
                .or_insert((0, m.recorded_at));
            e.0 =
                e.0.checked_add(m.quantity.raw())
                    .ok_or_else(|| StoreError::Other("on hand overflows".into()))?;
            e.1 = e.1.max(m.recorded_at);
        }
        for ((item, loc), (delta, at)) in deltas {
            sqlx::query(
                "INSERT INTO stock_levels (tenant_id, item_id, location_id, on_hand, updated_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (tenant_id, item_id, location_id)
                 DO UPDATE SET on_hand = on_hand + excluded.on_hand, updated_at = max(updated_at, excluded.updated_at)",
            )
            .bind(t)
            .bind(item)
            .bind(loc)
            .bind(delta)
            .bind(ts(at))
            .execute(&mut *self.conn)
            .await
            .map_err(classify)?;
        }
        Ok(())
    }

    async fn list_stock(&mut self, f: &StockFilter) -> R<Vec<StockLevelRow>> {
        let (name, item_after, loc_after) =
            f.after.clone().map_or((None, None, None), |(n, i, l)| {
                (Some(n), Some(i.as_uuid()), Some(l.as_uuid()))
            });
        let rows = sqlx::query(
            "SELECT s.item_id, i.name AS item_name, i.base_unit, s.location_id, s.on_hand, s.updated_at,
                    p.par_level, p.reorder_point
             FROM stock_levels s
             JOIN items i ON i.tenant_id = s.tenant_id AND i.id = s.item_id
             LEFT JOIN par_levels p ON p.tenant_id = s.tenant_id AND p.item_id = s.item_id AND p.location_id = s.location_id
             WHERE s.tenant_id = $1
               AND ($2 IS NULL OR s.location_id = $2)
               AND ($3 IS NULL OR s.item_id = $3)
               AND ($4 IS NULL OR i.name > $4 OR (i.name = $4 AND (s.item_id > $5 OR (s.item_id = $5 AND s.location_id > $6))))
             ORDER BY i.name, s.item_id, s.location_id LIMIT $7",
        )
        .bind(self.t())
        .bind(f.location_id.map(|l| l.as_uuid()))
        .bind(f.item_id.map(|i| i.as_uuid()))
        .bind(name)
        .bind(item_after)
        .bind(loc_after)
        .bind(i64::from(f.limit))
        .fetch_all(&mut *self.conn)
        .await
        .map_err(classify)?;
        rows.iter()
            .map(|r| {
                let unit: String = r.try_get("base_unit").map_err(classify)?;
                Ok(StockLevelRow {
                    item_id: ItemId::from_uuid(r.try_get("item_id").map_err(classify)?),
                    item_name: r.try_get("item_name").map_err(classify)?,
                    base_unit: parse_text(&unit, "base unit")?,
                    location_id: LocationId::from_uuid(r.try_get("location_id").map_err(classify)?),
                    on_hand: Quantity::from_raw(r.try_get("on_hand").map_err(classify)?),
                    par_level: r
                        .try_get::<Option<i64>, _>("par_level")
                        .map_err(classify)?
                        .map(Quantity::from_raw),
                    reorder_point: r
                        .try_get::<Option<i64>, _>("reorder_point")
                        .map_err(classify)?
                        .map(Quantity::from_raw),
                    updated_at: from_ts(r.try_get("updated_at").map_err(classify)?)?,
                })
            })
            .collect()
    }

    async fn get_stock_level(&mut self, item: ItemId, location: LocationId) -> R<Quantity> {
        let v: Option<i64> = sqlx::query_scalar(
            "SELECT on_hand FROM stock_levels WHERE tenant_id = $1 AND item_id = $2 AND location_id = $3",
        )
        .bind(self.t())
        .bind(item.as_uuid())
        .bind(location.as_uuid())
        .fetch_optional(&mut *self.conn)
        .await
        .map_err(classify)?;
        Ok(Quantity::from_raw(v.unwrap_or(0)))
    }

    async fn list_movements(&mut self, f: &MovementFilter) -> R<Vec<MovementRow>> {
        sqlx::query(
            "SELECT * FROM stock_movements WHERE tenant_id = $1
               AND ($2 IS NULL OR item_id = $2)
               AND ($3 IS NULL OR location_id = $3)
               AND ($4 IS NULL OR kind = $4)
               AND ($5 IS NULL OR occurred_at >= $5)
               AND ($6 IS NULL OR occurred_at < $6)
               AND ($7 IS NULL OR id < $7)
             ORDER BY id DESC LIMIT $8",
        )
        .bind(self.t())
        .bind(f.item_id.map(|i| i.as_uuid()))
        .bind(f.location_id.map(|l| l.as_uuid()))
        .bind(f.kind.map(|k| k.as_str()))
        .bind(f.from.map(ts))
        .bind(f.to.map(ts))
        .bind(f.before.map(|m| m.as_uuid()))
        .bind(i64::from(f.limit))
        .fetch_all(&mut *self.conn)
        .await
        .map_err(classify)?
        .iter()
        .map(movement)
        .collect()
    }

    async fn get_movement(&mut self, id: MovementId) -> R<Option<MovementRow>> {
        sqlx::query("SELECT * FROM stock_movements WHERE tenant_id = $1 AND id = $2")
            .bind(self.t())
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(classify)?
            .as_ref()
            .map(movement)
            .transpose()
    }

    async fn ledger_mismatches(&mut self) -> R<Vec<LedgerMismatch>> {
        let rows = sqlx::query(
            "WITH sums AS (
                 SELECT item_id, location_id, SUM(quantity) AS total
                 FROM stock_movements WHERE tenant_id = $1 GROUP BY item_id, location_id
             ),
             levels AS (SELECT item_id, location_id, on_hand FROM stock_levels WHERE tenant_id = $1)
             SELECT l.item_id, l.location_id, l.on_hand, COALESCE(s.total, 0) AS total
               FROM levels l LEFT JOIN sums s ON s.item_id = l.item_id AND s.location_id = l.location_id
              WHERE l.on_hand <> COALESCE(s.total, 0)
             UNION ALL
             SELECT s.item_id, s.location_id, 0, s.total
               FROM sums s LEFT JOIN levels l ON l.item_id = s.item_id AND l.location_id = s.location_id
              WHERE l.item_id IS NULL AND s.total <> 0",
        )
        .bind(self.t())
        .fetch_all(&mut *self.conn)
        .await
        .map_err(classify)?;
        rows.iter()
            .map(|r| {
                Ok(LedgerMismatch {
                    item_id: ItemId::from_uuid(r.try_get(0).map_err(classify)?),
                    location_id: LocationId::from_uuid(r.try_get(1).map_err(classify)?),
                    on_hand: Quantity::from_raw(r.try_get(2).map_err(classify)?),
                    movements_sum: Quantity::from_raw(r.try_get(3).map_err(classify)?),
                })
            })
            .collect()
    }

    async fn insert_recipe(&mut self, rec: &RecipeRow) -> R<()> {
        sqlx::query(
            "INSERT INTO recipes (tenant_id, id, name, yield_quantity, yield_unit, notes, version, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(self.t())
        .bind(rec.id.as_uuid())
        .bind(&rec.name)
        .bind(rec.yield_quantity.raw())
        .bind(rec.yield_unit.as_str())
        .bind(&rec.notes)
        .bind(rec.version)
        .bind(ts(rec.created_at))
        .execute(&mut *self.conn)
        .await
        .map_err(classify)?;
        for line in &rec.lines {
            let (item, sub) = match line.component {
                Component::Item(i) => (Some(i.as_uuid()), None),
                Component::Recipe(r) => (None, Some(r.as_uuid())),
            };
            sqlx::query(
                "INSERT INTO recipe_lines (tenant_id, recipe_id, position, item_id, sub_recipe_id, quantity, unit)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(self.t())
            .bind(rec.id.as_uuid())
            .bind(line.position)
            .bind(item)
            .bind(sub)
            .bind(line.quantity.raw())
            .bind(line.unit.as_str())
            .execute(&mut *self.conn)
            .await
            .map_err(classify)?;
        }
        Ok(())
    }

    async fn get_recipe(&mut self, id: RecipeId) -> R<Option<RecipeRow>> {
        let head = sqlx::query("SELECT * FROM recipes WHERE tenant_id = $1 AND id = $2")
            .bind(self.t())
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(classify)?;
        let Some(head) = head else { return Ok(None) };
        let mut rec = recipe_head(&head)?;
        let lines = sqlx::query(
            "SELECT * FROM recipe_lines WHERE tenant_id = $1 AND recipe_id = $2 ORDER BY position",
        )
        .bind(self.t())
        .bind(id.as_uuid())
        .fetch_all(&mut *self.conn)
        .await
        .map_err(classify)?;
        for l in &lines {
            rec.lines.push(recipe_line(l)?.1);
        }
        Ok(Some(rec))
    }

    async fn all_recipes(&mut self) -> R<Vec<RecipeRow>> {
        let heads = sqlx::query("SELECT * FROM recipes WHERE tenant_id = $1 ORDER BY name, id")
            .bind(self.t())
            .fetch_all(&mut *self.conn)
            .await
            .map_err(classify)?;
        let mut recipes: Vec<RecipeRow> = heads.iter().map(recipe_head).collect::<R<_>>()?;
        let index: std::collections::HashMap<RecipeId, usize> =
            recipes.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        let lines = sqlx::query(
            "SELECT * FROM recipe_lines WHERE tenant_id = $1 ORDER BY recipe_id, position",
        )
        .bind(self.t())
        .fetch_all(&mut *self.conn)
        .await
        .map_err(classify)?;
        for l in &lines {
            let (rid, line) = recipe_line(l)?;
            if let Some(&i) = index.get(&rid) {
                recipes[i].lines.push(line);
            }
        }
        Ok(recipes)
    }

    async fn insert_menu_item(&mut self, m: &MenuItemRow) -> R<()> {
        sqlx::query(
            "INSERT INTO menu_items (tenant_id, id, name, category, recipe_id, portion, price, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(self.t())
        .bind(m.id.as_uuid())
        .bind(&m.name)
        .bind(&m.category)
        .bind(m.recipe_id.map(|r| r.as_uuid()))
        .bind(m.portion.raw())
        .bind(m.price.map(Money::raw))
        .bind(ts(m.created_at))
        .execute(&mut *self.conn)
        .await
        .map(|_| ())
        .map_err(classify)
    }

    async fn get_menu_item(&mut self, id: MenuItemId) -> R<Option<MenuItemRow>> {
        sqlx::query("SELECT * FROM menu_items WHERE tenant_id = $1 AND id = $2")
            .bind(self.t())
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(classify)?
            .as_ref()
            .map(menu_item)
            .transpose()
    }

    async fn all_menu_items(&mut self) -> R<Vec<MenuItemRow>> {
        sqlx::query("SELECT * FROM menu_items WHERE tenant_id = $1 ORDER BY name, id")
            .bind(self.t())
            .fetch_all(&mut *self.conn)
            .await
            .map_err(classify)?
            .iter()
            .map(menu_item)
            .collect()
    }

    async fn all_item_units(&mut self) -> R<Vec<ItemUnitRow>> {
        let rows = sqlx::query("SELECT id, name, base_unit, unit_cost FROM items WHERE tenant_id = $1 ORDER BY name, id")
            .bind(self.t())
            .fetch_all(&mut *self.conn)
            .await
            .map_err(classify)?;
        rows.iter()
            .map(|r| {
                let unit: String = r.try_get("base_unit").map_err(classify)?;
                Ok(ItemUnitRow {
                    id: ItemId::from_uuid(r.try_get("id").map_err(classify)?),
                    name: r.try_get("name").map_err(classify)?,
                    base_unit: parse_text(&unit, "base unit")?,
                    unit_cost: r
                        .try_get::<Option<i64>, _>("unit_cost")
                        .map_err(classify)?
                        .map(Money::from_raw),
                })
            })
            .collect()
    }

    async fn insert_sales(&mut self, sales: &[SaleRow]) -> R<()> {
        let t = self.t();
        for chunk in sales.chunks(rows_per_statement(7)) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO sales (tenant_id, id, location_id, source, external_ref, occurred_at, recorded_at) ",
            );
            qb.push_values(chunk, |mut b, s| {
                b.push_bind(t)
                    .push_bind(s.id.as_uuid())
                    .push_bind(s.location_id.as_uuid())
                    .push_bind(s.source.clone())
                    .push_bind(s.external_ref.clone())
                    .push_bind(ts(s.occurred_at))
                    .push_bind(ts(s.recorded_at));
            });
            qb.build()
                .execute(&mut *self.conn)
                .await
                .map_err(classify)?;
        }
        let lines: Vec<(&SaleRow, &SaleLineRow)> = sales
            .iter()
            .flat_map(|s| s.lines.iter().map(move |l| (s, l)))
            .collect();
        for chunk in lines.chunks(rows_per_statement(8)) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO sale_lines (tenant_id, sale_id, line_no, menu_item_id, item_name, quantity, unit_price, occurred_at) ",
            );
            qb.push_values(chunk, |mut b, (s, l)| {
                b.push_bind(t)
                    .push_bind(s.id.as_uuid())
                    .push_bind(l.line_no)
                    .push_bind(l.menu_item_id.map(|m| m.as_uuid()))
                    .push_bind(l.item_name.clone())
                    .push_bind(l.quantity.raw())
                    .push_bind(l.unit_price.raw())
                    .push_bind(ts(s.occurred_at));
            });
            qb.build()
                .execute(&mut *self.conn)
                .await
                .map_err(classify)?;
        }
        Ok(())
    }

    async fn existing_sale_refs(&mut self, source: &str, refs: &[String]) -> R<Vec<String>> {
        let mut found = Vec::new();
        for chunk in refs.chunks(CHUNK) {
            let mut qb =
                QueryBuilder::<Sqlite>::new("SELECT external_ref FROM sales WHERE tenant_id = ");
            qb.push_bind(self.t())
                .push(" AND source = ")
                .push_bind(source.to_owned())
                .push(" AND external_ref IN (");
            let mut sep = qb.separated(", ");
            for r in chunk {
                sep.push_bind(r.clone());
            }
            qb.push(")");
            let rows = qb
                .build()
                .fetch_all(&mut *self.conn)
                .await
                .map_err(classify)?;
            for r in rows {
                found.push(r.try_get::<String, _>(0).map_err(classify)?);
            }
        }
        Ok(found)
    }

    async fn get_sale(&mut self, id: SaleId) -> R<Option<SaleRow>> {
        let head = sqlx::query("SELECT * FROM sales WHERE tenant_id = $1 AND id = $2")
            .bind(self.t())
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(classify)?;
        let Some(head) = head else { return Ok(None) };
        let mut sale = sale_head(&head)?;
        sale.lines = self
            .sale_lines_for(&[id.as_uuid()])
            .await?
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        Ok(Some(sale))
    }

    async fn list_sales(&mut self, f: &SaleFilter) -> R<Vec<SaleRow>> {
        let (at, id) = f
            .before
            .map_or((None, None), |(t, i)| (Some(ts(t)), Some(i.as_uuid())));
        let heads = sqlx::query(
            "SELECT * FROM sales WHERE tenant_id = $1
               AND ($2 IS NULL OR occurred_at >= $2)
               AND ($3 IS NULL OR occurred_at < $3)
               AND ($4 IS NULL OR occurred_at < $4 OR (occurred_at = $4 AND id < $5))
             ORDER BY occurred_at DESC, id DESC LIMIT $6",
        )
        .bind(self.t())
        .bind(f.from.map(ts))
        .bind(f.to.map(ts))
        .bind(at)
        .bind(id)
        .bind(i64::from(f.limit))
        .fetch_all(&mut *self.conn)
        .await
        .map_err(classify)?;
        let mut sales: Vec<SaleRow> = heads.iter().map(sale_head).collect::<R<_>>()?;
        let ids: Vec<Uuid> = sales.iter().map(|s| s.id.as_uuid()).collect();
        let mut lines = self.sale_lines_for(&ids).await?;
        lines.reverse();
        for sale in &mut sales {
            sale.lines = lines
                .iter()
                .filter(|(sid, _)| *sid == sale.id)
                .map(|(_, l)| l.clone())
                .collect();
            sale.lines.sort_by_key(|l| l.line_no);
        }
        Ok(sales)
    }

    async fn unmapped_sales(&mut self) -> R<Vec<UnmappedRow>> {
        let rows = sqlx::query(
            "SELECT item_name, COUNT(*) AS lines, SUM(quantity) AS quantity FROM sale_lines
             WHERE tenant_id = $1 AND menu_item_id IS NULL GROUP BY item_name ORDER BY lines DESC, item_name",
        )
        .bind(self.t())
        .fetch_all(&mut *self.conn)
        .await
        .map_err(classify)?;
        rows.iter()
            .map(|r| {
                Ok(UnmappedRow {
                    item_name: r.try_get(0).map_err(classify)?,
                    lines: r.try_get(1).map_err(classify)?,
                    quantity: Quantity::from_raw(r.try_get(2).map_err(classify)?),
                })
            })
            .collect()
    }

    async fn usage_by_day(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        offset_seconds: i64,
    ) -> R<Vec<DailyUsageRow>> {
        let rows = sqlx::query(
            "SELECT (occurred_at + $4 * 1000000) / 86400000000 AS day, item_id, -SUM(quantity) AS used
             FROM stock_movements
             WHERE tenant_id = $1 AND kind = 'sale' AND occurred_at >= $2 AND occurred_at < $3
             GROUP BY day, item_id ORDER BY day, item_id",
        )
        .bind(self.t())
        .bind(ts(from))
        .bind(ts(to))
        .bind(offset_seconds)
        .fetch_all(&mut *self.conn)
        .await
        .map_err(classify)?;
        rows.iter()
            .map(|r| {
                Ok(DailyUsageRow {
                    day: r.try_get(0).map_err(classify)?,
                    item_id: ItemId::from_uuid(r.try_get(1).map_err(classify)?),
                    quantity: Quantity::from_raw(r.try_get(2).map_err(classify)?),
                })
            })
            .collect()
    }

    async fn top_menu_items(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> R<Vec<TopMenuItemRow>> {
        let rows = sqlx::query(
            "SELECT item_name, menu_item_id, SUM(quantity) AS qty, SUM(quantity * unit_price) AS revenue
             FROM sale_lines
             WHERE tenant_id = $1 AND occurred_at >= $2 AND occurred_at < $3
             GROUP BY item_name, menu_item_id ORDER BY qty DESC, item_name LIMIT $4",
        )
        .bind(self.t())
        .bind(ts(from))
        .bind(ts(to))
        .bind(i64::from(limit))
        .fetch_all(&mut *self.conn)
        .await
        .map_err(classify)?;
        rows.iter()
            .map(|r| {
                Ok(TopMenuItemRow {
                    item_name: r.try_get(0).map_err(classify)?,
                    menu_item_id: r
                        .try_get::<Option<Uuid>, _>(1)
                        .map_err(classify)?
                        .map(MenuItemId::from_uuid),
                    quantity: Quantity::from_raw(r.try_get(2).map_err(classify)?),
                    revenue_billionths: r.try_get(3).map_err(classify)?,
                })
            })
            .collect()
    }

    async fn sales_span(&mut self) -> R<Option<(DateTime<Utc>, DateTime<Utc>)>> {
        let row = sqlx::query(
            "SELECT MIN(occurred_at), MAX(occurred_at) FROM sales WHERE tenant_id = $1",
        )
        .bind(self.t())
        .fetch_one(&mut *self.conn)
        .await
        .map_err(classify)?;
        let min = from_opt_ts(row.try_get(0).map_err(classify)?)?;
        let max = from_opt_ts(row.try_get(1).map_err(classify)?)?;
        Ok(min.zip(max))
    }
}
