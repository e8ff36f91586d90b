//! TLS: the only place that builds a rustls `ClientConfig`, and the ureq connector that uses it.
//!
//! kcurl does not use ureq's own TLS configuration: ureq panics on a client key it cannot load,
//! and cannot verify against `tls-server-name` while connecting to another address. Instead
//! [`Connector`] sits in ureq's connector chain and performs the handshake itself with a config
//! built here from the kubeconfig's CA, client certificate and `tls-server-name`. Every input is
//! validated up front so that a bad key or CA is an error naming the field, never a panic.
//!
//! Failures are explained in plain words by [`explain`]: unknown CA, name mismatch (with the
//! names the certificate holds), expiry, CN-only certificates, X.509 v1 certificates, a server
//! certificate configured as the CA, a client certificate the server rejected.

use std::fmt;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore,
    SignatureScheme, StreamOwned,
};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Either, LazyBuffers, NextTimeout, Transport, TransportAdapter,
};

use crate::error::{Error, Result};
use crate::secret::Secret;

/// Where the trusted CA certificates come from.
#[derive(Clone, Debug)]
pub enum Roots {
    /// Exactly these PEM certificates, and nothing else; `origin` names them for messages.
    Pem { pem: Vec<u8>, origin: String },
    /// The operating system's trust store.
    System,
}

/// A client certificate chain and its private key, with where each came from.
#[derive(Clone, Debug)]
pub struct ClientIdentity {
    pub cert_pem: Vec<u8>,
    pub cert_origin: String,
    pub key_pem: Secret,
    pub key_origin: String,
}

/// Everything TLS needs to know about one cluster.
#[derive(Clone, Debug)]
pub struct Settings {
    pub roots: Roots,
    pub insecure: bool,
    /// `tls-server-name`: verify (and send as SNI) this name instead of the URL's host.
    pub server_name: Option<String>,
    pub identity: Option<ClientIdentity>,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The end-entity certificate of the last failed verification, for [`explain`].
type SeenCert = Arc<Mutex<Option<CertificateDer<'static>>>>;

/// Whether the server sent a CertificateRequest, for [`explain`].
type Asked = Arc<std::sync::atomic::AtomicBool>;

/// The client-certificate resolver: the configured identity, if any, and a note that the
/// server asked for one (to tell "client certificate required" from "no cipher in common").
#[derive(Debug)]
struct ClientCertResolver {
    identity: Option<Arc<rustls::sign::CertifiedKey>>,
    asked: Asked,
}

impl rustls::client::ResolvesClientCert for ClientCertResolver {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.asked.store(true, std::sync::atomic::Ordering::Relaxed);
        self.identity.clone()
    }

    fn has_certs(&self) -> bool {
        self.identity.is_some()
    }
}

