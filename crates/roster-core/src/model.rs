//! The provider-neutral model: validated identifiers, users, tenants,
//! memberships and the requests that change them.
//!
//! Every value a caller passes in is validated when it is built, so an
//! adapter never sends a request for input that cannot be right.

use std::fmt;
use std::ops::Deref;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::provider_data::{ProviderData, ProviderFields};

/// An email address, validated for the mistakes that matter on the wire.
///
/// It rejects an empty string, any whitespace or control character, and a
/// missing or misplaced `@`. It keeps everything else as given, including
/// `+` tags, letter case and non-ASCII characters: providers differ in how
/// they fold case, so Roster never rewrites an address. Compare addresses
/// with [`Email::matches`], which ignores case.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Longest address accepted, per RFC 5321.
    pub const MAX_LEN: usize = 254;

    /// Validates `value` as an email address.
    pub fn parse(value: impl Into<String>) -> Result<Self> {
        let value = value.into();
        if value.is_empty() {
            return Err(Error::invalid_input("email is empty"));
        }
        if value.len() > Self::MAX_LEN {
            return Err(Error::invalid_input(format!(
                "email is longer than {} bytes",
                Self::MAX_LEN
            )));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::invalid_input(format!(
                "email {value:?} contains whitespace or a control character"
            )));
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err(Error::invalid_input(format!("email {value:?} has no '@'")));
        };
        if local.is_empty() || domain.is_empty() || local.contains('@') {
            return Err(Error::invalid_input(format!(
                "email {value:?} must be one local part, one '@' and a domain"
            )));
        }
        if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
            return Err(Error::invalid_input(format!(
                "email {value:?} has a malformed domain"
            )));
        }
        Ok(Email(value))
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether two addresses name the same mailbox, ignoring letter case.
    pub fn matches(&self, other: &str) -> bool {
        self.0 == other || self.0.to_lowercase() == other.to_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({:?})", self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = Error;
    fn try_from(value: String) -> Result<Self> {
        Email::parse(value)
    }
}

impl TryFrom<&str> for Email {
    type Error = Error;
    fn try_from(value: &str) -> Result<Self> {
        Email::parse(value)
    }
}

impl std::str::FromStr for Email {
    type Err = Error;
    fn from_str(value: &str) -> Result<Self> {
        Email::parse(value)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

macro_rules! opaque_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Wraps a provider's identifier. It is opaque and may hold any
            /// character; only an empty identifier is rejected here.
            pub fn new(value: impl Into<String>) -> Result<Self> {
                let value = value.into();
                if value.is_empty() {
                    return Err(Error::invalid_input(concat!($what, " is empty")));
                }
                Ok($name(value))
            }

            /// The identifier as the provider gave it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:?})"), self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(value: String) -> Result<Self> {
                $name::new(value)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = Error;
            fn try_from(value: &str) -> Result<Self> {
                $name::new(value)
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(value: &str) -> Result<Self> {
                $name::new(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

opaque_id!(
    /// A provider's identifier for a user. Never empty; otherwise opaque.
    ///
    /// Adapters percent-encode it into a single path segment, so `/`, `?`,
    /// `#` and `%` in an identifier cannot change which URL is requested.
    UserId,
    "user id"
);

opaque_id!(
    /// A provider's identifier for a tenant (a group, workspace, project or
    /// organization). Never empty; otherwise opaque.
    TenantId,
    "tenant id"
);

/// A WireGuard public key: standard base64 of exactly 32 bytes, so 44
/// characters ending in `=`.
///
/// Public keys are not secrets, so this type prints its value.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WireGuardKey(String);

impl WireGuardKey {
    /// Length of an encoded key in characters.
    pub const ENCODED_LEN: usize = 44;

    /// Validates `value` as a WireGuard public key.
    pub fn parse(value: impl Into<String>) -> Result<Self> {
        let value = value.into();
        if value.len() != Self::ENCODED_LEN {
            return Err(Error::invalid_input(format!(
                "WireGuard key must be {} base64 characters, got {}",
                Self::ENCODED_LEN,
                value.chars().count()
            )));
        }
        match base64::engine::general_purpose::STANDARD.decode(&value) {
            Ok(bytes) if bytes.len() == 32 => Ok(WireGuardKey(value)),
            Ok(bytes) => Err(Error::invalid_input(format!(
                "WireGuard key must decode to 32 bytes, got {}",
                bytes.len()
            ))),
            Err(_) => Err(Error::invalid_input(
                "WireGuard key is not valid standard base64",
            )),
        }
    }

    /// Builds a key from its 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        WireGuardKey(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// The base64 text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WireGuardKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for WireGuardKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WireGuardKey({:?})", self.0)
    }
}

impl TryFrom<String> for WireGuardKey {
    type Error = Error;
    fn try_from(value: String) -> Result<Self> {
        WireGuardKey::parse(value)
    }
}

impl std::str::FromStr for WireGuardKey {
    type Err = Error;
    fn from_str(value: &str) -> Result<Self> {
        WireGuardKey::parse(value)
    }
}

impl From<WireGuardKey> for String {
    fn from(key: WireGuardKey) -> String {
        key.0
    }
}

/// A user's account-wide role, mapped onto a small neutral vocabulary.
///
/// The provider's own role name is kept next to it (see [`User::raw_role`]),
/// so nothing is lost when a provider has a role this enum does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// Owns the account.
    Owner,
    /// Administers users and tenants (an IaaS operator, a NetBird admin).
    Admin,
    /// An ordinary user.
    Member,
    /// Read-only access for audits.
    Auditor,
    /// Manages billing.
    BillingAdmin,
    /// Manages networks.
    NetworkAdmin,
    /// A provider role with no neutral equivalent; see the raw role.
    Other,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Auditor => "auditor",
            Role::BillingAdmin => "billing_admin",
            Role::NetworkAdmin => "network_admin",
            Role::Other => "other",
        })
    }
}

