//! strata.toml, environments, env files and URL rules (to be written)
