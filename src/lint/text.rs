//! Byte offsets to line and column, for rules that scan raw text.

use crate::yaml::Pos;

/// Start offsets of every line of a text.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes the line starts of `text`.
    pub fn new(text: &str) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Self { starts }
    }

    /// The position of a byte offset in `text` (column counted in characters).
    pub fn pos(&self, text: &str, offset: usize) -> Pos {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let col = text
            .get(start..offset)
            .map_or(offset.saturating_sub(start), |s| s.chars().count());
        Pos::new(
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(col + 1).unwrap_or(u32::MAX),
        )
    }

    /// The byte range of 1-based line `line`, without its newline.
    pub fn line_range(&self, text: &str, line: u32) -> Option<(usize, usize)> {
        let i = usize::try_from(line).ok()?.checked_sub(1)?;
        let start = *self.starts.get(i)?;
        let end = self
            .starts
            .get(i + 1)
            .map_or(text.len(), |next| next.saturating_sub(1));
        let end = if text.as_bytes().get(end.saturating_sub(1)) == Some(&b'\r') && end > start {
            end - 1
        } else {
            end
        };
        Some((start, end.max(start)))
    }

    /// The text of 1-based line `line`, without its newline.
    pub fn line<'t>(&self, text: &'t str, line: u32) -> Option<&'t str> {
        let (start, end) = self.line_range(text, line)?;
        text.get(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_lines_and_character_columns() {
        let text = "ab\nçd x\n\nlast";
        let idx = LineIndex::new(text);
        assert_eq!(idx.pos(text, 0), Pos::new(1, 1));
        assert_eq!(idx.pos(text, text.find('x').unwrap()), Pos::new(2, 4));
        assert_eq!(idx.pos(text, text.find("last").unwrap()), Pos::new(4, 1));
        assert_eq!(idx.line(text, 2), Some("çd x"));
        assert_eq!(idx.line(text, 3), Some(""));
        assert_eq!(idx.line(text, 4), Some("last"));
        assert_eq!(idx.line(text, 5), None);
        assert_eq!(idx.line(text, 0), None);
    }

    #[test]
    fn crlf_lines_drop_the_carriage_return() {
        let text = "a: 1\r\nb: 2\r\n";
        assert_eq!(LineIndex::new(text).line(text, 1), Some("a: 1"));
    }
}
