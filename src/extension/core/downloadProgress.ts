// Engine download progress → the increments and message of a VS Code progress notification (pure, no vscode).
import type { DownloadProgress } from '../../engine/api';
import { l10n } from './l10n';

export interface ProgressStep {
  message: string;
  increment?: number;
}

const mb = (n: number) => (n / 1e6).toFixed(1);

/** A stateful mapper. When the engine announces the whole download (`overallTotal`), the bar follows the bytes
 *  of all files together, so small files (config, tokenizer) do not fill it before the large ONNX file starts;
 *  otherwise it falls back to percent of the current file. Increments are never negative and sum to <= 100. */
export function downloadProgressMapper(): (p: DownloadProgress) => ProgressStep {
  let lastFile = '';
  let lastPct = 0;
  let overall = false;
  return (p) => {
    const fileText = p.waiting
      ? l10n.t('{0} (waiting for another download)', p.file)
      : p.total
        ? l10n.t('{0} {1}% of {2} MB', p.file, Math.floor((p.loaded / p.total) * 100), mb(p.total))
        : l10n.t('{0} {1} MB', p.file, mb(p.loaded));
    if (p.overallTotal && p.overallLoaded !== undefined) {
      if (!overall) {
        overall = true;
        lastPct = 0;
      }
      const pct = Math.min(100, Math.floor((p.overallLoaded / p.overallTotal) * 100));
      const increment = Math.max(0, pct - lastPct);
      lastPct = Math.max(lastPct, pct);
      return { message: l10n.t('{0} — {1} of {2} MB', fileText, mb(p.overallLoaded), mb(p.overallTotal)), increment };
    }
    if (overall) return { message: fileText };
    if (p.file !== lastFile) {
      lastFile = p.file;
      lastPct = 0;
    }
    if (!p.total) return { message: fileText };
    const pct = Math.min(100, Math.floor((p.loaded / p.total) * 100));
    const increment = Math.max(0, pct - lastPct);
    lastPct = Math.max(lastPct, pct);
    return { message: fileText, increment };
  };
}
