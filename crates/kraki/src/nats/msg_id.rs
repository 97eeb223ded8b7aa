//! A message's `Nats-Msg-Id` as the publisher keeps it until the ack. A
//! content id, one per book update, is 32 hex digits held inline: queuing
//! a message allocates nothing for its id.

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MsgId {
    /// 128 bits of a content hash in lowercase hex (`names::content_id`).
    Content([u8; 32]),
    /// Any other id (a trade's, `names::trade_id`).
    Text(String),
}

impl MsgId {
    /// The id as it goes into the header.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            MsgId::Content(hex) => hex,
            MsgId::Text(text) => text.as_bytes(),
        }
    }
}

impl From<String> for MsgId {
    fn from(text: String) -> Self {
        MsgId::Text(text)
    }
}
