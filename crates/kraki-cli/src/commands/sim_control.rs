//! `kraki sim`'s runtime control: one command per line on standard input,
//! so that a script (or a person at the terminal) can fault the running
//! simulator the way tests do through `SimHandle`, e.g.
//! `(sleep 5; echo cut; sleep 5; echo "status maintenance") | kraki sim`.
//!
//! Answers go to stderr (`kraki sim: …`), so stdout keeps exactly the
//! endpoint lines and `ready`. End of input just stops the reading.

use kraki_sim::{Decimal, FaultPlan, PairStatus, SimHandle, SystemStatus};
use std::time::Duration;

/// The commands, as `help` prints them.
pub(crate) const HELP: &str = "\
commands, one per line:
  close                  close every connection with a close frame
  cut                    drop every connection without a close frame
  stall                  open connections stop sending, staying open
  garbage                send every connection a frame that is not JSON
  corrupt SYMBOL         the next book update of SYMBOL has a wrong checksum
  refuse N               refuse the next N connection attempts
  refuse-for SECONDS     refuse every connection attempt for a while (0 ends it)
  mute on|off            new subscriptions are acked but get no data
  status STATE           online, cancel_only, post_only or maintenance
  pair-status SYMBOL STATE
                         one pair's status, sent to instrument subscribers:
                         online, cancel_only, post_only, limit_only,
                         reduce_only, maintenance, delisted or
                         work_in_progress
  expire-tokens          every token issued so far becomes invalid
  skip-sequence          executions subscriptions skip one sequence number
  trade SYMBOL PRICE QTY a market participant trades QTY at PRICE
  faults [SPEC]          every connection follows SPEC from now on
                         (close-after=N delay-acks=MS drop-acks
                         reject-subscriptions; none clears)
  help                   this list";

/// One parsed command line.
#[derive(Debug, PartialEq)]
pub(crate) enum Control {
    Close,
    Cut,
    Stall,
    Garbage,
    Corrupt(String),
    Refuse(u64),
    RefuseFor(Duration),
    Mute(bool),
    Status(SystemStatus),
    PairStatus {
        symbol: String,
        status: PairStatus,
    },
    ExpireTokens,
    SkipSequence,
    Trade {
        symbol: String,
        price: Decimal,
        qty: Decimal,
    },
    Faults(FaultPlan),
    Help,
}

/// Reads one line: `None` for a blank line or a `#` comment.
pub(crate) fn parse(line: &str) -> Result<Option<Control>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let mut words = line.split_whitespace();
    let command = words.next().unwrap_or_default();
    let args: Vec<&str> = words.collect();
    let arity = |n: usize, usage: &str| {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!("usage: {usage}"))
        }
    };
    let control = match command {
        "close" => arity(0, "close").map(|()| Control::Close)?,
        "cut" => arity(0, "cut").map(|()| Control::Cut)?,
        "stall" => arity(0, "stall").map(|()| Control::Stall)?,
        "garbage" => arity(0, "garbage").map(|()| Control::Garbage)?,
        "corrupt" => {
            arity(1, "corrupt SYMBOL")?;
            Control::Corrupt(args[0].to_owned())
        }
        "refuse" => {
            arity(1, "refuse N")?;
            Control::Refuse(number(args[0], "N")?)
        }
        "refuse-for" => {
            arity(1, "refuse-for SECONDS")?;
            Control::RefuseFor(seconds(args[0])?)
        }
        "mute" => {
            arity(1, "mute on|off")?;
            Control::Mute(on_off(args[0])?)
        }
        "status" => {
            arity(1, "status online|cancel_only|post_only|maintenance")?;
            Control::Status(status(args[0])?)
        }
        "pair-status" => {
            arity(2, "pair-status SYMBOL STATE")?;
            Control::PairStatus {
                symbol: args[0].to_owned(),
                status: pair_status(args[1])?,
            }
        }
        "expire-tokens" => arity(0, "expire-tokens").map(|()| Control::ExpireTokens)?,
        "skip-sequence" => arity(0, "skip-sequence").map(|()| Control::SkipSequence)?,
        "trade" => {
            arity(3, "trade SYMBOL PRICE QTY")?;
            Control::Trade {
                symbol: args[0].to_owned(),
                price: decimal(args[1], "PRICE")?,
                qty: decimal(args[2], "QTY")?,
            }
        }
        "faults" => Control::Faults(fault_plan(&args)?),
        "help" => Control::Help,
        other => return Err(format!("unknown command {other:?} (try help)")),
    };
    Ok(Some(control))
}

