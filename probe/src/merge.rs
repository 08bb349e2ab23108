//! Time order across ring buffers.
//!
//! Each CPU's ring holds its records nearly in time order, but the rings
//! drain at different paces: a CPU busy with a flood leaves a backlog while
//! another's ring is read to its end. Sorting what one drain took from each
//! ring is not enough: the backlog's older records would go out after the
//! other ring's newer ones (a child's execve before the clone that made
//! it). So records wait in a queue per ring and go out by smallest head, as
//! libscap's consumer takes the oldest first event of all buffers, and
//! output stops where a ring that still holds records (it was cut short by
//! the per-drain bound) has nothing queued: its next record may be older
//! than any other queued one.
//!
//! A ring found empty does not hold the others back: a record still being
//! written on its CPU then goes out after newer ones, as with libscap.

use std::collections::VecDeque;

/// Records copied out of one ring, waiting to go out.
#[derive(Debug, Default)]
struct Queue {
    bytes: Vec<u8>,
    /// (timestamp, start in `bytes`, length) of each waiting record.
    records: VecDeque<(u64, usize, usize)>,
    /// The ring held more than the last fill took: while this queue is
    /// empty, nothing can go out.
    cut: bool,
}

impl Queue {
    /// Bytes of the records still waiting.
    fn waiting_bytes(&self) -> usize {
        self.records
            .front()
            .map_or(0, |&(_, start, _)| self.bytes.len() - start)
    }

    /// Drops the bytes of records that went out, so a queue that never
    /// empties (a ring always behind) stays bounded.
    fn compact(&mut self) {
        match self.records.front() {
            None => self.bytes.clear(),
            Some(&(_, start, _)) if start > 0 && start >= self.bytes.len() / 2 => {
                self.bytes.drain(..start);
                for r in &mut self.records {
                    r.1 -= start;
                }
            }
            Some(_) => {}
        }
    }
}

/// Queues of records from several rings, handed out in time order.
#[derive(Debug)]
pub(crate) struct Merge {
    queues: Vec<Queue>,
}

impl Merge {
    pub(crate) fn new(rings: usize) -> Merge {
        Merge {
            queues: (0..rings).map(|_| Queue::default()).collect(),
        }
    }

