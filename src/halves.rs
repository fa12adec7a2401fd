//! Two cores for one long job: a province's report has tens of thousands of rows, and
//! making or writing them splits evenly in two.

/// `work` done on each half of `items`, the second half on a thread of its own; fewer than
/// `many` items are worked whole, with `None` for the second half.
pub fn in_halves<T: Sync, R: Send>(
    items: &[T],
    many: usize,
    work: impl Fn(&[T]) -> R + Sync,
) -> (R, Option<R>) {
    if items.len() < many.max(2) {
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
        let later = scope.spawn(|| work(second));
        let first = work(first);
        match later.join() {
            Ok(second) => (first, second),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::in_halves;

    #[test]
    fn the_halves_together_are_the_whole_in_order() {
        let items: Vec<u32> = (0..1001).collect();
        let (first, second) = in_halves(&items, 1000, |half| half.to_vec());
        let second = second.expect("1001 items are many");
        assert_eq!([first, second].concat(), items);
        let (whole, none) = in_halves(&items[..999], 1000, |half| half.to_vec());
        assert_eq!((whole.len(), none), (999, None));
    }
}
