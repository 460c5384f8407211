import type { Command } from '../command';
import { emitter, specFrom } from '../common';
import { table } from '../format';

export const info: Command = {
  name: 'info',
  usage: `info                                what the model is and what it can do`,
  options: {},
  loadsModel: true,
  async run(args, io, client) {
    const s = await client.loadModel(specFrom(args));
    await emitter(args, io)(s, () =>
      table(
        ['field', 'value'],
        Object.entries(s)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
      ),
    );
    return 0;
  },
};
