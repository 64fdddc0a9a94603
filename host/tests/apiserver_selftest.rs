//! Self-test of the fake Kubernetes API server in `support/apiserver.rs`, spoken to over raw
//! HTTP/1.1 on a `TcpStream` so its behaviour is pinned down independently of kube-rs.
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

#[allow(dead_code)] // each test binary uses a different subset of the helpers
#[path = "support/apiserver.rs"]
mod apiserver;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use apiserver::{Answer, FakeApiServer, Fault};
use serde_json::{Value, json};

/// One client connection, kept open across requests to exercise keep-alive.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

/// A parsed response.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn names(&self) -> Vec<String> {
        self.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|item| {
                format!(
                    "{}/{}",
                    item["metadata"]["namespace"].as_str().expect("namespace"),
                    item["metadata"]["name"].as_str().expect("name")
                )
            })
            .collect()
    }
}

impl Conn {
    fn open(server: &FakeApiServer) -> Conn {
        let url = server.url();
        let addr = url.strip_prefix("http://").expect("http url");
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        Conn {
            reader: BufReader::new(stream.try_clone().expect("clone")),
            writer: stream,
        }
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write request");
    }

    fn send(&mut self, method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut request = format!(
            "{method} {target} HTTP/1.1\r\nHost: fake\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        self.raw(request.as_bytes());
        self.read_reply()
    }

    fn get(&mut self, target: &str) -> Reply {
        self.send("GET", target, &[("Accept", "application/json")], "")
    }

    fn merge_patch(&mut self, target: &str, patch: &Value) -> Reply {
        self.send(
            "PATCH",
            target,
            &[("Content-Type", "application/merge-patch+json")],
            &patch.to_string(),
        )
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("read line");
        line.trim_end_matches(['\r', '\n']).to_owned()
    }

    fn read_reply(&mut self) -> Reply {
        let status_line = self.line();
        let mut parts = status_line.splitn(3, ' ');
        assert_eq!(
            parts.next(),
            Some("HTTP/1.1"),
            "status line {status_line:?}"
        );
        let status = parts
            .next()
            .and_then(|s| s.parse().ok())
            .expect("status code");
        let mut headers = Vec::new();
        loop {
            let line = self.line();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').expect("header");
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().expect("content-length number"))
            .expect("content-length header");
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).expect("read body");
        Reply {
            status,
            headers,
            body: serde_json::from_slice(&body).expect("JSON body"),
        }
    }

    /// Reads until the server closes the connection; panics if it does not within the
    /// read timeout.
    fn expect_closed(&mut self) {
        let mut rest = Vec::new();
        self.reader
            .read_to_end(&mut rest)
            .expect("server closes the connection");
    }
}

const HR: &str = "/apis/helm.toolkit.fluxcd.io/v2/namespaces";

fn helmrelease(ns: &str, name: &str) -> Value {
    json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": { "name": name, "namespace": ns },
        "spec": { "chart": { "spec": { "chart": name, "version": "1.0.0" } } },
        "status": { "conditions": [{ "type": "Ready", "status": "False" }] },
    })
}

fn secret(ns: &str, name: &str, labels: Value) -> Value {
    json!({
        "metadata": { "name": name, "namespace": ns, "labels": labels },
        "type": "helm.sh/release.v1",
        "data": { "release": "c2VjcmV0" },
    })
}

fn sample() -> FakeApiServer {
    FakeApiServer::start(
        vec![
            helmrelease("zeta", "a"),
            helmrelease("alpha", "b"),
            helmrelease("alpha", "a"),
        ],
        vec![
            secret(
                "alpha",
                "sh.helm.release.v1.a.v1",
                json!({"owner": "helm", "name": "a"}),
            ),
            secret("alpha", "other", json!({"owner": "someone"})),
            secret(
                "zeta",
                "sh.helm.release.v1.a.v1",
                json!({"owner": "helm", "name": "a"}),
            ),
        ],
    )
}

