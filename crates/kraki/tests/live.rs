//! Against the real Kraken: opt-in (`KRAKI_LIVE=1 cargo test -- --ignored`),
//! since CI and development machines have no internet.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kraki::{BookEvent, Client};
use std::time::Duration;

#[tokio::test]
#[ignore = "needs the internet; run with KRAKI_LIVE=1 and --ignored"]
async fn live_btc_usd_book_verifies() {
    if std::env::var("KRAKI_LIVE").as_deref() != Ok("1") {
        eprintln!("KRAKI_LIVE is not 1: skipped");
        return;
    }
    let client = Client::builder().connect().await.unwrap();
    let book = client.book("BTC/USD", 10).await.unwrap();
    let mut verified = 0;
    while verified < 20 {
        let event = tokio::time::timeout(Duration::from_secs(30), book.next_event())
            .await
            .unwrap()
            .unwrap();
        if let BookEvent::Applied { ok, .. } = event {
            assert!(ok, "a live checksum did not verify");
            verified += 1;
        }
    }
    client.close().await;
}
