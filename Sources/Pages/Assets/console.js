// The little the pages do in the browser; every form works without it.
(function () {
  "use strict";
  // Copy buttons: <button data-copy="#id"> copies the text of #id.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = document.querySelector(button.getAttribute("data-copy"));
      var text = (target.value || target.textContent).trim();
      var done = function () { button.textContent = "Copied"; };
      if (navigator.clipboard) { navigator.clipboard.writeText(text).then(done, done); } else { done(); }
    });
  });
  // Confirmations: <form data-confirm="..."> asks before it is sent.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // A form sent once is not sent again by a second click while it loads.
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) { return; }
      if (form.dataset.sending === "1") { event.preventDefault(); return; }
      form.dataset.sending = "1";
    });
  });
  // Stage order: up and down buttons move a row of the list and renumber it.
  document.querySelectorAll("[data-order]").forEach(function (list) {
    list.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-move]");
      if (!button) { return; }
      event.preventDefault();
      var row = button.closest("li");
      if (button.getAttribute("data-move") === "up" && row.previousElementSibling) {
        row.parentNode.insertBefore(row, row.previousElementSibling);
      } else if (button.getAttribute("data-move") === "down" && row.nextElementSibling) {
        row.parentNode.insertBefore(row.nextElementSibling, row);
      }
      list.querySelectorAll("li").forEach(function (item, index) {
        var input = item.querySelector("input[data-position]");
        if (input) { input.value = String(index + 1); }
      });
      button.focus();
    });
  });
  // Select-all checkboxes: <input type=checkbox data-select-all="name">.
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll("input[type=checkbox][name='" + box.getAttribute("data-select-all") + "']").forEach(function (other) {
        other.checked = box.checked;
      });
    });
  });
  // Sums of the count columns of a table: <tfoot><th data-sum-column="3">.
  document.querySelectorAll("[data-sum-column]").forEach(function (cell) {
    var table = cell.closest("table"), column = Number(cell.getAttribute("data-sum-column")), sum = 0;
    table.querySelectorAll("tbody tr[data-row]").forEach(function (row) {
      var value = row.cells[column] ? parseInt(row.cells[column].textContent.replace(/,/g, ""), 10) : 0;
      sum += isNaN(value) ? 0 : value;
    });
    cell.textContent = sum.toLocaleString("en-US");
  });
  document.body.dataset.ready = "1";
})();
