//! Near-duplicate feedback with known ground truth, to measure duplicate detection (issue 16):
//! originals built from a problem, a place and details, and for each its variants as citizens
//! write them again: the same words in another order, without diacritics, with typos, in other
//! words (synonyms). Originals share much vocabulary with one another (the same problems in
//! other places, other problems in the same place), so that a detector that only counts
//! common words is caught out.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One generated text and the group of texts that say the same thing.
#[derive(Debug, Clone)]
pub struct Sample {
    pub title: String,
    pub body: String,
    /// Texts with the same group are duplicates of one another.
    pub group: usize,
    /// How it was made: original, reordered, unaccented, typos, paraphrase.
    pub variant: &'static str,
}

/// Problems, each as three citizens would describe it.
const PROBLEMS: [(&str, [&str; 3]); 10] = [
    (
        "Đèn đường hỏng",
        [
            "Hệ thống đèn chiếu sáng công cộng không hoạt động vào ban đêm, người dân đi lại rất nguy hiểm",
            "Cả dãy đèn đường tắt từ đầu tháng, buổi tối xe cộ qua lại trong bóng tối",
            "Mấy cột đèn trên tuyến đường chính bị cháy bóng, trẻ em đi học thêm về phải đi trong đêm",
        ],
    ),
    (
        "Cổng dịch vụ công báo lỗi",
        [
            "Khi nộp hồ sơ trực tuyến hệ thống báo lỗi và không nhận tệp đính kèm",
            "Tôi không thể đăng nhập cổng dịch vụ công để nộp hồ sơ, trang web liên tục báo lỗi máy chủ",
            "Hồ sơ đăng ký hộ kinh doanh gửi qua mạng bị treo ở bước thanh toán lệ phí",
        ],
    ),
    (
        "Mất sóng di động",
        [
            "Khu dân cư thường xuyên mất sóng điện thoại và không truy cập được Internet",
            "Điện thoại không gọi được vì sóng yếu, học sinh không học trực tuyến được",
            "Từ khi trạm phát sóng dời đi, cả khu không có mạng di động ổn định",
        ],
    ),
    (
        "Rác thải ùn ứ",
        [
            "Rác sinh hoạt không được thu gom nhiều ngày gây ô nhiễm và mùi hôi",
            "Bãi tập kết rác tự phát ven kênh ngày càng lớn, ruồi muỗi rất nhiều",
            "Xe thu gom rác không đến theo lịch, các hộ phải để rác trước cửa",
        ],
    ),
    (
        "Đường xuống cấp",
        [
            "Mặt đường có nhiều ổ gà lớn, xe máy thường xuyên bị ngã khi trời mưa",
            "Tuyến đường liên thôn bị sạt lở một bên, xe tải nặng vẫn chạy qua",
            "Đường bê tông nứt vỡ sau mùa mưa, bùn đất tràn ra gây trơn trượt",
        ],
    ),
    (
        "Chậm cấp chữ ký số",
        [
            "Doanh nghiệp đăng ký chữ ký số cho người đại diện nhưng chưa được cấp sau một tháng",
            "Hồ sơ xin cấp chứng thư chữ ký số của công ty đã nộp lâu mà không có phản hồi",
            "Chúng tôi cần chữ ký số để kê khai thuế điện tử nhưng đơn vị cung cấp hẹn mãi",
        ],
    ),
    (
        "Ngập úng khi mưa",
        [
            "Mỗi khi mưa lớn nước ngập sâu do cống thoát nước bị tắc nghẽn",
            "Sau mỗi trận mưa, nước tràn vào nhà dân vì mương thoát nước bị lấp",
            "Khu vực chợ bị ngập nửa mét mỗi khi có mưa, hàng hóa bị hư hại",
        ],
    ),
    (
        "Thiếu dữ liệu đất đai",
        [
            "Thông tin quy hoạch và giá đất trên cổng dữ liệu của tỉnh chưa được cập nhật",
            "Bản đồ địa chính trực tuyến không có thửa đất mới tách, không tra cứu được",
            "Dữ liệu quy hoạch sử dụng đất công bố trên mạng vẫn là bản của năm năm trước",
        ],
    ),
    (
        "Trường học thiếu máy tính",
        [
            "Phòng tin học của trường chỉ có vài máy tính cũ, học sinh không đủ máy để thực hành",
            "Máy chiếu và máy tính của lớp học đều hỏng, giáo viên phải dạy chay",
            "Trường chưa có kết nối Internet tốc độ cao để học sinh học môn tin học",
        ],
    ),
    (
        "Nước sinh hoạt có mùi",
        [
            "Nước máy cấp cho khu dân cư có màu vàng và mùi lạ, người dân phải mua nước uống",
            "Nước sinh hoạt bị đục và có cặn, nhiều hộ không dám dùng để nấu ăn",
            "Áp lực nước yếu, vòi chỉ chảy vào ban đêm và nước có mùi clo rất nặng",
        ],
    ),
];

const PLACES: [&str; 8] = [
    "thôn Ea Kao, xã Hòa Phú",
    "tổ dân phố 3, phường Tân Lập",
    "buôn Ko Sier, xã Ea Tu",
    "khu phố 5, phường Thành Nhất",
    "thôn 2, xã Cư Ê Wi",
    "đường Lê Duẩn, phường Ea Tam",
    "thôn Đoàn Kết, xã Krông Búk",
    "tổ 7, phường Tân An",
];

const DETAILS: [&str; 6] = [
    "Tình trạng này đã kéo dài hơn hai tuần",
    "Người dân đã báo cho trưởng thôn nhưng chưa được giải quyết",
    "Đề nghị cơ quan chức năng sớm kiểm tra và khắc phục",
    "Nhiều hộ gia đình bị ảnh hưởng, nhất là người già và trẻ em",
    "Đề nghị có thông báo thời gian xử lý cụ thể",
    "Đây là lần thứ ba chúng tôi phản ánh nội dung này",
];

