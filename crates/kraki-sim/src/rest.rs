//! The REST part: `GetWebSocketsToken` with Kraken's request signing, and
//! the public `AssetPairs`, `Time` and `SystemStatus`.
//!
//! A small HTTP/1.1 reader is enough for these few endpoints (one request
//! per connection, `Content-Length` bodies) and keeps the simulator free of
//! an HTTP framework.

use crate::feeds;
use crate::markets::PairSpec;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::{digest, hmac};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The public key of the simulator's demo account.
pub const DEMO_API_KEY: &str = "kraki-demo-key";
/// The (base64) secret of the simulator's demo account. Not a real key.
pub const DEMO_API_SECRET: &str =
    "a3Jha2ktc2ltIGRlbW8gc2VjcmV0OiBmb3Igb2ZmbGluZSB0ZXN0aW5nIG9ubHksIG5ldmVyIGEgcmVhbCBrZXku";

/// How long an unused token stays valid (Kraken: `expires: 900`).
const TOKEN_LIFETIME: Duration = Duration::from_secs(900);
const MAX_HEAD: usize = 16 * 1024;
const MAX_BODY: usize = 64 * 1024;

/// API credentials the REST endpoint accepts.
#[derive(Clone)]
pub struct Credentials {
    /// The public key (`API-Key` header).
    pub api_key: String,
    /// The base64 secret the signatures are made with.
    pub api_secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .finish()
    }
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            api_key: DEMO_API_KEY.to_owned(),
            api_secret: DEMO_API_SECRET.to_owned(),
        }
    }
}

/// Tokens issued and nonces seen.
pub(crate) struct Auth {
    credentials: Credentials,
    secret: Vec<u8>,
    last_nonce: Mutex<HashMap<String, u64>>,
    tokens: Mutex<HashMap<String, Instant>>,
    counter: Mutex<u64>,
}

impl Auth {
    pub(crate) fn new(credentials: Credentials) -> Result<Auth, String> {
        let secret = BASE64
            .decode(credentials.api_secret.as_bytes())
            .map_err(|e| format!("API secret is not base64: {e}"))?;
        Ok(Auth {
            credentials,
            secret,
            last_nonce: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            counter: Mutex::new(0),
        })
    }

    fn issue_token(&self) -> String {
        let n = self.counter.lock().map(|mut c| {
            *c += 1;
            *c
        });
        let seed = format!(
            "{}:{:?}:{}",
            n.unwrap_or(0),
            Instant::now(),
            feeds::now_ns()
        );
        let digest = digest::digest(&digest::SHA256, seed.as_bytes());
        let token = BASE64
            .encode(digest.as_ref())
            .trim_end_matches('=')
            .to_owned();
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.retain(|_, expiry| *expiry > Instant::now());
            tokens.insert(token.clone(), Instant::now() + TOKEN_LIFETIME);
        }
        token
    }

    /// Checks key, signature and nonce as Kraken does.
    fn verify(
        &self,
        headers: &HashMap<String, String>,
        path: &str,
        body: &[u8],
        content_type: &str,
    ) -> Result<(), &'static str> {
        let key = headers.get("api-key").map(String::as_str).unwrap_or("");
        if key != self.credentials.api_key {
            return Err("EAPI:Invalid key");
        }
        let sign = headers.get("api-sign").map(String::as_str).unwrap_or("");
        let signature = BASE64
            .decode(sign.trim())
            .map_err(|_| "EAPI:Invalid signature")?;
        let nonce = nonce_of(body, content_type).ok_or("EAPI:Invalid nonce")?;
        let mut inner = digest::Context::new(&digest::SHA256);
        inner.update(nonce.to_string().as_bytes());
        inner.update(body);
        let mut message = path.as_bytes().to_vec();
        message.extend_from_slice(inner.finish().as_ref());
        let key = hmac::Key::new(hmac::HMAC_SHA512, &self.secret);
        hmac::verify(&key, &message, &signature).map_err(|_| "EAPI:Invalid signature")?;
        let mut nonces = self
            .last_nonce
            .lock()
            .map_err(|_| "EGeneral:Internal error")?;
        let last = nonces.entry(self.credentials.api_key.clone()).or_insert(0);
        if nonce <= *last {
            return Err("EAPI:Invalid nonce");
        }
        *last = nonce;
        Ok(())
    }
}

