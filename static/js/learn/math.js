// Typesets the math that the server's Markdown left in `.math` elements, with the vendored
// KaTeX (loaded before this module as /static/vendor/katex/katex.min.js). The element holds
// the TeX source as text; a formula KaTeX cannot read stays visible as its source, in red.

/** Render every `.math` element under `root` that is not rendered yet. */
export function typeset(root = document) {
  const katex = window.katex;
  if (!katex) return;
  for (const element of root.querySelectorAll(".math:not([data-typeset])")) {
    const source = element.textContent;
    const displayMode = element.classList.contains("block") ||
      element.classList.contains("display");
    katex.render(source.trim(), element, { displayMode, throwOnError: false, output: "htmlAndMathml" });
    element.dataset.typeset = "";
    element.setAttribute("data-tex", source.trim());
  }
}

typeset();
