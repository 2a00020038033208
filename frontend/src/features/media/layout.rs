//! Which tiles the page shows, and how big: a gallery in pages of at most `PAGE` tiles (fewer
//! when the stage is too small for that many to stay `MIN_TILE` wide: a phone), or the speaker
//! view (one large tile: the pinned person, else the active speaker; a strip of thumbnails).
//! Pure, so it is tested without a browser; the same answer names the tiles the server is
//! asked to send video for (`View`), so nobody's video is sent that the page does not show.

use plenary_shared::ids::ParticipantId;
use plenary_shared::media::{Tile, TileSize};

/// Tiles on a gallery page (as Zoom's default gallery).
pub const PAGE: usize = 25;
/// A gallery tile is never narrower than this (CSS pixels): more people go to the next page.
pub const MIN_TILE: f64 = 150.0;

/// How many gallery tiles a `width`×`height` stage shows on a page: as many as stay at least
/// `MIN_TILE` wide, from one to `PAGE`.
pub fn per_page(width: f64, height: f64) -> usize {
    (1..=PAGE)
        .rev()
        .find(|&n| fit(n, false, width, height).tile_width >= MIN_TILE)
        .unwrap_or(1)
}
/// Thumbnails under the speaker view's stage.
pub const STRIP: usize = 6;

/// How the page lays out the people of my place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    #[default]
    Gallery,
    Speaker,
}

/// What the page shows now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Arrangement {
    /// The speaker view's large tile.
    pub stage: Option<ParticipantId>,
    /// The other tiles, in order (me among them).
    pub tiles: Vec<ParticipantId>,
    /// Their size.
    pub size: Option<TileSize>,
    /// The gallery page shown (from 0) and how many there are.
    pub page: usize,
    pub pages: usize,
}

impl Arrangement {
    /// The others' tiles, stage first: what the server sends video for.
    pub fn view(&self, me: Option<ParticipantId>) -> Vec<Tile> {
        let stage = self.stage.map(|who| Tile {
            who,
            size: TileSize::Large,
        });
        let size = self.size.unwrap_or(TileSize::Thumbnail);
        stage
            .into_iter()
            .chain(self.tiles.iter().map(|&who| Tile { who, size }))
            .filter(|t| Some(t.who) != me)
            .collect()
    }
}

/// Lays out `people` (me first, then the others in a stable order).
pub fn arrange(
    people: &[ParticipantId],
    me: Option<ParticipantId>,
    layout: Layout,
    (page, per_page): (usize, usize),
    active: Option<ParticipantId>,
    pinned: Option<ParticipantId>,
) -> Arrangement {
    let present = |w: &Option<ParticipantId>| w.filter(|w| people.contains(w));
    match layout {
        Layout::Gallery => {
            let per_page = per_page.clamp(1, PAGE);
            let pages = people.len().div_ceil(per_page).max(1);
            let page = page.min(pages - 1);
            let tiles: Vec<ParticipantId> = people
                .iter()
                .skip(page * per_page)
                .take(per_page)
                .copied()
                .collect();
            let size = match tiles.len() {
                0..=2 => TileSize::Large,
                3..=9 => TileSize::Medium,
                _ => TileSize::Thumbnail,
            };
            Arrangement {
                stage: None,
                tiles,
                size: Some(size),
                page,
                pages,
            }
        }
        Layout::Speaker => {
            // The pinned person, else whoever speaks (not myself: I do not need to see me
            // large), else the first of the others.
            let stage = present(&pinned)
                .or_else(|| present(&active).filter(|a| Some(*a) != me))
                .or_else(|| people.iter().copied().find(|p| Some(*p) != me));
            let tiles = people
                .iter()
                .copied()
                .filter(|p| Some(*p) != stage)
                .take(STRIP)
                .collect();
            Arrangement {
                stage,
                tiles,
                size: Some(TileSize::Thumbnail),
                page: 0,
                pages: 1,
            }
        }
    }
}

/// The gap between tiles, in CSS pixels (the stylesheet's `--space-2`).
pub const GAP: f64 = 8.0;
/// The speaker view's strip: thumbnails at most this wide.
pub const STRIP_WIDTH: f64 = 192.0;

/// How the stage's tiles are sized: the columns of the grid and each tile's width, and the
/// large tile's width (the speaker view's stage, a shared screen) when there is one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    pub cols: usize,
    pub tile_width: f64,
    pub stage_width: Option<f64>,
}

