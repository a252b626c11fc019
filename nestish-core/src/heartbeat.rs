//! Heartbeats without a timer per stream: one wheel per heartbeat interval of an application,
//! driven by one task, where a silent stream leaves its waker until its heartbeat is due.
//!
//! A tokio timer in every SSE body cost each idle stream 144 bytes (the `Sleep` and its
//! bookkeeping). Here a stream holds 24 bytes, and the wheel one entry of 32 bytes and a
//! slot reference of 8 while the stream is registered. Time is counted in ticks of a tenth of
//! the interval, and a heartbeat is due at the first tick a full interval after the stream fell
//! silent (the moment its last write was followed by nothing more to send): never early, and
//! at most a tick (10 % of the interval) late; two ticks for a stream that wrote while it was
//! registered, whose silence is placed by the ticks the driver has fired, not by the clock
//! (early only if the runtime ran the driver more than a tick late then).
//!
//! A stream registers only when it goes silent, and again only when its heartbeat came due
//! while it was writing; writing itself touches nothing shared and reads no clock. A dropped stream takes its
//! entry out at once, so the wheel never keeps a closed connection's task alive.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::task::{Context, Waker};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Ticks in an interval: a heartbeat is at most one tick late (two after a busy stream's last write).
const TICKS_PER_INTERVAL: u64 = 10;

/// Slots of the wheel: more than the ticks a deadline can be ahead of now (an interval, plus
/// the tick its last write fell in), so no two pending deadlines share a slot.
const SLOTS: usize = 16;

/// The shortest tick: heartbeats of a few milliseconds are not worth a faster driver.
const MIN_TICK: Duration = Duration::from_millis(1);

/// Marks (see [`Marks`]) come in chunks of this many, made as the entries grow, up to
/// `MARK_CHUNKS` chunks: a million streams on one wheel. Entries past that have no mark, and are
/// woken at their tick to look for themselves.
const MARK_CHUNK: usize = 1024;
const MARK_CHUNKS: usize = 1024;

/// The heartbeat wheels of an application, one per interval its routes use.
#[derive(Debug, Default)]
pub(crate) struct Heartbeats {
    wheels: Mutex<HashMap<Duration, Arc<Wheel>>>,
}

impl Heartbeats {
    /// The wheel of `interval`, made on first use.
    pub(crate) fn wheel(&self, interval: Duration) -> Arc<Wheel> {
        let mut wheels = lock(&self.wheels);
        Arc::clone(wheels.entry(interval).or_insert_with(|| {
            let tick = (interval / TICKS_PER_INTERVAL as u32).max(MIN_TICK);
            Arc::new(Wheel {
                tick,
                span: interval.as_nanos().div_ceil(tick.as_nanos()) as u64,
                start: Instant::now(),
                marks: Marks::new(),
                inner: Mutex::default(),
                fired: AtomicU64::new(0),
                work: Arc::new(Notify::new()),
                driver: Mutex::new(None),
            })
        }))
    }
}

/// The silent streams of one heartbeat interval.
#[derive(Debug)]
pub(crate) struct Wheel {
    tick: Duration,
    /// Ticks in the interval: 10, or fewer for intervals under 10 ms.
    span: u64,
    start: Instant,
    marks: Marks,
    inner: Mutex<Slots>,
    /// `Slots::fired_through`, readable without the lock: a stream registered for a later tick
    /// is still registered.
    fired: AtomicU64,
    /// Wakes a driver that sleeps because nothing is registered (or the wheel is gone).
    work: Arc<Notify>,
    driver: Mutex<Option<JoinHandle<()>>>,
}

/// Per entry, the tick its stream last fell silent at, written by the stream without the lock
/// and read by the driver at the entry's tick. A stream that keeps writing stays registered for
/// the tick it registered for; at that tick, the driver reads in its mark that its heartbeat is
/// due later and moves it there, rather than waking it (a whole poll of its connection, about
/// 2,400 instructions, once an interval for every busy stream) to move itself.
struct Marks {
    chunks: Box<[OnceLock<Box<[AtomicU64; MARK_CHUNK]>>]>,
}

impl Marks {
    fn new() -> Self {
        Self {
            chunks: (0..MARK_CHUNKS).map(|_| OnceLock::new()).collect(),
        }
    }

    /// The mark of entry `key`, if its chunk exists.
    fn get(&self, key: u32) -> Option<&AtomicU64> {
        let key = key as usize;
        let chunk = self.chunks.get(key / MARK_CHUNK)?.get()?;
        Some(&chunk[key % MARK_CHUNK])
    }

