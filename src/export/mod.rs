//! Exports to the tools teams already run: Prometheus (text exposition
//! format, for node_exporter's textfile collector or a pushgateway),
//! OpenTelemetry (OTLP/HTTP JSON logs), and flat CSV/JSONL files, and
//! starting the first two in the background after the log changed.

pub mod background;
pub mod flat;
pub mod otlp;
pub mod prometheus;
