//! The portable conformance tests (`suite`) against the demo server (`examples/demo_server`),
//! one fresh demo per test. Where the demo differs from kube-apiserver on purpose, the README's
//! demo section says so. Run exactly these with `cargo test -- demo_conformance`.

use super::suite::{self, Cluster};
use crate::support::{Demo, Env};

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

// The portable part of the suite (tests/conformance/suite.rs), against this server.
suite::portable_tests!(
    discovery_documents_and_version,
    create_from_json_and_yaml,
    every_patch_type,
    dry_run_persists_nothing_and_delete_deletes,
    strict_field_validation_reaches_the_user,
    tables_for_built_in_and_custom_resources,
    yaml_output_round_trips_through_put,
    paginate_over_real_continue_tokens_and_gzip,
    watch_sees_real_changes,
    watch_bookmarks_and_initial_events,
    until_waits_for_a_concurrent_change_and_until_deleted_for_a_delete,
    all_contexts_each_get_their_own_answer,
    bounded_watch_ends_cleanly_and_fail_keeps_stdout_empty,
    tokens_are_authenticated_and_authorised_by_the_server,
    client_certificate_user,
    exec_plugin_token,
    resource_references_resolve_like_paths,
);
