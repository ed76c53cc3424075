//! auth (`GlobalTx`, `AuthTx`): people (global, unique by email), their memberships in
//! tenants, and refresh tokens used once and revoked by family.

use crate::*;
use larder_core::ApiKeyId;
use larder_core::auth::{Permission, Scopes};
use larder_store::{ApiKeyRow, ApiKeyStateRow, SessionRow, SignUpRow, TotpRow};

contract!(
    users_are_global_and_found_by_id_and_email,
    an_email_belongs_to_one_user,
    memberships_list_every_tenant_of_a_person_oldest_first,
    a_membership_needs_a_user_and_is_held_once,
    a_refresh_token_can_be_used_once,
    revoking_a_family_revokes_only_that_family_once,
    members_are_listed_changed_deactivated_and_their_sessions_checked,
    api_keys_are_found_by_hash_with_their_creators_state_and_revoked_once,
    a_second_factor_is_set_up_used_once_per_step_and_recorded_per_session,
    a_reset_token_is_spent_once_before_it_expires,
    a_sign_up_token_goes_to_the_latest_pending_sign_up_and_is_spent_once,
);

async fn users_are_global_and_found_by_id_and_email(store: S) {
    let user = user_row("Cook");
    let u = user.clone();
    run_global(store.as_ref(), Mode::Write, move |tx| {
        Box::pin(async move { tx.insert_user(&u).await })
    })
    .await
    .unwrap();
    let (id, email) = (user.id, user.email.clone());
    let (by_id, by_email, no_id, no_email) = run_global(store.as_ref(), Mode::Read, move |tx| {
        Box::pin(async move {
            Ok::<_, StoreError>((
                tx.get_user(id).await?,
                tx.find_user_by_email(&email).await?,
                tx.get_user(UserId::new()).await?,
                tx.find_user_by_email("nobody@example.com").await?,
            ))
        })
    })
    .await
    .unwrap();
    assert_eq!(by_id, Some(user.clone()));
    assert_eq!(by_email, Some(user.clone()));
    assert_eq!(no_id, None);
    assert_eq!(no_email, None);

    // People are global: any tenant's transaction finds them too.
    let s = seed(&store, "users").await;
    let email = user.email.clone();
    let (by_id, by_email) = read(&store, s.tenant, move |tx| {
        Box::pin(async move { Ok((tx.get_user(id).await?, tx.find_user_by_email(&email).await?)) })
    })
    .await;
    assert_eq!(by_id, Some(user.clone()));
    assert_eq!(by_email, Some(user));
}

async fn an_email_belongs_to_one_user(store: S) {
    let first = user_row("A");
    let second = UserRow {
        id: UserId::new(),
        name: "B".into(),
        ..first.clone()
    };
    let third = UserRow {
        id: UserId::new(),
        ..first.clone()
    };
    let f = first.clone();
    run_global(store.as_ref(), Mode::Write, move |tx| {
        Box::pin(async move { tx.insert_user(&f).await })
    })
    .await
    .unwrap();
    let err = run_global(store.as_ref(), Mode::Write, move |tx| {
        Box::pin(async move { tx.insert_user(&second).await })
    })
    .await;
    assert_eq!(err, Err(conflict("users_email")));
    // Also from a tenant's transaction.
    let s = seed(&store, "email").await;
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_user(&third).await })
    })
    .await;
    assert_eq!(err, Err(conflict("users_email")));
    let email = first.email.clone();
    let found = run_global(store.as_ref(), Mode::Read, move |tx| {
        Box::pin(async move { tx.find_user_by_email(&email).await })
    })
    .await
    .unwrap();
    assert_eq!(found, Some(first));
}

