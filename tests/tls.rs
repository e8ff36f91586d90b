mod support;
use support::*;

fn config(env: &Env, server: &str, cluster: &str, user: &str) -> std::path::PathBuf {
    env.write(
        ".kube/config",
        &format!(
            "apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: {server}
{cluster}users:
- name: dev
  user: {user}
contexts:
- name: test
  context: {{cluster: test, user: dev}}
current-context: test
"
        ),
    )
}
fn ca(pki: &Pki) -> String {
    format!("    certificate-authority: {}\n", pki.ca.cert.display())
}

#[test]
fn probe() {
    let (pki, env) = (Pki::new(), Env::new());
    let s = ServerBuilder::new(&pki).require_client_cert().start();
    config(&env, &s.url(), &ca(&pki), "{token: t}");
    let mut counts = std::collections::BTreeMap::new();
    for _ in 0..200 {
        let out = kcurl(&env).arg("/api").output().unwrap();
        *counts
            .entry((
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).replace(&s.url(), "URL"),
            ))
            .or_insert(0) += 1;
    }
    eprintln!("{counts:#?}");
}
