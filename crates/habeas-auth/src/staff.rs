//! Staff account administration: add, list, disable, enable, change roles,
//! reset password or second factor, change one's own password, enrol TOTP.
//!
//! Why these rules: an account carries only declared roles (SPEC C6); a new or
//! reset password is random, shown once, and must be changed at the next
//! sign-in; every change that alters what the account may do bumps its
//! security epoch, which ends its open sessions (ASVS V7.4.x).

use std::collections::BTreeSet;

use habeas_core::docs::DocError;

use crate::account::{
    KIND, StaffAccount, StaffStatus, StaffSummary, TotpState, check_display_name, normalise_login,
};
use crate::error::AuthError;
use crate::password::check_password;
use crate::secret::{Secret, random_bytes, random_code};
use crate::service::AuthService;
use crate::{qr, recovery, totp};

/// What an administrator gives to create an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStaff {
    pub login: String,
    pub display_name: String,
    pub roles: BTreeSet<String>,
}

/// A created account and its one-time initial password (to hand over once;
/// it must be changed at the first sign-in).
#[derive(Debug)]
pub struct CreatedStaff {
    pub summary: StaffSummary,
    pub initial_password: Secret,
}

/// What a reset replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResetScope {
    pub password: bool,
    /// Removes the TOTP secret and the recovery codes: the next sign-in enrols anew.
    pub totp: bool,
}

/// The result of a reset.
#[derive(Debug)]
pub struct ResetOutcome {
    pub summary: StaffSummary,
    /// The new one-time password, when the password was reset.
    pub temporary_password: Option<Secret>,
}

/// An enrolment offer: what the staff member scans or types in their app.
#[derive(Debug)]
pub struct TotpOffer {
    pub otpauth_uri: Secret,
    /// The same URI as an inline SVG QR code.
    pub qr_svg: Secret,
    /// The secret in base 32, for apps that cannot scan.
    pub secret_base32: Secret,
}

fn new_password() -> Result<Secret, AuthError> {
    // 20 characters of base 32: 100 random bits.
    random_code(4, 5)
}

fn new_id() -> Result<String, AuthError> {
    let mut b = [0u8; 8];
    random_bytes(&mut b)?;
    Ok(format!("st-{}", hex::encode(b)))
}