/// A built TLS configuration plus what [`explain`] needs to describe its failures.
#[derive(Clone)]
pub struct Tls {
    config: Arc<ClientConfig>,
    ca_ders: Vec<CertificateDer<'static>>,
    roots_origin: String,
    seen: SeenCert,
    server_name: Option<ServerName<'static>>,
    has_identity: bool,
    asked: Asked,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("roots", &self.roots_origin)
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// Validate the settings and build the rustls configuration.
    pub fn new(settings: &Settings) -> Result<Tls> {
        let provider = provider();
        let (roots, ca_ders, roots_origin) = match &settings.roots {
            Roots::Pem { pem, origin } => {
                let ders = parse_ca(pem, origin)?;
                let mut store = RootCertStore::empty();
                for der in &ders {
                    store.add(der.clone()).map_err(|e| {
                        Error::Config(format!(
                            "{origin}: not a usable CA certificate: {}",
                            rustls_reason(&e)
                        ))
                    })?;
                }
                (store, ders, origin.clone())
            }
            Roots::System => (
                system_roots(),
                Vec::new(),
                "the system trust store".to_string(),
            ),
        };
        let seen: SeenCert = Arc::new(Mutex::new(None));
        let verifier: Arc<dyn ServerCertVerifier> = if settings.insecure {
            Arc::new(NoVerification(provider.clone()))
        } else if roots.is_empty() {
            return Err(Error::Config(format!(
                "{roots_origin}: no CA certificates found; give --certificate-authority FILE"
            )));
        } else {
            let inner =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| Error::Config(format!("{roots_origin}: {e}")))?;
            Arc::new(Recording {
                inner,
                seen: seen.clone(),
                pinned: ca_ders.clone(),
            })
        };
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Config(format!("TLS setup: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let identity = match &settings.identity {
            None => None,
            Some(id) => {
                let (chain, key) = load_identity(id, &provider)?;
                let certified = rustls::sign::CertifiedKey::from_der(chain, key, &provider)
                    .map_err(|e| {
                        Error::Config(format!(
                            "{} and {}: {}",
                            id.cert_origin,
                            id.key_origin,
                            identity_reason(&e)
                        ))
                    })?;
                Some(Arc::new(certified))
            }
        };
        let asked: Asked = Arc::default();
        let mut config = builder.with_client_cert_resolver(Arc::new(ClientCertResolver {
            identity,
            asked: asked.clone(),
        }));
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let server_name = match &settings.server_name {
            Some(n) => Some(ServerName::try_from(n.clone()).map_err(|_| {
                Error::Config(format!(
                    "tls-server-name \"{n}\" is not a valid DNS name or IP address"
                ))
            })?),
            None => None,
        };
        Ok(Tls {
            config: Arc::new(config),
            ca_ders,
            roots_origin,
            seen,
            server_name,
            has_identity: settings.identity.is_some(),
            asked,
        })
    }

    /// True when the server asked for a client certificate during the last handshake.
    fn asked_for_cert(&self) -> bool {
        self.asked.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Explain a TLS failure in plain words, for a connection to `host`.
    pub fn explain(&self, err: &rustls::Error, host: &str) -> String {
        let name = match &self.server_name {
            Some(n) => format!("{} (tls-server-name)", n.to_str()),
            None => host.to_string(),
        };
        let leaf = self.seen.lock().ok().and_then(|s| s.clone());
        match err {
            rustls::Error::InvalidCertificate(ce) => self.explain_cert(ce, &name, leaf.as_ref()),
            rustls::Error::AlertReceived(alert) => {
                use rustls::AlertDescription as A;
                match alert {
                    A::CertificateRequired if !self.has_identity => format!(
                        "the server requires a client certificate and none is configured (TLS alert: {alert:?})"
                    ),
                    // TLS 1.2 servers answer a missing client certificate with a generic
                    // handshake_failure, also used for "no cipher in common": the server must
                    // have asked for a certificate for it to mean the former.
                    A::HandshakeFailure if !self.has_identity && self.asked_for_cert() => format!(
                        "the server requires a client certificate and none is configured (TLS alert: {alert:?})"
                    ),
                    A::HandshakeFailure | A::InsufficientSecurity | A::ProtocolVersion
                        if !self.asked_for_cert() =>
                    {
                        format!(
                            "the server refused the TLS handshake (alert: {alert:?}): most likely \
                             no TLS version or cipher suite in common (kcurl offers TLS 1.2 and \
                             1.3 with modern ciphers only)"
                        )
                    }
                    A::BadCertificate
                    | A::CertificateUnknown
                    | A::UnknownCA
                    | A::CertificateExpired
                    | A::UnsupportedCertificate
                    | A::AccessDenied
                        if self.has_identity =>
                    {
                        format!("the server rejected the client certificate (TLS alert: {alert:?})")
                    }
                    _ => format!("the server ended the TLS handshake (alert: {alert:?})"),
                }
            }
            rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
                format!(
                    "the server did not speak TLS properly ({err}); is it really an https:// endpoint?"
                )
            }
            rustls::Error::PeerIncompatible(_) => {
                format!("no TLS version or cipher in common with the server ({err})")
            }
            other => format!("TLS failed: {other}"),
        }
    }

