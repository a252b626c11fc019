//! The path of `nestish_core`'s private module, whose name carries the version of the crates
//! (they are released together, and `nestish-core` pins this crate with `=`): generated code
//! from macros of another version than the runtime's fails to compile on this name.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, TokenStreamExt, quote_spanned};

/// `::nestish_core::__private_<major>_<minor>_<patch>`, as tokens, at a span: the call site's
/// unless [`Private::at`] says otherwise.
pub(crate) struct Private(Span);

impl Private {
    /// The path at the macro's call site.
    pub(crate) fn here() -> Self {
        Self(Span::call_site())
    }

    /// The path spanned on user code, so that an error about what is passed there points at it.
    pub(crate) fn at(span: Span) -> Self {
        Self(span)
    }
}

impl ToTokens for Private {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let name = concat!(
            "__private_",
            env!("CARGO_PKG_VERSION_MAJOR"),
            "_",
            env!("CARGO_PKG_VERSION_MINOR"),
            "_",
            env!("CARGO_PKG_VERSION_PATCH"),
        );
        let module = Ident::new(name, self.0);
        tokens.append_all(quote_spanned!(self.0=> ::nestish_core::#module));
    }
}
