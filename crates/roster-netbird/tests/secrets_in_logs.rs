//! The shared secrets check: a full run through the default layer stack and
//! a server echoing the token back leak it nowhere. Alone in its binary: it
//! installs a global log subscriber.

mod support;

use roster_testkit::Emulator;
use roster_testkit::netbird::NetbirdModel;

roster_testkit::secrets_tests!(
    support::Netbird,
    Emulator::start(NetbirdModel::default()).await
);