async fn memberships_list_every_tenant_of_a_person_oldest_first(store: S) {
    let a = seed(&store, "member-a").await;
    let b = seed(&store, "member-b").await;
    let c = seed(&store, "member-c").await;
    let user = user_row("Chef");
    let stranger = user_row("Stranger");
    let (uid, sid) = (user.id, stranger.id);
    run_global(store.as_ref(), Mode::Write, move |tx| {
        Box::pin(async move {
            tx.insert_user(&user).await?;
            tx.insert_user(&stranger).await
        })
    })
    .await
    .unwrap();
    // Joined A last: the list is by when the membership began, not by insertion.
    write(&store, b.tenant, move |tx| {
        Box::pin(async move { tx.insert_membership(uid, Role::Staff, at(2, 1)).await })
    })
    .await;
    write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.insert_membership(uid, Role::Owner, at(3, 1)).await })
    })
    .await;
    write(&store, c.tenant, move |tx| {
        Box::pin(async move { tx.insert_membership(sid, Role::Manager, at(1, 1)).await })
    })
    .await;

    let row = |s: &Seed, role| MembershipRow {
        tenant_id: s.tenant,
        tenant_slug: s.tenant_row.slug.clone(),
        tenant_name: s.tenant_row.name.clone(),
        user_id: uid,
        role,
    };
    let listed = run_global(store.as_ref(), Mode::Read, move |tx| {
        Box::pin(async move { tx.memberships_of_user(uid).await })
    })
    .await
    .unwrap();
    assert_eq!(listed, vec![row(&b, Role::Staff), row(&a, Role::Owner)]);
    let none = run_global(store.as_ref(), Mode::Read, move |tx| {
        Box::pin(async move { tx.memberships_of_user(UserId::new()).await })
    })
    .await
    .unwrap();
    assert!(none.is_empty(), "{none:?}");
    // Inside a tenant's transaction a person's memberships are that tenant's only, on both
    // backends (PostgreSQL's row-level security is not widened there).
    let in_a = read(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.memberships_of_user(uid).await })
    })
    .await;
    assert_eq!(in_a, vec![row(&a, Role::Owner)]);

    // A tenant sees the membership held in it, and no one else's.
    let (mine, strangers) = read(&store, a.tenant, move |tx| {
        Box::pin(async move { Ok((tx.get_membership(uid).await?, tx.get_membership(sid).await?)) })
    })
    .await;
    assert_eq!(mine, Some(row(&a, Role::Owner)));
    assert_eq!(strangers, None);
    let theirs = read(&store, c.tenant, move |tx| {
        Box::pin(async move { tx.get_membership(uid).await })
    })
    .await;
    assert_eq!(theirs, None);
}

async fn a_membership_needs_a_user_and_is_held_once(store: S) {
    let s = seed(&store, "member-once").await;
    let user = user_row("Porter");
    let uid = user.id;
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_user(&user).await?;
            tx.insert_membership(uid, Role::Staff, at(2, 1)).await
        })
    })
    .await;
    let again = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_membership(uid, Role::Admin, at(2, 2)).await })
    })
    .await;
    // The constraint's name is not part of the contract (see the trait), only the kind.
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{again:?}"
    );
    let kept = read(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.get_membership(uid).await })
    })
    .await;
    assert_eq!(kept.map(|m| m.role), Some(Role::Staff));

    let ghost = UserId::new();
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_membership(ghost, Role::Staff, at(2, 1)).await })
    })
    .await;
    assert_eq!(err, Err(conflict("foreign_key")));
}

fn token(family: TokenFamilyId, user: UserId, hash: u8) -> RefreshTokenRow {
    RefreshTokenRow {
        id: RefreshTokenId::new(),
        family_id: family,
        user_id: user,
        token_hash: vec![hash; 32],
        created_at: at(1, 1),
        expires_at: at(20, 1),
        used_at: None,
        revoked_at: None,
    }
}

