//! Member administration: the members list, changing a role, deactivating and reactivating,
//! limiting a manager or staff member to some locations.
//!
//! Owners and admins manage members (`members.manage`); only an owner may touch an owner or
//! make someone owner (`tenant.manage`). A tenant always keeps one active owner: the last one
//! cannot be demoted or deactivated. Deactivation keeps the membership for the record (the
//! ledger names who posted what), revokes the person's sessions here at once, and refuses them
//! at login; reactivation lets them log in again.
//!
//! A manager or staff member can be limited to some locations (the people of one site): every
//! list, report and write then sees and touches only those locations, and a location outside
//! them answers 404 as if it did not exist. Owners and admins work across the tenant and are
//! never limited.

use chrono::{DateTime, Utc};
use std::collections::HashMap;

use larder_core::auth::{Permission, Role};
use larder_core::{LocationId, UserId};
use larder_store::{MemberRow, Mode, run_tenant};
use serde::{Deserialize, Serialize};

use crate::page::{self, Page};
use crate::{App, AppError, Principal};

/// A member as the API shows them.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Member {
    /// The person.
    pub user_id: UserId,
    /// Their email.
    pub email: String,
    /// Their name.
    pub name: String,
    /// Their role here.
    pub role: Role,
    /// Member since.
    pub created_at: DateTime<Utc>,
    /// Whether they may log in and act here.
    pub active: bool,
    /// The locations they are limited to, by id; `null` for every location.
    pub locations: Option<Vec<LocationId>>,
}

impl Member {
    /// The member of `r`, with the locations they are limited to when `r` says they are.
    fn of(r: MemberRow, locations: Vec<LocationId>) -> Self {
        Self {
            user_id: r.user_id,
            email: r.email,
            name: r.name,
            role: r.role,
            created_at: r.created_at,
            active: r.deactivated_at.is_none(),
            locations: r.locations_limited_at.map(|_| locations),
        }
    }
}

/// The most locations one member can be limited to.
pub const MAX_MEMBER_LOCATIONS: usize = 1000;

/// Limit a member to some locations, or lift the limit.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationsCommand {
    /// The locations the member may see and change (1 to 1000 ids); `null` or absent for
    /// every location.
    #[schema(min_items = 1, max_items = 1000)]
    pub locations: Option<Vec<LocationId>>,
}

/// Change a member's role.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleCommand {
    /// The new role.
    pub role: Role,
}

/// The refusal when a change would leave the tenant without an active owner.
fn last_owner() -> AppError {
    AppError::conflict(
        "role",
        "the tenant's last active owner cannot be demoted or deactivated; make another member owner first",
    )
}

