//! Central agencies after the March 2025 restructuring, and the agencies merged into them.
//!
//! Source: Resolution 176/2025/QH15 (Government structure, 18/2/2025) and the Party's 2025
//! reorganisation, as summarised in DOMAIN.md. Codes are the usual Vietnamese abbreviations, not
//! official codes (central agencies have none).

/// (code, kind, Vietnamese, English, French)
pub const CURRENT: &[(&str, &str, &str, &str, &str)] = &[
    ("BCDTW", "party_agency", "Ban Chỉ đạo Trung ương về phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số", "Central Steering Committee on Science, Technology, Innovation and Digital Transformation", "Comité directeur central pour la science, la technologie, l'innovation et la transformation numérique"),
    ("VPTW", "party_agency", "Văn phòng Trung ương Đảng", "Party Central Office", "Bureau central du Parti"),
    ("BTCTW", "party_agency", "Ban Tổ chức Trung ương", "Central Organisation Commission", "Commission centrale d'organisation"),
    ("UBKTTW", "party_agency", "Ủy ban Kiểm tra Trung ương", "Central Inspection Commission", "Commission centrale d'inspection"),
    ("BTGDVTW", "party_agency", "Ban Tuyên giáo và Dân vận Trung ương", "Central Propaganda and Mass Mobilisation Commission", "Commission centrale de la propagande et de la mobilisation"),
    ("BCSCLTW", "party_agency", "Ban Chính sách, chiến lược Trung ương", "Central Policy and Strategy Commission", "Commission centrale des politiques et stratégies"),
    ("BQP", "central_agency", "Bộ Quốc phòng", "Ministry of National Defence", "Ministère de la Défense nationale"),
    ("BCA", "central_agency", "Bộ Công an", "Ministry of Public Security", "Ministère de la Sécurité publique"),
    ("BNG", "central_agency", "Bộ Ngoại giao", "Ministry of Foreign Affairs", "Ministère des Affaires étrangères"),
    ("BNV", "central_agency", "Bộ Nội vụ", "Ministry of Home Affairs", "Ministère de l'Intérieur"),
    ("BTP", "central_agency", "Bộ Tư pháp", "Ministry of Justice", "Ministère de la Justice"),
    ("BTC", "central_agency", "Bộ Tài chính", "Ministry of Finance", "Ministère des Finances"),
    ("BCT", "central_agency", "Bộ Công Thương", "Ministry of Industry and Trade", "Ministère de l'Industrie et du Commerce"),
    ("BNNMT", "central_agency", "Bộ Nông nghiệp và Môi trường", "Ministry of Agriculture and Environment", "Ministère de l'Agriculture et de l'Environnement"),
    ("BXD", "central_agency", "Bộ Xây dựng", "Ministry of Construction", "Ministère de la Construction"),
    ("BVHTTDL", "central_agency", "Bộ Văn hóa, Thể thao và Du lịch", "Ministry of Culture, Sports and Tourism", "Ministère de la Culture, des Sports et du Tourisme"),
    ("BKHCN", "central_agency", "Bộ Khoa học và Công nghệ", "Ministry of Science and Technology", "Ministère des Sciences et des Technologies"),
    ("BGDDT", "central_agency", "Bộ Giáo dục và Đào tạo", "Ministry of Education and Training", "Ministère de l'Éducation et de la Formation"),
    ("BYT", "central_agency", "Bộ Y tế", "Ministry of Health", "Ministère de la Santé"),
    ("BDTTG", "central_agency", "Bộ Dân tộc và Tôn giáo", "Ministry of Ethnic Minorities and Religions", "Ministère des Minorités ethniques et des Religions"),
    ("VPCP", "central_agency", "Văn phòng Chính phủ", "Government Office", "Bureau du Gouvernement"),
    ("TTCP", "central_agency", "Thanh tra Chính phủ", "Government Inspectorate", "Inspection générale du Gouvernement"),
    ("NHNN", "central_agency", "Ngân hàng Nhà nước Việt Nam", "State Bank of Vietnam", "Banque d'État du Viêt Nam"),
    ("VTV", "central_agency", "Đài Truyền hình Việt Nam", "Vietnam Television", "Télévision du Viêt Nam"),
    ("VOV", "central_agency", "Đài Tiếng nói Việt Nam", "Voice of Vietnam", "La Voix du Viêt Nam"),
    ("TTXVN", "central_agency", "Thông tấn xã Việt Nam", "Vietnam News Agency", "Agence vietnamienne d'information"),
    ("VAST", "central_agency", "Viện Hàn lâm Khoa học và Công nghệ Việt Nam", "Vietnam Academy of Science and Technology", "Académie des sciences et technologies du Viêt Nam"),
    ("VASS", "central_agency", "Viện Hàn lâm Khoa học xã hội Việt Nam", "Vietnam Academy of Social Sciences", "Académie des sciences sociales du Viêt Nam"),
];