async fn a_refresh_token_can_be_used_once(store: S) {
    let s = seed(&store, "refresh").await;
    let user = user_row("Cook");
    let uid = user.id;
    let family = TokenFamilyId::new();
    let t = token(family, uid, 7);
    let t2 = t.clone();
    let (stored, first, second, missing, used, revoked) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_user(&user).await?;
            tx.insert_membership(uid, Role::Staff, at(1, 1)).await?;
            tx.insert_refresh_token(&t2).await?;
            let stored = tx.find_refresh_token(&[7; 32]).await?;
            let first = tx.mark_refresh_token_used(&[7; 32], at(2, 1)).await?;
            let second = tx.mark_refresh_token_used(&[7; 32], at(2, 2)).await?;
            let missing = tx.mark_refresh_token_used(&[8; 32], at(2, 2)).await?;
            let used = tx.find_refresh_token(&[7; 32]).await?;
            tx.revoke_token_family(family, at(2, 3)).await?;
            let revoked = tx.find_refresh_token(&[7; 32]).await?;
            Ok((stored, first, second, missing, used, revoked))
        })
    })
    .await;
    assert_eq!(stored, Some(t.clone()));
    assert!(first);
    assert!(!second, "a second use must be detected");
    assert!(!missing, "an unknown token was marked used");
    // The second use does not move the time of the first.
    let used_row = RefreshTokenRow {
        used_at: Some(at(2, 1)),
        ..t.clone()
    };
    assert_eq!(used, Some(used_row.clone()));
    assert_eq!(
        revoked,
        Some(RefreshTokenRow {
            revoked_at: Some(at(2, 3)),
            ..used_row
        })
    );
    let none = read(&store, s.tenant, |tx| {
        Box::pin(async move { tx.find_refresh_token(&[9; 32]).await })
    })
    .await;
    assert_eq!(none, None);

    let memberships = run_global(store.as_ref(), Mode::Read, move |tx| {
        Box::pin(async move { tx.memberships_of_user(uid).await })
    })
    .await
    .unwrap();
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0].tenant_id, s.tenant);
    assert_eq!(memberships[0].role, Role::Staff);

    // A token's hash is stored once per tenant.
    let dup = token(family, uid, 7);
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_refresh_token(&dup).await })
    })
    .await;
    assert_eq!(err, Err(conflict("refresh_tokens_token_hash")));
}

async fn revoking_a_family_revokes_only_that_family_once(store: S) {
    let s = seed(&store, "revoke").await;
    let user = user_row("Cook");
    let uid = user.id;
    let (f1, f2) = (TokenFamilyId::new(), TokenFamilyId::new());
    let tokens = vec![token(f1, uid, 1), token(f1, uid, 2), token(f2, uid, 3)];
    let t2 = tokens.clone();
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_user(&user).await?;
            for t in &t2 {
                tx.insert_refresh_token(t).await?;
            }
            tx.revoke_token_family(f1, at(3, 1)).await
        })
    })
    .await;
    // Revoking again (a later reuse) keeps the first revocation time.
    write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.revoke_token_family(f1, at(4, 1)).await })
    })
    .await;
    let found = read(&store, s.tenant, |tx| {
        Box::pin(async move {
            let mut out = Vec::new();
            for h in 1..=3u8 {
                out.push(tx.find_refresh_token(&[h; 32]).await?);
            }
            Ok(out)
        })
    })
    .await;
    assert_eq!(
        found,
        vec![
            Some(RefreshTokenRow {
                revoked_at: Some(at(3, 1)),
                ..tokens[0].clone()
            }),
            Some(RefreshTokenRow {
                revoked_at: Some(at(3, 1)),
                ..tokens[1].clone()
            }),
            Some(tokens[2].clone()),
        ]
    );
}

