/* Breakfix console: a kubectl terminal in the page. Plain JavaScript, no build step.

   Without JavaScript the console is a plain form: one command, one page. With it:
   - Enter posts the line to the streaming view and shows kubectl's output as it comes (fetch
     reading newline-delimited JSON: started, output…, end with the stored entry's HTML);
   - Ctrl-C or Stop ends the running command (a small POST naming it by its id);
   - Tab completes through kubectl's own completion, filtered by the console's allowlist: one
     candidate completes in place, several are listed under the prompt;
   - ↑ and ↓ walk the attempt's stored history (it survives a reload); Ctrl-L clears the screen;
   - Esc then Tab (or Tab on an empty line) leaves the console, for keyboard-only use;
   - a finished command is announced once to screen readers (#console-announce). */
(function () {
  "use strict";

  var LAYOUT_KEY = "breakfix.console.layout";
  var canStream = !!(window.fetch && window.ReadableStream && window.TextDecoder && window.AbortController);

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function asKubectl(line) {
    // As the server shows a line (the `as_kubectl` filter): `kubectl` is optional when typing.
    var match = line.trim().match(/^(kubectl|k)(\s+([\s\S]*))?$/);
    if (match) { return match[3] ? "kubectl " + match[3] : "kubectl"; }
    return "kubectl " + line.trim();
  }

  function commonPrefix(values) {
    if (!values.length) { return ""; }
    var prefix = values[0];
    values.forEach(function (value) {
      while (value.indexOf(prefix) !== 0) { prefix = prefix.slice(0, -1); }
    });
    return prefix;
  }

  function Terminal(panel) {
    this.panel = panel;
    this.log = document.getElementById("console-log");
    this.form = panel.querySelector("form.console-input");
    this.input = document.getElementById("console-line");
    this.list = document.getElementById("console-completions");
    this.announcer = document.getElementById("console-announce");
    this.indicator = document.getElementById("console-running");
    this.runButton = this.form.querySelector("button[type=submit]");
    this.stopButton = panel.querySelector("[data-console-stop]");
    this.tabButton = panel.querySelector("[data-console-tab]");
    var stored = document.getElementById("console-recall");
    this.recall = stored ? JSON.parse(stored.textContent || "[]") : [];
    this.position = null;  // index into recall while walking it with the arrow keys
    this.draft = "";
    this.escaped = false;
    this.running = null;  // {entry, out, id, controller, stopWanted}
    this.completing = false;
    this.placeholder = this.input.getAttribute("placeholder") || "";
  }

  Terminal.prototype.csrf = function () {
    var field = this.form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  };

  Terminal.prototype.post = function (url, fields, options) {
    var body = new FormData();
    Object.keys(fields).forEach(function (key) { body.append(key, fields[key]); });
    body.append("csrfmiddlewaretoken", this.csrf());
    var init = { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": this.csrf() } };
    if (options && options.signal) { init.signal = options.signal; }
    return window.fetch(url, init);
  };

  Terminal.prototype.announce = function (text) {
    var announcer = this.announcer;
    announcer.textContent = "";
    // A fresh text after a moment: the same words twice are read twice.
    window.setTimeout(function () { announcer.textContent = text; }, 60);
  };

  Terminal.prototype.atBottom = function () {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 48;
  };

  Terminal.prototype.scroll = function () { this.log.scrollTop = this.log.scrollHeight; };

  // --- history -------------------------------------------------------------------------------

  Terminal.prototype.remember = function (line) {
    if (this.recall[this.recall.length - 1] !== line) { this.recall.push(line); }
    this.position = null;
  };

  Terminal.prototype.walk = function (step) {
    var recall = this.recall;
    if (!recall.length) { return; }
    if (this.position === null) { this.draft = this.input.value; this.position = recall.length; }
    this.position = Math.max(0, Math.min(recall.length, this.position + step));
    this.setLine(this.position === recall.length ? this.draft : recall[this.position], "");
  };

  Terminal.prototype.setLine = function (text, after) {
    this.input.value = text + after;
    this.input.setSelectionRange(text.length, text.length);
  };

  Terminal.prototype.clear = function () {
    var running = this.running ? this.running.entry : null;
    Array.prototype.slice.call(this.log.children).forEach(function (child) {
      if (child !== running) { child.remove(); }
    });
    this.hideCompletions();
    this.announce("Screen cleared. Earlier commands are still on the arrow keys.");
  };

  // --- running a command ----------------------------------------------------------------------

  Terminal.prototype.setRunning = function (on, text) {
    this.input.readOnly = on;  // still focused, still hears Ctrl-C
    this.input.setAttribute("placeholder", on ? "Ctrl-C or Stop ends the command" : this.placeholder);
    this.runButton.disabled = on;
    this.stopButton.hidden = !on;
    this.tabButton.hidden = on;
    this.indicator.hidden = !on;
    this.indicator.querySelector("[data-console-running-text]").textContent = text || "running";
    this.log.setAttribute("aria-busy", on ? "true" : "false");
  };

  Terminal.prototype.run = function (line) {
    var self = this;
    this.remember(line);
    this.input.value = "";
    this.hideCompletions();
    var entry = make("article", "console-entry is-running");
    entry.setAttribute("data-line", line);
    var command = make("div", "console-cmd");
    var prompt = make("span", "prompt", "$");
    prompt.setAttribute("aria-hidden", "true");
    command.appendChild(prompt);
    command.appendChild(document.createTextNode(" " + asKubectl(line)));
    var out = make("pre", "console-out");
    entry.appendChild(command);
    entry.appendChild(out);
    this.log.appendChild(entry);
    this.scroll();
    var running = { entry: entry, out: out, id: null, controller: new AbortController(), stopWanted: false, ended: false };
    this.running = running;
    this.setRunning(true);
    this.post(this.panel.getAttribute("data-stream-url"), { line: line }, { signal: running.controller.signal })
      .then(function (response) {
        if (response.status === 204) { entry.remove(); running.ended = true; return null; }
        if (!response.ok || !response.body) { throw new Error("the server answered " + response.status); }
        if ((response.headers.get("Content-Type") || "").indexOf("ndjson") < 0) {
          // A log-in page, after a redirect: the session has ended.
          throw new Error("the answer was a page, not the command's output: has your session ended?");
        }
        return self.read(response.body, running);
      })
      .catch(function (error) {
        if (running.ended) { return; }
        var note = make("div", "console-refusal");
        note.appendChild(make("strong", "", "Connection lost. "));
        note.appendChild(document.createTextNode(
          "The console lost its connection to the server (" + error.message + "). " +
          "Reload the page to see what the command printed."));
        entry.classList.remove("is-running");
        entry.classList.add("is-refused");
        entry.appendChild(note);
        self.announce("Connection lost. Reload the page to see what the command printed.");
      })
      .then(function () {
        self.running = null;
        self.setRunning(false);
        var focus = document.activeElement;
        if (focus === document.body || self.panel.contains(focus)) { self.input.focus(); }
      });
  };

  Terminal.prototype.read = function (body, running) {
    var self = this;
    var reader = body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) {
          if (!running.ended) { throw new Error("the answer ended early"); }
          return null;
        }
        buffer += decoder.decode(chunk.value, { stream: true });
        var lines = buffer.split("\n");
        buffer = lines.pop();
        lines.forEach(function (line) { if (line) { self.handle(JSON.parse(line), running); } });
        return pump();
      });
    }
    return pump();
  };

  Terminal.prototype.handle = function (event, running) {
    if (event.event === "started") {
      running.id = event.id;
      if (event.watches) {
        this.setRunning(true, "watching, up to " + event.seconds + " s");
        this.announce("Watching. Press Control C, or Stop, to end it.");
      }
      if (running.stopWanted) { this.stop(); }
    } else if (event.event === "output") {
      var follow = this.atBottom();
      running.out.appendChild(document.createTextNode(event.data));
      if (follow) { this.scroll(); }
    } else if (event.event === "end") {
      running.ended = true;
      var following = this.atBottom();
      var template = document.createElement("template");
      template.innerHTML = event.html.trim();  // the server's own rendering of the stored entry
      running.entry.replaceWith(template.content);
      if (following) { this.scroll(); }
      this.announce(event.announce);
    }
  };

  Terminal.prototype.stop = function () {
    var running = this.running;
    if (!running) { return; }
    if (!running.id) { running.stopWanted = true; return; }  // stopped as soon as it has an id
    this.indicator.querySelector("[data-console-running-text]").textContent = "stopping";
    this.post(this.panel.getAttribute("data-stop-url"), { id: running.id }).catch(function () {
      running.controller.abort();  // the server could not be told: closing the stream ends it too
    });
  };

  // --- Tab completion -------------------------------------------------------------------------

  Terminal.prototype.hideCompletions = function () {
    this.list.hidden = true;
    this.list.textContent = "";
  };

  Terminal.prototype.showCompletions = function (result, base, after) {
    var self = this;
    this.list.textContent = "";
    if (!result.candidates.length) {
      this.list.appendChild(make("p", "console-completions-note", result.message || "Nothing to complete here."));
      this.list.hidden = false;
      return;
    }
    var items = make("ul", "console-completions-list");
    items.setAttribute("aria-label", result.candidates.length + " completions");
    result.candidates.forEach(function (candidate) {
      var item = make("li");
      var button = make("button", "console-completion");
      button.type = "button";
      button.appendChild(make("code", "", candidate.value));
      if (candidate.description) {
        button.appendChild(make("span", "console-completion-about", candidate.description));
        button.title = candidate.description;  // the whole of it, where the list cuts it short
      }
      button.addEventListener("click", function () {
        self.setLine(base + candidate.value + (result.no_space ? "" : " "), after);
        self.hideCompletions();
        self.input.focus();
      });
      item.appendChild(button);
      items.appendChild(item);
    });
    if (result.more) { items.appendChild(make("li", "console-completions-note", "… and " + result.more + " more: type a few letters more.")); }
    this.list.appendChild(items);
    this.list.hidden = false;
  };

  Terminal.prototype.complete = function () {
    var self = this;
    if (this.completing || this.running) { return; }
    var caret = this.input.selectionEnd === null ? this.input.value.length : this.input.selectionEnd;
    var before = this.input.value.slice(0, caret);
    var after = this.input.value.slice(caret);
    this.completing = true;
    this.post(this.panel.getAttribute("data-complete-url"), { line: before })
      .then(function (response) {
        if (!response.ok) { throw new Error("the server answered " + response.status); }
        return response.json();
      })
      .then(function (result) {
        // Typed on meanwhile: this answer is for a line that is not there any more.
        if (self.input.value.slice(0, caret) !== before || self.input.value.slice(caret) !== after) { return; }
        if (before.slice(before.length - result.partial.length) !== result.partial) { return; }
        var base = before.slice(0, before.length - result.partial.length);
        var values = result.candidates.map(function (candidate) { return candidate.value; });
        if (values.length === 1) {
          self.setLine(base + values[0] + (result.no_space ? "" : " "), after);
          self.hideCompletions();
          self.announce("Completed: " + values[0]);
          return;
        }
        var prefix = commonPrefix(values);
        if (prefix.length > result.partial.length) { self.setLine(base + prefix, after); }
        self.showCompletions(result, base, after);
        self.announce(values.length ? values.length + " completions: " + values.slice(0, 10).join(", ")
          : (result.message || "Nothing to complete here."));
      })
      .catch(function () { self.announce("Completion is not available right now."); })
      .then(function () { self.completing = false; });
  };

  // --- keys and buttons -----------------------------------------------------------------------

  Terminal.prototype.onKey = function (event) {
    var key = event.key;
    var plain = !event.altKey && !event.metaKey;
    if (event.ctrlKey && plain && (key === "c" || key === "C")) {
      var selected = String(window.getSelection ? window.getSelection() : "") ||
        (event.target === this.input && this.input.selectionStart !== this.input.selectionEnd);
      if (selected) { return; }  // Ctrl-C copies what is selected, as everywhere
      event.preventDefault();
      if (this.running) { this.stop(); } else { this.input.value = ""; this.hideCompletions(); }
      return;
    }
    if (event.ctrlKey && plain && (key === "l" || key === "L")) {
      event.preventDefault();
      this.clear();
      return;
    }
    if (event.target !== this.input) { return; }
    if (key === "Escape") { this.escaped = true; this.hideCompletions(); return; }
    if (key === "Tab") {
      var leave = this.escaped || event.shiftKey || event.ctrlKey || !plain || !this.input.value.trim() || this.running;
      this.escaped = false;
      if (leave) { return; }  // the browser moves focus on: keyboard users are never trapped
      event.preventDefault();
      this.complete();
      return;
    }
    if (key !== "Shift") { this.escaped = false; }
    if (key === "ArrowUp" || key === "ArrowDown") {
      event.preventDefault();
      this.hideCompletions();
      this.walk(key === "ArrowUp" ? -1 : 1);
    } else if (key === "Enter" && this.running) {
      event.preventDefault();  // one command at a time: Ctrl-C first
    }
  };

  Terminal.prototype.setupLayout = function () {
    var button = this.panel.querySelector("[data-console-layout]");
    var workspace = this.panel.closest(".workspace");
    var grid = workspace ? workspace.querySelector(".workspace-grid") : null;
    if (!button || !grid) { return; }
    var panel = this.panel;
    var home = document.createComment("console");  // where the console goes back to
    panel.parentNode.insertBefore(home, panel);
    var self = this;
    function apply(side) {
      if (side) { grid.appendChild(panel); } else { home.parentNode.insertBefore(panel, home.nextSibling); }
      workspace.classList.toggle("console-side", side);
      button.setAttribute("aria-pressed", side ? "true" : "false");
      self.scroll();
    }
    var stored = null;
    try { stored = window.localStorage.getItem(LAYOUT_KEY); } catch (error) { stored = null; }
    apply(stored === "side");
    button.hidden = false;
    button.addEventListener("click", function () {
      var side = button.getAttribute("aria-pressed") !== "true";
      try { window.localStorage.setItem(LAYOUT_KEY, side ? "side" : "below"); } catch (error) { /* private mode */ }
      apply(side);
      self.input.focus();
    });
  };

  Terminal.prototype.setup = function () {
    var self = this;
    this.panel.addEventListener("keydown", function (event) { self.onKey(event); });
    this.input.addEventListener("input", function () { self.position = null; self.hideCompletions(); });
    if (canStream) {
      this.form.addEventListener("submit", function (event) {
        event.preventDefault();
        var line = self.input.value;
        if (!self.running && line.trim()) { self.run(line); }
      });
      this.tabButton.hidden = false;
    }
    this.tabButton.addEventListener("click", function () { self.complete(); self.input.focus(); });
    this.stopButton.addEventListener("click", function () { self.stop(); self.input.focus(); });
    document.querySelectorAll("[data-console-fill]").forEach(function (chip) {
      chip.addEventListener("click", function () {
        self.input.value = chip.getAttribute("data-console-fill");
        self.input.focus();
      });
    });
    this.setupLayout();
    this.scroll();
    // The log keeps showing its latest command when the page changes width.
    window.addEventListener("resize", function () { self.scroll(); });
  };

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.getElementById("console");
    if (panel && document.getElementById("console-line")) { new Terminal(panel).setup(); }
  });
})();
