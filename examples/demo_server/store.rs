//! The demo's in-memory storage: every object of every resource in one ordered map (the order
//! of etcd keys, so lists and continue tokens are stable), one resourceVersion counter shared by
//! all writes, and a bounded log of change events that watches read. It knows nothing of HTTP.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};

use crate::time;

/// One resource the demo serves.
#[derive(Debug)]
pub struct Resource {
    /// Plural name, as in the URL: `pods`.
    pub plural: &'static str,
    /// `Pod`.
    pub kind: &'static str,
    /// `""` for the core group, `apps` for deployments.
    pub group: &'static str,
    /// `v1` or `apps/v1`.
    pub api_version: &'static str,
    /// Namespaced (else cluster-scoped).
    pub namespaced: bool,
}

/// Every resource the demo serves.
pub const RESOURCES: [Resource; 6] = [
    Resource {
        plural: "namespaces",
        kind: "Namespace",
        group: "",
        api_version: "v1",
        namespaced: false,
    },
    Resource {
        plural: "pods",
        kind: "Pod",
        group: "",
        api_version: "v1",
        namespaced: true,
    },
    Resource {
        plural: "configmaps",
        kind: "ConfigMap",
        group: "",
        api_version: "v1",
        namespaced: true,
    },
    Resource {
        plural: "services",
        kind: "Service",
        group: "",
        api_version: "v1",
        namespaced: true,
    },
    Resource {
        plural: "deployments",
        kind: "Deployment",
        group: "apps",
        api_version: "apps/v1",
        namespaced: true,
    },
    // A custom resource, served as if its CustomResourceDefinition were installed (the one of
    // the Kubernetes docs, with its printer columns).
    Resource {
        plural: "crontabs",
        kind: "CronTab",
        group: "stable.example.com",
        api_version: "stable.example.com/v1",
        namespaced: true,
    },
];

/// The resource `plural` in API group `group`.
pub fn resource(group: &str, plural: &str) -> Option<&'static Resource> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.plural == plural)
}

/// Where an object lives: resource plural, namespace (`""` when cluster-scoped), name.
pub type Key = (String, String, String);

/// A change, as a watch delivers it.
#[derive(Clone, Debug)]
pub struct Event {
    /// The resourceVersion the change produced.
    pub rv: u64,
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub kind: &'static str,
    /// Where the object lives.
    pub key: Key,
    /// The object after the change (before it, for `DELETED`).
    pub object: Value,
}

/// How many changes are kept by default (`--history`): a watch can resume from them, and a
/// continue token is good while the changes since it are kept; older ones get 410 Expired,
/// as after an etcd compaction.
pub const DEFAULT_HISTORY: usize = 10_000;

/// The objects and the change log.
#[derive(Default)]
pub struct Data {
    /// The last resourceVersion handed out.
    pub rv: u64,
    /// Every object, with `kind` and `apiVersion`.
    pub objects: BTreeMap<Key, Value>,
    /// The most recent changes, oldest first.
    pub events: VecDeque<Event>,
    /// The resourceVersion of the newest change no longer kept (0: none dropped yet).
    pub compacted: u64,
}

impl Data {
    /// Whether the changes since `rv` are no longer all kept.
    pub fn expired(&self, rv: u64) -> bool {
        rv < self.compacted
    }
}

/// What a write did wrong, for the API layer to turn into a Status.
#[derive(Debug)]
pub enum WriteError {
    /// The object does not exist.
    NotFound,
    /// The object already exists (create).
    AlreadyExists,
    /// The given resourceVersion is not the current one (replace).
    Conflict,
}

/// The storage, shared by the request threads and the controller.
pub struct Store {
    data: Mutex<Data>,
    changed: Condvar,
    history: usize,
}

impl Store {
    /// An empty store keeping the last `history` changes.
    pub fn new(history: usize) -> Store {
        Store {
            data: Mutex::default(),
            changed: Condvar::new(),
            history: history.max(1),
        }
    }

    /// Locks the data for reading.
    pub fn read(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits (at most `timeout`) until a change newer than `rv` is logged.
    pub fn wait_newer(&self, rv: u64, timeout: Duration) -> MutexGuard<'_, Data> {
        let data = self.read();
        if data.rv > rv {
            return data;
        }
        self.changed
            .wait_timeout(data, timeout)
            .unwrap_or_else(|e| e.into_inner())
            .0
    }

