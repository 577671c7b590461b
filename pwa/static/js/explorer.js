/* The development GraphQL explorer: run a query against /graphql, and list the schema's root
   fields from introspection. Served from Khum's own files under the site's CSP (no CDN, no
   inline script or style), in place of GraphiQL, whose editors need inline styles. */
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);

  const post = async (query, variables) => {
    const headers = { "content-type": "application/json", accept: "application/json" };
    const token = $("token").value.trim();
    if (token) headers.authorization = "Bearer " + token;
    const csrf = $("csrf").value.trim();
    if (csrf) headers["x-csrf-token"] = csrf;
    const response = await fetch("/graphql", {
      method: "POST",
      headers,
      credentials: "same-origin",
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    try {
      return { status: response.status, body: JSON.parse(text) };
    } catch (_) {
      return { status: response.status, body: text };
    }
  };

  const run = async () => {
    const status = $("status");
    let variables = {};
    try {
      variables = JSON.parse($("variables").value || "{}");
    } catch (err) {
      status.textContent = "The variables are not valid JSON: " + err.message;
      status.className = "error";
      return;
    }
    status.className = "";
    status.textContent = "Running…";
    const started = performance.now();
    try {
      const answer = await post($("query").value, variables);
      const ms = Math.round(performance.now() - started);
      status.textContent = "HTTP " + answer.status + " in " + ms + " ms";
      $("result").textContent =
        typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body, null, 2);
    } catch (err) {
      status.textContent = "The request failed: " + err.message;
      status.className = "error";
    }
  };

  const typeName = (ref) => {
    if (!ref) return "";
    if (ref.kind === "NON_NULL") return typeName(ref.ofType) + "!";
    if (ref.kind === "LIST") return "[" + typeName(ref.ofType) + "]";
    return ref.name;
  };
  const TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name } } }";
  const INTROSPECTION =
    "{ __schema { queryType { name } mutationType { name } subscriptionType { name } " +
    "types { name fields { name description args { name type { " + TYPE_REF + " } } type { " +
    TYPE_REF + " } } } } }";

  let roots = [];
  const show = () => {
    const words = $("filter").value.trim().toLowerCase();
    const box = $("schema");
    box.replaceChildren();
    roots.forEach(({ title, fields }) => {
      const shown = fields.filter((f) => !words || f.name.toLowerCase().includes(words));
      if (!shown.length) return;
      const heading = document.createElement("h3");
      heading.textContent = title;
      const list = document.createElement("dl");
      shown.forEach((field) => {
        const term = document.createElement("dt");
        const args = field.args.map((a) => a.name + ": " + typeName(a.type)).join(", ");
        term.textContent = field.name + (args ? "(" + args + ")" : "") + ": " + typeName(field.type);
        const text = document.createElement("dd");
        text.textContent = field.description || "";
        list.append(term, text);
      });
      box.append(heading, list);
    });
  };

  const loadSchema = async () => {
    const answer = await post(INTROSPECTION, {});
    const schema = answer.body && answer.body.data && answer.body.data.__schema;
    if (!schema) {
      $("schema").textContent = JSON.stringify(answer.body);
      return;
    }
    const byName = new Map(schema.types.map((t) => [t.name, t]));
    roots = [
      ["Queries", schema.queryType],
      ["Mutations", schema.mutationType],
      ["Subscriptions", schema.subscriptionType],
    ]
      .filter(([, root]) => root)
      .map(([title, root]) => ({ title, fields: byName.get(root.name).fields || [] }));
    show();
  };

  document.addEventListener("DOMContentLoaded", () => {
    $("run").addEventListener("click", run);
    $("load-schema").addEventListener("click", loadSchema);
    $("filter").addEventListener("input", show);
    $("query").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        run();
      }
    });
  });
})();
