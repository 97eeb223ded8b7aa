//! API credentials, Kraken's request signature (§8.3) with its per-key
//! nonce, and the WebSocket tokens issued for them.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::rand::{SecureRandom as _, SystemRandom};
use ring::{digest, hmac};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The public key of the simulator's demo account, accepted when no other
/// credentials are configured. Public on purpose: it guards nothing.
pub const DEMO_API_KEY: &str = "kraki-demo-key";
/// The base64 secret of the simulator's demo account (decodes to the text
/// `kraki-sim demo secret: for offline testing only, never a real key.`).
pub const DEMO_API_SECRET: &str =
    "a3Jha2ktc2ltIGRlbW8gc2VjcmV0OiBmb3Igb2ZmbGluZSB0ZXN0aW5nIG9ubHksIG5ldmVyIGEgcmVhbCBrZXku";

/// The public key of a second demo account that may trade and get
/// WebSocket tokens but lacks every query permission (`Query Funds`,
/// `Query Open Orders & Trades`, `Query Closed Orders & Trades`, `Query
/// Ledger Entries`): its REST queries answer `EGeneral:Permission denied`.
/// Always accepted, whatever credentials are configured: like the demo
/// key, it guards nothing.
pub const DEMO_TRADE_ONLY_API_KEY: &str = "kraki-demo-trade-only-key";
/// The base64 secret of [`DEMO_TRADE_ONLY_API_KEY`] (decodes to the text
/// `kraki-sim demo secret of a key that may trade but not query.`).
pub const DEMO_TRADE_ONLY_API_SECRET: &str =
    "a3Jha2ktc2ltIGRlbW8gc2VjcmV0IG9mIGEga2V5IHRoYXQgbWF5IHRyYWRlIGJ1dCBub3QgcXVlcnku";

/// How long an unused token stays valid (Kraken: `expires: 900`).
pub(crate) const TOKEN_LIFETIME: Duration = Duration::from_secs(900);

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
    /// The demo account: [`DEMO_API_KEY`] and [`DEMO_API_SECRET`].
    fn default() -> Self {
        Credentials {
            api_key: DEMO_API_KEY.to_owned(),
            api_secret: DEMO_API_SECRET.to_owned(),
        }
    }
}

/// The request headers a signature check needs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Signed<'a> {
    /// `API-Key`.
    pub(crate) key: Option<&'a str>,
    /// `API-Sign`.
    pub(crate) sign: Option<&'a str>,
    /// `Content-Type`, to tell a JSON body from a form.
    pub(crate) content_type: Option<&'a str>,
}

/// One API key the simulator accepts. Its public key names its account.
struct ApiKey {
    api_key: String,
    secret: Vec<u8>,
    /// Whether it has the query permissions (funds, orders, trades,
    /// ledgers).
    may_query: bool,
}

/// The key a request was signed with, once its signature and nonce check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verified {
    /// The account: the public key.
    pub(crate) account: String,
    /// Whether the key has the query permissions.
    pub(crate) may_query: bool,
}

/// Checks signatures, remembers nonces and issues tokens. Shared by every
/// connection; its locks are never held across an `.await`.
pub(crate) struct Auth {
    keys: Vec<ApiKey>,
    /// The last nonce accepted per key.
    last_nonce: Mutex<HashMap<String, u64>>,
    /// Unused tokens: when they expire and the account they belong to.
    tokens: Mutex<HashMap<String, (Instant, String)>>,
    /// The source of tokens.
    random: SystemRandom,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("api_key", &self.keys.first().map(|k| k.api_key.as_str()))
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// # Errors
    /// When the secret is not base64.
    pub(crate) fn new(credentials: &Credentials) -> Result<Auth, String> {
        let decode = |secret: &str| {
            BASE64
                .decode(secret.trim().as_bytes())
                .map_err(|e| format!("API secret is not base64: {e}"))
        };
        let mut keys = vec![ApiKey {
            api_key: credentials.api_key.clone(),
            secret: decode(&credentials.api_secret)?,
            may_query: true,
        }];
        if credentials.api_key != DEMO_TRADE_ONLY_API_KEY {
            keys.push(ApiKey {
                api_key: DEMO_TRADE_ONLY_API_KEY.to_owned(),
                secret: decode(DEMO_TRADE_ONLY_API_SECRET)?,
                may_query: false,
            });
        }
        Ok(Auth {
            keys,
            last_nonce: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            random: SystemRandom::new(),
        })
    }