fn assert_status(reply: &Reply, code: u16, reason: &str) {
    assert_eq!(reply.status, code, "{}", reply.body);
    assert_eq!(reply.body["kind"], "Status");
    assert_eq!(reply.body["apiVersion"], "v1");
    assert_eq!(reply.body["status"], "Failure");
    assert_eq!(reply.body["reason"], reason);
    assert_eq!(reply.body["code"], code);
    assert!(reply.body["message"].is_string());
    assert_eq!(reply.body["metadata"], json!({}));
}

fn rv(object: &Value) -> u64 {
    object["metadata"]["resourceVersion"]
        .as_str()
        .expect("resourceVersion is a string")
        .parse()
        .expect("numeric resourceVersion")
}

#[test]
fn start_fills_in_resource_version_generation_and_defaults() {
    let mut kept = helmrelease("ns", "kept");
    kept["metadata"]["resourceVersion"] = json!("41");
    kept["metadata"]["generation"] = json!(7);
    let server = FakeApiServer::start(
        vec![kept, helmrelease("ns", "fresh")],
        vec![json!({"metadata": {"name": "s"}, "data": {}})],
    );

    let kept = server.helmrelease("ns", "kept").expect("kept");
    assert_eq!(kept["metadata"]["resourceVersion"], "41");
    assert_eq!(kept["metadata"]["generation"], 7);

    let fresh = server.helmrelease("ns", "fresh").expect("fresh");
    assert_eq!(fresh["metadata"]["generation"], 1);
    assert!(rv(&fresh) > 41, "new versions are newer than fixture ones");

    let mut conn = Conn::open(&server);
    let secrets = conn.get("/api/v1/namespaces/default/secrets");
    assert_eq!(secrets.body["items"][0]["metadata"]["namespace"], "default");
    assert_eq!(secrets.body["items"][0]["apiVersion"], "v1");
    assert_eq!(secrets.body["items"][0]["kind"], "Secret");
    assert!(rv(&secrets.body["items"][0]) > 41);
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let server = sample();
    let mut conn = Conn::open(&server);
    let first = conn.get(&format!("{HR}/alpha/helmreleases/a"));
    assert_eq!(first.status, 200);
    assert_eq!(first.header("Content-Type"), Some("application/json"));
    assert_eq!(first.header("Connection"), None);
    let second = conn.get(&format!("{HR}/zeta/helmreleases/a"));
    assert_eq!(second.status, 200);
    assert_eq!(second.body["metadata"]["namespace"], "zeta");
    // An error answer does not end the connection either.
    let missing = conn.get("/nope");
    assert_status(&missing, 404, "NotFound");
    let third = conn.get(&format!("{HR}/alpha/helmreleases/b"));
    assert_eq!(third.body["metadata"]["name"], "b");
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn connection_close_is_honoured() {
    let server = sample();
    let mut conn = Conn::open(&server);
    let reply = conn.send(
        "GET",
        &format!("{HR}/alpha/helmreleases/a"),
        &[("Connection", "close")],
        "",
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("Connection"), Some("close"));
    conn.expect_closed();
}

#[test]
fn cluster_wide_list_is_sorted_and_paged_with_a_round_tripping_continue_token() {
    let server = sample();
    let mut conn = Conn::open(&server);

    let all = conn.get("/apis/helm.toolkit.fluxcd.io/v2beta2/helmreleases");
    assert_eq!(all.status, 200);
    assert_eq!(all.body["apiVersion"], "helm.toolkit.fluxcd.io/v2beta2");
    assert_eq!(all.body["kind"], "HelmReleaseList");
    assert_eq!(all.names(), ["alpha/a", "alpha/b", "zeta/a"]);
    assert!(all.body["metadata"].get("continue").is_none());
    assert!(all.body["metadata"]["resourceVersion"].is_string());
    assert_eq!(all.body["items"][0]["kind"], "HelmRelease");

    let first = conn.get(
        "/apis/helm.toolkit.fluxcd.io/v2/helmreleases?limit=2&resourceVersion=0&timeoutSeconds=5",
    );
    assert_eq!(first.names(), ["alpha/a", "alpha/b"]);
    let token = first.body["metadata"]["continue"]
        .as_str()
        .expect("continue token")
        .to_owned();

    // Encode the token the way a careful client does; the server must decode it back.
    let encoded: String = token
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let second = conn.get(&format!(
        "/apis/helm.toolkit.fluxcd.io/v2/helmreleases?limit=2&continue={encoded}"
    ));
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.names(), ["zeta/a"]);
    assert!(second.body["metadata"].get("continue").is_none());

    let bad = conn.get("/apis/helm.toolkit.fluxcd.io/v2/helmreleases?continue=garbage");
    assert_status(&bad, 400, "BadRequest");
}

