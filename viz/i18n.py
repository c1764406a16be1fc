"""English and Chinese text of the dashboard: interface words, parameter, unit and outcome labels.

Reform, office and preset names come from their own declarations (`label_en`/`label_zh`,
`name_en`/`name_zh`, `description`/`description_zh`); only what has no Chinese name elsewhere is
translated here. `tests/viz/test_dashboard_units.py` checks every parameter, unit and outcome
has both.
"""

from __future__ import annotations

import re
from typing import Any

LANGUAGES = ("en", "zh")
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}

# Interface words: key -> (English, Chinese).
UI: dict[str, tuple[str, str]] = {
    "title": ("govsim — government service reform", "govsim — 政府服务改革模拟"),
    "nav_dashboard": ("Dashboard", "仪表盘"),
    "nav_results": ("Experiment results", "实验结果"),
    "nav_compare": ("Side by side", "方案对比"),
    "nav_classroom": ("Classroom", "课堂游戏"),
    "cmp_title": ("Reform packages side by side", "改革方案并排对比"),
    "cmp_setup": ("Packages on one city and one seed", "同一城市、同一随机种子上的方案"),
    "cmp_apply_hint": (
        "Reset applies the preset, the seed and every package below.",
        "点击“重置”后，预设情景、随机种子和下面各方案生效。",
    ),
    "cmp_not_applied": ("Not applied", "未生效"),
    "cmp_package_name": ("Package name", "方案名称"),
    "cmp_remove": ("Remove this package", "删除此方案"),
    "cmp_add": ("Add a package", "添加方案"),
    "cmp_outcome": ("Outcome", "结果指标"),
    "cmp_status": (
        "Day {day} of {days}, seed {seed}: every package runs the same city with the same "
        "random numbers, so the lines differ only by their reforms",
        "第 {day} 天（共 {days} 天），随机种子 {seed}：各方案运行同一城市、同一组随机数，"
        "曲线的差别只来自改革",
    ),
    "cmp_table_note": (
        "Today's values; in brackets, the difference from the first package.",
        "当日数值；括号内为与第一个方案之差。",
    ),
    "scenario": ("Scenario", "情景"),
    "preset": ("Preset", "预设情景"),
    "lesson": ("Teaching mode: lesson", "教学模式：课程"),
    "no_lesson": ("— no lesson —", "— 不选课程 —"),
    "compare": (
        "Compare with baseline (no reforms, same seed)",
        "与基线比较（无改革，同一随机种子）",
    ),
    "all_parameters": ("Show every parameter", "显示全部参数"),
    "seed": ("Seed (a whole number)", "随机种子（整数）"),
    "reform_on": ("{label}: on", "{label}：实施"),
    "reform_start": ("{label}: start day", "{label}：开始日"),
    "reform_intensity": ("{label}: intensity", "{label}：力度"),
    "reforms_in": ("Reforms below apply to city “{city}”", "以下改革作用于城市“{city}”"),
    "share_download": ("Download this setup", "下载当前设置"),
    "share_link": ("Link to this setup", "当前设置的链接"),
    "share_upload": ("Load a preset file", "载入预设文件"),
    "share_upload_tip": (
        "Run a preset TOML file: one downloaded here, or your own",
        "运行一个预设情景文件（TOML）：在此下载的，或自己编写的",
    ),
    "share_error": ("Not loaded", "未能载入"),
    "reforms_per_city": (
        "Each city has its own reforms in the sidebar.",
        "每座城市的改革在侧栏中分别设置。",
    ),
    "apply_hint": (
        "Change the settings in the sidebar, then press RESET to rebuild the city.",
        "在侧栏修改设置后，按“重置”重建城市。",
    ),
    "setup_changed": (
        "Changed from the preset, since the last Reset: ",
        "相对预设的改动（上次重置后）：",
    ),
    "setup_reform": (
        "{label} from day {start}, intensity {intensity:g}",
        "{label}，第 {start} 天起，力度 {intensity:g}",
    ),
    "setup_seed": ("seed {seed}", "随机种子 {seed}"),
    "controls": ("Controls", "运行控制"),
    "parameters": ("Model parameters", "模型参数"),
    "step": ("Step", "单步"),
    "reset": ("Reset", "重置"),
    "play_tip": ("Play: one day after another", "连续运行"),
    "pause_tip": ("Pause", "暂停"),
    "building": ("Building the city…", "正在构建城市……"),
    "play_error": (
        "The run stopped on an error (in the server log)",
        "运行因错误而停止（详见服务器日志）",
    ),
    "view_error": (
        "This chart could not be drawn (in the server log)",
        "此图表无法绘制（详见服务器日志）",
    ),
    "build_error": (
        "The city could not be built (in the server log)",
        "无法构建城市（详见服务器日志）",
    ),
    "day_of": ("Day {day} of {days}", "第 {day} 天 / 共 {days} 天"),
    "input_error": ("Input not used", "输入无效，已忽略"),
    "baseline_note": ("dashed: baseline without reforms", "虚线：无改革的基线"),
    "run_note": ("press Step or ▶ to run the model", "按“单步”或 ▶ 运行模型"),
    "no_data": ("no data yet", "暂无数据"),
    "day": ("Day", "天"),
    "value": ("Value", "数值"),
    "series": ("Series", "序列"),
    "city": ("City", "城市"),
    "baseline_suffix": ("(baseline)", "（基线）"),
    # charts
    "chart_satisfaction": ("Satisfaction of citizens and enterprises", "市民与企业满意度"),
    "chart_four": ("The four satisfactions (四满意)", "四满意"),
    "chart_days": ("Days per case", "每件办理天数"),
    "chart_trips": ("Trips per case", "每件跑腿次数"),
    "chart_procedures": ("Procedures (approvals) per case", "每件审批环节数"),
    "chart_queues": ("Queue at each office today", "今日各部门排队人次"),
    "chart_informal": ("Informal payments (吃拿卡要)", "非正式支付（吃拿卡要）"),
    "chart_skill": ("Civil servants: skill and courtesy", "公务员：业务能力与服务态度"),
    "chart_cities_firms": ("Firms per city", "各城市企业数"),
    "chart_cities_residents": ("Residents per city", "各城市居民数"),
    "chart_cities_competitiveness": ("Competitiveness per city", "各城市竞争力指数"),
    "chart_network": ("Networks", "网络"),
    "network_offices": (
        "Offices (linked when a service needs both; colour: skill, size: queue)",
        "政府部门（同一事项涉及则相连；颜色：能力，大小：排队）",
    ),
    "network_citizens": (
        "Citizens' ties: a sample of {n} (colour: satisfaction)",
        "市民社交网络：{n} 人样本（颜色：满意度）",
    ),
    "satisfaction": ("Satisfaction", "满意度"),
    "share_of_cases": ("Share of finished cases", "占办结件数的比例"),
    "mean_level": ("Mean level", "平均水平"),
    "baseline_legend": ("baseline (no reforms)", "基线（无改革）"),
    "skill": ("Skill", "业务能力"),
    "queue": ("Queue", "排队"),
    "office": ("Office", "部门"),
    "visits_waiting": ("Visits waiting", "排队人次"),
    "start_business": ("Starting a business (Doing Business)", "开办企业（世界银行营商环境指标）"),
    "start_procedures": ("procedures", "个环节"),
    "start_days": ("days (median)", "天（中位数）"),
    "this_run": ("This run", "本次模拟"),
    "baseline": ("Baseline", "基线"),
    "db_reference": ("Doing Business, China (Shanghai)", "营商环境报告，中国（上海）"),
    "db_line": (
        "{report}: {procedures} procedures, {days} days",
        "{report}：{procedures} 个环节，{days} 天",
    ),
    "not_yet": ("— (no start-up finished yet)", "—（尚无企业开办完成）"),
    # lessons
    "lesson_step": ("Step {i} of {n}", "第 {i} 步 / 共 {n} 步"),
    "lesson_next": ("Next", "下一步"),
    "lesson_back": ("Back", "上一步"),
    "lesson_run_to": ("Run to day {day}", "运行到第 {day} 天"),
    "lesson_question": ("To discuss", "讨论题"),
    "lesson_finish": ("Finish the lesson", "结束课程"),
    "lesson_done": (
        "Lesson complete. Pick another lesson, or keep exploring.",
        "课程结束。可选择其他课程，或继续探索。",
    ),
    "lesson_restart": ("Start again", "重新开始"),
    # results page
    "results_title": ("Experiment results", "实验结果"),
    "results_folder": (
        "Result folder (from govsim experiment run)",
        "结果文件夹（govsim experiment run 的输出）",
    ),
    "results_open": ("Open", "打开"),
    "results_recent": ("or pick one under results/", "或从 results/ 中选择"),
    "results_pooled": (
        "{points} sweep points, pooled here per preset (means over every point and replicate);"
        " each point: govsim experiment summarize results/{folder} --full",
        "共 {points} 个扫描点，此处按预设情景合并（所有扫描点和重复运行的平均）；"
        "逐点结果：govsim experiment summarize results/{folder} --full",
    ),
    "results_runs": (
        "{ok} successful runs, {failed} failed; presets: {presets}",
        "成功运行 {ok} 次，失败 {failed} 次；预设情景：{presets}",
    ),
    "results_table": ("Summary: mean (95% confidence interval)", "汇总：均值（95% 置信区间）"),
    "results_every": ("Show every outcome", "显示全部指标"),
    "results_outcome": ("Outcome", "结果指标"),
    "results_charts": (
        "Outcomes over time: mean and 95% band",
        "结果随时间变化：均值与 95% 置信带",
    ),
    "results_choose": ("Outcomes to chart", "要绘制的指标"),
    "results_none": (
        "Type the path of a result folder and press Open.",
        "请输入结果文件夹路径并按“打开”。",
    ),
    "results_error": ("Cannot open this folder", "无法打开此文件夹"),
    # results page: paired differences, calibration and policy-design reports
    "effects_title": (
        "Each reform against {reference}: paired differences (as govsim experiment summarize)",
        "各项改革与{reference}相比：配对差异（与 govsim experiment summarize 相同）",
    ),
    "effects_note": (
        "Means over {n} replicates with 95% intervals; changes paired by seed. Better or worse:"
        " the change's interval excludes 0; ▲▼ its direction; pp: percentage points.",
        "均值基于 {n} 次重复运行，附 95% 置信区间；变化按随机种子配对。“改善”或“变差”："
        "变化的置信区间不含 0；▲▼ 表示变化方向；个百分点：比例的变化。",
    ),
    "effects_against": (
        "{reform} against {reference}: {better} better, {worse} worse",
        "{reform}与{reference}相比：{better} 项改善，{worse} 项变差",
    ),
    "effects_better": ("better", "改善"),
    "effects_worse": ("worse", "变差"),
    "effects_unclear": ("no clear change: ", "无明显变化："),
    "effects_reference": (
        "{reference}, the reference: levels with 95% intervals",
        "{reference}（参照）：各指标水平及 95% 置信区间",
    ),
    "effects_pp": ("pp", "个百分点"),
    "effects_pick": ("Reference preset", "参照预设情景"),
    "effects_missing": (
        "No paired differences: this folder lacks a column they pair on",
        "无法计算配对差异：此文件夹缺少配对所需的列",
    ),
    "kind_experiment": ("experiment", "实验"),
    "kind_calibration": ("calibration", "校准"),
    "kind_design": ("policy design", "政策设计"),
    "calibration_title": ("Calibration: {description}", "校准：{description}"),
    "calibration_about": (
        "Timeline {preset} from {day_zero}; fitted on {fit}, held out {holdout}; method {method}."
        " Intervals: the model's central {level} ({kind}).",
        "时间线 {preset}，起始日 {day_zero}；拟合 {fit}，留出检验 {holdout}；方法 {method}。"
        "区间：模型的中间 {level}（{kind}）。",
    ),
    "calibration_kind_abc": (
        "posterior predictive: draws from the posterior, a fresh seed each",
        "后验预测：从后验分布抽取参数，每次使用新的随机种子",
    ),
    "calibration_kind_optuna": (
        "the best parameter set on several seeds",
        "最优参数组在多个随机种子下的运行",
    ),
    "calibration_coverage": (
        "Held-out coverage: {covered} of {total} held-out points inside the model's {level}"
        " interval ({share}).",
        "留出检验覆盖率：{total} 个留出数据点中有 {covered} 个"
        "落在模型的 {level} 区间内（{share}）。",
    ),
    "calibration_no_holdout": ("No held-out points.", "没有留出检验的数据点。"),
    "calibration_targets": (
        "Targets against the model",
        "观测目标与模型预测对比",
    ),
    "calibration_edition": ("Edition", "年份版本"),
    "calibration_indicator": ("Indicator", "指标"),
    "calibration_set": ("Used for", "用途"),
    "calibration_fit": ("fit", "拟合"),
    "calibration_held_out": ("held out", "留出检验"),
    "calibration_observed": ("Observed", "观测值"),
    "calibration_model": ("Model mean", "模型均值"),
    "calibration_interval": ("Model {level} interval", "模型 {level} 区间"),
    "calibration_inside": ("Inside?", "是否在区间内"),
    "calibration_yes": ("yes", "是"),
    "calibration_no": ("no", "否"),
    "calibration_chart": (
        "Observed against the model's interval",
        "观测值与模型区间",
    ),
    "calibration_chart_model": (
        "bars: the model's central {level}; lines: its mean",
        "柱：模型的中间 {level} 区间；横线：模型均值",
    ),
    "calibration_path": (
        "The predicted path: start-up days by the date a firm starts",
        "预测路径：按企业开始开办日期的开办天数",
    ),
    "calibration_path_note": (
        "band: the model's central {level} of runs; line: their median; dots: the observations;"
        " dashed: dated reforms",
        "色带：模型运行的中间 {level}；实线：中位数；圆点：观测值；虚线：有日期的改革",
    ),
    "calibration_date": ("Date a start-up begins", "企业开始开办的日期"),
    "calibration_reforms": ("Reforms", "改革措施"),
    "design_title": ("Policy design: the Pareto front", "政策设计：帕累托前沿"),
    "design_about": (
        "Base preset {preset}; {packages} packages on the Pareto front; objectives: {objectives}."
        " Each value with its 5–95% interval over states of the world and seeds.",
        "基础预设情景 {preset}；帕累托前沿上有 {packages} 个政策组合；目标：{objectives}。"
        "每个数值附有在各种世界状态与随机种子下的 5–95% 区间。",
    ),
    "design_min": ("lower is better", "越低越好"),
    "design_max": ("higher is better", "越高越好"),
    "design_package": ("Package", "政策组合"),
    "design_reforms": ("Reforms (intensity)", "改革措施（强度）"),
    "design_cost": ("Cost (CNY)", "成本（元）"),
    "design_run": ("Run this package against the baseline", "运行此组合并与基线比较"),
    "design_chart": ("The Pareto front", "帕累托前沿"),
    "design_none": ("No package within budget was simulated.", "没有在预算内完成模拟的政策组合。"),
    "better_higher": ("higher is better", "越高越好"),
    "better_lower": ("lower is better", "越低越好"),
    "better_neutral": ("", ""),
    # --- the classroom game (viz/classroom.py, viz/classroom_pages.py) ---
    "class_title": ("Classroom game: competing cities", "课堂游戏：城市竞争"),
    "class_intro": (
        "The teacher starts a game; each student governs one city and chooses its reforms"
        " within the city's reform fund; the teacher advances the days.",
        "教师开始一局游戏；每位学生治理一座城市，在城市改革资金之内选择改革；教师推进天数。",
    ),
    "class_new": ("Start a game (teacher)", "开始一局游戏（教师）"),
    "class_cities": ("Cities (one per student)", "城市数（每位学生一座）"),
    "class_size": ("Residents per city", "每座城市的市民人数"),
    "class_budget": ("Reform fund per city at the start (CNY)", "每座城市的初始改革资金（元）"),
    "class_seed": ("Seed (a whole number)", "随机种子（整数）"),
    "class_create": ("Create the game", "创建游戏"),
    "class_building": ("Building the cities…", "正在构建城市……"),
    "class_join_title": ("Join a game (student)", "加入游戏（学生）"),
    "class_code": ("Game code", "游戏代码"),
    "class_your_name": ("Your name (shown in the league)", "你的名字（显示在排行榜中）"),
    "class_join": ("Join", "加入"),
    "class_city_choice": ("City", "城市"),
    "class_any_city": ("— any free city —", "— 任一空闲城市 —"),
    "class_code_is": ("Game code: {code}", "游戏代码：{code}"),
    "class_students_open": (
        "Students open {path}, or type the code on the classroom page.",
        "学生打开 {path}，或在课堂页面输入游戏代码。",
    ),
    "class_loopback": (
        "This address works on this computer only: for a classroom, start the server with"
        " --host 0.0.0.0 and give the students this computer's network address.",
        "此地址只在本机有效：课堂使用时，请以 --host 0.0.0.0 启动服务器，"
        "并把本机的网络地址告诉学生。",
    ),
    "class_teacher_link": (
        "Your link back to this game (keep it): {path}",
        "返回本局游戏的教师链接（请保存）：{path}",
    ),
    "class_players": ("Students joined: {n} of {cities}", "已加入学生：{n} / {cities}"),
    "class_day": ("Day {day} of {days}", "第 {day} 天 / 共 {days} 天"),
    "class_advance": ("+{n} days", "前进 {n} 天"),
    "class_advance_one": ("+1 day", "前进 1 天"),
    "class_advancing": ("Advancing to day {day}…", "正在推进到第 {day} 天……"),
    "class_end": ("End the game", "结束游戏"),
    "class_ended": ("This game has ended.", "本局游戏已结束。"),
    "class_league": ("League table", "排行榜"),
    "class_rank": ("Rank", "名次"),
    "class_player": ("Student", "学生"),
    "class_firms": ("Firms", "企业数"),
    "class_residents": ("Residents", "市民数"),
    "class_sat_residents": ("Residents' satisfaction", "百姓满意度"),
    "class_sat_firms": ("Firms' satisfaction", "企业满意度"),
    "class_competitiveness": ("Competitiveness", "竞争力"),
    "class_fund": ("Reform fund (CNY)", "改革资金（元）"),
    "class_reforms_on": ("Reforms on", "实施中的改革"),
    "class_league_note": (
        "Ranked by the competitiveness index (firms, tax base, business reputation, growth;"
        " 100 = an average city).",
        "按竞争力指数排名（企业、税基、营商声誉、增长；100 为平均城市）。",
    ),
    "class_you_govern": ("You govern {city}", "你治理的城市：{city}"),
    "class_standing": ("Rank {rank} of {n}", "第 {rank} 名 / 共 {n} 座城市"),
    "class_fund_now": (
        "Reform fund: {fund} CNY (available for new reforms: {available} CNY)",
        "改革资金：{fund} 元（可用于新改革：{available} 元）",
    ),
    "class_reforms": ("Your reforms", "你的改革"),
    "class_reforms_hint": (
        "A reform adopted now takes effect from day {day}. Its set-up is paid once from the"
        " fund, its running cost every day; the fund grows with a share of the city's tax.",
        "现在采纳的改革自第 {day} 天起生效。启动费用从改革资金一次付清，运行费用每天支付；"
        "改革资金随城市税收的一部分增加。",
    ),
    "class_cost": (
        "set-up {setup} CNY, then {daily} CNY a day",
        "启动 {setup} 元，之后每天 {daily} 元",
    ),
    "class_state_on": ("in force since day {day}", "自第 {day} 天起实施"),
    "class_state_from": ("adopted: from day {day}", "已采纳：自第 {day} 天起"),
    "class_state_short": ("waiting: the fund is short", "等待中：资金不足"),
    "class_state_off": ("not adopted", "未采纳"),
    "class_adopt": ("Adopt", "采纳"),
    "class_stop": ("Stop", "停止"),
    "class_over_budget": (
        "Not adopted: {reform} needs {need} CNY (set-up and {days} days of running costs);"
        " your city has {available} CNY available.",
        "未采纳：{reform_zh}需要 {need} 元（启动费用及 {days} 天运行费用）；"
        "你的城市可用资金为 {available} 元。",
    ),
    "class_no_game": ("No game with code {code} is running.", "没有代码为 {code} 的游戏在进行。"),
    "class_full": ("All {n} cities are taken.", "全部 {n} 座城市都已有人治理。"),
    "class_taken": (
        "City {city} is taken: choose another city.",
        "城市 {city} 已有人治理：请另选一座城市。",
    ),
    "class_name_taken": (
        "{name} is already playing: add an initial or a number to tell the two of you apart.",
        "已有同学叫“{name}”：请加上姓氏首字母或数字以便区分。",
    ),
    "class_city_n": ("City {n}", "城市 {n}"),
    "class_release_city": ("A student lost the link: free city", "学生丢失了链接：释放城市"),
    "class_release": ("Free it", "释放"),
    "class_no_city": ("There is no city {city}.", "没有第 {city} 座城市。"),
    "class_no_seat": (
        "This link does not name a city of the game: join again.",
        "此链接不对应本局游戏的城市：请重新加入。",
    ),
    "class_no_reform": ("There is no reform {reform}.", "没有名为 {reform} 的改革。"),
    "class_over": ("The game is over (day {days}).", "游戏已结束（第 {days} 天）。"),
    "class_bad_cities": (
        "A game has between {lo} and {hi} cities.",
        "一局游戏有 {lo} 到 {hi} 座城市。",
    ),
    "class_bad_size": ("A city has {sizes} residents.", "每座城市的市民人数为 {sizes}。"),
    "class_bad_budget": (
        "The reform fund is a number of CNY, 0 or more.",
        "改革资金应为不小于 0 的元数。",
    ),
}

