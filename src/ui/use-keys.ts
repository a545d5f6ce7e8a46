/**
 * Key input for sbx's Ink apps: every key of every chunk, in order (see parseKeys). Ink's
 * useInput hands a run of fast-typed keys over as one string; this hook reads the same input
 * events Ink's App emits (after its parser has put split escape sequences back together) and
 * calls `onKeys` once per event with all of its keys, so a chunk of five keys is one update.
 */
import { useEffect, useRef } from 'react';
import { useStdin } from 'ink';
import { parseKeys } from './keys.js';

export function useKeys(onKeys: (keys: readonly string[]) => void, options: { readonly isActive?: boolean } = {}): void {
  const { setRawMode, internal_eventEmitter: events } = useStdin();
  const active = options.isActive !== false;
  const handler = useRef(onKeys);
  handler.current = onKeys;
  useEffect(() => {
    if (!active) return;
    setRawMode(true);
    return () => setRawMode(false);
  }, [active, setRawMode]);
  useEffect(() => {
    if (!active) return;
    const listener = (chunk: string) => {
      const keys = parseKeys(chunk);
      if (keys.length) handler.current(keys);
    };
    events.on('input', listener);
    return () => {
      events.off('input', listener);
    };
  }, [active, events]);
}
