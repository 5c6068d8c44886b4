//! How to reach and log in to Medium One.

use std::fmt;

use roster_core::{Error, Result, TenantId};
use roster_http::{Credential, Endpoint, EnvVars, Redacted, SecretString, env_var};

/// The production API root.
pub const DEFAULT_BASE_URL: &str = "https://api.mediumone.com/v2";
/// The sandbox API root.
pub const SANDBOX_BASE_URL: &str = "https://api-sandbox.mediumone.com/v2";

/// Environment variable with the API root (optional; default [`DEFAULT_BASE_URL`]).
pub const URL_ENV: &str = "ROSTER_MEDIUMONE_URL";
/// Environment variable with the login id (the account's email).
pub const LOGIN_ENV: &str = "ROSTER_MEDIUMONE_LOGIN";
/// Environment variable with the password.
pub const PASSWORD_ENV: &str = "ROSTER_MEDIUMONE_PASSWORD";
/// Environment variable with the project's API key.
pub const API_KEY_ENV: &str = "ROSTER_MEDIUMONE_API_KEY";
/// Environment variable with the mode: `sa` (default) or `ta`.
pub const MODE_ENV: &str = "ROSTER_MEDIUMONE_MODE";
/// Environment variable with the tenant id a tenant admin (`ta`) manages.
pub const TENANT_ENV: &str = "ROSTER_MEDIUMONE_TENANT_ID";
/// Environment variable with the session transport: `cookie` (default) or `token`.
pub const SESSION_ENV: &str = "ROSTER_MEDIUMONE_SESSION";

/// Which kind of account the client logs in as. Medium One serves some
/// endpoints to system admins only, and implies the tenant for tenant admins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminMode {
    /// A system admin (SA): every endpoint, every tenant.
    SystemAdmin,
    /// A tenant admin (TA) of this tenant. `/user_list` and `/tenant_create`
    /// are SA-only, so listing all users and creating tenants are
    /// `Unsupported`; membership calls name no tenant on the wire (the server
    /// implies it), so the adapter refuses any other tenant before sending.
    TenantAdmin(TenantId),
}

/// How the session travels after login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionTransport {
    /// The session cookie the login answer sets, sent back as a `Cookie`
    /// header (the default).
    #[default]
    Cookie,
    /// Log in with `no_cookies` and send the returned token as the `token`
    /// query parameter on every call. It never appears in errors or logs.
    QueryToken,
}

/// Connection and login settings for [`MediumOneClient`](crate::MediumOneClient).
///
/// The password and API key are [`SecretString`]s and are printed as
/// `******`; so is the session once the client has one.
///
/// ```
/// use roster_medium_one::{AdminMode, MediumOneConfig, SessionTransport};
/// use roster_http::SecretString;
///
/// let config = MediumOneConfig::new(
///     "admin@example.com",
///     SecretString::from("hunter2-password".to_owned()),
///     SecretString::from("ABCDEFGHIJKLmnop1234".to_owned()),
/// )
/// .with_session(SessionTransport::QueryToken);
/// assert_eq!(config.base_url(), "https://api.mediumone.com/v2");
/// assert_eq!(config.mode(), &AdminMode::SystemAdmin);
/// assert!(!format!("{config:?}").contains("hunter2"));
/// ```
#[derive(Clone)]
pub struct MediumOneConfig {
    pub(crate) endpoint: Endpoint<Login>,
    pub(crate) mode: AdminMode,
    pub(crate) session: SessionTransport,
}

/// The login a session is opened with.
#[derive(Clone)]
pub(crate) struct Login {
    pub(crate) login_id: String,
    pub(crate) password: SecretString,
    pub(crate) api_key: SecretString,
}

impl Credential for Login {
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("login_id", &self.login_id)
            .field("password", &Redacted)
            .field("api_key", &Redacted)
            .finish()
    }
}

/// Where [`MediumOneConfig::from_env`] reads from (the mode and session
/// variables are read besides).
const ENV: EnvVars<3> = EnvVars::new(URL_ENV, [LOGIN_ENV, PASSWORD_ENV, API_KEY_ENV])
    .with_default_url(DEFAULT_BASE_URL);

impl MediumOneConfig {
    /// A system-admin login against the production API, with a session
    /// cookie.
    pub fn new(login_id: impl Into<String>, password: SecretString, api_key: SecretString) -> Self {
        let login = Login {
            login_id: login_id.into(),
            password,
            api_key,
        };
        MediumOneConfig {
            endpoint: Endpoint::new(DEFAULT_BASE_URL, login),
            mode: AdminMode::SystemAdmin,
            session: SessionTransport::Cookie,
        }
    }

    /// Reads the `ROSTER_MEDIUMONE_*` variables. Answers `Ok(None)` when the
    /// login, password or API key is unset, so callers can fall back to an
    /// emulator, and an error when a variable is set to something invalid.
    pub fn from_env() -> Result<Option<Self>> {
        let Some((url, [login, password, api_key])) = ENV.read() else {
            return Ok(None);
        };
        let mut config = MediumOneConfig::new(
            login,
            SecretString::from(password),
            SecretString::from(api_key),
        )
        .with_base_url(url);
        match env_var(MODE_ENV).map(|m| m.to_ascii_lowercase()).as_deref() {
            None | Some("sa") => {}
            Some("ta") => {
                let tenant = env_var(TENANT_ENV).ok_or_else(|| {
                    Error::invalid_input(format!("{MODE_ENV}=ta needs {TENANT_ENV}"))
                })?;
                config = config.with_mode(AdminMode::TenantAdmin(TenantId::new(tenant)?));
            }
            Some(other) => {
                return Err(Error::invalid_input(format!(
                    "{MODE_ENV} is {other:?}; expected \"sa\" or \"ta\""
                )));
            }
        }
        match env_var(SESSION_ENV)
            .map(|m| m.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("cookie") => {}
            Some("token") => config = config.with_session(SessionTransport::QueryToken),
            Some(other) => {
                return Err(Error::invalid_input(format!(
                    "{SESSION_ENV} is {other:?}; expected \"cookie\" or \"token\""
                )));
            }
        }
        Ok(Some(config))
    }

    /// Sets the kind of account (system admin by default).
    pub fn with_mode(mut self, mode: AdminMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets how the session travels (a cookie by default).
    pub fn with_session(mut self, session: SessionTransport) -> Self {
        self.session = session;
        self
    }

    /// The login id.
    pub fn login_id(&self) -> &str {
        &self.endpoint.credential().login_id
    }

    /// The kind of account.
    pub fn mode(&self) -> &AdminMode {
        &self.mode
    }

    /// How the session travels.
    pub fn session(&self) -> SessionTransport {
        self.session
    }
}

roster_http::endpoint_config!(MediumOneConfig, ENV, mode, session);
