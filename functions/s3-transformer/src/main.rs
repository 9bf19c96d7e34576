//! The S3 transformer's start: logging, settings (a bad one stops the
//! function, naming the variable), the S3 client, then the runtime loop.

use cognito_activity_aws::lambda;
use lambda_runtime::{service_fn, Diagnostic, Error, LambdaEvent};
use s3_transformer::handler;
use s3_transformer::settings::Settings;
use s3_transformer::store::S3Store;
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda::init_logging("s3_transformer");
    let cfg = match lambda::load_config().await {
        Ok(cfg) => cfg,
        Err(error) => return Err(lambda::fail_start(error).await),
    };
    let settings = match Settings::from_env(cfg.output_format) {
        Ok(settings) => settings,
        Err(error) => {
            tracing::error!(variable = error.var, error = %error, "invalid configuration");
            return Err(lambda::fail_start(error.to_string().into()).await);
        }
    };
    let sdk = cognito_activity_aws::load(&cognito_activity_aws::Options::default()).await;
    let store = S3Store {
        client: cognito_activity_aws::s3_client(&sdk),
    };
    let (settings, cfg, store) = (&settings, &cfg, &store);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handler::handle(&event.payload, settings, cfg, store)
            .await
            .map_err(|e| {
                tracing::error!(request_id = %event.context.request_id, error = %e, "invocation failed; Lambda retries it, then sends it to the dead-letter queue");
                Diagnostic {
                    error_type: e.kind().to_string(),
                    error_message: e.to_string(),
                }
            })
    }))
    .await
}