# Short parameter labels (the declaration's description says the rest): name -> (en, zh).
PARAMETERS: dict[str, tuple[str, str]] = {
    "n_citizens": ("Citizens", "市民人数"),
    "n_enterprises": ("Enterprises", "企业数"),
    "agent_weight": ("Agent weight", "每个代理代表的人数"),
    "citizen_request_scale": ("Citizens' request rate", "市民办事频率倍数"),
    "enterprise_request_scale": ("Enterprises' request rate", "企业办事频率倍数"),
    "digital_access_citizens": ("Citizens online", "能上网办事的市民比例"),
    "digital_access_enterprises": ("Enterprises online", "能上网办事的企业比例"),
    "value_of_time_citizen": ("Citizen's value of time", "市民时间价值"),
    "value_of_time_enterprise": ("Enterprise's value of time", "企业时间价值"),
    "patience_days_citizen": ("Citizen's patience", "市民耐心"),
    "patience_days_enterprise": ("Enterprise's patience", "企业耐心"),
    "patience_floor_share": ("Patience everyone has for sure", "确定的最低耐心比例"),
    "firm_exit_rate": ("Ordinary firm closures", "企业正常关闭率"),
    "low_profit_exit_rate": ("Closures while losing money", "亏损企业关闭率"),
    "firm_margin": ("Firm's daily margin", "企业日毛利"),
    "firm_margin_spread": ("Spread of margins", "毛利离散度"),
    "delay_cost_share": ("Margin lost per open day", "办事期间每日损失的毛利比例"),
    "cost_memory_days": ("Memory of red-tape cost", "繁文缛节成本的记忆期"),
    "trip_hours": ("Hours per trip", "每次跑腿耗时"),
    "waiting_day_hours": ("Burden per open day", "每个等待日的负担"),
    "abandon_penalty_hours": ("Burden of giving up", "放弃办理的负担"),
    "expectation_mean": ("Initial expectation", "初始期望"),
    "expectation_sd": ("Spread of expectations", "期望离散度"),
    "expectation_adaptation": ("Expectation adaptation", "期望调整速度"),
    "expectation_drift": ("Rising demands", "要求逐年提高"),
    "satisfaction_sensitivity": ("Satisfaction sensitivity", "满意度敏感度"),
    "courtesy_weight": ("Weight of courtesy", "服务态度的权重"),
    "informal_demand_penalty": ("Anger at informal demands", "索要好处引起的不满"),
    "unequal_treatment_penalty": ("Anger at unequal treatment", "不一视同仁引起的不满"),
    "satisfaction_memory": ("Weight of newest case", "最近一次经历的权重"),
    "courtesy_reference": ("Neutral courtesy", "中性服务态度"),
    "initial_satisfaction": ("Satisfaction before any case", "初始满意度"),
    "complaint_threshold": ("Complaint threshold", "投诉阈值"),
    "complaint_propensity": ("Complaint propensity", "投诉倾向"),
    "feedback_complaint_multiplier": ("More complaints with feedback", "开通反馈后投诉倍数"),
    "correction_courtesy_step": ("Courtesy gained per complaint", "每次投诉改进的服务态度"),
    "complaint_action_prob": ("Complaints acted on", "投诉得到处理的概率"),
    "feedback_action_prob": ("Acted on with feedback", "开通反馈后投诉得到处理的概率"),
    "demand_expectation_mean": ("Expected demands", "预期被索要好处的概率"),
    "entry_elasticity": ("Entry response to days", "创业对开办天数的弹性"),
    "entry_news_startups": ("Start-ups founders hear of", "创业者参考的近期开办数"),
    "citizen_network_degree": ("Ties per citizen", "每位市民的社会联系数"),
    "citizen_network_rewiring": ("Network rewiring", "网络重连概率"),
    "enterprise_network_links": ("Links per firm", "每家企业的商业联系数"),
    "wom_reach": ("Word-of-mouth reach", "口碑传播范围"),
    "wom_weight": ("Word-of-mouth weight", "口碑影响权重"),
    "peer_expectation_weight": ("Peers' effect on expectations", "同伴对期望的影响"),
    "media_weight": ("Weight of the media", "媒体影响权重"),
    "media_negativity": ("Media negativity", "媒体负面偏好"),
    "media_dissatisfied_below": ("Bad news below", "媒体视为负面的满意度"),
    "media_update_rate": ("Media image update", "媒体形象更新速度"),
    "newcomer_tie_share": ("Newcomers' ties", "新迁入者的社会关系比例"),
    "opening_hours": ("Counter hours", "窗口办公时间"),
    "staffing_utilisation": ("Staffing utilisation", "人员配置负荷率"),
    "service_time_shape": ("Service-time shape", "服务时间分布形状"),
    "skill_mean": ("Civil servants' skill", "公务员平均业务能力"),
    "skill_sd": ("Spread of skill", "能力离散度"),
    "skill_floor": ("Lowest skill", "最低能力"),
    "speed_at_zero_skill": ("Speed at skill 0", "零能力时的办事速度"),
    "error_at_zero_skill": ("Errors at skill 0", "零能力时的差错倍数"),
    "courtesy_mean": ("Civil servants' courtesy", "公务员平均服务态度"),
    "courtesy_sd": ("Spread of courtesy", "服务态度离散度"),
    "courtesy_relaxation": ("Courtesy relaxes", "服务态度回落速度"),
    "courtesy_training_speed": ("Training speed", "培训提升速度"),
    "new_hire_training_share": ("New hires trained", "新员工培训程度"),
    "corruption_mean": ("Propensity for 吃拿卡要", "吃拿卡要倾向"),
    "corruption_inclination_sd": ("Spread of inclinations", "吃拿卡要倾向离散度"),
    "corruption_norm_weight": ("Pull of the norm", "风气的影响力"),
    "sanction_weight": ("Deterrence of detection", "查处的威慑力"),
    "integrity_review_days": ("Days between reconsiderations", "重新权衡的间隔天数"),
    "demand_rate_on_take": ("Demands by the corrupt", "腐败者索要的频率"),
    "audit_detection": ("Found by superiors' checks", "上级检查查出的概率"),
    "report_propensity": ("Requesters report a demand", "办事人举报的概率"),
    "report_propensity_informed": ("Informed requesters report", "知情办事人举报的概率"),
    "report_proof_prob": ("Reports proven", "举报查实的概率"),
    "detection_learning_days": ("Days to sense detection", "感知查处风险的时间"),
    "sanction_days": ("Days off the take after discipline", "受处分后不再索要的天数"),
    "staff_review_tolerance": ("Tolerance before re-sizing", "调整编制的容差"),
    "online_effort_share": ("Back-office work online", "网上办理的后台工作量"),
    "reform_resume_days": ("Days of cost to resume", "恢复改革所需的资金天数"),
    "published_rules_use": ("Requesters who read the rules", "查阅公开规定的办事人比例"),
    "incomplete_docs_prob": ("Incomplete documents", "材料不全的概率"),
    "doc_return_days": ("Days to fetch documents", "补齐材料所需天数"),
    "bounce_prob": ("Bounced to another office (推)", "被推到其他部门的概率"),
    "bounce_triage_share": ("Work on a bounced visit", "被推走的来访所耗工作量"),
    "rent_delay_days": ("Delay when refusing (卡、拖)", "拒付时被拖延的天数"),
    "bribe_hours": ("Size of a payment", "好处费金额"),
    "pay_propensity_citizen": ("Citizens pay when asked", "市民被索要时付钱的概率"),
    "pay_propensity_enterprise": ("Enterprises pay when asked", "企业被索要时付钱的概率"),
    "learning_by_doing": ("Learning by doing", "干中学"),
    "skill_forgetting": ("Forgetting", "技能遗忘"),
    "staff_turnover": ("Staff turnover", "人员流动率"),
    "reform_disruption": ("Disruption by reform", "改革带来的业务生疏"),
    "familiarisation_rate": ("Relearning speed", "重新熟悉业务的速度"),
    "staff_review_days": ("Days between re-sizings", "人员编制调整间隔天数"),
    "wage_per_day": ("Wage per day", "日工资"),
    "max_training_share": ("Most counter time for training", "培训最多占用的窗口时间"),
    "reform_reserve": ("Reform reserve", "改革储备金"),
    "reform_budget_share": ("Tax share for reform", "用于改革的税收比例"),
    "tax_rate": ("Tax rate", "税率"),
    "setup_amortisation_days": ("Set-up cost spread over", "改革启动费用摊销天数"),
    "series_window_days": ("Window of the charts", "图表统计窗口"),
    "summary_window_days": ("Window of the summary", "汇总统计窗口"),
}

