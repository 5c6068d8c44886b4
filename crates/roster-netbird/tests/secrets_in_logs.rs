//! The shared secrets check: a full run through the default layer stack and
//! a server echoing the token back leak it nowhere. It runs against the
//! faithful emulator, whose create answers carry a generated `password`:
//! the emulator reports every password it handed out
//! (`Model::issued_secrets`), and the check looks for those too. Alone in
//! its binary: it installs a global log subscriber.

mod support;

use roster_testkit::Emulator;
use roster_testkit::netbird::NetbirdModel;

roster_testkit::secrets_tests!(
    support::Netbird,
    Emulator::start(NetbirdModel::default().faithful()).await
);
