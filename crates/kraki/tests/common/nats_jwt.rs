//! A NATS operator, account and user made in the test: their JWTs
//! (ed25519-nkey, signed with the nkeys crate), a nats-server
//! configuration that trusts the operator and preloads the account (with
//! JetStream), and the user's `.creds` file.

use base64::Engine;
use nkeys::KeyPair;
use serde_json::json;

/// What a server and a client of one operator need.
pub(crate) struct Operator {
    /// nats-server's `operator`, `resolver` and `resolver_preload`.
    pub(crate) server_config: String,
    /// The user's credentials file's text.
    pub(crate) creds: String,
    /// The user's seed, to look for where it must not be.
    pub(crate) user_seed: String,
}

/// A JWT of `claims` (its `iss`, `iat` and `jti` added) signed by `issuer`.
fn jwt(issuer: &KeyPair, subject: &str, name: &str, nats: serde_json::Value) -> String {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let header = b64(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    let claims = json!({
        "jti": format!("KRAKITEST{}", subject.get(1..20).unwrap_or_default()),
        "iat": 1_700_000_000u64,
        "iss": issuer.public_key(),
        "name": name,
        "sub": subject,
        "nats": nats,
    });
    let claims = b64(claims.to_string().as_bytes());
    let signed = format!("{header}.{claims}");
    let sig = issuer.sign(signed.as_bytes()).unwrap();
    format!("{signed}.{}", b64(&sig))
}

impl Operator {
    pub(crate) fn new() -> Operator {
        let operator = KeyPair::new_operator();
        let account = KeyPair::new_account();
        // JetStream needs the server's own account.
        let system = KeyPair::new_account();
        let user = KeyPair::new_user();
        let operator_jwt = jwt(
            &operator,
            &operator.public_key(),
            "kraki-test-operator",
            json!({"type": "operator", "version": 2}),
        );
        let unlimited = json!({
            "subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
            "wildcards": true, "conn": -1, "leaf": -1,
            "mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1,
        });
        let account_jwt = jwt(
            &operator,
            &account.public_key(),
            "kraki-test-account",
            json!({
                "limits": unlimited,
                "default_permissions": {"pub": {}, "sub": {}},
                "type": "account",
                "version": 2,
            }),
        );
        let system_jwt = jwt(
            &operator,
            &system.public_key(),
            "SYS",
            json!({
                "limits": {"subs": -1, "data": -1, "payload": -1, "imports": -1,
                           "exports": -1, "wildcards": true, "conn": -1, "leaf": -1},
                "default_permissions": {"pub": {}, "sub": {}},
                "type": "account",
                "version": 2,
            }),
        );
        let user_jwt = jwt(
            &account,
            &user.public_key(),
            "kraki-test-user",
            json!({
                "pub": {}, "sub": {}, "subs": -1, "data": -1, "payload": -1,
                "type": "user", "version": 2,
            }),
        );
        let user_seed = user.seed().unwrap();
        Operator {
            server_config: format!(
                "operator: {operator_jwt:?}\nsystem_account: {}\nresolver: MEMORY\n\
                 resolver_preload: {{ {}: {account_jwt:?}, {}: {system_jwt:?} }}\n",
                system.public_key(),
                account.public_key(),
                system.public_key()
            ),
            creds: format!(
                "-----BEGIN NATS USER JWT-----\n{user_jwt}\n------END NATS USER JWT------\n\n\
                 ************************* IMPORTANT *************************\n\
                 NKEY Seed printed below can be used to sign and prove identity.\n\
                 NKEYs are sensitive and should be treated as secrets.\n\n\
                 -----BEGIN USER NKEY SEED-----\n{user_seed}\n------END USER NKEY SEED------\n\n\
                 *************************************************************\n"
            ),
            user_seed,
        }
    }
}
