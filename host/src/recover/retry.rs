//! The job's API client: bounded retries of transient failures, honouring `Retry-After`,
//! inside the Job's deadline.
//!
//! kube-rs 4's default client retries 429/503/504 up to 15 times with waits of up to
//! 1000 s and sleeps a `Retry-After` uncapped, retries nothing on 500, a timeout or a
//! dropped connection, and has no read timeout: a hung API server would hold the Job
//! until `activeDeadlineSeconds` kills it. So the job builds its client with kube's
//! retry off and a read timeout, and wraps it in [`Retrying`]:
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
    /// The client's read timeout.
    pub timeout: Duration,
}

/// Why an attempt failed in a way worth another try.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transient {
    /// The answer was 429, 500, 502, 503 or 504 (with its `Retry-After`, if any).
    Status(u16, Option<Duration>),
    /// No answer within the read timeout.
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
    /// Retries over `inner`, a client with kube's own retry off and a read timeout.
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
                    return inner.send(Request::from_parts(parts, body)).await;
                };
                let (failure, result) = match inner.send(request).await {
                    Ok(response) => match transient_status(&response) {
                        Some(failure) => (failure, Ok(response)),
                        None => return Ok(response),
                    },
                    Err(e) => {
                        let timeout = timed_out(&e);
                        let failure = if timeout {
                            Transient::Timeout
                        } else {
                            Transient::ConnectionLost
                        };
                        let error = kube::Error::Service(Box::new(Unanswered {
                            timeout,
                            attempts: attempt,
                            detail: e.to_string(),
                        }));
                        (failure, Err(error))
                    }
                };
                let Some(wait) =
                    wait_before_retry(attempt, failure, repeatable, budget, Instant::now())
                else {
                    return result;
                };
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
