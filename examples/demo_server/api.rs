//! The HTTP face of the demo: authentication, routing, and each verb (get, list, watch, create,
//! replace, patch, delete, log) on top of [`crate::store`], answering as kube-apiserver does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::auth::{self, Attributes, User};
use crate::bench;
use crate::discovery;
use crate::fields;
use crate::patch;
use crate::select::Selector;
use crate::status::{self, failure, not_found, object_json};
use crate::store::{Key, Resource, Store, WriteError, resource};
use crate::support::server::{Reply, Request};
use crate::table;

/// Everything a request may need.
pub struct Api {
    /// The objects.
    pub store: Arc<Store>,
    /// The bearer tokens it accepts.
    pub tokens: auth::Tokens,
    /// The bench responses built so far.
    pub cache: bench::Cache,
    /// Log each request on stderr.
    pub verbose: bool,
    /// Serve only the legacy discovery documents, as a server without aggregated discovery.
    pub legacy_discovery: bool,
}

/// A request's query, percent-decoded.
struct Query(Vec<(String, String)>);

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Query {
    fn parse(req: &Request) -> Query {
        Query(
            req.query()
                .unwrap_or("")
                .split('&')
                .filter(|kv| !kv.is_empty())
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    (percent_decode(k), percent_decode(v))
                })
                .collect(),
        )
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("1" | "true"))
    }

    fn dry_run(&self) -> bool {
        self.get("dryRun") == Some("All")
    }
}