impl AuthService<'_> {
    /// Creates an account with a random one-time password.
    pub fn add_staff(&self, new: &NewStaff) -> Result<CreatedStaff, AuthError> {
        let login = normalise_login(&new.login)?;
        let display_name = check_display_name(&new.display_name)?;
        self.auth.roles.validate(&new.roles)?;
        if self.find_login(&login)?.is_some() {
            return Err(AuthError::LoginTaken);
        }
        let password = new_password()?;
        let hash = self.auth.hash_on_pool(password.expose())?;
        let now = self.clock.now();
        let account = StaffAccount {
            id: new_id()?,
            login,
            display_name,
            roles: new.roles.clone(),
            status: StaffStatus::Active,
            password_hash: hash,
            must_change_password: true,
            totp: None,
            pending_totp: None,
            recovery_codes: Vec::new(),
            created_at: now,
            updated_at: now,
            last_login_at: None,
            security_epoch: 0,
        };
        match self
            .docs
            .put_doc(KIND, &account.id, None, &account.encode()?)
        {
            Ok(_) => {}
            // 64 random bits colliding: say so rather than overwrite.
            Err(DocError::Conflict { .. }) => return Err(AuthError::Contended),
            Err(e) => return Err(e.into()),
        }
        Ok(CreatedStaff {
            summary: account.summary(),
            initial_password: password,
        })
    }

    /// Every account, by login.
    pub fn list_staff(&self) -> Result<Vec<StaffSummary>, AuthError> {
        let mut all: Vec<StaffSummary> = self.all()?.iter().map(|(a, _)| a.summary()).collect();
        all.sort_by(|a, b| a.login.cmp(&b.login));
        Ok(all)
    }

    pub fn get_staff(&self, id: &str) -> Result<StaffSummary, AuthError> {
        Ok(self.load(id)?.0.summary())
    }

    /// Disables an account: it cannot sign in and its sessions end.
    pub fn disable_staff(&self, id: &str) -> Result<StaffSummary, AuthError> {
        self.set_status(id, StaffStatus::Disabled)
    }

    pub fn enable_staff(&self, id: &str) -> Result<StaffSummary, AuthError> {
        self.set_status(id, StaffStatus::Active)
    }

    fn set_status(&self, id: &str, status: StaffStatus) -> Result<StaffSummary, AuthError> {
        let (account, ()) = self.update(id, |a| {
            if a.status != status {
                a.status = status;
                a.security_epoch += 1;
            }
            Ok(())
        })?;
        Ok(account.summary())
    }

    /// Replaces the roles (a privilege change: open sessions end).
    pub fn set_staff_roles(
        &self,
        id: &str,
        roles: &BTreeSet<String>,
    ) -> Result<StaffSummary, AuthError> {
        self.auth.roles.validate(roles)?;
        let (account, ()) = self.update(id, |a| {
            if &a.roles != roles {
                a.roles = roles.clone();
                a.security_epoch += 1;
            }
            Ok(())
        })?;
        Ok(account.summary())
    }

    /// An administrator's reset: a new one-time password and/or a new second
    /// factor. Also lifts the login's lock-out.
    pub fn reset_staff(&self, id: &str, scope: ResetScope) -> Result<ResetOutcome, AuthError> {
        let password = if scope.password {
            let p = new_password()?;
            let hash = self.auth.hash_on_pool(p.expose())?;
            Some((p, hash))
        } else {
            None
        };
        let (account, ()) = self.update(id, |a| {
            if let Some((_, hash)) = &password {
                a.password_hash = hash.clone();
                a.must_change_password = true;
            }
            if scope.totp {
                a.totp = None;
                a.pending_totp = None;
                a.recovery_codes.clear();
            }
            a.security_epoch += 1;
            Ok(())
        })?;
        self.auth.limiter.unlock(&account.login);
        Ok(ResetOutcome {
            summary: account.summary(),
            temporary_password: password.map(|(p, _)| p),
        })
    }

    /// A staff member changes their own password, proving the current one.
    /// Open sessions end; the caller opens a fresh one (rotation).
    pub fn change_password(
        &self,
        id: &str,
        current: &str,
        new: &str,
    ) -> Result<StaffSummary, AuthError> {
        let (account, _) = self.load(id)?;
        if !account.is_active() {
            return Err(AuthError::Disabled);
        }
        check_password(new, &account.login, self.auth.config.password_min_chars)
            .map_err(AuthError::WeakPassword)?;
        self.prove_password(&account, current)?;
        let hash = self.auth.hash_on_pool(new)?;
        let (account, ()) = self.update(id, |a| {
            a.password_hash = hash.clone();
            a.must_change_password = false;
            a.security_epoch += 1;
            Ok(())
        })?;
        Ok(account.summary())
    }

    /// Proves the password again before a sensitive change (ASVS V7.5.1:
    /// a new second factor, new recovery codes). Failures count towards the
    /// login's lock-out like sign-in failures.
    pub fn reauthenticate(&self, id: &str, password: &str) -> Result<(), AuthError> {
        let (account, _) = self.load(id)?;
        if !account.is_active() {
            return Err(AuthError::Disabled);
        }
        self.prove_password(&account, password)
    }

    fn prove_password(&self, account: &StaffAccount, password: &str) -> Result<(), AuthError> {
        let now = self.clock.now();
        let limiter = &self.auth.limiter;
        limiter
            .check_account(&account.login, now)
            .map_err(|until| AuthError::Locked { until })?;
        if password.chars().count() <= crate::password::MAX_PASSWORD_CHARS
            && self.auth.verify_on_pool(&account.password_hash, password)?
        {
            limiter.record_success(&account.login);
            Ok(())
        } else {
            limiter.record_account_failure(&account.login, now);
            Err(AuthError::WrongPassword)
        }
    }

    /// Starts (or restarts) TOTP enrolment: a new secret kept pending until
    /// confirmed by a code. The current second factor, if any, stays in force.
    pub fn begin_totp_enrolment(&self, id: &str) -> Result<TotpOffer, AuthError> {
        let secret = totp::new_secret()?;
        let now = self.clock.now();
        let (account, ()) = self.update(id, |a| {
            if !a.is_active() {
                return Err(AuthError::Disabled);
            }
            a.pending_totp = Some(TotpState::new(&secret, now));
            Ok(())
        })?;
        let uri = totp::otpauth_uri(&secret, &self.auth.config.issuer, &account.login);
        let svg = qr::svg(&uri, "Code QR d'enrôlement TOTP / TOTP enrolment QR code")?;
        Ok(TotpOffer {
            otpauth_uri: Secret::new(uri),
            qr_svg: Secret::new(svg),
            secret_base32: Secret::new(totp::secret_base32(&secret)),
        })
    }

    /// Confirms enrolment with a first valid code: the pending secret becomes
    /// the second factor (that code's step counts as used) and ten new
    /// recovery codes are returned, to show once. Open sessions end.
    pub fn confirm_totp_enrolment(&self, id: &str, code: &str) -> Result<Vec<Secret>, AuthError> {
        let now = self.clock.now();
        let (shown, stored) = recovery::generate()?;
        self.update(id, |a| {
            let Some(mut pending) = a.pending_totp.clone() else {
                return Err(AuthError::NoPendingEnrolment);
            };
            let secret = pending.secret_bytes(&a.id)?;
            let step = totp::verify(&secret, code, now, None)?.ok_or(AuthError::InvalidCode)?;
            pending.last_used_step = Some(step);
            pending.since = now;
            a.totp = Some(pending);
            a.pending_totp = None;
            a.recovery_codes = stored.clone();
            a.security_epoch += 1;
            Ok(())
        })?;
        Ok(shown)
    }

    /// Ten new recovery codes, replacing the old ones.
    pub fn regenerate_recovery_codes(&self, id: &str) -> Result<Vec<Secret>, AuthError> {
        let (shown, stored) = recovery::generate()?;
        self.update(id, |a| {
            if a.totp.is_none() {
                return Err(AuthError::TotpNotEnrolled);
            }
            a.recovery_codes = stored.clone();
            Ok(())
        })?;
        Ok(shown)
    }
}
