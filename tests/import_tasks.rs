//! `nqtrack import tasks`: CSV and XLSX task lists with recognised or mapped headers, through
//! the real command on SQLite, and the importer's refusals on both backends.

mod common;

use std::process::Command;

use app::import::table;
use app::programmes::{ProgrammeMeta, import_table};
use store::audit::Actor;

const META: ProgrammeMeta<'static> = ProgrammeMeta {
    code: "57/KH-UBND",
    name: "Kế hoạch của tỉnh",
    document_number: "57/KH-UBND",
    document_type: "plan",
    issuer: "",
    issued_on: None,
    owner_code: "66",
};

const CSV: &str = "\u{feff}STT;Tên nhiệm vụ;Cơ quan chủ trì;Cơ quan phối hợp;Thời hạn;Nhóm\r\n\
1;Xây dựng kho dữ liệu dùng chung;Đắk Lắk;Bộ Khoa học và Công nghệ;Quý II/2026;Dữ liệu\r\n\
2;Đào tạo kỹ năng số cho cán bộ xã;Đắk Lắk;;12/2026;Nhân lực\r\n\
3;Tổ chức ngày hội đổi mới sáng tạo;Đắk Lắk;;Hằng năm;Nhân lực\r\n";

both!(a_csv_task_list_becomes_a_programme, |app| {
    let parsed = table::read_csv(CSV.as_bytes(), None).unwrap();
    let r = import_table(&app.db, &Actor::system("test"), &META, parsed, false)
        .await
        .unwrap();
    assert_eq!((r.tasks, r.groups), (3, 2), "{:?}", r.problems);
    let pid = r.programme_id.unwrap();
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT COUNT(*) FROM tasks WHERE programme_id = {pid} AND due_on IS NOT NULL"
        ))
        .await,
        2,
        "the yearly task has periods, not a due date"
    );
    let most = app.unit_id("BKHCN").await;
    assert_eq!(
        app.scalar_i64(&format!("SELECT COUNT(*) FROM assignments a JOIN tasks t ON t.id = a.task_id WHERE t.programme_id = {pid} AND a.unit_id = {most} AND a.is_lead = FALSE")).await,
        1
    );
});

both!(
    unknown_lead_agencies_and_missing_columns_write_nothing,
    |app| {
        let before = app.scalar_i64("SELECT COUNT(*) FROM tasks").await;
        let audit = app.audit_count().await;
        let bad = CSV.replace(
            "2;Đào tạo kỹ năng số cho cán bộ xã;Đắk Lắk",
            "2;Đào tạo kỹ năng số cho cán bộ xã;Sở Không Tồn Tại",
        );
        let parsed = table::read_csv(bad.as_bytes(), None).unwrap();
        let e = import_table(&app.db, &Actor::system("test"), &META, parsed, false)
            .await
            .unwrap_err();
        let fields = e.fields();
        assert_eq!(fields[0].code, "err-import-no-lead");
        assert!(
            fields
                .iter()
                .any(|f| f.params.iter().any(|(_, v)| v.contains("so khong ton tai"))),
            "{fields:?}"
        );
        assert_eq!(
            app.scalar_i64("SELECT COUNT(*) FROM tasks").await,
            before,
            "nothing half-written"
        );
        assert_eq!(app.audit_count().await, audit);
        // A file without a deadline column is refused before anything is read into the database.
        let e = table::read_csv("Tên nhiệm vụ;Cơ quan chủ trì\nA;Đắk Lắk\n".as_bytes(), None)
            .unwrap_err();
        assert!(
            matches!(e, table::TableError::MissingColumns(ref c) if c == &["deadline".to_string()]),
            "{e}"
        );
    }
);

#[test]
fn the_command_reads_csv_and_xlsx_with_a_mapping() {
    let dir = std::env::temp_dir().join(format!("nqt-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("import.db");
    let _ = std::fs::remove_file(&db);
    let bin = env!("CARGO_BIN_EXE_nqtrack");
    let run = |args: &[&str]| {
        Command::new(bin)
            .args(args)
            .env("NQTRACK_DATABASE_URL", format!("sqlite://{}", db.display()))
            .env("NQTRACK_DATA_DIR", &dir)
            .output()
            .unwrap()
    };
    let out = run(&["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = dir.join("ke-hoach.csv");
    std::fs::write(&csv, CSV).unwrap();
    let out = run(&[
        "import",
        "tasks",
        csv.to_str().unwrap(),
        "--code",
        "57/KH-UBND",
        "--name",
        "Kế hoạch",
        "--owner",
        "66",
        "--dry-run",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("3 tasks"), "{stdout}");
    // An English workbook with its own headers, named through --map.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["No", "Activity", "Owner", "Due by"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_number(1, 0, 1.0).unwrap();
    ws.write_string(1, 1, "Mở dữ liệu đất đai").unwrap();
    ws.write_string(1, 2, "Đắk Lắk").unwrap();
    ws.write_string(1, 3, "6/2026").unwrap();
    let xlsx = dir.join("plan.xlsx");
    wb.save(&xlsx).unwrap();
    let out = run(&[
        "import",
        "tasks",
        xlsx.to_str().unwrap(),
        "--code",
        "KH-2",
        "--name",
        "Plan",
        "--owner",
        "66",
        "--map",
        "code=No,title=Activity,lead=Owner,deadline=Due by",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 tasks"), "{stdout}");
    // Missing columns: exit 2, a clear message.
    let out = run(&[
        "import",
        "tasks",
        xlsx.to_str().unwrap(),
        "--code",
        "KH-3",
        "--name",
        "Plan",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("required columns not found"));
}