/// The nonce of a form (`nonce=…&…`) or JSON (`{"nonce":…}`) body.
fn nonce_of(body: &[u8], content_type: &str) -> Option<u64> {
    let text = std::str::from_utf8(body).ok()?;
    if content_type.contains("json") || text.trim_start().starts_with('{') {
        let v: Value = serde_json::from_str(text).ok()?;
        let n = v.get("nonce")?;
        return n.as_u64().or_else(|| n.as_str()?.parse().ok());
    }
    text.split('&')
        .find_map(|kv| kv.strip_prefix("nonce="))
        .and_then(|n| n.parse().ok())
}

struct HttpRequest {
    method: String,
    path: String,
    query: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Result<HttpRequest, String> {
    let mut buf = Vec::with_capacity(1024);
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEAD {
            return Err("request head too large".to_owned());
        }
        let mut chunk = [0u8; 2048];
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed mid-request".to_owned());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split_whitespace();
    let method = first.next().unwrap_or("").to_owned();
    let target = first.next().unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    if length > MAX_BODY {
        return Err("request body too large".to_owned());
    }
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = vec![0u8; length - body.len()];
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed mid-body".to_owned());
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok(HttpRequest {
        method,
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body,
    })
}

/// Serves one HTTP request and closes.
pub(crate) async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    auth: &Auth,
    specs: &[PairSpec],
) {
    let (status, body) = match read_request(&mut stream).await {
        Ok(req) => route(&req, auth, specs),
        Err(e) => (
            400,
            json!({"error": [format!("EGeneral:Invalid arguments:{e}")]}),
        ),
    };
    let body = body.to_string();
    let reason = if status == 200 {
        "OK"
    } else if status == 404 {
        "Not Found"
    } else {
        "Bad Request"
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn route(req: &HttpRequest, auth: &Auth, specs: &[PairSpec]) -> (u16, Value) {
    match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/0/private/GetWebSocketsToken") => {
            let content_type = req
                .headers
                .get("content-type")
                .map(String::as_str)
                .unwrap_or("");
            match auth.verify(&req.headers, &req.path, &req.body, content_type) {
                Ok(()) => (
                    200,
                    json!({"error": [], "result": {"token": auth.issue_token(), "expires": TOKEN_LIFETIME.as_secs()}}),
                ),
                Err(e) => (200, json!({"error": [e]})),
            }
        }
        ("GET", "/0/public/AssetPairs") => (200, asset_pairs(&req.query, specs)),
        ("GET", "/0/public/Time") => {
            let now = feeds::now(0);
            (
                200,
                json!({"error": [], "result": {"unixtime": now.unix_seconds(), "rfc1123": rfc1123(now.unix_seconds())}}),
            )
        }
        ("GET", "/0/public/SystemStatus") => (
            200,
            json!({"error": [], "result": {"status": "online", "timestamp": feeds::now(0).to_string()}}),
        ),
        _ => (404, json!({"error": ["EGeneral:Unknown method"]})),
    }
}

fn asset_pairs(query: &str, specs: &[PairSpec]) -> Value {
    let wanted: Option<Vec<String>> = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("pair="))
        .map(|p| percent_decode(p).split(',').map(str::to_owned).collect());
    let mut result = serde_json::Map::new();
    let altname = |s: &PairSpec| s.symbol.replace('/', "");
    match wanted {
        Some(names) => {
            for name in names {
                match specs
                    .iter()
                    .find(|s| s.symbol == name || altname(s) == name)
                {
                    // Keyed by the name as queried: clients rely on it.
                    Some(spec) => {
                        result.insert(name, pair_json(spec));
                    }
                    None => return json!({"error": ["EQuery:Unknown asset pair"]}),
                }
            }
        }
        None => {
            for spec in specs {
                result.insert(altname(spec), pair_json(spec));
            }
        }
    }
    json!({"error": [], "result": result})
}