    /// Makes the chunk of entry `key` (under the wheel's lock, when the entry is made).
    fn make(&self, key: u32) {
        if let Some(chunk) = self.chunks.get(key as usize / MARK_CHUNK) {
            chunk.get_or_init(|| Box::new(std::array::from_fn(|_| AtomicU64::new(0))));
        }
    }

    /// Records that the stream of entry `key` fell silent at tick `last_write`.
    fn set(&self, key: u32, last_write: u64) {
        if let Some(mark) = self.get(key) {
            mark.store(last_write, Ordering::Relaxed);
        }
    }
}

impl std::fmt::Debug for Marks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let made = self
            .chunks
            .iter()
            .filter(|chunk| chunk.get().is_some())
            .count();
        f.debug_struct("Marks").field("chunks", &made).finish()
    }
}

#[derive(Debug, Default)]
struct Slots {
    /// Per tick modulo `SLOTS`: the entries due then, as (key, generation).
    slots: [Vec<(u32, u32)>; SLOTS],
    entries: Vec<Entry>,
    free: Vec<u32>,
    /// Registered entries, so the driver can sleep while there are none.
    registered: usize,
    /// The last tick the driver has fired: a deadline at or before it is due already.
    fired_through: u64,
}

#[derive(Debug, Default)]
struct Entry {
    generation: u32,
    /// The tick it is due, while registered.
    due: Option<u64>,
    waker: Option<Waker>,
}

/// A stream's place in a wheel: 24 bytes in the SSE body.
#[derive(Debug, Default)]
pub(crate) struct Heartbeat {
    /// The first tick that begins at or after the stream's last write; `WROTE` when it has
    /// written since it last fell silent.
    last_write: u64,
    /// The tick the stream is registered to be woken at; 0 when it is not.
    registered: u64,
    /// Its entry in the wheel (key, generation), once it has one; `NO_KEY` before.
    key: u32,
    generation: u32,
}

impl Heartbeat {
    /// The stream wrote a frame: its heartbeat is due an interval after it next falls silent.
    ///
    /// The clock is read then, in [`Wheel::due`], not here: a busy stream writes many frames
    /// per silence, and the moment it falls silent is at or after its last write, so this can
    /// only make its heartbeat later, never early.
    pub(crate) fn wrote(&mut self) {
        self.last_write = WROTE;
    }
}

const NO_KEY: u32 = u32::MAX;

/// `Heartbeat::last_write` of a stream that has written since it was last silent.
const WROTE: u64 = u64::MAX;

impl Wheel {
    /// Nanoseconds since the wheel started, and the tick's: in `u64`, since a `u128` division
    /// is a library call and this runs once per silence of every stream (`u64` nanoseconds last
    /// 584 years).
    fn elapsed(&self) -> (u64, u64) {
        let elapsed = Instant::now().saturating_duration_since(self.start);
        (elapsed.as_nanos() as u64, self.tick.as_nanos() as u64)
    }

    /// The current tick (the last one begun).
    fn now(&self) -> u64 {
        let (elapsed, tick) = self.elapsed();
        elapsed / tick
    }

    /// The instant tick `tick` begins.
    fn instant(&self, tick: u64) -> Instant {
        self.start + self.tick * u32::try_from(tick).unwrap_or(u32::MAX)
    }
    /// A stream about to write its first frame.
    pub(crate) fn start(&self) -> Heartbeat {
        Heartbeat {
            last_write: WROTE,
            registered: 0,
            key: NO_KEY,
            generation: 0,
        }
    }

    /// Whether the silent stream's heartbeat is due; if not, it is registered to be woken when
    /// it will be. `new_waker`: the task polls with another waker than it did before.
    ///
    /// A stream already registered for a tick still ahead keeps that registration, even if it
    /// wrote since: at that tick the driver moves it to its new deadline (see [`Marks`]). So a
    /// stream that writes more often than its interval takes the wheel's lock once an interval,
    /// not once a write, and is not woken for its heartbeat.
    ///
    /// Inlined up to its first answer, which is the answer to almost every poll of a busy stream
    /// (the body calling it is generic, compiled in the application's crate).
    #[inline]
    pub(crate) fn due(
        self: &Arc<Self>,
        heartbeat: &mut Heartbeat,
        cx: &mut Context<'_>,
        new_waker: bool,
    ) -> bool {
        // Still registered for a tick the driver has not fired, with the same waker: the wheel
        // wakes the stream at that tick (at or before its deadline) to look again, and nothing
        // but the moment of its last write can have changed. So no clock is read: not when it
        // is polled again while silent (hyper polls a body twice more after each frame it
        // takes), and not when it falls silent after a write. That moment is now, before the
        // driver fires the tick after the last one it fired (it fires every tick while a stream
        // is registered, this one included): the second tick after that one begins at or after
        // it, unless the driver runs more than a tick late. A busy stream falls silent after
        // every frame, and reading the clock then was a fifth of what nestish added to a
        // delivered hub event.
        let fired = self.fired.load(Ordering::Acquire);
        if !new_waker && heartbeat.registered > fired {
            if heartbeat.last_write == WROTE {
                heartbeat.last_write = fired + 2;
                self.marks.set(heartbeat.key, heartbeat.last_write);
            }
            return false;
        }
        self.due_by_the_clock(heartbeat, cx, new_waker)
    }

