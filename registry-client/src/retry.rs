//! Retrying what may pass: every step of a push or a pull is safe to repeat (blobs are named by their digest, a
//! manifest PUT replaces itself), so a refused connection, a broken transfer or a 5xx answer is tried again, a
//! bounded number of times with growing pauses, before it is reported.

use crate::error::RegistryError;
use std::future::Future;
use std::time::Duration;

/// Tries in all, the first included.
const ATTEMPTS: u32 = 3;
/// The pause before the second try; it doubles before each next one.
const FIRST_PAUSE: Duration = Duration::from_millis(200);

/// Runs `step` until it succeeds, fails for good, or has failed [`ATTEMPTS`] times.
pub(crate) async fn retried<T, F, Fut>(mut step: F) -> Result<T, RegistryError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RegistryError>>,
{
    let mut pause = FIRST_PAUSE;
    let mut attempt = 1;
    loop {
        match step().await {
            Err(err) if err.is_transient() && attempt < ATTEMPTS => {
                tokio::time::sleep(pause).await;
                pause *= 2;
                attempt += 1;
            }
            Err(RegistryError::Server {
                registry,
                status,
                message,
                ..
            }) => {
                return Err(RegistryError::Server {
                    registry,
                    status,
                    attempts: attempt,
                    message,
                });
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error() -> RegistryError {
        RegistryError::Server {
            registry: "r".to_owned(),
            status: 503,
            attempts: 1,
            message: "busy".to_owned(),
        }
    }

    #[test]
    fn transient_failures_are_retried_a_bounded_number_of_times() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let mut calls = 0;
        let passed = runtime.block_on(retried(|| {
            calls += 1;
            let outcome = if calls < 3 {
                Err(server_error())
            } else {
                Ok(calls)
            };
            async move { outcome }
        }));
        assert_eq!(passed.unwrap(), 3);

        let mut calls = 0;
        let failed = runtime.block_on(retried(|| {
            calls += 1;
            async { Err::<(), _>(server_error()) }
        }));
        assert_eq!(calls, ATTEMPTS);
        assert!(failed.unwrap_err().to_string().contains("after 3 attempts"));

        // A refusal is final at once.
        let mut calls = 0;
        let refused = runtime.block_on(retried(|| {
            calls += 1;
            async {
                Err::<(), _>(RegistryError::NotWasm {
                    reference: "x".to_owned(),
                    found: "y".to_owned(),
                })
            }
        }));
        assert!(refused.is_err());
        assert_eq!(calls, 1);
    }
}
