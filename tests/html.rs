//! The HTML digest: the page for the `basic` fixture compared byte for byte with the
//! expected pages in tests/expected/, escaping of hostile text in every context, and a real
//! browser drawing the page and printing it to A4.
//!
//! To accept a deliberate change of the page, run with UPDATE_EXPECTED=1 and review the diff
//! of tests/expected/.

mod common;

use govtrack::i18n::Lang;
use govtrack::render::html::digest_html;
use govtrack::report::digest::{Digest, DigestOptions, digest_with_chart};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The digest of a fresh copy of a fixture workspace, as of a date, in a language.
fn digest_of(fixture: &str, as_of: &str, lang: Lang) -> Digest {
    let dir = common::workspace(fixture);
    let ws = govtrack::workspace::Workspace::locate(Some(dir.path())).unwrap();
    let db = dir.path().join(".govtrack/index.sqlite");
    let (mut index, _) = govtrack::index::Index::open(&db).unwrap();
    index.refresh(&ws).unwrap();
    let snapshot = govtrack::index::snapshot::load(
        index.conn(),
        as_of.parse().unwrap(),
        govtrack::index::snapshot::Need::ALL,
    )
    .unwrap();
    digest_with_chart(
        index.conn(),
        &snapshot,
        &DigestOptions {
            due_soon_days: ws.due_soon_days,
            stale_after_months: ws.stale_after_months,
            lang,
            trend: None,
        },
    )
    .unwrap()
}

fn page(fixture: &str, as_of: &str, lang: Lang) -> String {
    digest_html(&digest_of(fixture, as_of, lang))
}

fn expected_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expected")
}

/// Compares `actual` with the committed expected file, or writes it under UPDATE_EXPECTED=1.
fn assert_matches_expected(name: &str, actual: &str) {
    let path = expected_dir().join(name);
    if std::env::var_os("UPDATE_EXPECTED").is_some() {
        std::fs::create_dir_all(expected_dir()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; run with UPDATE_EXPECTED=1 to write it",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "the page differs from {} at line {}:\nexpected: {:?}\nactual:   {:?}\n\
             (run with UPDATE_EXPECTED=1 to accept the change, then review the diff)",
            path.display(),
            line + 1,
            expected.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>"),
        );
    }
}

#[test]
fn the_basic_page_in_chinese_is_as_expected() {
    let html = page("basic", "2024-07-20", Lang::Zh);
    assert_eq!(
        html,
        page("basic", "2024-07-20", Lang::Zh),
        "not deterministic"
    );
    assert_matches_expected("digest-basic-zh.html", &html);
}

#[test]
fn the_basic_page_in_english_is_as_expected() {
    let html = page("basic", "2024-07-20", Lang::En);
    assert_eq!(
        html,
        page("basic", "2024-07-20", Lang::En),
        "not deterministic"
    );
    assert_matches_expected("digest-basic-en.html", &html);
}

