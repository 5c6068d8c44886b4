//! A stateful DataStax Astra DevOps emulator (work in progress).
