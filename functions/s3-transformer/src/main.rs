//! The S3 transformer's start: logging, settings (a bad one stops the
//! function, naming the variable), the S3 client, then the runtime loop.

use cognito_activity_aws::lambda;
use lambda_runtime::Error;
use s3_transformer::handler;
use s3_transformer::settings::Settings;
use s3_transformer::store::S3Store;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda::init_logging("s3_transformer");
    let cfg = match lambda::load_config().await {
        Ok(cfg) => cfg,
        Err(error) => return Err(lambda::fail_start(error).await),
    };
    let settings = lambda::settings(Settings::from_env(cfg.output_format)).await?;
    let sdk = cognito_activity_aws::load(&cognito_activity_aws::Options::default()).await;
    let store = S3Store {
        client: cognito_activity_aws::s3_client(&sdk),
    };
    let (settings, cfg, store) = (&settings, &cfg, &store);
    lambda::serve_events(|event, stop_at| async move {
        handler::handle(&event, stop_at, settings, cfg, store).await
    })
    .await
}
