// Progressive enhancement for the Palisade console. Every feature works
// without this script (plain forms); it only adds tab switching, copy
// buttons and delete confirmations.
"use strict";

document.documentElement.classList.add("js");

function initTabs(box) {
  const state = box.querySelector(":scope > [data-tab-state]");
  const buttons = box.querySelectorAll(":scope > .tablist > [data-tab]");
  const panels = box.querySelectorAll(":scope > [data-panel]");
  function show(name) {
    panels.forEach((p) => p.classList.toggle("active", p.dataset.panel === name));
    buttons.forEach((b) => b.setAttribute("aria-selected", b.dataset.tab === name ? "true" : "false"));
    if (state) state.value = name;
  }
  buttons.forEach((b) => b.addEventListener("click", () => show(b.dataset.tab)));
  // Open the first tab that shows a problem, else the one the server chose.
  const withError = Array.from(panels).find((p) => p.querySelector(".field-error"));
  const active = Array.from(panels).find((p) => p.classList.contains("active"));
  show((withError || active || panels[0]).dataset.panel);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-tabs]").forEach(initTabs);

  document.querySelectorAll("[data-copy]").forEach((b) => {
    b.addEventListener("click", () => {
      const el = document.getElementById(b.dataset.copy);
      if (!el) return;
      const text = "value" in el && el.tagName === "INPUT" ? el.value : el.textContent;
      if (navigator.clipboard) {
        navigator.clipboard.writeText(text).then(() => { b.textContent = "Copied"; }, () => {});
      }
    });
  });

  document.querySelectorAll("form[data-confirm]").forEach((f) => {
    f.addEventListener("submit", (e) => {
      if (!window.confirm(f.dataset.confirm)) e.preventDefault();
    });
  });

  // Checking a rule's properties or action hints that it should be on.
  document.querySelectorAll("tr.rule").forEach((row) => {
    const box = row.querySelector("input[type=checkbox][name$='.enabled']");
    if (!box) return;
    box.addEventListener("change", () => row.classList.toggle("enabled", box.checked));
  });
});
