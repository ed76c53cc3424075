//! tenancy pages: the tenant's settings (owners change them; everyone else reads them), the
//! currency, time zone and day-start fields that sign-up shares, and the locations (listed
//! for everyone who reads the catalog; added and renamed by those who write it).

mod storage_areas;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use larder_app::AppError;
use larder_app::tenancy::{
    COMMON_CURRENCIES, Location, LocationCommand, Settings, SettingsCommand, time_zone_names,
};
use larder_core::auth::Permission;
use larder_core::inventory::costing::ValuationMethod;
use larder_core::tenancy::{LocationKind, UnitSystem, WeekStart};
use larder_core::{LocationId, Money, Name};
use serde::Deserialize;

use super::error::{PageError, render};
use super::forms::{Fields, message, shown_again, text};
use super::session::{SameOrigin, Session};
use crate::AppState;

/// `GET /settings`, `POST /settings`; `GET /locations`, `POST /locations` (add),
/// `GET /locations/{id}/edit`, `POST /locations/{id}` (save with the version read).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings", get(settings).post(save_settings))
        .route("/locations", get(locations).post(create_location))
        .route("/locations/{id}", axum::routing::post(save_location))
        .route("/locations/{id}/edit", get(edit_location))
        .merge(storage_areas::router())
}

/// A location as the list shows it.
struct LocationView {
    id: LocationId,
    name: String,
    kind: &'static str,
}

fn kind_text(k: LocationKind) -> &'static str {
    match k {
        LocationKind::CentralKitchen => "Central kitchen",
        LocationKind::Outlet => "Outlet",
    }
}

/// The location form as typed.
#[derive(Clone, Debug, Default)]
struct LocationForm {
    name: String,
    kind: String,
    version: String,
}

impl LocationForm {
    fn of(l: &Location) -> Self {
        Self {
            name: l.name.clone(),
            kind: l.kind.to_string(),
            version: l.version.to_string(),
        }
    }

    fn typed(f: &Fields) -> Self {
        Self {
            name: f.get("name").to_owned(),
            kind: f.get("kind").to_owned(),
            version: f.get("version").to_owned(),
        }
    }
}

fn location_command(f: &Fields) -> Result<LocationCommand, AppError> {
    Ok(LocationCommand {
        name: text("name", f.get("name"), Name::parse)?,
        kind: f
            .get("kind")
            .parse::<LocationKind>()
            .map_err(|e| AppError::invalid("kind", e))?,
    })
}

#[derive(Template)]
#[template(path = "tenancy/locations.html")]
struct LocationsPage {
    nav: &'static str,
    tenant_name: String,
    editable: bool,
    saved: bool,
    error: Option<String>,
    locations: Vec<LocationView>,
    form: LocationForm,
}

#[derive(Template)]
#[template(path = "tenancy/location_form.html")]
struct LocationFormPage {
    nav: &'static str,
    tenant_name: String,
    id: LocationId,
    error: Option<String>,
    form: LocationForm,
}

async fn locations_page(
    s: &AppState,
    p: larder_app::Principal,
    form: LocationForm,
    error: Option<String>,
) -> Result<LocationsPage, PageError> {
    let me = s.app.me(p).await?;
    let list = s.app.list_locations(p, Some(500), None).await?;
    Ok(LocationsPage {
        nav: "locations",
        tenant_name: me.tenant_name,
        editable: p.require(Permission::CatalogWrite).is_ok(),
        saved: false,
        error,
        locations: list
            .data
            .into_iter()
            .map(|l| LocationView {
                id: l.id,
                kind: kind_text(l.kind),
                name: l.name,
            })
            .collect(),
        form,
    })
}

/// The locations (500 at most: a group has tens) and, for those who may, the add form.
async fn locations(
    State(s): State<AppState>,
    Session(p): Session,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let form = LocationForm {
        kind: "outlet".into(),
        ..LocationForm::default()
    };
    let mut page = locations_page(&s, p, form, None).await?;
    page.saved = q.saved.is_some();
    render(&page)
}