# Units as the declarations write them -> Chinese.
UNITS: dict[str, str] = {
    "persons": "人",
    "firms": "家",
    "persons per agent": "人/代理",
    "x": "倍",
    "share": "比例",
    "CNY/hour": "元/小时",
    "days": "天",
    "1/year": "每年",
    "CNY/day": "元/天",
    "log sd": "对数标准差",
    "share/day": "比例/天",
    "hours": "小时",
    "hours/day": "小时/天",
    "log burden": "对数负担",
    "log burden/year": "对数负担/年",
    "1/log burden": "1/对数负担",
    "logit": "logit",
    "satisfaction": "满意度",
    "probability": "概率",
    "ties": "条联系",
    "gamma shape": "伽马形状参数",
    "0-1": "0-1",
    "1/day": "每天",
    "working days": "工作日",
    "1/log days": "每对数天",
    "1/working day": "每工作日",
    "start-ups": "家新企业",
    "per case": "每件",
    "CNY per 10k residents": "元/万居民",
    "trips": "次",
    "procedures": "个环节",
    "visits": "人次",
    "returns": "次",
    "bounces": "次",
    "complaints": "件",
    "CNY": "元",
    "cases": "件",
    "firms/year": "家/年",
    "persons/year": "人/年",
    "index": "指数",
    "work/hour": "工作量/小时",
    "Beta a+b": "贝塔分布 a+b",
}

