"use strict";
// The job page: status and actions, live curves from the event stream, hyperparameters, the
// dataset, checkpoints, events, downloads and a playground on the fine-tuned model.
let streamAbort = null;
window.stopJobStream = () => { if (streamAbort) { streamAbort.abort(); streamAbort = null; } };

async function jobPage(id) {
  main.replaceChildren(el("p", {}, "Loading…"));
  let job;
  try { job = await api("GET", `/v1/fine_tuning/jobs/${id}`); } catch (error) { main.replaceChildren(); return showError(error); }
  const series = {};  // "train_loss" → [[step, value]]
  const add = data => {
    for (const [name, value] of Object.entries(data)) {
      if (name === "step" || name === "epoch" || typeof value !== "number") continue;
      const points = series[name] || (series[name] = []);
      const at = points.findIndex(p => p[0] === data.step);
      if (at >= 0) points[at] = [data.step, value]; else points.push([data.step, value]);
    }
  };
  const metrics = await api("GET", `/v1/fine_tuning/jobs/${id}/metrics`);
  for (const entry of metrics.data) {
    const data = { step: entry.step };
    for (const [name, value] of Object.entries(entry.metrics)) data[`${entry.kind === "train" ? "train" : "valid"}_${name}`] = value;
    add(data);
  }
  const status = el("span", { id: "job-status", class: `status status-${job.status}` }, job.status);
  const bar = el("progress", { id: "job-progress", max: 100, value: job.progress ? job.progress.percent : 0 });
  const progressText = el("span", { id: "progress-text" });
  const actions = el("div", { class: "actions" });
  const charts = { loss: el("div", { class: "chart card", id: "chart-loss" }), lr: el("div", { class: "chart card", id: "chart-lr" }),
                   eval: el("div", { class: "chart card", id: "chart-eval" }) };
  const events = el("ul", { class: "events", id: "events", "aria-live": "polite" });
  const checkpoints = el("tbody");
  const pick = prefix => Object.keys(series).filter(n => prefix(n)).sort().map(n => ({ name: n, points: series[n] }));
  const redraw = () => {
    drawChart(charts.loss, "Loss", pick(n => n === "train_loss" || n === "valid_loss"));
    drawChart(charts.lr, "Learning rate", pick(n => n === "train_learning_rate"));
    drawChart(charts.eval, "Evaluation", pick(n => n.startsWith("valid_") && n !== "valid_loss" && !n.includes("per_second")));
  };
  const showProgress = (state, progress, finish) => {
    status.textContent = state;
    status.className = `status status-${state}`;
    if (progress) {
      bar.value = progress.percent;
      progressText.textContent = ` ${Math.round(progress.percent)}% · step ${progress.step}/${progress.total_steps}`
        + (finish && !["succeeded", "failed", "cancelled"].includes(state) ? ` · ETA ${duration(finish - Date.now() / 1000)}` : "");
    }
    drawActions(state);
  };
  const drawActions = state => {
    const act = action => el("button", { type: "button", id: `job-${action}`, onclick: async () => {
      try { await api("POST", `/v1/fine_tuning/jobs/${id}/${action}`); } catch (error) { alert(error.message); }
    } }, action[0].toUpperCase() + action.slice(1));
    const buttons = [];
    if (["validating_files", "queued", "running", "paused"].includes(state)) buttons.push(act("cancel"));
    if (state === "running" || state === "queued") buttons.push(act("pause"));
    if (state === "paused") buttons.push(act("resume"));
    if (state === "succeeded" && job.fine_tuned_model) {
      buttons.push(el("button", { type: "button", onclick: () => download(`/v1/models/${job.fine_tuned_model}/download`,
        `${job.fine_tuned_model.replace(/[^A-Za-z0-9._-]/g, "_")}.tar`).catch(e => alert(e.message)) }, "Download model"));
    }
    buttons.push(el("button", { type: "button", onclick: () => download(`/v1/fine_tuning/jobs/${id}/metrics`, `${id}-metrics.json`)
      .catch(e => alert(e.message)) }, "Download metrics"));
    actions.replaceChildren(...buttons);
  };
  const hyper = (job.method && job.method[job.method.type] && job.method[job.method.type].hyperparameters) || job.hyperparameters || {};
  main.replaceChildren(
    el("h1", {}, el("span", { id: "job-id" }, job.id)),
    el("p", {}, `${job.model} · `, status, " ", bar, progressText),
    job.error && job.error.message ? el("p", { class: "error" }, job.error.message) : "",
    actions,
    el("div", { class: "grid" }, charts.loss, charts.lr, charts.eval),
    el("div", { class: "grid" },
      el("section", { class: "card" }, el("h2", {}, "Hyperparameters"),
        el("dl", { id: "hyperparameters" }, Object.entries(hyper).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, JSON.stringify(v))]))),
      el("section", { class: "card", id: "dataset" }, el("h2", {}, "Dataset"), el("p", {}, "Loading…"))),
    el("section", { class: "card" }, el("h2", {}, "Checkpoints"), el("div", { class: "scroll" },
      el("table", { id: "checkpoints" }, el("thead", {}, el("tr", {}, el("th", {}, "Step"), el("th", {}, "Checkpoint"), el("th", {}, "Metrics"))), checkpoints))),
    el("section", { class: "card" }, el("h2", {}, "Events"), events),
    playground(job));
  redraw();
  showProgress(job.status, job.progress, job.estimated_finish);
  dataset(job).catch(() => {});
  const loadCheckpoints = () => api("GET", `/v1/fine_tuning/jobs/${id}/checkpoints?limit=100`).then(list => {
    checkpoints.replaceChildren(...list.data.map(c => el("tr", {}, el("td", {}, c.step_number), el("td", {}, c.fine_tuned_model_checkpoint),
      el("td", {}, Object.entries(c.metrics || {}).filter(([, v]) => typeof v === "number").map(([k, v]) => `${k} ${format(v)}`).join(", ")))));
  }).catch(() => {});
  loadCheckpoints();
  stream(id, {
    event: e => {
      events.prepend(el("li", { class: `level-${e.level}` }, `${new Date(e.created_at * 1000).toLocaleTimeString()}  ${e.message}`));
      if (e.type === "metrics" && e.data) { add(e.data); redraw(); }
      if (e.message.startsWith("Checkpoint saved")) loadCheckpoints();
    },
    progress: p => showProgress(p.status, p.progress, p.estimated_finish),
    done: async () => {
      job = await api("GET", `/v1/fine_tuning/jobs/${id}`);
      showProgress(job.status, job.progress, null);
      document.getElementById("playground").replaceWith(playground(job));
      loadCheckpoints();
    },
  });
}