    /// [`Wheel::due`] for a stream that is not registered for a tick still ahead (or polled
    /// with a new waker): reads the clock, and registers it if its heartbeat is not due yet.
    fn due_by_the_clock(
        self: &Arc<Self>,
        heartbeat: &mut Heartbeat,
        cx: &mut Context<'_>,
        new_waker: bool,
    ) -> bool {
        let (elapsed, tick) = self.elapsed();
        let now = elapsed / tick;
        if heartbeat.last_write == WROTE {
            heartbeat.last_write = elapsed.div_ceil(tick);
        }
        // A full interval after the first tick at or after the write: never early, and at most
        // a tick late.
        let due = heartbeat.last_write + self.span;
        if now >= due {
            return true;
        }
        if now < heartbeat.registered && !new_waker {
            return false;
        }
        let mut guard = lock(&self.inner);
        let slots = &mut *guard;
        if due <= slots.fired_through {
            // The driver went past it between the look at the clock and the lock.
            return true;
        }
        if heartbeat.key == NO_KEY {
            heartbeat.key = slots.free.pop().unwrap_or_else(|| {
                slots.entries.push(Entry::default());
                let key = u32::try_from(slots.entries.len() - 1).unwrap_or(NO_KEY);
                self.marks.make(key);
                key
            });
            heartbeat.generation = slots.entries[heartbeat.key as usize].generation;
        }
        let (key, generation) = (heartbeat.key, heartbeat.generation);
        self.marks.set(key, heartbeat.last_write);
        let entry = &mut slots.entries[key as usize];
        match &entry.waker {
            Some(waker) if entry.due == Some(due) && waker.will_wake(cx.waker()) => {
                // The driver moved it here (see `fire`).
                heartbeat.registered = due;
                return false;
            }
            _ => entry.waker = Some(cx.waker().clone()),
        }
        if entry.due != Some(due) {
            if entry.due.is_none() {
                slots.registered += 1;
            }
            entry.due = Some(due);
            slots.slots[(due % SLOTS as u64) as usize].push((key, generation));
        }
        heartbeat.registered = due;
        let first = slots.registered == 1;
        drop(guard);
        self.drive(first);
        false
    }

    /// The stream is gone: its entry is freed, its waker dropped.
    pub(crate) fn remove(&self, heartbeat: &Heartbeat) {
        let (key, generation) = (heartbeat.key, heartbeat.generation);
        if key == NO_KEY {
            return;
        }
        let mut slots = lock(&self.inner);
        let slots = &mut *slots;
        let entry = &mut slots.entries[key as usize];
        if entry.generation != generation {
            return;
        }
        if entry.due.take().is_some() {
            slots.registered -= 1;
        }
        entry.waker = None;
        entry.generation = entry.generation.wrapping_add(1);
        slots.free.push(key);
    }

    /// Makes sure a driver runs (a new one if it never ran, or if the runtime it ran on is
    /// gone), and wakes it if it sleeps for want of work.
    fn drive(self: &Arc<Self>, first: bool) {
        let mut driver = lock(&self.driver);
        if driver.as_ref().is_none_or(JoinHandle::is_finished) {
            *driver = Some(tokio::spawn(run(Arc::downgrade(self))));
        } else if first {
            self.work.notify_one();
        }
    }

