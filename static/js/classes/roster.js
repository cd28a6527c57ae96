// Small helps on the class pages; every form works without them.
// - a form with data-confirm asks before it is sent (removing someone, a new join code);
// - a button with data-copy copies the text of the element it names (the join link);
// - a time zone field with data-guess-zone starts at the browser's own zone.

for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

for (const button of document.querySelectorAll("button[data-copy]")) {
  const source = document.querySelector(button.dataset.copy);
  if (!source || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select the link to copy it";
    }
  });
}

const zone = document.querySelector("input[data-guess-zone]");
const guessed = Intl.DateTimeFormat().resolvedOptions().timeZone;
if (zone && guessed && document.querySelector(`#zones option[value="${CSS.escape(guessed)}"]`)) {
  zone.value = guessed;
}
