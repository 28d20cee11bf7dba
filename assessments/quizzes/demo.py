"""Demo quizzes in Chinese, placed in the demo courses' modules (runs after courses.demo).

- 师德 quiz on 《中小学教师职业道德规范》(2008 年修订): 8 fixed questions of every type,
  20-minute limit, answers shown after submitting → module "shide-guifan".
- 新课标 quiz: 5 questions drawn at random from the objective questions of the
  curriculum-standards bank (tag 客观题), best attempt counts → "kebiao-xiuding".
- IT quiz on office software: 6 questions, three attempts, no time limit → "xinxi-bangong".

Idempotent: questions are found by (category, text), quizzes by title; the
options are rewritten each time so the demo matches this file.
"""

from shixun.assessments.quizzes.models import (
    Question,
    QuestionCategory,
    QuestionOption,
    QuestionPool,
    Quiz,
    QuizQuestion,
)

ETHICS, STANDARDS, IT = "师德师风", "课程标准", "信息技术"

# (kind, text, points, detail, explanation, tags); detail is the options [(text, correct)],
# the true/false answer, the accepted answers, or the reference answer.
QUESTIONS = {
    ETHICS: [
        ("single", "《中小学教师职业道德规范》（2008年修订）的基本内容共有几条？", 1,
         [("六条", True), ("四条", False), ("八条", False), ("十条", False)],
         "爱国守法、爱岗敬业、关爱学生、教书育人、为人师表、终身学习，共六条。", []),
        ("multiple", "下列属于《中小学教师职业道德规范》基本内容的有（　）。", 2,
         [("爱国守法", True), ("关爱学生", True), ("终身学习", True), ("追求升学率", False)],
         "追求升学率不是师德规范的内容；规范要求“不以分数作为评价学生的唯一标准”。", ["partial"]),
        ("true_false", "《中小学教师职业道德规范》要求教师自觉抵制有偿家教，不利用职务之便谋取私利。", 1,
         True, "这是“为人师表”一条的要求。", []),
        ("true_false", "对学习有困难的学生，教师可以适当讽刺、挖苦，以激励其进步。", 1,
         False, "“关爱学生”要求尊重学生人格，不讽刺、挖苦、歧视学生，不体罚或变相体罚学生。", []),
        ("single", "“保护学生安全，关心学生健康，维护学生权益”属于规范中的哪一条？", 1,
         [("关爱学生", True), ("爱岗敬业", False), ("教书育人", False), ("为人师表", False)],
         "关爱学生是师德的灵魂，保护学生安全是其中的要求。", []),
        ("fill_blank", "规范解读指出：“＿＿＿＿是师德的灵魂。”（填四个字）", 1,
         ["关爱学生"], "爱国守法是基本要求，爱岗敬业是本质要求，关爱学生是师德的灵魂。", []),
        ("single", "“终身学习”被称为教师专业发展的（　）。", 1,
         [("不竭动力", True), ("基本要求", False), ("天职", False), ("灵魂", False)],
         "终身学习是教师专业发展的不竭动力。", []),
        ("short_answer", "结合自己的教育教学实际，谈谈你是怎样做到“关爱学生”的（100字以上）。", 4,
         "能举出具体事例；体现尊重学生人格、平等公正对待学生、保护学生安全；有反思。",
         "参考要点：尊重、平等、公正；关心学生身心健康；不体罚或变相体罚。", []),
    ],
    STANDARDS: [
        ("single", "《义务教育课程方案（2022年版）》要求各门课程原则上用不少于多少课时设计跨学科主题学习？", 1,
         [("10%", True), ("5%", False), ("15%", False), ("20%", False)],
         "方案规定原则上各门课程用不少于10%的课时设计跨学科主题学习。", ["客观题"]),
        ("multiple", "下列属于2022年版课程标准主要变化的有（　）。", 2,
         [("强化课程育人导向", True), ("优化课程内容结构", True), ("研制学业质量标准", True), ("增加考试科目", False)],
         "课程标准修订的主要变化还包括增强指导性、加强学段衔接。", ["客观题"]),
        ("true_false", "2022年版课程方案将劳动、信息科技从综合实践活动课程中独立出来，设置为独立课程。", 1,
         True, "劳动和信息科技在2022年版方案中成为独立课程。", ["客观题"]),
        ("true_false", "义务教育课程分为国家课程、地方课程和校本课程三类。", 1,
         True, "三类课程共同构成义务教育课程体系。", ["客观题"]),
        ("fill_blank", "新课标倡导“教—学—＿”一体化，请填写缺少的一个字。", 1,
         ["评"], "教、学、评一体化，让评价贯穿教学全过程。", ["客观题"]),
        ("single", "2022年版课程标准凝练了各课程要培养的（　）。", 1,
         [("核心素养", True), ("知识点", False), ("考试大纲", False), ("教学进度", False)],
         "各课程标准都围绕核心素养确立课程目标。", ["客观题"]),
        ("short_answer", "以你任教的学科为例，简要设计一个跨学科主题学习活动（写明主题、涉及学科和学生任务）。", 4,
         "主题明确；至少涉及两门学科；学生任务具体、可评价。", "", ["主观题"]),
    ],
    IT: [
        ("single", "在 WPS 表格或 Excel 中，求和函数是（　）。", 1,
         [("SUM", True), ("AVERAGE", False), ("COUNT", False), ("MAX", False)], "SUM 求和，AVERAGE 求平均值。", []),
        ("fill_blank", "在 Excel 中计算 A1 到 A10 的平均值，公式是 =＿＿＿(A1:A10)。", 1,
         ["AVERAGE"], "大小写、全角半角都可以，例如 ａｖｅｒａｇｅ 也算对。", []),
        ("multiple", "下列哪些是常用的演示文稿（课件）软件？", 2,
         [("PowerPoint", True), ("WPS 演示", True), ("记事本", False), ("计算器", False)], "", []),
        ("true_false", "在 Word 中，按 Ctrl+S 可以保存当前文档。", 1, True, "养成随时按 Ctrl+S 保存的习惯。", []),
        ("single", "“复制”的键盘快捷键是（　）。", 1,
         [("Ctrl+C", True), ("Ctrl+V", False), ("Ctrl+X", False), ("Ctrl+Z", False)],
         "Ctrl+V 粘贴，Ctrl+X 剪切，Ctrl+Z 撤销。", []),
        ("true_false", "为方便沟通，可以把全班学生的身份证号和家庭住址发到公开的家长群里。", 1,
         False, "学生个人信息受法律保护，不得随意公开。", []),
    ],
}

