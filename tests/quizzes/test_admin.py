"""The question bank in the Wagtail admin: trainers write questions with their options on one page."""

from django.urls import reverse

from shixun.assessments.quizzes.models import Question

from . import builders


def question_form(**overrides):
    data = {
        "category": str(builders.category().pk),
        "kind": "single",
        "points": "2",
        "text": "教师职业道德的核心是什么？",
        "multiple_scoring": "all_or_nothing",
        "true_false_answer": "",
        "accepted_answers": "",
        "reference_answer": "",
        "explanation": "关爱学生是师德的灵魂。",
        "tags": "规范, 师德",
        "options-TOTAL_FORMS": "3",
        "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "1000",
    }
    for index, (text, correct) in enumerate([("关爱学生", True), ("升学率", False), ("分数", False)]):
        data.update({f"options-{index}-text": text, f"options-{index}-ORDER": str(index + 1),
                     f"options-{index}-id": "", f"options-{index}-DELETE": ""})
        if correct:
            data[f"options-{index}-is_correct"] = "on"
    data.update(overrides)
    return data


def test_a_trainer_adds_a_question_with_its_options_and_tags(client, org):
    client.force_login(org.trainer)
    url = reverse("wagtailsnippets_shixun_quizzes_question:add")
    response = client.post(url, question_form())
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    question = Question.objects.get()
    options = [(o.text, o.is_correct) for o in question.options.all()]
    assert options == [("关爱学生", True), ("升学率", False), ("分数", False)]
    assert set(question.tags.names()) == {"规范", "师德"}


def test_saving_a_question_leads_to_the_question_bank_which_lists_it(client, org):
    client.force_login(org.trainer)
    response = client.post(reverse("wagtailsnippets_shixun_quizzes_question:add"), question_form(), follow=True)
    assert response.redirect_chain[-1][0] == reverse("wagtailsnippets_shixun_quizzes_question:list")
    assert response.status_code == 200
    assert list(response.context["object_list"]) == [Question.objects.get()]


def test_trainers_filter_the_question_bank_by_tag(client, org):
    from taggit.models import Tag

    ethics = builders.single("师德的核心是什么？", tags=["师德", "规范"])
    law = builders.single("教师法规定的义务有哪些？", tags=["法规"])
    builders.single("没有标签的题目")
    Tag.objects.create(name="只用于别处", slug="elsewhere")  # a tag no question has is not offered
    tag = {t.name: t.pk for t in Tag.objects.all()}
    client.force_login(org.trainer)
    url = reverse("wagtailsnippets_shixun_quizzes_question:list")

    response = client.get(url)
    assert response.status_code == 200
    offered = [choice.data["label"] for choice in response.context["filters"].form["tags"]]
    assert offered == sorted(["师德", "规范", "法规"])

    # Any of the chosen tags; a question with two of them is listed once.
    response = client.get(url, {"tags": [tag["师德"], tag["规范"]]})
    assert list(response.context["object_list"]) == [ethics]
    response = client.get(url, {"tags": [tag["规范"], tag["法规"]]})
    assert sorted(q.pk for q in response.context["object_list"]) == sorted([ethics.pk, law.pk])


def test_the_question_bank_search_finds_chinese_words_inside_a_question(client, org):
    ethics = builders.single("教师职业道德的核心是什么？", tags=["师德"])
    builders.single("教师法规定的义务有哪些？", tags=["师德"])
    client.force_login(org.trainer)
    url = reverse("wagtailsnippets_shixun_quizzes_question:list")
    response = client.get(url, {"q": "职业道德"})
    assert response.status_code == 200
    assert list(response.context["object_list"]) == [ethics]
    tag = ethics.tags.get().pk
    response = client.get(reverse("wagtailsnippets_shixun_quizzes_question:list_results"),
                          {"q": "职业道德", "tags": [tag]})
    assert response.status_code == 200
    assert list(response.context["object_list"]) == [ethics]


def test_a_single_choice_with_two_correct_options_is_refused(client, org):
    client.force_login(org.trainer)
    response = client.post(
        reverse("wagtailsnippets_shixun_quizzes_question:add"), question_form(**{"options-1-is_correct": "on"})
    )
    assert response.status_code == 200
    assert "exactly one correct option" in str(response.context["form"].errors) or "只有一个正确选项" in str(
        response.context["form"].errors
    )
    assert not Question.objects.exists()


def test_a_fill_in_question_needs_an_accepted_answer(client, org):
    client.force_login(org.trainer)
    data = question_form(kind="fill_blank", **{"options-TOTAL_FORMS": "0"})
    response = client.post(reverse("wagtailsnippets_shixun_quizzes_question:add"), data)
    assert response.status_code == 200 and "accepted_answers" in response.context["form"].errors
    data["accepted_answers"] = "关爱学生"
    assert client.post(reverse("wagtailsnippets_shixun_quizzes_question:add"), data).status_code == 302


def test_teachers_cannot_open_the_question_bank(client, org):
    client.force_login(org.teacher)
    response = client.get(reverse("wagtailsnippets_shixun_quizzes_question:list"))
    assert response.status_code in (302, 403)


def test_the_admin_menu_links_trainers_to_results(client, org):
    client.force_login(org.trainer)
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("quizzes:manage") in page
