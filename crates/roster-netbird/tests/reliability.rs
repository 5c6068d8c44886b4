//! The shared reliability checks (fault matrix, adoption of a timed-out
//! invite, awkward values on the wire, hostile bodies, plain HTTP), run
//! against the NetBird adapter.

mod support;

use roster_testkit::Emulator;
use roster_testkit::netbird::NetbirdModel;

roster_testkit::reliability_tests!(
    support::Netbird,
    Emulator::start(NetbirdModel::default()).await
);
