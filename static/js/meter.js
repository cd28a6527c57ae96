// Steps per second, measured from the frames themselves: the change in `step` over the
// change in the server's clock (`time`) across the last couple of seconds.

export class RateMeter {
  constructor(window = 2) {
    this.window = window;
    this.samples = [];
  }

  clear() {
    this.samples = [];
  }

  /** Record a frame; a step that goes back (a new model) starts the measurement over. */
  add(step, time) {
    const last = this.samples.at(-1);
    if (last && (step < last.step || time < last.time)) this.clear();
    this.samples.push({ step, time });
    while (this.samples.length > 2 && time - this.samples[0].time > this.window) {
      this.samples.shift();
    }
  }

  /** Steps per second, or null before two frames that differ in time and step. */
  get rate() {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || last.time <= first.time || last.step === first.step) return null;
    return (last.step - first.step) / (last.time - first.time);
  }
}
