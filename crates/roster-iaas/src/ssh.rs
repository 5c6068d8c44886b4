//! SSH keys: the IaaS operator API's `/sshkeys` and a user's `ssh_key_id`.

use std::fmt;

use base64::Engine as _;
use roster_core::{Error, ProviderData, Result};
use serde::{Deserialize, Serialize};

/// The id of an SSH key the server stores. Never empty; the server's ids
/// are UUIDs, and [`IaasClient`](crate::IaasClient) refuses any other id
/// with `InvalidInput` before sending anything.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SshKeyId(String);

impl SshKeyId {
    /// Wraps `value`; an empty id is `InvalidInput`.
    pub fn new(value: impl Into<String>) -> Result<Self> {
        let value = value.into();
        if value.is_empty() {
            return Err(Error::invalid_input("an SSH key id cannot be empty"));
        }
        Ok(SshKeyId(value))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SshKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SshKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SshKeyId({:?})", self.0)
    }
}

impl TryFrom<String> for SshKeyId {
    type Error = Error;
    fn try_from(value: String) -> Result<Self> {
        SshKeyId::new(value)
    }
}

impl std::str::FromStr for SshKeyId {
    type Err = Error;
    fn from_str(value: &str) -> Result<Self> {
        SshKeyId::new(value)
    }
}

impl From<SshKeyId> for String {
    fn from(id: SshKeyId) -> String {
        id.0
    }
}

impl AsRef<str> for SshKeyId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// An SSH public key as the server reports it.
///
/// The API says nothing more about a key than its id and text; which user
/// holds it is the user's `ssh_key_id` (see
/// [`IaasClient::assign_ssh_key`](crate::IaasService::assign_ssh_key)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SshKey {
    /// The server's id for the key.
    pub id: SshKeyId,
    /// The public key, in OpenSSH format (`ssh-ed25519 AAAA… comment`).
    pub public_key: String,
    /// The server's own object for this key, as it arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_data: Option<ProviderData>,
}

impl SshKey {
    /// A key with this id and text.
    pub fn new(id: SshKeyId, public_key: impl Into<String>) -> Self {
        SshKey {
            id,
            public_key: public_key.into(),
            provider_data: None,
        }
    }

    /// Attaches the server's object.
    pub fn with_provider_data(mut self, data: ProviderData) -> Self {
        self.provider_data = Some(data);
        self
    }
}

/// Checks that `key` is one OpenSSH public key line, `<type> <base64 blob>
/// [comment]`, whose blob names the same type (as every OpenSSH key and
/// certificate does), and returns it without surrounding whitespace (the
/// newline a `.pub` file ends with). The server would answer 400 for
/// anything else; this answers `InvalidInput` before sending.
pub(crate) fn check_public_key(key: &str) -> Result<&str> {
    let key = key.trim();
    if key.is_empty() {
        return Err(Error::invalid_input("an SSH public key cannot be empty"));
    }
    if key.contains(['\n', '\r']) {
        return Err(Error::invalid_input(
            "an SSH public key is one line: `<type> <base64 key> [comment]`",
        ));
    }
    let mut fields = key.split_ascii_whitespace();
    let (Some(kind), Some(blob)) = (fields.next(), fields.next()) else {
        return Err(Error::invalid_input(
            "an SSH public key is `<type> <base64 key> [comment]`, such as \
             `ssh-ed25519 AAAAC3Nza… user@host`",
        ));
    };
    let named = base64::engine::general_purpose::STANDARD
        .decode(blob)
        .ok()
        .and_then(|bytes| blob_type(&bytes).map(<[u8]>::to_vec));
    match named {
        Some(inner) if inner == kind.as_bytes() => Ok(key),
        Some(_) => Err(Error::invalid_input(format!(
            "the SSH public key's data is not a {kind} key"
        ))),
        None => Err(Error::invalid_input(
            "the SSH public key's second field is not an OpenSSH key blob in base64",
        )),
    }
}

/// The key type an OpenSSH blob starts with: a big-endian `u32` length and
/// that many bytes.
fn blob_type(blob: &[u8]) -> Option<&[u8]> {
    let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    blob.get(4..4usize.checked_add(len)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_core::ErrorKind;

    const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBwhmW4kS6JjoQ6VMuvGx2Bt2EAI7hvKyoa6VdgtTRVm alice@laptop";

    #[test]
    fn public_keys_are_checked_and_trimmed() {
        assert_eq!(check_public_key(ED25519).expect("valid"), ED25519);
        assert_eq!(
            check_public_key(&format!("  {ED25519}\n")).expect("trimmed"),
            ED25519
        );
        let no_comment = ED25519.rsplit_once(' ').expect("comment").0;
        assert_eq!(check_public_key(no_comment).expect("valid"), no_comment);
        for bad in [
            "",
            "   \n",
            "ssh-ed25519",
            "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIBwhmW4kS6JjoQ6VMuvGx2Bt2EAI7hvKyoa6VdgtTRVm",
            "ssh-ed25519 not-base64!",
            "ssh-ed25519 AAAA",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBwhmW4kS6JjoQ6VMuvGx2Bt2EAI7hvKyoa6VdgtTRVm a\nssh-ed25519 AAAA b",
        ] {
            let err = check_public_key(bad).expect_err(bad);
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        }
    }

    #[test]
    fn ids_are_never_empty() {
        assert!(SshKeyId::new("").is_err());
        let id: SshKeyId = "k".parse().expect("id");
        assert_eq!(format!("{id} {id:?}"), "k SshKeyId(\"k\")");
        assert_eq!(
            serde_json::to_string(&id).expect("ser"),
            "\"k\"",
            "a plain string"
        );
        assert!(serde_json::from_str::<SshKeyId>("\"\"").is_err());
    }
}
