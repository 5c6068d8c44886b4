//! DataStax Astra DevOps through Roster (work in progress).

fn main() {}
