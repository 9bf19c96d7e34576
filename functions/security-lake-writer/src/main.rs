//! The Security Lake writer Lambda's start: logging, settings (a bad one
//! stops the function, naming the variable), clients, then the runtime loop.

use cognito_activity_aws::lambda;
use cognito_activity_seclake::lines;
use lambda_runtime::Error;
use security_lake_writer::handler;
use security_lake_writer::settings::Settings;
use security_lake_writer::store::S3Store;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda::init_logging("security_lake_writer");
    let cfg = match lambda::load_config().await {
        Ok(cfg) => lines::ocsf_config(&cfg),
        Err(error) => return Err(lambda::fail_start(error).await),
    };
    let settings = lambda::settings(Settings::from_env()).await?;
    let sdk = cognito_activity_aws::load(&cognito_activity_aws::Options::default()).await;
    let store = S3Store::new(&sdk, &settings).await;
    let (settings, cfg, store) = (&settings, &cfg, &store);
    lambda::serve_events(|event, stop_at| async move {
        handler::handle(&event, stop_at, settings, cfg, store).await
    })
    .await
}
