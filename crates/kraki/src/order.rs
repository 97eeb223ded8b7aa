//! `Order`: a typed builder for `add_order` (and the rows of `batch_add`),
//! e.g. `Order::limit(Side::Buy, "BTC/USD", qty, price).post_only()`.

use kraki_proto::trading::{AddOrderParams, BatchOrder, Conditional, Triggers};
use kraki_proto::{
    ClOrdId, Decimal, FeePreference, OrderType, PriceType, Side, StpType, TimeInForce, Timestamp,
    TriggerReference,
};

/// An order to place. Every order type of `add_order` has a constructor
/// taking what that type requires; options are chained.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct Order {
    params: AddOrderParams,
}

impl Order {
    fn new(order_type: OrderType, side: Side, symbol: &str, qty: Decimal) -> Self {
        Order {
            params: AddOrderParams::new(order_type, side, qty, symbol),
        }
    }

    fn with_trigger(mut self, price: Decimal) -> Self {
        self.params.triggers = Some(Triggers {
            reference: None,
            price,
            price_type: None,
        });
        self
    }

    /// A limit order.
    pub fn limit(side: Side, symbol: &str, qty: Decimal, price: Decimal) -> Self {
        let mut order = Order::new(OrderType::Limit, side, symbol, qty);
        order.params.limit_price = Some(price);
        order
    }

    /// A market order.
    pub fn market(side: Side, symbol: &str, qty: Decimal) -> Self {
        Order::new(OrderType::Market, side, symbol, qty)
    }

    /// An iceberg order showing `display_qty` at a time.
    pub fn iceberg(
        side: Side,
        symbol: &str,
        qty: Decimal,
        price: Decimal,
        display_qty: Decimal,
    ) -> Self {
        let mut order = Order::new(OrderType::Iceberg, side, symbol, qty);
        order.params.limit_price = Some(price);
        order.params.display_qty = Some(display_qty);
        order
    }

    /// A market order once the price reaches `trigger_price` (against the
    /// position: a sell below, a buy above).
    pub fn stop_loss(side: Side, symbol: &str, qty: Decimal, trigger_price: Decimal) -> Self {
        Order::new(OrderType::StopLoss, side, symbol, qty).with_trigger(trigger_price)
    }

    /// A limit order at `limit_price` once the price reaches
    /// `trigger_price`.
    pub fn stop_loss_limit(
        side: Side,
        symbol: &str,
        qty: Decimal,
        trigger_price: Decimal,
        limit_price: Decimal,
    ) -> Self {
        let mut order =
            Order::new(OrderType::StopLossLimit, side, symbol, qty).with_trigger(trigger_price);
        order.params.limit_price = Some(limit_price);
        order
    }

    /// A market order once the price reaches `trigger_price` (in favour
    /// of the position).
    pub fn take_profit(side: Side, symbol: &str, qty: Decimal, trigger_price: Decimal) -> Self {
        Order::new(OrderType::TakeProfit, side, symbol, qty).with_trigger(trigger_price)
    }

    /// A limit order at `limit_price` once the price reaches
    /// `trigger_price` (in favour of the position).
    pub fn take_profit_limit(
        side: Side,
        symbol: &str,
        qty: Decimal,
        trigger_price: Decimal,
        limit_price: Decimal,
    ) -> Self {
        let mut order =
            Order::new(OrderType::TakeProfitLimit, side, symbol, qty).with_trigger(trigger_price);
        order.params.limit_price = Some(limit_price);
        order
    }

    /// A market order once the price moves `offset` back from its peak;
    /// `offset` is in quote units unless [`Order::trigger_price_type`] says
    /// `pct`.
    pub fn trailing_stop(side: Side, symbol: &str, qty: Decimal, offset: Decimal) -> Self {
        Order::new(OrderType::TrailingStop, side, symbol, qty)
            .with_trigger(offset)
            .trigger_price_type(PriceType::Quote)
    }

    /// A trailing stop that places a limit order `limit_offset` from the
    /// trigger price.
    pub fn trailing_stop_limit(
        side: Side,
        symbol: &str,
        qty: Decimal,
        offset: Decimal,
        limit_offset: Decimal,
    ) -> Self {
        let mut order = Order::new(OrderType::TrailingStopLimit, side, symbol, qty)
            .with_trigger(offset)
            .trigger_price_type(PriceType::Quote);
        order.params.limit_price = Some(limit_offset);
        order.params.limit_price_type = Some(PriceType::Quote);
        order
    }

    /// Rejected if it would take liquidity.
    pub fn post_only(mut self) -> Self {
        self.params.post_only = Some(true);
        self
    }

    /// Only reduces a margin position.
    pub fn reduce_only(mut self) -> Self {
        self.params.reduce_only = Some(true);
        self
    }

    /// Funded on margin.
    pub fn margin(mut self) -> Self {
        self.params.margin = Some(true);
        self
    }

    /// Time in force (default `gtc`).
    pub fn time_in_force(mut self, tif: TimeInForce) -> Self {
        self.params.time_in_force = Some(tif);
        self
    }

    /// Immediate or cancel.
    pub fn ioc(self) -> Self {
        self.time_in_force(TimeInForce::Ioc)
    }

    /// Fill or kill (limit orders).
    pub fn fok(self) -> Self {
        self.time_in_force(TimeInForce::Fok)
    }

    /// Good till `expire_time`.
    pub fn good_till(mut self, expire_time: Timestamp) -> Self {
        self.params.time_in_force = Some(TimeInForce::Gtd);
        self.params.expire_time = Some(expire_time);
        self
    }

    /// Scheduled start.
    pub fn effective_time(mut self, at: Timestamp) -> Self {
        self.params.effective_time = Some(at);
        self
    }