#[test]
fn the_page_stands_alone_and_speaks_the_readers_language() {
    let zh = page("basic", "2024-07-20", Lang::Zh);
    assert!(zh.starts_with("<!DOCTYPE html>\n<html lang=\"zh-CN\">"));
    assert!(zh.contains("<meta charset=\"utf-8\">"));
    for word in [
        "截至2024年7月20日",
        "红灯",
        "黄灯",
        "绿灯",
        "牵头单位",
        "责任单位",
        "完成时限",
        "逾期天数",
        "需增加37名社区工作者",
        "50天",
        "@page { size: A4; margin: 12mm; }",
        "break-inside: avoid",
        "<thead>",
    ] {
        assert!(zh.contains(word), "the Chinese page lacks {word:?}");
    }
    // Empty sections say so.
    assert!(zh.contains("30天内没有到期的任务。"));
    assert!(zh.contains("应报的定期报告均已收到。"));
    // Nothing from the network.
    for external in [
        "http://", "https://", "<link", "<script", "@import", "url(http",
    ] {
        let allowed = external == "http://" && only_svg_namespace(&zh);
        assert!(
            allowed || !zh.contains(external),
            "the page loads {external}"
        );
    }

    let en = page("basic", "2024-07-20", Lang::En);
    assert!(en.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    for word in [
        "As of 20 July 2024",
        "Lead unit",
        "Deadline",
        "Days overdue",
        "red",
        "yellow",
        "green",
        "needs 37 more community workers",
        "Nothing falls due within 30 days.",
    ] {
        assert!(en.contains(word), "the English page lacks {word:?}");
    }
}

/// The only "http://" in the page is the SVG namespace, which is a name, not a request.
fn only_svg_namespace(html: &str) -> bool {
    html.matches("http://").count() == html.matches("http://www.w3.org/2000/svg").count()
}

#[test]
fn a_full_month_has_every_chart() {
    let html = page("digest/full", "2024-07-20", Lang::Zh);
    let svgs = html.matches("<svg ").count();
    // Overdue per lead unit, two attainment charts, the trend, two timelines.
    assert_eq!(svgs, 6, "charts drawn: {svgs}");
    assert_eq!(
        html.matches("<svg ").count(),
        html.matches("</svg>").count()
    );
    assert_eq!(
        html.matches("<svg ").count(),
        html.matches("viewBox=\"0 0 ").count(),
        "every chart scales by its viewBox"
    );
    // Every chart says what it shows.
    for svg in html.split("<svg ").skip(1) {
        let svg = &svg[..svg.find("</svg>").unwrap()];
        assert!(svg.contains(">\n<title>"), "a chart without a title");
        assert!(svg.contains("width=\"100%\""));
    }
    for word in [
        "实施步骤:城中村治理工作方案",
        "截至 2024-07-20",
        "完成时限 2024-12-31",
        "下限 18",
        "上限 30",
        "stroke-dasharray=\"5 3\"",
        "还剩16天",
        "未按时报送的定期报告",
        "报送半年工作总结",
        "各牵头单位逾期任务数",
        "按当前速度",
    ] {
        assert!(html.contains(word), "the page lacks {word:?}");
    }
    // Numbers keep at most two decimals, in the text and in the drawing.
    let long_decimal = html
        .split(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
        .any(|t| {
            t.split('.')
                .nth(1)
                .is_some_and(|f| f.len() > 2 && !f.is_empty())
        });
    assert!(!long_decimal, "a number with more than two decimals");
}

const SCRIPT: &str = "&lt;script&gt;alert(1)&lt;/script&gt;";

#[test]
fn text_from_the_workspace_is_escaped_everywhere() {
    for lang in [Lang::Zh, Lang::En] {
        let d = digest_of("digest/hostile", "2024-07-20", lang);
        // The hostile text reached every part of the page that is checked below.
        assert!(!d.overdue.is_empty() && !d.due_soon.is_empty() && !d.gaps.is_empty());
        assert!(!d.timelines.is_empty() && !d.attainment.is_empty() && d.trend.is_some());
        let html = digest_html(&d);

        assert!(
            !html.to_lowercase().contains("<script"),
            "a script element got through"
        );
        assert!(!html.contains("<img"), "an img element got through");
        assert!(
            !html.contains("<b>1</b>"),
            "markup in a task number got through"
        );
        assert!(html.contains(SCRIPT));
        assert!(html.contains("A &amp; B"));
        assert!(!html.contains("A & B"));
        assert!(html.contains("&quot;quotes&quot;"));
        assert!(!html.contains("\"quotes\""));
        assert!(html.contains("&#39;apostrophes&#39;"));
        assert!(!html.contains("'apostrophes'"));
        assert!(html.contains("onerror=&quot;alert(1)&quot;"));

        // Element text: the unit, the note, the gap phrase (which holds the metric's name).
        let unit = format!("{SCRIPT}区 &quot;quotes&quot; &#39;apostrophes&#39; A &amp; B");
        assert!(html.contains(&format!("<td class=\"u\">{unit}</td>")));
        assert!(html.contains(&format!("{SCRIPT}备注 &quot;quotes&quot;")));
        let metric = match lang {
            Lang::Zh => format!("{SCRIPT}人员 &quot;quotes&quot; A &amp; B"),
            Lang::En => format!("{SCRIPT} &#39;staff&#39; A &amp; B"),
        };
        assert!(
            html.contains(&metric),
            "the gap phrase with the metric's name"
        );

        // An attribute: the timeline's aria-label holds the policy's title.
        let policy = format!("{SCRIPT}方案 &quot;quotes&quot; &#39;apostrophes&#39; A &amp; B");
        let label = match lang {
            Lang::Zh => format!("aria-label=\"实施步骤:{policy}\""),
            Lang::En => format!("aria-label=\"Phases: {policy}\""),
        };
        assert!(html.contains(&label), "the attribute {label}");

        // Inside SVG: a <title>, and a <text> label.
        let svgs: Vec<&str> = html
            .split("<svg ")
            .skip(1)
            .map(|s| &s[..s.find("</svg>").unwrap()])
            .collect();
        assert!(
            svgs.iter()
                .any(|s| s.contains(&format!("{policy}</title>")))
        );
        // A bar's tooltip holds the whole name; its label may be shortened to fit.
        assert!(svgs.iter().any(|s| s.contains(&format!("<title>{unit}: "))));
        assert!(
            svgs.iter()
                .any(|s| s.contains(&format!("\">{SCRIPT}区 &quot;quotes&quot;")))
        );
        assert!(
            svgs.iter()
                .any(|s| s.contains(&format!("<title>{SCRIPT}阶段 A &amp; B")))
        );
    }
}

// ---- a real browser -------------------------------------------------------------------

fn chromium() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("chromium"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let p = PathBuf::from("/usr/bin/chromium");
        p.is_file().then_some(p)
    })
}

