//! kraki's private REST calls against the simulator over real sockets:
//! every endpoint reading the same account the WebSocket side trades
//! (an order placed over WebSocket open, then closed and in the trade
//! history and ledgers once filled; balances equal to the `balances`
//! channel), paging to the end, Kraken's errors as typed errors, the call
//! counter waiting instead of being refused, and nonces from several
//! processes sharing one key.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{PATIENCE, d, demo};
use kraki::proto::{Decimal, OrderType, Side};
use kraki::rest::{HistoryRange, RestClient, RestErrorKind};
use kraki::{AccountHandle, AccountState, Client, Credentials, Order, RateTier};
use kraki_sim::{
    DEMO_API_KEY, DEMO_API_SECRET, DEMO_TRADE_ONLY_API_KEY, DEMO_TRADE_ONLY_API_SECRET, SimHandle,
    Simulator,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn trader(sim: &SimHandle) -> Client {
    Client::builder()
        .auth_url(sim.private_url())
        .rest_url(sim.rest_url())
        .credentials(demo())
        .connect_auth()
        .await
        .unwrap()
}

async fn account_until(
    account: &mut AccountHandle,
    what: &str,
    done: impl Fn(&AccountState) -> bool,
) -> Arc<AccountState> {
    let mut state = account.state();
    while !done(&state) {
        state = tokio::time::timeout(PATIENCE, account.changed())
            .await
            .unwrap_or_else(|_| panic!("waited for {what}; account is {state:?}"))
            .unwrap();
    }
    state
}

fn rest(sim: &SimHandle) -> RestClient {
    RestClient::new(&sim.rest_url()).unwrap()
}

/// The first Kraken error kind of a failed call.
fn kind<T: std::fmt::Debug>(result: Result<T, kraki::Error>) -> RestErrorKind {
    let err = result.unwrap_err();
    err.rest_errors()
        .first()
        .unwrap_or_else(|| panic!("not a Kraken error: {err}"))
        .kind
}

#[tokio::test]
async fn every_private_endpoint_reads_the_account_the_websocket_side_trades() {
    let sim = Simulator::builder().paused(true).spawn().await.unwrap();
    let client = trader(&sim).await;
    let mut account = client.account().await.unwrap();
    let start = account_until(&mut account, "the snapshots", |s| s.synced).await;
    let rest = rest(&sim);
    let creds = demo();

    // Balance equals the balances channel, asset for asset.
    assert_eq!(rest.balance(&creds).await.unwrap(), start.balances);
    assert_eq!(start.balances["BTC"], d("10"));

    // An order placed over WebSocket is open over REST.
    let price = d("1000.0");
    let placed = client
        .add_order(Order::limit(Side::Buy, "BTC/USD", d("0.02"), price).cl_ord_id("rest-1"))
        .await
        .unwrap();
    let id = placed.order_id.as_str().to_owned();
    let open = rest.open_orders(&creds).await.unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    let order = &open[0];
    assert_eq!(order.txid, id);
    assert_eq!(order.status, "open");
    assert_eq!(order.cl_ord_id.as_deref(), Some("rest-1"));
    assert_eq!(order.descr.pair, "BTC/USD", "XBTUSD mapped to v2");
    assert_eq!(order.descr.side, Side::Buy);
    assert_eq!(order.descr.ordertype, OrderType::Limit);
    assert_eq!(order.descr.price, price);
    assert_eq!(order.vol, d("0.02"));
    assert_eq!(order.vol_exec, d("0"));
    assert!(order.closetm.is_none());
    // What it holds: 0.02 × 1000 and the taker fee's room.
    let ex = rest.balance_ex(&creds).await.unwrap();
    assert_eq!(ex["USD"].hold_trade, d("20.052"));
    assert_eq!(ex["USD"].available(), Some(d("99979.948")));
    assert_eq!(ex["BTC"].hold_trade, d("0"));
    let queried = rest.query_orders(&creds, &[&id]).await.unwrap();
    assert_eq!(
        (queried[0].txid.as_str(), queried[0].status.as_str()),
        (id.as_str(), "open")
    );

    // Filled by a print at its price: closed, in the trade history and
    // the ledgers, and the balances move as on the channel.
    assert!(sim.trade_to("BTC/USD", price, d("0.02")).await);
    let after = account_until(&mut account, "the fill", |s| {
        s.open_orders.is_empty() && s.balances.get("BTC") == Some(&d("10.02"))
    })
    .await;
    assert!(rest.open_orders(&creds).await.unwrap().is_empty());
    let closed = rest
        .closed_orders(&creds, &HistoryRange::default())
        .await
        .unwrap();
    assert_eq!(closed.count, 1);
    let order = &closed.records[0];
    assert_eq!(
        (order.txid.as_str(), order.status.as_str()),
        (id.as_str(), "closed")
    );
    assert_eq!(order.vol_exec, d("0.02"));
    assert_eq!(order.cost, d("20"));
    assert_eq!(order.fee, d("0.032"), "maker fee 0.16 % of 20 USD");
    assert_eq!(order.price, price);
    assert!(order.closetm.unwrap() >= order.opentm);
    assert_eq!(order.trades.len(), 1);

    let trades = rest
        .trades_history(&creds, &HistoryRange::default())
        .await
        .unwrap();
    assert_eq!(trades.count, 1);
    let trade = &trades.records[0];
    assert_eq!(trade.txid, order.trades[0]);
    assert_eq!(trade.ordertxid, id);
    assert_eq!(trade.pair, "BTC/USD", "XXBTZUSD mapped to v2");
    assert_eq!(
        (trade.side, trade.vol, trade.price),
        (Side::Buy, d("0.02"), price)
    );
    assert_eq!((trade.cost, trade.fee), (d("20"), d("0.032")));
    assert_eq!(trade.maker, Some(true));

    let ledgers = rest
        .ledgers(&creds, &HistoryRange::default())
        .await
        .unwrap();
    assert_eq!(ledgers.count, 2);
    for entry in &ledgers.records {
        assert_eq!(entry.refid, trade.txid, "{entry:?}");
        assert_eq!(entry.kind, "trade");
    }
    let leg = |asset: &str| {
        ledgers
            .records
            .iter()
            .find(|l| l.asset == asset)
            .unwrap_or_else(|| panic!("no {asset} leg in {ledgers:?}"))
    };
    assert_eq!(
        (leg("BTC").amount, leg("BTC").balance),
        (d("0.02"), d("10.02"))
    );
    assert_eq!(
        (leg("USD").amount, leg("USD").fee, leg("USD").balance),
        (d("-20"), d("0.032"), d("99979.968"))
    );
    assert_eq!(rest.balance(&creds).await.unwrap(), after.balances);

    let volume = rest.trade_volume(&creds, &["BTC/USD"]).await.unwrap();
    assert_eq!((volume.currency.as_str(), volume.volume), ("USD", d("20")));
    assert_eq!(volume.fees["BTC/USD"].fee, d("0.26"));
    assert_eq!(volume.fees_maker["BTC/USD"].fee, d("0.16"));

    let valued = rest.trade_balance(&creds, None).await.unwrap();
    assert!(valued.eb > d("99979.968"), "USD and 10.02 BTC: {valued:?}");
    assert_eq!((valued.eb, valued.m), (valued.tb, Decimal::default()));
    client.close().await;
}

#[tokio::test]
async fn closed_orders_are_followed_page_by_page() {
    let sim = Simulator::builder()
        .paused(true)
        .max_rate_count(1_000_000)
        .spawn()
        .await
        .unwrap();
    let client = trader(&sim).await;
    for round in 0..3 {
        for i in 0..20 {
            let price = Decimal::from(1000 + round * 20 + i);
            client
                .add_order(Order::limit(Side::Buy, "BTC/USD", d("0.001"), price))
                .await
                .unwrap();
        }
        client.cancel_all().await.unwrap();
    }
    let rest = rest(&sim);
    let creds = demo();
    let first = rest
        .closed_orders(&creds, &HistoryRange::default())
        .await
        .unwrap();
    assert_eq!((first.count, first.records.len()), (60, 50));
    assert!(
        first.records.windows(2).all(|w| w[0].time() >= w[1].time()),
        "newest first"
    );
    assert!(first.records.iter().all(|o| o.status == "canceled"));
    assert_eq!(first.records[0].reason.as_deref(), Some("User requested"));
    let second = rest
        .closed_orders(
            &creds,
            &HistoryRange {
                ofs: 50,
                ..HistoryRange::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((second.count, second.records.len()), (60, 10));

    let mut pages = rest.closed_orders_pages(&creds, HistoryRange::default());
    let mut sizes = Vec::new();
    while let Some(page) = pages.next_page().await.unwrap() {
        sizes.push(page.len());
    }
    assert_eq!(sizes, [50, 10]);
    assert_eq!((pages.fetched(), pages.count()), (60, Some(60)));

    let future = HistoryRange::since(4_000_000_000);
    let none = rest
        .closed_orders_pages(&creds, future)
        .all()
        .await
        .unwrap();
    assert!(none.is_empty());
    client.close().await;
}

#[tokio::test]
async fn krakens_errors_come_back_typed_and_verbatim() {
    let sim = Simulator::builder().paused(true).spawn().await.unwrap();
    let rest = rest(&sim);

    let unknown = Credentials::new("no-such-key", DEMO_API_SECRET).unwrap();
    let err = rest.balance(&unknown).await.unwrap_err();
    assert!(err.is_rest_error(RestErrorKind::InvalidKey), "{err}");
    assert_eq!(err.to_string(), "Kraken REST error: EAPI:Invalid key");
    assert_eq!(err.rest_errors()[0].text, "EAPI:Invalid key");

    let wrong_secret = Credentials::new(DEMO_API_KEY, DEMO_TRADE_ONLY_API_SECRET).unwrap();
    assert_eq!(
        kind(rest.balance(&wrong_secret).await),
        RestErrorKind::InvalidSignature
    );

    let trade_only = Credentials::new(DEMO_TRADE_ONLY_API_KEY, DEMO_TRADE_ONLY_API_SECRET).unwrap();
    assert_eq!(
        kind(rest.ledgers(&trade_only, &HistoryRange::default()).await),
        RestErrorKind::PermissionDenied
    );
    // It may still get a WebSocket token: only its queries are denied.
    rest.websockets_token(&trade_only).await.unwrap();

    let creds = demo();
    assert_eq!(
        kind(rest.query_orders(&creds, &["OAAAAA-BBBBB-CCCCCC"]).await),
        RestErrorKind::InvalidOrder
    );
    let err = rest.trade_volume(&creds, &["NOPE/USD"]).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Kraken REST error: EQuery:Unknown asset pair"
    );
    let err = rest.query_orders(&creds, &[]).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid request: QueryOrders takes 1 to 50 order ids, not 0"
    );
}

#[tokio::test]
async fn an_unthrottled_client_meets_the_simulators_rate_limit() {
    // Starter tier: 15, decaying 0.33 per second; a ledger query costs 2.
    let sim = Simulator::builder().paused(true).spawn().await.unwrap();
    let rest = rest(&sim).unthrottled();
    let creds = demo();
    for _ in 0..7 {
        rest.ledgers(&creds, &HistoryRange::default())
            .await
            .unwrap();
    }
    let err = rest
        .ledgers(&creds, &HistoryRange::default())
        .await
        .unwrap_err();
    assert!(err.is_rest_error(RestErrorKind::RateLimitExceeded), "{err}");
    assert_eq!(
        err.to_string(),
        "Kraken REST error: EAPI:Rate limit exceeded"
    );
}

#[tokio::test]
async fn calls_wait_for_the_counter_instead_of_being_refused() {
    // Pro tier on both sides: 20, decaying 1 per second.
    let sim = Simulator::builder()
        .paused(true)
        .rest_rate_limit(20, 1.0)
        .spawn()
        .await
        .unwrap();
    let rest = rest(&sim).tier(RateTier::Pro);
    let creds = demo();
    let started = Instant::now();
    // 12 ledger queries cost 24: the last two wait ~2 s each.
    for _ in 0..12 {
        rest.ledgers(&creds, &HistoryRange::default())
            .await
            .unwrap();
    }
    let took = started.elapsed();
    assert!(
        (Duration::from_millis(3_500)..Duration::from_secs(8)).contains(&took),
        "{took:?}"
    );
}

/// A proxy on loopback that, for its first request, sends the same bytes
/// to the simulator twice and answers with the second answer: a replay,
/// as when another process used a nonce first. Later requests pass
/// through. Returns its URL and the first answer the client saw.
async fn replaying_proxy(sim: &SimHandle) -> (String, tokio::sync::oneshot::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let target = sim.addr();
    let (seen_tx, seen) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut seen_tx = Some(seen_tx);
        loop {
            let (mut client, _) = listener.accept().await.unwrap();
            let request = read_request(&mut client).await;
            let mut answer = exchange(target, &request).await;
            if let Some(tx) = seen_tx.take() {
                answer = exchange(target, &request).await;
                let _ = tx.send(String::from_utf8_lossy(&answer).into_owned());
            }
            client.write_all(&answer).await.unwrap();
            client.shutdown().await.unwrap();
        }
    });
    (url, seen)
}

