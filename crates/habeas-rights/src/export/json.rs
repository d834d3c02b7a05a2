//! JSON rendering of the exports: pretty-printed UTF-8, the schema id first.

use serde::Serialize;

use super::model::{AccessExport, PortabilityExport};
use crate::error::RightsError;

fn pretty(value: &impl Serialize) -> Result<Vec<u8>, RightsError> {
    let mut out = serde_json::to_vec_pretty(value).map_err(|e| RightsError::Render {
        format: "JSON",
        detail: e.to_string(),
    })?;
    out.push(b'\n');
    Ok(out)
}

/// `habeas.access-export/1` as JSON bytes.
pub fn access_json(export: &AccessExport) -> Result<Vec<u8>, RightsError> {
    pretty(export)
}

/// `habeas.portability-export/1` as JSON bytes.
pub fn portability_json(export: &PortabilityExport) -> Result<Vec<u8>, RightsError> {
    pretty(export)
}
