//! Domain events: the catalogue of what Larder announces when its state changes (ADR 025).
//!
//! Every write use case records one event of a type listed here in the same transaction as the
//! change (the transactional outbox); a posting to the ledger also records
//! [`EventType::StockChanged`]. An event's type is `<context>.<event>` (`inventory.stock_adjusted`),
//! its data the resource as the API answers it, so a consumer reads the same shapes as a
//! client. `docs/events.md` is generated from [`EventType::ALL`] by [`catalogue_markdown`].

use crate::procurement::purchase_orders::PoAction;

/// The envelope's schema version: bumped when the envelope's or an event's data shape changes
/// in a way a consumer must know about.
pub const SCHEMA_VERSION: i32 = 1;

macro_rules! event_types {
    ($($variant:ident => $name:literal, $doc:literal;)+) => {
        /// A domain event's type; `as_str` is its stable wire name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventType {
            $(#[doc = $doc] $variant,)+
        }

        impl EventType {
            /// Every event type, in catalogue order.
            pub const ALL: &'static [EventType] = &[$(EventType::$variant,)+];

            /// The wire name, `<context>.<event>`.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$variant => $name,)+
                }
            }

            /// What happened, in one sentence (the catalogue's description).
            #[must_use]
            pub const fn description(self) -> &'static str {
                match self {
                    $(EventType::$variant => $doc,)+
                }
            }
        }
    };
}