fn pair_json(spec: &PairSpec) -> Value {
    let step = |precision: u8| {
        kraki_proto::Decimal::new(1, precision)
            .unwrap_or_default()
            .to_string()
    };
    let qty_min = kraki_proto::Decimal::new(spec.qty_min, spec.qty_precision).unwrap_or_default();
    let cost_min = kraki_proto::Decimal::new(spec.cost_min_e5, 5).unwrap_or_default();
    json!({
        "altname": spec.symbol.replace('/', ""),
        "wsname": spec.symbol,
        "aclass_base": "currency",
        "base": spec.base,
        "aclass_quote": "currency",
        "quote": spec.quote,
        "lot": "unit",
        "cost_decimals": 5,
        "pair_decimals": spec.price_precision,
        "lot_decimals": spec.qty_precision,
        "lot_multiplier": 1,
        "ordermin": qty_min.to_string(),
        "costmin": cost_min.normalized().to_string(),
        "tick_size": step(spec.price_precision),
        "status": "online",
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1..i + 3)) {
            (b'%', Some(hex)) => match std::str::from_utf8(hex)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                None => out.push(b'%'),
            },
            (b'+', _) => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `Mon, 23 Nov 26 01:02:03 +0000`, the form Kraken's Time endpoint uses.
fn rfc1123(unix: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let ts =
        kraki_proto::Timestamp::from_unix(unix, 0, 0).unwrap_or(kraki_proto::Timestamp::UNIX_EPOCH);
    let text = ts.to_string(); // YYYY-MM-DDTHH:MM:SSZ
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month: usize = text.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    format!(
        "{}, {} {} {} {} +0000",
        DAYS[unix.div_euclid(86_400).rem_euclid(7) as usize],
        text.get(8..10).unwrap_or("01"),
        MONTHS[month.clamp(1, 12) - 1],
        text.get(2..4).unwrap_or("70"),
        text.get(11..19).unwrap_or("00:00:00"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// §8.3's published vector, checked through the same code path.
    #[test]
    fn verifies_the_published_signature_vectors() {
        let secret = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";
        let auth = Auth::new(Credentials {
            api_key: "k".into(),
            api_secret: secret.into(),
        })
        .unwrap();
        let headers = |sign: &str| {
            HashMap::from([
                ("api-key".to_owned(), "k".to_owned()),
                ("api-sign".to_owned(), sign.to_owned()),
            ])
        };
        let body =
            b"nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
        assert_eq!(
            auth.verify(
                &headers("4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="),
                "/0/private/AddOrder",
                body,
                "application/x-www-form-urlencoded"
            ),
            Ok(())
        );
        // The same nonce again is a replay.
        assert_eq!(
            auth.verify(
                &headers("4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="),
                "/0/private/AddOrder",
                body,
                ""
            ),
            Err("EAPI:Invalid nonce")
        );
        let auth = Auth::new(Credentials {
            api_key: "k".into(),
            api_secret: secret.into(),
        })
        .unwrap();
        assert_eq!(
            auth.verify(
                &headers("yl7HvQ7MH+jWgPjH8r2+qILii9+OjPXXmiYU0uJ3ZdoxQGQlSfjTrhVW8NhLKbAnVRjuuiqkn/lDVd8AhdBrfQ=="),
                "/0/private/GetWebSocketsToken",
                br#"{"nonce":1616492376594}"#,
                "application/json"
            ),
            Ok(())
        );
        assert_eq!(
            auth.verify(
                &headers("AAAA"),
                "/0/private/GetWebSocketsToken",
                b"nonce=1616492376595",
                ""
            ),
            Err("EAPI:Invalid signature")
        );
        let mut wrong_key = headers("AAAA");
        wrong_key.insert("api-key".into(), "other".into());
        assert_eq!(
            auth.verify(&wrong_key, "/0/private/GetWebSocketsToken", b"nonce=1", ""),
            Err("EAPI:Invalid key")
        );
    }

    #[test]
    fn rfc1123_dates() {
        assert_eq!(rfc1123(0), "Thu, 01 Jan 70 00:00:00 +0000");
        assert_eq!(rfc1123(1_795_395_723), "Mon, 23 Nov 26 01:02:03 +0000");
    }
}
