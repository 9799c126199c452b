//! "Did you mean" suggestions for misspelt field names, words and rules.

/// The candidate closest to `word`, when it is close enough to be a typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word_lower = word.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| (strsim::levenshtein(&word_lower, candidate), candidate))
        .filter(|&(distance, candidate)| {
            // One typo in a short word, up to a third of a long one.
            let allowed = (candidate.chars().count().max(word.chars().count()) / 3).max(1);
            distance <= allowed
        })
        .min_by_key(|&(distance, candidate)| (distance, candidate))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn close_words_are_suggested() {
        let fields = ["milestones", "metrics", "title", "status"];
        assert_eq!(closest("mielstones", fields), Some("milestones"));
        assert_eq!(closest("Title", fields), Some("title"));
        assert_eq!(closest("stauts", fields), Some("status"));
        assert_eq!(closest("budget", fields), None);
    }
}
