//! inventory's part of the pages: stock levels as table rows, shown by the dashboard
//! (`analytics`) and the item page (`catalog`); and [`transfers`]' pages.

pub(super) mod transfers;

pub(crate) mod production;

use larder_app::inventory::StockLevel;
use larder_app::tenancy::Location;
use larder_core::ItemId;

use super::format::Numbers;

pub(crate) mod counts;
pub(crate) mod waste;

/// One stock level (item x location) as the stock tables show it.
pub struct StockRow {
    /// The item, for its link.
    pub item_id: ItemId,
    /// The item's name.
    pub name: String,
    /// The location's name (empty when the location is not among those listed).
    pub location: String,
    /// On hand, as [`human`] writes it.
    pub on_hand: String,
    /// Reorder point, or a dash.
    pub reorder_point: String,
    /// Par level, or a dash.
    pub par_level: String,
    /// More was used or sold than received.
    pub negative: bool,
    /// Below the reorder point.
    pub low: bool,
}

/// Stock levels as table rows, with their locations' names.
pub fn stock_rows(levels: &[StockLevel], locations: &[Location], n: &Numbers) -> Vec<StockRow> {
    levels
        .iter()
        .map(|r| StockRow {
            item_id: r.item_id,
            name: r.item_name.clone(),
            location: locations
                .iter()
                .find(|l| l.id == r.location_id)
                .map_or_else(String::new, |l| l.name.clone()),
            on_hand: n.quantity(r.on_hand, r.base_unit),
            reorder_point: n.opt_quantity(r.reorder_point, r.base_unit),
            par_level: n.opt_quantity(r.par_level, r.base_unit),
            negative: r.flags.negative,
            low: r.flags.low,
        })
        .collect()
}
