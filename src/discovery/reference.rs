//! What the user typed when the target is not a path: `pods`, `deploy/web`, `pod/web-0/log`,
//! `deployments.v1.apps/web?pretty=1`. Pure parsing; nothing here knows the server.

/// The first segments that are paths without their leading slash (`kcurl api/v1/pods`), never
/// resource types: kube-apiserver's non-resource roots.
const PATH_ROOTS: &[&str] = &[
    "api",
    "apis",
    "version",
    "healthz",
    "livez",
    "readyz",
    "openapi",
    "metrics",
    "logs",
    "openid",
    "debug",
    "swagger.json",
    "swaggerapi",
];

/// A resource reference: `TYPE[/NAME[/SUBRESOURCE[/…]]][?QUERY]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference<'a> {
    /// `pods`, `deploy`, `deployments.apps`, `deploy.v1.apps`, `Deployment` (as typed).
    pub kind: &'a str,
    /// The object's name, when one is given.
    pub name: Option<&'a str>,
    /// Everything after the name (`log`, `scale`, `proxy/metrics`), when given.
    pub rest: Option<&'a str>,
    /// The query string without its `?`, when given.
    pub query: Option<&'a str>,
}

/// True when `target` is a resource reference: not a path (`/…`), not a URL, and its first
/// segment is not one of kube-apiserver's non-resource roots (`api/v1/pods` stays a path).
pub fn is_reference(target: &str) -> bool {
    parse(target).is_some()
}

/// The reference in `target`, or `None` when `target` is a path or a URL.
pub fn parse(target: &str) -> Option<Reference<'_>> {
    if target.is_empty() || target.starts_with('/') || target.contains("://") {
        return None;
    }
    let (head, query) = match target.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (target, None),
    };
    let mut parts = head.splitn(3, '/');
    let kind = parts.next()?;
    let type_char = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
    if kind.is_empty()
        || !kind.chars().all(type_char)
        || kind.starts_with('.')
        || PATH_ROOTS.iter().any(|r| r.eq_ignore_ascii_case(kind))
    {
        return None;
    }
    let name = parts.next().filter(|n| !n.is_empty());
    let rest = parts.next().filter(|r| !r.is_empty());
    Some(Reference {
        kind,
        name,
        rest,
        query,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_urls_are_not_references() {
        for t in [
            "",
            "/api/v1/pods",
            "api/v1/pods",
            "apis/apps/v1",
            "version",
            "healthz?verbose",
            "readyz",
            "openapi/v2",
            "openid/v1/jwks",
            "debug/pprof/",
            "https://h/api",
            "{ns}/x",
            ".hidden",
        ] {
            assert_eq!(parse(t), None, "{t}");
        }
    }

    #[test]
    fn reference_forms() {
        let r = |kind, name, rest, query| Reference {
            kind,
            name,
            rest,
            query,
        };
        assert_eq!(parse("pods"), Some(r("pods", None, None, None)));
        assert_eq!(parse("po/"), Some(r("po", None, None, None)));
        assert_eq!(
            parse("pod/web-0"),
            Some(r("pod", Some("web-0"), None, None))
        );
        assert_eq!(
            parse("pod/web-0/log?tailLines=5"),
            Some(r("pod", Some("web-0"), Some("log"), Some("tailLines=5")))
        );
        assert_eq!(
            parse("deploy.v1.apps/web/scale"),
            Some(r("deploy.v1.apps", Some("web"), Some("scale"), None))
        );
        assert_eq!(
            parse("svc/web/proxy/metrics"),
            Some(r("svc", Some("web"), Some("proxy/metrics"), None))
        );
        assert_eq!(
            parse("pods?limit=1"),
            Some(r("pods", None, None, Some("limit=1")))
        );
    }
}