/// Answers one request.
pub fn handle(api: &Api, req: &Request) -> Reply {
    let started = Instant::now();
    let reply = gzip_large(req, route(api, req));
    if api.verbose {
        let code = match &reply {
            Reply::Full { status, .. } | Reply::Stream { status, .. } => *status,
            _ => 0,
        };
        eprintln!(
            "{} {} {code} {:.1}ms",
            req.method,
            req.target,
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    reply
}

/// kube-apiserver gzips a response body above 128 KiB for a client whose `Accept-Encoding`
/// mentions gzip; so does the demo (not `/bench/*`, whose replies choose for themselves).
fn gzip_large(req: &Request, reply: Reply) -> Reply {
    const GZIP_THRESHOLD: usize = 128 * 1024;
    let accepts = req
        .header("accept-encoding")
        .is_some_and(|v| v.contains("gzip"));
    match reply {
        Reply::Full {
            status,
            reason,
            headers,
            body,
            gzip: false,
            content_length,
        } if accepts && body.len() > GZIP_THRESHOLD && !req.path().starts_with("/bench/") => {
            Reply::Full {
                status,
                reason,
                headers,
                body,
                gzip: true,
                content_length,
            }
        }
        other => other,
    }
}

fn route(api: &Api, req: &Request) -> Reply {
    let user = match auth::authenticate(&api.tokens, req) {
        Ok(user) => user,
        Err(reply) => return reply,
    };
    let q = Query::parse(req);
    let path = req.path().trim_matches('/');
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        [check @ ("healthz" | "livez" | "readyz")] => discovery::health(check, q.has("verbose")),
        ["healthz" | "livez" | "readyz", _] => Reply::text(200, "ok"),
        ["bench", what] => bench::route(what, |k| q.get(k).map(str::to_string), &api.cache)
            .unwrap_or_else(unknown_path),
        ["api", "v1", rest @ ..] if !rest.is_empty() => {
            resource_request(api, req, &q, user, "", rest)
        }
        ["apis", "authentication.k8s.io", "v1", "selfsubjectreviews"] => {
            match req.method.as_str() {
                "POST" => auth::self_subject_review(user),
                _ => method_not_allowed(),
            }
        }
        ["apis", group, "v1", rest @ ..] if !rest.is_empty() => {
            resource_request(api, req, &q, user, group, rest)
        }
        [root @ ("api" | "apis")] if !api.legacy_discovery => {
            match discovery::aggregated_format(req.header("accept")) {
                Some(format) => discovery::aggregated(*root == "api", format),
                None => discovery::document(path).unwrap_or_else(unknown_path),
            }
        }
        _ => discovery::document(path).unwrap_or_else(unknown_path),
    }
}

fn unknown_path() -> Reply {
    failure(
        404,
        "NotFound",
        "the server could not find the requested resource",
        None,
    )
}

fn method_not_allowed() -> Reply {
    failure(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        None,
    )
}

/// `/api/v1/…` or `/apis/GROUP/v1/…`, from the segment after the version.
fn resource_request(
    api: &Api,
    req: &Request,
    q: &Query,
    user: User,
    group: &str,
    rest: &[&str],
) -> Reply {
    let (ns, plural, name, sub) = match rest {
        ["namespaces", ns, plural, tail @ ..] => (
            Some(*ns),
            *plural,
            tail.first().copied(),
            tail.get(1).copied(),
        ),
        [plural, tail @ ..] => (None, *plural, tail.first().copied(), tail.get(1).copied()),
        [] => return unknown_path(),
    };
    let Some(res) = resource(group, plural) else {
        return unknown_path();
    };
    if (ns.is_some() && !res.namespaced) || rest.len() > 5 {
        return unknown_path();
    }
    let ns = ns.unwrap_or("");
    let verb = match (req.method.as_str(), name) {
        ("GET", Some(_)) => "get",
        ("GET", None) if q.flag("watch") => "watch",
        ("GET", None) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", _) => "delete",
        _ => "unknown",
    };
    let attrs = Attributes {
        verb,
        resource: res,
        subresource: sub,
        namespace: ns,
        name,
    };
    if let Some(forbidden) = auth::authorize(user, &attrs) {
        return forbidden;
    }
    match (name, sub, req.method.as_str()) {
        (None, None, "GET") => list(api, req, q, res, ns),
        (None, None, "POST") if ns.is_empty() != res.namespaced => create(api, req, q, res, ns),
        (Some(name), None, method) if ns.is_empty() != res.namespaced => {
            let key: Key = (res.plural.into(), ns.into(), name.into());
            match method {
                "GET" => get(api, req, res, key),
                "PUT" => replace(api, req, q, res, key),
                "PATCH" => patch_object(api, req, q, res, key),
                "DELETE" => delete(api, q, res, key),
                _ => method_not_allowed(),
            }
        }
        (Some(name), Some("log"), "GET") if res.plural == "pods" && !ns.is_empty() => {
            log(api, q, ns, name)
        }
        (None, None, _) => method_not_allowed(),
        _ => unknown_path(),
    }
}

/// The list kind of `res` (`PodList`).
fn list_kind(res: &Resource) -> String {
    format!("{}List", res.kind)
}

/// An object's reply: the object, or its Table when the Accept header asks for one.
fn object_reply(req: &Request, res: &Resource, code: u16, object: &Value) -> Reply {
    if table::wanted(req.header("accept")) {
        let meta = json!({"resourceVersion": object["metadata"]["resourceVersion"]});
        return Reply::json(
            code,
            table::render(res.plural, std::slice::from_ref(object), meta).to_string(),
        );
    }
    Reply::json(code, object_json(object))
}

fn get(api: &Api, req: &Request, res: &Resource, key: Key) -> Reply {
    let data = api.store.read();
    match data.objects.get(&key) {
        Some(object) => object_reply(req, res, 200, object),
        None => not_found(res, &key.2),
    }
}

/// The parsed selectors of a list or watch, or the 400 to answer.
fn selectors(q: &Query, res: &Resource) -> Result<(Selector, Selector), Reply> {
    let labels = Selector::labels(q.get("labelSelector").unwrap_or(""))
        .map_err(|e| status::bad_request(&e))?;
    let fields = Selector::fields(q.get("fieldSelector").unwrap_or(""), res.plural)
        .map_err(|e| status::bad_request(&e))?;
    Ok((labels, fields))
}

fn selected(res: &Resource, ns: &str, sel: &(Selector, Selector), key: &Key, o: &Value) -> bool {
    key.0 == res.plural
        && (ns.is_empty() || key.1 == ns)
        && sel.0.matches_labels(o)
        && sel.1.matches_fields(res.plural, o)
}

/// `{"v":"meta.k8s.io/v1","rv":N,"start":"ns/name\u0000"}`, base64url: the shape of
/// kube-apiserver's continue tokens.
fn continue_token(rv: u64, key: &Key) -> String {
    let start = if key.1.is_empty() {
        format!("{}\u{0}", key.2)
    } else {
        format!("{}/{}\u{0}", key.1, key.2)
    };
    URL_SAFE_NO_PAD.encode(json!({"v": "meta.k8s.io/v1", "rv": rv, "start": start}).to_string())
}

/// The resourceVersion and (namespace, name) a continue token resumes after.
fn parse_continue(token: &str) -> Option<(u64, (String, String))> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim_end_matches('=')).ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    let rv = v["rv"].as_u64()?;
    let start = v["start"].as_str()?.trim_end_matches('\u{0}');
    Some((
        rv,
        match start.split_once('/') {
            Some((ns, name)) => (ns.to_string(), name.to_string()),
            None => (String::new(), start.to_string()),
        },
    ))
}