/// Words a citizen writes in place of others.
const SYNONYMS: [(&str, &str); 16] = [
    (" tại ", " ở "),
    ("rất", "quá"),
    ("hỏng", "bị hư"),
    ("không hoạt động", "không sáng"),
    ("người dân", "bà con"),
    ("rất nguy hiểm", "mất an toàn"),
    ("đề nghị", "kiến nghị"),
    ("khắc phục", "sửa chữa"),
    ("thường xuyên", "hay"),
    ("nhiều ngày", "cả tuần"),
    ("chưa được", "vẫn chưa được"),
    ("kéo dài", "diễn ra"),
    ("sớm", "nhanh chóng"),
    ("lớn", "to"),
    ("cơ quan chức năng", "chính quyền địa phương"),
    ("hệ thống", "trang"),
];

fn sentence_case(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Two neighbouring letters swapped in `n` words of four letters or more.
fn typos(text: &str, n: usize, rng: &mut StdRng) -> String {
    let mut words: Vec<Vec<char>> = text.split(' ').map(|w| w.chars().collect()).collect();
    let able: Vec<usize> = (0..words.len())
        .filter(|&i| words[i].len() >= 4 && words[i].iter().all(|c| c.is_alphabetic()))
        .collect();
    for _ in 0..n.min(able.len()) {
        let w = &mut words[able[rng.random_range(0..able.len())]];
        if let Some(k) = (0..w.len() - 1).find(|&k| w[k] != w[k + 1]) {
            w.swap(k, k + 1);
        }
    }
    words
        .into_iter()
        .map(|w| w.into_iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

fn paraphrase(text: &str) -> String {
    let mut out = text.to_string();
    for (a, b) in SYNONYMS {
        out = out.replace(a, b);
        out = out.replace(&sentence_case(a), &sentence_case(b));
    }
    out
}

/// `groups` originals (at most 80: beyond, a problem comes back to a place it was already
/// reported at), each with its four variants; the same seed gives the same samples.
pub fn samples(groups: usize, seed: u64) -> Vec<Sample> {
    let groups = groups.min(80);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = vec![];
    for g in 0..groups {
        let (problem, ways) = PROBLEMS[g % PROBLEMS.len()];
        let what = ways[rng.random_range(0..ways.len())];
        let place = PLACES[(g / PROBLEMS.len() + g * 3) % PLACES.len()];
        let d1 = DETAILS[rng.random_range(0..DETAILS.len())];
        let mut d2 = DETAILS[rng.random_range(0..DETAILS.len())];
        while d2 == d1 {
            d2 = DETAILS[rng.random_range(0..DETAILS.len())];
        }
        let title = format!("{problem} tại {place}");
        let sentences = [
            format!("{what} tại {place}."),
            format!("{d1}."),
            format!("{d2}."),
        ];
        let body = sentences.join(" ");
        let mut push = |title: String, body: String, variant| {
            out.push(Sample {
                title,
                body,
                group: g,
                variant,
            })
        };
        push(title.clone(), body.clone(), "original");
        let reordered = [&sentences[2], &sentences[0], &sentences[1]]
            .map(|s| s.as_str())
            .join(" ");
        push(
            format!("{place}: {}", problem.to_lowercase()),
            reordered,
            "reordered",
        );
        push(
            domain::text::fold(&title),
            domain::text::fold(&body),
            "unaccented",
        );
        push(
            typos(&title, 1, &mut rng),
            typos(&body, 3, &mut rng),
            "typos",
        );
        push(paraphrase(&title), paraphrase(&body), "paraphrase");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_differ_from_their_original_and_groups_from_one_another() {
        let s = samples(20, 7);
        assert_eq!(s.len(), 100);
        for g in s.chunks(5) {
            assert!(g.iter().all(|x| x.group == g[0].group));
            for v in &g[1..] {
                assert_ne!(v.body, g[0].body, "{}", v.variant);
            }
        }
        assert_ne!(s[0].group, s[5].group);
        assert_eq!(samples(20, 7)[13].body, s[13].body, "reproducible");
    }

    /// Precision and recall of the similarity alone over every pair, at `at`.
    fn scores(s: &[Sample], at: f64) -> (f64, f64) {
        let sh: Vec<_> = s
            .iter()
            .map(|x| domain::search::shingles(&format!("{} {}", x.title, x.body)))
            .collect();
        let (mut tp, mut fp, mut fnn) = (0usize, 0usize, 0usize);
        for i in 0..s.len() {
            for j in 0..s.len() {
                if i == j {
                    continue;
                }
                let same = s[i].group == s[j].group;
                let said = domain::search::similarity(&sh[i], &sh[j]) >= at;
                match (same, said) {
                    (true, true) => tp += 1,
                    (false, true) => fp += 1,
                    (true, false) => fnn += 1,
                    _ => {}
                }
            }
        }
        (
            tp as f64 / (tp + fp).max(1) as f64,
            tp as f64 / (tp + fnn).max(1) as f64,
        )
    }

    #[test]
    fn the_duplicate_threshold_tells_near_duplicates_apart() {
        let s = samples(80, 11);
        for at in [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6] {
            let (p, r) = scores(&s, at);
            println!("at {at}: precision {p:.3} recall {r:.3}");
        }
        let (p, r) = scores(&s, domain::search::DUPLICATE_AT);
        assert!(p >= 0.9 && r >= 0.8, "precision {p:.3}, recall {r:.3}");
    }
}
