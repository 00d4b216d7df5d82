//! What an uploaded file really is. The type is read from the content, and the name's extension
//! must agree with it: a file that lies about its type is refused.

/// A checked file, written to the data directory (content-addressed, so writing it before the
/// transaction commits leaves at worst an unreferenced copy, never a dangling row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub file_name: String,
    pub content_type: &'static str,
    pub size: i64,
    pub sha256: String,
    pub stored_as: String,
}

use super::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pdf,
    Png,
    Jpeg,
    /// Office Open XML or OpenDocument: a ZIP container.
    ZipOffice,
    /// Legacy Word/Excel: an OLE compound file.
    OleOffice,
    /// UTF-8 text without control characters other than whitespace.
    Text,
}

impl Kind {
    pub fn content_type(self, ext: &str) -> &'static str {
        match (self, ext) {
            (Kind::Pdf, _) => "application/pdf",
            (Kind::Png, _) => "image/png",
            (Kind::Jpeg, _) => "image/jpeg",
            (Kind::ZipOffice, "docx") => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            (Kind::ZipOffice, "xlsx") => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            (Kind::ZipOffice, "pptx") => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            (Kind::ZipOffice, "odt") => "application/vnd.oasis.opendocument.text",
            (Kind::ZipOffice, "ods") => "application/vnd.oasis.opendocument.spreadsheet",
            (Kind::ZipOffice, _) => "application/zip",
            (Kind::OleOffice, "doc") => "application/msword",
            (Kind::OleOffice, _) => "application/vnd.ms-excel",
            (Kind::Text, "csv") => "text/csv; charset=utf-8",
            (Kind::Text, _) => "text/plain; charset=utf-8",
        }
    }

    fn extensions(self) -> &'static [&'static str] {
        match self {
            Kind::Pdf => &["pdf"],
            Kind::Png => &["png"],
            Kind::Jpeg => &["jpg", "jpeg"],
            Kind::ZipOffice => &["docx", "xlsx", "pptx", "odt", "ods"],
            Kind::OleOffice => &["doc", "xls"],
            Kind::Text => &["txt", "csv"],
        }
    }
}

/// The kind of `bytes`, from their first bytes (or, for text, from all of them).
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    if bytes.starts_with(b"%PDF-") {
        Some(Kind::Pdf)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Kind::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Kind::Jpeg)
    } else if bytes.starts_with(b"PK\x03\x04") {
        Some(Kind::ZipOffice)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Some(Kind::OleOffice)
    } else if !bytes.is_empty()
        && std::str::from_utf8(bytes).is_ok_and(|s| {
            s.chars()
                .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        })
    {
        Some(Kind::Text)
    } else {
        None
    }
}

/// The file name's extension, lowercased.
pub fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// A file name safe to show and to send back in Content-Disposition: no path, no control
/// characters, at most 200 characters.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let s: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    super::text::nfc(&s)
}

/// Accepts an upload or says why not; returns the content type to store.
pub fn check(name: &str, bytes: &[u8], max_bytes: usize) -> Result<&'static str, FieldError> {
    if bytes.is_empty() {
        return Err(FieldError::new("file", "err-file-empty"));
    }
    if bytes.len() > max_bytes {
        return Err(
            FieldError::new("file", "err-file-too-large").with("max", max_bytes / 1_048_576)
        );
    }
    let ext = extension(name);
    let Some(kind) = sniff(bytes) else {
        return Err(FieldError::new("file", "err-file-type"));
    };
    if !kind.extensions().contains(&ext.as_str()) {
        return Err(FieldError::new("file", "err-file-type-mismatch"));
    }
    Ok(kind.content_type(&ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_it_claims_to_be() {
        assert_eq!(
            check("Báo cáo.pdf", b"%PDF-1.7 ...", 100),
            Ok("application/pdf")
        );
        assert_eq!(
            check("a.PNG", b"\x89PNG\r\n\x1a\n....", 100),
            Ok("image/png")
        );
        assert!(check("kết quả.docx", b"PK\x03\x04rest", 100).is_ok());
        assert_eq!(
            check(
                "ghi chú.txt",
                "Đã ban hành Nghị định 13/2025".as_bytes(),
                100
            ),
            Ok("text/plain; charset=utf-8")
        );
    }

    #[test]
    fn refuses_liars_and_unknowns() {
        let err = |r: Result<&str, FieldError>| r.unwrap_err().code;
        // An executable renamed to .pdf.
        assert_eq!(err(check("x.pdf", b"MZ\x90\x00\x03", 100)), "err-file-type");
        // A real PDF named .docx, a ZIP named .exe.
        assert_eq!(
            err(check("x.docx", b"%PDF-1.4", 100)),
            "err-file-type-mismatch"
        );
        assert_eq!(
            err(check("x.exe", b"PK\x03\x04", 100)),
            "err-file-type-mismatch"
        );
        // Text with NUL bytes is binary.
        assert_eq!(err(check("x.txt", b"ab\x00cd", 100)), "err-file-type");
        assert_eq!(err(check("x.txt", b"", 100)), "err-file-empty");
        assert_eq!(err(check("x.txt", b"abcdef", 5)), "err-file-too-large");
    }

    #[test]
    fn names_lose_their_paths() {
        assert_eq!(clean_name("C:\\Users\\a\\Kế hoạch.pdf"), "Kế hoạch.pdf");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\"b\r\n.pdf"), "ab.pdf");
    }
}
