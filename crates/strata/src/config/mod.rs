//! TEMPORARY shim until the config branch lands.
/// placeholder
#[derive(Debug, thiserror::Error)]
#[error("config")]
pub struct ConfigError;
