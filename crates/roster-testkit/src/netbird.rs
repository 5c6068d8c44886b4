//! A stateful NetBird emulator (work in progress).
