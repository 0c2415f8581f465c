/**
 * A value built on first use and kept. The zod schemas are built this way: building them costs
 * start-up time, and a run should pay only for the schemas of the requests it makes.
 */
export function lazy<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
