// The ‹ [number] › picker of a lab's shown test example, shared by the labs that have one.
// The number box's `max` (set by the stage template) bounds the choice.

/**
 * Wire the picker (`example-prev`, `example-input`, `example-next`, found with `$`). A choice
 * is clamped to the box's min…max and sent as `configure({example})`. Returns `sync()`, which
 * shows the params' example in the box unless the learner is typing in it.
 */
export function examplePicker($, state, configure) {
  const number = $("example-input");
  const choose = (i) => {
    const example = Math.max(Number(number.min) || 0, Math.min(Number(number.max), i));
    number.value = String(example);
    if (example !== state.params.example) configure({ example });
  };
  $("example-prev").addEventListener("click", () => choose(state.params.example - 1));
  $("example-next").addEventListener("click", () => choose(state.params.example + 1));
  number.addEventListener("change", () => choose(Number.parseInt(number.value, 10) || 0));
  return {
    sync() {
      if (document.activeElement !== number) number.value = String(state.params.example);
    },
  };
}
