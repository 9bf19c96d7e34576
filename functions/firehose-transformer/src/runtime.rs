//! The Runtime API side of the function: each invocation's body handed to
//! the handler as the bytes that arrived, and the handler's bytes posted
//! back as the response, with nothing parsed or copied in between.
//!
//! `lambda_runtime::run(service_fn(handler))` would parse the whole event
//! into a `serde_json` value (a `RawValue` at the least), and serialize the
//! response through `serde_json` again, validating and copying it: work
//! outside the library the size of the event and of the response on every
//! invocation. `lambda_runtime` 0.14 has no public way to hand a handler
//! raw bytes, but the services added with [`Runtime::layer`] receive the
//! [`LambdaInvocation`] (the raw body and the [`Context`]) and may answer it
//! themselves. [`Answer`] is such a service: it calls the handler and posts
//! the answer to the Runtime API
//! (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>)
//! with its own client. `lambda_runtime` still polls for invocations,
//! builds the context, sets `_X_AMZN_TRACE_ID` and opens the per-invocation
//! tracing span, as it did with `run`.
//!
//! What `lambda_runtime` did for a handler and is kept here: a handler
//! error goes to the error endpoint with the same `errorType` and
//! `errorMessage`, a panic is caught and reported the same way, and a
//! failure to reach the Runtime API ends the process. Firehose invokes with
//! buffered responses, so there is no streaming response. Two things
//! differ, both on purpose: an event that is not JSON at all now reaches
//! the handler (which answers it as it answers any event that is not a
//! Firehose event, logging the request id) instead of being refused by
//! lambda_runtime's deserializer; and the whole event is no longer logged
//! at `TRACE` level, as lambda_runtime's handler service does: our logs
//! never carry payloads. The answers are posted with a second Runtime API
//! client (the runtime's own is private to it); the Runtime API takes
//! several connections.
//!
//! [`Context`]: lambda_runtime::Context

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use cognito_activity::Config;
use futures_util::FutureExt as _;
use http::{Method, Request};
use http_body_util::BodyExt as _;
use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::{
    layers::TracingLayer, Diagnostic, Error, LambdaEvent, LambdaInvocation, Runtime,
};
use lambda_runtime_api_client::body::Body;
use lambda_runtime_api_client::{build_request, Client};

use crate::handler;
use crate::reingest::{Reingester, Sink};

/// Serves invocations until the Runtime API goes away: polls, hands each
/// event to [`handler::handle`] and posts its answer.
pub async fn run<S: Sink>(config: &Config, reingester: &Reingester<S>) -> Result<(), Error> {
    let answer = Answer {
        config,
        reingester,
        client: Arc::new(Client::builder().build()?),
    };
    // `Runtime::new` wants a handler; `Answer` answers every invocation
    // before it would be reached, so this one is never called.
    let unused = lambda_runtime::service_fn(|_: LambdaEvent<serde::de::IgnoredAny>| async {
        Err::<(), Error>("the raw invocation layer answers every invocation".into())
    });
    Runtime::new(unused)
        .layer(answer)
        .layer(TracingLayer::new())
        .run()
        .await
}

/// The service that answers each invocation from its raw body (see the
/// module docs). As a [`Layer`] it takes the place of the service it wraps.
pub struct Answer<'a, S> {
    config: &'a Config,
    reingester: &'a Reingester<S>,
    client: Arc<Client>,
}

impl<S> Clone for Answer<'_, S> {
    fn clone(&self) -> Self {
        Answer {
            config: self.config,
            reingester: self.reingester,
            client: self.client.clone(),
        }
    }
}

impl<'a, S, Inner> Layer<Inner> for Answer<'a, S> {
    type Service = Answer<'a, S>;

    fn layer(&self, _inner: Inner) -> Self::Service {
        self.clone()
    }
}

impl<'a, S: Sink> Service<LambdaInvocation> for Answer<'a, S> {
    type Response = ();
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<(), Error>> + 'a>>;

    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, invocation: LambdaInvocation) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.answer(invocation).await })
    }
}

impl<S: Sink> Answer<'_, S> {
    async fn answer(&self, invocation: LambdaInvocation) -> Result<(), Error> {
        let LambdaInvocation { body, context, .. } = invocation;
        let outcome = AssertUnwindSafe(handler::handle(
            &body,
            &context,
            self.config,
            self.reingester,
        ))
        .catch_unwind()
        .await;
        // The event's buffer is given back before the response is sent.
        drop(body);
        let request = match outcome {
            Ok(Ok(response)) => response_request(&context.request_id, response),
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
        let reply = self.client.call(request).await.inspect_err(|error| {
            tracing::error!(error = ?error, "failed to send request to Lambda Runtime API");
        })?;
        // Reading the Runtime API's short reply to its end lets the
        // connection be used again for the next answer.
        reply.into_body().collect().await?;
        Ok(())
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
