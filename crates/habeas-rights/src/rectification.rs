//! Rectification planning (Art. 16 GDPR): which fields of a record change and
//! what each change needs first.
//!
//! Why a plan: a critical identifier — a field declared `critical` that is
//! also a lookup identifier or a contact (e-mail, phone) — is how the subject
//! proves who they are. Changing it on the word of a request would hand the
//! account to whoever sent it, so its new value must be verified first (a
//! code sent to the new address). Other critical fields change only on a
//! request whose identity is verified; ordinary fields change directly.
//! Identifier fields are re-indexed (the blind index follows the value). Pure.

use std::collections::BTreeMap;

use habeas_core::declarations::{Declarations, FieldType};
use serde::{Deserialize, Serialize};

/// How the new value of a critical identifier is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    Email,
    Phone,
}

/// What a change needs before it is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum ChangeCheck {
    /// An ordinary field.
    None,
    /// A critical field: only on an identity-verified request.
    VerifiedRequest,
    /// A critical identifier: a code sent to the new value must come back.
    NewValue { via: ContactKind },
}

/// One field change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub new_value: String,
    /// An identifier: its blind index must be recomputed.
    pub reindex: bool,
    pub check: ChangeCheck,
}

/// The rectification of one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RectificationPlan {
    pub category: String,
    pub record_id: String,
    pub changes: Vec<FieldChange>,
}

impl RectificationPlan {
    /// The changes whose new value must be verified first.
    pub fn needing_new_value_verification(&self) -> impl Iterator<Item = &FieldChange> {
        self.changes
            .iter()
            .filter(|c| matches!(c.check, ChangeCheck::NewValue { .. }))
    }
}

/// Why a rectification cannot be planned. Messages name fields, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RectificationError {
    #[error("category `{category}` is not declared; use one of: {known}")]
    UnknownCategory { category: String, known: String },
    #[error("category `{category}` has no field `{field}`; its fields are: {allowed}")]
    UnknownField {
        category: String,
        field: String,
        allowed: String,
    },
    #[error("the rectification changes nothing: every new value equals the stored one")]
    NoChange,
}

/// Plan the change of `changes` (field → new value) on a record of
/// `category` whose current values are `current`.
pub fn plan_rectification(
    decls: &Declarations,
    category: &str,
    record_id: &str,
    current: &BTreeMap<String, String>,
    changes: &BTreeMap<String, String>,
) -> Result<RectificationPlan, RectificationError> {
    let Some(declared) = decls.category(category) else {
        return Err(RectificationError::UnknownCategory {
            category: category.chars().take(64).collect(),
            known: decls
                .categories
                .keys()
                .map(|k| k.get_ref().as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    let mut out = Vec::new();
    for (field, new_value) in changes {
        let Some(field_type) = declared.field(field) else {
            return Err(RectificationError::UnknownField {
                category: category.to_string(),
                field: field.chars().take(64).collect(),
                allowed: declared.field_names().collect::<Vec<_>>().join(", "),
            });
        };
        if current.get(field) == Some(new_value) {
            continue;
        }
        let identifier = declared.is_identifier(field);
        let contact = match field_type {
            FieldType::Email => Some(ContactKind::Email),
            FieldType::Phone => Some(ContactKind::Phone),
            _ => None,
        };
        let check = match (declared.is_critical(field), identifier, contact) {
            (false, _, _) => ChangeCheck::None,
            (true, _, Some(via)) => ChangeCheck::NewValue { via },
            (true, _, None) => ChangeCheck::VerifiedRequest,
        };
        out.push(FieldChange {
            field: field.clone(),
            new_value: new_value.clone(),
            reindex: identifier,
            check,
        });
    }
    if out.is_empty() {
        return Err(RectificationError::NoChange);
    }
    Ok(RectificationPlan {
        category: category.to_string(),
        record_id: record_id.to_string(),
        changes: out,
    })
}
