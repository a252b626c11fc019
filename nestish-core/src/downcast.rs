//! Taking a generic value as the concrete type it may be, without boxing it.

use std::any::Any;

/// The value in `slot` as a `T`, taken out of it, when it is one; otherwise `None`, and `slot`
/// is left as it was. Lets a `new(body: B)` keep a body it already knows unboxed (its own type,
/// or hyper's `Incoming`) instead of boxing it again.
pub(crate) fn take_as<T: 'static, V: 'static>(slot: &mut Option<V>) -> Option<T> {
    let any: &mut dyn Any = slot;
    any.downcast_mut::<Option<T>>().and_then(Option::take)
}
