//! catalog_csv: the catalog as three CSV files (items, recipes, menu items), exported and
//! imported in the same layouts (`docs/catalog-csv.md`).
//!
//! An import reads the whole file (at most [`MAX_ROWS`] rows; the API bounds the body to
//! 1 MiB), checks every cell with the same rules as the JSON commands (`ItemCommand`,
//! `RecipeCommand`, `MenuItemCommand`), then matches each row to the tenant's records by name
//! (items by SKU when given) and plans `create`, `update` or `unchanged`. A preview stops
//! there and writes nothing; a commit writes the whole plan in one transaction, or nothing
//! when any row is bad, and lists every bad row by line and column.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use larder_core::auth::Permission;
use larder_core::menu::Component;
use larder_core::rational::Ratio;
use larder_core::{
    BaseUnit, Code, ItemId, Label, MenuItemId, Money, Name, Note, Quantity, RecipeId, Unit,
};
use larder_store::{
    ItemFilter, ItemRow, ItemUnitRow, MenuItemRow, Mode, PackSize, RecipeRow, TenantTx, run_tenant,
};
use serde::{Deserialize, Serialize};

use crate::catalog::{ItemCommand, ValidItem, validate_item};
use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::menu::{
    Book, MenuItemCommand, RecipeCommand, RecipeLineCommand, menu_item_portion,
    portion_cost_beyond, recipe_row,
};
use crate::sales::RowError;
use crate::{App, AppError, Principal};

/// Data rows one file may hold.
pub const MAX_ROWS: usize = 10_000;

/// Which of the three files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CatalogKind {
    /// `items.csv`: one row per item.
    Items,
    /// `recipes.csv`: one row per recipe line.
    Recipes,
    /// `menu_items.csv`: one row per menu item.
    MenuItems,
}

impl CatalogKind {
    /// Every kind, in the order a catalog is imported (items before the recipes that use
    /// them, recipes before the menu items that sell them).
    pub const ALL: [CatalogKind; 3] = [Self::Items, Self::Recipes, Self::MenuItems];

    /// `items`, `recipes` or `menu_items`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Items => "items",
            Self::Recipes => "recipes",
            Self::MenuItems => "menu_items",
        }
    }

    /// The header row of the kind's file.
    pub const fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Items => &ITEM_COLUMNS,
            Self::Recipes => &RECIPE_COLUMNS,
            Self::MenuItems => &MENU_COLUMNS,
        }
    }
}

impl fmt::Display for CatalogKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CatalogKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "items" => Ok(Self::Items),
            "recipes" => Ok(Self::Recipes),
            "menu_items" => Ok(Self::MenuItems),
            _ => Err(format!(
                "'{s}' is not a catalog file: give items, recipes or menu_items"
            )),
        }
    }
}

const ITEM_COLUMNS: [&str; 8] = [
    "name",
    "sku",
    "category",
    "base_unit",
    "unit_cost",
    "cost_unit",
    "barcode",
    "packs",
];
const RECIPE_COLUMNS: [&str; 8] = [
    "recipe",
    "yield_quantity",
    "yield_unit",
    "notes",
    "component",
    "component_type",
    "quantity",
    "unit",
];
const MENU_COLUMNS: [&str; 5] = ["name", "category", "recipe", "portion", "price"];

/// What an import does (or would do) with a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    /// A new record.
    Create,
    /// An existing record (same name, or same SKU for items) whose fields change.
    Update,
    /// An existing record the row matches exactly.
    Unchanged,
}

impl fmt::Display for RowAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Unchanged => "unchanged",
        })
    }
}

/// The import's query: `?dry_run=true` previews.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `true`: plan every row and list the bad ones, writing nothing (default `false`).
    pub dry_run: Option<bool>,
}

/// One record of the file and what the import does with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlannedRow {
    /// Line in the file (the header is line 1); a recipe's first line.
    pub line: u64,
    /// The record's name.
    pub name: String,
    /// Create, update or unchanged.
    pub action: RowAction,
}

/// What an import did, or (a preview, or a commit refused for bad rows) would do.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CatalogImport {
    /// The file's kind.
    pub kind: CatalogKind,
    /// True for a preview: nothing was written.
    pub dry_run: bool,
    /// True when the file was written (a commit with no bad row).
    pub committed: bool,
    /// Every good record and its action, in file order.
    pub rows: Vec<PlannedRow>,
    /// Every bad row: its line, the column at fault (as in the header; `component` for a
    /// recipe line's item or sub-recipe) and why. Any bad row means nothing is written.
    pub errors: Vec<RowError>,
    /// Records created (or to be created).
    pub created: usize,
    /// Records updated (or to be updated).
    pub updated: usize,
    /// Records already as the file has them.
    pub unchanged: usize,
}

/// A file's header: where each known column is.
struct Header {
    index: HashMap<&'static str, usize>,
}

impl Header {
    fn get<'r>(&self, r: &'r csv::StringRecord, col: &str) -> Option<&'r str> {
        self.index
            .get(col)
            .and_then(|&i| r.get(i))
            .filter(|v| !v.trim().is_empty())
    }

    fn has(&self, col: &str) -> bool {
        self.index.contains_key(col)
    }
}

/// A data row with its line.
struct Line {
    line: u64,
    record: csv::StringRecord,
}

/// Reads a file's header and rows. Structural faults are the whole file's: not UTF-8, not
/// CSV (a row with another number of fields than the header), a missing or unknown column.
fn read_table(
    kind: CatalogKind,
    csv_bytes: &[u8],
    required: &[&str],
) -> Result<(Header, Vec<Line>), AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(csv_bytes);
    let mut records = reader.byte_records();
    let syntax = |e: csv::Error| {
        let line = e.position().map_or(1, csv::Position::line);
        let why = match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("has {len} fields where the header has {expected_len}"),
            _ => "is not CSV".to_owned(),
        };
        AppError::invalid("body", format!("line {line} {why}"))
    };
    let utf8 = |line: u64| {
        AppError::invalid(
            "body",
            format!("line {line} is not UTF-8 text (save the file as CSV UTF-8)"),
        )
    };
    let head = match records.next() {
        Some(r) => r.map_err(syntax)?,
        None => {
            return Err(AppError::invalid(
                "body",
                format!(
                    "is empty: the first line names the columns ({})",
                    kind.columns().join(",")
                ),
            ));
        }
    };
    let head = csv::StringRecord::from_byte_record(head).map_err(|_| utf8(1))?;
    let mut index = HashMap::new();
    for (i, raw) in head.iter().enumerate() {
        let name = raw
            .trim_start_matches('\u{feff}')
            .trim()
            .to_ascii_lowercase();
        let Some(col) = kind.columns().iter().find(|c| **c == name) else {
            return Err(AppError::invalid(
                "header",
                format!(
                    "unknown column '{name}' in {kind}.csv (its columns: {})",
                    kind.columns().join(", ")
                ),
            ));
        };
        if index.insert(*col, i).is_some() {
            return Err(AppError::invalid(
                "header",
                format!("column '{col}' appears twice"),
            ));
        }
    }
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| !index.contains_key(c))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::invalid(
            "header",
            format!("missing column(s): {}", missing.join(", ")),
        ));
    }
    let mut lines = Vec::new();
    // The reader's own line count skips blank lines; count the file's line ends instead.
    let (mut counted_to, mut line) = (0usize, 1u64);
    for r in records {
        let r = r.map_err(syntax)?;
        let mut at = r.position().map_or(counted_to, |p| {
            usize::try_from(p.byte()).unwrap_or(counted_to)
        });
        // A record's position can be the blank lines the reader skipped before it.
        while matches!(csv_bytes.get(at), Some(b'\n' | b'\r')) {
            at += 1;
        }
        if let Some(between) = csv_bytes.get(counted_to..at) {
            line += between.iter().filter(|b| **b == b'\n').count() as u64;
            counted_to = at;
        }
        let record = csv::StringRecord::from_byte_record(r).map_err(|_| utf8(line))?;
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        if lines.len() == MAX_ROWS {
            return Err(AppError::invalid(
                "body",
                format!("has more than {MAX_ROWS} rows: split it into several files"),
            ));
        }
        lines.push(Line { line, record });
    }
    Ok((Header { index }, lines))
}