event_types! {
    LocationCreated => "tenancy.location_created", "A location (central kitchen, outlet) was created.";
    LocationUpdated => "tenancy.location_updated", "A location was renamed, retyped or retired.";
    SettingsUpdated => "tenancy.settings_updated", "The tenant's settings (currency, time zone, business day) changed.";
    StorageAreaCreated => "tenancy.storage_area_created", "A storage area was added to a location.";
    StorageAreaRenamed => "tenancy.storage_area_renamed", "A storage area was renamed.";
    StorageAreaRetired => "tenancy.storage_area_retired", "A storage area was retired.";
    StorageAreasReordered => "tenancy.storage_areas_reordered", "A location's storage areas were put in a new walking order.";
    AreaItemsSet => "tenancy.area_items_set", "The items on a storage area's shelves, or their order, changed.";
    ItemCreated => "catalog.item_created", "An item (ingredient, prep, supply) was created.";
    ItemUpdated => "catalog.item_updated", "An item was edited.";
    ItemRetired => "catalog.item_retired", "An item was retired.";
    ParLevelSet => "catalog.par_level_set", "An item's par level, reorder point or maximum at a location changed.";
    CatalogImported => "catalog.catalog_imported", "Items were imported from a CSV file.";
    StockAdjusted => "inventory.stock_adjusted", "Stock was adjusted by hand (one or several movements).";
    StockChanged => "inventory.stock_changed", "The ledger moved stock at a location: the net quantity per item and movement kind of one transaction.";
    CountStarted => "counts.count_started", "A stock count was started.";
    CountLineEntered => "counts.count_line_entered", "A counter entered or recounted a line of a stock count.";
    CountApproved => "counts.count_approved", "A stock count was approved and its count movements posted.";
    CountCancelled => "counts.count_cancelled", "A stock count was cancelled.";
    WasteRecorded => "inventory.waste_recorded", "Waste was recorded, by item or by recipe.";
    MovementReversed => "inventory.movement_reversed", "A movement or a waste entry was reversed by compensating movements.";
    TransferRequested => "transfers.transfer_requested", "A transfer between locations was requested.";
    TransferUpdated => "transfers.transfer_updated", "A requested transfer's lines changed.";
    TransferSent => "transfers.transfer_sent", "A transfer was sent: its stock left the sender and is in transit.";
    TransferReceived => "transfers.transfer_received", "A transfer was received, with any discrepancies.";
    TransferCancelled => "transfers.transfer_cancelled", "A requested transfer was cancelled.";
    ProductionSettingsSet => "production.settings_set", "A prep item's production settings (recipe, batch, shelf life) changed.";
    BatchProduced => "production.batch_produced", "A production batch consumed its ingredients and made a lot of the prep item.";
    RecipeCreated => "menu.recipe_created", "A recipe was created.";
    RecipeUpdated => "menu.recipe_updated", "A recipe was edited (a new effective-dated version).";
    RecipeRetired => "menu.recipe_retired", "A recipe was retired.";
    MenuItemCreated => "menu.menu_item_created", "A menu item was created.";
    MenuItemUpdated => "menu.menu_item_updated", "A menu item was edited (a new effective-dated version).";
    MenuItemRetired => "menu.menu_item_retired", "A menu item was retired.";
    SaleRecorded => "sales.sale_recorded", "A sale was recorded and its recipes depleted.";
    SalesImported => "sales.sales_imported", "A file of sales was imported and depleted.";
    SalesMappingSaved => "sales.mapping_saved", "A sales import's column mapping was saved.";
    SoldNameMapped => "sales.sold_name_mapped", "A POS name was mapped to a menu item (its past sales depleted once).";
    SupplierCreated => "purchasing.supplier_created", "A supplier was created.";
    SupplierUpdated => "purchasing.supplier_updated", "A supplier was edited.";
    SupplierItemCreated => "purchasing.supplier_item_created", "A supplier item (what a supplier sells of an item, in packs) was created.";
    SupplierPriceAdded => "purchasing.supplier_price_added", "A supplier item got a new price from a date.";
    PreferredSupplierSet => "purchasing.preferred_supplier_set", "An item's preferred supplier item changed.";
    PriceListImported => "purchasing.price_list_imported", "A supplier's price list was imported.";
    PoCreated => "purchasing.po_created", "A purchase order was created as a draft.";
    PoUpdated => "purchasing.po_updated", "A draft purchase order was edited.";
    PoSubmitted => "purchasing.po_submitted", "A purchase order was submitted for approval.";
    PoApproved => "purchasing.po_approved", "A purchase order was approved.";
    PoSent => "purchasing.po_sent", "A purchase order was sent to its supplier.";
    PoEmailed => "purchasing.po_emailed", "A sent purchase order was queued to be emailed (with its PDF) to its supplier or the given addresses.";
    PoCancelled => "purchasing.po_cancelled", "A purchase order was cancelled.";
    PoClosed => "purchasing.po_closed", "A purchase order was closed short.";
    PastOrderRecorded => "purchasing.past_order_recorded", "A purchase order placed before Larder was recorded with its history.";
    ReorderOrdersCreated => "purchasing.reorder_orders_created", "Draft purchase orders were created from the reorder suggestions.";
    GoodsReceived => "purchasing.goods_received", "A goods receipt put stock into lots.";
    InvoiceRecorded => "purchasing.invoice_recorded", "A supplier invoice was recorded and matched.";
    InvoicesImported => "purchasing.invoices_imported", "Supplier invoices were imported from a file.";
    AlertRuleCreated => "alerts.rule_created", "An alert rule was created.";
    AlertRuleUpdated => "alerts.rule_updated", "An alert rule's threshold, location or switch changed.";
    AlertRaised => "alerts.alert_raised", "A rule's condition appeared (one case: an item, a lot, an order...): an alert was raised and its members notified.";
    AlertResolved => "alerts.alert_resolved", "An alert's condition cleared: it was resolved.";
    NotificationsRead => "alerts.notifications_read", "A member marked notifications read.";
    AlertPreferencesSet => "alerts.preferences_set", "A member changed how they hear of alerts (channels, quiet hours, digest time).";
    StationCreated => "kitchen.station_created", "A kitchen station was added to a location.";
    StationUpdated => "kitchen.station_updated", "A station's name, types, capacity or switch changed.";
    WorkflowTemplateCreated => "kitchen.workflow_template_created", "A workflow template was created with its first version.";
    WorkflowTemplateUpdated => "kitchen.workflow_template_updated", "A workflow template changed; new phases are a new version, and orders in flight keep theirs.";
    OrderCreated => "kitchen.order_created", "A customer order was taken: its lines, its tasks queued at stations, and the ready time quoted.";
    OrderUpdated => "kitchen.order_updated", "A customer order's customer details, notes, priority or requested time changed.";
    OrderCancelled => "kitchen.order_cancelled", "A customer order was cancelled; its tasks not done were cancelled with it.";
    TaskChanged => "kitchen.task_changed", "A kitchen task moved (queued, started, done, blocked, recalled), with its order's status.";
    OrderEtaRecalculated => "kitchen.order_eta_recalculated", "An order's estimated ready time was computed again, with the breakdown (critical path, queues, stations).";
    ShiftPlanned => "kitchen.shift_planned", "A member's shift at a station was planned.";
    ShiftRemoved => "kitchen.shift_removed", "A planned shift was removed.";
}