/// Runs headless Chromium on `html` with the extra arguments, waiting at most two minutes.
fn run_chromium(browser: &Path, profile: &Path, html: &Path, extra: &[String]) {
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(format!("file://{}", html.display()))
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("cannot start chromium");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            if !status.success() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    use std::io::Read;
                    let _ = e.read_to_string(&mut err);
                }
                panic!("chromium failed ({status}):\n{err}");
            }
            return;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within two minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_real_browser_draws_and_prints_the_page() {
    let Some(browser) = chromium() else {
        if std::env::var_os("GOVTRACK_REQUIRE_BROWSER").is_some_and(|v| v == "1") {
            panic!("chromium is not installed and GOVTRACK_REQUIRE_BROWSER=1");
        }
        eprintln!("skipped: chromium not installed");
        return;
    };
    let tmp = tempfile::TempDir::new().unwrap();
    let html_path = tmp.path().join("digest.html");
    std::fs::write(&html_path, page("digest/full", "2024-07-20", Lang::Zh)).unwrap();

    let png_path = tmp.path().join("digest.png");
    run_chromium(
        &browser,
        &tmp.path().join("profile-png"),
        &html_path,
        &[
            "--window-size=1240,1754".to_string(),
            format!("--screenshot={}", png_path.display()),
        ],
    );
    let bytes = std::fs::read(&png_path).expect("chromium wrote no screenshot");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        bytes.len() > 20 * 1024,
        "the screenshot is only {} bytes",
        bytes.len()
    );
    let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1240, 1754));
    let channels = info.color_type.samples();
    let colours: std::collections::HashSet<&[u8]> =
        buf[..info.buffer_size()].chunks_exact(channels).collect();
    assert!(
        colours.len() > 50,
        "the screenshot has only {} colours",
        colours.len()
    );

    let pdf_path = tmp.path().join("digest.pdf");
    run_chromium(
        &browser,
        &tmp.path().join("profile-pdf"),
        &html_path,
        &[
            "--no-pdf-header-footer".to_string(),
            format!("--print-to-pdf={}", pdf_path.display()),
        ],
    );
    let pdf = std::fs::read(&pdf_path).expect("chromium wrote no PDF");
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    assert!(pdf.len() > 10 * 1024, "the PDF is only {} bytes", pdf.len());

    // To look at what the browser made: GOVTRACK_DIGEST_OUT=DIR keeps the page, the
    // screenshot and the PDF there.
    if let Some(out) = std::env::var_os("GOVTRACK_DIGEST_OUT") {
        let out = PathBuf::from(out);
        std::fs::create_dir_all(&out).unwrap();
        for f in [&html_path, &png_path, &pdf_path] {
            std::fs::copy(f, out.join(f.file_name().unwrap())).unwrap();
        }
    }
}