/// Collects a file's bad cells.
#[derive(Default)]
struct Errors(Vec<RowError>);

impl Errors {
    fn add(&mut self, line: u64, column: &str, message: impl Into<String>) {
        self.0.push(RowError {
            line,
            field: column.to_owned(),
            message: message.into(),
        });
    }

    /// Parses a cell, recording why it is bad.
    fn cell<T, E: fmt::Display>(
        &mut self,
        line: u64,
        column: &str,
        value: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, ()> {
        match value {
            None => Ok(None),
            Some(v) => match parse(v.trim()) {
                Ok(t) => Ok(Some(t)),
                Err(e) => {
                    self.add(line, column, e.to_string());
                    Err(())
                }
            },
        }
    }

    fn required<T, E: fmt::Display>(
        &mut self,
        line: u64,
        column: &str,
        value: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, ()> {
        match self.cell(line, column, value, parse)? {
            Some(t) => Ok(t),
            None => {
                self.add(line, column, "is required");
                Err(())
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// items.csv

/// One row of `items.csv`, checked.
#[derive(Clone, Debug)]
pub struct ItemIn {
    /// Line in the file.
    pub line: u64,
    /// The command the row stands for (cost per base unit).
    pub cmd: ItemCommand,
    /// The command's fields as stored.
    valid: ValidItem,
}

/// `items.csv` read and checked: its rows and which optional columns it has (an absent
/// column leaves an updated item's field as it is; an empty cell clears it).
pub struct ItemsFile {
    /// Good rows.
    pub rows: Vec<ItemIn>,
    /// Bad rows.
    pub errors: Vec<RowError>,
    present: HashSet<&'static str>,
}

/// A cost per `unit` as money per `base` unit, exactly.
fn cost_per_base(cost: Money, unit: Unit, base: BaseUnit) -> Result<Money, String> {
    let factor: Ratio = unit.factor_to(base).map_err(|e| e.to_string())?;
    // base units per one `unit` = num/den, so cost per base unit = cost * den / num.
    let scaled = i128::from(cost.raw()) * factor.den();
    if factor.num() == 0 || scaled % factor.num() != 0 {
        return Err(format!(
            "{cost} per {unit} is not a whole number of millionths per {base}: give the cost per {base}"
        ));
    }
    i64::try_from(scaled / factor.num())
        .ok()
        .and_then(Money::checked_from_raw)
        .ok_or_else(|| format!("{cost} per {unit} is beyond the largest amount per {base}"))
}

/// `case=6000;bag=1000`: pack names with their size in the base unit.
fn parse_packs(s: &str) -> Result<Vec<PackSize>, String> {
    s.split(';')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (name, qty) = p
                .rsplit_once('=')
                .ok_or_else(|| format!("'{p}' is not name=quantity (such as case=6000)"))?;
            let quantity =
                Quantity::parse(qty.trim()).map_err(|e| format!("pack '{}': {e}", name.trim()))?;
            Ok(PackSize {
                name: name.trim().to_owned(),
                quantity,
            })
        })
        .collect()
}

/// The column of `items.csv` an `ItemCommand` field error is about.
fn item_column(field: &str) -> &str {
    if field.starts_with("pack_sizes") {
        "packs"
    } else {
        field
    }
}

/// Reads and checks `items.csv`.
///
/// # Errors
/// 422 on `body` or `header` when the file is not UTF-8 CSV with the item columns.
pub fn parse_items(csv_bytes: &[u8]) -> Result<ItemsFile, AppError> {
    let (h, lines) = read_table(CatalogKind::Items, csv_bytes, &["name", "base_unit"])?;
    let mut errors = Errors::default();
    let mut rows = Vec::new();
    for Line { line, record: r } in lines {
        let n = line;
        let e = &mut errors;
        let name = e.required(n, "name", h.get(&r, "name"), Name::parse);
        let sku = e.cell(n, "sku", h.get(&r, "sku"), Code::parse);
        let category = e.cell(n, "category", h.get(&r, "category"), Label::parse);
        let base_unit = e.required(n, "base_unit", h.get(&r, "base_unit"), BaseUnit::from_str);
        let cost = e.cell(n, "unit_cost", h.get(&r, "unit_cost"), Money::parse);
        let cost_unit = e.cell(n, "cost_unit", h.get(&r, "cost_unit"), Unit::from_str);
        let packs = e.cell(n, "packs", h.get(&r, "packs"), parse_packs);
        let barcode = h.get(&r, "barcode").map(|b| b.trim().to_owned());
        let (Ok(name), Ok(sku), Ok(category), Ok(base_unit), Ok(cost), Ok(cost_unit), Ok(packs)) =
            (name, sku, category, base_unit, cost, cost_unit, packs)
        else {
            continue;
        };
        let unit_cost = match (cost, cost_unit) {
            (Some(c), Some(u)) => match cost_per_base(c, u, base_unit) {
                Ok(m) => Some(m),
                Err(msg) => {
                    let col = if u.factor_to(base_unit).is_err() {
                        "cost_unit"
                    } else {
                        "unit_cost"
                    };
                    e.add(n, col, msg);
                    continue;
                }
            },
            (c, _) => c,
        };
        let cmd = ItemCommand {
            name,
            sku,
            category,
            base_unit,
            pack_sizes: packs
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            barcode,
            unit_cost,
            density: None,
            density_source: None,
            entry_step: None,
            entry_rounding: None,
        };
        match validate_item(&cmd) {
            Ok(valid) => rows.push(ItemIn {
                line: n,
                cmd,
                valid,
            }),
            Err(AppError::Validation { field, message }) => e.add(n, item_column(&field), message),
            Err(other) => return Err(other),
        }
    }
    let present = ITEM_COLUMNS.iter().copied().filter(|c| h.has(c)).collect();
    Ok(ItemsFile {
        rows,
        errors: errors.0,
        present,
    })
}

/// What an items import writes.
struct ItemsPlan {
    writes: Vec<(ItemRow, Option<i64>)>,
    rows: Vec<PlannedRow>,
    errors: Vec<RowError>,
}

/// Matches `items.csv`'s rows to the stored items: by SKU when the row gives one, else by
/// name (refused when several stored items share it).
fn plan_items(file: ItemsFile, stored: &[ItemRow]) -> ItemsPlan {
    let by_sku: HashMap<&str, &ItemRow> = stored
        .iter()
        .filter_map(|i| i.sku.as_deref().map(|s| (s, i)))
        .collect();
    let mut by_name: HashMap<&str, Vec<&ItemRow>> = HashMap::new();
    for i in stored {
        by_name.entry(i.name.as_str()).or_default().push(i);
    }
    let mut errors = Errors(file.errors);
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut skus: HashMap<String, u64> = HashMap::new();
    let (mut writes, mut rows) = (Vec::new(), Vec::new());
    let now = Utc::now();
    for row in file.rows {
        let v = row.valid;
        let key = match &v.sku {
            Some(s) => format!("sku:{s}"),
            None => format!("name:{}", v.name),
        };
        if let Some(first) = seen.insert(key, row.line) {
            let col = if v.sku.is_some() { "sku" } else { "name" };
            errors.add(row.line, col, format!("repeats line {first}'s item"));
            continue;
        }
        let current = match &v.sku {
            Some(s) => by_sku.get(s.as_str()).copied(),
            None => match by_name.get(v.name.as_str()).map(Vec::as_slice) {
                None | Some([]) => None,
                Some([one]) => Some(*one),
                Some(many) => {
                    errors.add(
                        row.line,
                        "name",
                        format!(
                            "{} items are named '{}': give the sku of the one to update",
                            many.len(),
                            v.name
                        ),
                    );
                    continue;
                }
            },
        };
        // An absent column keeps an updated item's value.
        let keep = |col: &str| current.is_some() && !file.present.contains(col);
        let sku = match current {
            Some(c) if keep("sku") => c.sku.clone(),
            _ => v.sku.clone(),
        };
        if let Some(s) = &sku
            && let Some(first) = skus.insert(s.clone(), row.line)
        {
            errors.add(row.line, "sku", format!("'{s}' is also line {first}'s sku"));
            continue;
        }
        let Some(c) = current else {
            rows.push(PlannedRow {
                line: row.line,
                name: v.name.clone(),
                action: RowAction::Create,
            });
            writes.push((
                ItemRow {
                    id: ItemId::new(),
                    name: v.name,
                    sku,
                    category: v.category,
                    base_unit: row.cmd.base_unit,
                    pack_sizes: v.pack_sizes,
                    barcode: v.barcode,
                    unit_cost: v.unit_cost,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                    retired_at: None,
                },
                None,
            ));
            continue;
        };
        if c.base_unit != row.cmd.base_unit {
            errors.add(
                row.line,
                "base_unit",
                format!(
                    "'{}' is stored in {}; an item's base unit cannot change",
                    c.name, c.base_unit
                ),
            );
            continue;
        }
        let pick = |col: &str, new: Option<String>, old: &Option<String>| {
            if keep(col) { old.clone() } else { new }
        };
        let updated = ItemRow {
            name: v.name,
            sku,
            category: pick("category", v.category, &c.category),
            pack_sizes: if keep("packs") {
                c.pack_sizes.clone()
            } else {
                v.pack_sizes
            },
            barcode: pick("barcode", v.barcode, &c.barcode),
            unit_cost: if keep("unit_cost") {
                c.unit_cost
            } else {
                v.unit_cost
            },
            version: c.version + 1,
            updated_at: now,
            ..c.clone()
        };
        let same = updated.name == c.name
            && updated.sku == c.sku
            && updated.category == c.category
            && updated.pack_sizes == c.pack_sizes
            && updated.barcode == c.barcode
            && updated.unit_cost == c.unit_cost;
        rows.push(PlannedRow {
            line: row.line,
            name: updated.name.clone(),
            action: if same {
                RowAction::Unchanged
            } else {
                RowAction::Update
            },
        });
        if !same {
            writes.push((updated, Some(c.version)));
        }
    }
    // An update that takes a SKU another stored item keeps would be refused by the database;
    // name it here, on its line.
    let moved: HashSet<ItemId> = writes.iter().map(|(w, _)| w.id).collect();
    for (w, _) in &writes {
        if let Some(s) = &w.sku
            && let Some(holder) = by_sku.get(s.as_str())
            && holder.id != w.id
            && !moved.contains(&holder.id)
            && let Some(p) = rows.iter().find(|p| p.name == w.name)
        {
            errors.add(
                p.line,
                "sku",
                format!("'{s}' is the sku of the stored item '{}'", holder.name),
            );
        }
    }
    ItemsPlan {
        writes,
        rows,
        errors: errors.0,
    }
}

// ---------------------------------------------------------------------------------------------
// recipes.csv

/// Whether a recipe line's component is an item or another recipe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComponentType {
    /// An item.
    Item,
    /// A sub-recipe.
    Recipe,
}

impl FromStr for ComponentType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "item" => Ok(Self::Item),
            "recipe" => Ok(Self::Recipe),
            _ => Err(format!("'{s}' is not item or recipe")),
        }
    }
}

