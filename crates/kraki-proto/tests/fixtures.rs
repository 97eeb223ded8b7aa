//! Every JSON example of the protocol reference decodes to the expected
//! kind, and every request example round-trips through encode and decode.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kraki_proto::{Inbound, Request, decode, decode_request};

const INBOUND: &str = include_str!("fixtures/inbound.jsonl");
const INBOUND_KINDS: &str = include_str!("fixtures/inbound-kinds.txt");
const OUTBOUND: &str = include_str!("fixtures/outbound.jsonl");
const OUTBOUND_METHODS: &str = include_str!("fixtures/outbound-methods.txt");

fn lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.trim().is_empty()).collect()
}

#[test]
fn every_inbound_example_decodes_to_its_kind() {
    let frames = lines(INBOUND);
    let kinds = lines(INBOUND_KINDS);
    assert_eq!(frames.len(), kinds.len(), "fixture and kinds files differ");
    assert!(frames.len() >= 60, "only {} fixtures", frames.len());
    for (n, (frame, kind)) in frames.iter().zip(&kinds).enumerate() {
        let msg = decode(frame).unwrap_or_else(|e| panic!("line {}: {e}\n{frame}", n + 1));
        assert_eq!(msg.kind().to_string(), *kind, "line {}: {frame}", n + 1);
    }
}

#[test]
fn normalized_json_decodes_to_the_same_value() {
    for frame in lines(INBOUND) {
        let msg = decode(frame).unwrap();
        let json = msg.to_json().unwrap();
        let again = decode(&json).unwrap_or_else(|e| panic!("{e}\n{json}"));
        assert_eq!(again, msg, "{json}");
    }
}

#[test]
fn every_request_example_round_trips() {
    let frames = lines(OUTBOUND);
    let methods = lines(OUTBOUND_METHODS);
    assert_eq!(frames.len(), methods.len());
    for (frame, method) in frames.iter().zip(&methods) {
        let req: Request = decode_request(frame).unwrap_or_else(|e| panic!("{e}\n{frame}"));
        assert_eq!(req.method.name(), *method);
        let encoded = req.encode().unwrap();
        let back = decode_request(&encoded).unwrap();
        assert_eq!(back, req, "{encoded}");
        // The encoding is the same JSON value as the example, key order and
        // number spelling aside.
        let a: serde_json::Value = serde_json::from_str(frame).unwrap();
        let b: serde_json::Value = serde_json::from_str(&encoded).unwrap();
        assert_eq!(a, b, "\n{frame}\n{encoded}");
    }
}

#[test]
fn exact_numbers_survive() {
    let frame = r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":66786.5,"qty":0.00000000}],"asks":[{"price":"1E+3","qty":1.2345e-05}],"checksum":902440905}]}"#;
    let Inbound::Book(msg) = decode(frame).unwrap() else {
        panic!("not a book message")
    };
    let book = &msg.data[0];
    assert_eq!(book.bids[0].qty.to_string(), "0.00000000");
    assert_eq!(book.asks[0].price.to_string(), "1000");
    assert_eq!(book.asks[0].qty.to_string(), "0.000012345");
    let json = decode(frame).unwrap().to_json().unwrap();
    assert!(json.contains(r#""qty":0.000012345"#), "{json}");
    assert!(json.contains(r#""qty":0.00000000"#), "{json}");
}

#[test]
fn connection_id_above_i64_is_kept() {
    let frame = r#"{"channel":"status","data":[{"api_version":"v2","connection_id":18266300427528990701,"system":"online","version":"2.0.4"}],"type":"update"}"#;
    let Inbound::Status(msg) = decode(frame).unwrap() else {
        panic!("not status")
    };
    assert_eq!(msg.data[0].connection_id, Some(18_266_300_427_528_990_701));
}
