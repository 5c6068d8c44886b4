//! A stateful Adverity emulator (work in progress).