/// The role a caller asks for: a neutral [`Role`], or a provider's own role
/// name when the neutral vocabulary is not precise enough.
///
/// An adapter that cannot map the choice answers
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) before it
/// sends anything.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleSpec {
    /// A neutral role, mapped by the adapter.
    Neutral(Role),
    /// A provider-specific role name, matched case-insensitively.
    Provider(String),
}

impl From<Role> for RoleSpec {
    fn from(role: Role) -> Self {
        RoleSpec::Neutral(role)
    }
}

impl fmt::Display for RoleSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoleSpec::Neutral(role) => role.fmt(f),
            RoleSpec::Provider(name) => write!(f, "{name:?}"),
        }
    }
}

/// Whether a user can sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UserStatus {
    /// The user can sign in.
    Active,
    /// The user was invited and has not accepted yet.
    Invited,
    /// An administrator blocked the user.
    Blocked,
    /// The account is switched off (for example Adverity's `active: false`).
    Suspended,
    /// The user signed up and waits for an administrator's approval
    /// (NetBird's `pending_approval`).
    PendingApproval,
    /// A status with no neutral equivalent, such as one a newer server
    /// added; [`User::raw_status`] holds the provider's own word.
    Other,
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UserStatus::Active => "active",
            UserStatus::Invited => "invited",
            UserStatus::Blocked => "blocked",
            UserStatus::Suspended => "suspended",
            UserStatus::PendingApproval => "pending_approval",
            UserStatus::Other => "other",
        })
    }
}

/// A user's role inside one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TenantRole {
    /// Administers the tenant.
    Admin,
    /// An ordinary member.
    Member,
    /// A tenant role with no neutral equivalent; see
    /// [`Membership::raw_role`].
    Other,
}

impl fmt::Display for TenantRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TenantRole::Admin => "admin",
            TenantRole::Member => "member",
            TenantRole::Other => "other",
        })
    }
}

/// A user as a provider reports it.
///
/// Build one with [`User::new`] and the `with_*` methods; the struct is
/// `#[non_exhaustive]` so that a new field never breaks callers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The provider's identifier.
    pub id: UserId,
    /// The email address. Absent for accounts that have none, such as
    /// service users.
    pub email: Option<Email>,
    /// The name shown in the provider's UI, when it has one.
    pub display_name: Option<String>,
    /// The account-wide role, when the provider has account-wide roles.
    pub role: Option<Role>,
    /// The provider's own role name, exactly as it sent it.
    pub raw_role: Option<String>,
    /// Whether the user can sign in.
    pub status: UserStatus,
    /// The provider's own status word, exactly as it sent it, when it sends
    /// one (a provider that reports status as flags sends none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_status: Option<String>,
    /// The provider's own object for this user, as it arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_data: Option<ProviderData>,
}

