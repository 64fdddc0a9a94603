//! The job's API client: bounded retries of transient failures, honouring `Retry-After`,
//! inside the Job's deadline.
//!
//! kube-rs 4's default client retries 429/503/504 up to 15 times with waits of up to
//! 1000 s and sleeps a `Retry-After` uncapped, retries nothing on 500, a timeout or a
//! dropped connection, and has no usable per-request timeout: its `read_timeout`
//! (hyper-timeout) starts counting when a read first waits, which on a pooled keep-alive
//! connection is when the connection goes idle, and restarts only when a read makes
//! progress. A request sent on a connection that idled for most of that time got only
//! what was left of it, and timed out against a server that answered well in time. So
//! the job builds its client with kube's retry and read/write timeouts off, and wraps it
//! in [`Retrying`]:
//! - every attempt, from sending the request to the last byte of its answer, is bounded
//!   by the request timeout (`--request-timeout-ms`), counted from when it is sent; the
//!   answer is read whole inside that bound, so a body that stalls is a timeout too
//!   (the job makes no watch request: a watch through this layer would end at the
//!   timeout);
//! - 429, 500, 502, 503 and 504 answers, a timeout and a dropped connection are tried
//!   again, at most [`ATTEMPTS`] attempts in all;
//! - the wait is the answer's `Retry-After` (seconds), else 250 ms doubling, capped at
//!   [`MAX_WAIT`]; a retry whose wait and timeout would end past the Job's deadline is
//!   not made;
//! - a POST (an Event) is not sent again after a timeout or a dropped connection: it
//!   may have been created, and a create has no precondition to make a repeat harmless.
//!   Every other write carries a resourceVersion precondition, so a repeat of a write
//!   that landed is answered 409, which the executor settles by reading the object.
//!
//! Every retry is logged as one JSON line.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::{Request, Response};
use kube::client::Body;
use serde_json::json;

/// Attempts per request, the first one included.
pub const ATTEMPTS: u32 = 3;
/// Longest wait before one retry, whatever `Retry-After` asks for.
pub const MAX_WAIT: Duration = Duration::from_secs(10);
/// Wait before the first retry when the answer names none; doubled for each later one.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// When the run must be over, and how long one request may take.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// The Job's deadline (its start plus `activeDeadlineSeconds`).
    pub deadline: Instant,
    /// How long one attempt may take, from sending the request to the end of its answer.
    pub timeout: Duration,
}

/// Why an attempt failed in a way worth another try.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transient {
    /// The answer was 429, 500, 502, 503 or 504 (with its `Retry-After`, if any).
    Status(u16, Option<Duration>),
    /// No whole answer within the request timeout.
    Timeout,
    /// The connection closed or failed without an answer.
    ConnectionLost,
}

impl Transient {
    /// The reason logged for this failure.
    pub fn reason(self) -> &'static str {
        match self {
            Transient::Status(429, _) => "throttled",
            Transient::Status(..) => "server-error",
            Transient::Timeout => "timeout",
            Transient::ConnectionLost => "connection-lost",
        }
    }
}

/// How long to wait before attempt `attempt + 1` (attempts count from 1), or `None`
/// when no retry may be made: the attempts are used up, the request must not be
/// repeated, or the retry would end past the deadline.
pub fn wait_before_retry(
    attempt: u32,
    failure: Transient,
    repeatable: bool,
    budget: Budget,
    now: Instant,
) -> Option<Duration> {
    if attempt >= ATTEMPTS {
        return None;
    }
    let wait = match failure {
        Transient::Status(_, Some(retry_after)) => retry_after,
        Transient::Status(_, None) => {
            FIRST_BACKOFF.saturating_mul(1 << attempt.saturating_sub(1).min(16))
        }
        Transient::Timeout | Transient::ConnectionLost if !repeatable => return None,
        Transient::Timeout | Transient::ConnectionLost => {
            FIRST_BACKOFF.saturating_mul(1 << attempt.saturating_sub(1).min(16))
        }
    }
    .min(MAX_WAIT);
    let ends = now.checked_add(wait)?.checked_add(budget.timeout)?;
    (ends <= budget.deadline).then_some(wait)
}

/// A transient failure in an answer, if it is one.
fn transient_status<B>(response: &Response<B>) -> Option<Transient> {
    let code = response.status().as_u16();
    if !matches!(code, 429 | 500 | 502 | 503 | 504) {
        return None;
    }
    // `Retry-After` may also be an HTTP date; the API server sends seconds.
    let retry_after = response
        .headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    Some(Transient::Status(code, retry_after))
}

/// Whether a failed request ran out of time (rather than losing its connection).
pub fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        cause = e.source();
    }
    false
}

/// A request that failed without an answer, after every attempt the budget allowed.
#[derive(Debug, thiserror::Error)]
#[error("{} after {attempts} attempt{}: {detail}", if *.timeout { "no answer within the timeout" } else { "connection lost" }, if *.attempts == 1 { "" } else { "s" })]
pub struct Unanswered {
    /// Whether the last attempt timed out (else its connection was lost).
    pub timeout: bool,
    /// Attempts made.
    pub attempts: u32,
    /// The client's description of the last failure.
    pub detail: String,
}

