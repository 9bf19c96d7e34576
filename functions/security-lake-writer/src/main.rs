//! The Security Lake writer Lambda's start: logging, settings (a bad one
//! stops the function, naming the variable), clients, then the runtime loop.

use cognito_activity_aws::lambda;
use cognito_activity_seclake::lines;
use lambda_runtime::{service_fn, Diagnostic, Error, LambdaEvent};
use security_lake_writer::handler;
use security_lake_writer::settings::Settings;
use security_lake_writer::store::S3Store;
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda::init_logging("security_lake_writer");
    let cfg = match lambda::load_config().await {
        Ok(cfg) => lines::ocsf_config(&cfg),
        Err(error) => return Err(lambda::fail_start(error).await),
    };
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            tracing::error!(variable = error.var, error = %error, "invalid configuration");
            return Err(lambda::fail_start(error.to_string().into()).await);
        }
    };
    let sdk = cognito_activity_aws::load(&cognito_activity_aws::Options::default()).await;
    let store = S3Store::new(&sdk, &settings).await;
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
