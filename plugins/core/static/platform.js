/* Progressive enhancement only: every page works without this file.
   - The current item of a sideways-scrolling main nav is scrolled into view.
   - Table rows marked data-href open their record when clicked anywhere on the row (the row
     still holds a real link for keyboards, screen readers and middle-clicks).
   - A bulk form (form.bulk) gets a "select all" checkbox and says how many rows are selected
     (its .bulk-selected may name the rows with data-one / data-many: "3 campaigns selected:");
     without this file each row's checkbox still works on its own.
   - An element with an id and data-live is replaced every few seconds by the same element of a
     fresh copy of the page, until the fresh one no longer says data-live (or five minutes pass).
   - A hidden notice marked data-poll-url asks that URL (as JSON) every 30 seconds for its
     `count`; when it grew past data-poll-count the notice shows "N new leads — show".
   - An element marked data-currency-of="<select id>" shows the data-currency of that select's
     chosen option (an amount's currency follows the chosen ad account).
   - A form marked data-row-action (a quick action in a table row with an id) is posted without
     leaving the page: the rows showing the same object (same data-row) are replaced by their
     fresh copies, and the row says how it went in its [data-row-result] (data-done, or the
     error's message). Without this file the form posts and the page comes back. */
(function () {
  "use strict";

  // On a narrow screen the main nav scrolls sideways: bring the current section into view.
  var nav = document.querySelector(".mainnav");
  var current = nav && nav.querySelector('[aria-current="page"]');
  if (current && nav.scrollWidth > nav.clientWidth) {
    var offset = current.getBoundingClientRect().left - nav.getBoundingClientRect().left;
    nav.scrollLeft += offset - (nav.clientWidth - current.offsetWidth) / 2;
  }

  function interactive(target) {
    return target.closest("a, button, input, select, textarea, label, summary");
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    var target = event.target;
    if (!(target instanceof Element) || interactive(target)) return;
    var row = target.closest("tr[data-href]");
    if (!row) return;
    var selection = window.getSelection ? window.getSelection() : null;
    if (selection && String(selection).length > 0) return; // let people copy an email address
    window.location.assign(row.getAttribute("data-href"));
  });

  // Bulk forms: "select all" in the header, and a count of the selected rows.
  Array.prototype.forEach.call(document.querySelectorAll("form.bulk"), function (form) {
    var all = form.querySelector(".select-all");
    var boxes = form.querySelectorAll('input[type="checkbox"][name="ids"]');
    var status = form.querySelector(".bulk-selected");
    if (!all || boxes.length === 0) return;

    function update() {
      var chosen = Array.prototype.filter.call(boxes, function (box) { return box.checked; }).length;
      all.checked = chosen === boxes.length;
      all.indeterminate = chosen > 0 && chosen < boxes.length;
      var one = (status && status.getAttribute("data-one")) || "lead";
      var many = (status && status.getAttribute("data-many")) || "leads";
      if (status) status.textContent = chosen ? (chosen === 1 ? "1 " + one + " selected:" : chosen + " " + many + " selected:") : "";
    }

    all.hidden = false;
    all.addEventListener("change", function () {
      Array.prototype.forEach.call(boxes, function (box) { box.checked = all.checked; });
      update();
    });
    Array.prototype.forEach.call(boxes, function (box) { box.addEventListener("change", update); });
    update();
  });

  // Live sections: something the server is waiting for (a test lead's webhook) shows up unasked.
  var LIVE_EVERY_MS = 2000, LIVE_FOR_MS = 5 * 60 * 1000;
  Array.prototype.forEach.call(document.querySelectorAll("[id][data-live]"), function (element) {
    var id = element.id, until = Date.now() + LIVE_FOR_MS;

    function refresh() {
      fetch(window.location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(id);
          var current = document.getElementById(id);
          if (!fresh || !current) return;
          current.replaceWith(fresh);
          if (fresh.hasAttribute("data-live") && Date.now() < until) window.setTimeout(refresh, LIVE_EVERY_MS);
        })
        .catch(function () { if (Date.now() < until) window.setTimeout(refresh, LIVE_EVERY_MS * 2); });
    }

    window.setTimeout(refresh, LIVE_EVERY_MS);
  });

  // An amount's currency follows the chosen ad account.
  Array.prototype.forEach.call(document.querySelectorAll("[data-currency-of]"), function (affix) {
    var select = document.getElementById(affix.getAttribute("data-currency-of"));
    if (!select) return;
    var fallback = affix.textContent;
    function update() {
      var option = select.options[select.selectedIndex];
      affix.textContent = (option && option.getAttribute("data-currency")) || fallback;
    }
    select.addEventListener("change", update);
    update();
  });

  // Quick actions in a row: post, then show the rows as the server now has them.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-row-action") || !window.fetch) return;
    var row = form.closest("[id]");
    if (!row) return;
    event.preventDefault();
    var button = form.querySelector("button");
    if (button) button.disabled = true;

    function say(target, text, failed) {
      var result = target.querySelector("[data-row-result]");
      if (!result) return;
      result.textContent = text;
      result.classList.toggle("row-result-error", failed);
    }

    window.fetch(form.action, {
      method: "POST", body: new FormData(form), headers: { Accept: "application/json" }, credentials: "same-origin"
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) throw new Error((body && body.error && body.error.message) || "That did not work.");
        });
      })
      .then(function () {
        return window.fetch(window.location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" })
          .then(function (response) { return response.text(); })
          .then(function (html) {
            var fresh = new DOMParser().parseFromString(html, "text/html");
            var key = row.getAttribute("data-row");
            var rows = key ? document.querySelectorAll('[data-row="' + key + '"]') : [row];
            var acted = row;
            Array.prototype.forEach.call(rows, function (old) {
              var copy = fresh.getElementById(old.id);
              if (!copy) return;
              old.replaceWith(copy);
              if (old === row) acted = copy;
            });
            say(acted, form.getAttribute("data-done") || "Done.", false);
          });
      })
      .catch(function (error) {
        if (button) button.disabled = false;
        say(row, error.message, true);
      });
  });

  // "3 new leads — show": the list's own JSON, asked again while the page is open.
  Array.prototype.forEach.call(document.querySelectorAll("[data-poll-url]"), function (notice) {
    var url = notice.getAttribute("data-poll-url");
    var shown = Number(notice.getAttribute("data-poll-count"));
    var link = notice.querySelector("a");
    if (!url || !link || !window.fetch) return;
    function check() {
      if (document.hidden) return;
      window.fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          var fresh = body && typeof body.count === "number" ? body.count - shown : 0;
          if (fresh <= 0) return;
          var noun = notice.getAttribute(fresh === 1 ? "data-poll-one" : "data-poll-many");
          link.textContent = fresh + " " + noun + " — show";
          notice.hidden = false;
        })
        .catch(function () { /* offline for a moment: try again next time */ });
    }
    var every = Number(notice.getAttribute("data-poll-seconds")) || 30;
    window.setInterval(check, every * 1000);
  });
})();
