//! The process-wide rustls crypto provider: ring, the one kube uses.

/// Installs ring as the default provider unless one is installed already.
pub fn install_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may win the race; either way a ring provider is in place.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