/// A recipe line of `recipes.csv`, checked, its component still a name.
#[derive(Clone, Debug)]
pub struct LineIn {
    /// Line in the file.
    pub line: u64,
    /// The item's or sub-recipe's name.
    pub component: String,
    /// `item` or `recipe` when the file says.
    pub component_type: Option<ComponentType>,
    /// Amount, in `unit`.
    pub quantity: Quantity,
    /// Unit.
    pub unit: Unit,
}

/// A recipe of `recipes.csv`: its rows gathered by name.
#[derive(Clone, Debug)]
pub struct RecipeIn {
    /// Its first line.
    pub line: u64,
    /// Name.
    pub name: Name,
    /// Batch yield.
    pub yield_quantity: Quantity,
    /// Yield unit.
    pub yield_unit: BaseUnit,
    /// Notes.
    pub notes: Option<Note>,
    /// Lines in file order.
    pub lines: Vec<LineIn>,
}

/// `recipes.csv` read and checked.
pub struct RecipesFile {
    /// Recipes whose every row is good.
    pub recipes: Vec<RecipeIn>,
    /// Bad rows.
    pub errors: Vec<RowError>,
}

/// Reads and checks `recipes.csv`: one row per recipe line; the recipe's yield and notes on its
/// first row (later rows leave them empty or repeat them).
///
/// # Errors
/// 422 on `body` or `header` when the file is not UTF-8 CSV with the recipe columns.
pub fn parse_recipes(csv_bytes: &[u8]) -> Result<RecipesFile, AppError> {
    let required = [
        "recipe",
        "yield_quantity",
        "yield_unit",
        "component",
        "quantity",
        "unit",
    ];
    let (h, lines) = read_table(CatalogKind::Recipes, csv_bytes, &required)?;
    let mut e = Errors::default();
    let mut order: Vec<String> = Vec::new();
    // Each recipe, whether its head (yield, notes) is good, and whether every row is.
    let mut by_name: HashMap<String, (RecipeIn, bool, bool)> = HashMap::new();
    for Line { line: n, record: r } in lines {
        let Ok(name) = e.required(n, "recipe", h.get(&r, "recipe"), Name::parse) else {
            continue;
        };
        let yq = e.cell(
            n,
            "yield_quantity",
            h.get(&r, "yield_quantity"),
            Quantity::parse,
        );
        let yu = e.cell(n, "yield_unit", h.get(&r, "yield_unit"), BaseUnit::from_str);
        let notes = e.cell(n, "notes", h.get(&r, "notes"), Note::parse);
        let component = e.required(n, "component", h.get(&r, "component"), Name::parse);
        let ctype = e.cell(
            n,
            "component_type",
            h.get(&r, "component_type"),
            ComponentType::from_str,
        );
        let quantity = e.required(n, "quantity", h.get(&r, "quantity"), Quantity::parse);
        let unit = e.required(n, "unit", h.get(&r, "unit"), Unit::from_str);
        let line = match (component, ctype, quantity, unit) {
            (Ok(c), Ok(t), Ok(q), Ok(u)) => Some(LineIn {
                line: n,
                component: c.into_string(),
                component_type: t,
                quantity: q,
                unit: u,
            }),
            _ => None,
        };
        let head_cells_ok = yq.is_ok() && yu.is_ok() && notes.is_ok();
        let key = name.as_str().to_owned();
        let Some((rec, head_ok, ok)) = by_name.get_mut(&key) else {
            let mut rec = empty_recipe(n, name);
            let mut head_ok = head_cells_ok;
            if let (Ok(yq), Ok(yu), Ok(notes)) = (yq, yu, notes) {
                if yq.is_none() {
                    e.add(n, "yield_quantity", "is required on a recipe's first row");
                    head_ok = false;
                }
                if yu.is_none() {
                    e.add(n, "yield_unit", "is required on a recipe's first row");
                    head_ok = false;
                }
                rec.yield_quantity = yq.unwrap_or(Quantity::ZERO);
                rec.yield_unit = yu.unwrap_or(BaseUnit::Ea);
                rec.notes = notes;
            }
            let ok = head_ok && line.is_some();
            rec.lines.extend(line);
            order.push(key.clone());
            by_name.insert(key, (rec, head_ok, ok));
            continue;
        };
        // Later rows leave the head empty or repeat it.
        if *head_ok {
            if let Ok(Some(q)) = yq
                && q != rec.yield_quantity
            {
                e.add(
                    n,
                    "yield_quantity",
                    format!("differs from line {}'s {}", rec.line, rec.yield_quantity),
                );
                *ok = false;
            }
            if let Ok(Some(u)) = yu
                && u != rec.yield_unit
            {
                e.add(
                    n,
                    "yield_unit",
                    format!("differs from line {}'s {}", rec.line, rec.yield_unit),
                );
                *ok = false;
            }
            if let Ok(Some(t)) = &notes
                && Some(t) != rec.notes.as_ref()
            {
                e.add(n, "notes", format!("differ from line {}'s notes", rec.line));
                *ok = false;
            }
        }
        if !head_cells_ok {
            *ok = false;
        }
        match line {
            Some(l) => rec.lines.push(l),
            None => *ok = false,
        }
    }
    let recipes = order
        .into_iter()
        .filter_map(|k| by_name.remove(&k))
        .filter_map(|(r, _, ok)| ok.then_some(r))
        .collect();
    Ok(RecipesFile {
        recipes,
        errors: e.0,
    })
}

