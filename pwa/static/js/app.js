/* Khum PWA: service worker, offline outbox, need form, notifications, read aloud.
   No framework, no inline code. outbox.js (loaded before this file when signed in) keeps
   needs recorded offline; this file shows them and sends them when the network is back. */
(() => {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const lang = document.documentElement.lang || "km";
  const Outbox = window.KhumOutbox || null;
  const meta = (name) => { const m = $('meta[name="' + name + '"]'); return m ? m.content : ""; };
  const session = meta("khum-account") && Outbox
    ? { account: meta("khum-account"), csrf: meta("csrf-token"), lang } : null;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  }

  // POST a GraphQL operation: resolves to the JSON body; rejects on a network
  // failure or a body that is not JSON.
  // POST one of the PWA's persisted operations (operations.js) by name.
  const gql = (name, variables) => fetch("/graphql", {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "content-type": "application/json",
      "accept": "application/json",
      "accept-language": lang, // answers (and errors) in the page's language
      "x-csrf-token": meta("csrf-token"),
    },
    body: self.khumRequest(name, variables),
  }).then((res) => res.json());

  const randomKey = () => {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => (b + 256).toString(16).slice(1)).join("");
  };

  /* One formatter for numbers and dates, as the server's Babel writes them (gateway/web/
     formatting.py): Khmer digits and month names in Khmer, "d MMMM y HH:mm", Phnom Penh time. */
  const km = lang !== "en";
  const numberFormat = (() => {
    try {
      return new Intl.NumberFormat(km ? "km-KH" : "en-GB", { numberingSystem: km ? "khmr" : "latn" });
    } catch (e) {
      return { format: String };
    }
  })();
  const plain = (n, width) => {
    try {
      return new Intl.NumberFormat(km ? "km-KH" : "en-GB", {
        numberingSystem: km ? "khmr" : "latn", useGrouping: false, minimumIntegerDigits: width || 1,
      }).format(n);
    } catch (e) {
      return String(n);
    }
  };
  // Month names: the phone's Intl where it knows the language, else the server's (Babel).
  const months = meta("khum-months").split(",");
  const monthName = (() => {
    const locale = km ? "km-KH" : "en-GB";
    try {
      if (Intl.DateTimeFormat.supportedLocalesOf([locale]).length) {
        const f = new Intl.DateTimeFormat(locale, { month: "long", timeZone: "Asia/Phnom_Penh" });
        return (d) => f.format(d);
      }
    } catch (e) { /* below */ }
    return null;
  })();
  const parts = new Intl.DateTimeFormat("en-GB", {
    day: "numeric", month: "numeric", year: "numeric", hour: "numeric", minute: "numeric",
    hourCycle: "h23", timeZone: "Asia/Phnom_Penh",
  });
  const formatDate = (d) => {
    const p = {};
    parts.formatToParts(d).forEach((x) => { p[x.type] = Number(x.value); });
    const month = monthName ? monthName(d) : months[p.month - 1] || String(p.month);
    return plain(p.day) + " " + month + " " + plain(p.year) + " " + plain(p.hour, 2) + ":" + plain(p.minute, 2);
  };
  const dateFormat = { format: formatDate };
  const fill = (template, n) => (template || "").replace("{n}", numberFormat.format(n));
  window.KhumFormat = { number: (n) => numberFormat.format(n), date: formatDate };

  // Wait for a promise, but no longer than `ms`: resolves to `fallback` when time is up.
  const within = (ms, promise, fallback) => Promise.race([
    promise, new Promise((resolve) => setTimeout(() => resolve(fallback), ms)),
  ]);

  /* ---------- Outbox: badge, sending, logout ---------- */

  const badge = $("#outbox-badge");
  const sendNow = $("#outbox-send-now");
  const vaultKey = meta("khum-vault");
  const refreshBadge = () => {
    if (!session || !badge) return Promise.resolve();
    return Outbox.mine(session.account).then((rows) => {
      $(".badge-text", badge).textContent = fill(badge.dataset.template, rows.length);
      badge.hidden = rows.length === 0;
      if (sendNow) sendNow.hidden = !rows.some((e) => e.state === "waiting");
      badge.classList.toggle("has-failed", rows.some((e) => e.state === "failed"));
    }, () => {});
  };

  const registerSync = () => {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready
      .then((reg) => (reg.sync ? reg.sync.register("khum-outbox") : null))
      .catch(() => {}); // no Background Sync: `online` and opening the app still send
  };

  // While needs wait, try again now and then (phones often lose signal without an event):
  // soon at first, then less often, never more than a minute apart.
  const FIRST_RETRY_MS = 2000, LAST_RETRY_MS = 60000;
  let retryTimer = null, retryDelay = FIRST_RETRY_MS;
  const flush = () => {
    if (!session) return Promise.resolve(null);
    return Outbox.flush(session).then((report) => {
      clearTimeout(retryTimer);
      if (report.waiting > 0) {
        registerSync();
        retryTimer = setTimeout(flush, retryDelay);
        retryDelay = Math.min(retryDelay * 2, LAST_RETRY_MS);
      } else {
        retryDelay = FIRST_RETRY_MS;
      }
      return report;
    }, () => null);
  };
  // The network is back, or the person asked: cut a send stuck on a dead line and go at once.
  const sendAgainNow = () => {
    retryDelay = FIRST_RETRY_MS;
    if (session) Outbox.kick();
    return flush();
  };

  // Keep a few tracking codes reserved for this phone, to give citizens their code offline.
  const CODES_LOW = 5, CODES_BLOCK = 10;
  const reserveCodes = () => {
    if (!session || !navigator.onLine) return Promise.resolve();
    return Outbox.codesOf(session.account).then((have) => {
      if (have.length >= CODES_LOW) return null;
      return gql("ReserveTrackingCodes", { count: CODES_BLOCK - have.length }).then((body) => {
        const codes = body && body.data && body.data.reserveTrackingCodes;
        return codes && codes.length ? Outbox.addCodes(session.account, codes) : null;
      });
    }).catch(() => {});
  };

  const worker = () => navigator.serviceWorker && navigator.serviceWorker.controller;
  // Any page: a sign-out made with no signal is sent as soon as the server can be reached.
  const retrySignOut = () => { const sw = worker(); if (sw) sw.postMessage({ type: "retry" }); };
  retrySignOut();
  window.addEventListener("online", retrySignOut);

  if (session && "serviceWorker" in navigator) {
    // Keep this person's pages on the phone, so the need form opens with no signal.
    navigator.serviceWorker.ready.then((reg) => {
      if (reg.active) reg.active.postMessage({ type: "warm", account: session.account });
    }).catch(() => {});
  }
  if (session) {
    Outbox.listen(() => { refreshBadge(); renderOutbox(); });
    // Needs this account left sealed at its last sign-out on this phone come back, then go.
    const unsealed = vaultKey ? Outbox.unseal(session.account, vaultKey).catch(() => 0) : Promise.resolve(0);
    unsealed.then(() => Outbox.setSession(session)).catch(() => {})
      .then(refreshBadge).then(flush).then(reserveCodes);
    window.addEventListener("online", () => { sendAgainNow().then(reserveCodes); });
    document.addEventListener("visibilitychange", () => { if (!document.hidden) flush(); });
    if (sendNow) sendNow.addEventListener("click", sendAgainNow);
  }

  const draftKey = session ? "khum-draft:" + session.account : "";
  const forgetDrafts = () => {
    try {
      Object.keys(localStorage).filter((k) => k.indexOf("khum-draft:") === 0)
        .forEach((k) => localStorage.removeItem(k));
    } catch (e) { /* no storage: nothing kept */ }
  };

  const logout = $('form[action="/logout"]');
  if (logout) {
    const dialog = $("#logout-dialog");
    const csrf = () => (logout.elements.csrf_token ? logout.elements.csrf_token.value : "");
    // Ask the service worker to forget this person's pages and tell the server (now or later).
    const askWorker = (sw) => new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = (event) => resolve(event.data || {});
      sw.postMessage({ type: "sign-out", csrf: csrf() }, [channel.port2]);
    });
    /* Signing out never destroys unsent needs and works with no signal: send what can be
       sent in a few seconds, seal the rest for this account's next sign-in on this phone,
       forget the person's pages and drafts, and let the service worker tell the server. */
    const leave = async () => {
      if (session) {
        await within(3000, flush(), null);
        Outbox.kick();
        if (vaultKey) await Outbox.seal(session.account, vaultKey).catch(() => 0);
        await Outbox.forgetSession().catch(() => {});
      }
      forgetDrafts();
      const sw = worker();
      if (!sw) { logout.submit(); return; } // no service worker: the plain form does it all
      await within(6000, askWorker(sw), null);
      location.replace("/login");
    };
    logout.addEventListener("submit", (event) => {
      event.preventDefault();
      const count = session ? Outbox.mine(session.account).then((rows) => rows.length, () => 0) : Promise.resolve(0);
      count.then((n) => {
        if (n === 0 || !dialog) return leave();
        $("#logout-text", dialog).textContent = fill($("#logout-text", dialog).dataset.template, n);
        if (dialog.showModal) dialog.showModal();
        else if (window.confirm($("#logout-text", dialog).textContent)) leave();
        return null;
      });
    });
    if (dialog) {
      $("#logout-cancel", dialog).addEventListener("click", () => { dialog.close(); sendAgainNow(); });
      $("#logout-confirm", dialog).addEventListener("click", () => { dialog.close(); leave(); });
    }
  }

  // The sign-in page with no signal: say so, instead of the browser's error page. (A phone
  // often believes it is online when nothing gets through: ask the server, briefly.)
  const loginForm = $("#login-form");
  if (loginForm) {
    let checked = false;
    loginForm.addEventListener("submit", (event) => {
      if (event.defaultPrevented || checked) return;
      event.preventDefault();
      const note = $("#login-offline");
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 5000);
      fetch("/login", { method: "HEAD", cache: "no-store", signal: abort.signal }).then(() => {
        checked = true; // the server answers: submit for real (the fields are checked again)
        if (loginForm.requestSubmit) loginForm.requestSubmit(); else loginForm.submit();
        checked = false;
      }, () => { if (note) note.hidden = false; });
    });
  }

  /* The list of needs waiting on this phone (on "Needs I recorded"). */
  const outboxSection = $("#outbox");
  function renderOutbox() {
    if (!outboxSection || !session) return;
    const list = $("#outbox-list", outboxSection);
    const words = outboxSection.dataset;
    Outbox.mine(session.account).then((rows) => {
      list.textContent = "";
      rows.forEach((entry) => {
        const li = document.createElement("li");
        li.className = "card outbox-entry";
        li.dataset.key = entry.key;
        li.dataset.state = entry.state;
        const text = document.createElement("p");
        text.className = "need-text";
        text.textContent = entry.input.description;
        const where = document.createElement("p");
        where.className = "muted";
        const when = new Date(entry.createdAt);
        where.textContent = (entry.villageName || "") + " · " + (isNaN(when) ? "" : dateFormat.format(when));
        const state = document.createElement("p");
        state.className = entry.state === "failed" ? "error" : "status";
        state.textContent = entry.state === "failed"
          ? "⚠️ " + ((entry.error && entry.error.message) || words.failed)
          : "⏳ " + words.waiting;
        li.append(text, where, state);
        if (entry.state === "failed") {
          const row = document.createElement("div");
          row.className = "row";
          const fix = document.createElement("a");
          fix.className = "button primary";
          fix.href = "/needs/new?fix=" + encodeURIComponent(entry.key);
          fix.textContent = "✏️ " + words.fix;
          const drop = document.createElement("button");
          drop.type = "button";
          drop.textContent = "🗑️ " + words.delete;
          drop.addEventListener("click", () => {
            if (window.confirm(words.confirmDelete)) Outbox.remove(entry.key);
          });
          row.append(fix, drop);
          li.append(row);
        }
        list.appendChild(li);
      });
      outboxSection.hidden = rows.length === 0;
    }, () => {});
  }
  if (outboxSection) {
    renderOutbox();
    const now = $("#outbox-send", outboxSection);
    if (now) now.addEventListener("click", sendAgainNow);
  }

  /* ---------- Need form ---------- */

  const needForm = (form) => {
    const msg = form.dataset;
    const button = $("#need-submit", form) || $('button[type="submit"]', form);
    const formError = $("#need-error");
    const code = $("#tracking-code");
    const sentPanel = $("#need-result");
    const queuedPanel = $("#need-queued");
    // /needs/new?fix=KEY: a need the server refused comes back to the form with its error.
    const fixKey = new URLSearchParams(location.search).get("fix");
    let keptCode = null; // a refused need being fixed keeps the code its citizen was given
    let key = null; // one per form fill: a retry after a network error never makes a second need
    let shownKey = null; // the queued need the panel is about, to show its code once it is sent

    const clearErrors = () => {
      $$(".field-error", form).forEach((el) => { el.textContent = ""; el.hidden = true; });
      $$("[aria-invalid]", form).forEach((el) => el.removeAttribute("aria-invalid"));
      if (formError) { formError.textContent = ""; formError.hidden = true; }
    };
    const fieldError = (name, text) => {
      const el = $('.field-error[data-for="' + name + '"]', form);
      const field = form.elements[name];
      if (!el || !field) return false;
      const target = field.length && !field.tagName ? field[0] : field;
      el.id = el.id || "error-" + name;
      el.textContent = text;
      el.hidden = false;
      target.setAttribute("aria-invalid", "true");
      target.setAttribute("aria-describedby", el.id);
      return true;
    };
    const formMessage = (text) => {
      if (formError) { formError.textContent = text; formError.hidden = false; }
    };
    const focusInvalid = () => {
      const f = $('[aria-invalid="true"]', form);
      if (f) f.focus();
      return Boolean(f);
    };

    /* Three short screens: where and what, the need, who raised it. */
    const steps = $$(".step", form);
    const label = $("#step-label");
    let current = 0;
    // Each step is a history entry: the phone's Back and Forward move between steps.
    const show = (index, how) => {
      current = Math.max(0, Math.min(steps.length - 1, index));
      steps.forEach((step, i) => { step.hidden = i !== current; });
      if (label) label.textContent = fill(label.dataset.template, current + 1);
      const first = $("input, select, textarea", steps[current]);
      if (first && index !== 0) first.focus();
      const state = { khumStep: current };
      if (how === "push") history.pushState(state, "");
      else if (how === "replace") history.replaceState(state, "");
    };
    window.addEventListener("popstate", (event) => {
      const state = event.state || {};
      if (form.hidden || typeof state.khumStep !== "number") return;
      clearErrors();
      show(state.khumStep);
    });
    const stepOf = (name) => {
      const field = form.elements[name];
      const el = field && (field.length && !field.tagName ? field[0] : field);
      return el ? steps.indexOf(el.closest(".step")) : -1;
    };
    const checkStep = (index) => {
      clearErrors();
      if (index === 0 && !form.elements.villageCode.value) fieldError("villageCode", msg.msgVillage);
      if (index === 1) {
        const text = form.elements.description.value.trim();
        const people = value("beneficiaries");
        if (!text) fieldError("description", msg.msgRequired);
        else if ([...text].length > 2000) fieldError("description", msg.msgTooLong);
        if (people !== "" && !(/^\d+$/.test(people) && Number(people) <= 1000000)) {
          fieldError("beneficiaries", msg.msgBeneficiaries);
        }
      }
      if (index === 2) {
        const raiser = raisedBy();
        if (raiser.kind === "group" && !(raiser.people >= 1)) fieldError("people", msg.msgPeople);
        if (raiser.personal && !raiser.consent) fieldError("consent", msg.msgConsent);
      }
      return !focusInvalid();
    };
    $$("[data-next]", form).forEach((b) => b.addEventListener("click", () => {
      if (checkStep(current)) show(current + 1, "push");
    }));
    $$("[data-back]", form).forEach((b) => b.addEventListener("click", () => {
      clearErrors();
      const state = history.state || {};
      if (state.khumStep === current && current > 0) history.back(); // the same as the phone's Back
      else show(current - 1, "replace");
    }));
    const syncKind = () => {
      const kind = $('input[name="raiserKind"]:checked', form).value;
      $$("[data-kind]", form).forEach((box) => { box.hidden = box.dataset.kind !== kind; });
    };
    // Consent comes first: a person's details can be written only once it is ticked.
    const personal = $("#personal-details", form);
    const syncConsent = () => { if (personal) personal.disabled = !form.elements.consent.checked; };
    form.elements.consent.addEventListener("change", syncConsent);
    $$('input[name="raiserKind"]', form).forEach((radio) => radio.addEventListener("change", syncKind));
    const syncTypes = () => {
      const sector = $('input[name="sector"]:checked', form);
      $$("optgroup[data-sector]", form).forEach((group) => {
        group.hidden = group.disabled = Boolean(sector) && group.dataset.sector !== sector.value;
      });
      const chosen = form.elements.needType.selectedOptions[0];
      if (chosen && chosen.parentElement.disabled) form.elements.needType.value = "";
    };
    $$('input[name="sector"]', form).forEach((radio) => radio.addEventListener("change", syncTypes));

    const value = (name) => (form.elements[name] ? String(form.elements[name].value).trim() : "");
    const number = (name) => (value(name) === "" ? null : Number(value(name)));
    const GROUP_FIELDS = { women: "women", youth: "youth", elderly: "elderly", disability: "withDisability",
      idpoor: "idpoor", indigenous: "indigenous", migrant: "migrant" };
    // The form's names are PersonInput's fields; the Washington Group questions replace the old
    // disability severity (a queued entry that still has it is sent as it is: GraphQL keeps it).
    const PERSON_FIELDS = { sex: "sex", ageBand: "ageBand", idpoorLevel: "idpoorLevel",
      indigenousGroup: "indigenousGroup", indigenousOther: "indigenousOther", migrantStatus: "migrantStatus",
      wgSeeing: "wgSeeing", wgHearing: "wgHearing", wgWalking: "wgWalking", wgRemembering: "wgRemembering",
      wgSelfCare: "wgSelfCare", wgCommunicating: "wgCommunicating", name: "name" };
    const raisedBy = () => {
      const kind = $('input[name="raiserKind"]:checked', form).value;
      const consent = form.elements.consent.checked ? "verbal" : null;
      if (kind === "group") {
        const counts = {};
        $$("[data-group]", form).forEach((input) => {
          if (input.value !== "") counts[input.dataset.group] = Number(input.value);
        });
        return { kind, people: number("people"), consent, personal: false, counts };
      }
      const details = {};
      Object.keys(PERSON_FIELDS).forEach((k) => {
        details[k] = k === "idpoorLevel" ? number(k) : value(k) || null;
      });
      const phone = value("phone");
      const personal = phone !== "" || Object.values(details).some((v) => v !== null);
      return { kind, consent, personal, details, phone };
    };
    const raiserInput = (r) => {
      if (r.kind === "group") {
        const input = { kind: "group", people: r.people, consent: r.consent };
        Object.keys(r.counts).forEach((g) => { input[GROUP_FIELDS[g]] = r.counts[g]; });
        return input;
      }
      if (!r.personal && !r.consent) return null;
      const input = Object.assign({ kind: "person", consent: r.consent }, r.details);
      if (r.phone) Object.assign(input, { contactChannel: "sms", contactAddress: r.phone });
      return input;
    };
    const collect = () => {
      const sector = $('input[name="sector"]:checked', form);
      return {
        villageCode: form.elements.villageCode.value,
        description: value("description"),
        sector: sector ? sector.value : null,
        needType: value("needType") || null,
        beneficiaries: number("beneficiaries"),
        channel: value("channel") || "village_meeting",
        raisedBy: raiserInput(raisedBy()),
      };
    };

    // Put a saved entry back into the fields (to fix what the server refused).
    const restore = (input) => {
      const set = (name, v) => { if (form.elements[name] && v != null) form.elements[name].value = String(v); };
      set("villageCode", input.villageCode);
      $$('input[name="sector"]', form).forEach((r) => { r.checked = r.value === input.sector; });
      syncTypes();
      set("needType", input.needType || "");
      set("description", input.description);
      set("beneficiaries", input.beneficiaries);
      set("channel", input.channel);
      const r = input.raisedBy;
      if (!r) return;
      $$('input[name="raiserKind"]', form).forEach((radio) => { radio.checked = radio.value === r.kind; });
      syncKind();
      form.elements.consent.checked = Boolean(r.consent);
      syncConsent();
      if (r.kind === "group") {
        set("people", r.people);
        Object.keys(GROUP_FIELDS).forEach((g) => set("count-" + g, r[GROUP_FIELDS[g]]));
      } else {
        Object.keys(PERSON_FIELDS).forEach((k) => set(k, r[k]));
        set("phone", r.contactAddress);
      }
    };

    // The server's refusal, shown at the field it is about.
    const showRefusal = (error) => {
      let field = error.field || "";
      if (error.code === "need.consent_missing") field = "consent";
      else if (field.indexOf("raisedBy.") === 0) field = field.slice(9) === "people" ? "people" : "consent";
      const text = error.message || msg.msgNetwork;
      if (stepOf(field) >= 0) show(stepOf(field));
      if (fieldError(field, text)) focusInvalid();
      else formMessage(text);
    };

    const status = $("#need-status");
    const say = (text) => { if (status) { status.textContent = text; status.hidden = !text; } };
    const syncNote = $("#need-sync-note");
    const showSent = (need, waiting) => {
      form.hidden = true;
      say("");
      if (queuedPanel) queuedPanel.hidden = true;
      code.textContent = need.trackingCode;
      if (syncNote) syncNote.hidden = !waiting;
      sentPanel.hidden = false;
      code.tabIndex = -1;
      code.focus();
      history.replaceState({ khumStep: 0 }, "");
    };
    const showQueued = (entryKey) => {
      shownKey = entryKey;
      form.hidden = true;
      say("");
      sentPanel.hidden = true;
      queuedPanel.hidden = false;
      const heading = $("h2", queuedPanel);
      heading.tabIndex = -1;
      heading.focus();
      history.replaceState({ khumStep: 0 }, "");
    };
    if (Outbox) {
      Outbox.listen((m) => {
        if (m.type !== "sent" || !m.key || m.key !== shownKey) return;
        if (!sentPanel.hidden && syncNote) syncNote.hidden = true; // it reached the server
        else showSent(m.need, false);
      });
    }

    /* The draft survives closing the tab or the phone killing the browser (cleared once the
       need is saved, and at sign-out). */
    const saveDraft = () => {
      if (!draftKey || fixKey) return;
      try { localStorage.setItem(draftKey, JSON.stringify({ input: collect(), step: current })); } catch (e) { /* full */ }
    };
    const dropDraft = () => { try { if (draftKey) localStorage.removeItem(draftKey); } catch (e) { /* none */ } };
    let draftTimer = null;
    const draftSoon = () => { clearTimeout(draftTimer); draftTimer = setTimeout(saveDraft, 300); };
    form.addEventListener("input", draftSoon);
    form.addEventListener("change", draftSoon);
    window.addEventListener("pagehide", () => { if (!form.hidden) saveDraft(); });

    const again = () => {
      form.reset();
      clearErrors();
      syncTypes();
      syncKind();
      syncConsent();
      dropDraft();
      key = null;
      shownKey = null;
      form.hidden = false;
      sentPanel.hidden = true;
      if (queuedPanel) queuedPanel.hidden = true;
      show(0, "replace");
      form.elements.villageCode.focus();
    };
    $$("[data-again]").forEach((link) => link.addEventListener("click", (event) => { event.preventDefault(); again(); }));

    const busy = (on) => {
      if (button) button.disabled = on;
      if (on) form.setAttribute("aria-busy", "true");
      else form.removeAttribute("aria-busy");
    };

    // No IndexedDB (very old browser, some private modes): send at once, as before.
    const sendDirect = (input) => gql("SubmitNeed", { input }).then((body) => {
      const need = body && body.data && body.data.submitNeed;
      if (need) { key = null; showSent(need, false); return; }
      const error = body && body.errors && body.errors[0];
      if (error) showRefusal(Object.assign({ message: error.message }, error.extensions || {}));
      else formMessage(msg.msgNetwork);
    }, () => formMessage(msg.msgNetwork)); // the key is kept: a retry is the same need

    // How long the form waits for the server before saying the need is safe on the phone.
    const ANSWER_WAIT_MS = 3000;

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (button && button.disabled) return;
      for (let i = 0; i < steps.length; i += 1) {
        if (!checkStep(i)) { show(i); focusInvalid(); return; }
      }
      clearTimeout(draftTimer);
      say(msg.msgSending); // at once: the tap was heard
      const input = collect();
      key = key || randomKey();
      input.idempotencyKey = key;
      const entryKey = key;
      const village = form.elements.villageCode.selectedOptions[0];
      busy(true);
      const reserved = keptCode ? Promise.resolve(keptCode)
        : session && !fixKey ? Outbox.takeCode(session.account).catch(() => null) : Promise.resolve(null);
      const saved = reserved.then((given) => {
        if (given) input.trackingCode = given;
        if (!session) return false;
        return Outbox.add({ key: entryKey, account: session.account, input, villageName: village ? village.textContent : "" })
          .then(() => true, () => false);
      });
      saved.then((queued) => {
        if (!queued) return sendDirect(input);
        dropDraft();
        registerSync();
        const sending = flush();
        return within(ANSWER_WAIT_MS, sending, null).then((report) => {
          if (report && report.sent[entryKey]) {
            key = null;
            shownKey = entryKey;
            showSent(report.sent[entryKey], false);
          } else if (report && report.failed[entryKey]) {
            // Refused: nothing was stored; fix it here and send again with the same key.
            const back = input.trackingCode && !keptCode ? Outbox.addCodes(session.account, [input.trackingCode]) : null;
            return Promise.resolve(back).then(() => Outbox.remove(entryKey))
              .then(() => showRefusal(report.failed[entryKey]));
          } else if (input.trackingCode) {
            key = null; // safe in the outbox with its final code; sent in the background
            shownKey = entryKey;
            showSent({ trackingCode: input.trackingCode }, true);
          } else {
            key = null; // it is safe in the outbox; the next need gets its own key
            showQueued(entryKey);
          }
          return null;
        });
      }).then(() => busy(false), () => busy(false));
    });

    syncTypes();
    syncKind();
    syncConsent();
    show(0, "replace");
    if (fixKey && session) {
      Outbox.get(fixKey).then((entry) => {
        if (!entry || entry.account !== session.account) return;
        restore(entry.input);
        key = entry.key; // it stays in the outbox, marked refused, until it is sent again
        // A code the server refused as not reserved cannot be kept; any other refusal keeps it.
        const codeRefused = entry.error && entry.error.code === "need.tracking_code_not_reserved";
        keptCode = codeRefused ? null : entry.input.trackingCode || null;
        if (entry.error) showRefusal(entry.error);
      }).catch(() => {});
    } else if (draftKey) {
      try {
        const draft = JSON.parse(localStorage.getItem(draftKey) || "null");
        if (draft && draft.input) restore(draft.input);
      } catch (e) { /* an unreadable draft is dropped */ }
    }
    form.dataset.ready = "true";
    if (window.performance && performance.mark) performance.mark("khum-form-ready");

    const copy = $("#copy-code");
    if (copy) {
      copy.addEventListener("click", () => {
        const select = () => {
          const range = document.createRange();
          range.selectNodeContents(code);
          const sel = window.getSelection();
          sel.removeAllRanges();
          sel.addRange(range);
          try { document.execCommand("copy"); } catch (e) { /* the text stays selected */ }
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(code.textContent).catch(select);
        } else {
          select();
        }
      });
    }

    const share = $("#share-code");
    if (share) {
      share.addEventListener("click", () => {
        const text = (share.dataset.shareText || "{code}").replace("{code}", code.textContent);
        const sms = () => { location.href = "sms:?&body=" + encodeURIComponent(text); };
        if (navigator.share) {
          navigator.share({ text }).catch((err) => { if (!err || err.name !== "AbortError") sms(); });
        } else {
          sms();
        }
      });
    }
  };

  /* ---------- Notifications ---------- */

  const LIVE = self.KhumOperations.NotificationAdded.query;

  const notifications = (list) => {
    const empty = $("#notifications-empty");
    const status = $("#live-status");
    list.setAttribute("aria-live", "polite");
    const when = (li) => Date.parse(li.dataset.created) || 0;

    // Newest first; a notification already shown is skipped.
    const add = (n) => {
      if (!n || n.id == null) return;
      const id = String(n.id);
      const items = Array.from(list.children);
      if (items.some((li) => li.dataset.id === id)) return;
      const li = document.createElement("li");
      li.className = "card";
      li.dataset.id = id;
      li.dataset.created = n.createdAt || "";
      if (n.kind) li.dataset.kind = n.kind;
      const p = document.createElement("p");
      p.textContent = n.text || "";
      li.appendChild(p);
      const t = new Date(n.createdAt);
      if (!isNaN(t)) {
        const time = document.createElement("time");
        time.className = "muted";
        time.dateTime = n.createdAt;
        time.textContent = dateFormat.format(t);
        li.appendChild(time);
      }
      const at = when(li);
      list.insertBefore(li, items.find((other) => when(other) <= at) || null);
      if (empty) empty.hidden = true;
    };

    const load = () => gql("Notifications").then((body) => {
      const conn = body && body.data && body.data.notifications;
      ((conn && conn.edges) || []).forEach((e) => add(e && e.node));
      if (empty) empty.hidden = list.children.length > 0;
    }).catch(() => {});

    const setStatus = (attr) => { if (status) status.textContent = status.getAttribute(attr) || ""; };

    // graphql-transport-ws, one subscription (id "1"), reconnecting with backoff 1 s .. 30 s.
    // `after` is the cursor of the last notification received: a resubscription (after a drop,
    // a gateway restart, or close 4420 "too slow") gets what came since, each once.
    let ws = null, delay = 1000, retry = null, steady = null, acks = 0, after = null;
    // Too much happened since the cursor: drop it, so the next connection reloads the list.
    const expired = (errors) => (errors || []).some((e) =>
      e && e.extensions && e.extensions.code === "subscription.cursor_expired");
    const reconnect = () => {
      if (retry) return;
      retry = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
    const connect = () => {
      clearTimeout(retry);
      retry = null;
      let sock;
      try {
        sock = new WebSocket((location.protocol === "https:" ? "wss:" : "ws:") + "//" +
          location.host + "/graphql", "graphql-transport-ws");
      } catch (e) {
        reconnect();
        return;
      }
      ws = sock;
      const send = (m) => sock.send(JSON.stringify(m));
      sock.onopen = () => send({ type: "connection_init", payload: {} });
      sock.onmessage = (event) => {
        let m;
        try { m = JSON.parse(event.data); } catch (e) { return; }
        if (!m) return;
        if (m.type === "connection_ack") {
          setStatus("data-live");
          send({ id: "1", type: "subscribe",
            payload: { query: LIVE, operationName: "NotificationAdded", variables: { after } } });
          steady = setTimeout(() => { delay = 1000; }, 10000); // healthy link: reset the backoff
          if (acks++ && !after) load(); // no cursor yet: fetch what came while away
        } else if (m.type === "next" && m.id === "1") {
          const added = m.payload && m.payload.data && m.payload.data.notificationAdded;
          if (added && added.cursor) after = added.cursor;
          if (expired(m.payload && m.payload.errors)) after = null;
          add(added);
        } else if (m.type === "ping") {
          send({ type: "pong" });
        } else if ((m.type === "error" || m.type === "complete") && m.id === "1") {
          if (m.type === "error" && expired(m.payload)) after = null;
          sock.close(1000); // the subscription ended: start again, with backoff
        }
      };
      sock.onerror = () => setStatus("data-offline");
      sock.onclose = (event) => {
        clearTimeout(steady);
        if (event.code === 4420) delay = 1000; // too slow: resume from `after` at once
        if (ws === sock) ws = null;
        setStatus("data-offline");
        reconnect();
      };
    };
    window.addEventListener("online", () => {
      if (!ws && retry) { delay = 1000; connect(); }
    });

    load().then(connect);
  };

  /* ---------- Simple forms: required fields, checked in the page's language ---------- */

  $$("form[data-validate]").forEach((f) => {
    f.addEventListener("submit", (event) => {
      let first = null;
      $$("[required]", f).forEach((field) => {
        const error = $('.field-error[data-for="' + field.name + '"]', f);
        const empty = !String(field.value).trim();
        if (error) {
          error.id = error.id || "error-" + field.name;
          error.textContent = empty ? f.dataset.msgRequired : "";
          error.hidden = !empty;
        }
        if (empty) {
          field.setAttribute("aria-invalid", "true");
          if (error) field.setAttribute("aria-describedby", error.id);
          first = first || field;
        } else {
          field.removeAttribute("aria-invalid");
        }
      });
      if (first) { event.preventDefault(); first.focus(); }
    });
  });

  /* ---------- Read aloud (Web Speech API, where the phone has it) ---------- */

  $$("[data-read-aloud]").forEach((button) => {
    if (!("speechSynthesis" in window) || typeof SpeechSynthesisUtterance !== "function") return;
    button.hidden = false;
    button.addEventListener("click", () => {
      const target = document.getElementById(button.dataset.readAloud);
      const text = target ? target.innerText.replace(/\s+/g, " ").trim() : "";
      if (!text) return;
      speechSynthesis.cancel();
      const say = new SpeechSynthesisUtterance(text);
      say.lang = lang === "en" ? "en-GB" : "km-KH";
      const voice = speechSynthesis.getVoices().find((v) => v.lang && v.lang.replace("_", "-").indexOf(say.lang.slice(0, 2)) === 0);
      if (voice) say.voice = voice;
      say.rate = 0.9; // a little slower: easier to follow
      speechSynthesis.speak(say);
    });
  });

  const form = $("#need-form");
  if (form) needForm(form);
  const list = $("#notification-list");
  if (list) notifications(list);
})();