async fn members_are_listed_changed_deactivated_and_their_sessions_checked(store: S) {
    let s = seed(&store, "members").await;
    let mut owner = user_row("Owner");
    owner.email = "a-owner@example.com".into();
    let mut cook = user_row("Cook");
    cook.email = "b-cook@example.com".into();
    let (o, c) = (owner.id, cook.id);
    let (live, ended) = (TokenFamilyId::new(), TokenFamilyId::new());
    let tokens = vec![token(live, c, 1), token(ended, c, 2)];
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_user(&owner).await?;
            tx.insert_user(&cook).await?;
            tx.insert_membership(o, Role::Owner, at(1, 1)).await?;
            tx.insert_membership(c, Role::Staff, at(1, 2)).await?;
            for t in &tokens {
                tx.insert_refresh_token(t).await?;
            }
            tx.revoke_token_family(ended, at(2, 1)).await
        })
    })
    .await;
    let (listed, page2, one, nobody, owners, live_s, ended_s, stranger) =
        read(&store, s.tenant, move |tx| {
            Box::pin(async move {
                Ok((
                    tx.list_members(None, 10).await?,
                    tx.list_members(Some("a-owner@example.com"), 10).await?,
                    tx.get_member(c).await?,
                    tx.get_member(UserId::new()).await?,
                    tx.count_active_owners().await?,
                    tx.session(c, live).await?,
                    tx.session(c, ended).await?,
                    tx.session(UserId::new(), live).await?,
                ))
            })
        })
        .await;
    let emails: Vec<&str> = listed.iter().map(|m| m.email.as_str()).collect();
    assert_eq!(emails, ["a-owner@example.com", "b-cook@example.com"]);
    assert_eq!(page2.len(), 1);
    assert_eq!(page2[0].user_id, c);
    let one = one.unwrap();
    assert_eq!(
        (one.role, one.created_at, one.deactivated_at),
        (Role::Staff, at(1, 2), None)
    );
    assert_eq!(nobody, None);
    assert_eq!(owners, 1);
    let live_state = SessionRow {
        role: Role::Staff,
        deactivated: false,
        revoked: false,
        mfa: false,
        mfa_required: false,
        locations_limited: false,
    };
    assert_eq!(live_s, Some(live_state.clone()));
    assert_eq!(
        ended_s,
        Some(SessionRow {
            revoked: true,
            ..live_state.clone()
        })
    );
    assert_eq!(stranger, None);

    // A role change, then deactivation with the person's tokens revoked; a missing member
    // changes nothing.
    let (changed, missing, deactivated, missing_d) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.lock_tenant().await?;
            let changed = tx.set_member_role(c, Role::Manager).await?;
            let missing = tx.set_member_role(UserId::new(), Role::Owner).await?;
            let deactivated = tx.set_member_deactivated(c, Some(at(3, 1))).await?;
            let missing_d = tx
                .set_member_deactivated(UserId::new(), Some(at(3, 1)))
                .await?;
            tx.revoke_user_tokens(c, at(3, 1)).await?;
            Ok((changed, missing, deactivated, missing_d))
        })
    })
    .await;
    assert_eq!(
        (changed, missing, deactivated, missing_d),
        (true, false, true, false)
    );
    let (state, member, mine, tenants) = read(&store, s.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.session(c, live).await?,
                tx.get_member(c).await?,
                tx.find_refresh_token(&[1; 32]).await?,
                tx.memberships_of_user(c).await?,
            ))
        })
    })
    .await;
    assert_eq!(
        state,
        Some(SessionRow {
            role: Role::Manager,
            deactivated: true,
            revoked: true,
            mfa: false,
            mfa_required: false,
            locations_limited: false,
        })
    );
    assert_eq!(member.unwrap().deactivated_at, Some(at(3, 1)));
    assert_eq!(mine.unwrap().revoked_at, Some(at(3, 1)));
    // A deactivated membership does not open a login.
    assert!(tenants.is_empty());
    let global = run_global(store.as_ref(), Mode::Read, move |tx| {
        Box::pin(async move { tx.memberships_of_user(c).await })
    })
    .await
    .unwrap();
    assert!(global.is_empty());
    // Reactivated, the person can log in again.
    write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.set_member_deactivated(c, None).await.map(drop) })
    })
    .await;
    let global = run_global(store.as_ref(), Mode::Read, move |tx| {
        Box::pin(async move { tx.memberships_of_user(c).await })
    })
    .await
    .unwrap();
    assert_eq!(global.len(), 1);
    assert_eq!(global[0].role, Role::Manager);
}

