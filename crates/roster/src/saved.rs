//! A plan saved to a file and applied later, refused when it went stale.
//!
//! A [`SavedPlan`] keeps the desired state it was computed from, the plan
//! (changes, and the ids read while planning) and, per provider, the
//! [`Fingerprint`] of what planning read. Before applying it,
//! [`Fleet::stale_providers`] reads each provider again and names those
//! whose state no longer matches, as terraform refuses a stale plan.
//!
//! ```no_run
//! # async fn demo(fleet: roster::Fleet, desired: roster::DesiredState) -> roster::Result<()> {
//! use roster::saved::SavedPlan;
//!
//! let plan = fleet.plan(&desired).await?;
//! let text = SavedPlan::new(desired, plan).to_json();
//! // … later, maybe in another process:
//! let saved = SavedPlan::from_json(&text)?;
//! let stale = fleet.stale_providers(&saved).await?;
//! assert!(stale.is_empty(), "changed since planning: {stale:?}");
//! # Ok(()) }
//! ```

use serde::{Deserialize, Serialize};

use crate::fleet::Fleet;
use crate::plan::{DesiredState, Fingerprint, Plan};
use roster_core::{Error, Result};

/// The version of the saved-plan format this build writes and reads.
pub const SAVED_PLAN_VERSION: u32 = 1;

/// A plan with what it was computed from, as saved to a file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedPlan {
    /// The format version ([`SAVED_PLAN_VERSION`]).
    pub version: u32,
    /// The desired state, limited to the providers the plan covers.
    pub desired: DesiredState,
    /// The plan, with each provider's fingerprint.
    pub plan: Plan,
}

impl SavedPlan {
    /// Saves `plan`, keeping only the sections of `desired` it covers.
    pub fn new(mut desired: DesiredState, plan: Plan) -> Self {
        desired
            .providers
            .retain(|name, _| plan.providers.iter().any(|p| &p.provider == name));
        SavedPlan {
            version: SAVED_PLAN_VERSION,
            desired,
            plan,
        }
    }

    /// The saved plan as pretty JSON.
    pub fn to_json(&self) -> String {
        // Every field is a string, number, list or string-keyed map.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads a saved plan; a version this build does not know is refused.
    pub fn from_json(text: &str) -> Result<Self> {
        #[derive(Deserialize)]
        struct Version {
            version: u32,
        }
        let version: Version = serde_json::from_str(text)
            .map_err(|e| Error::invalid_input(format!("not a saved plan: {e}")))?;
        if version.version != SAVED_PLAN_VERSION {
            return Err(Error::invalid_input(format!(
                "a saved plan of version {}; this build reads version {SAVED_PLAN_VERSION}",
                version.version
            )));
        }
        serde_json::from_str(text)
            .map_err(|e| Error::invalid_input(format!("not a saved plan: {e}")))
    }
}

/// One provider whose state changed since the plan was saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// The provider's fleet name.
    pub provider: String,
    /// The fingerprint the plan recorded.
    pub planned: Fingerprint,
    /// The fingerprint read now.
    pub now: Fingerprint,
}

impl Fleet {
    /// Reads every provider of `saved` again (as planning does) and returns
    /// those whose state no longer matches the fingerprint the plan
    /// recorded, in name order. Empty means the plan may be applied. A
    /// provider that cannot be read is an error.
    pub async fn stale_providers(&self, saved: &SavedPlan) -> Result<Vec<Stale>> {
        let fresh = self.plan(&saved.desired).await?;
        let mut stale = Vec::new();
        for planned in &saved.plan.providers {
            let now = fresh
                .providers
                .iter()
                .find(|p| p.provider == planned.provider)
                .map(|p| p.fingerprint.clone())
                .ok_or_else(|| {
                    Error::invalid_input(format!(
                        "the saved plan covers {}, which its desired state does not list",
                        planned.provider
                    ))
                })?;
            if now != planned.fingerprint {
                stale.push(Stale {
                    provider: planned.provider.clone(),
                    planned: planned.fingerprint.clone(),
                    now,
                });
            }
        }
        Ok(stale)
    }
}
