/* Progressive enhancement only: every page works without this file.
   - The current item of a sideways-scrolling main nav is scrolled into view.
   - Table rows marked data-href open their record when clicked anywhere on the row (the row
     still holds a real link for keyboards, screen readers and middle-clicks). */
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
})();
