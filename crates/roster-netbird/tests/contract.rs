//! The shared contract suite, run against the stateful NetBird emulator
//! twice: as it answers by default, and in faithful mode, where every
//! answer carries every field NetBird's spec documents (`last_login`,
//! `permissions`, a `password` on create) and the account also holds a
//! user waiting for approval, one with an unknown role and one with an
//! unknown status word.

use std::sync::Arc;

use roster_core::Directory;
use roster_http::SecretString;
use roster_netbird::{NetbirdClient, NetbirdConfig};
use roster_testkit::Emulator;
use roster_testkit::netbird::{NETBIRD_TOKEN, NetbirdModel};

async fn start(model: NetbirdModel) -> (Emulator<NetbirdModel>, Arc<dyn Directory>) {
    let emulator = Emulator::start(model).await;
    let config = NetbirdConfig::personal_access_token(SecretString::from(NETBIRD_TOKEN.to_owned()))
        .with_base_url(emulator.base_url());
    let client = NetbirdClient::new(config).expect("client");
    (emulator, Arc::new(client))
}

async fn plain_setup() -> (Emulator<NetbirdModel>, Arc<dyn Directory>) {
    start(NetbirdModel::default()).await
}

async fn faithful_setup() -> (Emulator<NetbirdModel>, Arc<dyn Directory>) {
    start(NetbirdModel::default().faithful()).await
}

mod plain {
    roster_testkit::contract_tests!(super::plain_setup);
}

mod faithful {
    roster_testkit::contract_tests!(super::faithful_setup);

    /// The faithful emulator really is on: a create answer carries a
    /// password, and the suite's creates handed some out.
    #[tokio::test]
    async fn the_faithful_switch_is_on() {
        use roster_core::{Email, NewUser, UserDirectory as _};
        let (emulator, directory) = super::faithful_setup().await;
        let created = directory
            .create_user(&NewUser::new(Email::parse("f@example.com").expect("email")))
            .await
            .expect("create");
        assert!(created.secret.is_some(), "a password came back");
        assert_eq!(emulator.with_model(|m| m.issued_passwords().len()), 1);
    }
}