/// Adds a location and shows the list; a refused one shows the list again with what was
/// typed and the reason.
async fn create_location(
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    p.require(Permission::CatalogWrite)?;
    let f = Fields(f);
    let result = match location_command(&f) {
        Ok(cmd) => s.app.create_location(p, cmd, None).await.map(drop),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/locations?saved=1").into_response()),
        Err(e) => match shown_again(&e) {
            Some(status) => {
                let page =
                    locations_page(&s, p, LocationForm::typed(&f), Some(message(&e))).await?;
                with_status(render(&page)?, status)
            }
            None => Err(e.into()),
        },
    }
}

/// The edit form of one location, with its version.
async fn edit_location(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<LocationId>,
) -> Result<Response, PageError> {
    p.require(Permission::CatalogWrite)?;
    let me = s.app.me(p).await?;
    let l = s.app.get_location(p, id).await?;
    render(&LocationFormPage {
        nav: "locations",
        tenant_name: me.tenant_name,
        id,
        error: None,
        form: LocationForm::of(&l),
    })
}

/// Saves a location when the form's version is still current: a stale form is shown again
/// (412) with the current values and a sentence saying nothing was saved.
async fn save_location(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<LocationId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    p.require(Permission::CatalogWrite)?;
    let f = Fields(f);
    let result = match (location_command(&f), f.version()) {
        (Ok(cmd), Ok(v)) => s.app.update_location(p, id, cmd, v).await.map(drop),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/locations?saved=1").into_response()),
        Err(e) => match shown_again(&e) {
            Some(status) => {
                let me = s.app.me(p).await?;
                let form = if status == StatusCode::PRECONDITION_FAILED {
                    LocationForm::of(&s.app.get_location(p, id).await?)
                } else {
                    LocationForm::typed(&f)
                };
                let page = LocationFormPage {
                    nav: "locations",
                    tenant_name: me.tenant_name,
                    id,
                    error: Some(message(&e)),
                    form,
                };
                with_status(render(&page)?, status)
            }
            None => Err(e.into()),
        },
    }
}

/// `res` with `status`.
pub(crate) fn with_status(mut res: Response, status: StatusCode) -> Result<Response, PageError> {
    *res.status_mut() = status;
    Ok(res)
}

/// The sign-up and settings fields for currency, time zone and the day's start, as typed.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct LocaleForm {
    pub currency: String,
    pub time_zone: String,
    /// `HH:MM`, from midnight to noon.
    pub day_cutoff: String,
}

impl Default for LocaleForm {
    fn default() -> Self {
        Self {
            currency: "GBP".into(),
            time_zone: "Europe/London".into(),
            day_cutoff: "04:00".into(),
        }
    }
}

