//! Decoder robustness: whatever bytes a server sends, an adapter answers
//! with a value or an error, never a panic.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRng, TestRunner};
use roster_core::Operation;
use roster_http::HttpSettings;
use wiremock::matchers::any as any_request;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::faults::{OPERATIONS, WireSubject, run_operation, timerless_http_client};

/// Bodies tried per operation.
pub const CASES_PER_OPERATION: usize = 192;

/// Serves whatever body the test put in the slot, with the operation's
/// success status, so that the adapter tries to decode it.
#[derive(Clone)]
struct Slot(Arc<Mutex<(u16, Vec<u8>)>>);

impl Respond for Slot {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        let (status, body) = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        ResponseTemplate::new(status).set_body_raw(body, "application/json")
    }
}

/// One way to spoil a valid body.
#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
}

fn apply(body: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut body = body.to_vec();
    for mutation in mutations {
        let len = body.len().max(1);
        match mutation {
            Mutation::Truncate(at) => body.truncate(at % len),
            Mutation::Flip(at, mask) => {
                if let Some(byte) = body.get_mut(at % len) {
                    *byte ^= mask;
                }
            }
            Mutation::Insert(at, bytes) => {
                let at = (at % len).min(body.len());
                body.splice(at..at, bytes.iter().copied());
            }
            Mutation::Remove(at, n) => {
                let start = (at % len).min(body.len());
                let end = (start + n).min(body.len());
                body.drain(start..end);
            }
        }
    }
    body
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1_u8..=255).prop_map(|(at, mask)| Mutation::Flip(at, mask)),
        (
            any::<usize>(),
            prop_oneof![
                vec(any::<u8>(), 1..8),
                Just(b"null".to_vec()),
                Just(b"\"\"".to_vec()),
                Just(b"[]".to_vec()),
                Just(b"{}".to_vec()),
                Just(b"-1e999".to_vec()),
                Just(b"\\u0000".to_vec()),
            ]
        )
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        (any::<usize>(), 1_usize..16).prop_map(|(at, n)| Mutation::Remove(at, n)),
    ]
}

/// Bodies to try for one operation: arbitrary bytes, JSON-looking
/// fragments, and (when the subject gives a valid body) mutations of it.
/// Deterministic, so a failure reproduces.
fn bodies(sample: Option<Vec<u8>>, operation: Operation) -> Vec<Vec<u8>> {
    let seed = {
        let mut seed = [0_u8; 32];
        for (i, b) in operation.as_str().bytes().enumerate() {
            seed[i % 32] ^= b;
        }
        seed
    };
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &seed),
    );
    let arbitrary = vec(any::<u8>(), 0..256).boxed();
    let json_like = "[\\[\\]{}\",:0-9a-z. -]{0,64}"
        .prop_map(String::into_bytes)
        .boxed();
    let strategy = match sample {
        Some(valid) => prop_oneof![
            1 => arbitrary,
            1 => json_like,
            4 => vec(mutation(), 1..4).prop_map(move |m| apply(&valid, &m)),
        ]
        .boxed(),
        None => prop_oneof![arbitrary, json_like].boxed(),
    };
    (0..CASES_PER_OPERATION)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .expect("generating a body")
                .current()
        })
        .collect()
}

/// Feeds every operation [`CASES_PER_OPERATION`] hostile bodies and fails,
/// naming the operation and the body, if any of them panics.
pub async fn decoders_never_panic(subject: &dyn WireSubject) {
    let server = MockServer::start().await;
    subject.prepare(&server).await;
    let slot = Slot(Arc::new(Mutex::new((200, Vec::new()))));
    Mock::given(any_request())
        .respond_with(slot.clone())
        .with_priority(10)
        .mount(&server)
        .await;
    let directory = subject
        .connect(
            &server.uri(),
            HttpSettings::new().client(timerless_http_client()),
        )
        .expect("connecting to a loopback server");
    let mut tried = 0;
    for operation in OPERATIONS {
        let status = subject.success_status(operation);
        for body in bodies(subject.sample_body(operation), operation) {
            *slot.0.lock().unwrap_or_else(|e| e.into_inner()) = (status, body.clone());
            let outcome = AssertUnwindSafe(run_operation(&*directory, subject, operation))
                .catch_unwind()
                .await;
            assert!(
                outcome.is_ok(),
                "{operation} panicked on the body {:?}",
                String::from_utf8_lossy(&body)
            );
            tried += 1;
        }
    }
    assert_eq!(tried, OPERATIONS.len() * CASES_PER_OPERATION);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_stay_in_bounds_and_change_the_body() {
        let valid = br#"{"id": 1, "email": "a@b.c"}"#.to_vec();
        let cases = bodies(Some(valid.clone()), Operation::GetUser);
        assert_eq!(cases.len(), CASES_PER_OPERATION);
        assert!(cases.iter().filter(|b| **b != valid).count() > CASES_PER_OPERATION / 2);
        assert_eq!(
            cases,
            bodies(Some(valid), Operation::GetUser),
            "not deterministic"
        );
        assert_eq!(
            apply(b"", &[Mutation::Flip(3, 1), Mutation::Remove(9, 9)]),
            b""
        );
        assert_eq!(apply(b"abc", &[Mutation::Truncate(2)]), b"ab");
    }
}
