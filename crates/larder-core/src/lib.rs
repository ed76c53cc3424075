//! Larder's domain: the types and pure rules every other crate builds on.
//!
//! Nothing here does I/O: no async, no SQL, no HTTP. Quantities and money are exact fixed-point
//! integers ([`Quantity`], [`Money`]), ids are UUIDv7 newtypes, and the rules that turn a recipe
//! into ingredient usage and cost ([`menu`]) or a stock level into flags ([`inventory`]) live here
//! so both storage backends and every interface share them.

pub mod alerts;
pub mod amount;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod decimal;
pub mod events;
pub mod gs1;
pub mod ids;
pub mod inventory;
pub mod kitchen;
pub mod mail;
pub mod menu;
pub mod procurement;
pub mod rational;
pub mod tenancy;
pub mod text;
pub mod units;
pub mod webhooks;

pub use decimal::{DecimalError, Money, Quantity};
pub use ids::*;
pub use text::{Code, Email, Label, Name, Note, Password, TextError};
pub use units::{BaseUnit, Unit};
