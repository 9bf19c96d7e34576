//! The Runtime API side of the function: each invocation's body handed to
//! the handler as the bytes that arrived, and the handler's bytes posted
//! back as the response, with nothing parsed or copied in between.
//!
//! `lambda_runtime::run(service_fn(handler))` would parse the whole event
//! into a `serde_json` value (a `RawValue` at the least), and serialize the
//! response through `serde_json` again, validating and copying it; its
//! polling loop also joins the event's body from the pieces hyper read it
//! in, a copy of the whole event. So this loop polls with [`Next`], which
//! reads the body straight into one buffer, builds the [`Context`] with
//! `lambda_runtime`'s own `Context::new`, sets `_X_AMZN_TRACE_ID` and opens
//! the per-invocation span as `lambda_runtime` does, calls the handler and
//! posts its answer (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>)
//! with `lambda_runtime`'s Runtime API client.
//!
//! What `lambda_runtime` did for a handler and is kept here: a handler
//! error goes to the error endpoint with the same `errorType` and
//! `errorMessage`, a panic is caught and reported the same way, and a
//! failure to reach the Runtime API ends the process. Firehose invokes with
//! buffered responses, so there is no streaming response. What differs, on
//! purpose:
//!
//! - an event that is not JSON at all reaches the handler (which answers
//!   it as it answers any event that is not a Firehose event, logging the
//!   request id) instead of being refused by lambda_runtime's deserializer;
//! - the whole event is not logged at `TRACE` level, as lambda_runtime's
//!   handler service does (our logs never carry payloads);
//! - an invocation whose headers `Context::new` refuses (or without a
//!   deadline, where it would panic) is answered at the error endpoint
//!   (`errorType` `InvalidContext`) and the next one served, where
//!   lambda_runtime ends the process; one without a request id, which
//!   cannot be answered, stops the function with an error (the refusal's
//!   text, which may quote a header, is neither logged nor posted);
//! - a Runtime API reply other than `2xx` to an answer is logged with its
//!   status;
//! - a poll answered with anything but `200` stops the function
//!   (lambda_runtime reads any status as an invocation; a debug build
//!   skips `204` as it does);
//! - a poll whose kept-alive connection turns out closed, with no byte of
//!   the answer read, is sent once more on a new connection (hyper retries
//!   only a request it could not send);
//! - `AWS_LAMBDA_RUNTIME_API` must be `host:port`, as Lambda sets it
//!   (lambda_runtime would also take a URI with a path).
//!
//! The answers go over a second connection (the Runtime API takes several).
//!
//! [`Context`]: lambda_runtime::Context

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use cognito_activity::Config;
use futures_util::FutureExt as _;
use http::{Method, Request};
use http_body_util::BodyExt as _;
use lambda_runtime::{Context, Diagnostic, Error};
use lambda_runtime_api_client::body::Body;
use lambda_runtime_api_client::{build_request, Client};
use tracing::Instrument as _;

use crate::handler;
use crate::next::Next;
use crate::reingest::{Reingester, Sink};

/// Serves invocations until the Runtime API goes away: polls, hands each
/// event to [`handler::handle`] and posts its answer.
pub async fn run<S: Sink>(config: &Config, reingester: &Reingester<S>) -> Result<(), Error> {
    // Read first: the client below panics without it.
    let address = std::env::var("AWS_LAMBDA_RUNTIME_API")
        .map_err(|_| Error::from("AWS_LAMBDA_RUNTIME_API is not set"))?;
    // What `lambda_runtime::Runtime::new` reads, as it reads it.
    let env_config = Arc::new(lambda_runtime::Config::from_env());
    let client = Client::builder().build()?;
    let mut next = Next::new(&address);
    loop {
        let invocation = next.next().await.inspect_err(|error| {
            tracing::error!(error = %error, "failed to read the next invocation from the Lambda Runtime API");
        })?;
        let context = match invocation.context(env_config.clone()) {
            Ok(context) => context,
            // Headers lambda_runtime refuses (a client context or an identity
            // its types do not take, a deadline that is not a number) under a
            // request id: that invocation is answered with an error, and the
            // next one served. Without a request id there is nothing to answer.
            Err(error) => match invocation.request_id() {
                Ok(request_id) => {
                    tracing::error!(request_id = %request_id, error = %error, "the invocation has no usable context");
                    let diagnostic = Diagnostic {
                        error_type: "InvalidContext".into(),
                        error_message: error.to_string(),
                    };
                    post(&client, error_request(request_id, &diagnostic)?).await?;
                    continue;
                }
                Err(_) => {
                    tracing::error!(error = %error, "the Lambda Runtime API's invocation has no usable context");
                    return Err(error.into());
                }
            },
        };
        amzn_trace_env(&context);
        let span = request_span(&context);
        answer(&client, invocation.body, context, config, reingester)
            .instrument(span)
            .await?;
    }
}

