// Which sessions the engine is opening on first use (the backward graph of saliency, an extra-outputs variant),
// from the worker's `preparing` progress events: the status bar shows the latest one still opening. Pure.
import type { PreparingProgress } from '../../engine/api';

export class PreparingSessions {
  /** model + what → how many openings are in flight, in the order they started. */
  private readonly open = new Map<string, { what: string; count: number }>();

  /** Applies one event; returns what is being prepared now (the most recent still opening), or undefined. */
  update(p: PreparingProgress): string | undefined {
    const key = `${p.model}\n${p.preparing}`;
    const entry = this.open.get(key);
    if (p.state === 'opening') {
      this.open.delete(key);
      this.open.set(key, { what: p.preparing, count: (entry?.count ?? 0) + 1 });
    } else if (entry) {
      if (entry.count > 1) entry.count--;
      else this.open.delete(key);
    }
    return this.current();
  }

  current(): string | undefined {
    let last: string | undefined;
    for (const e of this.open.values()) last = e.what;
    return last;
  }

  /** Forget everything (the worker was restarted, models unloaded). */
  clear(): void {
    this.open.clear();
  }
}