/// A fault plan from `close-after=N delay-acks=MS drop-acks
/// reject-subscriptions` words, in any order; no words is no fault.
pub(crate) fn fault_plan(words: &[&str]) -> Result<FaultPlan, String> {
    let mut plan = FaultPlan::new();
    for word in words {
        plan = match word.split_once('=') {
            Some(("close-after", n)) => plan.close_after(number(n, "close-after")?),
            Some(("delay-acks", ms)) => {
                plan.delay_acks(Duration::from_millis(number(ms, "delay-acks")?))
            }
            None if *word == "drop-acks" => plan.drop_acks(true),
            None if *word == "reject-subscriptions" => plan.reject_subscriptions(true),
            _ => {
                return Err(format!(
                    "unknown fault {word:?}: expected close-after=N, delay-acks=MS, \
                     drop-acks or reject-subscriptions"
                ));
            }
        };
    }
    Ok(plan)
}

/// Carries a command out; returns what was done, for the answer line.
pub(crate) async fn apply(handle: &SimHandle, control: Control) -> Result<String, String> {
    Ok(match control {
        Control::Close => {
            handle.close_connections();
            "closed every connection".to_owned()
        }
        Control::Cut => {
            handle.cut_connections();
            "cut every connection".to_owned()
        }
        Control::Stall => {
            handle.stall_connections();
            "stalled the open connections".to_owned()
        }
        Control::Garbage => {
            handle.send_garbage();
            "sent a malformed frame to every connection".to_owned()
        }
        Control::Corrupt(symbol) => {
            handle.corrupt_next_checksum(&symbol);
            format!("the next {symbol} book update carries a wrong checksum")
        }
        Control::Refuse(n) => {
            handle.refuse_connections(n);
            format!("refusing the next {n} connection attempts")
        }
        Control::RefuseFor(period) => {
            handle.refuse_connections_for(period);
            format!("refusing connections for {} s", period.as_secs_f64())
        }
        Control::Mute(on) => {
            handle.mute_subscriptions(on);
            format!("new subscriptions muted: {on}")
        }
        Control::Status(system) => {
            let done = format!("status {system}");
            handle.set_status(system);
            done
        }
        Control::PairStatus { symbol, status } => {
            let done = format!("{symbol} status {status}");
            handle
                .set_pair_status(&symbol, status)
                .await
                .map_err(|e| e.to_string())?;
            done
        }
        Control::ExpireTokens => {
            handle.expire_tokens();
            "every token issued so far expired".to_owned()
        }
        Control::SkipSequence => {
            handle.skip_execution_sequence();
            "executions subscriptions skip one sequence number".to_owned()
        }
        Control::Trade { symbol, price, qty } => {
            if !handle.trade_to(&symbol, price, qty).await {
                return Err(format!(
                    "no trade: unknown symbol {symbol:?}, or a price or quantity the pair cannot take"
                ));
            }
            format!("traded {qty} {symbol} at {price}")
        }
        Control::Faults(plan) => {
            let done = if plan == FaultPlan::default() {
                "faults cleared".to_owned()
            } else {
                format!("every connection follows {plan:?}")
            };
            handle.set_faults(plan);
            done
        }
        Control::Help => HELP.to_owned(),
    })
}

fn number(text: &str, name: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("{name} must be a whole number, not {text:?}"))
}

fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("SECONDS must be a number of seconds ≥ 0, not {text:?}"))
}

fn on_off(text: &str) -> Result<bool, String> {
    match text {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("expected on or off, not {text:?}")),
    }
}

fn status(text: &str) -> Result<SystemStatus, String> {
    match SystemStatus::from(text) {
        SystemStatus::Other(_) => Err(format!(
            "unknown status {text:?}: expected online, cancel_only, post_only or maintenance"
        )),
        known => Ok(known),
    }
}

/// The pair states Kraken documents (§4.6); anything else is refused
/// rather than sent, so a typo does not reach the subscribers.
const PAIR_STATES: &str = "online, cancel_only, post_only, limit_only, reduce_only, \
                           maintenance, delisted or work_in_progress";

fn pair_status(text: &str) -> Result<PairStatus, String> {
    match PairStatus::from(text) {
        PairStatus::Other(_) => Err(format!(
            "unknown pair status {text:?}: expected {PAIR_STATES}"
        )),
        known => Ok(known),
    }
}

fn decimal(text: &str, name: &str) -> Result<Decimal, String> {
    text.parse()
        .map_err(|e| format!("{name} must be a decimal number, not {text:?}: {e}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn commands_parse_with_their_arguments() {
        assert_eq!(parse("cut").unwrap(), Some(Control::Cut));
        assert_eq!(parse("  # a comment").unwrap(), None);
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(
            parse("corrupt BTC/USD").unwrap(),
            Some(Control::Corrupt("BTC/USD".to_owned()))
        );
        assert_eq!(parse("refuse 3").unwrap(), Some(Control::Refuse(3)));
        assert_eq!(
            parse("refuse-for 1.5").unwrap(),
            Some(Control::RefuseFor(Duration::from_millis(1500)))
        );
        assert_eq!(parse("mute off").unwrap(), Some(Control::Mute(false)));
        assert_eq!(
            parse("status cancel_only").unwrap(),
            Some(Control::Status(SystemStatus::CancelOnly))
        );
        assert_eq!(
            parse("pair-status ETH/USD limit_only").unwrap(),
            Some(Control::PairStatus {
                symbol: "ETH/USD".to_owned(),
                status: PairStatus::LimitOnly,
            })
        );
        assert_eq!(
            parse("trade ETH/USD 3000.5 0.25").unwrap(),
            Some(Control::Trade {
                symbol: "ETH/USD".to_owned(),
                price: "3000.5".parse().unwrap(),
                qty: "0.25".parse().unwrap(),
            })
        );
        assert_eq!(
            parse("faults drop-acks close-after=10").unwrap(),
            Some(Control::Faults(
                FaultPlan::new().drop_acks(true).close_after(10)
            ))
        );
        assert_eq!(
            parse("faults").unwrap(),
            Some(Control::Faults(FaultPlan::new()))
        );
    }

    #[test]
    fn bad_lines_name_the_problem() {
        let err = |line: &str| parse(line).unwrap_err();
        assert!(err("explode").contains("unknown command \"explode\""));
        assert!(err("cut now").contains("usage: cut"));
        assert!(err("refuse many").contains("N must be a whole number"));
        assert!(err("refuse-for -1").contains("SECONDS must be"));
        assert!(err("mute maybe").contains("expected on or off"));
        assert!(err("status closed").contains("unknown status \"closed\""));
        assert!(err("pair-status BTC/USD").contains("usage: pair-status SYMBOL STATE"));
        assert_eq!(
            err("pair-status BTC/USD closed"),
            "unknown pair status \"closed\": expected online, cancel_only, post_only, \
             limit_only, reduce_only, maintenance, delisted or work_in_progress"
        );
        assert!(err("trade BTC/USD abc 1").contains("PRICE must be a decimal"));
        assert!(err("faults delay-acks=soon").contains("delay-acks must be a whole number"));
        assert!(err("faults explode").contains("unknown fault \"explode\""));
    }
}