async fn api_keys_are_found_by_hash_with_their_creators_state_and_revoked_once(store: S) {
    let s = seed(&store, "keys").await;
    let other = seed(&store, "keys-other").await;
    let owner = user_row("Owner");
    let o = owner.id;
    let scopes: Scopes = [Permission::CatalogRead, Permission::SalesWrite]
        .into_iter()
        .collect();
    let key = |n: u8, minute: u32| ApiKeyRow {
        id: ApiKeyId::new(),
        name: format!("Key {n}"),
        scopes,
        key_hash: vec![n; 32],
        created_by: o,
        created_at: at(1, minute),
        last_used_at: None,
        revoked_at: None,
    };
    let (first, second) = (key(1, 1), key(2, 2));
    let (f, g) = (first.clone(), second.clone());
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_user(&owner).await?;
            tx.insert_membership(o, Role::Owner, at(1, 1)).await?;
            tx.insert_api_key(&f).await?;
            tx.insert_api_key(&g).await
        })
    })
    .await;
    // The same secret twice is refused.
    let dup = ApiKeyRow {
        id: ApiKeyId::new(),
        ..first.clone()
    };
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_api_key(&dup).await })
    })
    .await;
    assert_eq!(err, Err(conflict("api_keys_key_hash")));
    let (listed, state, unknown) = read(&store, s.tenant, |tx| {
        Box::pin(async move {
            Ok((
                tx.list_api_keys().await?,
                tx.api_key_state(&[1; 32]).await?,
                tx.api_key_state(&[9; 32]).await?,
            ))
        })
    })
    .await;
    assert_eq!(listed, vec![second.clone(), first.clone()]);
    let live = ApiKeyStateRow {
        id: first.id,
        created_by: o,
        scopes,
        revoked: false,
        last_used_at: None,
        creator_role: Some(Role::Owner),
        creator_deactivated: false,
        creator_locations_limited: false,
    };
    assert_eq!(state, Some(live.clone()));
    assert_eq!(unknown, None);
    // Another tenant sees none of them and cannot revoke them.
    let (theirs, revoked_elsewhere) = write(&store, other.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.api_key_state(&[1; 32]).await?,
                tx.revoke_api_key(first.id, at(3, 1)).await?,
            ))
        })
    })
    .await;
    assert_eq!((theirs, revoked_elsewhere), (None, false));
    // Used, revoked (twice: the first time stays), and the creator deactivated.
    let id = live.id;
    let (once, twice, missing) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.touch_api_key(id, at(2, 5)).await?;
            let once = tx.revoke_api_key(id, at(3, 1)).await?;
            let twice = tx.revoke_api_key(id, at(4, 1)).await?;
            let missing = tx.revoke_api_key(ApiKeyId::new(), at(4, 1)).await?;
            tx.set_member_deactivated(o, Some(at(5, 1))).await?;
            Ok((once, twice, missing))
        })
    })
    .await;
    assert_eq!((once, twice, missing), (true, true, false));
    let (state, listed) = read(&store, s.tenant, |tx| {
        Box::pin(async move { Ok((tx.api_key_state(&[1; 32]).await?, tx.list_api_keys().await?)) })
    })
    .await;
    assert_eq!(
        state,
        Some(ApiKeyStateRow {
            revoked: true,
            last_used_at: Some(at(2, 5)),
            creator_deactivated: true,
            ..live
        })
    );
    assert_eq!(listed[1].revoked_at, Some(at(3, 1)));
    assert_eq!(listed[1].last_used_at, Some(at(2, 5)));
}

