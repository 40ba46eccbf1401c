"use strict";
// The dashboard: sign in with an API key (kept in this tab's sessionStorage), the jobs table,
// and the job page (job.js). Every request goes to this server's API with the key.
const main = document.getElementById("main");

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "onclick" || k === "onsubmit") node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const key = () => sessionStorage.getItem("anneal-key");

// The JSON answer of an API call; an error answer throws its message.
async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${key()}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401) { signOut(); throw new Error("The API key was refused"); }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
  if (!response.ok) throw new Error((data && data.error && data.error.message) || `${response.status} ${text.slice(0, 200)}`);
  return data;
}

// Saves an authenticated download as a file.
async function download(path, name) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${key()}` } });
  if (!response.ok) throw new Error(`download failed: ${response.status}`);
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function signOut() {
  sessionStorage.removeItem("anneal-key");
  location.hash = "#/";
  route();
}

function showError(error) {
  main.append(el("p", { class: "error", role: "alert" }, String(error.message || error)));
}

function duration(seconds) {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${Math.round(seconds % 60)}s`;
  return `${Math.floor(seconds / 3600)}h${Math.floor(seconds % 3600 / 60)}m`;
}

const eta = job => job.estimated_finish && !["succeeded", "failed", "cancelled"].includes(job.status)
  ? duration(job.estimated_finish - Date.now() / 1000) : "";

function signIn() {
  const input = el("input", { id: "api-key", type: "password", autocomplete: "off", required: true, placeholder: "ak-…" });
  const message = el("p", { class: "error", role: "alert" });
  const form = el("form", { class: "card", id: "sign-in", onsubmit: async event => {
    event.preventDefault();
    sessionStorage.setItem("anneal-key", input.value.trim());
    try {
      await api("GET", "/v1/fine_tuning/jobs?limit=1");
      location.hash = "#/jobs";
      route();
    } catch (error) {
      sessionStorage.removeItem("anneal-key");
      message.textContent = error.message;
    }
  } },
  el("h1", {}, "Sign in"),
  el("label", { for: "api-key" }, "API key (from anneal keys create)"), input,
  el("p", {}, el("button", { type: "submit", class: "primary" }, "Sign in")), message);
  main.replaceChildren(form);
  input.focus();
}

let refresh = null;
async function jobsPage() {
  const body = el("tbody");
  main.replaceChildren(el("h1", {}, "Fine-tuning jobs"),
    el("div", { class: "scroll" }, el("table", { id: "jobs" },
      el("thead", {}, el("tr", {}, ["Job", "Model", "Status", "Progress", "ETA", "Fine-tuned model"]
        .map((h, i) => el("th", { class: i === 5 ? "hide-narrow" : null }, h)))), body)));
  const load = async () => {
    const list = await api("GET", "/v1/fine_tuning/jobs?limit=100");
    body.replaceChildren(...list.data.map(job => {
      const percent = job.progress ? job.progress.percent : (job.status === "succeeded" ? 100 : 0);
      return el("tr", { "data-job": job.id },
        el("td", {}, el("a", { href: `#/jobs/${job.id}` }, job.id)),
        el("td", {}, job.model),
        el("td", { class: `status status-${job.status}` }, job.status),
        el("td", {}, el("progress", { max: 100, value: percent, "aria-label": `${percent}%` }), ` ${Math.round(percent)}%`),
        el("td", {}, eta(job)),
        el("td", { class: "hide-narrow" }, job.fine_tuned_model || ""));
    }));
    if (list.data.length === 0) body.append(el("tr", {}, el("td", { colspan: 6 }, "No jobs yet: POST /v1/fine_tuning/jobs or anneal jobs create.")));
  };
  try { await load(); } catch (error) { showError(error); }
  refresh = setInterval(() => load().catch(() => {}), 3000);
}

function route() {
  if (refresh) { clearInterval(refresh); refresh = null; }
  if (window.stopJobStream) window.stopJobStream();
  document.getElementById("nav").hidden = !key();
  if (!key()) return signIn();
  const match = location.hash.match(/^#\/jobs\/(ftjob-[A-Za-z0-9]+)$/);
  if (match) return jobPage(match[1]);
  jobsPage();
}

document.getElementById("sign-out").addEventListener("click", signOut);
window.addEventListener("hashchange", route);
route();
