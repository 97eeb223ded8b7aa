//! The REST endpoints over real sockets with a raw HTTP/1.1 client:
//! Kraken's signature (§8) on the token endpoint, its errors, nonces,
//! keep-alive, and the public AssetPairs, Time and SystemStatus.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{connect, next_response, send};
use kraki_sim::{Credentials, DEMO_API_KEY, DEMO_API_SECRET, SimHandle, Simulator};
use ring::{digest, hmac};
use serde_json::Value;
use std::net::SocketAddr;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const TOKEN_PATH: &str = "/0/private/GetWebSocketsToken";
const DOCS_SECRET: &str =
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";

/// §8.3: base64(HMAC-SHA512(secret, path || SHA256(nonce || body))).
fn sign(secret: &str, path: &str, nonce: &str, body: &str) -> String {
    let hash = digest::digest(&digest::SHA256, format!("{nonce}{body}").as_bytes());
    let mut message = path.as_bytes().to_vec();
    message.extend_from_slice(hash.as_ref());
    let key = hmac::Key::new(hmac::HMAC_SHA512, &BASE64.decode(secret).unwrap());
    BASE64.encode(hmac::sign(&key, &message).as_ref())
}

/// Reads one response (status and JSON body) off a keep-alive connection.
async fn read_response(reader: &mut BufReader<TcpStream>) -> (u16, Value) {
    let mut status_line = String::new();
    reader.read_line(&mut status_line).await.unwrap();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        if line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

async fn request(addr: SocketAddr, raw: &str) -> (u16, Value) {
    let mut reader = BufReader::new(TcpStream::connect(addr).await.unwrap());
    reader.get_mut().write_all(raw.as_bytes()).await.unwrap();
    read_response(&mut reader).await
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: sim\r\nConnection: close\r\n\r\n")
}

fn post(key: &str, sign: &str, content_type: &str, body: &str) -> String {
    format!(
        "POST {TOKEN_PATH} HTTP/1.1\r\nHost: sim\r\nUser-Agent: kraki-test\r\nAPI-Key: {key}\r\n\
         API-Sign: {sign}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// A form-encoded token request signed with the demo secret.
fn demo_token_request(nonce: u64) -> String {
    let body = format!("nonce={nonce}");
    let sign = sign(DEMO_API_SECRET, TOKEN_PATH, &nonce.to_string(), &body);
    post(
        DEMO_API_KEY,
        &sign,
        "application/x-www-form-urlencoded",
        &body,
    )
}

async fn sim() -> SimHandle {
    Simulator::builder().rate(5.0).spawn().await.unwrap()
}

fn assert_token(answer: &Value) -> String {
    assert_eq!(answer["error"], serde_json::json!([]), "{answer}");
    let result = answer["result"].as_object().unwrap();
    let mut keys: Vec<&String> = result.keys().collect();
    keys.sort();
    assert_eq!(keys, ["expires", "token"]);
    assert_eq!(answer["result"]["expires"], 900);
    let token = answer["result"]["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 43, "{token}");
    token
}

#[tokio::test]
async fn token_with_form_and_json_bodies_and_increasing_nonces() {
    let sim = sim().await;
    let (status, answer) = request(sim.addr(), &demo_token_request(1_000)).await;
    assert_eq!(status, 200);
    let first = assert_token(&answer);

    // JSON body, a nonce at another scale (nanoseconds): it only has to grow.
    let body = r#"{"nonce": 1700000000000000000}"#;
    let sign = sign(DEMO_API_SECRET, TOKEN_PATH, "1700000000000000000", body);
    let raw = post(DEMO_API_KEY, &sign, "application/json", body);
    let second = assert_token(&request(sim.addr(), &raw).await.1);
    assert_ne!(first, second);

    // A replayed or smaller nonce is refused.
    for nonce in [1_000, 2_000] {
        let (status, answer) = request(sim.addr(), &demo_token_request(nonce)).await;
        assert_eq!(status, 200);
        assert_eq!(answer, serde_json::json!({"error": ["EAPI:Invalid nonce"]}));
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn the_published_vector_is_accepted_over_the_socket() {
    let sim = Simulator::builder()
        .rate(5.0)
        .credentials(Credentials {
            api_key: "docs-key".into(),
            api_secret: DOCS_SECRET.into(),
        })
        .spawn()
        .await
        .unwrap();
    // §8.3, second table: the token request of the docs' secret and nonce.
    let raw = post(
        "docs-key",
        "+mRDmY9Ks0Moc1zjv/BjfvYa98buO0x1yHChZR5onlfAzAUbfIYlLggUZzdQ0RsmXm4Sh+Q8iAIZdo2wSeHeiA==",
        "application/x-www-form-urlencoded",
        "nonce=1616492376594",
    );
    assert_token(&request(sim.addr(), &raw).await.1);
    // The demo credentials are not accepted when others are configured.
    let (_, answer) = request(sim.addr(), &demo_token_request(1_616_492_376_595)).await;
    assert_eq!(answer["error"][0], "EAPI:Invalid key");
    sim.shutdown().await;
}

#[tokio::test]
async fn krakens_errors_for_bad_keys_and_signatures() {
    let sim = sim().await;
    let body = "nonce=5";
    let good = sign(DEMO_API_SECRET, TOKEN_PATH, "5", body);
    let form = "application/x-www-form-urlencoded";
    let cases = [
        (post("someone-else", &good, form, body), "EAPI:Invalid key"),
        (
            format!(
                "POST {TOKEN_PATH} HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
            "EAPI:Invalid key",
        ),
        (
            post(
                DEMO_API_KEY,
                &sign(DOCS_SECRET, TOKEN_PATH, "5", body),
                form,
                body,
            ),
            "EAPI:Invalid signature",
        ),
        (
            post(DEMO_API_KEY, "%%%", form, body),
            "EAPI:Invalid signature",
        ),
        // Signed for another path.
        (
            post(
                DEMO_API_KEY,
                &sign(DEMO_API_SECRET, "/0/private/Balance", "5", body),
                form,
                body,
            ),
            "EAPI:Invalid signature",
        ),
        (
            post(DEMO_API_KEY, &good, form, "otp=123"),
            "EAPI:Invalid nonce",
        ),
    ];
    for (raw, error) in cases {
        let (status, answer) = request(sim.addr(), &raw).await;
        assert_eq!(status, 200, "{raw}");
        assert_eq!(answer, serde_json::json!({ "error": [error] }), "{raw}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn keep_alive_and_chunked_bodies() {
    let sim = sim().await;
    let mut reader = BufReader::new(TcpStream::connect(sim.addr()).await.unwrap());
    let chunked = {
        let body = "nonce=77";
        let sign = sign(DEMO_API_SECRET, TOKEN_PATH, "77", body);
        format!(
            "POST {TOKEN_PATH} HTTP/1.1\r\nAPI-Key: {DEMO_API_KEY}\r\nAPI-Sign: {sign}\r\n\
             Transfer-Encoding: chunked\r\n\r\n3\r\nnon\r\n5\r\nce=77\r\n0\r\n\r\n"
        )
    };
    let requests = [
        "GET /0/public/Time HTTP/1.1\r\nHost: sim\r\n\r\n".to_owned(),
        chunked,
        demo_token_request(78),
    ];
    // Pipelined: all three sent before any answer is read.
    for raw in &requests {
        reader.get_mut().write_all(raw.as_bytes()).await.unwrap();
    }
    let (_, time) = read_response(&mut reader).await;
    assert!(time["result"]["unixtime"].as_i64().unwrap() > 1_700_000_000);
    assert_token(&read_response(&mut reader).await.1);
    assert_token(&read_response(&mut reader).await.1);
    sim.shutdown().await;
}

/// Every spelling Kraken takes for a pair, answered with Kraken's names:
/// under Kraken's key, or under the name asked for when it has a slash
/// (as clients written for Kraken look it up).
#[tokio::test]
async fn asset_pairs_answer_every_spelling_with_krakens_names() {
    let sim = sim().await;
    for (query, key) in [
        ("?pair=BTC/USD", "BTC/USD"),
        ("?pair=BTC%2FUSD", "BTC/USD"),
        ("?pair=XBT/USD", "XBT/USD"),
        ("?pair=XBTUSD", "XXBTZUSD"),
        ("?pair=XXBTZUSD", "XXBTZUSD"),
    ] {
        let (status, answer) =
            request(sim.addr(), &get(&format!("/0/public/AssetPairs{query}"))).await;
        assert_eq!(status, 200);
        let result = answer["result"].as_object().unwrap();
        assert_eq!(result.keys().collect::<Vec<_>>(), [key], "{query}");
        let pair = &result[key];
        assert_eq!(pair["wsname"], "XBT/USD");
        assert_eq!(pair["altname"], "XBTUSD");
        assert_eq!(pair["base"], "XXBT");
        assert_eq!(pair["quote"], "ZUSD");
        assert_eq!(pair["pair_decimals"], 1);
        assert_eq!(pair["lot_decimals"], 8);
        assert_eq!(pair["tick_size"], "0.1");
        assert_eq!(pair["ordermin"], "0.00010000");
        assert_eq!(pair["status"], "online");
    }
    let (_, two) = request(sim.addr(), &get("/0/public/AssetPairs?pair=XDGUSD,ETH/BTC")).await;
    assert_eq!(two["result"]["XDGUSD"]["pair_decimals"], 7);
    assert_eq!(two["result"]["XDGUSD"]["base"], "XXDG");
    assert_eq!(two["result"]["ETH/BTC"]["pair_decimals"], 5);
    assert_eq!(two["result"]["ETH/BTC"]["wsname"], "ETH/XBT");

    let (_, all) = request(sim.addr(), &get("/0/public/AssetPairs")).await;
    let mut names: Vec<&String> = all["result"].as_object().unwrap().keys().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "SHIBUSD", "SOLUSD", "XDGUSD", "XETHXXBT", "XETHZUSD", "XXBTZUSD"
        ]
    );

    for unknown in ["NOPE/USD", "BTCUSD", "BTC/USD,NOPE/USD"] {
        let (_, answer) = request(
            sim.addr(),
            &get(&format!("/0/public/AssetPairs?pair={unknown}")),
        )
        .await;
        assert_eq!(
            answer,
            serde_json::json!({"error": ["EQuery:Unknown asset pair"]}),
            "{unknown}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn time_and_system_status() {
    let sim = sim().await;
    let (status, time) = request(sim.addr(), &get("/0/public/Time")).await;
    assert_eq!(status, 200);
    assert_eq!(time["error"], serde_json::json!([]));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((time["result"]["unixtime"].as_i64().unwrap() - now).abs() < 5);
    assert!(
        time["result"]["rfc1123"]
            .as_str()
            .unwrap()
            .ends_with(" +0000")
    );

    let (_, system) = request(sim.addr(), &get("/0/public/SystemStatus")).await;
    assert_eq!(system["result"]["status"], "online");
    sim.set_status(kraki_sim::SystemStatus::Maintenance);
    let (_, changed) = request(sim.addr(), &get("/0/public/SystemStatus")).await;
    assert_eq!(changed["result"]["status"], "maintenance");
    assert!(
        system["result"]["timestamp"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn websocket_tell_valid_tokens_from_unknown_ones() {
    let sim = sim().await;
    let token = assert_token(&request(sim.addr(), &demo_token_request(1)).await.1);
    let mut ws = connect(&sim.private_url()).await;
    for (token, error) in [
        (token.as_str(), None),
        ("forged-token", Some("ESession:Invalid session")),
    ] {
        send(
            &mut ws,
            &format!(r#"{{"method":"subscribe","params":{{"channel":"executions","token":"{token}"}},"req_id":3}}"#),
        )
        .await;
        let answer = next_response(&mut ws).await;
        match error {
            Some(error) => {
                assert_eq!(answer["error"], error);
                assert_eq!(answer["success"], false);
            }
            None => assert_eq!(answer["success"], true, "{answer}"),
        }
    }
    sim.shutdown().await;
}
