import * as vscode from 'vscode';
import { logUserText, summaries } from '../core/userTextLog';
import type { EmbedResult, Offset, WordCandidate } from '../../engine/api';
import { EngineError } from '../../engine/errors';
import { toAbortSignal } from '../adapters';
import { hoverMarkdown, type HoverModel, type OccurrenceInfo } from '../core/hoverContent';
import { LruCache, versionKey } from '../core/lruCache';
import { isInComment, paragraphAt, paragraphs, wordAt } from '../core/text';
import { isLocal, type Services } from '../services';
import { modelLabel } from '../settings';
import { compareInParagraph, paragraphsWithWord } from './occurrences';

/** The contextual-embedding hover: pieces and ids, top alternatives if masked, the vector at the chosen layer,
 *  and how this occurrence compares with the others in the document. Everything runs in the engine's worker,
 *  per paragraph, cached per document version; a moved hover cancels its request (the token). */
export class WordHoverProvider implements vscode.HoverProvider {
  private readonly hovers = new LruCache<HoverModel>(200);
  private readonly embeddings = new LruCache<Promise<EmbedResult>>(64);

  constructor(private readonly services: Services) {}

  forget(uri: string): void {
    this.hovers.deletePrefix(uri);
    this.embeddings.deletePrefix(uri);
  }

  async provideHover(
    doc: vscode.TextDocument,
    pos: vscode.Position,
    token: vscode.CancellationToken,
  ): Promise<vscode.Hover | undefined> {
    const settings = this.services.settings();
    if (!settings.hoverEnabled) return undefined;
    // A passive feature never starts a download: a hub model answers once a command has loaded it.
    if (!isLocal(settings.model) && !this.services.loadedSummary()) return undefined;
    const text = doc.getText();
    const offset = doc.offsetAt(pos);
    const langs = settings.hoverLanguages;
    if (!langs.includes(doc.languageId) && !(langs.includes('comments') && isInComment(text, offset))) return undefined;
    const span = wordAt(text, offset);
    if (!span || !/\p{L}/u.test(text.slice(span[0], span[1]))) return undefined;
    const range = new vscode.Range(doc.positionAt(span[0]), doc.positionAt(span[1]));
    const key = versionKey(doc.uri.toString(), doc.version, span[0], span[1], settings.model, settings.hoverLayer);
    const cached = this.hovers.get(key);
    if (cached) return new vscode.Hover(new vscode.MarkdownString(hoverMarkdown(cached)), range);
    try {
      const model = await this.compute(doc, text, span, token);
      if (!model || token.isCancellationRequested) return undefined;
      this.hovers.set(key, model);
      const ms = Math.round(model.millis ?? 0);
      logUserText(
        this.services.log,
        `hover: ${JSON.stringify({ word: model.word, pieces: model.pieces, alternatives: model.alternatives?.map((c) => c.word), occurrences: model.occurrences.length, ms })}`,
        summaries.hover({
          pieces: model.pieces,
          alternatives: model.alternatives,
          occurrences: model.occurrences.length,
          ms,
        }),
      );
      return new vscode.Hover(new vscode.MarkdownString(hoverMarkdown(model)), range);
    } catch (err) {
      if (!(err instanceof EngineError && err.code === 'cancelled')) {
        this.services.log.warn(`hover failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      return undefined;
    }
  }

  private async compute(
    doc: vscode.TextDocument,
    text: string,
    span: Offset,
    token: vscode.CancellationToken,
  ): Promise<HoverModel | undefined> {
    const t0 = performance.now();
    const signal = toAbortSignal(token);
    const settings = this.services.settings();
    const layer = settings.hoverLayer;
    const summary = await this.services.ensureModel();
    if (token.isCancellationRequested) return undefined;
    const spec = this.services.spec();
    const window = paragraphAt(text, span[0], 1500);
    const windowText = text.slice(window[0], window[1]);
    const rel: Offset = [span[0] - window[0], span[1] - window[0]];
    const canFill = summary.tasks.includes('fill-mask');
    const [sim, fill] = await Promise.all([
      this.services.client.similarity(spec, { text: windowText, span: rel, layer }, { signal }),
      canFill
        ? this.services.client
            .fillMask(spec, { text: windowText, topK: 3, spans: [rel] }, { signal })
            .catch((err: unknown) => {
              if (err instanceof EngineError && err.code === 'cancelled') throw err;
              this.services.log.warn(`hover fill-mask: ${String(err)}`);
              return undefined;
            })
        : Promise.resolve(undefined),
    ]);
    const occurrences: OccurrenceInfo[] = sim.occurrences.map((o) => ({
      line: doc.positionAt(o.start + window[0]).line + 1,
      text: o.text,
      similarity: o.similarity,
    }));
    // Occurrences in other paragraphs: one embedding per paragraph, cached per document version.
    const word = text.slice(span[0], span[1]);
    const others = paragraphsWithWord(text, paragraphs(text), word, window, span[0]);
    for (const para of others) {
      if (token.isCancellationRequested) return undefined;
      const paraText = text.slice(para[0], para[1]);
      const emb = await this.embedding(doc, para, paraText, layer, signal);
      for (const o of compareInParagraph(emb, paraText, para[0], word, sim.vector)) {
        occurrences.push({
          line: doc.positionAt(o.start).line + 1,
          text: text.slice(o.start, o.end),
          similarity: o.similarity,
        });
      }
    }
    const alternatives: WordCandidate[] | undefined = fill?.spans?.[0]?.candidates;
    const millis = performance.now() - t0;
    this.services.statusBar.setLatency('hover', millis);
    return {
      word,
      pieces: sim.pieces,
      ids: sim.ids,
      layer: sim.layer,
      norm: sim.norm,
      vector: sim.vector,
      alternatives,
      occurrences,
      modelId: modelLabel(settings.model),
      millis,
    };
  }

  private embedding(
    doc: vscode.TextDocument,
    para: Offset,
    paraText: string,
    layer: number,
    signal?: AbortSignal,
  ): Promise<EmbedResult> {
    const key = versionKey(doc.uri.toString(), doc.version, para[0], para[1], layer, this.services.settings().model);
    let p = this.embeddings.get(key);
    if (!p) {
      p = this.services.client.embed(this.services.spec(), { text: paraText, layer, pooling: 'none' }, { signal });
      this.embeddings.set(key, p);
      p.catch(() => this.embeddings.deletePrefix(key));
    }
    return p;
  }
}
