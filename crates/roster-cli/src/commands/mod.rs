//! One module per group of commands.

pub mod apply;
pub mod emulator;
pub mod lists;
pub mod people;
pub mod plan;
