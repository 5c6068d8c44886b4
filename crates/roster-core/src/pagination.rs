//! The pagination helpers every list goes through: [`paginate`], and
//! [`paginate_through_empty_pages`] for lists whose pages may be empty
//! before the end.

use std::collections::HashSet;
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
/// - A provider that hands back a cursor it was given before would loop
///   forever; that ends the stream with an [`ErrorKind::Unexpected`] error.
///
/// For a list whose pages may be empty before its end, use
/// [`paginate_through_empty_pages`].
pub fn paginate<'a, T, F, Fut>(fetch: F) -> BoxStream<'a, Result<T>>
where
    T: Send + 'a,
    F: FnMut(Option<String>) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Page<T>>> + Send + 'a,
{
    follow(fetch, EmptyPage::Ends)
}

/// Like [`paginate`], but an empty page with a `next` cursor does not end
/// the list: the stream goes on to the next page.
///
/// This is for lists filtered out of a paged list, such as a tenant's
/// members read from a paged user list (Adverity): a page of users none of
/// whom is a member is an empty page of members, and more may follow. Such
/// an adapter must hand out a `next` only while its underlying pages still
/// hold something, so the list ends where the underlying one does. A cursor
/// handed back twice ends the stream with an [`ErrorKind::Unexpected`]
/// error, as in [`paginate`], so a provider that cycles through cursors
/// cannot keep it busy forever; empty pages are never yielded, so a
/// consumer sees only items.
pub fn paginate_through_empty_pages<'a, T, F, Fut>(fetch: F) -> BoxStream<'a, Result<T>>
where
    T: Send + 'a,
    F: FnMut(Option<String>) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Page<T>>> + Send + 'a,
{
    follow(fetch, EmptyPage::Continues)
}

/// What an empty page with a `next` cursor means.
#[derive(Clone, Copy)]
enum EmptyPage {
    /// The end of the list: a provider may keep handing out cursors past
    /// its last item.
    Ends,
    /// Nothing on this page; the list goes on.
    Continues,
}

/// The one page-following loop behind [`paginate`] and
/// [`paginate_through_empty_pages`].
fn follow<'a, T, F, Fut>(fetch: F, empty_page: EmptyPage) -> BoxStream<'a, Result<T>>
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

    struct State<F> {
        cursor: Cursor,
        fetch: F,
        // Every cursor requested so far: one handed out again means the
        // provider is going round in a circle, however long.
        seen: HashSet<String>,
    }

    let start = State {
        cursor: Cursor::First,
        fetch,
        seen: HashSet::new(),
    };
    stream::unfold(start, move |mut state| async move {
        let requested = match std::mem::replace(&mut state.cursor, Cursor::Done) {
            Cursor::Done => return None,
            Cursor::First => None,
            Cursor::After(next) => Some(next),
        };
        if let Some(cursor) = &requested {
            state.seen.insert(cursor.clone());
        }
        let page = match (state.fetch)(requested).await {
            Ok(page) => page,
            Err(err) => return Some((Err(err), state)),
        };
        state.cursor = match page.next {
            Some(next) if state.seen.contains(&next) => {
                let err = Error::new(
                    ErrorKind::Unexpected,
                    "provider handed out a page cursor it was given before; stopping to avoid a loop",
                );
                return Some((Err(err), state));
            }
            Some(next) if !page.items.is_empty() => Cursor::After(next),
            Some(next) if matches!(empty_page, EmptyPage::Continues) => Cursor::After(next),
            _ => Cursor::Done,
        };
        Some((Ok(page.items), state))
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

    #[tokio::test]
    async fn a_cursor_cycle_longer_than_one_page_is_an_error_not_a_loop() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        // a -> b -> a -> ...
        let result: Result<Vec<u8>> = paginate(move |cursor| {
            counter.fetch_add(1, Ordering::SeqCst);
            let next = match cursor.as_deref() {
                Some("a") => "b",
                _ => "a",
            };
            async move {
                Ok(Page {
                    items: vec![1],
                    next: Some(next.to_string()),
                })
            }
        })
        .try_collect()
        .await;
        assert_eq!(result.expect_err("cycle").kind(), ErrorKind::Unexpected);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "first, a, b; a is not asked again"
        );
    }

    /// Pages of a filtered list: `pages[n]` is page `n`'s items, and every
    /// page but the last names the next.
    fn sparse(pages: Vec<Vec<u8>>) -> impl Fn(Option<String>) -> Page<u8> {
        move |cursor| {
            let number: usize = cursor.map_or(0, |c| c.parse().expect("numeric cursor"));
            Page {
                items: pages[number].clone(),
                next: (number + 1 < pages.len()).then(|| (number + 1).to_string()),
            }
        }
    }

    #[tokio::test]
    async fn through_empty_pages_goes_on_past_empty_pages_to_the_end() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let source = sparse(vec![vec![], vec![1, 2], vec![], vec![], vec![3], vec![]]);
        let items: Vec<u8> = paginate_through_empty_pages(move |cursor| {
            counter.fetch_add(1, Ordering::SeqCst);
            let page = source(cursor);
            async move { Ok(page) }
        })
        .try_collect()
        .await
        .expect("all pages");
        assert_eq!(items, [1, 2, 3]);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            6,
            "every page, the empty ones too"
        );
    }

    #[tokio::test]
    async fn through_empty_pages_stops_at_no_next_and_when_the_consumer_stops() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let source = sparse(vec![vec![1], vec![], vec![2], vec![3]]);
        let first_two: Vec<u8> = paginate_through_empty_pages(move |cursor| {
            counter.fetch_add(1, Ordering::SeqCst);
            let page = source(cursor);
            async move { Ok(page) }
        })
        .take(2)
        .try_collect()
        .await
        .expect("items");
        assert_eq!(first_two, [1, 2]);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "the fourth page is never fetched"
        );
    }

    #[tokio::test]
    async fn through_empty_pages_a_repeated_cursor_on_empty_pages_is_an_error_not_a_loop() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let result: Result<Vec<u8>> = paginate_through_empty_pages(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            async {
                Ok(Page::<u8> {
                    items: vec![],
                    next: Some("same".to_string()),
                })
            }
        })
        .try_collect()
        .await;
        assert_eq!(result.expect_err("loop").kind(), ErrorKind::Unexpected);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
