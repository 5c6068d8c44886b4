//! The shared reliability checks (fault matrix, adoption of a timed-out
//! invitation, awkward values on the wire, hostile bodies, plain HTTP), run
//! against the Astra adapter.

mod support;

use roster_testkit::Emulator;
use roster_testkit::astra::AstraModel;

roster_testkit::reliability_tests!(support::Astra, Emulator::start(AstraModel::default()).await);