#[test]
fn namespaced_list_get_and_label_selector() {
    let mut labelled = helmrelease("alpha", "c");
    labelled["metadata"]["labels"] = json!({"tier": "db"});
    let server = FakeApiServer::start(
        vec![
            helmrelease("alpha", "a"),
            labelled,
            helmrelease("beta", "a"),
        ],
        vec![],
    );
    let mut conn = Conn::open(&server);

    let alpha = conn.get(&format!("{HR}/alpha/helmreleases"));
    assert_eq!(alpha.names(), ["alpha/a", "alpha/c"]);

    let selected = conn.get("/apis/helm.toolkit.fluxcd.io/v2/helmreleases?labelSelector=tier%3Ddb");
    assert_eq!(selected.names(), ["alpha/c"]);

    let got = conn.get(&format!("{HR}/beta/helmreleases/a"));
    assert_eq!(got.status, 200);
    assert_eq!(got.body["metadata"]["namespace"], "beta");

    let missing = conn.get(&format!("{HR}/beta/helmreleases/nope"));
    assert_status(&missing, 404, "NotFound");
}

#[test]
fn merge_patch_applies_rfc7386_ignores_status_and_bumps_versions() {
    let server = sample();
    let mut conn = Conn::open(&server);
    let before = server.helmrelease("alpha", "a").expect("exists");
    let path = format!("{HR}/alpha/helmreleases/a");

    // Metadata-only change: new resourceVersion, same generation, status untouched.
    let reply = conn.merge_patch(
        &path,
        &json!({
            "metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": "now"}},
            "status": {"conditions": []},
        }),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let after = server.helmrelease("alpha", "a").expect("exists");
    assert_eq!(reply.body, after);
    assert_eq!(
        after["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"],
        "now"
    );
    assert_eq!(after["metadata"]["generation"], 1);
    assert!(rv(&after) > rv(&before));
    assert_eq!(after["status"], before["status"], "status is a subresource");

    // Spec change: generation goes up; null deletes a key.
    let reply = conn.merge_patch(
        &path,
        &json!({"spec": {"suspend": true, "chart": {"spec": {"version": null}}}}),
    );
    assert_eq!(reply.status, 200);
    let patched = server.helmrelease("alpha", "a").expect("exists");
    assert_eq!(patched["metadata"]["generation"], 2);
    assert_eq!(patched["spec"]["suspend"], true);
    assert_eq!(patched["spec"]["chart"]["spec"], json!({"chart": "a"}));
    assert!(rv(&patched) > rv(&after));

    // A charset parameter on the media type is fine.
    let reply = conn.send(
        "PATCH",
        &path,
        &[(
            "Content-Type",
            "application/merge-patch+json; charset=utf-8",
        )],
        r#"{"spec":{"suspend":false}}"#,
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["metadata"]["generation"], 3);
}

#[test]
fn merge_patch_honours_the_resource_version_precondition() {
    let server = sample();
    let mut conn = Conn::open(&server);
    let path = format!("{HR}/alpha/helmreleases/a");
    let before = server.helmrelease("alpha", "a").expect("exists");

    let stale = conn.merge_patch(
        &path,
        &json!({"metadata": {"resourceVersion": "999999"}, "spec": {"suspend": true}}),
    );
    assert_status(&stale, 409, "Conflict");
    assert!(
        stale.body["message"]
            .as_str()
            .expect("message")
            .contains("the object has been modified")
    );
    assert_eq!(server.helmrelease("alpha", "a").expect("exists"), before);

    let current = before["metadata"]["resourceVersion"].clone();
    let fresh = conn.merge_patch(
        &path,
        &json!({"metadata": {"resourceVersion": current}, "spec": {"suspend": true}}),
    );
    assert_eq!(fresh.status, 200);
    assert_ne!(fresh.body["metadata"]["resourceVersion"], current);
    assert_eq!(fresh.body["spec"]["suspend"], true);
}

