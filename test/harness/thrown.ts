/** The error of type `type` that `fn` throws; fails the test when it throws nothing or something else. */
export function thrownBy<E extends Error>(type: abstract new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn()
  } catch (e) {
    if (e instanceof type) return e
    throw new Error(
      `expected a ${type.name}, got: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
    )
  }
  throw new Error(`expected a ${type.name}, nothing was thrown`)
}
