//! The password policy (what a staff member may choose) and argon2id hashing.
//!
//! Why here and pure: the rules are ASVS V6.2 (length, no truncation, Unicode
//! allowed, no login inside, breached list) and are tested alone; the hashing
//! functions are called only from the bounded [`crate::pool::HashPool`].

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use habeas_core::lang::Lang;

use crate::config::HashParams;
use crate::error::AuthError;

/// Longest password accepted, in characters (ASVS V6.2.9 asks at least 64;
/// the bound keeps a request from feeding megabytes to argon2).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Why a new password is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort { min: usize },
    TooLong { max: usize },
    ContainsLogin,
    TooFewDistinct,
    Breached,
}

impl PasswordProblem {
    pub fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (PasswordProblem::TooShort { min }, Lang::Fr) => {
                format!("il faut au moins {min} caractères ; une phrase de plusieurs mots convient")
            }
            (PasswordProblem::TooShort { min }, Lang::En) => {
                format!("use at least {min} characters; a phrase of several words works well")
            }
            (PasswordProblem::TooLong { max }, Lang::Fr) => {
                format!("{max} caractères au plus")
            }
            (PasswordProblem::TooLong { max }, Lang::En) => format!("use at most {max} characters"),
            (PasswordProblem::ContainsLogin, Lang::Fr) => {
                "le mot de passe ne doit pas contenir l'identifiant".into()
            }
            (PasswordProblem::ContainsLogin, Lang::En) => {
                "the password must not contain the login".into()
            }
            (PasswordProblem::TooFewDistinct, Lang::Fr) => {
                "trop peu de caractères différents ; mélangez davantage".into()
            }
            (PasswordProblem::TooFewDistinct, Lang::En) => {
                "too few different characters; mix more".into()
            }
            (PasswordProblem::Breached, Lang::Fr) => {
                "ce mot de passe figure parmi les plus utilisés lors de fuites ; choisissez-en un autre".into()
            }
            (PasswordProblem::Breached, Lang::En) => {
                "this password is among the most used in breaches; choose another".into()
            }
        }
    }
}

impl fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(Lang::En))
    }
}

fn common_passwords() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("common_passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// Whether a password is one of the embedded breached ones, as typed or with
/// trailing digits and punctuation removed.
pub fn is_breached(password: &str) -> bool {
    let lower = password.to_lowercase();
    let base = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    let list = common_passwords();
    list.contains(lower.as_str()) || list.contains(base) || list.contains(base.trim())
}

/// Checks a new password against the policy. Length counts characters, not
/// bytes; nothing is truncated or case-folded before hashing (ASVS V6.2.8).
pub fn check_password(
    password: &str,
    login: &str,
    min_chars: usize,
) -> Result<(), PasswordProblem> {
    let chars = password.chars().count();
    if chars < min_chars {
        return Err(PasswordProblem::TooShort { min: min_chars });
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordProblem::TooLong {
            max: MAX_PASSWORD_CHARS,
        });
    }
    let lower = password.to_lowercase();
    if login.chars().count() >= 3 && lower.contains(&login.to_lowercase()) {
        return Err(PasswordProblem::ContainsLogin);
    }
    let distinct: HashSet<char> = lower.chars().collect();
    if distinct.len() < 5 {
        return Err(PasswordProblem::TooFewDistinct);
    }
    if is_breached(password) {
        return Err(PasswordProblem::Breached);
    }
    Ok(())
}

fn argon2(params: &HashParams) -> Result<Argon2<'static>, AuthError> {
    let p = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        None,
    )
    .map_err(|e| AuthError::Config(format!("argon2id parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, p))
}

/// argon2id hash of a password as a PHC string (`$argon2id$v=19$m=…`), with
/// a fresh 16-byte random salt.
pub fn hash_password(params: &HashParams, password: &str) -> Result<String, AuthError> {
    let hash = argon2(params)?
        .hash_password(password.as_bytes())
        .map_err(|e| AuthError::Hashing(e.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string (the parameters stored in the
/// string are used; the comparison is constant-time). A malformed string
/// never matches.
pub fn verify_password(phc: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// Whether a stored hash was made with other parameters than the configured
/// ones (then it is re-hashed at the next successful sign-in, ASVS T16).
pub fn needs_rehash(phc: &str, params: &HashParams) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return true;
    };
    if parsed.algorithm.as_str() != "argon2id" {
        return true;
    }
    match Params::try_from(&parsed) {
        Ok(p) => {
            p.m_cost() != params.memory_kib
                || p.t_cost() != params.iterations
                || p.p_cost() != params.parallelism
        }
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_login_and_variety_rules() {
        assert_eq!(
            check_password("short pass", "alice", 12),
            Err(PasswordProblem::TooShort { min: 12 })
        );
        assert_eq!(
            check_password("my name is Alice!!", "alice", 12),
            Err(PasswordProblem::ContainsLogin)
        );
        assert_eq!(
            check_password("abababababababab", "bob", 12),
            Err(PasswordProblem::TooFewDistinct)
        );
        assert_eq!(
            check_password(&"é".repeat(300), "bob", 12),
            Err(PasswordProblem::TooLong { max: 256 })
        );
        // Unicode counts by characters: twelve accented letters are enough.
        assert!(check_password("éèàùçôîâêëïü", "bob", 12).is_ok());
        assert!(check_password("cheval agrafe pile correcte", "bob", 12).is_ok());
    }

    #[test]
    fn breached_passwords_are_refused_even_with_digits_appended() {
        for p in [
            "Azertyuiop123",
            "password123456",
            "MotDePasse2026!",
            "qwertyuiop!!!!",
        ] {
            assert_eq!(
                check_password(p, "bob", 12),
                Err(PasswordProblem::Breached),
                "{p}"
            );
        }
        assert!(!is_breached("sept chevaux bleus dansent"));
    }

    #[test]
    fn problems_are_explained_in_french_and_english() {
        let p = PasswordProblem::TooShort { min: 12 };
        assert!(p.describe(Lang::Fr).contains("au moins 12 caractères"));
        assert!(p.to_string().contains("at least 12 characters"));
    }

    #[test]
    fn hash_verify_and_rehash_detection() {
        let params = HashParams::TEST_ONLY;
        let phc = hash_password(&params, "sept chevaux bleus").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{phc}");
        assert!(verify_password(&phc, "sept chevaux bleus"));
        assert!(!verify_password(&phc, "Sept chevaux bleus"));
        assert!(!verify_password("not a phc string", "x"));
        assert!(!needs_rehash(&phc, &params));
        assert!(needs_rehash(&phc, &HashParams::OWASP));
        // Same password, new salt: two different strings.
        assert_ne!(phc, hash_password(&params, "sept chevaux bleus").unwrap());
    }
}
