//! One metrics scraper: a page of the Prometheus text format, read by
//! series.

/// A scraped `/metrics` page.
pub struct MetricsPage(pub String);

impl MetricsPage {
    /// `GET {address}/metrics`.
    pub async fn scrape(address: &str) -> MetricsPage {
        let response = reqwest::get(format!("{address}/metrics")).await.unwrap();
        assert_eq!(response.status(), 200);
        MetricsPage(response.text().await.unwrap())
    }

    /// The value of `series`, written as on the page: `name` or
    /// `name{label="value",…}` with the labels in the page's order.
    pub fn value(&self, series: &str) -> Option<f64> {
        self.0
            .lines()
            .filter(|l| !l.starts_with('#'))
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .map(|v| v.trim().parse().unwrap())
    }

    /// `value`, which must be there.
    pub fn get(&self, series: &str) -> f64 {
        self.value(series)
            .unwrap_or_else(|| panic!("missing {series} in:\n{}", self.0))
    }

    /// Every line of `lines` is on the page.
    pub fn assert_has(&self, lines: &[&str]) {
        for line in lines {
            assert!(
                self.0.lines().any(|l| l == *line),
                "missing {line} in:\n{}",
                self.0
            );
        }
    }

    /// The number of series (sample lines) on the page.
    pub fn series(&self) -> usize {
        self.0
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .count()
    }
}
