//! Per-key serialisation for read-modify-write updates.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// One async lock per key, created on first use and dropped when nobody
/// holds or waits for it.
///
/// Several providers change a membership by reading a user, editing a list
/// (NetBird's `auto_groups`, Adverity's `workspaces`) and writing the whole
/// list back. Two such changes to one user at the same time would each
/// write back their own copy and one would be lost. An adapter holds
/// `locks.lock(user_id)` around the read and the write, so changes to the
/// same user queue up while changes to different users run in parallel.
///
/// This serialises changes made through one client (and its clones); it
/// cannot see other processes.
///
/// ```
/// # async fn demo() {
/// let locks = roster_http::KeyedLocks::default();
/// let _guard = locks.lock("user-1").await;
/// // read the user, edit, write back
/// # }
/// ```
#[derive(Clone, Default)]
pub struct KeyedLocks {
    locks: Arc<Mutex<HashMap<String, Weak<AsyncMutex<()>>>>>,
}

/// Holds one key's lock until dropped.
#[must_use = "the key is unlocked as soon as the guard is dropped"]
pub struct KeyedGuard {
    _guard: OwnedMutexGuard<()>,
}

impl KeyedLocks {
    /// Waits for `key`'s lock and holds it until the guard is dropped.
    pub async fn lock(&self, key: &str) -> KeyedGuard {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            // Forget keys nobody holds any more, so the map stays as small
            // as the number of keys in use.
            locks.retain(|_, lock| lock.strong_count() > 0);
            match locks.get(key).and_then(Weak::upgrade) {
                Some(lock) => lock,
                None => {
                    let lock = Arc::new(AsyncMutex::new(()));
                    locks.insert(key.to_owned(), Arc::downgrade(&lock));
                    lock
                }
            }
        };
        KeyedGuard {
            _guard: lock.lock_owned().await,
        }
    }

    /// How many keys are locked or waited for right now.
    pub fn keys_in_use(&self) -> usize {
        let locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks
            .values()
            .filter(|lock| lock.strong_count() > 0)
            .count()
    }
}

impl fmt::Debug for KeyedLocks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedLocks")
            .field("keys_in_use", &self.keys_in_use())
            .finish()
    }
}

impl fmt::Debug for KeyedGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyedGuard")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn one_key_is_serialised_and_forgotten_after_use() {
        let locks = KeyedLocks::default();
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (locks, inside, most) = (locks.clone(), inside.clone(), most.clone());
                tokio::spawn(async move {
                    let _guard = locks.lock("u1").await;
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1, "two holders at once");
        assert_eq!(locks.keys_in_use(), 0);
    }

    #[tokio::test]
    async fn different_keys_do_not_wait_for_each_other() {
        let locks = KeyedLocks::default();
        let _a = locks.lock("a").await;
        let b = tokio::time::timeout(Duration::from_secs(5), locks.lock("b")).await;
        assert!(b.is_ok(), "key b waited for key a");
        assert_eq!(locks.keys_in_use(), 2);
    }
}
