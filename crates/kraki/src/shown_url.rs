//! URLs as errors and logs show them: a URL given as
//! `scheme://user:password@host/…` keeps its host and path, never its
//! user info.

use std::borrow::Cow;

/// `text` with any user info between `://` and the host replaced by
/// `<redacted>`.
pub(crate) fn shown(text: &str) -> Cow<'_, str> {
    let Some((scheme, rest)) = text.split_once("://") else {
        return Cow::Borrowed(text);
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => Cow::Owned(format!("{scheme}://<redacted>@{}", &rest[at + 1..])),
        None => Cow::Borrowed(text),
    }
}

/// Refuses a URL that carries user info: kraki sends credentials only in
/// the places made for them, never in a URL that ends up in logs.
pub(crate) fn refuse_userinfo(uri: &http::Uri, what: &str) -> Result<(), String> {
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(format!(
            "the {what} carries a user name or password (user:password@host), which kraki never \
             sends in a URL; give credentials with Credentials, or to ClientBuilder::proxy"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn user_info_is_redacted() {
        assert_eq!(
            shown("wss://user:hunter2@ws.example.com/v2?a=b@c"),
            "wss://<redacted>@ws.example.com/v2?a=b@c"
        );
        assert_eq!(shown("http://a:b@c@host:80"), "http://<redacted>@host:80");
        assert_eq!(shown("ws://127.0.0.1:9/v2"), "ws://127.0.0.1:9/v2");
        assert_eq!(shown("no scheme@host"), "no scheme@host");
    }

    #[test]
    fn user_info_is_refused_without_being_quoted() {
        let uri: http::Uri = "wss://user:hunter2@ws.example.com/v2".parse().unwrap();
        let err = refuse_userinfo(&uri, "WebSocket URL").unwrap_err();
        assert!(
            err.starts_with("the WebSocket URL carries a user name"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
        refuse_userinfo(&"wss://ws.example.com/v2".parse().unwrap(), "x").unwrap();
    }
}
