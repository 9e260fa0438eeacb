//! JSON log lines: one object per line, written straight into
//! the line's buffer (no intermediate map, no serializer), with the
//! request's id and route on every line written while a request is served.
//!
//! `{"timestamp":"…Z","level":"WARN","message":"unavailable","error":"…",
//! "target":"…","request_id":"…","route":"/health/ready"}`: an event's
//! fields come after `level`, in the order it gives them; a field whose
//! value is not a number or a boolean is a string. With a span
//! current (at `debug`, or with traces exported), `span` holds its fields
//! and name.

use std::fmt::{self, Write};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

use super::request::with_current_request;

/// JSON lines (`APP__LOG__FORMAT=json`).
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let normalized = event.normalized_metadata();
        let metadata = normalized.as_ref().unwrap_or_else(|| event.metadata());
        writer.write_str("{\"timestamp\":\"")?;
        SystemTime.format_time(&mut writer)?;
        writer.write_str("\",\"level\":\"")?;
        writer.write_str(metadata.level().as_str())?;
        writer.write_char('"')?;
        let mut fields = JsonFieldsOf {
            writer: &mut writer,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_str(",\"target\":")?;
        string(&mut writer, metadata.target())?;
        with_current_request(|request| -> fmt::Result {
            writer.write_str(",\"request_id\":")?;
            string(&mut writer, &request.id)?;
            writer.write_str(",\"route\":")?;
            string(&mut writer, &request.route)
        })
        .unwrap_or(Ok(()))?;
        if let Some(span) = ctx.lookup_current() {
            writer.write_str(",\"span\":{")?;
            let extensions = span.extensions();
            if let Some(fields) = extensions.get::<FormattedFields<N>>() {
                // The span's fields as `FormatFields` wrote them: a JSON
                // object, spliced in without its braces.
                let inner = fields
                    .fields
                    .trim()
                    .strip_prefix('{')
                    .and_then(|f| f.strip_suffix('}'))
                    .unwrap_or("")
                    .trim();
                if !inner.is_empty() {
                    writer.write_str(inner)?;
                    writer.write_char(',')?;
                }
            }
            writer.write_str("\"name\":")?;
            string(&mut writer, span.name())?;
            writer.write_char('}')?;
        }
        writer.write_str("}\n")
    }
}

/// Writes an event's fields as `,"name":value` pairs. `log.*` fields (a
/// `log` record's own metadata, already in `target`) are left out, and a
/// raw identifier's `r#` is dropped.
struct JsonFieldsOf<'a, 'w> {
    writer: &'a mut Writer<'w>,
    result: fmt::Result,
}

impl JsonFieldsOf<'_, '_> {
    /// Writes `,"name":` and says whether the value should follow.
    fn key(&mut self, field: &Field) -> bool {
        let name = field.name();
        if name.starts_with("log.") || self.result.is_err() {
            return false;
        }
        // A field's name is a Rust identifier, possibly dotted: nothing in
        // it needs escaping.
        let name = name.strip_prefix("r#").unwrap_or(name);
        self.result = self
            .writer
            .write_str(",\"")
            .and_then(|_| self.writer.write_str(name))
            .and_then(|_| self.writer.write_str("\":"));
        self.result.is_ok()
    }

    fn raw(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        if self.key(field) {
            self.result = self.writer.write_fmt(value);
        }
    }
}