# Outcome labels: name -> (en, zh).
OUTCOMES: dict[str, tuple[str, str]] = {
    "satisfaction_citizens": ("Citizens' satisfaction", "市民满意度"),
    "satisfaction_enterprises": ("Enterprises' satisfaction", "企业满意度"),
    "satisfaction_grassroots": ("Grassroots satisfied (基层)", "基层满意"),
    "satisfaction_public": ("Public satisfied (百姓)", "百姓满意"),
    "satisfaction_peers": ("Peers satisfied (同行)", "同行满意"),
    "satisfaction_superiors": ("Superiors satisfied (上级)", "上级满意"),
    "days_per_case": ("Days per case", "每件办理天数"),
    "days_per_case_citizens": ("Days per case, citizens", "市民每件办理天数"),
    "days_per_case_enterprises": ("Days per case, enterprises", "企业每件办理天数"),
    "trips_per_case": ("Trips per case", "每件跑腿次数"),
    "one_trip_share": ("Done in at most one trip", "最多跑一次的比例"),
    "procedures_per_case": ("Procedures per case", "每件审批环节数"),
    "hours_queued_per_case": ("Hours queued per case", "每件排队小时数"),
    "hours_queued_citizens": ("Hours queued, citizens", "市民每件排队小时数"),
    "hours_queued_enterprises": ("Hours queued, enterprises", "企业每件排队小时数"),
    "informal_payment_rate": ("Cases with a payment", "发生非正式支付的比例"),
    "informal_demand_rate": ("Cases with a demand", "被索要好处的比例"),
    "fees_per_case": ("Fees per case", "每件收费"),
    "unequal_treatment_rate": ("Passed over by the priority lane", "被优先通道插队的比例"),
    "document_returns_per_case": ("Returns for documents", "因材料不全返回次数"),
    "bounces_per_case": ("Bounces (推)", "被推诿次数"),
    "abandonment_rate": ("Cases given up", "放弃办理的比例"),
    "complaints_per_1000_cases": ("Complaints per 1000 cases", "每千件投诉数"),
    "on_time_rate": ("On time", "按时办结率"),
    "civil_servant_skill": ("Civil servants' skill", "公务员业务能力"),
    "civil_servant_courtesy": ("Civil servants' courtesy", "公务员服务态度"),
    "servants_on_take": ("Servants on the take", "吃拿卡要的公务员比例"),
    "queue_length": ("Visits queued", "排队人次"),
    "cost_per_case": ("Cost per case", "每件服务成本"),
    "start_business_procedures": ("Start-up procedures", "开办企业环节数"),
    "start_business_days": ("Start-up days", "开办企业天数"),
    "cases_per_day": ("Cases per day", "每日办结件数"),
    "enterprises": ("Firms", "企业数"),
    "firm_births_per_year": ("Start-ups per year", "每年新开办企业"),
    "firm_closures_per_year": ("Closures per year", "每年关闭企业"),
    "red_tape_cost_per_case": ("Red-tape cost per case", "每件繁文缛节成本"),
    "residents": ("Residents", "居民数"),
    "net_firm_inflow": ("Net firm inflow", "企业净流入"),
    "net_migration": ("Net migration", "人口净迁入"),
    "tax_revenue": ("Tax revenue", "税收"),
    "business_reputation": ("Business reputation", "营商声誉"),
    "competitiveness_index": ("Competitiveness", "竞争力指数"),
    "reform_fund": ("Reform fund", "改革基金"),
    "open_cases": ("Open cases", "在办件数"),
    "budget_balance": ("Budget balance", "财政累计结余"),
}


