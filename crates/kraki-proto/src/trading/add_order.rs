//! `add_order`: place one order.

use crate::{ClOrdId, Decimal, FeePreference, OrderId, OrderType, PriceType, Side, StpType};
use crate::{Symbol, TimeInForce, Timestamp, Token, TriggerReference};

/// Trigger of a stop-loss, take-profit or trailing-stop order.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Triggers {
    /// The price watched (default `last`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<TriggerReference>,
    /// The trigger price, or the offset for trailing orders and `pct`/`quote`.
    pub price: Decimal,
    /// How `price` is expressed (default `static`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_type: Option<PriceType>,
}

/// One-triggers-other close order placed when the primary order fills.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Conditional {
    /// Type of the close order.
    pub order_type: OrderType,
    /// Its limit price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<Decimal>,
    /// How `limit_price` is expressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_price_type: Option<PriceType>,
    /// Its trigger price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_price: Option<Decimal>,
    /// How `trigger_price` is expressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_price_type: Option<PriceType>,
    /// Deprecated by Kraken in favour of `trigger_price`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<Decimal>,
}

/// The fields every new order has, shared by `add_order` and the rows of
/// `batch_add`.
macro_rules! order_fields {
    ($(#[$meta:meta])* pub struct $name:ident { $($extra:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            /// Order type.
            pub order_type: OrderType,
            /// Buy or sell.
            pub side: Side,
            /// Quantity in the base asset.
            pub order_qty: Decimal,
            $($extra)*
            /// Limit price (limit-priced types).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub limit_price: Option<Decimal>,
            /// How `limit_price` is expressed (trailing-stop-limit).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub limit_price_type: Option<PriceType>,
            /// Trigger of stop, take-profit and trailing orders.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub triggers: Option<Triggers>,
            /// Time in force (default `gtc`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub time_in_force: Option<TimeInForce>,
            /// Fund on margin.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub margin: Option<bool>,
            /// Reject if the order would take liquidity.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub post_only: Option<bool>,
            /// Only reduce a margin position.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub reduce_only: Option<bool>,
            /// Scheduled start.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub effective_time: Option<Timestamp>,
            /// Expiry of a GTD order.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub expire_time: Option<Timestamp>,
            /// The client's order id; exclusive with `order_userref`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub cl_ord_id: Option<ClOrdId>,
            /// Numeric client tag; exclusive with `cl_ord_id`.
            #[serde(
                default,
                deserialize_with = "crate::flex_int::option",
                skip_serializing_if = "Option::is_none"
            )]
            pub order_userref: Option<i64>,
            /// Close order placed on fill.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub conditional: Option<Conditional>,
            /// Visible quantity of an iceberg order.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub display_qty: Option<Decimal>,
            /// Fee currency.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub fee_preference: Option<FeePreference>,
            /// Deprecated; accepted and ignored by Kraken.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub no_mpp: Option<bool>,
            /// Self-trade prevention.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub stp_type: Option<StpType>,
            /// Quantity in the quote currency (buy market orders).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub cash_order_qty: Option<Decimal>,
            /// Institutional self-trade-prevention sub-id.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub sender_sub_id: Option<String>,
            /// Deprecated by Kraken in favour of `triggers.price`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub stop_price: Option<Decimal>,
            /// Deprecated by Kraken in favour of `triggers.reference`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub trigger: Option<TriggerReference>,
        }
    };
}
pub(crate) use order_fields;

order_fields! {
    /// The params of `add_order`.
    pub struct AddOrderParams {
        /// The pair.
        pub symbol: Symbol,
        /// Validate only; nothing is placed and `order_id` comes back empty.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub validate: Option<bool>,
        /// The engine will not match after this time (500 ms–60 s ahead).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub deadline: Option<Timestamp>,
        /// Session token.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub token: Option<Token>,
    }
}

