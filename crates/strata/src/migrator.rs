//! migrator (to be written)
