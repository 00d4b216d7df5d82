//! Organisation units: kinds and the validation rules for their fields.

use serde::{Deserialize, Serialize};

use super::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    National,
    CentralAgency,
    PartyAgency,
    Province,
    Commune,
    Ward,
    SpecialZone,
    Department,
}

crate::named!(OrgKind, "unit kind");

impl OrgKind {
    pub const ALL: [OrgKind; 8] = [
        OrgKind::National,
        OrgKind::CentralAgency,
        OrgKind::PartyAgency,
        OrgKind::Province,
        OrgKind::Commune,
        OrgKind::Ward,
        OrgKind::SpecialZone,
        OrgKind::Department,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::National => "national",
            OrgKind::CentralAgency => "central_agency",
            OrgKind::PartyAgency => "party_agency",
            OrgKind::Province => "province",
            OrgKind::Commune => "commune",
            OrgKind::Ward => "ward",
            OrgKind::SpecialZone => "special_zone",
            OrgKind::Department => "department",
        }
    }

    pub fn parse(s: &str) -> Option<OrgKind> {
        OrgKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Kind of a commune-level unit from the first word(s) of its official name.
    pub fn from_commune_name(name: &str) -> OrgKind {
        if name.starts_with("Phường") {
            OrgKind::Ward
        } else if name.starts_with("Đặc khu") {
            OrgKind::SpecialZone
        } else {
            OrgKind::Commune
        }
    }

    /// Whether a unit of kind `self` may sit directly under a unit of kind `parent`.
    pub fn allowed_under(self, parent: Option<OrgKind>) -> bool {
        use OrgKind::*;
        match (self, parent) {
            (National, None) => true,
            (National, Some(_)) | (_, None) => false,
            (CentralAgency | PartyAgency | Province, Some(National)) => true,
            (Commune | Ward | SpecialZone, Some(Province)) => true,
            (Department, Some(_)) => true,
            _ => false,
        }
    }
}

pub const NAME_MAX: usize = 200;
pub const CODE_MAX: usize = 20;

/// Checks a unit name (already NFC); `field` names the field in the error.
pub fn check_name(field: &str, value: &str, required: bool) -> Option<FieldError> {
    if value.is_empty() {
        return required.then(|| FieldError::new(field, "err-required"));
    }
    if value.chars().count() > NAME_MAX {
        return Some(FieldError::new(field, "err-too-long").with("max", NAME_MAX));
    }
    if value.chars().any(char::is_control) {
        return Some(FieldError::new(field, "err-control-chars"));
    }
    None
}

/// Official codes are digits or upper-case letters, digits and dashes (e.g. GSO `01`, `00004`, agency `BKHCN`).
pub fn check_code(field: &str, value: &str) -> Option<FieldError> {
    if value.is_empty() || value.len() > CODE_MAX {
        return Some(FieldError::new(field, "err-code-format").with("max", CODE_MAX));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
    {
        return Some(FieldError::new(field, "err-code-format").with("max", CODE_MAX));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(OrgKind::parse("district"), None);
    }

    #[test]
    fn commune_kind_from_name() {
        assert_eq!(OrgKind::from_commune_name("Phường Ba Đình"), OrgKind::Ward);
        assert_eq!(OrgKind::from_commune_name("Xã Tà Xùa"), OrgKind::Commune);
        assert_eq!(
            OrgKind::from_commune_name("Đặc khu Phú Quốc"),
            OrgKind::SpecialZone
        );
    }

    #[test]
    fn hierarchy_rules() {
        use OrgKind::*;
        assert!(Province.allowed_under(Some(National)));
        assert!(Ward.allowed_under(Some(Province)));
        assert!(!Ward.allowed_under(Some(CentralAgency)));
        assert!(Department.allowed_under(Some(CentralAgency)));
        assert!(!Province.allowed_under(None));
        assert!(!National.allowed_under(Some(National)));
    }

    #[test]
    fn codes_and_names() {
        assert!(check_code("code", "00004").is_none());
        assert!(check_code("code", "BKHCN").is_none());
        assert!(check_code("code", "abc").is_some());
        assert!(check_code("code", "").is_some());
        assert!(check_name("name_vi", "", true).is_some());
        assert!(check_name("name_en", "", false).is_none());
        assert!(check_name("name_vi", &"x".repeat(201), true).is_some());
        assert!(check_name("name_vi", "a\u{0}b", true).is_some());
    }
}
