//! The shared reliability checks (fault matrix, adoption of a timed-out
//! create, awkward values on the wire, hostile bodies, plain HTTP), run
//! against the Adverity adapter.

mod support;

use roster_testkit::Emulator;
use roster_testkit::adverity::AdverityModel;

roster_testkit::reliability_tests!(
    support::Adverity,
    Emulator::start(AdverityModel::new(support::TOKEN)).await
);
