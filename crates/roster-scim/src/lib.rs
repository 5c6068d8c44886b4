//! wip
pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod filter;
pub mod resource;
pub mod schemas;
pub mod server;
pub mod service;
pub mod store;
pub mod worker;
