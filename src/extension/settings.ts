import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Device, ModelSpec, Variant } from '../engine/api';

export const SECTION = 'bertLens';

export interface Settings {
  model: string;
  variant: Variant | 'auto';
  executionProvider: 'auto' | Device;
  maxLength: number;
  hoverEnabled: boolean;
  hoverLanguages: string[];
  hoverLayer: number;
  offline: boolean;
  cacheDir: string;
  overlaySource: 'rollout' | 'headMean';
  overlayLayer: number;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    model: c.get<string>('model', '').trim(),
    variant: c.get<Variant | 'auto'>('variant', 'auto'),
    executionProvider: c.get<'auto' | Device>('executionProvider', 'auto'),
    maxLength: c.get<number>('maxLength', 512),
    hoverEnabled: c.get<boolean>('hover.enabled', true),
    hoverLanguages: c.get<string[]>('hover.languages', ['plaintext', 'markdown']),
    hoverLayer: c.get<number>('hover.layer', -1),
    offline: c.get<boolean>('offline', false),
    cacheDir: c.get<string>('cacheDir', '').trim(),
    overlaySource:
      c.get<'rollout' | 'headMean'>('attentionOverlay.source', 'rollout') === 'headMean' ? 'headMean' : 'rollout',
    overlayLayer: c.get<number>('attentionOverlay.layer', -1),
  };
}

/** The embedded model ships inside the extension; pass its absolute folder so the engine never guesses. */
export function embeddedModelPath(extensionPath: string): string {
  return path.join(extensionPath, 'models', 'mini-bert-uncased');
}

export function isEmbedded(model: string): boolean {
  return model === '' || model === 'embedded';
}

/** Settings (with an optional model override, e.g. a second column of the Fill-Mask panel) → ModelSpec. */
export function toModelSpec(s: Settings, extensionPath: string, model = s.model): ModelSpec {
  const embedded = isEmbedded(model);
  return {
    model: embedded ? embeddedModelPath(extensionPath) : expandHome(model),
    // The vsix ships only the int8 file of the embedded model.
    variant: embedded ? 'quantized' : s.variant === 'auto' ? undefined : s.variant,
    device: s.executionProvider === 'auto' ? undefined : s.executionProvider,
    offline: s.offline || undefined,
    cacheDir: s.cacheDir ? expandHome(s.cacheDir) : undefined,
    maxLength: s.maxLength > 0 ? s.maxLength : undefined,
  };
}

export function modelLabel(model: string): string {
  if (isEmbedded(model)) return 'mini-bert-uncased (embedded)';
  return model.includes('/') && !path.isAbsolute(model) ? model : path.basename(model);
}

function expandHome(p: string): string {
  return p.startsWith('~/') ? path.join(process.env.HOME ?? '', p.slice(2)) : p;
}

/** SecretStorage key of the Hugging Face token (command "Set Hugging Face Token"). */
export const HF_TOKEN_SECRET = 'bertLens.huggingFaceToken';

/** Downloads behave like the rest of VS Code: its `http.proxy` / `http.proxyStrictSSL`, and the token from
 *  SecretStorage (the engine falls back to $HF_TOKEN and $HF_HOME/token). Fields are set only when present. */
export function withDownloadSettings(spec: ModelSpec, token?: string): ModelSpec {
  const http = vscode.workspace.getConfiguration('http');
  const proxy = (http.get<string>('proxy') ?? '').trim();
  const out: ModelSpec = { ...spec };
  if (proxy) {
    out.proxy = proxy;
    out.proxyStrictSSL = http.get<boolean>('proxyStrictSSL', true);
  }
  if (token) out.token = token;
  return out;
}
