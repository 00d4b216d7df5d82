//! Results computed from the data as of some version, shared while that version holds.
//!
//! The key carries the data versions the result was computed from (read before computing, so a
//! write made meanwhile makes the next request compute again), so an entry is never stale: a
//! newer version is simply another key. Entries of older versions are left to be cleared when
//! the memo is full.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

pub struct Memo<K, V> {
    map: Mutex<HashMap<K, Arc<V>>>,
    kept: usize,
}

impl<K, V> Default for Memo<K, V> {
    /// Bounded, so that a crawl over every unit cannot grow it without end.
    fn default() -> Self {
        Memo {
            map: Mutex::new(HashMap::new()),
            kept: 1_024,
        }
    }
}

impl<K, V> Memo<K, V> {
    /// A memo that keeps at most `kept` entries (for large values).
    pub fn with_capacity(kept: usize) -> Self {
        Memo {
            map: Mutex::new(HashMap::new()),
            kept,
        }
    }
}

impl<K: Hash + Eq, V> Memo<K, V> {
    pub fn get(&self, key: &K) -> Option<Arc<V>> {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    pub fn put(&self, key: K, value: Arc<V>) {
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= self.kept {
            m.clear();
        }
        m.insert(key, value);
    }
}
