import type { Command } from '../command';
import { emitter, specFrom } from '../common';
import { table } from '../format';

export const models: Command = {
  name: 'models',
  usage: `models                              embedded and cached models`,
  options: {},
  async run(args, io, client) {
    const r = await client.listModels(specFrom(args));
    await emitter(args, io)({ models: r.models.map((m) => ({ id: m.id, path: m.path, variants: m.variants })) }, () =>
      table(
        ['id', 'variants', 'path'],
        r.models.map((m) => [m.id, m.variants.join(','), m.path]),
      ),
    );
    return 0;
  },
};
