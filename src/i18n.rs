//! Labels in the reader's language: 责任单位, 完成时限, 逾期天数, 红灯 for a bureau; English
//! otherwise. JSON keys and CSV headers stay English and stable; only text for people
//! changes. Translations sit beside their use as `lang.pick("english", "中文")`.

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// `--lang` if given, else Chinese when the locale (LC_ALL, LC_MESSAGES, LANG) is zh_*.
    pub fn resolve(flag: Option<Lang>) -> Lang {
        flag.unwrap_or_else(|| {
            let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
                .iter()
                .filter_map(|v| std::env::var(v).ok())
                .find(|v| !v.is_empty())
                .unwrap_or_default();
            if locale.starts_with("zh") {
                Lang::Zh
            } else {
                Lang::En
            }
        })
    }

    pub fn pick(self, en: &'static str, zh: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }

    pub fn light(self, light: crate::judge::task::Light) -> &'static str {
        use crate::judge::task::Light;
        match light {
            Light::Red => self.pick("red", "红灯"),
            Light::Yellow => self.pick("yellow", "黄灯"),
            Light::Green => self.pick("green", "绿灯"),
        }
    }

    /// A task state's word (`done_late` → "done late", 逾期完成).
    pub fn state(self, state: &str) -> &'static str {
        match state {
            "done" => self.pick("done", "已完成"),
            "done_late" => self.pick("done late", "逾期完成"),
            "overdue" => self.pick("overdue", "逾期"),
            "due_soon" => self.pick("due soon", "即将到期"),
            "on_schedule" => self.pick("on schedule", "按计划推进"),
            _ => self.pick("ongoing", "长期推进"),
        }
    }

    pub fn target_status(self, status: crate::judge::target::TargetStatus) -> &'static str {
        use crate::judge::target::TargetStatus;
        match status {
            TargetStatus::Met => self.pick("met", "达标"),
            TargetStatus::Unmet => self.pick("unmet", "未达标"),
            TargetStatus::NoData => self.pick("no data", "无数据"),
        }
    }

    pub fn pace(self, pace: crate::judge::trend::Pace) -> &'static str {
        use crate::judge::trend::Pace;
        match pace {
            Pace::Achieved => self.pick("achieved", "已实现"),
            Pace::OnTrack => self.pick("on track", "进度正常"),
            Pace::NeedsAcceleration => self.pick("needs acceleration", "需加快"),
            Pace::OffTrack => self.pick("off track", "进度滞后"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_over_the_locale() {
        assert_eq!(Lang::resolve(Some(Lang::En)), Lang::En);
        assert_eq!(Lang::resolve(Some(Lang::Zh)), Lang::Zh);
    }

    #[test]
    fn words_come_in_both_languages() {
        use crate::judge::task::Light;
        assert_eq!(Lang::Zh.light(Light::Red), "红灯");
        assert_eq!(Lang::En.state("done_late"), "done late");
        assert_eq!(Lang::Zh.state("overdue"), "逾期");
    }
}
