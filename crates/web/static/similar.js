// The feedback form: while a citizen writes, published items that may say the same are shown
// (GET /api/v1/feedback/similar), so that they can follow or support one instead of sending it
// again. The form works the same without this script.
(function () {
  var box = document.getElementById("fb-similar");
  var title = document.getElementById("title"), body = document.getElementById("body");
  if (!box || !title || !body) return;
  var timer = null, last = "";
  function show(items) {
    var list = box.querySelector("ul");
    list.textContent = "";
    items.forEach(function (it) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = it.url;
      a.textContent = it.title;
      li.appendChild(a);
      li.appendChild(document.createTextNode(" (" + Math.round(it.similarity * 100) + " %" + (it.unit_name ? ", " + it.unit_name : "") + ")"));
      list.appendChild(li);
    });
    box.hidden = items.length === 0;
  }
  function ask() {
    var text = (title.value + " " + body.value).trim();
    if (text.length < 25 || text === last) return;
    last = text;
    fetch("/api/v1/feedback/similar?limit=5&text=" + encodeURIComponent(text.slice(0, 2000)))
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(show, function () {});
  }
  function later() { clearTimeout(timer); timer = setTimeout(ask, 400); }
  title.addEventListener("input", later);
  body.addEventListener("input", later);
})();
