//! kcurl: curl for the Kubernetes API.
//!
//! The path of a request reads top to bottom: command line (`cli`) → kubeconfig and overrides
//! (`kubeconfig`, `config`) → credentials (`auth`) → TLS (`tls`) → request (`request`) → output
//! (`output`). [`run`] wires them together; `main` only maps its result to an exit code.

pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod incluster;
pub mod kubeconfig;
pub mod output;
pub mod proxy;
pub mod request;
pub mod tls;

use std::io::IsTerminal;

use crate::cli::Args;
use crate::error::{Error, Result};
use crate::output::warn;

/// Run one kcurl invocation; returns the exit code (0 for 2xx, 3/4/5 for other statuses).
pub fn run(args: &Args) -> Result<u8> {
    let target = config::resolve(args)?;
    let url = request::build_url(&target.server, &args.target)?;
    let user_headers = request::parse_headers(&args.headers)?;
    let mut body = request::read_body(args.data.as_deref())?;
    let method = request::method(args, body.is_some())?;

    let https = url
        .uri
        .scheme_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("https"));
    if https && let Some(reason) = &target.insecure_reason {
        warn(&format!(
            "TLS certificate verification is disabled ({reason}): the server's identity is not \
             verified and credentials may be exposed to an impostor"
        ));
    }
    let send_credentials = url.same_origin && https;
    if target.credentials.is_some() && !send_credentials {
        if !url.same_origin {
            warn(&format!(
                "{} is not the cluster's server ({}): sending the request without credentials",
                url.display(),
                target.server
            ));
        } else {
            warn(&format!(
                "not sending credentials over plain http to {} (they would travel unencrypted; \
                 kubectl withholds them too)",
                target.server
            ));
        }
    }

    let server_uri: ureq::http::Uri = target
        .server
        .parse()
        .map_err(|_| Error::Config(format!("server \"{}\" is not a valid URL", target.server)))?;
    let proxy = proxy::choose(
        url.uri.scheme_str().unwrap_or("https"),
        url.uri.host().unwrap_or(""),
        url.uri.port_u16().unwrap_or(if https { 443 } else { 80 }),
        target
            .proxy_url
            .as_ref()
            .filter(|_| url.same_origin)
            .map(|(u, f)| (u.as_str(), f.as_str())),
        &|k| std::env::var(k).ok(),
    )?;
    let cluster_authority = tls::authority_of(&server_uri);
    let attempt = |creds: &auth::Credentials, body: Option<Vec<u8>>| {
        let settings = tls::Settings {
            identity: creds.identity.clone(),
            ..target.tls.clone()
        };
        let (agent, connector) = request::agent(
            &settings,
            target.disable_compression,
            args,
            cluster_authority.clone(),
            proxy.as_ref(),
        )?;
        let headers = request::headers(&user_headers, creds, send_credentials, body.is_some())?;
        request::send(&agent, &method, &url, headers, body)
            .map_err(|e| request::classify(e, &url, &connector, args))
    };
    // Exec credentials may be stale (revoked, clock skew): on a 401, run the plugin once more
    // and retry once, with the same body.
    let can_refresh = send_credentials && target.credentials.exec.is_some();
    let first_body = if can_refresh {
        body.clone()
    } else {
        body.take()
    };
    let mut response = attempt(&target.credentials, first_body)?;
    if can_refresh && response.status() == 401 {
        if let Some(fresh) = auth::refresh_exec(&target.credentials, &target.exec_ctx)? {
            drop(response);
            response = attempt(&fresh, body.take())?;
        }
    }

    let no_color = std::env::var("NO_COLOR").ok();
    let term = std::env::var("TERM").ok();
    let color = output::use_color(
        args.color,
        std::io::stdout().is_terminal(),
        no_color.as_deref(),
        term.as_deref(),
    );
    output::print(
        &mut response,
        output::Options {
            raw: args.raw,
            color,
        },
        &url.display(),
    )
}
