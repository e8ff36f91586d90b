//! Throwaway PKI for tests: a CA and the certificates it signs, made at test time and written as
//! PEM files into a temporary directory that is removed when the [`Pki`] drops.
//!
//! rcgen (ring backend) makes the CA and every P-256, P-384 and Ed25519 certificate. Key formats
//! that rcgen cannot write (RSA, EC SEC1, P-521) and X.509 v1 certificates come from the `openssl`
//! command line, so these kinds need `openssl` on PATH; a missing or failing `openssl` panics the
//! test with its stderr.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SignatureAlgorithm,
};
use tempfile::TempDir;

/// A certificate and its private key, as files in the [`Pki`] directory and in memory.
#[derive(Clone, Debug)]
pub struct CertFiles {
    /// PEM certificate file.
    pub cert: PathBuf,
    /// PEM private key file, in the format its [`KeyKind`] names.
    pub key: PathBuf,
    /// Contents of `cert`.
    pub cert_pem: String,
    /// Contents of `key`.
    pub key_pem: String,
    /// The certificate in DER, as a TLS peer sees it.
    pub cert_der: Vec<u8>,
}

/// Key algorithm and private-key file format of a client certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// ECDSA P-256, PKCS#8 (`BEGIN PRIVATE KEY`).
    EcP256Pkcs8,
    /// ECDSA P-256, SEC1 (`BEGIN EC PRIVATE KEY`), what kubeadm and kind write.
    EcP256Sec1,
    /// ECDSA P-384, PKCS#8 (`BEGIN PRIVATE KEY`).
    EcP384Pkcs8,
    /// Ed25519, PKCS#8 v1 (`BEGIN PRIVATE KEY`), as `openssl genpkey` writes it.
    Ed25519,
    /// RSA 2048, PKCS#1 (`BEGIN RSA PRIVATE KEY`), what minikube and older tools write.
    RsaPkcs1,
    /// RSA 2048, PKCS#8 (`BEGIN PRIVATE KEY`).
    RsaPkcs8,
    /// ECDSA P-521, SEC1 (`BEGIN EC PRIVATE KEY`); ring (and so rustls with ring) cannot use it.
    EcP521,
}

impl KeyKind {
    /// Every kind, for tests that loop over them.
    pub const ALL: [KeyKind; 7] = [
        KeyKind::EcP256Pkcs8,
        KeyKind::EcP256Sec1,
        KeyKind::EcP384Pkcs8,
        KeyKind::Ed25519,
        KeyKind::RsaPkcs1,
        KeyKind::RsaPkcs8,
        KeyKind::EcP521,
    ];

    /// The PEM label of the key file this kind produces, e.g. `RSA PRIVATE KEY`.
    pub fn pem_label(self) -> &'static str {
        match self {
            KeyKind::EcP256Sec1 | KeyKind::EcP521 => "EC PRIVATE KEY",
            KeyKind::RsaPkcs1 => "RSA PRIVATE KEY",
            KeyKind::EcP256Pkcs8 | KeyKind::EcP384Pkcs8 | KeyKind::Ed25519 | KeyKind::RsaPkcs8 => {
                "PRIVATE KEY"
            }
        }
    }

    fn file_tag(self) -> &'static str {
        match self {
            KeyKind::EcP256Pkcs8 => "p256-pkcs8",
            KeyKind::EcP256Sec1 => "p256-sec1",
            KeyKind::EcP384Pkcs8 => "p384-pkcs8",
            KeyKind::Ed25519 => "ed25519",
            KeyKind::RsaPkcs1 => "rsa-pkcs1",
            KeyKind::RsaPkcs8 => "rsa-pkcs8",
            KeyKind::EcP521 => "p521-sec1",
        }
    }
}

/// A test certificate authority and the directory its files live in.
pub struct Pki {
    /// Where every file of this PKI is written; removed on drop.
    pub dir: TempDir,
    /// The CA certificate (self-signed, P-256) and its PKCS#8 key.
    pub ca: CertFiles,
    issuer: Issuer<'static, KeyPair>,
    next_id: AtomicUsize,
}

impl Default for Pki {
    fn default() -> Self {
        Pki::new()
    }
}

impl Pki {
    /// A fresh CA named `kcurl-test-ca`.
    pub fn new() -> Pki {
        Pki::with_ca_name("kcurl-test-ca")
    }