fn empty_recipe(line: u64, name: Name) -> RecipeIn {
    RecipeIn {
        line,
        name,
        yield_quantity: Quantity::ZERO,
        yield_unit: BaseUnit::Ea,
        notes: None,
        lines: Vec::new(),
    }
}

/// What a recipes import writes, in an order where every sub-recipe comes before the recipes
/// that use it.
struct RecipesPlan {
    writes: Vec<(RecipeRow, Option<i64>)>,
    rows: Vec<PlannedRow>,
    errors: Vec<RowError>,
}

/// Whether `to` is reachable from `from` along sub-recipe lines.
fn reaches(graph: &HashMap<RecipeId, Vec<RecipeId>>, from: RecipeId, to: RecipeId) -> bool {
    let mut stack = vec![from];
    let mut seen = HashSet::new();
    while let Some(r) = stack.pop() {
        if r == to {
            return true;
        }
        if seen.insert(r) {
            stack.extend(graph.get(&r).into_iter().flatten().copied());
        }
    }
    false
}

/// The column of `recipes.csv` a `RecipeCommand` field error is about, and the line.
fn recipe_error_at(rec: &RecipeIn, field: &str) -> (u64, String) {
    if let Some(rest) = field.strip_prefix("lines[")
        && let Some((i, f)) = rest.split_once("].")
        && let Ok(i) = i.parse::<usize>()
        && let Some(l) = rec.lines.get(i)
    {
        let col = match f {
            "item_id" | "recipe_id" => "component",
            other => other,
        };
        return (l.line, col.to_owned());
    }
    let col = if field == "lines" { "recipe" } else { field };
    (rec.line, col.to_owned())
}

