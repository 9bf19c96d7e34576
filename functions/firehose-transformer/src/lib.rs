//! The Lambda's pieces beyond the library: the handler, configuration
//! loading, and re-ingestion of records that do not fit in the response.

pub mod handler;
pub mod reingest;

pub use reingest::Reingester;

use cognito_activity::Config;

/// Reads and validates the configuration once, at start. A bad value stops
/// the function with a message naming the variable and the allowed values.
pub fn load_config() -> Result<Config, lambda_runtime::Error> {
    Config::from_env().map_err(|e| {
        tracing::error!(variable = e.var, error = %e, "invalid configuration");
        lambda_runtime::Error::from(e.to_string())
    })
}
