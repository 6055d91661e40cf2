//! SSL_GET's TLS side, on rustls: the client context built from the `SSL { }` block, SNI, and
//! the handshake. The HTTP part is [`crate::http`]'s.
//!
//! Certificate verification follows keepalived's default, which is none: keepalived's OpenSSL
//! context never asks for the peer to be verified, so any certificate is accepted (an expired,
//! self-signed or mismatched one included). The handshake signatures are still checked (the
//! server must hold the key of the certificate it sends). `ca` is accepted and read, but, as in
//! keepalived, does not make verification happen. `certificate` and `key` are presented as a
//! client certificate; an encrypted key (`password`) is not supported by rustls and is an
//! error at configuration time.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio_rustls::TlsConnector;

/// The TLS client configuration SSL_GET checkers share (built by [`SslContext::client_config`]).
pub type TlsClientConfig = Arc<ClientConfig>;

/// The `SSL { }` block: file names and the key's password.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SslContext {
    pub ca: Option<PathBuf>,
    pub certificate: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub password: Option<String>,
}

/// SSL_GET's own TLS options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// Send a server name (SNI).
    pub enable_sni: bool,
    /// The name sent; else the checker's virtualhost. Without either no SNI is sent.
    pub sni_name: Option<String>,
    /// Close with a TLS close_notify alert rather than just closing the connection.
    pub tls_compliant: bool,
}

#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// What an SSL_GET checker connects with.
#[derive(Clone)]
pub struct Tls {
    pub(crate) connector: TlsConnector,
    pub(crate) server_name: ServerName<'static>,
    pub(crate) close_notify: bool,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("server_name", &self.server_name)
            .field("close_notify", &self.close_notify)
            .finish()
    }
}

impl SslContext {
    /// The rustls client configuration (reads the files). Build it once and share it between
    /// checkers, as keepalived shares its one context.
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        if let Some(ca) = &self.ca {
            let n = CertificateDer::pem_file_iter(ca)
                .map_err(|e| format!("SSL ca {}: {e}", ca.display()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("SSL ca {}: {e}", ca.display()))?
                .len();
            if n == 0 {
                return Err(format!("SSL ca {}: no certificate in it", ca.display()));
            }
        }
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)));
        let config = match (&self.certificate, &self.key) {
            (None, None) => builder.with_no_client_auth(),
            (Some(cert), key) => {
                let certs = CertificateDer::pem_file_iter(cert)
                    .map_err(|e| format!("SSL certificate {}: {e}", cert.display()))?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("SSL certificate {}: {e}", cert.display()))?;
                if certs.is_empty() {
                    return Err(format!(
                        "SSL certificate {}: no certificate in it",
                        cert.display()
                    ));
                }
                // keepalived reads the key from the certificate file when no key file is named.
                let key_file = key.as_ref().unwrap_or(cert);
                let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| {
                    let hint = if self.password.is_some() {
                        " (encrypted keys are not supported)"
                    } else {
                        ""
                    };
                    format!("SSL key {}: {e}{hint}", key_file.display())
                })?;
                builder
                    .with_client_auth_cert(certs, key)
                    .map_err(|e| format!("SSL certificate/key: {e}"))?
            }
            (None, Some(key)) => {
                return Err(format!("SSL key {} without a certificate", key.display()))
            }
        };
        Ok(Arc::new(config))
    }
}

impl Tls {
    /// Starts the TLS handshake over `stream`; the caller bounds it in time.
    pub fn handshake(
        &self,
        stream: tokio::net::TcpStream,
    ) -> tokio_rustls::Connect<tokio::net::TcpStream> {
        self.connector.connect(self.server_name.clone(), stream)
    }

    /// Whether to close with a TLS close_notify alert (`tls_compliant`).
    pub fn close_notify(&self) -> bool {
        self.close_notify
    }

    /// `virtualhost` is the checker's (used for SNI when no sni_name is given); `target` names
    /// the server when no SNI is sent.
    pub fn new(
        config: Arc<ClientConfig>,
        options: &TlsOptions,
        virtualhost: Option<&str>,
        target: IpAddr,
    ) -> Result<Tls, String> {
        let sni = if options.enable_sni {
            options.sni_name.as_deref().or(virtualhost)
        } else {
            None
        };
        let (config, server_name) = match sni {
            Some(name) => {
                let server_name = ServerName::try_from(name.to_string())
                    .map_err(|e| format!("sni name {name:?}: {e}"))?;
                (config, server_name)
            }
            None => {
                let mut c = (*config).clone();
                c.enable_sni = false;
                (Arc::new(c), ServerName::IpAddress(target.into()))
            }
        };
        Ok(Tls {
            connector: TlsConnector::from(config),
            server_name,
            close_notify: options.tls_compliant,
        })
    }
}
