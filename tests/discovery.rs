//! Resource references (`kcurl pods`, `kcurl deploy/web`, `kcurl pod/web-0/log`) resolved through
//! discovery, the discovery cache, and TAB completion of references and paths: against the demo
//! server (aggregated discovery, and `--legacy-discovery` as an old server), and against small
//! test servers for what the demo cannot show (ambiguity, v2beta1). The same forms against a
//! real kube-apiserver are in `tests/conformance/` (`references_resolve_like_paths` and the
//! real-only CRD refresh test).

use crate::support::*;

use std::path::PathBuf;

/// The discovery cache files under `home`.
fn cache_files(home: &std::path::Path) -> Vec<PathBuf> {
    let dir = home.join(".cache/kcurl/discovery");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

/// The `* REF → PATH (…)` line of a `-v` run.
fn resolved_line(out: &Out) -> String {
    out.stderr
        .lines()
        .find(|l| l.contains(" → /"))
        .unwrap_or_else(|| panic!("no resolved-path line:\n{out:?}"))
        .to_string()
}

fn stdout_ok(demo: &Demo, args: &[&str]) -> String {
    let out = demo.kcurl(args);
    assert_eq!(out.code, Some(0), "kcurl {args:?}:\n{out:?}");
    out.stdout
}

#[test]
fn every_reference_form_resolves_on_the_demo() {
    let demo = Demo::start();
    let jq_kind = |target: &str, extra: &[&str]| {
        let mut args = vec![target, "--jq", ".kind"];
        args.extend_from_slice(extra);
        stdout_ok(&demo, &args)
    };
    for t in ["pods", "po", "pod", "Pod", "pods.v1."] {
        assert_eq!(jq_kind(t, &[]), "PodList\n", "{t}");
    }
    for t in [
        "deployments",
        "deploy",
        "deployments.apps",
        "deploy.v1.apps",
    ] {
        assert_eq!(jq_kind(t, &[]), "DeploymentList\n", "{t}");
    }
    assert_eq!(jq_kind("crontabs", &[]), "CronTabList\n");
    assert_eq!(jq_kind("ct.stable.example.com", &[]), "CronTabList\n");
    assert_eq!(jq_kind("ns", &[]), "NamespaceList\n");
    assert_eq!(jq_kind("ns/kube-system", &[]), "Namespace\n");
    assert_eq!(jq_kind("deploy/web", &["-n", "default"]), "Deployment\n");
    assert_eq!(jq_kind("pod/web-0", &[]), "Pod\n");
    assert_eq!(
        stdout_ok(
            &demo,
            &["deploy/web", "-n", "default", "--jq", ".metadata.namespace"]
        ),
        "default\n"
    );
    // -A lists across namespaces.
    let all = stdout_ok(
        &demo,
        &["deploy", "-A", "-c", "--jq", ".items[].metadata.namespace"],
    );
    assert!(all.lines().count() > 1, "{all}");
    // A subresource, and a query kept as typed.
    let log = demo.kcurl(&["pod/web-0/log", "-v"]);
    assert_eq!(log.code, Some(0), "{log:?}");
    assert!(
        resolved_line(&log)
            .starts_with("* pod/web-0/log → /api/v1/namespaces/demo/pods/web-0/log (discovery "),
        "{log:?}"
    );
    let limited = demo.kcurl(&[
        "pods?limit=1",
        "-P",
        "labelSelector=app=web",
        "-v",
        "-c",
        "--jq",
        ".items|length",
    ]);
    assert_eq!(limited.stdout, "1\n", "{limited:?}");
    assert!(
        limited
            .stderr
            .contains("GET /api/v1/namespaces/demo/pods?limit=1&labelSelector=app%3Dweb "),
        "{limited:?}"
    );
    // Everything else works as with a path: --table, -d, -X.
    let table = stdout_ok(&demo, &["deploy", "--table"]);
    assert!(table.starts_with("NAME "), "{table}");
    let body = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"from-ref"}}"#;
    assert_eq!(
        stdout_ok(&demo, &["cm", "-d", body, "--jq", ".metadata.name"]),
        "from-ref\n"
    );
    assert_eq!(
        stdout_ok(
            &demo,
            &["-X", "DELETE", "configmap/from-ref", "-c", "--jq", ".kind"]
        ),
        "Status\n"
    );
}

