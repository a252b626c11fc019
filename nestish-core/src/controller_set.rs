//! [`ControllerSet`]: the controllers an app is built from, when not every linked one.

use std::any::{TypeId, type_name};

/// A tuple of one to twelve controller types (`(Chat,)`, `(Chat, Jobs)`), given to
/// [`AppBuilder::controllers`](crate::AppBuilder::controllers).
///
/// ```
/// use nestish_core::ControllerSet;
///
/// struct Chat;
/// struct Jobs;
/// assert_eq!(<(Chat, Jobs)>::types().len(), 2);
/// ```
pub trait ControllerSet {
    /// Each controller's type id and name.
    fn types() -> Vec<(TypeId, &'static str)>;
}

macro_rules! tuples {
    ($($name:ident),+) => {
        impl<$($name: 'static),+> ControllerSet for ($($name,)+) {
            fn types() -> Vec<(TypeId, &'static str)> {
                vec![$((TypeId::of::<$name>(), type_name::<$name>())),+]
            }
        }
    };
}

tuples!(A);
tuples!(A, B);
tuples!(A, B, C);
tuples!(A, B, C, D);
tuples!(A, B, C, D, E);
tuples!(A, B, C, D, E, F);
tuples!(A, B, C, D, E, F, G);
tuples!(A, B, C, D, E, F, G, H);
tuples!(A, B, C, D, E, F, G, H, I);
tuples!(A, B, C, D, E, F, G, H, I, J);
tuples!(A, B, C, D, E, F, G, H, I, J, K);
tuples!(A, B, C, D, E, F, G, H, I, J, K, L);
