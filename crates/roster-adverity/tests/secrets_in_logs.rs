//! No API key in logs, errors or `Debug` output, through a full run and a
//! server that echoes the credentials back. Alone in its binary: it
//! installs a global log subscriber.

mod support;

use roster_testkit::Emulator;
use roster_testkit::adverity::AdverityModel;

roster_testkit::secrets_tests!(
    support::Adverity,
    Emulator::start(AdverityModel::new(support::TOKEN)).await
);