    /// Checks key, signature and nonce as Kraken does, in that order, and
    /// records the nonce. The error is Kraken's string.
    pub(crate) fn verify(
        &self,
        request: Signed<'_>,
        path: &str,
        body: &[u8],
    ) -> Result<Verified, &'static str> {
        let key = request
            .key
            .map(str::trim)
            .and_then(|k| self.keys.iter().find(|known| known.api_key == k))
            .ok_or("EAPI:Invalid key")?;
        let signature = request
            .sign
            .and_then(|s| BASE64.decode(s.trim()).ok())
            .ok_or("EAPI:Invalid signature")?;
        let (nonce, nonce_text) =
            nonce_of(body, request.content_type.unwrap_or("")).ok_or("EAPI:Invalid nonce")?;
        let mut inner = digest::Context::new(&digest::SHA256);
        inner.update(nonce_text.as_bytes());
        inner.update(body);
        let mut message = path.as_bytes().to_vec();
        message.extend_from_slice(inner.finish().as_ref());
        let hmac_key = hmac::Key::new(hmac::HMAC_SHA512, &key.secret);
        hmac::verify(&hmac_key, &message, &signature).map_err(|_| "EAPI:Invalid signature")?;
        let mut nonces = self
            .last_nonce
            .lock()
            .map_err(|_| "EGeneral:Internal error")?;
        // Any scale works (a counter, ms or ns since the epoch), as long
        // as it increases per key.
        let last = nonces.entry(key.api_key.clone()).or_insert(0);
        if nonce <= *last {
            return Err("EAPI:Invalid nonce");
        }
        *last = nonce;
        Ok(Verified {
            account: key.api_key.clone(),
            may_query: key.may_query,
        })
    }

    /// A fresh token for `account`, valid for [`TOKEN_LIFETIME`] if unused.
    pub(crate) fn issue_token(&self, account: &str) -> String {
        // A token is a bearer credential for the account: 32 bytes from
        // the operating system's generator, not derived from a clock or a
        // counter another client could guess. Should the generator fail
        // (it does not on the platforms we run on), no token is valid.
        let mut bytes = [0u8; 32];
        if self.random.fill(&mut bytes).is_err() {
            return String::new();
        }
        // 43 characters of base64 without padding, like Kraken's tokens.
        let token = BASE64.encode(bytes).trim_end_matches('=').to_owned();
        if let Ok(mut tokens) = self.tokens.lock() {
            let now = Instant::now();
            tokens.retain(|_, (expiry, _)| *expiry > now);
            tokens.insert(token.clone(), (now + TOKEN_LIFETIME, account.to_owned()));
        }
        token
    }

    /// The account (API key) a valid token belongs to.
    pub(crate) fn account_of(&self, token: &str) -> Option<String> {
        let tokens = self.tokens.lock().ok()?;
        let (expiry, account) = tokens.get(token)?;
        (*expiry > Instant::now()).then(|| account.clone())
    }

    /// Marks a token as in use by a private subscription: Kraken keeps
    /// such a token valid past its 15 minutes while the subscription
    /// lives (§8.4); here, until [`Auth::expire_all`].
    pub(crate) fn keep_alive(&self, token: &str) {
        if let Ok(mut tokens) = self.tokens.lock() {
            if let Some((expiry, _)) = tokens.get_mut(token) {
                // Far enough to never matter in a test, small enough to
                // never overflow an `Instant`.
                *expiry = Instant::now() + Duration::from_secs(10 * 365 * 24 * 3600);
            }
        }
    }

    /// Invalidates every token issued so far.
    pub(crate) fn expire_all(&self) {
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.clear();
        }
    }

    /// Whether `token` was issued here and has not expired.
    pub(crate) fn token_is_valid(&self, token: &str) -> bool {
        self.tokens
            .lock()
            .is_ok_and(|tokens| tokens.get(token).is_some_and(|(e, _)| *e > Instant::now()))
    }
}