impl AddOrderParams {
    /// An order with every option unset.
    pub fn new(
        order_type: OrderType,
        side: Side,
        order_qty: Decimal,
        symbol: impl Into<Symbol>,
    ) -> Self {
        AddOrderParams {
            order_type,
            side,
            order_qty,
            symbol: symbol.into(),
            validate: None,
            deadline: None,
            token: None,
            limit_price: None,
            limit_price_type: None,
            triggers: None,
            time_in_force: None,
            margin: None,
            post_only: None,
            reduce_only: None,
            effective_time: None,
            expire_time: None,
            cl_ord_id: None,
            order_userref: None,
            conditional: None,
            display_qty: None,
            fee_preference: None,
            no_mpp: None,
            stp_type: None,
            cash_order_qty: None,
            sender_sub_id: None,
            stop_price: None,
            trigger: None,
        }
    }
}

/// The result of `add_order`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AddOrderResult {
    /// Kraken's id for the new order (empty for `validate`).
    pub order_id: OrderId,
    /// Echo of the client's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cl_ord_id: Option<ClOrdId>,
    /// Echo of the client's tag.
    #[serde(
        default,
        deserialize_with = "crate::flex_int::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub order_userref: Option<i64>,
    /// Advisories, e.g. deprecated fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(p: &AddOrderParams) {
        let text = serde_json::to_string(p).unwrap();
        let back: AddOrderParams = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, p, "{text}");
    }

    /// The `params` objects of the reference's add_order requests.
    const PARAMS: [&str; 5] = [
        r#"{"order_type":"limit","side":"buy","limit_price":26500.4,"order_userref":100054,"order_qty":1.2,"symbol":"BTC/USD","token":"G38a1tGFzqGiUCmnegBcm8d4nfP3tytiNQz6tkCBYXY"}"#,
        r#"{"order_type":"stop-loss","side":"sell","order_qty":100,"symbol":"MATIC/USD","triggers":{"reference":"last","price":-2.0,"price_type":"pct"},"token":"..."}"#,
        r#"{"order_type":"limit","side":"buy","order_qty":1.2,"symbol":"BTC/USD","limit_price":28440,"conditional":{"order_type":"stop-loss-limit","trigger_price":28410,"limit_price":28400},"token":"..."}"#,
        r#"{"order_type":"trailing-stop","side":"buy","order_qty":100,"symbol":"MATIC/USD","triggers":{"reference":"last","price":1.0,"price_type":"pct"},"token":"..."}"#,
        r#"{"order_type":"limit","side":"buy","symbol":"USDC/USD","limit_price":0.95,"time_in_force":"ioc","order_qty":5.0,"post_only":false,"fee_preference":"quote","token":"aToken","cl_ord_id":"client-zero","sender_sub_id":"sender-one"}"#,
    ];

    #[test]
    fn reference_params_decode_and_round_trip() {
        let all: Vec<AddOrderParams> = PARAMS
            .iter()
            .map(|text| serde_json::from_str(text).unwrap())
            .collect();
        all.iter().for_each(round_trip);

        let p = &all[0];
        assert_eq!(p.order_type, OrderType::Limit);
        assert_eq!(p.side, Side::Buy);
        assert_eq!(p.limit_price.unwrap().to_string(), "26500.4");
        assert_eq!(p.order_userref, Some(100_054));
        assert_eq!(p.symbol, "BTC/USD");
        assert_eq!(
            p.token.as_ref().unwrap().expose(),
            "G38a1tGFzqGiUCmnegBcm8d4nfP3tytiNQz6tkCBYXY"
        );

        let t = all[1].triggers.as_ref().unwrap();
        assert_eq!(t.reference, Some(TriggerReference::Last));
        assert_eq!(t.price.to_string(), "-2.0");
        assert_eq!(t.price_type, Some(PriceType::Pct));

        let c = all[2].conditional.as_ref().unwrap();
        assert_eq!(c.order_type, OrderType::StopLossLimit);
        assert_eq!(c.trigger_price.unwrap().to_string(), "28410");
        assert_eq!(c.limit_price.unwrap().to_string(), "28400");
        assert_eq!(c.trigger_price_type, None);

        assert_eq!(all[3].order_type, OrderType::TrailingStop);
        assert_eq!(all[3].triggers.as_ref().unwrap().price.to_string(), "1.0");

        let p = &all[4];
        assert_eq!(p.time_in_force, Some(TimeInForce::Ioc));
        assert_eq!(p.order_qty.to_string(), "5.0");
        assert_eq!(p.post_only, Some(false));
        assert_eq!(p.fee_preference, Some(FeePreference::Quote));
        assert_eq!(p.cl_ord_id.as_ref().unwrap(), "client-zero");
        assert_eq!(p.sender_sub_id.as_deref(), Some("sender-one"));
    }

    #[test]
    fn every_option_round_trips() {
        let mut p = AddOrderParams::new(
            OrderType::TrailingStopLimit,
            Side::Sell,
            Decimal::parse("0.00100000").unwrap(),
            "BTC/USD",
        );
        p.limit_price = Some(Decimal::parse("1.5").unwrap());
        p.limit_price_type = Some(PriceType::Quote);
        p.triggers = Some(Triggers {
            reference: Some(TriggerReference::Index),
            price: Decimal::parse("2.0").unwrap(),
            price_type: Some(PriceType::Pct),
        });
        p.time_in_force = Some(TimeInForce::Gtd);
        p.margin = Some(true);
        p.post_only = Some(false);
        p.reduce_only = Some(true);
        p.effective_time = Some(Timestamp::parse("2024-05-18T12:05:50Z").unwrap());
        p.expire_time = Some(Timestamp::parse("2024-05-19T12:05:50Z").unwrap());
        p.deadline = Some(Timestamp::parse("2024-05-18T12:05:50.123Z").unwrap());
        p.order_userref = Some(-7);
        p.conditional = Some(Conditional {
            order_type: OrderType::TakeProfitLimit,
            limit_price: Some(Decimal::parse("3").unwrap()),
            limit_price_type: Some(PriceType::Quote),
            trigger_price: Some(Decimal::parse("4.00").unwrap()),
            trigger_price_type: Some(PriceType::Static),
            stop_price: Some(Decimal::parse("5").unwrap()),
        });
        p.display_qty = Some(Decimal::parse("0.0001").unwrap());
        p.fee_preference = Some(FeePreference::Base);
        p.no_mpp = Some(false);
        p.stp_type = Some(StpType::CancelBoth);
        p.cash_order_qty = Some(Decimal::parse("10.00").unwrap());
        p.validate = Some(true);
        p.sender_sub_id = Some("desk-1".into());
        p.stop_price = Some(Decimal::parse("6").unwrap());
        p.trigger = Some(TriggerReference::Last);
        p.token = Some(Token::new("secret"));
        round_trip(&p);
        let text = serde_json::to_string(&p).unwrap();
        assert!(text.contains(r#""order_qty":0.00100000"#), "{text}");
        assert!(text.contains(r#""stp_type":"cancel_both""#), "{text}");
        assert!(text.contains(r#""time_in_force":"gtd""#), "{text}");
        assert!(
            text.contains(r#""deadline":"2024-05-18T12:05:50.123Z""#),
            "{text}"
        );
    }

    #[test]
    fn new_sends_only_what_is_set() {
        let mut p = AddOrderParams::new(
            OrderType::Limit,
            Side::Buy,
            Decimal::parse("1.25").unwrap(),
            "BTC/USD",
        );
        p.limit_price = Some(Decimal::parse("37500.0").unwrap());
        p.post_only = Some(true);
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"order_type":"limit","side":"buy","order_qty":1.25,"symbol":"BTC/USD","limit_price":37500.0,"post_only":true}"#
        );
    }

    #[test]
    fn reference_results_decode() {
        let r: AddOrderResult =
            serde_json::from_str(r#"{"order_id":"AA5JGQ-SBMRC-SCJ7J7","order_userref":100054}"#)
                .unwrap();
        assert_eq!(r.order_id, "AA5JGQ-SBMRC-SCJ7J7");
        assert_eq!(r.order_userref, Some(100_054));
        assert_eq!(r.cl_ord_id, None);
        let r: AddOrderResult =
            serde_json::from_str(r#"{"order_id":"OPS23M-VS41G-DDE5Z2","cl_ord_id":"client-zero"}"#)
                .unwrap();
        assert_eq!(r.cl_ord_id.as_ref().unwrap(), "client-zero");
        // `validate: true` answers with an empty id.
        let r: AddOrderResult =
            serde_json::from_str(r#"{"order_id":"","warnings":["stop_price is deprecated"]}"#)
                .unwrap();
        assert_eq!(r.order_id, "");
        assert_eq!(r.warnings.unwrap().len(), 1);
    }
}
