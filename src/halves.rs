//! Two cores for one long job: a province's report has tens of thousands of rows, and
//! making or writing them splits evenly in two.

use std::thread::{Scope, ScopedJoinHandle};

/// How many rows or units make a job worth splitting: fewer take a few milliseconds on
/// one thread, and the shipped policies' reports keep to one.
pub const MANY: usize = 2_000;

/// `work` done on each half of `items`, the second half on a thread of its own; fewer than
/// [`MANY`] items are worked whole, with `None` for the second half.
pub fn in_halves<T: Sync, R: Send>(items: &[T], work: impl Fn(&[T]) -> R + Sync) -> (R, Option<R>) {
    if items.len() < MANY {
        return (work(items), None);
    }
    let (first, second) = in_two(items, items.len() / 2, work);
    (first, Some(second))
}

/// `work` done on the items before `at` and on those from `at` on, the second part on a
/// thread of its own.
pub fn in_two<T: Sync, R: Send>(items: &[T], at: usize, work: impl Fn(&[T]) -> R + Sync) -> (R, R) {
    let (first, second) = items.split_at(at.min(items.len()));
    std::thread::scope(|scope| {
        let later = start(scope, || work(second));
        let first = work(first);
        let second = match later {
            Some(later) => finish(later),
            None => work(second),
        };
        (first, second)
    })
}

/// Starts `work` on a thread of its own in `scope`; `None` where the system starts no more
/// threads (a cron job under a tight process limit), and the caller does the work itself.
pub fn start<'scope, T: Send + 'scope>(
    scope: &'scope Scope<'scope, '_>,
    work: impl FnOnce() -> T + Send + 'scope,
) -> Option<ScopedJoinHandle<'scope, T>> {
    std::thread::Builder::new().spawn_scoped(scope, work).ok()
}

/// What a thread started with [`start`] made; its panic goes on here.
pub fn finish<T>(thread: ScopedJoinHandle<'_, T>) -> T {
    thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[cfg(test)]
mod tests {
    use super::{MANY, in_halves};

    #[test]
    fn the_halves_together_are_the_whole_in_order() {
        let items: Vec<usize> = (0..=MANY).collect();
        let (first, second) = in_halves(&items, |half| half.to_vec());
        let second = second.expect("more than MANY items are split");
        assert_eq!([first, second].concat(), items);
        let (whole, none) = in_halves(&items[..MANY - 1], |half| half.to_vec());
        assert_eq!((whole.len(), none), (MANY - 1, None));
    }
}
