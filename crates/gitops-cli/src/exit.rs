//! Exit statuses and how failures are printed.

/// Success.
pub const OK: u8 = 0;
/// Bad input or usage: invalid manifests, cycles, unknown flags.
pub const BAD_INPUT: u8 = 2;
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

    /// A failure of this program (exit status 70).
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self {
            code: INTERNAL,
            error: error.into(),
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