fn list(api: &Api, req: &Request, q: &Query, res: &'static Resource, ns: &str) -> Reply {
    let sel = match selectors(q, res) {
        Ok(sel) => sel,
        Err(reply) => return reply,
    };
    if q.flag("watch") {
        return watch(api, q, res, ns, sel);
    }
    let after = match q.get("continue").filter(|c| !c.is_empty()) {
        Some(token) => match parse_continue(token) {
            Some((rv, _)) if api.store.read().expired(rv) => {
                return failure(
                    410,
                    "Expired",
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                    None,
                );
            }
            Some((_, after)) => Some(after),
            None => {
                return status::bad_request(
                    "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
                );
            }
        },
        None => None,
    };
    let limit: usize = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let data = api.store.read();
    let mut matching = data.objects.iter().filter(|(key, o)| {
        after
            .as_ref()
            .is_none_or(|(ans, aname)| (&key.1, &key.2) > (ans, aname))
            && selected(res, ns, &sel, key, o)
    });
    let page: Vec<(&Key, &Value)> = matching.by_ref().take(limit).collect();
    let remaining = matching.count();
    let mut meta = json!({"resourceVersion": data.rv.to_string()});
    if remaining > 0 {
        if let Some((last, _)) = page.last() {
            meta["continue"] = json!(continue_token(data.rv, last));
            meta["remainingItemCount"] = json!(remaining);
        }
    }
    if table::wanted(req.header("accept")) {
        let objects: Vec<Value> = page.iter().map(|(_, o)| (*o).clone()).collect();
        return Reply::json(200, table::render(res.plural, &objects, meta).to_string());
    }
    let items: Vec<String> = page
        .iter()
        .map(|(_, o)| {
            let mut item = (*o).clone();
            if let Some(m) = item.as_object_mut() {
                m.remove("kind");
                m.remove("apiVersion");
            }
            object_json(&item)
        })
        .collect();
    Reply::json(
        200,
        format!(
            "{{\"kind\":\"{}\",\"apiVersion\":\"{}\",\"metadata\":{meta},\"items\":[{}]}}",
            list_kind(res),
            res.api_version,
            items.join(",")
        ),
    )
}

