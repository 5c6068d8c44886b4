//! Medium One through Roster (work in progress).

fn main() {}
