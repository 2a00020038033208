//! Pages inside frames, as a learning platform shows Plenary: switching into a page's frame,
//! and making a page an LMS-like host page around a URL.

use super::{Page, wd};
use crate::Result;
use serde_json::json;

impl Page {
    /// Switches into the page's `n`-th frame, once it is there.
    pub async fn enter_frame(&self, n: u16) -> Result<()> {
        self.find("//iframe", "the iframe").await?;
        self.client()?.enter_frame(n).await.map_err(wd)
    }

    /// Makes the page an LMS-like host page embedding `url` in an iframe, and switches into it.
    pub async fn embed(&self, url: &str) -> Result<()> {
        self.eval(
            "document.body.innerHTML = ''; const f = document.createElement('iframe'); f.src = arguments[0]; f.style.width = '320px'; f.style.height = '700px'; document.body.appendChild(f);",
            vec![json!(url)],
        )
        .await?;
        self.find("//iframe", "the iframe").await?;
        self.client()?.enter_frame(0).await.map_err(wd)
    }
}