async fn a_second_factor_is_set_up_used_once_per_step_and_recorded_per_session(store: S) {
    let s = seed(&store, "mfa").await;
    let person = user_row("Owner");
    let u = person.id;
    let family = TokenFamilyId::new();
    let t = token(family, u, 1);
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_user(&person).await?;
            tx.insert_membership(u, Role::Owner, at(1, 1)).await?;
            tx.insert_refresh_token(&t).await
        })
    })
    .await;
    let g = |f: for<'t> fn(
        &'t mut dyn GlobalTx,
        UserId,
    ) -> BoxFuture<'t, Result<TotpRow, StoreError>>| {
        let store = store.clone();
        async move {
            run_global(store.as_ref(), Mode::Write, move |tx| f(tx, u))
                .await
                .unwrap()
        }
    };
    // Nothing set up; then a pending secret; then confirmed at step 100.
    assert_eq!(
        g(|tx, u| Box::pin(async move { tx.totp(u).await })).await,
        TotpRow::default()
    );
    let pending = g(|tx, u| {
        Box::pin(async move {
            tx.set_totp_pending(u, Some(&[7; 20])).await?;
            tx.totp(u).await
        })
    })
    .await;
    assert_eq!(pending.pending, Some(vec![7; 20]));
    assert_eq!(pending.secret, None);
    let confirmed = g(|tx, u| {
        Box::pin(async move {
            tx.set_totp_secret(u, Some(&[7; 20]), Some(100)).await?;
            tx.totp(u).await
        })
    })
    .await;
    assert_eq!(
        confirmed,
        TotpRow {
            secret: Some(vec![7; 20]),
            pending: None,
            last_step: Some(100),
        }
    );
    // Each step once, and never an earlier one.
    let steps = run_global(store.as_ref(), Mode::Write, move |tx| {
        Box::pin(async move {
            Ok::<_, StoreError>((
                tx.use_totp_step(u, 100).await?,
                tx.use_totp_step(u, 99).await?,
                tx.use_totp_step(u, 101).await?,
                tx.use_totp_step(u, 101).await?,
            ))
        })
    })
    .await
    .unwrap();
    assert_eq!(steps, (false, false, true, false));
    // Recovery codes: each spent once; replacing them voids the old ones.
    let codes = run_global(store.as_ref(), Mode::Write, move |tx| {
        Box::pin(async move {
            tx.replace_recovery_codes(u, &[vec![1; 32], vec![2; 32]])
                .await?;
            let first = tx.use_recovery_code(u, &[1; 32], at(2, 1)).await?;
            let again = tx.use_recovery_code(u, &[1; 32], at(2, 2)).await?;
            let unknown = tx.use_recovery_code(u, &[3; 32], at(2, 2)).await?;
            tx.replace_recovery_codes(u, &[vec![4; 32]]).await?;
            let voided = tx.use_recovery_code(u, &[2; 32], at(2, 3)).await?;
            let fresh = tx.use_recovery_code(u, &[4; 32], at(2, 3)).await?;
            tx.set_totp_secret(u, None, None).await?;
            Ok::<_, StoreError>((first, again, unknown, voided, fresh, tx.totp(u).await?))
        })
    })
    .await
    .unwrap();
    assert_eq!(codes, (true, false, false, false, true, TotpRow::default()));
    // The tenant's rule and the session's verification show in the session's state.
    let states = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            let before = tx.session(u, family).await?;
            tx.set_mfa_required(Some(at(3, 1))).await?;
            tx.insert_mfa_session(family, at(3, 2)).await?;
            tx.insert_mfa_session(family, at(3, 3)).await?;
            let after = tx.session(u, family).await?;
            tx.set_mfa_required(None).await?;
            Ok((before, after, tx.session(u, family).await?))
        })
    })
    .await;
    let base = SessionRow {
        role: Role::Owner,
        deactivated: false,
        revoked: false,
        mfa: false,
        mfa_required: false,
        locations_limited: false,
    };
    assert_eq!(states.0, Some(base.clone()));
    assert_eq!(
        states.1,
        Some(SessionRow {
            mfa: true,
            mfa_required: true,
            ..base.clone()
        })
    );
    assert_eq!(states.2, Some(SessionRow { mfa: true, ..base }));
}

async fn a_reset_token_is_spent_once_before_it_expires(store: S) {
    let person = user_row("Forgetful");
    let u = person.id;
    let outcome = run_global(store.as_ref(), Mode::Write, move |tx| {
        Box::pin(async move {
            tx.insert_user(&person).await?;
            tx.insert_reset_token(&[1; 32], u, at(1, 1), at(1, 5))
                .await?;
            tx.insert_reset_token(&[2; 32], u, at(1, 1), at(1, 5))
                .await?;
            let late = tx.use_reset_token(&[2; 32], at(1, 5)).await?;
            let first = tx.use_reset_token(&[1; 32], at(1, 2)).await?;
            let again = tx.use_reset_token(&[1; 32], at(1, 3)).await?;
            let unknown = tx.use_reset_token(&[3; 32], at(1, 3)).await?;
            tx.set_password_hash(u, "$argon2id$new").await?;
            let after = tx.get_user(u).await?.map(|p| p.password_hash);
            Ok::<_, StoreError>((late, first, again, unknown, after))
        })
    })
    .await
    .unwrap();
    assert_eq!(
        outcome,
        (None, Some(u), None, None, Some("$argon2id$new".to_owned()))
    );
}

