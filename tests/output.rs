mod support;
use support::*;

#[test]
fn probe() {
    let (pki, env) = (Pki::new(), Env::new());
    let (tx, gz) = OnceStream::new();
    let s = ServerBuilder::new(&pki)
        .handler(move |r| match r.path() {
            "/c" => Reply::json(200, r#"{"a":[1,"s",true,null],"b":{}}"#),
            "/gzw" => gz.reply(200).gzip(),
            _ => kube_default(r),
        })
        .start();
    let u = s.url();
    let out = kcurl(&env)
        .args([
            "--server",
            &u,
            "--certificate-authority",
            pki.ca.cert.to_str().unwrap(),
            "--color",
            "always",
            "/c",
        ])
        .output()
        .unwrap();
    eprintln!("{:?}", String::from_utf8_lossy(&out.stdout));
    let mut r = spawn(kcurl_std(&env).args([
        "--server",
        &u,
        "--certificate-authority",
        pki.ca.cert.to_str().unwrap(),
        "/gzw",
    ]));
    tx.send(b"{\"type\":\"ADDED\"}\n".to_vec()).unwrap();
    eprintln!("{}", r.lines_until("}"));
    tx.send(b"{\"type\":\"MODIFIED\"}\n".to_vec()).unwrap();
    eprintln!("{}", r.lines_until("}"));
    drop(tx);
    eprintln!("{:?}", r.finish());
}
