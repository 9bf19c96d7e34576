//! Counting keys whose number is not bounded (user names, IP addresses,
//! device strings: all attacker-controlled) in bounded memory.
//!
//! The Space-Saving algorithm (Metwally, Agrawal, El Abbadi, "Efficient
//! Computation of Frequent and Top-k Elements in Data Streams", ICDT 2005):
//! at most `capacity` keys are tracked; a new key, when the table is full,
//! takes the place of the key with the smallest count and inherits that
//! count as its possible overestimate. Counts are exact while fewer than
//! `capacity` distinct keys have been seen; after that, any key counted
//! more than `total / capacity` times is guaranteed to be in the table, and
//! each count is at most `error` above the truth.

use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone)]
pub struct TopK {
    capacity: usize,
    /// key -> (count, overestimate)
    counts: HashMap<String, (u64, u64)>,
    /// (count, key), to find the smallest count in O(log n).
    order: BTreeSet<(u64, String)>,
    total: u64,
    /// Whether a key was ever evicted (counts are no longer exact).
    evicted: bool,
}

/// One key and its count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub key: String,
    pub count: u64,
    /// How much `count` may exceed the truth (0 while exact).
    pub error: u64,
}

impl TopK {
    pub fn new(capacity: usize) -> TopK {
        TopK {
            capacity: capacity.max(1),
            counts: HashMap::new(),
            order: BTreeSet::new(),
            total: 0,
            evicted: false,
        }
    }

    pub fn add(&mut self, key: &str) {
        self.add_n(key, 1);
    }

    pub fn add_n(&mut self, key: &str, n: u64) {
        self.total += n;
        if let Some((count, _)) = self.counts.get_mut(key) {
            self.order.remove(&(*count, key.to_string()));
            *count += n;
            self.order.insert((*count, key.to_string()));
            return;
        }
        let mut floor = 0;
        if self.counts.len() >= self.capacity {
            if let Some(smallest) = self.order.pop_first() {
                self.counts.remove(&smallest.1);
                floor = smallest.0;
                self.evicted = true;
            }
        }
        self.counts.insert(key.to_string(), (floor + n, floor));
        self.order.insert((floor + n, key.to_string()));
    }

    #[cfg(test)]
    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn is_exact(&self) -> bool {
        !self.evicted
    }

    pub fn distinct_tracked(&self) -> usize {
        self.counts.len()
    }

    /// The `k` largest counts, largest first (ties by key).
    pub fn top(&self, k: usize) -> Vec<Counted> {
        let mut all: Vec<Counted> = self
            .order
            .iter()
            .rev()
            .take(k.saturating_mul(2).max(k))
            .map(|(count, key)| Counted {
                key: key.clone(),
                count: *count,
                error: self.counts.get(key).map_or(0, |c| c.1),
            })
            .collect();
        all.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
        all.truncate(k);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_exact_below_capacity() {
        let mut t = TopK::new(10);
        for k in ["a", "b", "a", "c", "a", "b"] {
            t.add(k);
        }
        let top = t.top(2);
        assert_eq!(
            top[0],
            Counted {
                key: "a".into(),
                count: 3,
                error: 0
            }
        );
        assert_eq!(
            top[1],
            Counted {
                key: "b".into(),
                count: 2,
                error: 0
            }
        );
        assert!(t.is_exact());
        assert_eq!(t.total(), 6);
    }

    #[test]
    fn a_heavy_key_survives_a_flood_of_distinct_keys() {
        let mut t = TopK::new(16);
        for i in 0..10_000 {
            t.add(&format!("noise-{i}"));
            if i % 10 == 0 {
                t.add("attacker");
            }
        }
        assert!(t.distinct_tracked() <= 16);
        let top = t.top(1);
        assert_eq!(top[0].key, "attacker");
        assert!(top[0].count >= 1000 && top[0].count - top[0].error <= 1000);
        assert!(!t.is_exact());
    }
}