impl User {
    /// A user with this id and status, and nothing else known yet.
    pub fn new(id: UserId, status: UserStatus) -> Self {
        User {
            id,
            email: None,
            display_name: None,
            role: None,
            raw_role: None,
            status,
            raw_status: None,
            provider_data: None,
        }
    }

    /// Sets the email.
    pub fn with_email(mut self, email: Email) -> Self {
        self.email = Some(email);
        self
    }

    /// Sets the display name.
    pub fn with_display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Sets the neutral role and the provider's own name for it.
    pub fn with_role(mut self, role: Role, raw: impl Into<String>) -> Self {
        self.role = Some(role);
        self.raw_role = Some(raw.into());
        self
    }

    /// Sets the provider's own status word.
    pub fn with_raw_status(mut self, raw: impl Into<String>) -> Self {
        self.raw_status = Some(raw.into());
        self
    }

    /// Attaches the provider's object.
    pub fn with_provider_data(mut self, data: ProviderData) -> Self {
        self.provider_data = Some(data);
        self
    }
}

/// The identity behind the credentials a client uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Principal {
    /// The identifier, when the provider reports it.
    pub id: Option<UserId>,
    /// The email address.
    pub email: Option<Email>,
    /// The display name.
    pub display_name: Option<String>,
    /// The neutral role.
    pub role: Option<Role>,
    /// The provider's own role name.
    pub raw_role: Option<String>,
    /// The provider's own object for this identity, as it arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_data: Option<ProviderData>,
}

impl Principal {
    /// An identity of which nothing is known yet; set the fields you have.
    pub fn new() -> Self {
        Self::default()
    }
}

/// A tenant: the unit users are grouped into (a project, group, workspace or
/// organization, depending on the provider).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Tenant {
    /// The provider's identifier.
    pub id: TenantId,
    /// The tenant's name.
    pub name: String,
    /// The provider's own object for this tenant, as it arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_data: Option<ProviderData>,
}

impl Tenant {
    /// A tenant with this id and name.
    pub fn new(id: TenantId, name: impl Into<String>) -> Self {
        Tenant {
            id,
            name: name.into(),
            provider_data: None,
        }
    }

    /// Attaches the provider's object.
    pub fn with_provider_data(mut self, data: ProviderData) -> Self {
        self.provider_data = Some(data);
        self
    }
}

/// A user's place in a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Membership {
    /// The tenant.
    pub tenant: TenantId,
    /// The user.
    pub user: UserId,
    /// The user's email, when the provider reports it with the membership.
    pub user_email: Option<Email>,
    /// The user's role in the tenant, on providers with tenant roles.
    pub role: Option<TenantRole>,
    /// The provider's own tenant-role name, exactly as it sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_role: Option<String>,
    /// The entry the provider returned for this membership, where it has
    /// one (an IaaS tenant's `users[]` entry, an Adverity user's workspace);
    /// `None` where a membership is only an id in a list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_data: Option<ProviderData>,
}

impl Membership {
    /// `user` in `tenant`, with nothing else known yet.
    pub fn new(tenant: TenantId, user: UserId) -> Self {
        Membership {
            tenant,
            user,
            user_email: None,
            role: None,
            raw_role: None,
            provider_data: None,
        }
    }

    /// Sets the user's email.
    pub fn with_user_email(mut self, email: Email) -> Self {
        self.user_email = Some(email);
        self
    }

    /// Sets the neutral tenant role.
    pub fn with_role(mut self, role: TenantRole) -> Self {
        self.role = Some(role);
        self
    }

    /// Sets the provider's own tenant-role name.
    pub fn with_raw_role(mut self, raw: impl Into<String>) -> Self {
        self.raw_role = Some(raw.into());
        self
    }

    /// Attaches the provider's entry.
    pub fn with_provider_data(mut self, data: ProviderData) -> Self {
        self.provider_data = Some(data);
        self
    }
}

