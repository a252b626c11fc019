//! A typed configuration read from the environment and a `.env` file, NestJS's `ConfigModule`
//! (cargo feature `config`): see [`AppBuilder::config`](crate::AppBuilder::config).
//!
//! The variables are read with figment; a variable named like a field, in upper case (`PORT`
//! for `port`), sets it. serde stops at the first field it cannot fill, so a failed read is
//! retried with a stand-in value for that field, until every field has been tried: the error
//! then names every missing or bad variable, not the first.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::PathBuf;

use figment::Figment;
use figment::error::Kind;
use figment::providers::Serialized;
use figment::value::Value;
use serde::de::DeserializeOwned;

/// Where a configuration is read from: by default the process's environment and, if there is
/// one, the `.env` file of the working directory; a variable of the environment wins over the
/// same one in the file, as in NestJS's `ConfigModule`.
///
/// ```
/// use nestish_core::ConfigSource;
///
/// let source = ConfigSource::new().env_file("config/.env.production");
/// let in_a_test = ConfigSource::new().without_env_file().vars([("PORT", "0")]);
/// # let _ = (source, in_a_test);
/// ```
#[derive(Clone, Debug)]
pub struct ConfigSource {
    env_file: Option<PathBuf>,
    vars: Option<Vec<(String, String)>>,
}

impl Default for ConfigSource {
    fn default() -> Self {
        Self::new()
    }
}

impl ConfigSource {
    /// The process's environment and `./.env` if it exists.
    #[must_use]
    pub fn new() -> Self {
        Self {
            env_file: Some(PathBuf::from(".env")),
            vars: None,
        }
    }

    /// Reads this `.env` file instead of `./.env` (NestJS's `envFilePath`); a file that does
    /// not exist is skipped, one that cannot be parsed is an error naming it.
    #[must_use]
    pub fn env_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.env_file = Some(path.into());
        self
    }

    /// Reads no `.env` file (NestJS's `ignoreEnvFile`).
    #[must_use]
    pub fn without_env_file(mut self) -> Self {
        self.env_file = None;
        self
    }

    /// Reads these variables instead of the process's environment: what a test gives, since
    /// changing the process's environment races with every other thread.
    #[must_use]
    pub fn vars<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.vars = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Reads configuration `T` from here, as [`AppBuilder::config`](crate::AppBuilder::config)
    /// does, for a program that needs it before the app (its port, its certificate).
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`](crate::Error::Configuration) naming each missing or bad variable.
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// pub struct Settings { pub port: u16 }
    ///
    /// let source = nestish_core::ConfigSource::new().without_env_file().vars([("PORT", "8080")]);
    /// assert_eq!(source.read::<Settings>().unwrap().port, 8080);
    /// ```
    pub fn read<T: DeserializeOwned>(&self) -> Result<T, crate::Error> {
        read(self).map_err(|problems| named::<T>(problems))
    }

    /// As [`read`](Self::read), then checks `T`'s garde rules (feature `validation`), as
    /// [`AppBuilder::validated_config`](crate::AppBuilder::validated_config) does.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`](crate::Error::Configuration) naming each missing, bad or
    /// rule-breaking variable.
    #[cfg(feature = "validation")]
    pub fn read_validated<T>(&self) -> Result<T, crate::Error>
    where
        T: DeserializeOwned + garde::Validate,
        T::Context: Default,
    {
        read_validated(self).map_err(|problems| named::<T>(problems))
    }

    /// Every variable, by field name (lower case): the file's, then the environment's over them.
    fn gather(&self) -> Result<BTreeMap<String, String>, ConfigProblem> {
        let mut all = BTreeMap::new();
        if let Some(path) = &self.env_file {
            match dotenvy::from_path_iter(path) {
                Ok(lines) => {
                    for line in lines {
                        let (key, value) = line.map_err(|error| ConfigProblem {
                            variable: path.display().to_string(),
                            problem: format!("cannot be read as a .env file: {error}"),
                        })?;
                        all.insert(key.to_lowercase(), value);
                    }
                }
                Err(dotenvy::Error::Io(error)) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    return Err(ConfigProblem {
                        variable: path.display().to_string(),
                        problem: format!("cannot be read: {error}"),
                    });
                }
            }
        }
        let vars: Box<dyn Iterator<Item = (String, String)>> = match &self.vars {
            Some(vars) => Box::new(vars.clone().into_iter()),
            None => Box::new(std::env::vars()),
        };
        for (key, value) in vars {
            all.insert(key.to_lowercase(), value);
        }
        Ok(all)
    }
}

/// One missing or bad variable, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The variable (`PORT`), or the `.env` file.
    pub variable: String,
    /// What is wrong, without the value (it may be a secret).
    pub problem: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.problem)
    }
}

