// replycoach extension, content script: lints what is typed in textareas and contenteditable
// inputs. Findings are drawn in an overlay (a shadow root above the page, pointer-events off),
// so the page's editor and its DOM are never changed except when a suggestion is applied,
// which goes through the editor's own input path (execCommand "insertText", undoable).
// Hover or click a marked span for the message and the suggestions. With the send gate on,
// Enter is held while an error-level finding stands, until a second Enter confirms.
(() => {
  "use strict";
  if (window.__replycoachLoaded) return;
  window.__replycoachLoaded = true;

  const DEBOUNCE_MS = 60;
  const COLORS = { error: "#d93025", warning: "#e37400", info: "#1a73e8" };
  const LABELS = { error: "错误", warning: "警告", info: "提示" };
  let settings = { sendGate: true, sites: "" };

  const settingsLoaded = new Promise((resolve) => {
    chrome.runtime.sendMessage({ type: "settings" }, (s) => {
      if (!chrome.runtime.lastError && s) settings = s;
      resolve();
    });
  });
  chrome.storage.onChanged.addListener((changes) => {
    for (const [key, { newValue }] of Object.entries(changes)) settings[key] = newValue;
  });

  function siteAllowed() {
    const prefixes = (settings.sites || "").split("\n").map((l) => l.trim()).filter(Boolean);
    return !prefixes.length || prefixes.some((p) => location.href.startsWith(p));
  }

  // ------------------------------------------------------------------------ the overlay
  const host = document.createElement("replycoach-overlay");
  host.style.cssText =
    "all:initial;position:fixed;left:0;top:0;width:0;height:0;z-index:2147483647;";
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML = `<style>
    :host { all: initial; }
    .mark { position: fixed; pointer-events: none; box-sizing: border-box;
      border-bottom: 2px solid var(--c); background: color-mix(in srgb, var(--c) 14%, transparent); }
    .card, .badge, .gate { position: fixed; font: 13px/1.45 system-ui, "Noto Sans CJK SC",
      "Microsoft YaHei", sans-serif; color: #202124; background: #fff; border-radius: 8px;
      box-shadow: 0 2px 10px rgba(0,0,0,.25); }
    .card { width: 300px; padding: 10px 12px; }
    .card .rule { font-size: 11px; color: #5f6368; }
    .card .rule b { color: var(--c); }
    .card .msg { margin: 4px 0 8px; }
    .card button, .gate button { font: inherit; border: 1px solid #dadce0; border-radius: 6px;
      background: #f8f9fa; padding: 2px 10px; margin: 0 6px 4px 0; cursor: pointer; }
    .card button.sug { border-color: #1a73e8; color: #1a73e8; background: #e8f0fe; }
    .badge { padding: 2px 8px; font-size: 12px; border-radius: 10px; cursor: default;
      box-shadow: 0 1px 4px rgba(0,0,0,.2); }
    .badge.clean { color: #188038; }
    .badge.found { color: #e37400; }
    .badge.bad { color: #fff; background: #d93025; }
    .badge.offline { color: #fff; background: #5f6368; max-width: 420px; }
    .gate { padding: 10px 12px; border-left: 4px solid #d93025; max-width: 420px; }
    .gate.ok { border-left-color: #188038; }
    [hidden] { display: none !important; }
  </style><div class="marks"></div><div class="card" hidden></div>
  <div class="badge" hidden></div><div class="gate" hidden></div>`;
  const marksBox = root.querySelector(".marks");
  const card = root.querySelector(".card");
  const badge = root.querySelector(".badge");
  const gate = root.querySelector(".gate");
  const ensureHost = () => {
    if (!host.isConnected) document.documentElement.appendChild(host);
  };

  // --------------------------------------------------------------------------- fields
  const states = new WeakMap();
  let active = null;

  function fieldOf(el) {
    if (!el || el.nodeType !== 1) return null;
    if (el.tagName === "TEXTAREA") return el.readOnly || el.disabled ? null : el;
    if (!el.isContentEditable) return null;
    let top = el;
    while (top.parentElement && top.parentElement.isContentEditable) top = top.parentElement;
    return top;
  }

  function stateOf(field) {
    let st = states.get(field);
    if (!st) {
      st = { findings: [], checkedText: null, seq: 0, timer: 0, composing: false,
        error: null, ignored: new Set(), confirmedText: null, rects: [] };
      states.set(field, st);
      field.addEventListener("input", () => onInput(field));
      field.addEventListener("compositionstart", () => { st.composing = true; });
      field.addEventListener("compositionend", () => { st.composing = false; onInput(field); });
      field.addEventListener("scroll", () => requestRender(), { passive: true });
    }
    return st;
  }

  document.addEventListener("focusin", async (e) => {
    const field = fieldOf(e.target);
    if (!field) return;
    await settingsLoaded;
    if (!siteAllowed() || document.activeElement !== e.target) return;
    ensureHost();
    if (active !== field) {
      active = field;
      hideCard();
      hideGate();
    }
    const st = stateOf(field);
    if (st.checkedText === null) schedule(field, 0);
    else requestRender();
  }, true);

  // ------------------------------------------------------------------------ text model
  const BLOCKS = new Set(["DIV", "P", "LI", "UL", "OL", "H1", "H2", "H3", "H4", "H5", "H6",
    "BLOCKQUOTE", "PRE", "SECTION", "ARTICLE", "TABLE", "TR"]);

  // The text of a field, and for contenteditable where each text node sits in it (UTF-16).
  function readText(field) {
    if (field.tagName === "TEXTAREA") return { text: field.value, segments: null };
    let text = "";
    const segments = [];
    const walk = (node) => {
      for (const child of node.childNodes) {
        if (child.nodeType === 3) {
          segments.push({ node: child, start: text.length });
          text += child.data;
        } else if (child.nodeType === 1) {
          if (child.tagName === "BR") {
            text += "\n";
            continue;
          }
          const block = BLOCKS.has(child.tagName);
          if (block && text && !text.endsWith("\n")) text += "\n";
          walk(child);
        }
      }
    };
    walk(field);
    return { text, segments };
  }

  function domPoint(segments, offset, preferNext) {
    let best = null;
    for (const seg of segments) {
      const end = seg.start + seg.node.data.length;
      if (seg.start <= offset && offset <= end) {
        best = { node: seg.node, offset: offset - seg.start };
        if (!preferNext || offset < end) return best;
      }
    }
    return best;
  }

  function domRange(field, model, start, end) {
    const a = domPoint(model.segments, start, true);
    const b = domPoint(model.segments, end, false);
    if (!a || !b) return null;
    const range = document.createRange();
    range.setStart(a.node, a.offset);
    range.setEnd(b.node, b.offset);
    return range;
  }

  // Python counts code points, JavaScript UTF-16 units: index i of the result is where code
  // point i starts.
  function unitsOf(text) {
    const map = [0];
    let units = 0;
    for (const ch of text) {
      units += ch.length;
      map.push(units);
    }
    return map;
  }

  // ------------------------------------------------------------------------- checking
  function onInput(field) {
    const st = stateOf(field);
    st.confirmedText = null;
    hideGate();
    if (st.composing) return;
    // keep the marks whose text is still where it was; the rest wait for the next answer
    const { text } = readText(field);
    st.findings = st.findings.filter((f) => text.slice(f.s, f.e) === f.excerpt);
    requestRender();
    schedule(field, DEBOUNCE_MS);
  }

  function schedule(field, delay) {
    const st = stateOf(field);
    clearTimeout(st.timer);
    st.timer = setTimeout(() => run(field), delay);
  }

  function run(field) {
    const st = stateOf(field);
    const { text } = readText(field);
    const seq = ++st.seq;
    if (!text.trim()) {
      st.findings = [];
      st.checkedText = text;
      st.error = null;
      requestRender();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      chrome.runtime.sendMessage({ type: "check", text }, (answer) => {
        resolve();
        if (seq !== st.seq) return; // a newer check is under way
        if (readText(field).text !== text) return; // typed on since: the next check draws
        st.checkedText = text;
        if (chrome.runtime.lastError || !answer) {
          st.error = { error: "offline", message: "replycoach 扩展的后台没有应答，请重新加载页面。" };
          st.findings = [];
        } else if (!answer.ok) {
          st.error = answer;
          st.findings = [];
        } else {
          st.error = null;
          const units = unitsOf(text);
          st.findings = answer.findings
            .map((f) => ({ ...f, s: units[f.start], e: units[f.end] }))
            .filter((f) => !st.ignored.has(f.rule + "\u0000" + f.excerpt));
        }
        render();
      });
    });
  }

  // ------------------------------------------------------------------------- drawing
  let mirror = null;

  function textareaRects(field, start, end) {
    if (!mirror) {
      mirror = document.createElement("div");
      root.appendChild(mirror);
    }
    const cs = getComputedStyle(field);
    const box = field.getBoundingClientRect();
    const props = ["boxSizing", "width", "height", "paddingTop", "paddingRight", "paddingBottom",
      "paddingLeft", "borderTopWidth", "borderRightWidth", "borderBottomWidth", "borderLeftWidth",
      "borderTopStyle", "borderRightStyle", "borderBottomStyle", "borderLeftStyle",
      "fontFamily", "fontSize", "fontWeight", "fontStyle", "fontStretch", "letterSpacing",
      "lineHeight", "textTransform", "wordSpacing", "textIndent", "tabSize", "direction",
      "textAlign"];
    const style = mirror.style;
    for (const p of props) style[p] = cs[p];
    Object.assign(style, {
      position: "fixed", left: box.left + "px", top: box.top + "px", visibility: "hidden",
      overflow: "hidden", whiteSpace: "pre-wrap", overflowWrap: "break-word",
      borderColor: "transparent", pointerEvents: "none",
    });
    if (field.scrollHeight > field.clientHeight) style.overflowY = "scroll";
    mirror.textContent = field.value + "\u200b";
    mirror.scrollTop = field.scrollTop;
    mirror.scrollLeft = field.scrollLeft;
    const range = document.createRange();
    range.setStart(mirror.firstChild, start);
    range.setEnd(mirror.firstChild, end);
    return Array.from(range.getClientRects());
  }

  function rectsOf(field, model, f) {
    if (field.tagName === "TEXTAREA") return textareaRects(field, f.s, f.e);
    const range = domRange(field, model, f.s, f.e);
    return range ? Array.from(range.getClientRects()) : [];
  }

  let frame = 0;
  function requestRender() {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; render(); });
  }

  function render() {
    marksBox.textContent = "";
    if (!active || !active.isConnected) {
      badge.hidden = true;
      return;
    }
    const field = active;
    const st = stateOf(field);
    const model = readText(field);
    const box = field.getBoundingClientRect();
    st.rects = [];
    for (const f of st.findings) {
      if (model.text.slice(f.s, f.e) !== f.excerpt) continue;
      for (const r of rectsOf(field, model, f)) {
        if (r.width === 0 || r.bottom < box.top || r.top > box.bottom) continue;
        const mark = document.createElement("div");
        mark.className = "mark " + f.severity;
        mark.dataset.rule = f.rule;
        mark.style.cssText = `--c:${COLORS[f.severity] || COLORS.info};left:${r.left}px;` +
          `top:${r.top}px;width:${r.width}px;height:${r.height}px`;
        marksBox.appendChild(mark);
        st.rects.push({ f, r });
      }
    }
    drawBadge(st, box, st.checkedText !== model.text);
  }

  function drawBadge(st, box, pending) {
    badge.hidden = false;
    if (st.error) {
      badge.className = "badge offline";
      badge.textContent = st.error.message;
    } else if (!st.findings.length) {
      badge.className = "badge clean";
      badge.textContent = pending ? "replycoach 检查中…" : "replycoach ✓";
    } else {
      const errors = st.findings.filter((f) => f.severity === "error").length;
      badge.className = "badge " + (errors ? "bad" : "found");
      badge.textContent = `replycoach：${st.findings.length} 处问题` +
        (errors ? `（${errors} 处错误）` : "");
    }
    badge.title = badge.textContent;
    const w = badge.offsetWidth;
    badge.style.left = Math.max(0, box.right - w - 4) + "px";
    badge.style.top = box.bottom + 4 + "px";
  }

  window.addEventListener("scroll", requestRender, { capture: true, passive: true });
  window.addEventListener("resize", requestRender, { passive: true });

  // ---------------------------------------------------------------- message and fixes
  let cardFor = null;
  let cardSticky = false;
  let hideTimer = 0;

  function findingAt(x, y) {
    if (!active) return null;
    const st = stateOf(active);
    for (const { f, r } of st.rects) {
      if (x >= r.left && x <= r.right && y >= r.top - 2 && y <= r.bottom + 2) return { f, r };
    }
    return null;
  }

  function showCard(hit, sticky) {
    clearTimeout(hideTimer);
    if (cardFor === hit.f && !card.hidden) {
      cardSticky = cardSticky || sticky;
      return;
    }
    cardFor = hit.f;
    cardSticky = sticky;
    const f = hit.f;
    card.style.setProperty("--c", COLORS[f.severity] || COLORS.info);
    card.textContent = "";
    const rule = document.createElement("div");
    rule.className = "rule";
    rule.innerHTML = "<b></b> · <span></span>";
    rule.querySelector("b").textContent = LABELS[f.severity] || f.severity;
    rule.querySelector("span").textContent = f.rule;
    const msg = document.createElement("div");
    msg.className = "msg";
    msg.textContent = f.message;
    card.append(rule, msg);
    for (const s of f.suggestions) {
      const b = document.createElement("button");
      b.className = "sug";
      b.textContent = s;
      b.title = `把“${f.excerpt}”换成“${s}”`;
      b.addEventListener("mousedown", (e) => e.preventDefault());
      b.addEventListener("click", () => apply(active, f, s));
      card.appendChild(b);
    }
    const ignore = document.createElement("button");
    ignore.textContent = "忽略";
    ignore.addEventListener("mousedown", (e) => e.preventDefault());
    ignore.addEventListener("click", () => {
      const st = stateOf(active);
      st.ignored.add(f.rule + "\u0000" + f.excerpt);
      st.findings = st.findings.filter((x) => x !== f);
      hideCard();
      render();
    });
    card.appendChild(ignore);
    card.hidden = false;
    const top = hit.r.bottom + 6;
    card.style.left = Math.max(4, Math.min(hit.r.left, innerWidth - 310)) + "px";
    card.style.top = (top + card.offsetHeight > innerHeight ? hit.r.top - card.offsetHeight - 6 : top) + "px";
  }

  function hideCard() {
    card.hidden = true;
    cardFor = null;
    cardSticky = false;
  }

  document.addEventListener("mousemove", (e) => {
    const hit = findingAt(e.clientX, e.clientY);
    if (hit) {
      showCard(hit, false);
    } else if (!card.hidden && !cardSticky && !e.composedPath().includes(card)) {
      clearTimeout(hideTimer);
      hideTimer = setTimeout(hideCard, 300);
    }
  }, { passive: true });

  document.addEventListener("mousedown", (e) => {
    if (e.composedPath().includes(card)) return;
    const hit = findingAt(e.clientX, e.clientY);
    if (hit) showCard(hit, true);
    else hideCard();
  }, true);

  function apply(field, f, suggestion) {
    const model = readText(field);
    hideCard();
    if (model.text.slice(f.s, f.e) !== f.excerpt) {
      schedule(field, 0); // the text moved on: check again rather than replace blindly
      return;
    }
    field.focus();
    let done = false;
    if (field.tagName === "TEXTAREA") {
      field.setSelectionRange(f.s, f.e);
      done = document.execCommand("insertText", false, suggestion);
      if (!done) {
        field.setRangeText(suggestion, f.s, f.e, "end");
        field.dispatchEvent(new Event("input", { bubbles: true }));
      }
    } else {
      const range = domRange(field, model, f.s, f.e);
      if (!range) return;
      const sel = getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      done = document.execCommand("insertText", false, suggestion);
      if (!done) {
        range.deleteContents();
        range.insertNode(document.createTextNode(suggestion));
        field.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertText",
          data: suggestion }));
      }
    }
  }

  // ------------------------------------------------------------------------ send gate
  function showGate(field, errors, ok) {
    gate.textContent = "";
    gate.className = ok ? "gate ok" : "gate";
    const p = document.createElement("div");
    if (ok) {
      p.textContent = "replycoach：没有错误级问题。再按 Enter 发送。";
    } else {
      const list = errors.map((f) => `“${f.excerpt}”（${f.rule}）`).join("、");
      p.textContent = `replycoach 拦下了发送：有 ${errors.length} 处错误级问题 ${list}。` +
        "修改后再发送，或再按一次 Enter 确认仍然发送。";
    }
    const close = document.createElement("button");
    close.textContent = "知道了";
    close.addEventListener("mousedown", (e) => e.preventDefault());
    close.addEventListener("click", hideGate);
    gate.append(p, close);
    gate.hidden = false;
    const box = field.getBoundingClientRect();
    gate.style.left = box.left + "px";
    const top = box.top - gate.offsetHeight - 8;
    gate.style.top = (top > 0 ? top : box.bottom + 28) + "px";
  }

  function hideGate() {
    gate.hidden = true;
  }

  const errorsOf = (st) => st.findings.filter((f) => f.severity === "error");

  window.addEventListener("keydown", (e) => {
    if (!settings.sendGate || e.key !== "Enter" || e.shiftKey || e.isComposing ||
        e.keyCode === 229) return;
    const field = fieldOf(e.target);
    if (!field || !states.has(field) || !siteAllowed()) return;
    const st = stateOf(field);
    const { text } = readText(field);
    if (st.confirmedText === text) {
      st.confirmedText = null; // confirmed: this Enter goes through to the page
      hideGate();
      return;
    }
    if (st.checkedText !== text) {
      // typed faster than the check: hold this Enter, check now, then say what was found
      e.preventDefault();
      e.stopImmediatePropagation();
      clearTimeout(st.timer);
      run(field).then(() => {
        if (st.checkedText !== text) return;
        st.confirmedText = text;
        const errors = errorsOf(st);
        showGate(field, errors, !errors.length);
      });
      return;
    }
    const errors = errorsOf(st);
    if (!errors.length) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    st.confirmedText = text;
    showGate(field, errors, false);
  }, true);
})();
