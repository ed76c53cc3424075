//! inventory: transfers between a tenant's locations, their lines, the lots each line took
//! at the sender, and what is in transit (ADR 021).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use larder_core::inventory::transfers::TransferStatus;
use larder_core::{ItemId, LocationId, LotId, Money, MovementId, Quantity, TransferId, UserId};

use crate::{LocationScope, StoreError};

/// A transfer's header, with who moved it to each status and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferRow {
    /// Id.
    pub id: TransferId,
    /// The tenant's sequence number (shown as `TRF-000001`), unique in the tenant.
    pub number: i64,
    /// Where the stock leaves.
    pub from_location_id: LocationId,
    /// Where it arrives (never the sender).
    pub to_location_id: LocationId,
    /// Where it is in its life.
    pub status: TransferStatus,
    /// A note.
    pub note: Option<String>,
    /// Edit version: 1 when created, one more at every edit and change of status.
    pub version: i64,
    /// Who asked for it.
    pub requested_by: UserId,
    /// When.
    pub requested_at: DateTime<Utc>,
    /// Who sent it.
    pub sent_by: Option<UserId>,
    /// When (its transfer_out movements' `occurred_at`).
    pub sent_at: Option<DateTime<Utc>>,
    /// Who received it.
    pub received_by: Option<UserId>,
    /// When (its transfer_in movements' `occurred_at`).
    pub received_at: Option<DateTime<Utc>>,
    /// Who cancelled it.
    pub cancelled_by: Option<UserId>,
    /// When.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Why.
    pub cancel_reason: Option<String>,
}

/// One line of a transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferLineRow {
    /// 1, 2, ... in the transfer.
    pub line_no: i32,
    /// The item.
    pub item_id: ItemId,
    /// Quantity asked for, thousandths of the base unit (positive).
    pub quantity: Quantity,
    /// The amount as typed ("2 cases + 3 kg"), when it was given that way.
    pub amount: Option<String>,
    /// Quantity that left the sender (set when sent).
    pub sent_quantity: Option<Quantity>,
    /// The cost it left with, millionths (set when sent; positive).
    pub sent_value: Option<Money>,
    /// The sender's transfer_out movement.
    pub out_movement_id: Option<MovementId>,
    /// Quantity the receiver confirmed (set when received).
    pub received_quantity: Option<Quantity>,
    /// Its value, exactly as carried across.
    pub received_value: Option<Money>,
    /// Received minus sent (negative: short).
    pub discrepancy_quantity: Option<Quantity>,
    /// Received value minus sent value.
    pub discrepancy_value: Option<Money>,
    /// The receiver's note on the line.
    pub note: Option<String>,
}

/// What one line took from one of the sender's lots (or, without a lot, the part no lot
/// covered), with the lot's code and expiry as they were.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferLotRow {
    /// The line.
    pub line_no: i32,
    /// 1, 2, ... in FEFO order within the line.
    pub seq: i32,
    /// The sender's lot (`None`: the shortfall no lot covered).
    pub lot_id: Option<LotId>,
    /// The lot's code: copied from the lot when inserted (ignored on input).
    pub code: Option<String>,
    /// The lot's expiry: copied from the lot when inserted (ignored on input).
    pub expires_on: Option<NaiveDate>,
    /// Quantity taken, thousandths (positive).
    pub quantity: Quantity,
    /// The cost taken with it, millionths.
    pub cost: Money,
}

/// What sending posted for one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferSentLine {
    /// The line.
    pub line_no: i32,
    /// Quantity that left.
    pub quantity: Quantity,
    /// Its cost (positive).
    pub value: Money,
    /// The transfer_out movement.
    pub movement_id: MovementId,
    /// The lots taken, in FEFO order.
    pub lots: Vec<TransferLotRow>,
}

/// What receiving recorded for one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferReceivedLine {
    /// The line.
    pub line_no: i32,
    /// Quantity confirmed.
    pub quantity: Quantity,
    /// Its value.
    pub value: Money,
    /// Received minus sent.
    pub discrepancy_quantity: Quantity,
    /// Received value minus sent value.
    pub discrepancy_value: Money,
    /// A note.
    pub note: Option<String>,
}