#[test]
fn patch_rejects_other_content_types_and_missing_objects() {
    let server = sample();
    let mut conn = Conn::open(&server);
    let path = format!("{HR}/alpha/helmreleases/a");
    let before = server.helmrelease("alpha", "a").expect("exists");

    for content_type in [
        "application/json-patch+json",
        "application/apply-patch+yaml",
        "application/strategic-merge-patch+json",
    ] {
        let reply = conn.send(
            "PATCH",
            &path,
            &[("Content-Type", content_type)],
            r#"[{"op":"add","path":"/spec/suspend","value":true}]"#,
        );
        assert_status(&reply, 415, "UnsupportedMediaType");
    }
    assert_eq!(server.helmrelease("alpha", "a").expect("exists"), before);

    let missing = conn.merge_patch(&format!("{HR}/alpha/helmreleases/nope"), &json!({}));
    assert_status(&missing, 404, "NotFound");

    let not_json = conn.send(
        "PATCH",
        &path,
        &[("Content-Type", "application/merge-patch+json")],
        "{not json",
    );
    assert_status(&not_json, 400, "BadRequest");
}

#[test]
fn status_subresource_patch_changes_only_status() {
    let server = sample();
    let mut conn = Conn::open(&server);
    let before = server.helmrelease("alpha", "a").expect("exists");
    let path = format!("{HR}/alpha/helmreleases/a/status");

    let stale = conn.merge_patch(
        &path,
        &json!({"metadata": {"resourceVersion": "0"}, "status": {"failures": 3}}),
    );
    assert_status(&stale, 409, "Conflict");
    assert_eq!(server.helmrelease("alpha", "a").expect("exists"), before);

    let reply = conn.merge_patch(
        &path,
        &json!({
            "metadata": {
                "resourceVersion": before["metadata"]["resourceVersion"],
                "labels": {"ignored": "yes"},
            },
            "spec": {"suspend": true},
            "status": {"failures": 3, "conditions": null},
        }),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let after = server.helmrelease("alpha", "a").expect("exists");
    assert_eq!(reply.body, after);
    assert_eq!(after["status"], json!({"failures": 3}));
    assert_eq!(after["spec"], before["spec"]);
    assert!(after["metadata"].get("labels").is_none());
    assert_eq!(after["metadata"]["generation"], 1);
    assert!(rv(&after) > rv(&before));
}

#[test]
fn secret_lists_select_by_label_and_serve_metadata_or_payload() {
    let server = sample();
    let mut conn = Conn::open(&server);
    let metadata_accept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

    let partial = conn.send(
        "GET",
        "/api/v1/secrets?labelSelector=owner%3Dhelm%2Cname%3D%3Da",
        &[("Accept", metadata_accept)],
        "",
    );
    assert_eq!(partial.status, 200, "{}", partial.body);
    assert_eq!(partial.body["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(partial.body["kind"], "PartialObjectMetadataList");
    assert_eq!(
        partial.names(),
        [
            "alpha/sh.helm.release.v1.a.v1",
            "zeta/sh.helm.release.v1.a.v1"
        ]
    );
    for item in partial.body["items"].as_array().expect("items") {
        assert_eq!(item["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(item["kind"], "PartialObjectMetadata");
        assert!(item.get("data").is_none(), "no payload in {item}");
        assert_eq!(item["metadata"]["labels"]["owner"], "helm");
    }
    assert!(!server.secrets_listed_with_payload());

    let paged = conn.send(
        "GET",
        "/api/v1/namespaces/alpha/secrets?limit=1",
        &[("Accept", metadata_accept)],
        "",
    );
    assert_eq!(paged.names(), ["alpha/other"]);
    assert!(paged.body["metadata"]["continue"].is_string());
    assert!(!server.secrets_listed_with_payload());

    let full = conn.get("/api/v1/namespaces/alpha/secrets?labelSelector=owner%3Dhelm");
    assert_eq!(full.body["apiVersion"], "v1");
    assert_eq!(full.body["kind"], "SecretList");
    assert_eq!(full.names(), ["alpha/sh.helm.release.v1.a.v1"]);
    assert_eq!(full.body["items"][0]["data"]["release"], "c2VjcmV0");
    assert!(server.secrets_listed_with_payload());
}

#[test]
fn query_plus_is_not_a_space_and_bad_selectors_are_rejected() {
    let server = sample();
    let mut conn = Conn::open(&server);
    let reply = conn.get("/api/v1/secrets?labelSelector=owner%3Dhel+m");
    assert_status(&reply, 400, "BadRequest");
    assert!(
        reply.body["message"]
            .as_str()
            .expect("message")
            .contains("owner=hel+m"),
        "{}",
        reply.body
    );
    assert!(!server.secrets_listed_with_payload());

    let raw = &server.requests()[0];
    assert_eq!(raw.query, "labelSelector=owner%3Dhel+m", "recorded raw");
}

#[test]
fn events_are_created_under_both_api_groups() {
    let server = sample();
    let mut conn = Conn::open(&server);
    let event = json!({
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "a.1", "namespace": "alpha"},
        "reason": "Recovered",
        "note": "rolled back",
    });
    let created = conn.send(
        "POST",
        "/apis/events.k8s.io/v1/namespaces/alpha/events",
        &[("Content-Type", "application/json")],
        &event.to_string(),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["reason"], "Recovered");
    assert!(created.body["metadata"]["resourceVersion"].is_string());

    let core = conn.send(
        "POST",
        "/api/v1/namespaces/zeta/events",
        &[("Content-Type", "application/json")],
        r#"{"metadata":{"generateName":"a."},"reason":"Skipped"}"#,
    );
    assert_eq!(core.status, 201);
    assert_eq!(core.body["metadata"]["namespace"], "zeta");
    assert!(
        core.body["metadata"]["name"]
            .as_str()
            .expect("generated name")
            .starts_with("a.")
    );

    let events = server.events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0], created.body);
    assert_eq!(events[1]["reason"], "Skipped");

    let series = conn.merge_patch(
        "/apis/events.k8s.io/v1/namespaces/alpha/events/a.1",
        &json!({"series": {"count": 2}}),
    );
    assert_eq!(series.status, 200);
    assert_eq!(server.events()[0]["series"]["count"], 2);
}

#[test]
fn injected_faults_answer_with_status_and_are_used_up() {
    let server = sample();
    server.inject(Fault {
        method: "PATCH",
        path_suffix: "/helmreleases/a".into(),
        status: 403,
        times: 1,
        ..Fault::default()
    });
    server.inject(Fault {
        method: "GET",
        path_suffix: "/secrets".into(),
        status: 500,
        times: 2,
        ..Fault::default()
    });
    server.inject(Fault {
        method: "PATCH",
        path_suffix: "/status".into(),
        status: 409,
        times: 1,
        ..Fault::default()
    });
    let mut conn = Conn::open(&server);
    let path = format!("{HR}/alpha/helmreleases/a");
    let before = server.helmrelease("alpha", "a").expect("exists");

    let forbidden = conn.merge_patch(&path, &json!({"spec": {"suspend": true}}));
    assert_status(&forbidden, 403, "Forbidden");
    assert_eq!(server.helmrelease("alpha", "a").expect("exists"), before);
    let allowed = conn.merge_patch(&path, &json!({"spec": {"suspend": true}}));
    assert_eq!(allowed.status, 200);

    // The fault matches the path without its query string.
    assert_status(
        &conn.get("/api/v1/secrets?labelSelector=owner%3Dhelm"),
        500,
        "InternalError",
    );
    assert_status(
        &conn.get("/api/v1/namespaces/a/secrets"),
        500,
        "InternalError",
    );
    assert_eq!(conn.get("/api/v1/secrets").status, 200);

    assert_status(
        &conn.merge_patch(&format!("{path}/status"), &json!({"status": {}})),
        409,
        "Conflict",
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 6, "faulted requests are recorded too");
    assert_eq!(requests[0].method, "PATCH");
    assert_eq!(requests[0].path, path);
    assert_eq!(requests[0].body, r#"{"spec":{"suspend":true}}"#);
}

#[test]
fn faults_can_throttle_hang_answer_late_drop_or_drop_after_applying_and_match_on_body_text() {
    let server = sample();
    let path = format!("{HR}/alpha/helmreleases/a");
    server.inject(Fault {
        method: "PATCH",
        path_suffix: "/helmreleases/a".into(),
        status: 429,
        times: 1,
        contains: "\"suspend\":false",
        answer: Answer::RetryAfter(7),
    });
    server.inject(Fault {
        method: "GET",
        path_suffix: "/secrets".into(),
        times: 1,
        answer: Answer::Hang(Duration::from_millis(300)),
        ..Fault::default()
    });
    server.inject(Fault {
        method: "GET",
        path_suffix: "/helmreleases/a".into(),
        times: 1,
        answer: Answer::Drop,
        ..Fault::default()
    });
    server.inject(Fault {
        method: "PATCH",
        path_suffix: "/helmreleases/b".into(),
        times: 1,
        answer: Answer::DropAfterApply,
        ..Fault::default()
    });
    server.inject(Fault {
        method: "PATCH",
        path_suffix: "/helmreleases/b".into(),
        times: 1,
        answer: Answer::Late(Duration::from_millis(300)),
        ..Fault::default()
    });

    let mut conn = Conn::open(&server);
    // Only the body that contains the text is throttled.
    assert_eq!(
        conn.merge_patch(&path, &json!({"spec": {"suspend": true}}))
            .status,
        200
    );
    let throttled = conn.merge_patch(&path, &json!({"spec": {"suspend": false}}));
    assert_status(&throttled, 429, "TooManyRequests");
    assert_eq!(throttled.header("Retry-After"), Some("7"));

    let mut hung = Conn::open(&server);
    let started = Instant::now();
    hung.raw(b"GET /api/v1/secrets HTTP/1.1\r\nHost: fake\r\n\r\n");
    hung.expect_closed();
    assert!(started.elapsed() >= Duration::from_millis(300));

    let mut dropped = Conn::open(&server);
    dropped.raw(format!("GET {path} HTTP/1.1\r\nHost: fake\r\n\r\n").as_bytes());
    dropped.expect_closed();

    let mut applied = Conn::open(&server);
    let body = json!({"metadata": {"labels": {"x": "y"}}}).to_string();
    applied.raw(
        format!(
            "PATCH {HR}/alpha/helmreleases/b HTTP/1.1\r\nHost: fake\r\nContent-Type: application/merge-patch+json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    applied.expect_closed();
    let b = server.helmrelease("alpha", "b").expect("b");
    assert_eq!(
        b["metadata"]["labels"]["x"], "y",
        "applied, though unanswered"
    );

    // A late answer is the usual answer, on a connection that stays open.
    let mut late = Conn::open(&server);
    let started = Instant::now();
    let answer = late.merge_patch(
        &format!("{HR}/alpha/helmreleases/b"),
        &json!({"metadata": {"labels": {"late": "yes"}}}),
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["metadata"]["labels"]["late"], "yes");
    assert_eq!(late.get("/api/v1/secrets").status, 200, "still open");
    assert_eq!(server.faults_fired(), vec![1, 1, 1, 1, 1]);

    // Cleared faults answer nothing any more.
    server.inject(Fault {
        method: "GET",
        path_suffix: "/secrets".into(),
        status: 500,
        times: 5,
        ..Fault::default()
    });
    server.clear_faults();
    assert_eq!(conn.get("/api/v1/secrets").status, 200);
}

#[test]
fn requests_are_recorded_in_order_with_headers_and_raw_query() {
    let server = sample();
    let mut conn = Conn::open(&server);
    conn.send(
        "GET",
        "/api/v1/secrets?labelSelector=owner%3Dhelm&limit=5",
        &[("Accept", "application/json;as=PartialObjectMetadataList")],
        "",
    );
    conn.merge_patch(&format!("{HR}/alpha/helmreleases/b"), &json!({"spec": {}}));
    let unknown = conn.send("DELETE", "/api/v1/namespaces/x/pods/y", &[], "");
    assert_status(&unknown, 404, "NotFound");

    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/api/v1/secrets");
    assert_eq!(requests[0].query, "labelSelector=owner%3Dhelm&limit=5");
    assert_eq!(
        requests[0].accept.as_deref(),
        Some("application/json;as=PartialObjectMetadataList")
    );
    assert_eq!(requests[0].content_type, None);
    assert_eq!(requests[0].body, "");
    assert_eq!(
        requests[1].content_type.as_deref(),
        Some("application/merge-patch+json")
    );
    assert_eq!(requests[1].query, "");
    assert_eq!(requests[1].body, r#"{"spec":{}}"#);
    assert_eq!(requests[2].method, "DELETE");
    assert_eq!(requests[2].path, "/api/v1/namespaces/x/pods/y");
}

#[test]
fn malformed_requests_get_400_and_the_connection_closes() {
    let server = sample();
    for garbage in [
        &b"this is not http\r\n\r\n"[..],
        b"GET /x HTTP/1.1\r\nContent-Length: lots\r\n\r\n",
        b"GET /x HTTP/1.1\r\nno colon here\r\n\r\n",
        b"GET /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"GET /x HTTP/1.1\r\n\xff\xfe: \xff\r\n\r\n",
    ] {
        let mut conn = Conn::open(&server);
        conn.raw(garbage);
        let reply = conn.read_reply();
        assert_status(&reply, 400, "BadRequest");
        assert_eq!(reply.header("Connection"), Some("close"));
        conn.expect_closed();
    }
    // A client that hangs up mid-request just ends its connection.
    let mut conn = Conn::open(&server);
    conn.raw(b"PATCH /x HTTP/1.1\r\nContent-Length: 100\r\n\r\n{");
    drop(conn);

    // The server is still healthy.
    let mut conn = Conn::open(&server);
    assert_eq!(conn.get(&format!("{HR}/alpha/helmreleases/a")).status, 200);
}

#[test]
fn chunked_request_bodies_are_accepted() {
    let server = sample();
    let mut conn = Conn::open(&server);
    conn.raw(
        format!(
            "PATCH {HR}/alpha/helmreleases/a HTTP/1.1\r\nContent-Type: application/merge-patch+json\r\n\
             Transfer-Encoding: chunked\r\n\r\n5\r\n{{\"spe\r\n14\r\nc\":{{\"suspend\":true}}}}\r\n0\r\n\r\n"
        )
        .as_bytes(),
    );
    let reply = conn.read_reply();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["spec"]["suspend"], true);
    // And the connection stays usable.
    assert_eq!(conn.get(&format!("{HR}/alpha/helmreleases/a")).status, 200);
}

#[test]
fn kubeconfig_points_at_the_server() {
    let server = sample();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = server.write_kubeconfig(dir.path());
    assert_eq!(path, dir.path().join("kubeconfig"));
    let text = std::fs::read_to_string(&path).expect("read kubeconfig");
    assert!(server.url().starts_with("http://127.0.0.1:"));
    for expected in [
        format!("server: {}", server.url()),
        "token: test-token".to_owned(),
        "current-context: fake".to_owned(),
        "namespace: default".to_owned(),
        "- name: fake".to_owned(),
    ] {
        assert!(
            text.contains(&expected),
            "{expected:?} missing from\n{text}"
        );
    }
    assert!(!text.contains("certificate"), "plain http, no TLS");
}

#[test]
fn dropping_the_server_closes_idle_connections_without_hanging() {
    let server = sample();
    let mut idle = Conn::open(&server);
    assert_eq!(idle.get("/api/v1/secrets").status, 200);

    let started = Instant::now();
    drop(server);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "drop must not hang"
    );
    idle.expect_closed();
}

#[test]
fn status_patches_with_invalid_conditions_are_rejected_with_422() {
    let server = sample();
    let mut conn = Conn::open(&server);
    let path = format!("{HR}/alpha/helmreleases/a/status");
    let condition = |reason: &str| {
        json!({"type": "Ready", "status": "True", "reason": reason, "message": "",
            "lastTransitionTime": "2026-11-22T12:00:00Z", "observedGeneration": 1})
    };
    let reply = conn.merge_patch(
        &path,
        &json!({"status": {"conditions": [condition("Not valid")]}}),
    );
    assert_status(&reply, 422, "Invalid");
    assert!(
        reply.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("status.conditions[0].reason")),
        "{}",
        reply.body
    );
    let reply = conn.merge_patch(
        &path,
        &json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
    );
    assert_status(&reply, 422, "Invalid");
    let reply = conn.merge_patch(
        &path,
        &json!({"status": {"conditions": [condition("ReconciliationSucceeded")]}}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[test]
fn event_notes_over_1_kib_are_rejected_with_422() {
    let server = sample();
    let mut conn = Conn::open(&server);
    let event = |note: String| {
        json!({"apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": {"generateName": "a."}, "note": note})
    };
    let post = |conn: &mut Conn, body: &Value| {
        conn.send(
            "POST",
            "/apis/events.k8s.io/v1/namespaces/alpha/events",
            &[("Content-Type", "application/json")],
            &body.to_string(),
        )
    };
    let reply = post(&mut conn, &event("x".repeat(1025)));
    assert_status(&reply, 422, "Invalid");
    let reply = post(&mut conn, &event("x".repeat(1024)));
    assert_eq!(reply.status, 201, "{}", reply.body);
}

#[test]
fn expired_continue_tokens_answer_410_then_lists_work_again() {
    let server = sample();
    server.expire_continue_tokens(1);
    let mut conn = Conn::open(&server);
    let first = conn.get("/apis/helm.toolkit.fluxcd.io/v2/helmreleases?limit=1");
    assert_eq!(first.status, 200);
    let token = first.body["metadata"]["continue"]
        .as_str()
        .expect("continue token")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let path = format!("/apis/helm.toolkit.fluxcd.io/v2/helmreleases?limit=1&continue={token}");
    assert_status(&conn.get(&path), 410, "Expired");
    assert_eq!(
        conn.get(&path).status,
        200,
        "only the planned number expire"
    );
}

#[test]
fn with_deploys_rbac_a_verb_it_does_not_grant_is_403() {
    let server = sample();
    server.enforce_rbac(apiserver::rbac_from_deploy());
    let mut conn = Conn::open(&server);
    // Granted: list HelmReleases, list secrets, get the helm-controller Deployment.
    assert_eq!(
        conn.get("/apis/helm.toolkit.fluxcd.io/v2/helmreleases")
            .status,
        200
    );
    assert_eq!(
        conn.get("/api/v1/secrets?labelSelector=owner%3Dhelm")
            .status,
        200
    );
    let dep = conn.get("/apis/apps/v1/namespaces/flux-system/deployments/helm-controller");
    assert_eq!(dep.status, 404, "granted, but not there: {}", dep.body);
    // Not granted: a single secret, another Deployment, another namespace's
    // helm-controller, deleting a HelmRelease.
    for (method, path) in [
        ("GET", "/api/v1/namespaces/alpha/secrets/other"),
        (
            "GET",
            "/apis/apps/v1/namespaces/flux-system/deployments/source-controller",
        ),
        (
            "GET",
            "/apis/apps/v1/namespaces/alpha/deployments/helm-controller",
        ),
        ("DELETE", &format!("{HR}/alpha/helmreleases/a")),
    ] {
        let reply = conn.send(method, path, &[], "");
        assert_status(&reply, 403, "Forbidden");
    }
}