    /// A fresh CA with the given common name.
    pub fn with_ca_name(common_name: &str) -> Pki {
        let dir = tempfile::Builder::new()
            .prefix("kcurl-pki-")
            .tempdir()
            .expect("create PKI temp dir");
        let mut params = CertificateParams::default();
        params.distinguished_name = dn(common_name, None);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("generate CA key");
        let cert = params.self_signed(&key).expect("self-sign CA");
        let ca = write_pair(dir.path(), "ca", &cert.pem(), &key.serialize_pem());
        Pki {
            dir,
            ca,
            issuer: Issuer::new(params, key),
            next_id: AtomicUsize::new(1),
        }
    }

    /// An unrelated CA (`kcurl-other-ca`) with its own directory, for "untrusted CA" tests:
    /// certificates it signs do not chain to `self.ca`.
    #[allow(clippy::unused_self)] // a method so tests read `pki.other_ca()`
    pub fn other_ca(&self) -> Pki {
        Pki::with_ca_name("kcurl-other-ca")
    }

    /// A serverAuth certificate (P-256, PKCS#8 key) for the given SANs, signed by this CA.
    ///
    /// Each SAN that parses as an IP address (`127.0.0.1`, `::1`) becomes an IP SAN, anything
    /// else a DNS SAN. The common name is `kube-apiserver`.
    pub fn server_cert(&self, sans: &[&str]) -> CertFiles {
        let mut params = leaf_params(sans, "kube-apiserver", None);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.issue(
            "server",
            &params,
            ("kube-apiserver", None),
            KeyKind::EcP256Pkcs8,
        )
    }

    /// A serverAuth certificate whose SANs are all DNS names, even those that look like IP
    /// addresses (`127.0.0.1` as a DNS name, as some hand-made certificates have it).
    pub fn dns_only_server_cert(&self, sans: &[&str]) -> CertFiles {
        let mut params = leaf_params(&[], "kube-apiserver", None);
        params.subject_alt_names = sans
            .iter()
            .map(|s| rcgen::SanType::DnsName((*s).try_into().expect("IA5 DNS name")))
            .collect();
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.issue(
            "dns-only",
            &params,
            ("kube-apiserver", None),
            KeyKind::EcP256Pkcs8,
        )
    }

    /// A self-signed certificate with the CA flag set and these SANs, as `openssl req -x509`
    /// makes by default: used as the server's certificate and as its own CA (Go accepts it).
    pub fn self_signed_ca_server_cert(&self, sans: &[&str]) -> CertFiles {
        let sans: Vec<String> = sans.iter().map(ToString::to_string).collect();
        let mut params = CertificateParams::new(sans).expect("valid subject alt names");
        params.distinguished_name = dn("kube-apiserver", None);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().expect("generate key");
        let cert = params.self_signed(&key).expect("self-sign certificate");
        write_pair(
            self.dir.path(),
            &self.stem("self-signed-ca"),
            &cert.pem(),
            &key.serialize_pem(),
        )
    }

    /// Like [`Pki::server_cert`] but expired: valid from 2000-01-01 to 2001-01-01.
    pub fn expired_server_cert(&self, sans: &[&str]) -> CertFiles {
        let mut params = leaf_params(sans, "kube-apiserver", None);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        self.issue(
            "expired",
            &params,
            ("kube-apiserver", None),
            KeyKind::EcP256Pkcs8,
        )
    }

    /// A v3 serverAuth certificate whose subject CN is `cn` and that has no subjectAltName
    /// extension at all (Go and rustls both refuse to match a host name against a CN).
    pub fn cn_only_server_cert(&self, cn: &str) -> CertFiles {
        let mut params = leaf_params(&[], cn, None);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.issue("cn-only", &params, (cn, None), KeyKind::EcP256Pkcs8)
    }

    /// An X.509 **v1** server certificate (no extensions at all, so no SAN either) with subject
    /// CN `cn`, signed by this CA through `openssl x509 -req`. rustls refuses v1 certificates.
    pub fn v1_server_cert(&self, cn: &str) -> CertFiles {
        let stem = self.stem("v1");
        let key = KeyPair::generate().expect("generate key");
        let key_pem = key.serialize_pem();
        let cert_pem = self.openssl_sign(&stem, &key_pem, cn, None, None);
        write_pair(self.dir.path(), &stem, &cert_pem, &key_pem)
    }