#[test]
fn verbose_names_the_path_and_the_source() {
    let demo = Demo::start();
    let first = demo.kcurl(&["-v", "deploy", "-n", "prod"]);
    assert_eq!(first.code, Some(0), "{first:?}");
    assert_eq!(
        resolved_line(&first),
        "* deploy → /apis/apps/v1/namespaces/prod/deployments (discovery fetched, aggregated v2)"
    );
    assert_eq!(discovery_gets(&first), ["/api", "/apis"], "{first:?}");
    // The second run reads the cache: no discovery request at all.
    let second = demo.kcurl(&["-v", "deploy", "-n", "prod"]);
    assert!(
        resolved_line(&second)
            .starts_with("* deploy → /apis/apps/v1/namespaces/prod/deployments (discovery cache, "),
        "{second:?}"
    );
    assert!(discovery_gets(&second).is_empty(), "{second:?}");
    // The context line comes first, as for any -v run, then what the reference resolved to.
    let lines: Vec<&str> = second.stderr.lines().take(2).collect();
    assert!(
        lines[0].starts_with("* kubeconfig: ") && lines[1].starts_with("* deploy → "),
        "{second:?}"
    );
    // --refresh-discovery fetches again.
    let forced = demo.kcurl(&["-v", "--refresh-discovery", "deploy"]);
    assert!(
        resolved_line(&forced).ends_with("(discovery fetched, aggregated v2)"),
        "{forced:?}"
    );
}

#[test]
fn paths_never_do_discovery() {
    let demo = Demo::start();
    for target in [
        "/api/v1/namespaces",
        "api/v1/namespaces",
        "version",
        "healthz",
    ] {
        let out = demo.kcurl(&["-v", target]);
        assert_eq!(out.code, Some(0), "{target}: {out:?}");
        assert!(!out.stderr.contains("discovery"), "{target}: {out:?}");
    }
    assert_eq!(cache_files(demo.env.home()), Vec::<PathBuf>::new());
    // A URL neither.
    let url = format!("{}/api", demo.url);
    let out = demo.kcurl(&["-v", &url]);
    assert!(!out.stderr.contains("discovery"), "{out:?}");
}

#[test]
fn unknown_types_and_subresources_are_usage_errors_with_suggestions() {
    let demo = Demo::start();
    let out = demo.kcurl(&["podz"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            Some(2),
            "",
            "kcurl: error: no resource type \"podz\" on this server; did you mean pods?\n"
        )
    );
    let out = demo.kcurl(&["deploymnets/web"]);
    assert_eq!(
        out.stderr,
        "kcurl: error: no resource type \"deploymnets\" on this server; did you mean deployments?\n"
    );
    let out = demo.kcurl(&["frobnicators"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            Some(2),
            "kcurl: error: no resource type \"frobnicators\" on this server (a path starts with /: kcurl /frobnicators)\n"
        )
    );
    let out = demo.kcurl(&["pod/web-0/logs"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            Some(2),
            "kcurl: error: pods has no subresource \"logs\" on this server; did you mean log?\n"
        )
    );
    let out = demo.kcurl(&["pod/web-0", "-A"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            Some(2),
            "kcurl: error: -A lists across namespaces, but \"pod/web-0\" names one object: give -n NAMESPACE instead\n"
        )
    );
    let out = demo.kcurl(&["/api/v1/pods", "-A"]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stderr
            .starts_with("kcurl: error: -A goes with a resource reference"),
        "{out:?}"
    );
    // Discovery the server refuses: the status, and the way around it.
    let out = demo.kcurl(&["--token", "wrong", "--refresh-discovery", "pods"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            Some(1),
            "",
            "kcurl: error: discovery: GET /api: the server answered 401 (kcurl -v shows the \
             exchange); a path (/…) needs no discovery\n"
        )
    );
    // Usage errors are said even with -s.
    let out = demo.kcurl(&["-s", "podz"]);
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("did you mean pods?"), "{out:?}");
}

