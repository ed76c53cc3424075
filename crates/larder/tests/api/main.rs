//! Black-box tests of the whole server: each test starts the real router on port 0 with a
//! fresh database, and most run once on SQLite and once on PostgreSQL.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod accounts;
mod alerts;
mod audit;
mod auth;
mod avt;
mod broker_outage;
mod browser;
mod catalog;
mod catalog_csv;
mod corrections;
mod counts;
mod demo;
mod editing;
mod events;
mod hardening;
mod inventory;
mod isolation;
mod kitchen;
mod location_limits;
mod mail;
mod ops;
mod procurement;
mod production;
mod sales;
mod tenancy;
mod transfers;
mod ui;
mod ui_editing;
mod units;
mod waste;
mod webhooks;