# Shorter names for chart legends, where the chart's title already says what is measured.
SERIES: dict[str, tuple[str, str]] = {
    "satisfaction_citizens": ("Citizens", "市民"),
    "satisfaction_enterprises": ("Enterprises", "企业"),
    "satisfaction_grassroots": ("Grassroots (基层)", "基层满意"),
    "satisfaction_public": ("Public (百姓)", "百姓满意"),
    "satisfaction_peers": ("Peers (同行)", "同行满意"),
    "satisfaction_superiors": ("Superiors (上级)", "上级满意"),
    "civil_servant_skill": ("Skill", "业务能力"),
    "civil_servant_courtesy": ("Courtesy", "服务态度"),
}


# Preset names in Chinese (English shows the preset's own name, as the command line does); a
# preset file of one's own shows its name.
PRESETS_ZH: dict[str, str] = {
    "baseline": "基线：传统机关",
    "feedback": "征求意见、有错必纠",
    "fewer_approvals": "取消不必要的审批",
    "first_contact": "首接责任制",
    "full_reform": "全面改革",
    "green_channel": "绿色通道",
    "lean_staffing": "机构精简、人员精干",
    "learning": "学习型组织",
    "one_stop": "行政服务中心、一站式服务",
    "online_24_7": "热线网络、全天候服务",
    "parallel_approval": "并联审批",
    "reengineering": "流程再造",
    "reform_midway": "年中转为全面改革",
    "service_standards": "创三优一满意",
    "shanghai_2005_2020": "上海企业开办改革（2005—2020年）",
    "symmetric_cities": "两座相同的城市（对照）",
    "three_cities": "三座城市、三条改革路径",
    "transparency": "阳光工程、政策透明",
    "two_cities": "两座城市：改革者与落后者",
}

