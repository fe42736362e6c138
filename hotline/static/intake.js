// Call intake: autosave the draft and refresh the triage preview while the operator types.
// The page works without this script (the buttons do the same on submit).
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  if (!form || !window.fetch) { return; }
  var status = document.getElementById("autosave-status");
  var preview = document.getElementById("preview");
  var labels = { red: "红色·紧急", orange: "橙色·高", yellow: "黄色·中", blue: "蓝色·一般" };
  var timer = null;

  function text(tag, value, className) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (className) { node.className = className; }
    return node;
  }

  function show(result) {
    preview.textContent = "";
    if (!result.ok) {
      preview.appendChild(text("p", "信息不足,暂无法分级", "muted"));
      return;
    }
    if (result.transfer_now) {
      var alarm = text("p", "", "danger");
      alarm.appendChild(text("strong", "红色·紧急:请立即转接 110 / 120!"));
      preview.appendChild(alarm);
    }
    var line = text("p", " " + result.categories.join("、") + " " + result.mandatory_report_codes.join(" "));
    line.insertBefore(text("span", labels[result.urgency] || result.urgency, "badge " + result.urgency), line.firstChild);
    preview.appendChild(line);
    var list = text("ul", "", "reasons");
    result.reasons.forEach(function (reason) {
      var item = text("li", " " + reason.evidence);
      item.insertBefore(text("code", reason.rule), item.firstChild);
      list.appendChild(item);
    });
    preview.appendChild(list);
  }

  function save() {
    var data = new FormData(form);
    fetch(form.dataset.autosave, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": data.get("csrf_token") }
    }).then(function (response) {
      return response.ok ? response.json() : Promise.reject(response.status);
    }).then(function (body) {
      form.elements.draft_id.value = body.draft_id;
      status.textContent = "草稿已自动保存 " + new Date().toLocaleTimeString();
      show(body.preview);
    }).catch(function () {
      status.textContent = "自动保存失败,请点击“保存草稿”";
    });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(save, 800);
  });
  form.addEventListener("change", function () {
    clearTimeout(timer);
    timer = setTimeout(save, 300);
  });
}());