    fn explain_cert(
        &self,
        ce: &CertificateError,
        name: &str,
        leaf: Option<&CertificateDer<'static>>,
    ) -> String {
        let origin = &self.roots_origin;
        if let Some(leaf) = leaf {
            if x509_version(leaf) == Some(1) {
                return format!(
                    "the server's certificate is an X.509 v1 certificate, which rustls (like current Go) refuses; \
                     reissue it as v3 with a subjectAltName for {name}, or use --insecure at your own risk"
                );
            }
        }
        match ce {
            CertificateError::UnknownIssuer => {
                if let Some(leaf) = leaf {
                    if self.ca_ders.iter().any(|ca| ca == leaf) {
                        return format!(
                            "{origin} holds the server's own certificate, not the CA that issued it; \
                             use the cluster CA certificate (ca.crt) instead"
                        );
                    }
                }
                format!(
                    "the server's certificate for {name} is not signed by a trusted CA (trusted: {origin}); \
                     check certificate-authority, or use --insecure at your own risk"
                )
            }
            CertificateError::NotValidForNameContext { presented, .. } if presented.is_empty() => {
                format!(
                    "the server's certificate has no subjectAltName, only a common name; rustls and Go \
                     refuse such certificates. Reissue it with a subjectAltName for {name}"
                )
            }
            // An IP address listed as a DNS name: the certificate must list it as an IP SAN.
            CertificateError::NotValidForNameContext { presented, .. }
                if name.parse::<std::net::IpAddr>().is_ok()
                    && presented.iter().any(|p| {
                        p.strip_prefix("DnsName(\"")
                            .and_then(|p| p.strip_suffix("\")"))
                            == Some(name)
                    }) =>
            {
                format!(
                    "the server's certificate lists {name} as a DNS name, but an IP address must \
                     be an IP address entry of its subjectAltName (Go and kubectl refuse it too); \
                     reissue it with IP:{name}, or connect by a DNS name it lists"
                )
            }
            CertificateError::NotValidForNameContext { presented, .. } => format!(
                "the server's certificate is valid for {}, not for {name}; connect to one of those names \
                 or set tls-server-name",
                presented
                    .iter()
                    .map(|p| plain_name(p))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            CertificateError::NotValidForName => {
                format!("the server's certificate is not valid for {name}")
            }
            CertificateError::ExpiredContext { time, not_after } => format!(
                "the server's certificate expired at {} (now {})",
                format_time(not_after),
                format_time(time)
            ),
            CertificateError::Expired => "the server's certificate has expired".to_string(),
            CertificateError::NotValidYetContext { time, not_before } => format!(
                "the server's certificate is not valid before {} (now {}); check the clock",
                format_time(not_before),
                format_time(time)
            ),
            CertificateError::NotValidYet => {
                "the server's certificate is not valid yet; check the clock".to_string()
            }
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                "the server's certificate is not meant for TLS servers (extended key usage)"
                    .to_string()
            }
            CertificateError::BadSignature => {
                "the server's certificate has a bad signature".to_string()
            }
            CertificateError::BadEncoding => {
                "the server's certificate could not be parsed".to_string()
            }
            CertificateError::Other(_)
                if is_ca_used_as_end_entity(&rustls::Error::InvalidCertificate(ce.clone())) =>
            {
                format!(
                    "the server's certificate is a CA certificate (CA:TRUE) and is not itself one \
                     of the trusted CAs ({origin}); trust exactly this certificate with \
                     certificate-authority, or reissue it as a server certificate"
                )
            }
            other => format!("the server's certificate was refused: {other:?}"),
        }
    }
}

/// Parse the PEM CA bundle; at least one certificate must be there.
fn parse_ca(pem: &[u8], origin: &str) -> Result<Vec<CertificateDer<'static>>> {
    let mut out = Vec::new();
    for item in CertificateDer::pem_slice_iter(pem) {
        match item {
            Ok(der) => out.push(der),
            Err(e) => {
                return Err(Error::Config(format!("{origin}: invalid PEM: {e}")));
            }
        }
    }
    if out.is_empty() {
        return Err(Error::Config(format!(
            "{origin}: no PEM certificate found (expected -----BEGIN CERTIFICATE-----)"
        )));
    }
    Ok(out)
}