/// The nonce of a form (`nonce=…&…`) or JSON (`{"nonce":…}`) body, as a
/// number and as the decimal text that the signature hashes.
fn nonce_of(body: &[u8], content_type: &str) -> Option<(u64, String)> {
    let text = std::str::from_utf8(body).ok()?;
    let raw = if content_type.contains("json") || text.trim_start().starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        match v.get("nonce")? {
            serde_json::Value::Number(n) => n.as_u64()?.to_string(),
            serde_json::Value::String(s) => s.clone(),
            _ => return None,
        }
    } else {
        text.split('&')
            .find_map(|kv| kv.strip_prefix("nonce="))?
            .to_owned()
    };
    Some((raw.parse().ok()?, raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCS_SECRET: &str =
        "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";

    fn auth(secret: &str) -> Auth {
        Auth::new(&Credentials {
            api_key: "k".into(),
            api_secret: secret.into(),
        })
        .unwrap()
    }

    fn signed<'a>(sign: &'a str, content_type: &'a str) -> Signed<'a> {
        Signed {
            key: Some("k"),
            sign: Some(sign),
            content_type: Some(content_type),
        }
    }

    /// Every vector of §8.3, through the code path the endpoint uses.
    #[test]
    fn verifies_the_signature_vectors() {
        let vectors: [(&str, &str, &[u8], &str, &str); 4] = [
            (
                DOCS_SECRET,
                "/0/private/AddOrder",
                b"nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25",
                "application/x-www-form-urlencoded",
                "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ==",
            ),
            (
                DOCS_SECRET,
                "/0/private/GetWebSocketsToken",
                b"nonce=1616492376594",
                "application/x-www-form-urlencoded",
                "+mRDmY9Ks0Moc1zjv/BjfvYa98buO0x1yHChZR5onlfAzAUbfIYlLggUZzdQ0RsmXm4Sh+Q8iAIZdo2wSeHeiA==",
            ),
            (
                DOCS_SECRET,
                "/0/private/GetWebSocketsToken",
                br#"{"nonce":1616492376594}"#,
                "application/json",
                "yl7HvQ7MH+jWgPjH8r2+qILii9+OjPXXmiYU0uJ3ZdoxQGQlSfjTrhVW8NhLKbAnVRjuuiqkn/lDVd8AhdBrfQ==",
            ),
            (
                "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
                "/0/private/Balance",
                b"nonce=1700000000000000000",
                "",
                "6i7+cpXVLDDnDOekgsRcgFQhkYFyPDSSxhSVA8OrA6vjziXcy2K1DP3n7f9B/Kgni71WjBSQusZKxduRsdF20Q==",
            ),
        ];
        for (secret, path, body, content_type, sign) in vectors {
            let auth = auth(secret);
            assert_eq!(
                auth.verify(signed(sign, content_type), path, body)
                    .map(|v| v.account),
                Ok("k".to_owned()),
                "{path}"
            );
            // The same nonce again is a replay.
            assert_eq!(
                auth.verify(signed(sign, content_type), path, body),
                Err("EAPI:Invalid nonce")
            );
        }
    }

    #[test]
    fn errors_in_krakens_order() {
        let auth = auth(DOCS_SECRET);
        let path = "/0/private/GetWebSocketsToken";
        let mut wrong_key = signed("AAAA", "");
        wrong_key.key = Some("other");
        assert_eq!(
            auth.verify(wrong_key, path, b"nonce=1"),
            Err("EAPI:Invalid key")
        );
        let no_key = Signed::default();
        assert_eq!(
            auth.verify(no_key, path, b"nonce=1"),
            Err("EAPI:Invalid key")
        );
        assert_eq!(
            auth.verify(signed("AAAA", ""), path, b"nonce=1"),
            Err("EAPI:Invalid signature")
        );
        assert_eq!(
            auth.verify(signed("not base64!", ""), path, b"nonce=1"),
            Err("EAPI:Invalid signature")
        );
        assert_eq!(
            auth.verify(signed("AAAA", ""), path, b"otp=1"),
            Err("EAPI:Invalid nonce")
        );
    }

    #[test]
    fn tokens_are_valid_until_they_expire() {
        let auth = auth(DOCS_SECRET);
        let token = auth.issue_token("k");
        assert_eq!(token.len(), 43);
        assert!(auth.token_is_valid(&token));
        assert_eq!(auth.account_of(&token), Some("k".to_owned()));
        assert!(!auth.token_is_valid("forged"));
        assert_ne!(auth.issue_token("k"), token);
        if let Ok(mut tokens) = auth.tokens.lock() {
            tokens.insert(token.clone(), (Instant::now(), "k".to_owned()));
        }
        assert!(!auth.token_is_valid(&token));
    }
}
