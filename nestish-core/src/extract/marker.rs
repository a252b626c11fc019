//! The marker types that tell apart the blanket implementations of one argument trait.
//!
//! [`FromHeader`](super::FromHeader), [`FromQueryParam`](super::FromQueryParam),
//! [`FromCookie`](super::FromCookie) and [`FromLastEventId`](super::FromLastEventId) are
//! implemented for every `T: FromStr` and for `Option<T>` of any type that implements them. Rust
//! cannot see that `Option<T>` will never implement `FromStr`, so each of those implementations
//! carries a marker of its own as the trait's type parameter, and the compiler picks the one that
//! applies to the argument's type. A type of yours implements the trait with the default
//! marker, `()`: `impl FromHeader for Tenant`. You never name these.

/// The implementation for a type that parses with `FromStr`.
#[derive(Debug)]
pub enum Parsed {}

/// The implementation for `Option<T>`, where `M` is `T`'s own marker.
#[derive(Debug)]
pub struct Optional<M>(std::marker::PhantomData<M>);