QUIZZES = [
    {
        "module": "shide-guifan",
        "title": "《中小学教师职业道德规范》知识测验",
        "instructions": "共8题，满分100分，60分及格。限时20分钟，有一次补考机会。简答题由培训老师批阅。",
        "category": ETHICS,
        "settings": {"time_limit_minutes": 20, "attempts_allowed": 2, "feedback_mode": "answers",
                     "shuffle_options": True, "grading_policy": "best"},
    },
    {
        "module": "kebiao-xiuding",
        "title": "新课标要点自测",
        "instructions": "每次从题库中随机抽取5道客观题，答完即出成绩。取最高一次成绩。",
        "pools": [(STANDARDS, "客观题", 5)],
        "settings": {"time_limit_minutes": None, "attempts_allowed": 2, "feedback_mode": "answers",
                     "shuffle_options": True, "shuffle_questions": True, "grading_policy": "best"},
    },
    {
        "module": "xinxi-bangong",
        "title": "办公软件小测验",
        "instructions": "共6题，不限时间，答案会自动保存，可以中途退出再回来继续。",
        "category": IT,
        "settings": {"time_limit_minutes": None, "attempts_allowed": 3, "feedback_mode": "answers",
                     "shuffle_options": False, "grading_policy": "last"},
    },
]


def _question(category, kind, text, points, detail, explanation, tags) -> Question:
    question = Question.objects.filter(category=category, text=text).first() or Question(category=category, text=text)
    question.kind, question.points, question.explanation = kind, points, explanation
    question.multiple_scoring = "partial" if "partial" in tags else "all_or_nothing"
    question.true_false_answer = detail if kind == "true_false" else None
    question.accepted_answers = "\n".join(detail) if kind == "fill_blank" else ""
    question.reference_answer = detail if kind == "short_answer" else ""
    options = detail if kind in ("single", "multiple") else []
    existing = list(question.options.all()) if question.pk else []
    # Keep option rows (their ids are in attempts' snapshots); rewrite their text.
    rows = []
    for index, (option_text, correct) in enumerate(options):
        row = existing[index] if index < len(existing) else QuestionOption()
        row.text, row.is_correct, row.sort_order = option_text, correct, index
        rows.append(row)
    question.options = rows
    question.save()
    question.tags.set([tag for tag in tags if tag != "partial"])
    question.save()
    return question


def _quiz(spec, categories, questions_by_category) -> Quiz:
    quiz = Quiz.objects.filter(title=spec["title"]).first() or Quiz(title=spec["title"])
    quiz.instructions = spec["instructions"]
    for field, value in spec["settings"].items():
        setattr(quiz, field, value)
    if "pools" in spec:
        quiz.selection_mode = "random"
        quiz.fixed_questions = []
        quiz.pools = [
            QuestionPool(category=categories[name], tag=tag, count=count) for name, tag, count in spec["pools"]
        ]
    else:
        quiz.selection_mode = "fixed"
        quiz.pools = []
        quiz.fixed_questions = [
            QuizQuestion(question=q, sort_order=i) for i, q in enumerate(questions_by_category[spec["category"]])
        ]
    quiz.save()
    return quiz


def seed(stdout):
    categories = {
        name: QuestionCategory.objects.update_or_create(name=name, defaults={"sort_order": order})[0]
        for order, name in enumerate(QUESTIONS)
    }
    questions_by_category = {
        name: [_question(categories[name], *row) for row in rows] for name, rows in QUESTIONS.items()
    }
    placed = 0
    for spec in QUIZZES:
        quiz = _quiz(spec, categories, questions_by_category)
        if _place(quiz, spec["module"], stdout):
            placed += 1
    stdout.write(
        f"quizzes: {Question.objects.count()} questions, {len(QUIZZES)} quizzes ({placed} newly placed in modules)"
    )
    return []


def _place(quiz: Quiz, module_slug: str, stdout) -> bool:
    try:
        from shixun.courses.demo import add_activity_block
    except ImportError:
        stdout.write("quizzes: courses.demo.add_activity_block is missing; quizzes not placed in modules")
        return False
    try:
        return add_activity_block(module_slug, "quiz", {"quiz": quiz, "required": True})
    except LookupError:
        stdout.write(f"quizzes: demo module {module_slug!r} not found; {quiz.title} not placed")
        return False