/// What to create: a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewUser {
    /// The email address; it is the user's natural key.
    pub email: Email,
    /// The display name. Providers without one answer `Unsupported`.
    pub display_name: Option<String>,
    /// The account-wide role. When absent, the adapter uses the provider's
    /// least-privileged default and says so in its rustdoc.
    pub role: Option<RoleSpec>,
    /// More roles, on providers where a user holds several
    /// ([`Capabilities::multiple_roles_per_user`](crate::Capabilities::multiple_roles_per_user));
    /// elsewhere a non-empty list is `Unsupported`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_roles: Vec<RoleSpec>,
    /// Provider-specific fields ([`Provider::user_fields`](crate::Provider::user_fields)).
    #[serde(default, skip_serializing_if = "ProviderFields::is_empty")]
    pub fields: ProviderFields,
}

impl NewUser {
    /// A user with this email and the provider's default role.
    pub fn new(email: Email) -> Self {
        NewUser {
            email,
            display_name: None,
            role: None,
            additional_roles: Vec::new(),
            fields: ProviderFields::new(),
        }
    }

    /// Adds a role beside [`role`](NewUser::role), on providers where a user
    /// holds several.
    pub fn with_additional_role(mut self, role: impl Into<RoleSpec>) -> Self {
        self.additional_roles.push(role.into());
        self
    }

    /// Sets a provider-specific field; a malformed key is `InvalidInput`.
    pub fn with_field(mut self, key: &str, value: impl Into<serde_json::Value>) -> Result<Self> {
        self.fields.set(key, value)?;
        Ok(self)
    }

    /// Every role asked for: [`role`](NewUser::role) first, then the
    /// additional ones.
    pub fn roles(&self) -> impl Iterator<Item = &RoleSpec> {
        self.role.iter().chain(&self.additional_roles)
    }

    /// Sets the display name.
    pub fn with_display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Sets the role.
    pub fn with_role(mut self, role: impl Into<RoleSpec>) -> Self {
        self.role = Some(role.into());
        self
    }
}

/// What to change on a user. Fields left `None` keep their value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserUpdate {
    /// A new email address.
    pub email: Option<Email>,
    /// A new display name.
    pub display_name: Option<String>,
    /// A new role.
    pub role: Option<RoleSpec>,
    /// A new status, to block, suspend or reactivate.
    pub status: Option<UserStatus>,
    /// The whole set of roles, replacing every role the user holds, on
    /// providers where a user holds several. [`role`](UserUpdate::role)
    /// instead changes only the roles that map to neutral ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<RoleSpec>>,
    /// Provider-specific fields to change; fields not named keep their value.
    #[serde(default, skip_serializing_if = "ProviderFields::is_empty")]
    pub fields: ProviderFields,
}

impl UserUpdate {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Changes the email address.
    pub fn email(mut self, email: Email) -> Self {
        self.email = Some(email);
        self
    }

    /// Changes the display name.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Changes the role.
    pub fn role(mut self, role: impl Into<RoleSpec>) -> Self {
        self.role = Some(role.into());
        self
    }

    /// Changes the status.
    pub fn status(mut self, status: UserStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Replaces every role the user holds with `roles`.
    pub fn replace_roles(mut self, roles: impl IntoIterator<Item = RoleSpec>) -> Self {
        self.roles = Some(roles.into_iter().collect());
        self
    }

    /// Changes a provider-specific field; a malformed key is `InvalidInput`.
    pub fn field(mut self, key: &str, value: impl Into<serde_json::Value>) -> Result<Self> {
        self.fields.set(key, value)?;
        Ok(self)
    }

    /// Whether the update changes nothing.
    pub fn is_empty(&self) -> bool {
        self == &UserUpdate::default()
    }
}

/// How to place a user in a tenant: a role and any credentials the provider
/// needs for the membership.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MembershipRequest {
    /// The role in the tenant, on providers with tenant roles.
    pub role: Option<TenantRole>,
    /// The user's WireGuard public key, on providers that give each member
    /// VPN access (the IaaS operator API requires it).
    pub wireguard_key: Option<WireGuardKey>,
    /// The tenants the caller has just read the user to be in, if it has:
    /// apply's snapshot, refreshed once per phase and kept up to date as it
    /// writes. An adapter whose provider allows one tenant per user checks
    /// an add against these instead of reading the provider first (the
    /// IaaS adapter then sends no `GET /tenants`); with `None`, the
    /// default, it reads, as it always has. The caller vouches for it, so
    /// only pass what was read for this write. Never serialized: it
    /// describes a moment, not the membership.
    #[serde(skip)]
    pub known_tenants: Option<Vec<TenantId>>,
}

