//! The times libsinsp keeps beside its tables, for `evt.reltime`,
//! `evt.deltatime` and `evt.latency`: the capture's first event, the event
//! before, and (only when asked, being a lookup per event) each thread's
//! last enter and latency.

use std::collections::HashMap;

use crate::event::Event;
use crate::schema::{cat, Direction};

/// What [`super::CaptureState::update`] keeps of event times.
#[derive(Debug, Default)]
pub(super) struct EventTimes {
    /// The first numbered event's time (sysdig numbers neither a capture's
    /// user nor group events, and counts its relative times from there).
    first: Option<u64>,
    /// The time of the event before the current one.
    prev: Option<u64>,
    current: Option<u64>,
    /// Per thread: the last enter's time and the last exit's latency;
    /// `None` unless [`EventTimes::track_latency`] was called.
    threads: Option<HashMap<u64, (u64, u64)>>,
    /// The current event's latency.
    latency: u64,
}

impl EventTimes {
    pub(super) fn see(&mut self, ev: &Event<'_>) {
        let ts = ev.ts();
        if super::is_numbered(ev) {
            self.first.get_or_insert(ts);
        }
        self.prev = self.current.replace(ts);
        let Some(threads) = self.threads.as_mut() else {
            return;
        };
        self.latency = 0;
        // Internal events (procinfo, drops) are no thread's.
        if ev.info().is_none_or(|i| i.category & cat::INTERNAL != 0) {
            return;
        }
        // As sysdig 0.29 shows `-t d` on the fixtures: an exit's time since
        // its thread's last enter; a context switch shows its thread's last
        // latency; an enter 0.
        let (enter, latency) = threads.entry(ev.tid()).or_insert((ts, 0));
        if ev.name() == "switch" {
            self.latency = *latency;
        } else if ev.direction() == Direction::Exit {
            *latency = ts.wrapping_sub(*enter);
            self.latency = *latency;
        } else {
            (*enter, *latency) = (ts, 0);
        }
    }

    pub(super) fn track_latency(&mut self) {
        self.threads.get_or_insert_with(HashMap::new);
    }

    pub(super) fn tracking_latency(&self) -> bool {
        self.threads.is_some()
    }

    pub(super) fn first(&self) -> Option<u64> {
        self.first
    }

    pub(super) fn prev(&self) -> Option<u64> {
        self.prev
    }

    pub(super) fn latency(&self) -> Option<u64> {
        self.threads.as_ref().map(|_| self.latency)
    }
}