/// The problems of one configuration, each on a line of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblems {
    /// The configuration's type.
    pub config: &'static str,
    /// Each missing or bad variable.
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for ConfigProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read the configuration `{}`:", self.config)?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

/// `problems` as the start-up error of configuration `T`.
pub(crate) fn named<T>(problems: Vec<ConfigProblem>) -> crate::Error {
    crate::Error::Configuration(ConfigProblems {
        config: std::any::type_name::<T>(),
        problems,
    })
}

/// The values a field is tried with after it failed, so that the fields after it are read too:
/// one of them fits most field types (text, numbers, flags, lists).
fn stand_ins() -> [Value; 4] {
    [
        Value::from(String::new()),
        Value::from(0u8),
        Value::from(false),
        Value::from(Vec::<Value>::new()),
    ]
}

/// Reads `T` from `source`, naming every missing or bad variable when it cannot.
pub(crate) fn read<T: DeserializeOwned>(source: &ConfigSource) -> Result<T, Vec<ConfigProblem>> {
    match read_all::<T>(source) {
        (Some(config), problems) if problems.is_empty() => Ok(config),
        (_, problems) => Err(problems),
    }
}

/// As [`read`], then checks `T`'s garde rules. When variables are missing or bad, the rules
/// are still checked on the rest (with stand-ins for those), so one error names them all.
#[cfg(feature = "validation")]
pub(crate) fn read_validated<T>(source: &ConfigSource) -> Result<T, Vec<ConfigProblem>>
where
    T: DeserializeOwned + garde::Validate,
    T::Context: Default,
{
    let (config, mut problems) = read_all::<T>(source);
    let Some(config) = config else {
        return Err(problems);
    };
    if let Err(broken) = validate(&config) {
        for problem in broken {
            // A stand-in's own rule breaking says nothing new about its variable.
            if !problems.iter().any(|p| p.variable == problem.variable) {
                problems.push(problem);
            }
        }
    }
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(problems)
    }
}

/// `T` as read (with stand-ins for the fields that could not be), if it could be made at all,
/// and every missing or bad variable.
fn read_all<T: DeserializeOwned>(source: &ConfigSource) -> (Option<T>, Vec<ConfigProblem>) {
    let gathered = match source.gather() {
        Ok(gathered) => gathered,
        Err(problem) => return (None, vec![problem]),
    };
    // Kept as text: figment's lossy reading makes a number or a flag of it only where the
    // field is one, so `SESSION_SECRET=12345` stays the text it is.
    let mut values: BTreeMap<String, Value> = gathered
        .into_iter()
        .map(|(key, value)| (key, Value::from(value)))
        .collect();
    let mut problems: Vec<ConfigProblem> = Vec::new();
    let mut tried: HashMap<String, usize> = HashMap::new();
    loop {
        let figment = Figment::from(Serialized::defaults(&values));
        let error = match figment.extract_lossy::<T>() {
            Ok(config) => return (Some(config), problems),
            Err(error) => error,
        };
        let field = match &error.kind {
            Kind::MissingField(name) => Some(name.to_string()),
            _ => error.path.first().cloned(),
        };
        let Some(field) = field else {
            problems.push(ConfigProblem {
                variable: "(configuration)".to_owned(),
                problem: describe(&error.kind),
            });
            return (None, problems);
        };
        let attempts = tried.entry(field.clone()).or_insert(0);
        if *attempts == 0 {
            problems.push(ConfigProblem {
                variable: field.to_uppercase(),
                problem: describe(&error.kind),
            });
        }
        let Some(stand_in) = stand_ins().into_iter().nth(*attempts) else {
            // No stand-in fits this field: what was found so far is the answer.
            return (None, problems);
        };
        *attempts += 1;
        values.insert(field, stand_in);
    }
}

/// What is wrong, in words, without the value.
fn describe(kind: &Kind) -> String {
    match kind {
        Kind::MissingField(_) => "missing: set it in the environment or the .env file".to_owned(),
        Kind::InvalidType(_, expected) | Kind::InvalidValue(_, expected) => {
            format!("invalid: expected {expected}")
        }
        Kind::UnknownVariant(_, expected) => {
            format!("invalid: expected one of {}", expected.join(", "))
        }
        other => format!("invalid: {other}"),
    }
}

/// The rules `T` breaks, by variable.
#[cfg(feature = "validation")]
fn validate<T: garde::Validate>(config: &T) -> Result<(), Vec<ConfigProblem>>
where
    T::Context: Default,
{
    config.validate().map_err(|report| {
        report
            .iter()
            .map(|(path, error)| {
                let path = path.to_string();
                let field = path.split(['.', '[']).next().unwrap_or(&path);
                ConfigProblem {
                    variable: field.to_uppercase(),
                    problem: format!("invalid: {}", error.message()),
                }
            })
            .collect()
    })
}
