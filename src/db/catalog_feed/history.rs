//! Which history of which server a feed position belongs to.

/// Which history of which server a position was read from. Transaction ids
/// only order events within one history: after a restore, a failover to a
/// standby that missed commits, or a switch to another cluster, they can
/// go back or mean something else, and a position means nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// `pg_control_system().system_identifier`: another cluster has
    /// another (`None` where the server does not say).
    pub system: Option<String>,
    /// `pg_control_checkpoint().timeline_id`: a promoted standby starts a
    /// new one.
    pub timeline: Option<i32>,
    /// The feed's `trimmed_below`, which only grows within one history.
    pub trimmed_below: u64,
}

impl History {
    /// Why `now` is not the history `self` was read from, if it is not:
    /// another server or timeline, or ids that went back.
    pub(super) fn changed(&self, now: &History, xmin: u64, below: u64) -> Option<&'static str> {
        if now.system != self.system {
            Some("another cluster")
        } else if now.timeline != self.timeline {
            Some("another timeline")
        } else if xmin < below {
            Some("transaction ids went back")
        } else if now.trimmed_below < self.trimmed_below {
            Some("the feed's trim mark went back")
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::History;

    #[test]
    fn a_position_belongs_to_one_history() {
        let at = |system: &str, timeline, trimmed_below| History {
            system: Some(system.to_owned()),
            timeline: Some(timeline),
            trimmed_below,
        };
        let read = at("7714", 1, 500);
        assert_eq!(read.changed(&at("7714", 1, 500), 900, 900), None);
        assert_eq!(read.changed(&at("7714", 1, 700), 950, 900), None);
        assert_eq!(
            read.changed(&at("8000", 1, 500), 950, 900),
            Some("another cluster")
        );
        assert_eq!(
            read.changed(&at("7714", 2, 500), 950, 900),
            Some("another timeline")
        );
        assert_eq!(
            read.changed(&at("7714", 1, 500), 850, 900),
            Some("transaction ids went back")
        );
        assert_eq!(
            read.changed(&at("7714", 1, 400), 950, 900),
            Some("the feed's trim mark went back")
        );
    }
}