impl MembershipRequest {
    /// A request with no role and no credentials.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the tenant role.
    pub fn with_role(mut self, role: TenantRole) -> Self {
        self.role = Some(role);
        self
    }

    /// Sets the WireGuard public key.
    pub fn with_wireguard_key(mut self, key: WireGuardKey) -> Self {
        self.wireguard_key = Some(key);
        self
    }

    /// Says which tenants the user is in right now, as just read
    /// ([`known_tenants`](MembershipRequest::known_tenants)).
    pub fn with_known_tenants(mut self, tenants: impl IntoIterator<Item = TenantId>) -> Self {
        self.known_tenants = Some(tenants.into_iter().collect());
        self
    }
}

/// Every tenant of a provider with every membership in them, from one
/// read ([`MembershipDirectory::list_tenants_with_members`](crate::MembershipDirectory::list_tenants_with_members)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TenantsWithMembers {
    /// The tenants.
    pub tenants: Vec<Tenant>,
    /// The memberships of all of them.
    pub members: Vec<Membership>,
}

impl TenantsWithMembers {
    /// The tenants and their memberships.
    pub fn new(tenants: Vec<Tenant>, members: Vec<Membership>) -> Self {
        TenantsWithMembers { tenants, members }
    }
}

/// A user to place in a tenant while creating it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantMember {
    /// The user.
    pub user: UserId,
    /// Their role and credentials.
    pub membership: MembershipRequest,
}

/// What to create: a tenant, optionally with its first members.
///
/// The name can only be set through [`NewTenant::new`] (or deserialization,
/// which applies the same check), so it is never blank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "NewTenantFields")]
#[non_exhaustive]
pub struct NewTenant {
    name: String,
    /// Members to add as part of the create, on providers that can.
    pub members: Vec<TenantMember>,
}

#[derive(Deserialize)]
struct NewTenantFields {
    name: String,
    #[serde(default)]
    members: Vec<TenantMember>,
}

impl TryFrom<NewTenantFields> for NewTenant {
    type Error = Error;
    fn try_from(fields: NewTenantFields) -> Result<Self> {
        let mut tenant = NewTenant::new(fields.name)?;
        tenant.members = fields.members;
        Ok(tenant)
    }
}

impl NewTenant {
    /// A tenant with this name and no members. The name must not be blank.
    pub fn new(name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        if name.trim().is_empty() {
            return Err(Error::invalid_input("tenant name is empty"));
        }
        Ok(NewTenant {
            name,
            members: Vec::new(),
        })
    }

    /// The tenant's name; it is the tenant's natural key.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds a member to create the tenant with.
    pub fn with_member(mut self, user: UserId, membership: MembershipRequest) -> Self {
        self.members.push(TenantMember { user, membership });
        self
    }
}

/// How a create ended: the created (or found) value and what happened.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Created<T> {
    /// The resource as the provider reports it now.
    pub value: T,
    /// What the call did.
    pub outcome: CreateOutcome,
    /// A one-time secret the provider returned with the create, such as the
    /// password NetBird generates for a user of its embedded identity
    /// provider. The provider shows it only in this answer; it is never
    /// serialized, logged or printed by `Debug`.
    #[serde(skip)]
    pub secret: Option<secrecy::SecretString>,
}

impl<T: PartialEq> PartialEq for Created<T> {
    fn eq(&self, other: &Self) -> bool {
        use secrecy::ExposeSecret as _;
        self.value == other.value
            && self.outcome == other.outcome
            && self.secret.as_ref().map(|s| s.expose_secret())
                == other.secret.as_ref().map(|s| s.expose_secret())
    }
}

impl<T: Eq> Eq for Created<T> {}

impl<T> Created<T> {
    /// A value that this call created.
    pub fn new(value: T) -> Self {
        Created::with_outcome(value, CreateOutcome::Created)
    }

    /// A value with an explicit outcome.
    pub fn with_outcome(value: T, outcome: CreateOutcome) -> Self {
        Created {
            value,
            outcome,
            secret: None,
        }
    }

