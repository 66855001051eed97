//! Exit statuses and how failures are printed.

/// Success (for `diff`: no differences).
pub const OK: u8 = 0;
/// `diff`: differences found; `apply`/`sync --once`: the sync failed.
pub const FAILED: u8 = 1;
/// Bad input or usage: invalid manifests, cycles, unknown kinds, unknown flags.
pub const BAD_INPUT: u8 = 2;
/// The cluster or the network failed.
pub const CLUSTER: u8 = 3;
/// A failure of this program itself.
pub const INTERNAL: u8 = 70;

/// A failed command: the message and the exit status.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

impl Failure {
    /// Bad input: exit status 2.
    pub fn bad_input(error: impl Into<anyhow::Error>) -> Self {
        Self {
            code: BAD_INPUT,
            error: error.into(),
        }
    }

    /// The cluster or network: exit status 3.
    pub fn cluster(error: impl Into<anyhow::Error>) -> Self {
        Self {
            code: CLUSTER,
            error: error.into(),
        }
    }

    /// A failure of this program (exit status 70).
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self {
            code: INTERNAL,
            error: error.into(),
        }
    }

    /// Bad input or cluster failure, as the error says.
    pub fn classify(error: impl Into<anyhow::Error>, bad_input: bool) -> Self {
        if bad_input {
            Self::bad_input(error)
        } else {
            Self::cluster(error)
        }
    }

    /// Prints `error: <message>` and one line per cause the message does not already say.
    pub fn print(&self) {
        let message = self.error.to_string();
        eprintln!("error: {message}");
        for cause in self.error.chain().skip(1) {
            let cause = cause.to_string();
            if !message.contains(&cause) {
                eprintln!("  caused by: {cause}");
            }
        }
    }
}