/// A watch: the current objects as ADDED (unless a resourceVersion says where to resume), then
/// every change as it is stored, until `timeoutSeconds` or the client goes away.
fn watch(
    api: &Api,
    q: &Query,
    res: &'static Resource,
    ns: &str,
    sel: (Selector, Selector),
) -> Reply {
    let store = Arc::clone(&api.store);
    let ns = ns.to_string();
    let deadline = q
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(|t| Instant::now() + Duration::from_secs(t));
    // sendInitialEvents=true lists first whatever the resourceVersion (NotOlderThan).
    let initial = q.flag("sendInitialEvents");
    let from: Option<u64> = q
        .get("resourceVersion")
        .and_then(|rv| rv.parse().ok())
        .filter(|rv| *rv > 0 && !initial);
    let bookmarks = q.flag("allowWatchBookmarks");
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let line = |kind: &str, object: &Value| {
            format!(
                "{{\"type\":\"{kind}\",\"object\":{}}}\n",
                object_json(object)
            )
            .into_bytes()
        };
        let mut seen = {
            let data = store.read();
            match from {
                Some(rv) => {
                    if data.expired(rv) {
                        let expired = format!(
                            "{{\"type\":\"ERROR\",\"object\":{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{{}},\"status\":\"Failure\",\"message\":\"too old resource version: {rv} ({})\",\"reason\":\"Expired\",\"code\":410}}}}\n",
                            data.compacted
                        );
                        let _ = tx.send(expired.into_bytes());
                        return;
                    }
                    rv
                }
                None => {
                    for (key, o) in &data.objects {
                        if selected(res, &ns, &sel, key, o) && tx.send(line("ADDED", o)).is_err() {
                            return;
                        }
                    }
                    if initial && bookmarks {
                        // The end of the initial events, as a watch-list client expects it.
                        let bookmark = json!({"kind": res.kind, "apiVersion": res.api_version,
                            "metadata": {"resourceVersion": data.rv.to_string(), "creationTimestamp": null,
                                "annotations": {"k8s.io/initial-events-end": "true"}}});
                        if tx.send(line("BOOKMARK", &bookmark)).is_err() {
                            return;
                        }
                    }
                    data.rv
                }
            }
        };
        loop {
            let wait = deadline.map_or(Duration::from_secs(1), |d| {
                d.saturating_duration_since(Instant::now())
                    .min(Duration::from_secs(1))
            });
            if deadline.is_some() && wait.is_zero() {
                return; // timeoutSeconds: the server ends the watch
            }
            let lines: Vec<Vec<u8>> = {
                let data = store.wait_newer(seen, wait);
                let new: Vec<Vec<u8>> = data
                    .events
                    .iter()
                    .filter(|e| e.rv > seen && selected(res, &ns, &sel, &e.key, &e.object))
                    .map(|e| line(e.kind, &e.object))
                    .collect();
                seen = data.rv;
                new
            };
            for l in lines {
                if tx.send(l).is_err() {
                    return; // the client went away
                }
            }
        }
    });
    stream_reply(rx, "application/json")
}

/// A chunked 200 fed by `rx`.
fn stream_reply(rx: std::sync::mpsc::Receiver<Vec<u8>>, content_type: &str) -> Reply {
    match Reply::stream(200, rx) {
        Reply::Stream {
            status,
            chunks,
            gzip,
            ..
        } => Reply::Stream {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            chunks,
            gzip,
        },
        other => other,
    }
}

/// The request body as a JSON object, or the 400 to answer.
fn body_object(req: &Request, res: &Resource) -> Result<Value, Reply> {
    let value: Value = serde_json::from_slice(&req.body).map_err(|e| {
        status::bad_request(&format!("couldn't get version/kind; json parse error: {e}"))
    })?;
    if !value.is_object() {
        return Err(status::bad_request(&format!(
            "{} in version \"v1\" cannot be handled as a {}: the body is not a JSON object",
            res.kind, res.kind
        )));
    }
    Ok(value)
}

/// Drops the top-level fields `res` does not have, as the API server's decoder does, and
/// says what it dropped: with `fieldValidation=Strict` a 400 to answer, else (`Warn`, the
/// default) the `Warning` header values to send (none with `Ignore`).
fn unknown_fields(res: &Resource, q: &Query, object: &mut Value) -> Result<Vec<String>, Reply> {
    let known: &[&str] = match res.plural {
        "configmaps" => &["data", "binaryData", "immutable"],
        "crontabs" => return Ok(Vec::new()),
        _ => &["spec", "status"],
    };
    let Some(map) = object.as_object_mut() else {
        return Ok(Vec::new());
    };
    let unknown: Vec<String> = map
        .keys()
        .filter(|k| {
            !["apiVersion", "kind", "metadata"].contains(&k.as_str())
                && !known.contains(&k.as_str())
        })
        .cloned()
        .collect();
    for k in &unknown {
        map.remove(k);
    }
    let problems: Vec<String> = unknown
        .iter()
        .map(|k| format!("unknown field \"{k}\""))
        .collect();
    match q.get("fieldValidation") {
        Some("Strict") if !problems.is_empty() => Err(status::bad_request(&format!(
            "{} in version \"{}\" cannot be handled as a {}: strict decoding error: {}",
            res.kind,
            res.api_version.rsplit('/').next().unwrap_or("v1"),
            res.kind,
            problems.join(", ")
        ))),
        Some("Ignore") => Ok(Vec::new()),
        _ => Ok(problems
            .iter()
            .map(|p| format!("299 - {}", Value::from(p.as_str())))
            .collect()),
    }
}

