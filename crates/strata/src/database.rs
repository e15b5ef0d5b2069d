//! database (to be written)
