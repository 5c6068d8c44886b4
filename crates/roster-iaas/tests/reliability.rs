//! The shared reliability checks (fault matrix, adoption of a timed-out
//! create, awkward values on the wire, hostile bodies, plain HTTP), run
//! against the IaaS adapter.

mod support;

use roster_testkit::Emulator;
use roster_testkit::iaas::IaasModel;

roster_testkit::reliability_tests!(
    support::Iaas,
    Emulator::start(IaasModel::new(support::TOKEN)).await
);
