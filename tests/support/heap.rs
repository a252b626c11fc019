//! An allocator that counts the bytes the whole process holds, for the tests that bound the
//! server's heap. Not part of `support`: a binary that wants it declares it alone, and installs
//! it, so that every other test binary keeps the system allocator as it is.
//!
//! ```ignore
//! #[path = "support/heap.rs"]
//! mod heap;
//!
//! #[global_allocator]
//! static ALLOCATOR: heap::Counting = heap::Counting;
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

/// Bytes allocated and not yet freed, by the whole process.
static LIVE: AtomicIsize = AtomicIsize::new(0);

/// The system allocator, counting.
pub struct Counting;

// SAFETY: every call goes to the system allocator unchanged; only the sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Bytes the process holds now.
pub fn live() -> isize {
    LIVE.load(Ordering::SeqCst)
}

/// Bytes the process holds above `before` (a [`live`] reading), none if fewer.
pub fn grown_since(before: isize) -> usize {
    usize::try_from(live() - before).unwrap_or(0)
}
