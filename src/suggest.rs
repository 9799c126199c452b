//! "Did you mean" suggestions for misspelt field names, words and rules.

/// The candidate closest to `word`, when it is close enough to be a typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word_lower = word.to_lowercase();
    let word_len = word.chars().count();
    candidates
        .into_iter()
        .filter_map(|candidate| {
            // One typo in a short word, up to a third of a long one.
            let candidate_len = candidate.chars().count();
            let allowed = (candidate_len.max(word_len) / 3).max(1);
            // No fewer edits than the lengths differ: most candidates are
            // ruled out before the distance is computed.
            if candidate_len.abs_diff(word_len) > allowed {
                return None;
            }
            // Two letters swapped (`titel`) is the commonest typo: one edit.
            let distance = strsim::osa_distance(&word_lower, &candidate.to_lowercase());
            // Some of the word must be right: `Z` is no typo of `A`.
            (distance <= allowed && distance < word_len).then_some((distance, candidate))
        })
        // Between equally near candidates, the one that starts like the word.
        .min_by_key(|&(distance, candidate)| {
            let shared = word_lower
                .chars()
                .zip(candidate.chars())
                .take_while(|(a, b)| a == b)
                .count();
            (distance, std::cmp::Reverse(shared), candidate)
        })
        .map(|(_, candidate)| candidate)
}

/// The candidate that `word` starts with or is the start of, ignoring case
/// and `_` (`dueDate` for `due`, `measure` for `measurements`), when only
/// one does and it is at least three letters long.
pub fn sharing_a_start<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let squeeze = |text: &str| -> String {
        text.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect()
    };
    let word = squeeze(word);
    let mut found = candidates.into_iter().filter(|candidate| {
        let candidate = squeeze(candidate);
        candidate.len() >= 3
            && word.len() >= 3
            && (word.starts_with(&candidate) || candidate.starts_with(&word))
    });
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests {
    use super::{closest, sharing_a_start};

    #[test]
    fn a_word_that_starts_like_one_candidate_gets_it() {
        let fields = ["id", "title", "due", "done", "outcome", "result"];
        assert_eq!(sharing_a_start("dueDate", fields), Some("due"));
        assert_eq!(sharing_a_start("out", fields), Some("outcome"));
        // Too short to say, or more than one: nothing.
        assert_eq!(sharing_a_start("do", fields), None);
        assert_eq!(sharing_a_start("d", ["due", "done"]), None);
        assert_eq!(sharing_a_start("dxx", fields), None);
    }

    #[test]
    fn close_words_are_suggested() {
        let fields = [
            "milestones",
            "metrics",
            "title",
            "status",
            "start",
            "end",
            "owner",
        ];
        assert_eq!(closest("mielstones", fields), Some("milestones"));
        assert_eq!(closest("Title", fields), Some("title"));
        assert_eq!(closest("stauts", fields), Some("status"));
        assert_eq!(closest("budget", fields), None);
        // Two letters swapped count as one typo, in short words too.
        for (typo, meant) in [
            ("titel", "title"),
            ("ownre", "owner"),
            ("strat", "start"),
            ("edn", "end"),
            ("satrt", "start"),
        ] {
            assert_eq!(closest(typo, fields), Some(meant), "{typo}");
        }
        assert_eq!(closest("dnoe", ["done", "due", "date"]), Some("done"));
        assert_eq!(closest("dtae", ["done", "due", "date"]), Some("date"));
        // Equally near: the one that starts the same way.
        assert_eq!(closest("stat", ["stay", "spat"]), Some("stay"));
        // A one-letter id is no typo of another; a letter's case is.
        assert_eq!(closest("Z", ["A", "B"]), None);
        assert_eq!(closest("b", ["A", "B"]), Some("B"));
        assert_eq!(closest("B1", ["B2", "C"]), Some("B2"));
    }
}
