//! Text normalisation shared by storage and search.
//!
//! Vietnamese arrives in NFC or NFD depending on the keyboard and the browser; every entry point
//! normalises to NFC, and search compares a folded key in which case and diacritics are gone
//! ("Đắk Lắk", "DAK LAK" and "dak lak" all fold to "dak lak").

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The longest free text a form field takes (narratives, reasons, answers): 5,000 characters.
pub const TEXT_MAX: usize = 5000;

/// NFC form with surrounding whitespace trimmed.
pub fn nfc(s: &str) -> String {
    s.trim().nfc().collect()
}

/// Lower-case, diacritic-free, single-spaced key for comparisons.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = true;
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        // đ/Đ is a letter of its own, not d plus a mark, so decomposition leaves it alone.
        let c = match c {
            'đ' | 'Đ' => 'd',
            _ => c,
        };
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
            continue;
        }
        for l in c.to_lowercase() {
            out.push(l);
        }
        last_space = false;
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// At most `max` characters, cut at the last space before the limit (never mid-word) with "…"
/// added; the text itself when it fits.
pub fn cut_at_word(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max).collect();
    // A head followed by a space already ends with a whole word.
    let whole = s.chars().nth(max) == Some(' ');
    let cut = if whole {
        head.len()
    } else {
        head.rfind(' ').filter(|i| *i > 0).unwrap_or(head.len())
    };
    format!("{}…", head[..cut].trim_end_matches([' ', ',', ';', ':']))
}

/// Escapes LIKE wildcards so that user input matches literally (used with `ESCAPE '\'`).
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn cuts_fall_between_words() {
        use super::cut_at_word;
        assert_eq!(cut_at_word("Đắk Lắk", 10), "Đắk Lắk");
        assert_eq!(
            cut_at_word("Xây dựng nền tảng đào tạo", 12),
            "Xây dựng nền…"
        );
        assert_eq!(cut_at_word("Xây dựng, nền", 10), "Xây dựng…");
        assert_eq!(cut_at_word("abcdefghij", 4), "abcd…");
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold("Tỉnh Đắk Lắk"), "tinh dak lak");
        assert_eq!(fold("DAK LAK"), "dak lak");
        assert_eq!(fold("  Thành   phố Hồ Chí Minh "), "thanh pho ho chi minh");
        assert_eq!(fold("Đường"), "duong");
    }

    #[test]
    fn nfd_and_nfc_fold_alike() {
        let nfd: String = "Nguyễn Đắk".nfd().collect();
        assert_ne!(nfd, "Nguyễn Đắk");
        assert_eq!(fold(&nfd), fold("Nguyễn Đắk"));
        assert_eq!(nfc(&nfd), "Nguyễn Đắk");
    }

    #[test]
    fn like_escape_escapes_wildcards() {
        assert_eq!(like_escape("50%_a\\"), "50\\%\\_a\\\\");
    }

    proptest! {
        #[test]
        fn fold_is_idempotent(s in "\\PC{0,40}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once.clone());
        }

        #[test]
        fn fold_ignores_case_and_normal_form(s in "[a-zA-ZàáâãèéêìíòóôõùúýăđĐơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ ]{0,30}") {
            let nfd: String = s.nfd().collect();
            prop_assert_eq!(fold(&nfd), fold(&s));
            prop_assert_eq!(fold(&s.to_uppercase()), fold(&s));
        }
    }
}
