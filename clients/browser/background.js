// replycoach extension, service worker: the only part that talks to the local service.
// Content scripts send {type: "check", text} or {type: "health"}; the answer is
// {ok: true, findings} or {ok: false, error, message} (error: offline | unauthorized | origin |
// host | http).
"use strict";

const DEFAULTS = {
  serviceUrl: "http://127.0.0.1:8765",
  token: "",
  sendGate: true,
  sites: "",
};

async function settings() {
  const stored = await chrome.storage.sync.get(DEFAULTS);
  return { ...DEFAULTS, ...stored };
}

async function call(path, body) {
  const s = await settings();
  const base = s.serviceUrl.replace(/\/+$/, "");
  const headers = { "Content-Type": "application/json" };
  if (s.token) headers.Authorization = "Bearer " + s.token;
  let response;
  try {
    response = await fetch(base + path, {
      method: body === undefined ? "GET" : "POST",
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    return {
      ok: false,
      error: "offline",
      message: `replycoach 服务未运行（${base} 连不上）。请在终端运行：replycoach serve`,
    };
  }
  let data = null;
  try {
    data = await response.json();
  } catch (e) {
    data = null;
  }
  if (response.status === 401) {
    return {
      ok: false,
      error: "unauthorized",
      message: "replycoach 服务要求令牌：请在扩展选项里填写与 --token 相同的令牌。",
    };
  }
  const code = data && data.error ? data.error.code : "";
  if (code === "origin_not_allowed") {
    return {
      ok: false,
      error: "origin",
      message: "replycoach 服务没有允许本扩展访问：请这样启动服务：replycoach serve --cors-origin " +
        `chrome-extension://${chrome.runtime.id}`,
    };
  }
  if (code === "host_not_allowed") {
    return {
      ok: false,
      error: "host",
      message: `replycoach 服务不接受地址 ${base}：请改用 http://127.0.0.1:端口，或用 --allow-host 启动服务。`,
    };
  }
  if (!response.ok) {
    const detail = data && data.error ? data.error.message : response.statusText;
    return { ok: false, error: "http", message: `replycoach 服务出错（${response.status}）：${detail}` };
  }
  return { ok: true, data };
}

chrome.runtime.onMessage.addListener((message, sender, reply) => {
  if (message && message.type === "check") {
    call("/v1/check", { text: message.text }).then((r) =>
      reply(r.ok ? { ok: true, findings: r.data.findings } : r));
    return true; // the answer comes later
  }
  if (message && message.type === "health") {
    call("/healthz").then(reply);
    return true;
  }
  if (message && message.type === "settings") {
    settings().then(reply);
    return true;
  }
  return false;
});
