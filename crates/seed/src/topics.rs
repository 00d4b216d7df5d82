//! What generated feedback is about: topics with the unit that handles them and the category
//! they belong to, written the way people write to the portal. The generator draws an item from
//! a topic, words it from the topic's phrases and a few common ones, and files it with the
//! topic's handler, so that routing suggestions have a truth to learn and to be measured against
//! (issue 16). The links between topics and units are the project's plausible reading of who
//! does what after the 2025 restructuring (telecommunications and intellectual property with the
//! Ministry of Science and Technology, the population database with the Ministry of Public
//! Security…), not an official routing table.

/// Who handles a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    /// The commune or ward the item concerns.
    Commune,
    /// The province of the unit the item concerns.
    Province,
    /// A central agency, by code.
    Agency(&'static str),
    /// The Steering Committee's standing agency (general remarks on the programme).
    Triage,
}

pub struct Topic {
    pub category: &'static str,
    pub handler: Handler,
    pub titles: &'static [&'static str],
    pub details: &'static [&'static str],
}

use Handler::*;

pub const TOPICS: &[Topic] = &[
    Topic {
        category: "public_services",
        handler: Commune,
        titles: &[
            "Bộ phận một cửa xã trả kết quả chứng thực quá hẹn",
            "Không đăng ký khai sinh trực tuyến được cho con",
            "Cán bộ một cửa hướng dẫn thủ tục chưa rõ ràng",
        ],
        details: &[
            "Tôi nộp hồ sơ chứng thực bản sao từ tuần trước nhưng đến nay bộ phận một cửa chưa trả kết quả.",
            "Khi đăng ký khai sinh, hệ thống báo thiếu thông tin cư trú dù gia đình đã khai đủ.",
            "Người dân phải đi lại nhiều lần vì mỗi lần được yêu cầu bổ sung một loại giấy tờ khác.",
            "Giấy hẹn ghi năm ngày làm việc nhưng cán bộ tiếp nhận hẹn thêm mà không nêu lý do.",
        ],
    },
    Topic {
        category: "digital_government",
        handler: Commune,
        titles: &[
            "Trang thông tin điện tử của xã không cập nhật",
            "Lịch tiếp công dân của phường không được đăng tải",
        ],
        details: &[
            "Trang thông tin của xã sau sắp xếp vẫn để tên đơn vị cũ và số điện thoại không liên lạc được.",
            "Thông báo lịch tiếp công dân và lịch làm việc của lãnh đạo phường không đăng trên trang điện tử.",
            "Văn bản chỉ đạo của xã dán ở nhà văn hóa nhưng không có bản điện tử để tra cứu.",
        ],
    },
    Topic {
        category: "human_resources",
        handler: Commune,
        titles: &[
            "Đề nghị mở lớp hướng dẫn kỹ năng số cho người cao tuổi",
            "Tổ công nghệ số cộng đồng ở thôn chưa hoạt động",
        ],
        details: &[
            "Nhiều người cao tuổi trong thôn chưa biết cài ứng dụng và thanh toán không dùng tiền mặt.",
            "Tổ công nghệ số cộng đồng đã thành lập nhưng chưa tổ chức buổi hướng dẫn nào cho bà con.",
            "Đề nghị xã bố trí buổi tối cuối tuần để người lao động có thể tham gia lớp học.",
        ],
    },
    Topic {
        category: "awareness",
        handler: Commune,
        titles: &[
            "Tuyên truyền về dịch vụ công trực tuyến ở thôn còn ít",
            "Loa truyền thanh thôn chưa phổ biến cách phòng lừa đảo qua mạng",
        ],
        details: &[
            "Bà con chưa biết có thể nộp hồ sơ qua mạng nên vẫn xếp hàng tại trụ sở xã.",
            "Gần đây nhiều người trong thôn bị lừa qua điện thoại, đề nghị loa truyền thanh phát thông tin cảnh báo.",
            "Tờ rơi hướng dẫn chỉ phát cho cán bộ thôn, người dân không được nhận.",
        ],
    },
    Topic {
        category: "digital_infrastructure",
        handler: Commune,
        titles: &[
            "Điểm wifi công cộng tại nhà văn hóa thôn bị hỏng",
            "Máy tính tra cứu tại trụ sở xã không sử dụng được",
        ],
        details: &[
            "Điểm phát wifi miễn phí ở nhà văn hóa thôn đã hỏng ba tháng, học sinh không có chỗ truy cập.",
            "Máy tra cứu thủ tục đặt ở sảnh trụ sở xã báo lỗi màn hình, không ai sửa.",
            "Đề nghị xã kiểm tra thiết bị và dán số điện thoại người phụ trách.",
        ],
    },
    Topic {
        category: "digital_infrastructure",
        handler: Province,
        titles: &[
            "Khu dân cư chưa có sóng di động ổn định",
            "Cáp quang chưa kéo đến các thôn vùng cao",
        ],
        details: &[
            "Người dân phải ra đầu xã mới gọi được điện thoại, học sinh không học trực tuyến được.",
            "Các nhà mạng chưa lắp trạm phát sóng, đề nghị tỉnh đưa khu vực vào kế hoạch phủ sóng.",
            "Nhiều hộ đăng ký internet cáp quang nhưng được trả lời chưa có hạ tầng.",
        ],
    },
    Topic {
        category: "data",
        handler: Province,
        titles: &[
            "Đề nghị công khai dữ liệu quy hoạch sử dụng đất",
            "Bản đồ quy hoạch trên cổng thông tin tỉnh đã cũ",
        ],
        details: &[
            "Bản đồ quy hoạch sử dụng đất đăng trên cổng thông tin vẫn là bản cũ, chưa cập nhật sau sáp nhập.",
            "Người dân muốn tra cứu quy hoạch thửa đất trước khi mua bán nhưng không tìm thấy dữ liệu.",
            "Đề nghị tỉnh công bố dữ liệu mở theo định dạng máy đọc được.",
        ],
    },
    Topic {
        category: "investment",
        handler: Province,
        titles: &[
            "Dự án chuyển đổi số của tỉnh chậm giải ngân",
            "Đề nghị đầu tư trung tâm dữ liệu dùng chung của tỉnh",
        ],
        details: &[
            "Dự án đầu tư phần mềm dùng chung được phê duyệt từ năm trước nhưng đến nay chưa giải ngân vốn.",
            "Mỗi sở thuê máy chủ riêng, đề nghị tỉnh đầu tư trung tâm dữ liệu dùng chung để tiết kiệm.",
            "Nhà thầu chưa được thanh toán khối lượng đã nghiệm thu.",
        ],
    },
    Topic {
        category: "enterprises",
        handler: Province,
        titles: &[
            "Thủ tục hỗ trợ doanh nghiệp khởi nghiệp sáng tạo của tỉnh rườm rà",
            "Đề nghị tỉnh mở vườn ươm doanh nghiệp công nghệ",
        ],
        details: &[
            "Hồ sơ xin hỗ trợ khởi nghiệp sáng tạo của tỉnh yêu cầu nhiều bản sao có chứng thực.",
            "Doanh nghiệp nhỏ cần chỗ làm việc chung và cố vấn, đề nghị tỉnh bố trí vườn ươm.",
            "Thời gian xét duyệt kinh phí hỗ trợ kéo dài hơn sáu tháng.",
        ],
    },
    Topic {
        category: "public_services",
        handler: Province,
        titles: &[
            "Hệ thống giải quyết thủ tục hành chính của tỉnh thường xuyên lỗi",
            "Không thanh toán trực tuyến được phí cấp giấy phép xây dựng",
        ],
        details: &[
            "Hệ thống thông tin giải quyết thủ tục hành chính của tỉnh báo lỗi khi tải bản vẽ lên.",
            "Cổng thanh toán báo giao dịch thất bại nhưng tài khoản ngân hàng đã bị trừ tiền.",
            "Hồ sơ cấp phép xây dựng nộp trực tuyến bị trả về mà không nêu lý do.",
        ],
    },
    Topic {
        category: "ai",
        handler: Province,
        titles: &[
            "Sáng kiến trợ lý ảo hướng dẫn thủ tục hành chính của tỉnh",
            "Đề xuất dùng camera thông minh giám sát giao thông trong tỉnh",
        ],
        details: &[
            "Đề xuất xây dựng trợ lý ảo trả lời câu hỏi thường gặp về thủ tục, hỗ trợ cả tiếng dân tộc.",
            "Camera có phân tích hình ảnh giúp phát hiện ùn tắc và vi phạm tại các nút giao lớn.",
            "Nhóm chúng tôi đã thử nghiệm mô hình trên dữ liệu của một huyện cũ và sẵn sàng chuyển giao.",
        ],
    },
    Topic {
        category: "intellectual_property",
        handler: Agency("BKHCN"),
        titles: &[
            "Hồ sơ đăng ký sáng chế bị chậm thẩm định",
            "Đề nghị rút ngắn thời gian cấp văn bằng bảo hộ nhãn hiệu",
        ],
        details: &[
            "Hồ sơ đăng ký sáng chế của chúng tôi nộp từ đầu năm đến nay chưa có kết quả thẩm định hình thức.",
            "Thời gian chờ cấp văn bằng bảo hộ nhãn hiệu hơn hai năm làm doanh nghiệp mất cơ hội xuất khẩu.",
            "Đề nghị công khai tiến độ xử lý đơn sở hữu công nghiệp trên cổng trực tuyến.",
        ],
    },
    Topic {
        category: "institutions",
        handler: Agency("BKHCN"),
        titles: &[
            "Kiến nghị đơn giản hóa thủ tục chứng nhận doanh nghiệp khoa học và công nghệ",
            "Đề nghị sớm ban hành cơ chế thử nghiệm có kiểm soát",
        ],
        details: &[
            "Hồ sơ chứng nhận doanh nghiệp khoa học và công nghệ yêu cầu nhiều giấy tờ trùng lặp.",
            "Doanh nghiệp công nghệ tài chính cần khung pháp lý thử nghiệm có kiểm soát để triển khai sản phẩm mới.",
            "Quy định về khoán chi nhiệm vụ khoa học chưa có hướng dẫn thống nhất.",
        ],
    },
    Topic {
        category: "digital_infrastructure",
        handler: Agency("BKHCN"),
        titles: &[
            "Tin nhắn rác và cuộc gọi lừa đảo ngày càng nhiều",
            "Đề nghị sớm phủ sóng 5G và giảm giá cước",
        ],
        details: &[
            "Mỗi ngày tôi nhận hàng chục tin nhắn rác quảng cáo và cuộc gọi mạo danh, đề nghị xử lý nhà mạng.",
            "Giá cước dữ liệu di động 5G còn cao so với thu nhập, đề nghị có gói cước cho học sinh.",
            "Đề nghị quản lý chặt việc bán sim đã kích hoạt sẵn.",
        ],
    },
    Topic {
        category: "ai",
        handler: Agency("BKHCN"),
        titles: &[
            "Kiến nghị ban hành hướng dẫn đạo đức trí tuệ nhân tạo",
            "Đề nghị xây dựng bộ dữ liệu tiếng Việt mở cho trí tuệ nhân tạo",
        ],
        details: &[
            "Các mô hình trí tuệ nhân tạo đang được dùng rộng rãi nhưng chưa có hướng dẫn về trách nhiệm và minh bạch.",
            "Nhà nghiên cứu trong nước thiếu dữ liệu tiếng Việt có gán nhãn để huấn luyện mô hình ngôn ngữ.",
            "Đề nghị có quy định về dán nhãn nội dung do trí tuệ nhân tạo tạo ra.",
        ],
    },
    Topic {
        category: "data",
        handler: Agency("BCA"),
        titles: &[
            "Thông tin trên ứng dụng định danh điện tử không khớp với căn cước",
            "Đề nghị liên thông dữ liệu dân cư với các thủ tục khác",
        ],
        details: &[
            "Ứng dụng định danh điện tử hiển thị sai ngày cấp căn cước nên không làm được thủ tục trực tuyến.",
            "Cơ sở dữ liệu quốc gia về dân cư đã có thông tin nhưng nhiều nơi vẫn yêu cầu nộp bản sao giấy tờ.",
            "Tài khoản định danh mức hai bị khóa sau khi đổi số điện thoại.",
        ],
    },
    Topic {
        category: "human_resources",
        handler: Agency("BGDDT"),
        titles: &[
            "Đề nghị đưa kỹ năng số và trí tuệ nhân tạo vào chương trình phổ thông",
            "Đề nghị tăng học bổng cho sinh viên ngành bán dẫn",
        ],
        details: &[
            "Học sinh phổ thông cần được học lập trình và sử dụng trí tuệ nhân tạo an toàn từ sớm.",
            "Các trường đại học thiếu phòng thí nghiệm vi mạch, sinh viên ngành bán dẫn khó thực hành.",
            "Đề nghị có chính sách học bổng và ký túc xá cho sinh viên các ngành công nghệ chiến lược.",
        ],
    },
    Topic {
        category: "investment",
        handler: Agency("BTC"),
        titles: &[
            "Quy định thuế với chi phí nghiên cứu và phát triển còn vướng",
            "Đề nghị thành lập quỹ đầu tư mạo hiểm có vốn nhà nước",
        ],
        details: &[
            "Doanh nghiệp trích lập quỹ phát triển khoa học nhưng cơ quan thuế không chấp nhận một số khoản chi.",
            "Các công ty khởi nghiệp công nghệ khó gọi vốn giai đoạn đầu, cần quỹ đầu tư mạo hiểm đồng hành.",
            "Thủ tục quyết toán kinh phí nhiệm vụ khoa học còn nặng về hóa đơn chứng từ.",
        ],
    },
    Topic {
        category: "international",
        handler: Agency("BNG"),
        titles: &[
            "Đề nghị đơn giản hóa thị thực cho chuyên gia công nghệ nước ngoài",
            "Kiến nghị chính sách thu hút nhà khoa học người Việt ở nước ngoài",
        ],
        details: &[
            "Chuyên gia nước ngoài sang làm việc ngắn hạn phải chờ thị thực hơn một tháng.",
            "Nhiều nhà khoa học người Việt ở nước ngoài muốn về nước nhưng chưa rõ chế độ đãi ngộ.",
            "Đề nghị các cơ quan đại diện ở nước ngoài có đầu mối kết nối chuyên gia.",
        ],
    },
    Topic {
        category: "enterprises",
        handler: Agency("BCT"),
        titles: &[
            "Đề nghị hỗ trợ doanh nghiệp nhỏ bán hàng trên sàn thương mại điện tử",
            "Hàng giả bán tràn lan trên sàn thương mại điện tử",
        ],
        details: &[
            "Hộ kinh doanh nhỏ chưa biết cách đưa sản phẩm lên sàn thương mại điện tử và xuất khẩu trực tuyến.",
            "Nhiều gian hàng trên sàn thương mại điện tử bán hàng giả nhãn hiệu của doanh nghiệp chúng tôi.",
            "Đề nghị có quy định rõ về trách nhiệm của sàn với người bán.",
        ],
    },
    Topic {
        category: "public_services",
        handler: Agency("BYT"),
        titles: &[
            "Sổ sức khỏe điện tử không hiển thị lịch sử khám bệnh",
            "Bệnh viện chưa chấp nhận đơn thuốc điện tử",
        ],
        details: &[
            "Sổ sức khỏe điện tử trên ứng dụng không có kết quả các lần khám trước tại bệnh viện tuyến tỉnh.",
            "Nhà thuốc yêu cầu đơn giấy dù bác sĩ đã kê đơn thuốc điện tử.",
            "Đề nghị liên thông hồ sơ bệnh án điện tử giữa các bệnh viện.",
        ],
    },
    Topic {
        category: "digital_government",
        handler: Agency("BNV"),
        titles: &[
            "Đề nghị thống nhất phần mềm quản lý văn bản của các xã sau sắp xếp",
            "Chữ ký số của cán bộ hết hạn chưa được gia hạn",
        ],
        details: &[
            "Sau sắp xếp, các xã dùng nhiều phần mềm quản lý văn bản khác nhau nên không gửi nhận được văn bản điện tử.",
            "Nhiều cán bộ xã mới chưa được cấp chứng thư chữ ký số, văn bản vẫn phải ký tay.",
            "Đề nghị hướng dẫn chế độ lưu trữ hồ sơ điện tử thống nhất.",
        ],
    },
    Topic {
        category: "data",
        handler: Agency("BNNMT"),
        titles: &[
            "Dữ liệu đất đai chưa được số hóa đầy đủ",
            "Đề nghị xây dựng hệ thống truy xuất nguồn gốc nông sản",
        ],
        details: &[
            "Hồ sơ địa chính cũ chưa được số hóa nên thủ tục đăng ký biến động đất đai kéo dài.",
            "Nông dân và hợp tác xã cần mã truy xuất nguồn gốc để đưa nông sản vào siêu thị và xuất khẩu.",
            "Dữ liệu quan trắc môi trường chưa được công khai cho người dân theo dõi.",
        ],
    },
    Topic {
        category: "awareness",
        handler: Triage,
        titles: &[
            "Góp ý chung về thực hiện Nghị quyết 57",
            "Kiến nghị đẩy nhanh tiến độ thực hiện các nhiệm vụ chuyển đổi số",
        ],
        details: &[
            "Tôi theo dõi việc thực hiện Nghị quyết và thấy nhiều nhiệm vụ còn chậm so với kế hoạch.",
            "Đề nghị Ban Chỉ đạo công khai kết quả thực hiện của từng bộ, ngành và địa phương.",
            "Cần có cơ chế khen thưởng các tập thể, cá nhân có sáng kiến thiết thực.",
        ],
    },
];

/// Sentences anyone might add, whatever the topic.
pub const COMMON: &[&str] = &[
    "Đề nghị cơ quan có thẩm quyền xem xét, giải quyết.",
    "Mong sớm nhận được phản hồi.",
    "Tôi đã phản ánh qua đường dây nóng nhưng chưa được trả lời.",
    "Xin cảm ơn.",
    "Việc này ảnh hưởng đến nhiều hộ gia đình trong khu vực.",
    "Tôi sẵn sàng cung cấp thêm thông tin nếu cần.",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every topic can be worded, and names a ministry the hierarchy has.
    #[test]
    fn topics_are_complete() {
        let codes: Vec<&str> = crate::agencies::CURRENT.iter().map(|a| a.0).collect();
        for t in TOPICS {
            assert!(
                !t.titles.is_empty() && !t.details.is_empty(),
                "{}",
                t.titles[0]
            );
            assert!(t.details.iter().all(|d| d.chars().count() >= 20));
            if let Handler::Agency(code) = t.handler {
                assert!(codes.contains(&code), "{code}");
            }
        }
    }
}