    /// Creates `object` at `key`: sets uid, creationTimestamp, resourceVersion and generation.
    /// With `dry_run` nothing is stored; the object is returned as it would have been.
    pub fn create(&self, key: Key, mut object: Value, dry_run: bool) -> Result<Value, WriteError> {
        let mut data = self.read();
        if data.objects.contains_key(&key) {
            return Err(WriteError::AlreadyExists);
        }
        let rv = data.rv + 1;
        let meta = &mut object["metadata"];
        meta["uid"] = json!(uid(rv));
        meta["creationTimestamp"] = json!(time::now_rfc3339());
        meta["resourceVersion"] = json!(rv.to_string());
        if matches!(key.0.as_str(), "deployments" | "crontabs") {
            object["metadata"]["generation"] = json!(1);
        }
        if !dry_run {
            data.rv = rv;
            data.objects.insert(key.clone(), object.clone());
            self.log(&mut data, "ADDED", key, object.clone());
        }
        Ok(object)
    }

    /// Replaces the object at `key` with `object`, keeping its identity (uid, creation time),
    /// bumping resourceVersion, and generation when the spec changed. A resourceVersion in
    /// `object` that is not the current one is a conflict.
    pub fn replace(&self, key: Key, object: Value, dry_run: bool) -> Result<Value, WriteError> {
        let mut data = self.read();
        let Some(old) = data.objects.get(&key) else {
            return Err(WriteError::NotFound);
        };
        let mut object = object;
        let given = object["metadata"]["resourceVersion"].as_str().unwrap_or("");
        if !given.is_empty() && given != old["metadata"]["resourceVersion"] {
            return Err(WriteError::Conflict);
        }
        let rv = data.rv + 1;
        let old_meta = old["metadata"].clone();
        let spec_changed = old.get("spec") != object.get("spec");
        let meta = &mut object["metadata"];
        for field in [
            "uid",
            "creationTimestamp",
            "namespace",
            "name",
            "generation",
        ] {
            match old_meta.get(field) {
                Some(v) => meta[field] = v.clone(),
                None => {
                    if let Some(m) = meta.as_object_mut() {
                        m.remove(field);
                    }
                }
            }
        }
        meta["resourceVersion"] = json!(rv.to_string());
        if spec_changed {
            if let Some(g) = old_meta.get("generation").and_then(Value::as_i64) {
                object["metadata"]["generation"] = json!(g + 1);
            }
        }
        if !dry_run {
            data.rv = rv;
            data.objects.insert(key.clone(), object.clone());
            self.log(&mut data, "MODIFIED", key, object.clone());
        }
        Ok(object)
    }

    /// Deletes the object at `key` (and, for a namespace, everything in it); returns it.
    pub fn delete(&self, key: Key, dry_run: bool) -> Result<Value, WriteError> {
        let mut data = self.read();
        let Some(object) = data.objects.get(&key).cloned() else {
            return Err(WriteError::NotFound);
        };
        if dry_run {
            return Ok(object);
        }
        let mut doomed = vec![key.clone()];
        if key.0 == "namespaces" {
            doomed.extend(
                data.objects
                    .keys()
                    .filter(|(_, ns, _)| *ns == key.2)
                    .cloned(),
            );
        }
        for k in doomed {
            if let Some(mut gone) = data.objects.remove(&k) {
                data.rv += 1;
                gone["metadata"]["resourceVersion"] = json!(data.rv.to_string());
                self.log(&mut data, "DELETED", k, gone);
            }
        }
        Ok(object)
    }

    fn log(&self, data: &mut Data, kind: &'static str, key: Key, object: Value) {
        data.events.push_back(Event {
            rv: data.rv,
            kind,
            key,
            object,
        });
        while data.events.len() > self.history {
            if let Some(gone) = data.events.pop_front() {
                data.compacted = gone.rv;
            }
        }
        self.changed.notify_all();
    }
}

/// A uid in the UUID layout, unique per resourceVersion.
fn uid(rv: u64) -> String {
    let n = time::now_nanos() as u64;
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (n >> 32) as u32,
        n as u16,
        (rv >> 12) & 0xfff,
        rv & 0xfff,
        n.wrapping_mul(0x9e37_79b9_7f4a_7c15) & 0xffff_ffff_ffff
    )
}