impl Visit for JsonFieldsOf<'_, '_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if value.is_finite() {
            self.raw(field, format_args!("{value}"));
        } else {
            self.raw(field, format_args!("null"));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.raw(field, format_args!("{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.raw(field, format_args!("{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.raw(field, format_args!("{value}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if self.key(field) {
            self.result = string(self.writer, value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.key(field) {
            self.result = self
                .writer
                .write_char('"')
                .and_then(|_| write!(Escaped(self.writer), "{value:?}"))
                .and_then(|_| self.writer.write_char('"'));
        }
    }
}

/// `value` as a JSON string.
fn string(writer: &mut impl Write, value: &str) -> fmt::Result {
    writer.write_char('"')?;
    Escaped(&mut *writer).write_str(value)?;
    writer.write_char('"')
}

/// Escapes what it is given for the inside of a JSON string (RFC 8259 §7):
/// quotes, backslashes and control characters.
struct Escaped<'a, W: Write>(&'a mut W);

impl<W: Write> Write for Escaped<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let bytes = s.as_bytes();
        // Most strings need nothing escaped: one pass with no early exit
        // (which the compiler may vectorise) says so.
        let special = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
        if !bytes.iter().fold(false, |any, &b| any | special(b)) {
            return self.0.write_str(s);
        }
        let mut plain = 0;
        for (at, &byte) in bytes.iter().enumerate() {
            let escape = match byte {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0x00..=0x1f => "",
                _ => continue,
            };
            // Every byte escaped is ASCII, so `at` is a character boundary.
            self.0.write_str(&s[plain..at])?;
            if escape.is_empty() {
                write!(self.0, "\\u{byte:04x}")?;
            } else {
                self.0.write_str(escape)?;
            }
            plain = at + 1;
        }
        self.0.write_str(&s[plain..])
    }
}

#[cfg(test)]
mod tests {
    use crate::telemetry::lines::JsonLines;
    use crate::telemetry::request::{in_request_scope, RequestScope};
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::format::JsonFields;
    use tracing_subscriber::fmt::MakeWriter;
    use tracing_subscriber::layer::SubscriberExt;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Lines {
        type Writer = Lines;
        fn make_writer(&'a self) -> Lines {
            self.clone()
        }
    }

    /// The lines `work` logs, as written and parsed.
    fn lines(work: impl FnOnce()) -> Vec<(String, serde_json::Value)> {
        let out = Lines::default();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .event_format(JsonLines)
                .fmt_fields(JsonFields::new())
                .with_writer(out.clone()),
        );
        tracing::subscriber::with_default(subscriber, work);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|line| {
                let parsed = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
                (line.to_owned(), parsed)
            })
            .collect()
    }

    #[test]
    fn fields_of_every_kind_make_valid_json() {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{7} nul \0 é ✓";
        let got = lines(|| {
            tracing::warn!(
                text = awkward,
                debug = ?vec!["a\"b"],
                shown = %"x\ny",
                count = 3u64,
                delta = -4i64,
                ratio = 0.5f64,
                nan = f64::NAN,
                flag = true,
                r#type = "raw",
                "a message with {} and \"quotes\"",
                "args"
            );
        });
        assert_eq!(got.len(), 1);
        let (text, line) = &got[0];
        // In the order written: time, level, the event's fields, target.
        let order: Vec<usize> = [
            "timestamp",
            "level",
            "message",
            "text",
            "debug",
            "shown",
            "count",
            "delta",
            "ratio",
            "nan",
            "flag",
            "type",
            "target",
        ]
        .iter()
        .map(|key| {
            text.find(&format!("\"{key}\":"))
                .unwrap_or_else(|| panic!("{key}: {text}"))
        })
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert_eq!(line.as_object().unwrap().len(), order.len(), "{text}");
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["message"], "a message with args and \"quotes\"");
        assert_eq!(line["text"], awkward);
        assert_eq!(line["debug"], "[\"a\\\"b\"]");
        assert_eq!(line["shown"], "x\ny");
        assert_eq!(line["count"], 3);
        assert_eq!(line["delta"], -4);
        assert_eq!(line["ratio"], 0.5);
        assert_eq!(line["nan"], serde_json::Value::Null);
        assert_eq!(line["flag"], true);
        assert_eq!(line["type"], "raw");
        assert_eq!(line["target"], module_path!());
        let timestamp = line["timestamp"].as_str().unwrap();
        assert!(
            timestamp.len() == 27 && timestamp.ends_with('Z') && timestamp.as_bytes()[10] == b'T',
            "{timestamp}"
        );
    }

    #[test]
    fn a_line_inside_a_request_carries_its_id_and_route() {
        let scope = RequestScope {
            id: "req-1".into(),
            route: Arc::from("/preferreditem"),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let got = lines(|| {
            tracing::info!("outside");
            runtime.block_on(in_request_scope(scope, async {
                tracing::info!("inside");
                let span = tracing::info_span!("work", queries = 2);
                let _entered = span.enter();
                tracing::info!("in a span");
            }));
        });
        assert_eq!(got.len(), 3);
        let got: Vec<_> = got.into_iter().map(|(_, line)| line).collect();
        assert_eq!(got[0].get("request_id"), None);
        assert_eq!(got[1]["request_id"], "req-1");
        assert_eq!(got[1]["route"], "/preferreditem");
        assert_eq!(got[1].get("span"), None);
        assert_eq!(got[2]["request_id"], "req-1");
        assert_eq!(
            got[2]["span"],
            serde_json::json!({"queries": 2, "name": "work"})
        );
    }
}
