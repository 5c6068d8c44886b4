//! No token in logs, errors or `Debug` output, through a full run and a
//! server that echoes the credentials back. Alone in its binary: it
//! installs a global log subscriber.

mod support;

use roster_testkit::Emulator;
use roster_testkit::iaas::IaasModel;

roster_testkit::secrets_tests!(
    support::Iaas,
    Emulator::start(IaasModel::new(support::TOKEN)).await
);
