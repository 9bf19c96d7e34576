//! The Firehose transformation Lambda: a thin shell over
//! `cognito_activity::process_event` (see `handler.rs`), served from the
//! invocations' raw bytes (see `runtime.rs`).

use lambda_runtime::Error;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    firehose_transformer::init_logging();
    let config = firehose_transformer::load_config().await?;
    let reingester = firehose_transformer::reingester(&config).await;
    firehose_transformer::runtime::run(&config, &reingester).await
}
