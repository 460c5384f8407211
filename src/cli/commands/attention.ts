import * as fs from 'node:fs';
import { UsageError, stringOption } from '../args';
import { type Command, opt } from '../command';
import { emitter, isJson, specFrom, textArg } from '../common';
import { emitJson } from '../jsonWriter';
import { attentionRows, nestAttention } from '../../engine/tasks/attentionTensors';
import { heat } from '../format';
import { npyBytes, writeNewFile } from '../npy';

export const attention: Command = {
  name: 'attention',
  usage: `attention TEXT [--pair B]           attention of every layer and head
            [--format npy --output F.npy]  the raw float32 tensor [layers, heads, from, to] for NumPy`,
  options: { pair: opt.str, format: opt.str, output: opt.str },
  loadsModel: true,
  async run(args, io, client) {
    const emit = emitter(args, io);
    const spec = specFrom(args);
    const format = stringOption(args, 'format');
    if (format !== undefined && format !== 'json' && format !== 'npy')
      throw new UsageError(`--format must be npy (or json), not "${format}".`);
    if (format === 'npy') {
      const output = stringOption(args, 'output');
      if (!output) throw new UsageError('--format npy needs --output FILE.npy (the tensor is binary).');
      if (fs.existsSync(output))
        throw new UsageError(`${output} already exists; choose another --output (bert-lens never replaces a file).`);
      const t = await client.attentionTensors(spec, { text: textArg(args), pair: stringOption(args, 'pair') });
      const shape = [t.layers, t.heads, t.n, t.n];
      writeNewFile(output, npyBytes(t.attentions, shape));
      await emit(
        { file: output, dtype: 'float32', shape, axes: ['layer', 'head', 'from', 'to'], tokens: t.tokens },
        () =>
          `wrote ${output}: float32 [${shape.join(', ')}] (layer, head, from, to) for ${t.n} tokens: ${t.tokens.join(' ')}`,
      );
      return 0;
    }
    const t = await client.attentionTensors(spec, { text: textArg(args), pair: stringOption(args, 'pair') });
    if (isJson(args) && io.write) {
      // Streamed straight from the float32 tensor (row views, the same text as the nested arrays).
      await emitJson(io, { tokens: t.tokens, attentions: attentionRows(t) });
      return 0;
    }
    const r = nestAttention(t);
    await emit({ tokens: r.tokens, attentions: r.attentions }, () => {
      const n = r.tokens.length;
      const lines = [
        `${r.attentions.length} layers × ${r.attentions[0].length} heads, ${n} tokens. Rollout (row attends to column):`,
      ];
      const w = Math.min(
        8,
        r.tokens.reduce((m, t) => Math.max(m, t.length), 0),
      );
      for (let i = 0; i < n; i++)
        lines.push(`${r.tokens[i].slice(0, w).padStart(w)} ${r.rollout[i].map(heat).join('')}`);
      return lines.join('\n');
    });
    return 0;
  },
};
