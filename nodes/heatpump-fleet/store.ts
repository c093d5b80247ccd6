// Where the fleet's state is kept between runs. One small interface, so that a store shared by
// several Node-RED instances can replace the local context store without touching the owner.
import { loadText, saveAsText, type ContextLike, type ResolvedStore } from '../shared/persist';
import type { PersistedFleet } from './fleet-state';

export interface FleetStore {
  /** the saved state, or undefined when there is none */
  load(): Promise<unknown>;
  save(state: PersistedFleet): Promise<void>;
  /** true when the state lives in memory only and is lost at a restart */
  readonly volatile: boolean;
}

/** The fleet kept under one key of its config node's context, in the store chosen on the node, as JSON text. */
export function contextFleetStore(context: ContextLike, store: ResolvedStore, key = 'fleet'): FleetStore {
  return {
    load: () => loadText(context, key, store.store),
    save: (state) => saveAsText(context, key, () => state, store.store),
    volatile: store.fallback,
  };
}
