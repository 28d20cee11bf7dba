// Live character count under the typed-answer box (the page works without it:
// the server counts again and says how many characters are missing).
// Counts like assessments/assignments/text.py: NFC code points, without
// whitespace and invisible control/format characters.
(function () {
  "use strict";
  var SKIP = /[\s\p{C}]/u;

  function countCharacters(text) {
    var n = 0;
    for (var ch of (text || "").normalize("NFC")) {
      if (!SKIP.test(ch)) n += 1;
    }
    return n;
  }

  function attach(counter) {
    var box = document.getElementById(counter.getAttribute("data-counter-for"));
    if (!box) return;
    var minimum = parseInt(box.getAttribute("data-min-chars") || "0", 10);
    function update() {
      var count = countCharacters(box.value);
      var missing = minimum - count;
      var template = missing > 0 ? counter.getAttribute("data-template-short") : counter.getAttribute("data-template");
      counter.textContent = template.replace("COUNT", String(count)).replace("MISSING", String(missing));
      counter.classList.toggle("short", missing > 0);
    }
    box.addEventListener("input", update);
    update();
  }

  document.querySelectorAll("[data-counter-for]").forEach(attach);
})();
