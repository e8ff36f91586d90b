//! Reading an exec plugin's stdout as an ExecCredential (`kcurl::auth::exec::parse_credential`).
//!
//! Input: byte 0 picks the configured apiVersion (v1, v1beta1, or an unsupported one), the rest is
//! the plugin's stdout. Checks: no panic; a credential has a token or a certificate and key; an
//! error message does not depend on the token or key values (the same output with other values
//! gives the same message); `Debug` of a credential does not depend on its secret values.
#![no_main]

use kcurl::auth::Secret;
use kcurl::auth::exec::parse_credential;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const VERSIONS: [&str; 3] = [
    "client.authentication.k8s.io/v1",
    "client.authentication.k8s.io/v1beta1",
    "client.authentication.k8s.io/v1alpha1",
];

fuzz_target!(|data: &[u8]| {
    let [pick, stdout @ ..] = data else {
        return;
    };
    let api_version = VERSIONS[usize::from(*pick) % VERSIONS.len()];
    match parse_credential(stdout, api_version) {
        Ok(cred) => {
            assert!(
                cred.token.is_some()
                    || (cred.client_cert_pem.is_some() && cred.client_key_pem.is_some()),
                "a credential without a token or a certificate and key"
            );
            assert!(!cred.from_cache);
            let mut other = cred.clone();
            other.token = other
                .token
                .map(|t| Secret::new(t.expose().to_owned() + "x"));
            other.client_key_pem = other
                .client_key_pem
                .map(|k| Secret::new(k.expose().to_owned() + "x"));
            assert_eq!(
                format!("{cred:?}"),
                format!("{other:?}"),
                "Debug of a credential shows a secret"
            );
        }
        Err(e) => {
            assert_eq!(e.exit_code(), 1);
            // An error must not depend on the secret values: the same output with other values
            // in status.token and status.clientKeyData gives the same message.
            let Ok(Value::Object(mut obj)) = serde_json::from_slice::<Value>(stdout) else {
                return;
            };
            let same = Value::Object(obj.clone()).to_string();
            let Some(Value::Object(status)) = obj.get_mut("status") else {
                return;
            };
            for field in ["token", "clientKeyData"] {
                // (Only non-empty values: an empty one means "none".)
                if let Some(Value::String(secret)) = status.get_mut(field)
                    && !secret.is_empty()
                {
                    secret.push_str("-other");
                }
            }
            let other = Value::Object(obj).to_string();
            let message = |text: &str| match parse_credential(text.as_bytes(), api_version) {
                Ok(_) => "ok".to_string(),
                Err(e) => e.to_string(),
            };
            assert_eq!(
                message(&same),
                message(&other),
                "an error depends on a secret value"
            );
        }
    }
});