#[test]
fn an_old_server_is_read_through_the_legacy_documents() {
    let demo = Demo::start_with(&["--legacy-discovery"]);
    let out = demo.kcurl(&["-v", "deploy/web", "--jq", ".kind"]);
    assert_eq!(out.stdout, "Deployment\n", "{out:?}");
    assert_eq!(
        resolved_line(&out),
        "* deploy/web → /apis/apps/v1/namespaces/demo/deployments/web (discovery fetched, legacy per-group-version documents)"
    );
    let gets = discovery_gets(&out);
    assert_eq!(
        gets,
        [
            "/api",
            "/apis",
            "/api/v1",
            "/apis/apps/v1",
            "/apis/stable.example.com/v1"
        ]
    );
    // Subresources come from `pods/log` entries.
    assert_eq!(demo.kcurl(&["pod/web-0/log"]).code, Some(0));
    assert_eq!(demo.kcurl(&["ct", "--jq", ".kind"]).stdout, "CronTabList\n");
}

/// Rewrite the one cache file of `home`: `fetched` moved `secs` into the past, and `edit`
/// applied to the table.
fn age_cache(home: &std::path::Path, secs: u64, edit: impl Fn(&mut serde_json::Value)) {
    let files = cache_files(home);
    assert_eq!(files.len(), 1, "{files:?}");
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    let fetched = v["fetched"].as_u64().unwrap();
    v["fetched"] = (fetched - secs).into();
    edit(&mut v["table"]);
    // fs::write keeps the file's 0600 mode.
    std::fs::write(&files[0], serde_json::to_vec(&v).unwrap()).unwrap();
}

/// Remove every resource named `plural` from a cached table.
fn drop_resource(plural: &'static str) -> impl Fn(&mut serde_json::Value) {
    move |table| {
        for g in table["groups"].as_array_mut().unwrap() {
            for v in g["versions"].as_array_mut().unwrap() {
                v["resources"]
                    .as_array_mut()
                    .unwrap()
                    .retain(|r| r["name"] != plural);
            }
        }
    }
}

#[test]
fn the_cache_is_private_per_server_and_refreshed_on_a_miss_when_older_than_a_minute() {
    let demo = Demo::start();
    assert_eq!(
        demo.kcurl(&["pods", "-c", "--jq", ".kind"]).stdout,
        "PodList\n"
    );
    let files = cache_files(demo.env.home());
    assert_eq!(files.len(), 1, "{files:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&files[0]), 0o600);
        assert_eq!(mode(files[0].parent().unwrap()), 0o700);
    }

    // A table younger than a minute is trusted: a type missing from it is an error, no request.
    age_cache(demo.env.home(), 0, drop_resource("crontabs"));
    let out = demo.kcurl(&["-v", "crontabs"]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(discovery_gets(&out).is_empty(), "{out:?}");

    // Older than a minute: the miss fetches the table again, and the new one is cached.
    age_cache(demo.env.home(), 120, |_| {});
    let out = demo.kcurl(&["-v", "crontabs", "--jq", ".kind"]);
    assert_eq!(out.stdout, "CronTabList\n", "{out:?}");
    assert!(
        resolved_line(&out)
            .ends_with("(discovery fetched, aggregated v2 (the cached table missed it))"),
        "{out:?}"
    );
    let out = demo.kcurl(&["-v", "crontabs"]);
    assert!(
        resolved_line(&out).contains("(discovery cache, "),
        "{out:?}"
    );

    // Older than 6 hours: not used at all.
    age_cache(demo.env.home(), 6 * 3600, |_| {});
    let out = demo.kcurl(&["-v", "pods"]);
    assert!(
        resolved_line(&out).ends_with("(discovery fetched, aggregated v2)"),
        "{out:?}"
    );

    // A cache file others could write is not read (and is replaced).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let file = &cache_files(demo.env.home())[0];
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o666)).unwrap();
        let out = demo.kcurl(&["-v", "pods"]);
        assert!(
            resolved_line(&out).ends_with("(discovery fetched, aggregated v2)"),
            "{out:?}"
        );
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn no_cache_reads_and_writes_no_discovery_cache() {
    let demo = Demo::start();
    let out = demo.kcurl(&["--no-cache", "-v", "pods"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(cache_files(demo.env.home()), Vec::<PathBuf>::new());
}

/// `APIGroupDiscoveryList` documents for a server where two CRD groups both serve `widgets`,
/// as aggregated discovery `format` (v2 or v2beta1).
fn widgets_server(format: &'static str) -> impl Fn(&Request) -> Reply {
    move |req: &Request| {
        let ct =
            format!("application/json;g=apidiscovery.k8s.io;v={format};as=APIGroupDiscoveryList");
        let widget = |group: &str| {
            format!(
                r#"{{"metadata":{{"name":"{group}"}},"versions":[{{"version":"v1","resources":[
                {{"resource":"widgets","responseKind":{{"kind":"Widget"}},"scope":"Namespaced","singularResource":"widget"}}]}}]}}"#
            )
        };
        match req.path() {
            "/api" => Reply::json(
                200,
                r#"{"kind":"APIGroupDiscoveryList","items":[{"metadata":{},"versions":[{"version":"v1","resources":[
                    {"resource":"pods","responseKind":{"kind":"Pod"},"scope":"Namespaced","singularResource":"pod","shortNames":["po"]}]}]}]}"#,
            )
            .set_header("Content-Type", &ct),
            "/apis" => Reply::json(
                200,
                format!(
                    r#"{{"kind":"APIGroupDiscoveryList","items":[{},{}]}}"#,
                    widget("a.example.com"),
                    widget("b.example.com")
                ),
            )
            .set_header("Content-Type", &ct),
            _ => Reply::json(200, r#"{"kind":"WidgetList","items":[]}"#),
        }
    }
}