    /// A clientAuth certificate with subject CN `common_name` and O `org` (Kubernetes reads
    /// them as user name and group), signed by this CA, its key in the format `kind` names.
    pub fn client_cert(&self, common_name: &str, org: Option<&str>, kind: KeyKind) -> CertFiles {
        let mut params = leaf_params(&[], common_name, org);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.issue("client", &params, (common_name, org), kind)
    }

    /// Signs `params` for a fresh key of `kind` and writes both files.
    fn issue(
        &self,
        what: &str,
        params: &CertificateParams,
        subject: Subject<'_>,
        kind: KeyKind,
    ) -> CertFiles {
        let stem = format!("{}-{}", self.stem(what), kind.file_tag());
        let rcgen_key =
            |alg: &'static SignatureAlgorithm| KeyPair::generate_for(alg).expect("generate key");
        let (cert_pem, key_pem) = match kind {
            KeyKind::EcP256Pkcs8
            | KeyKind::EcP256Sec1
            | KeyKind::EcP384Pkcs8
            | KeyKind::Ed25519 => {
                let key = rcgen_key(match kind {
                    KeyKind::EcP384Pkcs8 => &rcgen::PKCS_ECDSA_P384_SHA384,
                    KeyKind::Ed25519 => &rcgen::PKCS_ED25519,
                    _ => &rcgen::PKCS_ECDSA_P256_SHA256,
                });
                let cert = params
                    .signed_by(&key, &self.issuer)
                    .expect("sign certificate");
                let key_pem = match kind {
                    KeyKind::EcP256Sec1 => openssl(&["ec"], Some(&key.serialize_pem())),
                    KeyKind::Ed25519 => ed25519_pkcs8_v1(key.serialized_der()),
                    _ => key.serialize_pem(),
                };
                (cert.pem(), key_pem)
            }
            KeyKind::RsaPkcs1 | KeyKind::RsaPkcs8 => {
                // ring loads RSA PKCS#8 keys (it cannot generate them), so rcgen still signs.
                let pkcs8 = openssl(
                    &[
                        "genpkey",
                        "-algorithm",
                        "RSA",
                        "-pkeyopt",
                        "rsa_keygen_bits:2048",
                    ],
                    None,
                );
                let key = KeyPair::from_pem(&pkcs8).expect("load RSA key into rcgen");
                let cert = params
                    .signed_by(&key, &self.issuer)
                    .expect("sign certificate");
                let key_pem = if kind == KeyKind::RsaPkcs1 {
                    openssl(&["rsa", "-traditional"], Some(&pkcs8))
                } else {
                    pkcs8
                };
                (cert.pem(), key_pem)
            }
            KeyKind::EcP521 => {
                // Neither ring nor rcgen-with-ring knows P-521: openssl makes and signs it.
                let key_pem = openssl(
                    &["ecparam", "-name", "secp521r1", "-genkey", "-noout"],
                    None,
                );
                let ext = eku_extfile(params);
                let cert_pem = self.openssl_sign(&stem, &key_pem, subject.0, subject.1, Some(&ext));
                (cert_pem, key_pem)
            }
        };
        assert!(
            key_pem.starts_with(&format!("-----BEGIN {}-----", kind.pem_label())),
            "{kind:?} key has the wrong PEM label:\n{key_pem}"
        );
        write_pair(self.dir.path(), &stem, &cert_pem, &key_pem)
    }

    /// Signs a CSR for `key_pem` with this CA through `openssl x509 -req`; without `extfile` the
    /// result is an X.509 v1 certificate.
    fn openssl_sign(
        &self,
        stem: &str,
        key_pem: &str,
        cn: &str,
        org: Option<&str>,
        extfile: Option<&str>,
    ) -> String {
        let key_path = self.dir.path().join(format!("{stem}.csr-key.pem"));
        std::fs::write(&key_path, key_pem).expect("write key for CSR");
        let mut subject = format!("/CN={}", escape_subject(cn));
        if let Some(o) = org {
            let _ = write!(subject, "/O={}", escape_subject(o));
        }
        let csr = openssl(
            &[
                "req",
                "-new",
                "-key",
                path_str(&key_path),
                "-subj",
                &subject,
            ],
            None,
        );
        let serial = format!(
            "{}",
            1_000_000 + self.next_id.fetch_add(1, Ordering::Relaxed)
        );
        let mut args = vec![
            "x509",
            "-req",
            "-CA",
            path_str(&self.ca.cert),
            "-CAkey",
            path_str(&self.ca.key),
            "-set_serial",
            &serial,
            "-days",
            "3650",
        ];
        let ext_path = self.dir.path().join(format!("{stem}.ext.cnf"));
        if let Some(ext) = extfile {
            std::fs::write(&ext_path, ext).expect("write openssl extfile");
            args.extend(["-extfile", path_str(&ext_path)]);
        }
        let cert = openssl(&args, Some(&csr));
        let _ = std::fs::remove_file(&key_path);
        let _ = std::fs::remove_file(&ext_path);
        cert
    }

