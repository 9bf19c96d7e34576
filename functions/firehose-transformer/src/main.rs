//! The Firehose transformation Lambda: a thin shell over
//! `cognito_activity::process_event` (see `handler.rs`), served from the
//! invocations' raw bytes (see `runtime.rs`).

use cognito_activity_aws::lambda;
use lambda_runtime::Error;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda::init_logging("firehose_transformer");
    let config = match lambda::load_config().await {
        Ok(config) => config,
        Err(error) => return Err(lambda::fail_start(error).await),
    };
    let reingester = firehose_transformer::reingester(&config).await;
    firehose_transformer::runtime::run(&config, &reingester).await
}
