//! Errors, shaped exactly like Go's `text/template` ones.

/// A parse or execution error. `Display` prints what Go's `err.Error()` prints.
///
/// ```
/// use gitops_gotemplate::{Engine, Error};
/// let err = Engine::new().parse("t", "{{ .a.b }}").unwrap()
///     .execute("t", &gitops_gotemplate::Value::from(serde_json::json!({}))).unwrap_err();
/// assert_eq!(err.to_string(),
///     "template: t:1:5: executing \"t\" at <.a.b>: nil pointer evaluating interface {}.b");
/// assert!(matches!(err, Error::Exec { .. }));
/// ```
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The template text does not parse.
    #[error("{message}")]
    Parse {
        /// Template (file) name.
        name: String,
        /// Go's full message, `template: name:line: …`.
        message: String,
    },
    /// Execution failed (Go's `template.ExecError`).
    #[error("{message}")]
    Exec {
        /// Name of the template that was executing.
        name: String,
        /// Go's full message, `template: name:line:col: executing "name" at <node>: …`.
        message: String,
        /// The function error this one wraps (`error calling include: …`), if any.
        cause: Option<Box<Error>>,
    },
    /// An error returned by a template function.
    #[error("{message}")]
    Func {
        /// The message.
        message: String,
        /// A wrapped error (e.g. the execution error inside `tpl`).
        cause: Option<Box<Error>>,
    },
    /// No template of that name was parsed.
    #[error("{message}")]
    NoTemplate {
        /// Go's message.
        message: String,
    },
}

impl Error {
    /// A function error with a message.
    pub fn func(message: impl Into<String>) -> Error {
        Error::Func {
            message: message.into(),
            cause: None,
        }
    }

    /// The chain of messages as Go's `errors.Unwrap` walks it (outermost first).
    pub fn chain(&self) -> Vec<String> {
        let mut out = vec![self.to_string()];
        let mut cur = match self {
            Error::Exec { cause, .. } | Error::Func { cause, .. } => cause.as_deref(),
            _ => None,
        };
        while let Some(e) = cur {
            out.push(e.to_string());
            cur = match e {
                Error::Exec { cause, .. } | Error::Func { cause, .. } => cause.as_deref(),
                _ => None,
            };
        }
        out
    }
}
