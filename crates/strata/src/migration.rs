//! migration (to be written)