fn system_roots() -> RootCertStore {
    let mut store = RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    store.add_parsable_certificates(found.certs);
    store
}

/// Parse and check the client certificate and key before rustls or ureq ever see them.
fn load_identity(
    id: &ClientIdentity,
    provider: &CryptoProvider,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let mut chain = Vec::new();
    for item in CertificateDer::pem_slice_iter(&id.cert_pem) {
        chain.push(
            item.map_err(|e| Error::Config(format!("{}: invalid PEM: {e}", id.cert_origin)))?,
        );
    }
    if chain.is_empty() {
        return Err(Error::Config(format!(
            "{}: no PEM certificate found (expected -----BEGIN CERTIFICATE-----)",
            id.cert_origin
        )));
    }
    let key_text = id.key_pem.expose().as_bytes();
    let key = PrivateKeyDer::from_pem_slice(key_text).map_err(|e| {
        let what = if id.key_pem.expose().contains("ENCRYPTED PRIVATE KEY") {
            "the private key is encrypted; kcurl (like kubectl) needs an unencrypted key"
                .to_string()
        } else {
            match e {
                rustls::pki_types::pem::Error::NoItemsFound => {
                    "no PEM private key found (expected -----BEGIN PRIVATE KEY-----, \
                     -----BEGIN RSA PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----)"
                        .to_string()
                }
                // pem errors never include key material: only kinds and section names.
                other => format!("invalid PEM: {other}"),
            }
        };
        Error::Config(format!("{}: {what}", id.key_origin))
    })?;
    provider.key_provider.load_private_key(key.clone_key()).map_err(|_| {
        Error::Config(format!(
            "{}: unsupported private key (kcurl supports RSA, ECDSA P-256/P-384 and Ed25519 keys; \
             P-521 and DSA keys are not supported)",
            id.key_origin
        ))
    })?;
    Ok((chain, key))
}

fn identity_reason(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
            "the client key does not belong to the client certificate".to_string()
        }
        other => format!("unusable client certificate: {}", rustls_reason(other)),
    }
}

/// A name from webpki's list of presented names, without its Debug wrapping:
/// `DnsName("kube.example")` → `kube.example`, `IpAddress(0::1)` → `::1`.
fn plain_name(presented: &str) -> String {
    if let Some(dns) = presented
        .strip_prefix("DnsName(\"")
        .and_then(|n| n.strip_suffix("\")"))
    {
        return dns.to_string();
    }
    if let Some(ip) = presented
        .strip_prefix("IpAddress(")
        .and_then(|n| n.strip_suffix(')'))
    {
        // webpki spells IPv6 its own way (`0::1`); print it as Rust (and Go) do.
        return ip
            .parse::<std::net::IpAddr>()
            .map_or_else(|_| ip.to_string(), |a| a.to_string());
    }
    presented.to_string()
}

fn rustls_reason(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(CertificateError::BadEncoding) => {
            "the certificate could not be parsed".to_string()
        }
        other => other.to_string(),
    }
}

/// The X.509 version of a DER certificate (1, 2 or 3), read from its TBSCertificate.
///
/// Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] EXPLICIT version OPTIONAL, … } … }.
/// An absent version field means v1.
fn x509_version(der: &[u8]) -> Option<u8> {
    let (tag, hl, _) = header(der)?;
    if tag != 0x30 {
        return None;
    }
    let tbs = der.get(hl..)?;
    let (tag, hl, _) = header(tbs)?;
    if tag != 0x30 {
        return None;
    }
    let inner = tbs.get(hl..)?;
    if inner.first() != Some(&0xa0) {
        return Some(1);
    }
    // [0] { INTEGER version }: a0 03 02 01 VV
    let (_, hl0, _) = header(inner)?;
    let int = inner.get(hl0..)?;
    if int.first() != Some(&0x02) || int.get(1) != Some(&1) {
        return None;
    }
    int.get(2).map(|v| v + 1)
}

