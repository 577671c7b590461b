/* Khum PWA, meetings: schedule with suggested times, agenda builder, attendance counter,
   decisions and minutes, RSVPs. Every change is a GraphQL mutation; no framework, no inline code. */
(() => {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  const gql = (name, variables) => {
    const meta = $('meta[name="csrf-token"]');
    return fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "content-type": "application/json",
        "accept": "application/json",
        "accept-language": document.documentElement.lang || "km",
        "x-csrf-token": meta ? meta.content : "",
      },
      body: self.khumRequest(name, variables),
    }).then((res) => res.json());
  };

  const randomKey = () => {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => (b + 256).toString(16).slice(1)).join("");
  };

  // Counts in the page's digits, from the one formatter (app.js); plain digits if it is missing.
  const count = (n) => (window.KhumFormat ? window.KhumFormat.number(n) : String(n));

  const show = (el, text) => {
    if (!el) return;
    el.textContent = text || "";
    el.hidden = !text;
  };

  // A form's error handling: field errors under their inputs (data-for = the GraphQL field
  // named in the error), anything else in the form's general error box.
  const feedback = (form, box) => {
    const clear = () => {
      $$(".field-error", form).forEach((el) => show(el, ""));
      $$("[aria-invalid]", form).forEach((el) => el.removeAttribute("aria-invalid"));
      show(box, "");
    };
    const field = (name, text) => {
      const el = $('.field-error[data-for="' + name + '"]', form);
      if (!el) return false;
      show(el, text);
      const input = el.previousElementSibling;
      if (input && input.matches && input.matches("input, select, textarea")) input.setAttribute("aria-invalid", "true");
      return true;
    };
    const errors = (body, fallback) => {
      const list = (body && body.errors) || [];
      if (!list.length) return false;
      const first = list[0];
      const name = first.extensions && first.extensions.field;
      if (!(name && field(name, first.message))) show(box, first.message || fallback);
      return true;
    };
    return { clear, field, errors };
  };

  // Runs a mutation from a button or form: busy while in flight, errors shown, then done(data).
  const run = (opts) => {
    const { form, box, button, operation, variables, network, done } = opts;
    const fb = feedback(form, box);
    fb.clear();
    if (button) button.disabled = true;
    if (form) form.setAttribute("aria-busy", "true");
    return gql(operation, variables)
      .then((body) => {
        if (fb.errors(body, network)) return;
        if (body && body.data) done(body.data);
        else show(box, network);
      }, () => show(box, network))
      .then(() => {
        if (button) button.disabled = false;
        if (form) form.removeAttribute("aria-busy");
      });
  };

  /* ---------- schedule a meeting, with suggested times ---------- */

  const SUGGEST = "SuggestMeetingSlots";
  const SCHEDULE = "ScheduleMeeting";

  const isoDay = (d) => d.toISOString().slice(0, 10);

  const scheduler = (form) => {
    const finder = $("#slot-finder");
    const msg = form.dataset;
    const box = $("#meeting-error");
    let key = null;

    if (finder) {
      const from = $("#slot-from");
      const to = $("#slot-to");
      const today = new Date();
      if (!from.value) from.value = isoDay(new Date(today.getTime() + 8 * 86400000));
      if (!to.value) to.value = isoDay(new Date(today.getTime() + 38 * 86400000));
      const list = $("#slot-list");
      const error = $("#slot-error");
      const warning = $("#slot-warning");
      const button = $("#suggest-slots");
      // "Saturday 2027-04-17 08:00–10:00" from the Phnom Penh times as given, Khmer digits in Khmer.
      const weekdays = (finder.dataset.weekdays || "").split(",");
      const khmer = document.documentElement.lang !== "en";
      const digits = (text) => (khmer ? text.replace(/[0-9]/g, (d) => "០១២៣៤៥៦៧៨៩"[d]) : text);
      const when = (slot) => {
        const day = slot.startsAtLocal.slice(0, 10);
        const [y, m, d] = day.split("-").map((n) => parseInt(n, 10));
        const weekday = weekdays[(new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7] || "";
        return digits(weekday + " " + day + " " + slot.startsAtLocal.slice(11, 16) + "–" + slot.endsAtLocal.slice(11, 16));
      };
      const use = (slot) => {
        $("#meeting-date").value = slot.startsAtLocal.slice(0, 10);
        $("#meeting-start").value = slot.startsAtLocal.slice(11, 16);
        $("#meeting-end").value = slot.endsAtLocal.slice(11, 16);
        $("#meeting-date").focus();
      };
      button.addEventListener("click", () => {
        show(error, "");
        show(warning, "");
        list.textContent = "";
        const place = $("#meeting-place").value.trim();
        const village = $("#meeting-village").value;
        const variables = {
          c: $("#meeting-commune").value,
          f: from.value,
          t: to.value,
          d: parseInt($("#slot-duration").value, 10),
          v: place && village ? { villageCode: village, place } : null,
        };
        button.disabled = true;
        gql(SUGGEST, variables).then((body) => {
          if (body.errors && body.errors.length) { show(error, body.errors[0].message); return; }
          const result = body.data.suggestMeetingSlots;
          if (result.missingHolidayYears.length) {
            show(warning, finder.dataset.msgMissingHolidays.replace("{years}", result.missingHolidayYears.join(", ")));
          }
          if (!result.slots.length) { show(error, finder.dataset.msgNone); return; }
          result.slots.forEach((slot) => {
            const li = document.createElement("li");
            li.className = "card slot";
            const line = document.createElement("p");
            const strong = document.createElement("strong");
            strong.textContent = when(slot);
            line.appendChild(strong);
            line.appendChild(document.createTextNode(" (" + digits(String(slot.score)) + " " + finder.dataset.msgPoints + ")"));
            li.appendChild(line);
            const reasons = document.createElement("ul");
            slot.reasons.forEach((r) => {
              const item = document.createElement("li");
              item.textContent = (r.points > 0 ? "✅ " : r.points < 0 ? "⚠️ " : "• ") + r.text;
              item.dataset.code = r.code;
              reasons.appendChild(item);
            });
            li.appendChild(reasons);
            const pick = document.createElement("button");
            pick.type = "button";
            pick.className = "use-slot";
            pick.textContent = finder.dataset.msgUse;
            pick.addEventListener("click", () => use(slot));
            li.appendChild(pick);
            list.appendChild(li);
          });
        }, () => show(error, finder.dataset.msgNetwork)).then(() => { button.disabled = false; });
      });
    }

    // Only the villages of the chosen commune are offered as the venue.
    const commune = $("#meeting-commune");
    const villages = $("#meeting-village");
    const filterVillages = () => {
      let first = null;
      $$("option", villages).forEach((o) => {
        o.hidden = o.dataset.commune !== commune.value;
        if (!o.hidden && !first) first = o;
      });
      if (villages.selectedOptions[0] && villages.selectedOptions[0].hidden && first) villages.value = first.value;
    };
    if (commune && commune.tagName === "SELECT") {
      commune.addEventListener("change", filterVillages);
      filterVillages();
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const fb = feedback(form, box);
      fb.clear();
      const date = $("#meeting-date").value;
      const start = $("#meeting-start").value;
      const end = $("#meeting-end").value;
      const place = $("#meeting-place").value.trim();
      let missing = false;
      if (!place) missing = fb.field("venue.place", msg.msgRequired) || true;
      if (!date || !start) missing = fb.field("startsAt", msg.msgRequired) || true;
      if (!end) missing = fb.field("endsAt", msg.msgRequired) || true;
      if (missing) return;
      key = key || randomKey();
      const input = {
        communeCode: $("#meeting-commune").value,
        type: $("#meeting-type").value,
        title: $("#meeting-title").value.trim() || null,
        venue: { villageCode: $("#meeting-village").value, place },
        // No offset: the gateway reads it as Phnom Penh time, as the person typed it.
        startsAt: date + "T" + start + ":00",
        endsAt: date + "T" + end + ":00",
        languages: $$('input[name="languages"]:checked', form).map((i) => i.value),
        interpreterArranged: $("#meeting-interpreter").checked,
        accessibilityNotes: $("#meeting-access").value.trim() || null,
        remoteLink: $("#meeting-link").value.trim() || null,
        idempotencyKey: key,
      };
      run({
        form, box, button: $("#meeting-submit"), operation: SCHEDULE, variables: { i: input }, network: msg.msgNetwork,
        done: (data) => { location.href = "/meetings/" + data.scheduleMeeting.id + "/agenda"; },
      });
    });
  };

  /* ---------- a meeting's actions (council) ---------- */

  const ANNOUNCE = "AnnounceMeeting";
  const RESCHEDULE = "RescheduleMeeting";
  const CANCEL = "CancelMeeting";

  const actions = (section) => {
    const id = section.dataset.meetingId;
    const network = section.dataset.msgNetwork;
    const box = $("#action-error");
    const reload = () => location.reload();
    const announce = $("#announce-meeting");
    if (announce) {
      announce.addEventListener("click", () => run({
        form: section, box, button: announce, operation: ANNOUNCE, variables: { id }, network, done: reload,
      }));
    }
    const move = $("#reschedule-form");
    if (move) {
      move.addEventListener("submit", (event) => {
        event.preventDefault();
        const date = $("#reschedule-date").value;
        run({
          form: move, box, button: $('button[type="submit"]', move), operation: RESCHEDULE, network, done: reload,
          variables: { i: {
            meetingId: id,
            startsAt: date + "T" + $("#reschedule-start").value + ":00",
            endsAt: date + "T" + $("#reschedule-end").value + ":00",
            reason: $("#reschedule-reason").value.trim() || null,
            emergencyReason: ($("#reschedule-emergency") || { value: "" }).value.trim() || null,
          } },
        });
      });
    }
    const cancel = $("#cancel-form");
    if (cancel) {
      cancel.addEventListener("submit", (event) => {
        event.preventDefault();
        run({
          form: cancel, box, button: $('button[type="submit"]', cancel), operation: CANCEL, network, done: reload,
          variables: {
            id, r: $("#cancel-reason").value, e: ($("#cancel-emergency") || { value: "" }).value.trim() || null,
          },
        });
      });
    }
  };

  /* ---------- RSVP for a group (facilitator) ---------- */

  const RSVP = "Rsvp";
  const GROUPS = ["women", "disability", "idpoor", "indigenous", "migrant", "youth", "remote"];

  const rsvpForm = (form) => {
    const box = $("#rsvp-error");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const number = (name) => parseInt(form.elements[name].value || "0", 10);
      const input = {
        meetingId: form.dataset.meetingId,
        response: ($('input[name="response"]:checked', form) || {}).value || "ATTENDING",
        label: form.elements.label.value.trim() || null,
        people: number("people"),
      };
      GROUPS.forEach((g) => { input[g] = number(g); });
      show($("#rsvp-done"), "");
      run({
        form, box, button: $('button[type="submit"]', form), operation: RSVP, variables: { i: input },
        network: form.dataset.msgNetwork, done: () => show($("#rsvp-done"), form.dataset.msgSaved),
      });
    });
  };

  /* ---------- agenda builder ---------- */

  const PUBLISH = "PublishAgenda";

  const orderable = (list) => {
    list.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      const li = button.closest("li");
      if (button.classList.contains("move-up") && li.previousElementSibling) {
        list.insertBefore(li, li.previousElementSibling);
        button.focus();
      } else if (button.classList.contains("move-down") && li.nextElementSibling) {
        list.insertBefore(li.nextElementSibling, li);
        button.focus();
      } else {
        return;
      }
      list.dispatchEvent(new Event("change", { bubbles: true }));
    });
  };

  const agendaBuilder = (form) => {
    const msg = form.dataset;
    const list = $("#agenda-items");
    const template = $("#agenda-item-template");
    const total = $("#agenda-total");
    const box = $("#agenda-error");
    const length = parseInt(msg.length, 10);
    orderable(list);

    const recount = () => {
      const sum = $$(".item-minutes", list).reduce((n, i) => n + (parseInt(i.value, 10) || 0), 0);
      total.textContent = msg.msgTotal.replace("{total}", count(sum)).replace("{length}", count(length));
      total.classList.toggle("error", sum > length);
      return sum;
    };
    const addItem = (kind, needId, title) => {
      const li = template.content.firstElementChild.cloneNode(true);
      li.dataset.kind = kind;
      li.dataset.needId = needId || "";
      if (needId) {
        $(".agenda-title", li).textContent = title;
        $(".title-field", li).remove();
      } else {
        $(".agenda-title", li).remove();
        $(".item-title", li).value = title;
      }
      list.appendChild(li);
      recount();
      $(".item-owner", li).focus();
      return li;
    };

    $$(".add-need").forEach((button) => {
      button.addEventListener("click", () => {
        const card = button.closest(".candidate");
        addItem("NEED", card.dataset.needId, card.dataset.title + " (" + card.dataset.tracking + ")");
        button.disabled = true;
      });
    });
    const extra = $("#add-extra");
    if (extra) {
      extra.addEventListener("click", () => {
        const title = $("#extra-title").value.trim();
        if (!title) { $("#extra-title").focus(); return; }
        addItem($("#extra-kind").value, null, title);
        $("#extra-title").value = "";
      });
    }
    list.addEventListener("click", (event) => {
      const button = event.target.closest(".remove-item");
      if (!button) return;
      const li = button.closest("li");
      const needId = li.dataset.needId;
      li.remove();
      if (needId) {
        const again = $('.candidate[data-need-id="' + needId + '"] .add-need');
        if (again) again.disabled = false;
      }
      recount();
    });
    list.addEventListener("input", recount);
    list.addEventListener("change", recount);
    recount();

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      show(box, "");
      show($("#agenda-done"), "");
      const rows = $$(".agenda-item", list);
      if (!rows.length) { show(box, msg.msgEmpty); return; }
      if (rows.some((li) => !$(".item-owner", li).value.trim())) { show(box, msg.msgOwner); return; }
      if (recount() > length) { show(box, msg.msgTooLong); return; }
      const items = rows.map((li) => {
        const titleInput = $(".item-title", li);
        return {
          kind: li.dataset.kind,
          needId: li.dataset.needId || null,
          title: titleInput ? titleInput.value.trim() || null : null,
          minutes: parseInt($(".item-minutes", li).value, 10) || 0,
          owner: $(".item-owner", li).value.trim(),
        };
      });
      run({
        form, box, button: $("#publish-agenda"), operation: PUBLISH, variables: { id: msg.meetingId, items },
        network: msg.msgNetwork, done: () => show($("#agenda-done"), msg.msgSaved),
      });
    });
  };

  /* ---------- attendance counter ---------- */

  const ATTEND = "RecordAttendance";
  const SUBGROUPS = ["women", "men", "disability", "idpoor", "indigenous", "migrant", "youth", "council_present"];
  const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

  const attendanceCounter = (form) => {
    const msg = form.dataset;
    const box = $("#attendance-error");
    const totalOut = $("#attendance-total");
    const quorum = $("#quorum");
    const value = (name) => Math.max(0, parseInt((form.elements[name] || {}).value || "0", 10) || 0);
    const refresh = () => {
      const total = value("in_person") + value("remote");
      totalOut.textContent = count(total);
      let over = false;
      SUBGROUPS.forEach((name) => {
        const tooMany = name === "council_present" ? value(name) > total : value(name) > total;
        form.elements[name].toggleAttribute("aria-invalid", tooMany);
        over = over || tooMany;
      });
      if (value("women") + value("men") > total) over = true;
      const members = value("council_total");
      const met = members > 0 && value("council_present") * 2 > members;
      quorum.textContent = met ? msg.msgQuorum : msg.msgNoQuorum;
      return over;
    };
    form.addEventListener("click", (event) => {
      const button = event.target.closest(".count-up, .count-down");
      if (!button) return;
      const input = $(".count", button.closest(".counter"));
      const next = (parseInt(input.value, 10) || 0) + (button.classList.contains("count-up") ? 1 : -1);
      input.value = String(Math.max(0, next));
      if (navigator.vibrate) navigator.vibrate(15);
      refresh();
    });
    form.addEventListener("input", refresh);
    refresh();

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      show($("#attendance-done"), "");
      if (refresh()) { show(box, msg.msgExceeds); return; }
      const counts = { total: value("in_person") + value("remote"), council_total: value("council_total") };
      ["in_person", "remote", ...SUBGROUPS].forEach((name) => { counts[name] = value(name); });
      const input = {};
      Object.keys(counts).forEach((name) => { input[camel(name)] = counts[name]; });
      run({
        form, box, button: $("#save-attendance"), operation: ATTEND, variables: { id: msg.meetingId, a: input },
        network: msg.msgNetwork, done: () => show($("#attendance-done"), msg.msgSaved),
      });
    });
  };

  /* ---------- decisions and minutes ---------- */

  const DECIDE = "RecordDecision";
  const MINUTES = "PublishMinutes";

  const decisionForm = (form) => {
    const ranking = $("#ranking");
    if (ranking) orderable(ranking);
    let key = null;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const needs = $$(".rank-item", ranking || form)
        .filter((li) => $(".rank-include", li).checked)
        .map((li, index) => ({ needId: li.dataset.needId, rank: index + 1 }));
      key = key || randomKey();
      run({
        form, box: $("#decision-error"), button: $("#record-decision"), operation: DECIDE,
        network: form.dataset.msgNetwork, done: () => location.reload(),
        variables: { i: {
          meetingId: form.dataset.meetingId,
          kind: $("#decision-kind").value,
          year: parseInt($("#decision-year").value, 10) || 0,
          needs,
          summary: $("#decision-summary").value.trim() || null,
          idempotencyKey: key,
        } },
      });
    });
  };

  const minutesForm = (form) => {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      run({
        form, box: $("#minutes-error"), button: $("#publish-minutes"), operation: MINUTES,
        network: form.dataset.msgNetwork, done: () => location.reload(),
        variables: { id: form.dataset.meetingId, m: $("#minutes-text").value },
      });
    });
  };

  const bind = (selector, setup) => { const el = $(selector); if (el) setup(el); };
  bind("#meeting-form", scheduler);
  bind("#meeting-actions", actions);
  bind("#rsvp-form", rsvpForm);
  bind("#agenda-builder", agendaBuilder);
  bind("#attendance-counter", attendanceCounter);
  bind("#decision-form", decisionForm);
  bind("#minutes-form", minutesForm);
})();
