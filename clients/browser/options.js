// replycoach extension, options: service address, token, send gate, sites.
"use strict";
const DEFAULTS = { serviceUrl: "http://127.0.0.1:8765", token: "", sendGate: true, sites: "" };
const $ = (id) => document.getElementById(id);

function say(text, ok) {
  $("status").textContent = text;
  $("status").className = ok ? "ok" : "bad";
}

async function load() {
  const s = await chrome.storage.sync.get(DEFAULTS);
  $("serviceUrl").value = s.serviceUrl;
  $("token").value = s.token;
  $("sendGate").checked = s.sendGate;
  $("sites").value = s.sites;
  $("extId").textContent = chrome.runtime.id;
}

async function save() {
  await chrome.storage.sync.set({
    serviceUrl: $("serviceUrl").value.trim() || DEFAULTS.serviceUrl,
    token: $("token").value.trim(),
    sendGate: $("sendGate").checked,
    sites: $("sites").value,
  });
  say("已保存。", true);
}

async function test() {
  await save();
  const health = await chrome.runtime.sendMessage({ type: "health" });
  if (!health.ok) return say(health.message, false);
  const check = await chrome.runtime.sendMessage({ type: "check", text: "您好" });
  if (!check.ok) return say(check.message, false);
  say(`已连接：replycoach ${health.data.version}，${health.data.rules} 条规则。`, true);
}

$("save").addEventListener("click", save);
$("test").addEventListener("click", test);
load();