/// A DER header: (tag, header length, content length).
fn header(b: &[u8]) -> Option<(u8, usize, usize)> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    if first < 0x80 {
        return Some((tag, 2, first as usize));
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | *b.get(2 + i)? as usize;
    }
    Some((tag, 2 + n, len))
}

/// notBefore and notAfter of a DER certificate, in Unix seconds (RFC 5280 4.1.2.5).
fn validity(der: &[u8]) -> Option<(u64, u64)> {
    let (_, hl, _) = header(der)?;
    let tbs = der.get(hl..)?;
    let (_, hl, _) = header(tbs)?;
    let mut rest = tbs.get(hl..)?;
    // Skip [0] version (optional), serialNumber, signature, issuer.
    let mut skipped = 0;
    while skipped < 4 {
        let (tag, hl, len) = header(rest)?;
        if skipped == 0 && tag != 0xa0 {
            skipped += 1;
        }
        rest = rest.get(hl + len..)?;
        skipped += 1;
    }
    let (tag, hl, _) = header(rest)?;
    if tag != 0x30 {
        return None;
    }
    let times = rest.get(hl..)?;
    let (t1, hl1, len1) = header(times)?;
    let not_before = der_time(t1, times.get(hl1..hl1 + len1)?)?;
    let times = times.get(hl1 + len1..)?;
    let (t2, hl2, len2) = header(times)?;
    let not_after = der_time(t2, times.get(hl2..hl2 + len2)?)?;
    Some((not_before, not_after))
}

use crate::time::parse_der_time as der_time;

fn format_time(t: &UnixTime) -> String {
    crate::time::format_utc_seconds(t.as_secs())
}

/// Delegates to webpki and remembers the end-entity certificate when verification fails.
///
/// One difference from webpki, to match Go (kubectl): a self-signed server certificate with
/// the CA flag set is accepted when it is itself one of the trusted CA certificates (pinned,
/// byte for byte) and is valid for the name and the current time. webpki refuses any CA
/// certificate as an end entity (`CaUsedAsEndEntity`); Go's verifier builds the one-element
/// chain and accepts it, and clusters made by hand (`openssl req -x509`) rely on that.
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    seen: SeenCert,
    pinned: Vec<CertificateDer<'static>>,
}

/// True for webpki's `CaUsedAsEndEntity`, which rustls passes on as an opaque `Other` error.
fn is_ca_used_as_end_entity(e: &rustls::Error) -> bool {
    matches!(e, rustls::Error::InvalidCertificate(CertificateError::Other(o))
        if format!("{o:?}").contains("CaUsedAsEndEntity"))
}