impl App {
    /// The tenant's members by email, active or not, a page at a time.
    ///
    /// # Errors
    /// 403 without `members.manage`; 422 on `limit` or `cursor`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_members(
        &self,
        p: Principal,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> Result<Page<Member>, AppError> {
        p.require(Permission::MembersManage)?;
        let limit = page::limit(limit)?;
        let after = match &cursor {
            Some(c) => Some(page::decode(c, 1)?.remove(0)),
            None => None,
        };
        let (rows, limits) = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let rows = tx.list_members(after.as_deref(), limit + 1).await?;
                Ok::<_, AppError>((rows, tx.all_member_locations().await?))
            })
        })
        .await?;
        let mut by_member: HashMap<UserId, Vec<LocationId>> = HashMap::new();
        for (user, location) in limits {
            by_member.entry(user).or_default().push(location);
        }
        let members = rows
            .into_iter()
            .map(|r| {
                let locations = by_member.remove(&r.user_id).unwrap_or_default();
                Member::of(r, locations)
            })
            .collect();
        Ok(page::page(members, limit, |m: &Member| {
            page::encode(&[&m.email])
        }))
    }

    /// Changes a member's role; it applies to their next request.
    ///
    /// # Errors
    /// 403 without `members.manage`, or when an admin touches an owner or grants owner; 404
    /// when they are not a member; 409 on `role` when it would demote the last active owner,
    /// or make a member limited to some locations owner or admin.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn set_member_role(
        &self,
        p: Principal,
        user: UserId,
        cmd: RoleCommand,
    ) -> Result<Member, AppError> {
        p.require(Permission::MembersManage)?;
        let member = run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
            Box::pin(async move {
                let current = member_to_change(tx, &p, user, Some(cmd.role)).await?;
                if current.role == Role::Owner
                    && cmd.role != Role::Owner
                    && current.deactivated_at.is_none()
                    && tx.count_active_owners().await? <= 1
                {
                    return Err(last_owner());
                }
                if current.locations_limited_at.is_some()
                    && matches!(cmd.role, Role::Owner | Role::Admin)
                {
                    return Err(AppError::conflict(
                        "role",
                        "this member is limited to some locations, and owners and admins work across every location: lift the limit first",
                    ));
                }
                tx.set_member_role(user, cmd.role).await?;
                crate::audit::record_by(
                    tx,
                    &p,
                    "auth.member_role_changed",
                    "member",
                    Some(user.to_string()),
                    &serde_json::json!({ "user_id": user, "role": cmd.role }),
                )
                .await?;
                let locations = tx.member_locations(user).await?.unwrap_or_default();
                Ok(Member::of(
                    MemberRow {
                        role: cmd.role,
                        ..current
                    },
                    locations,
                ))
            })
        })
        .await?;
        self.sessions.invalidate_all();
        self.api_keys.invalidate_all();
        Ok(member)
    }

    /// Deactivates (`active: false`) or reactivates a member. Deactivation revokes every
    /// session they hold here; their next request is refused.
    ///
    /// # Errors
    /// 403 without `members.manage`, or when an admin deactivates an owner; 404 when they are
    /// not a member; 409 on `role` for the last active owner (an owner deactivating themself
    /// included).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn set_member_active(
        &self,
        p: Principal,
        user: UserId,
        active: bool,
    ) -> Result<Member, AppError> {
        p.require(Permission::MembersManage)?;
        let member = run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
            Box::pin(async move {
                let current = member_to_change(tx, &p, user, None).await?;
                let now = Utc::now();
                if !active
                    && current.deactivated_at.is_none()
                    && current.role == Role::Owner
                    && tx.count_active_owners().await? <= 1
                {
                    return Err(last_owner());
                }
                let at = if active {
                    None
                } else {
                    Some(current.deactivated_at.unwrap_or(now))
                };
                tx.set_member_deactivated(user, at).await?;
                if !active {
                    tx.revoke_user_tokens(user, now).await?;
                }
                crate::audit::record_by(
                    tx,
                    &p,
                    if active {
                        "auth.member_reactivated"
                    } else {
                        "auth.member_deactivated"
                    },
                    "member",
                    Some(user.to_string()),
                    &serde_json::json!({ "user_id": user, "active": active }),
                )
                .await?;
                let locations = tx.member_locations(user).await?.unwrap_or_default();
                Ok(Member::of(
                    MemberRow {
                        deactivated_at: at,
                        ..current
                    },
                    locations,
                ))
            })
        })
        .await?;
        self.sessions.invalidate_all();
        self.api_keys.invalidate_all();
        Ok(member)
    }

    /// Limits a manager or staff member to `locations` (replacing an earlier limit), or lifts
    /// the limit (`null`). It applies to their next request, and to API keys they created.
    ///
    /// # Errors
    /// 403 without `members.manage`; 404 when they are not a member; 422 on `locations` for an
    /// owner or admin, an empty or too long list, and on `locations[i]` for an id that is no
    /// location of the tenant.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn set_member_locations(
        &self,
        p: Principal,
        user: UserId,
        cmd: LocationsCommand,
    ) -> Result<Member, AppError> {
        p.require(Permission::MembersManage)?;
        let wanted = cmd.locations;
        if let Some(list) = &wanted {
            if list.is_empty() || list.len() > MAX_MEMBER_LOCATIONS {
                return Err(AppError::invalid(
                    "locations",
                    "give 1 to 1000 locations, or null for every location",
                ));
            }
            for (i, id) in list.iter().enumerate() {
                if list[..i].contains(id) {
                    return Err(AppError::invalid(
                        format!("locations[{i}]"),
                        "is listed twice",
                    ));
                }
            }
        }
        let member = run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
            Box::pin(async move {
                let current = member_to_change(tx, &p, user, None).await?;
                if wanted.is_some() && matches!(current.role, Role::Owner | Role::Admin) {
                    return Err(AppError::invalid(
                        "locations",
                        "owners and admins work across every location; only managers and staff can be limited",
                    ));
                }
                for (i, id) in wanted.iter().flatten().enumerate() {
                    if tx.get_location(*id).await?.is_none() {
                        return Err(AppError::invalid(
                            format!("locations[{i}]"),
                            "no such location",
                        ));
                    }
                }
                let now = Utc::now();
                tx.set_member_locations(user, wanted.as_deref(), now)
                    .await?;
                crate::audit::record_by(
                    tx,
                    &p,
                    "auth.member_locations_set",
                    "member",
                    Some(user.to_string()),
                    &serde_json::json!({
                        "user_id": user,
                        "locations": wanted.as_ref().map(|l| l.len()),
                    }),
                )
                .await?;
                Ok(Member::of(
                    MemberRow {
                        locations_limited_at: wanted.as_ref().map(|_| now),
                        ..current
                    },
                    {
                        let mut sorted = wanted.unwrap_or_default();
                        sorted.sort();
                        sorted
                    },
                ))
            })
        })
        .await?;
        self.sessions.invalidate_all();
        self.api_keys.invalidate_all();
        Ok(member)
    }
}

/// The member `user` that `p` is about to change (to `new_role`, or in activation), with the
/// tenant locked until the transaction ends: two owners demoting each other at once must not
/// both see the other one still an owner.
///
/// # Errors
/// 404 when they are not a member; 403 when `p` may not touch them.
async fn member_to_change(
    tx: &mut dyn larder_store::TenantTx,
    p: &Principal,
    user: UserId,
    new_role: Option<Role>,
) -> Result<MemberRow, AppError> {
    tx.lock_tenant().await?;
    let current = tx
        .get_member(user)
        .await?
        .ok_or(AppError::NotFound("member"))?;
    guard_owner_change(p, current.role, new_role)?;
    Ok(current)
}

/// Only an owner may change an owner (role or activation) or make someone owner.
fn guard_owner_change(p: &Principal, current: Role, new: Option<Role>) -> Result<(), AppError> {
    let touches_owner = current == Role::Owner || new == Some(Role::Owner);
    if touches_owner && p.role != Role::Owner {
        return Err(AppError::Forbidden(Permission::TenantManage.as_str()));
    }
    Ok(())
}