impl EventType {
    /// The context, the part of the name before the dot.
    #[must_use]
    pub fn context(self) -> &'static str {
        self.as_str().split_once('.').map_or("", |(c, _)| c)
    }

    /// The event, the part of the name after the dot.
    #[must_use]
    pub fn event(self) -> &'static str {
        self.as_str().split_once('.').map_or("", |(_, e)| e)
    }

    /// The type named `s`, if any.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.as_str() == s)
    }

    /// The event a purchase order's transition records.
    #[must_use]
    pub const fn of_po_action(action: PoAction) -> Self {
        match action {
            PoAction::Submit => EventType::PoSubmitted,
            PoAction::Approve => EventType::PoApproved,
            PoAction::Send => EventType::PoSent,
            PoAction::Cancel => EventType::PoCancelled,
            PoAction::Close => EventType::PoClosed,
        }
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The catalogue as the Markdown of `docs/events.md`.
#[must_use]
pub fn catalogue_markdown() -> String {
    let mut md = String::from(
        "# Event catalogue\n\n\
         Generated from `larder_core::events::EventType` (`cargo test -p larder-core` checks \
         this file; `LARDER_WRITE_EVENTS_DOC=1 cargo test -p larder-core events` rewrites it). \
         Every event travels in the envelope of ADR 025: `id` (UUIDv7, the consumers' \
         deduplication key), `seq` (the tenant's gap-free sequence: the SSE event id), `type`, \
         `tenant_id`, `location_id` (absent for tenant-wide changes), `occurred_at`, \
         `recorded_at`, `actor` (the user, absent for the system), `schema_version` and `data` \
         (the resource as the API answers it). On RabbitMQ the routing key is \
         `<tenant id>.<context>.<event>` on the topic exchange `larder.events`.\n\n\
         | type | context | what happened |\n|---|---|---|\n",
    );
    for t in EventType::ALL {
        md.push_str(&format!(
            "| `{}` | {} | {} |\n",
            t.as_str(),
            t.context(),
            t.description()
        ));
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_context_dot_event() {
        let mut seen = std::collections::BTreeSet::new();
        for t in EventType::ALL {
            assert!(seen.insert(t.as_str()), "{t} twice");
            let (c, e) = t.as_str().split_once('.').expect("a dot");
            assert!(!c.is_empty() && !e.is_empty() && !e.contains('.'), "{t}");
            assert!(
                t.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.'),
                "{t}"
            );
            assert_eq!(EventType::parse(t.as_str()), Some(*t));
        }
        assert_eq!(EventType::parse("inventory.nothing"), None);
    }

    #[test]
    fn the_catalogue_in_docs_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/events.md");
        let want = catalogue_markdown();
        if std::env::var_os("LARDER_WRITE_EVENTS_DOC").is_some() {
            std::fs::write(path, &want).expect("docs/events.md written");
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "docs/events.md is out of date: run LARDER_WRITE_EVENTS_DOC=1 cargo test -p larder-core events"
        );
    }
}
