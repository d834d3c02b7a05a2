//! The long-lived authentication state ([`Auth`]: settings, roles, hashing
//! pool, lock-out table, CSRF key) and the per-call service ([`AuthService`])
//! that pairs it with a document store and a clock.
//!
//! Why split: the pool and the lock-out table must be shared by every request
//! of an instance, while the store and the clock are injected so tests run on
//! [`habeas_core::docs::MemoryDocs`] and a manual clock.

use habeas_core::clock::Clock;
use habeas_core::docs::{DocError, DocStore};

use crate::account::{KIND, StaffAccount};
use crate::config::AuthConfig;
use crate::csrf::CsrfKey;
use crate::error::AuthError;
use crate::limiter::Limiter;
use crate::password;
use crate::pool::HashPool;
use crate::roles::RoleCatalog;

/// Shared state of one Habeas instance.
#[derive(Debug)]
pub struct Auth {
    pub(crate) config: AuthConfig,
    pub(crate) roles: RoleCatalog,
    pub(crate) pool: HashPool,
    pub(crate) limiter: Limiter,
    pub(crate) csrf_key: CsrfKey,
    /// A hash of a random password with the configured parameters: unknown
    /// logins are verified against it, so they cost the same time (ASVS V6.3.8).
    pub(crate) dummy_hash: String,
}

impl Auth {
    /// Checks the settings, starts the hashing pool and prepares the dummy hash.
    pub fn new(
        config: AuthConfig,
        roles: RoleCatalog,
        csrf_key: CsrfKey,
    ) -> Result<Self, AuthError> {
        config.validate()?;
        let pool = HashPool::new(config.pool_workers, config.pool_queue)?;
        let filler = crate::secret::random_code(4, 8)?;
        let dummy_hash = password::hash_password(&config.hashing, filler.expose())?;
        Ok(Auth {
            limiter: Limiter::new(config.lockout),
            config,
            roles,
            pool,
            csrf_key,
            dummy_hash,
        })
    }

    /// The services over one store and one clock.
    pub fn service<'a>(&'a self, docs: &'a dyn DocStore, clock: &'a dyn Clock) -> AuthService<'a> {
        AuthService {
            auth: self,
            docs,
            clock,
        }
    }

    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    pub fn roles(&self) -> &RoleCatalog {
        &self.roles
    }

    /// The CSRF key: `csrf().token_for(session)` for forms, `csrf().verify(..)` on submit.
    pub fn csrf(&self) -> &CsrfKey {
        &self.csrf_key
    }

    /// The hashing pool (its counters feed metrics).
    pub fn pool(&self) -> &HashPool {
        &self.pool
    }

    /// Hashes a password on the pool ("busy" when it is full).
    pub(crate) fn hash_on_pool(&self, password: &str) -> Result<String, AuthError> {
        let params = self.config.hashing;
        let password = zeroize::Zeroizing::new(password.to_string());
        self.pool
            .try_run(move || password::hash_password(&params, &password))?
    }

    /// Verifies a password on the pool.
    pub(crate) fn verify_on_pool(&self, phc: &str, password: &str) -> Result<bool, AuthError> {
        let phc = phc.to_string();
        let password = zeroize::Zeroizing::new(password.to_string());
        Ok(self
            .pool
            .try_run(move || password::verify_password(&phc, &password))?)
    }
}

/// The use cases, over one store and one clock.
#[derive(Clone, Copy)]
pub struct AuthService<'a> {
    pub(crate) auth: &'a Auth,
    pub(crate) docs: &'a dyn DocStore,
    pub(crate) clock: &'a dyn Clock,
}

/// How many times a read-modify-write is retried after a concurrent change.
const RETRIES: usize = 5;

impl<'a> AuthService<'a> {
    pub(crate) fn load(&self, id: &str) -> Result<(StaffAccount, u64), AuthError> {
        match self.docs.get_doc(KIND, id)? {
            Some(doc) => Ok((StaffAccount::decode(&doc.id, &doc.body)?, doc.version)),
            None => Err(AuthError::UnknownStaff(id.to_string())),
        }
    }

    pub(crate) fn all(&self) -> Result<Vec<(StaffAccount, u64)>, AuthError> {
        self.docs
            .list_docs(KIND)?
            .into_iter()
            .map(|d| Ok((StaffAccount::decode(&d.id, &d.body)?, d.version)))
            .collect()
    }

    /// The account with this login (compared lower-case), if any.
    pub(crate) fn find_login(&self, login: &str) -> Result<Option<(StaffAccount, u64)>, AuthError> {
        let wanted = login.trim().to_lowercase();
        Ok(self.all()?.into_iter().find(|(a, _)| a.login == wanted))
    }

    /// Loads, changes and saves an account, retrying on a concurrent change.
    /// `change` may refuse (nothing is written then).
    pub(crate) fn update<R>(
        &self,
        id: &str,
        mut change: impl FnMut(&mut StaffAccount) -> Result<R, AuthError>,
    ) -> Result<(StaffAccount, R), AuthError> {
        for _ in 0..RETRIES {
            let (mut account, version) = self.load(id)?;
            let out = change(&mut account)?;
            account.updated_at = self.clock.now();
            match self
                .docs
                .put_doc(KIND, id, Some(version), &account.encode()?)
            {
                Ok(_) => return Ok((account, out)),
                Err(DocError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AuthError::Contended)
    }
}
