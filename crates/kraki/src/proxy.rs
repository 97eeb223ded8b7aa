//! HTTP proxies: where the only way out of a network is a proxy, every
//! connection (WebSocket and REST, `ws://` and `wss://`) is a tunnel
//! opened with `CONNECT host:port`, and TLS and the WebSocket upgrade run
//! through it unchanged, end to end with Kraken.

use crate::loopback::is_loopback;
use crate::proxy_error::ProxyError;
use crate::transport_error::TransportError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zeroize::Zeroizing;

/// A proxy URL without a port means this one, as for curl.
const DEFAULT_PORT: u16 = 1080;

/// Longest answer head to `CONNECT` accepted.
const MAX_ANSWER: usize = 16 << 10;

/// An HTTP proxy and the hosts reached without it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Proxy {
    host: String,
    port: u16,
    /// `Basic …` from the URL's user info: a secret, never shown, zeroed
    /// on drop.
    authorization: Option<Zeroizing<String>>,
    /// `NO_PROXY` entries, lower case, without leading dots.
    bypass: Vec<String>,
    /// Loopback hosts go direct (the convention for proxies taken from
    /// the environment, so a local simulator keeps working).
    bypass_loopback: bool,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("host", &self.host)
            .field("port", &self.port)
            .field(
                "credentials",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .field("bypass", &self.bypass)
            .field("bypass_loopback", &self.bypass_loopback)
            .finish()
    }
}