/// A pinned CA certificate presented as the server's own: valid for `name` now?
fn pinned_ca_as_server(
    end_entity: &CertificateDer<'_>,
    name: &ServerName<'_>,
    now: UnixTime,
) -> std::result::Result<(), rustls::Error> {
    let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
    rustls::client::verify_server_name(&parsed, name)?;
    let (not_before, not_after) = validity(end_entity).ok_or(rustls::Error::InvalidCertificate(
        CertificateError::BadEncoding,
    ))?;
    let t = now.as_secs();
    if t < not_before {
        return Err(rustls::Error::InvalidCertificate(
            CertificateError::NotValidYetContext {
                time: now,
                not_before: UnixTime::since_unix_epoch(std::time::Duration::from_secs(not_before)),
            },
        ));
    }
    if t > not_after {
        return Err(rustls::Error::InvalidCertificate(
            CertificateError::ExpiredContext {
                time: now,
                not_after: UnixTime::since_unix_epoch(std::time::Duration::from_secs(not_after)),
            },
        ));
    }
    Ok(())
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let mut r =
            self.inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
        if let Err(e) = &r
            && is_ca_used_as_end_entity(e)
            && self
                .pinned
                .iter()
                .any(|ca| ca.as_ref() == end_entity.as_ref())
        {
            r = pinned_ca_as_server(end_entity, server_name, now)
                .map(|()| ServerCertVerified::assertion());
        }
        if r.is_err() {
            if let Ok(mut s) = self.seen.lock() {
                *s = Some(end_entity.clone().into_owned());
            }
        }
        r
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `--insecure`: accepts any certificate, but still checks the handshake signatures.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
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
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
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

/// ureq connector: TLS for the cluster with [`Tls`], and for any other https host with the
/// system trust store and no client certificate (credentials never go there anyway).
///
/// Cloning is cheap and shares state, so the request layer keeps a clone to explain failures.
#[derive(Clone)]
pub struct Connector {
    cluster: Tls,
    /// `host:port` of the cluster's server, as ureq's URI authority spells it.
    cluster_authority: String,
    insecure: bool,
    other: Arc<OnceLock<std::result::Result<Tls, String>>>,
    /// When the transport below TLS was ready (TCP, through any proxy) and when TLS was.
    timings: Arc<Mutex<(Option<Instant>, Option<Instant>)>>,
    /// `host:port` of the last TLS handshake started: an https proxy's or the server's.
    last_handshake: Arc<Mutex<Option<String>>>,
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("cluster", &self.cluster_authority)
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// A connector for the cluster reachable at `cluster_authority` (`host:port`).
    pub fn new(cluster: Tls, cluster_authority: String, insecure: bool) -> Connector {
        Connector {
            cluster,
            cluster_authority,
            insecure,
            other: Arc::new(OnceLock::new()),
            timings: Arc::new(Mutex::new((None, None))),
            last_handshake: Arc::new(Mutex::new(None)),
        }
    }

    /// `host:port` of the last TLS handshake started (for an https proxy, the proxy's), so a
    /// failure is explained with the settings that were used, naming the right peer.
    pub fn last_handshake(&self) -> Option<String> {
        self.last_handshake.lock().ok().and_then(|a| a.clone())
    }

    /// When the last connection was established (TCP) and when its TLS handshake finished.
    pub fn timings(&self) -> (Option<Instant>, Option<Instant>) {
        self.timings.lock().map(|t| *t).unwrap_or((None, None))
    }

    /// Forget the last connection's timings: a request on a reused connection has none.
    pub fn reset_timings(&self) {
        if let Ok(mut t) = self.timings.lock() {
            *t = (None, None);
        }
    }

    fn mark(&self, tls: bool) {
        if let Ok(mut t) = self.timings.lock() {
            if tls {
                t.1 = Some(Instant::now());
            } else {
                *t = (Some(Instant::now()), None);
            }
        }
    }

    /// The TLS configuration used for `authority`.
    pub fn tls_for(&self, authority: &str) -> std::result::Result<&Tls, String> {
        if authority == self.cluster_authority {
            return Ok(&self.cluster);
        }
        let other = self.other.get_or_init(|| {
            Tls::new(&Settings {
                roots: Roots::System,
                insecure: self.insecure,
                server_name: None,
                identity: None,
            })
            .map_err(|e| e.to_string())
        });
        other.as_ref().map_err(|e| e.clone())
    }
}

impl<In: Transport> ureq::unversioned::transport::Connector<In> for Connector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> std::result::Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        if !details.needs_tls() || transport.is_tls() {
            if !transport.is_tls() {
                self.mark(false);
            }
            return Ok(Some(Either::A(transport)));
        }
        self.mark(false);
        let authority = authority_of(details.uri);
        if let Ok(mut last) = self.last_handshake.lock() {
            *last = Some(authority.clone());
        }
        let tls = self
            .tls_for(&authority)
            .map_err(|_| ureq::Error::Tls("no usable trust store"))?;
        let name = match &tls.server_name {
            Some(n) => n.clone(),
            None => {
                let host = details.uri.host().unwrap_or("");
                let host = host.trim_start_matches('[').trim_end_matches(']');
                ServerName::try_from(host.to_string())
                    .map_err(|_| ureq::Error::Tls("invalid server name"))?
            }
        };
        let mut conn = ClientConnection::new(tls.config.clone(), name)?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        conn.complete_io(&mut sock).map_err(io_to_ureq)?;
        self.mark(true);
        let buffers = LazyBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        Ok(Some(Either::B(TlsTransport {
            buffers,
            stream: StreamOwned::new(conn, sock),
            answering: false,
        })))
    }
}