/// One whole request: head and a `Content-Length` body.
async fn read_request(stream: &mut TcpStream) -> Vec<u8> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "the request ended early");
        data.extend_from_slice(&buf[..n]);
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if data.len() >= end + 4 + length {
                return data;
            }
        }
    }
}

async fn exchange(target: std::net::SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut sim = TcpStream::connect(target).await.unwrap();
    sim.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    sim.read_to_end(&mut answer).await.unwrap();
    answer
}

#[tokio::test]
async fn a_replayed_nonce_is_refused_and_reads_try_again_with_a_fresh_one() {
    let sim = Simulator::builder().paused(true).spawn().await.unwrap();
    let creds = demo();

    // The token is asked again too, at once: an overtaken nonce was never
    // acted on, and two processes connecting at the same moment must not
    // fail the first connect.
    let (url, seen) = replaying_proxy(&sim).await;
    let rest = RestClient::new(&url).unwrap();
    rest.websockets_token(&creds).await.unwrap();
    assert!(seen.await.unwrap().contains("EAPI:Invalid nonce"));

    // A read is made again with a fresh nonce and signature.
    let (url, seen) = replaying_proxy(&sim).await;
    let rest = RestClient::new(&url).unwrap();
    let balances = rest.balance(&creds).await.unwrap();
    assert_eq!(balances["USD"], d("100000"));
    assert!(seen.await.unwrap().contains("EAPI:Invalid nonce"));
}

