"""What a browser without JavaScript would post from a rendered admin form."""

from html.parser import HTMLParser

NOT_POSTED = ("submit", "button", "file", "image", "reset")


def form_data(html: str, action: str) -> dict[str, list[str]]:
    """The fields of the form posting to `action`, as the test client takes them."""
    parser = _FormParser(action)
    parser.feed(html)
    data: dict[str, list[str]] = {}
    for name, value in parser.fields:
        data.setdefault(name, []).append(value)
    return data


class _FormParser(HTMLParser):
    def __init__(self, action):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.fields: list[tuple[str, str]] = []
        self.inside = False
        self.templates = 0  # an InlinePanel's empty form sits in a <template>: never posted
        self.select = None  # [name, multiple, first option, chosen]
        self.textarea = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("action") == self.action:
            self.inside = True
        if not self.inside:
            return
        if tag == "template":
            self.templates += 1
        if self.templates or "disabled" in a:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            checkable = kind in ("checkbox", "radio")
            if kind not in NOT_POSTED and (not checkable or "checked" in a):
                self.fields.append((a["name"], a.get("value", "on" if checkable else "")))
        elif tag == "select" and a.get("name"):
            self.select = [a["name"], "multiple" in a, None, False]
        elif tag == "option" and self.select:
            value = a.get("value", "")
            if self.select[2] is None:
                self.select[2] = value
            if "selected" in a:
                self.fields.append((self.select[0], value))
                self.select[3] = True
        elif tag == "textarea" and a.get("name"):
            self.textarea, self.text = a["name"], []

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "form":
            self.inside = False
        elif tag == "template":
            self.templates -= 1
        elif tag == "select" and self.select:
            name, multiple, first, chosen = self.select
            if not (chosen or multiple or first is None):  # a single select posts its first option
                self.fields.append((name, first))
            self.select = None
        elif tag == "textarea" and self.textarea:
            text = "".join(self.text)
            self.fields.append((self.textarea, text.removeprefix("\n")))  # HTML drops a leading newline
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.text.append(data)
