//! [`Documented`]: what a value carried as JSON (a [`Json<T>`](crate::Json) response or event)
//! must be for the OpenAPI document to describe it.

/// A type whose JSON the OpenAPI document can describe: with the cargo feature `openapi`, every
/// type with a JSON Schema (`#[derive(schemars::JsonSchema)]`), so a `Json<T>` of a type without
/// one is a compile error at the route that returns it rather than an empty schema; without the
/// feature, every type.
///
/// ```
/// use nestish_core::Documented;
///
/// fn documented<T: Documented>() {}
/// documented::<Vec<String>>();
/// ```
#[cfg(feature = "openapi")]
pub trait Documented: schemars::JsonSchema {}

#[cfg(feature = "openapi")]
impl<T: schemars::JsonSchema + ?Sized> Documented for T {}

/// A type whose JSON the OpenAPI document can describe: with the cargo feature `openapi`, every
/// type with a JSON Schema (`#[derive(schemars::JsonSchema)]`), so a `Json<T>` of a type without
/// one is a compile error at the route that returns it rather than an empty schema; without the
/// feature, every type.
///
/// ```
/// use nestish_core::Documented;
///
/// fn documented<T: Documented>() {}
/// documented::<Vec<String>>();
/// ```
#[cfg(not(feature = "openapi"))]
pub trait Documented {}

#[cfg(not(feature = "openapi"))]
impl<T: ?Sized> Documented for T {}
