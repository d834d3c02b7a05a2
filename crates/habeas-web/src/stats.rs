//! `GET /api/stats/{category}`: aggregated figures that single nobody out
//! (SPEC C2; `habeas_engine::stats`). The token's stated purpose must be a
//! declared activity processing the category; subjects whose processing is
//! limited for it are left out, and cells of fewer subjects than
//! `min_subjects` are withheld. The run is journaled as one entry.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::get;
use habeas_core::stats::{DEFAULT_MIN_SUBJECTS, Period};
use habeas_engine::StatsQuery;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{Credential, purpose};
use crate::dto::ErrorBody;
use crate::error::{ApiError, ApiQuery};
use crate::{AppState, blocking};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/api/stats/{category}", get(category_stats))
}

/// What to count. Every parameter is optional.
#[derive(Debug, Deserialize, IntoParams)]
pub struct StatsParams {
    /// Declared fields to group by, comma-separated (generalised: a date to
    /// its month, an IP address to its network…); identifiers and free text
    /// are refused.
    pub by: Option<String>,
    /// `day`, `week` (ISO), `month` (default), `year` or `all`.
    #[param(pattern = "^(day|week|month|year|all)$")]
    pub period: Option<String>,
    /// Withhold cells of fewer distinct subjects than this (default 5, at least 2).
    #[param(pattern = "^[0-9]+$")]
    pub min_subjects: Option<String>,
}

/// One published cell.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsCell {
    /// The period, then the grouping fields' generalised values ("" when a
    /// record lacks the field, "(invalid)" when it does not parse).
    pub key: Vec<String>,
    pub records: u64,
    /// Distinct subjects with a record in the cell.
    pub subjects: u64,
}

/// The published figures and what they cover.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsOut {
    pub category: String,
    pub purpose: String,
    pub period: String,
    /// The key columns: `period`, then the grouping fields.
    pub columns: Vec<String>,
    /// How each grouping field was generalised: `as_is`, `year`, `month`,
    /// `ip_network`, `url_path`, `age_band` or `department`.
    pub generalised: BTreeMap<String, String>,
    /// Subjects and records counted, withheld cells included.
    pub subjects: u64,
    pub records: u64,
    /// Subjects left out: processing limited for the purpose (Art. 18, 21, 7(3)).
    pub excluded_subjects: u64,
    pub min_subjects: u32,
    pub cells: Vec<StatsCell>,
    /// Cells of fewer than `min_subjects` subjects: neither their values nor their counts are given.
    pub withheld_cells: u64,
    /// Records in the published cells.
    pub published_records: u64,
}

/// Aggregated statistics over one category (audited).
#[utoipa::path(get, path = "/api/stats/{category}",
    params(("category" = String, Path, description = "a declared category"), StatsParams,
           ("X-Habeas-Purpose" = Option<String>, Header, description = "the declared activity the figures are for")),
    responses((status = 200, body = StatsOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn category_stats(
    State(state): State<AppState>,
    Path(category): Path<String>,
    ApiQuery(params): ApiQuery<StatsParams>,
    credential: Credential,
    headers: HeaderMap,
) -> Result<Json<StatsOut>, ApiError> {
    let query = query(category, params)?;
    let p = purpose(&headers);
    // Every subject's rows are read: on the blocking pool.
    let report = blocking(&state, move |v| {
        let caller = credential.caller(v, p)?;
        v.statistics(&caller, &query)
    })
    .await?;
    let published = report.published;
    Ok(Json(StatsOut {
        category: report.category,
        purpose: report.purpose,
        period: report.period.to_string(),
        columns: report.columns,
        generalised: report
            .generalised
            .into_iter()
            .map(|(f, how)| (f, how.code().to_string()))
            .collect(),
        subjects: report.subjects,
        records: report.records,
        excluded_subjects: report.excluded_subjects,
        min_subjects: published.min_subjects,
        cells: published
            .cells
            .into_iter()
            .map(|c| StatsCell {
                key: c.key,
                records: c.records,
                subjects: c.subjects,
            })
            .collect(),
        withheld_cells: published.withheld_cells,
        published_records: published.published_records,
    }))
}

/// The query from the parameters, or a 400 naming the one that is wrong.
fn query(category: String, params: StatsParams) -> Result<StatsQuery, ApiError> {
    let period = match params.period.as_deref() {
        None => Period::Month,
        Some(text) => text.parse::<Period>().map_err(|_| {
            ApiError::bad_request(
                "invalid_period",
                format!(
                    "paramètre period : « {text} » inconnu ; utilisez day, week, month, year ou all"
                ),
                format!("parameter period: unknown `{text}`; use day, week, month, year or all"),
            )
        })?,
    };
    let min_subjects = match params.min_subjects.as_deref() {
        None => DEFAULT_MIN_SUBJECTS,
        Some(text) => text.trim().parse::<u32>().map_err(|_| {
            ApiError::bad_request(
                "invalid_min_subjects",
                "paramètre min_subjects : un nombre entier de personnes est attendu (par exemple 5)",
                "parameter min_subjects: a whole number of subjects is expected (for example 5)",
            )
        })?,
    };
    let by = params
        .by
        .as_deref()
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok(StatsQuery {
        category,
        by,
        period,
        min_subjects,
    })
}