/// Calls the handler on one event and posts its answer, its error or its
/// panic.
async fn answer<S: Sink>(
    client: &Client,
    body: Vec<u8>,
    context: Context,
    config: &Config,
    reingester: &Reingester<S>,
) -> Result<(), Error> {
    let outcome = AssertUnwindSafe(handler::handle(&body, &context, config, reingester))
        .catch_unwind()
        .await;
    // What the response was built from (which borrows the event's record
    // ids) is given back only after the response is sent (see
    // `handler::Answer`), and the event with it.
    let mut built_from = None;
    let request = match outcome {
        Ok(Ok(answer)) => {
            built_from = Some(answer.built_from);
            response_request(&context.request_id, answer.response)
        }
        Ok(Err(error)) => {
            // The line lambda_runtime logs for a handler's error.
            tracing::error!("{error:?}");
            error_request(&context.request_id, &Diagnostic::from(error))
        }
        Err(panic) => {
            tracing::error!(error = ?panic, "user handler panicked");
            error_request(&context.request_id, &panic_diagnostic(&panic))
        }
    }?;
    post(client, request).await?;
    drop(built_from);
    drop(body);
    Ok(())
}

/// Posts an answer to the Runtime API. A refusal (`400` for an invocation
/// already answered, `413` for a response too large) is logged with its
/// status, which lambda_runtime does not do; the function goes on either way,
/// as lambda_runtime's does.
async fn post(client: &Client, request: Request<Body>) -> Result<(), Error> {
    let reply = client.call(request).await.inspect_err(|error| {
        tracing::error!(error = ?error, "failed to send request to Lambda Runtime API");
    })?;
    let status = reply.status();
    if !status.is_success() {
        tracing::error!(
            status = status.as_u16(),
            "the Lambda Runtime API refused an answer"
        );
    }
    // Reading the Runtime API's short reply to its end lets the
    // connection be used again for the next answer.
    reply.into_body().collect().await?;
    Ok(())
}

/// The X-Ray trace id in the environment, where the AWS SDK looks for it,
/// as `lambda_runtime` sets it before each invocation.
fn amzn_trace_env(context: &Context) {
    match &context.xray_trace_id {
        Some(trace_id) => std::env::set_var("_X_AMZN_TRACE_ID", trace_id),
        None => std::env::remove_var("_X_AMZN_TRACE_ID"),
    }
}

/// The span `lambda_runtime`'s `TracingLayer` opens for each invocation.
fn request_span(context: &Context) -> tracing::Span {
    match &context.xray_trace_id {
        Some(trace_id) => tracing::info_span!(
            "Lambda runtime invoke",
            requestId = &context.request_id,
            xrayTraceId = trace_id
        ),
        None => tracing::info_span!("Lambda runtime invoke", requestId = &context.request_id),
    }
}

/// `POST /runtime/invocation/{id}/response` with the handler's bytes as
/// they are (`Body::from(Vec<u8>)` takes the buffer, it does not copy it).
fn response_request(request_id: &str, response: Vec<u8>) -> Result<Request<Body>, Error> {
    Ok(build_request()
        .method(Method::POST)
        .uri(format!(
            "/2018-06-01/runtime/invocation/{request_id}/response"
        ))
        .body(Body::from(response))?)
}

/// `POST /runtime/invocation/{id}/error`, as lambda_runtime sends it.
fn error_request(request_id: &str, diagnostic: &Diagnostic) -> Result<Request<Body>, Error> {
    Ok(build_request()
        .method(Method::POST)
        .uri(format!("/2018-06-01/runtime/invocation/{request_id}/error"))
        .header("lambda-runtime-function-error-type", "unhandled")
        .body(Body::from(serde_json::to_vec(diagnostic)?))?)
}

/// The diagnostic lambda_runtime reports for a panicking handler.
fn panic_diagnostic(panic: &Box<dyn Any + Send>) -> Diagnostic {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str));
    Diagnostic {
        error_type: std::any::type_name::<&Box<dyn Any + Send>>().into(),
        error_message: match message {
            Some(message) => format!("Lambda panicked: {message}"),
            None => "Lambda panicked".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_reported_with_its_message_as_lambda_runtime_reports_it() {
        let panic: Box<dyn Any + Send> = Box::new("index out of bounds");
        let d = panic_diagnostic(&panic);
        assert_eq!(d.error_message, "Lambda panicked: index out of bounds");
        assert_eq!(
            d.error_type,
            "&alloc::boxed::Box<dyn core::any::Any + core::marker::Send>"
        );
        let panic: Box<dyn Any + Send> = Box::new(String::from("formatted"));
        assert_eq!(
            panic_diagnostic(&panic).error_message,
            "Lambda panicked: formatted"
        );
        let panic: Box<dyn Any + Send> = Box::new(7_u8);
        assert_eq!(panic_diagnostic(&panic).error_message, "Lambda panicked");
    }

    #[test]
    fn the_response_is_posted_to_the_invocations_response_endpoint_untouched() {
        let req = response_request("req-1", b"{\"records\":[]}".to_vec()).unwrap();
        assert_eq!(req.method(), Method::POST);
        assert_eq!(req.uri(), "/2018-06-01/runtime/invocation/req-1/response");
        assert!(req
            .headers()
            .get("user-agent")
            .is_some_and(|v| v.to_str().unwrap().starts_with("aws-lambda-rust/")));
    }

    #[test]
    fn an_error_is_posted_as_lambda_runtime_posts_it() {
        let d = Diagnostic::from(Error::from("not a Firehose event".to_string()));
        let req = error_request("req-2", &d).unwrap();
        assert_eq!(req.uri(), "/2018-06-01/runtime/invocation/req-2/error");
        assert_eq!(
            req.headers()["lambda-runtime-function-error-type"],
            "unhandled"
        );
    }
}