# City names of the several-city presets in Chinese.
CITIES_ZH: dict[str, str] = {
    "reformer": "改革者",
    "laggard": "落后者",
    "east": "东城",
    "west": "西城",
    "one_stop_first": "先建一站式服务中心",
    "transparency_first": "先推阳光工程",
    "learning_first": "先建学习型组织",
    "city": "本市",
}


def preset_label(name: str, lang: str) -> str:
    """A preset's name as shown: its Chinese name in Chinese, else its own name."""
    return PRESETS_ZH.get(name, name) if lang == "zh" else name


def city_label(name: str, lang: str) -> str:
    """A city's name as shown: its Chinese name in Chinese, else its own name."""
    return CITIES_ZH.get(name, name) if lang == "zh" else name


# Chinese text takes full-width punctuation: ，。：；（）！？ rather than , . : ; ( ) ! ?
FULL_WIDTH = str.maketrans(",.:;()!?", "，。：；（）！？")
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def zh_punctuation(text: str) -> str:
    """`text` (Chinese) with its half-width punctuation made full-width, except inside {fields}
    and between two ASCII letters or digits (0.5, a.b, 10:30). Text without Chinese characters
    is returned unchanged. Names written elsewhere (presets, reforms, offices) pass through here
    when shown in Chinese; the strings of this module and lessons.toml are written this way."""
    if not _CJK.search(text):
        return text
    out, depth = [], 0
    for i, ch in enumerate(text):
        depth += (ch == "{") - (ch == "}")
        prev = text[i - 1] if i else ""
        nxt = text[i + 1] if i + 1 < len(text) else ""
        between_ascii = prev.isascii() and prev.isalnum() and nxt.isascii() and nxt.isalnum()
        out.append(ch if depth or between_ascii else ch.translate(FULL_WIDTH))
    return "".join(out)


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "zh" else pair[0]


