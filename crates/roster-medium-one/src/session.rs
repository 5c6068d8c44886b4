//! The login session: the credentials that obtain it, the cookie or token
//! it yields, and the [`Authenticator`] that adds it to every request.
//!
//! Logging in is the adapter's job (it needs the generated client, see
//! `client.rs`); this module only keeps the state, so the `pre` hook that
//! calls [`Authenticator::authorize`] never sends a request of its own and
//! a login failure keeps its own error kind instead of becoming the hook's
//! generic authentication error.

use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::header::{COOKIE, HeaderValue};
use roster_core::{Error, ErrorKind, Operation, Result};
use roster_http::{Authenticator, ExposeSecret, Redacted, SecretString};

use crate::PROVIDER;
use crate::wire::LoginRequest;

/// How long Medium One blocks logins after "Exceeded bad login count"; the
/// client makes no login attempt in that time, since each one would extend
/// the block.
pub(crate) const LOCKOUT: Duration = Duration::from_secs(5 * 60);

/// The session credential, as it is sent.
pub(crate) enum Credential {
    /// A ready `Cookie` header value, marked sensitive.
    Cookie(HeaderValue),
    /// The `token` query parameter's value.
    QueryToken(SecretString),
}

struct Session {
    credential: Credential,
    generation: u64,
}

/// Why the client will not try to log in again.
struct Refusal {
    message: String,
    until: Option<Instant>,
}

#[derive(Default)]
struct State {
    session: Option<Session>,
    generations: u64,
    refusal: Option<Refusal>,
}

/// The credentials and the current session of one client.
pub(crate) struct SessionAuth {
    login_id: String,
    password: SecretString,
    api_key: SecretString,
    state: Mutex<State>,
}

impl SessionAuth {
    pub(crate) fn new(login_id: String, password: SecretString, api_key: SecretString) -> Self {
        SessionAuth {
            login_id,
            password,
            api_key,
            state: Mutex::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The login body for this account.
    pub(crate) fn login_request(&self, no_cookies: bool) -> LoginRequest {
        LoginRequest {
            login_id: self.login_id.clone(),
            password: self.password.clone(),
            api_key: self.api_key.clone(),
            no_cookies,
        }
    }

    /// The current session's generation, if there is a session.
    pub(crate) fn generation(&self) -> Option<u64> {
        self.state().session.as_ref().map(|s| s.generation)
    }

    /// Stores a new session and returns its generation.
    pub(crate) fn install(&self, credential: Credential) -> u64 {
        let mut state = self.state();
        state.generations += 1;
        let generation = state.generations;
        state.session = Some(Session {
            credential,
            generation,
        });
        generation
    }

    /// Forgets the session that failed, unless another task has already
    /// replaced it: concurrent calls that fail with the same expired
    /// session cause one login, not one each.
    pub(crate) fn invalidate(&self, generation: u64) {
        let mut state = self.state();
        if state
            .session
            .as_ref()
            .is_some_and(|s| s.generation == generation)
        {
            state.session = None;
        }
    }

    /// Stops all login attempts, for `how_long` or for good.
    pub(crate) fn refuse(&self, message: String, how_long: Option<Duration>) {
        self.state().refusal = Some(Refusal {
            message,
            until: how_long.map(|d| Instant::now() + d),
        });
    }

    /// The error to answer instead of logging in, while logins are refused.
    pub(crate) fn refusal(&self) -> Option<Error> {
        let mut state = self.state();
        let refusal = state.refusal.as_ref()?;
        if refusal.until.is_some_and(|until| Instant::now() >= until) {
            state.refusal = None;
            return None;
        }
        Some(
            Error::new(ErrorKind::Unauthenticated, refusal.message.clone())
                .with_provider(PROVIDER)
                .with_operation(Operation::Login),
        )
    }
}

#[async_trait]
impl Authenticator for SessionAuth {
    async fn authorize(&self, request: &mut reqwest::Request) -> Result<()> {
        // The login itself carries no session: a stale one must not be sent
        // along with the credentials that replace it.
        if request.url().path().ends_with("/login/") {
            return Ok(());
        }
        let state = self.state();
        match state.session.as_ref().map(|s| &s.credential) {
            Some(Credential::Cookie(cookie)) => {
                request.headers_mut().insert(COOKIE, cookie.clone());
            }
            Some(Credential::QueryToken(token)) => {
                request
                    .url_mut()
                    .query_pairs_mut()
                    .append_pair("token", token.expose_secret());
            }
            // The adapter logs in before every call; if a session vanished
            // in between, the server answers 401 and the adapter logs in.
            None => {}
        }
        Ok(())
    }

    fn secrets(&self) -> Vec<SecretString> {
        vec![self.password.clone(), self.api_key.clone()]
    }
}

impl fmt::Debug for SessionAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("SessionAuth")
            .field("login_id", &self.login_id)
            .field("password", &Redacted)
            .field("api_key", &Redacted)
            .field("session", &state.session.as_ref().map(|_| Redacted))
            .finish()
    }
}