    /// Tops up ring `ring`'s queue to at most `records` records and about
    /// `bytes` bytes waiting. `next` hands the ring's next record to the
    /// function it is given and answers true, or answers false when the
    /// ring is empty. A record's first 8 bytes are its timestamp (0 if
    /// shorter).
    pub(crate) fn fill(
        &mut self,
        ring: usize,
        records: usize,
        bytes: usize,
        mut next: impl FnMut(&mut dyn FnMut(&[u8])) -> bool,
    ) {
        let q = &mut self.queues[ring];
        q.cut = true;
        while q.records.len() < records && q.waiting_bytes() < bytes {
            let more = next(&mut |item: &[u8]| {
                let ts = item
                    .get(..8)
                    .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or_default()));
                q.records.push_back((ts, q.bytes.len(), item.len()));
                q.bytes.extend_from_slice(item);
            });
            if !more {
                q.cut = false;
                return;
            }
        }
    }

    /// Hands at most `max` waiting records to `f` with their ring's index,
    /// oldest first, stopping
    /// early where a cut ring's queue runs dry; returns how many. Records
    /// with equal stamps go out in ring order.
    pub(crate) fn emit(&mut self, max: usize, mut f: impl FnMut(usize, &mut [u8])) -> usize {
        let mut n = 0;
        while n < max {
            let mut best: Option<(u64, usize)> = None;
            for (i, q) in self.queues.iter().enumerate() {
                if let Some(&(ts, _, _)) = q.records.front() {
                    if best.is_none_or(|(b, _)| ts < b) {
                        best = Some((ts, i));
                    }
                }
            }
            let Some((_, i)) = best else { break };
            let q = &mut self.queues[i];
            let Some((_, start, len)) = q.records.pop_front() else {
                break;
            };
            f(i, &mut q.bytes[start..start + len]);
            n += 1;
            if q.records.is_empty() && q.cut {
                break;
            }
        }
        for q in &mut self.queues {
            q.compact();
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(ts: u64, tag: u8) -> Vec<u8> {
        let mut r = ts.to_le_bytes().to_vec();
        r.push(tag);
        r
    }

    fn ring(stamps: &[u64], tag: u8) -> VecDeque<Vec<u8>> {
        stamps.iter().map(|&t| rec(t, tag)).collect()
    }

    /// What `Merge::fill` calls for the next record.
    type Next<'r> = Box<dyn FnMut(&mut dyn FnMut(&[u8])) -> bool + 'r>;

    /// `Merge::fill`'s `next` over a queue of records.
    fn from(r: &mut VecDeque<Vec<u8>>) -> Next<'_> {
        Box::new(move |push| match r.pop_front() {
            Some(item) => {
                push(&item);
                true
            }
            None => false,
        })
    }

    /// Drains both rings as the probe does (`per_ring` records per fill)
    /// and returns the stamps in the order they went out.
    fn run(mut rings: Vec<VecDeque<Vec<u8>>>, per_ring: usize) -> Vec<u64> {
        let mut m = Merge::new(rings.len());
        let mut out = Vec::new();
        for _ in 0..1000 {
            for (i, r) in rings.iter_mut().enumerate() {
                m.fill(i, per_ring, 1 << 20, from(r));
            }
            let n = m.emit(usize::MAX, |_, b| {
                out.push(u64::from_le_bytes(b[..8].try_into().unwrap_or_default()))
            });
            if n == 0 && rings.iter().all(VecDeque::is_empty) {
                break;
            }
        }
        out
    }

    #[test]
    fn a_backlogged_ring_keeps_its_older_records_first() {
        // Ring 0 is far behind (100 old records), ring 1 holds newer ones:
        // with 4 records per fill, a per-batch sort sent 1000.. out before
        // ring 0's 5..99.
        let backlog: Vec<u64> = (1..=100).collect();
        let out = run(vec![ring(&backlog, 0), ring(&[1000, 1001, 1002], 1)], 4);
        let mut sorted = out.clone();
        sorted.sort_unstable();
        assert_eq!(out, sorted);
        assert_eq!(out.len(), 103);
    }

    #[test]
    fn interleaved_rings_merge_in_order_and_equal_stamps_keep_ring_order() {
        let mut m = Merge::new(2);
        let mut a = ring(&[1, 3, 5, 7], 0);
        let mut b = ring(&[2, 3, 6], 1);
        m.fill(0, 10, 1 << 20, from(&mut a));
        m.fill(1, 10, 1 << 20, from(&mut b));
        let mut out = Vec::new();
        assert_eq!(m.emit(usize::MAX, |i, r| out.push((r[0], i))), 7);
        assert_eq!(
            out,
            [(1, 0), (2, 1), (3, 0), (3, 1), (5, 0), (6, 1), (7, 0)]
        );
    }

    #[test]
    fn output_stops_where_a_cut_ring_runs_dry_and_resumes_after_a_fill() {
        let mut m = Merge::new(2);
        let mut a = ring(&[1, 2, 3, 4], 0);
        let mut b = ring(&[10], 1);
        m.fill(0, 2, 1 << 20, from(&mut a));
        m.fill(1, 2, 1 << 20, from(&mut b));
        let mut out = Vec::new();
        // Ring 0 was cut after 1, 2: 10 must wait for 3 and 4.
        m.emit(usize::MAX, |_, r| out.push(r[0]));
        assert_eq!(out, [1, 2]);
        m.fill(0, 2, 1 << 20, from(&mut a));
        m.fill(1, 2, 1 << 20, from(&mut b));
        m.emit(usize::MAX, |_, r| out.push(r[0]));
        assert_eq!(out, [1, 2, 3, 4]);
        m.fill(0, 2, 1 << 20, from(&mut a));
        m.emit(usize::MAX, |_, r| out.push(r[0]));
        assert_eq!(out, [1, 2, 3, 4, 10]);
    }

    #[test]
    fn a_queue_that_never_empties_stays_bounded() {
        let mut m = Merge::new(2);
        let mut a: VecDeque<Vec<u8>> = (0..100_000u64).map(|t| rec(t, 0)).collect();
        for _ in 0..20_000 {
            m.fill(0, 64, 1 << 20, from(&mut a));
            m.fill(1, 64, 1 << 20, |_| false);
            m.emit(3, |_, _| {});
        }
        assert!(
            m.queues[0].bytes.len() <= 2 * 64 * 9,
            "{}",
            m.queues[0].bytes.len()
        );
    }
}
