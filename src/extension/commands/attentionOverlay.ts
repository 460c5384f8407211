import * as vscode from 'vscode';
import { logUserText, summaries } from '../core/userTextLog';
import type { Offset } from '../../engine/api';
import { toAbortSignal, withDelayedProgress } from '../adapters';
import { planAttentionOverlay, type OverlayMode } from '../core/attentionOverlay';
import type { LabelledRange } from '../core/decorationPlan';
import type { Annotations } from '../decorations/annotations';
import { userError } from '../errors';
import type { Services } from '../services';
import { activeEditor, spanAndWindow } from './target';
import { mdText } from '../core/markdown';

/** Paragraph window around the word: attention is quadratic and capped at the model's length, so keep it short. */
const WINDOW_CHARS = 1000;

/** Attention received from the word at the cursor (or the selection), painted on the other tokens of its
 *  paragraph: rollout by default, or the head mean of one layer (settings `bertLens.attentionOverlay.*`).
 *  A hover on a token gives its weight; editing the document or Clear Decorations removes the overlay. */
export async function showAttentionOverlay(
  services: Services,
  annotations: Annotations,
  override?: Partial<{ source: 'rollout' | 'headMean'; layer: number }>,
): Promise<void> {
  const editor = activeEditor();
  const doc = editor.document;
  const version = doc.version;
  const { span, window, text } = spanAndWindow(editor, WINDOW_CHARS);
  const windowText = text.slice(window[0], window[1]);
  const rel: Offset = [span[0] - window[0], span[1] - window[0]];
  const settings = services.settings();
  const source = override?.source ?? settings.overlaySource;
  const mode: OverlayMode =
    source === 'headMean' ? { kind: 'headMean', layer: override?.layer ?? settings.overlayLayer } : { kind: 'rollout' };
  const summary = await services.ensureModel();
  if (!summary.attentionAvailable) {
    throw userError(
      'attention-unavailable',
      vscode.l10n.t('{0} fuses its attention, so the probabilities cannot be read.', summary.id),
      vscode.l10n.t('Select an export without fused attention (model.onnx or model_quantized.onnx).'),
    );
  }
  const result = await withDelayedProgress(vscode.l10n.t('BERT Lens: computing attention…'), (token) =>
    services.timed('attention overlay', () =>
      services.client.attention(services.spec(), { text: windowText }, { signal: toAbortSignal(token) }),
    ),
  );
  if (doc.version !== version)
    throw userError('stale', vscode.l10n.t('The document changed while computing attention; run the command again.'));
  const plan = planAttentionOverlay(result, rel, mode, windowText, window[0]);
  if (!plan)
    throw userError(
      'no-token',
      vscode.l10n.t('The selection covers no token of the model.'),
      vscode.l10n.t('Put the cursor on a word.'),
    );
  const groups = new Map<string, LabelledRange[]>();
  groups.set('focus', [
    {
      start: plan.focus[0],
      end: plan.focus[1],
      hover: `**${mdText(text.slice(span[0], span[1]))}**: attention it gives, by ${plan.source} (strongest ${plan.max.toFixed(4)})`,
    },
  ]);
  for (const r of plan.ranges) {
    const list = groups.get(String(r.level)) ?? [];
    list.push({ start: r.start, end: r.end, hover: r.hover });
    groups.set(String(r.level), list);
  }
  annotations.set('attention', doc, groups);
  logUserText(
    services.log,
    `attention-overlay: ${JSON.stringify({
      word: text.slice(span[0], span[1]),
      focus: plan.focus,
      source: plan.source,
      ranges: plan.ranges.map((r) => ({
        start: r.start,
        end: r.end,
        token: result.tokens[r.token],
        weight: Number(r.weight.toFixed(6)),
        level: r.level,
      })),
    })}`,
    summaries.attentionOverlay(plan.ranges.length, plan.source),
  );
  vscode.window.setStatusBarMessage(
    vscode.l10n.t(
      'BERT Lens: attention from “{0}” ({1}) — Clear Decorations or edit to remove',
      text.slice(span[0], span[1]),
      plan.source,
    ),
    8000,
  );
}

/** A QuickPick of rollout or the head mean of one layer; runs the overlay with it (the settings stay as they are). */
export async function chooseOverlaySource(services: Services, annotations: Annotations): Promise<void> {
  const summary = await services.ensureModel();
  const items: (vscode.QuickPickItem & { source: 'rollout' | 'headMean'; layer?: number })[] = [
    {
      label: vscode.l10n.t('Rollout'),
      description: vscode.l10n.t('all layers, residual-corrected (Abnar & Zuidema 2020)'),
      source: 'rollout',
    },
    ...Array.from({ length: summary.numLayers }, (_, i) => ({
      label: vscode.l10n.t('Head mean, layer {0}', i + 1),
      description: vscode.l10n.t('mean of {0} heads', summary.numHeads),
      source: 'headMean' as const,
      layer: i + 1,
    })),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('BERT Lens: Attention Overlay Source'),
    placeHolder: vscode.l10n.t('Attention matrix to paint on the text'),
  });
  if (picked) await showAttentionOverlay(services, annotations, { source: picked.source, layer: picked.layer });
}
