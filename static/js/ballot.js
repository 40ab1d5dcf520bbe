/* The ballot's "check your choices" step, in the page: the only POST is the final submit,
   so the browser's Back button after "投票成功" returns to the ballot page (which then says
   "您已投票") instead of a "resubmit the form?" error. Without JavaScript the server renders
   the same summary. Nothing here stores or sends a choice anywhere but the form itself. */
(function () {
  "use strict";
  var form = document.querySelector(".ballot-form");
  if (!form) return;
  var marking = document.getElementById("ballot-marking");
  var summary = document.getElementById("ballot-summary");
  var list = document.getElementById("ballot-summary-list");
  var missingAlert = document.getElementById("ballot-missing");
  var items = Array.prototype.slice.call(form.querySelectorAll(".ballot-item"));

  function element(tag, className, text) {
    var node = document.createElement(tag);
    node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function setMissing(item, missing) {
    item.classList.toggle("is-missing", missing);
    var hint = item.querySelector(".ballot-item-missing");
    if (missing && !hint) {
      item.querySelector("fieldset").appendChild(
        element("div", "text-danger small px-3 pb-2 ballot-item-missing",
                "请为" + item.dataset.name + "作出选择。"));
    } else if (!missing && hint) {
      hint.remove();
    }
  }

  form.addEventListener("change", function (event) {
    var item = event.target.closest(".ballot-item");
    if (item) setMissing(item, false);
    if (!form.querySelector(".ballot-item.is-missing")) missingAlert.hidden = true;
  });

  form.addEventListener("submit", function (event) {
    if (!event.submitter || event.submitter.value !== "review") return;
    event.preventDefault();
    var missing = items.filter(function (item) {
      return !item.querySelector(".btn-check:checked");
    });
    items.forEach(function (item) {
      setMissing(item, missing.indexOf(item) !== -1);
    });
    if (missing.length) {
      missingAlert.textContent = "还有 " + missing.length + " 位评议对象没有选择，请对每一位作出选择后再提交。";
      missingAlert.hidden = false;
      missing[0].scrollIntoView({ behavior: "smooth", block: "center" });
      return;
    }
    var intro = document.getElementById("ballot-summary-intro");
    intro.textContent = "";
    intro.appendChild(element("h1", "h5", "请核对您的选择"));
    intro.appendChild(element("p", "small text-body-secondary",
      "提交后不能修改。系统只记录您已投票，不记录您投了什么；提交后您本人也无法再查看。"));
    list.textContent = "";
    items.forEach(function (item) {
      var checked = item.querySelector(".btn-check:checked");
      var label = form.querySelector('label[for="' + checked.id + '"]');
      var row = element("li", "list-group-item d-flex justify-content-between align-items-center gap-2");
      var name = element("span", "flex-grow-1 ms-1", item.dataset.name);
      name.appendChild(element("span", "d-block small text-body-secondary", item.dataset.post));
      row.appendChild(name);
      row.appendChild(element("span", "choice-tag choice-" + checked.value, label.textContent));
      list.appendChild(row);
    });
    marking.hidden = true;
    summary.hidden = false;
    window.scrollTo(0, 0);
  });

  document.getElementById("ballot-edit").addEventListener("click", function () {
    summary.hidden = true;
    marking.hidden = false;
  });
})();
