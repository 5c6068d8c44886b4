//! Bearer tokens, held only as SHA-256 digests and compared in constant
//! time.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::{AuthConfig, ConfigError};

/// The accepted tokens, as digests. `Debug` prints only how many there are.
#[derive(Clone, Default)]
pub struct Tokens {
    digests: Vec<[u8; 32]>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tokens({} accepted)", self.digests.len())
    }
}

/// The SHA-256 of a token, as lower-case hex (what `token_sha256` holds).
pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn parse_hex(hex: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if hex.len() != 64 {
        return None;
    }
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

impl Tokens {
    /// The tokens `[auth]` names: digests as given, and each `token_env`
    /// variable's value, hashed at once (the value is not kept).
    pub fn from_config(auth: &AuthConfig) -> Result<Tokens, ConfigError> {
        Self::from_config_with_env(auth, |name| std::env::var(name).ok())
    }

    /// As [`Tokens::from_config`], reading variables through `env`.
    pub fn from_config_with_env(
        auth: &AuthConfig, env: impl Fn(&str) -> Option<String>,
    ) -> Result<Tokens, ConfigError> {
        let mut tokens = Tokens::default();
        for hex in &auth.token_sha256 {
            let digest = parse_hex(&hex.to_ascii_lowercase())
                .ok_or_else(|| ConfigError("auth.token_sha256 entries are 64 hex digits".into()))?;
            tokens.digests.push(digest);
        }
        for name in &auth.token_env {
            let value = env(name).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                ConfigError(format!(
                    "the environment variable {name} (auth.token_env) is not set"
                ))
            })?;
            tokens.add(value.trim());
        }
        if tokens.digests.is_empty() {
            return Err(ConfigError(
                "[auth] accepts no token: set token_env or token_sha256".into(),
            ));
        }
        Ok(tokens)
    }

    /// Accepts `token` too.
    pub fn add(&mut self, token: &str) {
        self.digests.push(Sha256::digest(token.as_bytes()).into());
    }

    /// Whether `token` is one of the accepted ones. Every digest is compared,
    /// in constant time, so the answer's timing says nothing about which
    /// one matched or how much of it.
    pub fn accepts(&self, token: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut matched = subtle::Choice::from(0);
        for known in &self.digests {
            matched |= known.ct_eq(&digest);
        }
        matched.into()
    }

    /// Checks an `Authorization` header value: `Bearer <token>`.
    pub fn accepts_header(&self, header: Option<&str>) -> bool {
        let Some((scheme, token)) = header.and_then(|h| h.trim().split_once(' ')) else {
            return false;
        };
        scheme.eq_ignore_ascii_case("bearer") && self.accepts(token.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_from_digests_and_env_are_accepted_and_never_printed() {
        let auth = AuthConfig {
            token_env: vec!["T".into()],
            token_sha256: vec![hash_token("second-token")],
        };
        let tokens =
            Tokens::from_config_with_env(&auth, |_| Some("first-token".into())).expect("tokens");
        assert!(tokens.accepts("first-token"));
        assert!(tokens.accepts("second-token"));
        assert!(!tokens.accepts("first-token "));
        assert!(!tokens.accepts(""));
        assert!(tokens.accepts_header(Some("Bearer first-token")));
        assert!(tokens.accepts_header(Some("bearer second-token")));
        assert!(!tokens.accepts_header(Some("Basic first-token")));
        assert!(!tokens.accepts_header(None));
        let debug = format!("{tokens:?}");
        assert!(
            !debug.contains("first-token") && !debug.contains(&hash_token("first-token")),
            "{debug}"
        );
    }

    #[test]
    fn no_token_or_a_missing_variable_is_a_config_error() {
        assert!(Tokens::from_config_with_env(&AuthConfig::default(), |_| None).is_err());
        let auth = AuthConfig {
            token_env: vec!["MISSING".into()],
            token_sha256: vec![],
        };
        assert!(Tokens::from_config_with_env(&auth, |_| None).is_err());
        let auth = AuthConfig {
            token_env: vec![],
            token_sha256: vec!["abc".into()],
        };
        assert!(Tokens::from_config_with_env(&auth, |_| None).is_err());
    }
}
