//! The Firehose transformation Lambda: a thin shell over
//! `cognito_activity::process_event` (see `handler.rs`).

use firehose_transformer::{handler, Reingester};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = firehose_transformer::load_config()?;
    let reingester = Reingester::from_env(&config).await;
    run(service_fn(|event: LambdaEvent<_>| {
        handler::handle(event, &config, &reingester)
    }))
    .await
}
