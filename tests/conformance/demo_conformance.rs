//! The portable conformance tests (`suite`) against the demo server (`examples/demo_server`),
//! one fresh demo per test. Where the demo differs from kube-apiserver on purpose, the README's
//! demo section says so. Run exactly these with `cargo test --test conformance -- demo_conformance`.

use super::suite::{self, Cluster};
use super::support::{Demo, Env};

fn cluster() -> Option<Cluster> {
    let demo = Demo::start();
    let dir = demo.dir();
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("read the demo's {name}: {e}"))
    };
    Some(Cluster {
        env: Env::new(),
        kubeconfig: dir.join("kubeconfig"),
        server: demo.url.clone(),
        ca: dir.join("ca.crt"),
        admin_token: read("token"),
        reader_token: read("reader-token"),
        nobody_token: read("nobody-token"),
        admin_user: "demo-admin".to_string(),
        reader_user: "demo-reader".to_string(),
        nobody_user: "demo-nobody".to_string(),
        cert_user: "demo-admin".to_string(),
        reader_namespace: "demo".to_string(),
        git_version: "v1.32.0".to_string(),
        admin_contexts: vec!["cert".to_string(), "demo".to_string(), "prod".to_string()],
        _demo: Some(demo),
    })
}

#[test]
fn discovery_documents_and_version() {
    let Some(k) = cluster() else { return };
    suite::discovery_documents_and_version(&k);
}

#[test]
fn create_from_json_and_yaml() {
    let Some(k) = cluster() else { return };
    suite::create_from_json_and_yaml(&k);
}

#[test]
fn every_patch_type() {
    let Some(k) = cluster() else { return };
    suite::every_patch_type(&k);
}

#[test]
fn dry_run_persists_nothing_and_delete_deletes() {
    let Some(k) = cluster() else { return };
    suite::dry_run_persists_nothing_and_delete_deletes(&k);
}

#[test]
fn strict_field_validation_reaches_the_user() {
    let Some(k) = cluster() else { return };
    suite::strict_field_validation_reaches_the_user(&k);
}

#[test]
fn tables_for_built_in_and_custom_resources() {
    let Some(k) = cluster() else { return };
    suite::tables_for_built_in_and_custom_resources(&k);
}

#[test]
fn yaml_output_round_trips_through_put() {
    let Some(k) = cluster() else { return };
    suite::yaml_output_round_trips_through_put(&k);
}

#[test]
fn paginate_over_real_continue_tokens_and_gzip() {
    let Some(k) = cluster() else { return };
    suite::paginate_over_real_continue_tokens_and_gzip(&k);
}

#[test]
fn watch_sees_real_changes() {
    let Some(k) = cluster() else { return };
    suite::watch_sees_real_changes(&k);
}

#[test]
fn watch_bookmarks_and_initial_events() {
    let Some(k) = cluster() else { return };
    suite::watch_bookmarks_and_initial_events(&k);
}

#[test]
fn until_waits_for_a_concurrent_change_and_until_deleted_for_a_delete() {
    let Some(k) = cluster() else { return };
    suite::until_waits_for_a_concurrent_change_and_until_deleted_for_a_delete(&k);
}

#[test]
fn all_contexts_each_get_their_own_answer() {
    let Some(k) = cluster() else { return };
    suite::all_contexts_each_get_their_own_answer(&k);
}

#[test]
fn bounded_watch_ends_cleanly_and_fail_keeps_stdout_empty() {
    let Some(k) = cluster() else { return };
    suite::bounded_watch_ends_cleanly_and_fail_keeps_stdout_empty(&k);
}

#[test]
fn tokens_are_authenticated_and_authorised_by_the_server() {
    let Some(k) = cluster() else { return };
    suite::tokens_are_authenticated_and_authorised_by_the_server(&k);
}

#[test]
fn client_certificate_user() {
    let Some(k) = cluster() else { return };
    suite::client_certificate_user(&k);
}

#[test]
fn exec_plugin_token() {
    let Some(k) = cluster() else { return };
    suite::exec_plugin_token(&k);
}
