// Where the fleet's state is kept between runs. One small interface, so that a store shared by
// several Node-RED instances can replace the local context store without touching the owner.
import { loadText, saveAsText, saveState, type ContextLike, type ResolvedStore } from '../shared/persist';
import { FleetFiles } from './fleet-files';
import type { FleetState } from './fleet-state';

export interface FleetStore {
  /** the saved state, or undefined when there is none */
  load(): Promise<unknown>;
  /** keeps the state (or what changed in it since the last save) */
  save(state: FleetState): Promise<void>;
  /** true when the state lives in memory only and is lost at a restart */
  readonly volatile: boolean;
  /** deletes what was saved (the node was deleted) */
  forget(): Promise<void>;
}

const KEY = 'fleet';

/** The fleet kept under one key of its config node's context, in the store chosen on the node, as JSON text (whole at every save). */
export function contextFleetStore(context: ContextLike, store: ResolvedStore): FleetStore {
  return {
    load: () => loadText(context, KEY, store.store),
    save: (state) => saveAsText(context, KEY, () => state.toJSON(), store.store),
    volatile: store.fallback,
    // Node-RED deletes a deleted node's context itself
    forget: () => Promise.resolve(),
  };
}

/**
 * The fleet in its own files (fleet-files.ts): a save writes the devices changed since the last
 * one. A state found in the context store instead (saved in the other mode, or by an earlier
 * version) is taken over once: it is removed from there when the first snapshot is written.
 */
export function fileFleetStore(files: FleetFiles, context: ContextLike, store: ResolvedStore, warn: (unreadableLines: number) => void): FleetStore {
  let takenOver = false;
  return {
    load: async () => {
      const loaded = await files.load();
      if (loaded.unreadableLines > 0) warn(loaded.unreadableLines);
      if (loaded.state !== undefined) return loaded.state;
      const kept = await loadText(context, KEY, store.store);
      takenOver = kept !== undefined;
      return kept;
    },
    save: async (state) => {
      await files.save(state);
      if (!takenOver) return;
      takenOver = false;
      await saveState(context, KEY, undefined, store.store);
    },
    volatile: false,
    forget: () => files.remove(),
  };
}
