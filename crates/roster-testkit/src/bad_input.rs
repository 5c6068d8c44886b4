//! The bad-input matrix's wire half: legal but awkward values reach the
//! wire exactly encoded. (Values that are not legal at all, such as an
//! empty email, an empty id or a short WireGuard key, cannot be built, and
//! [`crate::contract::bad_input_sends_nothing`] checks that adapters refuse
//! the rest before sending.)

use roster_core::{Email, ErrorKind, NewUser, TenantDirectory, TenantId, UserDirectory, UserId};
use roster_http::HttpSettings;

use crate::emulator::{Emulator, Model};
use crate::faults::{IdOnWire, WireSubject};

/// Ids that are legal but need care on the wire, each with the one path
/// segment it must become: RFC 3986 unreserved characters stay, everything
/// else is percent-encoded as UTF-8.
pub const TRICKY_IDS: [(&str, &str); 9] = [
    ("a/b", "a%2Fb"),
    ("a..b", "a..b"),
    ("../up", "..%2Fup"),
    ("what?x=1", "what%3Fx%3D1"),
    ("frag#ment", "frag%23ment"),
    ("100%", "100%25"),
    ("google-oauth2|2774", "google-oauth2%7C2774"),
    ("with space", "with%20space"),
    ("zürich", "z%C3%BCrich"),
];

/// Ids that cannot be a path segment under any encoding: every adapter
/// must refuse them before sending.
pub const DOT_SEGMENTS: [&str; 2] = [".", ".."];

/// Legal emails that must reach the wire exactly as given.
pub const TRICKY_EMAILS: [&str; 3] = [
    "a+b@x.io",
    "Mixed.Case+Tag@Example.COM",
    "zoë.ñandú@example.com",
];

fn path_and_query(request: &wiremock::Request) -> String {
    match request.url.query() {
        Some(query) => format!("{}?{query}", request.url.path()),
        None => request.url.path().to_owned(),
    }
}

/// Sends each tricky id through `delete_user` and `delete_tenant`, and
/// each tricky email through `create_user`, against the adapter's emulator,
/// and checks the exact request (or that nothing was sent, where the
/// adapter refuses the value).
pub async fn tricky_values_reach_the_wire<M: Model>(
    subject: &dyn WireSubject, emulator: &Emulator<M>,
) {
    let directory = subject
        .connect(&emulator.base_url(), HttpSettings::new())
        .expect("connecting to the emulator");
    let caps = directory.capabilities();
    let mut failures = Vec::new();

    let cases = TRICKY_IDS
        .iter()
        .map(|(raw, encoded)| (*raw, Some(*encoded)))
        .chain(DOT_SEGMENTS.iter().map(|raw| (*raw, None)));
    for (raw, encoded) in cases {
        for what in ["user", "tenant"] {
            let (supported, expected) = match (what, encoded) {
                ("user", Some(e)) => (caps.delete_user, subject.delete_user_path(e)),
                ("user", None) => (caps.delete_user, IdOnWire::Refused),
                (_, Some(e)) => (caps.delete_tenant, subject.delete_tenant_path(e)),
                (_, None) => (caps.delete_tenant, IdOnWire::Refused),
            };
            if !supported {
                continue;
            }
            emulator.reset_requests().await;
            let result = if what == "user" {
                let id = UserId::new(raw).expect("a non-empty id");
                directory.delete_user(&id).await
            } else {
                let id = TenantId::new(raw).expect("a non-empty id");
                directory.delete_tenant(&id).await
            };
            let requests = emulator.requests().await;
            let sent: Vec<String> = requests.iter().map(path_and_query).collect();
            match expected {
                IdOnWire::At(path) => {
                    if !sent.contains(&path) {
                        failures.push(format!("{what} id {raw:?}: expected {path}, sent {sent:?}"));
                    }
                }
                IdOnWire::Refused => {
                    if !sent.is_empty() {
                        failures.push(format!("{what} id {raw:?}: refused, yet sent {sent:?}"));
                    }
                    match result {
                        Err(e) if e.kind() == ErrorKind::InvalidInput => {}
                        other => failures.push(format!(
                            "{what} id {raw:?}: expected InvalidInput, got {:?}",
                            other.map_err(|e| e.kind())
                        )),
                    }
                }
                IdOnWire::Resolved => {
                    if sent.iter().any(|s| s.contains(raw)) {
                        failures.push(format!("{what} id {raw:?} went out raw: {sent:?}"));
                    }
                }
            }
        }
    }

    if caps.create_user {
        let is_create = subject.create_user_request();
        for raw in TRICKY_EMAILS {
            emulator.reset_requests().await;
            let email = Email::parse(raw).expect("a legal email");
            if let Err(e) = directory.create_user(&NewUser::new(email)).await {
                failures.push(format!("creating {raw:?} failed: {e}"));
                continue;
            }
            let requests = emulator.requests().await;
            let carried: Vec<Option<String>> = requests
                .iter()
                .filter(|request| is_create(request))
                .map(|request| subject.email_on_wire(request))
                .collect();
            if carried != [Some(raw.to_owned())] {
                failures.push(format!("email {raw:?} went out as {carried:?}"));
            }
        }
    }

    assert!(
        failures.is_empty(),
        "{} tricky values went wrong:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}
