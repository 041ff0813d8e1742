// The values of the setting gradientLens.engineThreads and the CLI's --threads (no Node APIs: the
// Config module reads it, which a web extension host could load too).

export type EngineThreads = 'auto' | 1 | 2;
export const ENGINE_THREADS: readonly EngineThreads[] = ['auto', 1, 2];

/** The value as written ("auto", 1, 2, "1", "2"), or undefined when it is none of these. */
export function parseEngineThreads(value: unknown): EngineThreads | undefined {
  if (value === 'auto') return 'auto';
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return n === 1 || n === 2 ? n : undefined;
}
