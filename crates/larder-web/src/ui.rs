//! The web UI (placeholder module replaced below).
use axum::Router;

use crate::AppState;

pub fn router(_state: AppState) -> Router<AppState> {
    Router::new()
}
