// Registering a large layer in steps. A component constructor that registers thousands of
// resources at once keeps every one of them in flight (inputs, outputs, promises: ~120 KiB
// each in the SDK) until the engine (or the mock monitor) answers, because nothing answers
// before the constructor returns: at 1000 VMs that was most of a render's peak memory and a
// third of its time in the garbage collector (BENCHMARKS.md, section 4). Letting the event loop
// turn between steps lets the registrations started so far complete first.

/** One turn of the event loop: I/O and the registrations that could finish, finish. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs a component's build steps (a generator that yields between steps): all at once when
 * `paced` is false (the constructor registers everything before it returns, as components
 * usually do), else one step per turn of the event loop. Resolves when every step has run;
 * rejects with the first step's error.
 */
export function runSteps(steps: Iterator<unknown>, paced: boolean): Promise<void> {
  if (!paced) {
    while (!steps.next().done);
    return Promise.resolve();
  }
  return (async () => {
    while (!steps.next().done) await nextTurn();
  })();
}