    /// The engine will not match after this time (500 ms to 60 s ahead).
    pub fn deadline(mut self, at: Timestamp) -> Self {
        self.params.deadline = Some(at);
        self
    }

    /// The client's id for the order. Without one (and without
    /// [`Order::order_userref`]), kraki assigns a random one so that an
    /// unanswered order can be found again.
    pub fn cl_ord_id(mut self, id: impl Into<String>) -> Self {
        self.params.cl_ord_id = Some(ClOrdId::new(id));
        self
    }

    /// A numeric tag (exclusive with `cl_ord_id`).
    pub fn order_userref(mut self, tag: i64) -> Self {
        self.params.order_userref = Some(tag);
        self
    }

    /// Which price a trigger watches (default `last`).
    pub fn trigger_reference(mut self, reference: TriggerReference) -> Self {
        if let Some(t) = &mut self.params.triggers {
            t.reference = Some(reference);
        }
        self
    }

    /// How the trigger price is expressed (`static`, `pct`, `quote`).
    pub fn trigger_price_type(mut self, price_type: PriceType) -> Self {
        if let Some(t) = &mut self.params.triggers {
            t.price_type = Some(price_type);
        }
        self
    }

    /// A close order placed when this one fills (one-triggers-other).
    pub fn conditional(mut self, close: Conditional) -> Self {
        self.params.conditional = Some(close);
        self
    }

    /// Fee currency.
    pub fn fee_preference(mut self, preference: FeePreference) -> Self {
        self.params.fee_preference = Some(preference);
        self
    }

    /// Self-trade prevention.
    pub fn stp_type(mut self, stp: StpType) -> Self {
        self.params.stp_type = Some(stp);
        self
    }

    /// Validate only: Kraken checks the order and places nothing.
    pub fn validate_only(mut self) -> Self {
        self.params.validate = Some(true);
        self
    }

    /// The `add_order` params as they will be sent (without the token).
    pub fn params(&self) -> &AddOrderParams {
        &self.params
    }

    /// The params, to change a field no method covers.
    pub fn params_mut(&mut self) -> &mut AddOrderParams {
        &mut self.params
    }

    /// The params.
    pub fn into_params(self) -> AddOrderParams {
        self.params
    }

    /// The order as a `batch_add` row (symbol, validate and deadline
    /// belong to the batch).
    pub(crate) fn into_batch_row(self) -> BatchOrder {
        let p = self.params;
        let mut row = BatchOrder::new(p.order_type, p.side, p.order_qty);
        row.limit_price = p.limit_price;
        row.limit_price_type = p.limit_price_type;
        row.triggers = p.triggers;
        row.time_in_force = p.time_in_force;
        row.margin = p.margin;
        row.post_only = p.post_only;
        row.reduce_only = p.reduce_only;
        row.effective_time = p.effective_time;
        row.expire_time = p.expire_time;
        row.cl_ord_id = p.cl_ord_id;
        row.order_userref = p.order_userref;
        row.conditional = p.conditional;
        row.display_qty = p.display_qty;
        row.fee_preference = p.fee_preference;
        row.no_mpp = p.no_mpp;
        row.stp_type = p.stp_type;
        row.cash_order_qty = p.cash_order_qty;
        row.sender_sub_id = p.sender_sub_id;
        row.stop_price = p.stop_price;
        row.trigger = p.trigger;
        row
    }
}

impl From<Order> for AddOrderParams {
    fn from(order: Order) -> Self {
        order.params
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use kraki_proto::{Method, Request};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn wire(order: Order) -> serde_json::Value {
        let text = Request::new(Method::AddOrder(order.into_params()), None)
            .encode()
            .unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["params"].clone()
    }

    #[test]
    fn a_post_only_limit_order_on_the_wire() {
        let p = wire(
            Order::limit(Side::Buy, "BTC/USD", d("0.0100"), d("65000.1"))
                .post_only()
                .cl_ord_id("my-1"),
        );
        assert_eq!(p["order_type"], "limit");
        assert_eq!(p["side"], "buy");
        assert_eq!(p["symbol"], "BTC/USD");
        assert_eq!(p["limit_price"].to_string(), "65000.1");
        let text = Request::new(
            Method::AddOrder(
                Order::limit(Side::Buy, "BTC/USD", d("0.0100"), d("65000.1")).into_params(),
            ),
            None,
        )
        .encode()
        .unwrap();
        // The digits given are the digits sent.
        assert!(text.contains(r#""order_qty":0.0100"#), "{text}");
        assert_eq!(p["post_only"], true);
        assert_eq!(p["cl_ord_id"], "my-1");
    }

    #[test]
    fn triggered_orders_carry_triggers() {
        let p = wire(
            Order::stop_loss_limit(Side::Sell, "ETH/USD", d("1"), d("3000"), d("2990"))
                .trigger_reference(TriggerReference::Index),
        );
        assert_eq!(p["order_type"], "stop-loss-limit");
        assert_eq!(p["triggers"]["price"].to_string(), "3000");
        assert_eq!(p["triggers"]["reference"], "index");
        assert_eq!(p["limit_price"].to_string(), "2990");
        let t = wire(Order::trailing_stop(Side::Sell, "ETH/USD", d("1"), d("25")).ioc());
        assert_eq!(t["triggers"]["price_type"], "quote");
        assert_eq!(t["time_in_force"], "ioc");
    }

    #[test]
    fn a_batch_row_keeps_every_field() {
        let order =
            Order::iceberg(Side::Buy, "BTC/USD", d("3"), d("60000"), d("0.5")).order_userref(7);
        let row = order.clone().into_batch_row();
        assert_eq!(row.display_qty, Some(d("0.5")));
        assert_eq!(row.order_userref, Some(7));
        assert_eq!(row.limit_price, order.params().limit_price);
    }
}