#[test]
fn an_ambiguous_type_lists_the_full_paths() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, widgets_server("v2"));
    let out = run(kcurl(&env).arg("widgets"));
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            Some(2),
            "",
            "kcurl: error: resource type \"widgets\" is ambiguous on this server: \
             /apis/a.example.com/v1/namespaces/default/widgets (widgets.a.example.com) or \
             /apis/b.example.com/v1/namespaces/default/widgets (widgets.b.example.com); name the group\n"
        )
    );
    let out = run(kcurl(&env).args(["widgets.b.example.com", "--jq", ".kind"]));
    assert_eq!(out.stdout, "WidgetList\n", "{out:?}");
    let paths: Vec<String> = server.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(
        paths,
        [
            "/api",
            "/apis",
            "/apis/b.example.com/v1/namespaces/default/widgets"
        ],
        "one discovery, then the cache"
    );
    let accept = server.requests()[0].header("accept").unwrap().to_string();
    assert_eq!(
        accept,
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,\
         application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
    );
}

#[test]
fn v2beta1_aggregated_discovery_is_read() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, widgets_server("v2beta1"));
    let out = run(kcurl(&env).args(["-v", "po", "-n", "x"]));
    assert_eq!(
        resolved_line(&out),
        "* po → /api/v1/namespaces/x/pods (discovery fetched, aggregated v2beta1)"
    );
    // Discovery and the request share the request's client: one TCP+TLS connection.
    let seen: Vec<(String, usize)> = server
        .requests()
        .iter()
        .map(|r| (r.target.clone(), r.connection))
        .collect();
    assert_eq!(
        seen,
        [
            ("/api".to_string(), 1),
            ("/apis".to_string(), 1),
            ("/api/v1/namespaces/x/pods".to_string(), 1)
        ],
        "{out:?}"
    );
}

// --- TAB completion -------------------------------------------------------------------------

/// The completion answer of `kcurl` for `words` (the last one is being completed), as the fish
/// script asks for it: one candidate per line.
fn complete(demo: &Demo, words: &[&str]) -> Out {
    let mut cmd = demo.kcurl_std(&[]);
    cmd.env("KCURL_COMPLETE", "fish")
        .arg("--")
        .arg("kcurl")
        .args(words);
    cmd.output().expect("run kcurl").into()
}

fn candidates(demo: &Demo, words: &[&str]) -> Vec<String> {
    let out = complete(demo, words);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (Some(0), ""),
        "{words:?}: {out:?}"
    );
    out.stdout.lines().map(str::to_string).collect()
}

