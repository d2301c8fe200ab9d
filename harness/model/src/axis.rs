//! Closed enums for the harness's axes (strata, metrics, stages, counter
//! sources, instruments, verdicts…): one macro derives them all.
//!
//! [`closed_enum!`](crate::closed_enum) declares a fieldless enum whose
//! variants each name their text once, and derives from that list:
//! `all()` (every variant, in declaration order), `as_str()`, `FromStr`
//! (whose [`UnknownName`] error lists the valid names), `Display`, serde
//! (the same text), and with this crate's `clap` feature `clap::ValueEnum`.
//! Matching on these enums never needs a `_` arm: a new variant is a
//! compile error everywhere it is not handled.

/// A name that is none of an enum's variants.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {name:?} (expected {})", .expected.join(", "))]
pub struct UnknownName {
    /// What was being named, e.g. "stratum".
    pub kind: &'static str,
    pub name: String,
    pub expected: Vec<&'static str>,
}

/// Declares a closed enum; see the [module docs](crate::axis).
///
/// ```
/// harness_model::closed_enum! {
///     /// Colours.
///     pub enum Colour ("colour") {
///         /// The red one.
///         Red = "red",
///         Green = "green",
///     }
/// }
/// assert_eq!(Colour::all(), [Colour::Red, Colour::Green]);
/// assert_eq!("green".parse::<Colour>(), Ok(Colour::Green));
/// assert_eq!(Colour::Red.as_str(), "red");
/// assert!("blue".parse::<Colour>().is_err());
/// ```
#[macro_export]
macro_rules! closed_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($kind:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::serde::Serialize, ::serde::Deserialize,
        )]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),+
        }

        impl $name {
            /// How many variants there are.
            pub const COUNT: usize = [$($text),+].len();

            /// Every variant, in declaration order.
            pub const fn all() -> [$name; Self::COUNT] {
                [$($name::$variant),+]
            }

            /// The variant's text: in files, on the command line, in output.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The variant named `text`, if any.
            pub fn from_name(text: &str) -> Option<$name> {
                Self::all().into_iter().find(|v| v.as_str() == text)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::axis::UnknownName;

            fn from_str(text: &str) -> Result<$name, Self::Err> {
                $name::from_name(text).ok_or_else(|| $crate::axis::UnknownName {
                    kind: $kind,
                    name: text.to_string(),
                    expected: $name::all().iter().map(|v| v.as_str()).collect(),
                })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        $crate::__value_enum!($name);
    };
}

/// `clap::ValueEnum` for a [`closed_enum!`](crate::closed_enum), with the
/// `clap` feature.
#[cfg(feature = "clap")]
#[doc(hidden)]
#[macro_export]
macro_rules! __value_enum {
    ($name:ident) => {
        impl $crate::__clap::ValueEnum for $name {
            fn value_variants<'a>() -> &'a [Self] {
                const ALL: [$name; $name::COUNT] = $name::all();
                &ALL
            }

            fn to_possible_value(&self) -> Option<$crate::__clap::builder::PossibleValue> {
                Some($crate::__clap::builder::PossibleValue::new(self.as_str()))
            }
        }
    };
}

/// Without the `clap` feature there is nothing to implement.
#[cfg(not(feature = "clap"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __value_enum {
    ($name:ident) => {};
}

#[cfg(test)]
mod tests {
    crate::closed_enum! {
        /// A test axis.
        pub enum Fruit ("fruit") {
            Apple = "apple",
            BloodOrange = "blood_orange",
        }
    }

    #[test]
    fn names_round_trip_through_every_derivation() {
        for f in Fruit::all() {
            assert_eq!(f.as_str().parse::<Fruit>(), Ok(f));
            assert_eq!(f.to_string(), f.as_str());
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{}\"", f.as_str()));
            assert_eq!(serde_json::from_str::<Fruit>(&json).unwrap(), f);
        }
        assert_eq!(Fruit::COUNT, 2);
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let err = "pear".parse::<Fruit>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown fruit \"pear\" (expected apple, blood_orange)"
        );
    }
}