/// Moving a transfer from one status to another at a known version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferStatusChange {
    /// The transfer.
    pub id: TransferId,
    /// The status it must be in.
    pub from: TransferStatus,
    /// The status it goes to (`sent`, `received` or `cancelled`: who and when are kept in
    /// that status's columns).
    pub to: TransferStatus,
    /// The version it must be at; it becomes this plus one.
    pub expected_version: i64,
    /// Who.
    pub actor: UserId,
    /// When.
    pub at: DateTime<Utc>,
    /// Why (a cancellation's reason).
    pub note: Option<String>,
}

/// Which transfers to list: newest number first, numbers below `before`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransferFilter {
    /// In this status.
    pub status: Option<TransferStatus>,
    /// From or to this location.
    pub location: Option<LocationId>,
    /// Only those from or to a location a limited member may see.
    pub scope: LocationScope,
    /// Numbers below this one (the previous page's last).
    pub before: Option<i64>,
    /// Rows at most.
    pub limit: u32,
}

/// Stock in transit of one item between two locations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransitRow {
    /// Item.
    pub item_id: ItemId,
    /// Sender.
    pub from_location_id: LocationId,
    /// Receiver.
    pub to_location_id: LocationId,
    /// Quantity sent and not yet received, thousandths.
    pub quantity: Quantity,
    /// The cost it left the sender with, millionths.
    pub value: Money,
}

/// The transfers part of the inventory port ([`crate::TenantTx`] requires it).
#[async_trait]
pub trait TransferTx: Send {
    /// Allocates the tenant's next transfer number (1, 2, ...) by bumping a counter row in
    /// this transaction: concurrent creates wait for each other and never share a number.
    async fn next_transfer_number(&mut self) -> Result<i64, StoreError>;
    /// Adds a transfer with its lines. Conflict `transfers_number` on a number taken;
    /// Conflict `foreign_key` when a location or item is not the tenant's (the app checks
    /// first).
    async fn insert_transfer(
        &mut self,
        t: &TransferRow,
        lines: &[TransferLineRow],
    ) -> Result<(), StoreError>;
    /// Replaces a transfer's locations, note, version and all its lines when its version is
    /// `expected_version` and it is requested. NotFound when absent; Conflict
    /// `transfers_version` when its version moved on.
    async fn update_transfer(
        &mut self,
        t: &TransferRow,
        lines: &[TransferLineRow],
        expected_version: i64,
    ) -> Result<(), StoreError>;
    /// Moves a transfer from `change.from` to `change.to` when it is at
    /// `change.expected_version` and in `change.from`, bumping its version by one and
    /// recording the actor and instant in the new status's columns (the note as the cancel
    /// reason). NotFound when absent; Conflict `transfers_version` when its version or
    /// status moved on (a second send or receive racing the first).
    async fn set_transfer_status(
        &mut self,
        change: &TransferStatusChange,
    ) -> Result<(), StoreError>;
    /// Records what sending posted: each line's sent quantity, value and movement, and the
    /// lots it took (their code and expiry copied from `lots`). NotFound when a line does
    /// not exist.
    async fn record_transfer_sent(
        &mut self,
        id: TransferId,
        lines: &[TransferSentLine],
    ) -> Result<(), StoreError>;
    /// Records what the receiver confirmed for each line. NotFound when a line does not
    /// exist.
    async fn record_transfer_received(
        &mut self,
        id: TransferId,
        lines: &[TransferReceivedLine],
    ) -> Result<(), StoreError>;
    /// One transfer.
    async fn get_transfer(&mut self, id: TransferId) -> Result<Option<TransferRow>, StoreError>;
    /// A transfer's lines by line number (none for an unknown id).
    async fn transfer_lines(&mut self, id: TransferId) -> Result<Vec<TransferLineRow>, StoreError>;
    /// The lots a transfer's lines took, by line then FEFO order.
    async fn transfer_lots(&mut self, id: TransferId) -> Result<Vec<TransferLotRow>, StoreError>;
    /// Transfers matching `filter`, newest number first.
    async fn list_transfers(
        &mut self,
        filter: &TransferFilter,
    ) -> Result<Vec<TransferRow>, StoreError>;
    /// Stock in transit per item and pair of locations: lines of transfers sent at or before
    /// `as_of` and not received by then (`None`: now, the transfers that are `sent`), of
    /// transfers from or to a location in `scope`; by item, sender, receiver.
    async fn in_transit(
        &mut self,
        as_of: Option<DateTime<Utc>>,
        scope: LocationScope,
    ) -> Result<Vec<TransitRow>, StoreError>;
}
