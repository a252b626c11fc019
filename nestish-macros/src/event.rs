//! `#[derive(SseEvent)]`: an enum whose variants are the events of a stream.
//!
//! Parse (each variant: its name on the wire, its data field, its id, whether it ends the
//! stream) → validate → expand into one `SseEvent::write_event` that writes through the
//! runtime's checked `EventWriter`, so the derive never writes raw bytes.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, LitStr, Member, Token};

use crate::diag::Errors;
use crate::private::Private;

/// One variant: one event.
struct Event<'a> {
    variant: &'a syn::Variant,
    /// The `event:` name: the variant's in snake_case, or `rename`'s.
    name: String,
    name_span: Span,
    /// The type of the one field, `None` for a unit variant (its data is `null`).
    data: Option<&'a syn::Type>,
    /// `id = field`: the member of the data whose `Display` is the `id:`.
    id: Option<Member>,
    /// `end`: the stream ends after this event.
    end: bool,
}

pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    match expand(&input) {
        Ok(tokens) => tokens,
        Err(error) => error.to_compile_error(),
    }
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "#[derive(SseEvent)] goes on an enum: each variant is one event of the stream",
        ));
    };
    let mut errors = Errors::default();
    let events: Vec<Event<'_>> = data
        .variants
        .iter()
        .filter_map(|variant| errors.ok(Event::parse(variant)))
        .collect();
    for (i, event) in events.iter().enumerate() {
        if let Some(first) = events[..i].iter().find(|e| e.name == event.name) {
            errors.push(syn::Error::new(
                event.name_span,
                format!(
                    "two variants are the event `{}` (`{}` and `{}`); rename one with #[event(rename = \"...\")]",
                    event.name, first.variant.ident, event.variant.ident
                ),
            ));
        }
    }
    errors.finish()?;

    let arms = events.iter().map(Event::arm);
    let docs = events.iter().map(Event::doc);
    let private = Private::here();
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        #[automatically_derived]
        // The id is borrowed because the data is written after it; for a `Copy` id clippy
        // would ask for it by value, on the user's field.
        #[allow(clippy::needless_borrows_for_generic_args)]
        impl #impl_generics ::nestish_core::SseEvent for #ident #ty_generics #where_clause {
            fn write_event(
                self,
                out: &mut ::nestish_core::EventWriter<'_>,
            ) -> ::core::result::Result<(), ::nestish_core::EventError> {
                match self {
                    #(#arms)*
                }
            }

            // The OpenAPI document's events (feature `openapi` of nestish-core; nothing without).
            #private::doc::cfg! {
                fn describe(
                    __schemas: &mut ::nestish_core::openapi::schemars::SchemaGenerator,
                ) -> ::std::vec::Vec<::nestish_core::openapi::EventDoc> {
                    ::std::vec![#(#docs),*]
                }
            }
        }
    })
}

impl<'a> Event<'a> {
    fn parse(variant: &'a syn::Variant) -> syn::Result<Self> {
        let data = match &variant.fields {
            Fields::Unit => None,
            Fields::Unnamed(fields) if fields.unnamed.len() == 1 => Some(&fields.unnamed[0].ty),
            other => {
                return Err(syn::Error::new_spanned(
                    other,
                    "an event variant holds its data in one field, like `Progress(Progress)`, or none (its data is `null`)",
                ));
            }
        };
        let mut event = Self {
            variant,
            name: snake_case(&variant.ident.to_string()),
            name_span: variant.ident.span(),
            data,
            id: None,
            end: false,
        };
        for attr in variant.attrs.iter().filter(|a| a.path().is_ident("event")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    let lit: LitStr = meta.value()?.parse()?;
                    let name = lit.value();
                    if name.contains(['\r', '\n']) {
                        return Err(syn::Error::new_spanned(
                            &lit,
                            "an event name cannot hold a line break: it would end the `event:` line",
                        ));
                    }
                    event.name = name;
                    event.name_span = lit.span();
                } else if meta.path.is_ident("id") {
                    meta.input.parse::<Token![=]>()?;
                    let member: Member = meta.input.parse()?;
                    if event.data.is_none() {
                        return Err(syn::Error::new_spanned(
                            &member,
                            "a unit variant has no data to take the id from",
                        ));
                    }
                    event.id = Some(member);
                } else if meta.path.is_ident("end") {
                    event.end = true;
                } else {
                    return Err(meta.error(
                        "unknown option: an event variant takes `rename = \"name\"`, `id = field` and `end`",
                    ));
                }
                Ok(())
            })?;
        }
        Ok(event)
    }

    /// Whether the event goes without an `event:` line: `message` is the name a browser gives an
    /// event that has none, so the line would only cost bytes on every event.
    fn unnamed(&self) -> bool {
        self.name == "message"
    }

    /// The event's description: its name, its data's schema (spanned on the field's type, so a
    /// type without a schema is reported there), its id and whether it ends the stream.
    fn doc(&self) -> TokenStream {
        let name = if self.unnamed() {
            quote!(::core::option::Option::None)
        } else {
            let name = &self.name;
            quote!(::core::option::Option::Some(#name))
        };
        let openapi = quote!(::nestish_core::openapi);
        let schema = match self.data {
            Some(ty) => quote_spanned!(ty.span()=> __schemas.subschema_for::<#ty>()),
            None => quote!(__schemas.subschema_for::<()>()),
        };
        let id = self.id.as_ref().map(|_| quote!(.with_id()));
        let end = self.end.then(|| quote!(.ending()));
        quote! {
            #openapi::EventDoc::new(
                #name,
                #openapi::EventData::Json(#schema),
            ) #id #end
        }
    }

    fn arm(&self) -> TokenStream {
        let variant = &self.variant.ident;
        let name = &self.name;
        let end = self.end.then(|| quote!(out.end_stream();));
        let event = (!self.unnamed()).then(|| quote!(out.event(#name)?;));
        match self.data {
            None => quote! {
                Self::#variant => {
                    #end
                    #event
                    out.json(&())
                }
            },
            Some(ty) => {
                // Spanned on the field's type: a type that is not `Serialize` is reported there.
                let json = quote_spanned!(ty.span()=> out.json::<#ty>(&data));
                let id = self
                    .id
                    .as_ref()
                    .map(|member| quote_spanned!(member.span()=> out.id(&data.#member)?;));
                quote! {
                    Self::#variant(data) => {
                        #end
                        #event
                        #id
                        #json
                    }
                }
            }
        }
    }
}

/// `ChatMessage` → `chat_message`, `HTTPError` → `http_error`, as serde's `rename_all`.
fn snake_case(ident: &str) -> String {
    let chars: Vec<char> = ident.chars().collect();
    let mut out = String::with_capacity(ident.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn snake_case_as_serde_writes_it() {
        assert_eq!(snake_case("Message"), "message");
        assert_eq!(snake_case("ChatMessage"), "chat_message");
        assert_eq!(snake_case("HTTPError"), "http_error");
        assert_eq!(snake_case("Step2Done"), "step2_done");
    }
}
