//! connect (to be written)
