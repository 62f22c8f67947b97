//! [`Either`]: one of two values, the answer of [`select`](super::select).
//!
//! ```
//! use async_primer::future::Either;
//!
//! let e: Either<u8, &str> = Either::Left(1);
//! assert_eq!(e.left(), Some(1));
//! ```

/// One of two values: which future of a [`select`](super::select) won.
///
/// `Either` is also a future when both sides are futures with the same
/// output, so the two branches of an `if` can be returned as one type.
///
/// ```
/// use async_primer::future::{Either, ready};
///
/// let f = if true { Either::Left(ready(1)) } else { Either::Right(async { 2 }) };
/// assert_eq!(futures::executor::block_on(f), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Either<L, R> {
    /// The first (left) one.
    Left(L),
    /// The second (right) one.
    Right(R),
}

impl<L, R> Either<L, R> {
    /// The left value, if this is `Left`.
    ///
    /// ```
    /// use async_primer::future::Either;
    /// assert_eq!(Either::<u8, u8>::Right(2).left(), None);
    /// ```
    pub fn left(self) -> Option<L> {
        match self {
            Either::Left(l) => Some(l),
            Either::Right(_) => None,
        }
    }

    /// The right value, if this is `Right`.
    ///
    /// ```
    /// use async_primer::future::Either;
    /// assert_eq!(Either::<u8, u8>::Right(2).right(), Some(2));
    /// ```
    pub fn right(self) -> Option<R> {
        match self {
            Either::Left(_) => None,
            Either::Right(r) => Some(r),
        }
    }

    /// `true` if this is `Left`.
    ///
    /// ```
    /// use async_primer::future::Either;
    /// assert!(Either::<u8, u8>::Left(1).is_left());
    /// ```
    pub fn is_left(&self) -> bool {
        matches!(self, Either::Left(_))
    }
}

impl<L, R> std::future::Future for Either<L, R>
where
    L: std::future::Future,
    R: std::future::Future<Output = L::Output>,
{
    type Output = L::Output;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<L::Output> {
        // SAFETY: we never move out of the pinned `Either`; each arm only
        // re-pins the field in place, the structural pinning pin-project
        // would generate (pin-project-lite has no enum-tuple support).
        unsafe {
            match self.get_unchecked_mut() {
                Either::Left(l) => std::pin::Pin::new_unchecked(l).poll(cx),
                Either::Right(r) => std::pin::Pin::new_unchecked(r).poll(cx),
            }
        }
    }
}