    /// Wakes the entries due at `tick`; whether any stays registered.
    fn fire(&self, tick: u64) -> bool {
        let mut slots = lock(&self.inner);
        let slots = &mut *slots;
        slots.fired_through = slots.fired_through.max(tick);
        self.fired.store(slots.fired_through, Ordering::Release);
        let due = std::mem::take(&mut slots.slots[(tick % SLOTS as u64) as usize]);
        for (key, generation) in due {
            let entry = &mut slots.entries[key as usize];
            // Moved to a later tick, or freed since: not this one's.
            if entry.generation != generation || entry.due != Some(tick) {
                continue;
            }
            // Fell silent again since it registered: due later, where it goes without being
            // woken (within the wheel's slots; a driver running late wakes it instead).
            let later = self
                .marks
                .get(key)
                .map(|mark| mark.load(Ordering::Relaxed) + self.span);
            if let Some(later) = later.filter(|&later| later > tick && later - tick < SLOTS as u64)
            {
                entry.due = Some(later);
                slots.slots[(later % SLOTS as u64) as usize].push((key, generation));
                continue;
            }
            entry.due = None;
            slots.registered -= 1;
            if let Some(waker) = entry.waker.take() {
                waker.wake();
            }
        }
        slots.registered > 0
    }
}

/// The driver: each tick, wakes the streams due; sleeps while none is registered; ends with
/// the application.
async fn run(wheel: Weak<Wheel>) {
    let mut next = match wheel.upgrade() {
        Some(wheel) => wheel.now() + 1,
        None => return,
    };
    loop {
        let Some(strong) = wheel.upgrade() else {
            return;
        };
        let waiting = Arc::clone(&strong.work).notified_owned();
        tokio::time::sleep_until(strong.instant(next)).await;
        let now = strong.now();
        let mut busy = false;
        // Every tick since the last one, if the runtime was late.
        for tick in next..=now {
            busy |= strong.fire(tick);
        }
        next = now + 1;
        if !busy && lock(&strong.inner).registered == 0 {
            drop(strong);
            waiting.await;
            if let Some(strong) = wheel.upgrade() {
                next = next.max(strong.now() + 1);
            }
        }
    }
}

impl Drop for Wheel {
    fn drop(&mut self) {
        // A driver waiting for work learns that none will come, and ends.
        self.work.notify_one();
    }
}

/// Locks `mutex`: the heartbeat wheels' and the shutdown wake list's.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding these locks; if something did, the data is still whole.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_stream_that_writes_more_often_than_its_interval_registers_once_an_interval() {
        let wheel = Heartbeats::default().wheel(Duration::from_secs(10));
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut heartbeat = wheel.start();
        let mut registrations = 0;
        for _ in 0..30 {
            tokio::time::advance(Duration::from_secs(1)).await;
            heartbeat.wrote();
            let before = heartbeat.registered;
            assert!(!wheel.due(&mut heartbeat, &mut cx, false), "it just wrote");
            registrations += usize::from(heartbeat.registered != before);
            // Its registration, and at most an old one the driver has not fired yet: not one
            // per write.
            let pending: usize = lock(&wheel.inner).slots.iter().map(Vec::len).sum();
            assert!(pending <= 2, "{pending} slot entries for one stream");
        }
        assert!((3..=4).contains(&registrations), "{registrations} in 30 s");
    }

    /// Counts its wakes, and lets a test wait for the next one.
    #[derive(Default)]
    struct Wakes {
        count: std::sync::atomic::AtomicUsize,
        notify: Notify,
    }

    impl futures::task::ArcWake for Wakes {
        fn wake_by_ref(this: &Arc<Self>) {
            this.count.fetch_add(1, Ordering::SeqCst);
            this.notify.notify_one();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_that_keeps_writing_is_moved_to_its_new_tick_not_woken() {
        let interval = Duration::from_secs(10);
        let wheel = Heartbeats::default().wheel(interval);
        let wakes = Arc::new(Wakes::default());
        let waker = futures::task::waker(Arc::clone(&wakes));
        let mut cx = Context::from_waker(&waker);
        let mut heartbeat = wheel.start();
        assert!(!wheel.due(&mut heartbeat, &mut cx, true), "it just wrote");
        for _ in 0..45 {
            // The driver fires every tick meanwhile (time moves on by itself while paused).
            tokio::time::sleep(Duration::from_secs(1)).await;
            heartbeat.wrote();
            assert!(!wheel.due(&mut heartbeat, &mut cx, false), "it just wrote");
        }
        assert_eq!(
            wakes.count.load(Ordering::SeqCst),
            0,
            "woken while it wrote every second"
        );
        // Silent from now on: woken for its heartbeat an interval later, at most two ticks
        // (2 s) late, and never early.
        let silent = Instant::now();
        loop {
            let woken = wakes.notify.notified();
            if wheel.due(&mut heartbeat, &mut cx, false) {
                break;
            }
            woken.await;
        }
        let after = silent.elapsed();
        assert!(
            after >= interval && after <= interval + Duration::from_secs(2),
            "heartbeat due {after:?} after the last write"
        );
    }
}
