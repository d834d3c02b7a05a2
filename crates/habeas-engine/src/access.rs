//! Who is calling and what they may touch (SPEC C6; Art. 5(1)(b) purpose
//! limitation, Art. 25(2) access limited to what each purpose needs,
//! Art. 32(4)).
//!
//! Application tokens are scoped to declared purposes (activities) and,
//! optionally, to a subset of categories. A token may use a category for a
//! purpose only if the declarations say that activity processes that
//! category. Tokens are shown once at creation (`hbs_<id>_<secret>`); the
//! database keeps only the SHA-256 digest of the secret, compared in
//! constant time.

use habeas_core::declarations::Declarations;
use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{EngineError, Refusal, Result};

/// A stored application token (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Token {
    pub id: String,
    pub name: String,
    pub purposes: Vec<String>,
    /// Empty: every category the purposes process.
    pub categories: Vec<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// The caller of an engine operation.
#[derive(Debug, Clone)]
pub struct Caller {
    /// As written in the journal: `token:<id>:<name>`, `cli`, `demo`.
    pub actor: String,
    pub scope: Scope,
    /// The purpose the caller states for this call.
    pub purpose: Option<String>,
}

/// What the caller may do.
#[derive(Debug, Clone)]
pub enum Scope {
    /// The operator on the command line (holds the keys anyway).
    Operator,
    Token(Token),
}

impl Caller {
    /// The operator, acting for `purpose`.
    pub fn operator(actor: &str, purpose: &str) -> Caller {
        Caller {
            actor: actor.to_string(),
            scope: Scope::Operator,
            purpose: Some(purpose.to_string()),
        }
    }

    /// A token holder, stating `purpose` (or its only purpose).
    pub fn token(token: Token, purpose: Option<String>) -> Caller {
        let purpose =
            purpose.or_else(|| (token.purposes.len() == 1).then(|| token.purposes[0].clone()));
        Caller {
            actor: format!("token:{}:{}", token.id, token.name),
            scope: Scope::Token(token),
            purpose,
        }
    }

    /// Decide whether the caller may use `category`; returns the purpose to journal.
    pub fn authorize(&self, decls: &Declarations, category: &str) -> Result<String, Refusal> {
        match &self.scope {
            Scope::Operator => Ok(self
                .purpose
                .clone()
                .unwrap_or_else(|| "administration".into())),
            Scope::Token(token) => {
                let Some(purpose) = self.purpose.clone() else {
                    return Err(Refusal::new(
                        "purpose_required",
                        format!(
                            "ce jeton sert plusieurs finalités ({}) : indiquez la finalité (en-tête X-Habeas-Purpose)",
                            token.purposes.join(", ")
                        ),
                        format!(
                            "this token serves several purposes ({}): state the purpose (X-Habeas-Purpose header)",
                            token.purposes.join(", ")
                        ),
                    )
                    .category(category));
                };
                if !token.purposes.contains(&purpose) {
                    return Err(Refusal::new(
                        "purpose_not_allowed",
                        format!("ce jeton n'est pas autorisé pour la finalité « {purpose} » (autorisées : {})", token.purposes.join(", ")),
                        format!("this token is not allowed purpose `{purpose}` (allowed: {})", token.purposes.join(", ")),
                    )
                    .category(category));
                }
                let processed = decls
                    .activity(&purpose)
                    .is_some_and(|a| a.categories.iter().any(|c| c.get_ref() == category));
                if !processed {
                    return Err(Refusal::new(
                        "category_not_in_purpose",
                        format!("la finalité « {purpose} » ne traite pas la catégorie « {category} » (déclarations)"),
                        format!("purpose `{purpose}` does not process category `{category}` (declarations)"),
                    )
                    .category(category));
                }
                if !token.categories.is_empty() && !token.categories.iter().any(|c| c == category) {
                    return Err(Refusal::new(
                        "category_not_allowed",
                        format!("ce jeton n'est pas autorisé pour la catégorie « {category} »"),
                        format!("this token is not allowed category `{category}`"),
                    )
                    .category(category));
                }
                Ok(purpose)
            }
        }
    }
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)
        .map_err(|e| EngineError::Storage(format!("the OS random generator failed: {e}")))?;
    Ok(hex::encode(buf))
}

/// A fresh identifier with a prefix (`sub_`, `rec_`): 48 bits of
/// milliseconds then 48 random bits, so new rows land at the right edge of
/// the primary-key B-trees instead of on random pages (bulk ingest speed),
/// while staying unguessable within a millisecond.
pub fn new_id(prefix: &str) -> Result<String> {
    let millis = chrono::Utc::now().timestamp_millis().max(0) as u64 & 0xffff_ffff_ffff;
    Ok(format!("{prefix}{millis:012x}{}", random_hex(6)?))
}

