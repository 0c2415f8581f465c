/**
 * zod/mini, loaded on first use. Checking an answer is the first thing that needs it, and that
 * comes after the first request is sent: loading it at start-up would delay that request (the
 * start-up benchmark, docs/performance.md). Schemas are built on first use too, so a run builds
 * only the schemas of the requests it makes.
 */
import type * as Z from 'zod/mini';

export type Zod = typeof Z;

let zod: Promise<Zod> | undefined;

export function loadZod(): Promise<Zod> {
  return (zod ??= import('zod/mini'));
}

/** A schema built on first use, with zod loaded then. */
export function lazySchema<T>(build: (z: Zod) => T | Promise<T>): () => Promise<T> {
  let built: Promise<T> | undefined;
  return () => (built ??= loadZod().then(build));
}
