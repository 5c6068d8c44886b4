//! The one pagination helper every list goes through.

use std::future::Future;

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use crate::error::{Error, ErrorKind, Result};
use crate::model::Page;

/// Turns "fetch the page after this cursor" into a lazy stream of items.
///
/// - The first call gets `None`; each later call gets the previous page's
///   [`Page::next`].
/// - It stops after a page with no `next`, or after an empty page, whatever
///   the provider claims about totals.
/// - It fetches a page only when the consumer asks for an item past the
///   ones it has, so a consumer that stops early sends no further request.
/// - An error ends the stream after it is yielded.
/// - A provider that hands back the cursor it was just given would loop
///   forever; that ends the stream with an [`ErrorKind::Unexpected`] error.
pub fn paginate<'a, T, F, Fut>(fetch: F) -> BoxStream<'a, Result<T>>
where
    T: Send + 'a,
    F: FnMut(Option<String>) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Page<T>>> + Send + 'a,
{
    enum Cursor {
        First,
        After(String),
        Done,
    }

    stream::unfold((Cursor::First, fetch), |(cursor, mut fetch)| async move {
        let requested = match cursor {
            Cursor::Done => return None,
            Cursor::First => None,
            Cursor::After(next) => Some(next),
        };
        let page = match fetch(requested.clone()).await {
            Ok(page) => page,
            Err(err) => return Some((Err(err), (Cursor::Done, fetch))),
        };
        let next = match page.next {
            Some(next) if requested.as_deref() == Some(next.as_str()) => {
                let err = Error::new(
                    ErrorKind::Unexpected,
                    "provider returned the same page cursor twice; stopping to avoid a loop",
                );
                return Some((Err(err), (Cursor::Done, fetch)));
            }
            Some(next) if !page.items.is_empty() => Cursor::After(next),
            _ => Cursor::Done,
        };
        Some((Ok(page.items), (next, fetch)))
    })
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn pages(total: usize, size: usize) -> impl Fn(Option<String>) -> Page<usize> {
        move |cursor| {
            let start: usize = cursor.map_or(0, |c| c.parse().expect("numeric cursor"));
            let end = (start + size).min(total);
            Page {
                items: (start..end).collect(),
                next: (end < total).then(|| end.to_string()),
            }
        }
    }

    #[tokio::test]
    async fn follows_every_page_in_order() {
        let source = pages(25, 10);
        let items: Vec<usize> = paginate(|c| {
            let page = source(c);
            async move { Ok(page) }
        })
        .try_collect()
        .await
        .expect("all pages");
        assert_eq!(items, (0..25).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn is_lazy_and_stops_when_the_consumer_stops() {
        let calls = Arc::new(AtomicUsize::new(0));
        let source = pages(30, 10);
        let counter = calls.clone();
        let first_twelve: Vec<usize> = paginate(move |c| {
            counter.fetch_add(1, Ordering::SeqCst);
            let page = source(c);
            async move { Ok(page) }
        })
        .take(12)
        .try_collect()
        .await
        .expect("items");
        assert_eq!(first_twelve.len(), 12);
        assert_eq!(calls.load(Ordering::SeqCst), 2, "third page never fetched");
    }

    #[tokio::test]
    async fn stops_on_an_empty_page_even_with_a_next_cursor() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let items: Vec<u8> = paginate(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move {
                Ok(Page::<u8> {
                    items: vec![],
                    next: Some("more".to_string()),
                })
            }
        })
        .try_collect()
        .await
        .expect("empty");
        assert!(items.is_empty());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_repeated_cursor_is_an_error_not_a_loop() {
        let result: Result<Vec<u8>> = paginate(|_| async {
            Ok(Page {
                items: vec![1],
                next: Some("same".to_string()),
            })
        })
        .try_collect()
        .await;
        assert_eq!(result.expect_err("loop").kind(), ErrorKind::Unexpected);
    }

    #[tokio::test]
    async fn an_error_ends_the_stream() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let collected: Vec<Result<u8>> = paginate(move |cursor| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move {
                match cursor {
                    None => Ok(Page {
                        items: vec![1, 2],
                        next: Some("p2".to_string()),
                    }),
                    Some(_) => Err(Error::new(ErrorKind::Transport, "boom")),
                }
            }
        })
        .collect()
        .await;
        assert_eq!(collected.len(), 3);
        assert!(collected[2].is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