#[test]
fn completion_of_references_and_of_paths_at_each_depth() {
    let demo = Demo::start();
    let c = |words: &[&str]| candidates(&demo, words);
    // The first TAB fetches and caches the table; the next ones read it.
    assert_eq!(c(&["dep"]), ["deployments"]);
    assert_eq!(cache_files(demo.env.home()).len(), 1);
    assert_eq!(c(&["cr"]), ["crontabs"]);
    assert_eq!(c(&["deploy."]), ["deploy.apps", "deploy.v1.apps"]);
    assert_eq!(c(&["deploy/"]), ["deploy/web"]);
    assert_eq!(c(&["pod/w"]), ["pod/web-0", "pod/web-1", "pod/web-2"]);
    assert_eq!(c(&["-n", "kube-system", "po/"]).len(), 3);
    assert_eq!(c(&["pod/web-0/"]), ["pod/web-0/log"]);
    assert_eq!(c(&["/ap"]), ["/api/", "/apis/"]);
    assert_eq!(c(&["/api/"]), ["/api/v1/"]);
    assert_eq!(c(&["/apis/"]), ["/apis/apps/", "/apis/stable.example.com/"]);
    assert_eq!(c(&["/apis/apps/"]), ["/apis/apps/v1/"]);
    assert_eq!(
        c(&["/apis/apps/v1/"]),
        ["/apis/apps/v1/namespaces/", "/apis/apps/v1/deployments"]
    );
    assert_eq!(
        c(&["/api/v1/namespaces/"]),
        [
            "/api/v1/namespaces/default/",
            "/api/v1/namespaces/demo/",
            "/api/v1/namespaces/kube-system/"
        ]
    );
    assert_eq!(
        c(&["/api/v1/namespaces/demo/"]),
        [
            "/api/v1/namespaces/demo/pods/",
            "/api/v1/namespaces/demo/configmaps/",
            "/api/v1/namespaces/demo/services/"
        ]
    );
    assert_eq!(
        c(&["/api/v1/namespaces/demo/pods/web-"]),
        [
            "/api/v1/namespaces/demo/pods/web-0/",
            "/api/v1/namespaces/demo/pods/web-1/",
            "/api/v1/namespaces/demo/pods/web-2/"
        ]
    );
    assert_eq!(
        c(&["/api/v1/namespaces/demo/pods/web-0/"]),
        ["/api/v1/namespaces/demo/pods/web-0/log"]
    );
    assert_eq!(
        c(&["/apis/apps/v1/namespaces/demo/deployments/"]),
        ["/apis/apps/v1/namespaces/demo/deployments/web"]
    );
    assert_eq!(c(&["-n", "d"]), ["default", "demo"]);
    assert_eq!(c(&["--as", ""]), Vec::<String>::new());
    // The rest of the line chooses the cluster and namespace.
    assert_eq!(
        c(&["--context", "prod", "deploy/"]),
        ["deploy/web"],
        "prod's namespace is default"
    );
}

#[test]
fn completion_is_quiet_and_bounded_when_the_cluster_cannot_answer() {
    let env = Env::new();
    // A server that accepts connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    // And a user whose exec plugin would prompt on the terminal (stderr) and read the answer.
    let config = env.write(
        ".kube/config",
        &format!(
            "apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {{server: 'https://127.0.0.1:{port}', insecure-skip-tls-verify: true}}
- name: gone
  cluster: {{server: 'https://127.0.0.1:1'}}
users:
- name: u
  user: {{token: t}}
- name: prompt
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: sh
      args: ['-c', 'echo PASSWORD? >&2; read x; echo nope']
      interactiveMode: IfAvailable
contexts:
- name: silent
  context: {{cluster: c, user: u}}
- name: gone
  context: {{cluster: gone, user: u}}
- name: prompt
  context: {{cluster: gone, user: prompt}}
current-context: silent
"
        ),
    );
    for words in [
        &["dep"][..],
        &["/ap"],
        &["/apis/"],
        &["-n", ""],
        &["--context", "gone", "deploy/"],
        &["--context", "prompt", "dep"],
        &["--context", "prompt", "-n", ""],
        &["--kubeconfig", "/nonexistent", "dep"],
    ] {
        let started = std::time::Instant::now();
        let out: Out = kcurl(&env)
            .env("KUBECONFIG", &config)
            .env("KCURL_COMPLETE", "fish")
            .arg("--")
            .arg("kcurl")
            .args(words)
            .output()
            .unwrap()
            .into();
        let took = started.elapsed();
        assert_eq!(out.code, Some(0), "{words:?}: {out:?}");
        assert_eq!(out.stderr, "", "{words:?}: nothing on the terminal");
        // The top of the API is known without the server.
        let expected = if words[words.len() - 1] == "/ap" {
            "/api/\n/apis/\n"
        } else {
            ""
        };
        assert_eq!(out.stdout, expected, "{words:?}");
        assert!(
            took < std::time::Duration::from_secs(2),
            "{words:?} took {took:?}"
        );
    }
    drop(silent);
}

