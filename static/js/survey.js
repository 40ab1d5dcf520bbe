/* Answering a questionnaire (templates/surveys/respond/answer.html).
 *
 * - One section at a time, with 上一部分/下一部分; without JavaScript all sections show.
 * - Answers are kept in localStorage as the respondent goes (key: questionnaire + code), so
 *   a dropped connection or a closed tab loses nothing; restored on reload; cleared on the
 *   thank-you page (data-survey-clear="<key prefix>").
 * No inline script anywhere (CSP default-src 'self').
 */
(function () {
  "use strict";

  var MAX_AGE_MS = 30 * 24 * 3600 * 1000;

  function storage() {
    try {
      var probe = "__pingyi_probe__";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (e) {
      return null;
    }
  }

  // --- the thank-you page: forget what was kept ------------------------------------------
  var clear = document.querySelector("[data-survey-clear]");
  if (clear) {
    var store0 = storage();
    var prefix = clear.getAttribute("data-survey-clear");
    if (store0 && prefix) {
      var doomed = [];
      for (var i = 0; i < store0.length; i++) {
        var k = store0.key(i);
        if (k && k.indexOf(prefix) === 0) doomed.push(k);
      }
      doomed.forEach(function (key) { store0.removeItem(key); });
    }
  }

  var form = document.querySelector("[data-survey-form]");
  if (!form) return;
  var store = storage();
  var key = form.getAttribute("data-survey-key");
  var hasErrors = form.hasAttribute("data-survey-errors");

  // --- keeping answers -------------------------------------------------------------------
  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrfmiddlewaretoken" && el.type !== "submit" && el.type !== "button";
    });
  }

  function collect() {
    var data = {};
    fields().forEach(function (el) {
      if (el.type === "radio" || el.type === "checkbox") {
        if (!data[el.name]) data[el.name] = [];
        if (el.checked) data[el.name].push(el.value);
      } else {
        data[el.name] = [el.value];
      }
    });
    return data;
  }

  function save() {
    if (!store || !key) return;
    try {
      store.setItem(key, JSON.stringify({ saved: Date.now(), section: current, data: collect() }));
    } catch (e) { /* storage full or refused: answering still works */ }
  }

  function load() {
    if (!store || !key) return null;
    try {
      var kept = JSON.parse(store.getItem(key) || "null");
      if (!kept || !kept.data || Date.now() - (kept.saved || 0) > MAX_AGE_MS) return null;
      return kept;
    } catch (e) {
      return null;
    }
  }

  function apply(data) {
    var any = false;
    fields().forEach(function (el) {
      var values = data[el.name];
      if (!values) return;
      if (el.type === "radio" || el.type === "checkbox") {
        var on = values.indexOf(el.value) !== -1;
        if (on) any = true;
        el.checked = on;
      } else if (values.length && values[0] !== "") {
        el.value = values[0];
        any = true;
      }
    });
    return any;
  }

  // --- one section at a time -------------------------------------------------------------
  var sections = Array.prototype.slice.call(form.querySelectorAll("[data-survey-section]"));
  var submit = form.querySelector("[data-survey-submit]");
  var current = 0;

  function show(index, scroll) {
    if (sections.length < 2) return;
    current = Math.max(0, Math.min(index, sections.length - 1));
    sections.forEach(function (section, i) { section.hidden = i !== current; });
    if (submit) submit.hidden = current !== sections.length - 1;
    if (scroll) {
      sections[current].scrollIntoView({ block: "start" });
      var heading = sections[current].querySelector("h2");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus({ preventScroll: true });
      }
    }
  }

  function sectionOf(el) {
    for (var i = 0; i < sections.length; i++) {
      if (sections[i].contains(el)) return i;
    }
    return -1;
  }

  if (sections.length > 1) {
    form.querySelectorAll("[data-survey-pager]").forEach(function (nav) { nav.hidden = false; });
    form.addEventListener("click", function (event) {
      var next = event.target.closest("[data-survey-next]");
      var prev = event.target.closest("[data-survey-prev]");
      if (next) { show(current + 1, true); save(); }
      if (prev) { show(current - 1, true); save(); }
      var link = event.target.closest("a[href^='#f-']");
      if (link) {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        var at = target ? sectionOf(target) : -1;
        if (at >= 0) {
          event.preventDefault();
          show(at, false);
          target.scrollIntoView({ block: "center" });
        }
      }
    });
  }

  // --- start -----------------------------------------------------------------------------
  var kept = load();
  if (hasErrors) {
    // The server's page already holds every answer sent; go to the first problem.
    var firstError = form.querySelector(".survey-cell-invalid, .survey-question.border-danger");
    var at = firstError ? sectionOf(firstError) : 0;
    show(at < 0 ? 0 : at, false);
    var summary = document.getElementById("survey-errors");
    if (summary) summary.focus();
    save();
  } else if (kept && apply(kept.data)) {
    var notice = document.querySelector("[data-survey-restored]");
    if (notice) notice.hidden = false;
    show(kept.section || 0, false);
  } else {
    show(0, false);
  }

  form.addEventListener("change", save);
  form.addEventListener("input", save);
  form.addEventListener("submit", function () {
    save();
    var button = submit && submit.querySelector("button[type=submit]");
    if (button) {
      // Kept in storage until the thank-you page: a dropped connection loses nothing.
      window.setTimeout(function () {
        button.disabled = true;
        button.textContent = "正在提交…";
      }, 0);
    }
  });
  // Coming back with the browser's Back button after a failed submit.
  window.addEventListener("pageshow", function (event) {
    var button = submit && submit.querySelector("button[type=submit]");
    if (event.persisted && button) {
      button.disabled = false;
      button.textContent = "提交问卷";
    }
  });
})();