/// Resolves `recipes.csv`'s components by name (a recipe in the file, then a stored recipe,
/// then an item; `component_type` settles a name that is both), refuses unknown names and
/// cycles on the line that names them, checks each recipe as `create_recipe` does, and
/// compares it with the stored one of its name.
fn plan_recipes(file: RecipesFile, items: &[ItemUnitRow], stored: &[RecipeRow]) -> RecipesPlan {
    let mut errors = Errors(file.errors);
    let stored_by_name: HashMap<&str, &RecipeRow> =
        stored.iter().map(|r| (r.name.as_str(), r)).collect();
    let mut item_ids: HashMap<&str, Vec<ItemId>> = HashMap::new();
    for i in items {
        item_ids.entry(i.name.as_str()).or_default().push(i.id);
    }
    // Ids: a stored recipe's for an update, a new one for a create.
    let file_ids: HashMap<&str, RecipeId> = file
        .recipes
        .iter()
        .map(|r| {
            let id = stored_by_name
                .get(r.name.as_str())
                .map_or_else(RecipeId::new, |s| s.id);
            (r.name.as_str(), id)
        })
        .collect();
    let recipe_id_of = |name: &str| {
        file_ids
            .get(name)
            .copied()
            .or_else(|| stored_by_name.get(name).map(|r| r.id))
    };
    // Resolve every line's component.
    let mut resolved: Vec<(usize, Vec<Component>)> = Vec::new();
    for (ri, rec) in file.recipes.iter().enumerate() {
        let mut comps = Vec::with_capacity(rec.lines.len());
        let mut ok = true;
        for l in &rec.lines {
            let as_recipe = recipe_id_of(&l.component);
            let as_item = item_ids.get(l.component.as_str()).map(Vec::as_slice);
            let pick_item = |errors: &mut Errors| match as_item {
                Some([one]) => Some(Component::Item(*one)),
                Some(many) if many.len() > 1 => {
                    errors.add(
                        l.line,
                        "component",
                        format!("{} items are named '{}'", many.len(), l.component),
                    );
                    None
                }
                _ => {
                    errors.add(
                        l.line,
                        "component",
                        format!("no item named '{}'", l.component),
                    );
                    None
                }
            };
            let c = match (l.component_type, as_recipe, as_item) {
                (Some(ComponentType::Recipe), Some(r), _) => Some(Component::Recipe(r)),
                (Some(ComponentType::Recipe), None, _) => {
                    errors.add(
                        l.line,
                        "component",
                        format!(
                            "no recipe named '{}' in this file or the catalog",
                            l.component
                        ),
                    );
                    None
                }
                (Some(ComponentType::Item), _, _) | (None, None, Some(_)) => pick_item(&mut errors),
                (None, Some(r), None) => Some(Component::Recipe(r)),
                (None, Some(_), Some(_)) => {
                    errors.add(
                        l.line,
                        "component",
                        format!(
                            "'{}' is both a recipe and an item: say which in component_type",
                            l.component
                        ),
                    );
                    None
                }
                (None, None, None) => {
                    errors.add(
                        l.line,
                        "component",
                        format!(
                            "no item or recipe named '{}' in this file or the catalog",
                            l.component
                        ),
                    );
                    None
                }
            };
            match c {
                Some(c) => comps.push(c),
                None => ok = false,
            }
        }
        if ok {
            resolved.push((ri, comps));
        }
    }
    // The sub-recipe graph after the import: stored recipes' lines, the file's replacing
    // those of their names.
    let mut graph: HashMap<RecipeId, Vec<RecipeId>> = HashMap::new();
    for r in stored {
        let subs = r
            .lines
            .iter()
            .filter_map(|l| match l.component {
                Component::Recipe(s) => Some(s),
                Component::Item(_) => None,
            })
            .collect();
        graph.insert(r.id, subs);
    }
    for rec in &file.recipes {
        graph.insert(file_ids[rec.name.as_str()], Vec::new());
    }
    for (ri, comps) in &resolved {
        let id = file_ids[file.recipes[*ri].name.as_str()];
        let subs = comps
            .iter()
            .filter_map(|c| match c {
                Component::Recipe(s) => Some(*s),
                Component::Item(_) => None,
            })
            .collect();
        graph.insert(id, subs);
    }
    // Every line that closes a cycle is refused.
    let mut acyclic = Vec::new();
    for (ri, comps) in resolved {
        let rec = &file.recipes[ri];
        let id = file_ids[rec.name.as_str()];
        let mut ok = true;
        for (l, c) in rec.lines.iter().zip(&comps) {
            if let Component::Recipe(s) = c
                && reaches(&graph, *s, id)
            {
                let msg = if *s == id {
                    format!("'{}' cannot use itself", rec.name)
                } else {
                    format!(
                        "makes a cycle: '{}' uses '{}' (directly or through sub-recipes)",
                        l.component, rec.name
                    )
                };
                errors.add(l.line, "component", msg);
                ok = false;
            }
        }
        if ok {
            acyclic.push((ri, comps));
        }
    }
    // Check each recipe as create_recipe does, against a book holding the file's recipes.
    let mut book = Book::from_rows(stored, items, Vec::new());
    for rec in &file.recipes {
        book.put_recipe(&RecipeRow {
            id: file_ids[rec.name.as_str()],
            name: rec.name.as_str().to_owned(),
            yield_quantity: rec.yield_quantity,
            yield_unit: rec.yield_unit,
            notes: None,
            lines: Vec::new(),
            version: 1,
            created_at: Utc::now(),
            retired_at: None,
        });
    }
    let mut checked: Vec<(usize, RecipeRow)> = Vec::new();
    for (ri, comps) in acyclic {
        let rec = &file.recipes[ri];
        let cmd = RecipeCommand {
            name: rec.name.clone(),
            yield_quantity: rec.yield_quantity,
            yield_unit: rec.yield_unit,
            notes: rec.notes.clone(),
            lines: rec
                .lines
                .iter()
                .zip(&comps)
                .map(|(l, c)| RecipeLineCommand {
                    item_id: match c {
                        Component::Item(i) => Some(*i),
                        Component::Recipe(_) => None,
                    },
                    recipe_id: match c {
                        Component::Recipe(r) => Some(*r),
                        Component::Item(_) => None,
                    },
                    quantity: l.quantity,
                    unit: l.unit,
                })
                .collect(),
            effective_from: None,
        };
        match recipe_row(&book, &cmd) {
            Ok(mut row) => {
                row.id = file_ids[rec.name.as_str()];
                checked.push((ri, row));
            }
            Err(AppError::Validation { field, message }) => {
                let (line, col) = recipe_error_at(rec, &field);
                errors.add(line, &col, message);
            }
            Err(other) => errors.add(rec.line, "recipe", other.to_string()),
        }
    }
    // Actions, and the final book for the cost range check.
    let mut rows = Vec::new();
    let mut writes = Vec::new();
    for (ri, mut row) in checked {
        let rec = &file.recipes[ri];
        let action = match stored_by_name.get(rec.name.as_str()) {
            None => {
                writes.push((row.clone(), None));
                RowAction::Create
            }
            Some(s) => {
                let same = s.yield_quantity == row.yield_quantity
                    && s.yield_unit == row.yield_unit
                    && s.notes == row.notes
                    && s.lines == row.lines;
                if same {
                    RowAction::Unchanged
                } else {
                    row.version = s.version + 1;
                    row.created_at = s.created_at;
                    row.retired_at = s.retired_at;
                    writes.push((row.clone(), Some(s.version)));
                    RowAction::Update
                }
            }
        };
        book.put_recipe(&row);
        rows.push(PlannedRow {
            line: rec.line,
            name: row.name.clone(),
            action,
        });
    }
    if errors.0.is_empty()
        && let Err(e) = book.check_costs("recipe")
    {
        let line = file.recipes.first().map_or(1, |r| r.line);
        errors.add(line, "recipe", e.to_string());
    }
    // Sub-recipes first: a row whose sub-recipes are written (or stored) goes next.
    let mut ordered = Vec::with_capacity(writes.len());
    let mut pending = writes;
    let mut placed: HashSet<RecipeId> = HashSet::new();
    while !pending.is_empty() {
        let waiting: HashSet<RecipeId> = pending.iter().map(|(r, _)| r.id).collect();
        let (ready, rest): (Vec<_>, Vec<_>) = pending.into_iter().partition(|(r, _)| {
            r.lines.iter().all(|l| match l.component {
                Component::Recipe(s) => s == r.id || !waiting.contains(&s) || placed.contains(&s),
                Component::Item(_) => true,
            })
        });
        if ready.is_empty() {
            // Only a cycle could leave none ready, and cycles were refused above.
            ordered.extend(rest);
            break;
        }
        placed.extend(ready.iter().map(|(r, _)| r.id));
        ordered.extend(ready);
        pending = rest;
    }
    RecipesPlan {
        writes: ordered,
        rows,
        errors: errors.0,
    }
}

// ---------------------------------------------------------------------------------------------
// menu_items.csv

/// A row of `menu_items.csv`, checked, its recipe still a name.
#[derive(Clone, Debug)]
pub struct MenuItemIn {
    /// Line in the file.
    pub line: u64,
    /// The command (its `recipe_id` is set when the plan resolves `recipe`).
    pub cmd: MenuItemCommand,
    /// The recipe's name, when any.
    pub recipe: Option<String>,
    /// The checked portion.
    pub portion: Quantity,
}

/// `menu_items.csv` read and checked.
pub struct MenuItemsFile {
    /// Good rows.
    pub rows: Vec<MenuItemIn>,
    /// Bad rows.
    pub errors: Vec<RowError>,
}

/// Reads and checks `menu_items.csv`.
///
/// # Errors
/// 422 on `body` or `header` when the file is not UTF-8 CSV with the menu item columns.
pub fn parse_menu_items(csv_bytes: &[u8]) -> Result<MenuItemsFile, AppError> {
    let (h, lines) = read_table(CatalogKind::MenuItems, csv_bytes, &["name"])?;
    let mut e = Errors::default();
    let mut rows = Vec::new();
    for Line { line: n, record: r } in lines {
        let name = e.required(n, "name", h.get(&r, "name"), Name::parse);
        let category = e.cell(n, "category", h.get(&r, "category"), Label::parse);
        let recipe = e.cell(n, "recipe", h.get(&r, "recipe"), Name::parse);
        let portion = e.cell(n, "portion", h.get(&r, "portion"), Quantity::parse);
        let price = e.cell(n, "price", h.get(&r, "price"), Money::parse);
        let (Ok(name), Ok(category), Ok(recipe), Ok(portion), Ok(price)) =
            (name, category, recipe, portion, price)
        else {
            continue;
        };
        let cmd = MenuItemCommand {
            name,
            category,
            recipe_id: None,
            portion,
            price,
            effective_from: None,
        };
        match menu_item_portion(&cmd) {
            Ok(portion) => rows.push(MenuItemIn {
                line: n,
                cmd,
                recipe: recipe.map(Name::into_string),
                portion,
            }),
            Err(AppError::Validation { field, message }) => e.add(n, &field, message),
            Err(other) => return Err(other),
        }
    }
    Ok(MenuItemsFile { rows, errors: e.0 })
}

/// What a menu items import writes.
struct MenuPlan {
    writes: Vec<(MenuItemRow, bool)>,
    rows: Vec<PlannedRow>,
    errors: Vec<RowError>,
}