/// Check a new token's scope against the declarations.
pub fn check_scope(decls: &Declarations, purposes: &[String], categories: &[String]) -> Result<()> {
    if purposes.is_empty() {
        return Err(EngineError::invalid(
            "purposes_required",
            "un jeton doit être limité à au moins une finalité (--purposes)",
            "a token must be limited to at least one purpose (--purposes)",
        ));
    }
    for p in purposes {
        if decls.activity(p).is_none() {
            let known: Vec<&str> = decls
                .activities
                .keys()
                .map(|k| k.get_ref().as_str())
                .collect();
            return Err(EngineError::invalid(
                "unknown_purpose",
                format!(
                    "finalité « {p} » non déclarée ; finalités déclarées : {}",
                    known.join(", ")
                ),
                format!(
                    "purpose `{p}` is not declared; declared purposes: {}",
                    known.join(", ")
                ),
            ));
        }
    }
    for c in categories {
        let served = purposes.iter().any(|p| {
            decls
                .activity(p)
                .is_some_and(|a| a.categories.iter().any(|x| x.get_ref() == c))
        });
        if !served {
            return Err(EngineError::Invalid(
                Refusal::new(
                    "category_not_in_purpose",
                    format!("aucune des finalités du jeton ne traite la catégorie « {c} »"),
                    format!("none of the token's purposes processes category `{c}`"),
                )
                .category(c),
            ));
        }
    }
    Ok(())
}

/// Insert a token; returns it and the secret string shown once.
pub fn insert_token(
    conn: &Connection,
    name: &str,
    purposes: &[String],
    categories: &[String],
    now: i64,
) -> Result<(Token, String)> {
    let id = random_hex(8)?;
    let secret = random_hex(32)?;
    let digest = Sha256::digest(secret.as_bytes());
    conn.execute(
        "INSERT INTO tokens (id, name, digest, purposes, categories, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![
            id,
            name,
            &digest[..],
            serde_json::to_string(purposes).unwrap_or_default(),
            serde_json::to_string(categories).unwrap_or_default(),
            now
        ],
    )?;
    let token = Token {
        id: id.clone(),
        name: name.to_string(),
        purposes: purposes.to_vec(),
        categories: categories.to_vec(),
        created_at: now,
        revoked_at: None,
    };
    Ok((token, format!("hbs_{id}_{secret}")))
}

fn row_to_token(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Token, Vec<u8>)> {
    let purposes: String = r.get(2)?;
    let categories: String = r.get(3)?;
    Ok((
        Token {
            id: r.get(0)?,
            name: r.get(1)?,
            purposes: serde_json::from_str(&purposes).unwrap_or_default(),
            categories: serde_json::from_str(&categories).unwrap_or_default(),
            created_at: r.get(4)?,
            revoked_at: r.get(5)?,
        },
        r.get(6)?,
    ))
}

const TOKEN_COLUMNS: &str = "id, name, purposes, categories, created_at, revoked_at, digest";

/// Every token, newest first.
pub fn list_tokens(conn: &Connection) -> Result<Vec<Token>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY created_at DESC, id"
    ))?;
    let rows = stmt.query_map([], row_to_token)?;
    Ok(rows
        .map(|r| r.map(|(t, _)| t))
        .collect::<rusqlite::Result<_>>()?)
}

fn unauthenticated(code: &'static str) -> EngineError {
    EngineError::Unauthenticated(Refusal::new(
        code,
        "jeton absent, invalide ou révoqué (en-tête Authorization: Bearer hbs_…)",
        "missing, invalid or revoked token (Authorization: Bearer hbs_… header)",
    ))
}

/// Authenticate a presented token string.
pub fn authenticate(conn: &Connection, presented: &str) -> Result<Token> {
    let rest = presented
        .strip_prefix("hbs_")
        .ok_or_else(|| unauthenticated("bad_token"))?;
    let (id, secret) = rest
        .split_once('_')
        .ok_or_else(|| unauthenticated("bad_token"))?;
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(unauthenticated("bad_token"));
    }
    let found = conn
        .prepare_cached(&format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ?1"))?
        .query_row([id], row_to_token)
        .optional()?;
    // Compare a digest even when the id is unknown, so timing says nothing.
    let (token, digest) = found.unwrap_or_else(|| {
        (
            Token {
                id: String::new(),
                name: String::new(),
                purposes: vec![],
                categories: vec![],
                created_at: 0,
                revoked_at: Some(0),
            },
            vec![0u8; 32],
        )
    });
    let presented_digest = Sha256::digest(secret.as_bytes());
    let same: bool = presented_digest.as_slice().ct_eq(digest.as_slice()).into();
    if !same || token.revoked_at.is_some() {
        return Err(unauthenticated("bad_token"));
    }
    Ok(token)
}

/// Revoke a token by id; returns whether it existed and was active.
pub fn revoke(conn: &Connection, id: &str, now: i64) -> Result<bool> {
    let n = conn.execute(
        "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        rusqlite::params![id, now],
    )?;
    Ok(n > 0)
}