/// The field manager of a write: `fieldManager`, else the User-Agent's product (`kcurl`).
fn manager(req: &Request, q: &Query) -> String {
    q.get("fieldManager")
        .map(str::to_string)
        .or_else(|| {
            req.header("user-agent")
                .and_then(|ua| ua.split(['/', ' ']).next())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Server-side apply (PATCH `application/apply-patch+yaml`): creates the object if missing.
fn apply(
    api: &Api,
    req: &Request,
    q: &Query,
    res: &Resource,
    key: Key,
    current: Option<Value>,
) -> Reply {
    let Some(manager) = q.get("fieldManager").filter(|m| !m.is_empty()) else {
        return failure(
            422,
            "Invalid",
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
            Some(
                "{\"group\":\"meta.k8s.io\",\"kind\":\"PatchOptions\",\"causes\":[{\"reason\":\"FieldValueRequired\",\"message\":\"Required value: is required for apply patch\",\"field\":\"fieldManager\"}]}",
            ),
        );
    };
    let text = String::from_utf8_lossy(&req.body);
    let mut config: Value = match serde_saphyr::from_str(&text) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => return status::bad_request("error decoding YAML: not an object"),
        Err(e) => return status::bad_request(&format!("error decoding YAML: {e}")),
    };
    let body_name = config["metadata"]["name"].as_str().unwrap_or("");
    if body_name != key.2 {
        return status::bad_request(&format!(
            "the name of the object ({body_name}) does not match the name on the URL ({})",
            key.2
        ));
    }
    normalise(res, &mut config, &key.1);
    let mut object = match fields::apply(
        current.as_ref(),
        &config,
        manager,
        q.flag("force"),
        res.api_version,
    ) {
        Ok(o) => o,
        Err((message, conflicts)) => {
            let causes: Vec<String> = conflicts
                .iter()
                .map(|(m, field)| {
                    format!(
                        "{{\"reason\":\"FieldManagerConflict\",\"message\":{},\"field\":{}}}",
                        Value::from(format!("conflict with \"{m}\"")),
                        Value::from(field.as_str())
                    )
                })
                .collect();
            return failure(
                409,
                "Conflict",
                &message,
                Some(&format!("{{\"causes\":[{}]}}", causes.join(","))),
            );
        }
    };
    let name = key.2.clone();
    match current {
        None => {
            defaults(res, &mut object);
            match api.store.create(key, object, q.dry_run()) {
                Ok(created) => object_reply(req, res, 201, &created),
                Err(e) => write_error(res, &name, e),
            }
        }
        Some(_) => match api.store.replace(key, object, q.dry_run()) {
            Ok(o) => object_reply(req, res, 200, &o),
            Err(e) => write_error(res, &name, e),
        },
    }
}

/// `reply` with a `Warning` header per warning.
fn with_warnings(mut reply: Reply, warnings: &[String]) -> Reply {
    for w in warnings {
        reply = reply.header("Warning", w);
    }
    reply
}

/// Sets `kind` and `apiVersion`, and the defaults the API server's registry would.
fn normalise(res: &Resource, object: &mut Value, ns: &str) {
    object["kind"] = json!(res.kind);
    object["apiVersion"] = json!(res.api_version);
    if !object["metadata"].is_object() {
        object["metadata"] = json!({});
    }
    if res.namespaced {
        object["metadata"]["namespace"] = json!(ns);
    }
}

fn create(api: &Api, req: &Request, q: &Query, res: &'static Resource, ns: &str) -> Reply {
    let mut object = match body_object(req, res) {
        Ok(o) => o,
        Err(reply) => return reply,
    };
    if let Some(body_ns) = object["metadata"]["namespace"].as_str() {
        if res.namespaced && !body_ns.is_empty() && body_ns != ns {
            return status::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            );
        }
    }
    let warnings = match unknown_fields(res, q, &mut object) {
        Ok(w) => w,
        Err(reply) => return reply,
    };
    normalise(res, &mut object, ns);
    let name = match (
        object["metadata"]["name"].as_str(),
        object["metadata"]["generateName"].as_str(),
    ) {
        (Some(name), _) if !name.is_empty() => name.to_string(),
        (_, Some(prefix)) if !prefix.is_empty() => {
            let n = crate::time::now_nanos();
            let suffix: String = (0..5)
                .map(|i| b"bcdfghjklmnpqrstvwxz2456789"[((n >> (i * 5)) % 27) as usize] as char)
                .collect();
            let name = format!("{prefix}{suffix}");
            object["metadata"]["name"] = json!(name);
            name
        }
        _ => {
            return failure(
                422,
                "Invalid",
                &format!(
                    "{} \"\" is invalid: metadata.name: Required value: name or generateName is required",
                    res.kind
                ),
                Some(&format!(
                    "{{\"kind\":\"{}\",\"causes\":[{{\"reason\":\"FieldValueRequired\",\"message\":\"Required value: name or generateName is required\",\"field\":\"metadata.name\"}}]}}",
                    res.kind
                )),
            );
        }
    };
    let namespaces = resource("", "namespaces").expect("namespaces is served");
    if res.namespaced
        && !api
            .store
            .read()
            .objects
            .contains_key(&("namespaces".into(), String::new(), ns.into()))
    {
        return not_found(namespaces, ns);
    }
    defaults(res, &mut object);
    fields::record_update(None, &mut object, &manager(req, q), res.api_version);
    let key: Key = (res.plural.into(), ns.into(), name.clone());
    match api.store.create(key, object, q.dry_run()) {
        Ok(created) => with_warnings(object_reply(req, res, 201, &created), &warnings),
        Err(_) => status::already_exists(res, &name),
    }
}

/// What the registry fills in on create.
fn defaults(res: &Resource, object: &mut Value) {
    match res.plural {
        "namespaces" => {
            let name = object["metadata"]["name"].clone();
            object["metadata"]["labels"]["kubernetes.io/metadata.name"] = name;
            object["spec"] = json!({"finalizers": ["kubernetes"]});
            object["status"] = json!({"phase": "Active"});
        }
        "pods" => object["status"] = json!({"phase": "Pending", "qosClass": "BestEffort"}),
        "services" => {
            if object["spec"]["type"].is_null() {
                object["spec"]["type"] = json!("ClusterIP");
            }
            if object["spec"]["clusterIP"].is_null() {
                let n = crate::time::now_nanos();
                object["spec"]["clusterIP"] =
                    json!(format!("10.96.{}.{}", (n >> 8) % 250, n % 250 + 2));
            }
            object["status"] = json!({"loadBalancer": {}});
        }
        "deployments" => {
            if object["spec"]["replicas"].is_null() {
                object["spec"]["replicas"] = json!(1);
            }
            object["status"] = json!({});
        }
        _ => {}
    }
}

fn write_error(res: &Resource, name: &str, e: WriteError) -> Reply {
    match e {
        WriteError::NotFound => not_found(res, name),
        WriteError::AlreadyExists => status::already_exists(res, name),
        WriteError::Conflict => status::conflict(res, name),
    }
}

fn replace(api: &Api, req: &Request, q: &Query, res: &Resource, key: Key) -> Reply {
    let mut object = match body_object(req, res) {
        Ok(o) => o,
        Err(reply) => return reply,
    };
    let body_name = object["metadata"]["name"].as_str().unwrap_or("");
    if body_name != key.2 {
        return status::bad_request(&format!(
            "the name of the object ({body_name}) does not match the name on the URL ({})",
            key.2
        ));
    }
    let warnings = match unknown_fields(res, q, &mut object) {
        Ok(w) => w,
        Err(reply) => return reply,
    };
    normalise(res, &mut object, &key.1);
    let old = api.store.read().objects.get(&key).cloned();
    fields::record_update(old.as_ref(), &mut object, &manager(req, q), res.api_version);
    let name = key.2.clone();
    match api.store.replace(key, object, q.dry_run()) {
        Ok(o) => with_warnings(object_reply(req, res, 200, &o), &warnings),
        Err(e) => write_error(res, &name, e),
    }
}

fn patch_object(api: &Api, req: &Request, q: &Query, res: &Resource, key: Key) -> Reply {
    let content_type = req
        .header("content-type")
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let patch: Value = match serde_json::from_slice(&req.body) {
        Ok(p) => p,
        Err(e) if content_type != "application/apply-patch+yaml" => {
            return status::bad_request(&format!("error decoding patch: {e}"));
        }
        Err(_) => Value::Null,
    };
    let current = api.store.read().objects.get(&key).cloned();
    if content_type == "application/apply-patch+yaml" {
        return apply(api, req, q, res, key, current);
    }
    let Some(mut object) = current else {
        return not_found(res, &key.2);
    };
    let old = object.clone();
    match content_type.as_str() {
        "application/merge-patch+json" => patch::merge(&mut object, &patch),
        "application/strategic-merge-patch+json" => patch::strategic(&mut object, &patch),
        "application/json-patch+json" => {
            if let Err(e) = patch::json_patch(&mut object, &patch) {
                return failure(
                    422,
                    "Invalid",
                    &format!("the server rejected our request due to an error in our request: {e}"),
                    None,
                );
            }
        }
        other => {
            return failure(
                415,
                "UnsupportedMediaType",
                &format!(
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml (got {other})"
                ),
                None,
            );
        }
    }
    normalise(res, &mut object, &key.1);
    fields::record_update(Some(&old), &mut object, &manager(req, q), res.api_version);
    let name = key.2.clone();
    match api.store.replace(key, object, q.dry_run()) {
        Ok(o) => object_reply(req, res, 200, &o),
        Err(e) => write_error(res, &name, e),
    }
}

fn delete(api: &Api, q: &Query, res: &Resource, key: Key) -> Reply {
    let name = key.2.clone();
    match api.store.delete(key, q.dry_run()) {
        Ok(mut gone) => match res.plural {
            // Pods and namespaces answer with the object being deleted, as graceful deletion
            // and finalizers make kube-apiserver do; the demo removes them at once.
            "pods" => {
                gone["metadata"]["deletionTimestamp"] = json!(crate::time::now_rfc3339());
                gone["metadata"]["deletionGracePeriodSeconds"] = json!(30);
                Reply::json(200, object_json(&gone))
            }
            "namespaces" => {
                gone["metadata"]["deletionTimestamp"] = json!(crate::time::now_rfc3339());
                gone["status"]["phase"] = json!("Terminating");
                Reply::json(200, object_json(&gone))
            }
            _ => status::deleted(res, &name, gone["metadata"]["uid"].as_str().unwrap_or("")),
        },
        Err(e) => write_error(res, &name, e),
    }
}

/// `pods/NAME/log`: two lines, or with `follow=true` a line a second while the pod exists.
fn log(api: &Api, q: &Query, ns: &str, name: &str) -> Reply {
    let pods = resource("", "pods").expect("pods is served");
    let key: Key = ("pods".into(), ns.into(), name.into());
    if !api.store.read().objects.contains_key(&key) {
        return not_found(pods, name);
    }
    let name = name.to_string();
    if !q.flag("follow") {
        return Reply::text(200, format!("{name}: started\n{name}: ready\n"));
    }
    let store = Arc::clone(&api.store);
    bench::stream("text/plain", Duration::from_secs(1), move |i| {
        store
            .read()
            .objects
            .contains_key(&key)
            .then(|| format!("{name}: request {i} served in {}ms\n", 3 + i % 7).into_bytes())
    })
}
