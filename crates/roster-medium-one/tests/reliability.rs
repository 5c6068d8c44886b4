//! The shared reliability checks (fault matrix, adoption of a timed-out
//! create, awkward values on the wire, hostile bodies, plain HTTP), run
//! against the Medium One adapter.

mod support;

use roster_testkit::Emulator;
use roster_testkit::medium_one::MediumOneModel;

roster_testkit::reliability_tests!(
    support::MediumOne,
    Emulator::start(MediumOneModel::default()).await
);
