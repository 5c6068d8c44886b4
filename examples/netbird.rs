//! NetBird through Roster (work in progress).

fn main() {}
