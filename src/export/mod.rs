//! Exports to the tools teams already run: Prometheus (text exposition
//! format, for node_exporter's textfile collector or a pushgateway),
//! OpenTelemetry (OTLP/HTTP JSON logs), and flat CSV/JSONL files.

pub mod flat;
pub mod otlp;
pub mod prometheus;
