// Progressive enhancements for the Idunox pages. Every page works without this script.
const copyButtons = document.querySelectorAll("[data-copy]");
for (const button of copyButtons) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    const text = source.value ?? source.textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      source.select?.();
      document.execCommand?.("copy");
    }
    const status = document.getElementById(button.dataset.copyStatus);
    if (status) status.textContent = "Copied to the clipboard.";
    button.textContent = "Copied";
    document.body.dataset.secretCopied = "true";
  });
}

// While a new key is on screen and not yet copied, leaving the page asks first: the key cannot be shown again.
if (document.querySelector("[data-secret]")) {
  window.addEventListener("beforeunload", (event) => {
    if (document.body.dataset.secretCopied === "true") return;
    event.preventDefault();
    event.returnValue = "";
  });
  for (const link of document.querySelectorAll("[data-secret-done]")) {
    link.addEventListener("click", () => { document.body.dataset.secretCopied = "true"; });
  }
}

// Coming back from a confirm step (#key-…), focus returns to the action that led there.
if (location.hash.length > 1) {
  const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (target && typeof target.focus === "function") target.focus();
}