/// `name` with a clean environment (HOME, PATH with kcurl first, KUBECONFIG), or `None` after
/// one line on stderr when it is not installed; under CI=true a shell .ci/run installs must be
/// there.
#[cfg(unix)]
fn shell(name: &str, demo: &Demo) -> Option<std::process::Command> {
    if std::process::Command::new(name)
        .arg("--version")
        .output()
        .is_err()
    {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(
            !ci,
            "{name} is not installed, and CI=true requires it (.ci/run installs it)"
        );
        eprintln!("notice: {name} is not installed; skipping its completion test");
        return None;
    }
    let bin = demo.env.home().join("bin");
    if !bin.exists() {
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(kcurl_path(), bin.join("kcurl")).unwrap();
    }
    let mut dirs = vec![bin];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    let mut cmd = std::process::Command::new(name);
    cmd.env_clear()
        .env("HOME", demo.env.home())
        .env("XDG_CACHE_HOME", demo.env.home().join(".cache"))
        .env("PATH", std::env::join_paths(dirs).unwrap())
        .env("KUBECONFIG", demo.dir().join("kubeconfig"))
        .current_dir(demo.env.home());
    Some(cmd)
}

fn repo_file(relative: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

#[cfg(unix)]
#[test]
fn bash_completes_references_and_paths_through_the_committed_script() {
    let demo = Demo::start();
    let Some(mut bash) = shell("bash", &demo) else {
        return;
    };
    // What bash does on TAB: set COMP_* and call the function `complete -F` registered, for
    // each line given as an argument; the replies of each line end with a `--` line.
    let script = r#"
        source "$1"; shift
        fn=$(complete -p kcurl | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
        for line in "$@"; do
            read -r -a COMP_WORDS <<< "$line"
            case "$line" in *' ') COMP_WORDS+=(''); esac
            COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            COMP_LINE=$line; COMP_POINT=${#COMP_LINE}; COMP_TYPE=9
            COMPREPLY=()
            "$fn" kcurl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\n' "${COMPREPLY[@]}" --
        done
    "#;
    let lines = [
        "kcurl dep",
        "kcurl deploy/",
        "kcurl /ap",
        "kcurl /apis/",
        "kcurl /apis/apps/",
        "kcurl /apis/apps/v1/",
        "kcurl /api/v1/namespaces/",
        "kcurl /api/v1/namespaces/demo/pods/web-1",
        "kcurl /api/v1/namespaces/demo/pods/web-1/",
        "kcurl -n de",
    ];
    let out = bash
        .args(["--norc", "--noprofile", "-c", script, "bash"])
        .arg(repo_file("completions/kcurl.bash"))
        .args(lines)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "deployments\n--\n\
         deploy/web\n--\n\
         /api/\n/apis/\n--\n\
         /apis/apps/\n/apis/stable.example.com/\n--\n\
         /apis/apps/v1/\n--\n\
         /apis/apps/v1/namespaces/\n/apis/apps/v1/deployments\n--\n\
         /api/v1/namespaces/default/\n/api/v1/namespaces/demo/\n/api/v1/namespaces/kube-system/\n--\n\
         /api/v1/namespaces/demo/pods/web-1/\n--\n\
         /api/v1/namespaces/demo/pods/web-1/log\n--\n\
         default\ndemo\n--\n",
        "{out:?}"
    );
}

#[cfg(unix)]
#[test]
fn fish_completes_references_and_paths_through_the_committed_script() {
    let demo = Demo::start();
    let Some(mut fish) = shell("fish", &demo) else {
        return;
    };
    let script = "source $argv[1]
        for line in $argv[2..]
            complete -C $line
            echo ==
        end";
    let out = fish
        .args(["--no-config", "-c", script])
        .arg(repo_file("completions/kcurl.fish"))
        .args([
            "kcurl dep",
            "kcurl deploy/",
            "kcurl /apis/",
            "kcurl /api/v1/namespaces/demo/pods/web-0/",
            "kcurl -n kube",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "deployments\n==\ndeploy/web\n==\n/apis/apps/\n/apis/stable.example.com/\n==\n\
         /api/v1/namespaces/demo/pods/web-0/log\n==\nkube-system\n==\n",
        "{out:?}"
    );
}

/// zsh's completion system only runs in an interactive shell, so this one types into a real
/// zsh under tmux and reads the screen.
#[cfg(unix)]
#[test]
fn zsh_completes_references_and_paths_under_tmux() {
    let demo = Demo::start();
    let (Some(zsh), Some(_)) = (shell("zsh", &demo), shell("tmux", &demo)) else {
        return;
    };
    drop(zsh);
    let socket = demo.env.home().join("tmux.sock");
    let tmux = |args: &[&str]| {
        let mut cmd = shell("tmux", &demo).unwrap();
        let out = cmd.arg("-S").arg(&socket).args(args).output().unwrap();
        assert!(out.status.success(), "tmux {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let fpath = demo.env.home().join("zfunc");
    std::fs::create_dir_all(&fpath).unwrap();
    std::fs::copy(repo_file("completions/_kcurl"), fpath.join("_kcurl")).unwrap();
    let rc = demo.env.home().join(".zshrc");
    std::fs::write(
        &rc,
        format!(
            "fpath=({} $fpath)\nautoload -U compinit && compinit -u\nPROMPT='%% '\n",
            fpath.display()
        ),
    )
    .unwrap();
    tmux(&[
        "new-session",
        "-d",
        "-x",
        "200",
        "-y",
        "20",
        "env",
        &format!("ZDOTDIR={}", demo.env.home().display()),
        "zsh",
    ]);
    // Each line is typed, TAB pressed, and the screen read until the completed line shows.
    let screen_has = |want: &str| {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let screen = tmux(&["capture-pane", "-p"]);
            if screen.lines().any(|l| l.trim_end() == want) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "want {want:?}, screen:\n{screen}"
            );
            std::thread::yield_now();
        }
    };
    screen_has("%");
    for (typed, completed) in [
        ("kcurl dep", "% kcurl deployments"),
        ("kcurl deploy/", "% kcurl deploy/web"),
        ("kcurl /apis/ap", "% kcurl /apis/apps/"),
        (
            "kcurl /apis/apps/v1/namespaces/demo/dep",
            "% kcurl /apis/apps/v1/namespaces/demo/deployments/",
        ),
        (
            "kcurl /api/v1/namespaces/demo/pods/web-0/",
            "% kcurl /api/v1/namespaces/demo/pods/web-0/log",
        ),
        ("kcurl -n kube-", "% kcurl -n kube-system"),
    ] {
        tmux(&["send-keys", typed, "Tab"]);
        screen_has(completed);
        tmux(&["send-keys", "C-u"]);
        tmux(&["send-keys", "clear", "Enter"]);
        screen_has("%");
    }
    tmux(&["kill-server"]);
}

/// The paths of the requests `-v` traced before the reference's "resolved to" line: the
/// discovery requests, sent over the request's own connection.
fn discovery_gets(out: &Out) -> Vec<String> {
    out.stderr
        .lines()
        .take_while(|l| !(l.starts_with("* ") && l.contains(" → ")))
        .filter_map(|l| l.strip_prefix("> GET "))
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect()
}

#[test]
fn completion_never_offers_names_that_would_rewrite_the_shell_line() {
    let (pki, env) = (Pki::new(), Env::new());
    // A hostile server: object names with a newline, an escape sequence and a space.
    let _server = serve(&pki, &env, |req: &Request| match req.path() {
        "/api/v1/namespaces/default/pods" => Reply::json(
            200,
            r#"{"kind":"PodList","items":[{"metadata":{"name":"web-0"}},
                {"metadata":{"name":"web-1\nrm -rf ~"}},{"metadata":{"name":"web-2\u001b[2J"}},
                {"metadata":{"name":"web 3"}}]}"#,
        ),
        _ => widgets_server("v2")(req),
    });
    let out: Out = kcurl(&env)
        .env("KCURL_COMPLETE", "fish")
        .args(["--", "kcurl", "pod/web"])
        .output()
        .unwrap()
        .into();
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (Some(0), "pod/web-0\n", ""),
        "{out:?}"
    );
}