// Reads the job's server-sent events with fetch (EventSource cannot send the key), resuming
// after a drop with Last-Event-ID.
async function stream(id, on) {
  window.stopJobStream();
  const controller = new AbortController();
  streamAbort = controller;
  let lastID = null;
  while (!controller.signal.aborted) {
    try {
      const headers = { Authorization: `Bearer ${key()}`, Accept: "text/event-stream" };
      if (lastID) headers["Last-Event-ID"] = lastID;
      const response = await fetch(`/v1/fine_tuning/jobs/${id}/events?stream=true`, { headers, signal: controller.signal });
      const reader = response.body.getReader(), decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = "message", data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            if (line.startsWith("id: ")) lastID = line.slice(4);
            if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (!data) continue;
          const parsed = JSON.parse(data);
          if (event === "fine_tuning.job.event") on.event(parsed);
          if (event === "progress") on.progress(parsed);
          if (event === "done") { await on.done(parsed); return; }
        }
      }
    } catch (error) {
      if (controller.signal.aborted) return;
    }
    await new Promise(resolve => setTimeout(resolve, 1000));
  }
}

async function dataset(job) {
  const box = document.getElementById("dataset");
  const rows = [];
  for (const [role, id] of [["Training", job.training_file], ["Validation", job.validation_file]]) {
    if (!id) continue;
    const file = await api("GET", `/v1/files/${id}`);
    rows.push([`${role} file`, `${file.filename} (${file.id}), ${file.bytes} bytes`]);
    if (file.example_count !== undefined) rows.push([`${role} examples`, file.example_count]);
    if (file.format) rows.push([`${role} format`, file.format]);
    if (Array.isArray(file.labels)) rows.push([`${role} labels`, file.labels.join(", ")]);
  }
  box.replaceChildren(el("h2", {}, "Dataset"), el("dl", {}, rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))])));
}

function playground(job) {
  const box = el("section", { class: "card", id: "playground" }, el("h2", {}, "Playground"));
  if (job.status !== "succeeded" || !job.fine_tuned_model) {
    box.append(el("p", {}, "Available once the job has succeeded."));
    return box;
  }
  const input = el("textarea", { id: "playground-input", rows: 3 }, "A sharp, funny film.");
  const output = el("pre", { id: "playground-output", "aria-live": "polite" });
  box.append(el("label", { for: "playground-input" }, `Text for ${job.fine_tuned_model} (POST /predict)`), input,
    el("p", {}, el("button", { type: "button", class: "primary", id: "playground-run", onclick: async () => {
      output.textContent = "…";
      try {
        const answer = await api("POST", "/predict", { model: job.fine_tuned_model, inputs: input.value });
        output.textContent = Array.isArray(answer) ? answer.map(r => `${r.label}  ${format(r.score)}`).join("\n") : (answer.generated_text ?? JSON.stringify(answer, null, 2));
      } catch (error) { output.textContent = error.message; }
    } }, "Run")), output);
  return box;
}
