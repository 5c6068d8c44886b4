//! A stateful Medium One emulator (work in progress).
