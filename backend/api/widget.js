/* Agent Hub embed widget: a chat bubble for any website.
 *
 * <script src="https://HUB/api/v1/widget.js" data-key="ahp_..." data-agent="MODEL_ID" data-title="Chat with us" async></script>
 *
 * Talks to the developer API with a publishable key (refused from origins the key does not
 * list). Replies are rendered as text, never as HTML. A random visitor id kept in localStorage
 * keeps this browser's conversation and memory apart from other visitors'.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__agentHubWidget) return;
  window.__agentHubWidget = true;
  var base = new URL(script.src).origin;
  var key = script.getAttribute("data-key") || "";
  var agent = script.getAttribute("data-agent") || "";
  var title = script.getAttribute("data-title") || "Chat";
  var storeKey = "agenthub-widget:" + agent;

  function visitorId() {
    var id = null;
    try { id = localStorage.getItem("agenthub-widget-visitor"); } catch (e) { id = null; }
    if (!id || id.length < 16) {
      var bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      id = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
      try { localStorage.setItem("agenthub-widget-visitor", id); } catch (e) { /* private mode: per page */ }
    }
    return id;
  }

  function el(tag, style, text) {
    var node = document.createElement(tag);
    if (style) node.setAttribute("style", style);
    if (text) node.textContent = text;
    return node;
  }

  var root = el("div", "position:fixed;right:20px;bottom:20px;z-index:2147483000;font:14px/1.45 system-ui,sans-serif;color:#1c2024");
  root.setAttribute("data-agenthub-widget", "");
  var bubble = el("button", "width:56px;height:56px;border-radius:50%;border:0;background:#3e63dd;color:#fff;font-size:24px;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)", "\u{1F4AC}");
  bubble.type = "button";
  bubble.setAttribute("aria-label", "Open chat: " + title);
  bubble.setAttribute("aria-expanded", "false");
  var panel = el("section", "display:none;flex-direction:column;width:340px;height:460px;margin-bottom:12px;background:#fff;border:1px solid #d9d9e0;border-radius:12px;box-shadow:0 8px 28px rgba(0,0,0,.2);overflow:hidden");
  panel.setAttribute("aria-label", title);
  var header = el("div", "display:flex;align-items:center;justify-content:space-between;padding:10px 12px;background:#3e63dd;color:#fff;font-weight:600");
  header.appendChild(el("span", "", title));
  var close = el("button", "background:none;border:0;color:#fff;font-size:18px;cursor:pointer", "\u00D7");
  close.type = "button";
  close.setAttribute("aria-label", "Close chat");
  header.appendChild(close);
  var log = el("div", "flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var form = el("form", "display:flex;gap:6px;padding:10px;border-top:1px solid #e8e8ec");
  var label = el("label", "position:absolute;left:-9999px", "Your message");
  label.setAttribute("for", "agenthub-widget-input");
  var input = el("textarea", "flex:1;resize:none;height:40px;padding:8px;border:1px solid #cdced6;border-radius:8px;font:inherit");
  input.id = "agenthub-widget-input";
  input.maxLength = 32000;
  input.placeholder = "Type a message…";
  var send = el("button", "padding:0 14px;border:0;border-radius:8px;background:#3e63dd;color:#fff;cursor:pointer", "Send");
  send.type = "submit";
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(bubble);

  function toggle(open) {
    panel.style.display = open ? "flex" : "none";
    bubble.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) input.focus();
  }
  bubble.addEventListener("click", function () { toggle(panel.style.display === "none"); });
  close.addEventListener("click", function () { toggle(false); bubble.focus(); });

  function line(role, text) {
    var mine = role === "user";
    var node = el("div", "max-width:85%;padding:8px 10px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word;" +
      (mine ? "align-self:flex-end;background:#3e63dd;color:#fff" : role === "error" ? "align-self:stretch;background:#ffefef;color:#a11" : "align-self:flex-start;background:#f0f0f3"), text);
    node.setAttribute("data-role", role);
    log.appendChild(node);
    log.scrollTop = log.scrollHeight;
    return node;
  }

  function parseEvents(buffer, onEvent) {
    var parts = buffer.split("\n\n");
    var rest = parts.pop();
    parts.forEach(function (block) {
      var name = "message", data = "";
      block.split("\n").forEach(function (row) {
        if (row.indexOf("event:") === 0) name = row.slice(6).trim();
        else if (row.indexOf("data:") === 0) data += row.slice(5).trim();
      });
      if (data) { try { onEvent(name, JSON.parse(data)); } catch (e) { /* keep-alive or partial */ } }
    });
    return rest;
  }

  async function ask(text) {
    send.disabled = true;
    line("user", text);
    var answer = line("assistant", "…");
    answer.setAttribute("aria-busy", "true");
    var got = "";
    try {
      var response = await fetch(base + "/api/v1/agents/" + encodeURIComponent(agent) + "/runs", {
        method: "POST",
        headers: { "Authorization": "Bearer " + key, "Content-Type": "application/json" },
        body: JSON.stringify({ message: text, conversation_id: sessionStorage.getItem(storeKey) || null, browser_id: visitorId() })
      });
      if (!response.ok) {
        var body = await response.json().catch(function () { return {}; });
        throw new Error((body.error && body.error.message) || ("The chat is unavailable (" + response.status + ")."));
      }
      var reader = response.body.getReader(), decoder = new TextDecoder(), buffer = "";
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) break;
        buffer = parseEvents(buffer + decoder.decode(chunk.value, { stream: true }), function (name, data) {
          if (name === "started") sessionStorage.setItem(storeKey, data.conversation_id);
          else if (name === "token") { got += data.text; answer.textContent = got; }
          else if (name === "failed") throw new Error(data.message);
        });
      }
      if (!got) answer.textContent = "(no answer)";
    } catch (err) {
      answer.remove();
      line("error", err.message || String(err));
    } finally {
      answer.removeAttribute("aria-busy");
      send.disabled = false;
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || send.disabled) return;
    input.value = "";
    ask(text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });

  if (document.body) document.body.appendChild(root);
  else document.addEventListener("DOMContentLoaded", function () { document.body.appendChild(root); });
})();