    fn stem(&self, what: &str) -> String {
        format!("{what}-{}", self.next_id.fetch_add(1, Ordering::Relaxed))
    }
}

/// Standard base64 (with padding) of `pem`, for kubeconfig `*-data` fields.
pub fn b64(pem: &str) -> String {
    b64_bytes(pem.as_bytes())
}

/// Standard base64 (with padding) of arbitrary bytes.
pub fn b64_bytes(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Subject CN and O of a leaf certificate.
type Subject<'a> = (&'a str, Option<&'a str>);

fn dn(common_name: &str, org: Option<&str>) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    if let Some(o) = org {
        dn.push(DnType::OrganizationName, o);
    }
    dn
}

fn leaf_params(sans: &[&str], cn: &str, org: Option<&str>) -> CertificateParams {
    let sans: Vec<String> = sans.iter().map(ToString::to_string).collect();
    let mut params = CertificateParams::new(sans).expect("valid subject alt names");
    params.distinguished_name = dn(cn, org);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.use_authority_key_identifier_extension = true;
    params
}

fn eku_extfile(params: &CertificateParams) -> String {
    let eku = if params
        .extended_key_usages
        .contains(&ExtendedKeyUsagePurpose::ServerAuth)
    {
        "serverAuth"
    } else {
        "clientAuth"
    };
    format!(
        "basicConstraints = critical, CA:FALSE\n\
         keyUsage = critical, digitalSignature, keyEncipherment\n\
         extendedKeyUsage = {eku}\n\
         authorityKeyIdentifier = keyid\n"
    )
}

/// Rewrites ring's Ed25519 PKCS#8 v2 (RFC 5958, with the public key, which OpenSSL 3.0 cannot
/// read) as the v1 form that `openssl genpkey -algorithm ed25519` writes.
fn ed25519_pkcs8_v1(v2_der: &[u8]) -> String {
    const V2_PREFIX: [u8; 16] = [
        0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    const V1_PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    assert!(
        v2_der.len() >= 48 && v2_der[..16] == V2_PREFIX,
        "unexpected Ed25519 PKCS#8 layout from ring"
    );
    let mut der = V1_PREFIX.to_vec();
    der.extend_from_slice(&v2_der[16..48]);
    pem_encode("PRIVATE KEY", &der)
}

/// PEM-encodes `der` with `label`, 64 characters a line.
fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = b64_bytes(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    let _ = writeln!(out, "-----END {label}-----");
    out
}

fn escape_subject(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '/' | '\\' | '+' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

/// Runs `openssl ARGS` with `stdin`, returns its stdout; panics with stderr on failure.
fn openssl(args: &[&str], stdin: Option<&str>) -> String {
    use std::io::Write;
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run openssl (is it installed?)");
    let mut pipe = child.stdin.take().expect("openssl stdin");
    let input = stdin.unwrap_or("").to_owned();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("wait for openssl");
    let _ = writer.join();
    assert!(
        out.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("openssl writes PEM text")
}

fn write_pair(dir: &Path, stem: &str, cert_pem: &str, key_pem: &str) -> CertFiles {
    let cert = dir.join(format!("{stem}.crt"));
    let key = dir.join(format!("{stem}.key"));
    std::fs::write(&cert, cert_pem).expect("write certificate");
    std::fs::write(&key, key_pem).expect("write key");
    CertFiles {
        cert,
        key,
        cert_pem: cert_pem.to_owned(),
        key_pem: key_pem.to_owned(),
        cert_der: cert_pem_to_der(cert_pem),
    }
}

/// Decodes the first `CERTIFICATE` block of `pem` to DER.
pub fn cert_pem_to_der(pem: &str) -> Vec<u8> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .expect("a PEM certificate")
        .to_vec()
}
