//! cluster (to be written)
