// The Raw JSON Runner: compose a config from the standard profiles, validate it, submit it,
// and watch the job over its WebSocket (reconnecting with ?after=<last event> if it drops).
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const form = $("runner");
  form.addEventListener("submit", (event) => event.preventDefault()); // buttons do the work (no inline handler: CSP)
  const defaults = JSON.parse($("jost-defaults").textContent);
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const editor = $("config");
  const kinds = ["rules", "strategy", "counting", "betting", "bankroll"];
  // What the page saw, for people reading the console and for the browser test.
  const live = (window.jostLive = { jobId: null, progress: [], statuses: [], result: null, done: false });

  for (const kind of kinds) {
    const select = $("pick-" + kind);
    for (const profile of defaults.profiles[kind] || []) {
      const option = new Option(profile.name, profile.name, false, profile.name === defaults.defaults[kind]);
      option.title = profile.description || "";
      select.add(option);
    }
  }

  function compose() {
    const config = {};
    const names = [];
    for (const kind of kinds) {
      const name = $("pick-" + kind).value;
      const profile = (defaults.profiles[kind] || []).find((p) => p.name === name);
      if (profile) { config[kind] = profile.data; names.push(name); }
    }
    config.name = names.join(" + ");
    config.simulation = { rounds: Number($("rounds").value) || 1000000 };
    editor.value = JSON.stringify(config, null, 2);
    showProblems(null, "Not validated yet.");
  }

  function showProblems(problems, verdict, ok) {
    const list = $("problems");
    list.replaceChildren();
    for (const problem of problems || []) {
      const item = document.createElement("li");
      const path = document.createElement("code");
      path.textContent = problem.path || "(document)";
      item.append(path, ": " + problem.message);
      list.append(item);
    }
    $("verdict").textContent = verdict;
    $("verdict").className = ok ? "status complete" : problems && problems.length ? "error" : "muted";
  }

  async function post(url) {
    try {
      JSON.parse(editor.value);
    } catch (err) {
      showProblems([{ path: "", message: "not JSON: " + err.message }], "The editor does not hold JSON.");
      return null;
    }
    const reply = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: editor.value,
      credentials: "same-origin",
    });
    const body = await reply.json().catch(() => ({ detail: "HTTP " + reply.status, problems: [] }));
    if (!reply.ok) {
      showProblems(body.problems, body.detail || "refused (HTTP " + reply.status + ")");
      return null;
    }
    return body;
  }

  async function validate() {
    const body = await post(form.dataset.validate);
    if (body) showProblems([], body.detail, true);
  }

  async function submit() {
    const body = await post(form.dataset.submit);
    if (!body) return;
    showProblems([], "submitted as job " + body.job_id, true);
    watch(body.job_id);
  }

  function setStatus(status) {
    const el = $("job-status");
    el.textContent = status;
    el.className = "status " + String(status).toLowerCase();
  }

  function setProgress(p) {
    $("job-progress").value = p.fraction || 0;
    const parts = [p.rounds_done.toLocaleString() + " of " + p.rounds_total.toLocaleString() + " rounds"];
    if (p.rounds_per_second) parts.push(Math.round(p.rounds_per_second).toLocaleString() + " rounds/s");
    if (p.eta_s !== null && p.eta_s !== undefined) parts.push("ETA " + p.eta_s.toFixed(1) + " s");
    $("job-progress-text").textContent = parts.join(" · ");
  }

  async function showResult(jobId, document) {
    live.result = document;
    $("result-json").textContent = JSON.stringify(document, null, 2);
    const reply = await fetch("/workbench/jobs/" + jobId + "/result-table/", { credentials: "same-origin" });
    $("result-tables").innerHTML = await reply.text();
    $("result-section").hidden = false;
    $("result-section").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  let socket = null;
  function watch(jobId) {
    if (socket) socket.close();
    Object.assign(live, { jobId: jobId, progress: [], statuses: [], result: null, done: false });
    $("job-events").replaceChildren();
    $("result-section").hidden = true;
    $("job-link").textContent = jobId;
    $("job-link").href = "/workbench/jobs/" + jobId + "/";
    let lastEvent = null;
    let retries = 0;
    const connect = () => {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const after = lastEvent === null ? "" : "?after=" + lastEvent;
      const ws = (socket = new WebSocket(scheme + "://" + location.host + "/ws/jobs/" + jobId + "/" + after));
      ws.onmessage = (message) => {
        const data = JSON.parse(message.data);
        if (data.type === "state") {
          setStatus(data.status);
          setProgress(data.progress);
        } else if (data.type === "status") {
          lastEvent = data.id;
          live.statuses.push(data);
          if (data.status) setStatus(data.status);
          const item = document.createElement("li");
          item.textContent = data.kind + (data.message ? " — " + data.message : "");
          $("job-events").append(item);
        } else if (data.type === "progress") {
          live.progress.push(data);
          setProgress(data);
        } else if (data.type === "result") {
          setProgress({ rounds_done: data.result.rounds, rounds_total: data.result.rounds, fraction: 1 });
          showResult(jobId, data.result);
        } else if (data.type === "error") {
          $("job-progress-text").textContent = data.error + ": " + data.detail;
        }
      };
      ws.onclose = (event) => {
        if (socket !== ws) return;
        if (event.code === 1000 || event.code >= 4000 || retries >= 10) {
          live.done = true;
          return;
        }
        retries += 1;
        setTimeout(connect, 1000);  // catch up from the last event seen
      };
    };
    connect();
  }

  $("compose").addEventListener("click", compose);
  $("validate").addEventListener("click", validate);
  $("submit").addEventListener("click", submit);
  if (!editor.value.trim()) compose();
  if (form.dataset.watch) watch(form.dataset.watch);
})();