async fn a_sign_up_token_goes_to_the_latest_pending_sign_up_and_is_spent_once(store: S) {
    let email = format!("{}@example.com", UserId::new());
    let sign_up = |tenant: &str, created: DateTime<Utc>| SignUpRow {
        id: uuid::Uuid::now_v7(),
        email: email.clone(),
        name: "Owner".into(),
        tenant_name: tenant.into(),
        currency: "USD".into(),
        time_zone: "America/New_York".into(),
        day_cutoff_minutes: 180,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        created_at: created,
        expires_at: created + chrono::Duration::hours(24),
    };
    let (older, latest) = (
        sign_up("First try", at(1, 1)),
        sign_up("Second try", at(1, 2)),
    );
    let (o, l, e) = (older.clone(), latest.clone(), email.clone());
    let (none_yet, set, unknown) = run_global(store.as_ref(), Mode::Write, move |tx| {
        Box::pin(async move {
            tx.insert_sign_up(&o).await?;
            tx.insert_sign_up(&l).await?;
            let none_yet = tx.use_sign_up_token(b"token-1", at(1, 3)).await?;
            Ok::<_, StoreError>((
                none_yet,
                tx.set_sign_up_token(&e, b"token-1", at(1, 3)).await?,
                tx.set_sign_up_token("nobody@example.com", b"token-2", at(1, 3))
                    .await?,
            ))
        })
    })
    .await
    .unwrap();
    assert_eq!(none_yet, None);
    assert!(set);
    assert!(!unknown);
    // A tenant's transaction can find and spend it (sign-up creates the tenant in the same
    // one); spent, its password hash is gone.
    let tenant = TenantId::new();
    let (found, first, second) = run_tenant(store.as_ref(), tenant, Mode::Write, |tx| {
        Box::pin(async move {
            Ok::<_, StoreError>((
                tx.find_sign_up(b"token-1", at(1, 4)).await?,
                tx.use_sign_up_token(b"token-1", at(1, 4)).await?,
                tx.use_sign_up_token(b"token-1", at(1, 5)).await?,
            ))
        })
    })
    .await
    .unwrap();
    assert_eq!(found, Some(latest.clone()));
    assert_eq!(
        first,
        Some(SignUpRow {
            password_hash: String::new(),
            ..latest
        })
    );
    assert_eq!(second, None);
    // The older one gets the next token; a newer token of the email replaces it.
    let e = email.clone();
    let (reissued, replaced, old_gone, spent) =
        run_global(store.as_ref(), Mode::Write, move |tx| {
            Box::pin(async move {
                Ok::<_, StoreError>((
                    tx.set_sign_up_token(&e, b"token-3", at(1, 6)).await?,
                    tx.set_sign_up_token(&e, b"token-4", at(1, 6)).await?,
                    tx.find_sign_up(b"token-3", at(1, 6)).await?,
                    tx.use_sign_up_token(b"token-4", at(1, 7)).await?,
                ))
            })
        })
        .await
        .unwrap();
    assert!(reissued && replaced);
    assert_eq!(old_gone, None);
    assert_eq!(spent.map(|s| s.id), Some(older.id));
    // A third, never confirmed: no token after its expiry, and deleted by a later sign-up.
    let third = sign_up("Third try", at(1, 3));
    let e = email.clone();
    let (expired_set, before_purge, after_purge) =
        run_global(store.as_ref(), Mode::Write, move |tx| {
            Box::pin(async move {
                tx.insert_sign_up(&third).await?;
                let expired_set = tx.set_sign_up_token(&e, b"token-5", at(2, 4)).await?;
                let before_purge = tx.set_sign_up_token(&e, b"token-6", at(1, 9)).await?;
                tx.insert_sign_up(&SignUpRow {
                    id: uuid::Uuid::now_v7(),
                    email: "someone-else@example.com".into(),
                    name: "Other".into(),
                    tenant_name: "Other".into(),
                    currency: "GBP".into(),
                    time_zone: "Europe/London".into(),
                    day_cutoff_minutes: 240,
                    password_hash: "x".into(),
                    created_at: at(3, 1),
                    expires_at: at(4, 1),
                })
                .await?;
                let after_purge = tx.set_sign_up_token(&e, b"token-7", at(1, 9)).await?;
                Ok::<_, StoreError>((expired_set, before_purge, after_purge))
            })
        })
        .await
        .unwrap();
    assert!(!expired_set);
    assert!(before_purge, "the third sign-up was valid at 1 09:00");
    assert!(!after_purge, "an expired sign-up outlived the next sign-up");
}