/// Any other refusal of the token is the connect's to pace: one request,
/// its error as it came.
#[tokio::test]
async fn a_token_refused_otherwise_is_asked_once() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&requests);
    tokio::spawn(async move {
        loop {
            let (mut client, _) = listener.accept().await.unwrap();
            read_request(&mut client).await;
            counted.fetch_add(1, Ordering::SeqCst);
            let body = r#"{"error":["EService:Unavailable"]}"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            client.write_all(answer.as_bytes()).await.unwrap();
            client.shutdown().await.unwrap();
        }
    });
    let rest = RestClient::new(&url).unwrap();
    let err = rest.websockets_token(&demo()).await.unwrap_err();
    assert!(
        err.is_rest_error(RestErrorKind::ServiceUnavailable),
        "{err}"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

/// Set for the child processes of the test below.
const CHILD_URL: &str = "KRAKI_TEST_NONCE_CHILD_URL";
const CALLS_PER_PROCESS: usize = 12;

/// Several processes with the same key call at once: each process's
/// nonces come from the clock in microseconds, so none goes below what
/// another process already used by more than the moments they overlap;
/// a call overtaken that way is refused (`EAPI:Invalid nonce`) and, as a
/// read, made again with a fresh nonce. Every call of every process ends
/// well, and a later call of this process still does.
#[tokio::test]
async fn processes_sharing_a_key_never_send_a_nonce_that_stays_behind() {
    let sim = Simulator::builder()
        .paused(true)
        .rest_rate_limit(10_000, 1_000.0)
        .spawn()
        .await
        .unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..4)
        .map(|_| {
            std::process::Command::new(&exe)
                .args([
                    "--exact",
                    "nonce_child_process",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_URL, sim.rest_url())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let rest = rest(&sim);
    for _ in 0..CALLS_PER_PROCESS {
        rest.balance(&demo()).await.unwrap();
    }
    for child in children {
        let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains(&format!("calls ok: {CALLS_PER_PROCESS}")),
            "child failed: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    rest.balance(&demo()).await.unwrap();
}

/// The child of the test above; does nothing unless started by it.
#[tokio::test]
#[ignore = "run as a child process by processes_sharing_a_key_never_send_a_nonce_that_stays_behind"]
async fn nonce_child_process() {
    let url = std::env::var(CHILD_URL).expect("started by the parent test");
    let rest = RestClient::new(&url).unwrap();
    let creds = Credentials::new(DEMO_API_KEY, DEMO_API_SECRET).unwrap();
    let mut ok = 0;
    for _ in 0..CALLS_PER_PROCESS {
        rest.balance(&creds).await.unwrap();
        ok += 1;
    }
    println!("calls ok: {ok}");
}

/// A server on loopback that answers every request with `body`, and
/// counts the requests.
async fn answering(body: &'static str) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = served.clone();
    tokio::spawn(async move {
        loop {
            let (mut client, _) = listener.accept().await.unwrap();
            read_request(&mut client).await;
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            client.write_all(answer.as_bytes()).await.unwrap();
            let _ = client.shutdown().await;
        }
    });
    (url, served)
}

#[tokio::test]
async fn answers_not_in_krakens_shape_are_named_errors() {
    let creds = demo();
    for (body, expected) in [
        (
            r#"{"error":[],"result":{"XXBT":"1e999"}}"#,
            "REST: /0/private/Balance: a result not in Kraken's shape",
        ),
        (
            r#"{"error":[],"result":{"XXBT":"123456789012345678901234567890"}}"#,
            "REST: /0/private/Balance: a result not in Kraken's shape",
        ),
        (
            r#"{"error":[],"result":[]}"#,
            "a result not in Kraken's shape",
        ),
        (r#"{"error":[]}"#, "without a result or an error"),
    ] {
        let (url, served) = answering(body).await;
        let err = RestClient::new(&url)
            .unwrap()
            .balance(&creds)
            .await
            .unwrap_err();
        assert!(err.to_string().contains(expected), "{body}: {err}");
        // An answer in the wrong shape is not a failure that may pass.
        assert_eq!(
            served.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_server_that_repeats_a_page_cannot_keep_the_walk_going() {
    // The same one trade on every page, with a count that never ends.
    let (url, served) = answering(
        r#"{"error":[],"result":{"count":18446744073709551615,"trades":{"TAAAAA-BBBBB-CCCCCC":{"ordertxid":"OAAAAA-BBBBB-CCCCCC","pair":"XXBTZUSD","time":1700000000.5,"type":"buy","ordertype":"limit","price":"1000.0","cost":"1.0","fee":"0.0","vol":"0.001","margin":"0.0","misc":""}}}}"#,
    )
    .await;
    let rest = RestClient::new(&url).unwrap();
    let all = rest
        .trades_history_pages(&demo(), HistoryRange::default())
        .all()
        .await
        .unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(
        (all[0].pair.as_str(), all[0].txid.as_str()),
        ("BTC/USD", "TAAAAA-BBBBB-CCCCCC")
    );
    assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 2);
}
