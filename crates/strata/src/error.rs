//! error (to be written)
