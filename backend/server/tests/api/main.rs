//! Integration tests: a real server on 127.0.0.1:0 with a temporary data directory and a
//! real database (SQLite, or PostgreSQL when `QBOUND_TEST_POSTGRES_URL` is set), real
//! requests, the real engine (and a real S3 API, moto's, for the object store).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod access;
mod cancellation;
mod catalog;
mod health;
mod lists;
mod load;
mod object_store;
mod openapi;
mod partial;
mod privacy;
mod queue;
mod replicas;
mod runs;
mod startup;
mod uploads;
mod workers;