/// Matches `menu_items.csv`'s rows to stored menu items by name and their recipes to stored
/// recipes by name, and checks each sale's cost is within range as `create_menu_item` does.
fn plan_menu_items(file: MenuItemsFile, mut book: Book, recipes: &[RecipeRow]) -> MenuPlan {
    let mut errors = Errors(file.errors);
    let recipe_ids: HashMap<&str, RecipeId> =
        recipes.iter().map(|r| (r.name.as_str(), r.id)).collect();
    let stored: HashMap<String, MenuItemRow> = book
        .menu_items
        .values()
        .map(|m| (m.name.clone(), m.clone()))
        .collect();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let (mut writes, mut rows) = (Vec::new(), Vec::new());
    for row in file.rows {
        let name = row.cmd.name.as_str().to_owned();
        if let Some(first) = seen.insert(name.clone(), row.line) {
            errors.add(
                row.line,
                "name",
                format!("repeats line {first}'s menu item"),
            );
            continue;
        }
        let recipe_id = match &row.recipe {
            None => None,
            Some(r) => match recipe_ids.get(r.as_str()) {
                Some(id) => Some(*id),
                None => {
                    errors.add(row.line, "recipe", format!("no recipe named '{r}'"));
                    continue;
                }
            },
        };
        let current = stored.get(&name);
        let m = MenuItemRow {
            id: current.map_or_else(MenuItemId::new, |c| c.id),
            name: name.clone(),
            category: row.cmd.category.clone().map(Label::into_string),
            recipe_id,
            portion: row.portion,
            price: row.cmd.price,
            created_at: current.map_or_else(Utc::now, |c| c.created_at),
            // A menu item imported again keeps its version (compared as unchanged, or the one
            // an update expects) and stays retired if it was.
            version: current.map_or(1, |c| c.version),
            retired_at: current.and_then(|c| c.retired_at),
        };
        if m.recipe_id.is_some() && !matches!(book.portion_cost(&m), Ok(Some(_))) {
            let e = portion_cost_beyond();
            errors.add(row.line, "portion", e.to_string());
            continue;
        }
        let action = match current {
            None => RowAction::Create,
            Some(c) if *c == m => RowAction::Unchanged,
            Some(_) => RowAction::Update,
        };
        rows.push(PlannedRow {
            line: row.line,
            name,
            action,
        });
        if action != RowAction::Unchanged {
            writes.push((m.clone(), action == RowAction::Update));
        }
        book.put_menu_item(m);
    }
    MenuPlan {
        writes,
        rows,
        errors: errors.0,
    }
}

// ---------------------------------------------------------------------------------------------
// use cases

/// A file read and checked, before it meets the tenant's data.
enum Parsed {
    Items(ItemsFile),
    Recipes(RecipesFile),
    MenuItems(MenuItemsFile),
}

/// A file's plan: what it writes, and the report.
enum Plan {
    Items(Vec<(ItemRow, Option<i64>)>),
    Recipes(Vec<(RecipeRow, Option<i64>)>),
    MenuItems(Vec<(MenuItemRow, bool)>),
}

/// Reads and checks a file of `kind`.
///
/// # Errors
/// 422 on `body` or `header` for a file that is not UTF-8 CSV with the kind's columns.
fn parse(kind: CatalogKind, csv_bytes: &[u8]) -> Result<Parsed, AppError> {
    Ok(match kind {
        CatalogKind::Items => Parsed::Items(parse_items(csv_bytes)?),
        CatalogKind::Recipes => Parsed::Recipes(parse_recipes(csv_bytes)?),
        CatalogKind::MenuItems => Parsed::MenuItems(parse_menu_items(csv_bytes)?),
    })
}

/// Every item, retired ones too: their names and SKUs stay taken, and recipes may name them.
fn all_items_filter() -> ItemFilter {
    ItemFilter {
        limit: u32::MAX,
        include_retired: true,
        ..Default::default()
    }
}

/// Plans a parsed file against the transaction's tenant.
async fn plan(
    tx: &mut dyn TenantTx,
    parsed: Parsed,
) -> Result<(Plan, Vec<PlannedRow>, Vec<RowError>), AppError> {
    Ok(match parsed {
        Parsed::Items(f) => {
            let stored = tx.list_items(&all_items_filter()).await?;
            let p = plan_items(f, &stored);
            (Plan::Items(p.writes), p.rows, p.errors)
        }
        Parsed::Recipes(f) => {
            let items = tx.all_item_units().await?;
            let stored = tx.all_recipes().await?;
            let p = plan_recipes(f, &items, &stored);
            (Plan::Recipes(p.writes), p.rows, p.errors)
        }
        Parsed::MenuItems(f) => {
            let recipes = tx.all_recipes().await?;
            let book = Book::load(tx).await?;
            let p = plan_menu_items(f, book, &recipes);
            (Plan::MenuItems(p.writes), p.rows, p.errors)
        }
    })
}

/// Writes a plan with no bad row.
async fn write(tx: &mut dyn TenantTx, plan: Plan) -> Result<(), AppError> {
    match plan {
        Plan::Items(writes) => {
            let mut cost_changed = false;
            for (row, expected) in writes {
                match expected {
                    None => tx.insert_item(&row).await?,
                    Some(v) => {
                        cost_changed = true;
                        tx.update_item(&row, v)
                            .await
                            .map_err(|e| stale(e, "item"))?;
                    }
                }
            }
            if cost_changed {
                Book::load(tx).await?.check_costs("unit_cost")?;
            }
        }
        Plan::Recipes(writes) => {
            // An import's edits take effect now (ADR 023): a new recipe's first version is in
            // force from the start, an updated one's new version from the moment it is written.
            let now = Utc::now();
            for (row, expected) in writes {
                match expected {
                    None => {
                        tx.insert_recipe(&row).await?;
                        tx.record_recipe_version(row.id, None, now).await?;
                    }
                    Some(v) => {
                        tx.update_recipe(&row, v)
                            .await
                            .map_err(|e| stale(e, "recipe"))?;
                        tx.record_recipe_version(row.id, Some(now), now).await?;
                    }
                }
            }
            Book::load(tx).await?.check_costs("recipe")?;
        }
        Plan::MenuItems(writes) => {
            let now = Utc::now();
            for (row, update) in writes {
                if update {
                    tx.update_menu_item(&row, row.version)
                        .await
                        .map_err(|e| stale(e, "menu item"))?;
                    tx.record_menu_item_version(row.id, Some(now), now).await?;
                } else {
                    tx.insert_menu_item(&row).await?;
                    tx.record_menu_item_version(row.id, None, now).await?;
                }
            }
        }
    }
    Ok(())
}

/// A version conflict while writing (someone saved the record since the plan was read in
/// this transaction, which the database's locks make rare) is a 412.
fn stale(e: larder_store::StoreError, what: &'static str) -> AppError {
    match e {
        larder_store::StoreError::Conflict { constraint } if constraint.ends_with("_version") => {
            AppError::PreconditionFailed(what)
        }
        other => other.into(),
    }
}

fn report(
    kind: CatalogKind,
    dry_run: bool,
    committed: bool,
    rows: Vec<PlannedRow>,
    mut errors: Vec<RowError>,
) -> CatalogImport {
    errors.sort_by_key(|e| e.line);
    let count = |a: RowAction| rows.iter().filter(|r| r.action == a).count();
    CatalogImport {
        kind,
        dry_run,
        committed,
        created: count(RowAction::Create),
        updated: count(RowAction::Update),
        unchanged: count(RowAction::Unchanged),
        rows,
        errors,
    }
}

/// What an import's `Idempotency-Key` is bound to.
#[derive(Serialize)]
struct ImportRequest<'a> {
    kind: CatalogKind,
    csv: &'a str,
}

