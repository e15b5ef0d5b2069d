//! strata-testkit's own tests, one binary (so one shared cluster): isolation
//! between tests, cleanup of databases and clusters (also when the test
//! process dies), extra clusters.

mod testkit;