    /// Attaches the one-time secret of the create answer.
    pub fn with_secret(mut self, secret: secrecy::SecretString) -> Self {
        self.secret = Some(secret);
        self
    }

    /// The value, dropping the outcome (and any one-time secret).
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The same outcome and secret around another value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Created<U> {
        Created {
            value: f(self.value),
            outcome: self.outcome,
            secret: self.secret,
        }
    }
}

impl<T> Deref for Created<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// What a create call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CreateOutcome {
    /// A new resource was created (or a new invitation sent).
    Created,
    /// The resource already existed and was left as it was (an `ensure_*`
    /// helper found it).
    AlreadyPresent,
    /// The user had a pending invitation, and the provider sent it again.
    InvitationResent,
    /// An earlier attempt whose answer was lost had already created it; the
    /// retry adopted that resource instead of creating a second one.
    Adopted,
}

/// Which page of a list to fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PageRequest {
    /// The cursor from the previous page's [`Page::next`]; `None` for the first.
    pub cursor: Option<String>,
    /// How many items to ask for. Adapters whose provider paginates clamp
    /// it to the provider's limit and use the provider's default when it is
    /// `None`. A provider that does not paginate
    /// ([`Capabilities::server_side_pagination`](crate::Capabilities::server_side_pagination)
    /// is `false`) always answers everything in one page, whatever is asked.
    pub page_size: Option<u32>,
}

impl PageRequest {
    /// The first page, at the provider's default size.
    pub fn first() -> Self {
        Self::default()
    }

    /// The page after `cursor`.
    pub fn after(cursor: impl Into<String>) -> Self {
        PageRequest {
            cursor: Some(cursor.into()),
            page_size: None,
        }
    }

