//! test kit (skeleton)
