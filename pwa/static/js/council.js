/* Council triage on the tablet: confirm a need, merge duplicates. GraphQL mutations with the
   session's CSRF token; the server's refusals are shown where they belong. */
(() => {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const list = $("#triage-list");
  if (!list) return;
  const panel = $("#merge-panel");
  const notice = $("#triage-message");
  const csrf = $('meta[name="csrf-token"]');

  const gql = (name, variables) => fetch("/graphql", {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "content-type": "application/json",
      "accept": "application/json",
      "accept-language": document.documentElement.lang || "km",
      "x-csrf-token": csrf ? csrf.content : "",
    },
    body: self.khumRequest(name, variables),
  }).then((res) => res.json());

  const firstError = (body) => {
    const e = body && body.errors && body.errors[0];
    return e ? { message: e.message, field: (e.extensions || {}).field || "", code: (e.extensions || {}).code } : null;
  };
  const say = (text) => { notice.textContent = text; notice.hidden = false; };

  /* Confirm one need. */
  $$("[data-confirm-need]", list).forEach((button) => {
    button.addEventListener("click", () => {
      const id = button.dataset.confirmNeed;
      const card = document.getElementById("need-" + id);
      const error = $('[data-error-for="' + id + '"]', card);
      error.hidden = true;
      button.disabled = true;
      gql("ValidateNeed", { id }).then((body) => {
        const need = body && body.data && body.data.validateNeed;
        const problem = firstError(body);
        if (need) {
          card.dataset.status = "validated";
          const status = $("[data-status-text]", card);
          status.className = "status status-validated";
          status.textContent = "✔️ " + list.dataset.confirmedLabel;
          button.parentElement.remove();
          say(card.dataset.code + ": " + list.dataset.confirmedLabel);
        } else {
          error.textContent = problem ? problem.message : list.dataset.msgNetwork;
          error.hidden = false;
          button.disabled = false;
        }
      }, () => {
        error.textContent = list.dataset.msgNetwork;
        error.hidden = false;
        button.disabled = false;
      });
    });
  });

  /* Merge: tick two or more cards, choose the one that stays, merge the others into it. */
  if (!panel) return;
  const choices = $("#merge-choices", panel);
  const picked = () => $$(".pick-box:checked", list).map((box) => box.closest(".need-card"));
  const clearErrors = () => $$(".field-error", panel).forEach((el) => { el.hidden = true; el.textContent = ""; });
  const fieldError = (field, text) => {
    const el = $('.field-error[data-for="' + field + '"]', panel) || $('.field-error[data-for="mergedId"]', panel);
    el.textContent = text;
    el.hidden = false;
  };

  const refresh = () => {
    const cards = picked();
    panel.hidden = cards.length < 2;
    const kept = $('input[name="survivor"]:checked', choices);
    const keep = kept ? kept.value : null;
    choices.textContent = "";
    // The oldest need stays unless chosen otherwise (ids are time-ordered).
    const oldest = cards.map((c) => c.dataset.id).sort()[0];
    cards.forEach((card) => {
      const label = document.createElement("label");
      label.className = "choice-card";
      const radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "survivor";
      radio.value = card.dataset.id;
      radio.checked = keep && cards.some((c) => c.dataset.id === keep) ? keep === card.dataset.id : card.dataset.id === oldest;
      const words = document.createElement("span");
      const text = $(".need-text", card).textContent;
      words.textContent = card.dataset.code + " · " + (text.length > 80 ? text.slice(0, 80) + "…" : text);
      label.append(radio, words);
      choices.appendChild(label);
    });
  };
  $$(".pick-box", list).forEach((box) => box.addEventListener("change", refresh));

  $("#merge-cancel", panel).addEventListener("click", () => {
    $$(".pick-box:checked", list).forEach((box) => { box.checked = false; });
    clearErrors();
    refresh();
  });

  const confirm = $("#merge-confirm", panel);
  confirm.addEventListener("click", async () => {
    clearErrors();
    const survivor = $('input[name="survivor"]:checked', choices);
    if (!survivor) return;
    const reason = $("#merge-reason", panel).value.trim() || null;
    const keep = document.getElementById("need-" + survivor.value);
    const others = picked().filter((card) => card !== keep);
    confirm.disabled = true;
    try {
      for (const card of others) { // one at a time: each merge changes the need that stays
        let body;
        try {
          body = await gql("MergeNeeds", { survivorId: survivor.value, mergedId: card.dataset.id, reason });
        } catch (e) {
          fieldError("mergedId", panel.dataset.msgNetwork);
          return;
        }
        const kept = body && body.data && body.data.mergeNeeds;
        if (!kept) {
          const problem = firstError(body) || { field: "mergedId", message: panel.dataset.msgNetwork };
          fieldError(problem.field || "mergedId", problem.message);
          return;
        }
        card.dataset.status = "merged";
        const status = $("[data-status-text]", card);
        status.className = "status status-merged";
        status.textContent = "🔗 " + panel.dataset.mergedLabel;
        const pick = $(".pick", card);
        if (pick) pick.remove();
        const confirmRow = $("[data-confirm-need]", card);
        if (confirmRow) confirmRow.parentElement.remove();
        const people = $("[data-people]", keep);
        if (people) people.textContent = String(kept.people);
      }
      $$(".pick-box:checked", list).forEach((box) => { box.checked = false; });
      $("#merge-reason", panel).value = "";
      refresh();
      say(panel.dataset.msgDone);
      keep.tabIndex = -1;
      keep.focus();
    } finally {
      confirm.disabled = false;
    }
  });
})();
