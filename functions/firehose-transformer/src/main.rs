//! The Firehose transformation Lambda: a thin shell over
//! `cognito_activity::process_event` (see `handler.rs`).

use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    firehose_transformer::init_logging();
    let config = firehose_transformer::load_config()?;
    let reingester = firehose_transformer::reingester(&config);
    run(service_fn(|event: LambdaEvent<_>| {
        firehose_transformer::handler::handle(event, &config, &reingester)
    }))
    .await
}
