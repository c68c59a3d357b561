//! Progress of blob transfers, reported to whoever shows it (the library itself never prints).

/// Receives the progress of each blob transfer.
pub trait Progress: Send + Sync {
    /// A transfer of `total` bytes begins; `label` says what moves (`pull localhost:5000/demo/app:1.0`).
    fn start(&self, label: &str, total: u64) -> Box<dyn Transfer>;
}

/// One transfer in progress; dropping it ends it.
pub trait Transfer: Send + Sync {
    /// `bytes` more have moved.
    fn advance(&self, bytes: u64);
}

/// Progress that nobody watches.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _label: &str, _total: u64) -> Box<dyn Transfer> {
        Box::new(Silent)
    }
}

impl Transfer for Silent {
    fn advance(&self, _bytes: u64) {}
}