impl Proxy {
    /// Parses `http://[user[:password]@]host[:port]` (the scheme may be
    /// left out; the user info may be percent-encoded). The error names
    /// the problem and never repeats the password.
    pub(crate) fn parse(url: &str) -> Result<Proxy, String> {
        let url = url.trim();
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => {
                return Err(format!(
                    "proxy scheme {scheme:?} is not supported (only http:// proxies are)"
                ));
            }
            None => url,
        };
        let rest = rest.trim_end_matches('/');
        if rest.contains('/') {
            return Err("a proxy URL has no path".to_owned());
        }
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, rest),
        };
        let (host, port) = split_host_port(hostport)?;
        let authorization = userinfo
            .map(|info| {
                let (user, password) = info.split_once(':').unwrap_or((info, ""));
                let user = percent_decode(user).ok_or("bad percent-encoding in the proxy user")?;
                let password = Zeroizing::new(
                    percent_decode(password).ok_or("bad percent-encoding in the proxy password")?,
                );
                let pair = Zeroizing::new(format!("{user}:{}", *password));
                Ok::<_, String>(Zeroizing::new(format!("Basic {}", STANDARD.encode(&*pair))))
            })
            .transpose()?;
        Ok(Proxy {
            host,
            port,
            authorization,
            bypass: Vec::new(),
            bypass_loopback: false,
        })
    }

    /// Hosts reached directly, as `NO_PROXY` lists them: comma-separated
    /// names (each also covers its subdomains; a leading dot is optional),
    /// IP addresses, or `*` for all. Ports in entries are ignored.
    pub(crate) fn bypassing(mut self, list: &str) -> Proxy {
        self.bypass = list
            .split(',')
            .map(|entry| {
                let entry = entry.trim().trim_start_matches('.').to_ascii_lowercase();
                // A bare IPv6 address is all colons: no port to take off.
                if entry.parse::<std::net::IpAddr>().is_ok() {
                    return entry;
                }
                match split_host_port(&entry) {
                    Ok((host, _)) => host,
                    Err(_) => entry,
                }
            })
            .filter(|entry| !entry.is_empty())
            .collect();
        self
    }

    /// Loopback hosts (`localhost`, 127.0.0.0/8, `::1`) go direct.
    pub(crate) fn bypassing_loopback(mut self) -> Proxy {
        self.bypass_loopback = true;
        self
    }

    /// The proxy from the environment: `HTTPS_PROXY`, else `ALL_PROXY`
    /// (upper or lower case, the first set and non-empty), bypassed for
    /// `NO_PROXY` and for loopback hosts. `None` when none is set.
    pub(crate) fn from_env() -> Option<Result<Proxy, String>> {
        let var = |names: &[&str]| {
            names
                .iter()
                .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        };
        let url = var(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"])?;
        let no_proxy = var(&["NO_PROXY", "no_proxy"]).unwrap_or_default();
        Some(Proxy::parse(&url).map(|proxy| proxy.bypassing(&no_proxy).bypassing_loopback()))
    }

    /// Whether connections to `host` go through the proxy.
    pub(crate) fn applies_to(&self, host: &str) -> bool {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        if self.bypass_loopback && is_loopback(&host) {
            return false;
        }
        !self.bypass.iter().any(|entry| {
            entry == "*"
                || host == *entry
                || host
                    .strip_suffix(entry.as_str())
                    .is_some_and(|head| head.ends_with('.'))
        })
    }

    /// A TCP connection to the proxy, tunnelled on to `host:port`.
    pub(crate) async fn tunnel(&self, host: &str, port: u16) -> Result<TcpStream, TransportError> {
        let proxy = format!("{}:{}", self.host, self.port);
        let mut tcp = match TcpStream::connect((self.host.as_str(), self.port)).await {
            Ok(tcp) => tcp,
            Err(source) => return Err(ProxyError::Connect { proxy, source }.into()),
        };
        tcp.set_nodelay(true)
            .map_err(TransportError::io("setting TCP_NODELAY"))?;
        let target = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        // Holds the proxy's credentials: zeroed once sent.
        let mut request =
            Zeroizing::new(format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n"));
        if let Some(authorization) = &self.authorization {
            request.push_str("Proxy-Authorization: ");
            request.push_str(authorization);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        if let Err(source) = tcp.write_all(request.as_bytes()).await {
            return Err(ProxyError::Io { proxy, source }.into());
        }
        read_answer(&mut tcp, &proxy, &target).await?;
        Ok(tcp)
    }
}

/// Reads the proxy's answer to `CONNECT target`: `Ok` for a 2xx that ends
/// its head and sends nothing more. At most [`MAX_ANSWER`] bytes of head
/// are read, whatever the proxy sends; the error quotes at most 100
/// characters of its status line.
pub(crate) async fn read_answer<S: AsyncRead + Unpin>(
    stream: &mut S,
    proxy: &str,
    target: &str,
) -> Result<(), ProxyError> {
    let io = |source| ProxyError::Io {
        proxy: proxy.to_owned(),
        source,
    };
    // Nothing follows the answer until this side speaks (the TLS hello
    // or the upgrade request), so a read never takes tunnel bytes.
    let mut answer = Vec::with_capacity(256);
    let mut chunk = [0; 1024];
    let end = loop {
        let n = stream.read(&mut chunk).await.map_err(io)?;
        if n == 0 {
            return Err(ProxyError::ClosedEarly {
                proxy: proxy.to_owned(),
                target: target.to_owned(),
            });
        }
        // Only the last read can complete the blank line; look there.
        let from = answer.len().saturating_sub(3);
        answer.extend_from_slice(&chunk[..n]);
        if let Some(at) = find(&answer[from..], b"\r\n\r\n") {
            break from + at + 4;
        }
        if answer.len() > MAX_ANSWER {
            return Err(ProxyError::HeadTooLarge {
                proxy: proxy.to_owned(),
                limit: MAX_ANSWER,
            });
        }
    };
    let status_line = String::from_utf8_lossy(&answer[..end])
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let status = status_line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse::<u16>().ok());
    let (proxy, target) = (proxy.to_owned(), target.to_owned());
    let status_line = truncated(&status_line).to_owned();
    match status {
        Some(200..=299) if end == answer.len() => Ok(()),
        Some(200..=299) => Err(ProxyError::DataAfterAnswer { proxy, target }),
        Some(status) => Err(ProxyError::Refused {
            proxy,
            target,
            status,
            status_line,
        }),
        None => Err(ProxyError::NotHttp {
            proxy,
            target,
            status_line,
        }),
    }
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `host[:port]` or `[v6][:port]`, the port defaulting to
/// [`DEFAULT_PORT`].
fn split_host_port(hostport: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or("an unclosed [ in the proxy host")?;
        (host, after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err("the proxy URL has no host".to_owned());
    }
    // Never quoted: in `http://user:password` without an `@`, the
    // password stands where the port would be.
    let port = match port {
        Some(port) => port
            .parse()
            .ok()
            .filter(|&port| port != 0)
            .ok_or("the proxy port is not a number from 1 to 65535")?,
        None => DEFAULT_PORT,
    };
    Ok((host.to_ascii_lowercase(), port))
}

/// At most 100 characters of a line from the proxy, for an error.
fn truncated(line: &str) -> &str {
    match line.char_indices().nth(100) {
        Some((at, _)) => &line[..at],
        None => line,
    }
}

/// `%XX` sequences decoded; `None` for a bad sequence or text that is not
/// UTF-8 once decoded.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn urls_parse_with_and_without_scheme_port_and_credentials() {
        let p = Proxy::parse("http://proxy.corp:3128").unwrap();
        assert_eq!(
            (p.host.as_str(), p.port, &p.authorization),
            ("proxy.corp", 3128, &None)
        );
        let p = Proxy::parse("proxy.corp").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("proxy.corp", DEFAULT_PORT));
        let p = Proxy::parse("http://[::1]:8080/").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("::1", 8080));
        let p = Proxy::parse("HTTP://al%40ice:p%3Ass@proxy:8080").unwrap();
        // base64("al@ice:p:ss")
        assert_eq!(
            p.authorization.as_deref().map(String::as_str),
            Some("Basic YWxAaWNlOnA6c3M=")
        );
    }

    #[test]
    fn bad_urls_are_named_without_the_password() {
        for (url, says) in [
            ("https://proxy:443", "only http:// proxies"),
            ("socks5://proxy:1080", "only http:// proxies"),
            ("http://proxy:port", "proxy port is not a number"),
            ("http://user:secret", "proxy port is not a number"),
            ("http://user:secret/", "proxy port is not a number"),
            ("http://proxy:0", "proxy port is not a number"),
            ("http://user:secret@:8080", "no host"),
            ("http://proxy:8080/path", "no path"),
            ("http://user:se%zzcret@proxy", "percent-encoding"),
        ] {
            let error = Proxy::parse(url).unwrap_err();
            assert!(error.contains(says), "{url}: {error}");
            assert!(!error.contains("secret"), "{url}: {error}");
        }
    }

    async fn answer_to(bytes: &[u8]) -> Result<(), String> {
        let mut stream = bytes;
        read_answer(&mut stream, "proxy:3128", "ws.kraken.com:443")
            .await
            .map_err(|e| e.to_string())
    }

    #[tokio::test]
    async fn connect_answers_are_read_within_their_limit() {
        answer_to(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await
            .unwrap();
        // The blank line split across reads is still found.
        let mut cut = (&b"HTTP/1.0 200 OK\r\n\r"[..]).chain(&b"\n"[..]);
        read_answer(&mut cut, "p", "t").await.unwrap();
        let endless = format!("HTTP/1.1 200 OK\r\nX-Long: {}", "a".repeat(1 << 20));
        assert_eq!(
            answer_to(endless.as_bytes()).await.unwrap_err(),
            "the proxy proxy:3128 answered CONNECT with more than 16384 bytes of head"
        );
        assert_eq!(
            answer_to(b"HTTP/1.1 200 OK\r\n").await.unwrap_err(),
            "the proxy proxy:3128 closed the connection before answering CONNECT ws.kraken.com:443"
        );
        assert_eq!(
            answer_to(b"HTTP/1.1 200 OK\r\n\r\nhello")
                .await
                .unwrap_err(),
            "the proxy proxy:3128 sent data after accepting CONNECT ws.kraken.com:443"
        );
        let refusal = format!("HTTP/1.1 407 {}\r\n\r\n", "x".repeat(500));
        let err = answer_to(refusal.as_bytes()).await.unwrap_err();
        assert_eq!(
            err,
            format!(
                "the proxy proxy:3128 refused CONNECT ws.kraken.com:443: HTTP/1.1 407 {}",
                "x".repeat(87)
            )
        );
        assert!(
            answer_to("SSH-2.0-\u{e9}\r\n\r\n".as_bytes())
                .await
                .unwrap_err()
                .contains("with something not HTTP: \"SSH-2.0-\u{e9}\"")
        );
    }

    #[test]
    fn debug_never_shows_the_credentials() {
        let p = Proxy::parse("http://user:hunter2@proxy:8080").unwrap();
        let shown = format!("{p:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("dXNlcjpodW50ZXIy"),
            "{shown}"
        );
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn no_proxy_entries_cover_hosts_and_their_subdomains() {
        let p = Proxy::parse("proxy:8080")
            .unwrap()
            .bypassing(" .kraken.com, 10.0.0.7:443 ,internal");
        assert!(!p.applies_to("kraken.com"));
        assert!(!p.applies_to("ws.Kraken.com"));
        assert!(p.applies_to("notkraken.com"));
        assert!(!p.applies_to("10.0.0.7"));
        assert!(!p.applies_to("internal"));
        assert!(p.applies_to("internal.example"));
        assert!(
            p.applies_to("127.0.0.1"),
            "loopback is proxied unless asked"
        );
        let p = p.bypassing_loopback();
        for host in [
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "localhost",
            "sim.localhost",
        ] {
            assert!(!p.applies_to(host), "{host}");
        }
        assert!(
            !Proxy::parse("proxy")
                .unwrap()
                .bypassing("*")
                .applies_to("ws.kraken.com")
        );
        let v6 = Proxy::parse("proxy")
            .unwrap()
            .bypassing("fd00::7,[fd00::8]:443");
        assert!(!v6.applies_to("[fd00::7]") && !v6.applies_to("fd00::8"));
        assert!(v6.applies_to("fd00::9"));
    }
}
