/* Breakfix workspace: the YAML editor (the console's terminal is console.js). Plain JavaScript, no
   build step. Everything here is an enhancement: without JavaScript the editor is a plain form. */
(function () {
  "use strict";

  // --- editor -------------------------------------------------------------------------------

  var editor = null;  // the CodeMirror instance, when CodeMirror loaded

  function editorValue() {
    var textarea = document.getElementById("editor-text");
    return editor ? editor.getValue() : (textarea ? textarea.value : "");
  }

  function setEditorValue(text) {
    var textarea = document.getElementById("editor-text");
    if (editor) { editor.setValue(text); editor.focus(); editor.setCursor(0, 0); }
    else if (textarea) { textarea.value = text; textarea.focus(); }
  }

  function indentWithSpaces(textarea) {
    // A plain textarea moves focus on Tab; YAML wants two spaces. Escape, then Tab, leaves.
    var escaped = false;
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { escaped = true; return; }
      if (event.key !== "Tab" || escaped || event.shiftKey) { escaped = false; return; }
      event.preventDefault();
      var start = textarea.selectionStart;
      textarea.setRangeText("  ", start, textarea.selectionEnd, "end");
    });
  }

  function setupEditor() {
    var textarea = document.getElementById("editor-text");
    if (!textarea) { return; }
    if (window.CodeMirror) {
      editor = window.CodeMirror.fromTextArea(textarea, {
        mode: "yaml",
        lineNumbers: true,
        tabSize: 2,
        indentUnit: 2,
        indentWithTabs: false,
        lineWrapping: false,
        extraKeys: {
          Tab: function (cm) {
            if (cm.somethingSelected()) { cm.indentSelection("add"); } else { cm.replaceSelection("  "); }
          },
          "Shift-Tab": "indentLess",
          // Keyboard users leave the editor with Escape, then Tab.
          Esc: function (cm) { cm.getInputField().blur(); }
        }
      });
      editor.on("change", function () { editor.save(); });
      window.breakfixEditor = editor;
    } else {
      indentWithSpaces(textarea);
    }
    // htmx reads the form before CodeMirror copied its text back: send the editor's text.
    document.body.addEventListener("htmx:configRequest", function (event) {
      var form = document.getElementById("editor-form");
      if (form && form.contains(event.detail.elt)) { event.detail.parameters.manifest = editorValue(); }
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (!event.detail.target || event.detail.target.id !== "editor-result") { return; }
      var incoming = event.detail.target.querySelector("[data-editor-load]");
      if (incoming) { setEditorValue(incoming.value); incoming.remove(); }
    });
    var picker = document.getElementById("editor-template");
    if (picker) {
      picker.addEventListener("change", function () {
        var template = document.querySelector('template[data-editor-template="' + picker.value + '"]');
        picker.value = "";
        if (!template) { return; }
        if (editorValue().trim() && !window.confirm("Replace the editor's text with a new template?")) { return; }
        setEditorValue(template.content.textContent);
      });
    }
  }

  document.addEventListener("DOMContentLoaded", setupEditor);
})();
