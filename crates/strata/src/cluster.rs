//! TEMPORARY shim until the cluster branch lands.
/// placeholder
#[derive(Debug, thiserror::Error)]
#[error("cluster")]
pub struct ClusterError;