    /// Sets the page size.
    pub fn with_page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items on this page. A page of members may be empty and still
    /// have a `next` (see
    /// [`MembershipDirectory::list_members_page`](crate::MembershipDirectory::list_members_page)).
    pub items: Vec<T>,
    /// The cursor for the next page, or `None` on the last page.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// A page with everything on it: the provider does not paginate.
    pub fn complete(items: Vec<T>) -> Self {
        Page { items, next: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn email_accepts_plus_case_and_unicode() {
        for ok in [
            "a@b.io",
            "first.last+tag@example.com",
            "Alice@Example.COM",
            "jürgen@bücher.de",
            "o'brien@x.co",
        ] {
            let email = Email::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(email.as_str(), ok, "kept as given");
        }
    }

    #[test]
    fn email_rejects_empty_spaces_and_missing_at() {
        for bad in [
            "",
            " ",
            "no-at-sign",
            "@example.com",
            "user@",
            "a b@example.com",
            " a@b.io",
            "a@b.io ",
            "a@b@c.io",
            "a@.io",
            "a@b..io",
            "a\n@b.io",
            "a\t@b.io",
        ] {
            let err = Email::parse(bad).expect_err(bad);
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        }
        assert!(Email::parse(format!("{}@x.io", "a".repeat(260))).is_err());
    }

    #[test]
    fn email_matches_ignoring_case() {
        let email = Email::parse("Alice+Ops@Example.com").expect("valid");
        assert!(email.matches("alice+ops@example.com"));
        assert!(!email.matches("alice@example.com"));
    }

    #[test]
    fn email_deserialization_validates() {
        let ok: Email = serde_json::from_str("\"a+b@x.io\"").expect("valid");
        assert_eq!(ok.as_str(), "a+b@x.io");
        assert!(serde_json::from_str::<Email>("\"nope\"").is_err());
        assert!(serde_json::from_str::<Email>("\"\"").is_err());
    }

    #[test]
    fn ids_are_opaque_but_never_empty() {
        for odd in [
            "a/b",
            "..",
            "x?y#z",
            "100%",
            "google-oauth2|123",
            "with space",
            "ü",
        ] {
            assert_eq!(UserId::new(odd).expect(odd).as_str(), odd);
            assert_eq!(TenantId::new(odd).expect(odd).as_str(), odd);
        }
        assert_eq!(
            UserId::new("").expect_err("empty").kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            TenantId::new("").expect_err("empty").kind(),
            ErrorKind::InvalidInput
        );
        assert!(serde_json::from_str::<UserId>("\"\"").is_err());
    }

    #[test]
    fn wireguard_key_is_44_chars_of_32_bytes() {
        let key = WireGuardKey::from_bytes([7; 32]);
        assert_eq!(key.as_str().len(), 44);
        assert_eq!(WireGuardKey::parse(key.as_str()).expect("round trip"), key);
        let valid = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
        assert!(WireGuardKey::parse(valid).is_ok());
        for bad in [
            "",
            "short",
            "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg", // 43 chars
            "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg==", // 45 chars
            "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8D!=", // not base64
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", // 33 bytes
            "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8D_=", // url-safe alphabet
        ] {
            let err = WireGuardKey::parse(bad).expect_err(bad);
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        }
    }

    #[test]
    fn tenant_name_must_not_be_blank() {
        assert!(NewTenant::new("  ").is_err());
        assert_eq!(NewTenant::new("alpha").expect("valid").name(), "alpha");
        let parsed: NewTenant = serde_json::from_str(r#"{"name":"beta"}"#).expect("valid");
        assert_eq!(parsed.name(), "beta");
        assert!(parsed.members.is_empty());
        assert!(serde_json::from_str::<NewTenant>(r#"{"name":" "}"#).is_err());
        let round_trip = serde_json::to_string(&parsed).expect("serialize");
        assert_eq!(
            serde_json::from_str::<NewTenant>(&round_trip).expect("parse"),
            parsed
        );
    }

    #[test]
    fn created_derefs_to_value() {
        let created = Created::new(Tenant::new(TenantId::new("t1").expect("id"), "alpha"));
        assert_eq!(created.name, "alpha");
        assert_eq!(created.outcome, CreateOutcome::Created);
    }

    #[test]
    fn a_one_time_secret_is_never_printed_or_serialized() {
        let created = Created::new(Tenant::new(TenantId::new("t1").expect("id"), "alpha"))
            .with_secret(secrecy::SecretString::from("hunter2-once".to_owned()));
        assert!(!format!("{created:?}").contains("hunter2-once"));
        let json = serde_json::to_string(&created).expect("serialize");
        assert!(!json.contains("hunter2-once"), "{json}");
        use secrecy::ExposeSecret as _;
        assert_eq!(
            created.secret.as_ref().map(|s| s.expose_secret()),
            Some("hunter2-once")
        );
        let mapped = created.map(|tenant| tenant.name);
        assert!(mapped.secret.is_some(), "map keeps the secret");
    }

    #[test]
    fn records_serialize_without_the_new_fields_when_unset() {
        let user = User::new(UserId::new("u").expect("id"), UserStatus::Other)
            .with_raw_status("frozen")
            .with_provider_data(
                ProviderData::from_json(r#"{"id":"u","s":"frozen"}"#).expect("json"),
            );
        let json = serde_json::to_value(&user).expect("serialize");
        assert_eq!(json["status"], "other");
        assert_eq!(json["raw_status"], "frozen");
        assert_eq!(json["provider_data"]["s"], "frozen");
        let back: User = serde_json::from_value(json).expect("round trip");
        assert_eq!(back.raw_status.as_deref(), Some("frozen"));
        let plain = Membership::new(
            TenantId::new("t").expect("id"),
            UserId::new("u").expect("id"),
        );
        let json = serde_json::to_value(&plain).expect("serialize");
        assert!(json.get("provider_data").is_none() && json.get("raw_role").is_none());
    }

    #[test]
    fn new_user_roles_and_fields() {
        let user = NewUser::new(Email::parse("a@b.io").expect("email"))
            .with_role(Role::Member)
            .with_additional_role(RoleSpec::Provider("Database Administrator".into()))
            .with_field("phone", "+1 555")
            .expect("field");
        let roles: Vec<String> = user.roles().map(ToString::to_string).collect();
        assert_eq!(roles, ["member", "\"Database Administrator\""]);
        assert_eq!(user.fields.string("phone").expect("string"), Some("+1 555"));
        assert!(
            NewUser::new(Email::parse("a@b.io").expect("email"))
                .with_field("Bad Key", 1)
                .is_err()
        );
        let update = UserUpdate::new().replace_roles([RoleSpec::Neutral(Role::Admin)]);
        assert!(!update.is_empty());
        assert_eq!(
            update.roles.as_deref(),
            Some(&[RoleSpec::Neutral(Role::Admin)][..])
        );
    }
}
