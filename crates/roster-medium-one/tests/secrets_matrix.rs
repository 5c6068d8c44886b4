//! The shared secrets check: a full run through the default layer stack and
//! a server echoing the credentials back leak no password, API key or
//! session. Alone in its binary: it installs a global log subscriber.

mod support;

use roster_testkit::Emulator;
use roster_testkit::medium_one::MediumOneModel;

roster_testkit::secrets_tests!(
    support::MediumOne,
    Emulator::start(MediumOneModel::default()).await
);