/// `host:port` with the scheme's default port filled in.
///
/// The host is lower-cased (URLs reach here normalised by `http::url::normalize_origin`; this
/// keeps the comparison safe for any other spelling).
pub fn authority_of(uri: &ureq::http::Uri) -> String {
    let host = uri.host().unwrap_or("").to_ascii_lowercase();
    let port = uri.port_u16().unwrap_or(
        if uri
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("http"))
        {
            80
        } else {
            443
        },
    );
    format!("{host}:{port}")
}

/// Keep rustls errors typed (so they can be explained); everything else as ureq would.
fn io_to_ureq(e: std::io::Error) -> ureq::Error {
    if let Some(r) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return ureq::Error::Rustls(r.clone());
    }
    ureq::Error::from(e)
}

/// The rustls error inside an I/O error, if that is what it is.
pub fn rustls_error_in(e: &std::io::Error) -> Option<&rustls::Error> {
    e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>())
}

/// A TLS connection as a ureq transport.
pub struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
    /// Data of a response has arrived since the request was sent.
    answering: bool,
}

impl fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsTransport")
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(
        &mut self,
        amount: usize,
        timeout: NextTimeout,
    ) -> std::result::Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        self.answering = false;
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output).map_err(io_to_ureq)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> std::result::Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let n = match self.stream.read(input) {
            Ok(n) => n,
            // rustls: the TCP connection ended without a TLS close_notify. ureq takes any
            // UnexpectedEof for the end of a body that runs to the close of the connection, so
            // in the middle of a response it must become another error: an attacker (or a
            // crashed proxy) could otherwise cut the body short unnoticed. Before any response
            // byte it stays a closed connection (an idle pooled connection the server dropped).
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && self.answering => {
                return Err(ureq::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "the server closed the connection without a TLS close_notify, so the end of \
                     the response cannot be trusted",
                )));
            }
            Err(e) => return Err(io_to_ureq(e)),
        };
        self.answering |= n > 0;
        self.buffers.input_appended(n);
        Ok(n > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presented_names_lose_their_debug_wrapping() {
        assert_eq!(plain_name("DnsName(\"kube.example\")"), "kube.example");
        assert_eq!(plain_name("IpAddress(0::1)"), "::1");
        assert_eq!(plain_name("IpAddress(10.0.0.1)"), "10.0.0.1");
        assert_eq!(plain_name("Unsupported(0x08)"), "Unsupported(0x08)");
    }

    #[test]
    fn x509_version_reads_tbs() {
        // SEQUENCE { SEQUENCE { [0] { INTEGER 2 } ... } }
        assert_eq!(
            x509_version(&[0x30, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x02]),
            Some(3)
        );
        assert_eq!(x509_version(&[0x30, 0x04, 0x30, 0x02, 0x02, 0x01]), Some(1));
        assert_eq!(x509_version(&[0x04, 0x00]), None);
        assert_eq!(x509_version(&[]), None);
    }

    #[test]
    fn garbage_ca_and_keys_are_errors_not_panics() {
        let e = Tls::new(&Settings {
            roots: Roots::Pem {
                pem: b"hello".to_vec(),
                origin: "ca.pem".into(),
            },
            insecure: false,
            server_name: None,
            identity: None,
        })
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("ca.pem: no PEM certificate found"), "{e}");
        let e = Tls::new(&Settings {
            roots: Roots::Pem {
                pem: b"-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n".to_vec(),
                origin: "ca.pem".into(),
            },
            insecure: false,
            server_name: None,
            identity: None,
        })
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("ca.pem: not a usable CA certificate"), "{e}");
    }
}
