//! Which tiles the page shows, and how big: a gallery in pages of `PAGE` tiles, or the speaker
//! view (one large tile: the pinned person, else the active speaker; a strip of thumbnails).
//! Pure, so it is tested without a browser; the same answer names the tiles the server is
//! asked to send video for (`View`), so nobody's video is sent that the page does not show.

use plenary_shared::ids::ParticipantId;
use plenary_shared::media::{Tile, TileSize};

/// Tiles on a gallery page (as Zoom's default gallery).
pub const PAGE: usize = 25;
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
    page: usize,
    active: Option<ParticipantId>,
    pinned: Option<ParticipantId>,
) -> Arrangement {
    let present = |w: &Option<ParticipantId>| w.filter(|w| people.contains(w));
    match layout {
        Layout::Gallery => {
            let pages = people.len().div_ceil(PAGE).max(1);
            let page = page.min(pages - 1);
            let tiles: Vec<ParticipantId> = people
                .iter()
                .skip(page * PAGE)
                .take(PAGE)
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
        let first = arrange(&all, me, Layout::Gallery, 0, None, None);
        assert_eq!(first.tiles.len(), PAGE);
        assert_eq!(first.pages, 2);
        let view = first.view(me);
        assert_eq!(view.len(), PAGE - 1, "not my own video");
        assert!(view.iter().all(|t| t.size == TileSize::Thumbnail));
        let second = arrange(&all, me, Layout::Gallery, 7, None, None);
        assert_eq!(second.page, 1, "a page past the end shows the last");
        assert_eq!(second.tiles, people(30)[25..].to_vec());
        assert!(second.view(me).iter().all(|t| t.size == TileSize::Medium));
    }

    #[test]
    fn the_speaker_view_puts_the_pinned_else_the_active_speaker_on_the_stage() {
        let all = people(10);
        let me = Some(ParticipantId(1));
        let speaking = arrange(&all, me, Layout::Speaker, 0, Some(ParticipantId(7)), None);
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
            0,
            Some(ParticipantId(7)),
            Some(ParticipantId(3)),
        );
        assert_eq!(pinned.stage, Some(ParticipantId(3)));
        let myself = arrange(&all, me, Layout::Speaker, 0, me, None);
        assert_eq!(
            myself.stage,
            Some(ParticipantId(2)),
            "not my own face large"
        );
        let gone = arrange(&all, me, Layout::Speaker, 0, Some(ParticipantId(40)), None);
        assert_eq!(gone.stage, Some(ParticipantId(2)));
    }
}