def t(key: str, lang: str, **fields: Any) -> str:
    """An interface text in `lang`, with {fields} filled in."""
    text = _pick(UI[key], lang)
    return text.format(**fields) if fields else text


def unit_label(unit: str, lang: str) -> str:
    return UNITS.get(unit, unit) if lang == "zh" else unit


def parameter_label(name: str, unit: str, lang: str) -> str:
    """'Citizens (persons)' / '市民人数（人）'."""
    label = _pick(PARAMETERS[name], lang)
    u = unit_label(unit, lang)
    return f"{label}（{u}）" if lang == "zh" else f"{label} ({u})"


def outcome_label(name: str, lang: str) -> str:
    return _pick(OUTCOMES[name], lang)


def series_label(name: str, lang: str) -> str:
    """An outcome's name in a chart legend (short where the title says the rest)."""
    return _pick(SERIES[name], lang) if name in SERIES else outcome_label(name, lang)


def policy_label(cls: Any, lang: str) -> str:
    """A reform's name from its own declaration (Intervention.label_en / label_zh)."""
    return zh_punctuation(cls.label_zh) if lang == "zh" else cls.label_en


def office_label(spec: Any, lang: str) -> str:
    """An office's name from the service catalogue."""
    return zh_punctuation(spec.name_zh) if lang == "zh" else spec.name_en


def preset_description(preset: Any, lang: str) -> str:
    """A preset's own one-line description, in Chinese when the preset gives one."""
    if lang == "zh" and preset.description_zh:
        return zh_punctuation(preset.description_zh)
    return preset.description
