//! The Firehose transformation Lambda: a thin shell over
//! `cognito_activity::process_event` (see `handler.rs`), served from the
//! invocations' raw bytes (see `runtime.rs`).

use lambda_runtime::Error;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    firehose_transformer::init_logging();
    let config = match firehose_transformer::load_config().await {
        Ok(config) => config,
        Err(error) => {
            // Lambda's own reporting names the variable too; the process ends either way.
            if let Err(post) =
                firehose_transformer::runtime::report_init_error(&error.to_string()).await
            {
                tracing::error!(error = %post, "could not report the configuration error to the Runtime API");
            }
            return Err(error);
        }
    };
    let reingester = firehose_transformer::reingester(&config).await;
    firehose_transformer::runtime::run(&config, &reingester).await
}