fn require_write(p: &Principal, kind: CatalogKind) -> Result<(), AppError> {
    p.require(Permission::CatalogWrite)?;
    if kind != CatalogKind::Items {
        p.require(Permission::RecipesWrite)?;
    }
    Ok(())
}

fn require_read(p: &Principal, kind: CatalogKind) -> Result<(), AppError> {
    match kind {
        CatalogKind::Items => p.require(Permission::CatalogRead),
        CatalogKind::Recipes | CatalogKind::MenuItems => p.require(Permission::RecipesRead),
    }
}

impl App {
    /// Imports a catalog CSV file of `kind` (`docs/catalog-csv.md`). With `dry_run`, plans
    /// every row (create, update or unchanged) and lists every bad row, writing nothing.
    /// Otherwise writes the whole file in one transaction, or nothing when any row is bad:
    /// then the answer has `committed: false` and every bad row. A retry with the same `key`
    /// answers the first import's report and writes nothing.
    ///
    /// # Errors
    /// 403 without `catalog.write` (and `recipes.write` for recipes and menu items); 422 on
    /// `body` (not UTF-8, not CSV, too many rows, naming the line) or `header` (a missing or
    /// unknown column); 409 on the key reused for another file; 412 when a record changed
    /// while the import was written.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id, kind = %kind))]
    pub async fn import_catalog(
        &self,
        p: Principal,
        kind: CatalogKind,
        csv_bytes: Vec<u8>,
        dry_run: bool,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<CatalogImport>, AppError> {
        require_write(&p, kind)?;
        let parsed = parse(kind, &csv_bytes)?;
        if dry_run {
            let value = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
                Box::pin(async move {
                    let (_, rows, errors) = plan(tx, parsed).await?;
                    Ok::<_, AppError>(report(kind, true, false, rows, errors))
                })
            })
            .await?;
            return Ok(Idempotent {
                value,
                replayed: false,
            });
        }
        let text = String::from_utf8_lossy(&csv_bytes);
        let request = ImportRequest { kind, csv: &text };
        // A file with bad rows rolls its transaction back; its report comes out this way.
        let refused: Arc<Mutex<Option<CatalogImport>>> = Arc::new(Mutex::new(None));
        let slot = refused.clone();
        let result = run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::CatalogImported,
            &request,
            move |tx| {
                Box::pin(async move {
                    let (plan, rows, errors) = plan(tx, parsed).await?;
                    if !errors.is_empty() {
                        let n = errors.len();
                        if let Ok(mut s) = slot.lock() {
                            *s = Some(report(kind, false, false, rows, errors));
                        }
                        return Err(AppError::invalid(
                            "body",
                            format!("{n} bad row(s): nothing was imported"),
                        ));
                    }
                    write(tx, plan).await?;
                    Ok(report(kind, false, true, rows, errors))
                })
            },
        )
        .await;
        match result {
            Ok(r) => Ok(r),
            Err(e) => match refused.lock().ok().and_then(|mut s| s.take()) {
                Some(value) => Ok(Idempotent {
                    value,
                    replayed: false,
                }),
                None => Err(crate::catalog::CONFLICTS.name(crate::menu::CONFLICTS.name(e))),
            },
        }
    }

    /// The tenant's catalog of `kind` as a CSV file in the layout [`App::import_catalog`]
    /// reads (header first, UTF-8, quantities and money as exact decimal strings), so that an
    /// export imported into an empty tenant gives the same catalog.
    ///
    /// # Errors
    /// 403 without `catalog.read` (items) or `recipes.read` (recipes, menu items).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id, kind = %kind))]
    pub async fn export_catalog(
        &self,
        p: Principal,
        kind: CatalogKind,
    ) -> Result<String, AppError> {
        require_read(&p, kind)?;
        let rows = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move { export_rows(tx, kind).await })
        })
        .await?;
        let mut w = csv::Writer::from_writer(Vec::new());
        let csv_error = |e: csv::Error| AppError::Internal(format!("writing CSV: {e}"));
        w.write_record(kind.columns()).map_err(csv_error)?;
        for r in rows {
            w.write_record(&r).map_err(csv_error)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| AppError::Internal(format!("writing CSV: {e}")))?;
        String::from_utf8(bytes).map_err(|e| AppError::Internal(e.to_string()))
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The rows of an export, each in the kind's column order.
async fn export_rows(
    tx: &mut dyn TenantTx,
    kind: CatalogKind,
) -> Result<Vec<Vec<String>>, AppError> {
    Ok(match kind {
        CatalogKind::Items => tx
            .list_items(&all_items_filter())
            .await?
            .into_iter()
            .map(|i| {
                let packs = i
                    .pack_sizes
                    .iter()
                    .map(|p| format!("{}={}", p.name, p.quantity))
                    .collect::<Vec<_>>()
                    .join(";");
                vec![
                    i.name,
                    i.sku.unwrap_or_default(),
                    i.category.unwrap_or_default(),
                    i.base_unit.to_string(),
                    opt(i.unit_cost),
                    if i.unit_cost.is_some() {
                        i.base_unit.to_string()
                    } else {
                        String::new()
                    },
                    i.barcode.unwrap_or_default(),
                    packs,
                ]
            })
            .collect(),
        CatalogKind::Recipes => {
            let items: HashMap<ItemId, String> = tx
                .all_item_units()
                .await?
                .into_iter()
                .map(|i| (i.id, i.name))
                .collect();
            let recipes = tx.all_recipes().await?;
            let names: HashMap<RecipeId, String> =
                recipes.iter().map(|r| (r.id, r.name.clone())).collect();
            let mut out = Vec::new();
            for r in recipes {
                for (i, l) in r.lines.iter().enumerate() {
                    let (component, ctype) = match l.component {
                        Component::Item(id) => (items.get(&id).cloned(), "item"),
                        Component::Recipe(id) => (names.get(&id).cloned(), "recipe"),
                    };
                    let first = i == 0;
                    out.push(vec![
                        r.name.clone(),
                        if first {
                            r.yield_quantity.to_string()
                        } else {
                            String::new()
                        },
                        if first {
                            r.yield_unit.to_string()
                        } else {
                            String::new()
                        },
                        if first {
                            r.notes.clone().unwrap_or_default()
                        } else {
                            String::new()
                        },
                        component.unwrap_or_default(),
                        ctype.to_owned(),
                        l.quantity.to_string(),
                        l.unit.to_string(),
                    ]);
                }
            }
            out
        }
        CatalogKind::MenuItems => {
            let names: HashMap<RecipeId, String> = tx
                .all_recipes()
                .await?
                .into_iter()
                .map(|r| (r.id, r.name))
                .collect();
            tx.all_menu_items()
                .await?
                .into_iter()
                .map(|m| {
                    vec![
                        m.name,
                        m.category.unwrap_or_default(),
                        m.recipe_id
                            .and_then(|r| names.get(&r).cloned())
                            .unwrap_or_default(),
                        m.portion.to_string(),
                        opt(m.price),
                    ]
                })
                .collect()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(errors: &[RowError]) -> Vec<(u64, &str)> {
        errors.iter().map(|e| (e.line, e.field.as_str())).collect()
    }

    #[test]
    fn every_bad_item_cell_is_reported_with_its_line_and_column() {
        let csv = "name,sku,category,base_unit,unit_cost,cost_unit,barcode,packs
Rice,,,kg,,,,
,SKU2,,g,,,,
Salt,,,g,-1,,,
Flour,,,g,,,4006381333932,
Oil,,,ml,1,g,,
Cumin,,,g,1.234567,kg,,
Sugar,,,g,,,,bag
Tea,,,g,0.0000001,,,
Milk,,,ml,,,,carton=0
Good,,,g,4.20,kg,,sack=10000;bag=1000
";
        let f = parse_items(csv.as_bytes()).unwrap();
        assert_eq!(
            at(&f.errors),
            vec![
                (2, "base_unit"),
                (3, "name"),
                (4, "unit_cost"),
                (5, "barcode"),
                (6, "cost_unit"),
                (7, "unit_cost"),
                (8, "packs"),
                (9, "unit_cost"),
                (10, "packs"),
            ]
        );
        assert_eq!(f.rows.len(), 1);
        let good = &f.rows[0];
        assert_eq!(good.line, 11);
        // 4.20 a kilo is exactly 0.0042 a gram.
        assert_eq!(good.valid.unit_cost, Some(Money::from_raw(4_200)));
        assert_eq!(
            good.valid.pack_sizes[0].quantity,
            Quantity::from_raw(10_000_000)
        );
    }

    #[test]
    fn a_file_that_is_not_utf8_csv_with_the_columns_is_refused_naming_the_line() {
        let msg = |r: Result<ItemsFile, AppError>| match r {
            Err(AppError::Validation { field, message }) => format!("{field}: {message}"),
            Err(e) => format!("other: {e}"),
            Ok(_) => "accepted".into(),
        };
        assert!(
            msg(parse_items(b"name,base_unit\nRice,g\nCaf\xe9,g\n"))
                .contains("line 3 is not UTF-8")
        );
        assert!(msg(parse_items(b"name,base_unit\nRice,g,x\n")).contains("line 2 has 3 fields"));
        assert!(msg(parse_items(b"name,colour\n")).starts_with("header: unknown column 'colour'"));
        assert!(
            msg(parse_items(b"name\nRice\n")).starts_with("header: missing column(s): base_unit")
        );
        assert!(msg(parse_items(b"name,name,base_unit\n")).contains("appears twice"));
        assert!(msg(parse_items(b"")).starts_with("body: is empty"));
        // A byte-order mark and blank lines are fine.
        let ok = parse_items("\u{feff}Name,Base_Unit\n\nRice,g\n".as_bytes()).unwrap();
        assert_eq!(ok.rows.len(), 1);
        assert_eq!(ok.rows[0].line, 3);
    }

    fn item_unit(name: &str, unit: BaseUnit) -> ItemUnitRow {
        ItemUnitRow {
            id: ItemId::new(),
            name: name.into(),
            base_unit: unit,
            unit_cost: Some(Money::from_raw(1_000)),
        }
    }

    #[test]
    fn recipes_resolve_sub_recipes_in_any_order_and_every_line_of_a_cycle_is_refused() {
        let items = [
            item_unit("Rice", BaseUnit::G),
            item_unit("Ghee", BaseUnit::G),
        ];
        let csv = "recipe,yield_quantity,yield_unit,notes,component,component_type,quantity,unit
Plate,1,ea,,Base,,300,g
Base,2500,g,,Rice,item,1,kg
Base,,,,Ghee,,50,g
Gravy,1000,g,,Stock,,500,g
Stock,1000,g,,Gravy,recipe,100,g
Loop,1,ea,,Loop,,1,ea
Naan,10,ea,,Flour,,1,kg
Oil dish,1,ea,,Ghee,,1,l
Plate,,,,Ghee,,5,g
";
        let file = parse_recipes(csv.as_bytes()).unwrap();
        assert!(file.errors.is_empty(), "{:?}", file.errors);
        let plan = plan_recipes(file, &items, &[]);
        let mut errors = at(&plan.errors);
        errors.sort_unstable();
        assert_eq!(
            errors,
            vec![
                (5, "component"),
                (6, "component"),
                (7, "component"),
                (8, "component"),
                (9, "unit"),
            ]
        );
        let cycle = plan
            .errors
            .iter()
            .filter(|e| e.message.contains("cycle"))
            .count();
        assert_eq!(cycle, 2, "{:?}", plan.errors);
        assert!(
            plan.errors
                .iter()
                .any(|e| e.line == 7 && e.message.contains("cannot use itself"))
        );
        // Plate names Base before Base's rows; Base is written first.
        let names: Vec<&str> = plan.writes.iter().map(|(r, _)| r.name.as_str()).collect();
        assert_eq!(names, vec!["Base", "Plate"]);
        assert_eq!(plan.writes[1].0.lines.len(), 2);
    }

    #[test]
    fn a_recipe_row_repeating_the_head_differently_or_missing_it_is_refused() {
        let csv = "recipe,yield_quantity,yield_unit,notes,component,component_type,quantity,unit
Plate,1,ea,Hot,Rice,,300,g
Plate,2,ea,,Rice,,1,g
Plate,,g,Cold,Rice,,1,g
Bowl,,,,Rice,,1,g
Cup,1,ea,,Rice,thing,-1,pinch
";
        let file = parse_recipes(csv.as_bytes()).unwrap();
        assert_eq!(
            at(&file.errors),
            vec![
                (3, "yield_quantity"),
                (4, "yield_unit"),
                (4, "notes"),
                (5, "yield_quantity"),
                (5, "yield_unit"),
                (6, "component_type"),
                (6, "unit"),
            ]
        );
        assert!(file.recipes.iter().all(|r| r.name.as_str() == "Cup") || file.recipes.is_empty());
        // A negative quantity is refused by the recipe command's own rule, on its line.
        let items = [item_unit("Rice", BaseUnit::G)];
        let file = parse_recipes(
            "recipe,yield_quantity,yield_unit,component,quantity,unit\nCup,1,ea,Rice,-1,g\n"
                .as_bytes(),
        )
        .unwrap();
        let plan = plan_recipes(file, &items, &[]);
        assert_eq!(at(&plan.errors), vec![(2, "quantity")]);
    }

    #[test]
    fn menu_items_check_portion_price_and_recipe_per_line() {
        let csv = "name,category,recipe,portion,price
Dal,Curries,Dal,0,1
Naan,Breads,,1,-2
Rice,Sides,Nothing,1,2
Water,Drinks,,,1.50
Water,Drinks,,,1.60
";
        let file = parse_menu_items(csv.as_bytes()).unwrap();
        assert_eq!(at(&file.errors), vec![(2, "portion"), (3, "price")]);
        let book = Book::from_rows(&[], &[], Vec::new());
        let plan = plan_menu_items(file, book, &[]);
        assert_eq!(
            at(&plan.errors),
            vec![(2, "portion"), (3, "price"), (4, "recipe"), (6, "name")]
        );
        assert_eq!(plan.rows.len(), 1);
        assert_eq!(plan.rows[0].action, RowAction::Create);
    }

    #[test]
    fn costs_per_a_stated_unit_convert_exactly_or_are_refused() {
        let m = |s: &str| Money::parse(s).unwrap();
        assert_eq!(
            cost_per_base(m("4.20"), Unit::Kg, BaseUnit::G),
            Ok(m("0.0042"))
        );
        assert_eq!(
            cost_per_base(m("3.60"), Unit::Dozen, BaseUnit::Ea),
            Ok(m("0.3"))
        );
        assert_eq!(cost_per_base(m("2"), Unit::L, BaseUnit::Ml), Ok(m("0.002")));
        assert!(cost_per_base(m("1.234567"), Unit::Kg, BaseUnit::G).is_err());
        assert!(cost_per_base(m("1"), Unit::Kg, BaseUnit::Ml).is_err());
        // 0.001 a milligram is 1 a gram.
        assert_eq!(cost_per_base(m("0.001"), Unit::Mg, BaseUnit::G), Ok(m("1")));
    }
}