/// Sizes `tiles` 16:9 tiles in a `width`×`height` area so that they are as large as they can be
/// without scrolling; with `stage`, one large tile above a single row of them (a strip).
pub fn fit(tiles: usize, stage: bool, width: f64, height: f64) -> Fit {
    let (width, height) = (width.max(1.0), height.max(1.0));
    let across = |cols: usize| (width - GAP * (cols as f64 - 1.0)) / cols as f64;
    if stage {
        let cols = tiles.max(1);
        let tile_width = across(cols).clamp(1.0, STRIP_WIDTH);
        let strip = if tiles == 0 {
            0.0
        } else {
            tile_width * 9.0 / 16.0 + GAP
        };
        let stage_width = width.min((height - strip).max(1.0) * 16.0 / 9.0);
        return Fit {
            cols,
            tile_width,
            stage_width: Some(stage_width),
        };
    }
    let n = tiles.max(1);
    let (mut cols, mut tile_width) = (1, 0.0);
    for c in 1..=n {
        let rows = n.div_ceil(c) as f64;
        let down = (height - GAP * (rows - 1.0)) / rows * 16.0 / 9.0;
        let w = across(c).min(down);
        if w > tile_width {
            (cols, tile_width) = (c, w);
        }
    }
    Fit {
        cols,
        tile_width: tile_width.max(1.0),
        stage_width: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people(n: u32) -> Vec<ParticipantId> {
        (1..=n).map(ParticipantId).collect()
    }

    #[test]
    fn a_gallery_shows_pages_of_twenty_five_and_asks_for_thumbnails_of_the_others() {
        let all = people(30);
        let me = Some(ParticipantId(1));
        let first = arrange(&all, me, Layout::Gallery, (0, PAGE), None, None);
        assert_eq!(first.tiles.len(), PAGE);
        assert_eq!(first.pages, 2);
        let view = first.view(me);
        assert_eq!(view.len(), PAGE - 1, "not my own video");
        assert!(view.iter().all(|t| t.size == TileSize::Thumbnail));
        let second = arrange(&all, me, Layout::Gallery, (7, PAGE), None, None);
        assert_eq!(second.page, 1, "a page past the end shows the last");
        assert_eq!(second.tiles, people(30)[25..].to_vec());
        assert!(second.view(me).iter().all(|t| t.size == TileSize::Medium));
    }

    /// The tiles' rows fit the height and their columns the width.
    fn fits(f: &Fit, n: usize, w: f64, h: f64) -> bool {
        let rows = n.div_ceil(f.cols) as f64;
        let cols = f.cols as f64;
        f.tile_width * cols + GAP * (cols - 1.0) <= w + 0.01
            && f.tile_width * 9.0 / 16.0 * rows + GAP * (rows - 1.0) <= h + 0.01
    }

    #[test]
    fn gallery_tiles_grow_to_fill_the_stage_without_scrolling() {
        // Two people on a wide stage: side by side, each half the width.
        let two = fit(2, false, 1280.0, 600.0);
        assert_eq!(two.cols, 2);
        assert!((two.tile_width - 636.0).abs() < 0.01);
        // On a phone held upright they stack.
        let phone = fit(2, false, 390.0, 600.0);
        assert_eq!(phone.cols, 1);
        for n in 1..=25 {
            for (w, h) in [(1280.0, 650.0), (390.0, 620.0), (900.0, 900.0)] {
                let f = fit(n, false, w, h);
                assert!(fits(&f, n, w, h), "{n} tiles in {w}×{h}: {f:?}");
                // No other column count gives larger tiles.
                for c in 1..=n {
                    let rows = n.div_ceil(c) as f64;
                    let other = ((w - GAP * (c as f64 - 1.0)) / c as f64)
                        .min((h - GAP * (rows - 1.0)) / rows * 16.0 / 9.0);
                    assert!(other <= f.tile_width + 0.01, "{n} in {w}×{h}: {c} columns");
                }
            }
        }
    }

    #[test]
    fn a_phone_pages_sooner_than_a_desktop() {
        assert_eq!(per_page(1264.0, 650.0), PAGE, "a desktop shows 25");
        let phone = per_page(374.0, 640.0);
        assert!((6..=16).contains(&phone), "a phone shows a few: {phone}");
        assert!(fit(phone, false, 374.0, 640.0).tile_width >= MIN_TILE);
        assert!(fit(phone + 1, false, 374.0, 640.0).tile_width < MIN_TILE);
        assert_eq!(per_page(100.0, 60.0), 1, "always one at least");
        let all = people(30);
        let small = arrange(
            &all,
            Some(ParticipantId(1)),
            Layout::Gallery,
            (1, phone),
            None,
            None,
        );
        assert_eq!(small.pages, 30usize.div_ceil(phone));
        assert_eq!(small.tiles, all[phone..2 * phone].to_vec());
    }

    #[test]
    fn the_stage_takes_what_the_strip_leaves() {
        let f = fit(6, true, 1280.0, 650.0);
        assert_eq!(f.cols, 6);
        assert!(f.tile_width <= STRIP_WIDTH);
        let stage = f.stage_width.unwrap_or_default();
        let strip = f.tile_width * 9.0 / 16.0 + GAP;
        assert!(stage * 9.0 / 16.0 + strip <= 650.0 + 0.01);
        assert!(stage > 900.0, "the stage is most of the width: {stage}");
        let alone = fit(0, true, 390.0, 600.0);
        assert_eq!(alone.stage_width, Some(390.0));
    }

    #[test]
    fn the_speaker_view_puts_the_pinned_else_the_active_speaker_on_the_stage() {
        let all = people(10);
        let me = Some(ParticipantId(1));
        let speaking = arrange(
            &all,
            me,
            Layout::Speaker,
            (0, PAGE),
            Some(ParticipantId(7)),
            None,
        );
        assert_eq!(speaking.stage, Some(ParticipantId(7)));
        assert_eq!(speaking.tiles.len(), STRIP);
        assert!(!speaking.tiles.contains(&ParticipantId(7)));
        let view = speaking.view(me);
        assert_eq!(
            view[0],
            Tile {
                who: ParticipantId(7),
                size: TileSize::Large
            }
        );
        let pinned = arrange(
            &all,
            me,
            Layout::Speaker,
            (0, PAGE),
            Some(ParticipantId(7)),
            Some(ParticipantId(3)),
        );
        assert_eq!(pinned.stage, Some(ParticipantId(3)));
        let myself = arrange(&all, me, Layout::Speaker, (0, PAGE), me, None);
        assert_eq!(
            myself.stage,
            Some(ParticipantId(2)),
            "not my own face large"
        );
        let gone = arrange(
            &all,
            me,
            Layout::Speaker,
            (0, PAGE),
            Some(ParticipantId(40)),
            None,
        );
        assert_eq!(gone.stage, Some(ParticipantId(2)));
    }
}
