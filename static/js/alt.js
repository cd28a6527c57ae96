// Text alternatives: every picture has a collapsed <details> with its numbers as a table,
// filled from the picture's own `…Table()` function only while the details are open.

/** Render {caption, head, rows} into `details` (replacing its previous table). */
export function fillTable(details, { caption, head, rows }) {
  const table = document.createElement("table");
  const cap = document.createElement("caption");
  cap.textContent = caption;
  const thead = table.createTHead().insertRow();
  for (const h of head) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = h;
    thead.append(th);
  }
  const body = table.createTBody();
  for (const cells of rows) {
    const tr = body.insertRow();
    cells.forEach((text, i) => {
      const cell = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) cell.scope = "row";
      cell.textContent = text;
      tr.append(cell);
    });
  }
  table.prepend(cap);
  const wrap = details.querySelector(".table-wrap");
  wrap.replaceChildren(table);
}

/**
 * Keeps each open details' table current: `sources` maps a details' data-table name to a
 * function returning its table (or null when there is nothing yet).
 */
export class TextAlternatives {
  constructor(root, sources) {
    this.sources = sources;
    this.details = [...root.querySelectorAll("details[data-table]")];
    for (const d of this.details) d.addEventListener("toggle", () => this.refresh(d));
  }

  refresh(details) {
    if (!details.open) return;
    const table = this.sources[details.dataset.table]?.();
    if (table) fillTable(details, table);
  }

  /** Refresh the open ones (call after drawing a frame). */
  update() {
    this.details.forEach((d) => this.refresh(d));
  }
}