/// A copy of `parts` + `body` to send, or `None` if the body cannot be copied.
fn copy(parts: &http::request::Parts, body: &Body) -> Option<Request<Body>> {
    let mut request = Request::builder()
        .method(parts.method.clone())
        .uri(parts.uri.clone())
        .version(parts.version)
        .body(body.try_clone()?)
        .ok()?;
    request.headers_mut().clone_from(&parts.headers);
    *request.extensions_mut() = parts.extensions.clone();
    Some(request)
}

/// The retrying service the job's [`kube::Client`] sends through (see the module docs).
#[derive(Clone)]
pub struct Retrying {
    inner: kube::Client,
    budget: Budget,
}

impl Retrying {
    /// Retries over `inner`, a client with kube's own retry and read/write timeouts off.
    pub fn new(inner: kube::Client, budget: Budget) -> Self {
        Self { inner, budget }
    }
}

type Answer = Result<Response<Body>, kube::Error>;

impl tower_service::Service<Request<Body>> for Retrying {
    type Response = Response<Body>;
    type Error = kube::Error;
    type Future = Pin<Box<dyn Future<Output = Answer> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let (inner, budget) = (self.inner.clone(), self.budget);
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let repeatable = parts.method != http::Method::POST;
            let mut attempt = 1;
            loop {
                let Some(request) = copy(&parts, &body) else {
                    // A streamed body cannot be sent twice: one attempt only.
                    let request = Request::from_parts(parts, body);
                    return exchange(&inner, request, budget.timeout)
                        .await
                        .map_err(|lost| lost.into_error(attempt));
                };
                let (failure, result) = match exchange(&inner, request, budget.timeout).await {
                    Ok(response) => match transient_status(&response) {
                        Some(failure) => (failure, Ok(response)),
                        None => return Ok(response),
                    },
                    Err(lost) => {
                        let failure = if lost.timeout {
                            Transient::Timeout
                        } else {
                            Transient::ConnectionLost
                        };
                        (failure, Err(lost.into_error(attempt)))
                    }
                };
                let Some(wait) =
                    wait_before_retry(attempt, failure, repeatable, budget, Instant::now())
                else {
                    return result;
                };
                drop(result);
                let code = match failure {
                    Transient::Status(code, _) => code,
                    Transient::Timeout | Transient::ConnectionLost => 0,
                };
                super::log(json!({"level": "warn", "msg": "retrying a request",
                    "method": parts.method.as_str(), "path": parts.uri.path(), "attempt": attempt,
                    "statusCode": code, "reason": failure.reason(),
                    "waitMs": u64::try_from(wait.as_millis()).unwrap_or(u64::MAX)}));
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
        })
    }
}

/// An attempt that got no whole answer.
struct Lost {
    /// It ran out of time (else its connection failed).
    timeout: bool,
    detail: String,
}

impl Lost {
    fn into_error(self, attempts: u32) -> kube::Error {
        kube::Error::Service(Box::new(Unanswered {
            timeout: self.timeout,
            attempts,
            detail: self.detail,
        }))
    }
}

/// Sends `request` and reads its whole answer, all within `timeout` from now.
async fn exchange(
    inner: &kube::Client,
    request: Request<Body>,
    timeout: Duration,
) -> Result<Response<Body>, Lost> {
    let lost = |e: kube::Error| Lost {
        timeout: timed_out(&e),
        detail: e.to_string(),
    };
    let whole = async {
        let (parts, body) = inner.send(request).await.map_err(lost)?.into_parts();
        let bytes = body.collect_bytes().await.map_err(lost)?;
        Ok(Response::from_parts(parts, Body::from(bytes)))
    };
    tokio::time::timeout(timeout, whole)
        .await
        .unwrap_or_else(|_| {
            Err(Lost {
                timeout: true,
                detail: format!("{} ms passed without a whole answer", timeout.as_millis()),
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(now: Instant, seconds: u64) -> Budget {
        Budget {
            deadline: now + Duration::from_secs(seconds),
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let now = Instant::now();
        let b = budget(now, 100);
        let ask = |s| Transient::Status(429, Some(Duration::from_secs(s)));
        assert_eq!(
            wait_before_retry(1, ask(2), true, b, now),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            wait_before_retry(1, ask(3600), true, b, now),
            Some(MAX_WAIT)
        );
    }

    #[test]
    fn waits_double_without_retry_after_and_attempts_are_bounded() {
        let now = Instant::now();
        let b = budget(now, 100);
        let e = Transient::Status(500, None);
        assert_eq!(
            wait_before_retry(1, e, true, b, now),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            wait_before_retry(2, e, true, b, now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(wait_before_retry(ATTEMPTS, e, true, b, now), None);
    }

    #[test]
    fn no_retry_ends_past_the_deadline() {
        let now = Instant::now();
        let ask = Transient::Status(429, Some(Duration::from_secs(5)));
        assert_eq!(wait_before_retry(1, ask, true, budget(now, 5), now), None);
        assert!(wait_before_retry(1, ask, true, budget(now, 7), now).is_some());
    }

    #[test]
    fn a_post_is_not_sent_again_after_an_unanswered_attempt() {
        let now = Instant::now();
        let b = budget(now, 100);
        assert_eq!(
            wait_before_retry(1, Transient::Timeout, false, b, now),
            None
        );
        assert_eq!(
            wait_before_retry(1, Transient::ConnectionLost, false, b, now),
            None
        );
        assert!(wait_before_retry(1, Transient::Status(503, None), false, b, now).is_some());
    }
}