/// Minutes after midnight of an `HH:MM` time.
///
/// # Errors
/// 422 on `day_cutoff` when it is not one.
pub(crate) fn cutoff_minutes(hhmm: &str) -> Result<i32, AppError> {
    let bad = || {
        AppError::invalid(
            "day_cutoff",
            "give a time such as 04:00, from 00:00 to 12:00",
        )
    };
    let (h, m) = hhmm.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (i32, i32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(0..=12).contains(&h) || !(0..60).contains(&m) || h * 60 + m > 720 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// `HH:MM` of minutes after midnight.
pub(crate) fn hhmm(minutes: i32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// What the settings form shows beside the locale, as text.
struct SettingsForm {
    week_start: String,
    units: String,
    approval_threshold: String,
    valuation_method: String,
}

impl From<&Settings> for SettingsForm {
    fn from(s: &Settings) -> Self {
        Self {
            week_start: s.week_start.to_string(),
            units: s.units.to_string(),
            approval_threshold: s
                .approval_threshold
                .map(|m| m.to_string())
                .unwrap_or_default(),
            valuation_method: s.valuation_method.to_string(),
        }
    }
}

const WEEK_STARTS: [(&str, &str); 7] = [
    ("monday", "Monday"),
    ("tuesday", "Tuesday"),
    ("wednesday", "Wednesday"),
    ("thursday", "Thursday"),
    ("friday", "Friday"),
    ("saturday", "Saturday"),
    ("sunday", "Sunday"),
];

#[derive(Template)]
#[template(path = "tenancy/settings.html")]
struct SettingsPage {
    nav: &'static str,
    tenant_name: String,
    editable: bool,
    saved: bool,
    error: Option<String>,
    version: i64,
    locale: LocaleForm,
    form: SettingsForm,
    currencies: &'static [&'static str],
    time_zones: Vec<&'static str>,
    week_starts: &'static [(&'static str, &'static str)],
}

impl SettingsPage {
    fn new(s: &Settings, editable: bool) -> Self {
        Self {
            nav: "settings",
            tenant_name: s.name.clone(),
            editable,
            saved: false,
            error: None,
            version: s.version,
            locale: LocaleForm {
                currency: s.currency.clone(),
                time_zone: s.time_zone.clone(),
                day_cutoff: hhmm(s.day_cutoff_minutes),
            },
            form: SettingsForm::from(s),
            currencies: &COMMON_CURRENCIES,
            time_zones: time_zone_names(),
            week_starts: &WEEK_STARTS,
        }
    }
}

#[derive(Deserialize)]
struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

async fn settings(
    State(s): State<AppState>,
    Session(p): Session,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let current = s.app.get_settings(p).await?;
    let editable = p.require(Permission::TenantManage).is_ok();
    let mut page = SettingsPage::new(&current, editable);
    page.saved = q.saved.is_some();
    render(&page)
}

#[derive(Deserialize)]
struct SettingsFormData {
    version: i64,
    #[serde(flatten)]
    locale: LocaleForm,
    week_start: String,
    units: String,
    #[serde(default)]
    approval_threshold: String,
    #[serde(default)]
    valuation_method: String,
}

fn settings_command(f: &SettingsFormData) -> Result<SettingsCommand, AppError> {
    let threshold = f.approval_threshold.trim();
    let method = f.valuation_method.trim();
    Ok(SettingsCommand {
        valuation_method: if method.is_empty() {
            None
        } else {
            Some(
                method
                    .parse::<ValuationMethod>()
                    .map_err(|e| AppError::invalid("valuation_method", e))?,
            )
        },
        currency: f.locale.currency.trim().to_owned(),
        time_zone: f.locale.time_zone.trim().to_owned(),
        day_cutoff_minutes: cutoff_minutes(&f.locale.day_cutoff)?,
        week_start: f
            .week_start
            .parse::<WeekStart>()
            .map_err(|e| AppError::invalid("week_start", e))?,
        units: f
            .units
            .parse::<UnitSystem>()
            .map_err(|e| AppError::invalid("units", e))?,
        approval_threshold: if threshold.is_empty() {
            None
        } else {
            Some(
                Money::parse(threshold)
                    .map_err(|e| AppError::invalid("approval_threshold", e.to_string()))?,
            )
        },
    })
}

/// Saves and shows the page again with "Saved."; a refused value shows the form again (422)
/// with what was typed and the reason, and a form read before someone else saved is a 412
/// page with the current values.
async fn save_settings(
    _: SameOrigin,
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<SettingsFormData>,
) -> Result<Response, PageError> {
    let result = match settings_command(&f) {
        Ok(cmd) => s.app.update_settings(p, cmd, Some(f.version)).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/settings?saved=1").into_response()),
        Err(e @ (AppError::Validation { .. } | AppError::PreconditionFailed(_))) => {
            let status = if matches!(e, AppError::PreconditionFailed(_)) {
                StatusCode::PRECONDITION_FAILED
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let current = s.app.get_settings(p).await?;
            let mut page = SettingsPage::new(&current, true);
            page.error = Some(e.to_string());
            if status == StatusCode::UNPROCESSABLE_ENTITY {
                page.locale = f.locale;
                page.form = SettingsForm {
                    week_start: f.week_start,
                    units: f.units,
                    approval_threshold: f.approval_threshold,
                    valuation_method: f.valuation_method,
                };
                page.version = f.version;
            }
            let mut res = render(&page)?;
            *res.status_mut() = status;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_starts_read_as_times_from_midnight_to_noon() {
        assert_eq!(cutoff_minutes("04:00").ok(), Some(240));
        assert_eq!(cutoff_minutes(" 12:00 ").ok(), Some(720));
        assert_eq!(cutoff_minutes("00:15").ok(), Some(15));
        assert!(cutoff_minutes("13:00").is_err());
        assert!(cutoff_minutes("4").is_err());
        assert!(cutoff_minutes("04:60").is_err());
        assert!(cutoff_minutes("12:30").is_err());
        assert_eq!(hhmm(240), "04:00");
    }
}
