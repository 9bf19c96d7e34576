//! Re-ingestion of overflow records (being written: issue 5).

use cognito_activity::batch::{Overflow, Processed, Settlement};
use cognito_activity::Config;

/// Puts overflow records back into the source stream.
pub struct Reingester {
    enabled: bool,
}

impl Reingester {
    pub async fn from_env(config: &Config) -> Self {
        Reingester {
            enabled: config.reingest,
        }
    }

    /// Settles every overflow record of `processed`.
    pub async fn settle(&self, processed: &mut Processed) {
        let pending: Vec<Overflow> = processed.overflow.clone();
        for o in pending {
            tracing::warn!(record_id = %o.record_id, reingest = self.enabled, "overflow record not re-ingested");
            processed.settle(o.index, Settlement::Failed);
        }
    }
}