/// Departments created for the demo so that agencies have a subtree: (parent code, code, vi, en, fr).
pub const DEPARTMENTS: &[(&str, &str, &str, &str, &str)] = &[
    ("BKHCN", "BKHCN-CDS", "Cục Chuyển đổi số quốc gia", "National Digital Transformation Agency", "Agence nationale de la transformation numérique"),
    ("BKHCN", "BKHCN-DMST", "Cục Đổi mới sáng tạo", "National Innovation Agency", "Agence nationale de l'innovation"),
];

/// Agencies that ceased to exist in the 2025 mergers: (code, kind, vi, en, fr, [(successor code, full|partial)], valid-to).
pub type Former = (&'static str, &'static str, &'static str, &'static str, &'static str, &'static [(&'static str, &'static str)], &'static str);

pub const FORMER: &[Former] = &[
    ("BKHDT", "central_agency", "Bộ Kế hoạch và Đầu tư", "Ministry of Planning and Investment", "Ministère du Plan et de l'Investissement", &[("BTC", "full")], "2025-02-28"),
    ("BTTTT", "central_agency", "Bộ Thông tin và Truyền thông", "Ministry of Information and Communications", "Ministère de l'Information et des Communications", &[("BKHCN", "full")], "2025-02-28"),
    ("BTNMT", "central_agency", "Bộ Tài nguyên và Môi trường", "Ministry of Natural Resources and Environment", "Ministère des Ressources naturelles et de l'Environnement", &[("BNNMT", "full")], "2025-02-28"),
    ("BNNPTNT", "central_agency", "Bộ Nông nghiệp và Phát triển nông thôn", "Ministry of Agriculture and Rural Development", "Ministère de l'Agriculture et du Développement rural", &[("BNNMT", "full")], "2025-02-28"),
    ("BGTVT", "central_agency", "Bộ Giao thông vận tải", "Ministry of Transport", "Ministère des Transports", &[("BXD", "full")], "2025-02-28"),
    ("BLDTBXH", "central_agency", "Bộ Lao động - Thương binh và Xã hội", "Ministry of Labour, Invalids and Social Affairs", "Ministère du Travail, des Invalides et des Affaires sociales", &[("BNV", "partial"), ("BGDDT", "partial"), ("BYT", "partial")], "2025-02-28"),
    ("UBDT", "central_agency", "Ủy ban Dân tộc", "Committee for Ethnic Minority Affairs", "Comité des affaires ethniques", &[("BDTTG", "full")], "2025-02-28"),
    ("BTGTW", "party_agency", "Ban Tuyên giáo Trung ương", "Central Propaganda and Education Commission", "Commission centrale de la propagande et de l'éducation", &[("BTGDVTW", "full")], "2025-01-31"),
    ("BDVTW", "party_agency", "Ban Dân vận Trung ương", "Central Mass Mobilisation Commission", "Commission centrale de la mobilisation", &[("BTGDVTW", "full")], "2025-01-31"),
    ("BKTTW", "party_agency", "Ban Kinh tế Trung ương", "Central Economic Commission", "Commission économique centrale", &[("BCSCLTW", "full")], "2025-01-31"),
];
